//! The tamper-evident audit log: every decision as a JSON line, chained by SHA-256.
//!
//! Each record carries its sequence number, time, decision, cause, evidence, the SHA-256 of
//! the canonical policy ([`Policy::hash_hex`]), the engine version, the hash of the previous
//! record (`prev`; 64 zeros for the first) and its own `hash`: SHA-256 of the record's exact
//! JSON text without the `hash` field. Altering, removing, inserting or reordering records
//! breaks the chain, and [`verify`] names the first line where it breaks.
//!
//! What a hash chain cannot show alone: that records were cut off at the end, or that the
//! whole log was rewritten from some point on with freshly computed hashes. Anchor the chain
//! by storing the latest [`AuditLog::head`] somewhere the log's holder cannot rewrite (the
//! upload server, a signed manifest) and pass it to [`verify_with_head`].
//!
//! This module allocates (it builds strings) and is **not** part of the real-time path: the
//! firmware polls [`Decision`]s from the engine and hands them to an [`AuditLog`] in a
//! lower-priority task, which writes the lines wherever it keeps them (this module does no
//! I/O).
//!
//! ```
//! use autotrigger::trigger::{audit, Engine, Input, HolsterState, Policy};
//! use autotrigger::Timestamp;
//! let policy = Policy::default();
//! let mut engine = Engine::new(&policy, 48_000).unwrap();
//! let mut log = audit::AuditLog::new(&policy);
//! engine.push_input(Timestamp::from_millis(1_000), Input::Holster(HolsterState::Drawn)).unwrap();
//! engine.advance_to(Timestamp::from_millis(1_500));
//! let mut text = String::new();
//! while let Some(d) = engine.poll_decision() {
//!     text.push_str(&log.record(&d));
//!     text.push('\n');
//! }
//! let report = audit::verify(&text).unwrap();
//! assert_eq!(report.records, 1);
//! assert_eq!(report.head, log.head());
//! let forged = text.replace("holster_draw", "gunshot");
//! assert!(audit::verify(&forged).is_err());
//! ```

use crate::event::Evidence;
use crate::trigger::decision::Decision;
use crate::trigger::policy::{sha256_hex, Policy};
use serde::Serialize;
use thiserror::Error;

/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The engine version written into every record.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The separator before the hash, always the last field of a record line.
const HASH_KEY: &str = ",\"hash\":\"";

/// A record without its hash, in field order.
#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    t_us: i64,
    t_s: f64,
    decision: &'static str,
    cause: Option<&'static str>,
    onset_us: i64,
    keep_from_us: i64,
    state: &'static str,
    confidence: Option<f32>,
    evidence: &'a Evidence,
    policy_hash: &'a str,
    engine_version: &'static str,
    prev: &'a str,
}

/// Turns decisions into chained audit records (one JSON line each).
#[derive(Clone, Debug)]
pub struct AuditLog {
    policy_hash: String,
    prev: String,
    seq: u64,
}

impl AuditLog {
    /// A new, empty log for decisions taken under `policy`.
    pub fn new(policy: &Policy) -> AuditLog {
        AuditLog {
            policy_hash: policy.hash_hex(),
            prev: GENESIS.to_string(),
            seq: 0,
        }
    }

    /// Continues an existing log whose last record had sequence number `last_seq` and hash
    /// `head` (for example after a reboot).
    pub fn resume(policy: &Policy, last_seq: u64, head: &str) -> AuditLog {
        AuditLog {
            policy_hash: policy.hash_hex(),
            prev: head.to_string(),
            seq: last_seq + 1,
        }
    }

    /// Appends a decision: returns its record as one line of JSON (no trailing newline).
    /// Record sequence numbers are the log's own (from 0, without gaps), independent of
    /// [`Decision::seq`].
    pub fn record(&mut self, d: &Decision) -> String {
        let body = Body {
            seq: self.seq,
            t_us: d.at.as_micros(),
            t_s: d.at.as_secs_f64(),
            decision: d.kind.as_str(),
            cause: d.cause.map(|c| c.as_str()),
            onset_us: d.onset.as_micros(),
            keep_from_us: d.keep_from.as_micros(),
            state: d.state.as_str(),
            confidence: d.confidence.is_finite().then_some(d.confidence),
            evidence: &d.evidence,
            policy_hash: &self.policy_hash,
            engine_version: ENGINE_VERSION,
            prev: &self.prev,
        };
        // Plain numbers and strings (non-finite values become null): cannot fail.
        let text = serde_json::to_string(&body).unwrap_or_default();
        let hash = sha256_hex(text.as_bytes());
        let mut line = String::with_capacity(text.len() + HASH_KEY.len() + 66);
        line.push_str(&text[..text.len().saturating_sub(1)]);
        line.push_str(HASH_KEY);
        line.push_str(&hash);
        line.push_str("\"}");
        self.prev = hash;
        self.seq += 1;
        line
    }

    /// The hash of the latest record ([`GENESIS`] when empty): anchor it to detect truncation.
    pub fn head(&self) -> &str {
        &self.prev
    }

    /// Number of records written.
    pub fn len(&self) -> u64 {
        self.seq
    }

    /// True before the first record.
    pub fn is_empty(&self) -> bool {
        self.seq == 0
    }

    /// The policy hash written into every record.
    pub fn policy_hash(&self) -> &str {
        &self.policy_hash
    }
}

/// What a successful verification found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Number of records.
    pub records: u64,
    /// Hash of the last record ([`GENESIS`] for an empty log).
    pub head: String,
}

/// What is wrong with a record.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Problem {
    /// The line is not an audit record.
    #[error("not an audit record: {0}")]
    Malformed(String),
    /// The record's content does not match its hash: it was edited.
    #[error("record seq {seq} was altered: its content does not match its hash")]
    Altered {
        /// The record's (claimed) sequence number.
        seq: u64,
    },
    /// The record does not chain to the one before it.
    #[error("record seq {seq} does not chain to the previous record (the previous record was altered and re-hashed, or this one was forged)")]
    BrokenChain {
        /// The record's sequence number.
        seq: u64,
    },
    /// One or more records are missing before this one.
    #[error("{}", removed_message(*first, *last))]
    Removed {
        /// First missing sequence number.
        first: u64,
        /// Last missing sequence number.
        last: u64,
    },
    /// The record is out of order: the expected record comes later in the file.
    #[error("record seq {found} is out of order: expected seq {expected}, which comes later (records reordered)")]
    Reordered {
        /// The sequence number expected here.
        expected: u64,
        /// The one found.
        found: u64,
    },
    /// A record with an already-seen sequence number: a record was inserted or duplicated.
    #[error("record seq {seq} repeats the record on line {first_line}: a record was inserted or duplicated (on line {first_line} or here)")]
    Inserted {
        /// The repeated sequence number.
        seq: u64,
        /// Line of the earlier record with that number.
        first_line: usize,
    },
    /// The log ends before the anchored head: records were cut off at the end (or the anchor
    /// belongs to another log).
    #[error("the last record's hash is not the expected head {expected}: records were removed at the end")]
    Truncated {
        /// The anchored head hash.
        expected: String,
    },
}

fn removed_message(first: u64, last: u64) -> String {
    if first == last {
        format!("record seq {first} is missing (removed) before this record")
    } else {
        format!("records seq {first} ..= {last} are missing (removed) before this record")
    }
}

/// Verification failed at a line.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("line {line}: {problem}")]
pub struct AuditError {
    /// 1-based line number of the first bad record (the line after the last record for
    /// [`Problem::Truncated`]).
    pub line: usize,
    /// What is wrong.
    pub problem: Problem,
}

/// One parsed line.
struct Parsed {
    seq: u64,
    prev: String,
    hash: String,
    /// The hash recomputed from the line's text.
    computed: String,
}

fn parse_line(line: &str) -> Result<Parsed, Problem> {
    let bad = |m: &str| Problem::Malformed(m.to_string());
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| Problem::Malformed(e.to_string()))?;
    let seq = v
        .get("seq")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| bad("no integer `seq`"))?;
    let prev = v
        .get("prev")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| bad("no string `prev`"))?
        .to_string();
    let hash = v
        .get("hash")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| bad("no string `hash`"))?
        .to_string();
    // The hash covers the exact text before it: the line must end with `,"hash":"<hash>"}`.
    let cut = line
        .rfind(HASH_KEY)
        .ok_or_else(|| bad("`hash` is not the last field"))?;
    if line[cut + HASH_KEY.len()..] != format!("{hash}\"}}") {
        return Err(bad("`hash` is not the last field"));
    }
    let mut body = String::with_capacity(cut + 1);
    body.push_str(&line[..cut]);
    body.push('}');
    Ok(Parsed {
        seq,
        prev,
        hash,
        computed: sha256_hex(body.as_bytes()),
    })
}

/// Verifies a whole log (the text of a JSONL file). Returns the first problem, by line.
pub fn verify(text: &str) -> Result<VerifyReport, AuditError> {
    verify_with_head(text, None)
}

/// Like [`verify`], and also checks that the last record's hash is `expected_head` (an anchor
/// stored elsewhere), which detects records cut off at the end.
pub fn verify_with_head(
    text: &str,
    expected_head: Option<&str>,
) -> Result<VerifyReport, AuditError> {
    // A final newline ends the last line; it does not start an empty one.
    let text = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<&str> = if text.is_empty() {
        Vec::new()
    } else {
        text.split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect()
    };
    let parsed: Vec<Result<Parsed, Problem>> = lines.iter().map(|l| parse_line(l)).collect();
    let mut expected = 0u64;
    let mut prev = GENESIS.to_string();
    let mut seen: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    for (i, p) in parsed.iter().enumerate() {
        let line = i + 1;
        let fail = |problem| Err(AuditError { line, problem });
        let p = match p {
            Ok(p) => p,
            Err(e) => return fail(e.clone()),
        };
        if p.computed != p.hash {
            return fail(Problem::Altered { seq: p.seq });
        }
        if p.seq < expected {
            let first_line = seen.get(&p.seq).copied().unwrap_or(0);
            return fail(Problem::Inserted {
                seq: p.seq,
                first_line,
            });
        }
        if p.seq > expected {
            let later = parsed[i + 1..]
                .iter()
                .any(|q| q.as_ref().is_ok_and(|q| q.seq == expected));
            return fail(if later {
                Problem::Reordered {
                    expected,
                    found: p.seq,
                }
            } else {
                Problem::Removed {
                    first: expected,
                    last: p.seq - 1,
                }
            });
        }
        if p.prev != prev {
            return fail(Problem::BrokenChain { seq: p.seq });
        }
        seen.insert(p.seq, line);
        prev.clone_from(&p.hash);
        expected += 1;
    }
    if let Some(h) = expected_head {
        if h != prev {
            return Err(AuditError {
                line: lines.len() + 1,
                problem: Problem::Truncated {
                    expected: h.to_string(),
                },
            });
        }
    }
    Ok(VerifyReport {
        records: expected,
        head: prev,
    })
}
