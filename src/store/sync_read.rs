//! Reading sync events back: the most recent events of a tenant, newest first (used by the
//! conformance replays to check that every tolerated coercion was recorded).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::domain::ids::TenantId;
use crate::store::Store;
use crate::store::error::StoreError;
use crate::store::schema::sync_events;
use crate::with_conn;

/// One stored sync event, as read back from `sync_events`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = sync_events)]
pub struct StoredEvent {
    /// Event id (UUID v7 text).
    pub id: String,
    /// When, in microseconds since the epoch.
    pub at: i64,
    /// Client (token) id.
    pub client_id: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path and query as received.
    pub path: String,
    /// `User` or `Group`.
    pub resource_type: Option<String>,
    /// The resource's id.
    pub resource_id: Option<String>,
    /// What the request amounted to (`create`, `deactivate`, `rejected`, ...).
    pub action: String,
    /// `ok`, `rejected` or `error`.
    pub outcome: String,
    /// HTTP status answered.
    pub status: i32,
    /// scimType of a refusal.
    pub scim_type: Option<String>,
    /// Human detail of a refusal.
    pub detail: Option<String>,
    /// JSON array of the coercions applied, or `None` when there were none.
    pub coercions: Option<String>,
    /// The admin who made the change (session subject or admin token name); `None` for a
    /// SCIM client's request.
    pub actor: Option<String>,
}

impl StoredEvent {
    /// The coercions as a list (empty when none were recorded or the column is unreadable).
    pub fn coercion_list(&self) -> Vec<String> {
        self.coercions
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default()
    }
}

impl Store {
    /// The `limit` most recent sync events of `tenant`, newest first (ties broken by the
    /// time-ordered event id).
    pub async fn recent_events(
        &self,
        tenant: TenantId,
        limit: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let tenant = tenant.to_string();
        let rows: Vec<StoredEvent> = with_conn!(self, |c, _d| {
            sync_events::table
                .filter(sync_events::tenant_id.eq(&tenant))
                .select(StoredEvent::as_select())
                .order((sync_events::at.desc(), sync_events::id.desc()))
                .limit(limit.max(0))
                .load(c)
                .await?
        });
        Ok(rows)
    }
}
