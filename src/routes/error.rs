//! The one place errors become HTTP responses: every refusal is JSON `{"error": "..."}`
//! with a status that says whose fault it was.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use std::time::Duration;

use crate::layercode::AuthorizeError;
use crate::webhook::{PayloadError, SignatureError};

/// An error answered before any SSE header was sent.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The webhook signature is missing, malformed, stale or wrong.
    #[error(transparent)]
    Unauthorized(#[from] SignatureError),
    /// The signature does not match the agent's secret; says where that secret is set.
    #[error("{error}: this agent checks signatures with {secret_in}; the webhook must be signed with the same secret (Layercode's dashboard shows it)")]
    SignatureMismatch {
        /// What was wrong.
        error: SignatureError,
        /// Where the agent's secret is set (never the secret).
        secret_in: String,
    },
    /// No agent has this name; the message lists those that exist.
    #[error("there is no agent named `{name}`; POST /agent/<name> for one of: {known}")]
    UnknownAgent {
        /// The name asked for.
        name: String,
        /// The agents' names, comma-separated.
        known: String,
    },
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
    /// The body did not arrive in full within the deadline (`WEBHOOK_BODY_TIMEOUT_MS`).
    #[error("the request body did not arrive within {} ms", after.as_millis())]
    BodyTimeout {
        /// The deadline that passed.
        after: Duration,
    },
    /// As many webhook bodies as allowed (`WEBHOOK_MAX_INFLIGHT_BODIES`) are being read.
    #[error("too many webhooks are arriving at once; try again in {} s", retry_after.as_secs().max(1))]
    WebhooksBusy {
        /// When to try again.
        retry_after: Duration,
    },
    /// The client's connection failed while we read the body.
    #[error("could not read the request body: {0}")]
    BodyRead(String),
    /// `/metrics` needs `METRICS_TOKEN` as a Bearer token.
    #[error("send METRICS_TOKEN as a Bearer token")]
    MetricsToken,
    /// The voice page is behind `ACCESS_TOKEN`: the browser asks for it (HTTP Basic).
    #[error("This voice agent is protected: enter the access token as the password.")]
    PageLocked,
    /// No route answers this method and path.
    #[error("not found")]
    NotFound,
    /// The access token is missing or wrong.
    #[error("an access token is required: send it as the Basic password or as a Bearer token")]
    AccessDenied,
    /// Too many requests from this client address.
    #[error("too many requests from this address; try again in {} s", retry_after.as_secs().max(1))]
    TooManyRequests {
        /// How long until the next request is allowed.
        retry_after: Duration,
    },
    /// Layercode did not authorize the session.
    #[error(transparent)]
    Authorize(#[from] AuthorizeError),
    /// The calls pages and API are off; the message says how to turn them on.
    #[error("{0}")]
    CallsOff(String),
    /// The calls pages and API need `ADMIN_TOKEN`.
    #[error("the calls need ADMIN_TOKEN: send it as a Bearer token or as the Basic password")]
    AdminToken,
    /// The call store failed to answer.
    #[error("the call store is unavailable: {0}")]
    CallStore(String),
    /// A route that is off until configured; the message says how to turn it on.
    #[error("{0}")]
    Closed(String),
    /// A route's token or secret is missing or wrong; the message says which to send.
    #[error("{0}")]
    Token(&'static str),
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) | Self::SignatureMismatch { .. } => StatusCode::UNAUTHORIZED,
            Self::UnknownAgent { .. } => StatusCode::NOT_FOUND,
            Self::BadPayload(_) | Self::BadRequest(_) | Self::BodyRead(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::WebhooksBusy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::AccessDenied | Self::MetricsToken | Self::PageLocked => StatusCode::UNAUTHORIZED,
            Self::NotFound | Self::CallsOff(_) | Self::Closed(_) => StatusCode::NOT_FOUND,
            Self::AdminToken | Self::Token(_) => StatusCode::UNAUTHORIZED,
            Self::CallStore(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Authorize(AuthorizeError::NotConfigured) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Authorize(AuthorizeError::Unreachable(_)) => StatusCode::BAD_GATEWAY,
            // Layercode's 4xx (400 bad key or agent, 402 no balance) pass through; its
            // own failures are a bad gateway from the browser's point of view.
            Self::Authorize(AuthorizeError::Rejected { status, .. }) => {
                StatusCode::from_u16(*status)
                    .ok()
                    .filter(StatusCode::is_client_error)
                    .unwrap_or(StatusCode::BAD_GATEWAY)
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        tracing::info!(status = self.status_code().as_u16(), error = %self, "request refused");
        let mut response = HttpResponse::build(self.status_code());
        if let Self::AdminToken = self {
            // The calls pages are for a person: the browser asks for the token.
            response.insert_header((
                actix_web::http::header::WWW_AUTHENTICATE,
                "Basic realm=\"voicebridge calls\", charset=\"UTF-8\"",
            ));
        }
        if let Self::PageLocked = self {
            // A page for a person: the browser shows its own password prompt.
            return response
                .insert_header((
                    actix_web::http::header::WWW_AUTHENTICATE,
                    "Basic realm=\"voicebridge\", charset=\"UTF-8\"",
                ))
                .content_type("text/plain; charset=utf-8")
                .body(self.to_string());
        }
        if let Self::TooManyRequests { retry_after } | Self::WebhooksBusy { retry_after } = self {
            let seconds = retry_after.as_secs_f64().ceil().max(1.0);
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(serde_json::json!({ "error": self.to_string() }))
    }
}
