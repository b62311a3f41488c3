//! `POST /preferences`: the language and time zone switch of the user menu (and of the
//! sign-in page). Choices are kept in cookies, so they hold before signing in too.

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::{Ctx, LANG_COOKIE, Locale, PageError, TZ_COOKIE};
use crate::AppState;

/// A year: the choice outlives sessions.
const MAX_AGE_SECS: u32 = 365 * 24 * 3600;

#[derive(Debug, Deserialize)]
pub(super) struct PrefsForm {
    lang: Option<String>,
    tz: Option<String>,
    /// Where to go back to; only a local path is followed.
    #[serde(default)]
    next: String,
}

/// Only same-site paths: `/x` but never `//host` or `/\host`, so the switch cannot be used
/// to send someone elsewhere.
pub(super) fn local_path(next: &str) -> &str {
    let ok = next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\");
    if ok { next } else { "/" }
}

pub(super) fn set_cookie(name: &str, value: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={MAX_AGE_SECS}; SameSite=Lax; HttpOnly"
    ))
    .ok()
}

pub(super) async fn save(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(form): Form<PrefsForm>,
) -> Response {
    let mut cookies = Vec::new();
    if let Some(lang) = form.lang.as_deref() {
        let Some(locale) = Locale::parse(lang).filter(|l| l.tag() == lang) else {
            return PageError::BadInput("lang".into(), ctx.t("prefs.error.lang").into())
                .into_page(ctx);
        };
        cookies.extend(set_cookie(LANG_COOKIE, locale.tag()));
    }
    if let Some(tz) = form.tz.as_deref().map(str::trim) {
        if TimeZone::get(tz).is_err() || !tz.bytes().all(|b| b.is_ascii_graphic()) {
            return PageError::BadInput("tz".into(), ctx.t("prefs.error.tz").into()).into_page(ctx);
        }
        cookies.extend(set_cookie(TZ_COOKIE, tz));
    }
    // Signed in: the choice follows the person to every browser.
    if let Some(me) = &ctx.me
        && let Some(user) = &me.principal.user
    {
        let mut updated = (**user).clone();
        if let Some(lang) = &form.lang {
            updated.locale = Some(lang.clone());
        }
        if let Some(tz) = &form.tz {
            updated.time_zone = Some(tz.trim().to_owned());
        }
        let now = state.engine.now();
        let audit = me.principal.audit(
            now,
            "user.preferences_changed",
            &user.username,
            serde_json::json!({ "locale": updated.locale, "time_zone": updated.time_zone }),
        );
        if let Err(e) = state.engine.store().update_user(&updated, &audit).await {
            return PageError::Internal(e.to_string()).into_page(ctx);
        }
    }
    let mut response = Redirect::to(local_path(&form.next)).into_response();
    for c in cookies {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/alerts?x=1"), "/alerts?x=1");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path(""), "/");
    }
}
