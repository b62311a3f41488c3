//! iCalendar (RFC 5545) as hinomi reads and writes it: the all-day events of a company's
//! holiday calendar, imported as days off; and each person's on-call shifts as a feed their
//! calendar application subscribes to.
//!
//! A feed's URL is its credential: `/ical/{user_id}/{signature}.ics`, the signature an
//! HMAC-SHA256 of the user id and the feed's version under a key the server made at first
//! start and keeps in the database (so every instance agrees). Rotating the feed moves its
//! version on, and every URL made before stops working. A wrong signature, an unknown or
//! disabled user all answer the same 404.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hinomi_core::oncall::{CompanyDays, Source};
use hinomi_store::{OverrideKind, StoredSchedule};
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use jiff::civil::Date;
use sha2::Sha256;

use crate::AppState;
use crate::console::{Catalog, Locale};
use crate::error::ApiError;
use crate::schedules::People;

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

/// The name of the key in the store's server secrets.
pub const KEY_NAME: &str = "ical_feed_key";

/// What signs the feed URLs, and the address they start with.
pub struct Feeds {
    key: Vec<u8>,
    base_url: String,
}

// The key signs every feed URL: never print it.
impl std::fmt::Debug for Feeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feeds")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Feeds {
    /// Feeds signed with `key` (the stored secret), at `external_url`.
    pub fn new(key: &str, external_url: &str) -> Feeds {
        Feeds {
            key: key.as_bytes().to_vec(),
            base_url: external_url.trim_end_matches('/').to_owned(),
        }
    }

    fn mac(&self, user_id: &str, version: i64) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(format!("hinomi-ical\n{user_id}\n{version}").as_bytes());
        mac
    }

    /// The feed URL of `user_id` at `version`.
    pub fn url(&self, user_id: &str, version: i64) -> String {
        let signature = hex::encode(self.mac(user_id, version).finalize().into_bytes());
        format!("{}/ical/{user_id}/{signature}.ics", self.base_url)
    }

    /// Whether `signature` (hex) signs `user_id` at `version`; compared in constant time.
    pub fn verify(&self, user_id: &str, version: i64, signature: &str) -> bool {
        hex::decode(signature)
            .is_ok_and(|sig| self.mac(user_id, version).verify_slice(&sig).is_ok())
    }
}

/// A TEXT value with `\`, `;`, `,` and line breaks escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | ';' | ',' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded so no line exceeds 75 octets (a continuation starts
/// with a space), ended by CRLF. Folds fall between characters, never inside one.
fn push_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// An instant in UTC, `20260915T030000Z`.
fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// What a feed holds: someone's stretches on call in `[from, to)` across `schedules`.
struct FeedContent<'a> {
    user_id: &'a str,
    username: &'a str,
    locale: Locale,
    schedules: &'a [StoredSchedule],
    people: &'a People,
    from: Timestamp,
    to: Timestamp,
    /// When the feed is made (each event's DTSTAMP).
    now: Timestamp,
}

fn fill(locale: Locale, key: &str, name: &str, value: &str) -> String {
    locale.t(key).replace(&format!("{{{name}}}"), value)
}

/// The feed as an RFC 5545 calendar: one event per stretch of the user on call, in start
/// order, its UID stable across fetches (schedule, source and start).
fn render(feed: &FeedContent<'_>) -> String {
    let locale = feed.locale;
    let mut events: Vec<(Timestamp, String)> = Vec::new();
    for s in feed.schedules {
        for shift in s.schedule.shifts(feed.from, feed.to) {
            if shift.user != feed.user_id || shift.end <= feed.now {
                continue;
            }
            let (source, detail) = match shift.source {
                Source::Layer { layer, shift } => {
                    let name = s
                        .record
                        .definition
                        .layers
                        .get(layer)
                        .map_or("", |l| &l.name);
                    (
                        format!("layer-{layer}-{shift}"),
                        fill(locale, "ical.layer", "layer", name),
                    )
                }
                Source::Override(i) => {
                    let o = &s.overrides[i];
                    let what = match &o.kind {
                        OverrideKind::Override => locale.t("ical.override").to_owned(),
                        OverrideKind::Swap { from } => {
                            fill(locale, "ical.swap", "from", feed.people.name(from))
                        }
                    };
                    let note = if o.note.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", o.note)
                    };
                    (format!("override-{}", o.id), format!("{what}{note}"))
                }
            };
            let mut e = String::new();
            push_line(&mut e, "BEGIN:VEVENT");
            push_line(
                &mut e,
                &format!(
                    "UID:{}-{source}-{}@hinomi",
                    s.record.id,
                    shift.start.as_millisecond()
                ),
            );
            push_line(&mut e, &format!("DTSTAMP:{}", utc(feed.now)));
            push_line(&mut e, &format!("DTSTART:{}", utc(shift.start)));
            push_line(&mut e, &format!("DTEND:{}", utc(shift.end)));
            let summary = fill(locale, "ical.summary", "schedule", &s.record.name);
            push_line(&mut e, &format!("SUMMARY:{}", escape(&summary)));
            push_line(&mut e, &format!("DESCRIPTION:{}", escape(&detail)));
            push_line(&mut e, "TRANSP:OPAQUE");
            push_line(&mut e, "END:VEVENT");
            events.push((shift.start, e));
        }
    }
    events.sort_by_key(|(start, _)| *start);
    let mut out = String::new();
    push_line(&mut out, "BEGIN:VCALENDAR");
    push_line(&mut out, "VERSION:2.0");
    push_line(&mut out, "PRODID:-//hinomi//on-call//EN");
    push_line(&mut out, "CALSCALE:GREGORIAN");
    push_line(&mut out, "METHOD:PUBLISH");
    let name = fill(locale, "ical.calendar", "user", feed.username);
    push_line(&mut out, &format!("X-WR-CALNAME:{}", escape(&name)));
    for (_, e) in events {
        out.push_str(&e);
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

/// How far ahead a feed looks.
pub const FEED_DAYS: i64 = 60;

/// How far back a feed computes, so a stretch that began within it keeps its start (and
/// its UID) from one fetch to the next; only what has not ended is listed.
const LOOKBACK_DAYS: i64 = 31;

/// `GET /ical/{user_id}/{signature}.ics`: the user's shifts across every schedule for the
/// next 60 days. Public: the signature is the credential.
pub async fn feed(
    State(state): State<AppState>,
    Path((user_id, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("calendar feed");
    let signature = file.strip_suffix(".ics").ok_or_else(not_found)?;
    let store = state.engine.store();
    let user = store
        .user_by_id(&user_id)
        .await?
        .filter(|u| u.disabled_at.is_none())
        .ok_or_else(not_found)?;
    let version = store.ical_version(&user.id).await?;
    if !state.feeds.verify(&user.id, version, signature) {
        return Err(not_found());
    }
    let now_ms = state.engine.now();
    let day = 86_400_000;
    let from = now_ms.div_euclid(day) * day - LOOKBACK_DAYS * day;
    let at = |ms: i64| Timestamp::from_millisecond(ms).map_err(ApiError::internal);
    let schedules = store.schedules().await?;
    let people = People::load(&state).await?;
    let body = render(&FeedContent {
        user_id: &user.id,
        username: &user.username,
        locale: Locale::negotiate(user.locale.as_deref(), None),
        schedules: &schedules,
        people: &people,
        from: at(from)?,
        to: at(now_ms + FEED_DAYS * day)?,
        now: at(now_ms)?,
    });
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date as d;

    #[test]
    fn lines_fold_at_75_octets_between_characters() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "当番".repeat(30));
        push_line(&mut out, &long);
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        assert_eq!(out.replace("\r\n ", ""), format!("{long}\r\n"));
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn a_signature_holds_for_its_user_and_version_only() {
        let feeds = Feeds::new("secret", "https://hinomi.example/");
        let url = feeds.url("u1", 3);
        let sig = url
            .strip_prefix("https://hinomi.example/ical/u1/")
            .and_then(|s| s.strip_suffix(".ics"))
            .unwrap();
        assert!(feeds.verify("u1", 3, sig));
        assert!(!feeds.verify("u1", 4, sig));
        assert!(!feeds.verify("u2", 3, sig));
        assert!(!Feeds::new("other", "x").verify("u1", 3, sig));
        assert!(!feeds.verify("u1", 3, "zz"));
    }

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
