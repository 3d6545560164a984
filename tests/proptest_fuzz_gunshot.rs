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
