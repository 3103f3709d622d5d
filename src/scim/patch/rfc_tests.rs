//! Every PATCH example of RFC 7644 3.5.2.1-3.5.2.3, applied both to a document and, for
//! Group `members`, as deltas of an attribute kept outside the document.

use serde_json::{Value, json};

use super::tests::{BABS, JAMES, group, ok, run, user};
use super::*;
use crate::scim::registry::ResourceKind;

fn members(ids: &[&str]) -> Value {
    Value::Array(
        ids.iter()
            .map(|id| {
                let name = if *id == BABS { "Babs Jensen" } else { "James Smith" };
                json!({"display": name, "$ref": format!("https://example.com/v2/Users/{id}"), "value": id})
            })
            .collect(),
    )
}

fn stored_members(ids: &[&str]) -> Value {
    Value::Array(
        ids.iter()
            .map(|id| json!({"$ref": format!("https://example.com/v2/Users/{id}"), "value": id}))
            .collect(),
    )
}

// ---- RFC 7644 3.5.2.1 (add) ----

#[test]
fn rfc_3_5_2_1_add_member() {
    let ops = json!([{"op": "add", "path": "members", "value": members(&[JAMES])}]);
    let mut g = group();
    g.shift_remove("members");
    let (out, notes) = ok(ResourceKind::Group, &mut g, ops.clone());
    assert_eq!(g["members"], stored_members(&[JAMES]));
    assert!(out.changed);
    assert!(
        notes.contains(&"members.display is readOnly: ignored".to_string()),
        "{notes:?}"
    );

    let mut g = group();
    let before = g.clone();
    let mut notes = Vec::new();
    let out = run(ResourceKind::Group, &mut g, ops, &["members"], &mut notes).unwrap();
    assert_eq!(g, before);
    assert!(!out.changed);
    assert_eq!(
        out.deltas,
        vec![Delta {
            attr: "members".into(),
            op: DeltaOp::Add(stored_members(&[JAMES]).as_array().unwrap().clone())
        }]
    );
}

#[test]
fn rfc_3_5_2_1_add_without_path() {
    let mut u = user();
    u.shift_remove("emails");
    let ops = json!([{
        "op": "add",
        "value": {"emails": [{"value": "babs@jensen.org", "type": "home"}], "nickname": "Babs"}
    }]);
    ok(ResourceKind::User, &mut u, ops);
    assert_eq!(
        u["emails"],
        json!([{"value": "babs@jensen.org", "type": "home"}])
    );
    assert_eq!(u["nickName"], "Babs");
}

// ---- RFC 7644 3.5.2.2 (remove) ----

#[test]
fn rfc_3_5_2_2_remove_single_member() {
    let ops = json!([{"op": "remove", "path": format!("members[value eq \"{BABS}\"]")}]);
    let mut g = group();
    ok(ResourceKind::Group, &mut g, ops.clone());
    assert!(g.get("members").is_none(), "no values left: unassigned");

    let mut notes = Vec::new();
    let out = run(
        ResourceKind::Group,
        &mut group(),
        ops,
        &["members"],
        &mut notes,
    )
    .unwrap();
    assert_eq!(out.deltas[0].op, DeltaOp::Remove(vec![BABS.into()]));
}

#[test]
fn rfc_3_5_2_2_remove_all_members() {
    let ops = json!([{"op": "remove", "path": "members"}]);
    let mut g = group();
    ok(ResourceKind::Group, &mut g, ops.clone());
    assert!(g.get("members").is_none());
    let out = run(
        ResourceKind::Group,
        &mut group(),
        ops,
        &["members"],
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(out.deltas[0].op, DeltaOp::RemoveAll);
}

#[test]
fn rfc_3_5_2_2_remove_complex_value() {
    let mut u = user();
    u["emails"] = json!([
        {"value": "babs@example.com", "type": "work"},
        {"value": "babs@jensen.org", "type": "home"}
    ]);
    let ops =
        json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]);
    ok(ResourceKind::User, &mut u, ops);
    assert_eq!(
        u["emails"],
        json!([{"value": "babs@jensen.org", "type": "home"}])
    );
}

#[test]
fn rfc_3_5_2_2_remove_and_add_member() {
    // The RFC writes `value eq\"…\"` without a space; the path keeps that spelling.
    let ops = json!([
        {"op": "remove", "path": format!("members[value eq\"{BABS}\"]")},
        {"op": "add", "path": "members", "value": members(&[JAMES])}
    ]);
    let mut g = group();
    ok(ResourceKind::Group, &mut g, ops.clone());
    assert_eq!(g["members"], stored_members(&[JAMES]));
    let out = run(
        ResourceKind::Group,
        &mut group(),
        ops,
        &["members"],
        &mut Vec::new(),
    )
    .unwrap();
    let ops: Vec<DeltaOp> = out.deltas.into_iter().map(|d| d.op).collect();
    assert_eq!(
        ops,
        vec![
            DeltaOp::Remove(vec![BABS.into()]),
            DeltaOp::Add(stored_members(&[JAMES]).as_array().unwrap().clone())
        ]
    );
}

#[test]
fn rfc_3_5_2_2_remove_all_then_add() {
    let ops = json!([
        {"op": "remove", "path": "members"},
        {"op": "add", "path": "members", "value": members(&[BABS, JAMES])}
    ]);
    let mut g = group();
    ok(ResourceKind::Group, &mut g, ops.clone());
    assert_eq!(g["members"], stored_members(&[BABS, JAMES]));
    let out = run(
        ResourceKind::Group,
        &mut group(),
        ops,
        &["members"],
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(out.deltas[0].op, DeltaOp::RemoveAll);
    assert!(matches!(&out.deltas[1].op, DeltaOp::Add(v) if v.len() == 2));
}

// ---- RFC 7644 3.5.2.3 (replace) ----

#[test]
fn rfc_3_5_2_3_replace_members() {
    let ops = json!([{"op": "replace", "path": "members", "value": members(&[BABS, JAMES])}]);
    let mut g = group();
    ok(ResourceKind::Group, &mut g, ops.clone());
    assert_eq!(g["members"], stored_members(&[BABS, JAMES]));
    let out = run(
        ResourceKind::Group,
        &mut group(),
        ops,
        &["members"],
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(
        out.deltas[0].op,
        DeltaOp::Replace(stored_members(&[BABS, JAMES]).as_array().unwrap().clone())
    );
}

#[test]
fn rfc_3_5_2_3_replace_work_address() {
    let work = json!({
        "type": "work",
        "streetAddress": "911 Universal City Plaza",
        "locality": "Hollywood",
        "region": "CA",
        "postalCode": "91608",
        "country": "US",
        "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
        "primary": true
    });
    let ops = json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": work}]);
    let mut u = user();
    let (_, notes) = ok(ResourceKind::User, &mut u, ops);
    assert_eq!(u["addresses"][0], work);
    // RFC 7643 2.4: the home address loses its primary flag.
    assert!(u["addresses"][1].get("primary").is_none());
    assert!(
        notes.iter().any(|n| n.contains("primary moved")),
        "{notes:?}"
    );
}

#[test]
fn rfc_3_5_2_3_replace_street_address() {
    let ops = json!([{
        "op": "replace",
        "path": "addresses[type eq \"work\"].streetAddress",
        "value": "1010 Broadway Ave"
    }]);
    let mut u = user();
    ok(ResourceKind::User, &mut u, ops);
    assert_eq!(u["addresses"][0]["streetAddress"], "1010 Broadway Ave");
    assert_eq!(u["addresses"][0]["locality"], "Hollywood");
    assert_eq!(u["addresses"][1]["streetAddress"], "456 Hollywood Blvd");
}

#[test]
fn rfc_3_5_2_3_replace_without_path() {
    let emails = json!([
        {"value": "bjensen@example.com", "type": "work", "primary": true},
        {"value": "babs@jensen.org", "type": "home"}
    ]);
    let ops = json!([{"op": "replace", "value": {"emails": emails, "nickname": "Babs"}}]);
    let mut u = user();
    u["emails"] = json!([{"value": "old@example.com"}]);
    ok(ResourceKind::User, &mut u, ops);
    assert_eq!(u["emails"], emails);
    assert_eq!(u["nickName"], "Babs");
}
