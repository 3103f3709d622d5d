//! The storage port: what the provisioning rules need from a database. `store::Store`
//! implements it on SQLite and PostgreSQL.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::domain::account::{
    AccountRecord, AccountWrite, GroupRecord, GroupWrite, MemberChange, MemberLoad, UserResource,
};
use crate::domain::error::DomainError;
use crate::domain::ids::{AccountId, GroupId, TenantId};
use crate::domain::query::ListQuery;
use crate::domain::sync::SyncEvent;
use crate::domain::tenant::AuthGate;

/// What an update closure decided: the new state (None = nothing to write) and its event.
#[derive(Debug)]
pub struct Decision<W> {
    /// New state, or None when the request changes nothing.
    pub write: Option<W>,
    /// The event recorded in the same transaction.
    pub event: SyncEvent,
}

/// A group update: document change and membership deltas.
#[derive(Debug)]
pub struct GroupDecision {
    /// New document state, or None.
    pub write: Option<GroupWrite>,
    /// Membership deltas, applied in order.
    pub members: Vec<MemberChange>,
    /// The event recorded in the same transaction.
    pub event: SyncEvent,
}

/// A page of results.
#[derive(Debug)]
pub struct Listing<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Total matches (index paging), when counted.
    pub total: Option<i64>,
}

/// Whose read this is: the tenant, and the request's token check still to be made, which the
/// store carries in the read's own round trip (see [`AuthGate`]).
#[derive(Debug, Clone, Copy)]
pub struct ReadScope<'a> {
    /// Tenant.
    pub tenant: TenantId,
    /// The open token check, if any.
    pub gate: Option<&'a AuthGate>,
}

impl<'a> ReadScope<'a> {
    /// The gate still open, if any, and this scope without it: for a read that carries the
    /// check itself (as a column of its own statement) instead of beside it.
    pub fn carried(self) -> (ReadScope<'a>, Option<&'a AuthGate>) {
        let open = self.gate.filter(|g| g.is_open());
        (
            ReadScope {
                tenant: self.tenant,
                gate: None,
            },
            open,
        )
    }
}

impl From<TenantId> for ReadScope<'_> {
    fn from(tenant: TenantId) -> Self {
        ReadScope { tenant, gate: None }
    }
}

/// Storage of accounts, groups and sync events, per tenant.
pub trait Directory: Send + Sync + 'static {
    /// Make a token check no read made: look the client up and decide the gate
    /// (Unauthorized when it refuses). Nothing to do when the gate is already decided.
    fn settle_gate(&self, gate: &AuthGate) -> impl Future<Output = Result<(), DomainError>> + Send;

    /// The tenant's skill catalog.
    fn skill_catalog(
        &self,
        tenant: TenantId,
    ) -> impl Future<Output = Result<Vec<String>, DomainError>> + Send;

    /// Insert an account and its event in one transaction; uniqueness → Conflict. The
    /// scope's open token check is decided before anything is written, or carried by the
    /// write itself (nothing is written for a refused token).
    fn insert_account(
        &self,
        scope: ReadScope<'_>,
        id: AccountId,
        write: AccountWrite,
        now: DateTime<Utc>,
        event: SyncEvent,
    ) -> impl Future<Output = Result<AccountRecord, DomainError>> + Send;

    /// A live (not soft-deleted) account; groups loaded when asked.
    fn get_account(
        &self,
        scope: ReadScope<'_>,
        id: AccountId,
        with_groups: bool,
    ) -> impl Future<Output = Result<Option<AccountRecord>, DomainError>> + Send;

    /// A live account as a SCIM answer shows it (its document, without the mapped fields);
    /// groups loaded when asked.
    fn get_user_resource(
        &self,
        scope: ReadScope<'_>,
        id: AccountId,
        with_groups: bool,
    ) -> impl Future<Output = Result<Option<UserResource>, DomainError>> + Send;

    /// Live accounts matching a query, as SCIM answers show them (see `get_user_resource`).
    fn list_user_resources(
        &self,
        scope: ReadScope<'_>,
        query: &ListQuery,
        with_groups: bool,
    ) -> impl Future<Output = Result<Listing<UserResource>, DomainError>> + Send;

    /// Live accounts matching a query.
    fn list_accounts(
        &self,
        scope: ReadScope<'_>,
        query: &ListQuery,
        with_groups: bool,
    ) -> impl Future<Output = Result<Listing<AccountRecord>, DomainError>> + Send;

    /// Read-modify-write of one account: `decide` sees the current row and returns the new
    /// state; the write is conditional on the version read (or on `expected`, from If-Match),
    /// retried on a lost race when `expected` is None. Event written in the same transaction.
    /// `decide` sees, and the answer carries, the account's groups as read in that
    /// transaction (a user write never changes them).
    fn update_account<F>(
        &self,
        scope: ReadScope<'_>,
        id: AccountId,
        expected: Option<Vec<i64>>,
        now: DateTime<Utc>,
        decide: F,
    ) -> impl Future<Output = Result<AccountRecord, DomainError>> + Send
    where
        F: Fn(&AccountRecord) -> Result<Decision<AccountWrite>, DomainError> + Send + Sync;

    /// Soft-delete an account (and its memberships as SCIM shows them).
    fn delete_account(
        &self,
        tenant: TenantId,
        id: AccountId,
        expected: Option<Vec<i64>>,
        now: DateTime<Utc>,
        event: SyncEvent,
    ) -> impl Future<Output = Result<(), DomainError>> + Send;

    /// Insert a group and its initial members in one transaction.
    fn insert_group(
        &self,
        tenant: TenantId,
        id: GroupId,
        write: GroupWrite,
        members: Vec<AccountId>,
        now: DateTime<Utc>,
        event: SyncEvent,
    ) -> impl Future<Output = Result<GroupRecord, DomainError>> + Send;

    /// A live group; members loaded only when asked.
    fn get_group(
        &self,
        scope: ReadScope<'_>,
        id: GroupId,
        members: MemberLoad,
    ) -> impl Future<Output = Result<Option<GroupRecord>, DomainError>> + Send;

    /// Live groups matching a query.
    fn list_groups(
        &self,
        scope: ReadScope<'_>,
        query: &ListQuery,
        members: MemberLoad,
    ) -> impl Future<Output = Result<Listing<GroupRecord>, DomainError>> + Send;

    /// Read-modify-write of a group with membership deltas (members never loaded).
    fn update_group<F>(
        &self,
        tenant: TenantId,
        id: GroupId,
        expected: Option<Vec<i64>>,
        now: DateTime<Utc>,
        decide: F,
    ) -> impl Future<Output = Result<GroupRecord, DomainError>> + Send
    where
        F: Fn(&GroupRecord) -> Result<GroupDecision, DomainError> + Send + Sync;

    /// Apply membership deltas that commute (no If-Match, no other attribute) and record
    /// `event` with them. Concurrent calls for one group may share a transaction; each keeps
    /// its own result (an unknown member refuses that call alone) and its event.
    fn change_members(
        &self,
        tenant: TenantId,
        id: GroupId,
        changes: Vec<MemberChange>,
        event: SyncEvent,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), DomainError>> + Send;

    /// Soft-delete a group.
    fn delete_group(
        &self,
        tenant: TenantId,
        id: GroupId,
        expected: Option<Vec<i64>>,
        now: DateTime<Utc>,
        event: SyncEvent,
    ) -> impl Future<Output = Result<(), DomainError>> + Send;

    /// Record a read's event without waiting for it to be written.
    fn record_read(&self, event: SyncEvent);

    /// Record events outside any write (refusals), in one transaction.
    fn record_events(
        &self,
        events: Vec<SyncEvent>,
    ) -> impl Future<Output = Result<(), DomainError>> + Send;
}
