//! Leave-one-dataset-out figures of the running detector (issue 13). What is chosen from
//! data is chosen on three of the four datasets of `../shared/datasets/imu` and scored on the
//! fourth, for each of the four; those are the development figures (docs/imu.md, README).
//!
//! Shipped: whether a long period may be read as a stride (`running.stride_periods`), with
//! the intensity and regularity gates (`running.min_periodicity`, `min_rms_g`,
//! `min_step_peak_g`, `max_step_min_g`) as set by hand on SisFall. Also printed, not
//! adopted: all five refitted on a grid the same way, which does worse held out; the test
//! fails if that refit ever beats the shipped gates on every held-out group.
//!
//! Every recording is run once through the `RunningDetector` per `stride_periods` setting
//! (FallAllD with its barometer, as `autotrigger detect` reads it), one sample at a time,
//! and every analysis window's gait features and barometer window are kept. The gates only
//! decide whether a window qualifies; the features, and when windows are analysed, do not
//! depend on them, so replaying the detector's start rule (a streak of qualifying windows
//! lasting `min_duration_s + borderline_extra_s * (1 - clarity)`, no start while the
//! barometer shows a steady climb) over the kept windows gives exactly what the detector
//! with those gates reports (checked below against the detector with the default gates,
//! with and without strides).
//!
//! A running recording (label `run`) is found when the detector reports running in it; a
//! non-running recording (walking and other ADLs; falls are left out, a jogging fall holds
//! real running) is flagged when it does. The choice among candidate settings: among those
//! that find at least 95 % of the running recordings of every training (dataset, position)
//! group, the fewest pooled training non-running recordings flagged (ties: the higher mean
//! share found, then the earlier, stricter grid point); when none reaches 95 % everywhere,
//! the highest worst-group share found. The defaults are the shipped choice on all four
//! datasets (asserted). The first running step is not annotated: the decision time is
//! printed from the start of each recording (FallAllD A043, which stands first, from 9.5 s).
//!
//! `AUTOTRIGGER_DATASETS=/work/shared/datasets cargo test --release --test imu_running_lodo --
//! --nocapture` prints, per held-out dataset, the chosen setting and the held-out figures per
//! position, a GAP line for each aim missed (>= 95 % found, <= 3 % flagged, FallAllD stairs
//! <= 1 %), the worst held-out group, the defaults on all four with and without strides,
//! the decision times and the refit. `IMU_RUN_DUMP=path` also writes every analysis window
//! with its features (analysis aid).

mod common;
#[path = "common/imu_sources.rs"]
mod imu_sources;

use autotrigger::imu::running::clarity;
use autotrigger::imu::{
    BaroWindow, GaitFeatures, OrientationConfig, RunningConfig, RunningDetector,
};
use autotrigger::EventKind;
use imu_sources::{load_recording, par_map, recordings, Rec};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Time between two analyses, us (the detector's hop).
const HOP_US: i64 = 250_000;

/// One analysis window: the sample time at which it was analysed, its gait features and its
/// barometer window.
#[derive(Debug, Clone, Copy)]
struct Win {
    t_us: i64,
    g: GaitFeatures,
    baro: Option<BaroWindow>,
}

/// Every analysis window of one recording (with its barometer when it has one), and whether
/// the detector with `cfg` reported running.
fn windows(r: &Rec, cfg: &RunningConfig) -> (Vec<Win>, bool) {
    let rec = load_recording(r);
    let mut d = RunningDetector::new(cfg, &OrientationConfig::default()).unwrap();
    let mut ev = Vec::new();
    let mut out = Vec::new();
    let mut p = 0;
    let mut last = None;
    for (i, s) in rec.samples.iter().enumerate() {
        let n = rec.pressure[p..].iter().take_while(|q| q.t <= s.t).count();
        d.process_with_pressure(&rec.samples[i..=i], &rec.pressure[p..p + n], &mut ev)
            .unwrap();
        p += n;
        // A new analysis shows as new features (two bit-identical consecutive windows would
        // be kept once; the replay check below would catch that changing a decision).
        let g = d.last_features();
        if let Some(f) = g.filter(|_| g != last) {
            out.push(Win {
                t_us: s.t.as_micros(),
                g: f,
                baro: d.last_baro(),
            });
            last = g;
        }
    }
    assert_eq!(
        d.gaps(),
        0,
        "{}: the replay assumes no gap",
        r.path.display()
    );
    let found = ev.iter().any(|e| e.kind == EventKind::Running);
    (out, found)
}

/// The gates the grid varies: (stride_periods, min_periodicity, min_rms_g, min_step_peak_g,
/// max_step_min_g).
type Gates = (bool, f32, f32, f32, f32);

fn gates_of(c: &RunningConfig) -> Gates {
    (
        c.stride_periods,
        c.min_periodicity as f32,
        c.min_rms_g as f32,
        c.min_step_peak_g as f32,
        c.max_step_min_g as f32,
    )
}

fn config_of(g: &Gates) -> RunningConfig {
    RunningConfig {
        stride_periods: g.0,
        min_periodicity: f64::from(g.1),
        min_rms_g: f64::from(g.2),
        min_step_peak_g: f64::from(g.3),
        max_step_min_g: f64::from(g.4),
        ..RunningConfig::default()
    }
}

/// The detector's start rule replayed over the kept windows: when `c` reports running (the
/// sample time of the deciding window, us), if it does.
fn decided(ws: &[Win], c: &RunningConfig) -> Option<i64> {
    let window_us = (c.window_s * 1e6).round() as i64;
    let mut streak: Option<usize> = None;
    for (i, w) in ws.iter().enumerate() {
        let g = &w.g;
        let climbing = w.baro.is_some_and(|b| {
            c.stairs_vertical_speed_m_s > 0.0
                && f64::from(b.vertical_speed_m_s.abs()) >= c.stairs_vertical_speed_m_s
                && f64::from(b.residual_hpa) <= c.baro_max_residual_hpa
        });
        let ok = !climbing
            && g.cadence_spm >= c.min_cadence_spm as f32
            && g.cadence_spm <= c.max_cadence_spm as f32
            && g.periodicity >= c.min_periodicity as f32
            && g.rms_g >= c.min_rms_g as f32
            && g.step_peak_g >= c.min_step_peak_g as f32
            && g.step_min_g <= c.max_step_min_g as f32;
        if ok {
            let first = *streak.get_or_insert(i);
            let dur = window_us + (i - first) as i64 * HOP_US;
            let required = c.min_duration_s + c.borderline_extra_s * (1.0 - clarity(c, g) as f64);
            if dur >= (required * 1e6).round() as i64 {
                return Some(w.t_us);
            }
        } else {
            streak = None;
        }
    }
    None
}

fn starts(ws: &[Win], c: &RunningConfig) -> bool {
    decided(ws, c).is_some()
}

/// Per (dataset, position): [runs, runs found, non-runs, non-runs flagged, stairs, stairs
/// flagged].
type Table = BTreeMap<(String, String), [u32; 6]>;

/// FallAllD stair recordings: start/go/stop upstairs and downstairs, and fast stairs.
fn is_stairs(r: &Rec) -> bool {
    r.dataset == "FallAllD" && ("A029"..="A036").contains(&r.code.as_str())
}

fn table(recs: &[Rec], ws: &[Vec<Win>], c: &RunningConfig) -> Table {
    let mut t = Table::new();
    for (r, w) in recs.iter().zip(ws) {
        if r.label == "fall" {
            continue;
        }
        let hit = starts(w, c);
        let row = t
            .entry((r.dataset.clone(), r.position.clone()))
            .or_default();
        if r.label == "run" {
            row[0] += 1;
            row[1] += u32::from(hit);
        } else {
            row[2] += 1;
            row[3] += u32::from(hit);
            if is_stairs(r) {
                row[4] += 1;
                row[5] += u32::from(hit);
            }
        }
    }
    t
}

fn found(r: &[u32; 6]) -> f64 {
    f64::from(r[1]) / f64::from(r[0].max(1))
}

fn flagged(r: &[u32; 6]) -> f64 {
    f64::from(r[3]) / f64::from(r[2].max(1))
}

/// Over the groups `use_group` keeps: (worst group's share found, pooled share of non-runs
/// flagged, mean share found).
fn objective(t: &Table, use_group: &dyn Fn(&str) -> bool) -> (f64, f64, f64) {
    let (mut worst, mut non_runs, mut flags, mut sum, mut n) = (1f64, 0u32, 0u32, 0f64, 0u32);
    for ((d, _), r) in t {
        if use_group(d) {
            worst = worst.min(found(r));
            non_runs += r[2];
            flags += r[3];
            sum += found(r);
            n += 1;
        }
    }
    (
        worst,
        f64::from(flags) / f64::from(non_runs.max(1)),
        sum / f64::from(n.max(1)),
    )
}

/// Aim: share of running recordings found in every group.
const AIM_FOUND: f64 = 0.95;
/// Aim: share of non-running recordings flagged.
const AIM_FLAGGED: f64 = 0.03;
/// Aim: share of FallAllD stair recordings flagged (with the barometer).
const AIM_STAIRS: f64 = 0.01;

/// Strictest first: a later grid point wins only when strictly better.
fn grid() -> Vec<Gates> {
    let mut g = Vec::new();
    for stride in [false, true] {
        for per in [0.7, 0.65, 0.6, 0.55, 0.5] {
            for rms in [0.55, 0.5, 0.45, 0.4, 0.35, 0.3] {
                for peak in [2.2, 2.0, 1.9, 1.8, 1.7, 1.6, 1.5] {
                    for min in [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6] {
                        g.push((stride, per, rms, peak, min));
                    }
                }
            }
        }
    }
    g
}

fn choose(tables: &[(Gates, Table)], use_group: &dyn Fn(&str) -> bool) -> (Gates, (f64, f64, f64)) {
    // (reaches the aim everywhere, then fewer flagged, then more found on average); below the
    // aim, the better worst group first.
    let key = |o: (f64, f64, f64)| {
        let ok = o.0 >= AIM_FOUND - 1e-12;
        (u8::from(ok), if ok { 0.0 } else { o.0 }, -o.1, o.2)
    };
    let mut best: Option<(Gates, (f64, f64, f64))> = None;
    for (g, t) in tables {
        let o = objective(t, use_group);
        let better = best.is_none_or(|(_, b)| {
            let (k, kb) = (key(o), key(b));
            k.0 > kb.0
                || (k.0 == kb.0
                    && (k.1 > kb.1 + 1e-12
                        || (k.1 > kb.1 - 1e-12
                            && (k.2 > kb.2 + 1e-12 || (k.2 > kb.2 - 1e-12 && k.3 > kb.3 + 1e-12)))))
        });
        if better {
            best = Some((*g, o));
        }
    }
    best.unwrap()
}

/// Prints the groups of `dataset`, with a GAP line for each aim missed; returns the worst
/// group's shortfall (the smallest ratio of a figure to its aim, 1 = met).
fn print_rows(t: &Table, dataset: &str, gaps: bool) -> f64 {
    let mut worst = f64::INFINITY;
    for ((d, p), r) in t.iter().filter(|((d, _), _)| d == dataset) {
        let stairs = if r[4] > 0 {
            format!(
                "  stairs {:>2}/{:<2} {:>5.1}%",
                r[5],
                r[4],
                100.0 * f64::from(r[5]) / f64::from(r[4])
            )
        } else {
            String::new()
        };
        println!(
            "    {d:<14} {p:<7} running found {:>3}/{:<3} {:>5.1}%  non-running flagged {:>3}/{:<3} {:>5.1}%{stairs}",
            r[1],
            r[0],
            100.0 * found(r),
            r[3],
            r[2],
            100.0 * flagged(r)
        );
        let mut w = found(r) / AIM_FOUND;
        // Flagged: the ratio of the allowed count (+1) to the count (+1), so 0 flagged is met.
        let allowed = |n: u32, aim: f64| (aim * f64::from(n) + 1.0) / (f64::from(r[3]) + 1.0);
        w = w.min(allowed(r[2], AIM_FLAGGED));
        if gaps {
            if found(r) < AIM_FOUND {
                println!(
                    "      GAP {d} / {p}: running found {:.1} % < 95 %",
                    100.0 * found(r)
                );
            }
            if flagged(r) > AIM_FLAGGED {
                println!(
                    "      GAP {d} / {p}: non-running flagged {:.1} % > 3 %",
                    100.0 * flagged(r)
                );
            }
            if r[4] > 0 && f64::from(r[5]) > AIM_STAIRS * f64::from(r[4]) {
                println!(
                    "      GAP {d} / {p}: stairs flagged {:.1} % > 1 %",
                    100.0 * f64::from(r[5]) / f64::from(r[4])
                );
            }
        }
        worst = worst.min(w);
    }
    worst
}

/// Held-out floors (counts) per (dataset, position): running recordings found at least,
/// non-running recordings flagged at most. Measured when the stride reading and this test
/// came in (issue 13); they catch a regression of the held-out figures, they are not the
/// aims.
const LODO_FLOORS: [(&str, &str, u32, u32); 6] = [
    ("FallAllD", "neck", 66, 4),
    ("FallAllD", "waist", 52, 2),
    ("MobiFall_v2.0", "pocket", 10, 2),
    ("SisFall", "waist", 17, 10),
    ("UMAFall", "chest", 2, 1),
    ("UMAFall", "waist", 6, 5),
];

#[test]
#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]
fn running_gates_leave_one_dataset_out() {
    let Some(root) = common::shared_datasets("running_gates_leave_one_dataset_out") else {
        return;
    };
    let recs = recordings(&root.join("imu"));
    assert_eq!(recs.len(), 1320, "recordings in the dev set");
    let def = RunningConfig::default();
    // Windows with and without the stride reading, and the detector's own verdict with the
    // default gates in each case.
    let by_stride = |stride: bool| {
        let cfg = RunningConfig {
            stride_periods: stride,
            ..def.clone()
        };
        let res = par_map(&recs, |r| windows(r, &cfg));
        let (ws, hits): (Vec<Vec<Win>>, Vec<bool>) = res.into_iter().unzip();
        for ((r, w), hit) in recs.iter().zip(&ws).zip(&hits) {
            assert_eq!(
                starts(w, &cfg),
                *hit,
                "{}: the replayed start rule disagrees with the detector",
                r.path.display()
            );
        }
        ws
    };
    let ws_step = by_stride(false);
    let ws_stride = by_stride(true);

    if let Some(p) = std::env::var_os("IMU_RUN_DUMP") {
        let mut s = String::new();
        for (r, ws) in recs.iter().zip(&ws_stride) {
            for w in ws {
                let b = w.baro.map_or((f32::NAN, f32::NAN), |b| {
                    (b.vertical_speed_m_s, b.residual_hpa)
                });
                writeln!(
                    s,
                    "{},{},{},{},{},{:.2},{:.1},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3},{},{:.3}",
                    r.dataset,
                    r.position,
                    r.label,
                    r.code,
                    r.path.display(),
                    w.t_us as f64 * 1e-6,
                    w.g.cadence_spm,
                    w.g.periodicity,
                    w.g.rms_g,
                    w.g.step_peak_g,
                    w.g.step_min_g,
                    b.0,
                    b.1,
                    u8::from(w.g.stride),
                    w.g.alternation
                )
                .unwrap();
            }
        }
        std::fs::write(p, s).unwrap();
    }

    let tables: Vec<(Gates, Table)> = grid()
        .into_iter()
        .map(|g| {
            let ws = if g.0 { &ws_stride } else { &ws_step };
            let t = table(&recs, ws, &config_of(&g));
            (g, t)
        })
        .collect();
    let table_of = |g: &Gates| &tables.iter().find(|(x, _)| x == g).unwrap().1;
    let dg = gates_of(&def);
    let datasets = ["FallAllD", "MobiFall_v2.0", "SisFall", "UMAFall"];
    // The shipped choice: the stride reading on or off, with the intensity and regularity
    // gates as set by hand on SisFall (for the other three datasets those gates are held
    // out by construction).
    let shipped: Vec<(Gates, Table)> = [false, true]
        .iter()
        .map(|&st| {
            let g = (st, dg.1, dg.2, dg.3, dg.4);
            (g, table_of(&g).clone())
        })
        .collect();
    let lodo = |cands: &[(Gates, Table)], title: &str| {
        let mut held_out = Table::new();
        let mut worst: Option<(f64, &str)> = None;
        println!("{title}, leave one dataset out:");
        for d in datasets {
            let (g, o) = choose(cands, &|x| x != d);
            println!(
                "  held out {d}: chosen on the other three {g:?} (their worst group found {:.1} %, pooled flagged {:.1} %)",
                100.0 * o.0,
                100.0 * o.1
            );
            let t = table_of(&g);
            let w = print_rows(t, d, true);
            if worst.is_none_or(|(b, _)| w < b) {
                worst = Some((w, d));
            }
            for (k, v) in t.iter().filter(|((x, _), _)| x == d) {
                held_out.insert(k.clone(), *v);
            }
        }
        let (w, wd) = worst.unwrap();
        println!(
            "  worst held-out dataset: {wd} (its worst group at {:.1} % of an aim)",
            100.0 * w
        );
        held_out
    };
    println!("(stride_periods, min_periodicity, min_rms_g, min_step_peak_g, max_step_min_g)");
    let held_out = lodo(
        &shipped,
        "shipped: stride_periods chosen, the other gates as set by hand on SisFall",
    );
    let (g, o) = choose(&shipped, &|_| true);
    println!(
        "chosen on all four: {g:?} (worst group found {:.1} %, pooled flagged {:.1} %); defaults {dg:?}",
        100.0 * o.0,
        100.0 * o.1
    );
    assert_eq!(
        g, dg,
        "the defaults are not the choice on all four datasets"
    );
    println!("defaults on all four:");
    for d in datasets {
        print_rows(table_of(&dg), d, false);
    }
    // Decision time: from the start of the recording (the running recordings start running
    // within a few seconds, except FallAllD A043 "start jogging", which stands for about
    // 9.5 s first and is counted from 9.5 s).
    println!("decision after the start of running (recording start; A043: 9.5 s), defaults:");
    let mut times: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for (r, w) in recs.iter().zip(&ws_stride) {
        if r.label != "run" {
            continue;
        }
        if let Some(t) = decided(w, &def) {
            let t0 = if r.code == "A043" { 9.5 } else { 0.0 };
            times
                .entry((r.dataset.clone(), r.position.clone()))
                .or_default()
                .push(t as f64 * 1e-6 - t0);
        }
    }
    for ((d, p), mut v) in times {
        v.sort_by(f64::total_cmp);
        let q = |f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
        let over = v.iter().filter(|&&x| x > 5.0).count();
        println!(
            "    {d:<14} {p:<7} n {:>3}  p50 {:.2} s  p95 {:.2} s  max {:.2} s  after 5 s {over}",
            v.len(),
            q(0.5),
            q(0.95),
            q(1.0)
        );
    }
    let step_only = (false, dg.1, dg.2, dg.3, dg.4);
    println!("defaults without the stride reading (what stride_periods buys):");
    for d in datasets {
        print_rows(table_of(&step_only), d, false);
    }
    // Refitting every gate on three datasets does worse on the fourth than the hand-set
    // gates (docs/imu.md): printed, not adopted.
    let refit = lodo(&tables, "not adopted: every gate refitted on the grid");
    let (g, o) = choose(&tables, &|_| true);
    println!(
        "  refitted on all four: {g:?} (worst group found {:.1} %, pooled flagged {:.1} %)",
        100.0 * o.0,
        100.0 * o.1
    );
    // The refit must not silently become better than what is shipped: if it finds more and
    // flags fewer everywhere, it should be adopted (and this test rewritten).
    let refit_dominates = held_out.iter().all(|(k, s)| {
        let r = &refit[k];
        r[1] >= s[1] && r[3] <= s[3]
    }) && held_out.iter().any(|(k, s)| {
        let r = &refit[k];
        r[1] > s[1] || r[3] < s[3]
    });
    assert!(
        !refit_dominates,
        "the refitted gates beat the shipped ones on every held-out group: adopt them"
    );

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
