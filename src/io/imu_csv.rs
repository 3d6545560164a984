use super::IoError;
use crate::imu::ImuSample;
use crate::Timestamp;
use std::path::Path;

/// SisFall sample rate, Hz.
pub const SISFALL_RATE_HZ: u32 = 200;
/// SisFall ADXL345 scale: m/s^2 per count (+-16 g, 13 bit).
pub const SISFALL_ACCEL_SCALE: f32 = 0.038_307_227;
/// SisFall ITG3200 scale: rad/s per count, from the datasheet (1/14.375 deg/s per count); the
/// dataset readme's formula is 14% low (see `../shared/datasets/imu/README.md`).
pub const SISFALL_GYRO_SCALE: f32 = 0.001_214_14;

/// Largest plausible acceleration magnitude on one axis, m/s^2 (about 200 g). Larger values
/// almost always mean the file is in the wrong unit (for example milli-g or raw counts).
const MAX_ACCEL_MS2: f32 = 2000.0;
/// Largest plausible angular rate on one axis, rad/s (about 11 500 deg/s); larger values mean
/// deg/s or raw counts.
const MAX_GYRO_RADS: f32 = 200.0;

/// Reads an IMU CSV file: a header row naming at least `t_s,ax,ay,az` (and optionally
/// `gx,gy,gz`; other columns are ignored, column order is free), then one sample a row with
/// `t_s` in seconds, acceleration in m/s^2 (gravity included), angular rate in rad/s.
///
/// Errors (with file and line): missing columns, non-numeric or non-finite fields, timestamps
/// that do not increase (out-of-order or duplicate rows), and values far outside the physical
/// range (a sign of wrong units). Blank lines are skipped.
pub fn read_imu_csv(path: &Path) -> Result<Vec<ImuSample>, IoError> {
    let text = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    let text = String::from_utf8(text)
        .map_err(|e| IoError::parse(path, 1, format!("not UTF-8 text: {e}")))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| {
        IoError::parse(
            path,
            1,
            "empty file: expected a header row t_s,ax,ay,az[,gx,gy,gz]",
        )
    })?;
    let cols: Vec<&str> = header
        .split(',')
        .map(|c| c.trim().trim_start_matches('\u{feff}'))
        .collect();
    let find = |name: &str| cols.iter().position(|c| c.eq_ignore_ascii_case(name));
    let mut idx = [0usize; 4];
    for (slot, name) in idx.iter_mut().zip(["t_s", "ax", "ay", "az"]) {
        *slot = find(name).ok_or_else(|| {
            IoError::parse(
                path,
                1,
                format!("header has no `{name}` column (found: {header})"),
            )
        })?;
    }
    let gyro_idx = match (find("gx"), find("gy"), find("gz")) {
        (Some(x), Some(y), Some(z)) => Some([x, y, z]),
        (None, None, None) => None,
        _ => {
            return Err(IoError::parse(
                path,
                1,
                "header has some but not all of gx,gy,gz",
            ))
        }
    };
    let mut out = Vec::new();
    let mut prev: Option<Timestamp> = None;
    for (i, line) in lines {
        let lineno = i + 1;
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let get = |c: usize, name: &str| -> Result<f64, IoError> {
            let f = fields.get(c).ok_or_else(|| {
                IoError::parse(
                    path,
                    lineno,
                    format!("missing field `{name}` (row has {} fields)", fields.len()),
                )
            })?;
            let v: f64 = f.parse().map_err(|_| {
                IoError::parse(
                    path,
                    lineno,
                    format!("field `{name}` is not a number: {f:?}"),
                )
            })?;
            if !v.is_finite() {
                return Err(IoError::parse(
                    path,
                    lineno,
                    format!("field `{name}` is not finite: {f}"),
                ));
            }
            Ok(v)
        };
        let t = Timestamp::from_secs_f64(get(idx[0], "t_s")?);
        let mut accel = [0f32; 3];
        for (k, name) in ["ax", "ay", "az"].iter().enumerate() {
            let v = get(idx[k + 1], name)? as f32;
            if v.abs() > MAX_ACCEL_MS2 {
                return Err(IoError::parse(path, lineno, format!(
                    "{name} = {v} m/s^2 is outside the physical range +-{MAX_ACCEL_MS2} (wrong unit? expected m/s^2)"
                )));
            }
            accel[k] = v;
        }
        let gyro = match gyro_idx {
            None => None,
            Some(g) => {
                let mut w = [0f32; 3];
                for (k, name) in ["gx", "gy", "gz"].iter().enumerate() {
                    let v = get(g[k], name)? as f32;
                    if v.abs() > MAX_GYRO_RADS {
                        return Err(IoError::parse(path, lineno, format!(
                            "{name} = {v} rad/s is outside the physical range +-{MAX_GYRO_RADS} (wrong unit? expected rad/s)"
                        )));
                    }
                    w[k] = v;
                }
                Some(w)
            }
        };
        if let Some(p) = prev {
            if t <= p {
                let what = if t == p { "duplicate" } else { "out-of-order" };
                return Err(IoError::parse(
                    path,
                    lineno,
                    format!(
                        "{what} timestamp: t_s = {} is not after the previous row's {}",
                        t.as_secs_f64(),
                        p.as_secs_f64()
                    ),
                ));
            }
        }
        prev = Some(t);
        out.push(ImuSample { t, accel, gyro });
    }
    Ok(out)
}

/// Reads a SisFall raw text file (200 Hz, 9 integer columns of ADC counts a line ending in
/// `;`): the ADXL345 accelerometer (columns 1-3) and the ITG3200 gyroscope (columns 4-6,
/// datasheet scale [`SISFALL_GYRO_SCALE`]). Sample `i` is at `i / 200` s exactly.
pub fn read_sisfall(path: &Path) -> Result<Vec<ImuSample>, IoError> {
    let bytes = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    // The dataset is ASCII; be lenient about stray non-UTF-8 bytes in a line we then reject.
    let text = String::from_utf8_lossy(&bytes);
    let mut out = Vec::with_capacity(text.len() / 40);
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        let l = l.strip_suffix(';').unwrap_or(l);
        let mut v = [0i32; 9];
        let mut n = 0;
        for f in l.split(',') {
            if n == 9 {
                return Err(IoError::parse(
                    path,
                    i + 1,
                    "more than 9 fields (expected 9 integer counts)",
                ));
            }
            v[n] = f.trim().parse().map_err(|_| {
                IoError::parse(
                    path,
                    i + 1,
                    format!("field {} is not an integer: {:?}", n + 1, f.trim()),
                )
            })?;
            n += 1;
        }
        if n != 9 {
            return Err(IoError::parse(
                path,
                i + 1,
                format!("{n} fields, expected 9 integer counts"),
            ));
        }
        let t = Timestamp::from_samples(out.len() as u64, SISFALL_RATE_HZ);
        out.push(ImuSample {
            t,
            accel: [0, 1, 2].map(|k| v[k] as f32 * SISFALL_ACCEL_SCALE),
            gyro: Some([3, 4, 5].map(|k| v[k] as f32 * SISFALL_GYRO_SCALE)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str, body: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("autotrigger-imu-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn csv_with_and_without_gyro() {
        let p = tmp(
            "a.csv",
            "t_s,ax,ay,az,gx,gy,gz,extra\n0.0,0,0,9.8,0,0,0.1,x\n0.01,1,2,3,0,0,0,y\n",
        );
        let s = read_imu_csv(&p).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].t, Timestamp(10_000));
        assert_eq!(s[0].gyro, Some([0.0, 0.0, 0.1]));
        let p = tmp("b.csv", "az,ay,ax,t_s\n9.8,0,0,0.5\n");
        let s = read_imu_csv(&p).unwrap();
        assert_eq!(s[0].accel, [0.0, 0.0, 9.8]);
        assert_eq!(s[0].gyro, None);
    }

    #[test]
    fn csv_errors_name_file_and_line() {
        let cases = [
            ("c1.csv", "t_s,ax,ay\n0,0,0\n", "c1.csv:1:"),
            ("c2.csv", "t_s,ax,ay,az\n0,0,0,1\n0.1,0,x,1\n", "c2.csv:3:"),
            (
                "c3.csv",
                "t_s,ax,ay,az\n0,0,0,1\n0,0,0,1\n",
                "c3.csv:3: duplicate",
            ),
            (
                "c4.csv",
                "t_s,ax,ay,az\n1,0,0,1\n\n0.5,0,0,1\n",
                "c4.csv:4: out-of-order",
            ),
            (
                "c5.csv",
                "t_s,ax,ay,az\n0,0,0,9810\n",
                "c5.csv:2: az = 9810",
            ),
            ("c6.csv", "t_s,ax,ay,az\n0,0,0\n", "c6.csv:2: missing field"),
            ("c7.csv", "", "c7.csv:1: empty"),
        ];
        for (name, body, want) in cases {
            let e = read_imu_csv(&tmp(name, body)).unwrap_err().to_string();
            assert!(e.contains(want), "{name}: {e}");
        }
    }

    #[test]
    fn sisfall_lines() {
        let p = tmp(
            "s.txt",
            "   7,-255, -13,  -1,  -3,  18,  14,-996,  70;\r\n0,0,0,0,0,0,0,0,0;\r\n",
        );
        let s = read_sisfall(&p).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].t, Timestamp(5_000));
        assert!((s[0].accel[1] - (-255.0 * SISFALL_ACCEL_SCALE)).abs() < 1e-6);
        let e = read_sisfall(&tmp("s2.txt", "1,2,3;\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("s2.txt:1: 3 fields"), "{e}");
    }
}
