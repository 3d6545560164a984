//! The audit log parser and verifier never panic, whatever the text (arbitrary strings,
//! JSON-like noise, and mutations of a real signed log), and a signed log detects any change
//! of a character, any cut at a line boundary and any removed line.

use autotrigger::trigger::audit::{self, AuditLog, MediaSegment, SigningKey, VerifyOptions};
use autotrigger::trigger::{ButtonAction, Engine, HolsterState, Input, Policy};
use autotrigger::Timestamp;
use proptest::prelude::*;

/// A signed, sealed log: 6 decisions, a media segment, checkpoints every 3 records.
fn signed_log() -> (String, audit::VerifyingKey) {
    let policy =
        Policy::from_toml_str("audit_checkpoint_records = 3\nmin_recording_s = 1").unwrap();
    let mut e = Engine::new(&policy, 16_000).unwrap();
    let key = SigningKey::from_bytes(&[9; 32]);
    let public = key.verifying_key();
    let mut text = String::new();
    let mut log = AuditLog::signed(&policy, key, "cam-fuzz", Timestamp::ZERO, &mut text);
    let ms = Timestamp::from_millis;
    e.push_input(ms(1_000), Input::Holster(HolsterState::Drawn))
        .unwrap();
    e.push_input(ms(3_000), Input::Button(ButtonAction::Start))
        .unwrap();
    e.push_input(ms(25_000), Input::Button(ButtonAction::Stop))
        .unwrap();
    e.push_input(ms(26_000), Input::Sleep(true)).unwrap();
    e.push_input(ms(27_000), Input::Sleep(false)).unwrap();
    e.push_input(ms(28_000), Input::Button(ButtonAction::Press))
        .unwrap();
    while let Some(d) = e.poll_decision() {
        log.write_decision(&d, &mut text).unwrap();
    }
    let seg = MediaSegment::new("a/seg_0001.mp4", 4_096, [3; 32]).unwrap();
    log.write_media(&seg, ms(29_000), &mut text).unwrap();
    log.seal(ms(29_000), &mut text).unwrap();
    (text, public)
}

fn check_no_panic(text: &str, key: &audit::VerifyingKey) {
    let _ = audit::verify(text);
    let _ = audit::verify_log(
        text,
        &VerifyOptions {
            pubkey: Some(key),
            head: Some(audit::GENESIS),
        },
    );
}

#[test]
fn the_honest_log_verifies_and_every_cut_is_unsealed() {
    let (text, key) = signed_log();
    let opts = VerifyOptions {
        pubkey: Some(&key),
        head: None,
    };
    let r = audit::verify_log(&text, &opts).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 10, "{text}");
    assert_eq!(r.records as usize, lines.len());
    let s = r.signed.unwrap();
    assert!(s.sealed && s.key_trusted && s.checkpoints >= 2);
    assert_eq!(r.media.len(), 1);
    assert_eq!(r.media[0].name, "a/seg_0001.mp4");
    // The segment is logged under the current recording: the latest start (the press at 28 s).
    let start_seq = lines
        .iter()
        .rposition(|l| l.contains("\"decision\":\"start\""))
        .unwrap() as u64;
    assert_eq!(r.media[0].recording, Some(start_seq));
    for n in 1..lines.len() {
        let mut cut = lines[..n].join("\n");
        cut.push('\n');
        let e = audit::verify_log(&cut, &opts).unwrap_err();
        assert!(
            matches!(e.problem, audit::Problem::Unsealed { .. }),
            "cut after {n} lines: {e}"
        );
        assert_eq!(e.line, n + 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        let (_, key) = signed_log();
        check_no_panic(&s, &key);
    }

    #[test]
    fn json_like_noise_never_panics(s in "[{}\\[\\]\":,0-9a-z_\\n\\\\ .-]{0,400}") {
        let (_, key) = signed_log();
        check_no_panic(&s, &key);
    }

    #[test]
    fn mutated_logs_never_panic(cuts in prop::collection::vec((any::<prop::sample::Index>(), 0usize..40, any::<char>()), 1..6)) {
        let (text, key) = signed_log();
        let mut t: Vec<char> = text.chars().collect();
        for (at, len, c) in cuts {
            let i = at.index(t.len().max(1)).min(t.len());
            let j = (i + len).min(t.len());
            t.splice(i..j, std::iter::once(c));
        }
        let t: String = t.into_iter().collect();
        check_no_panic(&t, &key);
    }

    #[test]
    fn any_changed_character_is_found(at in any::<prop::sample::Index>(), c in proptest::char::range(' ', '~')) {
        let (text, key) = signed_log();
        let mut bytes = text.into_bytes();
        // A character inside a line (not a line break) replaced by a different one.
        let inside: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] != b'\n').collect();
        let i = inside[at.index(inside.len())];
        prop_assume!(bytes[i] != c as u8);
        bytes[i] = c as u8;
        let t = String::from_utf8(bytes).unwrap();
        let opts = VerifyOptions { pubkey: Some(&key), head: None };
        prop_assert!(audit::verify_log(&t, &opts).is_err());
    }

    #[test]
    fn any_removed_line_is_found(n in 0usize..64) {
        let (text, key) = signed_log();
        let mut lines: Vec<&str> = text.lines().collect();
        let n = n % lines.len();
        lines.remove(n);
        let mut t = lines.join("\n");
        t.push('\n');
        let opts = VerifyOptions { pubkey: Some(&key), head: None };
        prop_assert!(audit::verify_log(&t, &opts).is_err());
    }
}
