//! A whole incident through the engine with the real detectors, built in memory with
//! `autotrigger::synth` (deterministic): patrol walk with the light bar on, a foot pursuit, a
//! holster draw, a gunshot, a fall, and lying still past the officer-down time. The engine
//! must start once (on the light bar), then add each later cause in order, each with
//! evidence, and raise the officer-down alert.

use autotrigger::imu::ImuSample;
use autotrigger::synth::audio::{AudioScene, Gunshot, NoiseColor, Sound};
use autotrigger::synth::imu::{FallDirection, ImuScene, Mounting, Timing};
use autotrigger::synth::Rng;
use autotrigger::trigger::{Cause, Decision, DecisionKind, Engine, HolsterState, Input, Policy};
use autotrigger::Timestamp;

const RATE: u32 = 16_000;

struct Incident {
    audio: Vec<f32>,
    imu: Vec<ImuSample>,
    inputs: Vec<(Timestamp, Input)>,
    gunshot_s: f64,
}

fn incident(seed: u64) -> Incident {
    let mut rng = Rng::new(seed);
    let mut scene = ImuScene::new(rng.fork());
    scene
        .stand(5.0)
        .walk(20.0, 110.0, 1.8)
        .run(15.0, 170.0, 4.0)
        .stand(8.0)
        .fall(FallDirection::Forward, 6.0)
        .lie(40.0);
    let (imu, _) = scene.render(
        100.0,
        Mounting::from_euler_deg(0.0, 0.0, 0.0),
        Timing::Regular,
    );
    let duration = scene.duration();
    let gunshot_s = 46.0;
    let mut a = AudioScene::new(RATE, duration);
    a.add_noise(NoiseColor::Street, -45.0, &mut rng);
    a.add(gunshot_s, &Sound::Gunshot(Gunshot::default()), &mut rng);
    let (audio, _) = a.finish();
    let inputs = vec![
        (Timestamp::from_secs_f64(3.0), Input::LightBar(true)),
        (
            Timestamp::from_secs_f64(42.0),
            Input::Holster(HolsterState::Drawn),
        ),
    ];
    Incident {
        audio,
        imu,
        inputs,
        gunshot_s,
    }
}

/// Feeds the streams interleaved in 10 ms steps, inputs at their own times.
fn run(policy: &Policy, inc: &Incident) -> Vec<Decision> {
    let mut e = Engine::new(policy, RATE).unwrap();
    let mut out = Vec::new();
    let step = (RATE / 100) as usize;
    let (mut ii, mut ni) = (0, 0);
    for (k, block) in inc.audio.chunks(step).enumerate() {
        let end = Timestamp::from_samples(((k + 1) * step) as u64, RATE);
        while ni < inc.inputs.len() && inc.inputs[ni].0 < end {
            e.push_input(inc.inputs[ni].0, inc.inputs[ni].1).unwrap();
            ni += 1;
        }
        let stop = ii + inc.imu[ii..].partition_point(|s| s.t < end);
        e.push_imu(&inc.imu[ii..stop]).unwrap();
        ii = stop;
        e.push_audio_f32(block).unwrap();
        while let Some(d) = e.poll_decision() {
            out.push(d);
        }
    }
    e.push_imu(&inc.imu[ii..]).unwrap();
    e.finish().unwrap();
    while let Some(d) = e.poll_decision() {
        out.push(d);
    }
    out
}

#[test]
fn the_incident_gives_the_expected_decisions_in_order() {
    let inc = incident(2026);
    let ds = run(&Policy::default(), &inc);
    for d in &ds {
        eprintln!(
            "{:>8.3} {:<20} {:<14} onset {:>8.3} {}",
            d.at.as_secs_f64(),
            d.kind.as_str(),
            d.cause.map_or("-", Cause::as_str),
            d.onset.as_secs_f64(),
            serde_json::to_string(&d.evidence).unwrap()
        );
    }
    let got: Vec<(DecisionKind, Option<Cause>)> = ds.iter().map(|d| (d.kind, d.cause)).collect();
    use Cause as C;
    use DecisionKind as K;
    assert_eq!(
        got,
        vec![
            (K::Start, Some(C::LightBar)),
            (K::CauseAdded, Some(C::Running)),
            (K::CauseAdded, Some(C::HolsterDraw)),
            (K::CauseAdded, Some(C::Gunshot)),
            (K::CauseAdded, Some(C::Fall)),
            (K::OfficerDownAlert, Some(C::OfficerDown)),
            (K::CauseAdded, Some(C::OfficerDown)),
        ]
    );
    let at = |c: Cause| ds.iter().find(|d| d.cause == Some(c)).unwrap();
    // Times follow the physics of each cause.
    assert_eq!(at(C::LightBar).at, Timestamp::from_millis(3_200));
    let run = at(C::Running).onset.as_secs_f64();
    // The pursuit starts at 25 s; the running detector dates its onset to the start of its
    // analysis window (`running.window_s`, 2.5 s), so it may come up to that much earlier.
    assert!((22.4..28.0).contains(&run), "running onset {run}");
    assert_eq!(at(C::HolsterDraw).at, Timestamp::from_millis(42_200));
    let shot = at(C::Gunshot).onset.as_secs_f64();
    assert!((shot - inc.gunshot_s).abs() < 0.01, "gunshot onset {shot}");
    let fall = at(C::Fall).onset.as_secs_f64();
    assert!((48.0..50.5).contains(&fall), "fall onset {fall}");
    let down = at(C::OfficerDown).at.as_secs_f64();
    assert!(
        (down - fall) > 20.0 && down - fall < 25.0,
        "officer down {down} after fall {fall}"
    );
    // Every decision carries evidence; detector causes carry thresholds.
    for d in &ds {
        assert!(!d.evidence.is_empty(), "{d:?}");
        assert!(
            d.evidence.items().iter().any(|i| i.threshold.is_some()),
            "{d:?}"
        );
    }
    // The first start keeps the whole pre-event loop, and the recording is still on.
    assert_eq!(ds[0].keep_from, Timestamp::from_millis(3_200 - 30_000));
    assert!(ds.iter().all(|d| d.state.is_recording()));
}

#[test]
fn in_sleep_mode_the_same_incident_starts_nothing_but_still_alerts() {
    let inc = incident(2026);
    let p = Policy::from_toml_str("start_in_sleep = true").unwrap();
    let ds = run(&p, &inc);
    assert!(ds.iter().all(|d| d.kind != DecisionKind::Start), "{ds:#?}");
    assert!(ds.iter().any(|d| d.kind == DecisionKind::OfficerDownAlert));
    assert!(ds
        .iter()
        .filter(|d| d.kind == DecisionKind::Suppressed)
        .all(|d| !d.cause.unwrap().is_manual()));
}
