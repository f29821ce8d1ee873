//! The HTTP client for `POST {base_url}/chat/completions` with `stream: true`. One pooled
//! `reqwest::Client` serves every turn, so a turn reuses a warm connection (HTTP/2 where
//! the provider offers it through ALPN) instead of paying a TLS handshake.

use std::time::Duration;

use super::stream::ReplyStream;
use super::wire::{ChatRequest, StreamOptions, WireMessage};
use super::LlmError;
use crate::config::LlmSettings;
use crate::session::ChatMessage;

/// Longest error body read from a failed request.
const MAX_ERROR_BODY: usize = 2048;

/// A configured model endpoint. Cheap to clone: the connection pool is shared.
#[derive(Clone, Debug)]
pub struct LlmClient {
    http: reqwest::Client,
    url: String,
    settings: LlmSettings,
}

impl LlmClient {
    /// Builds the client and its connection pool.
    pub fn new(settings: &LlmSettings) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .tcp_nodelay(true)
            .tcp_keepalive(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("voicebridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LlmError::Unreachable(format!("cannot build HTTP client: {e}")))?;
        Ok(Self {
            http,
            url: format!("{}/chat/completions", settings.base_url),
            settings: settings.clone(),
        })
    }

    /// The model name requests use.
    pub fn model(&self) -> &str {
        &self.settings.model
    }

    /// Starts a streamed completion for `system` followed by `history`. Returns once the
    /// response headers arrived; HTTP errors come back as [`LlmError::Status`].
    pub async fn stream_chat(
        &self,
        system: &str,
        history: &[ChatMessage],
    ) -> Result<ReplyStream, LlmError> {
        let system_message = ChatMessage::system(system);
        let messages = std::iter::once(&system_message)
            .chain(history)
            .map(WireMessage::from)
            .collect();
        let body = ChatRequest {
            model: &self.settings.model,
            messages,
            stream: true,
            stream_options: StreamOptions {
                include_usage: true,
            },
            temperature: self.settings.temperature,
            max_tokens: self.settings.max_tokens,
        };
        let mut request = self
            .http
            .post(&self.url)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .json(&body);
        if let Some(key) = &self.settings.api_key {
            request = request.bearer_auth(key.expose());
        }
        let response = request.send().await.map_err(|e| {
            // reqwest's error text names the URL, never the Authorization header.
            LlmError::Unreachable(error_chain(&e))
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(status_error(status.as_u16(), response).await);
        }
        Ok(ReplyStream::new(response.bytes_stream()))
    }
}

fn error_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn status_error(status: u16, response: reqwest::Response) -> LlmError {
    let body = response.bytes().await.unwrap_or_default();
    let body = &body[..body.len().min(MAX_ERROR_BODY)];
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let field = |key: &str| {
        error
            .and_then(|e| e.get(key))
            .and_then(|v| v.as_str().map(str::to_string))
    };
    let message = field("message")
        .or_else(|| error.and_then(|e| e.as_str().map(str::to_string)))
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(300).collect());
    LlmError::Status {
        status,
        code: field("code").or_else(|| field("type")),
        message,
    }
}
