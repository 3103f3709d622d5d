//! Create, read, replace, soft delete, tenancy and the last-sync columns.

use serde_json::{Value, json};

use crate::common::{BASE, TestApp, user};
use crate::on_both;
use crate::support::*;

on_both!(
    create_answers_201_with_location_and_etag_and_never_returns_the_password,
    async |app: TestApp| {
        let mut body = user("ann");
        body["schemas"] = json!([USER_URN, ENTERPRISE]);
        body["password"] = json!("S3cret!pass-word");
        // Okta and Entra send null for attributes they have no value for: unassigned.
        body["title"] = Value::Null;
        body["nickName"] = Value::Null;
        body["phoneNumbers"] = Value::Null;
        body["name"]["middleName"] = Value::Null;
        body[ENTERPRISE] = json!({"employeeNumber": "42", "department": null});
        let r = app.req("POST", "Users", Some(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("application/scim+json")
        );
        let id = r.body["id"].as_str().expect("id").to_string();
        assert_eq!(r.header("location"), Some(format!("{BASE}/Users/{id}")));
        assert_eq!(r.body["meta"]["location"], format!("{BASE}/Users/{id}"));
        assert_eq!(r.body["meta"]["resourceType"], "User");
        assert_eq!(r.body["meta"]["version"], "W/\"1\"");
        assert_eq!(r.header("etag").as_deref(), Some("W/\"1\""));
        assert!(r.body.get("password").is_none(), "{}", r.body);
        for absent in ["title", "nickName", "phoneNumbers"] {
            assert!(r.body.get(absent).is_none(), "{absent}: {}", r.body);
        }
        assert_eq!(
            r.body["name"],
            json!({"givenName": "Given", "familyName": "Family"})
        );
        assert_eq!(r.body[ENTERPRISE], json!({"employeeNumber": "42"}));
        // `status` is returned only on request (schemas/operator.json: returned "request").
        assert!(r.body[OPERATOR].get("status").is_none(), "{}", r.body);
        assert_eq!(r.body["active"], true);
        assert!(
            !r.body.to_string().contains("null"),
            "no null is rendered: {}",
            r.body
        );
        // GET answers the very same resource.
        assert_eq!(get(&app, &id).await, r.body);

        let row = row(&app, &id).await;
        assert_eq!(row.user_name, "ann");
        assert_eq!(row.email.as_deref(), Some("ann@example.com"));
        assert_eq!(
            (row.given_name.as_deref(), row.family_name.as_deref()),
            (Some("Given"), Some("Family"))
        );
        assert_eq!(
            row.display_name.as_deref(),
            Some("Given Family"),
            "display name defaults to given family"
        );
        assert!(row.active);
        assert_eq!(row.status, "Offline");
        assert_eq!(row.version, 1);
        assert!(row.deleted_at.is_none());
        assert!(
            !row.doc.contains("S3cret"),
            "the password is never stored: {}",
            row.doc
        );
        assert!(
            !row.doc.contains("null"),
            "nulls are unassigned, not stored: {}",
            row.doc
        );

        let evs = events(&app, &id).await;
        assert_eq!(evs[0].action, "create");
        assert_eq!((evs[0].status, evs[0].outcome.as_str()), (201, "ok"));
        assert!(
            evs[0]
                .coercions
                .as_deref()
                .unwrap_or_default()
                .contains("password"),
            "{:?}",
            evs[0]
        );
        for e in all_events(&app).await {
            let text = format!("{:?}", e);
            assert!(
                !text.contains("S3cret"),
                "the password never reaches the log: {text}"
            );
        }
    }
);

on_both!(
    create_without_user_name_is_invalid_value_and_stores_nothing,
    async |app: TestApp| {
        for body in [
            json!({"schemas": [USER_URN], "name": {"givenName": "A"}}),
            json!({"schemas": [USER_URN], "userName": ""}),
            json!({"schemas": [USER_URN], "userName": null}),
        ] {
            let r = app.req("POST", "Users", Some(body.clone())).await;
            assert_error(&r, 400, Some("invalidValue"));
            assert!(
                r.body["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("userName"),
                "{}",
                r.body
            );
        }
        assert!(rows(&app).await.is_empty());
    }
);

on_both!(
    get_by_id_answers_the_user_and_unknown_or_malformed_ids_get_404,
    async |app: TestApp| {
        let id = app.create_user(user("reader")).await;
        let g = get(&app, &id).await;
        assert_eq!(g["id"], id.as_str());
        assert_eq!(g["userName"], "reader");
        // Reads are recorded too (possibly a moment after the answer).
        let mut waited = 0;
        while !events(&app, &id)
            .await
            .iter()
            .any(|e| e.action == "read" && e.method == "GET" && e.status == 200)
        {
            waited += 1;
            assert!(waited < 100, "no read event for GET {id}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let unknown = uuid::Uuid::new_v4().to_string();
        for bad in [unknown.as_str(), "not-a-uuid", "12345", "%20"] {
            for (method, body) in [
                ("GET", None),
                ("PUT", Some(user("reader"))),
                (
                    "PATCH",
                    Some(patch(
                        json!([{"op": "replace", "path": "displayName", "value": "x"}]),
                    )),
                ),
                ("DELETE", None),
            ] {
                let r = app.req(method, &format!("Users/{bad}"), body).await;
                assert_error(&r, 404, None);
            }
        }
        assert_eq!(rows(&app).await.len(), 1);
        assert_eq!(row(&app, &id).await.version, 1);
    }
);

on_both!(
    put_resending_the_resource_is_200_and_changes_nothing,
    async |app: TestApp| {
        let id = app.create_user(user("ann")).await;
        let before = get(&app, &id).await;
        // The body as created, then the full GET body (id, meta, status, schemas) as IdPs resend it.
        for body in [user("ann"), before.clone()] {
            let r = app.req("PUT", &format!("Users/{id}"), Some(body)).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.body, before);
            assert_eq!(r.header("etag").as_deref(), Some("W/\"1\""));
        }
        // userName and email compared case-insensitively: a case-only resend changes nothing either.
        let mut shouted = user("ANN");
        shouted["emails"][0]["value"] = json!("ANN@EXAMPLE.COM");
        let r = app.req("PUT", &format!("Users/{id}"), Some(shouted)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["userName"], "ann");
        assert_eq!(r.body["emails"][0]["value"], "ann@example.com");
        assert_eq!(r.body["meta"], before["meta"]);
        let row = row(&app, &id).await;
        assert_eq!((row.version, row.user_name.as_str()), (1, "ann"));
        assert_eq!(row.email.as_deref(), Some("ann@example.com"));
        let evs = events(&app, &id).await;
        let puts: Vec<&Event> = evs.iter().filter(|e| e.method == "PUT").collect();
        assert_eq!(puts.len(), 3);
        assert!(
            puts.iter().all(|e| e.action == "update" && e.status == 200),
            "{puts:?}"
        );
    }
);

on_both!(put_replaces_read_write_attributes, async |app: TestApp| {
    let mut first = user("ann");
    first["title"] = json!("Agent");
    first["nickName"] = json!("Annie");
    let id = app.create_user(first).await;
    let mut next = user("ann");
    next["displayName"] = json!("Ann L.");
    next["title"] = json!("Lead");
    next["phoneNumbers"] = json!([{"value": "+15550001", "type": "mobile"}]);
    next[OPERATOR] = json!({"maxChats": 4, "csrUser": true, "voiceCalls": true});
    let r = app.req("PUT", &format!("Users/{id}"), Some(next)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["title"], "Lead");
    assert!(
        r.body.get("nickName").is_none(),
        "PUT replaces: omitted readWrite attributes go: {}",
        r.body
    );
    assert_eq!(r.body["meta"]["version"], "W/\"2\"");
    assert_eq!(r.header("etag").as_deref(), Some("W/\"2\""));
    let row = row(&app, &id).await;
    assert_eq!(row.display_name.as_deref(), Some("Ann L."));
    assert_eq!(row.mobile_phone.as_deref(), Some("+15550001"));
    assert_eq!(
        (row.max_chats, row.csr_user, row.voice_calls),
        (Some(4), true, true)
    );
    assert_eq!(last_write(&app, &id).await.action, "update");
});

/// Deactivate with `body`, check the soft-deactivation everywhere, then reactivate with `back`.
async fn deactivate_and_restore(app: &TestApp, name: &str, off: Value, on: Value) {
    let id = app.create_user(user(name)).await;
    set_status(app, &id, "Busy").await;
    let r = app.req("PATCH", &format!("Users/{id}"), Some(off)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], false);
    let status = app
        .req(
            "GET",
            &format!("Users/{id}?attributes={OPERATOR}:status"),
            None,
        )
        .await;
    assert_eq!(
        status.body[OPERATOR]["status"], "Offline",
        "deactivated operators are Offline"
    );
    let g = get(app, &id).await;
    assert_eq!(g["active"], false);
    let filter = format!("userName eq \"{name}\" and active eq false");
    assert_eq!(filtered(app, &filter).await, [name]);
    assert!(
        filtered(app, &format!("userName eq \"{name}\" and active eq true"))
            .await
            .is_empty()
    );
    let rw = row(app, &id).await;
    assert!(!rw.active && rw.deleted_at.is_none());
    assert_eq!(rw.status, "Offline");
    assert_eq!(last_write(app, &id).await.action, "deactivate");

    let r = app.req("PATCH", &format!("Users/{id}"), Some(on)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], true);
    assert!(row(app, &id).await.active);
    assert_eq!(
        filtered(app, &format!("userName eq \"{name}\" and active eq true")).await,
        [name]
    );
    assert_eq!(last_write(app, &id).await.action, "reactivate");
}

on_both!(
    okta_patch_active_false_deactivates_and_active_true_restores,
    async |app: TestApp| {
        deactivate_and_restore(
            &app,
            "okta-user",
            patch(json!([{"op": "replace", "value": {"active": false}}])),
            patch(json!([{"op": "replace", "value": {"active": true}}])),
        )
        .await;
    }
);

on_both!(
    entra_patch_active_string_false_deactivates_and_true_restores,
    async |app: TestApp| {
        deactivate_and_restore(
            &app,
            "entra-user",
            patch(json!([{"op": "Replace", "path": "active", "value": "False"}])),
            patch(json!([{"op": "Replace", "path": "active", "value": "True"}])),
        )
        .await;
        // The boolean-as-string tolerance is recorded as a coercion.
        let id = filtered(&app, "userName eq \"entra-user\"").await;
        assert_eq!(id.len(), 1);
        let evs = all_events(&app).await;
        let deact = evs
            .iter()
            .find(|e| e.action == "deactivate")
            .expect("deactivate event");
        assert!(
            deact
                .coercions
                .as_deref()
                .is_some_and(|c| c.contains("active")),
            "{deact:?}"
        );
    }
);

on_both!(put_active_false_deactivates, async |app: TestApp| {
    let id = app.create_user(user("put-off")).await;
    let mut body = user("put-off");
    body["active"] = json!(false);
    let r = app.req("PUT", &format!("Users/{id}"), Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], false);
    assert!(!row(&app, &id).await.active);
    assert_eq!(last_write(&app, &id).await.action, "deactivate");
    assert_eq!(filtered(&app, "active eq false").await, ["put-off"]);
});

on_both!(
    delete_soft_deletes_and_frees_user_name_and_email,
    async |app: TestApp| {
        let mut body = user("gone");
        body["externalId"] = json!("ext-gone");
        let id = app.create_user(body).await;
        let r = app.req("DELETE", &format!("Users/{id}"), None).await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(r.body, Value::Null);
        assert_error(
            &app.req("GET", &format!("Users/{id}"), None).await,
            404,
            None,
        );
        for (method, body) in [
            ("PUT", Some(user("gone"))),
            (
                "PATCH",
                Some(patch(
                    json!([{"op": "replace", "path": "active", "value": true}]),
                )),
            ),
            ("DELETE", None),
        ] {
            assert_error(
                &app.req(method, &format!("Users/{id}"), body).await,
                404,
                None,
            );
        }
        assert_eq!(list(&app, "").await["totalResults"], 0);
        for f in [
            "userName eq \"gone\"",
            "externalId eq \"ext-gone\"",
            "active eq false",
            "emails.value eq \"gone@example.com\"",
        ] {
            assert!(filtered(&app, f).await.is_empty(), "{f}");
        }
        // Kept for history: the row is there with its deletion time.
        let old = row(&app, &id).await;
        assert!(old.deleted_at.is_some());
        assert!(!old.active);
        assert_eq!(old.user_name, "gone");
        let evs = events(&app, &id).await;
        assert!(
            evs.iter().any(|e| e.action == "delete" && e.status == 204),
            "{evs:?}"
        );

        // userName (in another case) and email are free for a new account with a new id.
        let new_id = app.create_user(user("GONE")).await;
        let mut again = user("gone-again");
        again["emails"] = json!([{"value": "gone@example.com", "type": "work", "primary": true}]);
        assert_eq!(
            app.req("POST", "Users", Some(again)).await.status,
            409,
            "email still used by GONE"
        );
        assert_ne!(new_id, id);
        assert_eq!(filtered(&app, "userName eq \"gone\"").await, ["GONE"]);
        assert_eq!(get(&app, &new_id).await["id"], new_id.as_str());
        assert_eq!(rows(&app).await.len(), 2, "nothing is hard-deleted");
    }
);

on_both!(
    other_tenants_get_404_for_a_known_id_and_change_nothing,
    async |app: TestApp| {
        let id = app.create_user(user("mine")).await;
        let before = get(&app, &id).await;
        let other = app.other_tenant_token("t2").await;
        let mut changed = user("mine");
        changed["displayName"] = json!("Hijacked");
        for (method, body) in [
            ("GET", None),
            ("PUT", Some(changed)),
            (
                "PATCH",
                Some(patch(
                    json!([{"op": "replace", "path": "active", "value": false}]),
                )),
            ),
            ("DELETE", None),
        ] {
            let r = app
                .req_with(method, &format!("Users/{id}"), body, &other, &[])
                .await;
            assert_error(&r, 404, None);
        }
        let r = app
            .req_with(
                "GET",
                &format!("Users?filter={}", enc("userName eq \"mine\"")),
                None,
                &other,
                &[],
            )
            .await;
        assert_eq!(r.body["totalResults"], 0);
        assert_eq!(get(&app, &id).await, before);
        // userName uniqueness is per tenant.
        let r = app
            .req_with("POST", "Users", Some(user("mine")), &other, &[])
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_ne!(r.body["id"], id.as_str());
        assert_eq!(filtered(&app, "userName eq \"mine\"").await.len(), 1);
    }
);

on_both!(
    every_write_sets_the_last_sync_columns,
    async |app: TestApp| {
        let client = app.store.list_clients(app.tenant).await.unwrap();
        let okta = client
            .iter()
            .find(|c| c.name == "okta")
            .expect("okta client")
            .id
            .to_string();
        let id = app.create_user(user("synced")).await;
        let rw = row(&app, &id).await;
        let first = rw.last_sync_at.expect("last_sync_at");
        assert_eq!(rw.last_sync_client.as_deref(), Some(okta.as_str()));
        assert_eq!(rw.last_sync_outcome.as_deref(), Some("ok"));

        let r = app
            .req(
                "PATCH",
                &format!("Users/{id}"),
                Some(patch(
                    json!([{"op": "replace", "path": "userName", "value": "other"}]),
                )),
            )
            .await;
        assert_error(&r, 400, Some("mutability"));
        let rw = row(&app, &id).await;
        assert_eq!(rw.last_sync_outcome.as_deref(), Some("rejected"));
        assert!(rw.last_sync_at.unwrap() >= first);

        let path = format!("Users/{id}");
        let set_title = || {
            app.req(
                "PATCH",
                &path,
                Some(patch(
                    json!([{"op": "replace", "path": "title", "value": "Lead"}]),
                )),
            )
        };
        let r = set_title().await;
        assert_eq!(r.status, 200);
        let rw = row(&app, &id).await;
        assert_eq!(rw.last_sync_outcome.as_deref(), Some("ok"));
        assert_eq!(rw.last_sync_client.as_deref(), Some(okta.as_str()));
        // The same PATCH again changes nothing but is a sync all the same: its event and a
        // newer last-sync time, the version kept.
        let (changed_at, version) = (rw.last_sync_at.unwrap(), rw.version);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let r = set_title().await;
        assert_eq!(r.status, 200, "{}", r.body);
        let rw = row(&app, &id).await;
        assert!(rw.last_sync_at.unwrap() > changed_at);
        assert_eq!(rw.version, version);
        assert_eq!(rw.last_sync_outcome.as_deref(), Some("ok"));
        let actions: Vec<String> = events(&app, &id)
            .await
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(actions, ["create", "rejected", "update", "update"]);
    }
);

on_both!(
    password_changes_are_accepted_and_never_stored,
    async |app: TestApp| {
        let id = app.create_user(user("secret")).await;
        let r = app
            .req(
                "PATCH",
                &format!("Users/{id}"),
                Some(patch(
                    json!([{"op": "replace", "path": "password", "value": "N3w-Pa55word!"}]),
                )),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.get("password").is_none());
        assert_eq!(
            r.body["meta"]["version"], "W/\"1\"",
            "nothing stored, nothing changed"
        );
        let r = app
        .req("PATCH", &format!("Users/{id}"), Some(patch(json!([{"op": "replace", "value": {"password": "Other-Pa55word!", "title": "T"}}]))))
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let mut put = user("secret");
        put["password"] = json!("Put-Pa55word!");
        let r = app.req("PUT", &format!("Users/{id}"), Some(put)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.get("password").is_none() && r.body.get("title").is_none());
        let rw = row(&app, &id).await;
        assert!(!rw.doc.contains("Pa55word"), "{}", rw.doc);
        for e in all_events(&app).await {
            assert!(!format!("{e:?}").contains("Pa55word"), "{e:?}");
        }
    }
);
