//! Domain errors: what a provisioning rule or the storage port can report.
//!
//! `store/` converts its own `StoreError` into this; `http/` maps this to a SCIM error body.

use crate::scim::error::ScimError;

/// A failed domain operation.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// A SCIM-level refusal (bad input, mutability, invalid filter...) with its status.
    #[error(transparent)]
    Scim(#[from] ScimError),
    /// The resource does not exist (or belongs to another tenant, or is soft-deleted).
    #[error("{0} not found")]
    NotFound(String),
    /// A uniqueness constraint refused the write.
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` named a version that is no longer current.
    #[error("version mismatch: the resource was modified")]
    PreconditionFailed,
    /// Missing, malformed, expired or revoked credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// The database failed or is unreachable; the detail is logged, not shown.
    #[error("storage failure: {0}")]
    Storage(String),
}

impl DomainError {
    /// The SCIM error a client sees for this failure (RFC 7644 3.12).
    pub fn to_scim(&self) -> ScimError {
        match self {
            DomainError::Scim(e) => e.clone(),
            DomainError::NotFound(what) => ScimError::not_found(format!("{what} not found")),
            DomainError::Conflict(detail) => ScimError::uniqueness(detail.clone()),
            DomainError::PreconditionFailed => ScimError::precondition_failed(
                "If-Match does not match the current version of the resource",
            ),
            DomainError::Unauthorized(detail) => ScimError::new(401, None, detail.clone()),
            DomainError::Storage(_) => ScimError::new(
                503,
                None,
                "the service is temporarily unavailable; retry later",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_its_status() {
        let cases: Vec<(DomainError, u16, Option<&str>)> = vec![
            (ScimError::mutability("x").into(), 400, Some("mutability")),
            (DomainError::NotFound("User 1".into()), 404, None),
            (
                DomainError::Conflict("userName taken".into()),
                409,
                Some("uniqueness"),
            ),
            (DomainError::PreconditionFailed, 412, None),
            (DomainError::Unauthorized("bad token".into()), 401, None),
            (DomainError::Storage("db down".into()), 503, None),
        ];
        for (err, status, scim_type) in cases {
            let scim = err.to_scim();
            assert_eq!(scim.status, status, "{err:?}");
            assert_eq!(scim.scim_type.map(|t| t.as_str()), scim_type, "{err:?}");
        }
    }

    #[test]
    fn storage_detail_is_not_shown() {
        let scim = DomainError::Storage("password=hunter2".into()).to_scim();
        assert!(!scim.detail.contains("hunter2"));
    }
}
