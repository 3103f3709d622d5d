//! The PATCH request body and the PATH grammar of RFC 7644 3.5.2 (Figure 7):
//! `PATH = attrPath / valuePath [subAttr]`, `valuePath = attrPath "[" valFilter "]"`.

use serde_json::{Map, Value};

use super::{OpKind, Operation, PATCH_SCHEMA, PatchPath, PatchRequest};
use crate::scim::attr::check_name;
use crate::scim::error::ScimError;
use crate::scim::filter;
use crate::scim::registry::{Registry, ResourceKind};

/// Longest accepted path: a value filter plus an attribute path.
const MAX_PATH_LEN: usize = filter::MAX_FILTER_LEN + 512;

/// Parse the PATCH request body (RFC 7644 3.5.2): `schemas` must hold the PatchOp URN,
/// `Operations` must be a non-empty array; op names are accepted in any case (noted).
pub fn parse_request(
    registry: &Registry,
    kind: ResourceKind,
    body: &Value,
    notes: &mut Vec<String>,
) -> Result<PatchRequest, ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("the PATCH body must be a JSON object"))?;
    let has_schema = field(obj, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|u| {
                u.as_str()
                    .is_some_and(|u| u.eq_ignore_ascii_case(PATCH_SCHEMA))
            })
        });
    if !has_schema {
        return Err(ScimError::invalid_syntax(format!(
            "'schemas' must contain \"{PATCH_SCHEMA}\""
        )));
    }
    let ops = match field(obj, "Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        _ => {
            return Err(ScimError::invalid_syntax(
                "'Operations' must be a non-empty array",
            ));
        }
    };
    let mut operations = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        operations.push(parse_operation(registry, kind, i, op, notes)?);
    }
    Ok(PatchRequest { operations })
}

/// A member of a JSON object, its name compared case-insensitively (exact match first).
fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// Parse one element of `Operations`.
fn parse_operation(
    registry: &Registry,
    kind: ResourceKind,
    index: usize,
    op: &Value,
    notes: &mut Vec<String>,
) -> Result<Operation, ScimError> {
    let obj = op.as_object().ok_or_else(|| {
        ScimError::invalid_syntax(format!("Operations[{index}] must be a JSON object"))
    })?;
    let name = field(obj, "op").and_then(Value::as_str).ok_or_else(|| {
        ScimError::invalid_syntax(format!("Operations[{index}] needs an \"op\" string"))
    })?;
    let kind_of_op = match name.to_ascii_lowercase().as_str() {
        "add" => OpKind::Add,
        "remove" => OpKind::Remove,
        "replace" => OpKind::Replace,
        _ => {
            return Err(ScimError::invalid_syntax(format!(
                "Operations[{index}]: unknown op \"{name}\" (add, remove or replace)"
            )));
        }
    };
    if name != kind_of_op.as_str() {
        // Entra sends "Replace" / "Add"; RFC 7644 spells them in lower case.
        notes.push(format!(
            "op \"{name}\" normalised to \"{}\"",
            kind_of_op.as_str()
        ));
    }
    let path = match field(obj, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => parse_path(registry, kind, s)?,
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "Operations[{index}]: \"path\" must be a string"
            )));
        }
    };
    let value = field(obj, "value").cloned();
    let operation = Operation {
        op: kind_of_op,
        path,
        value,
    };
    validate(&operation)?;
    Ok(operation)
}

/// The structural rules every operation obeys, checked before anything is applied.
pub(super) fn validate(op: &Operation) -> Result<(), ScimError> {
    match op.op {
        // RFC 7644 3.5.2.2: "If "path" is unspecified, the operation fails with HTTP status
        // code 400 and a "scimType" error code of "noTarget"."
        OpKind::Remove if op.path.is_none() => Err(ScimError::no_target(
            "remove requires a \"path\" (RFC 7644 3.5.2.2)",
        )),
        OpKind::Add | OpKind::Replace => match (&op.value, &op.path) {
            (None, _) => Err(ScimError::invalid_value(format!(
                "{} requires a \"value\"",
                op.op.as_str()
            ))),
            // RFC 7643 2.5: null means unassigned, which only a replace on a path can express.
            (Some(Value::Null), path) if op.op == OpKind::Add || path.is_none() => {
                Err(ScimError::invalid_value(format!(
                    "{} requires a non-null \"value\"",
                    op.op.as_str()
                )))
            }
            _ => Ok(()),
        },
        OpKind::Remove => Ok(()),
    }
}

/// Parse and resolve a PATCH path. `Ok(None)` means the resource itself (an empty path or
/// the core schema URN alone). Errors are 400 invalidPath, or invalidFilter for the filter.
pub fn parse_path(
    registry: &Registry,
    kind: ResourceKind,
    raw: &str,
) -> Result<Option<PatchPath>, ScimError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > MAX_PATH_LEN {
        return Err(ScimError::invalid_path(format!(
            "path longer than {MAX_PATH_LEN} characters"
        )));
    }
    let Some(open) = s.find('[') else {
        return simple_path(registry, kind, s);
    };
    let (prefix, rest) = s.split_at(open);
    let close = closing_bracket(rest)
        .ok_or_else(|| ScimError::invalid_path(format!("unclosed '[' in path '{s}'")))?;
    let inner = &rest[1..close];
    let after = &rest[close + 1..];
    let sub_name = if after.is_empty() {
        None
    } else {
        let name = after.strip_prefix('.').ok_or_else(|| {
            ScimError::invalid_path(format!("unexpected '{after}' after ']' in path '{s}'"))
        })?;
        check_name(name)?;
        Some(name)
    };
    let attr_path = registry_path(registry, kind, prefix)?;
    if attr_path.sub_attr.is_some() {
        return Err(ScimError::invalid_path(format!(
            "a value filter applies to a multi-valued attribute, not to '{prefix}'"
        )));
    }
    let resolved = registry.resolve(kind, &attr_path)?;
    if !(resolved.attr.multi_valued && resolved.attr.is_complex()) {
        return Err(ScimError::invalid_path(format!(
            "'{}' is not a multi-valued complex attribute: no value filter allowed",
            resolved.display()
        )));
    }
    let parsed = filter::parse(inner)?;
    let checked = filter::check_within(&resolved, &parsed)?;
    let sub_attr = match sub_name {
        None => None,
        Some(n) => Some(
            resolved
                .attr
                .sub(n)
                .ok_or_else(|| {
                    ScimError::invalid_path(format!(
                        "unknown sub-attribute '{n}' of '{}'",
                        resolved.attr.name
                    ))
                })?
                .name
                .clone(),
        ),
    };
    Ok(Some(PatchPath::Attr {
        attr: resolved.path(),
        filter: Some(checked),
        sub_attr,
    }))
}

/// A path without value filter: a schema URN alone, or an attribute path.
fn simple_path(
    registry: &Registry,
    kind: ResourceKind,
    s: &str,
) -> Result<Option<PatchPath>, ScimError> {
    if let Some((urn, "")) = registry.split_urn(kind, s) {
        if urn == registry.core_schema(kind).id {
            return Ok(None);
        }
        return Ok(Some(PatchPath::Extension(urn.to_string())));
    }
    let attr_path = registry_path(registry, kind, s)?;
    let resolved = registry.resolve(kind, &attr_path)?;
    Ok(Some(PatchPath::Attr {
        attr: resolved.path(),
        filter: None,
        sub_attr: None,
    }))
}

/// `Registry::parse_path`, restricted to ASCII (attribute names and the URNs of our schemas
/// are ASCII, and the registry slices by byte offsets).
fn registry_path(
    registry: &Registry,
    kind: ResourceKind,
    s: &str,
) -> Result<crate::scim::attr::AttrPath, ScimError> {
    if !s.is_ascii() || s.is_empty() {
        return Err(ScimError::invalid_path(format!(
            "'{s}' is not a valid attribute path"
        )));
    }
    registry.parse_path(kind, s)
}

/// Byte index of the `]` closing the `[` at index 0 of `s`, skipping quoted strings.
fn closing_bracket(s: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if c == ']' {
            return Some(i);
        }
    }
    None
}
