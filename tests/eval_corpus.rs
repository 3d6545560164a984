//! Corpus collection (folders, side-cars, manifests) and corpus-level scoring rules.
mod common;

use autotrigger::eval::corpus::{self, Modality, RecordingResult};
use autotrigger::eval::metrics::{ClipTruth, DEFAULT_COLLAR_US};
use autotrigger::{Event, EventKind, Evidence, Timestamp};
use std::path::{Path, PathBuf};

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("autotrigger-evalc-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write_wav(p: &Path, rate: u32, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(p, spec).unwrap();
    for s in samples {
        w.write_sample((s * 32767.0) as i16).unwrap();
    }
    w.finalize().unwrap();
}

fn ev(kind: EventKind, onset_ms: i64) -> Event {
    Event {
        kind,
        onset: Timestamp::from_millis(onset_ms),
        decided: Timestamp::from_millis(onset_ms + 30),
        confidence: 0.9,
        evidence: Evidence::new(),
    }
}

#[test]
fn folder_with_sidecars() {
    let d = tmpdir("folder");
    write_wav(&d.join("a.wav"), 16_000, &vec![0.0; 16_000]);
    std::fs::write(
        d.join("a.labels.csv"),
        "onset_s,offset_s,kind\n0.5,0.6,gunshot\n",
    )
    .unwrap();
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(
        d.join("sub/walk.csv"),
        "t_s,ax,ay,az\n0,0,0,9.8\n0.01,0,0,9.8\n0.02,0,0,9.8\n",
    )
    .unwrap();
    std::fs::write(d.join("notes.md"), "ignored").unwrap();
    let recs = corpus::collect(std::slice::from_ref(&d)).unwrap();
    let names: Vec<&str> = recs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a.wav", "sub/walk.csv"]);
    assert_eq!(recs[0].modality, Modality::Audio);
    assert_eq!(recs[0].labels.as_ref().unwrap().len(), 1);
    assert_eq!(recs[1].modality, Modality::ImuCsv);
    assert_eq!(recs[1].labels, Some(vec![]));
    // Runs (through whatever detectors are built) and reads durations exactly.
    let res = corpus::run(&recs, &Default::default(), &|| {});
    assert_eq!(res[0].duration_us, 1_000_000);
    assert_eq!(res[1].duration_us, 30_000);
    assert!(res.iter().all(|r| r.error.is_none()), "{res:?}");
    // A missing file and an unsupported one are errors naming the file.
    let e = corpus::collect(&[d.join("nope.wav")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope.wav"), "{e}");
    let e = corpus::collect(&[d.join("notes.md")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("notes.md"), "{e}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn unreadable_recording_is_reported_not_fatal() {
    let d = tmpdir("bad");
    std::fs::write(d.join("bad.wav"), b"RIFF not really").unwrap();
    let recs = corpus::collect(std::slice::from_ref(&d)).unwrap();
    let res = corpus::run(&recs, &Default::default(), &|| {});
    let rep = corpus::evaluate(&res, DEFAULT_COLLAR_US);
    assert_eq!(rep.errors, 1);
    assert!(rep.to_text().contains("bad.wav"));
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn manifests_and_scoring_rules() {
    let d = tmpdir("manifest");
    std::fs::write(
        d.join("MANIFEST.csv"),
        "file,class,subclass,notes\n\
         g1.wav,gunshot,gun_shot,\"a, b\"\n\
         g2.wav,gunshot,gun_shot,\n\
         k1.wav,distractor,knock,\n\
         k2.wav,distractor,knock,\n\
         s1.wav,ambient,speech,\n",
    )
    .unwrap();
    let recs = corpus::collect(std::slice::from_ref(&d)).unwrap();
    assert_eq!(recs.len(), 5);
    assert_eq!(recs[0].clip, Some(ClipTruth::Positive("gunshot".into())));
    assert_eq!(recs[0].labels, None, "gunshot onsets are not annotated");
    assert_eq!(recs[2].clip, Some(ClipTruth::Negative));
    assert_eq!(recs[2].labels, Some(vec![]));
    assert_eq!(recs[2].path, d.join("k1.wav"));
    // Hand-made outcomes: g1 found (2 detections), g2 missed, k1 triggers twice, k2 and s1
    // silent. Each clip lasts 2 s.
    let dets = [
        vec![ev(EventKind::Gunshot, 100), ev(EventKind::Gunshot, 900)],
        vec![],
        vec![ev(EventKind::Gunshot, 300), ev(EventKind::Gunshot, 1300)],
        vec![],
        vec![],
    ];
    let res: Vec<RecordingResult> = recs
        .iter()
        .zip(dets)
        .map(|(r, d)| RecordingResult {
            recording: r.clone(),
            duration_us: 2_000_000,
            detections: d,
            error: None,
            trace: None,
        })
        .collect();
    let rep = corpus::evaluate(&res, DEFAULT_COLLAR_US);
    let g = &rep.clips_by_class["gunshot"];
    assert_eq!((g.counts.positives, g.counts.found), (2, 1));
    assert_eq!(g.recall, Some(0.5));
    let k = &rep.clips_by_subclass["distractor/knock"];
    assert_eq!((k.counts.negatives, k.counts.false_triggers), (2, 1));
    assert_eq!(k.false_trigger_share, Some(0.5));
    // 2 detections in 4 s of knock clips = 1800 per hour.
    assert_eq!(k.fa_per_hour, Some(1800.0));
    let s = &rep.clips_by_subclass["ambient/speech"];
    assert_eq!(s.false_trigger_share, Some(0.0));
    // Event level only covers the negatives (onsets known): 2 FP over 6 s.
    assert_eq!(rep.event_scored_recordings, 3);
    let e = &rep.events["gunshot"];
    assert_eq!((e.tp, e.fp, e.fn_), (0, 2, 0));
    assert_eq!(e.fa_per_hour, Some(1200.0));
    let t = rep.to_text();
    assert!(t.contains("distractor/knock"), "{t}");
    let json = serde_json::to_value(&rep).unwrap();
    assert_eq!(json["clips_by_class"]["gunshot"]["recall"], 0.5);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn imu_manifest_uses_fall_segments() {
    let d = tmpdir("imu");
    std::fs::write(
        d.join("MANIFEST.csv"),
        "file,dataset,subject,activity_code,activity,label,notes\n\
         s/F01_SA01_R01.txt,SisFall,SA01,F01,fall fwd,fall,\"x\"\n\
         s/F02_SA01_R01.txt,SisFall,SA01,F02,fall back,fall,\n\
         s/D04_SA01_R01.txt,SisFall,SA01,D04,jog,run,\n\
         s/D13_SA01_R01.txt,SisFall,SA01,D13,lie down,other_adl,\n",
    )
    .unwrap();
    std::fs::write(
        d.join("SISFALL_ENHANCED_SEGMENTS.csv"),
        "file,label,start_sample,end_sample_excl,start_s,end_s,n_label_rows\n\
         s/F01_SA01_R01.txt,ALERT,1373,1405,6.865,7.025,3000\n\
         s/F01_SA01_R01.txt,FALL,1405,1482,7.025,7.410,3000\n\
         s/F01_SA01_R01.txt,FALL,1600,1700,8,8.5,3000\n",
    )
    .unwrap();
    let recs = corpus::collect(&[d.join("MANIFEST.csv")]).unwrap();
    assert_eq!(recs[0].modality, Modality::Sisfall);
    let l = recs[0].labels.as_ref().unwrap();
    assert_eq!(l.len(), 1, "first FALL segment only");
    assert_eq!(l[0].onset, Timestamp(7_025_000));
    assert_eq!(l[0].kind, "fall");
    assert_eq!(recs[1].labels, None, "no segment: clip level only");
    assert_eq!(recs[2].clip, Some(ClipTruth::Positive("running".into())));
    assert_eq!(recs[3].clip, Some(ClipTruth::Negative));
    assert_eq!(recs[3].subclass.as_deref(), Some("D13"));
    std::fs::remove_dir_all(&d).ok();
}

#[test]
#[cfg_attr(autotrigger_no_datasets, ignore = "needs ../shared/datasets")]
fn shared_dev_manifests_are_read_completely() {
    let Some(ds) = common::shared_datasets("shared_dev_manifests_are_read_completely") else {
        return;
    };
    let audio = corpus::collect(&[ds.join("audio")]).unwrap();
    // Split v2: 370 clips, 138 of them gunshots (the dataset README's totals).
    assert_eq!(audio.len(), 370);
    let pos = audio
        .iter()
        .filter(|r| matches!(r.clip, Some(ClipTruth::Positive(_))))
        .count();
    assert_eq!(pos, 138);
    assert!(audio.iter().all(|r| r.path.is_file()));
    let imu = corpus::collect(&[ds.join("imu/MANIFEST.csv")]).unwrap();
    // Split v2: four datasets, 1320 recordings, 625 of them falls.
    assert_eq!(imu.len(), 1320);
    let falls = imu
        .iter()
        .filter(|r| r.class.as_deref() == Some("fall"))
        .count();
    assert_eq!(falls, 625);
    let falls_with_onset = imu
        .iter()
        .filter(|r| r.class.as_deref() == Some("fall") && r.labels.is_some())
        .count();
    assert_eq!(
        falls_with_onset,
        240 + 318,
        "every SisFall fall has a FALL segment and every FallAllD fall an impact time in its notes \
         (UMAFall and MobiFall have no impact annotation)"
    );
    // Each dataset read the way it must be: SisFall raw, FallAllD raw (three files, with the
    // barometer), UMAFall and MobiFall from their converted CSVs; every recording readable.
    let by = |m: Modality| imu.iter().filter(|r| r.modality == m).count();
    assert_eq!(
        (
            by(Modality::Sisfall),
            by(Modality::Fallalld),
            by(Modality::ImuCsv)
        ),
        (418, 757, 54 + 91)
    );
    for r in &imu {
        let rec = r
            .modality
            .read_imu(&r.path)
            .unwrap()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!rec.samples.is_empty(), "{}", r.name);
        assert_eq!(
            rec.pressure.len(),
            if r.modality == Modality::Fallalld {
                200
            } else {
                0
            },
            "{}",
            r.name
        );
    }
}

#[test]
fn imu_manifest_reads_each_dataset_its_own_way() {
    let d = tmpdir("imu-datasets");
    std::fs::create_dir_all(d.join("csv/umafall")).unwrap();
    std::fs::write(
        d.join("MANIFEST.csv"),
        "file,dataset,subject,activity_code,activity,label,notes\n\
         umafall/U_01_Fall_1.csv,UMAFall,UMA01,forwardFall,fall fwd,fall,\n\
         fallalld/S01_D1_A101_T01_A.dat,FallAllD,FAD01,A101,\"Fall F, walking, trip\",fall,\"trial T01; impact (largest |a| in 8.5-11.5 s) at 9.903 s, 3.19 g\"\n\
         sisfall/SA01/D04_SA01_R01.txt,SisFall,SA01,D04,jog,run,\n",
    )
    .unwrap();
    std::fs::write(
        d.join("csv/INDEX.csv"),
        "csv,dataset,subject,activity_code,label,position,duration_s,impact_s\n\
         umafall/U_01_Fall_1.csv,UMAFall,UMA01,forwardFall,fall,waist,14.88,\n",
    )
    .unwrap();
    let recs = corpus::collect(&[d.join("MANIFEST.csv")]).unwrap();
    assert_eq!(recs[0].modality, Modality::ImuCsv);
    assert_eq!(recs[0].path, d.join("csv/umafall/U_01_Fall_1.csv"));
    assert_eq!(recs[0].name, "umafall/U_01_Fall_1.csv");
    assert_eq!(recs[0].labels, None);
    assert_eq!(recs[1].modality, Modality::Fallalld);
    let l = recs[1].labels.as_ref().unwrap();
    assert_eq!(
        (l[0].onset, l[0].kind.as_str()),
        (Timestamp(9_903_000), "fall")
    );
    assert_eq!(recs[2].modality, Modality::Sisfall);
    // A converted-only dataset row without its CSV in the index is an error naming the line.
    std::fs::write(
        d.join("MANIFEST.csv"),
        "file,dataset,subject,activity_code,activity,label,notes\n\
         mobifall/sub1/FALLS/BSC/BSC_acc_1_1.txt,MobiFall_v2.0,MF01,BSC,x,fall,\n",
    )
    .unwrap();
    let e = corpus::collect(&[d.join("MANIFEST.csv")])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("MANIFEST.csv:2:") && e.contains("INDEX.csv"),
        "{e}"
    );
    std::fs::remove_dir_all(&d).ok();
}
