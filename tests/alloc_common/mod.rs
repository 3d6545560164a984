//! Shared by the `alloc_*` test binaries: a counting global allocator and synthetic signals.
//!
//! Each `alloc_*` file is its own test binary, so its `#[global_allocator]` sees only that
//! binary's allocations. The counters are thread-local: each test runs on its own thread, so
//! the test harness (or another test) allocating concurrently cannot pollute the counts.
#![allow(dead_code)] // each binary uses a subset

use autotrigger::detector::EventQueue;
use autotrigger::imu::{ImuSample, PressureSample};
use autotrigger::synth::{audio, imu, Rng};
use autotrigger::EventKind;
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
pub struct Allocs {
    pub count: u64,
    pub bytes: u64,
    /// Bytes still held after the closure (allocated minus freed).
    pub retained: i64,
}

pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Allocs) {
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

/// `secs` of audio at `rate` from `autotrigger::synth`: street noise, a gunshot every 15 s at
/// levels from clipped-near to distant, a 3-round burst of automatic fire, and distractors
/// (clap, door slam, speech) in between. Returns the samples and the number of shots that
/// peak well above the detector's peak gate (−10 dBFS): the +3 and −3 dBFS ones. The −10 dBFS
/// shots sit on the gate (the DC blocker's few hundredths of a dB decide them) and the
/// −18 dBFS ones are below it by design.
pub fn audio_scene(secs: u32, rate: u32) -> (Vec<f32>, usize) {
    let mut rng = Rng::new(0xA11C);
    let mut scene = audio::AudioScene::new(rate, f64::from(secs));
    scene.add_noise(audio::NoiseColor::Street, -45.0, &mut rng);
    let levels = [3.0, -3.0, -10.0, -18.0];
    let mut t = 5.0;
    let mut i = 0;
    let mut loud = 0;
    while t + 10.0 < f64::from(secs) {
        if levels[i % levels.len()] > -10.0 {
            loud += 1;
        }
        let shot = audio::Gunshot {
            peak_dbfs: levels[i % levels.len()],
            ..audio::Gunshot::default()
        };
        let sound = if i == 3 {
            audio::Sound::Burst {
                shot,
                rounds: 3,
                interval_s: 0.1,
            }
        } else {
            audio::Sound::Gunshot(shot)
        };
        scene.add(t, &sound, &mut rng);
        let distractor = match i % 3 {
            0 => audio::Sound::Clap { level_dbfs: -12.0 },
            1 => audio::Sound::DoorSlam { level_dbfs: -10.0 },
            _ => audio::Sound::Speech {
                level_dbfs: -20.0,
                f0_hz: 140.0,
                duration_s: 2.0,
            },
        };
        scene.add(t + 7.0, &distractor, &mut rng);
        t += 15.0;
        i += 1;
    }
    let (samples, _) = scene.finish();
    (samples, loud)
}

/// `secs` (at least 180) of IMU at `rate` Hz from `autotrigger::synth`, sensor mounted at an
/// arbitrary angle: stand, walk, run (foot pursuit), walk, a backward fall, lying still
/// (long enough for officer down), then a double tap on the camera body.
pub fn imu_scene(secs: u32, rate: u32) -> Vec<ImuSample> {
    let mut scene = imu::ImuScene::new(Rng::new(0x1A0));
    scene
        .stand(20.0)
        .walk(30.0, 110.0, 2.0)
        .run(40.0, 165.0, 4.5)
        .walk(10.0, 110.0, 2.0)
        .fall(imu::FallDirection::Backward, 8.0)
        .lie(60.0)
        .double_tap(6.0, 0.3);
    let rest = f64::from(secs) - scene.duration();
    scene.lie(rest.max(1.0));
    let mounting = imu::Mounting::from_euler_deg(170.0, 20.0, 35.0);
    scene
        .render(f64::from(rate), mounting, imu::Timing::Regular)
        .0
}

/// The barometer of [`imu_scene`]: `secs` at `rate` Hz (1-100), 1000 hPa with a
/// deterministic +-0.06 hPa jitter (about the noise of a real 10 Hz barometer), a 3 m climb
/// while standing (5-15 s), flat during the walks and the pursuit, and +0.1 hPa (the trunk
/// ~0.8 m lower) from the fall (~100 s) on; one sample in 20 missing (gaps).
pub fn pressure_scene(secs: u32, rate: u32) -> Vec<PressureSample> {
    let mut seed = 0x9E37_79B9u32;
    (0..secs * rate)
        .filter(|i| i % 20 != 7)
        .map(|i| {
            let t = f64::from(i) / f64::from(rate);
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let jitter = (f64::from(seed >> 8) / f64::from(1u32 << 24) - 0.5) * 0.12;
            let climb = (t.clamp(5.0, 15.0) - 5.0) * -0.036;
            let fall = if t >= 100.0 { 0.1 } else { 0.0 };
            PressureSample {
                t: autotrigger::Timestamp::from_samples(u64::from(i), rate),
                hpa: (1000.0 + climb + fall + jitter) as f32,
            }
        })
        .collect()
}

/// Drains a queue like [`drain`] and counts the events that carry barometer evidence
/// (`vertical_speed_m_s` on running, `pressure_rise_hpa` on falls).
pub fn drain_baro<const N: usize>(
    q: &mut EventQueue<N>,
    counts: &mut [u32; EventKind::ALL.len()],
    with_baro: &mut u32,
) {
    while let Some(e) = q.pop() {
        if e.evidence.get("vertical_speed_m_s").is_some()
            || e.evidence.get("pressure_rise_hpa").is_some()
        {
            *with_baro += 1;
        }
        let i = EventKind::ALL
            .iter()
            .position(|k| *k == e.kind)
            .unwrap_or(0);
        counts[i] += 1;
    }
}

/// Drains a queue into per-kind counts (no allocation: a fixed array).
pub fn drain<const N: usize>(q: &mut EventQueue<N>, counts: &mut [u32; EventKind::ALL.len()]) {
    while let Some(e) = q.pop() {
        let i = EventKind::ALL
            .iter()
            .position(|k| *k == e.kind)
            .unwrap_or(0);
        counts[i] += 1;
    }
}

pub fn count_of(counts: &[u32; EventKind::ALL.len()], kind: EventKind) -> u32 {
    counts[EventKind::ALL.iter().position(|k| *k == kind).unwrap()]
}
