//! Rotations: participants taking turns in shifts of a fixed length, handing off at a
//! wall-clock time of the schedule's zone.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};

use super::{ScheduleError, resolve};

/// How long one shift lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShiftLength {
    /// N hours of elapsed time.
    Hours(u32),
    /// N calendar days in the zone: from the handoff time to the handoff time N days later,
    /// however many hours that is across a change of offset.
    Days(u32),
    /// N calendar weeks in the zone, like [`ShiftLength::Days`] with 7N days.
    Weeks(u32),
    /// A fixed elapsed duration.
    Custom(SignedDuration),
}

/// The grid of handoffs a rotation follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Handoffs every N calendar days at the handoff time.
    CivilDays(i64),
    /// Handoffs every N nanoseconds after the first handoff.
    Elapsed(i128),
}

/// Participants on call in turn, from `start` on.
///
/// The handoffs form a grid anchored on the handoff time of `start`'s calendar date in the
/// zone: for calendar lengths (days, weeks) the k-th handoff is that date plus k·N days at
/// the handoff time; for elapsed lengths (hours, custom) it is the anchor handoff plus k·N.
/// The shift that contains `start` (cut to begin at `start`) is the first participant's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    participants: Vec<String>,
    length: ShiftLength,
    start: Timestamp,
    handoff: Time,
    step: Step,
}

/// One shift of a rotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationShift {
    /// The shift's number, 0 for the shift that contains the rotation's start.
    pub index: i64,
    /// The participant on call.
    pub user: String,
    /// When the shift begins (the rotation's start for shift 0).
    pub start: Timestamp,
    /// When the next shift begins.
    pub end: Timestamp,
}

impl Rotation {
    /// A rotation of `participants` (user ids, in order) beginning at `start`, handing off
    /// at `handoff` in the schedule's zone.
    pub fn new(
        participants: Vec<String>,
        length: ShiftLength,
        start: Timestamp,
        handoff: Time,
    ) -> Result<Rotation, ScheduleError> {
        if participants.is_empty() {
            return Err(ScheduleError::NoParticipants);
        }
        if let Some(p) = participants.iter().find(|p| p.trim().is_empty()) {
            return Err(ScheduleError::BlankParticipant(p.clone()));
        }
        let step = match length {
            ShiftLength::Hours(n) => {
                Step::Elapsed(i128::from(n) * SignedDuration::from_hours(1).as_nanos())
            }
            ShiftLength::Days(n) => Step::CivilDays(i64::from(n)),
            ShiftLength::Weeks(n) => Step::CivilDays(7 * i64::from(n)),
            ShiftLength::Custom(d) => Step::Elapsed(d.as_nanos()),
        };
        match step {
            Step::CivilDays(n) if n <= 0 => return Err(ScheduleError::ShiftLength),
            Step::Elapsed(n) if n <= 0 => return Err(ScheduleError::ShiftLength),
            _ => {}
        }
        Ok(Rotation {
            participants,
            length,
            start,
            handoff,
            step,
        })
    }

    /// The participants in order.
    pub fn participants(&self) -> &[String] {
        &self.participants
    }

    /// The shift length.
    pub fn length(&self) -> ShiftLength {
        self.length
    }

    /// When the rotation begins.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The wall-clock handoff time.
    pub fn handoff(&self) -> Time {
        self.handoff
    }

    /// The k-th handoff of the grid; `None` only beyond the instants jiff represents.
    fn handoff_at(&self, tz: &TimeZone, k: i64) -> Option<Timestamp> {
        let anchor = tz.to_datetime(self.start).date();
        match self.step {
            Step::CivilDays(n) => {
                let date: Date = anchor
                    .checked_add(Span::new().try_days(k.checked_mul(n)?).ok()?)
                    .ok()?;
                resolve(tz, date, self.handoff)
            }
            Step::Elapsed(n) => {
                let origin = resolve(tz, anchor, self.handoff)?;
                let offset = i128::from(k).checked_mul(n)?;
                Timestamp::from_nanosecond(origin.as_nanosecond().checked_add(offset)?).ok()
            }
        }
    }

    /// The grid index of the last handoff at or before `t`. Handoffs never decrease (a
    /// handoff of a day that does not exist equals the next day's, an empty shift), so the
    /// search only corrects a first estimate.
    fn grid_index(&self, tz: &TimeZone, t: Timestamp) -> Option<i64> {
        let mut k = match self.step {
            Step::CivilDays(n) => {
                let anchor = tz.to_datetime(self.start).date();
                let days = anchor.until(tz.to_datetime(t).date()).ok()?.get_days();
                i64::from(days).div_euclid(n)
            }
            Step::Elapsed(n) => {
                let anchor = tz.to_datetime(self.start).date();
                let origin = resolve(tz, anchor, self.handoff)?;
                let k = (t.as_nanosecond() - origin.as_nanosecond()).div_euclid(n);
                i64::try_from(k).ok()?
            }
        };
        while self.handoff_at(tz, k)? > t {
            k -= 1;
        }
        while let Some(next) = self.handoff_at(tz, k + 1)
            && next <= t
        {
            k += 1;
        }
        Some(k)
    }

    /// The shift on call at `t`, or `None` before the rotation starts.
    pub fn shift_at(&self, tz: &TimeZone, t: Timestamp) -> Option<RotationShift> {
        if t < self.start {
            return None;
        }
        let first = self.grid_index(tz, self.start)?;
        let k = self.grid_index(tz, t)?;
        let index = k - first;
        let len = i64::try_from(self.participants.len()).ok()?;
        let user = self.participants[usize::try_from(index.rem_euclid(len)).ok()?].clone();
        let start = self.handoff_at(tz, k)?.max(self.start);
        // A handoff beyond the instants jiff represents never comes.
        let end = self.handoff_at(tz, k + 1).unwrap_or(Timestamp::MAX);
        Some(RotationShift {
            index,
            user,
            start,
            end,
        })
    }

    /// The shifts that overlap `[from, to)`, in order, not cut to the interval.
    pub fn shifts(&self, tz: &TimeZone, from: Timestamp, to: Timestamp) -> Vec<RotationShift> {
        let mut out = Vec::new();
        let mut t = from.max(self.start);
        while t < to {
            let Some(shift) = self.shift_at(tz, t) else {
                break;
            };
            t = shift.end;
            out.push(shift);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oncall::testutil::{at, users};
    use jiff::civil::time;

    fn tokyo() -> TimeZone {
        TimeZone::get("Asia/Tokyo").unwrap()
    }

    #[test]
    fn weekly_handoff_monday_ten_tokyo() {
        let tz = tokyo();
        // 2026-01-05 is a Monday.
        let r = Rotation::new(
            users(&["aki", "ben", "chie"]),
            ShiftLength::Weeks(1),
            at(&tz, "2026-01-05T10:00"),
            time(10, 0, 0, 0),
        )
        .unwrap();
        let s = r.shift_at(&tz, at(&tz, "2026-01-12T09:59")).unwrap();
        assert_eq!((s.index, s.user.as_str()), (0, "aki"));
        let s = r.shift_at(&tz, at(&tz, "2026-01-12T10:00")).unwrap();
        assert_eq!((s.index, s.user.as_str()), (1, "ben"));
        assert_eq!(s.start, at(&tz, "2026-01-12T10:00"));
        assert_eq!(s.end, at(&tz, "2026-01-19T10:00"));
        let s = r.shift_at(&tz, at(&tz, "2026-01-27T03:00")).unwrap();
        assert_eq!((s.index, s.user.as_str()), (3, "aki"));
        assert!(r.shift_at(&tz, at(&tz, "2026-01-05T09:59")).is_none());
    }

    #[test]
    fn daily_handoff_keeps_wall_clock_across_dst() {
        let tz = TimeZone::get("America/New_York").unwrap();
        let r = Rotation::new(
            users(&["a", "b"]),
            ShiftLength::Days(1),
            at(&tz, "2026-03-07T10:00"),
            time(10, 0, 0, 0),
        )
        .unwrap();
        // 2026-03-08 has 23 hours: the shift from 03-07 10:00 to 03-08 10:00 is 23 h long.
        let s = r.shift_at(&tz, at(&tz, "2026-03-08T09:00")).unwrap();
        assert_eq!(
            s.end.duration_since(s.start),
            SignedDuration::from_hours(23)
        );
        assert_eq!(s.end, at(&tz, "2026-03-08T10:00"));
        // Fall back, 2026-11-01: a 25-hour shift.
        let s = r.shift_at(&tz, at(&tz, "2026-11-01T09:00")).unwrap();
        assert_eq!(
            s.end.duration_since(s.start),
            SignedDuration::from_hours(25)
        );
    }

    #[test]
    fn handoff_in_gap_moves_forward_and_in_fold_takes_earlier() {
        let tz = TimeZone::get("America/New_York").unwrap();
        let r = Rotation::new(
            users(&["a", "b"]),
            ShiftLength::Days(1),
            at(&tz, "2026-03-01T02:30"),
            time(2, 30, 0, 0),
        )
        .unwrap();
        // 02:30 does not exist on 2026-03-08: the handoff is at 03:30 EDT (07:30Z).
        let s = r
            .shift_at(&tz, "2026-03-08T12:00Z".parse().unwrap())
            .unwrap();
        assert_eq!(s.start, "2026-03-08T07:30Z".parse().unwrap());
        let r = Rotation::new(
            users(&["a", "b"]),
            ShiftLength::Days(1),
            at(&tz, "2026-10-25T01:30"),
            time(1, 30, 0, 0),
        )
        .unwrap();
        // 01:30 happens twice on 2026-11-01: the handoff is the first one, EDT (05:30Z).
        let s = r
            .shift_at(&tz, "2026-11-01T12:00Z".parse().unwrap())
            .unwrap();
        assert_eq!(s.start, "2026-11-01T05:30Z".parse().unwrap());
    }

    #[test]
    fn apia_skipped_day_is_an_empty_turn() {
        let tz = TimeZone::get("Pacific/Apia").unwrap();
        let r = Rotation::new(
            users(&["a", "b", "c"]),
            ShiftLength::Days(1),
            at(&tz, "2011-12-28T10:00"),
            time(10, 0, 0, 0),
        )
        .unwrap();
        // 2011-12-30 did not exist; its handoff resolves to 2011-12-31 10:00, so b's turn
        // (12-29) runs to 12-31 10:00 and c's turn (12-30) is empty.
        let s = r.shift_at(&tz, at(&tz, "2011-12-31T09:00")).unwrap();
        assert_eq!((s.index, s.user.as_str()), (1, "b"));
        let s = r.shift_at(&tz, at(&tz, "2011-12-31T10:00")).unwrap();
        assert_eq!((s.index, s.user.as_str()), (3, "a"));
    }

    #[test]
    fn partial_first_shift_and_hourly_grid() {
        let tz = tokyo();
        let r = Rotation::new(
            users(&["a", "b"]),
            ShiftLength::Hours(8),
            at(&tz, "2026-01-05T12:00"),
            time(9, 0, 0, 0),
        )
        .unwrap();
        let s = r.shift_at(&tz, at(&tz, "2026-01-05T12:00")).unwrap();
        assert_eq!(
            (s.index, s.start, s.end),
            (0, at(&tz, "2026-01-05T12:00"), at(&tz, "2026-01-05T17:00"))
        );
        let got: Vec<_> = r
            .shifts(
                &tz,
                at(&tz, "2026-01-05T12:00"),
                at(&tz, "2026-01-06T10:00"),
            )
            .into_iter()
            .map(|s| (s.user, s.start))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a".to_string(), at(&tz, "2026-01-05T12:00")),
                ("b".to_string(), at(&tz, "2026-01-05T17:00")),
                ("a".to_string(), at(&tz, "2026-01-06T01:00")),
                ("b".to_string(), at(&tz, "2026-01-06T09:00")),
            ]
        );
    }

    #[test]
    fn longest_custom_length_is_one_endless_shift() {
        let tz = tokyo();
        let start = at(&tz, "2026-01-05T10:00");
        let r = Rotation::new(
            users(&["a", "b"]),
            ShiftLength::Custom(SignedDuration::MAX),
            start,
            time(10, 0, 0, 0),
        )
        .unwrap();
        // The next handoff lies beyond the instants jiff represents: the shift never ends.
        let s = r.shift_at(&tz, at(&tz, "2030-01-01T00:00")).unwrap();
        assert_eq!(
            (s.user.as_str(), s.start, s.end),
            ("a", start, Timestamp::MAX)
        );
        assert_eq!(r.shifts(&tz, start, at(&tz, "2030-01-01T00:00")), vec![s]);
    }

    #[test]
    fn invalid_definitions_are_refused() {
        let t = Timestamp::UNIX_EPOCH;
        let h = time(9, 0, 0, 0);
        assert_eq!(
            Rotation::new(vec![], ShiftLength::Days(1), t, h),
            Err(ScheduleError::NoParticipants)
        );
        assert_eq!(
            Rotation::new(users(&["a"]), ShiftLength::Hours(0), t, h),
            Err(ScheduleError::ShiftLength)
        );
        assert_eq!(
            Rotation::new(
                users(&["a"]),
                ShiftLength::Custom(SignedDuration::from_secs(-5)),
                t,
                h
            ),
            Err(ScheduleError::ShiftLength)
        );
        assert_eq!(
            Rotation::new(users(&["a", " "]), ShiftLength::Weeks(1), t, h),
            Err(ScheduleError::BlankParticipant(" ".into()))
        );
    }
}
