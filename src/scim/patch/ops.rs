//! The operations on one target: add/replace (RFC 7644 3.5.2.1, 3.5.2.3) and remove
//! (RFC 7644 3.5.2.2), plus `primary` uniqueness (RFC 7643 2.4).

use serde_json::{Map, Value};

use super::OpKind;
use super::apply::{Engine, Target};
use crate::scim::error::ScimError;
use crate::scim::filter::{Checked, CompValue, CompareOp};
use crate::scim::registry::{Resolved, normalize_single, normalize_value};
use crate::scim::schema::{AttrType, AttributeDef, Mutability};

impl Engine<'_> {
    /// Add or replace a value at a target (RFC 7644 3.5.2.1, 3.5.2.3).
    pub(super) fn write(
        &mut self,
        doc: &mut Map<String, Value>,
        op: OpKind,
        t: &Target<'_>,
        value: &Value,
    ) -> Result<(), ScimError> {
        let attr = t.r.attr;
        let label = t.label();
        let h = holder(doc, &t.r, true)
            .ok_or_else(|| ScimError::invalid_path(format!("'{label}' has no place")))?;
        match (t.filter, t.r.sub) {
            (Some(f), _) => self.write_filtered(h, op, attr, f, t.sub_after, &label, value),
            (None, Some(sub)) => self.write_sub(h, attr, sub, &label, value),
            (None, None) if attr.multi_valued => {
                let items = self.normalize_list(attr, &label, value)?;
                let list = array_mut(h, &attr.name)?;
                let mut touched = Vec::new();
                if op == OpKind::Replace {
                    // "the attribute and all values are replaced".
                    *list = items;
                    touched.extend(0..list.len());
                } else {
                    for item in items {
                        // RFC 7644 3.5.2.1: a value already present changes nothing.
                        if !list.contains(&item) {
                            list.push(item);
                            touched.push(list.len() - 1);
                        }
                    }
                }
                self.enforce_primary(list, &touched, &label)?;
                drop_if_unassigned(h, &attr.name);
                Ok(())
            }
            (None, None) => {
                let mut v = normalize_single(attr, &label, value, self.notes)?;
                self.strip_read_only(attr, &label, &mut v);
                match (h.get_mut(&attr.name), v) {
                    // RFC 7644 3.5.2.1/3.5.2.3: sub-attributes not in the value stay unchanged.
                    (Some(Value::Object(cur)), Value::Object(new)) if value.is_object() => {
                        cur.extend(new)
                    }
                    (_, v) => {
                        h.insert(attr.name.clone(), v);
                    }
                }
                drop_if_unassigned(h, &attr.name);
                Ok(())
            }
        }
    }

    /// `name.givenName` (single complex) or `emails.type` (every value of a multi-valued one).
    fn write_sub(
        &mut self,
        h: &mut Map<String, Value>,
        attr: &AttributeDef,
        sub: &AttributeDef,
        label: &str,
        value: &Value,
    ) -> Result<(), ScimError> {
        let v = normalize_value(sub, label, value, self.notes)?;
        if !attr.multi_valued {
            let obj = h
                .entry(attr.name.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !obj.is_object() {
                *obj = Value::Object(Map::new());
            }
            if let Value::Object(o) = obj {
                o.insert(sub.name.clone(), v);
            }
            return Ok(());
        }
        let list = array_mut(h, &attr.name)?;
        if list.is_empty() {
            drop_if_unassigned(h, &attr.name);
            return Err(ScimError::no_target(format!(
                "'{label}': '{}' has no values",
                attr.name
            )));
        }
        for item in list.iter_mut() {
            if let Value::Object(o) = item {
                o.insert(sub.name.clone(), v.clone());
            }
        }
        let all: Vec<usize> = (0..list.len()).collect();
        self.enforce_primary(list, &all, label)
    }

    /// `emails[type eq "work"]` and `emails[type eq "work"].value` (RFC 7644 3.5.2.3).
    #[expect(
        clippy::too_many_arguments,
        reason = "one call site, all parts of one target"
    )]
    fn write_filtered(
        &mut self,
        h: &mut Map<String, Value>,
        op: OpKind,
        attr: &AttributeDef,
        filter: &Checked,
        sub_after: Option<&AttributeDef>,
        label: &str,
        value: &Value,
    ) -> Result<(), ScimError> {
        let list = array_mut(h, &attr.name)?;
        let matched = matching(list, filter);
        if matched.is_empty() {
            let created = if sub_after.is_some() || op == OpKind::Add {
                self.create_from_filter(attr, filter, sub_after, label, value)?
            } else {
                None
            };
            let Some(item) = created else {
                drop_if_unassigned(h, &attr.name);
                // RFC 7644 3.5.2.3: a valuePath with no record match -> 400 noTarget.
                return Err(ScimError::no_target(format!(
                    "'{label}': the filter matched no value"
                )));
            };
            list.push(item);
            let last = [list.len() - 1];
            return self.enforce_primary(list, &last, label);
        }
        match sub_after {
            Some(sub) => {
                let v = normalize_value(sub, label, value, self.notes)?;
                for &i in &matched {
                    if let Some(Value::Object(o)) = list.get_mut(i) {
                        o.insert(sub.name.clone(), v.clone());
                    }
                }
            }
            None => {
                let mut v = normalize_single(attr, label, value, self.notes)?;
                self.strip_read_only(attr, label, &mut v);
                for &i in &matched {
                    match (list.get_mut(i), &v) {
                        (Some(Value::Object(o)), Value::Object(new)) if op == OpKind::Add => {
                            o.extend(new.clone())
                        }
                        // "all matching record values SHALL be replaced".
                        (Some(slot), _) => *slot = v.clone(),
                        (None, _) => {}
                    }
                }
            }
        }
        self.enforce_primary(list, &matched, label)
    }

    /// Entra's `emails[type eq "work"].value` when no work email exists: build the value from
    /// the filter's `eq` clauses plus the operation's value (design section 2, IdP tolerance).
    fn create_from_filter(
        &mut self,
        attr: &AttributeDef,
        filter: &Checked,
        sub_after: Option<&AttributeDef>,
        label: &str,
        value: &Value,
    ) -> Result<Option<Value>, ScimError> {
        let mut item = Map::new();
        if !eq_clauses(filter, &mut item) {
            return Ok(None);
        }
        match (sub_after, value) {
            (Some(sub), v) => {
                item.insert(sub.name.clone(), v.clone());
            }
            (None, Value::Object(m)) => item.extend(m.clone()),
            (None, _) => return Ok(None),
        }
        let mut v = normalize_single(attr, label, &Value::Object(item), self.notes)?;
        self.strip_read_only(attr, label, &mut v);
        self.notes
            .push(format!("{label}: no value matched the filter, created {v}"));
        Ok(Some(v))
    }

    /// Remove at a target (RFC 7644 3.5.2.2).
    pub(super) fn remove(
        &mut self,
        doc: &mut Map<String, Value>,
        t: &Target<'_>,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        let attr = t.r.attr;
        let label = t.label();
        if t.filter.is_none() && t.r.sub.is_none() && attr.required {
            // RFC 7644 3.5.2.2: removing a required attribute -> 400 mutability.
            return Err(ScimError::mutability(format!(
                "'{label}' is required and cannot be removed"
            )));
        }
        let Some(h) = holder(doc, &t.r, false) else {
            return Ok(());
        };
        match (t.filter, t.r.sub) {
            (None, None) => match value.filter(|v| !v.is_null()) {
                Some(listed) if attr.multi_valued => self.remove_listed(h, attr, &label, listed)?,
                _ => {
                    h.shift_remove(&attr.name);
                }
            },
            (None, Some(sub)) => match h.get_mut(&attr.name) {
                Some(Value::Object(o)) => {
                    o.shift_remove(&sub.name);
                }
                Some(Value::Array(list)) => {
                    for item in list.iter_mut() {
                        if let Value::Object(o) = item {
                            o.shift_remove(&sub.name);
                        }
                    }
                    list.retain(|v| !is_unassigned(v));
                }
                _ => {}
            },
            (Some(f), _) => {
                let list = array_mut(h, &attr.name)?;
                let matched = matching(list, f);
                if matched.is_empty() {
                    drop_if_unassigned(h, &attr.name);
                    // RFC 7644 3.12, Table 9: noTarget "occurs when the specified "path" value
                    // contains a filter that yields no match" (3.5.2.2 does not list the case).
                    return Err(ScimError::no_target(format!(
                        "'{label}': the filter matched no value"
                    )));
                }
                let mut i = 0;
                list.retain_mut(|item| {
                    let hit = matched.contains(&i);
                    i += 1;
                    match (hit, t.sub_after, item) {
                        (false, _, _) => true,
                        (true, Some(sub), Value::Object(o)) => {
                            o.shift_remove(&sub.name);
                            !o.is_empty()
                        }
                        (true, _, _) => false,
                    }
                });
            }
        }
        // RFC 7644 3.5.2.2: with no values left the attribute is unassigned.
        drop_if_unassigned(h, &attr.name);
        Ok(())
    }

    /// `remove` on a multi-valued attribute with a `value` list: remove exactly the listed
    /// values (Entra's member removal), never all of them.
    fn remove_listed(
        &mut self,
        h: &mut Map<String, Value>,
        attr: &AttributeDef,
        label: &str,
        listed: &Value,
    ) -> Result<(), ScimError> {
        let items = self.normalize_list(attr, label, listed)?;
        let list = array_mut(h, &attr.name)?;
        let before = list.len();
        list.retain(|v| !items.iter().any(|wanted| contains_value(attr, v, wanted)));
        self.notes.push(format!(
            "remove of '{label}' with a value list: {} of {} listed value(s) removed",
            before - list.len(),
            items.len()
        ));
        Ok(())
    }

    /// Check, coerce and clean a value for a multi-valued attribute; a single value is wrapped.
    pub(super) fn normalize_list(
        &mut self,
        attr: &AttributeDef,
        label: &str,
        value: &Value,
    ) -> Result<Vec<Value>, ScimError> {
        let wrapped;
        let v = if value.is_array() {
            value
        } else {
            self.notes
                .push(format!("{label}: single value wrapped in a list"));
            wrapped = Value::Array(vec![value.clone()]);
            &wrapped
        };
        let mut out = match normalize_value(attr, label, v, self.notes)? {
            Value::Array(items) => items,
            other => vec![other],
        };
        for item in &mut out {
            self.strip_read_only(attr, label, item);
        }
        Ok(out)
    }

    /// Drop readOnly sub-attributes (`members.display`) from a value, noting it.
    fn strip_read_only(&mut self, attr: &AttributeDef, label: &str, v: &mut Value) {
        let Value::Object(o) = v else { return };
        for sub in &attr.sub_attributes {
            if sub.mutability == Mutability::ReadOnly && o.shift_remove(&sub.name).is_some() {
                let note = format!("{label}.{} is readOnly: ignored", sub.name);
                if !self.notes.contains(&note) {
                    self.notes.push(note);
                }
            }
        }
    }

    /// RFC 7643 2.4: "primary" true appears at most once. A value just made primary wins; the
    /// others lose the flag.
    fn enforce_primary(
        &mut self,
        list: &mut [Value],
        touched: &[usize],
        label: &str,
    ) -> Result<(), ScimError> {
        let is_primary = |v: &Value| v.get("primary") == Some(&Value::Bool(true));
        let new: Vec<usize> = touched
            .iter()
            .copied()
            .filter(|&i| list.get(i).is_some_and(is_primary))
            .collect();
        if new.len() > 1 {
            return Err(ScimError::invalid_value(format!(
                "'{label}': at most one value may be primary (RFC 7643 2.4)"
            )));
        }
        let Some(&keep) = new.first() else {
            return Ok(());
        };
        let mut cleared = false;
        for (i, item) in list.iter_mut().enumerate() {
            if i != keep
                && is_primary(item)
                && let Value::Object(o) = item
            {
                o.shift_remove("primary");
                cleared = true;
            }
        }
        if cleared {
            self.notes.push(format!(
                "{label}: primary moved to the new value, cleared on the others (RFC 7643 2.4)"
            ));
        }
        Ok(())
    }
}

/// The object holding a resolved attribute: the document, or its extension object.
fn holder<'d>(
    doc: &'d mut Map<String, Value>,
    r: &Resolved<'_>,
    create: bool,
) -> Option<&'d mut Map<String, Value>> {
    if !r.extension {
        return Some(doc);
    }
    let urn = r.schema?;
    if create && !doc.get(urn).is_some_and(Value::is_object) {
        doc.insert(urn.to_string(), Value::Object(Map::new()));
    }
    doc.get_mut(urn)?.as_object_mut()
}

/// The list at `name`, created empty when unassigned. A stored non-list value for a
/// multi-valued attribute is refused rather than silently overwritten.
fn array_mut<'h>(
    h: &'h mut Map<String, Value>,
    name: &str,
) -> Result<&'h mut Vec<Value>, ScimError> {
    let slot = h
        .entry(name.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if slot.is_null() {
        *slot = Value::Array(Vec::new());
    }
    match slot {
        Value::Array(a) => Ok(a),
        _ => Err(ScimError::invalid_value(format!(
            "'{name}' holds a single value where a list is expected"
        ))),
    }
}

/// RFC 7643 2.5: null, `[]` and `{}` are unassigned.
pub(super) fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Remove `name` from `h` when it holds no value.
fn drop_if_unassigned(h: &mut Map<String, Value>, name: &str) {
    if h.get(name).is_some_and(is_unassigned) {
        h.shift_remove(name);
    }
}

/// Indices of the values a value filter matches.
fn matching(list: &[Value], filter: &Checked) -> Vec<usize> {
    list.iter()
        .enumerate()
        .filter(|(_, v)| v.as_object().is_some_and(|o| filter.matches(o)))
        .map(|(i, _)| i)
        .collect()
}

/// Collect `sub eq literal` clauses joined by `and`; false for any other filter shape.
fn eq_clauses(filter: &Checked, out: &mut Map<String, Value>) -> bool {
    match filter {
        Checked::Compare(leaf, CompareOp::Eq, lit) => {
            let v = match lit {
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::String(s) => Value::String(s.clone()),
                CompValue::Null => return false,
            };
            out.insert(leaf.path.attr.clone(), v);
            true
        }
        Checked::And(a, b) => eq_clauses(a, out) && eq_clauses(b, out),
        _ => false,
    }
}

/// Whether `have` (a value of `attr`) is the value `wanted` names: for complex values every
/// sub-attribute `wanted` gives must match (caseExact honoured), for simple ones equality.
fn contains_value(attr: &AttributeDef, have: &Value, wanted: &Value) -> bool {
    let eq = |def: &AttributeDef, a: &Value, b: &Value| match (a, b) {
        (Value::String(x), Value::String(y))
            if def.attr_type == AttrType::String && !def.case_exact =>
        {
            x.to_lowercase() == y.to_lowercase()
        }
        _ => a == b,
    };
    match (have, wanted) {
        (Value::Object(h), Value::Object(w)) if attr.is_complex() => {
            !w.is_empty()
                && w.iter().all(|(k, wv)| {
                    h.get(k)
                        .is_some_and(|hv| attr.sub(k).is_some_and(|d| eq(d, hv, wv)))
                })
        }
        _ => eq(attr, have, wanted),
    }
}
