//! Arbitrary text as a detector configuration and as an engine policy: accepted documents are
//! valid, round-trip through TOML and build every detector / the engine (or, for a policy, fail
//! with a typed error); rejected ones are typed errors. Never a panic.
#![no_main]
use autotrigger::trigger::{Engine, Policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = autotrigger::Config::from_toml_str(text) {
        c.validate().expect("accepted config validates");
        let again = autotrigger::Config::from_toml_str(&c.to_toml_string())
            .expect("serialized config parses");
        assert_eq!(again, c);
        for rate in [8_000, 44_100, 96_000] {
            autotrigger::audio::GunshotDetector::new(&c.gunshot_for_device(), rate)
                .expect("valid config builds the gunshot detector");
        }
        autotrigger::imu::ImuDetectors::new(&c).expect("valid config builds the IMU detectors");
    }
    if let Ok(p) = Policy::from_toml_str(text) {
        p.validate().expect("accepted policy validates");
        let again = Policy::from_toml_str(&p.to_toml_string()).expect("serialized policy parses");
        assert_eq!(again.to_toml_string(), p.to_toml_string());
        // A valid policy may still be refused by the engine (a pre-event buffer shorter than a
        // detector's latency): a typed error, never a panic.
        let _ = Engine::new(&p, 16_000);
    }
});
