//! One configuration tree for every detector, loaded from TOML.
//!
//! Every parameter is in seconds, hertz, g, degrees or decibels (never bins or samples), has a
//! documented default and a validated range. Missing keys take their defaults; unknown keys
//! are errors (a typo must not silently fall back to a default).
//!
//! ```
//! use autotrigger::Config;
//! let c = Config::from_toml_str("[gunshot]\n").unwrap();
//! assert_eq!(c, Config::default());
//! let text = c.to_toml_string();
//! assert_eq!(Config::from_toml_str(&text).unwrap(), c);
//! ```

use crate::audio::GunshotConfig;
use crate::error::ConfigError;
use crate::imu::{FallConfig, OrientationConfig, RunningConfig, TapConfig};
use serde::{Deserialize, Serialize};

/// Every detector's parameters. TOML tables: `[gunshot]`, `[orientation]`, `[running]`,
/// `[fall]`, `[tap]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Gunshot detector ([`crate::audio::GunshotDetector`]).
    pub gunshot: GunshotConfig,
    /// Gravity/orientation tracking shared by the IMU detectors.
    pub orientation: OrientationConfig,
    /// Running (foot pursuit) detector.
    pub running: RunningConfig,
    /// Fall and officer-down detector.
    pub fall: FallConfig,
    /// Tap / double-tap detector.
    pub tap: TapConfig,
}

impl Config {
    /// Parses TOML and validates every value.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let c: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            message: e.to_string(),
        })?;
        c.validate()?;
        Ok(c)
    }

    /// The configuration as TOML (every key, defaults included).
    pub fn to_toml_string(&self) -> String {
        // Serializing plain structs of numbers and booleans cannot fail.
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks every parameter against its documented range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.gunshot.validate()?;
        self.orientation.validate()?;
        self.running.validate()?;
        self.fall.validate()?;
        self.tap.validate()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors() {
        let e = Config::from_toml_str("[gunshot]\nno_such_key = 1\n").unwrap_err();
        assert!(matches!(e, ConfigError::Parse { .. }), "{e}");
        let e = Config::from_toml_str("[nope]\n").unwrap_err();
        assert!(matches!(e, ConfigError::Parse { .. }), "{e}");
    }

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let c = Config::default();
        c.validate().unwrap();
        assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
    }
}
