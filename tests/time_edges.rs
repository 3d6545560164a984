//! Edges of the integer time base (`autotrigger::time`) that no detector test reaches: the
//! non-finite inputs of the float conversions (file formats and configuration) and the display
//! of zero. Found by mutation testing (docs/testing.md).

use autotrigger::time::secs_to_samples;
use autotrigger::Timestamp;

#[test]
fn non_finite_seconds_saturate_by_sign() {
    assert_eq!(Timestamp::from_secs_f64(f64::INFINITY), Timestamp::MAX);
    assert_eq!(
        Timestamp::from_secs_f64(f64::NEG_INFINITY),
        Timestamp::from_micros(i64::MIN)
    );
    assert_eq!(
        Timestamp::from_secs_f64(f64::NAN),
        Timestamp::from_micros(i64::MIN)
    );
    assert_eq!(
        Timestamp::from_secs_f64(-1.5),
        Timestamp::from_micros(-1_500_000)
    );
}

#[test]
fn zero_and_negative_times_display_with_the_right_sign() {
    assert_eq!(Timestamp::ZERO.to_string(), "0.000000s");
    assert_eq!(Timestamp::from_micros(1).to_string(), "0.000001s");
    assert_eq!(Timestamp::from_micros(-1).to_string(), "-0.000001s");
    assert_eq!(Timestamp::from_micros(-2_500_000).to_string(), "-2.500000s");
}

#[test]
fn durations_that_are_not_a_finite_positive_count_give_the_minimum() {
    assert_eq!(secs_to_samples(f64::INFINITY, 16_000, 3), 3);
    assert_eq!(secs_to_samples(f64::NAN, 16_000, 3), 3);
    assert_eq!(secs_to_samples(-1.0, 16_000, 3), 3);
    assert_eq!(secs_to_samples(0.0, 16_000, 3), 3);
    assert_eq!(secs_to_samples(0.5, 16_000, 3), 8_000);
    assert_eq!(secs_to_samples(1e-4, 16_000, 0), 2);
}
