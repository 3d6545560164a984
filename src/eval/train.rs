//! Training the gunshot detector's second stage ([`crate::audio::GunshotModel`]) on labelled
//! recordings, and scoring it leave-one-source-out.
//!
//! 1. [`extract`]: every recording is run through the onset stage with the `model` decision
//!    stage; every candidate's feature vector is kept (the candidates do not depend on the
//!    model: the model stage has no state between decisions).
//! 2. [`fit`]: clip labels only say that a gunshot clip holds a shot somewhere, so the
//!    positives are chosen per clip (multiple-instance learning): first the candidate with the
//!    largest rise over the noise floor, then, for [`TrainOptions::rounds`] rounds, the one
//!    the current model scores highest. Every candidate of a negative clip is a negative.
//!    Features are standardised (training mean and standard deviation), and an L2-regularised
//!    logistic regression is fitted by Newton's method with a fixed number of iterations, in a
//!    fixed order, in `f64`: the same inputs give the same model, bit for bit.
//! 3. Thresholds: `threshold` (`medium`), `threshold_low` and `threshold_high` are the lowest
//!    probabilities at which the training ambient recordings give at most
//!    [`TrainOptions::fa_per_hour`] false events per hour (`medium`, `low`, `high`).
//! 4. [`leave_one_group_out`]: for each source, fit on every other source and score the held-out
//!    one (clips found, clips triggering, false events).

use super::corpus::{Modality, Recording};
use super::metrics::ClipTruth;
use crate::audio::model::{FeatureVector, GunshotModel, MODEL_FEATURES, N_FEATURES};
use crate::audio::{GunshotConfig, GunshotDecider, GunshotStage, OnsetFeatures};
use crate::event::Event;
use crate::io;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use thiserror::Error;

/// Training could not run.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum TrainError {
    /// Some recordings could not be read (each `path: reason`).
    #[error("{} recording(s) could not be read:\n  {}", .0.len(), .0.join("\n  "))]
    Unreadable(Vec<String>),
    /// No recording is an audio recording with clip labels (a dev-set manifest).
    #[error("no labelled audio recordings: train needs audio MANIFEST.csv files (class column)")]
    NoLabelledAudio,
    /// No positive (gunshot) clip has a candidate onset.
    #[error("no positive examples: none of the {clips} gunshot clip(s) has a candidate onset")]
    NoPositives {
        /// Gunshot clips given.
        clips: usize,
    },
    /// No negative clip has a candidate onset.
    #[error("no negative examples: none of the {clips} non-gunshot clip(s) has a candidate onset")]
    NoNegatives {
        /// Negative clips given.
        clips: usize,
    },
}

/// One recording's candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingCandidates {
    /// The recording.
    pub recording: Recording,
    /// Its duration, microseconds.
    pub duration_us: i64,
    /// Every candidate's features, in decision order.
    pub candidates: Vec<FeatureVector>,
    /// Every candidate's onset, microseconds (same order).
    pub onsets_us: Vec<i64>,
    /// The reference gunshot onsets, microseconds, when they are known: a recording with a
    /// label side-car (augmented scenes: [`crate::synth::augment`]) or a negative clip
    /// (known to hold none). `None` for a gunshot clip of the dev set, whose shot is
    /// somewhere in the clip (chosen by multiple-instance learning, see [`fit`]).
    pub label_onsets_us: Option<Vec<i64>>,
}

impl RecordingCandidates {
    /// True for a gunshot (positive) clip.
    pub fn positive(&self) -> bool {
        matches!(self.recording.clip, Some(ClipTruth::Positive(_)))
    }

    /// The value of group `key` (`source_repo`, ...), if the recording has it.
    pub fn group(&self, key: &str) -> Option<&str> {
        self.recording
            .groups
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// True for an augmented scene (its manifest row names the event's and the background's
    /// sources, `event_source_repo` / `background_source_repo`).
    pub fn augmented(&self) -> bool {
        self.group(EVENT_SOURCE).is_some() || self.group(BACKGROUND_SOURCE).is_some()
    }

    /// True when the recording holds audio of group value `g` of `key`: its own group, or,
    /// for `source_repo` and an augmented scene, its event's or its background's source. A
    /// leave-one-source-out fit must not see any recording that depends on the held-out
    /// source.
    pub fn depends_on(&self, key: &str, g: &str) -> bool {
        self.group(key) == Some(g)
            || (key == SOURCE
                && (self.group(EVENT_SOURCE) == Some(g)
                    || self.group(BACKGROUND_SOURCE) == Some(g)))
    }

    /// Each candidate's role in training: `Some(true)` a positive, `Some(false)` a
    /// negative, `None` not used. A recording with known onsets: the candidate with the
    /// largest rise over the floor within [`MATCH_US`] of a reference onset is that onset's
    /// positive; other candidates from [`EVENT_BEFORE_US`] before to [`EVENT_AFTER_US`] after
    /// a reference onset are not used (the excerpt's echoes, the clip's own background, the
    /// rounds of a burst the labels do not list); every other candidate is a negative. A
    /// dev gunshot clip: `None` for every candidate (multiple-instance learning chooses); a
    /// negative clip without onsets: every candidate is a negative.
    pub fn roles(&self) -> Vec<Option<bool>> {
        let Some(onsets) = &self.label_onsets_us else {
            // No onsets: a negative clip's candidates are all negatives; a gunshot clip's
            // positive is chosen by multiple-instance learning.
            let role = (!self.positive()).then_some(false);
            return vec![role; self.candidates.len()];
        };
        let mut roles: Vec<Option<bool>> = self
            .onsets_us
            .iter()
            .map(|&t| {
                let near = onsets
                    .iter()
                    .any(|&o| t >= o - EVENT_BEFORE_US && t <= o + EVENT_AFTER_US);
                if near {
                    None
                } else {
                    Some(false)
                }
            })
            .collect();
        for &o in onsets {
            let best = (0..self.candidates.len())
                .filter(|&j| (self.onsets_us[j] - o).abs() <= MATCH_US)
                .max_by(|&a, &b| {
                    f64::from(self.candidates[a][0]).total_cmp(&f64::from(self.candidates[b][0]))
                });
            if let Some(j) = best {
                roles[j] = Some(true);
            }
        }
        roles
    }
}

/// The manifest column of a recording's source.
const SOURCE: &str = "source_repo";
/// The augmented-scene manifest column naming the event's source.
const EVENT_SOURCE: &str = "event_source_repo";
/// The augmented-scene manifest column naming the background's source.
const BACKGROUND_SOURCE: &str = "background_source_repo";
/// A candidate within this of a reference onset can be its positive, microseconds (onset
/// estimates are within a hop or two of the labelled onset: 50 ms leaves room for a shot
/// whose labelled onset is a precursor, an N-wave ahead of the blast).
pub const MATCH_US: i64 = 50_000;
/// Candidates from this long before a reference onset ... (see
/// [`RecordingCandidates::roles`]), microseconds.
pub const EVENT_BEFORE_US: i64 = 100_000;
/// ... to this long after it are not used as negatives, microseconds (an augmented event
/// excerpt lasts at most 1 s after its onset by default).
pub const EVENT_AFTER_US: i64 = 1_000_000;

/// Runs the onset stage over every labelled audio recording and keeps every candidate's
/// features (in parallel; results in input order). Errors list every unreadable file.
pub fn extract(
    recs: &[Recording],
    config: &GunshotConfig,
) -> Result<Vec<RecordingCandidates>, TrainError> {
    let mut cfg = config.clone();
    cfg.stage = GunshotStage::Model;
    let labelled: Vec<&Recording> = recs
        .iter()
        .filter(|r| r.modality == Modality::Audio && r.clip.is_some())
        .collect();
    if labelled.is_empty() {
        return Err(TrainError::NoLabelledAudio);
    }
    let out: Vec<Result<RecordingCandidates, String>> = labelled
        .par_iter()
        .map(|r| candidates_of(r, &cfg))
        .collect();
    let errors: Vec<String> = out
        .iter()
        .filter_map(|r| r.as_ref().err().cloned())
        .collect();
    if !errors.is_empty() {
        return Err(TrainError::Unreadable(errors));
    }
    Ok(out.into_iter().filter_map(Result::ok).collect())
}

fn candidates_of(rec: &Recording, cfg: &GunshotConfig) -> Result<RecordingCandidates, String> {
    let audio = io::read_wav(&rec.path).map_err(|e| e.to_string())?;
    let err = |e: crate::error::ConfigError| format!("{}: {e}", rec.path.display());
    let mut fx = OnsetFeatures::new(cfg, audio.sample_rate).map_err(err)?;
    let model = GunshotModel::neutral();
    let mut dec = GunshotDecider::with_model(cfg, fx.timing(), &model).map_err(err)?;
    let mut rows: Vec<FeatureVector> = Vec::new();
    let mut onsets: Vec<i64> = Vec::new();
    let mut sink: Vec<Event> = Vec::new();
    let mut keep = |e: &Event, _: &[&'static str]| {
        let mut x = [0f32; N_FEATURES];
        for (i, name) in MODEL_FEATURES.iter().enumerate() {
            x[i] = e.evidence.get(name).map_or(f32::NAN, |it| it.value);
        }
        rows.push(x);
        onsets.push(e.onset.as_micros());
    };
    for block in audio.samples.chunks(4096) {
        fx.push(block, |f| {
            dec.push_traced(f, &mut sink, &mut keep);
        });
        sink.clear();
    }
    dec.finish_traced(&mut sink, &mut keep);
    Ok(RecordingCandidates {
        recording: rec.clone(),
        duration_us: audio.duration_us(),
        candidates: rows,
        onsets_us: onsets,
        label_onsets_us: rec.labels.as_ref().map(|l| {
            l.iter()
                .filter(|x| x.kind == "gunshot")
                .map(|x| x.onset.as_micros())
                .collect()
        }),
    })
}

/// Training settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainOptions {
    /// L2 penalty on the standardised weights (not the bias). Default 1.
    pub l2: f64,
    /// Newton iterations per fit. Default 25.
    pub iterations: usize,
    /// Re-selection rounds of the positive candidate per gunshot clip. Default 2.
    pub rounds: usize,
    /// False events per hour of ambient audio allowed at the `low`, `medium` and `high`
    /// thresholds. Default 1, 6, 30.
    pub fa_per_hour: [f64; 3],
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            l2: 1.0,
            iterations: 25,
            rounds: 2,
            fa_per_hour: [1.0, 6.0, 30.0],
        }
    }
}

/// What [`fit`] used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitSummary {
    /// Positive examples (one per gunshot clip with a candidate).
    pub positives: usize,
    /// Gunshot clips without onsets and without any candidate (cannot be found by any
    /// model).
    pub positive_clips_without_candidates: usize,
    /// Labelled gunshot onsets (augmented scenes) without a candidate within [`MATCH_US`].
    pub onsets_without_candidate: usize,
    /// Negative examples (every candidate of a negative clip).
    pub negatives: usize,
    /// Ambient audio the thresholds were chosen on, hours.
    pub ambient_hours: f64,
}

/// Fits the model on the recordings `data[i]` with `use_it(i)` (see the module docs).
pub fn fit(
    data: &[RecordingCandidates],
    use_it: impl Fn(usize) -> bool,
    opts: &TrainOptions,
) -> Result<(GunshotModel, FitSummary), TrainError> {
    let idx: Vec<usize> = (0..data.len()).filter(|&i| use_it(i)).collect();
    // Dev gunshot clips without onsets: multiple-instance learning picks their positive.
    let mil: Vec<usize> = idx
        .iter()
        .copied()
        .filter(|&i| data[i].positive() && data[i].label_onsets_us.is_none())
        .collect();
    let mil_with_cands = mil
        .iter()
        .filter(|&&i| !data[i].candidates.is_empty())
        .count();
    let mut negatives: Vec<&FeatureVector> = Vec::new();
    let mut timed_pos: Vec<&FeatureVector> = Vec::new();
    let mut onsets_missed = 0usize;
    for &i in &idx {
        let r = &data[i];
        if r.positive() && r.label_onsets_us.is_none() {
            continue;
        }
        let roles = r.roles();
        for (x, role) in r.candidates.iter().zip(&roles) {
            match role {
                Some(true) => timed_pos.push(x),
                Some(false) => negatives.push(x),
                None => {}
            }
        }
        let labelled = r.label_onsets_us.as_ref().map_or(0, Vec::len);
        onsets_missed += labelled - roles.iter().filter(|&&x| x == Some(true)).count();
    }
    if mil_with_cands == 0 && timed_pos.is_empty() {
        return Err(TrainError::NoPositives {
            clips: idx.iter().filter(|&&i| data[i].positive()).count(),
        });
    }
    if negatives.is_empty() {
        return Err(TrainError::NoNegatives {
            clips: idx.iter().filter(|&&i| !data[i].positive()).count(),
        });
    }
    // Round 0: the candidate with the largest rise over the floor (feature 0, `rise_db`).
    let mut chosen: Vec<&FeatureVector> = timed_pos.clone();
    chosen.extend(
        mil.iter()
            .filter_map(|&i| argmax(&data[i].candidates, |x| f64::from(x[0]))),
    );
    let mut model = fit_logistic(&chosen, &negatives, opts);
    for _ in 0..opts.rounds {
        chosen.truncate(timed_pos.len());
        chosen.extend(
            mil.iter().filter_map(|&i| {
                argmax(&data[i].candidates, |x| f64::from(model.contributions(x).1))
            }),
        );
        model = fit_logistic(&chosen, &negatives, opts);
    }
    // Thresholds from the ambient recordings' false events per hour.
    // Recordings of ambient audio known to hold no shot (dev ambient clips, augmented scenes
    // of ambient backgrounds without an event).
    let ambient: Vec<usize> = idx
        .iter()
        .copied()
        .filter(|&i| {
            data[i].recording.class.as_deref() == Some("ambient")
                && data[i].label_onsets_us.as_ref().is_some_and(Vec::is_empty)
        })
        .collect();
    let hours: f64 = ambient
        .iter()
        .map(|&i| data[i].duration_us as f64 / 3.6e9)
        .sum();
    let mut amb: Vec<f32> = ambient
        .iter()
        .flat_map(|&i| data[i].candidates.iter().map(|x| model.probability(x)))
        .collect();
    amb.sort_by(|a, b| b.total_cmp(a));
    let thr = |per_hour: f64| -> f32 {
        let allowed = (per_hour * hours).floor() as usize;
        // Above the (allowed+1)-th highest ambient probability.
        let t = amb.get(allowed).map_or(0.05, |&p| next_up(p));
        t.clamp(0.01, 0.99)
    };
    model.threshold_low = thr(opts.fa_per_hour[0]);
    model.threshold = thr(opts.fa_per_hour[1]);
    model.threshold_high = thr(opts.fa_per_hour[2]);
    // The file keeps 7 significant digits: round-trip so that the fitted model is the one a
    // reader of the file gets.
    let model = GunshotModel::from_toml_str(&model.to_toml(&[])).unwrap_or(model);
    Ok((
        model,
        FitSummary {
            positives: chosen.len(),
            positive_clips_without_candidates: mil.len() - mil_with_cands,
            onsets_without_candidate: onsets_missed,
            negatives: negatives.len(),
            ambient_hours: hours,
        },
    ))
}

/// The comment lines written at the top of a model file: the command, the data and what the
/// fit used (no paths or times, so the file depends only on the inputs).
pub fn model_header(
    data: &[RecordingCandidates],
    sum: &FitSummary,
    opts: &TrainOptions,
) -> Vec<String> {
    let pos = data.iter().filter(|r| r.positive()).count();
    vec![
        "autotrigger gunshot model (logistic second stage), written by `autotrigger train`.".into(),
        "Default model: scripts/train_gunshot_model.sh (the dev set plus the augmented scenes of models/gunshot.augment.args).".into(),
        format!(
            "Data: {} recordings ({} gunshot, {} other; {} of them augmented scenes); {} positive and {} negative candidates; {} gunshot clips and {} labelled onsets without a candidate; {:.3} h of ambient audio.",
            data.len(),
            pos,
            data.len() - pos,
            data.iter().filter(|r| r.augmented()).count(),
            sum.positives,
            sum.negatives,
            sum.positive_clips_without_candidates,
            sum.onsets_without_candidate,
            sum.ambient_hours
        ),
        format!(
            "Fit: l2 = {}, {} Newton iterations, {} positive re-selection rounds; thresholds at {} / {} / {} false events per hour of ambient audio (low / medium / high).",
            opts.l2, opts.iterations, opts.rounds, opts.fa_per_hour[0], opts.fa_per_hour[1], opts.fa_per_hour[2]
        ),
    ]
}

/// The smallest probability above `p` in the model file's precision.
fn next_up(p: f32) -> f32 {
    let t: f32 = format!("{p:.6e}").parse().unwrap_or(p);
    if t > p {
        t
    } else {
        format!("{:.6e}", p * (1.0 + 2e-6)).parse().unwrap_or(p)
    }
}

fn argmax(v: &[FeatureVector], key: impl Fn(&FeatureVector) -> f64) -> Option<&FeatureVector> {
    let mut best: Option<(f64, &FeatureVector)> = None;
    for x in v {
        let k = key(x);
        if best.is_none_or(|(b, _)| k > b) {
            best = Some((k, x));
        }
    }
    best.map(|(_, x)| x)
}

fn clean(x: &FeatureVector) -> [f64; N_FEATURES] {
    let mut o = [0.0; N_FEATURES];
    for i in 0..N_FEATURES {
        o[i] = if x[i].is_finite() {
            f64::from(x[i])
        } else {
            0.0
        };
    }
    o
}

/// Standardises and fits an L2-regularised logistic regression by Newton's method.
fn fit_logistic(
    pos: &[&FeatureVector],
    neg: &[&FeatureVector],
    opts: &TrainOptions,
) -> GunshotModel {
    let rows: Vec<([f64; N_FEATURES], f64)> = pos
        .iter()
        .map(|x| (clean(x), 1.0))
        .chain(neg.iter().map(|x| (clean(x), 0.0)))
        .collect();
    let n = rows.len() as f64;
    let mut mean = [0.0f64; N_FEATURES];
    for (x, _) in &rows {
        for i in 0..N_FEATURES {
            mean[i] += x[i];
        }
    }
    for m in &mut mean {
        *m /= n;
    }
    let mut sd = [0.0f64; N_FEATURES];
    for (x, _) in &rows {
        for i in 0..N_FEATURES {
            sd[i] += (x[i] - mean[i]).powi(2);
        }
    }
    for s in &mut sd {
        *s = (*s / n).sqrt();
        if s.is_nan() || *s <= 1e-6 {
            *s = 1.0;
        }
    }
    // Round mean and scale to the file's precision first, so the weights are fitted on
    // exactly the standardisation the file describes.
    let r7 = |v: f64| -> f64 { format!("{:.6e}", v as f32).parse::<f64>().unwrap_or(v) };
    for i in 0..N_FEATURES {
        mean[i] = r7(mean[i]);
        sd[i] = r7(sd[i]);
    }
    const D: usize = N_FEATURES + 1;
    let z: Vec<([f64; D], f64)> = rows
        .iter()
        .map(|(x, y)| {
            let mut v = [1.0f64; D];
            for i in 0..N_FEATURES {
                v[i + 1] = (x[i] - mean[i]) / sd[i];
            }
            (v, *y)
        })
        .collect();
    let mut w = [0.0f64; D];
    for _ in 0..opts.iterations {
        let mut g = [0.0f64; D];
        let mut h = [[0.0f64; D]; D];
        for (v, y) in &z {
            let s: f64 = (0..D).map(|i| w[i] * v[i]).sum();
            let p = 1.0 / (1.0 + (-s).exp());
            let r = p * (1.0 - p);
            for i in 0..D {
                g[i] += (p - y) * v[i];
                for j in 0..D {
                    h[i][j] += r * v[i] * v[j];
                }
            }
        }
        for i in 1..D {
            g[i] += opts.l2 * w[i];
            h[i][i] += opts.l2;
        }
        h[0][0] += 1e-9;
        let Some(step) = solve(h, g) else { break };
        for i in 0..D {
            w[i] -= step[i];
        }
    }
    let mut m = GunshotModel::neutral();
    m.bias = w[0] as f32;
    for i in 0..N_FEATURES {
        m.mean[i] = mean[i] as f32;
        m.scale[i] = sd[i] as f32;
        m.weight[i] = w[i + 1] as f32;
    }
    m
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` when singular.
fn solve<const D: usize>(mut a: [[f64; D]; D], mut b: [f64; D]) -> Option<[f64; D]> {
    for c in 0..D {
        let p = (c..D).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-300 {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        for r in c + 1..D {
            let f = a[r][c] / a[c][c];
            let pivot = a[c];
            for (k, v) in a[r].iter_mut().enumerate().skip(c) {
                *v -= f * pivot[k];
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = [0.0; D];
    for c in (0..D).rev() {
        let s: f64 = (c + 1..D).map(|k| a[c][k] * x[k]).sum();
        x[c] = (b[c] - s) / a[c][c];
    }
    Some(x)
}

/// Clip-level figures of one class in one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ClassFigures {
    /// Clips.
    pub clips: usize,
    /// Clips with at least one detection (found, for gunshot clips; triggering, otherwise).
    pub with_detection: usize,
    /// Detections in those clips (false events, for negative clips).
    pub detections: usize,
    /// Duration, seconds.
    pub duration_s: f64,
}

impl ClassFigures {
    /// `with_detection / clips`.
    pub fn share(&self) -> Option<f64> {
        (self.clips > 0).then(|| self.with_detection as f64 / self.clips as f64)
    }
}

/// Scores `data[i]` for the `i` in `which` with `model` at probability `threshold`: figures
/// per class.
pub fn score(
    data: &[RecordingCandidates],
    which: impl Iterator<Item = usize>,
    model: &GunshotModel,
    threshold: f32,
) -> BTreeMap<String, ClassFigures> {
    let mut out: BTreeMap<String, ClassFigures> = BTreeMap::new();
    for i in which {
        let r = &data[i];
        let n = r
            .candidates
            .iter()
            .filter(|x| model.probability(x) >= threshold)
            .count();
        let c = out
            .entry(r.recording.class.clone().unwrap_or_else(|| "-".into()))
            .or_default();
        c.clips += 1;
        c.with_detection += usize::from(n > 0);
        c.detections += n;
        c.duration_s += r.duration_us as f64 / 1e6;
    }
    out
}

/// One held-out group's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldOut {
    /// The group (source).
    pub group: String,
    /// Per class, at the fold model's `threshold`.
    pub classes: BTreeMap<String, ClassFigures>,
    /// The fold model's threshold.
    pub threshold: f32,
    /// Why the fold could not be fitted, if it could not.
    pub error: Option<String>,
}

/// Leave-one-group-out: for each value of `key` among the recordings that are not augmented
/// scenes (or among all, when every recording is one), fits on the recordings that do not
/// depend on it ([`RecordingCandidates::depends_on`]: for `source_repo`, an augmented scene
/// whose event or background comes from the held-out source is left out too) and scores the
/// held-out group's recordings that are not augmented scenes with that model at its own
/// `threshold`.
pub fn leave_one_group_out(
    data: &[RecordingCandidates],
    key: &str,
    opts: &TrainOptions,
) -> Vec<HeldOut> {
    let all_augmented = data.iter().all(RecordingCandidates::augmented);
    let scored = |i: usize| all_augmented || !data[i].augmented();
    let mut groups: Vec<&str> = (0..data.len())
        .filter(|&i| scored(i))
        .filter_map(|i| data[i].group(key))
        .collect();
    groups.sort_unstable();
    groups.dedup();
    groups
        .par_iter()
        .map(|g| match fit(data, |i| !data[i].depends_on(key, g), opts) {
            Ok((m, _)) => HeldOut {
                group: g.to_string(),
                classes: score(
                    data,
                    (0..data.len()).filter(|&i| scored(i) && data[i].group(key) == Some(g)),
                    &m,
                    m.threshold,
                ),
                threshold: m.threshold,
                error: None,
            },
            Err(e) => HeldOut {
                group: g.to_string(),
                classes: BTreeMap::new(),
                threshold: f32::NAN,
                error: Some(e.to_string()),
            },
        })
        .collect()
}

/// The held-out figures as a text table: per class and group, then per class the pooled sum
/// over the held-out groups and the worst group.
pub fn held_out_table(folds: &[HeldOut]) -> String {
    let mut classes: Vec<&String> = folds.iter().flat_map(|f| f.classes.keys()).collect();
    classes.sort();
    classes.dedup();
    let pct = |x: Option<f64>| x.map_or_else(|| "-".into(), |v| format!("{:.1}%", v * 100.0));
    let mut rows = Vec::new();
    for c in classes {
        let mut pooled = ClassFigures::default();
        let mut worst: Option<(f64, &str, ClassFigures)> = None;
        for f in folds {
            let Some(x) = f.classes.get(c) else { continue };
            pooled.clips += x.clips;
            pooled.with_detection += x.with_detection;
            pooled.detections += x.detections;
            pooled.duration_s += x.duration_s;
            let bad = if c == "gunshot" {
                1.0 - x.share().unwrap_or(1.0)
            } else {
                x.share().unwrap_or(0.0)
            };
            if worst.is_none_or(|(b, _, _)| bad > b) {
                worst = Some((bad, &f.group, *x));
            }
            rows.push(row(&format!("{c} / {}", f.group), x, f.threshold, pct));
        }
        rows.push(row(&format!("{c} (all held out)"), &pooled, f32::NAN, pct));
        if let Some((_, g, x)) = worst {
            rows.push(row(&format!("{c} worst: {g}"), &x, f32::NAN, pct));
        }
    }
    for f in folds {
        if let Some(e) = &f.error {
            rows.push(vec![format!("{} not fitted: {e}", f.group)]);
        }
    }
    super::corpus::text_table(
        &[
            "held-out group",
            "clips",
            "with det.",
            "share",
            "events",
            "events/h",
            "threshold",
        ],
        &rows,
    )
}

fn row(name: &str, x: &ClassFigures, thr: f32, pct: impl Fn(Option<f64>) -> String) -> Vec<String> {
    vec![
        name.to_string(),
        x.clips.to_string(),
        x.with_detection.to_string(),
        pct(x.share()),
        x.detections.to_string(),
        if x.duration_s > 0.0 {
            format!("{:.1}", x.detections as f64 * 3600.0 / x.duration_s)
        } else {
            "-".into()
        },
        if thr.is_finite() {
            format!("{thr:.3}")
        } else {
            String::new()
        },
    ]
}
