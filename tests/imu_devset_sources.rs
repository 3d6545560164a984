//! Fall and running figures **per dataset and per sensor position** on the grown IMU dev set
//! (`../shared/datasets/imu`, split v2): SisFall (waist, 200 Hz), UMAFall (waist or chest
//! SensorTag, 20 Hz), MobiFall (trouser-pocket phone, ~87 Hz, clips at 2 g) and FallAllD (neck
//! and waist loggers, 238 Hz), default config, each recording as its device delivered it.
//!
//! UMAFall and MobiFall are read from their converted CSVs (`csv/INDEX.csv`, the project's IMU
//! CSV format); FallAllD from its raw `_A.dat`/`_G.dat` counts with the README's scale factors
//! and gyro sign (a reader in the test until the library has one); SisFall raw.
//!
//! The floors are counts measured with the default config when the set grew, per
//! (dataset, position): fall recordings found at least, non-fall recordings with a fall event
//! at most, running recordings found at least, non-running recordings flagged as running at
//! most. They catch a regression on any one device; they are not the aims (issue 13), which
//! most sources miss today. "Non-running" here is walking and other ADLs (falls are left out:
//! a jogging fall holds real running), so SisFall's share is over 161 recordings, not the 386
//! of `imu_devset` (which counts the falls too).
//!
//! The fall decision time after the annotated impact is printed per dataset (p50 / p95 /
//! max over the falls found) where the data has impact times: SisFall (the start of the
//! SisFall_enhanced FALL segment, about 0.15 s before the |a| peak, as in `imu_devset`) and
//! FallAllD (the MANIFEST's "impact (largest |a| in 8.5-11.5 s)"); UMAFall and MobiFall have
//! none. Its p95 must be at most 1.5 s (the aim of issue 13).
//!
//! `cargo test --release --test imu_devset_sources -- --nocapture` prints the table.

mod common;
#[path = "common/imu_sources.rs"]
mod imu_sources;

use autotrigger::imu::ImuDetectors;
use autotrigger::{Config, EventKind, StreamingDetector};
use imu_sources::{load, par_map, recordings};
use std::collections::BTreeMap;

#[derive(Default, Debug, Clone, Copy)]
struct Row {
    falls: u32,
    falls_found: u32,
    non_falls: u32,
    non_falls_flagged: u32,
    runs: u32,
    runs_found: u32,
    non_runs: u32,
    non_runs_flagged: u32,
}

/// `(dataset, position, falls found >=, non-falls with a fall <=, runs found >=, non-runs
/// flagged <=)`, measured on split v2 with the default config. Recording counts are checked
/// too, so a changed data set asks for its floors to be set again.
const FLOORS: [(&str, &str, [u32; 4], [u32; 4]); 6] = [
    // (counts: falls, non-falls, runs, non-runs), (bounds)
    // Falls re-based when the fall detector became position- and device-independent (issue
    // 13: mean-acceleration orientations, falls judged from 0.5 s after the start, a 0.8 s
    // decision, gates chosen leave-one-dataset-out in tests/imu_fall_lodo.rs). Before:
    // SisFall 238 / 1, UMAFall waist 9 / 1, chest 2 / 2, MobiFall 17 / 0, FallAllD neck
    // 161 / 4, waist 121 / 4. One more false fall on SisFall (D09 SA02, sitting down hard)
    // and MobiFall (CSI, stepping into a car); FallAllD neck finds 3 fewer falls with 3 fewer
    // false ones (lying gate 45 -> 50 degrees). Running columns unchanged.
    ("SisFall", "waist", [240, 178, 17, 161], [238, 2, 17, 10]),
    ("UMAFall", "waist", [13, 27, 6, 21], [13, 1, 6, 5]),
    ("UMAFall", "chest", [3, 11, 2, 9], [3, 0, 2, 1]),
    ("MobiFall_v2.0", "pocket", [51, 40, 10, 30], [46, 1, 4, 2]),
    ("FallAllD", "neck", [193, 232, 66, 166], [158, 1, 66, 8]),
    ("FallAllD", "waist", [125, 207, 52, 155], [122, 4, 48, 4]),
];

#[test]
fn imu_devset_per_dataset_and_position() {
    let Some(root) = common::shared_datasets("imu_devset_per_dataset_and_position") else {
        return;
    };
    let root = root.join("imu");
    let recs = recordings(&root);
    assert_eq!(recs.len(), 1320, "recordings in the dev set");
    let cfg = Config::default();
    // Per recording: a fall event, a running event, and the first fall's decision time.
    let results: Vec<(bool, bool, Option<i64>)> = par_map(&recs, |r| {
        let mut d = ImuDetectors::new(&cfg).unwrap();
        let mut ev = Vec::new();
        d.process(&load(r), &mut ev).unwrap();
        d.finish(&mut ev);
        let has = |k: EventKind| ev.iter().any(|e| e.kind == k);
        let fall_at = ev
            .iter()
            .find(|e| e.kind == EventKind::Fall)
            .map(|e| e.decided.as_micros());
        (has(EventKind::Fall), has(EventKind::Running), fall_at)
    });
    let mut table: BTreeMap<(String, String), Row> = BTreeMap::new();
    // Fall decision after the annotated impact, seconds, per dataset (found falls only).
    let mut latency: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for (r, &(fall, running, fall_at)) in recs.iter().zip(&results) {
        if let (Some(at), Some(imp)) = (fall_at, r.impact_us) {
            if r.label == "fall" {
                latency
                    .entry(r.dataset.as_str())
                    .or_default()
                    .push((at - imp) as f64 * 1e-6);
            }
        }
        let row = table
            .entry((r.dataset.clone(), r.position.clone()))
            .or_default();
        if r.label == "fall" {
            row.falls += 1;
            row.falls_found += u32::from(fall);
        } else {
            row.non_falls += 1;
            row.non_falls_flagged += u32::from(fall);
        }
        if r.label == "run" {
            row.runs += 1;
            row.runs_found += u32::from(running);
        } else if r.label != "fall" {
            // A fall recording may hold running before the fall (jogging falls): it is neither
            // a running recording nor a non-running one.
            row.non_runs += 1;
            row.non_runs_flagged += u32::from(running);
        }
    }
    let share = |a: u32, b: u32| 100.0 * f64::from(a) / f64::from(b.max(1));
    println!(
        "{:<14} {:<7} {:>16} {:>16} {:>14} {:>16}",
        "dataset", "pos", "fall sens", "fall spec", "runs found", "non-run flagged"
    );
    for ((d, p), r) in &table {
        println!(
            "{:<14} {:<7} {:>6}/{:<3} {:>5.1}% {:>6}/{:<3} {:>5.1}% {:>4}/{:<3} {:>5.1}% {:>4}/{:<3} {:>5.1}%",
            d,
            p,
            r.falls_found,
            r.falls,
            share(r.falls_found, r.falls),
            r.non_falls - r.non_falls_flagged,
            r.non_falls,
            share(r.non_falls - r.non_falls_flagged, r.non_falls),
            r.runs_found,
            r.runs,
            share(r.runs_found, r.runs),
            r.non_runs_flagged,
            r.non_runs,
            share(r.non_runs_flagged, r.non_runs),
        );
    }
    let pct = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    let mut failures = Vec::new();
    println!("fall decision after the annotated impact (SisFall: SisFall_enhanced FALL start; FallAllD: largest |a| in 8.5-11.5 s; UMAFall and MobiFall have none):");
    for (d, v) in &mut latency {
        v.sort_by(f64::total_cmp);
        let (p50, p95) = (pct(v, 0.5), pct(v, 0.95));
        println!(
            "  {d:<10} n {:>3}  p50 {p50:.2} s  p95 {p95:.2} s  max {:.2} s",
            v.len(),
            pct(v, 1.0)
        );
        // The aim (issue 13): p95 at most 1.5 s after the impact.
        if p95 > 1.5 {
            failures.push(format!("{d}: fall decision p95 {p95:.2} s > 1.5 s"));
        }
    }
    if latency.len() != 2 {
        failures.push(format!(
            "latency measured on {} datasets, not 2",
            latency.len()
        ));
    }
    for ((d, p), r) in &table {
        let Some((_, _, counts, b)) = FLOORS.iter().find(|(fd, fp, _, _)| fd == d && fp == p)
        else {
            failures.push(format!("{d} / {p}: no floor set"));
            continue;
        };
        if [r.falls, r.non_falls, r.runs, r.non_runs] != *counts {
            failures.push(format!("{d} / {p}: recording counts changed: {r:?}"));
        }
        if r.falls_found < b[0] {
            failures.push(format!(
                "{d} / {p}: falls found {} < {}",
                r.falls_found, b[0]
            ));
        }
        if r.non_falls_flagged > b[1] {
            failures.push(format!(
                "{d} / {p}: non-falls with a fall {} > {}",
                r.non_falls_flagged, b[1]
            ));
        }
        if r.runs_found < b[2] {
            failures.push(format!("{d} / {p}: runs found {} < {}", r.runs_found, b[2]));
        }
        if r.non_runs_flagged > b[3] {
            failures.push(format!(
                "{d} / {p}: non-runs flagged {} > {}",
                r.non_runs_flagged, b[3]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
