//! The signed, sealed audit log over the bundled incident (`fixtures/incident`), end to end
//! through the CLI: `run --signing-key --segment` writes it, `audit verify --pubkey --media`
//! checks it. A tamper matrix: edit, delete, insert, reorder, truncate, a torn last line,
//! rewrite from a record on with fresh hashes (without the key), re-sign with another key
//! (checkpoints only, or the whole log), splice two devices' logs, append after the seal,
//! replace, drop or add a media file; each found with its own message and exit status, and the
//! untouched log and media verify OK.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_autotrigger"))
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("autotrigger-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Writes a key pair from a fixed seed (what `keygen` writes, without its randomness).
fn write_key(dir: &Path, seed: u8) -> (PathBuf, PathBuf) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let (k, p) = (
        dir.join(format!("k{seed}.key")),
        dir.join(format!("k{seed}.pub")),
    );
    std::fs::write(&k, format!("{}\n", hex(key.as_bytes()))).unwrap();
    std::fs::write(&p, format!("{}\n", hex(key.verifying_key().as_bytes()))).unwrap();
    (k, p)
}

/// Deterministic pseudo-random bytes (a stand-in for video).
fn media_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Runs the incident with a key and media segments; returns the log's lines.
fn run_incident(d: &Path, key: &Path, device: &str, media: &[PathBuf], out: &Path) -> Vec<String> {
    let f = root().join("fixtures/incident");
    let mut cmd = bin();
    cmd.arg("run")
        .arg("--audio")
        .arg(f.join("incident.wav"))
        .arg("--imu")
        .arg(f.join("incident.csv"))
        .arg("--inputs")
        .arg(f.join("incident.inputs.csv"))
        .arg("--audit-log")
        .arg(out)
        .arg("--signing-key")
        .arg(key)
        .args(["--device-id", device]);
    for m in media {
        cmd.arg("--segment").arg(m);
    }
    let r = cmd.current_dir(d).output().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// `audit verify LOG --pubkey PUB [--media DIR]`: exit status and output.
fn verify(
    log_lines: &[String],
    d: &Path,
    name: &str,
    pubkey: &Path,
    media: Option<&Path>,
) -> (i32, String) {
    let log = d.join(name);
    let mut text = log_lines.join("\n");
    text.push('\n');
    std::fs::write(&log, text).unwrap();
    verify_file(&log, pubkey, media)
}

fn verify_file(log: &Path, pubkey: &Path, media: Option<&Path>) -> (i32, String) {
    let mut cmd = bin();
    cmd.args(["audit", "verify"])
        .arg(log)
        .arg("--pubkey")
        .arg(pubkey);
    if let Some(m) = media {
        cmd.arg("--media").arg(m);
    }
    let r = cmd.output().unwrap();
    let out = String::from_utf8_lossy(&r.stdout).to_string() + &String::from_utf8_lossy(&r.stderr);
    (r.status.code().unwrap_or(-1), out)
}

const HASH_KEY: &str = ",\"hash\":\"";

fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let k = format!("\"{name}\":\"");
    let i = line.find(&k)? + k.len();
    Some(&line[i..i + line[i..].find('"')?])
}

/// What someone without the device key can do: recompute every hash from line `from` on
/// (after editing), keeping each record's old signature. With `resign`, signed records are
/// re-signed with that key and name it (someone else's key).
fn rehash_from(lines: &mut [String], from: usize, resign: Option<&ed25519_dalek::SigningKey>) {
    use ed25519_dalek::Signer;
    let mut prev = if from == 0 {
        "0".repeat(64)
    } else {
        field(&lines[from - 1], "hash").unwrap().to_string()
    };
    for line in &mut lines[from..] {
        let cut = line.rfind(HASH_KEY).unwrap();
        let mut body = line[..cut].to_string() + "}";
        let old_prev = field(&body, "prev").unwrap().to_string();
        body = body.replace(
            &format!("\"prev\":\"{old_prev}\""),
            &format!("\"prev\":\"{prev}\""),
        );
        if let Some(h) = field(&body, "head").map(str::to_string) {
            body = body.replace(
                &format!("\"head\":\"{h}\""),
                &format!("\"head\":\"{prev}\""),
            );
        }
        let signed_record = field(&body, "key").is_some();
        if let (Some(k), true) = (resign, signed_record) {
            let old = field(&body, "key").unwrap().to_string();
            body = body.replace(&old, &hex(k.verifying_key().as_bytes()));
        }
        let hash = hex(&Sha256::digest(body.as_bytes()));
        let mut new = body[..body.len() - 1].to_string() + HASH_KEY + &hash;
        if signed_record {
            let sig = match resign {
                Some(k) => {
                    let mut msg = autotrigger::trigger::audit::SIGNATURE_DOMAIN.to_vec();
                    msg.extend_from_slice(&Sha256::digest(body.as_bytes()));
                    hex(&k.sign(&msg).to_bytes())
                }
                None => field(line, "sig").unwrap().to_string(),
            };
            new = new + "\",\"sig\":\"" + &sig;
        }
        new.push_str("\"}");
        *line = new;
        prev = hash;
    }
}

#[test]
fn tamper_matrix_over_the_incident() {
    let d = tmp_dir("audit-signed");
    let media = d.join("media");
    std::fs::create_dir_all(&media).unwrap();
    let segs: Vec<PathBuf> = [(250_000usize, 1u64), (180_000, 2), (90_000, 3)]
        .iter()
        .enumerate()
        .map(|(i, &(n, s))| {
            let p = media.join(format!("cam7_{:04}.mp4", i + 1));
            std::fs::write(&p, media_bytes(n, s)).unwrap();
            p
        })
        .collect();
    let (key_a, pub_a) = write_key(&d, 1);
    let (key_b, pub_b) = write_key(&d, 2);
    let a = run_incident(&d, &key_a, "cam-7", &segs, &d.join("a.jsonl"));
    let b = run_incident(&d, &key_b, "cam-9", &segs, &d.join("b.jsonl"));
    let kind = |l: &str| field(l, "record").unwrap_or("decision").to_string();
    let kinds: Vec<String> = a.iter().map(|l| kind(l)).collect();
    eprintln!("{kinds:?}");
    // The structure the matrix relies on: header, decisions with checkpoints between them,
    // the three media segments, the seal.
    assert_eq!(kinds[0], "header");
    assert_eq!(kinds.last().unwrap(), "seal");
    assert_eq!(kinds.iter().filter(|k| *k == "media").count(), 3);
    let checkpoints: Vec<usize> = (0..a.len()).filter(|&i| kinds[i] == "checkpoint").collect();
    assert!(checkpoints.len() >= 3, "{kinds:?}");
    let decisions: Vec<usize> = (0..a.len()).filter(|&i| kinds[i] == "decision").collect();
    assert!(decisions.len() >= 10, "{kinds:?}");

    let mut messages: Vec<(&str, String)> = Vec::new();
    let mut check = |case: &'static str, (code, out): (i32, String), want_code: i32, want: &str| {
        eprintln!("{case:>22}: exit {code}: {}", out.trim());
        assert_eq!(code, want_code, "{case}: {out}");
        assert!(out.contains(want), "{case}: expected {want:?} in {out}");
        // The message without the file name and line number.
        let msg = out.split(": ").skip(1).collect::<Vec<_>>().join(": ");
        messages.push((case, msg));
    };

    // Untouched: OK, signed, sealed, media match.
    let (code, out) = verify(&a, &d, "ok.jsonl", &pub_a, Some(&media));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("OK, signed and sealed") && out.contains("3 media segment(s) match"),
        "{out}"
    );
    assert!(!out.contains("NOT checked"), "{out}");

    let mid = decisions[decisions.len() / 2];
    // Edit one decision (a gunshot becomes a running trigger), hashes untouched.
    let mut t = a.clone();
    let gun = (0..t.len())
        .find(|&i| t[i].contains("\"cause\":\"gunshot\""))
        .unwrap();
    t[gun] = t[gun].replace("\"cause\":\"gunshot\"", "\"cause\":\"running\"");
    check(
        "edit",
        verify(&t, &d, "edit.jsonl", &pub_a, None),
        1,
        &format!("edit.jsonl:{}: record seq {} was altered", gun + 1, gun),
    );
    // Delete a decision.
    let mut t = a.clone();
    t.remove(mid);
    check(
        "delete",
        verify(&t, &d, "del.jsonl", &pub_a, None),
        4,
        &format!(
            "del.jsonl:{}: gap in sequence numbers: record seq {mid} is missing",
            mid + 1
        ),
    );
    // Insert a copy of a decision further on.
    let mut t = a.clone();
    t.insert(mid + 2, a[mid].clone());
    check(
        "insert",
        verify(&t, &d, "ins.jsonl", &pub_a, None),
        1,
        &format!(
            "ins.jsonl:{}: record seq {mid} repeats the record on line {}",
            mid + 3,
            mid + 1
        ),
    );
    // Swap two records.
    let mut t = a.clone();
    t.swap(mid, mid + 1);
    check(
        "reorder",
        verify(&t, &d, "swap.jsonl", &pub_a, None),
        1,
        &format!(
            "swap.jsonl:{}: record seq {} is out of order: expected seq {mid}",
            mid + 1,
            mid + 1
        ),
    );
    // Truncate: the last two records cut off (the last media segment and the seal).
    let t = a[..a.len() - 2].to_vec();
    let last_cp = *checkpoints.last().unwrap();
    let cp_t = field(&a[last_cp], "t_s").map_or_else(
        || {
            a[last_cp]
                .split("\"t_s\":")
                .nth(1)
                .unwrap()
                .split(',')
                .next()
                .unwrap()
                .to_string()
        },
        str::to_string,
    );
    let cp_t: f64 = cp_t.parse().unwrap();
    check(
        "truncate",
        verify(&t, &d, "cut.jsonl", &pub_a, None),
        3,
        &format!("ends without a seal (truncated, or the camera lost power): the last signed record is seq {last_cp} at t = {cp_t:.3} s"),
    );
    // A torn last line (the write cut short mid-line, no final newline).
    let mut text = a[..a.len() - 1].join("\n");
    text.push('\n');
    text.push_str(&a[a.len() - 1][..40]);
    std::fs::write(d.join("torn.jsonl"), text).unwrap();
    check(
        "torn",
        verify_file(&d.join("torn.jsonl"), &pub_a, None),
        3,
        "the last line is incomplete",
    );
    // Rewrite from a decision on with fresh hashes, without the key: the chain is whole again,
    // the next checkpoint's signature no longer matches.
    let mut t = a.clone();
    t[gun] = t[gun].replace("\"cause\":\"gunshot\"", "\"cause\":\"running\"");
    rehash_from(&mut t, gun, None);
    let next_cp = checkpoints.iter().copied().find(|&c| c > gun).unwrap();
    check(
        "rewrite",
        verify(&t, &d, "rewrite.jsonl", &pub_a, None),
        5,
        &format!(
            "rewrite.jsonl:{}: checkpoint seq {next_cp} has a signature that does not verify",
            next_cp + 1
        ),
    );
    // Re-sign every checkpoint and the seal with another key (header kept).
    let other = ed25519_dalek::SigningKey::from_bytes(&[2; 32]);
    let mut t = a.clone();
    rehash_from(&mut t, 1, Some(&other));
    check(
        "resign checkpoints",
        verify(&t, &d, "resign.jsonl", &pub_a, None),
        6,
        &format!(
            "resign.jsonl:{}: checkpoint seq {} is signed by another key",
            checkpoints[0] + 1,
            checkpoints[0]
        ),
    );
    // Re-sign the whole log, header included: another device's log.
    let mut t = a.clone();
    rehash_from(&mut t, 0, Some(&other));
    check(
        "resign all",
        verify(&t, &d, "resign_all.jsonl", &pub_a, None),
        8,
        "resign_all.jsonl:1: the log is from another device",
    );
    // Device B's own log is not device A's.
    let (code, out) = verify(&b, &d, "b_as_a.jsonl", &pub_a, None);
    assert_eq!(code, 8, "{out}");
    assert!(
        out.contains("b_as_a.jsonl:1: the log is from another device"),
        "{out}"
    );
    assert_eq!(verify(&b, &d, "b.jsonl", &pub_b, None).0, 0);
    // Splice: device A's log up to a decision, device B's from there on.
    let mut t = a[..mid].to_vec();
    t.extend_from_slice(&b[mid..]);
    check(
        "splice",
        verify(&t, &d, "splice.jsonl", &pub_a, None),
        8,
        &format!(
            "splice.jsonl:{}: records from here on come from another device's log",
            mid + 1
        ),
    );
    // A record appended after the seal (a decision copied, seq and chain continued).
    let mut t = a.clone();
    t.push(a[mid].replace(&format!("\"seq\":{mid},"), &format!("\"seq\":{},", a.len())));
    let n = t.len();
    rehash_from(&mut t, n - 1, None);
    check(
        "after seal",
        verify(&t, &d, "after.jsonl", &pub_a, None),
        7,
        &format!(
            "after.jsonl:{n}: record seq {} comes after the seal on line {}",
            n - 1,
            n - 1
        ),
    );
    // An unsigned log where a key is expected.
    let plain = {
        let p = d.join("plain.jsonl");
        let f = root().join("fixtures/incident");
        let r = bin()
            .arg("run")
            .arg("--inputs")
            .arg(f.join("incident.inputs.csv"))
            .arg("--audit-log")
            .arg(&p)
            .output()
            .unwrap();
        assert!(r.status.success());
        p
    };
    check(
        "unsigned",
        verify_file(&plain, &pub_a, None),
        10,
        "the log is unsigned",
    );
    // Without --pubkey the unsigned log verifies as a chain, and says it is unsigned.
    let r = bin()
        .args(["audit", "verify"])
        .arg(&plain)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&r.stdout).contains("OK (UNSIGNED"));

    // Media: replace one segment's content (same length), drop another, add a file.
    let (code, _) = verify(&a, &d, "ok.jsonl", &pub_a, Some(&media));
    assert_eq!(code, 0);
    let good0 = std::fs::read(&segs[0]).unwrap();
    let mut forged = good0.clone();
    forged[1_000] ^= 0x40;
    std::fs::write(&segs[0], &forged).unwrap();
    let seg_line = |name: &str| {
        a.iter()
            .position(|l| l.contains(&format!("\"name\":\"{name}\"")))
            .unwrap()
            + 1
    };
    check(
        "replace media",
        verify_file(&d.join("ok.jsonl"), &pub_a, Some(&media)),
        9,
        &format!(
            "ok.jsonl: line {}: media segment cam7_0001.mp4 was changed",
            seg_line("cam7_0001.mp4")
        ),
    );
    std::fs::write(&segs[0], &good0).unwrap();
    let good1 = std::fs::read(&segs[1]).unwrap();
    std::fs::remove_file(&segs[1]).unwrap();
    check(
        "drop media",
        verify_file(&d.join("ok.jsonl"), &pub_a, Some(&media)),
        9,
        &format!(
            "line {}: media segment cam7_0002.mp4 (180000 bytes) is missing",
            seg_line("cam7_0002.mp4")
        ),
    );
    std::fs::write(&segs[1], &good1).unwrap();
    std::fs::write(media.join("cam7_0004.mp4"), b"planted").unwrap();
    check(
        "extra media",
        verify_file(&d.join("ok.jsonl"), &pub_a, Some(&media)),
        9,
        "media file cam7_0004.mp4 is not in the log (an extra file)",
    );
    std::fs::remove_file(media.join("cam7_0004.mp4")).unwrap();
    let (code, out) = verify_file(&d.join("ok.jsonl"), &pub_a, Some(&media));
    assert_eq!(code, 0, "restored media verify again: {out}");

    // Every case has its own message.
    for (i, (ci, mi)) in messages.iter().enumerate() {
        for (cj, mj) in &messages[i + 1..] {
            let kind = |m: &str| {
                m.chars()
                    .map(|c| {
                        if c.is_ascii_hexdigit() && !c.is_ascii_alphabetic() {
                            '#'
                        } else {
                            c
                        }
                    })
                    .collect::<String>()
            };
            assert_ne!(kind(mi), kind(mj), "{ci} and {cj} give the same message");
        }
    }
    std::fs::remove_dir_all(&d).ok();
}
