//! The fuzz target `imu_detectors` as a fast proptest: IMU streams with hostile times (zero,
//! negative and huge steps, restarts) and hostile values (NaN, infinities, absurd
//! magnitudes, missing gyro), cut into arbitrary bursts. No panic; every rejected sample is
//! counted; events well-formed; and the events are the same for two different partitions of
//! the same hostile stream, with and without a (hostile) barometer stream.

use autotrigger::imu::{ImuDetectors, ImuSample, PressureSample};
use autotrigger::{Config, Event, ProcessError, StreamingDetector, Timestamp};
use proptest::prelude::*;

#[path = "robust_support/signals.rs"]
mod signals;
use signals::Activity;

fn feed(d: &mut ImuDetectors, x: &[ImuSample], cuts: &[usize]) -> (Vec<Event>, usize) {
    let mut ev = Vec::new();
    let mut errs = 0;
    let mut rest = x;
    for &c in cuts.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let n = c.clamp(1, rest.len());
        match d.process(&rest[..n], &mut ev) {
            Ok(()) => {}
            Err(ProcessError::OutOfOrder { .. }) => errs += 1,
            Err(e) => panic!("unexpected error {e}"),
        }
        rest = &rest[n..];
    }
    d.finish(&mut ev);
    (ev, errs)
}

fn value() -> impl Strategy<Value = f32> {
    prop_oneof![
        6 => -30.0f32..30.0,
        // Any bit pattern within the physical range the CSV reader enforces (2000 m/s^2);
        // absurd finite values are the subject of `absurd_finite_accel_gives_finite_evidence`.
        1 => any::<u32>().prop_map(f32::from_bits).prop_filter("physical", |v| !v.is_finite() || v.abs() <= 2000.0),
        1 => prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY), Just(2000.0), Just(0.0)],
    ]
}

/// Time steps in microseconds: mostly regular, sometimes zero, negative, a gap or a restart.
fn step() -> impl Strategy<Value = i64> {
    prop_oneof![
        12 => Just(10_000i64),
        4 => 1_000i64..60_000,
        1 => Just(0i64),
        1 => -50_000i64..0,
        1 => 500_000i64..100_000_000,
        1 => Just(i64::MIN), // restart at 0 (handled below)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn hostile_imu_any_partition(
        base_seed in 1u64..1000,
        edits in prop::collection::vec((any::<prop::sample::Index>(), step(), prop::array::uniform3(value()), prop::option::of(prop::array::uniform3(value()))), 0..60),
        cuts_a in prop::collection::vec(1usize..40, 1..10),
        cuts_b in prop::collection::vec(1usize..40, 1..10),
    ) {
        // A real stream (stand, run, fall, lie) with hostile samples spliced in.
        let mut x = signals::imu_stream(
            Timestamp::ZERO,
            100,
            &[(Activity::Stand, 3.0), (Activity::Run, 10.0), (Activity::Fall, 1.0), (Activity::Lie, 5.0)],
            base_seed,
        );
        for (i, st, acc, gyr) in edits {
            let k = i.index(x.len());
            let prev = if k == 0 { 0 } else { x[k - 1].t.as_micros() };
            let t = if st == i64::MIN { 0 } else { prev.saturating_add(st) };
            x.insert(k, ImuSample { t: Timestamp(t), accel: acc, gyro: gyr });
        }
        let mut d = ImuDetectors::new(&Config::default()).unwrap();
        let (a, _) = feed(&mut d, &x, &cuts_a);
        let (b, _) = feed(&mut d, &x, &cuts_b);
        prop_assert_eq!(&a, &b, "events depend on the burst partition");
        // Health counts every sample exactly once: accepted, out of order or non-finite.
        let mut d = ImuDetectors::new(&Config::default()).unwrap();
        let mut ev = Vec::new();
        for s in &x {
            let _ = d.process(std::slice::from_ref(s), &mut ev);
        }
        let h = d.health();
        prop_assert_eq!(h.samples + h.out_of_order + h.non_finite_accel, x.len() as u64, "{:?}", h);
        for e in &a {
            prop_assert!(e.confidence.is_finite() && (0.0..=1.0).contains(&e.confidence), "{:?}", e);
            prop_assert!(e.onset <= e.decided, "{:?}", e);
            prop_assert!(!e.evidence.is_empty());
            for it in e.evidence.items() {
                prop_assert!(it.value.is_finite(), "non-finite evidence {:?} in {:?}", it, e);
            }
        }
    }
}

/// Former FINDING (IMU, fixed: `src/imu/stream.rs` drops |a| > `MAX_ACCEL_MS2` on any axis
/// like NaN, counted in `ImuHealth::non_finite_accel`): one finite but absurd acceleration
/// (1.8e20 m/s^2, a bus glitch) spliced into a run overflowed |a| to infinity: the detectors emit a *fall* with
/// evidence `peak_g = inf` and a `running_ended` with `rms_now_g = NaN` (other splices gave a
/// tap with `tap_peak_g = inf`). NaN/Inf readings are already dropped and counted; treating
/// values far outside any sensor's range (say |a| > 2000 m/s^2, the CSV reader's limit) the
/// same way would keep every evidence value finite and not turn one glitch into a fall.
#[test]
fn absurd_finite_accel_gives_finite_evidence() {
    // The case proptest found: a glitch sample spliced into a run, one sample a call.
    let mut x = signals::imu_stream(
        Timestamp::ZERO,
        100,
        &[
            (Activity::Stand, 3.0),
            (Activity::Run, 10.0),
            (Activity::Fall, 1.0),
            (Activity::Lie, 5.0),
        ],
        1,
    );
    let clean = x.clone();
    let t = x[426].t.add_micros(10_000);
    x.insert(
        427,
        ImuSample {
            t,
            accel: [0.0, 1.809_007_7e20, 0.0],
            gyro: None,
        },
    );
    let mut d = ImuDetectors::new(&Config::default()).unwrap();
    let (ev, _) = feed(&mut d, &x, &[1]);
    let bad: Vec<_> = ev
        .iter()
        .flat_map(|e| e.evidence.items().iter().map(move |it| (e.kind, *it)))
        .filter(|(_, it)| !it.value.is_finite())
        .collect();
    assert!(bad.is_empty(), "non-finite evidence: {bad:?}");
    // The stream scripts a real fall at 13 s; the glitch must change nothing: it is dropped
    // (and counted in `ImuHealth::non_finite_accel`), so the events are those of the same
    // stream without it.
    let mut c = ImuDetectors::new(&Config::default()).unwrap();
    let (want, _) = feed(&mut c, &clean, &[1]);
    assert_eq!(ev, want, "one glitch sample changed the events");
}

/// One item of an IMU + barometer stream, in the order the detectors get them.
#[derive(Clone, Copy, Debug)]
enum Item {
    Imu(ImuSample),
    Baro(PressureSample),
}

/// The order `ImuDetectors::process_with_pressure` gives to a whole IMU block and a whole
/// pressure block: each pressure sample before the first IMU sample at or after its time
/// (pressure kept in its own order), the rest at the end.
fn merged(imu: &[ImuSample], baro: &[PressureSample]) -> Vec<Item> {
    let mut out = Vec::new();
    let mut p = 0;
    for s in imu {
        while p < baro.len() && baro[p].t <= s.t {
            out.push(Item::Baro(baro[p]));
            p += 1;
        }
        out.push(Item::Imu(*s));
    }
    out.extend(baro[p..].iter().map(|&b| Item::Baro(b)));
    out
}

/// Feeds the merged stream cut at `cuts` (cycled), each part through `process_with_pressure`.
fn feed_merged(d: &mut ImuDetectors, items: &[Item], cuts: &[usize]) -> (Vec<Event>, usize) {
    let (mut ev, mut errs, mut rest) = (Vec::new(), 0, items);
    let (mut imu, mut baro) = (Vec::new(), Vec::new());
    for &c in cuts.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let n = c.clamp(1, rest.len());
        imu.clear();
        baro.clear();
        for it in &rest[..n] {
            match it {
                Item::Imu(s) => imu.push(*s),
                Item::Baro(b) => baro.push(*b),
            }
        }
        match d.process_with_pressure(&imu, &baro, &mut ev) {
            Ok(()) => {}
            Err(ProcessError::OutOfOrder { .. } | ProcessError::PressureOutOfRange { .. }) => {
                errs += 1
            }
            Err(e) => panic!("unexpected error {e}"),
        }
        rest = &rest[n..];
    }
    d.finish(&mut ev);
    (ev, errs)
}

fn pressure_value() -> impl Strategy<Value = f32> {
    prop_oneof![
        8 => 990.0f32..1010.0,
        1 => prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(-1.0f32), Just(50.0), Just(2000.0)],
    ]
}

/// Barometer time steps: 10 Hz mostly, sometimes faster, a gap, a duplicate or backwards.
fn pressure_step() -> impl Strategy<Value = i64> {
    prop_oneof![
        10 => Just(100_000i64),
        3 => 10_000i64..1_000_000,
        1 => 2_000_000i64..20_000_000,
        1 => Just(0i64),
        1 => -500_000i64..0,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// IMU + barometer: a run on the flat, stairs (a steady climb in the pressure while the
    /// gait still looks like running), a fall with its pressure rise; hostile pressure
    /// samples (NaN, infinities, out of range, duplicates, backwards, gaps) and a few hostile
    /// IMU samples spliced in. Any partition of the merged stream gives the same events;
    /// every pressure sample is counted once; evidence stays finite.
    #[test]
    fn imu_and_pressure_any_partition(
        base_seed in 1u64..1000,
        p_edits in prop::collection::vec((any::<prop::sample::Index>(), pressure_step(), pressure_value()), 0..30),
        imu_edits in prop::collection::vec((any::<prop::sample::Index>(), step(), prop::array::uniform3(value())), 0..10),
        climb_m_s in 0.0f64..0.6,
        cuts_a in prop::collection::vec(1usize..60, 1..10),
        cuts_b in prop::collection::vec(1usize..60, 1..10),
    ) {
        let mut x = signals::imu_stream(
            Timestamp::ZERO,
            100,
            &[(Activity::Stand, 3.0), (Activity::Run, 8.0), (Activity::Run, 8.0), (Activity::Fall, 1.0), (Activity::Lie, 5.0)],
            base_seed,
        );
        for (i, st, acc) in imu_edits {
            let k = i.index(x.len());
            let prev = if k == 0 { 0 } else { x[k - 1].t.as_micros() };
            let t = if st == i64::MIN { 0 } else { prev.saturating_add(st) };
            x.insert(k, ImuSample { t: Timestamp(t), accel: acc, gyro: None });
        }
        // 10 Hz: flat for the first run, climbing at `climb_m_s` during the second, +0.1 hPa
        // after the fall; a small deterministic jitter.
        let mut p: Vec<PressureSample> = (0..250)
            .map(|i| {
                let t = f64::from(i) * 0.1;
                let climb = (t.clamp(11.0, 19.0) - 11.0) * climb_m_s / 8.3;
                let fall = if t >= 19.5 { 0.1 } else { 0.0 };
                let jitter = f64::from((i * 7919 + base_seed as u32) % 13) * 0.006 - 0.036;
                PressureSample {
                    t: Timestamp::from_micros(i64::from(i) * 100_000),
                    hpa: (1005.0 - climb + fall + jitter) as f32,
                }
            })
            .collect();
        for (i, st, v) in p_edits {
            let k = i.index(p.len());
            let prev = if k == 0 { 0 } else { p[k - 1].t.as_micros() };
            p.insert(k, PressureSample { t: Timestamp(prev.saturating_add(st)), hpa: v });
        }
        let items = merged(&x, &p);
        let mut d = ImuDetectors::new(&Config::default()).unwrap();
        let (a, _) = feed_merged(&mut d, &items, &cuts_a);
        let (b, _) = feed_merged(&mut d, &items, &cuts_b);
        prop_assert_eq!(&a, &b, "events depend on the partition of the IMU + pressure stream");
        // One call with both whole streams: the same again.
        let mut ev = Vec::new();
        let _ = d.process_with_pressure(&x, &p, &mut ev);
        d.finish(&mut ev);
        prop_assert_eq!(&a, &ev, "one whole block differs");
        // Every pressure sample is counted exactly once.
        let mut d = ImuDetectors::new(&Config::default()).unwrap();
        for s in &p {
            let _ = d.process_pressure(std::slice::from_ref(s));
        }
        let h = d.pressure_health();
        prop_assert_eq!(h.samples + h.out_of_order + h.invalid, p.len() as u64, "{:?}", h);
        for e in &a {
            prop_assert!(e.onset <= e.decided, "{:?}", e);
            for it in e.evidence.items() {
                prop_assert!(it.value.is_finite(), "non-finite evidence {:?} in {:?}", it, e);
            }
        }
    }
}
