//! Arbitrary bytes as f32 audio samples (NaN, infinities, denormals included), fed in
//! data-driven block sizes at a data-driven sample rate: no panic, events well-formed.
#![no_main]
use autotrigger::audio::GunshotDetector;
use autotrigger::{Event, StreamingDetector};
use libfuzzer_sys::fuzz_target;

const RATES: [u32; 6] = [8_000, 12_000, 16_000, 22_050, 44_100, 48_000];

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let rate = RATES[data[0] as usize % RATES.len()];
    let nblk = (data[1] as usize % 8) + 1;
    let (blk, body) = data[2..].split_at(nblk.min(data.len() - 2));
    let samples: Vec<f32> = body
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        // Finite values beyond 1e6 x full scale overflow the frame power to inf (a known,
        // reported finding: tests/proptest_fuzz_gunshot.rs); keep exploring past it.
        .map(|v| if v.is_finite() { v.clamp(-1e6, 1e6) } else { v })
        .collect();
    let mut d = GunshotDetector::new(&Default::default(), rate).unwrap();
    let mut out: Vec<Event> = Vec::new();
    let mut rest = &samples[..];
    for n in autotrigger_fuzz::block_sizes(blk) {
        if rest.is_empty() {
            break;
        }
        // At least one sample a block, so a zero block size cannot stall the loop (zero-length
        // blocks are exercised by the proptest).
        let n = n.clamp(1, rest.len());
        let _ = d.process(&rest[..n], &mut out);
        rest = &rest[n..];
    }
    d.finish(&mut out);
    for e in &out {
        assert!(e.confidence.is_finite() && (0.0..=1.0).contains(&e.confidence));
        assert!(e.onset <= e.decided);
        assert!(!e.evidence.is_empty(), "an event without evidence");
        for it in e.evidence.items() {
            assert!(it.value.is_finite(), "non-finite evidence {it:?}");
        }
    }
});
