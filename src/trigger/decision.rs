//! What the engine decides, and the state it is in.

use crate::event::Evidence;
use crate::time::Timestamp;
use crate::trigger::cause::Cause;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// The engine's state (see the state diagram in `docs/engine.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Not recording; the camera keeps its pre-event loop.
    Buffering,
    /// Recording, after an automatic start, inside the cancel window.
    CancelWindow,
    /// Recording (started by the officer, or past the cancel window).
    Recording,
    /// Not recording, sleep/privacy mode: automatic causes do not start recording.
    Sleep,
}

impl State {
    /// The stable string form (`buffering`, `cancel_window`, `recording`, `sleep`).
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Buffering => "buffering",
            State::CancelWindow => "cancel_window",
            State::Recording => "recording",
            State::Sleep => "sleep",
        }
    }

    /// True in [`State::Recording`] and [`State::CancelWindow`].
    pub const fn is_recording(self) -> bool {
        matches!(self, State::Recording | State::CancelWindow)
    }
}

/// What was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecisionKind {
    /// Start recording, keeping video from [`Decision::keep_from`].
    Start,
    /// Already recording: another enabled trigger happened; it is added to the recording's
    /// causes.
    CauseAdded,
    /// An automatic trigger happened in sleep/privacy mode and did not start recording.
    Suppressed,
    /// The officer-down detector fired: alert dispatch (and start recording, when enabled,
    /// in a separate [`DecisionKind::Start`]).
    OfficerDownAlert,
    /// The officer got up after an officer-down alert.
    OfficerDownCleared,
    /// The officer cancelled an automatic start inside the cancel window: the activation is
    /// marked false and recording stops.
    CancelAccepted,
    /// A cancel outside a cancel window (no automatic start, or too late): recording goes on.
    CancelRefused,
    /// The officer's stop request was honoured: recording stops.
    Stop,
    /// The officer asked to stop before the minimum recording time: recording goes on.
    StopRefused,
    /// Sleep/privacy mode entered.
    SleepEntered,
    /// Sleep/privacy mode left.
    SleepExited,
}

impl DecisionKind {
    /// The stable string form used in JSONL output and the audit log.
    pub const fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Start => "start",
            DecisionKind::CauseAdded => "cause_added",
            DecisionKind::Suppressed => "suppressed",
            DecisionKind::OfficerDownAlert => "officer_down_alert",
            DecisionKind::OfficerDownCleared => "officer_down_cleared",
            DecisionKind::CancelAccepted => "cancel_accepted",
            DecisionKind::CancelRefused => "cancel_refused",
            DecisionKind::Stop => "stop",
            DecisionKind::StopRefused => "stop_refused",
            DecisionKind::SleepEntered => "sleep_entered",
            DecisionKind::SleepExited => "sleep_exited",
        }
    }
}

/// One decision. `Copy` and fixed-size (inline [`Evidence`]): the engine queues decisions
/// without allocating.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision {
    /// Engine-local sequence number, from 0, without gaps.
    pub seq: u64,
    /// When the engine decided (stream time). Non-decreasing over the decisions of an engine.
    pub at: Timestamp,
    /// When the cause happened (detector onset, raw sensor edge, button time).
    pub onset: Timestamp,
    /// What was decided.
    pub kind: DecisionKind,
    /// Why (`None` for sleep mode changes).
    pub cause: Option<Cause>,
    /// For [`DecisionKind::Start`]: keep video from here: `at - pre_event_s`, everything the
    /// pre-event loop holds at the decision. Otherwise equal to `onset`.
    pub keep_from: Timestamp,
    /// Detector confidence for detector causes; 1 for inputs.
    pub confidence: f32,
    /// The feature values and thresholds (or, for inputs and commands, the timing rule
    /// values) behind the decision.
    pub evidence: Evidence,
    /// The engine's state after the decision.
    pub state: State,
}

impl Decision {
    /// Video kept before the onset, in microseconds (`onset - keep_from`); negative when the
    /// onset is older than the pre-event buffer (a decision delay longer than the buffer, as
    /// for an officer-down alert with `fall.officer_down_s > pre_event_s`).
    pub fn pre_event_us(&self) -> i64 {
        self.onset.micros_since(self.keep_from)
    }
}

fn finite(v: f32) -> Option<f32> {
    v.is_finite().then_some(v)
}

/// Serialized as `{"t_s", "decision", "cause", "onset_s", "keep_from_s", "state",
/// "confidence", "evidence"}` (one line of `autotrigger run --format jsonl`).
impl Serialize for Decision {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Decision", 9)?;
        st.serialize_field("seq", &self.seq)?;
        st.serialize_field("t_s", &self.at.as_secs_f64())?;
        st.serialize_field("decision", self.kind.as_str())?;
        st.serialize_field("cause", &self.cause.map(Cause::as_str))?;
        st.serialize_field("onset_s", &self.onset.as_secs_f64())?;
        st.serialize_field("keep_from_s", &self.keep_from.as_secs_f64())?;
        st.serialize_field("state", self.state.as_str())?;
        st.serialize_field("confidence", &finite(self.confidence))?;
        st.serialize_field("evidence", &self.evidence)?;
        st.end()
    }
}

/// A fixed-capacity FIFO of decisions: the storage is allocated once, at construction (on the
/// heap, so that the engine itself stays small enough to move and to keep on a firmware
/// stack), and never grows; pushing into a full queue drops the decision and counts it.
#[derive(Debug, Clone)]
pub(crate) struct DecisionQueue {
    items: Vec<Option<Decision>>,
    head: usize,
    len: usize,
    dropped: u64,
}

impl DecisionQueue {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        DecisionQueue {
            items: vec![None; capacity.max(1)],
            head: 0,
            len: 0,
            dropped: 0,
        }
    }

    pub(crate) fn push(&mut self, d: Decision) -> bool {
        let cap = self.items.len();
        if self.len == cap {
            self.dropped += 1;
            return false;
        }
        self.items[(self.head + self.len) % cap] = Some(d);
        self.len += 1;
        true
    }

    pub(crate) fn pop(&mut self) -> Option<Decision> {
        if self.len == 0 {
            return None;
        }
        let d = self.items[self.head].take();
        self.head = (self.head + 1) % self.items.len();
        self.len -= 1;
        d
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    pub(crate) fn clear(&mut self) {
        while self.pop().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(seq: u64) -> Decision {
        Decision {
            seq,
            at: Timestamp(0),
            onset: Timestamp(0),
            kind: DecisionKind::Start,
            cause: None,
            keep_from: Timestamp(0),
            confidence: 1.0,
            evidence: Evidence::new(),
            state: State::Recording,
        }
    }

    #[test]
    fn queue_is_fifo_bounded_and_never_grows() {
        let mut q = DecisionQueue::with_capacity(3);
        let cap = q.items.capacity();
        for i in 0..5 {
            q.push(d(i));
        }
        assert_eq!((q.len(), q.dropped()), (3, 2));
        assert_eq!(q.pop().unwrap().seq, 0);
        q.push(d(9));
        let got: Vec<u64> = core::iter::from_fn(|| q.pop()).map(|x| x.seq).collect();
        assert_eq!(got, vec![1, 2, 9]);
        assert_eq!(q.items.capacity(), cap);
    }
}
