//! `autotrigger sweep`: a parameter grid over a corpus, operating points, and the best one under
//! a false-alarm budget written as a configuration.
use autotrigger::eval::corpus;
use autotrigger::eval::report;
use autotrigger::eval::sweep::{self, ParamRange, SweepOptions};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `autotrigger sweep`.
#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Recordings, folders or MANIFEST.csv files (as for `eval`).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// A swept parameter, `gunshot.NAME=LO..HI:N` (N values, LO and HI included) or
    /// `gunshot.NAME=V`; repeat for a grid.
    #[arg(long = "param", required = true, value_name = "SPEC")]
    pub params: Vec<String>,
    /// Base configuration (TOML) the swept values are applied to; defaults otherwise.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Matching collar around each reference onset, seconds.
    #[arg(long, default_value_t = 0.5)]
    pub collar: f64,
    /// A collar for one kind, `KIND=SECONDS`; repeatable.
    #[arg(long = "collar-for", value_name = "KIND=SECONDS")]
    pub collar_for: Vec<String>,
    /// The kind whose recall and false alarms define the operating points.
    #[arg(long, default_value = "gunshot")]
    pub kind: String,
    /// Pick the point with the best recall among those with at most this many false alarms
    /// per hour.
    #[arg(long)]
    pub max_fa_per_hour: Option<f64>,
    /// Pick the point with the best recall among those where at most this share (0..1) of
    /// negative clips trigger.
    #[arg(long)]
    pub max_false_trigger_share: Option<f64>,
    /// Write the chosen configuration (the base with the chosen values) as TOML here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write every operating point as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write an HTML report (index.html with the recall / false-alarm curves) into this folder.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Re-run the full detector at every grid point instead of reusing feature frames.
    #[arg(long)]
    pub no_reuse: bool,
}

/// Runs `autotrigger sweep`.
pub fn run(args: SweepArgs) -> ExitCode {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("autotrigger: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: SweepArgs) -> Result<ExitCode, String> {
    let base = crate::eval::load_config(args.config.as_ref())?;
    let collars = crate::eval::collars(args.collar, &args.collar_for)?;
    let ranges: Vec<ParamRange> = args
        .params
        .iter()
        .map(|p| p.parse::<ParamRange>().map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let grid = sweep::grid(&ranges);
    let recs = corpus::collect(&args.inputs).map_err(|e| e.to_string())?;
    if recs.is_empty() {
        return Err("no recordings found in the inputs".into());
    }
    let opts = SweepOptions {
        base: base.clone(),
        collars,
        kind: args.kind.clone(),
        reuse_features: !args.no_reuse,
    };
    let pb = crate::eval::progress(grid.len() * recs.len(), "sweep");
    let points = sweep::run_sweep(&recs, &grid, &opts, &|| {
        if let Some(p) = &pb {
            p.inc(1);
        }
    })
    .map_err(|e| e.to_string())?;
    if let Some(p) = pb {
        p.finish_and_clear();
    }
    let chosen = sweep::choose(&points, args.max_fa_per_hour, args.max_false_trigger_share);
    print!("{}", sweep::points_table(&points, chosen));
    match chosen {
        Some(i) => {
            let cfg = sweep::apply(&base, &points[i].params).map_err(|e| e.to_string())?;
            println!(
                "chosen: point {} ({})",
                i + 1,
                sweep::describe(&points[i].params)
            );
            if let Some(out) = &args.out {
                std::fs::write(out, cfg.to_toml_string())
                    .map_err(|e| format!("{}: {e}", out.display()))?;
                println!("configuration written to {}", out.display());
            }
        }
        None => println!("no operating point fits the budget"),
    }
    // Every figure per source, and the choice scored leave-one-source-out.
    if let Some(i) = chosen {
        let rep = &points[i].report;
        for key in rep
            .clips_by_group
            .keys()
            .filter(|k| k.as_str() != "subclass")
        {
            println!("\nChosen point (fitted on every source), per {key} (pooled, each, worst):");
            print!(
                "{}",
                corpus::text_table(&corpus::CLIP_HEADER, &corpus::group_clip_rows(rep, key))
            );
        }
    }
    let loso = group_key(&points).and_then(|key| {
        sweep::leave_one_group_out(
            &points,
            &key,
            &args.kind,
            &opts.collars,
            args.max_fa_per_hour,
            args.max_false_trigger_share,
        )
    });
    if let Some(l) = &loso {
        print!("{}", l.to_text());
    }
    if let Some(path) = &args.json {
        let v = serde_json::json!({
            "params": ranges,
            "chosen": chosen,
            "points": points,
            "chosen_by_group": chosen.map(|i| &points[i].report.clips_by_group),
            "chosen_worst_by_group": chosen.map(|i| &points[i].report.worst_by_group),
            "leave_one_group_out": loso,
        });
        let text = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if let Some(dir) = &args.report {
        let html = report::sweep_html(&points, chosen, &args.kind, loso.as_ref());
        report::write_report(dir, &html).map_err(|e| format!("{}: {e}", dir.display()))?;
        eprintln!("report: {}", dir.join("index.html").display());
    }
    Ok(if chosen.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The grouping key for leave-one-out scoring: the first group key of the recordings other than
/// `subclass` (`source_repo` for audio manifests, `dataset` for IMU ones).
fn group_key(points: &[sweep::OperatingPoint]) -> Option<String> {
    points
        .first()?
        .results
        .iter()
        .flat_map(|r| r.recording.groups.iter())
        .map(|(k, _)| k.clone())
        .find(|k| k != "subclass")
}
