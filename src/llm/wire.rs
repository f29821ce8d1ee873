//! Wire types of the OpenAI-compatible chat-completions API: the request we send and the
//! parts of a streamed chunk we read. Everything else a server sends is ignored.

use serde::{Deserialize, Serialize};

use crate::session::{ChatMessage, Role, ToolCall, ToolResult};

/// The streaming request body.
#[derive(Debug, Serialize)]
pub struct ChatRequest<'a> {
    /// Model name.
    pub model: &'a str,
    /// System prompt first, then the conversation.
    pub messages: Vec<WireMessage<'a>>,
    /// Always true: we speak while the model writes.
    pub stream: bool,
    /// Asks for a final usage chunk.
    pub stream_options: StreamOptions,
    /// Sampling temperature, when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Token cap, when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Tools the model may call (OpenAI function tools); absent when there are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<&'a [serde_json::Value]>,
    /// `none` once the turn's tool rounds are used up: the model must answer in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<&'static str>,
    /// OpenAI's `prompt_cache_key`, when configured (`LLM_PROMPT_CACHE_KEY`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt_cache_key: Option<&'a str>,
    /// Structured output (`{"type": "json_schema", …}`), for a post-call analysis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<&'a serde_json::Value>,
}

/// What one request asks the model: the prompt, the stored conversation, this turn's tool
/// rounds so far, and the tools on offer.
#[derive(Debug, Clone, Copy)]
pub struct Prompt<'a> {
    /// The system prompt, sent first.
    pub system: &'a str,
    /// The conversation, oldest first, ending with the user's message (or with the tool
    /// calls an earlier delivery of this turn made).
    pub history: &'a [ChatMessage],
    /// This turn's finished tool rounds, in order.
    pub rounds: &'a [ToolRound],
    /// Tool definitions in OpenAI's function format.
    pub tools: &'a [serde_json::Value],
    /// The tools are still described but may not be called (`tool_choice: none`).
    pub tools_disabled: bool,
    /// The W3C `traceparent` of the request's span, sent as a header so a traced model
    /// server or proxy joins the turn's trace.
    pub traceparent: Option<&'a str>,
    /// Structured output asked of the model (`response_format`); `None` for a turn.
    pub response_format: Option<&'a serde_json::Value>,
}

impl<'a> Prompt<'a> {
    /// A prompt without tools.
    pub fn new(system: &'a str, history: &'a [ChatMessage]) -> Self {
        Self {
            system,
            history,
            rounds: &[],
            tools: &[],
            tools_disabled: false,
            traceparent: None,
            response_format: None,
        }
    }

    /// The messages as sent: the system prompt, the history (a stored reply with tool
    /// calls becomes the assistant's calls, their results, then its words), then this
    /// turn's rounds.
    pub fn messages(&self) -> Vec<WireMessage<'a>> {
        let mut out = vec![WireMessage::text(Role::System, self.system)];
        for message in self.history {
            if message.role == Role::Assistant && !message.tool_calls.is_empty() {
                out.push(WireMessage::calls(None, &message.tool_calls));
                out.extend(message.tool_results.iter().map(WireMessage::result));
                if !message.content.trim().is_empty() {
                    out.push(WireMessage::text(Role::Assistant, &message.content));
                }
            } else {
                out.push(WireMessage::from(message));
            }
        }
        for round in self.rounds {
            let said = Some(round.text.as_str()).filter(|t| !t.trim().is_empty());
            out.push(WireMessage::calls(said, &round.calls));
            out.extend(round.results.iter().map(WireMessage::result));
        }
        out
    }
}

/// One model↔tool round of a turn: what the model said before calling, its calls, and
/// one result per call in the same order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolRound {
    /// Words the model said in this round before the calls.
    pub text: String,
    /// The calls, in the model's order.
    pub calls: Vec<ToolCall>,
    /// One result per call, in the same order.
    pub results: Vec<ToolResult>,
}

/// `stream_options` of the request.
#[derive(Debug, Serialize)]
pub struct StreamOptions {
    /// Ask for a usage chunk at the end of the stream.
    pub include_usage: bool,
}

/// One message as sent upstream.
#[derive(Debug, Serialize)]
pub struct WireMessage<'a> {
    /// Speaker: `system`, `user`, `assistant` or `tool`.
    pub role: &'static str,
    /// Text; `null` on an assistant message that only calls tools.
    pub content: Option<&'a str>,
    /// The assistant's tool calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<&'a [ToolCall]>,
    /// The call a `tool` message answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<&'a str>,
}

impl<'a> WireMessage<'a> {
    fn text(role: Role, content: &'a str) -> Self {
        let role = match role {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        Self {
            role,
            content: Some(content),
            tool_calls: None,
            tool_call_id: None,
        }
    }

    fn calls(content: Option<&'a str>, calls: &'a [ToolCall]) -> Self {
        Self {
            role: "assistant",
            content,
            tool_calls: Some(calls),
            tool_call_id: None,
        }
    }

    fn result(result: &'a ToolResult) -> Self {
        Self {
            role: "tool",
            content: Some(&result.content),
            tool_calls: None,
            tool_call_id: Some(&result.tool_call_id),
        }
    }
}

impl<'a> From<&'a ChatMessage> for WireMessage<'a> {
    fn from(message: &'a ChatMessage) -> Self {
        Self::text(message.role, &message.content)
    }
}

/// Token counts reported by the provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct Usage {
    /// Tokens in the prompt.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Tokens generated.
    #[serde(default)]
    pub completion_tokens: u64,
    /// Prompt tokens the provider served from its cache (`prompt_tokens_details.cached_tokens`),
    /// when it says.
    #[serde(
        default,
        rename = "prompt_tokens_details",
        deserialize_with = "cached_tokens"
    )]
    pub cached_tokens: Option<u64>,
}

fn cached_tokens<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    struct Details {
        #[serde(default)]
        cached_tokens: Option<u64>,
    }
    Ok(Option::<Details>::deserialize(d)?.and_then(|details| details.cached_tokens))
}

/// One `data:` payload of the stream.
#[derive(Debug, Deserialize)]
pub(crate) struct ChunkWire {
    #[serde(default)]
    pub choices: Option<Vec<ChoiceWire>>,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChoiceWire {
    #[serde(default)]
    pub index: u32,
    #[serde(default)]
    pub delta: Option<DeltaWire>,
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// A delta: only `content` is ever spoken. Reasoning and tool-call fragments are only
/// noticed (the model is working), never spoken.
#[derive(Debug, Deserialize)]
pub(crate) struct DeltaWire {
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub reasoning_content: Option<String>,
    #[serde(default)]
    pub reasoning: Option<String>,
    /// Parsed one by one ([`ToolCallDelta::lenient`]): an odd fragment is dropped, not
    /// allowed to fail the whole chunk.
    #[serde(default)]
    pub tool_calls: Option<Vec<serde_json::Value>>,
}

/// A fragment of a streamed tool call: the first names the call (`id`, `function.name`),
/// later ones append to `function.arguments`. Servers differ: some send a whole call in
/// one fragment, some omit `index`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ToolCallDelta {
    /// Which of the parallel calls this continues.
    #[serde(default)]
    pub index: Option<u32>,
    /// The call's id, on its first fragment.
    #[serde(default)]
    pub id: Option<String>,
    /// Name and a piece of the arguments.
    #[serde(default)]
    pub function: Option<FunctionDelta>,
}

impl ToolCallDelta {
    /// Reads a fragment as servers send it: `index` as a number or a numeric string,
    /// `arguments` as text or (some servers) an object, which is kept as its JSON text.
    /// `None` for a fragment that is not an object.
    pub fn lenient(value: serde_json::Value) -> Option<Self> {
        let object = value.as_object()?;
        let text = |v: Option<&serde_json::Value>| match v {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
        let index = match object.get("index") {
            Some(serde_json::Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let function = object
            .get("function")
            .and_then(|f| f.as_object())
            .map(|f| FunctionDelta {
                name: text(f.get("name")),
                arguments: text(f.get("arguments")),
            });
        Some(Self {
            index,
            id: text(object.get("id")),
            function,
        })
    }
}

/// The function part of a [`ToolCallDelta`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct FunctionDelta {
    /// The tool's name (on the first fragment).
    #[serde(default)]
    pub name: Option<String>,
    /// The next piece of the arguments' JSON text.
    #[serde(default)]
    pub arguments: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn history_and_rounds_become_calls_results_then_words() {
        let history = vec![
            ChatMessage::user("Cancel A1", "t1"),
            ChatMessage::assistant("Cancelled.", "t1").with_tools(
                vec![ToolCall::new("c1", "cancel", "{}")],
                vec![ToolResult::new("c1", "ok")],
            ),
            ChatMessage::user("And A2?", "t2"),
        ];
        let rounds = [ToolRound {
            text: "Checking. ".into(),
            calls: vec![ToolCall::new("c2", "get", "{\"id\":2}")],
            results: vec![ToolResult::new("c2", "shipped")],
        }];
        let prompt = Prompt {
            rounds: &rounds,
            ..Prompt::new("Be brief.", &history)
        };
        let sent = serde_json::to_value(prompt.messages()).expect("json");
        let call = |id: &str, name: &str, args: &str| json!([{"id": id, "type": "function", "function": {"name": name, "arguments": args}}]);
        assert_eq!(
            sent,
            json!([
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Cancel A1"},
                {"role": "assistant", "content": null, "tool_calls": call("c1", "cancel", "{}")},
                {"role": "tool", "content": "ok", "tool_call_id": "c1"},
                {"role": "assistant", "content": "Cancelled."},
                {"role": "user", "content": "And A2?"},
                {"role": "assistant", "content": "Checking. ", "tool_calls": call("c2", "get", "{\"id\":2}")},
                {"role": "tool", "content": "shipped", "tool_call_id": "c2"},
            ])
        );
    }
}
