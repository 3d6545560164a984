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

/// Every detector's parameters. TOML tables: `[device]`, `[gunshot]`, `[orientation]`,
/// `[running]`, `[fall]`, `[tap]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The recording device's profile (optional): turns the absolute level gates into sound
    /// pressure. Build the gunshot detector from [`Config::gunshot_for_device`].
    pub device: DeviceConfig,
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

    /// The gunshot parameters for this device: without a device profile, `gunshot` as it
    /// is; with one (`device.full_scale_db_spl` set), `gunshot` with the absolute level gates
    /// expressed in sound pressure converted to dBFS: `min_peak_dbfs = min_peak_db_spl -
    /// full_scale_db_spl` and, unless `quiet_min_peak_db_spl` is 0 (off),
    /// `quiet_min_peak_dbfs = quiet_min_peak_db_spl - full_scale_db_spl`, each clamped to
    /// -120..=0 dBFS. Every detector built from a [`Config`] (engine, CLI, evaluation) uses
    /// this.
    ///
    /// ```
    /// use autotrigger::Config;
    /// let c = Config::from_toml_str("[device]\nfull_scale_db_spl = 140\n").unwrap();
    /// // The default 120 dB SPL gate on a microphone that reaches full scale at 140 dB SPL.
    /// assert_eq!(c.gunshot_for_device().min_peak_dbfs, -20.0);
    /// // Without a profile the dBFS gate applies.
    /// assert_eq!(Config::default().gunshot_for_device().min_peak_dbfs, -10.0);
    /// ```
    pub fn gunshot_for_device(&self) -> GunshotConfig {
        let mut g = self.gunshot.clone();
        if let Some(fs) = self.device.full_scale_db_spl {
            let to_dbfs = |spl: f64| (spl - fs).clamp(-120.0, 0.0);
            g.min_peak_dbfs = to_dbfs(g.min_peak_db_spl);
            g.quiet_min_peak_dbfs = if g.quiet_min_peak_db_spl > 0.0 {
                to_dbfs(g.quiet_min_peak_db_spl)
            } else {
                0.0
            };
        }
        g
    }

    /// Checks every parameter against its documented range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.device.validate()?;
        self.gunshot.validate()?;
        self.orientation.validate()?;
        self.running.validate()?;
        self.fall.validate()?;
        self.tap.validate()?;
        Ok(())
    }
}

/// The recording device's profile (TOML table `[device]`). Every key is optional; an empty
/// or missing table means "unknown device": the detectors then use only their dBFS and
/// relative gates.
///
/// ```
/// use autotrigger::Config;
/// let c = Config::from_toml_str("[device]\nfull_scale_db_spl = 130\n").unwrap();
/// assert_eq!(c.device.full_scale_db_spl, Some(130.0));
/// let e = Config::from_toml_str("[device]\nfull_scale_db_spl = 20\n").unwrap_err();
/// assert_eq!(
///     e.to_string(),
///     "device.full_scale_db_spl = 20 is out of range: expected 90 ..= 200"
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceConfig {
    /// The sound pressure level that drives the microphone path to digital full scale (a sine
    /// whose peak reaches 0 dBFS), dB SPL; for a MEMS microphone, its acoustic overload point
    /// plus the gain after it. Range 90..=200; absent = no profile. When set, the gunshot
    /// detector's absolute peak gates are taken from their `*_db_spl` parameters
    /// ([`Config::gunshot_for_device`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_scale_db_spl: Option<f64>,
}

impl DeviceConfig {
    /// Checks every parameter against its documented range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(fs) = self.full_scale_db_spl {
            ConfigError::check_range("device.full_scale_db_spl", fs, 90.0, 200.0)?;
        }
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
    fn device_profile_converts_the_absolute_gates() {
        let c = Config::from_toml_str(
            "[device]\nfull_scale_db_spl = 150\n[gunshot]\nmin_peak_db_spl = 125\n\
             quiet_min_peak_db_spl = 110\nmin_peak_dbfs = -3\nquiet_min_peak_dbfs = -1\n",
        )
        .unwrap();
        let g = c.gunshot_for_device();
        assert_eq!(g.min_peak_dbfs, -25.0);
        assert_eq!(g.quiet_min_peak_dbfs, -40.0);
        // Everything else is left alone.
        let mut back = g.clone();
        back.min_peak_dbfs = -3.0;
        back.quiet_min_peak_dbfs = -1.0;
        assert_eq!(back, c.gunshot);
        // Without a profile the dBFS values apply, and the SPL ones are ignored.
        let mut no = c.clone();
        no.device.full_scale_db_spl = None;
        assert_eq!(no.gunshot_for_device(), c.gunshot);
        // The quiet path stays off with a profile unless its SPL edge is set.
        let mut off = c.clone();
        off.gunshot.quiet_min_peak_db_spl = 0.0;
        assert_eq!(off.gunshot_for_device().quiet_min_peak_dbfs, 0.0);
        // A gate above the microphone's full scale clamps to 0 dBFS (only clipped shots
        // pass); far below, to -120.
        off.device.full_scale_db_spl = Some(110.0);
        assert_eq!(off.gunshot_for_device().min_peak_dbfs, 0.0);
        off.device.full_scale_db_spl = Some(200.0);
        off.gunshot.min_peak_db_spl = 60.0;
        assert_eq!(off.gunshot_for_device().min_peak_dbfs, -120.0);
        off.gunshot_for_device().validate().unwrap();
    }

    #[test]
    fn device_profile_is_validated() {
        for (v, ok) in [(89.9, false), (90.0, true), (200.0, true), (200.5, false)] {
            let r = Config::from_toml_str(&format!("[device]\nfull_scale_db_spl = {v}\n"));
            match r {
                Ok(c) => {
                    assert!(ok, "{v} accepted");
                    assert_eq!(c.device.full_scale_db_spl, Some(v));
                }
                Err(e) => {
                    assert!(!ok, "{v} rejected: {e}");
                    assert_eq!(
                        e,
                        ConfigError::OutOfRange {
                            param: "device.full_scale_db_spl",
                            value: v,
                            min: 90.0,
                            max: 200.0,
                        }
                    );
                }
            }
        }
        let e = Config::from_toml_str("[device]\nfull_scale_db = 120\n").unwrap_err();
        assert!(matches!(e, ConfigError::Parse { .. }), "{e}");
        let c = Config::from_toml_str("[device]\nfull_scale_db_spl = 135.5\n").unwrap();
        assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
    }

    #[test]
    fn defaults_are_valid_and_round_trip() {
        let c = Config::default();
        c.validate().unwrap();
        assert_eq!(Config::from_toml_str(&c.to_toml_string()).unwrap(), c);
    }
}
