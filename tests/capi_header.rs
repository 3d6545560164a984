//! `include/autotrigger.h` is exactly what cbindgen generates from `src/capi.rs` today.
//!
//! Run with `cargo test --release --features capi --test capi_header`; set
//! `AUTOTRIGGER_BLESS=1` to rewrite the committed header after changing the C ABI.
#![cfg(feature = "capi")]

use std::path::Path;

#[test]
fn committed_header_matches_cbindgen() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        // Only the C ABI file: constants elsewhere in the crate are not part of the ABI.
        .with_src(root.join("src/capi.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header")
        .write(&mut generated);
    let generated = String::from_utf8(generated).expect("header is UTF-8");
    let path = root.join("include/autotrigger.h");
    if std::env::var_os("AUTOTRIGGER_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/autotrigger.h");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/autotrigger.h is stale: regenerate it with \
         AUTOTRIGGER_BLESS=1 cargo test --release --features capi --test capi_header"
    );
    // The declarations C programs rely on are all there.
    for item in [
        "at_engine_new",
        "at_engine_free",
        "at_engine_push_audio_f32",
        "at_engine_push_audio_i16",
        "at_engine_push_imu",
        "at_engine_push_pressure",
        "typedef struct AtPressureSample",
        "at_engine_push_input",
        "at_engine_poll_decision",
        "at_last_error",
        "at_engine_set_signing_key",
        "at_engine_report_segment",
        "at_engine_audit_seal",
        "at_engine_audit_line",
        "AT_AUDIT_QUEUE",
        "typedef struct AtDecision",
        "AT_MAX_EVIDENCE",
    ] {
        assert!(generated.contains(item), "header lacks {item}");
    }
}
