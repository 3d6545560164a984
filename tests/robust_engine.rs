//! Hostile input through the trigger engine: non-finite audio, inputs whose time goes
//! backwards, a restarted IMU clock, and a caller that forgets to poll. Each is a typed error
//! or a documented degraded behaviour, the engine stays usable, and nothing is lost silently.

use autotrigger::trigger::{
    ButtonAction, Cause, DecisionKind, Engine, EngineError, HolsterState, Input, Policy,
    DECISION_QUEUE_CAPACITY,
};
use autotrigger::{ProcessError, Timestamp};

#[path = "robust_support/signals.rs"]
mod signals;

const RATE: u32 = 16_000;

fn engine() -> Engine {
    Engine::new(&Policy::default(), RATE).unwrap()
}

fn drain(e: &mut Engine) -> Vec<autotrigger::trigger::Decision> {
    std::iter::from_fn(|| e.poll_decision()).collect()
}

#[test]
fn non_finite_audio_then_a_shot_starts_recording() {
    let mut e = engine();
    let mut x = signals::scene(RATE, 12.0, -50.0, &[], 1);
    x[RATE as usize..5 * RATE as usize].fill(f32::NAN);
    x[5 * RATE as usize..6 * RATE as usize].fill(f32::INFINITY);
    let mut rng = signals::Rng::new(2);
    let shot = 8 * RATE as usize;
    signals::add_shot(&mut x, shot, RATE, 4.0, &mut rng);
    let mut out = Vec::new();
    for b in x.chunks(160) {
        e.push_audio_f32(b)
            .expect("non-finite samples are not an error");
        out.extend(drain(&mut e));
    }
    e.finish().unwrap();
    out.extend(drain(&mut e));
    let starts: Vec<_> = out
        .iter()
        .filter(|d| d.kind == DecisionKind::Start)
        .collect();
    assert_eq!(starts.len(), 1, "{out:?}");
    assert_eq!(starts[0].cause, Some(Cause::Gunshot));
    let t = Timestamp::from_samples(shot as u64, RATE);
    assert!(
        starts[0].onset.micros_since(t).abs() <= 20_000,
        "{:?}",
        starts[0]
    );
}

#[test]
fn an_input_back_in_time_is_a_typed_error_and_the_engine_goes_on() {
    let mut e = engine();
    e.push_audio_f32(&vec![0.0; RATE as usize * 5]).unwrap();
    e.push_input(
        Timestamp::from_millis(4_000),
        Input::Button(ButtonAction::Start),
    )
    .unwrap();
    match e.push_input(
        Timestamp::from_millis(3_000),
        Input::Button(ButtonAction::Stop),
    ) {
        Err(EngineError::Process(ProcessError::OutOfOrder {
            previous_us,
            actual_us,
        })) => assert_eq!((previous_us, actual_us), (4_000_000, 3_000_000)),
        other => panic!("expected OutOfOrder, got {other:?}"),
    }
    // The rejected input was dropped; later inputs work.
    e.push_input(
        Timestamp::from_millis(40_000),
        Input::Button(ButtonAction::Stop),
    )
    .unwrap();
    let d = drain(&mut e);
    let kinds: Vec<_> = d.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, [DecisionKind::Start, DecisionKind::Stop], "{d:?}");
}

#[test]
fn a_restarted_imu_clock_is_a_typed_error_and_reset_recovers() {
    let mut e = engine();
    let a = signals::imu_stream(
        Timestamp::from_millis(60_000),
        100,
        &[(signals::Activity::Stand, 5.0)],
        3,
    );
    e.push_imu(&a).unwrap();
    let b = signals::imu_stream(
        Timestamp::ZERO,
        100,
        &[
            (signals::Activity::Stand, 5.0),
            (signals::Activity::Run, 25.0),
        ],
        4,
    );
    assert!(matches!(
        e.push_imu(&b[..50]),
        Err(EngineError::Process(ProcessError::OutOfOrder { .. }))
    ));
    // Documented recovery: reset on a sensor (and stream) restart.
    e.reset();
    for c in b.chunks(7) {
        e.push_imu(c).unwrap();
    }
    e.finish().unwrap();
    let d = drain(&mut e);
    assert!(
        d.iter()
            .any(|d| d.kind == DecisionKind::Start && d.cause == Some(Cause::Running)),
        "{d:?}"
    );
}

#[test]
fn a_caller_that_never_polls_is_told_how_many_decisions_were_lost() {
    let mut e = engine();
    let mut first_full = None;
    let n = DECISION_QUEUE_CAPACITY + 10;
    for i in 0..n {
        // Start/stop pairs far enough apart to be honoured (min recording 30 s).
        let t = Timestamp::from_millis(i as i64 * 40_000);
        let action = if i % 2 == 0 {
            ButtonAction::Start
        } else {
            ButtonAction::Stop
        };
        match e.push_input(t, Input::Button(action)) {
            Ok(()) => {}
            Err(EngineError::QueueFull { queue, dropped }) => {
                assert_eq!(queue, "decision");
                first_full.get_or_insert((i, dropped));
            }
            Err(other) => panic!("{other}"),
        }
    }
    let (i, dropped) = first_full.expect("overflow must be reported");
    assert_eq!(
        i, DECISION_QUEUE_CAPACITY,
        "reported at the first lost decision"
    );
    assert_eq!(dropped, 1);
    // The queued decisions are intact and in order.
    let d = drain(&mut e);
    assert_eq!(d.len(), DECISION_QUEUE_CAPACITY);
    assert!(d.windows(2).all(|w| w[0].seq < w[1].seq));
}

/// Former FINDING (engine, fixed): after the decision queue overflowed once, every later
/// push returned `QueueFull { queue: "decision", dropped }` with the same count, even after
/// the caller had drained the queue and nothing new was lost. A firmware loop that treats an
/// error as a fault stayed in the fault state for the rest of the shift. The engine now
/// reports each overflow once (as for events).
#[test]
fn after_an_overflow_is_drained_pushes_succeed_again() {
    let mut e = engine();
    let n = DECISION_QUEUE_CAPACITY + 10;
    for i in 0..n {
        let t = Timestamp::from_millis(i as i64 * 40_000);
        let action = if i % 2 == 0 {
            ButtonAction::Start
        } else {
            ButtonAction::Stop
        };
        let _ = e.push_input(t, Input::Button(action));
    }
    drain(&mut e);
    let t = Timestamp::from_millis(n as i64 * 40_000);
    e.push_input(t, Input::Holster(HolsterState::Drawn))
        .expect("nothing new was lost");
    e.advance_to(t.add_micros(1_000_000));
    assert!(e.poll_decision().is_some());
}

/// 16-bit PCM is its value / 32768: the same decisions, evidence included, as that f32 audio.
/// A shot in the last 0.2 s of the stream is decided when the stream ends ([`Engine::finish`]).
#[test]
fn i16_audio_decides_as_its_f32_value_and_finish_decides_the_last_shot() {
    let len = 4 * RATE as usize;
    let shots = [RATE as usize, len - RATE as usize / 5];
    let x = signals::scene(RATE, 4.0, -50.0, &shots, 5);
    let pcm: Vec<i16> = x.iter().map(|&v| (v * 32_767.0).round() as i16).collect();
    let back: Vec<f32> = pcm.iter().map(|&s| f32::from(s) / 32_768.0).collect();
    let policy = Policy::from_toml_str("holdoff_s = 0").unwrap();
    let mut a = Engine::new(&policy, RATE).unwrap();
    let mut b = Engine::new(&policy, RATE).unwrap();
    a.push_audio_f32(&back).unwrap();
    b.push_audio_i16(&pcm).unwrap();
    let (mut da, mut db) = (drain(&mut a), drain(&mut b));
    let kinds = |d: &[autotrigger::trigger::Decision]| -> Vec<_> {
        d.iter().map(|d| (d.kind, d.cause)).collect()
    };
    assert_eq!(
        kinds(&da),
        [(DecisionKind::Start, Some(Cause::Gunshot))],
        "{da:?}"
    );
    a.finish().unwrap();
    b.finish().unwrap();
    da.extend(drain(&mut a));
    db.extend(drain(&mut b));
    assert_eq!(
        kinds(&da),
        [
            (DecisionKind::Start, Some(Cause::Gunshot)),
            (DecisionKind::CauseAdded, Some(Cause::Gunshot))
        ],
        "{da:?}"
    );
    assert_eq!(format!("{da:?}"), format!("{db:?}"));
}

/// One long block with more shots than the engine's event queue holds: the engine feeds the
/// detector in 100 ms slices and drains the queue after each, so no event is lost.
#[test]
fn a_long_block_with_many_shots_loses_no_event() {
    let shots: Vec<usize> = (0..14)
        .map(|k| RATE as usize / 2 + k * RATE as usize * 6 / 10)
        .collect();
    let x = signals::scene(RATE, 9.0, -50.0, &shots, 6);
    let mut e = engine();
    e.push_audio_f32(&x)
        .expect("sliced: the event queue cannot overflow");
    e.finish().unwrap();
    let d = drain(&mut e);
    let decided = d.iter().filter(|d| d.cause == Some(Cause::Gunshot)).count() as u64;
    // One start, the other shots within the 15 s hold-off.
    assert_eq!((decided, e.counters().held_off), (1, 13), "{d:?}");
}
