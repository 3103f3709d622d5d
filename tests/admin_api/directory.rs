//! Groups, role mappings, the skill catalog and SCIM clients.

use serde_json::{Value, json};

use crate::admin_on_both;
use crate::support::{AdminApp, Auth, assert_error, scim_user};

admin_on_both!(groups_and_role_mappings, async |app: AdminApp| {
    let g = app
        .api(
            "POST",
            "/admin/api/groups",
            Some(json!({"displayName": "Support"})),
        )
        .await;
    assert_eq!(g.status, 201, "{}", g.body);
    let gid = g.body["id"].as_str().unwrap().to_string();
    assert_error(
        &app.api(
            "POST",
            "/admin/api/groups",
            Some(json!({"displayName": "support"})),
        )
        .await,
        409,
        Some("uniqueness"),
    );
    assert_error(
        &app.api("POST", "/admin/api/groups", Some(json!({}))).await,
        400,
        Some("invalidValue"),
    );
    app.api(
        "POST",
        "/admin/api/groups",
        Some(json!({"displayName": "Maintainer"})),
    )
    .await;
    let list = app.api("GET", "/admin/api/groups", None).await;
    let groups = list.body["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["displayName"], "Maintainer");
    assert_eq!(groups[0]["role"], "Maintainer");
    assert_eq!(
        groups[1]["role"],
        Value::Null,
        "no built-in role named Support"
    );
    // Map Support to Read-Only: its members get the role, the Users filter follows.
    let u = app
        .api(
            "POST",
            "/admin/api/users",
            Some(json!({"email": "ann@example.com", "groups": ["Support"]})),
        )
        .await;
    assert_eq!(u.body["roles"], json!([]));
    let m = app
        .api(
            "PUT",
            "/admin/api/role-mappings",
            Some(json!({"group": "Support", "role": "Read-Only"})),
        )
        .await;
    assert_eq!(m.status, 200, "{}", m.body);
    assert_error(
        &app.api(
            "PUT",
            "/admin/api/role-mappings",
            Some(json!({"group": "Support"})),
        )
        .await,
        400,
        Some("invalidValue"),
    );
    let maps = app.api("GET", "/admin/api/role-mappings", None).await;
    assert_eq!(maps.body["mappings"][0]["group"], "Support");
    assert_eq!(maps.body["mappings"][0]["groupId"], gid.as_str());
    assert_eq!(maps.body["mappings"][0]["role"], "Read-Only");
    assert_eq!(
        maps.body["builtinRoles"],
        json!(["DialAiAdmin", "Maintainer", "Read-Only"])
    );
    let one = app
        .api("GET", &format!("/admin/api/groups/{gid}"), None)
        .await;
    assert_eq!(one.body["role"], "Read-Only");
    assert_eq!(one.body["members"][0]["id"], u.body["id"]);
    let ro = app
        .api("GET", "/admin/api/users?role=read-only", None)
        .await;
    assert_eq!(ro.body["totalResults"], 1, "{}", ro.body);
    assert_eq!(
        app.api(
            "GET",
            &format!("/admin/api/users/{}", u.body["id"].as_str().unwrap()),
            None
        )
        .await
        .body["roles"],
        json!(["Read-Only"])
    );
    // Remove the mapping, then the group.
    assert_eq!(
        app.api("DELETE", "/admin/api/role-mappings/SUPPORT", None)
            .await
            .status,
        204
    );
    assert_error(
        &app.api("DELETE", "/admin/api/role-mappings/Support", None)
            .await,
        404,
        None,
    );
    assert_eq!(
        app.api("GET", "/admin/api/users?role=Read-Only", None)
            .await
            .body["totalResults"],
        0
    );
    assert_eq!(
        app.api("DELETE", &format!("/admin/api/groups/{gid}"), None)
            .await
            .status,
        204
    );
    assert_error(
        &app.api("GET", &format!("/admin/api/groups/{gid}"), None)
            .await,
        404,
        None,
    );
    assert_eq!(
        app.api("GET", "/admin/api/groups", None).await.body["groups"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The group's timeline: created, member added, deleted, all by an admin.
    let t = app
        .api("GET", &format!("/admin/api/groups/{gid}/timeline"), None)
        .await;
    let actions: Vec<&str> = t.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["delete", "membership_add", "create"]);
});

admin_on_both!(skill_catalog, async |app: AdminApp| {
    assert_eq!(
        app.api("GET", "/admin/api/skills", None).await.body["skills"],
        json!([])
    );
    let r = app
        .api(
            "POST",
            "/admin/api/skills",
            Some(json!({"names": ["Voice", "billing", " "], "name": "Billing"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["skills"], json!(["billing", "Voice"]));
    assert_error(
        &app.api("POST", "/admin/api/skills", Some(json!({}))).await,
        400,
        Some("invalidValue"),
    );
    // The SCIM schema publishes the catalog.
    let s = app
        .scim(
            "GET",
            "Schemas/urn:dialai:params:scim:schemas:extension:operator:2.0:User",
            None,
        )
        .await;
    assert!(s.body.to_string().contains("Voice"));
    assert_eq!(
        app.api("DELETE", "/admin/api/skills/voice", None)
            .await
            .status,
        204
    );
    assert_error(
        &app.api("DELETE", "/admin/api/skills/voice", None).await,
        404,
        None,
    );
    assert_eq!(
        app.api("GET", "/admin/api/skills", None).await.body["skills"],
        json!(["billing"])
    );
    // A removed skill can no longer be given.
    let r = app
        .api(
            "POST",
            "/admin/api/users",
            Some(json!({"email": "a@example.com", "skills": ["Voice"]})),
        )
        .await;
    assert_error(&r, 400, Some("invalidValue"));
});

admin_on_both!(
    scim_clients_issue_once_list_with_last_use_and_revoke,
    async |app: AdminApp| {
        let r = app
            .api("POST", "/admin/api/clients", Some(json!({"name": "entra"})))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        // The token is shown once: never cached.
        assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
        let token = r.body["token"].as_str().unwrap().to_string();
        let id = r.body["id"].as_str().unwrap().to_string();
        assert_eq!(r.body["scimBaseUrl"], crate::support::BASE);
        assert_error(
            &app.api("POST", "/admin/api/clients", Some(json!({"name": "entra"})))
                .await,
            409,
            Some("uniqueness"),
        );
        let list = app.api("GET", "/admin/api/clients", None).await;
        assert_eq!(list.header("cache-control").as_deref(), Some("no-store"));
        assert!(
            !list.body.to_string().contains(&token),
            "the token is shown once only"
        );
        let entra = |l: &Value| {
            l["clients"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == "entra")
                .cloned()
                .unwrap()
        };
        assert_eq!(entra(&list.body)["lastUsedAt"], Value::Null);
        // The new token works on the SCIM API; its use is recorded.
        let r = app
            .send(
                "POST",
                "/scim/v2/Users",
                Some((
                    "application/scim+json",
                    scim_user("eve").to_string().into_bytes(),
                )),
                Auth::Bearer(&token),
                None,
            )
            .await;
        assert_eq!(r.status, 201);
        let list = app.api("GET", "/admin/api/clients", None).await;
        assert!(entra(&list.body)["lastUsedAt"].is_string(), "{}", list.body);
        // Revoked at once.
        assert_eq!(
            app.api("DELETE", &format!("/admin/api/clients/{id}"), None)
                .await
                .status,
            204
        );
        assert_error(
            &app.api("DELETE", &format!("/admin/api/clients/{id}"), None)
                .await,
            404,
            None,
        );
        assert_error(
            &app.api("DELETE", "/admin/api/clients/not-an-id", None)
                .await,
            404,
            None,
        );
        let r = app
            .send("GET", "/scim/v2/Users", None, Auth::Bearer(&token), None)
            .await;
        assert_eq!(r.status, 401);
        let list = app.api("GET", "/admin/api/clients", None).await;
        assert!(entra(&list.body)["revokedAt"].is_string());
    }
);
