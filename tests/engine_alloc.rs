//! The firmware path does not allocate: after `Engine::new`, pushing audio (f32 and i16), IMU
//! samples, inputs and detector events, polling decisions, `finish` and `reset` make no heap
//! allocation (a counting global allocator, armed on this test's thread only).

use autotrigger::imu::ImuSample;
use autotrigger::trigger::{ButtonAction, Engine, HolsterState, Input, Policy};
use autotrigger::{Event, EventKind, Evidence, Timestamp};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

// `GlobalAlloc` can only be implemented with `unsafe`. This test-only allocator forwards every
// call to `System` unchanged; the library itself stays free of `unsafe` (`unsafe_code = deny`).
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARMED.with(Cell::get) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn armed<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCS.load(Ordering::Relaxed);
    ARMED.with(|a| a.set(true));
    let r = f();
    ARMED.with(|a| a.set(false));
    (r, ALLOCS.load(Ordering::Relaxed) - before)
}

#[test]
fn the_firmware_path_does_not_allocate() {
    let rate = 16_000u32;
    let policy = Policy::default();
    let mut engine = Engine::new(&policy, rate).unwrap();
    // Inputs prepared before arming: 20 s of audio with impulses, 100 Hz IMU with a fall.
    let mut x = 0x9e37_79b9u32;
    let audio: Vec<f32> = (0..20 * rate)
        .map(|n| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let noise = (x as f32 / u32::MAX as f32) * 2.0 - 1.0;
            let since = n % (4 * rate);
            let shot = if since < rate / 10 {
                3.0 * (-(since as f32) / 300.0).exp()
            } else {
                0.0
            };
            ((0.01 + shot) * noise).clamp(-1.0, 1.0)
        })
        .collect();
    let pcm: Vec<i16> = audio.iter().map(|v| (v * 32_767.0) as i16).collect();
    let imu: Vec<ImuSample> = (0..2_000i64)
        .map(|k| {
            let t = k * 10_000;
            let g = 9.81f32;
            let accel = if (700..705).contains(&k) {
                [3.0 * g, 0.5 * g, 0.2 * g] // impact
            } else if k > 705 {
                [g, 0.0, 0.0] // lying on the side
            } else {
                [0.0, 0.0, g]
            };
            ImuSample {
                t: Timestamp(t),
                accel,
                gyro: Some([0.0; 3]),
            }
        })
        .collect();
    let mut evidence = Evidence::new();
    evidence.push("x", 1.0, Some(0.5));
    let event = Event {
        kind: EventKind::Gunshot,
        onset: Timestamp::from_millis(15_000),
        decided: Timestamp::from_millis(15_050),
        confidence: 0.9,
        evidence,
    };

    let (decisions, allocations) = armed(|| {
        let mut n = 0usize;
        let block = (rate / 100) as usize;
        for (k, (a, p)) in audio.chunks(block).zip(pcm.chunks(block)).enumerate() {
            let t = Timestamp::from_samples((k * block) as u64, rate);
            if k % 2 == 0 {
                let _ = engine.push_audio_f32(a);
            } else {
                let _ = engine.push_audio_i16(p);
            }
            let _ = engine.push_imu(&imu[k.min(imu.len() - 1)..(k + 1).min(imu.len())]);
            match k {
                300 => {
                    let _ = engine.push_input(t, Input::Holster(HolsterState::Drawn));
                }
                1_000 => {
                    let _ = engine.push_input(t, Input::Button(ButtonAction::Press));
                }
                1_505 => {
                    let _ = engine.push_event(&event);
                }
                1_700 => {
                    let _ = engine.push_input(t, Input::Sleep(true));
                }
                _ => {}
            }
            while engine.poll_decision().is_some() {
                n += 1;
            }
        }
        let _ = engine.finish();
        while engine.poll_decision().is_some() {
            n += 1;
        }
        engine.reset();
        n
    });
    assert!(
        decisions >= 3,
        "only {decisions} decisions: the test exercised too little"
    );
    assert_eq!(
        allocations, 0,
        "{allocations} allocations on the firmware path"
    );
}
