//! One test per policy rule: each rule changes the decisions as documented.

use autotrigger::trigger::{
    ButtonAction, Cause, DecisionKind, Engine, HolsterState, Input, Policy, State, TapGesture,
};
use autotrigger::{ConfigError, Event, EventKind, Evidence, Timestamp};

const RATE: u32 = 16_000;

fn ms(v: i64) -> Timestamp {
    Timestamp::from_millis(v)
}

fn policy(toml: &str) -> Policy {
    Policy::from_toml_str(toml).unwrap()
}

fn engine(toml: &str) -> Engine {
    Engine::new(&policy(toml), RATE).unwrap()
}

fn event(kind: EventKind, decided_ms: i64, confidence: f32) -> Event {
    let mut evidence = Evidence::new();
    evidence.push("level_db", 31.0, Some(20.0));
    Event {
        kind,
        onset: ms(decided_ms - 40),
        decided: ms(decided_ms),
        confidence,
        evidence,
    }
}

/// All queued decisions as `(time ms, kind, cause)`.
fn drain(e: &mut Engine) -> Vec<(i64, DecisionKind, Option<Cause>)> {
    let mut v = Vec::new();
    while let Some(d) = e.poll_decision() {
        v.push((d.at.as_micros() / 1000, d.kind, d.cause));
    }
    v
}

fn holster(e: &mut Engine, t_ms: i64, drawn: bool) {
    let h = if drawn {
        HolsterState::Drawn
    } else {
        HolsterState::Holstered
    };
    e.push_input(ms(t_ms), Input::Holster(h)).unwrap();
}

fn press(e: &mut Engine, t_ms: i64) {
    e.push_input(ms(t_ms), Input::Button(ButtonAction::Press))
        .unwrap();
}

use DecisionKind as K;

#[test]
fn start_on_selects_the_causes_that_start_recording() {
    let mut e = engine("");
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.9))
        .unwrap();
    let d = drain(&mut e);
    assert_eq!(d, vec![(1_000, K::Start, Some(Cause::Gunshot))]);

    let mut e = engine("start_on = [\"holster_draw\"]");
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.9))
        .unwrap();
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.counters().not_enabled, 1);
    // Door is off by default, on when listed.
    let mut e = engine("");
    e.push_input(ms(0), Input::Door(true)).unwrap();
    e.advance_to(ms(1_000));
    assert_eq!(drain(&mut e), vec![]);
    let mut e = engine("start_on = [\"door\"]");
    e.push_input(ms(0), Input::Door(true)).unwrap();
    e.advance_to(ms(1_000));
    assert_eq!(drain(&mut e), vec![(200, K::Start, Some(Cause::Door))]);
}

#[test]
fn every_external_trigger_maps_to_its_cause() {
    for (input, cause, delay) in [
        (Input::Holster(HolsterState::Drawn), Cause::HolsterDraw, 200),
        (Input::LightBar(true), Cause::LightBar, 200),
        (Input::Siren(true), Cause::Siren, 200),
        (Input::Taser(true), Cause::Taser, 200),
        (Input::Crash, Cause::Crash, 0),
        (Input::RadioEmergency, Cause::RadioEmergency, 0),
        (Input::PeerCameraStarted, Cause::PeerCamera, 0),
        (Input::Dispatched, Cause::Dispatch, 0),
    ] {
        let mut e = engine("");
        e.push_input(ms(5_000), input).unwrap();
        e.advance_to(ms(6_000));
        assert_eq!(
            drain(&mut e),
            vec![(5_000 + delay, K::Start, Some(cause))],
            "{input:?}"
        );
    }
}

#[test]
fn sensitivity_preset_sets_the_minimum_confidence() {
    // A level's `min_confidence` gates events; other levels are unaffected.
    let mut e =
        engine("[sensitivity]\ngunshot = \"low\"\n[presets.gunshot.low]\nmin_confidence = 0.6");
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.5))
        .unwrap();
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.counters().below_confidence, 1);
    e.push_event(&event(EventKind::Gunshot, 2_000, 0.7))
        .unwrap();
    assert_eq!(drain(&mut e), vec![(2_000, K::Start, Some(Cause::Gunshot))]);

    let mut e =
        engine("[sensitivity]\ngunshot = \"medium\"\n[presets.gunshot.low]\nmin_confidence = 0.6");
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.5))
        .unwrap();
    assert_eq!(drain(&mut e), vec![(1_000, K::Start, Some(Cause::Gunshot))]);
    // The fall preset also governs officer-down events.
    let mut e = engine("[sensitivity]\nfall = \"high\"\n[presets.fall.high]\nmin_confidence = 0.9");
    e.push_event(&event(EventKind::OfficerDown, 1_000, 0.8))
        .unwrap();
    assert_eq!(drain(&mut e), vec![]);
}

/// The first numeric key of a detector section of the default configuration, so the test
/// does not depend on the detectors' parameter names.
fn first_numeric_key(section: &str) -> Option<(String, f64)> {
    let t = toml::Table::try_from(autotrigger::Config::default()).unwrap();
    let s = t.get(section)?.as_table()?;
    s.iter()
        .find_map(|(k, v)| v.as_float().map(|f| (k.clone(), f)))
}

#[test]
fn preset_overlays_and_raw_overrides_reach_the_detector_config() {
    let Some((key, default)) = first_numeric_key("gunshot") else {
        panic!("the gunshot config has no float parameter");
    };
    let tweaked = if default == 0.0 { 0.5 } else { default * 0.9 };
    let p = policy(&format!(
        "[sensitivity]\ngunshot = \"high\"\n[presets.gunshot.high.config]\n{key} = {tweaked:?}\n"
    ));
    let c = toml::Table::try_from(p.detector_config().unwrap()).unwrap();
    assert_eq!(c["gunshot"][&key].as_float(), Some(tweaked));
    // At medium the overlay of `high` does not apply.
    let p2 = policy(&format!(
        "[presets.gunshot.high.config]\n{key} = {tweaked:?}\n"
    ));
    assert_eq!(
        p2.detector_config().unwrap(),
        autotrigger::Config::default()
    );
    // Raw overrides win over presets.
    let raw = if default == 0.0 { 0.25 } else { default * 0.8 };
    let p3 = policy(&format!(
        "[sensitivity]\ngunshot = \"high\"\n[presets.gunshot.high.config]\n{key} = {tweaked:?}\n[config.gunshot]\n{key} = {raw:?}\n"
    ));
    let c = toml::Table::try_from(p3.detector_config().unwrap()).unwrap();
    assert_eq!(c["gunshot"][&key].as_float(), Some(raw));
    assert_ne!(p.hash_hex(), p3.hash_hex());
    // Out-of-range raw values are typed errors naming the parameter.
    let e = Policy::from_toml_str(&format!("[config.gunshot]\n{key} = -1e30\n")).unwrap_err();
    assert!(matches!(e, ConfigError::OutOfRange { .. }), "{e}");
}

#[test]
fn debounce_drops_short_pulses_on_both_edges() {
    let mut e = engine("");
    // A 150 ms bounce: not a draw.
    holster(&mut e, 1_000, true);
    holster(&mut e, 1_150, false);
    e.advance_to(ms(3_000));
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.counters().bounced, 1);
    // Held 200 ms: a draw, decided after the debounce, onset at the raw edge.
    holster(&mut e, 4_000, true);
    e.advance_to(ms(4_199));
    assert_eq!(drain(&mut e), vec![]);
    e.advance_to(ms(4_200));
    let d = e.poll_decision().unwrap();
    assert_eq!((d.kind, d.at, d.onset), (K::Start, ms(4_200), ms(4_000)));
    assert_eq!(d.evidence.get("held_s").unwrap().threshold, Some(0.2));
    // The release edge is debounced too: a 100 ms re-holster glitch does not re-arm a draw.
    let mut e = engine("holdoff_s = 0");
    holster(&mut e, 1_000, true);
    holster(&mut e, 2_000, false);
    holster(&mut e, 2_100, true);
    e.advance_to(ms(5_000));
    assert_eq!(
        drain(&mut e),
        vec![(1_200, K::Start, Some(Cause::HolsterDraw))]
    );
    // With debounce 0 an edge is taken at once.
    let mut e = engine("debounce_s = 0");
    holster(&mut e, 1_000, true);
    assert_eq!(
        drain(&mut e),
        vec![(1_000, K::Start, Some(Cause::HolsterDraw))]
    );
}

#[test]
fn holdoff_drops_repeated_triggers_of_the_same_cause() {
    let mut e = engine("holdoff_s = 15");
    holster(&mut e, 0, true);
    holster(&mut e, 3_000, false);
    holster(&mut e, 6_000, true); // within 15 s of the first draw: dropped
    holster(&mut e, 9_000, false);
    holster(&mut e, 20_000, true); // 20 s after: accepted
    e.advance_to(ms(21_000));
    let first = e.poll_decision().unwrap();
    assert!(first.evidence.get("since_last_s").is_none());
    let second = e.poll_decision().unwrap();
    // The hold-off comparison is part of the evidence.
    let item = second.evidence.get("since_last_s").unwrap();
    assert_eq!((item.value, item.threshold), (20.0, Some(15.0)));
    e.push_input(ms(20_500), Input::Holster(HolsterState::Holstered))
        .unwrap();
    holster(&mut e, 21_500, true);
    e.advance_to(ms(22_000));
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(
        [first, second]
            .map(|d| (d.at.as_micros() / 1000, d.kind, d.cause))
            .to_vec(),
        vec![
            (200, K::Start, Some(Cause::HolsterDraw)),
            (20_200, K::CauseAdded, Some(Cause::HolsterDraw)),
        ]
    );
    assert_eq!(e.counters().held_off, 2);
    // Other causes are not held off by it.
    e.push_event(&event(EventKind::Gunshot, 21_500, 0.9))
        .unwrap();
    assert_eq!(
        drain(&mut e),
        vec![(21_500, K::CauseAdded, Some(Cause::Gunshot))]
    );
    // With hold-off 0 both draws count.
    let mut e = engine("holdoff_s = 0");
    holster(&mut e, 0, true);
    holster(&mut e, 3_000, false);
    holster(&mut e, 6_000, true);
    e.advance_to(ms(7_000));
    assert_eq!(drain(&mut e).len(), 2);
}

#[test]
fn cancel_window_lets_the_officer_mark_an_automatic_start_false() {
    let mut e = engine("cancel_window_s = 20");
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.9))
        .unwrap();
    assert_eq!(e.state(), State::CancelWindow);
    press(&mut e, 10_000);
    let d = drain(&mut e);
    assert_eq!(d[1], (10_000, K::CancelAccepted, Some(Cause::Button)));
    assert_eq!(e.state(), State::Buffering);
    // After the window the same press is a stop request (honoured: 30 s minimum passed).
    let mut e = engine("cancel_window_s = 20");
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.9))
        .unwrap();
    e.advance_to(ms(21_000));
    assert_eq!(e.state(), State::Recording);
    press(&mut e, 40_000);
    assert_eq!(drain(&mut e)[1], (40_000, K::Stop, Some(Cause::Button)));
    // An explicit cancel after the window is refused and recording goes on.
    let mut e = engine("cancel_window_s = 5");
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.9))
        .unwrap();
    e.push_input(ms(7_000), Input::Button(ButtonAction::Cancel))
        .unwrap();
    assert_eq!(
        drain(&mut e)[1],
        (7_000, K::CancelRefused, Some(Cause::Button))
    );
    assert_eq!(e.state(), State::Recording);
    // A manual start has no cancel window.
    let mut e = engine("");
    press(&mut e, 1_000);
    assert_eq!(e.state(), State::Recording);
    e.push_input(ms(2_000), Input::Button(ButtonAction::Cancel))
        .unwrap();
    assert_eq!(drain(&mut e)[1].1, K::CancelRefused);
}

#[test]
fn minimum_recording_time_before_a_manual_stop() {
    let mut e = engine("min_recording_s = 60\ncancel_window_s = 0");
    press(&mut e, 0);
    press(&mut e, 30_000);
    press(&mut e, 60_000);
    assert_eq!(
        drain(&mut e),
        vec![
            (0, K::Start, Some(Cause::Button)),
            (30_000, K::StopRefused, Some(Cause::Button)),
            (60_000, K::Stop, Some(Cause::Button)),
        ]
    );
    let mut e = engine("min_recording_s = 0");
    press(&mut e, 0);
    e.push_input(ms(1), Input::Button(ButtonAction::Stop))
        .unwrap();
    assert_eq!(drain(&mut e)[1].1, K::Stop);
}

#[test]
fn sleep_suppresses_automatic_causes_but_not_manual_ones() {
    let mut e = engine("");
    e.push_input(ms(0), Input::Sleep(true)).unwrap();
    assert_eq!(e.state(), State::Sleep);
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.9))
        .unwrap();
    holster(&mut e, 2_000, true);
    e.advance_to(ms(3_000));
    assert_eq!(
        drain(&mut e),
        vec![
            (0, K::SleepEntered, None),
            (1_000, K::Suppressed, Some(Cause::Gunshot)),
            (2_200, K::Suppressed, Some(Cause::HolsterDraw)),
        ]
    );
    e.push_input(ms(4_000), Input::RadioEmergency).unwrap();
    assert_eq!(
        drain(&mut e),
        vec![(4_000, K::Start, Some(Cause::RadioEmergency))]
    );
    assert_eq!(e.state(), State::Recording);
    let mut e = engine("start_in_sleep = true");
    assert_eq!(e.state(), State::Sleep);
    press(&mut e, 1_000);
    assert_eq!(drain(&mut e), vec![(1_000, K::Start, Some(Cause::Button))]);
    // Waking up restores automatic starts.
    let mut e = engine("start_in_sleep = true");
    e.push_input(ms(500), Input::Sleep(false)).unwrap();
    e.push_event(&event(EventKind::Running, 1_000, 0.9))
        .unwrap();
    assert_eq!(
        drain(&mut e),
        vec![
            (500, K::SleepExited, None),
            (1_000, K::Start, Some(Cause::Running))
        ]
    );
}

#[test]
fn tap_toggle_selects_the_gesture() {
    // Default: double tap toggles, single taps are ignored.
    let mut e = engine("min_recording_s = 0");
    e.push_event(&event(EventKind::Tap, 1_000, 0.9)).unwrap();
    e.push_event(&event(EventKind::DoubleTap, 2_000, 0.9))
        .unwrap();
    e.push_input(ms(3_000), Input::Tap(TapGesture::Double))
        .unwrap();
    assert_eq!(
        drain(&mut e),
        vec![
            (2_000, K::Start, Some(Cause::DoubleTap)),
            (3_000, K::Stop, Some(Cause::DoubleTap)),
        ]
    );
    let mut e = engine("tap_toggle = \"tap\"");
    e.push_event(&event(EventKind::Tap, 1_000, 0.9)).unwrap();
    assert_eq!(drain(&mut e), vec![(1_000, K::Start, Some(Cause::Tap))]);
    let mut e = engine("tap_toggle = \"off\"");
    e.push_event(&event(EventKind::DoubleTap, 1_000, 0.9))
        .unwrap();
    e.push_input(ms(2_000), Input::Tap(TapGesture::Single))
        .unwrap();
    assert_eq!(drain(&mut e), vec![]);
}

#[test]
fn pre_event_buffer_sets_keep_from_and_must_cover_the_delay() {
    let mut e = engine("pre_event_s = 120");
    e.push_event(&event(EventKind::Gunshot, 200_000, 0.9))
        .unwrap();
    let d = e.poll_decision().unwrap();
    assert_eq!(d.onset, ms(199_960));
    assert_eq!(d.keep_from, ms(200_000 - 120_000));
    assert_eq!(d.pre_event_us(), 119_960_000);
    let e = Engine::new(&policy("pre_event_s = 0.1\ndebounce_s = 0.2"), RATE).unwrap_err();
    assert!(
        matches!(
            e,
            ConfigError::Inconsistent {
                param: "pre_event_s",
                ..
            }
        ),
        "{e}"
    );
    let e = Policy::from_toml_str("pre_event_s = 121").unwrap_err();
    assert!(matches!(
        e,
        ConfigError::OutOfRange {
            param: "pre_event_s",
            ..
        }
    ));
}

#[test]
fn officer_down_raises_an_alert_and_starts_recording() {
    let mut e = engine("");
    e.push_event(&event(EventKind::Fall, 1_000, 0.9)).unwrap();
    e.push_event(&event(EventKind::OfficerDown, 31_000, 0.9))
        .unwrap();
    assert!(e.officer_down());
    e.push_event(&event(EventKind::OfficerDownCancelled, 40_000, 0.9))
        .unwrap();
    assert!(!e.officer_down());
    assert_eq!(
        drain(&mut e),
        vec![
            (1_000, K::Start, Some(Cause::Fall)),
            (31_000, K::OfficerDownAlert, Some(Cause::OfficerDown)),
            (31_000, K::CauseAdded, Some(Cause::OfficerDown)),
            (40_000, K::OfficerDownCleared, Some(Cause::OfficerDown)),
        ]
    );
    let mut e = engine("officer_down_alert = false");
    e.push_event(&event(EventKind::OfficerDown, 1_000, 0.9))
        .unwrap();
    assert_eq!(
        drain(&mut e),
        vec![(1_000, K::Start, Some(Cause::OfficerDown))]
    );
    // In sleep mode the alert is still raised; recording is not started.
    let mut e = engine("start_in_sleep = true");
    e.push_event(&event(EventKind::OfficerDown, 1_000, 0.9))
        .unwrap();
    assert_eq!(
        drain(&mut e),
        vec![
            (1_000, K::OfficerDownAlert, Some(Cause::OfficerDown)),
            (1_000, K::Suppressed, Some(Cause::OfficerDown)),
        ]
    );
}

#[test]
fn decisions_carry_evidence_and_state() {
    let mut e = engine("");
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.93))
        .unwrap();
    let d = e.poll_decision().unwrap();
    assert_eq!(d.confidence, 0.93);
    assert_eq!(d.evidence.get("level_db").unwrap().threshold, Some(20.0));
    assert_eq!(d.state, State::CancelWindow);
    let j = serde_json::to_value(d).unwrap();
    assert_eq!(j["decision"], "start");
    assert_eq!(j["cause"], "gunshot");
    assert_eq!(j["state"], "cancel_window");
    assert_eq!(j["evidence"]["level_db"]["threshold"], 20.0);
    assert_eq!(j["keep_from_s"], 1.0 - 30.0);
}

#[test]
fn inputs_out_of_order_are_typed_errors_and_change_nothing() {
    let mut e = engine("");
    holster(&mut e, 5_000, true);
    let r = e.push_input(ms(4_000), Input::Crash);
    assert!(matches!(
        r,
        Err(autotrigger::trigger::EngineError::Process(
            autotrigger::ProcessError::OutOfOrder { .. }
        ))
    ));
    e.advance_to(ms(6_000));
    assert_eq!(
        drain(&mut e),
        vec![(5_200, K::Start, Some(Cause::HolsterDraw))]
    );
}

#[test]
fn audio_time_follows_the_samples_pushed_in_any_format() {
    let mut a = engine("");
    let mut b = engine("");
    a.push_audio_f32(&vec![0.0; 16_000 * 3 + 7]).unwrap();
    for _ in 0..300 {
        b.push_audio_i16(&[0i16; 160]).unwrap();
    }
    b.push_audio_i16(&[i16::MIN; 7]).unwrap();
    assert_eq!(a.clock(), b.clock());
    assert_eq!(a.clock(), Timestamp::from_samples(48_007, RATE));
    // A debounce completes as audio time passes.
    holster(&mut a, 3_100, true);
    a.push_audio_f32(&[0.0; 4_800]).unwrap(); // up to 3.3004 s
    assert_eq!(
        drain(&mut a),
        vec![(3_300, K::Start, Some(Cause::HolsterDraw))]
    );
}

#[test]
fn reset_equals_fresh() {
    let mut e = engine("");
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.9))
        .unwrap();
    e.push_input(ms(2_000), Input::Sleep(true)).unwrap();
    e.reset();
    assert_eq!(e.state(), State::Buffering);
    assert!(e.poll_decision().is_none());
    e.push_event(&event(EventKind::Gunshot, 500, 0.9)).unwrap();
    let d = e.poll_decision().unwrap();
    assert_eq!((d.seq, d.kind), (0, K::Start));
}

/// Each timing rule is exact at its threshold: the cancel window is open before
/// `start + cancel_window_s` and closed at it, a trigger exactly `holdoff_s` after the last one
/// is taken, a confidence equal to the minimum is enough.
#[test]
fn rules_are_exact_at_their_thresholds() {
    let mut e = engine("cancel_window_s = 20");
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.9))
        .unwrap();
    e.advance_to(ms(20_999));
    assert_eq!(e.state(), State::CancelWindow);
    e.advance_to(ms(21_000));
    assert_eq!(e.state(), State::Recording);
    e.push_input(ms(21_000), Input::Button(ButtonAction::Cancel))
        .unwrap();
    assert_eq!(
        drain(&mut e)[1],
        (21_000, K::CancelRefused, Some(Cause::Button))
    );
    assert_eq!(e.state(), State::Recording);

    let mut e = engine("holdoff_s = 15");
    holster(&mut e, 0, true);
    holster(&mut e, 3_000, false);
    holster(&mut e, 15_000, true); // decided at 15.2 s, 15 s after the first (0.2 s)
    e.advance_to(ms(16_000));
    assert_eq!(
        drain(&mut e),
        vec![
            (200, K::Start, Some(Cause::HolsterDraw)),
            (15_200, K::CauseAdded, Some(Cause::HolsterDraw)),
        ]
    );

    let mut e =
        engine("[sensitivity]\ngunshot = \"low\"\n[presets.gunshot.low]\nmin_confidence = 0.5");
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.5))
        .unwrap();
    assert_eq!(drain(&mut e), vec![(1_000, K::Start, Some(Cause::Gunshot))]);
    // A NaN confidence is no evidence, whatever the minimum.
    let mut e =
        engine("[sensitivity]\ngunshot = \"low\"\n[presets.gunshot.low]\nmin_confidence = 0");
    e.push_event(&event(EventKind::Gunshot, 1_000, f32::NAN))
        .unwrap();
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.counters().below_confidence, 1);
}

/// Inputs at the same time are in order (non-decreasing), and level edges that become due
/// together are confirmed in time order, ties in the order of the sensors.
#[test]
fn simultaneous_inputs_and_due_edges_keep_their_order() {
    let mut e = engine("");
    e.push_input(ms(5_000), Input::Crash).unwrap();
    e.push_input(ms(5_000), Input::RadioEmergency).unwrap();
    assert_eq!(
        drain(&mut e),
        vec![
            (5_000, K::Start, Some(Cause::Crash)),
            (5_000, K::CauseAdded, Some(Cause::RadioEmergency)),
        ]
    );
    // Siren before holster by 100 ms, both confirmed by one clock step.
    let mut e = engine("");
    e.push_input(ms(1_000), Input::Siren(true)).unwrap();
    holster(&mut e, 1_100, true);
    e.advance_to(ms(2_000));
    assert_eq!(
        drain(&mut e),
        vec![
            (1_200, K::Start, Some(Cause::Siren)),
            (1_300, K::CauseAdded, Some(Cause::HolsterDraw)),
        ]
    );
    // Same edge time: holster (the first sensor) before the siren.
    let mut e = engine("");
    e.push_input(ms(1_000), Input::Siren(true)).unwrap();
    holster(&mut e, 1_000, true);
    e.advance_to(ms(2_000));
    assert_eq!(
        drain(&mut e),
        vec![
            (1_200, K::Start, Some(Cause::HolsterDraw)),
            (1_200, K::CauseAdded, Some(Cause::Siren)),
        ]
    );
}

/// The evidence of rule decisions: the measured time against the rule's threshold, in
/// seconds; a momentary input is its own evidence, a sleep change says whether it was
/// recording.
#[test]
fn rule_evidence_is_in_seconds() {
    let close = |a: f32, b: f32| (a - b).abs() < 1e-6;
    let mut e = engine("min_recording_s = 60");
    holster(&mut e, 1_000, true);
    e.advance_to(ms(1_500));
    let d = e.poll_decision().unwrap();
    let held = d.evidence.get("held_s").unwrap();
    assert!(close(held.value, 0.2), "{held:?}");
    e.push_input(ms(11_200), Input::Button(ButtonAction::Stop))
        .unwrap();
    let d = e.poll_decision().unwrap();
    assert_eq!(d.kind, K::StopRefused);
    let rec = d.evidence.get("recorded_s").unwrap();
    assert!(
        close(rec.value, 10.0) && rec.threshold == Some(60.0),
        "{rec:?}"
    );

    let mut e = engine("cancel_window_s = 20");
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.9))
        .unwrap();
    e.push_input(ms(6_000), Input::Button(ButtonAction::Cancel))
        .unwrap();
    let d = drain_decisions(&mut e).pop().unwrap();
    assert_eq!(d.kind, K::CancelAccepted);
    let since = d.evidence.get("since_start_s").unwrap();
    assert!(
        close(since.value, 5.0) && since.threshold == Some(20.0),
        "{since:?}"
    );

    let mut e = engine("");
    e.push_input(ms(1_000), Input::Crash).unwrap();
    e.push_input(ms(2_000), Input::Sleep(true)).unwrap();
    let d = drain_decisions(&mut e);
    let crash = d[0].evidence.get("crash").unwrap();
    assert_eq!((crash.value, crash.threshold), (1.0, None));
    assert_eq!(d[1].kind, K::SleepEntered);
    let items: Vec<_> = d[1]
        .evidence
        .items()
        .iter()
        .map(|i| (i.name, i.value))
        .collect();
    assert_eq!(items, vec![("recording", 1.0)]);
}

fn drain_decisions(e: &mut Engine) -> Vec<autotrigger::trigger::Decision> {
    std::iter::from_fn(|| e.poll_decision()).collect()
}

/// Commands that mean nothing in the current state are counted, not decided.
#[test]
fn meaningless_commands_are_counted_as_no_ops() {
    let mut e = engine("");
    e.push_input(ms(1_000), Input::Button(ButtonAction::Stop))
        .unwrap();
    e.push_input(ms(2_000), Input::Button(ButtonAction::Cancel))
        .unwrap();
    e.push_input(ms(3_000), Input::Sleep(false)).unwrap();
    e.push_event(&event(EventKind::OfficerDownCancelled, 4_000, 1.0))
        .unwrap();
    assert_eq!(drain(&mut e), vec![]);
    assert_eq!(e.counters().no_op, 4);
}

/// What the engine reports about itself: queued decisions, the causes of the recording, its
/// longest decision delay.
#[test]
fn engine_reports_its_queue_causes_and_latency() {
    let mut e = engine("");
    assert_eq!(e.pending_decisions(), 0);
    assert!(e.recording_causes().is_empty());
    e.push_event(&event(EventKind::Gunshot, 1_000, 0.9))
        .unwrap();
    holster(&mut e, 2_000, true);
    e.advance_to(ms(3_000));
    assert_eq!(e.pending_decisions(), 2);
    let causes = e.recording_causes();
    assert!(causes.contains(Cause::Gunshot) && causes.contains(Cause::HolsterDraw));
    assert!(!causes.contains(Cause::Fall));
    e.poll_decision().unwrap();
    assert_eq!(e.pending_decisions(), 1);
    // The debounce is the longest delay when it is the longest.
    let e = engine("debounce_s = 5");
    assert!(e.latency_us() >= 5_000_000, "{}", e.latency_us());
}

/// A pressure sample the barometer cannot use is a typed error; the engine goes on.
#[test]
fn bad_pressure_samples_are_typed_errors() {
    use autotrigger::imu::PressureSample;
    let mut e = engine("");
    let p = |t_ms: i64, hpa: f32| PressureSample { t: ms(t_ms), hpa };
    e.push_pressure(&[p(1_000, 1013.0), p(1_040, 1013.0)])
        .unwrap();
    assert!(matches!(
        e.push_pressure(&[p(500, 1013.0)]),
        Err(autotrigger::trigger::EngineError::Process(_))
    ));
    assert!(e.push_pressure(&[p(2_000, f32::NAN)]).is_err());
    e.push_pressure(&[p(3_000, 1013.0)]).unwrap();
}
