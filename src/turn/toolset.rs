//! What an agent may call: its tool files, MCP tools and client tools (filtered by the
//! agent's `tools` list), the built-in `end_call`, and the answers `voicebridge test`
//! gives in place of calling a tool.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::config::ToolSettings;
use crate::tools::{Toolbox, END_CALL};

use super::client_tools::ClientToolCalls;

/// What the model may call, and the client that calls it.
#[derive(Debug)]
pub struct ToolSet {
    pub(super) toolbox: Arc<Toolbox>,
    /// Answers given in place of calling a tool, per conversation (`voicebridge test`).
    pub(super) mocks: ToolMocks,
    /// Client tool calls waiting for the page's answer (shared by every agent).
    pub(super) client_tool_calls: ClientToolCalls,
    /// The tools this agent may call, when not all of them.
    pub(super) only: Option<Vec<String>>,
    pub(super) http: reqwest::Client,
    /// The client of tools whose file lets same-origin redirects be followed.
    pub(super) http_same_origin: reqwest::Client,
    pub(super) settings: ToolSettings,
    pub(super) definitions: Vec<Value>,
    /// Tools from MCP servers (empty when none is configured).
    pub(super) mcp: crate::mcp::McpRegistry,
    /// The knowledge base `search_knowledge` searches (tool mode only).
    pub(super) knowledge: Option<super::KnowledgeUse>,
}

impl ToolSet {
    /// The configured tools (only those named in `only`, when given), with `end_call`
    /// when it is on. Tools get an HTTP client of their own: a slow tool must not hold
    /// connections the model's client needs; it follows no redirect.
    pub fn new(
        settings: ToolSettings,
        toolbox: Arc<Toolbox>,
        only: Option<Vec<String>>,
        mocks: ToolMocks,
        client_tool_calls: ClientToolCalls,
        mcp: crate::mcp::McpRegistry,
    ) -> Result<Self, reqwest::Error> {
        // A tool's calls go where its file says: a redirect is a failure, never followed,
        // unless the file lets one to the request's own origin be followed.
        let http = crate::http::builder(crate::http::CONNECT_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(90))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let http_same_origin = crate::http::builder(crate::http::CONNECT_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(90))
            .redirect(same_origin_redirects())
            .build()?;
        let offered = |name: &str| only.as_ref().is_none_or(|o| lists(o, name));
        let mut definitions: Vec<Value> = toolbox
            .tools()
            .iter()
            .zip(toolbox.definitions())
            .filter(|(tool, _)| offered(tool.name()))
            .map(|(_, definition)| definition.clone())
            .collect();
        // An agent with a list of tools gets `end_call` only when the list names it.
        let end_call = settings.end_call && offered(END_CALL);
        if end_call {
            definitions.push(json!({
                "type": "function",
                "function": {
                    "name": END_CALL,
                    "description": "End the phone call. Call it only once the conversation is \
                        over and you have said goodbye.",
                    "parameters": {"type": "object", "properties": {}},
                }
            }));
        }
        let mut settings = settings;
        settings.end_call = end_call;
        Ok(Self {
            toolbox,
            http_same_origin,
            mocks,
            client_tool_calls,
            only,
            http,
            settings,
            definitions,
            mcp,
            knowledge: None,
        })
    }

    /// Offers the model `search_knowledge` over `knowledge` when its mode is `tool`.
    pub fn with_knowledge(mut self, knowledge: Option<&super::KnowledgeUse>) -> Self {
        let tool_mode = knowledge.filter(|k| k.mode == crate::config::KnowledgeMode::Tool);
        if let Some(knowledge) = tool_mode {
            self.definitions
                .push(super::knowledge_tool::search_tool_definition());
            self.knowledge = Some(knowledge.clone());
        }
        self
    }

    /// The knowledge base `search_knowledge` searches, in tool mode.
    pub(super) fn knowledge(&self) -> Option<&super::KnowledgeUse> {
        self.knowledge.as_ref()
    }

    /// No tools: the model is offered none (unit tests).
    #[cfg(test)]
    pub(crate) fn none() -> Self {
        Self {
            toolbox: Arc::new(Toolbox::empty()),
            mocks: ToolMocks::default(),
            client_tool_calls: ClientToolCalls::default(),
            only: None,
            http: crate::http::client().expect("a client with the common options builds"),
            http_same_origin: crate::http::client()
                .expect("a client with the common options builds"),
            settings: ToolSettings::none(),
            definitions: Vec::new(),
            mcp: crate::mcp::McpRegistry::default(),
            knowledge: None,
        }
    }

    /// Tool definitions sent with every request (OpenAI function format).
    /// With MCP servers, the static definitions and then their current tools; without,
    /// the static ones borrowed.
    pub fn definitions(&self) -> std::borrow::Cow<'_, [Value]> {
        if self.mcp.is_empty() {
            return std::borrow::Cow::Borrowed(&self.definitions);
        }
        let mut all = self.definitions.clone();
        all.extend(
            self.mcp
                .tools()
                .into_iter()
                .filter(|t| self.allowed(&t.name))
                .map(|t| t.definition),
        );
        std::borrow::Cow::Owned(all)
    }

    fn allowed(&self, name: &str) -> bool {
        self.only.as_ref().is_none_or(|o| lists(o, name))
    }

    /// The named MCP tool, if its server is connected and this agent may call it.
    pub(super) fn mcp_tool(&self, name: &str) -> Option<crate::mcp::McpTool> {
        if self.mcp.is_empty() || !self.allowed(name) {
            return None;
        }
        self.mcp.get(name)
    }

    /// The limits and delays.
    pub fn settings(&self) -> &ToolSettings {
        &self.settings
    }

    /// The named tool, if this agent may call it.
    pub(super) fn tool(&self, name: &str) -> Option<&crate::tools::Tool> {
        self.toolbox.get(name).filter(|_| self.allowed(name))
    }

    /// Whether the named tool has side effects. Unknown tools are never called.
    /// What kind of tool `name` is, for its call's span: `file` (an HTTP tool file),
    /// `client` (the page runs it), `mcp`, `builtin` (`end_call`), or `unknown`.
    pub(super) fn kind(&self, name: &str) -> &'static str {
        match self.tool(name) {
            Some(tool) if tool.client() => "client",
            Some(_) => "file",
            None if name == crate::tools::END_CALL => "builtin",
            None if name == crate::tools::SEARCH_KNOWLEDGE && self.knowledge.is_some() => "builtin",
            None if self.mcp_tool(name).is_some() => "mcp",
            None => "unknown",
        }
    }

    pub(super) fn mutating(&self, name: &str) -> bool {
        match self.tool(name) {
            Some(tool) => tool.mutating(),
            None => self.mcp_tool(name).is_some_and(|t| t.mutating),
        }
    }

    /// Records a finished call in the metrics under a bounded label: the model may invent
    /// names, so unknown tools count as `unknown`.
    pub(super) fn count(
        &self,
        metrics: &crate::metrics::Metrics,
        agent: &str,
        name: &str,
        outcome: &str,
        took: Option<Duration>,
    ) {
        let known = self.tool(name).is_some()
            || (name == END_CALL && self.settings.end_call)
            || (name == crate::tools::SEARCH_KNOWLEDGE && self.knowledge.is_some())
            || self.mcp_tool(name).is_some();
        let label = if known { name } else { "unknown" };
        metrics.tool_finished(agent, label, outcome, took);
    }

    /// What `say_while_waiting` says for the named tool.
    pub(super) fn filler(&self, name: &str) -> Option<String> {
        match self.tool(name) {
            Some(tool) => tool.say_while_waiting().map(str::to_string),
            None => self.mcp_tool(name).and_then(|t| t.say_while_waiting),
        }
    }
}

/// Most redirects followed for one call of a tool that allows same-origin redirects.
const MAX_REDIRECTS: usize = 5;

/// Follows a redirect only to the origin (scheme, host, port) of the first request, at most
/// [`MAX_REDIRECTS`] times; any other is answered to the caller as the 3xx it is.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if same && attempt.previous().len() <= MAX_REDIRECTS {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// True when an agent's `tools` list names `name`: as written, or as one of an MCP
/// server's tools through `<server>__*`.
fn lists(only: &[String], name: &str) -> bool {
    only.iter().any(|entry| {
        entry == name
            || entry.strip_suffix('*').is_some_and(|prefix| {
                prefix.ends_with(crate::mcp::NAME_SEPARATOR) && name.starts_with(prefix)
            })
    })
}

/// Answers given in place of calling a tool, for one conversation at a time: `voicebridge
/// test` answers a scenario's `[tools.<name>]` this way, in its own conversation only.
#[derive(Debug, Clone, Default)]
pub struct ToolMocks(Arc<dashmap::DashMap<String, std::collections::HashMap<String, String>>>);

impl ToolMocks {
    /// In conversation `conversation_id` (Layercode's id), calls of `tool` are answered
    /// with `response` (the tool's result as the model reads it).
    pub fn answer(&self, conversation_id: &str, tool: &str, response: String) {
        self.0
            .entry(conversation_id.to_string())
            .or_default()
            .insert(tool.to_string(), response);
    }

    /// Forgets the conversation's answers.
    pub fn forget(&self, conversation_id: &str) {
        self.0.remove(conversation_id);
    }

    pub(super) fn get(&self, conversation_id: &str, tool: &str) -> Option<String> {
        self.0
            .get(conversation_id)
            .and_then(|answers| answers.get(tool).cloned())
    }
}
