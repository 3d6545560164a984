//! Deterministic, physically-motivated synthetic signals for tests, fixtures and examples.
//!
//! Real recordings are scarce and cannot be committed, so the tests of every detector (and the
//! bundled `fixtures/`) are built from models whose physics is written down here:
//!
//! - [`audio`]: gunshot muzzle blast (Friedlander waveform) with an optional supersonic N-wave,
//!   room reverberation (exponentially decaying filtered noise with a given RT60), microphone
//!   clipping, coloured background noise, and the usual impulsive and harmonic distractors
//!   (clap, door slam, knock, key drop, speech-like voice, jackhammer, dog bark). Every
//!   generator takes the sample rate (8-96 kHz) and uses only seconds, hertz and dB.
//! - [`imu`]: a body-worn IMU (accelerometer with gravity in m/s^2, gyroscope in rad/s) on a
//!   trunk whose motion is built from activity segments (stand, walk, run, stairs, sit down
//!   hard, jump, vehicle, fall, lie, get up, taps), seen through an arbitrary mounting rotation,
//!   at any rate, optionally with irregular timestamps.
//!
//! Every scene records the true events it contains ([`SynthEvent`]) from its own timing, so
//! label side-cars are computed, never hand-typed.
//!
//! Everything is deterministic: randomness comes from [`Rng`] (SplitMix64) seeded by the
//! caller, so the same seed gives the same samples, bit for bit, on the same platform.
//!
//! ```
//! use autotrigger::synth::{audio, Rng};
//! let mut rng = Rng::new(7);
//! let mut scene = audio::AudioScene::new(16_000, 2.0);
//! scene.add_noise(audio::NoiseColor::Pink, -50.0, &mut rng);
//! scene.add(0.5, &audio::Sound::Gunshot(audio::Gunshot::default()), &mut rng);
//! let (samples, events) = scene.finish();
//! assert_eq!(samples.len(), 32_000);
//! assert_eq!(events[0].kind, "gunshot");
//! ```

pub mod audio;
pub mod augment;
pub mod imu;

use crate::Timestamp;

/// Standard gravity, m/s^2.
pub const G: f64 = 9.806_65;

/// A small deterministic pseudo-random generator (SplitMix64). Not cryptographic; chosen
/// because it is tiny, fast, passes BigCrush and needs no dependency.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator seeded with `seed` (any value, including 0).
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Standard normal (Box-Muller; one value per call for simplicity).
    pub fn normal(&mut self) -> f64 {
        // 1 - uniform() is in (0, 1], so the log is finite.
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// An independent generator derived from this one (for sub-models whose random draws
    /// should not shift when another sub-model changes).
    pub fn fork(&mut self) -> Rng {
        Rng::new(self.next_u64())
    }
}

/// A true event placed by a generator, for label side-cars (`onset_s,offset_s,kind`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthEvent {
    /// When the event physically starts (first arrival of sound; start of running; start of
    /// the fall; ...).
    pub onset: Timestamp,
    /// When it ends.
    pub offset: Timestamp,
    /// Label kind: `gunshot`, `running`, `fall`, `officer_down`, `tap`, `double_tap`.
    pub kind: &'static str,
}

/// Writes events as a label side-car (`onset_s,offset_s,kind`, sorted by onset, microsecond
/// precision) into a string.
pub fn labels_csv(events: &[SynthEvent]) -> String {
    let mut ev: Vec<&SynthEvent> = events.iter().collect();
    ev.sort_by_key(|e| (e.onset, e.offset, e.kind));
    let mut s = String::from("onset_s,offset_s,kind\n");
    for e in ev {
        s.push_str(&format!(
            "{:.6},{:.6},{}\n",
            e.onset.as_secs_f64(),
            e.offset.as_secs_f64(),
            e.kind
        ));
    }
    s
}

/// Converts a level in dB relative to full scale (or to 1) to a linear amplitude.
pub fn db_to_amplitude(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// A raised-cosine step from 0 (at `x <= 0`) to 1 (at `x >= 1`): smooth onsets without the
/// spectral splatter of a hard edge.
pub(crate) fn smoothstep(x: f64) -> f64 {
    if x <= 0.0 {
        0.0
    } else if x >= 1.0 {
        1.0
    } else {
        0.5 - 0.5 * (std::f64::consts::PI * x).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_roughly_uniform() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let xs: Vec<f64> = (0..10_000).map(|_| a.uniform()).collect();
        let ys: Vec<f64> = (0..10_000).map(|_| b.uniform()).collect();
        assert_eq!(xs, ys);
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "{mean}");
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let n: Vec<f64> = (0..20_000).map(|_| a.normal()).collect();
        let m = n.iter().sum::<f64>() / n.len() as f64;
        let v = n.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n.len() as f64;
        assert!(m.abs() < 0.03 && (v - 1.0).abs() < 0.05, "{m} {v}");
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[test]
    fn labels_csv_sorted() {
        let e = |a: i64, k| SynthEvent {
            onset: Timestamp::from_millis(a),
            offset: Timestamp::from_millis(a + 10),
            kind: k,
        };
        let s = labels_csv(&[e(2000, "tap"), e(500, "gunshot")]);
        assert_eq!(
            s,
            "onset_s,offset_s,kind\n0.500000,0.510000,gunshot\n2.000000,2.010000,tap\n"
        );
    }
}
