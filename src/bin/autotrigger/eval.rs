//! `autotrigger eval`: run the detectors over a corpus and score them against the labels.
use autotrigger::eval::corpus::{self, RunOptions};
use autotrigger::eval::metrics::Collars;
use autotrigger::eval::report;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `autotrigger eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Recordings (audio: .wav .mp4 .m4a .mov .mp3 .flac .ogg; IMU .csv, SisFall .txt, with NAME.labels.csv side-cars), folders, or
    /// dev-set MANIFEST.csv files.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Detector configuration (TOML); defaults otherwise.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Matching collar around each reference onset, seconds.
    #[arg(long, default_value_t = 0.5)]
    pub collar: f64,
    /// A collar for one kind, `KIND=SECONDS` (for example `running=3`); repeatable.
    #[arg(long = "collar-for", value_name = "KIND=SECONDS")]
    pub collar_for: Vec<String>,
    /// Write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write a self-contained HTML report (index.html with inline SVG plots) into this folder.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

/// Loads `--config` (or the defaults).
pub fn load_config(path: Option<&PathBuf>) -> Result<autotrigger::Config, String> {
    match path {
        None => Ok(autotrigger::Config::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            autotrigger::Config::from_toml_str(&text).map_err(|e| format!("{}: {e}", p.display()))
        }
    }
}

/// Checks a collar given in seconds and converts it to microseconds.
pub fn collar_us(secs: f64) -> Result<i64, String> {
    if secs.is_finite() && (0.0..=60.0).contains(&secs) {
        Ok(autotrigger::time::secs_to_micros(secs))
    } else {
        Err(format!(
            "--collar {secs} is out of range: expected 0 ..= 60 s"
        ))
    }
}

/// `--collar` and `--collar-for KIND=SECONDS` as collars.
pub fn collars(default_s: f64, per_kind: &[String]) -> Result<Collars, String> {
    let mut c = Collars::uniform(collar_us(default_s)?);
    for spec in per_kind {
        let (k, v) = spec
            .split_once('=')
            .ok_or_else(|| format!("--collar-for {spec:?}: expected KIND=SECONDS"))?;
        let kind = autotrigger::EventKind::parse(k.trim())
            .ok_or_else(|| format!("--collar-for {spec:?}: unknown kind {:?}", k.trim()))?;
        let secs: f64 = v
            .trim()
            .parse()
            .map_err(|_| format!("--collar-for {spec:?}: {:?} is not a number", v.trim()))?;
        c.per_kind.insert(
            autotrigger::eval::metrics::scored_kind(kind).to_string(),
            collar_us(secs)?,
        );
    }
    Ok(c)
}

/// A progress bar on a terminal, nothing otherwise.
pub fn progress(n: usize, what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new(n as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta} left)")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    Some(pb)
}

/// Runs `autotrigger eval`.
pub fn run(args: EvalArgs) -> ExitCode {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("autotrigger: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: EvalArgs) -> Result<ExitCode, String> {
    let config = load_config(args.config.as_ref())?;
    let collar = collars(args.collar, &args.collar_for)?;
    let recs = corpus::collect(&args.inputs).map_err(|e| e.to_string())?;
    if recs.is_empty() {
        return Err("no recordings found in the inputs".into());
    }
    let opts = RunOptions {
        config,
        trace_points: args.report.as_ref().map(|_| report::TRACE_POINTS),
        ..RunOptions::default()
    };
    let pb = progress(recs.len(), "eval");
    let results = corpus::run(&recs, &opts, &|| {
        if let Some(p) = &pb {
            p.inc(1);
        }
    });
    if let Some(p) = pb {
        p.finish_and_clear();
    }
    let rep = corpus::evaluate(&results, collar);
    print!("{}", rep.to_text());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&rep).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(dir) = &args.report {
        let html = report::eval_html(&rep, &results, &opts.config);
        report::write_report(dir, &html).map_err(|e| format!("{}: {e}", dir.display()))?;
        eprintln!("report: {}", dir.join("index.html").display());
    }
    Ok(if rep.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
