//! Loud everyday impacts (-6 dBFS, as loud as an unclipped blast) from `autotrigger::synth`,
//! free field and in a room, at five rates, four renderings each (40 per sound). Prints how many
//! events each gives (the figures quoted in docs/gunshot.md) and asserts the rates the README
//! states: a blast of that level always triggers; a slammed door (plate modes below 250 Hz,
//! centroid gate) triggers in at most 5 % of renderings (the distractor false-trigger aim; it
//! did in 12 of 40 before the centroid gate); a knock, clap or key drop at that level is
//! accepted as a gunshot (README limit: in at least 90 % of renderings), a dog bark in at least
//! a quarter, and a jackhammer gives bursts of events (more events than triggering renderings).

mod common;

use autotrigger::audio::{GunshotConfig, GunshotDetector};
use autotrigger::synth::audio::{AudioScene, Gunshot, NoiseColor, Reverb, Sound};
use autotrigger::synth::Rng;
use autotrigger::Event;

const RATES: [u32; 5] = [8_000, 16_000, 22_050, 44_100, 48_000];

fn detect(rate: u32, x: &[f32]) -> Vec<Event> {
    let mut det = GunshotDetector::new(&GunshotConfig::default(), rate).unwrap();
    common::run_blocks(&mut det, x, &[1000])
}

fn render(rate: u32, seed: u64, snd: &Sound, room: bool) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut s = AudioScene::new(rate, 3.0);
    s.add(0.5, snd, &mut rng);
    s.add_noise(NoiseColor::Street, -50.0, &mut rng);
    if room {
        s.set_reverb(&Reverb::default(), &mut rng);
    }
    s.finish().0
}

#[test]
fn loud_distractors_table_and_door_slams_rejected() {
    let level = -6.0;
    let sounds = [
        (
            "blast",
            Sound::Gunshot(Gunshot {
                peak_dbfs: level,
                ..Gunshot::default()
            }),
        ),
        ("door slam", Sound::DoorSlam { level_dbfs: level }),
        (
            "knock",
            Sound::Knock {
                level_dbfs: level,
                count: 3,
            },
        ),
        ("clap", Sound::Clap { level_dbfs: level }),
        ("key drop", Sound::KeyDrop { level_dbfs: level }),
        (
            "jackhammer",
            Sound::Jackhammer {
                level_dbfs: level,
                rate_hz: 20.0,
                duration_s: 1.5,
            },
        ),
        (
            "dog",
            Sound::DogBark {
                level_dbfs: level,
                f0_hz: 600.0,
                barks: 3,
            },
        ),
    ];
    println!(
        "{:<11} {:>5} {}",
        "sound",
        "room",
        RATES.map(|r| format!("{r:>6}")).join("")
    );
    // Renderings that gave at least one event, and events, per sound (both conditions).
    let mut triggered = [0usize; 7];
    let mut events = [0usize; 7];
    let renderings = 2 * RATES.len() * 4;
    for (k, (name, snd)) in sounds.iter().enumerate() {
        for room in [false, true] {
            let mut counts = Vec::new();
            for (i, rate) in RATES.into_iter().enumerate() {
                let mut n = 0;
                // Several renderings: the models draw their modes and rise times at random.
                for seed in 0..4u64 {
                    let x = render(rate, 1000 * i as u64 + seed, snd, room);
                    let ev = detect(rate, &x);
                    n += ev.len();
                    triggered[k] += usize::from(!ev.is_empty());
                    events[k] += ev.len();
                    if *name == "blast" {
                        assert!(!ev.is_empty(), "blast, room {room}, {rate} Hz");
                    }
                }
                counts.push(format!("{n:>6}"));
            }
            println!("{name:<11} {room:>5} {}", counts.join(""));
        }
    }
    let rate = |k: usize| triggered[k] as f64 / renderings as f64;
    for (k, (name, _)) in sounds.iter().enumerate() {
        println!(
            "{name:<11} triggered in {} of {renderings} renderings ({:.0} %), {} events",
            triggered[k],
            100.0 * rate(k),
            events[k]
        );
    }
    assert_eq!(triggered[0], renderings, "blast");
    assert!(
        rate(1) <= 0.05,
        "door slams: {} of {renderings}",
        triggered[1]
    );
    for k in [2, 3, 4] {
        assert!(
            rate(k) >= 0.9,
            "{}: {} of {renderings}",
            sounds[k].0,
            triggered[k]
        );
    }
    assert!(rate(6) >= 0.25, "dog: {} of {renderings}", triggered[6]);
    assert!(
        triggered[5] > 0 && events[5] > 2 * triggered[5],
        "jackhammer: {} events in {} renderings",
        events[5],
        triggered[5]
    );
}
