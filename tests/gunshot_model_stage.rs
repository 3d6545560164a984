//! The trained gunshot stage (`gunshot.stage = "model"`) as a streaming detector, and
//! `autotrigger train`'s bad-input handling (no datasets needed):
//!
//! - no allocation after construction (counting allocator, minutes of synthetic audio at 16
//!   and 48 kHz), with candidates actually scored;
//! - the same events for any block partition;
//! - every event's evidence holds every model feature with its contribution, the score and the
//!   probability with their thresholds; contributions and bias sum to the score; the
//!   confidence is the probability;
//! - `train::fit` says which examples are missing; `autotrigger train` exits non-zero naming
//!   unreadable files and a manifest without negatives.

// The counting `#[global_allocator]` in `alloc_common` needs `unsafe impl GlobalAlloc`; it only
// forwards to `System`. Test code, never part of the library.
#![allow(unsafe_code)]

mod alloc_common;

use alloc_common::{audio_scene, measure};
use autotrigger::audio::model::{logit, MODEL_FEATURES, N_FEATURES};
use autotrigger::audio::{GunshotConfig, GunshotDetector, GunshotModel, GunshotStage};
use autotrigger::detector::EventQueue;
use autotrigger::eval::corpus::{Modality, Recording};
use autotrigger::eval::metrics::ClipTruth;
use autotrigger::eval::train::{self, RecordingCandidates, TrainError, TrainOptions};
use autotrigger::{Event, StreamingDetector};
use std::path::PathBuf;
use std::process::Command;

fn model_cfg(min_probability: f64) -> GunshotConfig {
    GunshotConfig {
        stage: GunshotStage::Model,
        min_probability,
        ..GunshotConfig::default()
    }
}

#[test]
fn model_stage_does_not_allocate_after_construction() {
    for rate in [16_000u32, 48_000] {
        let (samples, n_loud) = audio_scene(120, rate);
        // A low threshold, so that the loop surely emits events (scoring and emitting are
        // both exercised).
        let (det, _) = measure(|| GunshotDetector::new(&model_cfg(0.01), rate));
        let mut det = det.unwrap();
        let mut q: EventQueue<64> = EventQueue::new();
        let mut n = 0usize;
        let ((), a) = measure(|| {
            for b in samples.chunks((rate / 100) as usize) {
                det.process(b, &mut q).unwrap();
                while q.pop().is_some() {
                    n += 1;
                }
            }
            det.finish(&mut q);
            while q.pop().is_some() {
                n += 1;
            }
        });
        assert_eq!(a.count, 0, "model stage at {rate} Hz allocated: {a:?}");
        assert!(
            n >= n_loud,
            "{n} events for {n_loud} loud shots at {rate} Hz"
        );
    }
}

fn run(det: &mut GunshotDetector, x: &[f32], block: usize) -> Vec<Event> {
    let mut out = Vec::new();
    for b in x.chunks(block) {
        det.process(b, &mut out).unwrap();
    }
    det.finish(&mut out);
    out
}

#[test]
fn model_stage_is_partition_invariant_and_explains_itself() {
    let rate = 16_000;
    let (x, _) = audio_scene(20, rate);
    let mut det = GunshotDetector::new(&model_cfg(0.01), rate).unwrap();
    let a = run(&mut det, &x, 160);
    assert!(!a.is_empty());
    for block in [1usize, 97, 4096] {
        assert_eq!(run(&mut det, &x, block), a, "block {block}");
    }
    let m = GunshotModel::builtin();
    for e in &a {
        let items = e.evidence.items();
        assert_eq!(items.len(), N_FEATURES + 2);
        let mut sum = m.bias;
        for (it, name) in items.iter().zip(MODEL_FEATURES) {
            assert_eq!(it.name, name);
            sum += it.contribution.expect("contribution");
        }
        let score = e.evidence.get("score").unwrap();
        assert!((score.value - sum).abs() < 1e-3, "{} vs {sum}", score.value);
        assert!((score.threshold.unwrap() - logit(0.01)).abs() < 1e-4);
        let p = e.evidence.get("probability").unwrap();
        assert_eq!(p.threshold, Some(0.01));
        assert!(p.value >= 0.01);
        assert_eq!(e.confidence, p.value);
        // Decided at the end of the decay window (no extension on this stage).
        assert!(e.latency_us() <= det.latency_us(), "{}", e.latency_us());
    }
    assert!(det.latency_us() <= 305_000);
    // The model's own threshold is stricter than 0.01: fewer or the same events.
    let mut strict = GunshotDetector::new(&model_cfg(0.0), rate).unwrap();
    assert!(run(&mut strict, &x, 160).len() <= a.len());
}

fn rec(name: &str, positive: bool, class: &str) -> Recording {
    Recording {
        path: PathBuf::from(name),
        name: name.into(),
        modality: Modality::Audio,
        class: Some(class.into()),
        subclass: None,
        groups: vec![("source_repo".into(), "s".into())],
        clip: Some(if positive {
            ClipTruth::Positive("gunshot".into())
        } else {
            ClipTruth::Negative
        }),
        labels: None,
        kinds: vec!["gunshot"],
    }
}

fn cands(name: &str, positive: bool, class: &str, xs: &[f32]) -> RecordingCandidates {
    RecordingCandidates {
        recording: rec(name, positive, class),
        duration_us: 4_000_000,
        candidates: xs.iter().map(|v| [*v; N_FEATURES]).collect(),
        onsets_us: xs.iter().map(|_| 100_000).collect(),
        label_onsets_us: None,
    }
}

#[test]
fn fit_says_which_examples_are_missing() {
    let opts = TrainOptions::default();
    let only_pos = vec![
        cands("a", true, "gunshot", &[3.0]),
        cands("b", false, "ambient", &[]),
    ];
    assert_eq!(
        train::fit(&only_pos, |_| true, &opts).unwrap_err(),
        TrainError::NoNegatives { clips: 1 }
    );
    let only_neg = vec![
        cands("a", true, "gunshot", &[]),
        cands("b", false, "ambient", &[1.0]),
    ];
    assert_eq!(
        train::fit(&only_neg, |_| true, &opts).unwrap_err(),
        TrainError::NoPositives { clips: 1 }
    );
    // Separable data: positives score above negatives, and the same inputs give the same
    // bytes.
    let data = vec![
        cands("a", true, "gunshot", &[3.0, -1.0]),
        cands("b", true, "gunshot", &[2.5]),
        cands("c", false, "ambient", &[-1.0, -0.5]),
        cands("d", false, "distractor", &[0.0]),
    ];
    let (m, sum) = train::fit(&data, |_| true, &opts).unwrap();
    assert_eq!(sum.positives, 2);
    assert_eq!(sum.negatives, 3);
    assert!(m.probability(&[3.0; N_FEATURES]) > m.probability(&[-1.0; N_FEATURES]));
    let (m2, _) = train::fit(&data, |_| true, &opts).unwrap();
    assert_eq!(m.to_toml(&[]), m2.to_toml(&[]));
    assert_eq!(GunshotModel::from_toml_str(&m.to_toml(&[])).unwrap(), m);
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("autotrigger-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write_wav(p: &std::path::Path, with_shot: bool) {
    let rate = 16_000;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(p, spec).unwrap();
    let mut seed = 7u32;
    for i in 0..rate {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
        let t = i as f32;
        let shot = if with_shot && i >= 8000 {
            0.9 * (-(t - 8000.0) / 64.0).exp()
        } else {
            0.0
        };
        w.write_sample(((0.002 + shot) * noise * 32767.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

#[test]
fn train_cli_names_bad_inputs_and_fails() {
    let bin = env!("CARGO_BIN_EXE_autotrigger");
    let d = tmpdir("train-bad");
    let header = "file,class,subclass,source_repo\n";
    // Unreadable: a listed file that does not exist.
    std::fs::write(
        d.join("MANIFEST.csv"),
        format!("{header}gunshot/missing.wav,gunshot,x,src\n"),
    )
    .unwrap();
    let o = Command::new(bin)
        .args(["train", d.join("MANIFEST.csv").to_str().unwrap(), "--out"])
        .arg(d.join("m.toml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("could not be read") && err.contains("missing.wav"),
        "{err}"
    );
    assert!(!d.join("m.toml").exists());
    // No negatives: only a gunshot clip.
    std::fs::create_dir_all(d.join("gunshot")).unwrap();
    write_wav(&d.join("gunshot/a.wav"), true);
    std::fs::write(
        d.join("MANIFEST.csv"),
        format!("{header}gunshot/a.wav,gunshot,x,src\n"),
    )
    .unwrap();
    let o = Command::new(bin)
        .args(["train", d.join("MANIFEST.csv").to_str().unwrap(), "--out"])
        .arg(d.join("m.toml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("no negative examples"), "{err}");
}

/// A recording of `source` (and, for an augmented scene, its event's and background's
/// sources) with candidates `(onset_us, rise_db)` and, when given, labelled gunshot onsets.
fn scene(
    source: &str,
    aug: Option<(&str, &str)>,
    positive: bool,
    class: &str,
    cands_at: &[(i64, f32)],
    onsets: Option<&[i64]>,
) -> RecordingCandidates {
    let mut r = rec(source, positive, class);
    r.groups = vec![("source_repo".into(), source.into())];
    if let Some((ev, bg)) = aug {
        r.groups.push(("event_source_repo".into(), ev.into()));
        r.groups.push(("background_source_repo".into(), bg.into()));
    }
    RecordingCandidates {
        recording: r,
        duration_us: 4_000_000,
        candidates: cands_at.iter().map(|&(_, v)| [v; N_FEATURES]).collect(),
        onsets_us: cands_at.iter().map(|&(t, _)| t).collect(),
        label_onsets_us: onsets.map(<[i64]>::to_vec),
    }
}

#[test]
fn labelled_onsets_give_positives_negatives_and_unused_candidates() {
    let r = scene(
        "a",
        Some(("a", "b")),
        true,
        "gunshot",
        &[
            (500_000, 9.0),    // 0.5 s before the shot: a negative
            (960_000, 30.0),   // within 50 ms, but a smaller rise than the next
            (1_020_000, 40.0), // the positive: the largest rise within 50 ms
            (1_600_000, 35.0), // the excerpt's tail: not used
            (2_200_000, 12.0), // after the excerpt: a negative
        ],
        Some(&[1_000_000]),
    );
    assert_eq!(
        r.roles(),
        vec![Some(false), None, Some(true), None, Some(false)]
    );
    // A labelled onset with no candidate near it gives no positive; a negative clip
    // without onsets gives only negatives; a dev gunshot clip leaves the choice to the fit.
    let missed = scene(
        "a",
        None,
        true,
        "gunshot",
        &[(3_000_000, 20.0)],
        Some(&[1_000_000]),
    );
    assert_eq!(missed.roles(), vec![Some(false)]);
    let neg = scene("b", None, false, "ambient", &[(1, 5.0), (2, 6.0)], None);
    assert_eq!(neg.roles(), vec![Some(false), Some(false)]);
    let dev = scene("a", None, true, "gunshot", &[(1, 5.0)], None);
    assert_eq!(dev.roles(), vec![None]);
    assert!(r.augmented() && !dev.augmented());
    assert!(r.depends_on("source_repo", "a") && r.depends_on("source_repo", "b"));
    assert!(!r.depends_on("source_repo", "c") && !dev.depends_on("source_repo", "b"));
}

#[test]
fn leave_one_source_out_drops_augmented_scenes_of_the_held_out_source() {
    let opts = TrainOptions::default();
    // Dev clips: source A gunshots without candidates, sources B and C ambient; the only
    // positive example is an augmented scene with A's event in C's background.
    let data = vec![
        scene("A", None, true, "gunshot", &[], None),
        scene("B", None, false, "ambient", &[(100_000, 1.0)], Some(&[])),
        scene("C", None, false, "ambient", &[(100_000, 2.0)], Some(&[])),
        scene(
            "A",
            Some(("A", "C")),
            true,
            "gunshot",
            &[(1_000_000, 30.0), (3_000_000, 1.5)],
            Some(&[1_000_000]),
        ),
    ];
    let folds = train::leave_one_group_out(&data, "source_repo", &opts);
    let names: Vec<&str> = folds.iter().map(|f| f.group.as_str()).collect();
    assert_eq!(names, ["A", "B", "C"]);
    let fold = |g: &str| folds.iter().find(|f| f.group == g).unwrap();
    // Holding out A or C must drop the scene (it holds A's shot in C's background): no
    // positive example is left. Holding out B keeps it, and scores only B's dev clip.
    // (Holding out C, A's dev clip, without a candidate, is the one gunshot clip left.)
    for (g, clips) in [("A", 0), ("C", 1)] {
        assert_eq!(
            fold(g).error.as_deref(),
            Some(TrainError::NoPositives { clips }.to_string().as_str()),
            "{g}"
        );
    }
    let b = fold("B");
    assert!(b.error.is_none(), "{:?}", b.error);
    assert_eq!(b.classes.len(), 1);
    assert_eq!(b.classes["ambient"].clips, 1);
}
