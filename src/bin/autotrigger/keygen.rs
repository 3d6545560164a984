//! `autotrigger keygen --out DIR`: an Ed25519 key pair for tests and bench setups.
//!
//! A camera's real key lives in its secure element or is provisioned by the agency; this
//! command only makes a pair to try `run --signing-key` and `audit verify --pubkey` with.

use autotrigger::trigger::audit::{to_hex, SigningKey};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `autotrigger keygen`.
#[derive(clap::Args, Debug)]
pub struct KeygenArgs {
    /// Directory to write `device.key` (the secret seed, 64 hex digits, mode 0600) and
    /// `device.pub` (the public key, 64 hex digits) into; created if absent. Existing files are
    /// not overwritten.
    #[arg(long)]
    out: PathBuf,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("autotrigger keygen: {msg}");
    ExitCode::from(2)
}

/// Runs the command.
pub fn run(args: KeygenArgs) -> ExitCode {
    let mut seed = [0u8; 32];
    // The operating system's random source (getrandom): the only randomness in the crate.
    if let Err(e) = getrandom::fill(&mut seed) {
        return fail(format!("no random source: {e}"));
    }
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return fail(format!("{}: {e}", args.out.display()));
    }
    let secret = args.out.join("device.key");
    let public = args.out.join("device.pub");
    for p in [&secret, &public] {
        if p.exists() {
            return fail(format!("{} exists: not overwriting a key", p.display()));
        }
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = opts
        .open(&secret)
        .and_then(|mut f| writeln!(f, "{}", to_hex(key.as_bytes())));
    if let Err(e) = written {
        return fail(format!("{}: {e}", secret.display()));
    }
    let pub_hex = to_hex(key.verifying_key().as_bytes());
    if let Err(e) = std::fs::write(&public, format!("{pub_hex}\n")) {
        return fail(format!("{}: {e}", public.display()));
    }
    println!(
        "secret key: {} (keep it on the device)\npublic key: {} ({pub_hex})",
        secret.display(),
        public.display()
    );
    ExitCode::SUCCESS
}
