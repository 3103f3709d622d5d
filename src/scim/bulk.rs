//! Bulk requests (RFC 7644 3.7): parsing, operation paths and `bulkId` references.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::scim::error::ScimError;
use crate::scim::registry::ResourceKind;

/// BulkRequest schema URN.
pub const BULK_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// BulkResponse schema URN.
pub const BULK_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// Advertised `bulk.maxOperations`.
pub const MAX_OPERATIONS: usize = 1000;
/// Advertised `bulk.maxPayloadSize` (bytes).
pub const MAX_PAYLOAD_SIZE: usize = 1_048_576;

/// An operation's HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkMethod {
    /// Create.
    Post,
    /// Replace.
    Put,
    /// Modify.
    Patch,
    /// Delete.
    Delete,
}

impl BulkMethod {
    /// Wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BulkMethod::Post => "POST",
            BulkMethod::Put => "PUT",
            BulkMethod::Patch => "PATCH",
            BulkMethod::Delete => "DELETE",
        }
    }
}

/// What an operation's `path` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkTarget {
    /// `/Users` or `/Groups`.
    Collection(ResourceKind),
    /// `/Users/{id}` (the id may still be a `bulkId:` reference).
    Resource(ResourceKind, String),
}

/// One operation of a bulk request.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOperation {
    /// Method.
    pub method: BulkMethod,
    /// Client-chosen id for references (required for POST).
    pub bulk_id: Option<String>,
    /// ETag the resource must have (`If-Match`).
    pub version: Option<String>,
    /// Target path as sent.
    pub path: String,
    /// Body.
    pub data: Option<Value>,
}

/// A parsed bulk request.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkRequest {
    /// Stop after this many errors (None: process everything).
    pub fail_on_errors: Option<usize>,
    /// Operations in request order.
    pub operations: Vec<BulkOperation>,
}

/// Parse a BulkRequest body. More than [`MAX_OPERATIONS`] operations is 413 (RFC 7644 3.7.4).
pub fn parse(body: &Value) -> Result<BulkRequest, ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a BulkRequest must be a JSON object"))?;
    let has_schema = obj
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter().any(|u| {
                u.as_str()
                    .is_some_and(|u| u.eq_ignore_ascii_case(BULK_REQUEST_SCHEMA))
            })
        });
    if !has_schema {
        return Err(ScimError::invalid_syntax(format!(
            "schemas must contain {BULK_REQUEST_SCHEMA}"
        )));
    }
    let fail_on_errors = match obj.get("failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n >= 1)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| {
                    ScimError::invalid_value("failOnErrors must be a positive integer")
                })?,
        ),
    };
    let ops = obj
        .get("Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::invalid_syntax("Operations must be an array"))?;
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::new(
            413,
            None,
            format!(
                "the bulk request has {} operations; the maximum is {MAX_OPERATIONS}",
                ops.len()
            ),
        ));
    }
    let operations = ops
        .iter()
        .enumerate()
        .map(|(i, op)| parse_op(i, op))
        .collect::<Result<_, _>>()?;
    Ok(BulkRequest {
        fail_on_errors,
        operations,
    })
}

fn parse_op(i: usize, op: &Value) -> Result<BulkOperation, ScimError> {
    let field = |k: &str| op.get(k).and_then(Value::as_str).map(str::to_string);
    let method = match field("method")
        .unwrap_or_default()
        .to_ascii_uppercase()
        .as_str()
    {
        "POST" => BulkMethod::Post,
        "PUT" => BulkMethod::Put,
        "PATCH" => BulkMethod::Patch,
        "DELETE" => BulkMethod::Delete,
        other => {
            return Err(ScimError::invalid_syntax(format!(
                "operation {i}: method '{other}' is not POST, PUT, PATCH or DELETE"
            )));
        }
    };
    let path = field("path")
        .ok_or_else(|| ScimError::invalid_syntax(format!("operation {i}: path is required")))?;
    let bulk_id = field("bulkId");
    if method == BulkMethod::Post && bulk_id.is_none() {
        // RFC 7644 3.7: bulkId is REQUIRED for POST operations.
        return Err(ScimError::invalid_syntax(format!(
            "operation {i}: POST requires a bulkId"
        )));
    }
    let data = op.get("data").cloned();
    if method != BulkMethod::Delete && data.is_none() {
        return Err(ScimError::invalid_syntax(format!(
            "operation {i}: data is required"
        )));
    }
    Ok(BulkOperation {
        method,
        bulk_id,
        version: field("version"),
        path,
        data,
    })
}

/// Parse an operation path: `/Users`, `/Groups`, `/Users/{id}`, `/Groups/{id}`.
pub fn parse_target(path: &str) -> Result<BulkTarget, ScimError> {
    let trimmed = path.trim_start_matches('/');
    let (collection, id) = match trimmed.split_once('/') {
        Some((c, id)) => (c, Some(id)),
        None => (trimmed, None),
    };
    let kind = if collection.eq_ignore_ascii_case("Users") {
        ResourceKind::User
    } else if collection.eq_ignore_ascii_case("Groups") {
        ResourceKind::Group
    } else {
        return Err(ScimError::invalid_path(format!(
            "'{path}' is not /Users or /Groups"
        )));
    };
    Ok(match id {
        Some(id) if !id.is_empty() && !id.contains('/') => {
            BulkTarget::Resource(kind, id.to_string())
        }
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "'{path}' is not a resource path"
            )));
        }
        None => BulkTarget::Collection(kind),
    })
}

/// Prefix of a reference to another operation's resource (RFC 7644 3.7.2).
pub const BULK_ID_PREFIX: &str = "bulkId:";

/// Every `bulkId:` reference inside a value or path.
pub fn references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_ID_PREFIX) {
                out.push(id.to_string());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| references(i, out)),
        Value::Object(m) => m.values().for_each(|i| references(i, out)),
        _ => {}
    }
}

/// Replace `bulkId:x` strings with the ids created for them; returns the unresolved ones.
pub fn substitute(v: &mut Value, created: &HashMap<String, String>) -> Vec<String> {
    let mut missing = Vec::new();
    substitute_into(v, created, &mut missing);
    missing
}

fn substitute_into(v: &mut Value, created: &HashMap<String, String>, missing: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_ID_PREFIX) {
                match created.get(id) {
                    Some(real) => *s = real.clone(),
                    None => missing.push(id.to_string()),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| substitute_into(i, created, missing)),
        Value::Object(m) => m
            .values_mut()
            .for_each(|i| substitute_into(i, created, missing)),
        _ => {}
    }
}

/// Resolve a `bulkId:` in the id segment of a path (`/Users/bulkId:qwerty`); returns the
/// unresolved reference, if any.
pub fn substitute_path(path: &mut String, created: &HashMap<String, String>) -> Option<String> {
    let (head, id) = path.rsplit_once('/')?;
    let reference = id.strip_prefix(BULK_ID_PREFIX)?;
    match created.get(reference) {
        Some(real) => {
            *path = format!("{head}/{real}");
            None
        }
        None => Some(reference.to_string()),
    }
}

/// One entry of a BulkResponse.
pub fn response_entry(
    op: &BulkOperation,
    status: u16,
    location: Option<&str>,
    version: Option<&str>,
    error: Option<&ScimError>,
) -> Value {
    let mut e = json!({"method": op.method.as_str(), "status": status.to_string()});
    if let Some(b) = &op.bulk_id {
        e["bulkId"] = Value::String(b.clone());
    }
    if let Some(l) = location {
        e["location"] = Value::String(l.to_string());
    }
    if let Some(v) = version {
        e["version"] = Value::String(v.to_string());
    }
    if let Some(err) = error {
        e["response"] = err.to_body();
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(ops: Value) -> Value {
        json!({"schemas": [BULK_REQUEST_SCHEMA], "Operations": ops})
    }

    #[test]
    fn parses_rfc_example_operations() {
        // RFC 7644 3.7.2: a group referencing a user created in the same request.
        let body = req(json!([
            {"method": "POST", "path": "/Users", "bulkId": "qwerty", "data": {"userName": "Alice"}},
            {"method": "POST", "path": "/Groups", "bulkId": "ytrewq",
             "data": {"displayName": "Tour Guides", "members": [{"type": "User", "value": "bulkId:qwerty"}]}}
        ]));
        let r = parse(&body).unwrap();
        assert_eq!(r.operations.len(), 2);
        let mut refs = Vec::new();
        references(r.operations[1].data.as_ref().unwrap(), &mut refs);
        assert_eq!(refs, vec!["qwerty".to_string()]);
        let mut data = r.operations[1].data.clone().unwrap();
        let created = HashMap::from([("qwerty".to_string(), "92b7".to_string())]);
        assert!(substitute(&mut data, &created).is_empty());
        assert_eq!(data["members"][0]["value"], "92b7");
    }

    #[test]
    fn post_without_bulk_id_and_bad_method_are_invalid_syntax() {
        for ops in [
            json!([{"method": "POST", "path": "/Users", "data": {}}]),
            json!([{"method": "GET", "path": "/Users"}]),
            json!([{"method": "PUT", "path": "/Users/1"}]),
        ] {
            assert_eq!(
                parse(&req(ops)).unwrap_err().scim_type,
                Some(crate::scim::error::ScimType::InvalidSyntax)
            );
        }
    }

    #[test]
    fn too_many_operations_is_413() {
        let ops: Vec<Value> = (0..=MAX_OPERATIONS)
            .map(|i| json!({"method": "DELETE", "path": format!("/Users/{i}")}))
            .collect();
        assert_eq!(parse(&req(Value::Array(ops))).unwrap_err().status, 413);
    }

    #[test]
    fn targets() {
        assert_eq!(
            parse_target("/Users").unwrap(),
            BulkTarget::Collection(ResourceKind::User)
        );
        assert_eq!(
            parse_target("/Groups/abc").unwrap(),
            BulkTarget::Resource(ResourceKind::Group, "abc".into())
        );
        assert!(parse_target("/Nope").is_err());
        assert!(parse_target("/Users/a/b").is_err());
    }

    #[test]
    fn path_references_resolve() {
        let created = HashMap::from([("a".to_string(), "42".to_string())]);
        let mut p = "/Users/bulkId:a".to_string();
        assert_eq!(substitute_path(&mut p, &created), None);
        assert_eq!(p, "/Users/42");
        let mut q = "/Users/bulkId:b".to_string();
        assert_eq!(substitute_path(&mut q, &created), Some("b".to_string()));
    }

    #[test]
    fn unresolved_references_are_reported() {
        let mut v = json!({"members": [{"value": "bulkId:nope"}]});
        assert_eq!(
            substitute(&mut v, &HashMap::new()),
            vec!["nope".to_string()]
        );
    }
}
