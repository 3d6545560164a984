//! One simulated hour of `examples/day_long.rs` in CI (the full day is the example): no
//! drift, no allocation after construction, identical decisions over two runs.

#[path = "../examples/day_long.rs"]
mod day_long;

#[test]
fn one_hour_no_drift_no_allocation_deterministic() {
    let p = day_long::Params {
        hours: 1,
        audio_rate: 8_000,
        imu_rate: 50,
    };
    let a = day_long::run(p);
    let b = day_long::run(p);
    println!("{a:?}");
    assert!(a.problems.is_empty(), "{:#?}", a.problems);
    assert_eq!(a.allocations, 0);
    assert_eq!(a.hash, b.hash, "two runs decided differently");
    assert!(a.decisions >= 12, "{a:?}");
}
