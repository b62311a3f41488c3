//! Who is asking: every request to a protected route is authenticated here, once, by a
//! session cookie, a personal API token or an integration key, and carries the resulting
//! [`Principal`] to its handler. Handlers ask the principal whether it may perform an
//! [`Action`]; the Alertmanager and operational routes are checked here from one table
//! ([`compat_action`]).
//!
//! Cookie sessions also pass a CSRF check on every unsafe method: the `X-CSRF-Token`
//! header, or a `csrf` field in a form body, must match the session's token.

pub mod oidc;
mod secret;
mod session;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use hinomi_core::{Action, Role, TeamRole, Throttle};
use hinomi_store::{AuditEntry, TokenRecord, UserRecord};

use crate::error::ApiError;
use crate::{AppState, keys};

pub use secret::{
    MIN_PASSWORD_CHARS, PasswordError, TOKEN_PREFIX, check_new_password, hash_password, new_token,
    one_time_password, random_hex, sha256_hex, username_ok, verify_password,
};
pub use session::{
    NewSession, SESSION_COOKIE, SignInError, sign_in_with_password, sign_out, start_session,
};

/// Access settings (`[auth]` in the settings file).
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// Leave the Alertmanager API (`/api/v2`) open to requests without credentials, as
    /// Alertmanager itself is: only for a trusted network. Off by default.
    pub alertmanager_api_open: bool,
    /// Serve `/metrics` without credentials.
    pub metrics_public: bool,
    /// How long a sign-in lasts.
    pub session_ttl_ms: i64,
    /// Mark the session cookie `Secure` (hinomi is reached over https).
    pub secure_cookies: bool,
    /// Sign-in through an OpenID Connect provider (`[auth.oidc]`), when configured.
    pub oidc: Option<oidc::OidcSettings>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            alertmanager_api_open: false,
            metrics_public: false,
            session_ttl_ms: 24 * 3_600_000,
            secure_cookies: false,
            oidc: None,
        }
    }
}

/// How long a checked token or key is trusted without asking the database again. A
/// revocation on this instance clears the cache at once ([`Auth::forget_credentials`]);
/// on another instance it takes effect within this time.
const CREDENTIAL_CACHE_MS: i64 = 5_000;
const CREDENTIAL_CACHE_MAX: usize = 10_000;

/// The access state every request shares.
#[derive(Debug, Default)]
pub struct Auth {
    pub settings: AuthSettings,
    throttle: Mutex<Throttle>,
    /// Token or key hash -> the principal it proved, and when that was checked.
    credentials: Mutex<HashMap<String, (Principal, i64)>>,
}

impl Auth {
    pub fn new(settings: AuthSettings) -> Auth {
        Auth {
            settings,
            ..Auth::default()
        }
    }

    /// Forgets every cached token and key check: call after revoking a token or key,
    /// disabling a user or changing a role.
    pub fn forget_credentials(&self) {
        self.credentials.lock().expect("credential cache").clear();
    }
}

/// Who performs a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A person signed in with a session cookie.
    User { id: String, username: String },
    /// A person's API token.
    Token {
        id: String,
        name: String,
        user_id: String,
        username: String,
    },
    /// A tool presenting an integration key: it may send alerts and events, nothing else.
    Integration { id: String, name: String },
    /// Nobody, on the Alertmanager API left open by `[auth] alertmanager_api_open`.
    Open,
}

/// An authenticated request's principal: its actor, the role it acts with, and what the
/// console needs to know about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub actor: Actor,
    pub role: Role,
    /// The person behind a session or token.
    pub user: Option<Arc<UserRecord>>,
    /// A personal token made with a role below its user's: that role, which bounds the
    /// user's team roles as it bounds the global one. `None` otherwise.
    pub cap: Option<Role>,
    /// The session's CSRF token (cookie sessions only).
    pub csrf: Option<String>,
    /// The client's address.
    pub source: String,
    /// The session's stored id hash, for sign-out.
    session: Option<String>,
}

impl Principal {
    /// Whether this principal may perform `action`: a 403 naming it if not.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        self.require_in_team(action, None)
    }

    /// Whether this principal may perform `action` on a resource of a team in which its
    /// person holds `team_role` (`None`: not a member, or no team): the global role, or for
    /// team-scoped actions the team role up to the token's cap ([`hinomi_core::may_in_team`]).
    pub fn require_in_team(
        &self,
        action: Action,
        team_role: Option<TeamRole>,
    ) -> Result<(), ApiError> {
        if let Actor::Integration { .. } = self.actor {
            return if action == Action::PostAlerts {
                Ok(())
            } else {
                Err(ApiError::forbidden(action))
            };
        }
        if action != Action::ManageSelf
            && self.user.as_ref().is_some_and(|u| u.must_change_password)
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "change your password first (POST /api/v1/me/password, or the console)",
            ));
        }
        if hinomi_core::may_in_team(self.role, team_role, self.cap, action) {
            Ok(())
        } else {
            Err(ApiError::forbidden(action))
        }
    }

    /// `(kind, id, name)` as the audit log records the actor.
    pub fn actor_parts(&self) -> (&'static str, String, String) {
        match &self.actor {
            Actor::User { id, username } => ("user", id.clone(), username.clone()),
            Actor::Token {
                id, name, username, ..
            } => ("token", id.clone(), format!("{username} ({name})")),
            Actor::Integration { id, name } => ("integration", id.clone(), name.clone()),
            Actor::Open => ("anonymous", String::new(), "anonymous".to_owned()),
        }
    }

    /// An audit entry for something this principal did at `now`.
    pub fn audit(
        &self,
        now: i64,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) -> AuditEntry {
        let (kind, id, name) = self.actor_parts();
        AuditEntry {
            id: 0,
            at: now,
            actor_kind: kind.to_owned(),
            actor_id: id,
            actor_name: name,
            action: action.to_owned(),
            target: target.to_owned(),
            detail: detail.to_string(),
            source: self.source.clone(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The action the Alertmanager-compatible and operational routes perform; `None` for
/// routes whose handlers check for themselves.
pub fn compat_action(method: &Method, path: &str) -> Option<Action> {
    let read = *method == Method::GET || *method == Method::HEAD;
    Some(match path {
        "/metrics" => Action::ReadMetrics,
        "/-/reload" => Action::ManageConfig,
        "/api/v2/alerts" if !read => Action::PostAlerts,
        "/api/v2/silences" | "/api/v2/silence/{id}" if !read => Action::ManageSilences,
        p if p.starts_with("/api/v2/") => Action::Read,
        _ => return None,
    })
}

/// The middleware on every protected route.
pub async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let source = client_address(request.extensions());
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| request.uri().path().to_owned());
    let principal = match resolve(&state, request.headers(), &source).await {
        Ok(Some(p)) => p,
        Ok(None) if state.auth.settings.alertmanager_api_open && path.starts_with("/api/v2/") => {
            Principal {
                actor: Actor::Open,
                role: Role::Responder,
                user: None,
                cap: None,
                csrf: None,
                source,
                session: None,
            }
        }
        Ok(None) => return unauthenticated(&request),
        Err(e) => return e.into_response(),
    };
    if let Some(action) = compat_action(request.method(), &path)
        && let Err(e) = principal.require(action)
    {
        return e.into_response();
    }
    let mut request = if principal.csrf.is_some() && is_unsafe(request.method()) {
        match check_csrf(request, principal.csrf.as_deref().unwrap_or_default()).await {
            Ok(r) => r,
            Err(e) => return e.into_response(),
        }
    } else {
        request
    };
    request.extensions_mut().insert(principal);
    next.run(request).await
}

/// No credentials: a browser asking for a page is sent to sign in; anything else gets 401.
fn unauthenticated(request: &Request) -> Response {
    let wants_page = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_page && request.method() == Method::GET {
        let next = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let next: String = form_urlencoded_component(next);
        return Redirect::to(&format!("/login?next={next}")).into_response();
    }
    ApiError::unauthorized().into_response()
}

/// Where to send a browser after signing in: `next` when it is a path on this site, else
/// the start page, so a crafted link cannot send a signed-in browser elsewhere.
pub fn local_path(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if local { next } else { "/" }
}

fn form_urlencoded_component(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The client's address, when the server knows it.
pub fn client_address(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The principal the request's credentials prove: `Ok(None)` when it presents none, an
/// error when it presents some that are not valid (no fallback to another kind).
async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
    source: &str,
) -> Result<Option<Principal>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let credential = parse_authorization(value.to_str().unwrap_or_default())
            .ok_or_else(ApiError::unauthorized)?;
        return credential_principal(state, &credential, source)
            .await
            .map(Some);
    }
    let Some(id) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let now = state.engine.now();
    let store = state.engine.store();
    let id_hash = sha256_hex(id);
    let Some(session) = store.session(&id_hash, now).await? else {
        return Err(ApiError::unauthorized());
    };
    let Some(user) = store.user_by_id(&session.user_id).await? else {
        return Err(ApiError::unauthorized());
    };
    if user.disabled_at.is_some() {
        return Err(ApiError::unauthorized());
    }
    Ok(Some(Principal {
        actor: Actor::User {
            id: user.id.clone(),
            username: user.username.clone(),
        },
        role: user.role,
        user: Some(Arc::new(user)),
        cap: None,
        csrf: Some(session.csrf_token),
        source: source.to_owned(),
        session: Some(id_hash),
    }))
}

/// The secret in `Authorization: Bearer <secret>` or `Authorization: Basic` (whose
/// password is the secret, so clients that only do basic auth work too).
fn parse_authorization(value: &str) -> Option<String> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return (!rest.is_empty()).then(|| rest.to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_, password) = text.split_once(':')?;
        return (!password.is_empty()).then(|| password.to_owned());
    }
    None
}

/// The principal an API token or integration key proves, from the cache or the database.
async fn credential_principal(
    state: &AppState,
    secret: &str,
    source: &str,
) -> Result<Principal, ApiError> {
    let now = state.engine.now();
    let hash = sha256_hex(secret);
    if let Some((p, at)) = state
        .auth
        .credentials
        .lock()
        .expect("credential cache")
        .get(&hash)
        && now - at < CREDENTIAL_CACHE_MS
    {
        return Ok(Principal {
            source: source.to_owned(),
            ..p.clone()
        });
    }
    let store = state.engine.store();
    let principal = if secret.starts_with(TOKEN_PREFIX) {
        let token = store
            .token_by_hash(&hash)
            .await?
            .filter(|t| t.live(now))
            .ok_or_else(ApiError::unauthorized)?;
        let user = store
            .user_by_id(&token.user_id)
            .await?
            .filter(|u| u.disabled_at.is_none())
            .ok_or_else(ApiError::unauthorized)?;
        token_principal(token, user, source)
    } else {
        let integration = keys::lookup(&state.engine, secret)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        Principal {
            actor: Actor::Integration {
                id: integration.id,
                name: integration.name,
            },
            role: Role::Viewer,
            user: None,
            cap: None,
            csrf: None,
            source: source.to_owned(),
            session: None,
        }
    };
    let mut cache = state.auth.credentials.lock().expect("credential cache");
    if cache.len() >= CREDENTIAL_CACHE_MAX {
        cache.clear();
    }
    cache.insert(hash, (principal.clone(), now));
    Ok(principal)
}

/// The principal a live personal token of an enabled user proves: the user, with at most the
/// token's role. A token made below its user's role is capped there, team roles included.
fn token_principal(token: TokenRecord, user: UserRecord, source: &str) -> Principal {
    Principal {
        actor: Actor::Token {
            id: token.id,
            name: token.name,
            user_id: user.id.clone(),
            username: user.username.clone(),
        },
        role: token.role.min(user.role),
        cap: (token.role < user.role).then_some(token.role),
        user: Some(Arc::new(user)),
        csrf: None,
        source: source.to_owned(),
        session: None,
    }
}

/// The value of cookie `name`.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Largest form body the CSRF check reads.
const MAX_FORM_BYTES: usize = 1 << 20;

/// Checks the CSRF token of a cookie-authenticated unsafe request; answers the request
/// (with its body restored) when it matches.
async fn check_csrf(request: Request, expected: &str) -> Result<Request, ApiError> {
    let refused = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_mismatch",
            "the form or request is missing this session's CSRF token; reload the page",
        )
    };
    if let Some(token) = request.headers().get("x-csrf-token") {
        return if constant_time_eq(token.as_bytes(), expected.as_bytes()) {
            Ok(request)
        } else {
            Err(refused())
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(refused());
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("form bodies are limited to {MAX_FORM_BYTES} bytes"),
            )
        })?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let matches = pairs
        .iter()
        .any(|(k, v)| k == "csrf" && constant_time_eq(v.as_bytes(), expected.as_bytes()));
    if !matches {
        return Err(refused());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_headers_parse() {
        assert_eq!(parse_authorization("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(parse_authorization("bearer  abc ").as_deref(), Some("abc"));
        // "user:secret"
        assert_eq!(
            parse_authorization("Basic dXNlcjpzZWNyZXQ=").as_deref(),
            Some("secret")
        );
        assert_eq!(parse_authorization("Basic !!!"), None);
        assert_eq!(parse_authorization("Bearer "), None);
        assert_eq!(parse_authorization("Digest x"), None);
    }

    #[test]
    fn compat_routes_map_to_actions() {
        assert_eq!(
            compat_action(&Method::GET, "/api/v2/alerts"),
            Some(Action::Read)
        );
        assert_eq!(
            compat_action(&Method::POST, "/api/v2/alerts"),
            Some(Action::PostAlerts)
        );
        assert_eq!(
            compat_action(&Method::DELETE, "/api/v2/silence/{id}"),
            Some(Action::ManageSilences)
        );
        assert_eq!(
            compat_action(&Method::POST, "/-/reload"),
            Some(Action::ManageConfig)
        );
        assert_eq!(compat_action(&Method::GET, "/api/v1/users"), None);
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/alerts?x=1"), "/alerts?x=1");
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil",
            "alerts",
            "/\n",
            "",
        ] {
            assert_eq!(local_path(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; hinomi_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, "hinomi_session"), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
    }

    #[test]
    fn integrations_may_only_post_alerts() {
        let p = Principal {
            actor: Actor::Integration {
                id: "i".into(),
                name: "n".into(),
            },
            role: Role::Owner,
            user: None,
            cap: None,
            csrf: None,
            source: String::new(),
            session: None,
        };
        assert!(p.require(Action::PostAlerts).is_ok());
        assert!(p.require(Action::Read).is_err());
        assert!(p.require(Action::ManageSilences).is_err());
        assert!(
            p.require_in_team(Action::ManageSilences, Some(TeamRole::Responder))
                .is_err()
        );
    }

    #[test]
    fn team_roles_pass_the_same_checks_as_global_ones() {
        let user = UserRecord {
            id: "u".into(),
            username: "kenji".into(),
            display_name: "Kenji".into(),
            email: None,
            password_hash: None,
            role: Role::Responder,
            locale: None,
            time_zone: None,
            oidc_subject: None,
            must_change_password: false,
            created_at: 0,
            disabled_at: None,
        };
        let token = |role: Role, user: &UserRecord| {
            let record = TokenRecord {
                id: "t".into(),
                user_id: user.id.clone(),
                name: "ci".into(),
                token_hash: String::new(),
                role,
                created_at: 0,
                expires_at: None,
                revoked_at: None,
            };
            token_principal(record, user.clone(), "")
        };
        let responder = Some(TeamRole::Responder);
        let viewer_user = UserRecord {
            role: Role::Viewer,
            ..user.clone()
        };
        // A viewer's token takes the team role; a responder's token capped at viewer does not.
        assert!(
            token(Role::Viewer, &viewer_user)
                .require_in_team(Action::ManageSilences, responder)
                .is_ok()
        );
        assert!(
            token(Role::Viewer, &user)
                .require_in_team(Action::ManageSilences, responder)
                .is_err()
        );
        // A one-time password must be changed first, whatever the team says.
        let reset = UserRecord {
            must_change_password: true,
            ..viewer_user
        };
        let e = token(Role::Viewer, &reset)
            .require_in_team(Action::ManageSilences, responder)
            .unwrap_err();
        assert_eq!(e.code, "password_change_required");
    }
}
