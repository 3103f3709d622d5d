//! Tenants, SCIM clients and their bearer tokens (design.md section 6).

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::error::DomainError;
use crate::domain::ids::{ClientId, TenantId};

/// A tenant: one customer of the platform.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// Id.
    pub id: TenantId,
    /// Short name used on the command line.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A SCIM client: one bearer token of one tenant.
#[derive(Debug, Clone)]
pub struct ScimClient {
    /// Id (the token's `jti`).
    pub id: ClientId,
    /// Tenant.
    pub tenant: TenantId,
    /// Name given at issue time (e.g. `okta`).
    pub name: String,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// Issue time.
    pub created_at: DateTime<Utc>,
    /// Revocation time.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last authenticated request (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A bearer token whose signature holds and whose client row is still to be checked.
///
/// design.md section 6: every request checks its token against the database, so a revocation
/// holds at once on every replica. A read carries that check in its own round trip: the store
/// sends the client lookup pipelined just before the read on the same connection and decides
/// the gate from it before the read's answer is used ([`AuthGate::decide`]). Whatever request
/// work ends with the gate still open has it checked then (`Directory::settle_gate`), so no
/// answer and no sync event leaves for a revoked token.
#[derive(Debug)]
pub struct AuthGate {
    /// Tenant the token names.
    pub tenant: TenantId,
    /// Client the token names.
    pub client: ClientId,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// When the request arrived (µs since the epoch): the client's last use.
    pub at: i64,
    verdict: std::sync::OnceLock<bool>,
}

impl AuthGate {
    /// A gate for a token of `client` of `tenant` with this hash, not yet checked.
    pub fn new(tenant: TenantId, client: ClientId, token_hash: String, at: i64) -> Self {
        AuthGate {
            tenant,
            client,
            token_hash,
            at,
            verdict: std::sync::OnceLock::new(),
        }
    }

    /// Whether the client row is still to be checked.
    pub fn is_open(&self) -> bool {
        self.verdict.get().is_none()
    }

    /// The verdict so far: None while open.
    pub fn verdict(&self) -> Option<Result<(), DomainError>> {
        self.verdict.get().map(|ok| Self::result(*ok))
    }

    /// Decide from the client row as read (None: no such client). The first decision stands.
    /// Ok(true) when the client's last use is over a minute old and is due to be recorded.
    pub fn decide(&self, client: Option<&ScimClient>) -> Result<bool, DomainError> {
        let ok = client.is_some_and(|c| {
            c.id == self.client
                && c.tenant == self.tenant
                && c.revoked_at.is_none()
                && digest_eq(&c.token_hash, &self.token_hash)
        });
        Self::result(*self.verdict.get_or_init(|| ok))?;
        Ok(client
            .and_then(|c| c.last_used_at)
            .is_none_or(|t| self.at - t.timestamp_micros() > 60_000_000))
    }

    fn result(ok: bool) -> Result<(), DomainError> {
        if ok {
            Ok(())
        } else {
            Err(DomainError::Unauthorized(
                "the bearer token is revoked or unknown".into(),
            ))
        }
    }
}

/// Claims of a SCIM bearer token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenClaims {
    /// Tenant id.
    pub tid: String,
    /// Client id (also the token id).
    pub jti: String,
    /// Issued at (seconds).
    pub iat: i64,
    /// Optional expiry (seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issuer.
    pub iss: String,
}

/// Issuer claim of our tokens.
pub const ISSUER: &str = "scim-connector";

/// Signs and verifies SCIM bearer tokens (HS256 with the service's key).
#[derive(Clone)]
pub struct TokenSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Tokens whose signature and claims held, with what they name. A token without expiry
    /// verifies the same way every time under one key, so its verdict is kept rather than
    /// decoded again on every request (decoding was 7% of the server's time per GET). Only
    /// the signature is remembered: whether the client is still live is asked of the
    /// database on every request (design.md section 6). Bounded: emptied when full.
    verified: Arc<Mutex<Verified>>,
}

/// Verified tokens and what they name.
type Verified = HashMap<Box<str>, (TenantId, ClientId)>;

/// Most tokens [`TokenSigner`] remembers (a tenant has a few clients; this bounds memory
/// whatever the traffic).
const VERIFIED_CAPACITY: usize = 4096;

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner(..)")
    }
}

impl TokenSigner {
    /// A signer for a secret key.
    pub fn new(secret: &[u8]) -> Self {
        TokenSigner {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            verified: Arc::default(),
        }
    }

    /// Sign a token for a client.
    pub fn issue(
        &self,
        tenant: TenantId,
        client: ClientId,
        now: DateTime<Utc>,
    ) -> Result<String, DomainError> {
        let claims = TokenClaims {
            tid: tenant.to_string(),
            jti: client.to_string(),
            iat: now.timestamp(),
            exp: None,
            iss: ISSUER.to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| DomainError::Storage(format!("token signing failed: {e}")))
    }

    /// Verify the signature and claims; the caller then checks the client in the database.
    pub fn verify(&self, token: &str) -> Result<(TenantId, ClientId), DomainError> {
        if let Some(known) = self.memo().get(token) {
            return Ok(*known);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.required_spec_claims.clear();
        validation.validate_exp = true;
        let data = jsonwebtoken::decode::<TokenClaims>(token, &self.decoding, &validation)
            .map_err(|_| DomainError::Unauthorized("the bearer token is invalid".into()))?;
        let tenant = TenantId::parse(&data.claims.tid);
        let client = ClientId::parse(&data.claims.jti);
        let (Some(t), Some(c)) = (tenant, client) else {
            return Err(DomainError::Unauthorized(
                "the bearer token is invalid".into(),
            ));
        };
        // A token with an expiry is decoded every time, so that it stops at its expiry.
        if data.claims.exp.is_none() {
            let mut memo = self.memo();
            if memo.len() >= VERIFIED_CAPACITY {
                memo.clear();
            }
            memo.insert(token.into(), (t, c));
        }
        Ok((t, c))
    }

    fn memo(&self) -> std::sync::MutexGuard<'_, Verified> {
        // The map holds no invariant a panicking holder could break.
        self.verified.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// SHA-256 of a token, hex encoded. Tokens are long random secrets, so a fast hash is right.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time equality of two hex digests.
pub fn digest_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_token_verifies_and_other_key_fails() {
        let signer = TokenSigner::new(b"0123456789abcdef0123456789abcdef");
        let (t, c) = (TenantId::random(), ClientId::random());
        let token = signer.issue(t, c, Utc::now()).unwrap();
        assert_eq!(signer.verify(&token).unwrap(), (t, c));
        let other = TokenSigner::new(b"another-key-another-key-another-");
        assert!(matches!(
            other.verify(&token),
            Err(DomainError::Unauthorized(_))
        ));
        assert!(signer.verify("not-a-jwt").is_err());
        // Remembered verdicts change nothing: the same answers again, and a tampered or
        // foreign token is still refused after a good one was remembered.
        assert_eq!(signer.verify(&token).unwrap(), (t, c));
        assert!(other.verify(&token).is_err());
        let mut tampered = token.clone();
        tampered.pop();
        assert!(signer.verify(&tampered).is_err());
        assert!(signer.verify("not-a-jwt").is_err());
    }

    #[test]
    fn a_token_with_an_expiry_is_refused_once_expired() {
        let signer = TokenSigner::new(b"0123456789abcdef0123456789abcdef");
        let claims = |exp: i64| TokenClaims {
            tid: TenantId::random().to_string(),
            jti: ClientId::random().to_string(),
            iat: 0,
            exp: Some(exp),
            iss: ISSUER.to_string(),
        };
        let sign = |c: &TokenClaims| {
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), c, &signer.encoding).unwrap()
        };
        let live = sign(&claims(Utc::now().timestamp() + 3600));
        assert!(signer.verify(&live).is_ok());
        assert!(signer.verify(&live).is_ok());
        let expired = sign(&claims(Utc::now().timestamp() - 3600));
        assert!(signer.verify(&expired).is_err());
        // Never remembered: only tokens without expiry are.
        assert!(signer.memo().is_empty());
    }

    #[test]
    fn auth_gate_opens_only_for_the_live_client_of_its_tenant_and_hash() {
        let (t, c) = (TenantId::random(), ClientId::random());
        let now = Utc::now();
        let client = |f: &dyn Fn(&mut ScimClient)| {
            let mut cl = ScimClient {
                id: c,
                tenant: t,
                name: "okta".into(),
                token_hash: token_hash("tok"),
                created_at: now,
                revoked_at: None,
                last_used_at: Some(now),
            };
            f(&mut cl);
            cl
        };
        let gate = || AuthGate::new(t, c, token_hash("tok"), now.timestamp_micros());
        // Open until decided; a fresh use is not due to be recorded, a stale or absent one is.
        let g = gate();
        assert!(g.is_open() && g.verdict().is_none());
        assert!(!g.decide(Some(&client(&|_| {}))).unwrap());
        assert!(!g.is_open() && g.verdict().unwrap().is_ok());
        assert!(
            gate()
                .decide(Some(&client(&|cl| cl.last_used_at = None)))
                .unwrap()
        );
        assert!(
            gate()
                .decide(Some(&client(&|cl| {
                    cl.last_used_at = Some(now - chrono::Duration::minutes(2))
                })))
                .unwrap()
        );
        // Refused: no row, revoked, another tenant's, another token's hash, another client.
        let refusals: [Option<ScimClient>; 5] = [
            None,
            Some(client(&|cl| cl.revoked_at = Some(now))),
            Some(client(&|cl| cl.tenant = TenantId::random())),
            Some(client(&|cl| cl.token_hash = token_hash("other"))),
            Some(client(&|cl| cl.id = ClientId::random())),
        ];
        for row in refusals {
            let g = gate();
            assert!(matches!(
                g.decide(row.as_ref()),
                Err(DomainError::Unauthorized(_))
            ));
            assert!(g.verdict().unwrap().is_err());
            // The first decision stands.
            assert!(g.decide(Some(&client(&|_| {}))).is_err());
        }
    }

    #[test]
    fn digest_compare() {
        let h = token_hash("abc");
        assert!(digest_eq(&h, &token_hash("abc")));
        assert!(!digest_eq(&h, &token_hash("abd")));
        assert!(!digest_eq(&h, "short"));
    }
}
