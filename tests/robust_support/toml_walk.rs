//! Walks every numeric key of a TOML document type (the detector `Config`, the engine
//! `Policy`) and checks its validation, so that a parameter added without a range fails.
#![allow(dead_code)] // each user needs a different subset

use autotrigger::ConfigError;
use toml::Value;

/// Every numeric leaf of `v` as (dotted path, value). Arrays of numbers are walked by index.
pub fn numeric_leaves(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Table(t) => {
            for (k, child) in t {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                numeric_leaves(&p, child, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                numeric_leaves(&format!("{prefix}[{i}]"), child, out);
            }
        }
        Value::Integer(_) | Value::Float(_) => out.push((prefix.to_string(), v.clone())),
        _ => {}
    }
}

/// Sets the leaf at dotted `path` (no array indices) in `root` to `new`.
pub fn set_path(root: &mut Value, path: &str, new: Value) {
    let mut cur = root;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, p) in parts.iter().enumerate() {
        let t = cur.as_table_mut().expect("table on the path");
        if i + 1 == parts.len() {
            t.insert((*p).to_string(), new);
            return;
        }
        cur = t.get_mut(*p).expect("path exists");
    }
}

/// A TOML document type under test: its default as TOML, and its parser.
#[derive(Clone, Copy)]
pub struct Doc {
    /// The default document as TOML.
    pub default: fn() -> String,
    /// The parser under test.
    pub parse: fn(&str) -> Result<(), ConfigError>,
    /// Which dotted keys to walk.
    pub only: fn(&str) -> bool,
}

/// The numeric leaves of `doc`'s default that it selects.
pub fn walked(doc: Doc) -> (Value, Vec<(String, Value)>) {
    let tree = tree_of(doc);
    let mut leaves = Vec::new();
    numeric_leaves("", &tree, &mut leaves);
    leaves.retain(|(p, _)| (doc.only)(p));
    (tree, leaves)
}

pub fn tree_of(doc: Doc) -> Value {
    toml::from_str(&(doc.default)()).expect("default is TOML")
}

pub fn reject_in(doc: Doc, tree: &Value, path: &str, bad: &str) -> ConfigError {
    let text = toml::to_string(tree).expect("serializable");
    match (doc.parse)(&text) {
        Ok(()) => panic!("{path} = {bad} was accepted; every parameter needs a validated range"),
        Err(e) => e,
    }
}

/// The error must name the parameter: `OutOfRange`/`Inconsistent` by its full dotted path,
/// a parse error (type mismatch) by its key in the message.
pub fn assert_names(e: &ConfigError, path: &str, bad: &str) {
    let leaf = path.rsplit('.').next().unwrap();
    match e {
        ConfigError::OutOfRange {
            param,
            min,
            max,
            value,
        } => {
            assert!(
                param_matches(param, path),
                "{path} = {bad}: error names another parameter: {e}"
            );
            assert!(
                min.is_finite() && max.is_finite() && min <= max,
                "{path}: range {min} ..= {max} must be finite"
            );
            let s = e.to_string();
            assert!(s.contains(*param) && s.contains("expected"), "{s}");
            // The value reported is the one given (NaN compares unequal, so check the text).
            assert!(
                value.is_nan() == bad.contains("nan"),
                "{path}: reported value {value} for {bad}"
            );
        }
        ConfigError::Inconsistent { param, .. } => {
            assert!(
                path.starts_with(param) || param.contains(leaf),
                "{path} = {bad}: inconsistency reported on {param}: {e}"
            );
        }
        ConfigError::Parse { message } => {
            assert!(
                message.contains(leaf),
                "{path} = {bad}: parse error does not name the key: {message}"
            );
        }
        other => panic!("{path} = {bad}: unexpected error kind {other:?}"),
    }
}

/// NaN, infinities and huge values of every numeric key are rejected, naming the key.
pub fn rejects_nan_infinities_and_huge_values(doc: Doc) {
    let (tree, leaves) = walked(doc);
    for (path, default) in leaves {
        let is_float = matches!(default, Value::Float(_));
        let mut bads: Vec<(Value, &str)> = vec![
            (Value::Float(f64::NAN), "nan"),
            (Value::Float(f64::INFINITY), "inf"),
            (Value::Float(f64::NEG_INFINITY), "-inf"),
            (Value::Float(1e300), "1e300"),
            (Value::Float(-1e300), "-1e300"),
        ];
        if !is_float {
            bads.push((Value::Integer(i64::MAX), "i64::MAX"));
            bads.push((Value::Integer(i64::MIN), "i64::MIN"));
        }
        for (bad, label) in bads {
            let mut t = tree.clone();
            set_path(&mut t, &path, bad);
            let e = reject_in(doc, &t, &path, label);
            assert_names(&e, &path, label);
        }
    }
}

/// Every numeric key has a finite range containing its default; its bounds are accepted and
/// just outside them is rejected, naming the key.
pub fn ranges_contain_defaults_and_bounds(doc: Doc) {
    let (tree, leaves) = walked(doc);
    for (path, default) in leaves {
        // Learn the range from the error for a huge value, then probe it.
        let mut t = tree.clone();
        set_path(&mut t, &path, Value::Float(1e300));
        let (min, max) = match reject_in(doc, &t, &path, "1e300") {
            ConfigError::OutOfRange { min, max, .. } => (min, max),
            // Integers: a float is a type error; probe with an integer instead.
            ConfigError::Parse { .. } => {
                let mut t = tree.clone();
                set_path(&mut t, &path, Value::Integer(i64::MAX));
                match reject_in(doc, &t, &path, "i64::MAX") {
                    ConfigError::OutOfRange { min, max, .. } => (min, max),
                    _ => continue, // the integer type itself bounds it (checked above)
                }
            }
            _ => continue,
        };
        let d = match default {
            Value::Float(f) => f,
            Value::Integer(i) => i as f64,
            _ => unreachable!(),
        };
        assert!(
            min <= d && d <= max,
            "{path}: default {d} outside its own range {min} ..= {max}"
        );
        // Each bound alone is either accepted or contradicts another parameter (then the
        // error says which); it is never reported as out of range.
        for b in [min, max] {
            let mut t = tree.clone();
            let v = if matches!(default, Value::Integer(_)) {
                Value::Integer(b as i64)
            } else {
                Value::Float(b)
            };
            set_path(&mut t, &path, v);
            let text = toml::to_string(&t).unwrap();
            if let Err(e) = (doc.parse)(&text) {
                assert!(
                    matches!(e, ConfigError::Inconsistent { .. }),
                    "{path} = {b} (a bound of its own range) rejected: {e}"
                );
            }
        }
        // Just outside each bound is rejected, naming the parameter.
        let span = (max - min).abs().max(1.0);
        for b in [min - span * 1e-3 - 1e-9, max + span * 1e-3 + 1e-9] {
            let mut t = tree.clone();
            let v = if matches!(default, Value::Integer(_)) {
                Value::Integer(if b < min {
                    (min as i64).saturating_sub(1)
                } else {
                    (max as i64).saturating_add(1)
                })
            } else {
                Value::Float(b)
            };
            set_path(&mut t, &path, v);
            let label = format!("{b}");
            let e = reject_in(doc, &t, &path, &label);
            assert_names(&e, &path, &label);
        }
    }
}

/// A string where a number belongs is a parse error naming the key.
pub fn strings_are_parse_errors_naming_the_key(doc: Doc) {
    let (tree, leaves) = walked(doc);
    for (path, _) in leaves {
        let mut t = tree.clone();
        set_path(&mut t, &path, Value::String("fast".into()));
        let e = reject_in(doc, &t, &path, "\"fast\"");
        assert!(matches!(e, ConfigError::Parse { .. }), "{path}: {e}");
        assert_names(&e, &path, "\"fast\"");
    }
}

/// `param` (from an error, `*` matching any one segment) names the key at dotted `path`; one
/// may carry a prefix the other lacks (`gunshot.hop_s` inside a policy's `config.gunshot.hop_s`).
pub fn param_matches(param: &str, path: &str) -> bool {
    let a: Vec<&str> = param.split('.').collect();
    let b: Vec<&str> = path.split('.').collect();
    let n = a.len().min(b.len());
    a[a.len() - n..]
        .iter()
        .zip(&b[b.len() - n..])
        .all(|(x, y)| x == y || *x == "*")
}
