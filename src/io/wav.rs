use super::IoError;
use std::path::{Path, PathBuf};

/// A decoded recording: mono `f32` samples in `[-1, 1]` (full scale) and the sample rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Mono samples, the mean of all channels, full scale = 1.0.
    pub samples: Vec<f32>,
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels in the file before mixing to mono.
    pub channels: u16,
}

impl Audio {
    /// Duration in integer microseconds.
    pub fn duration_us(&self) -> i64 {
        crate::Timestamp::from_samples(self.samples.len() as u64, self.sample_rate).as_micros()
    }
}

/// Opens `path` for hound. Operating-system errors (missing file, permissions) are reported
/// as such; anything hound rejects after that, including a file that ends inside its header
/// (hound's "failed to read enough bytes"), is "not a readable WAV file".
fn open_reader(
    path: &Path,
) -> Result<hound::WavReader<std::io::BufReader<std::fs::File>>, IoError> {
    let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    hound::WavReader::new(std::io::BufReader::new(file)).map_err(|e| IoError::Wav {
        path: path.to_path_buf(),
        message: match e {
            hound::Error::IoError(io) => format!("not a readable WAV file: {io}"),
            other => format!("not a readable WAV file: {other}"),
        },
    })
}

/// Reads a WAV file (8/16/24/32-bit integer or 32-bit float PCM, any channel count) and mixes
/// it to mono.
///
/// Integer samples are scaled so that full scale maps to 1.0. A file whose data ends early
/// (truncated) is an error naming the file, not a silently shorter recording.
pub fn read_wav(path: &Path) -> Result<Audio, IoError> {
    // One decoder for both entry points: the whole-file reader is the streaming reader run to
    // the end, so the two cannot disagree on formats, scaling, mixing or errors.
    let mut stream = WavStream::open(path)?;
    // The header's sample count is only a claim: a damaged or hostile file can declare 4 GiB of
    // data in a few bytes. Reserve no more than the file can actually hold (at least one byte
    // per sample), so a lying header costs an error, not a 16 GiB allocation.
    let file_len = std::fs::metadata(path)
        .map_err(|e| IoError::io(path, e))?
        .len();
    let capacity = stream
        .len_frames()
        .min(file_len / u64::from(stream.channels()));
    let mut samples: Vec<f32> = Vec::with_capacity(capacity as usize);
    let mut block = [0f32; 4096];
    loop {
        let n = stream.fill(&mut block)?;
        if n == 0 {
            break;
        }
        samples.extend_from_slice(&block[..n]);
    }
    Ok(Audio {
        samples,
        sample_rate: stream.sample_rate(),
        channels: stream.channels(),
    })
}

/// Writes mono samples as a 16-bit integer PCM WAV file. Samples are scaled by 32768 (the
/// inverse of [`read_wav`]'s scale), rounded to nearest and clamped to the 16-bit range, so
/// values at or beyond full scale clip exactly as an ADC would.
pub fn write_wav_i16(path: &Path, samples: &[f32], sample_rate: u32) -> Result<(), IoError> {
    let wav_err = |e: hound::Error| match e {
        hound::Error::IoError(io) => IoError::io(path, io),
        other => IoError::Wav {
            path: path.to_path_buf(),
            message: format!("cannot write WAV: {other}"),
        },
    };
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(wav_err)?;
    for &s in samples {
        let v = if s.is_nan() {
            0
        } else {
            (f64::from(s) * 32768.0).round().clamp(-32768.0, 32767.0) as i16
        };
        w.write_sample(v).map_err(wav_err)?;
    }
    w.finalize().map_err(wav_err)
}

/// How raw samples become `f32`.
#[derive(Debug, Clone, Copy)]
enum Conversion {
    Float,
    /// Integer samples times `scale` (1 / 2^(bits-1)).
    Int(f64),
}

/// A WAV file read block by block: mono `f32` samples, converted and mixed exactly as
/// [`read_wav`] does, without loading the file (for hours of audio).
///
/// ```no_run
/// # fn main() -> Result<(), autotrigger::io::IoError> {
/// let mut wav = autotrigger::io::WavStream::open(std::path::Path::new("long.wav"))?;
/// let mut block = vec![0f32; 4096];
/// loop {
///     let n = wav.fill(&mut block)?;
///     if n == 0 {
///         break;
///     }
///     // process(&block[..n]);
/// }
/// # Ok(())
/// # }
/// ```
pub struct WavStream {
    path: PathBuf,
    reader: hound::WavReader<std::io::BufReader<std::fs::File>>,
    conversion: Conversion,
    channels: usize,
    sample_rate: u32,
    frames: u64,
    frames_read: u64,
    /// One interleaved frame, reused (allocated once in `open`).
    frame: Vec<f32>,
}

impl std::fmt::Debug for WavStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavStream")
            .field("path", &self.path)
            .field("channels", &self.channels)
            .field("sample_rate", &self.sample_rate)
            .field("frames", &self.frames)
            .field("frames_read", &self.frames_read)
            .finish()
    }
}

impl WavStream {
    /// Opens a WAV file and validates its header (same formats as [`read_wav`]).
    pub fn open(path: &Path) -> Result<Self, IoError> {
        let wav_err = |message: String| IoError::Wav {
            path: path.to_path_buf(),
            message,
        };
        let reader = open_reader(path)?;
        let spec = reader.spec();
        if spec.channels == 0 {
            return Err(wav_err("WAV header declares 0 channels".into()));
        }
        if spec.sample_rate == 0 {
            return Err(wav_err("WAV header declares a sample rate of 0 Hz".into()));
        }
        let conversion = match spec.sample_format {
            hound::SampleFormat::Float if spec.bits_per_sample == 32 => Conversion::Float,
            hound::SampleFormat::Float => {
                return Err(wav_err(format!(
                    "unsupported float WAV: {} bits per sample (expected 32)",
                    spec.bits_per_sample
                )))
            }
            hound::SampleFormat::Int if (1..=32).contains(&spec.bits_per_sample) => {
                Conversion::Int(1.0 / (1u64 << (spec.bits_per_sample - 1)) as f64)
            }
            hound::SampleFormat::Int => {
                return Err(wav_err(format!(
                    "unsupported integer WAV: {} bits per sample",
                    spec.bits_per_sample
                )))
            }
        };
        let channels = usize::from(spec.channels);
        if reader.len() as usize % channels != 0 {
            return Err(wav_err(format!(
                "data holds {} samples, not a whole number of {channels}-channel frames (truncated?)",
                reader.len()
            )));
        }
        let frames = u64::from(reader.len()) / channels as u64;
        Ok(WavStream {
            path: path.to_path_buf(),
            reader,
            conversion,
            channels,
            sample_rate: spec.sample_rate,
            frames,
            frames_read: 0,
            frame: vec![0.0; channels],
        })
    }

    /// Samples per second.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Channels in the file (the output is their mean).
    pub fn channels(&self) -> u16 {
        self.channels as u16
    }

    /// Frames (mono output samples) the header declares.
    pub fn len_frames(&self) -> u64 {
        self.frames
    }

    /// Frames delivered so far.
    pub fn frames_read(&self) -> u64 {
        self.frames_read
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fills `block` with the next mono samples and returns how many were written: `block.len()`
    /// except at the end of the file (0 once it is exhausted). A file whose data ends before
    /// its header says (truncated) is an error naming the file.
    pub fn fill(&mut self, block: &mut [f32]) -> Result<usize, IoError> {
        let mut n = 0;
        while n < block.len() && self.frames_read < self.frames {
            self.read_frame()?;
            block[n] = if self.channels == 1 {
                self.frame[0]
            } else {
                self.frame.iter().sum::<f32>() / self.channels as f32
            };
            n += 1;
            self.frames_read += 1;
        }
        Ok(n)
    }

    fn read_frame(&mut self) -> Result<(), IoError> {
        let path = &self.path;
        let at = self.frames_read;
        let bad = |e: hound::Error| IoError::Wav {
            path: path.to_path_buf(),
            message: format!("bad sample data at frame {at} (truncated?): {e}"),
        };
        let missing = || IoError::Wav {
            path: path.to_path_buf(),
            message: format!("data ends at frame {at}, header declares more (truncated?)"),
        };
        match self.conversion {
            Conversion::Float => {
                let mut it = self.reader.samples::<f32>();
                for slot in self.frame.iter_mut() {
                    *slot = it.next().ok_or_else(missing)?.map_err(bad)?;
                }
            }
            Conversion::Int(scale) => {
                let mut it = self.reader.samples::<i32>();
                for slot in self.frame.iter_mut() {
                    let v = it.next().ok_or_else(missing)?.map_err(bad)?;
                    *slot = (v as f64 * scale) as f32;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(
        path: &Path,
        spec: hound::WavSpec,
        f: impl FnOnce(&mut hound::WavWriter<std::io::BufWriter<std::fs::File>>),
    ) {
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        f(&mut w);
        w.finalize().unwrap();
    }

    #[test]
    fn reads_int_and_float_and_mixes_to_mono() {
        let dir = std::env::temp_dir().join(format!("autotrigger-wav-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p16 = dir.join("s16.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        write(&p16, spec, |w| {
            w.write_sample(16384i16).unwrap();
            w.write_sample(0i16).unwrap();
            w.write_sample(-32768i16).unwrap();
            w.write_sample(-32768i16).unwrap();
        });
        let a = read_wav(&p16).unwrap();
        assert_eq!(a.samples, vec![0.25, -1.0]);
        assert_eq!((a.sample_rate, a.channels), (8000, 2));

        let p24 = dir.join("s24.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 96000,
            bits_per_sample: 24,
            sample_format: hound::SampleFormat::Int,
        };
        write(&p24, spec, |w| w.write_sample(1 << 22).unwrap());
        assert_eq!(read_wav(&p24).unwrap().samples, vec![0.5]);

        let pf = dir.join("f32.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 44100,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        write(&pf, spec, |w| w.write_sample(0.125f32).unwrap());
        assert_eq!(read_wav(&pf).unwrap().samples, vec![0.125]);

        let bad = dir.join("bad.wav");
        std::fs::write(&bad, b"RIFF....WAVEjunk").unwrap();
        let e = read_wav(&bad).unwrap_err().to_string();
        assert!(e.contains("bad.wav"), "{e}");
        let e = read_wav(&dir.join("missing.wav")).unwrap_err().to_string();
        assert!(e.contains("missing.wav"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
