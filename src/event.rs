//! Events: what a detector saw, when, how sure it is, and why.
//!
//! An [`Event`] is `Copy` and fixed-size (its [`Evidence`] is an inline array), so detectors
//! can emit events on the real-time path without allocating.

use crate::time::Timestamp;
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

/// What kind of thing a detector saw.
///
/// The string forms ([`EventKind::as_str`]) are part of the CLI contract (JSONL `kind` and the
/// label files' `kind` column) and stay stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A gunshot (muzzle blast), one event per round.
    Gunshot,
    /// Sustained running started (foot pursuit).
    Running,
    /// Running stopped.
    RunningEnded,
    /// A fall: impact, change of trunk angle and stillness.
    Fall,
    /// The wearer stayed down and still long enough to raise an officer-down alert.
    OfficerDown,
    /// The wearer got up after an officer-down alert.
    OfficerDownCancelled,
    /// A single tap on the camera body.
    Tap,
    /// Two taps on the camera body in quick succession.
    DoubleTap,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 8] = [
        EventKind::Gunshot,
        EventKind::Running,
        EventKind::RunningEnded,
        EventKind::Fall,
        EventKind::OfficerDown,
        EventKind::OfficerDownCancelled,
        EventKind::Tap,
        EventKind::DoubleTap,
    ];

    /// The stable string form used in JSONL output and label files.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Gunshot => "gunshot",
            EventKind::Running => "running",
            EventKind::RunningEnded => "running_ended",
            EventKind::Fall => "fall",
            EventKind::OfficerDown => "officer_down",
            EventKind::OfficerDownCancelled => "officer_down_cancelled",
            EventKind::Tap => "tap",
            EventKind::DoubleTap => "double_tap",
        }
    }

    /// Parses the string form; `None` for an unknown kind.
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl core::fmt::Display for EventKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One piece of evidence: a named feature value and, when a rule compared it with one, the
/// threshold it was compared with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvidenceItem {
    /// Feature name, stable across versions (for example `"flux"`, `"peak_g"`).
    pub name: &'static str,
    /// The measured value, in the unit the feature documents.
    pub value: f32,
    /// The threshold the value was compared with, if any.
    pub threshold: Option<f32>,
    /// What this feature added to a model's score (weight x standardised value), when a
    /// trained model scored the event.
    pub contribution: Option<f32>,
}

/// How many evidence items an event can carry: the gunshot detector's 16 features, plus
/// `burst_gap_s` on a candidate judged as a round of a burst.
pub const MAX_EVIDENCE: usize = 17;

/// The feature values and thresholds behind an event, stored inline (no allocation).
///
/// ```
/// use autotrigger::Evidence;
/// let mut e = Evidence::new();
/// e.push("flux", 4.2, Some(1.5));
/// e.push("crest_db", 18.0, None);
/// assert_eq!(e.get("flux").unwrap().threshold, Some(1.5));
/// assert_eq!(e.len(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evidence {
    items: [EvidenceItem; MAX_EVIDENCE],
    len: usize,
}

impl Default for Evidence {
    fn default() -> Self {
        Self::new()
    }
}

impl Evidence {
    /// No evidence.
    pub const fn new() -> Self {
        Evidence {
            items: [EvidenceItem {
                name: "",
                value: 0.0,
                threshold: None,
                contribution: None,
            }; MAX_EVIDENCE],
            len: 0,
        }
    }

    /// Adds an item. Returns `false` (and drops the item) when [`MAX_EVIDENCE`] items are
    /// already stored; detectors push their most important evidence first.
    pub fn push(&mut self, name: &'static str, value: f32, threshold: Option<f32>) -> bool {
        if self.len == MAX_EVIDENCE {
            return false;
        }
        self.items[self.len] = EvidenceItem {
            name,
            value,
            threshold,
            contribution: None,
        };
        self.len += 1;
        true
    }

    /// Adds a feature scored by a model: its value and its contribution to the score.
    /// Returns `false` (and drops the item) when full, like [`Evidence::push`].
    pub fn push_contribution(&mut self, name: &'static str, value: f32, contribution: f32) -> bool {
        if self.push(name, value, None) {
            self.items[self.len - 1].contribution = Some(contribution);
            true
        } else {
            false
        }
    }

    /// The items, in the order they were pushed.
    pub fn items(&self) -> &[EvidenceItem] {
        &self.items[..self.len]
    }

    /// The first item with this name.
    pub fn get(&self, name: &str) -> Option<&EvidenceItem> {
        self.items().iter().find(|i| i.name == name)
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there is no evidence.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Serialized as a map `name -> {"value": v, "threshold": t, "contribution": c}` (threshold
/// and contribution omitted when none).
/// Non-finite values serialize as `null` (JSON has no NaN).
impl Serialize for Evidence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Item<'a>(&'a EvidenceItem);
        impl Serialize for Item<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let n = 1
                    + usize::from(self.0.threshold.is_some())
                    + usize::from(self.0.contribution.is_some());
                let mut st = s.serialize_struct("EvidenceItem", n)?;
                st.serialize_field("value", &finite(self.0.value))?;
                if let Some(t) = self.0.threshold {
                    st.serialize_field("threshold", &finite(t))?;
                }
                if let Some(c) = self.0.contribution {
                    st.serialize_field("contribution", &finite(c))?;
                }
                st.end()
            }
        }
        let mut m = s.serialize_map(Some(self.len))?;
        for it in self.items() {
            m.serialize_entry(it.name, &Item(it))?;
        }
        m.end()
    }
}

fn finite(v: f32) -> Option<f32> {
    v.is_finite().then_some(v)
}

/// Something a detector saw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event {
    /// What was seen.
    pub kind: EventKind,
    /// When it started (for a gunshot, the muzzle-blast onset; for a fall, the impact).
    pub onset: Timestamp,
    /// When the detector was sure enough to say so (`decided >= onset`).
    pub decided: Timestamp,
    /// Confidence in `[0, 1]`.
    pub confidence: f32,
    /// The feature values and thresholds behind the decision.
    pub evidence: Evidence,
}

impl Event {
    /// How long after the onset the decision came, in microseconds.
    pub fn latency_us(&self) -> i64 {
        self.decided.micros_since(self.onset)
    }
}

/// Serialized as `{"kind", "onset_s", "decided_s", "confidence", "evidence"}`; the CLI adds
/// `file`. Seconds are derived from the integer microseconds for output only.
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Event", 5)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("onset_s", &self.onset.as_secs_f64())?;
        st.serialize_field("decided_s", &self.decided.as_secs_f64())?;
        st.serialize_field("confidence", &finite(self.confidence))?;
        st.serialize_field("evidence", &self.evidence)?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("nope"), None);
    }

    #[test]
    fn evidence_is_bounded() {
        let mut e = Evidence::new();
        for _ in 0..MAX_EVIDENCE {
            assert!(e.push("x", 1.0, None));
        }
        assert!(!e.push("y", 1.0, None));
        assert_eq!(e.len(), MAX_EVIDENCE);
    }

    #[test]
    fn event_json_shape() {
        let mut ev = Evidence::new();
        ev.push("flux", 3.5, Some(1.0));
        ev.push("bad", f32::NAN, None);
        let e = Event {
            kind: EventKind::Gunshot,
            onset: Timestamp(1_234_000),
            decided: Timestamp(1_290_000),
            confidence: 0.93,
            evidence: ev,
        };
        let j = serde_json::to_string(&e).unwrap();
        assert_eq!(
            j,
            r#"{"kind":"gunshot","onset_s":1.234,"decided_s":1.29,"confidence":0.93,"evidence":{"flux":{"value":3.5,"threshold":1.0},"bad":{"value":null}}}"#
        );
        assert_eq!(e.latency_us(), 56_000);
    }
}
