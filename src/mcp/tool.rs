//! One tool of an MCP server: what the model sees of it (an OpenAI function definition
//! named `<server>__<tool>`), and one `tools/call` of it, bounded by the server's timeout.

use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolRequest, CallToolRequestParam, CallToolResult, ClientRequest, Meta, ServerResult,
};
use rmcp::service::{Peer, PeerRequestOptions, RoleClient};
use serde_json::{json, Map, Value};

use super::config::McpServerConfig;
use crate::secret::{redact_then_cut, scrub_urls, Secret};
use crate::tools::{ToolFailure, ToolFailureKind};

/// The `_meta` field of a mutating call that carries its idempotency key.
pub const IDEMPOTENCY_META: &str = "voicebridge/idempotency_key";

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

impl McpTool {
    /// The tool `t` a server listed, as `config` offers it to the model: named
    /// `<server>__<tool>`, mutating unless the file or the server's annotations say
    /// otherwise, with its input schema compiled when it compiles.
    pub(super) fn offered(config: &McpServerConfig, t: rmcp::model::Tool) -> McpTool {
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
    }
}

/// The longest server error message quoted in a [`ToolFailure`].
const MAX_ERROR_CHARS: usize = 200;

/// Calls the tool `remote` over `peer` with `arguments`, within `timeout`; the text of the
/// result, cut to `max` characters ([`McpRegistry::call`](super::McpRegistry::call) says
/// how). `secrets` (the server file's, [`McpServerConfig::secrets`]) are redacted from the
/// result and from any error before either is cut.
pub(super) async fn call_tool(
    peer: &Peer<RoleClient>,
    remote: String,
    arguments: Map<String, Value>,
    call_meta: crate::tools::CallMeta<'_>,
    max: usize,
    timeout: Duration,
    secrets: &[Secret],
) -> Result<String, ToolFailure> {
    let secrets: Vec<&str> = secrets.iter().map(Secret::expose).collect();
    let redacted = |text: &str| redact_then_cut(text, &secrets, usize::MAX, false).0;
    let failure = |kind, message: String| ToolFailure { kind, message };
    let request = ClientRequest::CallToolRequest(CallToolRequest {
        method: Default::default(),
        params: CallToolRequestParam {
            name: remote.into(),
            arguments: Some(arguments),
        },
        extensions: Default::default(),
    });
    let mut options = PeerRequestOptions::no_options();
    if call_meta.idempotency_key.is_some() || call_meta.traceparent.is_some() {
        let mut meta = Meta::new();
        if let Some(key) = call_meta.idempotency_key {
            meta.insert(IDEMPOTENCY_META.into(), Value::String(key.into()));
        }
        if let Some(parent) = call_meta.traceparent {
            meta.insert("traceparent".into(), Value::String(parent.into()));
        }
        options.meta = Some(meta);
    }
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
        .map_err(|e| {
            let message = redacted(&scrub_urls(&e.to_string()));
            failure(ToolFailureKind::Connection, message)
        })?;
    let text = result_text(&result);
    if result.is_error == Some(true) {
        let (message, _) = redact_then_cut(&text, &secrets, MAX_ERROR_CHARS, false);
        return Err(failure(ToolFailureKind::Status, message));
    }
    Ok(match redact_then_cut(&text, &secrets, max, false) {
        (text, true) => format!("{text}…"),
        (text, false) => text,
    })
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
