//! Sensitivity presets change what the engine starts on, on real recordings: the files
//! that trigger at `low` are a subset of those at `medium`, which are a subset of those at
//! `high` (clip level, gunshot and distractor/ambient clips of the dev set).

mod common;

use autotrigger::io::read_wav;
use autotrigger::trigger::{Cause, DecisionKind, Engine, Policy};

fn triggers(policy: &Policy, samples: &[f32], rate: u32) -> bool {
    let mut e = Engine::new(policy, rate).unwrap();
    let mut hit = false;
    for b in samples.chunks((rate / 100) as usize) {
        e.push_audio_f32(b).unwrap();
        while let Some(d) = e.poll_decision() {
            hit |= d.kind == DecisionKind::Start && d.cause == Some(Cause::Gunshot);
        }
    }
    e.finish().unwrap();
    while let Some(d) = e.poll_decision() {
        hit |= d.kind == DecisionKind::Start && d.cause == Some(Cause::Gunshot);
    }
    hit
}

#[test]
#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]
fn gunshot_presets_are_nested_on_the_dev_set() {
    let Some(ds) = common::shared_datasets("gunshot_presets_are_nested_on_the_dev_set") else {
        return;
    };
    let root = ds.join("audio");
    let manifest = std::fs::read_to_string(root.join("MANIFEST.csv")).unwrap();
    let levels = ["low", "medium", "high"];
    let policies: Vec<Policy> = levels
        .iter()
        .map(|l| Policy::from_toml_str(&format!("[sensitivity]\ngunshot = \"{l}\"")).unwrap())
        .collect();
    // (positives found, positives, negatives triggered, negatives) per level.
    let mut tally = [(0, 0, 0, 0); 3];
    for line in manifest.lines().skip(1) {
        let mut cols = line.split(',');
        let (file, class) = (cols.next().unwrap(), cols.next().unwrap());
        let a = read_wav(&root.join(file)).unwrap();
        let hits: Vec<bool> = policies
            .iter()
            .map(|p| triggers(p, &a.samples, a.sample_rate))
            .collect();
        assert!(
            (!hits[0] || hits[1]) && (!hits[1] || hits[2]),
            "{file}: low/medium/high = {hits:?}"
        );
        for (t, h) in tally.iter_mut().zip(&hits) {
            if class == "gunshot" {
                t.0 += usize::from(*h);
                t.1 += 1;
            } else {
                t.2 += usize::from(*h);
                t.3 += 1;
            }
        }
    }
    for (l, t) in levels.iter().zip(&tally) {
        eprintln!(
            "gunshot sensitivity {l:>6}: gunshot clips started {}/{}, other clips started {}/{}",
            t.0, t.1, t.2, t.3
        );
    }
    assert!(
        tally[0].0 + tally[0].2 < tally[2].0 + tally[2].2,
        "{tally:?}"
    );
}
