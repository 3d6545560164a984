//! Fall, officer-down and running figures on the real SisFall part of the dev set
//! (`../shared/datasets/imu`, the SisFall rows of its MANIFEST), at the native 200 Hz and under two synthetic device
//! conditions built from the same recordings: a 20 Hz sensor without gyro, and a pocket phone
//! at irregular 70-100 Hz with a 2 g accelerometer limit and no gyro.
//!
//! Run with `cargo test --release --test imu_devset -- --nocapture` to see the figures.
//! Set `IMU_DEVSET_DUMP=path` to also write every fall candidate's features (tuning aid).

mod common;

use autotrigger::imu::{ImuDetectors, ImuSample, STANDARD_GRAVITY};
use autotrigger::io::read_sisfall;
use autotrigger::{Config, Event, EventKind, StreamingDetector, Timestamp};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

struct Rec {
    file: String,
    code: String,
    label: String,
    samples: Vec<ImuSample>,
    /// Start of the first SisFall_enhanced FALL segment, microseconds.
    fall_us: Option<i64>,
}

fn load(root: &Path) -> Vec<Rec> {
    let seg = std::fs::read_to_string(root.join("SISFALL_ENHANCED_SEGMENTS.csv")).unwrap();
    let mut fall_at: HashMap<String, i64> = HashMap::new();
    for line in seg.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[1] == "FALL" {
            let us = f[2].parse::<i64>().unwrap() * 5_000;
            let e = fall_at.entry(f[0].to_string()).or_insert(us);
            *e = (*e).min(us);
        }
    }
    let man = std::fs::read_to_string(root.join("MANIFEST.csv")).unwrap();
    // The activity column holds commas, so take the code from the file name instead
    // (`sisfall/SA01/F01_SA01_R01.txt`) and the label from the code (see the README).
    // The set also holds UMAFall, MobiFall and FallAllD since split v2: this test keeps the
    // SisFall figures and their synthetic device conditions (tests/imu_devset_sources.rs has
    // every dataset as recorded).
    let rows: Vec<(String, String, String)> = man
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("sisfall/"))
        .map(|l| {
            let file = l.split(',').next().unwrap().to_string();
            let name = file.rsplit('/').next().unwrap();
            let code = name[..3].to_string();
            let label = match code.as_str() {
                c if c.starts_with('F') => "fall",
                "D03" | "D04" => "run",
                "D01" | "D02" => "walk",
                _ => "other_adl",
            };
            (file, code, label.to_string())
        })
        .collect();
    // Parse on two threads: 78 MB of text.
    let half = rows.len() / 2;
    let parse = |rows: &[(String, String, String)]| -> Vec<Rec> {
        rows.iter()
            .map(|(file, code, label)| Rec {
                samples: read_sisfall(&root.join(file)).unwrap(),
                fall_us: fall_at.get(file).copied(),
                file: file.clone(),
                code: code.clone(),
                label: label.clone(),
            })
            .collect()
    };
    let (a, b) = std::thread::scope(|s| {
        let h = s.spawn(|| parse(&rows[..half]));
        let b = parse(&rows[half..]);
        (h.join().unwrap(), b)
    });
    a.into_iter().chain(b).collect()
}

/// A 20 Hz sensor without gyro: every 10th sample of a 4-sample box average (a crude
/// anti-alias filter, as a low-rate sensor's own filter would do).
fn to_20hz(s: &[ImuSample]) -> Vec<ImuSample> {
    (0..s.len() / 10)
        .map(|k| {
            let i = k * 10;
            let mut a = [0f32; 3];
            let lo = i.saturating_sub(3);
            for x in &s[lo..=i] {
                for (aj, xj) in a.iter_mut().zip(x.accel) {
                    *aj += xj / (i - lo + 1) as f32;
                }
            }
            ImuSample {
                t: s[i].t,
                accel: a,
                gyro: None,
            }
        })
        .collect()
}

/// A pocket phone: irregular 70-100 Hz timestamps (deterministic pseudo-random jitter),
/// linear interpolation of the 200 Hz signal, each axis clipped at +-2 g, no gyro.
fn to_phone(s: &[ImuSample], seed: u64) -> Vec<ImuSample> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = Vec::new();
    let end = s.last().unwrap().t.as_micros();
    let mut t = 0i64;
    let clip = 2.0 * STANDARD_GRAVITY;
    while t < end {
        let i = (t / 5_000) as usize;
        let w = (t % 5_000) as f32 / 5_000.0;
        let (a0, a1) = (s[i].accel, s[(i + 1).min(s.len() - 1)].accel);
        let accel = [0, 1, 2].map(|k| (a0[k] + (a1[k] - a0[k]) * w).clamp(-clip, clip));
        out.push(ImuSample {
            t: Timestamp(t),
            accel,
            gyro: None,
        });
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        t += 10_000 + ((x >> 33) % 4_286) as i64; // 70..100 Hz
    }
    out
}

fn detect(cfg: &Config, s: &[ImuSample]) -> Vec<Event> {
    let mut d = ImuDetectors::new(cfg).unwrap();
    let mut ev = Vec::new();
    d.process(s, &mut ev).unwrap();
    d.finish(&mut ev);
    ev
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[derive(Debug)]
struct Figures {
    fall_sens: f64,
    fall_spec: f64,
    fall_p95_s: f64,
    run_share: f64,
    run_within_4s: f64,
    run_fp_share: f64,
}

fn evaluate(
    name: &str,
    cfg: &Config,
    recs: &[Rec],
    conv: &(dyn Fn(&[ImuSample], u64) -> Vec<ImuSample> + Sync),
) -> Figures {
    let half = recs.len() / 2;
    let run = |rs: &[Rec], off: usize| -> Vec<Vec<Event>> {
        rs.iter()
            .enumerate()
            .map(|(i, r)| detect(cfg, &conv(&r.samples, (off + i) as u64)))
            .collect()
    };
    let results: Vec<Vec<Event>> = std::thread::scope(|sc| {
        let h = sc.spawn(|| run(&recs[..half], 0));
        let b = run(&recs[half..], half);
        h.join().unwrap().into_iter().chain(b).collect()
    });
    let has = |ev: &[Event], k: EventKind| ev.iter().any(|e| e.kind == k);
    let (mut nf, mut tp, mut nadl, mut fp) = (0, 0, 0, 0);
    let mut lat = Vec::new();
    let mut per_code: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    let (mut njog, mut jog_hit, mut jog_4s, mut nother, mut other_hit) = (0, 0, 0, 0, 0);
    let mut run_t = Vec::new();
    let mut taps = 0;
    let mut late = Vec::new();
    let mut total_us = 0i64;
    let mut missed = Vec::new();
    let mut run_fp = Vec::new();
    let mut run_fp_code: BTreeMap<&str, u32> = BTreeMap::new();
    let (mut f05, mut f05_hit) = (0, 0);
    for (r, ev) in recs.iter().zip(&results) {
        taps += ev
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Tap | EventKind::DoubleTap))
            .count();
        total_us += r.samples.last().map_or(0, |s| s.t.as_micros());
        if r.label == "fall" {
            nf += 1;
            if has(ev, EventKind::Fall) {
                tp += 1;
                let first = ev.iter().find(|e| e.kind == EventKind::Fall).unwrap();
                if let Some(f) = r.fall_us {
                    lat.push((first.decided.as_micros() - f) as f64 * 1e-6);
                }
            } else {
                missed.push(r.file.as_str());
            }
        } else {
            nadl += 1;
            let e = per_code.entry(r.code.as_str()).or_default();
            e.0 += 1;
            if has(ev, EventKind::Fall) {
                fp += 1;
                e.1 += 1;
                missed.push(r.file.as_str());
            }
        }
        if r.code == "D03" || r.code == "D04" {
            njog += 1;
            if let Some(e) = ev.iter().find(|e| e.kind == EventKind::Running) {
                jog_hit += 1;
                let t = e.decided.as_secs_f64();
                if t <= 4.0 {
                    jog_4s += 1;
                } else {
                    late.push(format!("{} {t:.2} s", r.file));
                }
                run_t.push(t);
            }
        } else if r.code == "F05" {
            // "Fall forward while jogging": the jog before the fall is real running.
            f05 += 1;
            f05_hit += has(ev, EventKind::Running) as u32;
        } else {
            nother += 1;
            if has(ev, EventKind::Running) {
                other_hit += 1;
                run_fp.push(r.file.as_str());
                *run_fp_code.entry(r.code.as_str()).or_insert(0u32) += 1;
            }
        }
    }
    let f = Figures {
        fall_sens: tp as f64 / nf as f64,
        fall_spec: 1.0 - fp as f64 / nadl as f64,
        fall_p95_s: pct(&mut lat.clone(), 0.95),
        run_share: jog_hit as f64 / njog as f64,
        run_within_4s: jog_4s as f64 / njog as f64,
        run_fp_share: other_hit as f64 / nother as f64,
    };
    println!("== {name}");
    println!(
        "fall: sensitivity {tp}/{nf} = {:.1}%, specificity {}/{nadl} = {:.1}%",
        100.0 * f.fall_sens,
        nadl - fp,
        100.0 * f.fall_spec
    );
    println!(
        "fall decision after FALL-segment start: p50 {:.2} s, p95 {:.2} s, max {:.2} s",
        pct(&mut lat.clone(), 0.5),
        f.fall_p95_s,
        pct(&mut lat, 1.0)
    );
    let codes: Vec<String> = per_code
        .iter()
        .filter(|(_, v)| v.1 > 0)
        .map(|(k, v)| format!("{k} {}/{}", v.1, v.0))
        .collect();
    println!(
        "fall false positives per ADL code (flagged/files): {}",
        codes.join(", ")
    );
    println!(
        "running: jogging files with a running event {jog_hit}/{njog} = {:.1}%, within 4 s {:.1}%; decided after file start p50 {:.2} s p95 {:.2} s max {:.2} s",
        100.0 * f.run_share,
        100.0 * f.run_within_4s,
        pct(&mut run_t.clone(), 0.5),
        pct(&mut run_t.clone(), 0.95),
        pct(&mut run_t, 1.0)
    );
    println!(
        "running: non-running files flagged {other_hit}/{nother} = {:.1}% (by code: {run_fp_code:?}); F05 jog-then-fall files with running {f05_hit}/{f05}",
        100.0 * f.run_fp_share
    );
    println!(
        "tap / double-tap events (no taps were performed): {taps} in {:.2} h",
        total_us as f64 / 3.6e9
    );
    println!("running decided after 4 s: {}", late.join(", "));
    println!("fall errors: {}", missed.join(" "));
    println!("running false positives: {}", run_fp.join(" "));
    f
}

#[test]
#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]
fn imu_devset_figures() {
    let Some(root) = common::shared_datasets("imu_devset_figures") else {
        return;
    };
    let root = root.join("imu");
    if !root.join("MANIFEST.csv").exists() {
        eprintln!("SKIPPED imu_devset_figures: no imu/MANIFEST.csv");
        return;
    }
    let recs = load(&root);
    assert_eq!(recs.len(), 418);

    // Baseline: a single 3 g peak threshold.
    let peak = |s: &[ImuSample]| {
        s.iter()
            .map(|x| x.accel.iter().map(|v| v * v).sum::<f32>().sqrt() / STANDARD_GRAVITY)
            .fold(0.0, f32::max)
    };
    let (mut nf, mut tp, mut na, mut fp) = (0, 0, 0, 0);
    for r in &recs {
        let hit = peak(&r.samples) >= 3.0;
        if r.label == "fall" {
            nf += 1;
            tp += hit as u32;
        } else {
            na += 1;
            fp += hit as u32;
        }
    }
    println!(
        "== baseline single 3 g peak: sensitivity {tp}/{nf} = {:.1}%, specificity {}/{na} = {:.1}%",
        100.0 * tp as f64 / nf as f64,
        na - fp,
        100.0 * (na - fp) as f64 / na as f64
    );

    if let Some(p) = std::env::var_os("IMU_DEVSET_DUMP") {
        dump(&recs, Path::new(&p));
    }
    if let Some(p) = std::env::var_os("IMU_RUN_DUMP") {
        dump_gait(&recs, Path::new(&p));
    }

    let cfg = Config::default();
    let native = evaluate("native 200 Hz with gyro", &cfg, &recs, &|s, _| s.to_vec());
    let slow = evaluate("20 Hz, no gyro", &cfg, &recs, &|s, _| to_20hz(s));
    let phone = evaluate(
        "phone: jittered 70-100 Hz, 2 g clip, no gyro",
        &cfg,
        &recs,
        &|s, seed| to_phone(s, seed),
    );
    // The previous rule for comparison: a fixed 3 s whatever the clarity.
    let mut fixed = Config::default();
    fixed.running.min_duration_s = 3.0;
    fixed.running.borderline_extra_s = 0.0;
    let _ = evaluate(
        "native 200 Hz, fixed 3 s (running.min_duration_s = 3, borderline_extra_s = 0)",
        &fixed,
        &recs,
        &|s, _| s.to_vec(),
    );
    // Floors slightly below the measured figures (see docs/imu.md), so a regression fails.
    // (fall sensitivity, fall specificity, jogging files decided within 4 s)
    // Native specificity 0.99 -> 0.985 (177 -> 176 of 178) with the fall gates chosen on all
    // four datasets (issue 13, tests/imu_fall_lodo.rs): D09 SA02 (sitting down hard, 2.8 g,
    // ends 56 degrees from upright: the lying gate is 50 degrees, the neck and pocket
    // positions need it) is flagged again; 20 Hz and phone sensitivity rose 237 -> 238.
    for (f, sens, spec, within) in [
        (&native, 0.985, 0.985, 0.82),
        (&slow, 0.985, 0.99, 0.76),
        (&phone, 0.985, 0.985, 0.76),
    ] {
        assert!(f.fall_sens >= sens && f.fall_spec >= spec, "{f:?}");
        // The aim of issue 13: the decision at most 1.5 s after the impact (p95; measured
        // from the FALL-segment start, about 0.15 s before the impact peak).
        assert!(f.fall_p95_s <= 1.5, "{f:?}");
        assert!(f.run_share >= 0.99, "{f:?}");
        // Three subjects are not running yet at 4 s (tests/imu_gait_diag.rs, docs/imu.md).
        assert!(f.run_within_4s >= within, "{f:?}");
        assert!(f.run_fp_share <= 0.03, "{f:?}");
    }

    // Real-data check of the gap handling: 2 s of samples lost in the middle of every jog
    // (twice), at every device condition: the run is still found after the gap, and neither
    // the discontinuity nor the restart makes a fall.
    let jogs: Vec<&Rec> = recs
        .iter()
        .filter(|r| r.code == "D03" || r.code == "D04")
        .collect();
    let mut falls = Vec::new();
    let mut gap_changed_run = Vec::new();
    for (i, r) in jogs.iter().enumerate() {
        // Convert the whole recording, then lose the samples (as a device would).
        let cut = |x: Vec<ImuSample>| -> Vec<ImuSample> {
            x.into_iter()
                .filter(|s| {
                    let t = s.t.as_micros();
                    !(20_000_000..22_000_000).contains(&t) && !(51_300_000..53_300_000).contains(&t)
                })
                .collect()
        };
        for (name, full) in [
            ("native", r.samples.clone()),
            ("20 Hz", to_20hz(&r.samples)),
            ("phone", to_phone(&r.samples, i as u64)),
        ] {
            let uncut = detect(&cfg, &full);
            let s = cut(full);
            let ev = detect(&cfg, &s);
            // A gap neither ends nor restarts a run: no `running_ended` dated before a gap
            // unless the uncut recording has one there too.
            let ended_at_gap = |ev: &[Event]| {
                ev.iter()
                    .filter(|e| e.kind == EventKind::RunningEnded)
                    .filter(|e| {
                        let t = e.onset.as_secs_f64();
                        (17.0..22.0).contains(&t) || (48.3..53.3).contains(&t)
                    })
                    .count()
            };
            let n_run = |ev: &[Event]| ev.iter().filter(|e| e.kind == EventKind::Running).count();
            assert!(n_run(&ev) >= 1, "{} {name}: no running", r.file);
            if ended_at_gap(&ev) > ended_at_gap(&uncut) || n_run(&ev) > n_run(&uncut) {
                let brief = |ev: &[Event]| -> Vec<String> {
                    ev.iter()
                        .filter(|e| matches!(e.kind, EventKind::Running | EventKind::RunningEnded))
                        .map(|e| {
                            format!(
                                "{:?} {:.2}/{:.2}",
                                e.kind,
                                e.onset.as_secs_f64(),
                                e.decided.as_secs_f64()
                            )
                        })
                        .collect()
                };
                gap_changed_run.push(format!(
                    "{} {name}: {:?} vs uncut {:?}",
                    r.file,
                    brief(&ev),
                    brief(&uncut)
                ));
            }
            falls.extend(
                ev.iter()
                    .filter(|e| e.kind == EventKind::Fall)
                    .map(|e| format!("{} {name} {:.2} s", r.file, e.decided.as_secs_f64())),
            );
        }
    }
    println!(
        "jogs with two 2 s gaps: {} files x 3 conditions, falls: {falls:?}, runs ended or restarted at a gap: {gap_changed_run:?}",
        jogs.len()
    );
    assert!(falls.is_empty(), "{falls:?}");
    assert!(gap_changed_run.is_empty(), "{gap_changed_run:?}");
}

/// Writes one line per fall candidate (file, label, code, features) with permissive gates.
fn dump(recs: &[Rec], path: &Path) {
    use autotrigger::imu::{FallConfig, FallDetector, OrientationConfig};
    use std::fmt::Write;
    let cfg = FallConfig {
        min_tilt_change_deg: 0.0,
        lying_tilt_deg: 36.0,
        still_g: 2.0,
        ..FallConfig::default()
    };
    let mut text = String::new();
    for r in recs {
        let mut d = FallDetector::new(&cfg, &OrientationConfig::default()).unwrap();
        let mut ev = Vec::new();
        d.process(&r.samples, &mut ev).unwrap();
        for e in &ev {
            let g = |n: &str| e.evidence.get(n).map_or(f32::NAN, |i| i.value);
            writeln!(
                text,
                "{},{},{},{:.3},{:.3},{:.2},{:.1},{:.1},{:.3},{:.2},{}",
                r.file,
                r.label,
                r.code,
                e.onset.as_secs_f64(),
                r.fall_us.map_or(f64::NAN, |f| f as f64 * 1e-6),
                g("peak_g"),
                g("tilt_change_deg"),
                g("post_tilt_deg"),
                g("post_motion_g"),
                g("low_g_min_g"),
                g("saturated")
            )
            .unwrap();
        }
    }
    std::fs::write(path, text).unwrap();
}

/// Writes the gait features of every analysis window (file, code, t, cadence, periodicity,
/// rms, step peak).
fn dump_gait(recs: &[Rec], path: &Path) {
    use autotrigger::imu::{OrientationConfig, RunningConfig, RunningDetector};
    use std::fmt::Write;
    let mut text = String::new();
    for r in recs {
        let mut d =
            RunningDetector::new(&RunningConfig::default(), &OrientationConfig::default()).unwrap();
        let mut ev = Vec::new();
        let mut last = None;
        for (i, c) in r.samples.chunks(5).enumerate() {
            d.process(c, &mut ev).unwrap();
            let g = d.last_features();
            if g != last {
                if let Some(g) = g {
                    writeln!(
                        text,
                        "{},{},{:.2},{:.1},{:.3},{:.3},{:.2},{:.2}",
                        r.file,
                        r.code,
                        (i * 5) as f64 / 200.0,
                        g.cadence_spm,
                        g.periodicity,
                        g.rms_g,
                        g.step_peak_g,
                        g.step_min_g
                    )
                    .unwrap();
                }
                last = g;
            }
        }
    }
    std::fs::write(path, text).unwrap();
}
