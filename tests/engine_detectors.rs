//! The engine over the real detectors: its decisions are exactly what a slow reference makes
//! of the detectors' own events (run directly on the same recordings), and they do not depend
//! on how the streams are cut into blocks.
//!
//! The comparison proves something only if the detectors fired: each real-data test also asserts
//! that the recordings gave the events their class stands for (gunshots on gunshot clips, falls
//! on fall trials, running on jogging trials) and that the engine made decisions from them.

mod common;

use autotrigger::audio::GunshotDetector;
use autotrigger::imu::{ImuDetectors, ImuSample};
use autotrigger::io::{read_sisfall, read_wav};
use autotrigger::trigger::{Cause, DecisionKind, Engine, HolsterState, Input, Policy};
use autotrigger::{Event, EventKind, StreamingDetector, Timestamp};
use proptest::prelude::*;
use std::collections::HashMap;

/// Decisions as comparable tuples: (kind, cause, at µs, onset µs).
type Row = (DecisionKind, Option<Cause>, i64, i64);

/// Slow reference of the engine for a stream of detector events only (no inputs, taps off):
/// confidence gate, officer-down alert, per-cause hold-off, first trigger starts, the rest
/// are added.
fn reference(policy: &Policy, events: &[Event]) -> Vec<Row> {
    let holdoff = (policy.holdoff_s * 1e6).round() as i64;
    let mut out = Vec::new();
    let mut recording = false;
    let mut alert = false;
    let mut last: HashMap<Cause, i64> = HashMap::new();
    let mut last_at = 0i64;
    for e in events {
        let at = e.decided.as_micros().max(last_at);
        let cause = match e.kind {
            EventKind::Gunshot => Cause::Gunshot,
            EventKind::Running => Cause::Running,
            EventKind::Fall => Cause::Fall,
            EventKind::OfficerDown => Cause::OfficerDown,
            EventKind::OfficerDownCancelled => {
                if alert {
                    alert = false;
                    out.push((
                        DecisionKind::OfficerDownCleared,
                        Some(Cause::OfficerDown),
                        at,
                        e.onset.as_micros(),
                    ));
                    last_at = at;
                }
                continue;
            }
            _ => continue,
        };
        if e.confidence.is_nan() || f64::from(e.confidence) < policy.min_confidence(cause) {
            continue;
        }
        if cause == Cause::OfficerDown && policy.officer_down_alert {
            alert = true;
            out.push((
                DecisionKind::OfficerDownAlert,
                Some(cause),
                at,
                e.onset.as_micros(),
            ));
            last_at = at;
        }
        if !policy.starts_on(cause) {
            continue;
        }
        if last.get(&cause).is_some_and(|&l| at - l < holdoff) {
            continue;
        }
        last.insert(cause, at);
        let kind = if recording {
            DecisionKind::CauseAdded
        } else {
            DecisionKind::Start
        };
        recording = true;
        out.push((kind, Some(cause), at, e.onset.as_micros()));
        last_at = at;
    }
    out
}

fn drain(e: &mut Engine, out: &mut Vec<Row>) {
    while let Some(d) = e.poll_decision() {
        out.push((d.kind, d.cause, d.at.as_micros(), d.onset.as_micros()));
    }
}

fn policy() -> Policy {
    Policy::from_toml_str("tap_toggle = \"off\"").unwrap()
}

fn manifest(root: &std::path::Path, class: &str, n: usize) -> Vec<std::path::PathBuf> {
    let text = std::fs::read_to_string(root.join("MANIFEST.csv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| l.split(',').nth(1) == Some(class) || l.split(',').nth(5) == Some(class))
        .take(n)
        .map(|l| root.join(l.split(',').next().unwrap()))
        .collect()
}

#[test]
#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]
fn gunshot_decisions_follow_the_detector_on_real_audio() {
    let Some(ds) = common::shared_datasets("gunshot_decisions_follow_the_detector_on_real_audio")
    else {
        return;
    };
    let p = policy();
    let config = p.detector_config().unwrap();
    let mut total_events = 0;
    let (mut files_with_shot, mut starts) = (0, 0);
    for path in manifest(&ds.join("audio"), "gunshot", 6) {
        let a = read_wav(&path).unwrap();
        let mut det = GunshotDetector::new(&config.gunshot, a.sample_rate).unwrap();
        let mut events = Vec::new();
        det.process(&a.samples, &mut events).unwrap();
        det.finish(&mut events);
        total_events += events.len();
        files_with_shot += usize::from(events.iter().any(|e| e.kind == EventKind::Gunshot));

        let mut engine = Engine::new(&p, a.sample_rate).unwrap();
        let mut got = Vec::new();
        let block = (a.sample_rate / 100) as usize;
        for b in a.samples.chunks(block) {
            engine.push_audio_f32(b).unwrap();
            drain(&mut engine, &mut got);
        }
        engine.finish().unwrap();
        drain(&mut engine, &mut got);
        assert_eq!(got, reference(&p, &events), "{}", path.display());
        starts += got
            .iter()
            .filter(|r| r.0 == DecisionKind::Start && r.1 == Some(Cause::Gunshot))
            .count();
    }
    eprintln!("gunshot detector events on 6 gunshot files: {total_events}");
    // Not vacuous: some of these clips give a gunshot and the engine starts recording on it
    // (3 of these 6 do; recall over the whole dev set is `audio_devset`'s business).
    eprintln!("clips with a gunshot: {files_with_shot} of 6, starts: {starts}");
    assert!(files_with_shot >= 1, "no gunshot on 6 gunshot clips");
    assert!(starts >= 1, "no recording started on a gunshot");
}

#[test]
#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]
fn imu_decisions_follow_the_detectors_on_sisfall() {
    let Some(ds) = common::shared_datasets("imu_decisions_follow_the_detectors_on_sisfall") else {
        return;
    };
    let p = policy();
    let config = p.detector_config().unwrap();
    let mut files = manifest(&ds.join("imu"), "fall", 4);
    files.extend(manifest(&ds.join("imu"), "run", 2));
    let mut total_events = 0;
    let (mut falls_found, mut runs_found) = (0, 0);
    for (i, path) in files.into_iter().enumerate() {
        let s: Vec<ImuSample> = read_sisfall(&path).unwrap();
        let mut det = ImuDetectors::new(&config).unwrap();
        let mut events = Vec::new();
        det.process(&s, &mut events).unwrap();
        det.finish(&mut events);
        total_events += events.len();
        let found = |k: EventKind| usize::from(events.iter().any(|e| e.kind == k));
        if i < 4 {
            falls_found += found(EventKind::Fall);
        } else {
            runs_found += found(EventKind::Running);
        }

        let mut engine = Engine::new(&p, 16_000).unwrap();
        let mut got = Vec::new();
        for b in s.chunks(7) {
            engine.push_imu(b).unwrap();
            drain(&mut engine, &mut got);
        }
        engine.finish().unwrap();
        drain(&mut engine, &mut got);
        assert_eq!(got, reference(&p, &events), "{}", path.display());
    }
    eprintln!("IMU detector events on 6 SisFall files: {total_events}");
    // Fall sensitivity on SisFall is 99 % and every jogging file is found (README): the four
    // fall trials give a fall and the two jogging trials running, at most one miss in each.
    assert!(
        falls_found >= 3,
        "{falls_found} of 4 fall trials gave a fall"
    );
    assert!(
        runs_found >= 1,
        "{runs_found} of 2 jogging trials gave running"
    );
}

/// A synthetic incident: noise, a clipped broadband impulse at 2 s, 4 s long at 16 kHz.
fn synthetic_audio() -> Vec<f32> {
    let mut x = 0x1234_5678u32;
    (0..64_000u32)
        .map(|n| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let noise = (x as f32 / u32::MAX as f32) * 2.0 - 1.0;
            let mut v = 0.01 * noise;
            if n >= 32_000 {
                v += 3.0 * (-((n - 32_000) as f32) / 320.0).exp() * noise;
            }
            v.clamp(-1.0, 1.0)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn decisions_do_not_depend_on_block_sizes(cuts in prop::collection::vec(1usize..2_000, 1..40)) {
        let audio = synthetic_audio();
        let p = policy();
        let draw = Timestamp::from_millis(1_000);
        let run = |sizes: &[usize]| {
            let mut e = Engine::new(&p, 16_000).unwrap();
            let mut got = Vec::new();
            let mut pos = 0;
            let mut pushed_draw = false;
            let mut k = 0;
            while pos < audio.len() {
                let n = sizes[k % sizes.len()].min(audio.len() - pos);
                k += 1;
                // The holster edge is pushed as soon as the audio reaches it.
                if !pushed_draw && Timestamp::from_samples((pos + n) as u64, 16_000) > draw {
                    e.push_input(draw, Input::Holster(HolsterState::Drawn)).unwrap();
                    pushed_draw = true;
                }
                e.push_audio_f32(&audio[pos..pos + n]).unwrap();
                drain(&mut e, &mut got);
                pos += n;
            }
            e.finish().unwrap();
            drain(&mut e, &mut got);
            got
        };
        let one = run(&[audio.len()]);
        prop_assert_eq!(&one[0], &(DecisionKind::Start, Some(Cause::HolsterDraw), 1_200_000, 1_000_000));
        prop_assert_eq!(run(&cuts), one);
    }
}
