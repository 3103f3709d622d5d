//! Tenants, SCIM clients, the signing key and the skill catalog (CLI and authentication).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::domain::account::fold;
use crate::domain::clock::from_micros;
use crate::domain::directory::ReadScope;
use crate::domain::error::DomainError;
use crate::domain::ids::{ClientId, TenantId};
use crate::domain::tenant::{AuthGate, ScimClient, Tenant};
use crate::store::Store;
use crate::store::error::StoreError;
use crate::store::models::Gated;
use crate::store::raw_query::{Bind, Sql};
use crate::store::schema::{role_mappings, scim_clients, settings, skills, tenants};
use crate::{with_conn, with_write};

/// Settings key of the token signing secret.
pub const SIGNING_KEY: &str = "token_signing_key";

type TenantTuple = (String, String, String, i64);
/// A client row as selected by [`CLIENT_COLUMNS`].
pub type ClientTuple = (
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
);

fn tenant_of(t: TenantTuple) -> Option<Tenant> {
    Some(Tenant {
        id: TenantId::parse(&t.0)?,
        slug: t.1,
        name: t.2,
        created_at: from_micros(t.3),
    })
}

fn client_of(c: ClientTuple) -> Option<ScimClient> {
    Some(ScimClient {
        id: ClientId::parse(&c.0)?,
        tenant: TenantId::parse(&c.1)?,
        name: c.2,
        token_hash: c.3,
        created_at: from_micros(c.4),
        revoked_at: c.5.map(from_micros),
        last_used_at: c.6.map(from_micros),
    })
}

type ClientColumns = (
    scim_clients::id,
    scim_clients::tenant_id,
    scim_clients::name,
    scim_clients::token_hash,
    scim_clients::created_at,
    scim_clients::revoked_at,
    scim_clients::last_used_at,
);

const CLIENT_COLUMNS: ClientColumns = (
    scim_clients::id,
    scim_clients::tenant_id,
    scim_clients::name,
    scim_clients::token_hash,
    scim_clients::created_at,
    scim_clients::revoked_at,
    scim_clients::last_used_at,
);

/// The lookup of one client by id (the token check).
fn client_lookup(
    id: ClientId,
) -> diesel::dsl::Select<diesel::dsl::Find<scim_clients::table, String>, ClientColumns> {
    scim_clients::table
        .find(id.to_string())
        .select(CLIENT_COLUMNS)
}

/// The token check's client lookup on a shared PostgreSQL connection (so that it can be
/// pipelined with a read: see [`with_read_conn!`](crate::with_read_conn)).
pub async fn lookup_client_pg(
    mut conn: &diesel_async::AsyncPgConnection,
    id: ClientId,
) -> Result<Option<ClientTuple>, StoreError> {
    Ok(client_lookup(id).first(&mut conn).await.optional()?)
}

/// Name of the column that carries a request's token check inside its read.
pub const GATE_COLUMN: &str = "auth_gate";

/// Append the token check as one column of a read's select list (see [`Gated`]): the
/// client row's tenant, token hash, revocation and last use, packed in one text value by an
/// uncorrelated scalar subquery (evaluated once per statement). The check then costs the
/// database no statement of its own: on PostgreSQL a second statement per read, even
/// pipelined, cost a quarter of the database's time under `GET /Users/{id}`. With no open
/// gate the column is a NULL of the same type, so a read's shape does not depend on it.
///
/// [`Gated`]: crate::store::models::Gated
pub fn push_gate_column(sql: &mut Sql, gate: Option<&AuthGate>) {
    match gate {
        Some(g) => {
            sql.push(
                "(SELECT g.tenant_id || ' ' || g.token_hash || ' ' || COALESCE(g.revoked_at, -1) \
                 || ' ' || COALESCE(g.last_used_at, -1) FROM scim_clients g WHERE g.id = ",
            )
            .bind(Bind::Text(g.client.to_string()))
            .push(") AS ");
        }
        None => {
            sql.push("CAST(NULL AS TEXT) AS ");
        }
    }
    sql.push(GATE_COLUMN);
}

/// Append the token check as a condition, for a write that carries it without a read
/// before it: `EXISTS` a client row that [`AuthGate::decide`] would accept (the token's
/// client, of its tenant, not revoked, with its token's hash). The write then changes nothing
/// for a refused token; a [`push_gate_column`] beside it still brings the row to `decide`,
/// which records the client's use and gives the verdict the rest of the request sees.
pub fn push_gate_holds(sql: &mut Sql, gate: &AuthGate) {
    sql.push("EXISTS (SELECT 1 FROM scim_clients g WHERE g.id = ")
        .bind(Bind::Text(gate.client.to_string()))
        .push(" AND g.tenant_id = ")
        .bind(Bind::Text(gate.tenant.to_string()))
        .push(" AND g.revoked_at IS NULL AND g.token_hash = ")
        .bind(Bind::Text(gate.token_hash.clone()))
        .push(")");
}

/// The client row packed by [`push_gate_column`] (None: no such client, or a value that is
/// not what the column packs, which refuses the token).
pub fn carried_client(client: ClientId, packed: Option<&str>) -> Option<ScimClient> {
    let mut parts = packed?.split(' ');
    let tenant = TenantId::parse(parts.next()?)?;
    let token_hash = parts.next()?.to_string();
    let mut time = || -> Option<Option<chrono::DateTime<chrono::Utc>>> {
        let micros: i64 = parts.next()?.parse().ok()?;
        Some((micros >= 0).then(|| from_micros(micros)))
    };
    let (revoked_at, last_used_at) = (time()?, time()?);
    Some(ScimClient {
        id: client,
        tenant,
        name: String::new(),
        token_hash,
        created_at: from_micros(0),
        revoked_at,
        last_used_at,
    })
}

/// The token check's client lookup on a SQLite connection.
pub async fn lookup_client_sqlite(
    conn: &mut crate::store::SqliteConn,
    id: ClientId,
) -> Result<Option<ClientTuple>, StoreError> {
    Ok(client_lookup(id).first(conn).await.optional()?)
}

impl Store {
    /// The stored setting, or `value` stored now if there is none (first writer wins, so
    /// replicas starting together agree on one key).
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> Result<String, StoreError> {
        with_write!(self, |c, _d| {
            diesel::insert_into(settings::table)
                .values((settings::key.eq(key), settings::value.eq(value)))
                .on_conflict_do_nothing()
                .execute(c)
                .await?;
            let v: String = settings::table
                .filter(settings::key.eq(key))
                .select(settings::value)
                .first(c)
                .await?;
            Ok(v)
        })
    }

    /// Create a tenant.
    pub async fn create_tenant(
        &self,
        slug: &str,
        name: &str,
        now: i64,
    ) -> Result<Tenant, DomainError> {
        let id = TenantId::random();
        self.insert_tenant(id, slug, name, now)
            .await
            .map_err(|e| match DomainError::from(e) {
                DomainError::Conflict(_) => {
                    DomainError::Conflict(format!("tenant '{slug}' already exists"))
                }
                other => other,
            })?;
        Ok(Tenant {
            id,
            slug: slug.to_string(),
            name: name.to_string(),
            created_at: from_micros(now),
        })
    }

    async fn insert_tenant(
        &self,
        id: TenantId,
        slug: &str,
        name: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        with_write!(self, |c, _d| {
            diesel::insert_into(tenants::table)
                .values((
                    tenants::id.eq(id.to_string()),
                    tenants::slug.eq(slug),
                    tenants::name.eq(name),
                    tenants::created_at.eq(now),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// All tenants, by slug.
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let rows: Vec<TenantTuple> = with_conn!(self, |c, _d| {
            tenants::table
                .select((
                    tenants::id,
                    tenants::slug,
                    tenants::name,
                    tenants::created_at,
                ))
                .order(tenants::slug)
                .load(c)
                .await?
        });
        Ok(rows.into_iter().filter_map(tenant_of).collect())
    }

    /// The tenant with this slug.
    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        let row: Option<TenantTuple> = with_conn!(self, |c, _d| {
            tenants::table
                .filter(tenants::slug.eq(slug))
                .select((
                    tenants::id,
                    tenants::slug,
                    tenants::name,
                    tenants::created_at,
                ))
                .first(c)
                .await
                .optional()?
        });
        Ok(row.and_then(tenant_of))
    }

    /// Register a client with its token hash.
    pub async fn insert_client(&self, client: &ScimClient) -> Result<(), StoreError> {
        with_write!(self, |c, _d| {
            diesel::insert_into(scim_clients::table)
                .values((
                    scim_clients::id.eq(client.id.to_string()),
                    scim_clients::tenant_id.eq(client.tenant.to_string()),
                    scim_clients::name.eq(&client.name),
                    scim_clients::token_hash.eq(&client.token_hash),
                    scim_clients::created_at.eq(client.created_at.timestamp_micros()),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Clients of a tenant, newest first.
    pub async fn list_clients(&self, tenant: TenantId) -> Result<Vec<ScimClient>, StoreError> {
        let rows: Vec<ClientTuple> = with_conn!(self, |c, _d| {
            scim_clients::table
                .filter(scim_clients::tenant_id.eq(tenant.to_string()))
                .select(CLIENT_COLUMNS)
                .order(scim_clients::created_at.desc())
                .load(c)
                .await?
        });
        Ok(rows.into_iter().filter_map(client_of).collect())
    }

    /// Revoke live clients of a tenant named `name_or_id` (by name or id); returns how many.
    pub async fn revoke_client(
        &self,
        tenant: TenantId,
        name_or_id: &str,
        now: i64,
    ) -> Result<usize, StoreError> {
        with_write!(self, |c, _d| {
            let n = diesel::update(
                scim_clients::table
                    .filter(scim_clients::tenant_id.eq(tenant.to_string()))
                    .filter(scim_clients::revoked_at.is_null())
                    .filter(
                        scim_clients::name
                            .eq(name_or_id)
                            .or(scim_clients::id.eq(name_or_id)),
                    ),
            )
            .set(scim_clients::revoked_at.eq(now))
            .execute(c)
            .await?;
            Ok(n)
        })
    }

    /// Decide a token check from the client row read for it: Ok(true) when the client's use
    /// is due to be recorded ([`Store::record_client_use`], called once no connection is
    /// held: with every connection of a small pool held by requests waiting for one more,
    /// nothing would move).
    pub fn decide_gate(gate: &AuthGate, row: Option<ClientTuple>) -> Result<bool, StoreError> {
        let client = row.and_then(client_of);
        Ok(gate.decide(client.as_ref())?)
    }

    /// Record a token's use (the client's `last_used_at`, at most once a minute).
    pub async fn record_client_use(&self, gate: &AuthGate) {
        if let Err(e) = self.touch_client(gate.client, gate.at).await {
            tracing::warn!(error = %e, "could not record client use");
        }
    }

    /// Decide an open gate from the column its read carried ([`push_gate_column`]);
    /// `first_row` is that column of the read's first row, None when the read found no row
    /// (the gate then stays open, to be settled by [`Store::settle_gate`]). Unauthorized when
    /// it refuses; records the client's use when due.
    pub async fn decide_carried(
        &self,
        gate: Option<&AuthGate>,
        first_row: Option<Option<&str>>,
    ) -> Result<(), StoreError> {
        let (Some(gate), Some(packed)) = (gate, first_row) else {
            return Ok(());
        };
        let client = carried_client(gate.client, packed);
        if gate.decide(client.as_ref())? {
            self.record_client_use(gate).await;
        }
        Ok(())
    }

    /// One row read by key on the request's read path, carrying the request's token check
    /// ([`push_gate_column`]) and deciding it before the row is returned: `sql` builds the
    /// statement for a dialect and the open gate, if any (its select list must start with
    /// the gate column). Rows of another tenant are for the caller to drop (`of_tenant`).
    pub async fn read_one_carried<R>(
        &self,
        scope: ReadScope<'_>,
        sql: impl FnOnce(crate::store::Dialect, Option<&AuthGate>) -> Sql,
    ) -> Result<Option<R>, StoreError>
    where
        R: diesel::deserialize::QueryableByName<diesel::pg::Pg>
            + diesel::deserialize::QueryableByName<diesel::sqlite::Sqlite>
            + Send
            + 'static,
    {
        let (read, gate) = scope.carried();
        let query = sql(self.dialect(), gate).query(true);
        let row: Option<Gated<R>> = crate::with_read_conn!(self, read, true, |c, _d| {
            query.get_result(c).await.optional()?
        });
        self.decide_carried(gate, row.as_ref().map(|r| r.gate.as_deref()))
            .await?;
        Ok(row.map(|r| r.row))
    }

    /// Make a token check no read carried: look the client up and decide.
    pub async fn settle_gate(&self, gate: &AuthGate) -> Result<(), StoreError> {
        if !gate.is_open() {
            return gate.verdict().unwrap_or(Ok(())).map_err(StoreError::from);
        }
        // The same path as a read that carries the check, with nothing else to read.
        let scope = ReadScope {
            tenant: gate.tenant,
            gate: Some(gate),
        };
        crate::with_read_conn!(self, scope, true, |_c, _d| ());
        Ok(())
    }

    /// Record use of a client, at most once a minute (keeps the hot path nearly write-free).
    pub async fn touch_client(&self, id: ClientId, now: i64) -> Result<(), StoreError> {
        let stale = now - 60_000_000;
        with_write!(self, |c, _d| {
            diesel::update(
                scim_clients::table
                    .filter(scim_clients::id.eq(id.to_string()))
                    .filter(
                        scim_clients::last_used_at
                            .is_null()
                            .or(scim_clients::last_used_at.lt(stale)),
                    ),
            )
            .set(scim_clients::last_used_at.eq(now))
            .execute(c)
            .await?;
            Ok(())
        })
    }

    /// Add skills to a tenant's catalog (existing ones are kept).
    pub async fn add_skills(
        &self,
        tenant: TenantId,
        names: &[String],
        now: i64,
    ) -> Result<(), StoreError> {
        with_write!(self, |c, _d| {
            for name in names {
                diesel::insert_into(skills::table)
                    .values((
                        skills::tenant_id.eq(tenant.to_string()),
                        skills::name_key.eq(fold(name)),
                        skills::name.eq(name),
                        skills::created_at.eq(now),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await?;
            }
            Ok(())
        })
    }

    /// The tenant's skill catalog, by name.
    pub async fn list_skills(&self, tenant: TenantId) -> Result<Vec<String>, StoreError> {
        with_conn!(self, |c, _d| {
            let v: Vec<String> = skills::table
                .filter(skills::tenant_id.eq(tenant.to_string()))
                .select(skills::name)
                .order(skills::name_key)
                .load(c)
                .await?;
            Ok(v)
        })
    }

    /// Map a group (by display name) to a platform role; replaces an earlier mapping.
    pub async fn map_role(
        &self,
        tenant: TenantId,
        group: &str,
        role: &str,
    ) -> Result<(), StoreError> {
        let key = fold(group);
        with_write!(self, |c, _d| {
            diesel::delete(
                role_mappings::table
                    .filter(role_mappings::tenant_id.eq(tenant.to_string()))
                    .filter(role_mappings::group_key.eq(&key)),
            )
            .execute(c)
            .await?;
            diesel::insert_into(role_mappings::table)
                .values((
                    role_mappings::tenant_id.eq(tenant.to_string()),
                    role_mappings::group_key.eq(&key),
                    role_mappings::role.eq(role),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_carried_client_is_unpacked_and_anything_else_refuses() {
        let (client, tenant) = (ClientId::random(), TenantId::random());
        let live = carried_client(
            client,
            Some(&format!("{tenant} abc123 -1 1700000000000000")),
        )
        .expect("a packed row");
        assert_eq!((live.id, live.tenant), (client, tenant));
        assert_eq!(live.token_hash, "abc123");
        assert!(live.revoked_at.is_none());
        assert_eq!(live.last_used_at, Some(from_micros(1_700_000_000_000_000)));
        let revoked = carried_client(client, Some(&format!("{tenant} abc123 5 -1"))).unwrap();
        assert_eq!(revoked.revoked_at, Some(from_micros(5)));
        assert!(revoked.last_used_at.is_none());
        // No row, or not what the column packs: no client, so the gate refuses.
        for bad in [
            None,
            Some(String::new()),
            Some(format!("{tenant} abc123 -1")),
            Some("not-a-tenant abc123 -1 -1".to_string()),
            Some(format!("{tenant} abc123 x -1")),
        ] {
            assert!(carried_client(client, bad.as_deref()).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn the_gate_column_is_a_null_of_the_same_name_without_an_open_gate() {
        let mut open = Sql::new(crate::store::Dialect::Postgres);
        let gate = AuthGate::new(TenantId::random(), ClientId::random(), "h".into(), 0);
        push_gate_column(&mut open, Some(&gate));
        assert!(open.text.ends_with(") AS auth_gate"), "{}", open.text);
        assert_eq!(open.binds, vec![Bind::Text(gate.client.to_string())]);
        let mut none = Sql::new(crate::store::Dialect::Sqlite);
        push_gate_column(&mut none, None);
        assert_eq!(none.text, "CAST(NULL AS TEXT) AS auth_gate");
        assert!(none.binds.is_empty());
    }
}
