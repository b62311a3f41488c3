//! Holiday calendars: Japanese public holidays computed by rule, plus a company's own days.
//!
//! The Japanese rules are those of the Act on National Holidays (国民の祝日に関する法律) as
//! in force in each year from 2000 to 2099, including the special laws of 2019 (the
//! Emperor's accession) and of 2020 and 2021 (the Olympic moves of Marine Day, Sports Day
//! and Mountain Day). Equinox days use the standard formula, valid 1980-2099. Special laws
//! after 2021 cannot be known in advance: a company calendar can add such a day.

use std::collections::BTreeMap;

use jiff::civil::{Date, Weekday};

/// The first and last years whose Japanese holidays are computed.
pub const JAPANESE_YEARS: std::ops::RangeInclusive<i16> = 2000..=2099;

/// One Japanese public holiday or rest day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JapaneseHoliday {
    NewYearsDay,
    ComingOfAgeDay,
    NationalFoundationDay,
    EmperorsBirthday,
    VernalEquinoxDay,
    ShowaDay,
    ConstitutionMemorialDay,
    GreeneryDay,
    ChildrensDay,
    MarineDay,
    MountainDay,
    RespectForTheAgedDay,
    AutumnalEquinoxDay,
    /// 体育の日, the second Monday of October until 2019.
    HealthAndSportsDay,
    /// スポーツの日, its name from 2020.
    SportsDay,
    CultureDay,
    LabourThanksgivingDay,
    /// 即位の日, 2019-05-01.
    EnthronementDay,
    /// 即位礼正殿の儀の行われる日, 2019-10-22.
    EnthronementCeremonyDay,
    /// 振替休日: the first day after a holiday on Sunday that is not itself a holiday.
    SubstituteHoliday,
    /// 国民の休日: a day between two public holidays.
    CitizensHoliday,
}

impl JapaneseHoliday {
    /// The holiday's name in Japanese.
    pub fn name_ja(self) -> &'static str {
        use JapaneseHoliday::*;
        match self {
            NewYearsDay => "元日",
            ComingOfAgeDay => "成人の日",
            NationalFoundationDay => "建国記念の日",
            EmperorsBirthday => "天皇誕生日",
            VernalEquinoxDay => "春分の日",
            ShowaDay => "昭和の日",
            ConstitutionMemorialDay => "憲法記念日",
            GreeneryDay => "みどりの日",
            ChildrensDay => "こどもの日",
            MarineDay => "海の日",
            MountainDay => "山の日",
            RespectForTheAgedDay => "敬老の日",
            AutumnalEquinoxDay => "秋分の日",
            HealthAndSportsDay => "体育の日",
            SportsDay => "スポーツの日",
            CultureDay => "文化の日",
            LabourThanksgivingDay => "勤労感謝の日",
            EnthronementDay => "即位の日",
            EnthronementCeremonyDay => "即位礼正殿の儀の行われる日",
            SubstituteHoliday => "振替休日",
            CitizensHoliday => "国民の休日",
        }
    }

    /// The holiday's name in English.
    pub fn name_en(self) -> &'static str {
        use JapaneseHoliday::*;
        match self {
            NewYearsDay => "New Year's Day",
            ComingOfAgeDay => "Coming of Age Day",
            NationalFoundationDay => "National Foundation Day",
            EmperorsBirthday => "Emperor's Birthday",
            VernalEquinoxDay => "Vernal Equinox Day",
            ShowaDay => "Showa Day",
            ConstitutionMemorialDay => "Constitution Memorial Day",
            GreeneryDay => "Greenery Day",
            ChildrensDay => "Children's Day",
            MarineDay => "Marine Day",
            MountainDay => "Mountain Day",
            RespectForTheAgedDay => "Respect for the Aged Day",
            AutumnalEquinoxDay => "Autumnal Equinox Day",
            HealthAndSportsDay => "Health and Sports Day",
            SportsDay => "Sports Day",
            CultureDay => "Culture Day",
            LabourThanksgivingDay => "Labour Thanksgiving Day",
            EnthronementDay => "Day of the Emperor's Enthronement",
            EnthronementCeremonyDay => "Enthronement Ceremony Day",
            SubstituteHoliday => "Substitute Holiday",
            CitizensHoliday => "Citizens' Holiday",
        }
    }
}

/// Every Japanese holiday of `year`, in date order; none outside [`JAPANESE_YEARS`].
pub fn japanese_holidays_in(year: i16) -> Vec<(Date, JapaneseHoliday)> {
    let mut out = Vec::new();
    if !JAPANESE_YEARS.contains(&year) {
        return out;
    }
    let mut day = Date::new(year, 1, 1).expect("January 1st of a supported year");
    while day.year() == year {
        if let Some(h) = japanese_holiday(day) {
            out.push((day, h));
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out
}

/// The Japanese holiday on `date`, if any; `None` outside [`JAPANESE_YEARS`].
pub fn japanese_holiday(date: Date) -> Option<JapaneseHoliday> {
    if !JAPANESE_YEARS.contains(&date.year()) {
        return None;
    }
    if let Some(h) = national(date) {
        return Some(h);
    }
    if is_substitute(date) {
        return Some(JapaneseHoliday::SubstituteHoliday);
    }
    let between = date.yesterday().ok().and_then(national).is_some()
        && date.tomorrow().ok().and_then(national).is_some();
    (between && date.weekday() != Weekday::Sunday).then_some(JapaneseHoliday::CitizensHoliday)
}

/// Whether `date` (not itself a national holiday) is a substitute holiday.
fn is_substitute(date: Date) -> bool {
    if date.year() < 2007 {
        // Until 2006 only the Monday after a Sunday holiday was a substitute.
        return date.weekday() == Weekday::Monday
            && date.yesterday().ok().is_some_and(|d| national(d).is_some());
    }
    // From 2007: the first non-holiday after a run of holidays that contains a Sunday.
    let mut day = date;
    while let Ok(prev) = day.yesterday() {
        if national(prev).is_none() {
            return false;
        }
        if prev.weekday() == Weekday::Sunday {
            return true;
        }
        day = prev;
    }
    false
}

/// The equinox day of March (`autumn` false) or September, by the formula valid 1980-2099:
/// floor(base + 0.242194 (y - 1980) - floor((y - 1980) / 4)).
fn equinox_day(year: i16, autumn: bool) -> i8 {
    let n = i64::from(year) - 1980;
    let base: i64 = if autumn { 23_248_800 } else { 20_843_100 };
    let day = (base + 242_194 * n).div_euclid(1_000_000) - n.div_euclid(4);
    // 19..=24 for every year the formula is used for.
    day as i8
}

fn nth_monday(year: i16, month: i8, nth: i8) -> Option<Date> {
    Date::new(year, month, 1)
        .ok()?
        .nth_weekday_of_month(nth, Weekday::Monday)
        .ok()
}

/// The holidays the Act names ("国民の祝日"), before substitutes and citizens' holidays.
fn national(date: Date) -> Option<JapaneseHoliday> {
    use JapaneseHoliday::*;
    let (y, m, d) = (date.year(), date.month(), date.day());
    let is_nth_monday = |month: i8, nth: i8| m == month && nth_monday(y, month, nth) == Some(date);
    let holiday = match (m, d) {
        (1, 1) => NewYearsDay,
        (2, 11) => NationalFoundationDay,
        (2, 23) if y >= 2020 => EmperorsBirthday,
        (3, _) if d == equinox_day(y, false) => VernalEquinoxDay,
        (4, 29) if y >= 2007 => ShowaDay,
        (4, 29) => GreeneryDay,
        (5, 1) if y == 2019 => EnthronementDay,
        (5, 3) => ConstitutionMemorialDay,
        (5, 4) if y >= 2007 => GreeneryDay,
        (5, 5) => ChildrensDay,
        (7, 20) if y < 2003 => MarineDay,
        (7, 23) if y == 2020 => MarineDay,
        (7, 22) if y == 2021 => MarineDay,
        (7, 24) if y == 2020 => SportsDay,
        (7, 23) if y == 2021 => SportsDay,
        (8, 10) if y == 2020 => MountainDay,
        (8, 8) if y == 2021 => MountainDay,
        (8, 11) if y >= 2016 && y != 2020 && y != 2021 => MountainDay,
        (9, 15) if y < 2003 => RespectForTheAgedDay,
        (9, _) if d == equinox_day(y, true) => AutumnalEquinoxDay,
        (10, 22) if y == 2019 => EnthronementCeremonyDay,
        (11, 3) => CultureDay,
        (11, 23) => LabourThanksgivingDay,
        (12, 23) if y <= 2018 => EmperorsBirthday,
        _ if is_nth_monday(1, 2) => ComingOfAgeDay,
        _ if y >= 2003 && y != 2020 && y != 2021 && is_nth_monday(7, 3) => MarineDay,
        _ if y >= 2003 && is_nth_monday(9, 3) => RespectForTheAgedDay,
        _ if y < 2020 && is_nth_monday(10, 2) => HealthAndSportsDay,
        _ if y > 2021 && is_nth_monday(10, 2) => SportsDay,
        _ => return None,
    };
    Some(holiday)
}

/// Why a date is a holiday.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Holiday {
    /// A Japanese public holiday.
    Japanese(JapaneseHoliday),
    /// A day of the company calendar, with its name.
    Company(String),
}

/// The days a restriction may skip: Japanese public holidays (optionally) and a company's
/// own days.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    japanese: bool,
    company: BTreeMap<Date, String>,
}

impl HolidayCalendar {
    /// A calendar with no holidays; add days with [`HolidayCalendar::with_company_day`].
    pub fn company_only() -> HolidayCalendar {
        HolidayCalendar::default()
    }

    /// A calendar of the Japanese public holidays.
    pub fn japanese() -> HolidayCalendar {
        HolidayCalendar {
            japanese: true,
            company: BTreeMap::new(),
        }
    }

    /// Adds a company day off (a year-end closure, a founding day); a later name for the
    /// same date replaces the earlier.
    pub fn with_company_day(mut self, date: Date, name: impl Into<String>) -> HolidayCalendar {
        self.company.insert(date, name.into());
        self
    }

    /// Why `date` is a holiday, if it is one. A company day is named before a public
    /// holiday on the same date.
    pub fn holiday(&self, date: Date) -> Option<Holiday> {
        if let Some(name) = self.company.get(&date) {
            return Some(Holiday::Company(name.clone()));
        }
        self.japanese
            .then(|| japanese_holiday(date))
            .flatten()
            .map(Holiday::Japanese)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use JapaneseHoliday::*;
    use jiff::civil::date;

    /// Every holiday of `year` in date order, as `MM-DD 名前` joined by `, `.
    fn check(year: i16, expect: &str) {
        let got: Vec<String> = japanese_holidays_in(year)
            .into_iter()
            .map(|(day, h)| format!("{:02}-{:02} {}", day.month(), day.day(), h.name_ja()))
            .collect();
        assert_eq!(got.join(", "), expect, "holidays of {year}");
    }

    #[test]
    fn no_year_outside_the_rules_is_guessed() {
        assert!(japanese_holidays_in(1999).is_empty());
        assert!(japanese_holidays_in(2100).is_empty());
        let last = japanese_holidays_in(2099);
        assert_eq!(last.first(), Some(&(date(2099, 1, 1), NewYearsDay)));
        assert_eq!(
            last.last(),
            Some(&(date(2099, 11, 23), LabourThanksgivingDay))
        );
    }

    #[test]
    fn year_2019_accession() {
        check(
            2019,
            "01-01 元日, 01-14 成人の日, 02-11 建国記念の日, 03-21 春分の日, 04-29 昭和の日, 04-30 国民の休日, 05-01 即位の日, 05-02 国民の休日, 05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 05-06 振替休日, 07-15 海の日, 08-11 山の日, 08-12 振替休日, 09-16 敬老の日, 09-23 秋分の日, 10-14 体育の日, 10-22 即位礼正殿の儀の行われる日, 11-03 文化の日, 11-04 振替休日, 11-23 勤労感謝の日",
        );
    }

    #[test]
    fn year_2020_olympics() {
        check(
            2020,
            "01-01 元日, 01-13 成人の日, 02-11 建国記念の日, 02-23 天皇誕生日, 02-24 振替休日, 03-20 春分の日, 04-29 昭和の日, 05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 05-06 振替休日, 07-23 海の日, 07-24 スポーツの日, 08-10 山の日, 09-21 敬老の日, 09-22 秋分の日, 11-03 文化の日, 11-23 勤労感謝の日",
        );
    }

    #[test]
    fn year_2021_olympics_moved_again() {
        check(
            2021,
            "01-01 元日, 01-11 成人の日, 02-11 建国記念の日, 02-23 天皇誕生日, 03-20 春分の日, 04-29 昭和の日, 05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 07-22 海の日, 07-23 スポーツの日, 08-08 山の日, 08-09 振替休日, 09-20 敬老の日, 09-23 秋分の日, 11-03 文化の日, 11-23 勤労感謝の日",
        );
    }

    #[test]
    fn year_2024() {
        check(
            2024,
            "01-01 元日, 01-08 成人の日, 02-11 建国記念の日, 02-12 振替休日, 02-23 天皇誕生日, 03-20 春分の日, 04-29 昭和の日, 05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 05-06 振替休日, 07-15 海の日, 08-11 山の日, 08-12 振替休日, 09-16 敬老の日, 09-22 秋分の日, 09-23 振替休日, 10-14 スポーツの日, 11-03 文化の日, 11-04 振替休日, 11-23 勤労感謝の日",
        );
    }

    #[test]
    fn year_2025() {
        check(
            2025,
            "01-01 元日, 01-13 成人の日, 02-11 建国記念の日, 02-23 天皇誕生日, 02-24 振替休日, 03-20 春分の日, 04-29 昭和の日, 05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 05-06 振替休日, 07-21 海の日, 08-11 山の日, 09-15 敬老の日, 09-23 秋分の日, 10-13 スポーツの日, 11-03 文化の日, 11-23 勤労感謝の日, 11-24 振替休日",
        );
    }

    #[test]
    fn year_2026_silver_week() {
        check(
            2026,
            "01-01 元日, 01-12 成人の日, 02-11 建国記念の日, 02-23 天皇誕生日, 03-20 春分の日, 04-29 昭和の日, 05-03 憲法記念日, 05-04 みどりの日, 05-05 こどもの日, 05-06 振替休日, 07-20 海の日, 08-11 山の日, 09-21 敬老の日, 09-22 国民の休日, 09-23 秋分の日, 10-12 スポーツの日, 11-03 文化の日, 11-23 勤労感謝の日",
        );
    }

    #[test]
    fn rules_before_2007() {
        // 2006: Greenery Day on 4/29, 5/4 a citizens' holiday, 12/23 the Emperor's birthday.
        assert_eq!(japanese_holiday(date(2006, 4, 29)), Some(GreeneryDay));
        assert_eq!(japanese_holiday(date(2006, 5, 4)), Some(CitizensHoliday));
        assert_eq!(japanese_holiday(date(2006, 12, 23)), Some(EmperorsBirthday));
        // 2002: Marine Day and Respect for the Aged Day still on fixed dates.
        assert_eq!(japanese_holiday(date(2002, 7, 20)), Some(MarineDay));
        assert_eq!(japanese_holiday(date(2002, 9, 16)), Some(SubstituteHoliday));
        // Outside the computed years nothing is claimed.
        assert_eq!(japanese_holiday(date(1999, 1, 1)), None);
        assert_eq!(japanese_holiday(date(2100, 1, 1)), None);
    }

    #[test]
    fn company_days_and_names() {
        let cal = HolidayCalendar::japanese().with_company_day(date(2026, 12, 29), "年末休暇");
        assert_eq!(
            cal.holiday(date(2026, 12, 29)),
            Some(Holiday::Company("年末休暇".into()))
        );
        assert_eq!(
            cal.holiday(date(2026, 1, 1)),
            Some(Holiday::Japanese(NewYearsDay))
        );
        assert_eq!(cal.holiday(date(2026, 12, 28)), None);
        assert_eq!(
            HolidayCalendar::company_only().holiday(date(2026, 1, 1)),
            None
        );
        assert_eq!(SubstituteHoliday.name_ja(), "振替休日");
        assert_eq!(CitizensHoliday.name_en(), "Citizens' Holiday");
    }
}
