//! The trigger engine: detector events and external inputs -> recording decisions under an
//! agency policy, with a tamper-evident audit log.
//!
//! - [`Policy`]: what the agency decides (TOML): which causes start recording, detector
//!   sensitivity presets, debounce, hold-off, cancel window, minimum recording time,
//!   sleep/privacy mode, tap toggling, pre-event buffer.
//! - [`Engine`]: one object the firmware feeds with audio blocks, IMU samples, external
//!   [`Input`]s and (optionally) detector [`Event`](crate::Event)s, and polls for
//!   [`Decision`]s. No allocation after construction.
//! - [`audit`]: the hash-chained JSONL audit log, optionally signed with the device's Ed25519
//!   key (checkpoints, a seal) and bound to the recorded media, and its verifier (off the
//!   real-time path).
//! - `inputs_file` (feature `io`): the `t_s,input,value` CSV of external inputs.
//!
//! The state machine (see `docs/engine.md` for the diagram):
//!
//! | state | automatic trigger | manual start (button, toggle gesture, radio emergency) | button press / toggle gesture |
//! |---|---|---|---|
//! | [`State::Buffering`] | start, enter cancel window | start (no cancel window) | start |
//! | [`State::Sleep`] | suppressed | start (no cancel window) | start |
//! | [`State::CancelWindow`] | cause added | cause added | cancel accepted (activation false) |
//! | [`State::Recording`] | cause added | cause added | stop (or refused before `min_recording_s`) |
//!
//! ```
//! use autotrigger::trigger::{Cause, DecisionKind, Engine, HolsterState, Input, Policy, State};
//! use autotrigger::Timestamp;
//!
//! let policy = Policy::default(); // 30 s pre-event, 20 s cancel window, 200 ms debounce
//! let mut engine = Engine::new(&policy, 16_000).unwrap();
//! let block = [0.0f32; 160]; // 10 ms of audio
//! for i in 0..300 {
//!     // 3 s of audio; the weapon leaves the holster at 1 s.
//!     if i == 100 {
//!         engine.push_input(Timestamp::from_millis(1_000), Input::Holster(HolsterState::Drawn)).unwrap();
//!     }
//!     engine.push_audio_f32(&block).unwrap();
//! }
//! let d = engine.poll_decision().unwrap();
//! assert_eq!((d.kind, d.cause), (DecisionKind::Start, Some(Cause::HolsterDraw)));
//! assert_eq!(d.at, Timestamp::from_millis(1_200)); // after the debounce
//! assert_eq!(d.onset, Timestamp::from_millis(1_000)); // the raw edge
//! assert_eq!(d.keep_from, Timestamp::from_millis(1_200 - 30_000)); // the whole loop
//! assert_eq!(engine.state(), State::CancelWindow);
//! ```

pub mod audit;
mod cause;
mod decision;
mod engine;
#[cfg(feature = "io")]
pub mod inputs_file;
mod policy;

pub use cause::{ButtonAction, Cause, CauseSet, HolsterState, Input, TapGesture};
pub use decision::{Decision, DecisionKind, State};
pub use engine::{Counters, Engine, EngineError, DECISION_QUEUE_CAPACITY};
pub use policy::{Policy, Preset, PresetLevels, Presets, Sensitivities, Sensitivity, TapToggle};
