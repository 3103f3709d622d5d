//! The `scim-connector` command: serve, migrate, tenants, tokens, skills, roles.

use std::sync::Arc;

use actix_web::HttpServer;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use scim_connector::app;
use scim_connector::config::{Config, ServeConfig};
use scim_connector::domain::admin::auth::OidcSettings;
use scim_connector::domain::clock::from_micros;
use scim_connector::domain::clock::{Clock, SystemClock};
use scim_connector::domain::tenant::Tenant;
use scim_connector::http::admin::AdminSettings;
use scim_connector::store::Store;

/// mimalloc: a request allocates many small JSON values; glibc malloc spent ~40% of the
/// server's CPU on them (perf, `list_page`).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "scim-connector",
    version,
    about = "SCIM 2.0 provisioning for contact-center operator accounts"
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

/// `serve` without a command line: its settings from the environment.
#[derive(Parser)]
struct ServeFromEnv {
    #[command(flatten)]
    serve: ServeConfig,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default command).
    Serve(ServeConfig),
    /// Run pending database migrations and exit.
    Migrate,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// Manage SCIM bearer tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Manage a tenant's skill catalog (operator extension `skills`).
    #[command(subcommand)]
    Skill(SkillCmd),
    /// Map groups to platform roles.
    #[command(subcommand)]
    Role(RoleCmd),
    /// Manage admin API bearer tokens (distinct from SCIM tokens).
    #[command(subcommand, name = "admin-token")]
    AdminToken(AdminTokenCmd),
    /// Configure OpenID Connect sign-in to the admin console, per tenant.
    #[command(subcommand)]
    Oidc(OidcCmd),
}

#[derive(Subcommand)]
enum AdminTokenCmd {
    /// Issue an admin token; it is printed once, alone on the last line.
    Issue {
        /// Tenant slug.
        #[arg(long, env = "SCIM_CONNECTOR_TENANT")]
        tenant: String,
        /// Token name (who or what uses it).
        #[arg(long)]
        name: String,
    },
    /// List a tenant's admin tokens.
    List {
        /// Tenant slug.
        #[arg(long, env = "SCIM_CONNECTOR_TENANT")]
        tenant: String,
    },
    /// Revoke admin tokens by name or id.
    Revoke {
        /// Tenant slug.
        #[arg(long, env = "SCIM_CONNECTOR_TENANT")]
        tenant: String,
        /// Token name or id.
        name_or_id: String,
    },
}

#[derive(Subcommand)]
enum OidcCmd {
    /// Set the tenant's issuer, client and redirect URL (replaces earlier settings).
    Set {
        /// Tenant slug.
        #[arg(long, env = "SCIM_CONNECTOR_TENANT")]
        tenant: String,
        /// Issuer URL (discovery at <issuer>/.well-known/openid-configuration).
        #[arg(long)]
        issuer: String,
        /// Client id registered at the issuer.
        #[arg(long)]
        client_id: String,
        /// Client secret (prefer the environment variable: it stays out of shell history).
        #[arg(
            long,
            env = "SCIM_CONNECTOR_OIDC_CLIENT_SECRET",
            hide_env_values = true
        )]
        client_secret: String,
        /// Redirect URL registered at the issuer: <public url>/admin/oidc/callback.
        #[arg(long)]
        redirect_url: String,
    },
    /// Show the tenant's settings (the secret is not shown).
    Show {
        /// Tenant slug.
        #[arg(long, env = "SCIM_CONNECTOR_TENANT")]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum TenantCmd {
    /// Create a tenant.
    Create {
        /// Short name used by the other commands.
        slug: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
    },
    /// List tenants.
    List,
}

#[derive(Subcommand)]
enum TokenCmd {
    /// Issue a token; it is printed once, alone on the last line.
    Issue {
        /// Tenant slug.
        #[arg(long, env = "SCIM_CONNECTOR_TENANT")]
        tenant: String,
        /// Client name (e.g. okta, entra).
        #[arg(long)]
        name: String,
    },
    /// List a tenant's tokens.
    List {
        /// Tenant slug.
        #[arg(long, env = "SCIM_CONNECTOR_TENANT")]
        tenant: String,
    },
    /// Revoke a token by client name or id; effective at once on every replica.
    Revoke {
        /// Tenant slug.
        #[arg(long, env = "SCIM_CONNECTOR_TENANT")]
        tenant: String,
        /// Client name or id.
        name_or_id: String,
    },
}

#[derive(Subcommand)]
enum SkillCmd {
    /// Add skills to the catalog.
    Add {
        /// Tenant slug.
        #[arg(long, env = "SCIM_CONNECTOR_TENANT")]
        tenant: String,
        /// Skill names.
        #[arg(required = true)]
        skills: Vec<String>,
    },
    /// List the catalog.
    List {
        /// Tenant slug.
        #[arg(long, env = "SCIM_CONNECTOR_TENANT")]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum RoleCmd {
    /// Map a group (by displayName) to a role.
    Map {
        /// Tenant slug.
        #[arg(long, env = "SCIM_CONNECTOR_TENANT")]
        tenant: String,
        /// Group displayName.
        #[arg(long)]
        group: String,
        /// Platform role (e.g. DialAiAdmin, Maintainer, Read-Only).
        #[arg(long)]
        role: String,
    },
}

fn init_tracing(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn tenant(store: &Store, slug: &str) -> anyhow::Result<Tenant> {
    store
        .tenant_by_slug(slug)
        .await?
        .with_context(|| format!("no tenant '{slug}' (see `scim-connector tenant list`)"))
}

// One runtime thread: requests run on actix's own worker threads; this one runs start-up,
// the CLI and background writers (multi-threaded only because migrations block in place).
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(&cli.config.log_format);
    // No command: `serve`, configured by the environment and checked by the same parsers.
    let command = match cli.command {
        Some(c) => c,
        None => Command::Serve(
            ServeFromEnv::try_parse_from(["scim-connector serve"])
                .unwrap_or_else(|e| e.exit())
                .serve,
        ),
    };
    let cfg = cli.config;
    let store = app::open_store(cfg.database_url.as_deref(), cfg.pool_size).await?;
    let clock = SystemClock;
    let now = clock.now();
    match command {
        Command::Migrate => println!("migrations are up to date"),
        Command::Tenant(TenantCmd::Create { slug, name }) => {
            let t = store
                .create_tenant(
                    &slug,
                    name.as_deref().unwrap_or(&slug),
                    now.timestamp_micros(),
                )
                .await?;
            println!("created tenant {} ({})", t.slug, t.id);
        }
        Command::Tenant(TenantCmd::List) => {
            for t in store.list_tenants().await? {
                println!("{}\t{}\t{}", t.slug, t.id, t.name);
            }
        }
        Command::Token(TokenCmd::Issue { tenant: slug, name }) => {
            let t = tenant(&store, &slug).await?;
            let signer = app::signer(&store, cfg.token_secret.as_deref()).await?;
            let (client, token) = app::issue_token(&store, &signer, t.id, &name, now).await?;
            println!(
                "issued token '{}' ({}) for tenant {}; it is shown only once:",
                client.name, client.id, t.slug
            );
            println!("{token}");
        }
        Command::Token(TokenCmd::List { tenant: slug }) => {
            let t = tenant(&store, &slug).await?;
            for c in store.list_clients(t.id).await? {
                let state = match c.revoked_at {
                    Some(at) => format!("revoked {at}"),
                    None => "active".into(),
                };
                let used = c
                    .last_used_at
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_else(|| "never".into());
                println!(
                    "{}\t{}\t{}\tcreated {}\tlast used {}",
                    c.name,
                    c.id,
                    state,
                    c.created_at.to_rfc3339(),
                    used
                );
            }
        }
        Command::Token(TokenCmd::Revoke {
            tenant: slug,
            name_or_id,
        }) => {
            let t = tenant(&store, &slug).await?;
            let n = store
                .revoke_client(t.id, &name_or_id, now.timestamp_micros())
                .await?;
            if n == 0 {
                bail!("no live token '{name_or_id}' in tenant {slug}");
            }
            println!("revoked {n} token(s)");
        }
        Command::Skill(SkillCmd::Add {
            tenant: slug,
            skills,
        }) => {
            let t = tenant(&store, &slug).await?;
            store
                .add_skills(t.id, &skills, now.timestamp_micros())
                .await?;
            println!(
                "catalog of {slug}: {}",
                store.list_skills(t.id).await?.join(", ")
            );
        }
        Command::Skill(SkillCmd::List { tenant: slug }) => {
            let t = tenant(&store, &slug).await?;
            for s in store.list_skills(t.id).await? {
                println!("{s}");
            }
        }
        Command::Role(RoleCmd::Map {
            tenant: slug,
            group,
            role,
        }) => {
            let t = tenant(&store, &slug).await?;
            store.map_role(t.id, &group, &role).await?;
            println!("group '{group}' now grants role '{role}' in tenant {slug}");
        }
        Command::AdminToken(AdminTokenCmd::Issue { tenant: slug, name }) => {
            let t = tenant(&store, &slug).await?;
            let token = app::issue_admin_token(&store, t.id, &name, now.timestamp_micros()).await?;
            println!(
                "issued admin token '{name}' for tenant {}; it is shown only once:",
                t.slug
            );
            println!("{token}");
        }
        Command::AdminToken(AdminTokenCmd::List { tenant: slug }) => {
            let t = tenant(&store, &slug).await?;
            for a in store.list_admin_tokens(t.id).await? {
                let state = if a.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let used = a
                    .last_used_at
                    .map(|t| from_micros(t).to_rfc3339())
                    .unwrap_or_else(|| "never".into());
                println!(
                    "{}\t{}\t{state}\tcreated {}\tlast used {used}",
                    a.name,
                    a.id,
                    from_micros(a.created_at).to_rfc3339()
                );
            }
        }
        Command::AdminToken(AdminTokenCmd::Revoke {
            tenant: slug,
            name_or_id,
        }) => {
            let t = tenant(&store, &slug).await?;
            let n = store
                .revoke_admin_token(t.id, &name_or_id, now.timestamp_micros())
                .await?;
            if n == 0 {
                bail!("no live admin token '{name_or_id}' in tenant {slug}");
            }
            println!("revoked {n} admin token(s)");
        }
        Command::Oidc(OidcCmd::Set {
            tenant: slug,
            issuer,
            client_id,
            client_secret,
            redirect_url,
        }) => {
            let t = tenant(&store, &slug).await?;
            for (what, u) in [("issuer", &issuer), ("redirect URL", &redirect_url)] {
                url::Url::parse(u).with_context(|| format!("the {what} is not a URL"))?;
            }
            let settings = OidcSettings {
                issuer_url: issuer,
                client_id,
                client_secret,
                redirect_url,
            };
            store
                .set_oidc_settings(t.id, &settings, now.timestamp_micros())
                .await?;
            println!(
                "OpenID Connect sign-in set for tenant {slug}: issuer {}, client {}",
                settings.issuer_url, settings.client_id
            );
        }
        Command::Oidc(OidcCmd::Show { tenant: slug }) => {
            let t = tenant(&store, &slug).await?;
            match store.oidc_settings(t.id).await? {
                Some(s) => println!(
                    "issuer {}\nclient id {}\nclient secret (set, not shown)\nredirect URL {}",
                    s.issuer_url, s.client_id, s.redirect_url
                ),
                None => println!("OpenID Connect is not configured for tenant {slug}"),
            }
        }
        Command::Serve(serve) => {
            let signer = app::signer(&store, cfg.token_secret.as_deref()).await?;
            let base_url = serve.scim_base_url();
            if store.list_tenants().await?.is_empty() {
                // First start on an empty database: a default tenant and a token to paste
                // into Okta or Entra. A replica that loses this race just serves.
                if let Ok(t) = store
                    .create_tenant("default", "Default tenant", now.timestamp_micros())
                    .await
                {
                    let (_, token) =
                        app::issue_token(&store, &signer, t.id, "initial", now).await?;
                    println!("scim-connector: first start, created tenant 'default'.");
                    println!("SCIM base URL: {base_url}");
                    println!("Bearer token (shown once; store it in your IdP):");
                    println!("{token}");
                }
            }
            let admin = AdminSettings {
                public_url: serve.root_url(),
                bootstrap_admins: serve.bootstrap_admins.clone(),
                event_retention_days: serve.event_retention_days,
                session_ttl_secs: serve.admin_session_ttl,
            };
            let state = app::state_with_admin(
                store.clone(),
                signer,
                Arc::new(SystemClock),
                base_url.clone(),
                admin,
            )?;
            app::spawn_maintenance(
                store.clone(),
                Arc::new(SystemClock),
                serve.event_retention_days,
            );
            if serve.loopback_only() {
                // Without OpenID Connect there is no other way into the console: a one-time
                // link, printed only when nothing but this machine can reach the service.
                for t in store.list_tenants().await? {
                    if store.oidc_settings(t.id).await?.is_none() {
                        let secret =
                            app::issue_login_link(&store, t.id, now.timestamp_micros()).await?;
                        println!(
                            "Admin console for tenant {} (one-time sign-in link, valid 15 minutes): {}/admin/login/link?token={secret}",
                            t.slug,
                            serve.root_url()
                        );
                    }
                }
            }
            let mut server = HttpServer::new(move || app::app(state.clone()))
                .shutdown_timeout(30)
                .bind(&serve.bind)
                .with_context(|| format!("binding {}", serve.bind))?;
            if let Some(w) = serve.workers {
                server = server.workers(w);
            }
            println!(
                "scim-connector listening on http://{} (SCIM base URL {base_url})",
                serve.bind
            );
            server.run().await?;
            // In-flight requests are finished; write the read events still queued.
            store.flush_events().await;
        }
    }
    Ok(())
}
