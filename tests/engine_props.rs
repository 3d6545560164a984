//! Property tests of the state machine: for any input timing and any policy,
//! no double start, every start has a cause, debounce and hold-off hold, sleep suppresses
//! automatic causes but never manual ones. The debounce is checked against a slow,
//! declarative reference (runs of the raw level).

use autotrigger::trigger::{
    ButtonAction, Cause, Decision, DecisionKind, Engine, HolsterState, Input, Policy, State,
    TapGesture,
};
use autotrigger::{Event, EventKind, Evidence, Timestamp};
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
enum Stim {
    In(Input),
    Ev(EventKind, f32),
}

fn stim() -> impl Strategy<Value = Stim> {
    prop_oneof![
        3 => any::<bool>().prop_map(|d| Stim::In(Input::Holster(if d { HolsterState::Drawn } else { HolsterState::Holstered }))),
        2 => any::<bool>().prop_map(|b| Stim::In(Input::LightBar(b))),
        2 => prop_oneof![
            Just(ButtonAction::Press),
            Just(ButtonAction::Start),
            Just(ButtonAction::Stop),
            Just(ButtonAction::Cancel)
        ]
        .prop_map(|a| Stim::In(Input::Button(a))),
        1 => any::<bool>().prop_map(|b| Stim::In(Input::Sleep(b))),
        1 => Just(Stim::In(Input::Tap(TapGesture::Double))),
        1 => Just(Stim::In(Input::RadioEmergency)),
        1 => Just(Stim::In(Input::Crash)),
        2 => (0.0f32..1.0).prop_map(|c| Stim::Ev(EventKind::Gunshot, c)),
        1 => (0.0f32..1.0).prop_map(|c| Stim::Ev(EventKind::Fall, c)),
        1 => (0.0f32..1.0).prop_map(|c| Stim::Ev(EventKind::OfficerDown, c)),
        1 => Just(Stim::Ev(EventKind::OfficerDownCancelled, 1.0)),
    ]
}

/// Inter-stimulus gaps: many shorter than a debounce, some longer than a hold-off.
fn gaps() -> impl Strategy<Value = i64> {
    prop_oneof![
        (0i64..10).prop_map(|k| k * 100_000),
        0i64..400_000,
        0i64..40_000_000
    ]
}

fn policy() -> impl Strategy<Value = Policy> {
    (0u32..=10, 0u32..=20, 0u32..=30, 0u32..=60, any::<bool>()).prop_map(
        |(deb, hold, cancel, minrec, sleep)| Policy {
            debounce_s: f64::from(deb) * 0.1,
            holdoff_s: f64::from(hold),
            cancel_window_s: f64::from(cancel),
            min_recording_s: f64::from(minrec),
            start_in_sleep: sleep,
            pre_event_s: 30.0,
            ..Policy::default()
        },
    )
}

fn run(policy: &Policy, script: &[(i64, Stim)], end: Timestamp) -> Vec<Decision> {
    let mut e = Engine::new(policy, 16_000).unwrap();
    let mut out = Vec::new();
    for &(t, s) in script {
        let t = Timestamp(t);
        match s {
            Stim::In(i) => e.push_input(t, i).unwrap(),
            Stim::Ev(kind, confidence) => {
                let mut evidence = Evidence::new();
                evidence.push("x", confidence, Some(0.5));
                let ev = Event {
                    kind,
                    onset: t.add_micros(-10_000),
                    decided: t,
                    confidence,
                    evidence,
                };
                e.push_event(&ev).unwrap();
            }
        }
        while let Some(d) = e.poll_decision() {
            out.push(d);
        }
    }
    e.advance_to(end);
    while let Some(d) = e.poll_decision() {
        out.push(d);
    }
    out
}

/// Slow reference debounce: the raw level is piecewise constant between reports; a run of
/// the active level that lasts at least `debounce_us` (the next report of the other level
/// comes no earlier than `start + debounce_us`, or the stream ends no earlier) is accepted at
/// `start + debounce_us`, if the accepted level was inactive. Returns `(onset, accepted)`.
fn reference_debounce(edges: &[(i64, bool)], debounce_us: i64, end: i64) -> Vec<(i64, i64)> {
    // Maximal runs of equal raw level.
    let mut runs: Vec<(i64, bool)> = Vec::new();
    for &(t, l) in edges {
        if runs.last().is_none_or(|r| r.1 != l) {
            runs.push((t, l));
        }
    }
    let mut stable = false;
    let mut accepted = Vec::new();
    for (i, &(start, level)) in runs.iter().enumerate() {
        let run_end = runs.get(i + 1).map_or(end, |r| r.0);
        let held_enough = run_end >= start + debounce_us;
        if held_enough && level != stable {
            stable = level;
            if level {
                accepted.push((start, start + debounce_us));
            }
        }
    }
    accepted
}

fn script_from(gaps: &[i64], stims: &[Stim]) -> Vec<(i64, Stim)> {
    let mut t = 0i64;
    gaps.iter()
        .zip(stims)
        .map(|(&g, &s)| {
            t += g;
            (t, s)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn invariants_hold_for_any_timing(
        p in policy(),
        g in prop::collection::vec(gaps(), 1..60),
        s in prop::collection::vec(stim(), 60),
    ) {
        let script = script_from(&g, &s);
        let end = Timestamp(script.last().unwrap().0 + 60_000_000);
        let ds = run(&p, &script, end);
        let holdoff = (p.holdoff_s * 1e6).round() as i64;

        let mut recording = false;
        let mut sleep = p.start_in_sleep;
        let mut last_at = Timestamp(i64::MIN);
        let mut last_trigger = std::collections::HashMap::new();
        for (i, d) in ds.iter().enumerate() {
            prop_assert_eq!(d.seq, i as u64, "sequence numbers without gaps");
            prop_assert!(d.at >= last_at, "decisions in time order");
            last_at = d.at;
            match d.kind {
                DecisionKind::Start => {
                    prop_assert!(!recording, "double start at {:?}", d);
                    let c = d.cause;
                    prop_assert!(c.is_some(), "start without a cause");
                    let c = c.unwrap();
                    prop_assert!(!sleep || c.is_manual(), "automatic start in sleep: {:?}", d);
                    prop_assert_eq!(d.keep_from, d.at.add_micros(-30_000_000));
                    prop_assert!(d.onset >= d.keep_from, "onset outside the kept video: {:?}", d);
                    recording = true;
                    let want = if c.is_manual() || p.cancel_window_s == 0.0 { State::Recording } else { State::CancelWindow };
                    prop_assert_eq!(d.state, want);
                }
                DecisionKind::CauseAdded | DecisionKind::StopRefused | DecisionKind::CancelRefused => {
                    prop_assert!(recording, "{:?} while not recording", d);
                    prop_assert!(d.state.is_recording());
                }
                DecisionKind::Stop | DecisionKind::CancelAccepted => {
                    prop_assert!(recording, "{:?} while not recording", d);
                    recording = false;
                    prop_assert!(!d.state.is_recording());
                }
                DecisionKind::Suppressed => {
                    prop_assert!(sleep && !recording, "suppressed outside sleep: {:?}", d);
                    prop_assert!(!d.cause.unwrap().is_manual(), "manual cause suppressed");
                    prop_assert_eq!(d.state, State::Sleep);
                }
                DecisionKind::SleepEntered => sleep = true,
                DecisionKind::SleepExited => sleep = false,
                _ => {}
            }
            // Hold-off: triggers of one cause are at least holdoff apart.
            if matches!(d.kind, DecisionKind::Start | DecisionKind::CauseAdded | DecisionKind::Suppressed) {
                let c = d.cause.unwrap();
                if !c.is_command() {
                    if let Some(&prev) = last_trigger.get(&c) {
                        prop_assert!(d.at.micros_since(prev) >= holdoff, "hold-off violated for {}", c);
                    }
                    last_trigger.insert(c, d.at);
                }
            }
        }

        // Manual commands are never lost: every button press or start gets a decision with
        // cause `button` at its time.
        for &(t, st) in &script {
            if let Stim::In(Input::Button(ButtonAction::Press | ButtonAction::Start)) = st {
                prop_assert!(
                    ds.iter().any(|d| d.at == Timestamp(t) && d.cause == Some(Cause::Button)),
                    "button at {} lost", t
                );
            }
        }
    }

    #[test]
    fn debounce_matches_the_reference(
        deb in 0u32..=10,
        // Multiples of 50 ms hit the debounce boundary exactly (debounces are multiples of 50 ms).
        g in prop::collection::vec(prop_oneof![(0i64..8).prop_map(|k| k * 50_000), 0i64..300_000, 0i64..3_000_000], 1..80),
        levels in prop::collection::vec(any::<bool>(), 80),
    ) {
        let p = Policy { debounce_s: f64::from(deb) * 0.05, holdoff_s: 0.0, ..Policy::default() };
        let debounce_us = (p.debounce_s * 1e6).round() as i64;
        let stims: Vec<Stim> = levels.iter().map(|&d| Stim::In(Input::Holster(if d { HolsterState::Drawn } else { HolsterState::Holstered }))).collect();
        let script = script_from(&g, &stims);
        let end = script.last().unwrap().0 + 1_000_000;
        let ds = run(&p, &script, Timestamp(end));
        let got: Vec<(i64, i64)> = ds
            .iter()
            .filter(|d| d.cause == Some(Cause::HolsterDraw))
            .map(|d| (d.onset.as_micros(), d.at.as_micros()))
            .collect();
        let edges: Vec<(i64, bool)> = script.iter().map(|&(t, s)| (t, matches!(s, Stim::In(Input::Holster(HolsterState::Drawn))))).collect();
        prop_assert_eq!(got, reference_debounce(&edges, debounce_us, end));
    }
}
