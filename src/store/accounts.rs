//! Operator accounts (SCIM Users) on both backends.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::domain::account::{AccountRecord, AccountWrite, DEFAULT_STATUS, fold};
use crate::domain::directory::{Decision, Listing, ReadScope};
use crate::domain::error::DomainError;
use crate::domain::ids::{AccountId, TenantId};
use crate::domain::mapping::user::has_skills;
use crate::domain::query::ListQuery;
use crate::domain::sync::SyncEvent;
use crate::store::admin::{push_gate_column, push_gate_holds};
use crate::store::error::StoreError;
use crate::store::events::{
    event_and_sync_sql, insert_event, mark_synced, push_event_after, push_insert_event_if,
};
use crate::store::filter_sql::Table;
use crate::store::list_sql::{
    is_point_lookup, list_sql, of_tenant, prepared_shape, row_by_id_sql, total_from_page,
    user_with_groups_sql,
};
use crate::store::models::{
    Gated, Maybe, NewSyncEvent, UserRead, UserRow, UserWithGroups, WithGroups,
};
use crate::store::raw_query::{Bind, Sql};
use crate::store::schema::{user_skills, users};
use crate::store::{Analyzed, DbPool, Dialect, Store};
use crate::{with_read_conn, with_tx};

/// How often a read-modify-write is retried after losing a race.
pub const MAX_ATTEMPTS: usize = 30;

/// Column values of an account write.
#[derive(Debug, Clone, AsChangeset, Insertable)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct UserChanges {
    user_name: String,
    user_name_key: String,
    external_id: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
    email_key: Option<String>,
    active: bool,
    mobile_phone: Option<String>,
    csr_user: bool,
    voice_calls: bool,
    max_chats: Option<i32>,
    max_emails: Option<i32>,
    doc: String,
}

/// Columns of [`UserChanges`], in the order of [`UserChanges::binds`].
const CHANGE_COLUMNS: [&str; 15] = [
    "user_name",
    "user_name_key",
    "external_id",
    "given_name",
    "family_name",
    "display_name",
    "email",
    "email_key",
    "active",
    "mobile_phone",
    "csr_user",
    "voice_calls",
    "max_chats",
    "max_emails",
    "doc",
];

impl UserChanges {
    /// The values, every column bound (NULL included): the account writes are SQL of fixed
    /// text, kept prepared (see `events::event_binds`).
    fn binds(&self) -> [Bind; 15] {
        [
            Bind::Text(self.user_name.clone()),
            Bind::Text(self.user_name_key.clone()),
            Bind::OptText(self.external_id.clone()),
            Bind::OptText(self.given_name.clone()),
            Bind::OptText(self.family_name.clone()),
            Bind::OptText(self.display_name.clone()),
            Bind::OptText(self.email.clone()),
            Bind::OptText(self.email_key.clone()),
            Bind::Bool(self.active),
            Bind::OptText(self.mobile_phone.clone()),
            Bind::Bool(self.csr_user),
            Bind::Bool(self.voice_calls),
            Bind::OptInt(self.max_chats.map(i64::from)),
            Bind::OptInt(self.max_emails.map(i64::from)),
            Bind::Text(self.doc.clone()),
        ]
    }

    fn from_write(w: &AccountWrite) -> Self {
        let f = &w.fields;
        UserChanges {
            user_name: f.user_name.clone(),
            user_name_key: fold(&f.user_name),
            external_id: f.external_id.clone(),
            given_name: f.given_name.clone(),
            family_name: f.family_name.clone(),
            display_name: f.display_name.clone(),
            email: f.email.clone(),
            email_key: f.email.as_deref().map(fold),
            active: f.active,
            mobile_phone: f.mobile_phone.clone(),
            csr_user: f.csr_user,
            voice_calls: f.voice_calls,
            max_chats: f.max_chats,
            max_emails: f.max_emails,
            doc: serde_json::Value::Object(w.doc.clone()).to_string(),
        }
    }
}

/// Count rows of a raw count query.
#[derive(QueryableByName)]
pub struct CountRow {
    /// The count.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
}

fn not_found(id: impl std::fmt::Display) -> StoreError {
    StoreError::Domain(DomainError::NotFound(format!("User {id}")))
}

/// Pause before retrying a lost race (grows with the attempt, jittered).
pub async fn backoff(attempt: usize) {
    let base = 1u64 << attempt.min(6);
    let jitter = rand::random::<u64>() % (base + 1);
    tokio::time::sleep(std::time::Duration::from_millis(base + jitter)).await;
}

impl Store {
    /// See `Directory::insert_account`.
    pub async fn insert_account_impl(
        &self,
        scope: ReadScope<'_>,
        id: AccountId,
        write: AccountWrite,
        now: i64,
        event: SyncEvent,
    ) -> Result<AccountRecord, StoreError> {
        let changes = UserChanges::from_write(&write);
        let (id_s, tenant_s) = (id.to_string(), scope.tenant.to_string());
        let skills: Vec<String> = write.fields.skills.iter().map(|s| fold(s)).collect();
        let event_row = NewSyncEvent::from_event(&event);
        let (_, gate) = scope.carried();
        // `INSERT INTO users (…) <values> RETURNING *`, the values as a `VALUES` list or as a
        // `SELECT` whose `WHERE` the caller appends.
        let insert = |sql: &mut Sql, select: bool| {
            sql.push("INSERT INTO users (id, tenant_id, ")
                .push(&CHANGE_COLUMNS.join(", "))
                .push(
                    ", status, version, created_at, updated_at, last_sync_at, \
                     last_sync_client, last_sync_outcome) ",
                )
                .push(if select { "SELECT " } else { "VALUES (" })
                .bind_list([Bind::Text(id_s.clone()), Bind::Text(tenant_s.clone())])
                .push(", ")
                .bind_list(changes.binds())
                .push(", ")
                .bind_list([
                    Bind::Text(DEFAULT_STATUS.to_string()),
                    Bind::Int(1),
                    Bind::Int(now),
                    Bind::Int(now),
                    Bind::Int(now),
                    Bind::OptText(event.client.map(|c| c.to_string())),
                    Bind::Text("ok".to_string()),
                ]);
            if !select {
                sql.push(")");
            }
        };
        if let DbPool::Pg(pool) = &self.pool
            && skills.is_empty()
        {
            // The account and its event in one statement: one round trip, one commit. The
            // token check rides along: the row is inserted only if the client holds
            // (`push_gate_holds`), and the client row comes back to be decided
            // (`push_gate_column`), so a create costs no statement of its own for the check.
            let mut sql = Sql::new(Dialect::Postgres);
            let holds = |sql: &mut Sql| match gate {
                Some(g) => push_gate_holds(sql, g),
                None => {
                    sql.push("TRUE");
                }
            };
            sql.push("WITH event AS (");
            push_insert_event_if(&mut sql, &event_row, holds);
            sql.push(") ");
            insert(&mut sql, true);
            sql.push(" WHERE ");
            holds(&mut sql);
            sql.push(" RETURNING ");
            push_gate_column(&mut sql, gate);
            sql.push(", *");
            let mut conn = pool.get().await?;
            let row: Option<Gated<UserRow>> =
                sql.query(true).get_result(&mut *conn).await.optional()?;
            drop(conn);
            self.decide_carried(gate, row.as_ref().map(|r| r.gate.as_deref()))
                .await?;
            if let Some(row) = row {
                self.note_inserted(Analyzed::Users, 1);
                let mut rec = row.row.into_record();
                rec.fields.skills = write.fields.skills;
                return Ok(rec);
            }
            // Nothing inserted: the token was refused when the statement ran. The check is
            // made now (401 for a refused token); should it pass, the write is made below.
        }
        if let Some(g) = gate {
            self.settle_gate(g).await?;
        }
        let row: UserRow = with_tx!(self, |c, d| {
            let mut sql = Sql::new(d);
            insert(&mut sql, false);
            sql.push(" RETURNING *");
            let row: UserRow = sql.query(true).get_result(c).await?;
            for key in &skills {
                diesel::insert_into(user_skills::table)
                    .values((
                        user_skills::user_id.eq(&id_s),
                        user_skills::skill_key.eq(key),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await?;
            }
            insert_event(c, &event).await?;
            Ok::<_, StoreError>(row)
        })?;
        self.note_inserted(Analyzed::Users, 1);
        let mut rec = row.into_record();
        rec.fields.skills = write.fields.skills;
        Ok(rec)
    }

    /// See `Directory::get_account`.
    pub async fn get_account_impl(
        &self,
        scope: ReadScope<'_>,
        id: AccountId,
        with_groups: bool,
    ) -> Result<Option<AccountRecord>, StoreError> {
        self.get_user_impl::<UserRow>(scope, id, with_groups).await
    }

    /// One live user as the row type `R` reads it (the whole row, or only what an answer
    /// needs), with its groups when asked.
    pub async fn get_user_impl<R: UserRead>(
        &self,
        scope: ReadScope<'_>,
        id: AccountId,
        with_groups: bool,
    ) -> Result<Option<R::Out>, StoreError> {
        let (id_s, tenant_s) = (id.to_string(), scope.tenant.to_string());
        if with_groups {
            // The row, its groups and the token check in one statement, kept prepared.
            let row: Option<WithGroups<R>> = self
                .read_one_carried(scope, |d, gate| {
                    user_with_groups_sql(d, R::COLUMNS, &id_s, gate)
                })
                .await?;
            return Ok(of_tenant(row, &tenant_s, |r| r.row.tenant()).map(WithGroups::into_out));
        }
        // Without its groups (a projection that leaves them out), the same way.
        let row: Option<R> = self
            .read_one_carried(scope, |d, gate| {
                row_by_id_sql(d, Table::Users, R::COLUMNS, &id_s, gate)
            })
            .await?;
        Ok(of_tenant(row, &tenant_s, |r| r.tenant()).map(|r| r.into_out(Vec::new())))
    }

    /// See `Directory::list_accounts`.
    pub async fn list_accounts_impl(
        &self,
        scope: ReadScope<'_>,
        query: &ListQuery,
        with_groups: bool,
    ) -> Result<Listing<AccountRecord>, StoreError> {
        self.list_users_impl::<UserRow>(scope, query, with_groups)
            .await
    }

    /// Live users matching a query, as the row type `R` reads them (see `get_user_impl`).
    pub async fn list_users_impl<R: UserRead>(
        &self,
        scope: ReadScope<'_>,
        query: &ListQuery,
        with_groups: bool,
    ) -> Result<Listing<R::Out>, StoreError> {
        // The page carries the token check (a column of its rows); an empty page leaves it
        // to be made after, but for a lookup by a unique key, whose statement returns one
        // row (`Maybe`, no user) when it finds nothing.
        let (read, gate) = scope.carried();
        let (page, count) = list_sql(
            self.dialect(),
            Table::Users,
            R::COLUMNS,
            &scope.tenant.to_string(),
            query,
            with_groups,
            gate,
        );
        let prepared = prepared_shape(query);
        let point = is_point_lookup(query);
        let (rows, gates, total): (Vec<WithGroups<R>>, Option<Option<String>>, Option<i64>) =
            with_read_conn!(self, read, point, |c, _d| {
                let loaded: Vec<Gated<Maybe<WithGroups<R>>>> = if with_groups {
                    page.query(prepared).load(c).await?
                } else {
                    let rows: Vec<Gated<Maybe<R>>> = page.query(prepared).load(c).await?;
                    rows.into_iter()
                        .map(|r| Gated {
                            row: Maybe(r.row.0.map(|row| WithGroups {
                                row,
                                groups_json: None,
                            })),
                            gate: r.gate,
                            total: r.total,
                        })
                        .collect()
                };
                let gate_row = <[_]>::first(&loaded).map(|r| r.gate.clone());
                let carried = <[_]>::first(&loaded).and_then(|r| r.total);
                let rows: Vec<WithGroups<R>> = loaded.into_iter().filter_map(|r| r.row.0).collect();
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
        let items = rows.into_iter().map(WithGroups::into_out).collect();
        Ok(Listing { items, total })
    }

    /// See `Directory::update_account`.
    pub async fn update_account_impl<F>(
        &self,
        scope: ReadScope<'_>,
        id: AccountId,
        expected: Option<Vec<i64>>,
        now: i64,
        decide: F,
    ) -> Result<AccountRecord, StoreError>
    where
        F: Fn(&AccountRecord) -> Result<Decision<AccountWrite>, DomainError> + Send + Sync,
    {
        let (id_s, tenant_s) = (id.to_string(), scope.tenant.to_string());
        let mut attempt = 0;
        loop {
            attempt += 1;
            // The row with its groups (the answer shows them, and a user write never changes
            // them: `groups` is readOnly on a User), read before the write transaction, which
            // applies only to the version read (a lost race retries). On PostgreSQL the read
            // goes out on the thread's shared connection, pipelined with other requests' reads,
            // and the transaction holds its connection for the write alone. The request's
            // token check is a column of the first read (`push_gate_column`), decided before
            // anything is written; a retry finds it decided.
            let row: Option<UserWithGroups> = self
                .read_one_carried(scope, |d, gate| {
                    user_with_groups_sql(d, UserRow::COLUMNS, &id_s, gate)
                })
                .await?;
            let row =
                of_tenant(row, &tenant_s, |r| &r.row.tenant_id).ok_or_else(|| not_found(&id_s))?;
            if let Some(exp) = &expected
                && !exp.contains(&row.row.version)
            {
                return Err(StoreError::Domain(DomainError::PreconditionFailed));
            }
            let read_version = row.row.version;
            let current = row.into_record();
            let decision = decide(&current)?;
            // The UPDATE of the version read (a lost race matches no row and retries).
            let update = |dialect, write: &AccountWrite, with_event: bool| {
                let changes = UserChanges::from_write(write);
                let mut sql = Sql::new(dialect);
                if with_event {
                    sql.push("WITH u AS (");
                }
                sql.push("UPDATE users SET ");
                for (i, (col, b)) in CHANGE_COLUMNS.iter().zip(changes.binds()).enumerate() {
                    sql.push(if i == 0 { "" } else { ", " })
                        .push(col)
                        .push(" = ")
                        .bind(b);
                }
                // Deactivated operators are Offline (taken out of routing).
                sql.push(", status = CASE WHEN ")
                    .bind(Bind::Bool(write.fields.active))
                    .push(" THEN status ELSE ")
                    .bind(Bind::Text(DEFAULT_STATUS.to_string()))
                    .push(" END, version = ")
                    .bind(Bind::Int(read_version + 1))
                    .push(", updated_at = ")
                    .bind(Bind::Int(now))
                    .push(", last_sync_at = ")
                    .bind(Bind::Int(now))
                    .push(", last_sync_client = ")
                    .bind(Bind::OptText(decision.event.client.map(|c| c.to_string())))
                    .push(", last_sync_outcome = 'ok' WHERE id = ")
                    .bind(Bind::Text(id_s.clone()))
                    .push(" AND version = ")
                    .bind(Bind::Int(read_version))
                    .push(" AND deleted_at IS NULL RETURNING *");
                if with_event {
                    sql.push(")");
                    push_event_after(&mut sql, "u", &NewSyncEvent::from_event(&decision.event));
                    sql.push(" SELECT * FROM u");
                }
                sql.query(true)
            };
            if let (DbPool::Pg(pool), None) = (&self.pool, &decision.write) {
                // Nothing to change: the event and the last-sync columns in one statement.
                let mut conn = pool.get().await?;
                event_and_sync_sql(&decision.event, now)
                    .query(true)
                    .execute(&mut *conn)
                    .await?;
                return Ok(current);
            }
            let skills_change = decision
                .write
                .as_ref()
                .is_some_and(|w| has_skills(&current.doc) || !w.fields.skills.is_empty());
            let fast = match (&self.pool, &decision.write, skills_change) {
                (DbPool::Pg(pool), Some(write), false) => Some((pool, write)),
                _ => None,
            };
            let result: Result<AccountRecord, StoreError> = if let Some((pool, write)) = fast {
                // The row and its event in one statement (one round trip, one commit), the
                // event only if the row was updated.
                let updated = async {
                    let mut conn = pool.get().await?;
                    let row: Option<UserRow> = update(Dialect::Postgres, write, true)
                        .get_result(&mut *conn)
                        .await
                        .optional()?;
                    Ok::<_, StoreError>(row)
                }
                .await;
                let current_groups = current.groups;
                updated.and_then(|row| {
                    let mut rec = row.ok_or(StoreError::Retry)?.into_record();
                    rec.groups = current_groups;
                    Ok(rec)
                })
            } else {
                with_tx!(self, |c, d| {
                    let Some(write) = &decision.write else {
                        insert_event(c, &decision.event).await?;
                        mark_synced(c, &decision.event, now).await?;
                        return Ok(current);
                    };
                    let updated: Option<UserRow> =
                        update(d, write, false).get_result(c).await.optional()?;
                    let Some(updated) = updated else {
                        return Err(StoreError::Retry);
                    };
                    if has_skills(&current.doc) || !write.fields.skills.is_empty() {
                        diesel::delete(user_skills::table.filter(user_skills::user_id.eq(&id_s)))
                            .execute(c)
                            .await?;
                        for s in &write.fields.skills {
                            diesel::insert_into(user_skills::table)
                                .values((
                                    user_skills::user_id.eq(&id_s),
                                    user_skills::skill_key.eq(fold(s)),
                                ))
                                .on_conflict_do_nothing()
                                .execute(c)
                                .await?;
                        }
                    }
                    insert_event(c, &decision.event).await?;
                    let mut rec = updated.into_record();
                    rec.groups = current.groups;
                    Ok(rec)
                })
            };
            match result {
                Err(e) if e.is_retryable() && attempt < MAX_ATTEMPTS => backoff(attempt).await,
                other => return other,
            }
        }
    }

    /// See `Directory::delete_account`.
    pub async fn delete_account_impl(
        &self,
        tenant: TenantId,
        id: AccountId,
        expected: Option<Vec<i64>>,
        now: i64,
        event: SyncEvent,
    ) -> Result<(), StoreError> {
        let (id_s, tenant_s) = (id.to_string(), tenant.to_string());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result: Result<(), StoreError> = with_tx!(self, |c, _d| {
                // By primary key, the tenant compared on the row (`user_with_groups_sql`).
                let row: Option<(i64, String)> = users::table
                    .filter(users::id.eq(&id_s))
                    .filter(users::deleted_at.is_null())
                    .select((users::version, users::tenant_id))
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
                    users::table
                        .filter(users::id.eq(&id_s))
                        .filter(users::deleted_at.is_null())
                        .filter(users::version.eq(version)),
                )
                .set((
                    users::deleted_at.eq(now),
                    users::active.eq(false),
                    users::status.eq(DEFAULT_STATUS),
                    users::version.eq(version + 1),
                    users::updated_at.eq(now),
                    users::last_sync_at.eq(now),
                    users::last_sync_client.eq(event.client.map(|c| c.to_string())),
                    users::last_sync_outcome.eq("ok"),
                ))
                .execute(c)
                .await?;
                if n == 0 {
                    // A concurrent write won. With If-Match the precondition failed; without,
                    // read again: the account is either changed (delete it) or gone (404).
                    return Err(if expected.is_some() {
                        StoreError::Domain(DomainError::PreconditionFailed)
                    } else {
                        StoreError::Retry
                    });
                }
                insert_event(c, &event).await?;
                Ok(())
            });
            match result {
                Err(e) if e.is_retryable() && attempt < MAX_ATTEMPTS => backoff(attempt).await,
                other => return other,
            }
        }
    }
}
