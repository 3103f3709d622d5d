//! In-memory evaluation of checked filters (RFC 7644 3.4.2.2 operator semantics).
//!
//! The store compiles filters to SQL; this evaluator serves PATCH value filters, tests, and
//! any caller holding resources in memory. See the module docs of `filter` for the semantics
//! both must share.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::scim::schema::AttrType;

use super::{Checked, CompValue, CompareOp, Leaf};

impl Checked {
    /// Evaluate against a canonical resource JSON object (or, for a filter made by
    /// `check_within`, against one element of the multi-valued attribute). Extension
    /// attributes live under their URN key. Honours caseExact for strings; dateTime compared
    /// as instants; multi-valued attributes match if any value matches (RFC 7644 3.4.2.2).
    pub fn matches(&self, resource: &Map<String, Value>) -> bool {
        match self {
            Checked::Present(leaf) => values(leaf, resource).into_iter().any(is_present),
            Checked::Compare(leaf, op, value) => compare(leaf, *op, value, resource),
            Checked::ValuePath { attr, filter } => {
                let holder = match &attr.schema {
                    Some(urn) => get(resource, urn).and_then(Value::as_object),
                    None => Some(resource),
                };
                match holder.and_then(|h| get(h, &attr.attr)) {
                    Some(Value::Array(items)) => items
                        .iter()
                        .filter_map(Value::as_object)
                        .any(|element| filter.matches(element)),
                    Some(Value::Object(element)) => filter.matches(element),
                    _ => false,
                }
            }
            Checked::And(a, b) => a.matches(resource) && b.matches(resource),
            Checked::Or(a, b) => a.matches(resource) || b.matches(resource),
            Checked::Not(a) => !a.matches(resource),
        }
    }
}

/// `key` of `obj`: exact first, then case-insensitively (RFC 7643 2.1), so a resource that
/// was not normalised still evaluates sensibly.
fn get<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Every non-null value the leaf's path reaches; arrays (multi-valued attributes, or a
/// sub-attribute across the elements of one) are flattened.
fn values<'v>(leaf: &Leaf, resource: &'v Map<String, Value>) -> Vec<&'v Value> {
    let path = &leaf.path;
    let holder = match &path.schema {
        Some(urn) => get(resource, urn).and_then(Value::as_object),
        None => Some(resource),
    };
    let Some(top) = holder.and_then(|h| get(h, &path.attr)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut push = |v: &'v Value| match v {
        Value::Array(items) => out.extend(items.iter().filter(|i| !i.is_null())),
        Value::Null => {}
        other => out.push(other),
    };
    match &path.sub_attr {
        None => push(top),
        Some(sub) => {
            let elements: Vec<&Value> = match top {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for element in elements {
                if let Some(v) = element.as_object().and_then(|o| get(o, sub)) {
                    push(v);
                }
            }
        }
    }
    out
}

/// RFC 7644 3.4.2.2 `pr`: a value that is not null and not empty.
fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(is_present),
        Value::Object(m) => m.values().any(is_present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn compare(leaf: &Leaf, op: CompareOp, literal: &CompValue, resource: &Map<String, Value>) -> bool {
    let vals = values(leaf, resource);
    match (op, literal) {
        (CompareOp::Eq, CompValue::Null) => !vals.into_iter().any(is_present),
        (CompareOp::Ne, CompValue::Null) => vals.into_iter().any(is_present),
        // `ne` is the negation of `eq`, so that `x ne v` == `not (x eq v)` for absent and
        // multi-valued attributes alike.
        (CompareOp::Ne, _) => !vals
            .into_iter()
            .any(|v| holds(leaf, CompareOp::Eq, literal, v)),
        _ => vals.into_iter().any(|v| holds(leaf, op, literal, v)),
    }
}

/// Whether one attribute value `v` satisfies `v op literal`.
fn holds(leaf: &Leaf, op: CompareOp, literal: &CompValue, v: &Value) -> bool {
    match (leaf.attr_type, v, literal) {
        (AttrType::DateTime, Value::String(a), CompValue::String(b)) => {
            let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
            match (parse(a), parse(b)) {
                (Some(a), Some(b)) => ordered(op, a.cmp(&b)),
                _ => false,
            }
        }
        (_, Value::String(a), CompValue::String(b)) => {
            if leaf.case_exact {
                strings(op, a, b)
            } else {
                strings(op, &a.to_lowercase(), &b.to_lowercase())
            }
        }
        (_, Value::Number(a), CompValue::Number(b)) => {
            numbers(a, b).is_some_and(|ord| ordered(op, ord))
        }
        (_, Value::Bool(a), CompValue::Bool(b)) => match op {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            _ => false,
        },
        _ => false,
    }
}

fn strings(op: CompareOp, a: &str, b: &str) -> bool {
    match op {
        CompareOp::Co => a.contains(b),
        CompareOp::Sw => a.starts_with(b),
        CompareOp::Ew => a.ends_with(b),
        _ => ordered(op, a.cmp(b)),
    }
}

/// Whether `ord` (attribute value against literal) satisfies an eq/ne/ordering operator.
fn ordered(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Numeric order: exact for integers, floating point otherwise.
fn numbers(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::attr::AttrPath;
    use crate::scim::filter::{MAX_FILTER_LEN, check, parse};
    use crate::scim::registry::{Registry, ResourceKind};

    fn bjensen() -> Map<String, Value> {
        let v = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "Ext-42",
            "userName": "BJensen@Example.com",
            "name": {"familyName": "O'Malley", "givenName": "Barbara"},
            "title": "",
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "meta": {
                "resourceType": "User",
                "created": "2011-08-01T18:29:49.793Z",
                // 18:31:02Z: compares as an instant, not as text.
                "lastModified": "2011-08-01T20:31:02+02:00"
            },
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984",
                "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
            },
            "urn:dialai:params:scim:schemas:extension:operator:2.0:User": {
                "maxChats": 5,
                "csrUser": true,
                "skills": ["Billing", "Spanish"]
            }
        });
        v.as_object().unwrap().clone()
    }

    fn eval_all(user: &Map<String, Value>, cases: &[(&str, bool)]) {
        let registry = Registry::load().unwrap();
        for (input, want) in cases {
            let parsed = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            let checked = check(&registry, ResourceKind::User, &parsed)
                .unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(checked.matches(user), *want, "{input}");
        }
    }

    #[test]
    fn strings_honour_case_exact() {
        #[rustfmt::skip]
        eval_all(&bjensen(), &[
            // userName is caseExact false.
            (r#"userName eq "bjensen@example.com""#, true),
            (r#"USERNAME EQ "BJENSEN@EXAMPLE.COM""#, true),
            (r#"userName ne "bjensen@example.com""#, false),
            (r#"userName sw "bjensen@""#, true),
            (r#"userName ew ".COM""#, true),
            (r#"userName co "EXAMPLE""#, true),
            (r#"userName co """#, true),
            (r#"userName gt "bjensen@a""#, true),
            (r#"userName lt "B""#, false),
            (r#"userName le "bjensen@example.com""#, true),
            // id and externalId are caseExact true.
            (r#"id eq "2819C223-7F76-453A-919D-413861904646""#, false),
            (r#"id eq "2819c223-7f76-453a-919d-413861904646""#, true),
            (r#"externalId eq "ext-42""#, false),
            (r#"externalId eq "Ext-42""#, true),
            (r#"externalId sw "EXT""#, false),
            (r#"externalId co "t-4""#, true),
            (r#"externalId gt "Ext-41""#, true),
            (r#"name.familyName co "o'malley""#, true),
            (r#"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName co "O'Malley""#, true),
        ]);
    }

    #[test]
    fn presence_null_and_booleans() {
        #[rustfmt::skip]
        eval_all(&bjensen(), &[
            // "" and absent attributes are not present.
            ("title pr", false),
            ("title eq null", true),
            ("title ne null", false),
            ("nickName pr", false),
            ("nickName eq null", true),
            (r#"nickName eq "x""#, false),
            (r#"nickName ne "x""#, true),
            ("userName pr", true),
            ("name pr", true),
            ("emails pr", true),
            ("phoneNumbers pr", false),
            ("active eq true", true),
            ("active ne true", false),
            ("active eq false", false),
        ]);
    }

    #[test]
    fn multi_valued_and_value_paths() {
        #[rustfmt::skip]
        eval_all(&bjensen(), &[
            // Any value matches; ne is the negation of eq.
            (r#"emails co "JENSEN.ORG""#, true),
            (r#"emails.type eq "home""#, true),
            (r#"emails.type eq "other""#, false),
            (r#"emails.type ne "work""#, false),
            (r#"emails.type ne "other""#, true),
            // A value path matches within one element; dotted paths may match across elements.
            (r#"emails[type eq "work" and value co "@example.com"]"#, true),
            (r#"emails[type eq "home" and value co "@example.com"]"#, false),
            (r#"emails.type eq "home" and emails.value co "@example.com""#, true),
            (r#"emails[type eq "WORK"]"#, true),
            ("emails[primary eq true]", true),
            ("emails[not (primary pr)]", true),
            (r#"emails[type eq "work"] and not (emails[type eq "home" and primary eq true])"#, true),
            (r#"phoneNumbers[type eq "work"]"#, false),
        ]);
    }

    #[test]
    fn date_times_compare_as_instants() {
        #[rustfmt::skip]
        eval_all(&bjensen(), &[
            (r#"meta.lastModified gt "2011-08-01T18:31:01Z""#, true),
            (r#"meta.lastModified eq "2011-08-01T18:31:02Z""#, true),
            (r#"meta.lastModified ge "2011-08-01T18:31:02Z""#, true),
            (r#"meta.lastModified lt "2011-08-01T18:31:02.001Z""#, true),
            (r#"meta.lastModified le "2011-08-01T18:31:01.999Z""#, false),
            (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, true),
            (r#"meta.created lt "2011-08-01T18:29:49.794Z""#, true),
            (r#"meta.created ne "2011-08-01T20:29:49.793+02:00""#, false),
        ]);
    }

    #[test]
    fn extension_attributes_and_logic() {
        #[rustfmt::skip]
        eval_all(&bjensen(), &[
            ("urn:dialai:params:scim:schemas:extension:operator:2.0:User:maxChats gt 3", true),
            ("urn:dialai:params:scim:schemas:extension:operator:2.0:User:maxChats gt 5", false),
            ("maxChats ge 5", true),
            ("maxChats eq 5", true),
            ("maxChats lt 10 and maxChats gt -1", true),
            ("maxEmails pr", false),
            ("maxEmails eq null", true),
            ("maxEmails ne 3", true),
            ("maxEmails gt 0", false),
            (r#"skills eq "spanish""#, true),
            (r#"skills sw "bil""#, true),
            (r#"skills eq "French""#, false),
            ("csrUser eq true", true),
            (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#, true),
            (r#"employeeNumber sw "70""#, true),
            (r#"manager eq "26118915-6090-4610-87e4-49d8ca9f808d""#, true),
            (r#"manager.value eq "26118915-6090-4610-87E4-49D8CA9F808D""#, false),
            (r#"userName eq "x" or active eq true"#, true),
            (r#"active eq true or userName eq "x" and title pr"#, true),
            (r#"(userName eq "x" or active eq true) and not (title pr)"#, true),
            ("not (active eq true)", false),
        ]);
    }

    #[test]
    fn absent_extension_and_wrong_json_types_never_match() {
        let mut user = bjensen();
        user.remove("urn:dialai:params:scim:schemas:extension:operator:2.0:User");
        user.insert("active".into(), json!("true"));
        #[rustfmt::skip]
        eval_all(&user, &[
            ("maxChats gt 0", false),
            ("maxChats eq null", true),
            ("active eq true", false),
            ("active pr", true),
        ]);
    }

    #[test]
    fn longest_flat_chain_checks_and_evaluates() {
        // A chain is not nesting, so only MAX_FILTER_LEN bounds it; the recursive passes
        // (check, matches, Display, Drop) must cope with the deepest tree it allows.
        let n = (MAX_FILTER_LEN + 4) / 9;
        let chain = vec!["id pr"; n].join(" or ");
        assert!(chain.len() <= MAX_FILTER_LEN);
        let registry = Registry::load().unwrap();
        let checked = check(&registry, ResourceKind::User, &parse(&chain).unwrap()).unwrap();
        assert!(checked.matches(&bjensen()));
        assert!(!checked.matches(&Map::new()));
    }

    #[test]
    fn numbers_compare_numerically() {
        let score = Leaf {
            path: AttrPath::new("score"),
            attr_type: AttrType::Decimal,
            case_exact: false,
            multi_valued: false,
        };
        let n = |s: &str| CompValue::Number(s.parse().unwrap());
        #[rustfmt::skip]
        let cases = [
            (json!(3), CompareOp::Gt, n("2.5"), true),
            (json!(3), CompareOp::Eq, n("3.0"), true),
            (json!(10), CompareOp::Gt, n("9"), true),
            (json!(-1), CompareOp::Lt, n("18446744073709551615"), true),
            (json!(18446744073709551615_u64), CompareOp::Gt, n("18446744073709551614"), true),
            (json!(2.5), CompareOp::Le, n("2.5"), true),
            (json!("3"), CompareOp::Eq, n("3"), false),
        ];
        for (value, op, literal, want) in cases {
            let resource = json!({ "score": value });
            let filter = Checked::Compare(score.clone(), op, literal.clone());
            let got = filter.matches(resource.as_object().unwrap());
            assert_eq!(got, want, "{value} {op} {literal}");
        }
    }
}
