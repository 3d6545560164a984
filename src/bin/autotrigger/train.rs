//! `autotrigger train`: fit the gunshot detector's second stage on labelled recordings.
use autotrigger::eval::corpus;
use autotrigger::eval::train::{self, TrainOptions};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `autotrigger train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Audio dev-set MANIFEST.csv files (or folders holding one): class `gunshot` clips are
    /// positive, every other class negative; a row with a label side-car (the MANIFEST of
    /// `autotrigger augment`) is labelled by its onsets instead.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Write the model (TOML) here.
    #[arg(long)]
    pub out: PathBuf,
    /// Detector configuration (TOML) whose onset stage proposes the candidates; defaults
    /// otherwise.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// L2 penalty on the standardised weights.
    #[arg(long, default_value_t = 1.0)]
    pub l2: f64,
    /// False events per hour of ambient audio allowed at the low, medium and high thresholds,
    /// `LOW,MEDIUM,HIGH`.
    #[arg(long, value_name = "LOW,MEDIUM,HIGH", default_value = "1,6,30")]
    pub fa_per_hour: String,
    /// Also fit and score leave-one-source-out (per `source_repo`; augmented scenes whose
    /// event or background comes from the held-out source are left out of its fit) and print
    /// the held-out figures.
    #[arg(long)]
    pub loso: bool,
    /// Also write every candidate's features as CSV here (file, class, source and subclass,
    /// the event's and background's sources of an augmented scene, its role in the fit:
    /// `positive`, `negative`, `unused` or `clip` (a gunshot clip's candidate, chosen by
    /// multiple-instance learning), its probability under the fitted model, then the
    /// features).
    #[arg(long)]
    pub candidates_csv: Option<PathBuf>,
}

/// Runs `autotrigger train`.
pub fn run(args: TrainArgs) -> ExitCode {
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("autotrigger train: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: TrainArgs) -> Result<(), String> {
    let config = crate::eval::load_config(args.config.as_ref())?;
    if !(args.l2.is_finite() && args.l2 >= 0.0) {
        return Err(format!("--l2 {}: expected a finite number >= 0", args.l2));
    }
    let recs = corpus::collect(&args.inputs).map_err(|e| e.to_string())?;
    let data = train::extract(&recs, &config.gunshot).map_err(|e| e.to_string())?;
    let fa: Vec<f64> = args
        .fa_per_hour
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            format!(
                "--fa-per-hour {:?}: expected LOW,MEDIUM,HIGH",
                args.fa_per_hour
            )
        })?;
    let fa_per_hour: [f64; 3] = fa
        .try_into()
        .ok()
        .filter(|v: &[f64; 3]| v.iter().all(|x| x.is_finite() && *x >= 0.0))
        .ok_or_else(|| {
            format!(
                "--fa-per-hour {:?}: expected three numbers >= 0",
                args.fa_per_hour
            )
        })?;
    let opts = TrainOptions {
        l2: args.l2,
        fa_per_hour,
        ..TrainOptions::default()
    };
    let (model, sum) = train::fit(&data, |_| true, &opts).map_err(|e| e.to_string())?;
    let header = train::model_header(&data, &sum, &opts);
    std::fs::write(&args.out, model.to_toml(&header))
        .map_err(|e| format!("{}: {e}", args.out.display()))?;
    for h in &header {
        println!("{h}");
    }
    println!("model written to {}", args.out.display());
    if let Some(p) = &args.candidates_csv {
        let mut s = format!(
            "file,class,source_repo,subclass,event_source_repo,background_source_repo,role,\
             onset_s,probability,{}\n",
            autotrigger::audio::model::MODEL_FEATURES.join(",")
        );
        for r in &data {
            for ((x, t), role) in r.candidates.iter().zip(&r.onsets_us).zip(r.roles()) {
                let v: Vec<String> = x.iter().map(|v| format!("{v}")).collect();
                let role = match role {
                    Some(true) => "positive",
                    Some(false) => "negative",
                    None if r.label_onsets_us.is_none() => "clip",
                    None => "unused",
                };
                s.push_str(&format!(
                    "{},{},{},{},{},{},{role},{},{},{}\n",
                    r.recording.name,
                    r.recording.class.as_deref().unwrap_or("-"),
                    r.group("source_repo").unwrap_or("-"),
                    r.group("subclass").unwrap_or("-"),
                    r.group("event_source_repo").unwrap_or("-"),
                    r.group("background_source_repo").unwrap_or("-"),
                    *t as f64 / 1e6,
                    model.probability(x),
                    v.join(",")
                ));
            }
        }
        std::fs::write(p, s).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    if args.loso {
        let folds = train::leave_one_group_out(&data, "source_repo", &opts);
        println!("\nLeave-one-source-out (each source scored by a model fitted without it):");
        print!("{}", train::held_out_table(&folds));
    }
    Ok(())
}
