//! `hinomi team ...`: manage teams straight from the database, for the operator at the
//! server's console. Every change is audited with actor kind `cli`.

use anyhow::{Context, bail};
use clap::Subcommand;
use hinomi_core::TeamRole;
use hinomi_engine::Clock as _;
use hinomi_store::{Store, TeamRecord};

use crate::access_cli::cli_audit;

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
