//! Email over SMTP: the message composed here (MIME, RFC 2047 encoded-word headers, in
//! UTF-8 or, for old Japanese mail systems, ISO-2022-JP) and sent with lettre over
//! STARTTLS, implicit TLS or plain TCP, with or without authentication.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hinomi_core::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};

use super::{not_configured, redact};
use crate::{SendReport, templates, truncate};

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain TCP, then STARTTLS, required (port 587 by default).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465 by default).
    Implicit,
    /// No TLS at all (port 25 by default): only to a relay on a trusted network.
    None,
}

/// The character set of headers and bodies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Charset {
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    /// JIS, for mail systems that predate UTF-8.
    #[serde(rename = "iso-2022-jp")]
    Iso2022Jp,
}

/// `[channels.smtp]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSettings {
    /// The SMTP server; empty: email is not configured.
    pub host: String,
    /// 0: 587 with STARTTLS, 465 with implicit TLS, 25 without.
    #[serde(deserialize_with = "port_number")]
    pub port: u16,
    pub tls: SmtpTls,
    /// Empty: no authentication.
    pub username: String,
    pub password: String,
    /// The envelope sender and `From` address.
    pub from: String,
    /// The `From` display name.
    pub from_name: String,
    /// The name given in EHLO; empty: this machine's host name.
    pub hello: String,
    pub charset: Charset,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        SmtpSettings {
            host: String::new(),
            port: 0,
            tls: SmtpTls::Starttls,
            username: String::new(),
            password: String::new(),
            from: String::new(),
            from_name: "hinomi".into(),
            hello: String::new(),
            charset: Charset::Utf8,
        }
    }
}

/// A port as a number, or as the text an environment variable gives.
fn port_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Port {
        Number(u16),
        Text(String),
    }
    match Port::deserialize(d)? {
        Port::Number(n) => Ok(n),
        Port::Text(t) => t
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("port {t:?} is not a port number"))),
    }
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &redact(&self.password))
            .field("from", &self.from)
            .field("from_name", &self.from_name)
            .field("hello", &self.hello)
            .field("charset", &self.charset)
            .finish()
    }
}

impl SmtpSettings {
    pub fn server(&self) -> SmtpServer {
        SmtpServer {
            host: self.host.clone(),
            port: self.port,
            tls: self.tls,
            username: self.username.clone(),
            password: self.password.clone(),
            hello: self.hello.clone(),
        }
    }
}

/// Where and how to hand a message over.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: String,
    /// 0: the default of `tls`.
    pub port: u16,
    pub tls: SmtpTls,
    pub username: String,
    pub password: String,
    pub hello: String,
}

impl fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &redact(&self.password))
            .field("hello", &self.hello)
            .finish()
    }
}

/// One message, before it is encoded.
#[derive(Clone, Debug)]
pub struct Mail<'a> {
    pub from: &'a str,
    pub from_name: &'a str,
    pub to: &'a [String],
    pub subject: &'a str,
    pub text: &'a str,
    pub html: Option<&'a str>,
    /// Further headers (name, value); values are encoded like the subject.
    pub headers: &'a [(String, String)],
}

/// Sends a notice to the envelope's address with `[channels.smtp]`.
pub async fn send_notice(
    settings: &SmtpSettings,
    timeout: Duration,
    envelope: &Envelope,
    now: i64,
) -> SendReport {
    if settings.host.is_empty() || settings.from.is_empty() {
        return not_configured("email needs [channels.smtp] host and from");
    }
    let text = templates::email(&envelope.notice);
    let to = [envelope.contact.address.clone()];
    let mut headers = Vec::new();
    if let Some(page) = &envelope.notice.page_id {
        headers.push(("X-Hinomi-Page".to_owned(), page.clone()));
    }
    let mail = Mail {
        from: &settings.from,
        from_name: &settings.from_name,
        to: &to,
        subject: &text.subject,
        text: &text.text,
        html: Some(&text.html),
        headers: &headers,
    };
    let message = compose(&mail, settings.charset, now);
    send(
        &settings.server(),
        timeout,
        settings.from.as_str(),
        &to,
        &message,
    )
    .await
}

/// A status page mail to one subscriber (an outbox row's payload): finished when it was
/// queued, in the subscriber's language. `unsubscribe` is the subscriber's one-click
/// unsubscribe URL, sent as RFC 8058's `List-Unsubscribe` and `List-Unsubscribe-Post`
/// headers (absent from the confirmation mail, which subscribes nobody yet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub unsubscribe: Option<String>,
}

/// The headers of RFC 8058's one-click unsubscribe for `url`.
pub fn unsubscribe_headers(url: &str) -> Vec<(String, String)> {
    vec![
        ("List-Unsubscribe".to_owned(), format!("<{url}>")),
        (
            "List-Unsubscribe-Post".to_owned(),
            "List-Unsubscribe=One-Click".to_owned(),
        ),
    ]
}

/// Sends a status page mail with `[channels.smtp]`.
pub async fn send_status(
    settings: &SmtpSettings,
    timeout: Duration,
    status_mail: &StatusMail,
    now: i64,
) -> SendReport {
    if settings.host.is_empty() || settings.from.is_empty() {
        return not_configured("email needs [channels.smtp] host and from");
    }
    let to = [status_mail.to.clone()];
    let headers = status_mail
        .unsubscribe
        .as_deref()
        .map(unsubscribe_headers)
        .unwrap_or_default();
    let mail = Mail {
        from: &settings.from,
        from_name: &settings.from_name,
        to: &to,
        subject: &status_mail.subject,
        text: &status_mail.text,
        html: Some(&status_mail.html),
        headers: &headers,
    };
    let message = compose(&mail, settings.charset, now);
    send(&settings.server(), timeout, &settings.from, &to, &message).await
}

/// Hands `message` to the server for `to`. Permanent SMTP refusals (5xx) are final.
pub async fn send(
    server: &SmtpServer,
    timeout: Duration,
    from: &str,
    to: &[String],
    message: &[u8],
) -> SendReport {
    let envelope = match smtp_envelope(from, to) {
        Ok(e) => e,
        Err(e) => return SendReport::failed(e, false),
    };
    let transport = match transport(server, timeout) {
        Ok(t) => t,
        Err(e) => return SendReport::failed(e, false),
    };
    match transport.send_raw(&envelope, message).await {
        Ok(response) => SendReport {
            status_code: response.code().to_string().parse().ok(),
            error: None,
            retryable: false,
            answer: Some(truncate(&format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            ))),
        },
        Err(e) => SendReport {
            status_code: e.status().and_then(|c| c.to_string().parse().ok()),
            error: Some(truncate(&format!("smtp: {e}"))),
            retryable: !e.is_permanent(),
            answer: None,
        },
    }
}

fn smtp_envelope(from: &str, to: &[String]) -> Result<lettre::address::Envelope, String> {
    let from: lettre::Address = from
        .parse()
        .map_err(|e| format!("the sender address {from:?} is not valid: {e}"))?;
    let to = to
        .iter()
        .map(|a| {
            a.parse::<lettre::Address>()
                .map_err(|e| format!("the address {a:?} is not valid: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    lettre::address::Envelope::new(Some(from), to).map_err(|e| format!("no recipient: {e}"))
}

fn transport(
    server: &SmtpServer,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let port = match (server.port, server.tls) {
        (0, SmtpTls::Starttls) => 587,
        (0, SmtpTls::Implicit) => 465,
        (0, SmtpTls::None) => 25,
        (p, _) => p,
    };
    let tls = |host: &str| {
        TlsParameters::new(host.to_owned()).map_err(|e| format!("smtp tls settings: {e}"))
    };
    let tls = match server.tls {
        SmtpTls::Starttls => Tls::Required(tls(&server.host)?),
        SmtpTls::Implicit => Tls::Wrapper(tls(&server.host)?),
        SmtpTls::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&server.host)
        .port(port)
        .tls(tls)
        .timeout(Some(timeout));
    if !server.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            server.username.clone(),
            server.password.clone(),
        ));
    }
    if !server.hello.is_empty() {
        builder = builder.hello_name(ClientId::Domain(server.hello.clone()));
    }
    Ok(builder.build())
}

/// The message as sent: headers, then a `multipart/alternative` of the text and the HTML
/// (or the text alone). `now` dates it.
pub fn compose(mail: &Mail<'_>, charset: Charset, now: i64) -> Vec<u8> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let domain = mail.from.rsplit_once('@').map_or("hinomi", |(_, d)| d);
    let date = jiff::Timestamp::from_millisecond(now)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%a, %d %b %Y %H:%M:%S +0000")
        .to_string();
    let from = if mail.from_name.is_empty() {
        mail.from.to_owned()
    } else {
        format!("{} <{}>", display_name(mail.from_name, charset), mail.from)
    };
    let mut out = String::new();
    let mut header = |name: &str, value: &str| out.push_str(&format!("{name}: {value}\r\n"));
    header("From", &from);
    header("To", &mail.to.join(", "));
    header("Subject", &encode_header(mail.subject, charset));
    header("Date", &date);
    header("Message-ID", &format!("<{id}@{domain}>"));
    header("MIME-Version", "1.0");
    for (name, value) in mail.headers {
        header(name, &encode_header(value, charset));
    }
    match mail.html {
        Some(html) => {
            let boundary = format!("hinomi-{id}");
            header(
                "Content-Type",
                &format!("multipart/alternative; boundary=\"{boundary}\""),
            );
            out.push_str("\r\n");
            for (kind, body) in [("plain", mail.text), ("html", html)] {
                out.push_str(&format!("--{boundary}\r\n"));
                out.push_str(&part(kind, body, charset));
            }
            out.push_str(&format!("--{boundary}--\r\n"));
        }
        None => out.push_str(&part("plain", mail.text, charset)),
    }
    out.into_bytes()
}

/// A body part's headers and encoded content.
fn part(subtype: &str, body: &str, charset: Charset) -> String {
    let body = body.replace("\r\n", "\n");
    match charset {
        Charset::Utf8 => {
            let encoded = STANDARD.encode(body.replace('\n', "\r\n"));
            let mut out = format!(
                "Content-Type: text/{subtype}; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            );
            for line in encoded.as_bytes().chunks(76) {
                out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
                out.push_str("\r\n");
            }
            out
        }
        Charset::Iso2022Jp => {
            let mut out = format!(
                "Content-Type: text/{subtype}; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
            );
            // Line by line, so each line ends back in ASCII as RFC 1468 asks.
            for line in body.split('\n') {
                out.push_str(&jis(line));
                out.push_str("\r\n");
            }
            out
        }
    }
}

/// `text` in ISO-2022-JP, as a string (the encoding is 7-bit). Characters JIS lacks
/// become numeric character references.
fn jis(text: &str) -> String {
    let (bytes, _, _) = encoding_rs::ISO_2022_JP.encode(text);
    String::from_utf8(bytes.into_owned()).expect("ISO-2022-JP is 7-bit")
}

/// A header value: as it is when it is printable ASCII, else RFC 2047 encoded words of at
/// most 75 characters, each whole in itself (a word never splits a character, and in
/// ISO-2022-JP each returns to ASCII), folded onto continuation lines.
pub fn encode_header(value: &str, charset: Charset) -> String {
    let plain = value.bytes().all(|b| (0x20..0x7f).contains(&b)) && !value.contains("=?");
    if plain {
        return value.to_owned();
    }
    let (prefix, max_bytes) = match charset {
        Charset::Utf8 => ("=?UTF-8?B?", 45),
        Charset::Iso2022Jp => ("=?ISO-2022-JP?B?", 42),
    };
    let encode = |s: &str| match charset {
        Charset::Utf8 => s.as_bytes().to_vec(),
        Charset::Iso2022Jp => jis(s).into_bytes(),
    };
    let mut words = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (i, c) in value.char_indices() {
        let next = i + c.len_utf8();
        if end > start && encode(&value[start..next]).len() > max_bytes {
            words.push(&value[start..end]);
            start = end;
        }
        end = next;
    }
    if end > start {
        words.push(&value[start..end]);
    }
    words
        .iter()
        .map(|w| format!("{prefix}{}?=", STANDARD.encode(encode(w))))
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// A display name: quoted when it is plain ASCII, encoded otherwise.
fn display_name(name: &str, charset: Charset) -> String {
    if name
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        format!("\"{name}\"")
    } else {
        encode_header(name, charset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes one or more encoded words back to text (what a mail reader does).
    fn decode_words(header: &str) -> String {
        header
            .split("\r\n ")
            .map(|word| {
                let inner = word.strip_prefix("=?").unwrap().strip_suffix("?=").unwrap();
                let mut parts = inner.splitn(3, '?');
                let charset = parts.next().unwrap();
                assert_eq!(parts.next(), Some("B"));
                let bytes = STANDARD.decode(parts.next().unwrap()).unwrap();
                let encoding = encoding_rs::Encoding::for_label(charset.as_bytes()).unwrap();
                assert!(word.len() <= 75, "{word} is {} long", word.len());
                encoding.decode_without_bom_handling(&bytes).0.into_owned()
            })
            .collect()
    }

    const SUBJECT: &str =
        "[hinomi] 対応依頼: 東京リージョンのデータベース db-primary-01 のディスク残量がわずかです";

    #[test]
    fn japanese_subjects_become_encoded_words_that_decode_back() {
        for charset in [Charset::Utf8, Charset::Iso2022Jp] {
            let encoded = encode_header(SUBJECT, charset);
            assert!(encoded.is_ascii());
            assert!(encoded.split("\r\n ").count() > 1, "{encoded}");
            assert_eq!(decode_words(&encoded), SUBJECT, "{charset:?}");
        }
        assert_eq!(
            encode_header("disk full", Charset::Utf8),
            "disk full",
            "plain ASCII stays as it is"
        );
    }

    #[test]
    fn an_iso_2022_jp_word_starts_and_ends_in_ascii() {
        let encoded = encode_header("障害", Charset::Iso2022Jp);
        assert_eq!(encoded, "=?ISO-2022-JP?B?GyRCPmMzMhsoQg==?=");
    }

    #[test]
    fn the_message_has_both_parts_in_the_charset() {
        let to = ["tanaka@example.org".to_owned()];
        let mail = Mail {
            from: "hinomi@example.org",
            from_name: "火の見",
            to: &to,
            subject: "障害",
            text: "本文です\n二行目",
            html: Some("<p>本文です</p>"),
            headers: &[],
        };
        let text = String::from_utf8(compose(&mail, Charset::Iso2022Jp, 0)).unwrap();
        assert!(text.is_ascii());
        assert!(
            text.contains("From: =?ISO-2022-JP?B?GyRCMlAkTjgrGyhC?= <hinomi@example.org>\r\n"),
            "{text}"
        );
        assert!(text.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
        assert!(text.contains("Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n\x1b$BK\\J8$G$9\x1b(B\r\n\x1b$BFs9TL\\\x1b(B\r\n"), "{text}");
        assert!(text.contains("Content-Type: text/html; charset=ISO-2022-JP"));
        let utf8 = String::from_utf8(compose(&mail, Charset::Utf8, 0)).unwrap();
        assert!(utf8.contains(&format!(
            "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            STANDARD.encode("本文です\r\n二行目")
        )));
    }

    #[test]
    fn status_mails_carry_one_click_unsubscribe() {
        let to = ["tanaka@example.org".to_owned()];
        let headers = unsubscribe_headers("https://status.example.org/status/unsubscribe/t.s");
        let mail = Mail {
            from: "hinomi@example.org",
            from_name: "",
            to: &to,
            subject: "障害",
            text: "本文",
            html: Some("<p>本文</p>"),
            headers: &headers,
        };
        let text = String::from_utf8(compose(&mail, Charset::Utf8, 0)).unwrap();
        assert!(text.contains(
            "List-Unsubscribe: <https://status.example.org/status/unsubscribe/t.s>\r\n\
             List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        ));
    }

    #[tokio::test]
    async fn an_unconfigured_server_fails_the_notice_for_good() {
        let envelope = Envelope {
            contact: hinomi_core::Contact {
                kind: hinomi_core::ContactKind::Email,
                address: "a@example.org".into(),
            },
            notice: crate::templates::tests::page(hinomi_core::Locale::Ja),
        };
        let report = send_notice(
            &SmtpSettings::default(),
            Duration::from_secs(1),
            &envelope,
            0,
        )
        .await;
        assert!(!report.retryable);
        assert_eq!(
            report.error.as_deref(),
            Some("channel not configured: email needs [channels.smtp] host and from")
        );
    }

    /// An SMTP server that offers no STARTTLS: it greets, answers EHLO, and records every
    /// command it is sent until the client hangs up.
    async fn server_without_starttls() -> (u16, tokio::task::JoinHandle<String>) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            write.write_all(b"220 test ESMTP\r\n").await.unwrap();
            let mut lines = BufReader::new(read).lines();
            let mut seen = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                seen.push_str(&line);
                seen.push('\n');
                let answer: &[u8] = if line.starts_with("EHLO") {
                    b"250-test\r\n250 AUTH PLAIN LOGIN\r\n"
                } else if line.starts_with("QUIT") {
                    b"221 bye\r\n"
                } else {
                    b"250 ok\r\n"
                };
                if write.write_all(answer).await.is_err() {
                    break;
                }
            }
            seen
        });
        (port, task)
    }

    #[tokio::test]
    async fn required_starttls_never_falls_back_to_plain_text() {
        let (port, server) = server_without_starttls().await;
        let smtp = SmtpServer {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::Starttls,
            username: "hinomi".into(),
            password: "hunter2".into(),
            hello: "hinomi.test".into(),
        };
        let to = ["a@example.org".to_owned()];
        let report = send(&smtp, Duration::from_secs(5), "h@example.org", &to, b"x").await;
        assert!(!report.delivered());
        let error = report.error.unwrap().to_ascii_lowercase();
        assert!(
            error.contains("starttls") || error.contains("tls"),
            "{error}"
        );
        let seen = server.await.unwrap();
        assert!(seen.starts_with("EHLO hinomi.test"), "{seen}");
        assert!(!seen.contains("AUTH") && !seen.contains("MAIL"), "{seen}");
    }

    #[test]
    fn the_password_stays_out_of_debug_output() {
        let s = SmtpSettings {
            password: "hunter2".into(),
            ..SmtpSettings::default()
        };
        assert!(!format!("{s:?} {:?}", s.server()).contains("hunter2"));
    }
}
