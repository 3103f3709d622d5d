//! SCIM Group <-> role group.

use serde_json::{Map, Value, json};

use crate::domain::account::{GroupRecord, GroupWrite};
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

/// Render a group as a SCIM Group (before projection). Members appear only when loaded.
pub fn render(rec: &GroupRecord, base_url: &str) -> Map<String, Value> {
    let id = rec.id.to_string();
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP_SCHEMA]));
    out.insert("id".into(), Value::String(id.clone()));
    for (k, v) in &rec.doc {
        if k != "schemas" {
            out.insert(k.clone(), v.clone());
        }
    }
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
    let meta = Meta {
        resource_type: "Group",
        created: rec.created_at,
        last_modified: rec.updated_at,
        location: location(base_url, "Groups", &id),
        version: rec.version,
    };
    out.insert("meta".into(), meta.to_json());
    out
}
