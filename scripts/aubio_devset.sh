#!/usr/bin/env bash
# aubio's generic onset detector over the audio dev set, side by side with
# tests/audio_devset.rs (`cargo test --release --test audio_devset -- --nocapture`).
#
# For every clip of MANIFEST.csv, runs `aubioonset` at the file's native rate and counts a clip
# as triggered when aubio reports at least one onset. Three settings:
#   default  : aubio's defaults (hfc, -t 0.3, -s -90 dB, minioi 12 ms)
#   strict   : -t 1.0 (the top of aubio's documented 0.1..1 threshold range) and a -40 dB
#              silence gate, so quiet background cannot fire
#   level    : -t 1.0 and a -20 dB silence gate: a level gate comparable to the detector's
#              `min_peak_dbfs = -10` (aubio gates on frame level, not sample peak)
# Prints one table per setting: class, subclass, clips, clips with >= 1 onset, share, onsets.
#
# Usage: scripts/aubio_devset.sh [DATASET_AUDIO_DIR]
# (default: $AUTOTRIGGER_DATASETS/audio, else ../shared/datasets/audio beside the repository)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-${AUTOTRIGGER_DATASETS:-$here/../shared/datasets}/audio}"
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

run() { # name, aubio options...
    local name="$1"
    shift
    echo "== aubioonset $name ($*)"
    printf "%-12s %-24s %6s %6s %7s %7s\n" class subclass clips hit share onsets
    tail -n +2 "$dir/MANIFEST.csv" | cut -d, -f1-3 | while IFS=, read -r file class sub; do
        n=$(aubioonset -i "$dir/$file" "$@" </dev/null 2>/dev/null | grep -c . || true)
        echo "$class,$sub,$n"
    done | awk -F, '
        { for (k = 0; k < 2; k++) {
              key = (k == 0) ? $1 ",(all)" : $1 "," $2
              clips[key]++; onsets[key] += $3; if ($3 > 0) hit[key]++ } }
        END {
            for (k in clips)
                printf "%-12s %-24s %6d %6d %6.1f%% %7d\n", substr(k, 1, index(k, ",") - 1), substr(k, index(k, ",") + 1), clips[k], hit[k], 100 * hit[k] / clips[k], onsets[k]
        }' | sort
}

run default
run strict -t 1.0 -s -40
run level -t 1.0 -s -20
