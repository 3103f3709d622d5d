//! `Store` as the domain's storage port.

use chrono::{DateTime, Utc};

use crate::domain::account::{
    AccountRecord, AccountWrite, GroupRecord, GroupWrite, MemberChange, MemberLoad, UserResource,
};
use crate::domain::directory::{Decision, Directory, GroupDecision, Listing, ReadScope};
use crate::domain::error::DomainError;
use crate::domain::ids::{AccountId, GroupId, TenantId};
use crate::domain::query::ListQuery;
use crate::domain::sync::SyncEvent;
use crate::domain::tenant::AuthGate;
use crate::store::Store;
use crate::store::models::UserResourceRow;

impl Directory for Store {
    async fn settle_gate(&self, gate: &AuthGate) -> Result<(), DomainError> {
        Ok(self.settle_gate(gate).await?)
    }

    async fn skill_catalog(&self, tenant: TenantId) -> Result<Vec<String>, DomainError> {
        Ok(self.list_skills(tenant).await?)
    }

    async fn insert_account(
        &self,
        scope: ReadScope<'_>,
        id: AccountId,
        write: AccountWrite,
        now: DateTime<Utc>,
        event: SyncEvent,
    ) -> Result<AccountRecord, DomainError> {
        Ok(self
            .insert_account_impl(scope, id, write, now.timestamp_micros(), event)
            .await?)
    }

    async fn get_account(
        &self,
        scope: ReadScope<'_>,
        id: AccountId,
        with_groups: bool,
    ) -> Result<Option<AccountRecord>, DomainError> {
        Ok(self.get_account_impl(scope, id, with_groups).await?)
    }

    async fn get_user_resource(
        &self,
        scope: ReadScope<'_>,
        id: AccountId,
        with_groups: bool,
    ) -> Result<Option<UserResource>, DomainError> {
        Ok(self
            .get_user_impl::<UserResourceRow>(scope, id, with_groups)
            .await?)
    }

    async fn list_user_resources(
        &self,
        scope: ReadScope<'_>,
        query: &ListQuery,
        with_groups: bool,
    ) -> Result<Listing<UserResource>, DomainError> {
        Ok(self
            .list_users_impl::<UserResourceRow>(scope, query, with_groups)
            .await?)
    }

    async fn list_accounts(
        &self,
        scope: ReadScope<'_>,
        query: &ListQuery,
        with_groups: bool,
    ) -> Result<Listing<AccountRecord>, DomainError> {
        Ok(self.list_accounts_impl(scope, query, with_groups).await?)
    }

    async fn update_account<F>(
        &self,
        scope: ReadScope<'_>,
        id: AccountId,
        expected: Option<Vec<i64>>,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<AccountRecord, DomainError>
    where
        F: Fn(&AccountRecord) -> Result<Decision<AccountWrite>, DomainError> + Send + Sync,
    {
        Ok(self
            .update_account_impl(scope, id, expected, now.timestamp_micros(), decide)
            .await?)
    }

    async fn delete_account(
        &self,
        tenant: TenantId,
        id: AccountId,
        expected: Option<Vec<i64>>,
        now: DateTime<Utc>,
        event: SyncEvent,
    ) -> Result<(), DomainError> {
        Ok(self
            .delete_account_impl(tenant, id, expected, now.timestamp_micros(), event)
            .await?)
    }

    async fn change_members(
        &self,
        tenant: TenantId,
        id: GroupId,
        changes: Vec<MemberChange>,
        event: SyncEvent,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.change_members_impl(tenant, id, changes, event, now.timestamp_micros())
            .await
    }

    async fn insert_group(
        &self,
        tenant: TenantId,
        id: GroupId,
        write: GroupWrite,
        members: Vec<AccountId>,
        now: DateTime<Utc>,
        event: SyncEvent,
    ) -> Result<GroupRecord, DomainError> {
        Ok(self
            .insert_group_impl(tenant, id, write, members, now.timestamp_micros(), event)
            .await?)
    }

    async fn get_group(
        &self,
        scope: ReadScope<'_>,
        id: GroupId,
        members: MemberLoad,
    ) -> Result<Option<GroupRecord>, DomainError> {
        Ok(self.get_group_impl(scope, id, members).await?)
    }

    async fn list_groups(
        &self,
        scope: ReadScope<'_>,
        query: &ListQuery,
        members: MemberLoad,
    ) -> Result<Listing<GroupRecord>, DomainError> {
        Ok(self.list_groups_impl(scope, query, members).await?)
    }

    async fn update_group<F>(
        &self,
        tenant: TenantId,
        id: GroupId,
        expected: Option<Vec<i64>>,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<GroupRecord, DomainError>
    where
        F: Fn(&GroupRecord) -> Result<GroupDecision, DomainError> + Send + Sync,
    {
        Ok(self
            .update_group_impl(tenant, id, expected, now.timestamp_micros(), decide)
            .await?)
    }

    async fn delete_group(
        &self,
        tenant: TenantId,
        id: GroupId,
        expected: Option<Vec<i64>>,
        now: DateTime<Utc>,
        event: SyncEvent,
    ) -> Result<(), DomainError> {
        Ok(self
            .delete_group_impl(tenant, id, expected, now.timestamp_micros(), event)
            .await?)
    }

    fn record_read(&self, event: SyncEvent) {
        self.queue_event(event);
    }

    async fn record_events(&self, events: Vec<SyncEvent>) -> Result<(), DomainError> {
        Ok(self.record_events_impl(events).await?)
    }
}
