//! Harness of the admin API tests: the real App on a test database with an admin token, a
//! SCIM token for IdP traffic, a clock the test moves, and requests from a loopback peer.
#![allow(
    dead_code,
    reason = "the API and sign-in test binaries use different parts"
)]

use std::rc::Rc;
use std::sync::{Arc, Mutex};

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::Method;
use actix_web::test;
use chrono::{DateTime, Utc};
use futures_util::future::LocalBoxFuture;
use serde_json::Value;

use scim_connector::app;
use scim_connector::domain::clock::Clock;
use scim_connector::domain::ids::TenantId;
use scim_connector::domain::tenant::TokenSigner;
use scim_connector::http::admin::AdminSettings;
use scim_connector::store::Store;

use crate::common::{Resp, TestDb};

/// A clock the test sets.
#[derive(Clone)]
pub struct TestClock(pub Arc<Mutex<DateTime<Utc>>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
}

impl TestClock {
    /// Now, in µs.
    pub fn micros(&self) -> i64 {
        self.now().timestamp_micros()
    }

    /// Move time forward.
    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().expect("clock") += by;
    }
}

type Call = Rc<dyn Fn(actix_http::Request) -> LocalBoxFuture<'static, ServiceResponse<BoxBody>>>;

/// How a request authenticates.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// Nothing.
    None,
    /// A bearer token (admin or SCIM).
    Bearer(&'a str),
    /// A session cookie, with the CSRF header when given.
    Cookie(&'a str, Option<&'a str>),
    /// A raw `Cookie` header (e.g. the OIDC sign-in cookie).
    RawCookie(&'a str),
}

/// The app with tenant `t1`.
pub struct AdminApp {
    /// Store.
    pub store: Store,
    /// Tenant `t1`.
    pub tenant: TenantId,
    /// Admin token of `t1`.
    pub admin: String,
    /// SCIM token of `t1` (client `okta`).
    pub scim: String,
    /// Signer of SCIM tokens.
    pub signer: TokenSigner,
    /// The app's clock.
    pub clock: TestClock,
    call: Call,
}

/// SCIM base URL rendered in locations.
pub const BASE: &str = "http://scim.test/scim/v2";

impl AdminApp {
    /// Build on a database with these console settings.
    pub async fn new(db: &TestDb, settings: AdminSettings) -> Self {
        let store = db.store().await;
        let signer = app::signer(&store, None).await.expect("signer");
        let clock = TestClock(Arc::new(Mutex::new(Utc::now())));
        let now = clock.now();
        let t = store
            .create_tenant("t1", "Tenant one", now.timestamp_micros())
            .await
            .expect("tenant");
        let (_, scim) = app::issue_token(&store, &signer, t.id, "okta", now)
            .await
            .expect("token");
        let admin = app::issue_admin_token(&store, t.id, "ops", now.timestamp_micros())
            .await
            .expect("admin token");
        let state = app::state_with_admin(
            store.clone(),
            signer.clone(),
            Arc::new(clock.clone()),
            BASE.into(),
            settings,
        )
        .expect("state");
        let svc = Rc::new(test::init_service(app::app(state)).await);
        let call: Call = Rc::new(move |req| {
            let svc = svc.clone();
            Box::pin(async move {
                match svc.call(req).await {
                    Ok(res) => res.map_into_boxed_body(),
                    Err(e) => panic!("service error: {e}"),
                }
            })
        });
        AdminApp {
            store,
            tenant: t.id,
            admin,
            scim,
            signer,
            clock,
            call,
        }
    }

    /// A second tenant with its own admin and SCIM tokens: (tenant, admin token, SCIM token).
    pub async fn other_tenant(&self, slug: &str) -> (TenantId, String, String) {
        let now = self.clock.now();
        let t = self
            .store
            .create_tenant(slug, slug, now.timestamp_micros())
            .await
            .expect("tenant");
        let (_, scim) = app::issue_token(&self.store, &self.signer, t.id, "entra", now)
            .await
            .expect("token");
        let admin = app::issue_admin_token(&self.store, t.id, "ops", now.timestamp_micros())
            .await
            .expect("admin");
        (t.id, admin, scim)
    }

    /// A request with a raw body, from 127.0.0.1 (or `peer`).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
        auth: Auth<'_>,
        peer: Option<&str>,
    ) -> Resp {
        let mut req = test::TestRequest::default()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(path)
            .peer_addr(peer.unwrap_or("127.0.0.1:40000").parse().expect("peer"));
        match auth {
            Auth::None => {}
            Auth::Bearer(t) => req = req.insert_header(("Authorization", format!("Bearer {t}"))),
            Auth::Cookie(value, csrf) => {
                req = req.insert_header(("Cookie", format!("scim_admin_session={value}")));
                if let Some(c) = csrf {
                    req = req.insert_header(("X-CSRF-Token", c));
                }
            }
            Auth::RawCookie(raw) => req = req.insert_header(("Cookie", raw.to_string())),
        }
        if let Some((content_type, bytes)) = body {
            req = req
                .insert_header(("Content-Type", content_type))
                .set_payload(bytes);
        }
        let res = (self.call)(req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = actix_web::body::to_bytes(res.into_body())
            .await
            .unwrap_or_default();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    /// A JSON request with the given authentication.
    pub async fn call_as(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        auth: Auth<'_>,
    ) -> Resp {
        let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
        self.send(method, path, body, auth, None).await
    }

    /// A JSON request with the admin token.
    pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        let token = self.admin.clone();
        self.call_as(method, path, body, Auth::Bearer(&token)).await
    }

    /// A SCIM request of the IdP (client `okta`).
    pub async fn scim(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        let token = self.scim.clone();
        let body = body.map(|b| ("application/scim+json", b.to_string().into_bytes()));
        self.send(
            method,
            &format!("/scim/v2/{path}"),
            body,
            Auth::Bearer(&token),
            None,
        )
        .await
    }

    /// Sign in to `t1` with a one-time link: (session cookie value, CSRF token).
    pub async fn sign_in(&self) -> (String, String) {
        self.sign_in_to(self.tenant).await
    }

    /// Sign in to `tenant` with a one-time link: (session cookie value, CSRF token).
    pub async fn sign_in_to(&self, tenant: TenantId) -> (String, String) {
        let secret =
            app::issue_login_link(&self.store, tenant, self.clock.now().timestamp_micros())
                .await
                .expect("link");
        let r = self
            .send(
                "GET",
                &format!("/admin/login/link?token={secret}"),
                None,
                Auth::None,
                None,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let cookie = session_from(&r).expect("session cookie");
        let s = self
            .call_as(
                "GET",
                "/admin/api/session",
                None,
                Auth::Cookie(&cookie, None),
            )
            .await;
        assert_eq!(s.status, 200, "{}", s.body);
        (
            cookie,
            s.body["csrfToken"].as_str().expect("csrf").to_string(),
        )
    }
}

/// A session as OpenID Connect sign-in opens it for `email`: the cookie value.
pub async fn oidc_session(app: &AdminApp, email: &str) -> String {
    let value = format!("test-session-{email}");
    let now = app.clock.micros();
    let session = scim_connector::domain::admin::auth::AdminSession {
        tenant: app.tenant,
        subject: email.to_string(),
        csrf_token: "csrf".into(),
        expires_at: now + 3_600_000_000,
    };
    app.store
        .insert_admin_session(
            &scim_connector::domain::tenant::token_hash(&value),
            &session,
            now,
        )
        .await
        .unwrap();
    value
}

/// The session cookie a response sets.
pub fn session_from(r: &Resp) -> Option<String> {
    cookie_from(r, "scim_admin_session")
}

/// The value a response sets for cookie `name` (None when absent or cleared).
pub fn cookie_from(r: &Resp, name: &str) -> Option<String> {
    set_cookie(r, name)
        .and_then(|set| {
            set.strip_prefix(&format!("{name}="))?
                .split(';')
                .next()
                .map(str::to_string)
        })
        .filter(|v| !v.is_empty())
}

/// The whole `Set-Cookie` line a response sends for cookie `name`.
pub fn set_cookie(r: &Resp, name: &str) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// A URL query value, percent-encoded.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Assert an RFC 7644 3.12 error body.
#[track_caller]
pub fn assert_error(r: &Resp, status: u16, scim_type: Option<&str>) {
    assert_eq!(r.status.as_u16(), status, "{}", r.body);
    assert_eq!(
        r.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "{}",
        r.body
    );
    assert_eq!(r.body["status"], status.to_string(), "{}", r.body);
    assert_eq!(r.body["scimType"].as_str(), scim_type, "{}", r.body);
}

/// A SCIM user as Okta sends it.
pub fn scim_user(name: &str) -> Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "name": {"givenName": "Given", "familyName": "Family"},
        "emails": [{"value": format!("{name}@example.com"), "type": "work", "primary": true}],
        "active": true
    })
}

/// Run a test on SQLite and, when configured, PostgreSQL, with default console settings.
#[macro_export]
macro_rules! admin_on_both {
    ($name:ident, $body:expr) => {
        admin_on_both!(
            $name,
            scim_connector::http::admin::AdminSettings::default(),
            $body
        );
    };
    ($name:ident, $settings:expr, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::common::TestDb::sqlite();
                let app = $crate::support::AdminApp::new(&db, $settings).await;
                ($body)(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::common::TestDb::postgres().await else {
                    return;
                };
                let app = $crate::support::AdminApp::new(&db, $settings).await;
                ($body)(app).await;
            }
        }
    };
}
