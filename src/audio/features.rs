//! Onset features, one [`FeatureFrame`] per hop.
//!
//! Spectral features are computed over the analysis band `[band_min_hz, band_max_hz]`
//! (clamped to the Nyquist frequency) so that the same configuration describes the same
//! physics at every sample rate; sample-level features are computed on the raw samples.

use super::frontend::{FrameTiming, Framer, Hop, HopStats, SpectrumFrame};
use super::gunshot::GunshotConfig;
use crate::error::ConfigError;
use crate::time::Timestamp;

/// Floor added to every per-bin power before taking logarithms (-120 dB re full scale): it
/// bounds the log of an empty bin and sets the depth of "silence".
pub const POWER_FLOOR: f32 = 1e-12;
/// Floor of the level features, dBFS (digital silence reads as this).
pub const LEVEL_FLOOR_DBFS: f32 = -120.0;

/// The onset features of one hop. Every value is finite.
///
/// Notation: `P[k]` is the one-sided power spectrum of the last `frame_s` seconds
/// (Hann window, scaled so that `sum_k P[k]` approximates the mean square of the frame; full
/// scale = 1), `f_k` the bin frequency, `B` the bins of the analysis band, `x[n]` the hop's
/// samples and `e[n]` their peak-hold envelope (`e[n] = max(|x[n]|, e[n-1]*exp(-1/(release*fs)))`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FeatureFrame {
    /// Hop number since the start of the stream.
    pub index: u64,
    /// Absolute index of the hop's first sample.
    pub start_sample: u64,
    /// Absolute index one past the hop's last sample (the frame can be decided at this sample).
    pub end_sample: u64,
    /// Estimated attack start: the first sample after the last envelope value below 10 % of
    /// the hop's peak (the hop start when the hop is silent or no such value is in the frame).
    pub onset_sample: u64,
    /// Log-compressed, half-wave-rectified spectral flux, dB:
    /// `mean_{k in B} max(0, L_t[k] - L_{t-1}[k])` with `L[k] = 10 log10(P[k] + 1e-12)`.
    pub flux_db: f32,
    /// High-frequency content, dB: `10 log10(sum_{k in B} (f_k / 1 kHz) P[k] + 1e-12)`.
    pub hfc_db: f32,
    /// Level of the hop, dBFS: `10 log10(mean x[n]^2)` (a full-scale square wave is 0 dBFS),
    /// at least -120.
    pub level_dbfs: f32,
    /// Adaptive noise floor before this hop, dBFS (see [`GunshotConfig::floor_rise_s`]).
    pub floor_dbfs: f32,
    /// Level rise over the noise floor, dB: `level_dbfs - floor_dbfs`.
    pub rise_db: f32,
    /// Spectral flatness over the band, 0..1: geometric mean of `P[k] + 1e-12` over arithmetic
    /// mean (1 = white noise, near 0 = a tone); 0 for a silent frame.
    pub flatness: f32,
    /// Spectral centroid over the band, Hz: `sum f_k P[k] / sum P[k]`; 0 for a silent frame.
    pub centroid_hz: f32,
    /// Share of the band's power at or above `hf_split_hz`, 0..1.
    pub hf_ratio: f32,
    /// Largest `|x[n]|` of the hop, dBFS (at least -120).
    pub peak_dbfs: f32,
    /// Crest factor of the frame, dB: `20 log10(max |x| / rms)` over the last `frame_s`
    /// seconds; 0 for a silent frame.
    pub crest_db: f32,
    /// Rise time, microseconds: from the last envelope value below 10 % of the hop's peak to
    /// the first at or above 90 % of the first arrival's peak (the first local maximum of the
    /// envelope that reaches half the hop's peak: the blast itself, or the N-wave of a
    /// supersonic bullet that precedes it). Saturates at the frame length when the envelope
    /// never fell below 10 % within the frame (no attack seen), when that quiet point lies
    /// before the stream started or within its first hop (the stream may have begun in the
    /// middle of the sound: its rise was not observed) or when the hop is silent.
    pub rise_time_us: f32,
    /// Fraction of the hop's samples with `|x|` at or above the clip level, 0..1.
    pub clipped_frac: f32,
    /// Attack time over the preceding level, microseconds: like `rise_time_us`, but the 10 %
    /// and 90 % points are taken on the excursion above `lo`, the envelope's minimum in the
    /// frame before the hop's peak, instead of above zero. A round fired into the
    /// reverberation of the previous one, or a blast over loud steady noise, never lets the
    /// envelope fall to 10 % of its peak (`rise_time_us` saturates) but still rises from `lo`
    /// in well under a millisecond. With `P` the hop's peak: the quiet point is the last
    /// envelope value `<= lo + 0.1 (P - lo)` before the peak, the first arrival the first
    /// local maximum after it reaching `lo + 0.5 (P - lo)`, the attack ends at the first value
    /// `>= lo + 0.9 (q - lo)` (`q` the first arrival's envelope). Saturates at the frame length
    /// when the hop is silent, when its peak is the frame's first sample or does not rise above
    /// `lo` (a louder sound is still decaying), or while the frame
    /// still reaches back to the stream's first sample (the level before the attack is then
    /// unknown: the stream may have begun in the middle of a sound).
    pub attack_time_us: f32,
    /// How far the hop's peak stands above the envelope's minimum before it in the frame, dB:
    /// `20 log10(P / max(lo, 1e-6))`, at least 0; 0 when `attack_time_us` saturates for a
    /// silent hop, a peak at the frame's first sample or not above `lo`, or the stream's first
    /// frame. A sharp blast from quiet reads tens of dB; a round over
    /// the previous round's tail 6-20 dB; a swell of steady noise a few dB.
    pub attack_ratio_db: f32,
}

impl FeatureFrame {
    /// Names of the numeric features, in the order of [`FeatureFrame::values`] (stable: used
    /// as column names of feature matrices and CSV exports).
    pub const NAMES: [&'static str; 14] = [
        "flux_db",
        "hfc_db",
        "level_dbfs",
        "floor_dbfs",
        "rise_db",
        "flatness",
        "centroid_hz",
        "hf_ratio",
        "peak_dbfs",
        "crest_db",
        "rise_time_us",
        "clipped_frac",
        "attack_time_us",
        "attack_ratio_db",
    ];

    /// The numeric features in the order of [`FeatureFrame::NAMES`].
    pub fn values(&self) -> [f32; 14] {
        [
            self.flux_db,
            self.hfc_db,
            self.level_dbfs,
            self.floor_dbfs,
            self.rise_db,
            self.flatness,
            self.centroid_hz,
            self.hf_ratio,
            self.peak_dbfs,
            self.crest_db,
            self.rise_time_us,
            self.clipped_frac,
            self.attack_time_us,
            self.attack_ratio_db,
        ]
    }

    /// The start of the hop at `sample_rate`.
    pub fn start(&self, sample_rate: u32) -> Timestamp {
        Timestamp::from_samples(self.start_sample, sample_rate)
    }
}

/// Streaming onset-feature extractor: samples in, one [`FeatureFrame`] per hop out.
///
/// ```
/// use autotrigger::audio::{GunshotConfig, OnsetFeatures};
/// let mut fx = OnsetFeatures::new(&GunshotConfig::default(), 16_000).unwrap();
/// let mut frames = 0;
/// fx.push(&vec![0.0; 16_000], |_f| frames += 1);
/// assert_eq!(frames, 200); // 5 ms hops
/// ```
#[derive(Debug)]
pub struct OnsetFeatures {
    framer: Framer,
    band: (usize, usize),
    hf_bin: usize,
    prev_db: Vec<f32>,
    /// This hop's band levels, dB (scratch, filled in `State::features`).
    cur_db: Vec<f32>,
    floor: f32,
    floor_up: f32,
    floor_down: f32,
    warmup_hops: u64,
    /// `prev_db` holds the band levels of hop `prev_db_next - 1` (0: the initial levels,
    /// before the stream's first hop). On the gated path a hop whose predecessor was not
    /// analysed has them recomputed from the framer's ring first.
    prev_db_next: u64,
}

impl OnsetFeatures {
    /// Builds an extractor from the feature parameters of `config` (see
    /// [`GunshotConfig::FEATURE_PARAMS`]) at `sample_rate` Hz (8-96 kHz).
    pub fn new(config: &GunshotConfig, sample_rate: u32) -> Result<Self, ConfigError> {
        config.validate()?;
        ConfigError::check_rate(sample_rate, super::MIN_SAMPLE_RATE, super::MAX_SAMPLE_RATE)?;
        let timing = FrameTiming::new(sample_rate, config.hop_s, config.frame_s);
        let clip_level = 10f64.powf(config.clip_level_dbfs / 20.0) as f32;
        let framer = Framer::new(timing, clip_level, config.envelope_release_s)?
            .with_dc_block(config.dc_block_hz)?;
        let df = timing.bin_hz();
        let nyq_bin = timing.bins() - 1;
        let lo = ((config.band_min_hz / df).ceil() as usize).clamp(1, nyq_bin);
        let hi = ((config.band_max_hz / df).floor() as usize).clamp(lo, nyq_bin);
        let hf_bin = ((config.hf_split_hz / df).ceil() as usize).clamp(lo, hi + 1);
        // Only the band's bins are ever read.
        let framer = framer.with_spectrum_bins(lo, hi);
        let hop_s = timing.hop as f64 / sample_rate as f64;
        Ok(OnsetFeatures {
            framer,
            band: (lo, hi),
            hf_bin,
            prev_db: vec![10.0 * POWER_FLOOR.log10(); timing.bins()],
            cur_db: vec![0.0; timing.bins()],
            floor: LEVEL_FLOOR_DBFS,
            floor_up: (hop_s / config.floor_rise_s).min(1.0) as f32,
            floor_down: (hop_s / config.floor_fall_s).min(1.0) as f32,
            warmup_hops: (config.floor_warmup_s / hop_s).round() as u64,
            prev_db_next: 0,
        })
    }

    /// The analysis sizes (hop, frame and FFT length in samples, sample rate).
    pub fn timing(&self) -> FrameTiming {
        self.framer.timing()
    }

    /// The analysis band actually used, Hz (the configured band clamped to the spectrum).
    pub fn band_hz(&self) -> (f32, f32) {
        let df = self.timing().bin_hz();
        (
            (self.band.0 as f64 * df) as f32,
            (self.band.1 as f64 * df) as f32,
        )
    }

    /// NaN or infinite input samples replaced by 0 since construction or reset.
    pub fn non_finite_samples(&self) -> u64 {
        self.framer.non_finite_samples()
    }

    /// Samples consumed since construction or reset.
    pub fn samples_seen(&self) -> u64 {
        self.framer.samples_seen()
    }

    /// Back to the freshly built state (no allocation).
    pub fn reset(&mut self) {
        self.framer.reset();
        self.prev_db.fill(10.0 * POWER_FLOOR.log10());
        self.floor = LEVEL_FLOOR_DBFS;
        self.prev_db_next = 0;
    }

    /// Consumes a block of `f32` samples (full scale = 1.0), calling `f` for every completed
    /// hop. A trailing partial hop is kept for the next call. Does not allocate.
    pub fn push(&mut self, block: &[f32], mut f: impl FnMut(&FeatureFrame)) {
        let (framer, mut st) = self.split();
        let timing = framer.timing();
        framer.push(block, |sf| f(&st.features(timing, sf)));
    }

    /// Consumes a block of 16-bit PCM (`i16::MIN` = -1.0), like [`OnsetFeatures::push`].
    pub fn push_i16(&mut self, block: &[i16], mut f: impl FnMut(&FeatureFrame)) {
        let (framer, mut st) = self.split();
        let timing = framer.timing();
        framer.push_i16(block, |sf| f(&st.features(timing, sf)));
    }

    /// The gated path: consumes `block` and calls `f` for every completed hop with a
    /// [`GatedHop`], whose sample-level features (level, noise floor, rise, peak, clipping)
    /// are always computed and whose frame-level and spectral features are computed only when
    /// `f` asks ([`GatedHop::full`]). Every frame `f` asks for equals, bit for bit, the one
    /// [`OnsetFeatures::push`] gives for the same hop, whichever hops were skipped before it.
    /// Does not allocate.
    pub(crate) fn push_gated(
        &mut self,
        block: &[f32],
        mut f: impl FnMut(&mut GatedHop<'_, '_, '_>),
    ) {
        let (framer, mut st) = self.split();
        let timing = framer.timing();
        framer.push_hops(block, |hop| f(&mut GatedHop::new(hop, &mut st, timing)));
    }

    /// The gated path for 16-bit PCM (see [`OnsetFeatures::push_gated`]).
    pub(crate) fn push_gated_i16(
        &mut self,
        block: &[i16],
        mut f: impl FnMut(&mut GatedHop<'_, '_, '_>),
    ) {
        let (framer, mut st) = self.split();
        let timing = framer.timing();
        framer.push_hops_i16(block, |hop| f(&mut GatedHop::new(hop, &mut st, timing)));
    }

    fn split(&mut self) -> (&mut Framer, State<'_>) {
        (
            &mut self.framer,
            State {
                band: self.band,
                hf_bin: self.hf_bin,
                prev_db: &mut self.prev_db,
                cur_db: &mut self.cur_db,
                floor: &mut self.floor,
                floor_up: self.floor_up,
                floor_down: self.floor_down,
                warmup_hops: self.warmup_hops,
                prev_db_next: &mut self.prev_db_next,
            },
        )
    }
}

/// One hop on the gated path ([`OnsetFeatures::push_gated`]).
pub(crate) struct GatedHop<'h, 'r, 's> {
    hop: &'h mut Hop<'r>,
    st: &'h mut State<'s>,
    timing: FrameTiming,
    frame: FeatureFrame,
    full: bool,
}

impl<'h, 'r, 's> GatedHop<'h, 'r, 's> {
    /// The hop with its sample-level features computed (and nothing else yet).
    fn new(hop: &'h mut Hop<'r>, st: &'h mut State<'s>, timing: FrameTiming) -> Self {
        let frame = st.cheap(timing, hop.index, hop.hop_start, hop.level_stats());
        GatedHop {
            hop,
            st,
            timing,
            frame,
            full: false,
        }
    }
}

impl GatedHop<'_, '_, '_> {
    /// The hop's frame with its sample-level features only: `index`, `start_sample`,
    /// `end_sample`, `level_dbfs`, `floor_dbfs`, `rise_db`, `peak_dbfs` and `clipped_frac`
    /// are those of the full analysis; the others hold the values of a silent frame (0,
    /// `hfc_db` at its floor, rise and attack times saturated, `onset_sample` the hop start)
    /// until [`GatedHop::full`] computes them.
    pub(crate) fn cheap(&self) -> &FeatureFrame {
        &self.frame
    }

    /// The hop's full frame, identical to [`OnsetFeatures::push`]'s: runs the spectral stage
    /// (and, when the previous hop was skipped, the previous frame's spectrum for the flux).
    pub(crate) fn full(&mut self) -> &FeatureFrame {
        if !self.full {
            let st = &mut *self.st;
            if *st.prev_db_next != self.hop.index {
                // The previous hop was skipped: its band levels, as it would have left them.
                let (lo, hi) = st.band;
                let p = self.hop.previous_power();
                for (d, &pf) in st.prev_db[lo..=hi].iter_mut().zip(&p[lo..=hi]) {
                    *d = fast_db10(pf + POWER_FLOOR);
                }
            }
            let sf = self.hop.frame();
            st.spectral(self.timing, &sf, &mut self.frame);
            self.full = true;
        }
        &self.frame
    }
}

/// The extractor's state split from the framer so both can be borrowed in the callback.
struct State<'a> {
    band: (usize, usize),
    hf_bin: usize,
    prev_db: &'a mut Vec<f32>,
    cur_db: &'a mut Vec<f32>,
    floor: &'a mut f32,
    floor_up: f32,
    floor_down: f32,
    warmup_hops: u64,
    prev_db_next: &'a mut u64,
}

/// `10 log10(x)` for a positive normal `x` (the band's powers, floored at `POWER_FLOOR`),
/// within 2e-5 dB of the exact value (the unit test below checks the bound over the whole
/// f32 range from 1e-12 up), in straight-line f32 arithmetic that vectorises: `x = 2^e m`
/// with `m` in `[sqrt(1/2), sqrt(2))` by exponent extraction, then
/// `ln m = 2 atanh(t) = 2 (t + t^3/3 + ... + t^9/9)` with `t = (m - 1) / (m + 1)`,
/// `|t| <= 0.172` (truncation below 1e-9; the error is f32 rounding, mostly of `e ln 2`).
#[inline(always)]
fn fast_db10(x: f32) -> f32 {
    // Bits of sqrt(1/2): `bits(x) - bits(sqrt(1/2))` has `e` in its exponent field.
    const SQRT_HALF_BITS: u32 = 0x3f35_04f3;
    let bits = x.to_bits();
    let e = (bits.wrapping_sub(SQRT_HALF_BITS) as i32) >> 23;
    let m = f32::from_bits(bits.wrapping_sub((e as u32) << 23));
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let ln_m =
        t * (2.0 + t2 * (2.0 / 3.0 + t2 * (2.0 / 5.0 + t2 * (2.0 / 7.0 + t2 * (2.0 / 9.0)))));
    const DB_PER_LN: f32 = 10.0 / core::f32::consts::LN_10;
    // 10 log10(2) split in two: `e * OCTAVE_HI` is exact (|e| < 2^8, 15 significant bits),
    // so the only large rounding is the final sum's.
    const OCTAVE_HI: f32 = 24660.0 / 8192.0;
    const OCTAVE_LO: f32 = 4.605_039e-5;
    let e = e as f32;
    e * OCTAVE_HI + (e * OCTAVE_LO + ln_m * DB_PER_LN)
}

/// `10 log10(x)` of a hop's mean square or squared peak, floored at [`LEVEL_FLOOR_DBFS`]:
/// [`fast_db10`] (within 2e-5 dB; two of these per hop were a libm `log10` each, 2-3 % of
/// `autotrigger detect`). Below 1e-12 (the floor, -120 dB) and for 0 it is the floor.
#[inline]
fn db10(x: f64) -> f32 {
    if x > 1e-12 {
        fast_db10(x as f32).max(LEVEL_FLOOR_DBFS)
    } else {
        LEVEL_FLOOR_DBFS
    }
}

/// `10^(db / 10)`, the power of a level in dB, within 1e-10 (relative) of `10f64.powf(db /
/// 10)` for `|db| <= 300` (the unit test below checks it): `2^y` with `y = db log2(10) / 10`
/// split into an integer power of two (exponent bits) and `2^f`, `f` in `[0, 1)`, from its
/// Taylor series to the 12th term. Per hop in the decider's smoothed level, where libm's
/// `pow` was 2-3 % of `autotrigger detect`.
#[inline]
pub(crate) fn db_to_power(db: f32) -> f64 {
    const LOG2_10_OVER_10: f64 = core::f64::consts::LOG2_10 / 10.0;
    let y = (f64::from(db) * LOG2_10_OVER_10).clamp(-1000.0, 1000.0);
    let i = y.floor();
    let f = (y - i) * core::f64::consts::LN_2;
    // exp(f), f in [0, ln 2): Horner over 1/k!.
    let mut p = 1.0 / 479_001_600.0;
    for k in (1..12).rev() {
        p = p * f + 1.0 / FACTORIAL[k];
    }
    let e = p * f + 1.0;
    // 2^i from its exponent bits: every i in [-1000, 1000] (the clamp) is a normal f64
    // power of two (biased exponent 23..=2023), and e * 2^i in [2^-1000, 2^1001) is exact.
    e * f64::from_bits(((i as i64 + 1023) as u64) << 52)
}

/// `k!` for `k` in `0..12`, for [`db_to_power`].
const FACTORIAL: [f64; 12] = [
    1.0,
    1.0,
    2.0,
    6.0,
    24.0,
    120.0,
    720.0,
    5_040.0,
    40_320.0,
    362_880.0,
    3_628_800.0,
    39_916_800.0,
];

impl State<'_> {
    /// The full analysis of one hop: its sample-level features, then the rest.
    fn features(&mut self, t: FrameTiming, sf: &SpectrumFrame<'_>) -> FeatureFrame {
        let mut fr = self.cheap(t, sf.index, sf.hop_start, &sf.hop);
        self.spectral(t, sf, &mut fr);
        fr
    }

    /// The features computed from the hop's sample statistics alone (level, the noise floor,
    /// which this updates, peak, clipping); the others hold a silent frame's values (see
    /// [`GatedHop::cheap`]).
    fn cheap(
        &mut self,
        t: FrameTiming,
        index: u64,
        hop_start: u64,
        hop: &HopStats,
    ) -> FeatureFrame {
        // Level and adaptive floor (dB domain, asymmetric one-pole).
        let level = db10(hop.sum_sq / t.hop as f64);
        let floor_before = *self.floor;
        let rise = level - floor_before;
        let up = if index < self.warmup_hops {
            // While the stream is young the floor is unknown: let it climb as fast as it falls.
            self.floor_down
        } else {
            self.floor_up
        };
        let a = if level > floor_before {
            up
        } else {
            self.floor_down
        };
        *self.floor = floor_before + a * (level - floor_before);
        let peak = hop.peak;
        let frame_us = (t.frame_len as f64 * 1e6 / t.sample_rate as f64) as f32;
        FeatureFrame {
            index,
            start_sample: hop_start,
            end_sample: hop_start + t.hop as u64,
            onset_sample: hop_start,
            flux_db: 0.0,
            hfc_db: (10.0 * f64::from(POWER_FLOOR).log10()) as f32,
            level_dbfs: level,
            floor_dbfs: floor_before,
            rise_db: rise,
            flatness: 0.0,
            centroid_hz: 0.0,
            hf_ratio: 0.0,
            peak_dbfs: db10(f64::from(peak) * f64::from(peak)),
            crest_db: 0.0,
            rise_time_us: frame_us,
            clipped_frac: hop.clipped as f32 / t.hop as f32,
            attack_time_us: frame_us,
            attack_ratio_db: 0.0,
        }
    }

    /// The spectral and frame-level features of the hop whose sample-level features `fr`
    /// holds (from [`State::cheap`]); updates the previous band levels for the next flux.
    fn spectral(&mut self, t: FrameTiming, sf: &SpectrumFrame<'_>, fr: &mut FeatureFrame) {
        let (lo, hi) = self.band;
        let df = t.bin_hz();
        let p = sf.power;

        let mut flux = 0.0f64;
        let mut sum_p = 0.0f64;
        let mut sum_fp = 0.0f64;
        let mut sum_log = 0.0f64;
        let mut sum_hf = 0.0f64;
        // Only the band's bins are ever read back, so only they are logged (once per bin), in a
        // separate pass that vectorises.
        for (d, &pf) in self.cur_db[lo..=hi].iter_mut().zip(&p[lo..=hi]) {
            *d = fast_db10(pf + POWER_FLOOR);
        }
        for (k, ((&pf, prev), &l)) in p
            .iter()
            .zip(self.prev_db.iter_mut())
            .zip(self.cur_db.iter())
            .enumerate()
            .take(hi + 1)
            .skip(lo)
        {
            let pk = f64::from(pf);
            flux += f64::from((l - *prev).max(0.0));
            *prev = l;
            sum_p += pk;
            sum_fp += k as f64 * df * pk;
            // ln(p) from the dB value already computed: no second logarithm per bin.
            sum_log += f64::from(l) * (core::f64::consts::LN_10 / 10.0);
            if k >= self.hf_bin {
                sum_hf += pk;
            }
        }
        *self.prev_db_next = sf.index + 1;
        let nb = (hi - lo + 1) as f64;
        let silent = sum_p / nb < f64::from(POWER_FLOOR);
        let flatness = if silent {
            0.0
        } else {
            ((sum_log / nb).exp() / (sum_p / nb + f64::from(POWER_FLOOR))).min(1.0) as f32
        };
        let centroid = if silent { 0.0 } else { (sum_fp / sum_p) as f32 };
        let hf_ratio = if silent { 0.0 } else { (sum_hf / sum_p) as f32 };
        let hfc = 10.0 * (sum_fp / 1000.0 + f64::from(POWER_FLOOR)).log10();

        // Frame-level sample features.
        // Sixteen independent f32 lanes so the compiler can vectorise (a single running max/sum
        // is a serial dependency chain), combined in f64; the max is exact in any order. Each
        // lane adds `frame_len / 16` rounded f32 squares, so the energy is within
        // `(frame_len / 16 + 2) * 2^-24` (relative) of the exact sum: at 48 kHz (30 terms a
        // lane) about 2e-6, 1e-5 dB of `crest_db`.
        const L: usize = 16;
        let mut lmax = [0.0f32; L];
        let mut lsq = [0.0f32; L];
        let chunks = sf.samples.chunks_exact(L);
        let tail = chunks.remainder();
        for c in chunks {
            for j in 0..L {
                let a = c[j].abs();
                lmax[j] = if a > lmax[j] { a } else { lmax[j] };
                lsq[j] += c[j] * c[j];
            }
        }
        for (j, &x) in tail.iter().enumerate() {
            let a = x.abs();
            lmax[j] = if a > lmax[j] { a } else { lmax[j] };
            lsq[j] += x * x;
        }
        let fmax = lmax.iter().fold(0.0f32, |m, &v| m.max(v));
        let fsq: f64 = lsq.iter().map(|&v| f64::from(v)).sum();
        let frms = (fsq / sf.samples.len() as f64).sqrt();
        let crest_db = if fmax > 0.0 && frms > 0.0 {
            (20.0 * (f64::from(fmax) / frms).log10()) as f32
        } else {
            0.0
        };
        let (rise_samples, onset_sample) = rise_time(sf, t);
        let rise_time_us = (rise_samples as f64 * 1e6 / t.sample_rate as f64) as f32;
        let (attack_samples, attack_ratio_db) = attack_time(sf, t);

        fr.onset_sample = onset_sample;
        fr.flux_db = (flux / nb) as f32;
        fr.hfc_db = hfc as f32;
        fr.flatness = flatness;
        fr.centroid_hz = centroid;
        fr.hf_ratio = hf_ratio;
        fr.crest_db = crest_db;
        fr.rise_time_us = rise_time_us;
        fr.attack_time_us = (attack_samples as f64 * 1e6 / t.sample_rate as f64) as f32;
        fr.attack_ratio_db = attack_ratio_db;
    }
}

/// Rise time (samples) and attack start (absolute sample) of the hop's peak, searched in the
/// frame's envelope.
fn rise_time(sf: &SpectrumFrame<'_>, t: FrameTiming) -> (usize, u64) {
    let n = sf.envelope.len();
    let peak = sf.hop.peak;
    if peak <= 0.0 {
        return (n, sf.hop_start);
    }
    // Position of the hop's peak inside the frame (the frame ends at the hop's end).
    let frame_end = sf.hop_start + t.hop as u64;
    let back = (frame_end - sf.hop.peak_sample) as usize; // 1..=hop
    let ip = n - back;
    let Some(j) = last_below(&sf.envelope[..ip], 0.1 * peak) else {
        return (n, sf.hop_start);
    };
    if (j as u64) + frame_end < (n + t.hop) as u64 {
        // The quiet point lies before the stream started or within its first hop: the stream
        // may have begun in the middle of the sound, so its rise was not observed. A sound in
        // progress can sit near zero for that long at the stream start (a zero crossing of its
        // lowest components), and behind the DC blocker it always does: the filter is primed
        // with the first sample, so its output starts at exactly 0 and only then follows the
        // sound, which would otherwise read as a sub-millisecond rise from quiet.
        return (n, sf.hop_start);
    }
    let onset = frame_end.saturating_sub((n - (j + 1)) as u64);
    (
        first_arrival_rise(&sf.envelope[..=ip], j, 0.0, 0.5 * peak),
        onset,
    )
}

/// Samples from the quiet point `j` to 90 % of the first arrival's peak, both measured above
/// the level `lo`. The first arrival's peak is the first local maximum of `env` after `j` that
/// reaches `half`: for a plain blast it is the hop's peak (the last value of `env`); when a
/// supersonic bullet's N-wave precedes the blast by a few ms, it is the N-wave, whose rise is
/// the attack.
fn first_arrival_rise(env: &[f32], j: usize, lo: f32, half: f32) -> usize {
    let ip = env.len() - 1;
    let first = (j + 1..=ip)
        .find(|&m| env[m] >= half && (m == ip || env[m + 1] < env[m]))
        .unwrap_or(ip);
    let b = lo + 0.9 * (env[first] - lo);
    let k = (j + 1..=first).find(|&m| env[m] >= b).unwrap_or(first);
    k - j
}

/// `v.iter().rposition(|&e| e < thr)`, searched 16 values at a time: each block is tested with
/// a branch-free fold (vectorisable) and only the block holding the answer is scanned.
fn last_below(v: &[f32], thr: f32) -> Option<usize> {
    const B: usize = 16;
    let mut end = v.len();
    while end >= B {
        let block = &v[end - B..end];
        if block.iter().fold(false, |any, &e| any | (e < thr)) {
            return block.iter().rposition(|&e| e < thr).map(|i| end - B + i);
        }
        end -= B;
    }
    v[..end].iter().rposition(|&e| e < thr)
}

/// The smallest value of `v` (`+inf` when empty), in eight independent lanes: the envelope
/// never holds NaN, and `min` of non-NaN values is exact in any order, so this is the value of
/// the sequential fold without its serial dependency chain.
fn min_of(v: &[f32]) -> f32 {
    let mut lanes = [f32::INFINITY; 8];
    let chunks = v.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for j in 0..8 {
            lanes[j] = if c[j] < lanes[j] { c[j] } else { lanes[j] };
        }
    }
    for (j, &e) in tail.iter().enumerate() {
        lanes[j] = if e < lanes[j] { e } else { lanes[j] };
    }
    lanes
        .iter()
        .fold(f32::INFINITY, |m, &e| if e < m { e } else { m })
}

/// Attack time (samples) and attack ratio (dB) of the hop's peak over the envelope's minimum
/// before it in the frame (see [`FeatureFrame::attack_time_us`]).
fn attack_time(sf: &SpectrumFrame<'_>, t: FrameTiming) -> (usize, f32) {
    let n = sf.envelope.len();
    let peak = sf.hop.peak;
    let frame_end = sf.hop_start + t.hop as u64;
    // Frame positions before the stream start hold no observed samples.
    let s0 = (n as u64).saturating_sub(frame_end) as usize;
    // A silent hop has no peak (and its `peak_sample` is not a position in this hop): nothing
    // attacks. Checked before the peak's position is computed, which would underflow.
    if peak <= 0.0 {
        return (n, 0.0);
    }
    // `frame_end - peak_sample` is 1..=hop for a hop with a peak.
    let ip = n - (frame_end - sf.hop.peak_sample) as usize;
    // The level before an attack is only known once the frame lies wholly inside the stream
    // and does not start at its first sample (a stream that begins in the middle of a sound
    // would otherwise show its first dip as the quiet point).
    if ip <= s0 || frame_end <= n as u64 {
        return (n, 0.0);
    }
    let env = &sf.envelope[..=ip];
    let lo = min_of(&env[s0..ip]);
    if lo >= peak {
        // The envelope never fell below the hop's peak (a louder sound is still decaying):
        // nothing rises here.
        return (n, 0.0);
    }
    let ratio_db = (20.0 * (f64::from(peak) / f64::from(lo.max(1e-6))).log10()).max(0.0) as f32;
    let a = lo + 0.1 * (peak - lo);
    // Exists: the minimum itself lies below `a`.
    let j = s0 + env[s0..ip].iter().rposition(|&e| e <= a).unwrap_or(0);
    let half = lo + 0.5 * (peak - lo);
    (first_arrival_rise(env, j, lo, half), ratio_db)
}

#[cfg(test)]
mod tests {
    use super::OnsetFeatures;
    use super::{db10, db_to_power, fast_db10, LEVEL_FLOOR_DBFS};
    use crate::audio::GunshotConfig;

    /// Digital silence after the stream's first frame (a muted microphone, a gap in a
    /// recording): every hop whose samples are all exactly zero has its attack and rise
    /// saturated at the frame length with a 0 dB ratio, in f32 and in 16-bit input, and nothing
    /// panics. Regression: the hop's peak position was computed before the silent-hop return
    /// and underflowed (`frame_end - peak_sample`, with the silent hop's `peak_sample` = 0,
    /// exceeds the frame length once the stream is longer than one frame): a panic with
    /// overflow checks on (the `checked` profile of `.ci/run`).
    #[test]
    fn digital_silence_saturates_attack_and_rise_without_panicking() {
        let rate = 16_000;
        // 0.5 s of silence, a 2 ms click at 0.5 s, then 1 s of silence.
        let click = 8_000..8_032;
        let mut x = vec![0f32; 24_000];
        for (i, v) in x[click.clone()].iter_mut().enumerate() {
            *v = if i % 2 == 0 { 0.5 } else { -0.5 };
        }
        let x16: Vec<i16> = x.iter().map(|&v| (v * 32_767.0) as i16).collect();
        // Behind the DC blocker (on by default) the click leaves a decaying tail, never exactly
        // zero: the silence after it is exact only with the blocker off.
        let cfg_off = GunshotConfig {
            dc_block_hz: 0.0,
            ..GunshotConfig::default()
        };
        let mut checked = 0;
        for (cfg, after_too) in [(GunshotConfig::default(), false), (cfg_off, true)] {
            let mut fx = OnsetFeatures::new(&cfg, rate).unwrap();
            let t = fx.timing();
            let frame_us = (t.frame_len as f64 * 1e6 / f64::from(rate)) as f32;
            let mut frames = Vec::new();
            for chunk in x.chunks(37) {
                fx.push(chunk, |f| frames.push(*f));
            }
            fx.reset();
            for chunk in x16.chunks(160) {
                fx.push_i16(chunk, |f| frames.push(*f));
            }
            assert_eq!(frames.len(), 2 * 24_000 / t.hop);
            // The click itself is seen: the stretch is not silent throughout.
            assert!(frames.iter().any(|f| f.peak_dbfs > -10.0));
            for f in &frames {
                let silent = f.end_sample <= click.start as u64
                    || (after_too && f.start_sample >= click.end as u64);
                if !silent {
                    continue;
                }
                checked += 1;
                assert_eq!(f.attack_time_us, frame_us, "hop {}", f.index);
                assert_eq!(f.attack_ratio_db, 0.0, "hop {}", f.index);
                assert_eq!(f.rise_time_us, frame_us, "hop {}", f.index);
                assert_eq!(f.onset_sample, f.start_sample, "hop {}", f.index);
            }
        }
        // 100 silent hops before the click in each of the four runs, 199 after it in two.
        assert!(
            checked >= 4 * 100 + 2 * 199,
            "{checked} silent hops checked"
        );
    }

    /// A deterministic noisy signal with bursts, loud from its first sample.
    fn bursts(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                let burst = if (i / 1_600) % 3 == 0 { 0.8 } else { 0.02 };
                noise * burst
            })
            .collect()
    }

    /// `reset` restores exactly what `new` built: after a stream, a reset extractor gives the
    /// frames of a fresh one, field for field, from the first hop on (the flux compares
    /// with the reset previous spectrum, the floor restarts from its initial level).
    #[test]
    fn reset_gives_the_frames_of_a_fresh_extractor() {
        let rate = 16_000;
        let cfg = GunshotConfig::default();
        let first = bursts(20_000, 7);
        let second = bursts(12_000, 11);
        let mut fresh = OnsetFeatures::new(&cfg, rate).unwrap();
        let mut want = Vec::new();
        fresh.push(&second, |f| want.push(*f));
        let mut used = OnsetFeatures::new(&cfg, rate).unwrap();
        used.push(&first, |_| {});
        used.reset();
        assert_eq!(used.samples_seen(), 0);
        let mut got = Vec::new();
        used.push(&second, |f| got.push(*f));
        assert_eq!(got.len(), 12_000 / used.timing().hop);
        // The first frame has a flux over the reset spectrum: not a vacuous comparison.
        assert!(want[0].flux_db > 0.0, "{:?}", want[0]);
        assert_eq!(got, want);
    }

    /// On the gated path a hop that is never analysed keeps the values of a silent frame
    /// (`GatedHop::cheap`'s contract): on digital silence, the cheap frame of every hop is
    /// its full frame, rise and attack times saturated at the frame length included.
    #[test]
    fn a_silent_hops_cheap_frame_is_its_full_frame() {
        let cfg = GunshotConfig {
            dc_block_hz: 0.0,
            ..GunshotConfig::default()
        };
        for rate in [8_000, 48_000] {
            let mut fx = OnsetFeatures::new(&cfg, rate).unwrap();
            let t = fx.timing();
            let frame_us = (t.frame_len as f64 * 1e6 / f64::from(rate)) as f32;
            let mut n = 0;
            for block in vec![0f32; rate as usize / 2].chunks(333) {
                fx.push_gated(block, |h| {
                    let cheap = *h.cheap();
                    let full = *h.full();
                    assert_eq!(cheap.attack_time_us, frame_us, "{rate} Hz");
                    assert_eq!(cheap.rise_time_us, frame_us, "{rate} Hz");
                    assert_eq!(cheap, full, "{rate} Hz");
                    n += 1;
                });
            }
            assert_eq!(n, rate as usize / 2 / t.hop);
        }
    }

    /// The band used is the configured band on whole FFT bins, inside it, and clamped to the
    /// spectrum (Nyquist) at low rates.
    #[test]
    fn the_band_used_is_the_configured_band_on_whole_bins() {
        for rate in [8_000, 16_000, 44_100, 96_000] {
            for (lo, hi) in [(100.0, 4_000.0), (300.0, 3_000.0), (50.0, 20_000.0)] {
                let cfg = GunshotConfig {
                    band_min_hz: lo,
                    band_max_hz: hi,
                    ..GunshotConfig::default()
                };
                let fx = OnsetFeatures::new(&cfg, rate).unwrap();
                let df = fx.timing().bin_hz() as f32;
                let (got_lo, got_hi) = fx.band_hz();
                let top = (hi as f32).min(rate as f32 / 2.0);
                let ctx = format!("{rate} Hz, band {lo}-{hi}: got {got_lo}-{got_hi}, bin {df}");
                assert!(
                    got_lo >= lo as f32 - 1e-3 && got_lo < lo as f32 + df,
                    "{ctx}"
                );
                assert!(got_hi <= top + 1e-3 && got_hi > top - df - 1e-3, "{ctx}");
                let bins = got_lo / df;
                assert!((bins - bins.round()).abs() < 1e-3, "{ctx}");
            }
        }
    }

    /// `db_to_power` against libm's `powf` over a dense sweep of levels, and `db10`'s floor.
    #[test]
    fn db_to_power_and_db10_are_within_their_bounds() {
        let mut worst = 0f64;
        for i in -300_000..=300_000 {
            let db = i as f32 * 1e-3 + (i % 13) as f32 * 3.1e-5;
            let want = 10f64.powf(f64::from(db) / 10.0);
            worst = worst.max(((db_to_power(db) - want) / want).abs());
        }
        assert!(worst <= 1e-10, "worst relative error {worst:e}");
        assert!(worst > 0.0);
        assert_eq!(db_to_power(0.0), 1.0);
        // Beyond the clamp (|db| > 3010): the extreme normal powers 2^1000 and 2^-1000.
        for (db, want) in [(1e6f32, 2f64.powi(1000)), (-1e6, 2f64.powi(-1000))] {
            assert_eq!(db_to_power(db), want, "{db}");
        }
        for x in [0.0, 1e-13, 1e-12, f64::NAN] {
            assert_eq!(db10(x), LEVEL_FLOOR_DBFS, "{x}");
        }
        for x in [1.1e-12, 1e-6, 0.5, 1.0, 4.0, 1e12] {
            let err = (f64::from(db10(x)) - 10.0 * x.log10()).abs();
            assert!(err <= 2e-5, "{x}: {err}");
        }
    }

    /// Against the f64 `10 log10`, for every power of two from 1e-12 to f32::MAX and a dense
    /// sweep of mantissas within each octave (including both ends of the `m` interval).
    #[test]
    fn fast_db10_is_within_its_bound() {
        let mut worst = 0f64;
        let mut x = 1e-12f32;
        while x.is_finite() {
            for i in 0..4096u32 {
                let v = f32::from_bits(x.to_bits() + i * 2048 + (i % 7));
                if !v.is_finite() {
                    break;
                }
                let err = (f64::from(fast_db10(v)) - 10.0 * f64::from(v).log10()).abs();
                worst = worst.max(err);
            }
            x *= 2.0;
        }
        for v in [
            1e-12f32,
            core::f32::consts::FRAC_1_SQRT_2,
            f32::from_bits(core::f32::consts::FRAC_1_SQRT_2.to_bits() + 1),
            1.0,
            f32::from_bits(core::f32::consts::SQRT_2.to_bits() - 1),
            core::f32::consts::SQRT_2,
            2.0,
            1e6,
        ] {
            let err = (f64::from(fast_db10(v)) - 10.0 * f64::from(v).log10()).abs();
            worst = worst.max(err);
        }
        assert!(worst <= 2e-5, "worst error {worst} dB");
        // The bound is not vacuous: the error is f32 rounding, not exactly 0.
        assert!(worst > 0.0);
        println!("fast_db10: worst error {worst:e} dB");
        // In the central octave (`e` = 0) there is no `e ln 2` to round: the series alone,
        // within f32 rounding of results under 1.6 dB (the t^7 term alone is 4e-6 dB at the
        // octave's ends, the t^9 term 1.2e-7 dB).
        let mut central = 0f64;
        let lo = core::f32::consts::FRAC_1_SQRT_2.to_bits();
        let hi = core::f32::consts::SQRT_2.to_bits();
        for b in (lo..hi).step_by(97) {
            let v = f32::from_bits(b);
            let err = (f64::from(fast_db10(v)) - 10.0 * f64::from(v).log10()).abs();
            central = central.max(err);
        }
        println!("fast_db10: worst error {central:e} dB in [sqrt(1/2), sqrt(2))");
        assert!(central <= 1e-6, "central octave: worst error {central} dB");
    }
}
