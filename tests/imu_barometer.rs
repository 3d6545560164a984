//! The barometer stream in the IMU detectors: a steady climb (stairs) keeps running from
//! starting, a run on the flat or without a barometer is unaffected, a run already reported
//! goes on up a stairway, disturbed pressure (air flow while running) is not read as a climb,
//! and falls carry the pressure rise across the impact as evidence.

use autotrigger::imu::baro::metres_per_hpa;
use autotrigger::imu::{ImuDetectors, PressureSample};
use autotrigger::{Config, Event, EventKind, StreamingDetector, Timestamp};

#[path = "robust_support/signals.rs"]
mod signals;
use signals::Activity;

/// 10 Hz pressure over `secs`: 1000 hPa, moving vertically at `speed(t)` m/s, with a
/// deterministic +-0.05 hPa jitter and an optional extra swing (air flow) of `swing_hpa`.
fn pressure(secs: f64, speed: impl Fn(f64) -> f64, swing_hpa: f64) -> Vec<PressureSample> {
    let k = -1.0 / metres_per_hpa(1000.0); // hPa per m
    let mut h = 0.0;
    (0..(secs * 10.0) as i64)
        .map(|i| {
            let t = i as f64 * 0.1;
            h += speed(t) * 0.1;
            let jitter = ((i * 7919 % 17) as f64 / 16.0 - 0.5) * 0.1;
            let swing = swing_hpa * (t * 2.3).sin() * (t * 0.7).cos();
            PressureSample {
                t: Timestamp::from_micros(i * 100_000),
                hpa: (1000.0 - h * k + jitter + swing) as f32,
            }
        })
        .collect()
}

fn run(plan: &[(Activity, f32)], p: Option<&[PressureSample]>) -> Vec<Event> {
    let x = signals::imu_stream(Timestamp::ZERO, 100, plan, 3);
    let mut d = ImuDetectors::new(&Config::default()).unwrap();
    let mut ev = Vec::new();
    match p {
        Some(p) => d.process_with_pressure(&x, p, &mut ev).unwrap(),
        None => d.process(&x, &mut ev).unwrap(),
    }
    d.finish(&mut ev);
    ev
}

fn first(ev: &[Event], k: EventKind) -> Option<&Event> {
    ev.iter().find(|e| e.kind == k)
}

#[test]
fn a_steady_climb_is_stairs_not_running() {
    let plan = [
        (Activity::Stand, 4.0),
        (Activity::Run, 12.0),
        (Activity::Stand, 4.0),
    ];
    // Without a barometer, and with a flat one: running, with the barometer's evidence.
    let none = run(&plan, None);
    let r = first(&none, EventKind::Running).expect("running without a barometer");
    assert!(r.evidence.get("vertical_speed_m_s").is_none());
    let flat = pressure(20.0, |_| 0.0, 0.0);
    let ev = run(&plan, Some(&flat));
    let r = first(&ev, EventKind::Running).expect("running on the flat");
    let v = r.evidence.get("vertical_speed_m_s").unwrap();
    assert!(v.value.abs() < 0.1, "{r:?}");
    assert_eq!(v.threshold, Some(0.10));
    assert!(r.evidence.get("baro_residual_hpa").is_some());
    // The same gait while climbing (0.3 m/s, stairs) or descending: no running.
    for speed in [0.3, -0.3] {
        let climb = pressure(20.0, |t| if t >= 4.0 { speed } else { 0.0 }, 0.0);
        let ev = run(&plan, Some(&climb));
        assert!(
            first(&ev, EventKind::Running).is_none(),
            "{speed} m/s: {ev:?}"
        );
    }
    // Running's own pressure disturbance (swings of 0.3 hPa) is not a climb.
    let gusty = pressure(20.0, |_| 0.0, 0.3);
    assert!(first(&run(&plan, Some(&gusty)), EventKind::Running).is_some());
    // The test off: running again.
    let climb = pressure(20.0, |t| if t >= 4.0 { 0.3 } else { 0.0 }, 0.0);
    let x = signals::imu_stream(Timestamp::ZERO, 100, &plan, 3);
    let mut cfg = Config::default();
    cfg.running.stairs_vertical_speed_m_s = 0.0;
    let mut d = ImuDetectors::new(&cfg).unwrap();
    let mut ev = Vec::new();
    d.process_with_pressure(&x, &climb, &mut ev).unwrap();
    assert!(first(&ev, EventKind::Running).is_some());
}

#[test]
fn a_pursuit_goes_on_up_a_stairway() {
    let plan = [
        (Activity::Stand, 4.0),
        (Activity::Run, 20.0),
        (Activity::Stand, 4.0),
    ];
    // Flat for the first 10 s (running reported), then climbing while the gait goes on.
    let p = pressure(28.0, |t| if t >= 10.0 { 0.3 } else { 0.0 }, 0.0);
    let ev = run(&plan, Some(&p));
    let r = first(&ev, EventKind::Running).expect("running");
    let end = first(&ev, EventKind::RunningEnded).expect("running_ended");
    assert!(r.decided.as_secs_f64() < 10.0, "{r:?}");
    assert!(end.onset.as_secs_f64() > 22.0, "ended early: {end:?}");
}

#[test]
fn falls_carry_the_pressure_rise() {
    let plan = [
        (Activity::Stand, 5.0),
        (Activity::Fall, 1.0),
        (Activity::Lie, 8.0),
    ];
    // The trunk ends 0.8 m lower from the impact (~5.3 s) on.
    let k = -1.0 / metres_per_hpa(1000.0);
    let p: Vec<PressureSample> = (0..140)
        .map(|i| PressureSample {
            t: Timestamp::from_micros(i * 100_000),
            hpa: (1000.0 + if i >= 53 { 0.8 * k } else { 0.0 }) as f32,
        })
        .collect();
    let ev = run(&plan, Some(&p));
    let f = first(&ev, EventKind::Fall).expect("fall");
    let rise = f.evidence.get("pressure_rise_hpa").unwrap();
    let drop = f.evidence.get("trunk_drop_m").unwrap();
    assert!((rise.value - (0.8 * k) as f32).abs() < 0.01, "{f:?}");
    assert!((drop.value - 0.8).abs() < 0.05, "{f:?}");
    assert_eq!(rise.threshold, None);
    // Without a barometer: the same fall, without those items.
    let ev = run(&plan, None);
    let g = first(&ev, EventKind::Fall).expect("fall without a barometer");
    assert!(g.evidence.get("pressure_rise_hpa").is_none());
    assert_eq!((g.onset, g.decided), (f.onset, f.decided));
}

/// The barometer-confirmed path: with the posture path shut (no turn reaches 180 degrees,
/// standing in for a neck pendant that ends near its upright), the fall is found only when
/// the trunk ends at least `fall.baro_drop_m` lower, and never without pressure.
#[test]
fn a_trunk_drop_confirms_a_fall_the_posture_misses() {
    let plan = [
        (Activity::Stand, 5.0),
        (Activity::Fall, 1.0),
        (Activity::Lie, 8.0),
    ];
    let k = -1.0 / metres_per_hpa(1000.0);
    let pressure = |drop_m: f64| -> Vec<PressureSample> {
        (0..140)
            .map(|i| PressureSample {
                t: Timestamp::from_micros(i * 100_000),
                hpa: (1000.0 + if i >= 53 { drop_m * k } else { 0.0 }) as f32,
            })
            .collect()
    };
    let mut cfg = Config::default();
    cfg.fall.min_tilt_change_deg = 180.0;
    let run_cfg = |cfg: &Config, p: Option<&[PressureSample]>| {
        let x = signals::imu_stream(Timestamp::ZERO, 100, &plan, 3);
        let mut d = ImuDetectors::new(cfg).unwrap();
        let mut ev = Vec::new();
        match p {
            Some(p) => d.process_with_pressure(&x, p, &mut ev).unwrap(),
            None => d.process(&x, &mut ev).unwrap(),
        }
        d.finish(&mut ev);
        ev
    };
    let ev = run_cfg(&cfg, Some(&pressure(0.8)));
    let f = first(&ev, EventKind::Fall).expect("fall confirmed by the drop");
    let drop = f.evidence.get("trunk_drop_m").unwrap();
    assert!((drop.value - 0.8).abs() < 0.05, "{f:?}");
    assert_eq!(drop.threshold, Some(cfg.fall.baro_drop_m as f32));
    // The same posture with the trunk only 0.1 m lower, or no barometer: no fall.
    assert!(first(&run_cfg(&cfg, Some(&pressure(0.1))), EventKind::Fall).is_none());
    assert!(first(&run_cfg(&cfg, None), EventKind::Fall).is_none());
    // The path off.
    cfg.fall.baro_drop_m = 0.0;
    assert!(first(&run_cfg(&cfg, Some(&pressure(0.8))), EventKind::Fall).is_none());
}

/// `RunningDetector::last_baro` is the barometer's fit at the latest analysis: `None` without
/// pressure, and while climbing at 0.3 m/s the vertical speed of that climb (a 4 s fit of
/// 10 Hz samples with +-0.05 hPa jitter: within 0.05 m/s), the height change over the 4 s
/// window (speed x window) and a residual of about the jitter (under 0.06 hPa).
#[test]
fn the_running_detectors_last_baro_is_the_latest_fit() {
    use autotrigger::imu::{OrientationConfig, RunningConfig, RunningDetector};
    let plan = [(Activity::Stand, 4.0), (Activity::Run, 8.0)];
    let x = signals::imu_stream(Timestamp::ZERO, 100, &plan, 3);
    let new = || RunningDetector::new(&RunningConfig::default(), &OrientationConfig::default());
    let mut d = new().unwrap();
    let mut ev = Vec::new();
    d.process(&x, &mut ev).unwrap();
    assert!(d.last_features().is_some());
    assert_eq!(d.last_baro(), None);
    let climb = pressure(12.0, |t| if t >= 4.0 { 0.3 } else { 0.0 }, 0.0);
    let mut d = new().unwrap();
    d.process_with_pressure(&x, &climb, &mut ev).unwrap();
    let w = d.last_baro().expect("a fit with pressure");
    assert!((w.vertical_speed_m_s - 0.3).abs() < 0.05, "{w:?}");
    assert!(
        (w.height_change_m - 4.0 * w.vertical_speed_m_s).abs() < 0.05,
        "{w:?}"
    );
    assert!(w.residual_hpa > 0.0 && w.residual_hpa < 0.06, "{w:?}");
    assert!(w.samples >= 35, "{w:?}");
}
