//! The bulk WAV decoder (`WavStream::fill` reads the data chunk in blocks of bytes and converts
//! them with `chunks_exact`) against a slow, obviously-correct reference: hound's per-sample
//! iterator, each sample scaled in f64 and the channels averaged with `Iterator::sum`, as the
//! reader did before it was made fast. Every container layout, several channel counts, odd
//! lengths, arbitrary bit patterns (any byte of the data chunk), every block size, and
//! truncated files.
#![cfg(feature = "io")]

use autotrigger::io::{read_wav, WavStream};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// A sample layout hound writes: (float, valid bits, container bytes).
const LAYOUTS: [(bool, u16, u16); 6] = [
    (false, 8, 1),
    (false, 16, 2),
    (false, 24, 3),
    (false, 24, 4),
    (false, 32, 4),
    (true, 32, 4),
];

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("autotrigger-io-bulk-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    // One file per thread: the harness runs tests in parallel.
    d.join(format!("{:?}-{name}", std::thread::current().id()).replace(['(', ')'], ""))
}

/// xorshift64*: arbitrary bytes, reproducible from the seed.
fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            (s.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// A WAV whose header hound writes (PCM or WAVE_FORMAT_EXTENSIBLE, as hound chooses for the
/// layout and channel count) and whose data chunk is `data` (whole containers).
fn wav(layout: (bool, u16, u16), channels: u16, data: &[u8]) -> Vec<u8> {
    let (float, bits, container) = layout;
    let spec = hound::WavSpecEx {
        spec: hound::WavSpec {
            channels,
            sample_rate: 48_000,
            bits_per_sample: bits,
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        },
        bytes_per_sample: container,
    };
    // hound writes the header of an empty file (its data chunk header last); then the data
    // and both lengths are patched in, so any layout (even one hound cannot write) is possible.
    let mut cur = std::io::Cursor::new(Vec::new());
    hound::WavWriter::new_with_spec_ex(&mut cur, spec)
        .unwrap()
        .finalize()
        .unwrap();
    let mut out = cur.into_inner();
    let at = out.len();
    out[at - 4..].copy_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    let riff = (out.len() - 8) as u32;
    out[4..8].copy_from_slice(&riff.to_le_bytes());
    out
}

/// The reference decoder: hound's per-sample iterator, f64 scaling, `Iterator::sum` mixing.
/// Returns the frames decoded before an error, and the error if any.
fn reference(path: &Path) -> (Vec<f32>, bool) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let ch = usize::from(spec.channels);
    let mut out = Vec::new();
    let mut frame = Vec::with_capacity(ch);
    let ok = match spec.sample_format {
        hound::SampleFormat::Float => {
            let mut failed = false;
            for s in r.samples::<f32>() {
                let Ok(v) = s else {
                    failed = true;
                    break;
                };
                frame.push(v);
                if frame.len() == ch {
                    out.push(mono(&frame));
                    frame.clear();
                }
            }
            !failed
        }
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f64;
            let mut failed = false;
            for s in r.samples::<i32>() {
                let Ok(v) = s else {
                    failed = true;
                    break;
                };
                frame.push((v as f64 * scale) as f32);
                if frame.len() == ch {
                    out.push(mono(&frame));
                    frame.clear();
                }
            }
            !failed
        }
    };
    (out, !ok)
}

fn mono(frame: &[f32]) -> f32 {
    if frame.len() == 1 {
        frame[0]
    } else {
        frame.iter().sum::<f32>() / frame.len() as f32
    }
}

/// Streams `path` in blocks of `block` frames: the frames delivered, and the error if any.
fn streamed(path: &Path, block: usize) -> (Vec<f32>, Option<String>) {
    let mut s = match WavStream::open(path) {
        Ok(s) => s,
        Err(e) => return (Vec::new(), Some(e.to_string())),
    };
    let mut buf = vec![0f32; block];
    let mut out = Vec::new();
    loop {
        match s.fill(&mut buf) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// Whole file: bit-identical to the reference for every block size, and `read_wav` agrees.
fn check_equal(path: &Path, blocks: &[usize]) -> Result<(), TestCaseError> {
    let (want, failed) = reference(path);
    prop_assert!(!failed, "reference failed on a well-formed file");
    for &b in blocks {
        let (got, err) = streamed(path, b);
        prop_assert!(err.is_none(), "block {}: {:?}", b, err);
        prop_assert_eq!(bits(&got), bits(&want), "block {}", b);
    }
    prop_assert_eq!(bits(&read_wav(path).unwrap().samples), bits(&want));
    Ok(())
}

#[test]
fn every_layout_and_channel_count_matches_the_per_sample_reference() {
    let p = scratch("table.wav");
    for (li, &layout) in LAYOUTS.iter().enumerate() {
        for channels in [1u16, 2, 3, 5, 8] {
            // Odd lengths, block and 64 KiB read boundaries (4096 frames of one 16-bit
            // channel, 2048 of 8 float channels), several reads.
            for frames in [0usize, 1, 2, 3, 17, 2047, 2048, 2049, 4096, 4097, 20_011] {
                let n = frames * usize::from(channels) * usize::from(layout.2);
                let seed = (li as u64) << 40 | u64::from(channels) << 32 | frames as u64;
                std::fs::write(&p, wav(layout, channels, &bytes(seed, n))).unwrap();
                check_equal(&p, &[1, 7, 480, 4096, 100_000])
                    .unwrap_or_else(|e| panic!("{layout:?} x{channels} {frames} frames: {e}"));
            }
        }
    }
    std::fs::remove_file(&p).ok();
}

#[test]
fn special_float_values_mix_like_the_reference() {
    // Signed zeros (the sum's starting value decides the sign of an all -0.0 frame), NaN,
    // infinities, subnormals, extremes.
    let vals = [
        0.0f32,
        -0.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e-45,
        -1e-40,
        f32::MAX,
        f32::MIN,
        1.0,
        -1.0,
    ];
    let p = scratch("special.wav");
    for channels in [1u16, 2, 3] {
        let mut data = Vec::new();
        for &a in &vals {
            for &b in &vals {
                for c in 0..channels {
                    let v = if c == 0 { a } else { b };
                    data.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        std::fs::write(&p, wav((true, 32, 4), channels, &data)).unwrap();
        check_equal(&p, &[1, 5, 4096]).unwrap();
    }
    std::fs::remove_file(&p).ok();
}

#[test]
fn a_layout_hound_cannot_decode_is_an_error_naming_the_file() {
    // 16 valid bits in 4-byte containers: hound's sample reader refuses it, so must we (not
    // silently decode it some other way).
    let p = scratch("odd_container.wav");
    std::fs::write(&p, wav((false, 16, 4), 1, &bytes(3, 64))).unwrap();
    let (got, err) = streamed(&p, 16);
    assert!(got.is_empty());
    let err = err.expect("an error");
    assert!(err.contains("odd_container.wav"), "{err}");
    assert!(read_wav(&p).is_err());
    assert!(reference(&p).1, "hound decodes it after all");
    // The same header with no data is an empty recording, as before.
    std::fs::write(&p, wav((false, 16, 4), 1, &[])).unwrap();
    assert_eq!(streamed(&p, 16), (Vec::new(), None));
    std::fs::remove_file(&p).ok();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_data_matches_the_reference(
        li in 0usize..LAYOUTS.len(),
        channels in 1u16..=6,
        frames in 0usize..3000,
        seed in any::<u64>(),
        block in 1usize..5000,
    ) {
        let layout = LAYOUTS[li];
        let n = frames * usize::from(channels) * usize::from(layout.2);
        let p = scratch("prop.wav");
        std::fs::write(&p, wav(layout, channels, &bytes(seed, n))).unwrap();
        check_equal(&p, &[block])?;
    }

    /// A data chunk cut short: the frames before the cut are delivered exactly as the
    /// reference decodes them, then an error naming the file and saying "truncated".
    #[test]
    fn truncated_data_is_an_error_after_the_same_frames(
        li in 0usize..LAYOUTS.len(),
        channels in 1u16..=4,
        frames in 1usize..3000,
        keep in 0.0f64..1.0,
        seed in any::<u64>(),
        block in 1usize..5000,
    ) {
        let layout = LAYOUTS[li];
        let n = frames * usize::from(channels) * usize::from(layout.2);
        let full = wav(layout, channels, &bytes(seed, n));
        let header = full.len() - n;
        let cut = header + ((n as f64 * keep) as usize).min(n - 1);
        let p = scratch("cut.wav");
        std::fs::write(&p, &full[..cut]).unwrap();
        let (want, failed) = reference(&p);
        prop_assert!(failed, "the reference accepted a truncated file");
        let (got, err) = streamed(&p, block);
        let err = err.expect("truncation not reported");
        let name = p.file_name().unwrap().to_string_lossy();
        prop_assert!(err.contains(&*name) && err.contains("truncated"), "{}", err);
        // Whole blocks before the one that hit the end are delivered; they match.
        prop_assert!(got.len() <= want.len());
        prop_assert_eq!(got.len() % block, 0);
        prop_assert_eq!(bits(&got), bits(&want[..got.len()]));
        prop_assert!(read_wav(&p).is_err());
    }
}
