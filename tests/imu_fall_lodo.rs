//! Leave-one-dataset-out figures of the fall gates (issue 13): the gates that are fitted to
//! data (`fall.min_tilt_change_deg`, `fall.lying_tilt_deg`, `fall.still_g`) are chosen on
//! three of the four datasets of `../shared/datasets/imu` and scored on the fourth, for each
//! of the four; those are the development figures (docs/imu.md, README).
//!
//! Every recording is run once through the `FallDetector` with the default config and open
//! gates (every impact candidate is reported with its features). The gates only decide
//! whether an evaluated candidate becomes a fall; when and where candidates are evaluated
//! does not depend on them, so re-gating the reported candidates gives exactly what the
//! detector with those gates reports (checked below against a detector run with the default
//! gates).
//!
//! The choice: over a grid of gate values (tilt change 20-60 degrees, lying tilt 30-65
//! degrees, stillness 0.1-0.4 g), the highest mean sensitivity over the training (dataset,
//! position) groups among the gates whose pooled specificity over the training recordings
//! is at least 98.5 % (ties: the higher specificity, then the stricter gates). The defaults
//! are this choice on all four datasets (asserted).
//!
//! `cargo test --release --test imu_fall_lodo -- --nocapture` prints, per held-out dataset,
//! the chosen gates and the held-out figures per position, the worst held-out dataset, and
//! the choice on all four datasets next to the defaults. `IMU_FALL_DUMP=path` also writes
//! every candidate with its evidence (analysis aid).

mod common;
#[path = "common/imu_sources.rs"]
mod imu_sources;

use autotrigger::imu::{FallConfig, FallDetector, OrientationConfig};
use autotrigger::{Event, EventKind, StreamingDetector};
use imu_sources::{count, load, par_map, recordings, sens, spec, Rec};
use std::collections::BTreeMap;
use std::fmt::Write;

/// One evaluated candidate: (tilt change, post tilt, post motion).
type Cand = (f32, f32, f32);

/// (min_tilt_change_deg, lying_tilt_deg, still_g).
type Gates = (f32, f32, f32);

fn passes(c: &Cand, g: &Gates) -> bool {
    c.0 >= g.0 && c.1 >= g.1 && c.2 <= g.2
}

fn open_gates() -> FallConfig {
    FallConfig {
        min_tilt_change_deg: 0.0,
        lying_tilt_deg: 10.0,
        get_up_tilt_deg: 5.0,
        still_g: 2.0,
        ..FallConfig::default()
    }
}

fn run(cfg: &FallConfig, r: &Rec) -> Vec<Event> {
    let mut d = FallDetector::new(cfg, &OrientationConfig::default()).unwrap();
    let mut ev = Vec::new();
    d.process(&load(r), &mut ev).unwrap();
    d.finish(&mut ev);
    ev.retain(|e| e.kind == EventKind::Fall);
    ev
}

fn cand(e: &Event) -> Cand {
    let v = |n: &str| e.evidence.get(n).unwrap().value;
    (v("tilt_change_deg"), v("post_tilt_deg"), v("post_motion_g"))
}

/// Per (dataset, position): [falls, falls found, non-falls, non-falls with a fall].
type Table = BTreeMap<(String, String), [u32; 4]>;

fn table(recs: &[Rec], cands: &[Vec<Cand>], g: &Gates) -> Table {
    let mut t = Table::new();
    for (r, cs) in recs.iter().zip(cands) {
        let hit = cs.iter().any(|c| passes(c, g));
        let row = t
            .entry((r.dataset.clone(), r.position.clone()))
            .or_default();
        count(row, r.label == "fall", hit);
    }
    t
}

/// Pooled specificity over the non-fall recordings of the groups `use_group` keeps, and their
/// mean sensitivity (each (dataset, position) group counts once).
fn objective(t: &Table, use_group: &dyn Fn(&str) -> bool) -> (f64, f64) {
    let (mut non_falls, mut flagged, mut sens_sum, mut groups) = (0u32, 0u32, 0.0, 0u32);
    for ((d, _), r) in t {
        if use_group(d) {
            non_falls += r[2];
            flagged += r[3];
            sens_sum += sens(r);
            groups += 1;
        }
    }
    (
        1.0 - f64::from(flagged) / f64::from(non_falls.max(1)),
        sens_sum / f64::from(groups.max(1)),
    )
}

/// Smallest pooled specificity over the training recordings the choice accepts (the phone
/// condition's floor in `tests/imu_devset.rs`, and above the 97 % aim).
const MIN_POOLED_SPECIFICITY: f64 = 0.985;

fn grid() -> Vec<Gates> {
    let mut g = Vec::new();
    for tilt in [60.0, 55.0, 50.0, 45.0, 40.0, 35.0, 30.0, 25.0, 20.0] {
        for lying in [65.0, 60.0, 55.0, 50.0, 45.0, 40.0, 35.0, 30.0] {
            for still in [0.1, 0.15, 0.2, 0.25, 0.3, 0.4] {
                g.push((tilt, lying, still));
            }
        }
    }
    g
}

/// Among the gates whose pooled training specificity reaches [`MIN_POOLED_SPECIFICITY`], the
/// one with the highest mean training sensitivity; ties go to the higher specificity, then
/// to the earlier (stricter) grid point. Returns the gates and their (specificity,
/// sensitivity) on the training groups.
fn choose(tables: &[(Gates, Table)], use_group: &dyn Fn(&str) -> bool) -> (Gates, (f64, f64)) {
    let key = |o: (f64, f64)| (u8::from(o.0 >= MIN_POOLED_SPECIFICITY), o.1, o.0);
    let mut best: Option<(Gates, (f64, f64))> = None;
    for (g, t) in tables {
        let o = objective(t, use_group);
        let better = best.is_none_or(|(_, b)| {
            let (k, kb) = (key(o), key(b));
            k.0 > kb.0
                || (k.0 == kb.0
                    && (k.1 > kb.1 + 1e-12 || (k.1 > kb.1 - 1e-12 && k.2 > kb.2 + 1e-12)))
        });
        if better {
            best = Some((*g, o));
        }
    }
    best.unwrap()
}

fn print_rows(t: &Table, dataset: &str) {
    for ((d, p), r) in t.iter().filter(|((d, _), _)| d == dataset) {
        println!(
            "    {d:<14} {p:<7} sensitivity {:>3}/{:<3} {:>5.1}%  specificity {:>3}/{:<3} {:>5.1}%",
            r[1],
            r[0],
            100.0 * sens(r),
            r[2] - r[3],
            r[2],
            100.0 * spec(r)
        );
    }
}

/// Held-out floors (counts) per (dataset, position): falls found at least, non-falls with a
/// fall at most. Measured when the gates and the posture window changed (issue 13); they
/// catch a regression of the held-out figures, they are not the aims.
const LODO_FLOORS: [(&str, &str, u32, u32); 6] = [
    ("FallAllD", "neck", 156, 3),
    ("FallAllD", "waist", 121, 4),
    ("MobiFall_v2.0", "pocket", 46, 1),
    ("SisFall", "waist", 238, 2),
    ("UMAFall", "chest", 3, 0),
    ("UMAFall", "waist", 13, 1),
];

#[test]
#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]
fn fall_gates_leave_one_dataset_out() {
    let Some(root) = common::shared_datasets("fall_gates_leave_one_dataset_out") else {
        return;
    };
    let recs = recordings(&root.join("imu"));
    assert_eq!(recs.len(), 1320, "recordings in the dev set");
    let open = open_gates();
    let def = FallConfig::default();
    let (events, default_hits): (Vec<Vec<Event>>, Vec<bool>) = par_map(&recs, |r| {
        let s = load(r);
        let detect = |cfg: &FallConfig| {
            let mut d = FallDetector::new(cfg, &OrientationConfig::default()).unwrap();
            let mut ev = Vec::new();
            d.process(&s, &mut ev).unwrap();
            d.finish(&mut ev);
            ev.retain(|e| e.kind == EventKind::Fall);
            ev
        };
        (detect(&open), !detect(&def).is_empty())
    })
    .into_iter()
    .unzip();
    let cands: Vec<Vec<Cand>> = events
        .iter()
        .map(|ev| ev.iter().map(cand).collect())
        .collect();

    // Re-gating the open-gate candidates is the detector with those gates.
    let dg: Gates = (
        def.min_tilt_change_deg as f32,
        def.lying_tilt_deg as f32,
        def.still_g as f32,
    );
    for ((r, cs), hit) in recs.iter().zip(&cands).zip(&default_hits) {
        assert_eq!(
            cs.iter().any(|c| passes(c, &dg)),
            *hit,
            "{}: re-gated candidates disagree with the detector",
            r.path.display()
        );
    }

    if let Some(p) = std::env::var_os("IMU_FALL_DUMP") {
        let mut s = String::new();
        for (r, ev) in recs.iter().zip(&events) {
            for e in ev {
                write!(
                    s,
                    "{},{},{},{},{:.3},{:.3},{:.3}",
                    r.dataset,
                    r.position,
                    r.label,
                    r.path.display(),
                    r.impact_us.map_or(f64::NAN, |x| x as f64 * 1e-6),
                    e.onset.as_secs_f64(),
                    e.decided.as_secs_f64()
                )
                .unwrap();
                for i in e.evidence.items() {
                    write!(s, ",{}={:.3}", i.name, i.value).unwrap();
                }
                s.push('\n');
            }
            if ev.is_empty() {
                writeln!(
                    s,
                    "{},{},{},{},{:.3},NONE",
                    r.dataset,
                    r.position,
                    r.label,
                    r.path.display(),
                    r.impact_us.map_or(f64::NAN, |x| x as f64 * 1e-6)
                )
                .unwrap();
            }
        }
        std::fs::write(p, s).unwrap();
    }

    let tables: Vec<(Gates, Table)> = grid()
        .into_iter()
        .map(|g| {
            let t = table(&recs, &cands, &g);
            (g, t)
        })
        .collect();
    let datasets = ["FallAllD", "MobiFall_v2.0", "SisFall", "UMAFall"];
    let mut held_out = Table::new();
    let mut worst: Option<(f64, &str)> = None;
    println!("fall gates (min_tilt_change_deg, lying_tilt_deg, still_g), leave one dataset out:");
    for d in datasets {
        let (g, o) = choose(&tables, &|x| x != d);
        let t = table(&recs, &cands, &g);
        println!(
            "  held out {d}: chosen on the other three {g:?} (their specificity {:.1} %, mean sensitivity {:.1} %)",
            100.0 * o.0,
            100.0 * o.1
        );
        print_rows(&t, d);
        // The worst dataset: its worst group's shortfall against the aims (95 % / 97 %).
        let w = t
            .iter()
            .filter(|((x, _), _)| x == d)
            .map(|(_, r)| (sens(r) / 0.95).min(spec(r) / 0.97))
            .fold(f64::INFINITY, f64::min);
        if worst.is_none_or(|(b, _)| w < b) {
            worst = Some((w, d));
        }
        for (k, v) in t.into_iter().filter(|((x, _), _)| x == d) {
            held_out.insert(k, v);
        }
    }
    let (w, wd) = worst.unwrap();
    println!(
        "  worst held-out dataset: {wd} (its worst group at {:.1} % of an aim)",
        100.0 * w
    );
    let (g, o) = choose(&tables, &|_| true);
    println!(
        "chosen on all four: {g:?} (specificity {:.1} %, mean sensitivity {:.1} %); defaults {dg:?}",
        100.0 * o.0,
        100.0 * o.1
    );
    assert_eq!(
        g, dg,
        "the default gates are not the choice on all four datasets"
    );
    let t = table(&recs, &cands, &dg);
    println!("defaults on all four (the pooled fit, not a development figure):");
    for d in datasets {
        print_rows(&t, d);
    }

    let mut failures = Vec::new();
    for (d, p, found, flagged) in LODO_FLOORS {
        let Some(r) = held_out.get(&(d.to_string(), p.to_string())) else {
            failures.push(format!("{d} / {p}: missing"));
            continue;
        };
        if r[1] < found || r[3] > flagged {
            failures.push(format!(
                "{d} / {p}: held out {r:?} below the floor (found >= {found}, flagged <= {flagged})"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `IMU_FALL_DUMP=path IMU_FALL_CONFIGS=settle:window,...`: candidates with open gates at
/// several posture-window timings, one file per timing (`path.0`, `path.1`, ...).
#[test]
#[ignore = "diagnostic dump, not a check: IMU_FALL_DUMP=path IMU_FALL_CONFIGS=... --ignored"]
fn fall_candidates_dump_timings() {
    let (Some(p), Some(combos)) = (
        std::env::var_os("IMU_FALL_DUMP"),
        std::env::var_os("IMU_FALL_CONFIGS"),
    ) else {
        panic!("set IMU_FALL_DUMP=path and IMU_FALL_CONFIGS=settle:window,... for this dump");
    };
    let Some(root) = common::shared_datasets("fall_candidates_dump_timings") else {
        return;
    };
    let recs = recordings(&root.join("imu"));
    for (ci, combo) in combos.to_str().unwrap().split(',').enumerate() {
        let (a, b) = combo.split_once(':').unwrap();
        let cfg = FallConfig {
            settle_s: a.parse().unwrap(),
            still_window_s: b.parse().unwrap(),
            ..open_gates()
        };
        let lines = par_map(&recs, |r| {
            let ev = run(&cfg, r);
            let mut s = String::new();
            let head = format!(
                "{},{},{},{},{:.3}",
                r.dataset,
                r.position,
                r.label,
                r.path.display(),
                r.impact_us.map_or(f64::NAN, |x| x as f64 * 1e-6)
            );
            for e in &ev {
                write!(
                    s,
                    "{head},{:.3},{:.3}",
                    e.onset.as_secs_f64(),
                    e.decided.as_secs_f64()
                )
                .unwrap();
                for i in e.evidence.items() {
                    write!(s, ",{}={:.3}", i.name, i.value).unwrap();
                }
                s.push('\n');
            }
            if ev.is_empty() {
                writeln!(s, "{head},NONE").unwrap();
            }
            s
        });
        std::fs::write(format!("{}.{ci}", p.to_str().unwrap()), lines.concat()).unwrap();
    }
}
