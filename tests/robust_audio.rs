//! Bad audio samples through `GunshotDetector`: NaN, infinities, denormals, DC offset, hard
//! clipping, full-scale noise, an hour of digital silence, sudden gain changes. For each: no
//! panic, no stuck detector, no gunshot invented from a non-sound (NaN, infinities, denormals,
//! silence), and a synthetic shot after the fault ends is detected again within a bounded
//! time ([`RECOVERY_S`]).
//!
//! The measured recovery time of every fault is printed (`--nocapture`) for
//! `docs/robustness.md`.

use autotrigger::audio::GunshotDetector;
use autotrigger::{Event, EventKind, StreamingDetector, Timestamp};

#[path = "robust_support/signals.rs"]
mod signals;
use signals::{add_shot, scene, Rng};

/// Audio rate for these tests (16 kHz keeps them fast; features are defined in Hz and seconds).
const RATE: u32 = 16_000;
/// The documented bound: a shot this long after a fault ends is detected again.
const RECOVERY_S: f32 = 2.0;
/// Background level, dBFS.
const BG_DB: f32 = -50.0;
/// An onset within this of the injected one counts as finding it.
const COLLAR_US: i64 = 50_000;

fn s(secs: f32) -> usize {
    (secs * RATE as f32) as usize
}

/// Runs the detector over `x` in 10 ms blocks (the firmware's DMA block); returns the events.
/// Bad samples are not errors (`process` is infallible for audio): they are replaced by 0 and
/// counted, and the detector keeps analysing: every whole hop of the input gives one frame.
fn run(x: &[f32]) -> Vec<Event> {
    let mut d = GunshotDetector::new(&Default::default(), RATE).unwrap();
    let mut ev = Vec::new();
    let mut frames = 0usize;
    for b in x.chunks(s(0.01)) {
        d.process_with_frames(b, &mut ev, |_, _| frames += 1);
    }
    assert_eq!(
        frames,
        x.len() / d.timing().hop,
        "the detector stopped analysing"
    );
    // Documented behaviour: non-finite samples are replaced by 0 and counted.
    let bad = x.iter().filter(|v| !v.is_finite()).count() as u64;
    assert_eq!(
        d.non_finite_samples(),
        bad,
        "non-finite samples not counted"
    );
    d.finish(&mut ev);
    ev
}

fn gunshots(ev: &[Event]) -> impl Iterator<Item = &Event> {
    ev.iter().filter(|e| e.kind == EventKind::Gunshot)
}

fn found_at(ev: &[Event], sample: usize) -> bool {
    let t = Timestamp::from_samples(sample as u64, RATE);
    gunshots(ev).any(|e| (e.onset.micros_since(t)).abs() <= COLLAR_US)
}

#[test]
fn baseline_a_synthetic_shot_is_found_and_noise_alone_is_quiet() {
    let quiet = scene(RATE, 8.0, BG_DB, &[], 1);
    let ev = run(&quiet);
    assert_eq!(gunshots(&ev).count(), 0, "noise alone triggered: {ev:?}");
    let x = scene(RATE, 8.0, BG_DB, &[s(4.0)], 1);
    let ev = run(&x);
    assert!(found_at(&ev, s(4.0)), "clean synthetic shot missed: {ev:?}");
    for e in gunshots(&ev) {
        assert!(!e.evidence.is_empty());
        assert!(e.confidence.is_finite());
    }
}

/// Applies `fault` to `[2 s, 2 s + dur)` of a quiet scene, then injects a shot at
/// `fault end + delay` for increasing delays; returns the first delay at which the shot is
/// found, after checking the stream did not panic.
fn recovery(name: &str, dur: f32, fault: &dyn Fn(&mut [f32], &mut Rng), invented: bool) -> f32 {
    let start = s(2.0);
    let end = start + s(dur);
    for delay in [0.1f32, 0.25, 0.5, 1.0, RECOVERY_S] {
        let shot = end + s(delay);
        let mut x = scene(RATE, 2.0 + dur + delay + 3.0, BG_DB, &[], 7);
        let mut rng = Rng::new(99);
        fault(&mut x[start..end], &mut rng);
        let mut rng = Rng::new(5);
        add_shot(&mut x, shot, RATE, 4.0, &mut rng);
        let ev = run(&x);
        if !invented {
            // Non-sounds (NaN, infinities, denormals, digital silence) never make a gunshot.
            let t0 = Timestamp::from_samples(start as u64, RATE);
            let t1 = Timestamp::from_samples(shot as u64, RATE).add_micros(-COLLAR_US);
            let bad: Vec<_> = gunshots(&ev)
                .filter(|e| e.onset >= t0 && e.onset < t1)
                .collect();
            assert!(
                bad.is_empty(),
                "{name}: gunshot invented from the fault: {bad:?}"
            );
        }
        if found_at(&ev, shot) {
            println!("RECOVERY {name}: shot {delay} s after the fault is found");
            return delay;
        }
    }
    panic!("{name}: no shot found within {RECOVERY_S} s after the fault ended");
}

#[test]
fn nan_run_and_scattered_nans() {
    recovery("1 s of NaN", 1.0, &|x, _| x.fill(f32::NAN), false);
    recovery(
        "1 NaN in 100 samples for 3 s",
        3.0,
        &|x, _| x.iter_mut().step_by(100).for_each(|v| *v = f32::NAN),
        false,
    );
}

#[test]
fn infinities() {
    recovery("0.5 s of +Inf", 0.5, &|x, _| x.fill(f32::INFINITY), false);
    recovery(
        "alternating +-Inf for 0.5 s",
        0.5,
        &|x, _| {
            for (i, v) in x.iter_mut().enumerate() {
                *v = if i % 2 == 0 {
                    f32::INFINITY
                } else {
                    f32::NEG_INFINITY
                };
            }
        },
        false,
    );
    recovery(
        "f32::MAX for 0.5 s",
        0.5,
        &|x, _| x.fill(f32::MAX),
        true, // finite but absurd: may read as a (clipped) sound
    );
}

#[test]
fn denormals() {
    recovery(
        "3 s of denormals",
        3.0,
        &|x, r| x.iter_mut().for_each(|v| *v = 1e-40 * r.sym()),
        false,
    );
}

#[test]
fn dc_offset() {
    // A constant offset for the whole stream (a biased ADC, no DC blocking): the shot rides on
    // it. Up to 0.1 of full scale the shot is still found.
    for dc in [0.01f32, 0.05, 0.1] {
        let mut x = scene(RATE, 8.0, BG_DB, &[], 1);
        x.iter_mut().for_each(|v| *v += dc);
        let mut rng = Rng::new(2);
        add_shot(&mut x, s(4.0), RATE, 4.0, &mut rng);
        let ev = run(&x);
        assert!(
            found_at(&ev, s(4.0)),
            "shot on a DC offset of {dc} missed: {ev:?}"
        );
    }
    // A DC step (microphone bias shift) held for 3 s: a real, if odd, acoustic-path event.
    recovery(
        "DC step +0.3 held 3 s",
        3.0,
        &|x, _| x.iter_mut().for_each(|v| *v += 0.3),
        true,
    );
}

/// Was a FINDING: the level features (`level_db`, the noise floor) were computed on the raw
/// samples, DC included, so a constant offset of 0.3 full scale put the floor at about
/// -10 dBFS and a clipped shot rose only ~10 dB over it (threshold 15 dB): the shot was missed.
/// Fixed by the DC-blocking high-pass in front of the framer (`gunshot.dc_block_hz`, 5 Hz by
/// default since round 3 of docs/gunshot.md); without it (0) the shot is still missed.
#[test]
fn a_large_dc_offset_does_not_mask_a_shot() {
    let mut x = scene(RATE, 8.0, BG_DB, &[], 1);
    x.iter_mut().for_each(|v| *v += 0.3);
    let mut rng = Rng::new(2);
    add_shot(&mut x, s(4.0), RATE, 4.0, &mut rng);
    let run = |cfg: &autotrigger::audio::GunshotConfig| {
        let mut d = GunshotDetector::new(cfg, RATE).unwrap();
        let mut ev = Vec::new();
        for b in x.chunks(s(0.01)) {
            d.process(b, &mut ev).unwrap();
        }
        ev
    };
    let ev = run(&Default::default());
    assert!(
        found_at(&ev, s(4.0)),
        "shot on a DC offset of 0.3 missed with the default configuration: {ev:?}"
    );
    // The blocker is what finds it (the finding still holds without it).
    let off = run(&autotrigger::audio::GunshotConfig {
        dc_block_hz: 0.0,
        ..Default::default()
    });
    assert!(
        !found_at(&off, s(4.0)),
        "without the DC blocker the shot was expected to be missed: {off:?}"
    );
}

#[test]
fn hard_clipping_and_full_scale_noise() {
    recovery(
        "5 s clipped 440 Hz tone at 3x full scale",
        5.0,
        &|x, _| {
            for (i, v) in x.iter_mut().enumerate() {
                let t = i as f32 / RATE as f32;
                *v = (3.0 * (std::f32::consts::TAU * 440.0 * t).sin()).clamp(-1.0, 1.0);
            }
        },
        true,
    );
    recovery(
        "5 s of full-scale white noise",
        5.0,
        &|x, r| x.iter_mut().for_each(|v| *v = r.sym()),
        true,
    );
}

#[test]
fn sudden_gain_changes() {
    recovery(
        "+40 dB background for 5 s",
        5.0,
        &|x, _| x.iter_mut().for_each(|v| *v *= 100.0),
        true,
    );
    recovery(
        "-40 dB (muted) for 5 s",
        5.0,
        &|x, _| x.iter_mut().for_each(|v| *v *= 0.01),
        false,
    );
}

#[test]
fn an_hour_of_digital_silence_then_a_shot() {
    // 8 kHz keeps an hour short in wall time; the detector sees 28.8 M exact zeros.
    let rate = 8_000u32;
    let mut d = GunshotDetector::new(&Default::default(), rate).unwrap();
    let mut ev = Vec::new();
    let block = [0f32; 80];
    for _ in 0..(3600 * 100) {
        d.process(&block, &mut ev).unwrap();
    }
    assert!(gunshots(&ev).next().is_none(), "silence triggered: {ev:?}");
    let mut x = scene(rate, 4.0, BG_DB, &[], 3);
    let mut rng = Rng::new(4);
    add_shot(&mut x, 2 * rate as usize, rate, 4.0, &mut rng);
    for b in x.chunks(80) {
        d.process(b, &mut ev).unwrap();
    }
    d.finish(&mut ev);
    let t = Timestamp::from_samples(3600 * rate as u64 + 2 * rate as u64, rate);
    assert!(
        gunshots(&ev).any(|e| e.onset.micros_since(t).abs() <= COLLAR_US),
        "shot after an hour of silence missed (timestamps drift?): {ev:?}"
    );
}

/// The same recovery with the library's physically modelled shot (`autotrigger::synth`:
/// Friedlander blast, clipped, in pink noise) instead of the local generator: found
/// [`RECOVERY_S`] after each fault ends.
#[test]
fn synth_friedlander_shot_after_each_fault() {
    use autotrigger::synth::{audio, Rng as SRng};
    type Fault = (&'static str, fn(&mut [f32]));
    let faults: [Fault; 6] = [
        ("NaN", |x| x.fill(f32::NAN)),
        ("+Inf", |x| x.fill(f32::INFINITY)),
        ("f32::MAX", |x| x.fill(f32::MAX)),
        ("denormal", |x| x.fill(1e-40)),
        ("full-scale square", |x| {
            for (i, v) in x.iter_mut().enumerate() {
                *v = if (i / 20) % 2 == 0 { 1.0 } else { -1.0 };
            }
        }),
        ("silence", |x| x.fill(0.0)),
    ];
    for (name, fault) in faults {
        let mut rng = SRng::new(11);
        let mut scene = audio::AudioScene::new(RATE, 8.0);
        scene.add_noise(audio::NoiseColor::Pink, -50.0, &mut rng);
        let shot = audio::Gunshot {
            peak_dbfs: 6.0,
            ..Default::default()
        };
        scene.add(6.0, &audio::Sound::Gunshot(shot), &mut rng);
        let (mut x, truth) = scene.finish();
        // The fault ends RECOVERY_S before the shot.
        fault(&mut x[s(2.0)..s(6.0 - RECOVERY_S)]);
        let ev = run(&x);
        let onset = truth[0].onset;
        assert!(
            gunshots(&ev).any(|e| e.onset.micros_since(onset).abs() <= COLLAR_US),
            "{name}: synth shot {RECOVERY_S} s after the fault missed: {ev:?}"
        );
    }
}
