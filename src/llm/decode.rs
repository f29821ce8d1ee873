//! Decoding one upstream SSE event into what the turn needs (pure). Framing (lines, CRLF,
//! comments, events split across reads) is handled in `stream.rs`.

use super::wire::{ChunkWire, ToolCallDelta, Usage};

/// What one event of the stream carried.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplyChunk {
    /// Text to speak, never empty when present.
    pub text: Option<String>,
    /// Fragments of tool calls (never spoken).
    pub tool_calls: Vec<ToolCallDelta>,
    /// The model is reasoning (never spoken, but it is working).
    pub reasoning: bool,
    /// Why the model stopped (`stop`, `length`, `tool_calls`, `content_filter`).
    pub finish_reason: Option<String>,
    /// Token usage, on the final usage chunk.
    pub usage: Option<Usage>,
    /// `[DONE]`: the stream is over.
    pub done: bool,
}

/// An event that is a failure rather than text.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// `data: {"error": {...}}` after a `200`.
    #[error("in-band error from the model server: {message}")]
    InBand {
        /// Provider's code, when given.
        code: Option<String>,
        /// Provider's message.
        message: String,
    },
    /// The payload is not JSON.
    #[error("malformed stream event: {0}")]
    Malformed(String),
}

/// Decodes the `data` of one event. `event_name` is the SSE `event:` field (`message`
/// when absent); an `error` event is an in-band failure like an `error` object.
pub fn decode_event(event_name: &str, data: &str) -> Result<ReplyChunk, DecodeError> {
    let data = data.trim();
    if data == "[DONE]" {
        return Ok(ReplyChunk {
            done: true,
            ..ReplyChunk::default()
        });
    }
    let chunk: ChunkWire =
        serde_json::from_str(data).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if let Some(error) = chunk.error.filter(|e| !e.is_null()) {
        return Err(in_band(&error));
    }
    if event_name == "error" {
        return Err(DecodeError::InBand {
            code: None,
            message: data.chars().take(500).collect(),
        });
    }
    let mut out = ReplyChunk {
        usage: chunk.usage,
        ..ReplyChunk::default()
    };
    // We always ask for one choice; any other index is not ours to speak.
    for choice in chunk
        .choices
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.index == 0)
    {
        if let Some(delta) = choice.delta {
            out.tool_calls.extend(
                delta
                    .tool_calls
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(ToolCallDelta::lenient),
            );
            out.reasoning |= [&delta.reasoning_content, &delta.reasoning]
                .iter()
                .any(|r| r.as_deref().is_some_and(|r| !r.is_empty()));
            out.text = delta.content.filter(|c| !c.is_empty());
        }
        // An empty reason says nothing, as `null` does.
        out.finish_reason = choice.finish_reason.filter(|r| !r.is_empty());
    }
    Ok(out)
}

fn in_band(error: &serde_json::Value) -> DecodeError {
    let text = |key: &str| match error.get(key) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    DecodeError::InBand {
        code: text("code").or_else(|| text("type")),
        message: text("message").unwrap_or_else(|| error.to_string().chars().take(500).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(data: &str) -> ReplyChunk {
        decode_event("message", data).expect("decodes")
    }

    #[test]
    fn role_only_first_chunk_carries_no_text() {
        let chunk = decode(
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}"#,
        );
        assert_eq!(chunk, ReplyChunk::default());
        let chunk = decode(
            r#"{"choices": [{"index": 0, "delta": {"role": "assistant"}, "logprobs": null, "finish_reason": null}]}"#,
        );
        assert_eq!(chunk, ReplyChunk::default());
        let chunk =
            decode(r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]}"#);
        assert_eq!(chunk, ReplyChunk::default());
    }

    #[test]
    fn content_is_text() {
        let chunk = decode(r#"{"choices":[{"index":0,"delta":{"content":"Dr. "}}]}"#);
        assert_eq!(chunk.text.as_deref(), Some("Dr. "));
    }

    #[test]
    fn usage_chunks_of_both_shapes_carry_no_text() {
        let openai = decode(
            r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":15,"total_tokens":20}}"#,
        );
        let litellm = decode(
            r#"{"choices":[{"index":0,"delta":{}}],"usage":{"completion_tokens":8,"prompt_tokens":5,"total_tokens":13}}"#,
        );
        assert_eq!(openai.text, None);
        assert_eq!(
            openai.usage,
            Some(Usage {
                prompt_tokens: 5,
                completion_tokens: 15,
                cached_tokens: None,
            })
        );
        assert_eq!(litellm.text, None);
        assert_eq!(
            litellm.usage,
            Some(Usage {
                prompt_tokens: 5,
                completion_tokens: 8,
                cached_tokens: None,
            })
        );
    }

    #[test]
    fn content_filter_chunk_with_empty_choices_is_ignored() {
        let chunk = decode(r#"{"choices":[],"prompt_filter_results":[{"prompt_index":0}]}"#);
        assert_eq!(chunk, ReplyChunk::default());
    }

    #[test]
    fn finish_reason_and_done_are_reported() {
        let chunk = decode(r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#);
        assert_eq!(chunk.finish_reason.as_deref(), Some("stop"));
        assert!(decode("[DONE]").done);
        let empty =
            decode(r#"{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":""}]}"#);
        assert_eq!(empty.finish_reason, None);
    }

    #[test]
    fn reasoning_is_never_text() {
        let chunk = decode(
            r#"{"choices":[{"index":0,"delta":{"reasoning_content":"Let me think","content":null}}]}"#,
        );
        assert_eq!(chunk.text, None);
        assert!(chunk.reasoning);
        let chunk = decode(r#"{"choices":[{"index":0,"delta":{"reasoning":"hmm"}}]}"#);
        assert_eq!(chunk.text, None);
    }

    #[test]
    fn tool_call_fragments_are_noticed_not_spoken() {
        let chunk = decode(
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\": \"mo"}}]}}]}"#,
        );
        assert_eq!(chunk.tool_calls.len(), 1);
        assert_eq!(
            chunk.tool_calls[0]
                .function
                .as_ref()
                .and_then(|f| f.arguments.as_deref()),
            Some("{\"city\": \"mo")
        );
        assert_eq!(chunk.text, None);
    }

    #[test]
    fn odd_tool_call_fragments_are_read_leniently() {
        let chunk = decode(
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":"1","id":"c","function":{"name":"f","arguments":{"a":1}}},7,null]}}]}"#,
        );
        assert_eq!(chunk.tool_calls.len(), 1);
        let call = &chunk.tool_calls[0];
        assert_eq!(call.index, Some(1));
        assert_eq!(
            call.function.as_ref().and_then(|f| f.arguments.as_deref()),
            Some(r#"{"a":1}"#)
        );
    }

    #[test]
    fn in_band_errors_are_failures() {
        let err = decode_event("message", r#"{"error": {"message": "Connection error.", "type": null, "param": null, "code": "500"}}"#)
            .expect_err("in-band error");
        assert_eq!(
            err,
            DecodeError::InBand {
                code: Some("500".into()),
                message: "Connection error.".into()
            }
        );
        assert!(matches!(
            decode_event("error", r#"{"message":"overloaded"}"#),
            Err(DecodeError::InBand { .. })
        ));
    }

    #[test]
    fn non_json_is_malformed() {
        assert!(matches!(
            decode_event("message", "{oops"),
            Err(DecodeError::Malformed(_))
        ));
    }
}
