//! SCIM User <-> operator account.

use std::borrow::Cow;

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::domain::account::{AccountFields, CAP_RANGE, UserResource, fold};
use crate::domain::mapping::{location, str_of};
use crate::scim::error::ScimError;
use crate::scim::projection::{Piece, Projection};
use crate::scim::raw;
use crate::scim::registry::{
    ENTERPRISE_SCHEMA, OPERATOR_SCHEMA, Registry, ResourceKind, USER_SCHEMA,
};
use crate::scim::resource::Meta;

/// Map a normalised User document to account fields, enforcing the account rules:
/// userName present, maxChats/maxEmails within 0-10, skills from the tenant catalog.
/// `catalog` is None when the skills need no check (the document has none, or they are the
/// ones already stored): they are then taken as they are.
pub fn account_fields(
    doc: &Map<String, Value>,
    catalog: Option<&[String]>,
) -> Result<AccountFields, ScimError> {
    let user_name = str_of(doc, "userName")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ScimError::invalid_value("userName is required"))?
        .to_string();
    let name = doc.get("name").and_then(Value::as_object);
    let given_name = name
        .and_then(|n| str_of(n, "givenName"))
        .map(str::to_string);
    let family_name = name
        .and_then(|n| str_of(n, "familyName"))
        .map(str::to_string);
    let display_name = str_of(doc, "displayName")
        .map(str::to_string)
        .or_else(|| {
            let parts: Vec<&str> = [given_name.as_deref(), family_name.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
        .or_else(|| Some(user_name.clone()));
    let ext = doc.get(OPERATOR_SCHEMA).and_then(Value::as_object);
    let cap = |key: &str| -> Result<Option<i32>, ScimError> {
        match ext.and_then(|e| e.get(key)) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_i64() {
                Some(n) if CAP_RANGE.contains(&n) => Ok(i32::try_from(n).ok()),
                _ => Err(ScimError::invalid_value(format!(
                    "{key} must be an integer between 0 and 10, got {v}"
                ))),
            },
        }
    };
    let flag = |key: &str| {
        ext.and_then(|e| e.get(key))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let mut skills: Vec<String> = Vec::new();
    if let Some(list) = ext.and_then(|e| e.get("skills")).and_then(Value::as_array) {
        for s in list.iter().filter_map(Value::as_str) {
            let known = match catalog {
                None => s.to_string(),
                Some(catalog) => catalog
                    .iter()
                    .find(|c| fold(c) == fold(s))
                    .cloned()
                    .ok_or_else(|| {
                        ScimError::invalid_value(format!(
                            "skill '{s}' is not in the tenant's skill catalog"
                        ))
                    })?,
            };
            if !skills.iter().any(|k: &String| fold(k) == fold(&known)) {
                skills.push(known);
            }
        }
    }
    Ok(AccountFields {
        user_name,
        external_id: str_of(doc, "externalId").map(str::to_string),
        given_name,
        family_name,
        display_name,
        email: account_email(doc),
        active: doc.get("active").and_then(Value::as_bool).unwrap_or(true),
        mobile_phone: typed_entry(doc, "phoneNumbers", "mobile"),
        csr_user: flag("csrUser"),
        voice_calls: flag("voiceCalls"),
        max_chats: cap("maxChats")?,
        max_emails: cap("maxEmails")?,
        skills,
    })
}

/// Whether a document carries operator skills (so the catalog must be loaded to check them).
pub fn has_skills(doc: &Map<String, Value>) -> bool {
    doc.get(OPERATOR_SCHEMA)
        .and_then(|e| e.get("skills"))
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty())
}

/// Whether two documents carry the same operator skills (as sent).
pub fn same_skills(a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    let skills = |d: &Map<String, Value>| {
        d.get(OPERATOR_SCHEMA)
            .and_then(|e| e.get("skills"))
            .cloned()
    };
    skills(a) == skills(b)
}

/// The account email: the primary entry, else the work entry, else the first.
fn account_email(doc: &Map<String, Value>) -> Option<String> {
    let emails = doc.get("emails")?.as_array()?;
    let value = |e: &Value| e.get("value").and_then(Value::as_str).map(str::to_string);
    emails
        .iter()
        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
        .and_then(value)
        .or_else(|| typed_entry(doc, "emails", "work"))
        .or_else(|| emails.iter().find_map(value))
}

/// The `value` of the first entry of a multi-valued attribute with the given `type`.
fn typed_entry(doc: &Map<String, Value>, attr: &str, kind: &str) -> Option<String> {
    doc.get(attr)?.as_array()?.iter().find_map(|e| {
        let t = e.get("type").and_then(Value::as_str)?;
        t.eq_ignore_ascii_case(kind)
            .then(|| e.get("value").and_then(Value::as_str).map(str::to_string))
            .flatten()
    })
}

/// Write an account as the JSON of its SCIM User under `projection`: the bytes of a full
/// User built as a map (the tests' `render`), [`Projection::apply`] and
/// `serde_json::to_writer`, taken from the stored document's text, whose attributes are
/// copied as they are where the projection keeps them whole (see [`Projection::write`]).
pub fn write(
    rec: &UserResource,
    base_url: &str,
    groups_loaded: bool,
    projection: &Projection,
    registry: &Registry,
    out: &mut Vec<u8>,
) {
    let text = rec.doc.text();
    let entries = raw::members(text).unwrap_or_else(|| {
        tracing::error!("stored resource document is not a JSON object");
        Vec::new()
    });
    let id = rec.id.to_string();
    // The operator extension's readOnly `status` comes from the row.
    let status =
        serde_json::value::to_raw_value(&rec.status).unwrap_or_else(|_| RawValue::NULL.to_owned());
    let mut pieces: Vec<(Cow<'_, str>, Piece<'_>)> = Vec::with_capacity(entries.len() + 5);
    let mut schemas = vec![Value::from(USER_SCHEMA)];
    if entries.iter().any(|(k, _)| k == ENTERPRISE_SCHEMA) {
        schemas.push(ENTERPRISE_SCHEMA.into());
    }
    schemas.push(OPERATOR_SCHEMA.into());
    put(
        &mut pieces,
        "schemas".into(),
        Piece::Value(Value::Array(schemas)),
    );
    put(
        &mut pieces,
        "id".into(),
        Piece::Value(Value::String(id.clone())),
    );
    let mut ext: raw::Members<'_> = Vec::new();
    for (k, value) in entries {
        if k == OPERATOR_SCHEMA {
            ext = raw::members(value.get()).unwrap_or_default();
        } else if k != "schemas" {
            put(&mut pieces, k, Piece::Raw(Cow::Borrowed(value)));
        }
    }
    if groups_loaded && !rec.groups.is_empty() {
        put(
            &mut pieces,
            "groups".into(),
            Piece::Value(groups(rec, base_url)),
        );
    }
    // The operator extension as stored, its `status` from the row (in place, as
    // `Map::insert` would put it, or last), handed over as members (split once).
    match ext.iter_mut().find(|(k, _)| k == "status") {
        Some(slot) => slot.1 = &status,
        None => ext.push(("status".into(), &status)),
    }
    put(&mut pieces, OPERATOR_SCHEMA.into(), Piece::Object(ext));
    let meta = Meta {
        resource_type: "User",
        created: rec.created_at,
        last_modified: rec.updated_at,
        location: location(base_url, "Users", &id),
        version: rec.version,
    };
    put(
        &mut pieces,
        "meta".into(),
        Piece::Raw(Cow::Owned(meta.to_raw())),
    );
    projection.write(registry, ResourceKind::User, pieces, out);
}

/// A user's `groups` (RFC 7643 4.1.2: readOnly, direct memberships).
fn groups(rec: &UserResource, base_url: &str) -> Value {
    Value::Array(
        rec.groups
            .iter()
            .map(|g| {
                json!({
                    "value": g.id.to_string(),
                    "$ref": location(base_url, "Groups", &g.id.to_string()),
                    "display": g.display,
                    "type": "direct",
                })
            })
            .collect(),
    )
}

/// Insert like `Map::insert`: a key already there keeps its place and takes the new value.
fn put<'a>(pieces: &mut Vec<(Cow<'a, str>, Piece<'a>)>, key: Cow<'a, str>, piece: Piece<'a>) {
    match pieces.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = piece,
        None => pieces.push((key, piece)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::AccountRecord;

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    /// The tree rendering `write` replaced, kept as its reference: a full SCIM User as a map,
    /// before `Projection::apply`.
    fn render(rec: AccountRecord, base_url: &str, groups_loaded: bool) -> Map<String, Value> {
        let id = rec.id.to_string();
        let doc = rec.doc.map().clone();
        let mut out = Map::new();
        let mut schemas = vec![Value::from(USER_SCHEMA)];
        if doc.contains_key(ENTERPRISE_SCHEMA) {
            schemas.push(ENTERPRISE_SCHEMA.into());
        }
        schemas.push(OPERATOR_SCHEMA.into());
        out.insert("schemas".into(), Value::Array(schemas));
        out.insert("id".into(), Value::String(id.clone()));
        let mut ext = Map::new();
        for (k, v) in doc {
            if k == OPERATOR_SCHEMA {
                if let Value::Object(e) = v {
                    ext = e;
                }
            } else if k != "schemas" {
                out.insert(k, v);
            }
        }
        if groups_loaded && !rec.groups.is_empty() {
            out.insert("groups".into(), groups(&rec.clone().into(), base_url));
        }
        ext.insert("status".into(), Value::String(rec.status));
        out.insert(OPERATOR_SCHEMA.into(), Value::Object(ext));
        let meta = Meta {
            resource_type: "User",
            created: rec.created_at,
            last_modified: rec.updated_at,
            location: location(base_url, "Users", &id),
            version: rec.version,
        };
        out.insert("meta".into(), meta.to_json());
        out
    }

    /// `write` gives the same bytes as `render`, `Projection::apply` and `to_writer`, for
    /// stored documents with every kind of attribute and projections of every kind.
    #[test]
    fn write_is_render_then_apply() {
        use crate::domain::account::{Doc, GroupRef};
        use crate::domain::ids::{AccountId, GroupId};
        let registry = Registry::load().unwrap();
        let docs = [
            json!({"userName": "plain"}),
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA, OPERATOR_SCHEMA],
                "externalId": "ext-1",
                "userName": "Ann@Example.com",
                "name": {"givenName": "Ann", "familyName": "Lee", "formatted": "Ann {} Lee"},
                "displayName": "Ann \"the\" Lee \u{e9}\u{1F600}",
                "title": "Boss",
                "active": true,
                "emails": [{"value": "a@x.com", "type": "work", "primary": true}, {"value": "b@x.com"}],
                "phoneNumbers": [{"value": "+1 555", "type": "mobile"}],
                "addresses": [{"streetAddress": "1 Main", "locality": "Oslo", "primary": true}],
                "x509Certificates": [],
                "ims": [{}],
                "photos": [{"value": "https://x/p.png", "type": "photo"}],
                "password": "secret",
                "nickName": "[]",
                "unknownThing": {"a": 1.5},
                ENTERPRISE_SCHEMA: {"department": "Sales", "manager": {"value": "m1", "displayName": "Boss"}, "employeeNumber": "42"},
                OPERATOR_SCHEMA: {"maxChats": 3, "csrUser": true, "skills": ["Billing"], "status": "stale"}
            }),
            json!({"userName": "noext", OPERATOR_SCHEMA: "not an object", ENTERPRISE_SCHEMA: {}}),
            json!({
                "userName": "emptyish",
                ENTERPRISE_SCHEMA: {"manager": {}, "costCenter": "", "organization": null, "x": [{}]},
                OPERATOR_SCHEMA: {}
            }),
            json!({"userName": "onlyempty", ENTERPRISE_SCHEMA: {"manager": {"displayName": "B"}}}),
        ];
        let projections = [
            (None, None),
            (Some("userName"), None),
            (Some("emails.value"), None),
            (Some("name.givenName,emails,groups"), None),
            (Some(ENTERPRISE_SCHEMA), None),
            (
                Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
                None,
            ),
            (Some(OPERATOR_SCHEMA), None),
            (
                Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"),
                None,
            ),
            (
                None,
                Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"),
            ),
            (
                None,
                Some(
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                ),
            ),
            (Some("active,nosuch,meta.version"), None),
            (Some("password,x509Certificates,ims"), None),
            (None, Some("emails")),
            (None, Some("emails.type,name,groups")),
            (None, Some(ENTERPRISE_SCHEMA)),
            (
                None,
                Some("urn:ietf:params:scim:schemas:extension:operator:2.0:User:skills,meta"),
            ),
            (None, Some("id,schemas,userName")),
        ];
        let group = GroupRef {
            id: GroupId::parse("0b5f3c4e-8a87-4d47-9f8f-2c3c3b3f5d10").unwrap(),
            display: "Tier \"2\"".into(),
        };
        for doc in &docs {
            for groups in [vec![], vec![group.clone()]] {
                let rec = AccountRecord {
                    id: AccountId::parse("7d1f0e1a-55a2-4a7e-9d7c-0b0e5e0c1a2b").unwrap(),
                    fields: AccountFields::default(),
                    status: "Available".into(),
                    doc: Doc::from_text(doc.to_string()),
                    version: 7,
                    created_at: chrono::DateTime::from_timestamp(1_700_000_000, 123_456_000)
                        .unwrap(),
                    updated_at: chrono::DateTime::from_timestamp(1_700_000_100, 0).unwrap(),
                    groups,
                };
                for (attrs, excluded) in projections {
                    let p =
                        Projection::parse(&registry, ResourceKind::User, attrs, excluded).unwrap();
                    for loaded in [false, true] {
                        let mut tree = render(rec.clone(), "https://h/scim/v2", loaded);
                        p.apply(&registry, ResourceKind::User, &mut tree);
                        let expected = serde_json::to_string(&tree).unwrap();
                        let mut out = Vec::new();
                        write(
                            &rec.clone().into(),
                            "https://h/scim/v2",
                            loaded,
                            &p,
                            &registry,
                            &mut out,
                        );
                        assert_eq!(
                            String::from_utf8(out).unwrap(),
                            expected,
                            "doc {doc}, attributes {attrs:?}, excluded {excluded:?}, groups {loaded}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn maps_account_fields() {
        let d = doc(json!({
            "userName": "Ann@Example.com",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "home@x.com", "type": "home"}, {"value": "ann@x.com", "type": "work"}],
            "phoneNumbers": [{"value": "+15550001", "type": "mobile"}],
            OPERATOR_SCHEMA: {"maxChats": 3, "csrUser": true, "skills": ["billing"]}
        }));
        let f = account_fields(&d, Some(&["Billing".to_string()])).unwrap();
        assert_eq!(f.display_name.as_deref(), Some("Ann Lee"));
        assert_eq!(f.email.as_deref(), Some("ann@x.com"));
        assert_eq!(f.mobile_phone.as_deref(), Some("+15550001"));
        assert_eq!(f.max_chats, Some(3));
        assert!(f.csr_user && f.active);
        assert_eq!(f.skills, vec!["Billing".to_string()]);
    }

    #[test]
    fn primary_email_wins_and_display_defaults_to_user_name() {
        let d = doc(json!({
            "userName": "bob",
            "emails": [{"value": "w@x.com", "type": "work"}, {"value": "p@x.com", "primary": true}]
        }));
        let f = account_fields(&d, None).unwrap();
        assert_eq!(f.email.as_deref(), Some("p@x.com"));
        assert_eq!(f.display_name.as_deref(), Some("bob"));
    }

    #[test]
    fn caps_out_of_range_and_unknown_skills_are_invalid_value() {
        for ext in [
            json!({"maxChats": 11}),
            json!({"maxEmails": -1}),
            json!({"maxChats": 2.5}),
            json!({"skills": ["nope"]}),
        ] {
            let d = doc(json!({"userName": "a", OPERATOR_SCHEMA: ext}));
            let err = account_fields(&d, Some(&[])).unwrap_err();
            assert_eq!(
                err.scim_type,
                Some(crate::scim::error::ScimType::InvalidValue),
                "{ext}"
            );
        }
    }

    #[test]
    fn missing_user_name_is_invalid_value() {
        assert!(account_fields(&doc(json!({"displayName": "x"})), None).is_err());
    }
}
