//! Regenerates the bundled `fixtures/` from the physical models in `autotrigger::synth`.
//!
//! ```text
//! cargo run --release --example gen_fixtures            # rewrites ./fixtures
//! cargo run --release --example gen_fixtures -- OUTDIR  # writes elsewhere
//! ```
//!
//! Deterministic: every file has its own fixed seed, so the output is byte-identical from run
//! to run (a test, `tests/synth_fixtures.rs`, regenerates into a temporary directory and
//! compares). Every recording gets a `NAME.labels.csv` side-car computed from the generators'
//! own event times.
//!
//! Contents (see `fixtures/README.md`, written by this program):
//! - audio (16-bit mono WAV): gunshots at several levels and distances over noise at 8, 16 and
//!   44.1 kHz, a burst of automatic fire at 48 kHz, a clipped near shot, and distractors
//!   (claps, door slams, knocks, keys, speech-like voice, jackhammer, dog barks) at 16 and
//!   8 kHz;
//! - IMU CSV (`t_s,ax,ay,az,gx,gy,gz`): walking, running, falls with and without officer-down,
//!   hard non-falls, taps with irregular timestamps, at 50-200 Hz with different mountings;
//! - `incident/`: a 56 s incident (audio 16 kHz, IMU 100 Hz, external inputs).

use autotrigger::synth::audio::{AudioScene, Gunshot, NWave, NoiseColor, Reverb, Sound};
use autotrigger::synth::imu::{imu_csv, FallDirection, ImuScene, Mounting, Timing};
use autotrigger::synth::{labels_csv, Rng, SynthEvent};
use std::error::Error;
use std::path::Path;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn write_audio(dir: &Path, name: &str, scene: AudioScene) -> Result<()> {
    let rate = scene.sample_rate();
    let (x, ev) = scene.finish();
    autotrigger::io::write_wav_i16(&dir.join(format!("{name}.wav")), &x, rate)?;
    std::fs::write(dir.join(format!("{name}.labels.csv")), labels_csv(&ev))?;
    Ok(())
}

fn write_imu(
    dir: &Path,
    name: &str,
    samples: &[autotrigger::imu::ImuSample],
    ev: &[SynthEvent],
) -> Result<()> {
    std::fs::write(dir.join(format!("{name}.csv")), imu_csv(samples))?;
    std::fs::write(dir.join(format!("{name}.labels.csv")), labels_csv(ev))?;
    Ok(())
}

fn shot(peak_dbfs: f64, lowpass_hz: Option<f64>) -> Sound {
    Sound::Gunshot(Gunshot {
        peak_dbfs,
        lowpass_hz,
        ..Gunshot::default()
    })
}

/// Shots at several distances over street noise, 16 kHz.
fn gunshots_16k(dir: &Path) -> Result<()> {
    let mut rng = Rng::new(0x16_000);
    let mut s = AudioScene::new(16_000, 8.0);
    s.add_noise(NoiseColor::Street, -45.0, &mut rng);
    s.set_reverb(
        &Reverb {
            rt60_s: 0.8,
            direct_to_reverb_db: 3.0,
            ..Reverb::default()
        },
        &mut rng,
    );
    // ~10 m, line of sight; ~50 m (air absorption); ~100 m behind a building; and a close
    // pistol shot that just reaches full scale.
    s.add(1.0, &shot(-6.0, None), &mut rng);
    s.add(3.0, &shot(-18.0, Some(3000.0)), &mut rng);
    s.add(5.0, &shot(-28.0, Some(1500.0)), &mut rng);
    s.add(6.8, &shot(0.0, None), &mut rng);
    write_audio(dir, "gunshots_16k", s)
}

/// A rifle shot with its supersonic N-wave and a clipped near shot, 44.1 kHz.
fn gunshots_44k(dir: &Path) -> Result<()> {
    let mut rng = Rng::new(0x44_100);
    let mut s = AudioScene::new(44_100, 3.0);
    s.add_noise(NoiseColor::Pink, -55.0, &mut rng);
    s.set_reverb(&Reverb::default(), &mut rng);
    s.add(
        0.6,
        &Sound::Gunshot(Gunshot {
            peak_dbfs: -10.0,
            positive_phase_s: 0.003,
            n_wave: Some(NWave {
                lead_s: 0.006,
                duration_s: 0.0004,
                peak_dbfs: -14.0,
            }),
            ..Gunshot::default()
        }),
        &mut rng,
    );
    // The officer's own weapon: +15 dBFS at the microphone, clipped.
    s.add(
        1.9,
        &Sound::Gunshot(Gunshot {
            peak_dbfs: 15.0,
            rise_s: 0.0001,
            ..Gunshot::default()
        }),
        &mut rng,
    );
    write_audio(dir, "gunshots_44k", s)
}

/// Automatic fire: 7 rounds 100 ms apart, 48 kHz, in a reverberant garage.
fn burst_48k(dir: &Path) -> Result<()> {
    let mut rng = Rng::new(0x48_000);
    let mut s = AudioScene::new(48_000, 2.5);
    s.add_noise(NoiseColor::Brown, -50.0, &mut rng);
    s.set_reverb(
        &Reverb {
            rt60_s: 1.5,
            direct_to_reverb_db: 0.0,
            predelay_s: 0.015,
            lowpass_hz: 4000.0,
        },
        &mut rng,
    );
    s.add(
        0.5,
        &Sound::Burst {
            shot: Gunshot {
                peak_dbfs: -4.0,
                ..Gunshot::default()
            },
            rounds: 7,
            interval_s: 0.1,
        },
        &mut rng,
    );
    write_audio(dir, "gunshots_auto_48k", s)
}

/// Narrowband (8 kHz) recording: two shots over white noise.
fn gunshots_8k(dir: &Path) -> Result<()> {
    let mut rng = Rng::new(0x8_000);
    let mut s = AudioScene::new(8_000, 4.0);
    s.add_noise(NoiseColor::White, -48.0, &mut rng);
    s.add(1.0, &shot(-8.0, None), &mut rng);
    s.add(2.7, &shot(-20.0, Some(2000.0)), &mut rng);
    write_audio(dir, "gunshots_8k", s)
}

/// Every distractor, indoors, 16 kHz; no labelled events.
fn distractors_16k(dir: &Path) -> Result<()> {
    let mut rng = Rng::new(0xD_1516);
    let mut s = AudioScene::new(16_000, 12.0);
    s.add_noise(NoiseColor::Pink, -50.0, &mut rng);
    s.set_reverb(&Reverb::default(), &mut rng);
    s.add(0.5, &Sound::Clap { level_dbfs: -12.0 }, &mut rng);
    s.add(0.9, &Sound::Clap { level_dbfs: -10.0 }, &mut rng);
    s.add(1.5, &Sound::DoorSlam { level_dbfs: -4.0 }, &mut rng);
    s.add(
        3.0,
        &Sound::Knock {
            level_dbfs: -10.0,
            count: 3,
        },
        &mut rng,
    );
    s.add(4.5, &Sound::KeyDrop { level_dbfs: -10.0 }, &mut rng);
    s.add(
        5.8,
        &Sound::Speech {
            level_dbfs: -8.0,
            f0_hz: 120.0,
            duration_s: 2.0,
        },
        &mut rng,
    );
    s.add(
        7.9,
        &Sound::Speech {
            level_dbfs: -6.0,
            f0_hz: 220.0,
            duration_s: 1.2,
        },
        &mut rng,
    );
    s.add(
        9.2,
        &Sound::Jackhammer {
            level_dbfs: -6.0,
            rate_hz: 20.0,
            duration_s: 1.2,
        },
        &mut rng,
    );
    s.add(
        10.6,
        &Sound::DogBark {
            level_dbfs: -6.0,
            f0_hz: 550.0,
            barks: 3,
        },
        &mut rng,
    );
    write_audio(dir, "distractors_16k", s)
}

/// Loud impulsive distractors outdoors at 8 kHz (a door slam and claps near full scale).
fn distractors_8k(dir: &Path) -> Result<()> {
    let mut rng = Rng::new(0xD_1508);
    let mut s = AudioScene::new(8_000, 6.0);
    s.add_noise(NoiseColor::Street, -40.0, &mut rng);
    s.add(0.8, &Sound::DoorSlam { level_dbfs: -1.0 }, &mut rng);
    s.add(2.2, &Sound::Clap { level_dbfs: -3.0 }, &mut rng);
    s.add(
        3.0,
        &Sound::Knock {
            level_dbfs: -3.0,
            count: 4,
        },
        &mut rng,
    );
    s.add(4.6, &Sound::KeyDrop { level_dbfs: -6.0 }, &mut rng);
    write_audio(dir, "distractors_8k", s)
}

fn imu_files(dir: &Path) -> Result<()> {
    // Walking on a chest mount tilted 10 degrees, 50 Hz.
    let mut s = ImuScene::new(Rng::new(0x1_0001));
    s.stand(3.0).walk(14.0, 110.0, 2.0).stand(3.0);
    let (x, ev) = s.render(
        50.0,
        Mounting::from_euler_deg(10.0, 0.0, 0.0),
        Timing::Regular,
    );
    write_imu(dir, "walk_50hz", &x, &ev)?;

    // Walk, foot pursuit, walk; shoulder mount (pitched and turned), 100 Hz.
    let mut s = ImuScene::new(Rng::new(0x1_0002));
    s.stand(2.0)
        .walk(6.0, 115.0, 1.9)
        .run(14.0, 165.0, 4.5)
        .walk(5.0, 105.0, 1.8)
        .stand(2.0);
    let (x, ev) = s.render(
        100.0,
        Mounting::from_euler_deg(0.0, 20.0, 90.0),
        Timing::Regular,
    );
    write_imu(dir, "run_100hz", &x, &ev)?;

    // Fall forward, lying 33 s (officer down); camera upside down on the belt, 50 Hz.
    let mut s = ImuScene::new(Rng::new(0x1_0003));
    s.stand(2.0)
        .walk(4.0, 110.0, 2.0)
        .fall(FallDirection::Forward, 7.0)
        .lie(33.0)
        .get_up(2.0)
        .stand(2.0);
    let (x, ev) = s.render(
        50.0,
        Mounting::from_euler_deg(180.0, 0.0, 30.0),
        Timing::Regular,
    );
    write_imu(dir, "fall_officer_down_50hz", &x, &ev)?;

    // Fall sideways and get up after 5 s (a fall, not officer down), random mounting, 200 Hz.
    let mut rng = Rng::new(0x1_0004);
    let m = Mounting::random(&mut rng);
    let mut s = ImuScene::new(rng);
    s.stand(2.0)
        .walk(3.0, 110.0, 2.0)
        .fall(FallDirection::Left, 5.0)
        .lie(5.0)
        .get_up(2.5)
        .stand(2.0);
    let (x, ev) = s.render(200.0, m, Timing::Regular);
    write_imu(dir, "fall_recover_200hz", &x, &ev)?;

    // Hard non-falls: sit down hard, jump, stairs, vehicle; 50 Hz.
    let mut s = ImuScene::new(Rng::new(0x1_0005));
    s.stand(2.0)
        .sit_down_hard(3.5)
        .sit(3.0)
        .get_up(1.5)
        .stand(1.0)
        .jump(0.35)
        .stand(1.0)
        .stairs(6.0, true)
        .stairs(5.0, false)
        .stand(1.0)
        .sit_down_hard(2.5)
        .vehicle(12.0)
        .get_up(1.5)
        .stand(1.0);
    let (x, ev) = s.render(
        50.0,
        Mounting::from_euler_deg(-5.0, 8.0, 180.0),
        Timing::Regular,
    );
    write_imu(dir, "hard_nonfalls_50hz", &x, &ev)?;

    // Taps and double taps, irregular timestamps and dropped samples around 200 Hz.
    let mut s = ImuScene::new(Rng::new(0x1_0006));
    s.stand(2.0)
        .tap(4.0)
        .stand(2.0)
        .double_tap(4.0, 0.3)
        .stand(2.0)
        .walk(3.0, 110.0, 1.9)
        .tap(5.0)
        .stand(1.5)
        .double_tap(3.5, 0.28)
        .stand(2.0);
    let timing = Timing::Irregular {
        jitter: 0.25,
        drop: 0.02,
    };
    let (x, ev) = s.render(200.0, Mounting::from_euler_deg(0.0, 0.0, 45.0), timing);
    write_imu(dir, "taps_irregular_200hz", &x, &ev)
}

/// The incident: patrol in a vehicle, exit, walk, foot pursuit, holster draw, a shot, the
/// officer falls and stays down. Audio, IMU, external inputs and labels share t = 0.
fn incident(dir: &Path) -> Result<()> {
    let dir = dir.join("incident");
    std::fs::create_dir_all(&dir)?;
    const DUR: f64 = 56.0;

    let mut imu = ImuScene::new(Rng::new(0x1C1_0001));
    imu.vehicle(4.0) //         0.0 - 4.0   patrol car
        .get_up(1.0) //         4.0 - 5.3   getting out
        .walk(5.2, 112.0, 1.9) //  5.3 - 10.5
        .run(9.0, 170.0, 4.8) //  10.5 - 19.5  foot pursuit
        .stand(2.0) //          19.5 - 21.5  holster draw, shot at 20.4
        .fall(FallDirection::Backward, 8.0); // 21.5 - 22.7
    let lie = DUR - imu.duration();
    imu.lie(lie); //            22.7 - 56    down for 33 s
    let (x, imu_ev) = imu.render(
        100.0,
        Mounting::from_euler_deg(5.0, -10.0, 0.0),
        Timing::Regular,
    );
    std::fs::write(dir.join("incident.csv"), imu_csv(&x))?;

    let mut rng = Rng::new(0x1C1_0002);
    let mut a = AudioScene::new(16_000, DUR);
    a.add_noise(NoiseColor::Street, -42.0, &mut rng);
    a.set_reverb(
        &Reverb {
            rt60_s: 0.4,
            direct_to_reverb_db: 10.0,
            ..Reverb::default()
        },
        &mut rng,
    );
    a.add(4.3, &Sound::DoorSlam { level_dbfs: -6.0 }, &mut rng);
    let shout = |d| Sound::Speech {
        level_dbfs: -3.0,
        f0_hz: 180.0,
        duration_s: d,
    };
    a.add(10.8, &shout(1.2), &mut rng);
    a.add(19.6, &shout(0.8), &mut rng);
    // The suspect fires from ~8 m; the camera's microphone clips.
    a.add(
        20.4,
        &Sound::Gunshot(Gunshot {
            peak_dbfs: 4.0,
            n_wave: Some(NWave::default()),
            ..Gunshot::default()
        }),
        &mut rng,
    );
    a.add(
        38.0,
        &Sound::Speech {
            level_dbfs: -20.0,
            f0_hz: 130.0,
            duration_s: 3.0,
        },
        &mut rng,
    );
    let (samples, audio_ev) = a.finish();
    autotrigger::io::write_wav_i16(&dir.join("incident.wav"), &samples, 16_000)?;

    let mut ev = imu_ev;
    ev.extend(audio_ev);
    std::fs::write(dir.join("incident.labels.csv"), labels_csv(&ev))?;

    let inputs = [
        (0.5, "dispatch", "geofence_enter"),
        (2.0, "light_bar", "on"),
        (2.2, "siren", "on"),
        (4.2, "door", "open"),
        (4.4, "siren", "off"),
        (11.0, "radio_emergency", "press"),
        (19.8, "holster", "drawn"),
        (21.0, "peer_camera", "started"),
        (24.0, "taser", "armed"),
    ];
    let mut csv = String::from("t_s,input,value\n");
    for (t, input, value) in inputs {
        csv.push_str(&format!("{t:.3},{input},{value}\n"));
    }
    std::fs::write(dir.join("incident.inputs.csv"), csv)?;
    Ok(())
}

const README: &str = "\
# Fixtures

Generated by `cargo run --release --example gen_fixtures` from the physical models in
`autotrigger::synth` (see that module's docs); do not edit by hand. `tests/synth_fixtures.rs`
checks that these files equal a fresh generation byte for byte.

Every recording `NAME.wav` / `NAME.csv` has a side-car `NAME.labels.csv`
(`onset_s,offset_s,kind`) with the true events, computed from the generators' event times.
Distractor files have a header-only side-car: they contain no event to detect.

| file | content |
|---|---|
| gunshots_16k.wav | 4 shots over street noise in a reverberant street: ~10 m, ~50 m (low-passed), ~100 m behind a building (-28 dBFS, low-passed), a close shot at 0 dBFS |
| gunshots_44k.wav | a rifle shot with its supersonic N-wave 6 ms ahead, and the officer's own shot at +15 dBFS (clipped) |
| gunshots_auto_48k.wav | automatic fire, 7 rounds 100 ms apart, in a garage (RT60 1.5 s) |
| gunshots_8k.wav | narrowband: a near and a far shot over white noise |
| distractors_16k.wav | claps, door slam, knocks, key drop, two voices, jackhammer, dog barks (indoors) |
| distractors_8k.wav | loud door slam, clap, knocks, keys near full scale over street noise |
| walk_50hz.csv | standing, walking at 110 steps/min (peaks ~2 g), chest mount tilted 10 degrees |
| run_100hz.csv | walk, 14 s of running at 165 steps/min (peaks ~4.5 g, labelled `running`), walk; shoulder mount |
| fall_officer_down_50hz.csv | walk, forward fall (7 g impact), 33 s lying still (`fall`, `officer_down`), get up; camera upside down |
| fall_recover_200hz.csv | sideways fall (`fall`), 5 s down, get up (no officer_down); random mounting |
| hard_nonfalls_50hz.csv | sit down hard twice, jump, stairs up and down, vehicle ride: no events |
| taps_irregular_200hz.csv | taps (`tap`) and double taps 0.3 s apart (`double_tap`), irregular timestamps and dropped samples |
| incident/ | 56 s incident: `incident.wav` (16 kHz), `incident.csv` (IMU 100 Hz), `incident.inputs.csv` (external inputs, see docs/formats.md), `incident.labels.csv` (both streams) |

The incident: 0-4 s in the patrol car (dispatch geofence, light bar, siren), 4.2 s door open,
walk, 10.5-19.5 s foot pursuit (radio emergency at 11 s), 19.8 s holster drawn, 20.4 s a shot
(clipped, with N-wave), 21.5 s the officer falls backwards and lies still until the end
(officer down from 22.7 s; 33 s down), a peer camera starts at 21 s, a taser is armed at 24 s.
";

/// Writes every fixture into `dir` (created if needed).
pub fn generate(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    gunshots_16k(dir)?;
    gunshots_44k(dir)?;
    burst_48k(dir)?;
    gunshots_8k(dir)?;
    distractors_16k(dir)?;
    distractors_8k(dir)?;
    imu_files(dir)?;
    incident(dir)?;
    std::fs::write(dir.join("README.md"), README)?;
    Ok(())
}

#[allow(dead_code)] // unused when the test includes this file as a module
fn main() -> Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "fixtures".into());
    generate(Path::new(&dir))?;
    println!("wrote fixtures to {dir}");
    Ok(())
}
