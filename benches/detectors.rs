//! Per-block cost of the detectors on the real-time path.
//!
//! `cargo bench --bench detectors`. Throughput is in samples, so criterion's `elem/s` divided
//! by the sample rate is the real-time factor (BENCHMARKS.md does that arithmetic).

mod common;

use autotrigger::audio::GunshotDetector;
use autotrigger::detector::EventQueue;
use autotrigger::imu::ImuDetectors;
use autotrigger::{Config, StreamingDetector};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

/// Audio front end + gunshot detector, one 5 ms hop per iteration, at 8, 16 and 48 kHz: the
/// gated front end (the default, `{rate}Hz`) and the full analysis on every hop
/// (`{rate}Hz_full`, `gunshot.full_analysis = true`).
fn gunshot_per_hop(c: &mut Criterion) {
    let config = Config::default();
    let mut g = c.benchmark_group("gunshot_5ms_block");
    for (rate, full) in [8_000u32, 16_000, 48_000]
        .into_iter()
        .flat_map(|r| [(r, false), (r, true)])
    {
        let signal = common::audio(20.0, rate);
        let hop = (rate / 200) as usize;
        let mut cfg = config.gunshot.clone();
        cfg.full_analysis = full;
        let mut det = GunshotDetector::new(&cfg, rate).unwrap();
        let mut q: EventQueue<16> = EventQueue::new();
        let mut pos = 0;
        g.throughput(Throughput::Elements(hop as u64));
        let name = if full {
            format!("{rate}Hz_full")
        } else {
            format!("{rate}Hz")
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                if pos + hop > signal.len() {
                    pos = 0;
                }
                det.process(black_box(&signal[pos..pos + hop]), &mut q)
                    .unwrap();
                pos += hop;
                while let Some(e) = q.pop() {
                    black_box(e);
                }
            });
        });
    }
    g.finish();
}

/// Every IMU detector (orientation, running, fall/officer-down, tap), one sample per
/// iteration, at 100 Hz.
fn imu_per_sample(c: &mut Criterion) {
    let config = Config::default();
    let rate = 100;
    let cycle = common::imu_accel(rate);
    let mut det = ImuDetectors::new(&config).unwrap();
    let mut q: EventQueue<16> = EventQueue::new();
    let mut i = 0u64;
    let mut g = c.benchmark_group("imu");
    g.throughput(Throughput::Elements(1));
    g.bench_function("per_sample_100Hz", |b| {
        b.iter(|| {
            let s = common::imu_sample(&cycle, rate, i);
            i += 1;
            det.process(black_box(&[s]), &mut q).unwrap();
            while let Some(e) = q.pop() {
                black_box(e);
            }
        });
    });
    g.finish();
}

criterion_group!(benches, gunshot_per_hop, imu_per_sample);
criterion_main!(benches);
