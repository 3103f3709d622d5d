//! Attribute mutability (RFC 7643 2.2, design section 3): immutable-attribute checks and the
//! preparation of POST and PUT bodies (readOnly and writeOnly attributes, omitted immutables).
//!
//! Everything here is schema-driven: which attributes are immutable, readOnly or writeOnly, and
//! which sub-attributes of an immutable attribute count, is read from the registry.

use serde_json::{Map, Value};

use crate::scim::error::ScimError;
use crate::scim::registry::{Registry, ResourceKind};
use crate::scim::schema::{AttrType, AttributeDef, Mutability};

/// One refused change of an immutable attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The attribute, e.g. `name.familyName`, `emails`, `userName`.
    pub attr: String,
    /// Its value before the change (`None` when unassigned).
    pub before: Option<Value>,
    /// Its value after the change (`None` when unassigned).
    pub after: Option<Value>,
}

impl Violation {
    /// A human detail such as `name.familyName is immutable: "Lee" -> "Park" refused`.
    pub fn detail(&self) -> String {
        let show = |v: &Option<Value>| match v {
            Some(v) => v.to_string(),
            None => "(unassigned)".to_string(),
        };
        format!(
            "{} is immutable: {} -> {} refused",
            self.attr,
            show(&self.before),
            show(&self.after)
        )
    }
}

/// A top-level attribute definition and where it lives in a canonical resource.
#[derive(Clone, Copy)]
struct Slot<'a> {
    /// The extension URN for extension attributes (stored under that key), else `None`.
    urn: Option<&'a str>,
    def: &'a AttributeDef,
}

impl Slot<'_> {
    /// `name` for core attributes, `urn:…:maxChats` for extension attributes.
    fn label(&self) -> String {
        match self.urn {
            Some(u) => format!("{u}:{}", self.def.name),
            None => self.def.name.clone(),
        }
    }

    fn sub_label(&self, sub: &AttributeDef) -> String {
        format!("{}.{}", self.label(), sub.name)
    }
}

/// Every top-level attribute of `kind`: common (id, externalId, meta), core, extensions.
fn slots(registry: &Registry, kind: ResourceKind) -> Vec<Slot<'_>> {
    let core = registry.core_schema(kind);
    let mut out: Vec<Slot<'_>> = registry
        .common()
        .iter()
        .chain(&core.attributes)
        .map(|def| Slot { urn: None, def })
        .collect();
    for ext in registry.extensions(kind) {
        out.extend(ext.attributes.iter().map(|def| Slot {
            urn: Some(ext.id.as_str()),
            def,
        }));
    }
    out
}

/// RFC 7643 2.5: null, an empty array (and here an empty object) equal "unassigned".
fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// The assigned value of a slot in a resource.
fn get<'m>(res: &'m Map<String, Value>, slot: Slot<'_>) -> Option<&'m Value> {
    let holder = match slot.urn {
        None => res,
        Some(u) => res.get(u)?.as_object()?,
    };
    holder.get(&slot.def.name).filter(|v| !is_unassigned(v))
}

/// Remove a slot's value from a resource, returning it.
fn take(res: &mut Map<String, Value>, slot: Slot<'_>) -> Option<Value> {
    match slot.urn {
        None => res.shift_remove(&slot.def.name),
        Some(u) => {
            let holder = res.get_mut(u)?.as_object_mut()?;
            let v = holder.shift_remove(&slot.def.name);
            if holder.is_empty() {
                res.shift_remove(u);
            }
            v
        }
    }
}

/// Set a slot's value, creating the extension object (and its `schemas` entry) if needed.
fn put(res: &mut Map<String, Value>, slot: Slot<'_>, value: Value) {
    match slot.urn {
        None => {
            res.insert(slot.def.name.clone(), value);
        }
        Some(u) => {
            let entry = res
                .entry(u.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(holder) = entry {
                holder.insert(slot.def.name.clone(), value);
            }
            if let Some(Value::Array(schemas)) = res.get_mut("schemas")
                && !schemas.iter().any(|s| s.as_str() == Some(u))
            {
                schemas.push(Value::String(u.to_string()));
            }
        }
    }
}

/// Compare two scalar values of `def`'s type: strings honour caseExact, dateTimes compare as
/// instants, numbers numerically.
fn eq_scalar(def: &AttributeDef, a: &Value, b: &Value) -> bool {
    match (def.attr_type, a, b) {
        (AttrType::String, Value::String(x), Value::String(y)) if !def.case_exact => {
            x.to_lowercase() == y.to_lowercase()
        }
        (AttrType::DateTime, Value::String(x), Value::String(y)) => {
            match (
                chrono::DateTime::parse_from_rfc3339(x),
                chrono::DateTime::parse_from_rfc3339(y),
            ) {
                (Ok(p), Ok(q)) => p == q,
                _ => x == y,
            }
        }
        (_, Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The parts of one complex value that immutability covers: sub-attributes that are
/// themselves immutable (readWrite decorations such as `name.formatted` and `emails.display`
/// are excluded, readOnly ones are the server's). RFC 7643 2.4: `primary` absent == false.
fn counted(def: &AttributeDef, v: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(obj) = v.as_object() else {
        return out;
    };
    for sub in &def.sub_attributes {
        if sub.mutability != Mutability::Immutable {
            continue;
        }
        let Some(x) = obj.get(&sub.name).filter(|x| !is_unassigned(x)) else {
            continue;
        };
        if sub.name == "primary" && x == &Value::Bool(false) {
            continue;
        }
        out.insert(sub.name.clone(), x.clone());
    }
    out
}

/// Whether two counted complex values are equal under each sub-attribute's rules.
fn eq_counted(def: &AttributeDef, a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
    a.len() == b.len()
        && a.iter().all(|(k, x)| match (def.sub(k), b.get(k)) {
            (Some(sub), Some(y)) => eq_value(sub, x, y),
            _ => false,
        })
}

/// Whether two values of `def` are equal (multi-valued: as multisets, order-insensitive).
fn eq_value(def: &AttributeDef, a: &Value, b: &Value) -> bool {
    if def.multi_valued {
        let (Some(xs), Some(ys)) = (a.as_array(), b.as_array()) else {
            return eq_single(def, a, b);
        };
        if xs.len() != ys.len() {
            return false;
        }
        let mut used = vec![false; ys.len()];
        return xs.iter().all(|x| {
            let hit = ys
                .iter()
                .enumerate()
                .find(|(i, y)| !used[*i] && eq_single(def, x, y));
            match hit {
                Some((i, _)) => {
                    used[i] = true;
                    true
                }
                None => false,
            }
        });
    }
    eq_single(def, a, b)
}

/// Equality of one (non-list) value of `def`.
fn eq_single(def: &AttributeDef, a: &Value, b: &Value) -> bool {
    if def.is_complex() {
        eq_counted(def, &counted(def, a), &counted(def, b))
    } else {
        eq_scalar(def, a, b)
    }
}

/// Whether a multi-valued complex value has any counted part (else it is "unassigned").
fn has_counted(def: &AttributeDef, v: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|i| !counted(def, i).is_empty()),
        other => !counted(def, other).is_empty(),
    }
}

/// Compare the immutable attributes of `before` and `after` (RFC 7643 2.2 "immutable": may be
/// set while unassigned, never changed afterwards). Returns every violation, in schema order.
pub fn check_immutable(
    registry: &Registry,
    kind: ResourceKind,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Vec<Violation> {
    let mut out = Vec::new();
    for slot in slots(registry, kind) {
        let def = slot.def;
        let (b, a) = (get(before, slot), get(after, slot));
        match def.mutability {
            Mutability::Immutable if def.is_complex() && !def.multi_valued => {
                // `name`: reported per sub-attribute so the detail names `name.familyName`;
                // unassigned while none of its immutable sub-attributes has a value.
                let bc = b.map(|v| counted(def, v)).unwrap_or_default();
                if bc.is_empty() {
                    continue;
                }
                let ac = a.map(|v| counted(def, v)).unwrap_or_default();
                for sub in &def.sub_attributes {
                    let (x, y) = (bc.get(&sub.name), ac.get(&sub.name));
                    let same = match (x, y) {
                        (Some(x), Some(y)) => eq_value(sub, x, y),
                        (None, None) => true,
                        _ => false,
                    };
                    if !same {
                        out.push(Violation {
                            attr: slot.sub_label(sub),
                            before: x.cloned(),
                            after: y.cloned(),
                        });
                    }
                }
            }
            Mutability::Immutable => {
                // Simple attributes (`userName`) and multi-valued ones (`emails`, compared as
                // a set of entries).
                let Some(bv) = b.filter(|v| !def.is_complex() || has_counted(def, v)) else {
                    continue;
                };
                let same = a.is_some_and(|av| eq_value(def, bv, av));
                if !same {
                    out.push(Violation {
                        attr: slot.label(),
                        before: Some(bv.clone()),
                        after: a.cloned(),
                    });
                }
            }
            Mutability::ReadWrite if def.is_complex() && !def.multi_valued => {
                // Immutable sub-attributes of a readWrite complex attribute are immutable
                // attributes of their own: each may be set while it has no value.
                for sub in def.sub_attributes.iter() {
                    if sub.mutability != Mutability::Immutable {
                        continue;
                    }
                    let sub_of = |v: Option<&Value>| {
                        v.and_then(|v| v.get(&sub.name))
                            .filter(|x| !is_unassigned(x))
                            .cloned()
                    };
                    let (x, y) = (sub_of(b), sub_of(a));
                    let Some(x) = x else { continue };
                    if !y.as_ref().is_some_and(|y| eq_value(sub, &x, y)) {
                        out.push(Violation {
                            attr: slot.sub_label(sub),
                            before: Some(x),
                            after: y,
                        });
                    }
                }
            }
            // Immutable sub-attributes of a readWrite multi-valued attribute (`members.value`)
            // make each entry unchangeable, but entries may be added and removed freely; a
            // changed entry is indistinguishable from a removal plus an addition.
            _ => {}
        }
    }
    out
}

/// Remove readOnly sub-attributes (`members.display`, `manager.displayName`) from a value of
/// a client-writable complex attribute, noting each one that was present.
fn strip_read_only_subs(slot: Slot<'_>, value: &mut Value, notes: &mut Vec<String>) {
    let def = slot.def;
    if !def.is_complex() {
        return;
    }
    let read_only: Vec<&AttributeDef> = def
        .sub_attributes
        .iter()
        .filter(|s| s.mutability == Mutability::ReadOnly)
        .collect();
    if read_only.is_empty() {
        return;
    }
    let mut stripped: Vec<&str> = Vec::new();
    let mut strip = |obj: &mut Value| {
        if let Value::Object(m) = obj {
            for sub in &read_only {
                if m.shift_remove(&sub.name).is_some() && !stripped.contains(&sub.name.as_str()) {
                    stripped.push(&sub.name);
                }
            }
        }
    };
    match value {
        Value::Array(items) => items.iter_mut().for_each(&mut strip),
        other => strip(other),
    }
    for name in stripped {
        notes.push(format!("{}.{name} is readOnly: ignored", slot.label()));
    }
}

/// PUT (RFC 7644 3.5.1): the replacement resource built from the normalised `incoming` body.
/// readOnly attributes come from `current` (values sent are ignored, RFC 7643 2.2), immutable
/// attributes the body omits keep their current value, writeOnly ones (password) are dropped.
pub fn prepare_replace(
    registry: &Registry,
    kind: ResourceKind,
    current: &Map<String, Value>,
    incoming: Map<String, Value>,
    notes: &mut Vec<String>,
) -> Map<String, Value> {
    let mut out = incoming;
    for slot in slots(registry, kind) {
        let cur = get(current, slot);
        match slot.def.mutability {
            Mutability::ReadOnly => {
                let sent = take(&mut out, slot);
                if let Some(v) = sent.filter(|v| !is_unassigned(v))
                    && cur != Some(&v)
                {
                    notes.push(format!("{} is readOnly: value ignored", slot.label()));
                }
                if let Some(c) = cur {
                    put(&mut out, slot, c.clone());
                }
            }
            Mutability::WriteOnly => {
                if take(&mut out, slot).is_some_and(|v| !is_unassigned(&v)) {
                    notes.push(format!(
                        "{} accepted and discarded (writeOnly, never stored)",
                        slot.label()
                    ));
                }
            }
            Mutability::Immutable if get(&out, slot).is_none() => {
                if let Some(c) = cur {
                    // RFC 7644 3.5.1: attributes a PUT omits may be left as they are.
                    put(&mut out, slot, c.clone());
                    notes.push(format!(
                        "{} omitted: current immutable value kept",
                        slot.label()
                    ));
                }
            }
            Mutability::Immutable | Mutability::ReadWrite => {
                if let Some(v) = out_value_mut(&mut out, slot) {
                    strip_read_only_subs(slot, v, notes);
                }
            }
        }
    }
    out
}

/// A mutable reference to a slot's value in a resource.
fn out_value_mut<'m>(res: &'m mut Map<String, Value>, slot: Slot<'_>) -> Option<&'m mut Value> {
    let holder = match slot.urn {
        None => res,
        Some(u) => res.get_mut(u)?.as_object_mut()?,
    };
    holder.get_mut(&slot.def.name)
}

/// POST (RFC 7644 3.3): drop readOnly attributes (RFC 7643 2.2: values sent are ignored) and
/// writeOnly ones (Okta's `password`: accepted, never stored), then require every required
/// attribute (400 invalidValue naming it).
pub fn prepare_create(
    registry: &Registry,
    kind: ResourceKind,
    incoming: Map<String, Value>,
    notes: &mut Vec<String>,
) -> Result<Map<String, Value>, ScimError> {
    let mut out = incoming;
    for slot in slots(registry, kind) {
        match slot.def.mutability {
            Mutability::ReadOnly => {
                if take(&mut out, slot).is_some_and(|v| !is_unassigned(&v)) {
                    notes.push(format!("{} is readOnly: value ignored", slot.label()));
                }
            }
            Mutability::WriteOnly => {
                if take(&mut out, slot).is_some_and(|v| !is_unassigned(&v)) {
                    notes.push(format!(
                        "{} accepted and discarded (writeOnly, never stored)",
                        slot.label()
                    ));
                }
            }
            Mutability::Immutable | Mutability::ReadWrite => {
                if let Some(v) = out_value_mut(&mut out, slot) {
                    strip_read_only_subs(slot, v, notes);
                }
            }
        }
    }
    for slot in slots(registry, kind) {
        if !slot.def.required {
            continue;
        }
        let present = match get(&out, slot) {
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(_) => true,
            None => false,
        };
        if !present {
            return Err(ScimError::invalid_value(format!(
                "'{}' is required",
                slot.label()
            )));
        }
    }
    for ext in &registry.resource_type(kind).schema_extensions {
        if ext.required && out.get(&ext.schema).is_none_or(is_unassigned) {
            return Err(ScimError::invalid_value(format!(
                "extension '{}' is required",
                ext.schema
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimType;
    use serde_json::json;

    const OP: &str = "urn:dialai:params:scim:schemas:extension:operator:2.0:User";

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    /// A stored user: `base` plus the attributes of `extra`.
    fn user(extra: &Value) -> Map<String, Value> {
        let mut u = obj(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "u1", "userName": "ann", "meta": {"resourceType": "User", "version": "W/\"1\""}}),
        );
        u.extend(obj(extra.clone()));
        u
    }

    /// `[case, before, after, [violating attributes]]`; before/after are added to a user.
    const IMMUTABLE_CASES: &str = r#"[
      ["name absent -> set", {}, {"name": {"givenName": "Ann", "familyName": "Lee"}}, []],
      ["emails absent -> set", {}, {"emails": [{"value": "a@x.com", "type": "work", "primary": true}]}, []],
      ["name resent unchanged", {"name": {"givenName": "Ann", "familyName": "Lee"}},
        {"name": {"familyName": "Lee", "givenName": "Ann"}}, []],
      ["emails resent unchanged", {"emails": [{"value": "a@x.com", "type": "work", "primary": true}]},
        {"emails": [{"value": "a@x.com", "type": "work", "primary": true}]}, []],
      ["familyName Lee -> Park", {"name": {"givenName": "Ann", "familyName": "Lee"}},
        {"name": {"givenName": "Ann", "familyName": "Park"}}, ["name.familyName"]],
      ["name case-only change accepted (caseExact=false)", {"name": {"givenName": "Ann", "familyName": "Lee"}},
        {"name": {"givenName": "ann", "familyName": "LEE"}}, []],
      ["middleName added to an assigned name", {"name": {"givenName": "Ann", "familyName": "Lee"}},
        {"name": {"givenName": "Ann", "familyName": "Lee", "middleName": "M"}}, ["name.middleName"]],
      ["name removed", {"name": {"givenName": "Ann", "familyName": "Lee"}}, {},
        ["name.familyName", "name.givenName"]],
      ["name.formatted change accepted", {"name": {"givenName": "Ann", "formatted": "Ann L"}},
        {"name": {"givenName": "Ann", "formatted": "Ms Ann L"}}, []],
      ["a name with only formatted is unassigned", {"name": {"formatted": "Ann Lee"}},
        {"name": {"givenName": "Ann"}}, []],
      ["email value change", {"emails": [{"value": "a@x.com", "type": "work"}]},
        {"emails": [{"value": "a@y.com", "type": "work"}]}, ["emails"]],
      ["email case-only change accepted", {"emails": [{"value": "a@x.com", "type": "work"}]},
        {"emails": [{"value": "A@X.com", "type": "Work"}]}, []],
      ["email added to existing list", {"emails": [{"value": "a@x.com"}]},
        {"emails": [{"value": "a@x.com"}, {"value": "b@x.com", "type": "home"}]}, ["emails"]],
      ["email removed", {"emails": [{"value": "a@x.com"}]}, {"emails": []}, ["emails"]],
      ["email display added accepted", {"emails": [{"value": "a@x.com", "type": "work"}]},
        {"emails": [{"value": "a@x.com", "type": "work", "display": "Ann"}]}, []],
      ["emails order-insensitive", {"emails": [{"value": "a@x.com"}, {"value": "b@x.com"}]},
        {"emails": [{"value": "b@x.com"}, {"value": "a@x.com"}]}, []],
      ["primary absent == false", {"emails": [{"value": "a@x.com", "primary": false}]},
        {"emails": [{"value": "a@x.com"}]}, []],
      ["primary flipped to true", {"emails": [{"value": "a@x.com"}]},
        {"emails": [{"value": "a@x.com", "primary": true}]}, ["emails"]],
      ["userName case-only change accepted", {}, {"userName": "ANN"}, []],
      ["readWrite attributes change freely", {"displayName": "Ann", "active": true},
        {"displayName": "Annie", "active": false}, []],
      ["multiple violations all reported",
        {"name": {"givenName": "Ann", "familyName": "Lee"}, "emails": [{"value": "a@x.com"}]},
        {"userName": "bob", "name": {"givenName": "Anna", "familyName": "Park"}, "emails": [{"value": "b@x.com"}]},
        ["userName", "name.familyName", "name.givenName", "emails"]]
    ]"#;

    #[test]
    fn immutable_table() {
        let r = Registry::load().unwrap();
        let cases: Vec<(String, Value, Value, Vec<String>)> =
            serde_json::from_str(IMMUTABLE_CASES).unwrap();
        for (case, before, after, want) in cases {
            let got = check_immutable(&r, ResourceKind::User, &user(&before), &user(&after));
            let got: Vec<String> = got.into_iter().map(|v| v.attr).collect();
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn detail_names_attribute_and_values() {
        let r = Registry::load().unwrap();
        let b = user(&json!({"name": {"familyName": "Lee"}}));
        let v = check_immutable(
            &r,
            ResourceKind::User,
            &b,
            &user(&json!({"name": {"familyName": "Park"}})),
        );
        assert_eq!(
            v[0].detail(),
            r#"name.familyName is immutable: "Lee" -> "Park" refused"#
        );
        let v = check_immutable(
            &r,
            ResourceKind::User,
            &b,
            &user(&json!({"userName": "bob"})),
        );
        let details: Vec<String> = v.iter().map(Violation::detail).collect();
        assert_eq!(
            details,
            [
                r#"userName is immutable: "ann" -> "bob" refused"#,
                r#"name.familyName is immutable: "Lee" -> (unassigned) refused"#
            ]
        );
    }

    #[test]
    fn group_members_may_change() {
        let r = Registry::load().unwrap();
        let (b, a) = (
            obj(json!({"members": [{"value": "a"}]})),
            obj(json!({"members": [{"value": "b"}]})),
        );
        assert!(check_immutable(&r, ResourceKind::Group, &b, &a).is_empty());
    }

    #[test]
    fn put_keeps_omitted_immutables_and_read_only_attributes() {
        let r = Registry::load().unwrap();
        let current = user(
            &json!({"name": {"givenName": "Ann"}, "emails": [{"value": "a@x.com"}],
            "displayName": "Ann", "groups": [{"value": "g1"}], OP: {"status": "Busy"}}),
        );
        let incoming = obj(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "other",
            "userName": "ann", "displayName": "Annie", "password": "hunter2", "groups": [{"value": "g9"}],
            OP: {"status": "Available", "maxChats": 3}}),
        );
        let mut notes = Vec::new();
        let out = prepare_replace(&r, ResourceKind::User, &current, incoming, &mut notes);
        let mut want = current.clone();
        want.insert("displayName".into(), json!("Annie"));
        want.insert(OP.into(), json!({"maxChats": 3, "status": "Busy"}));
        want.insert(
            "schemas".into(),
            json!(["urn:ietf:params:scim:schemas:core:2.0:User", OP]),
        );
        assert_eq!(out, want);
        assert_eq!(
            notes,
            [
                "id is readOnly: value ignored",
                "name omitted: current immutable value kept",
                "password accepted and discarded (writeOnly, never stored)",
                "emails omitted: current immutable value kept",
                "groups is readOnly: value ignored",
                &format!("{OP}:status is readOnly: value ignored")
            ]
        );
        assert!(check_immutable(&r, ResourceKind::User, &current, &out).is_empty());
        let mut notes = Vec::new();
        assert_eq!(
            prepare_replace(&r, ResourceKind::User, &out, out.clone(), &mut notes),
            out
        );
        assert!(
            notes.is_empty(),
            "resending id and meta is silent: {notes:?}"
        );
    }

    #[test]
    fn create_drops_read_only_and_write_only() {
        let r = Registry::load().unwrap();
        let body = obj(
            json!({"id": "x", "userName": "ann", "password": "secret", "meta": {"version": "x"}}),
        );
        let mut notes = Vec::new();
        let out = prepare_create(&r, ResourceKind::User, body, &mut notes).unwrap();
        assert_eq!(out, obj(json!({"userName": "ann"})));
        assert_eq!(
            notes,
            [
                "id is readOnly: value ignored",
                "meta is readOnly: value ignored",
                "password accepted and discarded (writeOnly, never stored)"
            ]
        );
        let body = obj(
            json!({"displayName": "Ops", "members": [{"value": "u1", "display": "Ann", "type": "User"}]}),
        );
        let mut notes = Vec::new();
        let out = prepare_create(&r, ResourceKind::Group, body, &mut notes).unwrap();
        assert_eq!(out["members"], json!([{"value": "u1", "type": "User"}]));
        assert_eq!(notes, ["members.display is readOnly: ignored"]);
    }

    #[test]
    fn create_requires_required_attributes() {
        let r = Registry::load().unwrap();
        for (kind, body, attr) in [
            (
                ResourceKind::User,
                json!({"displayName": "x"}),
                "'userName' is required",
            ),
            (
                ResourceKind::User,
                json!({"userName": "  "}),
                "'userName' is required",
            ),
            (
                ResourceKind::Group,
                json!({"members": []}),
                "'displayName' is required",
            ),
        ] {
            let err = prepare_create(&r, kind, obj(body), &mut Vec::new()).unwrap_err();
            assert_eq!(
                (err.scim_type, err.detail.as_str()),
                (Some(ScimType::InvalidValue), attr)
            );
        }
    }
}
