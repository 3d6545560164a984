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
    // An unsigned log verifies as a chain, and verify says that it is unsigned.
    let said = String::from_utf8_lossy(&ok.stdout).to_string();
    assert!(
        said.contains("OK (UNSIGNED") && said.contains(", 5 records"),
        "{said}"
    );

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

fn run_incident(extra: &[&str]) -> Vec<serde_json::Value> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/incident");
    let out = bin()
        .args(["run", "--format", "jsonl", "--audio"])
        .arg(dir.join("incident.wav"))
        .arg("--imu")
        .arg(dir.join("incident.csv"))
        .arg("--inputs")
        .arg(dir.join("incident.inputs.csv"))
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The bundled incident (fixtures/incident, see fixtures/README.md): patrol car with dispatch
/// geofence, light bar and siren, door, foot pursuit with a radio emergency, holster draw, a
/// shot, a peer camera, a fall, a taser armed, officer down.
#[test]
fn run_on_the_bundled_incident_gives_the_expected_decisions() {
    let rows = run_incident(&[]);
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["decision"].as_str().unwrap(),
                r["cause"].as_str().unwrap(),
            )
        })
        .collect();
    // Default policy: geofence and door do not start or add (not in start_on); everything
    // after the light bar joins the one recording.
    assert_eq!(
        got,
        vec![
            ("start", "light_bar"),
            ("cause_added", "siren"),
            ("cause_added", "radio_emergency"),
            ("cause_added", "running"),
            ("cause_added", "holster_draw"),
            ("cause_added", "gunshot"),
            ("cause_added", "peer_camera"),
            ("cause_added", "fall"),
            ("cause_added", "taser"),
            ("officer_down_alert", "officer_down"),
            ("cause_added", "officer_down"),
        ]
    );
    let f = |i: usize, k: &str| rows[i][k].as_f64().unwrap();
    let close = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol;
    // Debounced inputs are decided 200 ms after their edge; momentary ones at once.
    assert!(close(f(0, "t_s"), 2.2, 1e-6) && close(f(0, "onset_s"), 2.0, 1e-6));
    assert!(close(f(0, "keep_from_s"), 2.2 - 30.0, 1e-6));
    assert!(close(f(2, "t_s"), 11.0, 1e-6));
    assert!(close(f(4, "t_s"), 20.0, 1e-6));
    // Detector causes against the labels (running 10.5 s; gunshot 20.4 s; fall 22.25 s; the
    // running detector dates its onset to the start of its 2.5 s analysis window).
    assert!((8.0..=11.5).contains(&f(3, "onset_s")), "{}", rows[3]);
    assert!(close(f(5, "onset_s"), 20.4, 0.01), "{}", rows[5]);
    assert!(close(f(7, "onset_s"), 22.25, 0.5), "{}", rows[7]);
    assert!(f(9, "t_s") - f(7, "onset_s") >= 20.0, "{}", rows[9]);
    // Decisions in time order, each with evidence; detector ones with thresholds.
    for w in rows.windows(2) {
        assert!(w[0]["t_s"].as_f64() <= w[1]["t_s"].as_f64());
    }
    for r in &rows {
        let ev = r["evidence"].as_object().unwrap();
        assert!(!ev.is_empty(), "{r}");
    }
    for i in [3, 5, 7, 9] {
        let ev = rows[i]["evidence"].as_object().unwrap();
        assert!(
            ev.values().any(|v| v.get("threshold").is_some()),
            "{}",
            rows[i]
        );
    }
    assert_eq!(rows[0]["state"], "cancel_window");
    assert_eq!(rows[10]["state"], "recording");
}

#[test]
fn start_on_changes_the_incident_decisions() {
    let d = tmp_dir("incident_policy");
    let p = d.join("p.toml");
    std::fs::write(
        &p,
        "start_on = [\"geofence\", \"door\", \"gunshot\"]\n[sensitivity]\ngunshot = \"high\"\n",
    )
    .unwrap();
    let rows = run_incident(&["--policy", p.to_str().unwrap()]);
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["decision"].as_str().unwrap(),
                r["cause"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got[0], ("start", "geofence"));
    assert_eq!(got[1], ("cause_added", "door"));
    assert!(got.contains(&("cause_added", "gunshot")), "{got:?}");
    // Officer-down is not a start cause here, but the alert is still raised.
    assert!(
        got.contains(&("officer_down_alert", "officer_down")),
        "{got:?}"
    );
    assert!(
        !got.iter().any(|g| g.1 == "light_bar" || g.1 == "running"),
        "{got:?}"
    );
    std::fs::remove_dir_all(&d).ok();
}
