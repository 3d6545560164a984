//! Corpus runs: collect recordings (files, folders or a `MANIFEST.csv`), run the detectors on
//! each in parallel, and score the detections ([`evaluate`]).
//!
//! Inputs:
//! - an audio file (`.wav`, or with the `media` feature `.mp4 .m4a .m4v .mov .mp3 .flac .ogg
//!   .oga`): the gunshot detector; references from its label side-car
//!   (`NAME.labels.csv`; no side-car = no events);
//! - a `.csv` file (IMU CSV, with its optional `p_hpa` barometer column), `.txt` file
//!   (SisFall raw) or FallAllD `_A.dat` (read with its `_G.dat` and `_B.dat`): every IMU
//!   detector; references from the side-car;
//! - a folder: every such file below it (recursively, sorted), or, when the folder holds a
//!   `MANIFEST.csv`, that manifest;
//! - a `MANIFEST.csv`: the dev-set manifests of `../shared/datasets/{audio,imu}`. Audio rows
//!   (`file,class,subclass,...`): class `gunshot` clips are positive clips of kind `gunshot`,
//!   every other class is negative; subclass gives the breakdown. IMU rows (`label`,
//!   `activity_code`): `fall` clips are positive for `fall`, `run` clips for `running`, `walk`
//!   and `other_adl` are negative; the activity code is the subclass. For the IMU manifest the
//!   first `FALL` segment of `SISFALL_ENHANCED_SEGMENTS.csv` (when that file is present) becomes
//!   the fall's reference onset, so event-level recall and latency after impact are reported;
//!   a FallAllD fall's onset is the impact time its `notes` give (`impact (...) at 9.903 s`).
//!   How each row is read: by its `dataset` column when there is one: `SisFall` raw text,
//!   `FallAllD` raw `.dat` files (with the barometer), and `UMAFall` / `MobiFall...` from their
//!   converted CSVs `csv/<file with .csv>` listed in `csv/INDEX.csv` (the converter that made
//!   the holdout's CSVs picked the sensor and merged the streams; reading the raw files would
//!   duplicate it and could disagree with the holdout); otherwise by extension.
//!
//! Onsets are only known for side-car recordings (also manifest rows whose file has a
//! `NAME.labels.csv` side-car, as `autotrigger augment` writes), negative manifest clips (no
//! events) and annotated falls; the other positive clips are scored at clip level only.

use super::metrics::{
    clip_outcome, detection_outcomes, match_events_with, scored_kind, tally, ClipMetrics,
    ClipTruth, Collars, EventMetrics, Reliability, TallyByKind,
};
use crate::config::Config;
use crate::detector::StreamingDetector;
use crate::event::Event;
use crate::imu::{ImuDetectors, ImuSample};
use crate::io::{self, IoError, Label};
use crate::Timestamp;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Kinds scored on audio recordings.
pub const AUDIO_KINDS: &[&str] = &["gunshot"];
/// Kinds scored on IMU recordings (`running_ended` and `officer_down_cancelled` only when
/// labelled, see [`super::metrics`]).
pub const IMU_KINDS: &[&str] = &[
    "running",
    "running_ended",
    "fall",
    "officer_down",
    "officer_down_cancelled",
    "tap",
];

/// How a recording is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// Audio (WAV, or compressed/video with the `media` feature) -> gunshot detector.
    Audio,
    /// IMU CSV (`t_s,ax,ay,az[,gx,gy,gz]`) -> IMU detectors.
    ImuCsv,
    /// SisFall raw text -> IMU detectors.
    Sisfall,
    /// FallAllD raw `_A.dat` + `_G.dat` + `_B.dat` (barometer) -> IMU detectors.
    Fallalld,
}

impl Modality {
    /// The modality for a file name (audio per [`io::is_audio_path`], `csv`, `txt`, FallAllD
    /// `_A.dat`), if any (a FallAllD recording is named by its `_A.dat`; its `_G.dat` and
    /// `_B.dat` are read with it).
    pub fn from_path(p: &Path) -> Option<Modality> {
        let name = p.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".labels.csv") || name.ends_with(".inputs.csv") || name == "manifest.csv"
        {
            return None;
        }
        match p.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            _ if io::is_audio_path(p) => Some(Modality::Audio),
            "csv" => Some(Modality::ImuCsv),
            "txt" => Some(Modality::Sisfall),
            "dat" if name.ends_with("_a.dat") => Some(Modality::Fallalld),
            _ => None,
        }
    }

    /// The kinds scored on this modality.
    pub fn kinds(self) -> &'static [&'static str] {
        match self {
            Modality::Audio => AUDIO_KINDS,
            Modality::ImuCsv | Modality::Sisfall | Modality::Fallalld => IMU_KINDS,
        }
    }

    /// Reads an IMU recording of this modality (IMU samples and, for the IMU CSV's `p_hpa`
    /// column and FallAllD's `_B.dat`, barometer samples). `None` for audio.
    pub fn read_imu(self, path: &Path) -> Option<Result<io::ImuRecording, IoError>> {
        match self {
            Modality::Audio => None,
            Modality::ImuCsv => Some(io::read_imu_csv_with_pressure(path)),
            Modality::Sisfall => Some(io::read_sisfall(path).map(|samples| io::ImuRecording {
                samples,
                pressure: Vec::new(),
            })),
            Modality::Fallalld => Some(io::read_fallalld(path)),
        }
    }
}

/// One recording to run and score.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// Where the file is.
    pub path: PathBuf,
    /// Short name for tables (path relative to the manifest or input folder).
    pub name: String,
    /// How it is read.
    pub modality: Modality,
    /// Manifest class (`gunshot`, `distractor`, `fall`, ...), if known.
    pub class: Option<String>,
    /// Breakdown group (manifest subclass / activity code), if known.
    pub subclass: Option<String>,
    /// Grouping keys from the manifest, `(key, value)` in a fixed key order: audio manifests
    /// give `source_repo` and `subclass` (augmented scenes also `event_source_repo` and
    /// `background_source_repo`); IMU manifests `dataset` and `sensor_position` (each
    /// only when the manifest has that column). Every figure is also reported per group
    /// ([`CorpusReport::clips_by_group`], [`CorpusReport::events_by_group`]).
    pub groups: Vec<(String, String)>,
    /// Clip-level truth (manifest corpora).
    pub clip: Option<ClipTruth>,
    /// Reference events with onsets, when known (`Some(vec![])` = known to have none).
    pub labels: Option<Vec<Label>>,
    /// Kinds scored on this recording.
    pub kinds: Vec<&'static str>,
}

/// A corpus could not be collected.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CorpusError {
    /// A file could not be read.
    #[error(transparent)]
    Io(#[from] IoError),
    /// An input is neither a supported recording, a folder nor a manifest.
    #[error("{path}: {message}")]
    Input {
        /// The input.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn input_err(path: &Path, message: impl Into<String>) -> CorpusError {
    CorpusError::Input {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Collects recordings from files, folders and manifests (see the module docs).
pub fn collect(inputs: &[PathBuf]) -> Result<Vec<Recording>, CorpusError> {
    let mut out = Vec::new();
    for input in inputs {
        let is_manifest = input
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.eq_ignore_ascii_case("MANIFEST.csv"));
        if is_manifest {
            out.extend(read_manifest(input)?);
        } else if input.is_dir() {
            let m = input.join("MANIFEST.csv");
            if m.is_file() {
                out.extend(read_manifest(&m)?);
            } else {
                let mut files = Vec::new();
                walk(input, &mut files).map_err(|e| IoError::Io {
                    path: input.clone(),
                    source: e,
                })?;
                files.sort();
                for f in files {
                    if let Some(m) = Modality::from_path(&f) {
                        let name = f
                            .strip_prefix(input)
                            .unwrap_or(&f)
                            .to_string_lossy()
                            .into_owned();
                        out.push(sidecar_recording(&f, name, m)?);
                    }
                }
            }
        } else {
            let m = Modality::from_path(input).ok_or_else(|| {
                input_err(
                    input,
                    "not a recording (audio .wav/.mp4/.mp3/.flac/.ogg..., IMU .csv, SisFall .txt), folder or MANIFEST.csv",
                )
            })?;
            if !input.is_file() {
                return Err(IoError::Io {
                    path: input.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
                }
                .into());
            }
            out.push(sidecar_recording(input, input.display().to_string(), m)?);
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn sidecar_recording(path: &Path, name: String, m: Modality) -> Result<Recording, CorpusError> {
    Ok(Recording {
        path: path.to_path_buf(),
        name,
        modality: m,
        class: None,
        subclass: None,
        groups: Vec::new(),
        clip: None,
        labels: Some(io::read_labels_for(path)?),
        kinds: m.kinds().to_vec(),
    })
}

/// Splits one CSV line into fields, each trimmed (double-quoted fields may hold commas and
/// `""`, as the MANIFESTs' `license` and `notes` columns do). The one CSV splitter of the
/// crate, its CLI and its tests.
///
/// ```
/// use autotrigger::eval::corpus::split_csv;
/// assert_eq!(
///     split_csv(r#"a.wav, gunshot,"CC BY, 4.0","say ""bang""""#),
///     ["a.wav", "gunshot", "CC BY, 4.0", r#"say "bang""#]
/// );
/// ```
pub fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().map(|f| f.trim().to_string()).collect()
}

/// Manifest columns that group audio recordings, in report order.
pub const GROUP_KEYS_AUDIO: &[&str] = &[
    "source_repo",
    "subclass",
    "event_source_repo",
    "background_source_repo",
];
/// Manifest columns that group IMU recordings, in report order (used when present).
pub const GROUP_KEYS_IMU: &[&str] = &["dataset", "sensor_position"];

/// Reads a dev-set manifest (audio: `file,class,subclass,...`; IMU: `file,...,activity_code,
/// ...,label,...`). File paths are relative to the manifest's folder.
pub fn read_manifest(path: &Path) -> Result<Vec<Recording>, CorpusError> {
    let text = std::fs::read_to_string(path).map_err(|e| IoError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let root = path.parent().unwrap_or(Path::new("."));
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let parse_err = |line: usize, message: String| -> CorpusError {
        IoError::Parse {
            path: path.to_path_buf(),
            line,
            message,
        }
        .into()
    };
    let header = match lines.next() {
        Some((_, h)) => split_csv(h.trim_start_matches('\u{feff}')),
        None => return Ok(Vec::new()),
    };
    let col = |n: &str| header.iter().position(|h| h == n);
    let file_c = col("file").ok_or_else(|| parse_err(1, "manifest has no `file` column".into()))?;
    enum Kind {
        Audio { class: usize, subclass: usize },
        Imu { label: usize, code: usize },
    }
    let kind =
        match (
            col("class"),
            col("subclass"),
            col("label"),
            col("activity_code"),
        ) {
            (Some(class), Some(subclass), _, _) => Kind::Audio { class, subclass },
            (_, _, Some(label), Some(code)) => Kind::Imu { label, code },
            _ => return Err(parse_err(
                1,
                "manifest needs `class,subclass` (audio) or `label,activity_code` (IMU) columns"
                    .into(),
            )),
        };
    // Grouping columns, in report order (present columns only).
    let group_cols: Vec<(&'static str, usize)> = match kind {
        Kind::Audio { .. } => GROUP_KEYS_AUDIO,
        Kind::Imu { .. } => GROUP_KEYS_IMU,
    }
    .iter()
    .filter_map(|k| col(k).map(|c| (*k, c)))
    .collect();
    let falls = match kind {
        Kind::Imu { .. } => read_fall_segments(&root.join("SISFALL_ENHANCED_SEGMENTS.csv"))?,
        Kind::Audio { .. } => BTreeMap::new(),
    };
    let (dataset_c, notes_c) = (col("dataset"), col("notes"));
    let converted = match kind {
        Kind::Imu { .. } => read_converted_index(&root.join("csv").join("INDEX.csv"))?,
        Kind::Audio { .. } => std::collections::BTreeSet::new(),
    };
    let mut out = Vec::new();
    for (i, line) in lines {
        let f = split_csv(line);
        let get = |c: usize, name: &str| -> Result<String, CorpusError> {
            f.get(c)
                .filter(|s| !s.is_empty())
                .cloned()
                .ok_or_else(|| parse_err(i + 1, format!("missing `{name}`")))
        };
        let file = get(file_c, "file")?;
        let p = root.join(&file);
        let groups: Vec<(String, String)> = group_cols
            .iter()
            .map(|(k, c)| {
                let v = f.get(*c).filter(|s| !s.is_empty()).cloned();
                (k.to_string(), v.unwrap_or_else(|| NO_SUBCLASS.into()))
            })
            .collect();
        let rec = match kind {
            Kind::Audio { class, subclass } => {
                let class = get(class, "class")?;
                let positive = class == "gunshot";
                Recording {
                    modality: Modality::Audio,
                    subclass: Some(get(subclass, "subclass")?),
                    clip: Some(if positive {
                        ClipTruth::Positive("gunshot".into())
                    } else {
                        ClipTruth::Negative
                    }),
                    // Gunshot onsets are not annotated; negatives are known to hold none. A
                    // row with a label side-car (augmented scenes) is scored on its labels.
                    labels: match io::labels_path_for(&p) {
                        side if side.is_file() => Some(io::read_labels(&side)?),
                        _ => (!positive).then(Vec::new),
                    },
                    kinds: AUDIO_KINDS.to_vec(),
                    groups,
                    class: Some(class),
                    path: p,
                    name: file,
                }
            }
            Kind::Imu { label, code } => {
                let label = get(label, "label")?;
                let dataset = dataset_c.and_then(|c| f.get(c)).map(String::as_str);
                let conv = Path::new(&file).with_extension("csv");
                let conv_name = conv.to_string_lossy().replace('\\', "/");
                let (m, p) = match dataset {
                    Some("SisFall") => (Modality::Sisfall, p),
                    Some("FallAllD") => (Modality::Fallalld, p),
                    Some(_) if converted.contains(&conv_name) => {
                        (Modality::ImuCsv, root.join("csv").join(&conv))
                    }
                    Some(d) if !p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) => {
                        return Err(parse_err(
                            i + 1,
                            format!(
                                "{d} recording `{file}` is neither SisFall, FallAllD nor listed \
                                 in csv/INDEX.csv as converted to the IMU CSV format"
                            ),
                        ))
                    }
                    _ => match Modality::from_path(&p) {
                        Some(m) if m != Modality::Audio => (m, p),
                        _ => (Modality::ImuCsv, p),
                    },
                };
                let impact = notes_c
                    .and_then(|c| f.get(c))
                    .and_then(|n| fallalld_impact(n));
                let (clip, labels, kinds): (_, _, Vec<&'static str>) = match label.as_str() {
                    "fall" => (
                        ClipTruth::Positive("fall".into()),
                        // Only the fall is annotated: other kinds (officer_down after it) are
                        // not scored at event level in fall clips.
                        falls.get(&file).cloned().or(impact).map(|l| vec![l]),
                        vec!["fall"],
                    ),
                    "run" => (ClipTruth::Positive("running".into()), None, vec!["running"]),
                    _ => (ClipTruth::Negative, Some(Vec::new()), IMU_KINDS.to_vec()),
                };
                Recording {
                    modality: m,
                    subclass: Some(get(code, "activity_code")?),
                    class: Some(label),
                    groups,
                    clip: Some(clip),
                    labels,
                    kinds,
                    path: p,
                    name: file,
                }
            }
        };
        out.push(rec);
    }
    Ok(out)
}

/// The converted CSVs listed in `csv/INDEX.csv` (column `csv`, relative to `csv/`); empty
/// when the index is absent.
fn read_converted_index(path: &Path) -> Result<std::collections::BTreeSet<String>, CorpusError> {
    let mut out = std::collections::BTreeSet::new();
    if !path.is_file() {
        return Ok(out);
    }
    let text = std::fs::read_to_string(path).map_err(|e| IoError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().map(split_csv).unwrap_or_default();
    let Some(c) = header.iter().position(|h| h == "csv") else {
        return Err(IoError::Parse {
            path: path.to_path_buf(),
            line: 1,
            message: "expected a `csv` column".into(),
        }
        .into());
    };
    for l in lines {
        if let Some(f) = split_csv(l).get(c) {
            out.insert(f.clone());
        }
    }
    Ok(out)
}

/// The impact time a FallAllD MANIFEST note gives (`...; impact (largest |a| in 8.5-11.5 s)
/// at 9.903 s, 3.19 g`), as a `fall` label from the impact to 0.5 s after it.
fn fallalld_impact(notes: &str) -> Option<Label> {
    let rest = &notes[notes.find("impact (")?..];
    let rest = &rest[rest.find(") at ")? + 5..];
    let secs: f64 = rest.split_whitespace().next()?.parse().ok()?;
    let onset = Timestamp::from_secs_f64(secs);
    Some(Label {
        onset,
        offset: onset.add_micros(500_000),
        kind: "fall".into(),
    })
}

/// First `FALL` segment per file of `SISFALL_ENHANCED_SEGMENTS.csv`
/// (`file,label,start_sample,end_sample_excl,...`, 200 Hz sample indices), as `fall` labels.
/// A missing file gives an empty map.
fn read_fall_segments(path: &Path) -> Result<BTreeMap<String, Label>, CorpusError> {
    let mut out = BTreeMap::new();
    if !path.is_file() {
        return Ok(out);
    }
    let text = std::fs::read_to_string(path).map_err(|e| IoError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header = lines.next().map(|(_, h)| split_csv(h)).unwrap_or_default();
    let col = |n: &str| header.iter().position(|h| h == n);
    let (Some(fc), Some(lc), Some(sc), Some(ec)) = (
        col("file"),
        col("label"),
        col("start_sample"),
        col("end_sample_excl"),
    ) else {
        return Err(IoError::Parse {
            path: path.to_path_buf(),
            line: 1,
            message: "expected columns file,label,start_sample,end_sample_excl".into(),
        }
        .into());
    };
    for (i, line) in lines {
        let f = split_csv(line);
        let num = |c: usize| -> Result<u64, CorpusError> {
            f.get(c).and_then(|s| s.parse().ok()).ok_or_else(|| {
                IoError::Parse {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message: "sample index is not a non-negative integer".into(),
                }
                .into()
            })
        };
        if f.get(lc).map(String::as_str) != Some("FALL") {
            continue;
        }
        let file = f.get(fc).cloned().unwrap_or_default();
        let (s, e) = (num(sc)?, num(ec)?);
        out.entry(file).or_insert(Label {
            onset: Timestamp::from_samples(s, io::SISFALL_RATE_HZ),
            offset: Timestamp::from_samples(e, io::SISFALL_RATE_HZ),
            kind: "fall".into(),
        });
    }
    Ok(out)
}

/// A decimated view of a recording for timeline plots.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Trace {
    /// Bucket start times, microseconds.
    pub t_us: Vec<i64>,
    /// Peak |sample| (audio, full scale = 1) or peak |a| in g (IMU) per bucket.
    pub envelope: Vec<f32>,
    /// Name of the envelope's unit, for the axis label.
    pub envelope_unit: &'static str,
    /// Detector score per bucket (maximum), when the detector exposes one.
    pub score: Vec<f32>,
    /// The threshold the score is compared with.
    pub threshold: Option<f32>,
}

/// Options for [`run`].
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Every detector's parameters.
    pub config: Config,
    /// Block size fed to the detectors (samples); any size gives the same events.
    pub block: usize,
    /// Keep a [`Trace`] of about this many points per recording (for reports).
    pub trace_points: Option<usize>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            config: Config::default(),
            block: 4096,
            trace_points: None,
        }
    }
}

/// What running one recording gave.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingResult {
    /// The recording.
    pub recording: Recording,
    /// Its duration, microseconds (0 when unreadable).
    pub duration_us: i64,
    /// Detections, in decision order.
    pub detections: Vec<Event>,
    /// Why the recording could not be run, if it could not.
    pub error: Option<String>,
    /// Timeline data, when asked for.
    pub trace: Option<Trace>,
}

/// Runs every recording (in parallel, in rayon's pool) and returns results in input order.
/// `on_done` is called once per finished recording (for progress bars).
pub fn run(
    recordings: &[Recording],
    opts: &RunOptions,
    on_done: &(dyn Fn() + Sync),
) -> Vec<RecordingResult> {
    recordings
        .par_iter()
        .map(|r| {
            let res = run_one(r, opts);
            on_done();
            res
        })
        .collect()
}

/// Runs one recording.
pub fn run_one(rec: &Recording, opts: &RunOptions) -> RecordingResult {
    let mut res = RecordingResult {
        recording: rec.clone(),
        duration_us: 0,
        detections: Vec::new(),
        error: None,
        trace: None,
    };
    let outcome = match rec.modality {
        Modality::Audio => run_audio(rec, opts, &mut res),
        Modality::ImuCsv | Modality::Sisfall | Modality::Fallalld => run_imu(rec, opts, &mut res),
    };
    if let Err(e) = outcome {
        res.error = Some(e);
    }
    res
}

/// The message of a detector construction error for a recording (shared by every path that
/// builds detectors, so that their results compare equal).
pub(crate) fn config_error(rec: &Recording, e: &crate::error::ConfigError) -> String {
    format!("{}: {e}", rec.path.display())
}

fn run_audio(rec: &Recording, opts: &RunOptions, res: &mut RecordingResult) -> Result<(), String> {
    let audio = io::read_audio(&rec.path).map_err(|e| e.to_string())?;
    res.duration_us = audio.duration_us();
    let mut det =
        crate::audio::GunshotDetector::new(&opts.config.gunshot_for_device(), audio.sample_rate)
            .map_err(|e| config_error(rec, &e))?;
    let Some(points) = opts.trace_points else {
        for block in audio.samples.chunks(opts.block.max(1)) {
            det.process(block, &mut res.detections)
                .map_err(|e| format!("{}: {e}", rec.path.display()))?;
        }
        det.finish(&mut res.detections);
        return Ok(());
    };
    let n = audio.samples.len();
    let bucket = n.div_ceil(points.max(1)).max(1);
    let mut tr = Trace {
        envelope_unit: "|x| (full scale)",
        // The decider's onset score reaches 1 when every candidate threshold is reached.
        threshold: Some(1.0),
        ..Trace::default()
    };
    for (i, c) in audio.samples.chunks(bucket).enumerate() {
        tr.t_us
            .push(Timestamp::from_samples((i * bucket) as u64, audio.sample_rate).as_micros());
        tr.envelope.push(
            c.iter()
                .filter(|x| x.is_finite())
                .fold(0f32, |m, x| m.max(x.abs())),
        );
    }
    tr.score = vec![0.0; tr.t_us.len()];
    for block in audio.samples.chunks(opts.block.max(1)) {
        det.process_with_frames(block, &mut res.detections, |f, score| {
            let i = (f.start_sample as usize / bucket).min(tr.score.len().saturating_sub(1));
            if let Some(s) = tr.score.get_mut(i) {
                *s = s.max(score);
            }
        });
    }
    det.finish(&mut res.detections);
    res.trace = Some(tr);
    Ok(())
}

fn run_imu(rec: &Recording, opts: &RunOptions, res: &mut RecordingResult) -> Result<(), String> {
    let recording = rec
        .modality
        .read_imu(&rec.path)
        .ok_or_else(|| format!("{}: not an IMU recording", rec.path.display()))?
        .map_err(|e| e.to_string())?;
    let samples: &[ImuSample] = &recording.samples;
    res.duration_us = match (samples.first(), samples.last()) {
        // The last sample covers one median sample period; approximate it by the mean period.
        (Some(a), Some(b)) if samples.len() > 1 => {
            let span = b.t.micros_since(a.t);
            b.t.as_micros() + span / (samples.len() as i64 - 1)
        }
        (Some(a), _) => a.t.as_micros(),
        _ => 0,
    };
    let mut det = ImuDetectors::new(&opts.config).map_err(|e| e.to_string())?;
    for (block, pressure) in recording.blocks(opts.block) {
        det.process_with_pressure(block, pressure, &mut res.detections)
            .map_err(|e| format!("{}: {e}", rec.path.display()))?;
    }
    det.finish(&mut res.detections);
    if let Some(points) = opts.trace_points {
        let bucket = samples.len().div_ceil(points.max(1)).max(1);
        let mut tr = Trace {
            envelope_unit: "|a| (g)",
            ..Trace::default()
        };
        for c in samples.chunks(bucket) {
            tr.t_us.push(c[0].t.as_micros());
            tr.envelope.push(c.iter().fold(0f32, |m, s| {
                let a = s.accel;
                m.max((a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt() / 9.806_65)
            }));
        }
        res.trace = Some(tr);
    }
    Ok(())
}

/// Clip-level figures with their derived ratios, for tables and JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ClipSummary {
    /// The counts.
    #[serde(flatten)]
    pub counts: ClipMetrics,
    /// Share of positive clips found.
    pub recall: Option<f64>,
    /// Share of negative clips that triggered.
    pub false_trigger_share: Option<f64>,
    /// Detections per hour of negative clips.
    pub fa_per_hour: Option<f64>,
}

impl From<ClipMetrics> for ClipSummary {
    fn from(c: ClipMetrics) -> Self {
        ClipSummary {
            counts: c,
            recall: c.recall(),
            false_trigger_share: c.false_trigger_share(),
            fa_per_hour: c.fa_per_hour(),
        }
    }
}

/// One recording's line in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordingSummary {
    /// Short name.
    pub name: String,
    /// Class, if known.
    pub class: Option<String>,
    /// Subclass, if known.
    pub subclass: Option<String>,
    /// Duration, seconds.
    pub duration_s: f64,
    /// Number of detections (every kind).
    pub detections: usize,
    /// Event-level TP / FP / FN in this recording (when onsets are known).
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// False negatives.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Clip-level: positive clip found / negative clip triggered.
    pub clip_hit: Option<bool>,
    /// Why the recording could not be run.
    pub error: Option<String>,
}

/// Everything [`evaluate`] computes; serializes to the `--json` output.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CorpusReport {
    /// Collar used for kinds without their own, seconds.
    pub collar_s: f64,
    /// The collars used (microseconds), including per-kind ones.
    pub collars: Collars,
    /// Recordings run.
    pub recordings: usize,
    /// Recordings that could not be run.
    pub errors: usize,
    /// Total duration of the recordings run, seconds.
    pub duration_s: f64,
    /// Recordings with known onsets (scored at event level).
    pub event_scored_recordings: usize,
    /// Event-level figures per kind.
    pub events: BTreeMap<String, EventMetrics>,
    /// Event-level figures per subclass, then kind.
    pub events_by_subclass: BTreeMap<String, BTreeMap<String, EventMetrics>>,
    /// Clip-level figures per class.
    pub clips_by_class: BTreeMap<String, ClipSummary>,
    /// Clip-level figures per `class/subclass`.
    pub clips_by_subclass: BTreeMap<String, ClipSummary>,
    /// Clip-level figures over every positive and every negative clip.
    pub clips_total: Option<ClipSummary>,
    /// Clip-level figures per group: group key (`source_repo`, `subclass`, `dataset`, ...),
    /// then the key's value, then class. The pooled figure is [`CorpusReport::clips_by_class`].
    pub clips_by_group: BTreeMap<String, BTreeMap<String, BTreeMap<String, ClipSummary>>>,
    /// The worst group per key and class: the lowest recall among groups with positive clips
    /// and the highest false-trigger share among groups with negative clips.
    pub worst_by_group: BTreeMap<String, BTreeMap<String, WorstGroup>>,
    /// Event-level figures per group: key, value, kind (recordings with known onsets).
    pub events_by_group: BTreeMap<String, BTreeMap<String, BTreeMap<String, EventMetrics>>>,
    /// Per-recording lines.
    pub per_recording: Vec<RecordingSummary>,
    /// Per kind, how well `confidence` predicts that a detection is right (a reliability
    /// diagram; only kinds with scored detections).
    pub reliability: BTreeMap<String, Reliability>,
}

/// The worst group of one key for one class (see [`CorpusReport::worst_by_group`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorstGroup {
    /// The group's value (for example a source repository).
    pub group: String,
    /// Its figures.
    pub summary: ClipSummary,
}

/// The worst group of `groups` (value -> class -> summary) for `class`: lowest recall, or
/// highest false-trigger share when the class has no positives. Ties keep the first in order.
pub fn worst_group(
    groups: &BTreeMap<String, BTreeMap<String, ClipSummary>>,
    class: &str,
) -> Option<WorstGroup> {
    let mut best: Option<(f64, &String, &ClipSummary)> = None;
    for (g, m) in groups {
        let Some(c) = m.get(class) else { continue };
        let badness = match (c.recall, c.false_trigger_share) {
            (Some(r), _) if c.counts.positives > 0 => 1.0 - r,
            (_, Some(f)) => f,
            _ => continue,
        };
        if best.is_none_or(|(b, _, _)| badness > b) {
            best = Some((badness, g, c));
        }
    }
    best.map(|(_, g, c)| WorstGroup {
        group: g.clone(),
        summary: *c,
    })
}

/// Label for recordings without a subclass.
const NO_SUBCLASS: &str = "-";

/// Scores corpus results (see [`super::metrics`] for the rules).
pub fn evaluate(results: &[RecordingResult], collars: impl Into<Collars>) -> CorpusReport {
    let collars: Collars = collars.into();
    let mut rep = CorpusReport {
        collar_s: collars.default_us as f64 / 1e6,
        collars: collars.clone(),
        recordings: results.len(),
        ..CorpusReport::default()
    };
    let mut overall = TallyByKind::new();
    let mut by_sub: BTreeMap<String, TallyByKind> = BTreeMap::new();
    let mut clips_class: BTreeMap<String, ClipMetrics> = BTreeMap::new();
    let mut clips_sub: BTreeMap<String, ClipMetrics> = BTreeMap::new();
    let mut clips_total: Option<ClipMetrics> = None;
    type Nested<T> = BTreeMap<String, BTreeMap<String, T>>;
    let mut clips_group: Nested<BTreeMap<String, ClipMetrics>> = BTreeMap::new();
    let mut events_group: Nested<TallyByKind> = BTreeMap::new();
    for r in results {
        let rec = &r.recording;
        let mut line = RecordingSummary {
            name: rec.name.clone(),
            class: rec.class.clone(),
            subclass: rec.subclass.clone(),
            duration_s: r.duration_us as f64 / 1e6,
            detections: r.detections.len(),
            tp: 0,
            fp: 0,
            fn_: 0,
            clip_hit: None,
            error: r.error.clone(),
        };
        if r.error.is_some() {
            rep.errors += 1;
            rep.per_recording.push(line);
            continue;
        }
        rep.duration_s += r.duration_us as f64 / 1e6;
        let matching = rec
            .labels
            .as_ref()
            .map(|labels| match_events_with(labels, &r.detections, &collars, Some(&rec.kinds)));
        for (i, right) in detection_outcomes(
            rec.clip.as_ref(),
            matching.as_ref(),
            &r.detections,
            Some(&rec.kinds),
        ) {
            let d = &r.detections[i];
            rep.reliability
                .entry(scored_kind(d.kind).to_string())
                .or_default()
                .add(d.confidence, right);
        }
        if let (Some(labels), Some(m)) = (&rec.labels, matching) {
            rep.event_scored_recordings += 1;
            line.tp = m.matches.len();
            line.fp = m.false_alarms.len();
            line.fn_ = m.missed.len();
            let sub = rec.subclass.clone().unwrap_or_else(|| NO_SUBCLASS.into());
            tally(
                &mut overall,
                labels,
                &r.detections,
                &m,
                r.duration_us,
                &rec.kinds,
            );
            tally(
                by_sub.entry(sub).or_default(),
                labels,
                &r.detections,
                &m,
                r.duration_us,
                &rec.kinds,
            );
            for (k, v) in &rec.groups {
                tally(
                    events_group
                        .entry(k.clone())
                        .or_default()
                        .entry(v.clone())
                        .or_default(),
                    labels,
                    &r.detections,
                    &m,
                    r.duration_us,
                    &rec.kinds,
                );
            }
        }
        if let Some(truth) = &rec.clip {
            let c = clip_outcome(truth, &r.detections, r.duration_us, Some(&rec.kinds));
            line.clip_hit = Some(c.found + c.false_triggers > 0);
            let class = rec.class.clone().unwrap_or_else(|| NO_SUBCLASS.into());
            let sub = format!("{class}/{}", rec.subclass.as_deref().unwrap_or(NO_SUBCLASS));
            clips_class.entry(class.clone()).or_default().add(&c);
            clips_sub.entry(sub).or_default().add(&c);
            clips_total.get_or_insert_with(ClipMetrics::default).add(&c);
            for (k, v) in &rec.groups {
                clips_group
                    .entry(k.clone())
                    .or_default()
                    .entry(v.clone())
                    .or_default()
                    .entry(class.clone())
                    .or_default()
                    .add(&c);
            }
        }
        rep.per_recording.push(line);
    }
    // Only kinds that were actually exercised (a reference or a detection) get a row.
    let exercised = |t: &super::metrics::EventTally| t.tp + t.fp + t.fn_ > 0;
    // Overall, every kind scored over some time gets a row (a zero FA/h is a figure too),
    // except the consequence kinds when nothing exercised them.
    rep.events = overall
        .iter()
        .filter(|(k, t)| {
            exercised(t)
                || (t.duration_us > 0
                    && k.as_str() != "running_ended"
                    && k.as_str() != "officer_down_cancelled")
        })
        .map(|(k, t)| (k.clone(), t.metrics()))
        .collect();
    rep.events_by_subclass = by_sub
        .iter()
        .filter(|(_, m)| m.values().any(exercised))
        .map(|(s, m)| {
            (
                s.clone(),
                m.iter()
                    .filter(|(_, t)| exercised(t))
                    .map(|(k, t)| (k.clone(), t.metrics()))
                    .collect(),
            )
        })
        .collect();
    rep.clips_by_class = clips_class
        .into_iter()
        .map(|(k, c)| (k, c.into()))
        .collect();
    rep.clips_by_subclass = clips_sub.into_iter().map(|(k, c)| (k, c.into())).collect();
    rep.clips_total = clips_total.map(Into::into);
    rep.clips_by_group = clips_group
        .into_iter()
        .map(|(k, vals)| {
            let vals: BTreeMap<String, BTreeMap<String, ClipSummary>> = vals
                .into_iter()
                .map(|(v, classes)| (v, classes.into_iter().map(|(c, m)| (c, m.into())).collect()))
                .collect();
            (k, vals)
        })
        .collect();
    rep.worst_by_group = rep
        .clips_by_group
        .iter()
        .map(|(k, vals)| {
            let worst = rep
                .clips_by_class
                .keys()
                .filter_map(|class| worst_group(vals, class).map(|w| (class.clone(), w)))
                .collect();
            (k.clone(), worst)
        })
        .collect();
    rep.events_by_group = events_group
        .into_iter()
        .map(|(k, vals)| {
            let vals = vals
                .into_iter()
                .filter(|(_, m)| m.values().any(|t| t.duration_us > 0 || exercised(t)))
                .map(|(v, m)| {
                    let kinds = m
                        .iter()
                        .filter(|(k, t)| {
                            rep.events.contains_key(k.as_str())
                                && (exercised(t) || t.duration_us > 0)
                        })
                        .map(|(k, t)| (k.clone(), t.metrics()))
                        .collect();
                    (v, kinds)
                })
                .collect();
            (k, vals)
        })
        .collect();
    rep
}

/// Rows of a per-group clip table: for each class, the pooled row (`class (all)`), then one
/// row per group value (`class / value`), then the worst group.
pub fn group_clip_rows(rep: &CorpusReport, key: &str) -> Vec<Vec<String>> {
    let Some(vals) = rep.clips_by_group.get(key) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for (class, pooled) in &rep.clips_by_class {
        let mut groups: Vec<(String, &ClipSummary)> = vec![(format!("{class} (all)"), pooled)];
        for (v, m) in vals {
            if let Some(c) = m.get(class) {
                groups.push((format!("{class} / {v}"), c));
            }
        }
        if let Some(w) = rep.worst_by_group.get(key).and_then(|m| m.get(class)) {
            groups.push((format!("{class} worst: {}", w.group), &w.summary));
        }
        rows.extend(clip_rows(groups.iter().map(|(g, c)| (g, *c))));
    }
    rows
}

/// `collar 0.500 s (running 3.000 s)`.
pub fn describe_collars(c: &Collars) -> String {
    let mut s = format!("collar {:.3} s", c.default_us as f64 / 1e6);
    if !c.per_kind.is_empty() {
        let parts: Vec<String> = c
            .per_kind
            .iter()
            .map(|(k, us)| format!("{k} {:.3} s", *us as f64 / 1e6))
            .collect();
        s.push_str(&format!(" ({})", parts.join(", ")));
    }
    s
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{:.1}%", v * 100.0))
}
fn num(x: Option<f64>, prec: usize) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{v:.prec$}"))
}
fn ms(x: Option<i64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{:.0}", v as f64 / 1000.0))
}

/// Formats rows as an aligned text table (first column left-aligned, the rest right-aligned).
pub fn text_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut w: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < w.len() {
                w[i] = w[i].max(c.chars().count());
            }
        }
    }
    let mut s = String::new();
    let line = |cells: Vec<&str>, s: &mut String| {
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            let pad = w[i].saturating_sub(c.chars().count());
            if i == 0 {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        s.push('\n');
    };
    line(header.to_vec(), &mut s);
    let total: usize = w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
    s.push_str(&"-".repeat(total));
    s.push('\n');
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut s);
    }
    s
}

/// Rows of the clip-level table: `(group, summary)` -> cells.
pub fn clip_rows<'a>(
    groups: impl IntoIterator<Item = (&'a String, &'a ClipSummary)>,
) -> Vec<Vec<String>> {
    groups
        .into_iter()
        .map(|(g, c)| {
            let k = &c.counts;
            vec![
                g.clone(),
                (k.positives + k.negatives).to_string(),
                (k.found + k.false_triggers).to_string(),
                pct(c.recall),
                pct(c.false_trigger_share),
                num(c.fa_per_hour, 1),
            ]
        })
        .collect()
}

/// Header of [`clip_rows`].
pub const CLIP_HEADER: [&str; 6] = [
    "group",
    "clips",
    "with det.",
    "recall",
    "false trig.",
    "FA/h",
];

/// Rows of the event-level table.
pub fn event_rows<'a>(
    groups: impl IntoIterator<Item = (String, &'a EventMetrics)>,
) -> Vec<Vec<String>> {
    groups
        .into_iter()
        .map(|(g, e)| {
            vec![
                g,
                e.tp.to_string(),
                e.fp.to_string(),
                e.fn_.to_string(),
                pct(e.precision),
                pct(e.recall),
                num(e.f1, 3),
                num(e.fa_per_hour, 1),
                ms(e.latency.p50_us),
                ms(e.latency.p95_us),
                ms(e.latency.max_us),
            ]
        })
        .collect()
}

/// Header of [`event_rows`].
pub const EVENT_HEADER: [&str; 11] = [
    "kind",
    "TP",
    "FP",
    "FN",
    "precision",
    "recall",
    "F1",
    "FA/h",
    "lat p50 ms",
    "p95 ms",
    "max ms",
];

impl CorpusReport {
    /// The readable tables (clip level when any clip has clip-level truth, event level when
    /// any recording has known onsets, then errors).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{} recordings, {:.1} min, {} unreadable; {}\n",
            self.recordings,
            self.duration_s / 60.0,
            self.errors,
            describe_collars(&self.collars)
        );
        if !self.clips_by_subclass.is_empty() {
            s.push_str("\nClip level, per class:\n");
            s.push_str(&text_table(&CLIP_HEADER, &clip_rows(&self.clips_by_class)));
            s.push_str("\nClip level, per subclass:\n");
            s.push_str(&text_table(
                &CLIP_HEADER,
                &clip_rows(&self.clips_by_subclass),
            ));
            // The subclass grouping is the table above; every other key gets its own.
            for key in self
                .clips_by_group
                .keys()
                .filter(|k| k.as_str() != "subclass")
            {
                s.push_str(&format!("\nClip level, per {key} (pooled, each, worst):\n"));
                s.push_str(&text_table(&CLIP_HEADER, &group_clip_rows(self, key)));
            }
        }
        if self.event_scored_recordings > 0 {
            s.push_str(&format!(
                "\nEvent level ({} recordings with known onsets):\n",
                self.event_scored_recordings
            ));
            s.push_str(&text_table(
                &EVENT_HEADER,
                &event_rows(self.events.iter().map(|(k, e)| (k.clone(), e))),
            ));
            if self.events_by_subclass.len() > 1 {
                s.push_str("\nEvent level, per subclass:\n");
                let rows =
                    event_rows(self.events_by_subclass.iter().flat_map(|(sub, m)| {
                        m.iter().map(move |(k, e)| (format!("{sub} {k}"), e))
                    }));
                s.push_str(&text_table(&EVENT_HEADER, &rows));
            }
            for (key, vals) in self
                .events_by_group
                .iter()
                .filter(|(k, _)| k.as_str() != "subclass")
            {
                if vals.len() > 1 {
                    s.push_str(&format!("\nEvent level, per {key}:\n"));
                    let rows =
                        event_rows(vals.iter().flat_map(|(v, m)| {
                            m.iter().map(move |(k, e)| (format!("{v} {k}"), e))
                        }));
                    s.push_str(&text_table(&EVENT_HEADER, &rows));
                }
            }
        }
        for r in &self.per_recording {
            if let Some(e) = &r.error {
                s.push_str(&format!("error: {e}\n"));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_with_quotes() {
        assert_eq!(
            split_csv(r#"a, "b,c" ,"say ""hi""",,"#),
            vec!["a", "b,c", r#"say "hi""#, "", ""]
        );
    }

    #[test]
    fn modality_by_extension() {
        assert_eq!(
            Modality::from_path(Path::new("x/a.WAV")),
            Some(Modality::Audio)
        );
        assert_eq!(
            Modality::from_path(Path::new("a.csv")),
            Some(Modality::ImuCsv)
        );
        assert_eq!(Modality::from_path(Path::new("a.labels.csv")), None);
        assert_eq!(Modality::from_path(Path::new("MANIFEST.csv")), None);
        assert_eq!(
            Modality::from_path(Path::new("a.txt")),
            Some(Modality::Sisfall)
        );
        assert_eq!(
            Modality::from_path(Path::new("a.mp3")),
            cfg!(feature = "media").then_some(Modality::Audio)
        );
        assert_eq!(Modality::from_path(Path::new("a.xyz")), None);
    }

    #[test]
    fn text_table_aligns() {
        let t = text_table(&["a", "bb"], &[vec!["xyz".into(), "1".into()]]);
        assert_eq!(t, "a    bb\n-------\nxyz   1\n");
    }
}
