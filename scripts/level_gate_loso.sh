#!/usr/bin/env bash
# The peak gate's two thresholds, absolute (`gunshot.min_peak_dbfs`) and relative to the
# recording's noise floor (`gunshot.min_peak_over_floor_db`), chosen leave-one-source-out on
# the audio dev set (docs/gunshot.md, "Levels that do not depend on one recorder's gain").
#
# Runs `autotrigger eval MANIFEST.csv --json` at every grid point (15 x 11 = 165 points,
# about 0.6 s each), then scripts/level_gate_loso.py: for each MANIFEST `source_repo`, the
# point is chosen on the other sources' clips (rule: best gunshot clip recall with at most
# 3 % / 5 % of the negative clips triggering, or with no more negative clips triggering than
# today's defaults) and scored on the held-out source, per source and per subclass, next to
# today's defaults (-10 dBFS, relative gate off).
#
# Usage: scripts/level_gate_loso.sh [DATASET_AUDIO_DIR] [WORK_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-${AUTOTRIGGER_DATASETS:-$here/../shared/datasets}/audio}"
work="${2:-$(mktemp -d)}"
if [[ ! -f "$dir/MANIFEST.csv" ]]; then
    echo "no MANIFEST.csv in $dir" >&2
    exit 1
fi
(cd "$here" && cargo build --release --quiet)
bin="$here/target/release/autotrigger"
mkdir -p "$work"
for a in -60 -50 -40 -35 -30 -25 -20 -17.5 -15 -12.5 -10 -7.5 -5 -2.5 0; do
    for r in 0 10 20 30 35 40 45 50 55 60 70; do
        f="$work/p_${a}_${r}"
        printf '[gunshot]\nmin_peak_dbfs = %s\nmin_peak_over_floor_db = %s\n' "$a" "$r" >"$f.toml"
        "$bin" eval "$dir/MANIFEST.csv" --config "$f.toml" --json "$f.json" >/dev/null
    done
done
python3 "$here/scripts/level_gate_loso.py" "$dir/MANIFEST.csv" "$work"
