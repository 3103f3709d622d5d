//! What the admin rules need from storage beyond the provisioning port.

use std::collections::HashMap;
use std::future::Future;

use chrono::{DateTime, Utc};

use crate::domain::account::GroupRef;
use crate::domain::directory::Directory;
use crate::domain::error::DomainError;
use crate::domain::ids::{AccountId, ClientId, TenantId};
use crate::domain::sync::SyncEvent;

/// The last sync that touched an account: when, by which client (None: an admin), outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncMark {
    /// When.
    pub at: DateTime<Utc>,
    /// The SCIM client, or None for an admin change.
    pub client: Option<ClientId>,
    /// `ok`, `rejected` or `error`.
    pub outcome: String,
    /// The SCIM client that last changed the account successfully (the IdP managing it),
    /// even when an admin changed it since.
    pub managed_by: Option<ClientId>,
}

/// A live group and the role it grants (admin mapping, else built-in, else none).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRole {
    /// The group.
    pub group: GroupRef,
    /// The platform role it grants.
    pub role: Option<String>,
}

/// Storage of the admin console, per tenant.
pub trait AdminDirectory: Directory {
    /// Set an operator's availability (readOnly through SCIM), bumping its version, with the
    /// event in the same transaction.
    fn set_account_status(
        &self,
        tenant: TenantId,
        id: AccountId,
        status: &str,
        now: DateTime<Utc>,
        event: SyncEvent,
    ) -> impl Future<Output = Result<(), DomainError>> + Send;

    /// The last-sync marks of live accounts.
    fn account_marks(
        &self,
        tenant: TenantId,
        ids: &[AccountId],
    ) -> impl Future<Output = Result<HashMap<AccountId, SyncMark>, DomainError>> + Send;

    /// The effective roles of accounts (the `operator_roles` view), sorted.
    fn account_roles(
        &self,
        tenant: TenantId,
        ids: &[AccountId],
    ) -> impl Future<Output = Result<HashMap<AccountId, Vec<String>>, DomainError>> + Send;

    /// Every live group of the tenant with the role it grants, by display name.
    fn group_roles(
        &self,
        tenant: TenantId,
    ) -> impl Future<Output = Result<Vec<GroupRole>, DomainError>> + Send;

    /// Names of the tenant's SCIM clients, revoked ones included.
    fn client_names(
        &self,
        tenant: TenantId,
    ) -> impl Future<Output = Result<HashMap<ClientId, String>, DomainError>> + Send;

    /// The live, active accounts whose username or email equals `email` (case-insensitive).
    fn active_accounts_by_login(
        &self,
        tenant: TenantId,
        email: &str,
    ) -> impl Future<Output = Result<Vec<AccountId>, DomainError>> + Send;
}
