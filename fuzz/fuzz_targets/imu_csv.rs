//! Arbitrary bytes as an IMU CSV file: samples with strictly increasing times and physical
//! values, or a one-line error naming the file (and line).
#![no_main]
use autotrigger_fuzz::{check_error, scratch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = scratch("in.csv", data);
    match autotrigger::io::read_imu_csv(&p) {
        Ok(s) => {
            for w in s.windows(2) {
                assert!(w[0].t < w[1].t, "times not increasing");
            }
            for x in &s {
                assert!(x.accel.iter().all(|v| v.is_finite()));
                if let Some(g) = x.gyro {
                    assert!(g.iter().all(|v| v.is_finite()));
                }
            }
        }
        Err(e) => check_error(&e, &p),
    }
});
