//! File readers and writers: WAV (hound), compressed audio and video (symphonia, `media`
//! feature), raw PCM streams, IMU CSV (with an optional barometer column), SisFall raw text,
//! FallAllD raw `.dat` files, label side-cars.
//!
//! Every error names the file and, for text formats, the line.

mod audio;
mod imu_csv;
mod labels;
#[cfg(feature = "media")]
mod media;
mod raw;
mod wav;

pub use audio::{is_audio_path, read_audio, read_audio_track, AudioStream};
pub use imu_csv::{
    fallalld_files, read_fallalld, read_imu_csv, read_imu_csv_with_pressure, read_sisfall,
    ImuRecording, FALLALLD_ACCEL_SCALE, FALLALLD_BARO_RATE_HZ, FALLALLD_GYRO_SCALE,
    FALLALLD_RATE_HZ, SISFALL_ACCEL_SCALE, SISFALL_GYRO_SCALE, SISFALL_RATE_HZ,
};
pub use labels::{labels_path_for, read_labels, read_labels_for, Label};
#[cfg(feature = "media")]
pub use media::{MediaStream, MEDIA_EXTENSIONS};
pub use raw::{RawFormat, RawPcm};
pub use wav::{read_wav, write_wav_i16, Audio, WavStream};

use std::path::{Path, PathBuf};
use thiserror::Error;

/// A file could not be read or parsed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IoError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The WAV container or its data is malformed or unsupported.
    #[error("{path}: {message}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A compressed audio or video file cannot be read: unsupported, no audio track, or corrupt
    /// or truncated (the message says at what time).
    #[error("{path}: {message}")]
    Media {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A text line is malformed.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl IoError {
    pub(crate) fn parse(path: &Path, line: usize, message: impl Into<String>) -> Self {
        IoError::Parse {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        IoError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
