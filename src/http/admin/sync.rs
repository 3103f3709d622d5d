//! `/admin/api/sync/status` and `/admin/api/events`: what every sync did, per client, and
//! the event log with its filters.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::domain::admin::sync::{
    Bucket, ClientFilter, DAY_US, EventQuery, HOUR_US, MAX_EVENTS, series,
};
use crate::domain::clock::from_micros;
use crate::domain::error::DomainError;
use crate::domain::tenant::ScimClient;
use crate::http::AppState;
use crate::http::admin::auth::AdminCtx;
use crate::http::admin::{Query, event_json, ok, param};
use crate::http::error::ApiError;
use crate::scim::error::ScimError;
use crate::store::admin_console::AccountCounts;
use crate::store::sync_read::StoredEvent;

/// Rejections shown per client.
const RECENT_REJECTIONS: i64 = 10;

fn buckets_json(b: &[Bucket], width: i64) -> Value {
    Value::Array(
        b.iter()
            .map(|b| json!({"start": from_micros(b.index * width).to_rfc3339(), "requests": b.requests, "errors": b.errors}))
            .collect(),
    )
}

fn time_param(q: &[(String, String)], name: &str) -> Result<Option<i64>, ApiError> {
    param(q, name)
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc).timestamp_micros())
                .map_err(|_| {
                    ApiError(ScimError::invalid_value(format!(
                        "{name} must be an RFC 3339 time"
                    )))
                })
        })
        .transpose()
}

/// The event-log query of URL parameters: client (id or `admin`), user, group, action,
/// outcome, from, to, before (an event id of the previous page), limit.
pub fn event_query(q: &[(String, String)]) -> Result<EventQuery, ApiError> {
    let mut eq = EventQuery {
        client: param(q, "client").map(|c| {
            if c.eq_ignore_ascii_case("admin") {
                ClientFilter::Admin
            } else {
                ClientFilter::Client(c.to_string())
            }
        }),
        action: param(q, "action").map(str::to_string),
        outcome: param(q, "outcome").map(str::to_string),
        from: time_param(q, "from")?,
        to: time_param(q, "to")?,
        limit: match param(q, "limit") {
            None => 100,
            Some(l) => l
                .parse::<i64>()
                .map_err(|_| ApiError(ScimError::invalid_value("limit must be an integer")))?
                .clamp(1, MAX_EVENTS),
        },
        ..EventQuery::default()
    };
    if let Some(u) = param(q, "user") {
        eq.resource_type = Some("User".into());
        eq.resource_id = Some(u.to_string());
    }
    if let Some(g) = param(q, "group") {
        eq.resource_type = Some("Group".into());
        eq.resource_id = Some(g.to_string());
    }
    if let Some(b) = param(q, "before") {
        // Event ids are UUID v7 (time-ordered); the page before is keyed by (at, id).
        let at = param(q, "beforeAt")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| {
                ApiError(ScimError::invalid_value(
                    "before needs beforeAt (the event's time in µs)",
                ))
            })?;
        eq.before = Some((at, b.to_string()));
    }
    Ok(eq)
}

/// Client names by id (revoked ones included).
pub async fn client_names(
    state: &AppState,
    admin: &AdminCtx,
) -> Result<HashMap<String, String>, ApiError> {
    Ok(state
        .store
        .list_clients(admin.tenant)
        .await
        .map_err(DomainError::from)?
        .into_iter()
        .map(|c| (c.id.to_string(), c.name))
        .collect())
}

/// A page of the event log, with client names and the keyset of the following page.
#[derive(Debug)]
pub struct EventPage {
    /// Events, newest first.
    pub events: Vec<StoredEvent>,
    /// Client names by id (revoked ones included).
    pub names: HashMap<String, String>,
    /// `(before, beforeAt)` of the following page, when the page is full.
    pub next: Option<(String, i64)>,
}

/// Run an event-log query (the JSON log, the console's Events page and timelines).
pub async fn event_page(
    state: &AppState,
    admin: &AdminCtx,
    query: &EventQuery,
) -> Result<EventPage, ApiError> {
    let events = state
        .store
        .query_events(admin.tenant, query)
        .await
        .map_err(DomainError::from)?;
    let names = client_names(state, admin).await?;
    let next = (events.len() as i64 == query.limit)
        .then(|| events.last().map(|e| (e.id.clone(), e.at)))
        .flatten();
    Ok(EventPage {
        events,
        names,
        next,
    })
}

impl EventPage {
    /// The admin JSON of the page.
    pub fn to_json(&self) -> Value {
        json!({
            "events": self.events.iter().map(|e| event_json(e, &self.names)).collect::<Vec<_>>(),
            "next": self.next.as_ref().map(|(id, at)| json!({"before": id, "beforeAt": at})),
        })
    }
}

/// `GET /admin/api/events`.
pub async fn events(
    state: web::Data<AppState>,
    admin: AdminCtx,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let query = event_query(&q)?;
    Ok(ok(event_page(&state, &admin, &query).await?.to_json()))
}

/// One SCIM client as the sync status shows it.
#[derive(Debug)]
pub struct ClientStatus {
    /// The client.
    pub client: ScimClient,
    /// Its last request (event or token use).
    pub last_contact: Option<DateTime<Utc>>,
    /// Requests and errors per hour, the last 24 hours (oldest first).
    pub hourly: Vec<Bucket>,
    /// Requests and errors per day, the last 30 days (oldest first).
    pub daily: Vec<Bucket>,
    /// Its latest rejections, newest first.
    pub rejections: Vec<StoredEvent>,
}

/// The sync status of a tenant.
#[derive(Debug)]
pub struct SyncStatus {
    /// When it was computed.
    pub now: DateTime<Utc>,
    /// Accounts by lifecycle state.
    pub counts: AccountCounts,
    /// One entry per SCIM client, revoked ones included.
    pub clients: Vec<ClientStatus>,
    /// Client names by id.
    pub names: HashMap<String, String>,
}

/// Account counts, and per SCIM client its last contact, requests and errors per hour
/// (24 h) and per day (30 days), and its latest rejections.
pub async fn status_data(state: &AppState, admin: &AdminCtx) -> Result<SyncStatus, ApiError> {
    let now = state.prov.clock.now();
    let now_us = now.timestamp_micros();
    let store = &state.store;
    let counts = store
        .account_counts(admin.tenant)
        .await
        .map_err(DomainError::from)?;
    let hourly = store
        .event_buckets(admin.tenant, (now_us / HOUR_US - 23) * HOUR_US, HOUR_US)
        .await
        .map_err(DomainError::from)?;
    let daily = store
        .event_buckets(admin.tenant, (now_us / DAY_US - 29) * DAY_US, DAY_US)
        .await
        .map_err(DomainError::from)?;
    let contacts = store
        .last_contacts(admin.tenant)
        .await
        .map_err(DomainError::from)?;
    let list = store
        .list_clients(admin.tenant)
        .await
        .map_err(DomainError::from)?;
    let names = list
        .iter()
        .map(|c| (c.id.to_string(), c.name.clone()))
        .collect();
    let mut clients = Vec::new();
    for c in list {
        let id = c.id.to_string();
        let key = Some(id.clone());
        let h = series(
            hourly.get(&key).map_or(&[][..], Vec::as_slice),
            now,
            HOUR_US,
            24,
        );
        let d = series(
            daily.get(&key).map_or(&[][..], Vec::as_slice),
            now,
            DAY_US,
            30,
        );
        let rejections = store
            .query_events(
                admin.tenant,
                &EventQuery {
                    client: Some(ClientFilter::Client(id.clone())),
                    outcome: Some("rejected".into()),
                    limit: RECENT_REJECTIONS,
                    ..EventQuery::default()
                },
            )
            .await
            .map_err(DomainError::from)?;
        let last_contact = contacts
            .get(&id)
            .copied()
            .map(from_micros)
            .max(c.last_used_at);
        clients.push(ClientStatus {
            client: c,
            last_contact,
            hourly: h,
            daily: d,
            rejections,
        });
    }
    Ok(SyncStatus {
        now,
        counts,
        clients,
        names,
    })
}

/// `GET /admin/api/sync/status`: [`status_data`] as JSON.
pub async fn status(state: web::Data<AppState>, admin: AdminCtx) -> Result<HttpResponse, ApiError> {
    let s = status_data(&state, &admin).await?;
    let clients: Vec<Value> = s
        .clients
        .iter()
        .map(|c| {
            json!({
                "id": c.client.id.to_string(),
                "name": c.client.name,
                "createdAt": c.client.created_at.to_rfc3339(),
                "revokedAt": c.client.revoked_at.map(|t| t.to_rfc3339()),
                "lastContact": c.last_contact.map(|t| t.to_rfc3339()),
                "requests24h": c.hourly.iter().map(|b| b.requests).sum::<i64>(),
                "errors24h": c.hourly.iter().map(|b| b.errors).sum::<i64>(),
                "requests30d": c.daily.iter().map(|b| b.requests).sum::<i64>(),
                "errors30d": c.daily.iter().map(|b| b.errors).sum::<i64>(),
                "hourly": buckets_json(&c.hourly, HOUR_US),
                "daily": buckets_json(&c.daily, DAY_US),
                "recentRejections": c.rejections.iter().map(|e| event_json(e, &s.names)).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(ok(json!({
        "generatedAt": s.now.to_rfc3339(),
        "accounts": {"active": s.counts.active, "deactivated": s.counts.deactivated, "deleted": s.counts.deleted},
        "retentionDays": state.admin.event_retention_days,
        "clients": clients,
    })))
}
