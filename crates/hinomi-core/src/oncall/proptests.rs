//! Property tests of schedules over zones with unusual offset changes and over many years.

use jiff::civil::{Date, Time, Weekday, time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use super::*;

const ZONES: [&str; 5] = [
    "Asia/Tokyo",
    "America/New_York",
    "Europe/London",
    // Half-hour daylight saving.
    "Australia/Lord_Howe",
    // Skipped 2011-12-30 entirely.
    "Pacific/Apia",
];

/// A zone, an interval `[from, to)` and the pieces to build schedules from.
#[derive(Clone, Debug)]
struct Case {
    zone: &'static str,
    from: Timestamp,
    to: Timestamp,
    handoff: Time,
    participants: Vec<String>,
    length: ShiftLength,
    /// The rotation starts this long before `from`.
    lead: SignedDuration,
}

fn length() -> impl Strategy<Value = ShiftLength> {
    prop_oneof![
        (1u32..13).prop_map(ShiftLength::Hours),
        (1u32..4).prop_map(ShiftLength::Days),
        (1u32..3).prop_map(ShiftLength::Weeks),
        (30i64..3_000).prop_map(|m| ShiftLength::Custom(SignedDuration::from_mins(m))),
    ]
}

/// Local minutes of the day, biased towards the small hours where offsets change.
fn minute_of_day() -> impl Strategy<Value = Time> {
    prop_oneof![0i32..240, 0i32..1440].prop_map(|m| time((m / 60) as i8, (m % 60) as i8, 0, 0))
}

prop_compose! {
    fn case(length: BoxedStrategy<ShiftLength>)(
        zone in proptest::sample::select(&ZONES[..]),
        // Apia's skipped day is at the end of 2011; other years anywhere.
        (year, day) in prop_oneof![(Just(2011i16), 330i32..364), (2000i16..2031, 0i32..365)],
        start_minute in 0i64..1440,
        span_hours in 1i64..(24 * 45),
        lead_hours in 0i64..(24 * 60),
        handoff in minute_of_day(),
        n in 1usize..5,
        length in length,
    ) -> Case {
        let tz = TimeZone::get(zone).unwrap();
        let date = Date::new(year, 1, 1).unwrap()
            .checked_add(jiff::Span::new().days(day)).unwrap();
        let from = resolve(&tz, date, Time::midnight()).unwrap()
            .checked_add(SignedDuration::from_mins(start_minute)).unwrap();
        let to = from.checked_add(SignedDuration::from_hours(span_hours)).unwrap();
        Case {
            zone,
            from,
            to,
            handoff,
            participants: (0..n).map(|i| format!("u{i}")).collect(),
            length,
            lead: SignedDuration::from_hours(lead_hours),
        }
    }
}

impl Case {
    fn rotation(&self) -> Rotation {
        let start = self.from.checked_sub(self.lead).unwrap();
        Rotation::new(self.participants.clone(), self.length, start, self.handoff).unwrap()
    }

    fn layer(&self, restriction: Option<Restriction>) -> Layer {
        Layer {
            name: "layer".into(),
            rotation: self.rotation(),
            restriction,
        }
    }
}

fn restriction() -> impl Strategy<Value = Restriction> {
    (
        proptest::collection::vec(0i8..7, 1..5),
        minute_of_day(),
        minute_of_day(),
        any::<bool>(),
    )
        .prop_map(|(days, start, end, holidays)| {
            let days: Vec<Weekday> = days
                .into_iter()
                .map(Weekday::from_monday_zero_offset)
                .map(Result::unwrap)
                .collect();
            let window = Window::new(&days, start, end).unwrap();
            Restriction::new(vec![window], holidays.then(HolidayCalendar::japanese)).unwrap()
        })
}

/// Overrides as (offset from `from` in minutes, length in minutes).
fn overrides() -> impl Strategy<Value = Vec<(i64, i64)>> {
    proptest::collection::vec((-600i64..(24 * 60 * 45), 1i64..(24 * 60 * 3)), 0..4)
}

fn build_overrides(case: &Case, raw: &[(i64, i64)]) -> Vec<Override> {
    raw.iter()
        .enumerate()
        .map(|(i, (offset, len))| {
            let start = case
                .from
                .checked_add(SignedDuration::from_mins(*offset))
                .unwrap();
            let end = start.checked_add(SignedDuration::from_mins(*len)).unwrap();
            Override::new(format!("o{i}"), start, end).unwrap()
        })
        .collect()
}

/// Shifts are ordered, non-empty, do not overlap, stay inside `[from, to)`, and two
/// adjacent shifts never share a source.
fn check_well_formed(
    shifts: &[Shift],
    from: Timestamp,
    to: Timestamp,
) -> Result<(), TestCaseError> {
    for s in shifts {
        prop_assert!(from <= s.start && s.start < s.end && s.end <= to, "{s:?}");
    }
    for w in shifts.windows(2) {
        prop_assert!(w[0].end <= w[1].start, "overlap: {w:?}");
        prop_assert!(
            w[0].end < w[1].start || w[0].source != w[1].source,
            "unmerged: {w:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// Under a layer without restrictions that started before `from`, the timeline covers
    /// `[from, to)` without gaps, whatever restricted layers and overrides lie above it.
    #[test]
    fn unrestricted_layer_leaves_no_gaps(
        case in case(length().boxed()),
        upper in proptest::option::of(restriction()),
        raw in overrides(),
    ) {
        let mut layers = vec![case.layer(None)];
        if let Some(r) = upper {
            layers.push(case.layer(Some(r)));
        }
        let schedule = Schedule::new(case.zone, layers, build_overrides(&case, &raw)).unwrap();
        let shifts = schedule.shifts(case.from, case.to);
        check_well_formed(&shifts, case.from, case.to)?;
        prop_assert_eq!(shifts.first().map(|s| s.start), Some(case.from));
        prop_assert_eq!(shifts.last().map(|s| s.end), Some(case.to));
        for w in shifts.windows(2) {
            prop_assert_eq!(w[0].end, w[1].start, "gap: {:?}", w);
        }
    }

    /// Every handoff of a daily rotation is the handoff time on its own date, resolved by
    /// the documented rule.
    #[test]
    fn daily_handoffs_fall_on_the_wall_clock_time(
        case in case(Just(ShiftLength::Days(1)).boxed()),
    ) {
        let schedule = Schedule::new(case.zone, vec![case.layer(None)], vec![]).unwrap();
        let tz = schedule.zone().clone();
        let shifts = schedule.shifts(case.from, case.to);
        for s in &shifts {
            for edge in [s.start, s.end] {
                if edge == case.from || edge == case.to {
                    continue;
                }
                let date = tz.to_datetime(edge).date();
                prop_assert_eq!(resolve(&tz, date, case.handoff), Some(edge));
            }
        }
        // Consecutive handoffs are one calendar day apart, except across a skipped day.
        for w in shifts.windows(2) {
            let (a, b) = (tz.to_datetime(w[0].start).date(), tz.to_datetime(w[1].start).date());
            if w[0].start != case.from {
                let days = a.until(b).unwrap().get_days();
                prop_assert!(days == 1 || (days == 2 && case.zone == "Pacific/Apia"), "{:?}", w);
            }
        }
    }

    /// `on_call_at` and `shifts` agree at every instant, for schedules with gaps too.
    #[test]
    fn on_call_at_agrees_with_shifts(
        case in case(length().boxed()),
        lower in proptest::option::of(restriction()),
        upper in restriction(),
        raw in overrides(),
        probes in proptest::collection::vec(0.0f64..1.0, 1..16),
    ) {
        let layers = vec![case.layer(lower), case.layer(Some(upper))];
        let schedule = Schedule::new(case.zone, layers, build_overrides(&case, &raw)).unwrap();
        let shifts = schedule.shifts(case.from, case.to);
        check_well_formed(&shifts, case.from, case.to)?;
        let span = case.to.as_nanosecond() - case.from.as_nanosecond();
        let mut instants: Vec<Timestamp> = probes
            .iter()
            .map(|p| Timestamp::from_nanosecond(case.from.as_nanosecond() + (span as f64 * p) as i128).unwrap())
            .collect();
        // Edges are where mistakes hide.
        instants.extend(shifts.iter().flat_map(|s| [s.start, s.end]).filter(|t| *t < case.to));
        for t in instants {
            let from_timeline = shifts
                .iter()
                .find(|s| s.start <= t && t < s.end)
                .map(|s| (s.user.clone(), s.source));
            let answer = schedule.on_call_at(t);
            if let Some(a) = &answer {
                // The explanation names exactly the layers above the answer, top first.
                let above = match a.reason.source() {
                    Source::Override(_) => Vec::new(),
                    Source::Layer { layer, .. } => (layer + 1..schedule.layers().len()).rev().collect(),
                };
                let passed: Vec<usize> = a.passed_over.iter().map(|p| p.layer).collect();
                prop_assert_eq!(passed, above, "at {}", t);
            }
            let answer = answer.map(|a| (a.user, a.reason.source()));
            prop_assert_eq!(from_timeline, answer, "at {}", t);
        }
    }
}
