//! Streaming conformance and behaviour of the gunshot detector on synthetic signals.

mod common;

use autotrigger::audio::{
    FeatureFrame, GunshotConfig, GunshotDecider, GunshotDetector, OnsetFeatures,
};
use autotrigger::{ConfigError, Event, StreamingDetector};
use common::run_blocks;
use proptest::prelude::*;

const RATES: [u32; 7] = [8_000, 12_000, 16_000, 22_050, 44_100, 48_000, 96_000];

/// A tiny deterministic noise source (LCG), uniform in [-1, 1).
struct Lcg(u32);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
    }
}

/// Background noise at `noise` (peak) plus muzzle-blast-like impulses: broadband noise with an
/// instantaneous rise, `amp` peak (clipped at full scale) and a 5 ms exponential decay.
fn shots(rate: u32, secs: f64, onsets_s: &[f64], amp: f32, noise: f32, seed: u32) -> Vec<f32> {
    let n = (secs * rate as f64) as usize;
    let mut r = Lcg(seed);
    let mut x: Vec<f32> = (0..n).map(|_| noise * r.next()).collect();
    for &t in onsets_s {
        let start = (t * rate as f64).round() as usize;
        let len = (0.2 * rate as f64) as usize;
        for i in 0..len.min(n.saturating_sub(start)) {
            let env = (-(i as f32) / (0.005 * rate as f32)).exp();
            x[start + i] += amp * env * r.next();
        }
    }
    for s in &mut x {
        *s = s.clamp(-1.0, 1.0);
    }
    x
}

fn detect(rate: u32, x: &[f32]) -> Vec<Event> {
    let mut det = GunshotDetector::new(&GunshotConfig::default(), rate).unwrap();
    run_blocks(&mut det, x, &[x.len().max(1)])
}

fn frames(rate: u32, x: &[f32], sizes: &[usize]) -> Vec<FeatureFrame> {
    let mut fx = OnsetFeatures::new(&GunshotConfig::default(), rate).unwrap();
    let mut v = Vec::new();
    let mut i = 0;
    let mut k = 0;
    while i < x.len() {
        let n = sizes[k % sizes.len()].min(x.len() - i);
        fx.push(&x[i..i + n], |f| v.push(*f));
        i += n;
        k += 1;
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_partition_gives_identical_events_and_frames(
        sizes in prop::collection::vec(1usize..700, 1..12),
        rate_i in 0usize..RATES.len(),
        seed in any::<u32>(),
    ) {
        let rate = RATES[rate_i];
        let x = shots(rate, 0.6, &[0.1, 0.3], 0.9, 0.002, seed);
        let whole = detect(rate, &x);
        let mut det = GunshotDetector::new(&GunshotConfig::default(), rate).unwrap();
        let parts = run_blocks(&mut det, &x, &sizes);
        prop_assert_eq!(&whole, &parts);
        prop_assert_eq!(frames(rate, &x, &[x.len()]), frames(rate, &x, &sizes));
    }
}

#[test]
fn reset_equals_fresh_and_finish_resets() {
    let rate = 22_050;
    let x = shots(rate, 1.0, &[0.2, 0.5], 1.2, 0.003, 7);
    let fresh = detect(rate, &x);
    assert_eq!(fresh.len(), 2, "{fresh:?}");
    let mut det = GunshotDetector::new(&GunshotConfig::default(), rate).unwrap();
    // Half a stream, then reset.
    let mut junk = Vec::new();
    det.process(&x[..7_000], &mut junk).unwrap();
    det.reset();
    assert_eq!(run_blocks(&mut det, &x, &[512]), fresh);
    // finish() leaves the detector as after reset.
    assert_eq!(run_blocks(&mut det, &x, &[333]), fresh);
}

#[test]
fn two_shots_80_ms_apart_are_two_events_with_onsets_within_a_hop() {
    for rate in RATES {
        let t0 = 0.3;
        let x = shots(rate, 1.0, &[t0, t0 + 0.08], 1.5, 0.002, rate);
        let ev = detect(rate, &x);
        assert_eq!(ev.len(), 2, "rate {rate}: {ev:?}");
        for (e, t) in ev.iter().zip([t0, t0 + 0.08]) {
            let err = (e.onset.as_micros() - (t * 1e6) as i64).abs();
            assert!(err <= 5_000, "rate {rate}: onset off by {err} us");
            assert!(e.decided >= e.onset);
            assert!(
                e.latency_us()
                    <= GunshotDetector::new(&GunshotConfig::default(), rate)
                        .unwrap()
                        .latency_us()
            );
            assert!((0.0..=1.0).contains(&e.confidence));
            assert!(e.evidence.len() >= 5);
            let d = e.evidence.get("decay_db").unwrap();
            assert!(d.value >= d.threshold.unwrap());
        }
    }
}

#[test]
fn a_single_shot_is_one_event_at_every_rate_and_level() {
    for rate in RATES {
        for amp in [0.4f32, 1.0, 3.0] {
            let x = shots(rate, 1.5, &[0.7], amp, 0.0005, 11);
            let ev = detect(rate, &x);
            assert_eq!(ev.len(), 1, "rate {rate} amp {amp}: {ev:?}");
        }
    }
}

#[test]
fn silence_noise_and_tones_never_trigger() {
    for rate in RATES {
        let n = rate as usize * 2;
        assert!(detect(rate, &vec![0.0; n]).is_empty(), "silence at {rate}");
        for level in [1e-4f32, 0.01, 0.3, 1.0] {
            let mut r = Lcg(rate ^ level.to_bits());
            let white: Vec<f32> = (0..n).map(|_| level * r.next()).collect();
            assert!(detect(rate, &white).is_empty(), "white {level} at {rate}");
            // Pink noise (Paul Kellet's economy filter, -3 dB/octave), scaled to this peak.
            let (mut b0, mut b1, mut b2) = (0.0f32, 0.0f32, 0.0f32);
            let mut pink: Vec<f32> = (0..n)
                .map(|_| {
                    let w = r.next();
                    b0 = 0.99765 * b0 + w * 0.099_046;
                    b1 = 0.963 * b1 + w * 0.296_516_4;
                    b2 = 0.57 * b2 + w * 1.052_691_3;
                    b0 + b1 + b2 + w * 0.1848
                })
                .collect();
            let m = pink.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            pink.iter_mut().for_each(|v| *v *= level / m);
            assert!(detect(rate, &pink).is_empty(), "pink {level} at {rate}");
            for f in [100.0f32, 440.0, 1000.0, 3000.0] {
                let tone: Vec<f32> = (0..n)
                    .map(|i| {
                        level * (2.0 * std::f32::consts::PI * f * i as f32 / rate as f32).sin()
                    })
                    .collect();
                assert!(
                    detect(rate, &tone).is_empty(),
                    "tone {f} Hz {level} at {rate}"
                );
            }
        }
    }
}

#[test]
fn non_finite_and_denormal_samples_never_panic() {
    let rate = 16_000;
    let mut x = shots(rate, 1.0, &[0.5], 1.0, 0.001, 3);
    for i in (0..x.len()).step_by(97) {
        x[i] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e-42, -1e-40][i % 5];
    }
    let mut det = GunshotDetector::new(&GunshotConfig::default(), rate).unwrap();
    let mut out = Vec::new();
    det.process(&x, &mut out).unwrap();
    assert!(det.non_finite_samples() > 0);
    let mut all_nan = Vec::new();
    det.process(&vec![f32::NAN; 20_000], &mut all_nan).unwrap();
    det.process(&vec![1e-40; 20_000], &mut all_nan).unwrap();
    det.finish(&mut all_nan);
    for e in out.iter().chain(&all_nan) {
        assert!(e.confidence.is_finite());
        for it in e.evidence.items() {
            assert!(it.value.is_finite(), "{it:?}");
        }
    }
    let mut fx = OnsetFeatures::new(&GunshotConfig::default(), rate).unwrap();
    fx.push(&x, |f| {
        assert!(f.values().iter().all(|v| v.is_finite()), "{f:?}")
    });
}

#[test]
fn decider_over_precomputed_frames_equals_the_detector() {
    let rate = 44_100;
    let x = shots(rate, 1.2, &[0.1, 0.4, 0.48, 0.9], 0.8, 0.003, 5);
    let full = detect(rate, &x);
    assert_eq!(full.len(), 4);
    let cfg = GunshotConfig::default();
    let fr = frames(rate, &x, &[x.len()]);
    for variant in [
        cfg.clone(),
        GunshotConfig {
            min_decay_db: 60.0,
            ..cfg.clone()
        },
        GunshotConfig {
            rise_threshold_db: 5.0,
            max_rise_time_s: 0.01,
            ..cfg.clone()
        },
    ] {
        assert!(variant.same_features(&cfg));
        let mut det = GunshotDetector::new(&variant, rate).unwrap();
        let direct = run_blocks(&mut det, &x, &[1000]);
        let timing = OnsetFeatures::new(&variant, rate).unwrap().timing();
        let mut dec = GunshotDecider::new(&variant, timing).unwrap();
        let mut via = Vec::new();
        for f in &fr {
            dec.push(f, &mut via);
        }
        dec.finish(&mut via);
        assert_eq!(direct, via);
    }
    assert!(!GunshotConfig {
        hop_s: 0.004,
        ..cfg.clone()
    }
    .same_features(&cfg));
}

#[test]
fn i16_entry_point_matches_f32() {
    let rate = 12_000;
    let x = shots(rate, 1.0, &[0.25, 0.6], 0.7, 0.002, 9);
    let q: Vec<i16> = x.iter().map(|&s| (s * 32767.0).round() as i16).collect();
    let xf: Vec<f32> = q.iter().map(|&s| f32::from(s) / 32768.0).collect();
    let mut det = GunshotDetector::new(&GunshotConfig::default(), rate).unwrap();
    let mut a = Vec::new();
    for c in q.chunks(77) {
        det.process_i16(c, &mut a);
    }
    det.finish(&mut a);
    assert_eq!(a, detect(rate, &xf));
    assert_eq!(a.len(), 2);
}

#[test]
fn bad_configuration_and_rates_are_typed_errors() {
    let c = GunshotConfig::default();
    assert!(matches!(
        GunshotDetector::new(&c, 4_000),
        Err(ConfigError::SampleRate { .. })
    ));
    assert!(matches!(
        GunshotDetector::new(&c, 192_000),
        Err(ConfigError::SampleRate { .. })
    ));
    let bad = GunshotConfig {
        hop_s: f64::NAN,
        ..c.clone()
    };
    assert!(matches!(
        GunshotDetector::new(&bad, 16_000),
        Err(ConfigError::OutOfRange {
            param: "gunshot.hop_s",
            ..
        })
    ));
    // The frame must be at least one hop long (as long is fine).
    let bad = GunshotConfig {
        hop_s: 0.005,
        frame_s: 0.004,
        ..c.clone()
    };
    assert!(matches!(
        bad.validate(),
        Err(ConfigError::Inconsistent {
            param: "gunshot.frame_s",
            ..
        })
    ));
    let one_hop = GunshotConfig {
        hop_s: 0.005,
        frame_s: 0.005,
        ..c.clone()
    };
    assert!(one_hop.validate().is_ok());
    let bad = GunshotConfig {
        band_min_hz: 5000.0,
        band_max_hz: 4000.0,
        ..c.clone()
    };
    assert!(matches!(
        bad.validate(),
        Err(ConfigError::Inconsistent { .. })
    ));
    let bad = GunshotConfig {
        attack_window_s: 0.09,
        decay_window_s: 0.05,
        ..c.clone()
    };
    assert!(matches!(
        bad.validate(),
        Err(ConfigError::Inconsistent { .. })
    ));
    let toml = autotrigger::Config::from_toml_str("[gunshot]\nmin_decay_db = 12.5\n").unwrap();
    assert_eq!(toml.gunshot.min_decay_db, 12.5);
    assert!(autotrigger::Config::from_toml_str("[gunshot]\nflux_threshold = 1\n").is_err());
}

#[test]
fn feature_params_are_exactly_the_keys_that_change_features() {
    let base = GunshotConfig::default();
    let text = toml::to_string(&base).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    for name in GunshotConfig::FEATURE_PARAMS {
        assert!(
            table.contains_key(*name),
            "FEATURE_PARAMS names unknown key {name}"
        );
    }
    let rate = 16_000;
    let x = shots(rate, 0.8, &[0.3], 0.9, 0.003, 21);
    let want = {
        let mut fx = OnsetFeatures::new(&base, rate).unwrap();
        let mut v = Vec::new();
        fx.push(&x, |f| v.push(*f));
        v
    };
    for (key, value) in &table {
        // The non-numeric keys, the decision stage and the gated front end's switch, change
        // no feature (the gate skips features the decision does not read, but
        // `OnsetFeatures` always computes every one).
        if key == "full_analysis" {
            let c = GunshotConfig {
                full_analysis: true,
                ..base.clone()
            };
            assert!(c.same_features(&base));
            continue;
        }
        let Some(v) = value.as_float() else {
            assert_eq!(key, "stage");
            let c = GunshotConfig {
                stage: autotrigger::audio::GunshotStage::Model,
                ..base.clone()
            };
            assert!(c.same_features(&base));
            continue;
        };
        // A nearby valid value of this key.
        let mut changed = None;
        for cand in [v * 1.3, v * 0.7, v + 0.01, v - 0.01, 0.5] {
            let mut t = table.clone();
            t.insert(key.clone(), toml::Value::Float(cand));
            if let Ok(c) = toml::from_str::<GunshotConfig>(&toml::to_string(&t).unwrap()) {
                if c.validate().is_ok() && c != base {
                    changed = Some(c);
                    break;
                }
            }
        }
        let c = changed.unwrap_or_else(|| panic!("no valid variation of {key}"));
        let is_feature = GunshotConfig::FEATURE_PARAMS.contains(&key.as_str());
        assert_eq!(!c.same_features(&base), is_feature, "{key}");
        if !is_feature {
            let mut fx = OnsetFeatures::new(&c, rate).unwrap();
            let mut got = Vec::new();
            fx.push(&x, |f| got.push(*f));
            assert_eq!(
                got, want,
                "{key} is not a feature parameter but changed the frames"
            );
        }
    }
}

#[test]
fn detectors_can_move_between_threads() {
    fn send<T: Send>() {}
    send::<GunshotDetector>();
    send::<GunshotDecider>();
    send::<OnsetFeatures>();
}
