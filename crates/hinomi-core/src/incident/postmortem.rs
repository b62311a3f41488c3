//! The postmortem hinomi drafts from an incident's record, in the structure of the seed's
//! report (overview; problem and impact; response approach and team; direct and root
//! causes; emergency measures; results; lessons; medium- and long-term improvements;
//! prevention; next steps), in Japanese or English. [`draft`] is a pure function of the
//! [`Facts`]: the figures come from the record (the downtime and every "time to" from
//! [`Milestones::durations`]), the causes and measures from the timeline (findings are the
//! direct causes, confirmed hypotheses the root causes, measures the emergency measures),
//! the results from the recovery checks and the impact record. Each section is Markdown
//! that people then edit; [`markdown`] puts the sections together under the title.

use std::fmt::Write as _;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::action_item::{Category, Horizon, ItemStatus};
use super::recovery::{Check, CheckState, ImpactRecord};
use super::{
    EntryKind, FieldError, Impact, Milestone, Milestones, ReputationalRisk, Severity, Verdict,
};
use crate::locale::Locale;

/// A section of the postmortem, in the seed's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Overview,
    ProblemAndImpact,
    Response,
    Causes,
    EmergencyMeasures,
    Results,
    Lessons,
    Improvements,
    Prevention,
    NextSteps,
}

impl Section {
    pub const ALL: [Section; 10] = [
        Section::Overview,
        Section::ProblemAndImpact,
        Section::Response,
        Section::Causes,
        Section::EmergencyMeasures,
        Section::Results,
        Section::Lessons,
        Section::Improvements,
        Section::Prevention,
        Section::NextSteps,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Section::Overview => "overview",
            Section::ProblemAndImpact => "problem_and_impact",
            Section::Response => "response",
            Section::Causes => "causes",
            Section::EmergencyMeasures => "emergency_measures",
            Section::Results => "results",
            Section::Lessons => "lessons",
            Section::Improvements => "improvements",
            Section::Prevention => "prevention",
            Section::NextSteps => "next_steps",
        }
    }

    pub fn parse(value: &str) -> Result<Section, FieldError> {
        super::one_of(
            &Section::ALL,
            Section::as_str,
            "section",
            "postmortem section",
            value,
        )
    }

    /// The section's heading in `locale`.
    pub fn heading(self, locale: Locale) -> &'static str {
        let (ja, en) = match self {
            Section::Overview => ("概要", "Overview"),
            Section::ProblemAndImpact => ("問題と影響", "Problem and impact"),
            Section::Response => ("対応アプローチと体制", "Response approach and team"),
            Section::Causes => ("直接原因と根本原因", "Direct and root causes"),
            Section::EmergencyMeasures => ("緊急対策", "Emergency measures"),
            Section::Results => ("実施結果", "Results"),
            Section::Lessons => ("教訓", "Lessons"),
            Section::Improvements => ("中長期的な改善", "Medium- and long-term improvements"),
            Section::Prevention => ("予防策", "Prevention"),
            Section::NextSteps => ("今後の展開", "Next steps"),
        };
        pick(locale, ja, en)
    }
}

/// Longest section body, in characters.
pub const MAX_SECTION_CHARS: usize = 50_000;

/// A section's body as edited: may be empty, at most [`MAX_SECTION_CHARS`].
pub fn parse_body(value: &str) -> Result<String, FieldError> {
    super::text("body", value, MAX_SECTION_CHARS, true)
}

/// A timeline entry people wrote, as the postmortem reads it (the latest version of a
/// corrected entry only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineFact {
    pub at: i64,
    pub kind: EntryKind,
    pub verdict: Option<Verdict>,
    pub text: String,
}

/// A recovery check as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFact {
    pub check: Check,
    pub state: CheckState,
    pub note: String,
}

/// Someone in a response role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    /// The role's name as the installation words it: "Incident manager".
    pub role: String,
    /// Who held it.
    pub person: String,
}

/// An action item as the postmortem lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionItemFact {
    pub title: String,
    pub category: Category,
    pub horizon: Horizon,
    /// The owner's name.
    pub owner: Option<String>,
    pub due: Option<Date>,
    pub status: ItemStatus,
}

/// Everything a postmortem is drafted from.
#[derive(Debug, Clone)]
pub struct Facts {
    /// `INC-42`.
    pub reference: String,
    pub title: String,
    pub summary: String,
    pub severity: Severity,
    /// The installation's name for the severity.
    pub severity_name: String,
    /// Names of the affected services.
    pub services: Vec<String>,
    pub impact: Impact,
    pub milestones: Milestones,
    /// People's entries (notes, hypotheses, findings, measures) in the order they happened.
    pub timeline: Vec<TimelineFact>,
    /// The recovery checks, one per [`Check`], in [`Check::ALL`]'s order.
    pub checks: Vec<CheckFact>,
    pub impact_record: ImpactRecord,
    /// The response team: who held which role.
    pub team: Vec<TeamMember>,
    pub action_items: Vec<ActionItemFact>,
}

fn pick(locale: Locale, ja: &'static str, en: &'static str) -> &'static str {
    match locale {
        Locale::Ja => ja,
        Locale::En => en,
    }
}

/// `10,000,000`.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A length of time to the minute: `19時間`, `1 hour 5 minutes`.
pub fn human_duration(ms: i64, locale: Locale) -> String {
    let minutes = ms.max(0) / 60_000;
    let (h, m) = (minutes / 60, minutes % 60);
    match locale {
        Locale::Ja => match (h, m) {
            (0, m) => format!("{m}分"),
            (h, 0) => format!("{h}時間"),
            (h, m) => format!("{h}時間{m}分"),
        },
        Locale::En => {
            let unit = |n: i64, one: &str| {
                if n == 1 {
                    format!("1 {one}")
                } else {
                    format!("{n} {one}s")
                }
            };
            match (h, m) {
                (0, m) => unit(m, "minute"),
                (h, 0) => unit(h, "hour"),
                (h, m) => format!("{} {}", unit(h, "hour"), unit(m, "minute")),
            }
        }
    }
}

/// An instant as `2024-12-01 15:00` on the wall clock of `zone`.
fn wall(ms: i64, zone: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(zone.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Text on one line, for a list item.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `label：value` (ja) or `label: value` (en).
fn kv(locale: Locale, label: &str, value: &str) -> String {
    match locale {
        Locale::Ja => format!("- {label}：{value}\n"),
        Locale::En => format!("- {label}: {value}\n"),
    }
}

/// `(text)` with the language's brackets.
fn paren(locale: Locale, text: &str) -> String {
    match locale {
        Locale::Ja => format!("（{text}）"),
        Locale::En => format!(" ({text})"),
    }
}

fn hint(locale: Locale) -> String {
    pick(
        locale,
        "_（チームで記入してください）_\n",
        "_To be written by the team._\n",
    )
    .to_owned()
}

fn not_recorded(locale: Locale) -> &'static str {
    pick(locale, "記録なし", "not recorded")
}

fn milestone_name(m: Milestone, locale: Locale) -> &'static str {
    let (ja, en) = match m {
        Milestone::Started => ("発生", "Started"),
        Milestone::Detected => ("検知", "Detected"),
        Milestone::Declared => ("宣言", "Declared"),
        Milestone::Acknowledged => ("対応開始", "Acknowledged"),
        Milestone::Mitigated => ("復旧", "Mitigated"),
        Milestone::Resolved => ("解決", "Resolved"),
    };
    pick(locale, ja, en)
}

fn risk_name(r: ReputationalRisk, locale: Locale) -> &'static str {
    let (ja, en) = match r {
        ReputationalRisk::Low => ("小", "low"),
        ReputationalRisk::Medium => ("中", "medium"),
        ReputationalRisk::High => ("大", "high"),
        ReputationalRisk::Critical => ("重大", "critical"),
    };
    pick(locale, ja, en)
}

/// A recovery check's name in `locale`.
pub fn check_name(c: Check, locale: Locale) -> &'static str {
    let (ja, en) = match c {
        Check::Performance => ("性能", "Performance"),
        Check::Functions => ("機能", "Functions"),
        Check::DataIntegrity => ("データ整合性", "Data integrity"),
        Check::Access => ("アクセス", "Access"),
    };
    pick(locale, ja, en)
}

fn state_name(s: CheckState, locale: Locale) -> &'static str {
    let (ja, en) = match s {
        CheckState::NotChecked => ("未確認", "not checked"),
        CheckState::Ok => ("正常", "ok"),
        CheckState::Degraded => ("低下", "degraded"),
        CheckState::Failed => ("異常", "failed"),
    };
    pick(locale, ja, en)
}

fn category_name(c: Category, locale: Locale) -> &'static str {
    let (ja, en) = match c {
        Category::System => ("システム", "System"),
        Category::Operations => ("運用", "Operations"),
        Category::Process => ("プロセス", "Process"),
        Category::Communication => ("コミュニケーション", "Communication"),
    };
    pick(locale, ja, en)
}

fn item_status_name(s: ItemStatus, locale: Locale) -> &'static str {
    let (ja, en) = match s {
        ItemStatus::Open => ("未着手", "open"),
        ItemStatus::InProgress => ("対応中", "in progress"),
        ItemStatus::Done => ("完了", "done"),
        ItemStatus::Cancelled => ("中止", "cancelled"),
    };
    pick(locale, ja, en)
}

/// Drafts every section from `facts`, in `locale`, with times on the wall clock of `zone`;
/// `now` is the end of a downtime still running.
pub fn draft(facts: &Facts, locale: Locale, zone: &TimeZone, now: i64) -> Vec<(Section, String)> {
    let d = Drafter {
        f: facts,
        l: locale,
        zone,
        now,
    };
    Section::ALL
        .into_iter()
        .map(|s| {
            let body = match s {
                Section::Overview => d.overview(),
                Section::ProblemAndImpact => d.problem_and_impact(),
                Section::Response => d.response(),
                Section::Causes => d.causes(),
                Section::EmergencyMeasures => d.measures(),
                Section::Results => d.results(),
                Section::Lessons => d.lessons(),
                Section::Improvements => d.improvements(),
                Section::Prevention => hint(locale),
                Section::NextSteps => d.next_steps(),
            };
            (s, body.trim_end().to_owned())
        })
        .collect()
}

/// The postmortem as one Markdown document: the title, then each section under its
/// numbered heading.
pub fn markdown(
    reference: &str,
    title: &str,
    locale: Locale,
    sections: &[(Section, String)],
) -> String {
    let mut out = format!(
        "# {}{reference} {}\n",
        pick(locale, "ポストモーテム：", "Postmortem: "),
        one_line(title)
    );
    for (i, (s, body)) in sections.iter().enumerate() {
        let _ = write!(out, "\n## {}. {}\n\n", i + 1, s.heading(locale));
        if !body.trim().is_empty() {
            out.push_str(body.trim_end());
            out.push('\n');
        }
    }
    out
}

struct Drafter<'a> {
    f: &'a Facts,
    l: Locale,
    zone: &'a TimeZone,
    now: i64,
}

impl Drafter<'_> {
    fn t(&self, ja: &'static str, en: &'static str) -> &'static str {
        pick(self.l, ja, en)
    }

    fn zone_name(&self) -> &str {
        self.zone.iana_name().unwrap_or("UTC")
    }

    /// The people's entries of `kind` (and, for hypotheses, `verdict`).
    fn entries(&self, kind: EntryKind, verdict: Option<Verdict>) -> Vec<&TimelineFact> {
        self.f
            .timeline
            .iter()
            .filter(|e| e.kind == kind && (verdict.is_none() || e.verdict == verdict))
            .collect()
    }

    fn list(&self, entries: &[&TimelineFact], with_time: bool) -> String {
        let mut out = String::new();
        for e in entries {
            if with_time {
                let _ = writeln!(out, "- {} {}", wall(e.at, self.zone), one_line(&e.text));
            } else {
                let _ = writeln!(out, "- {}", one_line(&e.text));
            }
        }
        if out.is_empty() {
            out = hint(self.l);
        }
        out
    }

    fn team_line(&self) -> String {
        let team = &self.f.team;
        if team.is_empty() {
            return not_recorded(self.l).to_owned();
        }
        let mut people: Vec<&str> = team.iter().map(|m| m.person.as_str()).collect();
        people.sort_unstable();
        people.dedup();
        let roles: Vec<&str> = team.iter().map(|m| m.role.as_str()).collect();
        match self.l {
            Locale::Ja => format!("{}名（{}）", people.len(), roles.join("、")),
            Locale::En => format!(
                "{} {} ({})",
                people.len(),
                if people.len() == 1 {
                    "person"
                } else {
                    "people"
                },
                roles.join(", ")
            ),
        }
    }

    fn overview(&self) -> String {
        let f = self.f;
        let m = &f.milestones;
        let mut out = String::new();
        out += &kv(
            self.l,
            self.t("インシデント名", "Incident"),
            &format!("{} {}", f.reference, one_line(&f.title)),
        );
        out += &kv(
            self.l,
            self.t("重大度", "Severity"),
            &format!("{}{}", f.severity, paren(self.l, &f.severity_name)),
        );
        let start = m
            .get(Milestone::Started)
            .or(m.get(Milestone::Detected))
            .or(m.get(Milestone::Declared));
        let end = m.get(Milestone::Mitigated).or(m.get(Milestone::Resolved));
        if let Some(start) = start {
            let end = end.map_or_else(
                || self.t("継続中", "ongoing").to_owned(),
                |e| wall(e, self.zone),
            );
            let sep = self.t(" 〜 ", " to ");
            out += &kv(
                self.l,
                self.t("発生期間", "Period"),
                &format!(
                    "{}{sep}{end}{}",
                    wall(start, self.zone),
                    paren(self.l, self.zone_name())
                ),
            );
        }
        out += &kv(
            self.l,
            self.t("対応チーム", "Response team"),
            &self.team_line(),
        );
        let scope = if f.services.is_empty() {
            not_recorded(self.l).to_owned()
        } else {
            f.services.join(self.t("、", ", "))
        };
        out += &kv(self.l, self.t("影響範囲", "Affected services"), &scope);
        out
    }

    fn problem_and_impact(&self) -> String {
        let f = self.f;
        let mut out = format!("### {}\n\n", self.t("発生した問題", "What happened"));
        if f.summary.trim().is_empty() {
            out += &hint(self.l);
        } else {
            out += f.summary.trim();
            out.push('\n');
        }
        let _ = write!(out, "\n### {}\n\n", self.t("影響度", "Impact"));
        let i = &f.impact;
        let none = not_recorded(self.l);
        let people = i.people_affected.map_or(none.to_owned(), |n| match self.l {
            Locale::Ja => format!("{}名", grouped(n)),
            Locale::En => grouped(n),
        });
        out += &kv(self.l, self.t("業務停止", "People unable to work"), &people);
        let revenue = i.revenue_per_day.map_or(none.to_owned(), |r| {
            format!(
                "{} {}{}",
                grouped(r.amount),
                r.currency,
                self.t("/日", "/day")
            )
        });
        out += &kv(self.l, self.t("売上影響", "Revenue impact"), &revenue);
        let customers = i
            .customers_affected
            .map_or(none.to_owned(), |n| match self.l {
                Locale::Ja => format!("{}社", grouped(n)),
                Locale::En => grouped(n),
            });
        out += &kv(self.l, self.t("顧客影響", "Customers affected"), &customers);
        let risk = i.reputational_risk.map_or(none, |r| risk_name(r, self.l));
        out += &kv(
            self.l,
            self.t("レピュテーションリスク", "Reputational risk"),
            risk,
        );
        out
    }

    fn response(&self) -> String {
        let f = self.f;
        let mut out = format!("### {}\n\n", self.t("経過", "Course of the response"));
        for (m, at) in f.milestones.iter() {
            if let Some(at) = at {
                out += &kv(self.l, milestone_name(m, self.l), &wall(at, self.zone));
            }
        }
        let d = f.milestones.durations(self.now);
        let named = [
            (self.t("検知までの時間", "Time to detect"), d.time_to_detect),
            (
                self.t("宣言までの時間", "Time to declare"),
                d.time_to_declare,
            ),
            (
                self.t("対応開始までの時間", "Time to acknowledge"),
                d.time_to_acknowledge,
            ),
            (
                self.t("復旧までの時間", "Time to mitigate"),
                d.time_to_mitigate,
            ),
            (
                self.t("解決までの時間", "Time to resolve"),
                d.time_to_resolve,
            ),
        ];
        let mut durations = String::new();
        for (name, v) in named {
            if let Some(ms) = v {
                durations += &kv(self.l, name, &human_duration(ms, self.l));
            }
        }
        if !durations.is_empty() {
            let _ = write!(
                out,
                "\n### {}\n\n{durations}",
                self.t("所要時間", "Durations")
            );
        }
        let _ = write!(out, "\n### {}\n\n", self.t("体制", "Team"));
        if f.team.is_empty() {
            out += self.t(
                "- 役割の割り当ての記録はありません\n",
                "- No roles were recorded\n",
            );
        } else {
            for m in &f.team {
                out += &kv(self.l, &one_line(&m.role), &one_line(&m.person));
            }
        }
        out
    }

    fn causes(&self) -> String {
        let direct = self.entries(EntryKind::Finding, None);
        let root = self.entries(EntryKind::Hypothesis, Some(Verdict::Confirmed));
        format!(
            "### {}\n\n{}\n### {}\n\n{}",
            self.t("直接原因", "Direct causes"),
            self.list(&direct, false),
            self.t("根本原因", "Root causes"),
            self.list(&root, false)
        )
    }

    fn measures(&self) -> String {
        self.list(&self.entries(EntryKind::Measure, None), true)
    }

    fn results(&self) -> String {
        let f = self.f;
        let mut out = format!("### {}\n\n", self.t("システム復旧", "Recovery"));
        for c in &f.checks {
            let mut v = state_name(c.state, self.l).to_owned();
            if !c.note.trim().is_empty() {
                v += &paren(self.l, &one_line(&c.note));
            }
            out += &kv(self.l, check_name(c.check, self.l), &v);
        }
        let _ = write!(out, "\n### {}\n\n", self.t("業務影響", "Business impact"));
        let none = not_recorded(self.l);
        let downtime = match f.milestones.durations(self.now).downtime {
            Some(s) if s.ongoing => format!(
                "{}{}",
                human_duration(s.ms, self.l),
                paren(self.l, self.t("継続中", "ongoing"))
            ),
            Some(s) => human_duration(s.ms, self.l),
            None => none.to_owned(),
        };
        out += &kv(self.l, self.t("システム停止時間", "Downtime"), &downtime);
        let r = &f.impact_record;
        let or_none = |s: &str| {
            if s.trim().is_empty() {
                none.to_owned()
            } else {
                one_line(s)
            }
        };
        out += &kv(
            self.l,
            self.t("データ損失", "Data loss"),
            &or_none(&r.data_loss),
        );
        out += &kv(
            self.l,
            self.t("業務遅延", "Business delay"),
            &or_none(&r.business_delay),
        );
        let mut handled = or_none(&r.customers_handled);
        if let Some(n) = r.customers_handled_count {
            let count = match self.l {
                Locale::Ja => format!("{}社", grouped(n)),
                Locale::En => format!("{} customers", grouped(n)),
            };
            handled = if r.customers_handled.trim().is_empty() {
                count
            } else {
                format!("{handled}{}", paren(self.l, &count))
            };
        }
        out += &kv(self.l, self.t("顧客対応", "Customers handled"), &handled);
        out
    }

    fn lessons(&self) -> String {
        let rejected = self.entries(EntryKind::Hypothesis, Some(Verdict::Rejected));
        if rejected.is_empty() {
            return hint(self.l);
        }
        format!(
            "### {}\n\n{}\n{}",
            self.t("否定された仮説", "Hypotheses ruled out"),
            self.list(&rejected, false),
            hint(self.l)
        )
    }

    fn item_line(&self, i: &ActionItemFact, details: bool) -> String {
        let mut parts = Vec::new();
        if details {
            if let Some(o) = &i.owner {
                parts.push(format!("{}{}", self.t("担当：", "owner: "), one_line(o)));
            }
            if let Some(d) = i.due {
                parts.push(format!("{}{d}", self.t("期限：", "due ")));
            }
        }
        parts.push(item_status_name(i.status, self.l).to_owned());
        format!(
            "- {}{}\n",
            one_line(&i.title),
            paren(self.l, &parts.join(self.t("、", ", ")))
        )
    }

    fn improvements(&self) -> String {
        let mut out = String::new();
        for c in Category::ALL {
            let items: Vec<&ActionItemFact> = self
                .f
                .action_items
                .iter()
                .filter(|i| i.category == c && i.status != ItemStatus::Cancelled)
                .collect();
            if items.is_empty() {
                continue;
            }
            let _ = write!(out, "### {}\n\n", category_name(c, self.l));
            for i in items {
                out += &self.item_line(i, false);
            }
            out.push('\n');
        }
        if out.is_empty() {
            out = hint(self.l);
        }
        out
    }

    fn next_steps(&self) -> String {
        let mut out = String::new();
        for (h, name) in [
            (Horizon::Short, self.t("短期計画", "Short term")),
            (Horizon::Long, self.t("長期計画", "Long term")),
        ] {
            let items: Vec<&ActionItemFact> = self
                .f
                .action_items
                .iter()
                .filter(|i| i.horizon == h && i.status.is_open())
                .collect();
            if items.is_empty() {
                continue;
            }
            let _ = write!(out, "### {name}\n\n");
            for i in items {
                out += &self.item_line(i, true);
            }
            out.push('\n');
        }
        if out.is_empty() {
            out = hint(self.l);
        }
        out
    }
}

#[cfg(test)]
mod tests;
