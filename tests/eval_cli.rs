//! The `eval`, `sweep` and `features` subcommands, run as the built binary.
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_autotrigger"))
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("autotrigger-evcli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write_wav(p: &Path, rate: u32, secs: f32, bursts: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(p, spec).unwrap();
    let mut x: u32 = 99;
    for i in 0..(rate as f32 * secs) as usize {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let r = ((x >> 8) as f32 / (1u32 << 24) as f32) * 2.0 - 1.0;
        let t = i as f32 / rate as f32;
        let mut v = 0.002 * r;
        for &b in bursts {
            if t >= b {
                v += 1.5 * (-(t - b) / 0.02).exp() * r;
            }
        }
        w.write_sample((v.clamp(-1.0, 1.0) * 32767.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn eval_writes_json_and_report_and_sweep_writes_config() {
    let d = tmpdir("main");
    write_wav(&d.join("shots.wav"), 16_000, 3.0, &[0.7, 2.0]);
    std::fs::write(
        d.join("shots.labels.csv"),
        "onset_s,offset_s,kind\n0.7,0.8,gunshot\n2.0,2.1,gunshot\n",
    )
    .unwrap();
    write_wav(&d.join("quiet.wav"), 16_000, 1.0, &[]);
    let json = d.join("out.json");
    let rep = d.join("rep");
    let o = bin()
        .arg("eval")
        .arg(&d)
        .arg("--json")
        .arg(&json)
        .arg("--report")
        .arg(&rep)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("Event level"), "{stdout}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["recordings"], 2);
    let g = &v["events"]["gunshot"];
    assert_eq!(g["tp"].as_u64().unwrap() + g["fn"].as_u64().unwrap(), 2);
    // Every scored gunshot detection is in the reliability bins (matched or false alarm).
    let scored: u64 = v["reliability"]["gunshot"]["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["detections"].as_u64().unwrap())
        .sum();
    assert_eq!(
        scored,
        g["tp"].as_u64().unwrap() + g["fp"].as_u64().unwrap()
    );
    assert!(scored > 0);
    let html = std::fs::read_to_string(rep.join("index.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("shots.wav"));
    assert!(
        html.contains("Confidence reliability"),
        "reliability diagram"
    );
    assert!(!html.contains("<script"), "self-contained, no scripts");

    let toml = d.join("chosen.toml");
    let o = bin()
        .arg("sweep")
        .arg(&d)
        .args([
            "--param",
            "gunshot.min_decay_db=0..20:3",
            "--max-fa-per-hour",
            "1e9",
        ])
        .arg("--out")
        .arg(&toml)
        .arg("--report")
        .arg(d.join("sweep"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("chosen: point"), "{stdout}");
    let cfg = autotrigger::Config::from_toml_str(&std::fs::read_to_string(&toml).unwrap()).unwrap();
    assert!([0.0, 10.0, 20.0].contains(&cfg.gunshot.min_decay_db));
    assert!(std::fs::read_to_string(d.join("sweep/index.html"))
        .unwrap()
        .contains("<svg"));

    let csv = d.join("f.csv");
    let o = bin()
        .arg("features")
        .arg(d.join("shots.wav"))
        .arg("--csv")
        .arg(&csv)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("t_s,"));
    assert_eq!(text.lines().count(), 1 + 600, "3 s of 5 ms hops");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn bad_arguments_fail_with_a_message() {
    let d = tmpdir("bad");
    write_wav(&d.join("x.wav"), 16_000, 0.5, &[]);
    for args in [
        vec!["sweep", "--param", "gunshot.nope=1..2:2"],
        vec!["sweep", "--param", "gunshot.min_decay_db=1..2"],
        vec!["eval", "--collar=-1"],
    ] {
        let o = bin().args(&args).arg(&d).output().unwrap();
        assert!(!o.status.success(), "{args:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.starts_with("autotrigger: "), "{args:?}: {e}");
    }
    let o = bin()
        .arg("eval")
        .arg(d.join("missing.wav"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.wav"));
    std::fs::remove_dir_all(&d).ok();
}
