//! Credentials, sessions, CSRF and tenant isolation.

use serde_json::json;

use crate::admin_on_both;
use crate::support::{AdminApp, Auth, assert_error, oidc_session, scim_user, session_from};

admin_on_both!(
    credentials_are_required_and_kept_apart,
    async |app: AdminApp| {
        let r = app
            .call_as("GET", "/admin/api/users", None, Auth::None)
            .await;
        assert_error(&r, 401, None);
        // Admin API answers, refusals included, are never cached.
        assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
        // A SCIM token is no admin token, and an admin token opens no SCIM endpoint.
        let scim = app.scim.clone();
        assert_error(
            &app.call_as("GET", "/admin/api/users", None, Auth::Bearer(&scim))
                .await,
            401,
            None,
        );
        let admin = app.admin.clone();
        let r = app
            .send("GET", "/scim/v2/Users", None, Auth::Bearer(&admin), None)
            .await;
        assert_eq!(r.status, 401);
        assert_error(
            &app.call_as(
                "GET",
                "/admin/api/users",
                None,
                Auth::Bearer("scadm_forged"),
            )
            .await,
            401,
            None,
        );
        assert_eq!(app.api("GET", "/admin/api/users", None).await.status, 200);
        let s = app.api("GET", "/admin/api/session", None).await;
        assert_eq!(s.body["via"], "token");
        assert_eq!(s.body["subject"], "ops");
        assert_eq!(s.body["csrfToken"], serde_json::Value::Null);
        // Revoked at once.
        let n = app
            .store
            .revoke_admin_token(app.tenant, "ops", app.clock.micros())
            .await
            .unwrap();
        assert_eq!(n, 1);
        assert_error(&app.api("GET", "/admin/api/users", None).await, 401, None);
        // Unknown admin endpoints answer error bodies too.
        let t = scim_connector::app::issue_admin_token(&app.store, app.tenant, "ops2", 0)
            .await
            .unwrap();
        assert_error(
            &app.call_as("GET", "/admin/api/nothing", None, Auth::Bearer(&t))
                .await,
            404,
            None,
        );
    }
);

admin_on_both!(
    one_time_link_opens_a_session_once_and_from_loopback_only,
    async |app: AdminApp| {
        let now = app.clock.micros();
        let secret = scim_connector::app::issue_login_link(&app.store, app.tenant, now)
            .await
            .unwrap();
        let path = format!("/admin/login/link?token={secret}");
        let far = app
            .send("GET", &path, None, Auth::None, Some("203.0.113.9:5000"))
            .await;
        assert_eq!(far.status, 403);
        assert!(session_from(&far).is_none());
        // A refusal page carries the console pages' headers.
        assert_eq!(far.header("cache-control").as_deref(), Some("no-store"));
        assert!(
            far.header("content-security-policy").is_some_and(
                |c| c.contains("default-src 'self'") && c.contains("frame-ancestors 'none'")
            ),
            "{:?}",
            far.headers
        );
        assert_eq!(far.header("x-frame-options").as_deref(), Some("DENY"));
        let r = app.send("GET", &path, None, Auth::None, None).await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location").as_deref(), Some("/admin"));
        let set = r.header("set-cookie").unwrap();
        for part in ["HttpOnly", "SameSite=Lax", "Path=/admin", "Max-Age=28800"] {
            assert!(set.contains(part), "{set}");
        }
        assert!(!set.contains("Secure"), "plain http: {set}");
        // Used once.
        assert_eq!(
            app.send("GET", &path, None, Auth::None, None).await.status,
            403
        );
    }
);

admin_on_both!(
    cookies_are_secure_behind_https,
    scim_connector::http::admin::AdminSettings {
        public_url: "https://scim.example.com".into(),
        ..Default::default()
    },
    async |app: AdminApp| {
        let now = app.clock.micros();
        let secret = scim_connector::app::issue_login_link(&app.store, app.tenant, now)
            .await
            .unwrap();
        let r = app
            .send(
                "GET",
                &format!("/admin/login/link?token={secret}"),
                None,
                Auth::None,
                None,
            )
            .await;
        assert!(r.header("set-cookie").unwrap().contains("; Secure"));
    }
);

admin_on_both!(
    state_changing_session_requests_need_the_csrf_token,
    async |app: AdminApp| {
        let (cookie, csrf) = app.sign_in().await;
        let body = json!({"name": "Ann Lee", "email": "ann@example.com"});
        // Reads need no token.
        assert_eq!(
            app.call_as("GET", "/admin/api/users", None, Auth::Cookie(&cookie, None))
                .await
                .status,
            200
        );
        // Writes without it, or with a wrong one, are refused and change nothing.
        for bad in [None, Some("wrong"), Some("")] {
            let r = app
                .call_as(
                    "POST",
                    "/admin/api/users",
                    Some(body.clone()),
                    Auth::Cookie(&cookie, bad),
                )
                .await;
            assert_error(&r, 403, None);
            assert!(r.body["detail"].as_str().unwrap().contains("CSRF"));
        }
        for (m, p) in [
            (
                "PATCH",
                "/admin/api/users/00000000-0000-0000-0000-000000000000",
            ),
            ("DELETE", "/admin/api/skills/x"),
            ("POST", "/admin/logout"),
        ] {
            assert_eq!(
                app.call_as(m, p, Some(json!({})), Auth::Cookie(&cookie, None))
                    .await
                    .status,
                403,
                "{m} {p}"
            );
        }
        assert_eq!(
            app.api("GET", "/admin/api/users", None).await.body["totalResults"],
            0
        );
        let r = app
            .call_as(
                "POST",
                "/admin/api/users",
                Some(body),
                Auth::Cookie(&cookie, Some(&csrf)),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        // A bearer-token request carries no cookie: no CSRF token needed.
        let r = app
            .api(
                "POST",
                "/admin/api/skills",
                Some(json!({"name": "billing"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        // Logout ends the session.
        let r = app
            .call_as(
                "POST",
                "/admin/logout",
                None,
                Auth::Cookie(&cookie, Some(&csrf)),
            )
            .await;
        assert_eq!(r.status, 303);
        assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
        assert_error(
            &app.call_as("GET", "/admin/api/users", None, Auth::Cookie(&cookie, None))
                .await,
            401,
            None,
        );
    }
);

admin_on_both!(sessions_expire_after_eight_hours, async |app: AdminApp| {
    let (cookie, _) = app.sign_in().await;
    app.clock
        .advance(chrono::Duration::hours(8) - chrono::Duration::seconds(5));
    assert_eq!(
        app.call_as("GET", "/admin/api/users", None, Auth::Cookie(&cookie, None))
            .await
            .status,
        200
    );
    app.clock.advance(chrono::Duration::seconds(10));
    assert_error(
        &app.call_as("GET", "/admin/api/users", None, Auth::Cookie(&cookie, None))
            .await,
        401,
        None,
    );
    let now = app.clock.micros();
    assert!(app.store.prune_expired_credentials(now).await.unwrap() >= 1);
});

admin_on_both!(
    an_admin_of_one_tenant_sees_nothing_of_another,
    async |app: AdminApp| {
        // Tenant t1: a user from the IdP, a group, a skill, events.
        let r = app.scim("POST", "Users", Some(scim_user("ann"))).await;
        assert_eq!(r.status, 201);
        let uid = r.body["id"].as_str().unwrap().to_string();
        let g = app
            .api(
                "POST",
                "/admin/api/groups",
                Some(json!({"displayName": "Maintainer"})),
            )
            .await;
        let gid = g.body["id"].as_str().unwrap().to_string();
        app.api(
            "POST",
            "/admin/api/skills",
            Some(json!({"name": "billing"})),
        )
        .await;
        app.api(
            "PUT",
            "/admin/api/role-mappings",
            Some(json!({"group": "Support", "role": "Read-Only"})),
        )
        .await;
        let (_, other, _) = app.other_tenant("t2").await;
        let app_ref = &app;
        let as_b = move |m: &'static str, p: String, b: Option<serde_json::Value>| {
            let other = other.clone();
            async move { app_ref.call_as(m, &p, b, Auth::Bearer(&other)).await }
        };
        let list = as_b("GET", "/admin/api/users".into(), None).await;
        assert_eq!(list.body["totalResults"], 0, "{}", list.body);
        assert_eq!(
            as_b("GET", "/admin/api/users?email=ann".to_string(), None)
                .await
                .body["users"],
            json!([])
        );
        assert_error(
            &as_b("GET", format!("/admin/api/users/{uid}"), None).await,
            404,
            None,
        );
        assert_error(
            &as_b(
                "PATCH",
                format!("/admin/api/users/{uid}"),
                Some(json!({"maxChats": 2})),
            )
            .await,
            404,
            None,
        );
        let del = as_b(
            "DELETE",
            format!("/admin/api/users/{uid}"),
            Some(json!({"confirmEmail": "ann@example.com"})),
        )
        .await;
        assert_error(&del, 404, None);
        assert_eq!(
            as_b("GET", format!("/admin/api/users/{uid}/timeline"), None)
                .await
                .body["events"],
            json!([])
        );
        assert_eq!(
            as_b("GET", format!("/admin/api/groups/{gid}/timeline"), None)
                .await
                .body["events"],
            json!([])
        );
        assert_error(
            &as_b("GET", format!("/admin/api/groups/{gid}"), None).await,
            404,
            None,
        );
        assert_error(
            &as_b("DELETE", format!("/admin/api/groups/{gid}"), None).await,
            404,
            None,
        );
        assert_eq!(
            as_b("GET", "/admin/api/groups".into(), None).await.body["groups"],
            json!([])
        );
        assert_eq!(
            as_b("GET", "/admin/api/skills".into(), None).await.body["skills"],
            json!([])
        );
        assert_eq!(
            as_b("GET", "/admin/api/role-mappings".into(), None)
                .await
                .body["mappings"],
            json!([])
        );
        // Tenant t2's log holds only its own refused attempts on ids it named, nothing of t1's.
        let events = as_b("GET", "/admin/api/events".into(), None).await;
        assert!(
            events.body["events"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["status"] == 404 && e["actor"] == "admin"),
            "{}",
            events.body
        );
        let clients = as_b("GET", "/admin/api/clients".into(), None).await;
        assert_eq!(
            clients.body["clients"].as_array().unwrap().len(),
            1,
            "only its own client"
        );
        assert_eq!(clients.body["clients"][0]["name"], "entra");
        let okta =
            app.api("GET", "/admin/api/clients", None).await.body["clients"][0]["id"].clone();
        assert_error(
            &as_b(
                "DELETE",
                format!("/admin/api/clients/{}", okta.as_str().unwrap()),
                None,
            )
            .await,
            404,
            None,
        );
        let status = as_b("GET", "/admin/api/sync/status".into(), None).await;
        assert_eq!(
            status.body["accounts"],
            json!({"active": 0, "deactivated": 0, "deleted": 0})
        );
        assert_eq!(status.body["clients"].as_array().unwrap().len(), 1);
        assert_eq!(status.body["clients"][0]["requests24h"], 0);
        // Tenant t1 still has everything.
        assert_eq!(
            app.api("GET", &format!("/admin/api/users/{uid}"), None)
                .await
                .status,
            200
        );
        assert_eq!(
            app.api("GET", "/admin/api/clients", None).await.body["clients"][0]["revokedAt"],
            serde_json::Value::Null
        );
    }
);

/// A CSRF case: method, route pattern, concrete path, body (content type, bytes).
type CsrfCase = (
    &'static str,
    &'static str,
    String,
    Option<(&'static str, Vec<u8>)>,
);

/// The state-changing routes `configure` registers (method, path pattern), read from the
/// source so a new route cannot be added without joining the CSRF table below.
fn registered_state_changing_routes() -> Vec<(String, String)> {
    let src = include_str!("../../src/http/admin/mod.rs");
    let body = src
        .split("pub fn configure")
        .nth(1)
        .expect("configure in src/http/admin/mod.rs");
    let mut out = Vec::new();
    let mut resource = String::new();
    let mut rest = body;
    loop {
        let next_resource = rest.find("web::resource(\"");
        let next_route = ["post", "patch", "put", "delete"]
            .iter()
            .filter_map(|m| rest.find(&format!("web::{m}()")).map(|i| (i, *m)))
            .min();
        match (next_resource, next_route) {
            (Some(r), Some((m, _))) if r < m => {
                let after = &rest[r + "web::resource(\"".len()..];
                let end = after.find('"').expect("resource path");
                resource = after[..end].to_string();
                rest = &after[end..];
            }
            (_, Some((m, method))) => {
                let path = if resource.starts_with("/admin") {
                    resource.clone()
                } else {
                    format!("/admin/api{resource}")
                };
                out.push((method.to_uppercase(), path));
                rest = &rest[m + 5..];
            }
            (_, None) => break,
        }
    }
    out
}

admin_on_both!(
    every_state_changing_route_refuses_a_session_without_the_csrf_token,
    async |app: AdminApp| {
        // Something of everything, made with the admin token (no cookie, no CSRF).
        let u = app
            .api(
                "POST",
                "/admin/api/users",
                Some(json!({"name": "Ann Lee", "email": "ann@example.com"})),
            )
            .await;
        assert_eq!(u.status, 201, "{}", u.body);
        let uid = u.body["id"].as_str().unwrap().to_string();
        let g = app
            .api(
                "POST",
                "/admin/api/groups",
                Some(json!({"displayName": "Maintainer"})),
            )
            .await;
        assert_eq!(g.status, 201, "{}", g.body);
        let gid = g.body["id"].as_str().unwrap().to_string();
        let r = app
            .api(
                "PUT",
                "/admin/api/role-mappings",
                Some(json!({"group": "Support", "role": "Read-Only"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = app
            .api(
                "POST",
                "/admin/api/skills",
                Some(json!({"name": "billing"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let clients = app.api("GET", "/admin/api/clients", None).await;
        let cid = clients.body["clients"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();

        // Each route with a request that would succeed with the right token.
        let csv = "name,email,username,roles\nBo Chen,bo@example.com,bo,Read-Only\n";
        let table: Vec<CsrfCase> = vec![
            (
                "POST",
                "/admin/api/users",
                "/admin/api/users".into(),
                Some((
                    "application/json",
                    json!({"name": "Cy Diaz", "email": "cy@example.com"})
                        .to_string()
                        .into_bytes(),
                )),
            ),
            (
                "POST",
                "/admin/api/users/bulk",
                "/admin/api/users/bulk".into(),
                Some(("text/csv", csv.as_bytes().to_vec())),
            ),
            (
                "PATCH",
                "/admin/api/users/{id}",
                format!("/admin/api/users/{uid}"),
                Some((
                    "application/json",
                    json!({"maxChats": 7}).to_string().into_bytes(),
                )),
            ),
            (
                "DELETE",
                "/admin/api/users/{id}",
                format!("/admin/api/users/{uid}"),
                Some((
                    "application/json",
                    json!({"confirmEmail": "ann@example.com"})
                        .to_string()
                        .into_bytes(),
                )),
            ),
            (
                "POST",
                "/admin/api/groups",
                "/admin/api/groups".into(),
                Some((
                    "application/json",
                    json!({"displayName": "Supervisor"})
                        .to_string()
                        .into_bytes(),
                )),
            ),
            (
                "DELETE",
                "/admin/api/groups/{id}",
                format!("/admin/api/groups/{gid}"),
                None,
            ),
            (
                "PUT",
                "/admin/api/role-mappings",
                "/admin/api/role-mappings".into(),
                Some((
                    "application/json",
                    json!({"group": "Support", "role": "Maintainer"})
                        .to_string()
                        .into_bytes(),
                )),
            ),
            (
                "DELETE",
                "/admin/api/role-mappings/{group}",
                "/admin/api/role-mappings/Support".into(),
                None,
            ),
            (
                "POST",
                "/admin/api/skills",
                "/admin/api/skills".into(),
                Some((
                    "application/json",
                    json!({"name": "returns"}).to_string().into_bytes(),
                )),
            ),
            (
                "DELETE",
                "/admin/api/skills/{name}",
                "/admin/api/skills/billing".into(),
                None,
            ),
            (
                "POST",
                "/admin/api/clients",
                "/admin/api/clients".into(),
                Some((
                    "application/json",
                    json!({"name": "entra"}).to_string().into_bytes(),
                )),
            ),
            (
                "DELETE",
                "/admin/api/clients/{id}",
                format!("/admin/api/clients/{cid}"),
                None,
            ),
            ("POST", "/admin/logout", "/admin/logout".into(), None),
        ];
        // The table covers every state-changing route `configure` registers.
        let mut registered = registered_state_changing_routes();
        let mut covered: Vec<(String, String)> = table
            .iter()
            .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
            .collect();
        registered.sort();
        covered.sort();
        assert_eq!(registered, covered, "the CSRF table must list every route");
        assert!(registered.len() >= 13, "{registered:?}");

        let (cookie, csrf) = app.sign_in().await;
        let snapshot = async || {
            let mut all = Vec::new();
            for p in [
                "/admin/api/users?includeDeleted=true",
                &format!("/admin/api/users/{uid}"),
                "/admin/api/groups",
                "/admin/api/role-mappings",
                "/admin/api/skills",
                "/admin/api/clients",
                "/admin/api/events",
            ] {
                let r = app.api("GET", p, None).await;
                assert_eq!(r.status, 200, "{p}: {}", r.body);
                all.push(r.body);
            }
            all
        };
        let before = snapshot().await;
        for (method, pattern, path, body) in &table {
            let wrong = format!("{csrf}x");
            for bad in [None, Some("wrong"), Some(""), Some(wrong.as_str())] {
                let r = app
                    .send(method, path, body.clone(), Auth::Cookie(&cookie, bad), None)
                    .await;
                assert_error(&r, 403, None);
                assert!(
                    r.body["detail"].as_str().unwrap().contains("CSRF"),
                    "{method} {pattern}: {}",
                    r.body
                );
                assert!(session_from(&r).is_none(), "{method} {pattern}");
            }
        }
        assert_eq!(
            before,
            snapshot().await,
            "a refused request changed something"
        );
        // The session survived the refused logouts, and the right token still works.
        let s = app
            .call_as(
                "GET",
                "/admin/api/session",
                None,
                Auth::Cookie(&cookie, None),
            )
            .await;
        assert_eq!(s.status, 200, "{}", s.body);
        let r = app
            .send(
                "PATCH",
                &format!("/admin/api/users/{uid}"),
                Some((
                    "application/json",
                    json!({"maxChats": 7}).to_string().into_bytes(),
                )),
                Auth::Cookie(&cookie, Some(&csrf)),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
);

admin_on_both!(
    a_session_ends_when_its_admin_is_deprovisioned_or_loses_the_role,
    scim_connector::http::admin::AdminSettings {
        bootstrap_admins: vec!["root@example.com".into()],
        ..Default::default()
    },
    async |app: AdminApp| {
        // Three admins provisioned by the IdP: members of its DialAiAdmin group.
        let mut ids = Vec::new();
        for name in ["ann", "bob", "cy"] {
            let r = app.scim("POST", "Users", Some(scim_user(name))).await;
            assert_eq!(r.status, 201, "{}", r.body);
            ids.push(r.body["id"].as_str().unwrap().to_string());
        }
        let g = app
            .scim(
                "POST",
                "Groups",
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": "DialAiAdmin",
                    "members": ids.iter().map(|id| json!({"value": id})).collect::<Vec<_>>(),
                })),
            )
            .await;
        assert_eq!(g.status, 201, "{}", g.body);
        let gid = g.body["id"].as_str().unwrap().to_string();
        let ann = oidc_session(&app, "ann@example.com").await;
        let bob = oidc_session(&app, "bob@example.com").await;
        let cy = oidc_session(&app, "CY@example.com").await;
        let root = oidc_session(&app, "root@example.com").await;
        let (link, _) = app.sign_in().await;
        let status = async |cookie: &str| {
            app.call_as("GET", "/admin/api/users", None, Auth::Cookie(cookie, None))
                .await
                .status
                .as_u16()
        };
        for c in [&ann, &bob, &cy, &root, &link] {
            assert_eq!(status(c).await, 200);
        }
        let patch = |op: serde_json::Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [op]});
        // Ann loses DialAiAdmin through SCIM: her next call is refused, the session is gone.
        let r = app
            .scim(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(
                    json!({"op": "remove", "path": format!("members[value eq \"{}\"]", ids[0])}),
                )),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
        let r = app
            .call_as("GET", "/admin/api/users", None, Auth::Cookie(&ann, None))
            .await;
        assert_error(&r, 401, None);
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("no longer an admin"),
            "{}",
            r.body
        );
        let hash = scim_connector::domain::tenant::token_hash(&ann);
        assert!(
            app.store
                .admin_session(&hash, app.clock.micros())
                .await
                .unwrap()
                .is_none(),
            "the session is deleted"
        );
        // Getting the role back does not revive the ended session.
        let r = app
            .scim(
                "PATCH",
                &format!("Groups/{gid}"),
                Some(patch(
                    json!({"op": "add", "path": "members", "value": [{"value": ids[0]}]}),
                )),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
        assert_eq!(status(&ann).await, 401);
        // Bob is deactivated, Cy de-provisioned (soft delete): both refused, also for writes.
        let r = app
            .scim(
                "PATCH",
                &format!("Users/{}", ids[1]),
                Some(patch(
                    json!({"op": "replace", "path": "active", "value": false}),
                )),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = app
            .call_as(
                "POST",
                "/admin/api/skills",
                Some(json!({"name": "billing"})),
                Auth::Cookie(&bob, Some("csrf")),
            )
            .await;
        assert_error(&r, 401, None);
        let r = app.scim("DELETE", &format!("Users/{}", ids[2]), None).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(status(&cy).await, 401);
        // A session whose subject is no admin at all is refused as well.
        let cy2 = oidc_session(&app, "cy2@example.com").await;
        assert_eq!(status(&cy2).await, 401);
        // A bootstrap admin and the one-time link's session are unaffected.
        assert_eq!(status(&root).await, 200);
        assert_eq!(status(&link).await, 200);
        assert_eq!(
            app.api("GET", "/admin/api/skills", None).await.body["skills"],
            json!([])
        );
    }
);

admin_on_both!(
    a_session_of_another_tenant_sees_and_changes_nothing,
    async |app: AdminApp| {
        // Tenant t1: a user and a group from the IdP, a skill, a role mapping, events.
        let r = app.scim("POST", "Users", Some(scim_user("ann"))).await;
        assert_eq!(r.status, 201);
        let uid = r.body["id"].as_str().unwrap().to_string();
        let g = app
            .scim(
                "POST",
                "Groups",
                Some(
                    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": "Support", "members": [{"value": uid}]}),
                ),
            )
            .await;
        assert_eq!(g.status, 201, "{}", g.body);
        let gid = g.body["id"].as_str().unwrap().to_string();
        for (m, p, b) in [
            ("POST", "/admin/api/skills", json!({"name": "billing"})),
            (
                "PUT",
                "/admin/api/role-mappings",
                json!({"group": "Support", "role": "Maintainer"}),
            ),
            (
                "PATCH",
                &format!("/admin/api/users/{uid}"),
                json!({"maxChats": 3}),
            ),
        ] {
            let r = app.api(m, p, Some(b)).await;
            assert_eq!(r.status, 200, "{m} {p}: {}", r.body);
        }
        app.store.flush_events().await;
        let okta = app.api("GET", "/admin/api/clients", None).await.body["clients"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let snapshot = async || {
            let mut all = Vec::new();
            for p in [
                format!("/admin/api/users/{uid}"),
                format!("/admin/api/groups/{gid}"),
                "/admin/api/skills".to_string(),
                "/admin/api/role-mappings".to_string(),
                "/admin/api/clients".to_string(),
                format!("/admin/api/users/{uid}/timeline"),
                format!("/admin/api/groups/{gid}/timeline"),
            ] {
                let r = app.api("GET", &p, None).await;
                assert_eq!(r.status, 200, "{p}: {}", r.body);
                all.push(r.body);
            }
            all
        };
        let before = snapshot().await;

        // An admin of t2 signed in to the console (a session, with its CSRF token).
        let (t2, _, _) = app.other_tenant("t2").await;
        let (cookie, csrf) = app.sign_in_to(t2).await;
        let as_b = async |m: &str, p: &str, b: Option<serde_json::Value>| {
            app.call_as(m, p, b, Auth::Cookie(&cookie, Some(&csrf)))
                .await
        };
        let s = as_b("GET", "/admin/api/session", None).await;
        assert_eq!(s.body["tenantId"], t2.to_string());
        // t1's ids, names and keys: not found, whatever the method.
        for (m, p, b) in [
            ("GET", format!("/admin/api/users/{uid}"), None),
            (
                "PATCH",
                format!("/admin/api/users/{uid}"),
                Some(json!({"maxChats": 9, "active": false})),
            ),
            (
                "DELETE",
                format!("/admin/api/users/{uid}"),
                Some(json!({"confirmEmail": "ann@example.com"})),
            ),
            ("GET", format!("/admin/api/groups/{gid}"), None),
            ("DELETE", format!("/admin/api/groups/{gid}"), None),
            ("DELETE", "/admin/api/skills/billing".into(), None),
            ("DELETE", "/admin/api/role-mappings/Support".into(), None),
            ("DELETE", format!("/admin/api/clients/{okta}"), None),
        ] {
            let r = as_b(m, &p, b).await;
            assert_error(&r, 404, None);
        }
        // Nothing of t1 in t2's lists, timelines or event log filtered by t1's ids.
        for (p, key) in [
            (format!("/admin/api/users/{uid}/timeline"), "events"),
            (format!("/admin/api/groups/{gid}/timeline"), "events"),
            (format!("/admin/api/events?user={uid}"), "events"),
            (format!("/admin/api/events?group={gid}"), "events"),
            (format!("/admin/api/events?client={okta}"), "events"),
            ("/admin/api/users?email=ann".into(), "users"),
            ("/admin/api/groups".into(), "groups"),
            ("/admin/api/skills".into(), "skills"),
            ("/admin/api/role-mappings".into(), "mappings"),
        ] {
            let r = as_b("GET", &p, None).await;
            assert_eq!(r.status, 200, "{p}: {}", r.body);
            if key == "events" {
                // Only t2's own refused attempts on the ids it named, nothing of t1's.
                assert!(
                    r.body[key]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|e| e["status"] == 404
                            && e["actor"] == "admin"
                            && e["actorName"] == "sign-in link"
                            && e["client"].is_null()),
                    "{p}: {}",
                    r.body
                );
            } else {
                assert_eq!(r.body[key], json!([]), "{p}: {}", r.body);
            }
        }
        // The console pages of t1's user and group show nothing of them either.
        for p in [
            format!("/admin/users/{uid}"),
            format!("/admin/groups/{gid}"),
        ] {
            let r = app
                .send("GET", &p, None, Auth::Cookie(&cookie, None), None)
                .await;
            // 404, or the history page of a resource t2 knows only by its own refused
            // attempts: never t1's fields, members or events.
            let html = r.body.to_string();
            assert!(
                r.status == 404 || html.contains("is deleted"),
                "{p}: {html}"
            );
            for t1 in ["ann@example.com", "Support</", "-fields", "outcome-ok"] {
                assert!(!html.contains(t1), "{p} shows {t1}: {html}");
            }
        }
        app.store.flush_events().await;
        // t1 is as it was.
        assert_eq!(before, snapshot().await, "tenant t2 changed tenant t1");
    }
);

admin_on_both!(
    the_session_lifetime_is_configurable,
    scim_connector::http::admin::AdminSettings {
        session_ttl_secs: 30 * 60,
        ..Default::default()
    },
    async |app: AdminApp| {
        let now = app.clock.micros();
        let secret = scim_connector::app::issue_login_link(&app.store, app.tenant, now)
            .await
            .unwrap();
        let r = app
            .send(
                "GET",
                &format!("/admin/login/link?token={secret}"),
                None,
                Auth::None,
                None,
            )
            .await;
        assert!(r.header("set-cookie").unwrap().contains("Max-Age=1800"));
        let cookie = session_from(&r).unwrap();
        let get = async || {
            app.call_as("GET", "/admin/api/users", None, Auth::Cookie(&cookie, None))
                .await
                .status
                .as_u16()
        };
        app.clock.advance(chrono::Duration::minutes(29));
        assert_eq!(get().await, 200);
        app.clock.advance(chrono::Duration::minutes(2));
        assert_eq!(get().await, 401);
    }
);
