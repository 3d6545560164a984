//! Typed errors. Construction errors ([`ConfigError`]) and runtime errors ([`ProcessError`])
//! are separate enums; each variant carries the expected and the actual values.

use thiserror::Error;

/// A configuration or construction parameter is invalid.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A numeric parameter lies outside its documented range (inclusive bounds).
    #[error("{param} = {value} is out of range: expected {min} ..= {max}")]
    OutOfRange {
        /// Dotted parameter path, for example `gunshot.flux_threshold`.
        param: &'static str,
        /// The value given.
        value: f64,
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// The sample rate is outside what the detector supports.
    #[error("sample rate {actual} Hz is not supported: expected {min} ..= {max} Hz")]
    SampleRate {
        /// The rate given.
        actual: u32,
        /// Lowest supported rate.
        min: u32,
        /// Highest supported rate.
        max: u32,
    },
    /// Two parameters contradict each other (for example a minimum above a maximum).
    #[error("{param}: {reason}")]
    Inconsistent {
        /// Dotted parameter path.
        param: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A gunshot model file field is wrong (a missing, extra or misplaced feature, a wrong
    /// version, a non-finite weight, ...).
    #[error("model file: {field}: expected {expected}, found {actual}")]
    Model {
        /// The field, for example `version` or `feature[3].name`.
        field: String,
        /// What was expected.
        expected: String,
        /// What the file holds.
        actual: String,
    },
    /// The configuration text could not be parsed (TOML syntax, unknown key, wrong type).
    #[error("cannot parse configuration: {message}")]
    Parse {
        /// The parser's message, with line and column where it gives them.
        message: String,
    },
}

impl ConfigError {
    /// Checks `min <= value <= max` (and that `value` is finite), naming the parameter.
    pub fn check_range(param: &'static str, value: f64, min: f64, max: f64) -> Result<(), Self> {
        if value.is_finite() && value >= min && value <= max {
            Ok(())
        } else {
            Err(ConfigError::OutOfRange {
                param,
                value,
                min,
                max,
            })
        }
    }

    /// Checks a sample rate against a supported range.
    pub fn check_rate(actual: u32, min: u32, max: u32) -> Result<(), Self> {
        if (min..=max).contains(&actual) {
            Ok(())
        } else {
            Err(ConfigError::SampleRate { actual, min, max })
        }
    }
}

/// Input could not be processed. Detectors stay usable after returning one of these: the
/// offending input is dropped and the state is as if it had never arrived.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// A timestamp is not after the previous one.
    #[error("timestamp {actual_us} us is not after the previous one ({previous_us} us)")]
    OutOfOrder {
        /// The previous accepted timestamp.
        previous_us: i64,
        /// The offending timestamp.
        actual_us: i64,
    },
    /// A barometer sample is NaN, infinite or outside the physical range.
    #[error("pressure at {t_us} us is {}: expected {} ..= {} hPa", fmt_pa(*actual_pa), *min_pa as f64 / 100.0, *max_pa as f64 / 100.0)]
    PressureOutOfRange {
        /// Sample time, microseconds.
        t_us: i64,
        /// The value given, pascals (`None` when NaN or infinite).
        actual_pa: Option<i64>,
        /// Lowest accepted value, pascals.
        min_pa: i64,
        /// Highest accepted value, pascals.
        max_pa: i64,
    },
}

fn fmt_pa(pa: Option<i64>) -> String {
    match pa {
        Some(p) => format!("{} hPa", p as f64 / 100.0),
        None => "not finite".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_checks_name_the_parameter() {
        assert!(ConfigError::check_range("a.b", 1.0, 0.0, 2.0).is_ok());
        let e = ConfigError::check_range("a.b", f64::NAN, 0.0, 2.0).unwrap_err();
        assert!(e.to_string().starts_with("a.b = NaN is out of range"));
        let e = ConfigError::check_rate(200, 8_000, 96_000).unwrap_err();
        assert_eq!(
            e.to_string(),
            "sample rate 200 Hz is not supported: expected 8000 ..= 96000 Hz"
        );
    }
}
