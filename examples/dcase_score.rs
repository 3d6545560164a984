//! DCASE 2017 task 2-style event-based scores of one system on labelled mixtures (as
//! `autotrigger augment` writes them): onsets only, a 500 ms collar, F-score and error rate
//! `ER = (S + D + I) / N` (single class, so `S = 0`), plus recall and false events per hour.
//!
//! The system is either the gunshot detector with a configuration (default, or `--config
//! FILE.toml`, so a trained detector's config can be scored the same way), or an external one
//! whose onsets are read from `--onsets DIR` (`DIR/NAME.txt` per `NAME.wav`, one onset in
//! seconds a line, as `aubioonset` prints them).
//!
//! ```text
//! cargo run --release --example dcase_score -- MIXTURES/MANIFEST.csv [--config FILE.toml] \
//!     [--onsets DIR] [--name NAME] [--tag TAG]
//! ```
//!
//! Prints one Markdown table row:
//! `| name | tag | mixtures | hours | N | TP | D | I | recall | F | ER | false events / h |`
//! (`--header` prints the header first).
use autotrigger::eval::corpus::{self, RunOptions};
use autotrigger::eval::metrics::{
    match_events, tally, DcaseScores, TallyByKind, DEFAULT_COLLAR_US,
};
use autotrigger::{Event, EventKind, Evidence, Timestamp};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dcase_score: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut manifest, mut config, mut onsets, mut name, mut tag, mut header) =
        (None, None, None, None, String::new(), false);
    while let Some(a) = args.next() {
        let mut val = |flag: &str| args.next().ok_or(format!("{flag} needs a value"));
        match a.as_str() {
            "--config" => config = Some(PathBuf::from(val("--config")?)),
            "--onsets" => onsets = Some(PathBuf::from(val("--onsets")?)),
            "--name" => name = Some(val("--name")?),
            "--tag" => tag = val("--tag")?,
            "--header" => header = true,
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => manifest = Some(PathBuf::from(a)),
        }
    }
    let manifest = manifest.ok_or("usage: dcase_score MANIFEST.csv [--config FILE.toml] [--onsets DIR] [--name NAME] [--tag TAG] [--header]")?;
    let recs = corpus::collect(std::slice::from_ref(&manifest)).map_err(|e| e.to_string())?;
    if let Some(r) = recs.iter().find(|r| r.labels.is_none()) {
        return Err(format!(
            "{}: no label side-car (score mixtures written by `autotrigger augment`)",
            r.path.display()
        ));
    }
    let cfg = match &config {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            autotrigger::Config::from_toml_str(&text)
                .map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => autotrigger::Config::default(),
    };
    let results = match &onsets {
        None => corpus::run(
            &recs,
            &RunOptions {
                config: cfg,
                ..RunOptions::default()
            },
            &|| {},
        ),
        Some(dir) => {
            let mut out = Vec::new();
            for r in &recs {
                let stem = r.path.file_stem().unwrap_or_default().to_string_lossy();
                let p = dir.join(format!("{stem}.txt"));
                let text =
                    std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                let mut dets = Vec::new();
                for (i, line) in text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| !l.trim().is_empty())
                {
                    let t: f64 = line.trim().parse().map_err(|_| {
                        format!("{}:{}: not a time in seconds: {line:?}", p.display(), i + 1)
                    })?;
                    let ts = Timestamp::from_secs_f64(t.max(0.0));
                    dets.push(Event {
                        kind: EventKind::Gunshot,
                        onset: ts,
                        decided: ts,
                        confidence: 1.0,
                        evidence: Evidence::new(),
                    });
                }
                let wav = autotrigger::io::WavStream::open(&r.path).map_err(|e| e.to_string())?;
                let duration_us =
                    Timestamp::from_samples(wav.len_frames(), wav.sample_rate()).as_micros();
                out.push(corpus::RecordingResult {
                    recording: r.clone(),
                    duration_us,
                    detections: dets,
                    error: None,
                    trace: None,
                });
            }
            out
        }
    };
    let mut t = TallyByKind::new();
    let mut duration_us = 0i64;
    for res in &results {
        if let Some(e) = &res.error {
            return Err(format!("{}: {e}", res.recording.path.display()));
        }
        let refs = res.recording.labels.as_deref().unwrap_or(&[]);
        let m = match_events(refs, &res.detections, DEFAULT_COLLAR_US, Some(&["gunshot"]));
        tally(
            &mut t,
            refs,
            &res.detections,
            &m,
            res.duration_us,
            &["gunshot"],
        );
        duration_us += res.duration_us;
    }
    let g = t.remove("gunshot").unwrap_or_default();
    let s = DcaseScores::from_tally(&g);
    let hours = duration_us as f64 / 3.6e9;
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.1} %", 100.0 * v));
    let recall = (s.n_ref > 0).then(|| s.tp as f64 / s.n_ref as f64);
    let name = name.unwrap_or_else(|| match (&onsets, &config) {
        (Some(_), _) => "external onsets".into(),
        (None, Some(c)) => format!("GunshotDetector ({})", c.display()),
        (None, None) => "GunshotDetector (default config)".into(),
    });
    if header {
        println!("| system | set | mixtures | hours | N | TP | D | I | recall | F | ER | false events / h |");
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    }
    println!(
        "| {name} | {tag} | {} | {hours:.2} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
        results.len(),
        s.n_ref,
        s.tp,
        s.deletions,
        s.insertions,
        pct(recall),
        pct(s.f_score),
        s.error_rate.map_or("-".to_string(), |v| format!("{v:.2}")),
        if hours > 0.0 {
            s.insertions as f64 / hours
        } else {
            0.0
        },
    );
    Ok(())
}
