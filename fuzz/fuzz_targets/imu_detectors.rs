//! Arbitrary bytes as IMU samples: times from data-driven deltas (including zero, negative
//! and huge jumps), accel/gyro f32 from raw bits (NaN, infinities), gyro sometimes absent.
//! No panic; out-of-order times are typed errors; events well-formed.
#![no_main]
use autotrigger::imu::{ImuDetectors, ImuSample};
use autotrigger::{Event, StreamingDetector, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let mut d = ImuDetectors::new(&Default::default()).unwrap();
    let mut t: i64 = 0;
    let mut samples = Vec::new();
    // 27 bytes a sample: 2 for the time step, 1 for flags, 12 accel, 12 gyro.
    for c in data[1..].chunks_exact(27) {
        let step = i16::from_le_bytes([c[0], c[1]]) as i64;
        let flags = c[2];
        // Mostly 5-50 ms steps; flag bits make zero, negative or huge (gap / reset) steps.
        t = match flags & 0x3 {
            0 => t.saturating_add(step.unsigned_abs() as i64 * 10),
            1 => t.saturating_add(step),
            2 => t.saturating_add(step.unsigned_abs() as i64 * 1_000_000),
            _ => step.unsigned_abs() as i64,
        };
        // Finite values beyond 2000 m/s^2 (the CSV reader's physical limit) overflow |a| to
        // inf (a known, reported finding: tests/proptest_fuzz_imu.rs); keep exploring past it.
        let f = |o: usize| {
            let v = f32::from_le_bytes([c[o], c[o + 1], c[o + 2], c[o + 3]]);
            if v.is_finite() {
                v.clamp(-2000.0, 2000.0)
            } else {
                v
            }
        };
        samples.push(ImuSample {
            t: Timestamp(t),
            accel: [f(3), f(7), f(11)],
            gyro: (flags & 0x4 != 0).then(|| [f(15), f(19), f(23)]),
        });
    }
    let mut out: Vec<Event> = Vec::new();
    let mut rest = &samples[..];
    for n in autotrigger_fuzz::block_sizes(&data[..1]) {
        if rest.is_empty() {
            break;
        }
        let n = (n % 17 + 1).min(rest.len());
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
