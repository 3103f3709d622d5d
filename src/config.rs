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

    /// Size of the database connection pool (SQLite is capped at 8).
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

    /// Days sync events are kept; older ones are pruned hourly in the background.
    #[arg(long, env = "SCIM_CONNECTOR_EVENT_RETENTION_DAYS", default_value_t = crate::domain::admin::sync::DEFAULT_RETENTION_DAYS)]
    pub event_retention_days: u32,
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
