#!/usr/bin/env bash
# The shipped gunshot model (models/gunshot.toml, built into the crate) from the repository
# and the audio dev set, by one command:
#
#   scripts/train_gunshot_model.sh [DATASET_AUDIO_DIR] [OUT.toml]
#
# 1. `autotrigger augment` renders the augmented scenes (dev gunshots, real and synthetic,
#    mixed into dev ambient and distractor backgrounds; the arguments, seed included, are in
#    models/gunshot.augment.args, one per line) into a temporary folder;
# 2. `autotrigger train` fits the model on the dev set plus those scenes.
#
# Same inputs, same bytes: tests/gunshot_model.rs (`shipped_model_is_reproducible`) does the
# same and compares with models/gunshot.toml. Add `--loso` by hand to `train` for the
# leave-one-source-out figures (docs/gunshot.md).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-${AUTOTRIGGER_DATASETS:-$here/../shared/datasets}/audio}"
out="${2:-$here/models/gunshot.toml}"
if [[ ! -f "$dir/MANIFEST.csv" ]]; then
    echo "no MANIFEST.csv in $dir" >&2
    exit 1
fi
(cd "$here" && cargo build --release --quiet)
bin="$here/target/release/autotrigger"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mapfile -t args <"$here/models/gunshot.augment.args"
"$bin" augment --events "$dir/MANIFEST.csv" --backgrounds "$dir/MANIFEST.csv" "${args[@]}" \
    --out "$work/aug" >/dev/null
"$bin" train "$dir/MANIFEST.csv" "$work/aug/MANIFEST.csv" --out "$out"
