//! Drives the trigger engine the way camera firmware would.
//!
//! - A DMA-like loop delivers 10 ms blocks of 16-bit audio at 16 kHz.
//! - An interrupt-like loop delivers IMU samples at 100 Hz.
//! - The holster sensor reports a draw (with a contact bounce) at 5 s.
//! - A muzzle-blast-like impulse (clipped, broadband, fast decay) arrives at 8 s.
//! - After every push the firmware polls decisions; a lower-priority task turns them into
//!   audit records (the only part that allocates, off the real-time path).
//!
//! Run: `cargo run --release --example firmware_loop`

use autotrigger::imu::ImuSample;
use autotrigger::trigger::audit::AuditLog;
use autotrigger::trigger::{Decision, DecisionKind, Engine, HolsterState, Input, Policy};
use autotrigger::Timestamp;

const AUDIO_RATE: u32 = 16_000;
const BLOCK: usize = 160; // 10 ms
const IMU_PERIOD_US: i64 = 10_000; // 100 Hz
const RUN_S: i64 = 20;

/// A tiny deterministic noise source (no dependency, no allocation).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// Fills one DMA block: background noise, plus a clipped impulse with a 20 ms decay at 8 s.
fn dma_block(first_sample: u64, noise: &mut Lcg, out: &mut [i16; BLOCK]) {
    let shot = 8 * AUDIO_RATE as u64;
    for (i, s) in out.iter_mut().enumerate() {
        let n = first_sample + i as u64;
        let mut x = 0.01 * noise.next();
        if n >= shot {
            let t = (n - shot) as f32 / AUDIO_RATE as f32;
            x += 4.0 * (-t / 0.02).exp() * noise.next();
        }
        *s = (x.clamp(-1.0, 1.0) * 32_767.0) as i16;
    }
}

/// One IMU sample: upright, gravity on z, a little sensor noise.
fn imu_sample(t_us: i64, noise: &mut Lcg) -> ImuSample {
    ImuSample {
        t: Timestamp(t_us),
        accel: [
            0.05 * noise.next(),
            0.05 * noise.next(),
            9.81 + 0.05 * noise.next(),
        ],
        gyro: Some([
            0.01 * noise.next(),
            0.01 * noise.next(),
            0.01 * noise.next(),
        ]),
    }
}

/// The lower-priority task: audit and act. Here it prints; a camera would start the encoder
/// from `keep_from`, raise alerts, and append the audit line to flash.
fn handle(d: &Decision, log: &mut AuditLog) {
    let line = log.record(d);
    println!(
        "{:>8.3} s  {:<18} cause={:<13} state={:<13} keep_from={:.3} s",
        d.at.as_secs_f64(),
        d.kind.as_str(),
        d.cause.map_or("-", |c| c.as_str()),
        d.state.as_str(),
        d.keep_from.as_secs_f64(),
    );
    if d.kind == DecisionKind::Start {
        println!(
            "            evidence: {}",
            serde_json::to_string(&d.evidence).unwrap_or_default()
        );
        println!(
            "            audit:    {} bytes, hash {}",
            line.len(),
            log.head()
        );
    }
}

fn main() {
    let policy = Policy::default();
    let mut engine = match Engine::new(&policy, AUDIO_RATE) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("bad policy: {e}");
            std::process::exit(2);
        }
    };
    let mut log = AuditLog::new(&policy);
    let mut noise = Lcg(0x5eed);
    let mut block = [0i16; BLOCK];
    let mut samples_done = 0u64;
    let mut next_imu_us = 0i64;
    // (time, input) edges from the holster GPIO: a 60 ms contact bounce, then a real draw.
    let holster = [
        (4_900_000, Input::Holster(HolsterState::Drawn)),
        (4_960_000, Input::Holster(HolsterState::Holstered)),
        (5_000_000, Input::Holster(HolsterState::Drawn)),
    ];
    let mut next_edge = 0;

    while samples_done < RUN_S as u64 * AUDIO_RATE as u64 {
        // DMA complete: one 10 ms block.
        dma_block(samples_done, &mut noise, &mut block);
        let block_end_us =
            Timestamp::from_samples(samples_done + BLOCK as u64, AUDIO_RATE).as_micros();
        // GPIO interrupts that happened during this block.
        while next_edge < holster.len() && holster[next_edge].0 < block_end_us {
            let (t, input) = holster[next_edge];
            if let Err(e) = engine.push_input(Timestamp(t), input) {
                eprintln!("input rejected: {e}");
            }
            next_edge += 1;
        }
        // IMU interrupts that happened during this block (one sample at a time, as an ISR
        // would hand them over).
        while next_imu_us < block_end_us {
            let s = imu_sample(next_imu_us, &mut noise);
            if let Err(e) = engine.push_imu(&[s]) {
                eprintln!("IMU sample rejected: {e}");
            }
            next_imu_us += IMU_PERIOD_US;
        }
        if let Err(e) = engine.push_audio_i16(&block) {
            eprintln!("audio block rejected: {e}");
        }
        samples_done += BLOCK as u64;
        // Poll: decisions are Copy structs; the audit task may run later.
        while let Some(d) = engine.poll_decision() {
            handle(&d, &mut log);
        }
    }
    if let Err(e) = engine.finish() {
        eprintln!("{e}");
    }
    while let Some(d) = engine.poll_decision() {
        handle(&d, &mut log);
    }
    println!(
        "final state: {}, causes: {:?}, audit records: {}, head {}",
        engine.state().as_str(),
        engine
            .recording_causes()
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>(),
        log.len(),
        log.head()
    );
}
