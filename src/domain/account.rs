//! Operator accounts and role groups as the platform sees them (design.md section 3).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::domain::ids::{AccountId, GroupId};

/// Availability of an operator (readOnly through SCIM).
pub const STATUSES: [&str; 4] = ["Available", "Busy", "Offline", "Disconnected"];
/// Status of a new or deactivated operator.
pub const DEFAULT_STATUS: &str = "Offline";
/// Range of `maxChats` / `maxEmails`.
pub const CAP_RANGE: std::ops::RangeInclusive<i64> = 0..=10;

/// The account fields mapped from a SCIM User (see `mapping::user`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccountFields {
    /// Username as sent (original case).
    pub user_name: String,
    /// IdP's id.
    pub external_id: Option<String>,
    /// First name.
    pub given_name: Option<String>,
    /// Last name.
    pub family_name: Option<String>,
    /// "Name" column: displayName, else "given family", else userName.
    pub display_name: Option<String>,
    /// Account email: the primary entry, else the work entry, else the first.
    pub email: Option<String>,
    /// Can sign in.
    pub active: bool,
    /// PSTN number for transferred calls.
    pub mobile_phone: Option<String>,
    /// Human agent eligible for handoff routing.
    pub csr_user: bool,
    /// Voice calls may be routed here.
    pub voice_calls: bool,
    /// Concurrency cap 0-10.
    pub max_chats: Option<i32>,
    /// Concurrency cap 0-10.
    pub max_emails: Option<i32>,
    /// Routing skills, from the tenant's catalog.
    pub skills: Vec<String>,
}

/// Case-folded key used for case-insensitive uniqueness (Unicode-aware, same on both backends).
pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// A group an account belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRef {
    /// Group id.
    pub id: GroupId,
    /// Its display name.
    pub display: String,
}

/// A stored SCIM document: its JSON text as read, parsed on the first use of its attributes
/// (through `Deref`). A read that only shows the resource writes it from the text
/// (`mapping::user::write`) and never builds the tree.
#[derive(Debug, Clone)]
pub struct Doc {
    text: std::sync::OnceLock<String>,
    map: std::sync::OnceLock<Map<String, Value>>,
}

impl Doc {
    /// A document as stored (a JSON object written by this service).
    pub fn from_text(text: String) -> Self {
        Doc {
            text: std::sync::OnceLock::from(text),
            map: std::sync::OnceLock::new(),
        }
    }

    /// Its JSON text.
    pub fn text(&self) -> &str {
        self.text
            .get_or_init(|| serde_json::to_string(self.map()).unwrap_or_else(|_| "{}".into()))
    }

    /// Its attributes.
    pub fn map(&self) -> &Map<String, Value> {
        self.map
            .get_or_init(|| parse_object(self.text.get().map_or("{}", String::as_str)))
    }

    /// Its attributes, owned.
    pub fn into_map(self) -> Map<String, Value> {
        match self.map.into_inner() {
            Some(m) => m,
            None => parse_object(self.text.get().map_or("{}", String::as_str)),
        }
    }
}

impl From<Map<String, Value>> for Doc {
    fn from(map: Map<String, Value>) -> Self {
        Doc {
            text: std::sync::OnceLock::new(),
            map: std::sync::OnceLock::from(map),
        }
    }
}

impl std::ops::Deref for Doc {
    type Target = Map<String, Value>;
    fn deref(&self) -> &Map<String, Value> {
        self.map()
    }
}

/// Parse a stored JSON document (written by us, so a failure means corruption).
pub fn parse_object(text: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => m,
        _ => {
            tracing::error!("stored resource document is not a JSON object");
            Map::new()
        }
    }
}

/// A stored operator account.
#[derive(Debug, Clone)]
pub struct AccountRecord {
    /// Id.
    pub id: AccountId,
    /// Mapped fields.
    pub fields: AccountFields,
    /// Availability (Available, Busy, Offline, Disconnected).
    pub status: String,
    /// The SCIM resource as last written, without id, meta and groups.
    pub doc: Doc,
    /// Row version (the ETag).
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Group memberships, when loaded.
    pub groups: Vec<GroupRef>,
}

/// An account as a SCIM answer shows it: the stored document and what the row adds to it
/// (`mapping::user::write`). Reads made only to answer a request load this and not the
/// mapped fields, which the document already holds: on PostgreSQL the other columns of a
/// page of users were a fifth of its work for the page, and decoding them (a string each)
/// a fifth of the server's.
#[derive(Debug, Clone)]
pub struct UserResource {
    /// Id.
    pub id: AccountId,
    /// Availability (Available, Busy, Offline, Disconnected).
    pub status: String,
    /// The SCIM resource as last written, without id, meta and groups.
    pub doc: Doc,
    /// Row version (the ETag).
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Group memberships, when loaded.
    pub groups: Vec<GroupRef>,
}

impl From<AccountRecord> for UserResource {
    fn from(r: AccountRecord) -> Self {
        UserResource {
            id: r.id,
            status: r.status,
            doc: r.doc,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            groups: r.groups,
        }
    }
}

/// What an account write stores.
#[derive(Debug, Clone)]
pub struct AccountWrite {
    /// Mapped fields.
    pub fields: AccountFields,
    /// The resource document.
    pub doc: Map<String, Value>,
}

/// A group member as rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRef {
    /// Member account id.
    pub id: AccountId,
    /// Its display name.
    pub display: Option<String>,
}

/// How much of a group's membership a read loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberLoad {
    /// None (`members` not returned).
    None,
    /// The member ids.
    Ids,
    /// The member ids and their display names (`members.display` is returned only on
    /// request, and costs a join with the users).
    WithDisplay,
}

/// A stored role group.
#[derive(Debug, Clone)]
pub struct GroupRecord {
    /// Id.
    pub id: GroupId,
    /// Display name (unique per tenant, case-insensitive).
    pub display_name: String,
    /// IdP's id.
    pub external_id: Option<String>,
    /// The resource without id, meta and members.
    pub doc: Map<String, Value>,
    /// Row version.
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Members, when loaded.
    pub members: Option<Vec<MemberRef>>,
}

/// What a group write stores (members travel as deltas, never here).
#[derive(Debug, Clone)]
pub struct GroupWrite {
    /// Display name.
    pub display_name: String,
    /// IdP's id.
    pub external_id: Option<String>,
    /// The resource document without members.
    pub doc: Map<String, Value>,
}

/// A membership change, applied as a set delta in SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberChange {
    /// Add these members (existing ones are a no-op).
    Add(Vec<AccountId>),
    /// Remove these members (absent ones are a no-op).
    Remove(Vec<AccountId>),
    /// Remove every member.
    RemoveAll,
    /// Make the member set exactly this.
    Replace(Vec<AccountId>),
}
