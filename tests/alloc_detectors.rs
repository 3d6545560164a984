//! No allocation after construction in the detectors, proven with a counting global allocator
//! (in `alloc_common`; this file is its own test binary).
//!
//! - minutes of synthetic audio (`autotrigger::synth`: gunshots and distractors over street
//!   noise) and IMU (stand, walk, run, fall, lie still, double tap) go through the gunshot and
//!   IMU detectors with zero allocations, and events are actually produced;
//! - the bytes each detector allocates at construction, per audio sample rate, are printed
//!   (`cargo test --release --test alloc_detectors -- --nocapture`).

// The counting `#[global_allocator]` in `alloc_common` needs `unsafe impl GlobalAlloc`; it only
// forwards to `System`. Test code, never part of the library.
#![allow(unsafe_code)]

mod alloc_common;

use alloc_common::{audio_scene, count_of, drain, drain_baro, imu_scene, measure, pressure_scene};
use autotrigger::audio::GunshotDetector;
use autotrigger::detector::EventQueue;
use autotrigger::imu::{ImuDetectors, PressureSample};
use autotrigger::{Config, EventKind, StreamingDetector};

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
        let (samples, n_loud) = audio_scene(SECS, rate);
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
        // The processing loop must have produced events, or it proved nothing: every shot
        // well above the peak gate, in both passes.
        assert!(
            count_of(&counts, EventKind::Gunshot) as usize >= 2 * n_loud,
            "too few gunshot events at {rate} Hz: {counts:?} for {n_loud} loud shots x2"
        );
        eprintln!(
            "gunshot {rate} Hz: {SECS} s x2 processed, {} gunshot events for {} loud shots x2",
            count_of(&counts, EventKind::Gunshot),
            n_loud
        );
    }

    for rate in [50u32, 100, 200] {
        let samples = imu_scene(SECS, rate);
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
        // The scene holds a pursuit, a fall and a long lie: those events must have come out.
        for kind in [EventKind::Running, EventKind::Fall, EventKind::OfficerDown] {
            assert!(
                count_of(&counts, kind) > 0,
                "no {kind} event at {rate} Hz: {counts:?}"
            );
        }
        eprintln!("imu {rate} Hz: events per kind {counts:?}");
    }

    // The same with the barometer stream, at 1, 10 and 100 Hz, merged by time in blocks of
    // one IMU sample and of 37 (process_with_pressure), and pushed on its own
    // (process_pressure) between IMU blocks, with bad pressure samples (typed errors).
    for (rate, baro_rate) in [(50u32, 1u32), (100, 10), (200, 100)] {
        let samples = imu_scene(SECS, rate);
        let pressure = pressure_scene(SECS, baro_rate);
        let (det, _) = measure(|| ImuDetectors::new(&config));
        let mut det = det.unwrap();
        let mut q: EventQueue<64> = EventQueue::new();
        let mut counts = [0u32; EventKind::ALL.len()];
        let mut with_baro = 0u32;
        let (mut rejected, mut bad) = (0u32, 0u32);
        let ((), a) = measure(|| {
            let mut p = 0;
            for s in samples.chunks(1) {
                let n = pressure[p..].iter().take_while(|x| x.t <= s[0].t).count();
                det.process_with_pressure(s, &pressure[p..p + n], &mut q)
                    .unwrap();
                p += n;
                drain_baro(&mut q, &mut counts, &mut with_baro);
            }
            det.reset();
            let mut p = 0;
            for (k, s) in samples.chunks(37).enumerate() {
                let last = s[s.len() - 1].t;
                let n = pressure[p..].iter().take_while(|x| x.t <= last).count();
                if k % 2 == 0 {
                    det.process_with_pressure(s, &pressure[p..p + n], &mut q)
                        .unwrap();
                } else {
                    det.process_pressure(&pressure[p..p + n]).unwrap();
                    det.process(s, &mut q).unwrap();
                }
                if k == 100 {
                    // A repeated and a NaN sample: typed errors, nothing allocated.
                    rejected += u32::from(det.process_pressure(&pressure[p..p + 1]).is_err());
                    let nan = [PressureSample {
                        t: last.add_micros(1),
                        hpa: f32::NAN,
                    }];
                    bad += u32::from(det.process_pressure(&nan).is_err());
                }
                p += n;
                drain_baro(&mut q, &mut counts, &mut with_baro);
            }
            det.finish(&mut q);
            drain_baro(&mut q, &mut counts, &mut with_baro);
        });
        assert_eq!(
            a.count, 0,
            "IMU detectors at {rate} Hz with a {baro_rate} Hz barometer allocated: {a:?}"
        );
        assert_eq!((rejected, bad), (1, 1));
        assert_eq!(q.dropped(), 0);
        for kind in [EventKind::Running, EventKind::Fall, EventKind::OfficerDown] {
            assert!(
                count_of(&counts, kind) > 0,
                "no {kind} event at {rate} Hz with the barometer: {counts:?}"
            );
        }
        // Running and fall events, both passes, carry the barometer's evidence.
        assert!(
            with_baro >= 4,
            "{with_baro} events with barometer evidence at {rate} Hz: {counts:?}"
        );
        eprintln!("imu {rate} Hz + barometer {baro_rate} Hz: events per kind {counts:?}, {with_baro} with barometer evidence");
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
