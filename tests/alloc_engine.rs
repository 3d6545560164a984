//! No allocation after construction in the whole engine (detectors + trigger state machine),
//! proven with a counting global allocator (in `alloc_common`; this file is its own test
//! binary).
//!
//! - three minutes of synthetic audio, IMU (`autotrigger::synth`) and a 10 Hz barometer
//!   (`alloc_common::pressure_scene`) plus external inputs,
//!   interleaved in time order as firmware feeds them, go through `Engine` with zero
//!   allocations while decisions (inputs and detector causes) come out;
//! - the engine's construction footprint per audio sample rate is printed
//!   (`cargo test --release --test alloc_engine -- --nocapture`).

// The counting `#[global_allocator]` in `alloc_common` needs `unsafe impl GlobalAlloc`; it only
// forwards to `System`. Test code, never part of the library.
#![allow(unsafe_code)]

mod alloc_common;

use alloc_common::{audio_scene, imu_scene, measure, pressure_scene};
use autotrigger::trigger::{ButtonAction, Cause, Engine, HolsterState, Input, Policy};
use autotrigger::Timestamp;

/// The external inputs of the engine test: (time s, input).
fn inputs() -> Vec<(Timestamp, Input)> {
    let at = |s: i64| Timestamp::from_millis(s * 1_000);
    vec![
        (at(8), Input::LightBar(true)),
        (at(12), Input::Button(ButtonAction::Press)), // cancel inside the cancel window
        (at(25), Input::Holster(HolsterState::Drawn)),
        (at(40), Input::Holster(HolsterState::Holstered)),
        (at(70), Input::Siren(true)),
        (at(100), Input::Button(ButtonAction::Stop)),
        (at(130), Input::Sleep(true)),
        (at(140), Input::Sleep(false)),
    ]
}

#[test]
fn whole_engine_does_not_allocate_after_construction() {
    const SECS: u32 = 180;
    const IMU_RATE: u32 = 100;
    let policy = Policy::default();
    for rate in [16_000u32, 48_000] {
        let (samples, _) = audio_scene(SECS, rate);
        let imu = imu_scene(SECS, IMU_RATE);
        let pressure = pressure_scene(SECS, 10);
        let inputs = inputs();
        let (engine, _) = measure(|| Engine::new(&policy, rate));
        let mut engine = engine.unwrap();
        let block = (rate / 100) as usize;
        let mut by_cause = [0u32; 32];
        let mut decisions = 0u32;
        let ((), a) = measure(|| {
            let (mut next_imu, mut next_input, mut next_p) = (0, 0, 0);
            for (k, b) in samples.chunks(block).enumerate() {
                // Interleave in time order, as firmware does: IMU samples and inputs up to
                // the end of this audio block, then the block.
                let end = Timestamp::from_samples(((k + 1) * block) as u64, rate);
                let first = next_p;
                while next_p < pressure.len() && pressure[next_p].t <= end {
                    next_p += 1;
                }
                engine.push_pressure(&pressure[first..next_p]).unwrap();
                let first = next_imu;
                while next_imu < imu.len() && imu[next_imu].t <= end {
                    next_imu += 1;
                }
                engine.push_imu(&imu[first..next_imu]).unwrap();
                while next_input < inputs.len() && inputs[next_input].0 <= end {
                    let (t, i) = inputs[next_input];
                    engine.push_input(t, i).unwrap();
                    next_input += 1;
                }
                engine.push_audio_f32(b).unwrap();
                while let Some(d) = engine.poll_decision() {
                    decisions += 1;
                    by_cause[d.cause.map_or(31, |c| c as usize)] += 1;
                }
            }
            engine.finish().unwrap();
            while let Some(d) = engine.poll_decision() {
                decisions += 1;
                by_cause[d.cause.map_or(31, |c| c as usize)] += 1;
            }
            engine.reset();
        });
        assert_eq!(a.count, 0, "engine at {rate} Hz allocated: {a:?}");
        eprintln!("engine {rate} Hz: {decisions} decisions, by cause {by_cause:?}");
        // Inputs and detector causes both went through the state machine.
        assert!(
            decisions as usize >= inputs.len() / 2,
            "{decisions} decisions"
        );
        assert!(
            by_cause[Cause::Gunshot as usize] > 0,
            "no gunshot decision: {by_cause:?}"
        );
    }
}

#[test]
fn whole_engine_footprint_per_sample_rate() {
    let policy = Policy::default();
    eprintln!("| audio rate | Engine heap | Engine inline | total |");
    eprintln!("|---:|---:|---:|---:|");
    for rate in [8_000u32, 16_000, 44_100, 48_000, 96_000] {
        let (e, a) = measure(|| Engine::new(&policy, rate).unwrap());
        let inline = std::mem::size_of_val(&e);
        let total = a.retained as usize + inline;
        eprintln!(
            "| {rate} Hz | {} B | {inline} B | {total} B ({:.1} KiB) |",
            a.retained,
            total as f64 / 1024.0
        );
        assert!(a.retained >= 0);
        if rate <= 48_000 {
            // The target the README states: the whole engine within 64 KiB at every audio
            // rate up to 48 kHz (96 kHz is outside it: longer frames and rings).
            assert!(
                total <= 64 * 1024,
                "engine at {rate} Hz holds {total} B, over the 64 KiB target"
            );
        }
    }
    eprintln!(
        "inline sizes: Event {} B, Decision {} B, Evidence {} B",
        std::mem::size_of::<autotrigger::Event>(),
        std::mem::size_of::<autotrigger::trigger::Decision>(),
        std::mem::size_of::<autotrigger::Evidence>()
    );
}
