//! The IdP tolerances of design section 2, one named test each: real Okta and Entra traffic
//! that departs from RFC 7644 is applied correctly and every coercion leaves a note.

use serde_json::json;

use super::tests::{BABS, JAMES, fails, group, ok, run, user};
use super::*;
use crate::scim::error::ScimType;
use crate::scim::registry::{ENTERPRISE_SCHEMA, OPERATOR_SCHEMA, ResourceKind};

#[test]
fn tolerance_1_op_names_in_any_case() {
    let mut u = user();
    let (_, notes) = ok(
        ResourceKind::User,
        &mut u,
        json!([
            {"op": "Replace", "path": "displayName", "value": "B"},
            {"op": "Add", "path": "nickName", "value": "Babs"},
            {"op": "REMOVE", "path": "nickName"}
        ]),
    );
    assert_eq!(u["displayName"], "B");
    assert!(u.get("nickName").is_none());
    for want in [
        "op \"Replace\" normalised to \"replace\"",
        "op \"Add\" normalised to \"add\"",
        "op \"REMOVE\" normalised to \"remove\"",
    ] {
        assert!(notes.contains(&want.to_string()), "{want}: {notes:?}");
    }
}

#[test]
fn tolerance_2_boolean_strings_for_boolean_attributes_only() {
    let mut u = user();
    let (_, notes) = ok(
        ResourceKind::User,
        &mut u,
        json!([
            {"op": "replace", "path": "active", "value": "False"},
            {"op": "replace", "value": {
                format!("{OPERATOR_SCHEMA}:csrUser"): "True",
                "title": "True"
            }}
        ]),
    );
    assert_eq!(u["active"], false);
    assert_eq!(u[OPERATOR_SCHEMA]["csrUser"], true);
    assert_eq!(u["title"], "True", "a string attribute keeps the string");
    assert!(
        notes
            .iter()
            .any(|n| n == "active: string \"False\" coerced to boolean"),
        "{notes:?}"
    );
    assert!(!notes.iter().any(|n| n.starts_with("title")), "{notes:?}");
}

#[test]
fn tolerance_3_pathless_dotted_and_urn_keys() {
    let mut u = user();
    let (_, notes) = ok(
        ResourceKind::User,
        &mut u,
        json!([
            {"op": "replace", "value": {
                "name.givenName": "Ann",
                format!("{ENTERPRISE_SCHEMA}:department"): "Sales",
                "emails[type eq \"work\"].value": "ann@example.com"
            }},
            {"op": "add", "value": {ENTERPRISE_SCHEMA: {"employeeNumber": "701984"}}},
            // Okta deactivation.
            {"op": "replace", "value": {"active": false}}
        ]),
    );
    assert_eq!(u["name"]["givenName"], "Ann");
    assert_eq!(u["name"]["familyName"], "Jensen");
    assert_eq!(
        u[ENTERPRISE_SCHEMA],
        json!({"department": "Sales", "employeeNumber": "701984"})
    );
    assert_eq!(u["emails"][0]["value"], "ann@example.com");
    assert_eq!(u["active"], false);
    assert!(
        notes.contains(&"path-less key \"name.givenName\" applied as a path".to_string()),
        "{notes:?}"
    );
    assert!(
        notes.contains(&format!(
            "path-less key \"{ENTERPRISE_SCHEMA}:department\" applied as a path"
        )),
        "{notes:?}"
    );
}

#[test]
fn tolerance_4_remove_members_with_value_list() {
    let list = json!([{"value": "id1"}, {"value": "id2"}]);
    let ops = json!([{"op": "remove", "path": "members", "value": list}]);
    let mut notes = Vec::new();
    let out = run(
        ResourceKind::Group,
        &mut group(),
        ops.clone(),
        &["members"],
        &mut notes,
    )
    .unwrap();
    assert_eq!(
        out.deltas,
        vec![Delta {
            attr: "members".into(),
            op: DeltaOp::Remove(vec!["id1".into(), "id2".into()])
        }]
    );
    assert!(
        notes.iter().any(|n| n.contains("with a value list")),
        "{notes:?}"
    );

    let mut g = group();
    g["members"] = json!([{"value": "id1"}, {"value": "id3", "type": "User"}, {"value": "id2"}]);
    let (_, notes) = ok(ResourceKind::Group, &mut g, ops);
    assert_eq!(
        g["members"],
        json!([{"value": "id3", "type": "User"}]),
        "exactly those, never all"
    );
    assert!(
        notes.iter().any(|n| n.contains("2 of 2 listed")),
        "{notes:?}"
    );
}

#[test]
fn tolerance_5_filtered_add_creates_missing_entry() {
    let mut u = user();
    u.shift_remove("emails");
    let (_, notes) = ok(
        ResourceKind::User,
        &mut u,
        json!([
            {"op": "add", "path": "emails[type eq \"work\"].value", "value": "ann@example.com"},
            {"op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100"},
            {"op": "replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0199"},
            {"op": "add", "path": "phoneNumbers[type eq \"fax\" and primary eq false]",
             "value": {"value": "+1 555 0111"}}
        ]),
    );
    assert_eq!(
        u["emails"],
        json!([{"type": "work", "value": "ann@example.com"}])
    );
    assert_eq!(
        u["phoneNumbers"],
        json!([
            {"type": "mobile", "value": "+1 555 0199"},
            {"type": "fax", "primary": false, "value": "+1 555 0111"}
        ])
    );
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.contains("no value matched the filter, created"))
            .count(),
        3
    );
    // A filter that names no values to build from still reports noTarget (RFC 7644 3.5.2.3).
    let err = fails(
        ResourceKind::User,
        &u,
        json!([{"op": "replace", "path": "emails[value co \"zzz\"].value", "value": "y"}]),
        &[],
    );
    assert_eq!(err.scim_type, Some(ScimType::NoTarget));
}

#[test]
fn tolerance_6_manager_as_bare_string() {
    let mut u = user();
    let (_, notes) = ok(
        ResourceKind::User,
        &mut u,
        json!([{"op": "replace", "value": {format!("{ENTERPRISE_SCHEMA}:manager"): "boss-1"}}]),
    );
    assert_eq!(u[ENTERPRISE_SCHEMA]["manager"], json!({"value": "boss-1"}));
    assert!(
        notes.iter().any(|n| n.contains("bare string coerced")),
        "{notes:?}"
    );

    u[ENTERPRISE_SCHEMA]["manager"] = json!({"value": "boss-1", "$ref": "../Users/boss-1"});
    ok(
        ResourceKind::User,
        &mut u,
        json!([{"op": "Add", "path": "manager", "value": "boss-2"}]),
    );
    assert_eq!(
        u[ENTERPRISE_SCHEMA]["manager"],
        json!({"value": "boss-2"}),
        "a new manager, not a merge"
    );
}

#[test]
fn tolerance_7_member_objects_with_display_ref_type() {
    let value = json!([{"value": JAMES, "display": "James Smith", "$ref": format!("https://example.com/v2/Users/{JAMES}"), "type": "User"}]);
    let mut notes = Vec::new();
    let out = run(
        ResourceKind::Group,
        &mut group(),
        json!([{"op": "add", "path": "members", "value": value}]),
        &["members"],
        &mut notes,
    )
    .unwrap();
    let DeltaOp::Add(items) = &out.deltas[0].op else {
        panic!("{:?}", out.deltas)
    };
    assert_eq!(items[0]["value"], JAMES);
    assert_eq!(items[0]["type"], "User");
    assert!(items[0].get("$ref").is_some());
    assert!(items[0].get("display").is_none(), "display is readOnly");
    assert!(
        notes.contains(&"members.display is readOnly: ignored".to_string()),
        "{notes:?}"
    );
}

#[test]
fn tolerance_8_remove_member_filters() {
    let ext = &["members"];
    let cases = [
        (format!("members[value eq \"{BABS}\"]"), vec![BABS]),
        (
            format!("members[value eq \"{BABS}\" or value eq \"{JAMES}\"]"),
            vec![BABS, JAMES],
        ),
    ];
    for (path, ids) in cases {
        let mut notes = Vec::new();
        let ops = json!([{"op": "remove", "path": path}]);
        let out = run(ResourceKind::Group, &mut group(), ops, ext, &mut notes).unwrap();
        let want: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        assert_eq!(out.deltas[0].op, DeltaOp::Remove(want));
    }
    for path in [
        "members[type eq \"User\"]",
        "members[value co \"2819\"]",
        "members[value eq \"a\" and type eq \"User\"]",
    ] {
        let ops = json!([{"op": "remove", "path": path}]);
        let err = fails(ResourceKind::Group, &group(), ops.clone(), ext);
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter), "{path}");
        assert!(err.detail.contains("unsupported"), "{}", err.detail);
    }
    // With the members in the document, any filter works.
    let mut g = group();
    g["members"] = json!([{"value": "a", "type": "User"}, {"value": "b", "type": "Group"}]);
    ok(
        ResourceKind::Group,
        &mut g,
        json!([{"op": "remove", "path": "members[type eq \"Group\"]"}]),
    );
    assert_eq!(g["members"], json!([{"value": "a", "type": "User"}]));
}

#[test]
fn tolerance_9_members_replace_and_pathless_deltas() {
    let ext = &["members"];
    let list = json!([{"value": BABS}, {"value": JAMES}]);
    let items = list.as_array().unwrap().clone();
    let mut notes = Vec::new();
    let out = run(
        ResourceKind::Group,
        &mut group(),
        json!([{"op": "replace", "path": "members", "value": list}]),
        ext,
        &mut notes,
    )
    .unwrap();
    assert_eq!(out.deltas[0].op, DeltaOp::Replace(items.clone()));

    let mut g = group();
    let out = run(
        ResourceKind::Group,
        &mut g,
        json!([
            {"op": "add", "value": {"members": list}},
            {"op": "replace", "value": {"members": list, "displayName": "Guides"}}
        ]),
        ext,
        &mut notes,
    )
    .unwrap();
    assert_eq!(out.deltas[0].op, DeltaOp::Add(items.clone()));
    assert_eq!(out.deltas[1].op, DeltaOp::Replace(items));
    assert!(out.changed);
    assert_eq!(g["displayName"], "Guides");
    assert_eq!(
        g["members"],
        group()["members"],
        "external members never touch the document"
    );
}
