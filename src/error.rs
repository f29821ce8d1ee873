//! The one place errors become HTTP responses: every refusal is JSON `{"error": "..."}`
//! with a status that says whose fault it was.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::webhook::{PayloadError, SignatureError};

/// An error answered before any SSE header was sent.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The webhook signature is missing, malformed, stale or wrong.
    #[error(transparent)]
    Unauthorized(#[from] SignatureError),
    /// The body is not a webhook we can read.
    #[error(transparent)]
    BadPayload(#[from] PayloadError),
    /// The request is missing something this event needs.
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than the limit.
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The client's connection failed while we read the body.
    #[error("could not read the request body: {0}")]
    BodyRead(String),
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::BadPayload(_) | Self::BadRequest(_) | Self::BodyRead(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        tracing::info!(status = self.status_code().as_u16(), error = %self, "request refused");
        HttpResponse::build(self.status_code())
            .json(serde_json::json!({ "error": self.to_string() }))
    }
}
