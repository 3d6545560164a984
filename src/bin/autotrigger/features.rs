//! `autotrigger features`: the gunshot detector's onset features of an audio file (one row per
//! hop), or the running detector's gait features of an IMU recording (one row per window).
use autotrigger::eval::corpus::Modality;
use autotrigger::eval::features::{feature_matrix_of, imu_gait_matrix};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `autotrigger features`.
#[derive(Args, Debug)]
pub struct FeaturesArgs {
    /// An audio file (.wav, .mp4/.m4a/.mov, .mp3, .flac, .ogg), an IMU CSV (.csv) or a SisFall
    /// recording (.txt).
    pub file: PathBuf,
    /// Audio track of video and multi-track files, numbered from 0 among the audio tracks.
    #[arg(long, value_name = "N")]
    pub track: Option<usize>,
    /// Write CSV (header `t_s,<feature names>`) to OUT, or to standard output without OUT.
    #[arg(long, value_name = "OUT", num_args = 0..=1, default_missing_value = "-")]
    pub csv: Option<PathBuf>,
    /// Detector configuration (TOML) whose feature parameters are used; defaults otherwise.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs `autotrigger features`.
pub fn run(args: FeaturesArgs) -> ExitCode {
    match run_inner(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("autotrigger: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: &FeaturesArgs) -> Result<(), String> {
    let config = crate::eval::load_config(args.config.as_ref())?;
    let cfg_err = |e: autotrigger::ConfigError| format!("{}: {e}", args.file.display());
    let (m, what) = match Modality::from_path(&args.file) {
        Some(m @ (Modality::ImuCsv | Modality::Sisfall | Modality::Fallalld)) => {
            let samples = m
                .read_imu(&args.file)
                .ok_or_else(|| format!("{}: not an IMU recording", args.file.display()))?
                .map_err(|e| e.to_string())?
                .samples;
            let m = imu_gait_matrix(&samples, &config).map_err(cfg_err)?;
            (m, "gait windows".to_string())
        }
        _ => {
            let audio = autotrigger::io::read_audio_track(&args.file, args.track)
                .map_err(|e| e.to_string())?;
            let m = feature_matrix_of(&audio, &config.gunshot).map_err(cfg_err)?;
            (m, format!("hops at {} Hz", audio.sample_rate))
        }
    };
    match &args.csv {
        Some(out) if out.as_os_str() != "-" => {
            std::fs::write(out, m.to_csv()).map_err(|e| format!("{}: {e}", out.display()))?;
        }
        Some(_) => print!("{}", m.to_csv()),
        None => {
            // Without --csv: a per-feature summary over the file.
            println!(
                "{}: {} {what}, {} features",
                args.file.display(),
                m.values.nrows(),
                m.values.ncols(),
            );
            println!(
                "{:<14} {:>12} {:>12} {:>12}",
                "feature", "min", "mean", "max"
            );
            for (j, name) in m.names.iter().enumerate() {
                let col = m.values.column(j);
                let (lo, hi) = col
                    .iter()
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
                        (a.min(v), b.max(v))
                    });
                let mean = col.iter().map(|&v| v as f64).sum::<f64>() / col.len().max(1) as f64;
                println!("{name:<14} {lo:>12.3} {mean:>12.3} {hi:>12.3}");
            }
        }
    }
    Ok(())
}
