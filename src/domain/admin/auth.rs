//! Admin credentials and sign-in decisions: admin bearer tokens, sessions, one-time links and
//! who may sign in (design.md section 6).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use crate::domain::admin::ADMIN_ROLE;
use crate::domain::admin::port::AdminDirectory;
use crate::domain::error::DomainError;
use crate::domain::ids::TenantId;
use crate::domain::provisioning::Provisioning;

/// Prefix of admin bearer tokens, so they are told apart from SCIM tokens at a glance.
pub const ADMIN_TOKEN_PREFIX: &str = "scadm_";

/// Subject of a session opened by the one-time sign-in link `serve` prints. Such a session
/// names no person, so it is not re-checked against the directory: it stays valid until it
/// expires or is logged out (the link itself works once, from loopback only).
pub const LINK_SUBJECT: &str = "sign-in link";

/// A fresh random secret (32 bytes, URL-safe base64).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh admin bearer token.
pub fn new_admin_token() -> String {
    format!("{ADMIN_TOKEN_PREFIX}{}", random_secret())
}

/// An admin bearer token of a tenant (the secret itself is stored only as a hash).
#[derive(Debug, Clone)]
pub struct AdminToken {
    /// Id.
    pub id: String,
    /// Tenant.
    pub tenant: TenantId,
    /// Name given at issue time.
    pub name: String,
    /// Issue time (µs).
    pub created_at: i64,
    /// Revocation time (µs).
    pub revoked_at: Option<i64>,
    /// Last use (µs, updated at most once a minute).
    pub last_used_at: Option<i64>,
}

/// A signed-in admin's server-side session.
#[derive(Debug, Clone)]
pub struct AdminSession {
    /// Tenant administered.
    pub tenant: TenantId,
    /// Who signed in (the verified email, or [`LINK_SUBJECT`]).
    pub subject: String,
    /// The session's CSRF token, sent back in `X-CSRF-Token` on state-changing requests.
    pub csrf_token: String,
    /// Expiry (µs).
    pub expires_at: i64,
}

/// A tenant's OpenID Connect settings.
#[derive(Clone, PartialEq)]
pub struct OidcSettings {
    /// Issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    pub issuer_url: String,
    /// Client id registered at the issuer.
    pub client_id: String,
    /// Client secret (never logged: `Debug` hides it).
    pub client_secret: String,
    /// Redirect URL registered at the issuer (`<public url>/admin/oidc/callback`).
    pub redirect_url: String,
}

impl fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer_url", &self.issuer_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("redirect_url", &self.redirect_url)
            .finish()
    }
}

/// An authorization request in flight.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    /// Tenant signing in.
    pub tenant: TenantId,
    /// PKCE verifier.
    pub pkce_verifier: String,
    /// Nonce expected in the ID token.
    pub nonce: String,
}

/// Why a verified identity may administer the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminGrant {
    /// Listed in `SCIM_CONNECTOR_BOOTSTRAP_ADMINS`.
    Bootstrap,
    /// An active operator of the tenant holding the DialAiAdmin role.
    Operator,
}

/// Whether an email is a bootstrap admin (case-insensitive).
pub fn is_bootstrap_admin(bootstrap: &[String], email: &str) -> bool {
    bootstrap
        .iter()
        .any(|b| b.trim().eq_ignore_ascii_case(email.trim()))
}

/// Whether an operator's roles make it an admin.
pub fn holds_admin_role(roles: &[String]) -> bool {
    roles.iter().any(|r| r == ADMIN_ROLE)
}

impl<D: AdminDirectory> Provisioning<D> {
    /// Whether a verified email may administer a tenant: a bootstrap admin, or an active
    /// operator of the tenant (username or email equal to it) holding the DialAiAdmin role.
    pub async fn admin_grant(
        &self,
        tenant: TenantId,
        email: &str,
        bootstrap: &[String],
    ) -> Result<Option<AdminGrant>, DomainError> {
        if is_bootstrap_admin(bootstrap, email) {
            return Ok(Some(AdminGrant::Bootstrap));
        }
        let ids = self.dir.active_accounts_by_login(tenant, email).await?;
        let roles = self.dir.account_roles(tenant, &ids).await?;
        Ok(roles
            .values()
            .any(|r| holds_admin_role(r))
            .then_some(AdminGrant::Operator))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_and_random() {
        let (a, b) = (new_admin_token(), new_admin_token());
        assert!(a.starts_with(ADMIN_TOKEN_PREFIX) && a.len() > 40);
        assert_ne!(a, b);
    }

    #[test]
    fn bootstrap_admins_compare_case_insensitively() {
        let list = vec![" Root@Example.com".to_string()];
        assert!(is_bootstrap_admin(&list, "root@example.COM"));
        assert!(!is_bootstrap_admin(&list, "other@example.com"));
        assert!(holds_admin_role(&["DialAiAdmin".into()]));
        assert!(!holds_admin_role(&["Maintainer".into()]));
    }

    #[test]
    fn debug_hides_the_client_secret() {
        let s = OidcSettings {
            issuer_url: "https://idp".into(),
            client_id: "c".into(),
            client_secret: "hunter2".into(),
            redirect_url: "https://x/admin/oidc/callback".into(),
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
