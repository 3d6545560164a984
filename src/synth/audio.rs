//! Synthetic audio: gunshots, distractors, reverberation, noise, clipping.
//!
//! Levels are in dB relative to digital full scale (dBFS, peak unless stated), durations in
//! seconds, frequencies in hertz; every generator takes the sample rate, so the same scene can
//! be rendered at 8-96 kHz. Frequencies above 0.45 x the sample rate are left out or clamped
//! (a real microphone's anti-aliasing filter removes them too).
//!
//! Out-of-range parameters (zero or negative durations, rates, fundamentals) are clamped to
//! small sane values rather than panicking; durations must be finite.
//!
//! Physics of the models, briefly (each type documents its parameters):
//! - **Muzzle blast** ([`Gunshot`]): the Friedlander waveform
//!   `p(t) = P (1 - t/T) exp(-b t/T)`, a sub-millisecond rise to the peak overpressure `P`, a
//!   positive phase of length `T` (1-3 ms for small arms) and a shallow negative phase. A
//!   supersonic bullet's shock wave adds an N-wave (a linear pressure ramp from +P to -P over
//!   0.2-0.5 ms) a few milliseconds before the blast. Distance and obstacles remove high
//!   frequencies (a low-pass). Near shots exceed full scale and clip at the microphone/ADC.
//! - **Reverberation** ([`Reverb`]): an impulse response made of the direct path plus
//!   exponentially decaying low-passed noise whose amplitude falls 60 dB in `RT60` seconds
//!   (a diffuse late field), convolved with the dry events.
//! - **Distractors**: a clap is a ~10 ms noise burst band-limited to ~1-3 kHz; a door slam is
//!   the low (50-250 Hz) resonant modes of a panel excited with a slower (~4 ms) rise; a knock
//!   is a short train of 200-450 Hz panel modes with a knuckle click; a key drop excites
//!   inharmonic ringing partials (free-free bar modes 1 : 2.76 : 5.40) at every bounce; speech
//!   is a harmonic source (f0 100-250 Hz) shaped by vowel formants with syllabic (4-5 Hz)
//!   amplitude modulation; a jackhammer is a periodic train (15-25 Hz) of short impacts; a dog
//!   bark is a harmonic burst with a falling pitch.

use super::{db_to_amplitude, smoothstep, Rng, SynthEvent};
use crate::Timestamp;
use std::f64::consts::{PI, TAU};

/// A second-order IIR section (RBJ audio-EQ cookbook), used to shape noise and bursts.
#[derive(Debug, Clone, Copy)]
struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
    z: [f64; 2],
}

impl Biquad {
    fn new(b0: f64, b1: f64, b2: f64, a0: f64, a1: f64, a2: f64) -> Self {
        Biquad {
            b: [b0 / a0, b1 / a0, b2 / a0],
            a: [a1 / a0, a2 / a0],
            z: [0.0; 2],
        }
    }
    fn clamp_f(fs: f64, f: f64) -> f64 {
        // Not `clamp`: it panics when 0.45 fs < 1 Hz (absurd rates must not panic).
        f.min(0.45 * fs).max(1e-3 * fs)
    }
    /// Band-pass with 0 dB peak gain at `f0`.
    fn bandpass(fs: f64, f0: f64, q: f64) -> Self {
        let w = TAU * Self::clamp_f(fs, f0) / fs;
        let alpha = w.sin() / (2.0 * q);
        Biquad::new(alpha, 0.0, -alpha, 1.0 + alpha, -2.0 * w.cos(), 1.0 - alpha)
    }
    fn lowpass(fs: f64, f0: f64, q: f64) -> Self {
        let w = TAU * Self::clamp_f(fs, f0) / fs;
        let alpha = w.sin() / (2.0 * q);
        let c = w.cos();
        Biquad::new(
            (1.0 - c) / 2.0,
            1.0 - c,
            (1.0 - c) / 2.0,
            1.0 + alpha,
            -2.0 * c,
            1.0 - alpha,
        )
    }
    fn highpass(fs: f64, f0: f64, q: f64) -> Self {
        let w = TAU * Self::clamp_f(fs, f0) / fs;
        let alpha = w.sin() / (2.0 * q);
        let c = w.cos();
        Biquad::new(
            (1.0 + c) / 2.0,
            -(1.0 + c),
            (1.0 + c) / 2.0,
            1.0 + alpha,
            -2.0 * c,
            1.0 - alpha,
        )
    }
    /// Transposed direct form II.
    fn tick(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.z[0];
        self.z[0] = self.b[1] * x - self.a[0] * y + self.z[1];
        self.z[1] = self.b[2] * x - self.a[1] * y;
        y
    }
    fn run(mut self, xs: &mut [f64]) {
        for x in xs {
            *x = self.tick(*x);
        }
    }
}

/// Scales `xs` so that its largest absolute value is `peak` (no-op on silence).
fn normalize_peak(xs: &mut [f64], peak: f64) {
    let m = xs.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if m > 0.0 {
        let g = peak / m;
        xs.iter_mut().for_each(|x| *x *= g);
    }
}

/// Adds an exponentially damped sinusoid (a resonant mode) to `out` starting at index `at`.
fn add_mode(out: &mut [f64], at: usize, fs: f64, f: f64, tau_s: f64, amp: f64, phase: f64) {
    if f >= 0.45 * fs {
        return;
    }
    let len = ((tau_s * 7.0) * fs) as usize; // 7 time constants = -61 dB
    for (i, o) in out.iter_mut().skip(at).take(len).enumerate() {
        let t = i as f64 / fs;
        *o += amp * (-t / tau_s).exp() * (TAU * f * t + phase).sin();
    }
}

/// Adds a noise burst with a `rise_s` raised-cosine attack and exponential decay `tau_s`,
/// shaped by `filter`, to `out` at index `at`.
fn add_burst(
    out: &mut [f64],
    at: usize,
    fs: f64,
    (rise_s, tau_s): (f64, f64),
    amp: f64,
    filter: Option<Biquad>,
    rng: &mut Rng,
) {
    let len = ((rise_s + tau_s * 7.0) * fs) as usize + 1;
    let mut b: Vec<f64> = (0..len)
        .map(|i| {
            let t = i as f64 / fs;
            let env = smoothstep(t / rise_s.max(1e-9)) * (-(t - rise_s).max(0.0) / tau_s).exp();
            env * rng.normal()
        })
        .collect();
    if let Some(f) = filter {
        f.run(&mut b);
    }
    normalize_peak(&mut b, amp);
    for (o, v) in out.iter_mut().skip(at).zip(b) {
        *o += v;
    }
}

/// A supersonic bullet's shock wave (N-wave) arriving before the muzzle blast.
#[derive(Debug, Clone, PartialEq)]
pub struct NWave {
    /// How long before the muzzle blast it arrives, s (a few ms: the bullet outruns the blast).
    pub lead_s: f64,
    /// Duration of the N (the linear ramp from +P to -P), s; typically 0.2-0.5 ms.
    pub duration_s: f64,
    /// Peak level, dBFS.
    pub peak_dbfs: f64,
}

impl Default for NWave {
    fn default() -> Self {
        NWave {
            lead_s: 0.004,
            duration_s: 0.0003,
            peak_dbfs: -6.0,
        }
    }
}

/// A gunshot muzzle blast (Friedlander waveform), optionally preceded by an N-wave.
#[derive(Debug, Clone, PartialEq)]
pub struct Gunshot {
    /// Peak level of the blast, dBFS. Above 0 the recorded waveform clips (near shots do:
    /// 140-175 dB SPL at the shooter overloads any body-worn microphone).
    pub peak_dbfs: f64,
    /// Rise time to the peak, s (under 1 ms).
    pub rise_s: f64,
    /// Positive phase duration `T`, s (1-3 ms for small arms).
    pub positive_phase_s: f64,
    /// Friedlander decay constant `b` (dimensionless, ~1-3): larger decays faster.
    pub decay_b: f64,
    /// Low-pass corner for distance / obstacles, Hz (`None`: line of sight, near).
    pub lowpass_hz: Option<f64>,
    /// The supersonic shock wave, if any.
    pub n_wave: Option<NWave>,
}

impl Default for Gunshot {
    fn default() -> Self {
        Gunshot {
            peak_dbfs: -3.0,
            rise_s: 0.0002,
            positive_phase_s: 0.002,
            decay_b: 1.5,
            lowpass_hz: None,
            n_wave: None,
        }
    }
}

/// Colours of background noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseColor {
    /// Flat spectrum (microphone self-noise, wind-free hiss).
    White,
    /// -3 dB/octave (Paul Kellet's filter; ventilation, distant crowds).
    Pink,
    /// -6 dB/octave above 20 Hz (leaky integrated white noise; rumble).
    Brown,
    /// Street-like: brown rumble plus pink hiss, slowly amplitude-modulated (0.05-0.15 Hz)
    /// as vehicles pass.
    Street,
}

/// One sound source placed in a scene.
#[derive(Debug, Clone, PartialEq)]
pub enum Sound {
    /// A gunshot (labelled `gunshot`).
    Gunshot(Gunshot),
    /// Automatic fire: `rounds` shots `interval_s` apart (each labelled `gunshot`).
    Burst {
        /// One round.
        shot: Gunshot,
        /// Number of rounds.
        rounds: u32,
        /// Time between rounds, s (~0.06-0.12 s for automatic weapons).
        interval_s: f64,
    },
    /// A hand clap: ~10 ms noise burst band-limited to ~1-3 kHz, fast (~0.5 ms) rise.
    Clap {
        /// Peak level, dBFS.
        level_dbfs: f64,
    },
    /// A door slam: low-frequency panel modes (50-250 Hz, 40-120 ms decay) with a ~4 ms rise
    /// and a small latch click.
    DoorSlam {
        /// Peak level, dBFS.
        level_dbfs: f64,
    },
    /// Knocking on a door: `count` knocks ~0.2 s apart, 200-450 Hz modes plus a knuckle click.
    Knock {
        /// Peak level, dBFS.
        level_dbfs: f64,
        /// Number of knocks.
        count: u32,
    },
    /// Keys dropped on a hard floor: 3-5 bounces, each ringing inharmonic partials at 2-8 kHz.
    KeyDrop {
        /// Peak level, dBFS.
        level_dbfs: f64,
    },
    /// Speech-like voice: harmonic source at `f0_hz` with vowel formants and syllabic AM.
    Speech {
        /// Peak level, dBFS.
        level_dbfs: f64,
        /// Mean fundamental, Hz (100-250).
        f0_hz: f64,
        /// Duration, s.
        duration_s: f64,
    },
    /// Jackhammer / drill: periodic impacts at `rate_hz` for `duration_s`.
    Jackhammer {
        /// Peak level, dBFS.
        level_dbfs: f64,
        /// Blows per second (15-25 for a jackhammer, more for a hammer drill).
        rate_hz: f64,
        /// Duration, s.
        duration_s: f64,
    },
    /// Dog barks: `barks` harmonic bursts ~0.35 s apart, f0 falling from `f0_hz`.
    DogBark {
        /// Peak level, dBFS.
        level_dbfs: f64,
        /// Initial fundamental, Hz (400-800).
        f0_hz: f64,
        /// Number of barks.
        barks: u32,
    },
}

/// A rendered sound: dry samples and where its events lie within them.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// Dry samples (linear, full scale = 1).
    pub samples: Vec<f64>,
    /// Labelled events as `(onset_index, offset_index, kind)` relative to `samples`.
    pub events: Vec<(usize, usize, &'static str)>,
}

/// Index of the last sample at or above 1% (-40 dB) of the peak in `xs[from..]`, plus `from`.
fn active_end(xs: &[f64], from: usize) -> usize {
    let peak = xs.iter().skip(from).fold(0.0f64, |m, x| m.max(x.abs()));
    xs.iter()
        .enumerate()
        .skip(from)
        .rev()
        .find(|(_, x)| x.abs() >= 0.01 * peak)
        .map(|(i, _)| i)
        .unwrap_or(from)
}

impl Gunshot {
    /// Renders the shot; the returned onset index is the first arrival (the N-wave when
    /// present, else the blast).
    fn render(&self, fs: f64) -> (Vec<f64>, usize) {
        let lead = self
            .n_wave
            .as_ref()
            .map(|n| (n.lead_s * fs).round() as usize)
            .unwrap_or(0);
        let t_pos = self.positive_phase_s.max(1e-5);
        // The Friedlander tail is below -60 dB after ~ (1 + 7/b) T; keep 40 T for safety.
        let len = lead + (t_pos * 40.0 * fs) as usize + 2;
        let mut x = vec![0.0; len];
        let p = db_to_amplitude(self.peak_dbfs);
        for (i, v) in x.iter_mut().enumerate().skip(lead) {
            let t = (i - lead) as f64 / fs;
            let rise = smoothstep(t / self.rise_s.max(1e-7));
            *v = p * rise * (1.0 - t / t_pos) * (-self.decay_b * t / t_pos).exp();
        }
        if let Some(lp) = self.lowpass_hz {
            // Two cascaded sections: distance takes the high frequencies away gradually.
            Biquad::lowpass(fs, lp, 0.707).run(&mut x);
            Biquad::lowpass(fs, lp, 0.707).run(&mut x);
        }
        // The stated level is the recorded peak: sampling (at 8 kHz the 0.2 ms peak falls
        // between samples) and filtering would otherwise lower it by an amount that depends on
        // the rate.
        normalize_peak(&mut x, p);
        if let Some(n) = &self.n_wave {
            let pn = db_to_amplitude(n.peak_dbfs);
            let dn = ((n.duration_s * fs).round() as usize).max(2);
            for (i, v) in x.iter_mut().take(dn + 1).enumerate() {
                // Linear ramp +P -> -P with instantaneous (shock) jumps at both ends.
                *v += pn * (1.0 - 2.0 * i as f64 / dn as f64);
            }
        }
        (x, 0)
    }
}

impl Sound {
    /// The label kind of the events this sound contains (`Some("gunshot")` for shots,
    /// `None` for distractors).
    pub fn label_kind(&self) -> Option<&'static str> {
        match self {
            Sound::Gunshot(_) | Sound::Burst { .. } => Some("gunshot"),
            _ => None,
        }
    }

    /// Renders the dry sound at `sample_rate` (Hz). Event offsets are where the sound falls
    /// 40 dB below its peak.
    pub fn render(&self, sample_rate: u32, rng: &mut Rng) -> Rendered {
        let fs = f64::from(sample_rate.max(1));
        let sec = |s: f64| (s * fs).round().max(0.0) as usize;
        match self {
            Sound::Gunshot(g) => {
                let (x, on) = g.render(fs);
                let off = active_end(&x, on);
                Rendered {
                    samples: x,
                    events: vec![(on, off, "gunshot")],
                }
            }
            Sound::Burst {
                shot,
                rounds,
                interval_s,
            } => {
                let (one, _) = shot.render(fs);
                let off1 = active_end(&one, 0);
                let step = sec(*interval_s).max(1);
                let n = (*rounds).max(1) as usize;
                let mut x = vec![0.0; step * (n - 1) + one.len()];
                let mut events = Vec::with_capacity(n);
                for r in 0..n {
                    // Rounds differ slightly in level (+-1 dB) like real automatic fire.
                    let g = db_to_amplitude(rng.range(-1.0, 1.0));
                    let at = r * step;
                    for (o, v) in x[at..].iter_mut().zip(&one) {
                        *o += g * v;
                    }
                    events.push((at, (at + off1).min(at + step - 1), "gunshot"));
                }
                Rendered { samples: x, events }
            }
            Sound::Clap { level_dbfs } => {
                let mut x = vec![0.0; sec(0.06)];
                let mut bp = Biquad::bandpass(fs, rng.range(1500.0, 2200.0), 1.2);
                let len = x.len();
                add_burst(
                    &mut x,
                    0,
                    fs,
                    (0.0005, rng.range(0.002, 0.004)),
                    1.0,
                    None,
                    rng,
                );
                // Band-limit twice for a steeper skirt: a clap has little energy outside ~1-3 kHz.
                bp.run(&mut x[..len]);
                bp.z = [0.0; 2];
                bp.run(&mut x[..len]);
                normalize_peak(&mut x, db_to_amplitude(*level_dbfs));
                Rendered {
                    samples: x,
                    events: Vec::new(),
                }
            }
            Sound::DoorSlam { level_dbfs } => {
                let mut x = vec![0.0; sec(0.9)];
                for (f_lo, f_hi) in [(50.0, 85.0), (100.0, 160.0), (170.0, 250.0)] {
                    add_mode(
                        &mut x,
                        0,
                        fs,
                        rng.range(f_lo, f_hi),
                        rng.range(0.04, 0.12),
                        rng.range(0.5, 1.0),
                        rng.range(0.0, TAU),
                    );
                }
                // The slower rise (~4 ms) of a massive panel closing.
                let rise = rng.range(0.003, 0.006);
                for (i, v) in x.iter_mut().enumerate() {
                    *v *= smoothstep(i as f64 / fs / rise);
                }
                let at = sec(rise);
                let click = Biquad::bandpass(fs, 1500.0, 1.0);
                add_burst(&mut x, at, fs, (0.0005, 0.003), 0.15, Some(click), rng);
                normalize_peak(&mut x, db_to_amplitude(*level_dbfs));
                Rendered {
                    samples: x,
                    events: Vec::new(),
                }
            }
            Sound::Knock { level_dbfs, count } => {
                let gap = rng.range(0.18, 0.25);
                let n = (*count).max(1) as usize;
                let mut x = vec![0.0; sec(gap * n as f64 + 0.3)];
                let modes = [rng.range(180.0, 260.0), rng.range(300.0, 450.0)];
                for k in 0..n {
                    let at = sec(gap * k as f64 + rng.range(-0.01, 0.01).max(0.0));
                    let a = rng.range(0.8, 1.0);
                    let mut one = vec![0.0; sec(0.2)];
                    for &f in &modes {
                        add_mode(&mut one, 0, fs, f, rng.range(0.01, 0.025), a, 0.0);
                    }
                    for (i, v) in one.iter_mut().enumerate() {
                        *v *= smoothstep(i as f64 / fs / 0.001);
                    }
                    let click = Biquad::bandpass(fs, 2500.0, 1.5);
                    add_burst(&mut one, 0, fs, (0.0003, 0.001), 0.25 * a, Some(click), rng);
                    for (o, v) in x[at..].iter_mut().zip(&one) {
                        *o += v;
                    }
                }
                normalize_peak(&mut x, db_to_amplitude(*level_dbfs));
                Rendered {
                    samples: x,
                    events: Vec::new(),
                }
            }
            Sound::KeyDrop { level_dbfs } => {
                let bounces = 3 + (rng.next_u64() % 3) as usize;
                let mut x = vec![0.0; sec(0.9)];
                let mut t = 0.0;
                let mut interval = rng.range(0.08, 0.14);
                let mut a = 1.0;
                for _ in 0..bounces {
                    let at = sec(t);
                    // Each key is a small bar: free-free modes in ratio 1 : 2.76 : 5.40.
                    let f1 = rng.range(2200.0, 3500.0);
                    for (r, tau) in [(1.0, 0.2), (2.76, 0.12), (5.40, 0.06)] {
                        let ph = rng.range(0.0, TAU);
                        add_mode(&mut x, at, fs, f1 * r, tau * rng.range(0.6, 1.0), a, ph);
                    }
                    let click = Biquad::highpass(fs, 3000.0, 0.7);
                    add_burst(&mut x, at, fs, (0.0002, 0.0007), 0.5 * a, Some(click), rng);
                    t += interval;
                    interval *= 0.7;
                    a *= 0.6;
                }
                normalize_peak(&mut x, db_to_amplitude(*level_dbfs));
                Rendered {
                    samples: x,
                    events: Vec::new(),
                }
            }
            Sound::Speech {
                level_dbfs,
                f0_hz,
                duration_s,
            } => Rendered {
                samples: speech(fs, *f0_hz, *duration_s, *level_dbfs, rng),
                events: Vec::new(),
            },
            Sound::Jackhammer {
                level_dbfs,
                rate_hz,
                duration_s,
            } => {
                let mut x = vec![0.0; sec(duration_s + 0.1)];
                let period = 1.0 / rate_hz.max(0.5);
                let ring = rng.range(1200.0, 1800.0);
                let mut t = 0.0;
                while t < *duration_s {
                    let at = sec(t);
                    let a = rng.range(0.9, 1.1);
                    let lp = Biquad::lowpass(fs, 4000.0, 0.707);
                    add_burst(&mut x, at, fs, (0.0005, 0.004), a, Some(lp), rng);
                    add_mode(&mut x, at, fs, ring, 0.015, 0.4 * a, 0.0);
                    add_mode(&mut x, at, fs, 100.0, 0.02, 0.5 * a, 0.0);
                    t += period * rng.range(0.97, 1.03);
                }
                normalize_peak(&mut x, db_to_amplitude(*level_dbfs));
                Rendered {
                    samples: x,
                    events: Vec::new(),
                }
            }
            Sound::DogBark {
                level_dbfs,
                f0_hz,
                barks,
            } => {
                let n = (*barks).max(1) as usize;
                let mut x = vec![0.0; sec(0.35 * n as f64 + 0.3)];
                for k in 0..n {
                    let at = sec(0.35 * k as f64 + rng.range(0.0, 0.05));
                    let dur = rng.range(0.12, 0.22);
                    let f0 = f0_hz * rng.range(0.9, 1.1);
                    let one = harmonic_burst(fs, f0, dur, rng);
                    for (o, v) in x[at..].iter_mut().zip(&one) {
                        *o += v;
                    }
                }
                normalize_peak(&mut x, db_to_amplitude(*level_dbfs));
                Rendered {
                    samples: x,
                    events: Vec::new(),
                }
            }
        }
    }
}

/// A bark: harmonic source whose pitch falls by ~30%, a formant near 1.5 kHz, a little breath
/// noise, 8 ms attack.
fn harmonic_burst(fs: f64, f0: f64, dur: f64, rng: &mut Rng) -> Vec<f64> {
    // A fundamental below 20 Hz (or not a number) would make the harmonic loop endless.
    let f0 = if f0.is_finite() { f0.max(20.0) } else { 500.0 };
    let n = (dur * fs) as usize;
    let formant = rng.range(1000.0, 2000.0);
    let mut phase = 0.0;
    let mut breath = Biquad::bandpass(fs, formant, 1.0);
    (0..n)
        .map(|i| {
            let t = i as f64 / fs;
            let f = f0 * (1.0 - 0.3 * t / dur);
            phase += TAU * f / fs;
            let mut v = 0.0;
            let mut k = 1.0;
            while k * f < (0.45 * fs).min(6000.0) {
                let fk = k * f;
                let g = 1.0 / k + 1.5 * (-((fk - formant) / 400.0).powi(2)).exp();
                v += g * (k * phase).sin();
                k += 1.0;
            }
            let env = smoothstep(t / 0.008) * (1.0 - t / dur).max(0.0).powf(0.7);
            env * (v + 0.3 * breath.tick(rng.normal()))
        })
        .collect()
}

/// Speech-like voice: glottal harmonics weighted by the formants of a vowel chosen per
/// syllable, syllables of 0.12-0.3 s at ~4-5 Hz with short pauses, slow intonation drift.
fn speech(fs: f64, f0: f64, dur: f64, level_dbfs: f64, rng: &mut Rng) -> Vec<f64> {
    // A fundamental below 20 Hz (or not a number) would make the harmonic loop endless.
    let f0 = if f0.is_finite() { f0.max(20.0) } else { 150.0 };
    // (F1, F2, F3) of the vowels a, i, u, e, o (adult male, Peterson & Barney).
    const VOWELS: [[f64; 3]; 5] = [
        [730.0, 1090.0, 2440.0],
        [270.0, 2290.0, 3010.0],
        [300.0, 870.0, 2240.0],
        [530.0, 1840.0, 2480.0],
        [570.0, 840.0, 2410.0],
    ];
    let n = (dur * fs) as usize;
    let mut x = vec![0.0; n];
    let mut phase = 0.0;
    let mut t_syl = 0.0;
    let drift_f = rng.range(0.2, 0.5);
    let drift_ph = rng.range(0.0, TAU);
    while t_syl < dur {
        let syl = rng.range(0.12, 0.3);
        let pause = if rng.uniform() < 0.25 {
            rng.range(0.1, 0.3)
        } else {
            rng.range(0.0, 0.04)
        };
        let v = VOWELS[(rng.next_u64() % 5) as usize];
        let i0 = (t_syl * fs) as usize;
        let i1 = (((t_syl + syl) * fs) as usize).min(n);
        // Harmonic gains are fixed within a syllable (f0 varies only a few percent in it).
        for (i, o) in x.iter_mut().enumerate().take(i1).skip(i0) {
            let t = i as f64 / fs;
            let f = f0 * (1.0 + 0.12 * (TAU * drift_f * t + drift_ph).sin());
            phase += TAU * f / fs;
            let mut s = 0.0;
            let mut k = 1.0;
            while k * f < (0.45 * fs).min(4000.0) {
                let fk = k * f;
                let mut g = 0.0;
                for (j, &fmt) in v.iter().enumerate() {
                    let bw = 80.0 + 40.0 * j as f64;
                    g += (-((fk - fmt) / bw).powi(2) / 2.0).exp() / (1.0 + j as f64);
                }
                s += (0.15 / k + g) * (k * phase).sin();
                k += 1.0;
            }
            let env = (PI * (t - t_syl) / syl).sin().max(0.0).powf(1.5);
            *o = env * s;
        }
        t_syl += syl + pause;
    }
    normalize_peak(&mut x, db_to_amplitude(level_dbfs));
    x
}

/// Background noise of `n` samples whose RMS level is exactly `level_dbfs` (dB re full
/// scale).
pub fn noise(
    color: NoiseColor,
    level_dbfs: f64,
    n: usize,
    sample_rate: u32,
    rng: &mut Rng,
) -> Vec<f64> {
    let fs = f64::from(sample_rate.max(1));
    let mut x: Vec<f64> = match color {
        NoiseColor::White => (0..n).map(|_| rng.normal()).collect(),
        NoiseColor::Pink => pink(n, rng),
        NoiseColor::Brown => brown(n, fs, rng),
        NoiseColor::Street => {
            let b = brown(n, fs, rng);
            let p = pink(n, rng);
            let rb = rms(&b).max(1e-30);
            let rp = rms(&p).max(1e-30);
            let am_f = rng.range(0.05, 0.15);
            let ph = rng.range(0.0, TAU);
            b.iter()
                .zip(&p)
                .enumerate()
                .map(|(i, (b, p))| {
                    let t = i as f64 / fs;
                    // Vehicles passing: +-6 dB swell.
                    let am = db_to_amplitude(6.0 * (TAU * am_f * t + ph).sin());
                    am * (b / rb + 0.5 * p / rp)
                })
                .collect()
        }
    };
    let r = rms(&x);
    if r > 0.0 {
        let g = db_to_amplitude(level_dbfs) / r;
        x.iter_mut().for_each(|v| *v *= g);
    }
    x
}

fn rms(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt()
}

/// Paul Kellet's refined pink filter (within 0.05 dB of -3 dB/oct above ~10 Hz at 44.1 kHz;
/// the slope holds approximately at other rates).
fn pink(n: usize, rng: &mut Rng) -> Vec<f64> {
    let mut b = [0.0f64; 7];
    (0..n)
        .map(|_| {
            let w = rng.normal();
            b[0] = 0.99886 * b[0] + w * 0.0555179;
            b[1] = 0.99332 * b[1] + w * 0.0750759;
            b[2] = 0.96900 * b[2] + w * 0.1538520;
            b[3] = 0.86650 * b[3] + w * 0.3104856;
            b[4] = 0.55000 * b[4] + w * 0.5329522;
            b[5] = -0.7616 * b[5] - w * 0.0168980;
            let y = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
            b[6] = w * 0.115926;
            y
        })
        .collect()
}

/// White noise through a leaky integrator with a 20 Hz corner (rate-independent).
fn brown(n: usize, fs: f64, rng: &mut Rng) -> Vec<f64> {
    let a = (-TAU * 20.0 / fs).exp();
    let mut y = 0.0;
    (0..n)
        .map(|_| {
            y = a * y + (1.0 - a) * rng.normal();
            y
        })
        .collect()
}

/// Room reverberation: the direct path plus a diffuse tail of exponentially decaying,
/// low-passed noise.
#[derive(Debug, Clone, PartialEq)]
pub struct Reverb {
    /// Time for the tail to decay by 60 dB, s (0.3-0.6 s rooms, 1-2 s halls/garages).
    pub rt60_s: f64,
    /// Direct-to-reverberant energy ratio, dB (positive: mostly direct, near source).
    pub direct_to_reverb_db: f64,
    /// Delay between direct sound and the onset of the tail, s (first reflections, ~2-20 ms).
    pub predelay_s: f64,
    /// Low-pass of the tail, Hz: walls and air absorb high frequencies.
    pub lowpass_hz: f64,
}

impl Default for Reverb {
    fn default() -> Self {
        Reverb {
            rt60_s: 0.5,
            direct_to_reverb_db: 6.0,
            predelay_s: 0.008,
            lowpass_hz: 5000.0,
        }
    }
}

impl Reverb {
    /// The impulse response at `sample_rate`: `ir[0] = 1` (direct path), then the tail whose
    /// amplitude envelope is `exp(-6.908 t / RT60)` (-60 dB at `RT60`), scaled so that the
    /// tail carries `direct_to_reverb_db` less energy than the direct path.
    pub fn impulse_response(&self, sample_rate: u32, rng: &mut Rng) -> Vec<f64> {
        let fs = f64::from(sample_rate.max(1));
        let rt = self.rt60_s.max(0.01);
        let pre = (self.predelay_s.max(0.0) * fs) as usize;
        let len = pre + (rt * fs) as usize + 1;
        let mut ir = vec![0.0; len];
        let mut lp = Biquad::lowpass(fs, self.lowpass_hz, 0.707);
        let mut tail: Vec<f64> = (0..len - pre)
            .map(|i| {
                let t = i as f64 / fs;
                // 10 ms fade-in: the reflection density builds up.
                smoothstep(t / 0.01) * (-6.907_755 * t / rt).exp() * lp.tick(rng.normal())
            })
            .collect();
        let e: f64 = tail.iter().map(|v| v * v).sum();
        if e > 0.0 {
            let g = (db_to_amplitude(-self.direct_to_reverb_db).powi(2) / e).sqrt();
            tail.iter_mut().for_each(|v| *v *= g);
        }
        ir[0] = 1.0;
        for (o, v) in ir[pre..].iter_mut().zip(tail) {
            *o += v;
        }
        ir
    }
}

/// Linear convolution `x * h`, truncated to `x.len()`, via a real FFT (realfft).
pub fn convolve(x: &[f64], h: &[f64]) -> Vec<f64> {
    if x.is_empty() || h.is_empty() {
        return vec![0.0; x.len()];
    }
    let n = (x.len() + h.len() - 1).next_power_of_two();
    let mut planner = realfft::RealFftPlanner::<f64>::new();
    let fwd = planner.plan_fft_forward(n);
    let inv = planner.plan_fft_inverse(n);
    let mut a = fwd.make_input_vec();
    a[..x.len()].copy_from_slice(x);
    let mut b = fwd.make_input_vec();
    b[..h.len()].copy_from_slice(h);
    let mut fa = fwd.make_output_vec();
    let mut fb = fwd.make_output_vec();
    // Lengths come from the plan itself, so these cannot fail.
    fwd.process(&mut a, &mut fa).expect("fft sizes from plan");
    fwd.process(&mut b, &mut fb).expect("fft sizes from plan");
    for (p, q) in fa.iter_mut().zip(&fb) {
        *p *= q;
    }
    // DC and Nyquist of a product of real spectra are real; clear rounding residue.
    fa[0].im = 0.0;
    let last = fa.len() - 1;
    fa[last].im = 0.0;
    let mut y = inv.make_output_vec();
    inv.process(&mut fa, &mut y).expect("fft sizes from plan");
    let s = 1.0 / n as f64;
    y.truncate(x.len());
    y.iter_mut().for_each(|v| *v *= s);
    y
}

/// Hard-clips at digital full scale (+-1), as a microphone preamp/ADC does on a near shot.
pub fn clip(samples: &mut [f32]) {
    for s in samples {
        *s = s.clamp(-1.0, 1.0);
    }
}

/// A scene: sound sources placed in time, an optional room, background noise; rendered to
/// `f32` samples clipped at full scale, with the true events.
#[derive(Debug, Clone)]
pub struct AudioScene {
    sample_rate: u32,
    sources: Vec<f64>,
    ambient: Vec<f64>,
    reverb_ir: Option<Vec<f64>>,
    events: Vec<SynthEvent>,
}

impl AudioScene {
    /// An empty (silent) scene of `duration_s` seconds at `sample_rate` Hz.
    pub fn new(sample_rate: u32, duration_s: f64) -> Self {
        let n = (duration_s.max(0.0) * f64::from(sample_rate)).round() as usize;
        AudioScene {
            sample_rate,
            sources: vec![0.0; n],
            ambient: vec![0.0; n],
            reverb_ir: None,
            events: Vec::new(),
        }
    }

    /// Sample rate, Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// True for a zero-length scene.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Places `sound` so that its first arrival is at `onset_s`; records its labelled events
    /// (those falling inside the scene).
    pub fn add(&mut self, onset_s: f64, sound: &Sound, rng: &mut Rng) {
        let r = sound.render(self.sample_rate, rng);
        let at = (onset_s.max(0.0) * f64::from(self.sample_rate)).round() as usize;
        for (o, v) in self.sources.iter_mut().skip(at).zip(&r.samples) {
            *o += v;
        }
        let n = self.sources.len();
        for (on, off, kind) in r.events {
            if at + on < n {
                self.events.push(SynthEvent {
                    onset: Timestamp::from_samples((at + on) as u64, self.sample_rate),
                    offset: Timestamp::from_samples((at + off).min(n - 1) as u64, self.sample_rate),
                    kind,
                });
            }
        }
    }

    /// Adds background noise of the given colour at an RMS level of `level_dbfs` (not
    /// reverberated: it is already diffuse).
    pub fn add_noise(&mut self, color: NoiseColor, level_dbfs: f64, rng: &mut Rng) {
        let x = noise(color, level_dbfs, self.ambient.len(), self.sample_rate, rng);
        for (o, v) in self.ambient.iter_mut().zip(x) {
            *o += v;
        }
    }

    /// Puts the sources in a room: they are convolved with `reverb`'s impulse response when
    /// the scene is finished.
    pub fn set_reverb(&mut self, reverb: &Reverb, rng: &mut Rng) {
        self.reverb_ir = Some(reverb.impulse_response(self.sample_rate, rng));
    }

    /// Renders: sources (reverberated) + ambient noise, clipped at full scale. Returns the
    /// samples and the true events sorted by onset.
    pub fn finish(self) -> (Vec<f32>, Vec<SynthEvent>) {
        let src = match &self.reverb_ir {
            Some(h) => convolve(&self.sources, h),
            None => self.sources,
        };
        let mut out: Vec<f32> = src
            .iter()
            .zip(&self.ambient)
            .map(|(s, a)| (s + a) as f32)
            .collect();
        clip(&mut out);
        let mut ev = self.events;
        ev.sort_by_key(|e| (e.onset, e.offset));
        (out, ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peak(x: &[f64]) -> f64 {
        x.iter().fold(0.0f64, |m, v| m.max(v.abs()))
    }

    /// Energy fraction of `x` between `lo` and `hi` Hz, by a slow direct DFT (reference).
    fn band_fraction(x: &[f64], fs: f64, lo: f64, hi: f64) -> f64 {
        let n = x.len();
        let mut inband = 0.0;
        let mut total = 0.0;
        for k in 1..n / 2 {
            let f = k as f64 * fs / n as f64;
            let (mut re, mut im) = (0.0, 0.0);
            for (i, v) in x.iter().enumerate() {
                let w = TAU * (k * i) as f64 / n as f64;
                re += v * w.cos();
                im -= v * w.sin();
            }
            let p = re * re + im * im;
            total += p;
            if (lo..hi).contains(&f) {
                inband += p;
            }
        }
        inband / total
    }

    #[test]
    fn gunshot_rise_level_and_onset() {
        for fs in [8000u32, 16_000, 44_100, 96_000] {
            let g = Gunshot {
                peak_dbfs: -6.0,
                ..Gunshot::default()
            };
            let r = Sound::Gunshot(g.clone()).render(fs, &mut Rng::new(1));
            let p = peak(&r.samples);
            assert!((p - db_to_amplitude(-6.0)).abs() < 0.02, "{fs}: {p}");
            let ipk = r.samples.iter().position(|v| v.abs() == p).unwrap();
            // Peak within 1 ms of onset (sub-ms rise); energy gone within tens of ms.
            assert!((ipk as f64) / (fs as f64) < 0.001, "{fs}: {ipk}");
            let (on, off, kind) = r.events[0];
            assert_eq!((on, kind), (0, "gunshot"));
            let dur = off as f64 / fs as f64;
            assert!(dur > 0.002 && dur < 0.05, "{fs}: {dur}");
        }
    }

    #[test]
    fn n_wave_precedes_blast() {
        let fs = 48_000;
        let g = Gunshot {
            n_wave: Some(NWave::default()),
            ..Gunshot::default()
        };
        let r = Sound::Gunshot(g).render(fs, &mut Rng::new(1));
        // First sample is the shock front (+P), then the ramp crosses to -P.
        assert!((r.samples[0] - db_to_amplitude(-6.0)).abs() < 1e-9);
        assert!(r.samples[14] < 0.0);
        let blast = (0.004 * fs as f64) as usize;
        assert!(r.samples[..blast].iter().all(|v| v.abs() < 0.6));
        let p = peak(&r.samples[blast..blast + 48]);
        assert!((p - db_to_amplitude(-3.0)).abs() < 1e-9, "{p}");
    }

    #[test]
    fn clap_is_band_limited_and_door_is_low() {
        let fs = 16_000.0;
        let c = Sound::Clap { level_dbfs: -12.0 }.render(16_000, &mut Rng::new(3));
        let frac = band_fraction(&c.samples[..512], fs, 900.0, 3500.0);
        assert!(frac > 0.7, "clap band fraction {frac}");
        let d = Sound::DoorSlam { level_dbfs: -12.0 }.render(16_000, &mut Rng::new(3));
        let frac = band_fraction(&d.samples[..2048], fs, 30.0, 300.0);
        assert!(frac > 0.8, "door low fraction {frac}");
        assert!((peak(&d.samples) - db_to_amplitude(-12.0)).abs() < 1e-9);
    }

    #[test]
    fn every_sound_renders_at_every_rate() {
        let sounds = [
            Sound::Gunshot(Gunshot::default()),
            Sound::Burst {
                shot: Gunshot::default(),
                rounds: 3,
                interval_s: 0.1,
            },
            Sound::Clap { level_dbfs: -20.0 },
            Sound::DoorSlam { level_dbfs: -20.0 },
            Sound::Knock {
                level_dbfs: -20.0,
                count: 3,
            },
            Sound::KeyDrop { level_dbfs: -20.0 },
            Sound::Speech {
                level_dbfs: -20.0,
                f0_hz: 120.0,
                duration_s: 0.5,
            },
            Sound::Jackhammer {
                level_dbfs: -20.0,
                rate_hz: 20.0,
                duration_s: 0.5,
            },
            Sound::DogBark {
                level_dbfs: -20.0,
                f0_hz: 500.0,
                barks: 2,
            },
        ];
        for fs in [8000, 22_050, 96_000] {
            for s in &sounds {
                let r = s.render(fs, &mut Rng::new(9));
                assert!(r.samples.iter().all(|v| v.is_finite()), "{s:?}");
                assert!(peak(&r.samples) > 0.0, "{s:?} @ {fs}");
                assert_eq!(r.events.is_empty(), s.label_kind().is_none());
            }
        }
    }

    #[test]
    fn degenerate_parameters_neither_panic_nor_hang() {
        let sounds = [
            Sound::Speech {
                level_dbfs: 0.0,
                f0_hz: 0.0,
                duration_s: 0.1,
            },
            Sound::DogBark {
                level_dbfs: 0.0,
                f0_hz: -5.0,
                barks: 0,
            },
            Sound::Jackhammer {
                level_dbfs: 0.0,
                rate_hz: 0.0,
                duration_s: -1.0,
            },
            Sound::Burst {
                shot: Gunshot {
                    positive_phase_s: 0.0,
                    rise_s: 0.0,
                    ..Gunshot::default()
                },
                rounds: 0,
                interval_s: 0.0,
            },
            Sound::Clap { level_dbfs: 0.0 },
        ];
        for fs in [1, 100, 8000] {
            for s in &sounds {
                let r = s.render(fs, &mut Rng::new(1));
                assert!(r.samples.iter().all(|v| v.is_finite()), "{s:?} @ {fs}");
            }
        }
        let mut sc = AudioScene::new(0, 1.0);
        sc.add(0.5, &Sound::Gunshot(Gunshot::default()), &mut Rng::new(1));
        assert_eq!(sc.finish(), (vec![], vec![]));
    }

    #[test]
    fn convolution_matches_direct_reference() {
        let mut rng = Rng::new(5);
        let x: Vec<f64> = (0..300).map(|_| rng.normal()).collect();
        let h: Vec<f64> = (0..37).map(|_| rng.normal()).collect();
        let y = convolve(&x, &h);
        for n in 0..x.len() {
            let mut s = 0.0;
            for k in 0..h.len().min(n + 1) {
                s += h[k] * x[n - k];
            }
            assert!((s - y[n]).abs() < 1e-9, "{n}: {s} vs {}", y[n]);
        }
    }

    #[test]
    fn reverb_decays_by_rt60() {
        let fs = 16_000;
        let rv = Reverb {
            rt60_s: 0.6,
            direct_to_reverb_db: 0.0,
            predelay_s: 0.0,
            lowpass_hz: 7000.0,
        };
        let ir = rv.impulse_response(fs, &mut Rng::new(2));
        let energy = |a: f64, b: f64| -> f64 {
            ir[(a * fs as f64) as usize..(b * fs as f64) as usize]
                .iter()
                .map(|v| v * v)
                .sum::<f64>()
        };
        // 20 dB of decay between windows 0.2 s apart: 60 dB per 0.6 s.
        let d = 10.0 * (energy(0.05, 0.1) / energy(0.25, 0.3)).log10();
        assert!((d - 20.0).abs() < 3.0, "{d}");
        let tail: f64 = ir[1..].iter().map(|v| v * v).sum();
        assert!((tail - 1.0).abs() < 1e-9, "{tail}");
    }

    #[test]
    fn noise_levels_and_scene() {
        for c in [
            NoiseColor::White,
            NoiseColor::Pink,
            NoiseColor::Brown,
            NoiseColor::Street,
        ] {
            let x = noise(c, -30.0, 16_000, 16_000, &mut Rng::new(4));
            assert!((20.0 * rms(&x).log10() + 30.0).abs() < 1e-6, "{c:?}");
        }
        let mut rng = Rng::new(11);
        let mut s = AudioScene::new(16_000, 1.0);
        s.add_noise(NoiseColor::White, -60.0, &mut rng);
        s.set_reverb(&Reverb::default(), &mut rng);
        let shot = Gunshot {
            peak_dbfs: 12.0,
            ..Gunshot::default()
        };
        s.add(0.25, &Sound::Gunshot(shot), &mut rng);
        let (x, ev) = s.finish();
        assert_eq!(x.len(), 16_000);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].onset, Timestamp::from_millis(250));
        // A +12 dBFS shot clips.
        assert!(x.iter().filter(|v| v.abs() >= 1.0).count() > 3);
        assert!(x.iter().all(|v| v.abs() <= 1.0));
    }
}
