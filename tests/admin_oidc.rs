//! Admin console sign-in through a real OpenID Connect provider (npm `oidc-provider`, started
//! here on 127.0.0.1 from `tests/oidc-provider`): authorization code + PKCE, state and nonce,
//! the ID token checked against discovery and JWKS. An admin gets a session; a non-admin, an
//! unverified email, a forged state and a forged nonce are refused. On SQLite and PostgreSQL.

mod common;

#[path = "admin_api/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::json;

use scim_connector::domain::admin::auth::OidcSettings;
use scim_connector::http::admin::AdminSettings;

use support::{AdminApp, Auth, cookie_from, session_from, set_cookie};

const REDIRECT: &str = "http://scim.test/admin/oidc/callback";

/// The provider process, killed when dropped.
struct Idp {
    child: Child,
    issuer: String,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _killed = self.child.kill();
        let _reaped = self.child.wait();
    }
}

/// Start the provider, or None (said on stderr) when its npm package is not installed, as on
/// a machine with only the Rust toolchain. Under CI (`CI` set) that is a failure, not a skip.
fn start_idp() -> Option<Idp> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider");
    if !dir.join("node_modules/oidc-provider").is_dir() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run `npm ci` in tests/oidc-provider (.ci/run does)"
        );
        eprintln!("SKIP OpenID Connect end-to-end test: run `npm ci` in tests/oidc-provider");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = Command::new("node")
        .arg("server.mjs")
        .current_dir(&dir)
        .env("PORT", port.to_string())
        .env("REDIRECT_URI", REDIRECT)
        .stdout(Stdio::piped())
        .stderr(
            std::fs::File::create(std::env::temp_dir().join(format!("oidc-provider-{port}.log")))
                .map(Stdio::from)
                .unwrap_or(Stdio::null()),
        )
        .spawn()
        .expect("node runs");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    let mut reader = BufReader::new(stdout);
    while !line.starts_with("ready") {
        line.clear();
        let n = reader.read_line(&mut line).expect("provider output");
        assert!(n > 0, "the OIDC provider exited before it was ready");
    }
    // Keep draining its output: the provider logs notices to stdout later on.
    std::thread::spawn(move || for _ in reader.lines() {});
    Some(Idp {
        child,
        issuer: format!("http://127.0.0.1:{port}"),
    })
}

/// A browser's cookie jar for the provider (one origin: every cookie goes back).
#[derive(Default)]
struct Jar(BTreeMap<String, String>);

impl Jar {
    fn take(&mut self, res: &reqwest::Response) {
        for v in res.headers().get_all("set-cookie") {
            if let Some((name, rest)) = v.to_str().unwrap_or_default().split_once('=') {
                let value = rest.split(';').next().unwrap_or_default();
                self.0.insert(name.to_string(), value.to_string());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn location(res: &reqwest::Response, base: &str) -> String {
    let loc = res
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no redirect from the provider ({})", res.status()))
        .to_str()
        .unwrap()
        .to_string();
    if loc.starts_with('/') {
        format!("{base}{loc}")
    } else {
        loc
    }
}

/// Start a sign-in at the app; returns the provider's authorization URL and the browser's
/// sign-in cookie (`name=value`).
async fn start(app: &AdminApp) -> (String, String) {
    let r = app
        .send("GET", "/admin/login?tenant=t1", None, Auth::None, None)
        .await;
    assert_eq!(r.status, 302, "{}", r.body);
    let set = set_cookie(&r, "scim_admin_login").expect("sign-in cookie");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/admin", "Max-Age=600"] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Secure"), "plain http: {set}");
    let value = cookie_from(&r, "scim_admin_login").expect("sign-in cookie value");
    (
        r.header("location").unwrap(),
        format!("scim_admin_login={value}"),
    )
}

/// The callback in the browser holding `cookie`.
async fn back_in(app: &AdminApp, back: &str, cookie: &str) -> common::Resp {
    let r = app
        .send("GET", back, None, Auth::RawCookie(cookie), None)
        .await;
    // The sign-in cookie is spent whatever the outcome.
    let clear = set_cookie(&r, "scim_admin_login").expect("sign-in cookie cleared");
    assert!(clear.contains("Max-Age=0"), "{clear}");
    r
}

/// Sign in at the provider as `login`; returns the callback path and query the provider
/// redirects the browser to.
async fn at_provider(idp: &Idp, auth_url: &str, login: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut jar = Jar::default();
    let res = http.get(auth_url).send().await.unwrap();
    jar.take(&res);
    let interaction = location(&res, &idp.issuer);
    let page = http
        .get(&interaction)
        .header("cookie", jar.header())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let res = http
        .post(format!("{interaction}/login"))
        .header("cookie", jar.header())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "login={}",
            url::form_urlencoded::byte_serialize(login.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .unwrap();
    jar.take(&res);
    let mut next = location(&res, &idp.issuer);
    // Resume the authorization request until the provider sends the browser back to us.
    for _ in 0..5 {
        if next.starts_with(REDIRECT) {
            return next.trim_start_matches("http://scim.test").to_string();
        }
        let res = http
            .get(&next)
            .header("cookie", jar.header())
            .send()
            .await
            .unwrap();
        jar.take(&res);
        next = location(&res, &idp.issuer);
    }
    panic!("the provider never redirected back: {next}");
}

async fn sign_in_as(app: &AdminApp, idp: &Idp, login: &str) -> common::Resp {
    let (auth_url, browser) = start(app).await;
    let back = at_provider(idp, &auth_url, login).await;
    back_in(app, &back, &browser).await
}

async fn scenario(app: AdminApp) {
    let Some(idp) = start_idp() else {
        return;
    };
    let settings = OidcSettings {
        issuer_url: idp.issuer.clone(),
        client_id: "scim-admin".into(),
        client_secret: "test-client-secret".into(),
        redirect_url: REDIRECT.into(),
    };
    app.store
        .set_oidc_settings(app.tenant, &settings, app.clock.micros())
        .await
        .unwrap();
    for (email, role) in [
        ("admin@example.com", "DialAiAdmin"),
        ("plain@example.com", "Maintainer"),
    ] {
        let r = app
            .api(
                "POST",
                "/admin/api/users",
                Some(json!({"email": email, "roles": [role]})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }

    // The authorization request carries PKCE (S256), state and nonce.
    let (auth_url, _) = start(&app).await;
    let parsed = url::Url::parse(&auth_url).unwrap();
    let q: BTreeMap<String, String> = parsed.query_pairs().into_owned().collect();
    assert!(
        auth_url.starts_with(&format!("{}/auth", idp.issuer)),
        "{auth_url}"
    );
    assert_eq!(q["code_challenge_method"], "S256");
    for k in ["code_challenge", "state", "nonce"] {
        assert!(q.get(k).is_some_and(|v| v.len() >= 16), "{k} in {auth_url}");
    }
    assert!(q["scope"].contains("openid") && q["scope"].contains("email"));

    // An active DialAiAdmin operator signs in.
    let r = sign_in_as(&app, &idp, "Admin@Example.com").await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location").as_deref(), Some("/admin"));
    let set = r.header("set-cookie").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let cookie = session_from(&r).unwrap();
    let s = app
        .call_as(
            "GET",
            "/admin/api/session",
            None,
            Auth::Cookie(&cookie, None),
        )
        .await;
    assert_eq!(s.status, 200);
    assert_eq!(s.body["subject"], "Admin@Example.com");
    assert_eq!(s.body["tenantId"], app.tenant.to_string());
    let csrf = s.body["csrfToken"].as_str().unwrap().to_string();
    let r = app
        .call_as(
            "POST",
            "/admin/api/skills",
            Some(json!({"name": "billing"})),
            Auth::Cookie(&cookie, Some(&csrf)),
        )
        .await;
    assert_eq!(r.status, 200);

    // A bootstrap admin from configuration, with no account at all.
    let r = sign_in_as(&app, &idp, "root@example.com").await;
    assert_eq!(r.status, 303, "{}", r.body);

    // Refused: an operator without DialAiAdmin, an unknown person, an unverified email.
    for who in [
        "plain@example.com",
        "stranger@example.com",
        "unverified-admin@example.com",
    ] {
        let r = sign_in_as(&app, &idp, who).await;
        assert_eq!(r.status, 403, "{who}: {}", r.body);
        assert!(session_from(&r).is_none(), "{who}");
    }
    // A deactivated admin is refused too.
    let list = app
        .api("GET", "/admin/api/users?email=admin%40example.com", None)
        .await;
    let id = list.body["users"][0]["id"].as_str().unwrap().to_string();
    app.api(
        "PATCH",
        &format!("/admin/api/users/{id}"),
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(
        sign_in_as(&app, &idp, "admin@example.com").await.status,
        403
    );
    app.api(
        "PATCH",
        &format!("/admin/api/users/{id}"),
        Some(json!({"active": true})),
    )
    .await;

    // Forged state: a genuine code presented with a state the app never issued is refused;
    // the genuine state then works once, and a replay of it is refused.
    let (auth_url, browser) = start(&app).await;
    let back = at_provider(&idp, &auth_url, "admin@example.com").await;
    let forged = regex_free_replace(&back, "state=", "state=forged");
    let r = back_in(&app, &forged, &browser).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(session_from(&r).is_none());
    let r = back_in(&app, &back, &browser).await;
    assert_eq!(r.status, 303, "the genuine callback still works");
    assert!(session_from(&r).is_some());
    let r = back_in(&app, &back, &browser).await;
    assert_eq!(r.status, 400, "a state is used once");

    // The state is bound to the browser that started the sign-in: a valid code and state
    // carried to another browser (no sign-in cookie, or that browser's own) are refused,
    // and do not spend the sign-in of the browser that started it.
    let (auth_url, browser) = start(&app).await;
    let (_, other_browser) = start(&app).await;
    let back = at_provider(&idp, &auth_url, "admin@example.com").await;
    let r = app.send("GET", &back, None, Auth::None, None).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        r.body
            .as_str()
            .unwrap_or_default()
            .contains("not started in this browser"),
        "{}",
        r.body
    );
    assert!(session_from(&r).is_none());
    let r = back_in(&app, &back, &other_browser).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(session_from(&r).is_none());
    let r = back_in(&app, &back, "scim_admin_login=").await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = back_in(&app, &back, &browser).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(session_from(&r).is_some());

    // Forged nonce: the ID token's nonce no longer matches the one stored for the state.
    let (auth_url, browser) = start(&app).await;
    let state = url::Url::parse(&auth_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    forge_nonce(&app, &state).await;
    let back = at_provider(&idp, &auth_url, "admin@example.com").await;
    let r = back_in(&app, &back, &browser).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        r.body.as_str().unwrap_or_default().contains("nonce"),
        "{}",
        r.body
    );
    assert!(session_from(&r).is_none());

    // Logout ends the OIDC session.
    let r = app
        .call_as(
            "POST",
            "/admin/logout",
            None,
            Auth::Cookie(&cookie, Some(&csrf)),
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        app.call_as(
            "GET",
            "/admin/api/session",
            None,
            Auth::Cookie(&cookie, None)
        )
        .await
        .status,
        401
    );
}

/// Replace the value of a query parameter that starts at `key`.
fn regex_free_replace(url: &str, key: &str, with: &str) -> String {
    let start = url.find(key).expect("key");
    let end = url[start..].find('&').map_or(url.len(), |e| start + e);
    format!("{}{with}{}", &url[..start], &url[end..])
}

async fn forge_nonce(app: &AdminApp, state: &str) {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use scim_connector::store::admin_auth::oidc_logins;
    let n: Result<usize, scim_connector::store::error::StoreError> = async {
        Ok(scim_connector::with_write!(app.store, |c, _d| {
            diesel::update(oidc_logins::table.filter(oidc_logins::state.eq(state)))
                .set(oidc_logins::nonce.eq("forged-nonce"))
                .execute(c)
                .await?
        }))
    }
    .await;
    assert_eq!(n.unwrap(), 1);
}

fn settings() -> AdminSettings {
    AdminSettings {
        bootstrap_admins: vec!["root@example.com".into()],
        ..AdminSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let db = common::TestDb::sqlite();
    scenario(AdminApp::new(&db, settings()).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let Some(db) = common::TestDb::postgres().await else {
        return;
    };
    scenario(AdminApp::new(&db, settings()).await).await;
}
