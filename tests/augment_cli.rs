//! `autotrigger augment`, run as the built binary: same arguments give the same bytes, the
//! MANIFEST and side-cars are what `eval` reads, sources are tracked, bad arguments exit 2.
use autotrigger::eval::corpus::split_csv;
use autotrigger::io::write_wav_i16;
use autotrigger::synth::audio::{noise, AudioScene, Gunshot, NoiseColor, Sound};
use autotrigger::synth::Rng;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_autotrigger"))
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("autotrigger-aug-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A small dev-set-like corpus: two background sources, one real-style gunshot clip.
fn corpus(dir: &Path) -> PathBuf {
    let mut rng = Rng::new(3);
    std::fs::create_dir_all(dir.join("ambient")).unwrap();
    std::fs::create_dir_all(dir.join("gunshot")).unwrap();
    for (i, (rate, color)) in [(22_050u32, NoiseColor::Street), (8_000, NoiseColor::Pink)]
        .into_iter()
        .enumerate()
    {
        for k in 0..2 {
            let x = noise(color, -35.0, rate as usize * 4, rate, &mut rng);
            let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            write_wav_i16(&dir.join(format!("ambient/bg{i}_{k}.wav")), &x, rate).unwrap();
        }
    }
    let mut scene = AudioScene::new(44_100, 2.0);
    scene.add_noise(NoiseColor::Pink, -50.0, &mut rng);
    scene.add(0.7, &Sound::Gunshot(Gunshot::default()), &mut rng);
    let (x, _) = scene.finish();
    write_wav_i16(&dir.join("gunshot/shot.wav"), &x, 44_100).unwrap();
    let m = dir.join("MANIFEST.csv");
    std::fs::write(
        &m,
        "file,class,subclass,source_repo,source_path,license,sample_rate,duration_s,notes\n\
         ambient/bg0_0.wav,ambient,street,repo/a,x,\"CC BY, test\",22050,4,\n\
         ambient/bg0_1.wav,ambient,street,repo/a,x,CC0,22050,4,\n\
         ambient/bg1_0.wav,ambient,forest,repo/b,x,CC0,8000,4,\n\
         ambient/bg1_1.wav,ambient,forest,repo/b,x,CC0,8000,4,\n\
         gunshot/shot.wav,gunshot,pistol,repo/c,x,CC0,44100,2,\n",
    )
    .unwrap();
    m
}

fn augment(manifest: &Path, out: &Path, seed: &str) -> std::process::Output {
    bin()
        .args(["augment", "--events"])
        .arg(manifest)
        .args(["--synthetic", "3", "--backgrounds"])
        .arg(manifest)
        .args([
            "--ebr=-6,0,6",
            "--distance",
            "1,100",
            "--rate",
            "8000,16000,48000",
            "--ground",
            "0.9",
            "--room-prob",
            "0.3",
            "--duration",
            "6",
            "--count",
            "8",
            "--seed",
            seed,
            "--out",
        ])
        .arg(out)
        .output()
        .unwrap()
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn same_arguments_same_bytes_and_eval_reads_the_output() {
    let d = tmpdir("det");
    let m = corpus(&d.join("corpus"));
    let (a, b, c) = (d.join("a"), d.join("b"), d.join("c"));
    for (out, seed) in [(&a, "5"), (&b, "5"), (&c, "6")] {
        let o = augment(&m, out, seed);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (fa, fb, fc) = (files(&a), files(&b), files(&c));
    assert_eq!(fa.len(), 8 * 2 + 1);
    assert_eq!(fa, fb, "same seed, different bytes");
    assert_ne!(fa, fc, "another seed gave the same output");

    // The manifest: one row per mixture, sources of event and background, labels agree.
    let text = std::fs::read_to_string(a.join("MANIFEST.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let rows: Vec<Vec<String>> = text.lines().skip(1).map(split_csv).collect();
    assert_eq!(rows.len(), 8);
    let mut with_event = 0;
    for r in &rows {
        let bg_repo = &r[col("background_source_repo")];
        assert!(bg_repo == "repo/a" || bg_repo == "repo/b", "{bg_repo}");
        // Every background piece of a mixture comes from the same source.
        let prefix = if bg_repo == "repo/a" {
            "ambient/bg0_"
        } else {
            "ambient/bg1_"
        };
        for f in r[col("background_files")].split(';') {
            assert!(f.starts_with(prefix), "{f} in a {bg_repo} mixture");
        }
        let labels =
            std::fs::read_to_string(a.join(r[col("file")].replace(".wav", ".labels.csv"))).unwrap();
        if r[col("class")] == "gunshot" {
            with_event += 1;
            let ev_repo = &r[col("event_source_repo")];
            assert!(ev_repo == "repo/c" || ev_repo == "synthetic", "{ev_repo}");
            assert_eq!(&r[col("source_repo")], ev_repo);
            let ebr: f64 = r[col("ebr_db")].parse().unwrap();
            assert!(
                [-6.0, 0.0, 6.0].iter().any(|e| (e - ebr).abs() < 0.01),
                "{ebr}"
            );
            let onset = r[col("onsets_s")].split(';').next().unwrap().to_string();
            assert!(
                labels.lines().nth(1).unwrap().starts_with(&onset),
                "{labels}"
            );
        } else {
            assert_eq!(labels, "onset_s,offset_s,kind\n");
            assert_eq!(&r[col("source_repo")], bg_repo);
        }
        assert!(["8000", "16000", "48000"].contains(&r[col("sample_rate")].as_str()));
        let wav = autotrigger::io::read_wav(&a.join(&r[col("file")])).unwrap();
        assert_eq!(wav.samples.len(), 6 * wav.sample_rate as usize);
    }
    assert!(
        with_event > 0 && with_event < 8,
        "{with_event} of 8 with an event"
    );

    // `eval` scores the mixtures at event level from the side-cars.
    let o = bin()
        .arg("eval")
        .arg(a.join("MANIFEST.csv"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("Event level (8 recordings with known onsets)"),
        "{out}"
    );
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn bad_arguments_exit_2() {
    let d = tmpdir("bad");
    let m = corpus(&d.join("corpus"));
    for extra in [
        &["--ebr=50"][..],
        &["--rate", "100"],
        &["--distance", "0"],
        &["--event-prob", "2"],
        &["--count", "0"],
    ] {
        let mut cmd = bin();
        cmd.args(["augment", "--backgrounds"])
            .arg(&m)
            .args(["--synthetic", "1", "--out"]);
        cmd.arg(d.join("o"));
        if !extra.contains(&"--count") {
            cmd.args(["--count", "1"]);
        }
        let o = cmd.args(extra).output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(2),
            "{extra:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("out of range")
                || String::from_utf8_lossy(&o.stderr).contains("--count")
        );
    }
    // No event clips but events asked for: a runtime error naming the cause.
    let o = bin()
        .args(["augment", "--backgrounds"])
        .arg(&m)
        .args(["--count", "1", "--out"])
        .arg(d.join("o"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no event clips"));
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn spreading_sets_the_level_from_the_distance() {
    let d = tmpdir("spread");
    let m = corpus(&d.join("corpus"));
    let out = d.join("o");
    let o = bin()
        .args(["augment", "--synthetic", "2", "--backgrounds"])
        .arg(&m)
        .args([
            "--spreading",
            "--distance",
            "10",
            "--rate",
            "48000",
            "--event-prob",
            "1",
            "--duration",
            "4",
            "--count",
            "3",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(out.join("MANIFEST.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    for line in text.lines().skip(1) {
        let r = autotrigger::eval::corpus::split_csv(line);
        // Synthetic shots peak at -3 dBFS at 1 m; 10 m of spreading is -20 dB (9 m of air
        // takes well under 1 dB off the peak).
        let peak: f64 = r[col("event_peak_dbfs")].parse().unwrap();
        assert!((peak + 23.0).abs() < 1.0, "{peak}");
        assert_eq!(r[col("distance_m")], "10");
    }
    std::fs::remove_dir_all(&d).ok();
}
