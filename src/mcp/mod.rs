//! Tools from MCP servers (`MCP_DIR`, one `<name>.toml` per server) over Streamable HTTP,
//! with the official Rust SDK (`rmcp`).
//!
//! At start-up every server is connected in the background and its tools listed; a server
//! that does not answer is retried (2 s, doubling up to 30 s) and its tools appear when it
//! does. A `notifications/tools/list_changed` from the server lists its tools again, and
//! so does every reconnect. The model sees each tool as `<server>__<tool>`.

pub mod config;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use rmcp::model::{
    CallToolRequest, CallToolRequestParam, CallToolResult, ClientRequest, Meta, ServerResult,
};
use rmcp::service::{
    ClientInitializeError, NotificationContext, Peer, PeerRequestOptions, RoleClient,
};
use rmcp::transport::streamable_http_client::{
    StreamableHttpClientTransportConfig, StreamableHttpError,
};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, ServiceExt};
use serde_json::{json, Map, Value};
use tokio_util::sync::CancellationToken;

pub use config::{load_dir, McpServerConfig};

use crate::secret::scrub_urls;
use crate::tools::{ToolFailure, ToolFailureKind};

/// The `_meta` field of a mutating call that carries its idempotency key.
pub const IDEMPOTENCY_META: &str = "voicebridge/idempotency_key";

/// First wait before reconnecting a server; doubled after each failure up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(2);
/// Longest wait between two connection attempts.
const MAX_RETRY: Duration = Duration::from_secs(30);

/// Between a server's name and its tool's in the name the model sees
/// (`weather__get_forecast`); an agent's `tools` list may name `weather__*` for all of them.
pub const NAME_SEPARATOR: &str = "__";

/// One tool of an MCP server, as offered to the model.
#[derive(Debug, Clone)]
pub struct McpTool {
    /// `<server>__<tool>`.
    pub name: String,
    /// The tool's name on its server.
    pub remote: String,
    /// The OpenAI function definition.
    pub definition: Value,
    /// Never retried; awaited on barge-in.
    pub mutating: bool,
    /// The server's input schema, compiled; `None` when it does not compile (the server
    /// then checks the arguments itself).
    pub validator: Option<Arc<jsonschema::Validator>>,
    /// The server's `say_while_waiting`.
    pub say_while_waiting: Option<String>,
}

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

#[derive(Debug)]
struct Server {
    config: McpServerConfig,
    state: RwLock<McpState>,
    peer: RwLock<Option<Peer<RoleClient>>>,
}

impl Server {
    fn set(&self, state: McpState) {
        if let Ok(mut slot) = self.state.write() {
            *slot = state;
        }
    }

    fn tools(&self) -> Option<Arc<Vec<McpTool>>> {
        match &*self.state.read().ok()? {
            McpState::Connected(tools) => Some(tools.clone()),
            _ => None,
        }
    }

    /// Lists the server's tools and keeps those the file offers.
    async fn list(&self, peer: &Peer<RoleClient>) -> Result<Vec<McpTool>, String> {
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
            .map(|t| {
                let remote = t.name.to_string();
                let mutating = match &config.mutating {
                    Some(list) => list.iter().any(|n| n == &remote),
                    None => t.annotations.as_ref().and_then(|a| a.read_only_hint) != Some(true),
                };
                let name = format!("{}{NAME_SEPARATOR}{remote}", config.name);
                let definition = json!({
                    "type": "function",
                    "function": {
                        "name": name,
                        "description": t.description.as_deref().unwrap_or_default(),
                        "parameters": Value::Object((*t.input_schema).clone()),
                    }
                });
                let schema = Value::Object((*t.input_schema).clone());
                let validator = jsonschema::validator_for(&schema).ok().map(Arc::new);
                McpTool {
                    name,
                    remote,
                    definition,
                    mutating,
                    validator,
                    say_while_waiting: config.say_while_waiting.clone(),
                }
            })
            .collect();
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tools)
    }
}

/// The client side of one connection: lists the tools again when the server says they
/// changed.
struct Handler {
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

/// Every configured MCP server, shared by every agent.
#[derive(Debug, Clone, Default)]
pub struct McpRegistry {
    servers: Arc<Vec<Arc<Server>>>,
}

impl McpRegistry {
    /// The servers of `configs`, not connected yet ([`McpRegistry::start`]).
    pub fn new(configs: &[McpServerConfig]) -> Self {
        let servers = configs
            .iter()
            .map(|config| {
                Arc::new(Server {
                    config: config.clone(),
                    state: RwLock::new(McpState::Connecting),
                    peer: RwLock::new(None),
                })
            })
            .collect();
        Self {
            servers: Arc::new(servers),
        }
    }

    /// True when no server is configured.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    /// Connects every server in the background, reconnecting until `shutdown`.
    pub fn start(&self, shutdown: &CancellationToken) {
        for server in self.servers.iter() {
            let (server, shutdown) = (server.clone(), shutdown.clone());
            tokio::spawn(async move {
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    _ = keep_connected(server) => {}
                }
            });
        }
    }

    /// Tries every server once, for `voicebridge check`: name, URL as written and state.
    pub async fn probe(&self) -> Vec<(String, String, McpState)> {
        let mut out = Vec::new();
        for server in self.servers.iter() {
            let state = match connect(server).await {
                Ok((running, tools)) => {
                    let _ = running.cancel().await;
                    McpState::Connected(Arc::new(tools))
                }
                Err(e) => McpState::Unreachable(e),
            };
            out.push((
                server.config.name.clone(),
                server.config.url_template.clone(),
                state,
            ));
        }
        out
    }

    /// The tools of every connected server, sorted by server.
    pub fn tools(&self) -> Vec<McpTool> {
        self.servers
            .iter()
            .filter_map(|s| s.tools())
            .flat_map(|tools| tools.iter().cloned().collect::<Vec<_>>())
            .collect()
    }

    /// The offered tool called `name`, with its server.
    fn find(&self, name: &str) -> Option<(Arc<Server>, McpTool)> {
        let (server_name, _) = name.split_once(NAME_SEPARATOR)?;
        let server = self.servers.iter().find(|s| s.config.name == server_name)?;
        let tool = server.tools()?.iter().find(|t| t.name == name)?.clone();
        Some((server.clone(), tool))
    }

    /// The offered tool called `name`, if its server is connected.
    pub fn get(&self, name: &str) -> Option<McpTool> {
        self.find(name).map(|(_, tool)| tool)
    }

    /// Calls `name` with `arguments`, within the server's timeout; the text of the result
    /// (the structured content as JSON when there is no text), cut to `max` characters.
    /// A mutating call's `idempotency_key` (`<conversation>:<turn>:<n>`, as HTTP tools get
    /// in `Idempotency-Key`) goes in the request's `_meta` as
    /// [`IDEMPOTENCY_META`].
    pub async fn call(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        idempotency_key: Option<&str>,
        max: usize,
    ) -> Result<String, ToolFailure> {
        let failure = |kind, message: String| ToolFailure { kind, message };
        let (server, tool) = self.find(name).ok_or_else(|| {
            failure(
                ToolFailureKind::Connection,
                "the MCP server is not connected".into(),
            )
        })?;
        let peer = server
            .peer
            .read()
            .ok()
            .and_then(|p| p.clone())
            .ok_or_else(|| {
                failure(
                    ToolFailureKind::Connection,
                    "the MCP server is not connected".into(),
                )
            })?;
        let request = ClientRequest::CallToolRequest(CallToolRequest {
            method: Default::default(),
            params: CallToolRequestParam {
                name: tool.remote.into(),
                arguments: Some(arguments),
            },
            extensions: Default::default(),
        });
        let mut options = PeerRequestOptions::no_options();
        if let Some(key) = idempotency_key {
            let mut meta = Meta::new();
            meta.insert(IDEMPOTENCY_META.into(), Value::String(key.into()));
            options.meta = Some(meta);
        }
        let timeout = server.config.timeout;
        let called = async {
            match peer
                .send_request_with_option(request, options)
                .await?
                .await_response()
                .await?
            {
                ServerResult::CallToolResult(result) => Ok(result),
                _ => Err(rmcp::ServiceError::UnexpectedResponse),
            }
        };
        let result = tokio::time::timeout(timeout, called)
            .await
            .map_err(|_| {
                failure(
                    ToolFailureKind::Timeout,
                    format!("no answer within {} ms", timeout.as_millis()),
                )
            })?
            .map_err(|e| failure(ToolFailureKind::Connection, scrub_urls(&e.to_string())))?;
        let text = result_text(&result);
        if result.is_error == Some(true) {
            let message: String = text.chars().take(200).collect();
            return Err(failure(ToolFailureKind::Status, message));
        }
        Ok(crate::toml_file::cut(&text, max))
    }
}

/// The text items of `result` joined by newlines; the structured content as JSON only
/// when there is no text (servers usually send both, the text saying the same).
fn result_text(result: &CallToolResult) -> String {
    let parts: Vec<String> = result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect();
    match &result.structured_content {
        Some(structured) if parts.is_empty() => structured.to_string(),
        _ => parts.join("\n"),
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
async fn connect(server: &Arc<Server>) -> Result<(Running, Vec<McpTool>), String> {
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
async fn keep_connected(server: Arc<Server>) {
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
