//! SCIM resource endpoints: extract, call the domain, render.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use crate::domain::listing::{AcrossTypes, filter_across_types};
use crate::domain::provisioning::Rendered;
use crate::http::AppState;
use crate::http::auth::{Authed, ReadAuthed};
use crate::http::error::{ApiError, SCIM_CONTENT_TYPE};
use crate::scim::error::ScimError;
use crate::scim::projection::Projection;
use crate::scim::registry::ResourceKind;
use crate::scim::resource::{EtagMatch, ListParams, etag, list_response, parse_etags};

type Query = web::Query<Vec<(String, String)>>;

/// Parse a request body as JSON (any content type that holds JSON is accepted).
fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ScimError::invalid_syntax("the request body is empty").into());
    }
    serde_json::from_slice(body).map_err(|e| {
        ScimError::invalid_syntax(format!("the request body is not valid JSON: {e}")).into()
    })
}

/// `If-Match` as the versions a write may apply to (None: unconditional).
fn if_match(headers: &HeaderMap) -> Option<Vec<i64>> {
    let value = headers.get(header::IF_MATCH)?.to_str().ok()?;
    match parse_etags(value) {
        EtagMatch::Any => None,
        EtagMatch::Versions(v) => Some(v),
    }
}

fn query_value<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn projection(
    state: &AppState,
    kind: ResourceKind,
    q: &[(String, String)],
) -> Result<Projection, ApiError> {
    Ok(Projection::parse(
        &state.prov.registry,
        kind,
        query_value(q, "attributes"),
        query_value(q, "excludedAttributes"),
    )?)
}

/// A single-resource answer with ETag (and Location for 201).
fn resource(status: StatusCode, body: Rendered) -> HttpResponse {
    resource_at(status, body, None)
}

/// A single-resource answer whose ETag comes from `version` when the body may not carry
/// `meta`: RFC 7644 3.14 versions every resource answer, and `attributes` may project meta away.
fn resource_at(status: StatusCode, body: Rendered, version: Option<i64>) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.content_type(SCIM_CONTENT_TYPE);
    if let Some(v) = version {
        res.insert_header((header::ETAG, etag(v)));
    }
    if let Some(v) = body.version
        && version.is_none()
    {
        res.insert_header((header::ETAG, v));
    }
    if status == StatusCode::CREATED
        && let Some(loc) = body.location
    {
        res.insert_header((header::LOCATION, loc));
    }
    res.body(body.json)
}

fn list(body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(SCIM_CONTENT_TYPE)
        .body(body)
}

/// GET with `If-None-Match`: 304 when the client's version is current.
fn conditional_get(req: &HttpRequest, body: Rendered, version: i64) -> HttpResponse {
    let not_modified = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| parse_etags(v).matches(version));
    if not_modified {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag(version)))
            .finish();
    }
    resource_at(StatusCode::OK, body, Some(version))
}

/// `POST /Users`.
pub async fn create_user(
    state: web::Data<AppState>,
    auth: ReadAuthed,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // The token check travels with the insert (nothing is written for a refused token).
    auth.answer(&state, async {
        let v = parse_body(&body)?;
        Ok(resource(
            StatusCode::CREATED,
            state.prov.create_user(auth.ctx(), &v).await?,
        ))
    })
    .await
}

/// `GET /Users/{id}`.
pub async fn get_user(
    state: web::Data<AppState>,
    auth: ReadAuthed,
    req: HttpRequest,
    id: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    auth.answer(&state, async {
        let proj = projection(&state, ResourceKind::User, &q)?;
        let (body, version) = state.prov.get_user(auth.ctx(), &id, &proj).await?;
        Ok(conditional_get(&req, body, version))
    })
    .await
}

/// `GET /Users`.
pub async fn list_users(
    state: web::Data<AppState>,
    auth: ReadAuthed,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    auth.answer(&state, async {
        let params = ListParams::from_query(&q)?;
        Ok(list(state.prov.list_users(auth.ctx(), &params).await?))
    })
    .await
}

/// `POST /Users/.search`.
pub async fn search_users(
    state: web::Data<AppState>,
    auth: Authed,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = ListParams::from_search_body(&parse_body(&body)?)?;
    Ok(list(state.prov.list_users(&auth.0, &params).await?))
}

/// `PUT /Users/{id}`.
pub async fn replace_user(
    state: web::Data<AppState>,
    auth: ReadAuthed,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // The token check travels with the read that precedes the write (decided before
    // anything is written).
    auth.answer(&state, async {
        let v = parse_body(&body)?;
        let out = state
            .prov
            .replace_user(auth.ctx(), &id, &v, if_match(req.headers()))
            .await?;
        Ok(resource(StatusCode::OK, out))
    })
    .await
}

/// `PATCH /Users/{id}`: 200 with the resource.
pub async fn patch_user(
    state: web::Data<AppState>,
    auth: ReadAuthed,
    req: HttpRequest,
    id: web::Path<String>,
    q: Query,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // As for PUT: the token check travels with the read before the write.
    auth.answer(&state, async {
        let v = parse_body(&body)?;
        let proj = projection(&state, ResourceKind::User, &q)?;
        let (out, version) = state
            .prov
            .patch_user_versioned(auth.ctx(), &id, &v, if_match(req.headers()), &proj)
            .await?;
        Ok(resource_at(StatusCode::OK, out, Some(version)))
    })
    .await
}

/// `DELETE /Users/{id}`: soft delete, 204.
pub async fn delete_user(
    state: web::Data<AppState>,
    auth: Authed,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .prov
        .delete_user(&auth.0, &id, if_match(req.headers()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /Groups`.
pub async fn create_group(
    state: web::Data<AppState>,
    auth: Authed,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let v = parse_body(&body)?;
    Ok(resource(
        StatusCode::CREATED,
        state.prov.create_group(&auth.0, &v).await?,
    ))
}

/// `GET /Groups/{id}`.
pub async fn get_group(
    state: web::Data<AppState>,
    auth: ReadAuthed,
    req: HttpRequest,
    id: web::Path<String>,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    auth.answer(&state, async {
        let proj = projection(&state, ResourceKind::Group, &q)?;
        let (body, version) = state.prov.get_group(auth.ctx(), &id, &proj).await?;
        Ok(conditional_get(&req, body, version))
    })
    .await
}

/// `GET /Groups`.
pub async fn list_groups(
    state: web::Data<AppState>,
    auth: ReadAuthed,
    q: Query,
) -> Result<HttpResponse, ApiError> {
    auth.answer(&state, async {
        let params = ListParams::from_query(&q)?;
        Ok(list(state.prov.list_groups(auth.ctx(), &params).await?))
    })
    .await
}

/// `POST /Groups/.search`.
pub async fn search_groups(
    state: web::Data<AppState>,
    auth: Authed,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = ListParams::from_search_body(&parse_body(&body)?)?;
    Ok(list(state.prov.list_groups(&auth.0, &params).await?))
}

/// `PUT /Groups/{id}`.
pub async fn replace_group(
    state: web::Data<AppState>,
    auth: Authed,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let v = parse_body(&body)?;
    let out = state
        .prov
        .replace_group(&auth.0, &id, &v, if_match(req.headers()))
        .await?;
    Ok(resource(StatusCode::OK, out))
}

/// `PATCH /Groups/{id}`: 204, or 200 with the resource when `attributes` or
/// `excludedAttributes` is given (RFC 7644 3.5.2).
pub async fn patch_group(
    state: web::Data<AppState>,
    auth: Authed,
    req: HttpRequest,
    id: web::Path<String>,
    q: Query,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let v = parse_body(&body)?;
    let wants_body =
        query_value(&q, "attributes").is_some() || query_value(&q, "excludedAttributes").is_some();
    let proj = if wants_body {
        Some(projection(&state, ResourceKind::Group, &q)?)
    } else {
        None
    };
    let out = state
        .prov
        .patch_group(&auth.0, &id, &v, if_match(req.headers()), proj.as_ref())
        .await?;
    Ok(match out {
        Some(body) => resource(StatusCode::OK, body),
        None => HttpResponse::NoContent().finish(),
    })
}

/// `DELETE /Groups/{id}`: soft delete, 204.
pub async fn delete_group(
    state: web::Data<AppState>,
    auth: Authed,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .prov
        .delete_group(&auth.0, &id, if_match(req.headers()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /.search` (RFC 7644 3.4.3): Users then Groups, paged over the concatenation.
pub async fn search_root(
    state: web::Data<AppState>,
    auth: Authed,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = ListParams::from_search_body(&parse_body(&body)?)?;
    if params.cursor.is_some() {
        return Err(ScimError::invalid_value(
            "cursor paging is per resource type; use /Users/.search or /Groups/.search",
        )
        .into());
    }
    let start = params.start_index.unwrap_or(1).max(1);
    let count = params.page_size(
        crate::domain::listing::DEFAULT_PAGE_SIZE,
        crate::domain::listing::MAX_RESULTS,
    );
    // Fetch enough of each type to cover the requested window of the concatenation.
    let mut window = params.clone();
    window.start_index = Some(1);
    window.count = Some((start - 1 + count).min(crate::domain::listing::MAX_RESULTS));
    // RFC 7644 3.4.2.1: each type sees the filter with the attributes it lacks unassigned.
    let mut lists = Vec::new();
    for kind in [ResourceKind::User, ResourceKind::Group] {
        let mut per_type = window.clone();
        match filter_across_types(&state.prov.registry, kind, params.filter.as_deref())? {
            AcrossTypes::Nothing => continue,
            AcrossTypes::Filter(f) => per_type.filter = f,
        }
        lists.push(match kind {
            ResourceKind::User => state.prov.list_users(&auth.0, &per_type).await?,
            ResourceKind::Group => state.prov.list_groups(&auth.0, &per_type).await?,
        });
    }
    // Each type's page as a tree, to take the window of their concatenation.
    let lists: Vec<Value> = lists
        .iter()
        .map(|l| serde_json::from_slice(l).unwrap_or(Value::Null))
        .collect();
    let total: i64 = lists
        .iter()
        .map(|l| l["totalResults"].as_i64().unwrap_or(0))
        .sum();
    let all: Vec<Value> = lists
        .into_iter()
        .flat_map(|l| l["Resources"].as_array().cloned().unwrap_or_default())
        .skip((start - 1) as usize)
        .take(count as usize)
        .collect();
    let n = all.len();
    Ok(list(
        list_response(all, Some(total), Some(start), n, None)
            .to_string()
            .into_bytes(),
    ))
}

/// `POST /Bulk` (RFC 7644 3.7).
pub async fn bulk(
    state: web::Data<AppState>,
    auth: Authed,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let v = parse_body(&body)?;
    Ok(list(
        state.prov.bulk(&auth.0, &v).await?.to_string().into_bytes(),
    ))
}

/// `/Me` is not supported (RFC 7644 3.11 allows 501).
pub async fn me() -> Result<HttpResponse, ApiError> {
    Err(ScimError::new(
        501,
        None,
        "/Me is not supported: SCIM clients here are provisioning systems, not users",
    )
    .into())
}

/// Unknown URL under `/scim/v2`.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ScimError::not_found("no such endpoint").into())
}
