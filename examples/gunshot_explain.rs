//! Why did (or didn't) the gunshot detector fire? For every WAV file given, prints every
//! candidate onset the decision stage considered, whether it was accepted, the gates it failed
//! and its evidence (value, and threshold where a gate used one). A file without any candidate
//! gets its loudest level jumps instead, so a miss before the candidate stage shows too.
//!
//! ```text
//! cargo run --release --example gunshot_explain -- [--config cfg.toml] [--csv] a.wav b.wav ...
//! ```
//!
//! `--csv` prints one line per candidate instead (`file,dir,onset_s,failed,evidence` with the
//! evidence as `name=value;...`; `dir` is the file's parent folder, the class in the dev set),
//! for tables over a whole corpus.

use autotrigger::audio::{FeatureFrame, GunshotConfig, GunshotDecider, OnsetFeatures};
use autotrigger::io::read_wav;
use autotrigger::{Config, Event};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut cfg = GunshotConfig::default();
    if let Some(i) = args.iter().position(|a| a == "--config") {
        let text = std::fs::read_to_string(args.get(i + 1).ok_or("--config needs a file")?)?;
        cfg = Config::from_toml_str(&text)?.gunshot_for_device();
        args.drain(i..i + 2);
    }
    let csv = args.iter().any(|a| a == "--csv");
    args.retain(|a| a != "--csv");
    if args.is_empty() {
        return Err("usage: gunshot_explain [--config cfg.toml] FILE.wav...".into());
    }
    for path in &args {
        let audio = read_wav(Path::new(path))?;
        let rate = audio.sample_rate;
        let mut fx = OnsetFeatures::new(&cfg, rate)?;
        let mut frames: Vec<FeatureFrame> = Vec::new();
        fx.push(&audio.samples, |f| frames.push(*f));
        let mut dec = GunshotDecider::new(&cfg, fx.timing())?;
        let mut events: Vec<Event> = Vec::new();
        let mut lines = Vec::new();
        let dir = Path::new(path)
            .parent()
            .and_then(|d| d.file_name())
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut trace = |e: &Event, failed: &[&'static str]| {
            if csv {
                let ev: Vec<String> = e
                    .evidence
                    .items()
                    .iter()
                    .map(|i| format!("{}={}", i.name, i.value))
                    .collect();
                lines.push(format!(
                    "{path},{dir},{:.4},{},{}",
                    e.onset.as_secs_f64(),
                    failed.join("+"),
                    ev.join(";")
                ));
                return;
            }
            let ev: Vec<String> = e
                .evidence
                .items()
                .iter()
                .map(|i| match i.threshold {
                    Some(t) => format!("{}={:.2}({:.2})", i.name, i.value, t),
                    None => format!("{}={:.2}", i.name, i.value),
                })
                .collect();
            lines.push(format!(
                "  {:8.4}s {:<8} {:<22} {}",
                e.onset.as_secs_f64(),
                if failed.is_empty() {
                    "ACCEPT"
                } else {
                    "reject"
                },
                failed.join(","),
                ev.join(" ")
            ));
        };
        for f in &frames {
            dec.push_traced(f, &mut events, &mut trace);
        }
        dec.finish_traced(&mut events, &mut trace);
        if csv {
            if lines.is_empty() {
                println!("{path},{dir},,no_candidate,");
            }
            for l in &lines {
                println!("{l}");
            }
            continue;
        }
        let peak = frames.iter().map(|f| f.peak_dbfs).fold(-120f32, f32::max);
        println!(
            "{path}: {rate} Hz, {:.2} s, peak {peak:.1} dBFS, {} events, {} candidates",
            audio.samples.len() as f64 / rate as f64,
            events.len(),
            lines.len()
        );
        for l in &lines {
            println!("{l}");
        }
        if lines.is_empty() {
            // No candidate: show the hops closest to being one.
            let mut best: Vec<(f32, usize)> = (2..frames.len())
                .map(|i| {
                    let jump = frames[i].level_dbfs
                        - frames[i - 1].level_dbfs.max(frames[i - 2].level_dbfs);
                    (frames[i].rise_db.min(jump * 2.5), i)
                })
                .collect();
            best.sort_by(|a, b| b.0.total_cmp(&a.0));
            for &(_, i) in best.iter().take(3) {
                let f = &frames[i];
                let jump = f.level_dbfs - frames[i - 1].level_dbfs.max(frames[i - 2].level_dbfs);
                println!(
                    "  near miss {:8.4}s rise_db={:.1}({}) jump={:.1}({}) level={:.1} floor={:.1}",
                    f.start_sample as f64 / rate as f64,
                    f.rise_db,
                    cfg.rise_threshold_db,
                    jump,
                    cfg.min_jump_db,
                    f.level_dbfs,
                    f.floor_dbfs
                );
            }
        }
    }
    Ok(())
}
