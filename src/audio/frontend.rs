//! Streaming front end: blocks of any size -> (optional DC-blocking high-pass) -> overlapping
//! windowed frames -> power spectra.
//!
//! Every hop (`hop_s` seconds, about 5 ms) the [`Framer`] hands its consumer the last
//! `frame_s` seconds of signal, Hann-windowed and transformed with a real FFT (a half-length
//! complex `rustfft` FFT planned once, `process_with_scratch`, post-processed only for the
//! bins the consumer reads), together with sample-level statistics of the hop.
//! The FFT length is the next power of two at or above the frame length, so the sizes follow
//! from seconds at every rate. All buffers are allocated in [`Framer::new`]; [`Framer::push`]
//! does not allocate.

use crate::error::ConfigError;
use crate::time::secs_to_samples;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Input samples are clamped to +-this many full scale (1e6 FS = +120 dB over full scale,
/// far beyond any clipping microphone path), so frame powers, flux and HFC stay finite in
/// f32 whatever finite value arrives. Normal signals (|x| <= 1) are unchanged.
pub const MAX_SAMPLE_FS: f32 = 1e6;

/// Envelope values below this are flushed to 0: a decaying envelope would otherwise crawl
/// through subnormals (each a slow microcode assist) after a sound ends in digital silence.
const ENV_FLUSH: f32 = 1e-30;

/// `max` of two numbers that are never NaN (sanitised samples, the envelope): one `maxss`,
/// where `f32::max`'s NaN handling costs three instructions on the envelope's dependency
/// chain. The same value as `f32::max` for non-NaN inputs (no signed zeros occur: every
/// operand is at least `ENV_CARRY_FLOOR`, or `|x|`).
#[inline(always)]
fn max(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// A 16-bit PCM sample as `f32` full scale: `x / 32768`, exact.
#[inline(always)]
fn i16_sample(x: i16) -> f32 {
    f32::from(x) * (1.0 / 32768.0)
}

/// Highest corner frequency of the DC blocker, Hz (see [`Framer::with_dc_block`]).
pub const MAX_DC_BLOCK_HZ: f64 = 200.0;

/// The envelope's values are carried floored at this level and flushed (below `ENV_FLUSH`)
/// only when stored: `flush(max(u, floor)) = flush(u)` because the floor lies below the flush
/// level, and the floor keeps the carried values normal (no subnormal arithmetic) with the
/// flush test off the sequential dependency chain (see `ENV_BLOCK`).
const ENV_CARRY_FLOOR: f32 = 1e-31;

/// The envelope is computed in blocks of this many samples at absolute stream positions
/// (`samples_seen % ENV_BLOCK`), as
/// `e[n] = flush(max(l[n], A * r^(k+1)))` where `k` is `n`'s position in its block, `A` the
/// carried (unflushed) value at the end of the previous block and
/// `l[n] = max(|x[n]|, floor, l[n-1] * r)` the recursion restarted at the block's first sample
/// (`ENV_CARRY_FLOOR` is the floor). Mathematically this is the peak-hold recursion
/// `e[n] = max(|x[n]|, e[n-1] * r)` (a max of decayed samples, which distributes over `max`);
/// in f32 the carried value takes one rounding per block instead of one per sample, so the
/// values differ from the sample-by-sample recursion in the last bits only (relative error
/// below `(n_blocks + ENV_BLOCK + 1) * 2^-24` after `n_blocks` blocks, against the exact
/// recursion's `n * 2^-24`). The sequential chain from one block to the next is one multiply
/// and one `max`, and every sample gets the same expression whatever the block partition.
const ENV_BLOCK: usize = 8;

/// Lanes of the hop energy sum: sample `i` of a hop (counted from the hop's start) adds its
/// f32 square to lane `i % SQ_LANES` (f32: eight lanes in two SSE registers; in f64 the
/// widening was 5 % of `autotrigger detect`), and the lanes are added in f64, pairwise, when
/// the hop completes. Independent of the partition; within `(hop / SQ_LANES + 1) * 2^-24`
/// (relative) of the exact sum (tested against an f64 running sum).
const SQ_LANES: usize = 8;

/// One sample of the envelope's carried value (see `ENV_BLOCK`), for the heads and tails of
/// segments that do not cover whole blocks: the local recursion, and at a block's last sample
/// the new carried value, `max(l[ENV_BLOCK - 1], A * r^ENV_BLOCK)` (the block's last envelope
/// value before the flush), the same arithmetic as the block loop of `push_segment` and as
/// [`EnvelopeCache::frame`]. Returns true when a block was completed.
#[inline(always)]
fn carry_step(
    x: f32,
    phase: &mut usize,
    local: &mut f32,
    anchor: &mut f32,
    release: f32,
    rp: &[f32; ENV_BLOCK],
) -> bool {
    let a = max(x.abs(), ENV_CARRY_FLOOR);
    *local = if *phase == 0 {
        a
    } else {
        max(a, *local * release)
    };
    *phase += 1;
    if *phase == ENV_BLOCK {
        *anchor = max(*local, *anchor * rp[ENV_BLOCK - 1]);
        *phase = 0;
        true
    } else {
        false
    }
}

/// The peak-hold envelope, computed only for the frames that are analysed. On every sample
/// the framer carries only the envelope's value at the block boundaries (see `ENV_BLOCK`),
/// kept here for the blocks of the last frame; [`EnvelopeCache::frame`] then evaluates the
/// envelope of a frame's samples from the sample ring and those carried values with the very
/// expression of `ENV_BLOCK` (so bit for bit the values of the per-sample evaluation),
/// reusing the values already evaluated for an earlier frame.
struct EnvelopeCache {
    /// `values[n % frame_len]`: the envelope of absolute sample `n`, for the last `frame_len`
    /// samples before `done`.
    values: Vec<f32>,
    /// `anchors[b % anchors.len()]`: the carried value entering block `b` (the floor for block
    /// 0), for the blocks of the last frame.
    anchors: Vec<f32>,
    /// Samples whose envelope is in `values`.
    done: u64,
    release: f32,
    /// `r^(k+1)` for `k` in `0..ENV_BLOCK`, `r` the envelope's per-sample decay.
    release_pow: [f32; ENV_BLOCK],
}

impl EnvelopeCache {
    fn new(frame_len: usize, release: f32, release_pow: [f32; ENV_BLOCK]) -> Self {
        // A frame touches at most `ceil(frame_len / ENV_BLOCK) + 1` blocks, and the carried
        // value of the block after the frame's last may already be stored.
        let mut anchors = vec![0.0; frame_len / ENV_BLOCK + 3];
        anchors[0] = ENV_CARRY_FLOOR;
        EnvelopeCache {
            values: vec![0.0; frame_len],
            anchors,
            done: 0,
            release,
            release_pow,
        }
    }

    fn reset(&mut self) {
        self.values.fill(0.0);
        self.anchors.fill(0.0);
        self.anchors[0] = ENV_CARRY_FLOOR;
        self.done = 0;
    }

    /// The slot of `anchors` of block `block`.
    fn anchor_slot(&self, block: u64) -> usize {
        (block % self.anchors.len() as u64) as usize
    }

    /// Stores the carried value of the block in `slot` and moves `slot` to the next block.
    #[inline(always)]
    fn set_anchor(&mut self, slot: &mut usize, anchor: f32) {
        self.anchors[*slot] = anchor;
        *slot += 1;
        if *slot == self.anchors.len() {
            *slot = 0;
        }
    }

    /// Evaluates the envelope of the last `frame_len` samples before `end` (absolute sample
    /// `n` at `ring[n % ring.len()]`, which holds at least `ENV_BLOCK - 1` samples more than a
    /// frame) and writes it, oldest first, into `out`.
    fn frame(&mut self, ring: &[f32], end: u64, out: &mut [f32]) {
        let f = self.values.len() as u64;
        let rl = ring.len() as u64;
        let na = self.anchors.len() as u64;
        let (release, rp) = (self.release, &self.release_pow);
        let start = self.done.max(end.saturating_sub(f));
        let eb = ENV_BLOCK as u64;
        let mut b0 = start / eb * eb;
        // Ring positions, advanced with the blocks (no division per block).
        let mut xi = (b0 % rl) as usize;
        let mut ai = ((b0 / eb) % na) as usize;
        let mut vi = (start % f) as usize;
        while b0 < end {
            // The block's samples (those at or after `end`, read from older ring entries, only
            // reach values that are not stored).
            let mut a = [0f32; ENV_BLOCK];
            for d in a.iter_mut() {
                *d = max(ring[xi].abs(), ENV_CARRY_FLOOR);
                xi += 1;
                if xi == ring.len() {
                    xi = 0;
                }
            }
            let mut l = a;
            for j in 1..ENV_BLOCK {
                l[j] = max(a[j], l[j - 1] * release);
            }
            let anchor = self.anchors[ai];
            ai += 1;
            if ai == self.anchors.len() {
                ai = 0;
            }
            let k0 = (start.max(b0) - b0) as usize;
            let k1 = (end.min(b0 + eb) - b0) as usize;
            for k in k0..k1 {
                let v = max(l[k], anchor * rp[k]);
                self.values[vi] = if v < ENV_FLUSH { 0.0 } else { v };
                vi += 1;
                if vi == self.values.len() {
                    vi = 0;
                }
            }
            b0 += eb;
        }
        self.done = end;
        // Oldest first: sample `end - frame_len` is at `end % frame_len`.
        let (new, old) = self.values.split_at((end % f) as usize);
        out[..old.len()].copy_from_slice(old);
        out[old.len()..].copy_from_slice(new);
    }
}

/// `v.iter().position(|x| x.abs() == t)`, searched 16 values at a time: each block is tested
/// with a branch-free fold (vectorisable) and only the block holding the answer is scanned.
/// The same first position (the sequential scan was 14 % of `autotrigger detect` once the
/// gated front end had removed most of the spectral work).
fn first_abs_eq(v: &[f32], t: f32) -> Option<usize> {
    const B: usize = 16;
    let mut chunks = v.chunks_exact(B);
    let mut base = 0;
    for c in &mut chunks {
        if c.iter().fold(false, |any, &x| any | (x.abs() == t)) {
            return c.iter().position(|x| x.abs() == t).map(|i| base + i);
        }
        base += B;
    }
    chunks
        .remainder()
        .iter()
        .position(|x| x.abs() == t)
        .map(|i| base + i)
}

/// Sizes of the analysis, in samples and hertz, derived from seconds at construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameTiming {
    /// Samples per second of the input.
    pub sample_rate: u32,
    /// Hop between consecutive frames, samples.
    pub hop: usize,
    /// Analysis window (frame) length, samples.
    pub frame_len: usize,
    /// FFT length (power of two, at least `frame_len`).
    pub fft_len: usize,
}

impl FrameTiming {
    /// Sizes for `hop_s` / `frame_s` seconds at `sample_rate`. The frame is at least one hop
    /// and at least 16 samples long.
    pub fn new(sample_rate: u32, hop_s: f64, frame_s: f64) -> Self {
        let hop = secs_to_samples(hop_s, sample_rate, 1);
        let frame_len = secs_to_samples(frame_s, sample_rate, 16).max(hop);
        FrameTiming {
            sample_rate,
            hop,
            frame_len,
            fft_len: frame_len.next_power_of_two(),
        }
    }

    /// Frequency resolution of the spectrum, Hz per bin.
    pub fn bin_hz(&self) -> f64 {
        self.sample_rate as f64 / self.fft_len as f64
    }

    /// Number of bins of the one-sided spectrum (`fft_len / 2 + 1`).
    pub fn bins(&self) -> usize {
        self.fft_len / 2 + 1
    }

    /// Duration of one hop in microseconds (rounded down).
    pub fn hop_us(&self) -> i64 {
        (self.hop as i64 * 1_000_000) / self.sample_rate.max(1) as i64
    }
}

/// Sample-level statistics of the samples of one hop.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HopStats {
    /// Sum of squared samples of the hop.
    pub sum_sq: f64,
    /// Largest `|x|` in the hop.
    pub peak: f32,
    /// Absolute index of the (first) sample holding `peak`.
    pub peak_sample: u64,
    /// Samples of the hop at or above the clip level (counted on the input, before the DC
    /// blocker, if any).
    pub clipped: u32,
}

/// One analysed frame, borrowed from the [`Framer`] for the duration of the callback.
#[derive(Debug)]
pub struct SpectrumFrame<'a> {
    /// Hop number (0 for the first full hop of the stream).
    pub index: u64,
    /// Absolute index of the first sample of this hop.
    pub hop_start: u64,
    /// Statistics of the hop's samples.
    pub hop: HopStats,
    /// The last `frame_len` samples, oldest first (zeros before the stream started).
    pub samples: &'a [f32],
    /// The peak-hold envelope of those samples, oldest first.
    pub envelope: &'a [f32],
    /// One-sided power spectrum, `bins()` values, scaled so that its sum approximates the mean
    /// square of the frame (full scale = 1): `P[k] = 2 |X[k]|^2 / (N * sum(w^2))`. Only the
    /// bins chosen with [`Framer::with_spectrum_bins`] (by default all) are computed; the
    /// others hold 0.
    pub power: &'a [f32],
}

/// Streaming framer + windowed real FFT.
///
/// The sample stage (sanitising, DC blocker, the envelope's carried value at each block
/// boundary, hop energy and peak) runs on every sample; the spectral stage (frame copy, the
/// frame's envelope, window, FFT, power) only when a hop's consumer asks for it ([`Framer::push_hops`], [`Hop::frame`]), or on every hop ([`Framer::push`]). The
/// sample ring keeps one hop more than a frame, so the frame one hop back can still be
/// analysed after the fact ([`Hop::previous_power`]), for a consumer that needs the previous
/// spectrum (the flux) of a hop whose predecessor it skipped.
pub struct Framer {
    timing: FrameTiming,
    clip_level: f32,
    /// Ring of the last `frame_len + max(hop, ENV_BLOCK - 1)` samples (the current frame, the
    /// hop before it, and the start of the envelope block holding the frame's first sample):
    /// absolute sample `n` at `ring[n % ring.len()]`.
    ring: Vec<f32>,
    /// Write position (the oldest entry) of `ring`.
    pos: usize,
    /// The envelope's carried value at the last block boundary (see `ENV_BLOCK`).
    env: f32,
    /// The envelope's local recursion within the current block (see `ENV_BLOCK`).
    env_local: f32,
    /// The envelope of the analysed frames (see `EnvelopeCache`).
    env_cache: EnvelopeCache,
    /// The hop energy's lanes (see `SQ_LANES`).
    sq_lanes: [f32; SQ_LANES],
    spec: Spectral,
    // Stream position.
    samples_seen: u64,
    hop_fill: usize,
    hop_index: u64,
    stats: HopStats,
    non_finite: u64,
    dc: DcBlocker,
}

/// The spectral stage's buffers: ordered frame copies, window, FFT and power spectrum.
struct Spectral {
    // Ordered copies handed to the consumer.
    ordered: Vec<f32>,
    env_ordered: Vec<f32>,
    window: Vec<f32>,
    /// Complex FFT of half the FFT length (see `Spectral::power_of`).
    fft: Arc<dyn Fft<f32>>,
    /// Its in-place buffer: `z[n] = w[2n] x[2n] + i w[2n+1] x[2n+1]`, zero padded.
    fft_buf: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// `exp(-2 pi i k / fft_len)` for `k` in `0..=fft_len / 2`.
    twiddle: Vec<Complex<f32>>,
    /// The bins of `power` that are computed (see [`Framer::with_spectrum_bins`]).
    spectrum_bins: (usize, usize),
    power: Vec<f32>,
    power_scale: f32,
}

/// A completed hop, handed to the consumer of [`Framer::push_hops`]: the hop's sample-level
/// statistics ([`Hop::stats`]) and its spectrum ([`Hop::frame`]) on demand.
pub struct Hop<'a> {
    /// Hop number (0 for the first full hop of the stream).
    pub index: u64,
    /// Absolute index of the first sample of this hop.
    pub hop_start: u64,
    /// Statistics of the hop's samples but the peak's position (`peak_sample` 0), which
    /// [`Hop::stats`] searches.
    stats: HopStats,
    ring: &'a [f32],
    pos: usize,
    /// Samples seen at the end of the hop.
    end: u64,
    env: &'a mut EnvelopeCache,
    hop: usize,
    spec: &'a mut Spectral,
}

impl Hop<'_> {
    /// Statistics of the hop's samples. The peak's first position is searched in the hop's
    /// samples on each call (`peak_sample` is 0 for a silent hop).
    pub fn stats(&self) -> HopStats {
        let mut st = self.stats;
        if st.peak > 0.0 {
            // The hop's samples, oldest first: the `hop` ring entries before `pos`, wrapping.
            let (a, b) = if self.pos >= self.hop {
                (&self.ring[self.pos - self.hop..self.pos], &self.ring[..0])
            } else {
                let wrapped = self.ring.len() - (self.hop - self.pos);
                (&self.ring[wrapped..], &self.ring[..self.pos])
            };
            let j =
                first_abs_eq(a, st.peak).or_else(|| first_abs_eq(b, st.peak).map(|j| a.len() + j));
            // The peak is the largest `|x|` of these very samples, so it is found.
            st.peak_sample = self.hop_start + j.unwrap_or(0) as u64;
        }
        st
    }

    /// The hop's statistics without the peak's position (`peak_sample` 0): energy, peak and
    /// clip count, for a consumer that reads nothing else (the gated front end's cheap path).
    pub(crate) fn level_stats(&self) -> &HopStats {
        &self.stats
    }

    /// The analysed frame of this hop (the same as [`Framer::push`] hands out): copies the
    /// frame and its envelope, windows and transforms it.
    pub fn frame(&mut self) -> SpectrumFrame<'_> {
        let n = self.spec.ordered.len();
        // The current frame: the last `n` samples of the ring.
        let start = (self.pos + self.ring.len() - n) % self.ring.len();
        self.spec.power_of(self.ring, start);
        self.env
            .frame(self.ring, self.end, &mut self.spec.env_ordered);
        SpectrumFrame {
            index: self.index,
            hop_start: self.hop_start,
            hop: self.stats(),
            samples: &self.spec.ordered,
            envelope: &self.spec.env_ordered,
            power: &self.spec.power,
        }
    }

    /// The power spectrum of the frame one hop earlier (the previous hop's `power`, bit for
    /// bit: the same samples through the same arithmetic; zeros before the stream started).
    /// Uses the same buffers as [`Hop::frame`]: call it first.
    pub fn previous_power(&mut self) -> &[f32] {
        // The previous frame ends one hop before the current one.
        let back = self.spec.ordered.len() + self.hop;
        let start = (self.pos + self.ring.len() - back) % self.ring.len();
        self.spec.power_of(self.ring, start);
        &self.spec.power
    }
}

/// One-pole DC-blocking high-pass, `y[n] = g (x[n] - x[n-1]) + R y[n-1]` with
/// `R = exp(-2 pi fc / fs)` and `g = (1 + R) / 2` (unity gain at the Nyquist frequency, -3 dB
/// near `fc`). It is evaluated four samples apart,
/// `y[n] = R^4 y[n-4] + g (d[n] + R d[n-1] + R^2 d[n-2] + R^3 d[n-3])` with
/// `d[n] = x[n] - x[n-1]` (the same filter, unrolled), so the sequential chain is one multiply
/// and one add per four samples; every output is the same expression of the same absolute
/// samples, whatever the block partition. Before the first sample the input is taken to have
/// been at the first sample's value forever, so a constant offset gives no start-up click.
#[derive(Debug, Clone, Copy)]
struct DcBlocker {
    /// Off when the corner is 0 Hz (samples pass unchanged).
    on: bool,
    /// `g, g R, g R^2, g R^3`.
    c: [f32; 4],
    /// `R^4`.
    r4: f32,
    /// The last four inputs, oldest first.
    x: [f32; 4],
    /// The last four outputs, oldest first.
    y: [f32; 4],
    /// False until the first sample has been seen.
    primed: bool,
}

impl DcBlocker {
    fn new(corner_hz: f64, sample_rate: u32) -> Self {
        let r = (-core::f64::consts::TAU * corner_hz / f64::from(sample_rate)).exp();
        let g = (1.0 + r) / 2.0;
        DcBlocker {
            on: corner_hz > 0.0,
            c: [
                g as f32,
                (g * r) as f32,
                (g * r * r) as f32,
                (g * r * r * r) as f32,
            ],
            r4: r.powi(4) as f32,
            x: [0.0; 4],
            y: [0.0; 4],
            primed: false,
        }
    }

    fn reset(&mut self) {
        self.x = [0.0; 4];
        self.y = [0.0; 4];
        self.primed = false;
    }

    /// Filters `buf` in place.
    #[inline]
    fn run(&mut self, buf: &mut [f32]) {
        if !self.on || buf.is_empty() {
            return;
        }
        self.prime(buf[0]);
        let (mut xs, mut ys) = (self.x, self.y);
        let mut quads = buf.chunks_exact_mut(4);
        for q in &mut quads {
            self.quad(&mut xs, &mut ys, q);
        }
        for v in quads.into_remainder() {
            // One sample: the same expression, then the windows shift by one.
            let w = [xs[0], xs[1], xs[2], xs[3], *v, 0.0, 0.0, 0.0];
            let y = self.step(&w, 0, ys[0]);
            xs = [xs[1], xs[2], xs[3], *v];
            ys = [ys[1], ys[2], ys[3], y];
            *v = y;
        }
        self.x = xs;
        self.y = ys;
    }

    /// Filters `buf` (a whole number of `SQ_LANES` samples) in place like [`DcBlocker::run`],
    /// and adds each output's square to `lanes[j]` and takes its `|y|` into `seg_max[j]` (`j`
    /// its position in its group of `SQ_LANES`), as the hop energy pass does over the filtered
    /// samples: the same operations on the same values in one loop, where the energy's
    /// independent work runs in the latency of the filter's sequential chain instead of in a
    /// pass of its own.
    #[inline]
    fn run_with_energy(
        &mut self,
        buf: &mut [f32],
        lanes: &mut [f32; SQ_LANES],
        seg_max: &mut [f32; SQ_LANES],
    ) {
        debug_assert_eq!(buf.len() % SQ_LANES, 0);
        let energy = |lanes: &mut [f32; SQ_LANES], seg_max: &mut [f32; SQ_LANES], y8: &[f32]| {
            for j in 0..SQ_LANES {
                lanes[j] += y8[j] * y8[j];
                seg_max[j] = max(seg_max[j], y8[j].abs());
            }
        };
        if !self.on || buf.is_empty() {
            for y8 in buf.chunks_exact(SQ_LANES) {
                energy(lanes, seg_max, y8);
            }
            return;
        }
        self.prime(buf[0]);
        let (mut xs, mut ys) = (self.x, self.y);
        let (mut l, mut sm) = (*lanes, *seg_max);
        for o in buf.chunks_exact_mut(SQ_LANES) {
            for q in o.chunks_exact_mut(4) {
                self.quad(&mut xs, &mut ys, q);
            }
            energy(&mut l, &mut sm, o);
        }
        (*lanes, *seg_max) = (l, sm);
        (self.x, self.y) = (xs, ys);
    }

    /// Before the first sample the input is taken to have been at that sample's value forever.
    #[inline(always)]
    fn prime(&mut self, first: f32) {
        if !self.primed {
            self.x = [first; 4];
            self.primed = true;
        }
    }

    /// Output `j` of a group of four, `y[n+j]`, from `w = x[n-4..n+4]` and `y_back = y[n+j-4]`.
    #[inline(always)]
    fn step(&self, w: &[f32; 8], j: usize, y_back: f32) -> f32 {
        let c = self.c;
        let d = |k: usize| w[4 + j - k] - w[3 + j - k];
        self.r4 * y_back + (((c[0] * d(0) + c[1] * d(1)) + c[2] * d(2)) + c[3] * d(3))
    }

    /// One group of four samples `q` filtered in place; `xs` and `ys` hold the last four inputs
    /// and outputs (oldest first) and move on by four.
    #[inline(always)]
    fn quad(&self, xs: &mut [f32; 4], ys: &mut [f32; 4], q: &mut [f32]) {
        let w = [xs[0], xs[1], xs[2], xs[3], q[0], q[1], q[2], q[3]];
        let y = [
            self.step(&w, 0, ys[0]),
            self.step(&w, 1, ys[1]),
            self.step(&w, 2, ys[2]),
            self.step(&w, 3, ys[3]),
        ];
        *xs = [w[4], w[5], w[6], w[7]];
        *ys = y;
        q.copy_from_slice(&y);
    }
}

impl core::fmt::Debug for Framer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Framer")
            .field("timing", &self.timing)
            .field("samples_seen", &self.samples_seen)
            .finish_non_exhaustive()
    }
}

impl Framer {
    /// Builds a framer. `clip_level` is the linear `|x|` at or above which a sample counts as
    /// clipped; `envelope_release_s` the time constant of the peak-hold envelope's decay.
    pub fn new(
        timing: FrameTiming,
        clip_level: f32,
        envelope_release_s: f64,
    ) -> Result<Self, ConfigError> {
        ConfigError::check_rate(
            timing.sample_rate,
            super::MIN_SAMPLE_RATE,
            super::MAX_SAMPLE_RATE,
        )?;
        let n = timing.frame_len;
        let half = timing.fft_len / 2;
        let fft = FftPlanner::<f32>::new().plan_fft_forward(half);
        let twiddle = (0..=half)
            .map(|k| {
                let a = -core::f64::consts::TAU * k as f64 / timing.fft_len as f64;
                Complex::new(a.cos() as f32, a.sin() as f32)
            })
            .collect();
        // Periodic Hann window: smooth edges keep a steady tone from leaking into every bin.
        let window: Vec<f32> = (0..n)
            .map(|i| {
                let x = core::f64::consts::PI * 2.0 * i as f64 / n as f64;
                (0.5 - 0.5 * x.cos()) as f32
            })
            .collect();
        let wsq: f64 = window.iter().map(|&w| (w as f64) * (w as f64)).sum();
        let power_scale = (2.0 / (timing.fft_len as f64 * wsq)) as f32;
        let release_samples = (envelope_release_s * timing.sample_rate as f64).max(1e-3);
        let release = (-1.0 / release_samples).exp() as f32;
        // Powers of the f32 decay itself, computed in f64 and rounded once.
        let mut release_pow = [0f32; ENV_BLOCK];
        for (k, p) in release_pow.iter_mut().enumerate() {
            *p = f64::from(release).powi(k as i32 + 1) as f32;
        }
        Ok(Framer {
            timing,
            clip_level,
            ring: vec![0.0; n + timing.hop.max(ENV_BLOCK - 1)],
            pos: 0,
            env: ENV_CARRY_FLOOR,
            env_local: ENV_CARRY_FLOOR,
            env_cache: EnvelopeCache::new(n, release, release_pow),
            sq_lanes: [0.0; SQ_LANES],
            spec: Spectral {
                ordered: vec![0.0; n],
                env_ordered: vec![0.0; n],
                window,
                fft_buf: vec![Complex::new(0.0, 0.0); half],
                scratch: vec![Complex::new(0.0, 0.0); fft.get_inplace_scratch_len()],
                fft,
                twiddle,
                spectrum_bins: (0, half),
                power: vec![0.0; timing.bins()],
                power_scale,
            },
            samples_seen: 0,
            hop_fill: 0,
            hop_index: 0,
            stats: HopStats::default(),
            non_finite: 0,
            dc: DcBlocker::new(0.0, timing.sample_rate),
        })
    }

    /// Puts a one-pole DC-blocking high-pass with its corner at `corner_hz` in front of the
    /// framer (0 = none, the default of [`Framer::new`]). Everything the framer hands out
    /// (samples, envelope, spectra, energy and peak) is then of the filtered signal, except
    /// the clip count, which is of the input (a converter clips before any filter).
    /// `corner_hz` must lie in `0..=200` and below a tenth of the sample rate.
    pub fn with_dc_block(mut self, corner_hz: f64) -> Result<Self, ConfigError> {
        ConfigError::check_range("dc_block_hz", corner_hz, 0.0, MAX_DC_BLOCK_HZ)?;
        if corner_hz > 0.1 * f64::from(self.timing.sample_rate) {
            return Err(ConfigError::Inconsistent {
                param: "dc_block_hz",
                reason: "the DC blocker's corner must lie below a tenth of the sample rate",
            });
        }
        self.dc = DcBlocker::new(corner_hz, self.timing.sample_rate);
        Ok(self)
    }

    /// Computes only the bins `lo..=hi` of the power spectrum (clamped to the spectrum; the
    /// others stay 0), for a consumer that reads only a band: the real FFT's post-processing
    /// then costs `hi - lo + 1` bins instead of `bins()`. The default is every bin.
    pub fn with_spectrum_bins(mut self, lo: usize, hi: usize) -> Self {
        let last = self.timing.bins() - 1;
        let hi = hi.min(last);
        self.spec.spectrum_bins = (lo.min(hi), hi);
        self
    }

    /// The analysis sizes.
    pub fn timing(&self) -> FrameTiming {
        self.timing
    }

    /// Samples consumed since construction or reset.
    pub fn samples_seen(&self) -> u64 {
        self.samples_seen
    }

    /// NaN or infinite input samples replaced by 0 since construction or reset.
    pub fn non_finite_samples(&self) -> u64 {
        self.non_finite
    }

    /// Back to the freshly built state (no allocation).
    pub fn reset(&mut self) {
        self.ring.fill(0.0);
        self.env_cache.reset();
        self.pos = 0;
        self.env = ENV_CARRY_FLOOR;
        self.env_local = ENV_CARRY_FLOOR;
        self.sq_lanes = [0.0; SQ_LANES];
        self.samples_seen = 0;
        self.hop_fill = 0;
        self.hop_index = 0;
        self.stats = HopStats::default();
        self.non_finite = 0;
        self.dc.reset();
    }

    /// Consumes `block`, calling `f` once for every completed hop with its analysed frame.
    pub fn push(&mut self, block: &[f32], mut f: impl FnMut(&SpectrumFrame<'_>)) {
        self.push_hops(block, |h| f(&h.frame()));
    }

    /// Consumes `block`, calling `f` once for every completed hop with the hop's sample-level
    /// statistics; the spectral stage runs only for the hops whose consumer asks for it
    /// ([`Hop::frame`], [`Hop::previous_power`]). Does not allocate.
    pub fn push_hops(&mut self, block: &[f32], mut f: impl FnMut(&mut Hop<'_>)) {
        self.push_hops_with(block, Self::push_segment, &mut f);
    }

    /// Consumes 16-bit PCM (`i16::MIN` = -1.0 full scale), calling `f` for every completed hop.
    pub fn push_i16(&mut self, block: &[i16], mut f: impl FnMut(&SpectrumFrame<'_>)) {
        self.push_hops_i16(block, |h| f(&h.frame()));
    }

    /// Like [`Framer::push_hops`], for 16-bit PCM: the same hops as `push_hops` of the block
    /// converted to `f32` (`x / 32768`, exact), converted straight into the ring (16-bit
    /// samples are finite and within full scale, so the sanitising pass has nothing to do).
    pub fn push_hops_i16(&mut self, block: &[i16], mut f: impl FnMut(&mut Hop<'_>)) {
        self.push_hops_with(block, Self::push_segment_i16, &mut f);
    }

    /// The segment loop of [`Framer::push_hops`] and [`Framer::push_hops_i16`]: `block` cut
    /// into segments that neither complete more than the current hop nor wrap a ring, each
    /// consumed by `push_segment`, `f` called for every completed hop. Inlined into both, so
    /// each keeps its own monomorphic loop.
    #[inline(always)]
    fn push_hops_with<T>(
        &mut self,
        block: &[T],
        push_segment: impl Fn(&mut Self, &[T]),
        f: &mut impl FnMut(&mut Hop<'_>),
    ) {
        let mut rest = block;
        while !rest.is_empty() {
            let m = self.segment_len(rest.len());
            let (seg, tail) = rest.split_at(m);
            push_segment(self, seg);
            rest = tail;
            if self.hop_fill == self.timing.hop {
                self.complete_hop(f);
            }
        }
    }

    /// Samples of the next segment: up to the end of the input, the hop and either ring's end.
    #[inline]
    fn segment_len(&self, available: usize) -> usize {
        available
            .min(self.timing.hop - self.hop_fill)
            .min(self.ring.len() - self.pos)
    }

    /// Consumes a segment that neither completes more than the current hop nor wraps a ring.
    /// The per-sample state lives in locals for the whole segment (written back once), and the
    /// work runs in vectorisable passes (the DC blocker and the hop energy in one, where the
    /// energy fills the filter's chain latency); the envelope is blocked (see `ENV_BLOCK`) and
    /// the energy summed in lanes (see `SQ_LANES`).
    fn push_segment(&mut self, seg: &[f32]) {
        let m = seg.len();
        let pos = self.pos;
        let ring = &mut self.ring[pos..pos + m];
        // Pass 1: sanitise into the ring.
        let mut bad = 0u32;
        let clip_level = self.clip_level;
        let mut clipped = 0u32;
        for (d, &x) in ring.iter_mut().zip(seg) {
            let ok = x.is_finite();
            bad += u32::from(!ok);
            // Clipping is a property of the input (the converter), counted before the DC
            // blocker; a NaN counts as not clipped.
            clipped += u32::from(x.abs() >= clip_level && ok);
            // Finite but absurd samples (a corrupt buffer read as f32) would overflow the frame
            // power to infinity; no real microphone path exceeds this bound. A NaN or infinite
            // sample becomes 0: it must not poison the spectra or the noise floor for ever.
            *d = if ok {
                x.clamp(-MAX_SAMPLE_FS, MAX_SAMPLE_FS)
            } else {
                0.0
            };
        }
        self.non_finite += u64::from(bad);
        self.analyse_segment(m, clipped);
    }

    /// [`Framer::push_segment`] for 16-bit PCM: each sample is `x / 32768` (exact in `f32`),
    /// always finite and within full scale, so only the clip count remains of the sanitising
    /// pass (the same comparison on the same value).
    ///
    /// (Converting inside the DC blocker's loop, like the energy, was measured slower: 0.54 s
    /// against 0.49 s on the 1 h shift, BENCHMARKS.md round 8.)
    fn push_segment_i16(&mut self, seg: &[i16]) {
        let m = seg.len();
        let pos = self.pos;
        let ring = &mut self.ring[pos..pos + m];
        let clip_level = self.clip_level;
        let mut clipped = 0u32;
        for (d, &x) in ring.iter_mut().zip(seg) {
            let v = i16_sample(x);
            clipped += u32::from(v.abs() >= clip_level);
            *d = v;
        }
        self.analyse_segment(m, clipped);
    }

    /// The sample stage of a segment already sanitised into `ring[pos..pos + m]`: the DC
    /// blocker, the envelope's carried values, the hop's energy and peak, and the counters.
    #[inline(always)]
    fn analyse_segment(&mut self, m: usize, clipped: u32) {
        let pos = self.pos;
        // Pass 2: the DC blocker, and with it the hop's energy in `SQ_LANES` f32 lanes indexed
        // by the sample's position in the hop (so any partition adds the same terms in the same
        // order) and its peak. The filter is split at the lanes' boundaries (its output does
        // not depend on how its input is split); the aligned middle runs both in one loop.
        let fill = self.hop_fill;
        // A local copy: the lanes stay in registers for the whole loop.
        let mut lanes = self.sq_lanes;
        let head = ((SQ_LANES - fill % SQ_LANES) % SQ_LANES).min(m);
        let body = (m - head) / SQ_LANES * SQ_LANES;
        let mut seg_max = [0f32; SQ_LANES];
        let ring = &mut self.ring[pos..pos + m];
        let (head_part, rest) = ring.split_at_mut(head);
        let (body_part, tail_part) = rest.split_at_mut(body);
        // Each lane adds its terms in the order of the samples (head, body, tail).
        self.dc.run(head_part);
        for (j, &x) in head_part.iter().enumerate() {
            lanes[(fill + j) % SQ_LANES] += x * x;
        }
        self.dc.run_with_energy(body_part, &mut lanes, &mut seg_max);
        self.dc.run(tail_part);
        for (j, &x) in tail_part.iter().enumerate() {
            lanes[(fill + head + body + j) % SQ_LANES] += x * x;
        }
        self.sq_lanes = lanes;
        let mut smax = seg_max.iter().fold(0f32, |a, &b| max(a, b));
        for &x in head_part.iter().chain(tail_part.iter()) {
            smax = max(smax, x.abs());
        }
        // Pass 3: the envelope's carried value at each block boundary (see `ENV_BLOCK`); the
        // envelope itself is evaluated only for analysed frames (`EnvelopeCache::frame`).
        let ring = &self.ring[pos..pos + m];
        let cache = &mut self.env_cache;
        let release = cache.release;
        let rp = cache.release_pow;
        let mut anchor = self.env;
        let mut local = self.env_local;
        let mut phase = (self.samples_seen % ENV_BLOCK as u64) as usize;
        // The slot of the block after the current one (whose carried value a completed block
        // stores).
        let mut slot = cache.anchor_slot(self.samples_seen / ENV_BLOCK as u64 + 1);
        // Scalar head up to the next absolute block boundary, whole blocks, scalar tail: every
        // sample gets the same expression whatever the partition.
        let head = ((ENV_BLOCK - phase) % ENV_BLOCK).min(m);
        let mut i = 0;
        while i < head {
            if carry_step(ring[i], &mut phase, &mut local, &mut anchor, release, &rp) {
                cache.set_anchor(&mut slot, anchor);
            }
            i += 1;
        }
        // Groups of `ENV_GROUP` whole blocks: the local recursions of the group's blocks run
        // side by side (lane `b` = block `b`, the same operations on the same values as
        // `carry_step`, so bit-identical), then the carried value passes through the blocks
        // in order.
        const ENV_GROUP: usize = 4;
        let group = ENV_BLOCK * ENV_GROUP;
        let body = (m - i) / group * group;
        for xg in ring[i..i + body].chunks_exact(group) {
            let mut rows = [[0f32; ENV_GROUP]; ENV_BLOCK];
            for (b, x8) in xg.chunks_exact(ENV_BLOCK).enumerate() {
                for j in 0..ENV_BLOCK {
                    rows[j][b] = x8[j];
                }
            }
            let af = |r: [f32; ENV_GROUP]| r.map(|x| max(x.abs(), ENV_CARRY_FLOOR));
            let mut l = af(rows[0]);
            for r in &rows[1..] {
                let a = af(*r);
                let d = l.map(|v| v * release);
                l = [
                    max(a[0], d[0]),
                    max(a[1], d[1]),
                    max(a[2], d[2]),
                    max(a[3], d[3]),
                ];
            }
            for &lb in &l {
                anchor = max(lb, anchor * rp[ENV_BLOCK - 1]);
                cache.set_anchor(&mut slot, anchor);
            }
            local = l[ENV_GROUP - 1];
        }
        i += body;
        while i < m {
            if carry_step(ring[i], &mut phase, &mut local, &mut anchor, release, &rp) {
                cache.set_anchor(&mut slot, anchor);
            }
            i += 1;
        }
        self.env = anchor;
        self.env_local = local;
        let st = &mut self.stats;
        // The hop's largest `|x|` (max is exact in any order); its first position is searched
        // only when asked for ([`Hop::stats`]).
        st.peak = max(st.peak, smax);
        st.clipped += clipped;
        self.samples_seen += m as u64;
        self.hop_fill += m;
        self.pos += m;
        if self.pos == self.ring.len() {
            self.pos = 0;
        }
    }

    /// Ends the hop: its energy from the lanes, then the consumer.
    fn complete_hop(&mut self, f: &mut impl FnMut(&mut Hop<'_>)) {
        let l = &self.sq_lanes;
        let l = l.map(f64::from);
        self.stats.sum_sq = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
        self.sq_lanes = [0.0; SQ_LANES];
        let mut hop = Hop {
            index: self.hop_index,
            hop_start: self.samples_seen - self.timing.hop as u64,
            stats: self.stats,
            ring: &self.ring,
            pos: self.pos,
            end: self.samples_seen,
            env: &mut self.env_cache,
            hop: self.timing.hop,
            spec: &mut self.spec,
        };
        f(&mut hop);
        self.hop_index += 1;
        self.hop_fill = 0;
        self.stats = HopStats::default();
    }
}

impl Spectral {
    /// Copies the frame starting at `ring[start]` (wrapping) into `ordered` and computes its
    /// power spectrum (the bins of `spectrum_bins`) into `power`.
    fn power_of(&mut self, ring: &[f32], start: usize) {
        let n = self.ordered.len();
        // Oldest sample first.
        let first = (ring.len() - start).min(n);
        self.ordered[..first].copy_from_slice(&ring[start..start + first]);
        self.ordered[first..].copy_from_slice(&ring[..n - first]);
        // A real FFT of even length N as a complex FFT of length M = N / 2: the windowed samples
        // in pairs, `z[n] = w x[2n] + i w x[2n+1]`, then for each wanted bin
        // `X[k] = E[k] + W^k O[k]` with `E[k] = (Z[k] + conj Z[M-k]) / 2` (the even samples'
        // spectrum), `O[k] = (Z[k] - conj Z[M-k]) / 2i` (the odd ones') and
        // `W = exp(-2 pi i / N)`. Only the consumer's bins are post-processed.
        let pairs = n / 2;
        for ((z, s), w) in self.fft_buf[..pairs]
            .iter_mut()
            .zip(self.ordered.chunks_exact(2))
            .zip(self.window.chunks_exact(2))
        {
            *z = Complex::new(s[0] * w[0], s[1] * w[1]);
        }
        if n % 2 == 1 {
            self.fft_buf[pairs] = Complex::new(self.ordered[n - 1] * self.window[n - 1], 0.0);
        }
        let used = n.div_ceil(2);
        self.fft_buf[used..].fill(Complex::new(0.0, 0.0));
        self.fft
            .process_with_scratch(&mut self.fft_buf, &mut self.scratch);
        let m = self.fft_buf.len();
        let (lo, hi) = self.spectrum_bins;
        let z = &self.fft_buf;
        let scale = self.power_scale;
        // `Z` is periodic in M: bin 0 and bin M (Nyquist) both pair `Z[0]` with itself.
        let bin = |a: Complex<f32>, b: Complex<f32>, w: Complex<f32>| -> f32 {
            let b = b.conj();
            let e = (a + b) * 0.5;
            let d = (a - b) * 0.5;
            // O = d / i = (d.im, -d.re).
            let x = e + w * Complex::new(d.im, -d.re);
            x.norm_sqr() * scale
        };
        let inner = lo.max(1)..=hi.min(m - 1);
        for k in inner {
            self.power[k] = bin(z[k], z[m - k], self.twiddle[k]);
        }
        for k in [0, m] {
            if (lo..=hi).contains(&k) {
                self.power[k] = bin(z[0], z[0], self.twiddle[k]);
            }
        }
    }
}
