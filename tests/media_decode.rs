//! Compressed audio and video in (`media` feature): the committed `fixtures_media/` files
//! (made from the WAV fixtures by `scripts/encode_fixtures.sh`) give the WAV's events within one
//! hop; broken files are errors naming the file and the time reached; the others still run.
#![cfg(feature = "cli")]

use autotrigger::io::{read_audio, read_audio_track, read_wav, AudioStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn media(name: &str) -> PathBuf {
    root().join("fixtures_media").join(name)
}

fn wav(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

fn detect(args: &[&str], files: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_autotrigger"))
        .args(["detect", "--format", "jsonl"])
        .args(args)
        .args(files)
        .output()
        .unwrap()
}

/// (kind, onset_us, decided_us) of each JSONL event line.
fn events(o: &Output) -> Vec<(String, i64, i64)> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let us = |k: &str| (v[k].as_f64().unwrap() * 1e6).round() as i64;
            (
                v["kind"].as_str().unwrap().to_string(),
                us("onset_s"),
                us("decided_s"),
            )
        })
        .collect()
}

/// One analysis hop of the gunshot detector at the default configuration (5 ms).
const HOP_US: i64 = 5_000;

fn assert_within_hop(got: &[(String, i64, i64)], want: &[(String, i64, i64)], what: &str) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: {got:?} vs the WAV's {want:?}"
    );
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.0, w.0, "{what}");
        assert!(
            (g.1 - w.1).abs() <= HOP_US && (g.2 - w.2).abs() <= HOP_US,
            "{what}: {g:?} vs the WAV's {w:?}"
        );
    }
}

#[test]
fn every_format_gives_the_wavs_events_within_one_hop() {
    let cases: &[(&str, &[&str])] = &[
        ("gunshots_16k", &["mp4", "mp3", "flac", "ogg"]),
        ("gunshots_44k", &["mp4", "mp3", "ogg"]),
    ];
    for (name, exts) in cases {
        let want = events(&detect(&[], &[&wav(&format!("{name}.wav"))]));
        assert!(!want.is_empty(), "{name}: the WAV has events");
        for ext in *exts {
            let f = media(&format!("{name}.{ext}"));
            let o = detect(&[], &[&f]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            assert_within_hop(&events(&o), &want, &format!("{name}.{ext}"));
        }
    }
    // Body-camera style: H.264 video plus stereo AAC (the WAV in both channels).
    let want = events(&detect(&[], &[&wav("gunshots_16k.wav")]));
    let o = detect(&[], &[&media("tracks/bodycam_16k.mp4")]);
    assert!(o.status.success());
    assert_within_hop(&events(&o), &want, "bodycam_16k.mp4");
}

/// FLAC is lossless: bit-identical samples. Lossy files keep the WAV's length and timing
/// (encoder delay removed) to within one codec frame, and its level.
#[test]
fn decoded_samples_match_the_wav() {
    let w = read_wav(&wav("gunshots_16k.wav")).unwrap();
    let f = read_audio(&media("gunshots_16k.flac")).unwrap();
    assert_eq!((f.sample_rate, f.channels), (16_000, 1));
    assert!(f.samples == w.samples, "FLAC differs from the WAV");
    for ext in ["mp4", "mp3", "ogg"] {
        let a = read_audio(&media(&format!("gunshots_16k.{ext}"))).unwrap();
        assert_eq!(a.sample_rate, 16_000, "{ext}");
        // One AAC/MP3 frame is at most 1152 samples.
        let d = a.samples.len() as i64 - w.samples.len() as i64;
        assert!(
            d.abs() <= 1152,
            "{ext}: {} samples vs {}",
            a.samples.len(),
            w.samples.len()
        );
        // Aligned: the loudest sample (the 0 dBFS shot) is within 1 ms of the WAV's.
        let peak = |x: &[f32]| {
            x.iter()
                .enumerate()
                .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
                .unwrap()
                .0 as i64
        };
        assert!(
            (peak(&a.samples) - peak(&w.samples)).abs() <= 16,
            "{ext}: peak at {} vs {}",
            peak(&a.samples),
            peak(&w.samples)
        );
    }
    let s = read_audio(&media("tracks/bodycam_16k.mp4")).unwrap();
    assert_eq!(s.channels, 2);
}

/// Blocks of any size deliver exactly what the whole-file reader does.
#[test]
fn streaming_equals_whole_file_for_any_block_size() {
    for name in ["gunshots_16k.mp3", "gunshots_44k.mp4", "gunshots_16k.ogg"] {
        let whole = read_audio(&media(name)).unwrap();
        for block in [1usize, 7, 1000, 4096, 100_000] {
            let mut s = AudioStream::open(&media(name), None).unwrap();
            let mut buf = vec![0f32; block];
            let mut out = Vec::new();
            loop {
                let n = s.fill(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert!(out == whole.samples, "{name} block {block}");
            assert_eq!(s.frames_read(), out.len() as u64);
        }
    }
}

#[test]
fn tracks_are_chosen_and_missing_audio_is_named() {
    let mov = media("tracks/two_tracks_8k.mov");
    for (track, src) in [("0", "distractors_8k.wav"), ("1", "gunshots_8k.wav")] {
        let want = events(&detect(&[], &[&wav(src)]));
        let o = detect(&["--track", track], &[&mov]);
        assert!(o.status.success());
        assert_within_hop(&events(&o), &want, &format!("track {track}"));
    }
    // The default is the first audio track (the video track is not counted).
    assert_eq!(
        read_audio(&mov).unwrap(),
        read_audio_track(&mov, Some(0)).unwrap()
    );
    let e = read_audio_track(&mov, Some(2)).unwrap_err().to_string();
    assert!(
        e.contains("two_tracks_8k.mov") && e.contains("has 2"),
        "{e}"
    );
    let e = read_audio(&media("tracks/video_only.mp4"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("video_only.mp4: no audio track"), "{e}");
    let e = read_audio_track(&wav("gunshots_8k.wav"), Some(1))
        .unwrap_err()
        .to_string();
    assert!(e.contains("one audio track"), "{e}");
}

/// Truncated and damaged copies: an error naming the file and the time reached, never a
/// silently shorter or shifted recording; the good file given after them still runs.
#[test]
fn broken_files_name_the_file_and_time_and_others_still_run() {
    let dir = std::env::temp_dir().join(format!("autotrigger-media-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut broken = Vec::new();
    for name in [
        "gunshots_16k.mp4",
        "gunshots_16k.mp3",
        "gunshots_16k.flac",
        "gunshots_16k.ogg",
    ] {
        let bytes = std::fs::read(media(name)).unwrap();
        let half = dir.join(format!("half_{name}"));
        std::fs::write(&half, &bytes[..bytes.len() / 2]).unwrap();
        let mut bad = bytes.clone();
        // Deterministic garbage over 2000 bytes in the middle.
        let mid = bad.len() / 2;
        for (i, b) in bad[mid..mid + 2000].iter_mut().enumerate() {
            *b = (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0];
        }
        let corrupt = dir.join(format!("corrupt_{name}"));
        std::fs::write(&corrupt, &bad).unwrap();
        broken.push(half);
        broken.push(corrupt);
    }
    for p in &broken {
        let e = read_audio(p).unwrap_err().to_string();
        let file = p.file_name().unwrap().to_string_lossy();
        assert!(e.contains(&*file), "{e}");
        assert!(e.contains(" s"), "no time in: {e}");
    }
    let good = wav("gunshots_8k.wav");
    let mut files: Vec<&Path> = broken.iter().map(PathBuf::as_path).collect();
    files.push(&good);
    let o = detect(&[], &files);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("{} of {} files", broken.len(), files.len())),
        "{err}"
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("gunshots_8k.wav"), "the good file ran: {out}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The gunshot row's TP, FP, FN of `autotrigger eval` output.
fn gunshot_row(o: &Output) -> [u32; 3] {
    let text = String::from_utf8_lossy(&o.stdout);
    let row = text
        .lines()
        .find(|l| l.starts_with("gunshot "))
        .unwrap_or_else(|| panic!("no gunshot row:\n{text}"));
    let f: Vec<u32> = row
        .split_whitespace()
        .skip(1)
        .take(3)
        .map(|x| x.parse().unwrap())
        .collect();
    [f[0], f[1], f[2]]
}

/// `eval`, `features` and `run` take the same files as `detect`.
#[test]
fn eval_features_and_run_accept_media() {
    let bin = || Command::new(env!("CARGO_BIN_EXE_autotrigger"));
    let w = bin()
        .arg("eval")
        .arg(wav("gunshots_16k.wav"))
        .output()
        .unwrap();
    assert!(w.status.success());
    let m = bin()
        .arg("eval")
        .args(["mp4", "mp3", "flac", "ogg"].map(|e| media(&format!("gunshots_16k.{e}"))))
        .output()
        .unwrap();
    assert!(m.status.success(), "{}", String::from_utf8_lossy(&m.stderr));
    assert_eq!(gunshot_row(&m), gunshot_row(&w).map(|x| 4 * x));
    // The folder: every file scored, the video without audio reported, the rest still run.
    let o = bin()
        .arg("eval")
        .arg(root().join("fixtures_media"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("10 recordings") && text.contains("1 unreadable"),
        "{text}"
    );
    assert!(text.contains("video_only.mp4: no audio track"), "{text}");
    let o = bin()
        .args(["features", "--csv", "-"])
        .arg(media("gunshots_16k.mp3"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let rows = String::from_utf8_lossy(&o.stdout).lines().count();
    // One row per 5 ms hop over 8 s, plus the header.
    assert!((1590..=1610).contains(&rows), "{rows} rows");
    let o = bin()
        .args(["run", "--format", "jsonl", "--audio"])
        .arg(media("gunshots_16k.ogg"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("gunshot"));
}
