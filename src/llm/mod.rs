//! The model: an OpenAI-compatible streaming chat-completions client. The only user of
//! `reqwest` in the crate.

pub mod client;
pub mod decode;
pub mod stream;
pub mod wire;

pub use client::LlmClient;
pub use decode::{DecodeError, ReplyChunk};
pub use stream::ReplyStream;
pub use wire::Usage;

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
    },
    /// An error object arrived inside the stream.
    #[error("model server reported an error mid-stream ({code:?}): {message}")]
    InBand {
        /// Provider's code, when given.
        code: Option<String>,
        /// Provider's message.
        message: String,
    },
    /// The model was silent for longer than the idle deadline.
    #[error("model server was silent for {0} ms")]
    Timeout(u128),
    /// The connection broke mid-stream.
    #[error("model stream broke: {0}")]
    Broken(String),
    /// The stream closed before the model said it was finished.
    #[error("model stream ended before the reply was finished")]
    Truncated,
    /// The stream could not be decoded.
    #[error("model stream malformed: {0}")]
    Malformed(String),
}

impl LlmError {
    /// A short stable code for clients and logs (`response.data` error code).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unreachable(_) => "upstream_unreachable",
            Self::Status { .. } => "upstream_http_error",
            Self::InBand { .. } => "upstream_error",
            Self::Timeout(_) => "upstream_timeout",
            Self::Broken(_) | Self::Truncated => "upstream_stream_broken",
            Self::Malformed(_) => "upstream_malformed",
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
