#!/usr/bin/env bash
# Runs fuzz targets one after another (never two at once: the build machine has 2 cores shared
# by everyone), each for SECS seconds (default 600), seeding each corpus from seeds/.
# Usage: fuzz/run.sh [SECS] target...    Logs: fuzz/logs/<target>.log; crashes: fuzz/artifacts/.
set -u
cd "$(dirname "$0")"
secs=${1:-600}
shift
mkdir -p logs
for t in "$@"; do
    mkdir -p "corpus/$t"
    [ -d "seeds/$t" ] && cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null
    echo "== $t ${secs}s start $(date -u +%H:%M:%S)" >> logs/summary.txt
    nice cargo +nightly fuzz run -s none -a "$t" "corpus/$t" -- \
        -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 > "logs/$t.log" 2>&1
    rc=$?
    echo "== $t exit $rc end $(date -u +%H:%M:%S) $(grep -E '^#[0-9]+.*(DONE|pulse|REDUCE|NEW)' "logs/$t.log" | tail -1)" >> logs/summary.txt
done
