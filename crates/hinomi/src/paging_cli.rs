//! `hinomi pages`, `hinomi ack` and `hinomi resolve`: pages from the command line, straight
//! against the database. An acknowledgement here stops escalation and cancels the messages
//! not yet sent exactly as one from the console does; it is recorded as made through the
//! command line, by the user named with `--as` or else by the operator's login name.

use anyhow::{Context, bail};
use clap::Args;
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
