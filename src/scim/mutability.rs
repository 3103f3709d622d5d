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
        // Greedy matching is exact here: equality is an equivalence relation.
        let mut unused: Vec<&Value> = ys.iter().collect();
        return xs
            .iter()
            .all(|x| match unused.iter().position(|y| eq_single(def, x, y)) {
                Some(i) => {
                    unused.swap_remove(i);
                    true
                }
                None => false,
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
                for sub in &def.sub_attributes {
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

/// Where an immutable attribute, or an immutable part of one, of `after` equals `before`
/// under the comparison rules (caseExact=false strings), keep the stored spelling: resending
/// a value "changes nothing" (design section 3). Call after a PATCH, once `check_immutable`
/// found nothing; `prepare_replace` already does it for PUT.
pub fn keep_stored_spelling(
    registry: &Registry,
    kind: ResourceKind,
    before: &Map<String, Value>,
    after: &mut Map<String, Value>,
    notes: &mut Vec<String>,
) {
    for slot in slots(registry, kind) {
        if slot.def.mutability != Mutability::Immutable {
            continue;
        }
        let Some(b) = get(before, slot) else { continue };
        let holder = match slot.urn {
            None => Some(&mut *after),
            Some(u) => after.get_mut(u).and_then(Value::as_object_mut),
        };
        let Some(a) = holder.and_then(|h| h.get_mut(&slot.def.name)) else {
            continue;
        };
        let original = a.clone();
        match (b, &mut *a) {
            (Value::Array(bs), Value::Array(items)) => {
                let mut unused: Vec<&Value> = bs.iter().collect();
                for item in items {
                    if let Some(i) = unused.iter().position(|x| eq_single(slot.def, x, item)) {
                        restore(slot.def, unused.swap_remove(i), item);
                    }
                }
            }
            (b, a) => restore(slot.def, b, a),
        }
        if *a != original {
            notes.push(format!(
                "{}: case-only change ignored, stored value kept",
                slot.label()
            ));
        }
    }
}

/// Copy `b`'s spelling of the immutable parts of one value into `a` where they compare equal.
fn restore(def: &AttributeDef, b: &Value, a: &mut Value) {
    let (Some(bo), Some(ao)) = (b.as_object(), a.as_object_mut()) else {
        if !def.is_complex() && eq_scalar(def, b, a) {
            *a = b.clone();
        }
        return;
    };
    for sub in &def.sub_attributes {
        if sub.mutability != Mutability::Immutable {
            continue;
        }
        if let (Some(x), Some(y)) = (bo.get(&sub.name), ao.get_mut(&sub.name))
            && eq_value(sub, x, y)
        {
            *y = x.clone();
        }
    }
}

/// Remove readOnly sub-attributes (`members.display`, `manager.displayName`) from a value of
/// a client-writable complex attribute, noting each one that was present.
fn strip_read_only_subs(slot: Slot<'_>, value: &mut Value, notes: &mut Vec<String>) {
    let items = match value {
        Value::Array(items) => items.as_mut_slice(),
        other => std::slice::from_mut(other),
    };
    for sub in &slot.def.sub_attributes {
        if sub.mutability != Mutability::ReadOnly {
            continue;
        }
        let mut found = false;
        for item in items.iter_mut() {
            if let Value::Object(m) = item {
                found |= m.shift_remove(&sub.name).is_some();
            }
        }
        if found {
            notes.push(format!("{} is readOnly: ignored", slot.sub_label(sub)));
        }
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
    let mut out = clean(registry, kind, Some(current), incoming, notes);
    keep_stored_spelling(registry, kind, current, &mut out, notes);
    out
}

/// Drop what clients may not set (readOnly, writeOnly, readOnly sub-attributes) from a body;
/// for a PUT also carry over readOnly attributes and omitted immutable ones from `current`.
fn clean(
    registry: &Registry,
    kind: ResourceKind,
    current: Option<&Map<String, Value>>,
    incoming: Map<String, Value>,
    notes: &mut Vec<String>,
) -> Map<String, Value> {
    let mut out = incoming;
    for slot in slots(registry, kind) {
        let cur = current.and_then(|c| get(c, slot));
        match slot.def.mutability {
            Mutability::ReadOnly => {
                let sent = take(&mut out, slot).filter(|v| !is_unassigned(v));
                if sent.is_some_and(|v| cur != Some(&v)) {
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
                let holder = match slot.urn {
                    None => Some(&mut out),
                    Some(u) => out.get_mut(u).and_then(Value::as_object_mut),
                };
                if let Some(v) = holder.and_then(|h| h.get_mut(&slot.def.name)) {
                    strip_read_only_subs(slot, v, notes);
                }
            }
        }
    }
    out
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
    let out = clean(registry, kind, None, incoming, notes);
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
#[path = "mutability/tests.rs"]
mod tests;
