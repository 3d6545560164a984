//! The `autotrigger` command line: a thin shell over the library.
//!
//! Each subcommand lives in its own module with an `Args` struct and a `run` function; adding
//! one is a variant and a dispatch line here.
use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod audit;
mod augment;
mod detect;
mod eval;
mod features;
mod keygen;
mod run;
mod sweep;
mod train;

/// Decide when a body-worn camera starts recording, and evaluate those decisions.
#[derive(Parser)]
#[command(name = "autotrigger", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the default configuration as TOML.
    Config,
    /// Run the detectors over recordings (WAV audio, IMU CSV, SisFall) and print the events.
    Detect(detect::DetectArgs),
    /// Run one incident (audio, IMU, external inputs) through the trigger engine.
    Run(run::RunArgs),
    /// Audit-log tools.
    Audit(audit::AuditArgs),
    /// Make an Ed25519 device key pair (for tests and bench setups) to sign audit logs with.
    Keygen(keygen::KeygenArgs),
    /// Run the detectors over a corpus and score them against labels or a manifest.
    Eval(eval::EvalArgs),
    /// Sweep detector parameters over a corpus and pick an operating point.
    Sweep(sweep::SweepArgs),
    /// Fit the gunshot detector's second stage (logistic model) on labelled recordings.
    Train(train::TrainArgs),
    /// Export feature matrices: gunshot onset features per hop (WAV), gait features (IMU).
    Features(features::FeaturesArgs),
    /// Mix gunshots into background recordings (EBR, distance, recorder rate) with labels.
    Augment(augment::AugmentArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Config => {
            print!("{}", autotrigger::Config::default().to_toml_string());
            ExitCode::SUCCESS
        }
        Command::Detect(args) => detect::run(args),
        Command::Run(a) => run::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Keygen(a) => keygen::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Sweep(a) => sweep::run(a),
        Command::Features(a) => features::run(a),
        Command::Train(a) => train::run(a),
        Command::Augment(a) => augment::run(a),
    }
}
