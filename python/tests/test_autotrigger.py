"""The Python bindings against the CLI and the bundled fixtures."""

import json
import os
import pathlib
import subprocess
import threading
import wave

import numpy as np
import pytest

import autotrigger

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"


def cli_path():
    """The `autotrigger` CLI the bindings are compared with: `$AUTOTRIGGER_CLI` (`.ci/run` sets
    it to the binary of its `checked` build), else the first built of `target/checked` and
    `target/release`. Absent: the test fails under CI (`CI` set) and is skipped, with the
    reason, otherwise."""
    env = os.environ.get("AUTOTRIGGER_CLI")
    candidates = [pathlib.Path(env)] if env else [
        ROOT / "target" / profile / "autotrigger" for profile in ("checked", "release")
    ]
    for path in candidates:
        if path.is_file():
            return str(path)
    msg = f"the CLI is not built (looked for {', '.join(map(str, candidates))}; " \
        "cargo build --profile checked, or set AUTOTRIGGER_CLI)"
    if os.environ.get("CI", "").strip() not in ("", "0", "false", "FALSE"):
        pytest.fail(msg)
    pytest.skip(msg)


def read_wav_i16(path):
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), w.getframerate()


def strip(events):
    return [(e["kind"], e["onset_s"], e["decided_s"]) for e in events]


def test_gunshot_detector_matches_detect_file_for_any_block_and_dtype():
    x, rate = read_wav_i16(FIX / "gunshots_16k.wav")
    want = autotrigger.detect_file(FIX / "gunshots_16k.wav")
    assert [e["kind"] for e in want] == ["gunshot", "gunshot"]
    assert "evidence" in want[0] and "rise_db" in want[0]["evidence"]
    f32 = x.astype(np.float32) / 32768.0
    for samples in (x, f32, f32.astype(np.float64)):
        for block in (1000, 4096, len(samples)):
            det = autotrigger.GunshotDetector(rate)
            got = []
            for i in range(0, len(samples), block):
                got += det.process(samples[i : i + block])
            got += det.finish()
            assert strip(got) == strip(want), (samples.dtype, block)


def test_detect_file_equals_the_cli():
    path = ROOT / "fixtures_media" / "gunshots_16k.mp4"
    out = subprocess.run(
        [cli_path(), "detect", "--format", "jsonl", str(path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    cli = [json.loads(l) for l in out.stdout.splitlines()]
    py = autotrigger.detect_file(path)
    assert [{k: v for k, v in e.items() if k != "file"} for e in cli] == py


def test_configs_as_toml_or_dict_and_errors_carry_the_message():
    x, rate = read_wav_i16(FIX / "gunshots_16k.wav")
    # A 10 ms hop halves the feature rows, given as a dict or as TOML.
    m, _ = autotrigger.features(x, rate, {"gunshot": {"hop_s": 0.01, "frame_s": 0.02}})
    assert 790 <= m.shape[0] <= 810
    m2, _ = autotrigger.features(x, rate, "[gunshot]\nhop_s = 0.01\nframe_s = 0.02\n")
    assert np.array_equal(m, m2)
    det = autotrigger.GunshotDetector(rate, {"gunshot": {"hop_s": 0.01, "frame_s": 0.02}})
    assert [e["kind"] for e in det.process(x) + det.finish()] == ["gunshot", "gunshot"]
    with pytest.raises(ValueError, match="rise_threshold_db"):
        autotrigger.GunshotDetector(rate, {"gunshot": {"rise_threshold_db": -5.0}})
    with pytest.raises(ValueError, match="nope"):
        autotrigger.GunshotDetector(rate, {"gunshot": {"nope": 1}})
    with pytest.raises(ValueError):
        autotrigger.GunshotDetector(1000)
    with pytest.raises(ValueError, match="video_only.mp4: no audio track"):
        autotrigger.detect_file(ROOT / "fixtures_media" / "tracks" / "video_only.mp4")
    with pytest.raises(TypeError):
        autotrigger.GunshotDetector(rate, 42)


def test_wrong_shapes_and_dtypes_are_clear_errors():
    det = autotrigger.GunshotDetector(16000)
    with pytest.raises(ValueError, match="1-D"):
        det.process(np.zeros((2, 100), dtype=np.float32))
    with pytest.raises(TypeError, match="complex"):
        det.process(np.zeros(100, dtype=np.complex64))
    with pytest.raises(TypeError, match="numpy array"):
        det.process([0.0, 1.0])
    imu = autotrigger.ImuDetectors()
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        imu.process(np.zeros((10, 5)))


def test_imu_detectors_match_detect_file():
    path = FIX / "fall_officer_down_50hz.csv"
    rows = np.loadtxt(path, delimiter=",", skiprows=1)
    want = autotrigger.detect_file(path)
    kinds = {e["kind"] for e in want}
    assert {"fall", "officer_down"} <= kinds
    det = autotrigger.ImuDetectors()
    got = []
    for i in range(0, len(rows), 333):
        got += det.process(rows[i : i + 333])
    got += det.finish()
    assert strip(got) == strip(want)


def test_engine_starts_recording_on_the_incident():
    x, rate = read_wav_i16(FIX / "incident" / "incident.wav")
    eng = autotrigger.Engine(rate)
    out = eng.process(audio=x) + eng.finish()
    assert out, "the incident's shot starts recording"
    assert any("start" in json.dumps(d).lower() for d in out)


def test_features_matrix_and_names():
    x, rate = read_wav_i16(FIX / "gunshots_16k.wav")
    m, names = autotrigger.features(x, rate)
    assert m.dtype == np.float32 and m.ndim == 2 and m.shape[1] == len(names)
    # One row per 5 ms hop over 8 s.
    assert 1590 <= m.shape[0] <= 1610
    assert "rise_db" in names


def test_evaluate_equals_the_cli_figures():
    rep = autotrigger.evaluate([FIX / "gunshots_16k.wav", FIX / "distractors_16k.wav"])
    assert rep["recordings"] == 2 and rep["errors"] == 0
    assert len(rep["per_recording"]) == 2
    assert rep["text"].startswith("2 recordings")
    cli = subprocess.run(
        [cli_path(), "eval",
         str(FIX / "gunshots_16k.wav"), str(FIX / "distractors_16k.wav")],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout == rep["text"]


def test_gil_is_released_while_processing():
    x, rate = read_wav_i16(FIX / "gunshots_16k.wav")
    long = np.tile(x, 100)  # 800 s
    ticks = []
    done = threading.Event()

    def work():
        det = autotrigger.GunshotDetector(rate)
        det.process(long)
        done.set()

    t = threading.Thread(target=work)
    t.start()
    while not done.is_set():
        ticks.append(1)
        done.wait(0.001)
    t.join()
    # With the GIL held for the whole call the loop could not run in between.
    assert len(ticks) > 20, len(ticks)


def test_the_readme_example_runs(monkeypatch, capsys):
    text = (ROOT / "README.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert out.count("'gunshot'") == 2, out


def test_dask_on_a_two_worker_local_cluster_equals_the_cli():
    distributed = pytest.importorskip("dask.distributed")
    import autotrigger.dask

    inputs = [FIX, ROOT / "fixtures_media"]
    want = autotrigger.evaluate(inputs)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        got = autotrigger.dask.evaluate(inputs, client)
    assert got == want
    cli = subprocess.run(
        [cli_path(), "eval", *map(str, inputs)],
        capture_output=True,
        text=True,
    )
    # Exit status 1: `fixtures_media` holds a video without sound, an unreadable input that
    # the report counts (`1 unreadable`).
    assert cli.returncode == 1 and "1 unreadable" in cli.stdout, cli.stderr
    assert cli.stdout == got["text"]
