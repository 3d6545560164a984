//! Python bindings of autotrigger (module `autotrigger._autotrigger`, re-exported by the
//! `autotrigger` package). Samples come in as numpy arrays (float32 and int16 without a copy),
//! events and decisions go out as dicts (the JSON the CLI prints), and the GIL is released while
//! the detectors run.

use autotrigger::audio::GunshotDetector;
use autotrigger::eval::corpus::{self, Modality, RunOptions};
use autotrigger::eval::metrics::Collars;
use autotrigger::imu::{ImuDetectors, ImuSample};
use autotrigger::io::{self, AudioStream};
use autotrigger::trigger::{Engine as CoreEngine, Policy};
use autotrigger::{Config, Event, StreamingDetector, Timestamp};
use numpy::{
    PyArray1, PyArrayDescrMethods, PyArrayMethods, PyReadonlyArray1, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use std::path::PathBuf;

/// Samples converted per step when the input is int16 (the detectors take f32).
const I16_STEP: usize = 4096;

fn value_err(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// `json.loads(text)`: the dicts and lists the CLI's JSON describes.
fn from_json(py: Python<'_>, text: &str) -> PyResult<Py<PyAny>> {
    Ok(py.import("json")?.call_method1("loads", (text,))?.unbind())
}

fn events_to_py(py: Python<'_>, events: &[Event]) -> PyResult<Py<PyAny>> {
    let text = serde_json::to_string(events).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    from_json(py, &text)
}

/// A configuration as TOML text, from `None`, a TOML string or a dict (converted through JSON
/// to TOML, so both are validated by the same parser).
fn toml_text(py: Python<'_>, config: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    let Some(c) = config else {
        return Ok(None);
    };
    if c.is_none() {
        return Ok(None);
    }
    if let Ok(s) = c.cast::<PyString>() {
        return Ok(Some(s.extract::<String>()?));
    }
    if c.cast::<PyDict>().is_ok() {
        let json: String = py.import("json")?.call_method1("dumps", (c,))?.extract()?;
        let v: serde_json::Value = serde_json::from_str(&json).map_err(value_err)?;
        let t = toml::Value::try_from(v).map_err(value_err)?;
        return toml::to_string(&t).map(Some).map_err(value_err);
    }
    Err(PyTypeError::new_err(
        "config must be None, a TOML string or a dict",
    ))
}

fn load_config(py: Python<'_>, config: Option<&Bound<'_, PyAny>>) -> PyResult<Config> {
    match toml_text(py, config)? {
        None => Ok(Config::default()),
        Some(t) => Config::from_toml_str(&t).map_err(value_err),
    }
}

/// 1-D audio in one of the two zero-copy dtypes (anything else numeric is converted to float32).
enum Samples<'py> {
    F32(PyReadonlyArray1<'py, f32>),
    I16(PyReadonlyArray1<'py, i16>),
}

fn samples<'py>(x: &Bound<'py, PyAny>) -> PyResult<Samples<'py>> {
    let arr = x.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "expected a numpy array of samples, got {}",
            x.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    if arr.ndim() != 1 {
        return Err(PyValueError::new_err(format!(
            "expected a 1-D array of mono samples, got shape {:?}",
            arr.shape()
        )));
    }
    let kind = arr.dtype().kind();
    if let Ok(a) = x.cast::<PyArray1<f32>>() {
        return Ok(Samples::F32(a.try_readonly().map_err(value_err)?));
    }
    if let Ok(a) = x.cast::<PyArray1<i16>>() {
        return Ok(Samples::I16(a.try_readonly().map_err(value_err)?));
    }
    match kind {
        b'f' | b'i' | b'u' => {
            let conv = x.call_method1("astype", ("float32",))?;
            let a = conv
                .cast_into::<PyArray1<f32>>()
                .map_err(|e| PyTypeError::new_err(e.to_string()))?;
            Ok(Samples::F32(a.try_readonly().map_err(value_err)?))
        }
        _ => Err(PyTypeError::new_err(format!(
            "expected float32 or int16 samples (other real dtypes are converted), got dtype {}",
            arr.dtype()
        ))),
    }
}

/// Runs `f` over the samples as f32 blocks with the GIL released: float32 in place (non-
/// contiguous arrays are copied once), int16 scaled by 1/32768 a step at a time.
fn with_f32_blocks(
    py: Python<'_>,
    s: &Samples<'_>,
    mut f: impl FnMut(&[f32]) -> Result<(), String> + Send,
) -> PyResult<()> {
    let r = match s {
        Samples::F32(a) => match a.as_slice() {
            Ok(x) => py.detach(|| f(x)),
            Err(_) => {
                let v = a.as_array().to_vec();
                py.detach(|| f(&v))
            }
        },
        Samples::I16(a) => {
            let owned;
            let x: &[i16] = match a.as_slice() {
                Ok(x) => x,
                Err(_) => {
                    owned = a.as_array().to_vec();
                    &owned
                }
            };
            py.detach(|| {
                let mut buf = [0f32; I16_STEP];
                for c in x.chunks(I16_STEP) {
                    for (o, &v) in buf.iter_mut().zip(c) {
                        *o = f32::from(v) / 32768.0;
                    }
                    f(&buf[..c.len()])?;
                }
                Ok(())
            })
        }
    };
    r.map_err(PyValueError::new_err)
}

/// The gunshot detector on a stream of mono audio.
///
/// ``GunshotDetector(rate, config=None)``: ``rate`` in Hz (8-96 kHz); ``config`` the whole
/// detector configuration (``autotrigger config``) as a TOML string or a dict, defaults when
/// omitted. ``process(samples)`` takes a 1-D numpy array (float32 full scale 1.0 or int16 are
/// read in place; other real dtypes are converted) and returns the events decided so far as
/// dicts; ``finish()`` decides what is pending at the end of the stream. Blocks of any size give
/// the same events.
#[pyclass(name = "GunshotDetector", module = "autotrigger")]
struct GunshotDetectorPy {
    det: GunshotDetector,
}

#[pymethods]
impl GunshotDetectorPy {
    #[new]
    #[pyo3(signature = (rate, config = None))]
    fn new(py: Python<'_>, rate: u32, config: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let cfg = load_config(py, config)?;
        let det = GunshotDetector::new(&cfg.gunshot_for_device(), rate).map_err(value_err)?;
        Ok(GunshotDetectorPy { det })
    }

    /// Feeds samples; returns the events decided during this block (a list of dicts).
    fn process(&mut self, py: Python<'_>, samples_: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let s = samples(samples_)?;
        let mut events = Vec::new();
        let det = &mut self.det;
        with_f32_blocks(py, &s, |x| {
            det.process(x, &mut events).map_err(|e| e.to_string())
        })?;
        events_to_py(py, &events)
    }

    /// Ends the stream: decides pending candidates and returns their events.
    fn finish(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let mut events = Vec::new();
        self.det.finish(&mut events);
        events_to_py(py, &events)
    }
}

/// IMU rows: a 2-D array `(n, 4)` `t_s, ax, ay, az` or `(n, 7)` with `gx, gy, gz` (m/s^2,
/// rad/s), as the IMU CSV format.
fn imu_rows(x: &Bound<'_, PyAny>) -> PyResult<Vec<ImuSample>> {
    let arr = x
        .cast::<PyUntypedArray>()
        .map_err(|_| PyTypeError::new_err("expected a 2-D numpy array of IMU rows"))?;
    let shape = arr.shape().to_vec();
    if arr.ndim() != 2 || !(shape[1] == 4 || shape[1] == 7) {
        return Err(PyValueError::new_err(format!(
            "expected IMU rows of shape (n, 4) [t_s, ax, ay, az] or (n, 7) [+ gx, gy, gz], got {shape:?}"
        )));
    }
    if !matches!(arr.dtype().kind(), b'f' | b'i' | b'u') {
        return Err(PyTypeError::new_err(format!(
            "expected real-valued IMU rows, got dtype {}",
            arr.dtype()
        )));
    }
    let a: numpy::PyReadonlyArray2<'_, f64> = x
        .call_method1("astype", ("float64",))?
        .extract()
        .map_err(|e: PyErr| PyTypeError::new_err(e.to_string()))?;
    let a = a.as_array();
    Ok(a.rows()
        .into_iter()
        .map(|r| ImuSample {
            t: Timestamp::from_secs_f64(r[0]),
            accel: [r[1] as f32, r[2] as f32, r[3] as f32],
            gyro: (r.len() == 7).then(|| [r[4] as f32, r[5] as f32, r[6] as f32]),
        })
        .collect())
}

/// Every IMU detector (running, fall / officer down, taps) on a stream of IMU rows.
///
/// ``ImuDetectors(config=None)``; ``process(rows)`` takes a 2-D array ``(n, 4)``
/// ``[t_s, ax, ay, az]`` or ``(n, 7)`` with gyroscope ``[gx, gy, gz]`` (m/s^2, rad/s) and
/// returns the events decided; ``finish()`` ends the stream.
#[pyclass(name = "ImuDetectors", module = "autotrigger")]
struct ImuDetectorsPy {
    det: ImuDetectors,
}

#[pymethods]
impl ImuDetectorsPy {
    #[new]
    #[pyo3(signature = (config = None))]
    fn new(py: Python<'_>, config: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let cfg = load_config(py, config)?;
        Ok(ImuDetectorsPy {
            det: ImuDetectors::new(&cfg).map_err(value_err)?,
        })
    }

    /// Feeds IMU rows; returns the events decided during this block.
    fn process(&mut self, py: Python<'_>, rows: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let rows = imu_rows(rows)?;
        let mut events = Vec::new();
        let det = &mut self.det;
        py.detach(|| det.process(&rows, &mut events))
            .map_err(value_err)?;
        events_to_py(py, &events)
    }

    /// Ends the stream and returns the pending events.
    fn finish(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let mut events = Vec::new();
        self.det.finish(&mut events);
        events_to_py(py, &events)
    }
}

/// The trigger engine: detectors plus policy, giving start/stop decisions.
///
/// ``Engine(rate, policy=None)``: audio rate in Hz and the agency policy (``docs/engine.md``) as
/// a TOML string or dict. ``process(audio=None, imu=None)`` pushes a block of audio samples
/// and/or IMU rows and returns the decisions made (dicts, as ``autotrigger run --format
/// jsonl``); ``finish()`` ends the streams.
#[pyclass(name = "Engine", module = "autotrigger")]
struct EnginePy {
    engine: CoreEngine,
}

impl EnginePy {
    fn drain(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let list = PyList::empty(py);
        while let Some(d) = self.engine.poll_decision() {
            let text =
                serde_json::to_string(&d).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
            list.append(from_json(py, &text)?)?;
        }
        Ok(list.into_any().unbind())
    }
}

#[pymethods]
impl EnginePy {
    #[new]
    #[pyo3(signature = (rate, policy = None))]
    fn new(py: Python<'_>, rate: u32, policy: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let policy = match toml_text(py, policy)? {
            None => Policy::default(),
            Some(t) => Policy::from_toml_str(&t).map_err(value_err)?,
        };
        Ok(EnginePy {
            engine: CoreEngine::new(&policy, rate).map_err(value_err)?,
        })
    }

    /// Pushes audio samples and/or IMU rows; returns the decisions made.
    #[pyo3(signature = (audio = None, imu = None))]
    fn process(
        &mut self,
        py: Python<'_>,
        audio: Option<&Bound<'_, PyAny>>,
        imu: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let mut out = PyList::empty(py);
        if let Some(a) = audio {
            let s = samples(a)?;
            let engine = &mut self.engine;
            // Decisions are drained between slices so that the bounded queue cannot overflow.
            let mut decisions = Vec::new();
            with_f32_blocks(py, &s, |x| {
                for part in x.chunks(1600) {
                    engine.push_audio_f32(part).map_err(|e| e.to_string())?;
                    while let Some(d) = engine.poll_decision() {
                        decisions.push(serde_json::to_string(&d).map_err(|e| e.to_string())?);
                    }
                }
                Ok(())
            })?;
            for d in decisions {
                out.append(from_json(py, &d)?)?;
            }
        }
        if let Some(rows) = imu {
            let rows = imu_rows(rows)?;
            let engine = &mut self.engine;
            py.detach(|| engine.push_imu(&rows)).map_err(value_err)?;
            let more = self.drain(py)?;
            out = out.add(more)?.cast_into::<PyList>()?;
        }
        Ok(out.into_any().unbind())
    }

    /// Ends the streams; returns the last decisions.
    fn finish(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.engine.finish().map_err(value_err)?;
        self.drain(py)
    }
}

/// ``features(samples, rate, config=None) -> (matrix, names)``: the gunshot detector's onset
/// features, one row per hop (a 2-D float32 array), and the column names.
#[pyfunction]
#[pyo3(signature = (samples_, rate, config = None))]
fn features<'py>(
    py: Python<'py>,
    samples_: &Bound<'py, PyAny>,
    rate: u32,
    config: Option<&Bound<'py, PyAny>>,
) -> PyResult<(Py<PyAny>, Vec<String>)> {
    let cfg = load_config(py, config)?;
    let s = samples(samples_)?;
    let mut all: Vec<f32> = Vec::new();
    with_f32_blocks(py, &s, |x| {
        all.extend_from_slice(x);
        Ok(())
    })?;
    let m = py
        .detach(|| autotrigger::eval::features::feature_matrix(&all, rate, &cfg.gunshot))
        .map_err(value_err)?;
    let (rows, cols) = m.values.dim();
    let flat: Vec<f32> = m.values.iter().copied().collect();
    let arr = PyArray1::from_vec(py, flat).reshape([rows, cols])?;
    Ok((
        arr.into_any().unbind(),
        m.names.iter().map(|n| n.to_string()).collect(),
    ))
}

/// ``detect_file(path, config=None, track=None)``: the events of one recording, as
/// ``autotrigger detect --format jsonl`` gives them (audio of any supported container, IMU CSV,
/// SisFall ``.txt``).
#[pyfunction]
#[pyo3(signature = (path, config = None, track = None))]
fn detect_file(
    py: Python<'_>,
    path: PathBuf,
    config: Option<&Bound<'_, PyAny>>,
    track: Option<usize>,
) -> PyResult<Py<PyAny>> {
    let cfg = load_config(py, config)?;
    let events = py
        .detach(|| -> Result<Vec<Event>, String> {
            let mut events = Vec::new();
            match Modality::from_path(&path) {
                Some(Modality::Audio) => {
                    let mut s = AudioStream::open(&path, track).map_err(|e| e.to_string())?;
                    let mut det = GunshotDetector::new(&cfg.gunshot_for_device(), s.sample_rate())
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let mut buf = vec![0f32; 4096];
                    loop {
                        let n = s.fill(&mut buf).map_err(|e| e.to_string())?;
                        if n == 0 {
                            break;
                        }
                        det.process(&buf[..n], &mut events)
                            .map_err(|e| e.to_string())?;
                    }
                    det.finish(&mut events);
                }
                Some(m @ (Modality::ImuCsv | Modality::Sisfall)) => {
                    let rows = if m == Modality::Sisfall {
                        io::read_sisfall(&path)
                    } else {
                        io::read_imu_csv(&path)
                    }
                    .map_err(|e| e.to_string())?;
                    let mut det = ImuDetectors::new(&cfg).map_err(|e| e.to_string())?;
                    det.process(&rows, &mut events).map_err(|e| e.to_string())?;
                    det.finish(&mut events);
                }
                _ => {
                    return Err(format!(
                        "{}: not a recording (audio, IMU .csv or SisFall .txt)",
                        path.display()
                    ))
                }
            }
            Ok(events)
        })
        .map_err(value_err)?;
    events_to_py(py, &events)
}

fn collars(collar: f64) -> PyResult<Collars> {
    if !(collar.is_finite() && (0.0..=60.0).contains(&collar)) {
        return Err(PyValueError::new_err(format!(
            "collar {collar} is out of range: expected 0 ..= 60 s"
        )));
    }
    Ok(Collars::uniform(autotrigger::time::secs_to_micros(collar)))
}

/// ``evaluate(inputs, config=None, collar=0.5) -> dict``: ``autotrigger eval`` on files,
/// folders or a MANIFEST.csv. Keys: ``text`` (the table the CLI prints), ``per_recording``
/// (one dict a file: name, class, duration, detections, tp/fp/fn, error) and the summary
/// figures of ``eval --json`` (``events`` per kind, clip tables, ``errors``...).
#[pyfunction]
#[pyo3(signature = (inputs, config = None, collar = 0.5))]
fn evaluate(
    py: Python<'_>,
    inputs: Vec<PathBuf>,
    config: Option<&Bound<'_, PyAny>>,
    collar: f64,
) -> PyResult<Py<PyAny>> {
    let cfg = load_config(py, config)?;
    let collars = collars(collar)?;
    let (json, text) = py
        .detach(|| -> Result<(String, String), String> {
            let recs = corpus::collect(&inputs).map_err(|e| e.to_string())?;
            if recs.is_empty() {
                return Err("no recordings found in the inputs".into());
            }
            let opts = RunOptions {
                config: cfg,
                ..RunOptions::default()
            };
            let results = corpus::run(&recs, &opts, &|| {});
            let rep = corpus::evaluate(&results, collars);
            let json = serde_json::to_string(&rep).map_err(|e| e.to_string())?;
            Ok((json, rep.to_text()))
        })
        .map_err(value_err)?;
    let d = from_json(py, &json)?;
    d.bind(py).set_item("text", text)?;
    Ok(d)
}

/// ``_recording_count(inputs) -> int``: how many recordings ``evaluate`` would run (files,
/// folders, manifests), for mapping a corpus over workers (``autotrigger.dask``).
#[pyfunction]
fn _recording_count(py: Python<'_>, inputs: Vec<PathBuf>) -> PyResult<usize> {
    py.detach(|| corpus::collect(&inputs))
        .map(|r| r.len())
        .map_err(value_err)
}

/// ``_run_recordings(inputs, indices, config=None) -> list[str]``: runs recordings
/// ``indices`` of ``inputs`` (one corpus collection per call, so a worker takes a batch) and
/// returns for each what pooling needs, as JSON: name, duration, error, and each detection's
/// kind, onset and decision time (integer microseconds, exact) and confidence.
#[pyfunction]
#[pyo3(signature = (inputs, indices, config = None))]
fn _run_recordings(
    py: Python<'_>,
    inputs: Vec<PathBuf>,
    indices: Vec<usize>,
    config: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<String>> {
    let cfg = load_config(py, config)?;
    py.detach(|| -> Result<Vec<String>, String> {
        let recs = corpus::collect(&inputs).map_err(|e| e.to_string())?;
        let opts = RunOptions {
            config: cfg,
            ..RunOptions::default()
        };
        indices
            .into_iter()
            .map(|index| {
                let rec = recs
                    .get(index)
                    .ok_or_else(|| format!("recording {index} out of range ({})", recs.len()))?;
                let res = corpus::run_one(rec, &opts);
                let det: Vec<_> = res
                    .detections
                    .iter()
                    .map(|e| {
                        serde_json::json!([
                            e.kind.as_str(),
                            e.onset.as_micros(),
                            e.decided.as_micros(),
                            e.confidence
                        ])
                    })
                    .collect();
                Ok(serde_json::json!({
                    "name": rec.name,
                    "duration_us": res.duration_us,
                    "error": res.error,
                    "detections": det,
                })
                .to_string())
            })
            .collect()
    })
    .map_err(value_err)
}

/// ``_evaluate_runs(inputs, runs, collar=0.5) -> dict``: pools the results of
/// ``_run_recordings`` for every recording of ``inputs`` (in order) into the same dict as
/// ``evaluate`` (scoring uses kinds, times and confidences; evidence is not carried).
#[pyfunction]
#[pyo3(signature = (inputs, runs, collar = 0.5))]
fn _evaluate_runs(
    py: Python<'_>,
    inputs: Vec<PathBuf>,
    runs: Vec<String>,
    collar: f64,
) -> PyResult<Py<PyAny>> {
    let collars = collars(collar)?;
    let (json, text) = py
        .detach(|| -> Result<(String, String), String> {
            let recs = corpus::collect(&inputs).map_err(|e| e.to_string())?;
            if recs.len() != runs.len() {
                return Err(format!(
                    "{} results for {} recordings",
                    runs.len(),
                    recs.len()
                ));
            }
            let mut results = Vec::with_capacity(recs.len());
            for (rec, run) in recs.into_iter().zip(runs) {
                let v: serde_json::Value = serde_json::from_str(&run).map_err(|e| e.to_string())?;
                if v["name"].as_str() != Some(rec.name.as_str()) {
                    return Err(format!(
                        "result for {:?} given for {:?}",
                        v["name"], rec.name
                    ));
                }
                let mut detections = Vec::new();
                for d in v["detections"].as_array().into_iter().flatten() {
                    let bad = || format!("{}: malformed detection {d}", rec.name);
                    let kind = d[0]
                        .as_str()
                        .and_then(autotrigger::EventKind::parse)
                        .ok_or_else(bad)?;
                    detections.push(Event {
                        kind,
                        onset: Timestamp::from_micros(d[1].as_i64().ok_or_else(bad)?),
                        decided: Timestamp::from_micros(d[2].as_i64().ok_or_else(bad)?),
                        confidence: d[3].as_f64().ok_or_else(bad)? as f32,
                        evidence: autotrigger::Evidence::new(),
                    });
                }
                results.push(corpus::RecordingResult {
                    recording: rec,
                    duration_us: v["duration_us"].as_i64().unwrap_or(0),
                    detections,
                    error: v["error"].as_str().map(str::to_string),
                    trace: None,
                });
            }
            let rep = corpus::evaluate(&results, collars);
            let json = serde_json::to_string(&rep).map_err(|e| e.to_string())?;
            Ok((json, rep.to_text()))
        })
        .map_err(value_err)?;
    let d = from_json(py, &json)?;
    d.bind(py).set_item("text", text)?;
    Ok(d)
}

/// The compiled part of the `autotrigger` package.
#[pymodule]
fn _autotrigger(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<GunshotDetectorPy>()?;
    m.add_class::<ImuDetectorsPy>()?;
    m.add_class::<EnginePy>()?;
    m.add_function(wrap_pyfunction!(features, m)?)?;
    m.add_function(wrap_pyfunction!(detect_file, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(_recording_count, m)?)?;
    m.add_function(wrap_pyfunction!(_run_recordings, m)?)?;
    m.add_function(wrap_pyfunction!(_evaluate_runs, m)?)?;
    Ok(())
}
