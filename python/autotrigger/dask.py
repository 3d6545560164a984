"""Corpus evaluation mapped over a Dask cluster.

``evaluate(inputs, client)`` runs each recording of ``inputs`` (files, folders or a
``MANIFEST.csv``, as for ``autotrigger eval``) as one Dask task and pools the results on the
client with the same scoring code as the CLI, so the figures equal ``autotrigger eval`` on the
same inputs. Workers need the ``autotrigger`` package installed and the recordings at the same
paths (a shared file system or the same mount on every machine).

Pointing it at a real cluster::

    from dask.distributed import Client
    import autotrigger.dask
    client = Client("tcp://scheduler.example:8786")   # dask-scheduler / dask-worker, or a
                                                       # dask-jobqueue / dask-kubernetes cluster
    report = autotrigger.dask.evaluate(["/mnt/footage/MANIFEST.csv"], client)
    print(report["text"])
"""

from typing import Any, Dict, Mapping, Optional, Sequence, Union
import os

from . import _autotrigger

__all__ = ["evaluate"]


def _run(inputs, indices, config):
    # A plain Python function (pickled by reference to this module) around the compiled one.
    return _autotrigger._run_recordings(inputs, list(indices), config)


def evaluate(
    inputs: Sequence[Union[str, "os.PathLike[str]"]],
    client: Any = None,
    config: Union[str, Mapping[str, Any], None] = None,
    collar: float = 0.5,
) -> Dict[str, Any]:
    """``autotrigger eval`` over a Dask ``Client`` (the current one when ``client`` is None).

    Returns the same dict as :func:`autotrigger.evaluate`: the ``eval --json`` figures,
    ``per_recording`` rows and ``text`` (the table the CLI prints).
    """
    if client is None:
        from dask.distributed import get_client

        client = get_client()
    paths = [os.fspath(p) for p in inputs]
    cfg = dict(config) if isinstance(config, Mapping) else config
    n = _autotrigger._recording_count(paths)
    if n == 0:
        raise ValueError("no recordings found in the inputs")
    # Batches, so that each task collects the corpus (reads the manifest and side-cars) once
    # for many recordings: about four tasks per worker thread, at most 64 recordings a task.
    threads = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    size = max(1, min(64, -(-n // (4 * max(1, threads)))))
    batches = [range(i, min(n, i + size)) for i in range(0, n, size)]
    futures = client.map(_run, [paths] * len(batches), batches, [cfg] * len(batches), pure=False)
    runs = [r for batch in client.gather(futures) for r in batch]
    return _autotrigger._evaluate_runs(paths, runs, collar)
