//! Playbooks: checklist templates an installation writes for incidents of some severities
//! and services, in phases whose deadlines count from the declaration, each item in
//! Japanese and English and optionally for a role. When a playbook applies to an incident
//! its items are copied onto it ([`Playbooks::plan`]) with their due instants, so a later
//! change of the settings does not rewrite what the team was asked to do. The default is
//! the seed's first response: within the first hour declare, form the team, assess the
//! situation and consider interim measures; within three hours analyse logs, investigate
//! errors, scope the impact and form cause hypotheses.

use serde::{Deserialize, Serialize};

use super::roles::Roles;
use super::{FieldError, Severity};
use crate::Locale;

/// Longest deadline a phase may have: a week, in minutes.
pub const MAX_DEADLINE_MINUTES: u32 = 7 * 24 * 60;
/// Longest checklist item, in characters.
pub const MAX_ITEM_CHARS: usize = 500;

/// A checklist item, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub text_ja: String,
    pub text_en: String,
    /// The key of the role it is for.
    pub role: Option<String>,
}

/// A phase: items due `deadline_minutes` after the declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    pub name_ja: String,
    pub name_en: String,
    pub deadline_minutes: u32,
    pub items: Vec<Item>,
}

/// A playbook, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Playbook {
    pub key: String,
    pub name_ja: String,
    pub name_en: String,
    /// Empty: every severity.
    pub severities: Vec<Severity>,
    /// Service names; empty: whatever the incident's services.
    pub services: Vec<String>,
    pub phases: Vec<Phase>,
}

impl Playbook {
    /// Whether it applies to an incident of `severity` naming `services` (by name).
    pub fn applies(&self, severity: Severity, services: &[String]) -> bool {
        (self.severities.is_empty() || self.severities.contains(&severity))
            && (self.services.is_empty() || self.services.iter().any(|s| services.contains(s)))
    }

    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::Ja => &self.name_ja,
            Locale::En => &self.name_en,
        }
    }
}

/// One item to copy onto an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedItem {
    pub playbook: String,
    pub playbook_name_ja: String,
    pub playbook_name_en: String,
    /// The phase's position in the playbook.
    pub phase: u32,
    pub phase_name_ja: String,
    pub phase_name_en: String,
    /// The item's position in its phase.
    pub position: u32,
    pub text_ja: String,
    pub text_en: String,
    pub role: Option<String>,
    /// The phase's deadline after the playbook applied.
    pub due_at: i64,
}

/// An installation's playbooks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Playbooks {
    playbooks: Vec<Playbook>,
}

impl Playbooks {
    pub fn all(&self) -> &[Playbook] {
        &self.playbooks
    }

    /// The items of every playbook that applies to an incident of `severity` naming
    /// `services`, except those of the playbooks in `applied` (copied before: a playbook is
    /// copied once, whatever changes after), due their phase's deadline after `from`: the
    /// declaration, or the change that made a playbook apply later (a team cannot have
    /// followed a checklist it did not have).
    pub fn plan(
        &self,
        severity: Severity,
        services: &[String],
        from: i64,
        applied: &[String],
    ) -> Vec<PlannedItem> {
        let mut out = Vec::new();
        for p in self
            .playbooks
            .iter()
            .filter(|p| p.applies(severity, services) && !applied.contains(&p.key))
        {
            for (phase_at, phase) in p.phases.iter().enumerate() {
                for (item_at, item) in phase.items.iter().enumerate() {
                    out.push(PlannedItem {
                        playbook: p.key.clone(),
                        playbook_name_ja: p.name_ja.clone(),
                        playbook_name_en: p.name_en.clone(),
                        phase: phase_at as u32,
                        phase_name_ja: phase.name_ja.clone(),
                        phase_name_en: phase.name_en.clone(),
                        position: item_at as u32,
                        text_ja: item.text_ja.clone(),
                        text_en: item.text_en.clone(),
                        role: item.role.clone(),
                        due_at: from + i64::from(phase.deadline_minutes) * 60_000,
                    });
                }
            }
        }
        out
    }

    /// Checks the definitions against the roles; faults name their path under
    /// `incidents.playbooks`.
    pub fn build(defs: &[PlaybookDef], roles: &Roles) -> Result<Playbooks, FieldError> {
        let mut playbooks: Vec<Playbook> = Vec::with_capacity(defs.len());
        for (i, d) in defs.iter().enumerate() {
            let path = format!("incidents.playbooks[{i}]");
            let key =
                super::settings_key(&path, &d.key, 60, playbooks.iter().map(|x| x.key.as_str()))?;
            let line = |field: String, v: &str, max: usize| {
                let v = v.trim();
                if v.is_empty() || v.chars().count() > max || v.contains(['\n', '\r']) {
                    return Err(FieldError::new(
                        field,
                        format!("must be one line of 1 to {max} characters"),
                    ));
                }
                Ok(v.to_owned())
            };
            let severities = d
                .severities
                .iter()
                .enumerate()
                .map(|(j, s)| {
                    Severity::parse(s)
                        .map_err(|e| FieldError::new(format!("{path}.severities[{j}]"), e.message))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let services = d
                .services
                .iter()
                .enumerate()
                .map(|(j, s)| line(format!("{path}.services[{j}]"), s, 100))
                .collect::<Result<Vec<_>, _>>()?;
            if d.phases.is_empty() {
                return Err(FieldError::new(
                    format!("{path}.phases"),
                    "give at least one phase",
                ));
            }
            let mut phases = Vec::with_capacity(d.phases.len());
            for (j, ph) in d.phases.iter().enumerate() {
                let path = format!("{path}.phases[{j}]");
                if ph.deadline_minutes == 0 || ph.deadline_minutes > MAX_DEADLINE_MINUTES {
                    return Err(FieldError::new(
                        format!("{path}.deadline_minutes"),
                        format!("must be 1 to {MAX_DEADLINE_MINUTES}"),
                    ));
                }
                if ph.items.is_empty() {
                    return Err(FieldError::new(
                        format!("{path}.items"),
                        "give at least one item",
                    ));
                }
                let mut items = Vec::with_capacity(ph.items.len());
                for (k, it) in ph.items.iter().enumerate() {
                    let path = format!("{path}.items[{k}]");
                    let role = match it.role.trim() {
                        "" => None,
                        r => Some(roles.parse(&format!("{path}.role"), r)?.key.clone()),
                    };
                    items.push(Item {
                        text_ja: line(format!("{path}.text_ja"), &it.text_ja, MAX_ITEM_CHARS)?,
                        text_en: line(format!("{path}.text_en"), &it.text_en, MAX_ITEM_CHARS)?,
                        role,
                    });
                }
                phases.push(Phase {
                    name_ja: line(format!("{path}.name_ja"), &ph.name_ja, 100)?,
                    name_en: line(format!("{path}.name_en"), &ph.name_en, 100)?,
                    deadline_minutes: ph.deadline_minutes,
                    items,
                });
            }
            playbooks.push(Playbook {
                key: key.to_owned(),
                name_ja: line(format!("{path}.name_ja"), &d.name_ja, 100)?,
                name_en: line(format!("{path}.name_en"), &d.name_en, 100)?,
                severities,
                services,
                phases,
            });
        }
        Ok(Playbooks { playbooks })
    }
}

/// A checklist item as written in the settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDef {
    pub text_ja: String,
    pub text_en: String,
    /// A role's key; empty: for nobody in particular.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub role: String,
}

/// A phase as written in the settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseDef {
    pub name_ja: String,
    pub name_en: String,
    /// Minutes after the declaration.
    pub deadline_minutes: u32,
    pub items: Vec<ItemDef>,
}

/// A playbook as written in the settings (`[[incidents.playbooks]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookDef {
    pub key: String,
    pub name_ja: String,
    pub name_en: String,
    /// `SEV1` ...; empty: every severity.
    #[serde(default)]
    pub severities: Vec<String>,
    /// Service names; empty: any.
    #[serde(default)]
    pub services: Vec<String>,
    pub phases: Vec<PhaseDef>,
}

/// The seed's first response, for SEV1 and SEV2.
pub fn default_playbooks() -> Vec<PlaybookDef> {
    let item = |ja: &str, en: &str, role: &str| ItemDef {
        text_ja: ja.to_owned(),
        text_en: en.to_owned(),
        role: role.to_owned(),
    };
    vec![PlaybookDef {
        key: "first_response".into(),
        name_ja: "初動対応".into(),
        name_en: "First response".into(),
        severities: vec!["SEV1".into(), "SEV2".into()],
        services: Vec::new(),
        phases: vec![
            PhaseDef {
                name_ja: "即時対応（最初の1時間）".into(),
                name_en: "Immediate response (first hour)".into(),
                deadline_minutes: 60,
                items: vec![
                    item(
                        "インシデント宣言",
                        "Declare the incident",
                        "incident_manager",
                    ),
                    item(
                        "対応チーム編成",
                        "Form the response team",
                        "incident_manager",
                    ),
                    item(
                        "初期状況評価",
                        "Assess the initial situation",
                        "technical_lead",
                    ),
                    item(
                        "暫定対策検討",
                        "Consider interim measures",
                        "technical_lead",
                    ),
                ],
            },
            PhaseDef {
                name_ja: "状況確認（2-3時間）".into(),
                name_en: "Situation analysis (2-3 hours)".into(),
                deadline_minutes: 180,
                items: vec![
                    item("ログ分析", "Analyse the logs", "system_expert"),
                    item("エラー調査", "Investigate the errors", "system_expert"),
                    item("影響範囲特定", "Scope the impact", "technical_lead"),
                    item("原因仮説立案", "Form cause hypotheses", "technical_lead"),
                ],
            },
        ],
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn defaults() -> Playbooks {
        Playbooks::build(&default_playbooks(), &Roles::default()).unwrap()
    }

    #[test]
    fn the_seed_playbook_applies_to_sev1_and_sev2_with_its_deadlines() {
        let p = defaults();
        let plan = p.plan(Severity::Sev1, &[], 10 * H, &[]);
        assert_eq!(plan.len(), 8);
        assert_eq!(plan[0].text_ja, "インシデント宣言");
        assert_eq!(plan[0].due_at, 11 * H);
        assert_eq!(plan[4].text_en, "Analyse the logs");
        assert_eq!(plan[4].due_at, 13 * H);
        assert_eq!(plan[4].role.as_deref(), Some("system_expert"));
        assert_eq!(p.plan(Severity::Sev2, &[], 0, &[]).len(), 8);
        assert!(p.plan(Severity::Sev3, &[], 0, &[]).is_empty());
        // Copied once: a playbook already applied is not planned again.
        assert!(
            p.plan(Severity::Sev1, &[], 0, &["first_response".into()])
                .is_empty()
        );
    }

    #[test]
    fn services_narrow_a_playbook() {
        let mut defs = default_playbooks();
        defs[0].services = vec!["受注システム".into()];
        defs[0].severities.clear();
        let p = Playbooks::build(&defs, &Roles::default()).unwrap();
        assert!(p.plan(Severity::Sev4, &[], 0, &[]).is_empty());
        assert_eq!(
            p.plan(Severity::Sev4, &["受注システム".into()], 0, &[])
                .len(),
            8
        );
    }

    #[test]
    fn faults_name_their_path() {
        let roles = Roles::default();
        let fault = |f: &dyn Fn(&mut Vec<PlaybookDef>)| {
            let mut defs = default_playbooks();
            f(&mut defs);
            Playbooks::build(&defs, &roles).unwrap_err().field
        };
        assert_eq!(
            fault(&|d| d[0].phases[1].items[2].role = "hero".into()),
            "incidents.playbooks[0].phases[1].items[2].role"
        );
        assert_eq!(
            fault(&|d| d[0].phases[0].deadline_minutes = 0),
            "incidents.playbooks[0].phases[0].deadline_minutes"
        );
        assert_eq!(
            fault(&|d| d[0].severities[1] = "P1".into()),
            "incidents.playbooks[0].severities[1]"
        );
        assert_eq!(
            fault(&|d| d[0].phases[0].items[0].text_en = String::new()),
            "incidents.playbooks[0].phases[0].items[0].text_en"
        );
        assert_eq!(
            fault(&|d| d.push(d[0].clone())),
            "incidents.playbooks[1].key"
        );
        assert_eq!(
            fault(&|d| d[0].phases.clear()),
            "incidents.playbooks[0].phases"
        );
    }
}
