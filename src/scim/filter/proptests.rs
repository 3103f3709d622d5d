//! Property tests: `parse` never panics, fails only with invalidFilter, and reads back what
//! `Filter`'s `Display` writes.

use proptest::prelude::*;

use crate::scim::attr::AttrPath;
use crate::scim::error::{ScimError, ScimType};

use super::{CompValue, CompareOp, Filter, MAX_FILTER_LEN, parse};

/// Filter-ish fragments, valid and broken, for token soups.
const TOKENS: &[&str] = &[
    "userName",
    "emails",
    "emails.value",
    "type",
    "value",
    "meta.lastModified",
    "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName",
    "urn:",
    "a:b",
    "name.",
    "eq",
    "EQ",
    "ne",
    "co",
    "sw",
    "ew",
    "gt",
    "ge",
    "lt",
    "le",
    "pr",
    "Pr",
    "and",
    "OR",
    "not",
    "Not",
    "(",
    ")",
    "[",
    "]",
    "\"x\"",
    "\"a\\\"b\"",
    "\"\\uD83D\"",
    "\"\\uD83D\\uDE00\"",
    "\"\\u00\"",
    "\"é\"",
    "é",
    "\"",
    "\\",
    ":",
    ".",
    "1",
    "-2.5e3",
    "01",
    "1e999",
    "-",
    "true",
    "null",
    "FALSE",
    "\t",
    "日本",
];

fn assert_invalid_filter(r: &Result<Filter, ScimError>) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        prop_assert_eq!(e.status, 400);
        prop_assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
    }
    Ok(())
}

fn arb_path() -> impl Strategy<Value = AttrPath> {
    prop::sample::select(vec![
        "userName",
        "name.givenName",
        "members.$ref",
        "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName",
        "urn:dialai:params:scim:schemas:extension:operator:2.0:User:maxChats",
    ])
    .prop_map(|s| match s.rsplit_once(':') {
        Some((urn, rest)) => AttrPath::parse_local(Some(urn.into()), rest).unwrap(),
        None => AttrPath::parse_local(None, s).unwrap(),
    })
}

fn arb_value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        // Binary fractions print short and read back exactly.
        any::<i32>().prop_filter_map("finite", |n| {
            serde_json::Number::from_f64(f64::from(n) / 64.0).map(CompValue::Number)
        }),
        any::<String>().prop_map(CompValue::String),
    ]
}

fn arb_op() -> impl Strategy<Value = CompareOp> {
    use CompareOp::*;
    prop::sample::select(vec![Eq, Ne, Co, Sw, Ew, Gt, Ge, Lt, Le])
}

fn arb_logic(leaf: BoxedStrategy<Filter>) -> BoxedStrategy<Filter> {
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Filter::Not(Box::new(a))),
        ]
    })
    .boxed()
}

fn arb_filter() -> BoxedStrategy<Filter> {
    let attr_exp = prop_oneof![
        arb_path().prop_map(Filter::Present),
        (arb_path(), arb_op(), arb_value()).prop_map(|(p, o, v)| Filter::Compare(p, o, v)),
    ]
    .boxed();
    let value_path = (arb_path(), arb_logic(attr_exp.clone()))
        .prop_map(|(p, f)| Filter::ValuePath(p, Box::new(f)));
    arb_logic(prop_oneof![attr_exp, value_path].boxed())
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(
        input in prop_oneof![any::<String>(), "[a-zA-Z \t\"\\\\()\\[\\]:.$0-9eé-]{0,64}"]
    ) {
        assert_invalid_filter(&parse(&input))?;
    }

    #[test]
    fn token_soup_never_panics(
        parts in prop::collection::vec(
            (prop::sample::select(TOKENS), prop::sample::select(vec!["", " ", "  "])),
            0..24,
        )
    ) {
        let input: String = parts.iter().flat_map(|(t, sep)| [*t, *sep]).collect();
        let parsed = parse(&input);
        assert_invalid_filter(&parsed)?;
        if let Ok(f) = parsed {
            prop_assert_eq!(parse(&f.to_string()), Ok(f));
        }
    }

    #[test]
    fn display_round_trips(f in arb_filter()) {
        let text = f.to_string();
        prop_assume!(text.len() <= MAX_FILTER_LEN);
        prop_assert_eq!(parse(&text), Ok(f));
    }
}
