//! Rows as diesel reads and writes them, and their conversion to domain records.

use diesel::prelude::*;

use crate::domain::account::{AccountFields, AccountRecord, GroupRecord, GroupRef, UserResource};
use crate::domain::clock::from_micros;
use crate::domain::ids::{AccountId, GroupId};
use crate::store::schema::{groups, sync_events, users};

/// A `users` row.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub tenant_id: String,
    pub user_name: String,
    pub user_name_key: String,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub email_key: Option<String>,
    pub active: bool,
    pub mobile_phone: Option<String>,
    pub csr_user: bool,
    pub voice_calls: bool,
    pub max_chats: Option<i32>,
    pub max_emails: Option<i32>,
    pub status: String,
    pub doc: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
    pub last_sync_at: Option<i64>,
    pub last_sync_client: Option<String>,
    pub last_sync_outcome: Option<String>,
}

impl UserRow {
    /// The domain record (groups filled in separately).
    pub fn into_record(self) -> AccountRecord {
        AccountRecord {
            id: AccountId::parse(&self.id).unwrap_or_else(|| AccountId(uuid::Uuid::nil())),
            fields: AccountFields {
                user_name: self.user_name,
                external_id: self.external_id,
                given_name: self.given_name,
                family_name: self.family_name,
                display_name: self.display_name,
                email: self.email,
                active: self.active,
                mobile_phone: self.mobile_phone,
                csr_user: self.csr_user,
                voice_calls: self.voice_calls,
                max_chats: self.max_chats,
                max_emails: self.max_emails,
                skills: Vec::new(),
            },
            status: self.status,
            doc: crate::domain::account::Doc::from_text(self.doc),
            version: self.version,
            created_at: from_micros(self.created_at),
            updated_at: from_micros(self.updated_at),
            groups: Vec::new(),
        }
    }
}

/// The columns of `users` a SCIM answer needs ([`UserResource`]): reads made only to answer
/// select these, not the mapped fields (see `UserResource`).
#[derive(Debug, QueryableByName)]
#[diesel(table_name = users)]
pub struct UserResourceRow {
    pub id: String,
    pub tenant_id: String,
    pub status: String,
    pub doc: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A row type a read of users loads, with what it becomes.
pub trait UserRead:
    diesel::deserialize::QueryableByName<diesel::pg::Pg>
    + diesel::deserialize::QueryableByName<diesel::sqlite::Sqlite>
    + Send
    + 'static
{
    /// What the caller gets.
    type Out: Send;
    /// The select list (`t` is the `users` row), naming every column the row reads.
    const COLUMNS: &'static str;
    /// The row's tenant (compared by the caller, `list_sql::of_tenant`).
    fn tenant(&self) -> &str;
    /// The result, with the account's groups.
    fn into_out(self, groups: Vec<GroupRef>) -> Self::Out;
}

impl UserRead for UserRow {
    type Out = AccountRecord;
    /// Every column but `groups_json`, which a read takes as `WithGroups` when it wants it.
    const COLUMNS: &'static str = "t.id, t.tenant_id, t.user_name, t.user_name_key, \
        t.external_id, t.given_name, t.family_name, t.display_name, t.email, t.email_key, \
        t.active, t.mobile_phone, t.csr_user, t.voice_calls, t.max_chats, t.max_emails, \
        t.status, t.doc, t.version, t.created_at, t.updated_at, t.deleted_at, t.last_sync_at, \
        t.last_sync_client, t.last_sync_outcome";
    fn tenant(&self) -> &str {
        &self.tenant_id
    }
    fn into_out(self, groups: Vec<GroupRef>) -> AccountRecord {
        let mut rec = self.into_record();
        rec.groups = groups;
        rec
    }
}

impl UserRead for UserResourceRow {
    type Out = UserResource;
    const COLUMNS: &'static str =
        "t.id, t.tenant_id, t.status, t.doc, t.version, t.created_at, t.updated_at";
    fn tenant(&self) -> &str {
        &self.tenant_id
    }
    fn into_out(self, groups: Vec<GroupRef>) -> UserResource {
        UserResource {
            id: AccountId::parse(&self.id).unwrap_or_else(|| AccountId(uuid::Uuid::nil())),
            status: self.status,
            doc: crate::domain::account::Doc::from_text(self.doc),
            version: self.version,
            created_at: from_micros(self.created_at),
            updated_at: from_micros(self.updated_at),
            groups,
        }
    }
}

/// A user row with the account's live groups read in the same statement (see
/// `list_sql::GROUPS_COLUMN`): a JSON array of `[id, displayName]` pairs.
#[derive(Debug)]
pub struct WithGroups<R> {
    /// The row.
    pub row: R,
    /// The groups' JSON (NULL or `[]` when none).
    pub groups_json: Option<String>,
}

/// A `users` row with its groups.
pub type UserWithGroups = WithGroups<UserRow>;

impl<R: UserRead> WithGroups<R> {
    /// The result, groups included.
    pub fn into_out(self) -> R::Out {
        let groups = parse_group_refs(self.groups_json.as_deref());
        self.row.into_out(groups)
    }
}

impl UserWithGroups {
    /// The domain record, groups included.
    pub fn into_record(self) -> AccountRecord {
        self.into_out()
    }
}

/// `QueryableByName` for a wrapper of a row `R` and one nullable text column read by name.
macro_rules! row_with_text_column {
    ($wrapper:ident, $field:ident, $name:expr) => {
        impl<R, DB> diesel::deserialize::QueryableByName<DB> for $wrapper<R>
        where
            DB: diesel::backend::Backend,
            R: diesel::deserialize::QueryableByName<DB>,
            Option<String>: diesel::deserialize::FromSql<
                    diesel::sql_types::Nullable<diesel::sql_types::Text>,
                    DB,
                >,
        {
            fn build<'a>(
                row: &impl diesel::row::NamedRow<'a, DB>,
            ) -> diesel::deserialize::Result<Self> {
                let $field = diesel::row::NamedRow::get::<
                    diesel::sql_types::Nullable<diesel::sql_types::Text>,
                    Option<String>,
                >(row, $name)?;
                Ok($wrapper {
                    row: R::build(row)?,
                    $field,
                })
            }
        }
    };
}

row_with_text_column!(WithGroups, groups_json, "groups_json");

/// A row of a read that carries the request's token check as one more column
/// (`store::admin::push_gate_column`), and, for an unfiltered page, the list's total
/// (`page_total`, `list_sql::list_sql`).
#[derive(Debug)]
pub struct Gated<R> {
    /// The row itself.
    pub row: R,
    /// The packed client row (NULL: no such client, or no check carried).
    pub gate: Option<String>,
    /// The list's total, when the statement carries it.
    pub total: Option<i64>,
}

impl<R, DB> diesel::deserialize::QueryableByName<DB> for Gated<R>
where
    DB: diesel::backend::Backend,
    R: diesel::deserialize::QueryableByName<DB>,
    Option<String>:
        diesel::deserialize::FromSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>,
    Option<i64>:
        diesel::deserialize::FromSql<diesel::sql_types::Nullable<diesel::sql_types::BigInt>, DB>,
{
    fn build<'a>(row: &impl diesel::row::NamedRow<'a, DB>) -> diesel::deserialize::Result<Self> {
        let gate = diesel::row::NamedRow::get::<
            diesel::sql_types::Nullable<diesel::sql_types::Text>,
            Option<String>,
        >(row, crate::store::admin::GATE_COLUMN)?;
        let total = match diesel::row::RowIndex::<&str>::idx(row, "page_total") {
            Some(_) => diesel::row::NamedRow::get::<
                diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
                Option<i64>,
            >(row, "page_total")?,
            None => None,
        };
        Ok(Gated {
            row: R::build(row)?,
            gate,
            total,
        })
    }
}

/// A row that may be absent: the one row of a point lookup's statement that found nothing
/// still carries the token check (`list_sql::list_sql`), its own columns NULL (no `id`).
#[derive(Debug)]
pub struct Maybe<R>(pub Option<R>);

impl<R, DB> diesel::deserialize::QueryableByName<DB> for Maybe<R>
where
    DB: diesel::backend::Backend,
    R: diesel::deserialize::QueryableByName<DB>,
    Option<String>:
        diesel::deserialize::FromSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>,
{
    fn build<'a>(row: &impl diesel::row::NamedRow<'a, DB>) -> diesel::deserialize::Result<Self> {
        let id = diesel::row::NamedRow::get::<
            diesel::sql_types::Nullable<diesel::sql_types::Text>,
            Option<String>,
        >(row, "id")?;
        Ok(Maybe(match id {
            Some(_) => Some(R::build(row)?),
            None => None,
        }))
    }
}

/// `[[id, displayName], ...]` (NULL or `[]` when the account is in no live group), in
/// any order (`list_sql::GROUPS_COLUMN`), as the account's groups ordered by display name,
/// then id (byte order, the same on both backends).
fn parse_group_refs(json: Option<&str>) -> Vec<GroupRef> {
    let Some(text) = json else {
        return Vec::new();
    };
    match serde_json::from_str::<Vec<(String, String)>>(text) {
        Ok(pairs) => {
            let mut groups: Vec<GroupRef> = pairs
                .into_iter()
                .filter_map(|(id, display)| GroupId::parse(&id).map(|id| GroupRef { id, display }))
                .collect();
            groups.sort_by(|a, b| a.display.cmp(&b.display).then(a.id.cmp(&b.id)));
            groups
        }
        Err(_) => {
            tracing::error!("the groups of a user row are not a JSON array of pairs");
            Vec::new()
        }
    }
}

/// A `groups` row.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = groups)]
pub struct GroupRow {
    pub id: String,
    pub tenant_id: String,
    pub display_name: String,
    pub display_name_key: String,
    pub external_id: Option<String>,
    pub doc: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
    pub last_sync_at: Option<i64>,
    pub last_sync_client: Option<String>,
    pub last_sync_outcome: Option<String>,
}

impl GroupRow {
    /// The domain record (members filled in separately).
    pub fn into_record(self) -> GroupRecord {
        GroupRecord {
            id: GroupId::parse(&self.id).unwrap_or_else(|| GroupId(uuid::Uuid::nil())),
            display_name: self.display_name,
            external_id: self.external_id,
            doc: crate::domain::account::parse_object(&self.doc),
            version: self.version,
            created_at: from_micros(self.created_at),
            updated_at: from_micros(self.updated_at),
            members: None,
        }
    }
}

/// A new sync event row.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sync_events)]
pub struct NewSyncEvent {
    pub id: String,
    pub tenant_id: String,
    pub client_id: Option<String>,
    pub at: i64,
    pub method: String,
    pub path: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub action: String,
    pub outcome: String,
    pub status: i32,
    pub scim_type: Option<String>,
    pub detail: Option<String>,
    pub coercions: Option<String>,
    pub duration_us: i64,
    pub actor: Option<String>,
}

impl NewSyncEvent {
    /// From a domain event.
    pub fn from_event(e: &crate::domain::sync::SyncEvent) -> Self {
        NewSyncEvent {
            id: e.id.to_string(),
            tenant_id: e.tenant.to_string(),
            client_id: e.client.map(|c| c.to_string()),
            at: e.at.timestamp_micros(),
            method: e.method.clone(),
            path: e.path.clone(),
            resource_type: e.resource_type.map(str::to_string),
            resource_id: e.resource_id.clone(),
            action: e.action.as_str().to_string(),
            outcome: e.outcome.as_str().to_string(),
            status: i32::from(e.status),
            scim_type: e.scim_type.clone(),
            detail: e.detail.clone(),
            coercions: (!e.coercions.is_empty())
                .then(|| serde_json::to_string(&e.coercions).unwrap_or_default()),
            duration_us: e.duration_us,
            actor: e.actor.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_groups_come_in_display_name_then_id_order() {
        let (a, b, c) = (
            "0b5f3c4e-8a87-4d47-9f8f-2c3c3b3f5d10",
            "7d1f0e1a-55a2-4a7e-9d7c-0b0e5e0c1a2b",
            "ffffffff-55a2-4a7e-9d7c-0b0e5e0c1a2b",
        );
        let json = format!(
            r#"[["{c}","Tier 2"],["{b}","Maintainer"],["{a}","Tier 2"],["not-an-id","X"],["{a}","DialAiAdmin"]]"#
        );
        let got: Vec<(String, String)> = parse_group_refs(Some(&json))
            .into_iter()
            .map(|g| (g.id.to_string(), g.display))
            .collect();
        let want: Vec<(String, String)> = [
            (a, "DialAiAdmin"),
            (b, "Maintainer"),
            (a, "Tier 2"),
            (c, "Tier 2"),
        ]
        .iter()
        .map(|(i, d)| (i.to_string(), d.to_string()))
        .collect();
        assert_eq!(got, want);
        assert!(parse_group_refs(None).is_empty());
        assert!(parse_group_refs(Some("[]")).is_empty());
        assert!(parse_group_refs(Some("{}")).is_empty());
    }
}
