//! The operator extension: maxChats/maxEmails 0-10, skills from the tenant catalog (published
//! in /Schemas), status readOnly (Offline by default and when deactivated).

use serde_json::{Value, json};

use crate::common::{TestApp, user};
use crate::on_both;
use crate::support::*;

on_both!(
    max_chats_and_max_emails_outside_0_to_10_or_not_integers_are_invalid_value,
    async |app: TestApp| {
        for key in ["maxChats", "maxEmails"] {
            for bad in [json!(11), json!(-1), json!("3"), json!(2.5), json!(true)] {
                let mut body = user("caps");
                body[OPERATOR] = json!({ key: bad });
                let r = app.req("POST", "Users", Some(body)).await;
                assert_error(&r, 400, Some("invalidValue"));
                assert!(
                    r.body["detail"].as_str().unwrap_or_default().contains(key),
                    "{}",
                    r.body
                );
            }
        }
        assert!(rows(&app).await.is_empty(), "nothing was created");
        let mut body = user("caps");
        body[OPERATOR] = json!({"maxChats": 0, "maxEmails": 10});
        let id = app.create_user(body).await;
        let rw = row(&app, &id).await;
        assert_eq!((rw.max_chats, rw.max_emails), (Some(0), Some(10)));
        let path = format!("{OPERATOR}:maxChats");
        for bad in [json!(11), json!(-1), json!("3"), json!(2.5)] {
            let r = app
                .req(
                    "PATCH",
                    &format!("Users/{id}"),
                    Some(patch(json!([
                        {"op": "replace", "path": "displayName", "value": "changed"},
                        {"op": "replace", "path": path, "value": bad}
                    ]))),
                )
                .await;
            assert_error(&r, 400, Some("invalidValue"));
        }
        let rw = row(&app, &id).await;
        assert_eq!((rw.max_chats, rw.version), (Some(0), 1));
        assert_eq!(rw.display_name.as_deref(), Some("Given Family"));
        let r = app
            .req(
                "PATCH",
                &format!("Users/{id}"),
                Some(patch(json!([{"op": "replace", "path": path, "value": 7}]))),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body[OPERATOR]["maxChats"], 7);
        assert_eq!(row(&app, &id).await.max_chats, Some(7));
        let rejected = events(&app, &id)
            .await
            .into_iter()
            .filter(|e| e.action == "rejected")
            .count();
        assert_eq!(rejected, 4);
    }
);

on_both!(
    skills_must_come_from_the_catalog_published_in_schemas,
    async |app: TestApp| {
        let mut body = user("skilled");
        body[OPERATOR] = json!({"skills": ["Billing"]});
        let r = app.req("POST", "Users", Some(body.clone())).await;
        assert_error(&r, 400, Some("invalidValue"));
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("Billing"),
            "{}",
            r.body
        );

        let now = chrono::Utc::now().timestamp_micros();
        app.store
            .add_skills(app.tenant, &["Sales".into(), "Billing".into()], now)
            .await
            .unwrap();
        let schema = app.req("GET", &format!("Schemas/{OPERATOR}"), None).await;
        assert_eq!(schema.status, 200);
        let skills_attr = |doc: &Value| {
            doc["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == "skills")
                .unwrap()["canonicalValues"]
                .clone()
        };
        assert_eq!(skills_attr(&schema.body), json!(["Billing", "Sales"]));
        let all = app.req("GET", "Schemas", None).await;
        let op_doc = all.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == OPERATOR)
            .unwrap()
            .clone();
        assert_eq!(skills_attr(&op_doc), json!(["Billing", "Sales"]));
        // Another tenant sees its own (empty) catalog.
        let other = app.other_tenant_token("t2").await;
        let theirs = app
            .req_with("GET", &format!("Schemas/{OPERATOR}"), None, &other, &[])
            .await;
        assert_eq!(skills_attr(&theirs.body), json!([]));

        body[OPERATOR] = json!({"skills": ["billing"]});
        let id = app.create_user(body).await;
        assert_eq!(skills(&app, &id).await, ["billing"]);
        let path = format!("{OPERATOR}:skills");
        let r = app
            .req(
                "PATCH",
                &format!("Users/{id}"),
                Some(patch(
                    json!([{"op": "add", "path": path, "value": ["Sales"]}]),
                )),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(skills(&app, &id).await, ["billing", "sales"]);
        let r = app
            .req(
                "PATCH",
                &format!("Users/{id}"),
                Some(patch(
                    json!([{"op": "add", "path": path, "value": ["Nope"]}]),
                )),
            )
            .await;
        assert_error(&r, 400, Some("invalidValue"));
        assert_eq!(skills(&app, &id).await, ["billing", "sales"]);
        // Changes that do not touch skills keep working for an operator who has some.
        let r = app
            .req(
                "PATCH",
                &format!("Users/{id}"),
                Some(patch(
                    json!([{"op": "replace", "path": "displayName", "value": "Skilled"}]),
                )),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body[OPERATOR]["skills"], json!(["billing", "Sales"]));
        assert_eq!(skills(&app, &id).await, ["billing", "sales"]);
        // A PUT without the extension removes them.
        let r = app
            .req("PUT", &format!("Users/{id}"), Some(user("skilled")))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(skills(&app, &id).await.is_empty());
    }
);

on_both!(
    status_is_read_only_and_defaults_to_offline,
    async |app: TestApp| {
        let mut body = user("status");
        body[OPERATOR] = json!({"status": "Busy", "maxChats": 2});
        let r = app.req("POST", "Users", Some(body.clone())).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_str().unwrap().to_string();
        let shown = app
            .req(
                "GET",
                &format!("Users/{id}?attributes={OPERATOR}:status"),
                None,
            )
            .await;
        assert_eq!(shown.body[OPERATOR]["status"], "Offline", "{}", shown.body);
        assert_eq!(row(&app, &id).await.status, "Offline");
        assert!(
            last_write(&app, &id)
                .await
                .coercions
                .is_some_and(|c| c.contains("status"))
        );

        // The platform sets it; SCIM writes neither change it nor are refused for resending it.
        set_status(&app, &id, "Available").await;
        assert_eq!(status_of(&app, &id).await, "Available");
        let r = app.req("PUT", &format!("Users/{id}"), Some(body)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(status_of(&app, &id).await, "Available");
        let r = app
            .req(
                "PATCH",
                &format!("Users/{id}"),
                Some(patch(
                    json!([{"op": "replace", "value": {OPERATOR: {"status": "Busy"}}}]),
                )),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(status_of(&app, &id).await, "Available");
        // RFC 7644 3.5.2: an explicit path to a readOnly attribute is refused.
        let r = app
        .req("PATCH", &format!("Users/{id}"), Some(patch(json!([{"op": "replace", "path": format!("{OPERATOR}:status"), "value": "Busy"}]))))
        .await;
        assert_error(&r, 400, Some("mutability"));
        let rw = row(&app, &id).await;
        assert_eq!((rw.status.as_str(), rw.max_chats), ("Available", Some(2)));
        assert_eq!(
            filtered(&app, &format!("{OPERATOR}:status eq \"Available\"")).await,
            ["status"]
        );
    }
);
