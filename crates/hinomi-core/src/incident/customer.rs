//! What customers are told: one notification template per incident status, each in
//! Japanese and English, with placeholders (`{title}`, `{services}`, `{started}`,
//! `{resolved}`, `{next_update}`) filled from the incident's facts. The built-in texts are
//! worded as a Japanese operations team publishes them; `[[incidents.customer_templates]]`
//! replaces them status by status. A draft is a pure function of the template, the facts,
//! the language and the zone its times are written in.

use std::fmt::Write as _;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::{FieldError, Milestone, Milestones, Status};
use crate::Locale;

/// Longest template, in characters.
pub const MAX_TEMPLATE_CHARS: usize = 4_000;

/// A status's template as the settings write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerTemplateDef {
    /// `investigating`, `identified`, `monitoring` or `resolved`.
    pub status: String,
    pub ja: String,
    pub en: String,
}

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    Title,
    /// The affected services' names, or "some services" when none are named.
    Services,
    /// The start of the impact, else its detection, else the declaration.
    Started,
    Resolved,
    NextUpdate,
}

impl Placeholder {
    pub const ALL: [Placeholder; 5] = [
        Placeholder::Title,
        Placeholder::Services,
        Placeholder::Started,
        Placeholder::Resolved,
        Placeholder::NextUpdate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Placeholder::Title => "title",
            Placeholder::Services => "services",
            Placeholder::Started => "started",
            Placeholder::Resolved => "resolved",
            Placeholder::NextUpdate => "next_update",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Value(Placeholder),
}

/// A template, parsed: text and placeholders. `{{` and `}}` write a brace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`; faults name `field`.
    pub fn parse(field: &str, text: &str) -> Result<Template, FieldError> {
        let fault = |m: String| FieldError::new(field, m);
        if text.trim().is_empty() {
            return Err(fault("must not be empty".into()));
        }
        if text.chars().count() > MAX_TEMPLATE_CHARS {
            return Err(fault(format!(
                "must be at most {MAX_TEMPLATE_CHARS} characters"
            )));
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => return Err(fault("a lone } (write }} for a brace)".into())),
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) if c != '{' && c != '\n' => name.push(c),
                            _ => {
                                return Err(fault(format!(
                                    "{{{name} is not closed (write {{{{ for a brace)"
                                )));
                            }
                        }
                    }
                    let p = Placeholder::ALL
                        .into_iter()
                        .find(|p| p.as_str() == name)
                        .ok_or_else(|| {
                            let known: Vec<String> = Placeholder::ALL
                                .iter()
                                .map(|p| format!("{{{}}}", p.as_str()))
                                .collect();
                            fault(format!(
                                "unknown placeholder {{{name}}}: expected one of {}",
                                known.join(", ")
                            ))
                        })?;
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Value(p));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// The text for `facts`, in `locale`, times on the wall clock of `zone`.
    pub fn render(&self, facts: &Facts, locale: Locale, zone: &TimeZone) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Value(p) => out.push_str(&facts.value(*p, locale, zone)),
            }
        }
        out
    }
}

/// What a draft is written from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub title: String,
    /// The affected services' names.
    pub services: Vec<String>,
    pub milestones: Milestones,
    /// When customers hear next (see [`next_update_at`]); `None`: not set.
    pub next_update: Option<i64>,
}

impl Facts {
    fn value(&self, p: Placeholder, locale: Locale, zone: &TimeZone) -> String {
        let m = &self.milestones;
        match p {
            Placeholder::Title => self.title.clone(),
            Placeholder::Services if self.services.is_empty() => {
                pick(locale, "一部のサービス", "some services").to_owned()
            }
            Placeholder::Services => self.services.join(pick(locale, "、", ", ")),
            Placeholder::Started => when(
                m.get(Milestone::Started)
                    .or(m.get(Milestone::Detected))
                    .or(m.get(Milestone::Declared)),
                locale,
                zone,
            ),
            Placeholder::Resolved => when(m.get(Milestone::Resolved), locale, zone),
            Placeholder::NextUpdate => when(self.next_update, locale, zone),
        }
    }
}

fn pick(locale: Locale, ja: &'static str, en: &'static str) -> &'static str {
    match locale {
        Locale::Ja => ja,
        Locale::En => en,
    }
}

/// An instant as customers read it, with the zone's abbreviation:
/// `2024年12月1日 15:00 (JST)`, `Dec 1, 2024 15:00 JST`; unknown: `未定`, `to be announced`.
fn when(at: Option<i64>, locale: Locale, zone: &TimeZone) -> String {
    let Some(t) = at.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok()) else {
        return pick(locale, "未定", "to be announced").to_owned();
    };
    let z = t.to_zoned(zone.clone());
    let mut out = String::new();
    let _ = match locale {
        Locale::Ja => write!(out, "{}", z.strftime("%Y年%-m月%-d日 %H:%M (%Z)")),
        Locale::En => write!(out, "{}", z.strftime("%b %-d, %Y %H:%M %Z")),
    };
    out
}

/// When customers are told they will hear next: the severity's update cadence after
/// `now`, rounded up to five minutes (`15:37` and 30 minutes give `16:10`); `None` without
/// a cadence or once the incident is resolved.
pub fn next_update_at(now: i64, every_minutes: Option<u32>, status: Status) -> Option<i64> {
    const FIVE: i64 = 5 * 60_000;
    let due = super::comms::next_update_due(now, every_minutes.filter(|_| status.is_open()))?;
    Some((due + FIVE - 1).div_euclid(FIVE) * FIVE)
}

/// The templates of the four statuses, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerTemplates {
    /// By `Status as usize`: (Japanese, English).
    by_status: [(Template, Template); 4],
}

impl Default for CustomerTemplates {
    fn default() -> Self {
        CustomerTemplates::build(&[]).expect("the built-in customer templates parse")
    }
}

impl CustomerTemplates {
    /// The built-in templates with those of `defs` in their place; faults name
    /// `incidents.customer_templates[i].<field>`.
    pub fn build(defs: &[CustomerTemplateDef]) -> Result<CustomerTemplates, FieldError> {
        let builtin = |s: Status| {
            let (ja, en) = default_texts(s);
            let path = format!("customer_templates.{s}");
            (
                Template::parse(&path, ja).expect("built-in"),
                Template::parse(&path, en).expect("built-in"),
            )
        };
        let mut by_status = Status::ALL.map(builtin);
        let mut given = Vec::new();
        for (i, d) in defs.iter().enumerate() {
            let path = format!("incidents.customer_templates[{i}]");
            let status = Status::parse(&d.status).map_err(|e| e.within(&path))?;
            if given.contains(&status) {
                return Err(FieldError::new(
                    format!("{path}.status"),
                    format!("{status} has a template already"),
                ));
            }
            given.push(status);
            by_status[status as usize] = (
                Template::parse(&format!("{path}.ja"), &d.ja)?,
                Template::parse(&format!("{path}.en"), &d.en)?,
            );
        }
        Ok(CustomerTemplates { by_status })
    }

    pub fn get(&self, status: Status, locale: Locale) -> &Template {
        let (ja, en) = &self.by_status[status as usize];
        match locale {
            Locale::Ja => ja,
            Locale::En => en,
        }
    }

    /// The draft for an incident in `status`.
    pub fn draft(&self, status: Status, facts: &Facts, locale: Locale, zone: &TimeZone) -> String {
        self.get(status, locale).render(facts, locale, zone)
    }
}

/// The built-in (Japanese, English) texts of a status.
fn default_texts(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Investigating => (
            "現在、{services}において障害が発生しております。\n\
             原因を調査しており、詳細が判明し次第お知らせいたします。\n\
             お客様には大変ご迷惑をおかけしておりますことを、深くお詫び申し上げます。\n\
             \n\
             ■事象：{title}\n\
             ■発生日時：{started}\n\
             ■影響範囲：{services}\n\
             ■次回更新予定：{next_update}",
            "We are experiencing an issue affecting {services}.\n\
             We are investigating the cause and will share more as soon as we know it.\n\
             We sincerely apologise for the inconvenience.\n\
             \n\
             Issue: {title}\n\
             Started: {started}\n\
             Affected: {services}\n\
             Next update: {next_update}",
        ),
        Status::Identified => (
            "{services}において発生している障害について、原因を特定いたしました。\n\
             現在、復旧に向けた対応を進めております。\n\
             お客様には大変ご迷惑をおかけしておりますことを、深くお詫び申し上げます。\n\
             \n\
             ■事象：{title}\n\
             ■発生日時：{started}\n\
             ■影響範囲：{services}\n\
             ■次回更新予定：{next_update}",
            "We have identified the cause of the issue affecting {services} and are working \
             on a fix.\n\
             We sincerely apologise for the inconvenience.\n\
             \n\
             Issue: {title}\n\
             Started: {started}\n\
             Affected: {services}\n\
             Next update: {next_update}",
        ),
        Status::Monitoring => (
            "{services}において発生していた障害について、復旧のための対応を実施いたしました。\n\
             現在、正常に動作していることを確認しており、引き続き状況を注視してまいります。\n\
             お客様には大変ご迷惑をおかけしておりますことを、深くお詫び申し上げます。\n\
             \n\
             ■事象：{title}\n\
             ■発生日時：{started}\n\
             ■影響範囲：{services}\n\
             ■次回更新予定：{next_update}",
            "A fix has been put in place for the issue affecting {services}, and we are \
             monitoring the results.\n\
             We sincerely apologise for the inconvenience.\n\
             \n\
             Issue: {title}\n\
             Started: {started}\n\
             Affected: {services}\n\
             Next update: {next_update}",
        ),
        Status::Resolved => (
            "{services}において発生していた障害は、復旧いたしました。\n\
             お客様には多大なるご迷惑をおかけしましたことを、深くお詫び申し上げます。\n\
             今後、同様の事象が発生しないよう、再発防止に努めてまいります。\n\
             \n\
             ■事象：{title}\n\
             ■発生日時：{started}\n\
             ■復旧日時：{resolved}\n\
             ■影響範囲：{services}",
            "The issue affecting {services} has been resolved.\n\
             We sincerely apologise for the inconvenience it caused, and we are taking \
             steps to prevent it from happening again.\n\
             \n\
             Issue: {title}\n\
             Started: {started}\n\
             Resolved: {resolved}\n\
             Affected: {services}",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-12-01T06:00:00Z: 15:00 in Tokyo.
    const T0: i64 = 1_733_032_800_000;
    const MIN: i64 = 60_000;

    fn tokyo() -> TimeZone {
        TimeZone::get("Asia/Tokyo").unwrap()
    }

    fn facts(services: &[&str]) -> Facts {
        let mut milestones = Milestones::default();
        milestones.set(Milestone::Declared, Some(T0 + 10 * MIN));
        milestones.set(Milestone::Started, Some(T0));
        Facts {
            title: "受注システム障害".into(),
            services: services.iter().map(|s| (*s).to_owned()).collect(),
            milestones,
            next_update: Some(T0 + 60 * MIN),
        }
    }

    fn check(template: &str, facts: &Facts, locale: Locale, expect: &str) {
        let t = Template::parse("t", template).unwrap();
        assert_eq!(t.render(facts, locale, &tokyo()), expect);
    }

    #[test]
    fn placeholders_are_filled_in_each_language() {
        let f = facts(&["受注", "在庫"]);
        check(
            "{title}: {services} {started} → {next_update}",
            &f,
            Locale::Ja,
            "受注システム障害: 受注、在庫 2024年12月1日 15:00 (JST) → 2024年12月1日 16:00 (JST)",
        );
        check(
            "{services} since {started}; resolved {resolved}",
            &f,
            Locale::En,
            "受注, 在庫 since Dec 1, 2024 15:00 JST; resolved to be announced",
        );
        check("復旧：{resolved}", &f, Locale::Ja, "復旧：未定");
        // No services named: a generic phrase.
        check("{services}", &facts(&[]), Locale::Ja, "一部のサービス");
        check("{services}", &facts(&[]), Locale::En, "some services");
        // Braces doubled are braces.
        check("{{title}} }}", &f, Locale::En, "{title} }");
        // Another zone, another wall clock.
        let t = Template::parse("t", "{started}").unwrap();
        let ny = TimeZone::get("America/New_York").unwrap();
        assert_eq!(t.render(&f, Locale::En, &ny), "Dec 1, 2024 01:00 EST");
    }

    #[test]
    fn started_falls_back_to_detection_then_declaration() {
        let mut f = facts(&[]);
        f.milestones.set(Milestone::Started, None);
        check("{started}", &f, Locale::En, "Dec 1, 2024 15:10 JST");
        f.milestones.set(Milestone::Detected, Some(T0 + 5 * MIN));
        check("{started}", &f, Locale::En, "Dec 1, 2024 15:05 JST");
    }

    #[test]
    fn bad_templates_name_the_fault() {
        let err = |text: &str| Template::parse("x.ja", text).unwrap_err();
        let e = err("障害 {foo} です");
        assert_eq!(e.field, "x.ja");
        assert!(
            e.message.starts_with("unknown placeholder {foo}"),
            "{}",
            e.message
        );
        assert!(err("{title").message.contains("not closed"));
        assert!(err("a } b").message.contains("lone }"));
        assert!(err("{ti\ntle}").message.contains("not closed"));
        assert_eq!(err("  ").message, "must not be empty");
        assert!(Template::parse("x", &"あ".repeat(MAX_TEMPLATE_CHARS + 1)).is_err());
    }

    #[test]
    fn the_built_in_drafts_name_the_facts_in_both_languages() {
        let all = CustomerTemplates::default();
        let f = facts(&["在庫管理"]);
        for s in Status::ALL {
            let ja = all.draft(s, &f, Locale::Ja, &tokyo());
            let en = all.draft(s, &f, Locale::En, &tokyo());
            for text in [&ja, &en] {
                assert!(text.contains("受注システム障害"), "{s}: {text}");
                assert!(text.contains("在庫管理"), "{s}: {text}");
                assert!(!text.contains('{'), "{s}: {text}");
            }
            assert!(ja.contains("申し訳") || ja.contains("お詫び"), "{ja}");
            assert!(en.contains("apologise"), "{en}");
        }
        let ja = all.draft(Status::Investigating, &f, Locale::Ja, &tokyo());
        assert!(
            ja.starts_with("現在、在庫管理において障害が発生しております。"),
            "{ja}"
        );
        assert!(
            ja.contains("■次回更新予定：2024年12月1日 16:00 (JST)"),
            "{ja}"
        );
        let mut done = f.clone();
        done.milestones
            .set(Milestone::Resolved, Some(T0 + 90 * MIN));
        let en = all.draft(Status::Resolved, &done, Locale::En, &tokyo());
        assert!(en.contains("Resolved: Dec 1, 2024 16:30 JST"), "{en}");
    }

    #[test]
    fn settings_replace_templates_status_by_status() {
        let def = |status: &str, ja: &str, en: &str| CustomerTemplateDef {
            status: status.into(),
            ja: ja.into(),
            en: en.into(),
        };
        let all = CustomerTemplates::build(&[def(
            "Identified",
            "原因特定：{title}",
            "Cause found: {title}",
        )])
        .unwrap();
        let f = facts(&[]);
        let z = tokyo();
        assert_eq!(
            all.draft(Status::Identified, &f, Locale::Ja, &z),
            "原因特定：受注システム障害"
        );
        assert_eq!(
            all.draft(Status::Identified, &f, Locale::En, &z),
            "Cause found: 受注システム障害"
        );
        // The others keep the built-in texts.
        assert_eq!(
            all.get(Status::Resolved, Locale::Ja),
            CustomerTemplates::default().get(Status::Resolved, Locale::Ja)
        );

        for (defs, field) in [
            (
                vec![
                    def("resolved", "ok", "ok"),
                    def("monitoring", "{foo}", "ok"),
                ],
                "incidents.customer_templates[1].ja",
            ),
            (
                vec![def("resolved", "ok", "{next}")],
                "incidents.customer_templates[0].en",
            ),
            (
                vec![def("fixed", "ok", "ok")],
                "incidents.customer_templates[0].status",
            ),
            (
                vec![def("resolved", "ok", "ok"), def("resolved", "ok", "ok")],
                "incidents.customer_templates[1].status",
            ),
            (
                vec![def("resolved", "", "ok")],
                "incidents.customer_templates[0].ja",
            ),
        ] {
            assert_eq!(CustomerTemplates::build(&defs).unwrap_err().field, field);
        }
    }

    #[test]
    fn the_next_update_follows_the_cadence_rounded_up() {
        let at = |min: i64| T0 + min * MIN;
        assert_eq!(
            next_update_at(at(37), Some(30), Status::Investigating),
            Some(at(70))
        );
        assert_eq!(
            next_update_at(at(30), Some(30), Status::Monitoring),
            Some(at(60))
        );
        assert_eq!(
            next_update_at(at(30) + 1, Some(30), Status::Identified),
            Some(at(65))
        );
        assert_eq!(next_update_at(at(0), None, Status::Investigating), None);
        assert_eq!(next_update_at(at(0), Some(30), Status::Resolved), None);
    }
}
