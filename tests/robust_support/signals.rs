//! Small deterministic signal generators for the robustness tests and `examples/day_long.rs`:
//! ambient noise, a synthetic muzzle blast, and IMU activities (standing, walking, running, a
//! fall and lying still). They follow the physics in `DESIGN.md` (a shot: broadband, sub-ms
//! rise, clipping, tens-of-ms decay; running: 2.5-3 steps/s with 3-6 g peaks; a fall: low g,
//! impact, a change of trunk angle, then stillness), not any file of the dev set.
#![allow(dead_code)] // each user needs a different subset

use autotrigger::imu::ImuSample;
use autotrigger::Timestamp;

/// Standard gravity, m/s^2.
pub const G: f32 = 9.806_65;

/// xorshift64*: a tiny deterministic generator, so every run sees the same signal.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Uniform in [-1, 1).
    pub fn sym(&mut self) -> f32 {
        2.0 * self.unit() - 1.0
    }
}

/// Fills `out` with white noise of the given RMS level in dBFS.
pub fn noise(out: &mut [f32], dbfs: f32, rng: &mut Rng) {
    // A uniform variable on [-1, 1) has RMS 1/sqrt(3).
    let a = 10f32.powf(dbfs / 20.0) * 3f32.sqrt();
    for x in out.iter_mut() {
        *x = a * rng.sym();
    }
}

/// Sample `i` (from the attack) of a synthetic muzzle blast at `rate`, before adding it to the
/// background: broadband noise under a 0.3 ms linear attack and a 25 ms exponential decay,
/// lasting [`SHOT_S`]; `peak` times full scale.
pub fn shot_sample(i: usize, rate: u32, peak: f32, rng: &mut Rng) -> f32 {
    let attack = ((0.0003 * rate as f32) as usize).max(1);
    let tau = 0.025 * rate as f32;
    let env = if i < attack {
        i as f32 / attack as f32
    } else {
        (-((i - attack) as f32) / tau).exp()
    };
    peak * env * rng.sym()
}

/// Length of [`shot_sample`]'s blast, s.
pub const SHOT_S: f32 = 0.3;

/// Adds a synthetic muzzle blast ([`shot_sample`]) starting at sample `at`; values above 1 are
/// hard-clipped at +-1, as a body-worn microphone clips.
pub fn add_shot(out: &mut [f32], at: usize, rate: u32, peak: f32, rng: &mut Rng) {
    let len = (SHOT_S * rate as f32) as usize;
    for i in 0..len {
        let Some(x) = out.get_mut(at + i) else { break };
        *x = (*x + shot_sample(i, rate, peak, rng)).clamp(-1.0, 1.0);
    }
}

/// `secs` of ambient noise at `dbfs` with shots (peak 4x full scale) at the given sample
/// indices.
pub fn scene(rate: u32, secs: f32, dbfs: f32, shots: &[usize], seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut v = vec![0f32; (secs * rate as f32) as usize];
    noise(&mut v, dbfs, &mut rng);
    for &s in shots {
        add_shot(&mut v, s, rate, 4.0, &mut rng);
    }
    v
}

/// What the wearer does over an interval, for [`imu_stream`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activity {
    /// Upright and nearly still.
    Stand,
    /// Walking, 1.8 steps/s, peaks about 1.6 g.
    Walk,
    /// Running, 2.8 steps/s, peaks about 4 g.
    Run,
    /// A fall: 0.3 s of low g, an 8 g impact, then lying (gravity on the sensor's old
    /// forward axis) and still.
    Fall,
    /// Lying still (after a fall).
    Lie,
}

/// Body-frame acceleration (m/s^2, gravity included) and angular rate (rad/s) at time `t`
/// seconds into an activity that started at 0 (see [`mount`] for the sensor frame).
pub fn accel_at(a: Activity, t: f32, rng: &mut Rng) -> ([f32; 3], [f32; 3]) {
    use std::f32::consts::TAU;
    let n = 0.05 * G;
    let jitter = |r: &mut Rng| [n * r.sym(), n * r.sym(), n * r.sym()];
    let j = jitter(rng);
    // Body frame: x forward, y up, z left. Upright: gravity reads +1 g on y.
    let (acc, gyro) = match a {
        Activity::Stand => ([0.0, G, 0.0], [0.0; 3]),
        Activity::Walk | Activity::Run => {
            let (f, up, fwd) = if a == Activity::Walk {
                (1.8, 0.6 * G, 0.2 * G)
            } else {
                (2.8, 3.0 * G, 0.8 * G)
            };
            // Each step: a sharp vertical peak (heel strike) and a forward sway.
            let ph = (t * f).fract();
            let strike = (-((ph - 0.1) / 0.06).powi(2)).exp();
            let v = G + up * (2.0 * strike - 0.35);
            (
                [
                    fwd * (TAU * f * t).sin(),
                    v,
                    0.1 * G * (TAU * f * t / 2.0).sin(),
                ],
                [0.3 * (TAU * f * t).sin(), 0.2, 0.5 * (TAU * f * t).cos()],
            )
        }
        Activity::Fall => {
            if t < 0.3 {
                // free fall-ish: low g
                ([0.0, 0.2 * G, 0.0], [3.0, 0.0, 0.0])
            } else if t < 0.36 {
                // impact
                ([8.0 * G, 2.0 * G, 1.0 * G], [6.0, 1.0, 0.0])
            } else {
                // lying on the back: gravity now along the body's forward axis
                ([G, 0.0, 0.0], [0.0; 3])
            }
        }
        Activity::Lie => ([G, 0.0, 0.0], [0.0; 3]),
    };
    ([acc[0] + j[0], acc[1] + j[1], acc[2] + j[2]], gyro)
}

/// Body frame to sensor frame: mounted upside down and rotated (x_s = -z_b, y_s = -y_b,
/// z_s = x_b), so no detector can rely on a fixed axis.
pub fn mount(v: [f32; 3]) -> [f32; 3] {
    [-v[2], -v[1], v[0]]
}

/// An IMU stream at `rate_hz`: each `(activity, seconds)` in turn, starting at `t0`. The
/// sensor is mounted upside down and rotated (x_s = -z_b, y_s = -y_b, z_s = x_b) so no
/// detector can rely on a fixed axis.
pub fn imu_stream(
    t0: Timestamp,
    rate_hz: u32,
    plan: &[(Activity, f32)],
    seed: u64,
) -> Vec<ImuSample> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut idx: u64 = 0;
    for &(a, secs) in plan {
        let n = (secs * rate_hz as f32).round() as u64;
        for k in 0..n {
            let t = k as f32 / rate_hz as f32;
            let (b, w) = accel_at(a, t, &mut rng);
            out.push(ImuSample {
                t: t0.add_micros(Timestamp::from_samples(idx, rate_hz).as_micros()),
                accel: mount(b),
                gyro: Some(mount(w)),
            });
            idx += 1;
        }
    }
    out
}
