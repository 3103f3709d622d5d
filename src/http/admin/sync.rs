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
use crate::http::AppState;
use crate::http::admin::auth::AdminCtx;
use crate::http::admin::{Query, event_json, ok, param};
use crate::http::error::ApiError;
use crate::scim::error::ScimError;

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

/// `GET /admin/api/events`.
pub async fn events(
    state: web::Data<AppState>,
    admin: AdminCtx,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let query = event_query(&q)?;
    let rows = state
        .store
        .query_events(admin.tenant, &query)
        .await
        .map_err(DomainError::from)?;
    let names = client_names(&state, &admin).await?;
    let next = (rows.len() as i64 == query.limit)
        .then(|| {
            rows.last()
                .map(|e| json!({"before": e.id, "beforeAt": e.at}))
        })
        .flatten();
    Ok(ok(json!({
        "events": rows.iter().map(|e| event_json(e, &names)).collect::<Vec<_>>(),
        "next": next,
    })))
}

/// `GET /admin/api/sync/status`: account counts, and per SCIM client its last contact,
/// requests and errors per hour (24 h) and per day (30 days), and its latest rejections.
pub async fn status(state: web::Data<AppState>, admin: AdminCtx) -> Result<HttpResponse, ApiError> {
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
    let names = client_names(&state, &admin).await?;
    let mut clients = Vec::new();
    for c in store
        .list_clients(admin.tenant)
        .await
        .map_err(DomainError::from)?
    {
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
            .max(c.last_used_at)
            .map(|t| t.to_rfc3339());
        clients.push(json!({
            "id": id,
            "name": c.name,
            "createdAt": c.created_at.to_rfc3339(),
            "revokedAt": c.revoked_at.map(|t| t.to_rfc3339()),
            "lastContact": last_contact,
            "requests24h": h.iter().map(|b| b.requests).sum::<i64>(),
            "errors24h": h.iter().map(|b| b.errors).sum::<i64>(),
            "requests30d": d.iter().map(|b| b.requests).sum::<i64>(),
            "errors30d": d.iter().map(|b| b.errors).sum::<i64>(),
            "hourly": buckets_json(&h, HOUR_US),
            "daily": buckets_json(&d, DAY_US),
            "recentRejections": rejections.iter().map(|e| event_json(e, &names)).collect::<Vec<_>>(),
        }));
    }
    Ok(ok(json!({
        "generatedAt": now.to_rfc3339(),
        "accounts": {"active": counts.active, "deactivated": counts.deactivated, "deleted": counts.deleted},
        "retentionDays": state.admin.event_retention_days,
        "clients": clients,
    })))
}
