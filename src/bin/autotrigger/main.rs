//! The `autotrigger` command line: a thin shell over the library.
use clap::{Parser, Subcommand};

mod eval;

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
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Config => {
            print!("{}", autotrigger::Config::default().to_toml_string());
            std::process::ExitCode::SUCCESS
        }
        Command::Eval(a) => eval::run(a),
    }
}
