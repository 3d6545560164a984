//! The fuzz target `config` as a fast proptest: TOML text built from the real keys of the
//! default configuration with hostile values (NaN, infinities, huge, negative, wrong types),
//! plus arbitrary text. Accepted configurations validate, round-trip and build every detector
//! at every supported audio rate; rejected ones are typed errors.

use autotrigger::audio::GunshotDetector;
use autotrigger::imu::ImuDetectors;
use autotrigger::{Config, ConfigError};
use proptest::prelude::*;

/// `(table, key)` of every parameter of the default configuration.
fn keys() -> Vec<(String, String)> {
    let v: toml::Value = toml::from_str(&Config::default().to_toml_string()).unwrap();
    let mut out = Vec::new();
    for (t, tv) in v.as_table().unwrap() {
        if let Some(tab) = tv.as_table() {
            for k in tab.keys() {
                out.push((t.clone(), k.clone()));
            }
        }
    }
    out
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("nan".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("0".to_string()),
        Just("-0.0".to_string()),
        Just("1e308".to_string()),
        Just("true".to_string()),
        Just("\"x\"".to_string()),
        Just("[]".to_string()),
        any::<f64>().prop_map(|v| format!("{v:?}")),
        any::<i64>().prop_map(|v| v.to_string()),
        (-1000i32..1000).prop_map(|v| format!("{}", v as f64 / 100.0)),
        (0i32..100_000).prop_map(|v| format!("{}.0", v)),
    ]
}

fn check_accepted(c: &Config) -> Result<(), TestCaseError> {
    prop_assert!(c.validate().is_ok());
    let again = Config::from_toml_str(&c.to_toml_string());
    prop_assert_eq!(again.as_ref().ok(), Some(c), "round trip: {:?}", again);
    for rate in [8_000, 11_025, 44_100, 96_000] {
        let g = GunshotDetector::new(&c.gunshot, rate);
        prop_assert!(
            g.is_ok(),
            "valid config, gunshot at {} Hz: {:?}",
            rate,
            g.err()
        );
    }
    let i = ImuDetectors::new(c);
    prop_assert!(i.is_ok(), "valid config, IMU: {:?}", i.err());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn real_keys_hostile_values(picks in prop::collection::vec((any::<prop::sample::Index>(), value()), 0..8)) {
        let ks = keys();
        let mut tables: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (i, v) in picks {
            let (t, k) = &ks[i.index(ks.len())];
            let lines = tables.entry(t.clone()).or_default();
            // A duplicate key is itself a (parse) error case worth keeping sometimes.
            lines.push(format!("{k} = {v}"));
        }
        let mut text = String::new();
        for (t, lines) in tables {
            text.push_str(&format!("[{t}]\n{}\n", lines.join("\n")));
        }
        match Config::from_toml_str(&text) {
            Ok(c) => check_accepted(&c)?,
            Err(ConfigError::OutOfRange { param, .. }) => {
                prop_assert!(text.contains(param.rsplit('.').next().unwrap()), "{} not in {}", param, text);
            }
            Err(ConfigError::Inconsistent { .. } | ConfigError::Parse { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error kind {:?}", e),
        }
    }

    #[test]
    fn arbitrary_text(text in "[\\[\\]a-z_=.0-9 \"\\n#-]{0,200}") {
        if let Ok(c) = Config::from_toml_str(&text) {
            check_accepted(&c)?;
        }
    }
}
