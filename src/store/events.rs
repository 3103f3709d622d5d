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
        // One multi-row INSERT.
        diesel::insert_into(sync_events::table)
            .values(rows)
            .execute(self)
            .await?;
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
