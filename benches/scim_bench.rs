//! `scim-bench`: a closed-loop load benchmark for a running scim-connector.
//!
//! ```text
//! cargo run --release --bin scim-bench -- --base-url http://127.0.0.1:8080/scim/v2 \
//!     --token <token> --connections 16 --users 5000 --group-members 100000 --pid <server pid>
//! ```
//!
//! Every workload runs C connections in a closed loop, checks each answer for correctness
//! (a wrong answer counts as an error) and prints requests, errors, throughput, latency
//! percentiles and, given the server's pid, its CPU time per request and resident memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Clone)]
#[command(about = "Closed-loop load benchmark for scim-connector")]
struct Args {
    /// SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2.
    #[arg(long)]
    base_url: String,
    /// Bearer token.
    #[arg(long, env = "SCIM_BENCH_TOKEN")]
    token: String,
    /// Concurrent connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Users created by `create_users` (and used by the read workloads).
    #[arg(long, default_value_t = 5000)]
    users: u64,
    /// Members the big group is grown to by `group_add_members`.
    #[arg(long, default_value_t = 100_000)]
    group_members: u64,
    /// Requests per fixed-size workload (get_by_filter, get_by_id, list_page, patch_user,
    /// group_get_excluding_members, mixed).
    #[arg(long, default_value_t = 50_000)]
    requests: u64,
    /// Requests of `group_get_full`.
    #[arg(long, default_value_t = 50)]
    full_reads: u64,
    /// Server process id, for CPU time per request and resident memory.
    #[arg(long)]
    pid: Option<u32>,
    /// Workloads to run (default: all, in order).
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<String>,
    /// Shares of `mixed`, in percent, in the order filter hit, filter miss then create,
    /// GET by id, PATCH active, PUT, member add/remove, page of 100 (they must sum to 100).
    /// Changing them is for finding what a part of the mix costs, not for the results.
    #[arg(long, value_delimiter = ',', default_values_t = [35, 10, 15, 15, 10, 10, 5])]
    mix: Vec<u64>,
}

/// The kinds of request of `mixed`, in the order of `--mix`.
const MIX_KINDS: [&str; 7] = [
    "filter hit",
    "filter miss, then create",
    "GET by id",
    "PATCH active",
    "PUT",
    "member add/remove",
    "page of 100",
];

/// Results of one workload.
struct Stats {
    name: &'static str,
    ok: u64,
    errors: u64,
    elapsed: Duration,
    /// (sequence number, latency in µs) of successful requests.
    latencies: Vec<(u64, u32)>,
    cpu_ticks: Option<u64>,
    /// The benchmark's own CPU time over the workload, in clock ticks.
    own_ticks: Option<u64>,
    /// The whole machine's (busy, idle) clock ticks over the workload: idle cores under
    /// load mean a wait (a commit's WAL flush, a lock), not a CPU cost.
    machine_ticks: Option<(u64, u64)>,
    first_error: Option<String>,
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[idx]) / 1000.0
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: Option<u32>) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// The machine's (busy, idle) clock ticks since boot, all cores (`/proc/stat`; idle counts
/// `iowait`).
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().find(|l| l.starts_with("cpu "))?;
    let t: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    let idle = t.get(3)? + t.get(4)?;
    Some((t.iter().sum::<u64>() - idle, idle))
}

/// Resident memory of a process, in MB.
fn rss_mb(pid: Option<u32>) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

impl Stats {
    fn print(&self) {
        let mut lat: Vec<u32> = self.latencies.iter().map(|(_, l)| *l).collect();
        lat.sort_unstable();
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let total = self.ok + self.errors;
        let per_request = |ticks: Option<u64>| {
            ticks
                .filter(|_| total > 0)
                .map(|t| format!("{:>7.1} µs", t as f64 * 10_000.0 / total as f64))
                .unwrap_or_else(|| "      -".into())
        };
        println!(
            "{:<28} {:>8} {:>7} {:>10.0}/s  p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  cpu/req {} (bench {})",
            self.name,
            total,
            self.errors,
            self.ok as f64 / secs,
            percentile(&lat, 0.50),
            percentile(&lat, 0.95),
            percentile(&lat, 0.99),
            per_request(self.cpu_ticks),
            per_request(self.own_ticks),
        );
        if let Some((busy, idle)) = self.machine_ticks.filter(|(b, i)| b + i > 0) {
            // The rest of the busy time: the database's processes, the kernel's network and
            // disk work, anything else on the host.
            let rest =
                busy.saturating_sub(self.cpu_ticks.unwrap_or(0) + self.own_ticks.unwrap_or(0));
            println!(
                "    machine idle {:.0}% of the workload's time; the rest of the machine (database, kernel) {} per request",
                idle as f64 * 100.0 / (busy + idle) as f64,
                per_request(Some(rest)).trim_start(),
            );
        }
        if let Some(e) = &self.first_error {
            println!("    first error: {e}");
        }
    }
}

/// Shared client state.
struct Bench {
    /// `host:port` of the server.
    host: String,
    /// Path of the SCIM base URL, e.g. `/scim/v2`.
    prefix: String,
    /// Keep-alive connections not in use.
    idle: std::sync::Mutex<Vec<SendRequest<Full<Bytes>>>>,
    auth: String,
    run: String,
    user_ids: Mutex<Vec<Option<String>>>,
}

type Check = Result<(), String>;

/// The parts of a ListResponse page that `list_page` checks.
#[derive(serde::Deserialize)]
struct ListPage<'a> {
    #[serde(rename = "totalResults")]
    total_results: u64,
    #[serde(rename = "startIndex")]
    start_index: u64,
    #[serde(rename = "Resources", borrow)]
    resources: Vec<PageUser<'a>>,
}

/// A user of a page: the rest of its attributes are skipped unparsed.
#[derive(serde::Deserialize)]
struct PageUser<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(rename = "userName", borrow)]
    user_name: std::borrow::Cow<'a, str>,
}

impl Bench {
    /// One request on an idle keep-alive connection (a new one when none is idle), and the
    /// parsed answer. A plain HTTP/1.1 client per connection: the load generator shares the
    /// server's two cores, so it should cost little per request (see docs/performance.md).
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), String> {
        let (status, bytes) = self.send_bytes(method, path, body).await?;
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| format!("json: {e}"))?
        };
        Ok((status, v))
    }

    /// One request, its status and body as received.
    async fn send_bytes(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Bytes), String> {
        let mut conn = self.connection().await?;
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.prefix))
            .header(HOST, &self.host)
            .header(AUTHORIZATION, &self.auth);
        let payload = match body {
            Some(b) => {
                req = req.header(CONTENT_TYPE, "application/scim+json");
                Bytes::from(serde_json::to_vec(b).map_err(|e| e.to_string())?)
            }
            None => Bytes::new(),
        };
        let req = req.body(Full::new(payload)).map_err(|e| e.to_string())?;
        let res = tokio::time::timeout(Duration::from_secs(30), conn.send_request(req))
            .await
            .map_err(|_| "transport: timed out".to_string())?
            .map_err(|e| format!("transport: {e}"))?;
        let status = res.status().as_u16();
        let bytes = res
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        self.idle.lock().expect("idle connections").push(conn);
        Ok((status, bytes))
    }

    /// An idle keep-alive connection that is still open (the server closes those idle past
    /// its keep-alive timeout), or a new one.
    async fn connection(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        loop {
            let idle = self.idle.lock().expect("idle connections").pop();
            let Some(mut conn) = idle else {
                let mut conn = self.connect().await?;
                conn.ready().await.map_err(|e| format!("transport: {e}"))?;
                return Ok(conn);
            };
            if !conn.is_closed() && conn.ready().await.is_ok() {
                return Ok(conn);
            }
        }
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        let stream = TcpStream::connect(&self.host)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(conn);
        Ok(sender)
    }

    fn user_name(&self, i: u64) -> String {
        format!("bench-{}-{i:07}@example.com", self.run)
    }

    /// A realistic user of about 650 bytes with the enterprise extension.
    fn user_body(&self, i: u64) -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": self.user_name(i),
            "externalId": format!("00u{}{i:07}", self.run),
            "name": {"givenName": "Bench", "familyName": format!("User{i}"), "formatted": format!("Bench User{i}")},
            "displayName": format!("Bench User {i}"),
            "emails": [{"value": self.user_name(i), "type": "work", "primary": true}],
            "phoneNumbers": [{"value": "+1 555 0100", "type": "mobile"}],
            "locale": "en-US",
            "timezone": "America/Toronto",
            "title": "Support agent",
            "active": true,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": format!("{i}"),
                "department": "Customer Care",
                "organization": "Dial AI",
                "costCenter": "CC-42"
            }
        })
    }

    async fn id(&self, i: u64) -> Result<String, String> {
        self.user_ids
            .lock()
            .await
            .get(i as usize)
            .cloned()
            .flatten()
            .ok_or_else(|| format!("user {i} was not created"))
    }

    async fn create(&self, i: u64) -> Check {
        let (s, v) = self
            .send(Method::POST, "/Users", Some(&self.user_body(i)))
            .await?;
        if s != 201 || v["userName"] != self.user_name(i) {
            return Err(format!("create: {s} {v}"));
        }
        let id = v["id"].as_str().ok_or("create: no id")?.to_string();
        let mut ids = self.user_ids.lock().await;
        if ids.len() <= i as usize {
            ids.resize(i as usize + 1, None);
        }
        ids[i as usize] = Some(id);
        Ok(())
    }

    async fn get_by_filter(&self, i: u64) -> Check {
        let name = self.user_name(i);
        let path = format!(
            "/Users?filter=userName%20eq%20%22{}%22",
            name.replace('@', "%40")
        );
        let (s, v) = self.send(Method::GET, &path, None).await?;
        if s != 200 || v["totalResults"] != 1 || v["Resources"][0]["userName"] != name {
            return Err(format!("filter: {s} {v}"));
        }
        Ok(())
    }

    async fn filter_miss_then_create(&self, i: u64) -> Check {
        let name = self.user_name(i);
        let path = format!(
            "/Users?filter=userName%20eq%20%22{}%22",
            name.replace('@', "%40")
        );
        let (s, v) = self.send(Method::GET, &path, None).await?;
        if s != 200 || v["totalResults"] != 0 {
            return Err(format!("filter miss: {s} {v}"));
        }
        self.create(i).await
    }

    async fn get_by_id(&self, i: u64) -> Check {
        let id = self.id(i).await?;
        let (s, v) = self
            .send(Method::GET, &format!("/Users/{id}"), None)
            .await?;
        if s != 200 || v["id"] != id.as_str() {
            return Err(format!("get: {s} {v}"));
        }
        Ok(())
    }

    async fn list_page(&self, start: u64, users: u64) -> Check {
        let path = format!("/Users?startIndex={start}&count=100");
        let (s, bytes) = self.send_bytes(Method::GET, &path, None).await?;
        // Parsed into the fields checked (every resource's id and userName), not a tree of
        // the whole ~80 kB page: the generator shares the server's cores.
        let page: ListPage =
            serde_json::from_slice(&bytes).map_err(|e| format!("page: {s}: json: {e}"))?;
        let n = page.resources.len() as u64;
        let total = page.total_results;
        let ours = page
            .resources
            .iter()
            .all(|r| !r.id.is_empty() && r.user_name.starts_with("bench-"));
        if s != 200
            || page.start_index != start
            || total < users
            || n != 100.min(total + 1 - start)
            || !ours
        {
            return Err(format!("page: {s} n={n} total={total} ours={ours}"));
        }
        Ok(())
    }

    async fn patch_active(&self, i: u64, active: bool) -> Check {
        let id = self.id(i).await?;
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": active}]});
        let (s, v) = self
            .send(Method::PATCH, &format!("/Users/{id}"), Some(&body))
            .await?;
        if s != 200 || v["active"] != active {
            return Err(format!("patch: {s} {v}"));
        }
        Ok(())
    }

    async fn put_user(&self, i: u64) -> Check {
        let id = self.id(i).await?;
        let mut body = self.user_body(i);
        body["displayName"] = Value::String(format!("Renamed {i}"));
        let (s, v) = self
            .send(Method::PUT, &format!("/Users/{id}"), Some(&body))
            .await?;
        if s != 200 || v["displayName"] != format!("Renamed {i}") {
            return Err(format!("put: {s} {v}"));
        }
        Ok(())
    }

    async fn member_op(&self, group: &str, i: u64, op: &str) -> Check {
        let id = self.id(i).await?;
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": op, "path": "members", "value": [{"value": id}]}]});
        let (s, v) = self
            .send(Method::PATCH, &format!("/Groups/{group}"), Some(&body))
            .await?;
        if s != 204 {
            return Err(format!("member {op}: {s} {v}"));
        }
        Ok(())
    }

    async fn create_group(&self, name: &str) -> Result<String, String> {
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name});
        let (s, v) = self.send(Method::POST, "/Groups", Some(&body)).await?;
        if s != 201 {
            return Err(format!("create group: {s} {v}"));
        }
        Ok(v["id"].as_str().unwrap_or_default().to_string())
    }

    async fn group_get(&self, group: &str, excluded: bool, expect_members: u64) -> Check {
        let path = if excluded {
            format!("/Groups/{group}?excludedAttributes=members")
        } else {
            format!("/Groups/{group}")
        };
        let (s, bytes) = self.send_bytes(Method::GET, &path, None).await?;
        // Read into the shape checked (each member's value), not a tree of every value: a
        // 100,000-member answer is parsed on the load generator's share of the same cores,
        // on a thread of its own so the runtime's one thread keeps driving the others.
        let big = bytes.len() > 256 * 1024;
        let check = move || -> Result<(bool, Option<usize>), String> {
            let g: GroupShape<'_> =
                serde_json::from_slice(&bytes).map_err(|e| format!("group get: {s} {e}"))?;
            let members_ok = g.members.iter().flatten().all(|m| !m.value.is_empty());
            Ok((members_ok, g.members.map(|m| m.len())))
        };
        let (members_ok, n) = if big {
            tokio::task::spawn_blocking(check)
                .await
                .map_err(|e| e.to_string())??
        } else {
            check()?
        };
        let ok = s == 200
            && members_ok
            && if excluded {
                n.is_none()
            } else {
                n == Some(expect_members as usize)
            };
        if !ok {
            return Err(format!("group get: {s} members={n:?}"));
        }
        Ok(())
    }
}

/// What a group answer is checked for.
#[derive(serde::Deserialize)]
struct GroupShape<'a> {
    #[serde(borrow)]
    members: Option<Vec<MemberShape<'a>>>,
}

#[derive(serde::Deserialize)]
struct MemberShape<'a> {
    #[serde(borrow)]
    value: std::borrow::Cow<'a, str>,
}

/// Run `op(seq)` for seq in 0..total on `conns` closed-loop connections.
async fn run<F, Fut>(name: &'static str, conns: usize, total: u64, pid: Option<u32>, op: F) -> Stats
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Check> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicU64::new(0));
    let cpu0 = cpu_ticks(pid);
    let own0 = cpu_ticks(Some(std::process::id()));
    let machine0 = machine_ticks();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut errors, mut first) = (0u64, None);
            loop {
                let seq = next.fetch_add(1, Ordering::Relaxed);
                if seq >= total {
                    break;
                }
                let t = Instant::now();
                match op(seq).await {
                    Ok(()) => lat.push((
                        seq,
                        t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32,
                    )),
                    Err(e) => {
                        errors += 1;
                        first.get_or_insert(e);
                    }
                }
            }
            (lat, errors, first)
        }));
    }
    let mut stats = Stats {
        name,
        ok: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        cpu_ticks: None,
        own_ticks: None,
        machine_ticks: None,
        first_error: None,
    };
    for t in tasks {
        if let Ok((lat, errors, first)) = t.await {
            stats.ok += lat.len() as u64;
            stats.latencies.extend(lat);
            stats.errors += errors;
            if stats.first_error.is_none() {
                stats.first_error = first;
            }
        }
    }
    stats.elapsed = start.elapsed();
    stats.cpu_ticks = cpu0.zip(cpu_ticks(pid)).map(|(a, b)| b.saturating_sub(a));
    stats.own_ticks = own0
        .zip(cpu_ticks(Some(std::process::id())))
        .map(|(a, b)| b.saturating_sub(a));
    stats.machine_ticks = machine0
        .zip(machine_ticks())
        .map(|((b0, i0), (b1, i1))| (b1.saturating_sub(b0), i1.saturating_sub(i0)));
    stats
}

fn wanted(args: &Args, name: &str) -> bool {
    args.workloads.is_empty() || args.workloads.iter().any(|w| w == name)
}

// One thread: the benchmark shares the server's cores, and a second runtime thread only
// adds wake-ups between the two.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let base = url::Url::parse(&args.base_url)?;
    anyhow::ensure!(base.scheme() == "http", "scim-bench speaks plain http");
    let bench = Arc::new(Bench {
        host: format!(
            "{}:{}",
            base.host_str().unwrap_or("127.0.0.1"),
            base.port_or_known_default().unwrap_or(80)
        ),
        prefix: base.path().trim_end_matches('/').to_string(),
        idle: std::sync::Mutex::new(Vec::new()),
        auth: format!("Bearer {}", args.token),
        run: format!("{:x}", rand::random::<u32>()),
        user_ids: Mutex::new(Vec::new()),
    });
    let (c, pid, users) = (args.connections, args.pid, args.users);
    let mut failed = 0u64;
    println!(
        "scim-bench: {} connections, {} users, group of {}, run {}",
        c, users, args.group_members, bench.run
    );
    println!(
        "{:<28} {:>8} {:>7} {:>12}",
        "workload", "requests", "errors", "throughput"
    );
    let mut report = |s: Stats| {
        failed += s.errors;
        s.print();
        s
    };

    // Always create the users: the read workloads need them.
    let b = bench.clone();
    report(
        run("create_users", c, users, pid, move |i| {
            let b = b.clone();
            async move { b.create(i).await }
        })
        .await,
    );

    let n = args.requests;
    if wanted(&args, "get_by_filter") {
        let b = bench.clone();
        report(
            run("get_by_filter", c, n, pid, move |_| {
                let b = b.clone();
                async move { b.get_by_filter(rand::random::<u64>() % users).await }
            })
            .await,
        );
    }
    if wanted(&args, "get_by_id") {
        let b = bench.clone();
        report(
            run("get_by_id", c, n, pid, move |_| {
                let b = b.clone();
                async move { b.get_by_id(rand::random::<u64>() % users).await }
            })
            .await,
        );
    }
    if wanted(&args, "list_page") {
        let b = bench.clone();
        let pages = users.saturating_sub(99).max(1);
        report(
            run("list_page", c, n / 10, pid, move |_| {
                let b = b.clone();
                async move { b.list_page(1 + rand::random::<u64>() % pages, users).await }
            })
            .await,
        );
    }
    if wanted(&args, "patch_user") {
        let b = bench.clone();
        report(
            run("patch_user", c, n, pid, move |seq| {
                let b = b.clone();
                async move {
                    b.patch_active(rand::random::<u64>() % users, seq % 2 == 1)
                        .await
                }
            })
            .await,
        );
    }

    let m = args.group_members;
    let group = if wanted(&args, "group_add_members") || wanted(&args, "group_get_full") {
        // The big group needs M users: create the ones beyond the first `users`.
        if m > users {
            let b = bench.clone();
            report(
                run("create_users (for group)", c, m - users, pid, move |i| {
                    let b = b.clone();
                    async move { b.create(users + i).await }
                })
                .await,
            );
        }
        let gid = bench
            .create_group(&format!("bench-{}-big", bench.run))
            .await
            .map_err(anyhow::Error::msg)?;
        let b = bench.clone();
        let g = gid.clone();
        let s = report(
            run("group_add_members", c, m, pid, move |i| {
                let (b, g) = (b.clone(), g.clone());
                async move { b.member_op(&g, i, "add").await }
            })
            .await,
        );
        let window = 1000.min(m / 2).max(1);
        let p50_of = |lo: u64, hi: u64| {
            let mut l: Vec<u32> = s
                .latencies
                .iter()
                .filter(|(q, _)| *q >= lo && *q < hi)
                .map(|(_, l)| *l)
                .collect();
            l.sort_unstable();
            percentile(&l, 0.5)
        };
        let (first, last) = (p50_of(0, window), p50_of(m - window, m));
        println!(
            "    first {window} adds p50 {first:.2} ms, last {window} adds p50 {last:.2} ms, ratio {:.2}",
            last / first.max(1e-9)
        );
        Some(gid)
    } else {
        None
    };
    if let Some(gid) = &group {
        if wanted(&args, "group_get_excluding_members") {
            let b = bench.clone();
            let g = gid.clone();
            report(
                run("group_get_excluding_members", c, n, pid, move |_| {
                    let (b, g) = (b.clone(), g.clone());
                    async move { b.group_get(&g, true, 0).await }
                })
                .await,
            );
        }
        if wanted(&args, "group_get_full") {
            let b = bench.clone();
            let g = gid.clone();
            report(
                run(
                    "group_get_full",
                    c.min(4),
                    args.full_reads,
                    pid,
                    move |_| {
                        let (b, g) = (b.clone(), g.clone());
                        async move { b.group_get(&g, false, m).await }
                    },
                )
                .await,
            );
        }
    }

    if wanted(&args, "mixed") {
        // An Okta-like sync: 35% filter hits, 10% filter-miss-then-create, 15% GET by id,
        // 15% PATCH active, 10% PUT, 10% group member add/remove, 5% page of 100 (`--mix`).
        anyhow::ensure!(
            args.mix.len() == 7 && args.mix.iter().sum::<u64>() == 100,
            "--mix takes seven shares that sum to 100"
        );
        // Upper bounds of each share's draw in 0..100.
        let bounds: Arc<Vec<u64>> = Arc::new(
            args.mix
                .iter()
                .scan(0, |acc, share| {
                    *acc += share;
                    Some(*acc)
                })
                .collect(),
        );
        let gid = bench
            .create_group(&format!("bench-{}-mixed", bench.run))
            .await
            .map_err(anyhow::Error::msg)?;
        let fresh = Arc::new(AtomicU64::new(users.max(m) + 1));
        let b = bench.clone();
        // Each kind's latencies (µs), for the breakdown printed after the run.
        let kinds: Arc<std::sync::Mutex<Vec<Vec<u32>>>> =
            Arc::new(std::sync::Mutex::new(vec![Vec::new(); MIX_KINDS.len()]));
        let by_kind = kinds.clone();
        report(
            run("mixed", c, n, pid, move |seq| {
                let (b, g, fresh) = (b.clone(), gid.clone(), fresh.clone());
                let (bounds, kinds) = (bounds.clone(), kinds.clone());
                async move {
                    let i = rand::random::<u64>() % users;
                    let draw = rand::random::<u64>() % 100;
                    let kind = bounds.iter().take_while(|b| **b <= draw).count();
                    let t = Instant::now();
                    let result = match kind {
                        0 => b.get_by_filter(i).await,
                        1 => {
                            b.filter_miss_then_create(fresh.fetch_add(1, Ordering::Relaxed))
                                .await
                        }
                        2 => b.get_by_id(i).await,
                        3 => b.patch_active(i, seq % 2 == 1).await,
                        4 => b.put_user(i).await,
                        5 => {
                            b.member_op(&g, i, if seq % 2 == 0 { "add" } else { "remove" })
                                .await
                        }
                        _ => {
                            b.list_page(1 + i.min(users.saturating_sub(100)), users)
                                .await
                        }
                    };
                    if result.is_ok()
                        && let Ok(mut k) = kinds.lock()
                    {
                        k[kind.min(MIX_KINDS.len() - 1)]
                            .push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    }
                    result
                }
            })
            .await,
        );
        if let Ok(mut k) = by_kind.lock() {
            for (name, lat) in MIX_KINDS.iter().zip(k.iter_mut()) {
                lat.sort_unstable();
                println!(
                    "    {name:<24} {:>6}  p50 {:>7.2} ms  p99 {:>7.2} ms",
                    lat.len(),
                    percentile(lat, 0.50),
                    percentile(lat, 0.99)
                );
            }
        }
    }

    if let Some(mb) = rss_mb(pid) {
        println!("server resident memory after the run: {mb:.1} MB");
    }
    if failed > 0 {
        anyhow::bail!("{failed} requests failed or answered wrongly");
    }
    Ok(())
}
