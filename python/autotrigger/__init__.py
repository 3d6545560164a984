"""autotrigger: when should a body-worn camera start recording by itself?

Streaming detectors (gunshot; running, fall / officer down and taps from an IMU), the trigger
engine, onset feature matrices and corpus evaluation, on numpy arrays. The same library as the
``autotrigger`` command line; events are the dicts its ``--format jsonl`` prints, each with its
evidence (feature values and the thresholds they were held against).

>>> import numpy as np, autotrigger
>>> det = autotrigger.GunshotDetector(16000)
>>> events = det.process(np.zeros(16000, dtype=np.float32)) + det.finish()
>>> events
[]
"""

from ._autotrigger import (
    Engine,
    GunshotDetector,
    ImuDetectors,
    detect_file,
    evaluate,
    features,
)

__all__ = [
    "Engine",
    "GunshotDetector",
    "ImuDetectors",
    "detect_file",
    "evaluate",
    "features",
]
