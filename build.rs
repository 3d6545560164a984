//! Test support only (nothing here changes the library): tells the dataset tests whether the
//! shared development datasets (`../shared/datasets` beside the crate, or
//! `$AUTOTRIGGER_DATASETS`) are present, so that without them those tests show as `ignored`
//! (with the reason) in `cargo test`'s summary instead of a bare `ok`. With `CI` set they are
//! never ignored: they run and fail, naming the missing data (see `tests/common/mod.rs`).

use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(autotrigger_no_datasets)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=AUTOTRIGGER_DATASETS");
    let root = std::env::var_os("AUTOTRIGGER_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default())
                .join("../shared/datasets")
        });
    let manifests: Vec<PathBuf> = ["audio", "imu"]
        .iter()
        .map(|d| root.join(d).join("MANIFEST.csv"))
        .filter(|p| p.exists())
        .collect();
    // Present: rebuild when they go away. Absent: nothing to watch (a missing path would rerun
    // this script, and rebuild the crate, on every build); data installed later is picked up
    // when `AUTOTRIGGER_DATASETS` changes or after `touch build.rs`.
    for m in &manifests {
        println!("cargo::rerun-if-changed={}", m.display());
    }
    if manifests.is_empty() {
        // Only without the data does `CI` matter (declaring it otherwise would rebuild the crate
        // whenever `.ci/run` and a plain `cargo test` alternate).
        println!("cargo::rerun-if-env-changed=CI");
        if !ci() {
            println!("cargo::rustc-cfg=autotrigger_no_datasets");
        }
    }
}

/// `CI` set to anything but empty, `0` or `false` (as CI runners and `.ci/run` set it).
fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE"))
}
