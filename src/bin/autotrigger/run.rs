//! `autotrigger run`: one incident through the trigger engine, decisions printed, audit log
//! written.

use autotrigger::io::{read_audio_track, read_imu_csv_with_pressure, Audio};
use autotrigger::trigger::audit::{hash_file, signing_key_from_hex, AuditLog, MediaSegment};
use autotrigger::trigger::inputs_file::read_inputs;
use autotrigger::trigger::{Decision, Engine, Policy};
use autotrigger::Timestamp;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// The engine is fed in steps of at most this much stream time, audio and IMU interleaved, so
/// that decisions come out in time order (inputs split steps at their own times).
const STEP_US: i64 = 10_000;

/// Sample rate given to the engine when there is no audio file (no audio is pushed).
const NO_AUDIO_RATE: u32 = 16_000;

/// Output format.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// An aligned table for people.
    Table,
    /// One JSON object a line.
    Jsonl,
}

/// Arguments of `autotrigger run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Audio of the incident (WAV, or MP4/MOV/M4A with AAC, MP3, FLAC, Ogg Vorbis).
    #[arg(long)]
    audio: Option<PathBuf>,
    /// Audio track of video and multi-track files, numbered from 0 among the audio tracks.
    #[arg(long, value_name = "N")]
    track: Option<usize>,
    /// IMU samples of the incident (CSV `t_s,ax,ay,az[,gx,gy,gz][,p_hpa]`; the optional
    /// barometer column goes to the engine as its own stream).
    #[arg(long)]
    imu: Option<PathBuf>,
    /// External inputs (CSV `t_s,input,value`, e.g. `12.5,holster,drawn`).
    #[arg(long)]
    inputs: Option<PathBuf>,
    /// Agency policy (TOML); defaults when absent.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Write the hash-chained audit log (JSONL) here.
    #[arg(long)]
    audit_log: Option<PathBuf>,
    /// Sign the audit log with this device key (64 hex digits, `device.key` from
    /// `autotrigger keygen`): a signed header, signed checkpoints (policy
    /// `audit_checkpoint_records` / `audit_checkpoint_s`) and a signed seal at the end.
    #[arg(long, requires = "audit_log")]
    signing_key: Option<PathBuf>,
    /// The device name written into a signed log's header.
    #[arg(long, default_value = "autotrigger-cli", requires = "signing_key")]
    device_id: String,
    /// A recorded media segment to bind to the log (repeatable): its file name (relative to
    /// the directory `audit verify --media` will check, i.e. the file's name), length and
    /// SHA-256 are logged under the current recording at the end of the run, before the seal.
    #[arg(long, requires = "signing_key")]
    segment: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("autotrigger run: {msg}");
    ExitCode::from(2)
}

/// Runs the command.
pub fn run(args: RunArgs) -> ExitCode {
    if args.audio.is_none() && args.imu.is_none() && args.inputs.is_none() {
        return fail("give at least one of --audio, --imu, --inputs");
    }
    let policy = match &args.policy {
        None => Policy::default(),
        Some(p) => match std::fs::read_to_string(p) {
            Err(e) => return fail(format!("{}: {e}", p.display())),
            Ok(text) => match Policy::from_toml_str(&text) {
                Ok(p) => p,
                Err(e) => return fail(format!("{}: {e}", p.display())),
            },
        },
    };
    let audio = match args
        .audio
        .as_deref()
        .map(|p| read_audio_track(p, args.track))
        .transpose()
    {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let (imu, pressure) = match args
        .imu
        .as_deref()
        .map(read_imu_csv_with_pressure)
        .transpose()
    {
        Ok(v) => {
            let r = v.unwrap_or_default();
            (r.samples, r.pressure)
        }
        Err(e) => return fail(e),
    };
    let inputs = match args.inputs.as_deref().map(read_inputs).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(e) => return fail(e),
    };
    let rate = audio.as_ref().map_or(NO_AUDIO_RATE, |a| a.sample_rate);
    let mut engine = match Engine::new(&policy, rate) {
        Ok(e) => e,
        Err(e) => return fail(format!("policy: {e}")),
    };
    let mut audit_text = String::new();
    let mut log = match &args.signing_key {
        None => AuditLog::new(&policy),
        Some(p) => {
            let key = match std::fs::read_to_string(p) {
                Err(e) => return fail(format!("{}: {e}", p.display())),
                Ok(t) => match signing_key_from_hex(&t) {
                    Some(k) => k,
                    None => {
                        return fail(format!(
                            "{}: not an Ed25519 secret key (64 hex digits)",
                            p.display()
                        ))
                    }
                },
            };
            AuditLog::signed(
                &policy,
                key,
                &args.device_id,
                Timestamp::ZERO,
                &mut audit_text,
            )
        }
    };
    let mut segments = Vec::new();
    for p in &args.segment {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        let seg = hash_file(p)
            .map_err(|e| e.to_string())
            .and_then(|(n, sha)| {
                let sha = autotrigger::trigger::audit::from_hex::<32>(&sha).unwrap_or([0; 32]);
                MediaSegment::new(name.as_deref().unwrap_or(""), n, sha).map_err(|e| e.to_string())
            });
        match seg {
            Ok(s) => segments.push(s),
            Err(e) => return fail(format!("{}: {e}", p.display())),
        }
    }
    let mut out = std::io::stdout().lock();
    if matches!(args.format, Format::Table) {
        let _ = writeln!(
            out,
            "{:>10}  {:<20} {:<16} {:<14} {:>10}  {:>5}  evidence",
            "t_s", "decision", "cause", "state", "keep_from", "conf"
        );
    }
    let format = args.format;
    let emit = |engine: &mut Engine,
                log: &mut AuditLog,
                audit_text: &mut String,
                out: &mut dyn Write| {
        while let Some(d) = engine.poll_decision() {
            // Written before the seal: cannot fail.
            let _ = log.write_decision(&d, audit_text);
            let _ = match format {
                Format::Jsonl => writeln!(out, "{}", serde_json::to_string(&d).unwrap_or_default()),
                Format::Table => writeln!(out, "{}", table_row(&d)),
            };
        }
    };
    let warn = |r: Result<(), autotrigger::trigger::EngineError>| {
        if let Err(e) = r {
            eprintln!("autotrigger run: warning: {e}");
        }
    };

    let end = [
        audio.as_ref().map_or(0, Audio::duration_us),
        imu.last().map_or(0, |s| s.t.as_micros() + 1),
        inputs.last().map_or(0, |i| i.0.as_micros() + 1),
    ]
    .into_iter()
    .max()
    .unwrap_or(0);
    let (mut a_pos, mut i_pos, mut in_pos, mut p_pos) = (0usize, 0usize, 0usize, 0usize);
    let mut t = 0i64;
    while t < end || in_pos < inputs.len() {
        let mut stop = (t + STEP_US).min(end.max(t + 1));
        if let Some(&(ti, _)) = inputs.get(in_pos) {
            stop = stop.min(ti.as_micros().max(t));
        }
        if let Some(a) = &audio {
            let upto = (Timestamp(stop).to_samples(a.sample_rate) as usize).min(a.samples.len());
            if upto > a_pos {
                warn(engine.push_audio_f32(&a.samples[a_pos..upto]));
                a_pos = upto;
            }
        }
        // The barometer (the IMU CSV's `p_hpa` column) before the IMU of the same span.
        let p_end = p_pos + pressure[p_pos..].partition_point(|s| s.t.as_micros() < stop);
        if p_end > p_pos {
            warn(engine.push_pressure(&pressure[p_pos..p_end]));
            p_pos = p_end;
        }
        let i_end = i_pos + imu[i_pos..].partition_point(|s| s.t.as_micros() < stop);
        if i_end > i_pos {
            warn(engine.push_imu(&imu[i_pos..i_end]));
            i_pos = i_end;
        }
        while let Some(&(ti, input)) = inputs.get(in_pos) {
            if ti.as_micros() > stop {
                break;
            }
            warn(engine.push_input(ti, input));
            in_pos += 1;
        }
        emit(&mut engine, &mut log, &mut audit_text, &mut out);
        log.tick(Timestamp(stop), &mut audit_text);
        t = stop;
    }
    if let Some(a) = &audio {
        if a_pos < a.samples.len() {
            warn(engine.push_audio_f32(&a.samples[a_pos..]));
        }
    }
    if i_pos < imu.len() {
        warn(engine.push_imu(&imu[i_pos..]));
    }
    warn(engine.finish());
    emit(&mut engine, &mut log, &mut audit_text, &mut out);
    drop(out);
    // A clean end: the media segments, then the seal (signed logs only).
    let end_t = Timestamp(end).max(engine.clock());
    for s in &segments {
        let _ = log.write_media(s, end_t, &mut audit_text);
    }
    if log.is_signed() {
        let _ = log.seal(end_t, &mut audit_text);
    }

    if let Some(p) = &args.audit_log {
        if let Err(e) = std::fs::write(p, &audit_text) {
            return fail(format!("{}: {e}", p.display()));
        }
        eprintln!(
            "audit log: {} ({} records, head {}, policy {}{})",
            p.display(),
            log.len(),
            log.head(),
            log.policy_hash(),
            log.key_hex().map_or(", UNSIGNED".to_string(), |k| format!(
                ", signed and sealed by key {k}"
            ))
        );
    }
    ExitCode::SUCCESS
}

fn table_row(d: &Decision) -> String {
    let mut ev = String::new();
    for it in d.evidence.items() {
        if !ev.is_empty() {
            ev.push(' ');
        }
        match it.threshold {
            Some(th) => ev.push_str(&format!("{}={:.3}(thr {:.3})", it.name, it.value, th)),
            None => ev.push_str(&format!("{}={:.3}", it.name, it.value)),
        }
    }
    format!(
        "{:>10.3}  {:<20} {:<16} {:<14} {:>10.3}  {:>5.2}  {}",
        d.at.as_secs_f64(),
        d.kind.as_str(),
        d.cause.map_or("-", |c| c.as_str()),
        d.state.as_str(),
        d.keep_from.as_secs_f64(),
        d.confidence,
        ev
    )
}
