//! No allocation after construction, proven with a counting global allocator.
//!
//! This file is its own test binary so that its `#[global_allocator]` sees only this test's
//! allocations. The counters are thread-local: each test runs on its own thread, so the test
//! harness (and any other test) allocating concurrently cannot pollute the counts.
//!
//! What it checks:
//! - minutes of synthetic audio (gunshots over noise) and IMU (stand, walk, run, fall, lie still)
//!   go through the detectors with zero allocations, and events are actually produced;
//! - the bytes allocated at construction, per audio sample rate (printed as a table: run with
//!   `cargo test --release --test alloc_engine -- --nocapture`).

// A `#[global_allocator]` cannot be written without `unsafe impl GlobalAlloc`; the impl below
// only forwards to `System` and bumps thread-local counters, so the unsafe contract is exactly
// `System`'s. This is test code, never part of the library.
#![allow(unsafe_code)]

use autotrigger::audio::GunshotDetector;
use autotrigger::detector::EventQueue;
use autotrigger::imu::{ImuDetectors, ImuSample};
use autotrigger::{Config, EventKind, StreamingDetector, Timestamp};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // `const` initialisers without destructors: reading them never allocates, so they are
    // safe to touch from inside the allocator.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static ALLOC_BYTES: Cell<u64> = const { Cell::new(0) };
    static FREED_BYTES: Cell<u64> = const { Cell::new(0) };
}

fn count_alloc(size: usize) {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
    let _ = ALLOC_BYTES.try_with(|c| c.set(c.get() + size as u64));
}

fn count_free(size: usize) {
    let _ = FREED_BYTES.try_with(|c| c.set(c.get() + size as u64));
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counting touches only const thread-locals (no allocation, no
// re-entrancy).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_alloc(layout.size());
        // SAFETY: same contract as the caller's (non-zero-size layout).
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_alloc(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count_free(layout.size());
        // SAFETY: `ptr` was allocated by `System` with `layout` (every path above forwards).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A realloc is an allocation on the hot path just as much as a fresh one.
        count_alloc(new_size);
        count_free(layout.size());
        // SAFETY: `ptr`/`layout` come from `System` as above; `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocation counts over one closure (this thread only).
#[derive(Debug, Clone, Copy)]
struct Allocs {
    count: u64,
    bytes: u64,
    /// Bytes still held after the closure (allocated minus freed).
    retained: i64,
}

fn measure<R>(f: impl FnOnce() -> R) -> (R, Allocs) {
    let (c0, b0, f0) = (
        ALLOCS.with(Cell::get),
        ALLOC_BYTES.with(Cell::get),
        FREED_BYTES.with(Cell::get),
    );
    let r = f();
    let (c1, b1, f1) = (
        ALLOCS.with(Cell::get),
        ALLOC_BYTES.with(Cell::get),
        FREED_BYTES.with(Cell::get),
    );
    let a = Allocs {
        count: c1 - c0,
        bytes: b1 - b0,
        retained: (b1 - b0) as i64 - (f1 - f0) as i64,
    };
    (r, a)
}

/// A tiny deterministic PRNG (xorshift64*), so the signals need nothing from outside.
struct Rng(u64);
impl Rng {
    fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

const G: f32 = 9.806_65;

/// `secs` of audio at `rate`: low-level noise with a Friedlander muzzle blast (1 ms rise,
/// clipped at full scale, 80 ms reverberant tail) every 20 s, plus a short burst of automatic
/// fire (3 rounds 100 ms apart).
fn audio(secs: u32, rate: u32) -> (Vec<f32>, usize) {
    let n = (secs * rate) as usize;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut x: Vec<f32> = (0..n).map(|_| 0.003 * rng.uniform()).collect();
    let mut shots = Vec::new();
    let mut t = 5.0f64;
    while t + 1.0 < f64::from(secs) {
        shots.push(t);
        if shots.len() == 4 {
            shots.push(t + 0.1);
            shots.push(t + 0.2);
        }
        t += 20.0;
    }
    for &s in &shots {
        let start = (s * f64::from(rate)) as usize;
        let rise = (0.0005 * f64::from(rate)).max(1.0) as usize;
        let len = (0.08 * f64::from(rate)) as usize;
        for i in 0..len.min(n - start) {
            let tt = i as f32 / rate as f32;
            let blast = if i < rise {
                3.0 * i as f32 / rise as f32
            } else {
                let tp = tt - rise as f32 / rate as f32;
                // Friedlander positive phase of 2 ms, then its negative phase.
                3.0 * (1.0 - tp / 0.002) * (-tp / 0.002).exp()
            };
            let tail = 0.3 * (-tt / 0.03).exp() * rng.uniform();
            x[start + i] = (x[start + i] + blast + tail).clamp(-1.0, 1.0);
        }
    }
    (x, shots.len())
}

/// `secs` of IMU at `rate` Hz, sensor mounted upside down and tilted (so no axis is special):
/// stand, walk (110 spm, ~2 g peaks), run (165 spm, ~4.5 g peaks), walk, fall (low-g phase,
/// 8 g impact, rotation to horizontal) then lying still to the end, with a double tap.
fn imu(secs: u32, rate: u32) -> Vec<ImuSample> {
    let n = (secs * rate) as usize;
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut v = Vec::with_capacity(n);
    // Mounting: sensor z points down, tilted 20 degrees about x.
    let (s20, c20) = 20f32.to_radians().sin_cos();
    let mount =
        |a: [f32; 3]| -> [f32; 3] { [a[0], c20 * a[1] - s20 * a[2], -(s20 * a[1] + c20 * a[2])] };
    let fall_at = f64::from(secs) * 0.5;
    for i in 0..n {
        let t = i as f64 / f64::from(rate);
        let tf = t as f32;
        let noise = [
            0.05 * rng.uniform(),
            0.05 * rng.uniform(),
            0.05 * rng.uniform(),
        ];
        // Body frame: z up (vertical), x forward.
        let (body, gyro) = if t < 20.0 {
            ([0.0, 0.0, G], [0.0; 3])
        } else if t < 50.0 || (t >= fall_at - 30.0 && t < fall_at) {
            let f = 110.0 / 60.0;
            let step = (std::f32::consts::PI * f * tf).sin().abs().powi(4);
            (
                [
                    0.3 * G * (2.0 * std::f32::consts::PI * f * tf).sin(),
                    0.0,
                    G * (0.6 + 1.2 * step),
                ],
                [0.0, 0.3 * (6.0 * tf).sin(), 0.0],
            )
        } else if t < fall_at - 30.0 {
            let f = 165.0 / 60.0;
            let step = (std::f32::consts::PI * f * tf).sin().abs().powi(6);
            (
                [
                    0.8 * G * (2.0 * std::f32::consts::PI * f * tf).sin(),
                    0.0,
                    G * (0.2 + 4.3 * step),
                ],
                [0.0, 1.0 * (9.0 * tf).sin(), 0.0],
            )
        } else {
            let d = (t - fall_at) as f32;
            if d < 0.35 {
                // Free fall phase: ~0.2 g.
                ([0.0, 0.0, 0.2 * G], [0.0, 3.0, 0.0])
            } else if d < 0.45 {
                // Impact along the trunk while rotating to horizontal.
                ([6.0 * G, 0.0, 5.0 * G], [0.0, 3.0, 0.0])
            } else {
                // Lying on the back: gravity now along body x.
                let mut a = [G, 0.0, 0.0];
                let td = d - 60.0;
                if (0.0..0.012).contains(&td) || (0.3..0.312).contains(&td) {
                    a[2] += 3.0 * G; // double tap on the camera body
                }
                (a, [0.0; 3])
            }
        };
        let m = mount(body);
        v.push(ImuSample {
            t: Timestamp::from_samples(i as u64, rate),
            accel: [m[0] + noise[0], m[1] + noise[1], m[2] + noise[2]],
            gyro: Some(mount(gyro)),
        });
    }
    v
}

/// Drains a queue into per-kind counts (no allocation: a fixed array).
fn drain<const N: usize>(q: &mut EventQueue<N>, counts: &mut [u32; EventKind::ALL.len()]) {
    while let Some(e) = q.pop() {
        let i = EventKind::ALL
            .iter()
            .position(|k| *k == e.kind)
            .unwrap_or(0);
        counts[i] += 1;
    }
}

fn count_of(counts: &[u32; EventKind::ALL.len()], kind: EventKind) -> u32 {
    counts[EventKind::ALL.iter().position(|k| *k == kind).unwrap()]
}

#[test]
fn the_counter_sees_allocations() {
    // Without this the zero-allocation assertions below could pass with a broken counter.
    let (v, a) = measure(|| {
        let mut v: Vec<u64> = Vec::with_capacity(4);
        v.extend([1, 2, 3, 4, 5]); // grows: a realloc
        v
    });
    assert_eq!(a.count, 2, "{a:?}");
    assert!(a.bytes >= 40, "{a:?}");
    assert!(a.retained >= 40, "{a:?}");
    let ((), b) = measure(|| drop(v));
    assert_eq!(b.count, 0);
    assert!(b.retained <= -40, "{b:?}");
}

#[test]
fn detectors_do_not_allocate_after_construction() {
    const SECS: u32 = 180;
    let config = Config::default();
    for rate in [16_000u32, 48_000] {
        let (samples, n_shots) = audio(SECS, rate);
        let (det, _) = measure(|| GunshotDetector::new(&config.gunshot, rate));
        let mut det = det.unwrap();
        let mut q: EventQueue<64> = EventQueue::new();
        let mut counts = [0u32; EventKind::ALL.len()];
        let block = (rate / 100) as usize; // 10 ms
        let ((), a) = measure(|| {
            for b in samples.chunks(block) {
                det.process(b, &mut q).unwrap();
                drain(&mut q, &mut counts);
            }
            // Odd block sizes too, and a reset in the middle: still nothing allocated.
            det.reset();
            for b in samples.chunks(997) {
                det.process(b, &mut q).unwrap();
                drain(&mut q, &mut counts);
            }
            det.finish(&mut q);
            drain(&mut q, &mut counts);
        });
        assert_eq!(a.count, 0, "gunshot detector at {rate} Hz allocated: {a:?}");
        assert_eq!(q.dropped(), 0);
        eprintln!(
            "gunshot {rate} Hz: {SECS} s x2 processed, {} gunshot events for {} shots x2",
            count_of(&counts, EventKind::Gunshot),
            n_shots
        );
    }

    for rate in [50u32, 100, 200] {
        let samples = imu(SECS, rate);
        let (det, _) = measure(|| ImuDetectors::new(&config));
        let mut det = det.unwrap();
        let mut q: EventQueue<64> = EventQueue::new();
        let mut counts = [0u32; EventKind::ALL.len()];
        let ((), a) = measure(|| {
            for s in samples.chunks(1) {
                det.process(s, &mut q).unwrap();
                drain(&mut q, &mut counts);
            }
            det.reset();
            for s in samples.chunks(37) {
                det.process(s, &mut q).unwrap();
                drain(&mut q, &mut counts);
            }
            det.finish(&mut q);
            drain(&mut q, &mut counts);
        });
        assert_eq!(a.count, 0, "IMU detectors at {rate} Hz allocated: {a:?}");
        assert_eq!(q.dropped(), 0);
        eprintln!("imu {rate} Hz: events per kind {counts:?}");
    }
}

#[test]
fn construction_footprint_per_sample_rate() {
    let config = Config::default();
    eprintln!("| audio rate | GunshotDetector heap | ImuDetectors heap |");
    eprintln!("|---:|---:|---:|");
    for rate in [8_000u32, 16_000, 44_100, 48_000, 96_000] {
        let (g, ga) = measure(|| GunshotDetector::new(&config.gunshot, rate).unwrap());
        let (i, ia) = measure(|| ImuDetectors::new(&config).unwrap());
        eprintln!(
            "| {rate} Hz | {} B (+{} B inline) | {} B (+{} B inline) |",
            ga.retained,
            std::mem::size_of_val(&g),
            ia.retained,
            std::mem::size_of_val(&i)
        );
        assert!(ga.retained >= 0 && ia.retained >= 0);
        // `g` and `i` drop here, outside the measurement, so the retained figure is what
        // the detectors hold.
    }
}
