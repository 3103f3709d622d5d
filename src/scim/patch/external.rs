//! Operations on multi-valued attributes held outside the document (Group `members`): they
//! become set deltas, so adding one member to a group of 100,000 never loads the other 99,999.

use std::collections::HashSet;

use serde_json::Value;

use super::apply::{Engine, Target};
use super::{Delta, DeltaOp, OpKind};
use crate::scim::error::ScimError;
use crate::scim::filter::{Checked, CompValue, CompareOp};

/// Turn one operation on an external attribute into a delta (pushed to `engine.deltas`).
pub(super) fn delta(
    engine: &mut Engine<'_>,
    op: OpKind,
    t: &Target<'_>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let attr = t.r.attr;
    let label = attr.name.as_str();
    if t.r.sub.is_some() || t.sub_after.is_some() {
        return Err(ScimError::invalid_path(format!(
            "'{}': sub-attributes of '{label}' cannot be patched; add or remove whole values",
            t.label()
        )));
    }
    let unsupported = || {
        ScimError::invalid_filter(format!(
            "unsupported filter on '{label}': only `value eq \"id\"`, optionally joined by `or`"
        ))
    };
    let dop = match (op, t.filter) {
        (OpKind::Remove, Some(f)) => {
            let mut ids = Vec::new();
            if !eq_ids(f, &mut ids) {
                return Err(unsupported());
            }
            DeltaOp::Remove(dedup(ids))
        }
        (OpKind::Remove, None) => match value.filter(|v| !v.is_null()) {
            None => DeltaOp::RemoveAll,
            Some(listed) => {
                // Entra removes members with `"path": "members"` and a value list: remove
                // exactly those, never all.
                let ids = listed_ids(label, listed)?;
                engine.notes.push(format!(
                    "remove of '{label}' with a value list: {} value(s)",
                    ids.len()
                ));
                if ids.is_empty() {
                    return Ok(());
                }
                DeltaOp::Remove(ids)
            }
        },
        (_, Some(_)) => return Err(unsupported()),
        (OpKind::Replace, None) if value.is_none_or(Value::is_null) => DeltaOp::Replace(Vec::new()),
        (OpKind::Add | OpKind::Replace, None) => {
            let Some(v) = value else {
                return Err(ScimError::invalid_value(format!(
                    "{} of '{label}' requires a \"value\"",
                    op.as_str()
                )));
            };
            let items = engine.normalize_list(attr, label, v)?;
            if let Some(bad) = items
                .iter()
                .find(|i| !i.get("value").is_some_and(Value::is_string))
            {
                return Err(ScimError::invalid_value(format!(
                    "every '{label}' value needs a \"value\" id, got {bad}"
                )));
            }
            match op {
                OpKind::Replace => DeltaOp::Replace(items),
                _ if items.is_empty() => return Ok(()),
                _ => DeltaOp::Add(items),
            }
        }
    };
    engine.deltas.push(Delta {
        attr: attr.name.clone(),
        op: dop,
    });
    Ok(())
}

/// Collect the ids of `value eq "id"` clauses joined by `or`; false for any other shape.
fn eq_ids(filter: &Checked, out: &mut Vec<String>) -> bool {
    match filter {
        Checked::Compare(leaf, CompareOp::Eq, CompValue::String(id))
            if leaf.path.attr == "value" =>
        {
            out.push(id.clone());
            true
        }
        Checked::Or(a, b) => eq_ids(a, out) && eq_ids(b, out),
        _ => false,
    }
}

/// The ids of a `value` list: `[{"value": "id"}, …]`, a single such object, or bare ids.
fn listed_ids(label: &str, listed: &Value) -> Result<Vec<String>, ScimError> {
    let items = match listed {
        Value::Array(items) => items.as_slice(),
        single => std::slice::from_ref(single),
    };
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        let id = match item {
            Value::String(s) => Some(s.as_str()),
            Value::Object(o) => o
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("value"))
                .and_then(|(_, v)| v.as_str()),
            _ => None,
        };
        let id = id.ok_or_else(|| {
            ScimError::invalid_value(format!(
                "remove of '{label}': every listed value needs a \"value\" id, got {item}"
            ))
        })?;
        ids.push(id.to_string());
    }
    Ok(dedup(ids))
}

/// Drop repeated ids, keeping the first occurrence.
fn dedup(ids: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect()
}
