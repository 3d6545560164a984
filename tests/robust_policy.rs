//! Policy robustness: the engine policy gets the same walk as the detector configuration
//! (`tests/robust_config.rs`): every numeric key of `Policy::default()`'s TOML, and every
//! detector key reached through the policy's `[config]` overrides, rejects NaN, infinities,
//! huge and out-of-range values with a typed error naming the key and its range.

use autotrigger::trigger::{Engine, Policy};
use autotrigger::{Config, ConfigError};
use toml::Value;

#[path = "robust_support/toml_walk.rs"]
mod toml_walk;
use toml_walk::*;

/// True for a key inside a sensitivity preset's detector overlay
/// (`presets.<detector>.<level>.config.<key>`).
fn in_preset_overlay(path: &str) -> bool {
    path.starts_with("presets.") && path.split('.').nth(3) == Some("config")
}

const POLICY: Doc = Doc {
    default: || Policy::default().to_toml_string(),
    parse: |t| Policy::from_toml_str(t).map(|_| ()),
    only: |p| !in_preset_overlay(p),
};

/// Only the detector overlays of the sensitivity presets.
const PRESET_OVERLAYS: Doc = Doc {
    only: in_preset_overlay,
    ..POLICY
};

/// The default policy with its `[config]` overrides spelled out (every detector key at its
/// default), so the walk reaches the detector parameters through the policy parser.
const POLICY_WITH_CONFIG: Doc = Doc {
    default: || {
        let mut p: Value = toml::from_str(&Policy::default().to_toml_string()).unwrap();
        let c: Value = toml::from_str(&Config::default().to_toml_string()).unwrap();
        p.as_table_mut().unwrap().insert("config".into(), c);
        toml::to_string(&p).unwrap()
    },
    parse: |t| Policy::from_toml_str(t).map(|_| ()),
    only: |p| !in_preset_overlay(p),
};

#[test]
fn the_walk_sees_every_policy_parameter() {
    let mut leaves = Vec::new();
    numeric_leaves("", &tree_of(POLICY), &mut leaves);
    let names: Vec<&str> = leaves.iter().map(|(p, _)| p.as_str()).collect();
    for want in [
        "pre_event_s",
        "cancel_window_s",
        "min_recording_s",
        "debounce_s",
        "holdoff_s",
        "presets.gunshot.low.min_confidence",
    ] {
        assert!(names.contains(&want), "{want} not walked: {names:?}");
    }
    let mut leaves = Vec::new();
    numeric_leaves("", &tree_of(POLICY_WITH_CONFIG), &mut leaves);
    assert!(leaves.iter().any(|(p, _)| p == "config.gunshot.hop_s"));
    // The spelled-out overrides are the defaults: still a valid policy.
    (POLICY_WITH_CONFIG.parse)(&(POLICY_WITH_CONFIG.default)()).unwrap();
}

#[test]
fn every_policy_parameter_rejects_nan_infinities_and_huge_values() {
    rejects_nan_infinities_and_huge_values(POLICY);
    rejects_nan_infinities_and_huge_values(POLICY_WITH_CONFIG);
}

#[test]
fn every_policy_parameter_has_a_range_containing_its_default_and_accepts_its_bounds() {
    ranges_contain_defaults_and_bounds(POLICY);
    ranges_contain_defaults_and_bounds(POLICY_WITH_CONFIG);
}

#[test]
fn policy_strings_where_numbers_belong_are_parse_errors_naming_the_key() {
    strings_are_parse_errors_naming_the_key(POLICY);
}

#[test]
fn unknown_keys_enums_and_causes_are_parse_errors() {
    for text in [
        "no_such_key = 1\n",
        "tap_toggle = \"triple\"\n",
        "start_on = [\"warp_drive\"]\n",
        "[sensitivity]\ngunshot = \"extreme\"\n",
        "[config.gunshot]\nno_such_key = 1\n",
        "pre_event_s = \"thirty\"\n",
        "[[config]]\n",
    ] {
        match Policy::from_toml_str(text) {
            Err(ConfigError::Parse { message }) => assert!(!message.is_empty()),
            Err(other) => panic!("{text:?}: expected a parse error, got {other}"),
            Ok(_) => panic!("{text:?}: accepted"),
        }
    }
}

#[test]
fn a_valid_policy_the_engine_cannot_honour_is_a_typed_error() {
    // pre_event_s = 0 is a valid policy value, but shorter than the detectors' decision
    // latency: the engine refuses it with an error naming the parameter instead of losing the
    // start of every event.
    let p = Policy::from_toml_str("pre_event_s = 0\n").unwrap();
    match Engine::new(&p, 16_000) {
        Err(ConfigError::Inconsistent { param, .. }) => assert_eq!(param, "pre_event_s"),
        other => panic!("expected Inconsistent(pre_event_s), got {:?}", other.err()),
    }
    // An unsupported audio rate is a typed error too.
    for rate in [0, 7_999, 96_001, u32::MAX] {
        assert!(
            matches!(
                Engine::new(&Policy::default(), rate),
                Err(ConfigError::SampleRate { .. })
            ),
            "{rate} Hz"
        );
    }
}

/// Former FINDING (engine, fixed: `validate` now resolves every level): `Policy::validate`
/// resolved only the *selected* sensitivity level's detector overlay, so a NaN, an out-of-range value or an
/// unknown key in another level (`presets.fall.high.config.impact_g = nan`,
/// `[presets.gunshot.low.config] no_such_key = 1`) is accepted and only fails when an agency
/// later selects that level. Validating every level's overlay in `validate` would catch it
/// when the policy is loaded.
#[test]
fn every_preset_overlay_is_validated_even_when_not_selected() {
    let (_, leaves) = walked(PRESET_OVERLAYS);
    assert!(
        !leaves.is_empty(),
        "the built-in presets have overlays to walk"
    );
    rejects_nan_infinities_and_huge_values(PRESET_OVERLAYS);
    assert!(Policy::from_toml_str("[presets.gunshot.low.config]\nno_such_key = 1\n").is_err());
}
