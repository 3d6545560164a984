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
    // The streaming reader agrees with the whole-file one, bit for bit.
    let mut streamed = Vec::new();
    let s = autotrigger::io::WavStream::open(&p).and_then(|mut w| {
        let mut block = [0f32; 37];
        loop {
            let n = w.fill(&mut block)?;
            if n == 0 {
                return Ok(w.sample_rate());
            }
            streamed.extend_from_slice(&block[..n]);
        }
    });
    assert!(autotrigger_fuzz::alloc::take_largest() <= 8 * data.len() + (1 << 20));
    match (r, s) {
        (Ok(a), Ok(rate)) => {
            assert!(a.sample_rate > 0 && a.channels > 0);
            // Decoded samples never outnumber the bytes that hold them.
            assert!(a.samples.len() <= data.len());
            assert_eq!(rate, a.sample_rate);
            assert!(a
                .samples
                .iter()
                .map(|v| v.to_bits())
                .eq(streamed.iter().map(|v| v.to_bits())));
        }
        (Err(e), Err(f)) => {
            check_error(&e, &p);
            check_error(&f, &p);
        }
        (a, b) => panic!(
            "read_wav {:?} but WavStream {:?}",
            a.map(|x| x.samples.len()),
            b.map(|_| ())
        ),
    }
});
