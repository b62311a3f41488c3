//! On-call schedules: who is on call at an instant, and why, as pure functions of the
//! schedule and the instant.
//!
//! # The model
//! A [`Schedule`] has an IANA zone, an ordered list of [`Layer`]s and a list of
//! [`Override`]s.
//! - A layer is a [`Rotation`] (participants taking turns in shifts of a [`ShiftLength`],
//!   handing off at a wall-clock time of the zone) and optionally a [`Restriction`]: weekly
//!   windows of wall-clock time (Mon-Fri 09:00-18:00) outside which the layer has nobody,
//!   which may skip the days of a [`HolidayCalendar`] (Japanese public holidays are built
//!   in; a company adds its own days).
//! - Layers stack: where a later layer has someone on call it overrides the earlier ones;
//!   where it has nobody (before its start, outside its windows) the earlier layers show.
//! - An override puts one user on call for an interval, above all layers; of overlapping
//!   overrides the later in the list wins.
//!
//! [`Schedule::on_call_at`] answers "who, and why" for one instant (the override, or the
//! layer with its rotation shift and the window that allowed it, and each layer above it
//! that had nobody with the reason: not started, outside its windows, or which holiday);
//! [`Schedule::shifts`] gives the flattened timeline of an interval. Both are built on the same evaluation, so
//! they never disagree.
//!
//! # Wall-clock time and daylight saving
//! Calendar lengths (days, weeks) and restriction windows follow the wall clock of the
//! zone: a daily 10:00 handoff stays at 10:00 local, so a 23- or 25-hour day is still one
//! shift. Hourly and custom lengths are elapsed time from the first handoff. A wall-clock
//! time is turned into an instant by jiff's "compatible" rule: a time that does not exist
//! (in a gap, when clocks go forward) moves forward by the length of the gap, and a time
//! that happens twice (when clocks go back) is the earlier of the two. A whole day that
//! does not exist (Pacific/Apia skipped 2011-12-30) has a handoff equal to the next day's:
//! its shift is empty and that participant's turn passes.
//!
//! Nothing here reads a clock: every query takes its instants as parameters.

mod definition;
mod holiday;
mod restriction;
mod rotation;

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod testutil {
    use jiff::Timestamp;
    use jiff::tz::TimeZone;

    /// The instant of local date-time `s` (`2026-01-05T10:00`) in `tz`.
    pub(super) fn at(tz: &TimeZone, s: &str) -> Timestamp {
        s.parse::<jiff::civil::DateTime>()
            .unwrap()
            .to_zoned(tz.clone())
            .unwrap()
            .timestamp()
    }

    /// Owned user ids.
    pub(super) fn users(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }
}

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

pub use definition::{
    CompanyDays, DefinitionError, LayerDef, RestrictionDef, SHIFT_UNITS, ScheduleDef,
    ShiftLengthDef, WEEKDAY_NAMES, WindowDef, format_hh_mm, parse_hh_mm, parse_weekday,
};
pub use holiday::{
    Holiday, HolidayCalendar, JAPANESE_YEARS, JapaneseHoliday, japanese_holiday,
    japanese_holidays_in,
};
pub use restriction::{Restriction, Window, WindowMatch};
pub use rotation::{Rotation, RotationShift, ShiftLength};

/// Why a schedule's definition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("unknown time zone {0:?}")]
    UnknownZone(String),
    #[error("rotation has no participants")]
    NoParticipants,
    #[error("rotation participant {0:?} is blank")]
    BlankParticipant(String),
    #[error("shift length must be positive")]
    ShiftLength,
    #[error("restriction window has no weekdays")]
    WindowWithoutDays,
    #[error("restriction has no windows")]
    NoWindows,
    #[error("override user is blank")]
    BlankOverrideUser,
    #[error("override must end after it starts")]
    OverrideInterval,
}

/// `time` on `date` in `tz`: a time in a gap moves forward, a repeated time is the earlier.
/// `None` only beyond the instants jiff represents.
fn resolve(tz: &TimeZone, date: Date, time: Time) -> Option<Timestamp> {
    tz.to_ambiguous_timestamp(date.to_datetime(time))
        .compatible()
        .ok()
}

/// One layer of a schedule: a rotation, perhaps restricted to some windows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// The layer's name, for explanations.
    pub name: String,
    /// Who takes turns.
    pub rotation: Rotation,
    /// When the layer may be on call; `None` for always.
    pub restriction: Option<Restriction>,
}

/// One user on call for `[start, end)` in place of whoever the layers have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    user: String,
    start: Timestamp,
    end: Timestamp,
}

impl Override {
    /// `user` on call from `start` until `end`.
    pub fn new(user: String, start: Timestamp, end: Timestamp) -> Result<Override, ScheduleError> {
        if user.trim().is_empty() {
            return Err(ScheduleError::BlankOverrideUser);
        }
        if end <= start {
            return Err(ScheduleError::OverrideInterval);
        }
        Ok(Override { user, start, end })
    }

    /// The user on call.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// When the override begins.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// When it ends.
    pub fn end(&self) -> Timestamp {
        self.end
    }
}

/// A schedule: a zone, layers (later over earlier) and overrides (over all layers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    zone_name: String,
    zone: TimeZone,
    layers: Vec<Layer>,
    overrides: Vec<Override>,
}

/// Who is on call at an instant and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The user on call.
    pub user: String,
    /// What put them there.
    pub reason: Reason,
    /// The layers above the one that answered that had nobody on call, top first (empty
    /// when an override answered).
    pub passed_over: Vec<PassedOver>,
}

/// A layer that had nobody on call at an instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassedOver {
    /// The layer's position.
    pub layer: usize,
    /// The layer's name.
    pub name: String,
    /// Why it had nobody.
    pub why: Absence,
}

/// Why a layer had nobody on call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Absence {
    /// Its rotation had not started.
    NotStarted,
    /// None of its restriction's windows was open.
    OutsideWindows,
    /// The window that would have been open opens on a holiday of its calendar.
    Holiday {
        /// The window's opening date.
        date: Date,
        /// The holiday.
        holiday: Holiday,
    },
}

/// What put someone on call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// An override.
    Override {
        /// Its position in the schedule's overrides.
        index: usize,
        /// Its interval.
        start: Timestamp,
        end: Timestamp,
    },
    /// A layer's rotation.
    Layer {
        /// The layer's position (0 is the bottom layer).
        index: usize,
        /// The layer's name.
        name: String,
        /// The rotation's shift.
        shift: RotationShift,
        /// The restriction window that let the layer be on call, if it has a restriction.
        window: Option<WindowMatch>,
    },
}

/// Where a stretch of the timeline comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The override at this position.
    Override(usize),
    /// A layer's rotation shift.
    Layer {
        /// The layer's position.
        layer: usize,
        /// The rotation shift's number.
        shift: i64,
    },
}

/// One stretch of the flattened timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shift {
    /// The user on call.
    pub user: String,
    /// When the stretch begins.
    pub start: Timestamp,
    /// When it ends.
    pub end: Timestamp,
    /// What put the user there.
    pub source: Source,
}

impl Reason {
    fn source(&self) -> Source {
        match self {
            Reason::Override { index, .. } => Source::Override(*index),
            Reason::Layer { index, shift, .. } => Source::Layer {
                layer: *index,
                shift: shift.index,
            },
        }
    }
}

impl Schedule {
    /// A schedule in the IANA zone named `zone` (such as `Asia/Tokyo`).
    pub fn new(
        zone: &str,
        layers: Vec<Layer>,
        overrides: Vec<Override>,
    ) -> Result<Schedule, ScheduleError> {
        let tz = TimeZone::get(zone).map_err(|_| ScheduleError::UnknownZone(zone.to_string()))?;
        Ok(Schedule {
            zone_name: zone.to_string(),
            zone: tz,
            layers,
            overrides,
        })
    }

    /// The zone's IANA name.
    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// The zone.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The layers, bottom first.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The overrides.
    pub fn overrides(&self) -> &[Override] {
        &self.overrides
    }

    /// Who is on call at `t` and why; `None` when nobody is.
    pub fn on_call_at(&self, t: Timestamp) -> Option<Answer> {
        if let Some((index, o)) = self
            .overrides
            .iter()
            .enumerate()
            .rev()
            .find(|(_, o)| o.start <= t && t < o.end)
        {
            return Some(Answer {
                user: o.user.clone(),
                reason: Reason::Override {
                    index,
                    start: o.start,
                    end: o.end,
                },
                passed_over: Vec::new(),
            });
        }
        let mut passed_over = Vec::new();
        for (index, layer) in self.layers.iter().enumerate().rev() {
            match self.layer_at(index, layer, t) {
                Ok((user, reason)) => {
                    return Some(Answer {
                        user,
                        reason,
                        passed_over,
                    });
                }
                Err(why) => passed_over.push(PassedOver {
                    layer: index,
                    name: layer.name.clone(),
                    why,
                }),
            }
        }
        None
    }

    /// The user the layer has on call at `t` and why, or why it has nobody.
    fn layer_at(
        &self,
        index: usize,
        layer: &Layer,
        t: Timestamp,
    ) -> Result<(String, Reason), Absence> {
        let window =
            match &layer.restriction {
                Some(r) => Some(r.allowing(&self.zone, t).ok_or_else(|| {
                    match r.shut_by_holiday(&self.zone, t) {
                        Some((date, holiday)) => Absence::Holiday { date, holiday },
                        None => Absence::OutsideWindows,
                    }
                })?),
                None => None,
            };
        let shift = layer
            .rotation
            .shift_at(&self.zone, t)
            .ok_or(Absence::NotStarted)?;
        let user = shift.user.clone();
        Ok((
            user,
            Reason::Layer {
                index,
                name: layer.name.clone(),
                shift,
                window,
            },
        ))
    }

    /// Whether `user` is on call at every instant of `[from, to)` (a shift swap may only
    /// hand over time that was the giver's).
    pub fn on_call_throughout(&self, user: &str, from: Timestamp, to: Timestamp) -> bool {
        let mut covered = from;
        for s in self.shifts(from, to) {
            if s.start != covered || s.user != user {
                return false;
            }
            covered = s.end;
        }
        from < to && covered == to
    }

    /// The flattened timeline of `[from, to)`: who is on call when, in order, cut to the
    /// interval. Stretches with nobody on call are absent; adjacent stretches from the same
    /// source are one. The work grows with the handoffs and windows inside the interval:
    /// callers bound it.
    pub fn shifts(&self, from: Timestamp, to: Timestamp) -> Vec<Shift> {
        if to <= from {
            return Vec::new();
        }
        // Every instant where the answer can change; between two of them it cannot.
        let mut edges = vec![from, to];
        let inside = |x: &Timestamp| from < *x && *x < to;
        for o in &self.overrides {
            edges.extend([o.start, o.end].into_iter().filter(inside));
        }
        for layer in &self.layers {
            for s in layer.rotation.shifts(&self.zone, from, to) {
                edges.extend([s.start, s.end].into_iter().filter(inside));
            }
            if let Some(r) = &layer.restriction {
                r.edges(&self.zone, from, to, &mut edges);
            }
        }
        edges.sort_unstable();
        edges.dedup();
        let mut out: Vec<Shift> = Vec::new();
        for pair in edges.windows(2) {
            let (start, end) = (pair[0], pair[1]);
            let Some(answer) = self.on_call_at(start) else {
                continue;
            };
            let source = answer.reason.source();
            match out.last_mut() {
                Some(last) if last.end == start && last.source == source => last.end = end,
                _ => out.push(Shift {
                    user: answer.user,
                    start,
                    end,
                    source,
                }),
            }
        }
        out
    }

    /// The handoffs in `(from, to]`: each instant where the person on call changes, who
    /// goes off call and who comes on, until when (that person's unbroken stretch, cut at
    /// `to`). A change of layer or shift that leaves the same person on call is no handoff.
    /// Shift start and end notices are sent from these.
    pub fn handoffs(&self, from: Timestamp, to: Timestamp) -> Vec<Handoff> {
        let shifts = self.shifts(from, to);
        let mut out: Vec<Handoff> = Vec::new();
        // The stretches of one person, adjacent stretches of the same user joined.
        let mut stretches: Vec<(String, Timestamp, Timestamp)> = Vec::new();
        for s in shifts {
            match stretches.last_mut() {
                Some((user, _, end)) if *user == s.user && *end == s.start => *end = s.end,
                _ => stretches.push((s.user, s.start, s.end)),
            }
        }
        for (i, (user, start, end)) in stretches.iter().enumerate() {
            let before = i
                .checked_sub(1)
                .map(|j| &stretches[j])
                .filter(|(_, _, e)| e == start);
            if *start > from {
                out.push(Handoff {
                    at: *start,
                    ending: before.map(|(u, _, _)| u.clone()),
                    starting: Some((user.clone(), *end)),
                });
            }
            let after_starts_here = stretches.get(i + 1).is_some_and(|(_, s, _)| s == end);
            if *end < to && !after_starts_here {
                out.push(Handoff {
                    at: *end,
                    ending: Some(user.clone()),
                    starting: None,
                });
            }
        }
        out
    }
}

/// A change of who is on call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handoff {
    pub at: Timestamp,
    /// Who goes off call, if anyone was on.
    pub ending: Option<String>,
    /// Who comes on call, if anyone, and until when.
    pub starting: Option<(String, Timestamp)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oncall::testutil::{at, users};
    use jiff::civil::Weekday::*;
    use jiff::civil::{date, time};

    fn tokyo() -> TimeZone {
        TimeZone::get("Asia/Tokyo").unwrap()
    }

    /// A weekly rotation handing off Monday 10:00 in Tokyo, a business-hours layer over it
    /// that skips Japanese holidays, and `overrides`.
    fn team_schedule(overrides: Vec<Override>) -> Schedule {
        let tz = tokyo();
        let weekly = Layer {
            name: "primary".into(),
            rotation: Rotation::new(
                users(&["aki", "ben", "chie"]),
                ShiftLength::Weeks(1),
                at(&tz, "2026-09-07T10:00"),
                time(10, 0, 0, 0),
            )
            .unwrap(),
            restriction: None,
        };
        let business = Layer {
            name: "business hours".into(),
            rotation: Rotation::new(
                users(&["dai", "emi"]),
                ShiftLength::Days(1),
                at(&tz, "2026-09-07T09:00"),
                time(9, 0, 0, 0),
            )
            .unwrap(),
            restriction: Some(
                Restriction::new(
                    vec![
                        Window::new(
                            &[Monday, Tuesday, Wednesday, Thursday, Friday],
                            time(9, 0, 0, 0),
                            time(18, 0, 0, 0),
                        )
                        .unwrap(),
                    ],
                    Some(HolidayCalendar::japanese()),
                )
                .unwrap(),
            ),
        };
        Schedule::new("Asia/Tokyo", vec![weekly, business], overrides).unwrap()
    }

    #[test]
    fn explains_who_is_on_call_and_why() {
        let tz = tokyo();
        let s = team_schedule(vec![]);
        // Tuesday 2026-09-15 03:00: outside business hours, the weekly layer (ben's week).
        let a = s.on_call_at(at(&tz, "2026-09-15T03:00")).unwrap();
        assert_eq!(a.user, "ben");
        let Reason::Layer {
            index,
            name,
            shift,
            window,
        } = a.reason
        else {
            panic!("expected a layer: {a:?}");
        };
        assert_eq!((index, name.as_str(), window), (0, "primary", None));
        assert_eq!(
            (shift.index, shift.start, shift.end),
            (1, at(&tz, "2026-09-14T10:00"), at(&tz, "2026-09-21T10:00"))
        );
        // Tuesday 2026-09-15 12:00: business hours, dai's day (day 8 of the rotation).
        let a = s.on_call_at(at(&tz, "2026-09-15T12:00")).unwrap();
        assert_eq!(a.user, "dai");
        let Reason::Layer { index, window, .. } = a.reason else {
            panic!("expected a layer: {a:?}");
        };
        assert_eq!(index, 1);
        let window = window.unwrap();
        assert_eq!(
            (window.window, window.start),
            (0, at(&tz, "2026-09-15T09:00"))
        );
    }

    #[test]
    fn business_hours_skip_a_japanese_holiday() {
        let tz = tokyo();
        let s = team_schedule(vec![]);
        // 2026-09-22 (国民の休日) and 09-23 (秋分の日): the weekly layer shows at noon.
        for (day, holiday) in [
            (date(2026, 9, 21), JapaneseHoliday::RespectForTheAgedDay),
            (date(2026, 9, 22), JapaneseHoliday::CitizensHoliday),
            (date(2026, 9, 23), JapaneseHoliday::AutumnalEquinoxDay),
        ] {
            let a = s
                .on_call_at(resolve(&tz, day, time(12, 0, 0, 0)).unwrap())
                .unwrap();
            assert!(
                matches!(a.reason, Reason::Layer { index: 0, .. }),
                "{day}: {a:?}"
            );
            let why = Absence::Holiday {
                date: day,
                holiday: Holiday::Japanese(holiday),
            };
            assert_eq!(
                a.passed_over,
                vec![PassedOver {
                    layer: 1,
                    name: "business hours".into(),
                    why
                }]
            );
        }
        // At night the business-hours layer is simply outside its windows.
        let a = s.on_call_at(at(&tz, "2026-09-24T20:00")).unwrap();
        assert_eq!(a.passed_over[0].why, Absence::OutsideWindows);
        let a = s.on_call_at(at(&tz, "2026-09-24T12:00")).unwrap();
        assert!(matches!(a.reason, Reason::Layer { index: 1, .. }), "{a:?}");
    }

    #[test]
    fn override_replaces_everyone_in_its_interval() {
        let tz = tokyo();
        let sick = Override::new(
            "fumi".into(),
            at(&tz, "2026-09-15T00:00"),
            at(&tz, "2026-09-16T00:00"),
        )
        .unwrap();
        let s = team_schedule(vec![sick]);
        for t in ["2026-09-15T03:00", "2026-09-15T12:00"] {
            let a = s.on_call_at(at(&tz, t)).unwrap();
            assert_eq!(a.user, "fumi");
            assert!(matches!(a.reason, Reason::Override { index: 0, .. }));
        }
        let got: Vec<_> = s
            .shifts(at(&tz, "2026-09-14T20:00"), at(&tz, "2026-09-16T12:00"))
            .into_iter()
            .map(|sh| (sh.user, sh.start))
            .collect();
        assert_eq!(
            got,
            vec![
                ("ben".to_string(), at(&tz, "2026-09-14T20:00")),
                ("fumi".to_string(), at(&tz, "2026-09-15T00:00")),
                ("ben".to_string(), at(&tz, "2026-09-16T00:00")),
                ("emi".to_string(), at(&tz, "2026-09-16T09:00")),
            ]
        );
    }

    #[test]
    fn handoffs_name_who_goes_off_and_who_comes_on() {
        let tz = tokyo();
        let sick = Override::new(
            "fumi".into(),
            at(&tz, "2026-09-15T00:00"),
            at(&tz, "2026-09-16T00:00"),
        )
        .unwrap();
        let s = team_schedule(vec![sick]);
        let ho = |t: &str, off: Option<&str>, on: Option<(&str, &str)>| Handoff {
            at: at(&tz, t),
            ending: off.map(str::to_owned),
            starting: on.map(|(u, until)| (u.to_owned(), at(&tz, until))),
        };
        // The interval's own start is no handoff; its end cuts the last stretch.
        let got = s.handoffs(at(&tz, "2026-09-14T20:00"), at(&tz, "2026-09-16T12:00"));
        assert_eq!(
            got,
            vec![
                ho(
                    "2026-09-15T00:00",
                    Some("ben"),
                    Some(("fumi", "2026-09-16T00:00"))
                ),
                ho(
                    "2026-09-16T00:00",
                    Some("fumi"),
                    Some(("ben", "2026-09-16T09:00"))
                ),
                ho(
                    "2026-09-16T09:00",
                    Some("ben"),
                    Some(("emi", "2026-09-16T12:00"))
                ),
            ]
        );
        // A weekly handoff at Monday 10:00 inside business hours changes no one (dai is on
        // through it), so it is no handoff; the layers' edges at 09:00 and 18:00 are.
        let got = s.handoffs(at(&tz, "2026-09-28T08:00"), at(&tz, "2026-09-28T19:00"));
        let times: Vec<_> = got.iter().map(|h| h.at).collect();
        assert!(!times.contains(&at(&tz, "2026-09-28T10:00")), "{got:?}");
        assert!(times.contains(&at(&tz, "2026-09-28T09:00")), "{got:?}");
        assert!(times.contains(&at(&tz, "2026-09-28T18:00")), "{got:?}");
        // A schedule that ends leaves a handoff to nobody.
        let only = Schedule::new(
            "Asia/Tokyo",
            vec![],
            vec![
                Override::new(
                    "gen".into(),
                    at(&tz, "2026-10-01T09:00"),
                    at(&tz, "2026-10-01T17:00"),
                )
                .unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(
            only.handoffs(at(&tz, "2026-10-01T00:00"), at(&tz, "2026-10-02T00:00")),
            vec![
                ho("2026-10-01T09:00", None, Some(("gen", "2026-10-01T17:00"))),
                ho("2026-10-01T17:00", Some("gen"), None),
            ]
        );
    }

    #[test]
    fn on_call_throughout_needs_the_whole_interval() {
        let tz = tokyo();
        let s = team_schedule(vec![]);
        // ben's week, Tuesday night: only the weekly layer.
        let (from, to) = (at(&tz, "2026-09-15T19:00"), at(&tz, "2026-09-16T08:00"));
        assert!(s.on_call_throughout("ben", from, to));
        assert!(!s.on_call_throughout("aki", from, to));
        // Into business hours, dai takes over.
        assert!(!s.on_call_throughout("ben", from, at(&tz, "2026-09-16T10:00")));
        assert!(!s.on_call_throughout("ben", from, from));
    }

    #[test]
    fn follow_the_sun_hands_over_between_three_regions() {
        // Three 8-hour shifts handing off at 00:00, 08:00 and 16:00 UTC, one team each.
        let day = |team: &str, handoff: u8| Layer {
            name: team.into(),
            rotation: Rotation::new(
                users(&[team]),
                ShiftLength::Days(1),
                "2026-01-05T00:00Z".parse().unwrap(),
                time(handoff as i8, 0, 0, 0),
            )
            .unwrap(),
            restriction: Some(
                Restriction::new(
                    vec![
                        Window::new(
                            &[
                                Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday,
                            ],
                            time(handoff as i8, 0, 0, 0),
                            time(((handoff + 8) % 24) as i8, 0, 0, 0),
                        )
                        .unwrap(),
                    ],
                    None,
                )
                .unwrap(),
            ),
        };
        let s = Schedule::new(
            "UTC",
            vec![day("apac", 0), day("emea", 8), day("amer", 16)],
            vec![],
        )
        .unwrap();
        let got: Vec<_> = s
            .shifts(
                "2026-01-06T00:00Z".parse().unwrap(),
                "2026-01-07T00:00Z".parse().unwrap(),
            )
            .into_iter()
            .map(|sh| (sh.user, sh.end.duration_since(sh.start).as_hours()))
            .collect();
        let want: Vec<_> = ["apac", "emea", "amer"]
            .iter()
            .map(|u| (u.to_string(), 8))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn unknown_zone_and_bad_overrides_are_refused() {
        assert_eq!(
            Schedule::new("Asia/Nowhere", vec![], vec![]),
            Err(ScheduleError::UnknownZone("Asia/Nowhere".into()))
        );
        let t = Timestamp::UNIX_EPOCH;
        assert_eq!(
            Override::new("a".into(), t, t),
            Err(ScheduleError::OverrideInterval)
        );
        assert_eq!(
            Override::new("".into(), t, t),
            Err(ScheduleError::BlankOverrideUser)
        );
    }
}
