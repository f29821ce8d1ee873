//! Why a tool failed, as the model and the logs may see it: a short message with no secret
//! in it, and a kind for metrics. MCP tools fail with the same type.

use std::time::Duration;

/// Why a tool call failed, in a form the model and the logs may see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolFailure {
    /// The kind of failure, for metrics and logs.
    pub kind: ToolFailureKind,
    /// A short message with no secret in it, like `HTTP 503` or `timed out after 3000 ms`.
    pub message: String,
}

/// The kinds of [`ToolFailure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolFailureKind {
    /// The endpoint answered with a status other than 2xx.
    Status,
    /// The whole call took longer than the tool's timeout.
    Timeout,
    /// No response: the connection failed (or the request could not be made at all).
    Connection,
}

impl ToolFailureKind {
    /// A stable label: `http_error`, `timeout` or `connection_error`.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolFailureKind::Status => "http_error",
            ToolFailureKind::Timeout => "timeout",
            ToolFailureKind::Connection => "connection_error",
        }
    }
}

impl ToolFailure {
    /// A failure of `kind` saying `message`.
    pub(super) fn new(kind: ToolFailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The whole call took longer than `timeout`.
    pub(super) fn timeout(timeout: Duration) -> Self {
        Self::new(
            ToolFailureKind::Timeout,
            format!("timed out after {} ms", timeout.as_millis()),
        )
    }

    /// No response, for the reason `message` gives.
    pub(super) fn connection(message: impl Into<String>) -> Self {
        Self::new(ToolFailureKind::Connection, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_kinds_have_stable_labels() {
        assert_eq!(ToolFailureKind::Status.as_str(), "http_error");
        assert_eq!(ToolFailureKind::Timeout.as_str(), "timeout");
        assert_eq!(ToolFailureKind::Connection.as_str(), "connection_error");
    }
}
