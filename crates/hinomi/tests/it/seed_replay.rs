//! The seed's incident replayed end to end through hinomi's HTTP API, in process (the
//! router over an engine), on each database, with the clock simulated from 2024-12-01 15:00
//! to 2024-12-02 10:00 Asia/Tokyo: Prometheus posts the four alerts of the direct causes, a
//! responder declares the incident from their alert group with the seed's impact, the
//! response team takes its eight roles (core and support), the team records the direct
//! causes, the root causes and the emergency measures on the timeline as the hours pass,
//! checks the recovery and records the business impact, and hinomi drafts the postmortem.
//! The draft must state 19 hours of downtime, the eight roles, the four direct causes and
//! the impact figures; its Markdown is pinned in Japanese and in English, the same on both
//! databases. The reminder worker runs at every step: the seed's escalation criteria act
//! (a SEV1 at once, while nobody is executive liaison yet; four hours on, unresolved), and
//! an action item from the postmortem is chased past its due date, its owner first and the
//! incident manager three days later.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hinomi_core::Role;
use hinomi_engine::{Engine, EngineSettings, ManualClock};
use hinomi_store::{AuditEntry, SqliteSync, Store, StoreOptions, TokenRecord, UserRecord};

use crate::both_databases;
use crate::harness::{Db, fresh_database, url_encode};
use hinomi_web::ConfigSource;
use hinomi_web::{App, AppState, Limits};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// Every alert in one group, flushed at once.
const ALERTMANAGER_YML: &str = "route:\n  receiver: ops\n  group_by: [service]\n  group_wait: 0s\n  group_interval: 1m\n  repeat_interval: 4h\nreceivers:\n  - name: ops\n";

/// 2024-12-01 15:00 Asia/Tokyo, when the system began to fail.
fn jst(text: &str) -> i64 {
    hinomi_core::time::parse(&format!("{text}+09:00")).expect("a time")
}

/// The server under test: the router over an engine on a manual clock, and an owner's
/// token.
struct Replay {
    app: axum::Router,
    clock: ManualClock,
    engine: Engine,
    token: String,
    /// Whether the causes' alerts still fire: Prometheus sends them again at every step,
    /// as it does every evaluation, until they resolve.
    firing: std::sync::atomic::AtomicBool,
    _dir: tempfile::TempDir,
}

impl Replay {
    /// `None` when the database is not there (see [`fresh_database`]).
    async fn start(db: Db, at: i64) -> Option<Replay> {
        let dir = tempfile::tempdir().unwrap();
        let url = fresh_database(db, dir.path()).await?;
        let yml = dir.path().join("alertmanager.yml");
        std::fs::write(&yml, ALERTMANAGER_YML).unwrap();
        let source = ConfigSource::new(Some(yml));
        let config = source.load().expect("the configuration loads");
        let store = Store::open(&StoreOptions {
            url,
            sqlite_sync: SqliteSync::Normal,
            max_connections: 2,
        })
        .await
        .expect("open the store");
        let clock = ManualClock::new(at);
        let settings = EngineSettings {
            background: false,
            external_url: "https://hinomi.example".into(),
            ..EngineSettings::default()
        };
        let engine = Engine::start(store, config, settings, Arc::new(clock.clone()))
            .await
            .expect("the engine starts");
        let token = owner_token(engine.store(), at).await;
        let state = AppState::new(App {
            engine: engine.clone(),
            limits: Arc::new(Limits::default()),
            config: Arc::new(source),
            metrics: None,
            auth: Arc::new(hinomi_web::auth::Auth::new(Default::default())),
            closing: tokio::sync::watch::Sender::new(false),
            feeds: hinomi_web::ical::Feeds::new("replay-key", "https://hinomi.example"),
            incidents: Arc::new(hinomi_core::incident::PolicyDef::default().build().unwrap()),
            status_page: Default::default(),
            status_links: hinomi_web::status::email::Links::new(
                "replay-key",
                "https://hinomi.example",
            ),
        });
        Some(Replay {
            app: hinomi_web::router(state),
            clock,
            engine,
            token,
            firing: std::sync::atomic::AtomicBool::new(true),
            _dir: dir,
        })
    }

    /// Moves the clock to `at` (Japan time, `2024-12-01T16:00:00`), has Prometheus send the
    /// alerts again while they fire, and lets due timers run: group flushes and the
    /// incidents' reminders.
    async fn at(&self, at: &str) {
        self.clock.set(jst(at));
        if self.firing.load(std::sync::atomic::Ordering::SeqCst) {
            self.post_alerts(None).await;
        }
        self.engine.flush_now().await.unwrap();
        self.engine.reminders_now().await.unwrap();
    }

    /// The incident's timeline entries of `kind`, oldest first.
    async fn entries(&self, kind: &str) -> Vec<Value> {
        let path = format!("/api/v1/incidents/INC-1/timeline?kind={kind}");
        let entries = self.json("GET", &path, None).await;
        entries.as_array().expect("a list").clone()
    }

    /// Posts the four causes' alerts, started at 15:00; ended at `ended` if given.
    async fn post_alerts(&self, ended: Option<&str>) {
        let alerts: Vec<Value> = CAUSES
            .iter()
            .map(|(name, summary, _)| {
                let mut a = json!({"labels": {"alertname": name, "service": "受注システム"},
                       "annotations": {"summary": summary},
                       "startsAt": "2024-12-01T06:00:00Z"});
                if let Some(t) = ended {
                    a["endsAt"] = format!("{t}+09:00").into();
                }
                a
            })
            .collect();
        let (status, text) = self
            .call("POST", "/api/v2/alerts", Some(json!(alerts)))
            .await;
        assert_eq!(status, StatusCode::OK, "{text}");
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, String) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", self.token));
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let res = self
            .app
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// A JSON call that must succeed.
    async fn json(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, text) = self.call(method, path, body).await;
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Writes a timeline entry of `kind` at `at` (Japan time).
    async fn entry(&self, kind: &str, text: &str, at: &str, verdict: Option<&str>) {
        let mut body = json!({"kind": kind, "text": text, "at": format!("{at}+09:00")});
        if let Some(v) = verdict {
            body["verdict"] = v.into();
        }
        self.json("POST", "/api/v1/incidents/INC-1/timeline", Some(body))
            .await;
    }
}

/// What the replay's own writes to the store are recorded as.
fn audit(now: i64, target: &str) -> AuditEntry {
    AuditEntry {
        id: 0,
        at: now,
        actor_kind: "system".into(),
        actor_id: String::new(),
        actor_name: "replay".into(),
        action: "user.created".into(),
        target: target.into(),
        detail: "{}".into(),
        source: "test".into(),
    }
}

/// A person, written straight to the store; answers their id.
async fn person(store: &Store, username: &str, name: &str, role: Role, now: i64) -> String {
    let user = UserRecord {
        id: format!("replay-{username}"),
        username: username.into(),
        display_name: name.into(),
        email: None,
        password_hash: None,
        role,
        locale: Some("ja".into()),
        time_zone: Some("Asia/Tokyo".into()),
        oidc_subject: None,
        must_change_password: false,
        created_at: now,
        disabled_at: None,
    };
    assert!(
        store
            .create_user(&user, &audit(now, username))
            .await
            .unwrap()
    );
    user.id
}

/// The incident manager, an owner, and a token for them.
async fn owner_token(store: &Store, now: i64) -> String {
    let id = person(store, "tanaka", "田中", Role::Owner, now).await;
    let (token, hash) = hinomi_web::auth::new_token();
    let record = TokenRecord {
        id: "replay-token".into(),
        user_id: id,
        name: "replay".into(),
        token_hash: hash,
        role: Role::Owner,
        created_at: now,
        expires_at: None,
        revoked_at: None,
    };
    store
        .create_token(&record, &audit(now, "replay-token"))
        .await
        .unwrap();
    token
}

/// The four direct causes, as Prometheus would alert on them and as the team found them.
const CAUSES: [(&str, &str, &str); 4] = [
    (
        "DBConnectionPoolExhausted",
        "データベース接続枯渇",
        "2024-12-01T16:10:00",
    ),
    (
        "CacheMemoryLow",
        "キャッシュメモリ不足",
        "2024-12-01T16:40:00",
    ),
    (
        "NetworkCongestion",
        "ネットワーク輻輳",
        "2024-12-01T17:05:00",
    ),
    ("ProcessUnhealthy", "プロセス異常", "2024-12-01T17:30:00"),
];

both_databases!(
    the_seed_incident_replayed_drafts_its_postmortem,
    |db| async move {
        let Some(r) = Replay::start(db, jst("2024-12-01T15:00:00")).await else {
            return;
        };

        // 15:00: the order system's alerts begin firing.
        r.at("2024-12-01T15:01:00").await;
        let groups = r.json("GET", "/api/v1/groups", None).await;
        let key = groups[0]["key"].as_str().expect("one group").to_owned();

        // The service catalogue names the system.
        r.json(
            "POST",
            "/api/v1/services",
            Some(json!({"name": "基幹業務システム", "description": "受注・業務処理"})),
        )
        .await;

        // 15:20: declared from the group with the seed's impact; SEV1 is what it suggests.
        r.at("2024-12-01T15:20:00").await;
        let declared = r
        .json(
            "POST",
            &format!(
                "/api/v1/alert-groups/{}/incident",
                url_encode(&key)
            ),
            Some(json!({"title": "重要システム障害対応", "summary": "基幹業務システム全般の著しい性能低下と一部機能の停止",
                "impact": {"people_affected": 500, "revenue_per_day": 10_000_000, "currency": "JPY",
                           "customers_affected": 1000, "reputational_risk": "high"},
                "services": ["基幹業務システム"]})),
        )
        .await;
        assert_eq!(declared["reference"], "INC-1");
        assert_eq!(declared["severity"], "SEV1");
        assert_eq!(
            declared["milestones"]["started"],
            "2024-12-01T06:00:00.000Z"
        );

        // 15:30: the team is formed, the seed's eight roles (the declarer leads); the vendor's
        // engineer has no account and is an external contact.
        r.at("2024-12-01T15:30:00").await;
        let now = jst("2024-12-01T15:30:00");
        for (role, username, name) in [
            ("technical_lead", "suzuki", "鈴木"),
            ("system_expert", "sato", "佐藤"),
            ("operator", "takahashi", "高橋"),
            ("pr", "ito", "伊藤"),
            ("customer_support", "watanabe", "渡辺"),
            ("executive_liaison", "yamamoto", "山本"),
        ] {
            person(r.engine.store(), username, name, Role::Responder, now).await;
            r.json(
                "POST",
                "/api/v1/incidents/INC-1/roles",
                Some(json!({"role": role, "user": username})),
            )
            .await;
        }
        let vendor = r
            .json(
                "POST",
                "/api/v1/external-contacts",
                Some(json!({"name": "中村", "organisation": "DBベンダー株式会社",
                        "email": "nakamura@vendor.example"})),
            )
            .await;
        r.json(
            "POST",
            "/api/v1/incidents/INC-1/roles",
            Some(json!({"role": "external_vendor", "contact": vendor["id"]})),
        )
        .await;
        let team = r.json("GET", "/api/v1/incidents/INC-1/roles", None).await;
        let held: Vec<(&str, &str)> = team
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["group"].as_str().unwrap(), a["role"].as_str().unwrap()))
            .collect();
        assert_eq!(
            held,
            [
                ("core", "incident_manager"),
                ("core", "technical_lead"),
                ("core", "system_expert"),
                ("core", "operator"),
                ("support", "pr"),
                ("support", "customer_support"),
                ("support", "executive_liaison"),
                ("support", "external_vendor"),
            ],
            "{team}"
        );

        // The first hours: the direct causes found, the root causes confirmed, the measures
        // taken.
        for (_, cause, at) in CAUSES {
            r.at(at).await;
            r.entry("finding", cause, at, None).await;
        }
        r.at("2024-12-01T17:45:00").await;
        r.json(
            "PATCH",
            "/api/v1/incidents/INC-1",
            Some(json!({"status": "identified"})),
        )
        .await;
        for (root, at) in [
            ("設定値の不適切", "2024-12-01T18:00:00"),
            ("監視の不備", "2024-12-01T18:10:00"),
            ("運用手順の不足", "2024-12-01T18:20:00"),
            ("障害対応訓練不足", "2024-12-01T18:30:00"),
        ] {
            r.at(at).await;
            r.entry("hypothesis", root, at, Some("confirmed")).await;
        }
        r.at("2024-12-01T18:40:00").await;
        r.entry(
            "hypothesis",
            "外部からの攻撃",
            "2024-12-01T18:40:00",
            Some("rejected"),
        )
        .await;
        for (measure, at) in [
            ("コネクションプール再設定", "2024-12-01T20:00:00"),
            ("メモリ割り当て調整", "2024-12-01T23:00:00"),
            ("ネットワーク帯域制御", "2024-12-02T03:00:00"),
            ("プロセス再起動", "2024-12-02T08:00:00"),
        ] {
            r.at(at).await;
            r.entry("measure", measure, at, None).await;
        }

        // 2024-12-02 10:00: restored. The alerts resolve, the recovery checks pass, the impact
        // is recorded.
        r.firing.store(false, std::sync::atomic::Ordering::SeqCst);
        r.post_alerts(Some("2024-12-02T10:00:00")).await;
        r.at("2024-12-02T10:00:00").await;
        r.json(
            "PATCH",
            "/api/v1/incidents/INC-1",
            Some(json!({"status": "monitoring"})),
        )
        .await;
        for check in ["performance", "functions", "data_integrity", "access"] {
            r.json(
                "PUT",
                &format!("/api/v1/incidents/INC-1/recovery/checks/{check}"),
                Some(json!({"state": "ok", "note": "確認済み"})),
            )
            .await;
        }
        r.json(
            "PUT",
            "/api/v1/incidents/INC-1/recovery/impact-record",
            Some(
                json!({"data_loss": "なし", "business_delay": "2日以内に解消",
                    "customers_handled": "完了"}),
            ),
        )
        .await;
        let incident = r.json("GET", "/api/v1/incidents/INC-1", None).await;
        assert_eq!(incident["durations"]["downtime"], 19 * 3600, "{incident}");

        // The postmortem, drafted in Japanese and in English.
        for (language, snapshot) in [("ja", "seed_postmortem_ja"), ("en", "seed_postmortem_en")] {
            r.json(
                "POST",
                "/api/v1/incidents/INC-1/postmortem",
                Some(json!({"language": language, "time_zone": "Asia/Tokyo"})),
            )
            .await;
            let (status, md) = r
                .call("GET", "/api/v1/incidents/INC-1/postmortem.md", None)
                .await;
            assert_eq!(status, StatusCode::OK, "{md}");
            let (hours, people, yen, customers) = match language {
                "ja" => (
                    "システム停止時間：19時間",
                    "業務停止：500名",
                    "10,000,000 JPY/日",
                    "顧客影響：1,000社",
                ),
                _ => ("Downtime: 19 hours", "500", "10,000,000", "1,000"),
            };
            for text in [hours, people, yen, customers] {
                assert!(md.contains(text), "{text} in {md}");
            }
            for (_, cause, _) in CAUSES {
                assert!(md.contains(cause), "{cause} in {md}");
            }
            let roles: &[&str] = match language {
                "ja" => &[
                    "インシデントマネージャー",
                    "テクニカルリード",
                    "システム専門家",
                    "運用担当者",
                    "広報担当",
                    "顧客対応",
                    "経営層連携",
                    "外部ベンダー",
                ],
                _ => &[
                    "Incident manager",
                    "Technical lead",
                    "System expert",
                    "Operator",
                    "PR",
                    "Customer support",
                    "Executive liaison",
                    "External vendor",
                ],
            };
            for role in roles {
                assert!(md.contains(role), "{role} in {md}");
            }
            insta::assert_snapshot!(snapshot, md);
        }

        // The escalation criteria acted: the SEV1 at the first look after its declaration,
        // before anyone was executive liaison (so the incident manager heard of it); four
        // hours after the declaration, still unresolved, with both roles held.
        let escalated = r.entries("escalated").await;
        let acted: Vec<(&str, &str)> = escalated
            .iter()
            .map(|e| {
                (
                    e["data"]["criterion"].as_str().unwrap(),
                    e["at"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            acted,
            [
                ("executive_liaison", "2024-12-01T06:30:00.000Z"),
                ("unresolved_4h", "2024-12-01T11:00:00.000Z"),
            ],
            "{escalated:?}"
        );
        assert_eq!(
            escalated[0]["data"]["unheld_roles"],
            json!(["executive_liaison"])
        );
        assert_eq!(escalated[1]["data"]["unheld_roles"], json!([]));
        let detail = r.json("GET", "/api/v1/incidents/INC-1", None).await;
        assert!(
            detail["escalations"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| !c["acted_at"].is_null()),
            "{detail}"
        );

        // The improvement plan's first item, owned by the technical lead, due 2024-12-20: it is
        // chased from 2024-12-21 00:00 in Tokyo, its owner first, then the incident manager
        // three days later; nothing before.
        let items = r
        .json(
            "POST",
            "/api/v1/incidents/INC-1/action-items",
            Some(json!({"category": "system", "horizon": "short", "title": "コネクションプール監視の追加",
                        "owner": "suzuki", "due": "2024-12-20"})),
        )
        .await;
        assert_eq!(items[0]["owner"], "suzuki", "{items}");
        r.at("2024-12-20T23:59:00").await;
        assert!(r.entries("action_item_overdue").await.is_empty());
        r.at("2024-12-21T00:00:00").await;
        r.at("2024-12-24T00:00:00").await;
        let chased = r.entries("action_item_overdue").await;
        let turns: Vec<(bool, &str)> = chased
            .iter()
            .map(|e| {
                (
                    e["data"]["to_lead"].as_bool().unwrap(),
                    e["at"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            turns,
            [
                (false, "2024-12-20T15:00:00.000Z"),
                (true, "2024-12-23T15:00:00.000Z"),
            ],
            "{chased:?}"
        );
    }
);
