//! One push of any size cannot overflow the engine's small event queue: pushes are fed to the
//! detectors in slices and the events drained after each, so a whole burst of automatic fire
//! pushed as one block gives the same decisions and counters as 10 ms blocks.

use autotrigger::synth::audio::{AudioScene, Gunshot, Sound};
use autotrigger::synth::Rng;
use autotrigger::trigger::{Engine, Policy};

fn run(samples: &[f32], rate: u32, block: usize) -> (Vec<String>, u64) {
    let mut engine = Engine::new(&Policy::default(), rate).unwrap();
    let mut out = Vec::new();
    for b in samples.chunks(block) {
        engine
            .push_audio_f32(b)
            .expect("no error, no queue overflow");
        while let Some(d) = engine.poll_decision() {
            out.push(format!("{d:?}"));
        }
    }
    engine.finish().unwrap();
    while let Some(d) = engine.poll_decision() {
        out.push(format!("{d:?}"));
    }
    (out, engine.counters().held_off)
}

#[test]
fn a_long_burst_in_one_push_equals_small_blocks() {
    let rate = 16_000;
    let mut rng = Rng::new(11);
    let mut scene = AudioScene::new(rate, 6.0);
    let burst = Sound::Burst {
        shot: Gunshot::default(),
        rounds: 40,
        interval_s: 0.1,
    };
    scene.add(0.5, &burst, &mut rng);
    let (samples, truth) = scene.finish();
    assert!(truth.len() >= 40, "{} rounds", truth.len());
    let (small, held_small) = run(&samples, rate, 160);
    let (whole, held_whole) = run(&samples, rate, samples.len());
    assert!(!small.is_empty());
    // Many rounds are detected (more than the 16-slot queue holds); all but the first are
    // dropped by the gunshot hold-off.
    assert!(held_small > 16, "held off {held_small}");
    assert_eq!(small, whole);
    assert_eq!(held_small, held_whole);
}
