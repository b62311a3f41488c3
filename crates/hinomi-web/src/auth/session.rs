//! Signing in and out: password checks with throttling, session rows, and the cookie that
//! carries the session id (the database keeps only its hash).

use axum::http::HeaderValue;
use hinomi_store::{AuditEntry, SessionRecord, UserRecord};
use serde_json::json;

use super::secret::{dummy_hash, random_hex, sha256_hex, verify_password};
use super::{Actor, Principal};
use crate::AppState;
use crate::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "hinomi_session";

/// A session just made: the `Set-Cookie` value to send, and whose it is.
#[derive(Debug)]
pub struct NewSession {
    pub set_cookie: HeaderValue,
    pub user: UserRecord,
}

/// Why a password sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown user, wrong password or disabled account: one answer for all, so the reply
    /// does not tell which usernames exist.
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many failed sign-ins; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: i64 },
    #[error(transparent)]
    Store(#[from] ApiError),
}

fn system_audit(
    now: i64,
    action: &str,
    target: &str,
    detail: serde_json::Value,
    source: &str,
) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: now,
        actor_kind: "anonymous".to_owned(),
        actor_id: String::new(),
        actor_name: "anonymous".to_owned(),
        action: action.to_owned(),
        target: target.to_owned(),
        detail: detail.to_string(),
        source: source.to_owned(),
    }
}

/// Checks `username` and `password` and starts a session. Failures are counted per
/// username and per client address; past a few, both must wait.
pub async fn sign_in_with_password(
    state: &AppState,
    username: &str,
    password: &str,
    source: &str,
) -> Result<NewSession, SignInError> {
    let now = state.engine.now();
    let user_key = format!("user:{}", username.to_lowercase());
    let addr_key = format!("addr:{source}");
    {
        let throttle = state.auth.throttle.lock().expect("throttle");
        let wait = [&user_key, &addr_key]
            .into_iter()
            .filter_map(|k| throttle.wait(k, now))
            .max();
        if let Some(ms) = wait {
            return Err(SignInError::Throttled {
                retry_after_secs: (ms + 999) / 1000,
            });
        }
    }
    let user = state
        .engine
        .store()
        .user_by_username(username)
        .await
        .map_err(ApiError::from)?;
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_owned());
    let candidate = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &candidate))
        .await
        .map_err(ApiError::internal)?;
    let user = match user {
        Some(u) if matches && u.password_hash.is_some() && u.disabled_at.is_none() => u,
        _ => {
            {
                let mut throttle = state.auth.throttle.lock().expect("throttle");
                throttle.fail(&user_key, now);
                throttle.fail(&addr_key, now);
            }
            tracing::warn!(username = %username, source = %source, "sign-in refused");
            let entry = system_audit(
                now,
                "session.refused",
                username,
                json!({"via": "password"}),
                source,
            );
            state
                .engine
                .store()
                .append_audit(&entry)
                .await
                .map_err(ApiError::from)?;
            return Err(SignInError::BadCredentials);
        }
    };
    state
        .auth
        .throttle
        .lock()
        .expect("throttle")
        .succeed(&user_key);
    Ok(start_session(state, &user, source, "password").await?)
}

/// Starts a session for `user`, signed in `via` a method (`password`, `oidc`).
pub async fn start_session(
    state: &AppState,
    user: &UserRecord,
    source: &str,
    via: &str,
) -> Result<NewSession, ApiError> {
    let now = state.engine.now();
    let id = random_hex(32);
    let ttl = state.auth.settings.session_ttl_ms;
    let record = SessionRecord {
        id_hash: sha256_hex(&id),
        user_id: user.id.clone(),
        csrf_token: random_hex(32),
        created_at: now,
        expires_at: now + ttl,
        source: source.to_owned(),
    };
    let principal = Principal {
        actor: Actor::User {
            id: user.id.clone(),
            username: user.username.clone(),
        },
        role: user.role,
        user: None,
        cap: None,
        csrf: None,
        source: source.to_owned(),
        session: None,
    };
    let audit = principal.audit(
        now,
        "session.created",
        &user.username,
        json!({ "via": via }),
    );
    state.engine.store().create_session(&record, &audit).await?;
    let secure = if state.auth.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        ttl / 1000
    );
    Ok(NewSession {
        set_cookie: HeaderValue::from_str(&cookie).expect("hex cookie is a valid header"),
        user: user.clone(),
    })
}

/// Ends the principal's session (if it has one) and answers the `Set-Cookie` value that
/// clears the cookie.
pub async fn sign_out(state: &AppState, principal: &Principal) -> Result<HeaderValue, ApiError> {
    if let Some(id_hash) = &principal.session {
        let now = state.engine.now();
        let target = principal.actor_parts().2;
        let audit = principal.audit(now, "session.ended", &target, json!({}));
        state.engine.store().delete_session(id_hash, &audit).await?;
    }
    let secure = if state.auth.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    Ok(HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .expect("static cookie is a valid header"))
}
