//! PATCH (RFC 7644 3.5.2): request parsing, the PATH grammar and atomic application of
//! `add` / `remove` / `replace` operations to a canonical resource document.
//!
//! The engine is pure: it edits a `serde_json` map produced by `Registry::normalize` and turns
//! operations on attributes kept outside the document (Group `members`) into [`Delta`]s that
//! the domain applies as set changes. Errors are [`ScimError`](crate::scim::error::ScimError)s
//! with the scimType RFC 7644 3.12 names (invalidPath, invalidFilter, noTarget, invalidValue,
//! mutability, invalidSyntax). Every tolerance of real IdP traffic is described in `notes`.
//!
//! readOnly attributes are enforced here (an explicit path is refused, a path-less value has
//! them ignored); immutability is not: the domain compares the patched document with the
//! stored one through [`mutability::check_immutable`](crate::scim::mutability::check_immutable),
//! which knows that an immutable attribute may be set while unassigned.

mod apply;
mod external;
mod ops;
mod path;
#[cfg(test)]
mod rfc_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tolerance_tests;

use serde_json::Value;

use crate::scim::attr::AttrPath;
use crate::scim::filter;

pub use apply::apply;
pub use path::{parse_path, parse_request};

/// The PATCH request message schema (RFC 7644 3.5.2).
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The three PATCH operations (RFC 7644 3.5.2.1-3.5.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// `add`.
    Add,
    /// `remove`.
    Remove,
    /// `replace`.
    Replace,
}

impl OpKind {
    /// The wire spelling (`add`, `remove`, `replace`).
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Remove => "remove",
            OpKind::Replace => "replace",
        }
    }
}

/// A parsed and resolved PATCH `path` (RFC 7644 3.5.2, `PATH = attrPath / valuePath [subAttr]`).
#[derive(Debug, Clone, PartialEq)]
pub enum PatchPath {
    /// `urn:...:enterprise:2.0:User` alone: the whole extension object.
    Extension(String),
    /// attrPath, optional value filter, optional sub-attribute after the filter.
    Attr {
        /// Canonical, resolved attribute path (`name.givenName`, `emails`, `urn:…:manager`).
        attr: AttrPath,
        /// The value filter of `emails[type eq "work"]`, checked against the attribute.
        filter: Option<filter::Checked>,
        /// Canonical sub-attribute after the filter (`.value` of `emails[…].value`).
        sub_attr: Option<String>,
    },
}

/// One PATCH operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The operation.
    pub op: OpKind,
    /// The target; `None` means the resource itself.
    pub path: Option<PatchPath>,
    /// The value as sent (`Some(Value::Null)` when the client sent `null`).
    pub value: Option<Value>,
}

/// A parsed PATCH request body.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    /// The operations, applied in order and atomically.
    pub operations: Vec<Operation>,
}

impl PatchRequest {
    /// Whether every operation targets only the top-level attribute `attr`: a path on it
    /// (`members`, `members[value eq "…"]`), or a path-less operation whose value holds
    /// nothing else (RFC 7644 3.5.2: the value's keys are the attributes changed).
    pub fn touches_only(&self, attr: &str) -> bool {
        !self.operations.is_empty()
            && self.operations.iter().all(|op| match &op.path {
                Some(PatchPath::Attr { attr: path, .. }) => {
                    path.schema.is_none() && path.attr.eq_ignore_ascii_case(attr)
                }
                Some(PatchPath::Extension(_)) => false,
                None => match &op.value {
                    Some(Value::Object(m)) => {
                        !m.is_empty() && m.keys().all(|k| k.eq_ignore_ascii_case(attr))
                    }
                    _ => false,
                },
            })
    }
}

/// A change to a multi-valued attribute held outside the document (Group `members`).
#[derive(Debug, Clone, PartialEq)]
pub enum DeltaOp {
    /// Add these (normalised) values.
    Add(Vec<Value>),
    /// Remove the values with these `value` ids.
    Remove(Vec<String>),
    /// Remove every value.
    RemoveAll,
    /// Replace all values with these.
    Replace(Vec<Value>),
}

/// A delta on the external attribute `attr` (canonical name, e.g. `members`).
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    /// Canonical attribute name.
    pub attr: String,
    /// The change.
    pub op: DeltaOp,
}

/// What applying a PATCH request produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// Changes to external attributes, in request order.
    pub deltas: Vec<Delta>,
    /// Whether the document itself changed (RFC 7644 3.5.2.1: a no-op must not bump `meta`).
    pub changed: bool,
}
