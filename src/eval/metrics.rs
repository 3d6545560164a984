//! Event matching and DCASE-style metrics.
//!
//! Every reference event (a [`Label`]) is matched to at most one detection of the same kind whose
//! onset lies within a collar of the reference onset (inclusive: a detection exactly one collar
//! away still matches). Among all candidate pairs, the closest are matched first (greedy by
//! absolute onset distance, ties broken by earlier reference, then earlier detection), and each
//! reference and each detection is used at most once. Matched pairs are true positives, unmatched
//! detections false positives, unmatched references false negatives. Detection latency is the
//! decision time of the matched detection minus the *reference* onset.
//!
//! Kinds: a detection's kind string must equal the label's `kind`, except that `double_tap`
//! detections are scored as `tap`. `running_ended` and `officer_down_cancelled` detections are
//! only scored in recordings whose labels contain that kind (they are consequences of other
//! events, not triggers). Labels of kinds no detector produces (for example `holster_draw`) are
//! not scored.
//!
//! All times are integer microseconds; seconds appear only in display and JSON output.

use crate::event::{Event, EventKind};
use crate::io::Label;
use serde::Serialize;
use std::collections::BTreeMap;

/// The default matching collar: 0.5 s.
pub const DEFAULT_COLLAR_US: i64 = 500_000;

/// The kind a detection is scored as (`double_tap` counts as `tap`).
pub fn scored_kind(kind: EventKind) -> &'static str {
    match kind {
        EventKind::DoubleTap => EventKind::Tap.as_str(),
        k => k.as_str(),
    }
}

/// The kind a reference label is scored as (`double_tap` labels count as `tap`, like
/// `double_tap` detections, so a double tap matches whichever way it was labelled).
pub fn scored_label_kind(kind: &str) -> &str {
    if kind == EventKind::DoubleTap.as_str() {
        EventKind::Tap.as_str()
    } else {
        kind
    }
}

/// Matching collars: a default, and optionally a wider or narrower one for some kinds (for
/// example state onsets such as `running`, whose onset is less sharply defined than a shot's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collars {
    /// Collar for every kind not listed, microseconds.
    pub default_us: i64,
    /// Per-kind collars (scored kind strings), microseconds.
    pub per_kind: BTreeMap<String, i64>,
}

impl Default for Collars {
    fn default() -> Self {
        Collars::uniform(DEFAULT_COLLAR_US)
    }
}

impl From<i64> for Collars {
    fn from(us: i64) -> Self {
        Collars::uniform(us)
    }
}

impl Collars {
    /// The same collar for every kind.
    pub fn uniform(us: i64) -> Self {
        Collars {
            default_us: us,
            per_kind: BTreeMap::new(),
        }
    }

    /// The collar of a (scored) kind.
    pub fn for_kind(&self, kind: &str) -> i64 {
        self.per_kind.get(kind).copied().unwrap_or(self.default_us)
    }
}

/// True for the kinds that are consequences of another event and only scored when labelled.
fn scored_only_when_labelled(kind: &str) -> bool {
    kind == EventKind::RunningEnded.as_str() || kind == EventKind::OfficerDownCancelled.as_str()
}

/// One matched reference/detection pair (indices into the slices given to [`match_events`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Index of the reference label.
    pub reference: usize,
    /// Index of the detection.
    pub detection: usize,
    /// Decision time of the detection minus the reference onset, microseconds.
    pub latency_us: i64,
}

/// The outcome of matching one recording's detections against its references.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matching {
    /// Matched pairs, in order of reference index.
    pub matches: Vec<Match>,
    /// Indices of references that no detection matched (false negatives).
    pub missed: Vec<usize>,
    /// Indices of scored detections that matched no reference (false positives).
    pub false_alarms: Vec<usize>,
    /// Indices of detections that were not scored (unlabelled consequence kinds, or kinds
    /// outside `kinds`).
    pub ignored: Vec<usize>,
    /// Indices of references that were not scored (kinds outside `kinds` or that no detector
    /// produces).
    pub unscored_references: Vec<usize>,
}

/// Matches `detections` to `references` one-to-one within `collar_us` of the reference onset.
///
/// Only kinds in `kinds` are scored (pass `None` to score every kind a detector can produce);
/// the rest land in [`Matching::ignored`] / [`Matching::unscored_references`].
///
/// ```
/// use autotrigger::eval::metrics::{match_events, DEFAULT_COLLAR_US};
/// use autotrigger::io::Label;
/// use autotrigger::{Event, EventKind, Evidence, Timestamp};
/// let det = |us| Event { kind: EventKind::Gunshot, onset: Timestamp(us), decided: Timestamp(us + 50_000),
///                        confidence: 1.0, evidence: Evidence::new() };
/// let lab = |us| Label { onset: Timestamp(us), offset: Timestamp(us), kind: "gunshot".into() };
/// let m = match_events(&[lab(1_000_000)], &[det(1_100_000), det(1_020_000)], DEFAULT_COLLAR_US, None);
/// assert_eq!(m.matches.len(), 1);
/// assert_eq!(m.matches[0].detection, 1); // the closer one
/// assert_eq!(m.matches[0].latency_us, 70_000);
/// assert_eq!(m.false_alarms, vec![0]);
/// ```
pub fn match_events(
    references: &[Label],
    detections: &[Event],
    collar_us: i64,
    kinds: Option<&[&str]>,
) -> Matching {
    match_events_with(references, detections, &Collars::uniform(collar_us), kinds)
}

/// [`match_events`] with a collar per kind.
pub fn match_events_with(
    references: &[Label],
    detections: &[Event],
    collars: &Collars,
    kinds: Option<&[&str]>,
) -> Matching {
    let produced = |k: &str| EventKind::parse(k).is_some();
    let in_scope = |k: &str| kinds.is_none_or(|ks| ks.contains(&k));
    let ref_ok: Vec<bool> = references
        .iter()
        .map(|r| {
            let k = scored_label_kind(&r.kind);
            produced(k) && in_scope(k)
        })
        .collect();
    let det_ok: Vec<bool> = detections
        .iter()
        .map(|d| {
            let k = scored_kind(d.kind);
            in_scope(k) && (!scored_only_when_labelled(k) || references.iter().any(|r| r.kind == k))
        })
        .collect();

    // Every candidate pair within the collar: (distance, reference, detection).
    let mut pairs: Vec<(i64, usize, usize)> = Vec::new();
    for (ri, r) in references.iter().enumerate() {
        if !ref_ok[ri] {
            continue;
        }
        for (di, d) in detections.iter().enumerate() {
            let k = scored_kind(d.kind);
            if !det_ok[di] || k != scored_label_kind(&r.kind) {
                continue;
            }
            let dist = d.onset.micros_since(r.onset).saturating_abs();
            if dist <= collars.for_kind(k) {
                pairs.push((dist, ri, di));
            }
        }
    }
    pairs.sort_unstable();
    let mut ref_used = vec![false; references.len()];
    let mut det_used = vec![false; detections.len()];
    let mut out = Matching::default();
    for (_, ri, di) in pairs {
        if ref_used[ri] || det_used[di] {
            continue;
        }
        ref_used[ri] = true;
        det_used[di] = true;
        out.matches.push(Match {
            reference: ri,
            detection: di,
            latency_us: detections[di].decided.micros_since(references[ri].onset),
        });
    }
    out.matches.sort_unstable_by_key(|m| m.reference);
    for ri in 0..references.len() {
        if !ref_ok[ri] {
            out.unscored_references.push(ri);
        } else if !ref_used[ri] {
            out.missed.push(ri);
        }
    }
    for di in 0..detections.len() {
        if !det_ok[di] {
            out.ignored.push(di);
        } else if !det_used[di] {
            out.false_alarms.push(di);
        }
    }
    out
}

/// The nearest-rank percentile of `values` (`p` in `0..=100`): the smallest value such that at
/// least `p` % of the values are less than or equal to it. `None` when empty.
///
/// ```
/// use autotrigger::eval::metrics::percentile_nearest_rank;
/// assert_eq!(percentile_nearest_rank(&[40, 10, 30, 20], 50), Some(20));
/// assert_eq!(percentile_nearest_rank(&[40, 10, 30, 20], 95), Some(40));
/// ```
pub fn percentile_nearest_rank(values: &[i64], p: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    // rank = ceil(p/100 * n), at least 1; integer arithmetic, no float rounding.
    let rank = (p.min(100) as usize * n).div_ceil(100).max(1);
    Some(v[rank - 1])
}

/// Detection latency summary (decision time - reference onset), microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LatencyStats {
    /// Number of matched events.
    pub n: usize,
    /// Median (nearest rank).
    pub p50_us: Option<i64>,
    /// 95th percentile (nearest rank).
    pub p95_us: Option<i64>,
    /// Largest.
    pub max_us: Option<i64>,
}

impl LatencyStats {
    /// Summarises a list of latencies.
    pub fn from_latencies(l: &[i64]) -> Self {
        LatencyStats {
            n: l.len(),
            p50_us: percentile_nearest_rank(l, 50),
            p95_us: percentile_nearest_rank(l, 95),
            max_us: l.iter().copied().max(),
        }
    }
}

/// Accumulated event-level outcome for one group (a kind, or a kind within a subclass).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventTally {
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// False negatives.
    pub fn_: usize,
    /// Latencies of the true positives, microseconds.
    pub latencies_us: Vec<i64>,
    /// Total duration of the recordings scored for this group, microseconds.
    pub duration_us: i64,
}

impl EventTally {
    /// The derived figures.
    pub fn metrics(&self) -> EventMetrics {
        let ratio = |a: usize, b: usize| (b > 0).then(|| a as f64 / b as f64);
        let precision = ratio(self.tp, self.tp + self.fp);
        let recall = ratio(self.tp, self.tp + self.fn_);
        let f1 = ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_);
        let fa_per_hour = (self.duration_us > 0)
            .then(|| self.fp as f64 * 3_600_000_000.0 / self.duration_us as f64);
        EventMetrics {
            tp: self.tp,
            fp: self.fp,
            fn_: self.fn_,
            precision,
            recall,
            f1,
            fa_per_hour,
            duration_s: self.duration_us as f64 / 1e6,
            latency: LatencyStats::from_latencies(&self.latencies_us),
        }
    }
}

/// Event-level figures. Ratios are `None` when undefined (no denominator).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct EventMetrics {
    /// True positives.
    pub tp: usize,
    /// False positives.
    pub fp: usize,
    /// False negatives.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// TP / (TP + FP).
    pub precision: Option<f64>,
    /// TP / (TP + FN).
    pub recall: Option<f64>,
    /// 2 TP / (2 TP + FP + FN).
    pub f1: Option<f64>,
    /// FP per hour of the scored recordings.
    pub fa_per_hour: Option<f64>,
    /// Total scored duration, seconds (display only).
    pub duration_s: f64,
    /// Detection latency of the true positives.
    pub latency: LatencyStats,
}

/// Clip-level truth for corpora without onsets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClipTruth {
    /// The clip contains at least one event of this (scored) kind.
    Positive(String),
    /// The clip contains no event any detector should report.
    Negative,
}

/// Clip-level outcome for one group (class or subclass).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ClipMetrics {
    /// Positive clips.
    pub positives: usize,
    /// Positive clips with at least one detection of their kind.
    pub found: usize,
    /// Negative clips.
    pub negatives: usize,
    /// Negative clips with at least one scored detection.
    pub false_triggers: usize,
    /// Scored detections in negative clips.
    pub negative_detections: usize,
    /// Total duration of the negative clips, microseconds.
    pub negative_duration_us: i64,
}

impl ClipMetrics {
    /// Share of positive clips found, `None` without positives.
    pub fn recall(&self) -> Option<f64> {
        (self.positives > 0).then(|| self.found as f64 / self.positives as f64)
    }
    /// Share of negative clips that triggered, `None` without negatives.
    pub fn false_trigger_share(&self) -> Option<f64> {
        (self.negatives > 0).then(|| self.false_triggers as f64 / self.negatives as f64)
    }
    /// Detections per hour of negative clips, `None` without negative duration.
    pub fn fa_per_hour(&self) -> Option<f64> {
        (self.negative_duration_us > 0).then(|| {
            self.negative_detections as f64 * 3_600_000_000.0 / self.negative_duration_us as f64
        })
    }
    /// Adds another group's counts.
    pub fn add(&mut self, o: &ClipMetrics) {
        self.positives += o.positives;
        self.found += o.found;
        self.negatives += o.negatives;
        self.false_triggers += o.false_triggers;
        self.negative_detections += o.negative_detections;
        self.negative_duration_us += o.negative_duration_us;
    }
}

/// Clip-level outcome of one clip: `(truth, detections)` -> counts. `kinds` restricts the
/// detections that count (as in [`match_events`]); consequence kinds (`running_ended`,
/// `officer_down_cancelled`) never count at clip level.
pub fn clip_outcome(
    truth: &ClipTruth,
    detections: &[Event],
    duration_us: i64,
    kinds: Option<&[&str]>,
) -> ClipMetrics {
    let counted: Vec<&str> = detections
        .iter()
        .map(|d| scored_kind(d.kind))
        .filter(|k| !scored_only_when_labelled(k) && kinds.is_none_or(|ks| ks.contains(k)))
        .collect();
    let mut m = ClipMetrics::default();
    match truth {
        ClipTruth::Positive(kind) => {
            m.positives = 1;
            m.found = usize::from(counted.iter().any(|k| k == kind));
        }
        ClipTruth::Negative => {
            m.negatives = 1;
            m.false_triggers = usize::from(!counted.is_empty());
            m.negative_detections = counted.len();
            m.negative_duration_us = duration_us;
        }
    }
    m
}

/// Event tallies keyed by kind string (sorted).
pub type TallyByKind = BTreeMap<String, EventTally>;

/// Adds one recording's matching to per-kind tallies. `duration_us` is added to every kind in
/// `kinds` (the kinds scored in this recording), so FA/hour uses the time each kind was
/// actually scored over.
pub fn tally(
    into: &mut TallyByKind,
    references: &[Label],
    detections: &[Event],
    m: &Matching,
    duration_us: i64,
    kinds: &[&str],
) {
    for k in kinds {
        into.entry((*k).to_string()).or_default().duration_us += duration_us;
    }
    for mm in &m.matches {
        let t = into
            .entry(scored_label_kind(&references[mm.reference].kind).to_string())
            .or_default();
        t.tp += 1;
        t.latencies_us.push(mm.latency_us);
    }
    for &ri in &m.missed {
        into.entry(scored_label_kind(&references[ri].kind).to_string())
            .or_default()
            .fn_ += 1;
    }
    for &di in &m.false_alarms {
        into.entry(scored_kind(detections[di].kind).to_string())
            .or_default()
            .fp += 1;
    }
}

/// DCASE event-based scores (as in `sed_eval` and the DCASE 2017 task 2 evaluation): matched
/// onsets within the collar are true positives; a reference and a detection that match in time
/// but not in class are a substitution `S`; the remaining unmatched references are deletions
/// `D`, the remaining detections insertions `I`. With `N` references:
///
/// - error rate `ER = (S + D + I) / N` (0 is perfect; it exceeds 1 when insertions pile up),
/// - F-score `F = 2 TP / (2 TP + FP + FN)` with `FP = S + I`, `FN = S + D`.
///
/// With a single class (gunshots only, task 2) `S = 0`, `D = FN`, `I = FP`.
///
/// ```
/// use autotrigger::eval::metrics::DcaseScores;
/// // 10 reference shots, 7 found, 3 false detections.
/// let s = DcaseScores::new(10, 10, 7, 0);
/// assert_eq!((s.deletions, s.insertions), (3, 3));
/// assert!((s.error_rate.unwrap() - 0.6).abs() < 1e-12);
/// assert!((s.f_score.unwrap() - 0.7).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DcaseScores {
    /// Reference events `N`.
    pub n_ref: usize,
    /// System events (detections scored).
    pub n_sys: usize,
    /// Matched pairs of the right class.
    pub tp: usize,
    /// Substitutions `S`.
    pub substitutions: usize,
    /// Deletions `D = N - TP - S`.
    pub deletions: usize,
    /// Insertions `I = n_sys - TP - S`.
    pub insertions: usize,
    /// `(S + D + I) / N`, `None` without references.
    pub error_rate: Option<f64>,
    /// `2 TP / (2 TP + FP + FN)`, `None` when there is nothing to score.
    pub f_score: Option<f64>,
}

impl DcaseScores {
    /// Scores from counts: `n_ref` references, `n_sys` detections, `tp` correct matches and
    /// `substitutions` time-matched pairs of the wrong class. Counts that do not add up
    /// (`tp + substitutions` above `n_ref` or `n_sys`) are clamped.
    pub fn new(n_ref: usize, n_sys: usize, tp: usize, substitutions: usize) -> Self {
        let tp = tp.min(n_ref).min(n_sys);
        let s = substitutions.min(n_ref - tp).min(n_sys - tp);
        let d = n_ref - tp - s;
        let i = n_sys - tp - s;
        let (fp, fn_) = (s + i, s + d);
        DcaseScores {
            n_ref,
            n_sys,
            tp,
            substitutions: s,
            deletions: d,
            insertions: i,
            error_rate: (n_ref > 0).then(|| (s + d + i) as f64 / n_ref as f64),
            f_score: (2 * tp + fp + fn_ > 0).then(|| 2.0 * tp as f64 / (2 * tp + fp + fn_) as f64),
        }
    }

    /// Scores of a single-class tally (`S = 0`): `N = TP + FN`, detections `TP + FP`.
    pub fn from_tally(t: &EventTally) -> Self {
        DcaseScores::new(t.tp + t.fn_, t.tp + t.fp, t.tp, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Evidence;
    use crate::Timestamp;

    fn det(kind: EventKind, onset: i64, decided: i64) -> Event {
        Event {
            kind,
            onset: Timestamp(onset),
            decided: Timestamp(decided),
            confidence: 1.0,
            evidence: Evidence::new(),
        }
    }
    fn lab(kind: &str, onset: i64) -> Label {
        Label {
            onset: Timestamp(onset),
            offset: Timestamp(onset),
            kind: kind.into(),
        }
    }
    const G: EventKind = EventKind::Gunshot;

    #[test]
    fn detection_outcomes_and_reliability_bins() {
        let conf = |mut e: Event, c: f32| {
            e.confidence = c;
            e
        };
        // With onsets: the matched detection is right, the false alarm wrong.
        let r = [lab("gunshot", 1_000_000)];
        let d = [
            conf(det(G, 1_000_000, 1_300_000), 0.9),
            conf(det(G, 5_000_000, 5_300_000), 0.35),
        ];
        let m = match_events(&r, &d, DEFAULT_COLLAR_US, None);
        assert_eq!(
            detection_outcomes(None, Some(&m), &d, None),
            vec![(0, true), (1, false)]
        );
        // A positive clip without onsets: only its most confident detection counts, as right.
        let pos = ClipTruth::Positive("gunshot".into());
        assert_eq!(
            detection_outcomes(Some(&pos), None, &d, None),
            vec![(0, true)]
        );
        let neg = ClipTruth::Negative;
        assert_eq!(
            detection_outcomes(Some(&neg), None, &d, None),
            vec![(0, false), (1, false)]
        );
        assert!(detection_outcomes(Some(&neg), None, &d, Some(&["fall"])).is_empty());
        // Bins: 0.35 in bin 3, 0.95 and 1.0 in bin 9 (1.0 is in the last bin).
        let mut rel = Reliability::default();
        rel.add(0.35, false);
        rel.add(0.95, true);
        rel.add(1.0, true);
        assert_eq!(rel.detections(), 3);
        assert_eq!(rel.bins[3].detections, 1);
        assert_eq!((rel.bins[9].detections, rel.bins[9].correct), (2, 2));
        // |0.35 - 0| * 1 + |0.975 - 1| * 2, over 3.
        let ece = rel.expected_calibration_error().unwrap();
        assert!((ece - (0.35 + 0.05) / 3.0).abs() < 1e-6, "{ece}");
        assert_eq!(Reliability::default().expected_calibration_error(), None);
    }

    #[test]
    fn collar_edges_are_inclusive() {
        let r = [lab("gunshot", 10_000_000)];
        for (off, hit) in [
            (500_000, true),
            (-500_000, true),
            (500_001, false),
            (-500_001, false),
        ] {
            let d = [det(G, 10_000_000 + off, 10_000_000 + off + 1000)];
            let m = match_events(&r, &d, DEFAULT_COLLAR_US, None);
            assert_eq!(m.matches.len(), usize::from(hit), "offset {off}");
            assert_eq!(m.false_alarms.len(), usize::from(!hit));
            assert_eq!(m.missed.len(), usize::from(!hit));
        }
    }

    #[test]
    fn two_detections_near_one_reference() {
        let r = [lab("gunshot", 1_000_000)];
        let d = [det(G, 1_300_000, 1_350_000), det(G, 900_000, 950_000)];
        let m = match_events(&r, &d, DEFAULT_COLLAR_US, None);
        assert_eq!(
            m.matches,
            vec![Match {
                reference: 0,
                detection: 1,
                latency_us: -50_000
            }]
        );
        assert_eq!(m.false_alarms, vec![0]);
        assert!(m.missed.is_empty());
    }

    #[test]
    fn two_references_near_one_detection() {
        let r = [lab("gunshot", 1_000_000), lab("gunshot", 1_200_000)];
        let d = [det(G, 1_150_000, 1_160_000)];
        let m = match_events(&r, &d, DEFAULT_COLLAR_US, None);
        assert_eq!(m.matches.len(), 1);
        assert_eq!(m.matches[0].reference, 1); // 50 ms beats 150 ms
        assert_eq!(m.missed, vec![0]);
    }

    #[test]
    fn greedy_by_distance_not_by_order() {
        // r0 at 0, r1 at 400 ms; d0 at 350 ms, d1 at 700 ms. Closest pair first: (r1, d0) 50 ms;
        // then r0 can only take d1? 700 ms > collar -> r0 missed, d1 false alarm.
        let r = [lab("gunshot", 0), lab("gunshot", 400_000)];
        let d = [det(G, 350_000, 360_000), det(G, 700_000, 710_000)];
        let m = match_events(&r, &d, DEFAULT_COLLAR_US, None);
        assert_eq!(m.matches.len(), 1);
        assert_eq!((m.matches[0].reference, m.matches[0].detection), (1, 0));
        assert_eq!(m.missed, vec![0]);
        assert_eq!(m.false_alarms, vec![1]);
    }

    #[test]
    fn empty_sides() {
        let m = match_events(&[], &[det(G, 0, 1)], DEFAULT_COLLAR_US, None);
        assert_eq!(m.false_alarms, vec![0]);
        let m = match_events(&[lab("gunshot", 0)], &[], DEFAULT_COLLAR_US, None);
        assert_eq!(m.missed, vec![0]);
        let m = match_events(&[], &[], DEFAULT_COLLAR_US, None);
        assert_eq!(m, Matching::default());
        let mut t = TallyByKind::new();
        tally(&mut t, &[], &[], &m, 3_600_000_000, &["gunshot"]);
        let e = t["gunshot"].metrics();
        assert_eq!((e.precision, e.recall, e.f1), (None, None, None));
        assert_eq!(e.fa_per_hour, Some(0.0));
    }

    #[test]
    fn kinds_must_agree_and_double_tap_is_tap() {
        let r = [lab("tap", 1_000_000), lab("fall", 1_000_000)];
        let d = [
            det(EventKind::DoubleTap, 1_000_000, 1_300_000),
            det(EventKind::Running, 1_000_000, 1_100_000),
        ];
        let m = match_events(&r, &d, DEFAULT_COLLAR_US, None);
        assert_eq!(m.matches.len(), 1);
        assert_eq!(m.matches[0].reference, 0);
        assert_eq!(m.missed, vec![1]);
        assert_eq!(m.false_alarms, vec![1]);
    }

    #[test]
    fn double_tap_labels_score_as_tap_and_collars_per_kind() {
        let r = [lab("double_tap", 1_000_000), lab("running", 10_000_000)];
        let d = [
            det(EventKind::DoubleTap, 1_010_000, 1_300_000),
            det(EventKind::Running, 8_000_000, 10_500_000),
        ];
        let m = match_events(&r, &d, DEFAULT_COLLAR_US, None);
        assert_eq!(m.matches.len(), 1);
        assert_eq!(m.missed, vec![1]);
        let mut c = Collars::default();
        c.per_kind.insert("running".into(), 2_000_000);
        let m = match_events_with(&r, &d, &c, None);
        assert_eq!(m.matches.len(), 2);
        assert_eq!(m.matches[1].latency_us, 500_000);
        let mut t = TallyByKind::new();
        tally(&mut t, &r, &d, &m, 1, &["tap", "running"]);
        assert_eq!(t["tap"].tp, 1);
        assert!(!t.contains_key("double_tap"));
        // Exactly at the per-kind collar still matches; one microsecond more does not.
        c.per_kind.insert("running".into(), 2_000_001 - 1);
        assert_eq!(match_events_with(&r, &d, &c, None).matches.len(), 2);
        c.per_kind.insert("running".into(), 1_999_999);
        assert_eq!(match_events_with(&r, &d, &c, None).matches.len(), 1);
    }

    #[test]
    fn consequence_kinds_only_scored_when_labelled() {
        let d = [det(EventKind::RunningEnded, 5_000_000, 5_000_000)];
        let m = match_events(&[lab("running", 0)], &d, DEFAULT_COLLAR_US, None);
        assert_eq!(m.ignored, vec![0]);
        assert!(m.false_alarms.is_empty());
        let m = match_events(
            &[lab("running_ended", 9_000_000)],
            &d,
            DEFAULT_COLLAR_US,
            None,
        );
        assert_eq!(m.false_alarms, vec![0]);
        assert_eq!(m.missed, vec![0]);
    }

    #[test]
    fn unknown_and_out_of_scope_kinds_are_not_scored() {
        let r = [lab("holster_draw", 0), lab("fall", 0)];
        let d = [det(G, 0, 0)];
        let m = match_events(&r, &d, DEFAULT_COLLAR_US, Some(&["gunshot"]));
        assert_eq!(m.unscored_references, vec![0, 1]);
        assert_eq!(m.false_alarms, vec![0]);
    }

    #[test]
    fn figures_by_hand() {
        // 3 refs, 4 dets: 2 TP (latencies 40 ms, 120 ms), 2 FP, 1 FN over 30 min.
        let r = [
            lab("gunshot", 1_000_000),
            lab("gunshot", 5_000_000),
            lab("gunshot", 9_000_000),
        ];
        let d = [
            det(G, 1_010_000, 1_040_000),
            det(G, 5_100_000, 5_120_000),
            det(G, 20_000_000, 20_000_000),
            det(G, 30_000_000, 30_000_000),
        ];
        let m = match_events(&r, &d, DEFAULT_COLLAR_US, None);
        let mut t = TallyByKind::new();
        tally(&mut t, &r, &d, &m, 1_800_000_000, &["gunshot"]);
        let e = t["gunshot"].metrics();
        assert_eq!((e.tp, e.fp, e.fn_), (2, 2, 1));
        assert_eq!(e.precision, Some(0.5));
        assert_eq!(e.recall, Some(2.0 / 3.0));
        assert_eq!(e.f1, Some(4.0 / 7.0));
        assert_eq!(e.fa_per_hour, Some(4.0));
        assert_eq!(e.latency.p50_us, Some(40_000));
        assert_eq!(e.latency.p95_us, Some(120_000));
        assert_eq!(e.latency.max_us, Some(120_000));
    }

    /// Obviously-correct reference: sort, then the p-th percentile by the textbook nearest-rank
    /// definition (smallest value with at least p % of the data at or below it).
    fn slow_percentile(v: &[i64], p: u32) -> Option<i64> {
        let mut s = v.to_vec();
        s.sort();
        s.iter()
            .copied()
            .find(|&x| s.iter().filter(|&&y| y <= x).count() * 100 >= p as usize * s.len())
    }

    #[test]
    fn percentiles_match_reference() {
        assert_eq!(percentile_nearest_rank(&[], 50), None);
        assert_eq!(percentile_nearest_rank(&[7], 95), Some(7));
        let v: Vec<i64> = (1..=20).map(|i| i * 10).collect();
        assert_eq!(percentile_nearest_rank(&v, 50), Some(100));
        assert_eq!(percentile_nearest_rank(&v, 95), Some(190));
        assert_eq!(percentile_nearest_rank(&v, 100), Some(200));
        let mut x: u64 = 12345;
        for n in 1..40usize {
            let v: Vec<i64> = (0..n)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((x >> 33) % 1000) as i64 - 200
                })
                .collect();
            for p in [0, 1, 5, 25, 50, 90, 95, 99, 100] {
                assert_eq!(
                    percentile_nearest_rank(&v, p),
                    slow_percentile(&v, p).or(v.iter().copied().min()),
                    "n {n} p {p}"
                );
            }
        }
    }

    #[test]
    fn clip_level() {
        let d = [det(G, 0, 0), det(EventKind::RunningEnded, 0, 0)];
        let pos = ClipTruth::Positive("gunshot".into());
        assert_eq!(clip_outcome(&pos, &d, 1, None).found, 1);
        assert_eq!(clip_outcome(&pos, &d[1..], 1, None).found, 0);
        let neg = clip_outcome(&ClipTruth::Negative, &d, 1_000_000, None);
        assert_eq!((neg.false_triggers, neg.negative_detections), (1, 1));
        let quiet = clip_outcome(&ClipTruth::Negative, &d[1..], 1_000_000, None);
        assert_eq!(quiet.false_triggers, 0);
        let mut all = neg;
        all.add(&quiet);
        assert_eq!(all.false_trigger_share(), Some(0.5));
        assert_eq!(all.fa_per_hour(), Some(1800.0));
    }

    #[test]
    fn dcase_error_rate_hand_computed() {
        // Single class: N = 10, 7 found, 3 false: D = 3, I = 3, ER = 0.6, F = 14 / 20.
        let s = DcaseScores::new(10, 10, 7, 0);
        assert_eq!((s.deletions, s.insertions, s.substitutions), (3, 3, 0));
        assert!((s.error_rate.unwrap() - 0.6).abs() < 1e-12);
        assert!((s.f_score.unwrap() - 0.7).abs() < 1e-12);
        // With substitutions: N = 10, 8 detections, 5 right, 2 wrong class:
        // D = 10 - 5 - 2 = 3, I = 8 - 5 - 2 = 1, ER = 6 / 10; P = 5/8, R = 5/10, F = 5/9.
        let s = DcaseScores::new(10, 8, 5, 2);
        assert_eq!((s.deletions, s.insertions, s.substitutions), (3, 1, 2));
        assert!((s.error_rate.unwrap() - 0.6).abs() < 1e-12);
        assert!((s.f_score.unwrap() - 5.0 / 9.0).abs() < 1e-12);
        // ER above 1: 2 references, none found, 5 false detections: (0 + 2 + 5) / 2.
        let s = DcaseScores::new(2, 5, 0, 0);
        assert!((s.error_rate.unwrap() - 3.5).abs() < 1e-12);
        assert_eq!(s.f_score, Some(0.0));
        // No references: ER undefined; nothing at all: F undefined too.
        assert_eq!(DcaseScores::new(0, 3, 0, 0).error_rate, None);
        assert_eq!(DcaseScores::new(0, 0, 0, 0).f_score, None);
        // Perfect.
        let s = DcaseScores::new(4, 4, 4, 0);
        assert_eq!((s.error_rate, s.f_score), (Some(0.0), Some(1.0)));
    }

    #[test]
    fn dcase_scores_from_matching_with_the_500_ms_collar() {
        // References at 1, 5, 9 s. Detections: 1.4 s (within 0.5 s: TP), 5.6 s (outside: an
        // insertion, and 5 s is a deletion), 9.5 s (exactly one collar: TP), 20 s (insertion).
        let refs = [
            lab("gunshot", 1_000_000),
            lab("gunshot", 5_000_000),
            lab("gunshot", 9_000_000),
        ];
        let dets = [
            det(EventKind::Gunshot, 1_400_000, 1_700_000),
            det(EventKind::Gunshot, 5_600_000, 5_900_000),
            det(EventKind::Gunshot, 9_500_000, 9_800_000),
            det(EventKind::Gunshot, 20_000_000, 20_300_000),
        ];
        let m = match_events(&refs, &dets, DEFAULT_COLLAR_US, Some(&["gunshot"]));
        let mut t = TallyByKind::new();
        tally(&mut t, &refs, &dets, &m, 30_000_000, &["gunshot"]);
        let s = DcaseScores::from_tally(&t["gunshot"]);
        assert_eq!(
            (s.n_ref, s.n_sys, s.tp, s.deletions, s.insertions),
            (3, 4, 2, 1, 2)
        );
        // ER = (1 + 2) / 3 = 1.0; F = 4 / (4 + 2 + 1).
        assert!((s.error_rate.unwrap() - 1.0).abs() < 1e-12);
        assert!((s.f_score.unwrap() - 4.0 / 7.0).abs() < 1e-12);
    }
}

/// Bins of a reliability diagram ([`Reliability`]), equal widths over confidence 0..1.
pub const RELIABILITY_BINS: usize = 10;

/// One confidence bin of a reliability diagram.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ReliabilityBin {
    /// Detections whose confidence fell in the bin.
    pub detections: usize,
    /// Their summed confidence (the mean is `confidence_sum / detections`).
    pub confidence_sum: f64,
    /// Of them, the ones that were right (see [`Reliability`]).
    pub correct: usize,
}

/// Is a detector's `confidence` the probability that its detection is right? Detections are
/// binned by confidence (bin `i` holds `i/10 <= c < (i+1)/10`, the last bin includes 1); per
/// bin the share that was right should equal the mean confidence. "Right": on a recording
/// with known onsets, matched to a reference (wrong: a false alarm); in a positive clip
/// without onsets, its most confident detection of the clip's kind (the clip is found if any
/// detection is; the others are not scored); every detection in a negative clip is wrong.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Reliability {
    /// The bins, lowest confidence first.
    pub bins: [ReliabilityBin; RELIABILITY_BINS],
}

impl Reliability {
    /// Adds one scored detection.
    pub fn add(&mut self, confidence: f32, correct: bool) {
        let c = f64::from(confidence).clamp(0.0, 1.0);
        let i = ((c * RELIABILITY_BINS as f64) as usize).min(RELIABILITY_BINS - 1);
        let b = &mut self.bins[i];
        b.detections += 1;
        b.confidence_sum += c;
        b.correct += usize::from(correct);
    }

    /// Scored detections.
    pub fn detections(&self) -> usize {
        self.bins.iter().map(|b| b.detections).sum()
    }

    /// Expected calibration error: the mean over detections of |mean confidence - share
    /// right| of their bin (0 = calibrated; `None` without detections).
    ///
    /// ```
    /// use autotrigger::eval::metrics::Reliability;
    /// let mut r = Reliability::default();
    /// r.add(0.95, true);
    /// r.add(0.95, false); // 95 % confident, half right
    /// assert!((r.expected_calibration_error().unwrap() - 0.45).abs() < 1e-6);
    /// ```
    pub fn expected_calibration_error(&self) -> Option<f64> {
        let n = self.detections();
        (n > 0).then(|| {
            self.bins
                .iter()
                .filter(|b| b.detections > 0)
                .map(|b| {
                    let k = b.detections as f64;
                    (b.confidence_sum / k - b.correct as f64 / k).abs() * k
                })
                .sum::<f64>()
                / n as f64
        })
    }
}

/// Which of one recording's detections were right, for [`Reliability`]: `(detection index,
/// right)` for every scored detection (see there). `matching` is the recording's matching
/// when it has known onsets.
pub fn detection_outcomes(
    truth: Option<&ClipTruth>,
    matching: Option<&Matching>,
    detections: &[Event],
    kinds: Option<&[&str]>,
) -> Vec<(usize, bool)> {
    if let Some(m) = matching {
        let mut v: Vec<(usize, bool)> = m
            .matches
            .iter()
            .map(|x| (x.detection, true))
            .chain(m.false_alarms.iter().map(|&i| (i, false)))
            .collect();
        v.sort_unstable();
        return v;
    }
    let counted = |d: &Event| {
        let k = scored_kind(d.kind);
        !scored_only_when_labelled(k) && kinds.is_none_or(|ks| ks.contains(&k))
    };
    match truth {
        Some(ClipTruth::Positive(kind)) => {
            let mut best: Option<usize> = None;
            for (i, d) in detections.iter().enumerate() {
                if counted(d)
                    && scored_kind(d.kind) == kind
                    && best.is_none_or(|b| d.confidence > detections[b].confidence)
                {
                    best = Some(i);
                }
            }
            best.map(|i| vec![(i, true)]).unwrap_or_default()
        }
        Some(ClipTruth::Negative) => detections
            .iter()
            .enumerate()
            .filter(|(_, d)| counted(d))
            .map(|(i, _)| (i, false))
            .collect(),
        None => Vec::new(),
    }
}
