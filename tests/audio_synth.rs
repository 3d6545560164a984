//! The gunshot detector on the physically-motivated fixtures of `autotrigger::synth`: muzzle
//! blasts (with and without an N-wave, near and clipped, low-passed by distance, bursts, in
//! rooms) and the distractors the design notes list, over street noise, at several rates.

mod common;

use autotrigger::audio::{GunshotConfig, GunshotDetector};
use autotrigger::synth::audio::{AudioScene, Gunshot, NWave, NoiseColor, Reverb, Sound};
use autotrigger::synth::Rng;
use autotrigger::Event;

const RATES: [u32; 5] = [8_000, 16_000, 22_050, 44_100, 48_000];

fn detect(rate: u32, x: &[f32]) -> Vec<Event> {
    let mut det = GunshotDetector::new(&GunshotConfig::default(), rate).unwrap();
    common::run_blocks(&mut det, x, &[1024])
}

fn scene(rate: u32, seed: u64, sounds: &[(f64, Sound)], room: bool) -> (Vec<f32>, Vec<i64>) {
    let mut rng = Rng::new(seed);
    let mut s = AudioScene::new(rate, 3.0);
    for (t, snd) in sounds {
        s.add(*t, snd, &mut rng);
    }
    s.add_noise(NoiseColor::Street, -50.0, &mut rng);
    if room {
        s.set_reverb(&Reverb::default(), &mut rng);
    }
    let (x, ev) = s.finish();
    let onsets = ev
        .iter()
        .filter(|e| e.kind == "gunshot")
        .map(|e| e.onset.as_micros())
        .collect();
    (x, onsets)
}

#[test]
fn synthetic_shots_are_found_once_each_within_a_hop() {
    let shots = [
        (
            "near, clipped",
            Gunshot {
                peak_dbfs: 6.0,
                ..Gunshot::default()
            },
        ),
        ("default", Gunshot::default()),
        (
            "supersonic",
            Gunshot {
                n_wave: Some(NWave::default()),
                ..Gunshot::default()
            },
        ),
        (
            "behind a wall",
            Gunshot {
                peak_dbfs: -6.0,
                lowpass_hz: Some(1500.0),
                ..Gunshot::default()
            },
        ),
    ];
    for rate in RATES {
        for room in [false, true] {
            for (name, g) in &shots {
                let sounds = [
                    (0.5, Sound::Gunshot(g.clone())),
                    (
                        1.5,
                        Sound::Burst {
                            shot: g.clone(),
                            rounds: 4,
                            interval_s: 0.08,
                        },
                    ),
                ];
                let (x, truth) = scene(rate, u64::from(rate), &sounds, room);
                let ev = detect(rate, &x);
                // Every event is a true shot, found within a hop of its first arrival.
                for e in &ev {
                    let err = truth
                        .iter()
                        .map(|t| (e.onset.as_micros() - t).abs())
                        .min()
                        .unwrap();
                    assert!(
                        err <= 5_000,
                        "{name}, room {room}, {rate} Hz: onset off by {err} us"
                    );
                }
                let found = |t: i64| ev.iter().any(|e| (e.onset.as_micros() - t).abs() <= 5_000);
                if room {
                    // In a room the previous rounds' reverberation can hide a round's attack
                    // (a known limitation, docs/gunshot.md): the single shot and the first
                    // round must be found, and no round twice.
                    assert!(
                        found(truth[0]) && found(truth[1]),
                        "{name}, room, {rate} Hz: {ev:#?}"
                    );
                    assert!(ev.len() <= truth.len());
                } else {
                    assert_eq!(ev.len(), truth.len(), "{name}, {rate} Hz: {ev:#?}");
                }
            }
        }
    }
}

#[test]
fn synthetic_distractors_below_the_blast_level_do_not_trigger() {
    // Everyday impacts 10 dB below the peak gate (a blast near the microphone drives it to
    // full scale), and speech at a loud -6 dBFS, never trigger. Louder impacts can: see
    // docs/gunshot.md (the detector does not tell a -6 dBFS door slam from a shot).
    let quiet = -20.0;
    let distractors = [
        ("clap", Sound::Clap { level_dbfs: quiet }),
        ("door slam", Sound::DoorSlam { level_dbfs: quiet }),
        (
            "knock",
            Sound::Knock {
                level_dbfs: quiet,
                count: 3,
            },
        ),
        ("key drop", Sound::KeyDrop { level_dbfs: quiet }),
        (
            "jackhammer",
            Sound::Jackhammer {
                level_dbfs: quiet,
                rate_hz: 20.0,
                duration_s: 1.5,
            },
        ),
        (
            "dog",
            Sound::DogBark {
                level_dbfs: quiet,
                f0_hz: 600.0,
                barks: 3,
            },
        ),
        (
            "speech",
            Sound::Speech {
                level_dbfs: -6.0,
                f0_hz: 140.0,
                duration_s: 1.5,
            },
        ),
    ];
    let mut fired = Vec::new();
    for rate in RATES {
        for room in [false, true] {
            for (name, d) in &distractors {
                let (x, _) = scene(rate, 7 + u64::from(rate), &[(0.5, d.clone())], room);
                let ev = detect(rate, &x);
                if !ev.is_empty() {
                    fired.push(format!("{name} room {room} {rate} Hz: {} events", ev.len()));
                }
            }
        }
    }
    assert!(fired.is_empty(), "{fired:#?}");
}
