//! Every fast path of the audio front end and the onset features against a slow,
//! obviously-correct reference: a naive DFT, direct loops over the whole signal, f64 throughout.

use autotrigger::audio::frontend::{FrameTiming, Framer, HopStats};
use autotrigger::audio::{FeatureFrame, GunshotConfig, OnsetFeatures};
use autotrigger::time::Timestamp;

struct Lcg(u32);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
    }
}

/// Quiet noise, a 700 Hz tone from 0.1 s, a clipped decaying impulse at 0.2 s.
fn signal(rate: u32, secs: f64) -> Vec<f32> {
    let n = (secs * rate as f64) as usize;
    let mut r = Lcg(rate);
    (0..n)
        .map(|i| {
            let t = i as f64 / rate as f64;
            let mut x = 0.003 * r.next() as f64;
            if t >= 0.1 {
                x += 0.2 * (2.0 * std::f64::consts::PI * 700.0 * t).sin();
            }
            if t >= 0.2 {
                x += 2.0 * (-(t - 0.2) / 0.004).exp() * r.next() as f64;
            }
            x.clamp(-1.0, 1.0) as f32
        })
        .collect()
}

/// The last `len` samples ending just before `end` (zeros before the stream start).
fn frame_at(x: &[f32], end: usize, len: usize) -> Vec<f64> {
    (0..len)
        .map(|i| {
            let j = end as i64 - len as i64 + i as i64;
            if j < 0 {
                0.0
            } else {
                x[j as usize] as f64
            }
        })
        .collect()
}

/// Naive one-sided power spectrum with the documented scaling.
fn naive_power(frame: &[f64], fft_len: usize) -> Vec<f64> {
    let n = frame.len();
    let w: Vec<f64> = (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos())
        .collect();
    let wsq: f64 = w.iter().map(|v| v * v).sum();
    (0..=fft_len / 2)
        .map(|k| {
            let (mut re, mut im) = (0.0, 0.0);
            for i in 0..n {
                let a = -2.0 * std::f64::consts::PI * (k * i) as f64 / fft_len as f64;
                re += frame[i] * w[i] * a.cos();
                im += frame[i] * w[i] * a.sin();
            }
            2.0 * (re * re + im * im) / (fft_len as f64 * wsq)
        })
        .collect()
}

#[test]
fn framer_spectra_match_a_naive_dft() {
    // 44.1 kHz: an odd frame (441 samples) in the half-length complex FFT's pairs.
    for rate in [8_000u32, 22_050, 44_100, 48_000] {
        let x = signal(rate, 0.3);
        let t = FrameTiming::new(rate, 0.005, 0.01);
        let mut fr = Framer::new(t, 0.99, 0.005).unwrap();
        // Band-limited spectra: the same bits in the band (including the DC and Nyquist bins
        // when asked), zeros elsewhere.
        let nyq = t.bins() - 1;
        let mut bands: Vec<(usize, usize, Framer)> = [(3, 20), (0, 5), (nyq - 4, nyq + 7)]
            .into_iter()
            .map(|(lo, hi)| {
                let f = Framer::new(t, 0.99, 0.005)
                    .unwrap()
                    .with_spectrum_bins(lo, hi);
                (lo, hi.min(nyq), f)
            })
            .collect();
        let mut full = Vec::new();
        fr.push(&x, |sf| full.push(sf.power.to_vec()));
        for (lo, hi, f) in &mut bands {
            let mut h = 0;
            f.push(&x, |sf| {
                for (k, (&a, &b)) in sf.power.iter().zip(&full[h]).enumerate() {
                    let want = if (*lo..=*hi).contains(&k) { b } else { 0.0 };
                    assert_eq!(a.to_bits(), want.to_bits(), "rate {rate} hop {h} bin {k}");
                }
                h += 1;
            });
            assert_eq!(h, full.len());
        }
        let mut fr = Framer::new(t, 0.99, 0.005).unwrap();
        let mut checked = 0;
        fr.push(&x, |sf| {
            if sf.index % 7 != 0 {
                return;
            }
            let end = (sf.index as usize + 1) * t.hop;
            let frame = frame_at(&x, end, t.frame_len);
            for (a, b) in sf.samples.iter().zip(&frame) {
                assert_eq!(*a as f64, *b);
            }
            let p = naive_power(&frame, t.fft_len);
            let total: f64 = p.iter().sum();
            for (k, (&a, &b)) in sf.power.iter().zip(&p).enumerate() {
                assert!(
                    (a as f64 - b).abs() <= 1e-4 * total + 1e-9,
                    "rate {rate} hop {} bin {k}: {a} vs {b}",
                    sf.index
                );
            }
            checked += 1;
        });
        assert!(checked > 5);
    }
}

fn db10(v: f64) -> f64 {
    (10.0 * v.log10()).max(-120.0)
}

/// The documented one-pole DC blocker, sample by sample in f64:
/// `y[n] = (1 + R) / 2 * (x[n] - x[n-1]) + R y[n-1]`, `R = exp(-2 pi fc / fs)`, with the input
/// taken to have been at its first value before the stream began; `fc = 0` passes through.
fn dc_block(x: &[f32], fc: f64, rate: u32) -> Vec<f32> {
    if fc == 0.0 || x.is_empty() {
        return x.to_vec();
    }
    let r = (-2.0 * std::f64::consts::PI * fc / rate as f64).exp();
    let (mut prev, mut y) = (x[0] as f64, 0.0f64);
    x.iter()
        .map(|&v| {
            y = (1.0 + r) / 2.0 * (v as f64 - prev) + r * y;
            prev = v as f64;
            y as f32
        })
        .collect()
}

/// Every feature of every hop, computed directly from the definitions in the docs.
fn reference(cfg: &GunshotConfig, x: &[f32], rate: u32) -> Vec<FeatureFrame> {
    let t = FrameTiming::new(rate, cfg.hop_s, cfg.frame_s);
    let df = rate as f64 / t.fft_len as f64;
    let nyq = t.fft_len / 2;
    let lo = ((cfg.band_min_hz / df).ceil() as usize).clamp(1, nyq);
    let hi = ((cfg.band_max_hz / df).floor() as usize).clamp(lo, nyq);
    let hf = ((cfg.hf_split_hz / df).ceil() as usize).clamp(lo, hi + 1);
    let clip = 10f64.powf(cfg.clip_level_dbfs / 20.0) as f32;
    let hop_s = t.hop as f64 / rate as f64;
    let up = (hop_s / cfg.floor_rise_s).min(1.0);
    let down = (hop_s / cfg.floor_fall_s).min(1.0);
    let warm = (cfg.floor_warmup_s / hop_s).round() as usize;
    // The DC blocker first: everything but the clip count is of the filtered signal.
    let raw = x;
    let filtered = dc_block(raw, cfg.dc_block_hz, rate);
    let x = &filtered[..];
    // Envelope over the whole signal (f32, the documented recursion).
    let r = (-1.0 / (cfg.envelope_release_s * rate as f64)).exp() as f32;
    let mut env = vec![0f32; x.len()];
    let mut e = 0f32;
    for (i, &s) in x.iter().enumerate() {
        e = s.abs().max(e * r);
        if e < 1e-30 {
            e = 0.0;
        }
        env[i] = e;
    }
    let mut prev_l = vec![-120.0f64; nyq + 1];
    let mut floor = -120.0f64;
    let mut out = Vec::new();
    for h in 0..x.len() / t.hop {
        let (s0, s1) = (h * t.hop, (h + 1) * t.hop);
        let frame = frame_at(x, s1, t.frame_len);
        let p = naive_power(&frame, t.fft_len);
        let l: Vec<f64> = p.iter().map(|v| 10.0 * (v + 1e-12).log10()).collect();
        let nb = (hi - lo + 1) as f64;
        let flux = (lo..=hi).map(|k| (l[k] - prev_l[k]).max(0.0)).sum::<f64>() / nb;
        prev_l = l;
        let sp: f64 = (lo..=hi).map(|k| p[k]).sum();
        let silent = sp / nb < 1e-12;
        let geo = ((lo..=hi).map(|k| (p[k] + 1e-12).ln()).sum::<f64>() / nb).exp();
        let flat = if silent {
            0.0
        } else {
            (geo / (sp / nb + 1e-12)).min(1.0)
        };
        let sfp: f64 = (lo..=hi).map(|k| k as f64 * df * p[k]).sum();
        let cent = if silent { 0.0 } else { sfp / sp };
        let hfr = if silent {
            0.0
        } else {
            (hf..=hi).map(|k| p[k]).sum::<f64>() / sp
        };
        let hop = &x[s0..s1];
        let level = db10(hop.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / t.hop as f64);
        let rise = level - floor;
        let a = if level > floor {
            if h < warm {
                down
            } else {
                up
            }
        } else {
            down
        };
        let floor_before = floor;
        floor += a * (level - floor);
        let (ip, peak) = hop.iter().enumerate().fold((0, 0f32), |(bi, b), (i, &v)| {
            if v.abs() > b {
                (i, v.abs())
            } else {
                (bi, b)
            }
        });
        let ip = s0 + ip;
        let fmax = frame.iter().fold(0f64, |m, v| m.max(v.abs()));
        let frms = (frame.iter().map(|v| v * v).sum::<f64>() / frame.len() as f64).sqrt();
        let crest = if fmax > 0.0 && frms > 0.0 {
            20.0 * (fmax / frms).log10()
        } else {
            0.0
        };
        // Rise time: scan back from the peak through the frame for the last envelope value
        // below 10 %, then forward to the first at or above 90 %.
        let first = s1 as i64 - t.frame_len as i64;
        let env_at = |i: i64| if i < 0 { 0.0 } else { env[i as usize] };
        let (mut rise_n, mut onset) = (t.frame_len, s0 as u64);
        if peak > 0.0 {
            let lo = 0.1 * peak;
            let mut j = ip as i64 - 1;
            while j >= first && env_at(j) >= lo {
                j -= 1;
            }
            // A quiet point before the stream start or within its first hop means the rise
            // was not observed.
            if j >= first && j >= t.hop as i64 {
                // First local maximum of the envelope after j reaching half the peak.
                let mut m = j + 1;
                while m < ip as i64 && !(env_at(m) >= 0.5 * peak && env_at(m + 1) < env_at(m)) {
                    m += 1;
                }
                let q = env_at(m);
                let mut k = j + 1;
                while k < m && env_at(k) < 0.9 * q {
                    k += 1;
                }
                rise_n = (k - j) as usize;
                onset = (j + 1) as u64;
            }
        }
        // Attack over the preceding level: the envelope's minimum `lo` before the peak in the
        // frame, 10 % / 50 % / 90 % points on the excursion above it. Only once the frame
        // starts after the stream's first sample.
        let (mut attack_n, mut ratio) = (t.frame_len, 0f32);
        if peak > 0.0 && first > 0 && (ip as i64) > first {
            let (f0, ip) = (first as usize, ip);
            let lo = env[f0..ip].iter().fold(f32::INFINITY, |m, &e| m.min(e));
            if lo < peak {
                ratio = (20.0 * (peak as f64 / lo.max(1e-6) as f64).log10()).max(0.0) as f32;
                let a = lo + 0.1 * (peak - lo);
                let j = (f0..ip).rev().find(|&i| env[i] <= a).unwrap();
                let half = lo + 0.5 * (peak - lo);
                let mut m = j + 1;
                while m < ip && !(env[m] >= half && env[m + 1] < env[m]) {
                    m += 1;
                }
                let b = lo + 0.9 * (env[m] - lo);
                let mut k = j + 1;
                while k < m && env[k] < b {
                    k += 1;
                }
                attack_n = k - j;
            }
        }
        let clipped = raw[s0..s1].iter().filter(|v| v.abs() >= clip).count();
        out.push(FeatureFrame {
            index: h as u64,
            start_sample: s0 as u64,
            end_sample: s1 as u64,
            onset_sample: onset,
            flux_db: flux as f32,
            hfc_db: (10.0 * (sfp / 1000.0 + 1e-12).log10()) as f32,
            level_dbfs: level as f32,
            floor_dbfs: floor_before as f32,
            rise_db: rise as f32,
            flatness: flat as f32,
            centroid_hz: cent as f32,
            hf_ratio: hfr as f32,
            peak_dbfs: db10(peak as f64 * peak as f64) as f32,
            crest_db: crest as f32,
            rise_time_us: (rise_n as f64 * 1e6 / rate as f64) as f32,
            clipped_frac: clipped as f32 / t.hop as f32,
            attack_time_us: (attack_n as f64 * 1e6 / rate as f64) as f32,
            attack_ratio_db: ratio,
        });
    }
    out
}

/// The extractor's frames of `x` (one block), checked against [`reference`] hop by hop:
/// positions exact, every feature within its tolerance (dB features to 0.05 dB where the
/// power is well above the f32 rounding of the FFT, ratios to 1e-3, frequencies to 1 Hz).
fn matches_the_reference(cfg: &GunshotConfig, x: &[f32], rate: u32) -> Vec<FeatureFrame> {
    let want = reference(cfg, x, rate);
    let mut got = Vec::new();
    let mut fx = OnsetFeatures::new(cfg, rate).unwrap();
    fx.push(x, |f| got.push(*f));
    assert_eq!(got.len(), want.len());
    let tol = [
        0.1f32, 0.05, 0.01, 0.01, 0.01, 2e-3, 1.0, 1e-3, 0.01, 0.01, 0.5, 1e-6, 0.5, 0.01,
    ];
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            (g.index, g.start_sample, g.end_sample, g.onset_sample),
            (w.index, w.start_sample, w.end_sample, w.onset_sample),
            "rate {rate}"
        );
        for ((name, (a, b)), t) in FeatureFrame::NAMES
            .iter()
            .zip(g.values().iter().zip(w.values()))
            .zip(tol)
        {
            assert!(
                (a - b).abs() <= t,
                "rate {rate} hop {}: {name} = {a}, reference {b}",
                g.index
            );
        }
    }
    got
}

#[test]
fn onset_features_match_the_reference() {
    // Default (no DC blocker) and with the DC blocker: the reference filters first.
    let with_dc = GunshotConfig {
        dc_block_hz: 5.0,
        ..GunshotConfig::default()
    };
    for (cfg, rate) in [GunshotConfig::default(), with_dc]
        .into_iter()
        .flat_map(|c| [8_000u32, 22_050, 44_100].map(move |r| (c.clone(), r)))
    {
        let x = signal(rate, 0.35);
        let got = matches_the_reference(&cfg, &x, rate);
        // The signal exercises every feature: an onset with clipping, a tone, quiet noise.
        assert!(got.iter().any(|f| f.clipped_frac > 0.0));
        assert!(got.iter().any(|f| f.rise_time_us < 1000.0));
        assert!(got
            .iter()
            .any(|f| f.attack_time_us < 1000.0 && f.attack_ratio_db > 20.0));
        // The impulse over the tone: no quiet point below 10 % (rise time saturated), but a
        // fast attack over the tone's level.
        assert!(got
            .iter()
            .any(|f| f.rise_time_us >= 9000.0 && f.attack_time_us < 1000.0));
        assert!(got.iter().any(|f| f.flux_db > 10.0));
    }
}

/// The shortest frame the configuration allows (16 samples: 2 ms at 8 kHz, 1 ms hops): the
/// envelope before the hop's peak then holds 8-15 values, fewer than one of `last_below`'s
/// 16-value blocks, and every feature still matches the reference.
#[test]
fn onset_features_match_the_reference_at_the_shortest_frame() {
    for dc_block_hz in [0.0, 5.0] {
        let cfg = GunshotConfig {
            hop_s: 0.001,
            frame_s: 0.002,
            dc_block_hz,
            ..GunshotConfig::default()
        };
        let rate = 8_000;
        let t = FrameTiming::new(rate, cfg.hop_s, cfg.frame_s);
        assert_eq!((t.hop, t.frame_len), (8, 16));
        let got = matches_the_reference(&cfg, &signal(rate, 0.35), rate);
        // The searches ran: rises and attacks shorter than the frame (2000 us) were found.
        assert!(
            got.iter().any(|f| f.rise_time_us < 1000.0),
            "{dc_block_hz} Hz"
        );
        assert!(
            got.iter().any(|f| f.attack_time_us < 1000.0),
            "{dc_block_hz} Hz"
        );
    }
}

/// Every value is finite (the documented contract) down to the smallest samples: at +-1e-25
/// the hop has a peak but every square underflows to 0 in f32, so the frame's rms is 0 and
/// the crest factor (peak over rms) must read 0, not infinity; at +-1e-20 the squares are
/// subnormal. With and without the DC blocker, at 8 and 48 kHz.
#[test]
fn the_smallest_samples_give_finite_features() {
    for amp in [1e-25f32, 1e-20, 1e-12] {
        for dc_block_hz in [0.0, 5.0] {
            for rate in [8_000u32, 48_000] {
                let cfg = GunshotConfig {
                    dc_block_hz,
                    ..GunshotConfig::default()
                };
                let x: Vec<f32> = (0..rate as usize / 10)
                    .map(|i| if i % 2 == 0 { amp } else { -amp })
                    .collect();
                let mut fx = OnsetFeatures::new(&cfg, rate).unwrap();
                let mut n = 0;
                fx.push(&x, |f| {
                    n += 1;
                    for (name, v) in FeatureFrame::NAMES.iter().zip(f.values()) {
                        assert!(
                            v.is_finite(),
                            "{amp}, {dc_block_hz} Hz blocker, {rate} Hz, hop {}: {name} = {v}",
                            f.index
                        );
                    }
                });
                assert!(n > 0);
            }
        }
    }
}

/// Near the silence threshold (a band mean power within a decade or two of `POWER_FLOOR`,
/// 1e-12, which the flatness adds to the arithmetic mean and the silent test compares with)
/// the features still match the reference: the signal at -80 dB (its quiet noise at -97 dBFS,
/// not silent) and at -94 dB (most hops below the threshold: silent).
#[test]
fn onset_features_match_the_reference_near_silence() {
    for gain in [1e-4f32, 2e-5] {
        for rate in [8_000u32, 44_100] {
            let cfg = GunshotConfig::default();
            let x: Vec<f32> = signal(rate, 0.35).iter().map(|&v| v * gain).collect();
            let got = matches_the_reference(&cfg, &x, rate);
            // Not vacuous: at -80 dB, hops below -90 dBFS that are not silent (flatness > 0);
            // at -94 dB, silent hops.
            let ctx = format!("gain {gain}, {rate} Hz");
            if gain == 1e-4 {
                assert!(
                    got.iter().any(|f| f.level_dbfs < -90.0 && f.flatness > 0.0),
                    "{ctx}"
                );
            } else {
                assert!(got.iter().any(|f| f.flatness == 0.0), "{ctx}");
            }
        }
    }
}

/// Attacks out of a decaying tail: a 0.5 spike, then 200-215 samples later (at 16 kHz, 13 ms:
/// the tail has decayed to a few %) a 4-sample ramp to 1.0. The envelope's minimum before the
/// peak is then its last value before the ramp, at every position modulo 8 over the 16 peak
/// positions (the level `lo` of the attack is searched in eight lanes plus a tail), and every
/// feature matches the reference.
#[test]
fn attacks_out_of_a_decaying_tail_match_the_reference() {
    let rate = 16_000;
    let cfg = GunshotConfig {
        dc_block_hz: 0.0,
        ..GunshotConfig::default()
    };
    for peak_at in 1_200..1_216 {
        let mut x = vec![0f32; 2_400];
        x[1_000] = 0.5;
        for (k, v) in x[peak_at - 3..=peak_at].iter_mut().enumerate() {
            *v = (k + 1) as f32 / 4.0;
        }
        let got = matches_the_reference(&cfg, &x, rate);
        // The peak's hop: an attack of 4 samples (250 us) over the tail, its ratio tens of dB.
        let f = got
            .iter()
            .find(|f| f.start_sample <= peak_at as u64 && (peak_at as u64) < f.end_sample)
            .unwrap();
        assert_eq!(f.attack_time_us, 250.0, "peak at {peak_at}");
        assert!(f.attack_ratio_db > 20.0, "peak at {peak_at}: {f:?}");
    }
}

/// The shortest envelope release (0.1 ms): the envelope then falls below 10 % of the hop's
/// peak within the hop, after the peak, so the quiet point must be searched before the peak's
/// own position (not from the hop's end). Every feature matches the reference, and a click
/// from silence in the middle of a hop rises from the sample before it.
#[test]
fn onset_features_match_the_reference_with_the_shortest_release() {
    let cfg = GunshotConfig {
        envelope_release_s: 1e-4,
        ..GunshotConfig::default()
    };
    for rate in [8_000u32, 44_100] {
        matches_the_reference(&cfg, &signal(rate, 0.35), rate);
    }
    // At 16 kHz (80-sample hops) a 3-sample ramp to 0.9 at samples 1_030-1_032 (hop 12), then
    // silence: onset at 1_030, rise to 90 % of the peak 3 samples (187.5 us).
    let rate = 16_000;
    let cfg = GunshotConfig {
        dc_block_hz: 0.0,
        ..cfg
    };
    let mut x = vec![0f32; 3_200];
    x[1_030..1_033].copy_from_slice(&[0.3, 0.6, 0.9]);
    let got = matches_the_reference(&cfg, &x, rate);
    let f = got[12];
    assert_eq!((f.start_sample, f.onset_sample), (960, 1_030));
    assert_eq!(f.rise_time_us, 187.5);
}

/// An attack over a loud steady level through a fast envelope (0.1 ms release at 16 kHz: the
/// envelope loses half its value per sample): over a +-0.5 square wave, 0.8, 0.5, 0.76, 0.6,
/// then the hop's peak 1.0. The quiet point is the 0.5 after the 0.8 (at most
/// `lo + 0.1 (P - lo)` = 0.55), the first arrival the 0.76 (a local maximum over half the
/// excursion, 0.75), and the attack ends there (90 % of it, 0.734): one sample, 62.5 us. The
/// 0.8 before the quiet point, above that 90 %, is not part of the attack.
#[test]
fn an_attack_through_a_fast_envelope_starts_at_its_quiet_point() {
    let rate = 16_000;
    let cfg = GunshotConfig {
        dc_block_hz: 0.0,
        envelope_release_s: 1e-4,
        ..GunshotConfig::default()
    };
    let mut x: Vec<f32> = (0..3_200)
        .map(|i| if i % 2 == 0 { 0.5 } else { -0.5 })
        .collect();
    x[1_620..1_625].copy_from_slice(&[0.8, -0.5, 0.76, -0.6, 1.0]);
    let got = matches_the_reference(&cfg, &x, rate);
    let f = got[20];
    assert_eq!(f.start_sample, 1_600);
    assert_eq!(f.attack_time_us, 62.5, "{f:?}");
    assert!((f.attack_ratio_db - 6.0206).abs() < 1e-3, "{f:?}");
}

#[test]
fn feature_names_match_values() {
    let f = FeatureFrame {
        flux_db: 1.0,
        clipped_frac: 12.0,
        ..FeatureFrame::default()
    };
    assert_eq!(FeatureFrame::NAMES.len(), f.values().len());
    assert_eq!(f.values()[0], 1.0);
    assert_eq!(f.values()[11], 12.0);
    assert_eq!(FeatureFrame::NAMES[11], "clipped_frac");
}

/// A frame's start in time is its first sample's time at the given rate.
#[test]
fn a_frame_starts_at_its_first_sample() {
    let f = FeatureFrame {
        start_sample: 24_000,
        end_sample: 24_240,
        ..FeatureFrame::default()
    };
    assert_eq!(f.start(48_000), Timestamp::from_millis(500));
    assert_eq!(f.start(16_000), Timestamp::from_millis(1_500));
}

#[test]
fn i16_push_scales_full_scale_to_one() {
    let cfg = GunshotConfig::default();
    let mut a = OnsetFeatures::new(&cfg, 16_000).unwrap();
    let mut b = OnsetFeatures::new(&cfg, 16_000).unwrap();
    let q: Vec<i16> = (0..1600)
        .map(|i| ((i * 37) % 65536 - 32768) as i16)
        .collect();
    let f: Vec<f32> = q.iter().map(|&v| v as f32 / 32768.0).collect();
    let (mut fa, mut fb) = (Vec::new(), Vec::new());
    a.push_i16(&q, |fr| fa.push(*fr));
    b.push(&f, |fr| fb.push(*fr));
    assert_eq!(fa, fb);
    assert_eq!(fa.len(), 20);
    assert!(fa.iter().any(|fr| fr.clipped_frac > 0.0));
}

/// The framer's 16-bit path (straight into the ring, no sanitising pass) against its `f32`
/// path on the same samples (`x / 32768`): the same hop statistics (clip count included: the
/// input holds full-scale samples), frames and spectra, bit for bit, with the DC blocker on,
/// for any partition.
#[test]
fn framer_i16_path_matches_the_f32_path_bit_for_bit() {
    for rate in [8_000u32, 48_000] {
        let t = FrameTiming::new(rate, 0.005, 0.01);
        let mut r = Lcg(rate + 1);
        let q: Vec<i16> = signal(rate, 0.3)
            .iter()
            .map(|&v| {
                let v = (v * 40_000.0 + 3_000.0 * r.next()) as i32;
                v.clamp(i16::MIN as i32, i16::MAX as i32) as i16
            })
            .collect();
        let f: Vec<f32> = q.iter().map(|&v| f32::from(v) / 32768.0).collect();
        type Frame = (u64, HopStats, Vec<u32>, Vec<u32>, Vec<u32>);
        let grab = |out: &mut Vec<Frame>, sf: &autotrigger::audio::frontend::SpectrumFrame<'_>| {
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            out.push((
                sf.index,
                sf.hop,
                bits(sf.samples),
                bits(sf.envelope),
                bits(sf.power),
            ));
        };
        let framer = || {
            Framer::new(t, 0.99, 0.005)
                .unwrap()
                .with_dc_block(20.0)
                .unwrap()
        };
        let mut want = Vec::new();
        let mut fr = framer();
        fr.push(&f, |sf| grab(&mut want, sf));
        assert_eq!(want.len(), f.len() / t.hop);
        assert!(want.iter().any(|w| w.1.clipped > 0), "rate {rate}");
        for block in [1usize, 7, 256, 4096] {
            let mut got = Vec::new();
            let mut fr = framer();
            for c in q.chunks(block) {
                fr.push_i16(c, |sf| grab(&mut got, sf));
            }
            assert!(got == want, "rate {rate} block {block}");
            assert_eq!(fr.non_finite_samples(), 0);
        }
    }
}

/// The framer's sample-level outputs (ring copy, envelope, hop statistics), computed one
/// sample at a time: bit for bit against a per-sample evaluation of the same arithmetic (the
/// envelope in blocks of 8 samples at absolute positions, the hop energy in 8 lanes by position
/// in the hop), for any partition of the input; and against the plain sequential definitions
/// (`e = max(|x|, e * r)`, one running f64 sum of f64 squares) within their rounding error
/// bounds.
#[test]
fn framer_sample_path_matches_a_per_sample_reference_bit_for_bit() {
    use autotrigger::audio::frontend::MAX_SAMPLE_FS;
    let rate = 16_000u32;
    let t = FrameTiming::new(rate, 0.005, 0.01);
    let (clip, release_s) = (0.5f32, 0.002);
    let r = (-1.0 / (release_s * rate as f64)).exp() as f32;
    // Noise, a loud burst decaying into digital silence (the envelope must reach the flush
    // level), non-finite and absurd samples, then noise again.
    let mut x = signal(rate, 0.3);
    x.extend(std::iter::repeat_n(0.0, 6000));
    x.extend([f32::NAN, 3e30, -f32::INFINITY, 1e-40, -2e6, 0.7, -0.0]);
    x.extend(signal(rate, 0.1));
    // Reference: per sample. The envelope in blocks of 8 absolute samples: `l` restarts at each
    // block, the carried value `anchor` (floored at 1e-31, flushed only when stored) decays by
    // `r^(k+1)` rounded once.
    let rp: Vec<f32> = (1..=8).map(|k| f64::from(r).powi(k) as f32).collect();
    let (mut anchor, mut l) = (1e-31f32, 1e-31f32);
    // The plain sequential recursion, and the samples since its value was last set by |x|.
    let (mut seq, mut since) = (0f32, 0u32);
    let mut want_env = Vec::new();
    let mut clean = Vec::new();
    let mut stats = Vec::new();
    let mut st = HopStats::default();
    let mut lanes = [0f32; 8];
    let mut seq_sum = 0f64;
    for (i, &v) in x.iter().enumerate() {
        let v = if v.is_finite() {
            v.clamp(-MAX_SAMPLE_FS, MAX_SAMPLE_FS)
        } else {
            0.0
        };
        let a = v.abs();
        let k = i % 8;
        let af = a.max(1e-31);
        l = if k == 0 { af } else { af.max(l * r) };
        let e = l.max(anchor * rp[k]);
        if k == 7 {
            anchor = e;
        }
        let e = if e < 1e-30 { 0.0 } else { e };
        want_env.push(e);
        // The sequential definition, flushed every sample. Each step rounds once (relative
        // 2^-24); the blocked form rounds once per block plus at most 8 times within one, so
        // after `since` steps the two differ by at most (since + since / 8 + 9) * 2^-24,
        // relative: bounded here by (2 since + 16) * 2^-24.
        if a >= seq * r {
            since = 0;
        } else {
            since += 1;
        }
        seq = a.max(seq * r);
        if seq < 1e-30 {
            seq = 0.0;
        }
        let tol = (2.0 * since as f32 + 16.0) * f32::EPSILON / 2.0 * seq.max(e);
        if seq == 0.0 || e == 0.0 {
            // Only at the flush level may one be flushed and not the other.
            assert!(
                seq.max(e) < 1e-30 * (1.0 + 1e-3),
                "sample {i}: {seq} vs {e}"
            );
        } else {
            assert!(
                (seq - e).abs() <= tol,
                "sample {i}: {seq} vs {e} (tol {tol})"
            );
        }
        clean.push(v);
        lanes[(i % t.hop) % 8] += v * v;
        seq_sum += f64::from(v) * f64::from(v);
        if a > st.peak {
            st.peak = a;
            st.peak_sample = i as u64;
        }
        if a >= clip {
            st.clipped += 1;
        }
        if (i + 1) % t.hop == 0 {
            let l = lanes.map(f64::from);
            st.sum_sq = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
            // Each lane sums `hop / 8` f32 squares of non-negative terms: within
            // (hop / 8 + 1) * 2^-24 (relative) of its exact sum; the f64 total adds nothing
            // comparable.
            let tol = (t.hop as f64 / 8.0 + 2.0) * f64::from(f32::EPSILON) / 2.0 * seq_sum;
            assert!((st.sum_sq - seq_sum).abs() <= tol, "hop {}", i / t.hop);
            stats.push(st);
            st = HopStats::default();
            lanes = [0.0; 8];
            seq_sum = 0.0;
        }
    }
    assert!(want_env.contains(&0.0) && want_env.iter().any(|&e| e > 1.0));
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let window = |v: &[f32], end: usize| -> Vec<f32> {
        (0..t.frame_len)
            .map(|i| {
                let j = end as i64 - t.frame_len as i64 + i as i64;
                if j < 0 {
                    0.0
                } else {
                    v[j as usize]
                }
            })
            .collect()
    };
    for blocks in [
        vec![1usize],
        vec![7, 1, 160, 333],
        vec![4096],
        vec![x.len()],
    ] {
        let mut fr = Framer::new(t, clip, release_s).unwrap();
        let mut hops = 0usize;
        let mut at = 0;
        let mut k = 0;
        while at < x.len() {
            let n = blocks[k % blocks.len()].min(x.len() - at);
            fr.push(&x[at..at + n], |sf| {
                let h = sf.index as usize;
                let end = (h + 1) * t.hop;
                assert_eq!(bits(sf.samples), bits(&window(&clean, end)), "hop {h}");
                assert_eq!(bits(sf.envelope), bits(&window(&want_env, end)), "hop {h}");
                let (g, w) = (sf.hop, stats[h]);
                assert_eq!(g.sum_sq.to_bits(), w.sum_sq.to_bits(), "hop {h}");
                assert_eq!(
                    (g.peak.to_bits(), g.peak_sample, g.clipped),
                    (w.peak.to_bits(), w.peak_sample, w.clipped),
                    "hop {h}"
                );
                hops += 1;
            });
            at += n;
            k += 1;
        }
        assert_eq!(hops, stats.len(), "{blocks:?}");
        assert_eq!(fr.non_finite_samples(), 2);
    }
}

/// The framer's DC blocker against the f64 sample-by-sample reference (to f32 rounding), the
/// same bits for any partition, and a constant offset removed without a start-up click.
#[test]
fn dc_blocker_matches_the_reference_for_any_partition() {
    for (rate, fc) in [(8_000u32, 10.0), (16_000, 20.0), (48_000, 200.0)] {
        let t = FrameTiming::new(rate, 0.005, 0.01);
        // A tone and noise on a 0.3 FS offset, and a step in the offset half-way.
        let mut x = signal(rate, 0.4);
        let n = x.len();
        for (i, v) in x.iter_mut().enumerate() {
            *v += if i < n / 2 { 0.3 } else { -0.2 };
        }
        let want = dc_block(&x, fc, rate);
        let mut runs: Vec<Vec<u32>> = Vec::new();
        for block in [1usize, 3, 4, 5, 160, 4096] {
            let mut fr = Framer::new(t, 0.99, 0.005)
                .unwrap()
                .with_dc_block(fc)
                .unwrap();
            let mut got = vec![0f32; 0];
            for chunk in x.chunks(block) {
                fr.push(chunk, |sf| {
                    // The newest hop of the frame is the filtered input of this hop.
                    got.extend_from_slice(&sf.samples[t.frame_len - t.hop..]);
                });
            }
            assert_eq!(got.len(), n / t.hop * t.hop);
            for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-5,
                    "rate {rate} block {block} sample {i}: {g} vs {w}"
                );
            }
            runs.push(got.iter().map(|v| v.to_bits()).collect());
        }
        assert!(runs.windows(2).all(|w| w[0] == w[1]), "rate {rate}");
        // No start-up click: the constant offset is gone from the first sample on.
        let first = &want[..t.hop];
        assert!(first.iter().all(|v| v.abs() < 0.01), "{:?}", &first[..4]);
    }
    // Out of range corners are configuration errors.
    let t = FrameTiming::new(8_000, 0.005, 0.01);
    assert!(Framer::new(t, 0.99, 0.005)
        .unwrap()
        .with_dc_block(201.0)
        .is_err());
    assert!(Framer::new(t, 0.99, 0.005)
        .unwrap()
        .with_dc_block(-1.0)
        .is_err());
    let bad = GunshotConfig {
        dc_block_hz: 250.0,
        ..GunshotConfig::default()
    };
    assert!(OnsetFeatures::new(&bad, 16_000).is_err());
}

/// The envelope and spectra of frames analysed only on some hops ([`Framer::push_hops`], as
/// the gated detector does) are those of the same hops when every hop is analysed
/// ([`Framer::push`]), bit for bit, for any partition; also with a hop shorter than the
/// envelope's block of 8 samples, and for the previous frame ([`Hop::previous_power`]).
#[test]
fn sparse_frames_match_every_hop_frames_bit_for_bit() {
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for (rate, hop_s, frame_s) in [(16_000u32, 0.005, 0.01), (8_000, 0.000375, 0.00275)] {
        let t = FrameTiming::new(rate, hop_s, frame_s);
        let mut x = signal(rate, 0.3);
        x.extend(std::iter::repeat_n(0.0, 3000));
        x.extend(signal(rate, 0.1));
        let build = || {
            Framer::new(t, 0.5, 0.002)
                .unwrap()
                .with_dc_block(20.0)
                .unwrap()
        };
        // Every hop: envelope, samples and power of each hop.
        let mut all = Vec::new();
        let mut fr = build();
        fr.push(&x, |sf| {
            all.push((bits(sf.envelope), bits(sf.samples), bits(sf.power)));
        });
        assert!(all.len() > 100, "{}", all.len());
        // Only hops chosen by a pseudo-random pattern (runs of skipped hops of any length).
        for blocks in [vec![1usize], vec![7, 1, 160, 333], vec![x.len()]] {
            let mut fr = build();
            let mut r = Lcg(blocks.len() as u32);
            let (mut at, mut k, mut seen) = (0, 0, 0usize);
            while at < x.len() {
                let n = blocks[k % blocks.len()].min(x.len() - at);
                fr.push_hops(&x[at..at + n], |h| {
                    let i = h.index as usize;
                    let pick = ((r.next() + 1.0) * 3.5) as u32;
                    if pick == 0 && i > 0 {
                        let p = bits(h.previous_power());
                        assert_eq!(p, all[i - 1].2, "previous of hop {i}");
                    }
                    if pick < 2 {
                        let sf = h.frame();
                        assert_eq!(bits(sf.envelope), all[i].0, "envelope of hop {i}");
                        assert_eq!(bits(sf.samples), all[i].1, "samples of hop {i}");
                        assert_eq!(bits(sf.power), all[i].2, "power of hop {i}");
                        seen += 1;
                    }
                });
                at += n;
                k += 1;
            }
            assert!(seen > 10, "{seen}");
        }
    }
}

/// `Hop::stats` (the peak's first position searched in the ring only when asked for) against a
/// slow reference: the first sample of the hop's DC-blocked samples (the last hop of the frame
/// [`Framer::push`] hands out) whose `|x|` is the hop's largest, 0 for a silent hop; with ties
/// (16-bit samples, a clipped stretch), silent hops, hops across the ring's end (a frame that is
/// not a whole number of hops) and any partition.
#[test]
fn hop_stats_find_the_first_peak_like_a_sequential_scan() {
    for (rate, frame_s, dc_hz) in [
        (8_000u32, 0.0123, 20.0),
        (48_000, 0.01, 20.0),
        (8_000, 0.0123, 0.0),
    ] {
        let t = FrameTiming::new(rate, 0.005, frame_s);
        let mut r = Lcg(rate + 7);
        let mut q: Vec<i16> = signal(rate, 0.2)
            .iter()
            .map(|&v| (v * 60_000.0 + 2_000.0 * r.next()).clamp(-32768.0, 32767.0) as i16)
            .collect();
        // Digital silence.
        q.extend(std::iter::repeat_n(0i16, rate as usize / 10));
        q.extend(q[..rate as usize / 20].to_vec());
        let framer = || {
            Framer::new(t, 0.99, 0.005)
                .unwrap()
                .with_dc_block(dc_hz)
                .unwrap()
        };
        let mut want = Vec::new();
        let mut fr = framer();
        fr.push_i16(&q, |sf| {
            let hop = &sf.samples[sf.samples.len() - t.hop..];
            let peak = hop.iter().fold(0f32, |a, &x| a.max(x.abs()));
            let at = hop.iter().position(|x| x.abs() == peak).unwrap();
            let peak_sample = if peak > 0.0 {
                sf.hop_start + at as u64
            } else {
                0
            };
            assert_eq!(sf.hop.peak, peak);
            want.push((sf.index, peak_sample));
        });
        // Without the DC blocker the digital silence gives silent hops.
        assert_eq!(want.iter().any(|w| w.1 == 0), dc_hz == 0.0, "rate {rate}");
        for block in [1usize, 7, 256, 4096] {
            let mut got = Vec::new();
            let mut fr = framer();
            for c in q.chunks(block) {
                fr.push_hops_i16(c, |h| got.push((h.index, h.stats().peak_sample)));
            }
            assert_eq!(got, want, "rate {rate} block {block}");
        }
    }
}
