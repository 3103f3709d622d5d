//! Operator accounts as the Users page edits them. Every change goes through the SCIM
//! provisioning rules: an edit becomes a PATCH of the account document (so username, names
//! and email stay immutable, caps stay 0-10, skills come from the catalog), group changes
//! become membership deltas, de-provisioning is the SCIM soft delete. Events carry no client.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::domain::account::{AccountRecord, GroupRef, STATUSES, fold};
use crate::domain::admin::builtin_role;
use crate::domain::admin::port::{AdminDirectory, SyncMark};
use crate::domain::error::DomainError;
use crate::domain::ids::{AccountId, ClientId, GroupId};
use crate::domain::listing::plan;
use crate::domain::provisioning::Provisioning;
use crate::domain::sync::{Action, RequestCtx, SyncEvent};
use crate::scim::error::ScimError;
use crate::scim::projection::Projection;
use crate::scim::registry::{OPERATOR_SCHEMA, ResourceKind, USER_SCHEMA};
use crate::scim::resource::ListParams;

/// Largest page of the Users list.
pub const MAX_PAGE: i64 = 200;

/// Filters of the Users page (all optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Part of the name (display, first, last or username).
    pub name: Option<String>,
    /// Part of the email.
    pub email: Option<String>,
    /// Availability, exactly.
    pub status: Option<String>,
    /// A role the operator holds through its groups.
    pub role: Option<String>,
    /// 1-based index of the first result.
    pub start_index: i64,
    /// Page size.
    pub count: i64,
}

/// A page of operators.
#[derive(Debug)]
pub struct UserPage {
    /// Total matches.
    pub total: i64,
    /// 1-based index of the first.
    pub start_index: i64,
    /// The page.
    pub users: Vec<Value>,
}

/// Per-row outcome of a bulk add.
pub type RowResult = Result<Value, DomainError>;

/// A SCIM filter string literal (JSON string syntax, RFC 7644 3.4.2.2).
fn lit(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

fn str_field<'a>(body: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ScimError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(ScimError::invalid_value(format!(
            "{key} must be a string, got {other}"
        ))),
    }
}

fn object(body: &Value) -> Result<&Map<String, Value>, ScimError> {
    body.as_object()
        .ok_or_else(|| ScimError::invalid_syntax("the request body must be a JSON object"))
}

fn check_status(status: &str) -> Result<&'static str, ScimError> {
    STATUSES
        .into_iter()
        .find(|s| s.eq_ignore_ascii_case(status))
        .ok_or_else(|| {
            ScimError::invalid_value(format!(
                "status must be one of {}, got '{status}'",
                STATUSES.join(", ")
            ))
        })
}

fn string_list(v: &Value, key: &str) -> Result<Vec<String>, ScimError> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_string).ok_or_else(|| {
                    ScimError::invalid_value(format!("{key} must be a list of strings"))
                })
            })
            .collect(),
        _ => Err(ScimError::invalid_value(format!(
            "{key} must be a list of strings"
        ))),
    }
}

/// Keys the drawer may send on an edit (the immutable ones are accepted when unchanged).
const EDIT_KEYS: [&str; 16] = [
    "userName",
    "givenName",
    "familyName",
    "email",
    "displayName",
    "active",
    "status",
    "csrUser",
    "voiceCalls",
    "maxChats",
    "maxEmails",
    "skills",
    "mobilePhone",
    "groups",
    "roles",
    "version",
];

/// The operator-extension settings of an edit or create body.
const SETTINGS: [&str; 5] = ["csrUser", "voiceCalls", "maxChats", "maxEmails", "skills"];

impl<D: AdminDirectory> Provisioning<D> {
    /// The admin JSON view of accounts: fields, status, groups, roles and which client
    /// manages each (the last SCIM client that changed it).
    async fn user_views(
        &self,
        ctx: &RequestCtx,
        recs: &[AccountRecord],
    ) -> Result<Vec<Value>, DomainError> {
        let ids: Vec<AccountId> = recs.iter().map(|r| r.id).collect();
        let marks = self.dir.account_marks(ctx.tenant, &ids).await?;
        let roles = self.dir.account_roles(ctx.tenant, &ids).await?;
        let clients = if marks.values().any(|m| m.managed_by.is_some()) {
            self.dir.client_names(ctx.tenant).await?
        } else {
            HashMap::new()
        };
        Ok(recs
            .iter()
            .map(|r| user_view(r, marks.get(&r.id), roles.get(&r.id), &clients))
            .collect())
    }

    async fn view_of(&self, ctx: &RequestCtx, id: AccountId) -> Result<Value, DomainError> {
        let rec = self
            .dir
            .get_account(ctx.tenant.into(), id, true)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("User {id}")))?;
        let mut views = self.user_views(ctx, std::slice::from_ref(&rec)).await?;
        Ok(views.pop().unwrap_or(Value::Null))
    }

    /// The Users page: filter by name, email, status and role, index paging.
    pub async fn admin_list_users(
        &self,
        ctx: &RequestCtx,
        f: &UserFilter,
    ) -> Result<UserPage, DomainError> {
        let mut clauses: Vec<String> = Vec::new();
        if let Some(n) = f.name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let n = lit(n);
            clauses.push(format!(
                "(displayName co {n} or userName co {n} or name.givenName co {n} or name.familyName co {n})"
            ));
        }
        if let Some(e) = f.email.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            clauses.push(format!("emails.value co {}", lit(e)));
        }
        if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
            clauses.push(format!(
                "{OPERATOR_SCHEMA}:status eq {}",
                lit(check_status(s)?)
            ));
        }
        if let Some(role) = f.role.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let groups: Vec<String> = self
                .dir
                .group_roles(ctx.tenant)
                .await?
                .into_iter()
                .filter(|g| {
                    g.role
                        .as_deref()
                        .is_some_and(|r| r.eq_ignore_ascii_case(role))
                })
                .map(|g| format!("groups.value eq {}", lit(&g.group.id.to_string())))
                .collect();
            if groups.is_empty() {
                return Ok(UserPage {
                    total: 0,
                    start_index: f.start_index.max(1),
                    users: Vec::new(),
                });
            }
            clauses.push(format!("({})", groups.join(" or ")));
        }
        let params = ListParams {
            filter: (!clauses.is_empty()).then(|| clauses.join(" and ")),
            sort_by: Some("displayName".into()),
            start_index: Some(f.start_index.max(1)),
            count: Some(f.count.clamp(0, MAX_PAGE)),
            ..ListParams::default()
        };
        let plan = plan(&self.registry, ResourceKind::User, &params)?;
        let listing = self
            .dir
            .list_accounts(ctx.tenant.into(), &plan.query, true)
            .await?;
        let total = listing.total.unwrap_or(listing.items.len() as i64);
        Ok(UserPage {
            total,
            start_index: plan.start_index,
            users: self.user_views(ctx, &listing.items).await?,
        })
    }

    /// One operator.
    pub async fn admin_get_user(
        &self,
        ctx: &RequestCtx,
        raw_id: &str,
    ) -> Result<Value, DomainError> {
        self.view_of(ctx, parse_account(raw_id)?).await
    }

    /// Groups named by id or display name, and groups granting the roles named; a built-in
    /// role without a group gets its group created. Unknown names are refused.
    async fn resolve_groups(
        &self,
        ctx: &RequestCtx,
        groups: &[String],
        roles: &[String],
    ) -> Result<Vec<GroupRef>, DomainError> {
        let known = self.dir.group_roles(ctx.tenant).await?;
        let mut out: Vec<GroupRef> = Vec::new();
        let mut push = |g: GroupRef| {
            if !out.iter().any(|o| o.id == g.id) {
                out.push(g);
            }
        };
        for name in groups {
            let found = known.iter().find(|g| {
                g.group.id.to_string().eq_ignore_ascii_case(name)
                    || fold(&g.group.display) == fold(name)
            });
            match found {
                Some(g) => push(g.group.clone()),
                None => {
                    return Err(ScimError::invalid_value(format!(
                        "no group '{name}' in this tenant"
                    ))
                    .into());
                }
            }
        }
        for role in roles.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
            let granting: Vec<&GroupRef> = known
                .iter()
                .filter(|g| {
                    g.role
                        .as_deref()
                        .is_some_and(|r| r.eq_ignore_ascii_case(role))
                })
                .map(|g| &g.group)
                .collect();
            if let Some(g) = granting.first() {
                push((*g).clone());
                continue;
            }
            let Some(builtin) = builtin_role(role) else {
                return Err(
                    ScimError::invalid_value(format!("no group grants the role '{role}'")).into(),
                );
            };
            let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": builtin});
            let created = self.create_group(ctx, &body).await?;
            let id = created
                .id
                .as_deref()
                .and_then(GroupId::parse)
                .ok_or_else(|| DomainError::Storage("created group has no id".into()))?;
            push(GroupRef {
                id,
                display: builtin.to_string(),
            });
        }
        Ok(out)
    }

    /// Make an account's groups exactly `wanted`, as membership deltas on each group.
    async fn set_groups(
        &self,
        ctx: &RequestCtx,
        id: AccountId,
        current: &[GroupRef],
        wanted: &[GroupRef],
    ) -> Result<(), DomainError> {
        let uid = id.to_string();
        for g in wanted
            .iter()
            .filter(|w| !current.iter().any(|c| c.id == w.id))
        {
            let op = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": uid}]}]});
            self.patch_group(ctx, &g.id.to_string(), &op, None, None)
                .await?;
        }
        for g in current
            .iter()
            .filter(|c| !wanted.iter().any(|w| w.id == c.id))
        {
            let op = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "remove", "path": format!("members[value eq {}]", lit(&uid))}]});
            self.patch_group(ctx, &g.id.to_string(), &op, None, None)
                .await?;
        }
        Ok(())
    }

    fn status_event(&self, ctx: &RequestCtx, id: AccountId, status: &str) -> SyncEvent {
        let mut ev = SyncEvent::ok(
            ctx,
            self.clock.now(),
            "User",
            Some(id.to_string()),
            Action::Update,
            200,
            Vec::new(),
        );
        ev.detail = Some(format!("status set to {status}"));
        ev
    }

    /// Create User: the seed's form (name, email, groups or roles, settings). The SCIM create
    /// rules apply; group memberships follow. A membership failure undoes the account, so a
    /// refused create leaves nothing behind.
    pub async fn admin_create_user(
        &self,
        ctx: &RequestCtx,
        body: &Value,
    ) -> Result<Value, DomainError> {
        let b = object(body)?;
        let email = str_field(b, "email")?
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .ok_or_else(|| ScimError::invalid_value("email is required"))?;
        if !email.contains('@') {
            return Err(
                ScimError::invalid_value(format!("'{email}' is not an email address")).into(),
            );
        }
        let user_name = str_field(b, "userName")?
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(email);
        let full = str_field(b, "name")?
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let (split_given, split_family) = match full {
            Some(n) => match n.split_once(char::is_whitespace) {
                Some((g, f)) => (Some(g.trim()), Some(f.trim())),
                None => (Some(n), None),
            },
            None => (None, None),
        };
        let given = str_field(b, "givenName")?.or(split_given);
        let family = str_field(b, "familyName")?.or(split_family);
        let display = str_field(b, "displayName")?.or(full);
        let status = str_field(b, "status")?.map(check_status).transpose()?;
        let groups = string_list(b.get("groups").unwrap_or(&Value::Null), "groups")?;
        let roles = string_list(b.get("roles").unwrap_or(&Value::Null), "roles")?;
        for key in b.keys() {
            if !EDIT_KEYS.contains(&key.as_str()) && key != "name" {
                return Err(ScimError::invalid_value(format!("unknown field '{key}'")).into());
            }
        }
        let mut doc = Map::new();
        doc.insert("schemas".into(), json!([USER_SCHEMA, OPERATOR_SCHEMA]));
        doc.insert("userName".into(), json!(user_name));
        let mut name = Map::new();
        if let Some(g) = given {
            name.insert("givenName".into(), json!(g));
        }
        if let Some(f) = family {
            name.insert("familyName".into(), json!(f));
        }
        if !name.is_empty() {
            doc.insert("name".into(), Value::Object(name));
        }
        if let Some(d) = display {
            doc.insert("displayName".into(), json!(d));
        }
        doc.insert(
            "emails".into(),
            json!([{"value": email, "type": "work", "primary": true}]),
        );
        if let Some(m) = str_field(b, "mobilePhone")?.filter(|m| !m.trim().is_empty()) {
            doc.insert(
                "phoneNumbers".into(),
                json!([{"value": m, "type": "mobile"}]),
            );
        }
        if let Some(a) = b.get("active") {
            doc.insert("active".into(), a.clone());
        }
        let mut ext = Map::new();
        for key in SETTINGS {
            if let Some(v) = b.get(key).filter(|v| !v.is_null()) {
                ext.insert(key.into(), v.clone());
            }
        }
        doc.insert(OPERATOR_SCHEMA.into(), Value::Object(ext));
        // Everything that can be refused is checked before anything is written.
        let wanted = self.resolve_groups(ctx, &groups, &roles).await?;
        let created = self.create_user(ctx, &Value::Object(doc)).await?;
        let id = created
            .id
            .as_deref()
            .and_then(AccountId::parse)
            .ok_or_else(|| DomainError::Storage("created user has no id".into()))?;
        let follow_up = async {
            if let Some(s) = status.filter(|s| *s != crate::domain::account::DEFAULT_STATUS) {
                let ev = self.status_event(ctx, id, s);
                self.dir
                    .set_account_status(ctx.tenant, id, s, self.clock.now(), ev)
                    .await?;
            }
            self.set_groups(ctx, id, &[], &wanted).await
        };
        if let Err(e) = follow_up.await {
            if let Err(undo) = self.delete_user(ctx, &id.to_string(), None).await {
                tracing::warn!(error = %undo, "could not undo a half-created account");
            }
            return Err(e);
        }
        self.view_of(ctx, id).await
    }

    /// The edit drawer: groups, status, CSR user, skills, voice calls, caps, mobile phone.
    /// Username, names and email may be resent unchanged; a change is refused (400
    /// mutability) with nothing applied, exactly as a SCIM PATCH would be.
    pub async fn admin_edit_user(
        &self,
        ctx: &RequestCtx,
        raw_id: &str,
        body: &Value,
    ) -> Result<Value, DomainError> {
        let id = parse_account(raw_id)?;
        let b = object(body)?;
        if let Some(key) = b.keys().find(|k| !EDIT_KEYS.contains(&k.as_str())) {
            return Err(ScimError::invalid_value(format!("unknown field '{key}'")).into());
        }
        let current = self
            .dir
            .get_account(ctx.tenant.into(), id, true)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("User {raw_id}")))?;
        let status = str_field(b, "status")?.map(check_status).transpose()?;
        let wanted = if b.contains_key("groups") || b.contains_key("roles") {
            let groups = string_list(b.get("groups").unwrap_or(&Value::Null), "groups")?;
            let roles = string_list(b.get("roles").unwrap_or(&Value::Null), "roles")?;
            Some(self.resolve_groups(ctx, &groups, &roles).await?)
        } else {
            None
        };
        let expected = match b.get("version") {
            None | Some(Value::Null) => None,
            Some(v) => Some(vec![v.as_i64().ok_or_else(|| {
                ScimError::invalid_value("version must be an integer")
            })?]),
        };
        let ops = edit_operations(&current, b)?;
        if !ops.is_empty() {
            let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
            self.patch_user(ctx, raw_id, &patch, expected, &Projection::all())
                .await?;
        }
        if let Some(s) = status.filter(|s| *s != current.status) {
            let ev = self.status_event(ctx, id, s);
            self.dir
                .set_account_status(ctx.tenant, id, s, self.clock.now(), ev)
                .await?;
        }
        if let Some(wanted) = wanted {
            self.set_groups(ctx, id, &current.groups, &wanted).await?;
        }
        self.view_of(ctx, id).await
    }

    /// De-provision: the admin types the account's email back (its username when it has
    /// none); then the SCIM soft delete.
    pub async fn admin_delete_user(
        &self,
        ctx: &RequestCtx,
        raw_id: &str,
        confirm: Option<&str>,
    ) -> Result<(), DomainError> {
        let id = parse_account(raw_id)?;
        let current = self
            .dir
            .get_account(ctx.tenant.into(), id, false)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("User {raw_id}")))?;
        let expected = current
            .fields
            .email
            .as_deref()
            .unwrap_or(&current.fields.user_name);
        if confirm.is_none_or(|c| fold(c.trim()) != fold(expected)) {
            return Err(ScimError::invalid_value(
                "type the user's email to confirm the de-provisioning",
            )
            .into());
        }
        self.delete_user(ctx, raw_id, None).await
    }
}

fn parse_account(raw: &str) -> Result<AccountId, DomainError> {
    AccountId::parse(raw).ok_or_else(|| DomainError::NotFound(format!("User {raw}")))
}

/// The SCIM PATCH operations of a drawer edit. Immutable attributes are replaced with the
/// value sent so the SCIM mutability check refuses any change and accepts a resent value.
fn edit_operations(
    current: &AccountRecord,
    b: &Map<String, Value>,
) -> Result<Vec<Value>, ScimError> {
    let mut ops = Vec::new();
    let mut replace = |path: String, value: Value| {
        ops.push(json!({"op": "replace", "path": path, "value": value}))
    };
    for (key, path) in [
        ("userName", "userName"),
        ("givenName", "name.givenName"),
        ("familyName", "name.familyName"),
        ("displayName", "displayName"),
    ] {
        if let Some(v) = b.get(key) {
            replace(path.to_string(), v.clone());
        }
    }
    if let Some(v) = b.get("email") {
        let new = v
            .as_str()
            .ok_or_else(|| ScimError::invalid_value("email must be a string"))?;
        let mut emails = current
            .doc
            .get("emails")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let old = current.fields.email.as_deref();
        match emails
            .iter_mut()
            .find(|e| old.is_some() && e.get("value").and_then(Value::as_str) == old)
        {
            Some(entry) => entry["value"] = json!(new),
            None => emails.push(json!({"value": new, "type": "work", "primary": true})),
        }
        replace("emails".into(), Value::Array(emails));
    }
    if let Some(v) = b.get("active") {
        replace("active".into(), v.clone());
    }
    for key in SETTINGS {
        match b.get(key) {
            None => {}
            Some(Value::Null) => {
                let present = current
                    .doc
                    .get(OPERATOR_SCHEMA)
                    .and_then(|e| e.get(key))
                    .is_some();
                if present {
                    ops.push(json!({"op": "remove", "path": format!("{OPERATOR_SCHEMA}:{key}")}));
                }
            }
            Some(v) => ops.push(
                json!({"op": "replace", "path": format!("{OPERATOR_SCHEMA}:{key}"), "value": v}),
            ),
        }
    }
    match b.get("mobilePhone") {
        None => {}
        Some(Value::String(m)) if !m.trim().is_empty() => ops.push(json!({
            "op": "replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": m.trim()
        })),
        Some(Value::String(_) | Value::Null) if current.fields.mobile_phone.is_some() => {
            ops.push(json!({"op": "remove", "path": "phoneNumbers[type eq \"mobile\"]"}));
        }
        Some(Value::String(_) | Value::Null) => {}
        Some(other) => {
            return Err(ScimError::invalid_value(format!(
                "mobilePhone must be a string, got {other}"
            )));
        }
    }
    Ok(ops)
}

/// The admin JSON of one account.
pub fn user_view(
    r: &AccountRecord,
    mark: Option<&SyncMark>,
    roles: Option<&Vec<String>>,
    clients: &HashMap<ClientId, String>,
) -> Value {
    let f = &r.fields;
    let ext = r.doc.get(OPERATOR_SCHEMA).and_then(Value::as_object);
    let skills = ext
        .and_then(|e| e.get("skills"))
        .cloned()
        .unwrap_or_else(|| json!([]));
    let managed_by = mark.and_then(|m| m.managed_by).map(|c| {
        json!({"clientId": c.to_string(), "clientName": clients.get(&c).cloned().unwrap_or_else(|| "(removed client)".into())})
    });
    json!({
        "id": r.id.to_string(),
        "userName": f.user_name,
        "displayName": f.display_name,
        "givenName": f.given_name,
        "familyName": f.family_name,
        "email": f.email,
        "externalId": f.external_id,
        "active": f.active,
        "status": r.status,
        "csrUser": f.csr_user,
        "voiceCalls": f.voice_calls,
        "maxChats": f.max_chats,
        "maxEmails": f.max_emails,
        "skills": skills,
        "mobilePhone": f.mobile_phone,
        "groups": r.groups.iter().map(|g| json!({"id": g.id.to_string(), "displayName": g.display})).collect::<Vec<_>>(),
        "roles": roles.cloned().unwrap_or_default(),
        "managedBy": managed_by,
        "lastSync": mark.map(|m| json!({
            "at": m.at.to_rfc3339(),
            "clientId": m.client.map(|c| c.to_string()),
            "outcome": m.outcome,
        })),
        "version": r.version,
        "createdAt": r.created_at.to_rfc3339(),
        "updatedAt": r.updated_at.to_rfc3339(),
    })
}
