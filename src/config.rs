//! Typed configuration: defaults < environment (`SCIM_CONNECTOR_*`, `DATABASE_URL`) < flags.
//! Loaded once in `main` and passed down; secrets never appear in `Debug` output.

use std::fmt;

use clap::Args;

/// Settings shared by every command.
#[derive(Clone, Args)]
pub struct Config {
    /// Database: `postgres://…`, `sqlite://<path>`, `sqlite:<path>` or a path. Default: the
    /// embedded SQLite file `./data/scim-connector.db`.
    #[arg(long, global = true, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Database connections per process (SQLite is capped at 8). On PostgreSQL each request
    /// thread (one per core) gets its own share, so a query never crosses threads.
    #[arg(
        long,
        global = true,
        env = "SCIM_CONNECTOR_POOL_SIZE",
        default_value_t = 16
    )]
    pub pool_size: usize,

    /// Secret that signs SCIM bearer tokens (at least 32 bytes). Default: a random key
    /// generated on first start and kept in the database, shared by every replica.
    #[arg(
        long,
        global = true,
        env = "SCIM_CONNECTOR_TOKEN_SECRET",
        hide_env_values = true
    )]
    pub token_secret: Option<String>,

    /// Log format: `text` or `json`.
    #[arg(
        long,
        global = true,
        env = "SCIM_CONNECTOR_LOG_FORMAT",
        default_value = "text"
    )]
    pub log_format: String,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field(
                "database_url",
                &crate::store::DatabaseLocation::parse(self.database_url.as_deref()).redacted(),
            )
            .field("pool_size", &self.pool_size)
            .field("token_secret", &self.token_secret.as_ref().map(|_| "***"))
            .field("log_format", &self.log_format)
            .finish()
    }
}

/// Settings of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "SCIM_CONNECTOR_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Public base URL of the service as IdPs reach it (for `meta.location`), e.g.
    /// `https://scim.example.com`. Default: `http://<bind>`.
    #[arg(long, env = "SCIM_CONNECTOR_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// HTTP worker threads. Default: the number of cores.
    #[arg(long, env = "SCIM_CONNECTOR_WORKERS")]
    pub workers: Option<usize>,

    /// Emails that may sign in to the admin console of any tenant whatever their roles
    /// (comma-separated), e.g. to bootstrap the first DialAiAdmin.
    #[arg(long, env = "SCIM_CONNECTOR_BOOTSTRAP_ADMINS", value_delimiter = ',')]
    pub bootstrap_admins: Vec<String>,

    /// Days sync events are kept (a whole number ≥ 1); older ones are pruned hourly in the
    /// background. 0 or an unreadable value is refused at start.
    #[arg(
        long,
        env = "SCIM_CONNECTOR_EVENT_RETENTION_DAYS",
        default_value_t = crate::domain::admin::sync::DEFAULT_RETENTION_DAYS,
        value_parser = parse_retention_days
    )]
    pub event_retention_days: u32,

    /// Lifetime of an admin console session: seconds, or a number with `s`, `m`, `h` or `d`
    /// (`8h`, `30m`, `1d`); from 1 minute to 30 days.
    #[arg(
        long,
        env = "SCIM_CONNECTOR_ADMIN_SESSION_TTL",
        default_value = "8h",
        value_parser = parse_session_ttl
    )]
    pub admin_session_ttl: i64,
}

/// `SCIM_CONNECTOR_EVENT_RETENTION_DAYS` / `--event-retention-days`: whole days, at least 1.
pub fn parse_retention_days(raw: &str) -> Result<u32, String> {
    match raw.trim().parse::<u32>() {
        Ok(0) => Err(
            "SCIM_CONNECTOR_EVENT_RETENTION_DAYS (--event-retention-days) must be at least 1 day; \
             0 would prune every sync event"
                .into(),
        ),
        Ok(d) => Ok(d),
        Err(_) => Err(format!(
            "SCIM_CONNECTOR_EVENT_RETENTION_DAYS (--event-retention-days) must be a whole number \
             of days ≥ 1 (default 90), not {raw:?}"
        )),
    }
}

/// Shortest and longest admin session lifetimes, seconds.
const SESSION_TTL_RANGE: std::ops::RangeInclusive<i64> = 60..=30 * 86_400;

/// `SCIM_CONNECTOR_ADMIN_SESSION_TTL` / `--admin-session-ttl`: seconds, or `<n>s|m|h|d`;
/// 1 minute to 30 days. Returns seconds.
pub fn parse_session_ttl(raw: &str) -> Result<i64, String> {
    let refuse = || {
        format!(
            "SCIM_CONNECTOR_ADMIN_SESSION_TTL (--admin-session-ttl) must be a duration from 1 \
             minute to 30 days: seconds, or a number with s, m, h or d (e.g. 8h, 30m), not {raw:?}"
        )
    };
    let s = raw.trim();
    let (digits, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], c.to_ascii_lowercase()),
        _ => (s, 's'),
    };
    let n: i64 = digits.trim().parse().map_err(|_| refuse())?;
    let secs = match unit {
        's' => Some(n),
        'm' => n.checked_mul(60),
        'h' => n.checked_mul(3_600),
        'd' => n.checked_mul(86_400),
        _ => None,
    }
    .ok_or_else(refuse)?;
    if SESSION_TTL_RANGE.contains(&secs) {
        Ok(secs)
    } else {
        Err(refuse())
    }
}

impl ServeConfig {
    /// The public root URL (`SCIM_CONNECTOR_PUBLIC_URL`, else `http://<bind>`).
    pub fn root_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind))
            .trim_end_matches('/')
            .to_string()
    }

    /// The SCIM base URL (`…/scim/v2`).
    pub fn scim_base_url(&self) -> String {
        format!("{}/scim/v2", self.root_url())
    }

    /// Whether the service listens on a loopback address only.
    pub fn loopback_only(&self) -> bool {
        let host = self
            .bind
            .rsplit_once(':')
            .map_or(self.bind.as_str(), |(h, _)| h);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_days_refuse_zero_and_garbage() {
        assert_eq!(parse_retention_days("30"), Ok(30));
        assert_eq!(parse_retention_days(" 90 "), Ok(90));
        for bad in ["0", "", "ninety", "-1", "1.5"] {
            let e = parse_retention_days(bad).unwrap_err();
            assert!(
                e.contains("SCIM_CONNECTOR_EVENT_RETENTION_DAYS"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn session_ttl_reads_units_and_bounds() {
        assert_eq!(parse_session_ttl("8h"), Ok(8 * 3600));
        assert_eq!(parse_session_ttl("30m"), Ok(1800));
        assert_eq!(parse_session_ttl("1d"), Ok(86_400));
        assert_eq!(parse_session_ttl("3600"), Ok(3600));
        assert_eq!(parse_session_ttl("90S"), Ok(90));
        for bad in ["0", "30s", "31d", "", "h", "8x", "-1h", "eight hours"] {
            let e = parse_session_ttl(bad).unwrap_err();
            assert!(e.contains("SCIM_CONNECTOR_ADMIN_SESSION_TTL"), "{bad}: {e}");
        }
    }

    /// `serve` as the environment configures it.
    #[derive(clap::Parser)]
    struct Serve {
        #[command(flatten)]
        serve: ServeConfig,
    }

    #[test]
    fn serve_defaults_and_refusals() {
        use clap::Parser;
        let s = Serve::try_parse_from(["x"]).unwrap().serve;
        assert_eq!(s.admin_session_ttl, 8 * 3600);
        assert_eq!(s.event_retention_days, 90);
        let s = Serve::try_parse_from([
            "x",
            "--admin-session-ttl",
            "2h",
            "--event-retention-days",
            "7",
        ])
        .unwrap()
        .serve;
        assert_eq!((s.admin_session_ttl, s.event_retention_days), (7200, 7));
        let e = Serve::try_parse_from(["x", "--event-retention-days", "0"])
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("at least 1 day"), "{e}");
        assert!(Serve::try_parse_from(["x", "--admin-session-ttl", "forever"]).is_err());
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Config {
            database_url: Some("postgres://u:hunter2@db/x".into()),
            pool_size: 4,
            token_secret: Some("supersecretsupersecretsupersecret".into()),
            log_format: "text".into(),
        };
        let s = format!("{c:?}");
        assert!(!s.contains("hunter2") && !s.contains("supersecret"), "{s}");
    }
}
