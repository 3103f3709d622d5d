//! Bearer-token authentication of SCIM clients (design.md section 6).

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};

use crate::domain::error::DomainError;
use crate::domain::sync::RequestCtx;
use crate::domain::tenant::{digest_eq, token_hash};
use crate::http::AppState;
use crate::http::error::ApiError;

/// An authenticated SCIM request: who sent it and for which tenant.
#[derive(Debug, Clone)]
pub struct Authed(pub RequestCtx);

fn unauthorized(detail: &str) -> ApiError {
    DomainError::Unauthorized(detail.to_string()).into()
}

/// Verify the bearer token: signature (our key), then the client row (exists, same tenant,
/// not revoked, token hash matches) so revocation holds at once on every replica.
pub async fn authenticate(state: &AppState, req: &HttpRequest) -> Result<RequestCtx, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized("an Authorization: Bearer token is required"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("the Authorization header must use the Bearer scheme"))?;
    let (tenant, client_id) = state.signer.verify(token)?;
    let client = state
        .store
        .client(client_id)
        .await
        .map_err(DomainError::from)?
        .filter(|c| c.tenant == tenant && c.revoked_at.is_none())
        .ok_or_else(|| unauthorized("the bearer token is revoked or unknown"))?;
    if !digest_eq(&client.token_hash, &token_hash(token)) {
        return Err(unauthorized("the bearer token is revoked or unknown"));
    }
    let now = state.prov.clock.now().timestamp_micros();
    if client
        .last_used_at
        .is_none_or(|t| now - t.timestamp_micros() > 60_000_000)
        && let Err(e) = state.store.touch_client(client.id, now).await
    {
        tracing::warn!(error = %e, "could not record client use");
    }
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    Ok(RequestCtx {
        tenant,
        client: Some(client.id),
        method: req.method().to_string(),
        path,
        started: std::time::Instant::now(),
    })
}

impl FromRequest for Authed {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError(crate::scim::error::ScimError::new(500, None, "no state")))?
                .clone();
            authenticate(&state, &req).await.map(Authed)
        })
    }
}
