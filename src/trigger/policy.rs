//! The agency policy: which causes start recording, detector sensitivity, timing rules.
//!
//! A policy is TOML. Every key is optional and takes its documented default; unknown keys are
//! errors. Values are validated with typed errors naming the parameter, the value and the
//! allowed range ([`ConfigError`]).
//!
//! ```
//! use autotrigger::trigger::{Cause, Policy, Sensitivity};
//! let p = Policy::from_toml_str(r#"
//!     cancel_window_s = 10.0
//!     start_on = ["gunshot", "holster_draw"]
//!     [sensitivity]
//!     gunshot = "high"
//! "#).unwrap();
//! assert_eq!(p.cancel_window_s, 10.0);
//! assert_eq!(p.pre_event_s, 30.0); // default
//! assert!(p.starts_on(Cause::Gunshot) && !p.starts_on(Cause::Running));
//! assert_eq!(p.sensitivity.gunshot, Sensitivity::High);
//! assert_eq!(p.hash_hex().len(), 64);
//! ```

use crate::config::Config;
use crate::error::ConfigError;
use crate::trigger::cause::{Cause, CauseSet};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A detector sensitivity preset chosen by the agency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// Fewer false activations, more misses.
    Low,
    /// The detector's tuned defaults.
    #[default]
    Medium,
    /// More detections, more false activations.
    High,
}

impl Sensitivity {
    /// The stable string form (`low`, `medium`, `high`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Low => "low",
            Sensitivity::Medium => "medium",
            Sensitivity::High => "high",
        }
    }
}

/// Which gesture, if any, toggles recording.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TapToggle {
    /// Taps do nothing.
    Off,
    /// A single tap toggles recording.
    Tap,
    /// A double tap toggles recording (single taps are ignored: they happen by accident).
    #[default]
    DoubleTap,
}

/// The sensitivity preset chosen for each detector. TOML table `[sensitivity]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sensitivities {
    /// Gunshot detector (`[gunshot]` of the detector configuration).
    pub gunshot: Sensitivity,
    /// Running detector (`[running]`).
    pub running: Sensitivity,
    /// Fall and officer-down detector (`[fall]`).
    pub fall: Sensitivity,
    /// Tap detector (`[tap]`).
    pub tap: Sensitivity,
}

/// What one sensitivity level means for one detector.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Preset {
    /// Detector events with a lower confidence are ignored by the engine. Range 0 ..= 1.
    pub min_confidence: f64,
    /// Keys merged into the detector's section of the detector configuration (for example
    /// `[presets.gunshot.low.config]` overlays `[gunshot]`), before the raw `[config]`
    /// overrides.
    pub config: toml::Table,
}

/// The three levels of one detector. TOML table `[presets.<detector>]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PresetLevels {
    /// `low`.
    pub low: Preset,
    /// `medium`.
    pub medium: Preset,
    /// `high`.
    pub high: Preset,
}

impl Default for PresetLevels {
    /// No overlay and no confidence minimum at any level (the per-detector built-in levels
    /// are in [`Presets::default`]).
    fn default() -> Self {
        PresetLevels {
            low: Preset::default(),
            medium: Preset::default(),
            high: Preset::default(),
        }
    }
}

/// One overlay entry: `key = value`, the value rounded to 4 decimals so the TOML stays
/// readable (the defaults are round numbers; the rounding only hides float noise).
fn kv(t: &mut toml::Table, key: &str, value: f64) {
    t.insert(
        key.to_string(),
        toml::Value::Float((value * 1e4).round() / 1e4),
    );
}

fn levels(low: toml::Table, high: toml::Table) -> PresetLevels {
    PresetLevels {
        low: Preset {
            min_confidence: 0.0,
            config: low,
        },
        medium: Preset::default(),
        high: Preset {
            min_confidence: 0.0,
            config: high,
        },
    }
}

impl PresetLevels {
    /// The preset for a level.
    pub fn get(&self, s: Sensitivity) -> &Preset {
        match s {
            Sensitivity::Low => &self.low,
            Sensitivity::Medium => &self.medium,
            Sensitivity::High => &self.high,
        }
    }
}

/// The presets of every detector. TOML table `[presets]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Presets {
    /// Gunshot detector levels.
    pub gunshot: PresetLevels,
    /// Running detector levels.
    pub running: PresetLevels,
    /// Fall/officer-down detector levels.
    pub fall: PresetLevels,
    /// Tap detector levels.
    pub tap: PresetLevels,
}

impl Default for Presets {
    /// The built-in levels: `medium` is the detectors' tuned defaults; `low` and `high` move
    /// the main decision thresholds of each detector, relative to those defaults, by amounts
    /// that mean something physically:
    ///
    /// | detector | `low` (fewer activations) | `high` (more detections) |
    /// |---|---|---|
    /// | gunshot | level rise and spectral flux thresholds +3 dB, minimum peak +4 dB (at most 0 dBFS; `min_peak_db_spl` +4 dB too); trained stage: the model's `threshold_low` | rise and flux -3 dB, peak -4 dB (dBFS and dB SPL); trained stage: `threshold_high` |
    /// | running | minimum RMS and step peak x1.2, minimum duration x1.6 | RMS x0.85, step peak x0.9 |
    /// | fall | impact x1.3, trunk-angle change +10 deg | impact x0.8, angle change -10 deg |
    /// | tap | peak x1.5 | peak x0.75 |
    ///
    /// No level sets a confidence minimum.
    fn default() -> Self {
        let c = Config::default();
        let (g, r, f, t) = (&c.gunshot, &c.running, &c.fall, &c.tap);
        let mut gl = toml::Table::new();
        let mut gh = toml::Table::new();
        kv(&mut gl, "rise_threshold_db", g.rise_threshold_db + 3.0);
        kv(
            &mut gh,
            "rise_threshold_db",
            (g.rise_threshold_db - 3.0).max(0.0),
        );
        kv(&mut gl, "flux_threshold_db", g.flux_threshold_db + 3.0);
        kv(
            &mut gh,
            "flux_threshold_db",
            (g.flux_threshold_db - 3.0).max(0.0),
        );
        kv(&mut gl, "min_peak_dbfs", (g.min_peak_dbfs + 4.0).min(0.0));
        kv(&mut gh, "min_peak_dbfs", g.min_peak_dbfs - 4.0);
        // The same shift for the gate in sound pressure (used with a `[device]` profile).
        kv(&mut gl, "min_peak_db_spl", g.min_peak_db_spl + 4.0);
        kv(&mut gh, "min_peak_db_spl", g.min_peak_db_spl - 4.0);
        // The trained stage (`stage = "model"`) takes its levels from the model's thresholds,
        // chosen for false events per hour on ambient audio (the rule stage ignores the key).
        let m = crate::audio::GunshotModel::builtin();
        kv(&mut gl, "min_probability", f64::from(m.threshold_low));
        kv(&mut gh, "min_probability", f64::from(m.threshold_high));
        let mut rl = toml::Table::new();
        let mut rh = toml::Table::new();
        kv(&mut rl, "min_rms_g", r.min_rms_g * 1.2);
        kv(&mut rh, "min_rms_g", r.min_rms_g * 0.85);
        kv(&mut rl, "min_step_peak_g", r.min_step_peak_g * 1.2);
        kv(&mut rh, "min_step_peak_g", r.min_step_peak_g * 0.9);
        kv(&mut rl, "min_duration_s", r.min_duration_s * 1.6);
        let mut fl = toml::Table::new();
        let mut fh = toml::Table::new();
        kv(&mut fl, "impact_g", f.impact_g * 1.3);
        kv(&mut fh, "impact_g", f.impact_g * 0.8);
        kv(&mut fl, "min_tilt_change_deg", f.min_tilt_change_deg + 10.0);
        kv(&mut fh, "min_tilt_change_deg", f.min_tilt_change_deg - 10.0);
        let mut tl = toml::Table::new();
        let mut th = toml::Table::new();
        kv(&mut tl, "min_peak_g", t.min_peak_g * 1.5);
        kv(&mut th, "min_peak_g", t.min_peak_g * 0.75);
        Presets {
            gunshot: levels(gl, gh),
            running: levels(rl, rh),
            fall: levels(fl, fh),
            tap: levels(tl, th),
        }
    }
}

/// An agency policy. See the module documentation and `docs/engine.md`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Length of the camera's pre-event loop, seconds: a start keeps this much video before
    /// the decision. Default 30, range 0 ..= 120. Must cover the gunshot detector's latency
    /// and the debounce ([`crate::trigger::Engine::new`] checks).
    pub pre_event_s: f64,
    /// After an automatic start, seconds during which the officer may cancel (the activation
    /// is then marked false). Default 20, range 0 ..= 300.
    pub cancel_window_s: f64,
    /// Seconds of recording before the officer's stop request is honoured. Default 30,
    /// range 0 ..= 3600.
    pub min_recording_s: f64,
    /// Level inputs (holster, light bar, siren, door, taser) must hold a new level this many
    /// seconds before the edge is accepted, on both edges. Default 0.2, range 0 ..= 5.
    pub debounce_s: f64,
    /// After a trigger of a cause is accepted, further triggers of the same cause within this
    /// many seconds are dropped. Default 15, range 0 ..= 600.
    pub holdoff_s: f64,
    /// Start in sleep/privacy mode (automatic causes do not start recording). Default false.
    pub start_in_sleep: bool,
    /// Which tap gesture toggles recording. Default `double_tap`.
    pub tap_toggle: TapToggle,
    /// Raise an officer-down alert when the detector reports one (even in sleep mode, where
    /// it does not start recording). Default true.
    pub officer_down_alert: bool,
    /// The triggers that start recording. Commands (`button`, `tap`, `double_tap`) are not
    /// listed here: the button always works and taps follow `tap_toggle`. Default: every
    /// trigger except `door` and `geofence` (both fire many times a shift).
    pub start_on: Vec<Cause>,
    /// Sensitivity preset per detector.
    pub sensitivity: Sensitivities,
    /// What each preset means.
    pub presets: Presets,
    /// Raw detector configuration overrides (a partial [`Config`]), merged last.
    pub config: toml::Table,
    /// A signed audit log writes a signed checkpoint after this many records that no signature
    /// covers yet (decisions, media segments). Default 16, range 1 ..= 100 000. Records after
    /// the last checkpoint are what a cut or a power loss can lose without a trace.
    pub audit_checkpoint_records: u64,
    /// ... or when this many seconds of stream time have passed since the last signed record
    /// and at least one record waits for a signature. Default 10, range 0.1 ..= 3600.
    pub audit_checkpoint_s: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            pre_event_s: 30.0,
            cancel_window_s: 20.0,
            min_recording_s: 30.0,
            debounce_s: 0.2,
            holdoff_s: 15.0,
            start_in_sleep: false,
            tap_toggle: TapToggle::DoubleTap,
            officer_down_alert: true,
            start_on: Cause::ALL
                .into_iter()
                .filter(|c| !c.is_command() && !matches!(c, Cause::Door | Cause::Geofence))
                .collect(),
            sensitivity: Sensitivities::default(),
            presets: Presets::default(),
            config: toml::Table::new(),
            audit_checkpoint_records: 16,
            audit_checkpoint_s: 10.0,
        }
    }
}

/// Names the preset overlay an out-of-range detector parameter came from: the error of an
/// unselected level says `presets.<detector>.<level>.config.*` (the value and range are kept),
/// so the agency knows which table to fix. Other errors already name the key.
fn in_preset(e: ConfigError, level: Sensitivity) -> ConfigError {
    use Sensitivity::{High, Low, Medium};
    let ConfigError::OutOfRange {
        param,
        value,
        min,
        max,
    } = e
    else {
        return e;
    };
    let section = param.split('.').next().unwrap_or("");
    let named = match (section, level) {
        ("gunshot", Low) => "presets.gunshot.low.config.*",
        ("gunshot", Medium) => "presets.gunshot.medium.config.*",
        ("gunshot", High) => "presets.gunshot.high.config.*",
        ("running", Low) => "presets.running.low.config.*",
        ("running", Medium) => "presets.running.medium.config.*",
        ("running", High) => "presets.running.high.config.*",
        ("fall", Low) => "presets.fall.low.config.*",
        ("fall", Medium) => "presets.fall.medium.config.*",
        ("fall", High) => "presets.fall.high.config.*",
        ("tap", Low) => "presets.tap.low.config.*",
        ("tap", Medium) => "presets.tap.medium.config.*",
        ("tap", High) => "presets.tap.high.config.*",
        _ => param,
    };
    ConfigError::OutOfRange {
        param: named,
        value,
        min,
        max,
    }
}

/// Recursively merges `over` into `base`: tables merge key by key, anything else replaces.
fn deep_merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => deep_merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

fn parse_err(e: impl core::fmt::Display) -> ConfigError {
    ConfigError::Parse {
        message: e.to_string(),
    }
}

impl Policy {
    /// Parses a policy from TOML (missing keys, at any depth, take their defaults) and
    /// validates it, including the detector configuration it resolves to.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let user: toml::Table = toml::from_str(text).map_err(parse_err)?;
        let mut merged = toml::Table::try_from(Policy::default()).map_err(parse_err)?;
        deep_merge(&mut merged, &user);
        let p: Policy = merged.try_into().map_err(parse_err)?;
        p.validate()?;
        Ok(p)
    }

    /// The policy as TOML (every key, defaults included).
    pub fn to_toml_string(&self) -> String {
        // Plain numbers, strings, booleans and tables: serialization cannot fail.
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks every parameter against its documented range and resolves the detector
    /// configuration ([`Policy::detector_config`]).
    pub fn validate(&self) -> Result<(), ConfigError> {
        ConfigError::check_range("pre_event_s", self.pre_event_s, 0.0, 120.0)?;
        ConfigError::check_range("cancel_window_s", self.cancel_window_s, 0.0, 300.0)?;
        ConfigError::check_range("min_recording_s", self.min_recording_s, 0.0, 3600.0)?;
        ConfigError::check_range("debounce_s", self.debounce_s, 0.0, 5.0)?;
        ConfigError::check_range("holdoff_s", self.holdoff_s, 0.0, 600.0)?;
        ConfigError::check_range(
            "audit_checkpoint_records",
            self.audit_checkpoint_records as f64,
            1.0,
            100_000.0,
        )?;
        ConfigError::check_range("audit_checkpoint_s", self.audit_checkpoint_s, 0.1, 3600.0)?;
        if self.start_on.iter().any(|c| c.is_command()) {
            return Err(ConfigError::Inconsistent {
                param: "start_on",
                reason: "button, tap and double_tap are commands, not triggers: the button always works and taps follow tap_toggle",
            });
        }
        for (param, levels) in [
            ("presets.gunshot.*.min_confidence", &self.presets.gunshot),
            ("presets.running.*.min_confidence", &self.presets.running),
            ("presets.fall.*.min_confidence", &self.presets.fall),
            ("presets.tap.*.min_confidence", &self.presets.tap),
        ] {
            for p in [&levels.low, &levels.medium, &levels.high] {
                ConfigError::check_range(param, p.min_confidence, 0.0, 1.0)?;
            }
        }
        self.detector_config()?;
        // Every level's overlay, not only the selected one: a bad value in a level nobody
        // selected yet must fail when the policy is loaded, not when an agency switches to it.
        for level in [Sensitivity::Low, Sensitivity::Medium, Sensitivity::High] {
            let all = Sensitivities {
                gunshot: level,
                running: level,
                fall: level,
                tap: level,
            };
            self.resolve(all).map_err(|e| in_preset(e, level))?;
        }
        Ok(())
    }

    /// True when `cause` is a trigger this policy lets start recording. Commands (button,
    /// taps) are answered by [`Policy::tap_toggle`] and the button always works.
    pub fn starts_on(&self, cause: Cause) -> bool {
        match cause {
            Cause::Button => true,
            Cause::Tap => self.tap_toggle == TapToggle::Tap,
            Cause::DoubleTap => self.tap_toggle == TapToggle::DoubleTap,
            c => self.start_on.contains(&c),
        }
    }

    /// The enabled triggers as a set.
    pub fn start_on_set(&self) -> CauseSet {
        self.start_on.iter().copied().collect()
    }

    /// The detector configuration this policy resolves to: `Config::default()`, then each
    /// detector's chosen preset overlay, then the raw `[config]` overrides; validated.
    pub fn detector_config(&self) -> Result<Config, ConfigError> {
        self.resolve(self.sensitivity)
    }

    /// The detector configuration for the given sensitivities (see
    /// [`Policy::detector_config`]).
    fn resolve(&self, sens: Sensitivities) -> Result<Config, ConfigError> {
        let mut t = toml::Table::try_from(Config::default()).map_err(parse_err)?;
        for (section, levels, s) in [
            ("gunshot", &self.presets.gunshot, sens.gunshot),
            ("running", &self.presets.running, sens.running),
            ("fall", &self.presets.fall, sens.fall),
            ("tap", &self.presets.tap, sens.tap),
        ] {
            let overlay = &levels.get(s).config;
            if !overlay.is_empty() {
                let mut o = toml::Table::new();
                o.insert(section.to_string(), toml::Value::Table(overlay.clone()));
                deep_merge(&mut t, &o);
            }
        }
        deep_merge(&mut t, &self.config);
        let c: Config = t.try_into().map_err(parse_err)?;
        c.validate()?;
        Ok(c)
    }

    /// The minimum detector confidence for events of this cause under the chosen presets
    /// (0 for causes that do not come from a detector).
    pub fn min_confidence(&self, cause: Cause) -> f64 {
        let (levels, s) = match cause {
            Cause::Gunshot => (&self.presets.gunshot, self.sensitivity.gunshot),
            Cause::Running => (&self.presets.running, self.sensitivity.running),
            Cause::Fall | Cause::OfficerDown => (&self.presets.fall, self.sensitivity.fall),
            Cause::Tap | Cause::DoubleTap => (&self.presets.tap, self.sensitivity.tap),
            _ => return 0.0,
        };
        levels.get(s).min_confidence
    }

    /// The canonical form that [`Policy::hash_hex`] hashes: compact JSON with sorted keys of
    /// `{"policy": <this policy>, "config": <the resolved detector configuration>}`, so two
    /// policies that resolve to the same behaviour written differently (key order, defaults
    /// spelled out or not) have the same hash.
    pub fn canonical_json(&self) -> String {
        let config = self.detector_config().unwrap_or_default();
        // serde_json's Map is a BTreeMap (the `preserve_order` feature is not enabled), so
        // `to_value` sorts every object's keys.
        let v = serde_json::json!({ "policy": self, "config": config });
        let v: serde_json::Value = serde_json::to_value(v).unwrap_or_default();
        v.to_string()
    }

    /// SHA-256 of [`Policy::canonical_json`], lowercase hex.
    pub fn hash_hex(&self) -> String {
        sha256_hex(self.canonical_json().as_bytes())
    }
}

/// SHA-256 of `bytes` as 64 lowercase hex digits.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d.iter() {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_validate() {
        let p = Policy::default();
        p.validate().unwrap();
        let back = Policy::from_toml_str(&p.to_toml_string()).unwrap();
        assert_eq!(back, p);
        assert_eq!(Policy::from_toml_str("").unwrap(), p);
        assert_eq!(back.hash_hex(), p.hash_hex());
    }

    #[test]
    fn sha256_known_answer() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn errors_name_the_parameter() {
        let e = Policy::from_toml_str("cancel_window_s = 400").unwrap_err();
        assert_eq!(
            e,
            ConfigError::OutOfRange {
                param: "cancel_window_s",
                value: 400.0,
                min: 0.0,
                max: 300.0
            }
        );
        let e = Policy::from_toml_str("pre_event_s = -1").unwrap_err();
        assert!(matches!(
            e,
            ConfigError::OutOfRange {
                param: "pre_event_s",
                ..
            }
        ));
        let e = Policy::from_toml_str("start_on = [\"button\"]").unwrap_err();
        assert!(matches!(
            e,
            ConfigError::Inconsistent {
                param: "start_on",
                ..
            }
        ));
        let e = Policy::from_toml_str("start_on = [\"warp_drive\"]").unwrap_err();
        assert!(matches!(e, ConfigError::Parse { .. }), "{e}");
        let e = Policy::from_toml_str("no_such_key = 1").unwrap_err();
        assert!(matches!(e, ConfigError::Parse { .. }), "{e}");
        let e = Policy::from_toml_str("[presets.fall.low]\nmin_confidence = 2.0").unwrap_err();
        assert!(matches!(e, ConfigError::OutOfRange { .. }), "{e}");
        let e = Policy::from_toml_str("[config.gunshot]\nno_such_threshold = 2.0").unwrap_err();
        assert!(matches!(e, ConfigError::Parse { .. }), "{e}");
    }

    #[test]
    fn partial_preset_keeps_other_defaults() {
        let p = Policy::from_toml_str("[presets.gunshot.high]\nmin_confidence = 0.1").unwrap();
        assert_eq!(p.presets.gunshot.high.min_confidence, 0.1);
        assert_eq!(
            p.presets.gunshot.high.config,
            Presets::default().gunshot.high.config
        );
        assert_eq!(p.presets.gunshot.low, Presets::default().gunshot.low);
        assert_eq!(p.presets.fall, Presets::default().fall);
    }

    /// Every built-in level of every detector resolves to a valid configuration, and the
    /// thresholds it moves are ordered low > medium > high (a higher threshold detects less).
    #[test]
    fn builtin_levels_are_valid_and_ordered() {
        let at = |g: Sensitivity, r: Sensitivity, f: Sensitivity, t: Sensitivity| {
            let p = Policy {
                sensitivity: Sensitivities {
                    gunshot: g,
                    running: r,
                    fall: f,
                    tap: t,
                },
                ..Policy::default()
            };
            p.validate().unwrap();
            p.detector_config().unwrap()
        };
        use Sensitivity::*;
        let lo = at(Low, Low, Low, Low);
        let me = at(Medium, Medium, Medium, Medium);
        let hi = at(High, High, High, High);
        assert_eq!(me, Config::default());
        for (l, m, h) in [
            (
                lo.gunshot.rise_threshold_db,
                me.gunshot.rise_threshold_db,
                hi.gunshot.rise_threshold_db,
            ),
            (
                lo.gunshot.flux_threshold_db,
                me.gunshot.flux_threshold_db,
                hi.gunshot.flux_threshold_db,
            ),
            (
                lo.running.min_rms_g,
                me.running.min_rms_g,
                hi.running.min_rms_g,
            ),
            (lo.fall.impact_g, me.fall.impact_g, hi.fall.impact_g),
            (lo.tap.min_peak_g, me.tap.min_peak_g, hi.tap.min_peak_g),
        ] {
            assert!(l > m && m > h, "{l} {m} {h}");
        }
        assert!(lo.gunshot.min_peak_dbfs >= me.gunshot.min_peak_dbfs);
        assert!(hi.gunshot.min_peak_dbfs < me.gunshot.min_peak_dbfs);
    }

    #[test]
    fn hash_ignores_spelling_but_not_meaning() {
        let a = Policy::from_toml_str("holdoff_s = 15.0\ndebounce_s = 0.2").unwrap();
        let b = Policy::from_toml_str("debounce_s = 0.2").unwrap();
        let c = Policy::from_toml_str("debounce_s = 0.3").unwrap();
        assert_eq!(a.hash_hex(), b.hash_hex());
        assert_ne!(a.hash_hex(), c.hash_hex());
        assert!(a.canonical_json().starts_with("{\"config\":"));
    }
}
