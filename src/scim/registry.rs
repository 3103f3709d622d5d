//! The schema registry: every schema and resource type of `schemas/*.json`, path resolution
//! and schema-aware normalisation of request bodies.

use serde_json::{Map, Value};

use crate::scim::attr::AttrPath;
use crate::scim::error::ScimError;
use crate::scim::schema::{AttrType, AttributeDef, ResourceType, Schema, common_attributes, find};

/// Core User schema URN.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Core Group schema URN.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// Enterprise User extension URN.
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Operator extension URN.
pub const OPERATOR_SCHEMA: &str = "urn:dialai:params:scim:schemas:extension:operator:2.0:User";

/// The embedded discovery documents, by file name.
pub mod documents {
    /// `schemas/user.json`.
    pub const USER: &str = include_str!("../../schemas/user.json");
    /// `schemas/group.json`.
    pub const GROUP: &str = include_str!("../../schemas/group.json");
    /// `schemas/enterprise-user.json`.
    pub const ENTERPRISE_USER: &str = include_str!("../../schemas/enterprise-user.json");
    /// `schemas/operator.json`.
    pub const OPERATOR: &str = include_str!("../../schemas/operator.json");
    /// `schemas/resource-types.json`.
    pub const RESOURCE_TYPES: &str = include_str!("../../schemas/resource-types.json");
    /// `schemas/service-provider-config.json`.
    pub const SERVICE_PROVIDER_CONFIG: &str =
        include_str!("../../schemas/service-provider-config.json");
}

/// Which resource type a request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `/Users`.
    User,
    /// `/Groups`.
    Group,
}

impl ResourceKind {
    /// The resource type id (`User` / `Group`).
    pub fn name(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
        }
    }
    /// The endpoint (`Users` / `Groups`) without slash.
    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "Users",
            ResourceKind::Group => "Groups",
        }
    }
}

/// An attribute path resolved against the registry, with canonical names.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    /// URN of the schema that defines the attribute (`None` for common attributes).
    pub schema: Option<&'a str>,
    /// Whether that schema is an extension (the attribute lives under the URN key).
    pub extension: bool,
    /// The top-level attribute.
    pub attr: &'a AttributeDef,
    /// The sub-attribute, when the path names one.
    pub sub: Option<&'a AttributeDef>,
}

impl Resolved<'_> {
    /// The definition the path points at (the sub-attribute if any).
    pub fn target(&self) -> &AttributeDef {
        self.sub.unwrap_or(self.attr)
    }

    /// The canonical path (URN kept only for extension attributes).
    pub fn path(&self) -> AttrPath {
        AttrPath {
            schema: if self.extension {
                self.schema.map(str::to_string)
            } else {
                None
            },
            attr: self.attr.name.clone(),
            sub_attr: self.sub.map(|s| s.name.clone()),
        }
    }

    /// A display name for messages: `name.givenName`, or `urn:…:maxChats`.
    pub fn display(&self) -> String {
        self.path().to_string()
    }
}

/// All schemas and resource types, loaded once at start and shared read-only.
#[derive(Debug)]
pub struct Registry {
    schemas: Vec<Schema>,
    resource_types: Vec<ResourceType>,
    common: Vec<AttributeDef>,
}

impl Registry {
    /// Load the embedded documents. They are part of the binary, so a failure is a build defect.
    pub fn load() -> Result<Self, ScimError> {
        let parse = |name: &str, text: &str| -> Result<Schema, ScimError> {
            serde_json::from_str(text)
                .map_err(|e| ScimError::new(500, None, format!("schema {name}: {e}")))
        };
        let schemas = vec![
            parse("user", documents::USER)?,
            parse("group", documents::GROUP)?,
            parse("enterprise-user", documents::ENTERPRISE_USER)?,
            parse("operator", documents::OPERATOR)?,
        ];
        let resource_types: Vec<ResourceType> = serde_json::from_str(documents::RESOURCE_TYPES)
            .map_err(|e| ScimError::new(500, None, format!("resource types: {e}")))?;
        Ok(Registry {
            schemas,
            resource_types,
            common: common_attributes(),
        })
    }

    /// All schemas.
    pub fn schemas(&self) -> &[Schema] {
        &self.schemas
    }

    /// The schema with this URN (case-insensitive).
    pub fn schema(&self, urn: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// The resource type of a kind.
    pub fn resource_type(&self, kind: ResourceKind) -> &ResourceType {
        self.resource_types
            .iter()
            .find(|r| r.id == kind.name())
            .unwrap_or(&self.resource_types[0])
    }

    /// The core schema of a kind.
    pub fn core_schema(&self, kind: ResourceKind) -> &Schema {
        let urn = match kind {
            ResourceKind::User => USER_SCHEMA,
            ResourceKind::Group => GROUP_SCHEMA,
        };
        self.schema(urn).unwrap_or(&self.schemas[0])
    }

    /// The extension schemas of a kind.
    pub fn extensions(&self, kind: ResourceKind) -> impl Iterator<Item = &Schema> {
        self.resource_type(kind)
            .schema_extensions
            .iter()
            .filter_map(|e| self.schema(&e.schema))
    }

    /// The common attributes (id, externalId, meta).
    pub fn common(&self) -> &[AttributeDef] {
        &self.common
    }

    /// Split a known schema URN prefix off `s` (case-insensitive), returning the canonical URN
    /// and the rest (empty when `s` is the URN itself). Longest match wins.
    pub fn split_urn<'s>(&self, kind: ResourceKind, s: &'s str) -> Option<(&str, &'s str)> {
        let mut best: Option<(&str, &'s str)> = None;
        let candidates = std::iter::once(self.core_schema(kind)).chain(self.extensions(kind));
        for schema in candidates {
            let urn = schema.id.as_str();
            if s.len() >= urn.len()
                && s.is_char_boundary(urn.len())
                && s[..urn.len()].eq_ignore_ascii_case(urn)
            {
                let rest = &s[urn.len()..];
                let rest = if rest.is_empty() {
                    rest
                } else if let Some(r) = rest.strip_prefix(':') {
                    r
                } else {
                    continue;
                };
                if best.is_none_or(|(b, _)| b.len() < urn.len()) {
                    best = Some((urn, rest));
                }
            }
        }
        best
    }

    /// Parse a textual attribute path (`urn:…:User:name.givenName`, `emails.value`, …).
    pub fn parse_path(&self, kind: ResourceKind, s: &str) -> Result<AttrPath, ScimError> {
        if let Some((urn, rest)) = self.split_urn(kind, s) {
            if rest.is_empty() {
                return Err(ScimError::invalid_path(format!(
                    "'{s}' names a schema, not an attribute"
                )));
            }
            return AttrPath::parse_local(Some(urn.to_string()), rest);
        }
        if s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
            return Err(ScimError::invalid_path(format!("unknown schema in '{s}'")));
        }
        AttrPath::parse_local(None, s)
    }

    /// Resolve a path against the resource type: core attributes, common attributes, then
    /// (tolerantly) an unqualified extension attribute when exactly one extension defines it.
    pub fn resolve(&self, kind: ResourceKind, path: &AttrPath) -> Result<Resolved<'_>, ScimError> {
        let core = self.core_schema(kind);
        let found: Option<(Option<&str>, bool, &AttributeDef)> = match &path.schema {
            Some(urn) => {
                let schema = self
                    .schema(urn)
                    .filter(|s| s.id == core.id || self.extensions(kind).any(|e| e.id == s.id))
                    .ok_or_else(|| ScimError::invalid_path(format!("unknown schema '{urn}'")))?;
                let ext = schema.id != core.id;
                schema
                    .attr(&path.attr)
                    .map(|a| (Some(schema.id.as_str()), ext, a))
                    .or_else(|| {
                        (!ext)
                            .then(|| find(&self.common, &path.attr).map(|a| (None, false, a)))
                            .flatten()
                    })
            }
            None => core
                .attr(&path.attr)
                .map(|a| (Some(core.id.as_str()), false, a))
                .or_else(|| find(&self.common, &path.attr).map(|a| (None, false, a)))
                .or_else(|| {
                    let mut hits = self
                        .extensions(kind)
                        .filter_map(|e| e.attr(&path.attr).map(|a| (Some(e.id.as_str()), true, a)));
                    let first = hits.next();
                    if hits.next().is_some() { None } else { first }
                }),
        };
        let (schema, extension, attr) = found.ok_or_else(|| {
            ScimError::invalid_path(format!("unknown attribute '{}'", path.dotted()))
        })?;
        let sub = match &path.sub_attr {
            None => None,
            Some(s) => Some(attr.sub(s).ok_or_else(|| {
                ScimError::invalid_path(format!("unknown sub-attribute '{s}' of '{}'", attr.name))
            })?),
        };
        Ok(Resolved {
            schema,
            extension,
            attr,
            sub,
        })
    }

    /// Normalise a request body for `kind` (RFC 7643 2.1 case-insensitive names):
    /// rename every key to its canonical case, move extension attributes under their URN key,
    /// check value types, and apply the value tolerances of real IdP traffic. Unknown
    /// attributes are dropped. Every coercion is described in `notes`.
    pub fn normalize(
        &self,
        kind: ResourceKind,
        body: &Value,
        notes: &mut Vec<String>,
    ) -> Result<Map<String, Value>, ScimError> {
        let obj = body
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("the resource must be a JSON object"))?;
        let core = self.core_schema(kind);
        let mut out = Map::new();
        for (key, value) in obj {
            if key.eq_ignore_ascii_case("schemas") {
                out.insert("schemas".into(), self.known_schemas(kind, value, notes));
                continue;
            }
            if let Some((urn, rest)) = self.split_urn(kind, key) {
                let schema = self.schema(urn).unwrap_or(core);
                if rest.is_empty() {
                    if schema.id == core.id {
                        // A core-URN key wrapping core attributes: merge them in.
                        let inner = self.normalize(kind, value, notes)?;
                        out.extend(inner);
                        continue;
                    }
                    if value.is_null() {
                        notes.push(format!("{urn}: null treated as unassigned"));
                        continue;
                    }
                    let ext_obj = value.as_object().ok_or_else(|| {
                        ScimError::invalid_value(format!("'{urn}' must be an object"))
                    })?;
                    let mut ext_out = match out.shift_remove(&schema.id) {
                        Some(Value::Object(m)) => m,
                        _ => Map::new(),
                    };
                    for (k, v) in ext_obj {
                        self.normalize_attr(
                            &schema.attributes,
                            Some(urn),
                            k,
                            v,
                            &mut ext_out,
                            notes,
                        )?;
                    }
                    out.insert(schema.id.clone(), Value::Object(ext_out));
                } else {
                    // `urn:…:User:attr` as a key: an extension attribute spelled out in full.
                    let mut target = if schema.id == core.id {
                        std::mem::take(&mut out)
                    } else {
                        match out.shift_remove(&schema.id) {
                            Some(Value::Object(m)) => m,
                            _ => Map::new(),
                        }
                    };
                    self.normalize_attr(
                        &schema.attributes,
                        Some(urn),
                        rest,
                        value,
                        &mut target,
                        notes,
                    )?;
                    if schema.id == core.id {
                        out = target;
                    } else {
                        out.insert(schema.id.clone(), Value::Object(target));
                    }
                }
                continue;
            }
            let attrs: Vec<&AttributeDef> =
                core.attributes.iter().chain(self.common.iter()).collect();
            match attrs.iter().find(|a| a.name.eq_ignore_ascii_case(key)) {
                Some(def) => {
                    let mut single = Map::new();
                    self.normalize_attr(
                        std::slice::from_ref(*def),
                        None,
                        key,
                        value,
                        &mut single,
                        notes,
                    )?;
                    out.extend(single);
                }
                None => notes.push(format!("unknown attribute '{key}' ignored")),
            }
        }
        Ok(out)
    }

    /// The `schemas` list with only this resource type's URNs (canonical spelling). Others,
    /// such as Entra's extra group URN, are dropped with a note.
    fn known_schemas(&self, kind: ResourceKind, value: &Value, notes: &mut Vec<String>) -> Value {
        let known: Vec<&str> = std::iter::once(self.core_schema(kind))
            .chain(self.extensions(kind))
            .map(|s| s.id.as_str())
            .collect();
        let mut kept = Vec::new();
        for urn in value.as_array().map(Vec::as_slice).unwrap_or_default() {
            match urn
                .as_str()
                .and_then(|u| known.iter().find(|k| k.eq_ignore_ascii_case(u)))
            {
                Some(k) if !kept.contains(&Value::from(*k)) => kept.push(Value::from(*k)),
                Some(_) => {}
                None => notes.push(format!(
                    "schemas: {urn} is not a schema of {}: ignored",
                    kind.name()
                )),
            }
        }
        Value::Array(kept)
    }

    /// Normalise one `key: value` pair against `attrs` into `out`.
    fn normalize_attr(
        &self,
        attrs: &[AttributeDef],
        urn: Option<&str>,
        key: &str,
        value: &Value,
        out: &mut Map<String, Value>,
        notes: &mut Vec<String>,
    ) -> Result<(), ScimError> {
        let Some(def) = find(attrs, key) else {
            notes.push(format!("unknown attribute '{key}' ignored"));
            return Ok(());
        };
        let label = match urn {
            Some(u) if !attrs.is_empty() && u != USER_SCHEMA && u != GROUP_SCHEMA => {
                format!("{u}:{}", def.name)
            }
            _ => def.name.clone(),
        };
        if value.is_null() {
            // RFC 7643 2.5: null is equivalent to unassigned.
            notes.push(format!("{label}: null treated as unassigned"));
            return Ok(());
        }
        let v = normalize_value(def, &label, value, notes)?;
        out.insert(def.name.clone(), v);
        Ok(())
    }
}

/// Check and coerce a value for `def` (top-level or sub-attribute), recursively.
pub fn normalize_value(
    def: &AttributeDef,
    label: &str,
    value: &Value,
    notes: &mut Vec<String>,
) -> Result<Value, ScimError> {
    if def.multi_valued {
        let items = match value {
            Value::Array(items) => items.clone(),
            other => {
                return Err(ScimError::invalid_value(format!(
                    "'{label}' is multi-valued and must be an array, got {}",
                    kind_of(other)
                )));
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for item in &items {
            if item.is_null() {
                continue;
            }
            out.push(normalize_single(def, label, item, notes)?);
        }
        return Ok(Value::Array(out));
    }
    normalize_single(def, label, value, notes)
}

/// Check and coerce one (non-list) value.
pub fn normalize_single(
    def: &AttributeDef,
    label: &str,
    value: &Value,
    notes: &mut Vec<String>,
) -> Result<Value, ScimError> {
    let bad = |expected: &str| {
        ScimError::invalid_value(format!(
            "'{label}' must be {expected}, got {}",
            kind_of(value)
        ))
    };
    match def.attr_type {
        AttrType::Complex => match value {
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    let Some(sub) = def.sub(k) else {
                        notes.push(format!("unknown sub-attribute '{label}.{k}' ignored"));
                        continue;
                    };
                    if v.is_null() {
                        continue;
                    }
                    let sub_label = format!("{label}.{}", sub.name);
                    out.insert(
                        sub.name.clone(),
                        normalize_value(sub, &sub_label, v, notes)?,
                    );
                }
                Ok(Value::Object(out))
            }
            // Entra sends the enterprise `manager` as a bare id string: a complex attribute
            // with a `value` sub-attribute takes a scalar as that value.
            Value::String(s) if def.sub("value").is_some() => {
                notes.push(format!("{label}: bare string coerced to {{\"value\": …}}"));
                let mut out = Map::new();
                out.insert("value".into(), Value::String(s.clone()));
                Ok(Value::Object(out))
            }
            _ => Err(bad("an object")),
        },
        AttrType::Boolean => match value {
            Value::Bool(_) => Ok(value.clone()),
            // Entra sends "True"/"False" strings for booleans (boolean attributes only).
            Value::String(s)
                if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
            {
                notes.push(format!("{label}: string \"{s}\" coerced to boolean"));
                Ok(Value::Bool(s.eq_ignore_ascii_case("true")))
            }
            _ => Err(bad("a boolean")),
        },
        AttrType::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(value.clone()),
            _ => Err(bad("an integer")),
        },
        AttrType::Decimal => match value {
            Value::Number(_) => Ok(value.clone()),
            _ => Err(bad("a number")),
        },
        AttrType::DateTime => match value {
            Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {
                Ok(value.clone())
            }
            _ => Err(bad("an RFC 3339 dateTime")),
        },
        AttrType::String | AttrType::Reference | AttrType::Binary => match value {
            Value::String(_) => Ok(value.clone()),
            _ => Err(bad("a string")),
        },
    }
}

/// A word for a JSON value's kind, for error messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
