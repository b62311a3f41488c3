//! The web console: server-rendered pages (askama) with htmx for partial updates and
//! server-sent events for the live alert list.
//!
//! Every page is rendered from a [`Ctx`]: the language, time zone and CSRF token of the
//! request, so templates never look at the request themselves. Forms post back here and
//! answer with a redirect (post/redirect/get) or the same page with a 400 naming the field.

mod account;
mod action;
mod admin;
mod alerts;
mod assets;
mod contact;
mod groups;
mod heartbeats;
mod holidays;
pub mod i18n;
mod incidents;
mod live;
mod pages;
mod policies;
mod postmortems;
mod prefs;
mod schedules;
mod silences;
mod status;
mod teams;

use askama::Template;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use hinomi_core::Action;
use jiff::tz::TimeZone;

use crate::auth::Principal;
use crate::routes::RouteTable;
pub use i18n::{Catalog, Locale};

/// Cookie that remembers the language chosen before (or without) signing in.
const LANG_COOKIE: &str = "hinomi_lang";
/// Cookie that remembers the time zone chosen in the user menu.
const TZ_COOKIE: &str = "hinomi_tz";

/// Pages that need a signed-in principal (mounted behind authentication).
pub fn routes() -> RouteTable {
    RouteTable::new()
        .get("/", || async { Redirect::to("/alerts") })
        .get("/alerts", alerts::page)
        .get("/alerts/list", alerts::fragment)
        .get("/alerts/events", alerts::events)
        .get("/alerts/{fingerprint}", alerts::detail)
        .get("/groups", groups::page)
        .get("/pages", pages::list)
        .get("/pages/{id}", pages::detail)
        .post("/pages/{id}/acknowledge", pages::acknowledge)
        .post("/pages/{id}/resolve", pages::resolve)
        .post("/pages/{id}/escalate", pages::escalate)
        .post("/pages/{id}/snooze", pages::snooze)
        .post("/pages/{id}/reassign", pages::reassign)
        .get("/incidents", incidents::list)
        .post("/incidents", incidents::declare)
        .get("/incidents/new", incidents::new_form)
        .get("/incidents/suggest", incidents::suggest)
        .get("/incidents/{incident}", incidents::detail)
        .post("/incidents/{incident}", incidents::change)
        .post("/incidents/{incident}/milestones", incidents::milestone)
        .get("/incidents/{incident}/timeline", incidents::timeline)
        .post("/incidents/{incident}/timeline", incidents::add_entry)
        .post(
            "/incidents/{incident}/timeline/{entry}/correct",
            incidents::correct,
        )
        .get("/incidents/{incident}/events", incidents::events)
        .post("/incidents/{incident}/services", incidents::services)
        .post("/incidents/{incident}/groups", incidents::link_group)
        .post("/incidents/{incident}/updates", incidents::post_update)
        .post(
            "/incidents/{incident}/recovery/{check}",
            postmortems::set_check,
        )
        .post(
            "/incidents/{incident}/impact-record",
            postmortems::set_impact_record,
        )
        .get("/incidents/{incident}/postmortem", postmortems::page)
        .post("/incidents/{incident}/postmortem", postmortems::draft)
        .get("/incidents/{incident}/postmortem/print", postmortems::print)
        .post(
            "/incidents/{incident}/postmortem/sections/{section}",
            postmortems::edit_section,
        )
        .post("/incidents/{incident}/action-items", postmortems::add_items)
        .get("/action-items", postmortems::items)
        .post("/action-items/{item}", postmortems::change_item)
        .post("/incidents/{incident}/roles", incidents::assign_role)
        .post(
            "/incidents/{incident}/roles/{assignment}/unassign",
            incidents::unassign_role,
        )
        .post(
            "/incidents/{incident}/checklist/{item}",
            incidents::check_item,
        )
        .get("/external-contacts", incidents::contacts)
        .post("/external-contacts", incidents::add_contact)
        .post("/external-contacts/{id}/delete", incidents::delete_contact)
        .get("/heartbeats", heartbeats::page)
        .post("/heartbeats", heartbeats::create)
        .post("/heartbeats/{heartbeat}/delete", heartbeats::delete)
        .get("/status-page", status::page)
        .post("/status-page/components", status::create_component)
        .post(
            "/status-page/components/{component}",
            status::set_component_state,
        )
        .post(
            "/status-page/components/{component}/delete",
            status::delete_component,
        )
        .post("/status-page/incidents", status::open_incident)
        .post("/status-page/maintenances", status::schedule_maintenance)
        .get("/status-page/incidents/{id}", status::incident)
        .post("/status-page/incidents/{id}/updates", status::post_update)
        .get("/status-page/subscribers", status::subscriber_list)
        .post("/status-page/subscribers", status::add_subscriber)
        .post(
            "/status-page/subscribers/{id}/delete",
            status::remove_subscriber,
        )
        .get("/escalation-policies", policies::list)
        .post("/escalation-policies", policies::create)
        .get("/escalation-policies/{policy}", policies::detail)
        .post("/escalation-policies/{policy}", policies::update)
        .post("/escalation-policies/{policy}/delete", policies::delete)
        .post("/escalation-policies/{policy}/bindings", policies::bind)
        .post(
            "/escalation-policies/{policy}/bindings/{kind}/{target}/delete",
            policies::unbind,
        )
        .get("/silences", silences::page)
        .post("/silences", silences::save)
        .get("/silences/new", silences::new_form)
        .get("/silences/preview", silences::preview)
        .get("/silences/{id}/edit", silences::edit_form)
        .post("/silences/{id}/expire", silences::expire)
        .get("/schedules", schedules::page)
        .post("/schedules", schedules::create)
        .get("/schedules/new", schedules::new_form)
        .get("/schedules/{schedule}", schedules::detail)
        .post("/schedules/{schedule}", schedules::save)
        .post("/schedules/{schedule}/delete", schedules::delete)
        .post("/schedules/{schedule}/overrides", schedules::add_override)
        .post(
            "/schedules/{schedule}/overrides/{override}/remove",
            schedules::remove_override,
        )
        .get("/holiday-calendars", holidays::page)
        .post("/holiday-calendars", holidays::create)
        .get("/holiday-calendars/{calendar}", holidays::detail)
        .post("/holiday-calendars/{calendar}/import", holidays::import)
        .post(
            "/holiday-calendars/{calendar}/days/{date}/delete",
            holidays::delete_day,
        )
        .post("/holiday-calendars/{calendar}/delete", holidays::delete)
        .post("/account/ical/rotate", schedules::rotate_feed)
        .post("/preferences", prefs::save)
        .post("/logout", account::logout)
        .get("/account/contact", contact::page)
        .post("/account/contact", contact::add)
        .post("/account/contact/{id}/test", contact::test)
        .post("/account/contact/{id}/verify", contact::verify)
        .post("/account/contact/{id}/delete", contact::delete)
        .post("/account/rules", contact::add_rule)
        .post("/account/rules/{id}/delete", contact::delete_rule)
        .post("/account/backup", contact::set_backup)
        .post("/account/shift-notices", contact::set_shift_notices)
        .get("/account/password", account::password_form)
        .post("/account/password", account::change_password)
        .get("/tokens", account::tokens)
        .post("/tokens", account::create_token)
        .post("/tokens/{id}/revoke", account::revoke_token)
        .get("/integrations", admin::integrations)
        .post("/integrations", admin::create_integration)
        .post("/integrations/{name}/revoke", admin::revoke_integration)
        .get("/users", admin::users)
        .post("/users", admin::create_user)
        .get("/users/tokens", admin::all_tokens)
        .post("/users/tokens/{id}/revoke", admin::revoke_token)
        .get("/users/{id}", admin::user)
        .post("/users/{id}/profile", admin::update_profile)
        .post("/users/{id}/role", admin::set_role)
        .post("/users/{id}/disable", admin::disable_user)
        .post("/users/{id}/enable", admin::enable_user)
        .post("/users/{id}/password-reset", admin::reset_password)
        .post("/users/{id}/delete", admin::delete_user)
        .get("/teams", teams::page)
        .post("/teams", teams::create)
        .post("/teams/{team}/delete", teams::delete)
        .post("/teams/{team}/members", teams::set_member)
        .post(
            "/teams/{team}/members/{username}/remove",
            teams::remove_member,
        )
        .get("/audit", admin::audit)
}

/// Pages anyone may load: the sign-in page and static assets.
pub fn public_routes() -> RouteTable {
    RouteTable::new()
        .get("/static/{file}", assets::serve)
        .get("/login", account::login_form)
        .post("/login", account::login)
}

/// The one-time links of page messages, whose token is the credential.
pub fn action_routes() -> RouteTable {
    RouteTable::new()
        .get("/a/{token}", action::show)
        .post("/a/{token}", action::redeem)
}

/// The URL of a bundled asset (see [`Ctx::asset`]), for pages rendered outside the console.
pub fn asset_url(name: &str) -> &'static str {
    assets::url(name)
}

/// The signed-in principal of a console request.
#[derive(Debug, Clone)]
pub struct Me {
    pub principal: Principal,
    /// Shown in the user menu.
    pub name: String,
}

/// What every template needs to know about the request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub locale: Locale,
    pub tz: TimeZone,
    /// IANA name of `tz`, shown in the user menu.
    pub tz_name: String,
    /// Path and query of this request: highlights the navigation, and forms come back here.
    pub path: String,
    /// Sent back with every form and htmx request; empty without a session.
    pub csrf: String,
    /// Who is asking; `None` on the public pages.
    pub me: Option<Me>,
    /// The client's address, for sign-in throttling and the audit log.
    pub source: String,
}

impl Ctx {
    /// The principal, if it may perform `action`.
    fn require(&self, action: Action) -> Result<&Me, PageError> {
        match &self.me {
            Some(me) if me.principal.require(action).is_ok() => Ok(me),
            _ => Err(PageError::Forbidden(action)),
        }
    }

    fn may(&self, action: Action) -> bool {
        self.require(action).is_ok()
    }

    pub fn may_manage_silences(&self) -> bool {
        self.may(Action::ManageSilences)
    }

    pub fn may_manage_integrations(&self) -> bool {
        self.may(Action::ManageIntegrations)
    }

    pub fn may_manage_users(&self) -> bool {
        self.may(Action::ManageUsers)
    }

    pub fn may_manage_teams(&self) -> bool {
        self.may(Action::ManageTeams)
    }

    pub fn may_read_audit(&self) -> bool {
        self.may(Action::ReadAudit)
    }

    /// The signed-in person's name, empty on public pages.
    pub fn user_name(&self) -> &str {
        self.me.as_ref().map_or("", |m| m.name.as_str())
    }

    /// The message for `key` in the request's language.
    pub fn t(&self, key: &str) -> &'static str {
        self.locale.t(key)
    }

    /// The name of an alert state (`active`, `silenced`, `inhibited`, `resolved`).
    pub fn state_label(&self, state: &str) -> &'static str {
        self.t(&format!("state.{state}"))
    }

    /// The message `prefix.name`: the label of one of a set of names (a weekday, a unit).
    pub fn label(&self, prefix: &str, name: &str) -> &'static str {
        self.t(&format!("{prefix}.{name}"))
    }

    /// The name of a silence state (`active`, `pending`, `expired`).
    pub fn silence_state_label(&self, state: &str) -> &'static str {
        self.t(&format!("silence.state.{state}"))
    }

    /// An instant in the viewer's time zone, to the second.
    pub fn time(&self, ms: &i64) -> String {
        format_time(*ms, &self.tz)
    }

    /// An instant as RFC 3339 UTC, for `<time datetime>`.
    pub fn iso(&self, ms: &i64) -> String {
        jiff::Timestamp::from_millisecond(*ms)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    /// The URL of a bundled asset, with its content hash in the name so it can be cached
    /// for a year.
    pub fn asset(&self, name: &str) -> &'static str {
        assets::url(name)
    }

    /// Whether the navigation entry for `prefix` is the current page.
    pub fn current(&self, prefix: &str) -> bool {
        self.path == prefix
            || self
                .path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with(['/', '?']))
    }

    /// The `hx-headers` value that makes htmx send the CSRF token.
    pub fn hx_headers(&self) -> String {
        serde_json::json!({ "X-CSRF-Token": self.csrf }).to_string()
    }
}

fn format_time(ms: i64, tz: &TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S %Z")
            .to_string(),
        Err(_) => String::new(),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Ctx, Self::Rejection> {
        Ok(Ctx::from_parts(parts))
    }
}

impl Ctx {
    fn from_parts(parts: &Parts) -> Ctx {
        let headers = &parts.headers;
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let principal = parts.extensions.get::<Principal>().cloned();
        let user = principal.as_ref().and_then(|p| p.user.clone());
        // The person's stored choice first, then this browser's, then its languages.
        let lang = user
            .as_ref()
            .and_then(|u| u.locale.clone())
            .or_else(|| crate::auth::cookie(headers, LANG_COOKIE).map(str::to_owned));
        let locale = Locale::negotiate(lang.as_deref(), accept);
        let (tz, tz_name) = user
            .as_ref()
            .and_then(|u| u.time_zone.clone())
            .or_else(|| crate::auth::cookie(headers, TZ_COOKIE).map(str::to_owned))
            .and_then(|name| TimeZone::get(&name).ok().map(|tz| (tz, name)))
            .unwrap_or_else(|| (TimeZone::UTC, "UTC".to_owned()));
        let source = crate::auth::client_address(&parts.extensions);
        let path = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        Ctx {
            locale,
            tz,
            tz_name,
            path,
            csrf: principal
                .as_ref()
                .and_then(|p| p.csrf.clone())
                .unwrap_or_default(),
            me: principal.map(|principal| Me {
                name: principal.actor_parts().2,
                principal,
            }),
            source,
        }
    }
}

/// Renders a template as a page with `status`.
fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => (
            status,
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            Html(body),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// A page that could not be shown: rendered in the frame with a message and a way back.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: Ctx,
    status: u16,
    title: &'static str,
    detail: String,
}

/// Why a console request failed; rendered as [`ErrorPage`].
#[derive(Debug)]
enum PageError {
    NotFound,
    /// The principal's role does not allow the action.
    Forbidden(Action),
    /// The field (form or query parameter) and what is wrong with it.
    BadInput(String, String),
    Internal(String),
}

impl PageError {
    fn into_page(self, ctx: Ctx) -> Response {
        let must_change = ctx
            .me
            .as_ref()
            .and_then(|m| m.principal.user.as_ref())
            .is_some_and(|u| u.must_change_password);
        if matches!(self, PageError::Forbidden(_)) && must_change {
            // A one-time password only opens the way to choosing one's own.
            return Redirect::to("/account/password").into_response();
        }
        let (status, title, detail) = match self {
            PageError::Forbidden(action) => (
                StatusCode::FORBIDDEN,
                ctx.t("error.forbidden"),
                format!("{} ({})", ctx.t("error.forbidden_detail"), action.as_str()),
            ),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                ctx.t("error.not_found"),
                String::new(),
            ),
            PageError::BadInput(field, msg) => (
                StatusCode::BAD_REQUEST,
                ctx.t("error.bad_input"),
                format!("{field}: {msg}"),
            ),
            PageError::Internal(e) => {
                // Logged, never shown: it may name internals.
                tracing::error!(error = %e, "console request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ctx.t("error.internal"),
                    String::new(),
                )
            }
        };
        render(
            status,
            &ErrorPage {
                ctx,
                status: status.as_u16(),
                title,
                detail,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(path: &str) -> Ctx {
        let mut parts = axum::http::Request::get(path)
            .body(())
            .unwrap()
            .into_parts()
            .0;
        parts.headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; hinomi_tz=Asia/Tokyo; hinomi_lang=en"),
        );
        Ctx::from_parts(&parts)
    }

    #[test]
    fn cookies_choose_language_and_time_zone() {
        let c = ctx("/alerts");
        assert_eq!(c.locale, Locale::En);
        assert_eq!(c.tz_name, "Asia/Tokyo");
        // 2026-12-01T00:00:00Z is 09:00 in Tokyo.
        assert_eq!(c.time(&1_796_083_200_000), "2026-12-01 09:00:00 JST");
    }

    #[test]
    fn every_state_has_a_label_in_every_language() {
        for locale in Locale::ALL {
            for state in ["active", "silenced", "inhibited", "resolved"] {
                let key = format!("state.{state}");
                assert_ne!(locale.t(&key), key, "{locale:?}");
            }
            use hinomi_core::SilenceState;
            for state in [
                SilenceState::Active,
                SilenceState::Pending,
                SilenceState::Expired,
            ] {
                let key = format!("silence.state.{}", state.as_str());
                assert_ne!(locale.t(&key), key, "{locale:?}");
            }
        }
    }

    #[test]
    fn navigation_marks_the_page_and_its_children_only() {
        assert!(ctx("/silences").current("/silences"));
        assert!(ctx("/silences/new?x=1").current("/silences"));
        assert!(ctx("/alerts?filter=a").current("/alerts"));
        assert!(!ctx("/alertsx").current("/alerts"));
        assert!(!ctx("/groups").current("/alerts"));
    }
}
