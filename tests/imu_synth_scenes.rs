//! The IMU detectors on scenes from the independent synthetic generator
//! (`autotrigger::synth::imu`, written by another engineer, with sensor noise, bias, its own
//! anti-alias model and saturation): random mountings and seeds, at 200 Hz with gyro, at 20 Hz
//! without gyro, and as a jittery 70-100 Hz phone with a 2 g accelerometer and no gyro.

use autotrigger::imu::{ImuDetectors, ImuSample};
use autotrigger::synth::imu::{FallDirection, ImuScene, Mounting, SensorModel, Timing};
use autotrigger::synth::Rng;
use autotrigger::{Config, Event, EventKind, StreamingDetector};

#[derive(Clone, Copy, Debug)]
struct Dev {
    name: &'static str,
    rate: f64,
    timing: Timing,
    range_g: f64,
    gyro: bool,
}

const DEVICES: [Dev; 3] = [
    Dev {
        name: "200 Hz + gyro",
        rate: 200.0,
        timing: Timing::Regular,
        range_g: 16.0,
        gyro: true,
    },
    Dev {
        name: "20 Hz chest, no gyro",
        rate: 20.0,
        timing: Timing::Regular,
        range_g: 16.0,
        gyro: false,
    },
    Dev {
        name: "phone 85 Hz +-18%, 2 g, no gyro",
        rate: 85.0,
        timing: Timing::Irregular {
            jitter: 0.18,
            drop: 0.0,
        },
        range_g: 2.0,
        gyro: false,
    },
];

fn render(scene: &mut ImuScene, dev: &Dev, seed: u64) -> Vec<ImuSample> {
    scene.sensor(SensorModel {
        accel_range_g: dev.range_g,
        gyro: dev.gyro,
        ..SensorModel::default()
    });
    let mount = Mounting::random(&mut Rng::new(seed ^ 0x5eed));
    scene.render(dev.rate, mount, dev.timing).0
}

fn detect(s: &[ImuSample]) -> Vec<Event> {
    let mut d = ImuDetectors::new(&Config::default()).unwrap();
    let mut ev = Vec::new();
    d.process(s, &mut ev).unwrap();
    d.finish(&mut ev);
    ev
}

fn count(ev: &[Event], k: EventKind) -> usize {
    ev.iter().filter(|e| e.kind == k).count()
}

const SEEDS: u64 = 12;

/// Walk, run, fall, lie: running once, one fall within 2 s of the impact, officer down.
#[test]
fn pursuit_then_fall_then_down() {
    let dirs = [
        FallDirection::Forward,
        FallDirection::Backward,
        FallDirection::Left,
        FallDirection::Right,
    ];
    for dev in &DEVICES {
        let (mut run_ok, mut fall_ok, mut down_ok) = (0, 0, 0);
        let mut notes = Vec::new();
        for seed in 0..SEEDS {
            let mut rng = Rng::new(seed);
            let spm = rng.range(150.0, 185.0);
            let peak = rng.range(3.5, 5.5);
            let impact = rng.range(3.5, 9.0);
            let mut sc = ImuScene::new(Rng::new(seed + 100));
            sc.officer_down_after(20.0);
            sc.stand(3.0)
                .walk(10.0, 110.0, 2.0)
                .run(15.0, spm, peak)
                .walk(4.0, 110.0, 2.0)
                .fall(dirs[seed as usize % 4], impact)
                .lie(30.0);
            let truth: Vec<_> = sc.events().to_vec();
            let ev = detect(&render(&mut sc, dev, seed));
            let run_on = truth.iter().find(|e| e.kind == "running").unwrap().onset;
            let fall_on = truth.iter().find(|e| e.kind == "fall").unwrap().onset;
            let r = ev.iter().find(|e| e.kind == EventKind::Running);
            if count(&ev, EventKind::Running) == 1
                && r.is_some_and(|e| e.decided.micros_since(run_on) <= 5_000_000)
            {
                run_ok += 1;
            } else {
                notes.push(format!("seed {seed} running: {r:?}"));
            }
            let f = ev.iter().find(|e| e.kind == EventKind::Fall);
            if count(&ev, EventKind::Fall) == 1
                && f.is_some_and(|e| e.decided.micros_since(fall_on) <= 3_000_000)
            {
                fall_ok += 1;
            } else {
                notes.push(format!(
                    "seed {seed} fall (impact {impact:.1} g): {:?}",
                    f.map(|e| (e.onset, e.decided))
                ));
            }
            if count(&ev, EventKind::OfficerDown) == 1 {
                down_ok += 1;
            }
        }
        println!(
            "{}: running {run_ok}/{SEEDS}, fall {fall_ok}/{SEEDS}, officer down {down_ok}/{SEEDS}",
            dev.name
        );
        for n in &notes {
            println!("  {n}");
        }
        assert!(run_ok >= SEEDS - 1, "{}: {notes:?}", dev.name);
        assert!(fall_ok >= SEEDS - 1, "{}: {notes:?}", dev.name);
        assert!(down_ok >= SEEDS - 1, "{}", dev.name);
    }
}

/// Everyday confounders: walking, stairs, sitting down hard, a jump, a car ride.
#[test]
fn confounders_stay_quiet() {
    for dev in &DEVICES {
        let mut bad = Vec::new();
        for seed in 0..SEEDS {
            let mut rng = Rng::new(seed + 7);
            let mut sc = ImuScene::new(Rng::new(seed + 200));
            sc.stand(3.0)
                .walk(20.0, rng.range(100.0, 128.0), rng.range(1.5, 2.4))
                .stairs(8.0, true)
                .stairs(8.0, false)
                .walk(5.0, 115.0, 2.0)
                .sit_down_hard(rng.range(2.0, 4.0))
                .sit(10.0)
                .vehicle(30.0)
                .stand(3.0)
                .jump(0.3)
                .stand(5.0);
            let ev = detect(&render(&mut sc, dev, seed));
            let alarms: Vec<_> = ev
                .iter()
                .filter(|e| {
                    matches!(
                        e.kind,
                        EventKind::Running | EventKind::Fall | EventKind::OfficerDown
                    )
                })
                .map(|e| (e.kind, e.onset))
                .collect();
            if !alarms.is_empty() {
                bad.push(format!("seed {seed}: {alarms:?}"));
            }
        }
        println!(
            "{}: confounder scenes with an alarm: {}/{SEEDS}",
            dev.name,
            bad.len()
        );
        for b in &bad {
            println!("  {b}");
        }
        assert!(bad.len() <= 1, "{}: {bad:?}", dev.name);
    }
}

/// Taps and double taps on a standing wearer, at rates where taps are visible.
#[test]
fn taps_when_the_rate_allows() {
    let dev = &DEVICES[0];
    let (mut ok, mut total) = (0, 0);
    for seed in 0..SEEDS {
        let mut sc = ImuScene::new(Rng::new(seed + 300));
        sc.stand(3.0)
            .tap(3.0)
            .stand(3.0)
            .double_tap(3.0, 0.3)
            .stand(3.0);
        let ev = detect(&render(&mut sc, dev, seed));
        total += 1;
        let k: Vec<_> = ev.iter().map(|e| e.kind).collect();
        if k == [EventKind::Tap, EventKind::DoubleTap] {
            ok += 1;
        } else {
            println!("seed {seed}: {k:?}");
        }
    }
    println!("{}: tap scenes right {ok}/{total}", dev.name);
    assert!(ok >= total - 1);
    // At 20 Hz the detector stays silent by design.
    let mut sc = ImuScene::new(Rng::new(1));
    sc.stand(3.0).double_tap(3.0, 0.3).stand(3.0);
    assert!(detect(&render(&mut sc, &DEVICES[1], 1)).is_empty());
}
