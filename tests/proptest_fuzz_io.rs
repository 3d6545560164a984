//! The fuzz targets `wav`, `imu_csv`, `sisfall` and `labels` (see `fuzz/`) as fast proptests
//! for CI: arbitrary and mutated bytes through every reader. The contract: a well-formed result
//! or a one-line error naming the file; never a panic, never an allocation sized from a lying
//! header.
#![cfg(feature = "io")]

use autotrigger::io::{read_imu_csv, read_labels, read_sisfall, read_wav, IoError, WavStream};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

#[path = "robust_support/alloc.rs"]
mod alloc;
#[global_allocator]
static A: alloc::Counting = alloc::Counting;

fn scratch(name: &str, data: &[u8]) -> PathBuf {
    let d = std::env::temp_dir().join(format!("autotrigger-ptfuzz-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    // One file per thread: the test harness runs tests in parallel.
    let p = d.join(format!("{:?}-{name}", std::thread::current().id()).replace(['(', ')'], ""));
    std::fs::write(&p, data).unwrap();
    p
}

fn check(e: &IoError, p: &Path) -> Result<(), TestCaseError> {
    let s = e.to_string();
    let name = p.file_name().unwrap().to_string_lossy();
    prop_assert!(s.contains(&*name), "error does not name the file: {}", s);
    prop_assert!(!s.contains('\n'), "error is not one line: {:?}", s);
    Ok(())
}

fn valid_wav(ch: u16, bits: u16, float: bool, n: usize) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: ch,
        sample_rate: 16_000,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut cur = std::io::Cursor::new(Vec::new());
    {
        let mut w = hound::WavWriter::new(&mut cur, spec).unwrap();
        for i in 0..n * ch as usize {
            let v = ((i * 7919) % 200) as i32 - 100;
            if float {
                w.write_sample(v as f32 / 100.0).unwrap();
            } else {
                w.write_sample(v).unwrap();
            }
        }
        w.finalize().unwrap();
    }
    cur.into_inner()
}

/// Mutations a fuzzer would make: overwrite bytes, truncate, append.
fn mutate(mut b: Vec<u8>, edits: &[(usize, u8)], cut: Option<usize>, tail: &[u8]) -> Vec<u8> {
    for &(i, v) in edits {
        if !b.is_empty() {
            let n = b.len();
            b[i % n] = v;
        }
    }
    if let Some(c) = cut {
        b.truncate(c % (b.len() + 1));
    }
    b.extend_from_slice(tail);
    b
}

fn wav_contract(bytes: &[u8]) -> Result<(), TestCaseError> {
    let p = scratch("x.wav", bytes);
    alloc::take_largest();
    let r = read_wav(&p);
    let largest = alloc::take_largest();
    prop_assert!(
        largest <= 8 * bytes.len() + (1 << 20),
        "one allocation of {} bytes for a {}-byte file",
        largest,
        bytes.len()
    );
    // The streaming reader (what `autotrigger detect` uses) agrees with the whole-file one:
    // the same samples, or an error naming the file.
    let mut streamed = Vec::new();
    let s = WavStream::open(&p).and_then(|mut w| {
        let mut block = [0f32; 37];
        loop {
            let n = w.fill(&mut block)?;
            if n == 0 {
                return Ok(w.sample_rate());
            }
            streamed.extend_from_slice(&block[..n]);
        }
    });
    prop_assert!(
        alloc::take_largest() <= 8 * bytes.len() + (1 << 20),
        "WavStream: a huge allocation"
    );
    match (r, s) {
        (Ok(a), Ok(rate)) => {
            prop_assert!(a.sample_rate > 0 && a.channels > 0);
            prop_assert!(a.samples.len() <= bytes.len());
            prop_assert_eq!(rate, a.sample_rate);
            prop_assert_eq!(
                a.samples.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                streamed.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
        (Err(e), Err(f)) => {
            check(&e, &p)?;
            check(&f, &p)?;
        }
        (a, b) => prop_assert!(
            false,
            "read_wav {:?} but WavStream {:?}",
            a.map(|x| x.samples.len()),
            b
        ),
    }
    Ok(())
}

/// CSV-like text from the tokens that matter (numbers of every shape, separators, headers).
fn csv_text() -> impl Strategy<Value = String> {
    let tok = prop_oneof![
        Just("t_s".to_string()),
        Just("ax".to_string()),
        Just("ay".to_string()),
        Just("az".to_string()),
        Just("gx".to_string()),
        Just("gy".to_string()),
        Just("gz".to_string()),
        Just(",".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just(";".to_string()),
        Just(" ".to_string()),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just("1e308".to_string()),
        Just("\u{feff}".to_string()),
        any::<f64>().prop_map(|v| v.to_string()),
        any::<i32>().prop_map(|v| v.to_string()),
        (0u32..1000).prop_map(|v| format!("{}.{:02}", v / 100, v % 100)),
        "[a-z_]{1,6}",
    ];
    prop::collection::vec(tok, 0..120).prop_map(|v| v.concat())
}

fn imu_rows() -> impl Strategy<Value = String> {
    // Mostly well-formed rows with hostile values: times that go back or repeat, huge values.
    let row = (
        -5i64..2000,
        prop::array::uniform6(prop_oneof![
            -30.0f64..30.0,
            Just(f64::NAN),
            Just(1e9),
            Just(-2000.5)
        ]),
    );
    prop::collection::vec(row, 0..40).prop_map(|rows| {
        let mut s = String::from("t_s,ax,ay,az,gx,gy,gz\n");
        for (t, v) in rows {
            s.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                t as f64 / 100.0,
                v[0],
                v[1],
                v[2],
                v[3],
                v[4],
                v[5]
            ));
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn wav_arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..200)) {
        wav_contract(&b)?;
    }

    #[test]
    fn wav_mutated(
        ch in 1u16..4,
        fmt in 0usize..5,
        n in 0usize..50,
        edits in prop::collection::vec((0usize..400, any::<u8>()), 0..6),
        cut in prop::option::of(any::<usize>()),
        tail in prop::collection::vec(any::<u8>(), 0..8),
    ) {
        let (bits, float) = [(8, false), (16, false), (24, false), (32, false), (32, true)][fmt];
        let b = mutate(valid_wav(ch, bits, float, n), &edits, cut, &tail);
        wav_contract(&b)?;
    }

    #[test]
    fn imu_csv_arbitrary(text in csv_text(), rows in imu_rows(), raw in prop::collection::vec(any::<u8>(), 0..100)) {
        for body in [text.as_bytes(), rows.as_bytes(), &raw[..]] {
            let p = scratch("x.csv", body);
            match read_imu_csv(&p) {
                Ok(s) => {
                    for w in s.windows(2) {
                        prop_assert!(w[0].t < w[1].t);
                    }
                    for x in &s {
                        prop_assert!(x.accel.iter().all(|v| v.is_finite() && v.abs() <= 2000.0));
                        if let Some(g) = x.gyro {
                            prop_assert!(g.iter().all(|v| v.is_finite() && v.abs() <= 200.0));
                        }
                    }
                }
                Err(e) => check(&e, &p)?,
            }
        }
    }

    #[test]
    fn sisfall_arbitrary(
        rows in prop::collection::vec(prop::collection::vec(prop_oneof![
            any::<i16>().prop_map(|v| v.to_string()),
            any::<i64>().prop_map(|v| v.to_string()),
            Just(" ".to_string()), Just("x".to_string()), Just("".to_string()),
        ], 0..12), 0..30),
        ends in prop::collection::vec(prop_oneof![Just(";\r\n"), Just("\n"), Just(""), Just(";;")], 30),
    ) {
        let mut s = String::new();
        for (i, r) in rows.iter().enumerate() {
            s.push_str(&r.join(","));
            s.push_str(ends[i]);
        }
        let p = scratch("x.txt", s.as_bytes());
        match read_sisfall(&p) {
            Ok(v) => for (i, x) in v.iter().enumerate() {
                prop_assert_eq!(x.t, autotrigger::Timestamp::from_samples(i as u64, 200));
            },
            Err(e) => check(&e, &p)?,
        }
    }

    #[test]
    fn labels_arbitrary(
        rows in prop::collection::vec((
            prop_oneof![any::<f64>().prop_map(|v| v.to_string()), "[0-9.e+-]{0,8}"],
            prop_oneof![any::<f64>().prop_map(|v| v.to_string()), "[0-9.e+-]{0,8}"],
            "[a-z_ ]{0,10}",
        ), 0..20),
        header in prop_oneof![Just("onset_s,offset_s,kind"), Just("onset_s,offset_s"), Just("")],
    ) {
        let mut s = format!("{header}\n");
        for (a, b, k) in rows {
            s.push_str(&format!("{a},{b},{k}\n"));
        }
        let p = scratch("x.labels.csv", s.as_bytes());
        match read_labels(&p) {
            Ok(l) => for x in &l {
                prop_assert!(x.onset <= x.offset && x.onset.as_micros() >= 0 && !x.kind.is_empty());
            },
            Err(e) => check(&e, &p)?,
        }
    }
}
