//! The barometer stream: pressure samples at their own rate (1-100 Hz, gaps allowed), kept
//! in a fixed ring of 0.1 s bins, and the vertical motion they imply over a window.
//!
//! Pressure is an optional input: the detectors use it when it is present and never require
//! it. Today the running detector uses it to tell stairs from running (a steady climb or
//! descent, see [`super::running`]), and the fall detector reads the trunk drop across an
//! impact (~0.8-1.2 m for a trunk that ends on the floor: ~+0.1 hPa): a fall whose posture
//! does not read as lying (a free-hanging neck pendant) is confirmed by it
//! (`fall.baro_drop_m`), and fall events carry it as evidence.
//!
//! **Timing contract.** A pressure sample is used by the analyses made at IMU times after
//! its 0.1 s bin has ended, provided it was pushed before the IMU sample that completes
//! those analyses. Feed both streams in time order (pressure samples up to time `t` before
//! IMU samples after `t`); [`super::ImuDetectors::process_with_pressure`] merges two blocks
//! that way, so the events then do not depend on how either stream is split into blocks.
//! Pressure pushed up to [`BARO_LEAD_S`] ahead of the IMU is kept; older bins are
//! overwritten, and an analysis that finds too few samples simply runs without pressure.
//!
//! **Noise floor** (measured on the FallAllD dev set, 10 Hz, std over 5 s of stillness, see
//! `docs/imu.md`): 0.036 hPa median, i.e. 0.30 m per sample; a least-squares slope over a
//! 4 s window (40 samples) resolves about 0.04 m/s of vertical speed (1 sigma).

use crate::error::ProcessError;
use crate::time::Timestamp;

/// Width of one pressure bin, microseconds (0.1 s).
pub const BARO_BIN_US: i64 = 100_000;
/// Longest window a detector may ask about, seconds (`running.baro_window_s` at most; a
/// flight of stairs takes a few seconds, the default window is 4 s).
pub const MAX_BARO_WINDOW_S: f64 = 8.0;
/// How far the pressure stream may run ahead of the IMU stream and still be used, seconds
/// (one block of a 1-10 Hz barometer pushed before the IMU block it covers). With the
/// window, this sizes the ring: 102 bins of 16 B (1.6 KiB), so that the whole engine stays
/// within its 64 KiB target at 48 kHz.
pub const BARO_LEAD_S: f64 = 2.0;
/// Lowest accepted pressure, hPa (about 10 km above sea level; body-worn barometers
/// measure 260-1260 hPa).
pub const MIN_PRESSURE_HPA: f32 = 260.0;
/// Highest accepted pressure, hPa.
pub const MAX_PRESSURE_HPA: f32 = 1260.0;

const BINS: usize = ((MAX_BARO_WINDOW_S + BARO_LEAD_S) * 1e6 / BARO_BIN_US as f64) as usize + 2;

/// One barometer sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PressureSample {
    /// Sample time (same time base as the IMU samples).
    pub t: Timestamp,
    /// Static pressure, hPa.
    pub hpa: f32,
}

/// Health counters of the pressure stream.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BaroHealth {
    /// Samples accepted.
    pub samples: u64,
    /// Samples rejected: timestamp not after the previous accepted one.
    pub out_of_order: u64,
    /// Samples rejected: NaN, infinite or outside [`MIN_PRESSURE_HPA`]..=[`MAX_PRESSURE_HPA`].
    pub invalid: u64,
}

/// Vertical motion over a window, from a least-squares line through the pressure samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaroWindow {
    /// Vertical speed, m/s (positive = going up), from the slope of pressure.
    pub vertical_speed_m_s: f32,
    /// Net height change over the window, m (`vertical_speed_m_s` x the window).
    pub height_change_m: f32,
    /// Standard deviation of the samples around the line, hPa: ~0.04 for a still or steadily
    /// climbing sensor, much more when the pressure is disturbed (air flow while running).
    pub residual_hpa: f32,
    /// Samples in the window.
    pub samples: u32,
}

/// Height change per hPa near `p_hpa`, m/hPa (negative), from the standard atmosphere
/// `h = 44330.8 (1 - (p / 1013.25)^0.190263)`.
pub fn metres_per_hpa(p_hpa: f64) -> f64 {
    -44_330.8 * 0.190_263 / 1013.25 * (p_hpa / 1013.25).powf(0.190_263 - 1.0)
}

/// One 0.1 s bin, 16 B. Only the low 32 bits of the bin number are kept: two bins that
/// share a ring slot and those bits are 2^32 bins (13.6 years) apart.
#[derive(Debug, Clone, Copy, Default)]
struct Bin {
    /// Bin number (`t / BARO_BIN_US`) modulo 2^32, valid when `n > 0`.
    idx: u32,
    n: u32,
    /// Sum of (p - reference), hPa. f32 is enough: within 100 hPa of the reference and 100
    /// samples per bin, it rounds by under 1e-3 hPa (under 1 cm of height).
    sum: f32,
    /// Sum of squared deviations from the bin's own mean (Welford), hPa^2: small, so f32
    /// keeps it exact enough; the window adds back `sum^2 / n` in f64.
    m2: f32,
}

/// The ring slot of bin `idx`, and the tag that slot must carry for the bin to be `idx`.
fn slot(idx: i64) -> (usize, u32) {
    (idx.rem_euclid(BINS as i64) as usize, idx as u32)
}

/// Fixed-capacity pressure history (allocated once at construction).
#[derive(Debug, Clone)]
pub(crate) struct Barometer {
    bins: Vec<Bin>,
    last_t: Option<i64>,
    /// Bin of the first accepted sample (the stream's start).
    first_idx: i64,
    reference: Option<f64>,
    health: BaroHealth,
}

impl Barometer {
    pub(crate) fn new() -> Self {
        Barometer {
            bins: vec![Bin::default(); BINS],
            last_t: None,
            first_idx: 0,
            reference: None,
            health: BaroHealth::default(),
        }
    }

    pub(crate) fn reset(&mut self) {
        self.bins.iter_mut().for_each(|b| *b = Bin::default());
        self.last_t = None;
        self.first_idx = 0;
        self.reference = None;
        self.health = BaroHealth::default();
    }

    pub(crate) fn health(&self) -> BaroHealth {
        self.health
    }

    /// Adds one sample. Out-of-order, non-finite and out-of-range samples are dropped,
    /// counted and returned as errors.
    pub(crate) fn push(&mut self, s: &PressureSample) -> Result<(), ProcessError> {
        let t = s.t.as_micros();
        if let Some(prev) = self.last_t {
            if t <= prev {
                self.health.out_of_order += 1;
                return Err(ProcessError::OutOfOrder {
                    previous_us: prev,
                    actual_us: t,
                });
            }
        }
        if !(s.hpa.is_finite() && (MIN_PRESSURE_HPA..=MAX_PRESSURE_HPA).contains(&s.hpa)) {
            self.health.invalid += 1;
            return Err(ProcessError::PressureOutOfRange {
                t_us: t,
                actual_pa: s
                    .hpa
                    .is_finite()
                    .then(|| (s.hpa as f64 * 100.0).round() as i64),
                min_pa: (MIN_PRESSURE_HPA * 100.0) as i64,
                max_pa: (MAX_PRESSURE_HPA * 100.0) as i64,
            });
        }
        self.last_t = Some(t);
        self.health.samples += 1;
        let p = f64::from(s.hpa);
        let idx = t.div_euclid(BARO_BIN_US);
        if self.reference.is_none() {
            self.first_idx = idx;
        }
        let r = *self.reference.get_or_insert(p);
        let (i, tag) = slot(idx);
        let b = &mut self.bins[i];
        if b.n == 0 || b.idx != tag {
            *b = Bin {
                idx: tag,
                ..Bin::default()
            };
        }
        // Welford's update of the within-bin scatter, then the sum (both of p - reference).
        let x = (p - r) as f32;
        let mean_before = if b.n == 0 { x } else { b.sum / b.n as f32 };
        b.n += 1;
        b.sum += x;
        b.m2 += (x - mean_before) * (x - b.sum / b.n as f32);
        Ok(())
    }

    /// Vertical motion over the `span_us` before `t` (whole bins ending at or before `t`;
    /// in the first `span_us` of the stream, over what there is once it covers half of
    /// `span_us`). `None` without at least 4 samples, or when the first or the last third of
    /// the window has none (too little to fit a line across the window).
    pub(crate) fn window(&self, t: Timestamp, span_us: i64) -> Option<BaroWindow> {
        let r = self.reference?;
        let end = t.as_micros().div_euclid(BARO_BIN_US); // bins < end are complete
        let full = (span_us / BARO_BIN_US).clamp(2, BINS as i64 - 1);
        let lo = (end - full).max(self.first_idx);
        let nb = end - lo;
        if 2 * nb < full {
            return None;
        }
        let (mut n, mut st, mut stt, mut sp, mut spt, mut spp) =
            (0f64, 0f64, 0f64, 0f64, 0f64, 0f64);
        let (mut early, mut late) = (false, false);
        for k in 0..nb {
            let (i, tag) = slot(lo + k);
            let b = &self.bins[i];
            if b.n == 0 || b.idx != tag {
                continue;
            }
            early |= k < nb / 3;
            late |= k >= nb - nb / 3;
            let w = f64::from(b.n);
            let x = (k as f64 + 0.5) * BARO_BIN_US as f64 * 1e-6;
            n += w;
            st += w * x;
            stt += w * x * x;
            let sum = f64::from(b.sum);
            sp += sum;
            spt += sum * x;
            spp += f64::from(b.m2) + sum * sum / w;
        }
        if n < 4.0 || !early || !late {
            return None;
        }
        let sxx = stt - st * st / n;
        if sxx <= 0.0 {
            return None;
        }
        let sxy = spt - st * sp / n;
        let syy = spp - sp * sp / n;
        let slope = sxy / sxx; // hPa/s
        let ss_res = (syy - slope * sxy).max(0.0);
        let mean_p = r + sp / n;
        let v = slope * metres_per_hpa(mean_p);
        let span_s = nb as f64 * BARO_BIN_US as f64 * 1e-6;
        Some(BaroWindow {
            vertical_speed_m_s: v as f32,
            height_change_m: (v * span_s) as f32,
            residual_hpa: (ss_res / (n - 2.0)).sqrt() as f32,
            samples: n as u32,
        })
    }

    /// Mean pressure (hPa) of the samples in `[from, to)`, whole bins, or `None` when none.
    pub(crate) fn mean(&self, from: Timestamp, to: Timestamp) -> Option<f64> {
        let r = self.reference?;
        let (a, b) = (
            from.as_micros().div_euclid(BARO_BIN_US),
            to.as_micros().div_euclid(BARO_BIN_US),
        );
        if b <= a || b - a >= BINS as i64 {
            return None;
        }
        let (mut n, mut s) = (0u32, 0f64);
        for idx in a..b {
            let (i, tag) = slot(idx);
            let bin = &self.bins[i];
            if bin.n > 0 && bin.idx == tag {
                n += bin.n;
                s += f64::from(bin.sum);
            }
        }
        (n > 0).then(|| r + s / f64::from(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ps(us: i64, hpa: f32) -> PressureSample {
        PressureSample {
            t: Timestamp(us),
            hpa,
        }
    }

    #[test]
    fn slope_of_a_steady_climb() {
        let mut b = Barometer::new();
        // 10 Hz, climbing 0.5 m/s: pressure falls 0.5 / 8.3 hPa/s near 1013 hPa.
        let k = 0.5 / -metres_per_hpa(1013.0);
        for i in 0..100 {
            b.push(&ps(i * 100_000, (1013.0 - k * i as f64 * 0.1) as f32))
                .unwrap();
        }
        let w = b.window(Timestamp(10_000_000), 4_000_000).unwrap();
        assert!((w.vertical_speed_m_s - 0.5).abs() < 0.02, "{w:?}");
        assert!((w.height_change_m - 2.0).abs() < 0.1, "{w:?}");
        assert!(w.residual_hpa < 0.01, "{w:?}");
        assert_eq!(w.samples, 40);
        // Only complete bins before t are used.
        assert_eq!(b.window(Timestamp(10_050_000), 4_000_000), Some(w));
        // Nothing in the late part of the window: no estimate.
        assert!(b.window(Timestamp(20_000_000), 4_000_000).is_none());
        // At the start of the stream, the part of the window there is, once it is half.
        let w = b.window(Timestamp(2_000_000), 4_000_000).unwrap();
        assert_eq!(w.samples, 20);
        assert!((w.height_change_m - 1.0).abs() < 0.05, "{w:?}");
        assert!(b.window(Timestamp(1_900_000), 4_000_000).is_none());
        let m = b.mean(Timestamp(0), Timestamp(1_000_000)).unwrap();
        assert!((m - (1013.0 - k * 0.45)).abs() < 1e-3);
    }

    #[test]
    fn bad_samples_are_typed_errors() {
        let mut b = Barometer::new();
        b.push(&ps(0, 1000.0)).unwrap();
        assert_eq!(
            b.push(&ps(0, 1000.0)),
            Err(ProcessError::OutOfOrder {
                previous_us: 0,
                actual_us: 0
            })
        );
        assert_eq!(
            b.push(&ps(10, f32::NAN)),
            Err(ProcessError::PressureOutOfRange {
                t_us: 10,
                actual_pa: None,
                min_pa: 26_000,
                max_pa: 126_000
            })
        );
        assert!(b.push(&ps(20, 50.0)).is_err());
        b.push(&ps(30, 1000.5)).unwrap();
        let h = b.health();
        assert_eq!((h.samples, h.out_of_order, h.invalid), (2, 1, 2));
    }

    #[test]
    fn old_bins_are_not_reused() {
        let mut b = Barometer::new();
        for i in 0..10 {
            b.push(&ps(i * 100_000, 1000.0)).unwrap();
        }
        // One ring length later, the same slots hold new bins.
        let later = BINS as i64 * BARO_BIN_US;
        for i in 0..10 {
            b.push(&ps(later + i * 100_000, 990.0)).unwrap();
        }
        assert_eq!(b.mean(Timestamp(0), Timestamp(1_000_000)), None);
        let m = b
            .mean(Timestamp(later), Timestamp(later + 1_000_000))
            .unwrap();
        assert!((m - 990.0).abs() < 1e-9);
    }

    /// The compact bins (f32 sums, within-bin scatter) against a plain f64 least-squares fit
    /// of the same samples, 100 hPa away from the stream's first sample (a shift that
    /// climbed 800 m), 25 Hz with noise at the measured floor.
    #[test]
    fn window_matches_a_direct_fit_far_from_the_reference() {
        let mut b = Barometer::new();
        b.push(&ps(0, 1013.0)).unwrap();
        let t0 = 3_600_000_000i64;
        let mut raw = Vec::new();
        let mut seed = 12345u32;
        for i in 0..200 {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 8) as f64 / (1u32 << 24) as f64 - 0.5; // uniform, sd 0.29
            let t = t0 + i * 40_000;
            let p = 913.0 - 0.05 * (i as f64 * 0.04) + 0.125 * noise;
            b.push(&ps(t, p as f32)).unwrap();
            raw.push((t, f64::from(p as f32)));
        }
        let end = t0 + 200 * 40_000;
        let w = b.window(Timestamp(end), 4_000_000).unwrap();
        // Direct fit over the samples of the window's whole bins.
        let from = end - 4_000_000;
        let pts: Vec<(f64, f64)> = raw
            .iter()
            .filter(|(t, _)| *t >= from && *t < end)
            .map(|&(t, p)| ((t - from) as f64 * 1e-6, p))
            .collect();
        let n = pts.len() as f64;
        let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
        let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
        let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
        let slope = sxy / sxx;
        let res = (pts
            .iter()
            .map(|p| (p.1 - my - slope * (p.0 - mx)).powi(2))
            .sum::<f64>()
            / (n - 2.0))
            .sqrt();
        assert_eq!(w.samples as usize, pts.len());
        // Bins place samples at their centre: the slope differs by the within-bin timing
        // (samples at 0, 40, 80 ms of each bin), a fraction of a percent here.
        let v = slope * metres_per_hpa(my);
        assert!(
            (f64::from(w.vertical_speed_m_s) - v).abs() < 0.02,
            "{w:?} vs {v}"
        );
        assert!(
            (f64::from(w.residual_hpa) - res).abs() < 0.002,
            "{w:?} vs {res}"
        );
        assert!((w.residual_hpa - 0.036).abs() < 0.006, "{w:?}");
    }
}
