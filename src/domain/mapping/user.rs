//! SCIM User <-> operator account.

use serde_json::{Map, Value, json};

use crate::domain::account::{AccountFields, AccountRecord, CAP_RANGE, fold};
use crate::domain::mapping::{location, str_of};
use crate::scim::error::ScimError;
use crate::scim::registry::{ENTERPRISE_SCHEMA, OPERATOR_SCHEMA, USER_SCHEMA};
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

/// Render an account as a full SCIM User (before projection).
/// Takes the record by value: its stored document's values move into the answer uncopied.
pub fn render(rec: AccountRecord, base_url: &str, groups_loaded: bool) -> Map<String, Value> {
    let id = rec.id.to_string();
    let doc = rec.doc;
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
        let groups: Vec<Value> = rec
            .groups
            .iter()
            .map(|g| {
                json!({
                    "value": g.id.to_string(),
                    "$ref": location(base_url, "Groups", &g.id.to_string()),
                    "display": g.display,
                    "type": "direct",
                })
            })
            .collect();
        out.insert("groups".into(), Value::Array(groups));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
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
