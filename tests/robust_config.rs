//! Config robustness: every numeric parameter of the default configuration has an enforced,
//! finite range, and the error names the parameter, the value and the range.
//!
//! The test walks the TOML of `Config::default()` rather than a hand-written list of keys, so
//! a parameter added later without validation makes it fail.

use autotrigger::{Config, ConfigError};
use toml::Value;

#[path = "robust_support/toml_walk.rs"]
mod toml_walk;
use toml_walk::*;

const CONFIG: Doc = Doc {
    default: || Config::default().to_toml_string(),
    parse: |t| Config::from_toml_str(t).map(|_| ()),
    only: |_| true,
};

fn default_tree() -> Value {
    tree_of(CONFIG)
}

#[test]
fn default_config_has_numeric_parameters() {
    let mut leaves = Vec::new();
    numeric_leaves("", &default_tree(), &mut leaves);
    assert!(!leaves.is_empty());
    for (path, _) in &leaves {
        assert!(
            !path.contains('['),
            "arrays are not expected in the config: {path}"
        );
    }
}

#[test]
fn every_numeric_parameter_rejects_nan_infinities_and_huge_values() {
    rejects_nan_infinities_and_huge_values(CONFIG);
}

#[test]
fn every_numeric_parameter_has_a_range_containing_its_default_and_accepts_its_bounds() {
    ranges_contain_defaults_and_bounds(CONFIG);
}

#[test]
fn malformed_toml_and_wrong_types_are_parse_errors_with_a_position() {
    let cases = [
        "[gunshot\n",
        "gunshot = 3\n",
        "[gunshot]\n[gunshot]\n",
        "\u{0}",
        "[[gunshot]]\n",
    ];
    for text in cases {
        match Config::from_toml_str(text) {
            Err(ConfigError::Parse { message }) => assert!(!message.is_empty()),
            other => panic!("{text:?}: expected a parse error, got {other:?}"),
        }
    }
    strings_are_parse_errors_naming_the_key(CONFIG);
}
