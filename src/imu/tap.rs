//! Tap and double-tap detection on the camera body.
//!
//! A tap is a sharp, short spike with little body motion around it: on the internal grid the
//! per-frame raw spike amplitude ([`super::ImuFrame::peak_dyn_g`], |a| minus a 30 ms running
//! mean) must exceed `min_peak_g` for at most `max_width_s`, and stay under `quiet_g` for
//! `quiet_s` before and after. Footsteps and running fail the quiet test (they repeat and
//! move the body), falls fail the width and quiet tests.
//!
//! Two taps `double_min_s..=double_max_s` apart are one `double_tap`; a tap with no second
//! one within `double_max_s` is a `tap` (so a single tap is decided `double_max_s` after it).
//!
//! Rate limit: a 20 ms tap is only seen reliably when the sensor samples well above its
//! bandwidth. Below `min_rate_hz` (default 50 Hz, measured from the timestamps) the detector
//! stays silent rather than guess: at 20 Hz a tap falls between samples or looks like any
//! other 50 ms jolt.

use super::orientation::OrientFrame;
use super::stream::{ImuFrame, INTERNAL_RATE_HZ};
use crate::error::ConfigError;
use crate::event::{Event, EventKind, Evidence};
use crate::time::{secs_to_micros, secs_to_samples, Timestamp};
use serde::{Deserialize, Serialize};

/// Tap detector parameters (TOML table `[tap]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TapConfig {
    /// Smallest spike amplitude, g. Default 0.8; range 0.1..=16.
    pub min_peak_g: f64,
    /// Longest spike, seconds. Default 0.03; range 0.01..=0.2.
    pub max_width_s: f64,
    /// Quiet time needed before and after the spike, seconds. Default 0.12; range 0.02..=2.
    pub quiet_s: f64,
    /// Largest spike amplitude that still counts as quiet, g. Default 0.2; range 0.01..=4
    /// (and below `min_peak_g`).
    pub quiet_g: f64,
    /// Shortest interval between the two taps of a double tap, seconds. Default 0.15; range
    /// 0.05..=2.
    pub double_min_s: f64,
    /// Longest interval between the two taps of a double tap, seconds. Default 0.6; range
    /// 0.05..=2 (and above `double_min_s`).
    pub double_max_s: f64,
    /// Lowest raw sample rate at which taps are detected, Hz. Default 50; range 20..=1000.
    pub min_rate_hz: f64,
}

impl Default for TapConfig {
    fn default() -> Self {
        TapConfig {
            min_peak_g: 0.8,
            max_width_s: 0.03,
            quiet_s: 0.12,
            quiet_g: 0.2,
            double_min_s: 0.15,
            double_max_s: 0.6,
            min_rate_hz: 50.0,
        }
    }
}

impl TapConfig {
    /// Checks every parameter against its documented range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        ConfigError::check_range("tap.min_peak_g", self.min_peak_g, 0.1, 16.0)?;
        ConfigError::check_range("tap.max_width_s", self.max_width_s, 0.01, 0.2)?;
        ConfigError::check_range("tap.quiet_s", self.quiet_s, 0.02, 2.0)?;
        ConfigError::check_range("tap.quiet_g", self.quiet_g, 0.01, 4.0)?;
        ConfigError::check_range("tap.double_min_s", self.double_min_s, 0.05, 2.0)?;
        ConfigError::check_range("tap.double_max_s", self.double_max_s, 0.05, 2.0)?;
        ConfigError::check_range("tap.min_rate_hz", self.min_rate_hz, 20.0, 1000.0)?;
        if self.quiet_g >= self.min_peak_g {
            return Err(ConfigError::Inconsistent {
                param: "tap.quiet_g",
                reason: "must be below tap.min_peak_g",
            });
        }
        if self.double_min_s >= self.double_max_s {
            return Err(ConfigError::Inconsistent {
                param: "tap.double_min_s",
                reason: "must be below tap.double_max_s",
            });
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Spike {
    t: Timestamp,
    peak: f32,
    width: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// No spike; `quiet` quiet frames in a row.
    Idle { quiet: usize },
    /// Inside a spike.
    In(Spike),
    /// After a spike, `quiet` quiet frames so far.
    After(Spike, usize),
}

/// Per-stream state of the tap logic, fed with internal frames.
#[derive(Debug, Clone)]
pub(crate) struct TapCore {
    cfg: TapConfig,
    max_width: usize,
    quiet_n: usize,
    phase: Phase,
    pending: Option<Spike>,
}

impl TapCore {
    pub(crate) fn new(cfg: &TapConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        let r = INTERNAL_RATE_HZ;
        Ok(TapCore {
            cfg: cfg.clone(),
            // A spike of width w seconds touches up to ceil(w * rate) + 1 frames.
            max_width: secs_to_samples(cfg.max_width_s, r, 1) + 1,
            quiet_n: secs_to_samples(cfg.quiet_s, r, 1),
            phase: Phase::Idle { quiet: 0 },
            pending: None,
        })
    }

    /// After a gap: a fresh start (the gait and spike windows would span the discontinuity).
    pub(crate) fn restart(&mut self) {
        self.reset();
    }

    pub(crate) fn reset(&mut self) {
        self.phase = Phase::Idle { quiet: 0 };
        self.pending = None;
    }

    pub(crate) fn latency_us(&self) -> i64 {
        secs_to_micros(self.cfg.max_width_s + self.cfg.quiet_s + self.cfg.double_max_s) + 20_000
    }

    fn tap_event(&self, s: &Spike, now: Timestamp) -> Event {
        let c = &self.cfg;
        let mut e = Evidence::new();
        e.push("tap_peak_g", s.peak, Some(c.min_peak_g as f32));
        e.push(
            "tap_width_s",
            s.width as f32 / INTERNAL_RATE_HZ as f32,
            Some(c.max_width_s as f32),
        );
        e.push("quiet_g", c.quiet_g as f32, None);
        Event {
            kind: EventKind::Tap,
            onset: s.t,
            decided: now,
            confidence: (0.5 + 0.5 * (s.peak / c.min_peak_g as f32 - 1.0)).clamp(0.5, 1.0),
            evidence: e,
        }
    }

    fn confirmed(&mut self, s: Spike, now: Timestamp, out: &mut impl Extend<Event>) {
        let c = &self.cfg;
        match self.pending.take() {
            Some(p) => {
                let dt = s.t.micros_since(p.t);
                if dt >= secs_to_micros(c.double_min_s) && dt <= secs_to_micros(c.double_max_s) {
                    let mut e = Evidence::new();
                    e.push("interval_s", dt as f32 * 1e-6, Some(c.double_max_s as f32));
                    e.push("tap1_peak_g", p.peak, Some(c.min_peak_g as f32));
                    e.push("tap2_peak_g", s.peak, Some(c.min_peak_g as f32));
                    e.push(
                        "tap_width_s",
                        p.width.max(s.width) as f32 / INTERNAL_RATE_HZ as f32,
                        Some(c.max_width_s as f32),
                    );
                    out.extend(Some(Event {
                        kind: EventKind::DoubleTap,
                        onset: p.t,
                        decided: now,
                        confidence: (0.5 + 0.25 * (p.peak.min(s.peak) / c.min_peak_g as f32))
                            .clamp(0.5, 1.0),
                        evidence: e,
                    }));
                } else {
                    out.extend(Some(self.tap_event(&p, now)));
                    self.pending = Some(s);
                }
            }
            None => self.pending = Some(s),
        }
    }

    pub(crate) fn frame(&mut self, f: &ImuFrame, _o: &OrientFrame, out: &mut impl Extend<Event>) {
        let t = f.t;
        if f.raw_rate_hz < self.cfg.min_rate_hz as f32 {
            // Too slow to see a tap (see the module docs): stay silent, forget partial state.
            self.phase = Phase::Idle { quiet: 0 };
            self.pending = None;
            return;
        }
        let active = f.peak_dyn_g >= self.cfg.quiet_g as f32;
        self.phase = match self.phase {
            Phase::Idle { quiet } => {
                if active {
                    if quiet >= self.quiet_n {
                        Phase::In(Spike {
                            t,
                            peak: f.peak_dyn_g,
                            width: 1,
                        })
                    } else {
                        Phase::Idle { quiet: 0 }
                    }
                } else {
                    Phase::Idle {
                        quiet: (quiet + 1).min(self.quiet_n),
                    }
                }
            }
            Phase::In(mut s) => {
                if active {
                    s.width += 1;
                    if f.peak_dyn_g > s.peak {
                        s.peak = f.peak_dyn_g;
                        s.t = t;
                    }
                    if s.width > self.max_width {
                        Phase::Idle { quiet: 0 }
                    } else {
                        Phase::In(s)
                    }
                } else {
                    Phase::After(s, 1)
                }
            }
            Phase::After(s, q) => {
                if active {
                    Phase::Idle { quiet: 0 }
                } else if q + 1 >= self.quiet_n {
                    if s.peak >= self.cfg.min_peak_g as f32 {
                        self.confirmed(s, t, out);
                    }
                    Phase::Idle { quiet: q + 1 }
                } else {
                    Phase::After(s, q + 1)
                }
            }
        };
        if let Some(p) = self.pending {
            if t.micros_since(p.t) > secs_to_micros(self.cfg.double_max_s) {
                self.pending = None;
                out.extend(Some(self.tap_event(&p, t)));
            }
        }
    }

    /// End of stream: a single tap still waiting for a possible second one is emitted.
    pub(crate) fn finish(&mut self, now: Timestamp, out: &mut impl Extend<Event>) {
        if let Some(p) = self.pending.take() {
            out.extend(Some(self.tap_event(&p, now)));
        }
    }
}
