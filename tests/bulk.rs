//! /Bulk (RFC 7644 3.7) on both backends.

mod common;

use serde_json::{Value, json};

use common::{TestApp, user};

const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

fn ops_of(r: &Value) -> Vec<Value> {
    r["Operations"].as_array().cloned().unwrap_or_default()
}

on_both!(
    group_references_users_created_in_the_same_request,
    async |app: TestApp| {
        // The group comes first: it waits until the users it references exist.
        let body = json!({"schemas": [BULK], "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Tour Guides",
                "members": [{"value": "bulkId:a"}, {"value": "bulkId:b"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": user("bulk-a")},
            {"method": "POST", "path": "/Users", "bulkId": "b", "data": user("bulk-b")},
            {"method": "PATCH", "path": "/Users/bulkId:a", "data": {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "displayName", "value": "Alice"}]}}
        ]});
        let r = app.req("POST", "Bulk", Some(body)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
        );
        let ops = ops_of(&r.body);
        let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["201", "201", "201", "200"], "{}", r.body);
        let group_loc = ops[0]["location"].as_str().unwrap();
        let gid = group_loc.rsplit('/').next().unwrap();
        let g = app
            .req(
                "GET",
                &format!("Groups/{gid}?attributes=members.value,members.display"),
                None,
            )
            .await;
        let members: Vec<&str> = g.body["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["display"].as_str().unwrap())
            .collect();
        assert_eq!(members.len(), 2);
        assert!(members.contains(&"Alice"), "{members:?}");
        // Each operation left its own sync event.
        let users = app
            .req("GET", "Users?filter=userName%20sw%20%22bulk-%22", None)
            .await;
        assert_eq!(users.body["totalResults"], 2);
    }
);

on_both!(fail_on_errors_stops_processing, async |app: TestApp| {
    app.create_user(user("taken")).await;
    let body = json!({"schemas": [BULK], "failOnErrors": 1, "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "x", "data": user("taken")},
        {"method": "POST", "path": "/Users", "bulkId": "y", "data": user("never-created")}
    ]});
    let r = app.req("POST", "Bulk", Some(body)).await;
    assert_eq!(r.status, 200);
    let ops = ops_of(&r.body);
    assert_eq!(ops.len(), 1, "{}", r.body);
    assert_eq!(ops[0]["status"], "409");
    assert_eq!(ops[0]["response"]["scimType"], "uniqueness");
    let r = app
        .req(
            "GET",
            "Users?filter=userName%20eq%20%22never-created%22",
            None,
        )
        .await;
    assert_eq!(r.body["totalResults"], 0);
});

on_both!(
    unresolvable_and_circular_references_are_409,
    async |app: TestApp| {
        let body = json!({"schemas": [BULK], "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "g1", "data": {"displayName": "A", "members": [{"value": "bulkId:g2"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "g2", "data": {"displayName": "B", "members": [{"value": "bulkId:g1"}]}},
            {"method": "DELETE", "path": "/Users/bulkId:nobody"}
        ]});
        let r = app.req("POST", "Bulk", Some(body)).await;
        let statuses: Vec<String> = ops_of(&r.body)
            .iter()
            .map(|o| o["status"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(statuses, ["409", "409", "409"], "{}", r.body);
        assert_eq!(app.req("GET", "Groups", None).await.body["totalResults"], 0);
    }
);

on_both!(limits_and_malformed_requests, async |app: TestApp| {
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"method": "DELETE", "path": format!("/Users/{i}")}))
        .collect();
    let r = app
        .req(
            "POST",
            "Bulk",
            Some(json!({"schemas": [BULK], "Operations": many})),
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.body);
    let r = app
        .req("POST", "Bulk", Some(json!({"Operations": []})))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["scimType"], "invalidSyntax");
    let r = app
        .req(
            "POST",
            "Bulk",
            Some(json!({"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Elsewhere", "bulkId": "q", "data": {}}]})),
        )
        .await;
    assert_eq!(ops_of(&r.body)[0]["status"], "400");
    let spc = app.req("GET", "ServiceProviderConfig", None).await;
    assert_eq!(spc.body["bulk"]["maxOperations"], 1000);
});

on_both!(
    versioned_operations_honour_if_match,
    async |app: TestApp| {
        let id = app.create_user(user("versioned")).await;
        let body = json!({"schemas": [BULK], "Operations": [
            {"method": "DELETE", "path": format!("/Users/{id}"), "version": "W/\"99\""}
        ]});
        let r = app.req("POST", "Bulk", Some(body)).await;
        assert_eq!(ops_of(&r.body)[0]["status"], "412", "{}", r.body);
        assert_eq!(
            app.req("GET", &format!("Users/{id}"), None).await.status,
            200
        );
    }
);
