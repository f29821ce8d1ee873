//! What the door answers: `chat.completion.chunk` events (`data: {…}\n\n`, then
//! `data: [DONE]\n\n`), the one `chat.completion` object of a request that did not ask to
//! stream, and OpenAI-shaped errors. Every chunk carries a `choices` array (platforms
//! fail on a chunk without one); with `include_usage` every chunk carries `"usage": null`
//! and one last chunk, with empty `choices`, the totals.

use serde_json::{json, Value};

use crate::session::ToolCall;

/// The stream's last event.
pub const DONE: &str = "data: [DONE]\n\n";

/// Tokens of a reply, as the model's provider reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenUsage {
    /// Tokens in the prompts.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
}

impl TokenUsage {
    fn json(self) -> Value {
        json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens.saturating_add(self.completion_tokens),
        })
    }
}

/// Writes one reply's chunks: the same `id`, `created` and `model` on each.
#[derive(Debug, Clone)]
pub struct ChunkWriter {
    id: String,
    created: u64,
    model: String,
    include_usage: bool,
}

impl ChunkWriter {
    /// A writer for the reply `id` (`chatcmpl-…`), made at `created` (unix seconds), by
    /// `model` (the agent's name); `include_usage` as the request asked.
    pub fn new(id: &str, created: u64, model: &str, include_usage: bool) -> Self {
        Self {
            id: id.to_string(),
            created,
            model: model.to_string(),
            include_usage,
        }
    }

    fn event(&self, choices: Value, usage: Option<Value>) -> String {
        let mut chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        });
        if self.include_usage {
            chunk["usage"] = usage.unwrap_or(Value::Null);
        }
        format!("data: {chunk}\n\n")
    }

    fn choice(&self, delta: Value, finish_reason: Option<&str>) -> String {
        self.event(
            json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}]),
            None,
        )
    }

    /// The first chunk: the assistant's role.
    pub fn role(&self) -> String {
        self.choice(json!({"role": "assistant", "content": ""}), None)
    }

    /// Text of the reply.
    pub fn content(&self, text: &str) -> String {
        self.choice(json!({ "content": text }), None)
    }

    /// Tool calls for the platform to run, each whole, numbered from 0.
    pub fn tool_calls(&self, calls: &[ToolCall]) -> String {
        self.choice(json!({ "tool_calls": tool_calls_json(calls, true) }), None)
    }

    /// The reply's end: `stop`, `length` or `tool_calls`.
    pub fn finish(&self, reason: &str) -> String {
        self.choice(json!({}), Some(reason))
    }

    /// The usage chunk (empty `choices`), when the request asked for one; `None` otherwise.
    pub fn usage(&self, usage: TokenUsage) -> Option<String> {
        self.include_usage
            .then(|| self.event(json!([]), Some(usage.json())))
    }

    /// The whole reply as one `chat.completion` (a request with `stream: false`).
    pub fn completion(
        &self,
        text: &str,
        calls: &[ToolCall],
        finish_reason: &str,
        usage: TokenUsage,
    ) -> Value {
        let mut message = json!({"role": "assistant", "content": text});
        if !calls.is_empty() {
            message["tool_calls"] = Value::Array(tool_calls_json(calls, false));
        }
        json!({
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish_reason}],
            "usage": usage.json(),
        })
    }
}

fn tool_calls_json(calls: &[ToolCall], indexed: bool) -> Vec<Value> {
    calls
        .iter()
        .enumerate()
        .map(|(index, call)| {
            let mut value = json!({
                "id": call.id,
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments},
            });
            if indexed {
                value["index"] = json!(index);
            }
            value
        })
        .collect()
}

/// An error as OpenAI's API writes it: `{"error": {"message", "type", "param", "code"}}`.
pub fn error_body(message: &str, kind: &str, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(event: &str) -> Value {
        let json = event
            .strip_prefix("data: ")
            .and_then(|e| e.strip_suffix("\n\n"))
            .expect("one data event");
        serde_json::from_str(json).expect("json")
    }

    #[test]
    fn chunks_carry_choices_and_usage_only_when_asked() {
        let plain = ChunkWriter::new("chatcmpl-1", 1_700_000_000, "support", false);
        let role = data(&plain.role());
        assert_eq!(role["object"], "chat.completion.chunk");
        assert_eq!(role["choices"][0]["delta"]["role"], "assistant");
        assert!(role.get("usage").is_none());
        assert_eq!(
            data(&plain.content("Hi"))["choices"][0]["delta"]["content"],
            "Hi"
        );
        assert_eq!(
            data(&plain.finish("stop"))["choices"][0]["finish_reason"],
            "stop"
        );
        assert_eq!(plain.usage(TokenUsage::default()), None);

        let counted = ChunkWriter::new("chatcmpl-1", 1, "support", true);
        assert!(data(&counted.content("Hi"))["usage"].is_null());
        let usage = data(
            &counted
                .usage(TokenUsage {
                    prompt_tokens: 5,
                    completion_tokens: 2,
                })
                .expect("asked"),
        );
        assert_eq!(usage["choices"], json!([]));
        assert_eq!(usage["usage"]["total_tokens"], 7);
    }

    #[test]
    fn tool_calls_go_whole_with_their_index_and_in_a_completion_without() {
        let writer = ChunkWriter::new("chatcmpl-2", 1, "support", false);
        let calls = [
            ToolCall::new("c1", "endCall", "{}"),
            ToolCall::new("c2", "transferCall", r#"{"to":"sales"}"#),
        ];
        let chunk = data(&writer.tool_calls(&calls));
        let sent = &chunk["choices"][0]["delta"]["tool_calls"];
        assert_eq!(sent[1]["index"], 1);
        assert_eq!(sent[1]["type"], "function");
        assert_eq!(sent[1]["function"]["arguments"], r#"{"to":"sales"}"#);
        let whole = writer.completion("", &calls, "tool_calls", TokenUsage::default());
        assert_eq!(whole["object"], "chat.completion");
        assert_eq!(whole["choices"][0]["finish_reason"], "tool_calls");
        assert!(whole["choices"][0]["message"]["tool_calls"][0]
            .get("index")
            .is_none());
        assert_eq!(
            error_body("bad key", "authentication_error", Some("invalid_api_key")),
            json!({"error": {"message": "bad key", "type": "authentication_error", "param": null, "code": "invalid_api_key"}})
        );
    }
}
