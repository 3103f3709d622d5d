//! Harness of the browser tests: chromedriver driving headless Chromium, the real service on
//! a real 127.0.0.1 port (the binary's actix `HttpServer` around `app::app`), an HTTP client
//! for the SCIM and admin APIs, and page helpers that wait (poll with a timeout) and save
//! screenshots. A failed wait saves `failure.png` and `failure.html` beside the screenshots.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::HttpServer;
use actix_web::dev::ServerHandle;
use reqwest::Method;
use serde_json::{Value, json};
use thirtyfour::prelude::*;

use scim_connector::app;
use scim_connector::domain::clock::SystemClock;
use scim_connector::domain::ids::TenantId;
use scim_connector::http::admin::AdminSettings;
use scim_connector::store::Store;

use crate::common::TestDb;

/// Debian's `chromium-driver`.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Debian's `chromium`.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a wait for the page lasts before the test fails.
const TIMEOUT: Duration = Duration::from_secs(20);
/// A console page has loaded and console.js has bound its handlers.
const READY: &str = "return document.readyState === 'complete' \
     && document.documentElement.dataset.consoleReady === 'true'";
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(100);

/// Whether Chromium and chromedriver are installed. Outside CI a missing browser skips the
/// test (said on stderr), as on a machine with only the Rust toolchain; under CI (`CI` set)
/// it is a failure.
pub fn browser_installed() -> bool {
    if Path::new(CHROMEDRIVER).is_file() && Path::new(CHROMIUM).is_file() {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI must install chromium and chromium-driver ({CHROMEDRIVER}; .ci/run does)"
    );
    eprintln!(
        "SKIP admin console browser test: {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
    );
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// The chromedriver process, killed when dropped.
pub struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    async fn start() -> Self {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("chromedriver-{port}.log"));
        let out = std::fs::File::create(&log).expect("chromedriver log file");
        // A process group of its own: the browsers it starts are in it too, so that a
        // failed test (whose session was never quit) leaves no Chromium behind.
        let child = Command::new(CHROMEDRIVER)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::from(out.try_clone().expect("log file")))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("chromedriver runs");
        let driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                return driver;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on {} within 30 s (log: {})",
                driver.url,
                log.display()
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _group_killed = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _killed = self.child.kill();
        let _reaped = self.child.wait();
    }
}

/// The service on 127.0.0.1, with tenant `t1`, a SCIM client `okta` and an admin token.
pub struct Service {
    /// `http://127.0.0.1:<port>`.
    pub root: String,
    /// The service's store (the same pool the server uses).
    pub store: Store,
    /// Tenant `t1`.
    pub tenant: TenantId,
    scim_token: String,
    admin_token: String,
    http: reqwest::Client,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Service {
    /// Migrate the database, create the tenant and tokens, and serve on a free port.
    pub async fn start(db: &TestDb) -> Self {
        let store = db.store().await;
        let signer = app::signer(&store, None).await.expect("signer");
        let now = chrono::Utc::now();
        let tenant = store
            .create_tenant("t1", "Tenant one", now.timestamp_micros())
            .await
            .expect("tenant");
        let (_, scim_token) = app::issue_token(&store, &signer, tenant.id, "okta", now)
            .await
            .expect("SCIM token");
        let admin_token =
            app::issue_admin_token(&store, tenant.id, "browser-test", now.timestamp_micros())
                .await
                .expect("admin token");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let root = format!("http://{}", listener.local_addr().expect("address"));
        let state = app::state_with_admin(
            store.clone(),
            signer,
            Arc::new(SystemClock),
            format!("{root}/scim/v2"),
            AdminSettings {
                public_url: root.clone(),
                ..AdminSettings::default()
            },
        )
        .expect("state");
        // Served as `serve` does, on an actix system of its own thread.
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || app::app(state.clone()))
                    .workers(2)
                    .disable_signals()
                    .listen(listener)
                    .expect("listen")
                    .run();
                let _sent = tx.send(server.handle());
                let _ended = server.await;
            });
        });
        let handle = rx.recv().expect("the server started");
        Service {
            root,
            store,
            tenant: tenant.id,
            scim_token,
            admin_token,
            http: reqwest::Client::new(),
            handle,
            thread: Some(thread),
        }
    }

    /// A one-time sign-in link, as `serve` prints it.
    pub async fn login_link(&self) -> String {
        let secret = app::issue_login_link(
            &self.store,
            self.tenant,
            chrono::Utc::now().timestamp_micros(),
        )
        .await
        .expect("sign-in link");
        format!("{}/admin/login/link?token={secret}", self.root)
    }

    async fn send(&self, req: reqwest::RequestBuilder, what: &str) -> (u16, Value) {
        let res = req.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    /// A SCIM request of the IdP (client `okta`) to `/scim/v2/<path>`.
    pub async fn scim(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let what = format!("SCIM {method} {path}");
        let mut req = self
            .http
            .request(method, format!("{}/scim/v2/{path}", self.root))
            .bearer_auth(&self.scim_token);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(b.to_string());
        }
        self.send(req, &what).await
    }

    /// An admin API request (`/admin/api/<path>`) with the admin bearer token.
    pub async fn api(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let what = format!("admin API {method} {path}");
        let mut req = self
            .http
            .request(method, format!("{}/admin/api/{path}", self.root))
            .bearer_auth(&self.admin_token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req, &what).await
    }

    /// Create a user through SCIM (asserts 201): its id.
    pub async fn scim_user(
        &self,
        user_name: &str,
        given: &str,
        family: &str,
        email: &str,
    ) -> String {
        let (status, body) = self
            .scim(
                Method::POST,
                "Users",
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": user_name,
                    "name": {"givenName": given, "familyName": family},
                    "displayName": format!("{given} {family}"),
                    "emails": [{"value": email, "type": "work", "primary": true}],
                    "active": true
                })),
            )
            .await;
        assert_eq!(status, 201, "SCIM create {user_name}: {body}");
        body["id"].as_str().expect("id").to_string()
    }

    /// Create a group through SCIM with these members (asserts 201).
    pub async fn scim_group(&self, name: &str, members: &[&str]) {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        let (status, body) = self
            .scim(
                Method::POST,
                "Groups",
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": name,
                    "members": members
                })),
            )
            .await;
        assert_eq!(status, 201, "SCIM create group {name}: {body}");
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let _stopped = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(handle.stop(false));
        })
        .join();
        if let Some(t) = self.thread.take() {
            let _joined = t.join();
        }
    }
}

/// Headless Chromium on the service, with waits and screenshots.
pub struct Console {
    /// The WebDriver session (dropped, so quit, before chromedriver is killed).
    pub driver: WebDriver,
    _chromedriver: Chromedriver,
    root: String,
    shots: PathBuf,
    /// Screenshots saved so far (file names).
    pub saved: Vec<String>,
}

impl Console {
    /// Start chromedriver and a headless Chromium; screenshots go to
    /// `test-artifacts/<backend>/` under the crate root.
    pub async fn start(root: &str, backend: &str) -> Self {
        let shots = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("test-artifacts")
            .join(backend);
        std::fs::create_dir_all(&shots).expect("test-artifacts directory");
        for old in std::fs::read_dir(&shots).expect("test-artifacts").flatten() {
            let _gone = std::fs::remove_file(old.path());
        }
        let chromedriver = Chromedriver::start().await;
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM).expect("binary");
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1366,900",
            "--disable-crash-reporter",
            "--disable-breakpad",
            "--no-first-run",
        ] {
            caps.add_arg(arg).expect("argument");
        }
        let driver = WebDriver::new(chromedriver.url.clone(), caps)
            .await
            .expect("a Chromium session through chromedriver");
        Console {
            driver,
            _chromedriver: chromedriver,
            root: root.to_string(),
            shots,
            saved: Vec::new(),
        }
    }

    /// End the browser session.
    pub async fn close(self) {
        let Console { driver, .. } = self;
        let _quit = driver.quit().await;
    }

    /// Save what the page shows now and return the message to fail with.
    pub async fn failure(&self, message: &str) -> String {
        let url = self
            .driver
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let _shot = self
            .driver
            .screenshot(&self.shots.join("failure.png"))
            .await;
        if let Ok(html) = self.driver.source().await {
            let _saved = std::fs::write(self.shots.join("failure.html"), html);
        }
        format!(
            "{message}\n  at {url}\n  (page saved as {}/failure.png and failure.html)",
            self.shots.display()
        )
    }

    /// Save a screenshot as `<name>.png`.
    pub async fn shot(&mut self, name: &str) {
        let file = format!("{name}.png");
        let path = self.shots.join(&file);
        if let Err(e) = self.driver.screenshot(&path).await {
            panic!("{}", self.failure(&format!("screenshot {file}: {e}")).await);
        }
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 1000, "screenshot {file} is {size} bytes");
        self.saved.push(file);
    }

    /// Poll `check` until it holds (errors count as not yet), or fail after the timeout.
    pub async fn wait_until(
        &self,
        what: &str,
        mut check: impl AsyncFnMut() -> WebDriverResult<bool>,
    ) {
        let deadline = Instant::now() + TIMEOUT;
        let mut last = String::new();
        loop {
            match check().await {
                Ok(true) => return,
                Ok(false) => last.clear(),
                Err(e) => last = format!(" (last error: {e})"),
            }
            if Instant::now() > deadline {
                panic!(
                    "{}",
                    self.failure(&format!(
                        "timed out after {TIMEOUT:?} waiting for {what}{last}"
                    ))
                    .await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Open a path of the service (or an absolute URL) and wait until it has loaded.
    pub async fn goto(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.root)
        };
        if let Err(e) = self.driver.goto(&url).await {
            panic!("{}", self.failure(&format!("open {url}: {e}")).await);
        }
        self.wait_loaded().await;
    }

    /// Open a page that is not a console page (no console.js) and wait until it has loaded.
    pub async fn goto_plain(&self, path: &str) {
        let url = format!("{}{path}", self.root);
        if let Err(e) = self.driver.goto(&url).await {
            panic!("{}", self.failure(&format!("open {url}: {e}")).await);
        }
    }

    async fn wait_loaded(&self) {
        let driver = self.driver.clone();
        self.wait_until(
            "the console page to load (readyState complete, html[data-console-ready])",
            async || {
                let r = driver.execute(READY, Vec::new()).await?;
                Ok(r.json() == &Value::Bool(true))
            },
        )
        .await;
    }

    /// Mark the current document, so that `wait_reload` can tell a new one.
    pub async fn mark(&self) {
        if let Err(e) = self
            .driver
            .execute("window.__browserTestMark = true; return true", Vec::new())
            .await
        {
            panic!("{}", self.failure(&format!("mark the page: {e}")).await);
        }
    }

    /// Wait until the marked document was replaced by a new, loaded one.
    pub async fn wait_reload(&self, after: &str) {
        let driver = self.driver.clone();
        self.wait_until(&format!("the page to reload after {after}"), async || {
            let r = driver
                .execute(
                    format!("return !window.__browserTestMark && {}", &READY[7..]),
                    Vec::new(),
                )
                .await?;
            Ok(r.json() == &Value::Bool(true))
        })
        .await;
    }

    /// Click `css` and wait for the page that follows (a form submission, a reload).
    pub async fn click_and_reload(&self, css: &str) {
        self.mark().await;
        self.click(css).await;
        self.wait_reload(&format!("clicking {css}")).await;
    }

    /// The first element matching `css`, waited for (present and displayed).
    pub async fn el(&self, css: &str) -> WebElement {
        match self
            .driver
            .query(By::Css(css))
            .and_displayed()
            .wait(TIMEOUT, POLL)
            .first()
            .await
        {
            Ok(e) => e,
            Err(e) => panic!(
                "{}",
                self.failure(&format!("no visible element {css}: {e}"))
                    .await
            ),
        }
    }

    /// Wait until nothing matches `css`.
    pub async fn gone(&self, css: &str) {
        let driver = self.driver.clone();
        self.wait_until(&format!("{css} to go away"), async || {
            Ok(driver.find_all(By::Css(css)).await?.is_empty())
        })
        .await;
    }

    /// Click the element matching `css` (waited for).
    pub async fn click(&self, css: &str) {
        let e = self.el(css).await;
        if let Err(err) = e.click().await {
            panic!("{}", self.failure(&format!("click {css}: {err}")).await);
        }
    }

    /// Replace the text of the input matching `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.el(css).await;
        let typed = async {
            e.clear().await?;
            if !text.is_empty() {
                e.send_keys(text).await?;
            }
            e.prop("value").await
        };
        match typed.await {
            Ok(Some(v)) if v == text => {}
            Ok(v) => panic!(
                "{}",
                self.failure(&format!("{css} holds {v:?} after typing {text:?}"))
                    .await
            ),
            Err(err) => panic!("{}", self.failure(&format!("type into {css}: {err}")).await),
        }
    }

    /// Choose the option of value `value` in the select matching `css`.
    pub async fn choose(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value=\"{value}\"]"))
            .await;
        let e = self.el(css).await;
        let chosen = e.prop("value").await.ok().flatten();
        if chosen.as_deref() != Some(value) {
            panic!(
                "{}",
                self.failure(&format!("{css} shows {chosen:?}, not {value:?}"))
                    .await
            );
        }
    }

    /// The text of every element matching `css` (no wait).
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.driver.find_all(By::Css(css)).await.unwrap_or_default() {
            out.push(e.text().await.unwrap_or_default());
        }
        out
    }

    /// The value of `attr` on every element matching `css` (no wait).
    pub async fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.driver.find_all(By::Css(css)).await.unwrap_or_default() {
            if let Ok(Some(v)) = e.attr(attr).await {
                out.push(v);
            }
        }
        out
    }

    /// Wait until an element matching `css` shows a text containing `needle`
    /// (any text when `needle` is empty); returns that text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let driver = self.driver.clone();
        let mut found = String::new();
        self.wait_until(&format!("{css} to show {needle:?}"), async || {
            for e in driver.find_all(By::Css(css)).await? {
                let t = e.text().await?;
                if !t.trim().is_empty() && t.contains(needle) {
                    found = t;
                    return Ok(true);
                }
            }
            Ok(false)
        })
        .await;
        found
    }

    /// The path and query of the current page.
    pub async fn location(&self) -> String {
        match self.driver.current_url().await {
            Ok(u) => match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            },
            Err(e) => panic!("{}", self.failure(&format!("current URL: {e}")).await),
        }
    }

    /// Fail (saving the page) unless `cond` holds.
    pub async fn check(&self, cond: bool, message: impl AsRef<str>) {
        if !cond {
            panic!("{}", self.failure(message.as_ref()).await);
        }
    }
}
