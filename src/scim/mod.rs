//! The SCIM protocol core: pure, framework-free (no actix, diesel or tokio here).
//!
//! Errors: everything in this module reports [`error::ScimError`].

pub mod attr;
pub mod bulk;
pub mod error;
pub mod filter;
pub mod mutability;
pub mod patch;
pub mod projection;
pub mod raw;
pub mod registry;
pub mod resource;
pub mod schema;
