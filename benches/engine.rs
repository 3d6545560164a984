//! Per-block cost of the whole engine (gunshot + IMU detectors + the trigger state machine).
//!
//! `cargo bench --bench engine`. One iteration = 10 ms of stream: one 10 ms audio block and
//! one IMU sample (100 Hz), then polling every decision, as firmware would.

mod common;

use autotrigger::trigger::{Engine, Policy};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

fn engine_per_10ms(c: &mut Criterion) {
    let policy = Policy::default();
    let imu_rate = 100;
    let cycle = common::imu_accel(imu_rate);
    let mut g = c.benchmark_group("engine_10ms_block");
    for rate in [16_000u32, 48_000] {
        let signal = common::audio(20.0, rate);
        let block = (rate / 100) as usize;
        let mut engine = Engine::new(&policy, rate).unwrap();
        let mut pos = 0;
        let mut i = 0u64;
        g.throughput(Throughput::Elements(block as u64));
        g.bench_function(format!("{rate}Hz"), |b| {
            b.iter(|| {
                if pos + block > signal.len() {
                    pos = 0;
                }
                engine
                    .push_audio_f32(black_box(&signal[pos..pos + block]))
                    .unwrap();
                pos += block;
                engine
                    .push_imu(&[common::imu_sample(&cycle, imu_rate, i)])
                    .unwrap();
                i += 1;
                while let Some(d) = engine.poll_decision() {
                    black_box(d);
                }
            });
        });
    }
    g.finish();
}

criterion_group!(benches, engine_per_10ms);
criterion_main!(benches);
