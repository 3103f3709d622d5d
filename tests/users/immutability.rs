//! Immutable attributes (design.md section 3, RFC 7643 2.2): a change is refused as a whole
//! (400 mutability naming the attribute, nothing applied, a sync event recorded); setting an
//! unassigned attribute, resending a value and the readWrite decorations stay allowed.

use serde_json::{Value, json};

use crate::common::{TestApp, user};
use crate::on_both;
use crate::support::*;

/// A user with everything immutable assigned and a displayName to watch.
fn subject(name: &str) -> Value {
    let mut u = user(name);
    u["displayName"] = json!("Before");
    u
}

/// A request that must be refused: method, body, and what the detail must name.
struct Refused {
    method: &'static str,
    body: Value,
    names: &'static str,
}

fn put_with(name: &str, change: impl Fn(&mut Value)) -> Value {
    let mut b = subject(name);
    b["displayName"] = json!("After");
    change(&mut b);
    b
}

/// PATCH operations with a displayName change first, so "nothing applied" is visible.
fn patch_with(ops: Value) -> Value {
    let mut all = vec![json!({"op": "replace", "path": "displayName", "value": "After"})];
    all.extend(ops.as_array().cloned().unwrap_or_default());
    patch(Value::Array(all))
}

fn refusals(name: &str) -> Vec<Refused> {
    let put = |change: &dyn Fn(&mut Value), names| Refused {
        method: "PUT",
        body: put_with(name, change),
        names,
    };
    let pat = |ops: Value, names| Refused {
        method: "PATCH",
        body: patch_with(ops),
        names,
    };
    vec![
        put(
            &|b| b["userName"] = json!(format!("{name}-renamed")),
            "userName",
        ),
        pat(
            json!([{"op": "replace", "path": "userName", "value": "renamed"}]),
            "userName",
        ),
        pat(
            json!([{"op": "replace", "value": {"userName": "renamed"}}]),
            "userName",
        ),
        put(
            &|b| b["name"]["familyName"] = json!("Park"),
            "name.familyName",
        ),
        put(
            &|b| b["name"]["givenName"] = json!("Other"),
            "name.givenName",
        ),
        put(
            &|b| b["name"]["middleName"] = json!("Added"),
            "name.middleName",
        ),
        pat(
            json!([{"op": "replace", "path": "name.familyName", "value": "Park"}]),
            "name.familyName",
        ),
        pat(
            json!([{"op": "Replace", "value": {"name.familyName": "Park"}}]),
            "name.familyName",
        ),
        pat(
            json!([{"op": "replace", "path": "name", "value": {"givenName": "Given", "familyName": "Park"}}]),
            "name.familyName",
        ),
        pat(
            json!([{"op": "remove", "path": "name.familyName"}]),
            "name.familyName",
        ),
        pat(json!([{"op": "remove", "path": "name"}]), "name.familyName"),
        put(
            &|b| b["emails"][0]["value"] = json!("changed@example.com"),
            "emails",
        ),
        put(
            &|b| {
                b["emails"] = json!([
                    {"value": format!("{name}@example.com"), "type": "work", "primary": true},
                    {"value": "second@example.com", "type": "home"}
                ])
            },
            "emails",
        ),
        put(&|b| b["emails"][0]["type"] = json!("home"), "emails"),
        pat(
            json!([{"op": "add", "path": "emails", "value": [{"value": "second@example.com", "type": "home"}]}]),
            "emails",
        ),
        pat(json!([{"op": "remove", "path": "emails"}]), "emails"),
        pat(
            json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]),
            "emails",
        ),
        pat(
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "changed@example.com"}]),
            "emails",
        ),
        pat(
            json!([{"op": "replace", "path": "emails", "value": [{"value": "changed@example.com", "type": "work"}]}]),
            "emails",
        ),
        // The mutable part after the refused one is not applied either.
        Refused {
            method: "PATCH",
            body: patch(json!([
                {"op": "replace", "path": "userName", "value": "renamed"},
                {"op": "replace", "path": format!("{OPERATOR}:maxChats"), "value": 3},
                {"op": "replace", "path": "displayName", "value": "After"}
            ])),
            names: "userName",
        },
    ]
}

on_both!(
    each_immutable_change_is_refused_whole_and_recorded,
    async |app: TestApp| {
        let cases = refusals("template").len();
        for i in 0..cases {
            let name = format!("imm{i}");
            let case = refusals(&name).swap_remove(i);
            let id = app.create_user(subject(&name)).await;
            let before = get(&app, &id).await;
            let r = app
                .req(case.method, &format!("Users/{id}"), Some(case.body.clone()))
                .await;
            let ctx = format!("case {i} {} {}", case.method, case.body);
            assert_eq!(r.status, 400, "{ctx}: {}", r.body);
            assert_error(&r, 400, Some("mutability"));
            let detail = r.body["detail"].as_str().unwrap_or_default();
            assert!(
                detail.contains(case.names) && detail.contains("immutable"),
                "{ctx}: {detail}"
            );
            // Nothing applied: the resource, its version and its columns are as before.
            assert_eq!(get(&app, &id).await, before, "{ctx}");
            let rw = row(&app, &id).await;
            assert_eq!(rw.version, 1, "{ctx}");
            assert_eq!(rw.display_name.as_deref(), Some("Before"), "{ctx}");
            assert_eq!(rw.user_name, name, "{ctx}");
            assert_eq!(rw.family_name.as_deref(), Some("Family"), "{ctx}");
            assert_eq!(rw.email, Some(format!("{name}@example.com")), "{ctx}");
            assert_eq!(rw.max_chats, None, "{ctx}");
            assert_eq!(rw.last_sync_outcome.as_deref(), Some("rejected"), "{ctx}");
            // The refusal is in the sync log with its reason.
            let ev = events(&app, &id)
                .await
                .into_iter()
                .find(|e| e.action == "rejected")
                .expect("rejected event");
            assert_eq!(
                (ev.method.as_str(), ev.status, ev.outcome.as_str()),
                (case.method, 400, "rejected"),
                "{ctx}"
            );
            assert_eq!(ev.scim_type.as_deref(), Some("mutability"), "{ctx}");
            assert_eq!(ev.detail.as_deref(), Some(detail), "{ctx}");
        }
    }
);

on_both!(refusal_detail_shows_both_values, async |app: TestApp| {
    let mut body = user("lee");
    body["name"] = json!({"givenName": "Ann", "familyName": "Lee"});
    let id = app.create_user(body).await;
    let r = app
        .req(
            "PATCH",
            &format!("Users/{id}"),
            Some(patch(
                json!([{"op": "replace", "path": "name.familyName", "value": "Park"}]),
            )),
        )
        .await;
    assert_error(&r, 400, Some("mutability"));
    assert_eq!(
        r.body["detail"],
        "name.familyName is immutable: \"Lee\" -> \"Park\" refused"
    );
    assert_eq!(
        last_write(&app, &id).await.detail.as_deref(),
        Some("name.familyName is immutable: \"Lee\" -> \"Park\" refused")
    );
});

on_both!(
    case_only_resends_of_immutable_values_are_accepted_and_change_nothing,
    async |app: TestApp| {
        let id = app.create_user(subject("casey")).await;
        let before = get(&app, &id).await;
        for ops in [
            json!([{"op": "replace", "path": "userName", "value": "CASEY"}]),
            json!([{"op": "replace", "value": {"userName": "Casey"}}]),
            json!([{"op": "replace", "path": "name.familyName", "value": "FAMILY"}]),
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "Casey@Example.com"}]),
        ] {
            let r = app
                .req("PATCH", &format!("Users/{id}"), Some(patch(ops.clone())))
                .await;
            assert_eq!(r.status, 200, "{ops}: {}", r.body);
            assert_eq!(
                r.body, before,
                "{ops}: stored spelling kept, version unchanged"
            );
        }
        let mut put = subject("CASEY");
        put["name"]["familyName"] = json!("family");
        let r = app.req("PUT", &format!("Users/{id}"), Some(put)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body, before);
        let rw = row(&app, &id).await;
        assert_eq!(
            (rw.user_name.as_str(), rw.family_name.as_deref(), rw.version),
            ("casey", Some("Family"), 1)
        );
    }
);

on_both!(
    name_and_emails_may_be_set_once_while_unassigned,
    async |app: TestApp| {
        // Created with null (unassigned) name and emails.
        let id = app
            .create_user(
                json!({"schemas": [USER_URN], "userName": "late", "name": null, "emails": null}),
            )
            .await;
        let rw = row(&app, &id).await;
        assert_eq!(
            (rw.given_name.as_deref(), rw.email.as_deref()),
            (None, None)
        );
        assert_eq!(
            rw.display_name.as_deref(),
            Some("late"),
            "display name falls back to userName"
        );

        let r = app
        .req("PATCH", &format!("Users/{id}"), Some(patch(json!([
            {"op": "add", "path": "name", "value": {"givenName": "Lat", "familyName": "Comer"}}
        ]))))
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.body["name"],
            json!({"givenName": "Lat", "familyName": "Comer"})
        );
        let rw = row(&app, &id).await;
        assert_eq!(
            (rw.given_name.as_deref(), rw.family_name.as_deref()),
            (Some("Lat"), Some("Comer"))
        );

        let mut put = json!({"schemas": [USER_URN], "userName": "late", "emails": [{"value": "late@example.com", "type": "work"}]});
        let r = app
            .req("PUT", &format!("Users/{id}"), Some(put.clone()))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["emails"][0]["value"], "late@example.com");
        assert_eq!(
            r.body["name"]["familyName"], "Comer",
            "PUT omitting name keeps it"
        );
        assert_eq!(
            row(&app, &id).await.email.as_deref(),
            Some("late@example.com")
        );

        // Once set, they are immutable.
        put["emails"][0]["value"] = json!("other@example.com");
        assert_error(
            &app.req("PUT", &format!("Users/{id}"), Some(put)).await,
            400,
            Some("mutability"),
        );
        let r = app
            .req(
                "PATCH",
                &format!("Users/{id}"),
                Some(patch(
                    json!([{"op": "replace", "path": "name.givenName", "value": "X"}]),
                )),
            )
            .await;
        assert_error(&r, 400, Some("mutability"));
        let rw = row(&app, &id).await;
        assert_eq!(
            (rw.email.as_deref(), rw.given_name.as_deref()),
            (Some("late@example.com"), Some("Lat"))
        );
    }
);

on_both!(
    put_omitting_immutable_attributes_keeps_them,
    async |app: TestApp| {
        let id = app.create_user(subject("keeper")).await;
        let r = app
            .req(
                "PUT",
                &format!("Users/{id}"),
                Some(json!({"schemas": [USER_URN], "displayName": "After", "title": "Lead"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["userName"], "keeper");
        assert_eq!(
            r.body["name"],
            json!({"givenName": "Given", "familyName": "Family"})
        );
        assert_eq!(r.body["emails"][0]["value"], "keeper@example.com");
        assert_eq!(r.body["displayName"], "After");
        assert_eq!(r.body["title"], "Lead");
        let rw = row(&app, &id).await;
        assert_eq!(rw.display_name.as_deref(), Some("After"));
        assert_eq!(
            (rw.user_name.as_str(), rw.family_name.as_deref()),
            ("keeper", Some("Family"))
        );
        assert_eq!(rw.email.as_deref(), Some("keeper@example.com"));
        assert!(
            last_write(&app, &id)
                .await
                .coercions
                .is_some_and(|c| c.contains("omitted"))
        );
    }
);

on_both!(
    name_formatted_and_email_display_stay_read_write,
    async |app: TestApp| {
        let id = app.create_user(subject("decor")).await;
        let r = app
            .req(
                "PATCH",
                &format!("Users/{id}"),
                Some(patch(json!([
                    {"op": "replace", "path": "name.formatted", "value": "Dr. Given Family"}
                ]))),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["name"]["formatted"], "Dr. Given Family");
        // Okta's PUT adds `display` to an email created without one, and reformats name.formatted.
        let mut put = subject("decor");
        put["emails"][0]["display"] = json!("Work mail");
        put["name"]["formatted"] = json!("Given Family");
        let r = app.req("PUT", &format!("Users/{id}"), Some(put)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["emails"][0]["display"], "Work mail");
        assert_eq!(r.body["name"]["formatted"], "Given Family");
        assert_eq!(r.body["meta"]["version"], "W/\"3\"");
        let doc: Value = serde_json::from_str(&row(&app, &id).await.doc).unwrap();
        assert_eq!(doc["emails"][0]["display"], "Work mail");
        assert_eq!(doc["name"]["formatted"], "Given Family");
    }
);

on_both!(
    adding_a_work_email_by_value_path_sets_an_unassigned_email,
    async |app: TestApp| {
        let id = app
            .create_user(json!({"schemas": [USER_URN], "userName": "noemail"}))
            .await;
        let r = app
        .req("PATCH", &format!("Users/{id}"), Some(patch(json!([
            {"op": "add", "path": "emails[type eq \"work\"].value", "value": "noemail@example.com"}
        ]))))
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.body["emails"],
            json!([{"type": "work", "value": "noemail@example.com"}])
        );
        assert_eq!(
            row(&app, &id).await.email.as_deref(),
            Some("noemail@example.com")
        );
        // Resending it is a no-op; changing it is refused.
        let r = app
        .req("PATCH", &format!("Users/{id}"), Some(patch(json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "noemail@example.com"}
        ]))))
        .await;
        assert_eq!(
            (r.status.as_u16(), r.body["meta"]["version"].as_str()),
            (200, Some("W/\"2\""))
        );
        let r = app
        .req("PATCH", &format!("Users/{id}"), Some(patch(json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "changed@example.com"}
        ]))))
        .await;
        assert_error(&r, 400, Some("mutability"));
    }
);
