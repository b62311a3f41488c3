//! The roles of an incident's response team, as an installation names them: a key, names in
//! Japanese and English, the group (the core team that works the problem, or the support
//! team around it) and what the role does. One role leads (the declarer holds it unless
//! someone else is named, and reminders nobody else holds go to it). The defaults are the
//! seed incident's eight: incident manager, technical lead, system expert and operator at
//! the core; PR, customer support, executive liaison and external vendor in support.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::FieldError;
use crate::Locale;

/// Whether a role works the problem or supports those who do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleGroup {
    Core,
    Support,
}

impl RoleGroup {
    pub const ALL: [RoleGroup; 2] = [RoleGroup::Core, RoleGroup::Support];

    pub fn as_str(self) -> &'static str {
        match self {
            RoleGroup::Core => "core",
            RoleGroup::Support => "support",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<RoleGroup, FieldError> {
        super::one_of(
            &RoleGroup::ALL,
            RoleGroup::as_str,
            field,
            "role group",
            value,
        )
    }
}

impl fmt::Display for RoleGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// `incident_manager`: what the API, the CLI and the database use.
    pub key: String,
    pub name_ja: String,
    pub name_en: String,
    pub group: RoleGroup,
    pub description_ja: String,
    pub description_en: String,
    /// The role in command: one holder at a time, held by the declarer by default.
    pub lead: bool,
}

impl Role {
    /// The role's name in `locale`.
    pub fn name(&self, locale: Locale) -> &str {
        match locale {
            Locale::Ja => &self.name_ja,
            Locale::En => &self.name_en,
        }
    }

    pub fn description(&self, locale: Locale) -> &str {
        match locale {
            Locale::Ja => &self.description_ja,
            Locale::En => &self.description_en,
        }
    }
}

/// An installation's roles, in the configured order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles {
    roles: Vec<Role>,
}

impl Default for Roles {
    fn default() -> Self {
        Roles::build(&default_roles()).expect("the default roles build")
    }
}

impl Roles {
    pub fn all(&self) -> &[Role] {
        &self.roles
    }

    pub fn get(&self, key: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.key == key)
    }

    /// The role in command.
    pub fn lead(&self) -> &Role {
        self.roles
            .iter()
            .find(|r| r.lead)
            .expect("a built role list has its lead")
    }

    /// The role `value` names (its key, any case), or a fault naming `field` that lists the
    /// keys.
    pub fn parse(&self, field: &str, value: &str) -> Result<&Role, FieldError> {
        let key = value.trim().to_ascii_lowercase();
        self.get(&key).ok_or_else(|| {
            let keys: Vec<&str> = self.roles.iter().map(|r| r.key.as_str()).collect();
            FieldError::new(
                field,
                format!(
                    "{value:?} is not a role: expected one of {}",
                    keys.join(", ")
                ),
            )
        })
    }

    /// Checks the definitions; faults name their path under `incidents.roles`.
    pub fn build(defs: &[RoleDef]) -> Result<Roles, FieldError> {
        if defs.is_empty() {
            return Err(FieldError::new("incidents.roles", "give at least one role"));
        }
        let mut roles: Vec<Role> = Vec::with_capacity(defs.len());
        for (i, d) in defs.iter().enumerate() {
            let path = format!("incidents.roles[{i}]");
            let key = super::settings_key(&path, &d.key, 40, roles.iter().map(|x| x.key.as_str()))?;
            let name = |field: &str, v: &str| {
                let v = v.trim();
                if v.is_empty() || v.chars().count() > 60 || v.contains(['\n', '\r']) {
                    return Err(FieldError::new(
                        format!("{path}.{field}"),
                        "must be one line of 1 to 60 characters",
                    ));
                }
                Ok(v.to_owned())
            };
            let description =
                |field: &str, v: &str| super::text(&format!("{path}.{field}"), v, 500, true);
            roles.push(Role {
                key: key.to_owned(),
                name_ja: name("name_ja", &d.name_ja)?,
                name_en: name("name_en", &d.name_en)?,
                group: RoleGroup::parse(&format!("{path}.group"), &d.group)?,
                description_ja: description("description_ja", &d.description_ja)?,
                description_en: description("description_en", &d.description_en)?,
                lead: d.lead,
            });
        }
        match roles.iter().filter(|r| r.lead).count() {
            1 => Ok(Roles { roles }),
            0 => Err(FieldError::new(
                "incidents.roles",
                "one role must lead (lead = true)",
            )),
            _ => {
                let second = roles.iter().enumerate().filter(|(_, r)| r.lead).nth(1);
                let i = second.map_or(0, |(i, _)| i);
                Err(FieldError::new(
                    format!("incidents.roles[{i}].lead"),
                    "only one role may lead",
                ))
            }
        }
    }
}

/// A role as written in the settings (`[[incidents.roles]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    pub key: String,
    pub name_ja: String,
    pub name_en: String,
    /// `core` or `support`.
    pub group: String,
    #[serde(default)]
    pub description_ja: String,
    #[serde(default)]
    pub description_en: String,
    /// The role in command (exactly one role leads).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lead: bool,
}

/// The seed incident's team of eight.
pub fn default_roles() -> Vec<RoleDef> {
    let role = |key: &str, ja: &str, en: &str, group: &str, dja: &str, den: &str| RoleDef {
        key: key.to_owned(),
        name_ja: ja.to_owned(),
        name_en: en.to_owned(),
        group: group.to_owned(),
        description_ja: dja.to_owned(),
        description_en: den.to_owned(),
        lead: key == "incident_manager",
    };
    vec![
        role(
            "incident_manager",
            "インシデントマネージャー",
            "Incident manager",
            "core",
            "対応全体を指揮し、判断し、関係者への報告を取りまとめる。",
            "Leads the response, makes the calls and keeps everyone informed.",
        ),
        role(
            "technical_lead",
            "テクニカルリード",
            "Technical lead",
            "core",
            "原因調査と技術的な対策を主導する。",
            "Leads the investigation and the technical measures.",
        ),
        role(
            "system_expert",
            "システム専門家",
            "System expert",
            "core",
            "影響を受けたシステムを熟知し、ログとエラーを分析する。",
            "Knows the affected systems; analyses logs and errors.",
        ),
        role(
            "operator",
            "運用担当者",
            "Operator",
            "core",
            "再起動や設定変更などの運用作業を実施する。",
            "Carries out operational work: restarts, configuration changes.",
        ),
        role(
            "pr",
            "広報担当",
            "PR",
            "support",
            "社外への発表と報道対応を担う。",
            "Handles public statements and the press.",
        ),
        role(
            "customer_support",
            "顧客対応",
            "Customer support",
            "support",
            "顧客への連絡と問い合わせ対応を担う。",
            "Informs customers and answers their questions.",
        ),
        role(
            "executive_liaison",
            "経営層連携",
            "Executive liaison",
            "support",
            "経営層への報告と判断の依頼を担う。",
            "Reports to executives and brings back their decisions.",
        ),
        role(
            "external_vendor",
            "外部ベンダー",
            "External vendor",
            "support",
            "外部ベンダーとの窓口となる、またはベンダー自身が担う。",
            "The outside vendor, or the person who deals with them.",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_team_is_four_core_and_four_support_roles() {
        let roles = Roles::default();
        assert_eq!(roles.all().len(), 8);
        let core: Vec<&str> = roles
            .all()
            .iter()
            .filter(|r| r.group == RoleGroup::Core)
            .map(|r| r.key.as_str())
            .collect();
        assert_eq!(
            core,
            [
                "incident_manager",
                "technical_lead",
                "system_expert",
                "operator"
            ]
        );
        assert_eq!(roles.lead().key, "incident_manager");
        assert_eq!(roles.get("pr").unwrap().name(Locale::Ja), "広報担当");
        assert_eq!(roles.parse("role", " PR ").unwrap().name(Locale::En), "PR");
        let err = roles.parse("role", "firefighter").unwrap_err();
        assert_eq!(err.field, "role");
        assert!(err.message.contains("incident_manager"));
    }

    #[test]
    fn faults_name_their_path() {
        let mut defs = default_roles();
        defs[2].key = "System Expert".into();
        assert_eq!(
            Roles::build(&defs).unwrap_err().field,
            "incidents.roles[2].key"
        );
        let mut defs = default_roles();
        defs[3].key = "technical_lead".into();
        assert_eq!(
            Roles::build(&defs).unwrap_err().field,
            "incidents.roles[3].key"
        );
        let mut defs = default_roles();
        defs[5].group = "backoffice".into();
        assert_eq!(
            Roles::build(&defs).unwrap_err().field,
            "incidents.roles[5].group"
        );
        let mut defs = default_roles();
        defs[4].name_en = String::new();
        assert_eq!(
            Roles::build(&defs).unwrap_err().field,
            "incidents.roles[4].name_en"
        );
        let mut defs = default_roles();
        defs[6].lead = true;
        assert_eq!(
            Roles::build(&defs).unwrap_err().field,
            "incidents.roles[6].lead"
        );
        let mut defs = default_roles();
        defs[0].lead = false;
        assert_eq!(Roles::build(&defs).unwrap_err().field, "incidents.roles");
        assert_eq!(Roles::build(&[]).unwrap_err().field, "incidents.roles");
    }
}
