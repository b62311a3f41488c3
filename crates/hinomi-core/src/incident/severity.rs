//! Severities (SEV1, the worst, to SEV4) with the names and descriptions an installation
//! gives them, an incident's impact (people, revenue a day, customers, reputational risk),
//! and the rules that suggest a severity from the impact, saying which rule fired and why.
//! The defaults come from the seed incident: 500 staff idle, about ten million yen a day,
//! about 1,000 customer companies and a high reputational risk are each a SEV1.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::FieldError;
use super::playbook::{PlaybookDef, Playbooks, default_playbooks};
use super::roles::{RoleDef, Roles, default_roles};

/// How bad an incident is; `Sev1` is the worst. Ordered from worst to mildest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Sev1,
    Sev2,
    Sev3,
    Sev4,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Sev1,
        Severity::Sev2,
        Severity::Sev3,
        Severity::Sev4,
    ];

    /// `SEV1` ... `SEV4`: the key people type and the API speaks.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Sev1 => "SEV1",
            Severity::Sev2 => "SEV2",
            Severity::Sev3 => "SEV3",
            Severity::Sev4 => "SEV4",
        }
    }

    /// 1 (worst) to 4.
    pub fn level(self) -> u8 {
        self as u8 + 1
    }

    pub fn from_level(level: i64) -> Option<Severity> {
        usize::try_from(level - 1)
            .ok()
            .and_then(|i| Severity::ALL.get(i).copied())
    }

    /// `SEV2`, `sev2` or `2`.
    pub fn parse(value: &str) -> Result<Severity, FieldError> {
        let v = value.trim().to_ascii_uppercase();
        let digits = v.strip_prefix("SEV").unwrap_or(&v);
        digits
            .parse::<i64>()
            .ok()
            .and_then(Severity::from_level)
            .ok_or_else(|| {
                FieldError::new(
                    "severity",
                    format!("{value:?} is not a severity: expected SEV1, SEV2, SEV3 or SEV4"),
                )
            })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much an incident may hurt the company's name. Ordered from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReputationalRisk {
    Low,
    Medium,
    High,
    Critical,
}

impl ReputationalRisk {
    pub const ALL: [ReputationalRisk; 4] = [
        ReputationalRisk::Low,
        ReputationalRisk::Medium,
        ReputationalRisk::High,
        ReputationalRisk::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReputationalRisk::Low => "low",
            ReputationalRisk::Medium => "medium",
            ReputationalRisk::High => "high",
            ReputationalRisk::Critical => "critical",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<ReputationalRisk, FieldError> {
        super::one_of(
            &ReputationalRisk::ALL,
            ReputationalRisk::as_str,
            field,
            "reputational risk",
            value,
        )
    }
}

impl fmt::Display for ReputationalRisk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The active ISO 4217 codes (and the funds and metals codes), for [`Currency::parse`].
const ISO_4217: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND \
     BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK \
     DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR \
     ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD \
     MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB \
     PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP \
     STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES \
     VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR \
     ZMW ZWG ZWL";

/// An ISO 4217 currency code (`JPY`, `USD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(field: &str, value: &str) -> Result<Currency, FieldError> {
        let v = value.trim().to_ascii_uppercase();
        let known = v.len() == 3 && ISO_4217.split_ascii_whitespace().any(|c| c == v);
        if !known {
            return Err(FieldError::new(
                field,
                format!("{value:?} is not an ISO 4217 currency code such as JPY or USD"),
            ));
        }
        let b = v.as_bytes();
        Ok(Currency([b[0], b[1], b[2]]))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("currency codes are ASCII")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount of money in whole units of its currency (yen, dollars): impact estimates
/// are rough, and a minor unit would mean a different scale per currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(field: &str, amount: i64, currency: Currency) -> Result<Money, FieldError> {
        if amount < 0 {
            return Err(FieldError::new(field, "must not be negative"));
        }
        Ok(Money { amount, currency })
    }

    /// `5000000 JPY` (thousands separators `,` and `_` allowed).
    pub fn parse(field: &str, value: &str) -> Result<Money, FieldError> {
        let bad = || {
            FieldError::new(
                field,
                format!("{value:?} is not an amount and currency such as \"5000000 JPY\""),
            )
        };
        let (amount, currency) = value.trim().rsplit_once(' ').ok_or_else(bad)?;
        let digits: String = amount.chars().filter(|c| !matches!(c, ',' | '_')).collect();
        let amount: i64 = digits.trim().parse().map_err(|_| bad())?;
        Money::new(field, amount, Currency::parse(field, currency)?)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// What an incident does to the business, as far as anyone knows; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Impact {
    pub people_affected: Option<i64>,
    pub revenue_per_day: Option<Money>,
    pub customers_affected: Option<i64>,
    pub reputational_risk: Option<ReputationalRisk>,
}

impl Impact {
    /// Builds an impact from its parts as given, each checked and named under
    /// `impact.`: counts not negative, the currency a known code (required with an
    /// amount), the risk one of the four.
    pub fn parse(
        people_affected: Option<i64>,
        revenue_per_day: Option<i64>,
        currency: Option<&str>,
        customers_affected: Option<i64>,
        reputational_risk: Option<&str>,
    ) -> Result<Impact, FieldError> {
        let count = |field: &str, v: Option<i64>| match v {
            Some(n) if n < 0 => Err(FieldError::new(field, "must not be negative")),
            v => Ok(v),
        };
        let currency = currency
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| Currency::parse("impact.currency", c))
            .transpose()?;
        let revenue_per_day = match (revenue_per_day, currency) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(FieldError::new(
                    "impact.currency",
                    "a revenue impact needs its ISO 4217 currency",
                ));
            }
            (Some(a), Some(c)) => Some(Money::new("impact.revenue_per_day", a, c)?),
        };
        Ok(Impact {
            people_affected: count("impact.people_affected", people_affected)?,
            revenue_per_day,
            customers_affected: count("impact.customers_affected", customers_affected)?,
            reputational_risk: reputational_risk
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(|r| ReputationalRisk::parse("impact.reputational_risk", r))
                .transpose()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == Impact::default()
    }
}

/// A severity's name and what it means, as an installation words them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeverityLevel {
    pub severity: Severity,
    /// What people call it (`SEV1`, `重大`).
    pub name: String,
    /// What it means; `None`: hinomi's own wording, in the reader's language.
    pub description: Option<String>,
    /// Minutes between the updates owed on an open incident of this severity.
    pub update_every_minutes: Option<u32>,
}

/// Thresholds on an impact's fields; any that is met is enough. A severity rule and an
/// escalation criterion both hold them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Thresholds {
    pub people_at_least: Option<i64>,
    /// Compared only with an impact in the same currency (hinomi converts nothing).
    pub revenue_per_day_at_least: Vec<Money>,
    pub customers_at_least: Option<i64>,
    pub reputational_risk_at_least: Option<ReputationalRisk>,
}

/// A rule: the severity it suggests, when any of its thresholds is met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeverityRule {
    pub severity: Severity,
    pub when: Thresholds,
}

/// Which condition of a rule held, with the threshold and the impact's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    People {
        at_least: i64,
        value: i64,
    },
    Revenue {
        at_least: Money,
        value: Money,
    },
    Customers {
        at_least: i64,
        value: i64,
    },
    ReputationalRisk {
        at_least: ReputationalRisk,
        value: ReputationalRisk,
    },
}

impl Condition {
    /// The impact field the condition reads.
    pub fn field(&self) -> &'static str {
        match self {
            Condition::People { .. } => "people_affected",
            Condition::Revenue { .. } => "revenue_per_day",
            Condition::Customers { .. } => "customers_affected",
            Condition::ReputationalRisk { .. } => "reputational_risk",
        }
    }

    /// The threshold and the value, as text (`100`, `500`; `5000000 JPY`; `high`).
    pub fn threshold_and_value(&self) -> (String, String) {
        match self {
            Condition::People { at_least, value } | Condition::Customers { at_least, value } => {
                (at_least.to_string(), value.to_string())
            }
            Condition::Revenue { at_least, value } => (at_least.to_string(), value.to_string()),
            Condition::ReputationalRisk { at_least, value } => {
                (at_least.to_string(), value.to_string())
            }
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (at_least, value) = self.threshold_and_value();
        write!(f, "{} {value} is at least {at_least}", self.field())
    }
}

/// A suggested severity, with the rule (by its position) and the condition that gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suggestion {
    pub severity: Severity,
    pub rule: usize,
    pub condition: Condition,
}

impl Thresholds {
    /// Checks thresholds as the settings write them; faults name their path under `path`
    /// (`incidents.rules[0].customers_affected_at_least`).
    pub fn build(
        path: &str,
        people_affected_at_least: Option<i64>,
        revenue_per_day_at_least: &[String],
        customers_affected_at_least: Option<i64>,
        reputational_risk_at_least: &str,
    ) -> Result<Thresholds, FieldError> {
        let count = |field: &str, v: Option<i64>| match v {
            Some(n) if n < 0 => Err(FieldError::new(
                format!("{path}.{field}"),
                "must not be negative",
            )),
            v => Ok(v),
        };
        Ok(Thresholds {
            people_at_least: count("people_affected_at_least", people_affected_at_least)?,
            revenue_per_day_at_least: revenue_per_day_at_least
                .iter()
                .enumerate()
                .map(|(j, m)| Money::parse(&format!("{path}.revenue_per_day_at_least[{j}]"), m))
                .collect::<Result<_, _>>()?,
            customers_at_least: count("customers_affected_at_least", customers_affected_at_least)?,
            reputational_risk_at_least: match reputational_risk_at_least.trim() {
                "" => None,
                r => Some(ReputationalRisk::parse(
                    &format!("{path}.reputational_risk_at_least"),
                    r,
                )?),
            },
        })
    }

    /// Whether no threshold is set.
    pub fn is_empty(&self) -> bool {
        *self == Thresholds::default()
    }

    /// The first threshold `impact` meets: people, revenue, customers, reputational risk.
    pub fn fires(&self, impact: &Impact) -> Option<Condition> {
        if let (Some(at_least), Some(value)) = (self.people_at_least, impact.people_affected)
            && value >= at_least
        {
            return Some(Condition::People { at_least, value });
        }
        if let Some(value) = impact.revenue_per_day
            && let Some(at_least) = self
                .revenue_per_day_at_least
                .iter()
                .find(|t| t.currency == value.currency && value.amount >= t.amount)
        {
            return Some(Condition::Revenue {
                at_least: *at_least,
                value,
            });
        }
        if let (Some(at_least), Some(value)) = (self.customers_at_least, impact.customers_affected)
            && value >= at_least
        {
            return Some(Condition::Customers { at_least, value });
        }
        if let (Some(at_least), Some(value)) =
            (self.reputational_risk_at_least, impact.reputational_risk)
            && value >= at_least
        {
            return Some(Condition::ReputationalRisk { at_least, value });
        }
        None
    }
}

/// An installation's incident settings, parsed and checked: severities and the rules that
/// suggest one, the response team's roles, the playbooks, the escalation criteria and how
/// overdue action items are chased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeverityPolicy {
    levels: [SeverityLevel; 4],
    rules: Vec<SeverityRule>,
    stakeholders: Vec<super::comms::StakeholderList>,
    roles: Roles,
    playbooks: Playbooks,
    criteria: Vec<super::criteria::Criterion>,
    chase: super::action_item::Chase,
    customer_templates: super::customer::CustomerTemplates,
}

impl Default for SeverityPolicy {
    fn default() -> Self {
        PolicyDef::default()
            .build()
            .expect("the default incident policy builds")
    }
}

impl SeverityPolicy {
    /// The stakeholder lists that hear the updates of an incident of `severity`.
    pub fn stakeholders_of(&self, severity: Severity) -> Vec<&super::comms::StakeholderList> {
        self.stakeholders
            .iter()
            .filter(|l| l.hears(severity))
            .collect()
    }

    pub fn level(&self, s: Severity) -> &SeverityLevel {
        &self.levels[s as usize]
    }

    pub fn levels(&self) -> &[SeverityLevel; 4] {
        &self.levels
    }

    pub fn rules(&self) -> &[SeverityRule] {
        &self.rules
    }

    pub fn roles(&self) -> &Roles {
        &self.roles
    }

    pub fn playbooks(&self) -> &Playbooks {
        &self.playbooks
    }

    /// The escalation criteria, in the configured order.
    pub fn criteria(&self) -> &[super::criteria::Criterion] {
        &self.criteria
    }

    /// How overdue action items are chased.
    pub fn chase(&self) -> &super::action_item::Chase {
        &self.chase
    }

    /// What customers are told, per status.
    pub fn customer_templates(&self) -> &super::customer::CustomerTemplates {
        &self.customer_templates
    }

    /// The worst severity any rule suggests for `impact`, with the first rule (in the
    /// configured order) that suggests it; `None` when no rule fires.
    pub fn suggest(&self, impact: &Impact) -> Option<Suggestion> {
        self.rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.when.fires(impact).map(|condition| Suggestion {
                    severity: r.severity,
                    rule: i,
                    condition,
                })
            })
            .min_by_key(|s| (s.severity, s.rule))
    }
}

/// A severity's name and description as written in the settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelDef {
    /// `SEV1` ... `SEV4`.
    pub severity: String,
    pub name: String,
    /// Empty: hinomi's own description, in the reader's language.
    #[serde(default)]
    pub description: String,
    /// How often responders owe stakeholders an update on an open incident of this
    /// severity, in minutes; absent: no cadence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_every_minutes: Option<u32>,
}

/// A severity rule as written in the settings; any condition that holds fires it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub severity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people_affected_at_least: Option<i64>,
    /// `["5000000 JPY", "35000 USD"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revenue_per_day_at_least: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customers_affected_at_least: Option<i64>,
    /// `low`, `medium`, `high` or `critical`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reputational_risk_at_least: String,
}

/// Severities and rules, roles, playbooks, escalation criteria and the chasing of action
/// items as people write them (the `[incidents]` settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyDef {
    /// Names and descriptions; a severity not listed keeps its key as its name.
    pub severities: Vec<LevelDef>,
    pub rules: Vec<RuleDef>,
    /// Who hears an incident's updates.
    pub stakeholders: Vec<super::comms::StakeholderDef>,
    /// The response team's roles; giving any replaces the seed's eight.
    pub roles: Vec<RoleDef>,
    /// Checklist templates; giving any replaces the seed's first response.
    pub playbooks: Vec<PlaybookDef>,
    /// Escalation criteria; giving any replaces the seed's two.
    pub escalations: Vec<super::criteria::CriterionDef>,
    /// How overdue action items are chased.
    pub action_items: super::action_item::ChaseDef,
    /// Customer notification templates, each replacing the built-in one of its status.
    pub customer_templates: Vec<super::customer::CustomerTemplateDef>,
}

impl Default for PolicyDef {
    /// The seed's scale: SEV1 from 100 people, 5,000,000 JPY a day, 500 customers or a
    /// high reputational risk (the seed incident, at 500 people, about 10,000,000 JPY,
    /// about 1,000 customers and a high risk, is a SEV1 on every count); SEV2 from 20
    /// people, 1,000,000 JPY, 50 customers or a medium risk; SEV3 from anyone or anything
    /// affected at all. An update is owed every 30 minutes on a SEV1, every hour on a SEV2.
    fn default() -> Self {
        let level = |(s, every): (&str, Option<u32>)| LevelDef {
            severity: s.to_owned(),
            name: s.to_owned(),
            description: String::new(),
            update_every_minutes: every,
        };
        let rule = |s: &str, people, yen: &str, customers, risk: &str| RuleDef {
            severity: s.to_owned(),
            people_affected_at_least: Some(people),
            revenue_per_day_at_least: vec![yen.to_owned()],
            customers_affected_at_least: Some(customers),
            reputational_risk_at_least: risk.to_owned(),
        };
        PolicyDef {
            severities: [
                ("SEV1", Some(30)),
                ("SEV2", Some(60)),
                ("SEV3", None),
                ("SEV4", None),
            ]
            .map(level)
            .to_vec(),
            rules: vec![
                rule("SEV1", 100, "5000000 JPY", 500, "high"),
                rule("SEV2", 20, "1000000 JPY", 50, "medium"),
                rule("SEV3", 1, "1 JPY", 1, ""),
            ],
            stakeholders: Vec::new(),
            roles: default_roles(),
            playbooks: default_playbooks(),
            escalations: super::criteria::default_criteria(),
            action_items: super::action_item::ChaseDef::default(),
            customer_templates: Vec::new(),
        }
    }
}

impl PolicyDef {
    /// Checks and parses the definition; faults name their path under `incidents.`.
    pub fn build(&self) -> Result<SeverityPolicy, FieldError> {
        let mut levels = Severity::ALL.map(|s| SeverityLevel {
            severity: s,
            name: s.as_str().to_owned(),
            description: None,
            update_every_minutes: None,
        });
        for (i, d) in self.severities.iter().enumerate() {
            let path = format!("incidents.severities[{i}]");
            let s = Severity::parse(&d.severity).map_err(|e| e.within(&path))?;
            let name = d.name.trim();
            if name.is_empty() || name.chars().count() > 40 {
                return Err(FieldError::new(
                    format!("{path}.name"),
                    "must be 1 to 40 characters",
                ));
            }
            let description = d.description.trim();
            if d.update_every_minutes == Some(0) {
                return Err(FieldError::new(
                    format!("{path}.update_every_minutes"),
                    "must be at least 1 (leave it out for no cadence)",
                ));
            }
            levels[s as usize] = SeverityLevel {
                severity: s,
                name: name.to_owned(),
                description: (!description.is_empty()).then(|| description.to_owned()),
                update_every_minutes: d.update_every_minutes,
            };
        }
        let rules = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let path = format!("incidents.rules[{i}]");
                Ok(SeverityRule {
                    severity: Severity::parse(&d.severity).map_err(|e| e.within(&path))?,
                    when: Thresholds::build(
                        &path,
                        d.people_affected_at_least,
                        &d.revenue_per_day_at_least,
                        d.customers_affected_at_least,
                        &d.reputational_risk_at_least,
                    )?,
                })
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
        let stakeholders = self
            .stakeholders
            .iter()
            .enumerate()
            .map(|(i, d)| d.build(&format!("incidents.stakeholders[{i}]")))
            .collect::<Result<Vec<_>, FieldError>>()?;
        let roles = Roles::build(&self.roles)?;
        let playbooks = Playbooks::build(&self.playbooks, &roles)?;
        let criteria = super::criteria::build(&self.escalations, &roles)?;
        let chase = self.action_items.build()?;
        let customer_templates =
            super::customer::CustomerTemplates::build(&self.customer_templates)?;
        Ok(SeverityPolicy {
            levels,
            rules,
            stakeholders,
            roles,
            playbooks,
            criteria,
            chase,
            customer_templates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpy(amount: i64) -> Money {
        Money::new("x", amount, Currency::parse("x", "JPY").unwrap()).unwrap()
    }

    #[test]
    fn the_seed_incident_is_a_sev1_on_every_count() {
        let policy = SeverityPolicy::default();
        let seed = Impact {
            people_affected: Some(500),
            revenue_per_day: Some(jpy(10_000_000)),
            customers_affected: Some(1_000),
            reputational_risk: Some(ReputationalRisk::High),
        };
        let s = policy.suggest(&seed).unwrap();
        assert_eq!((s.severity, s.rule), (Severity::Sev1, 0));
        assert_eq!(
            s.condition,
            Condition::People {
                at_least: 100,
                value: 500
            }
        );
        // Each count alone is enough.
        for one in [
            Impact {
                people_affected: Some(500),
                ..Impact::default()
            },
            Impact {
                revenue_per_day: Some(jpy(10_000_000)),
                ..Impact::default()
            },
            Impact {
                customers_affected: Some(1_000),
                ..Impact::default()
            },
            Impact {
                reputational_risk: Some(ReputationalRisk::High),
                ..Impact::default()
            },
        ] {
            assert_eq!(
                policy.suggest(&one).unwrap().severity,
                Severity::Sev1,
                "{one:?}"
            );
        }
        let risk = Impact {
            reputational_risk: Some(ReputationalRisk::High),
            ..Impact::default()
        };
        assert_eq!(
            policy.suggest(&risk).unwrap().condition.to_string(),
            "reputational_risk high is at least high"
        );
    }

    #[test]
    fn milder_impacts_suggest_milder_severities() {
        let policy = SeverityPolicy::default();
        let s = |impact: Impact| policy.suggest(&impact).map(|s| s.severity);
        assert_eq!(
            s(Impact {
                people_affected: Some(30),
                ..Impact::default()
            }),
            Some(Severity::Sev2)
        );
        assert_eq!(
            s(Impact {
                customers_affected: Some(3),
                reputational_risk: Some(ReputationalRisk::Low),
                ..Impact::default()
            }),
            Some(Severity::Sev3)
        );
        assert_eq!(s(Impact::default()), None);
        // A revenue in another currency meets no yen threshold.
        let usd = Money::new("x", 10_000_000, Currency::parse("x", "usd").unwrap()).unwrap();
        assert_eq!(
            s(Impact {
                revenue_per_day: Some(usd),
                ..Impact::default()
            }),
            None
        );
    }

    #[test]
    fn values_parse_and_name_their_field() {
        assert_eq!(Severity::parse("sev2").unwrap(), Severity::Sev2);
        assert_eq!(Severity::parse("3").unwrap(), Severity::Sev3);
        assert_eq!(Severity::parse("SEV5").unwrap_err().field, "severity");
        assert_eq!(Severity::Sev1.level(), 1);
        assert_eq!(Severity::from_level(4), Some(Severity::Sev4));
        assert_eq!(Severity::from_level(0), None);
        assert_eq!(Currency::parse("c", "jpy").unwrap().as_str(), "JPY");
        assert_eq!(Currency::parse("c", "YEN").unwrap_err().field, "c");
        assert_eq!(
            Money::parse("m", "10,000,000 JPY").unwrap(),
            jpy(10_000_000)
        );
        assert!(Money::parse("m", "-1 JPY").is_err());
        assert!(Money::parse("m", "JPY").is_err());
        let err = Impact::parse(None, Some(1), None, None, None).unwrap_err();
        assert_eq!(err.field, "impact.currency");
        let err = Impact::parse(Some(-1), None, None, None, None).unwrap_err();
        assert_eq!(err.field, "impact.people_affected");
        let err = Impact::parse(None, None, None, None, Some("huge")).unwrap_err();
        assert_eq!(err.field, "impact.reputational_risk");
        let err = Impact::parse(None, Some(5), Some("XYZ"), None, None).unwrap_err();
        assert_eq!(err.field, "impact.currency");
        let i = Impact::parse(
            Some(500),
            Some(10_000_000),
            Some("JPY"),
            Some(1_000),
            Some("High"),
        )
        .unwrap();
        assert_eq!(i.reputational_risk, Some(ReputationalRisk::High));
    }

    #[test]
    fn policies_are_configurable_and_checked() {
        let mut def = PolicyDef::default();
        def.severities[0].name = "重大".into();
        def.severities[0].description = "全社的な業務停止".into();
        def.rules = vec![RuleDef {
            severity: "SEV2".into(),
            people_affected_at_least: None,
            revenue_per_day_at_least: vec!["35000 USD".into()],
            customers_affected_at_least: None,
            reputational_risk_at_least: String::new(),
        }];
        let p = def.build().unwrap();
        assert_eq!(p.level(Severity::Sev1).name, "重大");
        assert_eq!(
            p.level(Severity::Sev1).description.as_deref(),
            Some("全社的な業務停止")
        );
        assert_eq!(p.level(Severity::Sev2).description, None);
        let usd = Money::parse("x", "40000 USD").unwrap();
        let s = p
            .suggest(&Impact {
                revenue_per_day: Some(usd),
                ..Impact::default()
            })
            .unwrap();
        assert_eq!(s.severity, Severity::Sev2);
        def.rules[0].revenue_per_day_at_least = vec!["35000 dollars".into()];
        assert_eq!(
            def.build().unwrap_err().field,
            "incidents.rules[0].revenue_per_day_at_least[0]"
        );
        def.rules[0].severity = "P1".into();
        assert_eq!(
            def.build().unwrap_err().field,
            "incidents.rules[0].severity"
        );
        let mut def = PolicyDef::default();
        def.severities[1].name = " ".into();
        assert_eq!(
            def.build().unwrap_err().field,
            "incidents.severities[1].name"
        );
    }
}
