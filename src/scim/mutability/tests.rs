//! Table-driven tests of the mutability rules (RFC 7643 2.2, design section 3).

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
fn resent_values_keep_stored_spelling() {
    let r = Registry::load().unwrap();
    let current = user(
        &json!({"name": {"familyName": "Lee", "formatted": "Ann Lee"},
        "emails": [{"value": "Ann@X.com", "type": "work"}, {"value": "a@home.org"}]}),
    );
    let incoming = obj(
        json!({"userName": "ANN", "name": {"familyName": "LEE", "formatted": "ANN LEE"},
        "emails": [{"value": "a@home.org", "display": "home"}, {"value": "ann@x.com", "type": "Work"}]}),
    );
    let mut notes = Vec::new();
    let out = prepare_replace(&r, ResourceKind::User, &current, incoming, &mut notes);
    assert!(check_immutable(&r, ResourceKind::User, &current, &out).is_empty());
    assert_eq!(out["userName"], "ann");
    assert_eq!(
        out["name"],
        json!({"familyName": "Lee", "formatted": "ANN LEE"})
    );
    assert_eq!(
        out["emails"],
        json!([{"value": "a@home.org", "display": "home"},
        {"value": "Ann@X.com", "type": "work"}])
    );
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert!(
        notes[0].starts_with("userName: case-only change ignored"),
        "{notes:?}"
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
    let body =
        obj(json!({"id": "x", "userName": "ann", "password": "secret", "meta": {"version": "x"}}));
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
