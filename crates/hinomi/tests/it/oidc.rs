//! OpenID Connect sign-in through the real binary, against a provider on loopback: discovery,
//! JWKS, an authorize endpoint that approves the configured person at once, and a token
//! endpoint that checks the PKCE verifier and returns an RS256-signed ID token. Switches on
//! the provider make it misbehave (wrong key, audience, nonce, expiry) to prove each is
//! refused without a session.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::pkcs1v15::SigningKey;
use rsa::sha2::{Digest, Sha256};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};

use crate::both_databases;
use crate::harness::*;

const CLIENT_ID: &str = "hinomi-test";
/// Where people reach hinomi, as registered at the provider.
const EXTERNAL_URL: &str = "http://hinomi.test";
/// Made up per run, like every credential in these tests.
static CLIENT_SECRET: LazyLock<String> = LazyLock::new(|| format!("oidc-secret-{}", uuid_hex()));

/// The provider's signing key, and another key nobody published (for forged tokens).
/// Generated once per test run; never committed.
static KEYS: LazyLock<(RsaPrivateKey, RsaPrivateKey)> = LazyLock::new(|| {
    let mut rng = rand::thread_rng();
    (
        RsaPrivateKey::new(&mut rng, 2048).expect("RSA key"),
        RsaPrivateKey::new(&mut rng, 2048).expect("RSA key"),
    )
});
const KID: &str = "test-key-1";

/// Who the provider signs in, and how it misbehaves.
#[derive(Clone, Debug)]
pub struct Person {
    pub subject: String,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub groups: Vec<String>,
    /// Sign with a key that is not in the JWKS.
    pub forge_signature: bool,
    /// Put this audience in the ID token instead of the client id.
    pub audience: Option<String>,
    /// Put this nonce in the ID token instead of the one hinomi sent.
    pub nonce: Option<String>,
    /// An ID token that expired ten minutes ago.
    pub expired: bool,
}

impl Person {
    pub fn new(subject: &str, username: &str, groups: &[&str]) -> Person {
        Person {
            subject: subject.into(),
            username: username.into(),
            email: format!("{username}@example.test"),
            email_verified: true,
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            forge_signature: false,
            audience: None,
            nonce: None,
            expired: false,
        }
    }
}

struct Issued {
    challenge: String,
    nonce: String,
    redirect_uri: String,
}

#[derive(Clone)]
struct ProviderState {
    url: String,
    person: Arc<Mutex<Person>>,
    codes: Arc<Mutex<HashMap<String, Issued>>>,
    /// Token requests refused, with why (a PKCE failure shows here).
    refusals: Arc<Mutex<Vec<String>>>,
    /// Every code, access token and ID token handed out.
    secrets: Arc<Mutex<Vec<String>>>,
}

/// The loopback identity provider.
pub struct Provider {
    pub url: String,
    state: ProviderState,
}

impl Provider {
    pub async fn start(person: Person) -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = ProviderState {
            url: url.clone(),
            person: Arc::new(Mutex::new(person)),
            codes: Arc::default(),
            refusals: Arc::default(),
            secrets: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Provider { url, state }
    }

    /// Changes who signs in next, or how the provider behaves.
    pub fn set(&self, change: impl FnOnce(&mut Person)) {
        change(&mut self.state.person.lock().unwrap());
    }

    /// Every code, access token and ID token the provider handed out.
    pub fn issued_secrets(&self) -> Vec<String> {
        self.state.secrets.lock().unwrap().clone()
    }

    pub fn client_secret(&self) -> &'static str {
        CLIENT_SECRET.as_str()
    }

    pub fn refusals(&self) -> Vec<String> {
        self.state.refusals.lock().unwrap().clone()
    }

    /// The `[auth.oidc]` settings for hinomi to use this provider, as a TOML file in `dir`.
    pub fn settings_file(&self, dir: &std::path::Path, extra: &str) -> std::path::PathBuf {
        let path = dir.join("hinomi.toml");
        std::fs::write(
            &path,
            format!(
                "external_url = \"{EXTERNAL_URL}\"\n[auth.oidc]\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"\n\
                 client_secret = \"{}\"\n{extra}\n",
                self.url, *CLIENT_SECRET
            ),
        )
        .unwrap();
        path
    }
}

async fn discovery(State(s): State<ProviderState>) -> Response {
    axum::Json(json!({
        "issuer": s.url,
        "authorization_endpoint": format!("{}/authorize", s.url),
        "token_endpoint": format!("{}/token", s.url),
        "jwks_uri": format!("{}/jwks", s.url),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }))
    .into_response()
}

async fn jwks() -> Response {
    let public = RsaPublicKey::from(&KEYS.0);
    axum::Json(json!({ "keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": KID,
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    }]}))
    .into_response()
}

/// Approves at once: no login form, the configured person is signed in.
async fn authorize(
    State(s): State<ProviderState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| q.get(name).cloned().unwrap_or_default();
    if field("client_id") != CLIENT_ID
        || field("response_type") != "code"
        || field("code_challenge_method") != "S256"
        || field("code_challenge").is_empty()
        || field("nonce").is_empty()
        || !field("scope").split(' ').any(|s| s == "openid")
    {
        return (
            StatusCode::BAD_REQUEST,
            format!("bad authorize request: {q:?}"),
        )
            .into_response();
    }
    let code = format!("code-{}", uuid_hex());
    s.secrets.lock().unwrap().push(code.clone());
    let redirect_uri = field("redirect_uri");
    s.codes.lock().unwrap().insert(
        code.clone(),
        Issued {
            challenge: field("code_challenge"),
            nonce: field("nonce"),
            redirect_uri: redirect_uri.clone(),
        },
    );
    let mut target = reqwest::Url::parse(&redirect_uri).expect("redirect_uri is a URL");
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &field("state"));
    Redirect::to(target.as_str()).into_response()
}

async fn token(State(s): State<ProviderState>, headers: HeaderMap, body: String) -> Response {
    let form: HashMap<String, String> = reqwest::Url::parse(&format!("http://form/?{body}"))
        .expect("a form body")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let refuse = |why: String| {
        s.refusals.lock().unwrap().push(why.clone());
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_grant", "error_description": why })),
        )
            .into_response()
    };
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let expected = format!("{CLIENT_ID}:{}", *CLIENT_SECRET);
    let by_form = form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret") == Some(&*CLIENT_SECRET);
    if basic.as_deref() != Some(expected.as_str()) && !by_form {
        return refuse("client authentication".into());
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return refuse("grant_type".into());
    }
    let code = form.get("code").cloned().unwrap_or_default();
    let Some(issued) = s.codes.lock().unwrap().remove(&code) else {
        return refuse("unknown code".into());
    };
    if form.get("redirect_uri") != Some(&issued.redirect_uri) {
        return refuse("redirect_uri".into());
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != issued.challenge {
        return refuse("PKCE verifier".into());
    }
    let person = s.person.lock().unwrap().clone();
    let now = now_ms() / 1000;
    let (iat, exp) = if person.expired {
        (now - 1200, now - 600)
    } else {
        (now, now + 300)
    };
    let claims = json!({
        "iss": s.url,
        "sub": person.subject,
        "aud": person.audience.clone().unwrap_or_else(|| CLIENT_ID.into()),
        "iat": iat,
        "exp": exp,
        "nonce": person.nonce.clone().unwrap_or(issued.nonce),
        "preferred_username": person.username,
        "name": format!("{} (test)", person.username),
        "email": person.email,
        "email_verified": person.email_verified,
        "groups": person.groups,
    });
    let key = if person.forge_signature {
        &KEYS.1
    } else {
        &KEYS.0
    };
    let (access_token, id_token) = (format!("at-{}", uuid_hex()), sign(key, &claims));
    s.secrets
        .lock()
        .unwrap()
        .extend([access_token.clone(), id_token.clone()]);
    axum::Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
    .into_response()
}

/// A compact RS256 JWS.
fn sign(key: &RsaPrivateKey, claims: &Value) -> String {
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": KID });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = SigningKey::<Sha256>::new(key.clone()).sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// A browser that follows nothing by itself, so each hop can be checked (or tampered with).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(header::LOCATION)
        .unwrap_or_else(|| panic!("no Location on {}", r.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// One sign-in up to the callback: answers the callback URL the provider sent the browser
/// to, and the flow cookie hinomi set.
pub async fn to_callback(server: &Server, next: &str) -> (String, String) {
    let b = browser();
    let r = b
        .get(format!("{}/auth/oidc/login?next={next}", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let flow = set_cookie(&r, "hinomi_oidc").expect("flow cookie");
    let r = b.get(location(&r)).send().await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.text().await.unwrap());
    // hinomi is known to the provider by its external URL; the test's "reverse proxy"
    // forwards that origin to the server's port.
    let to = location(&r);
    let local = to
        .strip_prefix(EXTERNAL_URL)
        .unwrap_or_else(|| panic!("the provider sent the browser to {to}"));
    (format!("{}{local}", server.url), flow)
}

async fn callback(url: &str, flow_cookie: &str) -> reqwest::Response {
    browser()
        .get(url)
        .header(header::COOKIE, format!("hinomi_oidc={flow_cookie}"))
        .send()
        .await
        .unwrap()
}

/// A whole sign-in: answers the session cookie and where the browser was sent.
pub async fn sign_in(server: &Server, next: &str) -> (String, String) {
    let (url, flow) = to_callback(server, next).await;
    let r = callback(&url, &flow).await;
    let status = r.status();
    let session = set_cookie(&r, "hinomi_session");
    let to = r
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(status, 303, "{}", r.text().await.unwrap());
    (session.expect("session cookie"), to.unwrap())
}

/// A callback that must be refused: answers its status and text.
pub async fn refused(url: &str, flow_cookie: &str) -> (StatusCode, String) {
    let r = callback(url, flow_cookie).await;
    assert!(
        set_cookie(&r, "hinomi_session").is_none(),
        "a refused sign-in set a session cookie"
    );
    (r.status(), r.text().await.unwrap())
}

/// How many rows `table` holds.
async fn rows(db: &sqlx::AnyPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db)
        .await
        .unwrap()
}

/// (username, role) of the user linked to `subject`.
async fn user_of(db: &sqlx::AnyPool, subject: &str) -> Option<(String, String)> {
    sqlx::query_as("SELECT username, role FROM users WHERE oidc_subject = $1")
        .bind(subject)
        .fetch_optional(db)
        .await
        .unwrap()
}

async fn start(db: Db, provider: &Provider, extra: &str) -> Option<(Server, tempfile::TempDir)> {
    start_with_env(db, provider, extra, Vec::new()).await
}

/// A server signing in through `provider`, with `extra` lines in `[auth.oidc]` and extra
/// `HINOMI_*` environment.
pub async fn start_with_env(
    db: Db,
    provider: &Provider,
    extra: &str,
    mut env: Vec<(String, String)>,
) -> Option<(Server, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let file = provider.settings_file(dir.path(), extra);
    env.push(("HINOMI_CONFIG".into(), file.display().to_string()));
    let server = Server::start(
        db,
        Options {
            env,
            ..Options::default()
        },
    )
    .await?;
    Some((server, dir))
}

pub const GROUPS: &str = "[auth.oidc.group_roles]\noncall = \"responder\"\nsre-leads = \"admin\"\n";

both_databases!(sign_in_creates_matches_and_maps_groups, |db| async move {
    let provider = Provider::start(Person::new("sub-aiko", "aiko", &["oncall"])).await;
    let Some((server, _dir)) = start(db, &provider, GROUPS).await else {
        return;
    };
    let store = server.database().await;

    // The sign-in page offers the provider, and keeps where the person was going.
    let page = server
        .anonymous()
        .get(format!("{}/login?next=/alerts", server.url))
        .send()
        .await
        .unwrap();
    let page = page.text().await.unwrap();
    assert!(
        page.contains("href=\"/auth/oidc/login?next=/alerts\""),
        "{page}"
    );

    let (session, to) = sign_in(&server, "/alerts").await;
    assert_eq!(to, "/alerts", "back to where the sign-in started");
    assert_eq!(
        user_of(&store, "sub-aiko").await,
        Some(("aiko".into(), "responder".into())),
        "the first sign-in creates the user with the mapped role"
    );
    let r = browser()
        .get(format!("{}/api/v2/status", server.url))
        .header(header::COOKIE, format!("hinomi_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the session cookie signs the browser in");

    let users = rows(&store, "users").await;
    sign_in(&server, "/").await;
    assert_eq!(
        rows(&store, "users").await,
        users,
        "the second sign-in matches the same user"
    );

    provider.set(|p| p.groups = vec!["oncall".into(), "sre-leads".into()]);
    sign_in(&server, "/").await;
    assert_eq!(
        user_of(&store, "sub-aiko").await.unwrap().1,
        "admin",
        "a new group raises the role at the next sign-in"
    );
    provider.set(|p| p.groups = vec!["oncall".into()]);
    sign_in(&server, "/").await;
    assert_eq!(user_of(&store, "sub-aiko").await.unwrap().1, "responder");

    provider.set(|p| p.groups = vec!["marketing".into()]);
    let before = rows(&store, "sessions").await;
    let (url, flow) = to_callback(&server, "/").await;
    let (status, text) = refused(&url, &flow).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("groups"), "{text}");
    assert_eq!(rows(&store, "sessions").await, before);
    assert!(provider.refusals().is_empty(), "{:?}", provider.refusals());
    assert!(server.terminate().await.success());
});

both_databases!(
    bad_callbacks_are_refused_without_a_session,
    |db| async move {
        let provider = Provider::start(Person::new("sub-ken", "ken", &["oncall"])).await;
        let Some((server, _dir)) = start(db, &provider, GROUPS).await else {
            return;
        };
        let store = server.database().await;

        // The person said no at the provider; a callback without its code.
        for (query, says) in [
            ("error=access_denied&state=s", "access_denied"),
            ("state=s", "code"),
        ] {
            let (status, text) =
                refused(&format!("{}/auth/oidc/callback?{query}", server.url), "").await;
            assert_eq!(status, 400, "{query}: {text}");
            assert!(text.contains(says), "{query}: {text}");
        }

        // A state hinomi never issued.
        let (url, flow) = to_callback(&server, "/").await;
        let mut tampered = reqwest::Url::parse(&url).unwrap();
        let pairs: Vec<(String, String)> = tampered
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "state" {
                    format!("{v}x")
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        tampered.query_pairs_mut().clear().extend_pairs(pairs);
        let (status, text) = refused(tampered.as_str(), &flow).await;
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("start again"), "{text}");
        // ... and the genuine callback from another browser (no or another flow cookie).
        let (status, text) = refused(&url, "someone-else").await;
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("another browser"), "{text}");
        // The state was used up by that attempt: replaying it fails too.
        let (status, _) = refused(&url, &flow).await;
        assert_eq!(status, 400);

        type Misbehave = fn(&mut Person);
        let cases: [(&str, Misbehave, &str); 4] = [
            ("bad signature", |p| p.forge_signature = true, "signature"),
            (
                "wrong audience",
                |p| p.audience = Some("someone-else".into()),
                "audience",
            ),
            (
                "wrong nonce",
                |p| p.nonce = Some("not-the-nonce".into()),
                "nonce",
            ),
            ("expired", |p| p.expired = true, "expired"),
        ];
        for (what, misbehave, says) in cases {
            provider.set(|p| *p = Person::new("sub-ken", "ken", &["oncall"]));
            provider.set(misbehave);
            let (url, flow) = to_callback(&server, "/").await;
            let (status, text) = refused(&url, &flow).await;
            assert_eq!(status, 401, "{what}: {text}");
            assert!(
                text.to_lowercase().contains(says),
                "{what}: the refusal says why: {text}"
            );
        }
        assert_eq!(
            rows(&store, "sessions").await,
            0,
            "no refused sign-in made a session"
        );
        assert_eq!(user_of(&store, "sub-ken").await, None, "nor a user");

        // The same provider behaving again signs in: the refusals were the token's fault.
        provider.set(|p| *p = Person::new("sub-ken", "ken", &["oncall"]));
        sign_in(&server, "/").await;
        assert_eq!(rows(&store, "sessions").await, 1);
        assert!(server.terminate().await.success());
    }
);

both_databases!(
    first_sign_in_links_a_user_by_verified_email,
    |db| async move {
        let provider = Provider::start(Person::new("sub-mei", "mei-idp", &["sre-leads"])).await;
        let extra = format!("match_email = true\ndefault_role = \"viewer\"\n{GROUPS}");
        let Some((server, _dir)) = start(db, &provider, &extra).await else {
            return;
        };
        let store = server.database().await;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO users (id, username, display_name, email, password_hash, role, locale, \
         time_zone, oidc_subject, must_change_password, created_at, disabled_at) \
         VALUES ('u-mei', 'mei', 'Mei', 'MEI-IDP@example.test', NULL, 'viewer', NULL, NULL, \
         NULL, 0, $1, NULL)",
        )
        .bind(now)
        .execute(&store)
        .await
        .unwrap();
        // An unverified address links nothing: a new user is made instead.
        provider.set(|p| {
            p.email_verified = false;
            p.subject = "sub-other".into();
            p.groups = vec![];
        });
        sign_in(&server, "/").await;
        let other = user_of(&store, "sub-other").await.unwrap();
        assert_ne!(other.0, "mei");
        assert_eq!(other.1, "viewer", "the default role for no mapped group");

        provider.set(|p| {
            p.email_verified = true;
            p.subject = "sub-mei".into();
            p.groups = vec!["sre-leads".into()];
        });
        sign_in(&server, "/").await;
        assert_eq!(
            user_of(&store, "sub-mei").await,
            Some(("mei".into(), "admin".into())),
            "linked to the existing user by email, role from the groups"
        );
        assert!(server.terminate().await.success());
    }
);

both_databases!(
    groups_never_demote_the_last_enabled_owner,
    |db| async move {
        let provider = Provider::start(Person::new("sub-sora", "sora", &["owners"])).await;
        let extra = format!("{GROUPS}owners = \"owner\"\n");
        let Some((server, _dir)) = start(db, &provider, &extra).await else {
            return;
        };
        let store = server.database().await;
        sign_in(&server, "/").await;
        assert_eq!(
            user_of(&store, "sub-sora").await,
            Some(("sora".into(), "owner".into()))
        );
        // The harness's owner steps down: sora is now the last enabled owner.
        server.cli(&["user", "set-role", "harness-owner", "admin"], None);

        // Sora's groups now map to responder: the sign-in is refused, and says why.
        provider.set(|p| p.groups = vec!["oncall".into()]);
        let (sessions, entries) = (
            rows(&store, "sessions").await,
            rows(&store, "audit_log").await,
        );
        let (url, flow) = to_callback(&server, "/alerts").await;
        let r = callback(&url, &flow).await;
        assert_eq!(r.status(), 303, "a refusal, not an internal error");
        assert!(
            set_cookie(&r, "hinomi_session").is_none(),
            "a refused sign-in set a session cookie"
        );
        let to = location(&r);
        assert_eq!(to, "/login?refused=oidc_last_owner");
        for (lang, says) in [
            ("ja", "あなたは最後の有効なオーナーですが"),
            ("en", "you are the last enabled owner"),
        ] {
            let r = server
                .anonymous()
                .get(format!("{}{to}", server.url))
                .header(header::ACCEPT_LANGUAGE, lang)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let page = r.text().await.unwrap();
            assert!(page.contains(says), "{lang}: {page}");
        }
        // A code the page does not know shows nothing: a link cannot put words there.
        let page = server
            .anonymous()
            .get(format!("{}/login?refused=you+are+fired", server.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!page.contains("role=\"alert\""), "{page}");
        // Nothing changed: still the owner, no session, no audit entry.
        assert_eq!(user_of(&store, "sub-sora").await.unwrap().1, "owner");
        assert_eq!(rows(&store, "sessions").await, sessions);
        assert_eq!(rows(&store, "audit_log").await, entries);

        // With another owner, the same groups take effect at the next sign-in.
        server.cli(&["user", "set-role", "harness-owner", "owner"], None);
        sign_in(&server, "/").await;
        assert_eq!(user_of(&store, "sub-sora").await.unwrap().1, "responder");
        assert!(server.terminate().await.success());
    }
);
