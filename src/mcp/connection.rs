//! Connecting to one MCP server over Streamable HTTP: initializing, listing its tools,
//! listing them again when it says they changed, and reconnecting with back-off.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use rmcp::service::{ClientInitializeError, NotificationContext, Peer, RoleClient};
use rmcp::transport::streamable_http_client::{
    StreamableHttpClientTransportConfig, StreamableHttpError,
};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, ServiceExt};

use super::config::McpServerConfig;
use super::tool::McpTool;
use crate::secret::scrub_urls;

/// First wait before reconnecting a server; doubled after each failure up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(2);
/// Longest wait between two connection attempts.
const MAX_RETRY: Duration = Duration::from_secs(30);

/// Where a server is.
#[derive(Debug, Clone)]
pub enum McpState {
    /// Not answered yet.
    Connecting,
    /// Connected, with its offered tools.
    Connected(Arc<Vec<McpTool>>),
    /// The last attempt failed.
    Unreachable(String),
}

/// One configured server: its file, where it is, and while connected the peer that calls
/// its tools.
#[derive(Debug)]
pub(super) struct Server {
    pub(super) config: McpServerConfig,
    pub(super) state: RwLock<McpState>,
    pub(super) peer: RwLock<Option<Peer<RoleClient>>>,
}

impl Server {
    pub(super) fn set(&self, state: McpState) {
        if let Ok(mut slot) = self.state.write() {
            *slot = state;
        }
    }

    pub(super) fn tools(&self) -> Option<Arc<Vec<McpTool>>> {
        match &*self.state.read().ok()? {
            McpState::Connected(tools) => Some(tools.clone()),
            _ => None,
        }
    }

    /// Lists the server's tools and keeps those the file offers.
    pub(super) async fn list(&self, peer: &Peer<RoleClient>) -> Result<Vec<McpTool>, String> {
        let listed = tokio::time::timeout(self.config.timeout, peer.list_all_tools())
            .await
            .map_err(|_| "tools/list timed out".to_string())?
            .map_err(|e| scrub_urls(&e.to_string()))?;
        let config = &self.config;
        let mut tools: Vec<McpTool> = listed
            .into_iter()
            .filter(|t| {
                config
                    .tools
                    .as_ref()
                    .is_none_or(|only| only.iter().any(|n| n == t.name.as_ref()))
            })
            .map(|t| McpTool::offered(config, t))
            .collect();
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tools)
    }
}

/// The client side of one connection: lists the tools again when the server says they
/// changed.
pub(super) struct Handler {
    server: Arc<Server>,
}

impl ClientHandler for Handler {
    async fn on_tool_list_changed(&self, context: NotificationContext<RoleClient>) {
        match self.server.list(&context.peer).await {
            Ok(tools) => self.server.set(McpState::Connected(Arc::new(tools))),
            Err(e) => tracing::warn!(server = %self.server.config.name, error = %e,
                "cannot list the MCP server's tools again"),
        }
    }
}

type Running = rmcp::service::RunningService<RoleClient, Handler>;

/// Why a server could not be initialized, in words a user can act on: the HTTP client's
/// own cause ("Connection refused (os error 111)", "HTTP status 401 …").
fn initialize_failure(error: &ClientInitializeError) -> String {
    let ClientInitializeError::TransportError { error, .. } = error else {
        return scrub_urls(&error.to_string());
    };
    let cause = match error
        .error
        .downcast_ref::<StreamableHttpError<reqwest::Error>>()
    {
        Some(StreamableHttpError::Client(client)) => innermost(client),
        _ => innermost(error.error.as_ref()),
    };
    // An HTTP status error has no cause below it and quotes the whole URL.
    scrub_urls(&cause)
}

/// What went wrong at the bottom of `error`'s chain ("Connection refused (os error 111)"):
/// the SDK's message around a transport error names its types and the URL, which say
/// nothing to a user and may hold a secret.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// One connection: initialized, its tools listed.
pub(super) async fn connect(server: &Arc<Server>) -> Result<(Running, Vec<McpTool>), String> {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in &server.config.headers {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| "a header name is not valid".to_string())?;
        let mut value = reqwest::header::HeaderValue::from_str(value.expose())
            .map_err(|_| "a header value is not valid".to_string())?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    let http = crate::http::builder(crate::http::CONNECT_TIMEOUT)
        .default_headers(headers)
        .build()
        .map_err(|e| e.to_string())?;
    let transport = StreamableHttpClientTransport::with_client(
        http,
        StreamableHttpClientTransportConfig::with_uri(server.config.url.expose().to_string()),
    );
    let handler = Handler {
        server: server.clone(),
    };
    let running = tokio::time::timeout(server.config.timeout, handler.serve(transport))
        .await
        .map_err(|_| "no answer to initialize".to_string())?
        .map_err(|e| initialize_failure(&e))?;
    let tools = server.list(running.peer()).await?;
    Ok((running, tools))
}

/// Connects `server`, and again whenever the connection ends, backing off on failures.
pub(super) async fn keep_connected(server: Arc<Server>) {
    let mut wait = FIRST_RETRY;
    loop {
        match connect(&server).await {
            Ok((running, tools)) => {
                tracing::info!(server = %server.config.name, tools = tools.len(),
                    "MCP server connected");
                wait = FIRST_RETRY;
                if let Ok(mut peer) = server.peer.write() {
                    *peer = Some(running.peer().clone());
                }
                server.set(McpState::Connected(Arc::new(tools)));
                let reason = running.waiting().await;
                tracing::warn!(server = %server.config.name, ?reason,
                    "MCP server connection ended; reconnecting");
                if let Ok(mut peer) = server.peer.write() {
                    *peer = None;
                }
                server.set(McpState::Unreachable("the connection ended".into()));
            }
            Err(e) => {
                tracing::warn!(server = %server.config.name, error = %e,
                    retry_in_ms = wait.as_millis() as u64, "MCP server unreachable");
                server.set(McpState::Unreachable(e));
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_RETRY);
            }
        }
    }
}
