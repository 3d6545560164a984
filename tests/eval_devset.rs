//! The corpus runner reproduces the dev set's clip-level figures computed directly, clip by
//! clip, with the detector (a slow, obviously-correct reference for the manifest + parallel +
//! scoring path).
mod common;

use autotrigger::audio::GunshotDetector;
use autotrigger::eval::corpus::{self, RunOptions};
use autotrigger::eval::metrics::DEFAULT_COLLAR_US;
use autotrigger::{Config, StreamingDetector};
use std::collections::BTreeMap;

#[test]
#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]
fn audio_devset_clip_figures_match_direct_count() {
    let Some(ds) = common::shared_datasets("audio_devset_clip_figures_match_direct_count") else {
        return;
    };
    let recs = corpus::collect(&[ds.join("audio/MANIFEST.csv")]).unwrap();
    let res = corpus::run(&recs, &RunOptions::default(), &|| {});
    let rep = corpus::evaluate(&res, DEFAULT_COLLAR_US);
    assert_eq!(rep.errors, 0);
    // Reference: read the manifest by hand, run the detector on each clip in one block.
    let text = std::fs::read_to_string(ds.join("audio/MANIFEST.csv")).unwrap();
    let mut want: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.splitn(4, ',').collect();
        let audio = autotrigger::io::read_wav(&ds.join("audio").join(f[0])).unwrap();
        let mut det = GunshotDetector::new(&Config::default().gunshot, audio.sample_rate).unwrap();
        let mut ev = Vec::new();
        det.process(&audio.samples, &mut ev).unwrap();
        det.finish(&mut ev);
        let e = want.entry(format!("{}/{}", f[1], f[2])).or_default();
        e.0 += 1;
        e.1 += usize::from(!ev.is_empty());
    }
    let got: BTreeMap<String, (usize, usize)> = rep
        .clips_by_subclass
        .iter()
        .map(|(k, c)| {
            let n = c.counts.positives + c.counts.negatives;
            (k.clone(), (n, c.counts.found + c.counts.false_triggers))
        })
        .collect();
    assert_eq!(got, want);
    eprintln!("{}", rep.to_text());
}
