//! The trained gunshot second stage on the real dev set (`../shared/datasets/audio`):
//!
//! - `shipped_model_is_reproducible`: retraining with the documented command's settings
//!   (`autotrigger train ../shared/datasets/audio/MANIFEST.csv --out models/gunshot.toml`)
//!   gives `models/gunshot.toml` byte for byte;
//! - `leave_one_source_out`: for each source (`source_repo`), a model fitted on every other
//!   source scores the held-out one at its own threshold. Prints every held-out figure and
//!   asserts per-source floors (counts) set at the measured figures: gunshot clips found at
//!   least, distractor and ambient clips triggering at most.
//!
//! Both skip (loudly) when the datasets are absent (tests/common).

mod common;

use autotrigger::audio::model::BUILTIN_MODEL_TOML;
use autotrigger::eval::corpus;
use autotrigger::eval::train::{self, RecordingCandidates, TrainOptions};
use std::sync::OnceLock;

fn data() -> Option<&'static Vec<RecordingCandidates>> {
    static DATA: OnceLock<Option<Vec<RecordingCandidates>>> = OnceLock::new();
    DATA.get_or_init(|| {
        let root = common::shared_datasets("gunshot_model")?;
        let recs = corpus::collect(&[root.join("audio/MANIFEST.csv")]).expect("manifest");
        Some(train::extract(&recs, &Default::default()).expect("candidates"))
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
        "retraining does not reproduce models/gunshot.toml; rerun\n  cargo run --release -- train \
         ../shared/datasets/audio/MANIFEST.csv --out models/gunshot.toml\nretrained:\n{text}"
    );
}

/// `(class, source_repo, clips, bound)`: gunshot clips found at least `bound`; other classes
/// trigger in at most `bound` clips. Counts of clips (the dataset README's identical-audio
/// pairs count twice here), measured leave-one-source-out with the default settings
/// (2026-12-04: far below the aims, see docs/gunshot.md; these floors only catch a
/// regression of the trained stage).
const FLOORS: [(&str, &str, usize, usize); 12] = [
    ("gunshot", "Alejandro-131004/AC-II", 56, 7),
    ("gunshot", "IBM/MAX-Audio-Classifier", 1, 1),
    ("gunshot", "RosameliaCarioni/gunshot_detection", 61, 2),
    // 0 of 11 held out: no floor to fall below (the gap is reported, not asserted).
    (
        "gunshot",
        "ShotSpotter/research.source-location-shotspotter-audio",
        11,
        0,
    ),
    ("gunshot", "rizki-ap/Gunshot-Locator", 9, 5),
    ("distractor", "Alejandro-131004/AC-II", 32, 3),
    ("distractor", "IBM/MAX-Audio-Classifier", 4, 1),
    ("distractor", "maxschuman/nmf_auditory_scenes", 44, 0),
    ("ambient", "Alejandro-131004/AC-II", 64, 4),
    ("ambient", "IBM/MAX-Audio-Classifier", 5, 0),
    ("ambient", "RosameliaCarioni/gunshot_detection", 61, 0),
    ("ambient", "maxschuman/nmf_auditory_scenes", 22, 0),
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
