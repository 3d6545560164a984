//! Cost of the audit log per record, off the real-time path (the logging task).
//!
//! `cargo bench --bench audit`. A typical decision (a gunshot with its 16 evidence items):
//! - `unsigned_record`: serialize + SHA-256 chain (what every record costs);
//! - `signed_log_per_record`: a signed log with the default checkpoint policy (a signed
//!   checkpoint every 16 records), per decision, checkpoints amortized;
//! - `checkpoint`: one signed checkpoint (serialize + SHA-256 + Ed25519 signature);
//! - `verify_per_record`: `verify_log` of a 1 000-record signed log, per record.

use autotrigger::trigger::audit::{self, AuditLog, SigningKey, VerifyOptions};
use autotrigger::trigger::{Decision, Engine, Policy};
use autotrigger::{Event, EventKind, Evidence, Timestamp};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

/// A gunshot decision with a full set of evidence.
fn decision() -> Decision {
    let policy = Policy::default();
    let mut e = Engine::new(&policy, 16_000).unwrap();
    let mut ev = Evidence::new();
    for (i, name) in [
        "flux",
        "crest_db",
        "rise_ms",
        "decay_db",
        "hf_ratio",
        "peak_dbfs",
        "centroid_hz",
        "flatness",
        "clipped_fraction",
        "band_low",
        "band_mid",
        "band_high",
        "onset_db",
        "tail_ms",
        "snr_db",
        "ratio",
    ]
    .into_iter()
    .enumerate()
    {
        ev.push(name, 1.234_567 * i as f32, Some(0.5 * i as f32));
    }
    e.push_event(&Event {
        kind: EventKind::Gunshot,
        onset: Timestamp::from_millis(970),
        decided: Timestamp::from_millis(1_000),
        confidence: 0.87,
        evidence: ev,
    })
    .unwrap();
    e.poll_decision().unwrap()
}

fn audit_cost(c: &mut Criterion) {
    let d = decision();
    let policy = Policy::default();
    let mut g = c.benchmark_group("audit");
    let mut log = AuditLog::new(&policy);
    g.bench_function("unsigned_record", |b| {
        b.iter(|| black_box(log.record(black_box(&d))));
    });
    let mut out = String::with_capacity(1 << 20);
    let mut log = AuditLog::signed(
        &policy,
        SigningKey::from_bytes(&[1; 32]),
        "bench",
        Timestamp::ZERO,
        &mut out,
    );
    g.bench_function("signed_log_per_record", |b| {
        b.iter(|| {
            if out.len() > 1 << 19 {
                out.clear();
            }
            log.write_decision(black_box(&d), &mut out).unwrap();
        });
    });
    g.bench_function("checkpoint", |b| {
        b.iter(|| {
            if out.len() > 1 << 19 {
                out.clear();
            }
            log.checkpoint(Timestamp::from_millis(1_000), &mut out)
                .unwrap();
        });
    });
    // A 1 000-record signed, sealed log.
    let key = SigningKey::from_bytes(&[2; 32]);
    let public = key.verifying_key();
    let mut text = String::new();
    let mut log = AuditLog::signed(&policy, key, "bench", Timestamp::ZERO, &mut text);
    while log.len() < 999 {
        log.write_decision(&d, &mut text).unwrap();
    }
    log.seal(Timestamp::from_millis(1_000), &mut text).unwrap();
    let n = text.lines().count() as u64;
    g.throughput(criterion::Throughput::Elements(n));
    let opts = VerifyOptions {
        pubkey: Some(&public),
        head: None,
    };
    g.bench_function("verify_per_record", |b| {
        b.iter(|| black_box(audit::verify_log(black_box(&text), &opts).unwrap()));
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = audit_cost
}
criterion_main!(benches);
