//! `hinomi serve`: opens the database, starts the engine and the HTTP server, reloads the
//! configuration on SIGHUP, and shuts down in order on SIGINT or SIGTERM: stop accepting,
//! finish requests in flight, commit queued intake, finish sends, close the database.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hinomi_engine::{Engine, EngineSettings, SystemClock};
use hinomi_web::{App, AppState, ConfigSource, Limits};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use crate::settings::{Settings, redact_url};

/// Latency buckets (seconds) for every hinomi histogram but the batch sizes.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&settings.log.level));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if settings.log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

fn install_metrics() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets(SECONDS_BUCKETS)?
        .set_buckets_for_metric(
            Matcher::Full("hinomi_intake_commit_batch_alerts".into()),
            &[1.0, 10.0, 100.0, 1_000.0, 10_000.0],
        )?
        .install_recorder()
        .context("cannot install the metrics recorder")?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// Everything `serve` and `demo` start, ready to run.
pub struct Server {
    pub engine: Engine,
    pub state: AppState,
    pub listener: TcpListener,
}

impl Server {
    /// Opens the store, loads the configuration and starts the engine; binds the listener.
    pub async fn start(settings: &Settings) -> anyhow::Result<Server> {
        let store = crate::open_store(settings).await?;
        let source = ConfigSource::new(
            (!settings.alertmanager_config.is_empty())
                .then(|| settings.alertmanager_config.clone().into()),
        );
        let config = source.load()?;
        for note in &config.unsupported {
            tracing::warn!(note = %note, "configuration accepted but not acted on");
        }
        let incidents = Arc::new(settings.incidents.build()?);
        let engine_settings = EngineSettings {
            instance: if settings.instance.is_empty() {
                EngineSettings::default().instance
            } else {
                settings.instance.clone()
            },
            external_url: settings.external_url.clone(),
            intake_queue: settings.intake.queue.max(1),
            poll_interval: Duration::from_millis(settings.delivery.poll_interval_ms.max(10)),
            webhook_timeout: Duration::from_secs(settings.delivery.timeout_seconds.max(1)),
            delivery_lease_ms: (settings.delivery.lease_seconds.max(1) * 1000) as i64,
            max_attempts: settings.delivery.max_attempts.max(1),
            channels: settings.channels.clone(),
            contact_per_minute: settings.delivery.per_minute.by_kind(),
            incidents: incidents.clone(),
            background: true,
        };
        let engine = Engine::start(store, config, engine_settings, Arc::new(SystemClock)).await?;
        let listener = TcpListener::bind(&settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let zone = &settings.status_page.time_zone;
        if jiff::tz::TimeZone::get(zone).is_err() {
            anyhow::bail!("status_page.time_zone: {zone:?} is not an IANA time zone");
        }
        let i = &settings.intake;
        // Made at the first start and kept in the database, so every instance and every
        // restart signs the feed URLs alike.
        let feed_key = engine
            .store()
            .server_secret(
                hinomi_web::ical::KEY_NAME,
                &hinomi_web::auth::random_hex(32),
                engine.now(),
            )
            .await?;
        let links_key = engine
            .store()
            .server_secret(
                hinomi_web::status::email::KEY_NAME,
                &hinomi_web::auth::random_hex(32),
                engine.now(),
            )
            .await?;
        let state = AppState::new(App {
            engine: engine.clone(),
            limits: Arc::new(Limits {
                max_body_bytes: i.max_body_bytes,
                max_alerts_per_request: i.max_alerts_per_request,
                max_labels: i.max_labels,
                max_name_bytes: i.max_name_bytes,
                max_label_value_bytes: i.max_label_value_bytes,
                max_annotation_value_bytes: i.max_annotation_value_bytes,
            }),
            config: Arc::new(source),
            metrics: install_metrics().ok(),
            auth: Arc::new(hinomi_web::auth::Auth::new(auth_settings(settings)?)),
            closing: tokio::sync::watch::Sender::new(false),
            feeds: hinomi_web::ical::Feeds::new(&feed_key, &settings.external_url),
            incidents,
            status_page: settings.status_page.page(),
            status_links: hinomi_web::status::email::Links::new(&links_key, &settings.external_url),
        });
        crate::access_cli::bootstrap_owner(engine.store(), settings).await?;
        Ok(Server {
            engine,
            state,
            listener,
        })
    }

    /// Serves `router` until `shutdown` resolves, then stops everything in order.
    pub async fn run(
        self,
        router: axum::Router,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let reload_state = self.state.clone();
        let hup = tokio::spawn(async move { reload_on_sighup(reload_state).await });
        let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let closing = self.state.clone();
        let shutdown = async move {
            shutdown.await;
            closing.closing.send_replace(true);
        };
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await
            .context("HTTP server failed")?;
        hup.abort();
        tracing::info!("HTTP server stopped; finishing queued work");
        self.engine.shutdown().await;
        self.engine.store().close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The web crate's access settings from `[auth]` and the external URL.
fn auth_settings(settings: &Settings) -> anyhow::Result<hinomi_web::auth::AuthSettings> {
    Ok(hinomi_web::auth::AuthSettings {
        alertmanager_api_open: settings.auth.alertmanager_api_open,
        metrics_public: settings.auth.metrics_public,
        session_ttl_ms: (settings.auth.session_hours.max(1) * 3_600_000) as i64,
        secure_cookies: settings.external_url.starts_with("https://"),
        oidc: settings.oidc()?,
    })
}

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    init_logging(&settings);
    let url = settings.database_url()?;
    let server = Server::start(&settings).await?;
    tracing::info!(
        listen = %server.listener.local_addr()?,
        database = %redact_url(&url),
        config = %if settings.alertmanager_config.is_empty() { "built-in" } else { &settings.alertmanager_config },
        version = env!("CARGO_PKG_VERSION"),
        "hinomi is serving"
    );
    let router = hinomi_web::router(server.state.clone());
    server.run(router, shutdown_signal()).await
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutdown requested");
}

async fn reload_on_sighup(state: AppState) {
    #[cfg(unix)]
    {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hup.recv().await.is_some() {
            // Success and failure are both logged by the reload itself.
            let _ = state.config.reload(&state.engine).await;
        }
    }
    #[cfg(not(unix))]
    let _ = state;
}
