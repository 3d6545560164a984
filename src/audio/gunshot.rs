//! SKELETON: replaced by the audio work.
use crate::detector::StreamingDetector;
use crate::error::{ConfigError, ProcessError};
use crate::event::Event;
use serde::{Deserialize, Serialize};

/// Gunshot detector parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GunshotConfig {
    /// Onset threshold.
    pub flux_threshold: f64,
}

impl Default for GunshotConfig {
    fn default() -> Self {
        GunshotConfig {
            flux_threshold: 1.0,
        }
    }
}

impl GunshotConfig {
    /// Validates ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        ConfigError::check_range("gunshot.flux_threshold", self.flux_threshold, 0.0, 100.0)
    }
}

/// Gunshot detector.
#[derive(Debug)]
pub struct GunshotDetector {
    sample_rate: u32,
}

impl GunshotDetector {
    /// Builds a detector.
    pub fn new(config: &GunshotConfig, sample_rate: u32) -> Result<Self, ConfigError> {
        config.validate()?;
        ConfigError::check_rate(sample_rate, super::MIN_SAMPLE_RATE, super::MAX_SAMPLE_RATE)?;
        Ok(GunshotDetector { sample_rate })
    }
}

impl StreamingDetector for GunshotDetector {
    type Input = f32;
    fn process(
        &mut self,
        _input: &[f32],
        _out: &mut impl Extend<Event>,
    ) -> Result<(), ProcessError> {
        let _ = self.sample_rate;
        Ok(())
    }
    fn finish(&mut self, _out: &mut impl Extend<Event>) {}
    fn reset(&mut self) {}
    fn latency_us(&self) -> i64 {
        0
    }
}
