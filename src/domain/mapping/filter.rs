//! SCIM filters (checked, canonical paths) -> the domain filter algebra.

use serde_json::{Map, Value};

use crate::domain::account::fold;
use crate::domain::query::{Column, CompareOp, Literal, Query, Sort, Target};
use crate::scim::attr::AttrPath;
use crate::scim::error::ScimError;
use crate::scim::filter::{Checked, CompValue, Leaf};
use crate::scim::registry::{OPERATOR_SCHEMA, ResourceKind};
use crate::scim::schema::AttrType;

/// The typed column holding a (canonical) attribute path, if the mapping has one.
fn column(kind: ResourceKind, path: &AttrPath) -> Option<Column> {
    let sub = path.sub_attr.as_deref();
    let ext = path.schema.as_deref();
    match (kind, ext, path.attr.as_str(), sub) {
        (_, None, "id", None) => Some(Column::Id),
        (_, None, "externalId", None) => Some(Column::ExternalId),
        (_, None, "meta", Some("created")) => Some(Column::Created),
        (_, None, "meta", Some("lastModified")) => Some(Column::Modified),
        (ResourceKind::User, None, "userName", None) => Some(Column::UserName),
        (ResourceKind::User, None, "name", Some("givenName")) => Some(Column::GivenName),
        (ResourceKind::User, None, "name", Some("familyName")) => Some(Column::FamilyName),
        (ResourceKind::User, None, "active", None) => Some(Column::Active),
        (ResourceKind::User, Some(OPERATOR_SCHEMA), attr, None) => match attr {
            "csrUser" => Some(Column::CsrUser),
            "voiceCalls" => Some(Column::VoiceCalls),
            "maxChats" => Some(Column::MaxChats),
            "maxEmails" => Some(Column::MaxEmails),
            "status" => Some(Column::Status),
            _ => None,
        },
        (ResourceKind::Group, None, "displayName", None) => Some(Column::GroupDisplayName),
        _ => None,
    }
}

/// The document key path of a top-level attribute.
fn doc_path(path: &AttrPath) -> Vec<String> {
    let mut keys = Vec::with_capacity(2);
    if let Some(urn) = &path.schema {
        keys.push(urn.clone());
    }
    keys.push(path.attr.clone());
    keys
}

/// Convert a literal for the attribute type; strings folded when the comparison ignores case.
fn literal(leaf: &Leaf, value: &CompValue) -> Result<Literal, ScimError> {
    Ok(match value {
        CompValue::Null => Literal::Null,
        CompValue::Bool(b) => Literal::Bool(*b),
        CompValue::Number(n) => match (leaf.attr_type, n.as_i64()) {
            (AttrType::Integer, Some(i)) => Literal::Int(i),
            _ => Literal::Num(n.as_f64().unwrap_or_default()),
        },
        CompValue::String(s) if leaf.attr_type == AttrType::DateTime => {
            let t = chrono::DateTime::parse_from_rfc3339(s).map_err(|_| {
                ScimError::invalid_filter(format!("'{s}' is not an RFC 3339 dateTime"))
            })?;
            Literal::Time(t.timestamp_micros())
        }
        CompValue::String(s) if !leaf.case_exact => Literal::Str(fold(s)),
        CompValue::String(s) => Literal::Str(s.clone()),
    })
}

fn is_text(t: AttrType) -> bool {
    matches!(t, AttrType::String | AttrType::Reference | AttrType::Binary)
}

/// Build the query for one leaf at the top level of a resource.
fn leaf_query(
    kind: ResourceKind,
    leaf: &Leaf,
    cmp: Option<(CompareOp, &CompValue)>,
) -> Result<Query, ScimError> {
    let fold_it = is_text(leaf.attr_type) && !leaf.case_exact;
    // RFC 7644 3.4.2.2 `ne` is "not eq": on a multi-valued attribute it means no value equals.
    let negate = matches!(cmp, Some((CompareOp::Ne, v)) if *v != CompValue::Null);
    let make = |target: Target| -> Result<Query, ScimError> {
        Ok(match cmp {
            None => Query::Present(target),
            Some((op, v)) => Query::Compare {
                target,
                op: if negate { CompareOp::Eq } else { op },
                value: literal(leaf, v)?,
                fold: fold_it,
            },
        })
    };
    let wrap = |q: Query| if negate { Query::Not(Box::new(q)) } else { q };
    if leaf.path.schema.is_none()
        && leaf.path.attr == "meta"
        && leaf.path.sub_attr.as_deref() == Some("resourceType")
    {
        // Every row of a table has the same resourceType: the comparison is decided here.
        let mut meta = Map::new();
        meta.insert("resourceType".into(), Value::String(kind.name().into()));
        let mut resource = Map::new();
        resource.insert("meta".into(), Value::Object(meta));
        let checked = match cmp {
            None => Checked::Present(leaf.clone()),
            Some((op, v)) => Checked::Compare(leaf.clone(), op, v.clone()),
        };
        return Ok(Query::Const(checked.matches(&resource)));
    }
    if kind == ResourceKind::User && leaf.path.schema.is_none() && leaf.path.attr == "groups" {
        // A user's groups are its memberships, not part of its document.
        return match leaf.path.sub_attr.as_deref() {
            Some("value") | None => make(Target::GroupId).map(wrap),
            Some(other) => Err(ScimError::invalid_filter(format!(
                "filtering on groups.{other} is not supported; use groups.value"
            ))),
        };
    }
    if kind == ResourceKind::Group && leaf.path.schema.is_none() && leaf.path.attr == "members" {
        return match leaf.path.sub_attr.as_deref() {
            Some("value") | None => make(Target::MemberId).map(wrap),
            Some(other) => Err(ScimError::invalid_filter(format!(
                "filtering on members.{other} is not supported; use members.value"
            ))),
        };
    }
    if let Some(col) = column(kind, &leaf.path) {
        return make(Target::Column(col)).map(wrap);
    }
    let base = doc_path(&leaf.path);
    if leaf.multi_valued {
        let rel = leaf.path.sub_attr.iter().cloned().collect();
        return Ok(wrap(Query::Any {
            array: base,
            each: Box::new(make(Target::Doc(rel))?),
        }));
    }
    let mut keys = base;
    keys.extend(leaf.path.sub_attr.iter().cloned());
    make(Target::Doc(keys)).map(wrap)
}

/// Build the query for a leaf inside a value path (paths relative to one element).
fn element_query(leaf: &Leaf, cmp: Option<(CompareOp, &CompValue)>) -> Result<Query, ScimError> {
    let target = Target::Doc(vec![leaf.path.attr.clone()]);
    let fold_it = is_text(leaf.attr_type) && !leaf.case_exact;
    Ok(match cmp {
        None => Query::Present(target),
        Some((CompareOp::Ne, v)) if *v != CompValue::Null => Query::Not(Box::new(Query::Compare {
            target,
            op: CompareOp::Eq,
            value: literal(leaf, v)?,
            fold: fold_it,
        })),
        Some((op, v)) => Query::Compare {
            target,
            op,
            value: literal(leaf, v)?,
            fold: fold_it,
        },
    })
}

/// Convert a checked SCIM filter to a domain query for `kind`.
pub fn to_query(kind: ResourceKind, f: &Checked) -> Result<Query, ScimError> {
    convert(kind, f, false)
}

fn convert(kind: ResourceKind, f: &Checked, inside: bool) -> Result<Query, ScimError> {
    let leaf = |l: &Leaf, c| {
        if inside {
            element_query(l, c)
        } else {
            leaf_query(kind, l, c)
        }
    };
    Ok(match f {
        Checked::Present(l) => leaf(l, None)?,
        Checked::Compare(l, op, v) => leaf(l, Some((*op, v)))?,
        Checked::And(a, b) => Query::And(
            Box::new(convert(kind, a, inside)?),
            Box::new(convert(kind, b, inside)?),
        ),
        Checked::Or(a, b) => Query::Or(
            Box::new(convert(kind, a, inside)?),
            Box::new(convert(kind, b, inside)?),
        ),
        Checked::Not(a) => Query::Not(Box::new(convert(kind, a, inside)?)),
        Checked::ValuePath { attr, filter } => {
            if kind == ResourceKind::Group && attr.schema.is_none() && attr.attr == "members" {
                // members[value eq "x"]: the member rows, not the document.
                return member_value_path(filter, Target::MemberId, "members");
            }
            if kind == ResourceKind::User && attr.schema.is_none() && attr.attr == "groups" {
                // groups[value eq "x"]: the user's membership rows, not the document.
                return member_value_path(filter, Target::GroupId, "groups");
            }
            Query::Any {
                array: doc_path(attr),
                each: Box::new(convert(kind, filter, true)?),
            }
        }
    })
}

fn member_value_path(f: &Checked, target: Target, attr: &str) -> Result<Query, ScimError> {
    let unsupported = || {
        ScimError::invalid_filter(format!(
            "inside {attr}[...] only 'value' comparisons are supported"
        ))
    };
    Ok(match f {
        Checked::Compare(l, op, v) if l.path.attr == "value" => Query::Compare {
            target: target.clone(),
            op: *op,
            value: literal(l, v)?,
            fold: false,
        },
        Checked::Present(l) if l.path.attr == "value" => Query::Present(target),
        Checked::And(a, b) => Query::And(
            Box::new(member_value_path(a, target.clone(), attr)?),
            Box::new(member_value_path(b, target, attr)?),
        ),
        Checked::Or(a, b) => Query::Or(
            Box::new(member_value_path(a, target.clone(), attr)?),
            Box::new(member_value_path(b, target, attr)?),
        ),
        Checked::Not(a) => Query::Not(Box::new(member_value_path(a, target, attr)?)),
        _ => return Err(unsupported()),
    })
}

/// The sort key for `sortBy` (RFC 7644 3.4.2.3): a multi-valued attribute sorts by "the
/// value of the primary attribute, if any, or else the first value in the list, if any".
pub fn sort_target(
    kind: ResourceKind,
    path: &AttrPath,
    attr_type: AttrType,
    case_exact: bool,
    multi_valued: bool,
    descending: bool,
) -> Sort {
    let fold_it = is_text(attr_type) && !case_exact;
    let target = match column(kind, path) {
        Some(c) => Target::Column(c),
        None if multi_valued => Target::PrimaryOrFirst {
            array: doc_path(path),
            sub: path.sub_attr.clone(),
        },
        None => {
            let mut keys = doc_path(path);
            keys.extend(path.sub_attr.iter().cloned());
            Target::Doc(keys)
        }
    };
    Sort {
        target,
        fold: fold_it,
        descending,
    }
}
