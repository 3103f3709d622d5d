//! The server-rendered admin console (issue 8): HTML pages under `/admin`, rendered with maud,
//! and a small plain-JavaScript file that sends every change to the JSON API (`/admin/api`)
//! with the session's CSRF token. No CDN, no build step: both assets are embedded here.
//!
//! Pages authenticate like the API ([`AdminCtx`]), but a page never answers a JSON error: a
//! visitor without a session is sent to the OpenID Connect sign-in (or told about the
//! one-time link when no tenant uses OIDC), and failures render as HTML pages. The markup
//! (ids and classes) is a contract with the browser tests: `tests/admin_browser.rs`.

pub mod directory;
pub mod events;
pub mod sync;
pub mod users;

use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, dev::Payload, web};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};
use sha2::{Digest, Sha256};

use crate::http::AppState;
use crate::http::admin::auth::{AdminCtx, Via, authenticate};
use crate::http::admin::param;
use crate::http::error::ApiError;

/// The console's script.
const CONSOLE_JS: &str = include_str!("assets/console.js");
/// The console's style sheet.
const CONSOLE_CSS: &str = include_str!("assets/console.css");

/// A short digest of both assets, appended to their URLs so a new build is fetched at once
/// while browsers may cache an asset for a week.
static ASSET_VERSION: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::new()
        .chain_update(CONSOLE_JS)
        .chain_update(CONSOLE_CSS)
        .finalize();
    hex::encode(&digest[..6])
});

/// Pages load nothing but the console's own files: no inline script or style at all.
const CSP: &str = "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console's navigation: path and label.
const NAV: [(&str, &str); 7] = [
    ("/admin/users", "Users"),
    ("/admin/groups", "Groups"),
    ("/admin/sync", "Sync status"),
    ("/admin/events", "Events"),
    ("/admin/clients", "SCIM clients"),
    ("/admin/skills", "Skills"),
    ("/admin/roles", "Role mappings"),
];

/// A signed-in admin looking at a page.
#[derive(Debug, Clone)]
pub struct Console {
    /// The admin, as the JSON API knows it.
    pub admin: AdminCtx,
    /// The CSRF token the page's script echoes (empty for a bearer token, which needs none).
    pub csrf: String,
    /// Who is signed in.
    pub subject: String,
}

/// Why a page cannot be shown: rendered as HTML, never as a JSON body.
#[derive(Debug)]
pub enum PageError {
    /// No valid session: sign in (`oidc`: some tenant signs in with OpenID Connect).
    SignIn {
        /// Whether `/admin/login` leads anywhere.
        oidc: bool,
        /// The `tenant` parameter of the page, passed on to `/admin/login`.
        tenant: Option<String>,
    },
    /// An error of the shared data functions.
    Api(ApiError),
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::SignIn { .. } => write!(f, "sign-in required"),
            PageError::Api(e) => write!(f, "{e}"),
        }
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError::Api(e)
    }
}

impl From<crate::domain::error::DomainError> for PageError {
    fn from(e: crate::domain::error::DomainError) -> Self {
        PageError::Api(e.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { oidc: true, .. } => StatusCode::SEE_OTHER,
            PageError::SignIn { oidc: false, .. } => StatusCode::UNAUTHORIZED,
            PageError::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignIn { oidc: true, tenant } => {
                let to = match tenant {
                    Some(t) => format!("/admin/login?tenant={}", enc(t)),
                    None => "/admin/login".to_string(),
                };
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, to))
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .finish()
            }
            PageError::SignIn { oidc: false, .. } => bare_page(
                StatusCode::UNAUTHORIZED,
                "Sign in required",
                html! {
                    p #reason { "Sign in to the admin console to see this page." }
                    p {
                        "No tenant signs in with OpenID Connect yet. Open the one-time sign-in link "
                        code { "scim-connector serve" } " prints when it starts (it works only from the "
                        "machine the service runs on), or configure a provider with "
                        code { "scim-connector oidc set --tenant <slug> ..." } "."
                    }
                },
            ),
            PageError::Api(e) => {
                let status = e.status_code();
                let title = match status.as_u16() {
                    404 => "Not found",
                    403 => "Forbidden",
                    s if s >= 500 => "Something went wrong",
                    _ => "Request refused",
                };
                let detail = if status.is_server_error() {
                    "the service could not answer; see its log".to_string()
                } else {
                    e.0.detail.clone()
                };
                bare_page(
                    status,
                    title,
                    html! {
                        p #reason { (detail) }
                        p { a href="/admin/users" { "Back to the console" } }
                    },
                )
            }
        }
    }
}

/// Whether any tenant signs in with OpenID Connect (then `/admin/login` leads somewhere).
async fn oidc_configured(state: &AppState) -> bool {
    let Ok(tenants) = state.store.list_tenants().await else {
        return false;
    };
    for t in tenants {
        if matches!(state.store.oidc_settings(t.id).await, Ok(Some(_))) {
            return true;
        }
    }
    false
}

impl FromRequest for Console {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| {
                    PageError::Api(ApiError(crate::scim::error::ScimError::new(
                        500, None, "no state",
                    )))
                })?
                .clone();
            match authenticate(&state, &req).await {
                Ok(admin) => {
                    let (csrf, subject) = match &admin.via {
                        Via::Session(s) => (s.csrf_token.clone(), s.subject.clone()),
                        Via::Token(name) => (String::new(), format!("token {name}")),
                    };
                    Ok(Console {
                        admin,
                        csrf,
                        subject,
                    })
                }
                Err(e) if e.0.status == 401 => {
                    let q = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
                        .map(web::Query::into_inner)
                        .unwrap_or_default();
                    Err(PageError::SignIn {
                        oidc: oidc_configured(&state).await,
                        tenant: param(&q, "tenant").map(str::to_string),
                    })
                }
                Err(e) => Err(PageError::Api(e)),
            }
        })
    }
}

/// A URL query value, percent-encoded.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A URL path segment, percent-encoded.
pub fn seg(s: &str) -> String {
    enc(s).replace('+', "%20")
}

/// A URL with a query built from pairs, empty values left out.
pub fn url_with(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        ser.append_pair(k, v);
    }
    let q = ser.finish();
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{q}")
    }
}

/// An instant, readable, with its machine form.
pub fn when(t: DateTime<Utc>) -> Markup {
    html! { time datetime=(t.to_rfc3339()) { (t.format("%Y-%m-%d %H:%M:%S UTC")) } }
}

/// An optional instant, or a dash.
pub fn when_opt(t: Option<DateTime<Utc>>) -> Markup {
    match t {
        Some(t) => when(t),
        None => html! { span.none { "never" } },
    }
}

/// The headers of every console HTML page (and of the sign-in refusal pages): no caching, the
/// CSP, no sniffing, no framing.
pub(crate) fn headers(res: &mut actix_web::HttpResponseBuilder) {
    res.content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Referrer-Policy", "same-origin"));
}

fn head(title: &str, csrf: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="csrf-token" content=(csrf);
            title { (title) " · SCIM connector" }
            link rel="stylesheet" href=(format!("/admin/assets/console.css?v={}", *ASSET_VERSION));
            script src=(format!("/admin/assets/console.js?v={}", *ASSET_VERSION)) defer {}
        }
    }
}

/// A page outside the console's navigation (sign-in required, errors).
fn bare_page(status: StatusCode, title: &str, body: Markup) -> HttpResponse {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, ""))
            body.bare { main { h1 { (title) } (body) } }
        }
    };
    let mut res = HttpResponse::build(status);
    headers(&mut res);
    res.body(doc.into_string())
}

/// A console page: navigation, title, the flash area and `body`. `current` is the nav path.
pub fn page(c: &Console, current: &str, title: &str, body: Markup) -> HttpResponse {
    page_with_status(StatusCode::OK, c, current, title, None, body)
}

/// A console page with a status and an optional server-side notice in `#flash`.
pub fn page_with_status(
    status: StatusCode,
    c: &Console,
    current: &str,
    title: &str,
    notice: Option<&str>,
    body: Markup,
) -> HttpResponse {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, &c.csrf))
            body {
                header.top {
                    span.brand { "SCIM connector" }
                    nav #nav aria-label="Console" {
                        @for (path, label) in NAV {
                            a href=(path) aria-current=[(path == current).then_some("page")] { (label) }
                        }
                    }
                    form #sign-out method="post" action="/admin/logout" {
                        span.subject { (c.subject) }
                        button type="submit" { "Sign out" }
                    }
                }
                main {
                    h1 { (title) }
                    div #flash role="status" {
                        @if let Some(n) = notice { p.notice.error-notice { (n) } }
                    }
                    (body)
                }
            }
        }
    };
    let mut res = HttpResponse::build(status);
    headers(&mut res);
    res.body(doc.into_string())
}

/// `GET /admin`: the Users page.
async fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/users"))
        .finish()
}

fn asset(body: &'static str, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=604800"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}

/// `GET /admin/assets/console.js`.
async fn script() -> HttpResponse {
    asset(CONSOLE_JS, "text/javascript; charset=utf-8")
}

/// `GET /admin/assets/console.css`.
async fn style() -> HttpResponse {
    asset(CONSOLE_CSS, "text/css; charset=utf-8")
}

/// Any other `/admin/...` URL: an HTML 404 (shows nothing of any tenant).
async fn not_found() -> HttpResponse {
    bare_page(
        StatusCode::NOT_FOUND,
        "Not found",
        html! { p #reason { "There is no such page." } p { a href="/admin/users" { "Back to the console" } } },
    )
}

/// Register the pages and assets (after `/admin/api` and the sign-in routes).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(["/admin", "/admin/"])
            .route(web::get().to(home))
            .route(web::head().to(home)),
    )
    .route("/admin/assets/console.js", web::get().to(script))
    .route("/admin/assets/console.css", web::get().to(style))
    .route("/admin/users", web::get().to(users::list))
    .route("/admin/users/{id}", web::get().to(users::detail))
    .route("/admin/groups", web::get().to(directory::groups))
    .route("/admin/groups/{id}", web::get().to(directory::group))
    .route("/admin/sync", web::get().to(sync::status))
    .route("/admin/events", web::get().to(events::list))
    .route("/admin/clients", web::get().to(directory::clients))
    .route("/admin/skills", web::get().to(directory::skills))
    .route("/admin/roles", web::get().to(directory::roles))
    .route("/admin/{tail:.*}", web::get().to(not_found));
}
