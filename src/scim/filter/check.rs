//! Checking a parsed filter against the schema registry: canonical paths, typed literals.

use crate::scim::attr::AttrPath;
use crate::scim::error::ScimError;
use crate::scim::registry::{Registry, Resolved, ResourceKind};
use crate::scim::schema::{AttrType, AttributeDef};

use super::{Checked, CompValue, CompareOp, Filter, Leaf};

/// Check a parsed filter against the resource type. invalidFilter for unknown attributes,
/// comparisons not allowed for the type, a value path on a non-multi-valued-complex attribute.
/// A comparison on a complex attribute without sub-attribute uses its `value` sub-attribute
/// if it has one (`emails co "x"` == `emails.value co "x"`).
pub fn check(
    registry: &Registry,
    kind: ResourceKind,
    filter: &Filter,
) -> Result<Checked, ScimError> {
    Ok(match filter {
        Filter::Present(path) => Checked::Present(leaf(&resolve(registry, kind, path)?)),
        Filter::Compare(path, op, value) => {
            let resolved = resolve(registry, kind, path)?;
            compare(&resolved, *op, value)?
        }
        Filter::ValuePath(path, inner) => {
            let resolved = resolve(registry, kind, path)?;
            if resolved.sub.is_some() || !resolved.attr.is_complex() || !resolved.attr.multi_valued
            {
                return Err(ScimError::invalid_filter(format!(
                    "'{}' is not a multi-valued complex attribute, so it takes no [value filter]",
                    resolved.display()
                )));
            }
            Checked::ValuePath {
                attr: resolved.path(),
                filter: Box::new(check_within(&resolved, inner)?),
            }
        }
        Filter::And(a, b) => Checked::And(
            Box::new(check(registry, kind, a)?),
            Box::new(check(registry, kind, b)?),
        ),
        Filter::Or(a, b) => Checked::Or(
            Box::new(check(registry, kind, a)?),
            Box::new(check(registry, kind, b)?),
        ),
        Filter::Not(a) => Checked::Not(Box::new(check(registry, kind, a)?)),
    })
}

/// Check a filter whose paths are sub-attribute names of `parent` (a resolved multi-valued
/// complex attribute), e.g. the `type eq "work"` inside `emails[...]` of a PATCH path.
pub fn check_within(parent: &Resolved<'_>, filter: &Filter) -> Result<Checked, ScimError> {
    let def = parent.target();
    if !def.is_complex() {
        return Err(ScimError::invalid_filter(format!(
            "'{}' is not a complex attribute, so it takes no [value filter]",
            parent.display()
        )));
    }
    within(parent, def, filter)
}

fn within(
    parent: &Resolved<'_>,
    def: &AttributeDef,
    filter: &Filter,
) -> Result<Checked, ScimError> {
    Ok(match filter {
        Filter::Present(path) => Checked::Present(leaf(&element(parent, def, path)?)),
        Filter::Compare(path, op, value) => compare(&element(parent, def, path)?, *op, value)?,
        Filter::ValuePath(path, _) => {
            return Err(ScimError::invalid_filter(format!(
                "value filters cannot nest ('{path}[...]' inside '{}[...]')",
                parent.display()
            )));
        }
        Filter::And(a, b) => Checked::And(
            Box::new(within(parent, def, a)?),
            Box::new(within(parent, def, b)?),
        ),
        Filter::Or(a, b) => Checked::Or(
            Box::new(within(parent, def, a)?),
            Box::new(within(parent, def, b)?),
        ),
        Filter::Not(a) => Checked::Not(Box::new(within(parent, def, a)?)),
    })
}

/// Resolve a path inside a value filter: a plain sub-attribute name of `def`.
fn element<'d>(
    parent: &Resolved<'_>,
    def: &'d AttributeDef,
    path: &AttrPath,
) -> Result<Resolved<'d>, ScimError> {
    let sub = (path.schema.is_none() && path.sub_attr.is_none())
        .then(|| def.sub(&path.attr))
        .flatten()
        .ok_or_else(|| {
            ScimError::invalid_filter(format!(
                "'{path}' is not a sub-attribute of '{}'",
                parent.display()
            ))
        })?;
    // Inside a value filter the element is the resource: the sub-attribute is "top-level".
    Ok(Resolved {
        schema: None,
        extension: false,
        attr: sub,
        sub: None,
    })
}

/// Resolve a client path; registry errors (invalidPath) become invalidFilter.
fn resolve<'r>(
    registry: &'r Registry,
    kind: ResourceKind,
    path: &AttrPath,
) -> Result<Resolved<'r>, ScimError> {
    let as_filter_error = |e: ScimError| ScimError::invalid_filter(e.detail);
    let path = match &path.schema {
        // Re-split the full text with the registry's knowledge of the URNs, which is robust
        // where the parser's split at the last ':' is not (a bare schema URN, for one).
        Some(_) => registry
            .parse_path(kind, &path.to_string())
            .map_err(as_filter_error)?,
        None => path.clone(),
    };
    registry.resolve(kind, &path).map_err(as_filter_error)
}

/// The leaf for a resolved path as it stands.
fn leaf(resolved: &Resolved<'_>) -> Leaf {
    let target = resolved.target();
    Leaf {
        path: resolved.path(),
        attr_type: target.attr_type,
        case_exact: target.case_exact,
        multi_valued: resolved.attr.multi_valued,
    }
}

/// Type-check `path op value`; a complex attribute compares through its `value` sub-attribute.
fn compare(
    resolved: &Resolved<'_>,
    op: CompareOp,
    value: &CompValue,
) -> Result<Checked, ScimError> {
    let name = resolved.display();
    if *value == CompValue::Null {
        // `eq null` / `ne null` test presence, which any attribute has.
        if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
            return Err(ScimError::invalid_filter(format!(
                "'{name} {op} null': only eq and ne compare with null"
            )));
        }
        return Ok(Checked::Compare(leaf(resolved), op, CompValue::Null));
    }
    let mut resolved = *resolved;
    if resolved.target().is_complex() {
        match (resolved.sub, resolved.attr.sub("value")) {
            (None, Some(value_sub)) => resolved.sub = Some(value_sub),
            _ => {
                return Err(ScimError::invalid_filter(format!(
                    "'{name}' is a complex attribute; compare one of its sub-attributes"
                )));
            }
        }
    }
    let leaf = leaf(&resolved);
    let name = resolved.display();
    let kind = type_word(leaf.attr_type);
    let op_ok = match leaf.attr_type {
        AttrType::String | AttrType::Reference => true,
        // RFC 7644 3.4.2.2: gt/ge/lt/le on boolean or binary attributes are invalidFilter.
        AttrType::Binary => !op.is_ordering(),
        AttrType::Boolean => matches!(op, CompareOp::Eq | CompareOp::Ne),
        AttrType::Integer | AttrType::Decimal | AttrType::DateTime => !op.is_substring(),
        AttrType::Complex => false,
    };
    if !op_ok {
        return Err(ScimError::invalid_filter(format!(
            "'{op}' does not apply to '{name}', {kind} attribute"
        )));
    }
    let value_ok = match (leaf.attr_type, value) {
        (AttrType::String | AttrType::Reference | AttrType::Binary, CompValue::String(_)) => true,
        (AttrType::Boolean, CompValue::Bool(_)) => true,
        (AttrType::Integer, CompValue::Number(n)) => n.is_i64(),
        (AttrType::Decimal, CompValue::Number(_)) => true,
        (AttrType::DateTime, CompValue::String(s)) => {
            chrono::DateTime::parse_from_rfc3339(s).is_ok()
        }
        _ => false,
    };
    if !value_ok {
        let want = match leaf.attr_type {
            AttrType::String | AttrType::Reference | AttrType::Binary => "a string",
            AttrType::Boolean => "true or false",
            AttrType::Integer => "an integer",
            AttrType::Decimal => "a number",
            AttrType::DateTime => "an RFC 3339 dateTime string",
            AttrType::Complex => "a sub-attribute",
        };
        let shown: String = value.to_string().chars().take(60).collect();
        return Err(ScimError::invalid_filter(format!(
            "'{name}' is {kind} attribute; compare it with {want}, not {shown}"
        )));
    }
    Ok(Checked::Compare(leaf, op, value.clone()))
}

/// The type's name with its article, for messages.
fn type_word(t: AttrType) -> &'static str {
    match t {
        AttrType::String => "a string",
        AttrType::Boolean => "a boolean",
        AttrType::Decimal => "a decimal",
        AttrType::Integer => "an integer",
        AttrType::DateTime => "a dateTime",
        AttrType::Binary => "a binary",
        AttrType::Reference => "a reference",
        AttrType::Complex => "a complex",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::error::ScimType;
    use crate::scim::filter::{RFC_EXAMPLES, parse};
    use crate::scim::registry::{ENTERPRISE_SCHEMA, OPERATOR_SCHEMA};

    fn user(input: &str) -> Result<Checked, ScimError> {
        check_kind(ResourceKind::User, input)
    }

    fn check_kind(kind: ResourceKind, input: &str) -> Result<Checked, ScimError> {
        let registry = Registry::load().unwrap();
        let parsed = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        check(&registry, kind, &parsed)
    }

    /// A leaf from a dotted path, optionally under an extension URN.
    fn lf(
        urn: Option<&str>,
        dotted: &str,
        attr_type: AttrType,
        case_exact: bool,
        mv: bool,
    ) -> Leaf {
        let path = AttrPath::parse_local(urn.map(str::to_string), dotted).unwrap();
        Leaf {
            path,
            attr_type,
            case_exact,
            multi_valued: mv,
        }
    }

    fn cmp(leaf: Leaf, op: CompareOp, value: CompValue) -> Checked {
        Checked::Compare(leaf, op, value)
    }

    fn s(v: &str) -> CompValue {
        CompValue::String(v.into())
    }

    #[test]
    fn rfc_examples_check_against_user() {
        for (input, valid) in RFC_EXAMPLES {
            let got = user(input);
            assert_eq!(got.is_ok(), *valid, "{input}: {got:?}");
        }
    }

    #[test]
    fn canonical_leaves() {
        use AttrType::*;
        use CompareOp::*;
        let (ent, op) = (Some(ENTERPRISE_SCHEMA), Some(OPERATOR_SCHEMA));
        let work = cmp(lf(None, "type", String, false, false), Eq, s("work"));
        let in_groups = Checked::Or(
            Box::new(cmp(lf(None, "value", String, true, false), Eq, s("g1"))),
            Box::new(Checked::Present(lf(None, "type", String, false, false))),
        );
        #[rustfmt::skip]
        let cases: Vec<(&str, Checked)> = vec![
            (r#"USERNAME eq "x""#, cmp(lf(None, "userName", String, false, false), Eq, s("x"))),
            (r#"id eq "x""#, cmp(lf(None, "id", String, true, false), Eq, s("x"))),
            (r#"EXTERNALID sw "x""#, cmp(lf(None, "externalId", String, true, false), Sw, s("x"))),
            (r#"name.FAMILYNAME co "O'Malley""#, cmp(lf(None, "name.familyName", String, false, false), Co, s("O'Malley"))),
            (r#"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName co "O'Malley""#, cmp(lf(None, "name.familyName", String, false, false), Co, s("O'Malley"))),
            (r#"URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:id eq "x""#, cmp(lf(None, "id", String, true, false), Eq, s("x"))),
            (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1""#, cmp(lf(ent, "employeeNumber", String, false, false), Eq, s("1"))),
            (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:MANAGER.value eq "1""#, cmp(lf(ent, "manager.value", String, true, false), Eq, s("1"))),
            ("urn:dialai:params:scim:schemas:extension:operator:2.0:User:maxChats gt 3", cmp(lf(op, "maxChats", Integer, false, false), Gt, CompValue::Number(3.into()))),
            // Unqualified extension attributes resolve when exactly one extension defines them.
            ("maxchats le 10", cmp(lf(op, "maxChats", Integer, false, false), Le, CompValue::Number(10.into()))),
            (r#"skills eq "Billing""#, cmp(lf(op, "skills", String, false, true), Eq, s("Billing"))),
            (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, cmp(lf(None, "meta.lastModified", DateTime, false, false), Gt, s("2011-05-13T04:42:34Z"))),
            // A complex attribute compares through its `value` sub-attribute.
            (r#"emails co "x""#, cmp(lf(None, "emails.value", String, false, true), Co, s("x"))),
            ("emails pr", Checked::Present(lf(None, "emails", Complex, false, true))),
            ("name eq null", cmp(lf(None, "name", Complex, false, false), Eq, CompValue::Null)),
            ("active ne null", cmp(lf(None, "active", Boolean, false, false), Ne, CompValue::Null)),
            ("active eq TRUE", cmp(lf(None, "active", Boolean, false, false), Eq, CompValue::Bool(true))),
            (r#"EMAILS[TYPE eq "work"]"#, Checked::ValuePath { attr: AttrPath::new("emails"), filter: Box::new(work) }),
            (r#"not (groups[value eq "g1" or type pr])"#, Checked::Not(Box::new(Checked::ValuePath { attr: AttrPath::new("groups"), filter: Box::new(in_groups) }))),
        ];
        for (input, want) in cases {
            assert_eq!(
                user(input).unwrap_or_else(|e| panic!("{input}: {e}")),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn group_filters() {
        let group = |input| check_kind(ResourceKind::Group, input);
        for ok in [
            r#"displayName eq "Ops""#,
            r#"members[value eq "2819c223"]"#,
            "members.$ref pr",
            "meta.created pr",
        ] {
            assert!(group(ok).is_ok(), "{ok}");
        }
        for bad in [
            "userName pr",
            "maxChats gt 1",
            "urn:dialai:params:scim:schemas:extension:operator:2.0:User:maxChats gt 1",
        ] {
            assert!(group(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors() {
        #[rustfmt::skip]
        let cases = [
            (r#"nickname2 eq "x""#, "unknown attribute 'nickname2'"),
            ("members pr", "unknown attribute 'members'"),
            (r#"schemas eq "urn:x""#, "unknown attribute 'schemas'"),
            (r#"name.nope eq "x""#, "unknown sub-attribute 'nope' of 'name'"),
            (r#"urn:example:unknown:1.0:User:foo eq "x""#, "unknown schema"),
            ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User pr", "names a schema, not an attribute"),
            ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName pr", "unknown attribute 'userName'"),
            ("active gt true", "'gt' does not apply to 'active', a boolean attribute"),
            (r#"active co "t""#, "'co' does not apply to 'active', a boolean attribute"),
            (r#"active eq "true""#, "'active' is a boolean attribute; compare it with true or false, not \"true\""),
            ("userName eq 5", "'userName' is a string attribute; compare it with a string, not 5"),
            ("userName eq true", "compare it with a string, not true"),
            (r#"maxChats gt "3""#, "is an integer attribute; compare it with an integer, not \"3\""),
            ("maxChats gt 3.5", "compare it with an integer, not 3.5"),
            ("maxChats gt 18446744073709551615", "compare it with an integer"),
            ("maxChats co 3", "'co' does not apply to 'urn:dialai:params:scim:schemas:extension:operator:2.0:User:maxChats', an integer attribute"),
            (r#"meta.lastModified gt "yesterday""#, "'meta.lastModified' is a dateTime attribute; compare it with an RFC 3339 dateTime string"),
            (r#"meta.lastModified sw "2011""#, "'sw' does not apply to 'meta.lastModified', a dateTime attribute"),
            ("meta.lastModified gt 5", "dateTime attribute"),
            (r#"x509Certificates.value gt "a""#, "'gt' does not apply to 'x509Certificates.value', a binary attribute"),
            (r#"name eq "x""#, "'name' is a complex attribute; compare one of its sub-attributes"),
            (r#"meta lt "x""#, "'meta' is a complex attribute"),
            ("userName gt null", "only eq and ne compare with null"),
            (r#"name[givenName eq "x"]"#, "'name' is not a multi-valued complex attribute"),
            (r#"userName[type eq "x"]"#, "'userName' is not a multi-valued complex attribute"),
            (r#"emails.value[type eq "x"]"#, "'emails.value' is not a multi-valued complex attribute"),
            (r#"skills[value eq "x"]"#, "not a multi-valued complex attribute"),
            (r#"emails[nope eq "x"]"#, "'nope' is not a sub-attribute of 'emails'"),
            (r#"emails[value.x eq "x"]"#, "'value.x' is not a sub-attribute of 'emails'"),
            (r#"emails[urn:ietf:params:scim:schemas:core:2.0:User:type eq "x"]"#, "is not a sub-attribute of 'emails'"),
            ("emails[primary gt true]", "'gt' does not apply to 'primary', a boolean attribute"),
            ("emails[type eq 1]", "'type' is a string attribute"),
        ];
        for (input, want) in cases {
            let e = user(input).expect_err(input);
            let kind = (e.status, e.scim_type);
            assert_eq!(kind, (400, Some(ScimType::InvalidFilter)), "{input}");
            assert!(
                e.detail.contains(want),
                "{input}\n got: {}\nwant: {want}",
                e.detail
            );
        }
    }

    #[test]
    fn check_within_an_emails_filter() {
        let registry = Registry::load().unwrap();
        let emails = registry
            .resolve(ResourceKind::User, &AttrPath::new("EMAILS"))
            .unwrap();
        let got = check_within(&emails, &parse(r#"type eq "work""#).unwrap()).unwrap();
        let want = cmp(
            lf(None, "type", AttrType::String, false, false),
            CompareOp::Eq,
            s("work"),
        );
        assert_eq!(got, want);

        let both = parse(r#"TYPE eq "work" and primary eq true"#).unwrap();
        let both = check_within(&emails, &both).unwrap();
        let work = serde_json::json!({"type": "Work", "primary": true, "value": "a@x"});
        let home = serde_json::json!({"type": "home", "value": "b@x"});
        assert!(both.matches(work.as_object().unwrap()));
        assert!(!both.matches(home.as_object().unwrap()));

        for bad in ["nope eq 1", r#"emails[type eq "x"]"#, "type eq 1"] {
            let e = check_within(&emails, &parse(bad).unwrap()).expect_err(bad);
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{bad}");
        }
        let user_name = registry
            .resolve(ResourceKind::User, &AttrPath::new("userName"))
            .unwrap();
        let e = check_within(&user_name, &parse(r#"type eq "x""#).unwrap()).unwrap_err();
        assert!(
            e.detail.contains("'userName' is not a complex attribute"),
            "{}",
            e.detail
        );
    }
}
