//! The model: an OpenAI-compatible streaming chat-completions client (the only user of
//! `reqwest` in the crate), and the built-in demo model that stands in for one.

pub mod client;
pub mod decode;
pub mod demo;
pub mod retry;
pub mod stream;
pub mod tool_calls;
pub mod wire;

pub use client::LlmClient;
pub use decode::{DecodeError, ReplyChunk};
pub use retry::{next_attempt, NextAttempt, RetryPolicy};
pub use stream::ReplyStream;
pub use tool_calls::ToolCallAssembler;
pub use wire::{Prompt, ToolRound, Usage};

use std::time::Duration;

/// Everything that can go wrong talking to the model. Messages may quote the provider but
/// never contain our key.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum LlmError {
    /// The server could not be reached or the request could not be sent.
    #[error("model server unreachable: {0}")]
    Unreachable(String),
    /// The server answered with an HTTP error before streaming.
    #[error("model server answered HTTP {status}: {message}")]
    Status {
        /// HTTP status code.
        status: u16,
        /// Provider's error code, when given.
        code: Option<String>,
        /// Provider's message (bounded).
        message: String,
        /// How long the provider asked us to wait (`Retry-After`), when it said.
        retry_after: Option<Duration>,
    },
    /// An error object arrived inside the stream.
    #[error("model server reported an error mid-stream ({code:?}): {message}")]
    InBand {
        /// Provider's code, when given.
        code: Option<String>,
        /// Provider's message.
        message: String,
    },
    /// The model produced nothing within the first-token deadline.
    #[error("no first token within {0} ms")]
    FirstTokenTimeout(u128),
    /// The model went silent mid-reply for longer than the gap deadline.
    #[error("model stream stalled for {0} ms")]
    Stalled(u128),
    /// The turn's whole time budget ran out.
    #[error("turn time budget of {0} ms ran out")]
    OutOfTime(u128),
    /// The connection broke mid-stream.
    #[error("model stream broke: {0}")]
    Broken(String),
    /// The stream closed before the model said it was finished.
    #[error("model stream ended before the reply was finished")]
    Truncated,
    /// The server said `[DONE]` although no chunk said why the model stopped: the reply
    /// was cut off, not finished (llama-cpp-python's server does this to a running stream
    /// when another request arrives).
    #[error("model stream said [DONE] without a finish_reason: the reply was cut off")]
    Unfinished,
    /// The stream could not be decoded.
    #[error("model stream malformed: {0}")]
    Malformed(String),
}

impl LlmError {
    /// A short stable code for clients and logs (`response.data` error code).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreachable(_) => "upstream_unreachable",
            Self::Status { status: 429, .. } => "upstream_rate_limited",
            Self::Status { .. } => "upstream_http_error",
            Self::InBand { .. } => "upstream_error",
            Self::FirstTokenTimeout(_) => "upstream_first_token_timeout",
            Self::Stalled(_) => "upstream_stalled",
            Self::OutOfTime(_) => "turn_time_budget_exceeded",
            Self::Broken(_) | Self::Truncated => "upstream_stream_broken",
            Self::Unfinished => "upstream_stream_unfinished",
            Self::Malformed(_) => "upstream_malformed",
        }
    }

    /// Whether another attempt could succeed: connection failures, 5xx, 408, 409, 429
    /// (but not an exhausted quota), deadlines and broken streams. Other 4xx mean the
    /// request itself is wrong (bad key, unknown model) and would fail again.
    pub fn retryable(&self) -> bool {
        match self {
            Self::Status {
                status,
                code,
                message,
                ..
            } => {
                let quota = code.as_deref() == Some("insufficient_quota")
                    || message.contains("insufficient_quota");
                match status {
                    429 => !quota,
                    408 | 409 => true,
                    500..=599 => true,
                    _ => false,
                }
            }
            Self::OutOfTime(_) => false,
            _ => true,
        }
    }
}

impl From<DecodeError> for LlmError {
    fn from(error: DecodeError) -> Self {
        match error {
            DecodeError::InBand { code, message } => Self::InBand { code, message },
            DecodeError::Malformed(m) => Self::Malformed(m),
        }
    }
}
