//! Sync events and the per-resource "last sync" columns.

use std::future::Future;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::domain::sync::{Action, SyncEvent};
use crate::store::error::StoreError;
use crate::store::models::NewSyncEvent;
use crate::store::raw_query::{Bind, Sql};
use crate::store::schema::sync_events;
use crate::store::{Dialect, SqliteConn, Store};
use crate::{with_tx, with_write};

/// Writes events on a connection of either backend (used inside write transactions).
pub trait EventWriter {
    /// Insert one event.
    fn write_event(&mut self, e: &SyncEvent)
    -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Set the resource's last sync time, client and outcome from an event.
    fn write_last_sync(
        &mut self,
        e: &SyncEvent,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Append the `UPDATE` of the event's resource's last-sync columns; false (nothing
/// appended) when the event sets none ([`syncs_resource`]).
fn push_last_sync(sql: &mut Sql, e: &SyncEvent, now: i64) -> bool {
    let (Some(id), Some(kind), true) =
        (e.resource_id.as_deref(), e.resource_type, syncs_resource(e))
    else {
        return false;
    };
    sql.push(if kind == "User" {
        "UPDATE users"
    } else {
        "UPDATE groups"
    })
    .push(" SET last_sync_at = ")
    .bind(Bind::Int(now))
    .push(", last_sync_client = ")
    .bind(Bind::OptText(e.client.map(|c| c.to_string())))
    .push(", last_sync_outcome = ")
    .bind(Bind::Text(e.outcome.as_str().to_string()))
    .push(" WHERE id = ")
    .bind(Bind::Text(id.to_string()))
    .push(" AND tenant_id = ")
    .bind(Bind::Text(e.tenant.to_string()));
    true
}

/// The `UPDATE` of the event's resource's last-sync columns, if the event sets any.
pub fn last_sync_sql(dialect: Dialect, e: &SyncEvent, now: i64) -> Option<Sql> {
    let mut sql = Sql::new(dialect);
    push_last_sync(&mut sql, e, now).then_some(sql)
}

/// On PostgreSQL, an event and its resource's last-sync columns (a write that changed
/// nothing, such as a PATCH setting `active` to what it is) in one statement, `WITH event AS
/// (INSERT INTO sync_events …) UPDATE … SET last_sync_…`: one round trip and one commit,
/// where a transaction of the two was four statements.
pub fn event_and_sync_sql(e: &SyncEvent, now: i64) -> Sql {
    let mut sql = Sql::new(Dialect::Postgres);
    sql.push("WITH event AS (");
    push_insert_event(&mut sql, &NewSyncEvent::from_event(e));
    sql.push(") ");
    if !push_last_sync(&mut sql, e, now) {
        sql.push("SELECT 1");
    }
    sql
}

/// Whether an event sets its resource's last-sync columns: a change (or refused change) of
/// a named resource; reads do not.
fn syncs_resource(e: &SyncEvent) -> bool {
    e.resource_id.is_some() && e.resource_type.is_some() && e.action != Action::Read
}

macro_rules! impl_event_writer {
    ($conn:ty, $dialect:expr) => {
        impl EventWriter for $conn {
            async fn write_event(&mut self, e: &SyncEvent) -> Result<(), StoreError> {
                insert_event_sql($dialect, &NewSyncEvent::from_event(e))
                    .query(true)
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn write_last_sync(&mut self, e: &SyncEvent, now: i64) -> Result<(), StoreError> {
                if let Some(sql) = last_sync_sql($dialect, e, now) {
                    sql.query(true).execute(self).await?;
                }
                Ok(())
            }
        }
    };
}

impl_event_writer!(AsyncPgConnection, Dialect::Postgres);
impl_event_writer!(SqliteConn, Dialect::Sqlite);

/// Columns of `sync_events` in the order of [`event_binds`].
const EVENT_COLUMNS: &str = "id, tenant_id, client_id, at, method, path, resource_type, \
     resource_id, action, outcome, status, scim_type, detail, coercions, duration_us, actor";

/// An event row's values, every column bound (NULL included), so that the statements that
/// insert events keep one text and stay prepared: diesel never keeps an `INSERT` with
/// optional values (`DEFAULT` for None) or any `UPDATE` as a prepared statement, and
/// PostgreSQL parsed and planned the writes of every request anew (a tenth of its time
/// under PATCH).
fn event_binds(e: &NewSyncEvent) -> [Bind; 16] {
    [
        Bind::Text(e.id.clone()),
        Bind::Text(e.tenant_id.clone()),
        Bind::OptText(e.client_id.clone()),
        Bind::Int(e.at),
        Bind::Text(e.method.clone()),
        Bind::Text(e.path.clone()),
        Bind::OptText(e.resource_type.clone()),
        Bind::OptText(e.resource_id.clone()),
        Bind::Text(e.action.clone()),
        Bind::Text(e.outcome.clone()),
        Bind::Int(i64::from(e.status)),
        Bind::OptText(e.scim_type.clone()),
        Bind::OptText(e.detail.clone()),
        Bind::OptText(e.coercions.clone()),
        Bind::Int(e.duration_us),
        Bind::OptText(e.actor.clone()),
    ]
}

/// `INSERT INTO sync_events (…) VALUES (…)` for one event.
pub fn insert_event_sql(dialect: Dialect, e: &NewSyncEvent) -> Sql {
    let mut sql = Sql::new(dialect);
    push_insert_event(&mut sql, e);
    sql
}

/// Append `INSERT INTO sync_events (…) VALUES (…)` for one event.
pub fn push_insert_event(sql: &mut Sql, e: &NewSyncEvent) {
    sql.push("INSERT INTO sync_events (")
        .push(EVENT_COLUMNS)
        .push(") VALUES (")
        .bind_list(event_binds(e))
        .push(")");
}

/// Append `, event AS (INSERT INTO sync_events (…) SELECT … WHERE EXISTS (SELECT 1 FROM
/// <cte>))` to a PostgreSQL `WITH` list: the event is inserted by the same statement as the
/// write named `cte`, and only if that write returned a row, so the two commit together
/// (design.md section 4) in one round trip, and a write that matched nothing (a lost race on
/// the version) records nothing.
pub fn push_event_after(sql: &mut Sql, cte: &str, e: &NewSyncEvent) {
    sql.push(", event AS (");
    push_insert_event_if(sql, e, |sql| {
        sql.push("EXISTS (SELECT 1 FROM ").push(cte).push(")");
    });
    sql.push(")");
}

/// Append `INSERT INTO sync_events (…) SELECT … WHERE <condition>` for one event: inserted
/// only if the condition `cond` appends holds.
pub fn push_insert_event_if(sql: &mut Sql, e: &NewSyncEvent, cond: impl FnOnce(&mut Sql)) {
    sql.push("INSERT INTO sync_events (")
        .push(EVENT_COLUMNS)
        .push(") SELECT ")
        .bind_list(event_binds(e))
        .push(" WHERE ");
    cond(sql);
}

/// Writes many event rows at once (the batches of read events).
pub trait EventBatchWriter {
    /// Insert rows, in as few statements as the backend allows.
    fn write_event_rows(
        &mut self,
        rows: &[NewSyncEvent],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl EventBatchWriter for AsyncPgConnection {
    async fn write_event_rows(&mut self, rows: &[NewSyncEvent]) -> Result<(), StoreError> {
        EventColumns::of(rows).execute(self).await?;
        Ok(())
    }
}

/// Event rows as one array per column, inserted by one statement of fixed text
/// (`INSERT … SELECT * FROM unnest($1, …, $16)`): PostgreSQL parses and plans it once per
/// connection, where a multi-row `VALUES` has new text, and a new parse of hundreds of
/// parameters, for every batch size.
#[derive(Debug, Default)]
struct EventColumns {
    id: Vec<String>,
    tenant_id: Vec<String>,
    client_id: Vec<Option<String>>,
    at: Vec<i64>,
    method: Vec<String>,
    path: Vec<String>,
    resource_type: Vec<Option<String>>,
    resource_id: Vec<Option<String>>,
    action: Vec<String>,
    outcome: Vec<String>,
    status: Vec<i32>,
    scim_type: Vec<Option<String>>,
    detail: Vec<Option<String>>,
    coercions: Vec<Option<String>>,
    duration_us: Vec<i64>,
    actor: Vec<Option<String>>,
}

impl EventColumns {
    fn of(rows: &[NewSyncEvent]) -> Self {
        let mut c = EventColumns::default();
        for r in rows {
            c.id.push(r.id.clone());
            c.tenant_id.push(r.tenant_id.clone());
            c.client_id.push(r.client_id.clone());
            c.at.push(r.at);
            c.method.push(r.method.clone());
            c.path.push(r.path.clone());
            c.resource_type.push(r.resource_type.clone());
            c.resource_id.push(r.resource_id.clone());
            c.action.push(r.action.clone());
            c.outcome.push(r.outcome.clone());
            c.status.push(r.status);
            c.scim_type.push(r.scim_type.clone());
            c.detail.push(r.detail.clone());
            c.coercions.push(r.coercions.clone());
            c.duration_us.push(r.duration_us);
            c.actor.push(r.actor.clone());
        }
        c
    }
}

impl diesel::query_builder::QueryId for EventColumns {
    type QueryId = EventColumns;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for EventColumns {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
        out.push_sql(
            "INSERT INTO sync_events (id, tenant_id, client_id, at, method, path, \
             resource_type, resource_id, action, outcome, status, scim_type, detail, \
             coercions, duration_us, actor) SELECT * FROM unnest(",
        );
        out.push_bind_param::<Array<Text>, _>(&self.id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.tenant_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.client_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.method)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.path)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.resource_type)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.resource_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.action)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.outcome)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Integer>, _>(&self.status)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.scim_type)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.detail)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.coercions)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.duration_us)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.actor)?;
        out.push_sql(")");
        Ok(())
    }
}

impl EventBatchWriter for SqliteConn {
    async fn write_event_rows(&mut self, rows: &[NewSyncEvent]) -> Result<(), StoreError> {
        // SQLite has no DEFAULT in a multi-row VALUES, so diesel inserts row by row; each
        // is a call into the embedded library, not a round trip.
        for row in rows {
            diesel::insert_into(sync_events::table)
                .values(row)
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

/// Insert an event on `c`.
pub async fn insert_event<C: EventWriter>(c: &mut C, e: &SyncEvent) -> Result<(), StoreError> {
    c.write_event(e).await
}

/// Update the resource's last-sync columns from an event.
pub async fn mark_synced<C: EventWriter>(
    c: &mut C,
    e: &SyncEvent,
    now: i64,
) -> Result<(), StoreError> {
    c.write_last_sync(e, now).await
}

impl Store {
    /// See `Directory::record_events`.
    pub async fn record_events_impl(&self, events: Vec<SyncEvent>) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        // One multi-row INSERT per chunk, not one round trip per event (a busy service
        // records thousands of reads a second); 256 rows x 16 columns stays well under both
        // backends' parameter limits.
        const ROWS_PER_INSERT: usize = 256;
        let rows: Vec<NewSyncEvent> = events.iter().map(NewSyncEvent::from_event).collect();
        if self.dialect() == Dialect::Postgres
            && rows.len() <= ROWS_PER_INSERT
            && !events.iter().any(syncs_resource)
        {
            // On PostgreSQL one statement (the usual batch: reads) commits on its own: no
            // BEGIN and COMMIT round trips around it. SQLite has no round trips to save, and
            // there a batch in autocommit cost the readers more than `BEGIN IMMEDIATE` did
            // (filtered GETs 15,400 -> 11,800/s in a check).
            return with_write!(self, |c, _d| c.write_event_rows(&rows).await);
        }
        with_tx!(self, |c, _d| {
            for chunk in rows.chunks(ROWS_PER_INSERT) {
                c.write_event_rows(chunk).await?;
            }
            for e in &events {
                c.write_last_sync(e, e.at.timestamp_micros()).await?;
            }
            Ok::<_, StoreError>(())
        })
    }
}
