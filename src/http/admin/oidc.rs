//! Console sign-in: OpenID Connect authorization code flow with PKCE, state and nonce (the
//! ID token checked against the issuer's discovery document and JWKS), the one-time link
//! `serve` prints when a tenant has no OIDC settings, and logout. Sign-ins in flight live in
//! the database, so the callback may land on any replica.
//!
//! The `state` is bound to the browser that started the sign-in: `/admin/login` sets a
//! short-lived HttpOnly cookie ([`LOGIN_COOKIE`]) carrying a random value whose hash is the
//! state, and the callback requires that cookie (so a code and state carried to another
//! browser, e.g. a login-CSRF link, are refused). The cookie is cleared by the callback.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

use crate::domain::admin::auth::{LINK_SUBJECT, OidcSettings, PendingLogin, random_secret};
use crate::domain::error::DomainError;
use crate::domain::ids::TenantId;
use crate::domain::tenant::{digest_eq, token_hash};
use crate::http::AppState;
use crate::http::admin::auth::{
    AdminCtx, SESSION_COOKIE, Via, cookie, open_session, session_cookie,
};
use crate::http::admin::{Query, param};

/// How long a sign-in may take between the redirect to the issuer and the callback.
const LOGIN_TTL_US: i64 = LOGIN_TTL_SECS * 1_000_000;
const LOGIN_TTL_SECS: i64 = 10 * 60;

/// Cookie binding a sign-in in flight to the browser that started it: a random value whose
/// SHA-256 is the OIDC `state`.
pub const LOGIN_COOKIE: &str = "scim_admin_login";

/// The `Set-Cookie` value of the sign-in cookie (`Max-Age=0` clears it).
fn login_cookie(value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{LOGIN_COOKIE}={value}; Path=/admin; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// A sign-in failure, shown to the person in the browser (never the secret or the token).
#[derive(Debug)]
struct Refusal {
    status: u16,
    message: String,
}

impl Refusal {
    fn new(status: u16, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
        }
    }

    fn page(&self) -> HttpResponse {
        let body = maud::html! {
            (maud::DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { "Sign-in refused" } }
                body { h1 { "Sign-in refused" } p #reason { (self.message) } p { a href="/admin/login" { "Try again" } } }
            }
        };
        let mut res = HttpResponse::build(
            actix_web::http::StatusCode::from_u16(self.status)
                .unwrap_or(actix_web::http::StatusCode::FORBIDDEN),
        );
        // The console pages' headers: no-store, CSP, nosniff, no framing.
        crate::http::admin::console::headers(&mut res);
        res.body(body.into_string())
    }
}

fn internal(what: &str, e: impl std::fmt::Display) -> Refusal {
    tracing::warn!(error = %e, "{what}");
    Refusal::new(502, format!("{what}; see the service log"))
}

fn http_client() -> Result<openidconnect::reqwest::Client, Refusal> {
    // No redirects: an issuer answering discovery or the token request with a redirect is
    // refused rather than followed (SSRF).
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .map_err(|e| internal("could not build the HTTP client", e))
}

async fn oidc_client(
    settings: &OidcSettings,
    http: &openidconnect::reqwest::Client,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    Refusal,
> {
    let issuer = IssuerUrl::new(settings.issuer_url.clone())
        .map_err(|e| internal("the issuer URL is invalid", e))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| {
            internal(
                "the issuer's discovery document or JWKS could not be read",
                e,
            )
        })?;
    let redirect = RedirectUrl::new(settings.redirect_url.clone())
        .map_err(|e| internal("the redirect URL is invalid", e))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(settings.client_id.clone()),
        Some(ClientSecret::new(settings.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

async fn tenant_for_login(
    state: &AppState,
    q: &[(String, String)],
) -> Result<(TenantId, OidcSettings), Refusal> {
    let storage = |e: crate::store::error::StoreError| internal("storage failure", e);
    let tenants = state.store.list_tenants().await.map_err(storage)?;
    let chosen: Vec<_> = match param(q, "tenant") {
        Some(slug) => tenants.into_iter().filter(|t| t.slug == slug).collect(),
        None => tenants,
    };
    let mut configured = Vec::new();
    for t in chosen {
        if let Some(s) = state.store.oidc_settings(t.id).await.map_err(storage)? {
            configured.push((t.id, s));
        }
    }
    match configured.len() {
        1 => Ok(configured.remove(0)),
        0 => Err(Refusal::new(
            404,
            "OpenID Connect is not configured for this tenant (scim-connector oidc set --tenant ...)",
        )),
        _ => Err(Refusal::new(
            400,
            "several tenants use OpenID Connect: add ?tenant=<slug> to the sign-in URL",
        )),
    }
}

/// `GET /admin/login[?tenant=slug]`: redirect to the tenant's issuer.
pub async fn login(state: web::Data<AppState>, q: Query) -> HttpResponse {
    match start_login(&state, &q).await {
        Ok((url, browser)) => HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                header::SET_COOKIE,
                login_cookie(&browser, LOGIN_TTL_SECS, state.admin.secure_cookies()),
            ))
            .finish(),
        Err(r) => r.page(),
    }
}

/// The issuer's authorization URL, and the value of the browser's sign-in cookie.
async fn start_login(
    state: &AppState,
    q: &[(String, String)],
) -> Result<(String, String), Refusal> {
    let (tenant, settings) = tenant_for_login(state, q).await?;
    let http = http_client()?;
    let client = oidc_client(&settings, &http).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let browser = random_secret();
    let bound_state = token_hash(&browser);
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(bound_state),
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let now = state.prov.clock.now().timestamp_micros();
    let pending = PendingLogin {
        tenant,
        pkce_verifier: verifier.secret().clone(),
        nonce: nonce.secret().clone(),
    };
    state
        .store
        .insert_pending_login(csrf.secret(), &pending, now, now + LOGIN_TTL_US)
        .await
        .map_err(|e| internal("storage failure", e))?;
    Ok((url.to_string(), browser))
}

/// `GET /admin/oidc/callback?code=&state=`: check state, exchange the code with the PKCE
/// verifier, validate the ID token (signature via JWKS, issuer, audience, expiry, nonce),
/// then decide whether the verified email may administer the tenant.
/// The browser must carry the sign-in cookie set when this sign-in started.
pub async fn callback(state: web::Data<AppState>, req: HttpRequest, q: Query) -> HttpResponse {
    let browser = cookie(&req, LOGIN_COOKIE);
    let mut res = match finish_login(&state, &q, browser.as_deref()).await {
        Ok((value, ttl)) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/admin"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                header::SET_COOKIE,
                session_cookie(&value, ttl, state.admin.secure_cookies()),
            ))
            .finish(),
        Err(r) => r.page(),
    };
    // The sign-in cookie is single-use: cleared whatever the outcome.
    if let Ok(v) = header::HeaderValue::from_str(&login_cookie("", 0, state.admin.secure_cookies()))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

async fn finish_login(
    state: &AppState,
    q: &[(String, String)],
    browser: Option<&str>,
) -> Result<(String, i64), Refusal> {
    if let Some(err) = param(q, "error") {
        return Err(Refusal::new(
            403,
            format!("the identity provider refused the sign-in: {err}"),
        ));
    }
    let (Some(code), Some(csrf)) = (param(q, "code"), param(q, "state")) else {
        return Err(Refusal::new(400, "the callback needs code and state"));
    };
    // Checked before the state is taken, so a stray callback in another browser does not
    // spend the genuine browser's sign-in.
    let bound = browser
        .filter(|b| !b.is_empty())
        .is_some_and(|b| digest_eq(&token_hash(b), csrf));
    if !bound {
        return Err(Refusal::new(
            403,
            "this sign-in was not started in this browser (or its sign-in cookie expired); start again",
        ));
    }
    let now = state.prov.clock.now().timestamp_micros();
    let pending = state
        .store
        .take_pending_login(csrf, now)
        .await
        .map_err(|e| internal("storage failure", e))?
        .ok_or_else(|| Refusal::new(400, "unknown or expired sign-in state; start again"))?;
    let settings = state
        .store
        .oidc_settings(pending.tenant)
        .await
        .map_err(|e| internal("storage failure", e))?
        .ok_or_else(|| {
            Refusal::new(
                404,
                "OpenID Connect is no longer configured for this tenant",
            )
        })?;
    let http = http_client()?;
    let client = oidc_client(&settings, &http).await?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| internal("the issuer has no token endpoint", e))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "code exchange refused");
            Refusal::new(
                403,
                "the authorization code was refused by the identity provider",
            )
        })?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| Refusal::new(403, "the identity provider returned no ID token"))?;
    let claims = id_token
        .claims(
            &client.id_token_verifier(),
            &Nonce::new(pending.nonce.clone()),
        )
        .map_err(|e| {
            tracing::warn!(error = %e, "ID token refused");
            Refusal::new(403, format!("the ID token is not valid: {e}"))
        })?;
    let email = claims
        .email()
        .map(|e| e.as_str().to_string())
        .ok_or_else(|| Refusal::new(403, "the ID token carries no email"))?;
    if claims.email_verified() != Some(true) {
        return Err(Refusal::new(
            403,
            format!("the email {email} is not verified by the identity provider"),
        ));
    }
    let grant = state
        .prov
        .admin_grant(pending.tenant, &email, &state.admin.bootstrap_admins)
        .await
        .map_err(|e| internal("storage failure", e))?
        .ok_or_else(|| {
            Refusal::new(
                403,
                format!("{email} is not an admin of this tenant: an active operator with the DialAiAdmin role is required"),
            )
        })?;
    tracing::info!(%email, tenant = %pending.tenant, ?grant, "admin signed in");
    let (value, _) = open_session(state, pending.tenant, &email)
        .await
        .map_err(|e| internal("could not open a session", e))?;
    Ok((value, state.admin.session_ttl_secs))
}

/// `GET /admin/login/link?token=`: the one-time link `serve` prints; loopback clients only.
pub async fn link_login(state: web::Data<AppState>, req: HttpRequest, q: Query) -> HttpResponse {
    let loopback = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
    if !loopback {
        return Refusal::new(
            403,
            "sign-in links work only from the machine the service runs on",
        )
        .page();
    }
    let now = state.prov.clock.now().timestamp_micros();
    let Some(token) = param(&q, "token") else {
        return Refusal::new(400, "the link has no token").page();
    };
    let tenant = match state.store.take_login_link(&token_hash(token), now).await {
        Ok(Some(t)) => t,
        Ok(None) => {
            return Refusal::new(403, "this sign-in link was already used or has expired").page();
        }
        Err(e) => return internal("storage failure", e).page(),
    };
    match open_session(&state, tenant, LINK_SUBJECT).await {
        Ok((value, _)) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/admin"))
            .insert_header((
                header::SET_COOKIE,
                session_cookie(
                    &value,
                    state.admin.session_ttl_secs,
                    state.admin.secure_cookies(),
                ),
            ))
            .finish(),
        Err(e) => internal("could not open a session", e.0).page(),
    }
}

/// `POST /admin/logout` (CSRF-checked like every state-changing request): end the session.
pub async fn logout(state: web::Data<AppState>, admin: AdminCtx, req: HttpRequest) -> HttpResponse {
    if let (Via::Session(_), Some(value)) = (&admin.via, cookie(&req, SESSION_COOKIE))
        && let Err(e) = state.store.delete_admin_session(&token_hash(&value)).await
    {
        tracing::warn!(error = %DomainError::from(e), "could not end a session");
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/login"))
        .insert_header((
            header::SET_COOKIE,
            session_cookie("", 0, state.admin.secure_cookies()),
        ))
        .finish()
}
