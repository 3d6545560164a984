//! The four IMU datasets of `../shared/datasets/imu` (split v2) as the detectors read them:
//! SisFall raw, FallAllD raw (the library's reader: `_A.dat`/`_G.dat`/`_B.dat` with the README's
//! scale factors and gyro sign), UMAFall and MobiFall from their converted CSVs (`csv/INDEX.csv`), with the annotated
//! impact time where the dataset has one. Shared by `imu_devset_sources` and `imu_fall_lodo`
//! (included with `#[path]`).
#![allow(dead_code)] // each test binary uses a different subset

use autotrigger::imu::ImuSample;
use autotrigger::io::{read_fallalld, read_imu_csv, read_sisfall, ImuRecording};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use autotrigger::eval::corpus::split_csv;

/// One recording of the dev set.
pub struct Rec {
    /// `SisFall`, `UMAFall`, `MobiFall_v2.0` or `FallAllD`.
    pub dataset: String,
    /// `waist`, `chest`, `pocket` or `neck`.
    pub position: String,
    /// `fall`, `run`, `walk` or `other_adl`.
    pub label: String,
    /// The dataset's activity code (`F01`, `A029`, `JOG`, ...).
    pub code: String,
    /// The file the detectors read.
    pub path: PathBuf,
    /// Annotated impact time, microseconds from the first sample: FallAllD's "impact (largest
    /// |a| in 8.5-11.5 s)" from the MANIFEST notes, SisFall's first SisFall_enhanced FALL
    /// segment start (about 0.15 s before the |a| peak: conservative); UMAFall and MobiFall
    /// have none.
    pub impact_us: Option<i64>,
}

/// `waist (belt buckle)` -> `waist`, `trouser pocket (...)` -> `pocket`.
pub fn short_position(p: &str) -> String {
    match p.split_whitespace().next().unwrap_or("") {
        "trouser" => "pocket".into(),
        w => w.into(),
    }
}

/// `... impact (largest |a| in 8.5-11.5 s) at 9.903 s, ...` -> 9 903 000 us.
fn fallalld_impact_us(notes: &str) -> Option<i64> {
    let rest = &notes[notes.find("impact (largest")?..];
    let rest = &rest[rest.find(") at ")? + 5..];
    let secs: f64 = rest.split_whitespace().next()?.parse().ok()?;
    Some((secs * 1e6).round() as i64)
}

/// Every recording of the dev set, with the file the detectors read.
pub fn recordings(root: &Path) -> Vec<Rec> {
    let seg = std::fs::read_to_string(root.join("SISFALL_ENHANCED_SEGMENTS.csv"))
        .expect("SISFALL_ENHANCED_SEGMENTS.csv");
    let mut sisfall_fall: HashMap<String, i64> = HashMap::new();
    for line in seg.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() > 2 && f[1] == "FALL" {
            // 200 Hz: 5 000 us a sample.
            let us = f[2].parse::<i64>().unwrap() * 5_000;
            let e = sisfall_fall.entry(f[0].to_string()).or_insert(us);
            *e = (*e).min(us);
        }
    }
    let mut out = Vec::new();
    let man = std::fs::read_to_string(root.join("MANIFEST.csv")).expect("MANIFEST.csv");
    let mut lines = man.lines();
    let header = split_csv(lines.next().unwrap());
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (file, dataset, label, position, notes, code) = (
        col("file"),
        col("dataset"),
        col("label"),
        col("sensor_position"),
        col("notes"),
        col("activity_code"),
    );
    for l in lines.filter(|l| !l.trim().is_empty()) {
        let f = split_csv(l);
        // UMAFall and MobiFall come from csv/INDEX.csv below (their raw formats are not the
        // project's), with the position of the sensor the CSV was made from.
        let impact_us = match f[dataset].as_str() {
            "SisFall" => sisfall_fall.get(&f[file]).copied(),
            "FallAllD" if f[label] == "fall" => fallalld_impact_us(&f[notes]),
            _ => None,
        };
        if f[dataset] == "SisFall" || f[dataset] == "FallAllD" {
            out.push(Rec {
                dataset: f[dataset].clone(),
                position: short_position(&f[position]),
                label: f[label].clone(),
                code: f[code].clone(),
                path: root.join(&f[file]),
                impact_us,
            });
        }
    }
    let index = std::fs::read_to_string(root.join("csv/INDEX.csv")).expect("csv/INDEX.csv");
    let mut lines = index.lines();
    let header = split_csv(lines.next().unwrap());
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let (csv, dataset, label, position, code) = (
        col("csv"),
        col("dataset"),
        col("label"),
        col("position"),
        col("activity_code"),
    );
    for l in lines.filter(|l| !l.trim().is_empty()) {
        let f = split_csv(l);
        out.push(Rec {
            dataset: f[dataset].clone(),
            position: short_position(&f[position]),
            label: f[label].clone(),
            code: f[code].clone(),
            path: root.join("csv").join(&f[csv]),
            impact_us: None,
        });
    }
    out
}

/// The recording as the detectors get it: FallAllD through the library's reader, with its
/// barometer; the others IMU only.
pub fn load_recording(r: &Rec) -> ImuRecording {
    let imu_only = |samples| ImuRecording {
        samples,
        pressure: Vec::new(),
    };
    match r.dataset.as_str() {
        "SisFall" => imu_only(read_sisfall(&r.path).unwrap()),
        "FallAllD" => read_fallalld(&r.path).unwrap(),
        _ => imu_only(read_imu_csv(&r.path).unwrap()),
    }
}

/// The IMU samples of one recording.
pub fn load(r: &Rec) -> Vec<ImuSample> {
    load_recording(r).samples
}

/// Runs `f` over every recording on two threads (the machine's cores), in order.
pub fn par_map<T: Send>(recs: &[Rec], f: impl Fn(&Rec) -> T + Sync) -> Vec<T> {
    let half = recs.len() / 2;
    std::thread::scope(|s| {
        let h = s.spawn(|| recs[..half].iter().map(&f).collect::<Vec<T>>());
        let b: Vec<T> = recs[half..].iter().map(&f).collect();
        h.join().unwrap().into_iter().chain(b).collect()
    })
}

/// Detection counts of one group: `[positives, positives detected, negatives, negatives
/// detected]`.
pub type Counts = [u32; 4];

/// Adds one recording to `row`: a positive (`positive`) or negative recording, detected or not.
pub fn count(row: &mut Counts, positive: bool, hit: bool) {
    let i = if positive { 0 } else { 2 };
    row[i] += 1;
    row[i + 1] += u32::from(hit);
}

/// Share of the positives detected.
pub fn sens(r: &Counts) -> f64 {
    f64::from(r[1]) / f64::from(r[0].max(1))
}

/// Share of the negatives not detected.
pub fn spec(r: &Counts) -> f64 {
    f64::from(r[2] - r[3]) / f64::from(r[2].max(1))
}
