//! The admin console in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`) driven through chromedriver against the real service on a 127.0.0.1
//! port, on SQLite and PostgreSQL. It signs in with a one-time link, filters the Users page,
//! edits an operator's max chats, bulk-adds three users from a CSV file, de-provisions one with
//! the typed-email confirmation, and finds an IdP's refused immutable change in the events log
//! and on the user's timeline. Every page visited is saved as
//! `test-artifacts/<backend>/<name>.png` under the crate root.
//!
//! Outside CI a missing chromedriver skips the test (said on stderr); under CI it fails.

mod common;
#[path = "admin_browser/harness.rs"]
mod harness;

use reqwest::Method;
use serde_json::{Value, json};

use common::TestDb;
use harness::{Console, Service, browser_installed};

const OPERATOR: &str = "urn:dialai:params:scim:schemas:extension:operator:2.0:User";

/// One browser at a time: the two backends' runs would otherwise share two cores.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_chromium_on_sqlite() {
    if !browser_installed() {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let db = TestDb::sqlite();
    scenario(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_chromium_on_postgres() {
    if !browser_installed() {
        return;
    }
    let _one = ONE_BROWSER.lock().await;
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    scenario(&db).await;
}

/// The accounts the IdP provisions before the browser opens.
struct Seed {
    ann: String,
    bob: String,
    cleo: String,
}

/// IdP traffic: three operators, DialAiAdmin and Maintainer groups, and a refused change of
/// an immutable attribute (`name.familyName`) of cleo.
async fn seed(svc: &Service) -> Seed {
    let ann = svc
        .scim_user("ann.admin", "Ann", "Admin", "ann@example.com")
        .await;
    let bob = svc
        .scim_user("bob.ops", "Bob", "Operator", "bob@example.com")
        .await;
    let cleo = svc
        .scim_user("cleo.reader", "Cleo", "Reader", "cleo@example.com")
        .await;
    svc.scim_group("DialAiAdmin", &[&ann]).await;
    svc.scim_group("Maintainer", &[&bob]).await;
    let (status, body) = svc
        .scim(
            Method::PATCH,
            &format!("Users/{cleo}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "name.familyName", "value": "Park"}]
            })),
        )
        .await;
    assert_eq!(status, 400, "an immutable change is refused: {body}");
    assert_eq!(body["scimType"], "mutability", "{body}");
    for (id, role) in [(&ann, "DialAiAdmin"), (&bob, "Maintainer")] {
        let (status, u) = svc.api(Method::GET, &format!("users/{id}"), None).await;
        assert_eq!(status, 200, "{u}");
        assert_eq!(u["roles"], json!([role]), "roles through the group: {u}");
    }
    svc.store.flush_events().await;
    Seed { ann, bob, cleo }
}

async fn scenario(db: &TestDb) {
    let svc = Service::start(db).await;
    let seed = seed(&svc).await;
    let mut ui = Console::start(&svc.root, db.backend).await;

    sign_in(&mut ui, &svc, &seed).await;
    filter_users(&mut ui).await;
    edit_max_chats(&mut ui, &svc, &seed).await;
    bulk_add(&mut ui, &svc).await;
    deprovision(&mut ui, &svc).await;
    refused_change_in_events_and_timeline(&mut ui, &seed).await;
    sync_status(&mut ui).await;
    other_pages(&mut ui).await;

    eprintln!(
        "{}: screenshots in test-artifacts/{}/: {}",
        db.backend,
        db.backend,
        ui.saved.join(", ")
    );
    ui.close().await;
}

fn row(email: &str) -> String {
    format!("table#users tr[data-email=\"{email}\"]")
}

/// Wait until the Users table shows exactly these emails (in any order).
async fn wait_rows(ui: &Console, expected: &[&str]) {
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    want.sort();
    let what = format!("the Users table to show exactly {want:?}");
    let driver = ui.driver.clone();
    ui.wait_until(&what, async || {
        let mut got = Vec::new();
        for e in driver
            .find_all(thirtyfour::By::Css("table#users tr[data-user-id]"))
            .await?
        {
            got.push(e.attr("data-email").await?.unwrap_or_default());
        }
        got.sort();
        Ok(got == want)
    })
    .await;
}

/// The one-time link sets the session cookie and lands on the Users page.
async fn sign_in(ui: &mut Console, svc: &Service, seed: &Seed) {
    // Without a session a page says how to sign in (no OIDC configured here).
    ui.goto_plain("/admin/users").await;
    ui.wait_text("body", "Sign in required").await;
    let tables = ui.texts("table#users").await;
    ui.check(tables.is_empty(), "no Users table without a session")
        .await;
    ui.goto(&svc.login_link().await).await;
    ui.el("table#users").await;
    let here = ui.location().await;
    ui.check(
        here == "/admin/users",
        format!("the sign-in link lands on /admin/users, not {here}"),
    )
    .await;
    for href in [
        "/admin/users",
        "/admin/groups",
        "/admin/sync",
        "/admin/events",
        "/admin/clients",
        "/admin/skills",
        "/admin/roles",
    ] {
        ui.el(&format!("nav#nav a[href=\"{href}\"]")).await;
    }
    ui.wait_text("h1", "").await;
    wait_rows(
        ui,
        &["ann@example.com", "bob@example.com", "cleo@example.com"],
    )
    .await;
    // Bob's row: his name, his role badge, the client that provisions him.
    let bob = row("bob@example.com");
    ui.wait_text(&format!("{bob} td.name"), "Bob").await;
    ui.wait_text(&format!("{bob} td.groups span.badge"), "Maintainer")
        .await;
    ui.wait_text(&format!("{bob} span.managed-by"), "okta")
        .await;
    ui.wait_text(
        &format!(
            "table#users tr[data-user-id=\"{}\"] td.groups span.badge",
            seed.ann
        ),
        "DialAiAdmin",
    )
    .await;
    let cleo_badges = ui
        .texts(&format!("{} td.groups span.badge", row("cleo@example.com")))
        .await;
    ui.check(
        cleo_badges.is_empty(),
        format!("cleo has no group, yet shows badges {cleo_badges:?}"),
    )
    .await;
    ui.shot("users").await;
}

/// Filtering by name, then by role, shows the matching rows and hides the others.
async fn filter_users(ui: &mut Console) {
    ui.fill("form#user-filter input[name=name]", "bob").await;
    ui.click_and_reload("#user-filter-apply").await;
    let here = ui.location().await;
    ui.check(
        here.contains("name=bob"),
        format!("the name filter is in the URL: {here}"),
    )
    .await;
    wait_rows(ui, &["bob@example.com"]).await;
    ui.shot("users-filter-name").await;

    ui.fill("form#user-filter input[name=name]", "").await;
    ui.choose("form#user-filter select[name=role]", "DialAiAdmin")
        .await;
    ui.click_and_reload("#user-filter-apply").await;
    let here = ui.location().await;
    ui.check(
        here.contains("role=DialAiAdmin"),
        format!("the role filter is in the URL: {here}"),
    )
    .await;
    wait_rows(ui, &["ann@example.com"]).await;
    ui.shot("users-filter-role").await;

    ui.goto("/admin/users").await;
    wait_rows(
        ui,
        &["ann@example.com", "bob@example.com", "cleo@example.com"],
    )
    .await;
}

/// Bob's max chats: 7 is saved (seen through the admin API and SCIM); 11 is refused with the
/// API's error shown in the drawer, and 7 stays.
async fn edit_max_chats(ui: &mut Console, svc: &Service, seed: &Seed) {
    let bob = row("bob@example.com");
    ui.click(&format!("{bob} button.edit")).await;
    ui.el("dialog#edit-drawer[open]").await;
    // The identity fields are shown, read-only.
    let driver = ui.driver.clone();
    ui.wait_until("the drawer to show bob@example.com read-only", async || {
        let r = driver
            .execute(
                "const f = document.querySelector('dialog#edit-drawer form#edit-form');
                 if (!f) return false;
                 const ro = [...f.querySelectorAll('input')].some(i => i.readOnly && i.value === 'bob@example.com');
                 const editable = [...f.querySelectorAll('input')].some(i => !i.readOnly && !i.disabled && i.type !== 'hidden' && i.value === 'bob@example.com');
                 return (ro || f.textContent.includes('bob@example.com')) && !editable;",
                Vec::new(),
            )
            .await?;
        Ok(r.json() == &Value::Bool(true))
    })
    .await;
    ui.el("form#edit-form[data-loaded=\"true\"]").await;
    let max = "dialog#edit-drawer input[name=maxChats][type=number]";
    ui.fill(max, "7").await;
    ui.shot("edit-drawer").await;
    ui.click_and_reload("#edit-save").await;
    let (status, u) = svc
        .api(Method::GET, &format!("users/{}", seed.bob), None)
        .await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(u["maxChats"], 7, "the drawer saved max chats 7: {u}");
    let (status, s) = svc
        .scim(Method::GET, &format!("Users/{}", seed.bob), None)
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s[OPERATOR]["maxChats"], 7, "SCIM shows max chats 7: {s}");

    // 11 is beyond the cap: the API refuses it and the drawer says why.
    ui.click(&format!("{bob} button.edit")).await;
    ui.el("dialog#edit-drawer[open]").await;
    ui.el("form#edit-form[data-loaded=\"true\"]").await;
    let input = ui.el(max).await;
    ui.wait_until(
        "the drawer to open with the saved max chats 7",
        async || Ok(input.prop("value").await?.as_deref() == Some("7")),
    )
    .await;
    ui.fill(max, "11").await;
    // The page must let the request go (the API refuses it and says why): native constraint
    // validation would stop it in the browser, with nothing in `.error`.
    let blocked = ui
        .driver
        .execute(
            "const f = document.querySelector('form#edit-form');
             return !f.noValidate && !f.checkValidity();",
            Vec::new(),
        )
        .await
        .map(|r| r.json() == &Value::Bool(true))
        .unwrap_or(false);
    ui.check(
        !blocked,
        "form#edit-form blocks maxChats 11 with the browser's own validation (max=10, no \
         novalidate): the API's refusal can never show in #edit-drawer .error",
    )
    .await;
    ui.click("#edit-save").await;
    let error = ui.wait_text("dialog#edit-drawer .error", "").await;
    ui.check(
        error.contains("maxChats"),
        format!("the drawer's error names the cap: {error:?}"),
    )
    .await;
    ui.el("dialog#edit-drawer[open]").await;
    let _shown = ui
        .el("dialog#edit-drawer .error")
        .await
        .scroll_into_view()
        .await;
    ui.shot("edit-drawer-refused").await;
    let (_, u) = svc
        .api(Method::GET, &format!("users/{}", seed.bob), None)
        .await;
    assert_eq!(u["maxChats"], 7, "a refused edit changes nothing: {u}");
    ui.goto("/admin/users").await;
}

/// Three users from a CSV file: three ok rows, then all three in the table.
async fn bulk_add(ui: &mut Console, svc: &Service) {
    let dir = std::env::temp_dir().join(format!("scim-browser-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let csv = dir.join("operators.csv");
    std::fs::write(
        &csv,
        "name,email,username,roles\n\
         Eve Adams,eve@example.com,eve,Read-Only\n\
         Frank Moss,frank@example.com,frank,Maintainer\n\
         Gina Holt,gina@example.com,,\n",
    )
    .expect("write the CSV file");

    ui.click("#bulk-add-open").await;
    ui.el("dialog#bulk-dialog[open]").await;
    let input = ui.el("dialog#bulk-dialog input#bulk-file[type=file]").await;
    let path = csv.canonicalize().expect("absolute CSV path");
    if let Err(e) = input.send_keys(path.to_string_lossy().as_ref()).await {
        panic!("{}", ui.failure(&format!("choose the CSV file: {e}")).await);
    }
    ui.click("#bulk-submit").await;
    let driver = ui.driver.clone();
    ui.wait_until("three ok rows in table#bulk-results", async || {
        let ok = driver
            .find_all(thirtyfour::By::Css("table#bulk-results tr.row-ok"))
            .await?;
        Ok(ok.len() == 3)
    })
    .await;
    let errors = ui.texts("table#bulk-results tr.row-error").await;
    ui.check(errors.is_empty(), format!("no CSV row failed: {errors:?}"))
        .await;
    let ok = ui.texts("table#bulk-results tr.row-ok").await;
    ui.check(
        ok.iter().all(|t| !t.trim().is_empty()),
        format!("each ok row carries its message: {ok:?}"),
    )
    .await;
    ui.shot("bulk-results").await;
    ui.click_and_reload("#bulk-done").await;
    wait_rows(
        ui,
        &[
            "ann@example.com",
            "bob@example.com",
            "cleo@example.com",
            "eve@example.com",
            "frank@example.com",
            "gina@example.com",
        ],
    )
    .await;
    ui.wait_text(
        &format!("{} td.groups span.badge", row("frank@example.com")),
        "Maintainer",
    )
    .await;
    ui.wait_text(&format!("{} td.name", row("eve@example.com")), "Eve")
        .await;
    ui.shot("users-after-bulk").await;
    let (status, l) = svc
        .api(Method::GET, "users?email=frank%40example.com", None)
        .await;
    assert_eq!(status, 200, "{l}");
    assert_eq!(l["users"][0]["roles"], json!(["Maintainer"]), "{l}");
    let _cleaned = std::fs::remove_dir_all(&dir);
}

/// De-provision eve: a wrong email is refused (error shown, nothing deleted), hers goes
/// through; the row is gone and SCIM answers 404.
async fn deprovision(ui: &mut Console, svc: &Service) {
    let eve_row = row("eve@example.com");
    let ids = ui.attrs(&eve_row, "data-user-id").await;
    let eve = ids.first().cloned().unwrap_or_default();
    ui.check(!eve.is_empty(), "eve's row carries her id").await;
    ui.click(&format!("{eve_row} button.delete")).await;
    ui.el("dialog#delete-dialog[open]").await;
    let shown = ui
        .wait_text("dialog#delete-dialog code#delete-email", "@")
        .await;
    ui.check(
        shown.trim() == "eve@example.com",
        format!("the dialog asks for eve's email, not {shown:?}"),
    )
    .await;
    ui.fill(
        "dialog#delete-dialog input#delete-confirm-email",
        "frank@example.com",
    )
    .await;
    ui.shot("delete-dialog").await;
    ui.click("#delete-confirm").await;
    ui.wait_text("dialog#delete-dialog .error", "").await;
    ui.el("dialog#delete-dialog[open]").await;
    ui.shot("delete-refused").await;
    let (status, _) = svc.scim(Method::GET, &format!("Users/{eve}"), None).await;
    assert_eq!(status, 200, "a wrong confirmation deletes nothing");
    let (_, frank) = svc
        .api(Method::GET, "users?email=frank%40example.com", None)
        .await;
    assert_eq!(frank["totalResults"], 1, "{frank}");

    ui.fill(
        "dialog#delete-dialog input#delete-confirm-email",
        "eve@example.com",
    )
    .await;
    ui.click_and_reload("#delete-confirm").await;
    ui.gone(&eve_row).await;
    wait_rows(
        ui,
        &[
            "ann@example.com",
            "bob@example.com",
            "cleo@example.com",
            "frank@example.com",
            "gina@example.com",
        ],
    )
    .await;
    ui.shot("users-after-delete").await;
    let (status, body) = svc.scim(Method::GET, &format!("Users/{eve}"), None).await;
    assert_eq!(status, 404, "de-provisioned: {body}");
}

/// The events log filtered to rejections shows the IdP's refused immutable change with its
/// reason; its resource link opens cleo's timeline, which shows it too.
async fn refused_change_in_events_and_timeline(ui: &mut Console, seed: &Seed) {
    ui.goto("/admin/events").await;
    ui.el("table#events").await;
    ui.choose("form#event-filter select[name=outcome]", "rejected")
        .await;
    ui.click_and_reload("#event-filter-apply").await;
    let here = ui.location().await;
    ui.check(
        here.contains("outcome=rejected"),
        format!("the outcome filter is in the URL: {here}"),
    )
    .await;
    ui.wait_text("table#events tr.event td.detail", "immutable")
        .await;
    let outcomes = ui.attrs("table#events tr.event", "data-outcome").await;
    ui.check(
        !outcomes.is_empty() && outcomes.iter().all(|o| o == "rejected"),
        format!("only rejections are listed: {outcomes:?}"),
    )
    .await;
    // The IdP's row: client okta, status 400, the reason, a link to cleo.
    let link = format!("/admin/users/{}", seed.cleo);
    let idp_row = format!("table#events tr.event:has(td.resource a[href=\"{link}\"])");
    ui.wait_text(&format!("{idp_row} td.detail"), "name.familyName")
        .await;
    ui.wait_text(&format!("{idp_row} td.client"), "okta").await;
    ui.wait_text(&format!("{idp_row} td.status"), "400").await;
    ui.shot("events").await;

    ui.click_and_reload(&format!("{idp_row} td.resource a"))
        .await;
    let here = ui.location().await;
    ui.check(
        here == link,
        format!("the resource link opens {link}, not {here}"),
    )
    .await;
    ui.wait_text("h1, main", "Cleo").await;
    ui.wait_text(
        "ol#timeline li.event[data-outcome=\"rejected\"] .detail",
        "name.familyName",
    )
    .await;
    let outcomes = ui.attrs("ol#timeline li.event", "data-outcome").await;
    ui.check(
        outcomes.first().map(String::as_str) == Some("rejected")
            && outcomes.iter().any(|o| o == "ok"),
        format!("the timeline, newest first: the rejection, after the create: {outcomes:?}"),
    )
    .await;
    ui.shot("timeline").await;
}

/// The first number in a text.
fn number(text: &str) -> Option<i64> {
    let digits: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Account counts after the run (5 active, eve deleted) and the okta client's card with its
/// charts and the latest rejection.
async fn sync_status(ui: &mut Console) {
    ui.goto("/admin/sync").await;
    for (kind, want) in [("active", 5), ("deactivated", 0), ("deleted", 1)] {
        let css = format!("#account-counts [data-count=\"{kind}\"]");
        let text = ui.wait_text(&css, "").await;
        ui.check(
            number(&text) == Some(want),
            format!("{kind} accounts: {want} expected, the page shows {text:?}"),
        )
        .await;
    }
    let card = "section.client-card[data-client-id]";
    ui.wait_text(card, "okta").await;
    for (chart, buckets) in [("chart-hourly", 24), ("chart-daily", 30)] {
        ui.el(&format!("{card} svg.{chart}")).await;
        let bars = ui
            .attrs(&format!("{card} svg.{chart} g.bar"), "data-requests")
            .await;
        let requests: i64 = bars.iter().filter_map(|b| b.parse::<i64>().ok()).sum();
        ui.check(
            bars.len() == buckets && requests > 0,
            format!("{chart}: {buckets} bars with the IdP's requests, got {bars:?}"),
        )
        .await;
    }
    ui.wait_text(&format!("{card} ul.rejections li"), "immutable")
        .await;
    ui.shot("sync").await;
}

/// Groups, SCIM clients, skills (one added through its form) and role mappings.
async fn other_pages(ui: &mut Console) {
    ui.goto("/admin/groups").await;
    ui.wait_text("main, body", "DialAiAdmin").await;
    ui.wait_text("main, body", "Maintainer").await;
    ui.shot("groups").await;

    ui.goto("/admin/clients").await;
    ui.wait_text("table#clients", "okta").await;
    ui.el("form#issue-client input[name=name]").await;
    ui.shot("clients").await;

    ui.goto("/admin/skills").await;
    ui.fill("form#add-skill input[name=name]", "Billing").await;
    ui.click_and_reload("form#add-skill button, form#add-skill input[type=submit]")
        .await;
    ui.wait_text("ul#skills li", "Billing").await;
    ui.shot("skills").await;

    ui.goto("/admin/roles").await;
    ui.el("table#role-mappings").await;
    ui.el("form#set-role-mapping").await;
    ui.shot("roles").await;
}
