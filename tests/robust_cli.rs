//! Corrupt files through the CLI: `autotrigger detect` over a mix of good and damaged files
//! reports each damaged one as a single stderr line naming the file (and line), still
//! processes the good ones, and exits non-zero at the end.
#![cfg(feature = "cli")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_autotrigger"))
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("autotrigger-robust-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A WAV header with every field under the caller's control (see `robust_io.rs`).
fn wav(ch: u16, rate: u32, bits: u16, data_len: u32, data: &[u8]) -> Vec<u8> {
    let block = ch * bits / 8;
    let mut f = Vec::new();
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(&ch.to_le_bytes());
    f.extend_from_slice(&rate.to_le_bytes());
    f.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    f.extend_from_slice(&block.to_le_bytes());
    f.extend_from_slice(&bits.to_le_bytes());
    let mut body = b"WAVEfmt ".to_vec();
    body.extend_from_slice(&(f.len() as u32).to_le_bytes());
    body.extend_from_slice(&f);
    body.extend_from_slice(b"data");
    body.extend_from_slice(&data_len.to_le_bytes());
    body.extend_from_slice(data);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

#[test]
fn detect_reports_each_bad_file_in_one_line_and_processes_the_rest() {
    let d = dir();
    let pcm = vec![0u8; 2000];
    let bad: Vec<(&str, Vec<u8>, Option<usize>)> = vec![
        ("truncated.wav", wav(1, 16_000, 16, 64_000, &pcm), None),
        ("lying.wav", wav(1, 16_000, 8, u32::MAX, &pcm[..16]), None),
        ("zero_rate.wav", wav(1, 0, 16, 2000, &pcm), None),
        ("rate_200.wav", wav(1, 200, 16, 2000, &pcm), None),
        ("garbage.wav", b"RIFF\x04\0\0\0WAVE".to_vec(), None),
        (
            "word.csv",
            b"t_s,ax,ay,az\n0,0,0,9.8\n0.01,0,abc,9.8\n".to_vec(),
            Some(3),
        ),
        (
            "milli_g.csv",
            b"t_s,ax,ay,az\n0,0,0,9.8\n0.01,0,0,9806.6\n".to_vec(),
            Some(3),
        ),
        ("no_az.csv", b"t_s,ax,ay\n0,0,0\n".to_vec(), Some(1)),
        (
            "backwards.csv",
            b"t_s,ax,ay,az\n1,0,0,9.8\n0.5,0,0,9.8\n".to_vec(),
            Some(3),
        ),
        (
            "short.txt",
            b"1,2,3,4,5,6,7,8,9;\n1,2,3;\n".to_vec(),
            Some(2),
        ),
    ];
    let mut args: Vec<PathBuf> = vec![fixture("gunshots_8k.wav")];
    for (name, bytes, _) in &bad {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        args.push(p);
    }
    args.push(fixture("run_100hz.csv"));
    let out = bin()
        .arg("detect")
        .arg("--format")
        .arg("jsonl")
        .args(&args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "bad files must give a non-zero exit");
    // Each bad file: exactly one stderr line, naming it (and its line for text formats).
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    for (name, _, line) in &bad {
        let hits: Vec<&&str> = lines.iter().filter(|l| l.contains(name)).collect();
        assert_eq!(
            hits.len(),
            1,
            "{name}: expected one error line in:\n{stderr}"
        );
        if let Some(n) = line {
            assert!(
                hits[0].contains(&format!("{name}:{n}:")),
                "{name}: line {n} not named: {}",
                hits[0]
            );
        }
    }
    // ... plus at most one summary line ("N of M files could not be processed").
    let extra: Vec<&&str> = lines
        .iter()
        .filter(|l| !bad.iter().any(|(n, _, _)| l.contains(n)))
        .collect();
    assert!(
        extra.len() <= 1 && extra.iter().all(|l| l.contains(&bad.len().to_string())),
        "unexpected stderr lines {extra:?} in:\n{stderr}"
    );
    // The good files before and after the bad ones were processed.
    let files: Vec<String> = stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSONL");
            v["file"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(
        files.iter().any(|f| f.ends_with("gunshots_8k.wav")),
        "no events from the good WAV:\n{stdout}"
    );
    assert!(
        files.iter().any(|f| f.ends_with("run_100hz.csv")),
        "no events from the good CSV after the bad files:\n{stdout}"
    );
    for (name, _, _) in &bad {
        assert!(
            !files.iter().any(|f| f.ends_with(name)),
            "{name} produced events"
        );
    }
}

#[test]
fn a_bad_config_is_one_line_naming_the_key_and_a_non_zero_exit() {
    let d = dir();
    for (name, text, key) in [
        ("nan.toml", "[gunshot]\nhop_s = nan\n", "gunshot.hop_s"),
        ("range.toml", "[fall]\nimpact_g = -4.0\n", "fall.impact_g"),
        ("typo.toml", "[gunshot]\nhop = 0.005\n", "hop"),
        // A syntax error has no key to name: it names the line.
        ("syntax.toml", "[gunshot\n", "line 1"),
    ] {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        let out = bin()
            .arg("detect")
            .arg("--config")
            .arg(&p)
            .arg(fixture("gunshots_8k.wav"))
            .output()
            .unwrap();
        assert!(!out.status.success(), "{name}: accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(key), "{name}: {key} not named in {stderr}");
        assert!(
            stderr.contains(name),
            "{name}: the file is not named in {stderr}"
        );
        assert_eq!(
            stderr.trim_end().lines().count(),
            1,
            "{name}: not one line: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{name}: events despite a bad config");
    }
}

#[test]
fn a_missing_file_and_a_directory_are_errors_too() {
    let d = dir();
    let out = bin()
        .arg("detect")
        .arg(d.join("does_not_exist.wav"))
        .arg(&d)
        .arg(fixture("gunshots_8k.wav"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does_not_exist.wav"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).is_empty());
}
