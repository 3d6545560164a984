//! Self-contained HTML reports: one `index.html` with inline SVG plots drawn by plotters (SVG
//! backend, its built-in text layout: no system fonts, no scripts, no external files).

use super::corpus::{
    clip_rows, event_rows, CorpusReport, RecordingResult, CLIP_HEADER, EVENT_HEADER,
};
use super::metrics::{match_events_with, Reliability, RELIABILITY_BINS};
use crate::config::Config;
use plotters::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// Points kept per recording for timeline plots.
pub const TRACE_POINTS: usize = 1200;
/// At most this many per-recording timelines go into a report (errors first), so that a report
/// over hundreds of clips stays small enough to open.
pub const MAX_TIMELINES: usize = 30;

const WIDTH: u32 = 1300;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes `index.html` into `dir` (created if needed).
pub fn write_report(dir: &Path, html: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("index.html"), html)
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px;color:#222;max-width:1340px}\
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}\
h3{font-size:14px;margin:14px 0 2px 0;font-family:monospace}\
table{border-collapse:collapse;font-size:13px;margin:6px 0}\
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\
td:first-child,th:first-child{text-align:left}th{background:#f0f0f0}\
.note{color:#555;font-size:13px}.bad{color:#b00}svg{display:block}";

/// Starts an HTML page.
pub fn page_start(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>{STYLE}</style></head><body>\n<h1>{t}</h1>\n",
        t = esc(title)
    )
}

/// An HTML table.
pub fn html_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><tr>");
    for h in header {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr>\n");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{}</td>", esc(c));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}

/// The summary tables of a corpus report, as HTML.
pub fn summary_html(rep: &CorpusReport) -> String {
    let mut s = format!(
        "<p>{} recordings, {:.1} min, {} unreadable; {}.</p>\n",
        rep.recordings,
        rep.duration_s / 60.0,
        rep.errors,
        esc(&super::corpus::describe_collars(&rep.collars))
    );
    if !rep.clips_by_subclass.is_empty() {
        s.push_str(
            "<h2>Clip level</h2><p class=\"note\">Positive clip: found when it has at \
            least one detection of its kind (share = recall). Negative clip: a false trigger \
            when it has any (share = false-trigger share). FA/h = detections per hour of \
            negative clips.</p>",
        );
        s.push_str(&html_table(&CLIP_HEADER, &clip_rows(&rep.clips_by_class)));
        s.push_str(&html_table(
            &CLIP_HEADER,
            &clip_rows(&rep.clips_by_subclass),
        ));
        for key in rep
            .clips_by_group
            .keys()
            .filter(|k| k.as_str() != "subclass")
        {
            let _ = write!(s, "<h3>Per {} (pooled, each, worst)</h3>", esc(key));
            s.push_str(&html_table(
                &CLIP_HEADER,
                &super::corpus::group_clip_rows(rep, key),
            ));
        }
    }
    if rep.event_scored_recordings > 0 {
        let _ = write!(
            s,
            "<h2>Event level</h2><p class=\"note\">{} recordings with known onsets; one-to-one \
             matching within the collar, latency = decision time - reference onset.</p>",
            rep.event_scored_recordings
        );
        s.push_str(&html_table(
            &EVENT_HEADER,
            &event_rows(rep.events.iter().map(|(k, e)| (k.clone(), e))),
        ));
        if rep.events_by_subclass.len() > 1 {
            let rows = event_rows(
                rep.events_by_subclass
                    .iter()
                    .flat_map(|(sub, m)| m.iter().map(move |(k, e)| (format!("{sub} {k}"), e))),
            );
            s.push_str(&html_table(&EVENT_HEADER, &rows));
        }
        for (key, vals) in rep
            .events_by_group
            .iter()
            .filter(|(k, v)| k.as_str() != "subclass" && v.len() > 1)
        {
            let _ = write!(s, "<h3>Event level per {}</h3>", esc(key));
            let rows = event_rows(
                vals.iter()
                    .flat_map(|(v, m)| m.iter().map(move |(k, e)| (format!("{v} {k}"), e))),
            );
            s.push_str(&html_table(&EVENT_HEADER, &rows));
        }
    }
    let errs: Vec<_> = rep
        .per_recording
        .iter()
        .filter_map(|r| r.error.as_ref())
        .collect();
    if !errs.is_empty() {
        s.push_str("<h2>Unreadable recordings</h2><ul>");
        for e in errs {
            let _ = write!(s, "<li class=\"bad\">{}</li>", esc(e));
        }
        s.push_str("</ul>");
    }
    s
}

/// Draws into an SVG string; plotting errors (which only come from degenerate ranges) give an
/// empty plot rather than failing the report.
fn svg(
    w: u32,
    h: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend, plotters::coord::Shift>),
) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        let _ = root.fill(&WHITE);
        draw(&root);
        let _ = root.present();
    }
    out
}

fn range(lo: f64, hi: f64) -> std::ops::Range<f64> {
    if hi > lo && (hi - lo).is_finite() {
        lo..hi
    } else {
        lo..lo + 1.0
    }
}

/// A per-recording timeline: envelope, reference spans (green), detections (red: onset line,
/// dot at decision time), and, when the detector exposes one, its score and threshold below.
pub fn timeline_svg(r: &RecordingResult) -> String {
    let Some(tr) = &r.trace else {
        return String::new();
    };
    let dur = (r.duration_us as f64 / 1e6).max(1e-3);
    let has_score = !tr.score.is_empty();
    let h = if has_score { 300 } else { 190 };
    svg(WIDTH, h, |root| {
        let (top, bottom) = if has_score {
            let (a, b) = root.split_vertically(170);
            (a, Some(b))
        } else {
            (root.clone(), None)
        };
        let ymax = tr.envelope.iter().copied().fold(0f32, f32::max).max(1e-6) as f64 * 1.1;
        let Ok(mut c) = ChartBuilder::on(&top)
            .margin(6)
            .x_label_area_size(if has_score { 0 } else { 36 })
            .y_label_area_size(60)
            .build_cartesian_2d(range(0.0, dur), range(0.0, ymax))
        else {
            return;
        };
        let mut mesh = c.configure_mesh();
        mesh.y_desc(tr.envelope_unit)
            .x_desc("time (s)")
            .light_line_style(WHITE)
            .label_style(("sans-serif", 12));
        if has_score {
            mesh.disable_x_axis();
        }
        let _ = mesh.draw();
        if let Some(labels) = &r.recording.labels {
            for l in labels {
                let a = l.onset.as_secs_f64();
                let b = l.offset.as_secs_f64().max(a + dur * 0.002);
                let _ = c.draw_series(std::iter::once(Rectangle::new(
                    [(a, 0.0), (b, ymax)],
                    GREEN.mix(0.25).filled(),
                )));
            }
        }
        let _ = c.draw_series(AreaSeries::new(
            tr.t_us
                .iter()
                .zip(&tr.envelope)
                .map(|(t, v)| (*t as f64 / 1e6, *v as f64)),
            0.0,
            RGBColor(70, 110, 180).mix(0.6),
        ));
        for d in &r.detections {
            let x = d.onset.as_secs_f64();
            let _ = c.draw_series(std::iter::once(PathElement::new(
                vec![(x, 0.0), (x, ymax)],
                RED.stroke_width(2),
            )));
            let _ = c.draw_series(std::iter::once(Circle::new(
                (d.decided.as_secs_f64(), ymax * 0.93),
                4,
                RED.filled(),
            )));
        }
        if let Some(b) = bottom {
            let smax = tr
                .score
                .iter()
                .copied()
                .chain(tr.threshold)
                .filter(|v| v.is_finite())
                .fold(0f32, f32::max)
                .max(1e-6) as f64
                * 1.1;
            let Ok(mut c) = ChartBuilder::on(&b)
                .margin(6)
                .x_label_area_size(36)
                .y_label_area_size(60)
                .build_cartesian_2d(range(0.0, dur), range(0.0, smax))
            else {
                return;
            };
            let _ = c
                .configure_mesh()
                .y_desc("score")
                .x_desc("time (s)")
                .light_line_style(WHITE)
                .label_style(("sans-serif", 12))
                .draw();
            let _ = c.draw_series(LineSeries::new(
                tr.t_us
                    .iter()
                    .zip(&tr.score)
                    .map(|(t, v)| (*t as f64 / 1e6, v.max(0.0) as f64)),
                BLACK.stroke_width(1),
            ));
            if let Some(th) = tr.threshold {
                let _ = c.draw_series(DashedLineSeries::new(
                    [(0.0, th as f64), (dur, th as f64)],
                    6,
                    4,
                    RED.stroke_width(1),
                ));
            }
        }
    })
}

/// A histogram of latencies (milliseconds) with about 20 bins.
pub fn latency_histogram_svg(title: &str, latencies_us: &[i64]) -> String {
    let ms: Vec<f64> = latencies_us.iter().map(|&l| l as f64 / 1000.0).collect();
    let lo = ms.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
    let hi = ms
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        .max(lo + 1.0);
    let bins = 20usize;
    let w = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for v in &ms {
        let i = (((v - lo) / w) as usize).min(bins - 1);
        counts[i] += 1;
    }
    let cmax = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    svg(430, 240, |root| {
        let Ok(mut c) = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 14))
            .margin(8)
            .x_label_area_size(34)
            .y_label_area_size(44)
            .build_cartesian_2d(range(lo, hi), range(0.0, cmax * 1.1))
        else {
            return;
        };
        let _ = c
            .configure_mesh()
            .x_labels(6)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .x_desc("latency (ms)")
            .y_desc("events")
            .light_line_style(WHITE)
            .label_style(("sans-serif", 12))
            .draw();
        let _ = c.draw_series(counts.iter().enumerate().map(|(i, &n)| {
            let x0 = lo + i as f64 * w;
            Rectangle::new(
                [(x0 + w * 0.05, 0.0), (x0 + w * 0.95, n as f64)],
                RGBColor(70, 110, 180).filled(),
            )
        }));
    })
}

/// A reliability diagram: per confidence bin, the share of detections that were right against
/// their mean confidence (dot area by count, the count written beside it), and the diagonal a
/// calibrated confidence would follow.
pub fn reliability_svg(title: &str, r: &Reliability) -> String {
    let nmax = r
        .bins
        .iter()
        .map(|b| b.detections)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    svg(430, 300, |root| {
        let Ok(mut c) = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 14))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(0.0..1.0, 0.0..1.05)
        else {
            return;
        };
        let _ = c
            .configure_mesh()
            .x_desc("confidence (bin mean)")
            .y_desc("share right")
            .light_line_style(RGBColor(235, 235, 235))
            .label_style(("sans-serif", 12))
            .draw();
        let _ = c.draw_series(DashedLineSeries::new(
            [(0.0, 0.0), (1.0, 1.0)],
            5,
            4,
            RGBColor(150, 150, 150).stroke_width(1),
        ));
        let pts: Vec<(f64, f64, usize)> = r
            .bins
            .iter()
            .filter(|b| b.detections > 0)
            .map(|b| {
                let n = b.detections as f64;
                (b.confidence_sum / n, b.correct as f64 / n, b.detections)
            })
            .collect();
        let _ = c.draw_series(LineSeries::new(
            pts.iter().map(|p| (p.0, p.1)),
            RGBColor(70, 110, 180).stroke_width(1),
        ));
        let _ = c.draw_series(pts.iter().map(|&(x, y, n)| {
            let radius = (3.0 + 7.0 * (n as f64 / nmax).sqrt()) as i32;
            EmptyElement::at((x, y))
                + Circle::new((0, 0), radius, RGBColor(70, 110, 180).filled())
                + Text::new(
                    format!("{n}"),
                    (radius + 2, -radius - 2),
                    ("sans-serif", 11),
                )
        }));
    })
}

/// One operating point of a curve: `(x = FA/hour or false-trigger share, y = recall, label)`.
pub type CurvePoint = (f64, f64, String);

/// A recall-vs-false-alarm curve (ROC/DET-like) through the given points, with the chosen one
/// circled.
pub fn curve_svg(title: &str, x_desc: &str, pts: &[CurvePoint], chosen: Option<usize>) -> String {
    let mut sorted: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let xmax = sorted.iter().map(|p| p.0).fold(0.0, f64::max).max(1e-3) * 1.05;
    svg(640, 360, |root| {
        let Ok(mut c) = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 15))
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(0.0..xmax, 0.0..1.02)
        else {
            return;
        };
        let _ = c
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("recall")
            .light_line_style(RGBColor(235, 235, 235))
            .label_style(("sans-serif", 12))
            .draw();
        // The upper envelope: best recall reachable at or below each false-alarm level.
        let mut env: Vec<(f64, f64)> = Vec::new();
        let mut best = f64::NEG_INFINITY;
        for &(x, y) in &sorted {
            if y > best {
                best = y;
                env.push((x, y));
            }
        }
        let _ = c.draw_series(LineSeries::new(env, RGBColor(70, 110, 180).stroke_width(2)));
        let _ = c.draw_series(
            sorted
                .iter()
                .map(|&(x, y)| Circle::new((x, y), 3, RGBColor(70, 110, 180).filled())),
        );
        if let Some(i) = chosen.and_then(|i| pts.get(i)) {
            let _ = c.draw_series(std::iter::once(Circle::new(
                (i.0, i.1),
                8,
                RED.stroke_width(2),
            )));
        }
    })
}

/// Latencies of every matched event per kind, re-derived from the results.
fn latencies(rep: &CorpusReport, results: &[RecordingResult]) -> Vec<(String, Vec<i64>)> {
    let mut by: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for r in results.iter().filter(|r| r.error.is_none()) {
        if let Some(labels) = &r.recording.labels {
            let m = match_events_with(
                labels,
                &r.detections,
                &rep.collars,
                Some(&r.recording.kinds),
            );
            for mm in m.matches {
                by.entry(super::metrics::scored_label_kind(&labels[mm.reference].kind).to_string())
                    .or_default()
                    .push(mm.latency_us);
            }
        }
    }
    by.into_iter().collect()
}

/// How interesting a recording is for a timeline: errors of the detector first.
fn interest(r: &RecordingResult, rep: &CorpusReport, i: usize) -> u8 {
    let line = &rep.per_recording[i];
    let wrong_clip = matches!(
        (&r.recording.clip, line.clip_hit),
        (Some(super::metrics::ClipTruth::Positive(_)), Some(false))
            | (Some(super::metrics::ClipTruth::Negative), Some(true))
    );
    if line.fp + line.fn_ > 0 || wrong_clip {
        0
    } else if !r.detections.is_empty() || line.tp > 0 {
        1
    } else {
        2
    }
}

/// The full `eval` report.
pub fn eval_html(rep: &CorpusReport, results: &[RecordingResult], config: &Config) -> String {
    let mut s = page_start("autotrigger evaluation report");
    s.push_str(&summary_html(rep));
    let lats = latencies(rep, results);
    if !lats.is_empty() {
        s.push_str("<h2>Detection latency</h2><div style=\"display:flex;flex-wrap:wrap;gap:8px\">");
        for (k, l) in &lats {
            s.push_str(&latency_histogram_svg(
                &format!("{k}: decision - reference onset ({} events)", l.len()),
                l,
            ));
        }
        s.push_str("</div>");
    }
    if !rep.reliability.is_empty() {
        let _ = write!(
            s,
            "<h2>Confidence reliability</h2><p class=\"note\">Per kind, detections binned by \
             confidence ({RELIABILITY_BINS} equal bins): the share that was right against the \
             bin's mean confidence; a calibrated confidence follows the dashed diagonal. Right: \
             matched to a reference (recordings with onsets), or the most confident detection \
             of a positive clip without onsets (its other detections are not scored); every \
             detection in a negative clip is wrong. The gunshot rule cascade's confidence is a \
             margin over its gates, not a probability; the trained stage's \
             (<code>gunshot.stage = \"model\"</code>) is its probability.</p>\
             <div style=\"display:flex;flex-wrap:wrap;gap:8px\">"
        );
        for (k, r) in &rep.reliability {
            let ece = r
                .expected_calibration_error()
                .map_or_else(|| "-".into(), |e| format!("{e:.3}"));
            s.push_str(&reliability_svg(
                &format!("{k}: {} detections, ECE {ece}", r.detections()),
                r,
            ));
        }
        s.push_str("</div>");
    }
    let mut order: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].trace.is_some())
        .collect();
    order.sort_by_key(|&i| (interest(&results[i], rep, i), i));
    let shown = order.len().min(MAX_TIMELINES);
    let _ = write!(
        s,
        "<h2>Timelines</h2><p class=\"note\">{shown} of {} recordings, detector errors \
         (false alarms, misses) first. Blue: envelope; green: reference events; red line: \
         detection onset, red dot: decision time; score and threshold (dashed) below when the \
         detector exposes them.</p>",
        results.len()
    );
    for &i in order.iter().take(MAX_TIMELINES) {
        let r = &results[i];
        let line = &rep.per_recording[i];
        let _ = write!(
            s,
            "<h3>{} &mdash; {}{}detections {}, TP {} FP {} FN {}</h3>",
            esc(&r.recording.name),
            r.recording
                .subclass
                .as_deref()
                .map(|c| format!("{}, ", esc(c)))
                .unwrap_or_default(),
            match line.clip_hit {
                Some(true) => "clip triggered, ",
                Some(false) => "clip silent, ",
                None => "",
            },
            line.detections,
            line.tp,
            line.fp,
            line.fn_
        );
        s.push_str(&timeline_svg(r));
    }
    let _ = writeln!(
        s,
        "<h2>Configuration</h2><pre>{}</pre></body></html>",
        esc(&config.to_toml_string())
    );
    s
}

/// The `sweep` report: recall against false alarms per hour and against the clip-level
/// false-trigger share, and the table of operating points.
pub fn sweep_html(
    points: &[super::sweep::OperatingPoint],
    chosen: Option<usize>,
    kind: &str,
    loso: Option<&super::sweep::LosoReport>,
) -> String {
    let mut s = page_start(&format!("autotrigger sweep: {kind}"));
    let label = |i: usize| super::sweep::describe(&points[i].params);
    let fa: Vec<CurvePoint> = (0..points.len())
        .filter_map(|i| {
            let p = &points[i];
            Some((p.fa_per_hour?, p.recall?, label(i)))
        })
        .collect();
    let share: Vec<CurvePoint> = (0..points.len())
        .filter_map(|i| {
            let p = &points[i];
            Some((p.false_trigger_share?, p.recall?, label(i)))
        })
        .collect();
    let _ = write!(
        s,
        "<p>{} operating points{}. Blue line: best recall reachable at or below each false-alarm \
         level; red circle: chosen point.</p>",
        points.len(),
        chosen
            .map(|i| format!("; chosen: #{} ({})", i + 1, esc(&label(i))))
            .unwrap_or_else(|| "; none fits the budget".into())
    );
    // The chosen index among the points that have both figures.
    let idx = |with: &dyn Fn(&super::sweep::OperatingPoint) -> bool| {
        chosen.and_then(|c| with(&points[c]).then(|| (0..c).filter(|&j| with(&points[j])).count()))
    };
    s.push_str("<div style=\"display:flex;flex-wrap:wrap;gap:12px\">");
    if !fa.is_empty() {
        let c = idx(&|p| p.fa_per_hour.is_some() && p.recall.is_some());
        s.push_str(&curve_svg(
            &format!("{kind}: recall vs false alarms"),
            "false alarms per hour",
            &fa,
            c,
        ));
    }
    if !share.is_empty() {
        let c = idx(&|p| p.false_trigger_share.is_some() && p.recall.is_some());
        s.push_str(&curve_svg(
            &format!("{kind}: recall vs false-trigger share"),
            "share of negative clips triggered",
            &share,
            c,
        ));
    }
    s.push_str("</div><h2>Operating points</h2><pre>");
    s.push_str(&esc(&super::sweep::points_table(points, chosen)));
    s.push_str("</pre>");
    if let Some(c) = chosen {
        s.push_str("<h2>Chosen point</h2>");
        s.push_str(&summary_html(&points[c].report));
    }
    if let Some(l) = loso {
        let _ = write!(
            s,
            "<h2>Chosen point, leave-one-{k}-out</h2><p class=\"note\">Each {k}'s figures come \
             from the point chosen (under the same budget) on every other {k}'s recordings.</p>",
            k = esc(&l.key)
        );
        let header = super::sweep::LosoReport::header();
        s.push_str(&html_table(&header, &l.rows()));
    }
    s.push_str("</body></html>\n");
    s
}
