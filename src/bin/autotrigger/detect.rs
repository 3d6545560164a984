//! `autotrigger detect FILE...`: run the detectors over recordings and print their events.
//!
//! Audio files (WAV, and MP4/MOV/M4A with AAC, MP3, FLAC, Ogg Vorbis) are streamed block by block through the gunshot detector (hours of audio never
//! sit in memory); IMU files (CSV, or SisFall raw text) go through all IMU detectors. A file
//! that cannot be read is reported on stderr as `autotrigger: FILE[:LINE]: message`, the other
//! files are still processed, and the exit status is non-zero at the end.
//!
//! `-` reads headerless PCM from standard input (`--raw s16le|f32le --rate R [--channels C]`)
//! as it arrives and writes each event the moment the detector decides it (one flushed line
//! each), so `arecord -f S16_LE -r 16000 | autotrigger detect - --raw s16le --rate 16000` is a
//! live demo. End of input ends the stream: pending candidates are decided and printed.

use autotrigger::audio::GunshotDetector;
use autotrigger::imu::ImuDetectors;
use autotrigger::io::{
    is_audio_path, read_fallalld, read_imu_csv_with_pressure, read_sisfall, AudioStream,
    ImuRecording, RawFormat, RawPcm, WavStream,
};
use autotrigger::{Config, Event, StreamingDetector};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// One JSON object a line: file, kind, onset_s, decided_s, confidence, evidence.
    Jsonl,
}

/// How to read non-WAV files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImuFormat {
    /// `t_s,ax,ay,az[,gx,gy,gz][,p_hpa]` with a header (m/s^2, rad/s; `p_hpa`: barometer in
    /// hPa on the rows where a pressure sample was taken, empty elsewhere).
    Csv,
    /// SisFall raw text (200 Hz ADC counts, 9 columns).
    Sisfall,
    /// FallAllD raw: `NAME_A.dat` (accelerometer) read with `NAME_G.dat` (gyro) and
    /// `NAME_B.dat` (10 Hz barometer); any of the three names the recording. Counts x 0.244 mg
    /// and x -70 mdps (gyro sign flipped), 238 Hz.
    Fallalld,
}

/// Sample encodings for raw PCM on standard input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RawArg {
    /// 16-bit signed little-endian integers.
    S16le,
    /// 32-bit little-endian floats (full scale 1.0).
    F32le,
}

/// Arguments of `autotrigger detect`.
#[derive(Args, Debug)]
pub struct DetectArgs {
    /// Recordings: audio (`.wav`, and `.mp4 .m4a .m4v .mov .mp3 .flac .ogg .oga`: AAC, MP3,
    /// FLAC, Vorbis), `.csv` (IMU CSV, optional `p_hpa` barometer column), `.txt` (SisFall),
    /// `.dat` (FallAllD `_A.dat`, read with its `_G.dat` and `_B.dat`). Side-cars
    /// (`*.labels.csv`, `*.inputs.csv`) are skipped, so globs like `dir/*.csv` work. `-` reads
    /// raw PCM audio from standard input (needs --raw and --rate).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Sample encoding of `-` (standard input): interleaved little-endian PCM.
    #[arg(long, value_enum, value_name = "ENCODING")]
    pub raw: Option<RawArg>,
    /// Sample rate of `-` in hertz.
    #[arg(long, value_name = "HZ", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate: Option<u32>,
    /// Audio track of video and multi-track files, numbered from 0 among the audio tracks.
    #[arg(long, value_name = "N")]
    pub track: Option<usize>,
    /// Interleaved channels of `-` (mixed to mono as for WAV files).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub channels: u16,
    /// Configuration (TOML, see `autotrigger config`); defaults when absent.
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// Output format (default: table, or jsonl when reading `-`).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Format of non-audio files (default: by extension, `.txt` = sisfall, `.dat` = fallalld,
    /// `.csv` = csv). The barometer (CSV `p_hpa`, FallAllD `_B.dat`) is used when present.
    #[arg(long, value_enum)]
    pub imu_format: Option<ImuFormat>,
    /// Samples per block fed to the detectors (results do not depend on it).
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    pub block: u32,
}

/// Where events go.
struct Sink<W: Write> {
    out: W,
    format: Format,
    file_width: usize,
    /// Flush after every event (live input: each line leaves the moment it is decided).
    flush_each: bool,
}

const KIND_WIDTH: usize = 22; // "officer_down_cancelled"
/// Evidence items shown per table row (the JSONL output has all of them).
const TABLE_EVIDENCE: usize = 4;

impl<W: Write> Sink<W> {
    fn header(&mut self) -> std::io::Result<()> {
        if self.format == Format::Table {
            writeln!(
                self.out,
                "{:<fw$}  {:<kw$}  {:>10}  {:>10}  {:>5}  evidence",
                "file",
                "kind",
                "onset_s",
                "decided_s",
                "conf",
                fw = self.file_width,
                kw = KIND_WIDTH
            )?;
        }
        Ok(())
    }

    /// Writes and removes every event in `events` (the detectors' output buffer, reused).
    fn drain(&mut self, file: &str, events: &mut Vec<Event>) -> std::io::Result<()> {
        for e in events.drain(..) {
            self.event(file, &e)?;
        }
        Ok(())
    }

    fn event(&mut self, file: &str, e: &Event) -> std::io::Result<()> {
        self.write_event(file, e)?;
        if self.flush_each {
            self.out.flush()?;
        }
        Ok(())
    }

    fn write_event(&mut self, file: &str, e: &Event) -> std::io::Result<()> {
        match self.format {
            Format::Jsonl => {
                // `Event` serializes as a JSON object; splice `file` in as its first key so the
                // documented key order holds without a map round trip.
                let ev = serde_json::to_string(e).map_err(std::io::Error::other)?;
                let name = serde_json::to_string(file).map_err(std::io::Error::other)?;
                writeln!(self.out, "{{\"file\":{name},{}", &ev[1..])
            }
            Format::Table => {
                let mut ev = String::new();
                let items = e.evidence.items();
                for it in items.iter().take(TABLE_EVIDENCE) {
                    if !ev.is_empty() {
                        ev.push_str("  ");
                    }
                    match it.threshold {
                        Some(t) => {
                            ev.push_str(&format!("{}={:.3} (thr {:.3})", it.name, it.value, t))
                        }
                        None => ev.push_str(&format!("{}={:.3}", it.name, it.value)),
                    }
                }
                if items.len() > TABLE_EVIDENCE {
                    ev.push_str(&format!("  (+{} more)", items.len() - TABLE_EVIDENCE));
                }
                writeln!(
                    self.out,
                    "{:<fw$}  {:<kw$}  {:>10.3}  {:>10.3}  {:>5.2}  {}",
                    file,
                    e.kind.as_str(),
                    e.onset.as_secs_f64(),
                    e.decided.as_secs_f64(),
                    e.confidence,
                    ev,
                    fw = self.file_width,
                    kw = KIND_WIDTH
                )
            }
        }
    }
}

/// A per-file failure, already phrased as `FILE[:LINE]: message`.
#[derive(Debug)]
enum FileError {
    /// The file could not be read or processed.
    Input(String),
    /// Writing to stdout failed (for example a closed pipe): stop everything.
    Output(std::io::Error),
}

impl From<autotrigger::io::IoError> for FileError {
    fn from(e: autotrigger::io::IoError) -> Self {
        FileError::Input(e.to_string())
    }
}

impl From<std::io::Error> for FileError {
    fn from(e: std::io::Error) -> Self {
        FileError::Output(e)
    }
}

fn detect_audio<W: Write>(
    path: &Path,
    name: &str,
    cfg: &Config,
    args: &DetectArgs,
    sink: &mut Sink<W>,
) -> Result<(), FileError> {
    let block = args.block as usize;
    let mut wav = AudioStream::open(path, args.track)?;
    let mut det = GunshotDetector::new(&cfg.gunshot_for_device(), wav.sample_rate())
        .map_err(|e| FileError::Input(format!("{name}: {e}")))?;
    let mut events: Vec<Event> = Vec::new();
    match &mut wav {
        // Mono 16-bit PCM (what cameras record) goes to the detector's 16-bit path as stored:
        // the same events as through `f32` (`x / 32768` is exact), without the conversion pass
        // and the non-finite check.
        AudioStream::Wav(w) if w.is_mono_i16() => {
            read_blocks(w, block, WavStream::fill_i16, |b| {
                det.process_i16(b, &mut events);
                Ok(sink.drain(name, &mut events)?)
            })?;
        }
        _ => {
            read_blocks(&mut wav, block, AudioStream::fill, |b| {
                // Never fails for audio (non-finite samples are counted, not rejected).
                det.process(b, &mut events)
                    .map_err(|e| FileError::Input(format!("{name}: {e}")))?;
                Ok(sink.drain(name, &mut events)?)
            })?;
        }
    }
    det.finish(&mut events);
    sink.drain(name, &mut events)?;
    let bad = det.non_finite_samples();
    if bad > 0 {
        eprintln!("autotrigger: {name}: warning: {bad} non-finite samples were replaced by 0");
    }
    Ok(())
}

/// Reads `stream` with `fill` into one buffer of `block` samples and gives each block to
/// `consume`, until the end of the stream or the first error of either.
///
/// (Reading on a second thread while this one analyses was measured and not kept: see
/// BENCHMARKS.md, issue 15 round 5.)
fn read_blocks<S, T: Copy + Default>(
    stream: &mut S,
    block: usize,
    fill: fn(&mut S, &mut [T]) -> Result<usize, autotrigger::io::IoError>,
    mut consume: impl FnMut(&[T]) -> Result<(), FileError>,
) -> Result<(), FileError> {
    let mut buf = vec![T::default(); block];
    loop {
        let n = fill(stream, &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        consume(&buf[..n])?;
    }
}

/// `-`: raw PCM from standard input, processed as it arrives.
fn detect_stdin<W: Write>(
    args: &DetectArgs,
    cfg: &Config,
    sink: &mut Sink<W>,
) -> Result<(), FileError> {
    let (Some(raw), Some(rate)) = (args.raw, args.rate) else {
        return Err(FileError::Input(
            "-: standard input is raw PCM: give --raw s16le|f32le and --rate HZ".into(),
        ));
    };
    let format = match raw {
        RawArg::S16le => RawFormat::S16le,
        RawArg::F32le => RawFormat::F32le,
    };
    let block = args.block as usize;
    let stdin = std::io::stdin();
    let mut pcm = RawPcm::new(stdin.lock(), format, args.channels, block, "-")?;
    let mut det = GunshotDetector::new(&cfg.gunshot_for_device(), rate)
        .map_err(|e| FileError::Input(format!("-: {e}")))?;
    let mut buf = vec![0f32; block];
    let mut events: Vec<Event> = Vec::new();
    let ended = loop {
        let n = match pcm.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            // Decide what was heard before the stream broke, then report it.
            Err(e) => break Err(FileError::from(e)),
        };
        det.process(&buf[..n], &mut events)
            .map_err(|e| FileError::Input(format!("-: {e}")))?;
        sink.drain("-", &mut events)?;
    };
    det.finish(&mut events);
    sink.drain("-", &mut events)?;
    let bad = det.non_finite_samples();
    if bad > 0 {
        eprintln!("autotrigger: -: warning: {bad} non-finite samples were replaced by 0");
    }
    ended
}

fn detect_imu<W: Write>(
    rec: &ImuRecording,
    name: &str,
    cfg: &Config,
    block: usize,
    sink: &mut Sink<W>,
) -> Result<(), FileError> {
    let mut det = ImuDetectors::new(cfg).map_err(|e| FileError::Input(format!("{name}: {e}")))?;
    let mut events: Vec<Event> = Vec::new();
    for (chunk, pressure) in rec.blocks(block) {
        det.process_with_pressure(chunk, pressure, &mut events)
            .map_err(|e| FileError::Input(format!("{name}: {e}")))?;
        sink.drain(name, &mut events)?;
    }
    det.finish(&mut events);
    sink.drain(name, &mut events)?;
    Ok(())
}

fn detect_file<W: Write>(
    path: &Path,
    args: &DetectArgs,
    cfg: &Config,
    sink: &mut Sink<W>,
) -> Result<(), FileError> {
    if path.as_os_str() == "-" {
        return detect_stdin(args, cfg, sink);
    }
    let name = path.display().to_string();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let block = args.block as usize;
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".labels.csv") || lower.ends_with(".inputs.csv") {
        // Side-cars sit next to recordings, so globs such as `fixtures/*.csv` pick them up;
        // they are not recordings and not errors.
        return Ok(());
    }
    if is_audio_path(path) {
        return detect_audio(path, &name, cfg, args, sink);
    }
    let format = match (args.imu_format, ext.as_str()) {
        (Some(f), _) => f,
        (None, "csv") => ImuFormat::Csv,
        (None, "txt") => ImuFormat::Sisfall,
        (None, "dat") => ImuFormat::Fallalld,
        (None, _) => {
            return Err(FileError::Input(format!(
                "{name}: unsupported file type (expected audio: .wav .mp4 .m4a .mov .mp3 .flac .ogg; IMU: .csv .txt .dat, or pass --imu-format)"
            )))
        }
    };
    let rec = match format {
        ImuFormat::Csv => read_imu_csv_with_pressure(path)?,
        ImuFormat::Sisfall => ImuRecording {
            samples: read_sisfall(path)?,
            pressure: Vec::new(),
        },
        ImuFormat::Fallalld => read_fallalld(path)?,
    };
    detect_imu(&rec, &name, cfg, block, sink)
}

fn load_config(path: Option<&Path>) -> Result<Config, String> {
    let Some(p) = path else {
        return Ok(Config::default());
    };
    let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    Config::from_toml_str(&text)
        .map_err(|e| format!("{}: {}", p.display(), one_line(&e.to_string())))
}

/// Folds a multi-line parser message (the TOML parser quotes the offending line with a
/// caret) into one line: the quoted source lines are dropped, the rest joined with `: `.
fn one_line(msg: &str) -> String {
    let is_quote = |l: &str| {
        let t = l.trim_start();
        t.is_empty() || t.starts_with('|') || {
            let digits = t.chars().take_while(char::is_ascii_digit).count();
            digits > 0 && t[digits..].trim_start().starts_with('|')
        }
    };
    msg.lines()
        .filter(|l| !is_quote(l))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(": ")
}

/// Runs `autotrigger detect`.
pub fn run(args: DetectArgs) -> ExitCode {
    let cfg = match load_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("autotrigger: {e}");
            return ExitCode::from(2);
        }
    };
    let live = args.files.iter().any(|f| f.as_os_str() == "-");
    if args.files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        eprintln!("autotrigger: `-` (standard input) can be given once");
        return ExitCode::from(2);
    }
    if !live && (args.raw.is_some() || args.rate.is_some()) {
        eprintln!("autotrigger: --raw and --rate describe `-` (standard input), which is not among the files");
        return ExitCode::from(2);
    }
    let stdout = std::io::stdout();
    let mut sink = Sink {
        out: std::io::BufWriter::new(stdout.lock()),
        flush_each: live,
        format: args
            .format
            .unwrap_or(if live { Format::Jsonl } else { Format::Table }),
        file_width: args
            .files
            .iter()
            .map(|f| f.display().to_string().chars().count())
            .max()
            .unwrap_or(4)
            .max(4),
    };
    let mut failed = 0usize;
    let result = sink.header().map_err(FileError::Output).and_then(|()| {
        for f in &args.files {
            match detect_file(f, &args, &cfg, &mut sink) {
                Ok(()) => {}
                Err(FileError::Input(msg)) => {
                    // Keep stdout and stderr in order when both go to a terminal.
                    sink.out.flush()?;
                    eprintln!("autotrigger: {msg}");
                    failed += 1;
                }
                Err(e @ FileError::Output(_)) => return Err(e),
            }
        }
        sink.out.flush()?;
        Ok(())
    });
    match result {
        Err(FileError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(FileError::Output(e)) => {
            eprintln!("autotrigger: cannot write output: {e}");
            ExitCode::FAILURE
        }
        Err(FileError::Input(msg)) => {
            eprintln!("autotrigger: {msg}");
            ExitCode::FAILURE
        }
        Ok(()) if failed > 0 => {
            eprintln!(
                "autotrigger: {failed} of {} files could not be processed",
                args.files.len()
            );
            ExitCode::FAILURE
        }
        Ok(()) => ExitCode::SUCCESS,
    }
}
