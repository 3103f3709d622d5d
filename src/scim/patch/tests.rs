//! PATCH engine tests: shared fixtures, the core semantics and error cases, and
//! property tests of the path parser.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::*;
use crate::scim::error::{ScimError, ScimType};
use crate::scim::registry::{ENTERPRISE_SCHEMA, OPERATOR_SCHEMA, Registry, ResourceKind};

pub(super) const BABS: &str = "2819c223-7f76-453a-919d-413861904646";
pub(super) const JAMES: &str = "08e1d05d-121c-4561-8b96-473d93df9210";

pub(super) fn reg() -> Registry {
    Registry::load().unwrap()
}

/// Babs Jensen (RFC 7643 8.2, trimmed), normalised.
pub(super) fn user() -> Map<String, Value> {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": BABS,
        "userName": "bjensen@example.com",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "addresses": [
            {"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood",
             "region": "CA", "postalCode": "91608", "country": "USA"},
            {"type": "home", "streetAddress": "456 Hollywood Blvd", "locality": "Hollywood",
             "region": "CA", "postalCode": "91608", "country": "USA", "primary": true}
        ],
        "meta": {"resourceType": "User", "version": "W/\"3694e05e9dff591\""}
    });
    reg()
        .normalize(ResourceKind::User, &body, &mut Vec::new())
        .unwrap()
}

/// A group whose members are in the document.
pub(super) fn group() -> Map<String, Value> {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [{"value": BABS, "type": "User"}]
    })
    .as_object()
    .unwrap()
    .clone()
}

/// A PatchOp body around `ops`.
pub(super) fn body(ops: Value) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
}

/// Parse and apply `ops`; on success `doc` is the patched document.
pub(super) fn run(
    kind: ResourceKind,
    doc: &mut Map<String, Value>,
    ops: Value,
    external: &[&str],
    notes: &mut Vec<String>,
) -> Result<Outcome, ScimError> {
    let r = reg();
    let req = parse_request(&r, kind, &body(ops), notes)?;
    apply(&r, kind, doc, &req, external, notes)
}

/// `run` that must succeed.
pub(super) fn ok(
    kind: ResourceKind,
    doc: &mut Map<String, Value>,
    ops: Value,
) -> (Outcome, Vec<String>) {
    let mut notes = Vec::new();
    let out = run(kind, doc, ops, &[], &mut notes).unwrap();
    (out, notes)
}

/// `run` that must fail; the document must be unchanged.
pub(super) fn fails(
    kind: ResourceKind,
    doc: &Map<String, Value>,
    ops: Value,
    external: &[&str],
) -> ScimError {
    let mut copy = doc.clone();
    let err = run(kind, &mut copy, ops, external, &mut Vec::new()).unwrap_err();
    assert_eq!(&copy, doc, "document changed by a failed PATCH");
    assert_eq!(err.status, 400);
    err
}

// ---- semantics ----

#[test]
fn add_to_multi_valued_appends_and_skips_duplicates() {
    let mut u = user();
    let home = json!({"value": "babs@jensen.org", "type": "home"});
    let (out, _) = ok(
        ResourceKind::User,
        &mut u,
        json!([{"op": "add", "path": "emails", "value": [home]}]),
    );
    assert!(
        !out.changed,
        "RFC 7644 3.5.2.1: an existing value changes nothing"
    );
    let (out, _) = ok(
        ResourceKind::User,
        &mut u,
        json!([{"op": "add", "path": "emails", "value": [{"value": "b@x.org", "type": "other"}]}]),
    );
    assert!(out.changed);
    assert_eq!(u["emails"].as_array().unwrap().len(), 3);
}

#[test]
fn add_single_valued_replaces_and_complex_merges() {
    let mut u = user();
    ok(
        ResourceKind::User,
        &mut u,
        json!([
            {"op": "add", "path": "displayName", "value": "Barbara"},
            {"op": "add", "path": "name", "value": {"middleName": "Jane"}},
            {"op": "replace", "path": "name", "value": {"honorificPrefix": "Ms."}}
        ]),
    );
    assert_eq!(u["displayName"], "Barbara");
    assert_eq!(
        u["name"],
        json!({"familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane", "honorificPrefix": "Ms."})
    );
}

#[test]
fn sub_attribute_paths() {
    let mut u = user();
    ok(
        ResourceKind::User,
        &mut u,
        json!([
            {"op": "replace", "path": "name.givenName", "value": "Babs"},
            {"op": "remove", "path": "name.familyName"},
            {"op": "remove", "path": "emails[type eq \"home\"].type"}
        ]),
    );
    assert_eq!(u["name"], json!({"givenName": "Babs"}));
    assert_eq!(u["emails"][1], json!({"value": "babs@jensen.org"}));
}

#[test]
fn primary_uniqueness() {
    let mut u = user();
    ok(
        ResourceKind::User,
        &mut u,
        json!([{"op": "add", "path": "emails", "value": [{"value": "n@x.org", "primary": true}]}]),
    );
    let primaries = u["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == true)
        .count();
    assert_eq!(primaries, 1);
    assert_eq!(u["emails"][2]["primary"], true);
    let two = json!([{"value": "a@x.org", "primary": true}, {"value": "b@x.org", "primary": true}]);
    let err = fails(
        ResourceKind::User,
        &user(),
        json!([{"op": "replace", "path": "emails", "value": two}]),
        &[],
    );
    assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
}

#[test]
fn no_match_is_no_target() {
    let u = user();
    for ops in [
        json!([{"op": "remove", "path": "emails[type eq \"other\"]"}]),
        json!([{"op": "replace", "path": "emails[type eq \"other\"]", "value": {"value": "x@y"}}]),
        json!([{"op": "replace", "path": "emails[value co \"nobody\"].display", "value": "x"}]),
    ] {
        let err = fails(ResourceKind::User, &u, ops, &[]);
        assert_eq!(err.scim_type, Some(ScimType::NoTarget), "{}", err.detail);
    }
}

#[test]
fn structural_errors() {
    let u = user();
    let cases = [
        (json!([{"op": "remove"}]), ScimType::NoTarget),
        (
            json!([{"op": "add", "path": "displayName"}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "add", "path": "displayName", "value": null}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "replace", "value": "x"}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "move", "path": "displayName"}]),
            ScimType::InvalidSyntax,
        ),
        (json!([{"path": "displayName"}]), ScimType::InvalidSyntax),
        (json!([]), ScimType::InvalidSyntax),
        (
            json!([{"op": "add", "path": "nope", "value": 1}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "name[givenName eq \"x\"]", "value": 1}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "emails[type eq \"work\"]x", "value": 1}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "emails[type eq \"work\"", "value": 1}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": "emails[type zz \"work\"]", "value": 1}]),
            ScimType::InvalidFilter,
        ),
        (
            json!([{"op": "add", "path": "urn:x:y:name", "value": 1}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "add", "path": 7, "value": 1}]),
            ScimType::InvalidPath,
        ),
        (
            json!([{"op": "replace", "path": "active", "value": "yes"}]),
            ScimType::InvalidValue,
        ),
        (
            json!([{"op": "replace", "path": "displayName", "value": 3}]),
            ScimType::InvalidValue,
        ),
    ];
    for (ops, want) in cases {
        let err = fails(ResourceKind::User, &u, ops.clone(), &[]);
        assert_eq!(err.scim_type, Some(want), "{ops}: {}", err.detail);
    }
    let mut notes = Vec::new();
    let err = parse_request(
        &reg(),
        ResourceKind::User,
        &json!({"Operations": []}),
        &mut notes,
    )
    .unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::InvalidSyntax));
}

#[test]
fn read_only_and_required() {
    let u = user();
    for (ops, want) in [
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "remove", "path": "meta"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": format!("{ENTERPRISE_SCHEMA}:manager.displayName"), "value": "x"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": format!("{OPERATOR_SCHEMA}:status"), "value": "Busy"}]),
            ScimType::Mutability,
        ),
        // RFC 7644 3.5.2.2: a required attribute cannot be removed.
        (
            json!([{"op": "remove", "path": "userName"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": "userName", "value": null}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "value": {"userName": null}}]),
            ScimType::Mutability,
        ),
    ] {
        let err = fails(ResourceKind::User, &u, ops.clone(), &[]);
        assert_eq!(err.scim_type, Some(want), "{ops}: {}", err.detail);
    }
    let err = fails(
        ResourceKind::Group,
        &group(),
        json!([{"op": "remove", "path": "displayName"}]),
        &[],
    );
    assert_eq!(err.scim_type, Some(ScimType::Mutability));
}

#[test]
fn pathless_read_only_ignored_with_note() {
    let mut g = group();
    let ops =
        json!([{"op": "replace", "value": {"id": "other", "displayName": "Guides", "meta": {}}}]);
    let (_, notes) = ok(ResourceKind::Group, &mut g, ops);
    assert_eq!(g["id"], "e9e30dba-f08f-4109-8486-d5c6a331660a");
    assert_eq!(g["displayName"], "Guides");
    assert!(
        notes.contains(&"id is readOnly: ignored".to_string()),
        "{notes:?}"
    );
}

#[test]
fn atomic_on_failure() {
    let u = user();
    let ops = json!([
        {"op": "replace", "path": "displayName", "value": "Changed"},
        {"op": "remove", "path": "emails[type eq \"none\"]"}
    ]);
    fails(ResourceKind::User, &u, ops, &[]);
}

#[test]
fn extension_paths() {
    let mut u = user();
    let (out, _) = ok(
        ResourceKind::User,
        &mut u,
        json!([
            {"op": "add", "path": ENTERPRISE_SCHEMA, "value": {"department": "Tour", "costCenter": "4130"}},
            {"op": "replace", "path": format!("{OPERATOR_SCHEMA}:maxChats"), "value": 4},
            {"op": "add", "path": format!("{OPERATOR_SCHEMA}:skills"), "value": ["french"]},
            {"op": "add", "path": format!("{OPERATOR_SCHEMA}:skills"), "value": "german"}
        ]),
    );
    assert!(out.changed);
    assert_eq!(
        u[ENTERPRISE_SCHEMA],
        json!({"department": "Tour", "costCenter": "4130"})
    );
    assert_eq!(
        u[OPERATOR_SCHEMA],
        json!({"maxChats": 4, "skills": ["french", "german"]})
    );
    assert!(
        u["schemas"]
            .as_array()
            .unwrap()
            .contains(&json!(ENTERPRISE_SCHEMA))
    );
    ok(
        ResourceKind::User,
        &mut u,
        json!([{"op": "remove", "path": ENTERPRISE_SCHEMA}]),
    );
    assert!(u.get(ENTERPRISE_SCHEMA).is_none());
    assert!(
        !u["schemas"]
            .as_array()
            .unwrap()
            .contains(&json!(ENTERPRISE_SCHEMA))
    );
    let err = fails(
        ResourceKind::User,
        &u,
        json!([{"op": "replace", "path": format!("{OPERATOR_SCHEMA}:maxChats"), "value": "four"}]),
        &[],
    );
    assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
}

#[test]
fn pathless_wrappers_unknown_keys_and_nulls() {
    let mut u = user();
    let (_, notes) = ok(
        ResourceKind::User,
        &mut u,
        json!([
            {"op": "replace", "value": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "urn:ietf:params:scim:schemas:core:2.0:User": {"displayName": "Core"},
                "favouriteColour": "blue",
                "nickName": null
            }},
            {"op": "add", "value": {ENTERPRISE_SCHEMA: null, "title": null}}
        ]),
    );
    assert_eq!(u["displayName"], "Core");
    assert!(u.get(ENTERPRISE_SCHEMA).is_none());
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("'favouriteColour' ignored")),
        "{notes:?}"
    );
    assert!(
        notes.contains(&"title: null ignored".to_string()),
        "{notes:?}"
    );
}

#[test]
fn extension_removal_keeps_read_only_attributes() {
    let mut u = user();
    u.insert(
        OPERATOR_SCHEMA.into(),
        json!({"status": "Busy", "maxChats": 3}),
    );
    let (_, notes) = ok(
        ResourceKind::User,
        &mut u,
        json!([{"op": "remove", "path": OPERATOR_SCHEMA}]),
    );
    assert_eq!(u[OPERATOR_SCHEMA], json!({"status": "Busy"}));
    assert!(
        notes
            .iter()
            .any(|n| n.ends_with("readOnly attributes kept")),
        "{notes:?}"
    );
    let err = fails(
        ResourceKind::User,
        &u,
        json!([{"op": "add", "path": "name", "value": "Babs"}]),
        &[],
    );
    assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
}

#[test]
fn password_is_discarded() {
    let mut u = user();
    let (out, notes) = ok(
        ResourceKind::User,
        &mut u,
        json!([{"op": "replace", "path": "password", "value": "s3cret"}]),
    );
    assert!(!out.changed);
    assert!(u.get("password").is_none());
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("password accepted and discarded"))
    );
    assert!(!notes.iter().any(|n| n.contains("s3cret")));
}

#[test]
fn replace_null_unassigns() {
    let mut u = user();
    ok(
        ResourceKind::User,
        &mut u,
        json!([{"op": "replace", "path": "displayName", "value": null}]),
    );
    assert!(u.get("displayName").is_none());
}

#[test]
fn path_parser_accepts_rfc_forms() {
    let r = reg();
    let p = |s: &str| parse_path(&r, ResourceKind::User, s).unwrap();
    assert_eq!(p(""), None);
    assert_eq!(p("urn:ietf:params:scim:schemas:core:2.0:User"), None);
    assert_eq!(
        p(ENTERPRISE_SCHEMA),
        Some(PatchPath::Extension(ENTERPRISE_SCHEMA.into()))
    );
    let Some(PatchPath::Attr {
        attr,
        filter,
        sub_attr,
    }) = p("NAME.givenname")
    else {
        panic!()
    };
    assert_eq!(
        (attr.dotted(), filter, sub_attr),
        ("name.givenName".to_string(), None, None)
    );
    let Some(PatchPath::Attr { attr, sub_attr, .. }) =
        p("urn:ietf:params:scim:schemas:core:2.0:User:Emails[value eq \"a]b\"].DISPLAY")
    else {
        panic!()
    };
    assert_eq!(
        (attr.to_string(), sub_attr.as_deref()),
        ("emails".to_string(), Some("display"))
    );
    let Some(PatchPath::Attr { attr, .. }) = p(&format!("{ENTERPRISE_SCHEMA}:manager.value"))
    else {
        panic!()
    };
    assert_eq!(
        attr.to_string(),
        format!("{ENTERPRISE_SCHEMA}:manager.value")
    );
}

proptest! {
    #[test]
    fn path_parser_never_panics(s in "\\PC{0,60}") {
        if let Err(e) = parse_path(&reg(), ResourceKind::User, &s) {
            prop_assert_eq!(e.status, 400);
        }
    }

    #[test]
    fn path_parser_never_panics_on_path_like_input(
        s in "(urn:[a-z:0-9.]{0,20}:)?[a-zA-Z$é.]{0,12}(\\[[a-z \"\\]\\\\.=]{0,20}\\]?)?(\\.[a-zA-Zé]{0,8})?"
    ) {
        if let Err(e) = parse_path(&reg(), ResourceKind::User, &s) {
            prop_assert_eq!(e.status, 400);
            prop_assert!(e.scim_type.is_some());
        }
    }

    #[test]
    fn apply_is_atomic_and_never_panics(
        op in prop::sample::select(vec!["add", "remove", "replace", "Replace"]),
        path in prop::sample::select(vec![
            "", "emails", "emails[type eq \"work\"].value", "name", "name.givenName", "members",
            "addresses[type eq \"home\"]", "active", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "id", "userName",
        ]),
        value in prop_oneof![
            Just(Value::Null), any::<bool>().prop_map(Value::from), "[a-zA-Z]{0,5}".prop_map(Value::from),
            any::<i32>().prop_map(Value::from),
            Just(json!({"value": "v", "type": "work", "primary": true})),
            Just(json!([{"value": "v"}, "x", 1])), Just(json!({"givenName": "x", "active": "False"})),
        ],
    ) {
        let u = user();
        let mut doc = u.clone();
        let mut op_obj = json!({"op": op, "value": value});
        if !path.is_empty() {
            op_obj["path"] = json!(path);
        }
        match run(ResourceKind::User, &mut doc, json!([op_obj]), &[], &mut Vec::new()) {
            Ok(_) => {}
            Err(e) => {
                prop_assert_eq!(e.status, 400);
                prop_assert_eq!(&doc, &u);
            }
        }
    }
}

#[test]
fn requests_that_touch_only_members() {
    let r = reg();
    let parse = |ops: Value| {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        parse_request(&r, ResourceKind::Group, &body, &mut Vec::new()).expect("valid request")
    };
    let only = |ops: Value| parse(ops).touches_only("members");
    assert!(only(
        json!([{"op": "add", "path": "members", "value": [{"value": "a"}]}])
    ));
    assert!(only(
        json!([{"op": "remove", "path": "members[value eq \"a\"]"}])
    ));
    assert!(only(
        json!([{"op": "add", "value": {"members": [{"value": "a"}]}}])
    ));
    assert!(only(json!([
        {"op": "add", "path": "members", "value": [{"value": "a"}]},
        {"op": "remove", "path": "members[value eq \"b\"]"}
    ])));
    assert!(!only(
        json!([{"op": "replace", "path": "displayName", "value": "x"}])
    ));
    assert!(!only(json!([
        {"op": "add", "path": "members", "value": [{"value": "a"}]},
        {"op": "replace", "path": "displayName", "value": "x"}
    ])));
    assert!(!only(
        json!([{"op": "replace", "value": {"members": [], "displayName": "x"}}])
    ));
}
