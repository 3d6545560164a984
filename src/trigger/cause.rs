//! Why the camera records: the causes a policy can enable, and the inputs that produce them.

use serde::{Deserialize, Serialize};

/// Why a decision was taken: a detector, a sensor or vehicle input, or the officer.
///
/// The string forms ([`Cause::as_str`]) appear in policies (`start_on`), decision output and the
/// audit log, and stay stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cause {
    /// The gunshot detector fired.
    Gunshot,
    /// The running (foot pursuit) detector fired.
    Running,
    /// The fall detector fired.
    Fall,
    /// The officer-down detector fired (down and still long enough).
    OfficerDown,
    /// The holster sensor reported a draw (after debounce).
    HolsterDraw,
    /// The vehicle light bar was switched on (after debounce).
    LightBar,
    /// The vehicle siren was switched on (after debounce).
    Siren,
    /// A vehicle door was opened (after debounce).
    Door,
    /// The vehicle reported a crash.
    Crash,
    /// The taser was armed (after debounce).
    Taser,
    /// The radio emergency button was pressed.
    RadioEmergency,
    /// A nearby (peer) camera started recording.
    PeerCamera,
    /// Dispatch assigned a call.
    Dispatch,
    /// The officer entered a geofenced area.
    Geofence,
    /// The officer pressed the record button.
    Button,
    /// The officer tapped the camera once (when taps toggle recording).
    Tap,
    /// The officer tapped the camera twice (when double taps toggle recording).
    DoubleTap,
}

impl Cause {
    /// Every cause, in declaration order.
    pub const ALL: [Cause; 17] = [
        Cause::Gunshot,
        Cause::Running,
        Cause::Fall,
        Cause::OfficerDown,
        Cause::HolsterDraw,
        Cause::LightBar,
        Cause::Siren,
        Cause::Door,
        Cause::Crash,
        Cause::Taser,
        Cause::RadioEmergency,
        Cause::PeerCamera,
        Cause::Dispatch,
        Cause::Geofence,
        Cause::Button,
        Cause::Tap,
        Cause::DoubleTap,
    ];

    /// The stable string form.
    pub const fn as_str(self) -> &'static str {
        match self {
            Cause::Gunshot => "gunshot",
            Cause::Running => "running",
            Cause::Fall => "fall",
            Cause::OfficerDown => "officer_down",
            Cause::HolsterDraw => "holster_draw",
            Cause::LightBar => "light_bar",
            Cause::Siren => "siren",
            Cause::Door => "door",
            Cause::Crash => "crash",
            Cause::Taser => "taser",
            Cause::RadioEmergency => "radio_emergency",
            Cause::PeerCamera => "peer_camera",
            Cause::Dispatch => "dispatch",
            Cause::Geofence => "geofence",
            Cause::Button => "button",
            Cause::Tap => "tap",
            Cause::DoubleTap => "double_tap",
        }
    }

    /// Parses the string form.
    pub fn parse(s: &str) -> Option<Cause> {
        Cause::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// True for the officer's own deliberate actions (record button, tap gestures, radio
    /// emergency button). Sleep/privacy mode never suppresses these.
    pub const fn is_manual(self) -> bool {
        matches!(
            self,
            Cause::Button | Cause::Tap | Cause::DoubleTap | Cause::RadioEmergency
        )
    }

    /// True for commands that toggle recording (button, tap, double tap) rather than triggers:
    /// they are not listed in `start_on` and have no hold-off.
    pub const fn is_command(self) -> bool {
        matches!(self, Cause::Button | Cause::Tap | Cause::DoubleTap)
    }

    /// Bit of this cause in a [`CauseSet`].
    const fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl core::fmt::Display for Cause {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of causes, stored as a bit mask (`Copy`, no allocation).
///
/// ```
/// use autotrigger::trigger::{Cause, CauseSet};
/// let mut s = CauseSet::EMPTY;
/// s.insert(Cause::Gunshot);
/// assert!(s.contains(Cause::Gunshot) && !s.contains(Cause::Fall));
/// assert_eq!(s.iter().collect::<Vec<_>>(), vec![Cause::Gunshot]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CauseSet(u32);

impl CauseSet {
    /// No cause.
    pub const EMPTY: CauseSet = CauseSet(0);

    /// Adds a cause.
    pub fn insert(&mut self, c: Cause) {
        self.0 |= c.bit();
    }

    /// True when `c` is in the set.
    pub const fn contains(self, c: Cause) -> bool {
        self.0 & c.bit() != 0
    }

    /// True when the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The causes in the set, in [`Cause::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Cause> {
        Cause::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}

impl FromIterator<Cause> for CauseSet {
    fn from_iter<I: IntoIterator<Item = Cause>>(iter: I) -> Self {
        let mut s = CauseSet::EMPTY;
        for c in iter {
            s.insert(c);
        }
        s
    }
}

/// Holster sensor level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HolsterState {
    /// The weapon is out of the holster.
    Drawn,
    /// The weapon is in the holster.
    Holstered,
}

/// What the officer did with the record button (or an equivalent control).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ButtonAction {
    /// A press of a single record button: starts when idle, cancels inside the cancel window,
    /// requests a stop otherwise.
    Press,
    /// An explicit start (ignored while recording).
    Start,
    /// An explicit stop request (honoured after the minimum recording time).
    Stop,
    /// An explicit cancel (accepted inside the cancel window after an automatic start).
    Cancel,
}

/// A tap gesture on the camera body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TapGesture {
    /// One tap.
    Single,
    /// Two taps in quick succession.
    Double,
}

/// One external input: holster sensor, controls, vehicle and radio signals, peers, dispatch.
///
/// Level inputs (holster, light bar, siren, door, taser) are debounced by the engine on both
/// edges; the others are momentary.
///
/// The string forms (`source,value` in an inputs file) are parsed by [`Input::parse`]:
///
/// | source | values |
/// |---|---|
/// | `holster` | `drawn`, `holstered` |
/// | `button` | `press`, `start`, `stop`, `cancel` |
/// | `tap` | `single`, `double` |
/// | `light_bar`, `siren` | `on`, `off` |
/// | `door` | `open`, `closed` |
/// | `taser` | `armed`, `safe` |
/// | `crash` | `detected` |
/// | `radio_emergency` | `press` |
/// | `peer_camera` | `started` |
/// | `dispatch` | `dispatched`, `geofence_enter`, `geofence_exit` |
/// | `sleep` | `on`, `off` |
///
/// ```
/// use autotrigger::trigger::{Input, HolsterState};
/// assert_eq!(Input::parse("holster", "drawn"), Some(Input::Holster(HolsterState::Drawn)));
/// assert_eq!(Input::parse("holster", "sideways"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Input {
    /// Holster sensor level.
    Holster(HolsterState),
    /// Record button.
    Button(ButtonAction),
    /// Tap gesture reported by a dedicated sensor (the IMU tap detector's events arrive as
    /// detector events instead).
    Tap(TapGesture),
    /// Vehicle light bar on (`true`) or off.
    LightBar(bool),
    /// Vehicle siren on (`true`) or off.
    Siren(bool),
    /// Vehicle door open (`true`) or closed.
    Door(bool),
    /// Taser armed (`true`) or safe.
    Taser(bool),
    /// Vehicle crash sensor.
    Crash,
    /// Radio emergency button.
    RadioEmergency,
    /// A peer camera nearby started recording.
    PeerCameraStarted,
    /// Dispatch assigned a call.
    Dispatched,
    /// The officer entered a geofenced area.
    GeofenceEnter,
    /// The officer left a geofenced area.
    GeofenceExit,
    /// Sleep/privacy mode on (`true`) or off.
    Sleep(bool),
}

impl Input {
    /// Parses `source,value` as written in an inputs file; `None` when unknown.
    pub fn parse(source: &str, value: &str) -> Option<Input> {
        let onoff = |v: &str| match v {
            "on" => Some(true),
            "off" => Some(false),
            _ => None,
        };
        Some(match (source, value) {
            ("holster", "drawn") => Input::Holster(HolsterState::Drawn),
            ("holster", "holstered") => Input::Holster(HolsterState::Holstered),
            ("button", "press") => Input::Button(ButtonAction::Press),
            ("button", "start") => Input::Button(ButtonAction::Start),
            ("button", "stop") => Input::Button(ButtonAction::Stop),
            ("button", "cancel") => Input::Button(ButtonAction::Cancel),
            ("tap", "single") => Input::Tap(TapGesture::Single),
            ("tap", "double") => Input::Tap(TapGesture::Double),
            ("light_bar", v) => Input::LightBar(onoff(v)?),
            ("siren", v) => Input::Siren(onoff(v)?),
            ("sleep", v) => Input::Sleep(onoff(v)?),
            ("door", "open") => Input::Door(true),
            ("door", "closed") => Input::Door(false),
            ("taser", "armed") => Input::Taser(true),
            ("taser", "safe") => Input::Taser(false),
            ("crash", "detected") => Input::Crash,
            ("radio_emergency", "press") => Input::RadioEmergency,
            ("peer_camera", "started") => Input::PeerCameraStarted,
            ("dispatch", "dispatched") => Input::Dispatched,
            ("dispatch", "geofence_enter") => Input::GeofenceEnter,
            ("dispatch", "geofence_exit") => Input::GeofenceExit,
            _ => return None,
        })
    }

    /// The `(source, value)` strings of this input (inverse of [`Input::parse`]).
    pub const fn as_strs(self) -> (&'static str, &'static str) {
        const fn onoff(b: bool) -> &'static str {
            if b {
                "on"
            } else {
                "off"
            }
        }
        match self {
            Input::Holster(HolsterState::Drawn) => ("holster", "drawn"),
            Input::Holster(HolsterState::Holstered) => ("holster", "holstered"),
            Input::Button(ButtonAction::Press) => ("button", "press"),
            Input::Button(ButtonAction::Start) => ("button", "start"),
            Input::Button(ButtonAction::Stop) => ("button", "stop"),
            Input::Button(ButtonAction::Cancel) => ("button", "cancel"),
            Input::Tap(TapGesture::Single) => ("tap", "single"),
            Input::Tap(TapGesture::Double) => ("tap", "double"),
            Input::LightBar(b) => ("light_bar", onoff(b)),
            Input::Siren(b) => ("siren", onoff(b)),
            Input::Sleep(b) => ("sleep", onoff(b)),
            Input::Door(true) => ("door", "open"),
            Input::Door(false) => ("door", "closed"),
            Input::Taser(true) => ("taser", "armed"),
            Input::Taser(false) => ("taser", "safe"),
            Input::Crash => ("crash", "detected"),
            Input::RadioEmergency => ("radio_emergency", "press"),
            Input::PeerCameraStarted => ("peer_camera", "started"),
            Input::Dispatched => ("dispatch", "dispatched"),
            Input::GeofenceEnter => ("dispatch", "geofence_enter"),
            Input::GeofenceExit => ("dispatch", "geofence_exit"),
        }
    }

    /// For a debounced level input: which level sensor and whether the new level is the
    /// active one (drawn, on, open, armed). `None` for momentary inputs.
    pub(crate) const fn level(self) -> Option<(LevelSensor, bool)> {
        match self {
            Input::Holster(h) => Some((LevelSensor::Holster, matches!(h, HolsterState::Drawn))),
            Input::LightBar(b) => Some((LevelSensor::LightBar, b)),
            Input::Siren(b) => Some((LevelSensor::Siren, b)),
            Input::Door(b) => Some((LevelSensor::Door, b)),
            Input::Taser(b) => Some((LevelSensor::Taser, b)),
            _ => None,
        }
    }
}

/// The debounced level sensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LevelSensor {
    Holster = 0,
    LightBar = 1,
    Siren = 2,
    Door = 3,
    Taser = 4,
}

impl LevelSensor {
    pub(crate) const COUNT: usize = 5;
    pub(crate) const ALL: [LevelSensor; 5] = [
        LevelSensor::Holster,
        LevelSensor::LightBar,
        LevelSensor::Siren,
        LevelSensor::Door,
        LevelSensor::Taser,
    ];

    /// The cause an active edge of this sensor produces.
    pub(crate) const fn cause(self) -> Cause {
        match self {
            LevelSensor::Holster => Cause::HolsterDraw,
            LevelSensor::LightBar => Cause::LightBar,
            LevelSensor::Siren => Cause::Siren,
            LevelSensor::Door => Cause::Door,
            LevelSensor::Taser => Cause::Taser,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_round_trip_and_fit_the_set() {
        assert!(Cause::ALL.len() <= 32);
        for c in Cause::ALL {
            assert_eq!(Cause::parse(c.as_str()), Some(c));
            let j = serde_json::to_string(&c).unwrap();
            assert_eq!(j, format!("\"{}\"", c.as_str()));
        }
        let all: CauseSet = Cause::ALL.into_iter().collect();
        assert_eq!(all.iter().count(), Cause::ALL.len());
    }

    #[test]
    fn inputs_round_trip() {
        let all = [
            Input::Holster(HolsterState::Drawn),
            Input::Holster(HolsterState::Holstered),
            Input::Button(ButtonAction::Press),
            Input::Button(ButtonAction::Start),
            Input::Button(ButtonAction::Stop),
            Input::Button(ButtonAction::Cancel),
            Input::Tap(TapGesture::Single),
            Input::Tap(TapGesture::Double),
            Input::LightBar(true),
            Input::LightBar(false),
            Input::Siren(true),
            Input::Siren(false),
            Input::Door(true),
            Input::Door(false),
            Input::Taser(true),
            Input::Taser(false),
            Input::Crash,
            Input::RadioEmergency,
            Input::PeerCameraStarted,
            Input::Dispatched,
            Input::GeofenceEnter,
            Input::GeofenceExit,
            Input::Sleep(true),
            Input::Sleep(false),
        ];
        for i in all {
            let (s, v) = i.as_strs();
            assert_eq!(Input::parse(s, v), Some(i), "{s},{v}");
        }
        assert_eq!(Input::parse("siren", "loud"), None);
        assert_eq!(Input::parse("nope", "on"), None);
    }
}
