//! Storage errors, and their conversion to domain errors at the port boundary.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::domain::error::DomainError;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A query failed.
    #[error(transparent)]
    Db(#[from] DieselError),
    /// No connection could be had.
    #[error("connection pool: {0}")]
    Pool(String),
    /// Migrations failed.
    #[error("migration: {0}")]
    Migration(String),
    /// A rule refused the change inside a transaction.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// An optimistic write lost a race; the caller retries.
    #[error("write conflict, retry")]
    Retry,
}

impl StoreError {
    /// Wrap a pool error.
    pub fn pool(e: impl std::fmt::Display) -> Self {
        StoreError::Pool(e.to_string())
    }

    /// Whether the query never reached the database or its connection is gone (closed,
    /// reset): the connection is to be replaced.
    pub fn is_disconnect(&self) -> bool {
        matches!(
            self,
            StoreError::Db(DieselError::DatabaseError(
                DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ClosedConnection,
                _
            ))
        )
    }

    /// Whether retrying the whole transaction may succeed (lost race, serialization failure).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StoreError::Retry
                | StoreError::Db(DieselError::DatabaseError(
                    DatabaseErrorKind::SerializationFailure,
                    _
                ))
        )
    }
}

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d,
            StoreError::Db(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                info,
            )) => {
                // PostgreSQL names the index; SQLite names the columns in the message.
                let text = format!(
                    "{} {}",
                    info.constraint_name().unwrap_or(""),
                    info.message()
                );
                DomainError::Conflict(
                    if text.contains("user_name_key") {
                        "userName is already in use in this tenant"
                    } else if text.contains("email_key") {
                        "the account email is already in use in this tenant"
                    } else if text.contains("display_name_key") {
                        "a group with this displayName already exists in this tenant"
                    } else if text.contains("scim_clients") {
                        "a live token with this name already exists"
                    } else {
                        "the value is already in use"
                    }
                    .to_string(),
                )
            }
            other => DomainError::Storage(other.to_string()),
        }
    }
}
