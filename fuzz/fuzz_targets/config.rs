//! Arbitrary text as a configuration: accepted configurations are valid, build every detector
//! and round-trip through TOML; rejected ones are typed errors.
#![no_main]
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
            autotrigger::audio::GunshotDetector::new(&c.gunshot, rate)
                .expect("valid config builds the gunshot detector");
        }
        autotrigger::imu::ImuDetectors::new(&c).expect("valid config builds the IMU detectors");
    }
});
