//! Attribute projection (RFC 7644 3.4.2.5 and 3.9, RFC 7643 2.2 "returned").
//!
//! A [`Projection`] is what a request asked to see, resolved against the registry once at the
//! edge. The store asks [`Projection::wants`] before loading expensive attributes (a Group read
//! without `members` never loads them); rendering applies it either to a full canonical
//! resource as a map ([`Projection::apply`], groups) or while writing a resource from its
//! stored text ([`Projection::write`], users), with the same result.

use std::borrow::Cow;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::scim::error::ScimError;
use crate::scim::registry::{Registry, ResourceKind};
use crate::scim::schema::{AttributeDef, Returned};

/// What a request asked to see (RFC 7644 3.4.2.5), resolved against the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    mode: Mode,
    /// URN of the core schema of the resource type; empty for [`Projection::all`].
    core_urn: String,
    /// Every top-level attribute of the resource type with its `returned` setting; empty for
    /// [`Projection::all`], which has no registry at hand.
    attrs: Vec<TopAttr>,
}

/// Which of the two mutually exclusive parameters is in force.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    /// Neither parameter: every attribute returned by default.
    All,
    /// `attributes`: only the named ones, plus those returned always.
    Include(Vec<Target>),
    /// `excludedAttributes`: the default set less the named ones (never those returned always).
    Exclude(Vec<Target>),
}

/// One resolved entry of `attributes` / `excludedAttributes`, with canonical names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A bare schema URN: every attribute that schema defines.
    Schema(String),
    /// An attribute; `ext` is the extension URN for extension attributes.
    Attr {
        ext: Option<String>,
        attr: String,
        sub: Option<String>,
    },
}

/// A top-level attribute of the resource type, as the registry defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TopAttr {
    /// Extension URN when the attribute lives under an extension key.
    ext: Option<String>,
    /// URN of the defining schema; `None` for the common attributes (id, externalId, meta).
    schema: Option<String>,
    name: String,
    returned: Returned,
}

/// What happens to one top-level attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    /// Removed from the representation.
    Drop,
    /// Kept, with its sub-attributes filtered by the rule.
    Keep(SubRule),
}

/// Which sub-attributes of a kept complex attribute survive.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SubRule {
    /// All those returned by default.
    All,
    /// Only these (plus those returned always).
    Only(Vec<String>),
    /// All but these (never those returned always).
    Except(Vec<String>),
}

impl Projection {
    /// Everything with returned default/always (no parameters).
    ///
    /// Without a registry it cannot tell which attributes are returned `never` or `request`, so
    /// [`Projection::wants`] answers true for every name; [`Projection::apply`] still consults
    /// the registry and drops them.
    pub fn all() -> Self {
        Projection {
            mode: Mode::All,
            core_urn: String::new(),
            attrs: Vec::new(),
        }
    }

    /// Parse `attributes` and `excludedAttributes` (RFC 7644 3.4.2.5).
    ///
    /// Entries are comma-separated attribute paths in standard attribute notation (RFC 7644
    /// 3.10), case-insensitive, optionally URN-qualified; a bare schema URN names every
    /// attribute of that schema. Choices where the RFC is silent:
    /// - both parameters given: RFC 7644 3.9 lets a client use one of the two, so `attributes`
    ///   wins and `excludedAttributes` is ignored (more useful than a 400 for a confused client);
    /// - an empty parameter (`attributes=`) is treated as absent;
    /// - a well-formed name the registry does not know (or an unknown schema URN) is ignored, as
    ///   real servers do and scim2-tester expects;
    /// - a name that is not attribute notation at all (`a.b.c`, `na me`) is 400 invalidValue.
    pub fn parse(
        registry: &Registry,
        kind: ResourceKind,
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Self, ScimError> {
        let attributes = attributes.filter(|s| !is_blank_list(s));
        let excluded = excluded.filter(|s| !is_blank_list(s));
        let mode = match (attributes, excluded) {
            (Some(list), _) => Mode::Include(parse_list(registry, kind, list)?),
            (None, Some(list)) => Mode::Exclude(parse_list(registry, kind, list)?),
            (None, None) => Mode::All,
        };
        let core = registry.core_schema(kind);
        let mut attrs: Vec<TopAttr> = core
            .attributes
            .iter()
            .map(|a| top_attr(None, Some(&core.id), a))
            .collect();
        attrs.extend(registry.common().iter().map(|a| top_attr(None, None, a)));
        for ext in registry.extensions(kind) {
            attrs.extend(
                ext.attributes
                    .iter()
                    .map(|a| top_attr(Some(&ext.id), Some(&ext.id), a)),
            );
        }
        Ok(Projection {
            mode,
            core_urn: core.id.clone(),
            attrs,
        })
    }

    /// Whether the rendered resource will contain (part of) this top-level attribute, given
    /// by canonical name, or extension URN + name; the core URN counts as no URN.
    pub fn wants(&self, schema_urn: Option<&str>, attr: &str) -> bool {
        let ext = schema_urn.filter(|u| !u.eq_ignore_ascii_case(&self.core_urn));
        let known = self
            .attrs
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(attr) && same_urn(t.ext.as_deref(), ext));
        let (schema, returned) = match known {
            Some(t) => (t.schema.as_deref(), t.returned),
            None => (ext, Returned::Default),
        };
        self.decide(ext, schema, attr, returned) != Decision::Drop
    }

    /// Apply to a full canonical resource (extension attributes under their URN keys).
    ///
    /// Keeps attributes returned `always` (and `schemas`), drops those returned `never`, drops
    /// those returned `request` unless named, honours `attributes` / `excludedAttributes` down
    /// to sub-attributes (`emails.value` keeps only `value` in each element), drops complex
    /// values and extension objects that end up empty, and lists in `schemas` only the
    /// extensions still present.
    pub fn apply(
        &self,
        registry: &Registry,
        kind: ResourceKind,
        resource: &mut Map<String, Value>,
    ) {
        let core = registry.core_schema(kind);
        let common = registry.common();
        // `retain` keeps the order of what stays (with preserve_order, `remove` would swap
        // the last key into the hole) and removes in one pass, without copying the keys.
        resource.retain(|key, value| {
            if key == "schemas" {
                return true;
            }
            if let Some(ext) = registry
                .extensions(kind)
                .find(|e| e.id.eq_ignore_ascii_case(key))
            {
                return match value {
                    Value::Object(obj) => {
                        self.filter_object(obj, |name| {
                            ext.attr(name)
                                .map(|d| (Some(ext.id.as_str()), Some(ext.id.as_str()), d))
                        });
                        !obj.is_empty()
                    }
                    // A canonical resource always holds an object here; anything else is noise.
                    _ => false,
                };
            }
            let def = core
                .attr(key)
                .map(|d| (None, Some(core.id.as_str()), d))
                .or_else(|| crate::scim::schema::find(common, key).map(|d| (None, None, d)));
            self.keep_value(value, def)
        });
        fix_schemas(registry, kind, resource);
    }

    /// Filter the attributes of one object (the resource itself or an extension object).
    fn filter_object<'a, F>(&self, obj: &mut Map<String, Value>, lookup: F)
    where
        F: Fn(&str) -> Option<(Option<&'a str>, Option<&'a str>, &'a AttributeDef)>,
    {
        obj.retain(|key, value| self.keep_value(value, lookup(key)));
    }

    /// Decide on one attribute's value, filtering its sub-attributes in place; false means
    /// remove it.
    fn keep_value(
        &self,
        value: &mut Value,
        def: Option<(Option<&str>, Option<&str>, &AttributeDef)>,
    ) -> bool {
        let Some((ext, schema, def)) = def else {
            // Not in the schema: a canonical resource has no such key. Keep it unless the
            // client asked for a specific set, which cannot have named it.
            return !matches!(self.mode, Mode::Include(_));
        };
        match self.decide(ext, schema, &def.name, def.returned) {
            Decision::Drop => false,
            Decision::Keep(rule) => filter_value(def, &rule, value),
        }
    }

    /// The fate of one top-level attribute (RFC 7643 2.2, RFC 7644 3.4.2.5).
    fn decide(
        &self,
        ext: Option<&str>,
        schema: Option<&str>,
        name: &str,
        returned: Returned,
    ) -> Decision {
        match returned {
            Returned::Never => return Decision::Drop,
            // RFC 7644 3.4.2.5: excludedAttributes "SHALL have no effect" on these, and
            // RFC 7643 2.2 returns them "regardless of the contents of the attributes parameter".
            Returned::Always => return Decision::Keep(SubRule::All),
            Returned::Default | Returned::Request => {}
        }
        let (targets, include) = match &self.mode {
            Mode::All => {
                return if returned == Returned::Request {
                    Decision::Drop
                } else {
                    Decision::Keep(SubRule::All)
                };
            }
            Mode::Include(t) => (t, true),
            Mode::Exclude(t) => (t, false),
        };
        let mut subs = Vec::new();
        let mut whole = false;
        for target in targets {
            match target {
                Target::Schema(urn) => whole |= schema.is_some_and(|s| s.eq_ignore_ascii_case(urn)),
                Target::Attr { ext: e, attr, sub } => {
                    if attr.eq_ignore_ascii_case(name) && same_urn(e.as_deref(), ext) {
                        match sub {
                            None => whole = true,
                            Some(s) => subs.push(s.clone()),
                        }
                    }
                }
            }
        }
        if include {
            if whole {
                Decision::Keep(SubRule::All)
            } else if subs.is_empty() {
                Decision::Drop
            } else {
                Decision::Keep(SubRule::Only(subs))
            }
        } else if whole || returned == Returned::Request {
            // RFC 7643 2.2: "request" attributes come back only when named in `attributes`.
            Decision::Drop
        } else if subs.is_empty() {
            Decision::Keep(SubRule::All)
        } else {
            Decision::Keep(SubRule::Except(subs))
        }
    }
}

/// One top-level attribute of a resource given to [`Projection::write`].
#[derive(Debug)]
pub enum Piece<'a> {
    /// JSON text, as stored or written for the answer (compact, as `serde_json` writes it):
    /// copied as it is where the projection keeps the attribute whole, parsed only where it
    /// must be filtered.
    Raw(Cow<'a, RawValue>),
    /// A value computed for the answer (`id`, `meta`, ...).
    Value(Value),
    /// An object as its members' text (`scim::raw::members`), e.g. an extension whose
    /// members were split to set one: written member by member without being joined into
    /// text and split again.
    Object(crate::scim::raw::Members<'a>),
}

impl Piece<'_> {
    fn into_value(self) -> Value {
        match self {
            Piece::Raw(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
            Piece::Value(v) => v,
            Piece::Object(members) => {
                serde_json::from_str(crate::scim::raw::object(&members).get())
                    .unwrap_or(Value::Null)
            }
        }
    }
}

impl Projection {
    /// Write a resource as JSON: the same bytes as [`Projection::apply`] on the map of
    /// `pieces` (keys unique, in order) then `serde_json::to_writer`, without that map. A
    /// stored attribute kept whole (every simple attribute, and a complex one whose
    /// sub-attributes are all returned by default when no sub-attribute is named) is copied
    /// as text: parsing a stored document into a tree, filtering the tree and writing it
    /// out again was most of the server's time under a page of users (RFC 7644 3.4.2).
    pub fn write(
        &self,
        registry: &Registry,
        kind: ResourceKind,
        pieces: Vec<(Cow<'_, str>, Piece<'_>)>,
        out: &mut Vec<u8>,
    ) {
        let core = registry.core_schema(kind);
        let common = registry.common();
        // Each kept attribute's JSON in one buffer, in order; `schemas` is written last known
        // (it lists the extensions that stay).
        let mut buf: Vec<u8> = Vec::with_capacity(1024);
        let mut kept: Vec<(Cow<'_, str>, Option<std::ops::Range<usize>>)> = Vec::new();
        let mut schemas = None;
        let mut present: Vec<String> = Vec::new();
        for (key, piece) in pieces {
            if key == "schemas" {
                schemas = Some(piece.into_value());
                kept.push((key, None));
                continue;
            }
            let start = buf.len();
            if let Some(ext) = registry
                .extensions(kind)
                .find(|e| e.id.eq_ignore_ascii_case(&key))
            {
                let lookup = |name: &str| {
                    ext.attr(name)
                        .map(|d| (Some(ext.id.as_str()), Some(ext.id.as_str()), d))
                };
                // An extension object as stored is written member by member, each copied as
                // text where it is kept whole, like the core attributes; a computed one is
                // filtered as a map.
                let kept_any = match piece {
                    Piece::Raw(raw) => match crate::scim::raw::members(raw.get()) {
                        Some(members) => self.write_members(&mut buf, members, lookup),
                        None => false,
                    },
                    Piece::Object(members) => self.write_members(&mut buf, members, lookup),
                    Piece::Value(Value::Object(mut obj)) => {
                        self.filter_object(&mut obj, lookup);
                        if !obj.is_empty() {
                            write_value(&mut buf, &Value::Object(obj));
                        }
                        buf.len() > start
                    }
                    Piece::Value(_) => false,
                };
                if !kept_any {
                    continue;
                }
                if key == ext.id.as_str() {
                    present.push(ext.id.clone());
                }
            } else {
                let def = core
                    .attr(&key)
                    .map(|d| (None, Some(core.id.as_str()), d))
                    .or_else(|| crate::scim::schema::find(common, &key).map(|d| (None, None, d)));
                if !self.write_attr(&mut buf, piece, def) {
                    continue;
                }
            }
            kept.push((key, Some(start..buf.len())));
        }
        // In registry order, as `fix_schemas` sees them.
        let present: Vec<String> = registry
            .extensions(kind)
            .filter(|e| present.contains(&e.id))
            .map(|e| e.id.clone())
            .collect();
        out.push(b'{');
        for (n, (key, range)) in kept.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_key(out, key.as_ref());
            out.push(b':');
            match range {
                Some(r) => out.extend_from_slice(&buf[r.clone()]),
                None => {
                    let mut list = schemas.take().unwrap_or(Value::Null);
                    if let Value::Array(items) = &mut list {
                        fix_schema_list(registry, kind, &present, items);
                    }
                    write_value(out, &list);
                }
            }
        }
        out.push(b'}');
    }
}

impl Projection {
    /// Write the members of an object that the projection keeps, as `{...}`, the way
    /// [`Projection::filter_object`] then `serde_json` would: a member kept whole is copied as
    /// its text (see [`untouched`]), anything else parsed and filtered. Writes nothing and
    /// answers false when no member is kept (an empty object is dropped).
    fn write_members<'a, F>(
        &self,
        buf: &mut Vec<u8>,
        members: crate::scim::raw::Members<'_>,
        lookup: F,
    ) -> bool
    where
        F: Fn(&str) -> Option<(Option<&'a str>, Option<&'a str>, &'a AttributeDef)>,
    {
        let start = buf.len();
        for (key, raw) in members {
            let at = buf.len();
            buf.push(if at == start { b'{' } else { b',' });
            write_key(buf, &key);
            buf.push(b':');
            if !self.write_attr(buf, Piece::Raw(Cow::Borrowed(raw)), lookup(&key)) {
                buf.truncate(at);
            }
        }
        if buf.len() == start {
            return false;
        }
        buf.push(b'}');
        true
    }

    /// Write one attribute's value as the projection keeps it, the way `keep_value` then
    /// `serde_json` would: a stored value kept whole is copied as its text (see
    /// [`untouched`]), anything else parsed and filtered. Writes nothing and answers false
    /// when the attribute is dropped.
    fn write_attr(
        &self,
        buf: &mut Vec<u8>,
        piece: Piece<'_>,
        def: Option<(Option<&str>, Option<&str>, &AttributeDef)>,
    ) -> bool {
        let whole = match (&piece, def) {
            (Piece::Raw(raw), Some((ext, schema, d))) => {
                match self.decide(ext, schema, &d.name, d.returned) {
                    Decision::Drop => return false,
                    Decision::Keep(rule) => untouched(d, &rule, raw.get()),
                }
            }
            // Not in the schema (see `keep_value`).
            (Piece::Raw(_), None) => {
                if matches!(self.mode, Mode::Include(_)) {
                    return false;
                }
                true
            }
            (Piece::Value(_) | Piece::Object(_), _) => false,
        };
        match piece {
            Piece::Raw(raw) if whole => buf.extend_from_slice(raw.get().as_bytes()),
            piece => {
                let mut v = piece.into_value();
                if !self.keep_value(&mut v, def) {
                    return false;
                }
                write_value(buf, &v);
            }
        }
        true
    }
}

/// Append a member name as a JSON string: copied between quotes when nothing in it needs
/// escaping (attribute names and schema URNs), else escaped by `serde_json`.
fn write_key(out: &mut Vec<u8>, key: &str) {
    if key.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, key);
    }
}

/// Append a value's JSON (writing to a `Vec` cannot fail).
fn write_value(out: &mut Vec<u8>, v: &Value) {
    let _ = serde_json::to_writer(&mut *out, v);
}

/// Whether filtering a stored complex value with `rule` would leave it exactly as it is, so
/// its text can be copied: no sub-attribute is named, none is returned `never` or `request`,
/// and the text holds no empty object or array (which filtering drops); anything else is
/// parsed and filtered.
fn untouched(def: &AttributeDef, rule: &SubRule, text: &str) -> bool {
    def.sub_attributes.is_empty()
        || (*rule == SubRule::All
            && def
                .sub_attributes
                .iter()
                .all(|s| matches!(s.returned, Returned::Default | Returned::Always))
            && !text.contains("{}")
            && !text.contains("[]"))
}

/// Whether a parameter value names nothing (`attributes=` or `attributes= , `).
fn is_blank_list(s: &str) -> bool {
    s.split(',').all(|p| p.trim().is_empty())
}

/// Resolve a comma-separated parameter value into targets (see [`Projection::parse`]).
fn parse_list(
    registry: &Registry,
    kind: ResourceKind,
    list: &str,
) -> Result<Vec<Target>, ScimError> {
    let core_urn = registry.core_schema(kind).id.as_str();
    let mut out = Vec::new();
    for raw in list.split(',') {
        let name = raw.trim();
        if name.is_empty() {
            continue;
        }
        if let Some((urn, rest)) = registry.split_urn(kind, name) {
            if rest.is_empty() {
                out.push(Target::Schema(urn.to_string()));
                continue;
            }
        } else if name
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
        {
            // A schema this resource type does not have: unknown, so ignored.
            continue;
        }
        // RFC 7643 2.1: names are ASCII. Checked here also because `Registry::parse_path`
        // slices `s[..4]`, which panics when byte 4 falls inside a multi-byte character.
        if !name.is_ascii() {
            return Err(ScimError::invalid_value(format!(
                "'{name}' is not an attribute path"
            )));
        }
        let path = registry.parse_path(kind, name).map_err(|e| {
            ScimError::invalid_value(format!("'{name}' is not an attribute path: {}", e.detail))
        })?;
        let Ok(resolved) = registry.resolve(kind, &path) else {
            // Unknown attribute: ignored (RFC 7644 3.4.2.5 is silent; see `Projection::parse`).
            continue;
        };
        let ext = if resolved.extension {
            resolved
                .schema
                .filter(|s| *s != core_urn)
                .map(str::to_string)
        } else {
            None
        };
        out.push(Target::Attr {
            ext,
            attr: resolved.attr.name.clone(),
            sub: resolved.sub.map(|s| s.name.clone()),
        });
    }
    Ok(out)
}

/// The table entry for one top-level attribute definition.
fn top_attr(ext: Option<&str>, schema: Option<&str>, def: &AttributeDef) -> TopAttr {
    TopAttr {
        ext: ext.map(str::to_string),
        schema: schema.map(str::to_string),
        name: def.name.clone(),
        returned: def.returned,
    }
}

/// Two optional URNs name the same schema (case-insensitive).
fn same_urn(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// Filter the sub-attributes of a kept value in place; false when nothing is left of it.
fn filter_value(def: &AttributeDef, rule: &SubRule, value: &mut Value) -> bool {
    if def.sub_attributes.is_empty() {
        return true;
    }
    match value {
        Value::Object(obj) => {
            filter_sub_object(def, rule, obj);
            !obj.is_empty()
        }
        Value::Array(items) => {
            items.retain_mut(|item| match item {
                Value::Object(obj) => {
                    filter_sub_object(def, rule, obj);
                    !obj.is_empty()
                }
                _ => true,
            });
            !items.is_empty()
        }
        _ => true,
    }
}

/// Keep the sub-attributes of one complex value that the rule and their `returned` allow.
fn filter_sub_object(def: &AttributeDef, rule: &SubRule, obj: &mut Map<String, Value>) {
    obj.retain(|key, _| {
        let named = |list: &[String]| list.iter().any(|s| s.eq_ignore_ascii_case(key));
        let Some(sub) = def.sub(key) else {
            return !matches!(rule, SubRule::Only(_));
        };
        match (sub.returned, rule) {
            (Returned::Never, _) => false,
            (Returned::Always, _) => true,
            (Returned::Request, SubRule::Only(list)) => named(list),
            (Returned::Request, _) => false,
            (Returned::Default, SubRule::All) => true,
            (Returned::Default, SubRule::Only(list)) => named(list),
            (Returned::Default, SubRule::Except(list)) => !named(list),
        }
    });
}

/// Make `schemas` list exactly the extensions still present, keeping every other entry.
fn fix_schemas(registry: &Registry, kind: ResourceKind, resource: &mut Map<String, Value>) {
    let present: Vec<String> = registry
        .extensions(kind)
        .filter(|e| resource.contains_key(&e.id))
        .map(|e| e.id.clone())
        .collect();
    let Some(Value::Array(list)) = resource.get_mut("schemas") else {
        return;
    };
    fix_schema_list(registry, kind, &present, list);
}

/// [`fix_schemas`] on the list itself, given the extensions present (in registry order).
fn fix_schema_list(
    registry: &Registry,
    kind: ResourceKind,
    present: &[String],
    list: &mut Vec<Value>,
) {
    list.retain(|v| match v.as_str() {
        Some(urn) => {
            let is_ext = registry
                .extensions(kind)
                .any(|e| e.id.eq_ignore_ascii_case(urn));
            !is_ext || present.iter().any(|p| p.eq_ignore_ascii_case(urn))
        }
        None => true,
    });
    for urn in present {
        let urn = urn.clone();
        if !list
            .iter()
            .any(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(&urn)))
        {
            list.push(Value::String(urn));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_are_written_as_serde_json_writes_them() {
        for key in [
            "userName",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "quote\"d",
            "back\\slash",
            "tab\there",
            "caf\u{e9}",
            "del\u{7f}",
            "",
        ] {
            let mut ours = Vec::new();
            write_key(&mut ours, key);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(key).unwrap(),
                "{key:?}"
            );
        }
    }
    use crate::scim::registry::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, OPERATOR_SCHEMA, USER_SCHEMA};
    use serde_json::json;

    fn registry() -> Registry {
        Registry::load().unwrap()
    }

    fn user() -> Map<String, Value> {
        let v = json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA, OPERATOR_SCHEMA],
            "id": "u1",
            "externalId": "ext-1",
            "userName": "alice",
            "password": "secret",
            "name": {"givenName": "Alice", "familyName": "Smith"},
            "emails": [
                {"value": "a@x.test", "type": "work", "primary": true},
                {"value": "a@y.test", "type": "home"}
            ],
            "active": true,
            "meta": {"resourceType": "User", "version": "W/\"1\""},
            ENTERPRISE_SCHEMA: {"department": "Support"},
            OPERATOR_SCHEMA: {"maxChats": 3, "csrUser": true}
        });
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn project(attributes: Option<&str>, excluded: Option<&str>) -> Value {
        let reg = registry();
        let p = Projection::parse(&reg, ResourceKind::User, attributes, excluded).unwrap();
        let mut u = user();
        p.apply(&reg, ResourceKind::User, &mut u);
        Value::Object(u)
    }

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object().unwrap().keys().map(String::as_str).collect()
    }

    #[test]
    fn table_of_projections() {
        // (attributes, excludedAttributes, expected top-level keys); "-" = parameter absent,
        // ENT / OP = the enterprise / operator extension URNs.
        let op_max = format!("{OPERATOR_SCHEMA}:maxChats");
        let op_lower = OPERATOR_SCHEMA.to_lowercase();
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str)] = &[
            ("-", "-", "schemas id externalId userName name emails active meta ENT OP"),
            ("userName", "-", "schemas id userName"),
            ("USERNAME, name.givenName", "-", "schemas id userName name"),
            ("emails.value", "-", "schemas id emails"),
            ("-", "emails", "schemas id externalId userName name active meta ENT OP"),
            ("-", "id,meta", "schemas id externalId userName name emails active ENT OP"),
            ("password", "-", "schemas id"),
            ("maxChats", "-", "schemas id OP"),
            (&op_max, "-", "schemas id OP"),
            (&op_lower, "-", "schemas id OP"),
            ("-", ENTERPRISE_SCHEMA, "schemas id externalId userName name emails active meta OP"),
            ("noSuchThing,urn:x:unknown:attr", "-", "schemas id"),
            (" , ", "emails", "schemas id externalId userName name active meta ENT OP"),
            ("meta.version", "meta", "schemas id meta"),
            (USER_SCHEMA, "-", "schemas id userName name emails active"),
        ];
        for (attrs, excl, want) in cases {
            let want: Vec<&str> = want
                .split(' ')
                .map(|k| match k {
                    "ENT" => ENTERPRISE_SCHEMA,
                    "OP" => OPERATOR_SCHEMA,
                    k => k,
                })
                .collect();
            let (a, e) = (
                (*attrs != "-").then_some(*attrs),
                (*excl != "-").then_some(*excl),
            );
            assert_eq!(
                keys(&project(a, e)),
                want,
                "attributes={attrs:?} excluded={excl:?}"
            );
        }
    }

    #[test]
    fn sub_attribute_granularity() {
        let v = project(Some("name.givenName"), None);
        assert_eq!(v["name"], json!({"givenName": "Alice"}));
        let v = project(Some("emails.value"), None);
        assert_eq!(
            v["emails"],
            json!([{"value": "a@x.test"}, {"value": "a@y.test"}])
        );
        let v = project(None, Some("emails.type,name.familyName"));
        assert_eq!(
            v["emails"],
            json!([{"value": "a@x.test", "primary": true}, {"value": "a@y.test"}])
        );
        assert_eq!(v["name"], json!({"givenName": "Alice"}));
        let v = project(Some("meta.version"), None);
        assert_eq!(v["meta"], json!({"version": "W/\"1\""}));
        // A sub-attribute that no element carries leaves nothing: the attribute disappears.
        let v = project(Some("name.middleName"), None);
        assert!(v.get("name").is_none());
    }

    #[test]
    fn password_is_never_returned() {
        for (a, e) in [
            (None, None),
            (Some("password"), None),
            (None, Some("userName")),
        ] {
            assert!(project(a, e).get("password").is_none(), "{a:?} {e:?}");
        }
    }

    #[test]
    fn extensions_and_schemas_list() {
        let v = project(Some("maxChats"), None);
        assert_eq!(v[OPERATOR_SCHEMA], json!({"maxChats": 3}));
        assert_eq!(v["schemas"], json!([USER_SCHEMA, OPERATOR_SCHEMA]));
        let v = project(Some(OPERATOR_SCHEMA), None);
        assert_eq!(v[OPERATOR_SCHEMA], json!({"maxChats": 3, "csrUser": true}));
        let v = project(None, Some(&format!("{OPERATOR_SCHEMA}:maxChats")));
        assert_eq!(v[OPERATOR_SCHEMA], json!({"csrUser": true}));
        let v = project(None, Some("maxChats,csrUser"));
        assert!(v.get(OPERATOR_SCHEMA).is_none());
        assert_eq!(v["schemas"], json!([USER_SCHEMA, ENTERPRISE_SCHEMA]));
    }

    #[test]
    fn wants_drives_loading() {
        let reg = registry();
        let g = |a: Option<&str>, e: Option<&str>| {
            Projection::parse(&reg, ResourceKind::Group, a, e).unwrap()
        };
        // (projection, schema, attribute, expected)
        let cases = [
            (g(None, Some("members")), None, "members", false),
            (g(None, Some("members")), None, "displayName", true),
            (g(None, Some("members.display")), None, "members", true),
            (g(Some("displayName"), None), None, "members", false),
            (g(Some("members.value"), None), None, "Members", true),
            (g(Some("displayName"), None), None, "id", true),
            (g(None, None), Some(GROUP_SCHEMA), "members", true),
            (Projection::all(), None, "members", true),
        ];
        for (i, (p, urn, attr, want)) in cases.iter().enumerate() {
            assert_eq!(p.wants(*urn, attr), *want, "case {i}");
        }
        let u = Projection::parse(&reg, ResourceKind::User, Some("maxChats"), None).unwrap();
        assert!(u.wants(Some(OPERATOR_SCHEMA), "maxChats"));
        assert!(!u.wants(Some(OPERATOR_SCHEMA), "csrUser"));
        assert!(!u.wants(Some(ENTERPRISE_SCHEMA), "manager"));
        let all = Projection::parse(&reg, ResourceKind::User, None, None).unwrap();
        assert!(!all.wants(None, "password"));
        assert!(all.wants(Some(ENTERPRISE_SCHEMA), "manager"));
    }

    #[test]
    fn malformed_names_are_rejected_unknown_ignored() {
        let reg = registry();
        for bad in ["a.b.c", "na me", "1abc", "aaa€b", "nämé"] {
            let e = Projection::parse(&reg, ResourceKind::User, Some(bad), None).unwrap_err();
            assert_eq!(
                e.scim_type,
                Some(crate::scim::error::ScimType::InvalidValue),
                "{bad}"
            );
        }
        for ok in ["nosuch", "name.nosuch", "urn:x:y:z", " , userName , "] {
            assert!(
                Projection::parse(&reg, ResourceKind::User, Some(ok), None).is_ok(),
                "{ok}"
            );
        }
    }

    #[test]
    fn all_without_registry_keeps_defaults_and_drops_never() {
        let reg = registry();
        let mut u = user();
        Projection::all().apply(&reg, ResourceKind::User, &mut u);
        assert!(u.get("password").is_none());
        assert!(u.get("meta").is_some());
        assert_eq!(u["emails"].as_array().map(Vec::len), Some(2));
    }
}
