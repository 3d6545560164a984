//! Audio: samples -> frames -> spectral and sample-level features -> gunshot events.
//!
//! - [`frontend`]: streaming framer and windowed real FFT ([`Framer`]).
//! - [`OnsetFeatures`]: one [`FeatureFrame`] of onset features per hop.
//! - [`GunshotDecider`]: the decision stage over feature frames: the rule cascade, or the
//!   trained second stage ([`model`], [`GunshotModel`]).
//! - [`GunshotDetector`]: both, as a [`crate::StreamingDetector`].

mod features;
pub mod frontend;
mod gunshot;
pub mod model;

pub use features::{FeatureFrame, OnsetFeatures, LEVEL_FLOOR_DBFS, POWER_FLOOR};
pub use frontend::{FrameTiming, Framer};
pub use gunshot::{GunshotConfig, GunshotDecider, GunshotDetector, GunshotStage, GATE_NAMES};
pub use model::GunshotModel;

/// Lowest supported audio sample rate, Hz.
pub const MIN_SAMPLE_RATE: u32 = 8_000;
/// Highest supported audio sample rate, Hz.
pub const MAX_SAMPLE_RATE: u32 = 96_000;
