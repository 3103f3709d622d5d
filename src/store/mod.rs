//! Storage on SQLite (embedded default) or PostgreSQL through diesel + diesel_async.
//!
//! One diesel schema and one body of query code serve both backends: [`with_conn!`] and
//! [`with_tx!`] expand the same code once per backend. Errors: [`error::StoreError`] inside,
//! converted to `DomainError` at the `Directory` boundary.

pub mod accounts;
pub mod admin;
pub mod admin_auth;
pub mod admin_console;
pub mod directory;
pub mod error;
pub mod event_queue;
pub mod events;
pub mod filter_sql;
pub mod groups;
pub mod list_sql;
pub mod member_batch;
pub mod models;
pub mod raw_query;
pub mod roles;
pub mod schema;
pub mod sqlite;
pub mod sync_read;

use std::time::Duration;

use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::store::error::StoreError;

/// PostgreSQL migrations.
pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// SQLite migrations (same names, same tables).
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

pub use sqlite::{SqliteConn, SqlitePools};

/// Which SQL dialect a query is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

/// A connection pool of either backend.
#[derive(Clone)]
pub enum DbPool {
    /// PostgreSQL.
    Pg(PgPools),
    /// SQLite.
    Sqlite(SqlitePools),
}

/// PostgreSQL connection pools, one per thread that uses the store.
///
/// A tokio-postgres connection is driven by a task on the runtime that opened it. actix-web
/// runs one single-threaded runtime per worker thread, so with one shared pool a worker
/// would often query through another worker's connection and every message would cross
/// threads (two wake-ups and context switches per query). Each thread therefore draws from
/// its own pool of `per_thread` connections, opened lazily on first use.
///
/// Pools recycle connections the `Fast` way (diesel-async's default, `Verified`, sends a
/// `SELECT 1` on every checkout: one more round trip per query); a connection that broke
/// fails its next query and is then discarded.
#[derive(Clone)]
pub struct PgPools {
    inner: std::sync::Arc<PgPoolsInner>,
}

/// A thread's shared read connection, opened once by the first read that needs it.
type SharedSlot = std::sync::Arc<tokio::sync::OnceCell<std::sync::Arc<AsyncPgConnection>>>;

struct PgPoolsInner {
    url: String,
    per_thread: usize,
    pools:
        std::sync::Mutex<std::collections::HashMap<std::thread::ThreadId, Pool<AsyncPgConnection>>>,
    shared: std::sync::Mutex<std::collections::HashMap<std::thread::ThreadId, SharedSlot>>,
}

impl PgPools {
    /// Pools of `per_thread` connections each to `url`.
    fn new(url: String, per_thread: usize) -> Self {
        PgPools {
            inner: std::sync::Arc::new(PgPoolsInner {
                url,
                per_thread: per_thread.max(1),
                pools: std::sync::Mutex::new(std::collections::HashMap::new()),
                shared: std::sync::Mutex::new(std::collections::HashMap::new()),
            }),
        }
    }

    /// This thread's pool (built on first use).
    pub fn local(&self) -> Result<Pool<AsyncPgConnection>, StoreError> {
        let mut pools = self
            .inner
            .pools
            .lock()
            .map_err(|_| StoreError::Pool("the pool registry is poisoned".into()))?;
        let thread = std::thread::current().id();
        if let Some(p) = pools.get(&thread) {
            return Ok(p.clone());
        }
        let mut config = ManagerConfig::<AsyncPgConnection>::default();
        config.recycling_method = RecyclingMethod::Fast;
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
            self.inner.url.clone(),
            config,
        );
        let pool = Pool::builder(manager)
            .max_size(self.inner.per_thread)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(10)))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(StoreError::pool)?;
        pools.insert(thread, pool.clone());
        Ok(pool)
    }

    /// This thread's shared read connection (opened on first use).
    ///
    /// Reads outside a transaction need no connection of their own: tokio-postgres pipelines
    /// the queries of every request that uses one connection at once, so the reads of all a
    /// thread's concurrent requests reach PostgreSQL through one busy backend, many messages
    /// per system call, instead of waking one idle backend per query. Transactions (every
    /// write) keep taking a connection of their own from the pool.
    pub async fn shared(&self) -> Result<std::sync::Arc<AsyncPgConnection>, StoreError> {
        let thread = std::thread::current().id();
        // The thread's requests that find no connection wait for the one being opened: each
        // opening its own, a burst of first reads on a fresh thread opened hundreds (past
        // PostgreSQL's `max_connections`).
        let slot = self.shared_slot()?.entry(thread).or_default().clone();
        let conn = slot
            .get_or_try_init(|| async {
                AsyncPgConnection::establish(&self.inner.url)
                    .await
                    .map(std::sync::Arc::new)
                    .map_err(StoreError::pool)
            })
            .await?;
        Ok(conn.clone())
    }

    /// Forget a shared read connection that failed to send a query (closed, broken): the
    /// next read opens a new one.
    pub fn forget_shared(&self, conn: &std::sync::Arc<AsyncPgConnection>) {
        if let Ok(mut slots) = self.shared_slot() {
            slots.retain(|_, slot| !slot.get().is_some_and(|c| std::sync::Arc::ptr_eq(c, conn)));
        }
    }

    fn shared_slot(
        &self,
    ) -> Result<
        std::sync::MutexGuard<'_, std::collections::HashMap<std::thread::ThreadId, SharedSlot>>,
        StoreError,
    > {
        self.inner
            .shared
            .lock()
            .map_err(|_| StoreError::Pool("the shared connections are poisoned".into()))
    }

    /// A connection from this thread's pool.
    pub async fn get(
        &self,
    ) -> Result<diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>, StoreError>
    {
        self.local()?.get().await.map_err(StoreError::pool)
    }
}

/// Where the database is, parsed from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    /// A PostgreSQL URL.
    Postgres(String),
    /// A SQLite file path.
    Sqlite(String),
}

/// Default SQLite file when `DATABASE_URL` is unset.
pub const DEFAULT_SQLITE_PATH: &str = "data/scim-connector.db";

impl DatabaseLocation {
    /// `postgres://…`/`postgresql://…` → PostgreSQL; `sqlite://path`, `sqlite:path` or a bare
    /// path → SQLite; None → the default file `./data/scim-connector.db`.
    pub fn parse(url: Option<&str>) -> Self {
        match url.map(str::trim).filter(|s| !s.is_empty()) {
            None => DatabaseLocation::Sqlite(DEFAULT_SQLITE_PATH.to_string()),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                DatabaseLocation::Postgres(u.to_string())
            }
            Some(u) => {
                let path = u
                    .strip_prefix("sqlite://")
                    .or_else(|| u.strip_prefix("sqlite:"))
                    .unwrap_or(u);
                DatabaseLocation::Sqlite(path.to_string())
            }
        }
    }

    /// A description safe for logs (no password).
    pub fn redacted(&self) -> String {
        match self {
            DatabaseLocation::Sqlite(p) => format!("sqlite:{p}"),
            DatabaseLocation::Postgres(u) => match url::Url::parse(u) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        let _ignored = parsed.set_password(Some("***"));
                    }
                    parsed.to_string()
                }
                Err(_) => "postgres://(unparsable url)".into(),
            },
        }
    }
}

/// Run reads with a pooled connection of whichever backend is configured (on SQLite a
/// read-only connection whose queries run on the blocking pool: long reads, admin pages;
/// writes go through [`with_write!`] or [`with_tx!`]). `$d` names a `Dialect` constant for
/// the arm.
#[macro_export]
macro_rules! with_conn {
    ($store:expr, |$c:ident, $d:ident| $body:expr) => {
        $crate::with_pooled!($store, read, |$c, $d| $body)
    };
}

/// Run a write outside a transaction (single statements, each committed on its own). On
/// SQLite it takes this process's write lock first, like [`with_tx!`], so it queues with the
/// other writers instead of starving in SQLite's busy handler behind them; [`with_conn!`]
/// connections there are read-only.
#[macro_export]
macro_rules! with_write {
    ($store:expr, |$c:ident, $d:ident| $body:expr) => {
        $crate::with_pooled!($store, write, |$c, $d| $body)
    };
}

/// The body of [`with_conn!`] and [`with_write!`]: a pooled connection, on SQLite the one
/// [`SqlitePools::read`](sqlite::SqlitePools::read) or
/// [`SqlitePools::write`](sqlite::SqlitePools::write) gives.
#[doc(hidden)]
#[macro_export]
macro_rules! with_pooled {
    ($store:expr, $purpose:ident, |$c:ident, $d:ident| $body:expr) => {
        match &$store.pool {
            $crate::store::DbPool::Pg(pool) => {
                let mut conn = pool.get().await?;
                let $c = &mut *conn;
                let $d = $crate::store::Dialect::Postgres;
                $body
            }
            $crate::store::DbPool::Sqlite(pools) => {
                let (_turn, mut conn) = pools.$purpose().await?;
                let $c = &mut *conn;
                let $d = $crate::store::Dialect::Sqlite;
                $body
            }
        }
    };
}

/// Run code in a write transaction: `BEGIN` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite (a
/// deferred SQLite transaction that reads then writes fails with SQLITE_BUSY under load).
#[macro_export]
macro_rules! with_tx {
    ($store:expr, |$c:ident, $d:ident| $body:expr) => {
        match &$store.pool {
            $crate::store::DbPool::Pg(pool) => {
                let mut conn = pool.get().await?;
                let $d = $crate::store::Dialect::Postgres;
                diesel_async::AsyncConnection::transaction(&mut *conn, async |$c| $body).await
            }
            $crate::store::DbPool::Sqlite(pools) => {
                // This process's writers queue here, not in SQLite's busy handler.
                let (_turn, mut conn) = pools.write().await?;
                let $d = $crate::store::Dialect::Sqlite;
                $crate::store::sqlite::immediate_transaction(&mut conn, async |$c| $body).await
            }
        }
    };
}

/// Run a read with a pooled connection, carrying the request's open token check (the
/// [`ReadScope`](crate::domain::directory::ReadScope)'s [`AuthGate`](crate::domain::tenant::AuthGate))
/// in the same round trip. On PostgreSQL, a point read (`$shared` true: a few index probes)
/// goes through the thread's shared read connection ([`PgPools::shared`]), any other through
/// a pooled connection of its own; either way the client lookup is sent just before the
/// read's first query on the same connection: diesel-async pipelines queries whose futures are
/// polled together, so both go out in one write and come back in one read. On SQLite the
/// lookup runs first on the same read-only connection, both on the request thread
/// ([`sqlite::Lane::Inline`]). The read's result is given only once the gate
/// has opened; a refused token ends the read with Unauthorized.
#[macro_export]
macro_rules! with_read_conn {
    ($store:expr, $scope:expr, $shared:expr, |$c:ident, $d:ident| $body:expr) => {{
        let gate = $scope.gate.filter(|g| g.is_open());
        let mut record_use = false;
        let out = match &$store.pool {
            $crate::store::DbPool::Pg(pool) => {
                let (shared, pooled);
                let conn: &diesel_async::AsyncPgConnection = if $shared {
                    shared = Some(pool.shared().await?);
                    shared.as_deref().expect("just set")
                } else {
                    shared = None;
                    pooled = pool.get().await?;
                    &pooled
                };
                let $d = $crate::store::Dialect::Postgres;
                let check = async {
                    match gate {
                        Some(g) => {
                            Some($crate::store::admin::lookup_client_pg(conn, g.client).await)
                        }
                        None => None,
                    }
                };
                let work = async {
                    let mut handle = conn;
                    let $c = &mut handle;
                    Ok::<_, $crate::store::error::StoreError>($body)
                };
                let (row, out) = futures_util::future::join(check, work).await;
                if out
                    .as_ref()
                    .is_err_and($crate::store::error::StoreError::is_disconnect)
                    || row.as_ref().is_some_and(|r| {
                        r.as_ref()
                            .is_err_and($crate::store::error::StoreError::is_disconnect)
                    })
                {
                    // Like a broken pooled connection: this read fails, the next reconnects.
                    if let Some(shared) = &shared {
                        pool.forget_shared(shared);
                    }
                }
                if let (Some(g), Some(row)) = (gate, row) {
                    record_use = $crate::store::Store::decide_gate(g, row?)?;
                }
                out?
            }
            $crate::store::DbPool::Sqlite(pools) => {
                let mut pooled = pools
                    .read
                    .get()
                    .await
                    .map_err($crate::store::error::StoreError::pool)?;
                let $d = $crate::store::Dialect::Sqlite;
                if let Some(g) = gate {
                    let row =
                        $crate::store::admin::lookup_client_sqlite(&mut pooled, g.client).await;
                    record_use = $crate::store::Store::decide_gate(g, row?)?;
                }
                let $c = &mut *pooled;
                $body
            }
        };
        if record_use && let Some(g) = gate {
            $store.record_client_use(g).await;
        }
        out
    }};
}

/// The database handle shared by every request (cheap to clone).
#[derive(Clone)]
pub struct Store {
    /// The pool.
    pub pool: DbPool,
    /// Writer of read events (None inside the writer itself).
    events: Option<event_queue::EventQueue>,
    /// Membership changes waiting to share a transaction, per group.
    batcher: std::sync::Arc<member_batch::MemberBatcher>,
    /// Rows this process inserted into each of [`ANALYZED_TABLES`] since it last analysed
    /// that table (see [`Store::refresh_statistics`]).
    inserted: std::sync::Arc<[std::sync::atomic::AtomicI64; ANALYZED_TABLES.len()]>,
}

impl Store {
    /// Connect (creating the SQLite file and its folder if needed) and build the pool.
    pub async fn connect(
        location: &DatabaseLocation,
        pool_size: usize,
    ) -> Result<Self, StoreError> {
        let pool = match location {
            DatabaseLocation::Postgres(url) => {
                // `pool_size` connections per process, shared out between the threads that
                // run requests (one actix worker per core).
                let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
                DbPool::Pg(PgPools::new(url.clone(), pool_size.div_ceil(threads)))
            }
            DatabaseLocation::Sqlite(path) => {
                DbPool::Sqlite(SqlitePools::open(path, pool_size.min(8))?)
            }
        };
        let mut store = Store {
            pool,
            events: None,
            batcher: Default::default(),
            inserted: Default::default(),
        };
        store.events = Some(event_queue::EventQueue::start(store.clone()));
        Ok(store)
    }

    /// Record a read event without waiting (written in a batch shortly after).
    pub fn queue_event(&self, event: crate::domain::sync::SyncEvent) {
        if let Some(q) = &self.events {
            q.push(self, event);
        }
    }

    /// Wait until every queued read event is written (shutdown, tests).
    pub async fn flush_events(&self) {
        if let Some(q) = &self.events {
            q.flush(self).await;
        }
    }

    /// The dialect of this store.
    pub fn dialect(&self) -> Dialect {
        match self.pool {
            DbPool::Pg(_) => Dialect::Postgres,
            DbPool::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Run pending migrations. On PostgreSQL an advisory lock lets many replicas start at
    /// once: the first migrates, the others wait and find nothing to do.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        const LOCK: i64 = 0x5C1A_C0EE;
        match &self.pool {
            DbPool::Pg(pool) => {
                let mut conn = pool.get().await?;
                diesel::sql_query(format!("SELECT pg_advisory_lock({LOCK})"))
                    .execute(&mut *conn)
                    .await?;
                let mut harness = AsyncMigrationHarness::new(conn);
                let result = harness
                    .run_pending_migrations(PG_MIGRATIONS)
                    .map(|v| v.len());
                let mut conn = harness.into_inner();
                diesel::sql_query(format!("SELECT pg_advisory_unlock({LOCK})"))
                    .execute(&mut *conn)
                    .await?;
                result.map_err(|e| StoreError::Migration(e.to_string()))
            }
            DbPool::Sqlite(pools) => {
                let (_turn, conn) = pools.write().await?;
                let mut harness = AsyncMigrationHarness::new(conn);
                harness
                    .run_pending_migrations(SQLITE_MIGRATIONS)
                    .map(|v| v.len())
                    .map_err(|e| StoreError::Migration(e.to_string()))
            }
        }
    }

    /// Revert every migration (used by the up/down/up migration test).
    pub async fn revert_all(&self) -> Result<usize, StoreError> {
        match &self.pool {
            DbPool::Pg(pool) => {
                let conn = pool.get().await?;
                let mut harness = AsyncMigrationHarness::new(conn);
                harness
                    .revert_all_migrations(PG_MIGRATIONS)
                    .map(|v| v.len())
                    .map_err(|e| StoreError::Migration(e.to_string()))
            }
            DbPool::Sqlite(pools) => {
                let (_turn, conn) = pools.write().await?;
                let mut harness = AsyncMigrationHarness::new(conn);
                harness
                    .revert_all_migrations(SQLITE_MIGRATIONS)
                    .map(|v| v.len())
                    .map_err(|e| StoreError::Migration(e.to_string()))
            }
        }
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_conn!(self, |c, _d| {
            diesel::sql_query("SELECT 1").execute(c).await?;
            Ok(())
        })
    }
}

/// Tables whose planner statistics the service keeps fresh, with the least time between two
/// upkeeps of each, in seconds, unless the table's size has moved far from what the planner
/// knows (see [`Store::refresh_statistics`]). The request tables wait a minute, autovacuum's
/// own pace (`autovacuum_naptime`): an `ANALYZE` invalidates every cached plan on its table,
/// and under a stream of PATCHes one every second had PostgreSQL re-planning its prepared
/// statements all the time. `sync_events` is an append-only log that every request writes to
/// and only the admin pages read, along its `(tenant, at)` indexes: an `ANALYZE` of it costs
/// as much as a second of requests, so it waits ten minutes between two, and its growth does
/// not cut that short (the third column: a young log doubles every few seconds, and its
/// `ANALYZE` on each doubling was 6% of PostgreSQL's time in a 10-second `mixed` run).
/// `live_counts` (16 rows per tenant and kind) and `live_chunks` (a row per chunk of 1,024
/// entries, 16 in the newest), updated by every create and delete, and `live_order` (whose
/// pages must be all-visible for a page's skip to read its index alone) are there for
/// `VACUUM`.
const ANALYZED_TABLES: [(&str, i32, bool); 8] = [
    ("users", 60, true),
    ("groups", 60, true),
    ("memberships", 60, true),
    ("user_skills", 60, true),
    ("sync_events", 600, false),
    ("live_counts", 60, true),
    ("live_order", 60, true),
    ("live_chunks", 60, true),
];

/// A table of [`ANALYZED_TABLES`], for [`Store::note_inserted`].
#[derive(Debug, Clone, Copy)]
pub enum Analyzed {
    /// `users`.
    Users = 0,
    /// `groups`.
    Groups = 1,
}

#[derive(diesel::QueryableByName)]
struct StaleTable {
    #[diesel(sql_type = diesel::sql_types::Text)]
    relname: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    vacuum: bool,
}

impl Store {
    /// Count rows this process inserted into a table (see [`Store::refresh_statistics`]).
    pub fn note_inserted(&self, table: Analyzed, rows: i64) {
        self.inserted[table as usize].fetch_add(rows, std::sync::atomic::Ordering::Relaxed);
    }

    /// Fold the slots of `live_chunks`' older chunks into one row each (PostgreSQL; nothing
    /// to do on SQLite), so a deep page's chunk walk reads about one row per 1,024 entries
    /// before its start (`live_chunks_fold()`, migration 000013). Creates spread the newest
    /// chunk's count over 16 slots so they do not queue on one row; older chunks change
    /// only by deletions.
    ///
    /// In a transaction of its own that gives up after 50 ms waiting on a row lock (a create
    /// or delete holding its slot's row): the fold is an optimisation, and it waits on no
    /// request; a fold given up is tried again at the next upkeep. It runs on its own
    /// schedule, not with [`Store::refresh_statistics`], whose work autovacuum takes over
    /// where it is on.
    pub async fn fold_live_chunks(&self) -> Result<(), StoreError> {
        let DbPool::Pg(pool) = &self.pool else {
            return Ok(());
        };
        let mut conn = pool.get().await?;
        diesel_async::AsyncConnection::transaction(&mut *conn, async |c| {
            diesel::sql_query("SET LOCAL lock_timeout = '50ms'")
                .execute(c)
                .await?;
            diesel::sql_query("SELECT live_chunks_fold()")
                .execute(c)
                .await
        })
        .await?;
        Ok(())
    }

    /// Table upkeep on PostgreSQL, with autovacuum's own default thresholds:
    /// - `ANALYZE` a table when more than 50 rows + 10% changed since its last analysis.
    ///   Without statistics the planner cannot tell the `userName` index from the
    ///   creation-order index, and a lookup of one user walks the tenant's every row (3 ms
    ///   instead of 0.05 ms at 5,000 users). autovacuum gets there within a minute; after an
    ///   IdP's bulk load that minute is the first sync, so this looks every second, and a
    ///   table the planner has never measured, or whose live rows have more than doubled or
    ///   halved (± 1,000) since it last was, is seen to at once; others wait their gap in
    ///   [`ANALYZED_TABLES`]. PostgreSQL publishes a busy connection's counters up to ten
    ///   seconds late (a connection that goes idle within a second of its last report
    ///   waits `PGSTAT_IDLE_INTERVAL`), long enough for the first lookups after a bulk load
    ///   to be planned without statistics (on the creation-order index, walking the whole
    ///   tenant, in a check), so the rows this process inserted itself
    ///   ([`Store::note_inserted`]) count at once.
    /// - Where autovacuum is off, also `VACUUM` a table past 50 rows + 20% dead, or past
    ///   1,000 rows + 20% inserted: the visibility map is what lets a page of users or a
    ///   count read the creation-order index alone.
    ///
    /// Returns the tables seen to.
    pub async fn refresh_statistics(&self) -> Result<Vec<String>, StoreError> {
        let DbPool::Pg(pool) = &self.pool else {
            return Ok(Vec::new());
        };
        let mut conn = pool.get().await?;
        let inserted: Vec<i64> = self
            .inserted
            .iter()
            .map(|n| n.load(std::sync::atomic::Ordering::Relaxed))
            .collect();
        let stale: Vec<StaleTable> = diesel::sql_query(
            "SELECT relname::text AS relname, vacuum FROM (SELECT t.relname, \
               GREATEST(n_mod_since_analyze, k.ins) > 50 + 0.1 * GREATEST(n_live_tup, 0) \
                 AS stale, \
               current_setting('autovacuum') = 'off' AND \
                 (n_dead_tup > 50 + 0.2 * GREATEST(n_live_tup, 0) \
                  OR GREATEST(n_ins_since_vacuum, k.ins) > 1000 + 0.2 * GREATEST(n_live_tup, 0)) \
                 AS vacuum, \
               COALESCE(GREATEST(last_analyze, last_autoanalyze), '-infinity') \
                 < now() - make_interval(secs => k.gap) \
               OR c.reltuples < 0 \
               OR k.growth AND (GREATEST(n_live_tup, c.reltuples + k.ins) > 2 * c.reltuples + 1000 \
                 OR 2 * n_live_tup + 1000 < c.reltuples) AS due \
             FROM pg_stat_user_tables t \
             JOIN pg_class c ON c.oid = t.relid \
             JOIN unnest($1::text[], $2::int[], $3::bigint[], $4::bool[]) AS k(name, gap, ins, growth) \
               ON k.name = t.relname \
             WHERE t.schemaname = current_schema()) s \
             WHERE (stale OR vacuum) AND due",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(
            ANALYZED_TABLES
                .iter()
                .map(|t| t.0.to_string())
                .collect::<Vec<_>>(),
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Integer>, _>(
            ANALYZED_TABLES.iter().map(|t| t.1).collect::<Vec<_>>(),
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(&inserted)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Bool>, _>(
            ANALYZED_TABLES.iter().map(|t| t.2).collect::<Vec<_>>(),
        )
        .load(&mut *conn)
        .await?;
        let mut done = Vec::new();
        if !stale.is_empty() {
            // Throttled as autovacuum throttles itself (autovacuum_vacuum_cost_delay 2 ms):
            // upkeep must not take the I/O and CPU the requests need.
            diesel::sql_query("SET vacuum_cost_delay = '2ms'")
                .execute(&mut *conn)
                .await?;
        }
        for t in stale {
            // Names come from the fixed list above, never from input.
            if let Some((name, _, _)) = ANALYZED_TABLES.iter().find(|n| n.0 == t.relname) {
                // Statistics first, then the (throttled, longer) VACUUM: as one `VACUUM
                // (ANALYZE)` the statistics came only after the vacuum, and lookups right
                // after a bulk load of a new table were planned without them for a second
                // more (a `userName eq` walking the tenant's creation-order index, 1,700/s
                // instead of 12,000/s, in a run of 3,000 creates then lookups).
                diesel::sql_query(format!("ANALYZE {name}"))
                    .execute(&mut *conn)
                    .await?;
                // What this process inserted before the ANALYZE is in its statistics now.
                if let Some(i) = ANALYZED_TABLES.iter().position(|n| n.0 == *name) {
                    self.inserted[i].fetch_sub(inserted[i], std::sync::atomic::Ordering::Relaxed);
                }
                if t.vacuum {
                    diesel::sql_query(format!("VACUUM {name}"))
                        .execute(&mut *conn)
                        .await?;
                }
                done.push((*name).to_string());
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_counted_table_names_its_row_of_the_analysed_tables() {
        assert_eq!(ANALYZED_TABLES[Analyzed::Users as usize].0, "users");
        assert_eq!(ANALYZED_TABLES[Analyzed::Groups as usize].0, "groups");
    }
}
