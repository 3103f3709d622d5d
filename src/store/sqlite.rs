//! SQLite: its connection pools, and on which thread their queries run.
//!
//! diesel's SQLite connection is synchronous; diesel-async wraps it and hands every query to
//! a [`SpawnBlocking`] implementation. Ours, [`Lane`], is chosen per pool:
//!
//! - **Reads** ([`SqlitePools::read`]) run on the calling thread. In WAL mode a reader never
//!   waits for the writer (it reads the last committed snapshot), and a point read costs
//!   tens of microseconds: less than the two thread hand-offs (futex wake-ups, context
//!   switches) of a trip through tokio's blocking pool, which were most of a `GET`'s server
//!   time. These connections are `query_only`.
//! - **Writes** ([`SqlitePools::tx`]: `with_tx!`, `with_write!`) run on the calling thread
//!   too, one at a time: each first takes this process's write lock
//!   ([`SqlitePools::write`], an async lock handed over in arrival order), so its
//!   `BEGIN IMMEDIATE` finds SQLite's write lock free and the transaction runs start to
//!   commit without yielding. On the blocking pool a
//!   transaction held the write lock across four thread hand-offs, and each hand-off back
//!   waited for a request thread busy with other requests: writes were serialised on
//!   scheduling delays, not on SQLite. Without the async lock a writer that found SQLite's
//!   lock taken slept in SQLite's busy handler (1, 2, 5, … 100 ms between tries), which put
//!   100 ms into the p99 of sixteen concurrent creates; and a writer outside the async lock
//!   starved in that handler behind the lock's steady queue ("database is locked").
//! - **Other reads** ([`SqlitePools::other`]: `with_conn!`, long reads such as a group's
//!   100,000 members, admin pages) run on tokio's blocking pool so they never hold up a
//!   request thread. These connections are `query_only` as well: every write goes through
//!   the write lock.
//!
//! SQLite serves one process; `busy_timeout` still covers a second one, such as the CLI.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use diesel::Connection;
use diesel::connection::AnsiTransactionManager;
use diesel::sqlite::SqliteConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::{
    SpawnBlocking, SyncConnectionWrapper, SyncTransactionManagerWrapper,
};
use diesel_async::{SimpleAsyncConnection, TransactionManager};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, TryFutureExt};

use crate::store::error::StoreError;
use crate::store::filter_sql;

/// The SQLite connection type: diesel's sync connection, its queries run on its [`Lane`].
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection, Lane>;

/// Where a SQLite connection runs its queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// On the calling thread (read-only connections).
    Inline,
    /// On tokio's blocking pool.
    Blocking,
}

impl SpawnBlocking for Lane {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> BoxFuture<'a, Result<R, Box<dyn Error + Send + Sync + 'static>>>
    where
        R: Send + 'static,
    {
        match self {
            Lane::Inline => futures_util::future::ready(Ok(task())).boxed(),
            // A dropped request leaves the task to finish on its own; the connection's mutex
            // holds the next user of the connection until it has.
            Lane::Blocking => tokio::task::spawn_blocking(task)
                .map_err(|e| Box::new(e) as Box<dyn Error + Send + Sync>)
                .boxed(),
        }
    }

    fn get_runtime() -> Self {
        Lane::Blocking
    }
}

/// The SQLite pools of one database file, and its write lock.
#[derive(Clone)]
pub struct SqlitePools {
    /// Read-only connections whose queries run on the calling thread.
    pub read: Pool<SqliteConn>,
    /// Connections for writes (under [`SqlitePools::write`]), their queries on the calling
    /// thread.
    pub tx: Pool<SqliteConn>,
    /// Read-only connections for other reads, their queries on the blocking pool.
    pub other: Pool<SqliteConn>,
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl SqlitePools {
    /// Pools of up to `size` connections each to the file at `path` (created if missing).
    pub fn open(path: &str, size: usize) -> Result<Self, StoreError> {
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Pool(format!("cannot create {}: {e}", dir.display())))?;
        }
        Ok(SqlitePools {
            read: pool(path, size, Lane::Inline, true)?,
            tx: pool(path, 2, Lane::Inline, false)?,
            other: pool(path, size, Lane::Blocking, true)?,
            writer: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// Wait for this process's turn to write (held for a whole write transaction).
    async fn writer(&self) -> WriteTurn<'_> {
        self.writer.lock().await
    }

    /// A read-only connection whose queries run on the blocking pool (`with_conn!`); no
    /// turn to write.
    pub async fn read(&self) -> Result<(Option<WriteTurn<'_>>, Pooled), StoreError> {
        Ok((None, self.other.get().await.map_err(StoreError::pool)?))
    }

    /// This process's turn to write, then a connection to write with (`with_write!`).
    pub async fn write(&self) -> Result<(Option<WriteTurn<'_>>, Pooled), StoreError> {
        let turn = self.writer().await;
        Ok((Some(turn), self.tx.get().await.map_err(StoreError::pool)?))
    }
}

/// A turn to write ([`SqlitePools::write`]).
pub type WriteTurn<'a> = tokio::sync::MutexGuard<'a, ()>;

/// A pooled SQLite connection.
pub type Pooled = diesel_async::pooled_connection::deadpool::Object<SqliteConn>;

fn pool(
    path: &str,
    size: usize,
    lane: Lane,
    query_only: bool,
) -> Result<Pool<SqliteConn>, StoreError> {
    let mut config = ManagerConfig::<SqliteConn>::default();
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url: &str| {
        let url = url.to_string();
        async move {
            let conn = tokio::task::spawn_blocking(move || SqliteConnection::establish(&url))
                .await
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))??;
            let mut conn = SqliteConn::with_runtime(conn, lane);
            // WAL for concurrent readers, a busy timeout for the single writer, foreign keys
            // on (they are off by default in SQLite); read connections cannot write.
            let mut pragmas = String::from(
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            );
            if query_only {
                pragmas.push_str(" PRAGMA query_only = 1;");
            }
            conn.batch_execute(&pragmas)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            conn.spawn_blocking(filter_sql::register_sqlite_functions)
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(path, config);
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(10)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(StoreError::pool)
}

/// Run `f` in a `BEGIN IMMEDIATE` transaction (takes SQLite's write lock at once: a deferred
/// transaction that reads, then writes, fails with `SQLITE_BUSY` under load); commit on `Ok`,
/// roll back on `Err`. diesel-async offers this only for its default runtime type.
pub async fn immediate_transaction<R, E, F>(conn: &mut SqliteConn, f: F) -> Result<R, E>
where
    F: AsyncFnOnce(&mut SqliteConn) -> Result<R, E>,
    E: From<diesel::result::Error>,
{
    type Manager = SyncTransactionManagerWrapper<AnsiTransactionManager>;
    conn.spawn_blocking(|c| AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"))
        .await?;
    match f(&mut *conn).await {
        Ok(value) => {
            Manager::commit_transaction(conn).await?;
            Ok(value)
        }
        Err(e) => {
            Manager::rollback_transaction(conn).await?;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn inline_runs_on_the_calling_thread_and_blocking_does_not() {
        let here = std::thread::current().id();
        let inline = Lane::Inline
            .spawn_blocking(|| std::thread::current().id())
            .await
            .unwrap();
        assert_eq!(inline, here);
        let blocking = Lane::Blocking
            .spawn_blocking(|| std::thread::current().id())
            .await
            .unwrap();
        assert_ne!(blocking, here);
    }

    #[tokio::test]
    async fn read_connections_refuse_writes() {
        let dir = std::env::temp_dir().join(format!("scim-lane-{}", uuid::Uuid::new_v4()));
        let path = dir.join("t.db");
        let pools = SqlitePools::open(path.to_str().unwrap(), 2).unwrap();
        let mut w = pools.tx.get().await.unwrap();
        w.batch_execute("CREATE TABLE t (x INTEGER)").await.unwrap();
        for read_only in [&pools.read, &pools.other] {
            let mut r = read_only.get().await.unwrap();
            let err = r
                .batch_execute("INSERT INTO t VALUES (1)")
                .await
                .unwrap_err();
            assert!(err.to_string().contains("readonly"), "{err}");
            r.batch_execute("SELECT * FROM t").await.unwrap();
        }
        w.batch_execute("INSERT INTO t VALUES (1)").await.unwrap();
        drop(w);
        let _ = std::fs::remove_dir_all(dir);
    }
}
