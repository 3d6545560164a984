//! The C example (`examples/c/incident.c`), compiled with the system C compiler against the
//! static library and the committed header, prints the same decisions on
//! `fixtures/incident/` as `autotrigger run --format jsonl`.
//!
//! Needs the static library first, built in the same profile (`.ci/run` and the README's test
//! command use `checked`; `--release` works the same way):
//! ```text
//! cargo rustc --profile checked --lib --features capi --crate-type staticlib
//! cargo test --profile checked --features capi --test capi_incident
//! ```
//! With a device key the C example signs its audit log (`at_engine_set_signing_key`, segments
//! through `at_engine_report_segment`, `at_engine_audit_seal`), and `autotrigger audit verify
//! --pubkey --media` passes on it.
//!
//! The archive is looked for beside the `autotrigger` binary cargo built for this test (the
//! same profile and target directory, `CARGO_TARGET_DIR` honoured), or at
//! `$AUTOTRIGGER_STATICLIB`. Without it the test fails under CI (`CI` set, as `.ci/run` sets
//! it); otherwise it writes SKIPPED past the harness's output capture, so that it shows.
#![cfg(feature = "capi")]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The command that builds the static library beside this test's binary: the same profile
/// (the output directory's name; `debug` is the `dev` profile).
fn build_command() -> String {
    let dir = Path::new(env!("CARGO_BIN_EXE_autotrigger"))
        .parent()
        .and_then(Path::file_name)
        .and_then(|d| d.to_str())
        .unwrap_or("release");
    let profile = if dir == "debug" { "dev" } else { dir };
    format!("cargo rustc --profile {profile} --lib --features capi --crate-type staticlib")
}

fn staticlib() -> Option<PathBuf> {
    let lib = std::env::var_os("AUTOTRIGGER_STATICLIB")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_BIN_EXE_autotrigger")).with_file_name("libautotrigger.a")
        });
    if lib.exists() {
        let built = lib.metadata().and_then(|m| m.modified()).ok();
        // Any library source newer than the archive means the C example would run old code
        // and differ from the CLI on some value: say so, rather than report a mismatch.
        if let (Some(built), Some((newest, path))) = (built, newest_source(&root().join("src"))) {
            assert!(
                built >= newest,
                "{} is older than {}: rebuild it with `{}`",
                lib.display(),
                path.display(),
                build_command()
            );
        }
        return Some(lib);
    }
    let msg = format!(
        "capi_incident: {} is absent; build it with `{}`",
        lib.display(),
        build_command()
    );
    let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE"));
    assert!(!ci, "{msg}");
    use std::io::Write;
    // `eprintln!` is captured (and hidden) by the harness; the raw handle is not.
    let _ = writeln!(std::io::stderr(), "SKIPPED {msg}");
    None
}

/// The most recently modified `.rs` file of the library below `dir` (the CLI's `bin/` is not in
/// the archive), with its time.
fn newest_source(dir: &Path) -> Option<(std::time::SystemTime, PathBuf)> {
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let found = if path.is_dir() && !path.ends_with("bin") {
            newest_source(&path)
        } else if path.is_dir() {
            None
        } else if path.extension().is_some_and(|e| e == "rs") {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .map(|t| (t, path))
        } else {
            None
        };
        if let Some(f) = found {
            if newest.as_ref().is_none_or(|n| f.0 > n.0) {
                newest = Some(f);
            }
        }
    }
    newest
}

/// Compiles the C example into a temporary directory; returns the executable.
fn build_c_example(lib: &Path, tag: &str) -> PathBuf {
    let out = std::env::temp_dir().join(format!(
        "autotrigger_incident_c_{tag}_{}",
        std::process::id()
    ));
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args([
            "-std=c11",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
        ])
        .arg("-I")
        .arg(root().join("include"))
        .arg(root().join("examples/c/incident.c"))
        .arg(lib)
        .args(["-lm", "-lpthread", "-ldl", "-o"])
        .arg(&out)
        .status()
        .expect("run the C compiler (cc)");
    assert!(status.success(), "examples/c/incident.c did not compile");
    out
}

/// One decision, in the fields both programs print.
#[derive(Debug)]
struct Row {
    seq: u64,
    at_us: i64,
    decision: String,
    cause: String,
    state: String,
    onset_us: i64,
    keep_from_us: i64,
    confidence: f64,
    evidence: Vec<(String, f64, Option<f64>)>,
}

fn parse_c_output(text: &str) -> Vec<Row> {
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("seq\tat_us\tdecision\tcause\tstate\tonset_us\tkeep_from_us\tconfidence\tevidence")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 9, "bad C output line {l:?}");
            let evidence = f[8]
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|item| {
                    let (name, rest) = item.split_once('=').expect("name=value");
                    let (v, t) = match rest.split_once('/') {
                        Some((v, t)) => (v, Some(t.parse().unwrap())),
                        None => (rest, None),
                    };
                    (name.to_owned(), v.parse().unwrap(), t)
                })
                .collect();
            Row {
                seq: f[0].parse().unwrap(),
                at_us: f[1].parse().unwrap(),
                decision: f[2].into(),
                cause: f[3].into(),
                state: f[4].into(),
                onset_us: f[5].parse().unwrap(),
                keep_from_us: f[6].parse().unwrap(),
                confidence: f[7].parse().unwrap(),
                evidence,
            }
        })
        .collect()
}

fn us(v: &serde_json::Value) -> i64 {
    (v.as_f64().expect("seconds") * 1e6).round() as i64
}

fn parse_run_output(text: &str) -> Vec<Row> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let j: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            let evidence = j["evidence"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                v["value"].as_f64().unwrap_or(f64::NAN),
                                v.get("threshold").and_then(serde_json::Value::as_f64),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            Row {
                seq: j["seq"].as_u64().expect("seq"),
                at_us: us(&j["t_s"]),
                decision: j["decision"].as_str().expect("decision").into(),
                cause: j["cause"].as_str().unwrap_or("").into(),
                state: j["state"].as_str().expect("state").into(),
                onset_us: us(&j["onset_s"]),
                keep_from_us: us(&j["keep_from_s"]),
                confidence: j["confidence"].as_f64().unwrap_or(f64::NAN),
                evidence,
            }
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    // The C side prints 6 significant digits.
    (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1e-3)
}

#[test]
fn c_example_matches_autotrigger_run_on_the_incident() {
    let dir = root().join("fixtures/incident");
    let (wav, imu, inputs) = (
        dir.join("incident.wav"),
        dir.join("incident.csv"),
        dir.join("incident.inputs.csv"),
    );
    assert!(
        wav.exists() && imu.exists() && inputs.exists(),
        "fixtures/incident/ is incomplete"
    );
    let Some(lib) = staticlib() else { return };
    let exe = build_c_example(&lib, "plain");
    let c = Command::new(&exe)
        .args([&wav, &imu, &inputs])
        .output()
        .expect("run the C example");
    let _ = std::fs::remove_file(&exe);
    assert!(
        c.status.success(),
        "C example failed: {}",
        String::from_utf8_lossy(&c.stderr)
    );
    let c_rows = parse_c_output(&String::from_utf8(c.stdout).unwrap());

    let run = Command::new(env!("CARGO_BIN_EXE_autotrigger"))
        .arg("run")
        .arg("--audio")
        .arg(&wav)
        .arg("--imu")
        .arg(&imu)
        .arg("--inputs")
        .arg(&inputs)
        .args(["--format", "jsonl"])
        .output()
        .expect("run autotrigger run");
    assert!(
        run.status.success(),
        "autotrigger run failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rust_rows = parse_run_output(&String::from_utf8(run.stdout).unwrap());

    for r in &c_rows {
        eprintln!(
            "{:>10.3} s  {:<20} {:<16} -> {}",
            r.at_us as f64 / 1e6,
            r.decision,
            r.cause,
            r.state
        );
    }
    // The incident tells a story (pursuit, draw, shot, fall, officer down): a handful of
    // decisions at least, or the comparison proves nothing.
    assert!(c_rows.len() >= 3, "too few decisions: {c_rows:?}");
    assert_eq!(
        c_rows.len(),
        rust_rows.len(),
        "C: {c_rows:#?}\nrun: {rust_rows:#?}"
    );
    for (c, r) in c_rows.iter().zip(&rust_rows) {
        let same = c.seq == r.seq
            && c.at_us == r.at_us
            && c.decision == r.decision
            && c.cause == r.cause
            && c.state == r.state
            && c.onset_us == r.onset_us
            && c.keep_from_us == r.keep_from_us
            && close(c.confidence, r.confidence);
        assert!(same, "decisions differ:\nC:   {c:?}\nrun: {r:?}");
        // Every evidence item the C struct carries is in the JSON, with the same numbers.
        for (name, v, t) in &c.evidence {
            let (_, rv, rt) = r
                .evidence
                .iter()
                .find(|(n, _, _)| n == name)
                .unwrap_or_else(|| panic!("evidence {name} missing from run output: {r:?}"));
            assert!(close(*v, *rv), "{name}: {v} vs {rv}");
            assert_eq!(t.is_some(), rt.is_some(), "{name} threshold");
            if let (Some(t), Some(rt)) = (t, rt) {
                assert!(close(*t, *rt), "{name} threshold: {t} vs {rt}");
            }
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// (decision, cause, t_us) of every decision record of an audit log.
fn logged_decisions(text: &str) -> Vec<(String, String, i64)> {
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v.get("decision").is_some())
        .map(|v| {
            (
                v["decision"].as_str().unwrap().to_string(),
                v["cause"].as_str().unwrap_or("-").to_string(),
                v["t_us"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn c_example_signs_its_log_and_audit_verify_passes() {
    use sha2::{Digest, Sha256};
    let dir = root().join("fixtures/incident");
    let (wav, imu, inputs) = (
        dir.join("incident.wav"),
        dir.join("incident.csv"),
        dir.join("incident.inputs.csv"),
    );
    let Some(lib) = staticlib() else { return };
    let exe = build_c_example(&lib, "signed");
    let d = std::env::temp_dir().join(format!("autotrigger_capi_signed_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    let media = d.join("media");
    std::fs::create_dir_all(&media).unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[11; 32]);
    std::fs::write(d.join("device.key"), hex(key.as_bytes()) + "\n").unwrap();
    std::fs::write(
        d.join("device.pub"),
        hex(key.verifying_key().as_bytes()) + "\n",
    )
    .unwrap();
    let mut cmd = Command::new(&exe);
    cmd.arg("-k")
        .arg(d.join("device.key"))
        .arg("-l")
        .arg(d.join("audit.jsonl"))
        .args(["-d", "cam-c"]);
    for (i, n) in [70_000usize, 30_001].into_iter().enumerate() {
        let bytes: Vec<u8> = (0..n).map(|k| (k * 31 + i * 7) as u8).collect();
        let name = format!("seg_{i}.mp4");
        std::fs::write(media.join(&name), &bytes).unwrap();
        cmd.arg("-s")
            .arg(format!("{name}:{n}:{}", hex(&Sha256::digest(&bytes))));
    }
    let c = cmd.arg(&wav).arg(&imu).arg(&inputs).output().unwrap();
    let _ = std::fs::remove_file(&exe);
    assert!(
        c.status.success(),
        "C example failed: {}",
        String::from_utf8_lossy(&c.stderr)
    );
    let verify = |media_dir: &Path| {
        Command::new(env!("CARGO_BIN_EXE_autotrigger"))
            .args(["audit", "verify"])
            .arg(d.join("audit.jsonl"))
            .arg("--pubkey")
            .arg(d.join("device.pub"))
            .arg("--media")
            .arg(media_dir)
            .output()
            .unwrap()
    };
    let v = verify(&media);
    let said = String::from_utf8_lossy(&v.stdout).to_string();
    eprintln!("{said}");
    assert_eq!(v.status.code(), Some(0), "{said}");
    assert!(
        said.contains("OK, signed and sealed")
            && said.contains("device \"cam-c\"")
            && said.contains("2 media segment(s) match"),
        "{said}"
    );
    // The C log records the same decisions as `autotrigger run --signing-key` on the files.
    let run = Command::new(env!("CARGO_BIN_EXE_autotrigger"))
        .arg("run")
        .arg("--audio")
        .arg(&wav)
        .arg("--imu")
        .arg(&imu)
        .arg("--inputs")
        .arg(&inputs)
        .arg("--audit-log")
        .arg(d.join("run.jsonl"))
        .arg("--signing-key")
        .arg(d.join("device.key"))
        .output()
        .unwrap();
    assert!(run.status.success());
    let c_log = std::fs::read_to_string(d.join("audit.jsonl")).unwrap();
    let run_log = std::fs::read_to_string(d.join("run.jsonl")).unwrap();
    let c_dec = logged_decisions(&c_log);
    assert!(c_dec.len() >= 3, "{c_log}");
    assert_eq!(c_dec, logged_decisions(&run_log));
    // A changed media byte is found.
    let p = media.join("seg_1.mp4");
    let mut b = std::fs::read(&p).unwrap();
    b[123] ^= 1;
    std::fs::write(&p, b).unwrap();
    let v = verify(&media);
    assert_eq!(v.status.code(), Some(9));
    assert!(String::from_utf8_lossy(&v.stdout).contains("seg_1.mp4 was changed"));
    std::fs::remove_dir_all(&d).ok();
}
