//! `autotrigger audit verify LOG`: checks a hash-chained audit log.

use autotrigger::trigger::audit::verify_with_head;
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
    /// Verify the chain: report the first record that was altered, removed, inserted or
    /// reordered (line and what is wrong) and exit 1; exit 0 when intact.
    Verify {
        /// The audit log (JSONL written by `autotrigger run --audit-log`).
        log: PathBuf,
        /// The expected hash of the last record (an anchor kept elsewhere): also detects
        /// records cut off at the end.
        #[arg(long)]
        head: Option<String>,
    },
}

/// Runs the command.
pub fn run(args: AuditArgs) -> ExitCode {
    match args.command {
        AuditCommand::Verify { log, head } => {
            let text = match std::fs::read_to_string(&log) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("autotrigger audit verify: {}: {e}", log.display());
                    return ExitCode::from(2);
                }
            };
            match verify_with_head(&text, head.as_deref()) {
                Ok(r) => {
                    println!(
                        "{}: OK, {} records, head {}",
                        log.display(),
                        r.records,
                        r.head
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    println!("{}:{}: {}", log.display(), e.line, e.problem);
                    ExitCode::FAILURE
                }
            }
        }
    }
}
