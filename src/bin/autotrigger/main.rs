//! The `autotrigger` command line: a thin shell over the library.
use clap::{Parser, Subcommand};

mod eval;
mod features;
mod sweep;

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
    /// Run the detectors over a corpus and score them against labels or a manifest.
    Eval(eval::EvalArgs),
    /// Sweep detector parameters over a corpus and pick an operating point.
    Sweep(sweep::SweepArgs),
    /// Export the gunshot detector's per-hop onset features of a WAV file.
    Features(features::FeaturesArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Config => {
            print!("{}", autotrigger::Config::default().to_toml_string());
            std::process::ExitCode::SUCCESS
        }
        Command::Eval(a) => eval::run(a),
        Command::Sweep(a) => sweep::run(a),
        Command::Features(a) => features::run(a),
    }
}
