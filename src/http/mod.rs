//! HTTP: thin actix-web handlers, authentication and error rendering.
//!
//! Errors: handlers return [`error::ApiError`] (a SCIM error body); `DomainError` and
//! `ScimError` convert into it. `routes` owns the whole route table.

pub mod admin;
pub mod auth;
pub mod discovery;
pub mod error;
pub mod health;
pub mod routes;
pub mod scim;

use std::sync::Arc;

use crate::domain::provisioning::Provisioning;
use crate::domain::tenant::TokenSigner;
use crate::store::Store;

/// Largest accepted request body (also the advertised bulk `maxPayloadSize`).
pub const MAX_PAYLOAD: usize = crate::scim::bulk::MAX_PAYLOAD_SIZE;

/// Shared state of every worker.
pub struct AppState {
    /// Provisioning rules over the store.
    pub prov: Provisioning<Store>,
    /// The store (authentication, readiness).
    pub store: Store,
    /// Token verification.
    pub signer: Arc<TokenSigner>,
    /// Admin console settings.
    pub admin: admin::AdminSettings,
}
