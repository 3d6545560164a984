//! A body-worn camera's shift through the gunshot detector: CPU time per hour of shift, the
//! per-10 ms-block time (p50 / p99 / max, and what the worst block did), the share of hops that
//! ran the spectral stage, and a check that the gated front end and the full analysis give
//! identical events over the whole shift.
//!
//! ```text
//! cargo run --release --example shift -- [--hours H] [--rate HZ] [--full-too]
//! cargo run --release --example shift -- --hours 1 --write-wav shift_1h_48k.wav
//! ```
//!
//! The audio is generated deterministically, one minute at a time (so an 8 h shift never sits
//! in memory), with `autotrigger::synth`: minute `k` is rendered from seed `k` whatever the
//! rate. Background: street traffic (half the minutes), indoor ventilation (pink) or wind
//! rumble (brown), -55 to -35 dBFS; speech in 60 % of the minutes (1-6 utterances of 1-5 s,
//! -30 to -15 dBFS); footstep-like knocks in 40 %; now and then a door slam, a clap, keys, a
//! dog or a jackhammer; a gunshot or a burst once an hour (minute 37 of each hour). Without
//! `--full-too` only the gated detector runs (the default configuration); with it, each block
//! also goes through the full analysis and the events are compared at the end. With
//! `--write-wav OUT.wav` it only writes the shift as 16-bit PCM (for a side-by-side run of
//! `autotrigger detect` and `aubioonset`) and exits.

use autotrigger::audio::{GunshotConfig, GunshotDetector};
use autotrigger::synth::audio::{AudioScene, Gunshot, NoiseColor, Sound};
use autotrigger::synth::Rng;
use autotrigger::{Event, StreamingDetector};
use std::time::Instant;

/// Minute `k` of the shift at `rate`.
fn minute(k: u64, rate: u32) -> Vec<f32> {
    let mut rng = Rng::new(0x5151_0000 + k);
    let mut scene = AudioScene::new(rate, 60.0);
    let color = match rng.uniform() {
        u if u < 0.5 => NoiseColor::Street,
        u if u < 0.75 => NoiseColor::Pink,
        _ => NoiseColor::Brown,
    };
    let bg = rng.range(-55.0, -35.0);
    scene.add_noise(color, bg, &mut rng);
    if rng.uniform() < 0.6 {
        let n = 1 + (rng.uniform() * 6.0) as u32;
        for _ in 0..n {
            let t = rng.range(0.0, 55.0);
            let s = Sound::Speech {
                level_dbfs: rng.range(-30.0, -15.0),
                f0_hz: rng.range(100.0, 250.0),
                duration_s: rng.range(1.0, 5.0),
            };
            scene.add(t, &s, &mut rng);
        }
    }
    if rng.uniform() < 0.4 {
        let t = rng.range(0.0, 50.0);
        let s = Sound::Knock {
            level_dbfs: rng.range(-42.0, -30.0),
            count: 4 + (rng.uniform() * 8.0) as u32,
        };
        scene.add(t, &s, &mut rng);
    }
    let rare: [(f64, Sound); 5] = [
        (0.10, Sound::DoorSlam { level_dbfs: -12.0 }),
        (0.05, Sound::Clap { level_dbfs: -15.0 }),
        (0.05, Sound::KeyDrop { level_dbfs: -20.0 }),
        (
            0.05,
            Sound::DogBark {
                level_dbfs: -18.0,
                f0_hz: 600.0,
                barks: 3,
            },
        ),
        (
            0.02,
            Sound::Jackhammer {
                level_dbfs: -15.0,
                rate_hz: 20.0,
                duration_s: 5.0,
            },
        ),
    ];
    for (p, s) in &rare {
        if rng.uniform() < *p {
            let t = rng.range(0.0, 50.0);
            scene.add(t, s, &mut rng);
        }
    }
    if k % 60 == 37 {
        let shot = Gunshot {
            peak_dbfs: rng.range(-12.0, 3.0),
            ..Gunshot::default()
        };
        let s = if (k / 60) % 2 == 0 {
            Sound::Gunshot(shot)
        } else {
            Sound::Burst {
                shot,
                rounds: 5,
                interval_s: 0.1,
            }
        };
        scene.add(30.0, &s, &mut rng);
    }
    scene.finish().0
}

fn main() {
    let mut hours = 8.0f64;
    let mut rate = 48_000u32;
    let mut full_too = false;
    let mut write_wav = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--hours" => hours = args.next().and_then(|v| v.parse().ok()).expect("--hours H"),
            "--rate" => rate = args.next().and_then(|v| v.parse().ok()).expect("--rate HZ"),
            "--full-too" => full_too = true,
            "--write-wav" => write_wav = Some(args.next().expect("--write-wav OUT.wav")),
            other => panic!("unknown argument {other}"),
        }
    }
    let minutes = (hours * 60.0).round() as u64;
    if let Some(out) = write_wav {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&out, spec).expect("create WAV");
        for k in 0..minutes {
            for &s in &minute(k, rate) {
                w.write_sample((s * 32_767.0).round() as i16)
                    .expect("write WAV");
            }
        }
        w.finalize().expect("finish WAV");
        println!("wrote {out}: {minutes} min of shift at {rate} Hz");
        return;
    }
    let cfg = GunshotConfig::default();
    let mut gated = GunshotDetector::new(&cfg, rate).expect("detector");
    let mut full = GunshotDetector::new(
        &GunshotConfig {
            full_analysis: true,
            ..cfg
        },
        rate,
    )
    .expect("detector");
    let block = (rate / 100) as usize;
    let blocks_per_min = 6000usize;
    let mut times_ns: Vec<u64> = Vec::with_capacity(minutes as usize * blocks_per_min);
    let mut full_ns = 0u64;
    let mut ev_gated: Vec<Event> = Vec::new();
    let mut ev_full: Vec<Event> = Vec::new();
    // The worst block: time, minute, block, whether it ran the spectral stage, events out.
    let mut worst = (0u64, 0u64, 0usize, false, 0usize);
    let mut gen_s = 0.0;
    for k in 0..minutes {
        let t = Instant::now();
        let x = minute(k, rate);
        gen_s += t.elapsed().as_secs_f64();
        for (b, chunk) in x.chunks(block).enumerate() {
            let before = gated.spectral_hops().1;
            let n_ev = ev_gated.len();
            let t0 = Instant::now();
            gated.process(chunk, &mut ev_gated).expect("process");
            let ns = t0.elapsed().as_nanos() as u64;
            times_ns.push(ns);
            if ns > worst.0 {
                let spectral = gated.spectral_hops().1 > before;
                worst = (ns, k, b, spectral, ev_gated.len() - n_ev);
            }
            if full_too {
                let t0 = Instant::now();
                full.process(chunk, &mut ev_full).expect("process");
                full_ns += t0.elapsed().as_nanos() as u64;
            }
        }
    }
    let (hops, analysed) = gated.spectral_hops();
    gated.finish(&mut ev_gated);
    full.finish(&mut ev_full);
    let busy_s = times_ns.iter().sum::<u64>() as f64 / 1e9;
    times_ns.sort_unstable();
    let pct = |p: f64| times_ns[((times_ns.len() - 1) as f64 * p).round() as usize] as f64 / 1e3;
    let audio_h = minutes as f64 / 60.0;
    println!(
        "shift: {audio_h} h at {rate} Hz ({minutes} generated minutes, {gen_s:.1} s to generate), \
         {} blocks of 10 ms",
        times_ns.len()
    );
    println!(
        "gated front end: {:.3} s CPU per hour of shift ({:.0}x real time); spectral stage on \
         {analysed} of {hops} hops ({:.2} %); {} events",
        busy_s / audio_h,
        audio_h * 3600.0 / busy_s,
        100.0 * analysed as f64 / hops.max(1) as f64,
        ev_gated.len()
    );
    println!(
        "per block: p50 {:.2} us, p99 {:.2} us, max {:.2} us (minute {}, block {}: {}, {} events out)",
        pct(0.5),
        pct(0.99),
        pct(1.0),
        worst.1,
        worst.2,
        if worst.3 {
            "ran the spectral stage"
        } else {
            "sample stage only"
        },
        worst.4
    );
    if full_too {
        let full_s = full_ns as f64 / 1e9;
        println!(
            "full analysis: {:.3} s CPU per hour of shift ({:.0}x real time); {} events; \
             gated / full time {:.3}",
            full_s / audio_h,
            audio_h * 3600.0 / full_s,
            ev_full.len(),
            busy_s / full_s
        );
        if ev_gated == ev_full {
            println!("events: identical (gated == full)");
        } else {
            println!("events: DIFFER between the gated and the full analysis");
            std::process::exit(1);
        }
    }
    println!(
        "load average: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
