#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod config;
pub mod detector;
pub mod error;
pub mod event;
pub mod time;

pub mod audio;
pub mod imu;
pub mod synth;
pub mod trigger;

#[cfg(feature = "capi")]
pub mod capi;
#[cfg(feature = "eval")]
pub mod eval;
#[cfg(feature = "io")]
pub mod io;

pub use config::Config;
pub use detector::StreamingDetector;
pub use error::{ConfigError, ProcessError};
pub use event::{Event, EventKind, Evidence, EvidenceItem};
pub use time::Timestamp;
