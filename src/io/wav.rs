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

/// What hound found in a WAV header.
struct Header {
    spec: hound::WavSpec,
    /// Samples (all channels) in the data chunk.
    samples: u32,
    /// The data chunk's length in bytes.
    data_len: u32,
    /// Positioned at the data chunk's first byte.
    reader: std::io::BufReader<std::fs::File>,
}

/// Parses the header of `path` with hound. Operating-system errors (missing file,
/// permissions) are reported as such; anything hound rejects after that, including a file that
/// ends inside its header (hound's "failed to read enough bytes"), is "not a readable WAV file".
fn open_reader(path: &Path) -> Result<Header, IoError> {
    let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    let tap = Tap {
        inner: std::io::BufReader::new(file),
        last: [0; 4],
    };
    let reader = hound::WavReader::new(tap).map_err(|e| IoError::Wav {
        path: path.to_path_buf(),
        message: match e {
            hound::Error::IoError(io) => format!("not a readable WAV file: {io}"),
            other => format!("not a readable WAV file: {other}"),
        },
    })?;
    let (spec, samples) = (reader.spec(), reader.len());
    let tap = reader.into_inner();
    Ok(Header {
        spec,
        samples,
        // Only the header went through the tap: its last four bytes are the data length.
        data_len: u32::from_le_bytes(tap.last),
        reader: tap.inner,
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

/// How the data chunk's bytes become samples: the container width and the integer or float
/// interpretation, exactly as hound decodes them (`bytes_per_sample`, `bits_per_sample`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// 8-bit unsigned (128 = 0).
    U8,
    /// 16-bit signed little-endian.
    I16,
    /// 24-bit signed little-endian in 3 bytes.
    I24,
    /// 24 valid bits in a 4-byte container (WAVE_FORMAT_EXTENSIBLE): the top byte is ignored
    /// and bit 23 is the sign, as hound does.
    I24In4,
    /// 32-bit signed little-endian.
    I32,
    /// 32-bit IEEE float little-endian.
    F32,
}

impl Layout {
    pub(super) fn bytes(self) -> usize {
        match self {
            Layout::U8 => 1,
            Layout::I16 => 2,
            Layout::I24 => 3,
            Layout::I24In4 | Layout::I32 | Layout::F32 => 4,
        }
    }
}

/// The byte buffer one bulk read fills (rounded down to whole frames, at least one frame),
/// whatever the size of the blocks asked for.
const READ_BYTES: usize = 64 * 1024;

/// Remembers the last four bytes read through it. `hound::WavReader::new` stops right after
/// the data chunk's 8-byte header (it reads nothing it does not need), so when it returns these
/// are the data chunk's length in bytes, from which the container width follows (hound keeps
/// `block_align / channels` private).
struct Tap<R> {
    inner: R,
    last: [u8; 4],
}

impl<R: std::io::Read> std::io::Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            self.last = [self.last[1], self.last[2], self.last[3], b];
        }
        Ok(n)
    }
}

/// A WAV file read block by block: mono `f32` samples, converted and mixed exactly as
/// [`read_wav`] does, without loading the file (for hours of audio).
///
/// The header is parsed by hound; the sample data is then read in bulk (64 KiB at a time into
/// a buffer allocated once in [`WavStream::open`], whatever the block size) and converted a
/// whole block at a time.
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
    /// Positioned at the next unread byte of the data chunk.
    reader: std::io::BufReader<std::fs::File>,
    layout: Layout,
    /// `1 / 2^(bits-1)` for integer layouts (full scale = 1.0), 1 for float.
    scale: f32,
    channels: usize,
    sample_rate: u32,
    frames: u64,
    frames_read: u64,
    /// Raw bytes of whole frames, reused by every `fill` (allocated once in `open`).
    bytes: Vec<u8>,
    /// `bytes[start..end]`: whole frames read from the file and not yet delivered.
    start: usize,
    end: usize,
    /// Set when a read came back short of the data the header declares: the frame at which the
    /// readable data ends (every frame before it is delivered, then `fill` fails).
    truncated_at: Option<u64>,
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
        let header = open_reader(path)?;
        let spec = header.spec;
        if spec.channels == 0 {
            return Err(wav_err("WAV header declares 0 channels".into()));
        }
        if spec.sample_rate == 0 {
            return Err(wav_err("WAV header declares a sample rate of 0 Hz".into()));
        }
        let bits = spec.bits_per_sample;
        let float = match spec.sample_format {
            hound::SampleFormat::Float if bits == 32 => true,
            hound::SampleFormat::Float => {
                return Err(wav_err(format!(
                    "unsupported float WAV: {bits} bits per sample (expected 32)"
                )))
            }
            hound::SampleFormat::Int if (1..=32).contains(&bits) => false,
            hound::SampleFormat::Int => {
                return Err(wav_err(format!(
                    "unsupported integer WAV: {bits} bits per sample"
                )))
            }
        };
        let channels = usize::from(spec.channels);
        let samples = header.samples;
        if samples as usize % channels != 0 {
            return Err(wav_err(format!(
                "data holds {samples} samples, not a whole number of {channels}-channel frames (truncated?)"
            )));
        }
        let frames = u64::from(samples) / channels as u64;
        // hound checked that the data length is exactly `samples` containers.
        let container = header
            .data_len
            .checked_div(samples)
            .map_or(usize::from(bits).div_ceil(8), |c| c as usize);
        let layout = match (float, container, bits) {
            (true, 4, 32) => Layout::F32,
            (false, 1, 8) => Layout::U8,
            (false, 2, 16) => Layout::I16,
            (false, 3, 24) => Layout::I24,
            (false, 4, 24) => Layout::I24In4,
            (false, 4, 32) => Layout::I32,
            // No data, nothing to decode: an empty recording, whatever its layout.
            _ if frames == 0 => Layout::I16,
            _ => {
                return Err(wav_err(format!(
                    "unsupported WAV sample layout: {bits}-bit {} samples in {container}-byte containers",
                    if float { "float" } else { "integer" }
                )))
            }
        };
        let scale = if float {
            1.0
        } else {
            // Exact in f32 (a power of two), so `v as f32 * scale` rounds like the f64 product.
            (1.0 / (1u64 << (bits - 1)) as f64) as f32
        };
        let frame_bytes = channels * layout.bytes();
        let buf_len = (READ_BYTES / frame_bytes).max(1) * frame_bytes;
        Ok(WavStream {
            path: path.to_path_buf(),
            reader: header.reader,
            layout,
            scale,
            channels,
            sample_rate: spec.sample_rate,
            frames,
            frames_read: 0,
            bytes: vec![0; buf_len],
            start: 0,
            end: 0,
            truncated_at: None,
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
        let (layout, scale, channels) = (self.layout, self.scale, self.channels);
        self.fill_with(block, |bytes, out| {
            convert(layout, scale, channels, bytes, out)
        })
    }

    /// Whether the file is mono 16-bit PCM, the layout [`WavStream::fill_i16`] reads.
    pub fn is_mono_i16(&self) -> bool {
        self.channels == 1 && matches!(self.layout, Layout::I16)
    }

    /// Fills `block` with the next samples of a mono 16-bit PCM file as stored (`i16::MIN` =
    /// -1.0 full scale; [`WavStream::fill`] gives the same samples divided by 32768), for the
    /// detectors' 16-bit paths, which skip the conversion and the check for non-finite values.
    /// Returns how many were written, as `fill` does. A file of another layout is an error
    /// (see [`WavStream::is_mono_i16`]).
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let path = std::env::temp_dir().join(format!("autotrigger-fill-i16-{}.wav", std::process::id()));
    /// autotrigger::io::write_wav_i16(&path, &[0.5, -0.25, 0.0], 16_000)?;
    /// let mut wav = autotrigger::io::WavStream::open(&path)?;
    /// assert!(wav.is_mono_i16());
    /// let mut block = [0i16; 8];
    /// assert_eq!(wav.fill_i16(&mut block)?, 3);
    /// assert_eq!(&block[..3], &[16384, -8192, 0]);
    /// assert_eq!(wav.fill_i16(&mut block)?, 0);
    /// # std::fs::remove_file(&path)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn fill_i16(&mut self, block: &mut [i16]) -> Result<usize, IoError> {
        if !self.is_mono_i16() {
            return Err(IoError::Wav {
                path: self.path.clone(),
                message: format!(
                    "16-bit samples were asked of a file that is not mono 16-bit PCM \
                     ({} channels, {} bytes per sample)",
                    self.channels,
                    self.layout.bytes()
                ),
            });
        }
        self.fill_with(block, |bytes, out| {
            for (o, c) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                *o = i16::from_le_bytes([c[0], c[1]]);
            }
        })
    }

    /// `fill` with the decoding of whole frames' bytes into `block`'s samples given.
    ///
    /// The file is read `READ_BYTES` at a time (a small `block` does not mean small reads, and
    /// a read that size goes past `BufReader`'s buffer straight into `bytes`). A call fails
    /// exactly when it needs a frame beyond the readable data, as a read per call would.
    fn fill_with<T>(
        &mut self,
        block: &mut [T],
        mut decode: impl FnMut(&[u8], &mut [T]),
    ) -> Result<usize, IoError> {
        let frame_bytes = self.channels * self.layout.bytes();
        let left = self.frames - self.frames_read;
        let want = (block.len() as u64).min(left) as usize;
        let mut n = 0;
        while n < want {
            if self.start == self.end {
                self.refill(frame_bytes)?;
            }
            let k = (want - n).min((self.end - self.start) / frame_bytes);
            let bytes = &self.bytes[self.start..self.start + k * frame_bytes];
            decode(bytes, &mut block[n..n + k]);
            self.start += k * frame_bytes;
            n += k;
            self.frames_read += k as u64;
        }
        Ok(n)
    }

    /// Reads the next whole frames into the (empty) byte buffer: as many as fit, and no more
    /// than the header declares beyond those delivered. Fails when none can be read.
    fn refill(&mut self, frame_bytes: usize) -> Result<(), IoError> {
        if let Some(at) = self.truncated_at {
            // Stay at the end of the readable data: a retry fails the same way.
            self.frames_read = at;
            return Err(IoError::Wav {
                path: self.path.clone(),
                message: format!(
                    "data ends at frame {at} of the {} the header declares (truncated?)",
                    self.frames
                ),
            });
        }
        let per_read = self.bytes.len() / frame_bytes;
        let k = (self.frames - self.frames_read).min(per_read as u64) as usize;
        let buf = &mut self.bytes[..k * frame_bytes];
        let got = read_full(&mut self.reader, buf).map_err(|e| {
            IoError::io(
                &self.path,
                std::io::Error::new(
                    e.kind(),
                    format!("reading sample data at frame {}: {e}", self.frames_read),
                ),
            )
        })?;
        let whole = got / frame_bytes;
        (self.start, self.end) = (0, whole * frame_bytes);
        if got < buf.len() {
            self.truncated_at = Some(self.frames_read + whole as u64);
            if whole == 0 {
                return self.refill(frame_bytes);
            }
        }
        Ok(())
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(r: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(m) => got += m,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Decodes whole interleaved frames of `bytes` into `out` (one mono sample per frame).
pub(super) fn convert(layout: Layout, scale: f32, channels: usize, bytes: &[u8], out: &mut [f32]) {
    // Integer containers are widened to i32 exactly as hound does (8-bit is unsigned around
    // 128; 24-bit is sign-extended from bit 23), then scaled in f32: the scale is a power of
    // two, so the product rounds exactly as the f64 product rounded to f32 does.
    match layout {
        Layout::U8 => mix::<1>(bytes, out, channels, |b| {
            (i32::from(b[0]) - 128) as f32 * scale
        }),
        Layout::I16 => mix::<2>(bytes, out, channels, |b| {
            f32::from(i16::from_le_bytes(b)) * scale
        }),
        Layout::I24 => mix::<3>(bytes, out, channels, |b| {
            (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 * scale
        }),
        Layout::I24In4 => mix::<4>(bytes, out, channels, |b| {
            ((i32::from_le_bytes(b) << 8) >> 8) as f32 * scale
        }),
        Layout::I32 => mix::<4>(bytes, out, channels, |b| {
            i32::from_le_bytes(b) as f32 * scale
        }),
        Layout::F32 => mix::<4>(bytes, out, channels, f32::from_le_bytes),
    }
}

/// Mono output: each frame's `channels` decoded samples summed in channel order (as
/// `Iterator::sum` does, from its own starting value) and divided by the channel count; one
/// channel is passed through.
#[inline(always)]
fn mix<const B: usize>(
    bytes: &[u8],
    out: &mut [f32],
    channels: usize,
    decode: impl Fn([u8; B]) -> f32,
) {
    let sample = |c: &[u8]| decode(c.try_into().expect("chunks_exact yields B bytes"));
    if channels == 1 {
        for (o, c) in out.iter_mut().zip(bytes.chunks_exact(B)) {
            *o = sample(c);
        }
        return;
    }
    // `Iterator::sum` for f32 starts from -0.0 in current std (0.0 in older): take its own
    // starting value so a frame of signed zeros mixes bit-identically to the per-sample path.
    let zero: f32 = core::iter::empty::<f32>().sum();
    let n = channels as f32;
    for (o, frame) in out.iter_mut().zip(bytes.chunks_exact(B * channels)) {
        let mut acc = zero;
        for c in frame.chunks_exact(B) {
            acc += sample(c);
        }
        *o = acc / n;
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
