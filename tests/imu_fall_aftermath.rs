//! What happens after the impact decides a fall (synthetic scenes only, so the property is
//! guarded without `../shared`): the stillness check of the fall detector and the officer-down
//! timer, on scenes from the independent generator (`autotrigger::synth::imu`).
//!
//! Struggling on the ground is modelled as crawling: the generator's per-step specific force
//! (2.0 g peaks, 110 steps/min) with the trunk still horizontal after the fall, the motion of
//! someone pushing and rolling on the ground (std of |a| well above `fall.still_g`, 0.25 g).
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

#[test]
fn a_fall_then_struggling_up_and_walking_away_is_not_a_fall_nor_officer_down() {
    for seed in 0..SEEDS {
        for dir in DIRS {
            let ev = detect(&scene(seed, dir, |s| {
                s.walk(STRUGGLE_S, 110.0, 2.0)
                    .get_up(2.0)
                    .walk(30.0, 110.0, 1.6);
            }));
            assert!(
                of(&ev, EventKind::Fall).is_empty(),
                "seed {seed} {dir:?}: the wearer never stopped moving, yet: {ev:?}"
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
                s.walk(STRUGGLE_S, 110.0, 2.0).lie(40.0);
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
