//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;

/// The real development datasets (`../shared/datasets` beside the repository, or
/// `$AUTOTRIGGER_DATASETS`). Returns `None` and prints a loud notice when absent, so a test that
/// needs them reports that it skipped instead of passing silently.
pub fn shared_datasets(test: &str) -> Option<PathBuf> {
    let p = std::env::var_os("AUTOTRIGGER_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"));
    if p.join("audio/MANIFEST.csv").exists() || p.join("imu/MANIFEST.csv").exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED {test}: the shared datasets are absent (looked in {}); set AUTOTRIGGER_DATASETS",
            p.display()
        );
        None
    }
}

/// Feeds `x` to `det` in blocks whose sizes cycle through `sizes`, then finishes: the events
/// of one partition of the stream (for partition-invariance checks).
pub fn run_blocks<D, T>(det: &mut D, x: &[T], sizes: &[usize]) -> Vec<autotrigger::Event>
where
    D: autotrigger::StreamingDetector<Input = T>,
{
    let mut out = Vec::new();
    let (mut i, mut k) = (0, 0);
    while i < x.len() {
        let n = sizes[k % sizes.len()].min(x.len() - i);
        det.process(&x[i..i + n], &mut out).unwrap();
        i += n;
        k += 1;
    }
    det.finish(&mut out);
    out
}
