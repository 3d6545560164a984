//! `autotrigger detect -`: raw PCM from standard input, events written as they are decided.
#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_autotrigger"))
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The fixture's samples as the 16-bit integers the WAV holds (exact: it is a 16-bit file).
fn s16(name: &str) -> (Vec<i16>, u32) {
    let a = autotrigger::io::read_wav(&fixture(name)).unwrap();
    let v = a.samples.iter().map(|s| (s * 32768.0) as i16).collect();
    (v, a.sample_rate)
}

/// The file's JSONL events with the `file` key dropped (it names the source).
fn strip_file(line: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
    v.as_object_mut().unwrap().remove("file");
    v.to_string()
}

fn file_events(name: &str) -> Vec<String> {
    let o = bin()
        .args(["detect", "--format", "jsonl"])
        .arg(fixture(name))
        .output()
        .unwrap();
    assert!(o.status.success());
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(strip_file)
        .collect()
}

/// The first gunshot (at 1.0 s) is printed while the writer still holds the pipe open, having
/// written only the first 2.5 s; after end of input the whole stream's events equal the file's.
#[test]
fn an_event_arrives_before_the_input_ends() {
    let (samples, rate) = s16("gunshots_16k.wav");
    let want = file_events("gunshots_16k.wav");
    assert!(want.len() >= 2, "the fixture has gunshots: {want:?}");
    let mut child = bin()
        .args(["detect", "-", "--raw", "s16le", "--rate", &rate.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    // 2.5 s in 100 ms chunks: the shot at 1.0 s and ample audio after it to decide it.
    let head = (rate as usize * 5 / 2) * 2;
    for chunk in bytes[..head].chunks(rate as usize / 10 * 2) {
        stdin.write_all(chunk).unwrap();
        stdin.flush().unwrap();
    }
    // Bounded wait: generous for a loaded 2-core machine, and the pipe is still open.
    let first = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("an event line before the input ended");
    assert_eq!(strip_file(&first), want[0]);
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["file"], "-");
    assert_eq!(v["kind"], "gunshot");
    // The rest, then end of input.
    stdin.write_all(&bytes[head..]).unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let mut got = vec![strip_file(&first)];
    got.extend(rx.try_iter().map(|l| strip_file(&l)));
    assert!(status.success());
    assert_eq!(got, want);
}

/// Stereo float input is mixed to mono; input cut inside a frame is an error after the events.
#[test]
fn f32_stereo_and_a_cut_frame() {
    let (samples, rate) = s16("gunshots_16k.wav");
    let want = file_events("gunshots_16k.wav");
    let mut bytes: Vec<u8> = samples
        .iter()
        .flat_map(|&s| {
            let x = f32::from(s) / 32768.0;
            // Both channels equal: the mean is the sample itself.
            [x.to_le_bytes(), x.to_le_bytes()].concat()
        })
        .collect();
    bytes.extend_from_slice(&[0, 0, 0]);
    let mut child = bin()
        .args(["detect", "-", "--raw", "f32le", "--channels", "2", "--rate"])
        .arg(rate.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let got: Vec<String> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(strip_file)
        .collect();
    assert_eq!(got, want);
    assert!(!o.status.success());
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("-: input ends inside a frame"), "{err}");
}

#[test]
fn stdin_needs_raw_and_rate() {
    let o = bin()
        .args(["detect", "-", "--raw", "s16le"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("--rate"), "{err}");
    let o = bin()
        .args(["detect", "--rate", "16000"])
        .arg(fixture("gunshots_16k.wav"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
