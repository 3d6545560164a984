//! What happens after the impact decides a fall (synthetic scenes only, so the property is
//! guarded without `../shared`): the stillness check of the fall detector and the officer-down
//! timer, on scenes from the independent generator (`autotrigger::synth::imu`).
//!
//! Struggling on the ground is modelled as thrashing: the generator's running gait (pushes of
//! 1.6 g, under the 2.1 g impact threshold, with unloaded phases between them, 160 pushes/min)
//! with the trunk still horizontal after the fall: every 0.4 s posture window of it moves more
//! than `fall.still_g` (0.4 g), which the test checks on the scene itself. A gentler struggle
//! (crawling with 2 g pushes at 110 steps/min) has windows at 0.29-0.35 g, under the gate: the
//! turn and the lying posture then decide alone, and such a fall is decided (docs/imu.md).
//!
//! - A fall, a struggle on the ground, getting up and walking away: the wearer was never still,
//!   so no fall is decided (step 4 of the fall sequence, docs/imu.md) and no officer down.
//! - A fall, a struggle, then lying still: officer down still comes, `officer_down_s` after the
//!   stillness began (the struggle delays it, it does not cancel it).
//! - The control: the same fall followed by lying still is a fall, then officer down.

use autotrigger::imu::{ImuDetectors, ImuSample};
use autotrigger::synth::imu::{FallDirection, ImuScene, Mounting, Timing};
use autotrigger::synth::Rng;
use autotrigger::{Config, Event, EventKind, StreamingDetector, Timestamp};

const DIRS: [FallDirection; 4] = [
    FallDirection::Forward,
    FallDirection::Backward,
    FallDirection::Left,
    FallDirection::Right,
];
const SEEDS: u64 = 3;
/// When the fall's impact comes: 10 s standing, then 0.75 s into the fall.
const IMPACT_S: f64 = 10.75;
/// The fall segment ends this long after the start of the fall (1.2 s).
const FALL_END_S: f64 = 11.2;
const STRUGGLE_S: f64 = 4.0;
/// Cadence of the struggle. The stillness window (`fall.still_window_s`, 0.4 s, from
/// `settle_s` after the impact) is sized to hold a whole step at 150 steps/min (docs/imu.md);
/// at slower cadences it can fall between two pushes, and the turn and the final posture
/// decide alone.
const STRUGGLE_STEPS_PER_MIN: f64 = 160.0;
/// Peak specific force of each push of the struggle, g: under the fall's impact threshold
/// (2.1 g at 200 Hz), so that no push is an impact of its own.
const STRUGGLE_PEAK_G: f64 = 1.6;

fn detect(s: &[ImuSample]) -> Vec<Event> {
    let mut d = ImuDetectors::new(&Config::default()).unwrap();
    let mut ev = Vec::new();
    for b in s.chunks(13) {
        d.process(b, &mut ev).unwrap();
    }
    d.finish(&mut ev);
    ev
}

fn of(ev: &[Event], k: EventKind) -> Vec<&Event> {
    ev.iter().filter(|e| e.kind == k).collect()
}

/// 10 s standing, then a 6 g fall in `dir`; `after` adds the aftermath.
fn scene(seed: u64, dir: FallDirection, after: impl Fn(&mut ImuScene)) -> Vec<ImuSample> {
    let mut s = ImuScene::new(Rng::new(seed));
    s.stand(10.0).fall(dir, 6.0);
    after(&mut s);
    let mount = if seed == 0 {
        Mounting::aligned()
    } else {
        Mounting::random(&mut Rng::new(seed ^ 0xa5a5))
    };
    s.render(200.0, mount, Timing::Regular).0
}

fn secs(t: f64) -> Timestamp {
    Timestamp::from_secs_f64(t)
}

#[test]
fn a_fall_then_lying_still_is_a_fall_then_officer_down() {
    let down_s = Config::default().fall.officer_down_s;
    for seed in 0..SEEDS {
        for dir in DIRS {
            let ev = detect(&scene(seed, dir, |s| {
                s.lie(40.0);
            }));
            let falls = of(&ev, EventKind::Fall);
            assert_eq!(falls.len(), 1, "seed {seed} {dir:?}: {ev:?}");
            assert!(
                falls[0].onset.micros_since(secs(IMPACT_S)).abs() <= 100_000,
                "seed {seed} {dir:?}: fall onset {:?}",
                falls[0].onset
            );
            let down = of(&ev, EventKind::OfficerDown);
            assert_eq!(down.len(), 1, "seed {seed} {dir:?}: {ev:?}");
            // Lying is seen within about a second of the impact; the alert comes
            // `officer_down_s` later.
            let d = down[0].decided.micros_since(secs(IMPACT_S)) as f64 * 1e-6;
            assert!(
                d >= down_s && d <= down_s + 2.0,
                "seed {seed} {dir:?}: officer down {d} s after the impact"
            );
        }
    }
}

/// The smallest standard deviation of |a| (g) over any `win_s` window starting in
/// `[from_s, to_s]`: how still the stillest moment of that stretch is.
fn stillest_window_g(s: &[ImuSample], from_s: f64, to_s: f64, win_s: f64) -> f64 {
    let g: Vec<(f64, f64)> = s
        .iter()
        .map(|x| {
            let a = x
                .accel
                .iter()
                .map(|v| f64::from(*v).powi(2))
                .sum::<f64>()
                .sqrt();
            (x.t.as_micros() as f64 * 1e-6, a / 9.80665)
        })
        .collect();
    let mut best = f64::INFINITY;
    let mut t0 = from_s;
    while t0 <= to_s {
        let w: Vec<f64> = g
            .iter()
            .filter(|(t, _)| *t >= t0 && *t < t0 + win_s)
            .map(|x| x.1)
            .collect();
        let m = w.iter().sum::<f64>() / w.len() as f64;
        let sd = (w.iter().map(|v| (v - m).powi(2)).sum::<f64>() / w.len() as f64).sqrt();
        best = best.min(sd);
        t0 += 0.01;
    }
    best
}

/// A fall, then a struggle on the ground vigorous enough that no posture window after the
/// impact is still (every window's motion above `fall.still_g`, checked on the scene itself),
/// then getting up and walking away: the stillness check rejects the fall, and no officer
/// down. Skipping the stillness check makes this fail (the turn and the lying posture alone
/// pass).
#[test]
fn a_fall_then_struggling_up_and_walking_away_is_not_a_fall_nor_officer_down() {
    let cfg = Config::default().fall;
    for seed in 0..SEEDS {
        for dir in DIRS {
            let x = scene(seed, dir, |s| {
                s.run(STRUGGLE_S, STRUGGLE_STEPS_PER_MIN, STRUGGLE_PEAK_G)
                    .get_up(2.0)
                    .walk(30.0, 110.0, 1.6);
            });
            // Every posture window the detector may use (from `settle_s` after the impact,
            // up to the end of the struggle) moves more than the gate allows.
            let stillest = stillest_window_g(
                &x,
                IMPACT_S + cfg.settle_s,
                FALL_END_S + STRUGGLE_S - cfg.still_window_s,
                cfg.still_window_s,
            );
            assert!(
                stillest > cfg.still_g,
                "seed {seed} {dir:?}: the struggle has a window of {stillest:.3} g"
            );
            let ev = detect(&x);
            assert!(
                of(&ev, EventKind::Fall).is_empty(),
                "seed {seed} {dir:?}: the wearer never stopped moving, yet: {:?}",
                of(&ev, EventKind::Fall)
            );
            assert!(
                of(&ev, EventKind::OfficerDown).is_empty(),
                "seed {seed} {dir:?}: {ev:?}"
            );
        }
    }
}

#[test]
fn a_fall_then_struggling_then_lying_still_still_gives_officer_down() {
    let down_s = Config::default().fall.officer_down_s;
    let still_from = FALL_END_S + STRUGGLE_S;
    for seed in 0..SEEDS {
        for dir in DIRS {
            let ev = detect(&scene(seed, dir, |s| {
                s.run(STRUGGLE_S, STRUGGLE_STEPS_PER_MIN, STRUGGLE_PEAK_G)
                    .lie(40.0);
            }));
            let down = of(&ev, EventKind::OfficerDown);
            assert_eq!(down.len(), 1, "seed {seed} {dir:?}: {ev:?}");
            // The timer starts when the struggle ends (within the motion window's length),
            // never at the impact: the struggle delays the alert by its length.
            let d = down[0].decided.micros_since(secs(still_from)) as f64 * 1e-6;
            assert!(
                d >= down_s && d <= down_s + 2.0,
                "seed {seed} {dir:?}: officer down {d} s after the struggle ended"
            );
            assert!(
                down[0].onset >= secs(still_from - 0.5),
                "seed {seed} {dir:?}: onset {:?} before the struggle ended",
                down[0].onset
            );
            assert!(of(&ev, EventKind::OfficerDownCancelled).is_empty());
        }
    }
}
