//! Personal notification rules ("email at once, voice after 3 minutes") turned into the
//! messages one page sends a person: which contact method, and when; and which of those
//! methods hear of the person's shift starting and ending.

use serde::{Deserialize, Serialize};

use crate::notice::ContactKind;

/// Most rules one person may have.
pub const MAX_RULES: usize = 20;
/// Longest delay a rule may have (minutes).
pub const MAX_RULE_DELAY_MINUTES: u32 = 24 * 60;

/// One notification rule as the planner needs it: the contact method it uses (by id),
/// whether that method was verified, and the delay after the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    pub contact_method: String,
    pub delay_minutes: u32,
    /// Unverified methods are never paged: a mistyped number would wake a stranger.
    pub verified: bool,
}

/// One message a page sends a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedNotice {
    /// The rule's position among the person's rules.
    pub rule: usize,
    pub contact_method: String,
    /// When it should go (UTC epoch milliseconds).
    pub due_at: i64,
}

/// Why no rule reaches a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unreachable {
    /// The person has no notification rules.
    NoRules,
    /// Every rule uses a contact method that was never verified.
    Unverified,
}

/// The messages `rules` send for a page at `at`, earliest first: one per rule whose contact
/// method is verified, due `delay_minutes` after `at`; the same method at the same delay
/// twice is sent once.
pub fn plan_notifications(rules: &[RuleRef], at: i64) -> Result<Vec<PlannedNotice>, Unreachable> {
    if rules.is_empty() {
        return Err(Unreachable::NoRules);
    }
    let mut out: Vec<PlannedNotice> = Vec::new();
    for (i, rule) in rules.iter().enumerate().filter(|(_, r)| r.verified) {
        let due_at = at + i64::from(rule.delay_minutes) * 60_000;
        if !out
            .iter()
            .any(|p| p.contact_method == rule.contact_method && p.due_at == due_at)
        {
            out.push(PlannedNotice {
                rule: i,
                contact_method: rule.contact_method.clone(),
                due_at,
            });
        }
    }
    if out.is_empty() {
        return Err(Unreachable::Unverified);
    }
    out.sort_by_key(|p| (p.due_at, p.rule));
    Ok(out)
}

/// Which shift notices a person wants: PagerDuty's "on-call handoff notifications".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftNotices {
    /// When their shift starts and when it ends.
    #[default]
    Both,
    /// Only when their shift starts.
    Start,
    Never,
}

impl ShiftNotices {
    pub const ALL: [ShiftNotices; 3] =
        [ShiftNotices::Both, ShiftNotices::Start, ShiftNotices::Never];

    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ShiftNotices::Both => "both",
            ShiftNotices::Start => "start",
            ShiftNotices::Never => "never",
        }
    }

    pub fn parse(text: &str) -> Option<ShiftNotices> {
        ShiftNotices::ALL.into_iter().find(|n| n.as_str() == text)
    }

    /// Whether a shift's end is told.
    pub fn wants_end(self) -> bool {
        self == ShiftNotices::Both
    }

    /// Whether a shift's start is told.
    pub fn wants_start(self) -> bool {
        self != ShiftNotices::Never
    }
}

/// The contact methods a shift notice goes to: those of the person's earliest verified
/// rules that do not ring a phone (a handoff is news, not an emergency), each once, in rule
/// order. `kind_of` names a method's kind; methods it does not know are left out.
pub fn shift_notice_methods(
    rules: &[RuleRef],
    kind_of: impl Fn(&str) -> Option<ContactKind>,
) -> Vec<String> {
    let quiet: Vec<&RuleRef> = rules
        .iter()
        .filter(|r| r.verified)
        .filter(|r| kind_of(&r.contact_method).is_some_and(|k| k != ContactKind::Voice))
        .collect();
    let Some(first) = quiet.iter().map(|r| r.delay_minutes).min() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for r in quiet.into_iter().filter(|r| r.delay_minutes == first) {
        if !out.contains(&r.contact_method) {
            out.push(r.contact_method.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(method: &str, delay_minutes: u32, verified: bool) -> RuleRef {
        RuleRef {
            contact_method: method.into(),
            delay_minutes,
            verified,
        }
    }

    #[test]
    fn shift_notices_go_to_the_first_quiet_verified_rules() {
        let kind_of = |m: &str| match m {
            "phone" => Some(ContactKind::Voice),
            "mail" => Some(ContactKind::Email),
            "chat" => Some(ContactKind::Slack),
            "text" => Some(ContactKind::Sms),
            _ => None,
        };
        // Voice at once, email and Slack after 2 minutes, SMS after 5: email and Slack.
        let rules = [
            rule("phone", 0, true),
            rule("mail", 2, true),
            rule("chat", 2, true),
            rule("mail", 2, true),
            rule("text", 5, true),
        ];
        assert_eq!(shift_notice_methods(&rules, kind_of), ["mail", "chat"]);
        // An unverified method is passed over for the next verified one.
        let rules = [rule("mail", 0, false), rule("text", 3, true)];
        assert_eq!(shift_notice_methods(&rules, kind_of), ["text"]);
        // Only a phone call, or a method that is gone: nothing.
        assert!(shift_notice_methods(&[rule("phone", 0, true)], kind_of).is_empty());
        assert!(shift_notice_methods(&[rule("gone", 0, true)], kind_of).is_empty());
    }

    #[test]
    fn shift_notice_preferences_round_trip() {
        for n in ShiftNotices::ALL {
            assert_eq!(ShiftNotices::parse(n.as_str()), Some(n));
        }
        assert_eq!(ShiftNotices::parse("always"), None);
        assert!(ShiftNotices::Both.wants_end() && ShiftNotices::Both.wants_start());
        assert!(!ShiftNotices::Start.wants_end() && ShiftNotices::Start.wants_start());
        assert!(!ShiftNotices::Never.wants_start());
    }
}
