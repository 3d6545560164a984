//! `autotrigger augment`: mix gunshots (real clips and synthetic shots) into background
//! recordings at controlled event-to-background ratios, distances and recorder rates, and write
//! WAVs, label side-cars and a MANIFEST.csv that `autotrigger eval` reads.
//!
//! Every random choice comes from one generator seeded by `--seed` and is drawn in mixture
//! order before any mixture is rendered (rendering runs in parallel), so the same arguments give
//! the same bytes.
use autotrigger::eval::corpus::split_csv;
use autotrigger::io::{read_wav, write_wav_i16};
use autotrigger::synth::audio::{Gunshot, NWave, Reverb};
use autotrigger::synth::augment::{
    mix, Atmosphere, Background, EventClip, EventLevel, Placement, Propagation, Recorder,
    Reflection,
};
use autotrigger::synth::Rng;
use clap::Args;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `autotrigger augment`.
#[derive(Args, Debug)]
pub struct AugmentArgs {
    /// Gunshot clips: dev-set MANIFEST.csv files (their `gunshot` rows) or .wav files.
    #[arg(long = "events", value_name = "MANIFEST|WAV")]
    pub events: Vec<PathBuf>,
    /// Only manifest event rows of these subclasses (comma-separated; default: all).
    #[arg(long, value_delimiter = ',')]
    pub event_subclass: Vec<String>,
    /// Also draw from this many synthetic gunshots (Friedlander model, parameters from the seed).
    #[arg(long, default_value_t = 0)]
    pub synthetic: usize,
    /// Backgrounds: MANIFEST.csv files (their rows of `--background-class`) or .wav files.
    #[arg(long = "backgrounds", value_name = "MANIFEST|WAV", required = true)]
    pub backgrounds: Vec<PathBuf>,
    /// Manifest classes used as backgrounds (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "ambient")]
    pub background_class: Vec<String>,
    /// Event-to-background ratios, dB (comma-separated; each mixture draws one).
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        default_value = "0"
    )]
    pub ebr: Vec<f64>,
    /// Source distances, m (comma-separated; each mixture draws one). Clips are taken as
    /// recorded at 1 m; the distance sets air absorption and the reflection geometry, and the
    /// level too with `--spreading`.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    pub distance: Vec<f64>,
    /// Set the event's level by spherical spreading from 1 m (the clip's own level times
    /// 1 m / distance) instead of by `--ebr`; the EBR reached is written to the MANIFEST.
    #[arg(long)]
    pub spreading: bool,
    /// Recorder rates, Hz (comma-separated; each mixture draws one).
    #[arg(long, value_delimiter = ',', default_value = "16000")]
    pub rate: Vec<u32>,
    /// Add a ground reflection with this pressure reflection coefficient (0-1; muzzle 1.5 m,
    /// camera 1.3 m above the ground).
    #[arg(long)]
    pub ground: Option<f64>,
    /// Probability that an event is in a room (RT60 0.3-1.2 s, direct-to-reverberant 0-10 dB).
    #[arg(long, default_value_t = 0.0)]
    pub room_prob: f64,
    /// Recorder low cut, Hz (2nd-order high-pass); none by default.
    #[arg(long)]
    pub highpass: Option<f64>,
    /// Probability that a mixture holds an event (DCASE 2017 task 2: 0.5).
    #[arg(long, default_value_t = 0.5)]
    pub event_prob: f64,
    /// Mixture length, s (DCASE 2017 task 2: 30).
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
    /// Longest excerpt taken from a real event clip after its onset, s.
    #[arg(long, default_value_t = 1.0)]
    pub max_event_s: f64,
    /// Number of mixtures.
    #[arg(long)]
    pub count: usize,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder (created): `mix_NNNNN.wav`, `mix_NNNNN.labels.csv`, `MANIFEST.csv`.
    #[arg(long)]
    pub out: PathBuf,
}

/// One input clip and where it came from.
struct Clip {
    file: String,
    class: String,
    subclass: String,
    source_repo: String,
    license: String,
    samples: Vec<f32>,
    rate: u32,
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Loads clips from manifests (rows whose class is in `classes`, and subclass in `subclasses`
/// when given) and WAV files (class `classes[0]`, source `local`).
fn load(
    inputs: &[PathBuf],
    classes: &[String],
    subclasses: &[String],
) -> Result<Vec<Clip>, String> {
    let mut out = Vec::new();
    for input in inputs {
        let is_manifest = input
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if !is_manifest {
            let a = read_wav(input).map_err(|e| e.to_string())?;
            out.push(Clip {
                file: input.display().to_string(),
                class: classes.first().cloned().unwrap_or_default(),
                subclass: "local".into(),
                source_repo: "local".into(),
                license: String::new(),
                samples: a.samples,
                rate: a.sample_rate,
            });
            continue;
        }
        let text =
            std::fs::read_to_string(input).map_err(|e| format!("{}: {e}", input.display()))?;
        let root = input.parent().unwrap_or(Path::new("."));
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let header = lines
            .next()
            .map(|(_, h)| split_csv(h.trim_start_matches('\u{feff}')))
            .unwrap_or_default();
        let col = |n: &str| header.iter().position(|h| h == n);
        let (Some(fc), Some(cc), Some(sc)) = (col("file"), col("class"), col("subclass")) else {
            return Err(format!(
                "{}:1: expected an audio manifest with columns file,class,subclass",
                input.display()
            ));
        };
        let (rc, lc) = (col("source_repo"), col("license"));
        for (i, line) in lines {
            let f = split_csv(line);
            let get = |c: usize| f.get(c).cloned().unwrap_or_default();
            let (file, class, subclass) = (get(fc), get(cc), get(sc));
            if file.is_empty() {
                return Err(format!("{}:{}: missing `file`", input.display(), i + 1));
            }
            if !classes.contains(&class)
                || (!subclasses.is_empty() && !subclasses.contains(&subclass))
            {
                continue;
            }
            let a = read_wav(&root.join(&file)).map_err(|e| e.to_string())?;
            out.push(Clip {
                file,
                class,
                subclass,
                source_repo: rc.map(get).unwrap_or_else(|| "unknown".into()),
                license: lc.map(get).unwrap_or_default(),
                samples: a.samples,
                rate: a.sample_rate,
            });
        }
    }
    Ok(out)
}

/// A synthetic shot drawn from physically plausible ranges (docs of `synth::audio::Gunshot`).
fn synthetic_shot(rng: &mut Rng) -> Gunshot {
    Gunshot {
        peak_dbfs: -3.0,
        rise_s: rng.range(0.0001, 0.0008),
        positive_phase_s: rng.range(0.001, 0.004),
        decay_b: rng.range(1.0, 3.0),
        lowpass_hz: None,
        n_wave: (rng.uniform() < 0.5).then(|| NWave {
            lead_s: rng.range(0.002, 0.01),
            duration_s: rng.range(0.0002, 0.0005),
            peak_dbfs: -3.0 - rng.range(0.0, 6.0),
        }),
    }
}

fn pick<T: Copy>(rng: &mut Rng, xs: &[T]) -> T {
    xs[(rng.uniform() * xs.len() as f64) as usize % xs.len()]
}

/// Everything drawn for one mixture before rendering.
struct Plan {
    rate: u32,
    /// Background clips in order (indices into the background list).
    backgrounds: Vec<usize>,
    /// Event index into the pool, its placement.
    event: Option<(usize, Placement)>,
    mix_seed: u64,
}

fn check_args(a: &AugmentArgs) -> Result<(), String> {
    let bad = |m: String| Err(m);
    if a.count == 0 {
        return bad("--count must be at least 1".into());
    }
    if !(a.duration.is_finite() && (3.0..=3600.0).contains(&a.duration)) {
        return bad(format!(
            "--duration {} is out of range: expected 3 ..= 3600 s",
            a.duration
        ));
    }
    for (name, v) in [("--event-prob", a.event_prob), ("--room-prob", a.room_prob)] {
        if !(0.0..=1.0).contains(&v) {
            return bad(format!("{name} {v} is out of range: expected 0 ..= 1"));
        }
    }
    if !(a.max_event_s.is_finite() && (0.05..=a.duration / 2.0).contains(&a.max_event_s)) {
        return bad(format!(
            "--max-event-s {} is out of range: expected 0.05 ..= duration / 2",
            a.max_event_s
        ));
    }
    if let Some(e) = a
        .ebr
        .iter()
        .find(|e| !(e.is_finite() && (-30.0..=40.0).contains(*e)))
    {
        return bad(format!("--ebr {e} is out of range: expected -30 ..= 40 dB"));
    }
    if let Some(d) = a
        .distance
        .iter()
        .find(|d| !(d.is_finite() && (1.0..=10_000.0).contains(*d)))
    {
        return bad(format!(
            "--distance {d} is out of range: expected 1 ..= 10000 m"
        ));
    }
    if let Some(r) = a.rate.iter().find(|r| !(1_000..=384_000).contains(*r)) {
        return bad(format!(
            "--rate {r} is out of range: expected 1000 ..= 384000 Hz"
        ));
    }
    if let Some(g) = a.ground {
        if !(0.0..=1.0).contains(&g) {
            return bad(format!("--ground {g} is out of range: expected 0 ..= 1"));
        }
    }
    if a.ebr.is_empty() || a.distance.is_empty() || a.rate.is_empty() {
        return bad("--ebr, --distance and --rate need at least one value".into());
    }
    Ok(())
}

/// Runs `autotrigger augment`.
pub fn run(a: AugmentArgs) -> ExitCode {
    if let Err(e) = check_args(&a) {
        eprintln!("autotrigger: {e}");
        return ExitCode::from(2);
    }
    match augment(&a) {
        Ok(n) => {
            eprintln!(
                "autotrigger: wrote {n} mixtures and MANIFEST.csv to {}",
                a.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("autotrigger: {e}");
            ExitCode::FAILURE
        }
    }
}

fn augment(a: &AugmentArgs) -> Result<usize, String> {
    let real = load(&a.events, &["gunshot".to_string()], &a.event_subclass)?;
    let bgs = load(&a.backgrounds, &a.background_class, &[])?;
    if bgs.is_empty() {
        return Err("no background clips (check --backgrounds and --background-class)".into());
    }
    let mut master = Rng::new(a.seed);
    // The event pool: real clips, then synthetic shots.
    let mut pool: Vec<(EventClip, String, String)> = Vec::new(); // clip, subclass, license
    for c in &real {
        let clip =
            EventClip::from_recording(&c.samples, c.rate, a.max_event_s, &c.source_repo, &c.file)
                .map_err(|e| format!("{}: {e}", c.file))?;
        pool.push((clip, c.subclass.clone(), c.license.clone()));
    }
    let mut syn_rng = master.fork();
    for _ in 0..a.synthetic {
        let shot = synthetic_shot(&mut syn_rng);
        pool.push((
            EventClip::synthetic(&shot, 48_000, "synthetic"),
            "synthetic".into(),
            "synthetic (autotrigger::synth)".into(),
        ));
    }
    if pool.is_empty() && a.event_prob > 0.0 {
        return Err("--event-prob > 0 but no event clips (give --events or --synthetic)".into());
    }

    // Draw every plan in order.
    let mut plans = Vec::with_capacity(a.count);
    for _ in 0..a.count {
        let mut r = master.fork();
        let rate = pick(&mut r, &a.rate);
        let first = pick(&mut r, &(0..bgs.len()).collect::<Vec<_>>());
        // The rest of the background from the same source and class (leave-one-source-out).
        let same: Vec<usize> = (0..bgs.len())
            .filter(|&j| {
                j != first
                    && bgs[j].source_repo == bgs[first].source_repo
                    && bgs[j].class == bgs[first].class
            })
            .collect();
        let mut order = vec![first];
        let mut rest = same;
        let mut total = bgs[first].samples.len() as f64 / f64::from(bgs[first].rate);
        while total < a.duration + 0.1 && !rest.is_empty() {
            let k = (r.uniform() * rest.len() as f64) as usize % rest.len();
            let j = rest.swap_remove(k);
            total += bgs[j].samples.len() as f64 / f64::from(bgs[j].rate);
            order.push(j);
        }
        let event = if !pool.is_empty() && r.uniform() < a.event_prob {
            let ei = (r.uniform() * pool.len() as f64) as usize % pool.len();
            let ebr = pick(&mut r, &a.ebr);
            let distance = pick(&mut r, &a.distance);
            let room = (r.uniform() < a.room_prob).then(|| Reverb {
                rt60_s: r.range(0.3, 1.2),
                direct_to_reverb_db: r.range(0.0, 10.0),
                predelay_s: r.range(0.002, 0.02),
                lowpass_hz: r.range(3000.0, 8000.0),
            });
            let clip = &pool[ei].0;
            let tail = (clip.samples.len() - clip.onsets[0]) as f64 / f64::from(clip.sample_rate)
                + room.as_ref().map_or(0.0, |v| v.rt60_s + v.predelay_s)
                + 0.05;
            let latest = a.duration - 0.5 - tail;
            if latest <= 1.0 {
                return Err(format!(
                    "event {} ({tail:.2} s with its tail) does not fit a {} s mixture",
                    clip.name, a.duration
                ));
            }
            let onset_s = r.range(1.0, latest);
            // Whole milliseconds: labels and sample positions stay exact at every rate.
            let onset_s = (onset_s * 1000.0).round() / 1000.0;
            Some((
                ei,
                Placement {
                    onset_s,
                    level: if a.spreading {
                        EventLevel::Spreading
                    } else {
                        EventLevel::Ebr(ebr)
                    },
                    propagation: Propagation {
                        distance_m: distance,
                        reference_distance_m: 1.0,
                        air: Some(Atmosphere::default()),
                        reflection: a.ground.map(|g| Reflection {
                            coefficient: g,
                            ..Reflection::default()
                        }),
                        room,
                    },
                },
            ))
        } else {
            None
        };
        plans.push(Plan {
            rate,
            backgrounds: order,
            event,
            mix_seed: r.next_u64(),
        });
    }

    std::fs::create_dir_all(&a.out).map_err(|e| format!("{}: {e}", a.out.display()))?;
    let rows: Vec<Result<String, String>> = plans
        .par_iter()
        .enumerate()
        .map(|(i, p)| render(a, i, p, &bgs, &pool))
        .collect();
    let mut manifest = String::from(
        "file,class,subclass,source_repo,source_path,license,sample_rate,duration_s,\
         event_file,event_source_repo,event_subclass,background_files,background_source_repo,\
         background_class,background_subclass,ebr_db,distance_m,onsets_s,event_peak_dbfs,\
         clipped_samples,notes\n",
    );
    for r in rows {
        manifest.push_str(&r?);
    }
    let mp = a.out.join("MANIFEST.csv");
    std::fs::write(&mp, manifest).map_err(|e| format!("{}: {e}", mp.display()))?;
    Ok(plans.len())
}

/// Renders mixture `i` and returns its manifest row.
fn render(
    a: &AugmentArgs,
    i: usize,
    p: &Plan,
    bgs: &[Clip],
    pool: &[(EventClip, String, String)],
) -> Result<String, String> {
    let b0 = &bgs[p.backgrounds[0]];
    let pieces: Vec<(&[f32], u32)> = p
        .backgrounds
        .iter()
        .map(|&j| (bgs[j].samples.as_slice(), bgs[j].rate))
        .collect();
    let (background, used) = Background::concat(&pieces, p.rate, a.duration, &b0.source_repo)
        .map_err(|e| format!("mixture {i}: {e}"))?;
    let events: Vec<(&EventClip, Placement)> = p
        .event
        .iter()
        .map(|(ei, place)| (&pool[*ei].0, place.clone()))
        .collect();
    let recorder = Recorder {
        sample_rate: p.rate,
        highpass_hz: a.highpass,
        clip: true,
    };
    let m = mix(&background, &events, &recorder, &mut Rng::new(p.mix_seed))
        .map_err(|e| format!("mixture {i}: {e}"))?;
    let name = format!("mix_{i:05}.wav");
    let wav = a.out.join(&name);
    write_wav_i16(&wav, &m.samples, m.sample_rate).map_err(|e| e.to_string())?;
    let labels = autotrigger::io::labels_path_for(&wav);
    std::fs::write(&labels, m.labels_csv()).map_err(|e| format!("{}: {e}", labels.display()))?;
    let bg_files: Vec<&str> = used
        .iter()
        .map(|&k| bgs[p.backgrounds[k]].file.as_str())
        .collect();
    let mut bg_files_dedup = bg_files.clone();
    bg_files_dedup.dedup();
    let bg_license = b0.license.clone();
    let (class, subclass, source_repo, source_path, license, ev_cols) =
        match (&p.event, m.events.first()) {
            (Some((ei, _)), Some(e)) => {
                let (clip, sub, lic) = &pool[*ei];
                let onsets: Vec<String> = e
                    .onsets
                    .iter()
                    .map(|t| format!("{:.6}", t.as_secs_f64()))
                    .collect();
                (
                    "gunshot".to_string(),
                    sub.clone(),
                    clip.source.clone(),
                    clip.name.clone(),
                    format!("event: {lic}; background: {bg_license}"),
                    [
                        clip.name.clone(),
                        clip.source.clone(),
                        sub.clone(),
                        format!("{:.2}", e.ebr_db),
                        format!("{}", e.distance_m),
                        onsets.join(";"),
                        format!("{:.2}", e.peak_dbfs),
                    ],
                )
            }
            _ => (
                b0.class.clone(),
                b0.subclass.clone(),
                b0.source_repo.clone(),
                b0.file.clone(),
                bg_license.clone(),
                Default::default(),
            ),
        };
    let fields = [
        name,
        class,
        subclass,
        source_repo,
        source_path,
        license,
        m.sample_rate.to_string(),
        format!("{}", a.duration),
        ev_cols[0].clone(),
        ev_cols[1].clone(),
        ev_cols[2].clone(),
        bg_files_dedup.join(";"),
        b0.source_repo.clone(),
        b0.class.clone(),
        b0.subclass.clone(),
        ev_cols[3].clone(),
        ev_cols[4].clone(),
        ev_cols[5].clone(),
        ev_cols[6].clone(),
        m.clipped_samples.to_string(),
        format!("augmented; seed={}; mixture={i}", a.seed),
    ];
    let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    Ok(row.join(",") + "\n")
}
