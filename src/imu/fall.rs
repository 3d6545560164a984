//! Fall and officer-down detection.
//!
//! A fall is a sequence, not a peak (a single 3 g threshold gives about 92% sensitivity and
//! 72% specificity on SisFall):
//! 1. impact: a raw |a| peak of at least the rate-aware impact threshold (`impact_g` at
//!    200 Hz), or a clipped sample (a phone that clips at 2 g per axis clips every real
//!    impact, so the clip itself is the impact evidence there; the clipped time is reported as
//!    `clipped_s`). Within 0.25 s the largest peak is the impact; later peaks within
//!    `settle_s` (rebounds, a second contact) do not move it, a peak inside the posture
//!    window re-anchors the wait (the wearer is still moving);
//! 2. optional pre-impact low-g phase (evidence only: not every fall has one);
//! 3. change of orientation: between the pre-fall gravity direction (the mean acceleration
//!    over a 1 s window centred `pre_impact_s` before the first impact, or the oldest second
//!    after the start of the stream or a gap) and the post-fall one (the mean acceleration
//!    over the posture window), at least `min_tilt_change_deg`, ending at least
//!    `lying_tilt_deg` from the learned upright reference;
//! 4. stillness: the standard deviation of |a| over the posture window (`still_window_s`,
//!    from `settle_s` after the impact) at most `still_g`.
//!
//! With a barometer, step 3 has an alternative: a turn of at least
//! `baro_min_tilt_change_deg` and a trunk at least `baro_drop_m` lower than before the
//! impact (mean pressure from 0.5 s after the impact to the decision against the mean from
//! 3 s to 1 s before it). A neck pendant hangs free and often ends near its own upright
//! after a fall (FallAllD: 35 of 193 neck falls end 13-49 degrees from it), but the wearer's
//! neck is on the floor. The decision time is the same. Chosen leave one subject out within
//! FallAllD, the only dev dataset with a barometer (`tests/imu_fall_baro.rs`).
//!
//! No axis, mounting, range or rate is assumed: both orientations are mean acceleration
//! vectors in the sensor's own axes, compared with each other and with the upright learned
//! from the wearer's own data; the mean of a window needs no filter to have converged, so a
//! fall 0.5 s after the start of the stream (or a gap) is judged too (before, the first 2 s
//! were blind: most MobiFall recordings start with their fall). The decision comes `settle_s
//! + still_window_s` after the impact (0.8 s by default). What the stillness check needs: a
//! window after the rebounds of the impact (`settle_s`: on the dev falls the second contact
//! comes 0.2-0.5 s after the first) and long enough that a wearer who walks, jogs or gets up
//! shows a step in it (0.4 s holds a step at 150 steps/min and most of one at 100); a longer
//! window only delays the decision (with 0.5 and 0.6 s windows the held-out figures of
//! `tests/imu_fall_lodo.rs` were within 2 recordings per dataset and position of these). Sitting down hard, collapsing into a chair, jumps and stumbles end upright or
//! keep moving; lying down quickly is the hard case (it does end horizontal and still).
//! The gates (`min_tilt_change_deg`, `lying_tilt_deg`, `still_g`) are the leave-one-
//! dataset-out choice of `tests/imu_fall_lodo.rs` on all four dev datasets.
//!
//! Officer down: lying (tilt at least `lying_tilt_deg`) and still (motion at most
//! `officer_still_g`) continuously for `officer_down_s` raises `officer_down`, with or without
//! a detected fall. Its onset is when the wearer went down: the impact of the fall that led
//! into the lying period when one was detected within 2 s before lying was first seen (the
//! orientation estimate reaches the lying tilt about 0.5-1 s after the impact), otherwise when
//! lying was first seen. Getting up
//! (tilt under `get_up_tilt_deg` for `get_up_s`) afterwards raises `officer_down_cancelled`.

use super::baro::{self, Barometer};
use super::orientation::{angle_deg, OrientFrame};
use super::stream::{ImuFrame, FRAME_US, INTERNAL_RATE_HZ};
use crate::error::ConfigError;
use crate::event::{Event, EventKind, Evidence};
use crate::time::{secs_to_micros, secs_to_samples, Timestamp};
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

/// Fall and officer-down parameters (TOML table `[fall]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FallConfig {
    /// Smallest raw |a| peak that starts a fall candidate, g. Default 2.1; range 1.2..=16.
    /// A clipped sample also starts one, whatever its value (a 2 g phone clips every real
    /// impact).
    pub impact_g: f64,
    /// Full width at half maximum of the weakest impacts `impact_g` is meant to catch,
    /// seconds; it makes the threshold rate-aware. A sensor that samples every `dt` reads a
    /// short impact's peak only if a sample lands on it: modelled as a Gaussian pulse of this
    /// width, sampled `dt / 4` from its peak (the median sampling phase), it shows
    /// `2^-(dt / 2w)^2` of its excess over 1 g. The threshold's excess over 1 g is scaled by
    /// that factor (see [`FallConfig::impact_threshold_g`]), so on average over sampling
    /// phases a low-rate sensor makes the decision a fast one makes. Default 0.07 (the median width of the
    /// SisFall dev falls peaking under 3.5 g: soft falls have the widest, weakest impacts);
    /// 0 turns the adjustment off. Range 0..=1.
    pub impact_width_s: f64,
    /// Free-fall depth reported as evidence: the pre-impact minimum of |a| is compared with
    /// it, g. Default 0.6; range 0..=1.
    pub low_g: f64,
    /// How long before the (first) impact the pre-fall orientation is taken (the centre of
    /// its 1 s window), seconds. Default 1.5; range 0.2..=3.
    pub pre_impact_s: f64,
    /// Time after the impact before stillness is measured, seconds. Default 0.4; range
    /// 0..=5.
    pub settle_s: f64,
    /// Window, after `settle_s`, over which the post-fall posture (the mean acceleration
    /// vector: the wearer's gravity direction) and stillness (standard deviation of |a|)
    /// are measured, seconds. The decision comes `settle_s + still_window_s` after the last
    /// impact. Default 0.4; range 0.2..=3.
    pub still_window_s: f64,
    /// Smallest change of orientation across the fall (pre-fall to post-fall gravity
    /// direction), degrees. Default 30; range 0..=180.
    pub min_tilt_change_deg: f64,
    /// Smallest angle from the learned upright that counts as lying, degrees (the post-fall
    /// posture gate, and officer down's lying). Default 50; range 10..=90.
    pub lying_tilt_deg: f64,
    /// Largest post-impact motion level (standard deviation of |a| over the posture window),
    /// g. Default 0.4; range 0.005..=2.
    pub still_g: f64,
    /// Barometer-confirmed fall: with pressure samples, an impact followed by stillness
    /// (`still_g`) and a turn of at least `baro_min_tilt_change_deg` is a fall when the
    /// trunk ended at least this much lower than before the impact (`trunk_drop_m`: the mean
    /// pressure from 0.5 s after the impact to the decision against the mean from 3 s to 1 s
    /// before it), whatever the final posture: a neck pendant hangs free and often ends near
    /// its own upright after a fall. Metres; 0 turns this path off. Default 0.3 (the choice
    /// on all FallAllD subjects, `tests/imu_fall_baro.rs`; a trunk on the floor is 0.8-1.2 m
    /// lower, the estimate's noise is about 0.2 m); range 0..=5. Without a barometer only
    /// the posture path decides.
    pub baro_drop_m: f64,
    /// Smallest change of orientation for the barometer-confirmed path, degrees. Default
    /// 25; range 0..=180.
    pub baro_min_tilt_change_deg: f64,
    /// Lying and still this long raises officer down, seconds. Default 20; range 5..=300.
    pub officer_down_s: f64,
    /// Largest motion level that still counts as "down and still" for officer down, g.
    /// Default 0.25; range 0.005..=4.
    pub officer_still_g: f64,
    /// Tilt below which the wearer counts as up again, degrees. Default 35; range 5..=90
    /// (and below `lying_tilt_deg`).
    pub get_up_tilt_deg: f64,
    /// How long the wearer must stay up to cancel officer down, seconds. Default 1.0;
    /// range 0..=30.
    pub get_up_s: f64,
}

impl Default for FallConfig {
    fn default() -> Self {
        FallConfig {
            impact_g: 2.1,
            impact_width_s: 0.07,
            low_g: 0.6,
            pre_impact_s: 1.5,
            settle_s: 0.4,
            still_window_s: 0.4,
            min_tilt_change_deg: 30.0,
            lying_tilt_deg: 50.0,
            still_g: 0.4,
            baro_drop_m: 0.3,
            baro_min_tilt_change_deg: 25.0,
            officer_down_s: 20.0,
            officer_still_g: 0.25,
            get_up_tilt_deg: 35.0,
            get_up_s: 1.0,
        }
    }
}

impl FallConfig {
    /// Checks every parameter against its documented range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        ConfigError::check_range("fall.impact_g", self.impact_g, 1.2, 16.0)?;
        ConfigError::check_range("fall.impact_width_s", self.impact_width_s, 0.0, 1.0)?;
        ConfigError::check_range("fall.low_g", self.low_g, 0.0, 1.0)?;
        ConfigError::check_range("fall.pre_impact_s", self.pre_impact_s, 0.2, 3.0)?;
        ConfigError::check_range("fall.settle_s", self.settle_s, 0.0, 5.0)?;
        ConfigError::check_range("fall.still_window_s", self.still_window_s, 0.2, 3.0)?;
        ConfigError::check_range(
            "fall.min_tilt_change_deg",
            self.min_tilt_change_deg,
            0.0,
            180.0,
        )?;
        ConfigError::check_range("fall.lying_tilt_deg", self.lying_tilt_deg, 10.0, 90.0)?;
        ConfigError::check_range("fall.still_g", self.still_g, 0.005, 2.0)?;
        ConfigError::check_range("fall.baro_drop_m", self.baro_drop_m, 0.0, 5.0)?;
        ConfigError::check_range(
            "fall.baro_min_tilt_change_deg",
            self.baro_min_tilt_change_deg,
            0.0,
            180.0,
        )?;
        ConfigError::check_range("fall.officer_down_s", self.officer_down_s, 5.0, 300.0)?;
        ConfigError::check_range("fall.officer_still_g", self.officer_still_g, 0.005, 4.0)?;
        ConfigError::check_range("fall.get_up_tilt_deg", self.get_up_tilt_deg, 5.0, 90.0)?;
        ConfigError::check_range("fall.get_up_s", self.get_up_s, 0.0, 30.0)?;
        if self.get_up_tilt_deg >= self.lying_tilt_deg {
            return Err(ConfigError::Inconsistent {
                param: "fall.get_up_tilt_deg",
                reason: "must be below fall.lying_tilt_deg",
            });
        }
        Ok(())
    }

    /// The impact threshold for a sensor sampling at `raw_rate_hz`, g:
    /// `1 + (impact_g - 1) * 2^-(dt / (2 * impact_width_s))^2` with `dt = 1 / raw_rate_hz`
    /// (see `impact_width_s`). A rate that is not positive and finite, or a width of 0,
    /// gives `impact_g` itself.
    ///
    /// ```
    /// use autotrigger::imu::FallConfig;
    /// let c = FallConfig::default();
    /// assert!((c.impact_threshold_g(200.0) - 2.1).abs() < 0.005);
    /// // A 20 Hz sensor reads a 70 ms impact at about 91 % of its excess over 1 g.
    /// assert!((c.impact_threshold_g(20.0) - 2.007).abs() < 0.005);
    /// ```
    pub fn impact_threshold_g(&self, raw_rate_hz: f64) -> f64 {
        if !(raw_rate_hz.is_finite() && raw_rate_hz > 0.0) || self.impact_width_s <= 0.0 {
            return self.impact_g;
        }
        let x = 1.0 / (raw_rate_hz * 2.0 * self.impact_width_s);
        1.0 + (self.impact_g - 1.0) * (-(x * x)).exp2()
    }
}

/// Fall features measured at the decision point (also what the devset test prints).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FallFeatures {
    /// Impact time (the largest raw |a| of the last impact cluster).
    pub impact: Timestamp,
    /// Largest raw |a| over the candidate, g.
    pub peak_g: f32,
    /// Smallest raw |a| in the second before the first impact, g.
    pub low_g_min: f32,
    /// A clipped sample was seen in the candidate.
    pub saturated: bool,
    /// Angle between the pre-fall and post-impact orientation, degrees.
    pub tilt_change_deg: f32,
    /// Angle between the post-impact orientation and the learned upright, degrees.
    pub post_tilt_deg: f32,
    /// Motion level at the decision, g.
    pub post_motion_g: f32,
    /// Height the trunk lost across the impact from the barometer (positive = lower), m;
    /// `None` without enough pressure samples.
    pub trunk_drop_m: Option<f32>,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    first_impact: Timestamp,
    impact: Timestamp,
    peak_g: f32,
    last_peak_g: f32,
    /// Pre-fall gravity direction (mean acceleration before the first impact), unit.
    pre_up: Vector3<f32>,
    low_g_min: f32,
    saturated: bool,
    /// Frames with a clipped raw sample since the first impact.
    clipped_frames: u32,
    /// The rate-aware impact threshold when the candidate opened, g.
    impact_threshold_g: f32,
}

/// Least signal history (since the start of the stream or a gap) before an impact can open a
/// fall candidate, seconds: the pre-fall orientation is the mean acceleration over up to
/// [`PRE_WINDOW_S`] of it, and half a second holds at least one stride of a walk.
const MIN_HISTORY_S: f64 = 0.5;

/// Length of the window whose mean acceleration gives the pre-fall orientation, seconds,
/// centred `pre_impact_s` before the first impact (over whole strides the mean acceleration
/// of a walking or standing wearer is gravity).
const PRE_WINDOW_S: f64 = 1.0;

/// Longest time from a detected fall's impact to when lying is first seen for officer down to
/// date the wearer's going down to that impact, seconds: the orientation filter reaches the
/// lying tilt 0.5-1 s after the impact (1.03 s in `imu_synthetic`'s 200 Hz scene), which may
/// be after the fall decision (0.8 s).
const DOWN_ONSET_WINDOW_S: f64 = 2.0;

/// Pressure averaged before the impact: from this long before the impact...
const BARO_BEFORE_FROM_US: i64 = 3_000_000;
/// ...to this long before it (the descent itself is left out).
const BARO_BEFORE_TO_US: i64 = 1_000_000;
/// Pressure averaged after the impact from this long after it to the decision.
const BARO_AFTER_US: i64 = 500_000;

/// Slowest and fastest supported raw rates, Hz (the impact threshold's rate is clamped to them).
const MIN_RATE_HZ: f32 = 20.0;
const MAX_RATE_HZ: f32 = 1000.0;

/// Per-stream state of the fall / officer-down logic, fed with internal frames.
#[derive(Debug, Clone)]
pub(crate) struct FallCore {
    cfg: FallConfig,
    /// Recent acceleration vectors (g) and raw minima of |a|, for the pre-impact orientation,
    /// the low-g depth and the post-impact posture and stillness.
    accs: Vec<Vector3<f32>>,
    mins: Vec<f32>,
    pos: usize,
    /// Frames in the rings since the start of the stream or the last gap.
    filled: usize,
    pre_frames: usize,
    pre_half: usize,
    low_frames: usize,
    min_history: usize,
    still_frames: usize,
    settle_us: i64,
    wait_us: i64,
    impact_window_us: i64,
    cand: Option<Candidate>,
    last_features: Option<FallFeatures>,
    lying_since: Option<Timestamp>,
    down_alerted: Option<Timestamp>,
    up_since: Option<Timestamp>,
    /// Time of the latest frame (to measure a gap when the stream resumes).
    last_t: Option<Timestamp>,
    /// A gap was seen and the next frame is the first after it.
    after_gap: bool,
    /// Part of the current lying period spent in gaps (no samples), microseconds.
    unobserved_us: i64,
    /// Impact time of the latest fall event (the officer-down onset when lying follows it).
    last_fall_impact: Option<Timestamp>,
    /// Raw rate the cached impact threshold was computed for, Hz.
    threshold_rate_hz: f32,
    /// Impact threshold at `threshold_rate_hz`, g.
    threshold_g: f32,
}

impl FallCore {
    pub(crate) fn new(cfg: &FallConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        let r = INTERNAL_RATE_HZ;
        let pre_frames = secs_to_samples(cfg.pre_impact_s, r, 1);
        let pre_half = secs_to_samples(PRE_WINDOW_S / 2.0, r, 1);
        let low_frames = secs_to_samples(1.0, r, 1);
        let still_frames = secs_to_samples(cfg.still_window_s, r, 1);
        let cap = (pre_frames + pre_half).max(low_frames).max(still_frames) + 1;
        Ok(FallCore {
            cfg: cfg.clone(),
            accs: vec![Vector3::zeros(); cap],
            mins: vec![0.0; cap],
            pos: 0,
            filled: 0,
            pre_frames,
            pre_half,
            low_frames,
            min_history: secs_to_samples(MIN_HISTORY_S, r, 1),
            still_frames,
            settle_us: secs_to_micros(cfg.settle_s),
            wait_us: secs_to_micros(cfg.settle_s + cfg.still_window_s),
            impact_window_us: secs_to_micros(0.25),
            cand: None,
            last_features: None,
            lying_since: None,
            down_alerted: None,
            up_since: None,
            last_t: None,
            after_gap: false,
            unobserved_us: 0,
            last_fall_impact: None,
            threshold_rate_hz: f32::NAN,
            threshold_g: cfg.impact_g as f32,
        })
    }

    pub(crate) fn reset(&mut self) {
        self.pos = 0;
        self.filled = 0;
        self.cand = None;
        self.last_features = None;
        self.lying_since = None;
        self.down_alerted = None;
        self.up_since = None;
        self.last_t = None;
        self.after_gap = false;
        self.unobserved_us = 0;
        self.last_fall_impact = None;
    }

    /// After a gap: the signal history and any pending fall candidate are dropped (nothing is
    /// known about the samples in between, so the discontinuity is never an impact, and the
    /// pre-fall orientation only comes from samples after the gap). The officer-down state
    /// describes the wearer, not the signal: it survives a gap shorter than `officer_down_s`
    /// when the wearer is found still lying and still on the first frame after it (a dropout
    /// does not get anyone up, and restarting the timer on every dropout of a flaky link
    /// would delay or suppress the alarm). The unobserved time is counted in the timer and
    /// reported as evidence. A raised alert survives any gap: it ends only with an observed
    /// get-up (`officer_down_cancelled`), whose `get_up_s` start again after the gap.
    pub(crate) fn restart(&mut self) {
        self.pos = 0;
        self.filled = 0;
        self.cand = None;
        self.after_gap = true;
    }

    /// The longest delay from an event's onset to its decision, each decided on the first
    /// frame at or after its time: a fall `settle_s + still_window_s` after its impact (the
    /// largest peak of the 0.25 s impact window, kept as a margin); officer down
    /// `officer_down_s` after lying was first seen, dated up to `DOWN_ONSET_WINDOW_S` earlier
    /// (to the impact of the fall that led into it); its cancellation `get_up_s` after
    /// getting up.
    pub(crate) fn latency_us(&self) -> i64 {
        let down = secs_to_micros(self.cfg.officer_down_s + DOWN_ONSET_WINDOW_S);
        let up = secs_to_micros(self.cfg.get_up_s);
        let fall = self.wait_us + self.impact_window_us;
        down.max(up).max(fall) + FRAME_US
    }

    pub(crate) fn last_features(&self) -> Option<FallFeatures> {
        self.last_features
    }

    /// Index in the rings of the frame `back` frames ago (0 = the latest).
    fn idx(&self, back: usize) -> usize {
        let cap = self.accs.len();
        (self.pos + cap - 1 - back % cap) % cap
    }

    /// Mean acceleration vector over the frames `lo..=hi` back (clamped to the history),
    /// and the standard deviation of |a| over them.
    fn window(&self, lo: usize, hi: usize) -> (Vector3<f32>, f32) {
        let hi = hi.min(self.filled.saturating_sub(1));
        let lo = lo.min(hi);
        let (mut sum, mut s1, mut s2) = (Vector3::<f32>::zeros(), 0f64, 0f64);
        for b in lo..=hi {
            let a = self.accs[self.idx(b)];
            sum += a;
            let n = f64::from(a.norm());
            s1 += n;
            s2 += n * n;
        }
        let k = (hi - lo + 1) as f64;
        let m = s1 / k;
        let sd = (s2 / k - m * m).max(0.0).sqrt() as f32;
        (sum / k as f32, sd)
    }

    fn evaluate(
        &mut self,
        c: &Candidate,
        o: &OrientFrame,
        baro: Option<&Barometer>,
        now: Timestamp,
    ) -> Option<Event> {
        // Posture and stillness over the window after the settle time (shorter at the end of
        // the stream).
        let since_settle = now.micros_since(c.impact) - self.settle_us;
        let k = ((since_settle.max(0) / FRAME_US) as usize).clamp(1, self.still_frames);
        let (mean, motion) = self.window(0, k - 1);
        let mn = mean.norm();
        let post_up = if mn > 1e-3 { mean / mn } else { o.up };
        let cfg = &self.cfg;
        let tilt_change = angle_deg(&c.pre_up, &post_up);
        let post_tilt = o.upright.map_or(0.0, |r| angle_deg(&r, &post_up));
        let pre_tilt = o.upright.map_or(0.0, |r| angle_deg(&r, &c.pre_up));
        // The barometer's view: the pressure rise across the impact and the height it means.
        let rise = baro.and_then(|b| {
            let before = b.mean(
                c.impact.add_micros(-BARO_BEFORE_FROM_US),
                c.impact.add_micros(-BARO_BEFORE_TO_US),
            )?;
            let after = b.mean(c.impact.add_micros(BARO_AFTER_US), now)?;
            Some((
                (after - before) as f32,
                (-(after - before) * baro::metres_per_hpa(0.5 * (after + before))) as f32,
            ))
        });
        let drop = rise.map(|r| r.1);
        let feats = FallFeatures {
            impact: c.impact,
            peak_g: c.peak_g,
            low_g_min: c.low_g_min,
            saturated: c.saturated,
            tilt_change_deg: tilt_change,
            post_tilt_deg: post_tilt,
            post_motion_g: motion,
            trunk_drop_m: drop,
        };
        self.last_features = Some(feats);
        let posture =
            tilt_change >= cfg.min_tilt_change_deg as f32 && post_tilt >= cfg.lying_tilt_deg as f32;
        let dropped = cfg.baro_drop_m > 0.0
            && tilt_change >= cfg.baro_min_tilt_change_deg as f32
            && drop.is_some_and(|d| d >= cfg.baro_drop_m as f32);
        let ok = o.upright.is_some() && (posture || dropped) && motion <= cfg.still_g as f32;
        if !ok {
            return None;
        }
        let mut e = Evidence::new();
        e.push("peak_g", c.peak_g, Some(c.impact_threshold_g));
        e.push(
            "tilt_change_deg",
            tilt_change,
            Some(cfg.min_tilt_change_deg as f32),
        );
        e.push("post_tilt_deg", post_tilt, Some(cfg.lying_tilt_deg as f32));
        e.push("post_motion_g", motion, Some(cfg.still_g as f32));
        e.push("low_g_min_g", c.low_g_min, Some(cfg.low_g as f32));
        e.push("saturated", if c.saturated { 1.0 } else { 0.0 }, None);
        e.push(
            "clipped_s",
            c.clipped_frames as f32 / INTERNAL_RATE_HZ as f32,
            None,
        );
        e.push(
            "impact_span_s",
            c.impact.micros_since(c.first_impact) as f32 * 1e-6,
            None,
        );
        e.push("pre_tilt_deg", pre_tilt, None);
        e.push(
            "still_window_s",
            k as f32 / INTERNAL_RATE_HZ as f32,
            Some(cfg.still_window_s as f32),
        );
        if let Some((rise_hpa, drop_m)) = rise {
            e.push("pressure_rise_hpa", rise_hpa, None);
            let gate = (cfg.baro_drop_m > 0.0).then_some(cfg.baro_drop_m as f32);
            e.push("trunk_drop_m", drop_m, gate);
        }
        // Confidence grows with the margins: a hard impact, a large turn, a clear stillness.
        let m_peak = ((c.peak_g - c.impact_threshold_g) / 4.0).clamp(0.0, 1.0);
        let m_tilt = ((tilt_change - cfg.min_tilt_change_deg as f32) / 45.0).clamp(0.0, 1.0);
        let m_still = (1.0 - motion / cfg.still_g as f32).clamp(0.0, 1.0);
        let sat = if c.saturated || c.low_g_min < cfg.low_g as f32 {
            1.0
        } else {
            0.0
        };
        let confidence = 0.5 + 0.5 * (m_peak.max(sat) + m_tilt + m_still) / 3.0;
        Some(Event {
            kind: EventKind::Fall,
            onset: c.impact,
            decided: now,
            confidence,
            evidence: e,
        })
    }

    pub(crate) fn frame(
        &mut self,
        f: &ImuFrame,
        o: &OrientFrame,
        baro: Option<&Barometer>,
        out: &mut impl Extend<Event>,
    ) {
        let cap = self.accs.len();
        self.accs[self.pos] = f.accel_g;
        self.mins[self.pos] = f.min_g;
        self.pos = (self.pos + 1) % cap;
        self.filled = (self.filled + 1).min(cap);
        let t = f.t;
        let cfg = &self.cfg;
        if self.after_gap {
            self.after_gap = false;
            let gap = self.last_t.map_or(i64::MAX, |p| t.micros_since(p));
            let lying = o.upright.is_some() && o.tilt_deg >= cfg.lying_tilt_deg as f32;
            let still = o.motion_g <= cfg.officer_still_g as f32;
            if self.down_alerted.is_some() {
                // A raised alert ends only with an observed get-up (`get_up_s` of samples,
                // raising `officer_down_cancelled`), never silently in a gap: whatever the
                // first frame after it shows, the get-up time starts again from it.
                self.up_since = None;
            } else if self.lying_since.is_some()
                && lying
                && still
                && gap < secs_to_micros(cfg.officer_down_s)
            {
                self.unobserved_us += gap;
            } else {
                self.lying_since = None;
                self.down_alerted = None;
                self.up_since = None;
                self.unobserved_us = 0;
            }
        }
        self.last_t = Some(t);

        // Impact candidates, once the upright reference is known and there is enough history
        // for the pre-fall orientation (its mean acceleration: no filter needs to have
        // converged, so a fall right after the start of the stream is judged too).
        // The threshold follows the raw rate: only a sensor that samples often enough sees
        // a short impact's full peak (`impact_width_s`).
        // The rate is clamped to the supported 20 Hz-1 kHz: the smoothed rate starts from the
        // first interval, and a late second sample (a 0.48 s hole after a blank first row, as
        // in one UMAFall file) would otherwise read as a 2 Hz sensor whose every sample is
        // an impact.
        let rate = f.raw_rate_hz.clamp(MIN_RATE_HZ, MAX_RATE_HZ);
        let threshold = if rate == self.threshold_rate_hz {
            self.threshold_g
        } else {
            self.threshold_rate_hz = rate;
            self.threshold_g = cfg.impact_threshold_g(f64::from(rate)) as f32;
            self.threshold_g
        };
        let ready = o.upright.is_some() && self.filled > self.min_history;
        let is_peak = ready && (f.peak_g >= threshold || f.saturated);
        if is_peak {
            match self.cand {
                None => {
                    // Frames before this one: the window centred `pre_impact_s` back, or the
                    // oldest `PRE_WINDOW_S` of a shorter history.
                    let avail = self.filled - 1;
                    let hi = (self.pre_frames + self.pre_half).min(avail);
                    let lo = (self.pre_frames.saturating_sub(self.pre_half))
                        .min(hi.saturating_sub(2 * self.pre_half));
                    let (m, _) = self.window(lo + 1, hi);
                    let mn = m.norm();
                    let pre_up = if mn > 1e-3 { m / mn } else { o.up };
                    let mut low = f32::INFINITY;
                    for b in 1..=self.low_frames.min(avail) {
                        low = low.min(self.mins[self.idx(b)]);
                    }
                    self.cand = Some(Candidate {
                        first_impact: t,
                        impact: t,
                        peak_g: f.peak_g,
                        last_peak_g: f.peak_g,
                        pre_up,
                        low_g_min: low.min(f.min_g),
                        saturated: f.saturated,
                        clipped_frames: u32::from(f.saturated),
                        impact_threshold_g: threshold,
                    });
                }
                Some(ref mut c) => {
                    // Within the impact window keep the largest peak. Later peaks within
                    // `settle_s` of the impact (rebounds, a second contact) do not move the
                    // decision: the posture window starts after them anyway. A peak after
                    // that, inside the posture window, re-anchors the wait (the wearer is
                    // still moving).
                    let since = t.micros_since(c.impact);
                    if since <= self.impact_window_us {
                        if f.peak_g > c.last_peak_g {
                            c.impact = t;
                            c.last_peak_g = f.peak_g;
                        }
                    } else if since > self.settle_us {
                        c.impact = t;
                        c.last_peak_g = f.peak_g;
                    }
                    c.peak_g = c.peak_g.max(f.peak_g);
                    c.saturated |= f.saturated;
                    c.clipped_frames += u32::from(f.saturated);
                }
            }
        }
        if let Some(c) = self.cand {
            if t.micros_since(c.impact) >= self.wait_us {
                self.cand = None;
                if let Some(e) = self.evaluate(&c, o, baro, t) {
                    self.last_fall_impact = Some(e.onset);
                    out.extend(Some(e));
                }
            }
        }

        // Officer down.
        let cfg = &self.cfg;
        let lying = o.upright.is_some() && o.tilt_deg >= cfg.lying_tilt_deg as f32;
        let still = o.motion_g <= cfg.officer_still_g as f32;
        match self.down_alerted {
            None => {
                if lying && still {
                    let since = *self.lying_since.get_or_insert(t);
                    if t.micros_since(since) >= secs_to_micros(cfg.officer_down_s) {
                        self.down_alerted = Some(since);
                        // The wearer went down at the impact of a fall detected just before
                        // lying was first seen (within DOWN_ONSET_WINDOW_S of it).
                        let went_down = match self.last_fall_impact {
                            Some(i)
                                if i <= since
                                    && since.micros_since(i)
                                        <= secs_to_micros(DOWN_ONSET_WINDOW_S) =>
                            {
                                i
                            }
                            _ => since,
                        };
                        self.up_since = None;
                        let mut e = Evidence::new();
                        e.push(
                            "lying_s",
                            t.micros_since(since) as f32 * 1e-6,
                            Some(cfg.officer_down_s as f32),
                        );
                        e.push("tilt_deg", o.tilt_deg, Some(cfg.lying_tilt_deg as f32));
                        e.push("motion_g", o.motion_g, Some(cfg.officer_still_g as f32));
                        e.push("unobserved_s", self.unobserved_us as f32 * 1e-6, None);
                        out.extend(Some(Event {
                            kind: EventKind::OfficerDown,
                            onset: went_down,
                            decided: t,
                            confidence: 1.0,
                            evidence: e,
                        }));
                    }
                } else {
                    self.lying_since = None;
                    self.unobserved_us = 0;
                }
            }
            Some(since) => {
                if o.tilt_deg < cfg.get_up_tilt_deg as f32 {
                    let up = *self.up_since.get_or_insert(t);
                    if t.micros_since(up) >= secs_to_micros(cfg.get_up_s) {
                        let mut e = Evidence::new();
                        e.push("tilt_deg", o.tilt_deg, Some(cfg.get_up_tilt_deg as f32));
                        e.push("down_s", up.micros_since(since) as f32 * 1e-6, None);
                        out.extend(Some(Event {
                            kind: EventKind::OfficerDownCancelled,
                            onset: up,
                            decided: t,
                            confidence: 1.0,
                            evidence: e,
                        }));
                        self.down_alerted = None;
                        self.lying_since = None;
                        self.up_since = None;
                        self.unobserved_us = 0;
                    }
                } else {
                    self.up_since = None;
                }
            }
        }
    }

    /// End of stream: a pending candidate is dropped. Its posture window is not complete, and
    /// a partial one is no evidence: the mean acceleration over a fraction of a stride is not
    /// gravity and its |a| spread can be small (a run cut off by the end of a recording read
    /// as a fall when a 0.27 s remainder was judged).
    pub(crate) fn finish(
        &mut self,
        _o: &OrientFrame,
        _now: Timestamp,
        _out: &mut impl Extend<Event>,
    ) {
        self.cand = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `FallCore` scripted internal frames (100 Hz) with an orientation read from the
    /// frame's own acceleration against a known upright (+z): each rule of the module
    /// documentation is then checked at its exact time and threshold.
    struct Rig {
        core: FallCore,
        k: i64,
        out: Vec<Event>,
        baro: Option<Barometer>,
        /// The orientation's tilt for the next frames instead of the one read from `a`.
        tilt: Option<f32>,
    }

    const UPRIGHT: [f32; 3] = [0.0, 0.0, 1.0];
    const LYING: [f32; 3] = [1.0, 0.0, 0.0];

    impl Rig {
        fn new(cfg: &FallConfig) -> Rig {
            Rig {
                core: FallCore::new(cfg).unwrap(),
                k: 0,
                out: Vec::new(),
                baro: None,
                tilt: None,
            }
        }

        fn now(&self) -> Timestamp {
            Timestamp(self.k * FRAME_US)
        }

        /// One frame: acceleration `a` (g), raw |a| extremes `peak` / `min`, motion level.
        fn frame(&mut self, a: [f32; 3], peak: f32, min: f32, saturated: bool, motion: f32) {
            let a = Vector3::from(a);
            let up = a.normalize();
            let upright = Vector3::from(UPRIGHT);
            let f = ImuFrame {
                t: self.now(),
                accel_g: a,
                gyro: None,
                peak_g: peak,
                min_g: min,
                peak_dyn_g: 0.0,
                saturated,
                raw_rate_hz: 200.0,
            };
            let o = OrientFrame {
                up,
                upright: Some(upright),
                tilt_deg: self.tilt.unwrap_or_else(|| angle_deg(&upright, &up)),
                vertical_g: 0.0,
                motion_g: motion,
                settled: true,
            };
            self.core.frame(&f, &o, self.baro.as_ref(), &mut self.out);
            self.k += 1;
        }

        /// `secs` of a resting posture `a` (|a| = 1 g, no motion).
        fn hold(&mut self, secs: f64, a: [f32; 3]) {
            for _ in 0..(secs * f64::from(INTERNAL_RATE_HZ)).round() as usize {
                self.frame(a, 1.0, 1.0, false, 0.0);
            }
        }

        fn kinds(&self) -> Vec<(EventKind, i64, i64)> {
            self.out
                .iter()
                .map(|e| (e.kind, e.onset.as_micros(), e.decided.as_micros()))
                .collect()
        }
    }

    fn value(e: &Event, name: &str) -> f32 {
        e.evidence.get(name).unwrap().value
    }

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-4
    }

    /// Stand 3 s, an impact of `peak_g` at 3.00 s, lie still.
    fn fall(cfg: &FallConfig, peak_g: f32, lie_s: f64) -> Rig {
        let mut r = Rig::new(cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, peak_g, 1.0, false, 0.0);
        r.hold(lie_s, LYING);
        r
    }

    #[test]
    fn validate_checks_every_range_and_get_up_below_lying() {
        assert!(FallConfig::default().validate().is_ok());
        let bad = |c: FallConfig| c.validate().unwrap_err().to_string();
        let d = FallConfig::default;
        assert!(bad(FallConfig {
            impact_g: 1.0,
            ..d()
        })
        .contains("fall.impact_g"));
        assert!(bad(FallConfig {
            still_g: 0.0,
            ..d()
        })
        .contains("fall.still_g"));
        assert!(bad(FallConfig {
            get_up_s: 31.0,
            ..d()
        })
        .contains("fall.get_up_s"));
        // get_up_tilt_deg must be strictly below lying_tilt_deg.
        let eq = FallConfig {
            get_up_tilt_deg: 50.0,
            ..d()
        };
        assert!(bad(eq).contains("fall.get_up_tilt_deg"));
        let below = FallConfig {
            get_up_tilt_deg: 49.9,
            ..d()
        };
        assert!(below.validate().is_ok());
    }

    #[test]
    fn impact_threshold_follows_the_rate() {
        let c = FallConfig {
            impact_g: 3.0,
            impact_width_s: 0.05,
            ..FallConfig::default()
        };
        // dt = 0.1 s: x = 1 / (10 * 2 * 0.05) = 1, factor 2^-1.
        assert!((c.impact_threshold_g(10.0) - 2.0).abs() < 1e-12);
        // dt = 0.05 s: x = 0.5, factor 2^-0.25.
        let want = 1.0 + 2.0 * 2f64.powf(-0.25);
        assert!((c.impact_threshold_g(20.0) - want).abs() < 1e-12);
        for bad_rate in [0.0, -5.0, f64::NAN, f64::INFINITY] {
            assert_eq!(c.impact_threshold_g(bad_rate), 3.0, "{bad_rate}");
        }
        let off = FallConfig {
            impact_width_s: 0.0,
            ..c.clone()
        };
        assert_eq!(off.impact_threshold_g(20.0), 3.0);
    }

    #[test]
    fn a_scripted_fall_is_decided_with_its_features_then_officer_down_and_get_up() {
        let cfg = FallConfig::default();
        let mut r = fall(&cfg, 3.0, 30.0);
        // Fall: decided settle_s + still_window_s (0.8 s) after the impact at 3 s; officer
        // down 20 s after lying was first seen (3.01 s), dated to the impact.
        assert_eq!(
            r.kinds(),
            vec![
                (EventKind::Fall, 3_000_000, 3_800_000),
                (EventKind::OfficerDown, 3_000_000, 23_010_000),
            ]
        );
        let e = r.out[0];
        let thr = cfg.impact_threshold_g(200.0) as f32;
        assert!(close(value(&e, "peak_g"), 3.0));
        assert_eq!(e.evidence.get("peak_g").unwrap().threshold, Some(thr));
        assert!(close(value(&e, "tilt_change_deg"), 90.0));
        assert!(close(value(&e, "post_tilt_deg"), 90.0));
        assert!(close(value(&e, "pre_tilt_deg"), 0.0));
        assert!(close(value(&e, "post_motion_g"), 0.0));
        assert!(close(value(&e, "low_g_min_g"), 1.0));
        assert_eq!(value(&e, "saturated"), 0.0);
        assert_eq!(value(&e, "clipped_s"), 0.0);
        assert_eq!(value(&e, "impact_span_s"), 0.0);
        assert!(close(value(&e, "still_window_s"), 0.4));
        let want = 0.5 + 0.5 * ((3.0 - thr) / 4.0 + 1.0 + 1.0) / 3.0;
        assert!(close(e.confidence, want), "{} {want}", e.confidence);
        let f = r.core.last_features().unwrap();
        assert_eq!(f.impact, Timestamp(3_000_000));
        assert!(!f.saturated && f.trunk_drop_m.is_none());
        let d = &r.out[1];
        assert!(close(value(d, "lying_s"), 20.0));
        assert_eq!(value(d, "unobserved_s"), 0.0);
        assert!(close(value(d, "tilt_deg"), 90.0));
        // Up again (tilt under get_up_tilt_deg) for get_up_s: cancelled, dated to getting up.
        r.hold(1.5, UPRIGHT);
        let c = r.out.last().unwrap();
        assert_eq!(
            (c.kind, c.onset.as_micros(), c.decided.as_micros()),
            (EventKind::OfficerDownCancelled, 33_010_000, 34_010_000)
        );
        assert!(close(value(c, "down_s"), 30.0));
        assert_eq!(r.out.len(), 3);
    }

    #[test]
    fn the_largest_peak_of_the_impact_window_is_the_impact_and_later_peaks_re_anchor() {
        let cfg = FallConfig::default();
        // A larger peak 0.2 s after the first moves the impact; a smaller one does not; a
        // peak 0.3 s later (after the 0.25 s window, within settle_s) moves nothing.
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 2.5, 1.0, false, 0.0); // 3.00 s
        r.hold(0.19, LYING);
        r.frame(LYING, 4.0, 1.0, false, 0.0); // 3.20 s
        r.frame(LYING, 3.0, 1.0, false, 0.0); // 3.21 s
        r.hold(0.29, LYING);
        r.frame(LYING, 5.0, 1.0, false, 0.0); // 3.51 s
        r.hold(2.0, LYING);
        assert_eq!(r.kinds(), vec![(EventKind::Fall, 3_200_000, 4_000_000)]);
        let e = &r.out[0];
        assert!(close(value(e, "impact_span_s"), 0.2));
        assert!(close(value(e, "peak_g"), 5.0));
        // An equal peak in the impact window does not move the impact.
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 3.0, 1.0, false, 0.0); // 3.00 s
        r.hold(0.09, LYING);
        r.frame(LYING, 3.0, 1.0, false, 0.0); // 3.10 s
        r.hold(2.0, LYING);
        assert_eq!(r.kinds(), vec![(EventKind::Fall, 3_000_000, 3_800_000)]);
        // A peak after settle_s (0.5 s after the impact) re-anchors the wait.
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 3.0, 1.0, false, 0.0); // 3.00 s
        r.hold(0.49, LYING);
        r.frame(LYING, 2.5, 1.0, false, 0.0); // 3.50 s
        r.hold(2.0, LYING);
        assert_eq!(r.kinds(), vec![(EventKind::Fall, 3_500_000, 4_300_000)]);
        assert!(close(value(&r.out[0], "impact_span_s"), 0.5));
    }

    #[test]
    fn a_clipped_sample_or_a_free_fall_is_impact_evidence() {
        let cfg = FallConfig::default();
        // A clipped 2 g frame (under the 2.1 g threshold) opens the candidate; two clipped
        // frames are 0.02 s of clipping; saturation counts as a full peak margin.
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 2.0, 1.0, true, 0.0);
        r.frame(LYING, 2.0, 1.0, true, 0.0);
        r.hold(2.0, LYING);
        assert_eq!(r.kinds(), vec![(EventKind::Fall, 3_000_000, 3_800_000)]);
        let e = &r.out[0];
        assert_eq!(value(e, "saturated"), 1.0);
        assert!(close(value(e, "clipped_s"), 0.02));
        assert!(close(e.confidence, 1.0), "{}", e.confidence);
        // Without the clip the same 2 g frames are no impact.
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 2.0, 1.0, false, 0.0);
        r.hold(2.0, LYING);
        assert!(r.out.is_empty());
        // A free-fall dip (0.3 g, under low_g) in the second before the impact.
        let mut r = Rig::new(&cfg);
        r.hold(2.5, UPRIGHT);
        for _ in 0..20 {
            r.frame(UPRIGHT, 1.0, 0.3, false, 0.0);
        }
        r.hold(0.3, UPRIGHT);
        r.frame(UPRIGHT, 2.2, 1.0, false, 0.0);
        r.hold(2.0, LYING);
        let e = &r.out[0];
        assert!(close(value(e, "low_g_min_g"), 0.3));
        assert!(close(e.confidence, 1.0), "{}", e.confidence);
    }

    #[test]
    fn an_impact_needs_half_a_second_of_history_and_a_still_lying_end() {
        let cfg = FallConfig::default();
        // The impact frame must be more than 0.5 s (50 frames) into the stream: after 49
        // frames it is the 50th, too early; after 50 it is the 51st.
        for (frames, falls) in [(49, 0), (50, 1)] {
            let mut r = Rig::new(&cfg);
            for _ in 0..frames {
                r.frame(UPRIGHT, 1.0, 1.0, false, 0.0);
            }
            r.frame(UPRIGHT, 3.0, 1.0, false, 0.0);
            r.hold(2.0, LYING);
            let n = r.kinds().iter().filter(|k| k.0 == EventKind::Fall).count();
            assert_eq!(n, falls, "{frames} frames");
            // The free-fall depth is read from the frames seen, not from empty ring slots.
            if falls == 1 {
                assert!(close(value(&r.out[0], "low_g_min_g"), 1.0));
            }
        }
        // Lying but moving (|a| alternating 0.5 g and 1.5 g: sd 0.5 g > still_g): no fall.
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 3.0, 1.0, false, 0.0);
        for i in 0..200 {
            let g = if i % 2 == 0 { 0.5 } else { 1.5 };
            r.frame([g, 0.0, 0.0], g, g, false, 0.0);
        }
        assert!(r.out.is_empty());
        // Ending upright after the impact: no fall.
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 3.0, 1.0, false, 0.0);
        r.hold(2.0, UPRIGHT);
        assert!(r.out.is_empty());
        assert!(close(r.core.last_features().unwrap().post_tilt_deg, 0.0));
        // The stream ends 0.5 s after the impact: the candidate is dropped.
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 3.0, 1.0, false, 0.0);
        r.hold(0.5, LYING);
        let o = OrientFrame {
            up: Vector3::from(LYING),
            upright: Some(Vector3::from(UPRIGHT)),
            tilt_deg: 90.0,
            vertical_g: 0.0,
            motion_g: 0.0,
            settled: true,
        };
        let now = r.now();
        r.core.finish(&o, now, &mut r.out);
        r.hold(1.0, LYING);
        assert!(r.kinds().iter().all(|k| k.0 != EventKind::Fall));
    }

    #[test]
    fn officer_down_onset_gaps_latency_and_reset() {
        let cfg = FallConfig::default();
        assert_eq!(FallCore::new(&cfg).unwrap().latency_us(), 22_010_000);
        // Lying down without an impact: officer down dated to when lying was first seen.
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.hold(21.0, LYING);
        assert_eq!(
            r.kinds(),
            vec![(EventKind::OfficerDown, 3_000_000, 23_000_000)]
        );
        // Lying again 3 s after a fall's impact (the wearer got up in between): officer down
        // is dated to the second lying down, not to the impact.
        let mut r = fall(&cfg, 3.0, 2.0);
        r.hold(1.0, UPRIGHT);
        r.hold(21.0, LYING);
        let d = r.out.last().unwrap();
        assert_eq!(
            (d.kind, d.onset.as_micros(), d.decided.as_micros()),
            (EventKind::OfficerDown, 6_010_000, 26_010_000)
        );
        // A gap of 5 s while lying (shorter than officer_down_s): the timer goes on and the
        // unobserved time is reported.
        let mut r = fall(&cfg, 3.0, 10.0);
        r.core.restart();
        r.k += 500;
        r.hold(15.0, LYING);
        let d = r.out.last().unwrap();
        assert_eq!(
            (d.kind, d.onset.as_micros(), d.decided.as_micros()),
            (EventKind::OfficerDown, 3_000_000, 23_010_000)
        );
        assert!(close(value(d, "unobserved_s"), 5.01));
        // A gap as long as officer_down_s restarts the timer.
        let mut r = fall(&cfg, 3.0, 10.0);
        r.core.restart();
        r.k += 1_999;
        r.hold(25.0, LYING);
        let d = r.out.last().unwrap();
        assert_eq!(
            (d.kind, d.decided.as_micros()),
            (EventKind::OfficerDown, 33_000_000 + 20_000_000)
        );
        assert_eq!(value(d, "unobserved_s"), 0.0);
        // A gap after the alert, the wearer found standing after it: the alert stands until
        // get_up_s of observed standing, then is cancelled (it was dropped silently after a
        // gap once, `Engine::officer_down()` staying true with no cancellation event).
        let mut r = fall(&cfg, 3.0, 25.0);
        assert_eq!(r.kinds().last().unwrap().0, EventKind::OfficerDown);
        r.core.restart();
        r.k += 300;
        r.hold(0.5, UPRIGHT);
        assert_eq!(r.kinds().last().unwrap().0, EventKind::OfficerDown);
        r.hold(1.0, UPRIGHT);
        let d = r.out.last().unwrap();
        assert_eq!(d.kind, EventKind::OfficerDownCancelled);
        let resumed = (3_000_000 + 10_000 + 25_000_000 + 3_000_000) as i64;
        assert!(
            (d.onset.as_micros() - resumed).abs() <= 10_000,
            "{:?}",
            d.onset
        );
        // A gap during the get-up: the standing time before it does not count.
        let mut r = fall(&cfg, 3.0, 25.0);
        r.hold(0.8, UPRIGHT);
        r.core.restart();
        r.k += 100;
        r.hold(0.8, UPRIGHT);
        assert_eq!(r.kinds().last().unwrap().0, EventKind::OfficerDown);
        r.hold(0.3, UPRIGHT);
        assert_eq!(r.kinds().last().unwrap().0, EventKind::OfficerDownCancelled);
        // Reset: the same scene gives the same events again.
        let mut r = fall(&cfg, 3.0, 25.0);
        let first = r.kinds();
        r.core.reset();
        r.k = 0;
        r.out.clear();
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 3.0, 1.0, false, 0.0);
        r.hold(25.0, LYING);
        assert_eq!(r.kinds(), first);
        assert_eq!(first.len(), 2);
    }

    #[test]
    fn the_posture_is_the_window_mean_not_the_last_frame() {
        // The decision frame alone reads 37 degrees from upright; the 0.4 s window's mean
        // (39 frames lying) is lying: a fall.
        let cfg = FallConfig::default();
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 3.0, 1.0, false, 0.0);
        r.hold(0.79, LYING);
        r.frame([0.6, 0.0, 0.8], 1.0, 1.0, false, 0.0);
        assert_eq!(r.kinds(), vec![(EventKind::Fall, 3_000_000, 3_800_000)]);
        assert!(value(&r.out[0], "post_tilt_deg") > 85.0);
    }

    #[test]
    fn a_barometer_drop_confirms_a_turn_that_does_not_end_lying() {
        // The trunk ends 40 degrees from upright (under lying_tilt_deg) after an impact, and
        // the pressure rose 0.1 hPa across it (about 0.8 m lower): a fall by the barometer.
        let cfg = FallConfig::default();
        let tilted = [40f32.to_radians().sin(), 0.0, 40f32.to_radians().cos()];
        let scene = |baro: Option<Barometer>, cfg: &FallConfig| {
            let mut r = Rig::new(cfg);
            r.baro = baro;
            r.hold(3.0, UPRIGHT);
            r.frame(UPRIGHT, 3.0, 1.0, false, 0.0);
            r.hold(2.0, tilted);
            r
        };
        let (before, after) = (1000.0f32, 1000.1f32);
        let mut b = Barometer::new();
        for i in 0..50 {
            let t = Timestamp(i * 100_000);
            let hpa = if i < 30 { before } else { after };
            b.push(&baro::PressureSample { t, hpa }).unwrap();
        }
        assert!(scene(None, &cfg).out.is_empty());
        // baro_drop_m = 0 turns the path off.
        let off = FallConfig {
            baro_drop_m: 0.0,
            ..cfg.clone()
        };
        assert!(scene(Some(b.clone()), &off).out.is_empty());
        let r = scene(Some(b), &cfg);
        assert_eq!(r.kinds(), vec![(EventKind::Fall, 3_000_000, 3_800_000)]);
        let (before, after) = (f64::from(before), f64::from(after));
        let drop = -(after - before) * baro::metres_per_hpa(0.5 * (after + before));
        let e = &r.out[0];
        assert!((f64::from(value(e, "trunk_drop_m")) - drop).abs() < 1e-3 * drop);
        assert!(drop > 0.8 && drop < 0.9, "{drop}");
        assert!(close(value(e, "post_tilt_deg"), 40.0));
        assert_eq!(e.evidence.get("trunk_drop_m").unwrap().threshold, Some(0.3));
    }

    #[test]
    fn a_pre_fall_window_without_gravity_falls_back_to_the_orientation() {
        // The pre-fall orientation is the window's mean acceleration while it is more than
        // 1 mg, else the orientation tracker's `up` (here: the impact frame's, lying).
        for (g, falls) in [(0.002f32, true), (0.0005, false)] {
            let mut r = Rig::new(&FallConfig::default());
            r.hold(3.0, [0.0, 0.0, g]);
            r.frame(LYING, 3.0, 1.0, false, 0.0);
            r.hold(2.0, LYING);
            assert_eq!(!r.out.is_empty(), falls, "{g}");
        }
    }

    #[test]
    fn motion_in_the_posture_window_lowers_the_confidence() {
        // Lying with |a| alternating 0.9 and 1.1 g: motion 0.1 g of the 0.4 g gate, a
        // quarter of the stillness margin gone.
        let cfg = FallConfig::default();
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 3.0, 1.0, false, 0.0);
        for i in 0..200 {
            let g = if i % 2 == 0 { 0.9 } else { 1.1 };
            r.frame([g, 0.0, 0.0], g, g, false, 0.0);
        }
        let e = &r.out[0];
        assert!(close(value(e, "post_motion_g"), 0.1));
        let thr = cfg.impact_threshold_g(200.0) as f32;
        let want = 0.5 + 0.5 * ((3.0 - thr) / 4.0 + 1.0 + 0.75) / 3.0;
        assert!(close(e.confidence, want), "{} {want}", e.confidence);
    }

    #[test]
    fn the_pre_fall_orientation_is_the_mean_over_its_window() {
        // Frame i before the impact leans 10 + 0.2 i degrees from upright (in the x-z plane):
        // the mean of unit vectors evenly spread on an arc points to the arc's middle, so
        // `pre_tilt_deg` names the frames the window held. With 2 s of history or more it is
        // the 100 frames from 2.00 s to 1.01 s before the impact (centred `pre_impact_s` =
        // 1.5 s back); with less, the oldest 100 frames, or every frame before the impact
        // when there are fewer.
        let cfg = FallConfig::default();
        let lean = |i: usize| {
            let d = (10.0 + 0.2 * i as f32).to_radians();
            [d.sin(), 0.0, d.cos()]
        };
        let away = [-1.0, 0.0, 0.0];
        for (frames, first, last) in [
            (300usize, 100, 199),
            (170, 0, 99),
            (120, 0, 99),
            (60, 0, 59),
        ] {
            let mut r = Rig::new(&cfg);
            for i in 0..frames {
                r.frame(lean(i), 1.0, 1.0, false, 0.0);
            }
            r.frame(away, 3.0, 1.0, false, 0.0);
            r.hold(2.0, away);
            let k = r.kinds();
            assert_eq!(k.len(), 1, "{frames} frames: {k:?}");
            let want = 10.0 + 0.1 * (first + last) as f32;
            let e = &r.out[0];
            let pre = value(e, "pre_tilt_deg");
            assert!((pre - want).abs() < 0.01, "{frames} frames: {pre} {want}");
            // The turn is measured from that mean to the lying posture (90 degrees the other way).
            let turn = value(e, "tilt_change_deg");
            assert!(
                (turn - (90.0 + want)).abs() < 0.01,
                "{frames} frames: {turn}"
            );
        }
        // `pre_impact_s` = 0.2 s: the 1 s window centred there is cut at the impact, the
        // 70 frames from 0.70 s to 0.01 s before it (the 3 s posture window makes the rings
        // longer than the pre-fall window needs).
        let cfg = FallConfig {
            pre_impact_s: 0.2,
            still_window_s: 3.0,
            ..FallConfig::default()
        };
        let mut r = Rig::new(&cfg);
        for i in 0..350 {
            r.frame(lean(i), 1.0, 1.0, false, 0.0);
        }
        r.frame(away, 3.0, 1.0, false, 0.0);
        r.hold(4.0, away);
        assert_eq!(r.kinds(), vec![(EventKind::Fall, 3_500_000, 6_900_000)]);
        let pre = value(&r.out[0], "pre_tilt_deg");
        let want = 10.0 + 0.1 * (280 + 349) as f32;
        assert!((pre - want).abs() < 0.01, "{pre} {want}");
    }

    #[test]
    fn the_posture_window_is_still_window_s_after_settle_s() {
        // Impact at 3.00 s, decision at 3.80 s over the 40 frames 3.41-3.80 s. A 5 g frame
        // (|a| only, no impact peak) at 3.40 s is outside the window: a fall. At 3.41 s it is
        // inside: the spread of |a| is 0.62 g, over `still_g`: no fall.
        let cfg = FallConfig::default();
        for (jolt, falls) in [(40, true), (41, false), (80, false)] {
            let mut r = Rig::new(&cfg);
            r.hold(3.0, UPRIGHT);
            r.frame(UPRIGHT, 3.0, 1.0, false, 0.0);
            for i in 1..=200 {
                let a = if i == jolt { [5.0, 0.0, 0.0] } else { LYING };
                r.frame(a, 1.0, 1.0, false, 0.0);
            }
            let n = r.kinds().iter().filter(|k| k.0 == EventKind::Fall).count();
            assert_eq!(n == 1, falls, "jolt at frame {jolt}: {:?}", r.kinds());
            let m = r.core.last_features().unwrap().post_motion_g;
            if falls {
                assert!(close(m, 0.0), "{m}");
            } else {
                // sd of |a| over 39 frames of 1 g and one of 5 g.
                let want = ((39.0 + 25.0) / 40.0 - (44.0f32 / 40.0).powi(2)).sqrt();
                assert!((m - want).abs() < 1e-3, "{m} {want}");
            }
        }
    }

    #[test]
    fn a_smaller_turn_or_a_free_fall_at_exactly_low_g_lowers_the_confidence() {
        // Ending 60 degrees from upright: a turn 30 degrees over `min_tilt_change_deg`, two
        // thirds of the 45-degree margin.
        let cfg = FallConfig::default();
        let thr = cfg.impact_threshold_g(200.0) as f32;
        let sixty = [60f32.to_radians().sin(), 0.0, 60f32.to_radians().cos()];
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 3.0, 1.0, false, 0.0);
        r.hold(2.0, sixty);
        assert_eq!(r.kinds(), vec![(EventKind::Fall, 3_000_000, 3_800_000)]);
        let e = &r.out[0];
        assert!((value(e, "tilt_change_deg") - 60.0).abs() < 1e-3);
        let want = 0.5 + 0.5 * ((3.0 - thr) / 4.0 + 30.0 / 45.0 + 1.0) / 3.0;
        assert!(close(e.confidence, want), "{} {want}", e.confidence);
        // A pre-impact minimum of exactly `low_g` is no free fall (it must be under it): the
        // confidence keeps the peak's own margin.
        let mut r = Rig::new(&cfg);
        r.hold(2.5, UPRIGHT);
        r.frame(UPRIGHT, 1.0, cfg.low_g as f32, false, 0.0);
        r.hold(0.49, UPRIGHT);
        r.frame(UPRIGHT, 3.0, 1.0, false, 0.0);
        r.hold(2.0, LYING);
        let e = &r.out[0];
        assert_eq!(value(e, "low_g_min_g"), cfg.low_g as f32);
        let want = 0.5 + 0.5 * ((3.0 - thr) / 4.0 + 1.0 + 1.0) / 3.0;
        assert!(close(e.confidence, want), "{} {want}", e.confidence);
    }

    #[test]
    fn a_peak_exactly_settle_s_after_the_impact_does_not_move_it_and_a_later_clip_counts() {
        // Impact at 3.00 s; a 2.5 g peak at exactly 3.40 s (`settle_s`) is a rebound: the
        // decision stays at 3.80 s. The second frame clips: the candidate is saturated though
        // its first frame was not.
        let cfg = FallConfig::default();
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 3.0, 1.0, false, 0.0); // 3.00 s
        r.frame(LYING, 2.5, 1.0, true, 0.0); // 3.01 s
        r.hold(0.38, LYING);
        r.frame(LYING, 2.5, 1.0, false, 0.0); // 3.40 s
        r.hold(2.0, LYING);
        assert_eq!(r.kinds(), vec![(EventKind::Fall, 3_000_000, 3_800_000)]);
        let e = &r.out[0];
        assert_eq!(value(e, "saturated"), 1.0);
        assert!(close(value(e, "clipped_s"), 0.01));
        assert!(close(value(e, "peak_g"), 3.0));
    }

    #[test]
    fn with_the_barometer_path_off_a_posture_fall_reports_the_drop_without_a_gate() {
        // baro_drop_m = 0: a lying fall with pressure samples still reports the pressure rise
        // (0.1 hPa) and the trunk drop, with no gate on the drop.
        let cfg = FallConfig {
            baro_drop_m: 0.0,
            ..FallConfig::default()
        };
        let mut b = Barometer::new();
        for i in 0..50 {
            let hpa = if i < 30 { 1000.0 } else { 1000.1 };
            b.push(&baro::PressureSample {
                t: Timestamp(i * 100_000),
                hpa,
            })
            .unwrap();
        }
        let mut r = fall(&cfg, 3.0, 0.0);
        r.baro = Some(b);
        r.hold(2.0, LYING);
        assert_eq!(r.kinds(), vec![(EventKind::Fall, 3_000_000, 3_800_000)]);
        let e = &r.out[0];
        assert!((value(e, "pressure_rise_hpa") - 0.1).abs() < 1e-3);
        assert!(value(e, "trunk_drop_m") > 0.8);
        assert_eq!(e.evidence.get("trunk_drop_m").unwrap().threshold, None);
    }

    #[test]
    fn a_tilt_of_exactly_get_up_tilt_deg_is_not_up() {
        // After officer down, 2 s at exactly `get_up_tilt_deg` do not cancel it (up is
        // strictly under it); `get_up_s` just under it does.
        let cfg = FallConfig::default();
        let mut r = fall(&cfg, 3.0, 21.0);
        assert_eq!(r.kinds().last().unwrap().0, EventKind::OfficerDown);
        r.tilt = Some(cfg.get_up_tilt_deg as f32);
        r.hold(2.0, UPRIGHT);
        assert_eq!(r.kinds().last().unwrap().0, EventKind::OfficerDown);
        r.tilt = Some(cfg.get_up_tilt_deg as f32 - 0.1);
        r.hold(1.1, UPRIGHT);
        let c = r.out.last().unwrap();
        assert_eq!(
            (c.kind, c.onset.as_micros(), c.decided.as_micros()),
            (EventKind::OfficerDownCancelled, 26_010_000, 27_010_000)
        );
    }

    #[test]
    fn lying_first_seen_after_a_gap_does_not_count_the_gap() {
        // Standing still, a 5 s gap, then lying still from the first frame after it: the
        // lying time starts after the gap (officer down 20 s later, nothing unobserved).
        let cfg = FallConfig::default();
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.core.restart();
        r.k += 500;
        let back = r.now();
        r.hold(21.0, LYING);
        let d = r.out.last().unwrap();
        assert_eq!(
            (d.kind, d.onset, d.decided),
            (EventKind::OfficerDown, back, back.add_micros(20_000_000))
        );
        assert_eq!(value(d, "unobserved_s"), 0.0);
    }

    /// A value `w` with `w / k` exactly 1 mg in f32 (a window summing to `w` over `k` frames).
    fn one_mg_times(k: usize) -> f32 {
        let mut w = 1e-3f32 * k as f32;
        for _ in 0..64 {
            let m = w / k as f32;
            if m == 1e-3 {
                return w;
            }
            w = f32::from_bits(if m < 1e-3 {
                w.to_bits() + 1
            } else {
                w.to_bits() - 1
            });
        }
        panic!("no f32 sum gives a 1 mg mean over {k} frames");
    }

    #[test]
    fn a_window_mean_of_exactly_1_mg_is_no_gravity() {
        // A window's mean acceleration is taken as the orientation only when it is more than
        // 1 mg; at exactly 1 mg the tracker's `up` (the current frame's) is used instead.
        let cfg = FallConfig::default();
        // The next f32 sums up to the first whose mean is over 1 mg.
        let next = |w: f32, k: usize| {
            let mut v = w;
            while v / k as f32 <= 1e-3 {
                v = f32::from_bits(v.to_bits() + 1);
            }
            v
        };
        // Pre-fall window (100 frames): zeros and one frame of w along +z. At exactly 1 mg the
        // impact frame's up (lying) is the pre-fall orientation: no turn, no fall; just over
        // 1 mg the window's +z is: a fall.
        let w = one_mg_times(100);
        for (w, falls) in [(w, false), (next(w, 100), true)] {
            let mut r = Rig::new(&cfg);
            for i in 0..300 {
                let a = if i == 150 { [0.0, 0.0, w] } else { [0.0; 3] };
                r.frame(a, 1.0, 1.0, false, 0.0);
            }
            r.frame(LYING, 3.0, 1.0, false, 0.0);
            r.hold(2.0, LYING);
            assert_eq!(!r.out.is_empty(), falls, "pre-fall {w}");
        }
        // Posture window (40 frames, 3.41-3.80 s): zeros, w along +z, then -d and +d along x
        // (their sum is exactly 0). At exactly 1 mg the decision frame's up (+x, lying) is
        // the posture: a fall; just over 1 mg the window's +z (upright) is: no fall.
        let w = one_mg_times(40);
        for (w, falls) in [(w, true), (next(w, 40), false)] {
            let mut r = Rig::new(&cfg);
            r.hold(3.0, UPRIGHT);
            r.frame(UPRIGHT, 3.0, 1.0, false, 0.0);
            r.hold(0.4, LYING);
            for _ in 41..=77 {
                r.frame([0.0; 3], 1.0, 1.0, false, 0.0);
            }
            r.frame([0.0, 0.0, w], 1.0, 1.0, false, 0.0);
            r.frame([-0.01, 0.0, 0.0], 1.0, 1.0, false, 0.0);
            r.frame([0.01, 0.0, 0.0], 1.0, 1.0, false, 0.0);
            let n = r.kinds().iter().filter(|k| k.0 == EventKind::Fall).count();
            assert_eq!(n == 1, falls, "posture {w}: {:?}", r.kinds());
        }
    }

    #[test]
    fn latency_covers_the_longest_delay_of_each_event() {
        // No event is decided later after its onset than `latency_us`. Officer down dated to
        // the impact of a fall 2 s before the (lagging) orientation first read lying: decided
        // 22 s after that impact (it was 21 s, under that delay, before).
        let cfg = FallConfig::default();
        let lat = FallCore::new(&cfg).unwrap().latency_us();
        let mut r = Rig::new(&cfg);
        r.hold(3.0, UPRIGHT);
        r.frame(UPRIGHT, 3.0, 1.0, false, 0.0);
        r.tilt = Some(0.0);
        r.hold(1.99, LYING);
        r.tilt = None;
        r.hold(21.0, LYING);
        assert_eq!(
            r.kinds(),
            vec![
                (EventKind::Fall, 3_000_000, 3_800_000),
                (EventKind::OfficerDown, 3_000_000, 25_000_000),
            ]
        );
        for e in &r.out {
            assert!(e.decided.micros_since(e.onset) <= lat, "{e:?} {lat}");
        }
        // Long settle and posture windows: a fall decided 8 s after its impact, the longest
        // delay here (officer down after 5 s, cancelled 1 s after getting up).
        let cfg = FallConfig {
            settle_s: 5.0,
            still_window_s: 3.0,
            officer_down_s: 5.0,
            ..FallConfig::default()
        };
        let mut r = fall(&cfg, 3.0, 9.0);
        r.hold(2.0, UPRIGHT);
        let lat = r.core.latency_us();
        assert_eq!(
            delays(&r),
            vec![
                (EventKind::OfficerDown, 5_000_000),
                (EventKind::Fall, 8_000_000),
                (EventKind::OfficerDownCancelled, 1_000_000),
            ]
        );
        assert!(delays(&r).iter().all(|d| d.1 <= lat), "{lat}");
        // A long get-up: cancelled 30 s after getting up.
        let cfg = FallConfig {
            get_up_s: 30.0,
            ..FallConfig::default()
        };
        let mut r = fall(&cfg, 3.0, 21.0);
        r.hold(31.0, UPRIGHT);
        let lat = r.core.latency_us();
        assert_eq!(
            delays(&r),
            vec![
                (EventKind::Fall, 800_000),
                (EventKind::OfficerDown, 20_010_000),
                (EventKind::OfficerDownCancelled, 30_000_000),
            ]
        );
        assert!(delays(&r).iter().all(|d| d.1 <= lat), "{lat}");
    }

    /// Each event's kind and delay from onset to decision, microseconds.
    fn delays(r: &Rig) -> Vec<(EventKind, i64)> {
        r.out
            .iter()
            .map(|e| (e.kind, e.decided.micros_since(e.onset)))
            .collect()
    }
}
