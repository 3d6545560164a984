#!/usr/bin/env bash
# Robustness curve of the gunshot detector (and aubioonset beside it) on augmented dev data:
#   1. recall against event-to-background ratio: every mixture 10 s of dev ambient (one source
#      per mixture) with one dev gunshot clip at EBR -6 .. +20 dB, recorder rate drawn from
#      8 / 12 / 16 / 44.1 / 48 kHz, source at 1 m (no propagation);
#   2. false events per hour over 65 min of concatenated dev ambient audio (130 x 30 s, one
#      source per mixture, resampled to the same five recorder rates), no events.
# Scores: onsets, 500 ms collar (examples/dcase_score.rs); recall = TP / N.
#
# Usage: scripts/robustness_curve.sh [--config FILE.toml] [--count N] [--seed S] [--out DIR]
#                                    [DATASET_AUDIO_DIR]
#   --count  mixtures per EBR (default 100)
# Writes OUT/table.md (default target/robustness) and prints it.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
config="" count=100 seed=12 out="$here/target/robustness" dir=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --config) config="$(realpath "$2")"; shift 2 ;;
        --count) count="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) dir="$1"; shift ;;
    esac
done
dir="${dir:-${AUTOTRIGGER_DATASETS:-$here/../shared/datasets}/audio}"
aubio_opts="${AUBIO_OPTS:--t 1.0 -s -20}"
[[ -f "$dir/MANIFEST.csv" ]] || { echo "no MANIFEST.csv in $dir" >&2; exit 1; }
command -v aubioonset >/dev/null || { echo "aubioonset missing (apt-get install aubio-tools)" >&2; exit 1; }
cd "$here"
export CARGO_INCREMENTAL=1
cargo build --release --quiet --bin autotrigger --example dcase_score
bin="$here/target/release/autotrigger"
score="$here/target/release/examples/dcase_score"
cfg_args=()
name="GunshotDetector (default config)"
if [[ -n "$config" ]]; then
    cfg_args=(--config "$config")
    name="GunshotDetector ($(basename "$config"))"
fi
rates=8000,12000,16000,44100,48000
mkdir -p "$out"
table="$out/table.md"
{
    echo "Dev gunshots in dev ambient at recorder rates $rates, seed $seed."
    echo
    echo "| system | set | mixtures | hours | N | TP | D | I | recall | F | ER | false events / h |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$table"

aubio_dir() { # mixture folder -> onsets folder
    mkdir -p "$1/aubio"
    for w in "$1"/*.wav; do
        # shellcheck disable=SC2086
        aubioonset -i "$w" $aubio_opts </dev/null >"$1/aubio/$(basename "${w%.wav}").txt" 2>/dev/null
    done
}

for ebr in -6 -3 0 3 6 10 15 20; do
    mix="$out/ebr_$ebr"
    rm -rf "$mix"
    "$bin" augment --events "$dir/MANIFEST.csv" --backgrounds "$dir/MANIFEST.csv" \
        --background-class ambient --ebr="$ebr" --distance 1 --rate "$rates" \
        --event-prob 1 --duration 10 --count "$count" --seed "$seed" --out "$mix"
    "$score" "$mix/MANIFEST.csv" "${cfg_args[@]}" --name "$name" --tag "EBR $ebr dB" >>"$table"
    aubio_dir "$mix"
    "$score" "$mix/MANIFEST.csv" --onsets "$mix/aubio" --name "aubioonset $aubio_opts" \
        --tag "EBR $ebr dB" >>"$table"
done

mix="$out/ambient_hour"
rm -rf "$mix"
"$bin" augment --backgrounds "$dir/MANIFEST.csv" --background-class ambient \
    --rate "$rates" --event-prob 0 --duration 30 --count 130 --seed "$seed" --out "$mix"
"$score" "$mix/MANIFEST.csv" "${cfg_args[@]}" --name "$name" --tag "ambient, 65 min" >>"$table"
aubio_dir "$mix"
"$score" "$mix/MANIFEST.csv" --onsets "$mix/aubio" --name "aubioonset $aubio_opts" \
    --tag "ambient, 65 min" >>"$table"
cat "$table"
