//! IMU: timestamped accelerometer/gyro samples -> gravity/orientation -> running, fall /
//! officer-down and tap events.
//!
//! SKELETON: replaced by the IMU work.

use crate::detector::StreamingDetector;
use crate::error::{ConfigError, ProcessError};
use crate::event::Event;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One IMU sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImuSample {
    /// Sample time.
    pub t: Timestamp,
    /// Acceleration in m/s^2, gravity included, sensor axes.
    pub accel: [f32; 3],
    /// Angular rate in rad/s, sensor axes, when the sensor has a gyroscope.
    pub gyro: Option<[f32; 3]>,
}

macro_rules! skeleton_config {
    ($name:ident, $key:literal) => {
        /// Parameters.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            /// A parameter.
            pub x: f64,
        }
        impl Default for $name {
            fn default() -> Self {
                $name { x: 1.0 }
            }
        }
        impl $name {
            /// Validates ranges.
            pub fn validate(&self) -> Result<(), ConfigError> {
                ConfigError::check_range($key, self.x, 0.0, 10.0)
            }
        }
    };
}
skeleton_config!(OrientationConfig, "orientation.x");
skeleton_config!(RunningConfig, "running.x");
skeleton_config!(FallConfig, "fall.x");
skeleton_config!(TapConfig, "tap.x");

/// All IMU detectors over one sample stream (orientation computed once).
#[derive(Debug)]
pub struct ImuDetectors {}

impl ImuDetectors {
    /// Builds the IMU detectors from the IMU parts of `config`.
    pub fn new(config: &crate::Config) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(ImuDetectors {})
    }
}

impl StreamingDetector for ImuDetectors {
    type Input = ImuSample;
    fn process(
        &mut self,
        _input: &[ImuSample],
        _out: &mut impl Extend<Event>,
    ) -> Result<(), ProcessError> {
        Ok(())
    }
    fn finish(&mut self, _out: &mut impl Extend<Event>) {}
    fn reset(&mut self) {}
    fn latency_us(&self) -> i64 {
        0
    }
}
