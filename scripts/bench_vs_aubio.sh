#!/usr/bin/env bash
# Side-by-side wall-clock time of `autotrigger detect` (gunshot detector, release build; the
# gated front end, the default, and the full analysis, `gunshot.full_analysis = true`) and
# `aubioonset` (aubio's default onset detection) on the same long 48 kHz WAV, in one run.
#
#   scripts/bench_vs_aubio.sh            # 30 min of audio, 5 runs each
#   MINUTES=10 RUNS=3 scripts/bench_vs_aubio.sh
#
# Installs aubio-tools (and hyperfine, when apt has it) if missing. Prints each tool's mean time,
# the ratio aubioonset / autotrigger, and autotrigger's real-time factor; checks that the gated
# and the full analysis print the same events.
set -euo pipefail
cd "$(dirname "$0")/.."

MINUTES=${MINUTES:-30}
RUNS=${RUNS:-5}
WORK=${WORK:-${TMPDIR:-/tmp}/autotrigger_bench_vs_aubio}
mkdir -p "$WORK"
WAV="$WORK/long_${MINUTES}min_48k.wav"

if ! command -v aubioonset >/dev/null; then
    apt-get update
    apt-get install -y aubio-tools
fi
if ! command -v hyperfine >/dev/null; then
    apt-get install -y hyperfine || echo "hyperfine unavailable: timing with a bash loop"
fi

cargo build --release --bin autotrigger --example block_timing
AT=target/release/autotrigger
if [ ! -f "$WAV" ]; then
    target/release/examples/block_timing --minutes "$MINUTES" --rate 48000 --write-wav "$WAV"
fi
AUDIO_S=$((MINUTES * 60))

FULL_TOML="$WORK/full_analysis.toml"
printf '[gunshot]\nfull_analysis = true\n' >"$FULL_TOML"
AT_CMD="$AT detect --format jsonl $WAV"
FULL_CMD="$AT detect --format jsonl --config $FULL_TOML $WAV"
AUBIO_CMD="aubioonset -i $WAV"
echo "autotrigger detections: $($AT_CMD | grep -c '"gunshot"' || true) gunshot events"
if cmp -s <($AT_CMD) <($FULL_CMD); then
    echo "gated and full analysis: identical output"
else
    echo "gated and full analysis: OUTPUT DIFFERS" >&2
    exit 1
fi
echo "aubioonset onsets:      $($AUBIO_CMD | wc -l)"

mean_of() { # mean wall-clock seconds of RUNS runs of "$1" (after one warm-up run)
    local cmd=$1 total=0 t
    if command -v hyperfine >/dev/null; then
        hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$WORK/h.json" "$cmd" >/dev/null
        sed -n 's/.*"mean": *\([0-9.eE+-]*\).*/\1/p' "$WORK/h.json" | head -n 1
        return
    fi
    $cmd >/dev/null
    for _ in $(seq "$RUNS"); do
        t=$( { TIMEFORMAT=%R; time $cmd >/dev/null; } 2>&1 )
        total=$(awk -v a="$total" -v b="$t" 'BEGIN { print a + b }')
    done
    awk -v a="$total" -v n="$RUNS" 'BEGIN { print a / n }'
}

AT_S=$(mean_of "$AT_CMD")
FULL_S=$(mean_of "$FULL_CMD")
AUBIO_S=$(mean_of "$AUBIO_CMD")
printf 'audio: %s s (%s min, 48 kHz mono 16-bit), %s runs each\n' "$AUDIO_S" "$MINUTES" "$RUNS"
div() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }
printf 'autotrigger detect: %.3f s  (%.0fx real time), gated front end\n' "$AT_S" "$(div "$AUDIO_S" "$AT_S")"
printf 'autotrigger detect: %.3f s  (%.0fx real time), full analysis\n' "$FULL_S" "$(div "$AUDIO_S" "$FULL_S")"
printf 'aubioonset:         %.3f s  (%.0fx real time)\n' "$AUBIO_S" "$(div "$AUDIO_S" "$AUBIO_S")"
printf 'ratio aubioonset / autotrigger: %.2fx (full analysis: %.2fx)\n' "$(div "$AUBIO_S" "$AT_S")" "$(div "$AUBIO_S" "$FULL_S")"
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
