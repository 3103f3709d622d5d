//! Sync status, the event log, timelines and retention.

use serde_json::{Value, json};

use scim_connector::domain::ids::TenantId;
use scim_connector::domain::sync::{Action, Outcome, SyncEvent};

use crate::admin_on_both;
use crate::support::{AdminApp, Auth, assert_error, enc, oidc_session, scim_user};

/// IdP traffic: create ann and a group with her, a refused immutable change, a deactivation.
async fn traffic(app: &AdminApp) -> (String, String) {
    let r = app.scim("POST", "Users", Some(scim_user("ann"))).await;
    assert_eq!(r.status, 201);
    let uid = r.body["id"].as_str().unwrap().to_string();
    let g = app
        .scim(
            "POST",
            "Groups",
            Some(
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Maintainer", "members": [{"value": uid}]}),
            ),
        )
        .await;
    assert_eq!(g.status, 201);
    let gid = g.body["id"].as_str().unwrap().to_string();
    let patch = |ops: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
    let refused = app
        .scim(
            "PATCH",
            &format!("Users/{uid}"),
            Some(patch(
                json!([{"op": "replace", "path": "name.familyName", "value": "Park"}]),
            )),
        )
        .await;
    assert_eq!(refused.status, 400);
    let r = app
        .scim(
            "PATCH",
            &format!("Users/{uid}"),
            Some(patch(
                json!([{"op": "Replace", "value": {"active": "False"}}]),
            )),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.store.flush_events().await;
    (uid, gid)
}

admin_on_both!(
    status_per_client_with_counts_and_rejections,
    async |app: AdminApp| {
        let (uid, _) = traffic(&app).await;
        app.scim("POST", "Users", Some(scim_user("bob"))).await;
        let bob = app.scim("POST", "Users", Some(scim_user("cleo"))).await;
        app.scim(
            "DELETE",
            &format!("Users/{}", bob.body["id"].as_str().unwrap()),
            None,
        )
        .await;
        let s = app.api("GET", "/admin/api/sync/status", None).await;
        assert_eq!(s.status, 200, "{}", s.body);
        assert_eq!(
            s.body["accounts"],
            json!({"active": 1, "deactivated": 1, "deleted": 1})
        );
        assert_eq!(s.body["retentionDays"], 90);
        let okta = &s.body["clients"][0];
        assert_eq!(okta["name"], "okta");
        assert!(okta["lastContact"].is_string());
        assert_eq!(okta["requests24h"], 7, "{okta}");
        assert_eq!(okta["errors24h"], 1);
        assert_eq!(okta["hourly"].as_array().unwrap().len(), 24);
        assert_eq!(okta["daily"].as_array().unwrap().len(), 30);
        let last_hour = &okta["hourly"][23];
        assert_eq!(last_hour["requests"], 7);
        assert_eq!(okta["daily"][29]["errors"], 1);
        assert_eq!(okta["requests30d"], 7);
        let rej = &okta["recentRejections"][0];
        assert_eq!(rej["resourceId"], uid.as_str());
        assert_eq!(rej["scimType"], "mutability");
        assert!(
            rej["detail"]
                .as_str()
                .unwrap()
                .contains("name.familyName is immutable"),
            "{rej}"
        );
    }
);

admin_on_both!(event_log_filters_and_paging, async |app: AdminApp| {
    let (uid, gid) = traffic(&app).await;
    app.api(
        "PATCH",
        &format!("/admin/api/users/{uid}"),
        Some(json!({"maxChats": 3})),
    )
    .await;
    let all = app.api("GET", "/admin/api/events", None).await;
    assert_eq!(
        all.body["events"].as_array().unwrap().len(),
        5,
        "{}",
        all.body
    );
    let okta_id = app.api("GET", "/admin/api/clients", None).await.body["clients"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let n = |v: &Value| v["events"].as_array().unwrap().len();
    assert_eq!(
        n(&app
            .api("GET", &format!("/admin/api/events?client={okta_id}"), None)
            .await
            .body),
        4
    );
    let admin = app.api("GET", "/admin/api/events?client=admin", None).await;
    assert_eq!(n(&admin.body), 1);
    assert_eq!(admin.body["events"][0]["client"], Value::Null);
    assert_eq!(
        n(&app
            .api("GET", &format!("/admin/api/events?user={uid}"), None)
            .await
            .body),
        4
    );
    assert_eq!(
        n(&app
            .api("GET", &format!("/admin/api/events?group={gid}"), None)
            .await
            .body),
        1
    );
    let rejected = app
        .api("GET", "/admin/api/events?outcome=rejected", None)
        .await;
    assert_eq!(n(&rejected.body), 1);
    assert_eq!(rejected.body["events"][0]["client"]["name"], "okta");
    assert_eq!(
        n(&app
            .api("GET", "/admin/api/events?action=deactivate", None)
            .await
            .body),
        1
    );
    // The tolerance applied to "False" and "Replace" is shown.
    let deact = app
        .api("GET", "/admin/api/events?action=deactivate", None)
        .await;
    assert!(
        !deact.body["events"][0]["coercions"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{}",
        deact.body
    );
    // Time window.
    let future = enc(&(chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339());
    assert_eq!(
        n(&app
            .api("GET", &format!("/admin/api/events?from={future}"), None)
            .await
            .body),
        0
    );
    assert_eq!(
        n(&app
            .api("GET", &format!("/admin/api/events?to={future}"), None)
            .await
            .body),
        5
    );
    assert_error(
        &app.api("GET", "/admin/api/events?from=yesterday", None)
            .await,
        400,
        Some("invalidValue"),
    );
    // Keyset paging covers everything once.
    let p1 = app.api("GET", "/admin/api/events?limit=3", None).await;
    assert_eq!(n(&p1.body), 3);
    let next = &p1.body["next"];
    let p2 = app
        .api(
            "GET",
            &format!(
                "/admin/api/events?limit=3&before={}&beforeAt={}",
                next["before"].as_str().unwrap(),
                next["beforeAt"]
            ),
            None,
        )
        .await;
    assert_eq!(n(&p2.body), 2, "{}", p2.body);
    assert_eq!(p2.body["next"], Value::Null);
});

admin_on_both!(user_and_group_timelines, async |app: AdminApp| {
    let (uid, gid) = traffic(&app).await;
    let t = app
        .api("GET", &format!("/admin/api/users/{uid}/timeline"), None)
        .await;
    let actions: Vec<&str> = t.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["deactivate", "rejected", "create"]);
    let refused = &t.body["events"][1];
    assert_eq!(refused["status"], 400);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("\"Family\" -> \"Park\""),
        "{refused}"
    );
    let only_rejected = app
        .api(
            "GET",
            &format!("/admin/api/users/{uid}/timeline?outcome=rejected"),
            None,
        )
        .await;
    assert_eq!(only_rejected.body["events"].as_array().unwrap().len(), 1);
    let g = app
        .api("GET", &format!("/admin/api/groups/{gid}/timeline"), None)
        .await;
    assert_eq!(g.body["events"][0]["action"], "create");
    assert_eq!(g.body["resourceType"], "Group");
});

fn old_event(tenant: TenantId, days_ago: i64) -> SyncEvent {
    SyncEvent {
        id: uuid::Uuid::now_v7(),
        tenant,
        client: None,
        at: chrono::Utc::now() - chrono::Duration::days(days_ago),
        method: "GET".into(),
        path: "/scim/v2/Users".into(),
        resource_type: Some("User"),
        resource_id: None,
        action: Action::Read,
        outcome: Outcome::Ok,
        status: 200,
        scim_type: None,
        detail: None,
        coercions: Vec::new(),
        duration_us: 1,
        actor: None,
    }
}

admin_on_both!(
    events_past_the_retention_are_pruned,
    async |app: AdminApp| {
        let events = vec![
            old_event(app.tenant, 120),
            old_event(app.tenant, 91),
            old_event(app.tenant, 89),
            old_event(app.tenant, 1),
        ];
        app.store.record_events_impl(events).await.unwrap();
        let pruned = scim_connector::app::prune_once(&app.store, chrono::Utc::now(), 90)
            .await
            .unwrap();
        assert_eq!(pruned, 2);
        assert_eq!(
            app.api("GET", "/admin/api/events?client=admin", None)
                .await
                .body["events"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // Batches: many old events go in several short statements, tenant by tenant; a
        // recent event of the other tenant stays.
        let (other, _, _) = app.other_tenant("other").await;
        let mut many: Vec<SyncEvent> = (0..12).map(|_| old_event(app.tenant, 200)).collect();
        many.extend((0..7).map(|_| old_event(other, 95)));
        many.push(old_event(other, 3));
        app.store.record_events_impl(many).await.unwrap();
        let cutoff = (chrono::Utc::now() - chrono::Duration::days(90)).timestamp_micros();
        assert_eq!(app.store.prune_events(cutoff, 5).await.unwrap(), 19);
        assert_eq!(app.store.prune_events(cutoff, 5).await.unwrap(), 0);
        // Two days: this tenant's 89-day event and the other tenant's 3-day one.
        let cutoff = (chrono::Utc::now() - chrono::Duration::days(2)).timestamp_micros();
        assert_eq!(app.store.prune_events(cutoff, 5).await.unwrap(), 2);
        app.store
            .record_events_impl(vec![old_event(app.tenant, 89)])
            .await
            .unwrap();
        assert_eq!(
            scim_connector::app::prune_once(&app.store, chrono::Utc::now(), 30)
                .await
                .unwrap(),
            1
        );
    }
);

admin_on_both!(
    admin_changes_record_which_admin_made_them,
    scim_connector::http::admin::AdminSettings {
        bootstrap_admins: vec!["root@example.com".into()],
        ..Default::default()
    },
    async |app: AdminApp| {
        // An IdP change carries no admin.
        let r = app.scim("POST", "Users", Some(scim_user("ann"))).await;
        assert_eq!(r.status, 201);
        let uid = r.body["id"].as_str().unwrap().to_string();
        // The admin token "ops" creates a user.
        let r = app
            .api(
                "POST",
                "/admin/api/users",
                Some(json!({"name": "Bo Chen", "email": "bo@example.com"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let bo = r.body["id"].as_str().unwrap().to_string();
        // An OIDC session edits ann; a refused edit is attributed too.
        let root = oidc_session(&app, "root@example.com").await;
        let r = app
            .call_as(
                "PATCH",
                &format!("/admin/api/users/{uid}"),
                Some(json!({"maxChats": 4})),
                Auth::Cookie(&root, Some("csrf")),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = app
            .call_as(
                "PATCH",
                &format!("/admin/api/users/{uid}"),
                Some(json!({"maxChats": 11})),
                Auth::Cookie(&root, Some("csrf")),
            )
            .await;
        assert_error(&r, 400, Some("invalidValue"));
        // The one-time link's session deletes bo.
        let (link, csrf) = app.sign_in().await;
        let r = app
            .call_as(
                "DELETE",
                &format!("/admin/api/users/{bo}"),
                Some(json!({"confirmEmail": "bo@example.com"})),
                Auth::Cookie(&link, Some(&csrf)),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        app.store.flush_events().await;

        let t = app
            .api("GET", &format!("/admin/api/users/{uid}/timeline"), None)
            .await;
        let by: Vec<(String, Value, Value)> = t.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] != "read")
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_string(),
                    e["actor"].clone(),
                    e["actorName"].clone(),
                )
            })
            .collect();
        assert_eq!(
            by,
            vec![
                ("rejected".into(), json!("admin"), json!("root@example.com")),
                ("update".into(), json!("admin"), json!("root@example.com")),
                ("create".into(), json!("scim"), Value::Null),
            ],
            "{}",
            t.body
        );
        let t = app
            .api("GET", &format!("/admin/api/users/{bo}/timeline"), None)
            .await;
        let names: Vec<(&str, &str)> = t.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap(),
                    e["actorName"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert!(names.contains(&("create", "ops")), "{}", t.body);
        assert!(names.contains(&("delete", "sign-in link")), "{}", t.body);
        // Every admin event of the log names its admin.
        let log = app.api("GET", "/admin/api/events?client=admin", None).await;
        let events = log.body["events"].as_array().unwrap();
        assert!(!events.is_empty());
        assert!(
            events.iter().all(|e| e["actorName"].is_string()),
            "{}",
            log.body
        );
    }
);
