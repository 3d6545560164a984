//! Floors on the bundled fixtures' event-level metrics, so that a detector or scoring
//! regression fails CI. Figures at the time of writing (default configuration):
//! fall 3/3, gunshot recall 12/16 precision 12/20, officer_down 2/2, running 2/2, tap 3/4 with
//! no false alarm. Floors sit a step below.
use autotrigger::eval::corpus::{self, RunOptions};
use autotrigger::eval::metrics::Collars;
use std::path::PathBuf;

#[test]
fn fixture_metrics_stay_above_floors() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let recs = corpus::collect(&[dir]).unwrap();
    assert!(
        recs.len() >= 10,
        "fixtures missing: {} recordings",
        recs.len()
    );
    let res = corpus::run(&recs, &RunOptions::default(), &|| {});
    // Running and officer_down are state onsets (when pursuit starts; when the wearer has been
    // down long enough), less sharply defined than an impulse: wider collars for them.
    let mut collars = Collars::default();
    collars.per_kind.insert("running".into(), 3_000_000);
    collars.per_kind.insert("officer_down".into(), 2_000_000);
    let rep = corpus::evaluate(&res, collars);
    assert_eq!(rep.errors, 0, "{}", rep.to_text());
    let text = rep.to_text();
    let get = |k: &str| {
        rep.events
            .get(k)
            .copied()
            .unwrap_or_else(|| panic!("no {k} row\n{text}"))
    };
    // (kind, recall floor, precision floor)
    for (kind, recall, precision) in [
        ("fall", 0.66, 0.66),
        ("gunshot", 0.7, 0.55),
        ("officer_down", 0.5, 0.5),
        ("running", 0.5, 0.5),
        ("tap", 0.5, 0.66),
    ] {
        let e = get(kind);
        assert!(
            e.recall.unwrap_or(0.0) >= recall,
            "{kind} recall {:?} < {recall}\n{text}",
            e.recall
        );
        assert!(
            e.precision.unwrap_or(0.0) >= precision,
            "{kind} precision {:?} < {precision}\n{text}",
            e.precision
        );
    }
    // Falls decide within 3 s of the reference onset.
    assert!(
        get("fall").latency.max_us.unwrap_or(i64::MAX) <= 3_000_000,
        "{text}"
    );
    eprintln!("{text}");
}
