//! hinomi's own REST API under `/api/v1`: JSON in and out, one error shape
//! ([`ApiError`]), every handler checking its [`Action`] on the caller's [`Principal`]
//! and every change written with its audit entry. The OpenAPI 3.1 document is derived from
//! the request and response types of this module (never from domain types, so the wire
//! format is a decision made here) and served at `/api/v1/openapi.json`, with a Swagger UI
//! built into the binary at `/api/v1/docs`.

mod alerts;
mod audit;
mod contacts;
mod heartbeats;
mod holidays;
mod incident_team;
mod incidents;
mod integrations;
pub(crate) mod pages;
mod policies;
mod postmortems;
mod schedules;
mod silences;
mod status;
mod teams;
mod users;

pub use schedules::{MAX_PREVIEW_DAYS, ScheduleIn, preview_range};

use std::sync::{Arc, LazyLock};

use axum::Json;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::Action;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::RouteTable;
use crate::auth::{Actor, Principal};
use crate::error::ApiError;

/// Every `/api/v1` route; the caller puts them behind authentication.
pub fn routes() -> RouteTable {
    RouteTable::new()
        .get("/api/v1/alerts", alerts::list)
        .get("/api/v1/alerts/{fingerprint}", alerts::get_one)
        .get("/api/v1/groups", alerts::groups)
        .get("/api/v1/silences", silences::list)
        .post("/api/v1/silences", silences::create)
        .get("/api/v1/silences/{id}", silences::get_one)
        .put("/api/v1/silences/{id}", silences::update)
        .delete("/api/v1/silences/{id}", silences::expire)
        .get("/api/v1/teams", teams::list)
        .post("/api/v1/teams", teams::create)
        .get("/api/v1/teams/{team}", teams::get_one)
        .patch("/api/v1/teams/{team}", teams::update)
        .delete("/api/v1/teams/{team}", teams::delete)
        .put("/api/v1/teams/{team}/members/{username}", teams::set_member)
        .delete(
            "/api/v1/teams/{team}/members/{username}",
            teams::remove_member,
        )
        .get("/api/v1/schedules", schedules::list)
        .post("/api/v1/schedules", schedules::create)
        .get("/api/v1/schedules/{schedule}", schedules::get_one)
        .put("/api/v1/schedules/{schedule}", schedules::replace)
        .patch("/api/v1/schedules/{schedule}", schedules::patch)
        .delete("/api/v1/schedules/{schedule}", schedules::delete)
        .get("/api/v1/schedules/{schedule}/on-call", schedules::on_call)
        .get("/api/v1/schedules/{schedule}/shifts", schedules::shifts)
        .post(
            "/api/v1/schedules/{schedule}/overrides",
            schedules::add_override,
        )
        .delete(
            "/api/v1/schedules/{schedule}/overrides/{override}",
            schedules::remove_override,
        )
        .get("/api/v1/holiday-calendars", holidays::list)
        .post("/api/v1/holiday-calendars", holidays::create)
        .get("/api/v1/holiday-calendars/{calendar}", holidays::get_one)
        .patch("/api/v1/holiday-calendars/{calendar}", holidays::update)
        .delete("/api/v1/holiday-calendars/{calendar}", holidays::delete)
        .post(
            "/api/v1/holiday-calendars/{calendar}/import",
            holidays::import,
        )
        .get("/api/v1/integrations", integrations::list)
        .post("/api/v1/integrations", integrations::create)
        .delete("/api/v1/integrations/{name}", integrations::revoke)
        .put("/api/v1/integrations/{name}/team", integrations::set_team)
        .get("/api/v1/me", users::me)
        .patch("/api/v1/me", users::update_me)
        .post("/api/v1/me/password", users::change_password)
        .get("/api/v1/me/ical", schedules::my_ical)
        .post("/api/v1/me/ical/rotate", schedules::rotate_ical)
        .get("/api/v1/me/tokens", users::my_tokens)
        .post("/api/v1/me/tokens", users::create_token)
        .delete("/api/v1/me/tokens/{id}", users::revoke_my_token)
        .get("/api/v1/tokens", users::all_tokens)
        .delete("/api/v1/tokens/{id}", users::revoke_token)
        .get("/api/v1/users", users::list_users)
        .post("/api/v1/users", users::create_user)
        .get("/api/v1/users/{id}", users::get_user)
        .patch("/api/v1/users/{id}", users::update_user)
        .delete("/api/v1/users/{id}", users::delete_user)
        .post("/api/v1/users/{id}/password-reset", users::reset_password)
        .get("/api/v1/me/contact-methods", contacts::list_methods)
        .post("/api/v1/me/contact-methods", contacts::create_method)
        .delete("/api/v1/me/contact-methods/{id}", contacts::delete_method)
        .post(
            "/api/v1/me/contact-methods/{id}/test",
            contacts::test_method,
        )
        .post(
            "/api/v1/me/contact-methods/{id}/verify",
            contacts::verify_method,
        )
        .get("/api/v1/me/notification-rules", contacts::list_rules)
        .post("/api/v1/me/notification-rules", contacts::create_rule)
        .delete("/api/v1/me/notification-rules/{id}", contacts::delete_rule)
        .get("/api/v1/me/backup", contacts::get_backup)
        .put("/api/v1/me/backup", contacts::set_backup)
        .get("/api/v1/me/shift-notices", contacts::get_shift_notices)
        .put("/api/v1/me/shift-notices", contacts::set_shift_notices)
        .get("/api/v1/users/{id}/skills", contacts::get_skills)
        .put("/api/v1/users/{id}/skills", contacts::set_skills)
        .get("/api/v1/pages", pages::list)
        .get("/api/v1/pages/{id}", pages::get_one)
        .post("/api/v1/pages/{id}/acknowledge", pages::acknowledge)
        .post("/api/v1/pages/{id}/resolve", pages::resolve)
        .post("/api/v1/pages/{id}/escalate", pages::escalate)
        .post("/api/v1/pages/{id}/reassign", pages::reassign)
        .post("/api/v1/pages/{id}/snooze", pages::snooze)
        .get("/api/v1/escalation-policies", policies::list)
        .post("/api/v1/escalation-policies", policies::create)
        .get("/api/v1/escalation-policies/{policy}", policies::get_one)
        .put("/api/v1/escalation-policies/{policy}", policies::update)
        .delete("/api/v1/escalation-policies/{policy}", policies::delete)
        .put(
            "/api/v1/escalation-policies/{policy}/bindings/{kind}/{target}",
            policies::bind,
        )
        .delete(
            "/api/v1/escalation-policies/{policy}/bindings/{kind}/{target}",
            policies::unbind,
        )
        .get("/api/v1/heartbeats", heartbeats::list)
        .post("/api/v1/heartbeats", heartbeats::create)
        .delete("/api/v1/heartbeats/{heartbeat}", heartbeats::delete)
        .get("/api/v1/incidents", incidents::list)
        .post("/api/v1/incidents", incidents::declare)
        .get("/api/v1/incidents/{incident}", incidents::get_one)
        .patch("/api/v1/incidents/{incident}", incidents::patch)
        .put(
            "/api/v1/incidents/{incident}/milestones/{milestone}",
            incidents::put_milestone,
        )
        .get("/api/v1/incidents/{incident}/timeline", incidents::timeline)
        .post(
            "/api/v1/incidents/{incident}/updates",
            incidents::post_update,
        )
        .get("/api/v1/incidents/{incident}/drafts", incidents::drafts)
        .post(
            "/api/v1/incidents/{incident}/timeline",
            incidents::add_entry,
        )
        .get(
            "/api/v1/incidents/{incident}/timeline/export",
            incidents::export,
        )
        .post(
            "/api/v1/incidents/{incident}/timeline/{entry}/corrections",
            incidents::correct_entry,
        )
        .post(
            "/api/v1/alert-groups/{group_key}/incident",
            incidents::declare_from_group,
        )
        .get(
            "/api/v1/incidents/{incident}/recovery",
            postmortems::recovery,
        )
        .put(
            "/api/v1/incidents/{incident}/recovery/checks/{check}",
            postmortems::put_check,
        )
        .put(
            "/api/v1/incidents/{incident}/recovery/impact-record",
            postmortems::put_impact_record,
        )
        .get(
            "/api/v1/incidents/{incident}/postmortem",
            postmortems::get_postmortem,
        )
        .post(
            "/api/v1/incidents/{incident}/postmortem",
            postmortems::draft_postmortem,
        )
        .put(
            "/api/v1/incidents/{incident}/postmortem/sections/{section}",
            postmortems::put_section,
        )
        .get(
            "/api/v1/incidents/{incident}/postmortem.md",
            postmortems::postmortem_md,
        )
        .get(
            "/api/v1/incidents/{incident}/action-items",
            postmortems::incident_items,
        )
        .post(
            "/api/v1/incidents/{incident}/action-items",
            postmortems::add_items,
        )
        .get("/api/v1/action-items", postmortems::list_items)
        .get("/api/v1/action-items/{item}", postmortems::get_item)
        .patch("/api/v1/action-items/{item}", postmortems::patch_item)
        .get("/api/v1/incidents/{incident}/roles", incident_team::roles)
        .post("/api/v1/incidents/{incident}/roles", incident_team::assign)
        .delete(
            "/api/v1/incidents/{incident}/roles/{assignment}",
            incident_team::unassign,
        )
        .get(
            "/api/v1/incidents/{incident}/checklist",
            incident_team::checklist,
        )
        .patch(
            "/api/v1/incidents/{incident}/checklist/{item}",
            incident_team::change_item,
        )
        .get("/api/v1/incident-roles", incident_team::configured_roles)
        .get("/api/v1/external-contacts", incident_team::list_contacts)
        .post("/api/v1/external-contacts", incident_team::add_contact)
        .delete(
            "/api/v1/external-contacts/{id}",
            incident_team::delete_contact,
        )
        .get("/api/v1/services", incidents::list_services)
        .post("/api/v1/services", incidents::create_service)
        .get("/api/v1/services/{service}", incidents::get_service)
        .patch("/api/v1/services/{service}", incidents::update_service)
        .delete("/api/v1/services/{service}", incidents::delete_service)
        .get("/api/v1/status/components", status::list_components)
        .post("/api/v1/status/components", status::create_component)
        .put(
            "/api/v1/status/components/{component}",
            status::update_component,
        )
        .delete(
            "/api/v1/status/components/{component}",
            status::delete_component,
        )
        .get("/api/v1/status/incidents", status::list_incidents)
        .post("/api/v1/status/incidents", status::open_incident)
        .get("/api/v1/status/incidents/{id}", status::get_incident)
        .post("/api/v1/status/incidents/{id}/updates", status::post_update)
        .post("/api/v1/status/maintenances", status::schedule_maintenance)
        .get("/api/v1/status/subscribers", status::list_subscribers)
        .post("/api/v1/status/subscribers", status::add_subscriber)
        .delete("/api/v1/status/subscribers/{id}", status::remove_subscriber)
        .get("/api/v1/audit", audit::list)
        .get("/api/v1/audit/export", audit::export)
        .get("/api/v1/openapi.json", openapi_json)
        .get("/api/v1/docs", docs_redirect)
        .get("/api/v1/docs/", swagger_ui)
        .get("/api/v1/docs/{*file}", swagger_ui)
}

/// What Swagger UI is told: the document to show is `/api/v1/openapi.json` (served above,
/// behind the same authentication).
static SWAGGER_CONFIG: LazyLock<Arc<utoipa_swagger_ui::Config<'static>>> =
    LazyLock::new(|| Arc::new(utoipa_swagger_ui::Config::from("/api/v1/openapi.json")));

/// `GET /api/v1/docs`: to the directory, so Swagger UI's relative links resolve.
async fn docs_redirect(principal: Principal) -> Result<Redirect, ApiError> {
    principal.require(Action::Read)?;
    Ok(Redirect::to("/api/v1/docs/"))
}

/// `GET /api/v1/docs/{file}`: the interactive documentation. Swagger UI's files are
/// compiled into the binary, so it works on a network with no way out.
async fn swagger_ui(
    principal: Principal,
    file: Option<Path<String>>,
) -> Result<Response, ApiError> {
    principal.require(Action::Read)?;
    let name = file.as_ref().map_or("", |Path(f)| f.as_str());
    let found = utoipa_swagger_ui::serve(name, SWAGGER_CONFIG.clone())
        .map_err(|e| ApiError::internal(format!("Swagger UI file {name}: {e}")))?
        .ok_or_else(|| ApiError::not_found(format!("/api/v1/docs/{name}")))?;
    // The crate's `gzip` feature is off: every file is stored as it is served.
    Ok((
        [(header::CONTENT_TYPE, found.content_type)],
        found.bytes.into_owned(),
    )
        .into_response())
}

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of this API.
async fn openapi_json(principal: Principal) -> Result<Json<utoipa::openapi::OpenApi>, ApiError> {
    principal.require(Action::Read)?;
    Ok(Json(ApiDoc::document()))
}

/// The error codes the API answers with: code, HTTP status, meaning. The document and
/// `docs/api.md` list them; a test checks that both agree with this table.
pub const ERROR_CODES: &[(&str, u16, &str)] = &[
    (
        "bad_request",
        400,
        "The request is malformed: unreadable JSON, a missing or wrong-typed field.",
    ),
    (
        "invalid_field",
        400,
        "A field has a value the API refuses; `field` names it.",
    ),
    (
        "unauthenticated",
        401,
        "No credentials, or credentials that are not (or no longer) valid.",
    ),
    (
        "forbidden",
        403,
        "The caller's role does not allow the action.",
    ),
    ("not_found", 404, "The resource (or route) does not exist."),
    (
        "conflict",
        409,
        "The name is taken, or the change contradicts the current state.",
    ),
    (
        "last_owner",
        409,
        "The change would leave no enabled owner; make another owner first.",
    ),
    (
        "user_in_use",
        409,
        "The user is still named by schedules, future overrides or swaps, escalation \
         policies or someone's backup setting (the message names them); take them out \
         first, or disable the user.",
    ),
    (
        "internal",
        500,
        "Something failed inside hinomi; the server log has the details.",
    ),
];

/// The error body: `{"error": {"code", "message", "field"}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code clients branch on; see the table in the API description.
    pub code: String,
    /// For people; may change between versions.
    pub message: String,
    /// The request field that was wrong, for bad input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "hinomi API",
        description = "hinomi's own REST API. Authenticate with a personal API token \
                       (`Authorization: Bearer hnm_...`) or a console session cookie (then \
                       send `X-CSRF-Token` on unsafe methods). Errors are \
                       `{\"error\": {\"code\", \"message\", \"field\"}}`; the codes are listed \
                       under `x-error-codes`."
    ),
    paths(
        alerts::list,
        alerts::get_one,
        alerts::groups,
        silences::list,
        silences::get_one,
        silences::create,
        silences::update,
        silences::expire,
        teams::list,
        teams::get_one,
        teams::create,
        teams::update,
        teams::delete,
        teams::set_member,
        teams::remove_member,
        schedules::list,
        schedules::get_one,
        schedules::create,
        schedules::replace,
        schedules::patch,
        schedules::delete,
        schedules::on_call,
        schedules::shifts,
        schedules::add_override,
        schedules::remove_override,
        holidays::list,
        holidays::get_one,
        holidays::create,
        holidays::update,
        holidays::delete,
        holidays::import,
        integrations::list,
        integrations::create,
        integrations::revoke,
        integrations::set_team,
        audit::list,
        audit::export,
        users::me,
        users::update_me,
        users::change_password,
        users::my_tokens,
        schedules::my_ical,
        schedules::rotate_ical,
        users::create_token,
        users::revoke_my_token,
        users::all_tokens,
        users::revoke_token,
        users::list_users,
        users::create_user,
        users::get_user,
        users::update_user,
        users::delete_user,
        users::reset_password,
        contacts::list_methods,
        contacts::create_method,
        contacts::delete_method,
        contacts::test_method,
        contacts::verify_method,
        contacts::list_rules,
        contacts::create_rule,
        contacts::delete_rule,
        contacts::get_backup,
        contacts::set_backup,
        contacts::get_shift_notices,
        contacts::set_shift_notices,
        contacts::get_skills,
        contacts::set_skills,
        pages::list,
        pages::get_one,
        pages::acknowledge,
        pages::resolve,
        pages::escalate,
        pages::reassign,
        pages::snooze,
        policies::list,
        policies::create,
        policies::get_one,
        policies::update,
        policies::delete,
        policies::bind,
        policies::unbind,
        heartbeats::list,
        heartbeats::create,
        heartbeats::delete,
        incidents::list,
        incidents::declare,
        incidents::declare_from_group,
        incidents::get_one,
        incidents::patch,
        incidents::put_milestone,
        incidents::timeline,
        incidents::export,
        incidents::add_entry,
        incidents::correct_entry,
        incidents::post_update,
        incidents::drafts,
        postmortems::recovery,
        postmortems::put_check,
        postmortems::put_impact_record,
        postmortems::get_postmortem,
        postmortems::draft_postmortem,
        postmortems::put_section,
        postmortems::postmortem_md,
        postmortems::incident_items,
        postmortems::add_items,
        postmortems::list_items,
        postmortems::get_item,
        postmortems::patch_item,
        incident_team::configured_roles,
        incident_team::roles,
        incident_team::assign,
        incident_team::unassign,
        incident_team::list_contacts,
        incident_team::add_contact,
        incident_team::delete_contact,
        incident_team::checklist,
        incident_team::change_item,
        incidents::list_services,
        incidents::create_service,
        incidents::get_service,
        incidents::update_service,
        incidents::delete_service,
        status::list_components,
        status::create_component,
        status::update_component,
        status::delete_component,
        status::list_incidents,
        status::open_incident,
        status::get_incident,
        status::post_update,
        status::schedule_maintenance,
        status::list_subscribers,
        status::add_subscriber,
        status::remove_subscriber,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&Security),
    tags(
        (name = "alerts", description = "Alerts and alert groups"),
        (name = "silences", description = "Silences"),
        (name = "teams", description = "Teams and their members"),
        (name = "schedules", description = "On-call schedules, overrides and shift swaps"),
        (name = "holiday-calendars", description = "Company holiday calendars"),
        (name = "integrations", description = "Integration keys for intake"),
        (name = "audit", description = "The audit log"),
        (name = "me", description = "One's own profile, password, API tokens, contact methods, notification rules, backup and iCal feed"),
        (name = "pages", description = "Alert groups' paging records: acknowledge, resolve, escalate, reassign, snooze"),
        (name = "escalation", description = "Escalation policies and what they are bound to"),
        (name = "heartbeats", description = "Heartbeat monitors: a missed beat opens an alert"),
        (name = "users", description = "Users and everyone's API tokens"),
        (name = "incidents", description = "Incidents: declaration (also from an alert group), status, severity, impact, milestones, timeline and its export, stakeholder updates and customer notification drafts, recovery checks and the impact record, the postmortem and its action items"),
        (name = "services", description = "The service catalogue incidents name"),
        (name = "status", description = "The public status page: components, incidents and their updates, scheduled maintenances"),
    )
)]
pub struct ApiDoc;

impl ApiDoc {
    /// The document, with the error code table added as an extension.
    pub fn document() -> utoipa::openapi::OpenApi {
        let mut doc = ApiDoc::openapi();
        let codes: Vec<serde_json::Value> = ERROR_CODES
            .iter()
            .map(|(code, status, meaning)| {
                serde_json::json!({ "code": code, "status": status, "meaning": meaning })
            })
            .collect();
        let mut extensions = utoipa::openapi::extensions::Extensions::default();
        extensions.insert("x-error-codes".to_owned(), serde_json::Value::Array(codes));
        doc.info
            .extensions
            .get_or_insert_with(Default::default)
            .merge(extensions);
        doc
    }
}

/// Declares the two ways to authenticate, and requires one on every operation.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("hinomi_session"))),
        );
        doc.security = Some(vec![
            SecurityRequirement::new("token", Vec::<String>::new()),
            SecurityRequirement::new("session", Vec::<String>::new()),
        ]);
    }
}

/// The name a change is made under: the user's, or the token's user's.
pub(crate) fn actor_name(principal: &Principal) -> String {
    match &principal.actor {
        Actor::User { username, .. } | Actor::Token { username, .. } => username.clone(),
        Actor::Integration { name, .. } => name.clone(),
        Actor::Open => "open".to_owned(),
    }
}

/// Milliseconds to the API's time format (RFC 3339, UTC).
pub(crate) fn time(ms: i64) -> String {
    hinomi_core::time::format_millis(ms)
}

/// Parses an RFC 3339 time given in `field`.
fn parse_time(field: &str, text: &str) -> Result<i64, ApiError> {
    hinomi_core::time::parse(text).map_err(|_| {
        ApiError::bad_request(
            "invalid_field",
            field,
            format!("{field}: {text:?} is not an RFC 3339 time"),
        )
    })
}

/// A JSON body, with a rejection in the API's error shape.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(e) => Err(ApiError::bad_request("bad_request", "body", e.body_text())),
        }
    }
}

/// A query string, with a rejection in the API's error shape.
#[derive(Debug)]
pub struct QueryArgs<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryArgs<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(raw).map(QueryArgs).map_err(|e| {
            ApiError::bad_request("bad_request", "query", format!("query string: {e}"))
        })
    }
}
