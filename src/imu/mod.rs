//! IMU: timestamped accelerometer/gyro samples -> gravity/orientation -> running, fall /
//! officer-down and tap events.
//!
//! Pipeline (one pass, sample by sample, so any block partition gives the same events):
//! 1. [`stream`]: ordering checks, NaN/Inf handling, gap detection and resampling onto a
//!    100 Hz grid of integer-microsecond times ([`ImuFrame`]), keeping raw peaks per frame;
//! 2. [`orientation`]: gravity direction (gyro complementary filter on a `UnitQuaternion`, or
//!    an accelerometer low-pass without gyro), an upright reference learned from the data
//!    (no mounting axis assumed), trunk tilt and a motion level;
//! 3. the detectors: [`RunningDetector`], [`FallDetector`] (fall and officer down) and
//!    [`TapDetector`], each usable alone, or all of them over one shared front end and
//!    orientation tracker with [`ImuDetectors`].
//!
//! Sensor rates from 20 Hz to 1 kHz are supported, regular or jittered; parameters are in
//! seconds, g, degrees and steps per minute, never samples.
//!
//! Bad input (documented behaviour, never a panic):
//! - a timestamp not after the previous accepted one (out of order or duplicate): the sample
//!   is dropped, the rest of the block is processed, and `process` returns
//!   [`ProcessError::OutOfOrder`] for the first such sample;
//! - NaN or infinite acceleration: the sample is dropped and counted
//!   ([`ImuHealth::non_finite_accel`]); a long run of them becomes a gap. A NaN/Inf gyro drops
//!   only the gyro of that sample;
//! - a gap (samples more than `orientation.max_gap_s` apart): counted
//!   ([`ImuHealth::gaps`]), nothing is interpolated across it, and the signal state restarts
//!   at the first sample after it: the orientation filter, the running and tap windows and
//!   any pending fall candidate. A run in progress is neither ended nor reported again: the
//!   first full window after the gap continues it, or `running.end_after_s` of observed
//!   time without running ends it (dated to the last running seen). The orientation then converges for 2 s
//!   ([`OrientFrame::settled`]; the first sample may be mid-stride), during which the
//!   upright reference learns nothing; no fall candidate starts in the first 0.5 s (the
//!   fall's orientations are mean accelerations of samples after the gap, so the
//!   discontinuity is never read as impact + turn + stillness). Kept across the gap: the learned
//!   upright reference (a dropout does not move the camera on the wearer) and the
//!   officer-down timer when the gap is shorter than `fall.officer_down_s` and the wearer is
//!   found lying and still right after it (the unobserved time counts and is reported as
//!   `unobserved_s`; restarting the timer on every dropout of a flaky link would delay or
//!   suppress the alarm);
//! - clipping: flagged per frame and counted ([`ImuHealth::saturated_samples`]); a clipped
//!   impact is evidence for a fall.
//! - barometer samples ([`PressureSample`], optional, their own stream): an out-of-order,
//!   NaN, infinite or out-of-range (outside 260-1260 hPa) sample is dropped, counted
//!   ([`BaroHealth`]) and returned as [`ProcessError::OutOfOrder`] /
//!   [`ProcessError::PressureOutOfRange`]; gaps in the pressure only leave the running
//!   and fall analyses without a barometer (they never require one). See [`baro`].
//!
//! ```
//! use autotrigger::imu::{ImuDetectors, ImuSample};
//! use autotrigger::{Config, StreamingDetector, Timestamp};
//! let mut det = ImuDetectors::new(&Config::default()).unwrap();
//! let mut events = Vec::new();
//! // Ten seconds of a camera standing still at 50 Hz, mounted upside down.
//! let block: Vec<ImuSample> = (0..500)
//!     .map(|i| ImuSample {
//!         t: Timestamp::from_samples(i, 50),
//!         accel: [0.0, 0.0, -9.81],
//!         gyro: None,
//!     })
//!     .collect();
//! det.process(&block, &mut events).unwrap();
//! det.finish(&mut events);
//! assert!(events.is_empty());
//! assert_eq!(det.health().gaps, 0);
//! ```

pub mod baro;
pub mod fall;
pub mod orientation;
pub mod running;
pub mod stream;
pub mod tap;

pub use baro::{BaroHealth, BaroWindow, PressureSample};
pub use fall::{FallConfig, FallFeatures};
pub use orientation::{OrientFrame, Orientation, OrientationConfig};
pub use running::{GaitFeatures, RunningConfig};
pub use stream::{ImuFrame, ImuHealth, FRAME_US, INTERNAL_RATE_HZ, STANDARD_GRAVITY};
pub use tap::TapConfig;

use crate::detector::StreamingDetector;
use crate::error::{ConfigError, ProcessError};
use crate::event::Event;
use crate::time::{secs_to_micros, Timestamp};
use baro::Barometer;
use fall::FallCore;
use running::RunningCore;
use stream::{FrontEnd, FrontOut};
use tap::TapCore;

/// One IMU sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImuSample {
    /// Sample time.
    pub t: Timestamp,
    /// Acceleration in m/s^2, gravity included, sensor axes.
    pub accel: [f32; 3],
    /// Angular rate in rad/s, sensor axes, when the sensor has a gyroscope.
    pub gyro: Option<[f32; 3]>,
}

/// What a pipeline step hands to the detector cores.
enum Tick<'a> {
    Frame(&'a ImuFrame, &'a OrientFrame, &'a Barometer),
    Gap,
}

/// A detector core fed frame by frame (the barometer is there for those that use it).
trait FrameCore {
    fn on_frame(
        &mut self,
        f: &ImuFrame,
        o: &OrientFrame,
        b: &Barometer,
        out: &mut impl Extend<Event>,
    );
}

impl FrameCore for RunningCore {
    fn on_frame(
        &mut self,
        f: &ImuFrame,
        o: &OrientFrame,
        b: &Barometer,
        out: &mut impl Extend<Event>,
    ) {
        self.frame(f, o, Some(b), out);
    }
}

impl FrameCore for FallCore {
    fn on_frame(
        &mut self,
        f: &ImuFrame,
        o: &OrientFrame,
        b: &Barometer,
        out: &mut impl Extend<Event>,
    ) {
        self.frame(f, o, Some(b), out);
    }
}

impl FrameCore for TapCore {
    fn on_frame(
        &mut self,
        f: &ImuFrame,
        o: &OrientFrame,
        _b: &Barometer,
        out: &mut impl Extend<Event>,
    ) {
        self.frame(f, o, out);
    }
}

/// Front end + orientation (+ the barometer stream), shared by every detector.
#[derive(Debug, Clone)]
struct Pipeline {
    front: FrontEnd,
    orient: Orientation,
    baro: Barometer,
    last_t: Option<Timestamp>,
}

impl Pipeline {
    fn new(cfg: &OrientationConfig) -> Result<Self, ConfigError> {
        Ok(Pipeline {
            front: FrontEnd::new(secs_to_micros(cfg.max_gap_s)),
            orient: Orientation::new(cfg)?,
            baro: Barometer::new(),
            last_t: None,
        })
    }

    fn reset(&mut self) {
        self.front.reset();
        self.orient.reset();
        self.baro.reset();
        self.last_t = None;
    }

    /// Feeds barometer samples; keeps going after a bad one and returns the first error.
    fn pressure(&mut self, input: &[PressureSample]) -> Result<(), ProcessError> {
        let mut first_err = None;
        for s in input {
            if let Err(e) = self.baro.push(s) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Feeds an IMU block and a pressure block merged by time (a pressure sample before the
    /// IMU samples at or after its time), calling `f` per frame or gap.
    fn run_merged(
        &mut self,
        input: &[ImuSample],
        pressure: &[PressureSample],
        mut f: impl FnMut(Tick<'_>),
    ) -> Result<(), ProcessError> {
        let mut first_err = None;
        let mut p = 0;
        for (i, s) in input.iter().enumerate() {
            let n = pressure[p..].iter().take_while(|q| q.t <= s.t).count();
            if let Err(e) = self.pressure(&pressure[p..p + n]) {
                first_err.get_or_insert(e);
            }
            p += n;
            if let Err(e) = self.run(&input[i..=i], &mut f) {
                first_err.get_or_insert(e);
            }
        }
        if let Err(e) = self.pressure(&pressure[p..]) {
            first_err.get_or_insert(e);
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Runs a block through the front end and orientation, calling `f` per frame or gap.
    /// Keeps going after an out-of-order sample and returns the first error.
    fn run(
        &mut self,
        input: &[ImuSample],
        mut f: impl FnMut(Tick<'_>),
    ) -> Result<(), ProcessError> {
        let mut first_err = None;
        let orient = &mut self.orient;
        let last_t = &mut self.last_t;
        let baro = &self.baro;
        for s in input {
            let r = self.front.push(s, &mut |o| match o {
                FrontOut::Frame(fr) => {
                    let of = orient.update(&fr);
                    *last_t = Some(fr.t);
                    f(Tick::Frame(&fr, &of, baro));
                }
                FrontOut::Gap => {
                    orient.restart();
                    f(Tick::Gap);
                }
            });
            if let Err(e) = r {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

macro_rules! single_detector {
    ($(#[$doc:meta])* $name:ident, $core:ident, $cfg:ident, $field:ident, |$c:ident, $o:ident| $mk:expr, |$s:ident, $out:ident, $now:ident, $of:ident| $fin:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            pipe: Pipeline,
            core: $core,
        }

        impl $name {
            /// Builds the detector with its own front end and orientation tracker.
            pub fn new($c: &$cfg, $o: &OrientationConfig) -> Result<Self, ConfigError> {
                Ok($name {
                    pipe: Pipeline::new($o)?,
                    core: $mk,
                })
            }

            /// Builds the detector from the relevant tables of a full configuration.
            pub fn from_config(config: &crate::Config) -> Result<Self, ConfigError> {
                Self::new(&config.$field, &config.orientation)
            }

            /// Stream health counters (gaps, rejected samples, clipping, rate).
            pub fn health(&self) -> ImuHealth {
                self.pipe.front.health()
            }

            /// Number of gaps seen (see [`ImuHealth::gaps`]).
            pub fn gaps(&self) -> u64 {
                self.health().gaps
            }

            /// The orientation state after the latest frame.
            pub fn orientation(&self) -> &OrientFrame {
                self.pipe.orient.last()
            }

            /// Feeds barometer samples (see [`baro`] for the timing contract). Bad samples
            /// (out of order, NaN, out of range) are dropped and counted; the first is
            /// returned as the error, the rest of the block is still used.
            pub fn process_pressure(&mut self, input: &[PressureSample]) -> Result<(), ProcessError> {
                self.pipe.pressure(input)
            }

            /// Feeds an IMU block and a pressure block covering about the same time, merged
            /// by time (see [`ImuDetectors::process_with_pressure`]).
            pub fn process_with_pressure(
                &mut self,
                input: &[ImuSample],
                pressure: &[PressureSample],
                out: &mut impl Extend<Event>,
            ) -> Result<(), ProcessError> {
                let core = &mut self.core;
                self.pipe.run_merged(input, pressure, |tick| match tick {
                    Tick::Frame(f, o, b) => core.on_frame(f, o, b, out),
                    Tick::Gap => core.restart(),
                })
            }

            /// Barometer stream health counters.
            pub fn pressure_health(&self) -> BaroHealth {
                self.pipe.baro.health()
            }
        }

        impl StreamingDetector for $name {
            type Input = ImuSample;

            fn process(
                &mut self,
                input: &[ImuSample],
                out: &mut impl Extend<Event>,
            ) -> Result<(), ProcessError> {
                let core = &mut self.core;
                self.pipe.run(input, |tick| match tick {
                    Tick::Frame(f, o, b) => core.on_frame(f, o, b, out),
                    Tick::Gap => core.restart(),
                })
            }

            fn finish(&mut self, out: &mut impl Extend<Event>) {
                {
                    let $s = &mut self.core;
                    let $out = &mut *out;
                    let $now = self.pipe.last_t;
                    let $of = *self.pipe.orient.last();
                    $fin;
                }
                self.reset();
            }

            fn reset(&mut self) {
                self.pipe.reset();
                self.core.reset();
            }

            fn latency_us(&self) -> i64 {
                self.core.latency_us()
            }
        }
    };
}

single_detector!(
    /// Running (foot pursuit) detector alone: see [`running`].
    ///
    /// ```
    /// use autotrigger::imu::{OrientationConfig, RunningConfig, RunningDetector};
    /// let d = RunningDetector::new(&RunningConfig::default(), &OrientationConfig::default());
    /// assert!(d.is_ok());
    /// ```
    RunningDetector, RunningCore, RunningConfig, running,
    |c, _o| RunningCore::new(c)?,
    |s, out, now, of| { let _ = (s, out, now, of); }
);

impl RunningDetector {
    /// True between a `running` and the following `running_ended` event.
    pub fn is_running(&self) -> bool {
        self.core.is_running()
    }

    /// Gait features of the latest analysis window.
    pub fn last_features(&self) -> Option<GaitFeatures> {
        self.core.last_features()
    }

    /// The barometer's vertical motion at the latest analysis window (`None` without enough
    /// pressure samples).
    pub fn last_baro(&self) -> Option<BaroWindow> {
        self.core.last_baro()
    }
}

single_detector!(
    /// Fall and officer-down detector alone: see [`fall`].
    ///
    /// ```
    /// use autotrigger::imu::{FallConfig, FallDetector, OrientationConfig};
    /// let bad = FallConfig { officer_down_s: 1.0, ..FallConfig::default() };
    /// assert!(FallDetector::new(&bad, &OrientationConfig::default()).is_err());
    /// ```
    FallDetector, FallCore, FallConfig, fall,
    |c, _o| FallCore::new(c)?,
    |s, out, now, o| {
        if let Some(now) = now {
            s.finish(&o, now, out);
        }
    }
);

impl FallDetector {
    /// Features of the latest evaluated fall candidate (detected or rejected).
    pub fn last_features(&self) -> Option<FallFeatures> {
        self.core.last_features()
    }
}

single_detector!(
    /// Tap / double-tap detector alone: see [`tap`].
    ///
    /// ```
    /// use autotrigger::imu::{OrientationConfig, TapConfig, TapDetector};
    /// assert!(TapDetector::new(&TapConfig::default(), &OrientationConfig::default()).is_ok());
    /// ```
    TapDetector, TapCore, TapConfig, tap,
    |c, _o| TapCore::new(c)?,
    |s, out, now, _of| {
        if let Some(now) = now {
            s.finish(now, out);
        }
    }
);

/// All IMU detectors over one stream: the front end and orientation run once per frame and
/// feed the running, fall / officer-down and tap logic.
#[derive(Debug, Clone)]
pub struct ImuDetectors {
    pipe: Pipeline,
    running: RunningCore,
    fall: FallCore,
    tap: TapCore,
}

impl ImuDetectors {
    /// Builds the IMU detectors from the IMU parts of `config`.
    pub fn new(config: &crate::Config) -> Result<Self, ConfigError> {
        config.orientation.validate()?;
        Ok(ImuDetectors {
            pipe: Pipeline::new(&config.orientation)?,
            running: RunningCore::new(&config.running)?,
            fall: FallCore::new(&config.fall)?,
            tap: TapCore::new(&config.tap)?,
        })
    }

    /// Stream health counters (gaps, rejected samples, clipping, rate).
    pub fn health(&self) -> ImuHealth {
        self.pipe.front.health()
    }

    /// Number of gaps seen (see [`ImuHealth::gaps`]).
    pub fn gaps(&self) -> u64 {
        self.health().gaps
    }

    /// The orientation state after the latest frame.
    pub fn orientation(&self) -> &OrientFrame {
        self.pipe.orient.last()
    }

    /// True between a `running` and the following `running_ended` event.
    pub fn is_running(&self) -> bool {
        self.running.is_running()
    }

    /// Feeds barometer samples: a stream of their own (1-100 Hz, gaps allowed), used when
    /// present and never required. Push pressure up to time `t` before the IMU samples after
    /// `t` (see [`baro`] for the timing contract), or use [`Self::process_with_pressure`].
    /// Bad samples (out of order, NaN, outside 260-1260 hPa) are dropped and counted
    /// ([`Self::pressure_health`]); the first is returned as the error, the rest of the block
    /// is still used.
    ///
    /// ```
    /// use autotrigger::imu::{ImuDetectors, PressureSample};
    /// use autotrigger::{Config, Timestamp};
    /// let mut det = ImuDetectors::new(&Config::default()).unwrap();
    /// let p = [PressureSample { t: Timestamp(0), hpa: 1013.2 }];
    /// det.process_pressure(&p).unwrap();
    /// assert!(det.process_pressure(&[PressureSample { t: Timestamp(1), hpa: f32::NAN }]).is_err());
    /// assert_eq!(det.pressure_health().invalid, 1);
    /// ```
    pub fn process_pressure(&mut self, input: &[PressureSample]) -> Result<(), ProcessError> {
        self.pipe.pressure(input)
    }

    /// Feeds an IMU block and a pressure block merged by time: each pressure sample goes in
    /// before the IMU samples at or after its time, and pressure samples after the last IMU
    /// sample go in at the end. Splitting both streams at the same times into blocks of any
    /// size gives the same events. Errors as [`StreamingDetector::process`] and
    /// [`Self::process_pressure`] (the first one).
    pub fn process_with_pressure(
        &mut self,
        input: &[ImuSample],
        pressure: &[PressureSample],
        out: &mut impl Extend<Event>,
    ) -> Result<(), ProcessError> {
        let (running, fall, tap) = (&mut self.running, &mut self.fall, &mut self.tap);
        self.pipe.run_merged(input, pressure, |tick| match tick {
            Tick::Frame(f, o, b) => {
                running.on_frame(f, o, b, out);
                fall.on_frame(f, o, b, out);
                tap.on_frame(f, o, b, out);
            }
            Tick::Gap => {
                running.restart();
                fall.restart();
                tap.restart();
            }
        })
    }

    /// Barometer stream health counters.
    pub fn pressure_health(&self) -> BaroHealth {
        self.pipe.baro.health()
    }
}

impl StreamingDetector for ImuDetectors {
    type Input = ImuSample;

    fn process(
        &mut self,
        input: &[ImuSample],
        out: &mut impl Extend<Event>,
    ) -> Result<(), ProcessError> {
        let (running, fall, tap) = (&mut self.running, &mut self.fall, &mut self.tap);
        self.pipe.run(input, |tick| match tick {
            Tick::Frame(f, o, b) => {
                running.on_frame(f, o, b, out);
                fall.on_frame(f, o, b, out);
                tap.on_frame(f, o, b, out);
            }
            Tick::Gap => {
                running.restart();
                fall.restart();
                tap.restart();
            }
        })
    }

    fn finish(&mut self, out: &mut impl Extend<Event>) {
        if let Some(now) = self.pipe.last_t {
            let o = *self.pipe.orient.last();
            self.fall.finish(&o, now, out);
            self.tap.finish(now, out);
        }
        self.reset();
    }

    fn reset(&mut self) {
        self.pipe.reset();
        self.running.reset();
        self.fall.reset();
        self.tap.reset();
    }

    fn latency_us(&self) -> i64 {
        self.running
            .latency_us()
            .max(self.fall.latency_us())
            .max(self.tap.latency_us())
    }
}
