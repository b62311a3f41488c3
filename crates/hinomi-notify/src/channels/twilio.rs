//! Voice calls and text messages through a Twilio-compatible HTTP API (Twilio itself, or a
//! domestic carrier or test peer speaking the same protocol at another base URL).
//!
//! A call is `Calls.json` with inline TwiML: the notice read in Japanese (`ja-JP`) or
//! English (`en-US`) inside a `<Gather numDigits="1">` whose action is the notice's
//! acknowledge URL, so pressing a key on the phone acknowledges the page. A text message is
//! `Messages.json` with the short text and the acknowledge link. Both authenticate with
//! the account SID and auth token (HTTP Basic). Twilio's callbacks to hinomi (the keypad
//! press) are signed; [`verify_signature`] checks them.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hinomi_core::{Envelope, Locale, Notice};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha1::Sha1;

use super::{SignatureError, constant_time_eq, not_configured, post, redact};
use crate::SendReport;
use crate::templates::{self, escape_html};

/// `[channels.twilio]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TwilioSettings {
    /// Empty: voice and SMS are not configured.
    pub account_sid: String,
    pub auth_token: String,
    /// The number calls and messages come from (E.164).
    pub from: String,
    /// The API's base URL, up to and including the version.
    pub api_url: String,
}

impl Default for TwilioSettings {
    fn default() -> Self {
        TwilioSettings {
            account_sid: String::new(),
            auth_token: String::new(),
            from: String::new(),
            api_url: "https://api.twilio.com/2010-04-01".into(),
        }
    }
}

impl fmt::Debug for TwilioSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioSettings")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &redact(&self.auth_token))
            .field("from", &self.from)
            .field("api_url", &self.api_url)
            .finish()
    }
}

impl TwilioSettings {
    fn missing(&self) -> Option<SendReport> {
        (self.account_sid.is_empty() || self.auth_token.is_empty() || self.from.is_empty()).then(
            || {
                not_configured(
                    "voice and sms need [channels.twilio] account_sid, auth_token and from",
                )
            },
        )
    }

    fn resource(&self, name: &str) -> String {
        format!(
            "{}/Accounts/{}/{name}.json",
            self.api_url.trim_end_matches('/'),
            self.account_sid
        )
    }
}

/// Sends the notice as a text message.
pub async fn send_sms(
    http: &reqwest::Client,
    settings: &TwilioSettings,
    envelope: &Envelope,
) -> SendReport {
    let body = templates::sms(&envelope.notice);
    submit(http, settings, envelope, "Messages", ("Body", &body)).await
}

/// Calls the contact and reads the notice.
pub async fn call(
    http: &reqwest::Client,
    settings: &TwilioSettings,
    envelope: &Envelope,
) -> SendReport {
    let script = twiml(&envelope.notice);
    submit(http, settings, envelope, "Calls", ("Twiml", &script)).await
}

/// Creates a `resource` (a message or a call) to the contact, `content` its one field
/// besides `To` and `From`.
async fn submit(
    http: &reqwest::Client,
    settings: &TwilioSettings,
    envelope: &Envelope,
    resource: &str,
    content: (&str, &str),
) -> SendReport {
    if let Some(report) = settings.missing() {
        return report;
    }
    let form = [
        ("To", envelope.contact.address.as_str()),
        ("From", settings.from.as_str()),
        content,
    ];
    post(
        http.post(settings.resource(resource))
            .basic_auth(&settings.account_sid, Some(&settings.auth_token))
            .form(&form),
    )
    .await
}

/// The call's script: the notice read twice while waiting for a key; a page's key press
/// posts to its acknowledge URL.
pub fn twiml(n: &Notice) -> String {
    let language = match n.locale {
        Locale::Ja => "ja-JP",
        Locale::En => "en-US",
    };
    let speech = escape_html(&templates::speech(n));
    let say = format!("<Say language=\"{language}\" loop=\"2\">{speech}</Say>");
    let body = match templates::acknowledge_url(n) {
        Some(url) => {
            let farewell = match n.locale {
                Locale::Ja => "入力がありませんでした。失礼します。",
                Locale::En => "No key was pressed. Goodbye.",
            };
            format!(
                "<Gather numDigits=\"1\" action=\"{}\" method=\"POST\" timeout=\"10\">{say}</Gather><Say language=\"{language}\">{farewell}</Say>",
                escape_html(url)
            )
        }
        None => say,
    };
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>{body}</Response>")
}

/// What the call says after the key press was handled: thanks, or that the page was
/// already acknowledged (or the link expired). The answer to Twilio's `<Gather>` callback.
pub fn keypress_answer(locale: Locale, acknowledged: bool) -> String {
    let (language, text) = match (locale, acknowledged) {
        (Locale::Ja, true) => ("ja-JP", "確認しました。ありがとうございました。"),
        (Locale::Ja, false) => ("ja-JP", "この対応依頼はすでに確認済みか、期限切れです。"),
        (Locale::En, true) => ("en-US", "Acknowledged. Thank you."),
        (Locale::En, false) => (
            "en-US",
            "This page was already acknowledged, or the call has expired.",
        ),
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say language=\"{language}\">{text}</Say></Response>"
    )
}

/// The fields of a form-encoded callback body, for [`verify_signature`].
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Checks `X-Twilio-Signature`: the base64 HMAC-SHA1, under the auth token, of the full
/// URL Twilio requested (scheme to query string, as configured in the callback) followed by
/// every POST parameter's name and value, sorted by name.
pub fn verify_signature(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> Result<(), SignatureError> {
    if auth_token.is_empty() {
        return Err(SignatureError::NotConfigured);
    }
    let given = STANDARD
        .decode(signature.trim())
        .map_err(|_| SignatureError::Malformed)?;
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    if constant_time_eq(&mac.finalize().into_bytes(), &given) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::tests::page;

    fn params() -> Vec<(String, String)> {
        [
            ("Digits", "1234"),
            ("CallSid", "CA1234567890ABCDE"),
            ("To", "+18005551212"),
            ("Caller", "+12349013030"),
            ("From", "+12349013030"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    #[test]
    fn twilios_documented_example_verifies() {
        assert_eq!(
            verify_signature("12345", URL, &params(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ="),
            Ok(())
        );
    }

    #[test]
    fn a_form_body_verifies_as_its_fields() {
        let body = b"Digits=1234&CallSid=CA1234567890ABCDE&To=%2B18005551212&Caller=%2B12349013030&From=%2B12349013030";
        assert_eq!(
            verify_signature(
                "12345",
                URL,
                &form_fields(body),
                "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
            ),
            Ok(())
        );
        assert!(
            keypress_answer(Locale::Ja, true).contains("<Say language=\"ja-JP\">確認しました。")
        );
    }

    #[test]
    fn other_params_urls_or_tokens_are_refused() {
        let mut changed = params();
        changed[0].1 = "1".into();
        let sig = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        assert_eq!(
            verify_signature("12345", URL, &changed, sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature("12345", "https://mycompany.com/myapp.php", &params(), sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature("54321", URL, &params(), sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature("12345", URL, &params(), "not base64!"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_signature("", URL, &params(), sig),
            Err(SignatureError::NotConfigured)
        );
    }

    #[test]
    fn a_japanese_page_is_read_in_japanese_and_a_key_acknowledges() {
        let xml = twiml(&page(Locale::Ja));
        assert_eq!(
            xml,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
                 <Gather numDigits=\"1\" action=\"https://hinomi.example/a/ack-token\" method=\"POST\" timeout=\"10\">\
                 <Say language=\"ja-JP\" loop=\"2\">{}</Say></Gather>\
                 <Say language=\"ja-JP\">入力がありませんでした。失礼します。</Say></Response>",
                templates::speech(&page(Locale::Ja))
            )
        );
        assert!(
            twiml(&page(Locale::En)).contains("<Say language=\"en-US\" loop=\"2\">This is hinomi.")
        );
    }

    #[test]
    fn a_notice_without_actions_is_only_read() {
        let mut n = page(Locale::En);
        n.actions.clear();
        let xml = twiml(&n);
        assert!(!xml.contains("Gather"), "{xml}");
    }
}
