//! Provisioning rules over a storage port; no HTTP and no SQL here.
//!
//! Errors: [`error::DomainError`]; the protocol core's `ScimError` converts into it.

pub mod account;
pub mod admin;
pub mod clock;
pub mod directory;
pub mod error;
pub mod ids;
pub mod listing;
pub mod mapping;
pub mod provisioning;
pub mod query;
pub mod sync;
pub mod tenant;
