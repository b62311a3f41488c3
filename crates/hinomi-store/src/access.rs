//! Users, sessions, API tokens and the audit log. Every change a person or token makes is
//! written together with its audit entry, in one transaction: a change without its entry
//! cannot commit.

use hinomi_core::Role;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{IntegrationRecord, Result, Store, StoreError, codec};

/// A person who can sign in (or be paged, later).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// argon2 PHC string; `None` for users who sign in only through OpenID Connect.
    pub password_hash: Option<String>,
    pub role: Role,
    /// `ja` or `en`; `None` follows the browser's Accept-Language.
    pub locale: Option<String>,
    /// IANA zone; `None` shows times in the browser's zone.
    pub time_zone: Option<String>,
    pub oidc_subject: Option<String>,
    pub must_change_password: bool,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

pub(crate) const USER_COLUMNS: &str = "id, username, display_name, email, password_hash, role, locale, \
     time_zone, oidc_subject, must_change_password, created_at, disabled_at";

impl UserRecord {
    pub(crate) fn from_row(row: &AnyRow) -> Result<UserRecord> {
        Ok(UserRecord {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            email: row.try_get("email")?,
            password_hash: row.try_get("password_hash")?,
            role: role_from_db(&row.try_get::<String, _>("role")?)?,
            locale: row.try_get("locale")?,
            time_zone: row.try_get("time_zone")?,
            oidc_subject: row.try_get("oidc_subject")?,
            must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
            created_at: row.try_get("created_at")?,
            disabled_at: row.try_get("disabled_at")?,
        })
    }
}

/// A signed-in browser. The cookie holds the id; the database only its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub user_id: String,
    /// Sent back with every form and unsafe API call made with the cookie.
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// Where the sign-in came from (client address).
    pub source: String,
}

/// A personal API token. It acts as its user, with at most `role`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub token_hash: String,
    pub role: Role,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const TOKEN_COLUMNS: &str =
    "id, user_id, name, token_hash, role, created_at, expires_at, revoked_at";

impl TokenRecord {
    /// What the audit log records of this token's revocation, whoever revokes it: its name
    /// and its user (`None` if the user is gone).
    pub fn revocation_detail(&self, username: Option<&str>) -> serde_json::Value {
        serde_json::json!({ "name": self.name, "user": username })
    }

    fn from_row(row: &AnyRow) -> Result<TokenRecord> {
        Ok(TokenRecord {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            name: row.try_get("name")?,
            token_hash: row.try_get("token_hash")?,
            role: role_from_db(&row.try_get::<String, _>("role")?)?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            revoked_at: row.try_get("revoked_at")?,
        })
    }

    /// Whether the token may be used at `now`.
    pub fn live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// One entry of the audit log: who did what to what, when and from where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Assigned by the database; ignored when appending.
    pub id: i64,
    pub at: i64,
    /// `user`, `token`, `integration`, `cli` or `system`.
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_name: String,
    /// What was done, as `noun.verb`: `user.created`, `silence.expired`, ...
    pub action: String,
    /// What it was done to (an id or name).
    pub target: String,
    /// A JSON object with the particulars; never a secret.
    pub detail: String,
    /// Client address, or `cli`.
    pub source: String,
}

const AUDIT_COLUMNS: &str =
    "id, at, actor_kind, actor_id, actor_name, action, target, detail, source";

impl AuditEntry {
    fn from_row(row: &AnyRow) -> Result<AuditEntry> {
        Ok(AuditEntry {
            id: row.try_get("id")?,
            at: row.try_get("at")?,
            actor_kind: row.try_get("actor_kind")?,
            actor_id: row.try_get("actor_id")?,
            actor_name: row.try_get("actor_name")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            detail: row.try_get("detail")?,
            source: row.try_get("source")?,
        })
    }
}

/// Which audit entries to list: newest first, all conditions must hold.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Entries by this actor (name or id).
    pub actor: Option<String>,
    /// Entries whose action starts with this (`user.` for every user change).
    pub action_prefix: Option<String>,
    pub target: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Entries older than this id (paging).
    pub before_id: Option<i64>,
    pub limit: i64,
}

fn role_from_db(text: &str) -> Result<Role> {
    Role::parse(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) async fn append_audit<'c, E>(executor: E, e: &AuditEntry) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, action, target, detail, \
         source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(e.at)
    .bind(&e.actor_kind)
    .bind(&e.actor_id)
    .bind(&e.actor_name)
    .bind(&e.action)
    .bind(&e.target)
    .bind(&e.detail)
    .bind(&e.source)
    .execute(executor)
    .await?;
    Ok(())
}

/// The last-owner rule, checked inside the transaction that would break it so two
/// concurrent demotions cannot both pass: `before` (the user's row as it is now, with
/// `username`, `role` and `disabled_at`) may stop being an enabled owner only if another
/// enabled owner remains.
async fn check_not_last_owner(
    tx: &mut crate::durable::Txn,
    before: &AnyRow,
    id: &str,
) -> Result<()> {
    let was_owner = role_from_db(&before.try_get::<String, _>("role")?)? == Role::Owner
        && before.try_get::<Option<i64>, _>("disabled_at")?.is_none();
    if !was_owner {
        return Ok(());
    }
    let others: i64 = sqlx::query(
        "SELECT COUNT(*) FROM users WHERE role = 'owner' AND disabled_at IS NULL AND id <> $1",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    if others == 0 {
        return Err(StoreError::LastOwner(before.try_get("username")?));
    }
    Ok(())
}

/// Where a user is still named, each list by name: schedules whose layers name them or whose
/// overrides or shift swaps not yet ended do, escalation policies whose steps page them,
/// and the people (usernames) whose backup responder they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserUses {
    pub schedules: Vec<String>,
    pub policies: Vec<String>,
    pub backup_of: Vec<String>,
}

impl UserUses {
    /// Whether nothing names the user.
    pub fn is_empty(&self) -> bool {
        self.schedules.is_empty() && self.policies.is_empty() && self.backup_of.is_empty()
    }

    /// Where the user is named, read by `user` at `now` inside the transaction `conn`.
    async fn of(conn: &mut sqlx::AnyConnection, user: &str, now: i64) -> Result<UserUses> {
        Ok(UserUses {
            schedules: crate::schedules::schedules_naming(conn, user, now).await?,
            policies: crate::paging::policies_paging(conn, user).await?,
            backup_of: crate::paging::backup_of(conn, user).await?,
        })
    }
}

impl std::fmt::Display for UserUses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts = [
            ("schedules", &self.schedules),
            ("escalation policies", &self.policies),
            ("the backup responder setting of", &self.backup_of),
        ];
        let said: Vec<String> = parts
            .iter()
            .filter(|(_, names)| !names.is_empty())
            .map(|(what, names)| format!("{what} {names:?}"))
            .collect();
        f.write_str(&said.join(", "))
    }
}

impl Store {
    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&self.read)
            .await?
            .try_get(0)?)
    }

    /// Creates a user; answers false (and writes nothing) when the username is taken.
    pub async fn create_user(&self, u: &UserRecord, audit: &AuditEntry) -> Result<bool> {
        self.change_audited(
            sqlx::query(&format!(
                "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                 $11, $12) ON CONFLICT (username) DO NOTHING"
            ))
            .bind(&u.id)
            .bind(&u.username)
            .bind(&u.display_name)
            .bind(u.email.as_deref())
            .bind(u.password_hash.as_deref())
            .bind(u.role.as_str())
            .bind(u.locale.as_deref())
            .bind(u.time_zone.as_deref())
            .bind(u.oidc_subject.as_deref())
            .bind(i64::from(u.must_change_password))
            .bind(u.created_at)
            .bind(u.disabled_at),
            audit,
        )
        .await
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>> {
        self.user_where("id", id).await
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        self.user_where("username", username).await
    }

    async fn user_where(&self, column: &str, value: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE {column} = $1"
        ))
        .bind(value)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(UserRecord::from_row).transpose()
    }

    /// Every user, by username.
    pub async fn users(&self) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(UserRecord::from_row).collect()
    }

    /// Writes every changeable field of `u` (all but id, username and creation time). A
    /// disabled user or a changed password ends the user's sessions. Refuses
    /// ([`StoreError::LastOwner`]) to demote or disable the last enabled owner.
    pub async fn update_user(&self, u: &UserRecord, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let before = sqlx::query(
            "SELECT username, password_hash, role, disabled_at FROM users WHERE id = $1",
        )
        .bind(&u.id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else {
            return Ok(false);
        };
        let old_hash: Option<String> = before.try_get("password_hash")?;
        let stays_owner = u.role == Role::Owner && u.disabled_at.is_none();
        if !stays_owner {
            check_not_last_owner(&mut tx, &before, &u.id).await?;
        }
        sqlx::query(
            "UPDATE users SET display_name = $2, email = $3, password_hash = $4, role = $5, \
             locale = $6, time_zone = $7, oidc_subject = $8, must_change_password = $9, \
             disabled_at = $10 WHERE id = $1",
        )
        .bind(&u.id)
        .bind(&u.display_name)
        .bind(u.email.as_deref())
        .bind(u.password_hash.as_deref())
        .bind(u.role.as_str())
        .bind(u.locale.as_deref())
        .bind(u.time_zone.as_deref())
        .bind(u.oidc_subject.as_deref())
        .bind(i64::from(u.must_change_password))
        .bind(u.disabled_at)
        .execute(&mut *tx)
        .await?;
        if u.disabled_at.is_some() || old_hash != u.password_hash {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(&u.id)
                .execute(&mut *tx)
                .await?;
        }
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Removes a user with their sessions and tokens; answers whether the user existed.
    /// Refuses ([`StoreError::LastOwner`]) to remove the last enabled owner, and
    /// ([`StoreError::UserInUse`]) to remove someone a schedule, an override or swap not yet
    /// ended, an escalation policy or another person's backup setting still names, as of
    /// the audit entry's time. The user's row is locked first: a schedule saved meanwhile
    /// that names them waits for it (and then finds them gone), or is seen here.
    pub async fn delete_user(&self, id: &str, audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let before = sqlx::query(&format!(
            "SELECT username, role, disabled_at FROM users WHERE id = $1{}",
            self.backend.for_update()
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(before) = before else {
            return Ok(false);
        };
        check_not_last_owner(&mut tx, &before, id).await?;
        let uses = UserUses::of(&mut tx, id, audit.at).await?;
        if !uses.is_empty() {
            return Err(StoreError::UserInUse {
                username: before.try_get("username")?,
                uses,
            });
        }
        // What is the person's own goes with them; overrides that ended stay as history.
        for table in [
            "sessions",
            "api_tokens",
            "team_members",
            "ical_feeds",
            "notification_rules",
            "contact_methods",
            "user_skills",
            "backup_responders",
            "page_actions",
            "shift_notice_prefs",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Opens a session (the sign-in's audit entry commits with it).
    pub async fn create_session(&self, s: &SessionRecord, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, source) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id_hash)
        .bind(&s.user_id)
        .bind(&s.csrf_token)
        .bind(s.created_at)
        .bind(s.expires_at)
        .bind(&s.source)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The unexpired session with this id hash.
    pub async fn session(&self, id_hash: &str, now: i64) -> Result<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT id_hash, user_id, csrf_token, created_at, expires_at, source FROM sessions \
             WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await?;
        row.map(|row| {
            Ok(SessionRecord {
                id_hash: row.try_get("id_hash")?,
                user_id: row.try_get("user_id")?,
                csrf_token: row.try_get("csrf_token")?,
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
                source: row.try_get("source")?,
            })
        })
        .transpose()
    }

    /// Ends a session (sign-out).
    pub async fn delete_session(&self, id_hash: &str, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&mut *tx)
            .await?;
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes sessions that expired before `now`.
    pub async fn gc_sessions(&self, now: i64) -> Result<u64> {
        let done = self
            .write
            .execute(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now))
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn create_token(&self, t: &TokenRecord, audit: &AuditEntry) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&t.id)
        .bind(&t.user_id)
        .bind(&t.name)
        .bind(&t.token_hash)
        .bind(t.role.as_str())
        .bind(t.created_at)
        .bind(t.expires_at)
        .bind(t.revoked_at)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The token with this hash, live or not.
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(TokenRecord::from_row).transpose()
    }

    pub async fn token_by_id(&self, id: &str) -> Result<Option<TokenRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(TokenRecord::from_row).transpose()
    }

    /// Tokens of one user, or of everyone, newest first.
    pub async fn tokens(&self, user_id: Option<&str>) -> Result<Vec<TokenRecord>> {
        let rows = match user_id {
            Some(id) => {
                sqlx::query(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 \
                     ORDER BY created_at DESC, id"
                ))
                .bind(id)
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at DESC, id"
                ))
                .fetch_all(&self.read)
                .await?
            }
        };
        rows.iter().map(TokenRecord::from_row).collect()
    }

    /// Revokes a live token; answers whether it was live.
    pub async fn revoke_token(&self, id: &str, now: i64, audit: &AuditEntry) -> Result<bool> {
        self.change_audited(
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(now),
            audit,
        )
        .await
    }

    /// Registers an integration key (stored as its SHA-256 hash only).
    pub async fn create_integration(
        &self,
        record: &IntegrationRecord,
        audit: &AuditEntry,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO integrations (id, name, kind, key_hash, labels, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL)",
        )
        .bind(&record.id)
        .bind(&record.name)
        .bind(&record.kind)
        .bind(&record.key_hash)
        .bind(codec::labels_to_json(&record.labels))
        .bind(record.created_at)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes the integration called `name`; answers whether one was live.
    pub async fn revoke_integration(
        &self,
        name: &str,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<bool> {
        self.change_audited(
            sqlx::query(
                "UPDATE integrations SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(name),
            audit,
        )
        .await
    }

    /// Runs one statement and, when it changed a row, its audit entry, in one transaction;
    /// answers whether a row changed (nothing is written when none did).
    pub(crate) async fn change_audited<'q>(
        &self,
        statement: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        if statement.execute(&mut *tx).await?.rows_affected() == 0 {
            return Ok(false);
        }
        append_audit(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Appends an entry for a change recorded elsewhere (a silence, a reload).
    pub async fn append_audit(&self, entry: &AuditEntry) -> Result<()> {
        let mut tx = self.write.begin().await?;
        append_audit(&mut *tx, entry).await?;
        tx.commit().await
    }

    /// Audit entries matching `q`, newest first.
    pub async fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE 1 = 1");
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if q.actor.is_some() {
            let (a, b) = (next(), next());
            sql.push_str(&format!(" AND (actor_name = {a} OR actor_id = {b})"));
        }
        if q.action_prefix.is_some() {
            let (len, prefix) = (next(), next());
            sql.push_str(&format!(
                " AND substr(action, 1, CAST({len} AS INTEGER)) = {prefix}"
            ));
        }
        if q.target.is_some() {
            sql.push_str(&format!(" AND target = {}", next()));
        }
        if q.since.is_some() {
            sql.push_str(&format!(" AND at >= {}", next()));
        }
        if q.until.is_some() {
            sql.push_str(&format!(" AND at < {}", next()));
        }
        if q.before_id.is_some() {
            sql.push_str(&format!(" AND id < {}", next()));
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", next()));
        let mut query = sqlx::query(&sql);
        if let Some(actor) = &q.actor {
            query = query.bind(actor.clone()).bind(actor.clone());
        }
        if let Some(prefix) = &q.action_prefix {
            query = query
                .bind(prefix.chars().count() as i64)
                .bind(prefix.clone());
        }
        if let Some(target) = &q.target {
            query = query.bind(target.clone());
        }
        for v in [q.since, q.until, q.before_id].into_iter().flatten() {
            query = query.bind(v);
        }
        let rows = query.bind(q.limit).fetch_all(&self.read).await?;
        rows.iter().map(AuditEntry::from_row).collect()
    }
}
