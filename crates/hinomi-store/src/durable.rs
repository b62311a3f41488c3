//! Durable writes, and on SQLite an fsync that runs beside the write connection instead of
//! inside each commit.
//!
//! Every write goes through [`Writer`]: its transactions ([`Txn`]) and its one-statement
//! helpers return only once what they committed is durable. On SQLite it holds the one
//! write connection itself (see [`WriteConn::Single`]).
//!
//! With `synchronous = FULL` SQLite fsyncs the write-ahead log inside every COMMIT, and the
//! one write connection can do nothing else meanwhile: under load the core idles through
//! the fsync of every commit. So the connection runs with `synchronous = NORMAL` (a commit
//! writes its WAL frames without syncing them; checkpoints still sync the log before they
//! copy it and the database after) and [`WalSync`], a thread of its own, fsyncs the WAL
//! file after commits. A commit is durable once an fsync that began after the commit
//! returned has itself returned. That is what FULL promises: recovery replays every
//! committed frame whose checksums hold, and the frames of that commit were written before
//! the fsync began. Meanwhile the connection goes on with the next transaction, and one
//! fsync covers every commit made while the previous fsync ran.
//!
//! A committer that may commit again at once (the intake writer) says so, and the sync
//! waits for that commit too, until the committer says nothing follows
//! ([`Writer::nothing_follows`]), [`MAX_HELD_COMMITS`] commits wait or [`MAX_HOLD`] has
//! passed: on a busy server one fsync then covers a run of commits instead of each commit
//! paying for its own, and an fsync costs more CPU than a small commit.
//!
//! The WAL file is opened anew for each fsync, so a log that SQLite deleted (after the last
//! connection closed and checkpointed it) and created again is never synced through a
//! stale descriptor. SQLite takes no POSIX locks on the WAL file (its WAL locks live in the
//! `-shm` file; `/proc/locks` of a running server shows locks on the database and `-shm`
//! files and none on `-wal`), so opening and closing it beside SQLite releases nothing of
//! SQLite's: POSIX locks belong to a process and inode, and any close drops them all.

use std::fs::File;
use std::io::ErrorKind;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AnyPool, Transaction};
use tokio::sync::watch;

use crate::{Result, StoreError};

/// Most commits a sync waits for once one is due.
pub(crate) const MAX_HELD_COMMITS: u64 = 8;

/// Longest a due commit waits for the commits said to follow it.
pub(crate) const MAX_HOLD: Duration = Duration::from_millis(2);

/// The write side of a store and, where commits do not sync themselves, the thread that
/// syncs them.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    conn: WriteConn,
    wal: Option<WalSync>,
}

/// Where writes go.
#[derive(Clone, Debug)]
enum WriteConn {
    /// PostgreSQL: a pool shared by many writers at once.
    Pool(AnyPool),
    /// SQLite: the one write connection, held for good. A pool would ping it and hand it
    /// back through a task after every transaction: two more trips to SQLite's thread for
    /// a connection that lives in this process and cannot break.
    Single(Arc<tokio::sync::Mutex<Single>>),
}

#[derive(Debug)]
struct Single {
    /// `None` once closed.
    conn: Option<AnyConnection>,
    /// A transaction may be open that nobody will finish (its [`Txn`] was dropped before
    /// its commit returned): the next user of the connection rolls it back first.
    open: bool,
}

/// The connection a [`Single`] guard holds: the caller rolls back what was left open.
type SingleGuard = tokio::sync::OwnedMutexGuard<Single>;

impl Writer {
    /// Writes through a pool (PostgreSQL).
    pub(crate) fn pooled(pool: AnyPool) -> Writer {
        Writer {
            conn: WriteConn::Pool(pool),
            wal: None,
        }
    }

    /// Writes through one connection (SQLite), synced by `wal` if given.
    pub(crate) fn single(conn: AnyConnection, wal: Option<WalSync>) -> Writer {
        Writer {
            conn: WriteConn::Single(Arc::new(tokio::sync::Mutex::new(Single {
                conn: Some(conn),
                open: false,
            }))),
            wal,
        }
    }

    /// Applies the migrations not yet applied, durably.
    pub(crate) async fn migrate(&self, migrator: &sqlx::migrate::Migrator) -> Result<()> {
        match &self.conn {
            WriteConn::Pool(pool) => migrator.run(pool).await?,
            WriteConn::Single(single) => {
                let mut guard = ready(single).await?;
                migrator.run(connection(&mut guard)).await?;
            }
        }
        self.durable().await
    }

    pub(crate) async fn begin(&self) -> Result<Txn> {
        let inner = match &self.conn {
            WriteConn::Pool(pool) => TxnConn::Pool(pool.begin().await?),
            WriteConn::Single(single) => {
                let mut guard = ready(single).await?;
                // Marked first: a caller that gives up while BEGIN runs leaves it open.
                guard.open = true;
                // IMMEDIATE: the write lock is taken (waiting up to busy_timeout) before
                // anything is read. A deferred transaction that reads and then writes
                // fails at once (SQLITE_BUSY_SNAPSHOT, no waiting) when another process
                // (a `hinomi` command on the same file) committed in between.
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(connection(&mut guard))
                    .await?;
                TxnConn::Single(guard)
            }
        };
        Ok(Txn {
            conn: inner,
            wal: self.wal.clone(),
        })
    }

    /// Says that the commit said to have another follow it has none after all: its sync
    /// starts now.
    pub(crate) fn nothing_follows(&self) {
        if let Some(wal) = &self.wal {
            wal.release();
        }
    }

    /// Waits until everything committed so far is durable.
    pub(crate) async fn durable(&self) -> Result<()> {
        Durable::after_commit(self.wal.as_ref(), false).wait().await
    }

    /// Runs one statement in a transaction of its own; answers once it is durable.
    pub(crate) async fn execute<'q>(
        &self,
        statement: Query<'q, Any, AnyArguments<'q>>,
    ) -> Result<AnyQueryResult> {
        let done = match &self.conn {
            WriteConn::Pool(pool) => statement.execute(pool).await?,
            WriteConn::Single(single) => {
                statement
                    .execute(connection(&mut ready(single).await?))
                    .await?
            }
        };
        self.durable().await?;
        Ok(done)
    }

    /// [`Writer::execute`] for a statement that returns rows.
    pub(crate) async fn fetch_all<'q>(
        &self,
        statement: Query<'q, Any, AnyArguments<'q>>,
    ) -> Result<Vec<AnyRow>> {
        let rows = match &self.conn {
            WriteConn::Pool(pool) => statement.fetch_all(pool).await?,
            WriteConn::Single(single) => {
                statement
                    .fetch_all(connection(&mut ready(single).await?))
                    .await?
            }
        };
        self.durable().await?;
        Ok(rows)
    }

    /// [`Writer::execute`] for a statement that returns at most one row.
    pub(crate) async fn fetch_optional<'q>(
        &self,
        statement: Query<'q, Any, AnyArguments<'q>>,
    ) -> Result<Option<AnyRow>> {
        let row = match &self.conn {
            WriteConn::Pool(pool) => statement.fetch_optional(pool).await?,
            WriteConn::Single(single) => {
                statement
                    .fetch_optional(connection(&mut ready(single).await?))
                    .await?
            }
        };
        self.durable().await?;
        Ok(row)
    }

    pub(crate) async fn close(&self) {
        match &self.conn {
            WriteConn::Pool(pool) => pool.close().await,
            WriteConn::Single(single) => {
                if let Some(conn) = single.clone().lock_owned().await.conn.take() {
                    let _ = sqlx::Connection::close(conn).await;
                }
            }
        }
    }
}

/// The single connection, with no transaction left open on it.
async fn ready(single: &Arc<tokio::sync::Mutex<Single>>) -> Result<SingleGuard> {
    let mut guard = single.clone().lock_owned().await;
    if guard.conn.is_none() {
        return Err(StoreError::Database(sqlx::Error::PoolClosed));
    }
    if guard.open {
        // Fails harmlessly when the transaction did end (a caller that gave up during its
        // BEGIN or COMMIT, which then failed or succeeded).
        if let Err(e) = sqlx::query("ROLLBACK")
            .execute(connection(&mut guard))
            .await
        {
            tracing::debug!(error = %e, "rollback of an abandoned transaction");
        }
        guard.open = false;
    }
    Ok(guard)
}

/// The connection of a guard [`ready`] answered (so it is not closed).
fn connection(guard: &mut SingleGuard) -> &mut AnyConnection {
    guard.conn.as_mut().expect("checked open by ready()")
}

/// A write transaction. Dropping it without a commit rolls it back.
#[derive(Debug)]
pub(crate) struct Txn {
    conn: TxnConn,
    wal: Option<WalSync>,
}

#[derive(Debug)]
enum TxnConn {
    Pool(Transaction<'static, Any>),
    /// Rolled back by the connection's next user when dropped open.
    Single(SingleGuard),
}

impl Txn {
    /// Commits, and answers once the commit is durable.
    pub(crate) async fn commit(self) -> Result<()> {
        self.commit_pipelined(false).await?.wait().await
    }

    /// Commits, and answers at once with what to wait on before telling anyone the commit
    /// happened. The connection is free for the next transaction meanwhile.
    /// `another_follows` says the caller is about to commit again, so one sync may cover
    /// both (it waits no longer than [`MAX_HOLD`] for it).
    pub(crate) async fn commit_pipelined(self, another_follows: bool) -> Result<Durable> {
        match self.conn {
            TxnConn::Pool(tx) => tx.commit().await?,
            TxnConn::Single(mut guard) => {
                sqlx::query("COMMIT")
                    .execute(connection(&mut guard))
                    .await?;
                guard.open = false;
            }
        }
        Ok(Durable::after_commit(self.wal.as_ref(), another_follows))
    }
}

impl Deref for Txn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match &self.conn {
            TxnConn::Pool(tx) => tx,
            TxnConn::Single(guard) => guard.conn.as_ref().expect("checked open by ready()"),
        }
    }
}

impl DerefMut for Txn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.conn {
            TxnConn::Pool(tx) => tx,
            TxnConn::Single(guard) => connection(guard),
        }
    }
}

/// A commit that may not be durable yet. [`Durable::wait`] answers once it is.
#[must_use = "a commit is acknowledged only after it is durable"]
#[derive(Debug)]
pub struct Durable(Option<(WalSync, u64)>);

impl Durable {
    /// For a commit that has just returned: on a store whose commits sync themselves
    /// (PostgreSQL, or SQLite with `synchronous = NORMAL`, which promises no more) it is
    /// as durable as it will be.
    fn after_commit(wal: Option<&WalSync>, another_follows: bool) -> Durable {
        Durable(wal.map(|w| (w.clone(), w.committed(another_follows))))
    }

    pub async fn wait(self) -> Result<()> {
        let Some((wal, commit)) = self.0 else {
            return Ok(());
        };
        let mut synced = wal.0.synced.subscribe();
        let state = synced
            .wait_for(|s| s.through >= commit || s.failed.is_some())
            .await
            .map_err(|_| StoreError::Sync("the log sync thread has stopped".into()))?;
        match &state.failed {
            Some(e) if state.through < commit => Err(StoreError::Sync(e.to_string())),
            _ => Ok(()),
        }
    }
}

/// The thread that fsyncs SQLite's write-ahead log after commits. It stops when the last
/// handle is dropped. Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct WalSync(Arc<Handle>);

#[derive(Debug)]
struct Handle {
    shared: Arc<Shared>,
    synced: watch::Sender<Synced>,
}

#[derive(Debug)]
struct Shared {
    wal: PathBuf,
    requested: Mutex<Requested>,
    wake: Condvar,
}

#[derive(Debug, Default)]
struct Requested {
    /// Commits counted so far; commit `n` is covered by a sync that began after it.
    commits: u64,
    /// The last commit said another follows at once.
    held: bool,
    /// When the oldest commit not yet being synced was counted.
    oldest: Option<Instant>,
    stop: bool,
}

impl Requested {
    /// Whether a sync of the commits after `through` should start now; if not, how long
    /// until it should at the latest (`None`: not until another commit is counted).
    fn due(&self, through: u64) -> Result<(), Option<Duration>> {
        let waiting = self.commits - through;
        if waiting == 0 {
            return Err(None);
        }
        let held_for = self.oldest.map_or(Duration::ZERO, |t| t.elapsed());
        if !self.held || self.stop || waiting >= MAX_HELD_COMMITS || held_for >= MAX_HOLD {
            return Ok(());
        }
        Err(Some(MAX_HOLD - held_for))
    }
}

#[derive(Debug, Default)]
struct Synced {
    /// Every commit up to this one is durable.
    through: u64,
    /// Set when an fsync failed. Nothing after it can be promised: the kernel may have
    /// dropped the pages it could not write, so a later fsync that succeeds proves nothing.
    failed: Option<Arc<str>>,
}

impl WalSync {
    /// Starts the thread for the database file `db`, whose log is `db` + `-wal`.
    pub(crate) fn start(db: &std::path::Path) -> Result<WalSync> {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        let shared = Arc::new(Shared {
            wal: wal.into(),
            requested: Mutex::new(Requested::default()),
            wake: Condvar::new(),
        });
        let (synced, _) = watch::channel(Synced::default());
        let worker = (shared.clone(), synced.clone());
        std::thread::Builder::new()
            .name("hinomi-wal-sync".into())
            .spawn(move || run(&worker.0, &worker.1))
            .map_err(|e| StoreError::Sync(format!("cannot start the log sync thread: {e}")))?;
        Ok(WalSync(Arc::new(Handle { shared, synced })))
    }

    /// Counts a commit that has just returned, and asks for a sync that covers it.
    fn committed(&self, another_follows: bool) -> u64 {
        let mut requested = self.0.shared.requested.lock().expect("wal sync lock");
        requested.commits += 1;
        requested.held = another_follows;
        requested.oldest.get_or_insert_with(Instant::now);
        self.0.shared.wake.notify_one();
        requested.commits
    }

    fn release(&self) {
        let mut requested = self.0.shared.requested.lock().expect("wal sync lock");
        if requested.held {
            requested.held = false;
            self.0.shared.wake.notify_one();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.requested.lock().expect("wal sync lock").stop = true;
        self.shared.wake.notify_one();
    }
}

fn run(shared: &Shared, synced: &watch::Sender<Synced>) {
    let mut through = 0;
    loop {
        let target = {
            let mut requested = shared.requested.lock().expect("wal sync lock");
            loop {
                match requested.due(through) {
                    Ok(()) => break,
                    Err(None) if requested.stop => return,
                    Err(None) => {
                        requested = shared.wake.wait(requested).expect("wal sync lock");
                    }
                    Err(Some(left)) => {
                        requested = shared
                            .wake
                            .wait_timeout(requested, left)
                            .expect("wal sync lock")
                            .0;
                    }
                }
            }
            requested.oldest = None;
            requested.commits
        };
        let started = std::time::Instant::now();
        let result = sync_file(&shared.wal);
        metrics::histogram!("hinomi_wal_fsync_seconds").record(started.elapsed().as_secs_f64());
        metrics::histogram!("hinomi_wal_fsync_commits").record((target - through) as f64);
        match result {
            Ok(()) => {
                through = target;
                synced.send_modify(|s| s.through = target);
            }
            Err(e) => {
                tracing::error!(error = %e, wal = %shared.wal.display(),
                    "fsync of the write-ahead log failed; no write is acknowledged from now on");
                synced.send_modify(|s| s.failed = Some(format!("fsync of the log: {e}").into()));
                return;
            }
        }
    }
}

/// fsyncs the file at `path`. A log that does not exist holds nothing to sync: SQLite
/// deletes it only after checkpointing it into the synced database file.
fn sync_file(path: &std::path::Path) -> std::io::Result<()> {
    match File::open(path) {
        Ok(file) => file.sync_data(),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_commit_waits_for_a_sync_that_began_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        std::fs::write(dir.path().join("t.db-wal"), b"frames").unwrap();
        let wal = WalSync::start(&db).unwrap();
        let first = Durable::after_commit(Some(&wal), true);
        let second = Durable::after_commit(Some(&wal), false);
        second.wait().await.unwrap();
        first.wait().await.unwrap();
        assert!(wal.0.synced.borrow().through >= 2);
    }

    #[tokio::test]
    async fn a_held_commit_is_synced_within_the_hold_when_no_other_follows() {
        let dir = tempfile::tempdir().unwrap();
        let wal = WalSync::start(&dir.path().join("t.db")).unwrap();
        let held = Durable::after_commit(Some(&wal), true);
        tokio::time::timeout(Duration::from_secs(5), held.wait())
            .await
            .expect("synced after the hold")
            .unwrap();
    }

    #[test]
    fn a_sync_is_due_unless_held_and_held_only_so_far() {
        let mut r = Requested {
            commits: 3,
            held: true,
            oldest: Some(Instant::now()),
            stop: false,
        };
        assert_eq!(r.due(3), Err(None), "nothing waiting");
        assert!(matches!(r.due(2), Err(Some(_))), "held, young, few");
        r.held = false;
        assert_eq!(r.due(2), Ok(()), "not held");
        r.held = true;
        r.commits = 2 + MAX_HELD_COMMITS;
        assert_eq!(r.due(2), Ok(()), "enough commits waiting");
        r.commits = 3;
        r.oldest = Instant::now().checked_sub(MAX_HOLD);
        assert_eq!(r.due(2), Ok(()), "held long enough");
    }

    #[tokio::test]
    async fn a_missing_log_has_nothing_to_sync() {
        let dir = tempfile::tempdir().unwrap();
        let wal = WalSync::start(&dir.path().join("none.db")).unwrap();
        Durable::after_commit(Some(&wal), false)
            .wait()
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_failed_sync_fails_every_later_commit() {
        let dir = tempfile::tempdir().unwrap();
        // A log path that is a directory's child of a regular file cannot be opened.
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        let wal = WalSync::start(&file.join("db")).unwrap();
        let err = Durable::after_commit(Some(&wal), false)
            .wait()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("fsync of the log"), "{err}");
        let err = Durable::after_commit(Some(&wal), false)
            .wait()
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Sync(_)), "{err}");
    }

    #[tokio::test]
    async fn a_transaction_dropped_open_is_rolled_back_by_the_next_user() {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let url = format!("sqlite://{}?mode=rwc", db.display());
        let conn = <AnyConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        let writer = Writer::single(conn, Some(WalSync::start(&db).unwrap()));
        writer
            .execute(sqlx::query("CREATE TABLE t (v INTEGER)"))
            .await
            .unwrap();
        let mut abandoned = writer.begin().await.unwrap();
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut *abandoned)
            .await
            .unwrap();
        drop(abandoned);
        let mut tx = writer.begin().await.unwrap();
        sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let rows = writer
            .fetch_all(sqlx::query("SELECT v FROM t"))
            .await
            .unwrap();
        let values: Vec<i64> = rows
            .iter()
            .map(|r| sqlx::Row::get::<i64, _>(r, 0))
            .collect();
        assert_eq!(values, [2]);
        writer.close().await;
        assert!(writer.begin().await.is_err(), "closed");
    }

    #[tokio::test]
    async fn without_a_sync_thread_a_commit_is_durable_at_once() {
        Durable::after_commit(None, false).wait().await.unwrap();
    }
}
