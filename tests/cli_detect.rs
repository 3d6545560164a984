//! `autotrigger detect` end to end: runs the built binary on the bundled fixtures and on
//! broken files.
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_autotrigger"))
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
        .display()
        .to_string()
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run autotrigger")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A scratch directory per test (tests run in parallel).
fn scratch(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("autotrigger-cli-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

const IMU_KINDS: [&str; 7] = [
    "running",
    "running_ended",
    "fall",
    "officer_down",
    "officer_down_cancelled",
    "tap",
    "double_tap",
];

/// The recordings used below: audio at three rates and IMU with every event kind.
fn inputs() -> Vec<String> {
    [
        "gunshots_16k.wav",
        "gunshots_auto_48k.wav",
        "distractors_8k.wav",
        "run_100hz.csv",
        "fall_officer_down_50hz.csv",
        "taps_irregular_200hz.csv",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect()
}

fn jsonl(extra: &[&str]) -> Vec<serde_json::Value> {
    let files = inputs();
    let mut args = vec!["detect", "--format", "jsonl"];
    args.extend_from_slice(extra);
    args.extend(files.iter().map(String::as_str));
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| {
            // The documented key order: `file` first.
            assert!(l.starts_with("{\"file\":"), "{l}");
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))
        })
        .collect()
}

#[test]
fn jsonl_schema() {
    let files = inputs();
    let events = jsonl(&[]);
    assert!(!events.is_empty());
    for e in &events {
        let o = e.as_object().unwrap();
        let file = o["file"].as_str().unwrap();
        assert!(files.iter().any(|f| f == file), "{file}");
        let kind = o["kind"].as_str().unwrap();
        if file.ends_with(".wav") {
            assert_eq!(kind, "gunshot");
        } else {
            assert!(IMU_KINDS.contains(&kind), "{kind}");
        }
        let onset = o["onset_s"].as_f64().unwrap();
        let decided = o["decided_s"].as_f64().unwrap();
        assert!(onset >= 0.0 && decided >= onset, "{e}");
        let c = o["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c), "{e}");
        let ev = o["evidence"].as_object().unwrap();
        assert!(!ev.is_empty(), "every event carries evidence: {e}");
        for (name, item) in ev {
            let item = item.as_object().unwrap();
            assert!(item.contains_key("value"), "{name}");
            assert!(
                item.keys().all(|k| k == "value" || k == "threshold"),
                "{name}"
            );
        }
    }
    // Events of one file come in order of decision.
    for f in &files {
        let d: Vec<f64> = events
            .iter()
            .filter(|e| e["file"] == f.as_str())
            .map(|e| e["decided_s"].as_f64().unwrap())
            .collect();
        assert!(d.windows(2).all(|w| w[0] <= w[1]), "{f}: {d:?}");
    }
}

#[test]
fn block_size_does_not_change_the_events() {
    let reference = jsonl(&[]);
    for block in ["1", "7", "333", "100000"] {
        assert_eq!(jsonl(&["--block", block]), reference, "--block {block}");
    }
}

#[test]
fn table_has_aligned_columns_and_the_same_events() {
    let files = inputs();
    let mut args = vec!["detect"];
    args.extend(files.iter().map(String::as_str));
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    let header = lines[0];
    for col in ["file", "kind", "onset_s", "decided_s", "conf", "evidence"] {
        assert!(header.contains(col), "{header}");
    }
    let kind_col = header.find("kind").unwrap();
    let ev_col = header.find("evidence").unwrap();
    let events = jsonl(&[]);
    assert_eq!(lines.len() - 1, events.len());
    let raw = {
        let mut args = vec!["detect", "--format", "jsonl"];
        args.extend(files.iter().map(String::as_str));
        stdout(&run(&args))
    };
    for ((row, e), raw) in lines[1..].iter().zip(&events).zip(raw.lines()) {
        assert!(row.starts_with(e["file"].as_str().unwrap()), "{row}");
        assert!(
            row[kind_col..].starts_with(e["kind"].as_str().unwrap()),
            "{row}"
        );
        let onset = format!("{:.3}", e["onset_s"].as_f64().unwrap());
        assert!(row[..ev_col].contains(&onset), "{row} vs {onset}");
        // The first evidence item (in the detector's order, as in the raw JSON) is shown.
        let first = raw.split("\"evidence\":{\"").nth(1).unwrap();
        let first = &first[..first.find('"').unwrap()];
        assert!(
            row[ev_col..].starts_with(&format!("{first}=")),
            "{row} vs {first}"
        );
    }
}

#[test]
fn bad_files_are_reported_one_line_each_and_the_rest_is_processed() {
    let d = scratch("bad");
    let garbage = d.join("garbage.wav");
    std::fs::write(&garbage, b"RIFF\x10\x00\x00\x00WAVEnot really a wav file").unwrap();
    let truncated = d.join("truncated.wav");
    let good = std::fs::read(fixture("gunshots_16k.wav")).unwrap();
    std::fs::write(&truncated, &good[..good.len() / 2 + 1]).unwrap();
    let bad_csv = d.join("bad.csv");
    std::fs::write(&bad_csv, "t_s,ax,ay,az\n0.00,0,0,9.8\n0.01,0,zero,9.8\n").unwrap();
    let unordered = d.join("unordered.csv");
    std::fs::write(
        &unordered,
        "t_s,ax,ay,az\n0.00,0,0,9.8\n0.02,0,0,9.8\n0.01,0,0,9.8\n",
    )
    .unwrap();
    let unsupported = d.join("notes.xyz");
    std::fs::write(&unsupported, "hello").unwrap();
    let missing = d.join("missing.wav");
    let low_rate = d.join("rate4k.wav");
    autotrigger::io::write_wav_i16(&low_rate, &[0.0; 4000], 4000).unwrap();
    let p = |x: &PathBuf| x.display().to_string();
    let good_wav = fixture("gunshots_16k.wav");
    let good_csv = fixture("fall_officer_down_50hz.csv");
    let args = [
        "detect".to_string(),
        "--format".into(),
        "jsonl".into(),
        p(&garbage),
        good_wav.clone(),
        p(&truncated),
        p(&bad_csv),
        p(&unordered),
        p(&unsupported),
        p(&missing),
        p(&low_rate),
        good_csv.clone(),
    ];
    let o = bin().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "non-zero exit at the end");
    let err = stderr(&o);
    let expect = [
        format!("autotrigger: {}: not a readable WAV file", p(&garbage)),
        format!("autotrigger: {}: ", p(&truncated)),
        format!("autotrigger: {}:3: field `ay` is not a number", p(&bad_csv)),
        format!("autotrigger: {}:4: out-of-order", p(&unordered)),
        format!("autotrigger: {}: unsupported file type", p(&unsupported)),
        format!("autotrigger: {}: ", p(&missing)),
        format!(
            "autotrigger: {}: sample rate 4000 Hz is not supported",
            p(&low_rate)
        ),
    ];
    let lines: Vec<&str> = err.lines().collect();
    for want in &expect {
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with(want.as_str()))
                .count(),
            1,
            "want one line starting {want:?} in:\n{err}"
        );
    }
    assert!(err.contains("truncated"), "{err}");
    assert!(err.contains("7 of 9 files could not be processed"), "{err}");
    // One line per bad file plus the summary: nothing multi-line.
    assert_eq!(lines.len(), expect.len() + 1, "{err}");
    // The good files were still processed, in order, identically to running them alone.
    let alone = run(&["detect", "--format", "jsonl", &good_wav, &good_csv]);
    let out = stdout(&o);
    let from_good: String = out
        .lines()
        .filter(|l| l.contains(&good_wav) || l.contains(&good_csv))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(from_good, stdout(&alone));
    assert!(!stdout(&alone).is_empty());
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn config_errors_stop_before_any_file() {
    let d = scratch("config");
    let wav = fixture("gunshots_8k.wav");
    let unknown = d.join("unknown.toml");
    std::fs::write(&unknown, "[gunshot]\nno_such_key = 1.0\n").unwrap();
    let range = d.join("range.toml");
    std::fs::write(&range, "[gunshot]\nhop_s = -1.0\n").unwrap();
    let syntax = d.join("syntax.toml");
    std::fs::write(&syntax, "[gunshot\n").unwrap();
    for (cfg, want) in [
        (&unknown, "no_such_key"),
        (&range, "hop_s"),
        (&syntax, "parse"),
        (&d.join("absent.toml"), "absent.toml"),
    ] {
        let c = cfg.display().to_string();
        let o = run(&["detect", "--config", &c, &wav]);
        assert_eq!(o.status.code(), Some(2), "{c}");
        let err = stderr(&o);
        assert!(err.starts_with(&format!("autotrigger: {c}: ")), "{err}");
        assert!(err.contains(want), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(o.stdout.is_empty());
    }
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn default_config_round_trips_through_detect() {
    let d = scratch("roundtrip");
    let o = run(&["config"]);
    assert!(o.status.success());
    let cfg = d.join("default.toml");
    std::fs::write(&cfg, &o.stdout).unwrap();
    let wav = fixture("gunshots_16k.wav");
    let with = run(&[
        "detect",
        "--format",
        "jsonl",
        "--config",
        &cfg.display().to_string(),
        &wav,
    ]);
    let without = run(&["detect", "--format", "jsonl", &wav]);
    assert!(with.status.success(), "{}", stderr(&with));
    assert_eq!(with.stdout, without.stdout);
    // A stricter threshold is honoured: no shot reaches +1 dBFS... no shot has a peak above
    // 0 dBFS, so a minimum peak above it silences the detector.
    let strict = d.join("strict.toml");
    std::fs::write(
        &strict,
        "[gunshot]\nmin_peak_dbfs = -0.001\nmin_clipped_frac = 1.0\n",
    )
    .unwrap();
    let o = run(&[
        "detect",
        "--format",
        "jsonl",
        "--config",
        &strict.display().to_string(),
        &wav,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).lines().count() < stdout(&without).lines().count());
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn sisfall_by_extension_or_flag() {
    let d = scratch("sisfall");
    // 4 s of a still subject in SisFall counts (z ~ 1 g = 256 counts at 1/256 g).
    let mut text = String::new();
    for _ in 0..800 {
        text.push_str("   0,   0, 256,   0,   0,   0,   0,   0,   0;\r\n");
    }
    let txt = d.join("D01_SA01_R01.txt");
    std::fs::write(&txt, &text).unwrap();
    let as_csv = d.join("renamed.csv");
    std::fs::write(&as_csv, &text).unwrap();
    let t = txt.display().to_string();
    let c = as_csv.display().to_string();
    assert!(run(&["detect", &t]).status.success());
    let o = run(&["detect", &c]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains(&format!("{c}:1:")), "{}", stderr(&o));
    let o = run(&["detect", "--imu-format", "sisfall", &c]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn fallalld_three_files_by_extension_or_flag() {
    let d = scratch("fallalld");
    // 4 s of a still logger (x = +1 g = 4096 counts), its gyro and a 10 Hz barometer.
    let stem = d.join("S01_D1_A013_T01");
    let f = |s: &str| format!("{}{s}", stem.display());
    std::fs::write(f("_A.dat"), "4096,0,0\n".repeat(952)).unwrap();
    std::fs::write(f("_G.dat"), "0,0,0\n".repeat(952)).unwrap();
    std::fs::write(f("_B.dat"), "1013.2,23.7\n".repeat(40)).unwrap();
    for args in [
        vec!["detect".to_string(), f("_A.dat")],
        vec![
            "detect".into(),
            "--imu-format".into(),
            "fallalld".into(),
            f("_B.dat"),
        ],
    ] {
        let o = bin().args(&args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    // A corrupt barometer row names the file and line.
    std::fs::write(f("_B.dat"), "1013.2,23.7\n1013.2\n").unwrap();
    let o = run(&["detect", &f("_A.dat")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!("{}:2: 1 fields, expected 2", f("_B.dat"))),
        "{}",
        stderr(&o)
    );
    // The help names the format and the barometer column.
    let h = stdout(&run(&["detect", "--help"]));
    assert!(h.contains("fallalld") && h.contains("p_hpa"), "{h}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn side_cars_are_skipped() {
    let labels = fixture("run_100hz.labels.csv");
    let inputs = fixture("incident/incident.inputs.csv");
    let o = run(&["detect", &labels, &inputs]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1, "header only");
}
