#!/usr/bin/env bash
# DCASE 2017 task 2-style evaluation on the audio dev set: rare events (the dev gunshot clips)
# mixed into dev ambient backgrounds at -6, 0 and +6 dB event-to-background ratio, 30 s
# mixtures at 44.1 kHz, an event in a mixture with probability 0.5, at most one event per
# mixture (as in the task). Event-based scores, onsets only, 500 ms collar: F-score and error
# rate ER = (D + I) / N (single class), for
#   - the gunshot detector with the configuration given (default config when none: the rule
#     cascade of today; pass the trained detector's config when it lands),
#   - aubioonset with $AUBIO_OPTS (default: -t 1.0 -s -20, as in the held-out comparison).
#
# Usage: scripts/dcase_mixtures.sh [--config FILE.toml] [--count N] [--seed S] [--out DIR]
#                                  [DATASET_AUDIO_DIR]
#   --count  mixtures per EBR (default 120: 1 h of audio per EBR, ~60 events)
#   --out    where mixtures, onsets and the table go (default target/dcase2017)
# Writes OUT/table.md and prints it. Generated audio stays out of the repository.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
config="" count=120 seed=2017 out="$here/target/dcase2017" dir=""
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
if [[ ! -f "$dir/MANIFEST.csv" ]]; then
    echo "no MANIFEST.csv in $dir" >&2
    exit 1
fi
if ! command -v aubioonset >/dev/null; then
    echo "aubioonset missing: installing aubio-tools" >&2
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update
    $sudo apt-get install -y aubio-tools
fi
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
mkdir -p "$out"
table="$out/table.md"
{
    echo "DCASE 2017 task 2-style mixtures: dev gunshots into dev ambient, 30 s at 44.1 kHz,"
    echo "event probability 0.5, seed $seed, $count mixtures per EBR; onset collar 500 ms."
    echo
    echo "| system | set | mixtures | hours | N | TP | D | I | recall | F | ER | false events / h |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$table"
for ebr in -6 0 6; do
    mix="$out/ebr_$ebr"
    rm -rf "$mix"
    "$bin" augment --events "$dir/MANIFEST.csv" --backgrounds "$dir/MANIFEST.csv" \
        --background-class ambient --ebr="$ebr" --distance 1 --rate 44100 \
        --event-prob 0.5 --duration 30 --count "$count" --seed "$seed" --out "$mix"
    "$score" "$mix/MANIFEST.csv" "${cfg_args[@]}" --name "$name" --tag "EBR $ebr dB" >>"$table"
    mkdir -p "$mix/aubio"
    for w in "$mix"/*.wav; do
        # shellcheck disable=SC2086
        aubioonset -i "$w" $aubio_opts </dev/null >"$mix/aubio/$(basename "${w%.wav}").txt" 2>/dev/null
    done
    "$score" "$mix/MANIFEST.csv" --onsets "$mix/aubio" --name "aubioonset $aubio_opts" \
        --tag "EBR $ebr dB" >>"$table"
done
cat "$table"
