//! Who is calling the admin API: a console session (cookie, with a CSRF token on every
//! state-changing request) or an admin bearer token issued by the CLI (no cookie, so no CSRF).
//!
//! A session opened by OpenID Connect is re-checked on every request with the rule sign-in
//! applies ([`Provisioning::admin_grant`](crate::domain::provisioning::Provisioning)): its
//! subject must still be a bootstrap admin or an active operator holding DialAiAdmin, so an
//! admin de-provisioned or stripped of the role through SCIM loses the console at once (the
//! session is deleted, 401). Sessions of the one-time sign-in link ([`LINK_SUBJECT`]) name
//! no person and stay valid until they expire.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::domain::admin::auth::{ADMIN_TOKEN_PREFIX, AdminSession, LINK_SUBJECT, random_secret};
use crate::domain::error::DomainError;
use crate::domain::ids::TenantId;
use crate::domain::sync::RequestCtx;
use crate::domain::tenant::{digest_eq, token_hash};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::scim::error::ScimError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "scim_admin_session";
/// Header carrying the session's CSRF token (double submit: the console reads the token
/// from `GET /admin/api/session` or the page and echoes it).
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// How an admin request is authenticated.
#[derive(Debug, Clone)]
pub enum Via {
    /// A console session.
    Session(AdminSession),
    /// An admin bearer token (its name).
    Token(String),
}

/// An authenticated admin request.
#[derive(Debug, Clone)]
pub struct AdminCtx {
    /// Tenant administered: everything the request sees and changes is this tenant's.
    pub tenant: TenantId,
    /// How.
    pub via: Via,
    /// The request as the sync log records it (no client: an admin).
    pub ctx: RequestCtx,
}

fn unauthorized(detail: &str) -> ApiError {
    DomainError::Unauthorized(detail.to_string()).into()
}

/// The value of a cookie of the request.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Whether a method changes state (and so needs the CSRF token when cookie-authenticated).
fn changes_state(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The `Set-Cookie` value of a new session.
pub fn session_cookie(value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/admin; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Open a session for `subject` on `tenant`: the cookie value (shown to the browser only)
/// and the session (stored under the value's hash).
pub async fn open_session(
    state: &AppState,
    tenant: TenantId,
    subject: &str,
) -> Result<(String, AdminSession), ApiError> {
    let now = state.prov.clock.now().timestamp_micros();
    let value = random_secret();
    let session = AdminSession {
        tenant,
        subject: subject.to_string(),
        csrf_token: random_secret(),
        expires_at: now + state.admin.session_ttl_secs * 1_000_000,
    };
    state
        .store
        .insert_admin_session(&token_hash(&value), &session, now)
        .await
        .map_err(DomainError::from)?;
    Ok((value, session))
}

/// Authenticate an admin request.
pub async fn authenticate(state: &AppState, req: &HttpRequest) -> Result<AdminCtx, ApiError> {
    let now = state.prov.clock.now().timestamp_micros();
    let (tenant, via) = if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| t.starts_with(ADMIN_TOKEN_PREFIX))
            .ok_or_else(|| unauthorized("an admin bearer token (scadm_...) is required"))?;
        let found = state
            .store
            .admin_token_by_hash(&token_hash(token))
            .await
            .map_err(DomainError::from)?
            .ok_or_else(|| unauthorized("the admin token is revoked or unknown"))?;
        if found.last_used_at.is_none_or(|t| now - t > 60_000_000)
            && let Err(e) = state.store.touch_admin_token(&found.id, now).await
        {
            tracing::warn!(error = %e, "could not record admin token use");
        }
        (found.tenant, Via::Token(found.name))
    } else if let Some(value) = cookie(req, SESSION_COOKIE) {
        let session = state
            .store
            .admin_session(&token_hash(&value), now)
            .await
            .map_err(DomainError::from)?
            .ok_or_else(|| unauthorized("the session has expired; sign in again"))?;
        if session.subject != LINK_SUBJECT {
            let grant = state
                .prov
                .admin_grant(
                    session.tenant,
                    &session.subject,
                    &state.admin.bootstrap_admins,
                )
                .await?;
            if grant.is_none() {
                if let Err(e) = state.store.delete_admin_session(&token_hash(&value)).await {
                    tracing::warn!(error = %DomainError::from(e), "could not end a revoked session");
                }
                tracing::info!(subject = %session.subject, tenant = %session.tenant, "admin session ended: no longer an admin");
                return Err(unauthorized(
                    "you are no longer an admin of this tenant; the session has ended",
                ));
            }
        }
        if changes_state(req.method()) {
            let sent = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !digest_eq(&token_hash(sent), &token_hash(&session.csrf_token)) {
                return Err(ApiError(ScimError::new(
                    403,
                    None,
                    "CSRF check failed: a state-changing request needs the session's X-CSRF-Token header",
                )));
            }
        }
        (session.tenant, Via::Session(session))
    } else {
        return Err(unauthorized(
            "sign in to the admin console, or send an admin bearer token",
        ));
    };
    crate::domain::sync::set_admin_actor(match &via {
        Via::Session(s) => &s.subject,
        Via::Token(name) => name,
    });
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    Ok(AdminCtx {
        tenant,
        via,
        ctx: RequestCtx {
            tenant,
            client: None,
            method: req.method().to_string(),
            path,
            started: std::time::Instant::now(),
            gate: None,
        },
    })
}

impl FromRequest for AdminCtx {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError(ScimError::new(500, None, "no state")))?
                .clone();
            authenticate(&state, &req).await
        })
    }
}
