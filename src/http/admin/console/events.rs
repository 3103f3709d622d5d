//! The Events page (the sync log with its filters) and the timelines of users and groups.

use std::collections::HashMap;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web;
use chrono::{NaiveDate, NaiveDateTime, SecondsFormat};
use maud::{Markup, html};

use crate::domain::clock::from_micros;
use crate::domain::sync::{Action, Outcome};
use crate::http::AppState;
use crate::http::admin::console::{Console, PageError, page_with_status, seg, url_with, when};
use crate::http::admin::sync::{EventPage, event_page, event_query};
use crate::http::admin::{Query, param};
use crate::store::sync_read::StoredEvent;

/// Every action an event may record, for the filter.
const ACTIONS: [Action; 11] = [
    Action::Create,
    Action::Update,
    Action::Deactivate,
    Action::Reactivate,
    Action::Delete,
    Action::MembershipAdd,
    Action::MembershipRemove,
    Action::MembershipChange,
    Action::Read,
    Action::Bulk,
    Action::Rejected,
];

/// Every outcome, for the filter.
const OUTCOMES: [Outcome; 3] = [Outcome::Ok, Outcome::Rejected, Outcome::Error];

/// The filters of the Events page, in URL order.
const FILTERS: [&str; 7] = ["client", "user", "group", "action", "outcome", "from", "to"];

/// `from`/`to` as typed in the form: RFC 3339, or a date and time (UTC) without an offset.
fn normalise_time(v: &str) -> String {
    let v = v.trim();
    if chrono::DateTime::parse_from_rfc3339(v).is_ok() {
        return v.to_string();
    }
    for fmt in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, fmt) {
            return t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true);
        }
    }
    if let Some(t) = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true);
    }
    v.to_string()
}

/// The page's query with `from`/`to` in the API's form.
fn normalised(q: &[(String, String)]) -> Vec<(String, String)> {
    q.iter()
        .map(|(k, v)| {
            if k == "from" || k == "to" {
                (k.clone(), normalise_time(v))
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect()
}

/// Who made the change: the client's name, or "admin" and which admin.
fn actor(e: &StoredEvent, names: &HashMap<String, String>) -> Markup {
    match &e.client_id {
        Some(c) => html! { (names.get(c).map_or("(removed client)", String::as_str)) },
        None => html! {
            "admin"
            @if let Some(a) = &e.actor { " " span.admin-actor title="admin who made it" { (a) } }
        },
    }
}

/// The console page of an event's resource.
pub fn resource_link(e: &StoredEvent) -> Markup {
    match (e.resource_type.as_deref(), e.resource_id.as_deref()) {
        (Some(kind @ ("User" | "Group")), Some(id)) => {
            let base = if kind == "User" {
                "/admin/users"
            } else {
                "/admin/groups"
            };
            let short: String = id.chars().take(8).collect();
            html! { a href=(format!("{base}/{}", seg(id))) title=(id) { (kind) " " (short) } }
        }
        (Some(kind), _) => html! { (kind) },
        _ => html! { span.none { "—" } },
    }
}

fn coercions(e: &StoredEvent) -> Markup {
    let list = e.coercion_list();
    html! {
        @if !list.is_empty() {
            ul.coercions { @for c in &list { li { (c) } } }
        }
    }
}

/// A resource's timeline: `ol#timeline`, one `li.event` per event, newest first.
pub fn timeline(events: &[StoredEvent], names: &HashMap<String, String>) -> Markup {
    html! {
        @if events.is_empty() {
            p.none #timeline-empty { "No sync event touched it within the retention period." }
        }
        ol #timeline {
            @for e in events {
                li.event.(format!("outcome-{}", e.outcome)) data-outcome=(e.outcome) data-action=(e.action) data-event-id=(e.id) {
                    div.head {
                        (when(from_micros(e.at)))
                        " " span.actor { (actor(e, names)) }
                        " " span.action { (e.action) }
                        " " span.outcome { (e.outcome) }
                    }
                    div.request {
                        code.method { (e.method) } " " code.path { (e.path) }
                        " → " span.status { (e.status) }
                        @if let Some(t) = &e.scim_type { " " span.scim-type { (t) } }
                    }
                    @if let Some(d) = &e.detail { p.detail { (d) } }
                    (coercions(e))
                }
            }
        }
    }
}

fn filter_form(q: &[(String, String)], names: &HashMap<String, String>) -> Markup {
    let v = |k: &str| param(q, k).unwrap_or_default().to_string();
    let mut clients: Vec<(&String, &String)> = names.iter().collect();
    clients.sort_by_key(|a| a.1.to_lowercase());
    html! {
        form #event-filter .filters method="get" action="/admin/events" {
            label { "Client " select name="client" {
                option value="" { "any" }
                option value="admin" selected[v("client") == "admin"] { "admin (console changes)" }
                @for (id, name) in &clients {
                    option value=(id) selected[v("client") == **id] { (name) }
                }
            } }
            label { "User id " input name="user" value=(v("user")) size="14"; }
            label { "Group id " input name="group" value=(v("group")) size="14"; }
            label { "Action " select name="action" {
                option value="" { "any" }
                @for a in ACTIONS { option value=(a.as_str()) selected[v("action") == a.as_str()] { (a.as_str()) } }
            } }
            label { "Outcome " select name="outcome" {
                option value="" { "any" }
                @for o in OUTCOMES { option value=(o.as_str()) selected[v("outcome") == o.as_str()] { (o.as_str()) } }
            } }
            label { "From " input name="from" value=(v("from")) placeholder="2026-01-31T09:00Z" size="18"; }
            label { "To " input name="to" value=(v("to")) placeholder="2026-01-31T18:00Z" size="18"; }
            button #event-filter-apply type="submit" { "Apply" }
            a href="/admin/events" { "Clear" }
        }
    }
}

fn table(page: &EventPage) -> Markup {
    html! {
        table #events {
            thead { tr {
                th { "Time" } th { "Client / admin" } th { "Action" } th { "Outcome" } th { "Status" }
                th { "Resource" } th { "Detail" } th { "Tolerances" }
            } }
            tbody {
                @for e in &page.events {
                    tr.event.(format!("outcome-{}", e.outcome)) data-outcome=(e.outcome) data-action=(e.action) data-event-id=(e.id) {
                        td.at { (when(from_micros(e.at))) }
                        td.client { (actor(e, &page.names)) }
                        td.action { (e.action) }
                        td.outcome { (e.outcome) }
                        td.status {
                            (e.status)
                            @if let Some(t) = &e.scim_type { " " span.scim-type { (t) } }
                            br; code.request { (e.method) " " (e.path) }
                        }
                        td.resource { (resource_link(e)) }
                        td.detail { @if let Some(d) = &e.detail { (d) } }
                        td.coercions { (coercions(e)) }
                    }
                }
            }
        }
        @if page.events.is_empty() { p.none { "No event matches." } }
    }
}

/// `GET /admin/events?client=&user=&group=&action=&outcome=&from=&to=&before=&beforeAt=`.
pub async fn list(
    state: web::Data<AppState>,
    c: Console,
    q: Query,
) -> Result<HttpResponse, PageError> {
    let q = normalised(&q);
    let names = crate::http::admin::sync::client_names(&state, &c.admin).await?;
    let (page, notice) = match event_query(&q) {
        Ok(query) => (event_page(&state, &c.admin, &query).await?, None),
        Err(e) if e.0.status == 400 => (
            EventPage {
                events: Vec::new(),
                names: names.clone(),
                next: None,
            },
            Some(e.0.detail),
        ),
        Err(e) => return Err(e.into()),
    };
    let next = page.next.as_ref().map(|(id, at)| {
        let at = at.to_string();
        let mut pairs: Vec<(&str, &str)> = FILTERS
            .iter()
            .map(|k| (*k, param(&q, k).unwrap_or_default()))
            .collect();
        pairs.push(("limit", param(&q, "limit").unwrap_or_default()));
        pairs.push(("before", id));
        pairs.push(("beforeAt", &at));
        url_with("/admin/events", &pairs)
    });
    let status = if notice.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(page_with_status(
        status,
        &c,
        "/admin/events",
        "Events",
        notice.as_deref(),
        html! {
            (filter_form(&q, &names))
            (table(&page))
            @if let Some(n) = next { p.pager { a #events-next href=(n) { "Older events →" } } }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_typed_without_an_offset_are_utc() {
        assert_eq!(normalise_time("2026-01-31T09:30"), "2026-01-31T09:30:00Z");
        assert_eq!(normalise_time("2026-01-31"), "2026-01-31T00:00:00Z");
        assert_eq!(
            normalise_time("2026-01-31T09:30:00+02:00"),
            "2026-01-31T09:30:00+02:00"
        );
        assert_eq!(normalise_time("soon"), "soon");
    }
}
