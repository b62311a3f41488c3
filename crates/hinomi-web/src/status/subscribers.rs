//! The status page's subscribers. Webhook subscribers are added and removed by responders
//! (never the public: a webhook anyone may point anywhere would let them make hinomi send
//! requests inside its network); email subscribers subscribe themselves ([`super::email`])
//! and responders may remove them. Every update posted on the page is queued in the outbox
//! for each confirmed subscriber in the same transaction as the update.
//!
//! A subscriber gets Statuspage's webhook bodies, in its language: one
//! `{"meta", "page", "incident"}` for the update (the incident with every update so far),
//! and one `{"meta", "page", "component_update", "component"}` for each component the
//! update changed. Rows are `status:webhook` outbox rows whose payload is a
//! [`StatusPost`]; delivery signs them as webhook contacts' notices are
//! (`X-Hinomi-Signature`). An email subscriber gets one `status:email` row per update,
//! the mail of [`super::email::update_mail`].

use hinomi_core::contact::parse_address;
use hinomi_core::status_page::subscription;
use hinomi_core::status_page::{Component, StatusIncident, Update};
use hinomi_core::{ContactKind, Locale};
use hinomi_notify::channels::webhook::StatusPost;
use hinomi_store::{NewNotice, StatusSubscriber, WriteTx};
use serde_json::{Value, json};

use super::statuspage::Writer;
use super::{ChangeError, Result, Snapshot, finish, require};
use crate::AppState;
use crate::auth::Principal;

/// The kind of webhook subscribers.
pub const WEBHOOK: &str = "webhook";

/// A webhook subscriber as people describe it.
#[derive(Clone, Debug, Default)]
pub struct SubscriberInput {
    pub url: String,
    /// `ja` or `en`; empty: `ja`.
    pub language: String,
}

/// Adds a webhook subscriber.
pub async fn add(
    principal: &Principal,
    state: &AppState,
    input: SubscriberInput,
) -> Result<StatusSubscriber> {
    require(principal)?;
    let url = parse_address(ContactKind::Webhook, input.url.trim()).map_err(|e| {
        ChangeError::Invalid {
            field: "url".into(),
            message: e.to_string(),
        }
    })?;
    let language = match input.language.trim() {
        "" => Locale::Ja,
        text => Locale::parse(text).ok_or_else(|| ChangeError::Invalid {
            field: "language".into(),
            message: format!("{text:?} is not one of ja, en"),
        })?,
    };
    let now = state.engine.now();
    let subscriber = StatusSubscriber {
        id: uuid::Uuid::new_v4().simple().to_string(),
        kind: WEBHOOK.into(),
        address: url,
        language: language.tag().into(),
        created_at: now,
        confirmed_at: Some(now),
        expires_at: None,
    };
    let mut tx = state.engine.store().begin().await?;
    if !tx.insert_status_subscriber(&subscriber).await? {
        return Err(ChangeError::NameTaken(subscriber.address));
    }
    let data = json!({"kind": subscriber.kind, "url": subscriber.address,
                      "language": subscriber.language});
    let kind = "status_subscriber.added";
    finish(tx, principal, now, kind, &subscriber.id, data, true).await?;
    Ok(subscriber)
}

/// A subscriber's address for a reader: in full for those who manage the page; else an
/// email address with most of its local part hidden, a webhook as its scheme and host
/// (its path and query may carry credentials).
pub fn shown_address(s: &StatusSubscriber, full: bool) -> String {
    if full {
        return s.address.clone();
    }
    if s.kind == WEBHOOK {
        let (scheme, rest) = s.address.split_once("://").unwrap_or(("", &s.address));
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        return format!("{scheme}://{host}/…");
    }
    subscription::mask_email(&s.address)
}

/// Removes a subscriber (a webhook, or an email subscriber); updates already queued for
/// it still go out.
pub async fn remove(principal: &Principal, state: &AppState, id: &str) -> Result<()> {
    require(principal)?;
    let now = state.engine.now();
    let mut tx = state.engine.store().begin().await?;
    let gone = tx
        .delete_status_subscriber(id)
        .await?
        .ok_or_else(|| ChangeError::NotFound(format!("status subscriber {id}")))?;
    let data = match gone.kind.as_str() {
        WEBHOOK => json!({"kind": gone.kind, "url": gone.address}),
        _ => json!({"kind": gone.kind}),
    };
    let kind = "status_subscriber.removed";
    finish(tx, principal, now, kind, id, data, true).await
}

/// Queues `update`, just posted on `incident` (which holds it), for every subscriber, in
/// `tx`; `components` are the page's components after the update.
pub(super) async fn queue(
    tx: &mut WriteTx,
    state: &AppState,
    incident: &StatusIncident,
    update: &Update,
    components: &[Component],
    now: i64,
) -> Result<()> {
    let subscribers = tx.confirmed_status_subscribers().await?;
    if subscribers.is_empty() {
        return Ok(());
    }
    // The page as it is once this transaction commits: what others have committed, with
    // this transaction's components and incident.
    let mut snap = Snapshot::load(state, false).await?;
    snap.components = components.to_vec();
    snap.incidents.retain(|i| i.id != incident.id);
    snap.incidents.insert(0, incident.clone());
    snap.now = now;
    for s in &subscribers {
        if s.kind == super::email::EMAIL {
            let mail = super::email::update_mail(state, &snap, s, incident, update);
            let key = format!("status:{}:mail:{}", update.id, s.id);
            super::email::queue_mail(tx, &key, &s.id, &mail, now).await?;
            continue;
        }
        let locale = Locale::parse(&s.language).unwrap_or(Locale::Ja);
        for (key, body) in bodies(&Writer::new(state, &snap, locale), incident, update) {
            let post = StatusPost {
                url: s.address.clone(),
                body,
            };
            let row = NewNotice {
                idempotency_key: format!("status:{}:{key}:{}", update.id, s.id),
                group_key: String::new(),
                receiver: format!("status_subscriber:{}", s.id),
                integration: 0,
                kind: hinomi_engine::STATUS_WEBHOOK.into(),
                payload: serde_json::to_string(&post).expect("JSON values serialise"),
                created_at: now,
                due_at: now,
                lease: None,
            };
            tx.insert_notice(&row).await?;
        }
    }
    Ok(())
}

/// The webhook bodies announcing `update`, each with a key unique within the update.
fn bodies(w: &Writer<'_>, incident: &StatusIncident, update: &Update) -> Vec<(String, Value)> {
    let status = w.status();
    let head = json!({
        "meta": {
            "unsubscribe": Value::Null,
            "documentation": format!("{}/api/v1/docs", w.page_url.trim_end_matches("/status")),
            "generated_at": w.clock.iso(w.snap.now),
        },
        "page": {
            "id": w.page_id,
            "status_indicator": status.indicator,
            "status_description": status.description,
        },
    });
    let with = |key: &str, value: Value, more: Option<(&str, Value)>| {
        let mut body = head.clone();
        body[key] = value;
        if let Some((k, v)) = more {
            body[k] = v;
        }
        body
    };
    let mut out = vec![(
        "incident".to_owned(),
        with("incident", json!(w.incident(incident)), None),
    )];
    for a in &update.affected {
        let Some(c) = w.snap.components.iter().find(|c| c.id == a.component_id) else {
            continue;
        };
        let change = json!({
            "id": format!("{}{}", update.id, a.component_id),
            "component_id": a.component_id,
            "component_type": "Component",
            "old_status": a.old_state.as_str(),
            "new_status": a.new_state.as_str(),
            "created_at": w.clock.iso(update.created_at),
        });
        out.push((
            format!("component:{}", a.component_id),
            with(
                "component_update",
                change,
                Some(("component", json!(w.component(c)))),
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_who_may_not_manage_see_no_whole_address() {
        let s = |kind: &str, address: &str| StatusSubscriber {
            id: "s".into(),
            kind: kind.into(),
            address: address.into(),
            language: "ja".into(),
            created_at: 0,
            confirmed_at: Some(0),
            expires_at: None,
        };
        let hook = s(
            WEBHOOK,
            "https://user:pw@hooks.example.org/t/0123?key=secret",
        );
        assert_eq!(shown_address(&hook, false), "https://hooks.example.org/…");
        assert_eq!(shown_address(&hook, true), hook.address);
        let mail = s("email", "tanaka@example.org");
        assert_eq!(shown_address(&mail, false), "ta***@example.org");
    }
}
