//! /Users on SQLite and PostgreSQL (issue 4): every test runs through the real app on both
//! backends and checks status codes, bodies and the database (rows, skills, sync events).
//!
//! - `lifecycle`: create, read, PUT, soft delete, tenancy, last-sync columns.
//! - `operator`: the operator extension (caps, skills catalog, readOnly status).
//! - `immutability`: immutable attributes refused whole-request, and what stays allowed.
//! - `lists`: filters, sorting, index and cursor paging, projection, `.search`.
//! - `concurrency`: ETags, racing creates and updates, uniqueness.
//! - `discovery`: /Schemas, /ResourceTypes and /ServiceProviderConfig state those rules.

mod common;

#[path = "users/support.rs"]
mod support;

#[path = "users/lifecycle.rs"]
mod lifecycle;

#[path = "users/operator.rs"]
mod operator;

#[path = "users/immutability.rs"]
mod immutability;

#[path = "users/lists.rs"]
mod lists;

#[path = "users/concurrency.rs"]
mod concurrency;

#[path = "users/discovery.rs"]
mod discovery;
