//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;

/// The real development datasets (`../shared/datasets` beside the repository, or
/// `$AUTOTRIGGER_DATASETS`), for the test named `test`.
///
/// No silent skips. A test that needs them carries
/// `#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]`: `build.rs` sets
/// that cfg when they are absent and `CI` is not set, so the summary counts the test as
/// `ignored`, with the reason. When they are absent and this runs anyway: with `CI` set it
/// panics naming the data and where it looked; otherwise (`--include-ignored`, or a test whose
/// real-data part is optional) it writes a `SKIPPED` notice past the harness's output capture,
/// so that it shows, and returns `None`.
pub fn shared_datasets(test: &str) -> Option<PathBuf> {
    let p = std::env::var_os("AUTOTRIGGER_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets"));
    if p.join("audio/MANIFEST.csv").exists() || p.join("imu/MANIFEST.csv").exists() {
        return Some(p);
    }
    let msg = format!(
        "{test} needs the shared development datasets (audio/MANIFEST.csv or imu/MANIFEST.csv \
         under {}); set AUTOTRIGGER_DATASETS to their directory",
        p.display()
    );
    if ci() {
        panic!("{msg}");
    }
    use std::io::Write;
    // `eprintln!` is captured (and hidden) by the harness; the raw handle is not.
    let _ = writeln!(std::io::stderr(), "SKIPPED {msg}");
    None
}

/// `CI` set to anything but empty, `0` or `false` (as CI runners and `.ci/run` set it).
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE"))
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
