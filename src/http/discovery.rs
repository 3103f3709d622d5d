//! Discovery endpoints (RFC 7644 4): the documents of `schemas/*.json`, served as they are,
//! with absolute locations and the tenant's skill catalog as `skills` canonicalValues.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::domain::directory::Directory;
use crate::domain::error::DomainError;
use crate::http::AppState;
use crate::http::auth::Authed;
use crate::http::error::{ApiError, SCIM_CONTENT_TYPE};
use crate::scim::error::ScimError;
use crate::scim::registry::{OPERATOR_SCHEMA, documents};
use crate::scim::resource::list_response;

fn parse(doc: &str) -> Result<Value, ApiError> {
    serde_json::from_str(doc).map_err(|e| {
        ApiError(ScimError::new(
            500,
            None,
            format!("discovery document: {e}"),
        ))
    })
}

fn with_location(mut doc: Value, location: String) -> Value {
    if let Some(meta) = doc.get_mut("meta").and_then(Value::as_object_mut) {
        meta.insert("location".into(), Value::String(location));
    }
    doc
}

fn ok(body: Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(SCIM_CONTENT_TYPE)
        .body(body.to_string())
}

/// `GET /ServiceProviderConfig`.
pub async fn service_provider_config(
    state: web::Data<AppState>,
    _auth: Authed,
) -> Result<HttpResponse, ApiError> {
    let doc = parse(documents::SERVICE_PROVIDER_CONFIG)?;
    Ok(ok(with_location(
        doc,
        format!("{}/ServiceProviderConfig", state.prov.base_url),
    )))
}

fn resource_type_docs(base: &str) -> Result<Vec<Value>, ApiError> {
    let docs = parse(documents::RESOURCE_TYPES)?;
    Ok(docs
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|d| {
            let id = d
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            with_location(d, format!("{base}/ResourceTypes/{id}"))
        })
        .collect())
}

/// `GET /ResourceTypes`.
pub async fn resource_types(
    state: web::Data<AppState>,
    _auth: Authed,
) -> Result<HttpResponse, ApiError> {
    let docs = resource_type_docs(&state.prov.base_url)?;
    let n = docs.len();
    Ok(ok(list_response(docs, Some(n as i64), Some(1), n, None)))
}

/// `GET /ResourceTypes/{id}`.
pub async fn resource_type(
    state: web::Data<AppState>,
    _auth: Authed,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    resource_type_docs(&state.prov.base_url)?
        .into_iter()
        .find(|d| d.get("id").and_then(Value::as_str) == Some(id.as_str()))
        .map(ok)
        .ok_or_else(|| ApiError(ScimError::not_found(format!("resource type {id}"))))
}

async fn schema_docs(state: &AppState, auth: &Authed) -> Result<Vec<Value>, ApiError> {
    let skills = state
        .prov
        .dir
        .skill_catalog(auth.0.tenant)
        .await
        .map_err(ApiError::from)?;
    let base = &state.prov.base_url;
    [
        documents::USER,
        documents::GROUP,
        documents::ENTERPRISE_USER,
        documents::OPERATOR,
    ]
    .into_iter()
    .map(|text| {
        let mut doc = parse(text)?;
        let id = doc
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if id == OPERATOR_SCHEMA
            && let Some(attrs) = doc.get_mut("attributes").and_then(Value::as_array_mut)
        {
            for a in attrs.iter_mut().filter(|a| a["name"] == "skills") {
                a["canonicalValues"] = json!(skills);
            }
        }
        Ok(with_location(doc, format!("{base}/Schemas/{id}")))
    })
    .collect()
}

/// `GET /Schemas`.
pub async fn schemas(state: web::Data<AppState>, auth: Authed) -> Result<HttpResponse, ApiError> {
    let docs = schema_docs(&state, &auth).await?;
    let n = docs.len();
    Ok(ok(list_response(docs, Some(n as i64), Some(1), n, None)))
}

/// `GET /Schemas/{urn}`.
pub async fn schema(
    state: web::Data<AppState>,
    auth: Authed,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    schema_docs(&state, &auth)
        .await?
        .into_iter()
        .find(|d| {
            d.get("id")
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case(&id))
        })
        .map(ok)
        .ok_or_else(|| DomainError::NotFound(format!("schema {id}")).into())
}
