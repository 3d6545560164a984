//! `WavStream` delivers exactly what `read_wav` does, for every block size, every sample
//! format and channel count; truncation is an error naming the file.
#![cfg(feature = "io")]

use autotrigger::io::{read_wav, write_wav_i16, WavStream};
use autotrigger::synth::audio::{AudioScene, Gunshot, NoiseColor, Sound};
use autotrigger::synth::Rng;
use std::path::{Path, PathBuf};

/// A fresh directory per test (tests run in parallel and each removes its own).
fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "autotrigger-wavstream-{}-{test}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn scene(rate: u32, secs: f64, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut s = AudioScene::new(rate, secs);
    s.add_noise(NoiseColor::Pink, -30.0, &mut rng);
    let shot = Gunshot {
        peak_dbfs: 6.0,
        ..Gunshot::default()
    };
    s.add(secs / 3.0, &Sound::Gunshot(shot), &mut rng);
    s.finish().0
}

/// Writes `channels` channels (each a differently scaled copy) in the given format.
fn write(path: &Path, x: &[f32], rate: u32, channels: u16, bits: u16, float: bool) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let full = (1i64 << (bits - 1)) as f64;
    for &v in x {
        for c in 0..channels {
            let v = f64::from(v) * (1.0 - 0.2 * f64::from(c));
            if float {
                w.write_sample(v as f32).unwrap();
            } else {
                let q = (v * full).round().clamp(-full, full - 1.0) as i32;
                w.write_sample(q).unwrap();
            }
        }
    }
    w.finalize().unwrap();
}

fn stream_all(path: &Path, block: usize) -> Vec<f32> {
    let mut s = WavStream::open(path).unwrap();
    let mut buf = vec![0f32; block];
    let mut out = Vec::new();
    loop {
        let n = s.fill(&mut buf).unwrap();
        assert!(n <= block);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        // Only the last block may be short.
        if n < block {
            assert_eq!(s.fill(&mut buf).unwrap(), 0);
            break;
        }
    }
    assert_eq!(s.frames_read(), s.len_frames());
    out
}

#[test]
fn stream_equals_read_wav_for_every_block_size() {
    let d = dir("blocks");
    let x = scene(8000, 0.4, 1);
    let cases = [
        ("m16.wav", 1u16, 16u16, false),
        ("s16.wav", 2, 16, false),
        ("t24.wav", 3, 24, false),
        ("m8.wav", 1, 8, false),
        ("s32f.wav", 2, 32, true),
    ];
    for (name, ch, bits, float) in cases {
        let p = d.join(name);
        write(&p, &x, 8000, ch, bits, float);
        let whole = read_wav(&p).unwrap();
        assert_eq!(whole.samples.len(), x.len());
        let s = WavStream::open(&p).unwrap();
        assert_eq!((s.sample_rate(), s.channels()), (8000, ch));
        assert_eq!(s.len_frames(), x.len() as u64);
        for block in (1..=67).chain([256, 1000, 3199, 3200, 3201, 100_000]) {
            let got = stream_all(&p, block);
            // Bit-identical, not approximately equal: the same conversion and mixing.
            let same = got.len() == whole.samples.len()
                && got
                    .iter()
                    .zip(&whole.samples)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{name}, block {block}");
        }
    }
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn write_wav_i16_round_trips_and_clips() {
    let d = dir("rt");
    let p = d.join("rt.wav");
    let x = [
        0.0f32,
        0.5,
        -0.5,
        1.0,
        -1.0,
        2.0,
        -3.0,
        f32::NAN,
        1.0 / 32768.0,
    ];
    write_wav_i16(&p, &x, 16_000).unwrap();
    let a = read_wav(&p).unwrap();
    assert_eq!(a.sample_rate, 16_000);
    let want = [
        0.0,
        0.5,
        -0.5,
        32767.0 / 32768.0,
        -1.0,
        32767.0 / 32768.0,
        -1.0,
        0.0,
        1.0 / 32768.0,
    ];
    assert_eq!(a.samples, want);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn truncated_file_is_an_error_naming_it() {
    let d = dir("trunc");
    let p = d.join("cut.wav");
    write_wav_i16(&p, &scene(16_000, 0.5, 2), 16_000).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    // Keep the header (which still declares 8000 samples) but drop the last 1001 bytes.
    std::fs::write(&p, &bytes[..bytes.len() - 1001]).unwrap();
    let mut s = WavStream::open(&p).unwrap();
    let mut buf = vec![0f32; 1024];
    let mut got = 0;
    let err = loop {
        match s.fill(&mut buf) {
            Ok(0) => panic!("truncation not detected after {got} samples"),
            Ok(n) => got += n,
            Err(e) => break e.to_string(),
        }
    };
    assert!(err.contains("cut.wav"), "{err}");
    assert!(err.contains("truncated"), "{err}");
    assert!(got <= 8000 - 500, "{got}");
    let e = read_wav(&p).unwrap_err().to_string();
    assert!(e.contains("cut.wav"), "{e}");
    std::fs::remove_dir_all(&d).ok();
}

/// `fill_i16` gives the stored 16-bit samples (what `fill` gives times 32768) of a mono 16-bit
/// file for any block size, and is a typed error naming the file for any other layout.
#[test]
fn fill_i16_gives_the_stored_samples_of_mono_16_bit_only() {
    let d = dir("fill_i16");
    let x = scene(16_000, 0.5, 4);
    let mono = d.join("mono16.wav");
    write(&mono, &x, 16_000, 1, 16, false);
    let want = stream_all(&mono, 4096);
    for block in [1usize, 333, 8192] {
        let mut w = WavStream::open(&mono).unwrap();
        assert!(w.is_mono_i16());
        let mut buf = vec![0i16; block];
        let mut got = Vec::new();
        loop {
            let n = w.fill_i16(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend(buf[..n].iter().map(|&v| f32::from(v) / 32768.0));
        }
        assert_eq!(got, want, "block {block}");
    }
    for (name, channels, bits, float) in [("stereo16.wav", 2, 16, false), ("f32.wav", 1, 32, true)]
    {
        let p = d.join(name);
        write(&p, &x, 16_000, channels, bits, float);
        let mut w = WavStream::open(&p).unwrap();
        assert!(!w.is_mono_i16());
        let err = w.fill_i16(&mut [0i16; 16]).unwrap_err().to_string();
        assert!(
            err.contains(name) && err.contains("not mono 16-bit"),
            "{err}"
        );
    }
    std::fs::remove_dir_all(&d).unwrap();
}
