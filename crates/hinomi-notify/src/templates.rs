//! What a notice says, in the recipient's language (Japanese and English), shaped for each
//! channel: an email's subject, text and HTML, a short text message, the speech of a call,
//! Slack blocks, a Teams Adaptive Card, a LINE WORKS text.
//!
//! Every shape is built from the same parts ([`Parts`]: a headline, an introduction, the
//! alert lines, the actions and the console link), so the channels cannot tell different
//! stories. Times are shown in Japan time to Japanese readers and in UTC to English ones.

use hinomi_core::{ActionKind, Locale, Notice, NoticeKind};
use serde_json::{Value, json};

/// Alerts listed by name in a message; the rest are counted.
const LISTED_ALERTS: usize = 10;
/// Alerts read out in a call.
const SPOKEN_ALERTS: usize = 3;

/// An email's texts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailText {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The parts every shape of a notice is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parts {
    /// One line: what happened and to what.
    pub headline: String,
    /// One or two sentences addressed to the recipient.
    pub intro: String,
    /// One line per listed alert.
    pub alerts: Vec<String>,
    /// The alert summaries (or names) a call reads out.
    pub spoken_alerts: Vec<String>,
    /// "and 3 more", when alerts were left out.
    pub more: Option<String>,
    /// Label and URL of each action.
    pub actions: Vec<(String, String)>,
    /// Label and URL of the console page.
    pub console: Option<(String, String)>,
}

/// Picks the Japanese or the English text.
fn t<'a>(locale: Locale, ja: &'a str, en: &'a str) -> &'a str {
    match locale {
        Locale::Ja => ja,
        Locale::En => en,
    }
}

/// An instant as the recipient reads it: Japan time for Japanese, UTC for English.
pub fn format_time(ms: i64, locale: Locale) -> String {
    let zone = match locale {
        Locale::Ja => jiff::tz::TimeZone::get("Asia/Tokyo").unwrap_or(jiff::tz::TimeZone::UTC),
        Locale::En => jiff::tz::TimeZone::UTC,
    };
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.to_zoned(zone).strftime("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => ms.to_string(),
    }
}

/// An incident's status as a stakeholder reads it.
fn incident_status(status: &str, l: Locale) -> &str {
    match status {
        "investigating" => t(l, "調査中", "investigating"),
        "identified" => t(l, "原因特定", "identified"),
        "monitoring" => t(l, "経過観察", "monitoring"),
        "resolved" => t(l, "解決", "resolved"),
        other => other,
    }
}

/// The label of an action's button or link.
pub fn action_label(kind: ActionKind, locale: Locale) -> &'static str {
    match kind {
        ActionKind::Acknowledge => t(locale, "確認する", "Acknowledge"),
        ActionKind::Resolve => t(locale, "解決済みにする", "Resolve"),
    }
}

impl Parts {
    pub fn of(n: &Notice) -> Parts {
        let l = n.locale;
        let firing = n.alerts.iter().filter(|a| a.firing).count();
        let total = n.alerts.len();
        let (headline, intro) = match &n.kind {
            NoticeKind::Page { step, round } => (
                format!("{}: {}", t(l, "対応依頼", "Page"), n.title),
                match l {
                    Locale::Ja => format!(
                        "{} さん、アラート {total} 件 (発生中 {firing} 件) の対応をお願いします。エスカレーション {} 段目 ({} 巡目) です。",
                        n.recipient,
                        step + 1,
                        round + 1
                    ),
                    Locale::En => format!(
                        "{}, {total} alert(s) ({firing} firing) need you. Escalation step {}, round {}.",
                        n.recipient,
                        step + 1,
                        round + 1
                    ),
                },
            ),
            NoticeKind::Test { code } => (
                t(l, "hinomi からのテスト通知", "Test message from hinomi").to_owned(),
                match l {
                    Locale::Ja => format!(
                        "{} さん、この連絡先に通知が届きました。確認コード: {code}",
                        n.recipient
                    ),
                    Locale::En => format!(
                        "{}, this contact method works. Confirmation code: {code}",
                        n.recipient
                    ),
                },
            ),
            NoticeKind::Acknowledged { by, how } => (
                format!("{}: {}", t(l, "確認済み", "Acknowledged"), n.title),
                match l {
                    Locale::Ja => format!("{by} さんが確認しました ({how})。"),
                    Locale::En => format!("{by} acknowledged it ({how})."),
                },
            ),
            NoticeKind::Resolved => (
                format!("{}: {}", t(l, "解決", "Resolved"), n.title),
                t(l, "解決しました。", "It is resolved.").to_owned(),
            ),
            NoticeKind::ShiftStart {
                schedule, at, end, ..
            } => (
                format!("{}: {schedule}", t(l, "オンコール開始", "On call")),
                match l {
                    Locale::Ja => format!(
                        "{} さん、{} から {} まで {schedule} のオンコール担当です。",
                        n.recipient,
                        format_time(*at, l),
                        format_time(*end, l)
                    ),
                    Locale::En => format!(
                        "{}, you are on call for {schedule} from {} to {}.",
                        n.recipient,
                        format_time(*at, l),
                        format_time(*end, l)
                    ),
                },
            ),
            NoticeKind::ShiftEnd { schedule, at } => (
                format!("{}: {schedule}", t(l, "オンコール終了", "Off call")),
                match l {
                    Locale::Ja => format!(
                        "{} さん、{schedule} のオンコール担当は {} に終了しました。お疲れさまでした。",
                        n.recipient,
                        format_time(*at, l)
                    ),
                    Locale::En => format!(
                        "{}, your on-call shift for {schedule} ended at {}.",
                        n.recipient,
                        format_time(*at, l)
                    ),
                },
            ),
            NoticeKind::UpdateOverdue { reference, due_at } => (
                format!(
                    "{} {reference}: {}",
                    t(l, "報告期限超過", "Update overdue"),
                    n.title
                ),
                match l {
                    Locale::Ja => format!(
                        "{} さん、インシデント {reference} の関係者への報告が期限 ({}) を過ぎています。状況を報告してください。",
                        n.recipient,
                        format_time(*due_at, l)
                    ),
                    Locale::En => format!(
                        "{}, incident {reference} owed its stakeholders an update at {}. Please send one.",
                        n.recipient,
                        format_time(*due_at, l)
                    ),
                },
            ),
            NoticeKind::IncidentUpdate {
                reference,
                severity,
                status,
                text,
            } => (
                format!(
                    "{}: [{reference} {severity} {}] {}",
                    t(l, "インシデント続報", "Incident update"),
                    incident_status(status, l),
                    n.title
                ),
                text.clone(),
            ),
            NoticeKind::IncidentRole {
                reference,
                role,
                severity,
            } => (
                format!("{severity} {reference} {role}: {}", n.title),
                match l {
                    Locale::Ja => format!(
                        "{} さん、インシデント {reference} ({severity}) の{role}に任命されました。対応への参加をお願いします。",
                        n.recipient
                    ),
                    Locale::En => format!(
                        "{}, you are the {role} of incident {reference} ({severity}). Please join the response.",
                        n.recipient
                    ),
                },
            ),
            NoticeKind::ChecklistOverdue {
                reference,
                item,
                due_at,
            } => (
                format!("{} {reference}: {item}", t(l, "期限超過", "Overdue")),
                match l {
                    Locale::Ja => format!(
                        "{} さん、インシデント {reference} のチェックリスト項目「{item}」の期限 ({}) が過ぎました。",
                        n.recipient,
                        format_time(*due_at, l)
                    ),
                    Locale::En => format!(
                        "{}, the checklist item \"{item}\" of incident {reference} was due at {} and is not done.",
                        n.recipient,
                        format_time(*due_at, l)
                    ),
                },
            ),
            NoticeKind::IncidentEscalated {
                reference,
                severity,
                criterion,
                reason,
            } => (
                format!(
                    "{} {severity} {reference}: {}",
                    t(l, "エスカレーション", "Escalation"),
                    n.title
                ),
                match l {
                    Locale::Ja => format!(
                        "{} さん、インシデント {reference} ({severity}) がエスカレーション基準「{criterion}」に該当しました ({reason})。状況を確認し、対応に加わってください。",
                        n.recipient
                    ),
                    Locale::En => format!(
                        "{}, incident {reference} ({severity}) met the escalation criterion \"{criterion}\" ({reason}). Please look at it and join the response.",
                        n.recipient
                    ),
                },
            ),
            NoticeKind::ActionItemOverdue {
                reference,
                item,
                due,
                owner,
                to_lead,
            } => (
                format!(
                    "{} {reference}: {item}",
                    t(l, "改善項目の期限超過", "Action item overdue")
                ),
                match (l, owner, to_lead) {
                    (Locale::Ja, Some(o), true) => format!(
                        "{} さん、インシデント {reference} の改善項目「{item}」(担当: {o}) が期限 {due} を過ぎても完了していません。担当者と進め方を確認してください。",
                        n.recipient
                    ),
                    (Locale::Ja, None, true) => format!(
                        "{} さん、インシデント {reference} の改善項目「{item}」が期限 {due} を過ぎても完了していません。担当者が決まっていません。",
                        n.recipient
                    ),
                    (Locale::Ja, _, false) => format!(
                        "{} さん、インシデント {reference} の改善項目「{item}」の期限 {due} が過ぎました。完了したら状態を更新してください。",
                        n.recipient
                    ),
                    (Locale::En, Some(o), true) => format!(
                        "{}, the action item \"{item}\" of incident {reference} (owner: {o}) was due on {due} and is not done. Please check with its owner.",
                        n.recipient
                    ),
                    (Locale::En, None, true) => format!(
                        "{}, the action item \"{item}\" of incident {reference} was due on {due} and is not done. Nobody owns it.",
                        n.recipient
                    ),
                    (Locale::En, _, false) => format!(
                        "{}, the action item \"{item}\" of incident {reference} was due on {due}. Please update its status when it is done.",
                        n.recipient
                    ),
                },
            ),
        };
        let name = |a: &hinomi_core::NoticeAlert| {
            a.summary.clone().unwrap_or_else(|| {
                a.labels
                    .iter()
                    .find(|(k, _)| k == "alertname")
                    .map_or_else(|| n.title.clone(), |(_, v)| v.clone())
            })
        };
        let alerts = n
            .alerts
            .iter()
            .take(LISTED_ALERTS)
            .map(|a| {
                let state = if a.firing {
                    t(l, "発生中", "FIRING")
                } else {
                    t(l, "解決", "RESOLVED")
                };
                let labels: Vec<String> =
                    a.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!(
                    "[{state}] {} ({}) {} {}",
                    name(a),
                    labels.join(", "),
                    t(l, "開始", "since"),
                    format_time(a.starts_at, l)
                )
            })
            .collect();
        let spoken_alerts = n
            .alerts
            .iter()
            .filter(|a| a.firing)
            .take(SPOKEN_ALERTS)
            .map(name)
            .collect();
        let more = (total > LISTED_ALERTS).then(|| match l {
            Locale::Ja => format!("ほか {} 件", total - LISTED_ALERTS),
            Locale::En => format!("and {} more", total - LISTED_ALERTS),
        });
        Parts {
            headline,
            intro,
            alerts,
            spoken_alerts,
            more,
            actions: n
                .actions
                .iter()
                .map(|a| (action_label(a.kind, l).to_owned(), a.url.clone()))
                .collect(),
            console: n.console_url.as_ref().map(|u| {
                (
                    t(l, "hinomi で開く", "Open in hinomi").to_owned(),
                    u.clone(),
                )
            }),
        }
    }

    /// The alert lines, with the count of those left out.
    fn alert_lines(&self) -> impl Iterator<Item = &String> {
        self.alerts.iter().chain(self.more.iter())
    }

    /// Label and URL of every link: the actions, then the console.
    fn links(&self) -> impl Iterator<Item = &(String, String)> {
        self.actions.iter().chain(self.console.iter())
    }

    /// The plain text of the message, line by line.
    fn plain(&self) -> String {
        let mut out = format!("{}\n", self.intro);
        if !self.alerts.is_empty() {
            out.push('\n');
            for line in self.alert_lines() {
                out.push_str(&format!("{line}\n"));
            }
        }
        if self.links().next().is_some() {
            out.push('\n');
            for (label, url) in self.links() {
                out.push_str(&format!("{label}: {url}\n"));
            }
        }
        out
    }
}

/// An email: `[hinomi] headline`, a plain-text body and the same as simple HTML.
pub fn email(n: &Notice) -> EmailText {
    let p = Parts::of(n);
    let text = format!("{}\n-- \nhinomi\n", p.plain());
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><body>\n<h1>{}</h1>\n<p>{}</p>\n",
        n.locale.tag(),
        escape_html(&p.headline),
        escape_html(&p.intro)
    );
    if !p.alerts.is_empty() {
        html.push_str("<ul>\n");
        for line in p.alert_lines() {
            html.push_str(&format!("<li>{}</li>\n", escape_html(line)));
        }
        html.push_str("</ul>\n");
    }
    for (label, url) in p.links() {
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>\n",
            escape_html(url),
            escape_html(label)
        ));
    }
    html.push_str("</body></html>\n");
    EmailText {
        subject: format!("[hinomi] {}", p.headline),
        text,
        html,
    }
}

/// A text message: the headline (cut to stay within a few segments) and the acknowledge
/// link, or the test code.
pub fn sms(n: &Notice) -> String {
    let p = Parts::of(n);
    let headline: String = p.headline.chars().take(60).collect();
    let mut out = format!("[hinomi] {headline}");
    if let NoticeKind::Test { code } = &n.kind {
        out.push_str(&format!(
            "\n{}: {code}",
            t(n.locale, "確認コード", "Confirmation code")
        ));
    }
    if let Some(ack) = n.actions.iter().find(|a| a.kind == ActionKind::Acknowledge) {
        out.push_str(&format!(
            "\n{}: {}",
            action_label(ack.kind, n.locale),
            ack.url
        ));
    }
    out
}

/// What a call says: who calls, the headline, the firing alerts, and (for a page) that 1
/// acknowledges.
pub fn speech(n: &Notice) -> String {
    let p = Parts::of(n);
    let l = n.locale;
    let mut out = match l {
        Locale::Ja => format!("ヒノミからのお知らせです。{}。{}", p.headline, p.intro),
        Locale::En => format!("This is hinomi. {}. {}", p.headline, p.intro),
    };
    for alert in &p.spoken_alerts {
        out.push_str(&match l {
            Locale::Ja => format!("{alert}。"),
            Locale::En => format!(" {alert}."),
        });
    }
    if acknowledge_url(n).is_some() {
        out.push_str(t(
            l,
            "確認するには 1 を押してください。",
            " Press 1 to acknowledge.",
        ));
    }
    out
}

/// The URL that acknowledges the notice, if it offers that.
pub fn acknowledge_url(n: &Notice) -> Option<&str> {
    n.actions
        .iter()
        .find(|a| a.kind == ActionKind::Acknowledge)
        .map(|a| a.url.as_str())
}

/// How Slack buttons act.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlackButtons {
    /// Each button's value is the action's one-time token, sent back to hinomi in a
    /// signed interaction callback (a bot posting with chat.postMessage).
    Tokens,
    /// Each button opens the action's signed URL (an incoming webhook, whose app may have
    /// no interactivity).
    Links,
}

/// Slack's `text` (the notification's fallback) and `blocks`.
pub fn slack(n: &Notice, buttons: SlackButtons) -> Value {
    let p = Parts::of(n);
    let mut body = escape_slack(&p.intro);
    for line in p.alert_lines() {
        body.push_str(&format!("\n• {}", escape_slack(line)));
    }
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": cut(&p.headline, 150)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&body, 3000)}}),
    ];
    if !n.actions.is_empty() {
        let elements: Vec<Value> = n
            .actions
            .iter()
            .map(|a| {
                let (id, style) = match a.kind {
                    ActionKind::Acknowledge => ("hinomi_acknowledge", "primary"),
                    ActionKind::Resolve => ("hinomi_resolve", "danger"),
                };
                let mut button = json!({
                    "type": "button",
                    "action_id": id,
                    "text": {"type": "plain_text", "text": action_label(a.kind, n.locale)},
                    "style": style,
                });
                match buttons {
                    SlackButtons::Tokens => button["value"] = json!(a.token),
                    SlackButtons::Links => button["url"] = json!(a.url),
                }
                button
            })
            .collect();
        blocks.push(json!({"type": "actions", "block_id": "hinomi_actions", "elements": elements}));
    }
    if let Some((label, url)) = &p.console {
        blocks.push(json!({"type": "context", "elements": [
            {"type": "mrkdwn", "text": format!("<{url}|{}>", escape_slack(label))}
        ]}));
    }
    json!({"text": p.headline, "blocks": blocks})
}

/// A Teams Adaptive Card whose actions open the signed action URLs.
pub fn teams_card(n: &Notice) -> Value {
    let p = Parts::of(n);
    let mut body = vec![
        json!({"type": "TextBlock", "text": p.headline, "weight": "Bolder", "size": "Medium", "wrap": true}),
        json!({"type": "TextBlock", "text": p.intro, "wrap": true}),
    ];
    for line in p.alert_lines() {
        body.push(json!({"type": "TextBlock", "text": line, "wrap": true, "spacing": "Small"}));
    }
    let actions: Vec<Value> = p
        .links()
        .map(|(label, url)| json!({"type": "Action.OpenUrl", "title": label, "url": url}))
        .collect();
    json!({
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "lang": n.locale.tag(),
        "body": body,
        "actions": actions,
    })
}

/// A LINE WORKS text message (at most 2,000 characters).
pub fn line_works(n: &Notice) -> String {
    let p = Parts::of(n);
    cut(&format!("[hinomi] {}\n{}", p.headline, p.plain()), 2000)
}

fn cut(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max_chars - 1).collect();
    out.push('…');
    out
}

pub(crate) fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Slack's mrkdwn escapes only these three.
fn escape_slack(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use hinomi_core::{NoticeAction, NoticeAlert};

    /// 2026-12-01 12:34 UTC, 21:34 in Tokyo.
    pub(crate) const AT: i64 = 1_796_128_440_000;

    /// A page for 田中 about a full disk, one alert firing and one resolved.
    pub(crate) fn page(locale: Locale) -> Notice {
        Notice {
            kind: NoticeKind::Page { step: 0, round: 1 },
            locale,
            recipient: "田中".into(),
            page_id: Some("p1".into()),
            title: "ディスク残量わずか".into(),
            alerts: vec![
                NoticeAlert {
                    labels: vec![
                        ("alertname".into(), "DiskFull".into()),
                        ("instance".into(), "db1".into()),
                    ],
                    summary: Some("db1 のディスクが 95% です".into()),
                    starts_at: AT,
                    firing: true,
                },
                NoticeAlert {
                    labels: vec![("alertname".into(), "DiskFull".into())],
                    summary: None,
                    starts_at: AT - 3_600_000,
                    firing: false,
                },
            ],
            console_url: Some("https://hinomi.example/pages/p1".into()),
            actions: vec![
                NoticeAction {
                    kind: ActionKind::Acknowledge,
                    token: "ack-token".into(),
                    url: "https://hinomi.example/a/ack-token".into(),
                },
                NoticeAction {
                    kind: ActionKind::Resolve,
                    token: "res-token".into(),
                    url: "https://hinomi.example/a/res-token".into(),
                },
            ],
            at: AT,
        }
    }

    #[test]
    fn a_japanese_page_by_email() {
        let e = email(&page(Locale::Ja));
        assert_eq!(e.subject, "[hinomi] 対応依頼: ディスク残量わずか");
        assert_eq!(
            e.text,
            "田中 さん、アラート 2 件 (発生中 1 件) の対応をお願いします。エスカレーション 1 段目 (2 巡目) です。\n\
             \n\
             [発生中] db1 のディスクが 95% です (alertname=DiskFull, instance=db1) 開始 2026-12-01 21:34 JST\n\
             [解決] DiskFull (alertname=DiskFull) 開始 2026-12-01 20:34 JST\n\
             \n\
             確認する: https://hinomi.example/a/ack-token\n\
             解決済みにする: https://hinomi.example/a/res-token\n\
             hinomi で開く: https://hinomi.example/pages/p1\n\
             \n-- \nhinomi\n"
        );
        assert!(e.html.starts_with("<!DOCTYPE html>\n<html lang=\"ja\">"));
        assert!(
            e.html
                .contains("<a href=\"https://hinomi.example/a/ack-token\">確認する</a>")
        );
    }

    #[test]
    fn an_english_page_by_email() {
        let e = email(&page(Locale::En));
        assert_eq!(e.subject, "[hinomi] Page: ディスク残量わずか");
        assert!(e.text.starts_with(
            "田中, 2 alert(s) (1 firing) need you. Escalation step 1, round 2.\n\n\
             [FIRING] db1 のディスクが 95% です (alertname=DiskFull, instance=db1) since 2026-12-01 12:34 UTC\n"
        ), "{}", e.text);
        assert!(
            e.text
                .contains("Acknowledge: https://hinomi.example/a/ack-token\n")
        );
    }

    #[test]
    fn html_escapes_what_alerts_say() {
        let mut n = page(Locale::En);
        n.title = "<script>&".into();
        let e = email(&n);
        assert!(
            e.html.contains("<h1>Page: &lt;script&gt;&amp;</h1>"),
            "{}",
            e.html
        );
    }

    #[test]
    fn sms_is_short_and_carries_the_acknowledge_link() {
        assert_eq!(
            sms(&page(Locale::Ja)),
            "[hinomi] 対応依頼: ディスク残量わずか\n確認する: https://hinomi.example/a/ack-token"
        );
        let mut test = page(Locale::En);
        test.kind = NoticeKind::Test {
            code: "482913".into(),
        };
        test.actions.clear();
        assert_eq!(
            sms(&test),
            "[hinomi] Test message from hinomi\nConfirmation code: 482913"
        );
    }

    #[test]
    fn speech_reads_the_firing_alerts_and_how_to_acknowledge() {
        assert_eq!(
            speech(&page(Locale::Ja)),
            "ヒノミからのお知らせです。対応依頼: ディスク残量わずか。田中 さん、アラート 2 件 (発生中 1 件) の対応をお願いします。エスカレーション 1 段目 (2 巡目) です。db1 のディスクが 95% です。確認するには 1 を押してください。"
        );
        assert_eq!(
            speech(&page(Locale::En)),
            "This is hinomi. Page: ディスク残量わずか. 田中, 2 alert(s) (1 firing) need you. Escalation step 1, round 2. db1 のディスクが 95% です. Press 1 to acknowledge."
        );
    }

    #[test]
    fn slack_buttons_carry_tokens_for_a_bot_and_links_for_a_webhook() {
        let bot = slack(&page(Locale::Ja), SlackButtons::Tokens);
        assert_eq!(bot["text"], "対応依頼: ディスク残量わずか");
        let blocks = bot["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        let buttons = &blocks[2]["elements"];
        assert_eq!(
            buttons[0],
            json!({"type": "button", "action_id": "hinomi_acknowledge", "style": "primary",
                   "text": {"type": "plain_text", "text": "確認する"}, "value": "ack-token"})
        );
        assert_eq!(buttons[1]["action_id"], "hinomi_resolve");
        assert_eq!(buttons[1]["value"], "res-token");
        assert_eq!(
            blocks[3]["elements"][0]["text"],
            "<https://hinomi.example/pages/p1|hinomi で開く>"
        );
        let hook = slack(&page(Locale::En), SlackButtons::Links);
        let button = &hook["blocks"][2]["elements"][0];
        assert_eq!(button["url"], "https://hinomi.example/a/ack-token");
        assert!(button.get("value").is_none());
    }

    #[test]
    fn the_teams_card_opens_the_action_urls() {
        let card = teams_card(&page(Locale::Ja));
        assert_eq!(card["type"], "AdaptiveCard");
        assert_eq!(card["body"][0]["text"], "対応依頼: ディスク残量わずか");
        assert_eq!(
            card["actions"],
            json!([
                {"type": "Action.OpenUrl", "title": "確認する", "url": "https://hinomi.example/a/ack-token"},
                {"type": "Action.OpenUrl", "title": "解決済みにする", "url": "https://hinomi.example/a/res-token"},
                {"type": "Action.OpenUrl", "title": "hinomi で開く", "url": "https://hinomi.example/pages/p1"},
            ])
        );
    }

    #[test]
    fn shift_notices_name_the_schedule_and_times() {
        let mut n = page(Locale::Ja);
        n.kind = NoticeKind::ShiftStart {
            schedule: "DB 一次".into(),
            at: AT,
            end: AT + 86_400_000,
        };
        n.actions.clear();
        n.alerts.clear();
        assert_eq!(
            line_works(&n),
            "[hinomi] オンコール開始: DB 一次\n田中 さん、2026-12-01 21:34 JST から 2026-12-02 21:34 JST まで DB 一次 のオンコール担当です。\n\nhinomi で開く: https://hinomi.example/pages/p1\n"
        );
        n.locale = Locale::En;
        n.kind = NoticeKind::ShiftEnd {
            schedule: "DB primary".into(),
            at: AT,
        };
        assert!(
            line_works(&n)
                .contains("your on-call shift for DB primary ended at 2026-12-01 12:34 UTC."),
            "{}",
            line_works(&n)
        );
    }

    #[test]
    fn incident_updates_say_the_incident_and_the_words_of_the_update() {
        let mut n = page(Locale::Ja);
        n.kind = NoticeKind::IncidentUpdate {
            reference: "INC-1".into(),
            severity: "SEV1".into(),
            status: "identified".into(),
            text: "DB接続枯渇が原因と判明。プール再設定中。".into(),
        };
        n.title = "受注システム全面障害".into();
        n.actions.clear();
        n.alerts.clear();
        let email = email(&n);
        assert_eq!(
            email.subject,
            "[hinomi] インシデント続報: [INC-1 SEV1 原因特定] 受注システム全面障害"
        );
        assert!(
            email.text.contains("DB接続枯渇が原因と判明。"),
            "{}",
            email.text
        );
        n.locale = Locale::En;
        assert!(
            line_works(&n).starts_with("[hinomi] Incident update: [INC-1 SEV1 identified]"),
            "{}",
            line_works(&n)
        );
        n.kind = NoticeKind::UpdateOverdue {
            reference: "INC-1".into(),
            due_at: AT,
        };
        assert!(
            line_works(&n).contains("owed its stakeholders an update at 2026-12-01 12:34 UTC"),
            "{}",
            line_works(&n)
        );
        n.locale = Locale::Ja;
        assert!(
            sms(&n).starts_with("[hinomi] 報告期限超過 INC-1"),
            "{}",
            sms(&n)
        );
    }

    #[test]
    fn incident_notices_name_the_role_and_the_overdue_item_in_both_languages() {
        let mut n = page(Locale::Ja);
        n.title = "受注システム全面障害".into();
        n.kind = NoticeKind::IncidentRole {
            reference: "INC-1".into(),
            role: "インシデントマネージャー".into(),
            severity: "SEV1".into(),
        };
        n.actions.clear();
        n.alerts.clear();
        let e = email(&n);
        assert_eq!(
            e.subject,
            "[hinomi] SEV1 INC-1 インシデントマネージャー: 受注システム全面障害"
        );
        assert!(
            e.text
                .contains("インシデント INC-1 (SEV1) のインシデントマネージャーに任命されました"),
            "{}",
            e.text
        );
        n.locale = Locale::En;
        n.kind = NoticeKind::IncidentRole {
            reference: "INC-1".into(),
            role: "Incident manager".into(),
            severity: "SEV1".into(),
        };
        assert!(speech(&n).contains("you are the Incident manager of incident INC-1 (SEV1)"));
        n.kind = NoticeKind::ChecklistOverdue {
            reference: "INC-1".into(),
            item: "Analyse the logs".into(),
            due_at: AT,
        };
        assert!(
            sms(&n).starts_with("[hinomi] Overdue INC-1: Analyse the logs"),
            "{}",
            sms(&n)
        );
        assert!(line_works(&n).contains("was due at 2026-12-01 12:34 UTC and is not done"));
        n.locale = Locale::Ja;
        n.kind = NoticeKind::ChecklistOverdue {
            reference: "INC-1".into(),
            item: "ログ分析".into(),
            due_at: AT,
        };
        assert!(line_works(&n).contains("「ログ分析」の期限 (2026-12-01 21:34 JST) が過ぎました"));
    }

    #[test]
    fn escalations_and_overdue_action_items_read_in_both_languages() {
        let mut n = page(Locale::Ja);
        n.title = "受注システム全面障害".into();
        n.kind = NoticeKind::IncidentEscalated {
            reference: "INC-1".into(),
            severity: "SEV1".into(),
            criterion: "経営層連携を呼び出す".into(),
            reason: "重大度 SEV1".into(),
        };
        let text = sms(&n);
        assert!(
            text.starts_with("[hinomi] エスカレーション SEV1 INC-1: 受注システム全面障害"),
            "{text}"
        );
        assert!(
            email(&n).text.contains(
                "エスカレーション基準「経営層連携を呼び出す」に該当しました (重大度 SEV1)"
            ),
            "{}",
            email(&n).text
        );
        n.kind = NoticeKind::ActionItemOverdue {
            reference: "INC-1".into(),
            item: "監視強化".into(),
            due: "2024-12-20".into(),
            owner: Some("ben".into()),
            to_lead: true,
        };
        assert!(
            email(&n)
                .text
                .contains("「監視強化」(担当: ben) が期限 2024-12-20 を過ぎても"),
            "{}",
            email(&n).text
        );
        n.locale = Locale::En;
        assert!(
            line_works(&n).starts_with("[hinomi] Action item overdue INC-1: 監視強化"),
            "{}",
            line_works(&n)
        );
        n.kind = NoticeKind::ActionItemOverdue {
            reference: "INC-1".into(),
            item: "Capacity".into(),
            due: "2024-12-20".into(),
            owner: Some("ben".into()),
            to_lead: false,
        };
        assert!(
            email(&n)
                .text
                .contains("was due on 2024-12-20. Please update its status"),
            "{}",
            email(&n).text
        );
    }

    #[test]
    fn long_alert_lists_are_counted_not_listed() {
        let mut n = page(Locale::En);
        let one = n.alerts[0].clone();
        n.alerts = vec![one; 13];
        let p = Parts::of(&n);
        assert_eq!(p.alerts.len(), LISTED_ALERTS);
        assert_eq!(p.more.as_deref(), Some("and 3 more"));
        assert_eq!(p.spoken_alerts.len(), SPOKEN_ALERTS);
    }
}
