//! Signals shared by the benches: deterministic, generated once before timing.
#![allow(dead_code)] // each bench uses a subset

use autotrigger::imu::ImuSample;
use autotrigger::Timestamp;

/// xorshift64*: deterministic noise without a dependency.
pub struct Rng(pub u64);
impl Rng {
    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// `secs` of audio: -50 dBFS-ish noise with a clipped muzzle-blast-like impulse (1 ms rise,
/// 2 ms Friedlander positive phase, 80 ms reverberant tail) every 2 s, so the benches time the
/// quiet path and the candidate/confirmation path in realistic proportions.
pub fn audio(secs: f64, rate: u32) -> Vec<f32> {
    let n = (secs * f64::from(rate)) as usize;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut x: Vec<f32> = (0..n).map(|_| 0.003 * rng.uniform()).collect();
    let period = 2 * rate as usize;
    let rise = ((rate / 2000) as usize).max(1);
    let len = (rate as usize * 8) / 100;
    let mut start = rate as usize / 2;
    while start + len < n {
        for i in 0..len {
            let t = i as f32 / rate as f32;
            let blast = if i < rise {
                3.0 * i as f32 / rise as f32
            } else {
                let tp = t - rise as f32 / rate as f32;
                3.0 * (1.0 - tp / 0.002) * (-tp / 0.002).exp()
            };
            let tail = 0.3 * (-t / 0.03).exp() * rng.uniform();
            x[start + i] = (x[start + i] + blast + tail).clamp(-1.0, 1.0);
        }
        start += period;
    }
    x
}

/// One cycle of body-worn accelerometer motion at `rate` Hz: 10 s walking (110 steps/min,
/// ~2 g peaks) then 10 s running (165 steps/min, ~4.5 g peaks), sensor tilted.
pub fn imu_accel(rate: u32) -> Vec<([f32; 3], [f32; 3])> {
    const G: f32 = 9.806_65;
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    (0..20 * rate)
        .map(|i| {
            let t = i as f32 / rate as f32;
            let (f, base, amp) = if t < 10.0 {
                (110.0 / 60.0, 0.6, 1.2)
            } else {
                (165.0 / 60.0, 0.2, 4.3)
            };
            let step = (std::f32::consts::PI * f * t).sin().abs().powi(4);
            let v = G * (base + amp * step);
            let fwd = 0.3 * G * (2.0 * std::f32::consts::PI * f * t).sin();
            let n = 0.05 * rng.uniform();
            (
                [fwd + n, 0.34 * v, 0.94 * v],
                [0.0, 0.5 * (6.0 * t).sin(), 0.0],
            )
        })
        .collect()
}

/// The `i`-th sample of an endless IMU stream built from [`imu_accel`] (timestamps keep
/// increasing when the motion cycle repeats).
pub fn imu_sample(cycle: &[([f32; 3], [f32; 3])], rate: u32, i: u64) -> ImuSample {
    let (accel, gyro) = cycle[(i % cycle.len() as u64) as usize];
    ImuSample {
        t: Timestamp::from_samples(i, rate),
        accel,
        gyro: Some(gyro),
    }
}
