use super::IoError;
use crate::imu::baro::{MAX_PRESSURE_HPA, MIN_PRESSURE_HPA};
use crate::imu::{ImuSample, PressureSample};
use crate::Timestamp;
use std::path::{Path, PathBuf};

/// SisFall sample rate, Hz.
pub const SISFALL_RATE_HZ: u32 = 200;
/// SisFall ADXL345 scale: m/s^2 per count (+-16 g, 13 bit).
pub const SISFALL_ACCEL_SCALE: f32 = 0.038_307_227;
/// SisFall ITG3200 scale: rad/s per count, from the datasheet (1/14.375 deg/s per count); the
/// dataset readme's formula is 14% low (see `../shared/datasets/imu/README.md`).
pub const SISFALL_GYRO_SCALE: f32 = 0.001_214_14;

/// FallAllD sample rate of the accelerometer and gyro files, Hz.
pub const FALLALLD_RATE_HZ: u32 = 238;
/// FallAllD barometer rate, Hz.
pub const FALLALLD_BARO_RATE_HZ: u32 = 10;
/// FallAllD accelerometer scale: m/s^2 per count (0.244 mg/LSB, LSM9DS1 at +-8 g).
pub const FALLALLD_ACCEL_SCALE: f32 = 0.000_244 * 9.806_65;
/// FallAllD gyro scale: rad/s per count, **sign flipped** (70 mdps/LSB, LSM9DS1 at +-2000
/// dps; the raw gyro turns the opposite way to the logger's own accelerometer, so the counts
/// are negated to give a right-handed rotation in the accelerometer's frame, see
/// `../shared/datasets/imu/README.md`).
pub const FALLALLD_GYRO_SCALE: f32 = -0.07 * std::f32::consts::PI / 180.0;

/// A recording read from a file: IMU samples and, when the file has them, barometer samples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImuRecording {
    /// Accelerometer (and gyro) samples, time increasing.
    pub samples: Vec<ImuSample>,
    /// Barometer samples, time increasing (empty when the recording has no barometer).
    pub pressure: Vec<PressureSample>,
}

impl ImuRecording {
    /// Splits the recording into blocks of at most `block` IMU samples (at least 1), each
    /// with the pressure samples up to its last IMU time that the previous blocks did not
    /// take (the last block also takes the pressure after the last IMU sample). Feeding them
    /// in order to [`crate::imu::ImuDetectors::process_with_pressure`] gives the same events
    /// for every `block`.
    pub fn blocks(
        &self,
        block: usize,
    ) -> impl Iterator<Item = (&[ImuSample], &[PressureSample])> + '_ {
        let n = self.samples.len().div_ceil(block.max(1));
        let mut p = 0usize;
        self.samples
            .chunks(block.max(1))
            .enumerate()
            .map(move |(i, imu)| {
                let end = if i + 1 == n {
                    self.pressure.len()
                } else {
                    let last = imu.last().map(|s| s.t);
                    p + self.pressure[p..]
                        .iter()
                        .take_while(|q| last.is_some_and(|l| q.t <= l))
                        .count()
                };
                let part = &self.pressure[p..end];
                p = end;
                (imu, part)
            })
    }
}

/// Largest plausible acceleration magnitude on one axis, m/s^2 (about 200 g). Larger values
/// almost always mean the file is in the wrong unit (for example milli-g or raw counts).
const MAX_ACCEL_MS2: f32 = 2000.0;
/// Largest plausible angular rate on one axis, rad/s (about 11 500 deg/s); larger values mean
/// deg/s or raw counts.
const MAX_GYRO_RADS: f32 = 200.0;

/// Reads an IMU CSV file: a header row naming at least `t_s,ax,ay,az` (and optionally
/// `gx,gy,gz`; other columns are ignored, column order is free), then one sample a row with
/// `t_s` in seconds, acceleration in m/s^2 (gravity included), angular rate in rad/s.
/// A `p_hpa` column (barometer) is ignored here: [`read_imu_csv_with_pressure`] reads it.
///
/// Errors (with file and line): missing columns, non-numeric or non-finite fields, timestamps
/// that do not increase (out-of-order or duplicate rows), and values far outside the physical
/// range (a sign of wrong units). Blank lines are skipped.
pub fn read_imu_csv(path: &Path) -> Result<Vec<ImuSample>, IoError> {
    read_csv(path, false).map(|r| r.samples)
}

/// Reads an IMU CSV file like [`read_imu_csv`], and its optional barometer column `p_hpa`:
/// static pressure in hPa on the rows where a pressure sample was taken (at that row's
/// `t_s`), empty on the others. A non-empty `p_hpa` must be a number within 260..=1260 hPa
/// (an error naming file and line otherwise). Without the column, `pressure` is empty.
pub fn read_imu_csv_with_pressure(path: &Path) -> Result<ImuRecording, IoError> {
    read_csv(path, true)
}

fn read_csv(path: &Path, with_pressure: bool) -> Result<ImuRecording, IoError> {
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
    let p_idx = if with_pressure { find("p_hpa") } else { None };
    let mut out = Vec::new();
    let mut pressure = Vec::new();
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
        if let Some(pc) = p_idx {
            if fields.get(pc).is_some_and(|f| !f.is_empty()) {
                let v = get(pc, "p_hpa")? as f32;
                if !(MIN_PRESSURE_HPA..=MAX_PRESSURE_HPA).contains(&v) {
                    return Err(IoError::parse(path, lineno, format!(
                        "p_hpa = {v} is outside the physical range {MIN_PRESSURE_HPA}..={MAX_PRESSURE_HPA} hPa (wrong unit? expected hPa)"
                    )));
                }
                pressure.push(PressureSample { t, hpa: v });
            }
        }
    }
    Ok(ImuRecording {
        samples: out,
        pressure,
    })
}

/// The three files of a FallAllD recording from any one of them (or its stem):
/// `S01_D1_A101_T01_A.dat` -> (`..._A.dat`, `..._G.dat`, `..._B.dat`).
pub fn fallalld_files(path: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = ["_A.dat", "_G.dat", "_B.dat", "_M.dat"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(&name)
        .to_string();
    let f = |s: &str| path.with_file_name(format!("{stem}{s}"));
    (f("_A.dat"), f("_G.dat"), f("_B.dat"))
}

/// Reads `n` comma-separated numbers a line of a FallAllD `.dat` file, with the line number.
fn dat_rows<const N: usize>(
    path: &Path,
    integers: bool,
) -> Result<Vec<(usize, [f64; N])>, IoError> {
    let bytes = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut out = Vec::with_capacity(text.len() / 16);
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        let mut v = [0f64; N];
        let mut n = 0;
        for f in l.split(',') {
            if n == N {
                return Err(IoError::parse(path, i + 1, format!("more than {N} fields")));
            }
            let f = f.trim();
            let x = if integers {
                f.parse::<i16>().map(f64::from).map_err(|_| {
                    IoError::parse(
                        path,
                        i + 1,
                        format!("field {} is not an int16 count: {f:?}", n + 1),
                    )
                })?
            } else {
                f.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| {
                        IoError::parse(
                            path,
                            i + 1,
                            format!("field {} is not a finite number: {f:?}", n + 1),
                        )
                    })?
            };
            v[n] = x;
            n += 1;
        }
        if n != N {
            return Err(IoError::parse(
                path,
                i + 1,
                format!("{n} fields, expected {N}"),
            ));
        }
        out.push((i + 1, v));
    }
    Ok(out)
}

/// Reads a raw FallAllD recording: `..._A.dat` (accelerometer, 3 int16 counts a line at
/// 238 Hz, x [`FALLALLD_ACCEL_SCALE`]), `..._G.dat` (gyro, the same, x
/// [`FALLALLD_GYRO_SCALE`]: sign flipped) and `..._B.dat` (barometer, `hPa,degC` a line at
/// 10 Hz). `path` is any of the three files (or the stem). Sample `i` is at `i / 238` s,
/// barometer sample `k` at `k / 10` s. The gyro's zero-rate offset is not removed.
///
/// Errors name the file and line: non-integer or out-of-range counts, a wrong number of
/// fields, A and G files of different lengths, pressures outside 260..=1260 hPa. A recording
/// without a `_B.dat` has no pressure; a missing `_A.dat` or `_G.dat` is an error.
pub fn read_fallalld(path: &Path) -> Result<ImuRecording, IoError> {
    let (a, g, b) = fallalld_files(path);
    let acc = dat_rows::<3>(&a, true)?;
    let gyro = dat_rows::<3>(&g, true)?;
    if acc.len() != gyro.len() {
        return Err(IoError::parse(
            &g,
            gyro.last().map_or(1, |r| r.0),
            format!(
                "{} gyro samples, expected {} (as many as in {})",
                gyro.len(),
                acc.len(),
                a.display()
            ),
        ));
    }
    let samples = acc
        .iter()
        .zip(&gyro)
        .enumerate()
        .map(|(i, ((_, a), (_, w)))| ImuSample {
            t: Timestamp::from_samples(i as u64, FALLALLD_RATE_HZ),
            accel: a.map(|c| c as f32 * FALLALLD_ACCEL_SCALE),
            gyro: Some(w.map(|c| c as f32 * FALLALLD_GYRO_SCALE)),
        })
        .collect();
    let mut pressure = Vec::new();
    if b.is_file() {
        for (k, (line, v)) in dat_rows::<2>(&b, false)?.into_iter().enumerate() {
            let hpa = v[0] as f32;
            if !(MIN_PRESSURE_HPA..=MAX_PRESSURE_HPA).contains(&hpa) {
                return Err(IoError::parse(
                    &b,
                    line,
                    format!(
                        "pressure {hpa} is outside {MIN_PRESSURE_HPA}..={MAX_PRESSURE_HPA} hPa"
                    ),
                ));
            }
            pressure.push(PressureSample {
                t: Timestamp::from_samples(k as u64, FALLALLD_BARO_RATE_HZ),
                hpa,
            });
        }
    }
    Ok(ImuRecording { samples, pressure })
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
    fn csv_pressure_column() {
        let p = tmp(
            "p.csv",
            "t_s,ax,ay,az,p_hpa\n0.0,0,0,9.8,1013.25\n0.05,0,0,9.8,\n0.1,0,0,9.8,1013.2\n",
        );
        let r = read_imu_csv_with_pressure(&p).unwrap();
        assert_eq!(r.samples.len(), 3);
        assert_eq!(
            r.pressure,
            vec![
                PressureSample {
                    t: Timestamp(0),
                    hpa: 1013.25
                },
                PressureSample {
                    t: Timestamp(100_000),
                    hpa: 1013.2
                }
            ]
        );
        assert_eq!(read_imu_csv(&p).unwrap(), r.samples);
        for (name, body, want) in [
            (
                "p1.csv",
                "t_s,ax,ay,az,p_hpa\n0,0,0,1,x\n",
                "p1.csv:2: field `p_hpa`",
            ),
            (
                "p2.csv",
                "t_s,ax,ay,az,p_hpa\n0,0,0,1,\n0.1,0,0,1,101325\n",
                "p2.csv:3: p_hpa",
            ),
            (
                "p3.csv",
                "t_s,ax,ay,az,p_hpa\n0,0,0,1,NaN\n",
                "p3.csv:2: field `p_hpa` is not finite",
            ),
        ] {
            let e = read_imu_csv_with_pressure(&tmp(name, body))
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{name}: {e}");
        }
    }

    #[test]
    fn fallalld_three_files() {
        tmp("F_S01_D1_A101_T01_A.dat", "4571,334,-933\n-4096,0,1\n");
        tmp("F_S01_D1_A101_T01_G.dat", "10,-20,30\n0,0,0\n");
        let b = tmp(
            "F_S01_D1_A101_T01_B.dat",
            "1009.55655520208,32.29388062953949\n1009.5,32.2\n",
        );
        // Any of the three files names the recording.
        let r = read_fallalld(&b).unwrap();
        assert_eq!(r.samples.len(), 2);
        assert_eq!(r.samples[1].t, Timestamp(4_201));
        assert!((r.samples[0].accel[0] - 4571.0 * 0.000244 * 9.80665).abs() < 1e-4);
        let w = r.samples[0].gyro.unwrap();
        assert!(
            (w[0] - (-10.0 * 0.07f32.to_radians())).abs() < 1e-6,
            "{w:?}"
        );
        assert!(w[1] > 0.0 && w[2] < 0.0);
        assert_eq!(r.pressure.len(), 2);
        assert_eq!(r.pressure[1].t, Timestamp(100_000));
        assert!((r.pressure[0].hpa - 1009.5566).abs() < 1e-3);
        // Corrupt rows name the file and line.
        tmp("F_S01_D1_A102_T01_A.dat", "1,2,3\n1,2\n");
        tmp("F_S01_D1_A102_T01_G.dat", "1,2,3\n1,2,3\n");
        let e = read_fallalld(&tmp("F_S01_D1_A102_T01_B.dat", "1000,20\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("F_S01_D1_A102_T01_A.dat:2: 2 fields"), "{e}");
        tmp("F_S01_D1_A103_T01_A.dat", "1,2,3\n");
        tmp("F_S01_D1_A103_T01_G.dat", "1,2,3\n");
        let e = read_fallalld(&tmp("F_S01_D1_A103_T01_B.dat", "1000,20\n10.5,20\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("F_S01_D1_A103_T01_B.dat:2: pressure 10.5"),
            "{e}"
        );
        tmp("F_S01_D1_A104_T01_A.dat", "1,2,3\n1,2,3\n");
        let e = read_fallalld(&tmp("F_S01_D1_A104_T01_G.dat", "1,2,99999\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("F_S01_D1_A104_T01_G.dat:1: field 3 is not an int16"),
            "{e}"
        );
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
