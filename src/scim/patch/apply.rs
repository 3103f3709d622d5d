//! Applying PATCH operations to a canonical resource document (RFC 7644 3.5.2.1-3.5.2.3).

use serde_json::{Map, Value};

use super::ops::is_unassigned;
use super::path::{parse_path, validate};
use super::{Delta, OpKind, Outcome, PatchPath, PatchRequest, external};
use crate::scim::error::ScimError;
use crate::scim::filter::Checked;
use crate::scim::registry::{Registry, Resolved, ResourceKind};
use crate::scim::schema::{AttributeDef, Mutability};

/// Apply all operations atomically to `resource` (on error it is left unchanged). `external`
/// names multi-valued attributes held outside the document (e.g. `["members"]`): operations on
/// them become [`Delta`]s, in request order, and never touch the document.
pub fn apply(
    registry: &Registry,
    kind: ResourceKind,
    resource: &mut Map<String, Value>,
    req: &PatchRequest,
    external: &[&str],
    notes: &mut Vec<String>,
) -> Result<Outcome, ScimError> {
    // RFC 7644 3.5.2: a PATCH request is atomic, so work on a copy.
    let mut doc = resource.clone();
    let mut engine = Engine {
        registry,
        kind,
        external,
        notes,
        deltas: Vec::new(),
    };
    for op in &req.operations {
        validate(op)?;
        engine.run(&mut doc, op.op, op.path.as_ref(), op.value.as_ref(), true)?;
    }
    check_required(registry, kind, resource, &doc)?;
    tidy_extensions(registry, kind, resource, &mut doc);
    let changed = doc != *resource;
    *resource = doc;
    Ok(Outcome {
        deltas: engine.deltas,
        changed,
    })
}

/// The state of one `apply` call.
pub(super) struct Engine<'a> {
    pub(super) registry: &'a Registry,
    pub(super) kind: ResourceKind,
    external: &'a [&'a str],
    pub(super) notes: &'a mut Vec<String>,
    pub(super) deltas: Vec<Delta>,
}

/// A resolved attribute target: attribute (and sub-attribute), value filter, sub-attribute
/// after the filter.
pub(super) struct Target<'t> {
    pub(super) r: Resolved<'t>,
    pub(super) filter: Option<&'t Checked>,
    pub(super) sub_after: Option<&'t AttributeDef>,
}

impl Target<'_> {
    /// `name.givenName`, `emails.value` (for `emails[…].value`), `urn:…:manager`.
    pub(super) fn label(&self) -> String {
        match self.sub_after {
            Some(s) => format!("{}.{}", self.r.display(), s.name),
            None => self.r.display(),
        }
    }

    fn has_mutability(&self, m: Mutability) -> bool {
        self.r.attr.mutability == m
            || self.r.sub.is_some_and(|s| s.mutability == m)
            || self.sub_after.is_some_and(|s| s.mutability == m)
    }
}

impl Engine<'_> {
    /// Run one operation. `explicit` is false for attributes named inside a path-less value,
    /// where readOnly attributes are ignored (Okta sends `id` when renaming a group).
    fn run(
        &mut self,
        doc: &mut Map<String, Value>,
        op: OpKind,
        path: Option<&PatchPath>,
        value: Option<&Value>,
        explicit: bool,
    ) -> Result<(), ScimError> {
        let (attr, filter, sub_attr) = match path {
            None => return self.pathless(doc, op, value, None),
            Some(PatchPath::Extension(urn)) => return self.extension(doc, op, urn, value),
            Some(PatchPath::Attr {
                attr,
                filter,
                sub_attr,
            }) => (attr, filter, sub_attr),
        };
        let r = self.registry.resolve(self.kind, attr)?;
        let sub_after = match sub_attr {
            None => None,
            Some(n) => Some(r.attr.sub(n).ok_or_else(|| {
                ScimError::invalid_path(format!("unknown sub-attribute '{n}' of '{}'", r.attr.name))
            })?),
        };
        let t = Target {
            r,
            filter: filter.as_ref(),
            sub_after,
        };
        if t.has_mutability(Mutability::ReadOnly) {
            // RFC 7644 3.5.2: "a client MUST NOT modify an attribute that has mutability
            // readOnly"; RFC 7643 2.2: values a client sends for one are ignored.
            if explicit {
                return Err(ScimError::mutability(format!(
                    "'{}' is readOnly",
                    t.label()
                )));
            }
            self.notes
                .push(format!("{} is readOnly: ignored", t.label()));
            return Ok(());
        }
        if t.has_mutability(Mutability::WriteOnly) {
            if op != OpKind::Remove {
                self.notes.push(format!(
                    "{} accepted and discarded (writeOnly, never stored)",
                    t.label()
                ));
            }
            return Ok(());
        }
        if self.is_external(&t.r) {
            return external::delta(self, op, &t, value);
        }
        match (op, value) {
            (OpKind::Remove, _) => self.remove(doc, &t, value),
            (OpKind::Replace, Some(Value::Null)) => {
                self.notes.push(format!(
                    "{}: null treated as unassigned (RFC 7643 2.5)",
                    t.label()
                ));
                self.remove(doc, &t, None)
            }
            (OpKind::Add | OpKind::Replace, Some(v)) if !v.is_null() => self.write(doc, op, &t, v),
            _ => Err(ScimError::invalid_value(format!(
                "{} of '{}' requires a non-null \"value\"",
                op.as_str(),
                t.label()
            ))),
        }
    }

    /// Whether the attribute is held outside the document.
    fn is_external(&self, r: &Resolved<'_>) -> bool {
        !r.extension
            && self
                .external
                .iter()
                .any(|e| e.eq_ignore_ascii_case(&r.attr.name))
    }

    /// Path-less add/replace (RFC 7644 3.5.2.1, 3.5.2.3): the value's keys are attributes of
    /// the resource (or, with `scope`, of that extension). Keys may be paths themselves.
    fn pathless(
        &mut self,
        doc: &mut Map<String, Value>,
        op: OpKind,
        value: Option<&Value>,
        scope: Option<&str>,
    ) -> Result<(), ScimError> {
        let Some(Value::Object(obj)) = value else {
            return Err(ScimError::invalid_value(format!(
                "{} without \"path\" needs an object of attributes as \"value\"",
                op.as_str()
            )));
        };
        for (key, v) in obj {
            if scope.is_none() && key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            let full = match scope {
                Some(urn) => format!("{urn}:{key}"),
                None => key.clone(),
            };
            let path = match parse_path(self.registry, self.kind, &full) {
                Ok(p) => p,
                Err(e) => {
                    self.notes.push(format!("'{key}' ignored: {}", e.detail));
                    continue;
                }
            };
            match (&path, scope) {
                // `urn:…:core:2.0:User` wrapping core attributes.
                (None, None) => self.pathless(doc, op, Some(v), None)?,
                (Some(PatchPath::Extension(urn)), None) => self.extension(doc, op, urn, Some(v))?,
                (Some(PatchPath::Attr { .. }), _) => {
                    if scope.is_none()
                        && (key.contains(['.', '['])
                            || key.to_ascii_lowercase().starts_with("urn:"))
                    {
                        // Entra sends `name.givenName` and `urn:…:User:department` as keys.
                        self.notes
                            .push(format!("path-less key \"{key}\" applied as a path"));
                    }
                    match (op, v) {
                        (OpKind::Add, Value::Null) => {
                            self.notes.push(format!("{key}: null ignored"));
                        }
                        (_, Value::Null) => {
                            self.run(doc, OpKind::Replace, path.as_ref(), Some(v), false)?
                        }
                        _ => self.run(doc, op, path.as_ref(), Some(v), false)?,
                    }
                }
                _ => self
                    .notes
                    .push(format!("'{key}' ignored: not an attribute")),
            }
        }
        Ok(())
    }

    /// An operation on a whole extension object (`path` = the extension URN).
    fn extension(
        &mut self,
        doc: &mut Map<String, Value>,
        op: OpKind,
        urn: &str,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        let null = value.is_none_or(Value::is_null);
        if op == OpKind::Add && null {
            self.notes.push(format!("{urn}: null ignored"));
            return Ok(());
        }
        if op == OpKind::Remove || null {
            let Some(Value::Object(ext)) = doc.get_mut(urn) else {
                return Ok(());
            };
            // RFC 7644 3.5.2.2 refuses the removal of readOnly attributes; rather than fail,
            // the server-managed ones (the operator `status`) stay and the client's part goes.
            let schema = self.registry.schema(urn);
            let before = ext.len();
            ext.retain(|k, _| {
                schema
                    .and_then(|s| s.attr(k))
                    .is_some_and(|d| d.mutability == Mutability::ReadOnly)
            });
            if !ext.is_empty() && ext.len() < before {
                self.notes.push(format!("{urn}: readOnly attributes kept"));
            }
            return Ok(());
        }
        self.pathless(doc, op, value, Some(urn))
    }
}

/// RFC 7644 3.5.2.2, last paragraph: a required attribute may not become unassigned.
fn check_required(
    registry: &Registry,
    kind: ResourceKind,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Result<(), ScimError> {
    let assigned = |res: &Map<String, Value>, urn: Option<&str>, name: &str| {
        let holder = match urn {
            None => Some(res),
            Some(u) => res.get(u).and_then(Value::as_object),
        };
        holder
            .and_then(|h| h.get(name))
            .is_some_and(|v| !is_unassigned(v))
    };
    let core = registry
        .core_schema(kind)
        .attributes
        .iter()
        .map(|d| (None, d));
    let exts = registry
        .extensions(kind)
        .flat_map(|s| s.attributes.iter().map(move |d| (Some(s.id.as_str()), d)));
    for (urn, def) in core.chain(exts) {
        if def.required && assigned(before, urn, &def.name) && !assigned(after, urn, &def.name) {
            return Err(ScimError::mutability(format!(
                "'{}' is required and cannot be removed",
                def.name
            )));
        }
    }
    Ok(())
}

/// Keep extension objects and `schemas` consistent: an emptied extension object is removed
/// (with its URN), a new one gets its URN listed.
fn tidy_extensions(
    registry: &Registry,
    kind: ResourceKind,
    before: &Map<String, Value>,
    doc: &mut Map<String, Value>,
) {
    for ext in registry.extensions(kind) {
        let urn = ext.id.as_str();
        let present = match doc.get(urn) {
            Some(v) if is_unassigned(v) => {
                doc.shift_remove(urn);
                false
            }
            Some(_) => true,
            None => false,
        };
        let Some(Value::Array(schemas)) = doc.get_mut("schemas") else {
            continue;
        };
        let listed = schemas.iter().any(|s| s.as_str() == Some(urn));
        if present && !listed {
            schemas.push(Value::String(urn.to_string()));
        } else if !present && listed && before.contains_key(urn) {
            schemas.retain(|s| s.as_str() != Some(urn));
        }
    }
}
