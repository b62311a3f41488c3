//! Action items: the follow-up work a postmortem commits to. Each has a category (the
//! seed's system, operations, process and communication improvements), a horizon (short or
//! long term), an owner, a due date, a status and a link to a ticket elsewhere. A due date
//! is a calendar date: what counts as overdue depends on the zone it is read in, which is
//! the chaser's business, not the record's: [`Chase`] (`[incidents.action_items]`) reads
//! them in one zone, an item being overdue from the midnight that ends its due date, and
//! says how long after its owner is reminded the incident manager hears of it. Items can be
//! taken from a postmortem section's bullet lines ([`items_from_section`]).

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::{FieldError, MAX_TITLE_CHARS, one_of, text};

/// What an item improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    System,
    Operations,
    Process,
    Communication,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::System,
        Category::Operations,
        Category::Process,
        Category::Communication,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::System => "system",
            Category::Operations => "operations",
            Category::Process => "process",
            Category::Communication => "communication",
        }
    }

    pub fn parse(value: &str) -> Result<Category, FieldError> {
        one_of(
            &Category::ALL,
            Category::as_str,
            "category",
            "category",
            value,
        )
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When an item is meant to be done: soon, or as part of a longer plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Horizon {
    Short,
    Long,
}

impl Horizon {
    pub const ALL: [Horizon; 2] = [Horizon::Short, Horizon::Long];

    pub fn as_str(self) -> &'static str {
        match self {
            Horizon::Short => "short",
            Horizon::Long => "long",
        }
    }

    pub fn parse(value: &str) -> Result<Horizon, FieldError> {
        one_of(&Horizon::ALL, Horizon::as_str, "horizon", "horizon", value)
    }
}

impl fmt::Display for Horizon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an item stands. Open and in progress count as open; any status may follow any
/// other (a done item found wanting is opened again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemStatus {
    Open,
    InProgress,
    Done,
    Cancelled,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 4] = [
        ItemStatus::Open,
        ItemStatus::InProgress,
        ItemStatus::Done,
        ItemStatus::Cancelled,
    ];

    /// The statuses of work still to do.
    pub const OPEN: [ItemStatus; 2] = [ItemStatus::Open, ItemStatus::InProgress];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Open => "open",
            ItemStatus::InProgress => "in_progress",
            ItemStatus::Done => "done",
            ItemStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Result<ItemStatus, FieldError> {
        one_of(
            &ItemStatus::ALL,
            ItemStatus::as_str,
            "status",
            "action item status",
            value,
        )
    }

    pub fn is_open(self) -> bool {
        ItemStatus::OPEN.contains(&self)
    }
}

impl fmt::Display for ItemStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An item's title: one line of 1 to 200 characters.
pub fn parse_title(value: &str) -> Result<String, FieldError> {
    let t = text("title", value, MAX_TITLE_CHARS, false)?;
    if t.contains(['\n', '\r']) {
        return Err(FieldError::new("title", "must be one line"));
    }
    Ok(t)
}

/// A due date written `2024-12-20`.
pub fn parse_due(value: &str) -> Result<Date, FieldError> {
    value
        .trim()
        .parse::<Date>()
        .map_err(|_| FieldError::new("due", format!("{value:?} is not a date such as 2024-12-20")))
}

/// Longest wait before the incident manager hears of an overdue item: 90 days.
pub const MAX_LEAD_AFTER_DAYS: u32 = 90;

/// How overdue items are chased, as the settings write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChaseDef {
    /// The IANA zone due dates are read in.
    pub time_zone: String,
    /// Days after an overdue item reminded its owner that the incident manager is told.
    pub tell_lead_after_days: u32,
}

impl Default for ChaseDef {
    fn default() -> Self {
        ChaseDef {
            time_zone: "Asia/Tokyo".into(),
            tell_lead_after_days: 3,
        }
    }
}

impl ChaseDef {
    /// Checks it; faults name their path under `incidents.action_items`.
    pub fn build(&self) -> Result<Chase, FieldError> {
        let zone = TimeZone::get(self.time_zone.trim()).map_err(|_| {
            FieldError::new(
                "incidents.action_items.time_zone",
                format!("{:?} is not an IANA time zone", self.time_zone),
            )
        })?;
        if self.tell_lead_after_days == 0 || self.tell_lead_after_days > MAX_LEAD_AFTER_DAYS {
            return Err(FieldError::new(
                "incidents.action_items.tell_lead_after_days",
                format!("must be 1 to {MAX_LEAD_AFTER_DAYS}"),
            ));
        }
        Ok(Chase {
            zone,
            tell_lead_after_days: self.tell_lead_after_days,
        })
    }
}

/// How overdue items are chased, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chase {
    pub zone: TimeZone,
    pub tell_lead_after_days: u32,
}

impl Chase {
    /// When an item due on `due` is overdue: the midnight that ends that day in the zone
    /// (UTC epoch milliseconds).
    pub fn overdue_at(&self, due: Date) -> i64 {
        due.tomorrow()
            .ok()
            .and_then(|d| d.to_zoned(self.zone.clone()).ok())
            .map_or(i64::MAX, |z| z.timestamp().as_millisecond())
    }

    /// When the incident manager is told of an item whose owner was reminded at `at`.
    pub fn lead_at(&self, at: i64) -> i64 {
        at + i64::from(self.tell_lead_after_days) * 86_400_000
    }
}

/// Longest ticket link, in characters.
const MAX_URL_CHARS: usize = 2_000;

/// A link to the ticket in another tracker: an http(s) URL without spaces.
pub fn parse_ticket_url(value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let scheme_ok = ["http://", "https://"]
        .iter()
        .any(|s| v.len() > s.len() && v[..s.len()].eq_ignore_ascii_case(s));
    if !scheme_ok || v.chars().any(char::is_whitespace) || v.chars().count() > MAX_URL_CHARS {
        return Err(FieldError::new(
            "ticket_url",
            format!("{value:?} is not an http(s) link"),
        ));
    }
    Ok(v.to_owned())
}

/// The items a postmortem section proposes: its bullet and numbered lines (`- x`, `* x`,
/// `1. x`), trimmed to one title each, in order and without repeats. Headings, prose and
/// emphasised hints (`_..._`) are not items.
pub fn items_from_section(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in body.lines() {
        let line = line.trim();
        let item = if let Some(rest) = line.strip_prefix("- ").or(line.strip_prefix("* ")) {
            rest
        } else {
            let digits = line.chars().take_while(char::is_ascii_digit).count();
            match line[digits..].strip_prefix(". ") {
                Some(rest) if digits > 0 => rest,
                _ => continue,
            }
        };
        let item = item.trim();
        if item.is_empty() || (item.starts_with('_') && item.ends_with('_')) {
            continue;
        }
        let title: String = item.chars().take(MAX_TITLE_CHARS).collect();
        if !out.contains(&title) {
            out.push(title);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_name_their_field() {
        assert_eq!(Category::parse("Process").unwrap(), Category::Process);
        assert_eq!(Category::parse("people").unwrap_err().field, "category");
        assert_eq!(Horizon::parse("long").unwrap(), Horizon::Long);
        assert_eq!(Horizon::parse("medium").unwrap_err().field, "horizon");
        assert_eq!(
            ItemStatus::parse("in_progress").unwrap(),
            ItemStatus::InProgress
        );
        assert_eq!(ItemStatus::parse("closed").unwrap_err().field, "status");
        assert!(ItemStatus::InProgress.is_open());
        assert!(!ItemStatus::Cancelled.is_open());
    }

    #[test]
    fn titles_dates_and_links_are_checked() {
        assert_eq!(parse_title(" 監視強化 ").unwrap(), "監視強化");
        assert_eq!(parse_title("").unwrap_err().field, "title");
        assert_eq!(parse_title("a\nb").unwrap_err().field, "title");
        assert_eq!(parse_due("2024-12-20").unwrap().to_string(), "2024-12-20");
        assert_eq!(parse_due("20.12.2024").unwrap_err().field, "due");
        assert_eq!(parse_due("2024-02-30").unwrap_err().field, "due");
        assert_eq!(
            parse_ticket_url(" https://jira.example.com/browse/OPS-1 ").unwrap(),
            "https://jira.example.com/browse/OPS-1"
        );
        for bad in ["ftp://x", "https://", "javascript:alert(1)", "https://a b"] {
            assert_eq!(
                parse_ticket_url(bad).unwrap_err().field,
                "ticket_url",
                "{bad}"
            );
        }
    }

    #[test]
    fn items_are_overdue_from_the_midnight_ending_their_due_date_in_the_zone() {
        let chase = ChaseDef::default().build().unwrap();
        // 2024-12-20 ends at 2024-12-21 00:00 in Tokyo, 2024-12-20 15:00 UTC.
        let at = chase.overdue_at(parse_due("2024-12-20").unwrap());
        assert_eq!(crate::time::format_millis(at), "2024-12-20T15:00:00.000Z");
        assert_eq!(chase.lead_at(at) - at, 3 * 86_400_000);
        let bad = ChaseDef {
            time_zone: "Mars/Olympus".into(),
            ..ChaseDef::default()
        };
        assert_eq!(
            bad.build().unwrap_err().field,
            "incidents.action_items.time_zone"
        );
        let bad = ChaseDef {
            tell_lead_after_days: 0,
            ..ChaseDef::default()
        };
        assert_eq!(
            bad.build().unwrap_err().field,
            "incidents.action_items.tell_lead_after_days"
        );
    }

    #[test]
    fn a_section_proposes_its_bullet_lines() {
        let body = "### インフラ強化\n\n- キャパシティ増強\n* 冗長構成導入\n1. 監視強化\n\
                    12. 自動復旧機能\n- 監視強化\n-  \n_To be written._\n- _To be written._\nprose";
        assert_eq!(
            items_from_section(body),
            vec![
                "キャパシティ増強",
                "冗長構成導入",
                "監視強化",
                "自動復旧機能"
            ]
        );
    }
}
