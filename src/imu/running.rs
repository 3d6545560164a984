//! Running (foot pursuit) detection: step cadence and intensity over a sliding window.
//!
//! Every 0.25 s the detector looks at the last `window_s` of |a| on the internal grid:
//! - cadence: the step period is the lag of the strongest normalised autocorrelation of |a|
//!   between 60/`max_cadence_spm` and 1.2 s, halved when the half lag is also strongly
//!   correlated (a waist or chest sensor often repeats best at the stride, two steps); a
//!   period longer than the slowest running step whose half still correlates positively is
//!   read as a stride of two steps (`stride_periods`: a pocket or side-of-the-belt sensor
//!   sees its own leg once per stride);
//! - periodicity: the autocorrelation at the step period (0..1);
//! - intensity: the standard deviation of |a| (`rms_g`) and the mean of the per-step raw
//!   peaks of |a| (`step_peak_g`);
//! - flight phase: the mean of the per-step raw minima of |a| (`step_min_g`). Running is
//!   the gait with an aerial phase, so |a| drops towards 0 g once per step; walking, fast
//!   walking and most stair walking keep a foot on the ground and |a| stays near 1 g.
//!
//! A window qualifies when cadence, periodicity and both intensities pass their thresholds.
//! Running starts (event `running`) once qualifying windows have covered a required duration
//! without a break; it ends (event `running_ended`, onset = the last qualifying window) after
//! `end_after_s` without one. Walking (100-130 steps/min, 1.5-2.5 g) fails the cadence,
//! intensity and flight tests, vehicle vibration the intensity and periodicity tests, single
//! jumps and stumbles the periodicity and duration tests.
//!
//! The required duration depends on how unambiguous the current window is (its *clarity*,
//! 0..1): `min_duration_s` for a clear run, up to `min_duration_s + borderline_extra_s` for a
//! borderline one. Clarity is the weakest of three margins: the flight phase (step minimum
//! between `max_step_min_g` and `clear_step_min_g`), the regularity (periodicity between
//! `min_periodicity` and `clear_periodicity`) and the cadence (full below
//! `clear_max_cadence_spm`, falling to 0 at `max_cadence_spm`). Fast stair descents, the
//! known confusion, do have flight phases but usually at a stair cadence (190-220 steps/min)
//! with less regular steps (landings, turns); a flight of stairs lasts a few seconds, so
//! asking such windows for more time removes most of them while a clear run is still decided
//! on its first qualifying window.
//!
//! Onset: the first step of the sustained run. In the first qualifying window of a streak the
//! detector walks back from the window's end, one step period at a time, while each step
//! still shows a flight phase (raw minimum <= `max_step_min_g`); the onset is the start of the
//! earliest such step (a window qualifies once running fills about half of it, so the start
//! of the window would be too early).
//!
//! |a| is orientation-free, so the mounting does not matter, and it is what a clipped 2 g
//! phone still shows periodically (the intensity thresholds sit below the clip level).
//!
//! **Barometer (optional).** When pressure samples are fed ([`super::baro`]), every analysis
//! also fits a line through the pressure of the last `baro_window_s`: its slope is a
//! vertical speed, the scatter around it a residual. A steady climb or descent (|vertical
//! speed| >= `stairs_vertical_speed_m_s` with a residual <= `baro_max_residual_hpa`) is
//! stairs (or a ramp, a lift), not a foot pursuit on the flat: such a window does not start
//! a run. A run already reported goes on through it (a pursuit up a stairway stays a
//! pursuit). The residual test is needed because running itself disturbs the pressure
//! (air flow over the port: on FallAllD jogging the residual is 0.05 hPa at the median and
//! 0.19-0.26 hPa at p90, against 0.04 hPa on stairs), so a large swing while running is not
//! read as a climb. Without pressure (or with too few samples in the window) the test is
//! skipped: the detector never requires a barometer. Running events carry
//! `vertical_speed_m_s`, `height_change_m` and `baro_residual_hpa` when it was available.

use super::baro::{BaroWindow, Barometer, MAX_BARO_WINDOW_S};
use super::orientation::OrientFrame;
use super::stream::{ImuFrame, INTERNAL_RATE_HZ};
use crate::error::ConfigError;
use crate::event::{Event, EventKind, Evidence};
use crate::time::{secs_to_micros, secs_to_samples, Timestamp};
use serde::{Deserialize, Serialize};

/// Frames between two analyses (0.25 s).
const HOP_FRAMES: usize = INTERNAL_RATE_HZ as usize / 4;
/// Longest lag searched, seconds (the stride of a 100 steps/min walk).
const MAX_LAG_S: f64 = 1.2;

/// Running detector parameters (TOML table `[running]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunningConfig {
    /// Analysis window, seconds. Default 2.5; range 2.5..=10 (it must hold two strides).
    pub window_s: f64,
    /// Lowest running cadence, steps per minute. Default 130 (the walk-run transition is
    /// near 140, slow joggers run at 130-140; the flight-phase test separates them from fast
    /// walkers); range 60..=300.
    pub min_cadence_spm: f64,
    /// Highest plausible cadence, steps per minute. Default 230; range 60..=300.
    pub max_cadence_spm: f64,
    /// Read a period longer than the slowest running step (60 / `min_cadence_spm`) as a
    /// stride of two steps. A sensor on one side of the body (trouser pocket, the side of
    /// the belt) sees its own leg once per stride and repeats best there (70-90 strides per
    /// minute when jogging); a walk read that way stays under `min_cadence_spm` (strides
    /// of 1 s and more) or fails the flight-phase test. Default true.
    pub stride_periods: bool,
    /// Lowest autocorrelation at the step period (0..1). Default 0.6; range 0..=1.
    pub min_periodicity: f64,
    /// Lowest standard deviation of |a| over the window, g. Default 0.45; range 0..=8.
    pub min_rms_g: f64,
    /// Lowest mean per-step peak of |a|, g. Default 1.8 (below a 2 g clip); range 1..=16.
    pub min_step_peak_g: f64,
    /// Highest mean per-step minimum of |a|, g: running has a flight phase in every step
    /// (|a| drops towards 0 g), walking and stairs keep a foot on the ground (|a| stays
    /// near 1 g). Default 0.5; range 0..=1.5 (1.5 disables the test).
    pub max_step_min_g: f64,
    /// How long qualifying windows must cover before running is reported when the gait is
    /// unambiguous (clarity 1), seconds. Default 2.5 (the first qualifying window); range
    /// 2.5..=60 (at least one window).
    pub min_duration_s: f64,
    /// Extra duration asked of a borderline gait (clarity 0), seconds; the requirement is
    /// `min_duration_s + borderline_extra_s * (1 - clarity)`. Default 2.0; range 0..=60.
    /// Fast stair descents look like running for 3-5 s (docs/imu.md).
    pub borderline_extra_s: f64,
    /// Step minimum of |a| at or below which the flight phase counts as unambiguous, g.
    /// Default 0.25; range 0..=1.5 (at most `max_step_min_g`).
    pub clear_step_min_g: f64,
    /// Periodicity at or above which the step regularity counts as unambiguous. Default
    /// 0.7; range 0..=1 (at least `min_periodicity`).
    pub clear_periodicity: f64,
    /// Cadence up to which the cadence counts as unambiguous running, steps per minute;
    /// above it clarity falls linearly to 0 at `max_cadence_spm` (fast stair descents step
    /// at 190-220). Default 185; range 60..=300 (at most `max_cadence_spm`).
    pub clear_max_cadence_spm: f64,
    /// How long without a qualifying window ends running, seconds. Default 2.0; range
    /// 0.25..=60.
    pub end_after_s: f64,
    /// Barometer: the span over which the vertical speed is fitted, seconds (the last
    /// `baro_window_s` before each analysis). Default 4.0 (a flight of stairs takes a few
    /// seconds; 40 samples of a 10 Hz barometer resolve ~0.04 m/s); range 1..=8 (the ring holds
    /// 8 s of window, see [`super::baro::MAX_BARO_WINDOW_S`]).
    pub baro_window_s: f64,
    /// Barometer: |vertical speed| at or above which a steady climb or descent is stairs,
    /// m/s. Default 0.10: 2.5 times the scatter of the 4 s fit on a still sensor (0.04 m/s
    /// for the 0.036 hPa noise of a 10 Hz barometer), half the median of stair walking on
    /// FallAllD (0.21-0.22 m/s; docs/imu.md). Range 0..=5, 0 disables the barometer test.
    pub stairs_vertical_speed_m_s: f64,
    /// Barometer: largest scatter of the pressure around the fitted line, hPa, for the
    /// vertical speed to count (running disturbs the pressure; stairs do not). Default 0.06
    /// (still or climbing: 0.036-0.048 hPa); range 0.01..=1.
    pub baro_max_residual_hpa: f64,
}

impl Default for RunningConfig {
    fn default() -> Self {
        RunningConfig {
            window_s: 2.5,
            min_cadence_spm: 130.0,
            max_cadence_spm: 230.0,
            stride_periods: true,
            min_periodicity: 0.6,
            min_rms_g: 0.45,
            min_step_peak_g: 1.8,
            max_step_min_g: 0.5,
            min_duration_s: 2.5,
            borderline_extra_s: 2.0,
            clear_step_min_g: 0.25,
            clear_periodicity: 0.7,
            clear_max_cadence_spm: 185.0,
            end_after_s: 2.0,
            baro_window_s: 4.0,
            stairs_vertical_speed_m_s: 0.10,
            baro_max_residual_hpa: 0.06,
        }
    }
}

impl RunningConfig {
    /// Checks every parameter against its documented range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        ConfigError::check_range("running.window_s", self.window_s, 2.5, 10.0)?;
        ConfigError::check_range("running.min_cadence_spm", self.min_cadence_spm, 60.0, 300.0)?;
        ConfigError::check_range("running.max_cadence_spm", self.max_cadence_spm, 60.0, 300.0)?;
        if self.min_cadence_spm >= self.max_cadence_spm {
            return Err(ConfigError::Inconsistent {
                param: "running.min_cadence_spm",
                reason: "must be below running.max_cadence_spm",
            });
        }
        ConfigError::check_range("running.min_periodicity", self.min_periodicity, 0.0, 1.0)?;
        ConfigError::check_range("running.min_rms_g", self.min_rms_g, 0.0, 8.0)?;
        ConfigError::check_range("running.min_step_peak_g", self.min_step_peak_g, 1.0, 16.0)?;
        ConfigError::check_range("running.max_step_min_g", self.max_step_min_g, 0.0, 1.5)?;
        ConfigError::check_range("running.min_duration_s", self.min_duration_s, 2.5, 60.0)?;
        ConfigError::check_range("running.end_after_s", self.end_after_s, 0.25, 60.0)?;
        ConfigError::check_range(
            "running.baro_window_s",
            self.baro_window_s,
            1.0,
            MAX_BARO_WINDOW_S,
        )?;
        ConfigError::check_range(
            "running.stairs_vertical_speed_m_s",
            self.stairs_vertical_speed_m_s,
            0.0,
            5.0,
        )?;
        ConfigError::check_range(
            "running.baro_max_residual_hpa",
            self.baro_max_residual_hpa,
            0.01,
            1.0,
        )?;
        ConfigError::check_range(
            "running.borderline_extra_s",
            self.borderline_extra_s,
            0.0,
            60.0,
        )?;
        ConfigError::check_range("running.clear_step_min_g", self.clear_step_min_g, 0.0, 1.5)?;
        ConfigError::check_range(
            "running.clear_periodicity",
            self.clear_periodicity,
            0.0,
            1.0,
        )?;
        ConfigError::check_range(
            "running.clear_max_cadence_spm",
            self.clear_max_cadence_spm,
            60.0,
            300.0,
        )?;
        if self.clear_step_min_g > self.max_step_min_g {
            return Err(ConfigError::Inconsistent {
                param: "running.clear_step_min_g",
                reason: "must not exceed running.max_step_min_g",
            });
        }
        if self.clear_periodicity < self.min_periodicity {
            return Err(ConfigError::Inconsistent {
                param: "running.clear_periodicity",
                reason: "must not be below running.min_periodicity",
            });
        }
        if self.clear_max_cadence_spm > self.max_cadence_spm {
            return Err(ConfigError::Inconsistent {
                param: "running.clear_max_cadence_spm",
                reason: "must not exceed running.max_cadence_spm",
            });
        }
        Ok(())
    }
}

/// Features of one analysis window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaitFeatures {
    /// Step cadence, steps per minute (0 when no period was found).
    pub cadence_spm: f32,
    /// Autocorrelation at the step period.
    pub periodicity: f32,
    /// Standard deviation of |a|, g.
    pub rms_g: f32,
    /// Mean per-step peak of raw |a|, g.
    pub step_peak_g: f32,
    /// Mean per-step minimum of raw |a|, g: near 0 when each step has a flight phase
    /// (running), near 1 g when a foot is always on the ground (walking, stairs).
    pub step_min_g: f32,
    /// The period found was a stride and the cadence counts two steps in it
    /// ([`RunningConfig::stride_periods`]).
    pub stride: bool,
    /// Autocorrelation at the stride minus that at the step: how much the two steps of a
    /// stride differ (left/right), -1..1.
    pub alternation: f32,
}

/// How unambiguous a qualifying window is (0 = borderline, 1 = clear running): the weakest
/// of the flight-phase, regularity and cadence margins (module docs). Pure function; the
/// running evidence's `clarity`, public so that evaluations can replay the start rule
/// (`min_duration_s + borderline_extra_s * (1 - clarity)`) over saved windows.
///
/// ```
/// use autotrigger::imu::running::{clarity, GaitFeatures, RunningConfig};
/// let g = GaitFeatures {
///     cadence_spm: 160.0,
///     periodicity: 0.9,
///     rms_g: 1.0,
///     step_peak_g: 3.0,
///     step_min_g: 0.1,
///     stride: false,
///     alternation: 0.0,
/// };
/// assert_eq!(clarity(&RunningConfig::default(), &g), 1.0);
/// ```
pub fn clarity(c: &RunningConfig, g: &GaitFeatures) -> f32 {
    // Linear ramp from `lo` (0) to `hi` (1); a degenerate ramp is a step at `hi`.
    let ramp = |x: f64, lo: f64, hi: f64| -> f64 {
        if (hi - lo).abs() < 1e-9 {
            if x >= hi {
                1.0
            } else {
                0.0
            }
        } else {
            ((x - lo) / (hi - lo)).clamp(0.0, 1.0)
        }
    };
    let flight = ramp(
        -(g.step_min_g as f64),
        -c.max_step_min_g,
        -c.clear_step_min_g,
    );
    let regular = ramp(g.periodicity as f64, c.min_periodicity, c.clear_periodicity);
    let cadence = ramp(
        -(g.cadence_spm as f64),
        -c.max_cadence_spm,
        -c.clear_max_cadence_spm,
    );
    flight.min(regular).min(cadence) as f32
}

/// Start (index into the window) of the earliest step of the trailing run of steps that each
/// show a flight phase: walks back from the end of `mins` in chunks of `step` frames while a
/// chunk's minimum is at most `max_min`. Returns `mins.len()` when the last step has none.
pub(crate) fn run_start_index(mins: &[f32], step: usize, max_min: f32) -> usize {
    let mut start = mins.len();
    if step == 0 {
        return start;
    }
    while start >= step {
        let lo = start - step;
        let m = mins[lo..start]
            .iter()
            .copied()
            .fold(f32::INFINITY, f32::min);
        if m > max_min {
            break;
        }
        start = lo;
    }
    // The partial step left at the window's start belongs to the run when it also dips.
    if start > 0 && start < step {
        let m = mins[..start].iter().copied().fold(f32::INFINITY, f32::min);
        if m <= max_min {
            start = 0;
        }
    }
    start
}

/// Gait analysis of a window of |a| (`x`) and raw peaks (`peaks`), both on the internal grid.
/// Uses `d` as scratch (same length). Pure function, shared by the detector and tests.
pub(crate) fn gait_features(
    x: &[f32],
    peaks: &[f32],
    mins: &[f32],
    d: &mut [f32],
    min_lag: usize,
    max_lag: usize,
    max_step_lag: usize,
) -> GaitFeatures {
    let n = x.len();
    let mean = x.iter().sum::<f32>() / n as f32;
    for (di, xi) in d.iter_mut().zip(x) {
        *di = xi - mean;
    }
    let var = d.iter().map(|v| v * v).sum::<f32>() / n as f32;
    let rms = var.sqrt();
    let r = |lag: usize| -> f32 {
        let (mut sxy, mut sxx, mut syy) = (0f32, 0f32, 0f32);
        for i in 0..n - lag {
            let (a, b) = (d[i], d[i + lag]);
            sxy += a * b;
            sxx += a * a;
            syy += b * b;
        }
        let den = (sxx * syy).sqrt();
        if den > 1e-9 {
            sxy / den
        } else {
            0.0
        }
    };
    let max_lag = max_lag.min(n / 2 - 1);
    if max_lag <= min_lag + 1 {
        return GaitFeatures {
            cadence_spm: 0.0,
            periodicity: 0.0,
            rms_g: rms,
            step_peak_g: 0.0,
            step_min_g: 1.0,
            stride: false,
            alternation: 0.0,
        };
    }
    let mut best_r = f32::MIN;
    for lag in min_lag..=max_lag {
        best_r = best_r.max(r(lag));
    }
    // The signal repeats at every multiple of the step (and a waist sensor often repeats best
    // at the stride, two steps): take the shortest lag that is a local maximum and repeats
    // nearly as well as the best one.
    let mut best = 0usize;
    let mut prev = r(min_lag - 1);
    let mut cur = r(min_lag);
    for lag in min_lag..=max_lag {
        let next = r(lag + 1);
        if cur >= prev && cur >= next && cur > 0.0 && cur >= 0.6 * best_r {
            best = lag;
            break;
        }
        prev = cur;
        cur = next;
    }
    if best == 0 {
        return GaitFeatures {
            cadence_spm: 0.0,
            periodicity: 0.0,
            rms_g: rms,
            step_peak_g: 0.0,
            step_min_g: 1.0,
            stride: false,
            alternation: 0.0,
        };
    }
    let best_r = r(best);
    // A period longer than the slowest running step is a stride (two steps) when its half is
    // a step: a thigh (trouser pocket) or side-of-the-belt sensor sees its own leg once per
    // stride, and the two steps of a stride differ more than two strides do. Both steps land,
    // so the signal half a stride later still looks alike (positive correlation); a jump
    // sequence, one landing per period, is in anti-phase there (MobiFall: -0.5 to -0.9,
    // jogging +0.06 to +0.5) and stays one slow step.
    let stride = max_step_lag > 0 && best > max_step_lag && best / 2 >= 2 && r(best / 2) > 0.0;
    let (step, period_steps) = if stride { (best / 2, 2.0) } else { (best, 1.0) };
    // Left/right alternation: how much better the signal repeats at the stride than at the
    // step (0 when the stride is out of the window's reach).
    let alternation = if stride {
        best_r - r(step)
    } else if 2 * best < n / 2 {
        r(2 * best) - best_r
    } else {
        0.0
    };
    let step_s = best as f32 / period_steps / INTERNAL_RATE_HZ as f32;
    let mut sum = 0.0;
    let mut cnt = 0;
    for c in peaks.chunks_exact(step) {
        sum += c.iter().copied().fold(0.0, f32::max);
        cnt += 1;
    }
    let mut sum_min = 0.0;
    for c in mins.chunks_exact(step) {
        sum_min += c.iter().copied().fold(f32::INFINITY, f32::min);
    }
    GaitFeatures {
        cadence_spm: 60.0 / step_s,
        periodicity: best_r.max(0.0),
        rms_g: rms,
        step_peak_g: if cnt > 0 { sum / cnt as f32 } else { 0.0 },
        step_min_g: if cnt > 0 { sum_min / cnt as f32 } else { 1.0 },
        stride,
        alternation,
    }
}

/// Per-stream state of the running logic, fed with internal frames.
#[derive(Debug, Clone)]
pub(crate) struct RunningCore {
    cfg: RunningConfig,
    win: usize,
    min_lag: usize,
    max_lag: usize,
    /// Longest step lag (0: periods are never read as strides).
    max_step_lag: usize,
    mag: Vec<f32>,
    peak: Vec<f32>,
    min: Vec<f32>,
    lin_mag: Vec<f32>,
    lin_peak: Vec<f32>,
    lin_min: Vec<f32>,
    scratch: Vec<f32>,
    pos: usize,
    filled: usize,
    since_hop: usize,
    streak_start: Option<Timestamp>,
    onset: Option<Timestamp>,
    last_ok: Option<(Timestamp, GaitFeatures)>,
    /// A run survived a gap: the next frame is the first after it.
    resume_pending: bool,
    /// A run survived a gap: time of the first full window after it. The gap is unobserved
    /// time, not time without running, so `end_after_s` counts from here at the earliest.
    resumed_full: Option<Timestamp>,
    running: bool,
    last: Option<GaitFeatures>,
    last_baro: Option<BaroWindow>,
}

impl RunningCore {
    pub(crate) fn new(cfg: &RunningConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        let r = INTERNAL_RATE_HZ;
        let win = secs_to_samples(cfg.window_s, r, 8);
        Ok(RunningCore {
            cfg: cfg.clone(),
            win,
            min_lag: secs_to_samples(60.0 / cfg.max_cadence_spm, r, 2),
            max_lag: secs_to_samples(MAX_LAG_S, r, 4),
            max_step_lag: if cfg.stride_periods {
                secs_to_samples(60.0 / cfg.min_cadence_spm, r, 2)
            } else {
                0
            },
            mag: vec![0.0; win],
            peak: vec![0.0; win],
            min: vec![0.0; win],
            lin_mag: vec![0.0; win],
            lin_peak: vec![0.0; win],
            lin_min: vec![0.0; win],
            scratch: vec![0.0; win],
            pos: 0,
            filled: 0,
            since_hop: 0,
            streak_start: None,
            onset: None,
            last_ok: None,
            resume_pending: false,
            resumed_full: None,
            running: false,
            last: None,
            last_baro: None,
        })
    }

    /// After a gap: the window restarts empty (it would span the discontinuity). A run in
    /// progress is not ended or restarted by the gap: the first full window after it either
    /// qualifies (the run goes on, no second `running` event) or, `end_after_s` after the
    /// last qualifying window before the gap, ends it (`running_ended`, onset = that last
    /// window). A streak that was not yet a run starts again.
    pub(crate) fn restart(&mut self) {
        let (running, streak_start, onset, last_ok) =
            (self.running, self.streak_start, self.onset, self.last_ok);
        self.reset();
        if running {
            self.running = true;
            self.streak_start = streak_start;
            self.onset = onset;
            self.last_ok = last_ok;
            self.resume_pending = true;
        }
    }

    pub(crate) fn reset(&mut self) {
        self.pos = 0;
        self.filled = 0;
        self.since_hop = 0;
        self.streak_start = None;
        self.onset = None;
        self.last_ok = None;
        self.resume_pending = false;
        self.resumed_full = None;
        self.running = false;
        self.last = None;
        self.last_baro = None;
    }

    /// The barometer's vertical motion at the latest analysis (`None` without pressure).
    pub(crate) fn last_baro(&self) -> Option<BaroWindow> {
        self.last_baro
    }

    /// A steady climb or descent: stairs, not running on the flat.
    fn climbing(&self, w: &BaroWindow) -> bool {
        let c = &self.cfg;
        c.stairs_vertical_speed_m_s > 0.0
            && f64::from(w.vertical_speed_m_s.abs()) >= c.stairs_vertical_speed_m_s
            && f64::from(w.residual_hpa) <= c.baro_max_residual_hpa
    }

    pub(crate) fn latency_us(&self) -> i64 {
        let c = &self.cfg;
        secs_to_micros((c.min_duration_s + c.borderline_extra_s).max(c.end_after_s) + 0.25)
    }

    pub(crate) fn is_running(&self) -> bool {
        self.running
    }

    pub(crate) fn last_features(&self) -> Option<GaitFeatures> {
        self.last
    }

    fn evidence(&self, g: &GaitFeatures, duration_s: f32, required_s: f32) -> Evidence {
        let c = &self.cfg;
        let mut e = Evidence::new();
        e.push("cadence_spm", g.cadence_spm, Some(c.min_cadence_spm as f32));
        e.push("periodicity", g.periodicity, Some(c.min_periodicity as f32));
        e.push("rms_g", g.rms_g, Some(c.min_rms_g as f32));
        e.push("step_peak_g", g.step_peak_g, Some(c.min_step_peak_g as f32));
        e.push("step_min_g", g.step_min_g, Some(c.max_step_min_g as f32));
        e.push("clarity", clarity(c, g), None);
        e.push("duration_s", duration_s, Some(required_s));
        if let Some(w) = self.last_baro {
            e.push(
                "vertical_speed_m_s",
                w.vertical_speed_m_s,
                Some(c.stairs_vertical_speed_m_s as f32),
            );
            e.push("height_change_m", w.height_change_m, None);
            e.push(
                "baro_residual_hpa",
                w.residual_hpa,
                Some(c.baro_max_residual_hpa as f32),
            );
        }
        // 1 when the period was read as a stride of two steps.
        e.push("stride", f32::from(u8::from(g.stride)), None);
        e.push("alternation", g.alternation, None);
        e
    }

    pub(crate) fn frame(
        &mut self,
        f: &ImuFrame,
        _o: &OrientFrame,
        baro: Option<&Barometer>,
        out: &mut impl Extend<Event>,
    ) {
        if self.resume_pending {
            self.resume_pending = false;
            // The first analysis comes once the window has filled again.
            self.resumed_full = Some(f.t.add_micros(secs_to_micros(self.cfg.window_s)));
        }
        self.mag[self.pos] = f.accel_g.norm();
        self.peak[self.pos] = f.peak_g;
        self.min[self.pos] = f.min_g;
        self.pos = (self.pos + 1) % self.win;
        self.filled = (self.filled + 1).min(self.win);
        self.since_hop += 1;
        if self.filled < self.win || self.since_hop < HOP_FRAMES {
            return;
        }
        self.since_hop = 0;
        // Unroll the ring oldest-first into preallocated buffers.
        for i in 0..self.win {
            let j = (self.pos + i) % self.win;
            self.lin_mag[i] = self.mag[j];
            self.lin_peak[i] = self.peak[j];
            self.lin_min[i] = self.min[j];
        }
        let g = gait_features(
            &self.lin_mag,
            &self.lin_peak,
            &self.lin_min,
            &mut self.scratch,
            self.min_lag,
            self.max_lag,
            self.max_step_lag,
        );
        self.last = Some(g);
        self.last_baro = baro.and_then(|b| b.window(f.t, secs_to_micros(self.cfg.baro_window_s)));
        let climbing = !self.running && self.last_baro.is_some_and(|w| self.climbing(&w));
        let c = &self.cfg;
        let ok = !climbing
            && g.cadence_spm >= c.min_cadence_spm as f32
            && g.cadence_spm <= c.max_cadence_spm as f32
            && g.periodicity >= c.min_periodicity as f32
            && g.rms_g >= c.min_rms_g as f32
            && g.step_peak_g >= c.min_step_peak_g as f32
            && g.step_min_g <= c.max_step_min_g as f32;
        let t = f.t;
        if ok {
            if self.streak_start.is_none() {
                self.streak_start = Some(t.add_micros(-secs_to_micros(c.window_s)));
                // First step of the run inside this first qualifying window.
                let step = (60.0 * INTERNAL_RATE_HZ as f32 / g.cadence_spm).round() as usize;
                let i = run_start_index(&self.lin_min, step, c.max_step_min_g as f32);
                let back = (self.win - i) as i64 * 1_000_000 / INTERNAL_RATE_HZ as i64;
                self.onset = Some(t.add_micros(-back));
            }
            let start = self.streak_start.unwrap_or(t);
            self.last_ok = Some((t, g));
            let dur = t.micros_since(start);
            let required = c.min_duration_s + c.borderline_extra_s * (1.0 - clarity(c, &g) as f64);
            if !self.running && dur >= secs_to_micros(required) {
                self.running = true;
                let conf = (0.5
                    + 0.5 * (g.periodicity - c.min_periodicity as f32).max(0.0)
                        / (1.0 - c.min_periodicity as f32).max(1e-3))
                .min(1.0);
                out.extend(Some(Event {
                    kind: EventKind::Running,
                    onset: self.onset.unwrap_or(start),
                    decided: t,
                    confidence: conf,
                    evidence: self.evidence(&g, dur as f32 * 1e-6, required as f32),
                }));
            }
        } else if !self.running {
            self.streak_start = None;
            self.onset = None;
        } else if let Some((last_t, lg)) = self.last_ok {
            let since = self.resumed_full.map_or(last_t, |r| r.max(last_t));
            if t.micros_since(since) >= secs_to_micros(c.end_after_s) {
                self.running = false;
                self.resumed_full = None;
                let dur = self.streak_start.map_or(0, |s| last_t.micros_since(s));
                self.streak_start = None;
                self.onset = None;
                let mut e = self.evidence(&lg, dur as f32 * 1e-6, c.min_duration_s as f32);
                e.push("cadence_now_spm", g.cadence_spm, None);
                e.push("rms_now_g", g.rms_g, None);
                out.extend(Some(Event {
                    kind: EventKind::RunningEnded,
                    onset: last_t,
                    decided: t,
                    confidence: 1.0,
                    evidence: e,
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic gait: |a| = 1 + amp * |sin(pi t / step)| style bounces.
    fn gait(spm: f32, amp: f32, n: usize) -> Vec<f32> {
        let step = 60.0 / spm;
        (0..n)
            .map(|i| {
                let t = i as f32 / 100.0;
                let ph = (t / step).fract();
                1.0 + amp * (-(ph * 8.0).powi(2)).exp() - 0.2 * amp
            })
            .collect()
    }

    /// Feeds |a| = `m` as the internal frame `i` (100 Hz, no gyroscope; raw peak and minimum
    /// 0.1 g either side of `m`), without pressure.
    fn feed(core: &mut RunningCore, i: usize, m: f32, out: &mut Vec<Event>) {
        use nalgebra::Vector3;
        let o = OrientFrame {
            up: Vector3::z(),
            upright: None,
            tilt_deg: 0.0,
            vertical_g: 0.0,
            motion_g: 0.0,
            settled: true,
        };
        let f = ImuFrame {
            t: Timestamp(i as i64 * 10_000),
            accel_g: Vector3::new(0.0, 0.0, m),
            gyro: None,
            peak_g: m + 0.1,
            min_g: m - 0.1,
            peak_dyn_g: 0.0,
            saturated: false,
            raw_rate_hz: 100.0,
        };
        core.frame(&f, &o, None, out);
    }

    /// The ring-buffer windowing of the detector against recomputing the features from a
    /// plain slice of the same frames (reference).
    #[test]
    fn windowing_matches_reference() {
        let cfg = RunningConfig::default();
        let mut core = RunningCore::new(&cfg).unwrap();
        let x = gait(165.0, 2.5, 1200);
        let mut out: Vec<Event> = Vec::new();
        let win = core.win;
        let mut checked = 0;
        for (i, &m) in x.iter().enumerate() {
            let before = core.last_features();
            feed(&mut core, i, m, &mut out);
            let after = core.last_features();
            if after != before || (i + 1 >= win && (i + 1 - win) % HOP_FRAMES == 0) {
                let lo = i + 1 - win;
                let mags: Vec<f32> = x[lo..=i].to_vec();
                let peaks: Vec<f32> = mags.iter().map(|v| v + 0.1).collect();
                let mins: Vec<f32> = mags.iter().map(|v| v - 0.1).collect();
                let mut d = vec![0.0; win];
                let want = gait_features(
                    &mags,
                    &peaks,
                    &mins,
                    &mut d,
                    core.min_lag,
                    core.max_lag,
                    core.max_step_lag,
                );
                assert_eq!(after, Some(want), "frame {i}");
                checked += 1;
            }
        }
        assert!(checked > 30);
        assert_eq!(out.first().map(|e| e.kind), Some(EventKind::Running));
    }

    /// `run_start_index` against a forward scan (reference): the earliest step boundary
    /// (counted back from the end) after which every whole step dips to the threshold.
    #[test]
    fn run_start_matches_reference() {
        let mut seed = 7u32;
        for _ in 0..200 {
            let n = 40 + (seed % 60) as usize;
            let step = 1 + (seed / 7 % 12) as usize;
            let mins: Vec<f32> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    if (seed >> 16) % 5 == 0 {
                        0.9
                    } else {
                        0.2 + ((seed >> 8) % 64) as f32 / 1000.0
                    }
                })
                .collect();
            let got = run_start_index(&mins, step, 0.5);
            // Reference: try every candidate boundary from the end; all steps after it dip.
            let mut want = n;
            let mut b = n;
            while b >= step {
                if mins[b - step..b].iter().all(|&m| m > 0.5) {
                    break;
                }
                b -= step;
                want = b;
            }
            if want > 0 && want < step && mins[..want].iter().any(|&m| m <= 0.5) {
                want = 0;
            }
            assert_eq!(got, want, "n {n} step {step} {mins:?}");
        }
        assert_eq!(run_start_index(&[0.1; 10], 0, 0.5), 10);
        // A step whose minimum is exactly the threshold has a flight phase ("at most").
        assert_eq!(run_start_index(&[0.5; 10], 5, 0.5), 0);
        assert_eq!(run_start_index(&[0.5; 10], 4, 0.5), 0);
        assert_eq!(run_start_index(&[0.6; 10], 5, 0.5), 10);
    }

    #[test]
    fn clarity_ramps() {
        let c = RunningConfig::default();
        let g = |cad: f32, per: f32, min: f32| GaitFeatures {
            cadence_spm: cad,
            periodicity: per,
            rms_g: 1.0,
            step_peak_g: 3.0,
            step_min_g: min,
            stride: false,
            alternation: 0.0,
        };
        assert_eq!(clarity(&c, &g(160.0, 0.9, 0.1)), 1.0);
        assert_eq!(clarity(&c, &g(160.0, 0.9, 0.5)), 0.0);
        assert!((clarity(&c, &g(160.0, 0.65, 0.1)) - 0.5).abs() < 1e-5);
        assert!((clarity(&c, &g(207.5, 0.9, 0.1)) - 0.5).abs() < 1e-5);
        assert_eq!(clarity(&c, &g(230.0, 0.9, 0.1)), 0.0);
        // Degenerate ramps are steps.
        let d = RunningConfig {
            clear_periodicity: 0.6,
            ..RunningConfig::default()
        };
        assert_eq!(clarity(&d, &g(160.0, 0.6, 0.1)), 1.0);
    }

    #[test]
    fn clear_settings_are_validated() {
        let bad = [
            RunningConfig {
                clear_step_min_g: 0.6,
                ..RunningConfig::default()
            },
            RunningConfig {
                clear_periodicity: 0.5,
                ..RunningConfig::default()
            },
            RunningConfig {
                clear_max_cadence_spm: 240.0,
                ..RunningConfig::default()
            },
            RunningConfig {
                borderline_extra_s: -1.0,
                ..RunningConfig::default()
            },
        ];
        for b in bad {
            assert!(b.validate().is_err(), "{b:?}");
        }
        assert!(RunningConfig::default().validate().is_ok());
    }

    /// Each "clear" setting may equal the limit it is bounded by (the docs say "at most" and
    /// "at least"): a clear ramp that starts at its threshold is valid.
    #[test]
    fn clear_settings_may_equal_their_limits() {
        let equal = [
            RunningConfig {
                clear_step_min_g: 0.5,
                ..RunningConfig::default()
            },
            RunningConfig {
                clear_periodicity: 0.6,
                ..RunningConfig::default()
            },
            RunningConfig {
                clear_max_cadence_spm: 230.0,
                ..RunningConfig::default()
            },
        ];
        for e in equal {
            assert_eq!(e.validate(), Ok(()), "{e:?}");
        }
    }

    /// A thigh-like gait whose two steps differ (one strong, one weak landing per stride)
    /// is read as a stride of two steps; a jump sequence (one landing per period, nothing
    /// half-way) at the same period stays one slow step; without the stride reading both
    /// are slow.
    #[test]
    fn strides_are_read_as_two_steps() {
        let stride_s = 0.8f32; // 150 steps/min as strides
        let landing = |ph: f32, w: f32| (-((ph / w).powi(2))).exp();
        let thigh: Vec<f32> = (0..250)
            .map(|i| {
                let ph = (i as f32 / 100.0 / stride_s).fract();
                0.3 + 2.2 * landing(ph - 0.1, 0.04)
                    + 0.9 * landing(ph - 0.6, 0.1)
                    + 0.8 * landing(ph - 0.3, 0.05)
            })
            .collect();
        let jumps: Vec<f32> = (0..250)
            .map(|i| {
                let ph = (i as f32 / 100.0 / stride_s).fract();
                0.2 + 3.0 * landing(ph - 0.1, 0.06) + 2.0 * landing(ph - 0.25, 0.08)
            })
            .collect();
        let max_step_lag = 46; // 130 steps/min
        let mut d = vec![0.0; 250];
        let g = gait_features(&thigh, &thigh, &thigh, &mut d, 26, 120, max_step_lag);
        assert!(g.stride, "{g:?}");
        assert!((g.cadence_spm - 150.0).abs() < 5.0, "{g:?}");
        // Read as a stride, the step is half the period: the per-step means are over the
        // six whole 40-frame steps, and `alternation` is r(stride) - r(step).
        let chunk_mean = |f: fn(f32, f32) -> f32, init: f32| {
            thigh
                .chunks_exact(40)
                .map(|c| c.iter().copied().fold(init, f))
                .sum::<f32>()
                / 6.0
        };
        let (peak, min) = (
            chunk_mean(f32::max, 0.0),
            chunk_mean(f32::min, f32::INFINITY),
        );
        assert!((g.step_peak_g - peak).abs() < 1e-5, "{g:?} vs {peak}");
        assert!((g.step_min_g - min).abs() < 1e-5, "{g:?} vs {min}");
        let alternation = autocorr(&thigh, 80) - autocorr(&thigh, 40);
        assert!(alternation > 0.1, "{alternation}");
        assert!(
            (f64::from(g.alternation) - alternation).abs() < 1e-4,
            "{g:?} vs {alternation}"
        );
        let g0 = gait_features(&thigh, &thigh, &thigh, &mut d, 26, 120, 0);
        assert!(!g0.stride && (g0.cadence_spm - 75.0).abs() < 3.0, "{g0:?}");
        let j = gait_features(&jumps, &jumps, &jumps, &mut d, 26, 120, max_step_lag);
        assert!(!j.stride && (j.cadence_spm - 75.0).abs() < 3.0, "{j:?}");
    }

    #[test]
    fn cadence_is_measured() {
        for spm in [110.0f32, 125.0, 150.0, 170.0, 190.0] {
            let x = gait(spm, 2.0, 250);
            let mut d = vec![0.0; 250];
            let g = gait_features(&x, &x, &x, &mut d, 26, 120, 0);
            assert!((g.cadence_spm - spm).abs() < spm * 0.04, "{spm}: {g:?}");
            assert!(g.periodicity > 0.8, "{g:?}");
        }
    }

    /// A clear gait then standing still, fed as frames: the running event's required duration
    /// (`min_duration_s + borderline_extra_s * (1 - clarity)`, with a clarity under 1 here),
    /// its confidence (`0.5 + 0.5 (periodicity - min) / (1 - min)`, at most 1), the running
    /// latency, and the end event's duration in seconds, each against its definition.
    #[test]
    fn running_event_values_follow_their_definitions() {
        let cfg = RunningConfig {
            // The regularity ramp ends above any real periodicity: clarity under 1.
            clear_periodicity: 0.999,
            ..RunningConfig::default()
        };
        let mut core = RunningCore::new(&cfg).unwrap();
        // max(2.5 + 2.0, 2.0) + 0.25 s.
        assert_eq!(core.latency_us(), 4_750_000);
        let mut x = gait(165.0, 2.5, 1200);
        x.extend(std::iter::repeat_n(1.0, 600));
        let mut out: Vec<Event> = Vec::new();
        for (i, &m) in x.iter().enumerate() {
            feed(&mut core, i, m, &mut out);
            // Running between the `running` event and the `running_ended` one.
            assert_eq!(core.is_running(), out.len() == 1, "frame {i}: {out:?}");
        }
        let kinds: Vec<_> = out.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec![EventKind::Running, EventKind::RunningEnded]);
        // The end comes `end_after_s` (2 s, on the 0.25 s analysis grid) after the last
        // qualifying window, its onset.
        assert_eq!(out[1].decided.micros_since(out[1].onset), 2_000_000);
        let v = |e: &Event, n: &str| e.evidence.get(n).unwrap().value;
        let run = &out[0];
        let (p, k) = (v(run, "periodicity"), v(run, "clarity"));
        assert!(k > 0.0 && k < 1.0, "clarity {k}");
        let dur = run.evidence.get("duration_s").unwrap();
        let required = (2.5 + 2.0 * (1.0 - f64::from(k))) as f32;
        assert!((dur.threshold.unwrap() - required).abs() < 1e-5, "{dur:?}");
        assert!(
            dur.value >= required && dur.value < required + 0.2,
            "{dur:?}"
        );
        let conf = (0.5 + 0.5 * (p - 0.6) / 0.4).min(1.0);
        assert!(
            (run.confidence - conf).abs() < 1e-5,
            "{} vs {conf}",
            run.confidence
        );
        assert!(run.confidence < 1.0);
        // From the first qualifying window's start to the last qualifying analysis, seconds:
        // the 12 s of gait, give or take a window (one that still holds enough gait qualifies).
        let ended = v(&out[1], "duration_s");
        let w = cfg.window_s as f32;
        assert!(ended > 12.0 - 2.0 * w && ended <= 12.0 + w, "{ended}");
    }

    /// A window qualifies only when it passes every test: the clear gait of the tests above
    /// (165 steps/min, peaks 3.1 g, flight phases down to 0.4 g) runs with the defaults and
    /// not when any one threshold is put out of its reach.
    #[test]
    fn a_window_must_pass_every_test() {
        let x = gait(165.0, 2.5, 1200);
        let d = RunningConfig::default();
        let events = |cfg: &RunningConfig| {
            let mut core = RunningCore::new(cfg).unwrap();
            let mut out: Vec<Event> = Vec::new();
            for (i, &m) in x.iter().enumerate() {
                feed(&mut core, i, m, &mut out);
            }
            out.len()
        };
        assert!(events(&d) > 0);
        let out_of_reach = [
            RunningConfig {
                min_cadence_spm: 200.0,
                ..d.clone()
            },
            RunningConfig {
                max_cadence_spm: 150.0,
                clear_max_cadence_spm: 150.0,
                ..d.clone()
            },
            RunningConfig {
                min_periodicity: 1.0,
                clear_periodicity: 1.0,
                ..d.clone()
            },
            RunningConfig {
                min_rms_g: 8.0,
                ..d.clone()
            },
            RunningConfig {
                min_step_peak_g: 16.0,
                ..d.clone()
            },
            RunningConfig {
                max_step_min_g: 0.0,
                clear_step_min_g: 0.0,
                ..d.clone()
            },
        ];
        for cfg in &out_of_reach {
            assert_eq!(events(cfg), 0, "{cfg:?}");
        }
    }

    /// The window is analysed once full, then every 0.25 s (`HOP_FRAMES`), not at every
    /// frame: on noise (each window's features differ) `last_features` changes at frames
    /// 249, 274, 299, ... only.
    #[test]
    fn windows_are_analysed_every_hop() {
        let mut core = RunningCore::new(&RunningConfig::default()).unwrap();
        let mut seed = 3u32;
        let mut out: Vec<Event> = Vec::new();
        let mut changed = Vec::new();
        for i in 0..400 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let m = 0.5 + ((seed >> 8) % 1000) as f32 / 1000.0;
            let before = core.last_features();
            feed(&mut core, i, m, &mut out);
            if core.last_features() != before {
                changed.push(i);
            }
        }
        let want: Vec<usize> = (249..400).step_by(HOP_FRAMES).collect();
        assert_eq!(HOP_FRAMES, 25);
        assert_eq!(changed, want);
    }

    /// Two clarity bounds closer than 1e-9 make a step at the upper one, not a ramp.
    #[test]
    fn a_degenerate_clarity_ramp_is_a_step() {
        let p = 0.6f32;
        let cfg = RunningConfig {
            min_periodicity: f64::from(p) - 2.5e-10,
            clear_periodicity: f64::from(p) + 2.5e-10,
            ..RunningConfig::default()
        };
        let g = GaitFeatures {
            cadence_spm: 160.0,
            periodicity: p,
            rms_g: 1.0,
            step_peak_g: 3.0,
            step_min_g: 0.1,
            stride: false,
            alternation: 0.0,
        };
        assert_eq!(clarity(&cfg, &g), 0.0);
        let above = GaitFeatures {
            periodicity: 0.61,
            ..g
        };
        assert_eq!(clarity(&cfg, &above), 1.0);
        // Bounds exactly 1e-9 apart are not closer than 1e-9: still a ramp (half-way, 0.5).
        let exact = RunningConfig {
            min_periodicity: 0.0,
            clear_periodicity: 1e-9,
            ..RunningConfig::default()
        };
        let half = GaitFeatures {
            periodicity: 5e-10,
            ..g
        };
        let k = clarity(&exact, &half);
        assert!((k - 0.5).abs() < 1e-3, "{k}");
    }

    /// Normalised autocorrelation of `x` at `lag` over the overlap, as `gait_features`
    /// defines it (mean removed over the whole window), in f64: the reference.
    fn autocorr(x: &[f32], lag: usize) -> f64 {
        let n = x.len();
        let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
        let d: Vec<f64> = x.iter().map(|&v| f64::from(v) - mean).collect();
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for i in 0..n - lag {
            sxy += d[i] * d[i + lag];
            sxx += d[i] * d[i];
            syy += d[i + lag] * d[i + lag];
        }
        sxy / (sxx * syy).sqrt()
    }

    /// A noisy gait (uniform +-0.4 g noise on a strong and a weak landing per 0.8 s stride):
    /// its steps repeat at r ~ 0.65 while the stride repeats best (r ~ 0.83). The first local
    /// maximum within 0.6 of the best correlation is the step, so it is read at its step
    /// (150 steps/min, not 75, with the stride reading off); `rms_g` is the standard deviation
    /// of the window, and `alternation` how much better the stride repeats than the step,
    /// each against its definition.
    #[test]
    fn a_noisy_gait_is_read_at_its_step_with_its_rms_and_alternation() {
        let landing = |ph: f32, w: f32| (-((ph / w).powi(2))).exp();
        let mut seed = 1u32;
        let x: Vec<f32> = (0..250)
            .map(|i| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let noise = ((seed >> 8) % 1000) as f32 / 1000.0 - 0.5;
                let ph = (i as f32 / 100.0 / 0.8).fract();
                0.3 + 2.2 * landing(ph - 0.1, 0.04) + 1.1 * landing(ph - 0.6, 0.05) + 0.8 * noise
            })
            .collect();
        let (r_step, r_stride) = (autocorr(&x, 40), autocorr(&x, 80));
        assert!(r_step > 0.6 && r_step < 0.7, "{r_step}");
        assert!(r_stride > 0.8 && r_stride < 0.9, "{r_stride}");
        let mut d = vec![0.0; 250];
        let g = gait_features(&x, &x, &x, &mut d, 26, 120, 0);
        assert!(!g.stride, "{g:?}");
        assert!((g.cadence_spm - 150.0).abs() < 1e-3, "{g:?}");
        assert!((f64::from(g.periodicity) - r_step).abs() < 1e-4, "{g:?}");
        let alternation = r_stride - r_step;
        assert!(
            (f64::from(g.alternation) - alternation).abs() < 1e-4,
            "{g:?} vs {alternation}"
        );
        let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / 250.0;
        let sd = (x
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / 250.0)
            .sqrt();
        assert!((f64::from(g.rms_g) - sd).abs() < 1e-4, "{g:?} vs {sd}");
    }

    /// Without the stride reading, `alternation` is r(2 step) - r(step) only while the lag of
    /// two steps is under half the window (`2 * best < n / 2`; the module's definition: 0 when
    /// the stride is out of the window's reach). A strong and a weak landing per 0.8 s stride
    /// (step 40 frames, r(40) = 0.82, r(80) = 1): 160 frames put the stride at exactly half the
    /// window (0); 162 frames, just inside (r(80) - r(40) against the f64 reference).
    #[test]
    fn the_alternation_needs_the_stride_inside_half_the_window() {
        let landing = |ph: f32, w: f32| (-((ph / w).powi(2))).exp();
        let pattern = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|i| {
                    let ph = (i as f32 / 100.0 / 0.8).fract();
                    0.3 + 2.2 * landing(ph - 0.1, 0.04) + 1.1 * landing(ph - 0.6, 0.05)
                })
                .collect()
        };
        let mut d = vec![0.0; 162];
        let x = pattern(160);
        let g = gait_features(&x, &x, &x, &mut d[..160], 26, 120, 0);
        assert!((g.cadence_spm - 150.0).abs() < 1e-3, "{g:?}");
        assert_eq!(g.alternation, 0.0, "{g:?}");
        let x = pattern(162);
        let g = gait_features(&x, &x, &x, &mut d, 26, 120, 0);
        assert!((g.cadence_spm - 150.0).abs() < 1e-3, "{g:?}");
        let want = autocorr(&x, 80) - autocorr(&x, 40);
        assert!(want > 0.1, "{want}");
        assert!(
            (f64::from(g.alternation) - want).abs() < 1e-4,
            "{g:?} vs {want}"
        );
    }

    /// The lag search needs at least three lags (`max_lag`, capped at half the window less
    /// one, above `min_lag + 1`): a window of 56 frames with `min_lag` 26 has two and gives
    /// no cadence; 58 frames, three, find the 26-frame period.
    #[test]
    fn a_window_too_short_for_the_lag_search_has_no_cadence() {
        let pulses = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|i| if i % 26 == 0 { 3.0 } else { 0.5 })
                .collect()
        };
        let mut d = vec![0.0; 58];
        let x = pulses(56);
        let g = gait_features(&x, &x, &x, &mut d[..56], 26, 120, 0);
        assert_eq!((g.cadence_spm, g.periodicity), (0.0, 0.0), "{g:?}");
        let x = pulses(58);
        let g = gait_features(&x, &x, &x, &mut d, 26, 120, 0);
        assert!((g.cadence_spm - 6000.0 / 26.0).abs() < 1e-3, "{g:?}");
    }

    /// A period is read as a stride only when its half correlates positively: a 4-frame
    /// pattern whose half-period products all vanish (r = 0 exactly) stays one step; one
    /// with a weak second landing half-way (r > 0) is a stride of two steps.
    #[test]
    fn a_stride_needs_a_positive_correlation_at_its_half() {
        let mut d = vec![0.0; 40];
        // Mean exactly 1: the deviations are [1, -1, 0, 0] and [1, -1, 0.5, -0.5].
        let x: Vec<f32> = [2.0, 0.0, 1.0, 1.0].repeat(10);
        assert_eq!(autocorr(&x, 2), 0.0);
        let g = gait_features(&x, &x, &x, &mut d, 3, 8, 3);
        assert!(!g.stride && g.cadence_spm == 1500.0, "{g:?}");
        let x: Vec<f32> = [2.0, 0.0, 1.5, 0.5].repeat(10);
        assert!(autocorr(&x, 2) > 0.0);
        let g = gait_features(&x, &x, &x, &mut d, 3, 8, 3);
        assert!(g.stride && g.cadence_spm == 3000.0, "{g:?}");
        // A period of exactly the slowest running step (`max_step_lag`) is a step.
        let g = gait_features(&x, &x, &x, &mut d, 3, 8, 4);
        assert!(!g.stride && g.cadence_spm == 1500.0, "{g:?}");
        // A stride needs two steps of at least two frames: a 2-frame period (an alternation
        // on a slow sine, r(2) = 0.85 the best lag) whose half correlates (r(1) = 0.67)
        // stays one step when `max_step_lag` is 1.
        let x: Vec<f32> = (0..40)
            .map(|i| {
                let alt = if i % 2 == 0 { 0.3 } else { -0.3 };
                1.0 + (std::f32::consts::TAU * i as f32 / 20.0).sin() + alt
            })
            .collect();
        assert!(autocorr(&x, 1) > 0.5 && autocorr(&x, 2) > autocorr(&x, 1));
        let g = gait_features(&x, &x, &x, &mut d, 2, 4, 1);
        assert!(!g.stride && g.cadence_spm == 3000.0, "{g:?}");
    }

    /// A step needs a positive correlation: a 4-frame pattern whose autocorrelation is
    /// negative at lags 1 and 3 and exactly 0 at lag 2 (a local maximum of the lag range,
    /// but no repetition) has no cadence.
    #[test]
    fn a_zero_correlation_is_no_step() {
        let x: Vec<f32> = [2.0, 0.0, 1.0, 1.0].repeat(10);
        assert!(autocorr(&x, 1) < 0.0 && autocorr(&x, 3) < 0.0);
        assert_eq!(autocorr(&x, 2), 0.0);
        let mut d = vec![0.0; 40];
        let g = gait_features(&x, &x, &x, &mut d, 1, 3, 0);
        assert_eq!((g.cadence_spm, g.periodicity), (0.0, 0.0), "{g:?}");
    }

    /// A slow sway (a 4 s sine over the 2.5 s window) correlates best at the shortest lag and
    /// less at every longer one: no local maximum in the lag range, so no step and no cadence
    /// (the search compares the first lag with the one before it, not only the one after).
    #[test]
    fn a_slow_sway_has_no_cadence() {
        let x: Vec<f32> = (0..250)
            .map(|i| 1.0 + 0.5 * (std::f32::consts::TAU * i as f32 / 400.0).sin())
            .collect();
        for lag in 25..121 {
            assert!(autocorr(&x, lag) > autocorr(&x, lag + 1), "lag {lag}");
        }
        let mut d = vec![0.0; 250];
        let g = gait_features(&x, &x, &x, &mut d, 26, 120, 46);
        assert_eq!((g.cadence_spm, g.periodicity), (0.0, 0.0), "{g:?}");
    }

    /// `step_peak_g` and `step_min_g` are the means, over the window's whole steps (chunks of
    /// one step period from its start; the partial step at the end is left out), of each
    /// step's raw peak and raw minimum.
    #[test]
    fn step_peaks_and_minima_are_means_over_whole_steps() {
        // A 40-frame step (150 steps/min) in |a|; raw peaks and minima that differ per step.
        let x: Vec<f32> = (0..250)
            .map(|i| if i % 40 < 4 { 3.0 } else { 0.8 })
            .collect();
        let peaks: Vec<f32> = (0..250)
            .map(|i| 2.0 + (i / 40) as f32 * 0.25 + if i % 40 == 2 { 1.0 } else { 0.0 })
            .collect();
        let mins: Vec<f32> = (0..250)
            .map(|i| 0.9 - (i / 40) as f32 * 0.1 - if i % 40 == 20 { 0.3 } else { 0.0 })
            .collect();
        let mut d = vec![0.0; 250];
        let g = gait_features(&x, &peaks, &mins, &mut d, 26, 120, 0);
        assert!((g.cadence_spm - 150.0).abs() < 1e-3, "{g:?}");
        // Six whole steps (240 frames): peaks 3.0 + 0.25 k, minima 0.6 - 0.1 k, k = 0..5.
        let peak = (0..6).map(|k| 3.0 + 0.25 * k as f32).sum::<f32>() / 6.0;
        let min = (0..6).map(|k| 0.6 - 0.1 * k as f32).sum::<f32>() / 6.0;
        assert!((g.step_peak_g - peak).abs() < 1e-5, "{g:?} vs {peak}");
        assert!((g.step_min_g - min).abs() < 1e-5, "{g:?} vs {min}");
    }

    /// The onset of a run is its first step, found by walking back one step period at a time
    /// from the end of the first qualifying window, not the time of that window (which comes
    /// once the run fills about half of it).
    #[test]
    fn the_onset_is_the_first_step_of_the_run() {
        let mut core = RunningCore::new(&RunningConfig::default()).unwrap();
        let mut x = vec![1.0f32; 500];
        x.extend(gait(165.0, 2.5, 1000));
        let mut out: Vec<Event> = Vec::new();
        for (i, &m) in x.iter().enumerate() {
            feed(&mut core, i, m, &mut out);
        }
        let run = out.first().expect("running");
        assert_eq!(run.kind, EventKind::Running);
        let start = Timestamp(5_000_000);
        assert!(
            run.onset.micros_since(start).abs() <= 400_000,
            "onset {:?} decided {:?}",
            run.onset,
            run.decided
        );
        assert!(run.decided.micros_since(start) >= 1_000_000, "{run:?}");
    }
}
