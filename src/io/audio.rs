//! The one reading path for audio files: WAV through the bulk WAV decoder, every other
//! supported container (with the `media` feature) through symphonia. Commands and the corpus
//! runner read audio only through here, so a format added here is accepted everywhere.

use super::{Audio, IoError, WavStream};
use std::path::Path;

#[cfg(feature = "media")]
use super::media::{MediaStream, MEDIA_EXTENSIONS};
#[cfg(not(feature = "media"))]
const MEDIA_EXTENSIONS: &[&str] = &[];

/// Whether `path`'s extension names an audio (or audio-bearing video) file this build reads:
/// `.wav`, and with the `media` feature `.mp4 .m4a .m4v .mov .mp3 .flac .ogg .oga`.
pub fn is_audio_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .is_some_and(|e| e == "wav" || MEDIA_EXTENSIONS.contains(&e.as_str()))
}

/// An audio file read block by block as mono `f32` at its own sample rate, whatever its
/// container (see [`is_audio_path`]).
///
/// ```no_run
/// # fn main() -> Result<(), autotrigger::io::IoError> {
/// let mut audio = autotrigger::io::AudioStream::open(std::path::Path::new("footage.mp4"), None)?;
/// let mut block = vec![0f32; 4096];
/// while audio.fill(&mut block)? > 0 {
///     // process(&block[..n]);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub enum AudioStream {
    /// A WAV file.
    Wav(WavStream),
    /// A compressed audio or video file.
    #[cfg(feature = "media")]
    Media(Box<MediaStream>),
}

impl AudioStream {
    /// Opens `path`; `track` picks the audio track (0 = first, the default; a WAV file has
    /// only track 0).
    pub fn open(path: &Path, track: Option<usize>) -> Result<Self, IoError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if ext == "wav" {
            if let Some(t @ 1..) = track {
                return Err(IoError::Wav {
                    path: path.to_path_buf(),
                    message: format!("a WAV file has one audio track (0), not track {t}"),
                });
            }
            return WavStream::open(path).map(AudioStream::Wav);
        }
        #[cfg(feature = "media")]
        {
            MediaStream::open(path, track.unwrap_or(0)).map(|m| AudioStream::Media(Box::new(m)))
        }
        #[cfg(not(feature = "media"))]
        {
            let _ = track;
            Err(IoError::Media {
                path: path.to_path_buf(),
                message: "this build reads only WAV audio (compressed audio and video need the \
                          `media` feature)"
                    .into(),
            })
        }
    }

    /// Samples per second.
    pub fn sample_rate(&self) -> u32 {
        match self {
            AudioStream::Wav(w) => w.sample_rate(),
            #[cfg(feature = "media")]
            AudioStream::Media(m) => m.sample_rate(),
        }
    }

    /// Channels in the file before mixing to mono.
    pub fn channels(&self) -> u16 {
        match self {
            AudioStream::Wav(w) => w.channels(),
            #[cfg(feature = "media")]
            AudioStream::Media(m) => m.channels(),
        }
    }

    /// Frames (mono samples) the file declares, when it does.
    pub fn len_frames(&self) -> Option<u64> {
        match self {
            AudioStream::Wav(w) => Some(w.len_frames()),
            #[cfg(feature = "media")]
            AudioStream::Media(m) => m.len_frames(),
        }
    }

    /// Frames delivered so far.
    pub fn frames_read(&self) -> u64 {
        match self {
            AudioStream::Wav(w) => w.frames_read(),
            #[cfg(feature = "media")]
            AudioStream::Media(m) => m.frames_read(),
        }
    }

    /// Fills `block` with the next mono samples and returns how many were written:
    /// `block.len()` except at the end (0 once exhausted). Truncated or corrupt data is an error
    /// naming the file and where reading stopped.
    pub fn fill(&mut self, block: &mut [f32]) -> Result<usize, IoError> {
        match self {
            AudioStream::Wav(w) => w.fill(block),
            #[cfg(feature = "media")]
            AudioStream::Media(m) => m.fill(block),
        }
    }
}

/// Reads a whole audio file of any supported container (see [`is_audio_path`]) as mono at its
/// own rate: [`read_wav`](super::read_wav) for WAV, the first audio track otherwise.
pub fn read_audio(path: &Path) -> Result<Audio, IoError> {
    read_audio_track(path, None)
}

/// [`read_audio`] for audio track `track` (0 = first).
pub fn read_audio_track(path: &Path, track: Option<usize>) -> Result<Audio, IoError> {
    let mut s = AudioStream::open(path, track)?;
    if matches!(s, AudioStream::Wav(_)) {
        // The WAV reader bounds its allocation by the file size; keep it.
        return super::read_wav(path);
    }
    // A declared length is only a claim: reserve at most one hour at 48 kHz up front.
    let cap = s.len_frames().unwrap_or(0).min(48_000 * 3600) as usize;
    let mut samples = Vec::with_capacity(cap);
    let mut block = [0f32; 4096];
    loop {
        let n = s.fill(&mut block)?;
        if n == 0 {
            break;
        }
        samples.extend_from_slice(&block[..n]);
    }
    Ok(Audio {
        samples,
        sample_rate: s.sample_rate(),
        channels: s.channels(),
    })
}
