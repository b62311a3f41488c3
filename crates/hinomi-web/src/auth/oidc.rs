//! OpenID Connect sign-in: the authorization code flow with PKCE and a nonce, against any
//! standard provider found by discovery (`<issuer>/.well-known/openid-configuration`).
//!
//! `/auth/oidc/login` records the flow (a hash of `state`, the nonce, the PKCE verifier and
//! a hash of a random value also set in a short-lived browser cookie) in the database, so
//! whichever instance receives the callback can finish it, and redirects to the provider.
//! `/auth/oidc/callback` takes that record once, exchanges the code, verifies the ID token
//! (signature against the provider's JWKS, issuer, audience, expiry, nonce), finds or creates
//! the user, sets the role from the user's groups, and starts a session.
//!
//! Failures answer a short plain-text page in English and Japanese with a 4xx status (502
//! when the provider cannot be reached); they never start a session. A sign-in whose groups
//! would demote the last enabled owner is refused with a redirect to the sign-in page,
//! which says why ([`REFUSED_LAST_OWNER`]). Codes, states, nonces, verifiers and tokens are
//! never logged.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{StatusCode, request::Parts};
use axum::response::{IntoResponse, Response};
use hinomi_core::Role;
use hinomi_store::{AuditEntry, OidcFlow, StoreError, UserRecord};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IdToken, IdTokenClaims,
    IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse as _,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::Mutex;

use super::sha256_hex;
use crate::AppState;
use crate::routes::RouteTable;

/// The browser cookie binding a callback to the browser that started the sign-in.
const FLOW_COOKIE: &str = "hinomi_oidc";
/// How long a started sign-in may take at the provider.
const FLOW_TTL: Duration = Duration::from_secs(600);
/// How long discovery (endpoints and signing keys) is reused before it is fetched again;
/// a provider that rotates its keys is followed within this time.
const DISCOVERY_TTL: Duration = Duration::from_secs(300);
/// Every call to the provider gives up after this long.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// `/login?refused=` this: the sign-in page explains that the groups would have demoted
/// the last enabled owner.
pub const REFUSED_LAST_OWNER: &str = "oidc_last_owner";

/// `[auth.oidc]`: how to reach the identity provider and what its answers mean here.
#[derive(Clone)]
pub struct OidcSettings {
    /// The issuer URL; discovery is read from `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// Empty for a public client (PKCE alone).
    client_secret: String,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
    /// The ID token claim that lists the user's groups: a top-level name, or a dotted path
    /// into nested objects (`realm_access.roles`).
    pub groups_claim: String,
    /// Group name -> role; a user in several mapped groups gets the highest role.
    pub group_roles: BTreeMap<String, Role>,
    /// The role of a user in no mapped group; `None` refuses their sign-in.
    pub default_role: Option<Role>,
    /// On a subject's first sign-in, link it to an existing user with the same (verified)
    /// email address instead of creating a new user.
    pub match_email: bool,
    /// The text of the sign-in button on the login page.
    pub button_label: String,
    /// `<external_url>/auth/oidc/callback`, registered at the provider.
    pub redirect_url: String,
    discovery: Arc<Mutex<Option<(Instant, CoreProviderMetadata)>>>,
}

/// A setting of `[auth.oidc]` that cannot work.
#[derive(Debug, thiserror::Error)]
#[error("auth.oidc.{field}: {message}")]
pub struct OidcSettingsError {
    pub field: &'static str,
    pub message: String,
}

impl OidcSettings {
    /// Settings with the defaults: scopes `profile email`, groups in `groups`, no group
    /// mapped, users without a mapped group refused, no linking by email.
    pub fn new(
        issuer: &str,
        client_id: &str,
        client_secret: &str,
        external_url: &str,
    ) -> Result<OidcSettings, OidcSettingsError> {
        IssuerUrl::new(issuer.to_owned()).map_err(|e| OidcSettingsError {
            field: "issuer",
            message: format!("{issuer:?} is not a URL: {e}"),
        })?;
        if client_id.is_empty() {
            return Err(OidcSettingsError {
                field: "client_id",
                message: "must not be empty".into(),
            });
        }
        let redirect_url = format!("{}/auth/oidc/callback", external_url.trim_end_matches('/'));
        RedirectUrl::new(redirect_url.clone()).map_err(|e| OidcSettingsError {
            field: "external_url",
            message: format!("{external_url:?} is not a URL: {e}"),
        })?;
        Ok(OidcSettings {
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            scopes: vec!["profile".into(), "email".into()],
            groups_claim: "groups".into(),
            group_roles: BTreeMap::new(),
            default_role: None,
            match_email: false,
            button_label: "Sign in with SSO".into(),
            redirect_url,
            discovery: Arc::default(),
        })
    }

    /// Whether cookies this flow sets need `Secure` (hinomi is reached over https).
    fn secure(&self) -> bool {
        self.redirect_url.starts_with("https://")
    }

    /// The provider's metadata and keys, fetched at most every [`DISCOVERY_TTL`].
    async fn provider(&self, http: &reqwest::Client) -> Result<CoreProviderMetadata, OidcError> {
        let mut cached = self.discovery.lock().await;
        if let Some((at, meta)) = cached.as_ref()
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(meta.clone());
        }
        let issuer = IssuerUrl::new(self.issuer.clone())
            .map_err(|e| OidcError::Provider(format!("issuer URL: {e}")))?;
        let meta = CoreProviderMetadata::discover_async(issuer, http)
            .await
            .map_err(|e| OidcError::Provider(format!("discovery: {}", error_chain(&e))))?;
        *cached = Some((Instant::now(), meta.clone()));
        Ok(meta)
    }

    fn client(
        &self,
        meta: CoreProviderMetadata,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcError,
    > {
        let secret =
            (!self.client_secret.is_empty()).then(|| ClientSecret::new(self.client_secret.clone()));
        let redirect = RedirectUrl::new(self.redirect_url.clone())
            .map_err(|e| OidcError::Provider(format!("redirect URL: {e}")))?;
        Ok(
            CoreClient::from_provider_metadata(meta, ClientId::new(self.client_id.clone()), secret)
                .set_redirect_uri(redirect),
        )
    }

    /// The role for a user in `groups`: the highest mapped one, else the default.
    pub fn role_for(&self, groups: &[String]) -> Option<Role> {
        groups
            .iter()
            .filter_map(|g| self.group_roles.get(g).copied())
            .max()
            .or(self.default_role)
    }
}

impl fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &if self.client_secret.is_empty() {
                    ""
                } else {
                    "***"
                },
            )
            .field("scopes", &self.scopes)
            .field("groups_claim", &self.groups_claim)
            .field("group_roles", &self.group_roles)
            .field("default_role", &self.default_role)
            .field("match_email", &self.match_email)
            .field("button_label", &self.button_label)
            .field("redirect_url", &self.redirect_url)
            .finish()
    }
}

/// `/auth/oidc/login` and `/auth/oidc/callback`, public (they are how a principal is
/// made); both answer 404 while `[auth.oidc]` is not configured.
pub fn oidc_routes() -> RouteTable {
    RouteTable::new()
        .get("/auth/oidc/login", login)
        .get("/auth/oidc/callback", callback)
}

/// Why a sign-in through the provider did not happen.
#[derive(Debug, thiserror::Error)]
enum OidcError {
    #[error("OpenID Connect sign-in is not configured")]
    NotConfigured,
    #[error("the identity provider cannot be used: {0}")]
    Provider(String),
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the callback has no {0}")]
    Missing(&'static str),
    #[error("this sign-in is unknown, expired or already finished; start again")]
    UnknownState,
    #[error("this sign-in was started in another browser; start again")]
    OtherBrowser,
    #[error("the ID token was refused: {0}")]
    Token(String),
    #[error("none of your groups has a role in hinomi")]
    NoRole,
    #[error("this account is disabled")]
    Disabled,
    /// The role the groups map to would leave no enabled owner ([`StoreError::LastOwner`]);
    /// nothing was changed.
    #[error("your groups would demote {0}, the last enabled owner")]
    LastOwner(String),
    #[error("internal error")]
    Internal(String),
}

impl OidcError {
    fn status(&self) -> StatusCode {
        match self {
            OidcError::NotConfigured => StatusCode::NOT_FOUND,
            OidcError::Provider(_) => StatusCode::BAD_GATEWAY,
            OidcError::Refused(_)
            | OidcError::Missing(_)
            | OidcError::UnknownState
            | OidcError::OtherBrowser => StatusCode::BAD_REQUEST,
            OidcError::Token(_) => StatusCode::UNAUTHORIZED,
            OidcError::NoRole | OidcError::Disabled => StatusCode::FORBIDDEN,
            // To the sign-in page, which says why in the person's language.
            OidcError::LastOwner(_) => StatusCode::SEE_OTHER,
            OidcError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn japanese(&self) -> &'static str {
        match self {
            OidcError::NotConfigured => "OpenID Connect によるサインインは設定されていません。",
            OidcError::Provider(_) => "ID プロバイダーに接続できませんでした。",
            OidcError::Refused(_) => "ID プロバイダーがサインインを拒否しました。",
            OidcError::Missing(_) => "コールバックに必要な値がありません。",
            OidcError::UnknownState => {
                "このサインインは不明か、期限切れか、すでに完了しています。やり直してください。"
            }
            OidcError::OtherBrowser => {
                "このサインインは別のブラウザーで開始されました。やり直してください。"
            }
            OidcError::Token(_) => "ID トークンを検証できませんでした。",
            OidcError::NoRole => "所属グループに hinomi のロールが割り当てられていません。",
            OidcError::Disabled => "このアカウントは無効です。",
            OidcError::LastOwner(_) => {
                "所属グループに従うと最後の有効なオーナーがいなくなるため、拒否しました。"
            }
            OidcError::Internal(_) => "内部エラーが発生しました。",
        }
    }
}

impl IntoResponse for OidcError {
    fn into_response(self) -> Response {
        match &self {
            OidcError::Internal(detail) => {
                tracing::error!(error = %detail, "OpenID Connect sign-in failed")
            }
            OidcError::NotConfigured => {}
            other => tracing::info!(reason = %other, "OpenID Connect sign-in refused"),
        }
        let body = format!(
            "Sign-in failed: {self}.\nサインインできませんでした: {}\n\n/login\n",
            self.japanese()
        );
        let mut response = (self.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if let OidcError::LastOwner(_) = self {
            let page = format!("/login?refused={REFUSED_LAST_OWNER}");
            headers.insert(
                header::LOCATION,
                HeaderValue::from_str(&page).expect("an ASCII path"),
            );
        }
        response
    }
}

/// `Display` of an error and its sources, for messages that must say what went wrong.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The client for calls to the provider: bounded in time, and never following a redirect
/// (a redirect from a token endpoint is a misconfiguration or an attack, not something to
/// chase with the client secret).
fn provider_http() -> Result<reqwest::Client, OidcError> {
    reqwest::Client::builder()
        .timeout(PROVIDER_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| OidcError::Internal(format!("HTTP client: {e}")))
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
) -> Result<Response, OidcError> {
    let oidc = state
        .auth
        .settings
        .oidc
        .as_ref()
        .ok_or(OidcError::NotConfigured)?;
    let http = provider_http()?;
    let client = oidc.client(oidc.provider(&http).await?)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let browser = CsrfToken::new_random();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for scope in &oidc.scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, csrf, nonce) = request.url();
    let now = state.engine.now();
    let flow = OidcFlow {
        state_hash: sha256_hex(csrf.secret()),
        browser_hash: sha256_hex(browser.secret()),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        next_path: super::local_path(query.next.as_deref().unwrap_or_default()).to_owned(),
        created_at: now,
        expires_at: now + FLOW_TTL.as_millis() as i64,
    };
    state
        .engine
        .store()
        .create_oidc_flow(&flow, now)
        .await
        .map_err(|e| OidcError::Internal(e.to_string()))?;
    let cookie = format!(
        "{FLOW_COOKIE}={}; Path=/auth/oidc; Max-Age={}; HttpOnly; SameSite=Lax{}",
        browser.secret(),
        FLOW_TTL.as_secs(),
        if oidc.secure() { "; Secure" } else { "" }
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(url.as_str()).map_err(|e| OidcError::Internal(e.to_string()))?,
    );
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| OidcError::Internal(e.to_string()))?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Claims beyond the standard ones: where the groups are.
#[derive(Debug, Deserialize, Serialize)]
struct OtherClaims {
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

impl AdditionalClaims for OtherClaims {}

type VerifiedClaims = IdTokenClaims<OtherClaims, CoreGenderClaim>;
type GroupsIdToken = IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// The values of the groups claim: a list of strings or one string, found by its full
/// name first (names like `https://example.com/groups` contain dots) and then as a dotted
/// path into nested objects.
fn groups_in(claims: &serde_json::Map<String, Value>, name: &str) -> Vec<String> {
    let found = claims.get(name).or_else(|| {
        let mut parts = name.split('.');
        let first = claims.get(parts.next()?)?;
        parts.try_fold(first, |v, part| v.get(part))
    });
    match found {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

async fn callback(
    State(state): State<AppState>,
    Query(query): Query<CallbackQuery>,
    parts: Parts,
) -> Result<Response, OidcError> {
    let oidc = state
        .auth
        .settings
        .oidc
        .as_ref()
        .ok_or(OidcError::NotConfigured)?;
    if let Some(error) = query.error {
        // The provider's error code only: it is shown back to the person, so keep it short
        // and free of markup.
        let code: String = error
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Err(OidcError::Refused(code));
    }
    let code = query.code.ok_or(OidcError::Missing("code"))?;
    let csrf = query.state.ok_or(OidcError::Missing("state"))?;
    let store = state.engine.store();
    let now = state.engine.now();
    let flow = store
        .take_oidc_flow(&sha256_hex(&csrf), now)
        .await
        .map_err(|e| OidcError::Internal(e.to_string()))?
        .ok_or(OidcError::UnknownState)?;
    let browser = super::cookie(&parts.headers, FLOW_COOKIE).ok_or(OidcError::OtherBrowser)?;
    if sha256_hex(browser) != flow.browser_hash {
        return Err(OidcError::OtherBrowser);
    }
    let http = provider_http()?;
    let client = oidc.client(oidc.provider(&http).await?)?;
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| OidcError::Provider(format!("token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| {
            use openidconnect::RequestTokenError as E;
            // A response that does not parse may hold tokens: it is described, never quoted.
            let why = match &e {
                E::ServerResponse(r) => r.to_string(),
                E::Request(r) => error_chain(r),
                E::Parse(..) => "the answer is not a token response".into(),
                E::Other(text) => text.clone(),
            };
            OidcError::Provider(format!("token exchange: {why}"))
        })?;
    // Only the ID token is used; the access token is dropped with the response.
    let raw = response
        .id_token()
        .ok_or_else(|| OidcError::Token("the provider sent none".into()))?
        .to_string();
    let token: GroupsIdToken = raw
        .parse()
        .map_err(|e| OidcError::Token(format!("malformed: {e}")))?;
    let claims: VerifiedClaims = token
        .into_claims(&client.id_token_verifier(), &Nonce::new(flow.nonce.clone()))
        .map_err(|e| OidcError::Token(error_chain(&e)))?;
    let source = super::client_address(&parts.extensions);
    let user = sign_in_user(&state, oidc, &claims, &source, now).await?;
    let session = super::start_session(&state, &user, &source, "oidc")
        .await
        .map_err(|e| OidcError::Internal(e.message.clone()))?;
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&flow.next_path).map_err(|e| OidcError::Internal(e.to_string()))?,
    );
    headers.append(header::SET_COOKIE, session.set_cookie);
    headers.append(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "hinomi_oidc=; Path=/auth/oidc; Max-Age=0; HttpOnly; SameSite=Lax",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A username from the provider's claims: the preferred username, else the email address,
/// else the subject; reduced to characters safe in URLs and logs.
fn username_from(claims: &VerifiedClaims) -> String {
    let wanted = claims
        .preferred_username()
        .map(|u| u.as_str().to_owned())
        .or_else(|| claims.email().map(|e| e.as_str().to_owned()))
        .unwrap_or_else(|| claims.subject().as_str().to_owned());
    let clean: String = wanted
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        .take(64)
        .collect();
    if clean.is_empty() {
        format!("oidc-{}", &sha256_hex(claims.subject().as_str())[..8])
    } else {
        clean
    }
}

/// Finds the user this ID token is for (by subject; on first sign-in by verified email if
/// configured), or creates one; the role follows the groups at every sign-in.
async fn sign_in_user(
    state: &AppState,
    oidc: &OidcSettings,
    claims: &VerifiedClaims,
    source: &str,
    now: i64,
) -> Result<UserRecord, OidcError> {
    let store = state.engine.store();
    let internal = |e: StoreError| OidcError::Internal(e.to_string());
    let subject = claims.subject().as_str();
    let groups = groups_in(&claims.additional_claims().rest, &oidc.groups_claim);
    let role = oidc.role_for(&groups).ok_or(OidcError::NoRole)?;
    // An address the provider has not verified is anyone's claim: it is neither stored
    // nor used to find a user.
    let email = claims
        .email()
        .filter(|_| claims.email_verified() == Some(true))
        .map(|e| e.as_str().to_owned());
    let audit = |user: &UserRecord, action: &str, detail: Value| AuditEntry {
        id: 0,
        at: now,
        actor_kind: "user".into(),
        actor_id: user.id.clone(),
        actor_name: user.username.clone(),
        action: action.into(),
        target: user.username.clone(),
        detail: detail.to_string(),
        source: source.to_owned(),
    };

    let mut existing = store
        .user_by_oidc_subject(subject)
        .await
        .map_err(internal)?;
    if existing.is_none()
        && oidc.match_email
        && let Some(address) = &email
    {
        // Link only an unambiguous match that no other subject has claimed.
        let matches = store.users_by_email(address).await.map_err(internal)?;
        if let [one] = matches.as_slice()
            && one.oidc_subject.is_none()
        {
            existing = Some(one.clone());
        }
    }
    if let Some(mut user) = existing {
        if user.disabled_at.is_some() {
            return Err(OidcError::Disabled);
        }
        let before = user.clone();
        user.role = role;
        user.oidc_subject = Some(subject.to_owned());
        if user.email.is_none() {
            user.email = email;
        }
        if user != before {
            let detail = serde_json::json!({
                "via": "oidc",
                "role": { "from": before.role.as_str(), "to": user.role.as_str() },
                "linked": before.oidc_subject.is_none(),
            });
            let entry = audit(&user, "user.updated", detail);
            match store.update_user(&user, &entry).await {
                Ok(_) => {}
                Err(StoreError::LastOwner(name)) => return Err(OidcError::LastOwner(name)),
                Err(e) => return Err(internal(e)),
            }
        }
        return Ok(user);
    }

    let name = username_from(claims);
    let display_name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned())
        .unwrap_or_else(|| name.clone());
    let mut user = UserRecord {
        id: uuid::Uuid::new_v4().to_string(),
        username: name.clone(),
        display_name,
        email,
        password_hash: None,
        role,
        locale: None,
        time_zone: None,
        oidc_subject: Some(subject.to_owned()),
        must_change_password: false,
        created_at: now,
        disabled_at: None,
    };
    // A local user may already hold the name: fall back to one made unique by the subject.
    for candidate in [
        name.clone(),
        format!("{name}-{}", &sha256_hex(subject)[..8]),
    ] {
        user.username = candidate;
        let entry = audit(
            &user,
            "user.created",
            serde_json::json!({ "via": "oidc", "role": role.as_str() }),
        );
        if store.create_user(&user, &entry).await.map_err(internal)? {
            return Ok(user);
        }
    }
    Err(OidcError::Internal(format!(
        "no free username for the OpenID Connect subject of {name}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> OidcSettings {
        OidcSettings::new(
            "https://id.example",
            "hinomi",
            "s3cret",
            "https://hinomi.example/",
        )
        .unwrap()
    }

    #[test]
    fn the_highest_mapped_group_wins_and_the_default_covers_the_rest() {
        let mut s = settings();
        s.group_roles.insert("oncall".into(), Role::Responder);
        s.group_roles.insert("sre-leads".into(), Role::Admin);
        let g = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(s.role_for(&g(&["oncall", "sre-leads"])), Some(Role::Admin));
        assert_eq!(s.role_for(&g(&["oncall", "other"])), Some(Role::Responder));
        assert_eq!(
            s.role_for(&g(&["other"])),
            None,
            "refused without a default"
        );
        s.default_role = Some(Role::Viewer);
        assert_eq!(s.role_for(&g(&[])), Some(Role::Viewer));
    }

    #[test]
    fn groups_are_found_by_name_or_by_dotted_path() {
        let claims: serde_json::Map<String, Value> = serde_json::from_value(serde_json::json!({
            "groups": ["a", "b", 3],
            "https://example.com/groups": "c",
            "realm_access": { "roles": ["d"] },
        }))
        .unwrap();
        assert_eq!(groups_in(&claims, "groups"), ["a", "b"]);
        assert_eq!(groups_in(&claims, "https://example.com/groups"), ["c"]);
        assert_eq!(groups_in(&claims, "realm_access.roles"), ["d"]);
        assert!(groups_in(&claims, "missing.path").is_empty());
    }

    #[test]
    fn settings_name_the_bad_field_and_hide_the_secret() {
        let s = settings();
        assert_eq!(s.redirect_url, "https://hinomi.example/auth/oidc/callback");
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        let e = OidcSettings::new("not a url", "x", "", "http://h").unwrap_err();
        assert_eq!(e.field, "issuer");
        let e = OidcSettings::new("https://id", "", "", "http://h").unwrap_err();
        assert_eq!(e.field, "client_id");
    }
}
