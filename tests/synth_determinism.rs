//! The synthetic generators are deterministic (same seed, same bits), seed-sensitive, and
//! rate-independent in their event timing.

use autotrigger::synth::audio::{AudioScene, Gunshot, NoiseColor, Reverb, Sound};
use autotrigger::synth::imu::{FallDirection, ImuScene, Mounting, Timing};
use autotrigger::synth::{Rng, SynthEvent};

fn audio(rate: u32, seed: u64) -> (Vec<f32>, Vec<SynthEvent>) {
    let mut rng = Rng::new(seed);
    let mut s = AudioScene::new(rate, 1.5);
    s.add_noise(NoiseColor::Street, -40.0, &mut rng);
    s.set_reverb(&Reverb::default(), &mut rng);
    s.add(0.2, &Sound::Clap { level_dbfs: -10.0 }, &mut rng);
    s.add(0.5, &Sound::Gunshot(Gunshot::default()), &mut rng);
    s.add(
        0.9,
        &Sound::Burst {
            shot: Gunshot::default(),
            rounds: 3,
            interval_s: 0.1,
        },
        &mut rng,
    );
    s.finish()
}

fn imu(seed: u64) -> ImuScene {
    let mut s = ImuScene::new(Rng::new(seed));
    s.stand(1.0)
        .run(4.0, 160.0, 4.0)
        .fall(FallDirection::Right, 6.0)
        .lie(31.0)
        .double_tap(4.0, 0.3);
    s
}

#[test]
fn same_seed_same_bits_other_seed_other_bits() {
    for rate in [8000, 44_100] {
        let (a, ea) = audio(rate, 5);
        let (b, eb) = audio(rate, 5);
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        assert_eq!(ea, eb);
        let (c, _) = audio(rate, 6);
        assert!(a != c);
    }
    let m = Mounting::from_euler_deg(30.0, 60.0, 90.0);
    let (a, ea) = imu(1).render(100.0, m, Timing::Regular);
    let (b, eb) = imu(1).render(100.0, m, Timing::Regular);
    assert_eq!(a, b);
    assert_eq!(ea, eb);
    let (c, _) = imu(2).render(100.0, m, Timing::Regular);
    assert!(a != c);
}

#[test]
fn events_do_not_depend_on_the_rate() {
    let (_, reference) = audio(48_000, 3);
    assert_eq!(reference.len(), 4);
    for rate in [8000, 12_000, 16_000, 22_050, 44_100, 96_000] {
        let (x, ev) = audio(rate, 3);
        assert_eq!(x.len(), (1.5 * rate as f64) as usize);
        for (a, b) in ev.iter().zip(&reference) {
            assert_eq!(a.kind, b.kind);
            // Onsets are exact; offsets (-40 dB points) within a couple of samples.
            assert!((a.onset.as_micros() - b.onset.as_micros()).abs() <= 1_000_000 / rate as i64);
            assert!((a.offset.as_micros() - b.offset.as_micros()).abs() < 1_000);
        }
    }
    let m = Mounting::aligned();
    let (_, e50) = imu(4).render(50.0, m, Timing::Regular);
    let (_, e1k) = imu(4).render(1000.0, m, Timing::Regular);
    assert_eq!(e50, e1k);
    let kinds: Vec<_> = e50.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["running", "fall", "officer_down", "double_tap"]);
}
