//! The tamper-evident audit log: every decision as a JSON line, chained by SHA-256, and (for a
//! signed log) checkpoints and a seal signed with the device's Ed25519 key.
//!
//! Each record carries its sequence number, time, the SHA-256 of the record before it (`prev`;
//! 64 zeros for the first) and its own `hash`: SHA-256 of the record's exact JSON text without
//! the `hash` field. Altering, removing, inserting or reordering records breaks the chain, and
//! [`verify`] names the first line where it breaks.
//!
//! Records (the `record` field; decision records have none, as before signing existed):
//! - a decision: `seq, t_us, t_s, decision, cause, onset_us, keep_from_us, state, confidence,
//!   evidence, policy_hash, engine_version`;
//! - `header` (signed logs, always seq 0): the device's public `key`, its `device_id`, the policy
//!   hash and the checkpoint policy; signed;
//! - `media`: a recorded media segment reported by the firmware (`name`, `bytes`, `sha256`),
//!   under the current `recording` (the seq of its `start` record);
//! - `checkpoint`: `head` (the hash of the record before it), signed: it vouches for every record
//!   before it. Written every `audit_checkpoint_records` records or `audit_checkpoint_s`
//!   seconds of stream time (policy fields);
//! - `seal`: the clean end of the log, signed; nothing may follow it.
//!
//! Signed records end with `,"hash":"…","sig":"…"}`: the Ed25519 signature of
//! [`SIGNATURE_DOMAIN`] followed by the 32 hash bytes, by the key named in the record's `key`.
//!
//! What a signed, sealed log proves, and what it cannot, is stated in `docs/engine.md`: in
//! short, without the device key nobody can rewrite, re-sign, cut or splice the log without
//! [`verify_log`] saying so, except that a cut right after a checkpoint looks exactly like a
//! camera that lost power there ([`Problem::Unsealed`]).
//!
//! This module allocates (it builds strings) and is **not** part of the real-time path: the
//! firmware polls [`Decision`]s from the engine and hands them to an [`AuditLog`] in a
//! lower-priority task, which hashes, signs and writes the lines wherever it keeps them (this
//! module does no I/O; [`check_media_dir`], feature `io`, reads the media files).
//!
//! ```
//! use autotrigger::trigger::{audit, Engine, Input, HolsterState, Policy};
//! use autotrigger::Timestamp;
//! let policy = Policy::default();
//! let mut engine = Engine::new(&policy, 48_000).unwrap();
//! // A key provisioned to the device (here a fixed seed; `autotrigger keygen` makes real ones).
//! let key = audit::SigningKey::from_bytes(&[7; 32]);
//! let public = key.verifying_key();
//! let mut text = String::new();
//! let mut log = audit::AuditLog::signed(&policy, key, "cam-0042", Timestamp::ZERO, &mut text);
//! engine.push_input(Timestamp::from_millis(1_000), Input::Holster(HolsterState::Drawn)).unwrap();
//! engine.advance_to(Timestamp::from_millis(1_500));
//! while let Some(d) = engine.poll_decision() {
//!     log.write_decision(&d, &mut text).unwrap();
//! }
//! let segment = audit::MediaSegment::new("cam-0042_0001.mp4", 1_234, [0xab; 32]).unwrap();
//! log.write_media(&segment, Timestamp::from_millis(1_500), &mut text).unwrap();
//! log.seal(Timestamp::from_millis(1_500), &mut text).unwrap();
//! let options = audit::VerifyOptions { pubkey: Some(&public), ..Default::default() };
//! let report = audit::verify_log(&text, &options).unwrap();
//! assert_eq!(report.records, 4); // header, start, media, seal
//! assert!(report.signed.as_ref().unwrap().sealed);
//! // Forging a record without the key is found; so is cutting off the seal.
//! let forged = text.replace("holster_draw", "gunshot");
//! assert!(audit::verify_log(&forged, &options).is_err());
//! let cut: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
//! let e = audit::verify_log(&cut, &options).unwrap_err();
//! assert!(matches!(e.problem, audit::Problem::Unsealed { .. }));
//! ```

use crate::event::Evidence;
use crate::time::Timestamp;
use crate::trigger::decision::{Decision, DecisionKind};
use crate::trigger::policy::{sha256_hex, Policy};
use ed25519_dalek::{Signature, Signer as _};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::Serialize;
use std::collections::HashMap;
use thiserror::Error;

/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The engine version written into every record.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a record's signature covers, before the 32 bytes of its hash (so that a signature made
/// by the device for anything else can never pass for a log signature).
pub const SIGNATURE_DOMAIN: &[u8] = b"autotrigger audit log v1\0";

/// The longest media segment name, in bytes.
pub const MAX_MEDIA_NAME: usize = 200;

/// The separator before the hash, the last field of an unsigned record.
const HASH_KEY: &str = ",\"hash\":\"";
/// The separator before the signature, after the hash of a signed record.
const SIG_KEY: &str = "\",\"sig\":\"";

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// Parses exactly `N` bytes of hex (either case, surrounding whitespace ignored).
pub fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let t = text.trim().as_bytes();
    if t.len() != 2 * N {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = nib(t[2 * i])? << 4 | nib(t[2 * i + 1])?;
    }
    Some(out)
}

/// Reads a secret key file as written by `autotrigger keygen` (64 hex digits, the Ed25519
/// seed).
pub fn signing_key_from_hex(text: &str) -> Option<SigningKey> {
    from_hex::<32>(text).map(|b| SigningKey::from_bytes(&b))
}

/// Reads a public key file as written by `autotrigger keygen` (64 hex digits).
pub fn verifying_key_from_hex(text: &str) -> Option<VerifyingKey> {
    from_hex::<32>(text).and_then(|b| VerifyingKey::from_bytes(&b).ok())
}

/// A decision record without its hash, in field order.
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

#[derive(Serialize)]
struct HeaderBody<'a> {
    seq: u64,
    t_us: i64,
    t_s: f64,
    record: &'static str,
    device_id: &'a str,
    key: &'a str,
    policy_hash: &'a str,
    engine_version: &'static str,
    checkpoint_records: u64,
    checkpoint_s: f64,
    prev: &'a str,
}

#[derive(Serialize)]
struct MediaBody<'a> {
    seq: u64,
    t_us: i64,
    t_s: f64,
    record: &'static str,
    recording: Option<u64>,
    name: &'a str,
    bytes: u64,
    sha256: &'a str,
    prev: &'a str,
}

#[derive(Serialize)]
struct SignedBody<'a> {
    seq: u64,
    t_us: i64,
    t_s: f64,
    /// `checkpoint` or `seal`.
    record: &'static str,
    head: &'a str,
    key: &'a str,
    prev: &'a str,
}

/// One recorded media segment, as the firmware reports it when it closes the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaSegment {
    name: String,
    bytes: u64,
    sha256: [u8; 32],
}

/// A media segment name the log cannot carry.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("media segment name {name:?}: {reason}")]
pub struct MediaNameError {
    /// The name given.
    pub name: String,
    /// Why it is refused.
    pub reason: &'static str,
}

impl MediaSegment {
    /// A segment: its file name relative to the media directory (`/`-separated, no `..`, no
    /// control characters, at most [`MAX_MEDIA_NAME`] bytes), its length in bytes and the
    /// SHA-256 of its content.
    pub fn new(name: &str, bytes: u64, sha256: [u8; 32]) -> Result<MediaSegment, MediaNameError> {
        check_media_name(name).map_err(|reason| MediaNameError {
            name: name.to_string(),
            reason,
        })?;
        Ok(MediaSegment {
            name: name.to_string(),
            bytes,
            sha256,
        })
    }

    /// The name relative to the media directory.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Length in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// SHA-256 of the content.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }
}

/// Why `name` cannot be a media segment name, if it cannot.
pub fn check_media_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("empty");
    }
    if name.len() > MAX_MEDIA_NAME {
        return Err("longer than 200 bytes");
    }
    if name.chars().any(|c| c.is_control() || c == '\\') {
        return Err("contains a control character or a backslash");
    }
    if name.starts_with('/')
        || name
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
    {
        return Err("not a plain relative path (leading `/`, empty, `.` or `..` component)");
    }
    Ok(())
}

/// Writing to a sealed log.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("the audit log is sealed: nothing may be written after the seal")]
pub struct SealedError;

/// The device key and the checkpoint policy of a signed log.
#[derive(Debug)]
struct Signer {
    key: SigningKey,
    key_hex: String,
    every_records: u64,
    every_us: i64,
    /// Records written since the last signed record.
    unsigned: u64,
    /// Time of the last signed record.
    last_signed_us: i64,
    sealed: bool,
}

/// Turns decisions (and media segments, for a signed log) into chained audit records, one
/// JSON line each.
#[derive(Debug)]
pub struct AuditLog {
    policy_hash: String,
    prev: String,
    seq: u64,
    /// Time of the latest record.
    last_us: i64,
    /// The seq of the latest `start` record.
    recording: Option<u64>,
    signer: Option<Signer>,
}

impl AuditLog {
    /// A new, empty, **unsigned** log (a plain hash chain) for decisions taken under `policy`.
    pub fn new(policy: &Policy) -> AuditLog {
        AuditLog {
            policy_hash: policy.hash_hex(),
            prev: GENESIS.to_string(),
            seq: 0,
            last_us: i64::MIN,
            recording: None,
            signer: None,
        }
    }

    /// Continues an existing unsigned log whose last record had sequence number `last_seq` and
    /// hash `head` (for example after a reboot).
    pub fn resume(policy: &Policy, last_seq: u64, head: &str) -> AuditLog {
        AuditLog {
            prev: head.to_string(),
            seq: last_seq + 1,
            ..AuditLog::new(policy)
        }
    }

    /// A new log signed with the device's key: appends its signed `header` record (time `t`)
    /// to `out`. `device_id` is the camera's name as the agency knows it (the key is what
    /// proves it). Checkpoints follow the policy's `audit_checkpoint_records` and
    /// `audit_checkpoint_s`.
    pub fn signed(
        policy: &Policy,
        key: SigningKey,
        device_id: &str,
        t: Timestamp,
        out: &mut String,
    ) -> AuditLog {
        let key_hex = to_hex(key.verifying_key().as_bytes());
        let mut log = AuditLog::new(policy);
        let t_us = t.as_micros();
        let body = HeaderBody {
            seq: 0,
            t_us,
            t_s: t.as_secs_f64(),
            record: "header",
            device_id,
            key: &key_hex,
            policy_hash: &log.policy_hash,
            engine_version: ENGINE_VERSION,
            checkpoint_records: policy.audit_checkpoint_records,
            checkpoint_s: policy.audit_checkpoint_s,
            prev: GENESIS,
        };
        let text = serde_json::to_string(&body).unwrap_or_default();
        log.signer = Some(Signer {
            key,
            key_hex,
            every_records: policy.audit_checkpoint_records.max(1),
            every_us: crate::time::secs_to_micros(policy.audit_checkpoint_s),
            unsigned: 0,
            last_signed_us: t_us,
            sealed: false,
        });
        log.append(&text, t_us, true, out);
        log
    }

    /// Hashes (and signs) a serialized body and appends the line; advances the chain.
    fn append(&mut self, body: &str, t_us: i64, sign: bool, out: &mut String) {
        let hash = sha256_hex(body.as_bytes());
        out.push_str(&body[..body.len().saturating_sub(1)]);
        out.push_str(HASH_KEY);
        out.push_str(&hash);
        match (&mut self.signer, sign) {
            (Some(s), true) => {
                let mut msg = SIGNATURE_DOMAIN.to_vec();
                msg.extend_from_slice(&from_hex::<32>(&hash).unwrap_or([0; 32]));
                let sig = s.key.sign(&msg);
                out.push_str(SIG_KEY);
                out.push_str(&to_hex(&sig.to_bytes()));
                s.unsigned = 0;
                s.last_signed_us = t_us;
            }
            (Some(s), false) => s.unsigned += 1,
            (None, _) => {}
        }
        out.push_str("\"}\n");
        self.prev = hash;
        self.seq += 1;
        self.last_us = self.last_us.max(t_us);
    }

    fn decision_body(&mut self, d: &Decision) -> String {
        if d.kind == DecisionKind::Start {
            self.recording = Some(self.seq);
        }
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
        serde_json::to_string(&body).unwrap_or_default()
    }

    /// Appends a decision: returns its record as one line of JSON (no trailing newline).
    /// Record sequence numbers are the log's own (from 0, without gaps), independent of
    /// [`Decision::seq`]. For a signed log prefer [`AuditLog::write_decision`], which also
    /// writes the checkpoints that are due; this method writes none (and records nothing once
    /// the log is sealed: it then returns an empty string).
    pub fn record(&mut self, d: &Decision) -> String {
        if self.is_sealed() {
            return String::new();
        }
        let body = self.decision_body(d);
        let mut line = String::with_capacity(body.len() + 180);
        self.append(&body, d.at.as_micros(), false, &mut line);
        line.pop();
        line
    }

    /// Appends a decision's record to `out` (a line ending in `\n`), then, for a signed log,
    /// a checkpoint if one is due.
    pub fn write_decision(&mut self, d: &Decision, out: &mut String) -> Result<(), SealedError> {
        if self.is_sealed() {
            return Err(SealedError);
        }
        let body = self.decision_body(d);
        let t_us = d.at.as_micros();
        self.append(&body, t_us, false, out);
        self.checkpoint_if_due(t_us, out);
        Ok(())
    }

    /// Appends a media segment's record under the current recording (the latest `start`), at
    /// time `t`; it is signed by the next checkpoint or the seal.
    pub fn write_media(
        &mut self,
        seg: &MediaSegment,
        t: Timestamp,
        out: &mut String,
    ) -> Result<(), SealedError> {
        if self.is_sealed() {
            return Err(SealedError);
        }
        let t_us = t.as_micros().max(self.last_us);
        let sha = to_hex(&seg.sha256);
        let body = MediaBody {
            seq: self.seq,
            t_us,
            t_s: Timestamp::from_micros(t_us).as_secs_f64(),
            record: "media",
            recording: self.recording,
            name: &seg.name,
            bytes: seg.bytes,
            sha256: &sha,
            prev: &self.prev,
        };
        let text = serde_json::to_string(&body).unwrap_or_default();
        self.append(&text, t_us, false, out);
        self.checkpoint_if_due(t_us, out);
        Ok(())
    }

    /// A timer tick at stream time `t`: writes a checkpoint when records are waiting for a
    /// signature and `audit_checkpoint_s` has passed since the last signed record. Does nothing
    /// for an unsigned or sealed log.
    pub fn tick(&mut self, t: Timestamp, out: &mut String) {
        if !self.is_sealed() {
            self.checkpoint_if_due(t.as_micros(), out);
        }
    }

    fn checkpoint_if_due(&mut self, t_us: i64, out: &mut String) {
        let due = match &self.signer {
            Some(s) => {
                s.unsigned > 0
                    && (s.unsigned >= s.every_records
                        || t_us.saturating_sub(s.last_signed_us) >= s.every_us)
            }
            None => false,
        };
        if due {
            self.write_signed("checkpoint", t_us, out);
        }
    }

    fn write_signed(&mut self, record: &'static str, t_us: i64, out: &mut String) {
        let Some(s) = &self.signer else { return };
        let t_us = t_us.max(self.last_us);
        let body = SignedBody {
            seq: self.seq,
            t_us,
            t_s: Timestamp::from_micros(t_us).as_secs_f64(),
            record,
            head: &self.prev,
            key: &s.key_hex,
            prev: &self.prev,
        };
        let text = serde_json::to_string(&body).unwrap_or_default();
        self.append(&text, t_us, true, out);
    }

    /// Writes a signed checkpoint now (at `t`), whatever the policy says. Nothing for an
    /// unsigned log.
    pub fn checkpoint(&mut self, t: Timestamp, out: &mut String) -> Result<(), SealedError> {
        if self.is_sealed() {
            return Err(SealedError);
        }
        self.write_signed("checkpoint", t.as_micros(), out);
        Ok(())
    }

    /// Ends a signed log cleanly with its signed seal (at `t`): [`verify_log`] refuses any
    /// record after it. Nothing for an unsigned log.
    pub fn seal(&mut self, t: Timestamp, out: &mut String) -> Result<(), SealedError> {
        if self.is_sealed() {
            return Err(SealedError);
        }
        self.write_signed("seal", t.as_micros(), out);
        if let Some(s) = &mut self.signer {
            s.sealed = true;
        }
        Ok(())
    }

    /// True once [`AuditLog::seal`] was written.
    pub fn is_sealed(&self) -> bool {
        self.signer.as_ref().is_some_and(|s| s.sealed)
    }

    /// True for a log made by [`AuditLog::signed`].
    pub fn is_signed(&self) -> bool {
        self.signer.is_some()
    }

    /// The public key that signs this log (hex), if signed.
    pub fn key_hex(&self) -> Option<&str> {
        self.signer.as_ref().map(|s| s.key_hex.as_str())
    }

    /// The hash of the latest record ([`GENESIS`] when empty).
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

    /// The policy hash written into every decision record.
    pub fn policy_hash(&self) -> &str {
        &self.policy_hash
    }
}

/// A signed log's signatures, as verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedSummary {
    /// The public key named in the header (hex); every signature verified under it.
    pub key: String,
    /// True when it is the key the caller trusts ([`VerifyOptions::pubkey`]); false when no key
    /// was given (the signatures are then only consistent with the header's own key).
    pub key_trusted: bool,
    /// The `device_id` of the header.
    pub device_id: String,
    /// Signed checkpoints.
    pub checkpoints: u64,
    /// True when the log ends with its seal (always, for a log that verified).
    pub sealed: bool,
    /// Sequence number of the last signed record (the seal).
    pub last_signed_seq: u64,
    /// Its time, microseconds of stream time.
    pub last_signed_t_us: i64,
}

/// A media segment the log records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaRecord {
    /// Line of its record.
    pub line: usize,
    /// Its record's sequence number.
    pub seq: u64,
    /// The recording it belongs to (the seq of that recording's `start` record).
    pub recording: Option<u64>,
    /// Name relative to the media directory.
    pub name: String,
    /// Length in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
}

/// What a successful verification found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Number of records.
    pub records: u64,
    /// Hash of the last record ([`GENESIS`] for an empty log).
    pub head: String,
    /// For a signed log: what signs it. `None`: a plain hash chain, which proves nothing about
    /// who wrote it or whether its end is missing.
    pub signed: Option<SignedSummary>,
    /// The media segments the log records, in order.
    pub media: Vec<MediaRecord>,
}

/// What is wrong with a log, found at a line ([`AuditError::line`]).
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
    /// A gap in sequence numbers: one or more records are missing before this one.
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
    /// A signed log that ends without its seal: cut off, or the camera lost power.
    #[error("{}", unsealed_message(*last_signed_seq, *last_signed_t_us, *unsigned_after, *torn))]
    Unsealed {
        /// Sequence number of the last signed record (header or checkpoint).
        last_signed_seq: u64,
        /// Its time, microseconds of stream time.
        last_signed_t_us: i64,
        /// Records after it, which no signature vouches for.
        unsigned_after: u64,
        /// The last line is incomplete (a write cut short, as at power loss): ignored.
        torn: bool,
    },
    /// A header, checkpoint or seal whose signature is missing or does not verify under the
    /// log's key: it, or a record before it, was rewritten without the device key.
    #[error("{record} seq {seq} {}", if *missing { "has no signature: signed records were stripped or forged without the device key" } else { "has a signature that does not verify under the device key: it or records before it were rewritten (re-hashed) without the key" })]
    BadSignature {
        /// The record's sequence number.
        seq: u64,
        /// `header`, `checkpoint` or `seal`.
        record: String,
        /// No `sig` field at all.
        missing: bool,
    },
    /// A checkpoint or seal signed by a key other than the log's (re-signed by someone else).
    #[error("{record} seq {seq} is signed by another key ({key}), not the log's device key")]
    SignedByOtherKey {
        /// The record's sequence number.
        seq: u64,
        /// `checkpoint` or `seal`.
        record: String,
        /// The key it names (hex).
        key: String,
    },
    /// A record after the seal.
    #[error("record seq {seq} comes after the seal on line {seal_line}: records were appended to a closed log")]
    AfterSeal {
        /// The record's (claimed) sequence number.
        seq: u64,
        /// Line of the seal.
        seal_line: usize,
    },
    /// The log was signed by another device than the one expected.
    #[error("the log is from another device: signed by key {key}, expected {expected}")]
    OtherDevice {
        /// The key in the log's header (hex).
        key: String,
        /// The trusted key (hex).
        expected: String,
    },
    /// From this line on the records belong to another device's log (its signatures are by
    /// another key): two logs were spliced.
    #[error("records from here on come from another device's log (signed by key {key}): two logs were spliced")]
    Spliced {
        /// The other log's key (hex).
        key: String,
    },
    /// A device key was given but the log is unsigned (a plain hash chain).
    #[error("the log is unsigned (a plain hash chain, no header): nothing proves which device wrote it or that its end is complete")]
    Unsigned,
}

impl Problem {
    /// The exit status `autotrigger audit verify` gives for this problem: 1 chain broken
    /// (altered, inserted, reordered, malformed), 3 truncated or unsealed, 4 gap in sequence
    /// numbers, 5 bad or missing signature, 6 signed by another key, 7 record after the seal,
    /// 8 another device's log (or spliced from one), 10 unsigned log where a key was given.
    /// (2 is a usage or I/O error, 9 a media mismatch.)
    pub fn exit_status(&self) -> u8 {
        match self {
            Problem::Malformed(_)
            | Problem::Altered { .. }
            | Problem::BrokenChain { .. }
            | Problem::Reordered { .. }
            | Problem::Inserted { .. } => 1,
            Problem::Truncated { .. } | Problem::Unsealed { .. } => 3,
            Problem::Removed { .. } => 4,
            Problem::BadSignature { .. } => 5,
            Problem::SignedByOtherKey { .. } => 6,
            Problem::AfterSeal { .. } => 7,
            Problem::OtherDevice { .. } | Problem::Spliced { .. } => 8,
            Problem::Unsigned => 10,
        }
    }
}

fn removed_message(first: u64, last: u64) -> String {
    if first == last {
        format!(
            "gap in sequence numbers: record seq {first} is missing (removed) before this record"
        )
    } else {
        format!("gap in sequence numbers: records seq {first} ..= {last} are missing (removed) before this record")
    }
}

fn unsealed_message(seq: u64, t_us: i64, after: u64, torn: bool) -> String {
    let mut m = format!(
        "the log ends without a seal (truncated, or the camera lost power): the last signed record is seq {seq} at t = {:.3} s; {after} record(s) after it carry no signature",
        t_us as f64 / 1e6
    );
    if torn {
        m.push_str("; the last line is incomplete (a write cut short, as power loss leaves it) and was ignored");
    }
    m
}

/// Verification failed at a line.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("line {line}: {problem}")]
pub struct AuditError {
    /// 1-based line number of the first bad record (the line after the last record for
    /// [`Problem::Truncated`] and [`Problem::Unsealed`]).
    pub line: usize,
    /// What is wrong.
    pub problem: Problem,
}

/// One parsed line.
struct Parsed {
    seq: u64,
    t_us: i64,
    prev: String,
    hash: String,
    /// The hash recomputed from the line's text.
    computed: String,
    /// `header`, `media`, `checkpoint`, `seal`; `None` for a decision.
    record: Option<String>,
    key: Option<String>,
    sig: Option<String>,
    head: Option<String>,
    device_id: Option<String>,
    media: Option<(Option<u64>, String, u64, String)>,
}

fn parse_line(line: &str) -> Result<Parsed, Problem> {
    let bad = |m: &str| Problem::Malformed(m.to_string());
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| Problem::Malformed(e.to_string()))?;
    let s = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    let seq = v
        .get("seq")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| bad("no integer `seq`"))?;
    let t_us = v
        .get("t_us")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or(0);
    let prev = s("prev").ok_or_else(|| bad("no string `prev`"))?;
    let hash = s("hash").ok_or_else(|| bad("no string `hash`"))?;
    let sig = match v.get("sig") {
        None => None,
        Some(x) => Some(
            x.as_str()
                .ok_or_else(|| bad("`sig` is not a string"))?
                .to_string(),
        ),
    };
    // The hash covers the exact text before it: the line must end with `,"hash":"<hash>"}`
    // (or `,"hash":"<hash>","sig":"<sig>"}`).
    let cut = line
        .rfind(HASH_KEY)
        .ok_or_else(|| bad("`hash` is not the last field"))?;
    let tail = match &sig {
        None => format!("{hash}\"}}"),
        Some(sig) => format!("{hash}{SIG_KEY}{sig}\"}}"),
    };
    if line[cut + HASH_KEY.len()..] != tail {
        return Err(bad("`hash` (and `sig`) are not the last fields"));
    }
    let mut body = String::with_capacity(cut + 1);
    body.push_str(&line[..cut]);
    body.push('}');
    let record = s("record");
    let media = if record.as_deref() == Some("media") {
        let name = s("name").ok_or_else(|| bad("media record without a string `name`"))?;
        check_media_name(&name).map_err(|r| Problem::Malformed(format!("media name: {r}")))?;
        let bytes = v
            .get("bytes")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| bad("media record without an integer `bytes`"))?;
        let sha = s("sha256")
            .filter(|h| from_hex::<32>(h).is_some())
            .ok_or_else(|| bad("media record without a 64-digit hex `sha256`"))?;
        let recording = v.get("recording").and_then(serde_json::Value::as_u64);
        Some((recording, name, bytes, sha.to_ascii_lowercase()))
    } else {
        None
    };
    Ok(Parsed {
        seq,
        t_us,
        prev,
        hash,
        computed: sha256_hex(body.as_bytes()),
        record,
        key: s("key"),
        sig,
        head: s("head"),
        device_id: s("device_id"),
        media,
    })
}

/// Checks a signed record's signature under `vk`: `Ok` or the problem.
fn check_signature(p: &Parsed, vk: &VerifyingKey) -> Result<(), Problem> {
    let record = p.record.clone().unwrap_or_default();
    let Some(sig) = &p.sig else {
        return Err(Problem::BadSignature {
            seq: p.seq,
            record,
            missing: true,
        });
    };
    let ok = match (from_hex::<64>(sig), from_hex::<32>(&p.computed)) {
        // Lowercase hex only: one text per signature, so any change to the line is found.
        (Some(sig_bytes), Some(hash)) if to_hex(&sig_bytes) == *sig => {
            let sig = sig_bytes;
            let mut msg = SIGNATURE_DOMAIN.to_vec();
            msg.extend_from_slice(&hash);
            vk.verify_strict(&msg, &Signature::from_bytes(&sig)).is_ok()
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Problem::BadSignature {
            seq: p.seq,
            record,
            missing: false,
        })
    }
}

/// What [`verify_log`] checks besides the chain.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyOptions<'a> {
    /// The device's public key: the log must be signed by it (else [`Problem::OtherDevice`]
    /// or [`Problem::Unsigned`]). Without it a signed log's signatures are checked against the
    /// key its own header names, which proves consistency, not origin.
    pub pubkey: Option<&'a VerifyingKey>,
    /// The expected hash of the last record (an anchor kept elsewhere).
    pub head: Option<&'a str>,
}

/// Verifies a whole log (the text of a JSONL file). Returns the first problem, by line.
pub fn verify(text: &str) -> Result<VerifyReport, AuditError> {
    verify_log(text, &VerifyOptions::default())
}

/// Like [`verify`], and also checks that the last record's hash is `expected_head` (an anchor
/// stored elsewhere), which detects records cut off at the end of an unsigned log.
pub fn verify_with_head(
    text: &str,
    expected_head: Option<&str>,
) -> Result<VerifyReport, AuditError> {
    verify_log(
        text,
        &VerifyOptions {
            head: expected_head,
            ..VerifyOptions::default()
        },
    )
}

/// The signing state of the log being verified.
struct SignedState {
    key_hex: String,
    vk: VerifyingKey,
    device_id: String,
    checkpoints: u64,
    last_signed: (u64, i64),
    unsigned_after: u64,
    seal_line: Option<usize>,
}

/// Verifies a log: the chain, and for a signed log (one that starts with a `header`) every
/// signature, the seal at the end and the device key. Returns the first problem, by line.
/// Never panics, whatever the text.
pub fn verify_log(text: &str, opts: &VerifyOptions<'_>) -> Result<VerifyReport, AuditError> {
    // A final newline ends the last line; it does not start an empty one.
    let complete = text.is_empty() || text.ends_with('\n');
    let text = text.strip_suffix('\n').unwrap_or(text);
    let lines: Vec<&str> = if text.is_empty() {
        Vec::new()
    } else {
        text.split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect()
    };
    let parsed: Vec<Result<Parsed, Problem>> = lines.iter().map(|l| parse_line(l)).collect();
    let err = |line: usize, problem: Problem| Err(AuditError { line, problem });

    // A log is signed when its first record is a header.
    let mut signed: Option<SignedState> = None;
    if let Some(Ok(p)) = parsed.first() {
        if p.record.as_deref() == Some("header") {
            let key_hex = p.key.clone().unwrap_or_default().to_ascii_lowercase();
            let Some(vk) = verifying_key_from_hex(&key_hex) else {
                return err(1, Problem::Malformed("header without a valid `key`".into()));
            };
            if let Some(trusted) = opts.pubkey {
                if *trusted != vk {
                    return err(
                        1,
                        Problem::OtherDevice {
                            key: key_hex,
                            expected: to_hex(trusted.as_bytes()),
                        },
                    );
                }
            }
            signed = Some(SignedState {
                key_hex,
                vk,
                device_id: p.device_id.clone().unwrap_or_default(),
                checkpoints: 0,
                last_signed: (p.seq, p.t_us),
                unsigned_after: 0,
                seal_line: None,
            });
        }
    }
    if opts.pubkey.is_some() && signed.is_none() && !matches!(parsed.first(), Some(Err(_))) {
        return err(1, Problem::Unsigned);
    }
    // A signed record from here on under another key: the lines were spliced in.
    let spliced_from = |i: usize, s: &Option<SignedState>| -> Option<Problem> {
        let s = s.as_ref()?;
        parsed[i..].iter().find_map(|q| {
            let q = q.as_ref().ok()?;
            let k = q.key.as_ref()?.to_ascii_lowercase();
            (k != s.key_hex).then_some(Problem::Spliced { key: k })
        })
    };

    let mut expected = 0u64;
    let mut prev = GENESIS.to_string();
    let mut seen: HashMap<u64, usize> = HashMap::new();
    let mut media = Vec::new();
    let mut torn = false;
    for (i, p) in parsed.iter().enumerate() {
        let line = i + 1;
        if let Some(s) = &signed {
            if let Some(seal_line) = s.seal_line {
                let seq = p.as_ref().map_or(expected, |p| p.seq);
                return err(line, Problem::AfterSeal { seq, seal_line });
            }
        }
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                // An incomplete last line in a signed log: a write cut short.
                if signed.is_some() && i + 1 == parsed.len() && !complete {
                    torn = true;
                    break;
                }
                return err(line, e.clone());
            }
        };
        if p.computed != p.hash {
            return err(line, Problem::Altered { seq: p.seq });
        }
        let order = if p.seq < expected {
            Some(Problem::Inserted {
                seq: p.seq,
                first_line: seen.get(&p.seq).copied().unwrap_or(0),
            })
        } else if p.seq > expected {
            let later = parsed[i + 1..]
                .iter()
                .any(|q| q.as_ref().is_ok_and(|q| q.seq == expected));
            Some(if later {
                Problem::Reordered {
                    expected,
                    found: p.seq,
                }
            } else {
                Problem::Removed {
                    first: expected,
                    last: p.seq - 1,
                }
            })
        } else if p.prev != prev {
            Some(Problem::BrokenChain { seq: p.seq })
        } else {
            None
        };
        if let Some(problem) = order {
            return err(line, spliced_from(i, &signed).unwrap_or(problem));
        }
        match (p.record.as_deref(), &mut signed) {
            (Some("header"), _) if i > 0 => {
                return err(line, Problem::Malformed("a second header".into()));
            }
            (Some(kind @ ("header" | "checkpoint" | "seal")), Some(s)) => {
                let key = p.key.clone().unwrap_or_default().to_ascii_lowercase();
                if key != s.key_hex {
                    return err(
                        line,
                        Problem::SignedByOtherKey {
                            seq: p.seq,
                            record: kind.to_string(),
                            key,
                        },
                    );
                }
                if let Err(problem) = check_signature(p, &s.vk) {
                    return err(line, problem);
                }
                if kind != "header" && p.head.as_deref() != Some(prev.as_str()) {
                    return err(
                        line,
                        Problem::Malformed(format!("{kind} `head` is not the previous hash")),
                    );
                }
                s.last_signed = (p.seq, p.t_us);
                s.unsigned_after = 0;
                match kind {
                    "checkpoint" => s.checkpoints += 1,
                    "seal" => s.seal_line = Some(line),
                    _ => {}
                }
            }
            (Some(kind @ ("header" | "checkpoint" | "seal")), None) => {
                return err(
                    line,
                    Problem::Malformed(format!("a {kind} in a log that has no header")),
                );
            }
            (_, Some(s)) => s.unsigned_after += 1,
            (_, None) => {}
        }
        if let Some((recording, name, bytes, sha256)) = &p.media {
            media.push(MediaRecord {
                line,
                seq: p.seq,
                recording: *recording,
                name: name.clone(),
                bytes: *bytes,
                sha256: sha256.clone(),
            });
        }
        seen.insert(p.seq, line);
        prev.clone_from(&p.hash);
        expected += 1;
    }
    let end_line = expected as usize + 1;
    if let Some(h) = opts.head {
        if h != prev {
            return err(
                end_line,
                Problem::Truncated {
                    expected: h.to_string(),
                },
            );
        }
    }
    let signed = match signed {
        None => None,
        Some(s) if s.seal_line.is_none() => {
            return err(
                end_line,
                Problem::Unsealed {
                    last_signed_seq: s.last_signed.0,
                    last_signed_t_us: s.last_signed.1,
                    unsigned_after: s.unsigned_after,
                    torn,
                },
            );
        }
        Some(s) => Some(SignedSummary {
            key: s.key_hex,
            key_trusted: opts.pubkey.is_some(),
            device_id: s.device_id,
            checkpoints: s.checkpoints,
            sealed: true,
            last_signed_seq: s.last_signed.0,
            last_signed_t_us: s.last_signed.1,
        }),
    };
    Ok(VerifyReport {
        records: expected,
        head: prev,
        signed,
        media,
    })
}

/// A media file that does not match the log.
#[cfg(feature = "io")]
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MediaProblem {
    /// The log records a segment that is not in the directory.
    #[error(
        "line {line}: media segment {name} ({bytes} bytes) is missing from the media directory"
    )]
    Missing {
        /// Line of its record.
        line: usize,
        /// Its name.
        name: String,
        /// Its length per the log.
        bytes: u64,
    },
    /// The file's length or SHA-256 differs from the log's: it was replaced or edited.
    #[error("line {line}: media segment {name} was changed: the log says {expected_bytes} bytes, SHA-256 {expected_sha256}; the file has {actual_bytes} bytes, SHA-256 {actual_sha256}")]
    Changed {
        /// Line of its record.
        line: usize,
        /// Its name.
        name: String,
        /// Length per the log.
        expected_bytes: u64,
        /// SHA-256 per the log.
        expected_sha256: String,
        /// Length of the file.
        actual_bytes: u64,
        /// SHA-256 of the file.
        actual_sha256: String,
    },
    /// A file in the directory that no record names.
    #[error("media file {name} is not in the log (an extra file)")]
    Extra {
        /// Its name relative to the directory.
        name: String,
    },
    /// A file that could not be read.
    #[error("media file {name}: {error}")]
    Unreadable {
        /// Its name relative to the directory.
        name: String,
        /// The I/O error.
        error: String,
    },
}

#[cfg(feature = "io")]
impl MediaProblem {
    /// The exit status `autotrigger audit verify --media` gives: 9.
    pub fn exit_status(&self) -> u8 {
        9
    }
}

/// Length and SHA-256 (hex) of a file, read in 64 KiB blocks.
#[cfg(feature = "io")]
pub fn hash_file(path: &std::path::Path) -> std::io::Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, to_hex(&h.finalize())))
}

/// Checks the media files in `dir` (recursively; names relative, `/`-separated) against the
/// segments a verified log records: each missing, changed or extra file, in log order then
/// name order. Files whose path is in `ignore` (the log itself, kept beside its media) are
/// skipped. Empty when everything matches.
#[cfg(feature = "io")]
pub fn check_media_dir(
    report: &VerifyReport,
    dir: &std::path::Path,
    ignore: &[&std::path::Path],
) -> Result<Vec<MediaProblem>, std::io::Error> {
    fn walk(
        dir: &std::path::Path,
        rel: &str,
        out: &mut Vec<(String, std::path::PathBuf)>,
    ) -> std::io::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if e.file_type()?.is_dir() {
                walk(&e.path(), &r, out)?;
            } else {
                out.push((r, e.path()));
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, "", &mut files)?;
    let same = |a: &std::path::Path, b: &std::path::Path| match (a.canonicalize(), b.canonicalize())
    {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    files.retain(|(_, p)| !ignore.iter().any(|i| same(p, i)));
    let mut problems = Vec::new();
    let mut named = std::collections::HashSet::new();
    for m in &report.media {
        named.insert(m.name.as_str());
        let Some((_, path)) = files.iter().find(|(n, _)| *n == m.name) else {
            problems.push(MediaProblem::Missing {
                line: m.line,
                name: m.name.clone(),
                bytes: m.bytes,
            });
            continue;
        };
        match hash_file(path) {
            Ok((n, sha)) if n == m.bytes && sha == m.sha256 => {}
            Ok((n, sha)) => problems.push(MediaProblem::Changed {
                line: m.line,
                name: m.name.clone(),
                expected_bytes: m.bytes,
                expected_sha256: m.sha256.clone(),
                actual_bytes: n,
                actual_sha256: sha,
            }),
            Err(e) => problems.push(MediaProblem::Unreadable {
                name: m.name.clone(),
                error: e.to_string(),
            }),
        }
    }
    for (name, _) in &files {
        if !named.contains(name.as_str()) {
            problems.push(MediaProblem::Extra { name: name.clone() });
        }
    }
    Ok(problems)
}
