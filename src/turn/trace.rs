//! The spans inside a turn, named and described by OpenTelemetry's GenAI semantic
//! conventions: each model attempt (`chat {model}`, `CLIENT`) and each tool call
//! (`execute_tool {tool}`, `INTERNAL`); the turn's own span is in `turn_span.rs`.
//! Content (prompts, messages, tool arguments and results) is recorded only with
//! `OTEL_CAPTURE_CONTENT=true`; no key or tool secret is ever recorded.

use serde_json::{json, Value};

use crate::llm::{Prompt, ReplyStream, Usage};
use crate::trace::{KeyValue, Span, SpanKind};

/// The most characters of one content attribute (a prompt, the messages sent, a tool's
/// result): with the collector down, the queue of spans holds no more than this each.
const MAX_CONTENT_CHARS: usize = 32 * 1024;

/// `text` as a content attribute's value on `span`: redacted as the agent's records are,
/// cut to [`MAX_CONTENT_CHARS`], ending in `…` when cut.
pub(super) fn content(span: &Span, text: String) -> String {
    let text = span.redact(text);
    match text.char_indices().nth(MAX_CONTENT_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// The span of a reply run that is not traced.
pub(super) static NO_SPAN: Span = Span::none();

/// The usage attributes of `usage`, when reported.
pub(super) fn usage_attributes(usage: Option<Usage>) -> Vec<KeyValue> {
    let Some(usage) = usage else {
        return Vec::new();
    };
    let mut out = vec![
        KeyValue::new("gen_ai.usage.input_tokens", usage.prompt_tokens as i64),
        KeyValue::new("gen_ai.usage.output_tokens", usage.completion_tokens as i64),
    ];
    if let Some(cached) = usage.cached_tokens {
        out.push(KeyValue::new(
            "gen_ai.usage.cache_read.input_tokens",
            cached as i64,
        ));
    }
    out
}

/// The span of one model attempt: `chat {model}` with the request's attributes.
pub(super) fn model_span(
    parent: &Span,
    model: &str,
    upstream: impl FnOnce() -> Vec<KeyValue>,
    attempt: u32,
    index: usize,
    prompt: &Prompt<'_>,
) -> Span {
    if parent.is_none() {
        return Span::none();
    }
    if !parent.recording() {
        // Unsampled, the child still carries the trace's context to the model server.
        return parent.child(format!("chat {model}"), SpanKind::Client, Vec::new());
    }
    let mut attributes = vec![
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("gen_ai.request.model", model.to_string()),
        KeyValue::new("voicebridge.upstream", index as i64),
        KeyValue::new("voicebridge.attempt", i64::from(attempt)),
        KeyValue::new("voicebridge.fallback", index > 0),
    ];
    attributes.extend(upstream());
    let span = parent.child(format!("chat {model}"), SpanKind::Client, attributes);
    if span.captures_content() {
        span.set([
            KeyValue::new(
                "gen_ai.system_instructions",
                content(&span, instructions(prompt.system)),
            ),
            KeyValue::new(
                "gen_ai.input.messages",
                content(&span, input_messages(prompt)),
            ),
        ]);
    }
    span
}

/// What the model's response leaves on its attempt's span.
pub(super) fn finish_model_span(
    span: &Span,
    stream: &ReplyStream,
    usage: Option<Usage>,
    first_chunk_ms: Option<u64>,
    output: Option<&str>,
) {
    if !span.recording() {
        return;
    }
    let mut attributes = usage_attributes(usage);
    if let Some(reason) = stream.finish_reason() {
        attributes.push(KeyValue::new(
            "gen_ai.response.finish_reasons",
            opentelemetry::Value::Array(
                vec![opentelemetry::StringValue::from(reason.to_string())].into(),
            ),
        ));
    }
    if let Some(identity) = stream.identity() {
        if let Some(id) = &identity.id {
            attributes.push(KeyValue::new("gen_ai.response.id", id.clone()));
        }
        if let Some(model) = &identity.model {
            attributes.push(KeyValue::new("gen_ai.response.model", model.clone()));
        }
    }
    if let Some(ms) = first_chunk_ms {
        attributes.push(KeyValue::new("voicebridge.first_chunk_ms", ms as i64));
    }
    if let Some(text) = output.filter(|_| span.captures_content()) {
        let message = json!([{
            "role": "assistant",
            "parts": [{"type": "text", "content": text}],
            "finish_reason": stream.finish_reason(),
        }]);
        attributes.push(KeyValue::new(
            "gen_ai.output.messages",
            content(span, message.to_string()),
        ));
    }
    span.set(attributes);
}

fn instructions(system: &str) -> String {
    json!([{"type": "text", "content": system}]).to_string()
}

/// The prompt's messages (but the system prompt) in the conventions' shape: a role and
/// its parts (text, tool calls, tool call responses).
fn input_messages(prompt: &Prompt<'_>) -> String {
    let sent = serde_json::to_value(prompt.messages()).unwrap_or_default();
    let messages: Vec<Value> = sent
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|m| m["role"] != "system")
        .map(|m| {
            let mut parts = Vec::new();
            if let Some(text) = m["content"].as_str() {
                let kind = if m["role"] == "tool" {
                    json!({"type": "tool_call_response", "id": m["tool_call_id"], "response": text})
                } else {
                    json!({"type": "text", "content": text})
                };
                parts.push(kind);
            }
            for call in m["tool_calls"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                parts.push(json!({
                    "type": "tool_call",
                    "id": call["id"],
                    "name": call["function"]["name"],
                    "arguments": call["function"]["arguments"],
                }));
            }
            json!({"role": m["role"], "parts": parts})
        })
        .collect();
    Value::Array(messages).to_string()
}

/// The span of one tool call.
pub(super) fn tool_span(
    parent: &Span,
    call: &crate::session::ToolCall,
    kind: impl FnOnce() -> &'static str,
    mutating: bool,
) -> Span {
    if parent.is_none() {
        return Span::none();
    }
    // The model writes the name: at most 64 characters of it, as the metrics keep.
    let name: String = call.function.name.chars().take(64).collect();
    if !parent.recording() {
        return parent.child(
            format!("execute_tool {name}"),
            SpanKind::Internal,
            Vec::new(),
        );
    }
    let span = parent.child(
        format!("execute_tool {name}"),
        SpanKind::Internal,
        vec![
            KeyValue::new("gen_ai.operation.name", "execute_tool"),
            KeyValue::new("gen_ai.tool.name", name),
            KeyValue::new("gen_ai.tool.call.id", call.id.clone()),
            KeyValue::new("gen_ai.tool.type", kind()),
            KeyValue::new("voicebridge.tool.mutating", mutating),
        ],
    );
    if span.captures_content() {
        span.set([KeyValue::new(
            "gen_ai.tool.call.arguments",
            content(&span, call.function.arguments.clone()),
        )]);
    }
    span
}

/// Ends a tool call's span with its outcome (and its result, when content is kept).
pub(super) fn finish_tool_span(span: Span, outcome: &str, failed: bool, result: &str) {
    if span.recording() {
        span.set([KeyValue::new(
            "voicebridge.tool.outcome",
            outcome.to_string(),
        )]);
        if span.captures_content() {
            span.set([KeyValue::new(
                "gen_ai.tool.call.result",
                content(&span, result.to_string()),
            )]);
        }
        if failed {
            span.fail(outcome, format!("the tool call ended: {outcome}"));
        }
    }
    span.end();
}

#[cfg(test)]
mod tests {
    use super::{content, Span, MAX_CONTENT_CHARS};

    #[test]
    fn content_is_cut_at_a_character_boundary_and_says_so() {
        assert_eq!(content(&Span::none(), "short".into()), "short");
        let long = "é".repeat(MAX_CONTENT_CHARS + 10);
        let cut = content(&Span::none(), long);
        assert_eq!(cut.chars().count(), MAX_CONTENT_CHARS + 1);
        assert!(cut.ends_with("é…"));
    }
}
