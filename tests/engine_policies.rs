//! Every shipped example policy parses, validates and builds an engine, and means what its
//! comments say.

use autotrigger::trigger::{Cause, Engine, Policy, Sensitivity};
use std::path::PathBuf;

fn load(name: &str) -> Policy {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/policies")
        .join(name);
    let text = std::fs::read_to_string(&p).unwrap();
    Policy::from_toml_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn every_policy_file_is_valid() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/policies");
    let mut n = 0;
    for f in std::fs::read_dir(&dir).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "toml") {
            let p = load(f.file_name().unwrap().to_str().unwrap());
            Engine::new(&p, 48_000).unwrap();
            n += 1;
        }
    }
    assert!(n >= 3, "{n} policies");
}

#[test]
fn default_file_is_the_default_policy() {
    assert_eq!(load("default.toml"), Policy::default());
    assert_eq!(
        load("default.toml").hash_hex(),
        Policy::default().hash_hex()
    );
}

#[test]
fn example_policies_mean_what_they_say() {
    let s = load("patrol_strict.toml");
    assert_eq!(s.sensitivity.gunshot, Sensitivity::Low);
    assert!(!s.starts_on(Cause::LightBar) && s.starts_on(Cause::HolsterDraw));
    let p = load("plainclothes.toml");
    assert!(p.start_in_sleep);
    assert!(p.starts_on(Cause::Button) && p.starts_on(Cause::DoubleTap));
    assert!(!p.starts_on(Cause::Siren));
}
