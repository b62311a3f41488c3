//! `hinomi team ...` and `hinomi audit`: manage teams and read the audit log straight from
//! the database, for the operator at the server's console. Every change is audited with
//! actor kind `cli`.

use anyhow::{Context, bail};
use clap::Subcommand;
use hinomi_core::TeamRole;
use hinomi_engine::Clock as _;
use hinomi_store::{AuditEntry, AuditQuery, Store, TeamRecord};

/// An audit entry for a change made on the command line: the actor is the operating
/// system user running the command, when it is known.
pub fn cli_audit(now: i64, action: &str, target: &str, detail: serde_json::Value) -> AuditEntry {
    let who = std::env::var("USER").unwrap_or_else(|_| "cli".to_owned());
    AuditEntry {
        id: 0,
        at: now,
        actor_kind: "cli".to_owned(),
        actor_id: who.clone(),
        actor_name: who,
        action: action.to_owned(),
        target: target.to_owned(),
        detail: detail.to_string(),
        source: "cli".to_owned(),
    }
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create a team.
    Create {
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List teams.
    List,
    /// List a team's members and their team roles.
    Members { team: String },
    /// Add a user to a team, or change their team role.
    Add {
        team: String,
        user: String,
        /// viewer or responder: a team responder may manage the team's silences.
        #[arg(long, default_value = "responder")]
        role: String,
    },
    /// Take a user out of a team.
    Remove { team: String, user: String },
    /// Delete a team; its silences and integrations then belong to no team.
    Delete { team: String },
}

pub async fn team(store: &Store, cmd: TeamCommand) -> anyhow::Result<()> {
    let now = hinomi_engine::SystemClock.now_ms();
    match cmd {
        TeamCommand::Create { name, description } => {
            let name = name.trim().to_owned();
            anyhow::ensure!(!name.is_empty(), "the team name is empty");
            let record = TeamRecord {
                id: uuid::Uuid::new_v4().to_string(),
                name: name.clone(),
                description: description.clone(),
                created_at: now,
            };
            let audit = cli_audit(
                now,
                "team.created",
                &record.id,
                serde_json::json!({ "name": name, "description": description }),
            );
            anyhow::ensure!(
                store.create_team(&record, &audit).await?,
                "a team named {name:?} exists already"
            );
            println!("team {name:?} created");
        }
        TeamCommand::List => {
            for t in store.teams().await? {
                println!("{:<24} {}", t.name, t.description);
            }
        }
        TeamCommand::Members { team } => {
            let t = find_team(store, &team).await?;
            for m in store.team_members(&t.id).await? {
                println!("{:<24} {}", m.username, m.role);
            }
        }
        TeamCommand::Add { team, user, role } => {
            let role = TeamRole::parse(&role).context("--role")?;
            let t = find_team(store, &team).await?;
            let Some(u) = store.user_by_username(&user).await? else {
                bail!("no user named {user:?}");
            };
            let audit = cli_audit(
                now,
                "team.member_set",
                &t.id,
                serde_json::json!({ "user": u.username, "role": role.as_str() }),
            );
            store
                .set_team_member(&t.id, &u.id, role, now, &audit)
                .await?;
            println!("{user:?} is a {role} in team {:?}", t.name);
        }
        TeamCommand::Remove { team, user } => {
            let t = find_team(store, &team).await?;
            let Some(u) = store.user_by_username(&user).await? else {
                bail!("no user named {user:?}");
            };
            let audit = cli_audit(
                now,
                "team.member_removed",
                &t.id,
                serde_json::json!({ "user": u.username }),
            );
            anyhow::ensure!(
                store.remove_team_member(&t.id, &u.id, &audit).await?,
                "{user:?} is not in team {:?}",
                t.name
            );
            println!("{user:?} removed from team {:?}", t.name);
        }
        TeamCommand::Delete { team } => {
            let t = find_team(store, &team).await?;
            let audit = cli_audit(
                now,
                "team.deleted",
                &t.id,
                serde_json::json!({ "name": t.name }),
            );
            anyhow::ensure!(
                store.delete_team(&t.id, &audit).await?,
                "no team named {team:?}"
            );
            println!("team {:?} deleted", t.name);
        }
    }
    Ok(())
}

async fn find_team(store: &Store, team: &str) -> anyhow::Result<TeamRecord> {
    store
        .team(team)
        .await?
        .with_context(|| format!("no team named {team:?}"))
}

/// What `hinomi audit` shows.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Entries by this actor (name or id).
    #[arg(long)]
    actor: Option<String>,
    /// Entries whose action starts with this (`user.` for every user change).
    #[arg(long)]
    action: Option<String>,
    /// Entries about this target (an id or name).
    #[arg(long)]
    target: Option<String>,
    /// Entries at or after this time: RFC 3339, or a duration back from now (`24h`).
    #[arg(long)]
    since: Option<String>,
    /// Entries before this time: RFC 3339, or a duration back from now.
    #[arg(long)]
    until: Option<String>,
    /// At most this many entries, newest first.
    #[arg(long, default_value_t = 100)]
    limit: i64,
    /// One JSON object per line (the same shape as the API's export).
    #[arg(long)]
    json: bool,
}

pub async fn audit(store: &Store, args: AuditArgs) -> anyhow::Result<()> {
    let now = hinomi_engine::SystemClock.now_ms();
    anyhow::ensure!(args.limit > 0, "--limit must be positive");
    let query = AuditQuery {
        actor: args.actor,
        action_prefix: args.action,
        target: args.target,
        since: args
            .since
            .map(|s| parse_instant(&s, now).context("--since"))
            .transpose()?,
        until: args
            .until
            .map(|s| parse_instant(&s, now).context("--until"))
            .transpose()?,
        before_id: None,
        limit: args.limit,
    };
    for e in store.audit(&query).await? {
        if args.json {
            println!("{}", audit_json(&e));
        } else {
            println!(
                "{:>6}  {}  {:<6} {:<20} {:<24} {:<36} {}",
                e.id,
                hinomi_core::time::format_millis(e.at),
                e.actor_kind,
                e.actor_name,
                e.action,
                e.target,
                e.source
            );
        }
    }
    Ok(())
}

/// An audit entry as one JSON object; `detail` is embedded as JSON, not as a string.
fn audit_json(e: &AuditEntry) -> serde_json::Value {
    let detail: serde_json::Value =
        serde_json::from_str(&e.detail).unwrap_or_else(|_| e.detail.clone().into());
    serde_json::json!({
        "id": e.id,
        "at": hinomi_core::time::format_millis(e.at),
        "actor": { "kind": e.actor_kind, "id": e.actor_id, "name": e.actor_name },
        "action": e.action,
        "target": e.target,
        "detail": detail,
        "source": e.source,
    })
}

/// An RFC 3339 time, or a duration counted back from `now`.
fn parse_instant(text: &str, now: i64) -> anyhow::Result<i64> {
    if let Ok(back) = hinomi_core::duration::parse_duration(text) {
        return Ok(now - back);
    }
    hinomi_core::time::parse(text)
        .map_err(|e| anyhow::anyhow!("{text:?} is neither a time (RFC 3339) nor a duration: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_times_or_durations_back() {
        let now = 1_767_225_600_000;
        assert_eq!(parse_instant("1h", now).unwrap(), now - 3_600_000);
        assert_eq!(
            parse_instant("2026-01-01T00:00:00Z", 0).unwrap(),
            1_767_225_600_000
        );
        assert!(parse_instant("yesterday", now).is_err());
    }
}
