//! SCIM Group <-> role group.

use serde::{Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::domain::account::{GroupRecord, GroupWrite, MemberRef};
use crate::domain::mapping::{location, str_of};
use crate::scim::error::ScimError;
use crate::scim::registry::GROUP_SCHEMA;
use crate::scim::resource::Meta;

/// Map a normalised Group document (members removed) to the stored group.
pub fn group_write(doc: Map<String, Value>) -> Result<GroupWrite, ScimError> {
    let display_name = str_of(&doc, "displayName")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ScimError::invalid_value("displayName is required"))?
        .to_string();
    Ok(GroupWrite {
        display_name,
        external_id: str_of(&doc, "externalId").map(str::to_string),
        doc,
    })
}

/// Render a group as a SCIM Group (before projection), members as JSON values when loaded
/// (a list's groups).
pub fn render(rec: &GroupRecord, base_url: &str) -> Map<String, Value> {
    let mut out = render_head(rec);
    if let Some(members) = &rec.members {
        let list: Vec<Value> = members
            .iter()
            .map(|m| {
                let mid = m.id.to_string();
                let mut o = json!({
                    "value": mid,
                    "$ref": location(base_url, "Users", &mid),
                    "type": "User",
                });
                if let Some(d) = &m.display {
                    o["display"] = Value::String(d.clone());
                }
                o
            })
            .collect();
        out.insert("members".into(), Value::Array(list));
    }
    out.insert("meta".into(), meta(rec, base_url));
    out
}

/// Render a group without its members (before projection): they are written apart by
/// [`members_json`].
pub fn render_without_members(rec: &GroupRecord, base_url: &str) -> Map<String, Value> {
    let mut out = render_head(rec);
    out.insert("meta".into(), meta(rec, base_url));
    out
}

fn render_head(rec: &GroupRecord) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP_SCHEMA]));
    out.insert("id".into(), Value::String(rec.id.to_string()));
    for (k, v) in &rec.doc {
        if k != "schemas" {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

fn meta(rec: &GroupRecord, base_url: &str) -> Value {
    let id = rec.id.to_string();
    Meta {
        resource_type: "Group",
        created: rec.created_at,
        last_modified: rec.updated_at,
        location: location(base_url, "Groups", &id),
        version: rec.version,
    }
    .to_json()
}

/// Which sub-attributes of `members` an answer returns (after projection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberFields {
    /// `value`.
    pub value: bool,
    /// `$ref`.
    pub reference: bool,
    /// `type`.
    pub kind: bool,
    /// `display` (when known).
    pub display: bool,
}

#[derive(Serialize)]
struct MemberOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<&'a str>,
}

/// `members` as JSON array text, written straight from the member list: the same objects as
/// [`render`] makes (same keys, same order), without building a JSON value per member (a
/// 100,000-member group would be 100,000 maps).
pub fn members_json(members: &[MemberRef], base_url: &str, fields: MemberFields) -> String {
    let mut out = Vec::with_capacity(members.len() * 128 + 2);
    let items = members.iter().map(|m| {
        let mid = m.id.to_string();
        MemberOut {
            reference: fields.reference.then(|| location(base_url, "Users", &mid)),
            value: fields.value.then_some(mid),
            kind: fields.kind.then_some("User"),
            display: m.display.as_deref().filter(|_| fields.display),
        }
    });
    // Writing into a Vec cannot fail, and serde_json writes UTF-8.
    if serde_json::Serializer::new(&mut out)
        .collect_seq(items)
        .is_err()
    {
        return "[]".into();
    }
    String::from_utf8(out).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{AccountId, GroupId};

    fn group(members: Vec<MemberRef>) -> GroupRecord {
        let mut doc = Map::new();
        doc.insert("displayName".into(), json!("Agents"));
        GroupRecord {
            id: GroupId::random(),
            display_name: "Agents".into(),
            external_id: None,
            doc,
            version: 3,
            created_at: chrono::DateTime::UNIX_EPOCH,
            updated_at: chrono::DateTime::UNIX_EPOCH,
            members: Some(members),
        }
    }

    #[test]
    fn members_json_writes_what_render_builds() {
        let (a, b) = (AccountId::random(), AccountId::random());
        let rec = group(vec![
            MemberRef {
                id: a,
                display: Some("Ann \"the\" <admin>".into()),
            },
            MemberRef {
                id: b,
                display: None,
            },
        ]);
        let base = "https://scim.example.com/scim/v2";
        let all = MemberFields {
            value: true,
            reference: true,
            kind: true,
            display: true,
        };
        let text = members_json(rec.members.as_deref().unwrap(), base, all);
        let full = render(&rec, base);
        // Same values, same key order, same escaping.
        assert_eq!(text, serde_json::to_string(&full["members"]).unwrap());
        let only_value = MemberFields {
            value: true,
            reference: false,
            kind: false,
            display: false,
        };
        assert_eq!(
            members_json(rec.members.as_deref().unwrap(), base, only_value),
            format!(r#"[{{"value":"{a}"}},{{"value":"{b}"}}]"#)
        );
        assert_eq!(members_json(&[], base, all), "[]");
    }

    #[test]
    fn without_members_is_render_minus_members() {
        let rec = group(vec![MemberRef {
            id: AccountId::random(),
            display: None,
        }]);
        let mut full = render(&rec, "https://x/scim/v2");
        full.shift_remove("members");
        assert_eq!(render_without_members(&rec, "https://x/scim/v2"), full);
    }
}
