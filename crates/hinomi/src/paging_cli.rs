//! `hinomi pages`, `hinomi ack` and `hinomi resolve`: pages from the command line, straight
//! against the database. An acknowledgement here stops escalation and cancels the messages
//! not yet sent exactly as one from the console does; it is recorded as made through the
//! command line, by the user named with `--as` or else by the operator's login name.
//! `hinomi heartbeat create|list`: heartbeat monitors, audited with actor kind `cli`.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use hinomi_core::escalation::PageStatus;
use hinomi_engine::escalate::{self, Firer};
use hinomi_engine::{Clock as _, EngineError, PageActor, PageCommand};
use hinomi_store::Store;

#[derive(Debug, Args)]
pub struct PagesArgs {
    /// Only pages in this state: triggered, acknowledged or resolved.
    #[arg(long)]
    state: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: i64,
}

#[derive(Debug, Args)]
pub struct AnswerArgs {
    /// The page's id (as `hinomi pages` lists it).
    page: String,
    /// The user who answers (a username); by default the operator's login name.
    #[arg(long = "as")]
    user: Option<String>,
}

pub async fn pages(store: &Store, args: PagesArgs) -> anyhow::Result<()> {
    let state = match args.state.as_deref() {
        None => None,
        Some(s) => Some(PageStatus::parse(s).with_context(|| {
            format!("--state {s:?}: choose triggered, acknowledged or resolved")
        })?),
    };
    anyhow::ensure!(
        (1..=1000).contains(&args.limit),
        "--limit must be between 1 and 1000"
    );
    println!("{:<36}  {:<12} {:<24} title", "id", "state", "opened");
    for p in store.pages(state, args.limit).await? {
        println!(
            "{:<36}  {:<12} {:<24} {}",
            p.id,
            p.status.as_str(),
            hinomi_core::time::format_millis(p.created_at),
            p.title
        );
    }
    Ok(())
}

/// Acknowledges or resolves a page as the named user (or the operator).
pub async fn answer(
    store: &Store,
    external_url: &str,
    args: AnswerArgs,
    cmd: PageCommand,
) -> anyhow::Result<()> {
    let actor = match &args.user {
        Some(name) => {
            let Some(u) = store.user_by_username(name).await? else {
                bail!("--as {name:?}: no such user");
            };
            PageActor {
                user_id: Some(u.id),
                name: u.username,
                how: "cli".into(),
            }
        }
        None => PageActor {
            user_id: None,
            name: std::env::var("USER").unwrap_or_else(|_| "cli".into()),
            how: "cli".into(),
        },
    };
    let firer = Firer::offline(store.clone(), external_url);
    let now = hinomi_engine::SystemClock.now_ms();
    let mut leased = Vec::new();
    let page = match escalate::command(&firer, &args.page, &cmd, &actor, now, &mut leased).await {
        Ok(page) => page,
        Err(EngineError::NotFound(what)) => bail!("{what} not found"),
        Err(EngineError::PageResolved(why)) => bail!("{why}"),
        Err(e) => return Err(e.into()),
    };
    println!("page {} is {}", page.id, page.status.as_str());
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum HeartbeatCommand {
    /// Create a monitor; the URL its job calls is printed once.
    Create {
        /// 1 to 64 letters, digits, '.', '_' or '-' (the alert's `heartbeat` label).
        name: String,
        /// How often a beat is expected (`24h`).
        #[arg(long)]
        period: String,
        /// How late a beat may be before the alert opens (`1h`).
        #[arg(long, default_value = "0s")]
        grace: String,
        /// A label the alert carries, as name=value (repeatable).
        #[arg(long = "label", value_parser = crate::parse_label)]
        labels: Vec<(String, String)>,
    },
    /// List monitors and the state of their beat.
    List,
}

pub async fn heartbeat(
    store: &Store,
    external_url: &str,
    cmd: HeartbeatCommand,
) -> anyhow::Result<()> {
    match cmd {
        HeartbeatCommand::Create {
            name,
            period,
            grace,
            labels,
        } => {
            let period_ms = hinomi_core::parse_duration(&period)
                .with_context(|| format!("--period {period:?}"))?;
            let grace_ms = hinomi_core::parse_duration(&grace)
                .with_context(|| format!("--grace {grace:?}"))?;
            let now = hinomi_engine::SystemClock.now_ms();
            let (record, token) = hinomi_engine::heartbeat::new_monitor(
                name.trim(),
                period_ms,
                grace_ms,
                labels.into_iter().collect(),
                now,
            )
            .with_context(|| format!("heartbeat {name:?}"))?;
            let audit = crate::access_cli::cli_audit(
                now,
                "heartbeat.created",
                &record.id,
                serde_json::json!({ "name": record.name, "period_ms": period_ms, "grace_ms": grace_ms }),
            );
            anyhow::ensure!(
                store.create_heartbeat(&record, &audit).await?,
                "a heartbeat named {name:?} exists already"
            );
            println!("{}/heartbeat/{token}", external_url.trim_end_matches('/'));
            eprintln!("heartbeat {name:?} created; its URL above is shown only now");
        }
        HeartbeatCommand::List => {
            for h in store.heartbeats().await? {
                println!(
                    "{:<32} {:<8} every {} (+{})",
                    h.name,
                    h.state(),
                    hinomi_core::format_duration(h.period_ms),
                    hinomi_core::format_duration(h.grace_ms)
                );
            }
        }
    }
    Ok(())
}
