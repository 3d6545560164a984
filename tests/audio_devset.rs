//! Dev-set figures: the gunshot detector over every clip of `../shared/datasets/audio`, at each
//! file's native rate. Prints a per-class / per-subclass table of clips with at least one
//! detection and asserts floors slightly below the measured figures, so a regression fails.
//!
//! `AUTOTRIGGER_DEVSET_DUMP=path.csv` also writes every candidate onset (with the decision
//! gates disabled) and its evidence, for tuning; `AUTOTRIGGER_DEVSET_FRAMES=dir` writes every
//! clip's per-hop feature frames to `dir/<clip>.csv`.

mod common;

use autotrigger::audio::{FeatureFrame, GunshotConfig, GunshotDetector};
use autotrigger::io::read_wav;
use autotrigger::{Event, StreamingDetector};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

struct Clip {
    file: String,
    class: String,
    subclass: String,
}

fn manifest(dir: &Path) -> Vec<Clip> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.csv")).expect("MANIFEST.csv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            // The first three columns never contain commas or quotes.
            let mut it = l.splitn(4, ',');
            Clip {
                file: it.next().unwrap_or_default().to_string(),
                class: it.next().unwrap_or_default().to_string(),
                subclass: it.next().unwrap_or_default().to_string(),
            }
        })
        .collect()
}

fn run(cfg: &GunshotConfig, samples: &[f32], rate: u32) -> Vec<Event> {
    let mut det = GunshotDetector::new(cfg, rate).expect("detector");
    let mut events = Vec::new();
    det.process(samples, &mut events).expect("process");
    det.finish(&mut events);
    events
}

#[derive(Default)]
struct Row {
    clips: usize,
    hit: usize,
    events: usize,
}

#[test]
#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]
fn devset_clip_figures() {
    let Some(root) = common::shared_datasets("devset_clip_figures") else {
        return;
    };
    let dir = root.join("audio");
    let clips = manifest(&dir);
    assert!(clips.len() > 200, "manifest has {} clips", clips.len());
    let cfg = GunshotConfig::default();
    let loose = GunshotConfig {
        max_rise_time_s: 0.1,
        min_peak_dbfs: -120.0,
        min_clipped_frac: 1.0,
        min_flatness: 0.0,
        min_centroid_hz: 0.0,
        min_decay_db: 0.0,
        ..cfg.clone()
    };
    let mut dump = std::env::var_os("AUTOTRIGGER_DEVSET_DUMP").map(|p| {
        let mut f = std::fs::File::create(p).expect("dump file");
        writeln!(
            f,
            "file,class,subclass,rate,window,onset_s,accepted,evidence"
        )
        .unwrap();
        f
    });
    let mut table: BTreeMap<(String, String), Row> = BTreeMap::new();
    for c in &clips {
        let audio = read_wav(&dir.join(&c.file)).expect("readable WAV");
        let events = run(&cfg, &audio.samples, audio.sample_rate);
        for key in [
            (c.class.clone(), String::new()),
            (c.class.clone(), c.subclass.clone()),
        ] {
            let r = table.entry(key).or_default();
            r.clips += 1;
            r.hit += usize::from(!events.is_empty());
            r.events += events.len();
        }
        if let Some(d) = std::env::var_os("AUTOTRIGGER_DEVSET_FRAMES") {
            let name = c.file.replace('/', "_");
            let mut f = std::fs::File::create(Path::new(&d).join(name + ".csv")).expect("frames");
            writeln!(f, "t_s,onset_s,{},score", FeatureFrame::NAMES.join(",")).unwrap();
            let mut det = GunshotDetector::new(&cfg, audio.sample_rate).expect("detector");
            let rate = audio.sample_rate as f64;
            det.process_with_frames(&audio.samples, &mut Vec::new(), |fr, score| {
                let v: Vec<String> = fr.values().iter().map(|v| format!("{v:.2}")).collect();
                writeln!(
                    f,
                    "{:.4},{:.4},{},{score:.2}",
                    fr.start_sample as f64 / rate,
                    fr.onset_sample as f64 / rate,
                    v.join(",")
                )
                .unwrap();
            });
        }
        if let Some(f) = dump.as_mut() {
            for (w, e) in [0.075, 0.15, 0.3].into_iter().flat_map(|w| {
                let l = GunshotConfig {
                    decay_window_s: w,
                    ..loose.clone()
                };
                run(&l, &audio.samples, audio.sample_rate)
                    .into_iter()
                    .map(move |e| (w, e))
            }) {
                let accepted = events.iter().any(|a| a.onset == e.onset);
                let ev: Vec<String> = e
                    .evidence
                    .items()
                    .iter()
                    .map(|i| format!("{}={}", i.name, i.value))
                    .collect();
                writeln!(
                    f,
                    "{},{},{},{},{w},{:.4},{},{}",
                    c.file,
                    c.class,
                    c.subclass,
                    audio.sample_rate,
                    e.onset.as_secs_f64(),
                    accepted,
                    ev.join(";")
                )
                .unwrap();
            }
        }
    }
    println!(
        "{:<12} {:<24} {:>6} {:>6} {:>7} {:>7}",
        "class", "subclass", "clips", "hit", "share", "events"
    );
    for ((class, sub), r) in &table {
        let name = if sub.is_empty() {
            "(all)"
        } else {
            sub.as_str()
        };
        println!(
            "{:<12} {:<24} {:>6} {:>6} {:>6.1}% {:>7}",
            class,
            name,
            r.clips,
            r.hit,
            100.0 * r.hit as f64 / r.clips as f64,
            r.events
        );
    }
    let share = |class: &str| {
        let r = &table[&(class.to_string(), String::new())];
        r.hit as f64 / r.clips as f64
    };
    let (g, d, a) = (share("gunshot"), share("distractor"), share("ambient"));
    println!(
        "gunshot recall {:.3}, distractor trigger {:.3}, ambient trigger {:.3}",
        g, d, a
    );
    // Floors just below the measured figures (0.838 / 0.025 / 0.011 with the DC blocker on by
    // default, docs/gunshot.md "Round 3"), so that a regression fails (one clip is 0.015 of
    // recall, one ambient clip 0.011). Before round 3: 0.853 / 0.025 / 0.0 with the blocker
    // off; the clip lost since (us8k 37236-6-0-0) was found through a "rise" from the
    // stream's first samples, which are not observed quiet (FeatureFrame::rise_time_us); the
    // ambient clip gained (an idling engine's puff at 75 ms) is the 2 % aim's one clip.
    assert!(g >= 0.83, "gunshot clip recall {g:.3} fell below 0.83");
    assert!(
        d <= 0.03,
        "distractor clips triggering {d:.3} rose above 0.03"
    );
    assert!(a <= 0.02, "ambient clips triggering {a:.3} rose above 0.02");
}
