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
