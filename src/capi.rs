//! The C ABI (feature `capi`): an opaque engine handle for camera firmware written in C.
//!
//! The header `include/autotrigger.h` is generated from this file by cbindgen (the test
//! `tests/capi_header.rs` fails when it is stale). Build the static library with
//! `cargo rustc --release --lib --features capi --crate-type staticlib` and link
//! `target/release/libautotrigger.a` with `-lm -lpthread -ldl`; `examples/c/incident.c` is a
//! complete program.
//!
//! Conventions:
//! - every function returns an `int32_t` code: [`AT_OK`] (0) or a negative `AT_ERR_*`;
//!   [`at_engine_poll_decision`] returns 1 when it wrote a decision and 0 when none is waiting;
//! - after an error, [`at_last_error`] copies a message (naming the parameter, value and range
//!   for configuration errors) into a caller buffer; the message is per thread, like `errno`;
//! - time is integer microseconds of stream time (audio time is counted in samples from the
//!   first pushed sample, IMU and input times are given by the caller on the same clock);
//! - decisions are copied into caller-owned [`AtDecision`] structs (fixed-size name buffers,
//!   up to [`AT_MAX_EVIDENCE`] evidence slots): nothing returned needs freeing except the
//!   engine itself, with [`at_engine_free`];
//! - no Rust panic crosses the boundary: every entry point runs under `catch_unwind`; an
//!   engine whose call panicked is poisoned (every later call returns [`AT_ERR_POISONED`]);
//! - after [`at_engine_new`], no function allocates, locks or does I/O (the push and poll paths
//!   are the engine's, proven allocation-free by `tests/alloc_engine.rs`; error messages go to
//!   a fixed thread-local buffer).
//!
//! One engine must not be used from two threads at once (no locking, by design); distinct
//! engines are independent.

// The C ABI is the one place in the crate where `unsafe` is unavoidable: `#[no_mangle]`
// exports, and dereferencing the raw pointers C passes in. Every unsafe block states why the
// pointer is valid (the caller's documented contract) in a `SAFETY:` comment.
#![allow(unsafe_code)]

use crate::imu::{ImuSample, PressureSample};
use crate::time::Timestamp;
use crate::trigger::audit::{check_media_name, AuditLog, MediaSegment, SigningKey};
use crate::trigger::{
    ButtonAction, Cause, Decision, DecisionKind, Engine, EngineError, HolsterState, Input, Policy,
    State, TapGesture,
};
use core::cell::RefCell;
use core::fmt::{self, Write as _};
use std::collections::VecDeque;
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Success.
pub const AT_OK: i32 = 0;
/// A required pointer argument was NULL.
pub const AT_ERR_NULL: i32 = -1;
/// An argument is invalid: text that is not UTF-8, an unknown input code or name.
pub const AT_ERR_ARGUMENT: i32 = -2;
/// The policy (or the detector configuration it embeds, or the sample rate) is invalid; the
/// message names the parameter, its value and the allowed range.
pub const AT_ERR_CONFIG: i32 = -3;
/// Input was rejected (for example a timestamp that goes backwards); the rejected samples are
/// dropped and the engine stays usable.
pub const AT_ERR_INPUT: i32 = -4;
/// A fixed-capacity queue overflowed: poll decisions after every push.
pub const AT_ERR_QUEUE_FULL: i32 = -5;
/// A caller buffer is too small; the required length was stored (nothing was consumed).
pub const AT_ERR_BUFFER: i32 = -6;
/// The audit log is not in a state for this call: no signing key set, a key set twice, or
/// the log already sealed.
pub const AT_ERR_AUDIT: i32 = -7;
/// An internal error (a Rust panic) was caught; the engine is now poisoned. Please report it.
pub const AT_ERR_PANIC: i32 = -100;
/// The engine is unusable because an earlier call on it panicked; free it.
pub const AT_ERR_POISONED: i32 = -101;

/// Size of every name buffer in [`AtDecision`] and [`AtEvidence`], terminating NUL included.
pub const AT_NAME_LEN: usize = 32;
/// Evidence slots in an [`AtDecision`] (the most important evidence comes first).
pub const AT_MAX_EVIDENCE: usize = 8;
/// Size of the buffer [`at_last_error`] keeps per thread; longer messages are truncated.
pub const AT_ERROR_LEN: usize = 512;
/// Records (decisions, media segments) an engine with a signing key holds for its audit log
/// until [`at_engine_audit_line`] writes them.
pub const AT_AUDIT_QUEUE: usize = 64;
/// Longest media segment name for [`at_engine_report_segment`], in bytes (without the NUL).
pub const AT_MAX_SEGMENT_NAME: usize = 200;
/// Size of an Ed25519 secret key (seed) for [`at_engine_set_signing_key`], in bytes.
pub const AT_KEY_LEN: usize = 32;

/// External inputs, for [`at_engine_push_input`] (pass the value as `int32_t`).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtInput {
    /// Holster sensor: weapon drawn.
    HolsterDrawn = 1,
    /// Holster sensor: weapon holstered.
    HolsterHolstered = 2,
    /// Record button pressed (start / cancel / stop depending on state).
    ButtonPress = 3,
    /// Explicit start.
    ButtonStart = 4,
    /// Explicit stop request.
    ButtonStop = 5,
    /// Explicit cancel.
    ButtonCancel = 6,
    /// Single tap reported by a dedicated sensor.
    TapSingle = 7,
    /// Double tap reported by a dedicated sensor.
    TapDouble = 8,
    /// Vehicle light bar on.
    LightBarOn = 9,
    /// Vehicle light bar off.
    LightBarOff = 10,
    /// Siren on.
    SirenOn = 11,
    /// Siren off.
    SirenOff = 12,
    /// Vehicle door opened.
    DoorOpen = 13,
    /// Vehicle door closed.
    DoorClosed = 14,
    /// Taser armed.
    TaserArmed = 15,
    /// Taser safe.
    TaserSafe = 16,
    /// Vehicle crash sensor.
    Crash = 17,
    /// Radio emergency button.
    RadioEmergency = 18,
    /// A peer camera nearby started recording.
    PeerCameraStarted = 19,
    /// Dispatch assigned a call.
    Dispatched = 20,
    /// Entered a geofenced area.
    GeofenceEnter = 21,
    /// Left a geofenced area.
    GeofenceExit = 22,
    /// Sleep/privacy mode on.
    SleepOn = 23,
    /// Sleep/privacy mode off.
    SleepOff = 24,
}

impl AtInput {
    const ALL: [AtInput; 24] = [
        AtInput::HolsterDrawn,
        AtInput::HolsterHolstered,
        AtInput::ButtonPress,
        AtInput::ButtonStart,
        AtInput::ButtonStop,
        AtInput::ButtonCancel,
        AtInput::TapSingle,
        AtInput::TapDouble,
        AtInput::LightBarOn,
        AtInput::LightBarOff,
        AtInput::SirenOn,
        AtInput::SirenOff,
        AtInput::DoorOpen,
        AtInput::DoorClosed,
        AtInput::TaserArmed,
        AtInput::TaserSafe,
        AtInput::Crash,
        AtInput::RadioEmergency,
        AtInput::PeerCameraStarted,
        AtInput::Dispatched,
        AtInput::GeofenceEnter,
        AtInput::GeofenceExit,
        AtInput::SleepOn,
        AtInput::SleepOff,
    ];

    fn from_code(code: i32) -> Option<AtInput> {
        AtInput::ALL.into_iter().find(|i| *i as i32 == code)
    }

    fn to_input(self) -> Input {
        match self {
            AtInput::HolsterDrawn => Input::Holster(HolsterState::Drawn),
            AtInput::HolsterHolstered => Input::Holster(HolsterState::Holstered),
            AtInput::ButtonPress => Input::Button(ButtonAction::Press),
            AtInput::ButtonStart => Input::Button(ButtonAction::Start),
            AtInput::ButtonStop => Input::Button(ButtonAction::Stop),
            AtInput::ButtonCancel => Input::Button(ButtonAction::Cancel),
            AtInput::TapSingle => Input::Tap(TapGesture::Single),
            AtInput::TapDouble => Input::Tap(TapGesture::Double),
            AtInput::LightBarOn => Input::LightBar(true),
            AtInput::LightBarOff => Input::LightBar(false),
            AtInput::SirenOn => Input::Siren(true),
            AtInput::SirenOff => Input::Siren(false),
            AtInput::DoorOpen => Input::Door(true),
            AtInput::DoorClosed => Input::Door(false),
            AtInput::TaserArmed => Input::Taser(true),
            AtInput::TaserSafe => Input::Taser(false),
            AtInput::Crash => Input::Crash,
            AtInput::RadioEmergency => Input::RadioEmergency,
            AtInput::PeerCameraStarted => Input::PeerCameraStarted,
            AtInput::Dispatched => Input::Dispatched,
            AtInput::GeofenceEnter => Input::GeofenceEnter,
            AtInput::GeofenceExit => Input::GeofenceExit,
            AtInput::SleepOn => Input::Sleep(true),
            AtInput::SleepOff => Input::Sleep(false),
        }
    }
}

/// Why a decision was taken ([`AtDecision::cause`]).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtCause {
    /// No cause (sleep mode changes).
    None = 0,
    /// Gunshot detector.
    Gunshot = 1,
    /// Running (foot pursuit) detector.
    Running = 2,
    /// Fall detector.
    Fall = 3,
    /// Officer-down detector.
    OfficerDown = 4,
    /// Holster draw.
    HolsterDraw = 5,
    /// Light bar.
    LightBar = 6,
    /// Siren.
    Siren = 7,
    /// Vehicle door.
    Door = 8,
    /// Vehicle crash.
    Crash = 9,
    /// Taser armed.
    Taser = 10,
    /// Radio emergency button.
    RadioEmergency = 11,
    /// Peer camera started.
    PeerCamera = 12,
    /// Dispatch.
    Dispatch = 13,
    /// Geofence.
    Geofence = 14,
    /// Record button.
    Button = 15,
    /// Single tap.
    Tap = 16,
    /// Double tap.
    DoubleTap = 17,
}

impl AtCause {
    fn from_cause(c: Option<Cause>) -> AtCause {
        match c {
            None => AtCause::None,
            Some(Cause::Gunshot) => AtCause::Gunshot,
            Some(Cause::Running) => AtCause::Running,
            Some(Cause::Fall) => AtCause::Fall,
            Some(Cause::OfficerDown) => AtCause::OfficerDown,
            Some(Cause::HolsterDraw) => AtCause::HolsterDraw,
            Some(Cause::LightBar) => AtCause::LightBar,
            Some(Cause::Siren) => AtCause::Siren,
            Some(Cause::Door) => AtCause::Door,
            Some(Cause::Crash) => AtCause::Crash,
            Some(Cause::Taser) => AtCause::Taser,
            Some(Cause::RadioEmergency) => AtCause::RadioEmergency,
            Some(Cause::PeerCamera) => AtCause::PeerCamera,
            Some(Cause::Dispatch) => AtCause::Dispatch,
            Some(Cause::Geofence) => AtCause::Geofence,
            Some(Cause::Button) => AtCause::Button,
            Some(Cause::Tap) => AtCause::Tap,
            Some(Cause::DoubleTap) => AtCause::DoubleTap,
        }
    }
}

/// What was decided ([`AtDecision::kind`]).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtDecisionKind {
    /// Start recording, keeping video from `keep_from_us`.
    Start = 1,
    /// Already recording: a cause was added.
    CauseAdded = 2,
    /// An automatic trigger was suppressed by sleep/privacy mode.
    Suppressed = 3,
    /// Officer-down alert.
    OfficerDownAlert = 4,
    /// The officer got up after an alert.
    OfficerDownCleared = 5,
    /// The officer cancelled an automatic start (activation marked false).
    CancelAccepted = 6,
    /// A cancel outside the cancel window.
    CancelRefused = 7,
    /// Stop honoured.
    Stop = 8,
    /// Stop refused (before the minimum recording time).
    StopRefused = 9,
    /// Sleep/privacy mode entered.
    SleepEntered = 10,
    /// Sleep/privacy mode left.
    SleepExited = 11,
}

impl AtDecisionKind {
    fn from_kind(k: DecisionKind) -> AtDecisionKind {
        match k {
            DecisionKind::Start => AtDecisionKind::Start,
            DecisionKind::CauseAdded => AtDecisionKind::CauseAdded,
            DecisionKind::Suppressed => AtDecisionKind::Suppressed,
            DecisionKind::OfficerDownAlert => AtDecisionKind::OfficerDownAlert,
            DecisionKind::OfficerDownCleared => AtDecisionKind::OfficerDownCleared,
            DecisionKind::CancelAccepted => AtDecisionKind::CancelAccepted,
            DecisionKind::CancelRefused => AtDecisionKind::CancelRefused,
            DecisionKind::Stop => AtDecisionKind::Stop,
            DecisionKind::StopRefused => AtDecisionKind::StopRefused,
            DecisionKind::SleepEntered => AtDecisionKind::SleepEntered,
            DecisionKind::SleepExited => AtDecisionKind::SleepExited,
        }
    }
}

/// The engine's state ([`AtDecision::state`], [`at_engine_state`]).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtState {
    /// Not recording (pre-event loop).
    Buffering = 1,
    /// Recording inside the cancel window of an automatic start.
    CancelWindow = 2,
    /// Recording.
    Recording = 3,
    /// Sleep/privacy mode.
    Sleep = 4,
}

impl AtState {
    fn from_state(s: State) -> AtState {
        match s {
            State::Buffering => AtState::Buffering,
            State::CancelWindow => AtState::CancelWindow,
            State::Recording => AtState::Recording,
            State::Sleep => AtState::Sleep,
        }
    }
}

/// One IMU sample, for [`at_engine_push_imu`].
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AtImuSample {
    /// Sample time, microseconds of stream time (strictly increasing).
    pub t_us: i64,
    /// Acceleration in m/s^2, gravity included, sensor axes.
    pub accel: [f32; 3],
    /// Angular rate in rad/s, sensor axes (ignored when `has_gyro` is 0).
    pub gyro: [f32; 3],
    /// Non-zero when `gyro` holds a measurement.
    pub has_gyro: i32,
}

/// One barometer sample, for [`at_engine_push_pressure`].
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AtPressureSample {
    /// Sample time, microseconds of stream time (strictly increasing; same clock as the IMU).
    pub t_us: i64,
    /// Static pressure, hPa (260-1260).
    pub hpa: f32,
}

/// One evidence item: a feature value and the threshold it was compared with.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AtEvidence {
    /// Feature name, NUL-terminated (truncated to `AT_NAME_LEN - 1` bytes).
    pub name: [c_char; AT_NAME_LEN],
    /// The measured value.
    pub value: f32,
    /// The threshold (meaningful only when `has_threshold` is non-zero).
    pub threshold: f32,
    /// Non-zero when a threshold was compared with `value`.
    pub has_threshold: i32,
}

/// One decision, copied into a caller-owned struct by [`at_engine_poll_decision`].
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AtDecision {
    /// Engine-local sequence number, from 0, without gaps.
    pub seq: u64,
    /// When the engine decided, microseconds of stream time.
    pub at_us: i64,
    /// When the cause happened (detector onset, sensor edge, button time).
    pub onset_us: i64,
    /// For a start: keep video from here (`at_us` minus the pre-event time: everything the
    /// pre-event loop holds at the decision); else `onset_us`.
    pub keep_from_us: i64,
    /// What was decided.
    pub kind: AtDecisionKind,
    /// Why ([`AtCause::None`] for sleep mode changes).
    pub cause: AtCause,
    /// The engine's state after the decision.
    pub state: AtState,
    /// Detector confidence in [0, 1] for detector causes; 1 for inputs.
    pub confidence: f32,
    /// Stable string form of `kind` (as in `autotrigger run` output), NUL-terminated.
    pub kind_name: [c_char; AT_NAME_LEN],
    /// Stable string form of `cause` (empty for none), NUL-terminated.
    pub cause_name: [c_char; AT_NAME_LEN],
    /// Stable string form of `state`, NUL-terminated.
    pub state_name: [c_char; AT_NAME_LEN],
    /// How many `evidence` slots are filled.
    pub evidence_len: u32,
    /// How many evidence items the decision had (more than `evidence_len` when truncated).
    pub evidence_total: u32,
    /// The evidence, most important first.
    pub evidence: [AtEvidence; AT_MAX_EVIDENCE],
}

/// The opaque engine handle (`AtEngine *` in C).
pub struct AtEngine {
    engine: Engine,
    poisoned: bool,
    /// Kept to start a signed audit log with (its hash and checkpoint policy).
    policy: Policy,
    /// The signed audit log, once a key is set.
    audit: Option<Box<Audit>>,
}

/// A record waiting for the audit log (copied on the real-time path, no allocation).
// Queue slots are fixed-size on purpose: boxing the large variant would allocate on poll.
#[allow(clippy::large_enum_variant)]
enum Pending {
    Decision(Decision),
    Media {
        name: [u8; AT_MAX_SEGMENT_NAME],
        name_len: usize,
        bytes: u64,
        sha256: [u8; 32],
        at: Timestamp,
    },
    Seal(Timestamp),
}

/// The audit side of a handle: the log, its fixed-capacity queue and the lines written but
/// not yet handed to the caller.
struct Audit {
    log: AuditLog,
    queue: VecDeque<Pending>,
    /// Lines produced by the log (each ending in a newline), from `out_pos` on not yet handed
    /// out.
    out: String,
    out_pos: usize,
    /// A seal was requested: nothing more is queued.
    closing: bool,
}

// ---- per-thread last error -----------------------------------------------------------------

/// A fixed buffer the last error message is formatted into: no allocation on the error path.
struct ErrorBuf {
    bytes: [u8; AT_ERROR_LEN],
    len: usize,
}

impl fmt::Write for ErrorBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Keep one byte for the NUL; cut on a char boundary so the message stays UTF-8.
        let room = AT_ERROR_LEN - 1 - self.len;
        let mut n = s.len().min(room);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

thread_local! {
    // `const` initialiser and no destructor: touching it never allocates.
    static LAST_ERROR: RefCell<ErrorBuf> = const {
        RefCell::new(ErrorBuf { bytes: [0; AT_ERROR_LEN], len: 0 })
    };
}

/// Records `msg` as this thread's last error and returns `code`.
fn fail(code: i32, msg: fmt::Arguments<'_>) -> i32 {
    let _ = LAST_ERROR.try_with(|b| {
        if let Ok(mut b) = b.try_borrow_mut() {
            b.len = 0;
            let _ = b.write_fmt(msg);
        }
    });
    code
}

fn engine_error(e: &EngineError) -> i32 {
    let code = match e {
        EngineError::Process(_) => AT_ERR_INPUT,
        EngineError::QueueFull { .. } => AT_ERR_QUEUE_FULL,
    };
    fail(code, format_args!("{e}"))
}

fn result_code(r: Result<(), EngineError>) -> i32 {
    match r {
        Ok(()) => AT_OK,
        Err(e) => engine_error(&e),
    }
}

/// Runs `f` on the engine behind `h`, catching panics (which poison the engine).
fn with_engine(h: Option<&mut AtEngine>, f: impl FnOnce(&mut Engine) -> i32) -> i32 {
    let Some(h) = h else {
        return fail(AT_ERR_NULL, format_args!("engine is NULL"));
    };
    if h.poisoned {
        return fail(
            AT_ERR_POISONED,
            format_args!("engine is poisoned by an earlier internal error; free it"),
        );
    }
    match catch_unwind(AssertUnwindSafe(|| f(&mut h.engine))) {
        Ok(code) => code,
        Err(_) => {
            h.poisoned = true;
            fail(
                AT_ERR_PANIC,
                format_args!("internal error (panic) in autotrigger; the engine is poisoned"),
            )
        }
    }
}

/// Like [`with_engine`], with the whole handle (engine and audit log).
fn with_handle(h: Option<&mut AtEngine>, f: impl FnOnce(&mut AtEngine) -> i32) -> i32 {
    let Some(h) = h else {
        return fail(AT_ERR_NULL, format_args!("engine is NULL"));
    };
    if h.poisoned {
        return fail(
            AT_ERR_POISONED,
            format_args!("engine is poisoned by an earlier internal error; free it"),
        );
    }
    match catch_unwind(AssertUnwindSafe(|| f(&mut *h))) {
        Ok(code) => code,
        Err(_) => {
            h.poisoned = true;
            fail(
                AT_ERR_PANIC,
                format_args!("internal error (panic) in autotrigger; the engine is poisoned"),
            )
        }
    }
}

/// Runs `f` without an engine, catching panics.
fn guarded(f: impl FnOnce() -> i32) -> i32 {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        fail(
            AT_ERR_PANIC,
            format_args!("internal error (panic) in autotrigger"),
        )
    })
}

/// Builds a slice from a C pointer and length; `None` when the pointer is NULL and `n > 0`.
///
/// # Safety
/// When `ptr` is not NULL it must point to `n` initialised, properly aligned `T`s that stay
/// valid and unmodified for the returned lifetime.
unsafe fn slice<'a, T>(ptr: *const T, n: usize) -> Option<&'a [T]> {
    if n == 0 {
        return Some(&[]);
    }
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-NULL, and the caller guarantees `n` valid, aligned, initialised elements.
    Some(unsafe { std::slice::from_raw_parts(ptr, n) })
}

/// Reads an optional NUL-terminated UTF-8 string.
///
/// # Safety
/// When not NULL, `p` must point to a NUL-terminated string valid for the returned lifetime.
unsafe fn c_str<'a>(p: *const c_char) -> Option<Result<&'a str, core::str::Utf8Error>> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    Some(unsafe { CStr::from_ptr(p) }.to_str())
}

fn copy_name(dst: &mut [c_char; AT_NAME_LEN], s: &str) {
    let n = s.len().min(AT_NAME_LEN - 1);
    for (d, b) in dst.iter_mut().zip(s.as_bytes()[..n].iter()) {
        // Byte-for-byte reinterpretation (c_char is i8 or u8 depending on the target).
        *d = *b as c_char;
    }
    for d in &mut dst[n..] {
        *d = 0;
    }
}

impl AtDecision {
    fn from_decision(d: &Decision) -> AtDecision {
        let mut out = AtDecision {
            seq: d.seq,
            at_us: d.at.as_micros(),
            onset_us: d.onset.as_micros(),
            keep_from_us: d.keep_from.as_micros(),
            kind: AtDecisionKind::from_kind(d.kind),
            cause: AtCause::from_cause(d.cause),
            state: AtState::from_state(d.state),
            confidence: d.confidence,
            kind_name: [0; AT_NAME_LEN],
            cause_name: [0; AT_NAME_LEN],
            state_name: [0; AT_NAME_LEN],
            evidence_len: 0,
            evidence_total: d.evidence.len() as u32,
            evidence: [AtEvidence {
                name: [0; AT_NAME_LEN],
                value: 0.0,
                threshold: 0.0,
                has_threshold: 0,
            }; AT_MAX_EVIDENCE],
        };
        copy_name(&mut out.kind_name, d.kind.as_str());
        copy_name(&mut out.cause_name, d.cause.map_or("", Cause::as_str));
        copy_name(&mut out.state_name, d.state.as_str());
        for (slot, item) in out.evidence.iter_mut().zip(d.evidence.items()) {
            copy_name(&mut slot.name, item.name);
            slot.value = item.value;
            slot.threshold = item.threshold.unwrap_or(0.0);
            slot.has_threshold = i32::from(item.threshold.is_some());
            out.evidence_len += 1;
        }
        out
    }
}

// ---- entry points ------------------------------------------------------------------------

/// Creates an engine from a policy (TOML text, NUL-terminated UTF-8; NULL or "" for the default
/// policy) and the audio sample rate in Hz (8000..=96000). On success stores the handle in
/// `*out` and returns `AT_OK`; on failure stores NULL and returns `AT_ERR_CONFIG` (message via
/// [`at_last_error`]), `AT_ERR_ARGUMENT` or `AT_ERR_NULL`.
///
/// This is the only function that allocates (the engine and all its buffers).
///
/// # Safety
/// `policy_toml` is NULL or a NUL-terminated string; `out` is a valid pointer to writable
/// storage for one `AtEngine *`.
#[no_mangle]
pub unsafe extern "C" fn at_engine_new(
    policy_toml: *const c_char,
    audio_rate: u32,
    out: *mut *mut AtEngine,
) -> i32 {
    guarded(|| {
        if out.is_null() {
            return fail(AT_ERR_NULL, format_args!("out is NULL"));
        }
        // SAFETY: `out` is non-NULL and writable per the contract.
        unsafe { *out = std::ptr::null_mut() };
        // SAFETY: NULL or NUL-terminated per the contract.
        let text = match unsafe { c_str(policy_toml) } {
            None => "",
            Some(Ok(t)) => t,
            Some(Err(e)) => return fail(AT_ERR_ARGUMENT, format_args!("policy is not UTF-8: {e}")),
        };
        let policy = match Policy::from_toml_str(text) {
            Ok(p) => p,
            Err(e) => return fail(AT_ERR_CONFIG, format_args!("policy: {e}")),
        };
        match Engine::new(&policy, audio_rate) {
            Ok(engine) => {
                let h = Box::new(AtEngine {
                    engine,
                    poisoned: false,
                    policy,
                    audit: None,
                });
                // SAFETY: as above; ownership of the box passes to the caller.
                unsafe { *out = Box::into_raw(h) };
                AT_OK
            }
            Err(e) => fail(AT_ERR_CONFIG, format_args!("{e}")),
        }
    })
}

/// Destroys an engine (NULL is accepted and ignored).
///
/// # Safety
/// `engine` is NULL or a handle from [`at_engine_new`] not yet freed; it must not be used
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn at_engine_free(engine: *mut AtEngine) {
    if engine.is_null() {
        return;
    }
    // SAFETY: the pointer came from `Box::into_raw` in `at_engine_new` and is freed once.
    let b = unsafe { Box::from_raw(engine) };
    // Dropping plain buffers cannot panic in practice; still, never unwind into C.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(b)));
}

/// Converts a handle pointer into a reference.
///
/// # Safety
/// `engine` is NULL or a live handle from [`at_engine_new`], not used concurrently.
unsafe fn handle<'a>(engine: *mut AtEngine) -> Option<&'a mut AtEngine> {
    // SAFETY: per the contract, either NULL (-> None) or a valid, exclusive handle.
    unsafe { engine.as_mut() }
}

/// Pushes `n` mono audio samples (full scale ±1; NaN/Inf are replaced by 0 and counted by the
/// detector). The block's time follows from the samples pushed so far. Blocks of any size give
/// the same decisions.
///
/// # Safety
/// `engine` is a live handle; `samples` points to `n` floats (may be NULL when `n` is 0).
#[no_mangle]
pub unsafe extern "C" fn at_engine_push_audio_f32(
    engine: *mut AtEngine,
    samples: *const f32,
    n: usize,
) -> i32 {
    // SAFETY: per this function's contract.
    let (h, s) = unsafe { (handle(engine), slice(samples, n)) };
    with_engine(h, |e| match s {
        Some(s) => result_code(e.push_audio_f32(s)),
        None => fail(AT_ERR_NULL, format_args!("samples is NULL with n = {n}")),
    })
}

/// Pushes `n` mono 16-bit PCM samples (converted to ±1 full scale).
///
/// # Safety
/// `engine` is a live handle; `samples` points to `n` int16 values (may be NULL when `n` is 0).
#[no_mangle]
pub unsafe extern "C" fn at_engine_push_audio_i16(
    engine: *mut AtEngine,
    samples: *const i16,
    n: usize,
) -> i32 {
    // SAFETY: per this function's contract.
    let (h, s) = unsafe { (handle(engine), slice(samples, n)) };
    with_engine(h, |e| match s {
        Some(s) => result_code(e.push_audio_i16(s)),
        None => fail(AT_ERR_NULL, format_args!("samples is NULL with n = {n}")),
    })
}

/// IMU samples are converted in chunks of this many into a stack buffer (no allocation).
const IMU_CHUNK: usize = 32;

/// Pushes `n` IMU samples (timestamps strictly increasing). A sample whose time does not
/// increase is rejected (`AT_ERR_INPUT`), the others are processed.
///
/// # Safety
/// `engine` is a live handle; `samples` points to `n` `AtImuSample`s (may be NULL when `n` is
/// 0).
#[no_mangle]
pub unsafe extern "C" fn at_engine_push_imu(
    engine: *mut AtEngine,
    samples: *const AtImuSample,
    n: usize,
) -> i32 {
    // SAFETY: per this function's contract.
    let (h, s) = unsafe { (handle(engine), slice(samples, n)) };
    with_engine(h, |e| {
        let Some(s) = s else {
            return fail(AT_ERR_NULL, format_args!("samples is NULL with n = {n}"));
        };
        let mut buf = [ImuSample {
            t: Timestamp::ZERO,
            accel: [0.0; 3],
            gyro: None,
        }; IMU_CHUNK];
        let mut first = AT_OK;
        for chunk in s.chunks(IMU_CHUNK) {
            for (d, c) in buf.iter_mut().zip(chunk) {
                *d = ImuSample {
                    t: Timestamp::from_micros(c.t_us),
                    accel: c.accel,
                    gyro: (c.has_gyro != 0).then_some(c.gyro),
                };
            }
            if let Err(err) = e.push_imu(&buf[..chunk.len()]) {
                if first == AT_OK {
                    first = engine_error(&err);
                }
            }
        }
        first
    })
}

/// Pressure samples are converted in chunks of this many into a stack buffer.
const PRESSURE_CHUNK: usize = 32;

/// Pushes `n` barometer samples (optional: the detectors use pressure when present and never
/// require it; 1-100 Hz, gaps allowed). Push the pressure up to time `t` before the IMU
/// samples after `t`. A sample whose time does not increase, or whose pressure is NaN,
/// infinite or outside 260-1260 hPa, is rejected (`AT_ERR_INPUT`), the others are used.
///
/// # Safety
/// `engine` is a live handle; `samples` points to `n` `AtPressureSample`s (may be NULL when
/// `n` is 0).
#[no_mangle]
pub unsafe extern "C" fn at_engine_push_pressure(
    engine: *mut AtEngine,
    samples: *const AtPressureSample,
    n: usize,
) -> i32 {
    // SAFETY: per this function's contract.
    let (h, s) = unsafe { (handle(engine), slice(samples, n)) };
    with_engine(h, |e| {
        let Some(s) = s else {
            return fail(AT_ERR_NULL, format_args!("samples is NULL with n = {n}"));
        };
        let mut buf = [PressureSample {
            t: Timestamp::ZERO,
            hpa: 0.0,
        }; PRESSURE_CHUNK];
        let mut first = AT_OK;
        for chunk in s.chunks(PRESSURE_CHUNK) {
            for (d, c) in buf.iter_mut().zip(chunk) {
                *d = PressureSample {
                    t: Timestamp::from_micros(c.t_us),
                    hpa: c.hpa,
                };
            }
            if let Err(err) = e.push_pressure(&buf[..chunk.len()]) {
                if first == AT_OK {
                    first = engine_error(&err);
                }
            }
        }
        first
    })
}

/// Pushes an external input (an [`AtInput`] value) at time `t_us` (microseconds of stream
/// time, non-decreasing across inputs).
///
/// # Safety
/// `engine` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn at_engine_push_input(engine: *mut AtEngine, t_us: i64, input: i32) -> i32 {
    // SAFETY: per this function's contract.
    let h = unsafe { handle(engine) };
    with_engine(h, |e| match AtInput::from_code(input) {
        Some(i) => result_code(e.push_input(Timestamp::from_micros(t_us), i.to_input())),
        None => fail(AT_ERR_ARGUMENT, format_args!("unknown input code {input}")),
    })
}

/// Advances the engine's clock to `t_us` without data (a timer tick), completing debounces
/// that are due.
///
/// # Safety
/// `engine` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn at_engine_advance_to(engine: *mut AtEngine, t_us: i64) -> i32 {
    // SAFETY: per this function's contract.
    let h = unsafe { handle(engine) };
    with_engine(h, |e| {
        e.advance_to(Timestamp::from_micros(t_us));
        AT_OK
    })
}

/// Ends the streams: the detectors decide whatever is pending. Poll afterwards.
///
/// # Safety
/// `engine` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn at_engine_finish(engine: *mut AtEngine) -> i32 {
    // SAFETY: per this function's contract.
    let h = unsafe { handle(engine) };
    with_engine(h, |e| result_code(e.finish()))
}

/// Returns the engine to its freshly created state, without allocating.
///
/// # Safety
/// `engine` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn at_engine_reset(engine: *mut AtEngine) -> i32 {
    // SAFETY: per this function's contract.
    let h = unsafe { handle(engine) };
    with_engine(h, |e| {
        e.reset();
        AT_OK
    })
}

/// Copies the oldest pending decision into `*out`: returns 1 when one was written, 0 when none
/// is waiting, or a negative error. Poll until 0 after every push.
///
/// With a signing key set ([`at_engine_set_signing_key`]) the decision is also copied into the
/// audit queue (no allocation, no hashing: [`at_engine_audit_line`] does that work). When that
/// queue holds [`AT_AUDIT_QUEUE`] records, returns `AT_ERR_QUEUE_FULL` and leaves the decision
/// in the engine: write audit lines, then poll again.
///
/// # Safety
/// `engine` is a live handle; `out` points to writable storage for one `AtDecision`.
#[no_mangle]
pub unsafe extern "C" fn at_engine_poll_decision(
    engine: *mut AtEngine,
    out: *mut AtDecision,
) -> i32 {
    // SAFETY: per this function's contract.
    let h = unsafe { handle(engine) };
    with_handle(h, |h| {
        if out.is_null() {
            return fail(AT_ERR_NULL, format_args!("out is NULL"));
        }
        let logging = h.audit.as_deref().filter(|a| !a.closing);
        if logging.is_some_and(|a| a.queue.len() >= AT_AUDIT_QUEUE) {
            return fail(
                AT_ERR_QUEUE_FULL,
                format_args!(
                    "the audit queue is full ({AT_AUDIT_QUEUE} records): write them with at_engine_audit_line; the decision stays queued"
                ),
            );
        }
        match h.engine.poll_decision() {
            Some(d) => {
                if let Some(a) = h.audit.as_deref_mut().filter(|a| !a.closing) {
                    // Within the reserved capacity (checked above): no allocation.
                    a.queue.push_back(Pending::Decision(d));
                }
                // SAFETY: `out` is non-NULL, aligned and writable per the contract; `write`
                // does not read the (possibly uninitialised) old value.
                unsafe { out.write(AtDecision::from_decision(&d)) };
                1
            }
            None => 0,
        }
    })
}

/// Starts this engine's signed audit log with the device's Ed25519 key: `key` points to the
/// [`AT_KEY_LEN`] (32) bytes of the secret seed (from the secure element, or a file the
/// operator provisions: the library never makes or stores keys), `device_id` is the camera's
/// name (NUL-terminated UTF-8, NULL for none). The log's signed header is the first line
/// [`at_engine_audit_line`] gives. From now on polled decisions and reported segments are
/// queued for the log. Call once, after [`at_engine_new`] and before the first poll: it
/// allocates (the log and its queue). Returns `AT_ERR_AUDIT` when a key is already set. The
/// log outlives [`at_engine_reset`] (its sequence numbers go on); it ends with
/// [`at_engine_audit_seal`] or, without a seal, when the engine is freed (verify then reports
/// it as unsealed, as after a power loss).
///
/// # Safety
/// `engine` is a live handle; `key` points to 32 readable bytes; `device_id` is NULL or a
/// NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn at_engine_set_signing_key(
    engine: *mut AtEngine,
    key: *const u8,
    device_id: *const c_char,
) -> i32 {
    // SAFETY: per this function's contract.
    let (h, key, id) = unsafe { (handle(engine), slice(key, AT_KEY_LEN), c_str(device_id)) };
    with_handle(h, |h| {
        let Some(key) = key else {
            return fail(AT_ERR_NULL, format_args!("key is NULL"));
        };
        let id = match id {
            None => "",
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                return fail(AT_ERR_ARGUMENT, format_args!("device_id is not UTF-8: {e}"))
            }
        };
        if h.audit.is_some() {
            return fail(AT_ERR_AUDIT, format_args!("a signing key is already set"));
        }
        let mut seed = [0u8; AT_KEY_LEN];
        seed.copy_from_slice(key);
        let signing = SigningKey::from_bytes(&seed);
        seed.fill(0);
        let mut out = String::new();
        let log = AuditLog::signed(&h.policy, signing, id, h.engine.clock(), &mut out);
        h.audit = Some(Box::new(Audit {
            log,
            queue: VecDeque::with_capacity(AT_AUDIT_QUEUE),
            out,
            out_pos: 0,
            closing: false,
        }));
        AT_OK
    })
}

/// Reports a recorded media segment (a file the camera closed): its `name` relative to the
/// media directory (NUL-terminated UTF-8, at most [`AT_MAX_SEGMENT_NAME`] bytes, `/`-separated,
/// no `..`), its length in bytes and its SHA-256 (32 bytes). It is logged under the current
/// recording at the engine's clock and signed by the next checkpoint or the seal. Copies into
/// the audit queue: no allocation. Errors: `AT_ERR_AUDIT` (no key set, or sealing),
/// `AT_ERR_ARGUMENT` (bad name), `AT_ERR_QUEUE_FULL` (write audit lines first).
///
/// # Safety
/// `engine` is a live handle; `name` is a NUL-terminated string; `sha256` points to 32
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn at_engine_report_segment(
    engine: *mut AtEngine,
    name: *const c_char,
    bytes: u64,
    sha256: *const u8,
) -> i32 {
    // SAFETY: per this function's contract.
    let (h, name, sha) = unsafe { (handle(engine), c_str(name), slice(sha256, 32)) };
    with_handle(h, |h| {
        let (Some(name), Some(sha)) = (name, sha) else {
            return fail(AT_ERR_NULL, format_args!("name or sha256 is NULL"));
        };
        let Ok(name) = name else {
            return fail(AT_ERR_ARGUMENT, format_args!("segment name is not UTF-8"));
        };
        if let Err(reason) = check_media_name(name) {
            return fail(
                AT_ERR_ARGUMENT,
                format_args!("segment name {name:?}: {reason}"),
            );
        }
        let at = h.engine.clock();
        let Some(a) = h.audit.as_deref_mut() else {
            return fail(
                AT_ERR_AUDIT,
                format_args!("no signing key set: no audit log"),
            );
        };
        if a.closing {
            return fail(AT_ERR_AUDIT, format_args!("the audit log is being sealed"));
        }
        if a.queue.len() >= AT_AUDIT_QUEUE {
            return fail(
                AT_ERR_QUEUE_FULL,
                format_args!("the audit queue is full: write lines with at_engine_audit_line"),
            );
        }
        let mut buf = [0u8; AT_MAX_SEGMENT_NAME];
        buf[..name.len()].copy_from_slice(name.as_bytes());
        let mut digest = [0u8; 32];
        digest.copy_from_slice(sha);
        a.queue.push_back(Pending::Media {
            name: buf,
            name_len: name.len(),
            bytes,
            sha256: digest,
            at,
        });
        AT_OK
    })
}

/// Ends the audit log cleanly: queues its signed seal (at the engine's clock), after the
/// records already queued. Call after [`at_engine_finish`] and the last poll; then write the
/// remaining lines. Decisions polled afterwards are not logged. `AT_ERR_AUDIT` when no key is
/// set or the seal was already requested.
///
/// # Safety
/// `engine` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn at_engine_audit_seal(engine: *mut AtEngine) -> i32 {
    // SAFETY: per this function's contract.
    let h = unsafe { handle(engine) };
    with_handle(h, |h| {
        let at = h.engine.clock();
        match h.audit.as_deref_mut() {
            None => fail(
                AT_ERR_AUDIT,
                format_args!("no signing key set: no audit log"),
            ),
            Some(a) if a.closing => fail(AT_ERR_AUDIT, format_args!("already sealed")),
            Some(a) => {
                a.closing = true;
                // The seal may exceed the queue's reserved capacity: this call is not on the
                // real-time path.
                a.queue.push_back(Pending::Seal(at));
                AT_OK
            }
        }
    })
}

/// Writes the next line of the signed audit log (one JSON record, NUL-terminated, without a
/// newline) into `buf` of `cap` bytes and its length (without the NUL) into `*len`: returns 1
/// when a line was written, 0 when nothing is waiting, `AT_ERR_BUFFER` when `cap` is too
/// small (`*len` then holds the length needed; nothing is consumed). Append each line and a
/// newline to the log file.
///
/// This is where hashing and signing happen (and where checkpoints fall due, by the engine's
/// clock): it allocates and takes tens of microseconds per signed line. Call it from the
/// logging task, not the audio path; it must not run concurrently with other calls on the same
/// engine.
///
/// # Safety
/// `engine` is a live handle; `buf` points to `cap` writable bytes; `len` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn at_engine_audit_line(
    engine: *mut AtEngine,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> i32 {
    // SAFETY: per this function's contract.
    let h = unsafe { handle(engine) };
    with_handle(h, |h| {
        if buf.is_null() || len.is_null() {
            return fail(AT_ERR_NULL, format_args!("buf or len is NULL"));
        }
        let clock = h.engine.clock();
        let Some(a) = h.audit.as_deref_mut() else {
            return fail(
                AT_ERR_AUDIT,
                format_args!("no signing key set: no audit log"),
            );
        };
        if a.out_pos >= a.out.len() {
            a.out.clear();
            a.out_pos = 0;
            match a.queue.pop_front() {
                Some(Pending::Decision(d)) => {
                    let _ = a.log.write_decision(&d, &mut a.out);
                }
                Some(Pending::Media {
                    name,
                    name_len,
                    bytes,
                    sha256,
                    at,
                }) => {
                    let name = core::str::from_utf8(&name[..name_len]).unwrap_or("");
                    if let Ok(seg) = MediaSegment::new(name, bytes, sha256) {
                        let _ = a.log.write_media(&seg, at, &mut a.out);
                    }
                }
                Some(Pending::Seal(at)) => {
                    let _ = a.log.seal(at, &mut a.out);
                }
                None => a.log.tick(clock, &mut a.out),
            }
        }
        let rest = &a.out[a.out_pos..];
        let Some(n) = rest.find('\n') else {
            return 0;
        };
        // SAFETY: `len` is non-NULL and writable per the contract.
        unsafe { *len = n };
        if cap < n + 1 {
            return fail(
                AT_ERR_BUFFER,
                format_args!("the audit line needs {} bytes, the buffer has {cap}", n + 1),
            );
        }
        // SAFETY: `buf` has `cap > n` writable bytes per the contract and does not overlap
        // the log's own string.
        unsafe {
            std::ptr::copy_nonoverlapping(rest.as_ptr().cast::<c_char>(), buf, n);
            *buf.add(n) = 0;
        }
        a.out_pos += n + 1;
        1
    })
}

/// The engine's state now (an [`AtState`] value), or a negative error.
///
/// # Safety
/// `engine` is a live handle.
#[no_mangle]
pub unsafe extern "C" fn at_engine_state(engine: *mut AtEngine) -> i32 {
    // SAFETY: per this function's contract.
    let h = unsafe { handle(engine) };
    with_engine(h, |e| AtState::from_state(e.state()) as i32)
}

/// Parses an input written as in an inputs file (`source`, `value`, for example `"holster"`,
/// `"drawn"`) into an [`AtInput`] value; returns `AT_ERR_ARGUMENT` when unknown.
///
/// # Safety
/// `source` and `value` are NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn at_input_parse(source: *const c_char, value: *const c_char) -> i32 {
    guarded(|| {
        // SAFETY: NULL or NUL-terminated per the contract.
        let (s, v) = unsafe { (c_str(source), c_str(value)) };
        let (Some(Ok(s)), Some(Ok(v))) = (s, v) else {
            return fail(
                AT_ERR_ARGUMENT,
                format_args!("input source/value is NULL or not UTF-8"),
            );
        };
        let Some(input) = Input::parse(s, v) else {
            return fail(AT_ERR_ARGUMENT, format_args!("unknown input {s},{v}"));
        };
        AtInput::ALL
            .into_iter()
            .find(|a| a.to_input() == input)
            .map_or_else(
                || fail(AT_ERR_ARGUMENT, format_args!("input {s},{v} has no C code")),
                |a| a as i32,
            )
    })
}

/// Copies this thread's last error message (NUL-terminated, truncated to fit) into `buf` of
/// `len` bytes, and returns the message length in bytes (without the NUL), like `snprintf`.
/// `buf` may be NULL when `len` is 0, to query the length.
///
/// # Safety
/// `buf` points to `len` writable bytes (or is NULL with `len` 0).
#[no_mangle]
pub unsafe extern "C" fn at_last_error(buf: *mut c_char, len: usize) -> usize {
    let r = catch_unwind(AssertUnwindSafe(|| {
        LAST_ERROR
            .try_with(|b| {
                let Ok(b) = b.try_borrow() else { return 0 };
                if !buf.is_null() && len > 0 {
                    let n = b.len.min(len - 1);
                    // SAFETY: `buf` has `len > n` writable bytes per the contract, and does
                    // not overlap our thread-local buffer.
                    unsafe {
                        std::ptr::copy_nonoverlapping(b.bytes.as_ptr().cast::<c_char>(), buf, n);
                        *buf.add(n) = 0;
                    }
                }
                b.len
            })
            .unwrap_or(0)
    }));
    r.unwrap_or(0)
}

/// The library version, a static NUL-terminated string.
#[no_mangle]
pub extern "C" fn at_version() -> *const c_char {
    const V: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    V.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        let mut buf = [0 as c_char; AT_ERROR_LEN];
        // SAFETY: buf has AT_ERROR_LEN bytes.
        let n = unsafe { at_last_error(buf.as_mut_ptr(), buf.len()) };
        // SAFETY: at_last_error NUL-terminates.
        let s = unsafe { CStr::from_ptr(buf.as_ptr()) }
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(s.len(), n);
        s
    }

    #[test]
    fn every_input_code_round_trips_through_its_string_form() {
        for a in AtInput::ALL {
            let (s, v) = a.to_input().as_strs();
            let s = std::ffi::CString::new(s).unwrap();
            let v = std::ffi::CString::new(v).unwrap();
            // SAFETY: both are NUL-terminated.
            assert_eq!(unsafe { at_input_parse(s.as_ptr(), v.as_ptr()) }, a as i32);
            assert_eq!(AtInput::from_code(a as i32), Some(a));
        }
        assert_eq!(AtInput::from_code(0), None);
        // SAFETY: NULLs are allowed.
        assert_eq!(
            unsafe { at_input_parse(std::ptr::null(), c"x".as_ptr()) },
            AT_ERR_ARGUMENT
        );
    }

    #[test]
    fn bad_policy_reports_the_parameter() {
        let mut h: *mut AtEngine = std::ptr::null_mut();
        // SAFETY: valid string and out pointer.
        let rc = unsafe { at_engine_new(c"pre_event_s = -1".as_ptr(), 16_000, &mut h) };
        assert_eq!(rc, AT_ERR_CONFIG);
        assert!(h.is_null());
        assert!(last_error().contains("pre_event_s"), "{}", last_error());
        // SAFETY: as above.
        let rc = unsafe { at_engine_new(std::ptr::null(), 1_000, &mut h) };
        assert_eq!(rc, AT_ERR_CONFIG);
        assert!(last_error().contains("1000"), "{}", last_error());
        // SAFETY: NULL out is reported, not dereferenced.
        assert_eq!(
            unsafe { at_engine_new(std::ptr::null(), 16_000, std::ptr::null_mut()) },
            AT_ERR_NULL
        );
    }

    #[test]
    fn error_buffer_truncates_on_char_boundaries() {
        let long = "é".repeat(AT_ERROR_LEN);
        fail(AT_ERR_ARGUMENT, format_args!("{long}"));
        let s = last_error();
        assert!(s.len() < AT_ERROR_LEN && s.len() >= AT_ERROR_LEN - 3);
        let mut small = [0 as c_char; 4];
        // SAFETY: 4 writable bytes.
        let n = unsafe { at_last_error(small.as_mut_ptr(), small.len()) };
        assert_eq!(n, s.len());
        assert_eq!(small[3], 0);
        // SAFETY: querying the length with a NULL buffer is allowed.
        assert_eq!(unsafe { at_last_error(std::ptr::null_mut(), 0) }, s.len());
    }

    #[test]
    fn null_engine_and_buffers_are_errors_not_crashes() {
        let null = std::ptr::null_mut();
        // SAFETY: every call below is documented to accept NULL and report it.
        unsafe {
            assert_eq!(
                at_engine_push_audio_f32(null, std::ptr::null(), 0),
                AT_ERR_NULL
            );
            assert_eq!(
                at_engine_poll_decision(null, std::ptr::null_mut()),
                AT_ERR_NULL
            );
            assert_eq!(at_engine_state(null), AT_ERR_NULL);
            at_engine_free(null);
            let mut h: *mut AtEngine = std::ptr::null_mut();
            assert_eq!(at_engine_new(c"".as_ptr(), 16_000, &mut h), AT_OK);
            assert_eq!(
                at_engine_push_audio_f32(h, std::ptr::null(), 10),
                AT_ERR_NULL
            );
            assert_eq!(at_engine_push_imu(h, std::ptr::null(), 3), AT_ERR_NULL);
            assert_eq!(at_engine_push_pressure(h, std::ptr::null(), 2), AT_ERR_NULL);
            assert_eq!(at_engine_push_pressure(h, std::ptr::null(), 0), AT_OK);
            let p = [
                AtPressureSample {
                    t_us: 0,
                    hpa: 1013.0,
                },
                AtPressureSample {
                    t_us: 100_000,
                    hpa: f32::NAN,
                },
                AtPressureSample {
                    t_us: 50_000,
                    hpa: 1013.0,
                },
            ];
            assert_eq!(at_engine_push_pressure(h, p.as_ptr(), 3), AT_ERR_INPUT);
            let mut msg = [0 as c_char; 128];
            at_last_error(msg.as_mut_ptr(), msg.len());
            let msg = CStr::from_ptr(msg.as_ptr()).to_string_lossy().into_owned();
            assert!(msg.contains("pressure at 100000 us is not finite"), "{msg}");
            assert_eq!(at_engine_push_audio_i16(h, std::ptr::null(), 0), AT_OK);
            assert_eq!(at_engine_push_input(h, 0, 999), AT_ERR_ARGUMENT);
            assert_eq!(
                at_engine_poll_decision(h, std::ptr::null_mut()),
                AT_ERR_NULL
            );
            assert_eq!(at_engine_state(h), AtState::Buffering as i32);
            at_engine_free(h);
        }
    }

    #[test]
    fn a_holster_draw_starts_recording_through_the_c_abi() {
        let mut h: *mut AtEngine = std::ptr::null_mut();
        let audio = [0i16; 160];
        let mut d = std::mem::MaybeUninit::<AtDecision>::uninit();
        let mut got = Vec::new();
        // SAFETY: valid handle, buffers and out pointers throughout.
        unsafe {
            assert_eq!(at_engine_new(std::ptr::null(), 16_000, &mut h), AT_OK);
            for i in 0..300 {
                if i == 100 {
                    let rc = at_engine_push_input(h, 1_000_000, AtInput::HolsterDrawn as i32);
                    assert_eq!(rc, AT_OK);
                }
                assert_eq!(
                    at_engine_push_audio_i16(h, audio.as_ptr(), audio.len()),
                    AT_OK
                );
                while at_engine_poll_decision(h, d.as_mut_ptr()) == 1 {
                    got.push(d.assume_init());
                }
            }
            // Time going backwards is an input error, and the engine stays usable.
            assert_eq!(
                at_engine_push_input(h, 0, AtInput::DoorOpen as i32),
                AT_ERR_INPUT
            );
            assert!(last_error().contains("us"), "{}", last_error());
            assert_eq!(at_engine_state(h), AtState::CancelWindow as i32);
            at_engine_free(h);
        }
        assert_eq!(got.len(), 1, "{got:?}");
        let d = &got[0];
        assert_eq!(
            (d.kind, d.cause, d.state),
            (
                AtDecisionKind::Start,
                AtCause::HolsterDraw,
                AtState::CancelWindow
            )
        );
        assert_eq!((d.onset_us, d.at_us), (1_000_000, 1_200_000));
        // The pre-event loop holds 30 s (default) at the decision.
        assert_eq!(d.keep_from_us, 1_200_000 - 30_000_000);
        // SAFETY: names are NUL-terminated by construction.
        let name = |b: &[c_char; AT_NAME_LEN]| {
            unsafe { CStr::from_ptr(b.as_ptr()) }
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(name(&d.kind_name), "start");
        assert_eq!(name(&d.cause_name), "holster_draw");
        assert_eq!(name(&d.state_name), "cancel_window");
        assert!(d.evidence_len as usize <= AT_MAX_EVIDENCE);
        assert!(d.evidence_total >= d.evidence_len);
    }

    /// Drains every audit line of `h` into text (one line each, newline-terminated).
    ///
    /// # Safety
    /// `h` is a live handle with a signing key.
    unsafe fn drain_audit(h: *mut AtEngine, text: &mut String) {
        let mut buf = [0 as c_char; 1024];
        let mut n = 0usize;
        loop {
            // SAFETY: per this function's contract; buf has 1024 bytes.
            let rc = unsafe { at_engine_audit_line(h, buf.as_mut_ptr(), buf.len(), &mut n) };
            assert!(rc >= 0, "{}", last_error());
            if rc == 0 {
                break;
            }
            // SAFETY: NUL-terminated by at_engine_audit_line.
            let line = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
            assert_eq!(line.len(), n);
            text.push_str(line);
            text.push('\n');
        }
    }

    #[test]
    fn a_signed_log_through_the_c_abi_verifies_with_its_segment() {
        use crate::trigger::audit::{self, VerifyOptions};
        let seed = [5u8; 32];
        let public = SigningKey::from_bytes(&seed).verifying_key();
        let mut h: *mut AtEngine = std::ptr::null_mut();
        let audio = [0i16; 160];
        let mut d = std::mem::MaybeUninit::<AtDecision>::uninit();
        let mut text = String::new();
        let sha = [0x5au8; 32];
        // SAFETY: valid handle, buffers and out pointers throughout.
        unsafe {
            assert_eq!(at_engine_new(std::ptr::null(), 16_000, &mut h), AT_OK);
            // Before a key: no audit log.
            assert_eq!(at_engine_audit_seal(h), AT_ERR_AUDIT);
            assert_eq!(
                at_engine_report_segment(h, c"a.mp4".as_ptr(), 1, sha.as_ptr()),
                AT_ERR_AUDIT
            );
            assert_eq!(
                at_engine_set_signing_key(h, seed.as_ptr(), c"cam-c".as_ptr()),
                AT_OK
            );
            assert_eq!(
                at_engine_set_signing_key(h, seed.as_ptr(), c"cam-c".as_ptr()),
                AT_ERR_AUDIT
            );
            // A line longer than the buffer: the length needed, nothing consumed.
            let mut small = [0 as c_char; 16];
            let mut n = 0usize;
            assert_eq!(
                at_engine_audit_line(h, small.as_mut_ptr(), small.len(), &mut n),
                AT_ERR_BUFFER
            );
            assert!(n > 200, "{n}");
            for i in 0..300 {
                if i == 100 {
                    assert_eq!(
                        at_engine_push_input(h, 1_000_000, AtInput::HolsterDrawn as i32),
                        AT_OK
                    );
                }
                assert_eq!(at_engine_push_audio_i16(h, audio.as_ptr(), 160), AT_OK);
                while at_engine_poll_decision(h, d.as_mut_ptr()) == 1 {}
            }
            assert_eq!(
                at_engine_report_segment(h, c"../x.mp4".as_ptr(), 1, sha.as_ptr()),
                AT_ERR_ARGUMENT
            );
            assert!(last_error().contains(".."), "{}", last_error());
            assert_eq!(
                at_engine_report_segment(h, c"cam-c/0001.mp4".as_ptr(), 12_345, sha.as_ptr()),
                AT_OK
            );
            assert_eq!(at_engine_finish(h), AT_OK);
            assert_eq!(at_engine_audit_seal(h), AT_OK);
            assert_eq!(at_engine_audit_seal(h), AT_ERR_AUDIT);
            drain_audit(h, &mut text);
            at_engine_free(h);
        }
        let opts = VerifyOptions {
            pubkey: Some(&public),
            head: None,
        };
        let r = audit::verify_log(&text, &opts).unwrap_or_else(|e| panic!("{e}\n{text}"));
        // Header, start, media, seal.
        assert_eq!(r.records, 4, "{text}");
        assert_eq!(r.signed.unwrap().device_id, "cam-c");
        assert_eq!(r.media.len(), 1);
        assert_eq!(
            (
                r.media[0].name.as_str(),
                r.media[0].bytes,
                r.media[0].recording
            ),
            ("cam-c/0001.mp4", 12_345, Some(1))
        );
        assert_eq!(r.media[0].sha256, "5a".repeat(32));
    }

    #[test]
    fn a_full_audit_queue_keeps_the_decision_in_the_engine() {
        let seed = [6u8; 32];
        let mut h: *mut AtEngine = std::ptr::null_mut();
        let sha = [1u8; 32];
        let mut d = std::mem::MaybeUninit::<AtDecision>::uninit();
        // SAFETY: valid handle, buffers and out pointers throughout.
        unsafe {
            assert_eq!(at_engine_new(std::ptr::null(), 16_000, &mut h), AT_OK);
            assert_eq!(
                at_engine_set_signing_key(h, seed.as_ptr(), std::ptr::null()),
                AT_OK
            );
            for _ in 0..AT_AUDIT_QUEUE {
                assert_eq!(
                    at_engine_report_segment(h, c"s.mp4".as_ptr(), 1, sha.as_ptr()),
                    AT_OK
                );
            }
            assert_eq!(
                at_engine_report_segment(h, c"s.mp4".as_ptr(), 1, sha.as_ptr()),
                AT_ERR_QUEUE_FULL
            );
            assert_eq!(
                at_engine_push_input(h, 1_000, AtInput::ButtonStart as i32),
                AT_OK
            );
            assert_eq!(
                at_engine_poll_decision(h, d.as_mut_ptr()),
                AT_ERR_QUEUE_FULL
            );
            // Writing lines makes room; the decision was kept.
            let mut text = String::new();
            drain_audit(h, &mut text);
            assert_eq!(at_engine_poll_decision(h, d.as_mut_ptr()), 1);
            assert_eq!(d.assume_init().kind, AtDecisionKind::Start);
            at_engine_free(h);
        }
    }
}
