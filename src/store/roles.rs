//! Effective operator roles: the `operator_roles` view (migration `2026-11-28-000002`), the
//! union over an account's live groups of each group's role (design.md section 3).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::domain::ids::{AccountId, TenantId};
use crate::store::Store;
use crate::store::error::StoreError;
use crate::with_conn;

diesel::table! {
    /// The view the platform reads: one row per (tenant, account, role).
    operator_roles (tenant_id, user_id, role) {
        /// Tenant.
        tenant_id -> Text,
        /// Account (user) id.
        user_id -> Text,
        /// Platform role (DialAiAdmin, Maintainer, Read-Only, or an admin-mapped one).
        role -> Text,
    }
}

impl Store {
    /// The effective roles of an account, sorted by name (byte order, the same on every
    /// backend and collation); empty for an unknown or soft-deleted account.
    pub async fn roles_of(
        &self,
        tenant: TenantId,
        account: AccountId,
    ) -> Result<Vec<String>, StoreError> {
        let (tenant, account) = (tenant.to_string(), account.to_string());
        let mut roles: Vec<String> = with_conn!(self, |c, _d| {
            operator_roles::table
                .filter(operator_roles::tenant_id.eq(&tenant))
                .filter(operator_roles::user_id.eq(&account))
                .select(operator_roles::role)
                .load(c)
                .await?
        });
        roles.sort();
        roles.dedup();
        Ok(roles)
    }
}
