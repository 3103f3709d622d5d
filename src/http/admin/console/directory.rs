//! Groups (with their roles and timelines), SCIM clients, the skill catalog and role
//! mappings. Changes go through `console.js` to the JSON API.

use actix_web::{HttpResponse, web};
use maud::{Markup, html};

use crate::domain::admin::BUILTIN_ROLES;
use crate::domain::admin::port::AdminDirectory;
use crate::domain::directory::Directory;
use crate::domain::error::DomainError;
use crate::http::AppState;
use crate::http::admin::console::events::timeline;
use crate::http::admin::console::{Console, PageError, page, seg, url_with, when, when_opt};
use crate::http::admin::directory::{group_detail, role_mappings};
use crate::http::admin::sync::event_page;
use crate::http::admin::{Query, timeline_query};

/// Members listed on a group's page (the rest are counted).
const MEMBERS_SHOWN: usize = 500;

/// `GET /admin/groups`: live groups and the role each grants.
pub async fn groups(state: web::Data<AppState>, c: Console) -> Result<HttpResponse, PageError> {
    let groups = state.prov.dir.group_roles(c.admin.tenant).await?;
    Ok(page(
        &c,
        "/admin/groups",
        "Groups",
        html! {
            p.hint { "Groups are pushed by the IdP (or created with a user). Each grants the role of its name, or the one "
                a href="/admin/roles" { "mapped" } " to it." }
            table #groups {
                thead { tr { th { "Group" } th { "Role granted" } } }
                tbody {
                    @for g in &groups {
                        tr data-group-id=(g.group.id.to_string()) {
                            td.name { a href=(format!("/admin/groups/{}", g.group.id)) { (g.group.display) } }
                            td.role { @if let Some(r) = &g.role { span.badge.role { (r) } } @else { span.none { "none" } } }
                        }
                    }
                }
            }
            @if groups.is_empty() { p.none { "No group yet." } }
        },
    ))
}

/// `GET /admin/groups/{id}`: the group, its members and its timeline (also once deleted).
pub async fn group(
    state: web::Data<AppState>,
    c: Console,
    id: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, PageError> {
    let found = match group_detail(&state, &c.admin, &id).await {
        Ok(g) => Some(g),
        Err(e) if e.0.status == 404 => None,
        Err(e) => return Err(e.into()),
    };
    let query = timeline_query("Group", &id, &q)?;
    let events = event_page(&state, &c.admin, &query).await?;
    let Some((rec, role)) = found else {
        if events.events.is_empty() {
            return Err(DomainError::NotFound(format!("Group {id}")).into());
        }
        return Ok(page(
            &c,
            "/admin/groups",
            "Deleted group",
            html! {
                p #group-gone { "This group is deleted; its history remains." }
                h2 { "Timeline" }
                (timeline(&events.events, &events.names))
            },
        ));
    };
    let members = rec.members.unwrap_or_default();
    Ok(page(
        &c,
        "/admin/groups",
        &rec.display_name,
        html! {
            p { a href="/admin/groups" { "← Groups" } }
            dl #group-fields .fields {
                dt { "Name" } dd.name { (rec.display_name) }
                dt { "Role granted" } dd.role { @if let Some(r) = &role { span.badge.role { (r) } } @else { "none" } }
                dt { "External id" } dd { (rec.external_id.as_deref().unwrap_or("—")) }
                dt { "Members" } dd #member-count { (members.len()) }
                dt { "Created" } dd { (when(rec.created_at)) }
                dt { "Updated" } dd { (when(rec.updated_at)) }
            }
            h2 { "Members" }
            ul #members {
                @for m in members.iter().take(MEMBERS_SHOWN) {
                    li data-user-id=(m.id.to_string()) {
                        a href=(format!("/admin/users/{}", m.id)) { (m.display.clone().unwrap_or_else(|| m.id.to_string())) }
                    }
                }
            }
            @if members.len() > MEMBERS_SHOWN { p.hint { "and " (members.len() - MEMBERS_SHOWN) " more" } }
            h2 { "Timeline" }
            (timeline(&events.events, &events.names))
            @if let Some((next, at)) = &events.next {
                p.pager { a #timeline-next href=(url_with(&format!("/admin/groups/{}", seg(&id)), &[("before", next), ("beforeAt", &at.to_string())])) { "Older events →" } }
            }
        },
    ))
}

/// `GET /admin/clients`: SCIM clients, issue a token (shown once), revoke.
pub async fn clients(state: web::Data<AppState>, c: Console) -> Result<HttpResponse, PageError> {
    let clients = state
        .store
        .list_clients(c.admin.tenant)
        .await
        .map_err(DomainError::from)?;
    Ok(page(
        &c,
        "/admin/clients",
        "SCIM clients",
        html! {
            p.hint { "Each IdP connection (Okta, Entra ID…) uses its own bearer token. SCIM base URL: "
                code #scim-base-url { (state.prov.base_url) } }
            table #clients {
                thead { tr { th { "Name" } th { "Created" } th { "Last use" } th { "Revoked" } th {} } }
                tbody {
                    @for cl in &clients {
                        tr data-client-id=(cl.id.to_string()) .revoked[cl.revoked_at.is_some()] {
                            td.name { a href=(format!("/admin/events?client={}", cl.id)) { (cl.name) } }
                            td.created { (when(cl.created_at)) }
                            td.last-use { (when_opt(cl.last_used_at)) }
                            td.revoked { @if let Some(t) = cl.revoked_at { (when(t)) } @else { span.none { "no" } } }
                            td { @if cl.revoked_at.is_none() {
                                button.revoke type="button" data-client-id=(cl.id.to_string()) aria-label=(format!("Revoke {}", cl.name)) { "Revoke" }
                            } }
                        }
                    }
                }
            }
            @if clients.is_empty() { p.none { "No SCIM client yet." } }
            h2 { "Issue a token" }
            form #issue-client .inline {
                p.error role="alert" {}
                label { "Name " input name="name" required placeholder="okta" autocomplete="off"; }
                button #issue-client-save type="submit" { "Issue token" }
            }
            div #new-token-box hidden {
                p { "Copy this token into the IdP now: it is not shown again." }
                code #new-token {}
                p { button #new-token-done type="button" { "Done" } }
            }
        },
    ))
}

/// `GET /admin/skills`: the skill catalog.
pub async fn skills(state: web::Data<AppState>, c: Console) -> Result<HttpResponse, PageError> {
    let skills = state.prov.dir.skill_catalog(c.admin.tenant).await?;
    Ok(page(
        &c,
        "/admin/skills",
        "Skills",
        html! {
            p.hint { "Skills match handoffs to operators; users' skills are chosen from this catalog." }
            ul #skills {
                @for s in &skills {
                    li data-skill=(s) { span.name { (s) } " " button.remove type="button" data-skill=(s) aria-label=(format!("Remove {s}")) { "Remove" } }
                }
            }
            @if skills.is_empty() { p.none { "The catalog is empty." } }
            form #add-skill .inline {
                p.error role="alert" {}
                label { "Skill " input name="name" required autocomplete="off"; }
                button #add-skill-save type="submit" { "Add" }
            }
        },
    ))
}

/// The role select of the mapping form: built-in roles and those already mapped.
fn role_options(mapped: &[String]) -> Markup {
    let mut roles: Vec<String> = BUILTIN_ROLES
        .iter()
        .map(|r| r.to_string())
        .chain(mapped.iter().cloned())
        .collect();
    roles.sort_by_key(|r| r.to_lowercase());
    roles.dedup();
    html! { @for r in &roles { option value=(r) { (r) } } }
}

/// `GET /admin/roles`: admin mappings of group names to roles.
pub async fn roles(state: web::Data<AppState>, c: Console) -> Result<HttpResponse, PageError> {
    let mappings = role_mappings(&state, &c.admin).await?;
    let groups = state.prov.dir.group_roles(c.admin.tenant).await?;
    let mapped: Vec<String> = mappings.iter().map(|m| m.role.clone()).collect();
    Ok(page(
        &c,
        "/admin/roles",
        "Role mappings",
        html! {
            p.hint { "By default a group grants the built-in role of its name ("
                (BUILTIN_ROLES.join(", ")) "). Map a group (by name, pushed or not yet) to another role here." }
            table #role-mappings {
                thead { tr { th { "Group" } th { "Role" } th {} } }
                tbody {
                    @for m in &mappings {
                        tr data-group-key=(m.group_key) {
                            td.group {
                                @if let Some(gid) = &m.group_id { a href=(format!("/admin/groups/{gid}")) { (m.group) } }
                                @else { (m.group) " " span.hint { "(no such group yet)" } }
                            }
                            td.role { span.badge.role { (m.role) } }
                            td { button.remove type="button" data-group-key=(m.group_key) aria-label=(format!("Remove the mapping of {}", m.group)) { "Remove" } }
                        }
                    }
                }
            }
            @if mappings.is_empty() { p.none { "No mapping: every group grants the role of its name." } }
            h2 { "Map a group" }
            form #set-role-mapping .inline {
                p.error role="alert" {}
                label { "Group " input name="group" list="group-names" required autocomplete="off"; }
                datalist #group-names { @for g in &groups { option value=(g.group.display) {} } }
                label { "Role " select name="role" { (role_options(&mapped)) } }
                button #set-role-mapping-save type="submit" { "Save" }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_options_list_builtin_and_mapped_roles_once() {
        let html = role_options(&["Supervisor".into(), "Maintainer".into()]).into_string();
        assert_eq!(html.matches("<option").count(), 4);
        assert!(html.contains("value=\"Supervisor\""));
    }
}
