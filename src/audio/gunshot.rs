//! The gunshot detector: [`OnsetFeatures`] (samples -> [`FeatureFrame`]s) followed by a separate
//! decision stage, [`GunshotDecider`] (frames -> events).
//!
//! The decider looks for a candidate onset (an abrupt broadband level jump over the adaptive
//! noise floor), gathers the attack (`attack_window_s`) and watches the following
//! `decay_window_s` for the muzzle blast's fast decay, then accepts or rejects the candidate.
//! Candidates closer than `min_interval_s` to the previous one belong to the same shot, so an
//! automatic burst yields one event per round.

use super::features::{db_to_power, FeatureFrame, GatedHop, OnsetFeatures, LEVEL_FLOOR_DBFS};
use super::frontend::FrameTiming;
use super::model::{logit, sigmoid, FeatureVector, GunshotModel, MODEL_FEATURES, N_FEATURES};
use crate::detector::StreamingDetector;
use crate::error::{ConfigError, ProcessError};
use crate::event::{Event, EventKind, Evidence};
use crate::time::{secs_to_samples, Timestamp};
use serde::{Deserialize, Serialize};

/// Gunshot detector parameters (TOML table `[gunshot]`). Every value is in seconds, hertz or
/// decibels; missing keys take the defaults shown.
///
/// The parameters listed in [`GunshotConfig::FEATURE_PARAMS`] change the features; the others
/// only change the decision stage, so a sweep over them can re-run [`GunshotDecider`] over
/// precomputed [`FeatureFrame`]s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GunshotConfig {
    // ---- decision stage ----
    /// Which decision stage judges the candidates: `"rules"` (the hand-set gate cascade below)
    /// or `"model"` (the trained logistic second stage, [`super::GunshotModel`]: the gates
    /// below other than the candidate proposal ones are then not used). Default `"rules"`.
    pub stage: GunshotStage,
    /// Probability a candidate needs on the `model` stage, 0..1; 0 = the model's own
    /// threshold (its `threshold`, chosen for false events per hour on ambient audio).
    /// Default 0, range 0..=0.999.
    pub min_probability: f64,
    /// Run the spectral analysis on every hop (the reference) instead of the gated front end
    /// of [`GunshotDetector`], which runs it only on the hops the decision stage reads (a
    /// candidate onset and its attack window). Default false: the events are identical either
    /// way (tests/gunshot_gated.rs), the gated path is cheaper on quiet and steady audio.
    pub full_analysis: bool,
    // ---- features ----
    /// Hop between analysis frames, s. Default 0.005, range 0.001..=0.02.
    pub hop_s: f64,
    /// Analysis window (frame) length, s; the FFT is the next power of two. Default 0.01,
    /// range 0.002..=0.1 (at least one hop).
    pub frame_s: f64,
    /// Lower edge of the analysis band of the spectral features, Hz. Default 100, range
    /// 0..=20000.
    pub band_min_hz: f64,
    /// Upper edge of the analysis band, Hz, clamped to the Nyquist frequency. Default 4000 (the
    /// Nyquist frequency of 8 kHz audio, so features mean the same at every rate), range
    /// 200..=48000.
    pub band_max_hz: f64,
    /// Split frequency of `hf_ratio`, Hz. Default 2000, range 0..=48000.
    pub hf_split_hz: f64,
    /// Release time constant of the peak-hold envelope used for the rise time, s. Default
    /// 0.005, range 0.0001..=0.1.
    pub envelope_release_s: f64,
    /// A sample with `|x|` at or above this level counts as clipped, dBFS. Default -0.1,
    /// range -20..=0.
    pub clip_level_dbfs: f64,
    /// Time constant with which the noise floor climbs towards a louder level, s. Default 1.0,
    /// range 0.05..=60. Slow, so that a shot does not raise its own floor.
    pub floor_rise_s: f64,
    /// Time constant with which the noise floor falls towards a quieter level, s. Default
    /// 0.05, range 0.005..=10.
    pub floor_fall_s: f64,
    /// At the start of a stream the floor is unknown (it starts at -120 dBFS) and climbs with
    /// `floor_fall_s` during this time, s. Default 0.25, range 0..=10.
    pub floor_warmup_s: f64,
    /// Corner frequency of the one-pole DC-blocking high-pass in front of the analysis, Hz;
    /// 0 = none. Default 5, range 0..=200. A body-worn microphone path can carry a large
    /// offset (0.3 FS has been seen): without the blocker it sets the level, the noise floor
    /// sits near the offset's level and a shot barely rises over it. At 5 Hz (time constant
    /// 32 ms) the corner lies far below the analysis band, so it removes the offset and slow
    /// drift but not sound. The filter is primed with the first sample (a constant offset
    /// gives no start-up click), so its output starts at 0: a rise whose quiet point lies in
    /// the stream's first hop is therefore not taken as observed (`rise_time_us`). Clipping
    /// is always counted on the unfiltered input.
    pub dc_block_hz: f64,
    // ---- decision ----
    /// Level rise over the noise floor that makes a candidate, dB. Default 15, range 0..=100.
    pub rise_threshold_db: f64,
    /// A candidate's hop must also be this much louder than the louder of the two hops before
    /// it, dB. Default 6, range 0..=60. The floor adapts slowly, so a reverberant tail stays
    /// well above it; this keeps the tail from making candidates (an onset is a jump).
    pub min_jump_db: f64,
    /// A hop this much louder than the louder of the two hops before it makes a candidate even
    /// when its rise over the noise floor is below `rise_threshold_db`, dB. Default 10, range
    /// 0..=60 (60: off). The floor follows a loud background (a first shot's reverberation,
    /// traffic, the stream's first quarter second) and can sit within 15 dB of a blast; a
    /// 10 dB jump within a hop is an onset whatever the floor says.
    pub onset_jump_db: f64,
    /// Smallest spectral flux of the attack (its largest `flux_db`), dB: the onset must be a
    /// broadband spectral change. Default 10, range 0..=100. See also `flux_jump_share`.
    pub flux_threshold_db: f64,
    /// The flux gate is relaxed to `flux_jump_share × jump_db` (the candidate hop's level jump)
    /// when that is lower than `flux_threshold_db`. Default 0.8, range 0.1..=10 (10: off in
    /// practice). A broadband onset J dB above the preceding hops raises every bin by about J
    /// dB, so its flux is about J (0.85-0.9 J measured, the frame straddling the onset); a
    /// blast over loud steady noise or a previous sound can only jump 10-13 dB and cannot show
    /// 10 dB of flux, while a narrowband onset of the same jump stays far below 0.8 J.
    pub flux_jump_share: f64,
    /// Longest attack time of a muzzle blast, s: the shortest, over the hops of the attack
    /// window, of the rise time from quiet (`rise_time_us`) and of the attack time over the
    /// preceding level (`attack_time_us`) of hops whose attack ratio reaches
    /// `min_attack_ratio_db`. Default 0.0017, range 0.0001..=0.1. A blast at the muzzle rises
    /// in well under 1 ms; distance and the recording chain (low-passing, resampling) stretch
    /// it to 1.3-1.7 ms in real recordings; a slammed heavy door takes 1.1-6 ms, so the
    /// centroid gate (`min_centroid_hz`) separates the fast ones.
    pub max_rise_time_s: f64,
    /// Smallest attack ratio (`attack_ratio_db`: the hop's peak over the envelope's minimum
    /// before it in the frame) for a hop's `attack_time_us` to count as an attack, dB.
    /// Default 25, range 0..=120. The excursion-based attack time is robust to a quiet point
    /// that never reaches 10 % of the peak, but a small excursion is not an attack: at 10-20 dB
    /// the rounds of a burst over their predecessors' reverberation pass, and so do the
    /// impacts of a jackhammer and single claps in applause (see docs/gunshot.md).
    pub min_attack_ratio_db: f64,
    /// Only hops whose sample peak is within this of the attack's largest sample count for the
    /// attack time, dB. Default 12, range 0..=60 (60: every hop counts). A sound that swells
    /// over several milliseconds (a bark, an idling engine's start) shows a deceptively short
    /// rise in the hop where the swell begins, whose own peak is still far below the sound's;
    /// a blast's first arrival (or a bullet's N-wave) reaches at least a quarter of the
    /// attack's peak (dev shots: first arrivals 6-12 dB below a later, larger peak occur).
    pub attack_peak_margin_db: f64,
    /// Smallest sample peak of the attack, dBFS. Default -10, range -120..=0. A muzzle blast
    /// near a body-worn microphone (140-175 dB SPL) drives it to or near full scale; this gate
    /// rejects the quieter impacts of everyday objects, at the price of missing distant shots.
    /// It depends on the recorder's gain: with a device profile
    /// ([`crate::config::DeviceConfig::full_scale_db_spl`]) it is replaced by
    /// `min_peak_db_spl` converted to dBFS ([`crate::Config::gunshot_for_device`]).
    pub min_peak_dbfs: f64,
    /// Smallest sample peak of the attack over the adaptive noise floor (the floor at the
    /// candidate hop, `floor_dbfs`), dB; 0 = off. Default 0, range 0..=120. Unlike
    /// `min_peak_dbfs` it does not depend on the recorder's gain: the same sound scaled by any
    /// factor gives the same value. Combined with `min_peak_dbfs` (both must pass; the
    /// `peak_dbfs` evidence then carries the effective threshold `max(min_peak_dbfs,
    /// floor_dbfs + min_peak_over_floor_db)`), bypassed by clipping like the absolute gate.
    /// Off by default: on the dev set no relative threshold separates studio-clean office
    /// impacts (which stand 40-90 dB over their floor) from distant shots in noise (see
    /// docs/gunshot.md, "Levels that do not depend on one recorder's gain").
    pub min_peak_over_floor_db: f64,
    /// The absolute peak gate in sound pressure, dB SPL, used instead of `min_peak_dbfs` when
    /// a device profile gives the microphone's full-scale level (`[device]
    /// full_scale_db_spl`): the gate becomes `min_peak_db_spl - full_scale_db_spl` dBFS,
    /// clamped to -120..=0 (a microphone that saturates below this level passes only clipped
    /// shots). Default 120, range 60..=200; ignored without a profile. 120 dB SPL is the
    /// default -10 dBFS on a microphone whose full scale is 130 dB SPL (a typical MEMS
    /// acoustic overload point); a handgun's blast is about 160 dB SPL peak at 1 m and
    /// 120 dB SPL at 100 m in free field, a slammed door or a hand clap 100-120 dB SPL at 1 m.
    /// Chosen from these figures, not fitted: no dev recording is calibrated.
    pub min_peak_db_spl: f64,
    /// A candidate whose attack has at least this fraction of clipped samples skips the
    /// `min_peak_dbfs` and `max_rise_time_s` gates (a saturated microphone hides the true
    /// level and flattens the rise), 0..1. Default 0.02; 1 disables the bypass.
    pub min_clipped_frac: f64,
    /// Smallest spectral flatness at the attack, 0..1. Default 0 (off): distant and
    /// band-limited shots lose their high frequencies and are not flat (see docs/gunshot.md).
    pub min_flatness: f64,
    /// Smallest spectral centroid at the attack (the loudest hop of the attack window), Hz.
    /// Default 250, range 0..=20000 (0: off). A heavy panel (a car door, the synthetic door
    /// slam) or a thump on the camera body radiates mostly below 250 Hz and rises almost as
    /// fast as a distant shot; a muzzle blast, even distant and low-passed, keeps its centroid
    /// above ~330 Hz on the dev set. Interior door slams with a latch click (DCASE, 250-2100
    /// Hz) are not caught by it.
    pub min_centroid_hz: f64,
    /// Lower edge of the optional *quiet path*, dBFS: an unclipped candidate whose peak lies in
    /// `[quiet_min_peak_dbfs, min_peak_dbfs)` passes the peak gate when its attack shape is
    /// stricter than usual (`quiet_max_rise_time_s`, `quiet_min_attack_ratio_db`,
    /// `quiet_min_decay_db`), for distant shots. Default 0 = off (the range is empty whenever
    /// it is not below `min_peak_dbfs`), range -120..=0. Off by default because on the dev set
    /// quiet office impacts (knocks, door slams, keys, page turns, coughs, speech plosives)
    /// show the same attack and decay as a distant shot: see docs/gunshot.md.
    pub quiet_min_peak_dbfs: f64,
    /// Lower edge of the quiet path in sound pressure, dB SPL, used instead of
    /// `quiet_min_peak_dbfs` with a device profile (converted like `min_peak_db_spl`); 0 =
    /// off (the quiet path stays off with a profile). Default 0, range 0..=200.
    pub quiet_min_peak_db_spl: f64,
    /// Longest attack time on the quiet path, s. Default 0.0006, range 0..=0.01.
    pub quiet_max_rise_time_s: f64,
    /// Smallest attack ratio (peak over the preceding level) on the quiet path, dB. Default
    /// 30, range 0..=120.
    pub quiet_min_attack_ratio_db: f64,
    /// Smallest decay on the quiet path, dB. Default 12, range 0..=100.
    pub quiet_min_decay_db: f64,
    /// Time after the candidate onset over which the attack's maxima are taken, s. Default
    /// 0.015, range 0.001..=0.1.
    pub attack_window_s: f64,
    /// Time after the onset within which the level must have decayed, s; the decision comes
    /// at its end. Default 0.3 (long enough for a reverberant blast to fall back), range
    /// 0.03..=0.3, longer than `attack_window_s`.
    pub decay_window_s: f64,
    /// Smallest decay (attack peak level minus the lowest level after the attack, within the
    /// decay window), dB. Default 8, range 0..=100.
    pub min_decay_db: f64,
    /// Extra time a candidate that passed every gate but the decay gets for its level to fall
    /// `min_decay_db`, s; 0 = none. Default 0.2, range 0..=0.3. A shot in a reverberant
    /// space, a rolling echo between buildings or the roar of a large calibre keeps the level
    /// within 8 dB of the attack for more than `decay_window_s`, but falls eventually; steady
    /// noise never does. Such a candidate is accepted (and decided) at the first hop where
    /// its decay reaches `min_decay_db`, or rejected at `decay_window_s + decay_extension_s`;
    /// candidates that pass or fail at `decay_window_s` are decided there as before, so the
    /// usual decision delay is unchanged and only the worst case
    /// ([`GunshotDecider::latency_us`]) grows by the extension.
    pub decay_extension_s: f64,
    /// Time constant of the one-pole smoother (on power) applied to the hop level before the
    /// lowest level after the attack is taken, s; 0 = none. Default 0.01, range 0..=0.05. It
    /// keeps the random dips of loud steady noise from passing for a decay.
    pub decay_smoothing_s: f64,
    /// Candidates closer than this to the previous candidate belong to the same shot, s.
    /// Default 0.07, range 0.02..=10: rounds 80 ms apart (automatic fire) stay separate with
    /// room for the onset estimates' error, while one blast's ringing stays one event.
    pub min_interval_s: f64,
    /// Within `min_interval_s`, an onset this much louder than the pending candidate's peak
    /// replaces it (the first one was a precursor: a click, the stream start, a distant
    /// sound), dB. Default 10, range 0..=100.
    pub retrigger_db: f64,
    /// How long after an accepted shot's onset a later candidate may be judged as a further
    /// round of the same burst, s. Default 0.5, range 0..=2 (0: off). Automatic fire
    /// (600-1000 rounds/min) and rapid semi-automatic fire (2-5 shots/s) fall inside; each
    /// accepted round extends the burst.
    pub burst_window_s: f64,
    /// The attack ratio that counts as an attack for a round of a burst, dB (instead of
    /// `min_attack_ratio_db`). Default 12, range 0..=120. A later round lands on the earlier
    /// rounds' reverberation, which has fallen only 6-20 dB in 60-200 ms, so its attack stands
    /// 12-20 dB above the preceding level and its rise from quiet is never observed. Only a
    /// candidate that follows an accepted shot gets this: a first shot must still show the
    /// full attack, so a jackhammer or applause cannot start a trigger this way.
    pub burst_min_attack_ratio_db: f64,
    /// A round of a burst peaks at most this far below the accepted shot before it, dB.
    /// Default 6, range 0..=60. The same gun at the same distance gives the same peak; a
    /// softer impulse in the tail (an echo, a casing, a footstep) is not a round.
    pub burst_peak_margin_db: f64,
}

/// The decision stage of the gunshot detector ([`GunshotConfig::stage`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GunshotStage {
    /// The hand-set gate cascade (attack time, peak, flux, centroid, decay, bursts).
    #[default]
    Rules,
    /// The trained logistic second stage over level-relative features.
    Model,
}

impl Default for GunshotConfig {
    fn default() -> Self {
        GunshotConfig {
            stage: GunshotStage::Rules,
            min_probability: 0.0,
            full_analysis: false,
            hop_s: 0.005,
            frame_s: 0.01,
            band_min_hz: 100.0,
            band_max_hz: 4000.0,
            hf_split_hz: 2000.0,
            envelope_release_s: 0.005,
            clip_level_dbfs: -0.1,
            floor_rise_s: 1.0,
            floor_fall_s: 0.05,
            floor_warmup_s: 0.25,
            dc_block_hz: 5.0,
            rise_threshold_db: 15.0,
            min_jump_db: 6.0,
            onset_jump_db: 10.0,
            flux_threshold_db: 10.0,
            flux_jump_share: 0.8,
            max_rise_time_s: 0.0017,
            min_attack_ratio_db: 25.0,
            attack_peak_margin_db: 12.0,
            min_peak_dbfs: -10.0,
            min_peak_over_floor_db: 0.0,
            min_peak_db_spl: 120.0,
            min_clipped_frac: 0.02,
            min_flatness: 0.0,
            min_centroid_hz: 250.0,
            quiet_min_peak_dbfs: 0.0,
            quiet_min_peak_db_spl: 0.0,
            quiet_max_rise_time_s: 0.0006,
            quiet_min_attack_ratio_db: 30.0,
            quiet_min_decay_db: 12.0,
            attack_window_s: 0.015,
            decay_window_s: 0.3,
            min_decay_db: 8.0,
            decay_extension_s: 0.1,
            decay_smoothing_s: 0.01,
            min_interval_s: 0.07,
            retrigger_db: 10.0,
            burst_window_s: 0.5,
            burst_min_attack_ratio_db: 12.0,
            burst_peak_margin_db: 6.0,
        }
    }
}

impl GunshotConfig {
    /// The parameters that change the [`FeatureFrame`]s. Changing only other parameters
    /// leaves the features identical (see [`GunshotConfig::same_features`]).
    pub const FEATURE_PARAMS: &'static [&'static str] = &[
        "hop_s",
        "frame_s",
        "band_min_hz",
        "band_max_hz",
        "hf_split_hz",
        "envelope_release_s",
        "clip_level_dbfs",
        "floor_rise_s",
        "floor_fall_s",
        "floor_warmup_s",
        "dc_block_hz",
    ];

    /// True when `self` and `other` give identical features (they differ at most in decision
    /// parameters), so precomputed frames can be reused.
    pub fn same_features(&self, other: &GunshotConfig) -> bool {
        self.hop_s == other.hop_s
            && self.frame_s == other.frame_s
            && self.band_min_hz == other.band_min_hz
            && self.band_max_hz == other.band_max_hz
            && self.hf_split_hz == other.hf_split_hz
            && self.envelope_release_s == other.envelope_release_s
            && self.clip_level_dbfs == other.clip_level_dbfs
            && self.floor_rise_s == other.floor_rise_s
            && self.floor_fall_s == other.floor_fall_s
            && self.floor_warmup_s == other.floor_warmup_s
            && self.dc_block_hz == other.dc_block_hz
    }

    /// Checks every parameter against its documented range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let r = ConfigError::check_range;
        r("gunshot.hop_s", self.hop_s, 0.001, 0.02)?;
        r("gunshot.frame_s", self.frame_s, 0.002, 0.1)?;
        r("gunshot.band_min_hz", self.band_min_hz, 0.0, 20_000.0)?;
        r("gunshot.band_max_hz", self.band_max_hz, 200.0, 48_000.0)?;
        r("gunshot.hf_split_hz", self.hf_split_hz, 0.0, 48_000.0)?;
        r(
            "gunshot.envelope_release_s",
            self.envelope_release_s,
            1e-4,
            0.1,
        )?;
        r("gunshot.clip_level_dbfs", self.clip_level_dbfs, -20.0, 0.0)?;
        r("gunshot.floor_rise_s", self.floor_rise_s, 0.05, 60.0)?;
        r("gunshot.floor_fall_s", self.floor_fall_s, 0.005, 10.0)?;
        r("gunshot.floor_warmup_s", self.floor_warmup_s, 0.0, 10.0)?;
        r(
            "gunshot.dc_block_hz",
            self.dc_block_hz,
            0.0,
            super::frontend::MAX_DC_BLOCK_HZ,
        )?;
        r(
            "gunshot.rise_threshold_db",
            self.rise_threshold_db,
            0.0,
            100.0,
        )?;
        r("gunshot.min_jump_db", self.min_jump_db, 0.0, 60.0)?;
        r("gunshot.onset_jump_db", self.onset_jump_db, 0.0, 60.0)?;
        r(
            "gunshot.flux_threshold_db",
            self.flux_threshold_db,
            0.0,
            100.0,
        )?;
        r("gunshot.flux_jump_share", self.flux_jump_share, 0.1, 10.0)?;
        r("gunshot.max_rise_time_s", self.max_rise_time_s, 1e-4, 0.1)?;
        r(
            "gunshot.min_attack_ratio_db",
            self.min_attack_ratio_db,
            0.0,
            120.0,
        )?;
        r(
            "gunshot.attack_peak_margin_db",
            self.attack_peak_margin_db,
            0.0,
            60.0,
        )?;
        r("gunshot.min_peak_dbfs", self.min_peak_dbfs, -120.0, 0.0)?;
        r(
            "gunshot.min_peak_over_floor_db",
            self.min_peak_over_floor_db,
            0.0,
            120.0,
        )?;
        r("gunshot.min_peak_db_spl", self.min_peak_db_spl, 60.0, 200.0)?;
        r(
            "gunshot.quiet_min_peak_db_spl",
            self.quiet_min_peak_db_spl,
            0.0,
            200.0,
        )?;
        r("gunshot.min_clipped_frac", self.min_clipped_frac, 0.0, 1.0)?;
        r("gunshot.min_flatness", self.min_flatness, 0.0, 1.0)?;
        r(
            "gunshot.min_centroid_hz",
            self.min_centroid_hz,
            0.0,
            20_000.0,
        )?;
        r(
            "gunshot.quiet_min_peak_dbfs",
            self.quiet_min_peak_dbfs,
            -120.0,
            0.0,
        )?;
        r(
            "gunshot.quiet_max_rise_time_s",
            self.quiet_max_rise_time_s,
            0.0,
            0.01,
        )?;
        r(
            "gunshot.quiet_min_attack_ratio_db",
            self.quiet_min_attack_ratio_db,
            0.0,
            120.0,
        )?;
        r(
            "gunshot.quiet_min_decay_db",
            self.quiet_min_decay_db,
            0.0,
            100.0,
        )?;
        r("gunshot.attack_window_s", self.attack_window_s, 0.001, 0.1)?;
        r("gunshot.decay_window_s", self.decay_window_s, 0.03, 0.3)?;
        r("gunshot.min_decay_db", self.min_decay_db, 0.0, 100.0)?;
        r(
            "gunshot.decay_extension_s",
            self.decay_extension_s,
            0.0,
            0.3,
        )?;
        r(
            "gunshot.decay_smoothing_s",
            self.decay_smoothing_s,
            0.0,
            0.05,
        )?;
        r("gunshot.min_interval_s", self.min_interval_s, 0.02, 10.0)?;
        r("gunshot.retrigger_db", self.retrigger_db, 0.0, 100.0)?;
        r("gunshot.burst_window_s", self.burst_window_s, 0.0, 2.0)?;
        r("gunshot.min_probability", self.min_probability, 0.0, 0.999)?;
        r(
            "gunshot.burst_min_attack_ratio_db",
            self.burst_min_attack_ratio_db,
            0.0,
            120.0,
        )?;
        r(
            "gunshot.burst_peak_margin_db",
            self.burst_peak_margin_db,
            0.0,
            60.0,
        )?;
        if self.frame_s < self.hop_s {
            return Err(ConfigError::Inconsistent {
                param: "gunshot.frame_s",
                reason: "the frame must be at least one hop long",
            });
        }
        if self.band_min_hz >= self.band_max_hz {
            return Err(ConfigError::Inconsistent {
                param: "gunshot.band_min_hz",
                reason: "the band's lower edge must lie below its upper edge",
            });
        }
        if self.attack_window_s >= self.decay_window_s {
            return Err(ConfigError::Inconsistent {
                param: "gunshot.attack_window_s",
                reason: "the attack window must be shorter than the decay window",
            });
        }
        Ok(())
    }
}

/// The gates a candidate can fail, as reported by [`GunshotDecider::push_traced`]:
/// `attack_time` (`max_rise_time_s`, over the hops whose attack ratio reaches
/// `min_attack_ratio_db`), `peak` (`min_peak_dbfs` and `min_peak_over_floor_db`; both bypassed by clipping; on the quiet
/// path `quiet_min_peak_dbfs` and `quiet_min_attack_ratio_db`),
/// `flux` (`flux_threshold_db`, relaxed by `flux_jump_share`), `flatness` (`min_flatness`), `centroid` (`min_centroid_hz`),
/// `decay` (`min_decay_db`).
pub const GATE_NAMES: [&str; 6] = [
    "attack_time",
    "peak",
    "flux",
    "flatness",
    "centroid",
    "decay",
];

/// An impulse within this of a candidate's peak, after its attack window and within
/// `min_interval_s`, marks the candidate as machinery-like for the burst rule, dB. A room's
/// reflections arrive 8-9 dB below the direct blast in the synthetic halls (tests/gunshot_bursts.rs);
/// a jackhammer's blows vary by about ±4 dB.
const FAST_FOLLOW_DB: f32 = 3.0;

/// Most candidates the decider follows at once (their decay windows overlap when shots are
/// closer than the window); more than `(decay_window_s + decay_extension_s) / min_interval_s`
/// (at most 0.6 / 0.02 = 30 with validated parameters) is never needed.
const MAX_PENDING: usize = 32;

/// What the decider knows about one candidate shot.
#[derive(Debug, Clone, Copy, Default)]
struct Candidate {
    onset_sample: u64,
    attack_end: u64,
    decay_end: u64,
    // Attack maxima (minimum for the rise time).
    peak_level: f32,
    floor: f32,
    rise_db: f32,
    flux_db: f32,
    hfc_db: f32,
    flatness: f32,
    centroid_hz: f32,
    hf_ratio: f32,
    peak_dbfs: f32,
    crest_db: f32,
    rise_time_us: f32,
    clipped_frac: f32,
    // Sample-level attack: the attack times of the attack's hops (see `Attacks`), the largest
    // attack ratio, and the candidate hop's level jump.
    attacks: Attacks,
    attack_ratio_db: f32,
    jump_db: f32,
    // Lowest level after the attack.
    min_after: f32,
    /// Another onset about as loud came within `min_interval_s` after this one's attack (and
    /// was merged into it): impulses faster than a firearm's cycle, as from a jackhammer.
    fast_follow: bool,
}

/// Most hops of an attack window whose attack times are kept (the default window holds 3-4
/// hops; with very short hops the quietest hops beyond this are dropped first).
const MAX_ATTACK_HOPS: usize = 8;

/// The attack times of an attack window's hops with their sample peaks, so that the attack can
/// be judged only on hops that reach close to the attack's final peak: a sound that swells
/// over several milliseconds (a bark, a door's panel) shows a deceptively short rise in the
/// hop where its swell begins, because that hop's own peak is still small.
#[derive(Debug, Clone, Copy, Default)]
struct Attacks {
    peak_dbfs: [f32; MAX_ATTACK_HOPS],
    time_us: [f32; MAX_ATTACK_HOPS],
    /// The same hops' attack times with the burst attack-ratio floor
    /// (`burst_min_attack_ratio_db`), for a candidate that turns out to follow a shot.
    burst_us: [f32; MAX_ATTACK_HOPS],
    n: usize,
}

impl Attacks {
    fn push(&mut self, peak_dbfs: f32, time_us: f32, burst_us: f32) {
        if self.n < MAX_ATTACK_HOPS {
            self.peak_dbfs[self.n] = peak_dbfs;
            self.time_us[self.n] = time_us;
            self.burst_us[self.n] = burst_us;
            self.n += 1;
            return;
        }
        // Full: replace the quietest hop (the earliest of equally quiet ones) if louder.
        let (i, &q) =
            self.peak_dbfs[..self.n]
                .iter()
                .enumerate()
                .fold(
                    (0, &f32::INFINITY),
                    |m, (i, p)| if *p < *m.1 { (i, p) } else { m },
                );
        if peak_dbfs > q {
            self.peak_dbfs[i] = peak_dbfs;
            self.time_us[i] = time_us;
            self.burst_us[i] = burst_us;
        }
    }

    fn merge(&mut self, other: &Attacks) {
        for i in 0..other.n {
            self.push(other.peak_dbfs[i], other.time_us[i], other.burst_us[i]);
        }
    }

    /// The shortest attack time among hops whose peak reaches `min_peak_dbfs` (`burst`: with
    /// the burst attack-ratio floor).
    fn best(&self, min_peak_dbfs: f32, burst: bool) -> f32 {
        let times = if burst { &self.burst_us } else { &self.time_us };
        (0..self.n)
            .filter(|&i| self.peak_dbfs[i] >= min_peak_dbfs)
            .map(|i| times[i])
            .fold(f32::INFINITY, f32::min)
    }
}

/// A hop's attack time: its rise time from quiet, or its attack time over the preceding level
/// when its peak stands at least `min_ratio` dB above that level (a smaller excursion is not
/// an attack: noise wobbles that much).
fn attack_of(f: &FeatureFrame, min_ratio: f32) -> f32 {
    if f.attack_ratio_db >= min_ratio {
        f.rise_time_us.min(f.attack_time_us)
    } else {
        f.rise_time_us
    }
}

impl Candidate {
    fn start(f: &FeatureFrame, jump_db: f32, min_ratio: f32, burst_ratio: f32) -> Self {
        Candidate {
            onset_sample: f.onset_sample.min(f.end_sample),
            attack_end: f.end_sample,
            decay_end: f.end_sample,
            peak_level: f.level_dbfs,
            floor: f.floor_dbfs,
            rise_db: f.rise_db,
            flux_db: f.flux_db,
            hfc_db: f.hfc_db,
            flatness: f.flatness,
            centroid_hz: f.centroid_hz,
            hf_ratio: f.hf_ratio,
            peak_dbfs: f.peak_dbfs,
            crest_db: f.crest_db,
            rise_time_us: f.rise_time_us,
            clipped_frac: f.clipped_frac,
            attacks: {
                let mut a = Attacks::default();
                a.push(
                    f.peak_dbfs,
                    attack_of(f, min_ratio),
                    attack_of(f, burst_ratio),
                );
                a
            },
            attack_ratio_db: f.attack_ratio_db,
            jump_db,
            min_after: f32::INFINITY,
            fast_follow: false,
        }
    }

    /// Takes over the attack extremes of a precursor this candidate replaces (the level and
    /// spectral shape stay this candidate's: it is the louder).
    fn absorb(&mut self, p: &Candidate) {
        self.floor = self.floor.min(p.floor);
        self.rise_db = self.rise_db.max(p.rise_db);
        self.flux_db = self.flux_db.max(p.flux_db);
        self.hfc_db = self.hfc_db.max(p.hfc_db);
        self.peak_dbfs = self.peak_dbfs.max(p.peak_dbfs);
        self.crest_db = self.crest_db.max(p.crest_db);
        self.rise_time_us = self.rise_time_us.min(p.rise_time_us);
        self.clipped_frac = self.clipped_frac.max(p.clipped_frac);
        self.jump_db = self.jump_db.max(p.jump_db);
        self.attacks.merge(&p.attacks);
        self.attack_ratio_db = self.attack_ratio_db.max(p.attack_ratio_db);
    }

    fn update(&mut self, f: &FeatureFrame, smoothed_level: f32, min_ratio: f32, burst_ratio: f32) {
        if f.end_sample <= self.attack_end {
            if f.level_dbfs > self.peak_level {
                // The spectral shape is taken at the loudest hop of the attack.
                self.peak_level = f.level_dbfs;
                self.flatness = f.flatness;
                self.centroid_hz = f.centroid_hz;
                self.hf_ratio = f.hf_ratio;
            }
            self.attacks.push(
                f.peak_dbfs,
                attack_of(f, min_ratio),
                attack_of(f, burst_ratio),
            );
            self.attack_ratio_db = self.attack_ratio_db.max(f.attack_ratio_db);
            self.rise_db = self.rise_db.max(f.rise_db);
            self.flux_db = self.flux_db.max(f.flux_db);
            self.hfc_db = self.hfc_db.max(f.hfc_db);
            self.peak_dbfs = self.peak_dbfs.max(f.peak_dbfs);
            self.crest_db = self.crest_db.max(f.crest_db);
            self.rise_time_us = self.rise_time_us.min(f.rise_time_us);
            self.clipped_frac = self.clipped_frac.max(f.clipped_frac);
        } else {
            self.min_after = self.min_after.min(smoothed_level);
        }
    }

    /// The attack time: the shortest of the hops whose peak is within `margin_db` of the
    /// attack's largest sample (`burst`: with the burst attack-ratio floor), or the rise time
    /// from quiet when no hop qualifies.
    fn attack_time_us(&self, margin_db: f32, burst: bool) -> f32 {
        match self.attacks.best(self.peak_dbfs - margin_db, burst) {
            t if t.is_finite() => t,
            _ => self.rise_time_us,
        }
    }

    fn decay_db(&self) -> f32 {
        if self.min_after.is_finite() {
            self.peak_level - self.min_after
        } else {
            0.0
        }
    }
}

/// The decision stage: [`FeatureFrame`]s in, gunshot [`Event`]s out.
///
/// Constructible on its own so that a sweep can compute the frames once per file and re-run
/// only this stage for every setting of the decision parameters:
///
/// ```
/// use autotrigger::audio::{GunshotConfig, GunshotDecider, OnsetFeatures};
/// let cfg = GunshotConfig::default();
/// let mut fx = OnsetFeatures::new(&cfg, 22_050).unwrap();
/// let mut frames = Vec::new();
/// fx.push(&vec![0.0; 22_050], |f| frames.push(*f));
/// let mut decider = GunshotDecider::new(&cfg, fx.timing()).unwrap();
/// let mut events = Vec::new();
/// for f in &frames {
///     decider.push(f, &mut events);
/// }
/// decider.finish(&mut events);
/// assert!(events.is_empty()); // silence
/// ```
#[derive(Debug, Clone)]
pub struct GunshotDecider {
    timing: FrameTiming,
    stage: GunshotStage,
    model: GunshotModel,
    /// Probability threshold of the model stage and its log-odds.
    min_prob: f32,
    min_score: f32,
    rise_thr: f32,
    flux_thr: f32,
    flux_jump_share: f32,
    max_rise_us: f32,
    min_attack_ratio: f32,
    attack_peak_margin: f32,
    onset_jump: f32,
    min_peak: f32,
    min_peak_over_floor: f32,
    min_clipped: f32,
    min_flatness: f32,
    min_centroid: f32,
    min_decay: f32,
    quiet_min_peak: f32,
    quiet_max_rise_us: f32,
    quiet_min_ratio: f32,
    quiet_min_decay: f32,
    attack: u64,
    decay: u64,
    extension: u64,
    interval: u64,
    retrigger: f32,
    min_jump: f32,
    burst_window: u64,
    burst_min_ratio: f32,
    burst_peak_margin: f32,
    /// Onset sample, sample peak and `fast_follow` of the latest accepted shot (for the
    /// burst rule).
    last_shot: Option<(u64, f32, bool)>,
    prev_levels: [f32; 2],
    smooth_alpha: f64,
    smoothed_power: f64,
    pending: [Candidate; MAX_PENDING],
    n_pending: usize,
    last_onset: Option<u64>,
    last_end: u64,
    dropped: u64,
}

impl GunshotDecider {
    /// Builds the decision stage from the decision parameters of `config`, for frames with
    /// this `timing` (from [`OnsetFeatures::timing`]).
    pub fn new(config: &GunshotConfig, timing: FrameTiming) -> Result<Self, ConfigError> {
        let model = match config.stage {
            GunshotStage::Model => GunshotModel::builtin(),
            GunshotStage::Rules => GunshotModel::neutral(),
        };
        Self::with_model(config, timing, &model)
    }

    /// Like [`GunshotDecider::new`], with this model for the `model` stage (instead of the
    /// built-in one).
    pub fn with_model(
        config: &GunshotConfig,
        timing: FrameTiming,
        model: &GunshotModel,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let min_prob = if config.min_probability > 0.0 {
            config.min_probability as f32
        } else {
            model.threshold
        };
        ConfigError::check_rate(
            timing.sample_rate,
            super::MIN_SAMPLE_RATE,
            super::MAX_SAMPLE_RATE,
        )?;
        let rate = timing.sample_rate;
        Ok(GunshotDecider {
            timing,
            stage: config.stage,
            model: model.clone(),
            min_prob,
            min_score: logit(min_prob),
            rise_thr: config.rise_threshold_db as f32,
            flux_thr: config.flux_threshold_db as f32,
            flux_jump_share: config.flux_jump_share as f32,
            max_rise_us: (config.max_rise_time_s * 1e6) as f32,
            min_attack_ratio: config.min_attack_ratio_db as f32,
            attack_peak_margin: config.attack_peak_margin_db as f32,
            onset_jump: config.onset_jump_db as f32,
            min_peak: config.min_peak_dbfs as f32,
            min_peak_over_floor: config.min_peak_over_floor_db as f32,
            min_clipped: config.min_clipped_frac as f32,
            min_flatness: config.min_flatness as f32,
            min_centroid: config.min_centroid_hz as f32,
            min_decay: config.min_decay_db as f32,
            quiet_min_peak: config.quiet_min_peak_dbfs as f32,
            quiet_max_rise_us: (config.quiet_max_rise_time_s * 1e6) as f32,
            quiet_min_ratio: config.quiet_min_attack_ratio_db as f32,
            quiet_min_decay: config.quiet_min_decay_db as f32,
            attack: secs_to_samples(config.attack_window_s, rate, 1) as u64,
            decay: secs_to_samples(config.decay_window_s, rate, 1) as u64,
            extension: secs_to_samples(config.decay_extension_s, rate, 0) as u64,
            interval: secs_to_samples(config.min_interval_s, rate, 1) as u64,
            retrigger: config.retrigger_db as f32,
            min_jump: config.min_jump_db as f32,
            burst_window: secs_to_samples(config.burst_window_s, rate, 0) as u64,
            burst_min_ratio: config.burst_min_attack_ratio_db as f32,
            burst_peak_margin: config.burst_peak_margin_db as f32,
            last_shot: None,
            prev_levels: [LEVEL_FLOOR_DBFS; 2],
            smooth_alpha: {
                let hop_s = timing.hop as f64 / rate as f64;
                if config.decay_smoothing_s > 0.0 {
                    1.0 - (-hop_s / config.decay_smoothing_s).exp()
                } else {
                    1.0
                }
            },
            smoothed_power: 0.0,
            pending: [Candidate::default(); MAX_PENDING],
            n_pending: 0,
            last_onset: None,
            last_end: 0,
            dropped: 0,
        })
    }

    /// The frame timing this decider expects.
    pub fn timing(&self) -> FrameTiming {
        self.timing
    }

    /// Longest time from an onset to its decision, microseconds: the decay window, its
    /// extension (for a candidate whose level is slow to fall) and one hop (the onset can lie
    /// up to a hop before the hop that starts the candidate).
    pub fn latency_us(&self) -> i64 {
        // The model stage decides every candidate at the end of its decay window.
        let extension = match self.stage {
            GunshotStage::Rules => self.extension,
            GunshotStage::Model => 0,
        };
        Timestamp::from_samples(
            self.decay + extension + self.timing.hop as u64,
            self.timing.sample_rate,
        )
        .as_micros()
    }

    /// Candidates dropped because `MAX_PENDING` (32) were already being followed (cannot happen
    /// with validated parameters; counted rather than allocating).
    pub fn dropped_candidates(&self) -> u64 {
        self.dropped
    }

    /// The onset score of a frame, 0..1: how far it goes towards the candidate thresholds
    /// (1 = both the level rise and the flux reach theirs). For plots.
    pub fn onset_score(&self, f: &FeatureFrame) -> f32 {
        let r = if self.rise_thr > 0.0 {
            f.rise_db / self.rise_thr
        } else {
            1.0
        };
        let x = if self.flux_thr > 0.0 {
            f.flux_db / self.flux_thr
        } else {
            1.0
        };
        r.min(x).clamp(0.0, 1.0)
    }

    /// Whether frame `f` (the next one) starts a candidate, and its level jump over the louder
    /// of the two hops before it. Reads only `level_dbfs`, `rise_db` and `index`.
    #[inline]
    fn onset_of(&self, f: &FeatureFrame) -> (bool, f32) {
        let jump = f.level_dbfs - self.prev_levels[0].max(self.prev_levels[1]);
        // The model stage judges onsets only once the stream has a level history: a sound
        // already under way in the first hops (the stream began in it) shows a jump and a
        // rise over nothing (-120 dBFS), and its relative features say nothing.
        let observable = self.stage == GunshotStage::Rules || f.index >= MODEL_MIN_HOPS;
        let onset = observable
            && ((f.rise_db >= self.rise_thr && jump >= self.min_jump) || jump >= self.onset_jump);
        (onset, jump)
    }

    /// Whether [`GunshotDecider::push`] of the next frame `f` reads more of it than its
    /// sample-level features (`index`, `start_sample`, `end_sample`, `level_dbfs`,
    /// `floor_dbfs`, `rise_db`; see the gated front end of [`GunshotDetector`]): when it starts
    /// a candidate (or replaces one, or marks one as followed: all need an onset), or falls in
    /// a pending candidate's attack window. Otherwise the frame only moves the level history,
    /// the smoothed level and the pending candidates' lowest level after their attack, and
    /// decides candidates from what they gathered before. Its returned onset score is then
    /// the only output that depends on the rest of the frame.
    pub fn needs_full_frame(&self, f: &FeatureFrame) -> bool {
        self.onset_of(f).0
            || self.pending[..self.n_pending]
                .iter()
                .any(|c| f.end_sample <= c.attack_end)
    }

    /// Consumes one frame (frames must come in order), appending decided events to `out`.
    /// Returns the frame's onset score ([`GunshotDecider::onset_score`]).
    pub fn push(&mut self, f: &FeatureFrame, out: &mut impl Extend<Event>) -> f32 {
        self.push_traced(f, out, |_, _| {})
    }

    /// Like [`GunshotDecider::push`], also calling `trace` with every candidate decided on this
    /// frame, accepted or not: its evidence (as an [`Event`], the one emitted when accepted) and
    /// the names of the gates it failed (empty when accepted; see [`GATE_NAMES`]). This is the
    /// "why not" of a missed shot. Does not allocate.
    pub fn push_traced(
        &mut self,
        f: &FeatureFrame,
        out: &mut impl Extend<Event>,
        mut trace: impl FnMut(&Event, &[&'static str]),
    ) -> f32 {
        self.last_end = f.end_sample;
        let p = db_to_power(f.level_dbfs);
        self.smoothed_power += self.smooth_alpha * (p - self.smoothed_power);
        // The smoothed level, dB: read only by pending candidates (most hops have none, and
        // the logarithm is then skipped).
        let smoothed = if self.n_pending > 0 {
            ((10.0 * self.smoothed_power.log10()) as f32).max(LEVEL_FLOOR_DBFS)
        } else {
            LEVEL_FLOOR_DBFS
        };
        let score = self.onset_score(f);
        // A candidate starts on the level jump alone: when a blast lands at the end of a hop,
        // the Hann window hides it from that hop's spectrum, and the flux only shows in the
        // next hop. The flux gate is applied to the attack's maximum when deciding.
        let (onset, jump) = self.onset_of(f);
        self.prev_levels = [self.prev_levels[1], f.level_dbfs];
        let far = match self.last_onset {
            None => true,
            Some(t) => f.onset_sample >= t.saturating_add(self.interval),
        };
        // A much louder onset soon after a candidate replaces it: the candidate was a precursor
        // (reverberation of the previous round, a click, the stream start). Compared with the
        // candidate's peak before this frame joins its attack.
        let replace = match self.n_pending.checked_sub(1) {
            Some(i) if onset && !far => (f.level_dbfs
                >= self.pending[i].peak_level + self.retrigger)
                .then_some(self.pending[i].onset_sample),
            _ => None,
        };
        let mut i = 0;
        while i < self.n_pending {
            self.pending[i].update(f, smoothed, self.min_attack_ratio, self.burst_min_ratio);
            let c = self.pending[i];
            // The pending candidate just before this one (kept in onset order), if any: a
            // round of a burst is judged after the round before it.
            let before = i.checked_sub(1).map(|j| self.pending[j].onset_sample);
            // Past the decay window, a candidate that fails only the decay gate waits (up to
            // the extension) for its level to fall; every other candidate is decided now.
            let decided = f.end_sample >= c.decay_end
                && self.decide(
                    &c,
                    f.end_sample,
                    f.end_sample >= c.decay_end + self.extension,
                    before,
                    out,
                    &mut trace,
                );
            if decided {
                // Candidates are kept in onset order (an extended one may finish after a
                // later one).
                self.pending.copy_within(i + 1..self.n_pending, i);
                self.n_pending -= 1;
            } else {
                i += 1;
            }
        }
        if onset && !far && replace.is_none() {
            // An impulse about as loud as the latest candidate, after its attack window (the
            // hops of one blast's own attack do not count) and too soon to be another round:
            // machinery. A room's reflections of a blast arrive in the same span but 8 dB or
            // more below its direct sound (longer path, absorption).
            if let Some(i) = self.n_pending.checked_sub(1) {
                let c = &mut self.pending[i];
                if Some(c.onset_sample) == self.last_onset
                    && f.onset_sample >= c.attack_end
                    && f.peak_dbfs >= c.peak_dbfs - FAST_FOLLOW_DB
                {
                    c.fast_follow = true;
                }
            }
        }
        if !onset || !(far || replace.is_some()) {
            return score;
        }
        let slot = match self.n_pending.checked_sub(1) {
            // The replaced candidate is still pending (it is unless its decay window is
            // shorter than `min_interval_s`).
            Some(i) if replace == Some(self.pending[i].onset_sample) => i,
            _ if self.n_pending < MAX_PENDING => {
                self.n_pending += 1;
                self.n_pending - 1
            }
            _ => {
                self.dropped += 1;
                return score;
            }
        };
        let mut c = Candidate::start(f, jump, self.min_attack_ratio, self.burst_min_ratio);
        // The windows are measured from the estimated onset, not the hop start.
        c.attack_end = c.onset_sample.max(f.start_sample) + self.attack;
        c.decay_end = c.onset_sample + self.decay;
        if replace.is_some() {
            // The precursor's attack belongs to the same event (the first part of a blast
            // split across hops, or the quiet start of it): keep its extremes.
            c.absorb(&self.pending[slot]);
        }
        self.pending[slot] = c;
        self.last_onset = Some(f.onset_sample);
        score
    }

    /// Ends the stream: decides every pending candidate with the frames seen so far, then
    /// resets.
    pub fn finish(&mut self, out: &mut impl Extend<Event>) {
        self.finish_traced(out, |_, _| {});
    }

    /// Like [`GunshotDecider::finish`], tracing every candidate decided (see
    /// [`GunshotDecider::push_traced`]).
    pub fn finish_traced(
        &mut self,
        out: &mut impl Extend<Event>,
        mut trace: impl FnMut(&Event, &[&'static str]),
    ) {
        for i in 0..self.n_pending {
            let c = self.pending[i];
            self.decide(&c, self.last_end, true, None, out, &mut trace);
        }
        self.reset();
    }

    /// Back to the freshly built state.
    pub fn reset(&mut self) {
        self.n_pending = 0;
        self.last_onset = None;
        self.last_shot = None;
        self.last_end = 0;
        self.dropped = 0;
        self.smoothed_power = 0.0;
        self.prev_levels = [LEVEL_FLOOR_DBFS; 2];
    }

    /// Decides candidate `c` at sample `at`: emits it when it passes, traces it, and returns
    /// true. Unless `last`, a candidate that fails only the decay gate is left undecided
    /// (returns false) while `decay_extension_s` gives its level time to fall.
    ///
    /// A candidate that follows an accepted shot within `burst_window_s` and peaks within
    /// `burst_peak_margin_db` of it is a possible further round: its attack time may come
    /// from hops standing only `burst_min_attack_ratio_db` above the preceding level. When
    /// the candidate before it (`before`, its onset) is still pending within the burst
    /// window and this one passes only as a round, it waits for that decision (at most until
    /// its own decay extension ends, so the latency bound holds).
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &mut self,
        c: &Candidate,
        at: u64,
        last: bool,
        before: Option<u64>,
        out: &mut impl Extend<Event>,
        trace: &mut impl FnMut(&Event, &[&'static str]),
    ) -> bool {
        if self.stage == GunshotStage::Model {
            self.decide_model(c, at, out, trace);
            return true;
        }
        let decay = c.decay_db();
        let clipped = c.clipped_frac >= self.min_clipped;
        let strict_us = c.attack_time_us(self.attack_peak_margin, false);
        let burst_us = c.attack_time_us(self.attack_peak_margin, true);
        // Rounds come one firearm cycle apart (at least ~60 ms): a shot or candidate that
        // another impulse about as loud followed within `min_interval_s` (`fast_follow`)
        // belongs to faster machinery.
        let burst_gap = self.last_shot.and_then(|(t, peak, fast)| {
            let gap = c.onset_sample.checked_sub(t)?;
            (gap > 0
                && gap <= self.burst_window
                && !fast
                && !c.fast_follow
                && c.peak_dbfs >= peak - self.burst_peak_margin)
                .then_some(gap)
        });
        let mut failed = [""; GATE_NAMES.len()];
        let mut n_failed = 0;
        let mut gate = |ok: bool, name: &'static str| {
            if !ok {
                failed[n_failed] = name;
                n_failed += 1;
            }
        };
        // The quiet path: an unclipped peak below `min_peak` but above `quiet_min_peak` must
        // show a stricter attack and decay instead (its thresholds are then the ones
        // reported). Empty (off) unless `quiet_min_peak < min_peak`.
        let quiet = !clipped && c.peak_dbfs < self.min_peak && c.peak_dbfs >= self.quiet_min_peak;
        let (max_rise_us, min_ratio, min_decay, min_peak) = if quiet {
            (
                self.quiet_max_rise_us,
                self.quiet_min_ratio,
                self.quiet_min_decay,
                self.quiet_min_peak,
            )
        } else {
            (
                self.max_rise_us,
                self.min_attack_ratio,
                self.min_decay,
                self.min_peak,
            )
        };
        // The burst rule (not on the quiet path), only where the usual attack fails: a
        // round's attack over the tail counts.
        let as_round =
            !quiet && burst_gap.is_some() && strict_us > self.max_rise_us && burst_us < strict_us;
        let (attack_us, min_ratio) = if as_round {
            (burst_us, self.burst_min_ratio)
        } else {
            (strict_us, min_ratio)
        };
        // The relative gate: the peak must also stand `min_peak_over_floor_db` over the
        // noise floor (off at 0), so the peak threshold is the higher of the two.
        let min_peak = if self.min_peak_over_floor > 0.0 {
            min_peak.max(c.floor + self.min_peak_over_floor)
        } else {
            min_peak
        };
        // The clipping bypass covers the rise time and peak gates (reported as failed only
        // when the attack did not clip).
        gate(clipped || attack_us <= max_rise_us, "attack_time");
        gate(
            clipped || (c.peak_dbfs >= min_peak && (!quiet || c.attack_ratio_db >= min_ratio)),
            "peak",
        );
        let flux_thr = self.flux_thr.min(self.flux_jump_share * c.jump_db.max(0.0));
        gate(c.flux_db >= flux_thr, "flux");
        gate(c.flatness >= self.min_flatness, "flatness");
        gate(c.centroid_hz >= self.min_centroid, "centroid");
        gate(decay >= min_decay, "decay");
        if !last && n_failed == 1 && failed[0] == "decay" {
            return false;
        }
        // Would pass as a round of a burst whose previous round is not decided yet: wait.
        let round_pending =
            before.is_some_and(|b| c.onset_sample.saturating_sub(b) <= self.burst_window);
        if !last
            && !quiet
            && !clipped
            && burst_gap.is_none()
            && round_pending
            && burst_us <= max_rise_us
            && failed[..n_failed].contains(&"attack_time")
            && failed[..n_failed]
                .iter()
                .all(|g| *g == "attack_time" || *g == "decay")
        {
            return false;
        }
        let pass = n_failed == 0;
        // Confidence: mean of how far each gated feature clears its threshold, each mapped to
        // 0.5 at the threshold and 1 at a comfortable margin; clipping (a body mic saturated by
        // a blast) adds weight.
        let m = |v: f32, thr: f32, span: f32| (0.5 + 0.5 * (v - thr) / span).clamp(0.0, 1.0);
        let parts = [
            m(decay, min_decay, 15.0),
            m(c.rise_db, self.rise_thr, 20.0),
            m(max_rise_us - attack_us, 0.0, max_rise_us.max(1.0)),
            m(c.peak_dbfs, min_peak, 10.0),
            m(c.flux_db, flux_thr, 15.0),
        ];
        let mut conf = parts.iter().sum::<f32>() / parts.len() as f32;
        if c.clipped_frac > 0.0 {
            conf = 0.5 * (conf + 1.0);
        }
        let mut ev = Evidence::new();
        ev.push("decay_db", decay, Some(min_decay));
        ev.push("rise_db", c.rise_db, Some(self.rise_thr));
        ev.push("attack_time_us", attack_us, Some(max_rise_us));
        ev.push("attack_ratio_db", c.attack_ratio_db, Some(min_ratio));
        ev.push("peak_dbfs", c.peak_dbfs, Some(min_peak));
        ev.push("clipped_frac", c.clipped_frac, Some(self.min_clipped));
        ev.push("flux_db", c.flux_db, Some(flux_thr));
        ev.push("flatness", c.flatness, Some(self.min_flatness));
        ev.push("level_dbfs", c.peak_level, None);
        ev.push("floor_dbfs", c.floor, None);
        ev.push("centroid_hz", c.centroid_hz, Some(self.min_centroid));
        ev.push("hf_ratio", c.hf_ratio, None);
        ev.push("crest_db", c.crest_db, None);
        ev.push("hfc_db", c.hfc_db, None);
        ev.push("rise_time_us", c.rise_time_us, None);
        ev.push("jump_db", c.jump_db, Some(self.min_jump));
        if as_round {
            // Only on a candidate judged as a round of a burst (accepted, or rejected by
            // another gate): the time since the shot it follows.
            let gap = burst_gap.unwrap_or(0);
            ev.push(
                "burst_gap_s",
                gap as f32 / self.timing.sample_rate as f32,
                Some(self.burst_window as f32 / self.timing.sample_rate as f32),
            );
        }
        let rate = self.timing.sample_rate;
        let event = Event {
            kind: EventKind::Gunshot,
            onset: Timestamp::from_samples(c.onset_sample, rate),
            decided: Timestamp::from_samples(at.max(c.onset_sample), rate),
            confidence: if pass { conf.clamp(0.0, 1.0) } else { 0.0 },
            evidence: ev,
        };
        trace(&event, &failed[..n_failed]);
        if pass {
            match self.last_shot {
                Some((t, _, _)) if t >= c.onset_sample => {}
                _ => self.last_shot = Some((c.onset_sample, c.peak_dbfs, c.fast_follow)),
            }
            out.extend(core::iter::once(event));
        }
        true
    }
}

/// The model stage proposes no candidate in the stream's first hops (see `push_traced`): the
/// level jump is measured over the two hops before, so it needs two hops of history.
const MODEL_MIN_HOPS: u64 = 2;

/// Relative levels are capped here, dB: at the start of a stream the noise floor is still
/// unknown (it starts at -120 dBFS), so a sound there stands far above it; beyond this the
/// value says nothing more.
const MAX_RELATIVE_DB: f32 = 60.0;

impl GunshotDecider {
    /// The model features of candidate `c` ([`MODEL_FEATURES`] order).
    fn model_features(&self, c: &Candidate) -> FeatureVector {
        let attack_us = c.attack_time_us(self.attack_peak_margin, false);
        let rel = |v: f32| v.clamp(-MAX_RELATIVE_DB, MAX_RELATIVE_DB);
        [
            rel(c.rise_db),
            rel(c.jump_db),
            c.flux_db,
            c.attack_ratio_db,
            attack_us.max(1.0).log10(),
            c.rise_time_us.max(1.0).log10(),
            rel(c.decay_db()),
            c.centroid_hz,
            c.hf_ratio,
            c.flatness,
            c.crest_db,
            c.clipped_frac,
            rel(c.hfc_db - c.peak_level),
            rel(c.peak_dbfs - c.floor),
            if c.fast_follow { 1.0 } else { 0.0 },
        ]
    }

    /// The model stage's decision on candidate `c` at sample `at`: scored, traced, emitted
    /// when its probability reaches the threshold. Evidence: each feature's value and
    /// contribution, then `score` (log-odds, with its threshold) and `probability`.
    fn decide_model(
        &mut self,
        c: &Candidate,
        at: u64,
        out: &mut impl Extend<Event>,
        trace: &mut impl FnMut(&Event, &[&'static str]),
    ) {
        let x = self.model_features(c);
        let (contrib, score) = self.model.contributions(&x);
        let p = sigmoid(score);
        let mut ev = Evidence::new();
        for i in 0..N_FEATURES {
            ev.push_contribution(MODEL_FEATURES[i], x[i], contrib[i]);
        }
        ev.push("score", score, Some(self.min_score));
        ev.push("probability", p, Some(self.min_prob));
        let pass = p >= self.min_prob;
        let rate = self.timing.sample_rate;
        let event = Event {
            kind: EventKind::Gunshot,
            onset: Timestamp::from_samples(c.onset_sample, rate),
            decided: Timestamp::from_samples(at.max(c.onset_sample), rate),
            confidence: p,
            evidence: ev,
        };
        trace(&event, if pass { &[] } else { &["probability"] });
        if pass {
            out.extend(core::iter::once(event));
        }
    }
}

/// Streaming gunshot detector: [`OnsetFeatures`] + [`GunshotDecider`].
///
/// ```
/// use autotrigger::audio::{GunshotConfig, GunshotDetector};
/// use autotrigger::StreamingDetector;
/// let rate = 16_000;
/// let mut det = GunshotDetector::new(&GunshotConfig::default(), rate).unwrap();
/// // Quiet noise, then a clipped, fast-decaying broadband blast at 0.5 s.
/// let mut seed = 1u32;
/// let mut noise = move || {
///     seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
///     (seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
/// };
/// let mut x: Vec<f32> = (0..rate).map(|_| 0.001 * noise()).collect();
/// for i in 0..1600 {
///     let env = (-(i as f32) / (0.004 * rate as f32)).exp();
///     x[8000 + i] += (3.0 * env * noise()).clamp(-1.0, 1.0);
/// }
/// let mut events = Vec::new();
/// det.process(&x, &mut events).unwrap();
/// det.finish(&mut events);
/// assert_eq!(events.len(), 1);
/// assert!((events[0].onset.as_micros() - 500_000).abs() <= 5_000);
/// ```
///
/// # Gated front end
///
/// By default ([`GunshotConfig::full_analysis`] false) [`StreamingDetector::process`] and
/// [`GunshotDetector::process_i16`] run the sample stage (DC blocker, envelope, hop level and
/// peak, noise floor) on every sample but the spectral stage (frame copy, FFT, band levels,
/// flux, spectral shape, crest, rise and attack times) only on the hops whose features the
/// decision stage reads ([`GunshotDecider::needs_full_frame`]: a candidate onset and the
/// hops of its attack window). When such a hop's predecessor was skipped, its spectrum is
/// recomputed from the ring for the flux. Every frame the decider reads is bit for bit the
/// full analysis's, so the events are identical (tests/gunshot_gated.rs), for every block
/// partition. [`GunshotDetector::process_with_frames`] always runs the full analysis (it
/// hands every hop's features out).
#[derive(Debug)]
pub struct GunshotDetector {
    features: OnsetFeatures,
    decider: GunshotDecider,
    gated: bool,
    /// Hops seen and hops that ran the spectral stage, since construction or reset.
    hops: u64,
    analysed: u64,
}

impl GunshotDetector {
    /// Builds a detector for audio at `sample_rate` Hz (8-96 kHz). All buffers are allocated
    /// here.
    pub fn new(config: &GunshotConfig, sample_rate: u32) -> Result<Self, ConfigError> {
        let features = OnsetFeatures::new(config, sample_rate)?;
        let decider = GunshotDecider::new(config, features.timing())?;
        Ok(GunshotDetector {
            features,
            decider,
            gated: !config.full_analysis,
            hops: 0,
            analysed: 0,
        })
    }

    /// Like [`GunshotDetector::new`], with this model for the `model` stage.
    pub fn with_model(
        config: &GunshotConfig,
        sample_rate: u32,
        model: &GunshotModel,
    ) -> Result<Self, ConfigError> {
        let features = OnsetFeatures::new(config, sample_rate)?;
        let decider = GunshotDecider::with_model(config, features.timing(), model)?;
        Ok(GunshotDetector {
            features,
            decider,
            gated: !config.full_analysis,
            hops: 0,
            analysed: 0,
        })
    }

    /// The feature extractor's analysis sizes.
    pub fn timing(&self) -> FrameTiming {
        self.features.timing()
    }

    /// NaN or infinite samples replaced by 0 since construction or reset.
    pub fn non_finite_samples(&self) -> u64 {
        self.features.non_finite_samples()
    }

    /// The decision stage (for its state and scores).
    pub fn decider(&self) -> &GunshotDecider {
        &self.decider
    }

    /// Sets whether the gated front end is used (true, the default unless
    /// [`GunshotConfig::full_analysis`]) or the spectral stage runs on every hop (false, the
    /// reference). The events are the same; call it before the first block.
    pub fn with_gating(mut self, gated: bool) -> Self {
        self.gated = gated;
        self
    }

    /// Whether the gated front end is on (see [`GunshotDetector::with_gating`]).
    pub fn is_gated(&self) -> bool {
        self.gated
    }

    /// Hops completed, and hops that ran the spectral stage, since construction or the last
    /// reset (equal on the full analysis). Their ratio is the share of the spectral work the
    /// gate kept.
    pub fn spectral_hops(&self) -> (u64, u64) {
        (self.hops, self.analysed)
    }

    /// Like [`StreamingDetector::process`], also calling `f` with every hop's features and
    /// onset score (for plots and feature export). Always the full analysis, gated or not.
    pub fn process_with_frames(
        &mut self,
        block: &[f32],
        out: &mut impl Extend<Event>,
        mut f: impl FnMut(&FeatureFrame, f32),
    ) {
        let GunshotDetector {
            features,
            decider,
            hops,
            analysed,
            ..
        } = self;
        features.push(block, |fr| {
            *hops += 1;
            *analysed += 1;
            let s = decider.push(fr, out);
            f(fr, s);
        });
    }

    /// Consumes 16-bit PCM (`i16::MIN` = -1.0 full scale).
    pub fn process_i16(&mut self, block: &[i16], out: &mut impl Extend<Event>) {
        let GunshotDetector {
            features,
            decider,
            gated,
            hops,
            analysed,
        } = self;
        if *gated {
            features.push_gated_i16(block, |h| {
                *hops += 1;
                gated_step(decider, h, out, analysed);
            });
        } else {
            features.push_i16(block, |fr| {
                *hops += 1;
                *analysed += 1;
                decider.push(fr, out);
            });
        }
    }
}

/// One hop of the gated path: the full frame when the decider reads it, else the hop's
/// sample-level features.
#[inline]
fn gated_step(
    decider: &mut GunshotDecider,
    h: &mut GatedHop<'_, '_, '_>,
    out: &mut impl Extend<Event>,
    analysed: &mut u64,
) {
    if decider.needs_full_frame(h.cheap()) {
        *analysed += 1;
        decider.push(h.full(), out);
    } else {
        decider.push(h.cheap(), out);
    }
}

impl StreamingDetector for GunshotDetector {
    type Input = f32;

    /// Never fails: non-finite samples are replaced by 0 and counted
    /// ([`GunshotDetector::non_finite_samples`]).
    fn process(&mut self, input: &[f32], out: &mut impl Extend<Event>) -> Result<(), ProcessError> {
        if self.gated {
            let GunshotDetector {
                features,
                decider,
                hops,
                analysed,
                ..
            } = self;
            features.push_gated(input, |h| {
                *hops += 1;
                gated_step(decider, h, out, analysed);
            });
        } else {
            self.process_with_frames(input, out, |_, _| {});
        }
        Ok(())
    }

    /// Decides the pending candidates and resets (the counts of
    /// [`GunshotDetector::spectral_hops`] are kept until [`StreamingDetector::reset`]).
    fn finish(&mut self, out: &mut impl Extend<Event>) {
        self.decider.finish(out);
        self.features.reset();
    }

    fn reset(&mut self) {
        self.features.reset();
        self.decider.reset();
        self.hops = 0;
        self.analysed = 0;
    }

    fn latency_us(&self) -> i64 {
        self.decider.latency_us()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full set of attack hops gives way to a louder hop at its quietest hop, the earliest
    /// of equally quiet ones; a hop only as loud as the quietest is not kept.
    #[test]
    fn a_full_attack_set_replaces_its_earliest_quietest_hop() {
        let mut a = Attacks::default();
        for i in 0..MAX_ATTACK_HOPS {
            let t = 100.0 * (i + 1) as f32;
            a.push(-10.0, t, t + 1.0);
        }
        assert_eq!((a.best(-20.0, false), a.best(-20.0, true)), (100.0, 101.0));
        // As loud as the quietest: not kept.
        a.push(-10.0, 1.0, 1.0);
        assert_eq!(a.best(-20.0, false), 100.0);
        // Louder: replaces the first of the eight equally quiet hops (100 us).
        a.push(-5.0, 900.0, 901.0);
        assert_eq!((a.best(-20.0, false), a.best(-20.0, true)), (200.0, 201.0));
        // Only the louder hop reaches -6 dBFS.
        assert_eq!(a.best(-6.0, false), 900.0);
        assert_eq!(a.n, MAX_ATTACK_HOPS);
    }
}
