"""One Dask worker's throughput on a corpus: `autotrigger.dask.evaluate` on a one-worker,
one-thread LocalCluster, timed; checks the figures equal `autotrigger.evaluate`.

    python scripts/dask_throughput.py ../shared/datasets/audio/MANIFEST.csv
"""

import os
import sys
import time

from dask.distributed import Client, LocalCluster

import autotrigger
import autotrigger.dask


def main():
    inputs = sys.argv[1:] or ["../shared/datasets/audio/MANIFEST.csv"]
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, Client(cluster) as client:
        here = os.path.dirname(os.path.abspath(__file__))
        # Warm the worker (imports) on one small file.
        autotrigger.dask.evaluate([os.path.join(here, "..", "fixtures", "gunshots_8k.wav")], client)
        t = time.perf_counter()
        rep = autotrigger.dask.evaluate(inputs, client)
        dt = time.perf_counter() - t
    print(
        f"{rep['recordings']} recordings, {rep['duration_s'] / 60:.1f} min of audio in {dt:.2f} s"
        f" wall: {rep['duration_s'] / dt:.0f}x real time; {rep['errors']} unreadable"
    )
    print("load average", os.getloadavg())
    print("equal to autotrigger.evaluate:", autotrigger.evaluate(inputs) == rep)


if __name__ == "__main__":
    main()
