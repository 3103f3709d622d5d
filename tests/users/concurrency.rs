//! ETags (RFC 7644 3.14), racing writers and uniqueness: the database decides.

use futures_util::future::join_all;
use serde_json::json;

use crate::common::{TestApp, user};
use crate::on_both;
use crate::support::*;

on_both!(
    if_none_match_gives_304_and_stale_if_match_gives_412,
    async |app: TestApp| {
        let id = app.create_user(user("etag")).await;
        let path = format!("Users/{id}");
        let tok = app.token.clone();
        let r = app.req("GET", &path, None).await;
        assert_eq!(r.header("etag").as_deref(), Some("W/\"1\""));
        let r = app
            .req_with("GET", &path, None, &tok, &[("If-None-Match", "W/\"1\"")])
            .await;
        assert_eq!(r.status, 304);
        assert_eq!(r.body, serde_json::Value::Null);
        assert_eq!(r.header("etag").as_deref(), Some("W/\"1\""));
        let r = app
            .req_with("GET", &path, None, &tok, &[("If-None-Match", "W/\"7\"")])
            .await;
        assert_eq!(r.status, 200);

        let title = |t: &str| patch(json!([{"op": "replace", "path": "title", "value": t}]));
        let r = app.req("PATCH", &path, Some(title("v2"))).await;
        assert_eq!(r.header("etag").as_deref(), Some("W/\"2\""));
        let stale = [("If-Match", "W/\"1\"")];
        let mut put = user("etag");
        put["title"] = json!("put");
        assert_error(
            &app.req_with("PUT", &path, Some(put.clone()), &tok, &stale)
                .await,
            412,
            None,
        );
        assert_error(
            &app.req_with("PATCH", &path, Some(title("stale")), &tok, &stale)
                .await,
            412,
            None,
        );
        assert_error(
            &app.req_with("DELETE", &path, None, &tok, &stale).await,
            412,
            None,
        );
        let g = app.req("GET", &path, None).await;
        assert_eq!(
            (g.body["title"].as_str(), g.header("etag").as_deref()),
            (Some("v2"), Some("W/\"2\""))
        );
        let r = app
            .req_with("GET", &path, None, &tok, &[("If-None-Match", "W/\"1\"")])
            .await;
        assert_eq!(r.status, 200, "an old version is not current");
        let rejected: Vec<i32> = events(&app, &id)
            .await
            .iter()
            .filter(|e| e.action == "rejected")
            .map(|e| e.status)
            .collect();
        assert_eq!(rejected, [412, 412, 412]);

        let current = [("If-Match", "W/\"2\"")];
        let r = app.req_with("PUT", &path, Some(put), &tok, &current).await;
        assert_eq!(
            (r.status.as_u16(), r.header("etag").as_deref()),
            (200, Some("W/\"3\""))
        );
        let r = app
            .req_with(
                "PATCH",
                &path,
                Some(title("v4")),
                &tok,
                &[("If-Match", "W/\"3\"")],
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.body["title"].as_str()),
            (200, Some("v4"))
        );
        let r = app
            .req_with("DELETE", &path, None, &tok, &[("If-Match", "W/\"4\"")])
            .await;
        assert_eq!(r.status, 204);
        assert!(row(&app, &id).await.deleted_at.is_some());
    }
);

on_both!(
    sixteen_racing_creates_of_one_user_name_give_one_201_and_fifteen_409,
    async |app: TestApp| {
        let spellings = ["racer", "Racer", "RACER", "rAcEr"];
        let reqs: Vec<_> = (0..16)
            .map(|i| {
                let mut body = user(spellings[i % 4]);
                body["emails"] =
                    json!([{"value": format!("racer{i}@example.com"), "type": "work"}]);
                app.req("POST", "Users", Some(body))
            })
            .collect();
        let results = join_all(reqs).await;
        let created: Vec<_> = results.iter().filter(|r| r.status == 201).collect();
        let conflicts: Vec<_> = results.iter().filter(|r| r.status == 409).collect();
        assert_eq!(
            (created.len(), conflicts.len()),
            (1, 15),
            "{:?}",
            results.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        for r in &conflicts {
            assert_error(r, 409, Some("uniqueness"));
            assert!(
                r.body["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("userName"),
                "{}",
                r.body
            );
        }
        let live = rows(&app).await;
        assert_eq!(live.len(), 1);
        assert_eq!(live[0].id, created[0].body["id"].as_str().unwrap());
        let evs = all_events(&app).await;
        assert_eq!(evs.iter().filter(|e| e.action == "create").count(), 1);
        let refused: Vec<_> = evs.iter().filter(|e| e.action == "rejected").collect();
        assert_eq!(refused.len(), 15);
        assert!(
            refused
                .iter()
                .all(|e| e.status == 409 && e.scim_type.as_deref() == Some("uniqueness"))
        );
    }
);

on_both!(
    concurrent_patches_of_different_attributes_all_survive,
    async |app: TestApp| {
        let id = app.create_user(user("busy")).await;
        let path = format!("Users/{id}");
        let ops = [
            json!({"op": "replace", "path": "displayName", "value": "Busy B."}),
            json!({"op": "add", "path": "nickName", "value": "bee"}),
            json!({"op": "add", "path": "title", "value": "Lead"}),
            json!({"op": "add", "path": "locale", "value": "en-GB"}),
            json!({"op": "add", "path": "timezone", "value": "Europe/London"}),
            json!({"op": "add", "path": "preferredLanguage", "value": "en"}),
            json!({"op": "add", "path": "phoneNumbers", "value": [{"value": "+15550002", "type": "mobile"}]}),
            json!({"op": "add", "path": format!("{OPERATOR}:maxChats"), "value": 6}),
        ];
        let reqs: Vec<_> = ops
            .iter()
            .map(|op| app.req("PATCH", &path, Some(patch(json!([op])))))
            .collect();
        for r in join_all(reqs).await {
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let g = get(&app, &id).await;
        assert_eq!(g["displayName"], "Busy B.");
        assert_eq!(g["nickName"], "bee");
        assert_eq!(g["title"], "Lead");
        assert_eq!(g["locale"], "en-GB");
        assert_eq!(g["timezone"], "Europe/London");
        assert_eq!(g["preferredLanguage"], "en");
        assert_eq!(g["phoneNumbers"][0]["value"], "+15550002");
        assert_eq!(g[OPERATOR]["maxChats"], 6);
        assert_eq!(g["meta"]["version"], "W/\"9\"");
        let rw = row(&app, &id).await;
        assert_eq!((rw.version, rw.max_chats), (9, Some(6)));
        assert_eq!(rw.mobile_phone.as_deref(), Some("+15550002"));
        assert_eq!(rw.display_name.as_deref(), Some("Busy B."));
        assert_eq!(
            events(&app, &id)
                .await
                .iter()
                .filter(|e| e.action == "update")
                .count(),
            8
        );
    }
);

on_both!(
    eight_if_match_patches_with_one_etag_give_one_200_and_seven_412,
    async |app: TestApp| {
        let id = app.create_user(user("contended")).await;
        let path = format!("Users/{id}");
        let tok = app.token.clone();
        let reqs: Vec<_> = (0..8)
        .map(|i| {
            let body = patch(json!([{"op": "replace", "path": "displayName", "value": format!("writer {i}")}]));
            let (path, tok) = (path.clone(), tok.clone());
            let app = &app;
            async move { app.req_with("PATCH", &path, Some(body), &tok, &[("If-Match", "W/\"1\"")]).await }
        })
        .collect();
        let results = join_all(reqs).await;
        let ok: Vec<_> = results.iter().filter(|r| r.status == 200).collect();
        assert_eq!(
            ok.len(),
            1,
            "{:?}",
            results.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        for r in results.iter().filter(|r| r.status != 200) {
            assert_error(r, 412, None);
        }
        let winner = ok[0].body["displayName"].clone();
        let g = get(&app, &id).await;
        assert_eq!(g["displayName"], winner);
        assert_eq!(g["meta"]["version"], "W/\"2\"");
        assert_eq!(row(&app, &id).await.version, 2);
        let evs = events(&app, &id).await;
        assert_eq!(
            evs.iter()
                .filter(|e| e.action == "rejected" && e.status == 412)
                .count(),
            7
        );
    }
);

on_both!(
    account_email_is_unique_per_tenant_case_insensitively,
    async |app: TestApp| {
        let first = app.create_user(user("ann")).await;
        let mut dup = user("ann2");
        dup["emails"] = json!([{"value": "ANN@Example.COM", "type": "work", "primary": true}]);
        let r = app.req("POST", "Users", Some(dup)).await;
        assert_error(&r, 409, Some("uniqueness"));
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("email"),
            "{}",
            r.body
        );
        // Setting an unassigned email to a taken one is refused the same way, nothing applied.
        let second = app
            .create_user(json!({"schemas": [USER_URN], "userName": "ann3"}))
            .await;
        let r = app
        .req("PATCH", &format!("Users/{second}"), Some(patch(json!([
            {"op": "replace", "path": "title", "value": "x"},
            {"op": "add", "path": "emails", "value": [{"value": "Ann@example.com", "type": "work"}]}
        ]))))
        .await;
        assert_error(&r, 409, Some("uniqueness"));
        let rw = row(&app, &second).await;
        assert_eq!((rw.email.as_deref(), rw.version), (None, 1));
        assert!(!rw.doc.contains("title"));
        assert_eq!(rows(&app).await.len(), 2);
        assert_eq!(
            row(&app, &first).await.email.as_deref(),
            Some("ann@example.com")
        );
        // A userName that differs only in case is taken too.
        let r = app
            .req(
                "POST",
                "Users",
                Some(json!({"schemas": [USER_URN], "userName": "ANN"})),
            )
            .await;
        assert_error(&r, 409, Some("uniqueness"));
    }
);

on_both!(
    concurrent_additions_to_one_multi_valued_attribute_all_survive,
    async |app: TestApp| {
        let id = app.create_user(user("phones")).await;
        let path = format!("Users/{id}");
        let reqs: Vec<_> = (0..8)
        .map(|i| {
            let op = json!({"op": "add", "path": "phoneNumbers", "value": [{"value": format!("+1555000{i}"), "type": "work"}]});
            app.req("PATCH", &path, Some(patch(json!([op]))))
        })
        .collect();
        for r in join_all(reqs).await {
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let g = get(&app, &id).await;
        let mut phones: Vec<&str> = g["phoneNumbers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["value"].as_str().unwrap())
            .collect();
        phones.sort();
        let want: Vec<String> = (0..8).map(|i| format!("+1555000{i}")).collect();
        assert_eq!(phones, want);
        assert_eq!(row(&app, &id).await.version, 9);
    }
);

on_both!(
    racing_creates_and_updates_on_one_email_have_one_winner,
    async |app: TestApp| {
        let reqs: Vec<_> = (0..8)
        .map(|i| {
            let mut body = user(&format!("mail{i}"));
            body["emails"] = json!([{"value": if i % 2 == 0 { "Shared@Example.com" } else { "shared@example.COM" }, "type": "work"}]);
            app.req("POST", "Users", Some(body))
        })
        .collect();
        let results = join_all(reqs).await;
        assert_eq!(results.iter().filter(|r| r.status == 201).count(), 1);
        for r in results.iter().filter(|r| r.status != 201) {
            assert_error(r, 409, Some("uniqueness"));
        }
        // Two users without email race to take the same one.
        let a = app
            .create_user(json!({"schemas": [USER_URN], "userName": "na"}))
            .await;
        let b = app
            .create_user(json!({"schemas": [USER_URN], "userName": "nb"}))
            .await;
        let app = &app;
        let take = |id: String| async move {
            let op = json!({"op": "add", "path": "emails", "value": [{"value": "free@example.com", "type": "work"}]});
            app.req("PATCH", &format!("Users/{id}"), Some(patch(json!([op]))))
                .await
        };
        let (ra, rb) = futures_util::join!(take(a.clone()), take(b.clone()));
        let mut statuses = [ra.status.as_u16(), rb.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{} {}", ra.body, rb.body);
        let emails: Vec<Option<String>> = vec![row(app, &a).await.email, row(app, &b).await.email];
        assert_eq!(
            emails
                .iter()
                .filter(|e| e.as_deref() == Some("free@example.com"))
                .count(),
            1
        );
    }
);

on_both!(
    a_patch_racing_a_delete_never_resurrects_or_fails_badly,
    async |app: TestApp| {
        for i in 0..4 {
            let id = app.create_user(user(&format!("doomed{i}"))).await;
            let path = format!("Users/{id}");
            let upd = app.req(
                "PATCH",
                &path,
                Some(patch(json!([{"op": "add", "path": "title", "value": "x"}]))),
            );
            let del = app.req("DELETE", &path, None);
            let (u, d) = futures_util::join!(upd, del);
            assert_eq!(d.status, 204, "{}", d.body);
            assert!(
                u.status == 200 || u.status == 404,
                "{}: {}",
                u.status,
                u.body
            );
            assert_error(&app.req("GET", &path, None).await, 404, None);
            assert!(row(&app, &id).await.deleted_at.is_some());
        }
    }
);

on_both!(
    a_burst_of_creates_stores_each_user_once_with_its_event,
    async |app: TestApp| {
        // 48 creates at once (on PostgreSQL they share statements, `create_batch.rs`): 36
        // distinct users, 6 repeating a userName of the burst, 6 repeating an email.
        let body = |i: usize| {
            let mut b = user(&format!("burst-{i}"));
            b["displayName"] = json!(format!("Burst {i}"));
            b["externalId"] = json!(format!("ext-{i}"));
            b
        };
        let mut bodies: Vec<_> = (0..36).map(body).collect();
        for i in 0..6 {
            bodies.push(user(&format!("BURST-{i}")));
            let mut b = user(&format!("other-{i}"));
            b["emails"] = json!([{"value": format!("burst-{}@example.com", 10 + i),
                                  "type": "work", "primary": true}]);
            bodies.push(b);
        }
        let reqs: Vec<_> = bodies
            .iter()
            .map(|b| app.req("POST", "Users", Some(b.clone())))
            .collect();
        let results = join_all(reqs).await;
        // Each repeat races its original: one of the two gets 201, the other 409; the
        // others all get 201.
        let status = |i: usize| results[i].status.as_u16();
        for i in 0..6 {
            let (name_twin, mail_twin) = (36 + 2 * i, 37 + 2 * i);
            let mut pair = [status(i), status(name_twin)];
            pair.sort();
            assert_eq!(pair, [201, 409], "burst-{i} and its userName twin");
            let mut pair = [status(10 + i), status(mail_twin)];
            pair.sort();
            assert_eq!(pair, [201, 409], "burst-{} and its email twin", 10 + i);
        }
        for i in (6..10).chain(16..36) {
            assert_eq!(status(i), 201, "{i}: {}", results[i].body);
        }
        let ok = results.iter().filter(|r| r.status == 201).count();
        let refused = results.iter().filter(|r| r.status == 409).count();
        assert_eq!(
            (ok, refused),
            (36, 12),
            "every repeat or its original is refused"
        );
        let live = rows(&app).await;
        assert_eq!(live.len(), 36);
        let evs = all_events(&app).await;
        for r in results.iter().filter(|r| r.status == 201) {
            let id = r.body["id"].as_str().unwrap();
            // The stored row and the answer agree, and it has exactly one create event.
            let stored = row(&app, id).await;
            assert_eq!(
                (stored.user_name.as_str(), stored.version, stored.deleted_at),
                (r.body["userName"].as_str().unwrap(), 1, None)
            );
            assert_eq!(stored.external_id.as_deref(), r.body["externalId"].as_str());
            let got = app.req("GET", &format!("Users/{id}"), None).await;
            assert_eq!(got.body, r.body);
            let mine: Vec<_> = events(&app, id)
                .await
                .into_iter()
                .filter(|e| e.action != "read")
                .collect();
            assert_eq!(mine.len(), 1, "{id}");
            assert_eq!((mine[0].action.as_str(), mine[0].status), ("create", 201));
        }
        assert_eq!(evs.iter().filter(|e| e.action == "create").count(), 36);
        assert_eq!(
            evs.iter()
                .filter(|e| e.action == "rejected" && e.status == 409)
                .count(),
            12
        );
        let list = app.req("GET", "Users?count=1", None).await;
        assert_eq!(list.body["totalResults"], 36, "the live count follows");
    }
);
