//! Corrupt files: every reader answers a damaged or hostile file with a one-line error naming
//! the file (and, for text, the line), never a panic, and never a huge allocation sized from a
//! header that lies about the file's length.
#![cfg(feature = "io")]

use autotrigger::io::{read_imu_csv, read_labels, read_sisfall, read_wav, IoError, WavStream};
use std::path::{Path, PathBuf};

#[path = "robust_support/alloc.rs"]
mod alloc;
/// Records the largest single allocation request, so a reader that reserves memory from a
/// lying header (4 GiB "data" chunk in a 60-byte file) is caught even when the OS would
/// overcommit it.
#[global_allocator]
static A: alloc::Counting = alloc::Counting;

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("autotrigger-robust-io-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn file(name: &str, body: &[u8]) -> PathBuf {
    let p = dir().join(name);
    std::fs::write(&p, body).unwrap();
    p
}

/// A canonical 44-byte-header WAV, with every field under the caller's control.
fn wav(fmt: u16, ch: u16, rate: u32, bits: u16, data_len: u32, data: &[u8]) -> Vec<u8> {
    let block = (u32::from(ch) * u32::from(bits) / 8) as u16;
    let mut f = Vec::new();
    f.extend_from_slice(&fmt.to_le_bytes());
    f.extend_from_slice(&ch.to_le_bytes());
    f.extend_from_slice(&rate.to_le_bytes());
    f.extend_from_slice(&(rate.wrapping_mul(u32::from(block))).to_le_bytes());
    f.extend_from_slice(&block.to_le_bytes());
    f.extend_from_slice(&bits.to_le_bytes());
    let mut body = b"WAVEfmt ".to_vec();
    body.extend_from_slice(&(f.len() as u32).to_le_bytes());
    body.extend_from_slice(&f);
    body.extend_from_slice(b"data");
    body.extend_from_slice(&data_len.to_le_bytes());
    body.extend_from_slice(data);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// The error contract: one line, names the file (and `file:line:` for text formats).
fn check(e: &IoError, p: &Path, line: Option<usize>) -> String {
    let s = e.to_string();
    let name = p.file_name().unwrap().to_string_lossy();
    assert!(s.contains(&*name), "error does not name the file: {s}");
    assert!(!s.contains('\n'), "error is not one line: {s:?}");
    if let Some(l) = line {
        assert!(
            s.contains(&format!("{name}:{l}:")),
            "error does not name line {l}: {s}"
        );
    }
    s
}

#[test]
fn corrupt_wav_headers_and_data_are_errors_naming_the_file() {
    let pcm: Vec<u8> = (0..64u8).collect();
    let good = wav(1, 1, 16_000, 16, 64, &pcm);
    assert_eq!(
        read_wav(&file("good.wav", &good)).unwrap().samples.len(),
        32
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty.wav", vec![]),
        ("riff_only.wav", b"RIFF".to_vec()),
        ("not_wave.wav", b"RIFF\x10\0\0\0AVI LIST\0\0\0\0".to_vec()),
        ("text.wav", b"t_s,ax,ay,az\n0,0,0,9.8\n".to_vec()),
        ("header_cut.wav", good[..30].to_vec()),
        ("header_cut_at_data.wav", good[..40].to_vec()),
        ("zero_channels.wav", wav(1, 0, 16_000, 16, 64, &pcm)),
        ("zero_rate.wav", wav(1, 1, 0, 16, 64, &pcm)),
        ("zero_bits.wav", wav(1, 1, 16_000, 0, 64, &pcm)),
        ("bits_40.wav", wav(1, 1, 16_000, 40, 64, &pcm)),
        ("float64.wav", wav(3, 1, 16_000, 64, 64, &pcm)),
        ("float16.wav", wav(3, 1, 16_000, 16, 64, &pcm)),
        ("unknown_format.wav", wav(0x55, 1, 16_000, 16, 64, &pcm)),
        // data shorter than declared: truncated file
        ("data_cut.wav", wav(1, 1, 16_000, 16, 64, &pcm[..20])),
        // a partial sample at the end
        ("half_sample.wav", wav(1, 1, 16_000, 16, 63, &pcm[..63])),
        // the header claims 4 GiB of data in a 60-byte file
        ("lying_len.wav", wav(1, 1, 16_000, 8, u32::MAX, &pcm[..16])),
        (
            "lying_len_f32.wav",
            wav(3, 2, 48_000, 32, u32::MAX - 7, &pcm),
        ),
        // a partial stereo frame
        ("partial_frame.wav", wav(1, 2, 16_000, 16, 62, &pcm[..62])),
    ];
    for (name, bytes) in cases {
        let p = file(name, &bytes);
        alloc::take_largest();
        let r = read_wav(&p);
        let largest = alloc::take_largest();
        // Reading a file never needs more than a few times its size (f32 per byte of PCM).
        assert!(
            largest <= 8 * bytes.len() + (1 << 20),
            "{name}: one allocation of {largest} bytes for a {}-byte file",
            bytes.len()
        );
        match r {
            Err(e) => {
                let s = check(&e, &p, None);
                eprintln!("{name}: {s}");
            }
            Ok(a) => panic!(
                "{name}: accepted a corrupt file as {} samples",
                a.samples.len()
            ),
        }
        // The streaming reader (used by `autotrigger detect`) fails too, at open or mid-way.
        let streamed = WavStream::open(&p).and_then(|mut w| {
            let mut block = [0f32; 64];
            while w.fill(&mut block)? > 0 {}
            Ok(())
        });
        match streamed {
            Err(e) => {
                check(&e, &p, None);
            }
            Ok(()) => panic!("{name}: WavStream accepted a corrupt file"),
        }
        assert!(
            alloc::take_largest() <= 8 * bytes.len() + (1 << 20),
            "{name}: WavStream"
        );
    }
    let e = read_wav(&dir().join("no_such.wav")).unwrap_err();
    check(&e, &dir().join("no_such.wav"), None);
}

#[test]
fn csv_with_missing_columns_non_numbers_and_wrong_units_names_file_and_line() {
    let h = "t_s,ax,ay,az,gx,gy,gz\n";
    let row = "0.00,0.1,0.2,9.8,0.01,0.02,0.03\n";
    let cases: Vec<(&str, String, usize, &str)> = vec![
        ("no_t.csv", "ax,ay,az\n0,0,9.8\n".into(), 1, "t_s"),
        ("no_az.csv", "t_s,ax,ay\n0,0,0\n".into(), 1, "az"),
        (
            "some_gyro.csv",
            "t_s,ax,ay,az,gx\n0,0,0,9.8,0\n".into(),
            1,
            "gx",
        ),
        (
            "short_row.csv",
            format!("{h}{row}0.01,0.1,0.2\n"),
            3,
            "missing",
        ),
        (
            "word.csv",
            format!("{h}{row}0.01,0.1,abc,9.8,0,0,0\n"),
            3,
            "ay",
        ),
        (
            "empty_field.csv",
            format!("{h}{row}0.01,,0.2,9.8,0,0,0\n"),
            3,
            "ax",
        ),
        (
            "nan.csv",
            format!("{h}{row}0.01,NaN,0.2,9.8,0,0,0\n"),
            3,
            "finite",
        ),
        (
            "inf.csv",
            format!("{h}{row}0.01,0.1,0.2,inf,0,0,0\n"),
            3,
            "finite",
        ),
        (
            "t_nan.csv",
            format!("{h}{row}nan,0.1,0.2,9.8,0,0,0\n"),
            3,
            "t_s",
        ),
        // milli-g instead of m/s^2
        (
            "milli_g.csv",
            format!("{h}0.0,0,0,1000.0,0,0,0\n0.01,0,0,3000.0,0,0,0\n"),
            3,
            "az",
        ),
        // raw counts
        (
            "counts.csv",
            format!("{h}0.0,0,0,16384,0,0,0\n"),
            2,
            "wrong unit",
        ),
        // deg/s instead of rad/s
        ("deg_s.csv", format!("{h}0.0,0,0,9.8,0,0,500.0\n"), 2, "gz"),
        ("dup.csv", format!("{h}{row}{row}"), 3, "duplicate"),
        (
            "back.csv",
            format!("{h}0.02,0,0,9.8,0,0,0\n{row}"),
            3,
            "out-of-order",
        ),
        ("empty.csv", String::new(), 1, "empty"),
        (
            "comma_decimal.csv",
            format!("{h}0,0;1,0,9,8,0,0,0\n"),
            2,
            "",
        ),
    ];
    for (name, body, line, word) in cases {
        let p = file(name, body.as_bytes());
        let e = read_imu_csv(&p).expect_err(name);
        let s = check(&e, &p, Some(line));
        assert!(s.contains(word), "{name}: {s}");
    }
    // Not UTF-8 at all.
    let p = file("binary.csv", &[0xff, 0xfe, 0x00, 0x81, b'\n', 0xc3]);
    check(&read_imu_csv(&p).unwrap_err(), &p, Some(1));
    // Tolerated variations: CRLF, a BOM, blank lines, a header only.
    let p = file(
        "crlf.csv",
        format!("\u{feff}{h}\r\n{row}\r\n\r\n").as_bytes(),
    );
    assert_eq!(read_imu_csv(&p).unwrap().len(), 1);
    let p = file("header_only.csv", h.as_bytes());
    assert!(read_imu_csv(&p).unwrap().is_empty());
}

#[test]
fn corrupt_sisfall_and_labels_name_file_and_line() {
    let ok = "   7,-255, -13,  -1,  -3,  18,  14,-996,  70;\r\n";
    let cases: Vec<(&str, String, usize)> = vec![
        ("eight.txt", format!("{ok}1,2,3,4,5,6,7,8;\r\n"), 2),
        ("ten.txt", format!("{ok}{ok}1,2,3,4,5,6,7,8,9,10;\r\n"), 3),
        ("float.txt", "1.5,2,3,4,5,6,7,8,9;\r\n".to_string(), 1),
        (
            "overflow.txt",
            format!("{ok}99999999999,2,3,4,5,6,7,8,9;\r\n"),
            2,
        ),
        ("word.txt", format!("{ok}a,b,c,d,e,f,g,h,i;\r\n"), 2),
        ("header.txt", format!("ax,ay,az,gx,gy,gz,a,b,c\n{ok}"), 1),
    ];
    for (name, body, line) in cases {
        let p = file(name, body.as_bytes());
        check(&read_sisfall(&p).unwrap_err(), &p, Some(line));
    }
    // A file cut mid-line: the last line is incomplete, named by its number.
    let cut = format!("{ok}{ok}   7,-255, -1");
    let p = file("cut.txt", cut.as_bytes());
    check(&read_sisfall(&p).unwrap_err(), &p, Some(3));

    let h = "onset_s,offset_s,kind\n";
    let cases: Vec<(&str, String, usize)> = vec![
        ("a.labels.csv", "start,end,kind\n1,2,gunshot\n".into(), 1),
        ("b.labels.csv", format!("{h}1,2\n"), 2),
        ("c.labels.csv", format!("{h}1,2,gunshot\nx,2,fall\n"), 3),
        ("d.labels.csv", format!("{h}-1,2,fall\n"), 2),
        ("e.labels.csv", format!("{h}3,2,fall\n"), 2),
        ("f.labels.csv", format!("{h}1,2,\n"), 2),
        ("g.labels.csv", format!("{h}nan,2,fall\n"), 2),
        ("h.labels.csv", format!("{h}1,inf,fall\n"), 2),
    ];
    for (name, body, line) in cases {
        let p = file(name, body.as_bytes());
        check(&read_labels(&p).unwrap_err(), &p, Some(line));
    }
}
