//! Restrictions: the weekly windows of wall-clock time in which a layer may be on call,
//! optionally skipping holidays.

use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;

use super::holiday::{Holiday, HolidayCalendar};
use super::{ScheduleError, resolve};

/// A window of wall-clock time that opens on some weekdays, such as Mon-Fri 09:00-18:00.
///
/// A window whose end is not after its start runs past midnight into the next day
/// (22:00-06:00); equal start and end make a whole day. Its instants are resolved like
/// handoffs: a time that does not exist moves forward, a repeated time is the earlier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    days: [bool; 7],
    start: Time,
    end: Time,
}

impl Window {
    /// A window opening on each of `days` at `start` and closing at `end`.
    pub fn new(days: &[Weekday], start: Time, end: Time) -> Result<Window, ScheduleError> {
        if days.is_empty() {
            return Err(ScheduleError::WindowWithoutDays);
        }
        let mut set = [false; 7];
        for d in days {
            set[day_slot(*d)] = true;
        }
        Ok(Window {
            days: set,
            start,
            end,
        })
    }

    /// Whether the window opens on `day`.
    pub fn opens_on(&self, day: Weekday) -> bool {
        self.days[day_slot(day)]
    }

    /// The instants of the window that opens on `date`, if it opens that day and is not
    /// empty after resolution.
    fn on(&self, tz: &TimeZone, date: Date) -> Option<(Timestamp, Timestamp)> {
        if !self.opens_on(date.weekday()) {
            return None;
        }
        let end_date = if self.end > self.start {
            date
        } else {
            date.tomorrow().ok()?
        };
        let open = resolve(tz, date, self.start)?;
        let close = resolve(tz, end_date, self.end)?;
        (open < close).then_some((open, close))
    }
}

fn day_slot(day: Weekday) -> usize {
    // 0..=6, Monday first.
    day.to_monday_zero_offset().unsigned_abs().into()
}

/// When a layer may be on call: inside any of its windows, except windows that open on a
/// holiday of its calendar (if it has one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restriction {
    windows: Vec<Window>,
    holidays: Option<HolidayCalendar>,
}

/// The window that allowed a layer at some instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowMatch {
    /// The window's position in its restriction.
    pub window: usize,
    /// When this occurrence of the window opened.
    pub start: Timestamp,
    /// When it closes.
    pub end: Timestamp,
}

/// Windows reach at most about a day past their opening date (two across a skipped day),
/// so these many earlier dates can hold a window that is still open.
const LOOKBACK_DAYS: i8 = 2;

impl Restriction {
    /// A restriction to `windows`; with `holidays`, a window opening on a holiday of the
    /// calendar stays shut.
    pub fn new(
        windows: Vec<Window>,
        holidays: Option<HolidayCalendar>,
    ) -> Result<Restriction, ScheduleError> {
        if windows.is_empty() {
            return Err(ScheduleError::NoWindows);
        }
        Ok(Restriction { windows, holidays })
    }

    /// The windows in order.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// The holiday calendar whose days are skipped, if any.
    pub fn holidays(&self) -> Option<&HolidayCalendar> {
        self.holidays.as_ref()
    }

    /// The holiday that shuts windows opening on `date`.
    pub fn holiday(&self, date: Date) -> Option<Holiday> {
        self.holidays.as_ref()?.holiday(date)
    }

    /// Every window occurrence whose opening date is in `first..=last`, as (opening date,
    /// window, open, close); with `skip_holidays`, none opening on a holiday.
    fn occurrences(
        &self,
        tz: &TimeZone,
        first: Date,
        last: Date,
        skip_holidays: bool,
    ) -> impl Iterator<Item = (Date, usize, Timestamp, Timestamp)> {
        first
            .series(jiff::Span::new().days(1))
            .take_while(move |d| *d <= last)
            .filter(move |d| !skip_holidays || self.holiday(*d).is_none())
            .flat_map(move |d| {
                self.windows
                    .iter()
                    .enumerate()
                    .filter_map(move |(i, w)| w.on(tz, d).map(|(s, e)| (d, i, s, e)))
            })
    }

    /// The occurrences, holidays skipped or not, that contain `t`.
    fn containing(
        &self,
        tz: &TimeZone,
        t: Timestamp,
        skip_holidays: bool,
    ) -> impl Iterator<Item = (Date, usize, Timestamp, Timestamp)> {
        let today = tz.to_datetime(t).date();
        let first = today
            .checked_sub(jiff::Span::new().days(LOOKBACK_DAYS))
            .unwrap_or(today);
        self.occurrences(tz, first, today, skip_holidays)
            .filter(move |(_, _, s, e)| *s <= t && t < *e)
    }

    /// The window that is open at `t`, if any (the first in order when several are).
    pub fn allowing(&self, tz: &TimeZone, t: Timestamp) -> Option<WindowMatch> {
        self.containing(tz, t, true)
            .min_by_key(|(_, i, s, _)| (*i, *s))
            .map(|(_, window, start, end)| WindowMatch { window, start, end })
    }

    /// When no window is open at `t` only because of a holiday: the date that was a
    /// holiday, and which.
    pub fn shut_by_holiday(&self, tz: &TimeZone, t: Timestamp) -> Option<(Date, Holiday)> {
        self.containing(tz, t, false)
            .find_map(|(d, ..)| self.holiday(d).map(|h| (d, h)))
    }

    /// Pushes every instant in `(from, to)` where a window opens or closes.
    pub(super) fn edges(
        &self,
        tz: &TimeZone,
        from: Timestamp,
        to: Timestamp,
        out: &mut Vec<Timestamp>,
    ) {
        let first = tz.to_datetime(from).date();
        let first = first
            .checked_sub(jiff::Span::new().days(LOOKBACK_DAYS))
            .unwrap_or(first);
        let last = tz.to_datetime(to).date();
        for (_, _, s, e) in self.occurrences(tz, first, last, true) {
            out.extend([s, e].into_iter().filter(|x| from < *x && *x < to));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oncall::testutil::at;
    use jiff::civil::{date, time};

    fn weekdays() -> Vec<Weekday> {
        use Weekday::*;
        vec![Monday, Tuesday, Wednesday, Thursday, Friday]
    }

    #[test]
    fn business_hours_skip_japanese_holidays() {
        let tz = TimeZone::get("Asia/Tokyo").unwrap();
        let w = Window::new(&weekdays(), time(9, 0, 0, 0), time(18, 0, 0, 0)).unwrap();
        let r = Restriction::new(vec![w], Some(HolidayCalendar::japanese())).unwrap();
        // Tuesday 2026-09-22 is a citizens' holiday; Thursday 2026-09-24 is not.
        assert!(r.allowing(&tz, at(&tz, "2026-09-22T12:00")).is_none());
        assert_eq!(
            r.shut_by_holiday(&tz, at(&tz, "2026-09-22T12:00")),
            Some((
                date(2026, 9, 22),
                Holiday::Japanese(super::super::JapaneseHoliday::CitizensHoliday)
            ))
        );
        assert_eq!(r.shut_by_holiday(&tz, at(&tz, "2026-09-22T20:00")), None);
        let m = r.allowing(&tz, at(&tz, "2026-09-24T12:00")).unwrap();
        assert_eq!(
            (m.start, m.end),
            (at(&tz, "2026-09-24T09:00"), at(&tz, "2026-09-24T18:00"))
        );
        assert!(r.allowing(&tz, at(&tz, "2026-09-24T18:00")).is_none());
        assert!(
            r.allowing(&tz, at(&tz, "2026-09-26T12:00")).is_none(),
            "saturday"
        );
    }

    #[test]
    fn overnight_window_belongs_to_its_opening_day() {
        let tz = TimeZone::get("Europe/London").unwrap();
        let w = Window::new(&[Weekday::Friday], time(22, 0, 0, 0), time(6, 0, 0, 0)).unwrap();
        let r = Restriction::new(vec![w], None).unwrap();
        // Friday 2026-03-27 22:00 to Saturday 06:00 (no change of offset that night).
        assert!(r.allowing(&tz, at(&tz, "2026-03-28T05:59")).is_some());
        assert!(r.allowing(&tz, at(&tz, "2026-03-28T06:00")).is_none());
        assert!(r.allowing(&tz, at(&tz, "2026-03-27T21:59")).is_none());
        let mut edges = Vec::new();
        r.edges(
            &tz,
            at(&tz, "2026-03-27T00:00"),
            at(&tz, "2026-03-29T00:00"),
            &mut edges,
        );
        assert_eq!(
            edges,
            vec![at(&tz, "2026-03-27T22:00"), at(&tz, "2026-03-28T06:00")]
        );
    }

    #[test]
    fn invalid_definitions_are_refused() {
        assert_eq!(
            Window::new(&[], time(9, 0, 0, 0), time(18, 0, 0, 0)),
            Err(ScheduleError::WindowWithoutDays)
        );
        assert_eq!(
            Restriction::new(vec![], None),
            Err(ScheduleError::NoWindows)
        );
    }
}
