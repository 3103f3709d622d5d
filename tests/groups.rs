//! /Groups on both backends (issue 5): role groups, membership as set deltas, sync events,
//! the user's `groups` attribute and the operator roles derived from groups.

mod common;
#[path = "groups/lists.rs"]
mod lists;
#[path = "groups/patch.rs"]
mod patch;
#[path = "groups/roles.rs"]
mod roles;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};

use common::{BASE, TestApp, user};
use scim_connector::store::Store;
use scim_connector::store::error::StoreError;
use scim_connector::store::schema::{groups, memberships, sync_events};

const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const MS_GROUP_SCHEMA: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A group body with these member ids.
fn group(name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": members})
}

/// A PatchOp body.
fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
}

/// A user with a display name of its own (so `display` of a member can be told apart).
fn named_user(user_name: &str, display: &str) -> Value {
    let mut u = user(user_name);
    u["displayName"] = json!(display);
    u
}

/// Create `n` users `prefix-0..n` and return their ids.
async fn users(app: &TestApp, prefix: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(
            app.create_user(named_user(
                &format!("{prefix}-{i}"),
                &format!("{prefix} {i}"),
            ))
            .await,
        );
    }
    ids
}

/// POST a group and return its id (asserts 201).
async fn create_group(app: &TestApp, body: Value) -> String {
    let r = app.req("POST", "Groups", Some(body)).await;
    assert_eq!(r.status, 201, "create group: {}", r.body);
    r.body["id"].as_str().expect("id").to_string()
}

/// The member ids of a group as SCIM shows them, sorted.
async fn member_ids(app: &TestApp, gid: &str) -> Vec<String> {
    let r = app.req("GET", &format!("Groups/{gid}"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    sorted_ids(&r.body["members"])
}

fn sorted_ids(members: &Value) -> Vec<String> {
    let mut ids: Vec<String> = members
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| m["value"].as_str().expect("value").to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// Ids of a ListResponse's resources, in answer order.
fn list_ids(body: &Value) -> Vec<String> {
    body["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

fn list_names(body: &Value) -> Vec<String> {
    body["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|r| r["displayName"].as_str().expect("displayName").to_string())
        .collect()
}

/// URL-encode a filter or other query value.
fn q(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Assert a SCIM error answer.
fn assert_error(r: &common::Resp, status: u16, scim_type: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body["status"], status.to_string(), "{}", r.body);
    assert_eq!(r.body["scimType"], scim_type, "{}", r.body);
}

/// (action, status, scim_type) of the sync events of a resource, oldest first.
async fn events_of(store: &Store, id: &str) -> Vec<(String, i32, Option<String>)> {
    let rows: Result<Vec<(String, i32, Option<String>)>, StoreError> = async {
        Ok(scim_connector::with_conn!(store, |c, _d| {
            sync_events::table
                .filter(sync_events::resource_id.eq(id))
                .filter(sync_events::action.ne("read"))
                .select((
                    sync_events::action,
                    sync_events::status,
                    sync_events::scim_type,
                ))
                .order((sync_events::at, sync_events::id))
                .load(c)
                .await?
        }))
    }
    .await;
    rows.expect("sync events")
}

/// (last_sync_at, last_sync_client, last_sync_outcome) of a group row.
async fn last_sync(store: &Store, gid: &str) -> (Option<i64>, Option<String>, Option<String>) {
    let row: Result<_, StoreError> = async {
        Ok(scim_connector::with_conn!(store, |c, _d| {
            groups::table
                .filter(groups::id.eq(gid))
                .select((
                    groups::last_sync_at,
                    groups::last_sync_client,
                    groups::last_sync_outcome,
                ))
                .first(c)
                .await?
        }))
    }
    .await;
    row.expect("group row")
}

/// Membership rows of a user (live or not), straight from the table.
async fn membership_rows(store: &Store, uid: &str) -> i64 {
    let n: Result<i64, StoreError> = async {
        Ok(scim_connector::with_conn!(store, |c, _d| {
            memberships::table
                .filter(memberships::user_id.eq(uid))
                .count()
                .get_result(c)
                .await?
        }))
    }
    .await;
    n.expect("count")
}

on_both!(
    create_accepts_member_objects_and_the_microsoft_schema,
    async |app: TestApp| {
        let ids = users(&app, "ann", 2).await;
        let body = json!({
            "schemas": [GROUP_SCHEMA, MS_GROUP_SCHEMA],
            "displayName": "Maintainer",
            "externalId": "okta-00g1",
            "members": [
                {"value": ids[0], "display": "Somebody Else", "$ref": format!("{BASE}/Users/{}", ids[0]), "type": "User"},
                {"value": ids[1]}
            ]
        });
        let r = app.req("POST", "Groups", Some(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let gid = r.body["id"].as_str().unwrap().to_string();
        assert_eq!(
            r.header("location").as_deref(),
            Some(format!("{BASE}/Groups/{gid}").as_str())
        );
        assert_eq!(
            r.header("etag"),
            r.body["meta"]["version"].as_str().map(str::to_string)
        );
        assert_eq!(r.body["schemas"], json!([GROUP_SCHEMA]));
        assert_eq!(r.body["displayName"], "Maintainer");
        assert_eq!(r.body["externalId"], "okta-00g1");
        assert_eq!(r.body["meta"]["resourceType"], "Group");
        assert_eq!(sorted_ids(&r.body["members"]), sorted(&[&ids[0], &ids[1]]));
        // `display` is readOnly (RFC 7643 2.2: a value sent is ignored) and returned only on
        // request: it is the user's name.
        for m in r.body["members"].as_array().unwrap() {
            let id = m["value"].as_str().unwrap();
            assert!(m.get("display").is_none(), "{m}");
            assert_eq!(m["$ref"], format!("{BASE}/Users/{id}"));
            assert_eq!(m["type"], "User");
        }
        let shown = app
            .req(
                "GET",
                &format!("Groups/{gid}?attributes=members.value,members.display"),
                None,
            )
            .await;
        for m in shown.body["members"].as_array().unwrap() {
            let id = m["value"].as_str().unwrap();
            let i = ids.iter().position(|x| x == id).unwrap();
            assert_eq!(m["display"], format!("ann {i}"), "{m}");
        }
        let got = app.req("GET", &format!("Groups/{gid}"), None).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.body["members"].as_array().unwrap().len(), 2);
        assert_eq!(got.body["displayName"], "Maintainer");
        // `display` follows the user: it is read from the account, not stored with the group.
        let rename =
            patch(json!([{"op": "replace", "path": "displayName", "value": "Ann Renamed"}]));
        let r = app
            .req("PATCH", &format!("Users/{}", ids[0]), Some(rename))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let got = app
            .req(
                "GET",
                &format!("Groups/{gid}?attributes=members.value,members.display"),
                None,
            )
            .await;
        let members = got.body["members"].as_array().unwrap();
        let m = members.iter().find(|m| m["value"] == ids[0].as_str());
        assert_eq!(m.expect("member")["display"], "Ann Renamed");
    }
);

on_both!(
    display_name_is_unique_per_tenant_case_insensitively,
    async |app: TestApp| {
        let gid = create_group(&app, group("Maintainer", &[])).await;
        for taken in ["Maintainer", "maintainer", "MAINTAINER"] {
            let r = app.req("POST", "Groups", Some(group(taken, &[]))).await;
            assert_error(&r, 409, "uniqueness");
        }
        // The refused creates left nothing behind; the stored spelling is the original one.
        let r = app.req("GET", "Groups", None).await;
        assert_eq!(r.body["totalResults"], 1);
        assert_eq!(r.body["Resources"][0]["displayName"], "Maintainer");
        // A rename or a PUT onto a taken name is refused the same way.
        let other = create_group(&app, group("Read-Only", &[])).await;
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{other}"),
                Some(patch(
                    json!([{"op": "replace", "path": "displayName", "value": "mAintainer"}]),
                )),
            )
            .await;
        assert_error(&r, 409, "uniqueness");
        let r = app
            .req(
                "PUT",
                &format!("Groups/{other}"),
                Some(group("MAINTAINER", &[])),
            )
            .await;
        assert_error(&r, 409, "uniqueness");
        assert_eq!(
            app.req("GET", &format!("Groups/{other}"), None).await.body["displayName"],
            "Read-Only"
        );
        // Renaming a group to another spelling of its own name is fine.
        let r = app
            .req(
                "PUT",
                &format!("Groups/{gid}"),
                Some(group("MAINTAINER", &[])),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["displayName"], "MAINTAINER");
        // Uniqueness is per tenant: another tenant may use the name.
        let t2 = app.other_tenant_token("t2").await;
        let r = app
            .req_with("POST", "Groups", Some(group("maintainer", &[])), &t2, &[])
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
);

on_both!(get_by_id_with_and_without_members, async |app: TestApp| {
    let ids = users(&app, "bo", 2).await;
    let gid = create_group(&app, group("Read-Only", &[&ids[0], &ids[1]])).await;
    let r = app.req("GET", &format!("Groups/{gid}"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"], gid.as_str());
    assert_eq!(r.body["meta"]["location"], format!("{BASE}/Groups/{gid}"));
    assert_eq!(sorted_ids(&r.body["members"]), sorted(&[&ids[0], &ids[1]]));
    // Entra's constant read: no members at all, everything else there.
    let r = app
        .req(
            "GET",
            &format!("Groups/{gid}?excludedAttributes=members"),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("members").is_none(), "{}", r.body);
    assert_eq!(r.body["displayName"], "Read-Only");
    assert_eq!(r.body["id"], gid.as_str());
    // attributes=displayName: id (returned always) and displayName only.
    let r = app
        .req("GET", &format!("Groups/{gid}?attributes=displayName"), None)
        .await;
    assert!(r.body.get("members").is_none(), "{}", r.body);
    assert_eq!(r.body["displayName"], "Read-Only");
    assert_eq!(r.body["id"], gid.as_str());
    // attributes=members.value: members with only their value.
    let r = app
        .req(
            "GET",
            &format!("Groups/{gid}?attributes=members.value"),
            None,
        )
        .await;
    assert_eq!(sorted_ids(&r.body["members"]), sorted(&[&ids[0], &ids[1]]));
    assert!(r.body["members"][0].get("display").is_none(), "{}", r.body);
    // Unknown, malformed and other tenants' ids are 404 (RFC 7644 3.4.1).
    let unknown = uuid::Uuid::new_v4().to_string();
    for path in [format!("Groups/{unknown}"), "Groups/not-a-uuid".to_string()] {
        let r = app.req("GET", &path, None).await;
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        assert_eq!(r.body["status"], "404");
    }
    let t2 = app.other_tenant_token("t2").await;
    let r = app
        .req_with("GET", &format!("Groups/{gid}"), None, &t2, &[])
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    // Nor can another tenant change or delete it (the write paths read the group by primary
    // key and compare its tenant on the row).
    let before = app.req("GET", &format!("Groups/{gid}"), None).await;
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                       "Operations": [{"op": "remove", "path": "members"}]});
    let put = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                     "displayName": "Taken Over"});
    for (method, body) in [("PATCH", Some(patch)), ("PUT", Some(put)), ("DELETE", None)] {
        let r = app
            .req_with(method, &format!("Groups/{gid}"), body, &t2, &[])
            .await;
        assert_eq!(r.status, 404, "{method}: {}", r.body);
    }
    let after = app.req("GET", &format!("Groups/{gid}"), None).await;
    assert_eq!(after.status, 200);
    assert_eq!(
        after.header("etag"),
        before.header("etag"),
        "{}",
        after.body
    );
    assert_eq!(
        sorted_ids(&after.body["members"]),
        sorted_ids(&before.body["members"])
    );
});

on_both!(put_replaces_membership_exactly, async |app: TestApp| {
    let ids = users(&app, "di", 4).await;
    let gid = create_group(&app, group("Maintainer", &[&ids[0], &ids[1], &ids[2]])).await;
    // Swap: keep 2, drop 0 and 1, add 3.
    let r = app
        .req(
            "PUT",
            &format!("Groups/{gid}"),
            Some(group("Maintainer", &[&ids[2], &ids[3]])),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(sorted_ids(&r.body["members"]), sorted(&[&ids[2], &ids[3]]));
    assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[2], &ids[3]]));
    // A full swap to a disjoint set.
    let r = app
        .req(
            "PUT",
            &format!("Groups/{gid}"),
            Some(group("Maintainer", &[&ids[0], &ids[1]])),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[0], &ids[1]]));
    // A PUT may rename and change members at once; repeated ids count once.
    let r = app
        .req(
            "PUT",
            &format!("Groups/{gid}"),
            Some(group("Maintainers", &[&ids[1], &ids[1], &ids[3]])),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["displayName"], "Maintainers");
    assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[1], &ids[3]]));
    // An empty members list clears the membership (RFC 7644 3.5.1: `[]` clears all values).
    let r = app
        .req(
            "PUT",
            &format!("Groups/{gid}"),
            Some(group("Maintainers", &[])),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(member_ids(&app, &gid).await, Vec::<String>::new());
    // A PUT of an unknown group is 404.
    let unknown = uuid::Uuid::new_v4();
    let r = app
        .req("PUT", &format!("Groups/{unknown}"), Some(group("X", &[])))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
});

on_both!(
    deleting_a_user_removes_it_from_every_member_list,
    async |app: TestApp| {
        let ids = users(&app, "lea", 2).await;
        let g1 = create_group(&app, group("Maintainer", &[&ids[0], &ids[1]])).await;
        let g2 = create_group(&app, group("Read-Only", &[&ids[0]])).await;
        assert_eq!(
            app.req("DELETE", &format!("Users/{}", ids[0]), None)
                .await
                .status,
            204
        );
        assert_eq!(member_ids(&app, &g1).await, [ids[1].as_str()]);
        assert_eq!(member_ids(&app, &g2).await, Vec::<String>::new());
        let f = format!("members[value eq \"{}\"]", ids[0]);
        let r = app
            .req("GET", &format!("Groups?filter={}", q(&f)), None)
            .await;
        assert_eq!(r.body["totalResults"], 0);
        let r = app
            .req("GET", &format!("Groups?filter={}", q("members pr")), None)
            .await;
        assert_eq!(list_ids(&r.body), [g1.as_str()]);
        // History stays in the database (design section 3: soft delete).
        assert_eq!(membership_rows(&app.store, &ids[0]).await, 2);
        // A deactivated (not deleted) user stays a member.
        let body = json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "active", "value": false}]});
        assert_eq!(
            app.req("PATCH", &format!("Users/{}", ids[1]), Some(body))
                .await
                .status,
            200
        );
        assert_eq!(member_ids(&app, &g1).await, [ids[1].as_str()]);
    }
);

on_both!(
    delete_group_is_a_soft_delete_and_frees_the_name,
    async |app: TestApp| {
        let ids = users(&app, "max", 1).await;
        let gid = create_group(&app, group("Maintainer", &[&ids[0]])).await;
        let r = app.req("DELETE", &format!("Groups/{gid}"), None).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(r.body, Value::Null);
        for (method, body) in [
            ("GET", None),
            ("DELETE", None),
            ("PUT", Some(group("Maintainer", &[]))),
            (
                "PATCH",
                Some(patch(
                    json!([{"op": "add", "path": "members", "value": [{"value": ids[0]}]}]),
                )),
            ),
        ] {
            let r = app.req(method, &format!("Groups/{gid}"), body).await;
            assert_eq!(r.status, 404, "{method}: {}", r.body);
        }
        assert_eq!(app.req("GET", "Groups", None).await.body["totalResults"], 0);
        // The user no longer lists it.
        let u = app.req("GET", &format!("Users/{}", ids[0]), None).await;
        assert!(u.body.get("groups").is_none(), "{}", u.body);
        // The name is free for a new group, which starts empty.
        let again = create_group(&app, group("maintainer", &[])).await;
        assert_ne!(again, gid);
        assert_eq!(member_ids(&app, &again).await, Vec::<String>::new());
    }
);

on_both!(if_match_is_checked_atomically, async |app: TestApp| {
    let ids = users(&app, "ned", 2).await;
    let gid = create_group(&app, group("Maintainer", &[&ids[0]])).await;
    let path = format!("Groups/{gid}");
    let etag = app
        .req("GET", &path, None)
        .await
        .header("etag")
        .expect("etag");
    let token = app.token.clone();
    let stale = [("If-Match", "W/\"999\"")];
    let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": ids[1]}]}]));
    let r = app
        .req_with("PATCH", &path, Some(add.clone()), &token, &stale)
        .await;
    assert_eq!(r.status, 412, "{}", r.body);
    assert_eq!(r.body["status"], "412");
    let r = app
        .req_with("PUT", &path, Some(group("Renamed", &[])), &token, &stale)
        .await;
    assert_eq!(r.status, 412, "{}", r.body);
    assert_eq!(
        app.req_with("DELETE", &path, None, &token, &stale)
            .await
            .status,
        412
    );
    let got = app.req("GET", &path, None).await;
    assert_eq!(got.body["displayName"], "Maintainer");
    assert_eq!(sorted_ids(&got.body["members"]), [ids[0].as_str()]);
    // If-None-Match with the current version: 304.
    let r = app
        .req_with("GET", &path, None, &token, &[("If-None-Match", &etag)])
        .await;
    assert_eq!(r.status, 304);
    // The current version applies, once; replaying it is stale.
    let current = [("If-Match", etag.as_str())];
    assert_eq!(
        app.req_with("PATCH", &path, Some(add.clone()), &token, &current)
            .await
            .status,
        204
    );
    assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[0], &ids[1]]));
    let r = app
        .req_with(
            "PATCH",
            &path,
            Some(patch(json!([{"op": "remove", "path": "members"}]))),
            &token,
            &current,
        )
        .await;
    assert_eq!(r.status, 412, "{}", r.body);
    assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[0], &ids[1]]));
});

on_both!(
    every_write_leaves_a_sync_event_and_the_last_sync_columns,
    async |app: TestApp| {
        let ids = users(&app, "ola", 2).await;
        let client = app.store.list_clients(app.tenant).await.unwrap()[0]
            .id
            .to_string();
        let gid = create_group(&app, group("Maintainer", &[&ids[0]])).await;
        let (at, by, outcome) = last_sync(&app.store, &gid).await;
        assert!(at.is_some());
        assert_eq!(by.as_deref(), Some(client.as_str()));
        assert_eq!(outcome.as_deref(), Some("ok"));
        let path = format!("Groups/{gid}");
        let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": ids[1]}]}]));
        assert_eq!(app.req("PATCH", &path, Some(add)).await.status, 204);
        let remove =
            patch(json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", ids[0])}]));
        assert_eq!(app.req("PATCH", &path, Some(remove)).await.status, 204);
        let rename = patch(json!([{"op": "replace", "path": "displayName", "value": "Read-Only"}]));
        assert_eq!(app.req("PATCH", &path, Some(rename)).await.status, 204);
        let bad = patch(json!([{"op": "add", "path": "members", "value": [{"value": "nobody"}]}]));
        assert_eq!(app.req("PATCH", &path, Some(bad)).await.status, 400);
        let (_, _, outcome) = last_sync(&app.store, &gid).await;
        assert_eq!(outcome.as_deref(), Some("rejected"));
        assert_eq!(
            app.req("PUT", &path, Some(group("Read-Only", &[&ids[0]])))
                .await
                .status,
            200
        );
        let (after_put, _, outcome) = last_sync(&app.store, &gid).await;
        assert_eq!(outcome.as_deref(), Some("ok"));
        assert!(after_put >= at);
        assert_eq!(app.req("DELETE", &path, None).await.status, 204);
        let events = events_of(&app.store, &gid).await;
        let actions: Vec<(&str, i32)> = events.iter().map(|e| (e.0.as_str(), e.1)).collect();
        assert_eq!(
            actions,
            [
                ("create", 201),
                ("membership_add", 204),
                ("membership_remove", 204),
                ("update", 204),
                ("rejected", 400),
                // A PUT that only swaps members is a membership change.
                ("membership_change", 200),
                ("delete", 204),
            ]
        );
        assert_eq!(events[4].2.as_deref(), Some("invalidValue"));
        let (_, _, outcome) = last_sync(&app.store, &gid).await;
        assert_eq!(outcome.as_deref(), Some("ok"));
    }
);

/// A user's groups as SCIM shows them, `(value, display)` sorted, read three ways that
/// must agree: by id, in the unfiltered page (each backend's deferred page) and in a list
/// filtered by id.
async fn user_groups(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let pairs = |groups: &Value| {
        let mut v: Vec<(String, String)> = groups
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|g| {
                        (
                            g["value"].as_str().expect("value").to_string(),
                            g["display"].as_str().expect("display").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let r = app.req("GET", &format!("Users/{id}"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let by_id = pairs(&r.body["groups"]);
    let r = app.req("GET", "Users?startIndex=1&count=100", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let row = r.body["Resources"]
        .as_array()
        .and_then(|a| a.iter().find(|u| u["id"] == id))
        .expect("the user is on the page");
    assert_eq!(pairs(&row["groups"]), by_id, "page and read by id agree");
    let r = app
        .req(
            "GET",
            &format!("Users?filter={}", q(&format!("id eq \"{id}\""))),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        pairs(&r.body["Resources"][0]["groups"]),
        by_id,
        "filtered list and read by id agree"
    );
    by_id
}

on_both!(
    a_users_groups_follow_renames_replaces_and_deletes,
    async |app: TestApp| {
        // A user's groups are kept with the user (migration 000014): every change of a
        // membership, of a group's name or of its life shows on its members at once.
        let ids = users(&app, "fol", 3).await;
        let g1 = create_group(&app, group("Alpha", &[&ids[0], &ids[1]])).await;
        let g2 = create_group(&app, group("Beta", &[&ids[0]])).await;
        let pair = |g: &String, name: &str| (g.clone(), name.to_string());
        let mut want = vec![pair(&g1, "Alpha"), pair(&g2, "Beta")];
        want.sort();
        assert_eq!(user_groups(&app, &ids[0]).await, want);
        assert_eq!(user_groups(&app, &ids[1]).await, [pair(&g1, "Alpha")]);
        assert_eq!(user_groups(&app, &ids[2]).await, []);
        // A rename, by PATCH.
        let body = patch(json!([{"op": "replace", "path": "displayName", "value": "Alpha 2"}]));
        let r = app.req("PATCH", &format!("Groups/{g1}"), Some(body)).await;
        assert!(
            r.status == 200 || r.status == 204,
            "{} {}",
            r.status,
            r.body
        );
        let mut want = vec![pair(&g1, "Alpha 2"), pair(&g2, "Beta")];
        want.sort();
        assert_eq!(user_groups(&app, &ids[0]).await, want);
        assert_eq!(user_groups(&app, &ids[1]).await, [pair(&g1, "Alpha 2")]);
        // A replace of the members and a rename in one PUT.
        let r = app
            .req(
                "PUT",
                &format!("Groups/{g2}"),
                Some(group("Beta 2", &[&ids[1], &ids[2]])),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(user_groups(&app, &ids[0]).await, [pair(&g1, "Alpha 2")]);
        let mut want = vec![pair(&g1, "Alpha 2"), pair(&g2, "Beta 2")];
        want.sort();
        assert_eq!(user_groups(&app, &ids[1]).await, want);
        assert_eq!(user_groups(&app, &ids[2]).await, [pair(&g2, "Beta 2")]);
        // Every member removed.
        let body = patch(json!([{"op": "remove", "path": "members"}]));
        let r = app.req("PATCH", &format!("Groups/{g2}"), Some(body)).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(user_groups(&app, &ids[1]).await, [pair(&g1, "Alpha 2")]);
        assert_eq!(user_groups(&app, &ids[2]).await, []);
        // A deleted group is no one's group.
        let r = app.req("DELETE", &format!("Groups/{g1}"), None).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(user_groups(&app, &ids[0]).await, []);
        assert_eq!(user_groups(&app, &ids[1]).await, []);
    }
);

on_both!(
    member_changes_of_groups_sharing_users_never_wait_in_a_cycle,
    async |app: TestApp| {
        // Adding or removing a member rewrites the user's row (its groups are kept there):
        // two groups changing the same users, named in opposite orders, at once. Every
        // transaction takes its users in id order, so none waits on another in a cycle
        // (PostgreSQL would end it by failing one, which answers 503).
        let ids = users(&app, "cyc", 40).await;
        let ga = create_group(&app, group("CycA", &[])).await;
        let gb = create_group(&app, group("CycB", &[])).await;
        let forward: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
        let backward: Vec<Value> = forward.iter().rev().cloned().collect();
        let op = |op: &str, members: &[Value]| {
            patch(json!([{"op": op, "path": "members", "value": members}]))
        };
        for round in 0..12 {
            for kind in ["add", "remove"] {
                let answers = futures_util::future::join_all([
                    app.req("PATCH", &format!("Groups/{ga}"), Some(op(kind, &forward))),
                    app.req("PATCH", &format!("Groups/{gb}"), Some(op(kind, &backward))),
                    // A rename locks every member of its group.
                    app.req(
                        "PATCH",
                        &format!("Groups/{ga}"),
                        Some(patch(json!([{"op": "replace", "path": "displayName",
                            "value": format!("CycA {round} {kind}")}]))),
                    ),
                ])
                .await;
                for r in answers {
                    assert!(
                        r.status == 200 || r.status == 204,
                        "round {round} {kind}: {} {}",
                        r.status,
                        r.body
                    );
                }
            }
        }
        for (gid, members) in [(&ga, &forward), (&gb, &backward)] {
            let r = app
                .req("PATCH", &format!("Groups/{gid}"), Some(op("add", members)))
                .await;
            assert_eq!(r.status, 204, "{}", r.body);
        }
        let mut want = vec![
            (ga.clone(), "CycA 11 remove".to_string()),
            (gb.clone(), "CycB".to_string()),
        ];
        want.sort();
        for id in [&ids[0], &ids[39]] {
            assert_eq!(user_groups(&app, id).await, want);
        }
    }
);

on_both!(user_resources_list_their_groups, async |app: TestApp| {
    let ids = users(&app, "pia", 2).await;
    let g1 = create_group(&app, group("Maintainer", &[&ids[0]])).await;
    let g2 = create_group(&app, group("DialAiAdmin", &[&ids[0], &ids[1]])).await;
    let r = app.req("GET", &format!("Users/{}", ids[0]), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let groups = r.body["groups"].as_array().expect("groups").clone();
    assert_eq!(groups.len(), 2, "{}", r.body);
    for (gid, name) in [(&g1, "Maintainer"), (&g2, "DialAiAdmin")] {
        let g = groups
            .iter()
            .find(|g| g["value"] == gid.as_str())
            .expect("group listed");
        assert_eq!(g["$ref"], format!("{BASE}/Groups/{gid}"));
        assert_eq!(g["display"], name);
        assert_eq!(g["type"], "direct");
    }
    // In lists too, and projected away on request.
    let f = q(&format!("id eq \"{}\"", ids[1]));
    let r = app.req("GET", &format!("Users?filter={f}"), None).await;
    assert_eq!(sorted_ids(&r.body["Resources"][0]["groups"]), [g2.as_str()]);
    let r = app
        .req(
            "GET",
            &format!("Users/{}?excludedAttributes=groups", ids[0]),
            None,
        )
        .await;
    assert!(r.body.get("groups").is_none(), "{}", r.body);
    // Leaving a group shows at once.
    let body = patch(json!([{"op": "remove", "path": "members", "value": [{"value": ids[0]}]}]));
    assert_eq!(
        app.req("PATCH", &format!("Groups/{g1}"), Some(body))
            .await
            .status,
        204
    );
    let r = app.req("GET", &format!("Users/{}", ids[0]), None).await;
    assert_eq!(sorted_ids(&r.body["groups"]), [g2.as_str()]);
    // `groups` is readOnly (RFC 7643 4.1.2): a PUT that sends it changes no membership.
    let mut body = named_user("pia-1", "pia 1");
    body["groups"] = json!([{"value": g1}]);
    let r = app
        .req("PUT", &format!("Users/{}", ids[1]), Some(body))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(member_ids(&app, &g1).await, Vec::<String>::new());
});
