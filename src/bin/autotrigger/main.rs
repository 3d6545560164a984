//! The `autotrigger` command line: a thin shell over the library.
mod audit;
mod run;

use clap::{Parser, Subcommand};

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
    /// Run one incident (audio, IMU, external inputs) through the trigger engine.
    Run(run::RunArgs),
    /// Audit-log tools.
    Audit(audit::AuditArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Config => {
            print!("{}", autotrigger::Config::default().to_toml_string());
            std::process::ExitCode::SUCCESS
        }
        Command::Run(a) => run::run(a),
        Command::Audit(a) => audit::run(a),
    }
}
