//! Tool calls inside a turn: what the model may call, how one round of calls runs, and
//! what each call leaves for the model and the browser.
//!
//! Every call the model makes gets exactly one result, whatever happens: the tool's
//! answer, or a short JSON error (`{"error": "the tool failed: HTTP 503"}`) for an unknown
//! tool, arguments that do not match the schema, a failure, or a read-only call cancelled
//! by a barge-in. Calls run as tasks of their own, so a barge-in that drops the turn does
//! not drop a mutating call already sent: the turn waits for it (within its timeout) and
//! stores its result, so the model knows it happened.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::ToolSettings;
use crate::metrics::Metrics;
use crate::session::{ToolCall, ToolResult};
use crate::template::{CallContext, Now};
use crate::tools::{ToolFailure, ToolFailureKind, Toolbox};

use super::client_tools::ClientToolCalls;

pub use crate::tools::END_CALL;

/// Most calls made in one round; a model asking for more gets an error result for the
/// rest.
pub(super) const MAX_CALLS_PER_ROUND: usize = 8;

/// A random number for ids unique to one delivery of a turn.
pub(super) fn nonce() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let hash = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (hash >> 32) as u32
}

/// What the model may call, and the client that calls it.
#[derive(Debug)]
pub struct ToolSet {
    toolbox: Arc<Toolbox>,
    /// Answers given in place of calling a tool, per conversation (`voicebridge test`).
    mocks: ToolMocks,
    /// Client tool calls waiting for the page's answer (shared by every agent).
    client_tool_calls: ClientToolCalls,
    /// The tools this agent may call, when not all of them.
    only: Option<Vec<String>>,
    http: reqwest::Client,
    settings: ToolSettings,
    definitions: Vec<Value>,
    /// Tools from MCP servers (empty when none is configured).
    mcp: crate::mcp::McpRegistry,
}

impl ToolSet {
    /// The configured tools (only those named in `only`, when given), with `end_call`
    /// when it is on. Tools get an HTTP client of their own: a slow tool must not hold
    /// connections the model's client needs.
    pub fn new(
        settings: ToolSettings,
        toolbox: Arc<Toolbox>,
        only: Option<Vec<String>>,
        mocks: ToolMocks,
        client_tool_calls: ClientToolCalls,
        mcp: crate::mcp::McpRegistry,
    ) -> Result<Self, reqwest::Error> {
        let http = crate::http::builder(crate::http::CONNECT_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(90))
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
            mocks,
            client_tool_calls,
            only,
            http,
            settings,
            definitions,
            mcp,
        })
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
            settings: ToolSettings::none(),
            definitions: Vec::new(),
            mcp: crate::mcp::McpRegistry::default(),
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
    fn mcp_tool(&self, name: &str) -> Option<crate::mcp::McpTool> {
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
    pub(super) fn mutating(&self, name: &str) -> bool {
        match self.tool(name) {
            Some(tool) => tool.mutating(),
            None => self.mcp_tool(name).is_some_and(|t| t.mutating),
        }
    }

    /// What `say_while_waiting` says for the named tool.
    pub(super) fn filler(&self, name: &str) -> Option<String> {
        match self.tool(name) {
            Some(tool) => tool.say_while_waiting().map(str::to_string),
            None => self.mcp_tool(name).and_then(|t| t.say_while_waiting),
        }
    }
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

    fn get(&self, conversation_id: &str, tool: &str) -> Option<String> {
        self.0
            .get(conversation_id)
            .and_then(|answers| answers.get(tool).cloned())
    }
}

/// How one call of a round is answered.
pub(super) enum Plan {
    /// Answered without calling anything.
    Answer {
        content: String,
        outcome: &'static str,
        /// The browser is told the call failed (rather than that it finished).
        failed: bool,
    },
    /// Called by a task of its own: over HTTP, or (a client tool) by the page, which is
    /// sent `client_event` as a data event before the task's answer is awaited.
    Call {
        mutating: bool,
        task: JoinHandle<Called>,
        client_event: Option<ClientEvent>,
    },
}

/// The `tool_call` data event of a client call, for the page; sent once the call has been
/// announced to the other machines, so that an answer reaching any of them finds it.
pub(super) struct ClientEvent {
    pub(super) event: Value,
    pub(super) announced: oneshot::Receiver<()>,
}

/// How much longer than its timeout a client call stays announced to other machines.
const ANNOUNCE_MARGIN: Duration = Duration::from_secs(5);

/// What a called tool returned, and how long it took.
pub(super) struct Called {
    pub(super) result: Result<String, ToolFailure>,
    pub(super) took: Duration,
}

/// A round whose calls are running. Kept by the reply, not by the future awaiting it, so a
/// barge-in that drops that future leaves the running calls to be settled.
pub(super) struct Round {
    pub(super) text: String,
    pub(super) calls: Vec<ToolCall>,
    pub(super) plans: Vec<Option<Plan>>,
    pub(super) results: Vec<Option<ToolResult>>,
    pub(super) started: Instant,
    pub(super) filler_spoken: bool,
}

/// Decides how to answer `call`: `earlier` are calls (with results) an earlier delivery of
/// this turn made, `context` and `now` what the tool's templates (URL, headers, static
/// values) are rendered with, `key` the idempotency key a mutating call carries.
pub(super) fn plan(
    tools: &Arc<ToolSet>,
    call: &ToolCall,
    earlier: &[(ToolCall, ToolResult)],
    context: &CallContext,
    now: &Now,
    key: impl FnOnce() -> String,
) -> Plan {
    let name = call.function.name.as_str();
    if let Some(response) = tools.mocks.get(&context.conversation_id, name) {
        return Plan::Answer {
            content: response,
            outcome: "mocked",
            failed: false,
        };
    }
    if name == END_CALL && tools.settings.end_call {
        return Plan::Answer {
            content: json!({"ok": true, "note": "The call ends after this reply."}).to_string(),
            outcome: "ok",
            failed: false,
        };
    }
    if tools.tool(name).is_none() {
        if let Some(mcp_tool) = tools.mcp_tool(name) {
            return mcp_call(tools, call, mcp_tool, earlier, key);
        }
    }
    let Some(tool) = tools.tool(name) else {
        return Plan::Answer {
            content: error(format!("there is no tool named {}", short(name))),
            outcome: "unknown_tool",
            failed: true,
        };
    };
    let arguments = match tool.arguments(&call.function.arguments, context, now) {
        Ok(arguments) => arguments,
        Err(problem) => {
            return Plan::Answer {
                content: error(format!("the tool was not called: {problem}")),
                outcome: "invalid_arguments",
                failed: true,
            }
        }
    };
    if tool.mutating() {
        // A redelivered turn never repeats a side effect an earlier delivery had.
        if let Some((_, result)) = earlier.iter().find(|(c, _)| {
            c.function.name == name && same_arguments(c, &arguments, tool, context, now)
        }) {
            return Plan::Answer {
                content: result.content.clone(),
                outcome: "repeat_skipped",
                failed: false,
            };
        }
    }
    if tool.client() {
        return client_call(tools, tool, call, arguments, context);
    }
    let mutating = tool.mutating();
    let key = mutating.then(key);
    let (tools, name) = (tools.clone(), name.to_string());
    let (context, now) = (context.clone(), now.clone());
    let task = tokio::spawn(async move {
        let started = Instant::now();
        let result = match tools.tool(&name) {
            Some(tool) => {
                let max = tools.settings.result_max_chars;
                tool.call(&tools.http, &arguments, key.as_deref(), max, &context, &now)
                    .await
            }
            None => unreachable!("the toolbox does not change while the server runs"),
        };
        Called {
            result,
            took: started.elapsed(),
        }
    });
    Plan::Call {
        mutating,
        task,
        client_event: None,
    }
}

/// A call of a tool of an MCP server: arguments must be a JSON object; a mutating call an
/// earlier delivery made is not repeated, and carries its idempotency `key` in `_meta`.
fn mcp_call(
    tools: &Arc<ToolSet>,
    call: &ToolCall,
    tool: crate::mcp::McpTool,
    earlier: &[(ToolCall, ToolResult)],
    key: impl FnOnce() -> String,
) -> Plan {
    let text = call.function.arguments.trim();
    let parsed = if text.is_empty() {
        Ok(Value::Object(Map::new()))
    } else {
        serde_json::from_str::<Value>(text)
    };
    let arguments = match parsed {
        Ok(Value::Object(arguments)) => arguments,
        _ => {
            return Plan::Answer {
                content: error(
                    "the tool was not called: the arguments are not a JSON object".into(),
                ),
                outcome: "invalid_arguments",
                failed: true,
            }
        }
    };
    // Checked against the server's own schema, as an HTTP tool's arguments are.
    let object = Value::Object(arguments.clone());
    if let Some(problem) = tool
        .validator
        .as_ref()
        .and_then(|v| v.iter_errors(&object).next())
    {
        return Plan::Answer {
            content: error(format!(
                "the tool was not called: arguments do not match the schema: {}",
                crate::tools::describe(&problem)
            )),
            outcome: "invalid_arguments",
            failed: true,
        };
    }
    if tool.mutating {
        let same = |c: &ToolCall| {
            c.function.name == tool.name
                && serde_json::from_str::<Value>(&c.function.arguments)
                    .is_ok_and(|v| v == Value::Object(arguments.clone()))
        };
        if let Some((_, result)) = earlier.iter().find(|(c, _)| same(c)) {
            return Plan::Answer {
                content: result.content.clone(),
                outcome: "repeat_skipped",
                failed: false,
            };
        }
    }
    let mutating = tool.mutating;
    let key = mutating.then(key);
    let (registry, max) = (tools.mcp.clone(), tools.settings.result_max_chars);
    let task = tokio::spawn(async move {
        let started = Instant::now();
        let result = registry
            .call(&tool.name, arguments, key.as_deref(), max)
            .await;
        Called {
            result,
            took: started.elapsed(),
        }
    });
    Plan::Call {
        mutating,
        task,
        client_event: None,
    }
}

/// A call of a client tool: registered at once (so an answer is taken as soon as the
/// page has the `tool_call` event), announced to the other machines, then awaited within
/// the tool's timeout by a task.
fn client_call(
    tools: &Arc<ToolSet>,
    tool: &crate::tools::Tool,
    call: &ToolCall,
    arguments: Map<String, Value>,
    context: &CallContext,
) -> Plan {
    let (waiting, answer) =
        tools
            .client_tool_calls
            .register(&context.agent, &context.conversation_id, &call.id);
    let timeout = tool.timeout();
    let max = tools.settings.result_max_chars;
    let (announced_tx, announced) = oneshot::channel();
    let task = tokio::spawn(async move {
        let started = Instant::now();
        waiting.announce(timeout + ANNOUNCE_MARGIN).await;
        let _ = announced_tx.send(());
        let result = match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(result)) => Ok(crate::toml_file::cut(&result.to_string(), max)),
            Ok(Err(_)) => Err(ToolFailure {
                kind: ToolFailureKind::Connection,
                message: "the call was replaced before the page answered".into(),
            }),
            Err(_) => Err(ToolFailure {
                kind: ToolFailureKind::Timeout,
                message: format!("the page did not answer within {} ms", timeout.as_millis()),
            }),
        };
        drop(waiting);
        Called {
            result,
            took: started.elapsed(),
        }
    });
    let event = json!({"tool_call": {
        "id": call.id,
        "name": call.function.name,
        "arguments": Value::Object(arguments),
    }});
    Plan::Call {
        mutating: false,
        task,
        client_event: Some(ClientEvent { event, announced }),
    }
}

/// Whether an earlier call's arguments, checked with the same context, are `arguments`.
fn same_arguments(
    earlier: &ToolCall,
    arguments: &Map<String, Value>,
    tool: &crate::tools::Tool,
    context: &CallContext,
    now: &Now,
) -> bool {
    tool.arguments(&earlier.function.arguments, context, now)
        .is_ok_and(|before| &before == arguments)
}

/// A short JSON error the model reads as the tool's result.
pub(super) fn error(message: String) -> String {
    json!({ "error": message }).to_string()
}

/// A name from the model, bounded for logs and the browser.
pub(super) fn short(name: &str) -> String {
    let cut: String = name.chars().take(64).collect();
    format!("\"{cut}\"")
}

/// The result content and metric outcome of a finished call.
pub(super) fn finished(called: &Called) -> (String, &'static str) {
    match &called.result {
        Ok(body) => (body.clone(), "ok"),
        Err(failure) => (
            error(format!("the tool failed: {}", failure.message)),
            failure.kind.as_str(),
        ),
    }
}

/// Records a finished call in the metrics under a bounded label: the model may invent
/// names, so unknown tools count as `unknown`.
pub(super) fn count(
    metrics: &Metrics,
    tools: &ToolSet,
    agent: &str,
    name: &str,
    outcome: &str,
    took: Option<Duration>,
) {
    let known = tools.tool(name).is_some()
        || (name == END_CALL && tools.settings.end_call)
        || tools.mcp_tool(name).is_some();
    let label = if known { name } else { "unknown" };
    metrics.tool_finished(agent, label, outcome, took);
}
