//! Incidents declared from chat: a Slack slash command (`/incident declare SEV1 受注システム障害`,
//! `POST /integrations/slack/commands`) and a message to hinomi's Teams outgoing webhook
//! (`@hinomi declare SEV1 ...`, `POST /integrations/teams/commands`). The channel's
//! signature is the credential, as for the buttons in `inbound` (Slack's signing secret,
//! the outgoing webhook's security token): whoever may post in the workspace or channel the
//! app is installed in may declare, as in the chat tools responders use. The incident is
//! declared as `crate::incidents` declares (its playbooks applied; nobody given the lead, as
//! the sender has no account), by `slack:<user>` or `teams:<user>`, and the answer,
//! in both languages (neither channel says the sender's), links its page.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::incidents::{DeclareInput, new_incident};

/// What a chat message asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Declare { severity: String, title: String },
    Help,
}

/// How the commands are written, in both languages.
pub const USAGE: &str = "declare <SEV1-SEV4> <title> — 宣言 <SEV1-SEV4> <タイトル>\n\
     e.g. / 例: declare SEV1 受注システム全面障害";

/// Reads a command from a message's text: Teams' HTML (the `<at>` mention and any tags)
/// is dropped first. Answers what is wrong in both languages when it cannot be read.
pub fn parse(text: &str) -> Result<Command, String> {
    let plain = strip_markup(text);
    let mut words = plain.split_whitespace();
    match words.next().map(str::to_lowercase).as_deref() {
        None | Some("help" | "ヘルプ") => Ok(Command::Help),
        Some("declare" | "宣言") => {
            let severity = words.next().unwrap_or_default().to_owned();
            let title = words.collect::<Vec<_>>().join(" ");
            if severity.is_empty() || title.is_empty() {
                return Err(format!(
                    "Give a severity and a title. / 重大度とタイトルを指定してください。\n{USAGE}"
                ));
            }
            Ok(Command::Declare { severity, title })
        }
        Some(other) => Err(format!(
            "Unknown command {other:?}. / 不明なコマンドです: {other}\n{USAGE}"
        )),
    }
}

/// The text of a Teams message without its mention of the bot and without markup.
fn strip_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        // A mention's name goes with it: `<at>hinomi</at>`.
        let skip = if after.starts_with("<at>") {
            after.find("</at>").map(|e| e + "</at>".len())
        } else {
            after.find('>').map(|e| e + 1)
        };
        match skip {
            Some(n) => {
                out.push(' ');
                rest = &after[n..];
            }
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Carries out a command for `actor`; answers the reply's text.
async fn run(state: &AppState, text: &str, actor: &str) -> String {
    let (severity, title) = match parse(text) {
        Ok(Command::Declare { severity, title }) => (severity, title),
        Ok(Command::Help) => return USAGE.to_owned(),
        Err(message) => return message,
    };
    let input = DeclareInput {
        title,
        severity: Some(severity),
        ..DeclareInput::default()
    };
    let new = match new_incident(&input, &state.incidents) {
        Ok((new, _)) => new,
        Err(e) => return format!("{e}\n{USAGE}"),
    };
    let declared = state
        .engine
        .declare_incident(&state.incidents, &new, &[], None, actor)
        .await;
    match declared {
        Ok(Ok((i, _))) => format!(
            "{r} を宣言しました / {r} declared: {sev} {title}\n{url}/incidents/{r}",
            r = i.reference(),
            sev = state.incidents.level(i.severity).name,
            title = i.title,
            url = state.engine.external_url(),
        ),
        Ok(Err(fault)) => crate::incidents::IncidentError::from(fault).to_string(),
        Err(e) => {
            tracing::error!(error = %e, "cannot declare an incident from chat");
            "hinomi could not store the incident; try again. / 保存できませんでした。再度お試しください。"
                .to_owned()
        }
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The fields of a slash command hinomi reads.
#[derive(Debug, Deserialize)]
struct SlashCommand {
    #[serde(default)]
    text: String,
    #[serde(default)]
    user_name: String,
    #[serde(default)]
    user_id: String,
}

/// `POST /integrations/slack/commands`: a slash command, signed with the app's signing
/// secret. The answer is posted in the channel for everyone to see.
pub async fn slack_command(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = state.engine.channels().verify_slack(
        header_str(&headers, "x-slack-request-timestamp"),
        &body,
        header_str(&headers, "x-slack-signature"),
        state.engine.now() / 1000,
    ) {
        tracing::warn!(error = %e, "Slack command refused");
        return (StatusCode::UNAUTHORIZED, "signature refused").into_response();
    }
    let Ok(cmd) = serde_urlencoded::from_bytes::<SlashCommand>(&body) else {
        return (StatusCode::BAD_REQUEST, "not a slash command").into_response();
    };
    let who = if cmd.user_name.is_empty() {
        cmd.user_id
    } else {
        cmd.user_name
    };
    let text = run(&state, &cmd.text, &format!("slack:{who}")).await;
    Json(json!({ "response_type": "in_channel", "text": text })).into_response()
}

/// The fields of a Teams outgoing webhook's activity hinomi reads.
#[derive(Debug, Deserialize)]
struct Activity {
    #[serde(default)]
    text: String,
    #[serde(default)]
    from: Sender,
}

#[derive(Debug, Default, Deserialize)]
struct Sender {
    #[serde(default)]
    name: String,
}

/// `POST /integrations/teams/commands`: a message mentioning hinomi in a channel with an
/// outgoing webhook, signed with its security token. Teams shows the answer as a reply.
pub async fn teams_command(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = state
        .engine
        .channels()
        .verify_teams(&body, header_str(&headers, "authorization"))
    {
        tracing::warn!(error = %e, "Teams command refused");
        return (StatusCode::UNAUTHORIZED, "signature refused").into_response();
    }
    let Ok(activity) = serde_json::from_slice::<Activity>(&body) else {
        return (StatusCode::BAD_REQUEST, "not a Teams activity").into_response();
    };
    let text = run(
        &state,
        &activity.text,
        &format!("teams:{}", activity.from.name),
    )
    .await;
    Json(json!({ "type": "message", "text": text })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_read_in_either_language_and_from_teams_html() {
        let declare = |s: &str, t: &str| {
            Ok(Command::Declare {
                severity: s.into(),
                title: t.into(),
            })
        };
        assert_eq!(
            parse("declare SEV1 受注システム 全面障害"),
            declare("SEV1", "受注システム 全面障害")
        );
        assert_eq!(parse("宣言 sev2 決済遅延"), declare("sev2", "決済遅延"));
        assert_eq!(
            parse("<at>hinomi</at>&nbsp;declare SEV1 <b>DB</b> &amp; cache"),
            declare("SEV1", "DB & cache")
        );
        assert_eq!(parse(""), Ok(Command::Help));
        assert_eq!(parse("<at>hinomi</at> help"), Ok(Command::Help));
        assert!(parse("declare SEV1").unwrap_err().contains("title"));
        assert!(parse("reboot everything").unwrap_err().contains("reboot"));
    }
}
