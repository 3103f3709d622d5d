//! Sync status as admins inspect it (design.md section 4): the event-log query, request and
//! error counts per client over time, and the retention rule.

use chrono::{DateTime, Duration, Utc};

/// Width of an hourly bucket, µs.
pub const HOUR_US: i64 = 3_600_000_000;
/// Width of a daily bucket, µs.
pub const DAY_US: i64 = 24 * HOUR_US;
/// Default retention of sync events, days.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// Largest page of the event log.
pub const MAX_EVENTS: i64 = 500;

/// Which client an event-log query is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFilter {
    /// Events of one SCIM client (by id).
    Client(String),
    /// Changes made by admins (no client).
    Admin,
}

/// An event-log query; every part optional, combined with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventQuery {
    /// Client.
    pub client: Option<ClientFilter>,
    /// `User` or `Group`.
    pub resource_type: Option<String>,
    /// The resource's id.
    pub resource_id: Option<String>,
    /// Action (`create`, `rejected`, ...).
    pub action: Option<String>,
    /// Outcome (`ok`, `rejected`, `error`).
    pub outcome: Option<String>,
    /// From this instant (µs, inclusive).
    pub from: Option<i64>,
    /// Until this instant (µs, exclusive).
    pub to: Option<i64>,
    /// Keyset: events strictly older than this (at, id).
    pub before: Option<(i64, String)>,
    /// Page size.
    pub limit: i64,
}

/// Requests and errors of one client in one time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bucket {
    /// Bucket index: instant / width.
    pub index: i64,
    /// Requests.
    pub requests: i64,
    /// Refused or failed requests.
    pub errors: i64,
}

/// `n` consecutive buckets ending with the one holding `now`, zero where nothing happened.
pub fn series(found: &[Bucket], now: DateTime<Utc>, width_us: i64, n: i64) -> Vec<Bucket> {
    let last = now.timestamp_micros().div_euclid(width_us);
    (last - n + 1..=last)
        .map(|index| {
            found
                .iter()
                .find(|b| b.index == index)
                .copied()
                .unwrap_or(Bucket {
                    index,
                    ..Bucket::default()
                })
        })
        .collect()
}

/// Events older than this are pruned.
pub fn retention_cutoff(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    now - Duration::days(i64::from(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_fills_gaps_and_ends_at_now() {
        let now = DateTime::from_timestamp(10 * 3600 + 5, 0).unwrap();
        let found = [
            Bucket {
                index: 9,
                requests: 3,
                errors: 1,
            },
            Bucket {
                index: 2,
                requests: 7,
                errors: 0,
            },
        ];
        let s = series(&found, now, HOUR_US, 3);
        assert_eq!(s.iter().map(|b| b.index).collect::<Vec<_>>(), [8, 9, 10]);
        assert_eq!(s[1], found[0]);
        assert_eq!(s[2].requests, 0);
    }

    #[test]
    fn cutoff_is_days_back() {
        let now = DateTime::from_timestamp(100 * 86_400, 0).unwrap();
        assert_eq!(retention_cutoff(now, 90).timestamp(), 10 * 86_400);
    }
}
