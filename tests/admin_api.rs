//! The admin JSON API (issue 8) on SQLite and PostgreSQL, through the real app:
//!
//! - `auth`: admin tokens vs SCIM tokens, sessions from the one-time link, CSRF, logout,
//!   expiry, and tenant isolation.
//! - `users`: the Users page: list and filters, create, the edit drawer (immutability, the
//!   0-10 caps, skills, status, groups), de-provisioning with typed email, CSV bulk add.
//! - `directory`: groups, role mappings, the skill catalog, SCIM clients.
//! - `sync`: sync status per client, the event log and its filters, timelines, retention.

mod common;

#[path = "admin_api/support.rs"]
mod support;

#[path = "admin_api/auth.rs"]
mod auth;

#[path = "admin_api/users.rs"]
mod users;

#[path = "admin_api/directory.rs"]
mod directory;

#[path = "admin_api/sync.rs"]
mod sync;
