//! The fuzz target `gunshot` as a fast proptest: arbitrary f32 bit patterns (NaN, infinities,
//! denormals, huge values) mixed into audio at every supported rate, cut into arbitrary
//! blocks. No panic; non-finite samples counted; events well-formed; and the events are the
//! same for two different partitions of the same hostile signal (streaming invariance holds
//! for bad input too).

use autotrigger::audio::GunshotDetector;
use autotrigger::{Event, StreamingDetector};
use proptest::prelude::*;

#[path = "robust_support/signals.rs"]
mod signals;

const RATES: [u32; 8] = [
    8_000, 11_025, 12_000, 16_000, 22_050, 44_100, 48_000, 96_000,
];

fn feed(d: &mut GunshotDetector, x: &[f32], cuts: &[usize]) -> Vec<Event> {
    let mut ev = Vec::new();
    let mut rest = x;
    for &c in cuts.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let n = c.clamp(0, rest.len());
        // Zero-length blocks are legal and must change nothing.
        let _ = d.process(&rest[..n], &mut ev);
        rest = &rest[n..];
        if n == 0 {
            let n = 1.min(rest.len());
            let _ = d.process(&rest[..n], &mut ev);
            rest = &rest[n..];
        }
    }
    d.finish(&mut ev);
    ev
}

fn hostile() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => -1.0f32..1.0,
        // Any bit pattern up to 1e6 x full scale; larger finite values are the subject of
        // `huge_finite_samples_give_finite_evidence` below.
        1 => any::<u32>().prop_map(f32::from_bits).prop_filter("<= 1e6", |v| !v.is_finite() || v.abs() <= 1e6),
        1 => Just(f32::NAN),
        1 => prop_oneof![Just(f32::INFINITY), Just(f32::NEG_INFINITY), Just(1e6), Just(-1e6), Just(f32::MIN_POSITIVE / 4.0)],
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn hostile_samples_any_partition(
        rate_i in 0usize..RATES.len(),
        // sparse hostile samples sprinkled over a signal with real shots
        sprinkles in prop::collection::vec((any::<prop::sample::Index>(), hostile()), 0..200),
        burst in prop::option::of((any::<prop::sample::Index>(), 1usize..4000, hostile())),
        cuts_a in prop::collection::vec(0usize..3000, 1..20),
        cuts_b in prop::collection::vec(0usize..3000, 1..20),
        seed in 1u64..1000,
    ) {
        let rate = RATES[rate_i];
        let n = rate as usize; // one second
        let mut x = signals::scene(rate, 1.0, -45.0, &[n / 4, 3 * n / 4], seed);
        for (i, v) in sprinkles {
            let k = i.index(x.len());
            x[k] = v;
        }
        if let Some((i, len, v)) = burst {
            let k = i.index(x.len());
            let e = (k + len).min(x.len());
            x[k..e].fill(v);
        }
        let mut d = GunshotDetector::new(&Default::default(), rate).unwrap();
        let a = feed(&mut d, &x, &cuts_a);
        // finish() leaves the detector as after reset(): reuse it.
        prop_assert_eq!(d.non_finite_samples(), 0, "finish() did not reset the counter");
        let b = feed(&mut d, &x, &cuts_b);
        prop_assert_eq!(&a, &b, "events depend on the block partition");
        for e in &a {
            prop_assert!(e.confidence.is_finite() && (0.0..=1.0).contains(&e.confidence), "{:?}", e);
            prop_assert!(e.onset <= e.decided);
            prop_assert!(!e.evidence.is_empty());
            for it in e.evidence.items() {
                prop_assert!(it.value.is_finite(), "non-finite evidence {:?}", it);
            }
        }
    }
}

/// The property above is only worth something if the clean signal it corrupts makes events:
/// both shots are found at every rate.
#[test]
fn the_clean_signal_has_both_shots_at_every_rate() {
    for rate in RATES {
        let n = rate as usize;
        let x = signals::scene(rate, 1.0, -45.0, &[n / 4, 3 * n / 4], 3);
        let mut d = GunshotDetector::new(&Default::default(), rate).unwrap();
        let ev = feed(&mut d, &x, &[441]);
        assert_eq!(ev.len(), 2, "{rate} Hz: {ev:?}");
    }
}

/// Former FINDING (audio, fixed: the front end clamps samples to +-1e6 FS): finite but absurd
/// samples (|x| ~ 1e19 and above, a corrupted DMA buffer read as f32) overflowed the frame
/// power to infinity, and the event's
/// evidence then carries `flux_db = inf` (JSON `null`). Non-finite samples are already replaced
/// by 0 and counted; clamping finite samples to a sane range (say +-1e3 full scale) would
/// keep every evidence value finite.
#[test]
fn huge_finite_samples_give_finite_evidence() {
    // A shot whose decay window holds one huge sample: found, with every evidence finite.
    let rate = 8_000;
    let mut bad = Vec::new();
    for k in (2000..2800).step_by(7) {
        for v in [-1.6e25f32, f32::MAX, 3e19] {
            let mut x = signals::scene(rate, 1.0, -45.0, &[2000], 3);
            x[k] = v;
            let mut d = GunshotDetector::new(&Default::default(), rate).unwrap();
            for e in feed(&mut d, &x, &[80]) {
                for it in e.evidence.items() {
                    if !it.value.is_finite() {
                        bad.push((k, v, *it));
                    }
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} cases of non-finite evidence, e.g. {:?}",
        bad.len(),
        &bad[..bad.len().min(3)]
    );
}

/// White noise of peak `noise` plus broadband blasts (instant rise, 5 ms decay) of peak `amp`
/// at `onsets` (samples), unclipped.
fn blasts(rate: u32, n: usize, noise: f32, onsets: &[(usize, f32)], mut seed: u32) -> Vec<f32> {
    let mut r = move || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
    };
    let mut x: Vec<f32> = (0..n).map(|_| noise * r()).collect();
    for &(t, amp) in onsets {
        for i in 0..(rate as usize / 5).min(n.saturating_sub(t)) {
            x[t + i] += amp * (-(i as f32) / (0.005 * rate as f32)).exp() * r();
        }
    }
    x
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// With the relative peak gate and a low absolute floor, the events do not depend on the
    /// block partition nor on the recording's gain (-20..+20 dB): same count, same onsets,
    /// except for a candidate within 0.1 dB of the relative gate. The noise floor starts at
    /// -120 dBFS and converges towards the signal's level, so early in a recording its
    /// residual (about 0.03 dB at 0.4 s for these signals) depends on the level, hence on
    /// the gain; a case whose events change when the gate moves by ±0.1 dB is such an edge
    /// case (a seed found one: peak 29.99-30.03 dB over the floor at the five gains).
    #[test]
    fn relative_gate_any_partition_any_gain(
        rate_i in 0usize..RATES.len(),
        amps in prop::collection::vec(0.003f32..0.1, 1..4),
        noise_db in -70.0f32..-50.0,
        gain_i in 0usize..4,
        cuts_a in prop::collection::vec(1usize..3000, 1..20),
        cuts_b in prop::collection::vec(1usize..3000, 1..20),
        seed in 1u32..1000,
    ) {
        let rate = RATES[rate_i];
        let n = 2 * rate as usize;
        let onsets: Vec<(usize, f32)> = amps
            .iter()
            .enumerate()
            .map(|(i, &a)| (n * (2 + 2 * i) / 10, a))
            .collect();
        let x = blasts(rate, n, 10f32.powf(noise_db / 20.0), &onsets, seed);
        let cfg = autotrigger::audio::GunshotConfig {
            min_peak_dbfs: -100.0,
            min_peak_over_floor_db: 30.0,
            ..Default::default()
        };
        let gain = [0.1f32, 0.5, 3.0, 10.0][gain_i];
        let y: Vec<f32> = x.iter().map(|v| v * gain).collect();
        let mut d = GunshotDetector::new(&cfg, rate).unwrap();
        let a = feed(&mut d, &x, &cuts_a);
        let b = feed(&mut d, &x, &cuts_b);
        prop_assert_eq!(&a, &b, "events depend on the block partition");
        let c = feed(&mut d, &y, &cuts_b);
        let onsets_of = |ev: &[Event]| -> Vec<i64> {
            ev.iter().map(|e| e.onset.as_micros()).filter(|&t| t > 300_000).collect()
        };
        let at_gate = |db: f64| {
            let cfg = autotrigger::audio::GunshotConfig {
                min_peak_over_floor_db: db,
                ..cfg.clone()
            };
            onsets_of(&feed(&mut GunshotDetector::new(&cfg, rate).unwrap(), &x, &[4096]))
        };
        let edge = at_gate(29.9) != at_gate(30.1);
        prop_assume!(!edge, "a candidate within 0.1 dB of the relative gate");
        prop_assert_eq!(onsets_of(&a), onsets_of(&c), "events depend on the gain {}", gain);
    }
}

/// The property above is only worth something if its signals make events and the relative
/// gate decides some of them: at every rate a 0.1 peak blast over -60 dBFS noise is found at
/// any of the gains, a 0.003 one (about 20 dB over the noise) is not, and the default
/// absolute gate (-10 dBFS) decides differently at the lowest and highest gain.
#[test]
fn the_relative_gate_property_sees_events_at_every_rate() {
    let cfg = autotrigger::audio::GunshotConfig {
        min_peak_dbfs: -100.0,
        min_peak_over_floor_db: 30.0,
        ..Default::default()
    };
    for rate in RATES {
        let n = 2 * rate as usize;
        let x = blasts(rate, n, 0.001, &[(n / 5, 0.1), (3 * n / 5, 0.003)], 7);
        for gain in [0.1f32, 0.5, 3.0, 10.0] {
            let y: Vec<f32> = x.iter().map(|v| v * gain).collect();
            let mut d = GunshotDetector::new(&cfg, rate).unwrap();
            let ev = feed(&mut d, &y, &[441]);
            assert_eq!(ev.len(), 1, "{rate} Hz, gain {gain}: {ev:?}");
            assert!((ev[0].onset.as_micros() - 400_000).abs() <= 5_000, "{ev:?}");
        }
        let mut d = GunshotDetector::new(&Default::default(), rate).unwrap();
        let lo: Vec<f32> = x.iter().map(|v| v * 0.1).collect();
        let hi: Vec<f32> = x.iter().map(|v| v * 10.0).collect();
        assert_eq!(feed(&mut d, &lo, &[441]).len(), 0, "{rate} Hz");
        assert_eq!(feed(&mut d, &hi, &[441]).len(), 1, "{rate} Hz");
    }
}
