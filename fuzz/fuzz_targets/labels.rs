//! Arbitrary bytes as a label side-car.
#![no_main]
use autotrigger_fuzz::{check_error, scratch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = scratch("in.labels.csv", data);
    match autotrigger::io::read_labels(&p) {
        Ok(l) => {
            for x in &l {
                assert!(x.onset <= x.offset && x.onset.as_micros() >= 0);
                assert!(!x.kind.is_empty());
            }
        }
        Err(e) => check_error(&e, &p),
    }
});
