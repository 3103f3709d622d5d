//! The Users page through the API: list and filters, create, edit drawer, de-provision, CSV.

use serde_json::{Value, json};

use crate::admin_on_both;
use crate::support::{AdminApp, assert_error, enc, scim_user};

const OPERATOR: &str = "urn:dialai:params:scim:schemas:extension:operator:2.0:User";

async fn create(app: &AdminApp, body: Value) -> Value {
    let r = app.api("POST", "/admin/api/users", Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

fn emails(list: &Value) -> Vec<String> {
    list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_string())
        .collect()
}

admin_on_both!(
    create_get_and_list_with_filters_and_paging,
    async |app: AdminApp| {
        app.api(
            "POST",
            "/admin/api/skills",
            Some(json!({"names": ["Billing", "Voice"]})),
        )
        .await;
        let ann = create(&app, json!({"name": "Ann Lee", "email": "ann@example.com", "roles": ["DialAiAdmin"],
        "maxChats": 4, "csrUser": true, "skills": ["billing"], "mobilePhone": "+15550001", "status": "Busy"})).await;
        assert_eq!(ann["userName"], "ann@example.com");
        assert_eq!(ann["givenName"], "Ann");
        assert_eq!(ann["familyName"], "Lee");
        assert_eq!(ann["displayName"], "Ann Lee");
        assert_eq!(ann["maxChats"], 4);
        assert_eq!(ann["csrUser"], true);
        assert_eq!(ann["skills"], json!(["billing"]));
        assert_eq!(ann["mobilePhone"], "+15550001");
        assert_eq!(ann["status"], "Busy");
        assert_eq!(ann["roles"], json!(["DialAiAdmin"]));
        assert_eq!(ann["groups"][0]["displayName"], "DialAiAdmin");
        assert_eq!(ann["managedBy"], Value::Null, "created by an admin");
        create(&app, json!({"name": "Bob Stone", "email": "bob@corp.example", "userName": "bstone", "roles": ["Maintainer"]})).await;
        create(
            &app,
            json!({"name": "Cleo Ray", "email": "cleo@example.com"}),
        )
        .await;
        // An IdP-provisioned account shows its managing client.
        let idp = app.scim("POST", "Users", Some(scim_user("dan"))).await;
        assert_eq!(idp.status, 201);
        let dan = app
            .api(
                "GET",
                &format!("/admin/api/users/{}", idp.body["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(dan.body["managedBy"]["clientName"], "okta", "{}", dan.body);

        let all = app.api("GET", "/admin/api/users", None).await;
        assert_eq!(all.body["totalResults"], 4);
        // By display name, ordered by name.
        assert_eq!(
            emails(&app.api("GET", "/admin/api/users", None).await.body)[0],
            "ann@example.com"
        );
        assert_eq!(
            emails(&app.api("GET", "/admin/api/users?name=lee", None).await.body),
            ["ann@example.com"]
        );
        assert_eq!(
            emails(
                &app.api("GET", "/admin/api/users?name=bston", None)
                    .await
                    .body
            ),
            ["bob@corp.example"]
        );
        assert_eq!(
            emails(
                &app.api("GET", "/admin/api/users?email=corp", None)
                    .await
                    .body
            ),
            ["bob@corp.example"]
        );
        assert_eq!(
            emails(
                &app.api("GET", "/admin/api/users?status=Busy", None)
                    .await
                    .body
            ),
            ["ann@example.com"]
        );
        assert_eq!(
            emails(
                &app.api("GET", "/admin/api/users?role=Maintainer", None)
                    .await
                    .body
            ),
            ["bob@corp.example"]
        );
        assert_eq!(
            app.api("GET", "/admin/api/users?role=Nobody", None)
                .await
                .body["totalResults"],
            0
        );
        let both = app
            .api(
                "GET",
                &format!("/admin/api/users?email={}&name=cleo", enc("example.com")),
                None,
            )
            .await;
        assert_eq!(emails(&both.body), ["cleo@example.com"]);
        assert_error(
            &app.api("GET", "/admin/api/users?status=Sleeping", None)
                .await,
            400,
            Some("invalidValue"),
        );
        // Paging.
        let p1 = app
            .api("GET", "/admin/api/users?count=2&startIndex=1", None)
            .await;
        let p2 = app
            .api("GET", "/admin/api/users?count=2&startIndex=3", None)
            .await;
        assert_eq!(p1.body["itemsPerPage"], 2);
        assert_eq!(p1.body["totalResults"], 4);
        assert_eq!(p2.body["startIndex"], 3);
        let mut seen = emails(&p1.body);
        seen.extend(emails(&p2.body));
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 4);
        // Get by id; unknown and malformed ids are 404.
        let one = app
            .api(
                "GET",
                &format!("/admin/api/users/{}", ann["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(one.body["email"], "ann@example.com");
        assert_error(
            &app.api("GET", "/admin/api/users/not-an-id", None).await,
            404,
            None,
        );
        // The create is a sync event without a client; the status change too.
        let ev = app
            .api(
                "GET",
                &format!("/admin/api/events?user={}", ann["id"].as_str().unwrap()),
                None,
            )
            .await;
        let actions: Vec<&str> = ev.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(
            actions.contains(&"create") && actions.contains(&"update"),
            "{actions:?}"
        );
        assert!(
            ev.body["events"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["actor"] == "admin")
        );
    }
);

admin_on_both!(
    create_is_refused_whole_on_bad_input,
    async |app: AdminApp| {
        create(&app, json!({"name": "Ann Lee", "email": "ann@example.com"})).await;
        for (body, status, scim_type) in [
            (json!({"name": "No Mail"}), 400, Some("invalidValue")),
            (json!({"email": "not-an-email"}), 400, Some("invalidValue")),
            (
                json!({"email": "ANN@example.com", "userName": "other"}),
                409,
                Some("uniqueness"),
            ),
            (
                json!({"email": "x@example.com", "maxChats": 11}),
                400,
                Some("invalidValue"),
            ),
            (
                json!({"email": "y@example.com", "skills": ["unknown"]}),
                400,
                Some("invalidValue"),
            ),
            (
                json!({"email": "z@example.com", "roles": ["Wizard"]}),
                400,
                Some("invalidValue"),
            ),
            (
                json!({"email": "w@example.com", "groups": ["No such group"]}),
                400,
                Some("invalidValue"),
            ),
            (
                json!({"email": "v@example.com", "status": "Sleeping"}),
                400,
                Some("invalidValue"),
            ),
            (
                json!({"email": "u@example.com", "favourite": 1}),
                400,
                Some("invalidValue"),
            ),
        ] {
            let r = app
                .api("POST", "/admin/api/users", Some(body.clone()))
                .await;
            assert_error(&r, status, scim_type);
        }
        let r = app
            .send(
                "POST",
                "/admin/api/users",
                Some(("application/json", b"{nope".to_vec())),
                crate::support::Auth::Bearer(&app.admin.clone()),
                None,
            )
            .await;
        assert_error(&r, 400, Some("invalidSyntax"));
        assert_eq!(
            app.api("GET", "/admin/api/users", None).await.body["totalResults"],
            1
        );
    }
);

admin_on_both!(
    edit_drawer_changes_mutable_fields_only,
    async |app: AdminApp| {
        app.api(
            "POST",
            "/admin/api/skills",
            Some(json!({"names": ["Billing", "Voice"]})),
        )
        .await;
        let u = create(
            &app,
            json!({"name": "Ann Lee", "email": "ann@example.com", "roles": ["Read-Only"]}),
        )
        .await;
        let path = format!("/admin/api/users/{}", u["id"].as_str().unwrap());
        let r = app.api("PATCH", &path, Some(json!({"maxChats": 7, "maxEmails": 0, "csrUser": true, "voiceCalls": true,
        "skills": ["voice"], "mobilePhone": "+15550002", "status": "Available", "roles": ["Maintainer", "DialAiAdmin"]}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["maxChats"], 7);
        assert_eq!(r.body["maxEmails"], 0);
        assert_eq!(r.body["csrUser"], true);
        assert_eq!(r.body["voiceCalls"], true);
        assert_eq!(r.body["skills"], json!(["voice"]));
        assert_eq!(r.body["mobilePhone"], "+15550002");
        assert_eq!(r.body["status"], "Available");
        assert_eq!(r.body["roles"], json!(["DialAiAdmin", "Maintainer"]));
        // The SCIM view agrees (the same account document).
        let scim = app
            .scim(
                "GET",
                &format!(
                    "Users/{}?attributes={OPERATOR}:status,{OPERATOR}:maxChats",
                    u["id"].as_str().unwrap()
                ),
                None,
            )
            .await;
        assert_eq!(scim.body[OPERATOR]["maxChats"], 7);
        assert_eq!(scim.body[OPERATOR]["status"], "Available");
        // 0-10: anything else is refused and nothing of the edit is applied.
        for bad in [json!(11), json!(-1), json!("5"), json!(2.5)] {
            let r = app
                .api(
                    "PATCH",
                    &path,
                    Some(json!({"maxChats": bad, "csrUser": false})),
                )
                .await;
            assert_error(&r, 400, Some("invalidValue"));
        }
        assert_error(
            &app.api("PATCH", &path, Some(json!({"maxEmails": 11})))
                .await,
            400,
            Some("invalidValue"),
        );
        let after = app.api("GET", &path, None).await;
        assert_eq!(after.body["maxChats"], 7);
        assert_eq!(after.body["csrUser"], true);
        assert_eq!(
            app.api("PATCH", &path, Some(json!({"maxChats": 10})))
                .await
                .body["maxChats"],
            10
        );
        assert_eq!(
            app.api("PATCH", &path, Some(json!({"maxChats": 0})))
                .await
                .body["maxChats"],
            0
        );
        // Immutable: username, names and email; the SCIM-style refusal names the attribute.
        for (body, attr) in [
            (json!({"userName": "someone-else"}), "userName"),
            (json!({"givenName": "Anna"}), "name.givenName"),
            (
                json!({"familyName": "Park", "maxChats": 3}),
                "name.familyName",
            ),
            (json!({"email": "ann@elsewhere.com"}), "emails"),
        ] {
            let r = app.api("PATCH", &path, Some(body)).await;
            assert_error(&r, 400, Some("mutability"));
            assert!(
                r.body["detail"].as_str().unwrap().contains(attr),
                "{}",
                r.body
            );
        }
        assert_eq!(
            app.api("GET", &path, None).await.body["maxChats"],
            0,
            "nothing of a refused edit applied"
        );
        // Resending the current values is fine.
        let same = app
            .api(
                "PATCH",
                &path,
                Some(json!({"userName": "ANN@example.com", "givenName": "Ann",
        "familyName": "Lee", "email": "ann@example.com", "maxChats": 2})),
            )
            .await;
        assert_eq!(same.status, 200, "{}", same.body);
        assert_eq!(same.body["userName"], "ann@example.com");
        // Other refusals: unknown skill, bad status, unknown group, unknown field.
        assert_error(
            &app.api("PATCH", &path, Some(json!({"skills": ["juggling"]})))
                .await,
            400,
            Some("invalidValue"),
        );
        assert_error(
            &app.api("PATCH", &path, Some(json!({"status": "Away"})))
                .await,
            400,
            Some("invalidValue"),
        );
        assert_error(
            &app.api("PATCH", &path, Some(json!({"groups": ["Nope"]})))
                .await,
            400,
            Some("invalidValue"),
        );
        assert_error(
            &app.api("PATCH", &path, Some(json!({"id": "x"}))).await,
            400,
            Some("invalidValue"),
        );
        // Groups by name replace the memberships; clearing the phone and a cap.
        let r = app
            .api(
                "PATCH",
                &path,
                Some(json!({"groups": ["maintainer"], "mobilePhone": null, "maxEmails": null})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["roles"], json!(["Maintainer"]));
        assert_eq!(r.body["mobilePhone"], Value::Null);
        assert_eq!(r.body["maxEmails"], Value::Null);
        // Deactivate and reactivate.
        assert_eq!(
            app.api("PATCH", &path, Some(json!({"active": false})))
                .await
                .body["active"],
            false
        );
        assert_eq!(
            app.api("PATCH", &path, Some(json!({"active": true})))
                .await
                .body["active"],
            true
        );
        // The edits are in the user's timeline as admin events; the refusals too.
        let t = app.api("GET", &format!("{path}/timeline"), None).await;
        let ev = t.body["events"].as_array().unwrap();
        assert!(ev.iter().any(|e| e["action"] == "deactivate"));
        assert!(
            ev.iter()
                .any(|e| e["action"] == "rejected" && e["scimType"] == "mutability")
        );
        assert_error(
            &app.api(
                "PATCH",
                "/admin/api/users/8f1f5b1c-0000-4000-8000-000000000000",
                Some(json!({"maxChats": 1})),
            )
            .await,
            404,
            None,
        );
    }
);

admin_on_both!(
    deprovision_needs_the_email_typed_back,
    async |app: AdminApp| {
        let u = create(
            &app,
            json!({"name": "Ann Lee", "email": "ann@example.com", "roles": ["Maintainer"]}),
        )
        .await;
        let id = u["id"].as_str().unwrap();
        let path = format!("/admin/api/users/{id}");
        assert_error(
            &app.api("DELETE", &path, None).await,
            400,
            Some("invalidValue"),
        );
        assert_error(
            &app.api(
                "DELETE",
                &path,
                Some(json!({"confirmEmail": "bob@example.com"})),
            )
            .await,
            400,
            Some("invalidValue"),
        );
        assert_eq!(app.api("GET", &path, None).await.status, 200);
        let r = app
            .api(
                "DELETE",
                &path,
                Some(json!({"confirmEmail": " Ann@Example.com "})),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_error(&app.api("GET", &path, None).await, 404, None);
        assert_eq!(
            app.scim("GET", &format!("Users/{id}"), None).await.status,
            404
        );
        // Soft delete: counted as deleted, roles gone, the email free again, history kept.
        let s = app.api("GET", "/admin/api/sync/status", None).await;
        assert_eq!(s.body["accounts"]["deleted"], 1);
        let aid = scim_connector::domain::ids::AccountId::parse(id).unwrap();
        assert!(
            app.store
                .roles_of(app.tenant, aid)
                .await
                .unwrap()
                .is_empty()
        );
        let t = app.api("GET", &format!("{path}/timeline"), None).await;
        assert!(
            t.body["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "delete" && e["actor"] == "admin"),
            "{}",
            t.body
        );
        create(&app, json!({"email": "ann@example.com"})).await;
        // A query parameter works as well.
        let v = create(&app, json!({"email": "vic@example.com"})).await;
        let r = app
            .api(
                "DELETE",
                &format!(
                    "/admin/api/users/{}?confirmEmail={}",
                    v["id"].as_str().unwrap(),
                    enc("vic@example.com")
                ),
                None,
            )
            .await;
        assert_eq!(r.status, 204);
    }
);

admin_on_both!(
    csv_bulk_add_reports_each_row_and_applies_nothing_of_a_bad_one,
    async |app: AdminApp| {
        create(&app, json!({"email": "taken@example.com"})).await;
        let csv = "name,email,username,roles\n\
        Ann Lee,ann@example.com,ann,Maintainer\n\
        Bob Stone,bob@example.com,,DialAiAdmin;Read-Only\n\
        \"Ray, Cleo\",cleo@example.com,cleo,\n\
        No Email,,nomail,\n\
        Wiz Ard,wiz@example.com,wiz,Wizard\n\
        Dup Licate,taken@example.com,dup,\n\
        Same Name,same@example.com,ann,\n";
        let r = app
            .send(
                "POST",
                "/admin/api/users/bulk",
                Some(("text/csv", csv.as_bytes().to_vec())),
                crate::support::Auth::Bearer(&app.admin.clone()),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["created"], 3, "{}", r.body);
        assert_eq!(r.body["failed"], 4);
        let results = r.body["results"].as_array().unwrap();
        assert_eq!(results.len(), 7);
        let status: Vec<&str> = results
            .iter()
            .map(|x| x["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            status,
            [
                "created", "created", "created", "failed", "failed", "failed", "failed"
            ]
        );
        assert_eq!(results[0]["line"], 2);
        assert_eq!(results[3]["error"]["scimType"], "invalidValue");
        assert!(
            results[4]["error"]["detail"]
                .as_str()
                .unwrap()
                .contains("Wizard")
        );
        assert_eq!(results[5]["error"]["status"], 409);
        assert_eq!(results[6]["error"]["status"], 409);
        // Nothing of a bad row exists; the good rows have their roles.
        for email in ["wiz@example.com", "same@example.com"] {
            let l = app
                .api(
                    "GET",
                    &format!("/admin/api/users?email={}", enc(email)),
                    None,
                )
                .await;
            assert_eq!(l.body["totalResults"], 0, "{email}: {}", l.body);
        }
        let bob = app.api("GET", "/admin/api/users?email=bob", None).await;
        assert_eq!(
            bob.body["users"][0]["roles"],
            json!(["DialAiAdmin", "Read-Only"])
        );
        assert_eq!(bob.body["users"][0]["userName"], "bob@example.com");
        let cleo = app.api("GET", "/admin/api/users?email=cleo", None).await;
        assert_eq!(cleo.body["users"][0]["displayName"], "Ray, Cleo");
        // JSON form of the same upload; a file without an email column is refused whole.
        let r = app
            .api(
                "POST",
                "/admin/api/users/bulk",
                Some(json!({"csv": "email\nzed@example.com\n"})),
            )
            .await;
        assert_eq!(r.body["created"], 1, "{}", r.body);
        let r = app
            .api(
                "POST",
                "/admin/api/users/bulk",
                Some(json!({"csv": "name\nAnn\n"})),
            )
            .await;
        assert_error(&r, 400, Some("invalidValue"));
        assert_eq!(
            app.api("GET", "/admin/api/users", None).await.body["totalResults"],
            5
        );
    }
);

admin_on_both!(
    csv_bulk_add_reads_every_cell_after_roles_as_a_role_and_drops_nothing,
    async |app: AdminApp| {
        let bulk = async |csv: &str| {
            app.send(
                "POST",
                "/admin/api/users/bulk",
                Some(("text/csv", csv.as_bytes().to_vec())),
                crate::support::Auth::Bearer(&app.admin.clone()),
                None,
            )
            .await
        };
        // `roles...`: every cell after a last `roles` column is one more role.
        let r = bulk(
            "name,email,username,roles\n\
             Ann Lee,ann@example.com,ann,Maintainer,Read-Only\n\
             Bob Stone,bob@example.com,bob,DialAiAdmin;Maintainer,,Read-Only\n\
             Wiz Ard,wiz@example.com,wiz,Maintainer,Wizard\n",
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["created"], 2, "{}", r.body);
        let results = r.body["results"].as_array().unwrap();
        assert_eq!(
            results[0]["user"]["roles"],
            json!(["Maintainer", "Read-Only"]),
            "{}",
            r.body
        );
        assert_eq!(
            results[1]["user"]["roles"],
            json!(["DialAiAdmin", "Maintainer", "Read-Only"])
        );
        // A bad role in an extra cell fails the row, which applies nothing.
        assert_eq!(results[2]["status"], "failed");
        assert!(
            results[2]["error"]["detail"]
                .as_str()
                .unwrap()
                .contains("Wizard")
        );
        // Extra cells when `roles` is not the last column: that row is refused, not cut.
        let r = bulk(
            "roles,email,name\n\
             Maintainer,cy@example.com,Cy Diaz,Read-Only\n\
             Maintainer,dee@example.com,Dee Fox\n",
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            (r.body["created"].clone(), r.body["failed"].clone()),
            (json!(1), json!(1))
        );
        let bad = &r.body["results"][0];
        assert_eq!(bad["line"], 2);
        assert_eq!(bad["email"], serde_json::Value::Null);
        assert_eq!(bad["error"]["status"], 400);
        assert!(
            bad["error"]["detail"].as_str().unwrap().contains("4 cells"),
            "{bad}"
        );
        assert_eq!(r.body["results"][1]["status"], "created");
        // An unknown column refuses the whole file.
        let r = bulk("name,email,phone\nEd Gray,ed@example.com,555\n").await;
        assert_error(&r, 400, Some("invalidValue"));
        assert!(r.body["detail"].as_str().unwrap().contains("phone"));
        for (email, n) in [
            ("wiz@example.com", 0),
            ("cy@example.com", 0),
            ("ed@example.com", 0),
            ("dee@example.com", 1),
        ] {
            let l = app
                .api(
                    "GET",
                    &format!("/admin/api/users?email={}", enc(email)),
                    None,
                )
                .await;
            assert_eq!(l.body["totalResults"], n, "{email}: {}", l.body);
        }
    }
);
