//! The Sync status page: account counts, and a card per SCIM client with its last contact,
//! charts of requests and errors (per hour for 24 hours, per day for 30 days, drawn here as
//! SVG) and its latest rejections.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use maud::{Markup, html};

use crate::domain::admin::sync::{Bucket, DAY_US, HOUR_US};
use crate::domain::clock::from_micros;
use crate::http::AppState;
use crate::http::admin::console::events::resource_link;
use crate::http::admin::console::{Console, PageError, page, when, when_opt};
use crate::http::admin::sync::{ClientStatus, status_data};

/// Width of a chart in SVG units (both charts alike, so their labels are the same size).
const WIDTH: f64 = 360.0;
/// Height of the plot area.
const PLOT: f64 = 80.0;
/// Room below the plot for the time labels.
const LABELS: f64 = 14.0;

/// A bar chart of requests (and, over them, errors) per bucket, oldest first: one `g.bar` per
/// bucket holding `rect.requests` and, when there were errors, `rect.errors`, heights
/// proportional to the largest request count. `title` names the chart for screen readers;
/// each bar carries its own `<title>` (a tooltip) with the bucket's time and counts.
pub fn bar_chart(
    buckets: &[Bucket],
    width_us: i64,
    class: &str,
    id: &str,
    title: &str,
    label: fn(DateTime<Utc>) -> String,
) -> Markup {
    let max = buckets
        .iter()
        .map(|b| b.requests.max(b.errors))
        .max()
        .unwrap_or(0)
        .max(1);
    let height = |v: i64| v as f64 * PLOT / max as f64;
    let total: i64 = buckets.iter().map(|b| b.requests).sum();
    let errors: i64 = buckets.iter().map(|b| b.errors).sum();
    let width = WIDTH;
    let slot = WIDTH / buckets.len().max(1) as f64;
    let bar = fmt(slot * 0.75);
    let title_id = format!("{id}-title");
    let start = |b: &Bucket| from_micros(b.index * width_us);
    html! {
        svg.chart.(class) xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby=(title_id)
            viewBox=(format!("0 0 {width} {}", PLOT + LABELS))
            data-max=(max) data-requests=(total) data-errors=(errors) {
            title id=(title_id) { (title) ": " (total) " requests, " (errors) " errors" }
            line.axis x1="0" y1=(PLOT) x2=(width) y2=(PLOT) {}
            @for (i, b) in buckets.iter().enumerate() {
                @let x = fmt(i as f64 * slot + slot * 0.125);
                @let hr = height(b.requests);
                @let he = height(b.errors);
                g.bar data-requests=(b.requests) data-errors=(b.errors) {
                    title { (label(start(b))) ": " (b.requests) " requests, " (b.errors) " errors" }
                    rect.requests x=(x) y=(fmt(PLOT - hr)) width=(bar) height=(fmt(hr)) {}
                    @if b.errors > 0 {
                        rect.errors x=(x) y=(fmt(PLOT - he)) width=(bar) height=(fmt(he)) {}
                    }
                }
            }
            @if let (Some(first), Some(last)) = (buckets.first(), buckets.last()) {
                text.label x="0" y=(PLOT + LABELS - 2.0) text-anchor="start" { (label(start(first))) }
                text.label x=(width) y=(PLOT + LABELS - 2.0) text-anchor="end" { (label(start(last))) }
            }
            text.label.max x="1" y="9" { "max " (max) }
        }
    }
}

/// A coordinate with at most two decimals.
fn fmt(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn hour_label(t: DateTime<Utc>) -> String {
    t.format("%H:00").to_string()
}

fn day_label(t: DateTime<Utc>) -> String {
    t.format("%b %d").to_string()
}

fn card(c: &ClientStatus) -> Markup {
    let id = c.client.id.to_string();
    let sum = |b: &[Bucket], f: fn(&Bucket) -> i64| b.iter().map(f).sum::<i64>();
    html! {
        section.client-card data-client-id=(id) {
            h2 {
                span.name { (c.client.name) }
                @if c.client.revoked_at.is_some() { " " span.tag.revoked { "revoked" } }
            }
            p.meta {
                "Last contact: " span.last-contact { (when_opt(c.last_contact)) }
                " · issued " (when(c.client.created_at))
            }
            div.charts {
                figure {
                    figcaption {
                        "Last 24 hours: "
                        span.requests-24h { (sum(&c.hourly, |b| b.requests)) } " requests, "
                        span.errors-24h { (sum(&c.hourly, |b| b.errors)) } " errors"
                    }
                    (bar_chart(&c.hourly, HOUR_US, "chart-hourly", &format!("h-{id}"),
                        &format!("{}: requests and errors per hour, last 24 hours", c.client.name), hour_label))
                }
                figure {
                    figcaption {
                        "Last 30 days: "
                        span.requests-30d { (sum(&c.daily, |b| b.requests)) } " requests, "
                        span.errors-30d { (sum(&c.daily, |b| b.errors)) } " errors"
                    }
                    (bar_chart(&c.daily, DAY_US, "chart-daily", &format!("d-{id}"),
                        &format!("{}: requests and errors per day, last 30 days", c.client.name), day_label))
                }
            }
            h3 { "Latest rejections" }
            @if c.rejections.is_empty() { p.none { "No request of this client was refused." } }
            ul.rejections {
                @for e in &c.rejections {
                    li data-action=(e.action) data-event-id=(e.id) {
                        (when(from_micros(e.at))) " "
                        code.request { (e.method) " " (e.path) } " "
                        span.status { (e.status) }
                        @if let Some(t) = &e.scim_type { " " span.scim-type { (t) } }
                        " " (resource_link(e))
                        @if let Some(d) = &e.detail { p.detail { (d) } }
                    }
                }
            }
            p { a href=(format!("/admin/events?client={id}")) { "All events of " (c.client.name) } }
        }
    }
}

/// `GET /admin/sync`.
pub async fn status(state: web::Data<AppState>, c: Console) -> Result<HttpResponse, PageError> {
    let s = status_data(&state, &c.admin).await?;
    Ok(page(
        &c,
        "/admin/sync",
        "Sync status",
        html! {
            p.meta { "As of " (when(s.now)) "; events are kept " (state.admin.event_retention_days) " days." }
            dl #account-counts {
                div { dt { "Active accounts" } dd data-count="active" { (s.counts.active) } }
                div { dt { "Deactivated" } dd data-count="deactivated" { (s.counts.deactivated) } }
                div { dt { "De-provisioned (soft-deleted)" } dd data-count="deleted" { (s.counts.deleted) } }
            }
            @if s.clients.is_empty() {
                p.none { "No SCIM client yet: issue a token on the " a href="/admin/clients" { "SCIM clients" } " page." }
            }
            div.cards { @for client in &s.clients { (card(client)) } }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(index: i64, requests: i64, errors: i64) -> Bucket {
        Bucket {
            index,
            requests,
            errors,
        }
    }

    fn attr_values(svg: &str, class: &str, attr: &str) -> Vec<f64> {
        svg.split(&format!("<rect class=\"{class}\""))
            .skip(1)
            .map(|s| {
                let key = format!("{attr}=\"");
                let from = s.find(&key).expect("attribute") + key.len();
                s[from..from + s[from..].find('"').expect("quote")]
                    .parse()
                    .expect("number")
            })
            .collect()
    }

    #[test]
    fn one_bar_per_bucket_heights_proportional_errors_drawn() {
        let buckets: Vec<Bucket> = (0..24)
            .map(|i| match i {
                3 => bucket(i, 10, 0),
                7 => bucket(i, 5, 2),
                _ => bucket(i, 0, 0),
            })
            .collect();
        let svg =
            bar_chart(&buckets, HOUR_US, "chart-hourly", "x", "Okta", hour_label).into_string();
        assert_eq!(svg.matches("<g class=\"bar\"").count(), 24);
        let heights = attr_values(&svg, "requests", "height");
        assert_eq!(heights.len(), 24);
        assert_eq!(heights[3], PLOT, "the largest bucket fills the plot");
        assert_eq!(heights[7], PLOT / 2.0, "half the requests, half the height");
        assert_eq!(heights[0], 0.0);
        let errors = attr_values(&svg, "errors", "height");
        assert_eq!(errors, [PLOT * 2.0 / 10.0], "one error bar, 2 of 10");
        assert!(svg.contains("class=\"chart chart-hourly\""));
        assert!(svg.contains("<title id=\"x-title\">Okta: 15 requests, 2 errors</title>"));
        assert!(svg.contains("aria-labelledby=\"x-title\""));
        assert!(svg.contains("<title>07:00: 5 requests, 2 errors</title>"));
    }

    #[test]
    fn an_empty_series_draws_flat_bars_and_escapes_the_title() {
        let buckets: Vec<Bucket> = (0..30).map(|i| bucket(i, 0, 0)).collect();
        let svg = bar_chart(&buckets, DAY_US, "chart-daily", "d", "<b>", day_label).into_string();
        assert_eq!(svg.matches("<g class=\"bar\"").count(), 30);
        assert!(
            attr_values(&svg, "requests", "height")
                .iter()
                .all(|h| *h == 0.0)
        );
        assert!(!svg.contains("class=\"errors\""));
        assert!(svg.contains("&lt;b&gt;: 0 requests, 0 errors"));
    }
}
