#!/usr/bin/env bash
# Mutation testing of the core with cargo-mutants: every mutant of a file (an operator flipped,
# a function body replaced by a default, a condition forced true/false...) is built and run
# against the tests that guard that file; a mutant no test catches is written to the report.
# Synthetic tests only: no test listed here reads ../shared, so the figures hold on any machine.
#
#   scripts/mutants.sh                       # every core file (hours on a 2-core machine)
#   scripts/mutants.sh src/trigger/audit.rs  # one file
#   TIMEOUT=120 scripts/mutants.sh src/time.rs  # per-mutant test timeout, s (default 300)
#   ITERATE=1 scripts/mutants.sh src/time.rs     # only the mutants not caught last time
#   SHARD=0/5 scripts/mutants.sh src/imu/fall.rs # a spread sample: every 5th mutant
#   SHARD=0/5 ITERATE=1 scripts/mutants.sh src/imu/fall.rs  # that sample's survivors again
#       (by name: cargo-mutants' own --iterate with --shard would drop the caught mutants
#       first and then take every 5th of the rest, a different sample)
#                                                # (round-robin), when the whole file takes too long
#
# Builds in the `mutants` profile: the `checked` one (overflow checks on; .ci/run's test
# profile) with this crate at opt-level 1 and 256 codegen units, because every mutant
# rebuilds the crate and relinks the test binaries: 24 s per mutant instead of 111 s at
# release optimisation, the tests 7 s instead of 6 s (imu/fall.rs, 2 cores, load 3.5-4;
# docs/testing.md). Its dependencies are built once in that profile (about 14 min). In place (`--in-place`: the working tree is mutated and restored;
# do not edit src/ while it runs, and interrupt it only with Ctrl-C, which restores the file).
# Report: mutants.out/<file>/ (cargo-mutants' own output: caught.txt, missed.txt,
# unviable.txt, timeout.txt, outcomes.json) and a summary in mutants.out/SUMMARY.md.
# Too slow for every CI run: figures and times in docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_INCREMENTAL=1
# CI unset: the dataset tests are not run here anyway (see TESTS), and a set CI would change
# nothing but the build script's inputs.
unset CI

if ! command -v cargo-mutants >/dev/null; then
    cargo install cargo-mutants --locked
fi

# The tests that guard each file (a short list keeps every mutant's run short).
tests_for() {
    case "$1" in
    src/time.rs) echo "--lib --test time_edges --test robust_imu --test engine_rules --test robust_day_long" ;;
    src/trigger/audit.rs) echo "--test audit_tamper" ;;
    src/imu/fall.rs) echo "--lib --test imu_fall_aftermath --test imu_synthetic --test imu_synth_scenes --test robust_imu" ;;
    src/imu/running.rs) echo "--lib --test imu_synthetic --test imu_synth_scenes --test robust_imu --test imu_barometer" ;;
    src/audio/gunshot.rs) echo "--lib --test gunshot_decision --test audio_detector --test gunshot_bursts --test robust_audio --test gunshot_gated" ;;
    src/audio/features.rs) echo "--lib --test audio_features --test gunshot_decision --test audio_detector" ;;
    src/audio/model.rs) echo "--lib --test gunshot_model_stage --test audio_detector" ;;
    src/trigger/engine.rs) echo "--lib --test engine_rules --test engine_props --test engine_policies --test engine_incident --test robust_engine" ;;
    *) echo "--lib --tests" ;;
    esac
}

# As cargo arguments of every invocation (`--cargo-arg`): the build phase then builds only
# these test targets too (arguments after `--` would narrow the test run but not the build,
# which would relink every test binary of the crate for every mutant).
cargo_args() {
    local a prev=""
    for a in $(tests_for "$1"); do
        if [ "$prev" = "--test" ]; then
            echo "--cargo-arg=--test=$a"
        elif [ "$a" != "--test" ]; then
            echo "--cargo-arg=$a"
        fi
        prev=$a
    done
}

FILES=("$@")
if [ ${#FILES[@]} -eq 0 ]; then
    FILES=(src/trigger/audit.rs src/time.rs src/imu/fall.rs src/imu/running.rs
        src/trigger/engine.rs src/audio/gunshot.rs src/audio/features.rs)
fi
OUT=mutants.out
mkdir -p "$OUT"
for f in "${FILES[@]}"; do
    name=$(echo "$f" | sed 's|^src/||; s|/|_|g; s|\.rs$||')
    start=$(date +%s)
    select=()
    if [ -n "${ITERATE:-}" ] && [ -n "${SHARD:-}" ]; then
        # The sample's survivors of the last run, by exact name.
        prev="$OUT/$name/mutants.out"
        names=$(grep . "$prev/missed.txt" 2>/dev/null || true)
        if [ -z "$names" ]; then
            echo "$f: no survivors recorded in $prev" >&2
            continue
        fi
        re=$(printf '%s\n' "$names" | sed 's/[][\\.*+?(){}|^$]/\\&/g' | paste -sd'|' -)
        select=(--re "^($re)\$")
    else
        select=(${ITERATE:+--iterate} ${SHARD:+--shard "$SHARD" --sharding round-robin})
    fi
    # shellcheck disable=SC2046
    cargo mutants --in-place --profile mutants --no-shuffle "${select[@]}" \
        --timeout "${TIMEOUT:-300}" --build-timeout "${BUILD_TIMEOUT:-1200}" \
        -f "$f" -o "$OUT/$name" $(cargo_args "$f") || true
    secs=$(( $(date +%s) - start ))
    d="$OUT/$name/mutants.out"
    n() { if [ -f "$d/$1" ]; then grep -c . "$d/$1" || true; else echo 0; fi; }
    line="| $f${SHARD:+ (shard $SHARD)} | $(( $(n caught.txt) + $(n missed.txt) + $(n timeout.txt) + $(n unviable.txt) )) | $(n caught.txt) | $(n missed.txt) | $(n timeout.txt) | $(n unviable.txt) | ${secs} s |"
    echo "$line" | tee -a "$OUT/SUMMARY.md"
    if [ -s "$d/missed.txt" ]; then
        echo "surviving mutants of $f:"
        cat "$d/missed.txt"
    fi
done
echo "columns: file | mutants | caught | missed (survived) | timeout | unviable | time" >> "$OUT/SUMMARY.md"
