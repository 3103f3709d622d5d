//! The admin console and its JSON API (issue 8), under `/admin`.
//!
//! `/admin/api/*` answers JSON; its errors are RFC 7644 3.12 bodies like the SCIM API's, so
//! an admin edit refused by a SCIM rule reads the same as the IdP's refusal. Callers are
//! authenticated by [`auth::AdminCtx`]: a console session (cookie + CSRF token) or an admin
//! bearer token. Sign-in is OpenID Connect ([`oidc`]) or a one-time link printed by `serve`.

pub mod auth;
pub mod console;
pub mod directory;
pub mod oidc;
pub mod sync;
pub mod users;

use std::collections::HashMap;

use actix_web::middleware::{DefaultHeaders, ErrorHandlers};
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::domain::admin::sync::DEFAULT_RETENTION_DAYS;
use crate::http::AppState;
use crate::http::admin::auth::AdminCtx;
use crate::http::error::{ApiError, scim_error_body};
use crate::scim::error::ScimError;
use crate::store::sync_read::StoredEvent;

/// Settings of the admin console.
#[derive(Debug, Clone)]
pub struct AdminSettings {
    /// Public root URL of the service (`https://scim.example.com`): links, and whether
    /// cookies are `Secure`.
    pub public_url: String,
    /// Emails allowed to sign in whatever their roles (`SCIM_CONNECTOR_BOOTSTRAP_ADMINS`).
    pub bootstrap_admins: Vec<String>,
    /// Session lifetime, seconds.
    pub session_ttl_secs: i64,
    /// Days sync events are kept.
    pub event_retention_days: u32,
}

impl Default for AdminSettings {
    fn default() -> Self {
        AdminSettings {
            public_url: "http://127.0.0.1:8080".into(),
            bootstrap_admins: Vec::new(),
            session_ttl_secs: 8 * 3600,
            event_retention_days: DEFAULT_RETENTION_DAYS,
        }
    }
}

impl AdminSettings {
    /// Cookies carry `Secure` when the service is reached over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// URL query pairs.
pub type Query = web::Query<Vec<(String, String)>>;

/// A query parameter (last one wins), empty counting as absent.
pub fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// A JSON request body.
pub fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError(ScimError::invalid_syntax(
            "the request body is empty",
        )));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError(ScimError::invalid_syntax(format!(
            "the request body is not valid JSON: {e}"
        )))
    })
}

/// 200 with a JSON body.
pub fn ok(body: Value) -> HttpResponse {
    HttpResponse::Ok().json(body)
}

/// The admin JSON of a stored sync event; `client` is None for an admin's change, whose
/// `actorName` is the admin's subject (email, `sign-in link`) or admin token name.
pub fn event_json(e: &StoredEvent, client_names: &HashMap<String, String>) -> Value {
    json!({
        "id": e.id,
        "at": crate::domain::clock::from_micros(e.at).to_rfc3339(),
        "atMicros": e.at,
        "client": e.client_id.as_ref().map(|c| json!({"id": c, "name": client_names.get(c)})),
        "actor": if e.client_id.is_some() { "scim" } else { "admin" },
        "actorName": e.actor,
        "method": e.method,
        "path": e.path,
        "resourceType": e.resource_type,
        "resourceId": e.resource_id,
        "action": e.action,
        "outcome": e.outcome,
        "status": e.status,
        "scimType": e.scim_type,
        "detail": e.detail,
        "coercions": e.coercion_list(),
    })
}

/// The query of a resource's timeline: every event that touched it, newest first; the log's
/// filters (client, action, outcome, time) apply too.
pub fn timeline_query(
    kind: &str,
    id: &str,
    q: &[(String, String)],
) -> Result<crate::domain::admin::sync::EventQuery, ApiError> {
    let mut query = sync::event_query(q)?;
    query.resource_type = Some(kind.to_string());
    query.resource_id = Some(id.to_string());
    Ok(query)
}

/// A resource's timeline as JSON, with the tolerances applied (`coercions`).
pub async fn timeline(
    state: &AppState,
    admin: &AdminCtx,
    kind: &str,
    id: &str,
    q: &[(String, String)],
) -> Result<HttpResponse, ApiError> {
    let query = timeline_query(kind, id, q)?;
    let page = sync::event_page(state, admin, &query).await?;
    Ok(ok(json!({
        "resourceType": kind,
        "resourceId": id,
        "events": page.events.iter().map(|e| event_json(e, &page.names)).collect::<Vec<_>>(),
    })))
}

/// `GET /admin/api/session`: who is signed in, and the CSRF token to echo.
pub async fn session(admin: AdminCtx) -> HttpResponse {
    let (via, subject, csrf, expires) = match &admin.via {
        auth::Via::Session(s) => (
            "session",
            s.subject.clone(),
            Some(s.csrf_token.clone()),
            Some(crate::domain::clock::from_micros(s.expires_at).to_rfc3339()),
        ),
        auth::Via::Token(name) => ("token", name.clone(), None, None),
    };
    ok(
        json!({"tenantId": admin.tenant.to_string(), "via": via, "subject": subject, "csrfToken": csrf, "expiresAt": expires}),
    )
}

async fn api_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError(ScimError::not_found("no such admin endpoint")))
}

/// Register `/admin`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin/api")
            .wrap(ErrorHandlers::new().default_handler(scim_error_body))
            // Nothing of the admin API is cached: answers carry personal data, and `POST
            // /clients` the SCIM token shown once.
            .wrap(DefaultHeaders::new().add((actix_web::http::header::CACHE_CONTROL, "no-store")))
            .wrap_fn(|req, srv| {
                crate::domain::sync::with_admin_actor(actix_web::dev::Service::call(srv, req))
            })
            .route("/session", web::get().to(session))
            .service(
                web::resource("/users")
                    .route(web::get().to(users::list))
                    .route(web::post().to(users::create)),
            )
            .service(web::resource("/users/bulk").route(web::post().to(users::bulk)))
            .service(
                web::resource("/users/{id}")
                    .route(web::get().to(users::get))
                    .route(web::patch().to(users::edit))
                    .route(web::delete().to(users::delete)),
            )
            .service(
                web::resource("/users/{id}/timeline").route(web::get().to(users::user_timeline)),
            )
            .service(
                web::resource("/groups")
                    .route(web::get().to(directory::list_groups))
                    .route(web::post().to(directory::create_group)),
            )
            .service(
                web::resource("/groups/{id}")
                    .route(web::get().to(directory::get_group))
                    .route(web::delete().to(directory::delete_group)),
            )
            .service(
                web::resource("/groups/{id}/timeline")
                    .route(web::get().to(directory::group_timeline)),
            )
            .service(
                web::resource("/role-mappings")
                    .route(web::get().to(directory::list_role_mappings))
                    .route(web::put().to(directory::set_role_mapping)),
            )
            .service(
                web::resource("/role-mappings/{group}")
                    .route(web::delete().to(directory::delete_role_mapping)),
            )
            .service(
                web::resource("/skills")
                    .route(web::get().to(directory::list_skills))
                    .route(web::post().to(directory::add_skills)),
            )
            .service(
                web::resource("/skills/{name}").route(web::delete().to(directory::remove_skill)),
            )
            .service(
                web::resource("/clients")
                    .route(web::get().to(directory::list_clients))
                    .route(web::post().to(directory::issue_client)),
            )
            .service(
                web::resource("/clients/{id}").route(web::delete().to(directory::revoke_client)),
            )
            .service(web::resource("/sync/status").route(web::get().to(sync::status)))
            .service(web::resource("/events").route(web::get().to(sync::events)))
            .default_service(web::to(api_not_found)),
    )
    .service(web::resource("/admin/login").route(web::get().to(oidc::login)))
    .service(web::resource("/admin/login/link").route(web::get().to(oidc::link_login)))
    .service(web::resource("/admin/oidc/callback").route(web::get().to(oidc::callback)))
    .service(web::resource("/admin/logout").route(web::post().to(oidc::logout)))
    .configure(console::configure);
}
