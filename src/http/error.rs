//! Every failure as an RFC 7644 3.12 error body, including actix's own (404, 405, 413...).

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};

use crate::domain::error::DomainError;
use crate::scim::error::ScimError;

/// The SCIM media type (RFC 7644 3.1).
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ApiError(pub ScimError);

impl From<ScimError> for ApiError {
    fn from(e: ScimError) -> Self {
        ApiError(e)
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        if let DomainError::Storage(detail) = &e {
            tracing::error!(%detail, "storage failure");
        }
        ApiError(e.to_scim())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.content_type(SCIM_CONTENT_TYPE);
        match self.0.status {
            401 => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"scim\""));
            }
            429 | 503 => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        res.body(self.0.to_body().to_string())
    }
}

/// `ErrorHandlers` hook: actix's own plain-text errors become SCIM error bodies; bodies that
/// are already SCIM errors pass through.
pub fn scim_error_body<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let already = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(SCIM_CONTENT_TYPE.as_bytes()));
    if already {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let err = match status.as_u16() {
        404 => ScimError::not_found("no such endpoint"),
        405 => ScimError::new(405, None, "method not allowed on this endpoint"),
        413 => ScimError::new(413, None, "the request body is too large"),
        400 => ScimError::invalid_syntax("the request could not be parsed"),
        415 => ScimError::new(
            415,
            None,
            "use Content-Type application/scim+json or application/json",
        ),
        s if s >= 500 => ScimError::new(s, None, "internal error"),
        s => ScimError::new(s, None, status.canonical_reason().unwrap_or("error")),
    };
    let (req, old) = res.into_parts();
    let mut new = HttpResponse::build(status);
    new.content_type(SCIM_CONTENT_TYPE);
    if let Some(allow) = old.headers().get(header::ALLOW) {
        new.insert_header((header::ALLOW, allow.clone()));
    }
    let new = new.body(err.to_body().to_string());
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}

/// Content type header value for SCIM responses.
pub fn scim_content_type() -> HeaderValue {
    HeaderValue::from_static(SCIM_CONTENT_TYPE)
}
