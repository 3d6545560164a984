//! The trained second stage of the gunshot detector: an L2-regularised logistic regression over
//! named, level-relative candidate features ([`MODEL_FEATURES`]).
//!
//! The onset stage proposes candidates; at the end of a candidate's decay window the decider
//! computes its feature vector ([`MODEL_FEATURES`], in that order), standardises it with the
//! model's means and scales, and scores it: `score = bias + sum_i w_i (x_i - mean_i) / scale_i`,
//! `probability = 1 / (1 + exp(-score))`. The candidate is a gunshot when the probability reaches
//! the threshold. Scoring uses fixed arrays (no allocation); every event's evidence lists each
//! feature's value and its contribution `w_i (x_i - mean_i) / scale_i`, then the score and the
//! probability with their thresholds.
//!
//! No feature is an absolute level: every level is relative to the recording's own background
//! (the adaptive noise floor) or to the candidate's own peak, so a recorder with another gain
//! gives the same features (only clipping, `clipped_frac`, depends on full scale).
//!
//! The model file is TOML (written by `autotrigger train`, see [`GunshotModel::to_toml`]):
//!
//! ```toml
//! version = 1
//! bias = -2.5
//! threshold = 0.5          # probability, the `medium` sensitivity
//! threshold_low = 0.8      # `low` sensitivity (fewer activations)
//! threshold_high = 0.2     # `high` sensitivity (more detections)
//! [[feature]]
//! name = "rise_db"
//! mean = 20.0
//! scale = 8.0
//! weight = 0.9
//! # ... one [[feature]] per name of MODEL_FEATURES, in that order
//! ```
//!
//! The default model ([`GunshotModel::builtin`]) ships in the crate (`models/gunshot.toml`).

use crate::error::ConfigError;
use serde::Deserialize;

/// Number of model features.
pub const N_FEATURES: usize = 15;

/// The model's features, in file and vector order. Levels are relative (see the module docs).
///
/// - `rise_db`: largest level rise of the attack over the adaptive noise floor, dB;
/// - `jump_db`: the candidate hop's level jump over the two hops before it, dB;
/// - `flux_db`: largest spectral flux of the attack, dB;
/// - `attack_ratio_db`: largest attack ratio (peak over the preceding envelope minimum), dB;
/// - `log_attack_us`: log10 of the attack time (µs) of the hops near the attack's peak;
/// - `log_rise_us`: log10 of the rise time from quiet, µs;
/// - `decay_db`: attack level minus the lowest smoothed level after the attack, within the
///   decay window, dB;
/// - `centroid_hz`: spectral centroid at the loudest hop of the attack, Hz;
/// - `hf_ratio`: share of the band's power above the split frequency, 0..1;
/// - `flatness`: spectral flatness at the loudest hop, 0..1;
/// - `crest_db`: largest crest factor of the attack, dB;
/// - `clipped_frac`: largest fraction of clipped samples in a hop of the attack, 0..1;
/// - `hfc_rel_db`: high-frequency content relative to the attack level, dB;
/// - `peak_over_floor_db`: the attack's sample peak over the noise floor, dB;
/// - `fast_follow`: 1 when another onset about as loud followed within `min_interval_s`
///   (machinery), else 0.
pub const MODEL_FEATURES: [&str; N_FEATURES] = [
    "rise_db",
    "jump_db",
    "flux_db",
    "attack_ratio_db",
    "log_attack_us",
    "log_rise_us",
    "decay_db",
    "centroid_hz",
    "hf_ratio",
    "flatness",
    "crest_db",
    "clipped_frac",
    "hfc_rel_db",
    "peak_over_floor_db",
    "fast_follow",
];

/// The model file format version this build reads and writes.
pub const MODEL_VERSION: u32 = 1;

/// The default model, trained by
/// `scripts/train_gunshot_model.sh` (the dev set plus augmented scenes, see that script).
pub const BUILTIN_MODEL_TOML: &str = include_str!("../../models/gunshot.toml");

/// A candidate's feature vector, in [`MODEL_FEATURES`] order.
pub type FeatureVector = [f32; N_FEATURES];

/// A logistic-regression scorer over [`MODEL_FEATURES`] (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct GunshotModel {
    /// Per-feature means used for standardisation.
    pub mean: FeatureVector,
    /// Per-feature scales (standard deviations, > 0) used for standardisation.
    pub scale: FeatureVector,
    /// Per-feature weights on the standardised values.
    pub weight: FeatureVector,
    /// Intercept.
    pub bias: f32,
    /// Probability threshold of the `medium` sensitivity (the default).
    pub threshold: f32,
    /// Probability threshold of the `low` sensitivity (fewer activations).
    pub threshold_low: f32,
    /// Probability threshold of the `high` sensitivity (more detections).
    pub threshold_high: f32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    version: u32,
    bias: f64,
    threshold: f64,
    threshold_low: f64,
    threshold_high: f64,
    #[serde(default)]
    feature: Vec<RawFeature>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeature {
    name: String,
    mean: f64,
    scale: f64,
    weight: f64,
}

fn model_err(
    field: impl Into<String>,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> ConfigError {
    ConfigError::Model {
        field: field.into(),
        expected: expected.into(),
        actual: actual.into(),
    }
}

fn finite(field: String, v: f64) -> Result<f32, ConfigError> {
    if v.is_finite() && (v as f32).is_finite() {
        Ok(v as f32)
    } else {
        Err(model_err(field, "a finite number", v.to_string()))
    }
}

fn probability(field: &str, v: f64) -> Result<f32, ConfigError> {
    if v.is_finite() && v > 0.0 && v < 1.0 {
        Ok(v as f32)
    } else {
        Err(model_err(
            field,
            "a probability strictly between 0 and 1",
            v.to_string(),
        ))
    }
}

impl GunshotModel {
    /// The model shipped in the crate ([`BUILTIN_MODEL_TOML`]).
    pub fn builtin() -> GunshotModel {
        // The shipped file is checked by the tests (`builtin_model_parses`); a broken file
        // cannot build a release that passes them.
        GunshotModel::from_toml_str(BUILTIN_MODEL_TOML).unwrap_or_else(|_| GunshotModel::neutral())
    }

    /// A model that scores every candidate 0.5 (all weights 0), for tests and as the fallback
    /// when no model is given.
    pub fn neutral() -> GunshotModel {
        GunshotModel {
            mean: [0.0; N_FEATURES],
            scale: [1.0; N_FEATURES],
            weight: [0.0; N_FEATURES],
            bias: 0.0,
            threshold: 0.5,
            threshold_low: 0.5,
            threshold_high: 0.5,
        }
    }

    /// Parses and validates a model file. Errors name the field: a missing, extra or
    /// misplaced feature (`feature[3].name`), a wrong `version`, a non-finite value or a
    /// scale that is not positive, a threshold outside (0, 1).
    pub fn from_toml_str(text: &str) -> Result<GunshotModel, ConfigError> {
        let raw: RawModel = toml::from_str(text).map_err(|e| ConfigError::Parse {
            message: format!("model file: {e}"),
        })?;
        if raw.version != MODEL_VERSION {
            return Err(model_err(
                "version",
                MODEL_VERSION.to_string(),
                raw.version.to_string(),
            ));
        }
        let mut m = GunshotModel::neutral();
        for (i, want) in MODEL_FEATURES.iter().enumerate() {
            let Some(f) = raw.feature.get(i) else {
                return Err(model_err(
                    format!("feature[{i}].name"),
                    *want,
                    format!("missing (the file has {} features)", raw.feature.len()),
                ));
            };
            if f.name != *want {
                return Err(model_err(
                    format!("feature[{i}].name"),
                    *want,
                    f.name.clone(),
                ));
            }
            m.mean[i] = finite(format!("feature[{i}].mean ({want})"), f.mean)?;
            m.scale[i] = finite(format!("feature[{i}].scale ({want})"), f.scale)?;
            if m.scale[i] <= 0.0 {
                return Err(model_err(
                    format!("feature[{i}].scale ({want})"),
                    "a positive number",
                    f.scale.to_string(),
                ));
            }
            m.weight[i] = finite(format!("feature[{i}].weight ({want})"), f.weight)?;
        }
        if raw.feature.len() > N_FEATURES {
            return Err(model_err(
                format!("feature[{N_FEATURES}].name"),
                format!("no more than {N_FEATURES} features"),
                raw.feature[N_FEATURES].name.clone(),
            ));
        }
        m.bias = finite("bias".into(), raw.bias)?;
        m.threshold = probability("threshold", raw.threshold)?;
        m.threshold_low = probability("threshold_low", raw.threshold_low)?;
        m.threshold_high = probability("threshold_high", raw.threshold_high)?;
        Ok(m)
    }

    /// The model as TOML, with every float formatted to a fixed number of significant digits
    /// (the same model gives the same bytes). `header` lines are written as `#` comments.
    pub fn to_toml(&self, header: &[String]) -> String {
        let mut s = String::new();
        for h in header {
            s.push_str("# ");
            s.push_str(h);
            s.push('\n');
        }
        s.push_str(&format!("version = {MODEL_VERSION}\n"));
        s.push_str(&format!("bias = {}\n", fmt_f(self.bias)));
        s.push_str(&format!("threshold = {}\n", fmt_f(self.threshold)));
        s.push_str(&format!("threshold_low = {}\n", fmt_f(self.threshold_low)));
        s.push_str(&format!(
            "threshold_high = {}\n",
            fmt_f(self.threshold_high)
        ));
        for (i, name) in MODEL_FEATURES.iter().enumerate() {
            s.push_str(&format!(
                "\n[[feature]]\nname = \"{}\"\nmean = {}\nscale = {}\nweight = {}\n",
                name,
                fmt_f(self.mean[i]),
                fmt_f(self.scale[i]),
                fmt_f(self.weight[i])
            ));
        }
        s
    }

    /// Each feature's contribution to the score, `w_i (x_i - mean_i) / scale_i`, and the score
    /// (the log-odds). Does not allocate.
    pub fn contributions(&self, x: &FeatureVector) -> (FeatureVector, f32) {
        let mut c = [0.0f32; N_FEATURES];
        let mut score = self.bias;
        for i in 0..N_FEATURES {
            let v = if x[i].is_finite() { x[i] } else { self.mean[i] };
            c[i] = self.weight[i] * (v - self.mean[i]) / self.scale[i];
            score += c[i];
        }
        (c, score)
    }

    /// The calibrated probability of a feature vector.
    pub fn probability(&self, x: &FeatureVector) -> f32 {
        sigmoid(self.contributions(x).1)
    }
}

/// `1 / (1 + exp(-z))`.
pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// The log-odds of a probability.
pub fn logit(p: f32) -> f32 {
    (p / (1.0 - p)).ln()
}

/// Seven significant digits in scientific notation (round-trips an `f32` closely enough and
/// always gives the same text for the same value).
fn fmt_f(v: f32) -> String {
    format!("{v:.6e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_model_parses() {
        let m = GunshotModel::from_toml_str(BUILTIN_MODEL_TOML).unwrap();
        assert!(m.threshold > 0.0 && m.threshold < 1.0);
    }

    #[test]
    fn round_trip() {
        let mut m = GunshotModel::neutral();
        m.weight[3] = 1.25;
        m.mean[0] = -3.5;
        m.scale[7] = 812.0;
        m.bias = -2.0;
        m.threshold = 0.7;
        let t = m.to_toml(&["hello".into()]);
        let back = GunshotModel::from_toml_str(&t).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.to_toml(&["hello".into()]), t);
    }

    #[test]
    fn bad_models_name_the_field() {
        let good = GunshotModel::neutral().to_toml(&[]);
        let field = |text: &str| match GunshotModel::from_toml_str(text) {
            Err(ConfigError::Model { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(&good.replace("version = 1", "version = 2")),
            "version"
        );
        // Reordered: swap the first two names.
        let swapped = good
            .replacen("\"rise_db\"", "\"TMP\"", 1)
            .replacen("\"jump_db\"", "\"rise_db\"", 1)
            .replacen("\"TMP\"", "\"jump_db\"", 1);
        assert_eq!(field(&swapped), "feature[0].name");
        // Missing: drop the last feature table.
        let cut = good[..good.rfind("[[feature]]").unwrap()].to_string();
        assert_eq!(field(&cut), format!("feature[{}].name", N_FEATURES - 1));
        // Extra.
        let extra =
            format!("{good}\n[[feature]]\nname = \"x\"\nmean = 0.0\nscale = 1.0\nweight = 0.0\n");
        assert_eq!(field(&extra), format!("feature[{N_FEATURES}].name"));
        // Non-finite weight (TOML has nan and inf).
        let nan = good.replacen("weight = 0.000000e0", "weight = nan", 1);
        assert_eq!(field(&nan), "feature[0].weight (rise_db)");
        let inf = good.replacen("bias = 0.000000e0", "bias = inf", 1);
        assert_eq!(field(&inf), "bias");
        let zero = good.replacen("scale = 1.000000e0", "scale = 0.0", 1);
        assert_eq!(field(&zero), "feature[0].scale (rise_db)");
        let thr = good.replacen("threshold = 5.000000e-1", "threshold = 1.5", 1);
        assert_eq!(field(&thr), "threshold");
        // A finite f64 that is infinite as the f32 the scorer uses.
        let huge = good.replacen("weight = 0.000000e0", "weight = 1e300", 1);
        assert_eq!(field(&huge), "feature[0].weight (rise_db)");
        // The probability bounds are open: exactly 0 or 1 is no threshold.
        for (key, v) in [("threshold_low", "0.0"), ("threshold_high", "1.0")] {
            let t = good.replacen(&format!("{key} = 5.000000e-1"), &format!("{key} = {v}"), 1);
            assert_eq!(field(&t), key);
        }
        // Unknown keys are parse errors.
        assert!(matches!(
            GunshotModel::from_toml_str(&format!("{good}\n").replacen(
                "version = 1",
                "version = 1\nfoo = 2",
                1
            )),
            Err(ConfigError::Parse { .. })
        ));
    }

    /// Each contribution is `w_i (x_i - mean_i) / scale_i` (a non-finite feature contributes
    /// 0, as if at its mean), checked against values worked by hand.
    #[test]
    fn contributions_follow_their_definition() {
        let mut m = GunshotModel::neutral();
        m.mean[0] = 10.0;
        m.scale[0] = 4.0;
        m.weight[0] = 3.0;
        m.mean[1] = -2.0;
        m.scale[1] = 0.5;
        m.weight[1] = -1.5;
        m.mean[2] = 1.0;
        m.weight[2] = 2.0;
        m.bias = 0.25;
        let mut x = [0.0; N_FEATURES];
        x[0] = 18.0; // 3 * (18 - 10) / 4 = 6
        x[1] = -1.0; // -1.5 * (-1 + 2) / 0.5 = -3
        x[2] = f32::NAN; // at its mean: 0
        let (c, s) = m.contributions(&x);
        assert_eq!((c[0], c[1], c[2]), (6.0, -3.0, 0.0));
        assert!(c[3..].iter().all(|&v| v == 0.0));
        assert_eq!(s, 0.25 + 6.0 - 3.0);
        assert_eq!(m.probability(&x), sigmoid(3.25));
    }

    /// The probability and its log-odds at worked points, and one the inverse of the other.
    #[test]
    fn sigmoid_and_logit_at_known_points() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(3f32.ln()) - 0.75).abs() < 1e-7);
        assert!((sigmoid(-(3f32.ln())) - 0.25).abs() < 1e-7);
        assert_eq!(logit(0.5), 0.0);
        assert!((logit(0.75) - 3f32.ln()).abs() < 1e-6);
        assert!((logit(0.2) + 4f32.ln()).abs() < 1e-6);
        for z in [-6.0f32, -1.5, 0.3, 2.0, 5.0] {
            assert!(
                (logit(sigmoid(z)) - z).abs() < 1e-3 * z.abs().max(1.0),
                "{z}"
            );
        }
    }

    #[test]
    fn contributions_sum_to_the_score() {
        let mut m = GunshotModel::neutral();
        m.weight = [0.5; N_FEATURES];
        m.bias = -1.0;
        let x = [2.0; N_FEATURES];
        let (c, s) = m.contributions(&x);
        assert!((c.iter().sum::<f32>() + m.bias - s).abs() < 1e-5);
        assert!((m.probability(&x) - sigmoid(s)).abs() < 1e-6);
    }
}
