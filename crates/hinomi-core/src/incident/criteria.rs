//! Escalation criteria: rules an installation writes (`[[incidents.escalations]]`) that act
//! on an incident's state, such as the seed's "SEV1, or more than 100 customers affected:
//! page the executive liaison" and "unresolved after 4 hours: escalate". A criterion has
//! conditions on the severity and the impact (any that holds is enough; none: always), an
//! optional delay after the declaration, and whom it pages: the holders of some roles and
//! some named people. It acts once per incident, and only on an open one.
//!
//! When it acts is a timer ([`Criterion::due`]): re-armed by every change of the
//! incident's severity, impact or status, so the worker that fires it only finds timers
//! whose conditions held at the last change (and checks them again).

use serde::{Deserialize, Serialize};

use super::roles::Roles;
use super::severity::{Condition, Thresholds};
use super::{FieldError, Impact, Severity, Status};
use crate::Locale;

/// Longest delay after the declaration: a month, in minutes.
pub const MAX_DELAY_MINUTES: u32 = 31 * 24 * 60;

/// A criterion as the settings write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionDef {
    /// What the timers and the timeline know it by: a-z, 0-9 and `_`.
    pub key: String,
    /// What people read on the timeline and in the message: one line.
    pub name: String,
    /// It holds for incidents of these severities (any condition is enough).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people_affected_at_least: Option<i64>,
    /// `["5000000 JPY"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revenue_per_day_at_least: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customers_affected_at_least: Option<i64>,
    /// `low`, `medium`, `high` or `critical`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reputational_risk_at_least: String,
    /// It acts only once the incident has been open this long after its declaration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unresolved_after_minutes: Option<u32>,
    /// The roles whose holders it pages (their keys).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub page_roles: Vec<String>,
    /// People it pages by username, whether or not they are on the team.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub page_users: Vec<String>,
}

/// A criterion, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub key: String,
    pub name: String,
    /// Empty: no condition on the severity.
    pub severities: Vec<Severity>,
    pub thresholds: Thresholds,
    pub unresolved_after_minutes: Option<u32>,
    pub page_roles: Vec<String>,
    pub page_users: Vec<String>,
}

/// Why a criterion acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The incident is of one of its severities.
    Severity(Severity),
    /// An impact field met its threshold.
    Impact(Condition),
    /// It has no condition but the delay: the incident was still open after it.
    Unresolved { minutes: u32 },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Severity(s) => write!(f, "severity is {s}"),
            Reason::Impact(c) => c.fmt(f),
            Reason::Unresolved { minutes } => {
                write!(f, "unresolved {minutes} minutes after the declaration")
            }
        }
    }
}

impl Reason {
    /// The reason in the reader's language, for messages: `重大度 SEV1`,
    /// `影響顧客数 1000 (基準 101 以上)`.
    pub fn describe(&self, locale: Locale) -> String {
        match (self, locale) {
            (Reason::Severity(s), Locale::Ja) => format!("重大度 {s}"),
            (Reason::Impact(c), Locale::Ja) => {
                let field = match c.field() {
                    "people_affected" => "影響人数",
                    "revenue_per_day" => "1日あたりの売上影響",
                    "customers_affected" => "影響顧客数",
                    _ => "評判リスク",
                };
                let (at_least, value) = c.threshold_and_value();
                format!("{field} {value} (基準 {at_least} 以上)")
            }
            (Reason::Unresolved { minutes }, Locale::Ja) => {
                format!("宣言から {minutes} 分経過しても未解決")
            }
            (r, Locale::En) => r.to_string(),
        }
    }
}

/// What a criterion reads of an incident.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub severity: Severity,
    pub status: Status,
    pub impact: &'a Impact,
    pub declared_at: i64,
}

impl Criterion {
    fn has_conditions(&self) -> bool {
        !self.severities.is_empty() || !self.thresholds.is_empty()
    }

    /// Why its conditions hold for an incident in this state (the severity first, then the
    /// impact fields in the order of [`Thresholds::fires`]); `None` when they do not. The
    /// delay and the status are [`Criterion::due`]'s business.
    pub fn reason(&self, facts: &Facts<'_>) -> Option<Reason> {
        if !self.has_conditions() {
            return Some(Reason::Unresolved {
                minutes: self.unresolved_after_minutes.unwrap_or(0),
            });
        }
        if self.severities.contains(&facts.severity) {
            return Some(Reason::Severity(facts.severity));
        }
        self.thresholds.fires(facts.impact).map(Reason::Impact)
    }

    /// When it is to act on an incident in this state: its delay after the declaration
    /// (at once without one; a time already past means at once), while the incident is
    /// open and its conditions hold; `None` otherwise.
    pub fn due(&self, facts: &Facts<'_>) -> Option<i64> {
        if !facts.status.is_open() {
            return None;
        }
        self.reason(facts)?;
        let delay = i64::from(self.unresolved_after_minutes.unwrap_or(0)) * 60_000;
        Some(facts.declared_at + delay)
    }
}

/// An installation's criteria, checked against its roles; faults name their path under
/// `incidents.escalations`.
pub fn build(defs: &[CriterionDef], roles: &Roles) -> Result<Vec<Criterion>, FieldError> {
    let mut out: Vec<Criterion> = Vec::with_capacity(defs.len());
    for (i, d) in defs.iter().enumerate() {
        let path = format!("incidents.escalations[{i}]");
        let key = super::settings_key(&path, &d.key, 60, out.iter().map(|x| x.key.as_str()))?;
        let name = d.name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.contains(['\n', '\r']) {
            return Err(FieldError::new(
                format!("{path}.name"),
                "must be one line of 1 to 200 characters",
            ));
        }
        let severities = d
            .severities
            .iter()
            .enumerate()
            .map(|(j, s)| {
                Severity::parse(s)
                    .map_err(|e| FieldError::new(format!("{path}.severities[{j}]"), e.message))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let thresholds = Thresholds::build(
            &path,
            d.people_affected_at_least,
            &d.revenue_per_day_at_least,
            d.customers_affected_at_least,
            &d.reputational_risk_at_least,
        )?;
        if let Some(m) = d.unresolved_after_minutes
            && (m == 0 || m > MAX_DELAY_MINUTES)
        {
            return Err(FieldError::new(
                format!("{path}.unresolved_after_minutes"),
                format!("must be 1 to {MAX_DELAY_MINUTES} (leave it out to act at once)"),
            ));
        }
        if severities.is_empty() && thresholds.is_empty() && d.unresolved_after_minutes.is_none() {
            return Err(FieldError::new(
                path,
                "give a condition (severities, an impact threshold) or unresolved_after_minutes",
            ));
        }
        let page_roles = d
            .page_roles
            .iter()
            .enumerate()
            .map(|(j, r)| {
                roles
                    .parse(&format!("{path}.page_roles[{j}]"), r)
                    .map(|r| r.key.clone())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let page_users = d
            .page_users
            .iter()
            .enumerate()
            .map(|(j, u)| {
                let u = u.trim();
                if u.is_empty() || u.contains(char::is_whitespace) {
                    return Err(FieldError::new(
                        format!("{path}.page_users[{j}]"),
                        "must be a username",
                    ));
                }
                Ok(u.to_owned())
            })
            .collect::<Result<Vec<_>, _>>()?;
        if page_roles.is_empty() && page_users.is_empty() {
            return Err(FieldError::new(
                format!("{path}.page_roles"),
                "name a role to page (or people in page_users)",
            ));
        }
        out.push(Criterion {
            key: key.to_owned(),
            name: name.to_owned(),
            severities,
            thresholds,
            unresolved_after_minutes: d.unresolved_after_minutes,
            page_roles,
            page_users,
        });
    }
    Ok(out)
}

/// The seed's two: a SEV1, or more than 100 customers affected, pages the executive
/// liaison; an incident still open four hours after its declaration pages the incident
/// manager and the executive liaison.
pub fn default_criteria() -> Vec<CriterionDef> {
    let blank = CriterionDef {
        key: String::new(),
        name: String::new(),
        severities: Vec::new(),
        people_affected_at_least: None,
        revenue_per_day_at_least: Vec::new(),
        customers_affected_at_least: None,
        reputational_risk_at_least: String::new(),
        unresolved_after_minutes: None,
        page_roles: Vec::new(),
        page_users: Vec::new(),
    };
    vec![
        CriterionDef {
            key: "executive_liaison".into(),
            name: "SEV1 または影響顧客100社超: 経営層連携を呼び出す".into(),
            severities: vec!["SEV1".into()],
            customers_affected_at_least: Some(101),
            page_roles: vec!["executive_liaison".into()],
            ..blank.clone()
        },
        CriterionDef {
            key: "unresolved_4h".into(),
            name: "宣言から4時間未解決: エスカレーション".into(),
            unresolved_after_minutes: Some(240),
            page_roles: vec!["incident_manager".into(), "executive_liaison".into()],
            ..blank
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::roles::default_roles;

    const H: i64 = 3_600_000;

    fn roles() -> Roles {
        Roles::build(&default_roles()).unwrap()
    }

    fn facts(severity: Severity, status: Status, impact: &Impact) -> Facts<'_> {
        Facts {
            severity,
            status,
            impact,
            declared_at: 10 * H,
        }
    }

    #[test]
    fn the_seeds_criteria_act_on_sev1_many_customers_and_four_hours() {
        let all = build(&default_criteria(), &roles()).unwrap();
        let (exec, late) = (&all[0], &all[1]);
        let none = Impact::default();
        let many = Impact {
            customers_affected: Some(1_000),
            ..Impact::default()
        };
        let hundred = Impact {
            customers_affected: Some(100),
            ..Impact::default()
        };
        // SEV1, or more than 100 customers: at once.
        let f = facts(Severity::Sev1, Status::Investigating, &none);
        assert_eq!(exec.reason(&f), Some(Reason::Severity(Severity::Sev1)));
        assert_eq!(exec.due(&f), Some(10 * H));
        let f = facts(Severity::Sev2, Status::Identified, &many);
        assert_eq!(
            exec.reason(&f).unwrap().to_string(),
            "customers_affected 1000 is at least 101"
        );
        assert_eq!(
            exec.due(&facts(Severity::Sev2, Status::Identified, &hundred)),
            None
        );
        // Never on a resolved incident.
        assert_eq!(
            exec.due(&facts(Severity::Sev1, Status::Resolved, &many)),
            None
        );
        // Four hours after the declaration, whatever the severity, while open.
        let f = facts(Severity::Sev4, Status::Monitoring, &none);
        assert_eq!(late.due(&f), Some(14 * H));
        assert_eq!(
            late.reason(&f).unwrap().to_string(),
            "unresolved 240 minutes after the declaration"
        );
        let why = exec.reason(&facts(Severity::Sev2, Status::Identified, &many));
        assert_eq!(
            why.unwrap().describe(Locale::Ja),
            "影響顧客数 1000 (基準 101 以上)"
        );
        assert_eq!(late.page_roles, ["incident_manager", "executive_liaison"]);
    }

    #[test]
    fn a_delay_with_conditions_waits_for_both() {
        let mut d = default_criteria().remove(0);
        d.unresolved_after_minutes = Some(120);
        let c = build(&[d], &roles()).unwrap().remove(0);
        let none = Impact::default();
        assert_eq!(
            c.due(&facts(Severity::Sev1, Status::Investigating, &none)),
            Some(12 * H)
        );
        assert_eq!(
            c.due(&facts(Severity::Sev3, Status::Investigating, &none)),
            None
        );
    }

    #[test]
    fn bad_criteria_name_their_field() {
        let good = default_criteria().remove(0);
        type Change = Box<dyn Fn(&mut CriterionDef)>;
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|d| d.key = "Exec Liaison".into()),
                "incidents.escalations[0].key",
            ),
            (
                Box::new(|d| d.name = " ".into()),
                "incidents.escalations[0].name",
            ),
            (
                Box::new(|d| d.severities = vec!["P1".into()]),
                "incidents.escalations[0].severities[0]",
            ),
            (
                Box::new(|d| d.customers_affected_at_least = Some(-1)),
                "incidents.escalations[0].customers_affected_at_least",
            ),
            (
                Box::new(|d| d.revenue_per_day_at_least = vec!["lots".into()]),
                "incidents.escalations[0].revenue_per_day_at_least[0]",
            ),
            (
                Box::new(|d| d.unresolved_after_minutes = Some(0)),
                "incidents.escalations[0].unresolved_after_minutes",
            ),
            (
                Box::new(|d| d.page_roles = vec!["ceo".into()]),
                "incidents.escalations[0].page_roles[0]",
            ),
            (
                Box::new(|d| d.page_users = vec!["a b".into()]),
                "incidents.escalations[0].page_users[0]",
            ),
            (
                Box::new(|d| d.page_roles.clear()),
                "incidents.escalations[0].page_roles",
            ),
            (
                Box::new(|d| {
                    d.severities.clear();
                    d.customers_affected_at_least = None;
                }),
                "incidents.escalations[0]",
            ),
        ];
        for (change, field) in cases {
            let mut d = good.clone();
            change(&mut d);
            assert_eq!(build(&[d], &roles()).unwrap_err().field, field);
        }
        let twice = build(&[good.clone(), good], &roles()).unwrap_err();
        assert_eq!(twice.field, "incidents.escalations[1].key");
    }
}
