//! Bursts of fire in reverberant rooms (`autotrigger::synth`): after the first round, each
//! round lands on the earlier rounds' reverberation, so its attack stands only 12-20 dB over
//! the preceding level and its rise from quiet is never observed. The burst rule
//! (`burst_window_s`, `burst_min_attack_ratio_db`, `burst_peak_margin_db`) judges such a
//! candidate as a further round once a shot has been accepted just before it.
//!
//! `cargo test --release --test gunshot_bursts -- --nocapture` prints rounds found with the
//! rule and without it (`burst_window_s = 0`), per room and cadence, and the events a
//! jackhammer (impacts faster than any firearm's cycle) gives with and without it; every
//! round accepted through the rule follows an emitted shot.

mod common;

use autotrigger::audio::{GunshotConfig, GunshotDetector};
use autotrigger::synth::audio::{AudioScene, Gunshot, NoiseColor, Reverb, Sound};
use autotrigger::synth::Rng;
use autotrigger::{Event, EventKind};

fn detect(cfg: &GunshotConfig, rate: u32, x: &[f32]) -> Vec<Event> {
    common::run_blocks(&mut GunshotDetector::new(cfg, rate).unwrap(), x, &[777])
}

fn scene(rate: u32, seed: u64, snd: &Sound, reverb: &Reverb) -> (Vec<f32>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    let mut s = AudioScene::new(rate, 3.0);
    s.add(0.5, snd, &mut rng);
    s.add_noise(NoiseColor::Street, -50.0, &mut rng);
    s.set_reverb(reverb, &mut rng);
    let (x, labels) = s.finish();
    (x, labels.iter().map(|l| l.onset.as_secs_f64()).collect())
}

/// (rounds found, events matching no round): a round is found when an event's onset lies
/// within 10 ms of it.
fn score(ev: &[Event], rounds: &[f64]) -> (usize, usize) {
    let on: Vec<f64> = ev
        .iter()
        .filter(|e| e.kind == EventKind::Gunshot)
        .map(|e| e.onset.as_secs_f64())
        .collect();
    let found = rounds
        .iter()
        .filter(|r| on.iter().any(|o| (o - *r).abs() <= 0.01))
        .count();
    let stray = on
        .iter()
        .filter(|o| !rounds.iter().any(|r| (*o - r).abs() <= 0.01))
        .count();
    (found, stray)
}

#[test]
fn later_rounds_of_a_burst_are_found_and_a_jackhammer_gains_little() {
    let on = GunshotConfig::default();
    let off = GunshotConfig {
        burst_window_s: 0.0,
        ..GunshotConfig::default()
    };
    let rooms = [
        ("room 0.5 s, D/R 6 dB", 0.5, 6.0),
        ("hall 1.0 s, D/R 0 dB", 1.0, 0.0),
        ("garage 1.5 s, D/R 0 dB", 1.5, 0.0),
    ];
    let (mut tot, mut tot_on, mut tot_off, mut stray_on, mut stray_off) = (0, 0, 0, 0, 0);
    println!("burst of 7 rounds at -4 dBFS: rounds found with / without the burst rule");
    for (name, rt60, dr) in rooms {
        let reverb = Reverb {
            rt60_s: rt60,
            direct_to_reverb_db: dr,
            predelay_s: 0.015,
            lowpass_hz: 4000.0,
        };
        for interval in [0.08, 0.1, 0.15, 0.25] {
            let (mut n, mut a, mut b) = (0, 0, 0);
            for rate in [16_000, 48_000] {
                for seed in 0..3u64 {
                    let snd = Sound::Burst {
                        shot: Gunshot {
                            peak_dbfs: -4.0,
                            ..Gunshot::default()
                        },
                        rounds: 7,
                        interval_s: interval,
                    };
                    let (x, rounds) = scene(rate, 100 + seed, &snd, &reverb);
                    assert_eq!(rounds.len(), 7);
                    let (fa, sa) = score(&detect(&on, rate, &x), &rounds);
                    let (fb, sb) = score(&detect(&off, rate, &x), &rounds);
                    n += rounds.len();
                    a += fa;
                    b += fb;
                    stray_on += sa;
                    stray_off += sb;
                }
            }
            println!("  {name}, {interval:.2} s apart: {a}/{n} with, {b}/{n} without");
            tot += n;
            tot_on += a;
            tot_off += b;
        }
    }
    println!(
        "all bursts: {tot_on}/{tot} with, {tot_off}/{tot} without; events matching no round: {stray_on} with, {stray_off} without"
    );

    // A jackhammer: 20 blows per second, each as loud and sharp as a round.
    let (mut jack_on, mut jack_off) = (0, 0);
    for rate in [16_000, 48_000] {
        for seed in 0..3u64 {
            let snd = Sound::Jackhammer {
                level_dbfs: -6.0,
                rate_hz: 20.0,
                duration_s: 1.5,
            };
            let (x, _) = scene(rate, 200 + seed, &snd, &Reverb::default());
            jack_on += detect(&on, rate, &x).len();
            jack_off += detect(&off, rate, &x).len();
        }
    }
    println!("jackhammer, 6 renderings in a room: {jack_on} events with, {jack_off} without");

    // Measured: 452/504 with, 366/504 without. The rounds still missed in the halls make no
    // candidate at all (their hop level does not jump over the tail), which this rule cannot
    // change.
    assert!(tot_on >= tot_off + 60, "{tot_on} vs {tot_off}");
    assert!(
        tot_on * 100 >= tot * 87,
        "rounds found with the burst rule: {tot_on}/{tot}"
    );
    assert!(stray_on <= stray_off + 2, "{stray_on} vs {stray_off}");
    assert!(jack_on <= jack_off + 3, "{jack_on} vs {jack_off}");
}

/// Streaming: the burst rule depends on earlier decisions (and a round may wait for the one
/// before it), yet every block partition gives the same events, burst rounds included.
#[test]
fn burst_rounds_are_identical_for_any_partition() {
    let reverb = Reverb {
        rt60_s: 1.0,
        direct_to_reverb_db: 0.0,
        predelay_s: 0.015,
        lowpass_hz: 4000.0,
    };
    let snd = Sound::Burst {
        shot: Gunshot {
            peak_dbfs: -4.0,
            ..Gunshot::default()
        },
        rounds: 7,
        interval_s: 0.1,
    };
    let cfg = GunshotConfig::default();
    for rate in [16_000, 48_000] {
        let (x, _) = scene(rate, 100, &snd, &reverb);
        let whole = detect(&cfg, rate, &x);
        let rounds = whole
            .iter()
            .filter(|e| e.evidence.get("burst_gap_s").is_some())
            .count();
        assert!(
            rounds >= 3,
            "{rate} Hz: {rounds} burst rounds in {whole:#?}"
        );
        for sizes in [&[1usize][..], &[7, 1000, 3], &[333], &[4096, 17]] {
            let mut det = GunshotDetector::new(&cfg, rate).unwrap();
            let out = common::run_blocks(&mut det, &x, sizes);
            assert_eq!(out, whole, "{rate} Hz, blocks {sizes:?}");
        }
    }
}

/// The burst rule cannot start a trigger: every event accepted as a round of a burst
/// (`burst_gap_s` in its evidence) follows an emitted event by exactly that gap, within
/// `burst_window_s`, and peaks at most `burst_peak_margin_db` below it; with the rule off
/// (`burst_window_s = 0`) no event carries `burst_gap_s`.
#[test]
fn every_round_follows_an_emitted_shot() {
    let cfg = GunshotConfig::default();
    let off = GunshotConfig {
        burst_window_s: 0.0,
        ..GunshotConfig::default()
    };
    let mut rounds = 0;
    for (rt60, interval) in [(0.5, 0.1), (1.0, 0.1), (1.5, 0.08), (1.0, 0.25)] {
        let reverb = Reverb {
            rt60_s: rt60,
            direct_to_reverb_db: 0.0,
            predelay_s: 0.015,
            lowpass_hz: 4000.0,
        };
        for rate in [16_000, 48_000] {
            for (seed, snd) in [
                (
                    400,
                    Sound::Burst {
                        shot: Gunshot {
                            peak_dbfs: -4.0,
                            ..Gunshot::default()
                        },
                        rounds: 7,
                        interval_s: interval,
                    },
                ),
                (
                    401,
                    Sound::Jackhammer {
                        level_dbfs: -6.0,
                        rate_hz: 12.0,
                        duration_s: 1.5,
                    },
                ),
            ] {
                let (x, _) = scene(rate, seed, &snd, &reverb);
                let ev = detect(&cfg, rate, &x);
                for e in &ev {
                    let Some(gap) = e.evidence.get("burst_gap_s") else {
                        continue;
                    };
                    rounds += 1;
                    let t = e.onset.as_secs_f64() - gap.value as f64;
                    let peak = |e: &Event| e.evidence.get("peak_dbfs").unwrap().value;
                    assert!(gap.value > 0.0 && gap.value <= 0.5 + 1e-6, "{e:?}");
                    assert!(
                        ev.iter().any(|p| (p.onset.as_secs_f64() - t).abs() < 1e-4
                            && peak(e) >= peak(p) - 6.0 - 1e-3),
                        "{rate} Hz: a round with no shot {:.3} s before it: {e:?}",
                        gap.value
                    );
                }
                assert!(detect(&off, rate, &x)
                    .iter()
                    .all(|e| e.evidence.get("burst_gap_s").is_none()));
            }
        }
    }
    println!("rounds accepted through the burst rule: {rounds}");
    assert!(rounds >= 20, "{rounds}");
}
