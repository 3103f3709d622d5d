//! Admin credentials on both backends (migration `2026-11-28-000003_admin`): admin bearer
//! tokens, server-side sessions, OpenID Connect settings, sign-ins in flight and one-time
//! sign-in links. Secrets are looked up by their SHA-256 only.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::domain::admin::auth::{AdminSession, AdminToken, OidcSettings, PendingLogin};
use crate::domain::ids::TenantId;
use crate::store::Store;
use crate::store::error::StoreError;
use crate::{with_conn, with_write};

diesel::table! {
    /// Admin bearer tokens (hash only).
    admin_tokens (id) {
        /// Id.
        id -> Text,
        /// Tenant.
        tenant_id -> Text,
        /// Name.
        name -> Text,
        /// SHA-256 of the token, hex.
        token_hash -> Text,
        /// Issued (µs).
        created_at -> BigInt,
        /// Revoked (µs).
        revoked_at -> Nullable<BigInt>,
        /// Last use (µs).
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Server-side console sessions, by the hash of the cookie value.
    admin_sessions (id_hash) {
        /// SHA-256 of the cookie value, hex.
        id_hash -> Text,
        /// Tenant.
        tenant_id -> Text,
        /// Who signed in.
        subject -> Text,
        /// CSRF token of the session.
        csrf_token -> Text,
        /// Created (µs).
        created_at -> BigInt,
        /// Expires (µs).
        expires_at -> BigInt,
    }
}

diesel::table! {
    /// Per-tenant OpenID Connect settings.
    oidc_configs (tenant_id) {
        /// Tenant.
        tenant_id -> Text,
        /// Issuer URL.
        issuer_url -> Text,
        /// Client id.
        client_id -> Text,
        /// Client secret.
        client_secret -> Text,
        /// Redirect URL.
        redirect_url -> Text,
        /// Last change (µs).
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// Authorization requests in flight, by state.
    oidc_logins (state) {
        /// The state parameter.
        state -> Text,
        /// Tenant.
        tenant_id -> Text,
        /// PKCE verifier.
        pkce_verifier -> Text,
        /// Expected nonce.
        nonce -> Text,
        /// Created (µs).
        created_at -> BigInt,
        /// Expires (µs).
        expires_at -> BigInt,
    }
}

diesel::table! {
    /// One-time console sign-in links, by hash.
    admin_login_links (token_hash) {
        /// SHA-256 of the link's secret, hex.
        token_hash -> Text,
        /// Tenant.
        tenant_id -> Text,
        /// Created (µs).
        created_at -> BigInt,
        /// Expires (µs).
        expires_at -> BigInt,
    }
}

type TokenTuple = (String, String, String, i64, Option<i64>, Option<i64>);

fn token_of(t: TokenTuple) -> Option<AdminToken> {
    Some(AdminToken {
        id: t.0,
        tenant: TenantId::parse(&t.1)?,
        name: t.2,
        created_at: t.3,
        revoked_at: t.4,
        last_used_at: t.5,
    })
}

const TOKEN_COLUMNS: (
    admin_tokens::id,
    admin_tokens::tenant_id,
    admin_tokens::name,
    admin_tokens::created_at,
    admin_tokens::revoked_at,
    admin_tokens::last_used_at,
) = (
    admin_tokens::id,
    admin_tokens::tenant_id,
    admin_tokens::name,
    admin_tokens::created_at,
    admin_tokens::revoked_at,
    admin_tokens::last_used_at,
);

impl Store {
    /// Store a new admin token (its hash).
    pub async fn insert_admin_token(
        &self,
        tenant: TenantId,
        id: &str,
        name: &str,
        hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        with_write!(self, |c, _d| {
            diesel::insert_into(admin_tokens::table)
                .values((
                    admin_tokens::id.eq(id),
                    admin_tokens::tenant_id.eq(tenant.to_string()),
                    admin_tokens::name.eq(name),
                    admin_tokens::token_hash.eq(hash),
                    admin_tokens::created_at.eq(now),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// The live admin token with this hash.
    pub async fn admin_token_by_hash(&self, hash: &str) -> Result<Option<AdminToken>, StoreError> {
        let row: Option<TokenTuple> = with_conn!(self, |c, _d| {
            admin_tokens::table
                .filter(admin_tokens::token_hash.eq(hash))
                .filter(admin_tokens::revoked_at.is_null())
                .select(TOKEN_COLUMNS)
                .first(c)
                .await
                .optional()?
        });
        Ok(row.and_then(token_of))
    }

    /// A tenant's admin tokens, newest first.
    pub async fn list_admin_tokens(&self, tenant: TenantId) -> Result<Vec<AdminToken>, StoreError> {
        let rows: Vec<TokenTuple> = with_conn!(self, |c, _d| {
            admin_tokens::table
                .filter(admin_tokens::tenant_id.eq(tenant.to_string()))
                .select(TOKEN_COLUMNS)
                .order(admin_tokens::created_at.desc())
                .load(c)
                .await?
        });
        Ok(rows.into_iter().filter_map(token_of).collect())
    }

    /// Revoke a tenant's live admin tokens by name or id; returns how many.
    pub async fn revoke_admin_token(
        &self,
        tenant: TenantId,
        name_or_id: &str,
        now: i64,
    ) -> Result<usize, StoreError> {
        with_write!(self, |c, _d| {
            let n = diesel::update(
                admin_tokens::table
                    .filter(admin_tokens::tenant_id.eq(tenant.to_string()))
                    .filter(admin_tokens::revoked_at.is_null())
                    .filter(
                        admin_tokens::name
                            .eq(name_or_id)
                            .or(admin_tokens::id.eq(name_or_id)),
                    ),
            )
            .set(admin_tokens::revoked_at.eq(now))
            .execute(c)
            .await?;
            Ok(n)
        })
    }

    /// Record use of an admin token, at most once a minute.
    pub async fn touch_admin_token(&self, id: &str, now: i64) -> Result<(), StoreError> {
        let stale = now - 60_000_000;
        with_write!(self, |c, _d| {
            diesel::update(
                admin_tokens::table.filter(admin_tokens::id.eq(id)).filter(
                    admin_tokens::last_used_at
                        .is_null()
                        .or(admin_tokens::last_used_at.lt(stale)),
                ),
            )
            .set(admin_tokens::last_used_at.eq(now))
            .execute(c)
            .await?;
            Ok(())
        })
    }

    /// Open a session.
    pub async fn insert_admin_session(
        &self,
        id_hash: &str,
        s: &AdminSession,
        now: i64,
    ) -> Result<(), StoreError> {
        with_write!(self, |c, _d| {
            diesel::insert_into(admin_sessions::table)
                .values((
                    admin_sessions::id_hash.eq(id_hash),
                    admin_sessions::tenant_id.eq(s.tenant.to_string()),
                    admin_sessions::subject.eq(&s.subject),
                    admin_sessions::csrf_token.eq(&s.csrf_token),
                    admin_sessions::created_at.eq(now),
                    admin_sessions::expires_at.eq(s.expires_at),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// The unexpired session with this hash.
    pub async fn admin_session(
        &self,
        id_hash: &str,
        now: i64,
    ) -> Result<Option<AdminSession>, StoreError> {
        let row: Option<(String, String, String, i64)> = with_conn!(self, |c, _d| {
            admin_sessions::table
                .filter(admin_sessions::id_hash.eq(id_hash))
                .filter(admin_sessions::expires_at.gt(now))
                .select((
                    admin_sessions::tenant_id,
                    admin_sessions::subject,
                    admin_sessions::csrf_token,
                    admin_sessions::expires_at,
                ))
                .first(c)
                .await
                .optional()?
        });
        Ok(row.and_then(|(t, subject, csrf_token, expires_at)| {
            Some(AdminSession {
                tenant: TenantId::parse(&t)?,
                subject,
                csrf_token,
                expires_at,
            })
        }))
    }

    /// End a session (logout).
    pub async fn delete_admin_session(&self, id_hash: &str) -> Result<(), StoreError> {
        with_write!(self, |c, _d| {
            diesel::delete(admin_sessions::table.filter(admin_sessions::id_hash.eq(id_hash)))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Set (or replace) a tenant's OpenID Connect settings.
    pub async fn set_oidc_settings(
        &self,
        tenant: TenantId,
        s: &OidcSettings,
        now: i64,
    ) -> Result<(), StoreError> {
        let t = tenant.to_string();
        with_write!(self, |c, _d| {
            diesel::delete(oidc_configs::table.filter(oidc_configs::tenant_id.eq(&t)))
                .execute(c)
                .await?;
            diesel::insert_into(oidc_configs::table)
                .values((
                    oidc_configs::tenant_id.eq(&t),
                    oidc_configs::issuer_url.eq(&s.issuer_url),
                    oidc_configs::client_id.eq(&s.client_id),
                    oidc_configs::client_secret.eq(&s.client_secret),
                    oidc_configs::redirect_url.eq(&s.redirect_url),
                    oidc_configs::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// A tenant's OpenID Connect settings.
    pub async fn oidc_settings(
        &self,
        tenant: TenantId,
    ) -> Result<Option<OidcSettings>, StoreError> {
        let row: Option<(String, String, String, String)> = with_conn!(self, |c, _d| {
            oidc_configs::table
                .filter(oidc_configs::tenant_id.eq(tenant.to_string()))
                .select((
                    oidc_configs::issuer_url,
                    oidc_configs::client_id,
                    oidc_configs::client_secret,
                    oidc_configs::redirect_url,
                ))
                .first(c)
                .await
                .optional()?
        });
        Ok(row.map(
            |(issuer_url, client_id, client_secret, redirect_url)| OidcSettings {
                issuer_url,
                client_id,
                client_secret,
                redirect_url,
            },
        ))
    }

    /// Remember an authorization request until the issuer redirects back.
    pub async fn insert_pending_login(
        &self,
        state: &str,
        p: &PendingLogin,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        with_write!(self, |c, _d| {
            diesel::insert_into(oidc_logins::table)
                .values((
                    oidc_logins::state.eq(state),
                    oidc_logins::tenant_id.eq(p.tenant.to_string()),
                    oidc_logins::pkce_verifier.eq(&p.pkce_verifier),
                    oidc_logins::nonce.eq(&p.nonce),
                    oidc_logins::created_at.eq(now),
                    oidc_logins::expires_at.eq(expires_at),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Take (use once) the unexpired authorization request of a state.
    pub async fn take_pending_login(
        &self,
        state: &str,
        now: i64,
    ) -> Result<Option<PendingLogin>, StoreError> {
        let row: Option<(String, String, String, i64)> = with_write!(self, |c, _d| {
            diesel::delete(oidc_logins::table.filter(oidc_logins::state.eq(state)))
                .returning((
                    oidc_logins::tenant_id,
                    oidc_logins::pkce_verifier,
                    oidc_logins::nonce,
                    oidc_logins::expires_at,
                ))
                .get_result(c)
                .await
                .optional()?
        });
        Ok(row
            .filter(|r| r.3 > now)
            .and_then(|(t, pkce_verifier, nonce, _)| {
                Some(PendingLogin {
                    tenant: TenantId::parse(&t)?,
                    pkce_verifier,
                    nonce,
                })
            }))
    }

    /// Store a one-time sign-in link (its hash).
    pub async fn insert_login_link(
        &self,
        hash: &str,
        tenant: TenantId,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        with_write!(self, |c, _d| {
            diesel::insert_into(admin_login_links::table)
                .values((
                    admin_login_links::token_hash.eq(hash),
                    admin_login_links::tenant_id.eq(tenant.to_string()),
                    admin_login_links::created_at.eq(now),
                    admin_login_links::expires_at.eq(expires_at),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Use a sign-in link: its tenant, once, if unexpired.
    pub async fn take_login_link(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<TenantId>, StoreError> {
        let row: Option<(String, i64)> = with_write!(self, |c, _d| {
            diesel::delete(admin_login_links::table.filter(admin_login_links::token_hash.eq(hash)))
                .returning((admin_login_links::tenant_id, admin_login_links::expires_at))
                .get_result(c)
                .await
                .optional()?
        });
        Ok(row
            .filter(|r| r.1 > now)
            .and_then(|r| TenantId::parse(&r.0)))
    }

    /// Delete expired sessions, sign-ins in flight and links; returns how many rows went.
    pub async fn prune_expired_credentials(&self, now: i64) -> Result<usize, StoreError> {
        with_write!(self, |c, _d| {
            let a =
                diesel::delete(admin_sessions::table.filter(admin_sessions::expires_at.le(now)))
                    .execute(c)
                    .await?;
            let b = diesel::delete(oidc_logins::table.filter(oidc_logins::expires_at.le(now)))
                .execute(c)
                .await?;
            let l = diesel::delete(
                admin_login_links::table.filter(admin_login_links::expires_at.le(now)),
            )
            .execute(c)
            .await?;
            Ok(a + b + l)
        })
    }
}
