//! Sync events and the per-resource "last sync" columns.

use std::future::Future;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::domain::sync::{Action, SyncEvent};
use crate::store::error::StoreError;
use crate::store::models::NewSyncEvent;
use crate::store::schema::{groups, sync_events, users};
use crate::store::{SqliteConn, Store};
use crate::with_tx;

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

macro_rules! impl_event_writer {
    ($conn:ty) => {
        impl EventWriter for $conn {
            async fn write_event(&mut self, e: &SyncEvent) -> Result<(), StoreError> {
                diesel::insert_into(sync_events::table)
                    .values(NewSyncEvent::from_event(e))
                    .execute(self)
                    .await?;
                Ok(())
            }

            async fn write_last_sync(&mut self, e: &SyncEvent, now: i64) -> Result<(), StoreError> {
                let (Some(id), Some(kind)) = (e.resource_id.as_deref(), e.resource_type) else {
                    return Ok(());
                };
                if e.action == Action::Read {
                    return Ok(());
                }
                let client = e.client.map(|c| c.to_string());
                let tenant = e.tenant.to_string();
                let outcome = e.outcome.as_str();
                if kind == "User" {
                    diesel::update(
                        users::table
                            .filter(users::id.eq(id))
                            .filter(users::tenant_id.eq(&tenant)),
                    )
                    .set((
                        users::last_sync_at.eq(now),
                        users::last_sync_client.eq(client),
                        users::last_sync_outcome.eq(outcome),
                    ))
                    .execute(self)
                    .await?;
                } else {
                    diesel::update(
                        groups::table
                            .filter(groups::id.eq(id))
                            .filter(groups::tenant_id.eq(&tenant)),
                    )
                    .set((
                        groups::last_sync_at.eq(now),
                        groups::last_sync_client.eq(client),
                        groups::last_sync_outcome.eq(outcome),
                    ))
                    .execute(self)
                    .await?;
                }
                Ok(())
            }
        }
    };
}

impl_event_writer!(AsyncPgConnection);
impl_event_writer!(SqliteConn);

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

/// A write statement preceded by the insert of its sync event in the same statement
/// (`WITH event AS (INSERT INTO sync_events …) <write>`, PostgreSQL only): a data-modifying
/// `WITH` runs in the statement's own transaction, so the row and its event commit together,
/// or neither does (a unique violation of the write takes the event with it), in one round
/// trip instead of `BEGIN`, two statements and `COMMIT`.
#[derive(Debug)]
pub struct WithEvent<E, W> {
    event: E,
    write: W,
}

/// `write`, with `event` inserted by the same statement.
pub fn with_event<W>(
    event: &SyncEvent,
    write: W,
) -> WithEvent<impl diesel::query_builder::QueryFragment<diesel::pg::Pg> + Send, W> {
    WithEvent {
        event: diesel::insert_into(sync_events::table).values(NewSyncEvent::from_event(event)),
        write,
    }
}

impl<E, W> diesel::query_builder::QueryId for WithEvent<E, W> {
    type QueryId = ();
    // Keyed on the SQL text in diesel's statement cache (it has one text per write shape).
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<E, W: diesel::query_builder::Query> diesel::query_builder::Query for WithEvent<E, W> {
    type SqlType = W::SqlType;
}

impl<E, W> diesel::query_builder::QueryFragment<diesel::pg::Pg> for WithEvent<E, W>
where
    E: diesel::query_builder::QueryFragment<diesel::pg::Pg>,
    W: diesel::query_builder::QueryFragment<diesel::pg::Pg>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        out.push_sql("WITH event AS (");
        self.event.walk_ast(out.reborrow())?;
        out.push_sql(") ");
        self.write.walk_ast(out.reborrow())
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
