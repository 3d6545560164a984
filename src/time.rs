//! Integer time.
//!
//! Every time in the library is an integer number of microseconds since the start of the
//! stream ([`Timestamp`]), or an integer sample count. `f32` seconds lose a sample's worth of
//! precision after a few minutes at 48 kHz (f32 has 24 bits of mantissa, about 6 minutes of
//! samples) and whole milliseconds after a few hours, which would make a shift-long stream drift;
//! `i64` microseconds last 292 000 years.

use serde::{Deserialize, Serialize};

/// Microseconds per second.
pub const MICROS_PER_SEC: i64 = 1_000_000;

/// A point in time, in integer microseconds since the start of the stream.
///
/// Negative values are allowed (for example "30 s before the stream started" when a
/// pre-event window is computed), and arithmetic saturates instead of overflowing.
///
/// ```
/// use autotrigger::Timestamp;
/// let t = Timestamp::from_samples(48_000 * 3600, 48_000);
/// assert_eq!(t.as_micros(), 3_600_000_000);
/// assert_eq!(t.to_samples(48_000), 48_000 * 3600);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The start of the stream.
    pub const ZERO: Timestamp = Timestamp(0);
    /// The largest representable time.
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    /// A timestamp from integer microseconds.
    pub const fn from_micros(us: i64) -> Self {
        Timestamp(us)
    }

    /// A timestamp from integer milliseconds (saturating).
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms.saturating_mul(1000))
    }

    /// The time of sample number `index` of a stream at `sample_rate` Hz, rounded down to the
    /// microsecond. Exact: computed in 128-bit integers, so it never drifts.
    ///
    /// A `sample_rate` of zero gives [`Timestamp::ZERO`] rather than dividing by zero.
    pub fn from_samples(index: u64, sample_rate: u32) -> Self {
        if sample_rate == 0 {
            return Timestamp::ZERO;
        }
        let us = (index as u128 * MICROS_PER_SEC as u128) / sample_rate as u128;
        Timestamp(i64::try_from(us).unwrap_or(i64::MAX))
    }

    /// The index of the first sample at or after this time in a stream at `sample_rate` Hz
    /// (negative times give 0). Inverse of [`Timestamp::from_samples`].
    pub fn to_samples(self, sample_rate: u32) -> u64 {
        if self.0 <= 0 {
            return 0;
        }
        let n = self.0 as u128 * sample_rate as u128;
        let d = MICROS_PER_SEC as u128;
        u64::try_from(n.div_ceil(d)).unwrap_or(u64::MAX)
    }

    /// A timestamp from seconds, rounded to the nearest microsecond. For file formats and
    /// configuration only: the processing path never uses floating-point time.
    pub fn from_secs_f64(secs: f64) -> Self {
        if !secs.is_finite() {
            return if secs > 0.0 {
                Timestamp::MAX
            } else {
                Timestamp(i64::MIN)
            };
        }
        Timestamp((secs * MICROS_PER_SEC as f64).round() as i64)
    }

    /// This time in integer microseconds.
    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// This time in seconds, for display and file output only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SEC as f64
    }

    /// `self + us`, saturating.
    pub const fn add_micros(self, us: i64) -> Self {
        Timestamp(self.0.saturating_add(us))
    }

    /// `self - other` in microseconds, saturating.
    pub const fn micros_since(self, other: Timestamp) -> i64 {
        self.0.saturating_sub(other.0)
    }
}

impl core::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:06}s", a / 1_000_000, a % 1_000_000)
    }
}

/// Converts a duration in seconds (from a configuration) to a whole number of samples at
/// `sample_rate`, rounded to nearest and at least `min`.
///
/// Detector parameters are specified in seconds and hertz; this is the one place they become
/// sample counts, at construction.
pub fn secs_to_samples(secs: f64, sample_rate: u32, min: usize) -> usize {
    let n = (secs * sample_rate as f64).round();
    if n.is_finite() && n > 0.0 {
        (n as usize).max(min)
    } else {
        min
    }
}

/// Converts a duration in seconds (from a configuration) to integer microseconds.
pub fn secs_to_micros(secs: f64) -> i64 {
    Timestamp::from_secs_f64(secs).as_micros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_round_trip_at_every_rate() {
        for &rate in &[
            8_000u32, 11_025, 12_000, 16_000, 22_050, 44_100, 48_000, 96_000,
        ] {
            for &i in &[0u64, 1, 2, 441, 12_345, 1 << 33, 24 * 3600 * rate as u64] {
                let t = Timestamp::from_samples(i, rate);
                assert_eq!(t.to_samples(rate), i, "rate {rate} index {i}");
            }
        }
    }

    #[test]
    fn a_day_at_44k1_is_exact() {
        let day = 24 * 3600u64;
        assert_eq!(
            Timestamp::from_samples(day * 44_100, 44_100).as_micros(),
            day as i64 * MICROS_PER_SEC
        );
    }

    #[test]
    fn display_and_negative() {
        assert_eq!(Timestamp(1_500_000).to_string(), "1.500000s");
        assert_eq!(Timestamp(-250).to_string(), "-0.000250s");
        assert_eq!(Timestamp(-5).to_samples(48_000), 0);
    }

    #[test]
    fn secs_conversions() {
        assert_eq!(secs_to_samples(0.005, 48_000, 1), 240);
        assert_eq!(secs_to_samples(0.0, 48_000, 1), 1);
        assert_eq!(secs_to_samples(f64::NAN, 48_000, 3), 3);
        assert_eq!(secs_to_micros(0.2), 200_000);
    }
}
