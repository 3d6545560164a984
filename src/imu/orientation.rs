//! Gravity direction, learned "upright" reference, trunk tilt and motion level.
//!
//! The sensor can be mounted any way up (chest, shoulder, belt, upside down), so no axis is
//! assumed. The tracker keeps `up`, the unit vector (sensor axes) that an accelerometer at
//! rest reads (+1 g opposite to gravity):
//! - with a gyro, a complementary filter: `up` is rotated by the measured angular rate
//!   (a [`UnitQuaternion`] per frame) and pulled towards the measured acceleration direction
//!   with time constant `gyro_correction_tau_s`, only while |a| is within 0.2 g of 1 g
//!   (otherwise the acceleration is not gravity);
//! - without a gyro, a first-order low-pass of the acceleration direction
//!   (`gravity_tau_s`).
//!
//! The upright reference is learned from the data: the mean `up` over the first
//! `upright_init_s` of the stream (a camera is switched on while worn), then refined by a slow
//! average (`upright_tau_s`) whenever the wearer moves (motion above `moving_g`) within
//! `upright_max_tilt_deg` of it; if the wearer keeps moving for `upright_relearn_s` while far
//! from it with a steady trunk (`up` within 20 degrees throughout: the camera was switched on
//! lying on a table, or re-clipped, and the wearer walks), the reference jumps to the current
//! direction. Lying still, or rolling and struggling on the ground, never teaches it.
//!
//! Settling: at the start of the stream and after every gap the estimate starts from one
//! sample, which may be taken mid-stride (a flight phase reads near 0 g in any direction).
//! For the first 4 x `gravity_tau_s` (2 s) `up` is the direction of a low-pass of the
//! acceleration *vector* (carried along by the gyro when there is one): over whole strides
//! the mean acceleration is gravity, the mean direction is not. Meanwhile
//! [`OrientFrame::settled`] is false and the upright reference learns nothing.

use super::stream::{ImuFrame, FRAME_S, INTERNAL_RATE_HZ};
use crate::error::ConfigError;
use crate::time::secs_to_samples;
use nalgebra::{UnitQuaternion, Vector3};
use serde::{Deserialize, Serialize};

/// How far `up` may wander during the movement that re-learns the upright reference, degrees.
const RELEARN_STEADY_DEG: f32 = 20.0;
/// Settling time after a (re)start, in units of `gravity_tau_s`: the estimate starts from one
/// sample (possibly mid-stride) and the error decays as exp(-t / tau), to 2% after 4 tau.
const SETTLE_TAUS: f64 = 4.0;

/// Orientation tracking and stream parameters (TOML table `[orientation]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrientationConfig {
    /// Time constant of the accelerometer low-pass that gives the gravity direction when
    /// there is no gyro, and of the settling filter after the start of the stream or a gap
    /// (which lasts 4 x this, see [`OrientFrame::settled`]), seconds. Default 0.5; range
    /// 0.05..=10.
    pub gravity_tau_s: f64,
    /// Time constant of the accelerometer correction of the gyro-integrated gravity direction,
    /// seconds. Default 2.0; range 0.1..=60.
    pub gyro_correction_tau_s: f64,
    /// Length of the start of the stream whose mean direction seeds the upright reference,
    /// seconds. Default 0.5; range 0.1..=10.
    pub upright_init_s: f64,
    /// Time constant of the upright reference refinement while moving upright, seconds.
    /// Default 20; range 1..=600.
    pub upright_tau_s: f64,
    /// Largest tilt (degrees) at which movement still refines the upright reference.
    /// Default 35; range 5..=80.
    pub upright_max_tilt_deg: f64,
    /// Continuous movement far from the reference after which the reference is re-learned,
    /// seconds. Default 10; range 2..=600.
    pub upright_relearn_s: f64,
    /// Motion level (standard deviation of |a| over `motion_window_s`, g) above which the
    /// wearer counts as moving. Default 0.08; range 0.01..=2.
    pub moving_g: f64,
    /// Window of the motion level (standard deviation of |a|), seconds. Default 1.0; range
    /// 0.2..=5.
    pub motion_window_s: f64,
    /// Samples further apart than this are a gap: the detectors restart from their fresh
    /// state after it (a counter in the health report). Seconds; default 0.5; range 0.1..=10
    /// (above the 50 ms spacing of the slowest supported sensor, 20 Hz).
    pub max_gap_s: f64,
}

impl Default for OrientationConfig {
    fn default() -> Self {
        OrientationConfig {
            gravity_tau_s: 0.5,
            gyro_correction_tau_s: 2.0,
            upright_init_s: 0.5,
            upright_tau_s: 20.0,
            upright_max_tilt_deg: 35.0,
            upright_relearn_s: 10.0,
            moving_g: 0.08,
            motion_window_s: 1.0,
            max_gap_s: 0.5,
        }
    }
}

impl OrientationConfig {
    /// Checks every parameter against its documented range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        ConfigError::check_range("orientation.gravity_tau_s", self.gravity_tau_s, 0.05, 10.0)?;
        ConfigError::check_range(
            "orientation.gyro_correction_tau_s",
            self.gyro_correction_tau_s,
            0.1,
            60.0,
        )?;
        ConfigError::check_range("orientation.upright_init_s", self.upright_init_s, 0.1, 10.0)?;
        ConfigError::check_range("orientation.upright_tau_s", self.upright_tau_s, 1.0, 600.0)?;
        ConfigError::check_range(
            "orientation.upright_max_tilt_deg",
            self.upright_max_tilt_deg,
            5.0,
            80.0,
        )?;
        ConfigError::check_range(
            "orientation.upright_relearn_s",
            self.upright_relearn_s,
            2.0,
            600.0,
        )?;
        ConfigError::check_range("orientation.moving_g", self.moving_g, 0.01, 2.0)?;
        ConfigError::check_range(
            "orientation.motion_window_s",
            self.motion_window_s,
            0.2,
            5.0,
        )?;
        ConfigError::check_range("orientation.max_gap_s", self.max_gap_s, 0.1, 10.0)?;
        Ok(())
    }
}

/// The orientation state after one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrientFrame {
    /// Unit vector, sensor axes, that a resting accelerometer reads (opposite to gravity).
    pub up: Vector3<f32>,
    /// The learned upright reference (`None` during the first `upright_init_s`).
    pub upright: Option<Vector3<f32>>,
    /// Angle between `up` and the upright reference, degrees (0 while it is unknown).
    pub tilt_deg: f32,
    /// Acceleration along `up` minus 1 g: vertical (gravity-aligned) acceleration, g.
    pub vertical_g: f32,
    /// Motion level: standard deviation of |a| over the motion window, g.
    pub motion_g: f32,
    /// The gravity estimate has converged since the stream (re)started: false for the first
    /// 4 x `gravity_tau_s` (2 s by default) after the start and after every gap.
    /// The first sample after a gap may be taken mid-stride, far from gravity; until this is
    /// true, `up` and `tilt_deg` are not trusted (no fall candidate, no upright learning).
    pub settled: bool,
}

/// Angle between two unit vectors, degrees (robust near 0 and 180).
pub(crate) fn angle_deg(a: &Vector3<f32>, b: &Vector3<f32>) -> f32 {
    a.cross(b).norm().atan2(a.dot(b)).to_degrees()
}

/// The gravity / upright tracker (see the module docs). Runs on internal frames.
#[derive(Debug, Clone)]
pub struct Orientation {
    cfg: OrientationConfig,
    init_frames: usize,
    relearn_frames: usize,
    settle_frames: usize,
    since_start: usize,
    /// Low-passed acceleration vector while settling, g.
    settle_lp: Vector3<f32>,
    up: Option<Vector3<f32>>,
    init_sum: Vector3<f32>,
    init_n: usize,
    upright: Option<Vector3<f32>>,
    relearn_n: usize,
    relearn_anchor: Vector3<f32>,
    norms: Vec<f32>,
    norm_pos: usize,
    norm_len: usize,
    sum: f64,
    sum_sq: f64,
    last: OrientFrame,
}

impl Orientation {
    /// A tracker; allocates its motion window here.
    pub fn new(cfg: &OrientationConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        let r = INTERNAL_RATE_HZ;
        Ok(Orientation {
            cfg: cfg.clone(),
            init_frames: secs_to_samples(cfg.upright_init_s, r, 1),
            relearn_frames: secs_to_samples(cfg.upright_relearn_s, r, 1),
            settle_frames: secs_to_samples(SETTLE_TAUS * cfg.gravity_tau_s, r, 1),
            since_start: 0,
            settle_lp: Vector3::zeros(),
            up: None,
            init_sum: Vector3::zeros(),
            init_n: 0,
            upright: None,
            relearn_n: 0,
            relearn_anchor: Vector3::z(),
            norms: vec![0.0; secs_to_samples(cfg.motion_window_s, r, 2)],
            norm_pos: 0,
            norm_len: 0,
            sum: 0.0,
            sum_sq: 0.0,
            last: OrientFrame {
                up: Vector3::z(),
                upright: None,
                tilt_deg: 0.0,
                vertical_g: 0.0,
                motion_g: 0.0,
                settled: false,
            },
        })
    }

    /// Back to the fresh state (nothing learned), without allocating.
    pub fn reset(&mut self) {
        self.up = None;
        self.since_start = 0;
        self.last.settled = false;
        self.init_sum = Vector3::zeros();
        self.init_n = 0;
        self.upright = None;
        self.relearn_n = 0;
        self.norms.iter_mut().for_each(|x| *x = 0.0);
        self.norm_pos = 0;
        self.norm_len = 0;
        self.sum = 0.0;
        self.sum_sq = 0.0;
        self.last.upright = None;
    }

    /// Restarts after a gap in the data: the filters and the motion window start again (and
    /// settle for `4 x gravity_tau_s`, see [`OrientFrame::settled`]), but
    /// the learned upright reference is kept (a dropout does not move the camera on the
    /// wearer, and re-learning it from a wearer who may be lying would be wrong).
    pub fn restart(&mut self) {
        let upright = self.upright;
        self.reset();
        if let Some(u) = upright {
            self.upright = Some(u);
            self.init_n = self.init_frames;
        }
    }

    /// The state after the latest frame.
    pub fn last(&self) -> &OrientFrame {
        &self.last
    }

    /// Updates with one internal frame.
    pub fn update(&mut self, f: &ImuFrame) -> OrientFrame {
        let a = f.accel_g;
        let n = a.norm();
        // Motion level: running mean and variance of |a| over the window (f64 sums: no
        // drift worth mentioning over a shift at 100 Hz).
        let cap = self.norms.len();
        if self.norm_len == cap {
            let old = self.norms[self.norm_pos] as f64;
            self.sum -= old;
            self.sum_sq -= old * old;
        } else {
            self.norm_len += 1;
        }
        self.norms[self.norm_pos] = n;
        self.norm_pos = (self.norm_pos + 1) % cap;
        self.sum += n as f64;
        self.sum_sq += (n as f64) * (n as f64);
        let m = self.sum / self.norm_len as f64;
        let motion = (self.sum_sq / self.norm_len as f64 - m * m).max(0.0).sqrt() as f32;

        let dir = if n > 1e-3 { Some(a / n) } else { None };
        self.since_start = self.since_start.saturating_add(1);
        let settled = self.since_start > self.settle_frames;
        let up = if !settled {
            // Converging after a (re)start: a low-pass of the acceleration *vector*, carried
            // along by the gyro when there is one. Over whole strides the mean acceleration
            // is gravity (the trunk does not keep accelerating), whereas the mean direction
            // is not: flight phases (|a| near 0) point anywhere and would count as much as
            // the heel strikes that carry the weight.
            let lp = match f.gyro {
                Some(w) if self.up.is_some() => {
                    UnitQuaternion::from_scaled_axis(-w * FRAME_S) * self.settle_lp
                }
                _ => self.settle_lp,
            };
            self.settle_lp = if self.up.is_none() {
                a
            } else {
                lp + (a - lp) * (FRAME_S / self.cfg.gravity_tau_s as f32)
            };
            let ln = self.settle_lp.norm();
            if ln > 1e-3 {
                self.settle_lp / ln
            } else {
                self.up.or(dir).unwrap_or(Vector3::z())
            }
        } else {
            match (self.up, dir) {
                (None, Some(d)) => d,
                (None, None) => Vector3::z(),
                (Some(u), d) => {
                    let (mut u, k) = match f.gyro {
                        Some(w) => {
                            // A world-fixed vector seen from the sensor turns by -w dt.
                            let q = UnitQuaternion::from_scaled_axis(-w * FRAME_S);
                            let k = if (n - 1.0).abs() < 0.2 {
                                FRAME_S / self.cfg.gyro_correction_tau_s as f32
                            } else {
                                0.0
                            };
                            (q * u, k)
                        }
                        None => (u, FRAME_S / self.cfg.gravity_tau_s as f32),
                    };
                    if let Some(d) = d {
                        u += (d - u) * k;
                    }
                    let un = u.norm();
                    if un > 1e-6 {
                        u / un
                    } else {
                        d.unwrap_or(Vector3::z())
                    }
                }
            }
        };
        self.up = Some(up);

        // Upright reference.
        let tilt = match self.upright {
            None => {
                self.init_sum += up;
                self.init_n += 1;
                if self.init_n >= self.init_frames {
                    let s = self.init_sum.norm();
                    self.upright = Some(if s > 1e-6 { self.init_sum / s } else { up });
                }
                0.0
            }
            Some(r) => {
                let tilt = angle_deg(&up, &r);
                if !settled {
                    // `up` may still be far from gravity: learn nothing from it.
                    self.relearn_n = 0;
                } else if motion >= self.cfg.moving_g as f32 {
                    if tilt <= self.cfg.upright_max_tilt_deg as f32 {
                        let k = FRAME_S / self.cfg.upright_tau_s as f32;
                        let nr = r + (up - r) * k;
                        self.upright = Some(nr.normalize());
                        self.relearn_n = 0;
                    } else {
                        // Re-learn only from movement with a steady trunk (walking with a
                        // re-clipped camera), not from rolling or struggling on the ground.
                        if self.relearn_n == 0
                            || angle_deg(&up, &self.relearn_anchor) > RELEARN_STEADY_DEG
                        {
                            self.relearn_anchor = up;
                            self.relearn_n = 0;
                        }
                        self.relearn_n += 1;
                        if self.relearn_n >= self.relearn_frames {
                            self.upright = Some(up);
                            self.relearn_n = 0;
                        }
                    }
                } else {
                    self.relearn_n = 0;
                }
                tilt
            }
        };
        self.last = OrientFrame {
            up,
            upright: self.upright,
            tilt_deg: tilt,
            vertical_g: a.dot(&up) - 1.0,
            motion_g: motion,
            settled,
        };
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn frame(i: i64, a: Vector3<f32>, gyro: Option<Vector3<f32>>) -> ImuFrame {
        ImuFrame {
            t: Timestamp(i * 10_000),
            accel_g: a,
            gyro,
            peak_g: a.norm(),
            min_g: a.norm(),
            peak_dyn_g: 0.0,
            saturated: false,
            raw_rate_hz: 100.0,
        }
    }

    /// Reference: rotate the sensor about its x axis at a constant rate while at rest; the
    /// gyro-propagated `up` must follow the true gravity direction without help from the
    /// accelerometer (correction disabled by an off-1g magnitude is not needed: the
    /// accelerometer agrees, so both must agree with the closed form).
    #[test]
    fn gyro_propagation_matches_closed_form() {
        let mut o = Orientation::new(&OrientationConfig {
            gyro_correction_tau_s: 60.0,
            ..Default::default()
        })
        .unwrap();
        let w = 1.0f32; // rad/s about x
        let mut last = None;
        for i in 0..150 {
            let th = w * i as f32 * FRAME_S;
            // Sensor rotated by th about x: world up (0,0,1) seen in sensor axes.
            let up_true = Vector3::new(0.0, th.sin(), th.cos());
            let f = frame(i, up_true, Some(Vector3::new(w, 0.0, 0.0)));
            last = Some((o.update(&f), up_true));
        }
        let (of, up_true) = last.unwrap();
        assert!(
            angle_deg(&of.up, &up_true) < 1.0,
            "{:?} vs {up_true:?}",
            of.up
        );
        // The reference was learned from the first 0.5 s, so the tilt is the angle turned
        // since then (about 1.49 rad - 0.25 rad of mean).
        assert!(of.tilt_deg > 60.0 && of.tilt_deg < 80.0, "{}", of.tilt_deg);
    }

    /// The running mean/variance motion level against a direct standard deviation of the
    /// last window (the slow, obvious reference).
    #[test]
    fn motion_level_matches_direct_std() {
        let cfg = OrientationConfig::default();
        let mut o = Orientation::new(&cfg).unwrap();
        let w = secs_to_samples(cfg.motion_window_s, INTERNAL_RATE_HZ, 2);
        let mut norms = Vec::new();
        for i in 0..1000i64 {
            let x = (i as f32 * 0.37).sin() * (1.0 + (i as f32 * 0.01).cos()) * 0.8;
            let a = Vector3::new(x, 0.2, 1.0 + 0.5 * x * x);
            norms.push(a.norm() as f64);
            let got = o.update(&frame(i, a, None)).motion_g as f64;
            let tail = &norms[norms.len().saturating_sub(w)..];
            let m = tail.iter().sum::<f64>() / tail.len() as f64;
            let v = tail.iter().map(|y| (y - m) * (y - m)).sum::<f64>() / tail.len() as f64;
            assert!((got - v.sqrt()).abs() < 1e-4, "{i}: {got} vs {}", v.sqrt());
        }
    }

    /// Switched on lying flat, then worn while walking: the reference is re-learned after
    /// `upright_relearn_s` of steady movement; tumbling movement never re-learns it.
    #[test]
    fn upright_relearns_only_from_steady_movement() {
        let cfg = OrientationConfig::default();
        let walk = |i: i64, up: Vector3<f32>| {
            let b = 0.4 * (i as f32 * 0.2).sin();
            up * (1.0 + b)
        };
        let mut o = Orientation::new(&cfg).unwrap();
        for i in 0..100 {
            o.update(&frame(i, Vector3::x(), None));
        }
        for i in 100..1500 {
            o.update(&frame(i, walk(i, Vector3::z()), None));
        }
        assert!(o.last().tilt_deg < 5.0, "{:?}", o.last());
        let mut o = Orientation::new(&cfg).unwrap();
        for i in 0..100 {
            o.update(&frame(i, Vector3::z(), None));
        }
        for i in 100..3000 {
            // Rolling on the ground: the direction keeps turning about the vertical-ish axis.
            let th = i as f32 * 0.01;
            let dir = Vector3::new(th.cos(), th.sin(), 0.2).normalize();
            o.update(&frame(i, walk(i, dir), None));
        }
        assert!(o.last().tilt_deg > 60.0, "{:?}", o.last());
    }

    #[test]
    fn upright_is_learned_for_any_mounting() {
        for up in [Vector3::x(), -Vector3::y(), Vector3::new(0.6, 0.0, -0.8)] {
            let mut o = Orientation::new(&OrientationConfig::default()).unwrap();
            for i in 0..100 {
                o.update(&frame(i, up, None));
            }
            let l = o.last();
            assert!(angle_deg(&l.upright.unwrap(), &up) < 0.1);
            assert!(l.tilt_deg < 0.1);
        }
    }

    /// A restart in the middle of a run, first sample in a flight phase (|a| near 0, pointing
    /// sideways): the estimate must reach the true gravity direction by the time it reports
    /// itself settled, with and without a gyro (reference: the known mounting).
    #[test]
    fn restart_mid_run_settles_on_gravity() {
        // Sensor mounted so that gravity reads along (0.6, 0, 0.8); steps at 2.8 Hz: a sharp
        // heel strike, a flight phase near 0 g and a forward sway, zero mean over a step
        // apart from gravity (the trunk does not keep accelerating).
        let up_true = Vector3::new(0.6f32, 0.0, 0.8);
        let fwd = Vector3::new(0.0f32, 1.0, 0.0);
        let accel = |t: f32| {
            let ph = (t * 2.8).fract();
            let strike = (-((ph - 0.1) / 0.06).powi(2)).exp();
            // Mean of `strike` over a step is 0.06 sqrt(pi).
            let v = 1.0 + 2.5 * (strike - 0.06 * std::f32::consts::PI.sqrt()) / 0.106;
            up_true * v.max(0.0) + fwd * 0.8 * (std::f32::consts::TAU * 2.8 * t).sin()
        };
        for gyro in [None, Some(Vector3::zeros())] {
            let mut o = Orientation::new(&OrientationConfig::default()).unwrap();
            // A flight-phase first sample after the restart.
            let t0 = 0.3 / 2.8;
            let mut last = None;
            for i in 0..400 {
                let t = t0 + i as f32 * 0.01;
                let f = o.update(&frame(i, accel(t), gyro));
                if f.settled && last.is_none() {
                    last = Some(angle_deg(&f.up, &up_true));
                }
                if i > 0 && !f.settled {
                    assert!(i < 250, "never settled");
                }
            }
            let err = last.expect("settled");
            assert!(err < 12.0, "{gyro:?}: {err} degrees off at settling");
            o.restart();
            assert!(!o.update(&frame(500, accel(t0), gyro)).settled);
        }
    }
}
