use super::IoError;
use std::path::Path;

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

/// Reads a WAV file (8/16/24/32-bit integer or 32-bit float PCM, any channel count) and mixes
/// it to mono.
///
/// Integer samples are scaled so that full scale maps to 1.0. A file whose data ends early
/// (truncated) is an error naming the file, not a silently shorter recording.
pub fn read_wav(path: &Path) -> Result<Audio, IoError> {
    let wav_err = |message: String| IoError::Wav {
        path: path.to_path_buf(),
        message,
    };
    let reader = hound::WavReader::open(path).map_err(|e| match e {
        hound::Error::IoError(io) => IoError::io(path, io),
        other => wav_err(format!("not a readable WAV file: {other}")),
    })?;
    let spec = reader.spec();
    if spec.channels == 0 {
        return Err(wav_err("WAV header declares 0 channels".into()));
    }
    if spec.sample_rate == 0 {
        return Err(wav_err("WAV header declares a sample rate of 0 Hz".into()));
    }
    let channels = spec.channels as usize;
    // The header's sample count is only a claim: a damaged or hostile file can declare 4 GiB of
    // data in a few bytes. Reserve no more than the file can actually hold, so a lying header
    // costs an error, not a 16 GiB allocation (an abort on a small machine).
    let file_len = std::fs::metadata(path)
        .map_err(|e| IoError::io(path, e))?
        .len();
    let bytes_per_sample = u64::from(spec.bits_per_sample.div_ceil(8).max(1));
    let capacity = u64::from(reader.len()).min(file_len / bytes_per_sample);
    let mut interleaved: Vec<f32> = Vec::with_capacity(capacity as usize);
    match spec.sample_format {
        hound::SampleFormat::Float => {
            if spec.bits_per_sample != 32 {
                return Err(wav_err(format!(
                    "unsupported float WAV: {} bits per sample (expected 32)",
                    spec.bits_per_sample
                )));
            }
            for s in reader.into_samples::<f32>() {
                interleaved.push(s.map_err(|e| wav_err(format!("bad sample data: {e}")))?);
            }
        }
        hound::SampleFormat::Int => {
            let bits = spec.bits_per_sample;
            if !(1..=32).contains(&bits) {
                return Err(wav_err(format!(
                    "unsupported integer WAV: {bits} bits per sample"
                )));
            }
            let scale = 1.0 / (1u64 << (bits - 1)) as f64;
            for s in reader.into_samples::<i32>() {
                let v = s.map_err(|e| wav_err(format!("bad sample data: {e}")))?;
                interleaved.push((v as f64 * scale) as f32);
            }
        }
    }
    if interleaved.len() % channels != 0 {
        return Err(wav_err(format!(
            "data holds {} samples, not a whole number of {channels}-channel frames (truncated?)",
            interleaved.len()
        )));
    }
    let samples = if channels == 1 {
        interleaved
    } else {
        interleaved
            .chunks_exact(channels)
            .map(|f| f.iter().sum::<f32>() / channels as f32)
            .collect()
    };
    Ok(Audio {
        samples,
        sample_rate: spec.sample_rate,
        channels: spec.channels,
    })
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
