//! Compressed audio and the audio of video files, decoded with symphonia (pure Rust):
//! MP4/M4A/MOV (AAC), MP3, FLAC, Ogg Vorbis. Only with the `media` feature.

use super::IoError;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{Decoder, DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// File name extensions read through symphonia (lower case).
pub const MEDIA_EXTENSIONS: &[&str] = &["mp4", "m4a", "m4v", "mov", "mp3", "flac", "ogg", "oga"];

/// A compressed audio or video file decoded packet by packet: mono `f32` samples (the mean of
/// the channels, as for WAV) at the file's own sample rate, without loading the file.
///
/// Encoder delay is removed so that times match the uncompressed source: MP3 through its LAME
/// tag (symphonia's gapless mode), MP4/MOV through the track's edit list (`elst`), Ogg Vorbis
/// through its granule positions. A packet that fails to decode, or a stream that ends before
/// the duration its container declares, is an error naming the file and the time reached.
pub struct MediaStream {
    path: PathBuf,
    format: Box<dyn FormatReader>,
    decoder: Box<dyn Decoder>,
    track_id: u32,
    sample_rate: u32,
    channels: usize,
    /// Frames the container declares (after trimming), when it does.
    n_frames: Option<u64>,
    /// Leading decoded frames still to drop (MP4 edit list).
    skip: u64,
    /// The timestamp the next packet of the track must carry (a jump means lost data).
    next_ts: Option<u64>,
    /// Ogg: the last page must carry the end-of-stream flag, else the file was cut.
    ogg: bool,
    /// Frames decoded and kept (delivered or waiting in `mono`).
    decoded: u64,
    frames_read: u64,
    /// Reused conversion buffer (grown only when a packet is larger than any before).
    interleaved: Option<SampleBuffer<f32>>,
    /// Mono samples of the last packet, `pos` of them delivered.
    mono: Vec<f32>,
    pos: usize,
    done: bool,
}

impl std::fmt::Debug for MediaStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStream")
            .field("path", &self.path)
            .field("track_id", &self.track_id)
            .field("sample_rate", &self.sample_rate)
            .field("channels", &self.channels)
            .field("frames_read", &self.frames_read)
            .finish()
    }
}

fn media_err(path: &Path, message: impl Into<String>) -> IoError {
    IoError::Media {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

impl MediaStream {
    /// Opens `path` and its audio track number `track` (0 = the first audio track; tracks
    /// without audio, such as video, are not counted), and decodes up to the first audio.
    pub fn open(path: &Path, track: usize) -> Result<Self, IoError> {
        let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
        let mss = MediaSourceStream::new(Box::new(file), Default::default());
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let mut hint = Hint::new();
        hint.with_extension(&ext);
        let opts = FormatOptions {
            enable_gapless: true,
            ..FormatOptions::default()
        };
        let probed = symphonia::default::get_probe()
            .format(&hint, mss, &opts, &MetadataOptions::default())
            .map_err(|e| {
                media_err(
                    path,
                    match e {
                        SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                            "ends before its header or index is complete (truncated?): no audio \
                             reached (0.000 s)"
                                .to_string()
                        }
                        e => format!("not a readable audio or video file: {e}"),
                    },
                )
            })?;
        let format = probed.format;
        let audio: Vec<_> = format
            .tracks()
            .iter()
            .filter(|t| t.codec_params.codec != CODEC_TYPE_NULL)
            .collect();
        let all = format.tracks().len();
        let Some(t) = audio.get(track) else {
            return Err(media_err(
                path,
                match audio.len() {
                    0 if all > 0 => format!(
                        "no audio track ({all} track{} without sound: a video with no audio?)",
                        if all == 1 { "" } else { "s" }
                    ),
                    0 => "no audio track".to_string(),
                    n => format!("no audio track {track}: the file has {n} (numbered from 0)"),
                },
            ));
        };
        let params = t.codec_params.clone();
        let track_id = t.id;
        let decoder = symphonia::default::get_codecs()
            .make(&params, &DecoderOptions::default())
            .map_err(|e| media_err(path, format!("audio track {track}: {e}")))?;
        // MP4/MOV: symphonia 0.5 does not apply edit lists, so the AAC encoder's priming
        // samples would shift every time by ~1024 samples; drop them here.
        let skip = match ext.as_str() {
            "mp4" | "m4a" | "m4v" | "mov" => mp4_media_start(path, track_id as usize)
                .ok()
                .flatten()
                .map_or(0, |(start, timescale)| {
                    let rate = u64::from(params.sample_rate.unwrap_or(timescale));
                    start * rate / u64::from(timescale.max(1))
                }),
            _ => 0,
        };
        let n_frames = params.n_frames.map(|n| n.saturating_sub(skip));
        let mut s = MediaStream {
            path: path.to_path_buf(),
            format,
            decoder,
            track_id,
            sample_rate: params.sample_rate.unwrap_or(0),
            channels: params.channels.map_or(0, |c| c.count()),
            n_frames,
            skip,
            next_ts: None,
            ogg: matches!(ext.as_str(), "ogg" | "oga"),
            decoded: 0,
            frames_read: 0,
            interleaved: None,
            mono: Vec::new(),
            pos: 0,
            done: false,
        };
        // Decode until the first audio so that the rate and channel count are those of the
        // decoded signal (some containers leave them unset).
        while s.mono.is_empty() && !s.done {
            s.next_packet()?;
        }
        if s.sample_rate == 0 {
            return Err(media_err(path, "the audio track declares no sample rate"));
        }
        Ok(s)
    }

    /// Samples per second of the decoded audio.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Channels of the decoded audio (the output is their mean).
    pub fn channels(&self) -> u16 {
        self.channels as u16
    }

    /// Frames the container declares, if it does (MP4, FLAC, MP3 with a Xing/LAME header, Ogg).
    pub fn len_frames(&self) -> Option<u64> {
        self.n_frames
    }

    /// Frames delivered so far.
    pub fn frames_read(&self) -> u64 {
        self.frames_read
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn at(&self) -> String {
        format!(
            "{:.3} s",
            self.decoded as f64 / f64::from(self.sample_rate.max(1))
        )
    }

    /// Decodes the next packet of the track into `mono` (empty when the packet held no audio);
    /// sets `done` at the end of the stream.
    fn next_packet(&mut self) -> Result<(), IoError> {
        self.mono.clear();
        self.pos = 0;
        let packet = loop {
            match self.format.next_packet() {
                Ok(p) if p.track_id() == self.track_id => break p,
                Ok(_) => {}
                Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    self.done = true;
                    return self.check_length();
                }
                Err(e) => {
                    self.done = true;
                    return Err(media_err(
                        &self.path,
                        format!("unreadable after {}: {e}", self.at()),
                    ));
                }
            }
        };
        // Demuxers that resynchronise after damage (FLAC, Ogg) skip the lost data silently;
        // the packet timestamps show the gap, which would otherwise shift every later time.
        if let Some(want) = self.next_ts {
            if packet.ts() != want {
                self.done = true;
                return Err(media_err(
                    &self.path,
                    format!(
                        "corrupt audio after {}: packet timestamp {} where {want} was due \
                         (data lost or damaged)",
                        self.at(),
                        packet.ts()
                    ),
                ));
            }
        }
        self.next_ts = Some(packet.ts() + packet.dur());
        let decoded = match self.decoder.decode(&packet) {
            Ok(d) => d,
            Err(e) => {
                self.done = true;
                return Err(media_err(
                    &self.path,
                    format!("corrupt audio after {}: {e}", self.at()),
                ));
            }
        };
        let spec = *decoded.spec();
        let frames = decoded.frames();
        if frames == 0 {
            return Ok(());
        }
        let channels = spec.channels.count();
        if self.sample_rate == 0 {
            self.sample_rate = spec.rate;
        }
        if self.channels == 0 {
            self.channels = channels;
        }
        if spec.rate != self.sample_rate || channels != self.channels {
            self.done = true;
            return Err(media_err(
                &self.path,
                format!(
                    "the audio changes format after {} ({} Hz, {} channels, then {} Hz, {channels} channels)",
                    self.at(),
                    self.sample_rate,
                    self.channels,
                    spec.rate
                ),
            ));
        }
        let need = frames * channels;
        if self
            .interleaved
            .as_ref()
            .is_none_or(|b| b.capacity() < need)
        {
            self.interleaved = Some(SampleBuffer::new(decoded.capacity() as u64, spec));
        }
        let buf = self.interleaved.as_mut().expect("allocated above");
        buf.copy_interleaved_ref(decoded);
        let drop = (self.skip.min(frames as u64)) as usize;
        self.skip -= drop as u64;
        let samples = &buf.samples()[drop * channels..need];
        if channels == 1 {
            self.mono.extend_from_slice(samples);
        } else {
            // As the WAV path: channels summed in order from `Iterator::sum`'s own start,
            // divided by the count.
            let zero: f32 = core::iter::empty::<f32>().sum();
            let n = channels as f32;
            self.mono.extend(samples.chunks_exact(channels).map(|f| {
                let mut acc = zero;
                for &x in f {
                    acc += x;
                }
                acc / n
            }));
        }
        self.decoded += self.mono.len() as u64;
        Ok(())
    }

    /// At the end of the stream: shorter than the container declares means truncated. Lossy
    /// codecs end on a packet boundary, so up to one packet short is tolerated.
    fn check_length(&self) -> Result<(), IoError> {
        if self.ogg && !ogg_ends_with_eos(&self.path).unwrap_or(false) {
            return Err(media_err(
                &self.path,
                format!(
                    "audio ends after {} without the stream's final page (truncated?)",
                    self.at()
                ),
            ));
        }
        let Some(n) = self.n_frames else {
            return Ok(());
        };
        let slack = 4096;
        if self.decoded + slack < n {
            return Err(media_err(
                &self.path,
                format!(
                    "audio ends after {} of the {:.3} s the file declares (truncated?)",
                    self.at(),
                    n as f64 / f64::from(self.sample_rate.max(1))
                ),
            ));
        }
        Ok(())
    }

    /// Fills `block` with the next mono samples and returns how many: `block.len()` except at
    /// the end (0 once the stream is exhausted).
    pub fn fill(&mut self, block: &mut [f32]) -> Result<usize, IoError> {
        let mut n = 0;
        while n < block.len() {
            if self.pos < self.mono.len() {
                let k = (self.mono.len() - self.pos).min(block.len() - n);
                block[n..n + k].copy_from_slice(&self.mono[self.pos..self.pos + k]);
                self.pos += k;
                n += k;
            } else if self.done {
                break;
            } else {
                self.next_packet()?;
            }
        }
        self.frames_read += n as u64;
        Ok(n)
    }
}

/// Whether the last Ogg page of the file carries the end-of-stream flag (header type bit 2).
/// Reads only the file's last 64 KiB (an Ogg page is at most 65 307 bytes).
fn ogg_ends_with_eos(path: &Path) -> std::io::Result<bool> {
    let mut f = std::fs::File::open(path)?;
    let len = f.seek(SeekFrom::End(0))?;
    let from = len.saturating_sub(65_536);
    f.seek(SeekFrom::Start(from))?;
    let mut tail = Vec::with_capacity((len - from) as usize);
    f.read_to_end(&mut tail)?;
    let Some(at) = tail.windows(4).rposition(|w| w == b"OggS") else {
        return Ok(false);
    };
    // Capture pattern (4), version (1), header type (1), granule (8), serial (4), sequence
    // (4), CRC (4), segment count (1), segment table, then the data: the page must be whole.
    let page = &tail[at..];
    if page.len() < 27 {
        return Ok(false);
    }
    let segments = usize::from(page[26]);
    let Some(table) = page.get(27..27 + segments) else {
        return Ok(false);
    };
    let body: usize = table.iter().map(|&b| usize::from(b)).sum();
    Ok(page[5] & 0x04 != 0 && page.len() >= 27 + segments + body)
}

/// One ISO BMFF box header: type, payload start and end (absolute offsets).
fn next_box<R: Read + Seek>(r: &mut R, at: u64, end: u64) -> Option<([u8; 4], u64, u64)> {
    if at + 8 > end {
        return None;
    }
    r.seek(SeekFrom::Start(at)).ok()?;
    let mut h = [0u8; 8];
    r.read_exact(&mut h).ok()?;
    let size = u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
    let kind = [h[4], h[5], h[6], h[7]];
    let (start, total) = match size {
        0 => (at + 8, end - at),
        1 => {
            let mut l = [0u8; 8];
            r.read_exact(&mut l).ok()?;
            (at + 16, u64::from_be_bytes(l))
        }
        s => (at + 8, s),
    };
    let stop = at.checked_add(total)?;
    (total >= start - at && stop <= end).then_some((kind, start, stop))
}

fn find_box<R: Read + Seek>(r: &mut R, from: u64, end: u64, want: &[u8; 4]) -> Option<(u64, u64)> {
    let mut at = from;
    while let Some((kind, start, stop)) = next_box(r, at, end) {
        if &kind == want {
            return Some((start, stop));
        }
        at = stop;
    }
    None
}

/// The media time at which track `index` (in `trak` order, as symphonia numbers MP4 tracks)
/// starts presenting, per its edit list, and the media timescale: `None` without an edit list.
/// Only the box headers and the few small boxes needed are read.
fn mp4_media_start(path: &Path, index: usize) -> std::io::Result<Option<(u64, u32)>> {
    let mut f = std::io::BufReader::new(std::fs::File::open(path)?);
    let len = f.seek(SeekFrom::End(0))?;
    let Some((ms, me)) = find_box(&mut f, 0, len, b"moov") else {
        return Ok(None);
    };
    let mut at = ms;
    let mut n = 0;
    let trak = loop {
        let Some((kind, s, e)) = next_box(&mut f, at, me) else {
            return Ok(None);
        };
        if &kind == b"trak" {
            if n == index {
                break (s, e);
            }
            n += 1;
        }
        at = e;
    };
    let timescale = (|| {
        let (s, e) = find_box(&mut f, trak.0, trak.1, b"mdia")?;
        let (s, _) = find_box(&mut f, s, e, b"mdhd")?;
        f.seek(SeekFrom::Start(s)).ok()?;
        let mut v = [0u8; 1];
        f.read_exact(&mut v).ok()?;
        // version 0: flags(3) created(4) modified(4); version 1: flags(3) created(8) modified(8).
        let skip = if v[0] == 1 { 3 + 16 } else { 3 + 8 };
        f.seek(SeekFrom::Current(skip)).ok()?;
        let mut t = [0u8; 4];
        f.read_exact(&mut t).ok()?;
        Some(u32::from_be_bytes(t))
    })();
    let Some(timescale) = timescale else {
        return Ok(None);
    };
    let Some((es, ee)) = find_box(&mut f, trak.0, trak.1, b"edts") else {
        return Ok(None);
    };
    let Some((ls, _)) = find_box(&mut f, es, ee, b"elst") else {
        return Ok(None);
    };
    f.seek(SeekFrom::Start(ls))?;
    let mut head = [0u8; 8];
    f.read_exact(&mut head)?;
    let v1 = head[0] == 1;
    let count = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
    for _ in 0..count.min(64) {
        let media_time = if v1 {
            let mut e = [0u8; 20];
            f.read_exact(&mut e)?;
            i64::from_be_bytes(e[8..16].try_into().expect("8 bytes"))
        } else {
            let mut e = [0u8; 12];
            f.read_exact(&mut e)?;
            i64::from(i32::from_be_bytes(e[4..8].try_into().expect("4 bytes")))
        };
        // -1 is an empty edit (a pause before the media starts): look at the next one.
        if media_time >= 0 {
            return Ok(Some((media_time as u64, timescale)));
        }
    }
    Ok(None)
}
