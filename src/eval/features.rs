//! Feature extraction as matrices (frames x features), for research and CSV export, and the
//! per-recording feature cache that lets sweeps re-run only the gunshot decision stage.

use super::corpus::RecordingResult;
use crate::audio::{FeatureFrame, FrameTiming, GunshotConfig, GunshotDecider, OnsetFeatures};
use crate::error::ConfigError;
use crate::io::{self, Audio};
use crate::Timestamp;
use ndarray::Array2;

/// Block size used to feed whole recordings to the streaming extractor (any size gives the
/// same frames).
const BLOCK: usize = 4096;

/// A feature matrix: one row per hop, one column per feature.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    /// `frames x features` values, columns in the order of [`FeatureMatrix::names`].
    pub values: Array2<f32>,
    /// Column names ([`FeatureFrame::NAMES`]).
    pub names: Vec<&'static str>,
    /// Start time of each row's hop.
    pub times: Vec<Timestamp>,
}

/// The onset features of `samples` (mono, full scale 1) at `sample_rate`, computed by the
/// streaming extractor ([`OnsetFeatures`]) of the gunshot detector.
///
/// ```
/// use autotrigger::audio::GunshotConfig;
/// use autotrigger::eval::features::feature_matrix;
/// let m = feature_matrix(&vec![0.0; 16_000], 16_000, &GunshotConfig::default()).unwrap();
/// assert_eq!(m.values.ncols(), m.names.len());
/// assert_eq!(m.values.nrows(), m.times.len());
/// assert_eq!(m.times[1].as_micros(), 5_000); // 5 ms hops by default
/// ```
pub fn feature_matrix(
    samples: &[f32],
    sample_rate: u32,
    config: &GunshotConfig,
) -> Result<FeatureMatrix, ConfigError> {
    let (frames, _) = frames_of(samples, sample_rate, config)?;
    let names = FeatureFrame::NAMES.to_vec();
    let mut values = Array2::<f32>::zeros((frames.len(), names.len()));
    for (mut row, f) in values.rows_mut().into_iter().zip(&frames) {
        for (x, v) in row.iter_mut().zip(f.values()) {
            *x = v;
        }
    }
    Ok(FeatureMatrix {
        values,
        names,
        times: frames.iter().map(|f| f.start(sample_rate)).collect(),
    })
}

/// [`feature_matrix`] of a decoded recording.
pub fn feature_matrix_of(
    audio: &Audio,
    config: &GunshotConfig,
) -> Result<FeatureMatrix, ConfigError> {
    feature_matrix(&audio.samples, audio.sample_rate, config)
}

impl FeatureMatrix {
    /// CSV text: header `t_s,<names>`, one row per hop.
    pub fn to_csv(&self) -> String {
        let mut s = String::from("t_s");
        for n in &self.names {
            s.push(',');
            s.push_str(n);
        }
        s.push('\n');
        for (t, row) in self.times.iter().zip(self.values.rows()) {
            s.push_str(&format!("{:.6}", t.as_secs_f64()));
            for v in row {
                s.push(',');
                s.push_str(&v.to_string());
            }
            s.push('\n');
        }
        s
    }
}

/// Column names of [`imu_gait_matrix`] (the fields of [`crate::imu::GaitFeatures`]).
pub const GAIT_NAMES: [&str; 4] = ["cadence_spm", "periodicity", "rms_g", "step_peak_g"];

/// The running detector's gait features over an IMU recording: one row each time the detector
/// finishes an analysis window with new features (the detector exposes only its latest
/// window, so the samples are fed one at a time and a row is taken whenever
/// [`crate::imu::RunningDetector::last_features`] changes; two consecutive identical windows
/// give one row). Times are those of the sample that completed the window.
pub fn imu_gait_matrix(
    samples: &[crate::imu::ImuSample],
    config: &crate::Config,
) -> Result<FeatureMatrix, ConfigError> {
    use crate::StreamingDetector;
    let mut det = crate::imu::RunningDetector::new(&config.running, &config.orientation)?;
    let mut rows: Vec<[f32; 4]> = Vec::new();
    let mut times = Vec::new();
    let mut last = None;
    let mut sink: Vec<crate::Event> = Vec::new();
    for s in samples {
        // Out-of-order samples are rejected by the detector and simply give no row.
        let _ = det.process(std::slice::from_ref(s), &mut sink);
        sink.clear();
        let f = det.last_features();
        if f.is_some() && f != last {
            if let Some(g) = f {
                rows.push([g.cadence_spm, g.periodicity, g.rms_g, g.step_peak_g]);
                times.push(s.t);
            }
            last = f;
        }
    }
    let mut values = Array2::<f32>::zeros((rows.len(), GAIT_NAMES.len()));
    for (mut row, r) in values.rows_mut().into_iter().zip(&rows) {
        for (x, v) in row.iter_mut().zip(r) {
            *x = *v;
        }
    }
    Ok(FeatureMatrix {
        values,
        names: GAIT_NAMES.to_vec(),
        times,
    })
}

fn frames_of(
    samples: &[f32],
    sample_rate: u32,
    config: &GunshotConfig,
) -> Result<(Vec<FeatureFrame>, FrameTiming), ConfigError> {
    let mut fx = OnsetFeatures::new(config, sample_rate)?;
    let mut frames = Vec::new();
    for b in samples.chunks(BLOCK) {
        fx.push(b, |f| frames.push(*f));
    }
    Ok((frames, fx.timing()))
}

/// A recording's feature frames under one feature setting, for re-running the decision stage
/// with other decision parameters.
#[derive(Debug, Clone)]
pub struct AudioFrames {
    frames: Vec<FeatureFrame>,
    timing: Option<FrameTiming>,
    duration_us: i64,
    error: Option<String>,
}

impl AudioFrames {
    /// Reads the recording and computes its frames (an unreadable file or unsupported rate is
    /// kept as the error every decision then reports).
    pub fn compute(rec: &super::corpus::Recording, config: &GunshotConfig) -> Self {
        let mut out = AudioFrames {
            frames: Vec::new(),
            timing: None,
            duration_us: 0,
            error: None,
        };
        match io::read_audio(&rec.path) {
            Err(e) => out.error = Some(e.to_string()),
            Ok(a) => {
                out.duration_us = a.duration_us();
                match frames_of(&a.samples, a.sample_rate, config) {
                    Ok((f, t)) => {
                        out.frames = f;
                        out.timing = Some(t);
                    }
                    Err(e) => out.error = Some(super::corpus::config_error(rec, &e)),
                }
            }
        }
        out
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True when there are no frames.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Runs the decision stage of `config` over the frames: the same events as the full
    /// detector with `config` when `config` has the same feature parameters as the frames.
    pub fn decide(
        &self,
        rec: &super::corpus::Recording,
        config: &GunshotConfig,
    ) -> RecordingResult {
        let mut res = RecordingResult {
            recording: rec.clone(),
            duration_us: self.duration_us,
            detections: Vec::new(),
            error: self.error.clone(),
            trace: None,
        };
        if let Some(t) = self.timing {
            match GunshotDecider::new(config, t) {
                Ok(mut d) => {
                    for f in &self.frames {
                        d.push(f, &mut res.detections);
                    }
                    d.finish(&mut res.detections);
                }
                Err(e) => {
                    res.error = Some(super::corpus::config_error(rec, &e));
                }
            }
        }
        res
    }
}
