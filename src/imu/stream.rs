//! The IMU sample stream front end: ordering checks, non-finite handling, gap detection,
//! saturation flags and resampling onto a fixed internal grid.
//!
//! Every later stage (orientation, running, fall, tap) runs on frames at
//! [`INTERNAL_RATE_HZ`], whatever the sensor rate (20 Hz to 1 kHz, regular or jittered), so
//! their parameters mean the same thing at every rate. Frames sit on an absolute grid of
//! integer microseconds (multiples of [`FRAME_US`]); each is the linear interpolation of the
//! two raw samples around it, computed from their real (integer) timestamps. Short, sharp
//! features (impact peaks, tap spikes) would be smeared by interpolation, so each frame also
//! carries the extremes of the raw samples that arrived since the previous frame.
//!
//! Everything is computed sample by sample, so the frames do not depend on how the caller
//! splits the stream into blocks.

use super::ImuSample;
use crate::error::ProcessError;
use crate::time::Timestamp;
use nalgebra::Vector3;

/// Standard gravity, m/s^2 per g.
pub const STANDARD_GRAVITY: f32 = 9.806_65;

/// Rate of the internal frame grid, Hz.
pub const INTERNAL_RATE_HZ: u32 = 100;

/// Spacing of the internal frame grid, microseconds.
pub const FRAME_US: i64 = 1_000_000 / INTERNAL_RATE_HZ as i64;

/// Frame spacing in seconds, for the fixed-step filters (exact: the grid is integer).
pub(crate) const FRAME_S: f32 = 1.0 / INTERNAL_RATE_HZ as f32;

/// Time constant of the raw-rate high-pass used for [`ImuFrame::peak_dyn_g`], seconds. Short
/// enough that a tap (under ~30 ms) stands out, long enough to follow body motion.
const SPIKE_HP_TAU_S: f64 = 0.03;

/// Fastest change of that running mean, g/s: body motion changes slower than this, a tap
/// (a few g within 10-20 ms) much faster.
const SPIKE_BASELINE_SLEW_G_PER_S: f32 = 4.0;

/// Magnitude (g, on one axis) above which two identical consecutive readings are taken as a
/// clipped (saturated) sensor: real motion at that level does not hold a value exactly.
const SATURATION_MIN_G: f32 = 1.5;

/// Health counters of an IMU stream (since construction or the last reset).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ImuHealth {
    /// Samples accepted.
    pub samples: u64,
    /// Frames produced on the internal grid.
    pub frames: u64,
    /// Samples rejected because their timestamp was not after the previous one (out of
    /// order or duplicate).
    pub out_of_order: u64,
    /// Samples dropped because an acceleration value was NaN, infinite, or beyond the
    /// physical bound [`MAX_ACCEL_MS2`] (a bus glitch, not a motion).
    pub non_finite_accel: u64,
    /// Samples whose gyro was NaN or infinite (the sample is used without its gyro).
    pub non_finite_gyro: u64,
    /// Gaps: consecutive samples further apart than `orientation.max_gap_s`. After a gap
    /// every detector restarts from its fresh state (documented in [`crate::imu`]).
    pub gaps: u64,
    /// The longest gap seen, microseconds (0 when none).
    pub longest_gap_us: i64,
    /// Samples flagged as clipped (an axis held exactly the same value, beyond 1.5 g and at
    /// the largest magnitude seen so far).
    pub saturated_samples: u64,
    /// Smoothed raw sample rate, Hz (0 until two samples have arrived).
    pub rate_hz: f32,
}

/// One frame on the internal grid (100 Hz), in g and rad/s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImuFrame {
    /// Grid time (a multiple of [`FRAME_US`]).
    pub t: Timestamp,
    /// Acceleration in g (gravity included), linearly interpolated at `t`.
    pub accel_g: Vector3<f32>,
    /// Angular rate in rad/s at `t`, when both raw samples around `t` had a gyro.
    pub gyro: Option<Vector3<f32>>,
    /// Largest raw |a| (g) among the samples since the previous frame (or |accel_g| when
    /// no raw sample fell in between, as when upsampling a 20 Hz sensor).
    pub peak_g: f32,
    /// Smallest raw |a| (g) likewise: the depth of a free-fall (low-g) phase.
    pub min_g: f32,
    /// Largest raw |a - a_slow| (g), where `a_slow` follows the signal with a 30 ms time
    /// constant and at most 4 g/s: how sharp a spike is.
    pub peak_dyn_g: f32,
    /// A raw sample since the previous frame looked clipped.
    pub saturated: bool,
    /// Smoothed raw sample rate at this frame, Hz.
    pub raw_rate_hz: f32,
}

/// What the front end produces.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FrontOut {
    /// A frame on the grid.
    Frame(ImuFrame),
    /// Samples stopped for longer than the gap limit; state must restart.
    Gap,
}

#[derive(Debug, Clone, Copy)]
struct Raw {
    t: i64,
    a: Vector3<f32>,
    gyro: Option<Vector3<f32>>,
}

#[derive(Debug, Clone, Copy)]
struct Stats {
    n: u32,
    peak: f32,
    min: f32,
    peak_dyn: f32,
    saturated: bool,
}

impl Stats {
    const EMPTY: Stats = Stats {
        n: 0,
        peak: 0.0,
        min: f32::INFINITY,
        peak_dyn: 0.0,
        saturated: false,
    };
}

/// Resampler and sanity checks (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct FrontEnd {
    max_gap_us: i64,
    prev: Option<Raw>,
    /// Last timestamp accepted (kept across gaps, for ordering).
    last_t: Option<i64>,
    next_grid: i64,
    stats: Stats,
    slow: Vector3<f32>,
    dt_ema_us: f64,
    /// Largest |axis value| seen (g): the clip level of a saturating sensor.
    max_abs_g: f32,
    health: ImuHealth,
}

fn finite3(v: [f32; 3]) -> bool {
    v.iter().all(|x| x.is_finite())
}

/// Largest plausible |acceleration| on any axis, m/s^2 (~200 g, beyond any body-worn IMU's
/// range; the IMU CSV reader rejects the same values in files). A larger finite value is a
/// glitch: it is dropped and counted like a NaN, so it cannot overflow |a| into a false fall.
pub const MAX_ACCEL_MS2: f32 = 2000.0;

/// Every axis finite and within [`MAX_ACCEL_MS2`].
fn physical3(v: [f32; 3]) -> bool {
    v.iter().all(|x| x.is_finite() && x.abs() <= MAX_ACCEL_MS2)
}

impl FrontEnd {
    /// A front end that reports a gap when samples are more than `max_gap_us` apart.
    pub(crate) fn new(max_gap_us: i64) -> Self {
        FrontEnd {
            max_gap_us,
            prev: None,
            last_t: None,
            next_grid: 0,
            stats: Stats::EMPTY,
            slow: Vector3::zeros(),
            dt_ema_us: 0.0,
            max_abs_g: 0.0,
            health: ImuHealth::default(),
        }
    }

    pub(crate) fn reset(&mut self) {
        *self = FrontEnd::new(self.max_gap_us);
    }

    pub(crate) fn health(&self) -> ImuHealth {
        self.health
    }

    fn emit(
        &mut self,
        a: Vector3<f32>,
        gyro: Option<Vector3<f32>>,
        sink: &mut impl FnMut(FrontOut),
    ) {
        let s = self.stats;
        let n = a.norm();
        let frame = ImuFrame {
            t: Timestamp(self.next_grid),
            accel_g: a,
            gyro,
            peak_g: if s.n == 0 { n } else { s.peak },
            min_g: if s.n == 0 { n } else { s.min },
            peak_dyn_g: s.peak_dyn,
            saturated: s.saturated,
            raw_rate_hz: self.health.rate_hz,
        };
        self.stats = Stats::EMPTY;
        self.next_grid = self.next_grid.saturating_add(FRAME_US);
        self.health.frames += 1;
        sink(FrontOut::Frame(frame));
    }

    /// Feeds one raw sample. Out-of-order samples are rejected (and counted); non-finite
    /// acceleration drops the sample (counted); a non-finite gyro drops only the gyro.
    pub(crate) fn push(
        &mut self,
        s: &ImuSample,
        sink: &mut impl FnMut(FrontOut),
    ) -> Result<(), ProcessError> {
        let t = s.t.as_micros();
        if let Some(prev_t) = self.last_t {
            if t <= prev_t {
                self.health.out_of_order += 1;
                return Err(ProcessError::OutOfOrder {
                    previous_us: prev_t,
                    actual_us: t,
                });
            }
        }
        if !physical3(s.accel) {
            self.health.non_finite_accel += 1;
            return Ok(());
        }
        self.last_t = Some(t);
        self.health.samples += 1;
        let a = Vector3::from(s.accel) / STANDARD_GRAVITY;
        let gyro = match s.gyro {
            Some(g) if finite3(g) => Some(Vector3::from(g)),
            Some(_) => {
                self.health.non_finite_gyro += 1;
                None
            }
            None => None,
        };
        let mut dt_us = 0i64;
        match self.prev {
            Some(p) if t.saturating_sub(p.t) <= self.max_gap_us => {
                dt_us = t - p.t;
                self.dt_ema_us = if self.dt_ema_us == 0.0 {
                    dt_us as f64
                } else {
                    self.dt_ema_us + 0.02 * (dt_us as f64 - self.dt_ema_us)
                };
                self.health.rate_hz = (1e6 / self.dt_ema_us) as f32;
                while self.next_grid < t {
                    // Interpolate on integer time: the weight is exact up to f64 rounding.
                    let w = ((self.next_grid - p.t) as f64 / dt_us as f64) as f32;
                    let ai = p.a + (a - p.a) * w;
                    let gi = match (p.gyro, gyro) {
                        (Some(g0), Some(g1)) => Some(g0 + (g1 - g0) * w),
                        _ => None,
                    };
                    self.emit(ai, gi, sink);
                }
            }
            Some(p) => {
                self.health.gaps += 1;
                self.health.longest_gap_us = self.health.longest_gap_us.max(t.saturating_sub(p.t));
                sink(FrontOut::Gap);
                self.start(t, a);
            }
            None => self.start(t, a),
        }
        // Raw-rate features of this sample.
        let dyn_g = if dt_us > 0 {
            let alpha = 1.0 - (-(dt_us as f64) / (SPIKE_HP_TAU_S * 1e6)).exp();
            let diff = a - self.slow;
            let d = diff.norm();
            // Slew-limited so a spike barely drags the baseline (no tail after it).
            let mut step = diff * alpha as f32;
            let max_step = SPIKE_BASELINE_SLEW_G_PER_S * dt_us as f32 * 1e-6;
            let sn = step.norm();
            if sn > max_step {
                step *= max_step / sn;
            }
            self.slow += step;
            d
        } else {
            0.0
        };
        // Clipping: an axis holds exactly the same value, at the largest magnitude seen so
        // far (the clip level), beyond SATURATION_MIN_G.
        let amax = a.amax();
        self.max_abs_g = self.max_abs_g.max(amax);
        let mut sat = false;
        if let Some(p) = self.prev.filter(|_| dt_us > 0) {
            for k in 0..3 {
                let v = a[k].abs();
                if v >= SATURATION_MIN_G && a[k] == p.a[k] && v >= 0.99 * self.max_abs_g {
                    sat = true;
                }
            }
        }
        if sat {
            self.health.saturated_samples += 1;
        }
        let n = a.norm();
        let st = &mut self.stats;
        st.n += 1;
        st.peak = st.peak.max(n);
        st.min = st.min.min(n);
        st.peak_dyn = st.peak_dyn.max(dyn_g);
        st.saturated |= sat;
        self.prev = Some(Raw { t, a, gyro });
        if t == self.next_grid {
            self.emit(a, gyro, sink);
        }
        Ok(())
    }

    /// Restarts the grid at the first grid point at or after `t`.
    fn start(&mut self, t: i64, a: Vector3<f32>) {
        self.prev = None;
        self.stats = Stats::EMPTY;
        self.next_grid = t.div_euclid(FRAME_US).saturating_mul(FRAME_US);
        if self.next_grid < t {
            self.next_grid = self.next_grid.saturating_add(FRAME_US);
        }
        self.slow = a;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(us: i64, a: [f32; 3]) -> ImuSample {
        ImuSample {
            t: Timestamp(us),
            accel: a,
            gyro: None,
        }
    }

    fn run(fe: &mut FrontEnd, s: &[ImuSample]) -> Vec<FrontOut> {
        let mut v = Vec::new();
        for x in s {
            let _ = fe.push(x, &mut |o| v.push(o));
        }
        v
    }

    #[test]
    fn interpolates_on_the_grid() {
        let mut fe = FrontEnd::new(500_000);
        let g = STANDARD_GRAVITY;
        // 40 Hz samples starting off-grid; a ramp in x.
        let s: Vec<_> = (0..9)
            .map(|i| sample(3_000 + i * 25_000, [g * i as f32, 0.0, g]))
            .collect();
        let out = run(&mut fe, &s);
        let frames: Vec<_> = out
            .iter()
            .filter_map(|o| match o {
                FrontOut::Frame(f) => Some(*f),
                FrontOut::Gap => None,
            })
            .collect();
        assert_eq!(frames[0].t, Timestamp(10_000));
        for f in &frames {
            let expect = (f.t.as_micros() - 3_000) as f32 / 25_000.0;
            assert!((f.accel_g.x - expect).abs() < 1e-4, "{f:?}");
        }
        assert_eq!(frames.last().unwrap().t, Timestamp(200_000));
    }

    #[test]
    fn gaps_out_of_order_and_nan() {
        let mut fe = FrontEnd::new(100_000);
        let g = [0.0, 0.0, STANDARD_GRAVITY];
        let mut v = Vec::new();
        fe.push(&sample(0, g), &mut |o| v.push(o)).unwrap();
        fe.push(&sample(10_000, g), &mut |o| v.push(o)).unwrap();
        let e = fe.push(&sample(10_000, g), &mut |o| v.push(o)).unwrap_err();
        assert_eq!(
            e,
            ProcessError::OutOfOrder {
                previous_us: 10_000,
                actual_us: 10_000
            }
        );
        fe.push(&sample(20_000, [f32::NAN, 0.0, 0.0]), &mut |o| v.push(o))
            .unwrap();
        fe.push(&sample(500_000, g), &mut |o| v.push(o)).unwrap();
        assert!(v.contains(&FrontOut::Gap));
        let h = fe.health();
        assert_eq!(
            (h.gaps, h.out_of_order, h.non_finite_accel, h.samples),
            (1, 1, 1, 3)
        );
        assert_eq!(h.longest_gap_us, 490_000);
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let mut fe = FrontEnd::new(500_000);
        let g = [0.0, 0.0, STANDARD_GRAVITY];
        let mut n = 0;
        for t in [
            i64::MIN,
            i64::MIN + 1,
            -5,
            0,
            i64::MAX - 20_000,
            i64::MAX - 1,
            i64::MAX,
        ] {
            fe.push(&sample(t, g), &mut |_| n += 1).unwrap();
        }
        assert!(fe.push(&sample(i64::MAX, g), &mut |_| ()).is_err());
        assert_eq!(fe.health().gaps, 2);
        assert!(n > 0);
    }
}
