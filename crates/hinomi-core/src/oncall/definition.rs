//! Schedule definitions as people write and hinomi stores them: plain text fields (an RFC
//! 3339 start, an `HH:MM` handoff, weekday names, holiday calendars by id) that
//! [`ScheduleDef::build`] parses into a [`Schedule`], each fault naming the field it is in
//! (`layers[1].restriction.windows[0].start`).
//!
//! A layer's restriction refers to holiday calendars rather than holding them: the
//! Japanese public holidays by a flag, company calendars by id. The caller supplies the
//! company calendars' days when building, so a change to a calendar reaches every schedule
//! that skips it.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::{Date, Time, Weekday};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::{
    HolidayCalendar, Layer, Override, Restriction, Rotation, Schedule, ScheduleError, ShiftLength,
    Window,
};

/// A schedule's zone and layers, bottom layer first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDef {
    /// An IANA zone name such as `Asia/Tokyo`.
    pub time_zone: String,
    pub layers: Vec<LayerDef>,
}

/// One layer: a rotation, perhaps restricted to some windows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerDef {
    pub name: String,
    /// User ids, in the order they take turns.
    pub participants: Vec<String>,
    pub shift_length: ShiftLengthDef,
    /// When the rotation begins, RFC 3339; the first participant's shift contains it.
    pub start: String,
    /// The wall-clock handoff time in the schedule's zone, `HH:MM`.
    pub handoff: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restriction: Option<RestrictionDef>,
}

/// A shift's length: `count` of `unit` (`hours`, `days`, `weeks` or `minutes`). Days and
/// weeks follow the zone's calendar; hours and minutes are elapsed time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftLengthDef {
    pub unit: String,
    pub count: u32,
}

/// The windows a layer may be on call in, and the holidays that shut them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictionDef {
    pub windows: Vec<WindowDef>,
    /// Whether windows opening on a Japanese public holiday stay shut.
    #[serde(default)]
    pub skip_japanese_holidays: bool,
    /// Company holiday calendars (ids) whose days shut the windows too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_calendars: Vec<String>,
}

/// A weekly window: on `days` (`mon` ... `sun`) from `start` to `end` (`HH:MM`; an end
/// not after the start runs into the next day).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowDef {
    pub days: Vec<String>,
    pub start: String,
    pub end: String,
}

/// A company calendar's days off, by date, with their names.
pub type CompanyDays = BTreeMap<Date, String>;

/// A definition that does not make a schedule: the field at fault and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DefinitionError {
    /// The path of the field, as in the definition's JSON (`layers[0].handoff`).
    pub field: String,
    pub message: String,
}

impl DefinitionError {
    pub fn new(field: impl Into<String>, message: impl fmt::Display) -> DefinitionError {
        DefinitionError {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

/// The weekday names a window's `days` use, Monday first.
pub const WEEKDAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The shift length units, as [`ShiftLengthDef::unit`] spells them.
pub const SHIFT_UNITS: [&str; 4] = ["hours", "days", "weeks", "minutes"];

/// A weekday from its three-letter name (`mon`), in any case.
pub fn parse_weekday(text: &str) -> Option<Weekday> {
    let i = WEEKDAY_NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(text.trim()))?;
    Weekday::from_monday_zero_offset(i8::try_from(i).ok()?).ok()
}

/// A wall-clock time written `HH:MM` (00:00 to 23:59).
pub fn parse_hh_mm(text: &str) -> Option<Time> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

/// `time` as `HH:MM`.
pub fn format_hh_mm(time: Time) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

impl ShiftLengthDef {
    /// The length this names; the fault names `field`'s `unit` or `count`.
    pub fn parse(&self, field: &str) -> Result<ShiftLength, DefinitionError> {
        if self.count == 0 {
            return Err(DefinitionError::new(
                format!("{field}.count"),
                ScheduleError::ShiftLength,
            ));
        }
        Ok(match self.unit.as_str() {
            "hours" => ShiftLength::Hours(self.count),
            "days" => ShiftLength::Days(self.count),
            "weeks" => ShiftLength::Weeks(self.count),
            "minutes" => ShiftLength::Custom(SignedDuration::from_mins(i64::from(self.count))),
            other => {
                return Err(DefinitionError::new(
                    format!("{field}.unit"),
                    format!("{other:?} is none of {}", SHIFT_UNITS.join(", ")),
                ));
            }
        })
    }
}

fn hh_mm(field: String, text: &str) -> Result<Time, DefinitionError> {
    parse_hh_mm(text)
        .ok_or_else(|| DefinitionError::new(field, format!("{text:?} is not a time as HH:MM")))
}

impl WindowDef {
    fn build(&self, field: &str) -> Result<Window, DefinitionError> {
        let mut days = Vec::with_capacity(self.days.len());
        for (i, d) in self.days.iter().enumerate() {
            days.push(parse_weekday(d).ok_or_else(|| {
                DefinitionError::new(
                    format!("{field}.days[{i}]"),
                    format!("{d:?} is none of {}", WEEKDAY_NAMES.join(", ")),
                )
            })?);
        }
        let start = hh_mm(format!("{field}.start"), &self.start)?;
        let end = hh_mm(format!("{field}.end"), &self.end)?;
        Window::new(&days, start, end).map_err(|e| DefinitionError::new(format!("{field}.days"), e))
    }
}

impl RestrictionDef {
    fn build(
        &self,
        field: &str,
        calendars: &BTreeMap<String, CompanyDays>,
    ) -> Result<Restriction, DefinitionError> {
        let windows = self
            .windows
            .iter()
            .enumerate()
            .map(|(i, w)| w.build(&format!("{field}.windows[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let mut holidays = if self.skip_japanese_holidays {
            Some(HolidayCalendar::japanese())
        } else {
            None
        };
        for (i, id) in self.skip_calendars.iter().enumerate() {
            let days = calendars.get(id).ok_or_else(|| {
                DefinitionError::new(
                    format!("{field}.skip_calendars[{i}]"),
                    format!("no holiday calendar {id:?}"),
                )
            })?;
            let mut cal = holidays
                .take()
                .unwrap_or_else(HolidayCalendar::company_only);
            for (date, name) in days {
                cal = cal.with_company_day(*date, name.clone());
            }
            holidays = Some(cal);
        }
        Restriction::new(windows, holidays)
            .map_err(|e| DefinitionError::new(format!("{field}.windows"), e))
    }
}

impl LayerDef {
    fn build(
        &self,
        field: &str,
        calendars: &BTreeMap<String, CompanyDays>,
    ) -> Result<Layer, DefinitionError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(DefinitionError::new(
                format!("{field}.name"),
                "1 to 100 characters",
            ));
        }
        let length = self.shift_length.parse(&format!("{field}.shift_length"))?;
        let start: Timestamp = self.start.trim().parse().map_err(|_| {
            DefinitionError::new(
                format!("{field}.start"),
                format!("{:?} is not an RFC 3339 time", self.start),
            )
        })?;
        let handoff = hh_mm(format!("{field}.handoff"), &self.handoff)?;
        let rotation =
            Rotation::new(self.participants.clone(), length, start, handoff).map_err(|e| {
                let at = match &e {
                    ScheduleError::BlankParticipant(p) => self
                        .participants
                        .iter()
                        .position(|x| x == p)
                        .map_or(String::new(), |i| format!("[{i}]")),
                    _ => String::new(),
                };
                DefinitionError::new(format!("{field}.participants{at}"), e)
            })?;
        let restriction = self
            .restriction
            .as_ref()
            .map(|r| r.build(&format!("{field}.restriction"), calendars))
            .transpose()?;
        Ok(Layer {
            name: name.to_owned(),
            rotation,
            restriction,
        })
    }
}

impl ScheduleDef {
    /// The schedule this defines, with `overrides`, skipping the days of the company
    /// `calendars` (by id) its layers name.
    pub fn build(
        &self,
        overrides: Vec<Override>,
        calendars: &BTreeMap<String, CompanyDays>,
    ) -> Result<Schedule, DefinitionError> {
        let layers = self
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| l.build(&format!("layers[{i}]"), calendars))
            .collect::<Result<Vec<_>, _>>()?;
        Schedule::new(self.time_zone.trim(), layers, overrides)
            .map_err(|e| DefinitionError::new("time_zone", e))
    }

    /// The company calendars (ids) any layer skips, each once.
    pub fn calendar_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .layers
            .iter()
            .filter_map(|l| l.restriction.as_ref())
            .flat_map(|r| r.skip_calendars.iter().map(String::as_str))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oncall::Reason;
    use jiff::civil::date;

    fn def(json: &str) -> ScheduleDef {
        serde_json::from_str(json).unwrap()
    }

    const BUSINESS: &str = r#"{
        "time_zone": "Asia/Tokyo",
        "layers": [
            {"name": "primary", "participants": ["aki", "ben"],
             "shift_length": {"unit": "weeks", "count": 1},
             "start": "2026-09-07T10:00:00+09:00", "handoff": "10:00"},
            {"name": "business hours", "participants": ["dai"],
             "shift_length": {"unit": "days", "count": 1},
             "start": "2026-09-07T09:00:00+09:00", "handoff": "09:00",
             "restriction": {"windows": [{"days": ["mon","tue","wed","thu","fri"],
                                          "start": "09:00", "end": "18:00"}],
                             "skip_japanese_holidays": true,
                             "skip_calendars": ["founding"]}}
        ]
    }"#;

    fn calendars() -> BTreeMap<String, CompanyDays> {
        let days = CompanyDays::from([(date(2026, 9, 24), "創立記念日".to_owned())]);
        BTreeMap::from([("founding".to_owned(), days)])
    }

    #[test]
    fn builds_layers_with_japanese_and_company_holidays() {
        let s = def(BUSINESS).build(vec![], &calendars()).unwrap();
        let noon = |d: &str| format!("{d}T12:00:00+09:00").parse::<Timestamp>().unwrap();
        // A plain Friday: business hours.
        let a = s.on_call_at(noon("2026-09-25")).unwrap();
        assert_eq!(a.user, "dai");
        // Autumnal Equinox Day and the company's founding day: the weekly layer.
        for d in ["2026-09-23", "2026-09-24"] {
            let a = s.on_call_at(noon(d)).unwrap();
            assert!(matches!(a.reason, Reason::Layer { index: 0, .. }), "{d}");
        }
        assert_eq!(def(BUSINESS).calendar_ids(), ["founding"]);
    }

    #[test]
    fn every_fault_names_its_field() {
        let check = |edit: &dyn Fn(&mut ScheduleDef), field: &str| {
            let mut d = def(BUSINESS);
            edit(&mut d);
            let err = d.build(vec![], &calendars()).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        };
        check(&|d| d.time_zone = "Asia/Nowhere".into(), "time_zone");
        check(
            &|d| d.layers[0].participants.clear(),
            "layers[0].participants",
        );
        check(
            &|d| d.layers[0].participants[1] = " ".into(),
            "layers[0].participants[1]",
        );
        check(
            &|d| d.layers[0].shift_length.count = 0,
            "layers[0].shift_length.count",
        );
        check(
            &|d| d.layers[0].shift_length.unit = "fortnights".into(),
            "layers[0].shift_length.unit",
        );
        check(&|d| d.layers[0].handoff = "10".into(), "layers[0].handoff");
        check(
            &|d| d.layers[0].handoff = "24:00".into(),
            "layers[0].handoff",
        );
        check(
            &|d| d.layers[0].start = "tomorrow".into(),
            "layers[0].start",
        );
        check(&|d| d.layers[1].name = " ".into(), "layers[1].name");
        fn r(d: &mut ScheduleDef) -> &mut RestrictionDef {
            d.layers[1].restriction.as_mut().unwrap()
        }
        check(
            &|d| r(d).windows[0].days[2] = "mittwoch".into(),
            "layers[1].restriction.windows[0].days[2]",
        );
        check(
            &|d| r(d).windows[0].days.clear(),
            "layers[1].restriction.windows[0].days",
        );
        check(
            &|d| r(d).windows[0].end = "6pm".into(),
            "layers[1].restriction.windows[0].end",
        );
        check(&|d| r(d).windows.clear(), "layers[1].restriction.windows");
        check(
            &|d| r(d).skip_calendars.push("gone".into()),
            "layers[1].restriction.skip_calendars[1]",
        );
    }

    #[test]
    fn times_and_weekdays_parse_strictly() {
        assert_eq!(parse_hh_mm("09:30"), Some(Time::constant(9, 30, 0, 0)));
        for bad in ["9:30", "09:3", "09-30", "24:00", "12:60", "+1:30", " 09:30"] {
            assert_eq!(parse_hh_mm(bad), None, "{bad}");
        }
        assert_eq!(format_hh_mm(Time::constant(7, 5, 0, 0)), "07:05");
        assert_eq!(parse_weekday("Sun"), Some(Weekday::Sunday));
        assert_eq!(parse_weekday("sunday"), None);
    }

    #[test]
    fn a_definition_round_trips_through_json() {
        let d = def(BUSINESS);
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(def(&text), d);
        let unknown = BUSINESS.replace("\"handoff\": \"10:00\"", "\"handof\": \"10:00\"");
        assert!(serde_json::from_str::<ScheduleDef>(&unknown).is_err());
    }
}
