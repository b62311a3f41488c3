//! Access from the command line: `hinomi user ...` and `hinomi token ...`, which open the
//! database directly (for the first owner, scripts, and recovery when nobody can sign in),
//! and the first-start bootstrap of an owner. Every change is audited with actor kind `cli`.

use std::io::Read as _;

use anyhow::Context;
use clap::Subcommand;
use hinomi_core::Role;
use hinomi_engine::Clock as _;
use hinomi_store::{AuditEntry, Store, TokenRecord, UserRecord};
use hinomi_web::auth;
use serde_json::json;

use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. Without --password-stdin a one-time password is printed, to be
    /// changed at first sign-in.
    Create {
        username: String,
        /// owner, admin, responder or viewer.
        #[arg(long, default_value = "responder", value_parser = parse_role)]
        role: Role,
        /// Shorthand for --role owner.
        #[arg(long, conflicts_with = "role")]
        admin: bool,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Change a user's role. The last enabled owner cannot be demoted.
    SetRole {
        username: String,
        /// owner, admin, responder or viewer.
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Disable a user: their sessions end and their tokens stop working. The last enabled
    /// owner cannot be disabled.
    Disable { username: String },
    /// Delete a user with their sessions and tokens. Refused for the last enabled owner and
    /// for anyone a schedule, an override or swap not yet ended, an escalation policy or
    /// another person's backup setting still names (the message names each).
    Delete { username: String },
    /// Give a user a one-time password (printed once), to be changed at the next sign-in;
    /// their sessions end.
    ResetPassword { username: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a personal API token for a user; it is printed once.
    Create {
        username: String,
        /// A name to recognise the token by.
        #[arg(long)]
        name: String,
        /// The token acts with at most this role (never above its user's).
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        /// Lifetime, as a Prometheus duration (30d, 12h); none means until revoked.
        #[arg(long, value_parser = parse_lifetime)]
        expires: Option<i64>,
    },
    /// List tokens (never their secrets), newest first.
    List {
        /// Only this user's tokens.
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a token by id (as `token list` shows it).
    Revoke { id: String },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).map_err(|e| e.to_string())
}

fn parse_lifetime(s: &str) -> Result<i64, String> {
    let ms = hinomi_core::parse_duration(s).map_err(|e| e.to_string())?;
    if ms <= 0 {
        return Err("the lifetime must be positive".into());
    }
    Ok(ms)
}

/// An audit entry for a change made from the command line by the operating-system user.
pub fn cli_audit(now: i64, action: &str, target: &str, detail: serde_json::Value) -> AuditEntry {
    let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    AuditEntry {
        id: 0,
        at: now,
        actor_kind: "cli".into(),
        actor_id: who.clone(),
        actor_name: who,
        action: action.into(),
        target: target.into(),
        detail: detail.to_string(),
        source: "cli".into(),
    }
}

/// Validates a username: what people type to sign in and what the audit log shows.
fn check_username(name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        auth::username_ok(name),
        "username {name:?}: use 1 to 64 letters, digits, '.', '_', '-' or '@'"
    );
    Ok(())
}

/// A new user record with a fresh id.
pub fn new_user(
    username: &str,
    role: Role,
    password_hash: Option<String>,
    must_change_password: bool,
    now: i64,
) -> UserRecord {
    UserRecord {
        id: auth::random_hex(16),
        username: username.to_owned(),
        display_name: username.to_owned(),
        email: None,
        password_hash,
        role,
        locale: None,
        time_zone: None,
        oidc_subject: None,
        must_change_password,
        created_at: now,
        disabled_at: None,
    }
}

pub async fn user(store: &Store, cmd: UserCommand) -> anyhow::Result<()> {
    let now = hinomi_engine::SystemClock.now_ms();
    match cmd {
        UserCommand::Create {
            username,
            role,
            admin,
            display_name,
            email,
            password_stdin,
        } => {
            check_username(&username)?;
            let role = if admin { Role::Owner } else { role };
            let (password, generated) = if password_stdin {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("cannot read the password from standard input")?;
                let text = text.trim_end_matches(['\r', '\n']).to_owned();
                auth::check_new_password(&text)?;
                (text, false)
            } else {
                (auth::one_time_password(), true)
            };
            let mut user = new_user(
                &username,
                role,
                Some(auth::hash_password(&password)),
                generated,
                now,
            );
            if let Some(d) = display_name {
                user.display_name = d;
            }
            user.email = email;
            let audit = cli_audit(
                now,
                "user.created",
                &username,
                json!({ "role": role.as_str() }),
            );
            anyhow::ensure!(
                store.create_user(&user, &audit).await?,
                "a user named {username:?} already exists"
            );
            if generated {
                println!("{password}");
                eprintln!(
                    "user {username:?} ({role}) created; the one-time password above is shown \
                     only now and must be changed at first sign-in"
                );
            } else {
                eprintln!("user {username:?} ({role}) created");
            }
        }
        UserCommand::SetRole { username, role } => {
            let mut user = existing_user(store, &username).await?;
            let before = user.role;
            user.role = role;
            let audit = cli_audit(
                now,
                "user.updated",
                &username,
                json!({ "role": role.as_str(), "previous_role": before.as_str() }),
            );
            // The store refuses to demote the last enabled owner, for the API alike.
            store.update_user(&user, &audit).await?;
            eprintln!("user {username:?} is now {role} (was {before})");
        }
        UserCommand::Disable { username } => {
            let mut user = existing_user(store, &username).await?;
            if user.disabled_at.is_some() {
                eprintln!("user {username:?} was already disabled");
                return Ok(());
            }
            user.disabled_at = Some(now);
            let audit = cli_audit(now, "user.updated", &username, json!({ "disabled": true }));
            store.update_user(&user, &audit).await?;
            eprintln!("user {username:?} disabled");
        }
        UserCommand::Delete { username } => {
            let user = existing_user(store, &username).await?;
            let audit = cli_audit(
                now,
                "user.deleted",
                &username,
                json!({ "role": user.role.as_str() }),
            );
            anyhow::ensure!(
                store.delete_user(&user.id, &audit).await?,
                "no user named {username:?}"
            );
            eprintln!("user {username:?} deleted");
        }
        UserCommand::ResetPassword { username } => {
            let mut user = existing_user(store, &username).await?;
            let password = auth::one_time_password();
            user.password_hash = Some(auth::hash_password(&password));
            user.must_change_password = true;
            let audit = cli_audit(now, "user.password_reset", &username, json!({}));
            store.update_user(&user, &audit).await?;
            println!("{password}");
            eprintln!(
                "the one-time password of {username:?} is above, shown only now; it must be \
                 changed at the next sign-in"
            );
        }
        UserCommand::List => {
            for u in store.users().await? {
                let state = if u.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                println!(
                    "{:<24} {:<10} {:<9} {}",
                    u.username,
                    u.role.as_str(),
                    state,
                    u.display_name
                );
            }
        }
    }
    Ok(())
}

async fn existing_user(store: &Store, username: &str) -> anyhow::Result<UserRecord> {
    store
        .user_by_username(username)
        .await?
        .with_context(|| format!("no user named {username:?}"))
}

/// `hinomi audit`: the newest audit entries, as a table or as JSON lines.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Entries by this actor (name or id).
    #[arg(long)]
    actor: Option<String>,
    /// Entries whose action starts with this, e.g. `user.` or `silence.created`.
    #[arg(long)]
    action: Option<String>,
    /// Entries at or after this instant (RFC 3339).
    #[arg(long, value_parser = parse_instant)]
    since: Option<i64>,
    #[arg(long, default_value_t = 100)]
    limit: i64,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

fn parse_instant(s: &str) -> Result<i64, String> {
    hinomi_core::time::parse(s).map_err(|e| e.to_string())
}

pub async fn audit(store: &Store, args: AuditArgs) -> anyhow::Result<()> {
    let entries = store
        .audit(&hinomi_store::AuditQuery {
            actor: args.actor,
            action_prefix: args.action,
            since: args.since,
            limit: args.limit.clamp(1, 100_000),
            ..Default::default()
        })
        .await?;
    for e in entries {
        let at = hinomi_core::time::format_millis(e.at);
        if args.json {
            let detail: serde_json::Value =
                serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null);
            println!(
                "{}",
                json!({
                    "id": e.id, "at": at, "actor_kind": e.actor_kind, "actor_id": e.actor_id,
                    "actor": e.actor_name, "action": e.action, "target": e.target,
                    "detail": detail, "source": e.source,
                })
            );
        } else {
            println!(
                "{at}  {:<11} {:<20} {:<22} {:<24} {}",
                e.actor_kind, e.actor_name, e.action, e.target, e.source
            );
        }
    }
    Ok(())
}

pub async fn token(store: &Store, cmd: TokenCommand) -> anyhow::Result<()> {
    let now = hinomi_engine::SystemClock.now_ms();
    match cmd {
        TokenCommand::Create {
            username,
            name,
            role,
            expires,
        } => {
            anyhow::ensure!(!name.trim().is_empty(), "--name is empty");
            let user = store
                .user_by_username(&username)
                .await?
                .with_context(|| format!("no user named {username:?}"))?;
            let role = role.unwrap_or(user.role);
            anyhow::ensure!(
                role <= user.role,
                "a token cannot have a role ({role}) above its user's ({})",
                user.role
            );
            let (token, hash) = auth::new_token();
            let record = TokenRecord {
                id: auth::random_hex(16),
                user_id: user.id.clone(),
                name: name.clone(),
                token_hash: hash,
                role,
                created_at: now,
                expires_at: expires.map(|ms| now + ms),
                revoked_at: None,
            };
            let audit = cli_audit(
                now,
                "token.created",
                &record.id,
                json!({ "user": username, "name": name, "role": role.as_str() }),
            );
            store.create_token(&record, &audit).await?;
            println!("{token}");
            eprintln!("token {name:?} for {username:?} ({role}) created; it is shown only now");
        }
        TokenCommand::List { user } => {
            let users = store.users().await?;
            let user_id = match &user {
                Some(name) => Some(
                    users
                        .iter()
                        .find(|u| &u.username == name)
                        .with_context(|| format!("no user named {name:?}"))?
                        .id
                        .clone(),
                ),
                None => None,
            };
            for t in store.tokens(user_id.as_deref()).await? {
                let username = users
                    .iter()
                    .find(|u| u.id == t.user_id)
                    .map_or("?", |u| u.username.as_str());
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.live(now) {
                    "live"
                } else {
                    "expired"
                };
                println!(
                    "{:<36} {:<24} {:<10} {:<8} {}",
                    t.id,
                    username,
                    t.role.as_str(),
                    state,
                    t.name
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let token = store
                .token_by_id(&id)
                .await?
                .with_context(|| format!("no token with id {id:?}"))?;
            let user = store.user_by_id(&token.user_id).await?;
            let detail = token.revocation_detail(user.as_ref().map(|u| u.username.as_str()));
            let audit = cli_audit(now, "token.revoked", &id, detail);
            anyhow::ensure!(
                store.revoke_token(&id, now, &audit).await?,
                "no live token with id {id:?}"
            );
            eprintln!("token {id} revoked (a running hinomi may accept it for 5 more seconds)");
        }
    }
    Ok(())
}

/// On a database with no users, creates the owner `admin` with a one-time password and
/// prints how to sign in, once, on the terminal (not the log). Several instances starting
/// together create it once: the username is unique.
pub async fn bootstrap_owner(store: &Store, settings: &Settings) -> anyhow::Result<()> {
    if store.count_users().await? > 0 {
        return Ok(());
    }
    let now = hinomi_engine::SystemClock.now_ms();
    let password = auth::one_time_password();
    let user = new_user(
        "admin",
        Role::Owner,
        Some(auth::hash_password(&password)),
        true,
        now,
    );
    let mut audit = cli_audit(
        now,
        "user.created",
        "admin",
        json!({ "role": "owner", "bootstrap": true }),
    );
    audit.actor_kind = "system".into();
    audit.actor_name = "first start".into();
    audit.source = "bootstrap".into();
    if store.create_user(&user, &audit).await? {
        eprintln!(
            "\nhinomi: first start. Sign in at {} as \"admin\" with the one-time password\n\n    \
             {password}\n\nYou will be asked to choose a new password. (This is shown once; \
             `hinomi user create --admin NAME` makes another owner.)\n",
            settings.external_url
        );
    }
    Ok(())
}
