"""Type stubs of the autotrigger bindings."""

from os import PathLike
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

Config = Union[str, Mapping[str, Any], None]
"""A configuration: TOML text (``autotrigger config`` prints the defaults), a dict of the same
tree, or None for the defaults."""

Event = Dict[str, Any]
"""``kind``, ``onset_s``, ``decided_s``, ``confidence`` and ``evidence`` (feature name ->
``{"value": v, "threshold": t}``), as ``autotrigger detect --format jsonl``."""

class GunshotDetector:
    """The gunshot detector on a mono audio stream at ``rate`` Hz (8-96 kHz)."""

    def __init__(self, rate: int, config: Config = None) -> None: ...
    def process(self, samples: npt.ArrayLike) -> List[Event]:
        """Feed a 1-D block (float32 full scale 1.0 or int16 read in place, other real dtypes
        converted); returns the events decided during it."""
    def finish(self) -> List[Event]:
        """End of stream: decide pending candidates."""

class ImuDetectors:
    """Running, fall / officer down and tap detectors on IMU rows."""

    def __init__(self, config: Config = None) -> None: ...
    def process(self, rows: npt.ArrayLike) -> List[Event]:
        """Feed rows of shape (n, 4) ``[t_s, ax, ay, az]`` or (n, 7) ``[.., gx, gy, gz]``
        (m/s^2, rad/s)."""
    def finish(self) -> List[Event]: ...

class Engine:
    """The trigger engine (detectors + agency policy) giving start/stop decisions."""

    def __init__(self, rate: int, policy: Config = None) -> None: ...
    def process(
        self, audio: Optional[npt.ArrayLike] = None, imu: Optional[npt.ArrayLike] = None
    ) -> List[Dict[str, Any]]:
        """Push audio samples and/or IMU rows; returns the decisions made (dicts as
        ``autotrigger run --format jsonl``)."""
    def finish(self) -> List[Dict[str, Any]]: ...

def features(
    samples: npt.ArrayLike, rate: int, config: Config = None
) -> Tuple[np.ndarray, List[str]]:
    """Onset features of the gunshot detector: a (hops, features) float32 array and the column
    names (one row per 5 ms hop at the default configuration)."""

def detect_file(
    path: Union[str, PathLike], config: Config = None, track: Optional[int] = None
) -> List[Event]:
    """The events of one recording: audio (WAV, MP4/MOV/M4A, MP3, FLAC, Ogg), IMU CSV or
    SisFall .txt. ``track`` picks the audio track (0 = first)."""

def evaluate(
    inputs: Sequence[Union[str, PathLike]], config: Config = None, collar: float = 0.5
) -> Dict[str, Any]:
    """``autotrigger eval`` on files, folders or a MANIFEST.csv: the ``eval --json`` figures,
    ``per_recording`` rows, and ``text``, the table the CLI prints."""
