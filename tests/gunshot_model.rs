//! The trained gunshot second stage on the real dev set (`../shared/datasets/audio`) plus the
//! augmented scenes the shipped model is trained on (`autotrigger augment` with the arguments
//! of `models/gunshot.augment.args`, rendered into a temporary folder):
//!
//! - `shipped_model_is_reproducible`: retraining as `scripts/train_gunshot_model.sh` does
//!   gives `models/gunshot.toml` byte for byte;
//! - `leave_one_source_out`: for each source (`source_repo`), a model fitted on everything
//!   that does not hold audio of that source (dev clips of other sources, augmented scenes
//!   whose event and background both come from other sources) scores the held-out source's
//!   dev clips at its own threshold. Prints every held-out figure and asserts per-source
//!   floors (counts) set at the measured figures: gunshot clips found at least, distractor
//!   and ambient clips triggering at most.
//!
//! Both skip (loudly) when the datasets are absent (tests/common).

mod common;

use autotrigger::audio::model::BUILTIN_MODEL_TOML;
use autotrigger::eval::corpus;
use autotrigger::eval::train::{self, RecordingCandidates, TrainOptions};
use std::process::Command;
use std::sync::OnceLock;

fn data() -> Option<&'static Vec<RecordingCandidates>> {
    static DATA: OnceLock<Option<Vec<RecordingCandidates>>> = OnceLock::new();
    DATA.get_or_init(|| {
        let root = common::shared_datasets("gunshot_model")?;
        let manifest = root.join("audio/MANIFEST.csv");
        let aug =
            std::env::temp_dir().join(format!("autotrigger_gunshot_model_{}", std::process::id()));
        let args: Vec<&str> = include_str!("../models/gunshot.augment.args")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        let status = Command::new(env!("CARGO_BIN_EXE_autotrigger"))
            .arg("augment")
            .arg("--events")
            .arg(&manifest)
            .arg("--backgrounds")
            .arg(&manifest)
            .args(&args)
            .arg("--out")
            .arg(&aug)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run autotrigger augment");
        assert!(status.success(), "autotrigger augment failed: {status}");
        let recs = corpus::collect(&[manifest, aug.join("MANIFEST.csv")]).expect("manifests");
        let data = train::extract(&recs, &Default::default()).expect("candidates");
        let _ = std::fs::remove_dir_all(&aug);
        Some(data)
    })
    .as_ref()
}

#[test]
#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]
fn shipped_model_is_reproducible() {
    let Some(data) = data() else { return };
    let opts = TrainOptions::default();
    let (model, sum) = train::fit(data, |_| true, &opts).expect("fit");
    let text = model.to_toml(&train::model_header(data, &sum, &opts));
    assert!(
        text == BUILTIN_MODEL_TOML,
        "retraining does not reproduce models/gunshot.toml; rerun\n  \
         scripts/train_gunshot_model.sh\nretrained:\n{text}"
    );
}

/// `(class, source_repo, clips, bound)`: gunshot clips found at least `bound`; other classes
/// trigger in at most `bound` clips. Counts of clips (the dataset README's identical-audio
/// pairs count twice here), measured leave-one-source-out with the default settings on the
/// dev set plus the augmented scenes (2026-12-05: far below the aims, see
/// docs/gunshot.md; these floors only catch a regression of the trained stage). Before the
/// augmented scenes (dev set only) the held-out figures were 15/138 found, 4/80 distractor
/// and 4/152 ambient clips triggering; with them 21/138, 12/80 and 13/152: the held-out
/// office source (DCASE, isolated speech, coughs, knocks) is unlike anything else.
const FLOORS: [(&str, &str, usize, usize); 12] = [
    ("gunshot", "Alejandro-131004/AC-II", 56, 11),
    ("gunshot", "IBM/MAX-Audio-Classifier", 1, 1),
    ("gunshot", "RosameliaCarioni/gunshot_detection", 61, 2),
    (
        "gunshot",
        "ShotSpotter/research.source-location-shotspotter-audio",
        11,
        1,
    ),
    ("gunshot", "rizki-ap/Gunshot-Locator", 9, 6),
    ("distractor", "Alejandro-131004/AC-II", 32, 1),
    ("distractor", "IBM/MAX-Audio-Classifier", 4, 1),
    ("distractor", "maxschuman/nmf_auditory_scenes", 44, 10),
    ("ambient", "Alejandro-131004/AC-II", 64, 2),
    ("ambient", "IBM/MAX-Audio-Classifier", 5, 0),
    ("ambient", "RosameliaCarioni/gunshot_detection", 61, 0),
    ("ambient", "maxschuman/nmf_auditory_scenes", 22, 11),
];

#[test]
#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]
fn leave_one_source_out() {
    let Some(data) = data() else { return };
    let folds = train::leave_one_group_out(data, "source_repo", &TrainOptions::default());
    print!("{}", train::held_out_table(&folds));
    let mut failures = Vec::new();
    for f in &folds {
        assert!(f.error.is_none(), "{}: {:?}", f.group, f.error);
        for (class, x) in &f.classes {
            let Some(&(_, _, clips, bound)) = FLOORS
                .iter()
                .find(|(c, s, _, _)| c == class && *s == f.group)
            else {
                failures.push(format!("{class} / {}: no floor set", f.group));
                continue;
            };
            if x.clips != clips {
                failures.push(format!(
                    "{class} / {}: {} clips, floor set on {clips}",
                    f.group, x.clips
                ));
            }
            if class == "gunshot" && x.with_detection < bound {
                failures.push(format!(
                    "{class} / {}: {} of {} found, floor {bound}",
                    f.group, x.with_detection, x.clips
                ));
            }
            if class != "gunshot" && x.with_detection > bound {
                failures.push(format!(
                    "{class} / {}: {} of {} trigger, ceiling {bound}",
                    f.group, x.with_detection, x.clips
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
