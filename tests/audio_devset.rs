//! Dev-set figures: the gunshot detector over every clip of `../shared/datasets/audio`, at each
//! file's native rate, **per source** (the MANIFEST's `source_repo`) and per subclass, next to
//! the pooled figure. A gunshot clip is found when it has at least one detection; a distractor
//! or ambient clip triggers when it has any.
//!
//! The floors are per source, as counts of clips, at the figures measured on the grown set
//! (split v2: 370 clips, five gunshot sources), so that a regression in any one recorder's data
//! fails even when the pooled figure hides it. Sources the detector does not find at all today
//! (the range recordings, the sensor test clip) have no floor to fall below: they are printed
//! as gaps and are issue 12's work, not asserted.
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
    source: String,
}

fn manifest(dir: &Path) -> Vec<Clip> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.csv")).expect("MANIFEST.csv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            // The first four columns never contain commas or quotes.
            let mut it = l.splitn(5, ',');
            Clip {
                file: it.next().unwrap_or_default().to_string(),
                class: it.next().unwrap_or_default().to_string(),
                subclass: it.next().unwrap_or_default().to_string(),
                source: it.next().unwrap_or_default().to_string(),
            }
        })
        .collect()
}

/// The Belize source cut some clips from overlapping windows: these pairs hold the same audio
/// (the same shot, or the same background) and count as one clip (the dataset README).
const SAME_AUDIO: [(&str, &str); 3] = [
    (
        "gunshot/belize_gunshot_30.wav",
        "gunshot/belize_gunshot_120.wav",
    ),
    (
        "gunshot/belize_gunshot_250.wav",
        "gunshot/belize_gunshot_265.wav",
    ),
    (
        "ambient/belize_no_gunshot_1288.wav",
        "ambient/belize_no_gunshot_1498.wav",
    ),
];

/// Per-source floors, as clip counts measured on split v2 with the default config:
/// `(class, source_repo, clips, at least found)` for gunshot sources and
/// `(class, source_repo, clips, at most triggering)` for the others. Clips are after merging
/// the [`SAME_AUDIO`] pairs. A source absent from the table fails the test (a new source needs
/// its floor set deliberately).
const FLOORS: [(&str, &str, usize, usize); 12] = [
    ("gunshot", "Alejandro-131004/AC-II", 56, 49),
    ("gunshot", "IBM/MAX-Audio-Classifier", 1, 1),
    ("gunshot", "RosameliaCarioni/gunshot_detection", 59, 6),
    (
        "gunshot",
        "ShotSpotter/research.source-location-shotspotter-audio",
        11,
        7,
    ),
    ("gunshot", "rizki-ap/Gunshot-Locator", 9, 0),
    ("distractor", "Alejandro-131004/AC-II", 32, 0),
    ("distractor", "IBM/MAX-Audio-Classifier", 4, 2),
    ("distractor", "maxschuman/nmf_auditory_scenes", 44, 0),
    ("ambient", "Alejandro-131004/AC-II", 64, 1),
    ("ambient", "IBM/MAX-Audio-Classifier", 5, 0),
    ("ambient", "RosameliaCarioni/gunshot_detection", 60, 6),
    ("ambient", "maxschuman/nmf_auditory_scenes", 22, 0),
];

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

/// One distinct recording (a clip, or a [`SAME_AUDIO`] pair).
struct Unit {
    class: String,
    subclass: String,
    source: String,
    hit: bool,
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
    // One unit per distinct recording: a SAME_AUDIO pair counts once (found or triggering
    // when either copy is).
    let unit_of = |file: &str| -> String {
        SAME_AUDIO
            .iter()
            .find(|(_, b)| *b == file)
            .map_or(file, |(a, _)| a)
            .to_string()
    };
    let mut units: BTreeMap<String, Unit> = BTreeMap::new();
    for c in &clips {
        let audio = read_wav(&dir.join(&c.file)).expect("readable WAV");
        let events = run(&cfg, &audio.samples, audio.sample_rate);
        let u = units.entry(unit_of(&c.file)).or_insert_with(|| Unit {
            class: c.class.clone(),
            subclass: c.subclass.clone(),
            source: c.source.clone(),
            hit: false,
            events: 0,
        });
        u.hit |= !events.is_empty();
        u.events += events.len();
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
    let mut by_source: BTreeMap<(String, String), Row> = BTreeMap::new();
    let mut by_subclass: BTreeMap<(String, String), Row> = BTreeMap::new();
    let mut pooled: BTreeMap<String, Row> = BTreeMap::new();
    for u in units.values() {
        for r in [
            by_source
                .entry((u.class.clone(), u.source.clone()))
                .or_default(),
            by_subclass
                .entry((u.class.clone(), u.subclass.clone()))
                .or_default(),
            pooled.entry(u.class.clone()).or_default(),
        ] {
            r.clips += 1;
            r.hit += usize::from(u.hit);
            r.events += u.events;
        }
    }
    let line = |class: &str, name: &str, r: &Row| {
        println!(
            "{:<11} {:<55} {:>5} {:>5} {:>6.1}% {:>6}",
            class,
            name,
            r.clips,
            r.hit,
            100.0 * r.hit as f64 / r.clips as f64,
            r.events
        )
    };
    println!(
        "{:<11} {:<55} {:>5} {:>5} {:>7} {:>6}",
        "class", "source (pooled first, then each source_repo)", "clips", "hit", "share", "events"
    );
    for (class, r) in &pooled {
        line(class, "(pooled)", r);
        for ((c, s), r) in by_source.iter().filter(|((c, _), _)| c == class) {
            line(c, s, r);
        }
    }
    println!();
    println!(
        "{:<11} {:<55} {:>5} {:>5} {:>7} {:>6}",
        "class", "subclass", "clips", "hit", "share", "events"
    );
    for ((c, s), r) in &by_subclass {
        line(c, s, r);
    }
    let mut failures = Vec::new();
    for ((class, source), r) in &by_source {
        let Some(&(_, _, clips, bound)) =
            FLOORS.iter().find(|(c, s, _, _)| c == class && s == source)
        else {
            failures.push(format!("{class} / {source}: no floor set for this source"));
            continue;
        };
        if r.clips != clips {
            failures.push(format!(
                "{class} / {source}: {} clips, the floor was set on {clips}",
                r.clips
            ));
        }
        if class == "gunshot" {
            if bound == 0 {
                println!(
                    "GAP {class} / {source}: {} of {} found (no floor: issue 12)",
                    r.hit, r.clips
                );
            } else if r.hit < bound {
                failures.push(format!(
                    "{class} / {source}: {} of {} clips found, floor {bound}",
                    r.hit, r.clips
                ));
            }
        } else if r.hit > bound {
            failures.push(format!(
                "{class} / {source}: {} of {} clips trigger, ceiling {bound}",
                r.hit, r.clips
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "per-source floors:\n{}",
        failures.join("\n")
    );
}
