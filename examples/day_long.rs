//! A day-long stream through the trigger engine: 24 hours of synthetic audio (8 kHz by default)
//! and IMU (50 Hz), fed as firmware would feed them (10 ms audio blocks, IMU in irregular FIFO
//! bursts of 1-9 samples, external inputs between blocks), with scripted events every 20
//! minutes: a gunshot, a holster draw, a run, a fall; the officer stops each recording with
//! the record button.
//!
//! It checks, and exits non-zero when one fails:
//! - **no drift**: input decisions land exactly on the injected times (in microseconds) in the
//!   last hour as in the first; detector onsets keep the same offset from the injected event
//!   all day;
//! - **no growth**: zero allocations from the end of construction to the end of the day
//!   on the streaming thread (a counting global allocator with a per-thread count);
//! - **determinism**: the SHA-256 of every decision is identical over two runs.
//!
//! ```text
//! cargo run --release --example day_long                       # 24 h, 8 kHz audio, 50 Hz IMU
//! cargo run --release --example day_long -- --hours 1 --rate 16000 --imu-rate 100
//! ```
#![allow(dead_code)] // also compiled as a module of tests/robust_day_long.rs

use autotrigger::imu::ImuSample;
use autotrigger::trigger::{
    ButtonAction, Cause, Decision, DecisionKind, Engine, HolsterState, Input, Policy,
};
use autotrigger::Timestamp;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

#[path = "../tests/robust_support/alloc.rs"]
mod alloc;
#[path = "../tests/robust_support/signals.rs"]
mod signals;
use signals::{Activity, Rng};

#[global_allocator]
static A: alloc::Counting = alloc::Counting;

/// What to simulate.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Simulated hours.
    pub hours: u32,
    /// Audio sample rate, Hz.
    pub audio_rate: u32,
    /// IMU sample rate, Hz.
    pub imu_rate: u32,
}

/// One episode every 20 minutes; offsets within it, seconds.
const EPISODE_S: u64 = 1200;
const SHOT_AT: u64 = 100;
const STOP_AFTER_SHOT: u64 = 200;
const DRAW_AT: u64 = 400;
const HOLSTER_AT: u64 = 410;
const STOP_AFTER_DRAW: u64 = 500;
const RUN_AT: u64 = 700;
const RUN_S: u64 = 40;
const STOP_AFTER_RUN: u64 = 900;
const FALL_AT: u64 = 1000;
const LIE_S: u64 = 60;
const STOP_AFTER_FALL: u64 = 1150;

/// The IMU activity at IMU sample time `t_us` within the day, and seconds into it.
fn activity(t_us: i64) -> (Activity, f32) {
    let in_ep = t_us.rem_euclid(EPISODE_S as i64 * 1_000_000);
    let s = |x: u64| x as i64 * 1_000_000;
    let since = |x: u64| (in_ep - s(x)) as f32 / 1e6;
    if in_ep >= s(RUN_AT) && in_ep < s(RUN_AT + RUN_S) {
        (Activity::Run, since(RUN_AT))
    } else if in_ep >= s(FALL_AT) && in_ep < s(FALL_AT + 1) {
        (Activity::Fall, since(FALL_AT))
    } else if in_ep >= s(FALL_AT + 1) && in_ep < s(FALL_AT + 1 + LIE_S) {
        (Activity::Lie, since(FALL_AT + 1))
    } else {
        (Activity::Stand, 0.0)
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct Report {
    /// Decisions made.
    pub decisions: usize,
    /// SHA-256 over every decision (all fields, evidence included).
    pub hash: [u8; 32],
    /// Allocations from the end of construction to the end of the stream.
    pub allocations: usize,
    /// Push calls that returned an error.
    pub errors: usize,
    /// Starts caused by each scripted cause, and the spread (max - min, microseconds) of
    /// `onset - injected time` over the day, and the first such offset.
    pub starts: Vec<(Cause, usize, i64, i64)>,
    /// Problems found (empty = every check passed).
    pub problems: Vec<String>,
    /// Wall time of the stream (construction excluded).
    pub wall: Duration,
}

fn hash_decision(h: &mut Sha256, d: &Decision) {
    h.update(d.seq.to_le_bytes());
    h.update(d.at.as_micros().to_le_bytes());
    h.update(d.onset.as_micros().to_le_bytes());
    h.update(d.keep_from.as_micros().to_le_bytes());
    h.update(d.kind.as_str().as_bytes());
    h.update(d.cause.map_or("-", |c| c.as_str()).as_bytes());
    h.update(d.state.as_str().as_bytes());
    h.update(d.confidence.to_bits().to_le_bytes());
    for it in d.evidence.items() {
        h.update(it.name.as_bytes());
        h.update(it.value.to_bits().to_le_bytes());
        h.update(it.threshold.map_or(u32::MAX, f32::to_bits).to_le_bytes());
    }
}

/// Streams `p.hours` hours through a fresh engine and checks the result.
pub fn run(p: Params) -> Report {
    let policy = Policy::default();
    let mut engine = Engine::new(&policy, p.audio_rate).expect("default policy builds");
    let block_len = (p.audio_rate / 100) as usize; // 10 ms
    let total_blocks = p.hours as u64 * 3600 * 100;
    let episodes = p.hours as usize * 3;
    let mut decisions: Vec<Decision> = Vec::with_capacity(episodes * 16 + 64);
    let mut block = vec![0f32; block_len];
    let mut burst = [ImuSample {
        t: Timestamp::ZERO,
        accel: [0.0; 3],
        gyro: None,
    }; 9];
    let mut hasher = Sha256::new();
    let mut bg = Rng::new(1);
    let mut shot_rng = Rng::new(2);
    let mut imu_rng = Rng::new(3);
    let amp = 10f32.powf(-50.0 / 20.0) * 3f32.sqrt(); // -50 dBFS white noise
    let shot_len = (signals::SHOT_S * p.audio_rate as f32) as u64;
    let ep_samples = EPISODE_S * p.audio_rate as u64;
    let mut imu_next: u64 = 0; // index of the next IMU sample to generate
    let mut burst_k: usize = 0;
    let mut errors = 0usize;

    let allocs_before = alloc::thread_calls();
    let start = Instant::now();
    for b in 0..total_blocks {
        let s0 = b * block_len as u64; // first audio sample of this block
        let t0 = Timestamp::from_samples(s0, p.audio_rate);
        let t1 = Timestamp::from_samples(s0 + block_len as u64, p.audio_rate);
        // External inputs that happen within this block, before its audio.
        let ep = s0 / ep_samples;
        let ep_t = |x: u64| Timestamp::from_micros(((ep * EPISODE_S + x) * 1_000_000) as i64);
        let inputs = [
            (ep_t(STOP_AFTER_SHOT), Input::Button(ButtonAction::Press)),
            (ep_t(DRAW_AT), Input::Holster(HolsterState::Drawn)),
            (ep_t(HOLSTER_AT), Input::Holster(HolsterState::Holstered)),
            (ep_t(STOP_AFTER_DRAW), Input::Button(ButtonAction::Press)),
            (ep_t(STOP_AFTER_RUN), Input::Button(ButtonAction::Press)),
            (ep_t(STOP_AFTER_FALL), Input::Button(ButtonAction::Press)),
        ];
        for (t, input) in inputs {
            if t >= t0 && t < t1 && engine.push_input(t, input).is_err() {
                errors += 1;
            }
        }
        // Audio: the background restarts from the same seed 5 s before each shot, so every
        // shot meets the same signal and its detected onset must keep the same offset.
        let shot0 = ep * ep_samples + SHOT_AT * p.audio_rate as u64;
        for (i, x) in block.iter_mut().enumerate() {
            let n = s0 + i as u64;
            if n + 5 * p.audio_rate as u64 == shot0 {
                bg = Rng::new(1);
            }
            if n == shot0 {
                shot_rng = Rng::new(2);
            }
            let mut v = amp * bg.sym();
            if n >= shot0 && n < shot0 + shot_len {
                v += signals::shot_sample((n - shot0) as usize, p.audio_rate, 4.0, &mut shot_rng);
            }
            *x = v.clamp(-1.0, 1.0);
        }
        if engine.push_audio_f32(&block).is_err() {
            errors += 1;
        }
        // IMU: samples up to the end of this block arrive in bursts of 1..=9.
        loop {
            let want = 1 + (burst_k * 5) % 9;
            let last_t = Timestamp::from_samples(imu_next + want as u64 - 1, p.imu_rate);
            if last_t >= t1 {
                break;
            }
            for (k, slot) in burst[..want].iter_mut().enumerate() {
                let t = Timestamp::from_samples(imu_next + k as u64, p.imu_rate);
                // Every episode's IMU signal is the same, sample for sample, so each scripted
                // event must be detected at the same offset from its injected time.
                if t.as_micros() % (EPISODE_S as i64 * 1_000_000) == 0 {
                    imu_rng = Rng::new(3);
                }
                let (a, secs) = activity(t.as_micros());
                let (acc, gyr) = signals::accel_at(a, secs, &mut imu_rng);
                *slot = ImuSample {
                    t,
                    accel: signals::mount(acc),
                    gyro: Some(signals::mount(gyr)),
                };
            }
            if engine.push_imu(&burst[..want]).is_err() {
                errors += 1;
            }
            imu_next += want as u64;
            burst_k += 1;
        }
        while let Some(d) = engine.poll_decision() {
            hash_decision(&mut hasher, &d);
            decisions.push(d);
        }
    }
    if engine.finish().is_err() {
        errors += 1;
    }
    while let Some(d) = engine.poll_decision() {
        hash_decision(&mut hasher, &d);
        decisions.push(d);
    }
    let wall = start.elapsed();
    let allocations = alloc::thread_calls() - allocs_before;

    // ---- checks (allocation allowed from here on) ----
    let mut problems = Vec::new();
    let ep_us = |e: usize, x: u64| ((e as u64 * EPISODE_S + x) * 1_000_000) as i64;
    let mut starts = Vec::new();
    for (cause, at) in [
        (Cause::Gunshot, SHOT_AT),
        (Cause::HolsterDraw, DRAW_AT),
        (Cause::Running, RUN_AT),
        (Cause::Fall, FALL_AT),
    ] {
        let offs: Vec<i64> = decisions
            .iter()
            .filter(|d| d.kind == DecisionKind::Start && d.cause == Some(cause))
            .map(|d| {
                let e = (d.onset.as_micros() / (EPISODE_S as i64 * 1_000_000)) as usize;
                d.onset.as_micros() - ep_us(e, at)
            })
            .collect();
        let (lo, hi) = (
            offs.iter().copied().min().unwrap_or(0),
            offs.iter().copied().max().unwrap_or(0),
        );
        if offs.len() != episodes {
            problems.push(format!(
                "{}: {} starts for {episodes} episodes",
                cause.as_str(),
                offs.len()
            ));
        }
        starts.push((
            cause,
            offs.len(),
            hi - lo,
            offs.first().copied().unwrap_or(0),
        ));
    }
    // Inputs are exact: the draw's onset is the injected time and its decision comes exactly
    // one debounce later, in the last hour as in the first.
    let debounce_us = (policy.debounce_s * 1e6).round() as i64;
    for d in decisions
        .iter()
        .filter(|d| d.cause == Some(Cause::HolsterDraw) && d.kind == DecisionKind::Start)
    {
        let e = (d.onset.as_micros() / (EPISODE_S as i64 * 1_000_000)) as usize;
        if d.onset.as_micros() != ep_us(e, DRAW_AT)
            || d.at.as_micros() != ep_us(e, DRAW_AT) + debounce_us
        {
            problems.push(format!("holster draw in episode {e} drifted: {d:?}"));
        }
    }
    for d in decisions.iter().filter(|d| d.kind == DecisionKind::Stop) {
        let us = d.at.as_micros();
        let in_ep = (us % (EPISODE_S as i64 * 1_000_000)) / 1_000_000;
        let exact = us % 1_000_000 == 0
            && [
                STOP_AFTER_SHOT,
                STOP_AFTER_DRAW,
                STOP_AFTER_RUN,
                STOP_AFTER_FALL,
            ]
            .contains(&(in_ep as u64));
        if !exact {
            problems.push(format!("stop not at a button time: {d:?}"));
        }
    }
    // Detector onsets keep one offset all day (identical scripted signal each episode).
    for &(cause, _, spread, _) in &starts {
        // Every episode's signal is identical, so any spread would be drift (or state that
        // leaks from one episode into the next).
        let tol = 0;
        if spread > tol {
            problems.push(format!(
                "{}: onset offset varies by {spread} us over the day (allowed {tol})",
                cause.as_str()
            ));
        }
    }
    if allocations != 0 {
        problems.push(format!("{allocations} allocations after construction"));
    }
    if errors != 0 {
        problems.push(format!("{errors} push errors"));
    }
    Report {
        decisions: decisions.len(),
        hash: hasher.finalize().into(),
        allocations,
        errors,
        starts,
        problems,
        wall,
    }
}

fn arg(args: &[String], name: &str, default: u32) -> u32 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a whole number"))
        .unwrap_or(default)
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let p = Params {
        hours: arg(&args, "--hours", 24),
        audio_rate: arg(&args, "--rate", 8_000),
        imu_rate: arg(&args, "--imu-rate", 50),
    };
    println!(
        "day_long: {} h, audio {} Hz in 10 ms blocks, IMU {} Hz in bursts of 1-9",
        p.hours, p.audio_rate, p.imu_rate
    );
    let a = run(p);
    let b = run(p);
    let hex = |h: &[u8; 32]| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
    for (i, r) in [&a, &b].iter().enumerate() {
        println!(
            "run {}: {} decisions, {} allocations after construction, {} errors, wall {:.1} s ({:.0}x real time), sha256 {}",
            i + 1,
            r.decisions,
            r.allocations,
            r.errors,
            r.wall.as_secs_f64(),
            p.hours as f64 * 3600.0 / r.wall.as_secs_f64(),
            hex(&r.hash)
        );
    }
    for (cause, n, spread, first) in &a.starts {
        println!(
            "  {:<12} {n} starts, onset - injected = {first} us, spread over the day {spread} us",
            cause.as_str()
        );
    }
    let mut problems = a.problems.clone();
    if a.hash != b.hash {
        problems.push("the two runs' decisions differ".into());
    }
    if problems.is_empty() {
        println!("OK: no drift, no allocation, identical runs");
        std::process::ExitCode::SUCCESS
    } else {
        for p in &problems {
            println!("FAIL: {p}");
        }
        std::process::ExitCode::FAILURE
    }
}
