//! Headerless PCM from any reader (standard input, a pipe, a socket): the live path of
//! `autotrigger detect -`.

use super::wav::{convert, Layout};
use super::IoError;
use std::io::Read;
use std::path::PathBuf;

/// The sample encoding of a raw PCM stream (interleaved, little-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawFormat {
    /// 16-bit signed integer, full scale = 32768 (as a 16-bit WAV file).
    S16le,
    /// 32-bit IEEE float, full scale = 1.0.
    F32le,
}

impl RawFormat {
    fn layout(self) -> (Layout, f32) {
        match self {
            RawFormat::S16le => (Layout::I16, 1.0 / 32768.0),
            RawFormat::F32le => (Layout::F32, 1.0),
        }
    }
}

/// Raw interleaved PCM read from `R` and mixed to mono exactly as WAV files are (mean of the
/// channels, the same integer scaling).
///
/// [`RawPcm::read`] returns as soon as the reader has delivered at least one whole frame, so a
/// live source (a microphone piped through `arecord` or `ffmpeg`) is processed as it arrives
/// rather than when a whole block has accumulated. A frame split across two reads is kept and
/// completed by the next one. The byte buffer is allocated once in [`RawPcm::new`].
///
/// ```
/// use autotrigger::io::{RawFormat, RawPcm};
/// let bytes: Vec<u8> = [16384i16, 0, -32768, -32768]
///     .iter()
///     .flat_map(|s| s.to_le_bytes())
///     .collect();
/// let mut pcm = RawPcm::new(&bytes[..], RawFormat::S16le, 2, 1024, "example").unwrap();
/// let mut block = [0f32; 8];
/// assert_eq!(pcm.read(&mut block).unwrap(), 2);
/// assert_eq!(&block[..2], &[0.25, -1.0]);
/// assert_eq!(pcm.read(&mut block).unwrap(), 0); // end of input
/// ```
pub struct RawPcm<R> {
    reader: R,
    name: PathBuf,
    layout: Layout,
    scale: f32,
    channels: usize,
    /// Bytes read but not yet converted: `pending` of them at the front (less than a frame
    /// after each `read`).
    bytes: Vec<u8>,
    pending: usize,
    frames_read: u64,
}

impl<R> std::fmt::Debug for RawPcm<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawPcm")
            .field("name", &self.name)
            .field("layout", &self.layout)
            .field("channels", &self.channels)
            .field("frames_read", &self.frames_read)
            .finish()
    }
}

impl<R: Read> RawPcm<R> {
    /// Wraps `reader`. `channels` (at least 1) are interleaved; `block` is the most frames one
    /// [`read`](Self::read) converts; `name` names the source in errors (`-` for standard input).
    pub fn new(
        reader: R,
        format: RawFormat,
        channels: u16,
        block: usize,
        name: impl Into<PathBuf>,
    ) -> Result<Self, IoError> {
        let name = name.into();
        if channels == 0 {
            return Err(IoError::Wav {
                path: name,
                message: "raw PCM needs at least 1 channel".into(),
            });
        }
        let (layout, scale) = format.layout();
        let frame = usize::from(channels) * layout.bytes();
        Ok(RawPcm {
            reader,
            name,
            layout,
            scale,
            channels: usize::from(channels),
            bytes: vec![0; block.max(1) * frame],
            pending: 0,
            frames_read: 0,
        })
    }

    /// Frames delivered so far.
    pub fn frames_read(&self) -> u64 {
        self.frames_read
    }

    /// Waits for the next data and writes the mono samples of the whole frames received into
    /// `block` (at most `block.len()` and at most the `block` given to [`new`](Self::new));
    /// returns how many, 0 at the end of input. Input that ends inside a frame is an error
    /// naming the source and the bytes left over (the frames before it were delivered).
    pub fn read(&mut self, block: &mut [f32]) -> Result<usize, IoError> {
        let frame = self.channels * self.layout.bytes();
        let cap = (self.bytes.len() / frame).min(block.len()) * frame;
        if cap == 0 {
            return Ok(0);
        }
        loop {
            let got = loop {
                match self.reader.read(&mut self.bytes[self.pending..cap]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        return Err(IoError::Io {
                            path: self.name.clone(),
                            source: std::io::Error::new(
                                e.kind(),
                                format!("reading PCM at frame {}: {e}", self.frames_read),
                            ),
                        })
                    }
                }
            };
            if got == 0 {
                if self.pending > 0 {
                    let left = self.pending;
                    self.pending = 0;
                    return Err(IoError::Wav {
                        path: self.name.clone(),
                        message: format!(
                            "input ends inside a frame after frame {}: {left} of {frame} bytes \
                             (wrong --channels or --raw?)",
                            self.frames_read
                        ),
                    });
                }
                return Ok(0);
            }
            self.pending += got;
            let frames = self.pending / frame;
            if frames == 0 {
                continue;
            }
            let used = frames * frame;
            convert(
                self.layout,
                self.scale,
                self.channels,
                &self.bytes[..used],
                &mut block[..frames],
            );
            self.bytes.copy_within(used..self.pending, 0);
            self.pending -= used;
            self.frames_read += frames as u64;
            return Ok(frames);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out its data in fixed, awkward pieces (split frames).
    struct Dribble<'a> {
        data: &'a [u8],
        piece: usize,
    }

    impl Read for Dribble<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.piece.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn any_read_pieces_give_the_same_samples() {
        let vals: Vec<f32> = (0..300).map(|i| (i as f32 * 0.37).sin() * 0.9).collect();
        let bytes: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        for piece in [1, 3, 7, 8, 64, 5000] {
            let r = Dribble {
                data: &bytes,
                piece,
            };
            let mut pcm = RawPcm::new(r, RawFormat::F32le, 2, 37, "-").unwrap();
            let mut out = Vec::new();
            let mut block = [0f32; 50];
            loop {
                let n = pcm.read(&mut block).unwrap();
                if n == 0 {
                    break;
                }
                assert!(n <= 37);
                out.extend_from_slice(&block[..n]);
            }
            let want: Vec<f32> = vals.chunks(2).map(|c| (c[0] + c[1]) / 2.0).collect();
            assert_eq!(out, want, "piece {piece}");
            assert_eq!(pcm.frames_read(), 150);
        }
    }

    #[test]
    fn a_partial_frame_at_the_end_is_an_error_naming_the_source() {
        let bytes = [0u8, 0, 0, 64, 1];
        let mut pcm = RawPcm::new(&bytes[..], RawFormat::S16le, 2, 16, "-").unwrap();
        let mut block = [0f32; 16];
        assert_eq!(pcm.read(&mut block).unwrap(), 1);
        assert_eq!(block[0], 0.25);
        let e = pcm.read(&mut block).unwrap_err().to_string();
        assert!(
            e.starts_with("-: input ends inside a frame after frame 1: 1 of 4"),
            "{e}"
        );
        assert!(RawPcm::new(&bytes[..], RawFormat::S16le, 0, 16, "-").is_err());
    }
}
