//! Queries of the admin console on both backends: the admin port of the domain
//! (`domain::admin::port::AdminDirectory`), the event log, per-client counts over time,
//! account counts, role mappings, and pruning of old events.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::RunQueryDsl;

use crate::domain::account::{GroupRef, fold};
use crate::domain::admin::builtin_role;
use crate::domain::admin::port::{AdminDirectory, GroupRole, SyncMark};
use crate::domain::admin::sync::{Bucket, ClientFilter, EventQuery};
use crate::domain::clock::from_micros;
use crate::domain::error::DomainError;
use crate::domain::ids::{AccountId, ClientId, GroupId, TenantId};
use crate::domain::sync::SyncEvent;
use crate::store::error::StoreError;
use crate::store::events::{insert_event, mark_synced};
use crate::store::roles::operator_roles;
use crate::store::schema::{groups, role_mappings, skills, sync_events, tenants, users};
use crate::store::sync_read::StoredEvent;
use crate::store::{Dialect, Store};
use crate::{with_conn, with_tx, with_write};

/// Counts of accounts by lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountCounts {
    /// Live and active.
    pub active: i64,
    /// Live, deactivated (`active=false`).
    pub deactivated: i64,
    /// Soft-deleted.
    pub deleted: i64,
}

#[derive(QueryableByName)]
struct BucketRow {
    #[diesel(sql_type = Nullable<Text>)]
    client_id: Option<String>,
    #[diesel(sql_type = BigInt)]
    idx: i64,
    #[diesel(sql_type = BigInt)]
    requests: i64,
    #[diesel(sql_type = BigInt)]
    errors: i64,
}

fn ph(d: Dialect, n: usize) -> String {
    match d {
        Dialect::Postgres => format!("${n}"),
        Dialect::Sqlite => "?".to_string(),
    }
}

impl Store {
    /// The event log of a tenant, newest first.
    pub async fn query_events(
        &self,
        tenant: TenantId,
        q: &EventQuery,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let t = tenant.to_string();
        let rows: Vec<StoredEvent> = with_conn!(self, |c, _d| {
            let mut query = sync_events::table
                .filter(sync_events::tenant_id.eq(&t))
                .select(StoredEvent::as_select())
                .into_boxed();
            match &q.client {
                Some(ClientFilter::Client(id)) => {
                    query = query.filter(sync_events::client_id.eq(id.clone()))
                }
                Some(ClientFilter::Admin) => query = query.filter(sync_events::client_id.is_null()),
                None => {}
            }
            if let Some(rt) = &q.resource_type {
                query = query.filter(sync_events::resource_type.eq(rt.clone()));
            }
            if let Some(id) = &q.resource_id {
                query = query.filter(sync_events::resource_id.eq(id.clone()));
            }
            if let Some(a) = &q.action {
                query = query.filter(sync_events::action.eq(a.clone()));
            }
            if let Some(o) = &q.outcome {
                query = query.filter(sync_events::outcome.eq(o.clone()));
            }
            if let Some(from) = q.from {
                query = query.filter(sync_events::at.ge(from));
            }
            if let Some(to) = q.to {
                query = query.filter(sync_events::at.lt(to));
            }
            if let Some((at, id)) = &q.before {
                query = query.filter(
                    sync_events::at
                        .lt(*at)
                        .or(sync_events::at.eq(*at).and(sync_events::id.lt(id.clone()))),
                );
            }
            query
                .order((sync_events::at.desc(), sync_events::id.desc()))
                .limit(q.limit.max(0))
                .load(c)
                .await?
        });
        Ok(rows)
    }

    /// Requests and errors per client and time bucket since `since` (µs).
    pub async fn event_buckets(
        &self,
        tenant: TenantId,
        since: i64,
        width_us: i64,
    ) -> Result<HashMap<Option<String>, Vec<Bucket>>, StoreError> {
        let d = self.dialect();
        // The width is a constant of ours, never input: it is safe to inline.
        let sql = format!(
            "SELECT client_id, at / {width_us} AS idx, COUNT(*) AS requests, \
             SUM(CASE WHEN outcome = 'ok' THEN 0 ELSE 1 END) AS errors \
             FROM sync_events WHERE tenant_id = {} AND at >= {} \
             GROUP BY client_id, at / {width_us}",
            ph(d, 1),
            ph(d, 2)
        );
        let t = tenant.to_string();
        let rows: Vec<BucketRow> = with_conn!(self, |c, _d| {
            diesel::sql_query(sql)
                .bind::<Text, _>(&t)
                .bind::<BigInt, _>(since)
                .load(c)
                .await?
        });
        let mut out: HashMap<Option<String>, Vec<Bucket>> = HashMap::new();
        for r in rows {
            out.entry(r.client_id).or_default().push(Bucket {
                index: r.idx,
                requests: r.requests,
                errors: r.errors,
            });
        }
        Ok(out)
    }

    /// The last event of each client of a tenant (µs).
    pub async fn last_contacts(
        &self,
        tenant: TenantId,
    ) -> Result<HashMap<String, i64>, StoreError> {
        let t = tenant.to_string();
        let rows: Vec<(Option<String>, Option<i64>)> = with_conn!(self, |c, _d| {
            sync_events::table
                .filter(sync_events::tenant_id.eq(&t))
                .filter(sync_events::client_id.is_not_null())
                .group_by(sync_events::client_id)
                .select((sync_events::client_id, diesel::dsl::max(sync_events::at)))
                .load(c)
                .await?
        });
        Ok(rows
            .into_iter()
            .filter_map(|(c, at)| Some((c?, at?)))
            .collect())
    }

    /// Accounts by lifecycle state.
    pub async fn account_counts(&self, tenant: TenantId) -> Result<AccountCounts, StoreError> {
        let t = tenant.to_string();
        with_conn!(self, |c, _d| {
            let live = users::table
                .filter(users::tenant_id.eq(&t))
                .filter(users::deleted_at.is_null());
            let active: i64 = live
                .filter(users::active.eq(true))
                .count()
                .get_result(c)
                .await?;
            let deactivated: i64 = live
                .filter(users::active.eq(false))
                .count()
                .get_result(c)
                .await?;
            let deleted: i64 = users::table
                .filter(users::tenant_id.eq(&t))
                .filter(users::deleted_at.is_not_null())
                .count()
                .get_result(c)
                .await?;
            Ok(AccountCounts {
                active,
                deactivated,
                deleted,
            })
        })
    }

    /// Admin mappings of group names to roles: (group key, role), by key.
    pub async fn list_role_mappings(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let t = tenant.to_string();
        with_conn!(self, |c, _d| {
            let rows: Vec<(String, String)> = role_mappings::table
                .filter(role_mappings::tenant_id.eq(&t))
                .select((role_mappings::group_key, role_mappings::role))
                .order(role_mappings::group_key)
                .load(c)
                .await?;
            Ok(rows)
        })
    }

    /// Remove the mapping of a group name; returns how many went (0 or 1).
    pub async fn delete_role_mapping(
        &self,
        tenant: TenantId,
        group: &str,
    ) -> Result<usize, StoreError> {
        let (t, key) = (tenant.to_string(), fold(group));
        with_write!(self, |c, _d| {
            let n = diesel::delete(
                role_mappings::table
                    .filter(role_mappings::tenant_id.eq(&t))
                    .filter(role_mappings::group_key.eq(&key)),
            )
            .execute(c)
            .await?;
            Ok(n)
        })
    }

    /// Remove a skill from the catalog (accounts keep it until changed); 0 or 1.
    pub async fn remove_skill(&self, tenant: TenantId, name: &str) -> Result<usize, StoreError> {
        let (t, key) = (tenant.to_string(), fold(name));
        with_write!(self, |c, _d| {
            let n = diesel::delete(
                skills::table
                    .filter(skills::tenant_id.eq(&t))
                    .filter(skills::name_key.eq(&key)),
            )
            .execute(c)
            .await?;
            Ok(n)
        })
    }

    /// Delete events older than `cutoff` (µs) in batches of `batch` rows, each its own short
    /// statement, so requests writing events are never held up; returns how many went.
    ///
    /// Tenant by tenant, through the tenant's time index (`sync_events_tenant_at`, which the
    /// admin pages read too): a time index of its own was one more index entry written with
    /// every event, that is with every SCIM request, for an hourly delete.
    pub async fn prune_events(&self, cutoff: i64, batch: i64) -> Result<usize, StoreError> {
        let d = self.dialect();
        let sql = format!(
            "DELETE FROM sync_events WHERE id IN (SELECT id FROM sync_events \
             WHERE tenant_id = {} AND at < {} LIMIT {})",
            ph(d, 1),
            ph(d, 2),
            ph(d, 3)
        );
        let tenants: Vec<String> = with_conn!(self, |c, _d| {
            tenants::table.select(tenants::id).load(c).await?
        });
        let mut total = 0;
        for tenant in tenants {
            loop {
                let n = with_write!(self, |c, _d| {
                    diesel::sql_query(sql.clone())
                        .bind::<Text, _>(&tenant)
                        .bind::<BigInt, _>(cutoff)
                        .bind::<BigInt, _>(batch)
                        .execute(c)
                        .await?
                });
                total += n;
                if (n as i64) < batch {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        Ok(total)
    }

    async fn set_status_impl(
        &self,
        tenant: TenantId,
        id: AccountId,
        status: &str,
        now: i64,
        event: SyncEvent,
    ) -> Result<(), StoreError> {
        let (t, i) = (tenant.to_string(), id.to_string());
        with_tx!(self, |c, _d| {
            let n = diesel::update(
                users::table
                    .filter(users::id.eq(&i))
                    .filter(users::tenant_id.eq(&t))
                    .filter(users::deleted_at.is_null()),
            )
            .set((
                users::status.eq(status),
                users::version.eq(users::version + 1),
                users::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            if n == 0 {
                return Err(StoreError::Domain(DomainError::NotFound(format!(
                    "User {i}"
                ))));
            }
            insert_event(c, &event).await?;
            mark_synced(c, &event, now).await?;
            Ok(())
        })
    }

    async fn marks_impl(
        &self,
        tenant: TenantId,
        ids: &[AccountId],
    ) -> Result<HashMap<AccountId, SyncMark>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let t = tenant.to_string();
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        type Mark = (String, Option<i64>, Option<String>, Option<String>);
        type Manager = (Option<String>, Option<String>, Option<i64>);
        let (marks, managers): (Vec<Mark>, Vec<Manager>) = with_conn!(self, |c, _d| {
            // By primary key alone, the tenant compared after (see `MembershipSql::live_users`:
            // SQLite's planner would otherwise walk the tenant's index).
            let marks: Vec<Mark> = users::table
                .filter(users::id.eq_any(&ids))
                .select((
                    users::id,
                    users::last_sync_at,
                    users::last_sync_client,
                    users::last_sync_outcome,
                    users::tenant_id,
                ))
                .load::<(String, Option<i64>, Option<String>, Option<String>, String)>(c)
                .await?
                .into_iter()
                .filter(|r| r.4 == t)
                .map(|r| (r.0, r.1, r.2, r.3))
                .collect();
            // The IdP managing an account: the client of its latest successful SCIM change.
            let managers = sync_events::table
                .filter(sync_events::tenant_id.eq(&t))
                .filter(sync_events::resource_id.eq_any(&ids))
                .filter(sync_events::client_id.is_not_null())
                .filter(sync_events::outcome.eq("ok"))
                .filter(sync_events::action.ne("read"))
                .group_by((sync_events::resource_id, sync_events::client_id))
                .select((
                    sync_events::resource_id,
                    sync_events::client_id,
                    diesel::dsl::max(sync_events::at),
                ))
                .load(c)
                .await?;
            (marks, managers)
        });
        let mut latest: HashMap<String, (i64, ClientId)> = HashMap::new();
        for (rid, client, at) in managers {
            let (Some(rid), Some(client), Some(at)) =
                (rid, client.as_deref().and_then(ClientId::parse), at)
            else {
                continue;
            };
            let e = latest.entry(rid).or_insert((at, client));
            if at > e.0 {
                *e = (at, client);
            }
        }
        Ok(marks
            .into_iter()
            .filter_map(|(id, at, client, outcome)| {
                let managed_by = latest
                    .get(&id)
                    .map(|l| l.1)
                    .or_else(|| client.as_deref().and_then(ClientId::parse));
                Some((
                    AccountId::parse(&id)?,
                    SyncMark {
                        at: from_micros(at?),
                        client: client.as_deref().and_then(ClientId::parse),
                        outcome: outcome.unwrap_or_default(),
                        managed_by,
                    },
                ))
            })
            .collect())
    }

    async fn roles_impl(
        &self,
        tenant: TenantId,
        ids: &[AccountId],
    ) -> Result<HashMap<AccountId, Vec<String>>, StoreError> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let t = tenant.to_string();
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let rows: Vec<(String, String)> = with_conn!(self, |c, _d| {
            operator_roles::table
                .filter(operator_roles::tenant_id.eq(&t))
                .filter(operator_roles::user_id.eq_any(&ids))
                .select((operator_roles::user_id, operator_roles::role))
                .load(c)
                .await?
        });
        let mut out: HashMap<AccountId, Vec<String>> = HashMap::new();
        for (u, r) in rows {
            if let Some(id) = AccountId::parse(&u) {
                out.entry(id).or_default().push(r);
            }
        }
        for roles in out.values_mut() {
            roles.sort();
            roles.dedup();
        }
        Ok(out)
    }

    async fn group_roles_impl(&self, tenant: TenantId) -> Result<Vec<GroupRole>, StoreError> {
        let t = tenant.to_string();
        let live: Vec<(String, String, String)> = with_conn!(self, |c, _d| {
            groups::table
                .filter(groups::tenant_id.eq(&t))
                .filter(groups::deleted_at.is_null())
                .select((groups::id, groups::display_name, groups::display_name_key))
                .order(groups::display_name_key)
                .load(c)
                .await?
        });
        let mappings: HashMap<String, String> =
            self.list_role_mappings(tenant).await?.into_iter().collect();
        Ok(live
            .into_iter()
            .filter_map(|(id, display, key)| {
                let role = mappings
                    .get(&key)
                    .cloned()
                    .or_else(|| builtin_role(&display).map(str::to_string));
                Some(GroupRole {
                    group: GroupRef {
                        id: GroupId::parse(&id)?,
                        display,
                    },
                    role,
                })
            })
            .collect())
    }

    async fn by_login_impl(
        &self,
        tenant: TenantId,
        email: &str,
    ) -> Result<Vec<AccountId>, StoreError> {
        let (t, key) = (tenant.to_string(), fold(email.trim()));
        let rows: Vec<String> = with_conn!(self, |c, _d| {
            users::table
                .filter(users::tenant_id.eq(&t))
                .filter(users::deleted_at.is_null())
                .filter(users::active.eq(true))
                .filter(users::user_name_key.eq(&key).or(users::email_key.eq(&key)))
                .select(users::id)
                .load(c)
                .await?
        });
        Ok(rows.iter().filter_map(|r| AccountId::parse(r)).collect())
    }
}

impl AdminDirectory for Store {
    async fn set_account_status(
        &self,
        tenant: TenantId,
        id: AccountId,
        status: &str,
        now: DateTime<Utc>,
        event: SyncEvent,
    ) -> Result<(), DomainError> {
        Ok(self
            .set_status_impl(tenant, id, status, now.timestamp_micros(), event)
            .await?)
    }

    async fn account_marks(
        &self,
        tenant: TenantId,
        ids: &[AccountId],
    ) -> Result<HashMap<AccountId, SyncMark>, DomainError> {
        Ok(self.marks_impl(tenant, ids).await?)
    }

    async fn account_roles(
        &self,
        tenant: TenantId,
        ids: &[AccountId],
    ) -> Result<HashMap<AccountId, Vec<String>>, DomainError> {
        Ok(self.roles_impl(tenant, ids).await?)
    }

    async fn group_roles(&self, tenant: TenantId) -> Result<Vec<GroupRole>, DomainError> {
        Ok(self.group_roles_impl(tenant).await?)
    }

    async fn client_names(
        &self,
        tenant: TenantId,
    ) -> Result<HashMap<ClientId, String>, DomainError> {
        Ok(self
            .list_clients(tenant)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect())
    }

    async fn active_accounts_by_login(
        &self,
        tenant: TenantId,
        email: &str,
    ) -> Result<Vec<AccountId>, DomainError> {
        Ok(self.by_login_impl(tenant, email).await?)
    }
}
