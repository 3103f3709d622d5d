//! The server-rendered admin console (issue 8) through the real app, on SQLite and
//! PostgreSQL: every page answers HTML for a signed-in session with the markup contract's ids
//! and the tenant's real data; a visitor without a session sees none of it (and never a JSON
//! body); one tenant's admin never sees another's operators; everything is escaped.
//! The pages' JavaScript is exercised in a browser by `tests/admin_browser.rs`.

mod common;

#[macro_use]
#[path = "admin_api/support.rs"]
mod support;

use serde_json::{Value, json};

use scim_connector::domain::admin::auth::OidcSettings;

use support::{AdminApp, Auth, enc, scim_user};

/// A page: status, headers and the HTML.
struct Page {
    status: u16,
    html: String,
    content_type: String,
    resp: common::Resp,
}

impl Page {
    #[track_caller]
    fn ok(&self) -> &str {
        assert_eq!(self.status, 200, "{}", self.html);
        assert!(
            self.content_type.starts_with("text/html"),
            "{}",
            self.content_type
        );
        &self.html
    }
}

async fn get(app: &AdminApp, path: &str, auth: Auth<'_>) -> Page {
    let resp = app.send("GET", path, None, auth, None).await;
    let html = match &resp.body {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => panic!("{path} answered JSON: {other}"),
    };
    Page {
        status: resp.status.as_u16(),
        content_type: resp.header("content-type").unwrap_or_default(),
        html,
        resp,
    }
}

/// The page signed in as the tenant's admin (session cookie).
async fn page(app: &AdminApp, cookie: &str, path: &str) -> String {
    get(app, path, Auth::Cookie(cookie, None))
        .await
        .ok()
        .to_string()
}

/// The part of `html` from `start` up to the next `end`.
#[track_caller]
fn part<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in the page:\n{html}"));
    let rest = &html[from..];
    &rest[..rest.find(end).map_or(rest.len(), |e| e + end.len())]
}

/// The table row of a user.
#[track_caller]
fn user_row<'a>(html: &'a str, id: &str) -> &'a str {
    part(html, &format!("<tr data-user-id=\"{id}\""), "</tr>")
}

async fn create(app: &AdminApp, body: Value) -> Value {
    let r = app.api("POST", "/admin/api/users", Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

/// IdP traffic: ann created by okta, a refused immutable change, a deactivation with the
/// tolerances Okta needs ("Replace", "False"). Returns ann's id.
async fn idp_traffic(app: &AdminApp) -> String {
    let r = app.scim("POST", "Users", Some(scim_user("ann"))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let uid = r.body["id"].as_str().unwrap().to_string();
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
    assert_eq!(refused.status, 400, "{}", refused.body);
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
    uid
}

admin_on_both!(
    users_page_lists_operators_with_badges_and_the_contract,
    async |app: AdminApp| {
        let (cookie, csrf) = app.sign_in().await;
        app.api(
            "POST",
            "/admin/api/skills",
            Some(json!({"name": "Billing"})),
        )
        .await;
        let cleo = create(&app, json!({"name": "Cleo Ray", "email": "cleo@example.com", "roles": ["Maintainer"], "status": "Busy"})).await;
        let dan = create(&app, json!({"name": "Dan Ode", "email": "dan@example.com"})).await;
        let idp = app.scim("POST", "Users", Some(scim_user("eve"))).await;
        let eve = idp.body["id"].as_str().unwrap().to_string();
        let gone = create(
            &app,
            json!({"name": "Gus Gone", "email": "gus@example.com"}),
        )
        .await;
        let r = app
            .api(
                "DELETE",
                &format!("/admin/api/users/{}", gone["id"].as_str().unwrap()),
                Some(json!({"confirmEmail": "gus@example.com"})),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);

        let p = get(&app, "/admin/users", Auth::Cookie(&cookie, None)).await;
        let html = p.ok();
        assert!(
            p.resp
                .header("content-security-policy")
                .unwrap()
                .contains("default-src 'self'")
        );
        assert_eq!(p.resp.header("cache-control").as_deref(), Some("no-store"));
        assert!(
            html.contains(&format!("<meta name=\"csrf-token\" content=\"{csrf}\">")),
            "{html}"
        );
        for path in [
            "/admin/users",
            "/admin/groups",
            "/admin/sync",
            "/admin/events",
            "/admin/clients",
            "/admin/skills",
            "/admin/roles",
        ] {
            assert!(
                part(html, "<nav id=\"nav\"", "</nav>").contains(&format!("href=\"{path}\"")),
                "{path}"
            );
        }
        assert!(html.contains("id=\"sign-out\" method=\"post\" action=\"/admin/logout\""));
        assert!(html.contains("<h1>Users</h1>"));
        assert!(
            !html.contains("<script>") && !html.contains(" style="),
            "no inline script or style"
        );
        for id in [
            "id=\"user-filter\"",
            "id=\"user-filter-apply\"",
            "id=\"bulk-add-open\"",
            "id=\"create-user-open\"",
            "id=\"users\"",
            "id=\"create-dialog\"",
            "id=\"create-form\"",
            "id=\"create-save\"",
            "id=\"edit-drawer\"",
            "id=\"edit-form\"",
            "id=\"edit-save\"",
            "id=\"delete-dialog\"",
            "id=\"delete-confirm-email\"",
            "id=\"delete-confirm\"",
            "id=\"bulk-dialog\"",
            "id=\"bulk-file\"",
            "id=\"bulk-submit\"",
            "id=\"bulk-results\"",
            "id=\"bulk-done\"",
            "id=\"flash\"",
        ] {
            assert!(html.contains(id), "{id} missing");
        }
        let header = part(html, "id=\"users\"", "</thead>");
        for th in ["Name", "Email", "Status", "Groups", "Edit", "Delete"] {
            assert!(header.contains(&format!("<th>{th}</th>")), "{th}");
        }
        // The drawer: read-only identity, the editable settings, the skill catalog.
        let drawer = part(html, "id=\"edit-drawer\"", "</dialog>");
        for name in ["userName", "givenName", "familyName", "email"] {
            assert!(
                drawer.contains(&format!("name=\"{name}\" readonly")),
                "{name} read-only"
            );
        }
        for field in [
            "name=\"groups\"",
            "select name=\"status\"",
            "type=\"checkbox\" name=\"csrUser\"",
            "name=\"skills\" value=\"Billing\"",
            "type=\"checkbox\" name=\"voiceCalls\"",
            "type=\"number\" name=\"maxChats\" min=\"0\" max=\"10\"",
            "type=\"number\" name=\"maxEmails\"",
            "name=\"mobilePhone\"",
        ] {
            assert!(drawer.contains(field), "{field}");
        }
        assert!(html.contains(
            "input id=\"bulk-file\" type=\"file\" name=\"file\" accept=\".csv,text/csv\""
        ));
        // Rows: name, email, status, role badge; the IdP's account shows its client.
        let row = user_row(html, cleo["id"].as_str().unwrap());
        assert!(row.contains("data-email=\"cleo@example.com\""));
        assert!(
            row.contains(&format!(
                "<a href=\"/admin/users/{}\">Cleo Ray</a>",
                cleo["id"].as_str().unwrap()
            )),
            "{row}"
        );
        assert!(
            row.contains("<td class=\"email\">cleo@example.com</td>"),
            "{row}"
        );
        assert!(part(row, "<td class=\"status\"", "</td>").contains("Busy"));
        assert!(
            part(row, "<td class=\"groups\"", "</td>")
                .contains("<span class=\"badge role\" data-role=\"Maintainer\""),
            "{row}"
        );
        assert!(row.contains("<button class=\"edit\"") && row.contains("<button class=\"delete\""));
        assert!(!row.contains("managed-by"), "created in the console");
        let row = user_row(html, &eve);
        assert!(
            part(row, "<span class=\"managed-by\"", "</span>").contains("okta"),
            "{row}"
        );
        assert!(!user_row(html, dan["id"].as_str().unwrap()).contains("class=\"badge"));
        // Soft-deleted accounts are not listed.
        assert!(!html.contains("gus@example.com"));
        // The filter: by name, by role, by status (a bad one is a notice, not an error body).
        let by_name = page(&app, &cookie, "/admin/users?name=cleo").await;
        assert!(by_name.contains("cleo@example.com") && !by_name.contains("dan@example.com"));
        assert!(by_name.contains("name=\"name\" value=\"cleo\""));
        let by_role = page(&app, &cookie, "/admin/users?role=Maintainer").await;
        assert!(by_role.contains("cleo@example.com") && !by_role.contains("dan@example.com"));
        assert!(
            by_role.contains("<option value=\"Maintainer\" selected>"),
            "{by_role}"
        );
        let by_status = page(&app, &cookie, "/admin/users?status=Busy").await;
        assert!(by_status.contains("cleo@example.com") && !by_status.contains("eve@example.com"));
        let bad = get(
            &app,
            "/admin/users?status=Asleep",
            Auth::Cookie(&cookie, None),
        )
        .await;
        assert_eq!(bad.status, 400);
        assert!(bad.content_type.starts_with("text/html"));
        assert!(
            part(&bad.html, "<div id=\"flash\"", "</div>").contains("status must be one of"),
            "{}",
            bad.html
        );
    }
);

admin_on_both!(
    refused_change_shows_in_events_and_the_user_timeline,
    async |app: AdminApp| {
        let (cookie, _) = app.sign_in().await;
        let uid = idp_traffic(&app).await;
        let events = page(&app, &cookie, "/admin/events?outcome=rejected").await;
        for id in [
            "id=\"event-filter\"",
            "id=\"event-filter-apply\"",
            "id=\"events\"",
        ] {
            assert!(events.contains(id), "{id}");
        }
        for name in [
            "select name=\"client\"",
            "name=\"user\"",
            "name=\"group\"",
            "select name=\"action\"",
            "select name=\"outcome\"",
            "name=\"from\"",
            "name=\"to\"",
        ] {
            assert!(
                part(&events, "id=\"event-filter\"", "</form>").contains(name),
                "{name}"
            );
        }
        let body = part(&events, "<tbody>", "</tbody>");
        assert_eq!(body.matches("<tr class=\"event").count(), 1, "{body}");
        let row = part(body, "<tr class=\"event", "</tr>");
        assert!(row.contains("data-outcome=\"rejected\""));
        assert!(row.contains("<td class=\"client\">okta</td>"), "{row}");
        assert!(row.contains("mutability"));
        assert!(
            part(row, "<td class=\"detail\">", "</td>").contains("name.familyName is immutable"),
            "{row}"
        );
        assert!(
            part(row, "<td class=\"resource\">", "</td>")
                .contains(&format!("href=\"/admin/users/{uid}\""))
        );
        // All events, newest first; the deactivation shows the tolerances applied.
        let all = page(&app, &cookie, "/admin/events").await;
        let deact = part(&all, "data-action=\"deactivate\"", "</tr>");
        assert!(
            part(deact, "<td class=\"coercions\">", "</td>")
                .contains("<ul class=\"coercions\"><li>"),
            "{deact}"
        );
        // Paging: a full page links the next one, which continues where it stopped.
        let first = page(&app, &cookie, "/admin/events?limit=1").await;
        let marker = "<a id=\"events-next\" href=\"";
        let from = first.find(marker).expect("a next link") + marker.len();
        let href = first[from..from + first[from..].find('"').unwrap()].replace("&amp;", "&");
        assert!(
            href.contains("before=") && href.contains("beforeAt="),
            "{href}"
        );
        assert!(href.contains("limit=1"), "{href}");
        let second = page(&app, &cookie, &href).await;
        let second = part(&second, "<tbody>", "</tbody>");
        assert_eq!(second.matches("<tr class=\"event").count(), 1, "{second}");
        assert!(
            second.contains("data-action=\"rejected\""),
            "the one before the deactivation: {second}"
        );
        // A time typed without an offset is read as UTC; a bad one is a notice.
        let later = (chrono::Utc::now() + chrono::Duration::hours(2))
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        let none = page(
            &app,
            &cookie,
            &format!("/admin/events?from={}", enc(&later)),
        )
        .await;
        assert!(
            !part(&none, "<tbody>", "</tbody>").contains("<tr"),
            "{none}"
        );
        let bad = get(
            &app,
            "/admin/events?from=yesterday",
            Auth::Cookie(&cookie, None),
        )
        .await;
        assert_eq!(bad.status, 400);
        assert!(
            part(&bad.html, "<div id=\"flash\"", "</div>")
                .contains("from must be an RFC 3339 time")
        );

        // The user's page: fields, managing client, the timeline newest first.
        let user = page(&app, &cookie, &format!("/admin/users/{uid}")).await;
        assert!(part(&user, "<dd class=\"user-name\">", "</dd>").contains("ann"));
        assert!(
            part(&user, "<dd class=\"managed\">", "</dd>").contains("okta"),
            "{user}"
        );
        let timeline = part(&user, "id=\"timeline\">", "</ol>");
        assert_eq!(
            timeline.matches("<li class=\"event").count(),
            3,
            "{timeline}"
        );
        let actions: Vec<&str> = timeline
            .split("data-action=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
            .collect();
        assert_eq!(actions, ["deactivate", "rejected", "create"]);
        let refused = part(timeline, "data-outcome=\"rejected\"", "</li>");
        assert!(
            part(refused, "<p class=\"detail\">", "</p>").contains("name.familyName is immutable")
        );
        assert!(
            refused.contains("<span class=\"status\">400</span>") && refused.contains("mutability")
        );
        assert!(
            refused.contains(&format!("<code class=\"path\">/scim/v2/Users/{uid}</code>")),
            "{refused}"
        );
        assert!(
            part(timeline, "data-action=\"deactivate\"", "</li>")
                .contains("<ul class=\"coercions\"><li>")
        );
        // The events page links there; an unknown user is an HTML 404.
        let missing = get(
            &app,
            &format!("/admin/users/{}", uuid::Uuid::new_v4()),
            Auth::Cookie(&cookie, None),
        )
        .await;
        assert_eq!(missing.status, 404);
        assert!(missing.content_type.starts_with("text/html"));
        // A de-provisioned account keeps its history page.
        let r = app.scim("DELETE", &format!("Users/{uid}"), None).await;
        assert_eq!(r.status, 204);
        app.store.flush_events().await;
        let gone = page(&app, &cookie, &format!("/admin/users/{uid}")).await;
        assert!(gone.contains("id=\"user-gone\""));
        assert_eq!(
            part(&gone, "id=\"timeline\">", "</ol>")
                .matches("<li class=\"event")
                .count(),
            4
        );
    }
);

admin_on_both!(
    sync_page_has_counts_and_a_card_per_client_with_charts,
    async |app: AdminApp| {
        let (cookie, _) = app.sign_in().await;
        let uid = idp_traffic(&app).await;
        app.scim("POST", "Users", Some(scim_user("bob"))).await;
        let cleo = app.scim("POST", "Users", Some(scim_user("cleo"))).await;
        app.scim(
            "DELETE",
            &format!("Users/{}", cleo.body["id"].as_str().unwrap()),
            None,
        )
        .await;
        app.store.flush_events().await;
        let clients = app.api("GET", "/admin/api/clients", None).await;
        let okta = clients.body["clients"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();

        let html = page(&app, &cookie, "/admin/sync").await;
        let counts = part(&html, "id=\"account-counts\"", "</dl>");
        assert!(
            counts.contains("<dd data-count=\"active\">1</dd>"),
            "{counts}"
        );
        assert!(counts.contains("<dd data-count=\"deactivated\">1</dd>"));
        assert!(counts.contains("<dd data-count=\"deleted\">1</dd>"));
        let card = part(
            &html,
            &format!("<section class=\"client-card\" data-client-id=\"{okta}\""),
            "</section>",
        );
        assert!(card.contains("<span class=\"name\">okta</span>"));
        assert!(
            part(card, "<span class=\"last-contact\">", "</span>").contains("<time datetime="),
            "{card}"
        );
        let hourly = part(card, "<svg class=\"chart chart-hourly\"", "</svg>");
        assert_eq!(hourly.matches("<g class=\"bar\"").count(), 24);
        assert!(
            hourly.contains("role=\"img\"")
                && hourly.contains(
                    "okta: requests and errors per hour, last 24 hours: 6 requests, 1 errors"
                ),
            "{hourly}"
        );
        assert_eq!(
            hourly.matches("<rect class=\"errors\"").count(),
            1,
            "one hour with an error"
        );
        // The last hour holds every request: its bar fills the plot.
        let last = hourly.rsplit("<g class=\"bar\"").next().unwrap();
        assert!(
            last.contains("data-requests=\"6\" data-errors=\"1\""),
            "{last}"
        );
        assert!(last.contains("height=\"80\""), "{last}");
        let daily = part(card, "<svg class=\"chart chart-daily\"", "</svg>");
        assert_eq!(daily.matches("<g class=\"bar\"").count(), 30);
        assert!(part(card, "<span class=\"requests-30d\">", "</span>").contains('6'));
        let rejections = part(card, "<ul class=\"rejections\">", "</ul>");
        assert_eq!(rejections.matches("<li").count(), 1);
        assert!(
            rejections.contains("name.familyName is immutable"),
            "{rejections}"
        );
        assert!(rejections.contains(&format!("/admin/users/{uid}")));
        // A client without traffic still gets a card, with empty charts.
        let issued = app
            .api("POST", "/admin/api/clients", Some(json!({"name": "entra"})))
            .await;
        let entra = issued.body["id"].as_str().unwrap().to_string();
        let html = page(&app, &cookie, "/admin/sync").await;
        let card = part(&html, &format!("data-client-id=\"{entra}\""), "</section>");
        assert!(card.contains("never"));
        assert_eq!(
            part(card, "<svg class=\"chart chart-hourly\"", "</svg>")
                .matches("<g class=\"bar\"")
                .count(),
            24
        );
        assert!(!card.contains("<rect class=\"errors\""));
    }
);

admin_on_both!(
    directory_pages_show_groups_clients_skills_and_mappings,
    async |app: AdminApp| {
        let (cookie, _) = app.sign_in().await;
        let ann = create(
            &app,
            json!({"name": "Ann Lee", "email": "ann@example.com", "roles": ["DialAiAdmin"]}),
        )
        .await;
        app.api(
            "POST",
            "/admin/api/skills",
            Some(json!({"names": ["Billing", "Voice"]})),
        )
        .await;
        let r = app
            .api(
                "PUT",
                "/admin/api/role-mappings",
                Some(json!({"group": "Okta-Supervisors", "role": "Maintainer"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);

        let groups = page(&app, &cookie, "/admin/groups").await;
        let gid = ann["groups"][0]["id"].as_str().unwrap();
        let row = part(&groups, &format!("<tr data-group-id=\"{gid}\""), "</tr>");
        assert!(
            row.contains("DialAiAdmin</a>")
                && row.contains("<span class=\"badge role\">DialAiAdmin</span>"),
            "{row}"
        );
        let group = page(&app, &cookie, &format!("/admin/groups/{gid}")).await;
        assert!(part(&group, "id=\"members\"", "</ul>").contains("Ann Lee"));
        let timeline = part(&group, "id=\"timeline\">", "</ol>");
        assert!(
            timeline.contains("data-action=\"create\"")
                && timeline.contains("data-action=\"membership_add\""),
            "{timeline}"
        );
        // Admin changes name the admin who made them (here the admin token `ops`).
        assert!(
            timeline.contains("<span class=\"actor\">admin <span class=\"admin-actor\""),
            "{timeline}"
        );

        let clients = page(&app, &cookie, "/admin/clients").await;
        let table = part(&clients, "id=\"clients\"", "</table>");
        assert!(
            table.contains("okta</a>") && table.contains("<button class=\"revoke\""),
            "{table}"
        );
        for id in [
            "id=\"issue-client\"",
            "name=\"name\"",
            "<code id=\"new-token\">",
        ] {
            assert!(clients.contains(id), "{id}");
        }
        assert!(!clients.contains(&app.scim), "tokens are never shown again");
        let okta = app.api("GET", "/admin/api/clients", None).await.body["clients"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        app.api("DELETE", &format!("/admin/api/clients/{okta}"), None)
            .await;
        let clients = page(&app, &cookie, "/admin/clients").await;
        let row = part(&clients, &format!("data-client-id=\"{okta}\""), "</tr>");
        assert!(
            !row.contains("class=\"revoke\"")
                && part(row, "<td class=\"revoked\">", "</td>").contains("<time"),
            "{row}"
        );

        let skills = page(&app, &cookie, "/admin/skills").await;
        let list = part(&skills, "id=\"skills\">", "</ul>");
        assert_eq!(list.matches("<li").count(), 2);
        assert!(
            list.contains("<li data-skill=\"Billing\">")
                && list.contains("<button class=\"remove\"")
        );
        assert!(skills.contains("id=\"add-skill\""));

        let roles = page(&app, &cookie, "/admin/roles").await;
        let table = part(&roles, "id=\"role-mappings\"", "</table>");
        assert!(
            table.contains("<tr data-group-key=\"okta-supervisors\">")
                && table.contains("no such group yet"),
            "{table}"
        );
        assert!(
            table.contains("<span class=\"badge role\">Maintainer</span>")
                && table.contains("<button class=\"remove\"")
        );
        let form = part(&roles, "id=\"set-role-mapping\"", "</form>");
        assert!(
            form.contains("name=\"group\"")
                && form.contains("<select name=\"role\">")
                && form.contains("<option value=\"Read-Only\">")
        );
        assert!(
            part(&roles, "id=\"group-names\">", "</datalist>").contains("value=\"DialAiAdmin\"")
        );
    }
);

admin_on_both!(
    without_a_session_pages_show_nothing,
    async |app: AdminApp| {
        create(
            &app,
            json!({"name": "Secret Ann", "email": "secret-ann@example.com"}),
        )
        .await;
        let r = get(&app, "/admin", Auth::None).await;
        assert_eq!(r.status, 303);
        assert_eq!(r.resp.header("location").as_deref(), Some("/admin/users"));
        // No tenant uses OIDC: a sign-in page explaining the one-time link, never data or JSON.
        for path in [
            "/admin/users",
            "/admin/sync",
            "/admin/events",
            "/admin/users/x",
            "/admin/clients",
        ] {
            for auth in [
                Auth::None,
                Auth::Cookie("forged", None),
                Auth::Bearer("scadm_nope"),
            ] {
                let p = get(&app, path, auth).await;
                assert_eq!(p.status, 401, "{path}");
                assert!(p.content_type.starts_with("text/html"), "{path}");
                assert!(
                    p.html.contains("Sign in required") && p.html.contains("one-time sign-in link")
                );
                assert!(!p.html.contains("secret-ann"));
                assert!(!p.html.contains("id=\"nav\""));
            }
        }
        // A SCIM token is not an admin credential either.
        let scim = app.scim.clone();
        assert_eq!(
            get(&app, "/admin/users", Auth::Bearer(&scim)).await.status,
            401
        );
        // Once a tenant signs in with OIDC, pages send the browser there.
        let settings = OidcSettings {
            issuer_url: "http://127.0.0.1:9/issuer".into(),
            client_id: "console".into(),
            client_secret: "s3cret".into(),
            redirect_url: "http://scim.test/admin/oidc/callback".into(),
        };
        app.store
            .set_oidc_settings(app.tenant, &settings, app.clock.micros())
            .await
            .expect("oidc");
        let p = get(&app, "/admin/users?name=ann", Auth::None).await;
        assert_eq!(p.status, 303);
        assert_eq!(p.resp.header("location").as_deref(), Some("/admin/login"));
        let p = get(&app, "/admin/sync?tenant=t1", Auth::None).await;
        assert_eq!(
            p.resp.header("location").as_deref(),
            Some("/admin/login?tenant=t1")
        );
        // Unknown console URLs are an HTML 404; the API keeps its JSON errors.
        let p = get(&app, "/admin/nowhere", Auth::None).await;
        assert_eq!(p.status, 404);
        assert!(p.content_type.starts_with("text/html"));
        let api = app
            .send("GET", "/admin/api/users", None, Auth::None, None)
            .await;
        assert_eq!(api.status, 401);
        assert_eq!(api.body["status"], "401");
        // An admin bearer token opens pages too (no CSRF token needed, so none is printed).
        let token = app.admin.clone();
        let html = get(&app, "/admin/users", Auth::Bearer(&token)).await;
        assert!(html.ok().contains("secret-ann@example.com"));
        assert!(
            html.html
                .contains("<meta name=\"csrf-token\" content=\"\">")
        );
    }
);

admin_on_both!(an_admin_sees_only_its_tenant, async |app: AdminApp| {
    let (cookie, _) = app.sign_in().await;
    let (_, b_admin, b_scim) = app.other_tenant("t2").await;
    let r = app
        .send(
            "POST",
            "/scim/v2/Users",
            Some((
                "application/scim+json",
                scim_user("bea").to_string().into_bytes(),
            )),
            Auth::Bearer(&b_scim),
            None,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let bea = r.body["id"].as_str().unwrap().to_string();
    app.store.flush_events().await;
    create(&app, json!({"name": "Ann Lee", "email": "ann@example.com"})).await;

    let users = page(&app, &cookie, "/admin/users").await;
    assert!(users.contains("ann@example.com"));
    assert!(!users.contains("bea@example.com") && !users.contains(&bea));
    let p = get(
        &app,
        &format!("/admin/users/{bea}"),
        Auth::Cookie(&cookie, None),
    )
    .await;
    assert_eq!(p.status, 404, "another tenant's user, even by id");
    // Not a bare "bea": random ids and tokens on the page may hold those three letters.
    assert!(
        !p.html.contains("bea@example.com") && !p.html.contains(">bea<"),
        "{}",
        p.html
    );
    let events = page(&app, &cookie, "/admin/events").await;
    assert!(!events.contains(&bea));
    let filtered = page(&app, &cookie, &format!("/admin/events?user={bea}")).await;
    assert!(!part(&filtered, "<tbody>", "</tbody>").contains("<tr"));
    let sync = page(&app, &cookie, "/admin/sync").await;
    assert!(!sync.contains("entra"), "t2's client is not listed");
    assert!(
        part(&sync, "id=\"account-counts\"", "</dl>").contains("<dd data-count=\"active\">1</dd>")
    );
    // And t2's admin sees bea, not ann.
    let html = get(&app, "/admin/users", Auth::Bearer(&b_admin)).await;
    assert!(html.ok().contains("bea@example.com") && !html.html.contains("ann@example.com"));
});

admin_on_both!(everything_shown_is_escaped, async |app: AdminApp| {
    let (cookie, _) = app.sign_in().await;
    let evil = "<script>alert(1)</script>";
    let u = create(&app, json!({"givenName": evil, "familyName": "\"><img src=x>", "email": "x@example.com", "roles": ["Maintainer"]})).await;
    app.api(
        "POST",
        "/admin/api/skills",
        Some(json!({"name": "<b>bold</b>"})),
    )
    .await;
    let users = page(&app, &cookie, "/admin/users").await;
    assert!(!users.contains(evil) && !users.contains("<img src=x>") && !users.contains("<b>bold"));
    assert!(
        users.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{users}"
    );
    let detail = page(
        &app,
        &cookie,
        &format!("/admin/users/{}", u["id"].as_str().unwrap()),
    )
    .await;
    assert!(
        !detail.contains(evil) && detail.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    let skills = page(&app, &cookie, "/admin/skills").await;
    assert!(
        skills.contains("data-skill=\"&lt;b&gt;bold&lt;/b&gt;\"") && !skills.contains("<b>bold")
    );
    let issued = app
        .api(
            "POST",
            "/admin/api/clients",
            Some(json!({"name": "<i>idp</i>"})),
        )
        .await;
    assert_eq!(issued.status, 201);
    for path in ["/admin/sync", "/admin/clients", "/admin/events"] {
        let html = page(&app, &cookie, path).await;
        assert!(
            !html.contains("<i>idp") && html.contains("&lt;i&gt;idp&lt;/i&gt;"),
            "{path}"
        );
    }
    // A query value is escaped back into the filter form.
    let html = page(
        &app,
        &cookie,
        &format!("/admin/users?name={}", enc("\"><svg onload=1>")),
    )
    .await;
    assert!(
        !html.contains("<svg onload") && html.contains("value=\"&quot;&gt;&lt;svg onload=1&gt;\"")
    );
});

admin_on_both!(
    assets_are_served_with_type_and_cache,
    async |app: AdminApp| {
        let js = app
            .send("GET", "/admin/assets/console.js", None, Auth::None, None)
            .await;
        assert_eq!(js.status, 200);
        assert_eq!(
            js.header("content-type").as_deref(),
            Some("text/javascript; charset=utf-8")
        );
        assert!(js.header("cache-control").unwrap().contains("max-age="));
        let text = js.body.as_str().unwrap();
        assert!(text.contains("X-CSRF-Token") && text.contains("/admin/api/users/bulk"));
        let css = app
            .send("GET", "/admin/assets/console.css", None, Auth::None, None)
            .await;
        assert_eq!(css.status, 200);
        assert_eq!(
            css.header("content-type").as_deref(),
            Some("text/css; charset=utf-8")
        );
        assert!(css.body.as_str().unwrap().contains("dialog.drawer"));
    }
);
