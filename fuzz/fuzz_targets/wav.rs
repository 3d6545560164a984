//! Arbitrary bytes as a WAV file: a decoded recording or a one-line error naming the file;
//! never a panic, an abort (huge allocation from a lying header) or a hang.
#![no_main]
use autotrigger_fuzz::{check_error, scratch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = scratch("in.wav", data);
    autotrigger_fuzz::alloc::take_largest();
    let r = autotrigger::io::read_wav(&p);
    let largest = autotrigger_fuzz::alloc::take_largest();
    assert!(
        largest <= 8 * data.len() + (1 << 20),
        "one allocation of {largest} bytes for a {}-byte file",
        data.len()
    );
    match r {
        Ok(a) => {
            assert!(a.sample_rate > 0 && a.channels > 0);
            // Decoded samples never outnumber the bytes that hold them.
            assert!(a.samples.len() <= data.len());
        }
        Err(e) => check_error(&e, &p),
    }
});
