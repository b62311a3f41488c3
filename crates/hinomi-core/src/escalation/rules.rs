//! Personal notification rules ("email at once, voice after 3 minutes") turned into the
//! messages one page sends a person: which contact method, and when.

use serde::{Deserialize, Serialize};

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
