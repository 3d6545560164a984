//! Arbitrary bytes as a SisFall raw text file.
#![no_main]
use autotrigger_fuzz::{check_error, scratch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = scratch("in.txt", data);
    match autotrigger::io::read_sisfall(&p) {
        Ok(s) => {
            for (i, x) in s.iter().enumerate() {
                assert_eq!(
                    x.t,
                    autotrigger::Timestamp::from_samples(
                        i as u64,
                        autotrigger::io::SISFALL_RATE_HZ
                    )
                );
                assert!(x.accel.iter().all(|v| v.is_finite()));
            }
        }
        Err(e) => check_error(&e, &p),
    }
});
