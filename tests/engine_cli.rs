//! `autotrigger run` and `autotrigger audit verify` end to end, on a small incident written to
//! a temporary directory.

use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_autotrigger"))
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("autotrigger-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write_incident(d: &std::path::Path) {
    // 1 s of silence at 16 kHz (16-bit PCM).
    let mut wav = Vec::new();
    let n: u32 = 16_000;
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + n * 2).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&16_000u32.to_le_bytes());
    wav.extend_from_slice(&32_000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(n * 2).to_le_bytes());
    wav.resize(wav.len() + n as usize * 2, 0);
    std::fs::write(d.join("x.wav"), wav).unwrap();
    std::fs::write(
        d.join("x.csv"),
        "t_s,ax,ay,az\n0.0,0,0,9.81\n0.5,0,0,9.81\n1.0,0,0,9.81\n",
    )
    .unwrap();
    std::fs::write(
        d.join("x.inputs.csv"),
        "t_s,input,value\n0.5,light_bar,on\n5.0,holster,drawn\n5.1,holster,holstered\n8.0,holster,drawn\n12.0,button,press\n30.0,button,press\n45.0,button,press\n",
    )
    .unwrap();
    std::fs::write(d.join("p.toml"), "min_recording_s = 10\n").unwrap();
}

#[test]
fn run_prints_decisions_in_order_and_the_audit_log_verifies() {
    let d = tmp_dir("run");
    write_incident(&d);
    let log = d.join("audit.jsonl");
    let out = bin()
        .args(["run", "--format", "jsonl", "--audio"])
        .arg(d.join("x.wav"))
        .arg("--imu")
        .arg(d.join("x.csv"))
        .arg("--inputs")
        .arg(d.join("x.inputs.csv"))
        .arg("--policy")
        .arg(d.join("p.toml"))
        .arg("--audit-log")
        .arg(&log)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(f64, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["t_s"].as_f64().unwrap(),
                r["decision"].as_str().unwrap(),
                r["cause"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (0.7, "start", "light_bar"),
            (8.2, "cause_added", "holster_draw"),
            (12.0, "cancel_accepted", "button"),
            (30.0, "start", "button"),
            (45.0, "stop", "button"),
        ]
    );
    assert_eq!(rows[0]["evidence"]["held_s"]["threshold"], 0.2);
    assert_eq!(rows[0]["keep_from_s"], 0.7 - 30.0);
    assert_eq!(rows[0]["onset_s"], 0.5);

    let ok = bin().args(["audit", "verify"]).arg(&log).output().unwrap();
    assert!(ok.status.success());
    assert!(String::from_utf8_lossy(&ok.stdout).contains("OK, 5 records"));

    // Tamper: swap records 2 and 3.
    let text = std::fs::read_to_string(&log).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(1, 2);
    let bad = d.join("bad.jsonl");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let r = bin().args(["audit", "verify"]).arg(&bad).output().unwrap();
    assert_eq!(r.status.code(), Some(1));
    let msg = String::from_utf8_lossy(&r.stdout).to_string();
    assert!(
        msg.contains("bad.jsonl:2: ") && msg.contains("out of order"),
        "{msg}"
    );
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn run_names_the_bad_line_of_an_inputs_file() {
    let d = tmp_dir("badinputs");
    std::fs::write(
        d.join("i.csv"),
        "t_s,input,value\n1.0,siren,on\n2.0,siren,loud\n",
    )
    .unwrap();
    let out = bin()
        .args(["run", "--inputs"])
        .arg(d.join("i.csv"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("i.csv:3: unknown input `siren,loud`"), "{err}");
    std::fs::write(d.join("p.toml"), "holdoff_s = 1000\n").unwrap();
    let out = bin()
        .args(["run", "--inputs"])
        .arg(d.join("i.csv"))
        .arg("--policy")
        .arg(d.join("p.toml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(err.contains("holdoff_s = 1000 is out of range"), "{err}");
    std::fs::remove_dir_all(&d).ok();
}
