//! Synthetic body-worn IMU: a trunk moving through activity segments, seen by a sensor with
//! an arbitrary mounting rotation.
//!
//! ## Model
//!
//! Frames: the **world** frame has `z` up; the **body** (trunk) frame has `x` forward, `y`
//! left, `z` up (head) when standing; the **sensor** frame is the body frame rotated by the
//! [`Mounting`] (a camera on the chest, shoulder or belt, possibly upside down), so no axis is
//! fixed.
//!
//! The accelerometer measures specific force `f = a - g_vec` (gravity included: standing still
//! it reads +9.81 m/s^2 along the body's up axis), rotated into the sensor frame; the gyroscope
//! measures the body angular rate, rotated into the sensor frame. Both are averaged over the
//! sample interval (the sensor's own anti-aliasing low-pass), then get white noise, a constant
//! bias and saturation at +-16 g.
//!
//! The trunk's attitude is `q0 * R(axis, theta(t)) * Rx(roll(t)) * Ry(pitch(t))`: a base
//! attitude, one large smooth rotation (falls, getting up, sitting) and small gait sway, with
//! the angular rate computed analytically from the same functions, so gyro and accelerometer
//! agree.
//!
//! Activities (all durations in s, accelerations in g):
//! - gait (walk, run, stairs): per-step vertical specific force. Running alternates flight
//!   (`f ~ 0`) and stance, a half-sine of peak `P` over a duty fraction `D = pi / (2 P)` so the
//!   mean vertical force stays 1 g (momentum balance): peaks of 3-6 g at ~160 steps/min.
//!   Walking keeps contact: `1 g + 0.25 g cos` per step plus a heel strike, peaks 1.5-2.5 g at
//!   ~110 steps/min. Fore-aft braking/propulsion and a lateral sway at the stride frequency;
//!   cadence jitters by +-3% and amplitude by +-10% step to step.
//! - fall: a low-g phase (~0.3 g for ~0.45 s) while the trunk rotates 90 degrees (forward,
//!   backward or sideways; peak rate ~4 rad/s), an impact (3-10 g, ~50 ms half-sine) and a
//!   damped bounce, then lying (still, breathing).
//! - sit down hard: a dip to ~0.5 g, a 2-4 g seat impact, a 15-degree recline.
//! - jump: crouch, push-off (~2.2 g), free flight (0 g), landing (4-6 g).
//! - vehicle: seated vibration (body bounce ~1.2 Hz, suspension ~12 Hz, engine ~28 Hz) and
//!   random bumps.
//! - taps: a ~10 ms body-frame spike pushing the camera into the chest, with a rebound.

use super::{smoothstep, Rng, SynthEvent, G};
use crate::imu::ImuSample;
use crate::Timestamp;
use nalgebra::{Unit, UnitQuaternion, Vector3};
use std::f64::consts::{FRAC_PI_2, PI, TAU};

/// How the sensor is mounted on the trunk: the rotation from sensor axes to body axes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mounting(pub UnitQuaternion<f64>);

impl Mounting {
    /// Sensor axes = body axes (x forward, y left, z up).
    pub fn aligned() -> Self {
        Mounting(UnitQuaternion::identity())
    }
    /// From roll, pitch, yaw in degrees (intrinsic x-y-z as nalgebra's `from_euler_angles`).
    pub fn from_euler_deg(roll: f64, pitch: f64, yaw: f64) -> Self {
        Mounting(UnitQuaternion::from_euler_angles(
            roll.to_radians(),
            pitch.to_radians(),
            yaw.to_radians(),
        ))
    }
    /// A random mounting (uniform over all rotations), for tests that must not depend on an
    /// axis convention.
    pub fn random(rng: &mut Rng) -> Self {
        // Shoemake's uniform random quaternion.
        let (u1, u2, u3) = (rng.uniform(), rng.uniform(), rng.uniform());
        let q = nalgebra::Quaternion::new(
            (1.0 - u1).sqrt() * (TAU * u2).sin(),
            (1.0 - u1).sqrt() * (TAU * u2).cos(),
            u1.sqrt() * (TAU * u3).sin(),
            u1.sqrt() * (TAU * u3).cos(),
        );
        Mounting(UnitQuaternion::from_quaternion(q))
    }
}

/// Direction of a fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallDirection {
    /// Face down.
    Forward,
    /// On the back.
    Backward,
    /// On the left side.
    Left,
    /// On the right side.
    Right,
}

/// Timing of the rendered samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timing {
    /// Exactly `1 / rate` apart (to the microsecond).
    Regular,
    /// Each timestamp moved by up to `+-jitter` of the nominal period, and each sample
    /// dropped with probability `drop` (gaps); timestamps stay strictly increasing.
    Irregular {
        /// Jitter as a fraction of the nominal period (< 0.5).
        jitter: f64,
        /// Probability that a sample is missing.
        drop: f64,
    },
}

/// Sensor imperfections.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SensorModel {
    /// Accelerometer white noise, m/s^2 RMS per axis.
    pub accel_noise: f64,
    /// Gyroscope white noise, rad/s RMS per axis.
    pub gyro_noise: f64,
    /// Largest constant accelerometer bias per axis, m/s^2 (drawn uniformly within +-).
    pub accel_bias: f64,
    /// Largest constant gyro bias per axis, rad/s.
    pub gyro_bias: f64,
    /// Accelerometer full scale, g (readings saturate there).
    pub accel_range_g: f64,
    /// Whether the sensor has a gyroscope.
    pub gyro: bool,
}

impl Default for SensorModel {
    fn default() -> Self {
        SensorModel {
            accel_noise: 0.03,
            gyro_noise: 0.003,
            accel_bias: 0.05,
            gyro_bias: 0.005,
            accel_range_g: 16.0,
            gyro: true,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Rot {
    axis: Unit<Vector3<f64>>,
    angle: f64,
    start: f64,
    dur: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    /// `sin(pi x)` over the width.
    HalfSine,
    /// Raised-cosine edges (20% each) and a flat top.
    Plateau,
}

#[derive(Debug, Clone, Copy)]
struct Pulse {
    t: f64,
    width: f64,
    /// Acceleration at the peak, m/s^2 (world frame, or body frame when `body`).
    amp: Vector3<f64>,
    body: bool,
    shape: Shape,
}

impl Pulse {
    fn world(t: f64, width: f64, amp: [f64; 3], shape: Shape) -> Self {
        Pulse {
            t,
            width,
            amp: Vector3::from(amp),
            body: false,
            shape,
        }
    }
    fn value(&self, tau: f64) -> f64 {
        let x = (tau - self.t) / self.width;
        if !(0.0..=1.0).contains(&x) {
            return 0.0;
        }
        match self.shape {
            Shape::HalfSine => (PI * x).sin(),
            Shape::Plateau => smoothstep(x / 0.2) * smoothstep((1.0 - x) / 0.2),
        }
    }
}

#[derive(Debug, Clone)]
struct Gait {
    running: bool,
    /// Step start times, relative to the segment; one more than the number of steps.
    starts: Vec<f64>,
    /// Peak vertical specific force per step, g.
    peaks: Vec<f64>,
}

impl Gait {
    /// World-frame linear acceleration (without gravity) in heading-aligned axes
    /// (forward, left, up).
    fn accel(&self, tau: f64) -> [f64; 3] {
        let k = match self.starts.partition_point(|&s| s <= tau) {
            0 => return [0.0; 3],
            k => k - 1,
        };
        if k + 1 >= self.starts.len() {
            return [0.0; 3];
        }
        let period = self.starts[k + 1] - self.starts[k];
        let phi = (tau - self.starts[k]) / period;
        let pk = self.peaks[k];
        let side = if k % 2 == 0 { 1.0 } else { -1.0 };
        if self.running {
            let duty = (FRAC_PI_2 / pk).min(0.9);
            let (fz, fx) = if phi < duty {
                let x = phi / duty;
                (pk * G * (PI * x).sin(), -0.4 * G * (TAU * x).sin())
            } else {
                (0.0, 0.0)
            };
            [fx, side * 0.25 * G * (PI * phi).sin(), fz - G]
        } else {
            let heel_w = 0.06 / period;
            let heel_peak = (pk - 1.25).max(0.0);
            let heel = if phi < heel_w {
                heel_peak * (PI * phi / heel_w).sin()
            } else {
                0.0
            };
            // Remove the heel strike's mean so the vertical force averages 1 g.
            let heel_mean = heel_peak * 2.0 / PI * heel_w;
            let fz = G * (1.0 + 0.25 * (TAU * phi).cos() + heel - heel_mean);
            [
                0.2 * G * (TAU * phi).sin(),
                side * 0.1 * G * (PI * phi).sin(),
                fz - G,
            ]
        }
    }
}

#[derive(Debug, Clone)]
struct Segment {
    t0: f64,
    dur: f64,
    q0: UnitQuaternion<f64>,
    rot: Option<Rot>,
    /// (pitch amplitude rad, roll amplitude rad, step frequency Hz).
    sway: (f64, f64, f64),
    gait: Option<Gait>,
    pulses: Vec<Pulse>,
    /// World-frame vibration: (amplitude m/s^2 per axis, frequency Hz, phase).
    vib: Vec<([f64; 3], f64, f64)>,
    /// Breathing amplitude, m/s^2 (0.25 Hz, along world up).
    breath: f64,
}

/// A window rising over `ramp` s at the start of `[0, dur]` and falling over `ramp` s at its
/// end (raised-cosine edges, shortened for short segments), and its derivative.
fn fade(tau: f64, dur: f64, ramp: f64) -> (f64, f64) {
    let r = ramp.min(dur / 2.0).max(1e-6);
    let ds = |x: f64| {
        if (0.0..1.0).contains(&x) {
            FRAC_PI_2 * (PI * x).sin()
        } else {
            0.0
        }
    };
    let (a, b) = (tau / r, (dur - tau) / r);
    (
        smoothstep(a) * smoothstep(b),
        (ds(a) * smoothstep(b) - smoothstep(a) * ds(b)) / r,
    )
}

struct Motion {
    q: UnitQuaternion<f64>,
    omega: Vector3<f64>,
    accel: Vector3<f64>,
}

impl Segment {
    fn new(t0: f64, dur: f64, q0: UnitQuaternion<f64>) -> Self {
        Segment {
            t0,
            dur,
            q0,
            rot: None,
            sway: (0.0, 0.0, 0.0),
            gait: None,
            pulses: Vec::new(),
            vib: Vec::new(),
            breath: 0.0,
        }
    }

    fn end_attitude(&self) -> UnitQuaternion<f64> {
        match self.rot {
            Some(r) => self.q0 * UnitQuaternion::from_axis_angle(&r.axis, r.angle),
            None => self.q0,
        }
    }

    fn eval(&self, tau: f64) -> Motion {
        let (theta, dtheta, axis) = match self.rot {
            Some(r) => {
                let x = (tau - r.start) / r.dur;
                let d = if (0.0..1.0).contains(&x) {
                    r.angle * FRAC_PI_2 * (PI * x).sin() / r.dur
                } else {
                    0.0
                };
                (r.angle * smoothstep(x), d, r.axis)
            }
            None => (0.0, 0.0, Vector3::z_axis()),
        };
        let (pa, ra, f) = self.sway;
        let w = TAU * f;
        // Sway fades in and out over 0.5 s so the attitude is continuous across segments.
        let (env, denv) = fade(tau, self.dur, 0.5);
        let (p, dp) = (
            pa * env * (w * tau).sin(),
            pa * (denv * (w * tau).sin() + env * w * (w * tau).cos()),
        );
        let (r, dr) = (
            ra * env * (0.5 * w * tau).sin(),
            ra * (denv * (0.5 * w * tau).sin() + env * 0.5 * w * (0.5 * w * tau).cos()),
        );
        let q_big = UnitQuaternion::from_axis_angle(&axis, theta);
        let q_rx = UnitQuaternion::from_axis_angle(&Vector3::x_axis(), r);
        let q_ry = UnitQuaternion::from_axis_angle(&Vector3::y_axis(), p);
        let q = self.q0 * q_big * q_rx * q_ry;
        let omega = (q_rx * q_ry).inverse_transform_vector(&(axis.into_inner() * dtheta))
            + q_ry.inverse_transform_vector(&(Vector3::x() * dr))
            + Vector3::y() * dp;
        let mut a = Vector3::zeros();
        if let Some(g) = &self.gait {
            let [fwd, left, up] = g.accel(tau);
            a += self.q0.transform_vector(&Vector3::new(fwd, left, 0.0));
            a.z += up;
        }
        for pu in &self.pulses {
            let v = pu.amp * pu.value(tau);
            a += if pu.body { q.transform_vector(&v) } else { v };
        }
        for (amp, f, ph) in &self.vib {
            let s = (TAU * f * tau + ph).sin();
            a += Vector3::new(amp[0] * s, amp[1] * s, amp[2] * s);
        }
        a.z += self.breath * (TAU * 0.25 * tau).sin();
        Motion { q, omega, accel: a }
    }
}

/// A timeline of activities; rendered at any rate through any mounting.
///
/// ```
/// use autotrigger::synth::{imu::{ImuScene, Mounting, Timing, FallDirection}, Rng};
/// let mut s = ImuScene::new(Rng::new(1));
/// s.stand(2.0).walk(5.0, 110.0, 2.0).run(6.0, 165.0, 4.5);
/// s.fall(FallDirection::Forward, 6.0).lie(40.0);
/// let (samples, events) = s.render(100.0, Mounting::from_euler_deg(0.0, 180.0, 30.0), Timing::Regular);
/// assert_eq!(samples.len(), 5420); // 54.2 s: the fall itself takes 1.2 s
/// let kinds: Vec<&str> = events.iter().map(|e| e.kind).collect();
/// assert_eq!(kinds, ["running", "fall", "officer_down"]);
/// ```
#[derive(Debug, Clone)]
pub struct ImuScene {
    rng: Rng,
    segments: Vec<Segment>,
    events: Vec<SynthEvent>,
    t: f64,
    q: UnitQuaternion<f64>,
    upright: UnitQuaternion<f64>,
    down_since: Option<f64>,
    officer_down_s: f64,
    sensor: SensorModel,
}

fn ts(s: f64) -> Timestamp {
    Timestamp::from_secs_f64(s)
}

impl ImuScene {
    /// An empty scene; the subject faces a random heading.
    pub fn new(mut rng: Rng) -> Self {
        let yaw = rng.range(-PI, PI);
        let q = UnitQuaternion::from_axis_angle(&Vector3::z_axis(), yaw);
        ImuScene {
            rng,
            segments: Vec::new(),
            events: Vec::new(),
            t: 0.0,
            q,
            upright: q,
            down_since: None,
            officer_down_s: 30.0,
            sensor: SensorModel::default(),
        }
    }

    /// How long a subject must lie after a fall for an `officer_down` label (default 30 s).
    pub fn officer_down_after(&mut self, secs: f64) -> &mut Self {
        self.officer_down_s = secs;
        self
    }

    /// Sets the sensor model.
    pub fn sensor(&mut self, sensor: SensorModel) -> &mut Self {
        self.sensor = sensor;
        self
    }

    /// Current end of the timeline, s.
    pub fn duration(&self) -> f64 {
        self.t
    }

    /// True events so far.
    pub fn events(&self) -> &[SynthEvent] {
        &self.events
    }

    fn push(&mut self, seg: Segment) {
        self.q = seg.end_attitude();
        self.t += seg.dur;
        self.segments.push(seg);
    }

    fn seg(&self, dur: f64) -> Segment {
        Segment::new(self.t, dur.max(0.0), self.q)
    }

    fn gait(&mut self, dur: f64, spm: f64, peak_g: f64, running: bool) -> Gait {
        let period = 60.0 / spm.max(1.0);
        let mut starts = vec![0.0];
        let mut peaks = Vec::new();
        let mut t = 0.0;
        while t < dur {
            t += period * self.rng.range(0.97, 1.03);
            starts.push(t);
            peaks.push(peak_g * self.rng.range(0.9, 1.1));
        }
        Gait {
            running,
            starts,
            peaks,
        }
    }

    /// Standing still (slight postural sway) for `dur` s.
    pub fn stand(&mut self, dur: f64) -> &mut Self {
        let mut s = self.seg(dur);
        s.sway = (0.01, 0.01, 0.3);
        s.breath = 0.02;
        self.push(s);
        self
    }

    /// Walking at `spm` steps/min with vertical peaks of `peak_g` (1.5-2.5 g).
    pub fn walk(&mut self, dur: f64, spm: f64, peak_g: f64) -> &mut Self {
        let mut s = self.seg(dur);
        s.gait = Some(self.gait(dur, spm, peak_g, false));
        s.sway = (0.035, 0.04, spm / 60.0);
        self.push(s);
        self
    }

    /// Running at `spm` steps/min with vertical peaks of `peak_g` (3-6 g); labelled `running`.
    pub fn run(&mut self, dur: f64, spm: f64, peak_g: f64) -> &mut Self {
        let mut s = self.seg(dur);
        s.gait = Some(self.gait(dur, spm, peak_g.max(1.8), true));
        s.sway = (0.07, 0.06, spm / 60.0);
        self.events.push(SynthEvent {
            onset: ts(self.t),
            offset: ts(self.t + dur),
            kind: "running",
        });
        self.push(s);
        self
    }

    /// Climbing (`up`) or descending stairs at ~90 steps/min; descending lands harder.
    pub fn stairs(&mut self, dur: f64, up: bool) -> &mut Self {
        let mut s = self.seg(dur);
        let peak = if up { 1.6 } else { 2.2 };
        s.gait = Some(self.gait(dur, 90.0, peak, false));
        s.sway = (0.05, 0.04, 1.5);
        self.push(s);
        self
    }

    /// Sitting down hard onto a seat (impact `impact_g`, 2-4 g), ending reclined ~15 degrees;
    /// a hard non-fall.
    pub fn sit_down_hard(&mut self, impact_g: f64) -> &mut Self {
        let mut s = self.seg(1.5);
        s.pulses
            .push(Pulse::world(0.1, 0.4, [0.0, 0.0, -0.5 * G], Shape::Plateau));
        s.pulses.push(Pulse::world(
            0.5,
            0.08,
            [0.0, 0.0, (impact_g - 1.0).max(0.0) * G],
            Shape::HalfSine,
        ));
        s.rot = Some(Rot {
            axis: Vector3::y_axis(),
            angle: -15f64.to_radians(),
            start: 0.2,
            dur: 0.6,
        });
        s.breath = 0.02;
        self.push(s);
        self
    }

    /// Sitting still (current attitude) for `dur` s.
    pub fn sit(&mut self, dur: f64) -> &mut Self {
        let mut s = self.seg(dur);
        s.breath = 0.02;
        self.push(s);
        self
    }

    /// A vertical jump of `height_m` (flight time `2 sqrt(2h/g)`), landing at 4-6 g; a hard
    /// non-fall.
    pub fn jump(&mut self, height_m: f64) -> &mut Self {
        let flight = 2.0 * (2.0 * height_m.max(0.01) / G).sqrt();
        let land = self.rng.range(4.0, 6.0);
        let mut s = self.seg(0.5 + flight + 0.8);
        s.pulses.push(Pulse::world(
            0.0,
            0.25,
            [0.0, 0.0, -0.4 * G],
            Shape::Plateau,
        ));
        s.pulses.push(Pulse::world(
            0.25,
            0.25,
            [0.0, 0.0, 1.2 * G],
            Shape::HalfSine,
        ));
        s.pulses
            .push(Pulse::world(0.5, flight, [0.0, 0.0, -G], Shape::Plateau));
        s.pulses.push(Pulse::world(
            0.5 + flight,
            0.08,
            [0.0, 0.0, (land - 1.0) * G],
            Shape::HalfSine,
        ));
        s.pulses.push(Pulse::world(
            0.58 + flight,
            0.2,
            [0.0, 0.0, 0.5 * G],
            Shape::HalfSine,
        ));
        self.push(s);
        self
    }

    /// Riding in a vehicle for `dur` s: seated vibration and road bumps.
    pub fn vehicle(&mut self, dur: f64) -> &mut Self {
        let mut s = self.seg(dur);
        let r = &mut self.rng;
        s.vib.push(([0.1, 0.1, 0.5], 1.2, r.range(0.0, TAU)));
        s.vib
            .push(([0.2, 0.2, 0.4], 12.0 * r.range(0.9, 1.1), r.range(0.0, TAU)));
        s.vib.push((
            [0.15, 0.1, 0.2],
            28.0 * r.range(0.9, 1.1),
            r.range(0.0, TAU),
        ));
        let mut t = r.range(0.5, 3.0);
        while t < dur - 0.2 {
            let a = r.range(0.3, 0.8) * G;
            s.pulses
                .push(Pulse::world(t, 0.1, [0.0, 0.0, a], Shape::HalfSine));
            t += r.range(1.0, 5.0);
        }
        self.push(s);
        self
    }

    /// A fall in `direction` with an impact of `impact_g` (3-10 g), 1.2 s long: the low-g
    /// phase and rotation start at once, the impact comes 0.75 s in. Labelled `fall` from the
    /// impact to the end of the bounce (~0.2 s later), as [`crate::Event`] defines a fall's
    /// onset. Follow it with [`ImuScene::lie`].
    pub fn fall(&mut self, direction: FallDirection, impact_g: f64) -> &mut Self {
        let mut s = self.seg(1.2);
        let (axis, angle) = match direction {
            FallDirection::Forward => (Vector3::y_axis(), FRAC_PI_2),
            FallDirection::Backward => (Vector3::y_axis(), -FRAC_PI_2),
            FallDirection::Left => (Vector3::x_axis(), -FRAC_PI_2),
            FallDirection::Right => (Vector3::x_axis(), FRAC_PI_2),
        };
        s.rot = Some(Rot {
            axis,
            angle,
            start: 0.1,
            dur: 0.65,
        });
        // Low-g: the trunk is partly in free fall (specific force ~0.3 g).
        s.pulses.push(Pulse::world(
            0.05,
            0.6,
            [0.0, 0.0, -0.7 * G],
            Shape::Plateau,
        ));
        let impact = self.rng.range(0.04, 0.06);
        let side = self.rng.range(-0.3, 0.3);
        s.pulses.push(Pulse::world(
            0.75,
            impact,
            [side * impact_g * G, 0.0, (impact_g - 1.0).max(0.0) * G],
            Shape::HalfSine,
        ));
        // Damped bounce of the body on the ground.
        for (k, a) in [0.5, -0.3, 0.15].iter().enumerate() {
            s.pulses.push(Pulse::world(
                0.75 + impact + 0.06 * k as f64,
                0.06,
                [0.0, 0.0, a * G],
                Shape::HalfSine,
            ));
        }
        // Labelled like the detectors' events: onset at the impact (the instant a fall is
        // defined by), offset when the bounce has died out.
        let rest = 0.75 + impact + 0.18;
        self.events.push(SynthEvent {
            onset: ts(self.t + 0.75),
            offset: ts(self.t + rest),
            kind: "fall",
        });
        self.down_since = Some(self.t + rest);
        self.push(s);
        self
    }

    /// Lying still (breathing) for `dur` s in the current attitude. After a fall, lying for at
    /// least [`ImuScene::officer_down_after`] seconds (counted from when the body came to
    /// rest, ~1 s into the fall) is labelled `officer_down`, from that moment to the end of
    /// the lying.
    pub fn lie(&mut self, dur: f64) -> &mut Self {
        let mut s = self.seg(dur);
        s.breath = 0.03;
        self.push(s);
        if let Some(t0) = self.down_since.take() {
            if self.t - t0 >= self.officer_down_s {
                self.events.push(SynthEvent {
                    onset: ts(t0),
                    offset: ts(self.t),
                    kind: "officer_down",
                });
            }
        }
        self
    }

    /// Getting up: rotates back to upright over `dur` s (1.5-3) with some push-up effort.
    pub fn get_up(&mut self, dur: f64) -> &mut Self {
        let dur = dur.max(0.5);
        let mut s = self.seg(dur + 0.3);
        let rel = self.q.inverse() * self.upright;
        if let Some((axis, angle)) = rel.axis_angle() {
            s.rot = Some(Rot {
                axis,
                angle,
                start: 0.1,
                dur,
            });
        }
        s.pulses.push(Pulse::world(
            0.1,
            dur * 0.6,
            [0.0, 0.0, 0.4 * G],
            Shape::HalfSine,
        ));
        s.pulses.push(Pulse::world(
            0.1 + dur * 0.6,
            dur * 0.4,
            [0.0, 0.0, -0.3 * G],
            Shape::HalfSine,
        ));
        self.down_since = None;
        self.push(s);
        self
    }

    fn tap_pulses(&mut self, s: &mut Segment, at: f64, peak_g: f64) {
        // The finger pushes the camera (on the chest, facing forward) backwards: -x body.
        let w = self.rng.range(0.008, 0.012);
        s.pulses.push(Pulse {
            t: at,
            width: w,
            amp: Vector3::new(-peak_g * G, 0.0, 0.0),
            body: true,
            shape: Shape::HalfSine,
        });
        s.pulses.push(Pulse {
            t: at + w,
            width: 2.0 * w,
            amp: Vector3::new(0.35 * peak_g * G, 0.0, 0.0),
            body: true,
            shape: Shape::HalfSine,
        });
    }

    /// A single tap of `peak_g` on the camera 0.1 s into a 0.5 s still segment; labelled `tap`.
    pub fn tap(&mut self, peak_g: f64) -> &mut Self {
        let mut s = self.seg(0.5);
        s.breath = 0.02;
        self.tap_pulses(&mut s, 0.1, peak_g);
        self.events.push(SynthEvent {
            onset: ts(self.t + 0.1),
            offset: ts(self.t + 0.12),
            kind: "tap",
        });
        self.push(s);
        self
    }

    /// Two taps `gap_s` apart (~0.3 s) in a still segment; labelled once as `double_tap`, from
    /// the first tap to the end of the second.
    pub fn double_tap(&mut self, peak_g: f64, gap_s: f64) -> &mut Self {
        let mut s = self.seg(0.5 + gap_s);
        s.breath = 0.02;
        self.tap_pulses(&mut s, 0.1, peak_g);
        self.tap_pulses(&mut s, 0.1 + gap_s, peak_g);
        self.events.push(SynthEvent {
            onset: ts(self.t + 0.1),
            offset: ts(self.t + 0.12 + gap_s),
            kind: "double_tap",
        });
        self.push(s);
        self
    }

    fn motion_at(&self, t: f64) -> Motion {
        let i = self
            .segments
            .partition_point(|s| s.t0 <= t)
            .saturating_sub(1);
        match self.segments.get(i) {
            Some(s) => s.eval(t - s.t0),
            None => Motion {
                q: self.q,
                omega: Vector3::zeros(),
                accel: Vector3::zeros(),
            },
        }
    }

    /// Renders the timeline at `rate_hz` through `mounting`. Returns the samples and the
    /// true events (sorted by onset).
    pub fn render(
        &self,
        rate_hz: f64,
        mounting: Mounting,
        timing: Timing,
    ) -> (Vec<ImuSample>, Vec<SynthEvent>) {
        let mut rng = self.rng.clone().fork();
        let rate = rate_hz.max(1.0);
        let period_us = 1e6 / rate;
        let sm = self.sensor;
        let mut bias = [0.0; 6];
        for (k, b) in bias.iter_mut().enumerate() {
            let lim = if k < 3 { sm.accel_bias } else { sm.gyro_bias };
            *b = rng.range(-lim, lim);
        }
        let n = (self.t * rate).round() as usize;
        let mut out = Vec::with_capacity(n);
        let mut prev_us: i64 = -1;
        let range = sm.accel_range_g * G;
        for k in 0..n {
            let mut t_us = (k as f64 * period_us).round() as i64;
            if let Timing::Irregular { jitter, drop } = timing {
                t_us += (rng.range(-jitter, jitter) * period_us).round() as i64;
                if rng.uniform() < drop {
                    continue;
                }
            }
            let t_us = t_us.max(prev_us + 1);
            prev_us = t_us;
            let t = t_us as f64 * 1e-6;
            // Average 4 points over the preceding sample interval: the sensor's low-pass.
            let mut f_s = Vector3::zeros();
            let mut w_s = Vector3::zeros();
            for j in 0..4 {
                let tj = t - (j as f64 + 0.5) / 4.0 / rate;
                let m = self.motion_at(tj.max(0.0));
                let f_world = m.accel + Vector3::new(0.0, 0.0, G);
                let f_body = m.q.inverse_transform_vector(&f_world);
                f_s += mounting.0.inverse_transform_vector(&f_body) / 4.0;
                w_s += mounting.0.inverse_transform_vector(&m.omega) / 4.0;
            }
            let mut accel = [0f32; 3];
            for (i, a) in accel.iter_mut().enumerate() {
                let v = f_s[i] + bias[i] + sm.accel_noise * rng.normal();
                *a = v.clamp(-range, range) as f32;
            }
            let gyro = sm.gyro.then(|| {
                let mut g = [0f32; 3];
                for (i, o) in g.iter_mut().enumerate() {
                    *o = (w_s[i] + bias[3 + i] + sm.gyro_noise * rng.normal()) as f32;
                }
                g
            });
            out.push(ImuSample {
                t: Timestamp::from_micros(t_us),
                accel,
                gyro,
            });
        }
        let mut ev = self.events.clone();
        ev.sort_by_key(|e| (e.onset, e.offset));
        (out, ev)
    }
}

/// Writes samples as an IMU CSV (`t_s,ax,ay,az,gx,gy,gz`, the format of
/// `autotrigger::io::read_imu_csv`; gyro columns only when the samples have a gyro).
/// Times have microsecond precision, acceleration 1 mm/s^2 and angular rate 0.1 mrad/s
/// (both well below the sensor noise).
pub fn imu_csv(samples: &[ImuSample]) -> String {
    let gyro = samples.first().is_some_and(|s| s.gyro.is_some());
    let mut s = String::with_capacity(samples.len() * 64);
    s.push_str(if gyro {
        "t_s,ax,ay,az,gx,gy,gz\n"
    } else {
        "t_s,ax,ay,az\n"
    });
    for x in samples {
        s.push_str(&format!(
            "{:.6},{:.3},{:.3},{:.3}",
            x.t.as_secs_f64(),
            x.accel[0],
            x.accel[1],
            x.accel[2]
        ));
        if gyro {
            let g = x.gyro.unwrap_or([0.0; 3]);
            s.push_str(&format!(",{:.4},{:.4},{:.4}", g[0], g[1], g[2]));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mag(a: [f32; 3]) -> f64 {
        a.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>().sqrt()
    }

    fn quiet() -> SensorModel {
        SensorModel {
            accel_noise: 0.0,
            gyro_noise: 0.0,
            accel_bias: 0.0,
            gyro_bias: 0.0,
            ..SensorModel::default()
        }
    }

    #[test]
    fn standing_reads_one_g_whatever_the_mounting() {
        let mut rng = Rng::new(3);
        for _ in 0..5 {
            let m = Mounting::random(&mut rng);
            let mut s = ImuScene::new(rng.fork());
            s.sensor(quiet()).stand(2.0);
            let (x, _) = s.render(100.0, m, Timing::Regular);
            for v in &x {
                assert!((mag(v.accel) - G).abs() < 0.05, "{:?}", v.accel);
            }
        }
    }

    #[test]
    fn gait_peaks_and_mean() {
        let mut s = ImuScene::new(Rng::new(1));
        s.sensor(quiet())
            .walk(20.0, 110.0, 2.0)
            .run(20.0, 160.0, 4.5);
        let (x, ev) = s.render(200.0, Mounting::aligned(), Timing::Regular);
        let walk: Vec<f64> = x[200..3800].iter().map(|v| mag(v.accel) / G).collect();
        let run: Vec<f64> = x[4200..7800].iter().map(|v| mag(v.accel) / G).collect();
        let max = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!((1.5..2.6).contains(&max(&walk)), "walk {}", max(&walk));
        assert!((3.0..6.0).contains(&max(&run)), "run {}", max(&run));
        // Vertical force averages about 1 g (momentum balance); |a| mean is a bit above.
        assert!((0.9..1.3).contains(&mean(&run)), "{}", mean(&run));
        assert_eq!(ev[0].kind, "running");
        assert_eq!(ev[0].onset, Timestamp::from_secs_f64(20.0));
        // Cadence: count stance onsets (crossings of 2 g upward) over 18 s of running.
        let ups = run.windows(2).filter(|w| w[0] < 2.0 && w[1] >= 2.0).count();
        let spm = ups as f64 / 18.0 * 60.0;
        assert!((150.0..170.0).contains(&spm), "{spm}");
    }

    #[test]
    fn fall_ends_horizontal_with_impact() {
        for dir in [
            FallDirection::Forward,
            FallDirection::Backward,
            FallDirection::Left,
            FallDirection::Right,
        ] {
            let mut s = ImuScene::new(Rng::new(2));
            s.sensor(quiet())
                .stand(2.0)
                .fall(dir, 6.0)
                .lie(35.0)
                .get_up(2.0)
                .stand(2.0);
            let (x, ev) = s.render(100.0, Mounting::aligned(), Timing::Regular);
            let kinds: Vec<_> = ev.iter().map(|e| e.kind).collect();
            assert_eq!(kinds, ["fall", "officer_down"]);
            let peak = x[200..340].iter().map(|v| mag(v.accel)).fold(0.0, f64::max) / G;
            assert!((4.0..7.0).contains(&peak), "{peak}");
            let low = x[200..280]
                .iter()
                .map(|v| mag(v.accel))
                .fold(99.0, f64::min)
                / G;
            assert!(low < 0.5, "{low}");
            // Lying: gravity in the body's horizontal plane (z ~ 0); standing at the end: z ~ g.
            let lying = x[1000].accel;
            assert!(f64::from(lying[2]).abs() < 0.5, "{dir:?} {lying:?}");
            let up = x.last().unwrap().accel;
            assert!((f64::from(up[2]) - G).abs() < 0.3, "{dir:?} {up:?}");
            // Rotation rate during the fall ~ 4 rad/s.
            let w = x[200..340]
                .iter()
                .map(|v| mag(v.gyro.unwrap()))
                .fold(0.0, f64::max);
            assert!((2.5..6.0).contains(&w), "{w}");
        }
    }

    #[test]
    fn gyro_matches_attitude_change() {
        // Integrate the body-frame gyro and compare with the model attitude (reference).
        let mut s = ImuScene::new(Rng::new(5));
        s.sensor(quiet())
            .stand(1.0)
            .walk(3.0, 110.0, 2.0)
            .fall(FallDirection::Left, 5.0);
        let rate = 1000.0;
        let mut q = s.motion_at(0.0).q;
        let dt = 1.0 / rate;
        for k in 0..(s.duration() * rate) as usize {
            let t = k as f64 * dt;
            let w = s.motion_at(t + dt / 2.0).omega;
            q *= UnitQuaternion::from_scaled_axis(w * dt);
        }
        let truth = s.motion_at(s.duration() - 1e-9).q;
        assert!(q.angle_to(&truth) < 0.01, "{}", q.angle_to(&truth));
    }

    #[test]
    fn taps_and_irregular_timing() {
        let mut s = ImuScene::new(Rng::new(8));
        s.stand(1.0)
            .tap(4.0)
            .stand(1.0)
            .double_tap(4.0, 0.3)
            .stand(1.0);
        let (x, ev) = s.render(
            200.0,
            Mounting::aligned(),
            Timing::Irregular {
                jitter: 0.2,
                drop: 0.05,
            },
        );
        assert!(x.windows(2).all(|w| w[0].t < w[1].t));
        assert!(x.len() < (s.duration() * 200.0) as usize);
        assert_eq!(
            ev.iter().map(|e| e.kind).collect::<Vec<_>>(),
            ["tap", "double_tap"]
        );
        let spikes = x.iter().filter(|v| mag(v.accel) > 2.0 * G).count();
        assert!(spikes >= 3, "{spikes}");
    }

    #[test]
    fn hard_non_falls_stay_upright() {
        let mut s = ImuScene::new(Rng::new(4));
        s.sensor(quiet())
            .stand(1.0)
            .sit_down_hard(3.0)
            .sit(3.0)
            .get_up(1.5)
            .jump(0.3)
            .stand(2.0)
            .vehicle(10.0);
        let (x, ev) = s.render(100.0, Mounting::aligned(), Timing::Regular);
        assert!(ev.is_empty());
        for v in &x {
            // Never near horizontal: the body z axis keeps most of gravity when quasi-static.
            let m = mag(v.accel);
            if (m - G).abs() < 0.5 {
                assert!(f64::from(v.accel[2]) > 0.85 * G, "{:?} at {}", v.accel, v.t);
            }
        }
        let peak = x.iter().map(|v| mag(v.accel)).fold(0.0, f64::max) / G;
        assert!((3.0..7.0).contains(&peak), "{peak}");
    }

    #[test]
    fn csv_round_trip_header() {
        let mut s = ImuScene::new(Rng::new(1));
        s.stand(0.05);
        let (x, _) = s.render(100.0, Mounting::aligned(), Timing::Regular);
        let c = imu_csv(&x);
        assert!(c.starts_with("t_s,ax,ay,az,gx,gy,gz\n0.000000,"));
        assert_eq!(c.lines().count(), 6);
    }
}
