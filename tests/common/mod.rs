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
