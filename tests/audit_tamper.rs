//! The audit log detects any single edit, deletion, insertion or swap of records and names the
//! first bad line.

use autotrigger::trigger::audit::{self, AuditLog, Problem};
use autotrigger::trigger::{ButtonAction, Decision, Engine, HolsterState, Input, Policy};
use autotrigger::{Event, EventKind, Evidence, Timestamp};
use proptest::prelude::*;

/// The decisions of a realistic incident (draw, gunshots, presses, sleep...): 12 of them.
fn decisions() -> (Policy, Vec<Decision>) {
    let policy = Policy::from_toml_str("holdoff_s = 1\nmin_recording_s = 5").unwrap();
    let mut e = Engine::new(&policy, 16_000).unwrap();
    let ms = Timestamp::from_millis;
    let shot = |t: i64, c: f32| {
        let mut ev = Evidence::new();
        ev.push("flux", 7.25 * c, Some(1.5));
        ev.push("clipped_fraction", 0.1, None);
        Event {
            kind: EventKind::Gunshot,
            onset: ms(t - 30),
            decided: ms(t),
            confidence: c,
            evidence: ev,
        }
    };
    e.push_input(ms(1_000), Input::Holster(HolsterState::Drawn))
        .unwrap();
    for k in 0..5 {
        e.push_event(&shot(2_000 + 1_500 * k, 0.8 + 0.03 * k as f32))
            .unwrap();
    }
    e.push_input(ms(20_000), Input::Button(ButtonAction::Press))
        .unwrap();
    e.push_input(ms(21_000), Input::Sleep(true)).unwrap();
    e.push_event(&shot(30_000, 0.99)).unwrap();
    e.push_input(ms(31_000), Input::Button(ButtonAction::Press))
        .unwrap();
    e.push_input(ms(32_000), Input::Button(ButtonAction::Stop))
        .unwrap();
    e.push_input(ms(40_000), Input::Button(ButtonAction::Press))
        .unwrap();
    let mut ds = Vec::new();
    while let Some(d) = e.poll_decision() {
        ds.push(d);
    }
    (policy, ds)
}

/// A realistic log of 12 records, and its head.
fn log_lines() -> (Vec<String>, String) {
    let (policy, ds) = decisions();
    let mut log = AuditLog::new(&policy);
    let lines = ds.iter().map(|d| log.record(d)).collect();
    (lines, log.head().to_string())
}

fn join(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

#[test]
fn an_honest_log_verifies() {
    let (lines, head) = log_lines();
    assert_eq!(lines.len(), 12, "{lines:#?}");
    let r = audit::verify(&join(&lines)).unwrap();
    assert_eq!(r.records, 12);
    assert_eq!(r.head, head);
    audit::verify_with_head(&join(&lines), Some(&head)).unwrap();
    // Records carry what an auditor needs.
    let v: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(v["decision"], "cause_added");
    assert_eq!(v["cause"], "gunshot");
    assert_eq!(v["evidence"]["flux"]["threshold"], 1.5);
    assert_eq!(v["policy_hash"].as_str().unwrap().len(), 64);
    assert_eq!(v["engine_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["seq"], 1);
    // Without a final newline, and with CRLF line ends, it still verifies.
    audit::verify(&lines.join("\n")).unwrap();
    audit::verify(&lines.join("\r\n")).unwrap();
    assert_eq!(audit::verify("").unwrap().records, 0);
}

#[test]
fn truncation_needs_the_anchor() {
    let (lines, head) = log_lines();
    let cut = join(&lines[..10]);
    // The chain alone cannot see a cut at the end...
    audit::verify(&cut).unwrap();
    // ...the anchored head can.
    let e = audit::verify_with_head(&cut, Some(&head)).unwrap_err();
    assert_eq!(e.line, 11);
    assert!(matches!(e.problem, Problem::Truncated { .. }));
}

/// Recomputes a record's `hash` from its text (what a forger with the format at hand does).
fn rehash(line: &str) -> String {
    use sha2::{Digest, Sha256};
    let cut = line.rfind(",\"hash\":\"").unwrap();
    let body = format!("{}}}", &line[..cut]);
    let hash: String = Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{},\"hash\":\"{hash}\"}}", &line[..cut])
}

/// Sets a record's `prev` field.
fn set_prev(line: &str, prev: &str) -> String {
    let i = line.find("\"prev\":\"").unwrap() + "\"prev\":\"".len();
    format!("{}{prev}{}", &line[..i], &line[i + 64..])
}

fn hash_of(line: &str) -> &str {
    let i = line.rfind(",\"hash\":\"").unwrap() + ",\"hash\":\"".len();
    &line[i..i + 64]
}

/// Record 6 edited (its time pushed later) and re-hashed: its own hash checks out, so only the chain
/// shows it, on the next record, whose `prev` no longer matches.
#[test]
fn a_record_edited_and_rehashed_breaks_the_chain_at_the_next_record() {
    let (mut lines, head) = log_lines();
    let edited = lines[5].replacen("\"t_us\":", "\"t_us\":9", 1);
    assert_ne!(edited, lines[5]);
    lines[5] = rehash(&edited);
    // The forged record alone is self-consistent: the `hash` check cannot see it.
    audit::verify(&join(&lines[..6])).unwrap();
    let e = audit::verify(&join(&lines)).unwrap_err();
    assert_eq!(e.line, 7, "{e}");
    assert_eq!(e.problem, Problem::BrokenChain { seq: 6 }, "{e}");
    // Re-hashing the record alone leaves it chained to its predecessor but not its successor;
    // pointing the successor at it (and re-hashing that) only moves the break one record on.
    let next = rehash(&set_prev(&lines[6], hash_of(&lines[5])));
    lines[6] = next;
    let e = audit::verify(&join(&lines)).unwrap_err();
    assert_eq!(e.problem, Problem::BrokenChain { seq: 7 }, "{e}");
    // A forger who rewrites every record from the edit on makes a chain that verifies: only
    // the anchored head shows it (docs/engine.md, "Limits").
    for i in 7..lines.len() {
        let l = rehash(&set_prev(&lines[i], hash_of(&lines[i - 1])));
        lines[i] = l;
    }
    let r = audit::verify(&join(&lines)).unwrap();
    assert_eq!(r.records, 12);
    assert_ne!(r.head, head);
    let e = audit::verify_with_head(&join(&lines), Some(&head)).unwrap_err();
    assert!(matches!(e.problem, Problem::Truncated { .. }), "{e}");
}

/// A record pointing at the wrong predecessor (its own `prev` edited and re-hashed) is caught
/// on its own line.
#[test]
fn a_record_with_a_forged_prev_does_not_chain() {
    let (mut lines, _) = log_lines();
    let other = hash_of(&lines[2]).to_string();
    lines[7] = rehash(&set_prev(&lines[7], &other));
    let e = audit::verify(&join(&lines)).unwrap_err();
    assert_eq!(e.line, 8, "{e}");
    assert_eq!(e.problem, Problem::BrokenChain { seq: 7 }, "{e}");
    // The first record must start the chain (64 zeros).
    let (mut lines, _) = log_lines();
    lines[0] = rehash(&set_prev(&lines[0], &"1".repeat(64)));
    let e = audit::verify(&join(&lines)).unwrap_err();
    assert_eq!((e.line, e.problem), (1, Problem::BrokenChain { seq: 0 }));
}

/// What `verify` can and cannot tell of a truncated log without `--head`: records cut off at
/// the start are missing (`Removed`, on line 1); a last line cut mid-record (a crash while
/// writing) is not a record (`Malformed`, on its line); whole records cut off at the end leave a
/// valid shorter chain, seen only against the anchored head (`truncation_needs_the_anchor`).
#[test]
fn a_truncated_log_is_found_where_the_chain_can_see_it() {
    let (lines, head) = log_lines();
    let e = audit::verify(&join(&lines[3..])).unwrap_err();
    assert_eq!(e.line, 1, "{e}");
    assert_eq!(e.problem, Problem::Removed { first: 0, last: 2 }, "{e}");
    let mut cut = lines.clone();
    let last = cut.pop().unwrap();
    for keep in [1, last.len() / 2, last.len() - 1] {
        let mut l = cut.clone();
        l.push(last[..keep].to_string());
        let e = audit::verify(&l.join("\n")).unwrap_err();
        assert_eq!(e.line, 12, "cut at byte {keep}: {e}");
        assert!(matches!(e.problem, Problem::Malformed(_)), "{e}");
    }
    // Cut at a record boundary: every prefix is a valid log of its own; the head says which.
    for n in 0..lines.len() {
        let r = audit::verify(&join(&lines[..n])).unwrap();
        assert_eq!(r.records, n as u64);
        let e = audit::verify_with_head(&join(&lines[..n]), Some(&head)).unwrap_err();
        assert_eq!(e.line, n + 1);
    }
}

/// A log resumed after a reboot (`AuditLog::resume` with the last record's seq and hash: all
/// that survives) continues the chain byte for byte: the records before and after the reboot
/// are the log written without one. The counters cover both parts.
#[test]
fn a_resumed_log_continues_the_chain() {
    let (policy, ds) = decisions();
    let (lines, head) = log_lines();
    let fresh = AuditLog::new(&policy);
    assert!(fresh.is_empty());
    assert_eq!(fresh.len(), 0);
    assert_eq!(fresh.head(), audit::GENESIS);
    let mut before = AuditLog::new(&policy);
    let mut text: Vec<String> = ds[..7].iter().map(|d| before.record(d)).collect();
    assert_eq!(before.len(), 7);
    assert!(!before.is_empty());
    let mut after = AuditLog::resume(&policy, before.len() - 1, before.head());
    assert_eq!(after.len(), 7);
    assert!(!after.is_empty());
    text.extend(ds[7..].iter().map(|d| after.record(d)));
    assert_eq!(after.len(), 12);
    assert_eq!(text, lines);
    assert_eq!(after.head(), head);
    audit::verify_with_head(&join(&text), Some(&head)).unwrap();
}

/// Every record carries the policy's hash, as `AuditLog::policy_hash` reports it.
#[test]
fn records_carry_the_policy_hash() {
    let (policy, _) = decisions();
    let (lines, _) = log_lines();
    let log = AuditLog::new(&policy);
    assert_eq!(log.policy_hash(), policy.hash_hex());
    assert_eq!(log.policy_hash().len(), 64);
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["policy_hash"], log.policy_hash());
    }
}

/// The messages name what is missing: one record, or a range.
#[test]
fn removal_messages_name_the_missing_records() {
    let (lines, _) = log_lines();
    let mut one = lines.clone();
    one.remove(3);
    let e = audit::verify(&join(&one)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 4: gap in sequence numbers: record seq 3 is missing (removed) before this record"
    );
    let mut three = lines.clone();
    three.drain(3..6);
    let e = audit::verify(&join(&three)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 4: gap in sequence numbers: records seq 3 ..= 5 are missing (removed) before this record"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_edit_is_found_on_its_line(pos in 0usize..12, at in any::<prop::sample::Index>(), by in 1u8..=9) {
        let (mut lines, _) = log_lines();
        // Change one digit or letter anywhere before the hash field.
        let line = &lines[pos];
        let body_end = line.rfind(",\"hash\":").unwrap();
        let candidates: Vec<usize> = line[..body_end]
            .char_indices()
            .filter(|(_, c)| c.is_ascii_alphanumeric())
            .map(|(i, _)| i)
            .collect();
        let i = candidates[at.index(candidates.len())];
        let c = line.as_bytes()[i];
        let new = if c.is_ascii_digit() {
            b'0' + (c - b'0' + by) % 10
        } else if c.is_ascii_lowercase() {
            b'a' + (c - b'a' + by) % 26
        } else {
            b'A' + (c - b'A' + by) % 26
        };
        let mut bytes = line.clone().into_bytes();
        bytes[i] = new;
        lines[pos] = String::from_utf8(bytes).unwrap();
        let e = audit::verify(&join(&lines)).unwrap_err();
        prop_assert_eq!(e.line, pos + 1, "{}", e);
    }

    #[test]
    fn any_deletion_is_found(pos in 0usize..11) {
        let (mut lines, _) = log_lines();
        lines.remove(pos);
        let e = audit::verify(&join(&lines)).unwrap_err();
        prop_assert_eq!(e.line, pos + 1, "{}", e);
        let is_removed = matches!(e.problem, Problem::Removed { .. });
        prop_assert!(is_removed, "{}", e);
    }

    #[test]
    fn any_swap_is_found(pos in 0usize..11) {
        let (mut lines, _) = log_lines();
        lines.swap(pos, pos + 1);
        let e = audit::verify(&join(&lines)).unwrap_err();
        prop_assert_eq!(e.line, pos + 1, "{}", e);
        let is_reordered = matches!(e.problem, Problem::Reordered { .. });
        prop_assert!(is_reordered, "{}", e);
    }

    #[test]
    fn any_insertion_is_found(pos in 0usize..=12, src in 0usize..12, forged in any::<bool>()) {
        let (mut lines, _) = log_lines();
        let extra = if forged {
            // A plausible record with a made-up hash.
            lines[src].replacen("\"cause\":", "\"cause_note\":\"x\",\"cause\":", 1)
        } else {
            // A verbatim copy of another record.
            lines[src].clone()
        };
        lines.insert(pos, extra);
        let e = audit::verify(&join(&lines)).unwrap_err();
        // A verbatim copy of the record that follows it is only visible on the next line.
        let line_ok = e.line == pos + 1 || (!forged && src == pos && e.line == pos + 2);
        prop_assert!(line_ok, "inserted at line {}, reported {}", pos + 1, e);
    }
}
