//! Per-block processing time of the real-time path, as firmware would see it.
//!
//! ```text
//! cargo run --release --example block_timing -- [FILE.wav] [--minutes M] [--rate HZ] [--gunshot-only [--full]]
//! cargo run --release --example block_timing -- --minutes 30 --write-wav long.wav
//! ```
//! Streams the WAV (or, without one, M minutes (default 10) of `autotrigger::synth` audio at
//! 48 kHz: street noise, a gunshot every 10 s at levels from clipped to distant, and a
//! distractor (clap, door slam, knock, speech) between shots) in 10 ms blocks through the whole engine (or only
//! the gunshot detector), timing every block, and prints p50 / p99 / max per-block time and the
//! real-time factor (audio duration / processing time). With `--gunshot-only` it also prints
//! the share of hops that ran the spectral stage (the gated front end, the default), or runs
//! the full analysis on every hop with `--full` (`gunshot.full_analysis = true`).
//!
//! `--write-wav OUT.wav` only writes the synthetic signal (16-bit PCM mono) and exits: that is
//! how `scripts/bench_vs_aubio.sh` makes its long test file.

use autotrigger::audio::GunshotDetector;
use autotrigger::detector::EventQueue;
use autotrigger::trigger::{Engine, Policy};
use autotrigger::{Config, StreamingDetector};
use std::time::Instant;

fn main() {
    let mut file = None;
    let mut minutes = 10.0f64;
    let mut rate = 48_000u32;
    let mut gunshot_only = false;
    let mut full = false;
    let mut write_wav = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--minutes" => {
                minutes = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--minutes M")
            }
            "--rate" => rate = args.next().and_then(|v| v.parse().ok()).expect("--rate HZ"),
            "--gunshot-only" => gunshot_only = true,
            "--full" => full = true,
            "--write-wav" => write_wav = Some(args.next().expect("--write-wav OUT.wav")),
            _ => file = Some(a),
        }
    }
    let (samples, rate, what) = match &file {
        Some(path) => {
            let a = autotrigger::io::read_wav(std::path::Path::new(path)).unwrap_or_else(|e| {
                eprintln!("block_timing: {e}");
                std::process::exit(1)
            });
            (a.samples, a.sample_rate, path.clone())
        }
        None => (
            synthetic(minutes * 60.0, rate),
            rate,
            format!("{minutes} min synthetic audio"),
        ),
    };
    if let Some(out) = write_wav {
        write_pcm16(&out, &samples, rate);
        println!(
            "wrote {out}: {what}, {} samples at {rate} Hz",
            samples.len()
        );
        return;
    }
    let block = (rate / 100) as usize;
    let n_blocks = samples.len().div_ceil(block);
    // Allocated before the timed loop: the loop itself must not allocate.
    let mut times_ns: Vec<u64> = Vec::with_capacity(n_blocks);
    let mut events = 0u64;
    let mut spectral = None;
    let total = Instant::now();
    if gunshot_only {
        let mut cfg = Config::default().gunshot;
        cfg.full_analysis = full;
        let mut det = GunshotDetector::new(&cfg, rate).expect("detector");
        let mut q: EventQueue<16> = EventQueue::new();
        for b in samples.chunks(block) {
            let t0 = Instant::now();
            det.process(b, &mut q).expect("process");
            while q.pop().is_some() {
                events += 1;
            }
            times_ns.push(t0.elapsed().as_nanos() as u64);
        }
        spectral = Some(det.spectral_hops());
    } else {
        let mut engine = Engine::new(&Policy::default(), rate).expect("engine");
        for b in samples.chunks(block) {
            let t0 = Instant::now();
            engine.push_audio_f32(b).expect("push");
            while engine.poll_decision().is_some() {
                events += 1;
            }
            times_ns.push(t0.elapsed().as_nanos() as u64);
        }
    }
    let elapsed = total.elapsed().as_secs_f64();
    let busy_s = times_ns.iter().sum::<u64>() as f64 / 1e9;
    times_ns.sort_unstable();
    let pct = |p: f64| times_ns[((times_ns.len() - 1) as f64 * p).round() as usize] as f64 / 1e3;
    let audio_s = samples.len() as f64 / f64::from(rate);
    println!(
        "{what}: {audio_s:.0} s at {rate} Hz, {} blocks of 10 ms through the {}",
        times_ns.len(),
        if !gunshot_only {
            "whole engine"
        } else if full {
            "gunshot detector (full analysis)"
        } else {
            "gunshot detector (gated front end)"
        }
    );
    if let Some((hops, analysed)) = spectral {
        println!(
            "spectral stage: {analysed} of {hops} hops ({:.2} %)",
            100.0 * analysed as f64 / hops.max(1) as f64
        );
    }
    println!(
        "per block: p50 {:.2} us, p99 {:.2} us, max {:.2} us (budget 10000 us)",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    println!(
        "real-time factor: {:.0}x ({busy_s:.3} s processing, {elapsed:.3} s wall, for {audio_s:.0} s); \
         from the median block: {:.0}x; {events} {} out",
        audio_s / busy_s,
        10_000.0 / pct(0.5),
        if gunshot_only { "events" } else { "decisions" }
    );
}

fn write_pcm16(path: &str, samples: &[f32], rate: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create WAV");
    for &s in samples {
        // Round to the nearest 16-bit step; the signal is already within full scale.
        w.write_sample((s * 32_767.0).round() as i16)
            .expect("write WAV");
    }
    w.finalize().expect("finish WAV");
}

/// `secs` of synthetic audio (see the module docs).
fn synthetic(secs: f64, rate: u32) -> Vec<f32> {
    use autotrigger::synth::audio::{AudioScene, Gunshot, NoiseColor, Sound};
    use autotrigger::synth::Rng;
    let mut rng = Rng::new(0xB10C);
    let mut scene = AudioScene::new(rate, secs);
    scene.add_noise(NoiseColor::Street, -45.0, &mut rng);
    let levels = [3.0, -6.0, -15.0, -24.0];
    let distractors = [
        Sound::Clap { level_dbfs: -12.0 },
        Sound::DoorSlam { level_dbfs: -10.0 },
        Sound::Knock {
            level_dbfs: -14.0,
            count: 3,
        },
        Sound::Speech {
            level_dbfs: -20.0,
            f0_hz: 150.0,
            duration_s: 2.0,
        },
    ];
    let mut t = 2.0;
    let mut i = 0;
    while t + 5.0 < secs {
        let shot = Gunshot {
            peak_dbfs: levels[i % levels.len()],
            ..Gunshot::default()
        };
        scene.add(t, &Sound::Gunshot(shot), &mut rng);
        scene.add(t + 5.0, &distractors[i % distractors.len()], &mut rng);
        t += 10.0;
        i += 1;
    }
    scene.finish().0
}
