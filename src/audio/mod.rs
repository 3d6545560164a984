//! Audio: samples -> frames -> spectral and sample-level features -> gunshot events.

mod gunshot;

pub use gunshot::{GunshotConfig, GunshotDetector};

/// Lowest supported audio sample rate, Hz.
pub const MIN_SAMPLE_RATE: u32 = 8_000;
/// Highest supported audio sample rate, Hz.
pub const MAX_SAMPLE_RATE: u32 = 96_000;
