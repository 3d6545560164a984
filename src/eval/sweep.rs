//! Parameter sweeps: a grid over configuration parameters, one operating point per grid point
//! over a corpus, and the choice of the best point under a false-alarm budget.
//!
//! Gunshot parameters that do not change the features (everything outside
//! [`crate::audio::GunshotConfig::FEATURE_PARAMS`]) are swept by re-running only the decision
//! stage over feature frames computed once per recording and feature setting
//! ([`run_sweep`] with `reuse_features`); the result is identical to full re-detection (tested).

use super::corpus::{
    self, ClipSummary, CorpusReport, Modality, Recording, RecordingResult, RunOptions,
};
use super::metrics::EventMetrics;
use crate::config::Config;
use crate::error::ConfigError;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::str::FromStr;
use thiserror::Error;

/// A sweep could not be set up.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum SweepError {
    /// A `--param` specification is malformed.
    #[error("--param {spec:?}: {message}")]
    Spec {
        /// The specification as given.
        spec: String,
        /// What is wrong.
        message: String,
    },
    /// A swept value gives an invalid configuration.
    #[error("{0}")]
    Config(#[from] ConfigError),
}

/// One swept parameter: `section.name=LO..HI:N` (N values evenly spaced from LO to HI
/// inclusive; `section.name=V` is a single value).
///
/// ```
/// use autotrigger::eval::sweep::ParamRange;
/// let p: ParamRange = "gunshot.rise_threshold_db=10..20:3".parse().unwrap();
/// assert_eq!(p.values(), vec![10.0, 15.0, 20.0]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamRange {
    /// Dotted parameter path (`gunshot.rise_threshold_db`).
    pub name: String,
    /// First value.
    pub lo: f64,
    /// Last value.
    pub hi: f64,
    /// Number of values (at least 1).
    pub n: usize,
}

impl FromStr for ParamRange {
    type Err = SweepError;
    fn from_str(spec: &str) -> Result<Self, SweepError> {
        let err = |m: &str| SweepError::Spec {
            spec: spec.to_string(),
            message: m.to_string(),
        };
        let (name, range) = spec
            .split_once('=')
            .ok_or_else(|| err("expected section.name=LO..HI:N"))?;
        let name = name.trim();
        let (section, key) = name.split_once('.').ok_or_else(|| {
            err("the parameter needs its section, e.g. gunshot.rise_threshold_db")
        })?;
        if section.is_empty() || key.is_empty() || key.contains('.') {
            return Err(err("the parameter must be section.name"));
        }
        let num = |s: &str| -> Result<f64, SweepError> {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| err(&format!("{:?} is not a finite number", s.trim())))
        };
        let (lo, hi, n) = match range.split_once("..") {
            None => {
                let v = num(range)?;
                (v, v, 1)
            }
            Some((lo, rest)) => {
                let (hi, n) = rest
                    .split_once(':')
                    .ok_or_else(|| err("expected LO..HI:N (N = number of values)"))?;
                let n: usize = n
                    .trim()
                    .parse()
                    .ok()
                    .filter(|&n| (1..=1000).contains(&n))
                    .ok_or_else(|| err("N must be an integer in 1..=1000"))?;
                (num(lo)?, num(hi)?, n)
            }
        };
        Ok(ParamRange {
            name: name.to_string(),
            lo,
            hi,
            n,
        })
    }
}

impl ParamRange {
    /// The swept values, `lo` first and `hi` last.
    pub fn values(&self) -> Vec<f64> {
        if self.n <= 1 {
            return vec![self.lo];
        }
        (0..self.n)
            .map(|i| {
                if i + 1 == self.n {
                    self.hi
                } else {
                    self.lo + (self.hi - self.lo) * i as f64 / (self.n - 1) as f64
                }
            })
            .collect()
    }
}

/// One grid point: `(parameter, value)` for every swept parameter.
pub type Assignment = Vec<(String, f64)>;

/// The cartesian product of the ranges, the last range varying fastest.
pub fn grid(ranges: &[ParamRange]) -> Vec<Assignment> {
    let mut out: Vec<Assignment> = vec![Vec::new()];
    for r in ranges {
        let vals = r.values();
        out = out
            .into_iter()
            .flat_map(|a| {
                vals.iter().map(move |&v| {
                    let mut b = a.clone();
                    b.push((r.name.clone(), v));
                    b
                })
            })
            .collect();
    }
    out
}

/// `base` with the assignment applied and validated. An unknown parameter is an error; an
/// integer parameter takes the value rounded to the nearest integer, a boolean one `v != 0`.
pub fn apply(base: &Config, a: &[(String, f64)]) -> Result<Config, SweepError> {
    let mut v = toml::Value::try_from(base).map_err(|e| ConfigError::Parse {
        message: e.to_string(),
    })?;
    for (name, x) in a {
        let unknown = || SweepError::Spec {
            spec: name.clone(),
            message: "no such configuration parameter (see `autotrigger config`)".into(),
        };
        let (section, key) = name.split_once('.').ok_or_else(unknown)?;
        let slot = v
            .get_mut(section)
            .and_then(|s| s.get_mut(key))
            .ok_or_else(unknown)?;
        *slot = match slot {
            toml::Value::Integer(_) => toml::Value::Integer(x.round() as i64),
            toml::Value::Boolean(_) => toml::Value::Boolean(*x != 0.0),
            toml::Value::Float(_) => toml::Value::Float(*x),
            _ => {
                return Err(SweepError::Spec {
                    spec: name.clone(),
                    message: "not a numeric parameter".into(),
                })
            }
        };
    }
    let c: Config = v
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Parse {
            message: e.to_string(),
        })?;
    c.validate()?;
    Ok(c)
}

/// The figures of one grid point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatingPoint {
    /// The swept values.
    pub params: Assignment,
    /// Recall: event level when the corpus has reference onsets of the scored kind, otherwise
    /// clip level (share of positive clips found).
    pub recall: Option<f64>,
    /// False alarms per hour (event level: over the recordings whose onsets are known, which
    /// for manifests are the negative clips).
    pub fa_per_hour: Option<f64>,
    /// Share of negative clips with at least one detection.
    pub false_trigger_share: Option<f64>,
    /// Event-level figures of the scored kind.
    pub events: Option<EventMetrics>,
    /// The full corpus report (JSON output only).
    #[serde(skip)]
    pub report: CorpusReport,
    /// The per-recording results behind the report (for leave-one-group-out scoring).
    #[serde(skip)]
    pub results: Vec<RecordingResult>,
}

impl OperatingPoint {
    /// Summarises a corpus report for `kind`.
    pub fn from_report(params: Assignment, rep: CorpusReport, kind: &str) -> Self {
        let events = rep.events.get(kind).copied();
        let event_recall = events.filter(|e| e.tp + e.fn_ > 0).and_then(|e| e.recall);
        let clip_recall = rep.clips_total.and_then(|c| c.recall);
        OperatingPoint {
            params,
            recall: event_recall.or(clip_recall),
            fa_per_hour: events
                .and_then(|e| e.fa_per_hour)
                .or(rep.clips_total.and_then(|c| c.fa_per_hour)),
            false_trigger_share: rep.clips_total.and_then(|c| c.false_trigger_share),
            events,
            report: rep,
            results: Vec::new(),
        }
    }
}

/// One held-out group of a leave-one-group-out sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LosoFold {
    /// The held-out group (for example a source repository).
    pub group: String,
    /// The point chosen without this group's recordings (index into the grid), if any fits.
    pub chosen: Option<usize>,
    /// Its values.
    pub params: Option<Assignment>,
    /// The held-out group's clip-level figures per class at that point.
    pub clips_by_class: BTreeMap<String, ClipSummary>,
}

/// The chosen operating point scored leave-one-group-out: for each value of `key`, the point
/// is chosen on every other group's recordings and scored on that group's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LosoReport {
    /// The grouping key (`source_repo`).
    pub key: String,
    /// One fold per group, in order.
    pub folds: Vec<LosoFold>,
    /// The worst fold per class (lowest recall, or highest false-trigger share).
    pub worst: BTreeMap<String, super::corpus::WorstGroup>,
}

/// Scores the choice leave-one-group-out over `key` (see [`LosoReport`]); `None` when no
/// recording carries the key. Needs the points' [`OperatingPoint::results`].
pub fn leave_one_group_out(
    points: &[OperatingPoint],
    key: &str,
    kind: &str,
    collars: &super::metrics::Collars,
    max_fa_per_hour: Option<f64>,
    max_false_trigger_share: Option<f64>,
) -> Option<LosoReport> {
    let first = points.first()?;
    let group_of = |r: &RecordingResult| {
        r.recording
            .groups
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let mut groups: Vec<String> = first.results.iter().filter_map(group_of).collect();
    groups.sort();
    groups.dedup();
    if groups.is_empty() {
        return None;
    }
    let mut folds = Vec::new();
    for g in &groups {
        let train: Vec<OperatingPoint> = points
            .iter()
            .map(|p| {
                let rs: Vec<RecordingResult> = p
                    .results
                    .iter()
                    .filter(|r| group_of(r).as_ref() != Some(g))
                    .cloned()
                    .collect();
                let rep = corpus::evaluate(&rs, collars.clone());
                OperatingPoint::from_report(p.params.clone(), rep, kind)
            })
            .collect();
        let chosen = choose(&train, max_fa_per_hour, max_false_trigger_share);
        let clips_by_class = chosen
            .map(|j| {
                let rs: Vec<RecordingResult> = points[j]
                    .results
                    .iter()
                    .filter(|r| group_of(r).as_ref() == Some(g))
                    .cloned()
                    .collect();
                corpus::evaluate(&rs, collars.clone()).clips_by_class
            })
            .unwrap_or_default();
        folds.push(LosoFold {
            group: g.clone(),
            chosen,
            params: chosen.map(|j| points[j].params.clone()),
            clips_by_class,
        });
    }
    let as_groups: BTreeMap<String, BTreeMap<String, ClipSummary>> = folds
        .iter()
        .map(|f| (f.group.clone(), f.clips_by_class.clone()))
        .collect();
    let classes: std::collections::BTreeSet<&String> =
        folds.iter().flat_map(|f| f.clips_by_class.keys()).collect();
    let worst = classes
        .into_iter()
        .filter_map(|c| super::corpus::worst_group(&as_groups, c).map(|w| (c.clone(), w)))
        .collect();
    Some(LosoReport {
        key: key.to_string(),
        folds,
        worst,
    })
}

impl LosoReport {
    /// Rows `class / group` (and `class worst: group`) with the held-out figures and the
    /// point chosen without the group.
    pub fn rows(&self) -> Vec<Vec<String>> {
        let mut classes: Vec<&String> = self
            .folds
            .iter()
            .flat_map(|f| f.clips_by_class.keys())
            .collect();
        classes.sort();
        classes.dedup();
        let mut rows = Vec::new();
        for f in self.folds.iter().filter(|f| f.chosen.is_none()) {
            let mut r = vec![format!("{} (no point fits the budget without it)", f.group)];
            r.resize(Self::header().len(), String::new());
            rows.push(r);
        }
        for c in classes {
            for f in &self.folds {
                let Some(sm) = f.clips_by_class.get(c) else {
                    continue;
                };
                let mut r =
                    super::corpus::clip_rows([(&format!("{c} / {}", f.group), sm)]).remove(0);
                r.push(
                    f.chosen
                        .map(|j| format!("#{} {}", j + 1, describe(&self.folds_params(f))))
                        .unwrap_or_else(|| "none fits".into()),
                );
                rows.push(r);
            }
            if let Some(w) = self.worst.get(c) {
                let mut r =
                    super::corpus::clip_rows([(&format!("{c} worst: {}", w.group), &w.summary)])
                        .remove(0);
                r.push(String::new());
                rows.push(r);
            }
        }
        rows
    }

    fn folds_params(&self, f: &LosoFold) -> Assignment {
        f.params.clone().unwrap_or_default()
    }

    /// The header of [`LosoReport::rows`].
    pub fn header() -> Vec<&'static str> {
        let mut h = super::corpus::CLIP_HEADER.to_vec();
        h.push("point chosen without it");
        h
    }

    /// A text table of the folds.
    pub fn to_text(&self) -> String {
        format!(
            "\nChosen point scored leave-one-{}-out (held-out figures, worst {}):\n{}",
            self.key,
            self.key,
            super::corpus::text_table(&Self::header(), &self.rows())
        )
    }
}

/// The point with the highest recall among those within the budgets (`None` budget = no
/// limit); ties go to fewer false alarms per hour, then a lower false-trigger share, then the
/// earlier grid point. `None` when no point fits.
pub fn choose(
    points: &[OperatingPoint],
    max_fa_per_hour: Option<f64>,
    max_false_trigger_share: Option<f64>,
) -> Option<usize> {
    let within = |x: Option<f64>, max: Option<f64>| match max {
        None => true,
        Some(m) => x.unwrap_or(0.0) <= m,
    };
    let key = |p: &OperatingPoint| {
        (
            p.recall.unwrap_or(0.0),
            -p.fa_per_hour.unwrap_or(0.0),
            -p.false_trigger_share.unwrap_or(0.0),
        )
    };
    let mut best: Option<usize> = None;
    for (i, p) in points.iter().enumerate() {
        if !within(p.fa_per_hour, max_fa_per_hour)
            || !within(p.false_trigger_share, max_false_trigger_share)
        {
            continue;
        }
        best = match best {
            Some(b) if key(&points[b]) >= key(p) => Some(b),
            _ => Some(i),
        };
    }
    best
}

/// Options for [`run_sweep`].
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// The configuration the swept values are applied to.
    pub base: Config,
    /// Matching collars.
    pub collars: super::metrics::Collars,
    /// The kind whose recall and false alarms define the operating points.
    pub kind: String,
    /// Reuse feature frames across grid points that share feature parameters.
    pub reuse_features: bool,
}

/// Runs every grid point over the recordings. `on_step` is called once per (grid point,
/// recording) processed, for progress bars.
pub fn run_sweep(
    recordings: &[Recording],
    grid: &[Assignment],
    opts: &SweepOptions,
    on_step: &(dyn Fn() + Sync),
) -> Result<Vec<OperatingPoint>, SweepError> {
    let configs: Vec<Config> = grid
        .iter()
        .map(|a| apply(&opts.base, a))
        .collect::<Result<_, _>>()?;
    let only_gunshot = grid
        .iter()
        .flatten()
        .all(|(n, _)| n.starts_with("gunshot."));
    // Recordings whose detectors no swept parameter touches run once.
    let mut fixed: Vec<Option<RecordingResult>> = vec![None; recordings.len()];
    if only_gunshot {
        let base_opts = RunOptions {
            config: opts.base.clone(),
            ..RunOptions::default()
        };
        let done: Vec<(usize, RecordingResult)> = recordings
            .par_iter()
            .enumerate()
            .filter(|(_, r)| r.modality != Modality::Audio)
            .map(|(i, r)| (i, corpus::run_one(r, &base_opts)))
            .collect();
        for (i, r) in done {
            fixed[i] = Some(r);
        }
    }
    if opts.reuse_features && only_gunshot {
        let mut points = Vec::with_capacity(grid.len());
        // Group grid points by feature setting; compute each recording's frames once a group.
        let mut done = vec![false; configs.len()];
        for g in 0..configs.len() {
            if done[g] {
                continue;
            }
            let members: Vec<usize> = (g..configs.len())
                .filter(|&j| !done[j] && configs[j].gunshot.same_features(&configs[g].gunshot))
                .collect();
            for &j in &members {
                done[j] = true;
            }
            let frames: Vec<Option<super::features::AudioFrames>> = recordings
                .par_iter()
                .enumerate()
                .map(|(i, r)| {
                    (fixed[i].is_none()).then(|| {
                        super::features::AudioFrames::compute(r, &configs[g].gunshot_for_device())
                    })
                })
                .collect();
            for &j in &members {
                let results: Vec<RecordingResult> = recordings
                    .par_iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let res = match (&fixed[i], &frames[i]) {
                            (Some(f), _) => f.clone(),
                            (None, Some(fr)) => fr.decide(r, &configs[j].gunshot_for_device()),
                            (None, None) => corpus::run_one(
                                r,
                                &RunOptions {
                                    config: configs[j].clone(),
                                    ..RunOptions::default()
                                },
                            ),
                        };
                        on_step();
                        res
                    })
                    .collect();
                let rep = corpus::evaluate(&results, opts.collars.clone());
                let mut p = OperatingPoint::from_report(grid[j].clone(), rep, &opts.kind);
                p.results = results;
                points.push((j, p));
            }
        }
        points.sort_by_key(|(j, _)| *j);
        return Ok(points.into_iter().map(|(_, p)| p).collect());
    }
    let mut points = Vec::with_capacity(grid.len());
    for (j, cfg) in configs.iter().enumerate() {
        let ro = RunOptions {
            config: cfg.clone(),
            ..RunOptions::default()
        };
        let results: Vec<RecordingResult> = recordings
            .par_iter()
            .enumerate()
            .map(|(i, r)| {
                let res = match &fixed[i] {
                    Some(f) => f.clone(),
                    None => corpus::run_one(r, &ro),
                };
                on_step();
                res
            })
            .collect();
        let rep = corpus::evaluate(&results, opts.collars.clone());
        let mut p = OperatingPoint::from_report(grid[j].clone(), rep, &opts.kind);
        p.results = results;
        points.push(p);
    }
    Ok(points)
}

/// `a=1, b=2` for an assignment.
pub fn describe(a: &[(String, f64)]) -> String {
    a.iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn opt(x: Option<f64>, pct: bool) -> String {
    match x {
        None => "-".into(),
        Some(v) if pct => format!("{:.1}%", v * 100.0),
        Some(v) => format!("{v:.1}"),
    }
}

/// The operating points as a text table (the chosen one marked `*`).
pub fn points_table(points: &[OperatingPoint], chosen: Option<usize>) -> String {
    let names: Vec<String> = points
        .first()
        .map(|p| p.params.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let mut header: Vec<&str> = vec!["#"];
    header.extend(names.iter().map(String::as_str));
    header.extend(["recall", "FA/h", "false trig.", "TP", "FP", "FN"]);
    let rows: Vec<Vec<String>> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut r = vec![format!(
                "{}{}",
                if chosen == Some(i) { "*" } else { "" },
                i + 1
            )];
            r.extend(p.params.iter().map(|(_, v)| format!("{v:.4}")));
            r.push(opt(p.recall, true));
            r.push(opt(p.fa_per_hour, false));
            r.push(opt(p.false_trigger_share, true));
            let e = p.events.unwrap_or_default();
            r.extend([e.tp.to_string(), e.fp.to_string(), e.fn_.to_string()]);
            r
        })
        .collect();
    super::corpus::text_table(&header, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges() {
        let p: ParamRange = "gunshot.a_b=1..2:5".parse().unwrap();
        assert_eq!(p.values(), vec![1.0, 1.25, 1.5, 1.75, 2.0]);
        let p: ParamRange = "gunshot.x=0.3".parse().unwrap();
        assert_eq!(p.values(), vec![0.3]);
        let p: ParamRange = "gunshot.x=-3..-1:1".parse().unwrap();
        assert_eq!(p.values(), vec![-3.0]);
        for bad in [
            "gunshot.x",
            "x=1..2:3",
            "gunshot.x=1..2",
            "gunshot.x=1..2:0",
            "gunshot.x=a..2:3",
            "gunshot.x=1..inf:3",
            "gunshot.=1",
            "a.b.c=1",
        ] {
            assert!(bad.parse::<ParamRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn grid_is_the_cartesian_product() {
        let a: ParamRange = "s.a=1..2:2".parse().unwrap();
        let b: ParamRange = "s.b=10..30:3".parse().unwrap();
        let g = grid(&[a, b]);
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], vec![("s.a".into(), 1.0), ("s.b".into(), 10.0)]);
        assert_eq!(g[1], vec![("s.a".into(), 1.0), ("s.b".into(), 20.0)]);
        assert_eq!(g[5], vec![("s.a".into(), 2.0), ("s.b".into(), 30.0)]);
        assert_eq!(grid(&[]), vec![Vec::<(String, f64)>::new()]);
    }

    #[test]
    fn apply_sets_validates_and_rejects_unknown() {
        let base = Config::default();
        let text = base.to_toml_string();
        let v: toml::Value = toml::from_str(&text).unwrap();
        // Take the first float parameter of [gunshot], whatever the detector defines.
        let (key, val) = v["gunshot"]
            .as_table()
            .unwrap()
            .iter()
            .find_map(|(k, v)| v.as_float().map(|f| (k.clone(), f)))
            .expect("gunshot has a float parameter");
        let name = format!("gunshot.{key}");
        let c = apply(&base, &[(name.clone(), val)]).unwrap();
        assert_eq!(c, base);
        let c2: toml::Value = toml::from_str(
            &apply(&base, &[(name.clone(), val)])
                .unwrap()
                .to_toml_string(),
        )
        .unwrap();
        assert_eq!(c2["gunshot"][key.as_str()].as_float(), Some(val));
        assert!(matches!(
            apply(&base, &[(name, f64::MAX)]),
            Err(SweepError::Config(ConfigError::OutOfRange { .. }))
        ));
        assert!(matches!(
            apply(&base, &[("gunshot.no_such".into(), 1.0)]),
            Err(SweepError::Spec { .. })
        ));
    }

    fn rec_result(src: &str, positive: bool, hit: bool) -> RecordingResult {
        use crate::event::{Event, EventKind, Evidence};
        let rec = Recording {
            path: "x.wav".into(),
            name: format!("{src}-{positive}-{hit}"),
            modality: Modality::Audio,
            class: Some(if positive { "gunshot" } else { "ambient" }.into()),
            subclass: None,
            groups: vec![("source_repo".into(), src.into())],
            clip: Some(if positive {
                super::super::metrics::ClipTruth::Positive("gunshot".into())
            } else {
                super::super::metrics::ClipTruth::Negative
            }),
            labels: None,
            kinds: vec!["gunshot"],
        };
        let ev = Event {
            kind: EventKind::Gunshot,
            onset: crate::Timestamp(100_000),
            decided: crate::Timestamp(400_000),
            confidence: 1.0,
            evidence: Evidence::new(),
        };
        RecordingResult {
            recording: rec,
            duration_us: 1_000_000,
            detections: if hit { vec![ev] } else { vec![] },
            error: None,
            trace: None,
        }
    }

    #[test]
    fn loso_chooses_without_the_held_out_source() {
        // Point 0: finds everything, and triggers on source B's negative only.
        // Point 1: finds only source A's positive, triggers nowhere.
        let results = |p: usize| {
            vec![
                rec_result("A", true, true),
                rec_result("A", false, false),
                rec_result("B", true, p == 0),
                rec_result("B", false, p == 0),
            ]
        };
        let points: Vec<OperatingPoint> = (0..2)
            .map(|p| {
                let rs = results(p);
                let rep = corpus::evaluate(&rs, 500_000);
                let mut op =
                    OperatingPoint::from_report(vec![("g.x".into(), p as f64)], rep, "gunshot");
                op.results = rs;
                op
            })
            .collect();
        let collars = super::super::metrics::Collars::uniform(500_000);
        let l = leave_one_group_out(&points, "source_repo", "gunshot", &collars, None, Some(0.0))
            .unwrap();
        assert_eq!(l.folds.len(), 2);
        // Without A (only B): point 0 triggers on B's negative, so point 1 is chosen; on A it
        // finds A's positive.
        assert_eq!(l.folds[0].group, "A");
        assert_eq!(l.folds[0].chosen, Some(1));
        assert_eq!(l.folds[0].clips_by_class["gunshot"].counts.found, 1);
        // Without B (only A): point 0 fits (A's negative stays silent) and has the best
        // recall; held out, B's negative triggers.
        assert_eq!(l.folds[1].chosen, Some(0));
        assert_eq!(
            l.folds[1].clips_by_class["ambient"].counts.false_triggers,
            1
        );
        assert_eq!(l.worst["ambient"].group, "B");
        // The pooled report has every figure per source too.
        let rep = &points[0].report;
        assert_eq!(
            rep.clips_by_group["source_repo"]["B"]["ambient"]
                .counts
                .false_triggers,
            1
        );
        assert_eq!(rep.worst_by_group["source_repo"]["ambient"].group, "B");
        assert!(rep.to_text().contains("ambient worst: B"));
    }

    fn pt(recall: f64, fa: f64, share: f64) -> OperatingPoint {
        OperatingPoint {
            params: vec![],
            recall: Some(recall),
            fa_per_hour: Some(fa),
            false_trigger_share: Some(share),
            events: None,
            report: CorpusReport::default(),
            results: Vec::new(),
        }
    }

    #[test]
    fn choose_maximises_recall_within_budget() {
        let p = [
            pt(0.9, 30.0, 0.2),
            pt(0.8, 5.0, 0.05),
            pt(0.8, 2.0, 0.05),
            pt(0.5, 0.0, 0.0),
        ];
        assert_eq!(choose(&p, None, None), Some(0));
        assert_eq!(choose(&p, Some(10.0), None), Some(2)); // tie on recall: fewer FA/h
        assert_eq!(choose(&p, None, Some(0.01)), Some(3));
        assert_eq!(choose(&p, Some(-1.0), None), None);
        assert_eq!(choose(&[], None, None), None);
    }
}
