//! The `hinomi` binary: parses the command line and settings, and wires the library crates
//! together. Logic lives in the libraries; this file only connects them.
#![forbid(unsafe_code)]

mod access_cli;
mod demo;
mod holiday_cli;
mod incident_cli;
mod paging_cli;
mod schedule_cli;
mod serve;
mod settings;
mod team_cli;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use hinomi_core::LabelSet;
use hinomi_engine::{Clock as _, PageCommand};
use hinomi_store::{IntegrationRecord, Store, StoreOptions};

use settings::{FlagOverrides, Settings};

/// mimalloc instead of the system allocator: intake allocates on the HTTP tasks and frees
/// on the database thread, a pattern glibc's malloc serves poorly (it took about a third of
/// intake's CPU in profiles; mimalloc raised batch-100 intake by the ratio in the commit
/// that chose it).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// hinomi (火の見): self-hosted incident response. It watches, it pages the right person,
/// and it runs the response.
#[derive(Debug, Parser)]
#[command(name = "hinomi", version, about, long_about = None)]
struct Cli {
    /// Settings file (TOML). Also HINOMI_CONFIG.
    #[arg(long, global = true, env = "HINOMI_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    flags: Flags,
    #[command(subcommand)]
    command: Command,
}

/// Settings that can be given as flags; they override the file and the environment.
#[derive(Debug, Args)]
struct Flags {
    /// Database URL: postgres://... to share PostgreSQL; default SQLite in --data-dir.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Directory of the embedded SQLite database.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: intake, routing, notifications, API.
    Serve(ServeArgs),
    /// Run a server with sample alerts and a built-in webhook receiver that prints what
    /// it is sent, on a throw-away database.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9093")]
        listen: String,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Integration keys: who may send events to /v2/enqueue and /intake/generic.
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// People who sign in to the console and the API.
    #[command(subcommand)]
    User(access_cli::UserCommand),
    /// Personal API tokens.
    #[command(subcommand)]
    Token(access_cli::TokenCommand),
    /// Teams: who answers for which silences and integrations.
    #[command(subcommand)]
    Team(team_cli::TeamCommand),
    /// On-call schedules: who is on call, and why.
    #[command(subcommand)]
    Schedule(schedule_cli::ScheduleCommand),
    /// Company holiday calendars: the days off schedule layers may skip.
    #[command(subcommand)]
    Holiday(holiday_cli::HolidayCommand),
    /// The audit log: who changed what, when and from where.
    Audit(access_cli::AuditArgs),
    /// Incidents: declare, list, show, update, and write their timelines.
    #[command(subcommand)]
    Incident(incident_cli::IncidentCommand),
    /// Pages: alert groups' paging records, newest first.
    Pages(paging_cli::PagesArgs),
    /// Acknowledge a page: escalation stops and its messages not yet sent are cancelled.
    Ack(paging_cli::AnswerArgs),
    /// Resolve a page.
    Resolve(paging_cli::AnswerArgs),
    /// Heartbeat monitors: a job that must check in, or its alert opens.
    #[command(subcommand)]
    Heartbeat(paging_cli::HeartbeatCommand),
    /// The newest notifications and what became of them.
    Deliveries {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Instead, every attempt of the notification with this id, with what its peer
        /// answered.
        #[arg(long, value_name = "ID")]
        attempts: Option<i64>,
    },
    /// The newest change events (deploys, configuration changes).
    Changes {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long)]
    listen: Option<String>,
    /// An existing alertmanager.yml to take route, receivers and inhibit_rules from.
    #[arg(long)]
    alertmanager_config: Option<PathBuf>,
    /// The URL people reach hinomi at.
    #[arg(long)]
    external_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print a commented settings file with every default.
    Default,
    /// Print the settings in force after all layers, passwords hidden.
    Show,
    /// Check an alertmanager.yml the way `serve` would load it.
    Check { path: PathBuf },
}

#[derive(Debug, Subcommand)]
enum IntegrationCommand {
    /// Make a key; it is printed once and stored only as a hash.
    Create {
        name: String,
        /// pagerduty or generic (documentation only: a key works on both endpoints).
        #[arg(long, default_value = "pagerduty")]
        kind: String,
        /// A label every alert of this integration carries, as name=value (repeatable).
        #[arg(long = "label", value_parser = parse_label)]
        labels: Vec<(String, String)>,
        /// Use this key instead of a new random one: keep the routing key your tools already
        /// send to PagerDuty, so moving them is only a change of URL.
        #[arg(long, value_parser = parse_key)]
        key: Option<String>,
    },
    /// List integrations (never their keys).
    List,
    /// Revoke an integration's key.
    Revoke { name: String },
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("label {s:?} is not name=value"))?;
    hinomi_core::validate_label_name(name).map_err(|e| e.to_string())?;
    Ok((name.to_owned(), value.to_owned()))
}

fn parse_key(s: &str) -> Result<String, String> {
    if !(16..=256).contains(&s.len()) {
        return Err(format!(
            "a key must be 16 to 256 characters, not {}",
            s.len()
        ));
    }
    if !s.chars().all(|c| c.is_ascii_graphic()) {
        return Err("a key may hold only printable ASCII characters without spaces".into());
    }
    Ok(s.to_owned())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hinomi: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hinomi: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut overrides = FlagOverrides {
        database_url: cli.flags.database_url.clone(),
        data_dir: cli.flags.data_dir.clone(),
        ..FlagOverrides::default()
    };
    if let Command::Serve(args) = &cli.command {
        overrides.listen = args.listen.clone();
        overrides.alertmanager_config = args
            .alertmanager_config
            .as_ref()
            .map(|p| p.display().to_string());
        overrides.external_url = args.external_url.clone();
    }
    let settings = Settings::load(cli.config.as_ref(), std::env::vars(), &overrides)?;
    match cli.command {
        Command::Serve(_) => serve::run(settings).await,
        Command::Demo { listen } => demo::run(listen).await,
        Command::Migrate => {
            let store = open_store(&settings).await?;
            store.close().await;
            println!("migrations applied");
            Ok(())
        }
        Command::Config(ConfigCommand::Default) => {
            print!("{}", settings::DEFAULT_TOML);
            Ok(())
        }
        Command::Config(ConfigCommand::Show) => {
            println!("{settings:#?}");
            Ok(())
        }
        Command::Config(ConfigCommand::Check { path }) => {
            let source = hinomi_web::ConfigSource::new(Some(path));
            let config = source.load()?;
            println!(
                "ok: {} receivers, {} routes, {} inhibition rules",
                config.receivers.len(),
                config.route.walk().count(),
                config.inhibit_rules.len()
            );
            for note in &config.unsupported {
                println!("note: {note}");
            }
            Ok(())
        }
        Command::Integration(cmd) => integration(&settings, cmd).await,
        Command::User(cmd) => {
            let store = open_store(&settings).await?;
            let result = access_cli::user(&store, cmd).await;
            store.close().await;
            result
        }
        Command::Audit(args) => {
            let store = open_store(&settings).await?;
            let result = access_cli::audit(&store, args).await;
            store.close().await;
            result
        }
        Command::Team(cmd) => {
            let store = open_store(&settings).await?;
            let result = team_cli::team(&store, cmd).await;
            store.close().await;
            result
        }
        Command::Schedule(cmd) => {
            let store = open_store(&settings).await?;
            let result = schedule_cli::schedule(&store, cmd).await;
            store.close().await;
            result
        }
        Command::Holiday(cmd) => {
            let store = open_store(&settings).await?;
            let result = holiday_cli::holiday(&store, cmd).await;
            store.close().await;
            result
        }
        Command::Incident(cmd) => {
            let policy = settings.incidents.build()?;
            let store = open_store(&settings).await?;
            let zone = settings.status_page.page().zone();
            let result =
                incident_cli::incident(&store, &policy, &settings.external_url, &zone, cmd).await;
            store.close().await;
            result
        }
        Command::Token(cmd) => {
            let store = open_store(&settings).await?;
            let result = access_cli::token(&store, cmd).await;
            store.close().await;
            result
        }
        Command::Pages(args) => {
            let store = open_store(&settings).await?;
            let result = paging_cli::pages(&store, args).await;
            store.close().await;
            result
        }
        Command::Ack(args) => page_answer(&settings, args, PageCommand::Acknowledge).await,
        Command::Resolve(args) => page_answer(&settings, args, PageCommand::Resolve).await,
        Command::Heartbeat(cmd) => {
            let store = open_store(&settings).await?;
            let result = paging_cli::heartbeat(&store, &settings.external_url, cmd).await;
            store.close().await;
            result
        }
        Command::Deliveries {
            attempts: Some(id), ..
        } => {
            let store = open_store(&settings).await?;
            println!(
                "{:>7}  {:<24} {:>8}  {:>6}  error / answer",
                "attempt", "at", "ms", "status"
            );
            for (n, a) in store.deliveries(id).await?.into_iter().enumerate() {
                println!(
                    "{:>7}  {:<24} {:>8}  {:>6}  {}",
                    n + 1,
                    hinomi_core::time::format_millis(a.at),
                    a.duration_ms,
                    a.status_code.map(|c| c.to_string()).unwrap_or_default(),
                    a.error.or(a.answer).unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Deliveries { limit, .. } => {
            let store = open_store(&settings).await?;
            println!(
                "{:>8}  {:<10} {:>8}  {:<24} {:<18} {:<20} last error",
                "id", "state", "attempts", "created", "kind", "receiver"
            );
            for row in store.outbox(limit).await? {
                println!(
                    "{:>8}  {:<10} {:>8}  {:<24} {:<18} {:<20} {}",
                    row.id,
                    row.state,
                    row.attempts,
                    hinomi_core::time::format_millis(row.created_at),
                    row.kind,
                    row.receiver,
                    row.last_error.unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Changes { limit } => {
            let store = open_store(&settings).await?;
            for c in store.changes(limit).await? {
                println!(
                    "{}  {:<16} {:<24} {}",
                    hinomi_core::time::format_millis(c.at),
                    c.integration,
                    c.source,
                    c.summary
                );
            }
            Ok(())
        }
    }
}

/// `hinomi ack` and `hinomi resolve`.
async fn page_answer(
    settings: &Settings,
    args: paging_cli::AnswerArgs,
    cmd: PageCommand,
) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let result = paging_cli::answer(&store, &settings.external_url, args, cmd).await;
    store.close().await;
    result
}

/// Opens (and migrates) the database the settings name.
async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = settings.database_url()?;
    let options = StoreOptions {
        url: url.clone(),
        sqlite_sync: settings.sqlite.synchronous.parse()?,
        max_connections: settings.database.max_connections,
    };
    Store::open(&options)
        .await
        .with_context(|| format!("cannot open database {}", settings::redact_url(&url)))
}

async fn integration(settings: &Settings, cmd: IntegrationCommand) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let now = hinomi_engine::SystemClock.now_ms();
    match cmd {
        IntegrationCommand::Create {
            name,
            kind,
            labels,
            key,
        } => {
            anyhow::ensure!(
                kind == "pagerduty" || kind == "generic",
                "--kind must be pagerduty or generic, not {kind:?}"
            );
            anyhow::ensure!(!name.trim().is_empty(), "the integration name is empty");
            let chosen = key.is_some();
            let kind_for_audit = kind.clone();
            let key = key.unwrap_or_else(hinomi_web::keys::generate);
            let mut set = LabelSet::new();
            for (k, v) in labels {
                set.insert(k, v);
            }
            store
                .create_integration(
                    &IntegrationRecord {
                        id: uuid_like(&key),
                        name: name.clone(),
                        kind,
                        key_hash: hinomi_web::keys::hash(&key),
                        labels: set,
                        created_at: now,
                        revoked_at: None,
                    },
                    &access_cli::cli_audit(
                        now,
                        "integration.created",
                        &name,
                        serde_json::json!({ "kind": kind_for_audit }),
                    ),
                )
                .await
                .with_context(|| {
                    format!("cannot create integration {name:?} (is the name taken?)")
                })?;
            if chosen {
                eprintln!("integration {name:?} created with the key given");
            } else {
                println!("{key}");
                eprintln!("integration {name:?} created; the key above is shown only now");
            }
        }
        IntegrationCommand::List => {
            for i in store.integrations().await? {
                let state = if i.revoked_at.is_some() {
                    "revoked"
                } else {
                    "live"
                };
                println!("{:<24} {:<10} {:<8} {}", i.name, i.kind, state, i.labels);
            }
        }
        IntegrationCommand::Revoke { name } => {
            anyhow::ensure!(
                store
                    .revoke_integration(
                        &name,
                        now,
                        &access_cli::cli_audit(
                            now,
                            "integration.revoked",
                            &name,
                            serde_json::json!({})
                        ),
                    )
                    .await?,
                "no live integration named {name:?}"
            );
            println!("integration {name:?} revoked");
        }
    }
    store.close().await;
    Ok(())
}

/// A stable id for an integration, derived from its key's hash (not the key).
fn uuid_like(key: &str) -> String {
    hinomi_web::keys::hash(key)[..16].to_owned()
}
