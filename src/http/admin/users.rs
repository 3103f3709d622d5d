//! `/admin/api/users`: the Users page (list, get, create, edit, de-provision, CSV bulk add)
//! and each user's timeline. Thin: extract, call `domain::admin`, render.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::domain::admin::users::UserFilter;
use crate::http::AppState;
use crate::http::admin::auth::AdminCtx;
use crate::http::admin::{Query, json_body, ok, param, timeline};
use crate::http::error::ApiError;
use crate::scim::error::ScimError;

fn int_param(q: &[(String, String)], name: &str, default: i64) -> Result<i64, ApiError> {
    match param(q, name) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| {
            ApiError(ScimError::invalid_value(format!(
                "{name} must be an integer"
            )))
        }),
    }
}

/// The Users page filter of URL parameters: name, email, status, role, startIndex, count.
pub fn user_filter(q: &[(String, String)]) -> Result<UserFilter, ApiError> {
    Ok(UserFilter {
        name: param(q, "name").map(str::to_string),
        email: param(q, "email").map(str::to_string),
        status: param(q, "status").map(str::to_string),
        role: param(q, "role").map(str::to_string),
        start_index: int_param(q, "startIndex", 1)?,
        count: int_param(q, "count", 50)?,
    })
}

/// `GET /admin/api/users?name=&email=&status=&role=&startIndex=&count=`.
pub async fn list(
    state: web::Data<AppState>,
    admin: AdminCtx,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    let filter = user_filter(&q)?;
    let page = state.prov.admin_list_users(&admin.ctx, &filter).await?;
    Ok(ok(json!({
        "totalResults": page.total,
        "startIndex": page.start_index,
        "itemsPerPage": page.users.len(),
        "users": page.users,
    })))
}

/// `GET /admin/api/users/{id}`.
pub async fn get(
    state: web::Data<AppState>,
    admin: AdminCtx,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(ok(state.prov.admin_get_user(&admin.ctx, &id).await?))
}

/// `POST /admin/api/users`: 201 with the new operator.
pub async fn create(
    state: web::Data<AppState>,
    admin: AdminCtx,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let v = json_body(&body)?;
    let user = state.prov.admin_create_user(&admin.ctx, &v).await?;
    Ok(HttpResponse::Created().json(user))
}

/// `PATCH /admin/api/users/{id}`: the edit drawer.
pub async fn edit(
    state: web::Data<AppState>,
    admin: AdminCtx,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let v = json_body(&body)?;
    Ok(ok(state.prov.admin_edit_user(&admin.ctx, &id, &v).await?))
}

/// `DELETE /admin/api/users/{id}` with `{"confirmEmail": "..."}` (or `?confirmEmail=`):
/// de-provision (soft delete), 204.
pub async fn delete(
    state: web::Data<AppState>,
    admin: AdminCtx,
    id: web::Path<String>,
    q: Query,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let from_body = if body.is_empty() {
        None
    } else {
        json_body(&body)?
            .get("confirmEmail")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let confirm = from_body.or_else(|| param(&q, "confirmEmail").map(str::to_string));
    state
        .prov
        .admin_delete_user(&admin.ctx, &id, confirm.as_deref())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /admin/api/users/bulk`: a CSV file (`text/csv`, or JSON `{"csv": "..."}`); 200 with
/// one result per row.
pub async fn bulk(
    state: web::Data<AppState>,
    admin: AdminCtx,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let text = if is_json {
        json_body(&body)?
            .get("csv")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                ApiError(ScimError::invalid_value(
                    "send the file as text/csv, or JSON {\"csv\": \"...\"}",
                ))
            })?
    } else {
        String::from_utf8(body.to_vec())
            .map_err(|_| ApiError(ScimError::invalid_syntax("the CSV file is not UTF-8")))?
    };
    Ok(ok(state.prov.admin_bulk_add(&admin.ctx, &text).await?))
}

/// `GET /admin/api/users/{id}/timeline`: every sync event that touched the user.
pub async fn user_timeline(
    state: web::Data<AppState>,
    admin: AdminCtx,
    id: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    timeline(&state, &admin, "User", &id, &q).await
}
