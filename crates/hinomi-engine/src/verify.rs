//! Contact method verification: a test message carrying a code, which the person types back
//! to show the method reaches them. Only verified methods are paged.

use hinomi_core::{Envelope, Locale, Notice, NoticeKind};
use hinomi_store::ClaimedDelivery;
use serde_json::json;

use crate::escalate::token_hash;
use crate::{EngineError, Shared, deliver};

/// How long a test message's code can be confirmed.
pub const CODE_TTL_MS: i64 = 30 * 60 * 1000;

/// What the database keeps of a contact method's code: bound to the method, so a code is
/// worth nothing for another.
pub fn code_hash(contact_method_id: &str, code: &str) -> String {
    token_hash(&format!("{contact_method_id}:{}", code.trim()))
}

/// Six random digits.
fn new_code() -> String {
    let n = u128::from_le_bytes(*uuid::Uuid::new_v4().as_bytes()) % 1_000_000;
    format!("{n:06}")
}

/// Writes the test message of one of `user_id`'s contact methods, with a new code, in one
/// transaction; answers the row leased to this instance for delivery.
pub(crate) async fn send_test(
    shared: &Shared,
    user_id: &str,
    contact_method_id: &str,
    now: i64,
) -> Result<Vec<ClaimedDelivery>, EngineError> {
    let store = &shared.store;
    let not_found = || EngineError::NotFound(format!("contact method {contact_method_id}"));
    let cm = store
        .contact_method(contact_method_id)
        .await?
        .filter(|c| c.user_id == user_id)
        .ok_or_else(not_found)?;
    let user = store.user_by_id(user_id).await?.ok_or_else(not_found)?;
    let code = new_code();
    let envelope = Envelope {
        contact: cm.contact(),
        notice: Notice {
            kind: NoticeKind::Test { code: code.clone() },
            locale: user
                .locale
                .as_deref()
                .and_then(Locale::parse)
                .unwrap_or(Locale::Ja),
            recipient: user.display_name.clone(),
            page_id: None,
            title: cm.label.clone(),
            alerts: Vec::new(),
            console_url: Some(format!(
                "{}/account/contact",
                shared.settings.external_url.trim_end_matches('/')
            )),
            actions: Vec::new(),
            at: now,
        },
    };
    let key = format!("test:{}|{now}", cm.id);
    let row = deliver::to_person_now(shared, key, &user.id, &envelope, now);
    let mut tx = store.begin().await?;
    tx.set_contact_code(&cm.id, &code_hash(&cm.id, &code), now + CODE_TTL_MS)
        .await?;
    let id = tx.insert_notice(&row).await?;
    let data = json!({ "kind": cm.kind.as_str(), "label": cm.label });
    tx.append_event(
        now,
        "contact.test_sent",
        &cm.id,
        &user.username,
        &data.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(id.and_then(|id| row.claimed(id)).into_iter().collect())
}
