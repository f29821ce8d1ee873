//! Layercode's REST API: authorizing a browser session for the voice page. Besides `llm/`,
//! the only user of `reqwest`; it keeps Layercode's key on the server.

use std::time::Duration;

use bytes::Bytes;

use crate::config::WebSettings;
use crate::secret::Secret;

/// Why a session could not be authorized.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// `LAYERCODE_API_KEY` is not set.
    #[error("LAYERCODE_API_KEY is not configured on this server")]
    NotConfigured,
    /// Layercode answered with an error status (400 bad key or agent, 402 balance, …).
    #[error("Layercode refused the session ({status}): {message}")]
    Rejected {
        /// Layercode's status code.
        status: u16,
        /// Layercode's message, or a summary.
        message: String,
    },
    /// Layercode could not be reached.
    #[error("Layercode is unreachable: {0}")]
    Unreachable(String),
}

/// A client for Layercode's REST API.
#[derive(Debug, Clone)]
pub struct LayercodeApi {
    http: reqwest::Client,
    authorize_url: String,
    key: Option<Secret>,
}

impl LayercodeApi {
    /// Builds the client from the web settings.
    pub fn new(settings: &WebSettings) -> Result<Self, AuthorizeError> {
        let http = crate::http::builder(crate::http::CONNECT_TIMEOUT)
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| AuthorizeError::Unreachable(e.to_string()))?;
        Ok(Self {
            http,
            authorize_url: format!(
                "{}/v1/agents/web/authorize_session",
                settings.layercode_api_base
            ),
            key: settings.layercode_api_key.clone(),
        })
    }

    /// Asks for a session with `body` (built by the server, never the browser's as is)
    /// and returns Layercode's JSON unchanged (the SDK needs all of it, `config` included).
    pub async fn authorize(&self, body: &serde_json::Value) -> Result<Bytes, AuthorizeError> {
        let key = self.key.as_ref().ok_or(AuthorizeError::NotConfigured)?;
        let response = self
            .http
            .post(&self.authorize_url)
            .bearer_auth(key.expose())
            .json(body)
            .send()
            .await
            .map_err(|e| AuthorizeError::Unreachable(crate::http::error_chain(&e.without_url())))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| AuthorizeError::Unreachable(crate::http::error_chain(&e.without_url())))?;
        if status.is_success() {
            return Ok(bytes);
        }
        let message = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| match &v["error"] {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Object(o) => o
                    .get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string),
                _ => None,
            })
            .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
        Err(AuthorizeError::Rejected {
            status: status.as_u16(),
            message,
        })
    }
}
