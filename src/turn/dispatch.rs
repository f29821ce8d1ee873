//! Tool calls inside a turn: how each call of a round is answered (planned, run as a task
//! of its own, or refused), and what each call leaves for the model and the browser.
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

use crate::metrics::Metrics;
use crate::session::{ToolCall, ToolResult};
use crate::template::{CallContext, Now};
use crate::tools::{SentArguments, ToolFailure, ToolFailureKind, END_CALL};

use super::toolset::ToolSet;

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
    /// Each call's span, ended when it is answered.
    pub(super) spans: Vec<crate::trace::Span>,
    pub(super) started: Instant,
    pub(super) filler_spoken: bool,
}

/// What a call made over HTTP or MCP carries: the idempotency key a mutating call sends
/// (made only when needed), and the `traceparent` of the call's span.
pub(super) struct CallIds<F> {
    pub(super) key: F,
    pub(super) traceparent: Option<String>,
}

/// Decides how to answer `call`: `earlier` are calls (with results) an earlier delivery of
/// this turn made, `context` and `now` what the tool's templates (URL, headers, static
/// values) are rendered with, `ids` what the request carries.
pub(super) fn plan(
    tools: &Arc<ToolSet>,
    metrics: &Metrics,
    call: &ToolCall,
    earlier: &[(ToolCall, ToolResult)],
    context: &CallContext,
    now: &Now,
    ids: CallIds<impl FnOnce() -> String>,
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
    if let Some(knowledge) = tools
        .knowledge()
        .filter(|_| name == crate::tools::SEARCH_KNOWLEDGE)
    {
        let query = match super::knowledge_tool::search_query(&call.function.arguments) {
            Ok(query) => query,
            Err(content) => {
                return Plan::Answer {
                    content,
                    outcome: "invalid_arguments",
                    failed: true,
                }
            }
        };
        let knowledge = knowledge.clone();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let answer = super::knowledge_tool::search_answer(&knowledge, &query).await;
            Called {
                result: Ok(answer),
                took: started.elapsed(),
            }
        });
        return Plan::Call {
            mutating: false,
            task,
            client_event: None,
        };
    }
    if tools.tool(name).is_none() {
        if let Some(mcp_tool) = tools.mcp_tool(name) {
            return mcp_call(tools, call, mcp_tool, earlier, ids);
        }
    }
    let Some(tool) = tools.tool(name) else {
        return Plan::Answer {
            content: error(format!("there is no tool named {}", short(name))),
            outcome: "unknown_tool",
            failed: true,
        };
    };
    let arguments = match tool.sent_arguments(&call.function.arguments, context, now) {
        Ok(SentArguments { values, dropped }) => {
            if !dropped.is_empty() {
                metrics.tool_arguments_dropped(&context.agent, name, dropped.len());
            }
            values
        }
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
    let key = mutating.then(ids.key);
    let traceparent = ids.traceparent;
    let (tools, name) = (tools.clone(), name.to_string());
    let (context, now) = (context.clone(), now.clone());
    let task = tokio::spawn(async move {
        let started = Instant::now();
        let result = match tools.tool(&name) {
            Some(tool) => {
                let max = tools.settings.result_max_chars;
                let http = if tool.follows_same_origin_redirects() {
                    &tools.http_same_origin
                } else {
                    &tools.http
                };
                let meta = crate::tools::CallMeta {
                    idempotency_key: key.as_deref(),
                    traceparent: traceparent.as_deref(),
                };
                tool.call(http, &arguments, meta, max, &context, &now).await
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
    ids: CallIds<impl FnOnce() -> String>,
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
    let key = mutating.then(ids.key);
    let traceparent = ids.traceparent;
    let (registry, max) = (tools.mcp.clone(), tools.settings.result_max_chars);
    let task = tokio::spawn(async move {
        let started = Instant::now();
        let meta = crate::tools::CallMeta {
            idempotency_key: key.as_deref(),
            traceparent: traceparent.as_deref(),
        };
        let result = registry.call(&tool.name, arguments, meta, max).await;
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
