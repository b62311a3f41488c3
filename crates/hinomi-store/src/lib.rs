//! Storage for hinomi: one [`Store`] over an embedded SQLite file or a shared PostgreSQL.
//!
//! Both backends run the same SQL (sqlx's `Any` driver, `$N` placeholders, `ON CONFLICT`
//! upserts, `RETURNING`); the few places that differ ask [`Backend`] for their clause. All
//! instants are UTC epoch milliseconds in `BIGINT`/`INTEGER` columns, JSON is stored as text.
//!
//! On SQLite every write goes through one connection, so SQLite's single writer never sees
//! lock contention and a transaction that reads before it writes can never fail to upgrade.
//! On PostgreSQL due work is claimed with `FOR UPDATE SKIP LOCKED` (groups) or a lease with a
//! deadline (outbox rows), so several instances share one database and each page goes out once.
#![forbid(unsafe_code)]

mod access;
mod codec;
mod durable;
mod history;
mod incident_team;
mod incidents;
mod oidc;
mod outbox;
mod paging;
mod postmortems;
mod records;
mod schedules;
mod shift_notices;
mod status_page;
mod teams;
mod tx;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyConnection, AnyPool, Connection, Executor, Row};

use durable::{WalSync, Writer};

pub use access::{AuditEntry, AuditQuery, SessionRecord, TokenRecord, UserRecord, UserUses};
pub use durable::Durable;
pub use history::EventRecord;
pub use incident_team::{
    ChecklistItemRecord, DueReminder, ExternalContactRecord, Holder, ItemChange, ReminderKind,
    RoleAssignmentRecord, assignment_receiver, criterion_subject,
};
pub use incidents::{
    GroupLink, IncidentChange, IncidentFault, IncidentQuery, IncidentRecord, IncidentWrite,
    MilestoneEditRecord, NewEntry, NewIncident, NewUpdate, ServiceRecord, ServiceWrite,
    TimelineRecord,
};
pub use oidc::OidcFlow;
pub use outbox::{ClaimedDelivery, DeliveryAttempt, DeliveryOutcome, FinishedDelivery};
pub use paging::{
    ActionRecord, BindingKind, BindingRecord, CodeCheck, ContactMethodRecord, HeartbeatRecord,
    MAX_CODE_ATTEMPTS, NewNotice, NotificationRuleRecord, PageNotice, PageRecord, Pageable,
    PagingPeople, PolicyRecord,
};
pub use postmortems::{
    ActionItemPatch, ActionItemQuery, ActionItemRecord, NewActionItem, PostmortemRecord,
    RecoveryCheckRecord, RecoveryRecord, SectionRecord,
};
pub use records::{
    ChangeRecord, GroupRow, IntegrationRecord, NewGroup, NewOutbox, OutboxRow, StoredAlert,
    StoredNotifyLog,
};
pub use schedules::{
    HolidayCalendarRecord, OverrideKind, OverrideRecord, ScheduleRecord, ScheduleWrite,
    StoredSchedule,
};
pub use shift_notices::DueShiftNotices;
pub use status_page::StatusSubscriber;
pub use teams::{TeamMember, TeamRecord};
pub use tx::WriteTx;

use hinomi_core::{Fingerprint, Silence};

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Row-lock clause for rows a transaction reads and then rewrites.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Row-lock clause for claiming due work that another instance may already hold.
    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// How hard SQLite works to keep a commit through a power cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// fsync the WAL after every commit: an acknowledged write survives a power cut. The
    /// fsync runs beside the write connection (see [`durable`]), not inside the commit.
    #[default]
    Full,
    /// fsync only at checkpoints: survives a process crash, not a power cut.
    Normal,
}

impl FromStr for SqliteSync {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, StoreError> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Ok(SqliteSync::Full),
            "normal" => Ok(SqliteSync::Normal),
            other => Err(StoreError::Config(format!(
                "sqlite synchronous must be \"full\" or \"normal\", not {other:?}"
            ))),
        }
    }
}

/// What [`Store::open`] needs to know.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// `sqlite:///path/to/file.db` or `postgres://...`.
    pub url: String,
    pub sqlite_sync: SqliteSync,
    /// Connections per pool on PostgreSQL, readers on SQLite.
    pub max_connections: u32,
}

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Config(String),
    /// The write-ahead log could not be made durable; nothing more is acknowledged.
    #[error("storage: {0}")]
    Sync(String),
    /// The change would leave no enabled owner: someone must always be able to manage
    /// everyone else.
    #[error("{0} is the last enabled owner; make another owner first")]
    LastOwner(String),
    /// The user is still named where on-call and paging look for people: they cannot be
    /// deleted until taken out (disabling them keeps them and stops their pages).
    #[error("{username} is still named by {uses}; take them out first, or disable them")]
    UserInUse { username: String, uses: UserUses },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database behind hinomi. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    write: Writer,
    read: AnyPool,
    backend: Backend,
    /// Kept for PostgreSQL's change feed, which needs a connection of its own.
    url: String,
}

/// Notifications from other instances on PostgreSQL: (channel, payload).
#[derive(Debug)]
pub struct ChangeFeed(sqlx::postgres::PgListener);

impl ChangeFeed {
    /// The next notification. An error means the connection dropped and notifications may
    /// have been missed.
    pub async fn recv(&mut self) -> Result<(String, String)> {
        let n = self.0.recv().await?;
        Ok((n.channel().to_owned(), n.payload().to_owned()))
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Store {
    /// Connects, and applies the embedded migrations that have not run yet.
    pub async fn open(options: &StoreOptions) -> Result<Store> {
        let store = Store::connect(options).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating.
    pub async fn connect(options: &StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let url = options.url.as_str();
        if url.starts_with("sqlite:") {
            let connect: AnyConnectOptions = url.parse()?;
            // Commits do not sync themselves (`synchronous = NORMAL`); with `Full` the
            // sync thread makes each one durable before it is acknowledged.
            let file: SqliteConnectOptions = url.parse()?;
            let wal = match options.sqlite_sync {
                SqliteSync::Full => Some(WalSync::start(file.get_filename())?),
                SqliteSync::Normal => None,
            };
            let pragmas = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA busy_timeout = 10000; PRAGMA temp_store = MEMORY;";
            // The writer keeps a 16 MB page cache; readers are few and rare (reads are
            // answered from the engine's index), so they keep 2 MB each. The writer
            // checkpoints the log into the database when it reaches 10,000 pages (40 MB),
            // not SQLite's 1,000: a checkpoint runs inside the commit that triggers it and
            // copies each page once however often the log holds it, so under a storm
            // (which rewrites the same few hundred pages) ten times fewer checkpoints do
            // the same work.
            let write_pragmas =
                format!("{pragmas} PRAGMA cache_size = -16000; PRAGMA wal_autocheckpoint = 10000;");
            let read_pragmas =
                format!("{pragmas} PRAGMA cache_size = -2000; PRAGMA query_only = ON;");
            let mut write = AnyConnection::connect_with(&connect).await?;
            write.execute(write_pragmas.as_str()).await?;
            let read = AnyPoolOptions::new()
                .max_connections(options.max_connections.clamp(1, 4))
                .idle_timeout(None)
                .max_lifetime(None)
                .after_connect(move |conn, _| {
                    let sql = read_pragmas.clone();
                    Box::pin(async move {
                        conn.execute(sql.as_str()).await?;
                        Ok(())
                    })
                })
                .connect_lazy_with(connect);
            Ok(Store {
                write: Writer::single(write, wal),
                read,
                backend: Backend::Sqlite,
                url: options.url.clone(),
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(options.max_connections.max(2))
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            Ok(Store {
                write: Writer::pooled(pool.clone()),
                read: pool,
                backend: Backend::Postgres,
                url: options.url.clone(),
            })
        } else {
            Err(StoreError::Config(
                "database url must start with sqlite: or postgres:".into(),
            ))
        }
    }

    /// Applies the embedded migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        self.write.migrate(migrator).await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Answers whether the database takes a query now.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Starts a write transaction. On SQLite this waits for the one write connection.
    pub async fn begin(&self) -> Result<WriteTx> {
        Ok(WriteTx::new(self.write.begin().await?, self.backend))
    }

    /// After [`WriteTx::commit_pipelined`] said another commit follows: none does, so the
    /// sync of what was committed starts now.
    pub fn nothing_follows(&self) {
        self.write.nothing_follows();
    }

    /// Closes both pools, waiting for connections in use to come back.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    /// Listens on PostgreSQL notification channels (an error on SQLite).
    pub async fn listen(&self, channels: &[&str]) -> Result<ChangeFeed> {
        if self.backend != Backend::Postgres {
            return Err(StoreError::Config(
                "only PostgreSQL has a change feed".into(),
            ));
        }
        let mut listener = sqlx::postgres::PgListener::connect(&self.url).await?;
        listener.listen_all(channels.iter().copied()).await?;
        Ok(ChangeFeed(listener))
    }

    /// Clears every delivery lease. Only for SQLite, where one instance runs and a lease
    /// left behind can only be from this instance's previous life.
    pub async fn release_all_leases(&self) -> Result<()> {
        self.write
            .execute(sqlx::query(
                "UPDATE outbox SET lease_owner = NULL, lease_until = NULL \
                 WHERE state = 'pending' AND lease_owner IS NOT NULL",
            ))
            .await?;
        Ok(())
    }

    /// Every alert that has not resolved before `since`: what the in-memory index starts from.
    pub async fn alerts_since(&self, since: i64) -> Result<Vec<StoredAlert>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM {} WHERE t.ends_at = 0 OR t.ends_at >= $1",
            records::ALERT_COLUMNS,
            records::ALERT_TABLES
        ))
        .bind(since)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(StoredAlert::from_row).collect()
    }

    /// The alerts with these fingerprints, as stored now.
    pub async fn alerts_by_fingerprint(&self, fps: &[Fingerprint]) -> Result<Vec<StoredAlert>> {
        if fps.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM {} WHERE a.fingerprint IN ({})",
            records::ALERT_COLUMNS,
            records::ALERT_TABLES,
            codec::placeholders(self.backend, 1, fps.len())
        );
        let mut q = sqlx::query(&sql);
        for fp in fps {
            q = q.bind(codec::fp_to_db(*fp));
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter().map(StoredAlert::from_row).collect()
    }

    /// Deletes alerts that resolved before `before` and belong to no group any more.
    pub async fn gc_resolved_alerts(&self, before: i64) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        // The times row carries the condition, so PostgreSQL re-checks it against a
        // concurrent re-post; the content rows follow by fingerprint.
        let gone: Vec<i64> = sqlx::query_scalar(
            "DELETE FROM alert_times WHERE ends_at <> 0 AND ends_at < $1 AND NOT EXISTS \
             (SELECT 1 FROM group_alerts g WHERE g.fingerprint = alert_times.fingerprint) \
             RETURNING fingerprint",
        )
        .bind(before)
        .fetch_all(&mut *tx)
        .await?;
        for chunk in gone.chunks(codec::CHUNK) {
            let sql = format!(
                "DELETE FROM alerts WHERE fingerprint IN ({})",
                codec::placeholders(self.backend, 1, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for fp in chunk {
                q = q.bind(*fp);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(gone.len() as u64)
    }

    /// All silences, expired ones included (the API lists them until they are collected).
    pub async fn silences(&self) -> Result<Vec<Silence>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM silences",
            records::SILENCE_COLUMNS
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(records::silence_from_row).collect()
    }

    /// Deletes silences that expired before `before`.
    pub async fn gc_silences(&self, before: i64) -> Result<u64> {
        let done = self
            .write
            .execute(sqlx::query("DELETE FROM silences WHERE ends_at < $1").bind(before))
            .await?;
        Ok(done.rows_affected())
    }

    /// The earliest due time of any group timer, if there is one.
    pub async fn next_group_due(&self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT MIN(next_flush_at) FROM alert_groups")
            .fetch_one(&self.read)
            .await?;
        Ok(row.try_get::<Option<i64>, _>(0)?)
    }

    /// Counts for the metrics page: groups whose timer is due, and notifications not yet
    /// delivered.
    pub async fn queue_depths(&self, now: i64) -> Result<(i64, i64)> {
        let groups: i64 =
            sqlx::query("SELECT COUNT(*) FROM alert_groups WHERE next_flush_at <= $1")
                .bind(now)
                .fetch_one(&self.read)
                .await?
                .try_get(0)?;
        let outbox: i64 = sqlx::query("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
            .fetch_one(&self.read)
            .await?
            .try_get(0)?;
        Ok((groups, outbox))
    }

    /// The live (not revoked) integration whose key hashes to `key_hash`.
    pub async fn integration_by_key_hash(
        &self,
        key_hash: &str,
    ) -> Result<Option<IntegrationRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM integrations WHERE key_hash = $1 AND revoked_at IS NULL",
            records::INTEGRATION_COLUMNS
        ))
        .bind(key_hash)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(IntegrationRecord::from_row).transpose()
    }

    /// Every integration, revoked ones included, oldest first.
    pub async fn integrations(&self) -> Result<Vec<IntegrationRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM integrations ORDER BY created_at, name",
            records::INTEGRATION_COLUMNS
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(IntegrationRecord::from_row).collect()
    }

    /// The newest change events, newest first.
    pub async fn changes(&self, limit: i64) -> Result<Vec<ChangeRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM changes ORDER BY at DESC, id DESC LIMIT $1",
            records::CHANGE_COLUMNS
        ))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(ChangeRecord::from_row).collect()
    }
}
