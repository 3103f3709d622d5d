//! Test harness: a real app on a real database, one database per test.
//!
//! SQLite: a fresh file in the temp dir. PostgreSQL (when `TEST_DATABASE_URL` is set): a fresh
//! `scim_test_<uuid>` database created on that server and dropped afterwards.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode, header::HeaderMap};
use actix_web::test;
use futures_util::future::LocalBoxFuture;
use serde_json::Value;

use scim_connector::app;
use scim_connector::domain::clock::SystemClock;
use scim_connector::domain::ids::TenantId;
use scim_connector::domain::tenant::TokenSigner;
use scim_connector::store::Store;

/// A database that exists for one test.
pub struct TestDb {
    /// `DATABASE_URL` of this database.
    pub url: String,
    /// "sqlite" or "postgres".
    pub backend: &'static str,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    /// A fresh SQLite file.
    pub fn sqlite() -> Self {
        let path =
            std::env::temp_dir().join(format!("scim_test_{}.db", uuid::Uuid::new_v4().simple()));
        TestDb {
            url: format!("sqlite://{}", path.display()),
            backend: "sqlite",
            pg_admin: None,
        }
    }

    /// A fresh PostgreSQL database, or None (said on stderr) when `TEST_DATABASE_URL` is
    /// unset. Under CI (`CI` set) a missing URL is a failure, not a skip.
    pub async fn postgres() -> Option<Self> {
        let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
            assert!(
                std::env::var("CI").is_err(),
                "CI must set TEST_DATABASE_URL"
            );
            eprintln!("SKIP postgres variant: TEST_DATABASE_URL is not set");
            return None;
        };
        let name = format!("scim_test_{}", uuid::Uuid::new_v4().simple());
        run_pg_admin(&admin, &format!("CREATE DATABASE {name}")).await;
        let mut url = url::Url::parse(&admin).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        Some(TestDb {
            url: url.to_string(),
            backend: "postgres",
            pg_admin: Some((admin, name)),
        })
    }

    /// Open a store on this database (migrated).
    pub async fn store(&self) -> Store {
        app::open_store(Some(&self.url), 8)
            .await
            .expect("open store")
    }
}

async fn run_pg_admin(admin: &str, sql: &str) {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let mut conn = AsyncPgConnection::establish(admin)
        .await
        .expect("connect to TEST_DATABASE_URL");
    conn.batch_execute(sql).await.expect("admin statement");
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.pg_admin {
            Some((admin, name)) => {
                let (admin, sql) = (
                    admin.clone(),
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                );
                // Drop runs inside the test's runtime: do the async work on a thread of its own.
                let _joined = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(rt) = rt {
                        rt.block_on(run_pg_admin(&admin, &sql));
                    }
                })
                .join();
            }
            None => {
                let path = self.url.trim_start_matches("sqlite://").to_string();
                for suffix in ["", "-wal", "-shm"] {
                    let _gone = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
        }
    }
}

type Call = Rc<dyn Fn(actix_http::Request) -> LocalBoxFuture<'static, ServiceResponse<BoxBody>>>;

/// The real App on a test database, with one tenant and a token.
pub struct TestApp {
    /// Store (for direct checks).
    pub store: Store,
    /// Bearer token of tenant `t1`.
    pub token: String,
    /// Tenant `t1`.
    pub tenant: TenantId,
    /// Signer used for tokens.
    pub signer: Arc<TokenSigner>,
    /// Backend name.
    pub backend: &'static str,
    call: Call,
}

/// A response: status, headers, JSON body (Null when empty).
pub struct Resp {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Value,
}

impl Resp {
    /// The header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// SCIM base URL the test app renders in locations.
pub const BASE: &str = "http://scim.test/scim/v2";

impl TestApp {
    /// Build on a database: migrate, create tenant `t1` and a token.
    pub async fn new(db: &TestDb) -> Self {
        let store = db.store().await;
        let signer = app::signer(&store, None).await.expect("signer");
        let now = chrono::Utc::now();
        let tenant = store
            .create_tenant("t1", "Tenant one", now.timestamp_micros())
            .await
            .expect("tenant");
        let (_, token) = app::issue_token(&store, &signer, tenant.id, "okta", now)
            .await
            .expect("token");
        let state = app::state(
            store.clone(),
            signer.clone(),
            Arc::new(SystemClock),
            BASE.into(),
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
        TestApp {
            store,
            token,
            tenant: tenant.id,
            signer: Arc::new(signer),
            backend: db.backend,
            call,
        }
    }

    /// Issue a token for another tenant (created here).
    pub async fn other_tenant_token(&self, slug: &str) -> String {
        let now = chrono::Utc::now();
        let t = self
            .store
            .create_tenant(slug, slug, now.timestamp_micros())
            .await
            .expect("tenant");
        app::issue_token(&self.store, &self.signer, t.id, "other", now)
            .await
            .expect("token")
            .1
    }

    /// A request with this app's token.
    pub async fn req(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        self.req_with(method, path, body, &self.token.clone(), &[])
            .await
    }

    /// A request with a given token and extra headers.
    pub async fn req_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: &str,
        headers: &[(&str, &str)],
    ) -> Resp {
        let raw = body.map(|b| b.to_string().into_bytes());
        self.raw(method, path, raw, token, headers).await
    }

    /// A request with a raw body.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        token: &str,
        headers: &[(&str, &str)],
    ) -> Resp {
        let uri = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/scim/v2/{path}")
        };
        let mut req = test::TestRequest::default()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(&uri)
            .insert_header(("Content-Type", "application/scim+json"));
        if !token.is_empty() {
            req = req.insert_header(("Authorization", format!("Bearer {token}")));
        }
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        if let Some(b) = body {
            req = req.set_payload(b);
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

    /// POST a user and return its id (asserts 201).
    pub async fn create_user(&self, body: Value) -> String {
        let r = self.req("POST", "Users", Some(body)).await;
        assert_eq!(r.status, 201, "create user: {}", r.body);
        r.body["id"].as_str().expect("id").to_string()
    }

    /// Run a statement on the app's database (outside the service), for what a test sets
    /// up or inspects there; the rows it changed.
    #[allow(dead_code)] // Not every test binary uses it.
    pub async fn sql(&self, sql: &str) -> usize {
        let run: Result<usize, scim_connector::store::error::StoreError> = async {
            use diesel_async::RunQueryDsl;
            Ok(scim_connector::with_conn!(self.store, |c, _d| {
                diesel::sql_query(sql).execute(c).await?
            }))
        }
        .await;
        run.expect(sql)
    }

    /// The number a query of the app's database answers in its column `n` (first row).
    #[allow(dead_code)] // Not every test binary uses it.
    pub async fn sql_n(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let run: Result<Vec<N>, scim_connector::store::error::StoreError> = async {
            use diesel_async::RunQueryDsl;
            Ok(scim_connector::with_conn!(self.store, |c, _d| {
                diesel::sql_query(sql).load(c).await?
            }))
        }
        .await;
        run.expect(sql).first().expect("a row").n
    }
}

/// A minimal valid user.
pub fn user(name: &str) -> Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "name": {"givenName": "Given", "familyName": "Family"},
        "emails": [{"value": format!("{name}@example.com"), "type": "work", "primary": true}],
        "active": true
    })
}

/// Run an async test body against SQLite and, when configured, PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::common::TestDb::sqlite();
                let app = $crate::common::TestApp::new(&db).await;
                ($body)(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::common::TestDb::postgres().await else {
                    return;
                };
                let app = $crate::common::TestApp::new(&db).await;
                ($body)(app).await;
            }
        }
    };
}
