//! The committed `fixtures/` equal a fresh generation by `examples/gen_fixtures.rs`, byte for
//! byte, and every recording has a readable side-car whose events lie inside the recording.
#![cfg(feature = "io")]

#[allow(dead_code)]
#[path = "../examples/gen_fixtures.rs"]
mod gen_fixtures;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn committed_fixtures_equal_a_fresh_generation() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let fresh = std::env::temp_dir().join(format!("autotrigger-fixtures-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&fresh);
    gen_fixtures::generate(&fresh).unwrap();
    let mut a = files(&committed);
    // `fixtures/policies/` holds hand-written example policies (docs/engine.md), not generated
    // recordings.
    a.retain(|p, _| !p.starts_with("policies"));
    let b = files(&fresh);
    std::fs::remove_dir_all(&fresh).ok();
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "fixture file set differs; run `cargo run --release --example gen_fixtures`"
    );
    for (name, bytes) in &a {
        assert!(
            bytes == &b[name],
            "fixtures/{} differs from a fresh generation; run `cargo run --release --example gen_fixtures`",
            name.display()
        );
    }
    let total: usize = a.values().map(Vec::len).sum();
    assert!(total < 4_500_000, "fixtures grew to {total} bytes");
}

#[test]
fn every_recording_has_consistent_labels() {
    use autotrigger::io::{read_imu_csv, read_labels_for, read_wav};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut seen = 0;
    for (rel, _) in files(&root) {
        let p = root.join(&rel);
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let dur = if name.ends_with(".wav") {
            read_wav(&p).unwrap().duration_us()
        } else if name.ends_with(".csv") && !name.contains(".labels.") && !name.contains(".inputs.")
        {
            read_imu_csv(&p).unwrap().last().unwrap().t.as_micros()
        } else {
            continue;
        };
        let labels = read_labels_for(&p).unwrap();
        for l in &labels {
            assert!(
                l.offset.as_micros() <= dur + 20_000,
                "{name}: {l:?} beyond {dur} us"
            );
        }
        if name.starts_with("gunshots") {
            assert!(labels.iter().any(|l| l.kind == "gunshot"), "{name}");
        }
        if name.starts_with("distractors")
            || name.starts_with("hard_nonfalls")
            || name.starts_with("walk")
        {
            assert!(labels.is_empty(), "{name}: {labels:?}");
        }
        seen += 1;
    }
    assert!(seen >= 13, "{seen}");
}
