//! The engine: detectors + inputs -> the state machine -> a fixed-capacity decision queue.

use crate::audio::GunshotDetector;
use crate::detector::{EventQueue, StreamingDetector};
use crate::error::{ConfigError, ProcessError};
use crate::event::{Event, EventKind, Evidence};
use crate::imu::{ImuDetectors, ImuSample, PressureSample};
use crate::time::{secs_to_micros, Timestamp};
use crate::trigger::cause::{ButtonAction, Cause, CauseSet, Input, LevelSensor, TapGesture};
use crate::trigger::decision::{Decision, DecisionKind, DecisionQueue, State};
use crate::trigger::policy::{Policy, TapToggle};
use thiserror::Error;

/// How many decisions the engine holds until they are polled. Poll after every push: one
/// push decides at most a handful.
pub const DECISION_QUEUE_CAPACITY: usize = 16;

/// How many detector events one detector call can produce before the engine consumes them.
/// Pushes are fed to the detectors in slices (100 ms of audio, [`IMU_SLICE`] IMU samples)
/// with the queue drained after each, and no detector decides more than a few events in
/// such a slice: gunshot events are at least 70 ms apart and decided a fixed 305-405 ms
/// after their onsets (so at most 3 per slice, and at most 8 still pending when the stream
/// ends), the IMU detectors at most one event each per slice. 12 slots keep that margin
/// while the whole engine stays within 64 KiB at 48 kHz; an overflow is counted and
/// reported as [`EngineError::QueueFull`], never silent.
const EVENT_QUEUE_CAPACITY: usize = 12;

/// Audio is fed to the gunshot detector in slices of 1/this of a second.
const AUDIO_SLICES_PER_SECOND: u32 = 10;

/// IMU samples are fed to the IMU detectors in slices of this many samples.
const IMU_SLICE: usize = 32;

/// i16 audio is converted to f32 in chunks of this many samples (a stack buffer, no
/// allocation).
const I16_CHUNK: usize = 256;

/// A push could not be fully processed. The engine stays usable: the rejected input is
/// dropped and the state is as if it had never arrived.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A detector rejected part of its input, or an input's timestamp went backwards.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// A fixed-capacity queue overflowed and decisions or detector events were lost
    /// (decisions: poll after every push). Reported once per overflow, by the push during
    /// which the loss happened; later pushes succeed unless more is lost.
    #[error("the {queue} queue is full: {dropped} dropped since construction")]
    QueueFull {
        /// `"decision"` or `"event"`.
        queue: &'static str,
        /// How many were dropped since construction.
        dropped: u64,
    },
}

/// Why inputs and events did not lead to a decision (for diagnostics and tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Triggers whose cause the policy does not enable.
    pub not_enabled: u64,
    /// Detector events below the preset's minimum confidence.
    pub below_confidence: u64,
    /// Triggers dropped by the hold-off.
    pub held_off: u64,
    /// Level-input edges that did not hold for the debounce time.
    pub bounced: u64,
    /// Commands that meant nothing in the current state (stop or cancel while not recording,
    /// a repeated sleep request).
    pub no_op: u64,
}

/// The timing rules of a policy, in integer microseconds.
#[derive(Clone, Copy, Debug)]
struct Rules {
    pre_event_us: i64,
    cancel_us: i64,
    min_recording_us: i64,
    debounce_us: i64,
    holdoff_us: i64,
    start_on: CauseSet,
    tap_toggle: TapToggle,
    officer_down_alert: bool,
    start_in_sleep: bool,
    /// Minimum detector confidence, indexed by `Cause as usize`.
    min_confidence: [f64; Cause::ALL.len()],
    debounce_s: f32,
    cancel_window_s: f32,
    min_recording_s: f32,
    holdoff_s: f32,
}

impl Rules {
    fn new(p: &Policy) -> Rules {
        let mut min_confidence = [0.0; Cause::ALL.len()];
        for c in Cause::ALL {
            min_confidence[c as usize] = p.min_confidence(c);
        }
        Rules {
            pre_event_us: secs_to_micros(p.pre_event_s),
            cancel_us: secs_to_micros(p.cancel_window_s),
            min_recording_us: secs_to_micros(p.min_recording_s),
            debounce_us: secs_to_micros(p.debounce_s),
            holdoff_us: secs_to_micros(p.holdoff_s),
            start_on: p.start_on_set(),
            tap_toggle: p.tap_toggle,
            officer_down_alert: p.officer_down_alert,
            start_in_sleep: p.start_in_sleep,
            min_confidence,
            debounce_s: p.debounce_s as f32,
            cancel_window_s: p.cancel_window_s as f32,
            min_recording_s: p.min_recording_s as f32,
            holdoff_s: p.holdoff_s as f32,
        }
    }

    fn enabled(&self, c: Cause) -> bool {
        match c {
            Cause::Button => true,
            Cause::Tap => self.tap_toggle == TapToggle::Tap,
            Cause::DoubleTap => self.tap_toggle == TapToggle::DoubleTap,
            c => self.start_on.contains(c),
        }
    }
}

/// The current recording.
#[derive(Clone, Copy, Debug)]
struct Recording {
    started: Timestamp,
    /// Started by an automatic cause: the officer may cancel until `cancel_until`.
    automatic: bool,
    cancel_until: Timestamp,
    causes: CauseSet,
}

/// One debounced level input.
#[derive(Clone, Copy, Debug, Default)]
struct Level {
    /// The accepted level (`true` = drawn / on / open / armed).
    stable: bool,
    /// A raw edge to a different level and when it happened, not yet held long enough.
    pending: Option<(bool, Timestamp)>,
}

/// The state machine proper: no detectors, no queues of its own.
#[derive(Clone, Debug)]
struct Machine {
    sleep: bool,
    rec: Option<Recording>,
    levels: [Level; LevelSensor::COUNT],
    /// When each cause last triggered (for the hold-off), indexed by `Cause as usize`.
    last_trigger: [Option<Timestamp>; Cause::ALL.len()],
    officer_down: bool,
}

impl Machine {
    fn new(r: &Rules) -> Machine {
        Machine {
            sleep: r.start_in_sleep,
            rec: None,
            levels: [Level::default(); LevelSensor::COUNT],
            last_trigger: [None; Cause::ALL.len()],
            officer_down: false,
        }
    }

    fn state_at(&self, t: Timestamp) -> State {
        match self.rec {
            Some(r) if r.automatic && t < r.cancel_until => State::CancelWindow,
            Some(_) => State::Recording,
            None if self.sleep => State::Sleep,
            None => State::Buffering,
        }
    }
}

fn evidence1(name: &'static str, value_us: i64, threshold_s: f32) -> Evidence {
    let mut e = Evidence::new();
    e.push(name, value_us as f32 / 1e6, Some(threshold_s));
    e
}

/// The trigger engine. See the [module documentation](crate::trigger) for an example.
///
/// Construction ([`Engine::new`]) allocates every buffer. After that, the push methods,
/// [`Engine::poll_decision`], [`Engine::advance_to`], [`Engine::finish`] and [`Engine::reset`]
/// do not allocate, lock or do I/O.
#[derive(Debug)]
pub struct Engine {
    rules: Rules,
    gunshot: GunshotDetector,
    imu: ImuDetectors,
    audio_rate: u32,
    audio_samples: u64,
    /// Boxed: 16 inline events are 9 KB, too much to move around or keep on a small stack.
    events: Box<EventQueue<EVENT_QUEUE_CAPACITY>>,
    events_dropped: u64,
    /// Decisions dropped already reported: an overflow is reported once, not on every
    /// later push (a caller that drained the queue has lost nothing new).
    decisions_dropped: u64,
    m: Machine,
    out: DecisionQueue,
    seq: u64,
    /// The latest stream time seen on any input.
    clock: Timestamp,
    /// Time of the latest decision (decisions never go back in time).
    last_at: Timestamp,
    last_input: Option<Timestamp>,
    counters: Counters,
}

impl Engine {
    /// Builds the engine and its detectors for a policy and an audio sample rate (Hz).
    ///
    /// Errors: an invalid policy or detector configuration, an unsupported sample rate, or a
    /// pre-event buffer shorter than the gunshot detector's latency or the debounce, which
    /// would lose the start of the event.
    pub fn new(policy: &Policy, audio_rate: u32) -> Result<Engine, ConfigError> {
        policy.validate()?;
        let config = policy.detector_config()?;
        let gunshot = GunshotDetector::new(&config.gunshot_for_device(), audio_rate)?;
        let imu = ImuDetectors::new(&config)?;
        let rules = Rules::new(policy);
        // Officer-down decides late on purpose (after `fall.officer_down_s` of lying still) and
        // the fall before it has its own trigger, so only the short delays are checked here.
        let delay = gunshot.latency_us().max(rules.debounce_us);
        if rules.pre_event_us < delay {
            return Err(ConfigError::Inconsistent {
                param: "pre_event_s",
                reason: "shorter than the gunshot detector's latency or debounce_s: the start of the event would not be kept",
            });
        }
        Ok(Engine {
            m: Machine::new(&rules),
            rules,
            gunshot,
            imu,
            audio_rate,
            audio_samples: 0,
            events: Box::new(EventQueue::new()),
            events_dropped: 0,
            decisions_dropped: 0,
            out: DecisionQueue::with_capacity(DECISION_QUEUE_CAPACITY),
            seq: 0,
            clock: Timestamp::ZERO,
            last_at: Timestamp::ZERO,
            last_input: None,
            counters: Counters::default(),
        })
    }

    /// Feeds a block of mono audio samples (full scale ±1) of any length. The block's time
    /// follows from the number of samples pushed so far and the sample rate.
    pub fn push_audio_f32(&mut self, block: &[f32]) -> Result<(), EngineError> {
        // The detector is fed at most 100 ms at a time and its events are drained after each
        // slice, so the small event queue cannot overflow whatever block size the caller
        // pushes (the detector gives the same events for any partition).
        let slice = (self.audio_rate / AUDIO_SLICES_PER_SECOND).max(1) as usize;
        for part in block.chunks(slice) {
            // The gunshot detector never rejects samples (non-finite ones are counted).
            let r = self.gunshot.process(part, &mut *self.events);
            self.audio_samples += part.len() as u64;
            let end = Timestamp::from_samples(self.audio_samples, self.audio_rate);
            self.consume_events();
            self.tick(end);
            r?;
        }
        self.check_queues()
    }

    /// Feeds a block of mono 16-bit PCM samples (converted to ±1 full scale).
    pub fn push_audio_i16(&mut self, block: &[i16]) -> Result<(), EngineError> {
        let mut buf = [0.0f32; I16_CHUNK];
        let mut first_err = None;
        for chunk in block.chunks(I16_CHUNK) {
            for (d, s) in buf.iter_mut().zip(chunk) {
                *d = f32::from(*s) / 32_768.0;
            }
            if let Err(e) = self.push_audio_f32(&buf[..chunk.len()]) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Feeds IMU samples (timestamps increasing, as the IMU detectors require).
    pub fn push_imu(&mut self, samples: &[ImuSample]) -> Result<(), EngineError> {
        // Fed in slices, events drained after each, for the same reason as audio.
        let mut first_err = None;
        for part in samples.chunks(IMU_SLICE) {
            let r = self.imu.process(part, &mut *self.events);
            self.consume_events();
            match r {
                Ok(()) => {
                    if let Some(last) = part.last() {
                        self.tick(last.t);
                    }
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_err {
            return Err(e.into());
        }
        self.check_queues()
    }

    /// Feeds barometer samples (hPa, their own rate 1-100 Hz, gaps allowed; timestamps
    /// increasing). Optional: the detectors use pressure when it is present and never require
    /// it. Push the pressure up to time `t` before the IMU samples after `t` (see
    /// [`crate::imu::baro`]). An out-of-order, NaN or out-of-range sample is dropped and
    /// returned as [`ProcessError`]; the rest of the block is used.
    pub fn push_pressure(&mut self, samples: &[PressureSample]) -> Result<(), EngineError> {
        // Pressure alone produces no event (it is read by the IMU analyses), so no slicing.
        self.imu.process_pressure(samples)?;
        Ok(())
    }

    /// Feeds an external input at time `t` (microseconds of stream time). Inputs must come in
    /// non-decreasing time order; an input older than the engine's clock (audio/IMU already
    /// pushed past `t`) is taken as happening now.
    pub fn push_input(&mut self, t: Timestamp, input: Input) -> Result<(), EngineError> {
        if let Some(prev) = self.last_input {
            if t < prev {
                return Err(ProcessError::OutOfOrder {
                    previous_us: prev.as_micros(),
                    actual_us: t.as_micros(),
                }
                .into());
            }
        }
        self.last_input = Some(t);
        self.tick(t);
        let t = t.max(self.clock);
        self.handle_input(t, input);
        self.fire_due();
        self.check_queues()
    }

    /// Feeds a detector event directly (detectors running elsewhere, tests). The event is
    /// taken at its decision time (or now, when the engine's clock is already past it).
    pub fn push_event(&mut self, event: &Event) -> Result<(), EngineError> {
        self.tick(event.decided);
        self.handle_event(event);
        self.check_queues()
    }

    /// Advances the engine's clock without data (a timer tick): completes debounces that are
    /// due.
    pub fn advance_to(&mut self, t: Timestamp) {
        self.tick(t);
    }

    /// The oldest decision not yet polled.
    pub fn poll_decision(&mut self) -> Option<Decision> {
        self.out.pop()
    }

    /// Decisions waiting to be polled.
    pub fn pending_decisions(&self) -> usize {
        self.out.len()
    }

    /// Ends the streams: the detectors decide what is pending. The engine keeps its state
    /// (call [`Engine::reset`] to start over).
    pub fn finish(&mut self) -> Result<(), EngineError> {
        self.gunshot.finish(&mut *self.events);
        self.consume_events();
        self.imu.finish(&mut *self.events);
        self.consume_events();
        self.fire_due();
        self.check_queues()
    }

    /// Back to the freshly constructed state (detectors, state machine, clock, sequence
    /// numbers, queued decisions), without allocating.
    pub fn reset(&mut self) {
        self.gunshot.reset();
        self.imu.reset();
        self.audio_samples = 0;
        while self.events.pop().is_some() {}
        self.m = Machine::new(&self.rules);
        self.out.clear();
        self.seq = 0;
        self.clock = Timestamp::ZERO;
        self.last_at = Timestamp::ZERO;
        self.last_input = None;
        self.counters = Counters::default();
    }

    /// The state now (at the engine's clock).
    pub fn state(&self) -> State {
        self.m.state_at(self.clock)
    }

    /// The causes of the current recording (empty when not recording).
    pub fn recording_causes(&self) -> CauseSet {
        self.m.rec.map_or(CauseSet::EMPTY, |r| r.causes)
    }

    /// True while an officer-down alert is raised and not cleared.
    pub fn officer_down(&self) -> bool {
        self.m.officer_down
    }

    /// The latest stream time seen on any input.
    pub fn clock(&self) -> Timestamp {
        self.clock
    }

    /// Why inputs did not lead to decisions, since construction or reset.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The longest delay between an event and its decision: detector latency or debounce.
    pub fn latency_us(&self) -> i64 {
        self.gunshot
            .latency_us()
            .max(self.imu.latency_us())
            .max(self.rules.debounce_us)
    }

    // ---- internals -------------------------------------------------------------------

    fn check_queues(&mut self) -> Result<(), EngineError> {
        if self.events.dropped() > self.events_dropped {
            self.events_dropped = self.events.dropped();
            return Err(EngineError::QueueFull {
                queue: "event",
                dropped: self.events_dropped,
            });
        }
        if self.out.dropped() > self.decisions_dropped {
            self.decisions_dropped = self.out.dropped();
            return Err(EngineError::QueueFull {
                queue: "decision",
                dropped: self.decisions_dropped,
            });
        }
        Ok(())
    }

    fn consume_events(&mut self) {
        while let Some(e) = self.events.pop() {
            self.tick(e.decided);
            self.handle_event(&e);
        }
    }

    /// Moves the clock forward to `t` (never back) and completes due debounces.
    fn tick(&mut self, t: Timestamp) {
        if t > self.clock {
            self.clock = t;
        }
        self.fire_due();
    }

    /// Confirms, in time order, every pending level edge that has held for the debounce time
    /// by the engine's clock.
    fn fire_due(&mut self) {
        loop {
            let mut due: Option<(usize, Timestamp)> = None;
            for (i, l) in self.m.levels.iter().enumerate() {
                if let Some((_, since)) = l.pending {
                    let at = since.add_micros(self.rules.debounce_us);
                    if at <= self.clock && due.is_none_or(|(_, d)| at < d) {
                        due = Some((i, at));
                    }
                }
            }
            let Some((i, at)) = due else { break };
            let Some((level, since)) = self.m.levels[i].pending.take() else {
                break;
            };
            self.m.levels[i].stable = level;
            if level {
                let ev = evidence1("held_s", at.micros_since(since), self.rules.debounce_s);
                let cause = LevelSensor::ALL[i].cause();
                self.trigger(cause, at, since, 1.0, ev);
            }
        }
    }

    fn handle_input(&mut self, t: Timestamp, input: Input) {
        if let Some((sensor, active)) = input.level() {
            let l = &mut self.m.levels[sensor as usize];
            if active == l.stable {
                if l.pending.take().is_some() {
                    self.counters.bounced += 1;
                }
            } else if l.pending.is_none() {
                l.pending = Some((active, t));
            }
            return;
        }
        let mut ev = Evidence::new();
        if !matches!(input, Input::Sleep(_)) {
            // The input itself is the evidence of a momentary cause (value 1 = it happened).
            ev.push(input.as_strs().0, 1.0, None);
        }
        match input {
            Input::Button(ButtonAction::Press) => self.toggle(Cause::Button, t, t, 1.0, ev),
            Input::Button(ButtonAction::Start) => self.trigger(Cause::Button, t, t, 1.0, ev),
            Input::Button(ButtonAction::Stop) => self.stop_request(Cause::Button, t),
            Input::Button(ButtonAction::Cancel) => self.cancel_request(Cause::Button, t, true),
            Input::Tap(TapGesture::Single) => self.trigger(Cause::Tap, t, t, 1.0, ev),
            Input::Tap(TapGesture::Double) => self.trigger(Cause::DoubleTap, t, t, 1.0, ev),
            Input::Crash => self.trigger(Cause::Crash, t, t, 1.0, ev),
            Input::RadioEmergency => self.trigger(Cause::RadioEmergency, t, t, 1.0, ev),
            Input::PeerCameraStarted => self.trigger(Cause::PeerCamera, t, t, 1.0, ev),
            Input::Dispatched => self.trigger(Cause::Dispatch, t, t, 1.0, ev),
            Input::GeofenceEnter => self.trigger(Cause::Geofence, t, t, 1.0, ev),
            Input::GeofenceExit => {}
            Input::Sleep(on) => {
                if on == self.m.sleep {
                    self.counters.no_op += 1;
                } else {
                    self.m.sleep = on;
                    ev.push("recording", f32::from(u8::from(self.m.rec.is_some())), None);
                    let kind = if on {
                        DecisionKind::SleepEntered
                    } else {
                        DecisionKind::SleepExited
                    };
                    self.emit(t, t, kind, None, t, 1.0, ev);
                }
            }
            // Level inputs were handled above.
            Input::Holster(_)
            | Input::LightBar(_)
            | Input::Siren(_)
            | Input::Door(_)
            | Input::Taser(_) => {}
        }
    }

    fn handle_event(&mut self, e: &Event) {
        let cause = match e.kind {
            EventKind::Gunshot => Cause::Gunshot,
            EventKind::Running => Cause::Running,
            EventKind::Fall => Cause::Fall,
            EventKind::OfficerDown => Cause::OfficerDown,
            EventKind::Tap => Cause::Tap,
            EventKind::DoubleTap => Cause::DoubleTap,
            EventKind::OfficerDownCancelled => {
                if self.m.officer_down {
                    self.m.officer_down = false;
                    let k = DecisionKind::OfficerDownCleared;
                    let c = Some(Cause::OfficerDown);
                    self.emit(e.decided, e.onset, k, c, e.onset, e.confidence, e.evidence);
                } else {
                    self.counters.no_op += 1;
                }
                return;
            }
            // The end of a pursuit does not change what is recorded.
            EventKind::RunningEnded => return,
        };
        // A NaN confidence is not evidence of anything: such an event never triggers.
        let min = self.rules.min_confidence[cause as usize];
        // Compared in f64, as the policy states it (no rounding of the threshold to f32).
        if e.confidence.is_nan() || f64::from(e.confidence) < min {
            self.counters.below_confidence += 1;
            return;
        }
        if cause == Cause::OfficerDown && self.rules.officer_down_alert {
            self.m.officer_down = true;
            let k = DecisionKind::OfficerDownAlert;
            self.emit(
                e.decided,
                e.onset,
                k,
                Some(cause),
                e.onset,
                e.confidence,
                e.evidence,
            );
        }
        self.trigger(cause, e.decided, e.onset, e.confidence, e.evidence);
    }

    /// A trigger of `cause` decided at `at` for something that happened at `onset`.
    fn trigger(&mut self, cause: Cause, at: Timestamp, onset: Timestamp, conf: f32, ev: Evidence) {
        if !self.rules.enabled(cause) {
            self.counters.not_enabled += 1;
            return;
        }
        if cause.is_command() {
            if cause == Cause::Button && self.m.rec.is_some() {
                // An explicit start while recording: the officer confirms the recording.
                self.add_cause(cause, at, onset, conf, ev);
            } else {
                self.toggle(cause, at, onset, conf, ev);
            }
            return;
        }
        let at = at.max(self.last_at);
        let slot = &mut self.m.last_trigger[cause as usize];
        let mut ev = ev;
        if let Some(last) = *slot {
            let since = at.micros_since(last);
            if since < self.rules.holdoff_us {
                self.counters.held_off += 1;
                return;
            }
            // The hold-off rule was checked: say so (dropped when the evidence is full).
            ev.push(
                "since_last_s",
                since as f32 / 1e6,
                Some(self.rules.holdoff_s),
            );
        }
        *slot = Some(at);
        if self.m.rec.is_some() {
            self.add_cause(cause, at, onset, conf, ev);
        } else if self.m.sleep && !cause.is_manual() {
            self.emit(
                at,
                onset,
                DecisionKind::Suppressed,
                Some(cause),
                onset,
                conf,
                ev,
            );
        } else {
            self.start(cause, at, onset, conf, ev);
        }
    }

    fn add_cause(
        &mut self,
        cause: Cause,
        at: Timestamp,
        onset: Timestamp,
        conf: f32,
        ev: Evidence,
    ) {
        if let Some(r) = &mut self.m.rec {
            r.causes.insert(cause);
        }
        self.emit(
            at,
            onset,
            DecisionKind::CauseAdded,
            Some(cause),
            onset,
            conf,
            ev,
        );
    }

    fn start(&mut self, cause: Cause, at: Timestamp, onset: Timestamp, conf: f32, ev: Evidence) {
        let at = at.max(self.last_at);
        let automatic = !cause.is_manual();
        let cancel_until = if automatic {
            at.add_micros(self.rules.cancel_us)
        } else {
            at
        };
        self.m.rec = Some(Recording {
            started: at,
            automatic,
            cancel_until,
            causes: core::iter::once(cause).collect(),
        });
        // The camera's loop holds `pre_event_s` of video at the moment of the decision: keep
        // all of it. The onset is inside it whenever the decision delay is shorter than the
        // buffer (checked at construction for audio and debounced inputs).
        let keep_from = at.add_micros(-self.rules.pre_event_us);
        self.emit(
            at,
            onset,
            DecisionKind::Start,
            Some(cause),
            keep_from,
            conf,
            ev,
        );
    }

    /// A single-control command (button press, toggle gesture): start when idle, cancel inside
    /// the cancel window, otherwise a stop request.
    fn toggle(&mut self, cause: Cause, at: Timestamp, onset: Timestamp, conf: f32, ev: Evidence) {
        let at = at.max(self.last_at);
        match self.m.state_at(at) {
            State::Buffering | State::Sleep => self.start(cause, at, onset, conf, ev),
            State::CancelWindow => self.cancel_request(cause, at, false),
            State::Recording => self.stop_request(cause, at),
        }
    }

    fn cancel_request(&mut self, cause: Cause, at: Timestamp, explicit: bool) {
        let at = at.max(self.last_at);
        let Some(r) = self.m.rec else {
            self.counters.no_op += 1;
            return;
        };
        let ev = evidence1(
            "since_start_s",
            at.micros_since(r.started),
            self.rules.cancel_window_s,
        );
        if r.automatic && at < r.cancel_until {
            self.m.rec = None;
            self.emit(
                at,
                at,
                DecisionKind::CancelAccepted,
                Some(cause),
                at,
                1.0,
                ev,
            );
        } else if explicit {
            self.emit(
                at,
                at,
                DecisionKind::CancelRefused,
                Some(cause),
                at,
                1.0,
                ev,
            );
        }
    }

    fn stop_request(&mut self, cause: Cause, at: Timestamp) {
        let at = at.max(self.last_at);
        let Some(r) = self.m.rec else {
            self.counters.no_op += 1;
            return;
        };
        let recorded = at.micros_since(r.started);
        let ev = evidence1("recorded_s", recorded, self.rules.min_recording_s);
        if recorded >= self.rules.min_recording_us {
            self.m.rec = None;
            self.emit(at, at, DecisionKind::Stop, Some(cause), at, 1.0, ev);
        } else {
            self.emit(at, at, DecisionKind::StopRefused, Some(cause), at, 1.0, ev);
        }
    }

    #[allow(clippy::too_many_arguments)] // one decision's fields, named at every call
    fn emit(
        &mut self,
        at: Timestamp,
        onset: Timestamp,
        kind: DecisionKind,
        cause: Option<Cause>,
        keep_from: Timestamp,
        confidence: f32,
        evidence: Evidence,
    ) {
        let at = at.max(self.last_at);
        self.last_at = at;
        let d = Decision {
            seq: self.seq,
            at,
            onset,
            kind,
            cause,
            keep_from,
            confidence,
            evidence,
            state: self.m.state_at(at),
        };
        self.seq += 1;
        self.out.push(d);
    }
}
