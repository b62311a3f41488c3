//! iCalendar (RFC 5545) as hinomi reads it: the all-day events of a company's holiday
//! calendar, imported as days off.

use hinomi_core::oncall::CompanyDays;
use jiff::civil::Date;

/// The content lines of `text`, unfolded (a line starting with a space or a tab continues
/// the one before), each with the number of the physical line it began on.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ => lines.push((n + 1, raw.to_owned())),
        }
    }
    lines
}

/// A property's name, parameters (upper-cased) and value: `DTSTART;VALUE=DATE:20260101`.
fn property(line: &str) -> Option<(String, Vec<String>, &str)> {
    let (head, value) = line.split_once(':')?;
    let mut parts = head.split(';');
    let name = parts.next()?.trim().to_ascii_uppercase();
    let params = parts.map(|p| p.trim().to_ascii_uppercase()).collect();
    Some((name, params, value))
}

/// A TEXT value with its escapes undone (`\,` `\;` `\\` `\n`).
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push(' '),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// A DATE value, `YYYYMMDD`.
fn date(value: &str) -> Option<Date> {
    let v = value.trim();
    if v.len() != 8 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Date::new(
        v[..4].parse().ok()?,
        v[4..6].parse().ok()?,
        v[6..].parse().ok()?,
    )
    .ok()
}

/// A VEVENT being read: the line it began on and what it said so far.
#[derive(Default)]
struct Event {
    line: usize,
    start: Option<Date>,
    end: Option<Date>,
    summary: Option<String>,
}

/// The days of the all-day events (`DTSTART;VALUE=DATE`) in `text`, named by their
/// SUMMARY; an event spanning several days (`DTEND` is exclusive) gives each of them. A
/// timed or recurring event is refused, naming its line, as is an event without a name.
pub fn all_day_events(text: &str, max_days: usize) -> Result<CompanyDays, String> {
    let mut days = CompanyDays::new();
    let mut event: Option<Event> = None;
    for (n, line) in unfold(text) {
        let Some((name, params, value)) = property(&line) else {
            continue;
        };
        let at = |what: &str| format!("line {n}: {what}");
        match (name.as_str(), event.as_mut()) {
            ("BEGIN", None) if value.eq_ignore_ascii_case("VEVENT") => {
                event = Some(Event {
                    line: n,
                    ..Event::default()
                });
            }
            ("END", Some(_)) if value.eq_ignore_ascii_case("VEVENT") => {
                let Some(Event {
                    line: begin,
                    start,
                    end,
                    summary,
                }) = event.take()
                else {
                    continue;
                };
                let start =
                    start.ok_or_else(|| format!("line {begin}: an event without DTSTART"))?;
                let summary = summary
                    .filter(|s| !s.trim().is_empty())
                    .ok_or_else(|| format!("line {begin}: an event without a SUMMARY"))?;
                let end = end.unwrap_or_else(|| start.tomorrow().unwrap_or(start));
                let mut day = start;
                while day < end {
                    days.insert(day, summary.trim().chars().take(100).collect());
                    if days.len() > max_days {
                        return Err(format!("more than {max_days} days"));
                    }
                    day = match day.tomorrow() {
                        Ok(d) => d,
                        Err(_) => break,
                    };
                }
            }
            ("DTSTART" | "DTEND", Some(ev)) => {
                let is_date = params.iter().any(|p| p == "VALUE=DATE") || value.trim().len() == 8;
                let d = is_date.then(|| date(value)).flatten().ok_or_else(|| {
                    at("only all-day events are imported (DTSTART;VALUE=DATE:YYYYMMDD)")
                })?;
                if name == "DTSTART" {
                    ev.start = Some(d);
                } else {
                    ev.end = Some(d);
                }
            }
            ("SUMMARY", Some(ev)) => ev.summary = Some(unescape(value)),
            ("RRULE" | "RDATE", Some(_)) => {
                return Err(at("recurring events are not imported; list each date"));
            }
            _ => {}
        }
    }
    if event.is_some() {
        return Err("an event has no END:VEVENT".to_owned());
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date as d;

    #[test]
    fn all_day_events_become_days_off() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\n\
                    DTSTART;VALUE=DATE:20261229\r\nDTEND;VALUE=DATE:20270101\r\n\
                    SUMMARY:年末年始\r\n  休暇\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n\
                    DTSTART;VALUE=DATE:20260401\r\nSUMMARY:Founding day\\, company\r\n\
                    END:VEVENT\r\nEND:VCALENDAR\r\n";
        let days = all_day_events(text, 100).unwrap();
        assert_eq!(
            days.into_iter().collect::<Vec<_>>(),
            vec![
                (d(2026, 4, 1), "Founding day, company".to_owned()),
                (d(2026, 12, 29), "年末年始 休暇".to_owned()),
                (d(2026, 12, 30), "年末年始 休暇".to_owned()),
                (d(2026, 12, 31), "年末年始 休暇".to_owned()),
            ]
        );
    }

    #[test]
    fn timed_recurring_and_unnamed_events_are_refused_by_line() {
        let timed = "BEGIN:VEVENT\nDTSTART:20260401T090000Z\nSUMMARY:x\nEND:VEVENT\n";
        assert!(
            all_day_events(timed, 100)
                .unwrap_err()
                .starts_with("line 2:")
        );
        let yearly = "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260401\nRRULE:FREQ=YEARLY\nEND:VEVENT";
        assert!(
            all_day_events(yearly, 100)
                .unwrap_err()
                .starts_with("line 3:")
        );
        let unnamed = "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260401\nEND:VEVENT";
        assert!(
            all_day_events(unnamed, 100)
                .unwrap_err()
                .starts_with("line 1:")
        );
        let open = "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260401\nSUMMARY:x";
        assert!(all_day_events(open, 100).is_err());
        let many = "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nDTEND;VALUE=DATE:20270101\nSUMMARY:x\nEND:VEVENT";
        assert!(
            all_day_events(many, 100)
                .unwrap_err()
                .contains("more than 100")
        );
    }
}
