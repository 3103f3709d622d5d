//! /Groups on both backends (issue 5): role groups, membership as set deltas, sync events,
//! the user's `groups` attribute and the operator roles derived from groups.

mod common;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::future::join_all;
use serde_json::{Value, json};

use common::{BASE, TestApp, user};
use scim_connector::domain::ids::AccountId;
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
        // `display` is readOnly (RFC 7643 2.2: a value sent is ignored): it is the user's name.
        for m in r.body["members"].as_array().unwrap() {
            let id = m["value"].as_str().unwrap();
            let i = ids.iter().position(|x| x == id).unwrap();
            assert_eq!(m["display"], format!("ann {i}"), "{m}");
            assert_eq!(m["$ref"], format!("{BASE}/Users/{id}"));
            assert_eq!(m["type"], "User");
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
        let got = app.req("GET", &format!("Groups/{gid}"), None).await;
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
});

on_both!(
    list_filters_by_display_name_and_member,
    async |app: TestApp| {
        let ids = users(&app, "cy", 3).await;
        let admins = create_group(&app, group("DialAiAdmin", &[&ids[0]])).await;
        let maint = create_group(&app, group("Maintainer", &[&ids[0], &ids[1]])).await;
        let _ro = create_group(&app, group("Read-Only", &[])).await;
        // displayName is caseExact false (schemas/group.json): eq ignores case.
        let r = app
            .req(
                "GET",
                &format!("Groups?filter={}", q("displayName eq \"maintainer\"")),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["totalResults"], 1);
        assert_eq!(list_ids(&r.body), [maint.as_str()]);
        assert_eq!(r.body["Resources"][0]["displayName"], "Maintainer");
        // Okta's lookup with startIndex/count.
        let r = app
            .req(
                "GET",
                &format!(
                    "Groups?filter={}&startIndex=1&count=100",
                    q("displayName eq \"DIALAIADMIN\"")
                ),
                None,
            )
            .await;
        assert_eq!(list_ids(&r.body), [admins.as_str()]);
        // Member filters, both spellings; the member id is caseExact.
        for f in [
            format!("members[value eq \"{}\"]", ids[0]),
            format!("members.value eq \"{}\"", ids[0]),
        ] {
            let r = app
                .req(
                    "GET",
                    &format!("Groups?filter={}&sortBy=displayName", q(&f)),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{f}: {}", r.body);
            assert_eq!(list_ids(&r.body), [admins.as_str(), maint.as_str()], "{f}");
        }
        let f = format!("members[value eq \"{}\"]", ids[1]);
        let r = app
            .req("GET", &format!("Groups?filter={}", q(&f)), None)
            .await;
        assert_eq!(list_ids(&r.body), [maint.as_str()]);
        let f = format!(
            "displayName eq \"dialaiadmin\" and members.value eq \"{}\"",
            ids[1]
        );
        let r = app
            .req("GET", &format!("Groups?filter={}", q(&f)), None)
            .await;
        assert_eq!(r.body["totalResults"], 0);
        // A filter matching nothing is 200 with an empty list (design section 2).
        let f = format!("members.value eq \"{}\"", ids[2]);
        let r = app
            .req("GET", &format!("Groups?filter={}", q(&f)), None)
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["totalResults"], 0);
        assert_eq!(r.body["Resources"], json!([]));
        // Lists render members unless excluded.
        let f = "displayName eq \"Maintainer\"";
        let r = app
            .req("GET", &format!("Groups?filter={}", q(f)), None)
            .await;
        assert_eq!(
            sorted_ids(&r.body["Resources"][0]["members"]),
            sorted(&[&ids[0], &ids[1]])
        );
        let r = app
            .req(
                "GET",
                &format!("Groups?filter={}&excludedAttributes=members", q(f)),
                None,
            )
            .await;
        assert!(
            r.body["Resources"][0].get("members").is_none(),
            "{}",
            r.body
        );
        assert_eq!(r.body["Resources"][0]["displayName"], "Maintainer");
        // POST /Groups/.search takes the same filter.
        let search = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": format!("members[value eq \"{}\"]", ids[1]),
            "excludedAttributes": ["members"]
        });
        let r = app.req("POST", "Groups/.search", Some(search)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(list_ids(&r.body), [maint]);
        assert!(r.body["Resources"][0].get("members").is_none());
    }
);

on_both!(
    list_sorts_and_pages_by_index_and_cursor,
    async |app: TestApp| {
        for name in ["G-c", "g-a", "G-e", "g-b", "G-d"] {
            create_group(&app, group(name, &[])).await;
        }
        // caseExact false: sorting ignores case (RFC 7644 3.4.2.3).
        let r = app.req("GET", "Groups?sortBy=displayName", None).await;
        assert_eq!(list_names(&r.body), ["g-a", "g-b", "G-c", "G-d", "G-e"]);
        let r = app
            .req(
                "GET",
                "Groups?sortBy=displayName&sortOrder=descending",
                None,
            )
            .await;
        assert_eq!(list_names(&r.body), ["G-e", "G-d", "G-c", "g-b", "g-a"]);
        // Index paging (RFC 7644 3.4.2.4): 1-based startIndex, totalResults over all pages.
        let r = app
            .req(
                "GET",
                "Groups?sortBy=displayName&startIndex=2&count=2",
                None,
            )
            .await;
        assert_eq!(r.body["totalResults"], 5);
        assert_eq!(r.body["itemsPerPage"], 2);
        assert_eq!(r.body["startIndex"], 2);
        assert_eq!(list_names(&r.body), ["g-b", "G-c"]);
        let r = app
            .req(
                "GET",
                "Groups?sortBy=displayName&startIndex=5&count=2",
                None,
            )
            .await;
        assert_eq!(list_names(&r.body), ["G-e"]);
        let r = app.req("GET", "Groups?count=0", None).await;
        assert_eq!(r.body["totalResults"], 5);
        assert_eq!(r.body["Resources"], json!([]));
        // Cursor paging (RFC 9865): every group exactly once, no nextCursor on the last page.
        let mut seen = Vec::new();
        let mut cursor = String::new();
        for page in 0.. {
            assert!(page < 5, "cursor paging does not end");
            let r = app
                .req(
                    "GET",
                    &format!("Groups?count=2&cursor={}", q(&cursor)),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert!(r.body.get("startIndex").is_none(), "{}", r.body);
            seen.extend(list_names(&r.body));
            match r.body["nextCursor"].as_str() {
                Some(next) => {
                    assert_eq!(r.body["itemsPerPage"], 2);
                    cursor = next.to_string();
                }
                None => break,
            }
        }
        seen.sort_by_key(|s| s.to_lowercase());
        assert_eq!(seen, ["g-a", "g-b", "G-c", "G-d", "G-e"]);
        // A cursor this service did not issue is 400 invalidCursor (RFC 9865 2.1).
        let r = app.req("GET", "Groups?count=2&cursor=bogus", None).await;
        assert_error(&r, 400, "invalidCursor");
    }
);

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
    patch_add_answers_204_unless_attributes_are_requested,
    async |app: TestApp| {
        let ids = users(&app, "ed", 2).await;
        let gid = create_group(&app, group("Read-Only", &[])).await;
        let add =
            |id: &str| patch(json!([{"op": "add", "path": "members", "value": [{"value": id}]}]));
        let r = app
            .req("PATCH", &format!("Groups/{gid}"), Some(add(&ids[0])))
            .await;
        // RFC 7644 3.5.2: the server may answer 204 with no body.
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(r.body, Value::Null);
        assert_eq!(member_ids(&app, &gid).await, [ids[0].as_str()]);
        // With `attributes` the client asks for the resource: 200 and the projection.
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}?attributes=members"),
                Some(add(&ids[1])),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["id"], gid.as_str());
        assert_eq!(sorted_ids(&r.body["members"]), sorted(&[&ids[0], &ids[1]]));
        assert!(r.body.get("displayName").is_none(), "{}", r.body);
        assert_eq!(
            r.header("etag"),
            r.body["meta"]["version"].as_str().map(str::to_string)
        );
        // Entra's op spelling and a path-less add of members.
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}?excludedAttributes=members"),
                Some(patch(json!([
                    {"op": "Remove", "path": "members", "value": [{"value": ids[0]}]},
                    {"op": "Add", "value": {"members": [{"value": ids[0], "display": "ignored"}]}}
                ]))),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.get("members").is_none(), "{}", r.body);
        assert_eq!(r.body["displayName"], "Read-Only");
        assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[0], &ids[1]]));
    }
);

on_both!(
    patch_replace_of_members_sets_exactly_the_new_list,
    async |app: TestApp| {
        let ids = users(&app, "eli", 4).await;
        let gid = create_group(&app, group("Maintainer", &[&ids[0], &ids[1], &ids[2]])).await;
        // RFC 7644 3.5.2.3: replace of a multi-valued attribute replaces all of its values.
        let body = patch(
            json!([{"op": "replace", "path": "members", "value": [{"value": ids[2]}, {"value": ids[3]}]}]),
        );
        let r = app.req("PATCH", &format!("Groups/{gid}"), Some(body)).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[2], &ids[3]]));
        // Several operations apply in order within one request (RFC 7644 3.5.2).
        let body = patch(json!([
            {"op": "remove", "path": "members"},
            {"op": "add", "path": "members", "value": [{"value": ids[0]}]},
            {"op": "replace", "path": "displayName", "value": "Read-Only"}
        ]));
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}?attributes=displayName,members"),
                Some(body),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["displayName"], "Read-Only");
        assert_eq!(sorted_ids(&r.body["members"]), [ids[0].as_str()]);
    }
);

on_both!(
    adding_an_existing_member_is_a_no_op,
    async |app: TestApp| {
        let ids = users(&app, "fay", 2).await;
        let gid = create_group(&app, group("Maintainer", &[&ids[0]])).await;
        let before = app.req("GET", &format!("Groups/{gid}"), None).await.body;
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(
                    json!([{"op": "add", "path": "members", "value": [{"value": ids[0]}]}]),
                )),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let after = app.req("GET", &format!("Groups/{gid}"), None).await.body;
        assert_eq!(sorted_ids(&after["members"]), [ids[0].as_str()]);
        // RFC 7644 3.5.2.1: "Unless other operations change the resource, this operation SHALL
        // NOT change the modify timestamp of the resource." Nor its version (no ETag churn).
        assert_eq!(
            after["meta"]["lastModified"],
            before["meta"]["lastModified"]
        );
        assert_eq!(after["meta"]["version"], before["meta"]["version"]);
        // Removing an absent member is a no-op as well (Entra's value-list remove).
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(
                    json!([{"op": "remove", "path": "members", "value": [{"value": ids[1]}]}]),
                )),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let again = app.req("GET", &format!("Groups/{gid}"), None).await.body;
        assert_eq!(again["meta"]["version"], before["meta"]["version"]);
        assert_eq!(sorted_ids(&again["members"]), [ids[0].as_str()]);
        // A real change does move the version.
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(
                    json!([{"op": "add", "path": "members", "value": [{"value": ids[1]}]}]),
                )),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let changed = app.req("GET", &format!("Groups/{gid}"), None).await.body;
        assert_ne!(changed["meta"]["version"], before["meta"]["version"]);
    }
);

on_both!(
    entra_remove_with_a_value_list_removes_exactly_those,
    async |app: TestApp| {
        let ids = users(&app, "gus", 4).await;
        let all: Vec<&str> = ids.iter().map(String::as_str).collect();
        let gid = create_group(&app, group("Maintainer", &all)).await;
        let body = patch(
            json!([{"op": "Remove", "path": "members", "value": [{"value": ids[0]}, {"value": ids[1]}]}]),
        );
        let r = app.req("PATCH", &format!("Groups/{gid}"), Some(body)).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[2], &ids[3]]));
    }
);

on_both!(
    remove_by_filter_removes_one_and_remove_without_value_removes_all,
    async |app: TestApp| {
        let ids = users(&app, "hal", 3).await;
        let all: Vec<&str> = ids.iter().map(String::as_str).collect();
        let gid = create_group(&app, group("Maintainer", &all)).await;
        // Okta's form: a value filter on members (RFC 7644 3.5.2.2).
        let one =
            patch(json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", ids[1])}]));
        let r = app
            .req("PATCH", &format!("Groups/{gid}"), Some(one.clone()))
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[0], &ids[2]]));
        // Removing an absent member is a no-op, not noTarget: RFC 7644 3.5.2.2 asks for noTarget
        // only when "path" is unspecified, and an IdP retrying a removal must not fail (issue 5).
        let r = app.req("PATCH", &format!("Groups/{gid}"), Some(one)).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[0], &ids[2]]));
        // Filters other than `value eq` joined by `or` are refused, nothing removed.
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(
                    json!([{"op": "remove", "path": "members[display eq \"hal 0\"]"}]),
                )),
            )
            .await;
        assert_error(&r, 400, "invalidFilter");
        assert_eq!(member_ids(&app, &gid).await, sorted(&[&ids[0], &ids[2]]));
        // `or` of ids removes each; put one back first.
        let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": ids[1]}]}]));
        assert_eq!(
            app.req("PATCH", &format!("Groups/{gid}"), Some(add))
                .await
                .status,
            204
        );
        let two = patch(
            json!([{"op": "remove", "path": format!("members[value eq \"{}\" or value eq \"{}\"]", ids[0], ids[1])}]),
        );
        assert_eq!(
            app.req("PATCH", &format!("Groups/{gid}"), Some(two))
                .await
                .status,
            204
        );
        assert_eq!(member_ids(&app, &gid).await, [ids[2].as_str()]);
        // `remove` of the attribute with no value: all values go (RFC 7644 3.5.2.2).
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(json!([{"op": "remove", "path": "members"}]))),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        let got = app.req("GET", &format!("Groups/{gid}"), None).await;
        assert_eq!(sorted_ids(&got.body["members"]), Vec::<String>::new());
        assert_eq!(got.body["displayName"], "Maintainer");
        // The users themselves are untouched.
        for id in &ids {
            assert_eq!(
                app.req("GET", &format!("Users/{id}"), None).await.status,
                200
            );
        }
        // A remove with no path at all is 400 noTarget (RFC 7644 3.5.2.2).
        let r = app
            .req(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(json!([{"op": "remove"}]))),
            )
            .await;
        assert_error(&r, 400, "noTarget");
    }
);

on_both!(okta_rename_with_a_pathless_replace, async |app: TestApp| {
    let ids = users(&app, "ida", 1).await;
    let gid = create_group(&app, group("Support", &[&ids[0]])).await;
    // Okta sends the readOnly `id` along with the new name: ignored, not refused.
    let body = patch(json!([{"op": "replace", "value": {"id": gid, "displayName": "Maintainer"}}]));
    let r = app.req("PATCH", &format!("Groups/{gid}"), Some(body)).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let got = app.req("GET", &format!("Groups/{gid}"), None).await;
    assert_eq!(got.body["displayName"], "Maintainer");
    assert_eq!(got.body["id"], gid.as_str());
    assert_eq!(sorted_ids(&got.body["members"]), [ids[0].as_str()]);
    // The old name is free again; the new one is found by filter.
    create_group(&app, group("support", &[])).await;
    let r = app
        .req(
            "GET",
            &format!("Groups?filter={}", q("displayName eq \"maintainer\"")),
            None,
        )
        .await;
    assert_eq!(list_ids(&r.body), [gid.as_str()]);
    // A replace with a path works too; the user's `groups` shows the new name.
    let body = patch(json!([{"op": "replace", "path": "displayName", "value": "Read-Only"}]));
    assert_eq!(
        app.req("PATCH", &format!("Groups/{gid}"), Some(body))
            .await
            .status,
        204
    );
    let u = app.req("GET", &format!("Users/{}", ids[0]), None).await;
    assert_eq!(u.body["groups"][0]["display"], "Read-Only");
    // displayName is required: it cannot be removed (RFC 7644 3.5.2.2).
    let body = patch(json!([{"op": "remove", "path": "displayName"}]));
    let r = app.req("PATCH", &format!("Groups/{gid}"), Some(body)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        app.req("GET", &format!("Groups/{gid}"), None).await.body["displayName"],
        "Read-Only"
    );
});

on_both!(
    invalid_member_ids_are_refused_and_nothing_applies,
    async |app: TestApp| {
        let ids = users(&app, "jo", 3).await;
        let gone = ids[2].clone();
        assert_eq!(
            app.req("DELETE", &format!("Users/{gone}"), None)
                .await
                .status,
            204
        );
        let t2 = app.other_tenant_token("t2").await;
        let r = app
            .req_with("POST", "Users", Some(user("foreigner")), &t2, &[])
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let foreign = r.body["id"].as_str().unwrap().to_string();
        let unknown = uuid::Uuid::new_v4().to_string();
        let gid = create_group(&app, group("Maintainer", &[&ids[0]])).await;
        let version =
            app.req("GET", &format!("Groups/{gid}"), None).await.body["meta"]["version"].clone();
        // A group is not a member either: members are users (schemas/group.json).
        let other_group = create_group(&app, group("Support", &[])).await;
        for bad in [
            unknown.as_str(),
            "not-a-uuid",
            gone.as_str(),
            foreign.as_str(),
            other_group.as_str(),
        ] {
            // POST: no group is created.
            let r = app
                .req("POST", "Groups", Some(group("Read-Only", &[&ids[1], bad])))
                .await;
            assert_error(&r, 400, "invalidValue");
            let f = q("displayName eq \"Read-Only\"");
            assert_eq!(
                app.req("GET", &format!("Groups?filter={f}"), None)
                    .await
                    .body["totalResults"],
                0,
                "{bad}"
            );
            // PATCH: one valid and one invalid member: neither is added, and the rename in the
            // same request does not apply (RFC 7644 3.5.2: a PATCH is atomic).
            let body = patch(json!([
                {"op": "replace", "path": "displayName", "value": "Renamed"},
                {"op": "add", "path": "members", "value": [{"value": ids[1]}, {"value": bad}]}
            ]));
            let r = app.req("PATCH", &format!("Groups/{gid}"), Some(body)).await;
            assert_error(&r, 400, "invalidValue");
            // PATCH replace of the member list, and PUT: membership is unchanged.
            let body = patch(
                json!([{"op": "replace", "path": "members", "value": [{"value": ids[1]}, {"value": bad}]}]),
            );
            assert_error(
                &app.req("PATCH", &format!("Groups/{gid}"), Some(body)).await,
                400,
                "invalidValue",
            );
            let r = app
                .req(
                    "PUT",
                    &format!("Groups/{gid}"),
                    Some(group("Renamed", &[&ids[1], bad])),
                )
                .await;
            assert_error(&r, 400, "invalidValue");
            let got = app.req("GET", &format!("Groups/{gid}"), None).await.body;
            assert_eq!(got["displayName"], "Maintainer", "{bad}");
            assert_eq!(sorted_ids(&got["members"]), [ids[0].as_str()], "{bad}");
            assert_eq!(got["meta"]["version"], version, "{bad}");
        }
        // The other tenant's user is not in any of this tenant's groups.
        let u = app
            .req_with("GET", &format!("Users/{foreign}"), None, &t2, &[])
            .await;
        assert!(u.body.get("groups").is_none(), "{}", u.body);
    }
);

on_both!(concurrent_member_adds_all_land, async |app: TestApp| {
    let ids = users(&app, "kit", 16).await;
    let gid = create_group(&app, group("Maintainer", &[])).await;
    let path = format!("Groups/{gid}");
    let answers = join_all(ids.iter().map(|id| {
        let body = patch(json!([{"op": "add", "path": "members", "value": [{"value": id}]}]));
        app.req("PATCH", &path, Some(body))
    }))
    .await;
    for r in &answers {
        assert_eq!(r.status, 204, "{}", r.body);
    }
    let all: Vec<&String> = ids.iter().collect();
    assert_eq!(member_ids(&app, &gid).await, sorted(&all));
    // One membership_add event per request.
    let adds = events_of(&app.store, &gid)
        .await
        .iter()
        .filter(|e| e.0 == "membership_add")
        .count();
    assert_eq!(adds, 16);
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

/// The effective roles of an account.
async fn roles(app: &TestApp, uid: &str) -> Vec<String> {
    app.store
        .roles_of(app.tenant, AccountId::parse(uid).unwrap())
        .await
        .expect("roles")
}

/// Rows of the `operator_roles` view for a user, as the platform reads them.
async fn view_rows(store: &Store, uid: &str) -> Vec<(String, String, String)> {
    use scim_connector::store::roles::operator_roles;
    let rows: Result<Vec<(String, String, String)>, StoreError> = async {
        Ok(scim_connector::with_conn!(store, |c, _d| {
            operator_roles::table
                .filter(operator_roles::user_id.eq(uid))
                .select((
                    operator_roles::tenant_id,
                    operator_roles::user_id,
                    operator_roles::role,
                ))
                .order(operator_roles::role)
                .load(c)
                .await?
        }))
    }
    .await;
    rows.expect("operator_roles")
}

on_both!(
    roles_default_to_the_builtin_role_of_the_same_name,
    async |app: TestApp| {
        let ids = users(&app, "rae", 4).await;
        create_group(&app, group("maintainer", &[&ids[0]])).await;
        create_group(&app, group("READ-ONLY", &[&ids[1]])).await;
        create_group(&app, group("DialAiAdmin", &[&ids[2]])).await;
        create_group(&app, group("Support", &[&ids[3]])).await;
        assert_eq!(roles(&app, &ids[0]).await, ["Maintainer"]);
        assert_eq!(roles(&app, &ids[1]).await, ["Read-Only"]);
        assert_eq!(roles(&app, &ids[2]).await, ["DialAiAdmin"]);
        // A group with no built-in name and no mapping grants nothing.
        assert_eq!(roles(&app, &ids[3]).await, Vec::<String>::new());
        let tenant = app.tenant.to_string();
        assert_eq!(
            view_rows(&app.store, &ids[0]).await,
            [(tenant, ids[0].clone(), "Maintainer".to_string())]
        );
        assert!(view_rows(&app.store, &ids[3]).await.is_empty());
        // An unknown account has no roles.
        assert!(
            roles(&app, &uuid::Uuid::new_v4().to_string())
                .await
                .is_empty()
        );
    }
);

on_both!(
    an_admin_mapping_overrides_the_default,
    async |app: TestApp| {
        let ids = users(&app, "sam", 2).await;
        create_group(&app, group("Support", &[&ids[0]])).await;
        let maint = create_group(&app, group("Maintainer", &[&ids[1]])).await;
        // `scim-connector role map`, matched by displayName case-insensitively.
        app.store
            .map_role(app.tenant, "SUPPORT", "Maintainer")
            .await
            .unwrap();
        app.store
            .map_role(app.tenant, "maintainer", "Read-Only")
            .await
            .unwrap();
        assert_eq!(roles(&app, &ids[0]).await, ["Maintainer"]);
        assert_eq!(roles(&app, &ids[1]).await, ["Read-Only"]);
        // Mapping again replaces the earlier mapping.
        app.store
            .map_role(app.tenant, "Support", "DialAiAdmin")
            .await
            .unwrap();
        assert_eq!(roles(&app, &ids[0]).await, ["DialAiAdmin"]);
        // A rename moves the group onto the mapping of its new name.
        let body = patch(json!([{"op": "replace", "path": "displayName", "value": "Escalations"}]));
        assert_eq!(
            app.req("PATCH", &format!("Groups/{maint}"), Some(body))
                .await
                .status,
            204
        );
        assert!(roles(&app, &ids[1]).await.is_empty());
        // A mapping made before the group exists applies once it is pushed.
        app.store
            .map_role(app.tenant, "Night Shift", "Maintainer")
            .await
            .unwrap();
        let night = create_group(&app, group("night shift", &[&ids[1]])).await;
        assert_eq!(roles(&app, &ids[1]).await, ["Maintainer"]);
        assert_eq!(
            app.req("DELETE", &format!("Groups/{night}"), None)
                .await
                .status,
            204
        );
        // Mappings are per tenant: another tenant's mapping of the same name changes nothing here.
        let _t2 = app.other_tenant_token("t2").await;
        let t2 = app.store.tenant_by_slug("t2").await.unwrap().unwrap();
        app.store
            .map_role(t2.id, "Support", "Read-Only")
            .await
            .unwrap();
        assert_eq!(roles(&app, &ids[0]).await, ["DialAiAdmin"]);
    }
);

on_both!(roles_are_the_union_over_groups, async |app: TestApp| {
    let ids = users(&app, "tia", 2).await;
    create_group(&app, group("Maintainer", &[&ids[0], &ids[1]])).await;
    create_group(&app, group("Read-Only", &[&ids[0]])).await;
    create_group(&app, group("Admins", &[&ids[0]])).await;
    create_group(&app, group("Ops", &[&ids[0]])).await;
    app.store
        .map_role(app.tenant, "Admins", "DialAiAdmin")
        .await
        .unwrap();
    // Two groups granting one role give it once.
    app.store
        .map_role(app.tenant, "Ops", "Maintainer")
        .await
        .unwrap();
    assert_eq!(
        roles(&app, &ids[0]).await,
        ["DialAiAdmin", "Maintainer", "Read-Only"]
    );
    assert_eq!(roles(&app, &ids[1]).await, ["Maintainer"]);
    assert_eq!(view_rows(&app.store, &ids[0]).await.len(), 3);
});

on_both!(
    deleted_groups_and_users_grant_no_roles,
    async |app: TestApp| {
        let ids = users(&app, "uma", 2).await;
        let admins = create_group(&app, group("DialAiAdmin", &[&ids[0], &ids[1]])).await;
        let maint = create_group(&app, group("Maintainer", &[&ids[0]])).await;
        assert_eq!(roles(&app, &ids[0]).await, ["DialAiAdmin", "Maintainer"]);
        assert_eq!(
            app.req("DELETE", &format!("Groups/{admins}"), None)
                .await
                .status,
            204
        );
        assert_eq!(roles(&app, &ids[0]).await, ["Maintainer"]);
        assert!(roles(&app, &ids[1]).await.is_empty());
        assert_eq!(
            app.req("DELETE", &format!("Users/{}", ids[0]), None)
                .await
                .status,
            204
        );
        assert!(roles(&app, &ids[0]).await.is_empty());
        assert!(view_rows(&app.store, &ids[0]).await.is_empty());
        // A removed member loses the role at once.
        let body = patch(json!([{"op": "add", "path": "members", "value": [{"value": ids[1]}]}]));
        assert_eq!(
            app.req("PATCH", &format!("Groups/{maint}"), Some(body))
                .await
                .status,
            204
        );
        assert_eq!(roles(&app, &ids[1]).await, ["Maintainer"]);
        let body = patch(json!([{"op": "remove", "path": "members"}]));
        assert_eq!(
            app.req("PATCH", &format!("Groups/{maint}"), Some(body))
                .await
                .status,
            204
        );
        assert!(roles(&app, &ids[1]).await.is_empty());
    }
);
