//! Email subscribers of the status page, all public: the subscribe form on `/status`
//! (`POST /status/subscribe`) and its JSON twin (`POST /status/subscribe.json`), the
//! confirmation link of the double opt-in (`/status/confirm/{token}`) and the one-click
//! unsubscribe link every update mail carries (`/status/unsubscribe/{token}`, RFC 8058).
//!
//! A request to subscribe writes an unconfirmed subscriber and queues a confirmation mail
//! (a `status:email` outbox row) in one transaction, within the bounds of
//! `hinomi_core::status_page::subscription` (a few mails per address a day, a number per
//! hour in all); whatever was decided, the answer is the same neutral message, so the form
//! never tells who is subscribed. Links are signed with a key kept in the database
//! ([`KEY_NAME`]): a confirmation link names the subscriber and the end of its request (a
//! new request makes the older link useless), an unsubscribe link the subscriber alone.
//! Loading a link only shows a button (mail scanners fetch links); the POST acts, and the
//! unsubscribe POST needs nothing else, as RFC 8058's one-click asks. Unsubscribing also
//! cancels what is still queued for the subscriber.
//!
//! Update mails are built in [`update_mail`] when the update is posted, in the
//! subscriber's language, and queued by [`super::subscribers::queue`].

use askama::Template;
use axum::Form;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hinomi_core::Locale;
use hinomi_core::status_page::subscription::{
    self, Asked, Confirmation, DAY_MS, Decision, WINDOW_HOUR_MS,
};
use hinomi_core::status_page::{Kind, StatusIncident, Update};
use hinomi_notify::channels::email::StatusMail;
use hinomi_store::{NewNotice, StatusSubscriber, StoreError, WriteTx};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use super::public::View;
use super::statuspage::{LangQuery, locale};
use super::{ChangeError, Snapshot};
use crate::AppState;
use crate::api_v1::JsonBody;
use crate::console::Catalog;
use crate::error::ApiError;
use crate::routes::RouteTable;

/// The kind of email subscribers.
pub const EMAIL: &str = "email";
/// The name of the link-signing key in the store's server secrets.
pub const KEY_NAME: &str = "status_subscriber_key";
/// Who the events of public requests name.
const PUBLIC: &str = "public";

/// The public routes of email subscriptions.
pub fn routes() -> RouteTable {
    RouteTable::new()
        .post("/status/subscribe", subscribe_form)
        .post("/status/subscribe.json", subscribe_json)
        .get("/status/confirm/{token}", confirm_page)
        .post("/status/confirm/{token}", confirm_post)
        .get("/status/unsubscribe/{token}", unsubscribe_page)
        .post("/status/unsubscribe/{token}", unsubscribe_post)
}

/// Signs and checks the subscribers' links.
pub struct Links {
    key: Vec<u8>,
    base_url: String,
}

// The key signs every link: never print it.
impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Links")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Links {
    /// Links signed with `key` (the stored secret), at `external_url`.
    pub fn new(key: &str, external_url: &str) -> Links {
        Links {
            key: key.as_bytes().to_vec(),
            base_url: external_url.trim_end_matches('/').to_owned(),
        }
    }

    fn mac(&self, what: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(what.as_bytes());
        mac
    }

    fn confirm_mac(&self, id: &str, expires_at: i64) -> Hmac<Sha256> {
        self.mac(&format!("hinomi-status-confirm\n{id}\n{expires_at}"))
    }

    fn unsubscribe_mac(&self, id: &str) -> Hmac<Sha256> {
        self.mac(&format!("hinomi-status-unsubscribe\n{id}"))
    }

    /// The confirmation link of subscriber `id`'s request ending at `expires_at`.
    pub fn confirm_url(&self, id: &str, expires_at: i64) -> String {
        let sig = hex::encode(self.confirm_mac(id, expires_at).finalize().into_bytes());
        format!("{}/status/confirm/{id}.{sig}", self.base_url)
    }

    /// The one-click unsubscribe link of subscriber `id`.
    pub fn unsubscribe_url(&self, id: &str) -> String {
        let sig = hex::encode(self.unsubscribe_mac(id).finalize().into_bytes());
        format!("{}/status/unsubscribe/{id}.{sig}", self.base_url)
    }
}

/// A token's subscriber id and signature bytes.
fn split_token(token: &str) -> Option<(&str, Vec<u8>)> {
    let (id, sig) = token.split_once('.')?;
    Some((id, hex::decode(sig).ok()?))
}

/// The language a subscriber asked for; empty: Japanese.
fn language(text: &str) -> Result<Locale, ChangeError> {
    match text.trim() {
        "" => Ok(Locale::Ja),
        text => Locale::parse(text).ok_or_else(|| ChangeError::Invalid {
            field: "language".into(),
            message: format!("{text:?} is not one of ja, en"),
        }),
    }
}

/// A request to subscribe `email` in `lang`. Answers `Ok` whatever was decided (a mail
/// sent, the address subscribed already, a bound reached); only bad input is refused.
pub async fn subscribe(state: &AppState, email: &str, lang: &str) -> Result<(), ChangeError> {
    let address = subscription::parse_email("email", email)?;
    let locale = language(lang)?;
    let now = state.engine.now();
    let mut tx = state.engine.store().begin().await?;
    tx.prune_status_subscriptions(now, now - DAY_MS).await?;
    let existing = tx.lock_status_subscriber_at(EMAIL, &address).await?;
    let (sent_to_address, sent_in_hour) = tx
        .status_confirmations_sent(&address, now - DAY_MS, now - WINDOW_HOUR_MS)
        .await?;
    let asked = Asked {
        confirmed: existing.as_ref().is_some_and(|s| s.confirmed_at.is_some()),
        sent_to_address,
        sent_in_hour,
    };
    let expires_at = match subscription::decide(asked, state.status_page.limits, now) {
        Decision::Confirm { expires_at } => expires_at,
        Decision::AlreadySubscribed => return Ok(tx.commit().await?),
        Decision::Limited => {
            tracing::info!("a request to subscribe to the status page is over the bounds");
            return Ok(tx.commit().await?);
        }
    };
    let id = match existing {
        Some(s) => {
            tx.renew_status_subscriber(&s.id, locale.tag(), expires_at)
                .await?;
            s.id
        }
        None => {
            let s = StatusSubscriber {
                id: uuid::Uuid::new_v4().simple().to_string(),
                kind: EMAIL.into(),
                address: address.clone(),
                language: locale.tag().into(),
                created_at: now,
                confirmed_at: None,
                expires_at: Some(expires_at),
            };
            if !tx.insert_status_subscriber(&s).await? {
                // Another request for the address committed meanwhile; it sent the mail.
                return Ok(());
            }
            s.id
        }
    };
    tx.record_status_confirmation(&address, now).await?;
    let link = state.status_links.confirm_url(&id, expires_at);
    let mail = confirmation_mail(state, locale, &address, &link, expires_at);
    queue_mail(
        &mut tx,
        &format!("status-confirm:{id}:{expires_at}"),
        &id,
        &mail,
        now,
    )
    .await?;
    let data = json!({"kind": EMAIL, "language": locale.tag()});
    tx.append_event(
        now,
        "status_subscriber.requested",
        &id,
        PUBLIC,
        &data.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Writes a `status:email` outbox row for subscriber `id`, due now and unleased (the next
/// delivery poll sends it).
pub(super) async fn queue_mail(
    tx: &mut WriteTx,
    key: &str,
    id: &str,
    mail: &StatusMail,
    now: i64,
) -> Result<(), StoreError> {
    let row = NewNotice {
        idempotency_key: key.to_owned(),
        group_key: String::new(),
        receiver: format!("status_subscriber:{id}"),
        integration: 0,
        kind: hinomi_engine::STATUS_EMAIL.into(),
        payload: serde_json::to_string(mail).expect("a mail serialises"),
        created_at: now,
        due_at: now,
        lease: None,
    };
    tx.insert_notice(&row).await?;
    Ok(())
}

/// What a link did, or would do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkOutcome {
    /// It confirmed the subscription (or would).
    Confirmed,
    AlreadyConfirmed,
    Expired,
    /// It unsubscribed (or would).
    Unsubscribed,
    /// Forged, or its subscriber is gone.
    Invalid,
}

/// The subscriber a confirmation link names, when its signature holds.
fn confirm_target(
    state: &AppState,
    token: &str,
    s: Option<StatusSubscriber>,
) -> Option<StatusSubscriber> {
    let (id, sig) = split_token(token)?;
    let s = s.filter(|s| s.id == id && s.kind == EMAIL)?;
    let expires_at = s.expires_at?;
    state
        .status_links
        .confirm_mac(id, expires_at)
        .verify_slice(&sig)
        .is_ok()
        .then_some(s)
}

/// The subscriber an unsubscribe link names, when its signature holds.
fn unsubscribe_target(
    state: &AppState,
    token: &str,
    s: Option<StatusSubscriber>,
) -> Option<StatusSubscriber> {
    let (id, sig) = split_token(token)?;
    let s = s.filter(|s| s.id == id)?;
    state
        .status_links
        .unsubscribe_mac(id)
        .verify_slice(&sig)
        .is_ok()
        .then_some(s)
}

fn token_id(token: &str) -> &str {
    token.split_once('.').map_or("", |(id, _)| id)
}

/// The subscriber a link names: read, or locked in `tx` when the link is to be used.
async fn named(
    state: &AppState,
    tx: Option<&mut WriteTx>,
    token: &str,
) -> Result<Option<StatusSubscriber>, StoreError> {
    let id = token_id(token);
    match tx {
        Some(tx) => tx.lock_status_subscriber(id).await,
        None => state.engine.store().status_subscriber(id).await,
    }
}

/// Uses a confirmation link (`act`) or says what it would do; answers the subscriber's
/// language too.
pub async fn confirm(
    state: &AppState,
    token: &str,
    act: bool,
) -> Result<(LinkOutcome, Option<Locale>), StoreError> {
    let now = state.engine.now();
    let mut tx = if act {
        Some(state.engine.store().begin().await?)
    } else {
        None
    };
    let found = named(state, tx.as_mut(), token).await?;
    let Some(s) = confirm_target(state, token, found) else {
        return Ok((LinkOutcome::Invalid, None));
    };
    let locale = Locale::parse(&s.language);
    let outcome = match subscription::confirm(s.confirmed_at, s.expires_at, now) {
        Confirmation::Already => LinkOutcome::AlreadyConfirmed,
        Confirmation::Expired => LinkOutcome::Expired,
        Confirmation::Confirm => {
            if let Some(mut tx) = tx {
                tx.confirm_status_subscriber(&s.id, now).await?;
                let data = json!({"kind": s.kind, "language": s.language}).to_string();
                let kind = "status_subscriber.confirmed";
                tx.append_event(now, kind, &s.id, PUBLIC, &data).await?;
                tx.commit().await?;
            }
            LinkOutcome::Confirmed
        }
    };
    Ok((outcome, locale))
}

/// Uses an unsubscribe link (`act`) or says what it would do; answers the subscriber's
/// language too. A subscriber already gone answers `Invalid`.
pub async fn unsubscribe(
    state: &AppState,
    token: &str,
    act: bool,
) -> Result<(LinkOutcome, Option<Locale>), StoreError> {
    let now = state.engine.now();
    let mut tx = if act {
        Some(state.engine.store().begin().await?)
    } else {
        None
    };
    let found = named(state, tx.as_mut(), token).await?;
    let Some(s) = unsubscribe_target(state, token, found) else {
        return Ok((LinkOutcome::Invalid, None));
    };
    if let Some(mut tx) = tx {
        tx.delete_status_subscriber(&s.id).await?;
        // The person asked to hear nothing more: what is still queued is not sent either.
        let cancelled = tx.cancel_status_subscriber_notices(&s.id, now).await?;
        let data = json!({"kind": s.kind, "cancelled": cancelled}).to_string();
        let kind = "status_subscriber.unsubscribed";
        tx.append_event(now, kind, &s.id, PUBLIC, &data).await?;
        tx.commit().await?;
    }
    Ok((LinkOutcome::Unsubscribed, Locale::parse(&s.language)))
}

/// A mail before it is written out: its text and its HTML come from these same parts.
#[derive(Template)]
#[template(path = "status_mail.html")]
struct MailParts {
    lang: &'static str,
    heading: String,
    lines: Vec<String>,
    body: String,
    link_label: &'static str,
    link: String,
    footer: Vec<String>,
    unsubscribe_label: &'static str,
    unsubscribe: Option<String>,
}

impl MailParts {
    fn into_mail(self, to: &str, subject: String) -> StatusMail {
        let mut text = format!("{}\n\n", self.heading);
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        if !self.body.is_empty() {
            text.push('\n');
            text.push_str(&self.body);
            text.push('\n');
        }
        text.push_str(&format!("\n{}: {}\n", self.link_label, self.link));
        text.push_str("\n--\n");
        for line in &self.footer {
            text.push_str(line);
            text.push('\n');
        }
        if let Some(url) = &self.unsubscribe {
            text.push_str(&format!("{}: {url}\n", self.unsubscribe_label));
        }
        let html = self.render().unwrap_or_else(|e| {
            tracing::error!(error = %e, "status mail template failed");
            String::new()
        });
        StatusMail {
            to: to.to_owned(),
            subject,
            text,
            html,
            unsubscribe: self.unsubscribe,
        }
    }
}

/// The confirmation mail of a request to subscribe.
fn confirmation_mail(
    state: &AppState,
    locale: Locale,
    to: &str,
    link: &str,
    expires_at: i64,
) -> StatusMail {
    let view = View::new(state, locale);
    let t = |k: &str| locale.t(k);
    let parts = MailParts {
        lang: locale.tag(),
        heading: t("status_page.mail.confirm_heading").replace("{page}", &view.page_name),
        lines: vec![t("status_page.mail.confirm_intro").to_owned()],
        body: String::new(),
        link_label: t("status_page.mail.confirm_link"),
        link: link.to_owned(),
        footer: vec![
            t("status_page.mail.confirm_until").replace("{time}", &view.time(&expires_at)),
            t("status_page.mail.confirm_ignore").to_owned(),
        ],
        unsubscribe_label: "",
        unsubscribe: None,
    };
    let subject = format!(
        "[{}] {}",
        view.page_name,
        t("status_page.mail.confirm_subject")
    );
    parts.into_mail(to, subject)
}

/// The mail telling subscriber `s` of `update`, just posted on `incident`, as the page
/// shows it in `snap`.
pub(super) fn update_mail(
    state: &AppState,
    snap: &Snapshot,
    s: &StatusSubscriber,
    incident: &StatusIncident,
    update: &Update,
) -> StatusMail {
    let locale = Locale::parse(&s.language).unwrap_or(Locale::Ja);
    let view = View::new(state, locale);
    let t = |k: &str| locale.t(k);
    let progress = view.word("progress", update.progress.as_str());
    let mut lines = vec![format!("{}: {progress}", t("status_page.status"))];
    if incident.kind == Kind::Incident {
        lines.push(format!(
            "{}: {}",
            t("status_page.impact"),
            view.word("impact", incident.impact.as_str())
        ));
    }
    if let (Some(from), Some(until)) = (incident.scheduled_for, incident.scheduled_until) {
        lines.push(format!(
            "{}: {} – {}",
            t("status_page.window"),
            view.time(&from),
            view.time(&until)
        ));
    }
    for a in &update.affected {
        let name = snap
            .components
            .iter()
            .find(|c| c.id == a.component_id)
            .map_or(a.name.as_str(), |c| c.name.as_str());
        lines.push(format!(
            "{}: {name} ({} → {})",
            t("status_page.affected"),
            view.word("state", a.old_state.as_str()),
            view.word("state", a.new_state.as_str())
        ));
    }
    lines.push(format!(
        "{}: {}",
        t("status_page.mail.posted"),
        view.time(&update.created_at)
    ));
    let page_url = format!(
        "{}/status",
        state.engine.external_url().trim_end_matches('/')
    );
    let parts = MailParts {
        lang: locale.tag(),
        heading: incident.name.clone(),
        lines,
        body: update.body(locale).to_owned(),
        link_label: t("status_page.mail.details"),
        link: format!("{page_url}/incidents/{}?lang={}", incident.id, locale.tag()),
        footer: vec![t("status_page.mail.why").replace("{page}", &view.page_name)],
        unsubscribe_label: t("status_page.mail.unsubscribe"),
        unsubscribe: Some(state.status_links.unsubscribe_url(&s.id)),
    };
    let kind = match incident.kind {
        Kind::Incident => String::new(),
        Kind::Maintenance => format!("{} ", t("status_page.mail.maintenance_prefix")),
    };
    let subject = format!("[{}] {kind}{} — {progress}", view.page_name, incident.name);
    parts.into_mail(&s.address, subject)
}

/// The public pages of subscriptions: a message, and the form or button that goes on.
#[derive(Template)]
#[template(path = "status_subscription.html")]
struct SubscriptionPage {
    view: View,
    heading: &'static str,
    message: &'static str,
    /// A button that POSTs here: its label.
    button: Option<&'static str>,
    /// The subscribe form again, with the refusal.
    form_error: Option<String>,
    email: String,
}

fn page(status: StatusCode, p: SubscriptionPage) -> Response {
    super::public::html(status, &p)
}

fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "status subscription failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "status page unavailable").into_response()
}

/// The subscribe form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    language: String,
}

/// `POST /status/subscribe`: the same neutral answer whatever happened; bad input shows
/// the form again, naming the field.
async fn subscribe_form(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    Form(form): Form<SubscribeForm>,
) -> Response {
    let locale = Locale::parse(form.language.trim()).unwrap_or_else(|| locale(&q, &headers));
    let view = View::new(&state, locale);
    match subscribe(&state, &form.email, &form.language).await {
        Ok(()) => page(
            StatusCode::OK,
            SubscriptionPage {
                heading: view.t("status_page.subscribe.title"),
                message: view.t("status_page.subscribe.sent"),
                view,
                button: None,
                form_error: None,
                email: String::new(),
            },
        ),
        Err(ChangeError::Invalid { field, message }) => page(
            StatusCode::BAD_REQUEST,
            SubscriptionPage {
                heading: view.t("status_page.subscribe.title"),
                message: "",
                view,
                button: None,
                form_error: Some(format!("{field}: {message}")),
                email: form.email,
            },
        ),
        Err(e) => failed(e),
    }
}

/// The JSON twin of the subscribe form (public, so outside the `/api/v1` document).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeIn {
    email: String,
    /// `ja` (default) or `en`: the language of the mails.
    #[serde(default)]
    language: String,
}

#[derive(Debug, Serialize)]
pub struct SubscribeOut {
    /// The same whatever happened, in the language asked for.
    message: &'static str,
}

/// `POST /status/subscribe.json`: 202 with the neutral message, or 400 naming the field.
async fn subscribe_json(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<SubscribeIn>,
) -> Result<(StatusCode, Json<SubscribeOut>), ApiError> {
    subscribe(&state, &body.email, &body.language).await?;
    let locale = Locale::parse(body.language.trim()).unwrap_or(Locale::Ja);
    Ok((
        StatusCode::ACCEPTED,
        Json(SubscribeOut {
            message: locale.t("status_page.subscribe.sent"),
        }),
    ))
}

/// The page a link shows (or answers after its POST).
fn link_page(
    state: &AppState,
    fallback: Locale,
    (outcome, locale): (LinkOutcome, Option<Locale>),
    button: Option<&'static str>,
) -> Response {
    let view = View::new(state, locale.unwrap_or(fallback));
    let (status, heading, message, button) = match outcome {
        LinkOutcome::Invalid => (
            StatusCode::NOT_FOUND,
            "status_page.link.invalid_title",
            "status_page.link.invalid",
            None,
        ),
        LinkOutcome::Expired => (
            StatusCode::GONE,
            "status_page.link.expired_title",
            "status_page.link.expired",
            None,
        ),
        LinkOutcome::AlreadyConfirmed => (
            StatusCode::OK,
            "status_page.confirm.title",
            "status_page.confirm.done",
            None,
        ),
        LinkOutcome::Confirmed => (
            StatusCode::OK,
            "status_page.confirm.title",
            if button.is_some() {
                "status_page.confirm.ask"
            } else {
                "status_page.confirm.done"
            },
            button,
        ),
        LinkOutcome::Unsubscribed => (
            StatusCode::OK,
            "status_page.unsubscribe.title",
            if button.is_some() {
                "status_page.unsubscribe.ask"
            } else {
                "status_page.unsubscribe.done"
            },
            button,
        ),
    };
    page(
        status,
        SubscriptionPage {
            heading: view.t(heading),
            message: view.t(message),
            button: button.map(|k| view.t(k)),
            view,
            form_error: None,
            email: String::new(),
        },
    )
}

/// `GET /status/confirm/{token}`: what the link does, and the button that does it.
async fn confirm_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    match confirm(&state, &token, false).await {
        Ok(done) => link_page(
            &state,
            locale(&q, &headers),
            done,
            Some("status_page.confirm.button"),
        ),
        Err(e) => failed(e),
    }
}

/// `POST /status/confirm/{token}`: confirms the subscription.
async fn confirm_post(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    match confirm(&state, &token, true).await {
        Ok(done) => link_page(&state, locale(&q, &headers), done, None),
        Err(e) => failed(e),
    }
}

/// `GET /status/unsubscribe/{token}`: a page with the button; a GET never unsubscribes.
async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    match unsubscribe(&state, &token, false).await {
        Ok(done) => link_page(
            &state,
            locale(&q, &headers),
            done,
            Some("status_page.unsubscribe.button"),
        ),
        Err(e) => failed(e),
    }
}

/// `POST /status/unsubscribe/{token}`: unsubscribes at once, whatever the body (a mail
/// client's one-click POST sends `List-Unsubscribe=One-Click`; the page's button nothing).
async fn unsubscribe_post(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    match unsubscribe(&state, &token, true).await {
        Ok(done) => link_page(&state, locale(&q, &headers), done, None),
        Err(e) => failed(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_verify_only_with_their_key_and_subject() {
        let links = Links::new("key", "https://status.example.org/");
        let url = links.confirm_url("abc", 1_000);
        let token = url
            .strip_prefix("https://status.example.org/status/confirm/")
            .unwrap();
        let (id, sig) = split_token(token).unwrap();
        assert_eq!(id, "abc");
        assert!(links.confirm_mac("abc", 1_000).verify_slice(&sig).is_ok());
        assert!(
            links.confirm_mac("abc", 2_000).verify_slice(&sig).is_err(),
            "a renewed request makes the older link useless"
        );
        assert!(links.unsubscribe_mac("abc").verify_slice(&sig).is_err());
        let other = Links::new("other", "https://status.example.org");
        assert!(other.confirm_mac("abc", 1_000).verify_slice(&sig).is_err());
        assert!(split_token("abc").is_none() && split_token("abc.zz").is_none());
    }
}
