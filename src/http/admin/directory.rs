//! `/admin/api/groups`, `/role-mappings`, `/skills` and `/clients`: the tenant's role groups
//! and their roles, the skill catalog, and SCIM clients (tokens shown once).

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::domain::account::{GroupRecord, MemberLoad, fold};
use crate::domain::admin::port::AdminDirectory;
use crate::domain::directory::Directory;
use crate::domain::error::DomainError;
use crate::domain::ids::{ClientId, GroupId};
use crate::http::AppState;
use crate::http::admin::auth::AdminCtx;
use crate::http::admin::{Query, json_body, ok, timeline};
use crate::http::error::ApiError;
use crate::scim::error::ScimError;

fn required<'a>(v: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError(ScimError::invalid_value(format!("{key} is required"))))
}

/// `GET /admin/api/groups`: live groups with the role each grants.
pub async fn list_groups(
    state: web::Data<AppState>,
    admin: AdminCtx,
) -> Result<HttpResponse, ApiError> {
    let groups = state.prov.dir.group_roles(admin.tenant).await?;
    let items: Vec<Value> = groups
        .into_iter()
        .map(|g| json!({"id": g.group.id.to_string(), "displayName": g.group.display, "role": g.role}))
        .collect();
    Ok(ok(json!({"groups": items})))
}

/// A live group with its members and the role it grants.
pub async fn group_detail(
    state: &AppState,
    admin: &AdminCtx,
    id: &str,
) -> Result<(GroupRecord, Option<String>), ApiError> {
    let not_found = || ApiError::from(DomainError::NotFound(format!("Group {id}")));
    let gid = GroupId::parse(id).ok_or_else(not_found)?;
    let rec = state
        .prov
        .dir
        .get_group(admin.tenant.into(), gid, MemberLoad::WithDisplay)
        .await?
        .ok_or_else(not_found)?;
    let role = state
        .prov
        .dir
        .group_roles(admin.tenant)
        .await?
        .into_iter()
        .find(|g| g.group.id == gid)
        .and_then(|g| g.role);
    Ok((rec, role))
}

/// `GET /admin/api/groups/{id}`: a group with its members and role.
pub async fn get_group(
    state: web::Data<AppState>,
    admin: AdminCtx,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (rec, role) = group_detail(&state, &admin, &id).await?;
    let members: Vec<Value> = rec
        .members
        .unwrap_or_default()
        .into_iter()
        .map(|m| json!({"id": m.id.to_string(), "displayName": m.display}))
        .collect();
    Ok(ok(json!({
        "id": rec.id.to_string(),
        "displayName": rec.display_name,
        "externalId": rec.external_id,
        "role": role,
        "members": members,
        "version": rec.version,
        "createdAt": rec.created_at.to_rfc3339(),
        "updatedAt": rec.updated_at.to_rfc3339(),
    })))
}

/// `POST /admin/api/groups` `{"displayName": "..."}`: 201.
pub async fn create_group(
    state: web::Data<AppState>,
    admin: AdminCtx,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let v = json_body(&body)?;
    let name = required(&v, "displayName")?;
    let doc =
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name});
    let created = state.prov.create_group(&admin.ctx, &doc).await?;
    Ok(HttpResponse::Created().json(json!({"id": created.id, "displayName": name})))
}

/// `DELETE /admin/api/groups/{id}`: soft delete, 204.
pub async fn delete_group(
    state: web::Data<AppState>,
    admin: AdminCtx,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.prov.delete_group(&admin.ctx, &id, None).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /admin/api/groups/{id}/timeline`.
pub async fn group_timeline(
    state: web::Data<AppState>,
    admin: AdminCtx,
    id: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    timeline(&state, &admin, "Group", &id, &q).await
}

/// An admin mapping of a group name to a role.
#[derive(Debug, Clone)]
pub struct RoleMapping {
    /// The live group's display name, else the mapped name.
    pub group: String,
    /// The case-folded group name the mapping is keyed by.
    pub group_key: String,
    /// The role granted.
    pub role: String,
    /// The live group it applies to, if any.
    pub group_id: Option<String>,
}

/// Admin mappings and the live groups they apply to.
pub async fn role_mappings(
    state: &AppState,
    admin: &AdminCtx,
) -> Result<Vec<RoleMapping>, ApiError> {
    let mappings = state
        .store
        .list_role_mappings(admin.tenant)
        .await
        .map_err(DomainError::from)?;
    let groups = state.prov.dir.group_roles(admin.tenant).await?;
    Ok(mappings
        .into_iter()
        .map(|(key, role)| {
            let group = groups.iter().find(|g| fold(&g.group.display) == key);
            RoleMapping {
                group: group.map_or(key.clone(), |g| g.group.display.clone()),
                group_id: group.map(|g| g.group.id.to_string()),
                group_key: key,
                role,
            }
        })
        .collect())
}

/// `GET /admin/api/role-mappings`: admin mappings and the live groups they apply to.
pub async fn list_role_mappings(
    state: web::Data<AppState>,
    admin: AdminCtx,
) -> Result<HttpResponse, ApiError> {
    let items: Vec<Value> = role_mappings(&state, &admin)
        .await?
        .into_iter()
        .map(|m| {
            json!({"group": m.group, "groupKey": m.group_key, "role": m.role, "groupId": m.group_id})
        })
        .collect();
    Ok(ok(
        json!({"mappings": items, "builtinRoles": crate::domain::admin::BUILTIN_ROLES}),
    ))
}

/// `PUT /admin/api/role-mappings` `{"group": "...", "role": "..."}`.
pub async fn set_role_mapping(
    state: web::Data<AppState>,
    admin: AdminCtx,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let v = json_body(&body)?;
    let (group, role) = (required(&v, "group")?, required(&v, "role")?);
    state
        .store
        .map_role(admin.tenant, group, role)
        .await
        .map_err(DomainError::from)?;
    Ok(ok(json!({"group": group, "role": role})))
}

/// `DELETE /admin/api/role-mappings/{group}`: 204, 404 when there was none.
pub async fn delete_role_mapping(
    state: web::Data<AppState>,
    admin: AdminCtx,
    group: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let n = state
        .store
        .delete_role_mapping(admin.tenant, &group)
        .await
        .map_err(DomainError::from)?;
    if n == 0 {
        return Err(DomainError::NotFound(format!("role mapping of {group}")).into());
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /admin/api/skills`.
pub async fn list_skills(
    state: web::Data<AppState>,
    admin: AdminCtx,
) -> Result<HttpResponse, ApiError> {
    Ok(ok(
        json!({"skills": state.prov.dir.skill_catalog(admin.tenant).await?}),
    ))
}

/// `POST /admin/api/skills` `{"name": "..."}` or `{"names": [...]}`.
pub async fn add_skills(
    state: web::Data<AppState>,
    admin: AdminCtx,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let v = json_body(&body)?;
    let mut names: Vec<String> = v
        .get("names")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| s.trim().to_string())
                .collect()
        })
        .unwrap_or_default();
    if let Some(n) = v.get("name").and_then(Value::as_str) {
        names.push(n.trim().to_string());
    }
    names.retain(|n| !n.is_empty());
    if names.is_empty() {
        return Err(ApiError(ScimError::invalid_value(
            "name (or names) is required",
        )));
    }
    let now = state.prov.clock.now().timestamp_micros();
    state
        .store
        .add_skills(admin.tenant, &names, now)
        .await
        .map_err(DomainError::from)?;
    Ok(ok(
        json!({"skills": state.prov.dir.skill_catalog(admin.tenant).await?}),
    ))
}

/// `DELETE /admin/api/skills/{name}`: 204, 404 when not in the catalog.
pub async fn remove_skill(
    state: web::Data<AppState>,
    admin: AdminCtx,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let n = state
        .store
        .remove_skill(admin.tenant, &name)
        .await
        .map_err(DomainError::from)?;
    if n == 0 {
        return Err(DomainError::NotFound(format!("skill {name}")).into());
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /admin/api/clients`: SCIM clients with last use (never their tokens).
pub async fn list_clients(
    state: web::Data<AppState>,
    admin: AdminCtx,
) -> Result<HttpResponse, ApiError> {
    let clients = state
        .store
        .list_clients(admin.tenant)
        .await
        .map_err(DomainError::from)?;
    let items: Vec<Value> = clients
        .into_iter()
        .map(|c| {
            json!({"id": c.id.to_string(), "name": c.name, "createdAt": c.created_at.to_rfc3339(),
                   "revokedAt": c.revoked_at.map(|t| t.to_rfc3339()),
                   "lastUsedAt": c.last_used_at.map(|t| t.to_rfc3339())})
        })
        .collect();
    Ok(ok(json!({"clients": items})))
}

/// `POST /admin/api/clients` `{"name": "okta"}`: 201 with the token, shown this once.
pub async fn issue_client(
    state: web::Data<AppState>,
    admin: AdminCtx,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let v = json_body(&body)?;
    let name = required(&v, "name")?;
    let now = state.prov.clock.now();
    let (client, token) =
        crate::app::issue_token(&state.store, &state.signer, admin.tenant, name, now).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": client.id.to_string(), "name": client.name, "createdAt": client.created_at.to_rfc3339(),
        "token": token, "scimBaseUrl": state.prov.base_url,
    })))
}

/// `DELETE /admin/api/clients/{id}`: revoke at once (every replica), 204.
pub async fn revoke_client(
    state: web::Data<AppState>,
    admin: AdminCtx,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::from(DomainError::NotFound(format!("client {id}")));
    let cid = ClientId::parse(&id).ok_or_else(not_found)?;
    let now = state.prov.clock.now().timestamp_micros();
    let n = state
        .store
        .revoke_client(admin.tenant, &cid.to_string(), now)
        .await
        .map_err(DomainError::from)?;
    if n == 0 {
        return Err(not_found());
    }
    Ok(HttpResponse::NoContent().finish())
}
