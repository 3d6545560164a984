//! The streaming contract every detector follows.
//!
//! After the rubato/realfft model: a detector is built once from a validated configuration
//! (all buffers allocated there), then fed blocks of any size. The real-time path
//! ([`StreamingDetector::process`]) does not allocate, lock or do I/O, and gives the same events
//! whatever the partition of the input into blocks.

use crate::error::ProcessError;
use crate::event::Event;

/// A streaming detector over samples of type [`StreamingDetector::Input`].
pub trait StreamingDetector {
    /// One input sample (`f32` for audio, [`crate::imu::ImuSample`] for IMU).
    type Input: Copy;

    /// Consumes a block of any length (including zero) and appends any events decided while
    /// processing it to `out`. Events come in order of decision time.
    ///
    /// Must not allocate, lock or do I/O. An `Err` means part of the block was rejected (see
    /// [`ProcessError`]); the detector stays usable.
    fn process(
        &mut self,
        input: &[Self::Input],
        out: &mut impl Extend<Event>,
    ) -> Result<(), ProcessError>;

    /// Ends the stream: decides whatever is pending (for example a candidate whose
    /// confirmation window runs past the end) and emits it. The detector is then as after
    /// [`StreamingDetector::reset`].
    fn finish(&mut self, out: &mut impl Extend<Event>);

    /// Returns to the freshly constructed state, without allocating.
    fn reset(&mut self);

    /// The longest time, in microseconds, between an event's onset and the processing of the
    /// input that lets the detector decide it (its algorithmic latency).
    fn latency_us(&self) -> i64;
}

/// A fixed-capacity event queue for the real-time path: pushing into a full queue drops the
/// event and counts it, instead of allocating.
///
/// ```
/// use autotrigger::detector::EventQueue;
/// let q: EventQueue<4> = EventQueue::new();
/// assert!(q.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct EventQueue<const N: usize> {
    events: [Option<Event>; N],
    head: usize,
    len: usize,
    dropped: u64,
}

impl<const N: usize> Default for EventQueue<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> EventQueue<N> {
    /// An empty queue.
    pub const fn new() -> Self {
        EventQueue {
            events: [None; N],
            head: 0,
            len: 0,
            dropped: 0,
        }
    }

    /// Appends an event; returns `false` and counts a drop when full.
    pub fn push(&mut self, e: Event) -> bool {
        if self.len == N {
            self.dropped += 1;
            return false;
        }
        self.events[(self.head + self.len) % N] = Some(e);
        self.len += 1;
        true
    }

    /// Removes and returns the oldest event.
    pub fn pop(&mut self) -> Option<Event> {
        if self.len == 0 {
            return None;
        }
        let e = self.events[self.head].take();
        self.head = (self.head + 1) % N;
        self.len -= 1;
        e
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Events dropped because the queue was full, since construction.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl<const N: usize> Extend<Event> for EventQueue<N> {
    fn extend<I: IntoIterator<Item = Event>>(&mut self, iter: I) {
        for e in iter {
            self.push(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, Evidence};
    use crate::time::Timestamp;

    fn ev(us: i64) -> Event {
        Event {
            kind: EventKind::Tap,
            onset: Timestamp(us),
            decided: Timestamp(us),
            confidence: 1.0,
            evidence: Evidence::new(),
        }
    }

    #[test]
    fn queue_is_fifo_and_bounded() {
        let mut q: EventQueue<2> = EventQueue::new();
        q.extend([ev(1), ev(2), ev(3)]);
        assert_eq!(q.len(), 2);
        assert_eq!(q.dropped(), 1);
        assert_eq!(q.pop().unwrap().onset, Timestamp(1));
        q.push(ev(4));
        assert_eq!(q.pop().unwrap().onset, Timestamp(2));
        assert_eq!(q.pop().unwrap().onset, Timestamp(4));
        assert!(q.pop().is_none());
    }
}
