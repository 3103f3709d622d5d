//! Bearer-token authentication of SCIM clients (design.md section 6).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, http::header, web};

use crate::domain::error::DomainError;
use crate::domain::sync::RequestCtx;
use crate::domain::tenant::{AuthGate, token_hash};
use crate::http::AppState;
use crate::http::error::ApiError;

/// An authenticated SCIM request: who sent it and for which tenant, its token checked.
#[derive(Debug, Clone)]
pub struct Authed(pub RequestCtx);

/// A SCIM request whose token signature holds and whose database check travels with its
/// first read or write (see [`AuthGate`]): reads, the user PATCH/PUT whose write follows a
/// read of the row (the check is decided before anything is written), and the user create
/// whose insert holds the check as its condition. The handler runs inside
/// [`ReadAuthed::answer`], which makes the check if no read carried it and answers 401
/// whenever it refuses, so nothing read leaves, and nothing is written, for a revoked token.
#[derive(Debug, Clone)]
pub struct ReadAuthed(RequestCtx);

impl ReadAuthed {
    /// The request (its gate possibly still open).
    pub fn ctx(&self) -> &RequestCtx {
        &self.0
    }

    /// Run the handler's work, then close the gate: its answer goes out only if the token
    /// passes its check.
    pub async fn answer(
        &self,
        state: &AppState,
        work: impl Future<Output = Result<HttpResponse, ApiError>>,
    ) -> Result<HttpResponse, ApiError> {
        let out = work.await;
        if let Some(gate) = &self.0.gate {
            state
                .store
                .settle_gate(gate)
                .await
                .map_err(DomainError::from)?;
        }
        out
    }
}

fn unauthorized(detail: &str) -> ApiError {
    DomainError::Unauthorized(detail.to_string()).into()
}

/// Read the bearer token and verify its signature (our key): the request with its token
/// check still to be made (`ctx.gate`).
fn signed_request(state: &AppState, req: &HttpRequest) -> Result<RequestCtx, ApiError> {
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
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let at = state.prov.clock.now().timestamp_micros();
    Ok(RequestCtx {
        tenant,
        client: Some(client_id),
        method: req.method().to_string(),
        path,
        started: std::time::Instant::now(),
        gate: Some(Arc::new(AuthGate::new(
            tenant,
            client_id,
            token_hash(token),
            at,
        ))),
    })
}

/// Verify the bearer token: signature (our key), then the client row (exists, same tenant,
/// not revoked, token hash matches) so revocation holds at once on every replica.
pub async fn authenticate(state: &AppState, req: &HttpRequest) -> Result<RequestCtx, ApiError> {
    let mut ctx = signed_request(state, req)?;
    if let Some(gate) = ctx.gate.take() {
        state
            .store
            .settle_gate(&gate)
            .await
            .map_err(DomainError::from)?;
    }
    Ok(ctx)
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError(crate::scim::error::ScimError::new(500, None, "no state")))
}

impl FromRequest for ReadAuthed {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            app_state(req).and_then(|state| signed_request(&state, req).map(ReadAuthed)),
        )
    }
}

impl FromRequest for Authed {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            authenticate(&state, &req).await.map(Authed)
        })
    }
}
