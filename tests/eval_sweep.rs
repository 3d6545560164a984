//! Sweeps: feature reuse gives exactly what full re-detection gives; the chosen configuration
//! round-trips; feature matrices equal the detector's own frames.
mod common;

use autotrigger::audio::{FeatureFrame, GunshotConfig, GunshotDetector};
use autotrigger::eval::corpus::{self, Recording, RunOptions};
use autotrigger::eval::features::{feature_matrix, AudioFrames};
use autotrigger::eval::metrics::DEFAULT_COLLAR_US;
use autotrigger::eval::sweep::{self, ParamRange, SweepOptions};
use autotrigger::{Config, StreamingDetector};
use std::path::{Path, PathBuf};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("autotrigger-evals-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Noise with a few impulsive bursts (fast rise, exponential decay) of several levels.
fn signal(rate: u32, secs: f32, bursts: &[(f32, f32)], seed: u64) -> Vec<f32> {
    let n = (rate as f32 * secs) as usize;
    let mut x = seed;
    let mut rnd = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let mut s: Vec<f32> = (0..n).map(|_| 0.003 * rnd()).collect();
    for &(t, amp) in bursts {
        let i0 = (t * rate as f32) as usize;
        for (k, v) in s.iter_mut().enumerate().skip(i0).take(rate as usize / 5) {
            let age = (k - i0) as f32 / rate as f32;
            *v += amp * (-age / 0.02).exp() * rnd();
        }
    }
    s.iter().map(|v| v.clamp(-1.0, 1.0)).collect()
}

fn write_wav(p: &Path, rate: u32, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(p, spec).unwrap();
    for s in samples {
        w.write_sample((s * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

fn synthetic_corpus(d: &Path) -> Vec<Recording> {
    write_wav(
        &d.join("a.wav"),
        16_000,
        &signal(16_000, 3.0, &[(0.6, 1.5), (1.4, 0.3), (2.2, 0.05)], 1),
    );
    std::fs::write(
        d.join("a.labels.csv"),
        "onset_s,offset_s,kind\n0.6,0.7,gunshot\n1.4,1.5,gunshot\n",
    )
    .unwrap();
    write_wav(
        &d.join("b.wav"),
        44_100,
        &signal(44_100, 2.0, &[(0.5, 0.8), (0.9, 0.8)], 2),
    );
    write_wav(&d.join("quiet.wav"), 22_050, &signal(22_050, 1.0, &[], 3));
    corpus::collect(&[d.to_path_buf()]).unwrap()
}

fn real_subset(test: &str) -> Vec<Recording> {
    let Some(ds) = common::shared_datasets(test) else {
        return Vec::new();
    };
    // A few clips of every class keep the test fast.
    let all = corpus::collect(&[ds.join("audio")]).unwrap();
    let mut out = Vec::new();
    for class in ["gunshot", "distractor", "ambient"] {
        out.extend(
            all.iter()
                .filter(|r| r.class.as_deref() == Some(class))
                .step_by(9)
                .cloned(),
        );
    }
    out
}

/// The real-data halves of the tests in this file: without the data they run on the synthetic
/// corpus alone, and this test shows the skip in the summary (`ignored`).
#[test]
#[cfg_attr(
    autotrigger_no_datasets,
    ignore = "needs ../shared/datasets: the real-data halves of this file's tests are skipped"
)]
fn real_data_halves_have_their_data() {
    assert!(!real_subset("real_data_halves_have_their_data").is_empty());
}

#[test]
fn decision_over_cached_frames_equals_full_detector() {
    let d = tmpdir("reuse");
    let mut recs = synthetic_corpus(&d);
    recs.extend(real_subset(
        "decision_over_cached_frames_equals_full_detector",
    ));
    let base = Config::default();
    let grid = sweep::grid(&[
        "gunshot.rise_threshold_db=6..30:3"
            .parse::<ParamRange>()
            .unwrap(),
        "gunshot.min_decay_db=0..20:2".parse().unwrap(),
        "gunshot.min_interval_s=0.05..0.5:2".parse().unwrap(),
    ]);
    let mut total = 0;
    for r in &recs {
        let frames = AudioFrames::compute(r, &base.gunshot);
        for a in &grid {
            let cfg = sweep::apply(&base, a).unwrap();
            let full = corpus::run_one(
                r,
                &RunOptions {
                    config: cfg.clone(),
                    block: 777,
                    trace_points: None,
                },
            );
            let reused = frames.decide(r, &cfg.gunshot);
            assert_eq!(reused, full, "{} at {a:?}", r.name);
            total += full.detections.len();
        }
    }
    assert!(total > 0, "the comparison must involve some detections");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn sweep_with_reuse_equals_sweep_without() {
    let d = tmpdir("sweep");
    let recs = synthetic_corpus(&d);
    let grid = sweep::grid(&[
        "gunshot.flux_threshold_db=2..12:3"
            .parse::<ParamRange>()
            .unwrap(),
        // A feature parameter too: the reuse path must recompute frames for each value.
        "gunshot.floor_rise_s=0.5..2:2".parse().unwrap(),
    ]);
    let mut opts = SweepOptions {
        base: Config::default(),
        collars: DEFAULT_COLLAR_US.into(),
        kind: "gunshot".into(),
        reuse_features: true,
    };
    let a = sweep::run_sweep(&recs, &grid, &opts, &|| {}).unwrap();
    opts.reuse_features = false;
    let b = sweep::run_sweep(&recs, &grid, &opts, &|| {}).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 6);
    assert!(a.iter().any(|p| p.recall.unwrap_or(0.0) > 0.0));
    // The chosen point's configuration round-trips through TOML.
    let i = sweep::choose(&a, None, None).unwrap();
    let cfg = sweep::apply(&opts.base, &a[i].params).unwrap();
    assert_eq!(Config::from_toml_str(&cfg.to_toml_string()).unwrap(), cfg);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn feature_matrix_equals_detector_frames() {
    let rate = 22_050;
    let x = signal(rate, 1.5, &[(0.5, 1.0)], 7);
    let cfg = GunshotConfig::default();
    let m = feature_matrix(&x, rate, &cfg).unwrap();
    // Reference: the detector's own frames, fed in odd block sizes.
    let mut det = GunshotDetector::new(&cfg, rate).unwrap();
    let mut rows: Vec<[f32; FeatureFrame::NAMES.len()]> = Vec::new();
    let mut times = Vec::new();
    let mut ev = Vec::new();
    for b in x.chunks(333) {
        det.process_with_frames(b, &mut ev, |f, _| {
            rows.push(f.values());
            times.push(f.start(rate));
        });
    }
    det.finish(&mut ev);
    assert_eq!(m.values.nrows(), rows.len());
    assert_eq!(m.times, times);
    for (i, r) in rows.iter().enumerate() {
        for (j, v) in r.iter().enumerate() {
            assert_eq!(m.values[[i, j]].to_bits(), v.to_bits(), "row {i} col {j}");
        }
    }
    let csv = m.to_csv();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("t_s,flux_db"), "{header}");
    assert_eq!(lines.count(), rows.len());
    assert!(feature_matrix(&x, 1000, &cfg).is_err(), "unsupported rate");
}

#[test]
fn gait_matrix_tracks_cadence() {
    use autotrigger::eval::features::{imu_gait_matrix, GAIT_NAMES};
    use autotrigger::synth::imu::{ImuScene, Mounting, Timing};
    use autotrigger::synth::Rng;
    let mut scene = ImuScene::new(Rng::new(5));
    scene
        .stand(3.0)
        .walk(15.0, 110.0, 2.0)
        .run(15.0, 170.0, 4.0);
    let (samples, _) = scene.render(100.0, Mounting::aligned(), Timing::Regular);
    let m = imu_gait_matrix(&samples, &Config::default()).unwrap();
    assert_eq!(m.names, GAIT_NAMES);
    assert!(m.values.nrows() > 10, "{} rows", m.values.nrows());
    assert!(m.times.windows(2).all(|w| w[0] < w[1]));
    // The last windows lie in the run: cadence near 170 steps/min.
    let last = m.values.row(m.values.nrows() - 1);
    assert!((last[0] - 170.0).abs() < 15.0, "cadence {}", last[0]);
}
