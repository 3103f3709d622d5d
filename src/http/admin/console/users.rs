//! The Users page of the seed (filter, table with role badges, Create User, Bulk Add Users,
//! the edit drawer, de-provisioning with the email typed back) and a user's page with its
//! timeline. Every change is made by `console.js` through `/admin/api/users`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde_json::Value;

use crate::domain::account::STATUSES;
use crate::domain::admin::port::{AdminDirectory, GroupRole};
use crate::domain::admin::users::{UserFilter, UserPage};
use crate::domain::directory::Directory;
use crate::domain::error::DomainError;
use crate::http::AppState;
use crate::http::admin::console::events::timeline;
use crate::http::admin::console::{Console, PageError, page, page_with_status, seg, url_with};
use crate::http::admin::sync::event_page;
use crate::http::admin::users::user_filter;
use crate::http::admin::{Query, param, timeline_query};

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The role names an admin may filter by: built-in ones and those live groups grant.
fn role_names(groups: &[GroupRole]) -> Vec<String> {
    let mut roles: Vec<String> = crate::domain::admin::BUILTIN_ROLES
        .iter()
        .map(|r| r.to_string())
        .chain(groups.iter().filter_map(|g| g.role.clone()))
        .collect();
    roles.sort_by_key(|r| r.to_lowercase());
    roles.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    roles
}

/// The badges of a row: one per role, then one per group that grants none.
fn badges(user: &Value, groups: &[GroupRole]) -> Markup {
    let roles: Vec<&str> = user
        .get("roles")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let member_of: Vec<(&str, &str)> = user
        .get("groups")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|g| (s(g, "id"), s(g, "displayName")))
                .collect()
        })
        .unwrap_or_default();
    let granting = |role: &str| -> Vec<&str> {
        member_of
            .iter()
            .filter(|(id, _)| {
                groups.iter().any(|g| {
                    g.group.id.to_string() == *id
                        && g.role
                            .as_deref()
                            .is_some_and(|r| r.eq_ignore_ascii_case(role))
                })
            })
            .map(|(_, name)| *name)
            .collect()
    };
    let roleless = member_of.iter().filter(|(id, _)| {
        !groups
            .iter()
            .any(|g| g.group.id.to_string() == *id && g.role.is_some())
    });
    html! {
        @for r in &roles {
            span.badge.role data-role=(r) title=(format!("role {r}, through {}", granting(r).join(", "))) { (r) }
        }
        @for (_, name) in roleless {
            span.badge.group data-group=(name) title="group granting no role" { (name) }
        }
    }
}

/// The group choices of the create form and the drawer: every live group (by name), and
/// built-in roles no group grants yet (their group is created on first use).
fn group_choices(groups: &[GroupRole]) -> Markup {
    let orphan_roles: Vec<&str> = crate::domain::admin::BUILTIN_ROLES
        .into_iter()
        .filter(|r| {
            !groups.iter().any(|g| {
                g.role
                    .as_deref()
                    .is_some_and(|gr| gr.eq_ignore_ascii_case(r))
            })
        })
        .collect();
    html! {
        fieldset.choices.groups {
            legend { "Groups" }
            @for g in groups {
                label {
                    input type="checkbox" name="groups" value=(g.group.display) data-group-id=(g.group.id.to_string());
                    " " (g.group.display)
                    @if let Some(r) = g.role.as_deref().filter(|r| !r.eq_ignore_ascii_case(&g.group.display)) {
                        " " span.hint { "(role " (r) ")" }
                    }
                }
            }
            @for r in &orphan_roles {
                label {
                    input type="checkbox" name="groups" value=(r) data-kind="role";
                    " " (r) " " span.hint { "(new group)" }
                }
            }
            @if groups.is_empty() && orphan_roles.is_empty() { span.none { "No group yet." } }
        }
    }
}

fn filter_form(f: &UserFilter, roles: &[String]) -> Markup {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    html! {
        form #user-filter .filters method="get" action="/admin/users" {
            label { "Name " input type="search" name="name" value=(v(&f.name)); }
            label { "Email " input type="search" name="email" value=(v(&f.email)); }
            label { "Status " select name="status" {
                option value="" { "any" }
                @for st in STATUSES { option value=(st) selected[f.status.as_deref() == Some(st)] { (st) } }
            } }
            label { "Role " select name="role" {
                option value="" { "any" }
                @for r in roles { option value=(r) selected[f.role.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(r))] { (r) } }
            } }
            button #user-filter-apply type="submit" { "Filter" }
            a href="/admin/users" { "Clear" }
        }
    }
}

fn row(u: &Value, groups: &[GroupRole]) -> Markup {
    let id = s(u, "id");
    let email = s(u, "email");
    let name = match s(u, "displayName") {
        "" => s(u, "userName"),
        d => d,
    };
    let managed = u
        .get("managedBy")
        .filter(|m| !m.is_null())
        .map(|m| s(m, "clientName").to_string());
    let active = u.get("active").and_then(Value::as_bool).unwrap_or(true);
    html! {
        tr data-user-id=(id) data-email=(email) data-username=(s(u, "userName")) data-display=(name) {
            td.name {
                a href=(format!("/admin/users/{}", seg(id))) { (name) }
                @if !active { " " span.tag.inactive title="active=false: cannot sign in" { "deactivated" } }
                @if let Some(client) = &managed {
                    br; span.managed-by title="provisioned by this SCIM client" { "via " (client) }
                }
            }
            td.email { (email) }
            td.status { span.(format!("status-{}", s(u, "status").to_lowercase())) { (s(u, "status")) } }
            td.groups { (badges(u, groups)) }
            td { button.edit type="button" data-user-id=(id) aria-label=(format!("Edit {name}")) { "Edit" } }
            td { button.delete type="button" data-user-id=(id) data-email=(email) data-username=(s(u, "userName")) aria-label=(format!("Delete {name}")) { "Delete" } }
        }
    }
}

fn pager(f: &UserFilter, page: &UserPage) -> Markup {
    let shown = page.users.len() as i64;
    let link = |start: i64| {
        let start = start.to_string();
        let pairs = [
            ("name", f.name.as_deref().unwrap_or_default()),
            ("email", f.email.as_deref().unwrap_or_default()),
            ("status", f.status.as_deref().unwrap_or_default()),
            ("role", f.role.as_deref().unwrap_or_default()),
            ("startIndex", start.as_str()),
        ];
        url_with("/admin/users", &pairs)
    };
    let from = page.start_index;
    let to = from + shown - 1;
    html! {
        p.pager #users-pager {
            @if shown > 0 { (from) "–" (to) " of " span #users-total { (page.total) } } @else { "0 of " span #users-total { (page.total) } }
            @if from > 1 { " " a #users-prev href=(link((from - f.count).max(1))) { "← Previous" } }
            @if to < page.total { " " a #users-next href=(link(to + 1)) { "Next →" } }
        }
    }
}

fn create_dialog(groups: &[GroupRole]) -> Markup {
    html! {
        dialog #create-dialog aria-labelledby="create-title" {
            form #create-form method="dialog" {
                h2 #create-title { "Create user" }
                p.error role="alert" {}
                label { "Username (defaults to the email) " input name="userName" autocomplete="off"; }
                label { "First name " input name="givenName" autocomplete="off"; }
                label { "Last name " input name="familyName" autocomplete="off"; }
                label { "Email " input name="email" type="email" required autocomplete="off"; }
                (group_choices(groups))
                p.hint { "Username, names and email cannot be changed after creation." }
                div.actions {
                    button #create-save type="submit" { "Create" }
                    button type="button" data-close="create-dialog" { "Cancel" }
                }
            }
        }
    }
}

fn edit_drawer(groups: &[GroupRole], skills: &[String]) -> Markup {
    html! {
        dialog #edit-drawer .drawer aria-labelledby="edit-title" {
            form #edit-form method="dialog" novalidate {
                h2 #edit-title { "Edit user" }
                p.error role="alert" {}
                fieldset.read-only {
                    legend { "Read-only (create a new account to change these)" }
                    label { "Username " input name="userName" readonly; }
                    label { "First name " input name="givenName" readonly; }
                    label { "Last name " input name="familyName" readonly; }
                    label { "Email " input name="email" readonly; }
                    p.managed { "Managed by " span #edit-managed-by { "the console" } }
                }
                (group_choices(groups))
                label { "Status " select name="status" {
                    @for st in STATUSES { option value=(st) { (st) } }
                } }
                label.check { input type="checkbox" name="csrUser"; " CSR user (eligible for handoff routing)" }
                fieldset.choices.skills #edit-skills {
                    legend { "Skills" }
                    @for sk in skills { label { input type="checkbox" name="skills" value=(sk); " " (sk) } }
                    @if skills.is_empty() { span.none { "The skill catalog is empty (" a href="/admin/skills" { "Skills" } ")." } }
                }
                label.check { input type="checkbox" name="voiceCalls"; " Voice calls" }
                label { "Max chats (0–10) " input type="number" name="maxChats" min="0" max="10" step="1"; }
                label { "Max emails (0–10) " input type="number" name="maxEmails" min="0" max="10" step="1"; }
                label { "Mobile phone number " input type="tel" name="mobilePhone" autocomplete="off"; }
                input type="hidden" name="version";
                div.actions {
                    button #edit-save type="submit" { "Save" }
                    button type="button" data-close="edit-drawer" { "Cancel" }
                }
            }
        }
    }
}

fn delete_dialog() -> Markup {
    html! {
        dialog #delete-dialog aria-labelledby="delete-title" {
            form #delete-form method="dialog" {
                h2 #delete-title { "De-provision user" }
                p.error role="alert" {}
                p {
                    "The account is soft-deleted: reports keep referencing it, the person can no longer sign in. "
                    "Type " strong { code #delete-email {} } " to confirm."
                }
                label { "Email " input #delete-confirm-email type="text" autocomplete="off"; }
                div.actions {
                    button #delete-confirm .danger type="submit" { "De-provision" }
                    button type="button" data-close="delete-dialog" { "Cancel" }
                }
            }
        }
    }
}

fn bulk_dialog() -> Markup {
    html! {
        dialog #bulk-dialog aria-labelledby="bulk-title" {
            form #bulk-form method="dialog" {
                h2 #bulk-title { "Bulk add users" }
                p.error role="alert" {}
                p { "A CSV file with a header row: " code { "email" } " and optionally " code { "name" } ", "
                    code { "username" } ", " code { "roles" } " (several separated by " code { ";" } ", or in further cells after a last " code { "roles" } " column). Each row is created on its own." }
                input #bulk-file type="file" name="file" accept=".csv,text/csv";
                div.actions {
                    button #bulk-submit type="submit" { "Upload" }
                    button type="button" data-close="bulk-dialog" { "Cancel" }
                }
                p #bulk-summary {}
                table #bulk-results {
                    thead { tr { th { "Line" } th { "Email" } th { "Result" } } }
                    tbody {}
                }
                div.actions { button #bulk-done type="button" { "Done" } }
            }
        }
    }
}

/// `GET /admin/users?name=&email=&status=&role=&startIndex=`.
pub async fn list(
    state: web::Data<AppState>,
    c: Console,
    q: Query,
) -> Result<HttpResponse, PageError> {
    let groups = state.prov.dir.group_roles(c.admin.tenant).await?;
    let skills = state.prov.dir.skill_catalog(c.admin.tenant).await?;
    let mut notice = None;
    let filter = match user_filter(&q) {
        Ok(f) => f,
        Err(e) => {
            notice = Some(e.0.detail);
            UserFilter {
                start_index: 1,
                count: 50,
                ..UserFilter::default()
            }
        }
    };
    let users = match state.prov.admin_list_users(&c.admin.ctx, &filter).await {
        Ok(p) => p,
        Err(e @ DomainError::Scim(_)) => {
            notice = Some(e.to_scim().detail);
            UserPage {
                total: 0,
                start_index: 1,
                users: Vec::new(),
            }
        }
        Err(e) => return Err(e.into()),
    };
    let roles = role_names(&groups);
    let status = if notice.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(page_with_status(
        status,
        &c,
        "/admin/users",
        "Users",
        notice.as_deref(),
        html! {
            div.toolbar {
                (filter_form(&filter, &roles))
                div.actions.top-right {
                    button #bulk-add-open type="button" data-open="bulk-dialog" { "Bulk Add Users" }
                    button #create-user-open .primary type="button" data-open="create-dialog" { "Create User" }
                }
            }
            table #users {
                thead { tr { th { "Name" } th { "Email" } th { "Status" } th { "Groups" } th { "Edit" } th { "Delete" } } }
                tbody { @for u in &users.users { (row(u, &groups)) } }
            }
            @if users.users.is_empty() { p.none #users-empty { "No user matches." } }
            (pager(&filter, &users))
            (create_dialog(&groups))
            (edit_drawer(&groups, &skills))
            (delete_dialog())
            (bulk_dialog())
        },
    ))
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "—",
    }
}

fn fields(u: &Value, groups: &[GroupRole]) -> Markup {
    let num = |k: &str| u.get(k).and_then(Value::as_i64).map(|n| n.to_string());
    let skills: Vec<&str> = u
        .get("skills")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let managed = u.get("managedBy").filter(|m| !m.is_null());
    let last = u.get("lastSync").filter(|m| !m.is_null());
    html! {
        dl #user-fields .fields {
            dt { "Username" } dd.user-name { (s(u, "userName")) }
            dt { "Name" } dd.display-name { (s(u, "displayName")) }
            dt { "First name" } dd.given-name { (s(u, "givenName")) }
            dt { "Last name" } dd.family-name { (s(u, "familyName")) }
            dt { "Email" } dd.email { (s(u, "email")) }
            dt { "External id" } dd.external-id { (s(u, "externalId")) }
            dt { "Active" } dd.active { (yes_no(u.get("active").and_then(Value::as_bool))) }
            dt { "Status" } dd.status { (s(u, "status")) }
            dt { "Groups and roles" } dd.groups { (badges(u, groups)) }
            dt { "Managed by" } dd.managed {
                @if let Some(m) = managed { span.managed-by data-client-id=(s(m, "clientId")) { (s(m, "clientName")) } }
                @else { "the console (no SCIM client changed it)" }
            }
            dt { "Last sync" } dd.last-sync {
                @if let Some(l) = last { (s(l, "at")) " · " (s(l, "outcome")) } @else { "—" }
            }
            dt { "CSR user" } dd { (yes_no(u.get("csrUser").and_then(Value::as_bool))) }
            dt { "Skills" } dd.skills { (skills.join(", ")) }
            dt { "Voice calls" } dd { (yes_no(u.get("voiceCalls").and_then(Value::as_bool))) }
            dt { "Max chats" } dd { (num("maxChats").unwrap_or_else(|| "—".into())) }
            dt { "Max emails" } dd { (num("maxEmails").unwrap_or_else(|| "—".into())) }
            dt { "Mobile phone" } dd { (s(u, "mobilePhone")) }
            dt { "Created" } dd { (s(u, "createdAt")) }
            dt { "Updated" } dd { (s(u, "updatedAt")) }
        }
    }
}

/// `GET /admin/users/{id}`: the operator and its timeline (also for a de-provisioned
/// account, whose history stays).
pub async fn detail(
    state: web::Data<AppState>,
    c: Console,
    id: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, PageError> {
    let user = match state.prov.admin_get_user(&c.admin.ctx, &id).await {
        Ok(u) => Some(u),
        Err(DomainError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let query = timeline_query("User", &id, &q)?;
    let events = event_page(&state, &c.admin, &query).await?;
    let Some(user) = user else {
        if events.events.is_empty() {
            return Err(DomainError::NotFound(format!("User {id}")).into());
        }
        return Ok(page(
            &c,
            "/admin/users",
            "De-provisioned user",
            html! {
                p #user-gone { "This account is de-provisioned (soft-deleted); its history remains." }
                h2 { "Timeline" }
                (timeline(&events.events, &events.names))
            },
        ));
    };
    let groups = state.prov.dir.group_roles(c.admin.tenant).await?;
    let title = match s(&user, "displayName") {
        "" => s(&user, "userName").to_string(),
        d => d.to_string(),
    };
    let before = param(&q, "before").is_some();
    Ok(page(
        &c,
        "/admin/users",
        &title,
        html! {
            p { a href="/admin/users" { "← Users" } }
            (fields(&user, &groups))
            h2 { "Timeline" }
            (timeline(&events.events, &events.names))
            @if let Some((next, at)) = &events.next {
                p.pager { a #timeline-next href=(url_with(&format!("/admin/users/{}", seg(&id)), &[("before", next), ("beforeAt", &at.to_string())])) { "Older events →" } }
            }
            @if before { p { a href=(format!("/admin/users/{}", seg(&id))) { "Newest events" } } }
        },
    ))
}
