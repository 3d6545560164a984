//! `autotrigger audit verify LOG [--pubkey FILE] [--media DIR] [--head HASH]`: checks an audit
//! log's chain, signatures, seal and media.

use autotrigger::trigger::audit::{
    check_media_dir, verify_log, verifying_key_from_hex, VerifyOptions,
};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `autotrigger audit`.
#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(clap::Subcommand, Debug)]
enum AuditCommand {
    /// Verify a log: report the first bad record (line and what is wrong) and exit with its
    /// status: 0 intact; 1 chain broken (altered, inserted, reordered, malformed); 2 usage or
    /// I/O error; 3 truncated or unsealed (power loss looks the same); 4 gap in sequence
    /// numbers; 5 bad or missing signature; 6 signed by another key; 7 record after the seal;
    /// 8 another device's log or spliced from one; 9 media files do not match; 10 unsigned log
    /// although --pubkey was given.
    Verify {
        /// The audit log (JSONL written by `autotrigger run --audit-log`).
        log: PathBuf,
        /// The device's public key (64 hex digits, `device.pub` from `autotrigger keygen`):
        /// the log must be signed by it.
        #[arg(long)]
        pubkey: Option<PathBuf>,
        /// The directory of the recorded media: every segment the log records must be there
        /// with its length and SHA-256, and no other file.
        #[arg(long)]
        media: Option<PathBuf>,
        /// The expected hash of the last record (an anchor kept elsewhere): also detects
        /// records cut off at the end of an unsigned log.
        #[arg(long)]
        head: Option<String>,
    },
}

/// Runs the command.
pub fn run(args: AuditArgs) -> ExitCode {
    match args.command {
        AuditCommand::Verify {
            log,
            pubkey,
            media,
            head,
        } => verify(&log, pubkey.as_deref(), media.as_deref(), head.as_deref()),
    }
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("autotrigger audit verify: {msg}");
    ExitCode::from(2)
}

fn verify(
    log: &std::path::Path,
    pubkey: Option<&std::path::Path>,
    media: Option<&std::path::Path>,
    head: Option<&str>,
) -> ExitCode {
    let text = match std::fs::read(log) {
        // Not UTF-8 is a malformed log, reported on its line by the verifier.
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => return usage(format!("{}: {e}", log.display())),
    };
    let key = match pubkey {
        None => None,
        Some(p) => match std::fs::read_to_string(p) {
            Err(e) => return usage(format!("{}: {e}", p.display())),
            Ok(t) => match verifying_key_from_hex(&t) {
                Some(k) => Some(k),
                None => {
                    return usage(format!(
                        "{}: not an Ed25519 public key (64 hex digits)",
                        p.display()
                    ))
                }
            },
        },
    };
    let opts = VerifyOptions {
        pubkey: key.as_ref(),
        head,
    };
    let report = match verify_log(&text, &opts) {
        Ok(r) => r,
        Err(e) => {
            println!("{}:{}: {}", log.display(), e.line, e.problem);
            return ExitCode::from(e.problem.exit_status());
        }
    };
    if let Some(dir) = media {
        match check_media_dir(&report, dir, &[log]) {
            Err(e) => return usage(format!("{}: {e}", dir.display())),
            Ok(problems) if !problems.is_empty() => {
                for p in &problems {
                    println!("{}: {p}", log.display());
                }
                return ExitCode::from(problems[0].exit_status());
            }
            Ok(_) => {}
        }
    }
    let media_note = match media {
        Some(d) => format!(
            ", {} media segment(s) match {}",
            report.media.len(),
            d.display()
        ),
        None if report.media.is_empty() => String::new(),
        None => format!(
            ", {} media segment(s) recorded (not checked: pass --media DIR)",
            report.media.len()
        ),
    };
    match &report.signed {
        Some(s) => println!(
            "{}: OK, signed and sealed, {} records, {} checkpoints, device {:?} key {}{}, seal at seq {} t = {:.3} s, head {}{}",
            log.display(),
            report.records,
            s.checkpoints,
            s.device_id,
            s.key,
            if s.key_trusted { "" } else { " (NOT checked against a trusted key: pass --pubkey)" },
            s.last_signed_seq,
            s.last_signed_t_us as f64 / 1e6,
            report.head,
            media_note
        ),
        None => println!(
            "{}: OK (UNSIGNED: a plain hash chain; it does not show who wrote it or that its end is complete{}), {} records, head {}{}",
            log.display(),
            if head.is_some() { " beyond the anchored head" } else { "" },
            report.records,
            report.head,
            media_note
        ),
    }
    ExitCode::SUCCESS
}
