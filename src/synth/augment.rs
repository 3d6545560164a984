//! Scene augmentation: gunshots (real clips or [`Gunshot`](super::audio::Gunshot) renders)
//! mixed into background recordings at a controlled event-to-background ratio and distance,
//! resampled to what real recorders deliver, with the label side-car of every mixture.
//!
//! The pipeline of one mixture ([`mix`]):
//!
//! 1. **Resampling** ([`Resampler`]): the background and every event clip are brought to the
//!    recorder's rate (8, 12, 16, 44.1, 48 kHz, or any other) by a Kaiser-windowed sinc
//!    interpolator, polyphase for rational ratios. Its cut-off is 0.46 of the lower of the two
//!    rates (flat to within 0.01 dB up to 0.42, at least 80 dB down from 0.5 on): the
//!    band-limit of a recorder's anti-aliasing filter. A background recorded at 8 kHz stays
//!    band-limited to 4 kHz at 48 kHz (nothing is invented).
//! 2. **Propagation** ([`Propagation`]) of the event from the source to the microphone over a
//!    horizontal distance `d`: spherical spreading (amplitude `r_ref / r`, with the clip taken
//!    as recorded at `r_ref`); air absorption per ISO 9613-1 ([`air_absorption_db_per_m`]),
//!    applied as a zero-phase frequency-dependent attenuation `alpha(f) r` dB; an optional
//!    ground (or wall) reflection by the image-source method (a copy delayed by
//!    `(r2 - r1) / c` and scaled by `R r1 / r2`); an optional room ([`Reverb`]).
//! 3. **Level**: either [`EventLevel::Ebr`], the event-to-background ratio, or
//!    [`EventLevel::Spreading`], the clip's own level times the spreading loss.
//! 4. **Recorder**: an optional 2nd-order high-pass (the microphone's low cut), then hard
//!    clipping at full scale as an ADC does (counted in [`Mixture::clipped_samples`]).
//!
//! ## Event-to-background ratio (EBR)
//!
//! As in the DCASE 2017 task 2 mixture generator: the ratio of the event's mean energy to the
//! background's mean energy **over the event's duration**,
//!
//! ```text
//! EBR = 10 log10( mean(e[n]^2, n in [on, off)) / mean(b[n]^2, n in [on, off)) )  dB
//! ```
//!
//! where `e` is the event after propagation (before mixing), `b` the background at the same
//! samples, `on` the event's first onset and `off` its end: the last sample at or above
//! -40 dB of the event's peak (after propagation, so a room's tail counts), at least 10 ms
//! after `on`. The background's mean energy is floored at -100 dBFS (a digitally silent
//! background would make any gain infinite). The EBR reached is reported per event
//! ([`MixedEvent::ebr_db`]) and is the requested one to rounding, before clipping.
//!
//! ## Onsets of real clips
//!
//! Real development clips carry no onset annotation, so [`EventClip::from_recording`] finds
//! them: the first onset is the first sample at or above 30 % of the clip's peak; a later
//! sample at or above 30 % of the peak is another onset (another shot) when the 1 ms envelope
//! stayed below 10 % of the peak for at least 50 ms before it. The clip is cut 50 ms before
//! the first onset (faded in over 10 ms) to at most `max_s` after it, and trimmed 10 ms after
//! its last sample at or above -40 dB of the peak. Every onset inside the excerpt is labelled.
//!
//! Everything is deterministic: the only randomness (a room's reverberation tail) comes from
//! the [`Rng`] the caller passes.
//!
//! ```
//! use autotrigger::synth::augment::{mix, Background, EventClip, EventLevel, Placement, Propagation, Recorder};
//! use autotrigger::synth::{audio::{self, Gunshot}, Rng};
//! let mut rng = Rng::new(1);
//! let bg = audio::noise(audio::NoiseColor::Pink, -40.0, 22_050 * 5, 22_050, &mut rng);
//! let background = Background::new(bg, 22_050, "pink_noise");
//! let shot = EventClip::synthetic(&Gunshot::default(), 48_000, "synthetic");
//! let place = Placement {
//!     onset_s: 2.0,
//!     level: EventLevel::Ebr(0.0),
//!     propagation: Propagation::at_distance(50.0),
//! };
//! let m = mix(&background, &[(&shot, place)], &Recorder::new(16_000), &mut rng)?;
//! assert_eq!(m.sample_rate, 16_000);
//! assert_eq!(m.samples.len(), 80_000);
//! assert!((m.events[0].ebr_db - 0.0).abs() < 0.01);
//! assert!(m.labels_csv().starts_with("onset_s,offset_s,kind\n2.000000,"));
//! # Ok::<(), autotrigger::synth::augment::AugmentError>(())
//! ```

use super::audio::{convolve, Gunshot, Reverb, Sound};
use super::{Rng, SynthEvent};
use crate::Timestamp;
use std::f64::consts::PI;
use thiserror::Error;

/// Speed of sound in air at 20 degrees C, m/s.
pub const SPEED_OF_SOUND_M_S: f64 = 343.2;

/// The rates real recorders deliver, Hz (forest recorders 8 kHz, acoustic gunshot sensors
/// 12 kHz, phones and cameras 16 / 44.1 / 48 kHz).
pub const RECORDER_RATES_HZ: &[u32] = &[8_000, 12_000, 16_000, 44_100, 48_000];

/// Why a mixture could not be built.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum AugmentError {
    /// A sample rate is outside 1 kHz ..= 384 kHz.
    #[error("sample rate {actual} Hz is out of range: expected 1000 ..= 384000 Hz")]
    SampleRate {
        /// The rate given.
        actual: u32,
    },
    /// A parameter is out of its physical range or not finite.
    #[error("{name} = {actual} is out of range: expected {expected}")]
    Parameter {
        /// The parameter.
        name: &'static str,
        /// What it must be.
        expected: &'static str,
        /// The value given.
        actual: f64,
    },
    /// An event does not fit in the background where it was placed.
    #[error("event at {onset_s} s (active for {active_s} s) does not fit in a {duration_s} s background")]
    DoesNotFit {
        /// Requested onset, s.
        onset_s: f64,
        /// The event's active duration at the recorder's rate, s.
        active_s: f64,
        /// The background's duration, s.
        duration_s: f64,
    },
    /// A clip holds no sample above zero (no onset can be found).
    #[error("clip {source_name:?} is silent: no onset")]
    Silent {
        /// The clip's source.
        source_name: String,
    },
}

fn check_rate(rate: u32) -> Result<(), AugmentError> {
    if (1_000..=384_000).contains(&rate) {
        Ok(())
    } else {
        Err(AugmentError::SampleRate { actual: rate })
    }
}

fn check(
    name: &'static str,
    value: f64,
    ok: bool,
    expected: &'static str,
) -> Result<(), AugmentError> {
    if value.is_finite() && ok {
        Ok(())
    } else {
        Err(AugmentError::Parameter {
            name,
            expected,
            actual: value,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Resampling
// ---------------------------------------------------------------------------------------------

/// Zero crossings of the interpolation kernel on each side, in samples of the lower rate.
const HALF_ZEROS: f64 = 32.0;
/// Cut-off as a fraction of the lower rate.
const CUTOFF: f64 = 0.46;
/// Kaiser window shape (about 80 dB side lobes).
const KAISER_BETA: f64 = 8.0;
/// Above this many phases the kernel is evaluated directly instead of tabulated.
const MAX_PHASES: u64 = 4096;

/// Modified Bessel function of the first kind, order 0 (power series; converges fast for the
/// arguments a Kaiser window uses).
fn bessel_i0(x: f64) -> f64 {
    let q = x * x / 4.0;
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 1..200 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// The interpolation kernel: a low-pass at `fc` cycles per input sample, windowed by a
/// Kaiser window of half-width `half` input samples, evaluated `tau` input samples from its
/// centre.
fn kernel(tau: f64, fc: f64, half: f64, i0_beta: f64) -> f64 {
    if tau.abs() >= half {
        return 0.0;
    }
    let x = 2.0 * fc * tau;
    let sinc = if x == 0.0 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    };
    let r = tau / half;
    let w = bessel_i0(KAISER_BETA * (1.0 - r * r).max(0.0).sqrt()) / i0_beta;
    2.0 * fc * sinc * w
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// A band-limited resampler from one rate to another: output sample `n` is
/// `y[n] = sum_k x[k] h(n from/to - k)` with `h` a Kaiser-windowed sinc whose cut-off is 0.46 of
/// the lower rate and whose half-width is 32 zero crossings of the lower rate. For a rational
/// ratio `to/from = L/M` (every pair of common rates) the kernel is tabulated for the `L`
/// phases once (polyphase); the output is then that of [`resample_reference`], which evaluates
/// the same formula directly, to rounding (checked by the tests).
///
/// ```
/// use autotrigger::synth::augment::Resampler;
/// let r = Resampler::new(44_100, 8_000)?;
/// let x: Vec<f64> = (0..44_100).map(|i| (i as f64 * 0.01).sin()).collect();
/// assert_eq!(r.process(&x).len(), 8_000);
/// # Ok::<(), autotrigger::synth::augment::AugmentError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Resampler {
    from: u32,
    to: u32,
    /// Reduced ratio `to / from = l / m`.
    l: u64,
    m: u64,
    /// Taps per phase.
    taps: usize,
    /// `l * taps` coefficients, empty when the kernel is evaluated directly.
    table: Vec<f64>,
}

impl Resampler {
    /// A resampler from `from` Hz to `to` Hz (both 1 kHz ..= 384 kHz).
    pub fn new(from: u32, to: u32) -> Result<Self, AugmentError> {
        check_rate(from)?;
        check_rate(to)?;
        let g = gcd(u64::from(from), u64::from(to));
        let (l, m) = (u64::from(to) / g, u64::from(from) / g);
        // Kernel in input samples: the cut-off and width follow the lower rate.
        let scale = (to as f64 / from as f64).min(1.0);
        let fc = CUTOFF * scale;
        let half = HALF_ZEROS / scale;
        let k = half.ceil() as usize;
        let taps = 2 * k;
        let mut table = Vec::new();
        if l <= MAX_PHASES && from != to {
            let i0b = bessel_i0(KAISER_BETA);
            table.reserve(l as usize * taps);
            for p in 0..l {
                for j in 0..taps {
                    // Tap j multiplies x[i + j - k + 1], where i = floor(t): it sits
                    // tau = p / l - (j - k + 1) input samples from t (one rounding, as in
                    // the reference).
                    let num = p as i64 - (j as i64 - k as i64 + 1) * l as i64;
                    let tau = num as f64 / l as f64;
                    table.push(kernel(tau, fc, half, i0b));
                }
            }
        }
        Ok(Resampler {
            from,
            to,
            l,
            m,
            taps,
            table,
        })
    }

    /// Input rate, Hz.
    pub fn from_rate(&self) -> u32 {
        self.from
    }

    /// Output rate, Hz.
    pub fn to_rate(&self) -> u32 {
        self.to
    }

    /// Output length for `n` input samples: `ceil(n to / from)`.
    pub fn output_len(&self, n: usize) -> usize {
        ((n as u64 * self.l).div_ceil(self.m)) as usize
    }

    /// Resamples a whole signal (samples outside it are taken as zero). Equal rates copy.
    pub fn process(&self, x: &[f64]) -> Vec<f64> {
        if self.from == self.to {
            return x.to_vec();
        }
        let n_out = self.output_len(x.len());
        if self.table.is_empty() {
            return resample_reference(x, self.from, self.to);
        }
        let k = self.taps / 2;
        let mut y = Vec::with_capacity(n_out);
        for n in 0..n_out as u64 {
            let num = n * self.m;
            let i = (num / self.l) as i64;
            let p = (num % self.l) as usize;
            let coef = &self.table[p * self.taps..(p + 1) * self.taps];
            let start = i - k as i64 + 1;
            let mut acc = 0.0;
            if start >= 0 && (start as usize + self.taps) <= x.len() {
                let xs = &x[start as usize..start as usize + self.taps];
                for (c, v) in coef.iter().zip(xs) {
                    acc += c * v;
                }
            } else {
                for (j, c) in coef.iter().enumerate() {
                    let idx = start + j as i64;
                    if idx >= 0 && (idx as usize) < x.len() {
                        acc += c * x[idx as usize];
                    }
                }
            }
            y.push(acc);
        }
        y
    }
}

/// The slow reference of [`Resampler`]: the same kernel evaluated directly at every output
/// time `t = n from / to` (floating point, no table). Equal rates copy.
pub fn resample_reference(x: &[f64], from: u32, to: u32) -> Vec<f64> {
    if from == to {
        return x.to_vec();
    }
    let scale = (to as f64 / from as f64).min(1.0);
    let fc = CUTOFF * scale;
    let half = HALF_ZEROS / scale;
    let i0b = bessel_i0(KAISER_BETA);
    let n_out = ((x.len() as u64 * u64::from(to)).div_ceil(u64::from(from))) as usize;
    let (from64, to64) = (i64::from(from), i64::from(to));
    (0..n_out)
        .map(|n| {
            // Output n sits at t = n from / to input samples; input k is
            // tau = (n from - k to) / to away (exact integer numerator, one rounding).
            let t = n as f64 * from as f64 / to as f64;
            let lo = (t - half).floor().max(0.0) as usize;
            let hi = ((t + half).ceil() as usize).min(x.len().saturating_sub(1));
            (lo..=hi)
                .filter(|&k| k < x.len())
                .map(|k| {
                    let tau = (n as i64 * from64 - k as i64 * to64) as f64 / to as f64;
                    x[k] * kernel(tau, fc, half, i0b)
                })
                .sum()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Propagation
// ---------------------------------------------------------------------------------------------

/// Air absorption coefficient per ISO 9613-1 (pure-tone formula), dB per metre, at frequency
/// `f_hz`, temperature `temp_c` (degrees C), relative humidity `rh_pct` (%) and the standard
/// atmosphere (101.325 kPa).
///
/// ```
/// use autotrigger::synth::augment::air_absorption_db_per_m;
/// // ISO 9613-1 at 20 C, 70 % RH: about 5 dB/km at 1 kHz, 23 dB/km at 4 kHz.
/// let a1k = air_absorption_db_per_m(1000.0, 20.0, 70.0) * 1000.0;
/// assert!((a1k - 5.0).abs() < 0.3, "{a1k}");
/// ```
pub fn air_absorption_db_per_m(f_hz: f64, temp_c: f64, rh_pct: f64) -> f64 {
    let t = temp_c + 273.15;
    let t0 = 293.15;
    let t01 = 273.16;
    // Ambient pressure = reference pressure, so pa/pr = 1.
    let c_sat = -6.8346 * (t01 / t).powf(1.261) + 4.6151;
    let h = rh_pct * 10f64.powf(c_sat);
    let fr_o = 24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h);
    let fr_n = (t / t0).powf(-0.5)
        * (9.0 + 280.0 * h * (-4.170 * ((t / t0).powf(-1.0 / 3.0) - 1.0)).exp());
    let f2 = f_hz * f_hz;
    8.686
        * f2
        * (1.84e-11 * (t / t0).sqrt()
            + (t / t0).powf(-2.5)
                * (0.012_75 * (-2239.1 / t).exp() / (fr_o + f2 / fr_o)
                    + 0.106_8 * (-3352.0 / t).exp() / (fr_n + f2 / fr_n)))
}

/// The air the sound travels through (for [`air_absorption_db_per_m`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Atmosphere {
    /// Temperature, degrees C (-20 ..= 50).
    pub temperature_c: f64,
    /// Relative humidity, % (1 ..= 100).
    pub humidity_pct: f64,
}

impl Default for Atmosphere {
    /// 20 degrees C, 70 % relative humidity (a row of ISO 9613-2's table 2).
    fn default() -> Self {
        Atmosphere {
            temperature_c: 20.0,
            humidity_pct: 70.0,
        }
    }
}

/// A specular reflection off the ground (or a wall) by the image-source method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reflection {
    /// Pressure reflection coefficient (0 ..= 1; about 0.9-1 for asphalt or concrete, 0.3-0.7
    /// for grass).
    pub coefficient: f64,
    /// Height of the source (the muzzle) above the reflecting plane, m.
    pub source_height_m: f64,
    /// Height of the microphone above the plane, m (a body-worn camera on the chest: ~1.3 m).
    pub receiver_height_m: f64,
}

impl Default for Reflection {
    /// Hard ground (0.9), muzzle at 1.5 m, chest camera at 1.3 m.
    fn default() -> Self {
        Reflection {
            coefficient: 0.9,
            source_height_m: 1.5,
            receiver_height_m: 1.3,
        }
    }
}

/// How an event travels from its source to the microphone.
#[derive(Debug, Clone, PartialEq)]
pub struct Propagation {
    /// Horizontal distance from the source to the microphone, m (0.1 ..= 10 000).
    pub distance_m: f64,
    /// The distance the clip is taken to have been recorded at, m (spreading is relative to
    /// it; > 0). Air absorption is applied over `distance_m - reference_distance_m` (none
    /// when the event is moved closer).
    pub reference_distance_m: f64,
    /// Air absorption (`None`: none).
    pub air: Option<Atmosphere>,
    /// A ground or wall reflection (`None`: free field).
    pub reflection: Option<Reflection>,
    /// A room around source and microphone (`None`: open air).
    pub room: Option<Reverb>,
}

impl Propagation {
    /// Free field at `distance_m` with air absorption (20 C, 70 % RH), clip recorded at 1 m,
    /// no reflection, no room.
    pub fn at_distance(distance_m: f64) -> Self {
        Propagation {
            distance_m,
            reference_distance_m: 1.0,
            air: Some(Atmosphere::default()),
            reflection: None,
            room: None,
        }
    }

    fn validate(&self) -> Result<(), AugmentError> {
        check(
            "distance_m",
            self.distance_m,
            (0.1..=10_000.0).contains(&self.distance_m),
            "0.1 ..= 10000 m",
        )?;
        check(
            "reference_distance_m",
            self.reference_distance_m,
            (0.01..=10_000.0).contains(&self.reference_distance_m),
            "0.01 ..= 10000 m",
        )?;
        if let Some(a) = &self.air {
            check(
                "temperature_c",
                a.temperature_c,
                (-20.0..=50.0).contains(&a.temperature_c),
                "-20 ..= 50 C",
            )?;
            check(
                "humidity_pct",
                a.humidity_pct,
                (1.0..=100.0).contains(&a.humidity_pct),
                "1 ..= 100 %",
            )?;
        }
        if let Some(r) = &self.reflection {
            check(
                "reflection.coefficient",
                r.coefficient,
                (0.0..=1.0).contains(&r.coefficient),
                "0 ..= 1",
            )?;
            for (name, v) in [
                ("reflection.source_height_m", r.source_height_m),
                ("reflection.receiver_height_m", r.receiver_height_m),
            ] {
                check(name, v, (0.0..=100.0).contains(&v), "0 ..= 100 m")?;
            }
        }
        Ok(())
    }

    /// Direct path length, m (the reflection's heights count when there is one).
    fn direct_m(&self) -> f64 {
        match &self.reflection {
            Some(r) => self
                .distance_m
                .hypot(r.source_height_m - r.receiver_height_m),
            None => self.distance_m,
        }
    }

    /// Applies the propagation to `x` (at `rate` Hz) in place; returns the spreading gain and
    /// the number of samples put in front of `x` (room for the zero-phase air filter's
    /// symmetric response; onsets move by as much).
    fn apply(&self, x: &mut Vec<f64>, rate: u32, rng: &mut Rng) -> (f64, usize) {
        let fs = f64::from(rate);
        let r1 = self.direct_m();
        // Image source: a delayed, weaker copy.
        if let Some(refl) = &self.reflection {
            let r2 = self
                .distance_m
                .hypot(refl.source_height_m + refl.receiver_height_m);
            let delay = ((r2 - r1) / SPEED_OF_SOUND_M_S * fs).round() as usize;
            let g = refl.coefficient * r1 / r2;
            if g > 0.0 {
                let n = x.len();
                x.resize(n + delay, 0.0);
                for i in (0..n).rev() {
                    let v = x[i];
                    x[i + delay] += g * v;
                }
            }
        }
        if let Some(room) = &self.room {
            let ir = room.impulse_response(rate, rng);
            let n = x.len();
            x.resize(n + ir.len(), 0.0);
            *x = convolve(x, &ir);
        }
        let mut pad = 0;
        if let Some(air) = &self.air {
            let path = (r1 - self.reference_distance_m).max(0.0);
            if path > 0.0 {
                pad = (AIR_PAD_S * fs) as usize;
                x.splice(0..0, std::iter::repeat_n(0.0, pad));
                attenuate_air(x, fs, path, air);
            }
        }
        (self.reference_distance_m / r1, pad)
    }
}

/// Silence put before a clip that goes through the air filter, s: its zero-phase response
/// spreads a few milliseconds either side of an impulse (at 10 km, 0.5 kHz is 28 dB down).
const AIR_PAD_S: f64 = 0.01;

/// Zero-phase attenuation by `alpha(f) path_m` dB (FFT of the zero-padded signal).
fn attenuate_air(x: &mut [f64], fs: f64, path_m: f64, air: &Atmosphere) {
    if x.is_empty() {
        return;
    }
    let n = (2 * x.len()).next_power_of_two();
    let mut planner = realfft::RealFftPlanner::<f64>::new();
    let fwd = planner.plan_fft_forward(n);
    let inv = planner.plan_fft_inverse(n);
    let mut a = fwd.make_input_vec();
    a[..x.len()].copy_from_slice(x);
    let mut spec = fwd.make_output_vec();
    fwd.process(&mut a, &mut spec).expect("fft sizes from plan");
    for (k, c) in spec.iter_mut().enumerate() {
        let f = k as f64 * fs / n as f64;
        let db = air_absorption_db_per_m(f, air.temperature_c, air.humidity_pct) * path_m;
        *c *= 10f64.powf(-db / 20.0);
    }
    spec[0].im = 0.0;
    let last = spec.len() - 1;
    spec[last].im = 0.0;
    let mut y = inv.make_output_vec();
    inv.process(&mut spec, &mut y).expect("fft sizes from plan");
    let s = 1.0 / n as f64;
    for (o, v) in x.iter_mut().zip(&y) {
        *o = v * s;
    }
}

// ---------------------------------------------------------------------------------------------
// Clips and backgrounds
// ---------------------------------------------------------------------------------------------

/// One event clip: samples, its rate, the onsets it holds and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct EventClip {
    /// Samples (full scale = 1).
    pub samples: Vec<f64>,
    /// Rate of `samples`, Hz.
    pub sample_rate: u32,
    /// Onset sample indices (first arrival of each shot), ascending; at least one.
    pub onsets: Vec<usize>,
    /// Where it came from (a manifest's `source_repo`, or `synthetic`).
    pub source: String,
    /// A name for manifests (the clip's file, or the synthetic model's parameters).
    pub name: String,
}

/// Envelope hop for onset finding, s.
const ONSET_HOP_S: f64 = 0.001;

impl EventClip {
    /// Cuts the event out of a real recording (see the module docs for the onset rule):
    /// 50 ms before the first onset to at most `max_s` seconds after it.
    pub fn from_recording(
        samples: &[f32],
        sample_rate: u32,
        max_s: f64,
        source: &str,
        name: &str,
    ) -> Result<EventClip, AugmentError> {
        check_rate(sample_rate)?;
        check(
            "max_s",
            max_s,
            (0.05..=60.0).contains(&max_s),
            "0.05 ..= 60 s",
        )?;
        let fs = f64::from(sample_rate);
        let x: Vec<f64> = samples
            .iter()
            .map(|&v| if v.is_finite() { f64::from(v) } else { 0.0 })
            .collect();
        let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if peak <= 0.0 {
            return Err(AugmentError::Silent {
                source_name: name.to_string(),
            });
        }
        let first = x.iter().position(|v| v.abs() >= 0.3 * peak).unwrap_or(0);
        let pre = (0.05 * fs) as usize;
        let start = first.saturating_sub(pre);
        let end_max = (first + (max_s * fs) as usize).min(x.len());
        // Trim after the last sample at >= -40 dB of the peak, + 10 ms.
        let last_active = (first..end_max)
            .rev()
            .find(|&i| x[i].abs() >= 0.01 * peak)
            .unwrap_or(first);
        let end = (last_active + (0.01 * fs) as usize + 1)
            .min(end_max)
            .max(first + 1);
        let mut cut = x[start..end].to_vec();
        let fade = ((0.01 * fs) as usize).min(first - start);
        for (i, v) in cut.iter_mut().take(fade).enumerate() {
            *v *= super::smoothstep(i as f64 / fade as f64);
        }
        // Later onsets: >= 30 % of the peak after >= 50 ms with the 1 ms envelope < 10 %.
        let hop = ((ONSET_HOP_S * fs) as usize).max(1);
        let quiet_hops = (0.05 / ONSET_HOP_S) as usize;
        let mut onsets = vec![first - start];
        let mut quiet = 0usize;
        let mut i = first - start + hop;
        while i < cut.len() {
            let h = &cut[i..(i + hop).min(cut.len())];
            let env = h.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            if env < 0.1 * peak {
                quiet += 1;
            } else {
                if quiet >= quiet_hops {
                    // A rise out of a quiet stretch: an onset if it reaches 30 % within 10 ms.
                    let look = &cut[i..(i + (0.01 * fs) as usize).min(cut.len())];
                    if let Some(k) = look.iter().position(|v| v.abs() >= 0.3 * peak) {
                        onsets.push(i + k);
                    }
                }
                quiet = 0;
            }
            i += hop;
        }
        Ok(EventClip {
            samples: cut,
            sample_rate,
            onsets,
            source: source.to_string(),
            name: name.to_string(),
        })
    }

    /// A synthetic shot rendered at `sample_rate` (its onset is the first arrival).
    pub fn synthetic(shot: &Gunshot, sample_rate: u32, source: &str) -> EventClip {
        // A single shot's render draws no random numbers; the generator is only a parameter.
        let r = Sound::Gunshot(shot.clone()).render(sample_rate, &mut Rng::new(0));
        EventClip {
            samples: r.samples,
            sample_rate,
            onsets: r.events.iter().map(|e| e.0).collect(),
            source: source.to_string(),
            name: format!(
                "synthetic(rise={:.2}ms,T={:.2}ms,b={:.2},nwave={})",
                shot.rise_s * 1e3,
                shot.positive_phase_s * 1e3,
                shot.decay_b,
                shot.n_wave.is_some()
            ),
        }
    }
}

/// Cross-fade between concatenated background clips, s. Long enough that the splice of two
/// unrelated recordings is no impulsive level step (a 20 ms splice made 9 of 48 false events
/// in an hour of concatenated dev ambient audio).
pub const CROSSFADE_S: f64 = 0.1;

/// A background recording (or several concatenated) and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Background {
    /// Samples (full scale = 1).
    pub samples: Vec<f64>,
    /// Rate of `samples`, Hz.
    pub sample_rate: u32,
    /// Where it came from (a manifest's `source_repo`).
    pub source: String,
}

impl Background {
    /// A background from samples.
    pub fn new(samples: Vec<f64>, sample_rate: u32, source: &str) -> Self {
        Background {
            samples,
            sample_rate,
            source: source.to_string(),
        }
    }

    /// Concatenates clips (each `(samples, rate)`, resampled to `rate`) in order, cycling
    /// through them until `duration_s` is filled, joined by [`CROSSFADE_S`] raised-cosine
    /// cross-fades (clips shorter than two cross-fades are skipped).
    /// Returns the background and, per piece, the index of the clip used.
    pub fn concat(
        clips: &[(&[f32], u32)],
        rate: u32,
        duration_s: f64,
        source: &str,
    ) -> Result<(Background, Vec<usize>), AugmentError> {
        check_rate(rate)?;
        check(
            "duration_s",
            duration_s,
            (0.01..=86_400.0).contains(&duration_s),
            "0.01 ..= 86400 s",
        )?;
        let n = (duration_s * f64::from(rate)).round() as usize;
        let fade = (CROSSFADE_S * f64::from(rate)) as usize;
        let mut out: Vec<f64> = Vec::with_capacity(n + fade);
        let mut used = Vec::new();
        let mut resampled: Vec<Option<Vec<f64>>> = vec![None; clips.len()];
        let usable = clips.iter().any(|(s, _)| s.len() > 2 * fade);
        let mut i = 0;
        while out.len() < n && usable {
            let ci = i % clips.len();
            i += 1;
            let (s, r) = clips[ci];
            if resampled[ci].is_none() {
                let x: Vec<f64> = s
                    .iter()
                    .map(|&v| if v.is_finite() { f64::from(v) } else { 0.0 })
                    .collect();
                resampled[ci] = Some(Resampler::new(r, rate)?.process(&x));
            }
            let piece = resampled[ci].as_deref().unwrap_or(&[]);
            if piece.len() <= 2 * fade {
                continue;
            }
            used.push(ci);
            let overlap = if out.is_empty() { 0 } else { fade };
            let base = out.len() - overlap;
            for (j, &v) in piece.iter().enumerate() {
                let at = base + j;
                if j < overlap {
                    let w = super::smoothstep(j as f64 / overlap as f64);
                    out[at] = out[at] * (1.0 - w) + v * w;
                } else {
                    out.push(v);
                }
            }
        }
        out.resize(n, 0.0);
        Ok((Background::new(out, rate, source), used))
    }
}

// ---------------------------------------------------------------------------------------------
// Mixing
// ---------------------------------------------------------------------------------------------

/// How loud an event is in the mixture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventLevel {
    /// Event-to-background ratio, dB (see the module docs; -30 ..= +40).
    Ebr(f64),
    /// The clip's own level times the spreading gain of its [`Propagation`] (a clip recorded
    /// at `reference_distance_m` moved to `distance_m`).
    Spreading,
}

/// Where and how one event goes into a mixture.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// Time of the event's first onset in the mixture, s.
    pub onset_s: f64,
    /// Its level.
    pub level: EventLevel,
    /// Its path to the microphone.
    pub propagation: Propagation,
}

/// The recorder that captures the mixture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recorder {
    /// Output rate, Hz.
    pub sample_rate: u32,
    /// Microphone low cut (2nd-order Butterworth high-pass), Hz; `None`: none.
    pub highpass_hz: Option<f64>,
    /// Hard-clip at full scale (an ADC does); `false` keeps values beyond +-1.
    pub clip: bool,
}

impl Recorder {
    /// A recorder at `sample_rate` with no low cut that clips at full scale.
    pub fn new(sample_rate: u32) -> Self {
        Recorder {
            sample_rate,
            highpass_hz: None,
            clip: true,
        }
    }
}

/// One event as it landed in a mixture.
#[derive(Debug, Clone, PartialEq)]
pub struct MixedEvent {
    /// Onsets of the shots it holds, in the mixture.
    pub onsets: Vec<Timestamp>,
    /// End of the event (last sample at or above -40 dB of its peak).
    pub offset: Timestamp,
    /// The event-to-background ratio reached, dB (before clipping).
    pub ebr_db: f64,
    /// Gain applied to the propagated clip, dB.
    pub gain_db: f64,
    /// Peak of the event alone in the mixture, dBFS.
    pub peak_dbfs: f64,
    /// Horizontal source distance, m.
    pub distance_m: f64,
    /// The clip's source.
    pub source: String,
    /// The clip's name.
    pub name: String,
}

/// A finished mixture.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixture {
    /// Samples at the recorder's rate (clipped at +-1 when the recorder clips).
    pub samples: Vec<f32>,
    /// Rate, Hz.
    pub sample_rate: u32,
    /// The events, in the order given.
    pub events: Vec<MixedEvent>,
    /// Samples at or beyond full scale before clipping.
    pub clipped_samples: usize,
    /// The background's source.
    pub background_source: String,
}

impl Mixture {
    /// Every shot as a label (`kind = "gunshot"`): onset as placed, offset the next shot's
    /// onset (or the event's end).
    pub fn synth_events(&self) -> Vec<SynthEvent> {
        let mut out = Vec::new();
        for e in &self.events {
            for (k, &on) in e.onsets.iter().enumerate() {
                let off = e.onsets.get(k + 1).copied().unwrap_or(e.offset).max(on);
                out.push(SynthEvent {
                    onset: on,
                    offset: off,
                    kind: "gunshot",
                });
            }
        }
        out
    }

    /// The label side-car (`onset_s,offset_s,kind`, see docs/formats.md).
    pub fn labels_csv(&self) -> String {
        super::labels_csv(&self.synth_events())
    }
}

fn mean_sq(x: &[f64]) -> f64 {
    if x.is_empty() {
        0.0
    } else {
        x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64
    }
}

/// Mixes events into a background as a recorder at `recorder.sample_rate` hears them (see the
/// module docs for each step). Events must fit: the event's active part
/// (onset ..= -40 dB end) must lie inside the background.
pub fn mix(
    background: &Background,
    events: &[(&EventClip, Placement)],
    recorder: &Recorder,
    rng: &mut Rng,
) -> Result<Mixture, AugmentError> {
    let rate = recorder.sample_rate;
    check_rate(rate)?;
    check_rate(background.sample_rate)?;
    let fs = f64::from(rate);
    let bg = Resampler::new(background.sample_rate, rate)?.process(&background.samples);
    let mut out = bg.clone();
    let mut mixed = Vec::with_capacity(events.len());
    for (clip, place) in events {
        check_rate(clip.sample_rate)?;
        place.propagation.validate()?;
        check("onset_s", place.onset_s, place.onset_s >= 0.0, ">= 0 s")?;
        if let EventLevel::Ebr(db) = place.level {
            check("ebr_db", db, (-30.0..=40.0).contains(&db), "-30 ..= 40 dB")?;
        }
        let mut x = Resampler::new(clip.sample_rate, rate)?.process(&clip.samples);
        let (spreading, pad) = place.propagation.apply(&mut x, rate, rng);
        let to_out =
            |i: usize| pad + (i as u64 * u64::from(rate) / u64::from(clip.sample_rate)) as usize;
        let first = to_out(clip.onsets.first().copied().unwrap_or(0)).min(x.len());
        let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let min_len = (0.01 * fs) as usize;
        // The event's span: first onset to its last sample at >= -40 dB of its peak (at
        // least 10 ms, at most the clip).
        let last_active = (first..x.len())
            .rev()
            .find(|&i| x[i].abs() >= 0.01 * peak)
            .unwrap_or(first);
        let active_end = (last_active + 1).max(first + min_len).min(x.len());
        let at = (place.onset_s * fs).round() as usize;
        if at < first || first >= x.len() || at - first + active_end > out.len() {
            return Err(AugmentError::DoesNotFit {
                onset_s: place.onset_s,
                active_s: (active_end.saturating_sub(first)) as f64 / fs,
                duration_s: out.len() as f64 / fs,
            });
        }
        let shift = at - first; // index in `out` of x[0]
        let ev_energy = mean_sq(&x[first..active_end]);
        let bg_energy = mean_sq(&bg[at..shift + active_end]).max(1e-10);
        let gain = match place.level {
            EventLevel::Ebr(db) => {
                if ev_energy > 0.0 {
                    (bg_energy / ev_energy * 10f64.powf(db / 10.0)).sqrt()
                } else {
                    0.0
                }
            }
            EventLevel::Spreading => spreading,
        };
        let mut ev_peak = 0.0f64;
        for (i, v) in x.iter().enumerate() {
            let j = shift + i;
            if j >= out.len() {
                break;
            }
            out[j] += gain * v;
            ev_peak = ev_peak.max((gain * v).abs());
        }
        let ebr = 10.0 * ((gain * gain * ev_energy).max(1e-300) / bg_energy).log10();
        let ts = |i: usize| Timestamp::from_samples(i as u64, rate);
        mixed.push(MixedEvent {
            onsets: clip.onsets.iter().map(|&o| ts(shift + to_out(o))).collect(),
            offset: ts(shift + active_end - 1),
            ebr_db: ebr,
            gain_db: 20.0 * gain.max(1e-300).log10(),
            peak_dbfs: 20.0 * ev_peak.max(1e-300).log10(),
            distance_m: place.propagation.distance_m,
            source: clip.source.clone(),
            name: clip.name.clone(),
        });
    }
    if let Some(hp) = recorder.highpass_hz {
        check(
            "highpass_hz",
            hp,
            hp > 0.0 && hp < 0.45 * fs,
            "0 < f < 0.45 rate",
        )?;
        highpass(&mut out, fs, hp);
    }
    let clipped_samples = out.iter().filter(|v| v.abs() >= 1.0).count();
    let samples = out
        .iter()
        .map(|&v| {
            let v = if recorder.clip { v.clamp(-1.0, 1.0) } else { v };
            v as f32
        })
        .collect();
    Ok(Mixture {
        samples,
        sample_rate: rate,
        events: mixed,
        clipped_samples,
        background_source: background.source.clone(),
    })
}

/// 2nd-order Butterworth high-pass (RBJ cookbook, Q = 1/sqrt 2), in place.
fn highpass(x: &mut [f64], fs: f64, f0: f64) {
    let w = 2.0 * PI * f0 / fs;
    let alpha = w.sin() / (2.0 * std::f64::consts::FRAC_1_SQRT_2);
    let c = w.cos();
    let a0 = 1.0 + alpha;
    let b = [(1.0 + c) / 2.0 / a0, -(1.0 + c) / a0, (1.0 + c) / 2.0 / a0];
    let a = [-2.0 * c / a0, (1.0 - alpha) / a0];
    let (mut z0, mut z1) = (0.0, 0.0);
    for v in x.iter_mut() {
        let y = b[0] * *v + z0;
        z0 = b[1] * *v - a[0] * y + z1;
        z1 = b[2] * *v - a[1] * y;
        *v = y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::audio::{noise, NoiseColor};

    fn noise_vec(n: usize, seed: u64) -> Vec<f64> {
        let mut r = Rng::new(seed);
        (0..n).map(|_| r.normal() * 0.1).collect()
    }

    #[test]
    fn polyphase_matches_the_slow_reference() {
        let x = noise_vec(3000, 3);
        for &(a, b) in &[
            (22_050, 8_000),
            (44_100, 48_000),
            (8_000, 44_100),
            (12_000, 16_000),
            (48_000, 12_000),
            (22_050, 44_100),
        ] {
            let r = Resampler::new(a, b).unwrap();
            let fast = r.process(&x);
            let slow = resample_reference(&x, a, b);
            assert_eq!(fast.len(), slow.len(), "{a}->{b}");
            assert_eq!(fast.len(), r.output_len(x.len()));
            let err = fast
                .iter()
                .zip(&slow)
                .fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
            assert!(err < 1e-9, "{a}->{b}: max difference {err}");
        }
    }

    fn tone(n: usize, f: f64, fs: f64) -> Vec<f64> {
        (0..n)
            .map(|i| (2.0 * PI * f * i as f64 / fs).sin())
            .collect()
    }

    /// RMS over the middle half (away from the zero-padded edges).
    fn mid_rms(y: &[f64]) -> f64 {
        let q = y.len() / 4;
        mean_sq(&y[q..3 * q]).sqrt()
    }

    #[test]
    fn passband_is_flat_and_the_stopband_is_rejected() {
        // Down: 44.1 kHz -> 8 kHz. Passband: 0.42 x 8 kHz = 3.36 kHz.
        let r = Resampler::new(44_100, 8_000).unwrap();
        for f in [100.0, 1000.0, 3000.0, 3360.0] {
            let g = mid_rms(&r.process(&tone(44_100, f, 44_100.0))) * 2f64.sqrt();
            assert!((20.0 * g.log10()).abs() < 0.01, "{f} Hz: {g}");
        }
        // Anything from 4 kHz (the new Nyquist) up is at least 80 dB down (it would alias).
        for f in [4000.0, 5000.0, 9000.0, 15000.0] {
            let g = mid_rms(&r.process(&tone(44_100, f, 44_100.0))) * 2f64.sqrt();
            assert!(20.0 * g.log10() < -80.0, "{f} Hz: {} dB", 20.0 * g.log10());
        }
        // Up: 8 kHz -> 48 kHz keeps a 1 kHz tone's level and frequency (zero crossings).
        let r = Resampler::new(8_000, 48_000).unwrap();
        let y = r.process(&tone(8_000, 1000.0, 8_000.0));
        let g = mid_rms(&y) * 2f64.sqrt();
        assert!((20.0 * g.log10()).abs() < 0.01, "{g}");
        let want = tone(48_000, 1000.0, 48_000.0);
        let err = y[12_000..36_000]
            .iter()
            .zip(&want[12_000..36_000])
            .fold(0.0f64, |m, (p, q)| m.max((p - q).abs()));
        assert!(err < 1e-3, "{err}");
    }

    #[test]
    fn bad_rates_are_typed_errors() {
        assert_eq!(
            Resampler::new(0, 8_000).unwrap_err(),
            AugmentError::SampleRate { actual: 0 }
        );
        assert!(Resampler::new(44_100, 1_000_000).is_err());
    }

    #[test]
    fn air_absorption_matches_iso_9613_table() {
        // ISO 9613-2 table 2, 20 C / 70 % RH, dB/km at octave mid-bands 63 Hz - 8 kHz.
        let table = [
            (63.0, 0.1f64),
            (125.0, 0.3),
            (250.0, 1.1),
            (500.0, 2.8),
            (1000.0, 5.0),
            (2000.0, 9.0),
            (4000.0, 22.9),
            (8000.0, 76.6),
        ];
        for (f, want) in table {
            let got = air_absorption_db_per_m(f, 20.0, 70.0) * 1000.0;
            // The table rounds to 0.1 dB/km and uses exact mid-band frequencies.
            let tol = (0.06 * want).max(0.06);
            assert!(
                (got - want).abs() <= tol,
                "{f} Hz: {got} dB/km, table {want}"
            );
        }
    }

    #[test]
    fn distance_low_passes_a_shot() {
        let fs = 48_000;
        let clip = EventClip::synthetic(&Gunshot::default(), fs, "synthetic");
        let mut near = clip.samples.clone();
        let mut far = clip.samples.clone();
        let mut rng = Rng::new(1);
        let (g_near, pad_near) = Propagation::at_distance(1.0).apply(&mut near, fs, &mut rng);
        let (g_far, pad_far) = Propagation::at_distance(500.0).apply(&mut far, fs, &mut rng);
        assert_eq!((pad_near, pad_far), (0, 480));
        assert!((g_near - 1.0).abs() < 1e-12);
        assert!((g_far - 1.0 / 500.0).abs() < 1e-12);
        assert_eq!(near, clip.samples);
        // Tone bursts (Hann, 40 ms) through 499 m of air lose alpha(f) x 499 m: ISO 9613-1
        // gives 20 C / 70 % RH ~0.55 dB at 250 Hz, ~38 dB at 8 kHz.
        for f in [250.0, 1000.0, 8000.0] {
            let n = 1920;
            let burst: Vec<f64> = (0..n)
                .map(|i| {
                    let w = 0.5 - 0.5 * (2.0 * PI * i as f64 / n as f64).cos();
                    w * (2.0 * PI * f * i as f64 / 48_000.0).sin()
                })
                .collect();
            let mut y = burst.clone();
            let (_, pad) = Propagation::at_distance(500.0).apply(&mut y, fs, &mut rng);
            let got = 10.0 * (mean_sq(&y[pad..]) / mean_sq(&burst)).log10();
            let want = -air_absorption_db_per_m(f, 20.0, 70.0) * 499.0;
            assert!(
                (got - want).abs() < 0.1 + 0.02 * want.abs(),
                "{f} Hz: {got} dB, want {want}"
            );
        }
    }

    #[test]
    fn ground_reflection_adds_a_delayed_copy() {
        let fs = 48_000;
        let mut x = vec![0.0; 1000];
        x[0] = 1.0;
        let p = Propagation {
            distance_m: 10.0,
            reference_distance_m: 1.0,
            air: None,
            reflection: Some(Reflection::default()),
            room: None,
        };
        let (g, _) = p.apply(&mut x, fs, &mut Rng::new(0));
        let r1 = 10f64.hypot(0.2);
        let r2 = 10f64.hypot(2.8);
        let d = ((r2 - r1) / SPEED_OF_SOUND_M_S * 48_000.0).round() as usize;
        assert!((x[d] - 0.9 * r1 / r2).abs() < 1e-12, "{}", x[d]);
        assert!((g - 1.0 / r1).abs() < 1e-12);
        assert_eq!(x.iter().filter(|v| **v != 0.0).count(), 2);
    }

    #[test]
    fn ebr_is_reached_and_labels_are_where_the_shot_is() {
        let mut rng = Rng::new(5);
        let bg = noise(NoiseColor::Pink, -30.0, 16_000 * 4, 16_000, &mut rng);
        let background = Background::new(bg.clone(), 16_000, "bg_repo");
        let clip = EventClip::synthetic(&Gunshot::default(), 16_000, "synthetic");
        for ebr in [-6.0, 0.0, 6.0, 20.0] {
            let place = Placement {
                onset_s: 1.5,
                level: EventLevel::Ebr(ebr),
                propagation: Propagation::at_distance(1.0),
            };
            // No clipping: the check below subtracts the background.
            let rec = Recorder {
                clip: false,
                ..Recorder::new(16_000)
            };
            let m = mix(&background, &[(&clip, place)], &rec, &mut rng).unwrap();
            let e = &m.events[0];
            assert!((e.ebr_db - ebr).abs() < 1e-6, "{}", e.ebr_db);
            assert_eq!(e.onsets, vec![Timestamp::from_millis(1500)]);
            // Recompute the EBR from the mixture itself (mixture - background = event).
            let (on, off) = (24_000usize, e.offset.to_samples(16_000) as usize + 1);
            let ev: Vec<f64> = (on..off).map(|i| f64::from(m.samples[i]) - bg[i]).collect();
            let measured = 10.0 * (mean_sq(&ev) / mean_sq(&bg[on..off])).log10();
            assert!((measured - ebr).abs() < 0.01, "{measured} vs {ebr}");
            assert_eq!(m.background_source, "bg_repo");
            assert_eq!(e.source, "synthetic");
        }
    }

    #[test]
    fn spreading_level_follows_one_over_r() {
        let mut rng = Rng::new(4);
        let bg = noise(NoiseColor::Pink, -60.0, 16_000 * 3, 16_000, &mut rng);
        let background = Background::new(bg, 16_000, "b");
        let clip = EventClip::synthetic(&Gunshot::default(), 16_000, "s");
        let gain_at = |d: f64, rng: &mut Rng| {
            let mut p = Propagation::at_distance(d);
            p.air = None;
            let place = Placement {
                onset_s: 1.0,
                level: EventLevel::Spreading,
                propagation: p,
            };
            mix(&background, &[(&clip, place)], &Recorder::new(16_000), rng)
                .unwrap()
                .events[0]
                .clone()
        };
        let (e1, e10, e100) = (
            gain_at(1.0, &mut rng),
            gain_at(10.0, &mut rng),
            gain_at(100.0, &mut rng),
        );
        assert!(e1.gain_db.abs() < 1e-9);
        assert!((e10.gain_db + 20.0).abs() < 1e-9);
        assert!((e100.gain_db + 40.0).abs() < 1e-9);
        // The EBR reached falls 20 dB per decade of distance.
        assert!((e1.ebr_db - e10.ebr_db - 20.0).abs() < 1e-6);
        assert!((e10.ebr_db - e100.ebr_db - 20.0).abs() < 1e-6);
    }

    #[test]
    fn onsets_of_a_real_style_clip() {
        // Two shots 0.3 s apart in quiet noise, starting at 0.2 s.
        let fs = 16_000u32;
        let mut x = vec![0f32; 16_000];
        let mut rng = Rng::new(2);
        for v in x.iter_mut() {
            *v = (rng.normal() * 0.001) as f32;
        }
        let shot = EventClip::synthetic(&Gunshot::default(), fs, "s").samples;
        for at in [3200usize, 8000] {
            for (i, v) in shot.iter().enumerate() {
                x[at + i] += *v as f32;
            }
        }
        let c = EventClip::from_recording(&x, fs, 1.0, "repo", "a.wav").unwrap();
        assert_eq!(c.onsets.len(), 2, "{:?}", c.onsets);
        // Cut 50 ms (800 samples) before the first onset.
        assert!(c.onsets[0].abs_diff(800) <= 2, "{:?}", c.onsets);
        assert!(c.onsets[1].abs_diff(800 + 4800) <= 2, "{:?}", c.onsets);
        assert!(EventClip::from_recording(&[0.0; 100], fs, 1.0, "r", "z").is_err());
    }

    #[test]
    fn mixing_is_deterministic_and_checks_its_inputs() {
        let mk = || {
            let mut rng = Rng::new(9);
            let bg = noise(NoiseColor::Street, -35.0, 22_050 * 3, 22_050, &mut rng);
            let background = Background::new(bg, 22_050, "b");
            let clip = EventClip::synthetic(&Gunshot::default(), 44_100, "s");
            let place = Placement {
                onset_s: 1.0,
                level: EventLevel::Ebr(3.0),
                propagation: Propagation {
                    room: Some(Reverb::default()),
                    reflection: Some(Reflection::default()),
                    ..Propagation::at_distance(30.0)
                },
            };
            mix(
                &background,
                &[(&clip, place)],
                &Recorder::new(12_000),
                &mut rng,
            )
            .unwrap()
        };
        assert_eq!(mk(), mk());
        let bg = Background::new(vec![0.0; 8000], 8000, "b");
        let clip = EventClip::synthetic(&Gunshot::default(), 8000, "s");
        let place = |onset_s, level| Placement {
            onset_s,
            level,
            propagation: Propagation::at_distance(1.0),
        };
        let rec = Recorder::new(8000);
        let mut rng = Rng::new(0);
        assert!(matches!(
            mix(
                &bg,
                &[(&clip, place(0.999, EventLevel::Ebr(0.0)))],
                &rec,
                &mut rng
            ),
            Err(AugmentError::DoesNotFit { .. })
        ));
        assert!(matches!(
            mix(
                &bg,
                &[(&clip, place(0.5, EventLevel::Ebr(f64::NAN)))],
                &rec,
                &mut rng
            ),
            Err(AugmentError::Parameter { name: "ebr_db", .. })
        ));
        let mut far = place(0.5, EventLevel::Spreading);
        far.propagation.distance_m = -1.0;
        assert!(matches!(
            mix(&bg, &[(&clip, far)], &rec, &mut rng),
            Err(AugmentError::Parameter {
                name: "distance_m",
                ..
            })
        ));
        // A silent background: the -100 dBFS floor keeps the gain finite.
        let m = mix(
            &bg,
            &[(&clip, place(0.5, EventLevel::Ebr(0.0)))],
            &rec,
            &mut rng,
        )
        .unwrap();
        assert!(m.samples.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn concat_fills_with_crossfades() {
        let a = vec![0.5f32; 4000];
        let b = vec![-0.5f32; 3000];
        let (bg, used) = Background::concat(&[(&a, 8000), (&b, 8000)], 8000, 2.0, "repo").unwrap();
        assert_eq!(bg.samples.len(), 16_000);
        assert_eq!(&used[..3], &[0, 1, 0]);
        assert!((bg.samples[100] - 0.5).abs() < 1e-12);
        // The joint: 100 ms (800 samples) from 0.5 to -0.5, through 0 half-way.
        assert!((bg.samples[4000 - 800 + 400] - 0.0).abs() < 0.01);
        assert!(bg.samples[4000 - 800 + 200] > 0.3 && bg.samples[4000 - 800 + 600] < -0.3);
        assert!((bg.samples[4000 + 200] + 0.5).abs() < 1e-12);
        // Too short to cross-fade: skipped.
        let tiny = vec![0.1f32; 100];
        let (bg, used) = Background::concat(&[(&tiny, 8000), (&a, 8000)], 8000, 1.0, "r").unwrap();
        assert!(used.iter().all(|&u| u == 1));
        assert!((bg.samples[10] - 0.5).abs() < 1e-12);
    }
}
