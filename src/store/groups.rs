//! Role groups (SCIM Groups) and memberships as set deltas, on both backends.

use std::collections::HashSet;
use std::future::Future;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::domain::account::{GroupRecord, GroupWrite, MemberChange, MemberLoad, MemberRef, fold};
use crate::domain::directory::{GroupDecision, Listing, ReadScope};
use crate::domain::error::DomainError;
use crate::domain::ids::{AccountId, GroupId, TenantId};
use crate::domain::query::ListQuery;
use crate::domain::sync::SyncEvent;
use crate::scim::error::ScimError;
use crate::store::accounts::{CountRow, MAX_ATTEMPTS, backoff};
use crate::store::error::StoreError;
use crate::store::events::EventWriter;
use crate::store::filter_sql::Table;
use crate::store::list_sql::{
    is_point_lookup, list_sql, of_tenant, prepared_shape, row_by_id_sql, total_from_page,
};
use crate::store::models::{Gated, GroupRow, Maybe};
use crate::store::raw_query::{Bind, Sql};
use crate::store::schema::{groups, memberships, users};
use crate::store::{Analyzed, Dialect, SqliteConn, Store};
use crate::{with_conn, with_read_conn, with_tx};

/// Ids per `IN (...)` list (SQLite allows 32,766 parameters per statement).
const CHUNK: usize = 5000;

/// Membership statements on a connection of either backend (inside a write transaction).
pub trait MembershipSql {
    /// Which of `ids` are live users of the tenant.
    fn live_users(
        &mut self,
        tenant: &str,
        ids: &[String],
    ) -> impl Future<Output = Result<HashSet<String>, StoreError>> + Send;
    /// Refuse ids that are not live users of the tenant (400 invalidValue, nothing applied).
    fn check_members(
        &mut self,
        tenant: &str,
        ids: &[String],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Apply one delta; O(k) in the number of ids named, whatever the group size. Returns the
    /// number of membership rows inserted or deleted (0: the delta changed nothing).
    /// `check`: refuse unknown ids first (false when the caller already checked them).
    fn apply_change(
        &mut self,
        tenant: &str,
        group: &str,
        change: &MemberChange,
        now: i64,
        check: bool,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// The users a set of membership changes touches: the ids they name (each once), and
/// whether they touch every current member (a `RemoveAll` or a `Replace`). `rename`: the
/// group's name or liveness changes too, which touches every member (the
/// `groups_user_groups` trigger).
pub(super) fn touched_users<'a>(
    changes: impl IntoIterator<Item = &'a MemberChange>,
    rename: bool,
) -> (Vec<String>, bool) {
    let mut seen = HashSet::new();
    let mut whole = rename;
    let mut ids = Vec::new();
    for change in changes {
        match change {
            MemberChange::Add(list) | MemberChange::Remove(list) => {
                ids.extend(list.iter().map(|i| i.to_string()))
            }
            MemberChange::Replace(list) => {
                whole = true;
                ids.extend(list.iter().map(|i| i.to_string()));
            }
            MemberChange::RemoveAll => whole = true,
        }
    }
    ids.retain(|id| seen.insert(id.clone()));
    (ids, whole)
}

/// The user rows a membership change will rewrite, locked in id order (PostgreSQL; SQLite
/// has one writer). A membership added or removed rewrites its user's row
/// (`users.groups_json`, kept by the `memberships_user_groups` trigger of migration 000014),
/// so a transaction that changes several memberships locks several users: taken in the
/// order the statements come in, two transactions changing two groups with users in
/// common could each hold a user the other waits for. Every such transaction locks its
/// group first, then these rows in id order before its first membership statement (a
/// group's rename or delete locks its members the same way, in its trigger), so none waits
/// on another in a cycle. `whole_group`: every current member of `group` too. Returns each
/// row's id, tenant and whether it is live.
pub(super) async fn lock_users_pg<C>(
    c: &mut C,
    group: &str,
    ids: &[String],
    whole_group: bool,
) -> Result<Vec<(String, String, bool)>, StoreError>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    let select = (users::id, users::tenant_id, users::deleted_at.is_null());
    Ok(if whole_group {
        let members = memberships::table
            .filter(memberships::group_id.eq(group))
            .select(memberships::user_id);
        users::table
            .filter(users::id.eq_any(ids).or(users::id.eq_any(members)))
            .select(select)
            .order(users::id)
            .for_no_key_update()
            .load(c)
            .await?
    } else if ids.is_empty() {
        Vec::new()
    } else {
        users::table
            .filter(users::id.eq_any(ids))
            .select(select)
            .order(users::id)
            .for_no_key_update()
            .load(c)
            .await?
    })
}

/// [`lock_users_pg`] on either backend (a no-op on SQLite).
pub trait LockUsers {
    /// Lock the users `changes` touch (and every member of `group` when `rename`).
    fn lock_users(
        &mut self,
        group: &str,
        changes: &[MemberChange],
        rename: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl LockUsers for AsyncPgConnection {
    async fn lock_users(
        &mut self,
        group: &str,
        changes: &[MemberChange],
        rename: bool,
    ) -> Result<(), StoreError> {
        let (ids, whole) = touched_users(changes, rename);
        lock_users_pg(self, group, &ids, whole).await.map(|_| ())
    }
}

impl LockUsers for SqliteConn {
    async fn lock_users(
        &mut self,
        _group: &str,
        _changes: &[MemberChange],
        _rename: bool,
    ) -> Result<(), StoreError> {
        Ok(())
    }
}

pub(super) fn id_strings(ids: &[AccountId]) -> Vec<String> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter()
        .map(|i| i.to_string())
        .filter(|s| seen.insert(s.clone()))
        .collect()
}

macro_rules! impl_membership_sql {
    ($conn:ty, $dialect:expr) => {
        impl MembershipSql for $conn {
            async fn live_users(
                &mut self,
                tenant: &str,
                ids: &[String],
            ) -> Result<HashSet<String>, StoreError> {
                let mut found: HashSet<String> = HashSet::with_capacity(ids.len());
                for chunk in ids.chunks(CHUNK) {
                    // Looked up by primary key alone, the tenant compared here: with
                    // `tenant_id = ?` in the query, SQLite's planner (no statistics) took the
                    // tenant's creation-order index and walked every user of the tenant for
                    // each batch (6 ms per member add in a 100,000-user tenant).
                    let rows: Vec<(String, String)> = users::table
                        .filter(users::id.eq_any(chunk))
                        .filter(users::deleted_at.is_null())
                        .select((users::id, users::tenant_id))
                        .load(self)
                        .await?;
                    found.extend(rows.into_iter().filter(|r| r.1 == tenant).map(|r| r.0));
                }
                Ok(found)
            }

            async fn check_members(
                &mut self,
                tenant: &str,
                ids: &[String],
            ) -> Result<(), StoreError> {
                let found = self.live_users(tenant, ids).await?;
                let missing: Vec<&str> = ids
                    .iter()
                    .filter(|i| !found.contains(*i))
                    .map(String::as_str)
                    .collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(StoreError::Domain(DomainError::Scim(
                        ScimError::invalid_value(format!(
                            "not a user of this tenant: {}",
                            missing.join(", ")
                        )),
                    )))
                }
            }

            async fn apply_change(
                &mut self,
                tenant: &str,
                group: &str,
                change: &MemberChange,
                now: i64,
                check: bool,
            ) -> Result<usize, StoreError> {
                if check && let MemberChange::Add(ids) | MemberChange::Replace(ids) = change {
                    self.check_members(tenant, &id_strings(ids)).await?;
                }
                let steps = change_steps($dialect, tenant, group, change, now);
                Ok(self.run_steps(group, steps).await?.iter().sum())
            }
        }

        impl StepRunner for $conn {
            async fn run_steps(
                &mut self,
                group: &str,
                steps: Vec<Step>,
            ) -> Result<Vec<usize>, StoreError> {
                let mut counts = Vec::with_capacity(steps.len());
                let mut fixed: Vec<Sql> = Vec::new();
                for step in steps {
                    match step {
                        // A run of fixed statements goes out together where it can.
                        Step::Sql(sql) => fixed.push(sql),
                        Step::KeepOnly(ids) => {
                            counts.extend(self.run_fixed(std::mem::take(&mut fixed)).await?);
                            // `<> ALL` of one array on PostgreSQL: no bound on the set's size.
                            counts.push(
                                diesel::delete(
                                    memberships::table
                                        .filter(memberships::group_id.eq(group))
                                        .filter(memberships::user_id.ne_all(&ids)),
                                )
                                .execute(self)
                                .await?,
                            );
                        }
                    }
                }
                counts.extend(self.run_fixed(fixed).await?);
                Ok(counts)
            }
        }
    };
}

/// Fixed statements run in order, with the rows each changed.
pub trait RunFixed {
    /// On PostgreSQL sent together, one round trip for all (diesel-async pipelines the
    /// queries of futures polled together: each takes the statement cache's lock in turn, so
    /// they are sent, and run, in the order given); on SQLite one after another.
    fn run_fixed(
        &mut self,
        sqls: Vec<Sql>,
    ) -> impl Future<Output = Result<Vec<usize>, StoreError>> + Send;
}

impl RunFixed for AsyncPgConnection {
    async fn run_fixed(&mut self, sqls: Vec<Sql>) -> Result<Vec<usize>, StoreError> {
        let shared: &AsyncPgConnection = self;
        let counts = futures_util::future::try_join_all(sqls.into_iter().map(|sql| async move {
            let mut c = shared;
            sql.query(true).execute(&mut c).await
        }))
        .await?;
        Ok(counts)
    }
}

impl RunFixed for SqliteConn {
    async fn run_fixed(&mut self, sqls: Vec<Sql>) -> Result<Vec<usize>, StoreError> {
        let mut counts = Vec::with_capacity(sqls.len());
        for sql in sqls {
            counts.push(sql.query(true).execute(self).await?);
        }
        Ok(counts)
    }
}

/// One statement of a membership change.
pub enum Step {
    /// A statement of fixed text (kept prepared), run with the ones around it.
    Sql(Sql),
    /// Drop every member but these (a `Replace`), run alone.
    KeepOnly(Vec<String>),
}

/// Run a change's statements (see [`RunFixed`]).
pub trait StepRunner {
    /// The rows each step inserted or deleted.
    fn run_steps(
        &mut self,
        group: &str,
        steps: Vec<Step>,
    ) -> impl Future<Output = Result<Vec<usize>, StoreError>> + Send;
}

/// The statements of one membership delta, O(k) in the ids named whatever the group size:
/// one `INSERT … ON CONFLICT DO NOTHING` per id added, one `DELETE` per id removed (fixed
/// texts with every value bound, kept prepared: diesel never caches an `INSERT … ON
/// CONFLICT`, nor a `DELETE`), the whole group's rows for `RemoveAll`, and for `Replace`
/// the rows not in the new set, then the adds (the database computes the delta; existing
/// rows are a no-op).
pub fn change_steps(
    dialect: Dialect,
    tenant: &str,
    group: &str,
    change: &MemberChange,
    now: i64,
) -> Vec<Step> {
    let add =
        |ids: &[String]| -> Vec<Step> {
            ids.iter()
            .map(|u| {
            let mut sql = Sql::new(dialect);
            sql.push("INSERT INTO memberships (group_id, user_id, tenant_id, created_at) VALUES (")
                .bind(Bind::Text(group.to_string()))
                .push(", ")
                .bind(Bind::Text(u.clone()))
                .push(", ")
                .bind(Bind::Text(tenant.to_string()))
                .push(", ")
                .bind(Bind::Int(now))
                .push(") ON CONFLICT DO NOTHING");
            Step::Sql(sql)
        })
            .collect()
        };
    let remove = |id: Option<&String>| {
        let mut sql = Sql::new(dialect);
        sql.push("DELETE FROM memberships WHERE group_id = ")
            .bind(Bind::Text(group.to_string()));
        if let Some(id) = id {
            sql.push(" AND user_id = ").bind(Bind::Text(id.clone()));
        }
        Step::Sql(sql)
    };
    match change {
        MemberChange::Add(ids) => add(&id_strings(ids)),
        MemberChange::Remove(ids) => id_strings(ids).iter().map(|id| remove(Some(id))).collect(),
        MemberChange::RemoveAll => vec![remove(None)],
        MemberChange::Replace(ids) => {
            let ids = id_strings(ids);
            let adds = add(&ids);
            std::iter::once(Step::KeepOnly(ids)).chain(adds).collect()
        }
    }
}

impl_membership_sql!(AsyncPgConnection, Dialect::Postgres);
impl_membership_sql!(SqliteConn, Dialect::Sqlite);

fn not_found(id: &str) -> StoreError {
    StoreError::Domain(DomainError::NotFound(format!("Group {id}")))
}

impl Store {
    /// See `Directory::insert_group`.
    pub async fn insert_group_impl(
        &self,
        tenant: TenantId,
        id: GroupId,
        write: GroupWrite,
        members: Vec<AccountId>,
        now: i64,
        event: SyncEvent,
    ) -> Result<GroupRecord, StoreError> {
        let (id_s, tenant_s) = (id.to_string(), tenant.to_string());
        let doc = serde_json::Value::Object(write.doc.clone()).to_string();
        let key = fold(&write.display_name);
        let change = MemberChange::Add(members);
        let row: GroupRow = with_tx!(self, |c, _d| {
            let row: GroupRow = diesel::insert_into(groups::table)
                .values((
                    groups::id.eq(&id_s),
                    groups::tenant_id.eq(&tenant_s),
                    groups::display_name.eq(&write.display_name),
                    groups::display_name_key.eq(&key),
                    groups::external_id.eq(&write.external_id),
                    groups::doc.eq(&doc),
                    groups::version.eq(1i64),
                    groups::created_at.eq(now),
                    groups::updated_at.eq(now),
                    groups::last_sync_at.eq(now),
                    groups::last_sync_client.eq(event.client.map(|c| c.to_string())),
                    groups::last_sync_outcome.eq("ok"),
                ))
                .returning(GroupRow::as_returning())
                .get_result(c)
                .await?;
            c.lock_users(&id_s, std::slice::from_ref(&change), false)
                .await?;
            c.apply_change(&tenant_s, &id_s, &change, now, true).await?;
            c.write_event(&event).await?;
            Ok::<_, StoreError>(row)
        })?;
        self.note_inserted(Analyzed::Groups, 1);
        let mut rec = row.into_record();
        rec.members = Some(self.members_of(&id_s, MemberLoad::WithDisplay).await?);
        Ok(rec)
    }

    /// Live members of a group, in user id order: the membership key's own order, so
    /// PostgreSQL reads it from the primary key without sorting. Display names only when
    /// asked: without them the members of a deleted user are left out by an anti-join
    /// (100,000 members: 26 ms instead of 85 ms with the join and its sort).
    async fn members_of(
        &self,
        group: &str,
        load: MemberLoad,
    ) -> Result<Vec<MemberRef>, StoreError> {
        let rows: Vec<(String, Option<String>)> = match load {
            MemberLoad::None => return Ok(Vec::new()),
            MemberLoad::Ids => with_conn!(self, |c, _d| {
                let deleted = users::table
                    .filter(users::id.eq(memberships::user_id))
                    .filter(users::deleted_at.is_not_null());
                memberships::table
                    .filter(memberships::group_id.eq(group))
                    .filter(diesel::dsl::not(diesel::dsl::exists(deleted)))
                    .select((
                        memberships::user_id,
                        None::<String>
                            .into_sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>(),
                    ))
                    .order(memberships::user_id)
                    .load(c)
                    .await?
            }),
            MemberLoad::WithDisplay => with_conn!(self, |c, _d| {
                memberships::table
                    .inner_join(users::table)
                    .filter(memberships::group_id.eq(group))
                    .filter(users::deleted_at.is_null())
                    .select((users::id, users::display_name))
                    .order(memberships::user_id)
                    .load(c)
                    .await?
            }),
        };
        Ok(rows
            .into_iter()
            .filter_map(|(id, display)| AccountId::parse(&id).map(|id| MemberRef { id, display }))
            .collect())
    }

    /// See `Directory::get_group`.
    pub async fn get_group_impl(
        &self,
        scope: ReadScope<'_>,
        id: GroupId,
        members: MemberLoad,
    ) -> Result<Option<GroupRecord>, StoreError> {
        let (id_s, tenant_s) = (id.to_string(), scope.tenant.to_string());
        // By primary key alone, the tenant compared on the row (see `user_with_groups_sql`);
        // the token check a column of the same statement.
        let row: Option<GroupRow> = self
            .read_one_carried(scope, |d, gate| {
                row_by_id_sql(d, Table::Groups, "t.*", &id_s, gate)
            })
            .await?;
        let row = of_tenant(row, &tenant_s, |r| &r.tenant_id);
        let Some(row) = row else { return Ok(None) };
        let mut rec = row.into_record();
        if members != MemberLoad::None {
            rec.members = Some(self.members_of(&id_s, members).await?);
        }
        Ok(Some(rec))
    }

    /// See `Directory::list_groups`.
    pub async fn list_groups_impl(
        &self,
        scope: ReadScope<'_>,
        query: &ListQuery,
        members: MemberLoad,
    ) -> Result<Listing<GroupRecord>, StoreError> {
        // As for users: the page carries the token check.
        let (read, gate) = scope.carried();
        let (page, count) = list_sql(
            self.dialect(),
            Table::Groups,
            "t.*",
            &scope.tenant.to_string(),
            query,
            false,
            gate,
        );
        let prepared = prepared_shape(query);
        let point = is_point_lookup(query);
        // As for users: rows are `Maybe` (a lookup by a unique key that found nothing still
        // returns the row that carries the token check).
        let (rows, gates, total): (Vec<GroupRow>, Option<Option<String>>, Option<i64>) =
            with_read_conn!(self, read, point, |c, _d| {
                let loaded: Vec<Gated<Maybe<GroupRow>>> = page.query(prepared).load(c).await?;
                let gate_row = <[_]>::first(&loaded).map(|r| r.gate.clone());
                let carried = <[_]>::first(&loaded).and_then(|r| r.total);
                let rows: Vec<GroupRow> = loaded.into_iter().filter_map(|r| r.row.0).collect();
                let total = match count {
                    // An unfiltered page's rows carry the total.
                    Some(_) if carried.is_some() => carried,
                    // A short page already tells the total: no COUNT round trip (the common
                    // `filter=userName eq "…"&startIndex=1&count=100` lookup of Okta and Entra).
                    Some(_) if let Some(n) = total_from_page(&query.page, rows.len()) => Some(n),
                    Some(q) => {
                        let r: CountRow = q.query(prepared).get_result(c).await?;
                        Some(r.n)
                    }
                    None => None,
                };
                (rows, gate_row, total)
            });
        self.decide_carried(gate, gates.as_ref().map(Option::as_deref))
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.id.clone();
            let mut rec = row.into_record();
            if members != MemberLoad::None {
                rec.members = Some(self.members_of(&id, members).await?);
            }
            items.push(rec);
        }
        Ok(Listing { items, total })
    }

    /// See `Directory::update_group`.
    pub async fn update_group_impl<F>(
        &self,
        tenant: TenantId,
        id: GroupId,
        expected: Option<Vec<i64>>,
        now: i64,
        decide: F,
    ) -> Result<GroupRecord, StoreError>
    where
        F: Fn(&GroupRecord) -> Result<GroupDecision, DomainError> + Send + Sync,
    {
        let (id_s, tenant_s) = (id.to_string(), tenant.to_string());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result: Result<GroupRecord, StoreError> = with_tx!(self, |c, _d| {
                // On PostgreSQL the group's row is locked before any membership row is
                // touched, as a membership batch locks it (`member_batch`): taken in the
                // other order, a replace of the members and a batch adding one of them
                // each waited for the other (a deadlock, which PostgreSQL ends by failing
                // one: 503). SQLite has one writer.
                if _d == Dialect::Postgres {
                    let mut lock = Sql::new(_d);
                    lock.push("SELECT 1 FROM groups WHERE id = ")
                        .bind(Bind::Text(id_s.clone()))
                        .push(" FOR NO KEY UPDATE");
                    lock.query(true).execute(c).await?;
                }
                // By primary key, the tenant compared on the row (`user_with_groups_sql`).
                let row: Option<GroupRow> = groups::table
                    .filter(groups::id.eq(&id_s))
                    .filter(groups::deleted_at.is_null())
                    .select(GroupRow::as_select())
                    .first(c)
                    .await
                    .optional()?;
                let row =
                    of_tenant(row, &tenant_s, |r| &r.tenant_id).ok_or_else(|| not_found(&id_s))?;
                if let Some(exp) = &expected
                    && !exp.contains(&row.version)
                {
                    return Err(StoreError::Domain(DomainError::PreconditionFailed));
                }
                let read_version = row.version;
                let current = row.into_record();
                let decision = decide(&current)?;
                let rename = decision
                    .write
                    .as_ref()
                    .is_some_and(|w| w.display_name != current.display_name);
                c.lock_users(&id_s, &decision.members, rename).await?;
                let mut rows_changed = 0;
                for change in &decision.members {
                    rows_changed += c.apply_change(&tenant_s, &id_s, change, now, true).await?;
                }
                if decision.write.is_none() && rows_changed == 0 {
                    // RFC 7644 3.5.2.1: adding a member already present (or removing an absent
                    // one) "SHALL NOT change the modify timestamp of the resource": no version
                    // bump either, only the event and the last-sync columns.
                    c.write_event(&decision.event).await?;
                    c.write_last_sync(&decision.event, now).await?;
                    return Ok(current);
                }
                let client = decision.event.client.map(|c| c.to_string());
                // The event goes in before the version bump: the group row stays locked
                // only from that UPDATE to COMMIT, which is what serialises writers of a
                // hot group.
                c.write_event(&decision.event).await?;
                let updated: Option<GroupRow> = match &decision.write {
                    Some(w) => diesel::update(
                        groups::table
                            .filter(groups::id.eq(&id_s))
                            .filter(groups::version.eq(read_version))
                            .filter(groups::deleted_at.is_null()),
                    )
                    .set((
                        groups::display_name.eq(&w.display_name),
                        groups::display_name_key.eq(fold(&w.display_name)),
                        groups::external_id.eq(&w.external_id),
                        groups::doc.eq(serde_json::Value::Object(w.doc.clone()).to_string()),
                        groups::version.eq(read_version + 1),
                        groups::updated_at.eq(now),
                        groups::last_sync_at.eq(now),
                        groups::last_sync_client.eq(&client),
                        groups::last_sync_outcome.eq("ok"),
                    ))
                    .returning(GroupRow::as_returning())
                    .get_result(c)
                    .await
                    .optional()?,
                    None => {
                        // Membership deltas commute: bump the version without a compare
                        // (unless If-Match asked for one), so concurrent adds all succeed.
                        let (lo, hi) = if expected.is_some() {
                            (read_version, read_version)
                        } else {
                            (i64::MIN, i64::MAX)
                        };
                        diesel::update(
                            groups::table
                                .filter(groups::id.eq(&id_s))
                                .filter(groups::deleted_at.is_null())
                                .filter(groups::version.between(lo, hi)),
                        )
                        .set((
                            groups::version.eq(groups::version + 1),
                            groups::updated_at.eq(now),
                            groups::last_sync_at.eq(now),
                            groups::last_sync_client.eq(&client),
                            groups::last_sync_outcome.eq("ok"),
                        ))
                        .returning(GroupRow::as_returning())
                        .get_result(c)
                        .await
                        .optional()?
                    }
                };
                let Some(updated) = updated else {
                    return Err(StoreError::Retry);
                };
                Ok(updated.into_record())
            });
            match result {
                Err(e) if e.is_retryable() && attempt < MAX_ATTEMPTS => backoff(attempt).await,
                other => return other,
            }
        }
    }

    /// See `Directory::delete_group`.
    pub async fn delete_group_impl(
        &self,
        tenant: TenantId,
        id: GroupId,
        expected: Option<Vec<i64>>,
        now: i64,
        event: SyncEvent,
    ) -> Result<(), StoreError> {
        let (id_s, tenant_s) = (id.to_string(), tenant.to_string());
        with_tx!(self, |c, _d| {
            // By primary key, the tenant compared on the row (`user_with_groups_sql`).
            let row: Option<(i64, String)> = groups::table
                .filter(groups::id.eq(&id_s))
                .filter(groups::deleted_at.is_null())
                .select((groups::version, groups::tenant_id))
                .first(c)
                .await
                .optional()?;
            let (version, _) =
                of_tenant(row, &tenant_s, |r| &r.1).ok_or_else(|| not_found(&id_s))?;
            if let Some(exp) = &expected
                && !exp.contains(&version)
            {
                return Err(StoreError::Domain(DomainError::PreconditionFailed));
            }
            let n = diesel::update(
                groups::table
                    .filter(groups::id.eq(&id_s))
                    .filter(groups::deleted_at.is_null())
                    .filter(groups::version.eq(version)),
            )
            .set((
                groups::deleted_at.eq(now),
                groups::version.eq(version + 1),
                groups::updated_at.eq(now),
                groups::last_sync_at.eq(now),
                groups::last_sync_client.eq(event.client.map(|c| c.to_string())),
                groups::last_sync_outcome.eq("ok"),
            ))
            .execute(c)
            .await?;
            if n == 0 {
                return Err(StoreError::Domain(if expected.is_some() {
                    DomainError::PreconditionFailed
                } else {
                    DomainError::NotFound(format!("Group {id_s}"))
                }));
            }
            c.write_event(&event).await?;
            Ok(())
        })
    }
}
