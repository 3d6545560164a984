//! Fall and running figures **per dataset and per sensor position** on the grown IMU dev set
//! (`../shared/datasets/imu`, split v2): SisFall (waist, 200 Hz), UMAFall (waist or chest
//! SensorTag, 20 Hz), MobiFall (trouser-pocket phone, ~87 Hz, clips at 2 g) and FallAllD (neck
//! and waist loggers, 238 Hz), default config, each recording as its device delivered it.
//!
//! UMAFall and MobiFall are read from their converted CSVs (`csv/INDEX.csv`, the project's IMU
//! CSV format); FallAllD from its raw `_A.dat`/`_G.dat`/`_B.dat` files with the library's
//! reader (`autotrigger::io::read_fallalld`: the README's scale factors and gyro sign, and the
//! 10 Hz barometer); SisFall raw. FallAllD is run with its barometer (the default, as
//! `autotrigger detect` reads it) and, for comparison, without it; the stair recordings
//! (A029-A036) flagged as running are counted both ways, per position.
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
use autotrigger::io::ImuRecording;
use autotrigger::{Config, EventKind, StreamingDetector};
use imu_sources::{load_recording, par_map, recordings};
use std::collections::BTreeMap;

/// Fall and running events of one recording, with or without its barometer, and the first
/// fall's decision time.
fn detect(cfg: &Config, rec: &ImuRecording, with_pressure: bool) -> (bool, bool, Option<i64>) {
    let mut d = ImuDetectors::new(cfg).unwrap();
    let mut ev = Vec::new();
    if with_pressure {
        d.process_with_pressure(&rec.samples, &rec.pressure, &mut ev)
            .unwrap();
    } else {
        d.process(&rec.samples, &mut ev).unwrap();
    }
    d.finish(&mut ev);
    let has = |k: EventKind| ev.iter().any(|e| e.kind == k);
    let fall_at = ev
        .iter()
        .find(|e| e.kind == EventKind::Fall)
        .map(|e| e.decided.as_micros());
    (has(EventKind::Fall), has(EventKind::Running), fall_at)
}

/// FallAllD stair recordings: start/go/stop upstairs and downstairs, and fast stairs.
fn is_stairs(code: &str) -> bool {
    ("A029"..="A036").contains(&code)
}

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
    // false ones (lying gate 45 -> 50 degrees).
    // FallAllD with its barometer: non-runs flagged 8 -> 4 (neck) and 4 -> 1 (waist) when the
    // running detector started using the pressure (stairs; the IMU-only counts are printed
    // below).
    // Running found 4 -> 10 (MobiFall pocket) and 48 -> 52 (FallAllD waist) when a period
    // longer than a running step could be read as a stride (`running.stride_periods`, issue
    // 13; tests/imu_running_lodo.rs); FallAllD waist non-runs flagged 1 -> 2 with it (S03
    // A022, walking quickly, read as a 150 steps/min stride with step minima under 0.5 g).
    // FallAllD neck falls 158 -> 185 (non-falls with a fall 1 -> 2) and waist 122 -> 123
    // when a trunk drop read by the barometer confirmed a fall whose posture did not read as
    // lying (`fall.baro_drop_m`, issue 13; tests/imu_fall_baro.rs); IMU-only counts unchanged.
    ("SisFall", "waist", [240, 178, 17, 161], [238, 2, 17, 10]),
    ("UMAFall", "waist", [13, 27, 6, 21], [13, 1, 6, 5]),
    ("UMAFall", "chest", [3, 11, 2, 9], [3, 0, 2, 1]),
    ("MobiFall_v2.0", "pocket", [51, 40, 10, 30], [46, 1, 10, 2]),
    ("FallAllD", "neck", [193, 232, 66, 166], [185, 2, 66, 4]),
    ("FallAllD", "waist", [125, 207, 52, 155], [123, 4, 52, 2]),
];

/// FallAllD stair recordings (A029-A036) flagged as running, at most, per position:
/// `(position, stairs, with the barometer, without it)`, measured with the default config.
/// Without the barometer 6 -> 7 (neck, S05 A036) and 4 -> 5 (waist, S05 A035) when periods
/// could be read as strides (`running.stride_periods`, issue 13): two fast stair runs whose
/// sensor repeats at the stride; the barometer still stops both.
const STAIRS_FLOORS: [(&str, u32, u32, u32); 2] = [("neck", 48, 2, 7), ("waist", 48, 1, 5)];

#[test]
#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]
fn imu_devset_per_dataset_and_position() {
    let Some(root) = common::shared_datasets("imu_devset_per_dataset_and_position") else {
        return;
    };
    let root = root.join("imu");
    let recs = recordings(&root);
    assert_eq!(recs.len(), 1320, "recordings in the dev set");
    let cfg = Config::default();
    // (with the barometer when the recording has one, without it)
    type Both = ((bool, bool, Option<i64>), (bool, bool, Option<i64>));
    let results: Vec<Both> = par_map(&recs, |r| {
        let rec = load_recording(r);
        let with = detect(&cfg, &rec, true);
        let without = if rec.pressure.is_empty() {
            with
        } else {
            detect(&cfg, &rec, false)
        };
        (with, without)
    });
    // Stair recordings flagged as running, FallAllD, per position: (stairs, with, without).
    let mut stairs: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
    // Running recordings found / non-running flagged, FallAllD without the barometer.
    let mut no_baro: BTreeMap<String, Row> = BTreeMap::new();
    for (r, &(with, without)) in recs.iter().zip(&results) {
        if r.dataset != "FallAllD" {
            continue;
        }
        if is_stairs(&r.code) {
            let e = stairs.entry(r.position.clone()).or_default();
            e.0 += 1;
            e.1 += u32::from(with.1);
            e.2 += u32::from(without.1);
        }
        let row = no_baro.entry(r.position.clone()).or_default();
        if r.label == "fall" {
            row.falls += 1;
            row.falls_found += u32::from(without.0);
        } else {
            row.non_falls += 1;
            row.non_falls_flagged += u32::from(without.0);
        }
        if r.label == "run" {
            row.runs += 1;
            row.runs_found += u32::from(without.1);
        } else if r.label != "fall" {
            row.non_runs += 1;
            row.non_runs_flagged += u32::from(without.1);
        }
    }
    let mut table: BTreeMap<(String, String), Row> = BTreeMap::new();
    // Fall decision after the annotated impact, seconds, per dataset (found falls only).
    let mut latency: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for (r, &((fall, running, fall_at), _)) in recs.iter().zip(&results) {
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
    println!("\nFallAllD without the barometer (IMU only):");
    for (p, r) in &no_baro {
        println!(
            "{:<14} {:<7} {:>6}/{:<3} {:>5.1}% {:>6}/{:<3} {:>5.1}% {:>4}/{:<3} {:>5.1}% {:>4}/{:<3} {:>5.1}%",
            "FallAllD",
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
    println!("\nFallAllD stair recordings (A029-A036) flagged as running:");
    for (p, (n, with, without)) in &stairs {
        println!(
            "  {p:<6} with the barometer {with}/{n} ({:.1}%), without {without}/{n} ({:.1}%)",
            share(*with, *n),
            share(*without, *n)
        );
    }
    let mut failures = Vec::new();
    for (p, n, with, without) in STAIRS_FLOORS {
        let got = stairs.get(p).copied().unwrap_or_default();
        if got.0 != n {
            failures.push(format!(
                "FallAllD / {p}: {} stair recordings, expected {n}",
                got.0
            ));
        }
        if got.1 > with || got.2 > without {
            failures.push(format!(
                "FallAllD / {p}: stairs flagged as running {} with the barometer (floor {with}), {} without (floor {without})",
                got.1, got.2
            ));
        }
        if got.1 > got.2 {
            failures.push(format!(
                "FallAllD / {p}: the barometer adds stair false runs"
            ));
        }
    }
    let pct = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
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

/// The barometer's noise floor on FallAllD: the standard deviation of the pressure over 5 s
/// windows at rest (every accelerometer axis with a standard deviation under 20 counts =
/// 0.005 g, the README's stillness test), per position, and the height and vertical-speed resolution it
/// implies. The running detector's stairs threshold must stand well clear of the scatter of
/// its vertical-speed fit on a still sensor, or a real run on the flat would be taken for
/// stairs by noise alone.
#[test]
#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]
fn fallalld_barometer_noise_floor() {
    let Some(root) = common::shared_datasets("fallalld_barometer_noise_floor") else {
        return;
    };
    let root = root.join("imu");
    let recs: Vec<imu_sources::Rec> = recordings(&root)
        .into_iter()
        .filter(|r| r.dataset == "FallAllD")
        .collect();
    let still_ms2 = 20.0 * autotrigger::io::FALLALLD_ACCEL_SCALE;
    let mut stds: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in &recs {
        let rec = load_recording(r);
        let rate = autotrigger::io::FALLALLD_RATE_HZ as usize;
        let baro = autotrigger::io::FALLALLD_BARO_RATE_HZ as usize;
        let secs = rec.samples.len() / rate;
        for s in (0..secs.saturating_sub(4)).step_by(5) {
            let seg = &rec.samples[s * rate..(s + 5) * rate];
            let still = (0..3).all(|k| {
                let n = seg.len() as f64;
                let m = seg.iter().map(|x| f64::from(x.accel[k])).sum::<f64>() / n;
                let var = seg
                    .iter()
                    .map(|x| (f64::from(x.accel[k]) - m).powi(2))
                    .sum::<f64>()
                    / n;
                var.sqrt() < f64::from(still_ms2)
            });
            let Some(p) = rec.pressure.get(s * baro..(s + 5) * baro) else {
                continue;
            };
            if !still {
                continue;
            }
            let m = p.iter().map(|x| f64::from(x.hpa)).sum::<f64>() / p.len() as f64;
            let v = p
                .iter()
                .map(|x| (f64::from(x.hpa) - m).powi(2))
                .sum::<f64>()
                / p.len() as f64;
            stds.entry(r.position.clone()).or_default().push(v.sqrt());
        }
    }
    let cfg = Config::default().running;
    let m_per_hpa = -autotrigger::imu::baro::metres_per_hpa(1013.25);
    for (pos, v) in &mut stds {
        v.sort_by(f64::total_cmp);
        let med = v[v.len() / 2];
        let p90 = v[v.len() * 9 / 10];
        // Slope scatter of a least-squares line through the 10 Hz samples of one window.
        let n = cfg.baro_window_s * 10.0;
        let sxx = n * (cfg.baro_window_s * cfg.baro_window_s) / 12.0;
        let speed_sigma = med / sxx.sqrt() * m_per_hpa;
        println!(
            "FallAllD {pos:<6} still 5 s windows {:>4}: pressure std median {med:.4} hPa (p90 {p90:.4}) = {:.2} m a sample, {:.2} m for a 1 s mean; {:.0} s fit: vertical speed sigma {speed_sigma:.3} m/s",
            v.len(),
            med * m_per_hpa,
            med * m_per_hpa / 10f64.sqrt(),
            cfg.baro_window_s,
        );
        assert!(v.len() >= 30, "{pos}: too few still windows ({})", v.len());
        assert!(
            cfg.stairs_vertical_speed_m_s >= 2.0 * speed_sigma,
            "{pos}: stairs threshold {} m/s is within 2 sigma ({speed_sigma:.3}) of the fit's noise",
            cfg.stairs_vertical_speed_m_s
        );
    }
    assert_eq!(stds.len(), 2, "neck and waist");
}
