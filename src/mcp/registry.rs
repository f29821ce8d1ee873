//! The registry of every configured MCP server, shared by every agent: starting their
//! connections, and finding and calling the tools they offer.

use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::config::McpServerConfig;
use super::connection::{connect, keep_connected, McpState, Server};
use super::tool::{call_tool, McpTool, NAME_SEPARATOR};
use crate::tools::{ToolFailure, ToolFailureKind};

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
    /// (the structured content as JSON when there is no text), with the server file's
    /// secrets redacted, then cut to `max` characters.
    /// A mutating call's `idempotency_key` (`<conversation>:<turn>:<n>`, as HTTP tools get
    /// in `Idempotency-Key`) goes in the request's `_meta` as
    /// [`IDEMPOTENCY_META`](super::IDEMPOTENCY_META), and the tool call span's
    /// `traceparent` under that name, as OpenTelemetry's MCP conventions place it.
    pub async fn call(
        &self,
        name: &str,
        arguments: Map<String, Value>,
        meta: crate::tools::CallMeta<'_>,
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
        call_tool(
            &peer,
            tool.remote,
            arguments,
            meta,
            max,
            server.config.timeout,
            &server.config.secrets,
        )
        .await
    }
}
