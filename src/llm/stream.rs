//! The upstream reply as a sequence of decoded chunks: SSE framing by `eventsource-stream`
//! (CRLF, comments, events split across reads, UTF-8 split across reads), then
//! [`decode_event`]. Knows when a stream ended properly and when it was cut off: a reply
//! is finished only when a chunk said why the model stopped (`finish_reason`). Every
//! server the README names (OpenAI, Groq, OpenRouter, Ollama, vLLM, LiteLLM, llama.cpp,
//! llama-cpp-python) sends one at the end of a complete reply, and so does every recorded
//! fixture; llama-cpp-python's server closes a stream it stopped for another request with
//! `[DONE]` and none, which must not pass for an answer.

use std::pin::Pin;

use bytes::Bytes;
use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};

use super::decode::{decode_event, ReplyChunk};
use super::LlmError;

type EventResult = Result<Event, EventStreamError<String>>;

/// A streamed reply. Call [`ReplyStream::next`] until it returns `None`.
pub struct ReplyStream {
    events: Pin<Box<dyn Stream<Item = EventResult> + Send>>,
    finish_reason: Option<String>,
    over: bool,
}

impl ReplyStream {
    /// Wraps a body stream of bytes. Transport errors are carried as their message.
    pub fn new<S, E>(body: S) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: std::fmt::Display,
    {
        let body = body.map(|chunk| chunk.map_err(|e| e.to_string()));
        Self {
            events: Box::pin(body.eventsource()),
            finish_reason: None,
            over: false,
        }
    }

    /// The next chunk that matters, `None` once the stream ended properly: with `[DONE]`
    /// or the end of the body after a `finish_reason`. Without one, `[DONE]` is
    /// [`LlmError::Unfinished`] and the end of the body [`LlmError::Truncated`].
    pub async fn next(&mut self) -> Option<Result<ReplyChunk, LlmError>> {
        if self.over {
            return None;
        }
        let finished = self.finish_reason.is_some();
        let result = match self.events.next().await {
            None if finished => None,
            None => Some(Err(LlmError::Truncated)),
            Some(Err(EventStreamError::Transport(e))) => Some(Err(LlmError::Broken(e))),
            Some(Err(e)) => Some(Err(LlmError::Malformed(e.to_string()))),
            Some(Ok(event)) => match decode_event(&event.event, &event.data) {
                Ok(chunk) if chunk.done => {
                    self.drain_in_background();
                    (!finished).then_some(Err(LlmError::Unfinished))
                }
                Ok(chunk) => {
                    if chunk.finish_reason.is_some() {
                        self.finish_reason.clone_from(&chunk.finish_reason);
                    }
                    Some(Ok(chunk))
                }
                Err(e) => Some(Err(e.into())),
            },
        };
        // After the end or a failure nothing more is read: a failed stream is not resumed.
        self.over = !matches!(result, Some(Ok(_)));
        result
    }
}

impl ReplyStream {
    /// Why the model stopped (`stop`, `length`, `tool_calls`, …), once a chunk said.
    pub fn finish_reason(&self) -> Option<&str> {
        self.finish_reason.as_deref()
    }

    /// Reads what follows `[DONE]` (the end of the HTTP body) off the turn's path, so the
    /// connection goes back to the pool instead of being closed: the next turn then pays
    /// no new connection or TLS handshake.
    fn drain_in_background(&mut self) {
        let mut rest = std::mem::replace(&mut self.events, Box::pin(futures_util::stream::empty()));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let drain = async { while rest.next().await.is_some() {} };
                let _ = tokio::time::timeout(std::time::Duration::from_secs(2), drain).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/upstream/");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}{name}")).expect("fixture exists")
    }

    /// Feeds `parts` as separate reads and collects (spoken text, usage seen, outcome).
    async fn collect(parts: Vec<Vec<u8>>) -> (String, bool, Result<(), LlmError>) {
        let body = futures_util::stream::iter(
            parts
                .into_iter()
                .map(|p| Ok::<_, std::io::Error>(Bytes::from(p))),
        );
        let mut stream = ReplyStream::new(body);
        let mut text = String::new();
        let mut usage = false;
        while let Some(item) = stream.next().await {
            match item {
                Ok(chunk) => {
                    text.push_str(chunk.text.as_deref().unwrap_or(""));
                    usage |= chunk.usage.is_some();
                }
                Err(e) => return (text, usage, Err(e)),
            }
        }
        (text, usage, Ok(()))
    }

    async fn whole(bytes: &[u8]) -> (String, bool, Result<(), LlmError>) {
        collect(vec![bytes.to_vec()]).await
    }

    #[tokio::test]
    async fn openai_shaped_reply_with_usage() {
        let (text, usage, outcome) = whole(&fixture("llmock-reply-with-usage.sse")).await;
        assert_eq!(
            text,
            "Sure. Dr. Smith can see you at 3 p.m. tomorrow. Does that work?"
        );
        assert!(usage);
        assert_eq!(outcome, Ok(()));
    }

    #[tokio::test]
    async fn litellm_usage_chunk_with_an_empty_delta() {
        let (text, usage, outcome) = whole(&fixture("litellm-proxy-reply-with-usage.sse")).await;
        assert_eq!(text, "Hello there. How can I help you today?");
        assert!(usage);
        assert_eq!(outcome, Ok(()));
    }

    #[tokio::test]
    async fn llama_cpp_reply_with_spaced_json_and_escaped_unicode() {
        let (text, usage, outcome) = whole(&fixture("llama-cpp-server.sse")).await;
        assert!(
            text.starts_with("Bonjour, cela est le cité de la France"),
            "{text}"
        );
        assert!(!usage);
        assert_eq!(outcome, Ok(()));
    }

    #[tokio::test]
    async fn in_band_error_after_200_is_a_failure_with_the_text_before_it() {
        let (text, _, outcome) = whole(&fixture("litellm-proxy-inband-error.sse")).await;
        assert_eq!(text, "One. Two. ");
        assert!(
            matches!(outcome, Err(LlmError::InBand { .. })),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn tool_call_stream_speaks_nothing_and_ends_cleanly() {
        let (text, _, outcome) = whole(&fixture("llmock-tool-call.sse")).await;
        assert_eq!(text, "");
        assert_eq!(outcome, Ok(()));
    }

    #[tokio::test]
    async fn the_recorded_tool_call_assembles_the_same_at_every_split_point() {
        let bytes = fixture("llmock-tool-call.sse");
        let expected = [crate::session::ToolCall::new(
            "call_ce3a825d7ab04af697a0bfaf",
            "get_weather",
            "{\"city\": \"mock-city\"}",
        )];
        for cut in 1..bytes.len() {
            let parts = [bytes[..cut].to_vec(), bytes[cut..].to_vec()];
            let body =
                futures_util::stream::iter(parts.map(|p| Ok::<_, std::io::Error>(Bytes::from(p))));
            let mut stream = ReplyStream::new(body);
            let mut calls = crate::llm::ToolCallAssembler::default();
            while let Some(item) = stream.next().await {
                item.expect("decodes")
                    .tool_calls
                    .into_iter()
                    .for_each(|c| calls.push(c));
            }
            assert_eq!(stream.finish_reason(), Some("tool_calls"));
            assert_eq!(calls.finish("t"), expected, "cut at {cut}");
        }
    }

    #[tokio::test]
    async fn done_without_a_finish_reason_is_a_cut_off_reply() {
        let (text, _, outcome) =
            whole(&fixture("llama-cpp-server-cut-by-another-request.sse")).await;
        assert!(text.ends_with("across the desert. Its head"), "{text}");
        assert_eq!(outcome, Err(LlmError::Unfinished));
        assert_eq!(
            LlmError::Unfinished.code(),
            "upstream_stream_unfinished",
            "its own kind in logs and metrics"
        );
        assert!(LlmError::Unfinished.retryable());
        let role_then_done = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\ndata: [DONE]\n\n";
        let (text, _, outcome) = whole(role_then_done.as_bytes()).await;
        assert_eq!((text.as_str(), outcome), ("", Err(LlmError::Unfinished)));
    }

    #[tokio::test]
    async fn every_recorded_complete_reply_has_a_finish_reason() {
        for name in [
            "llmock-reply-with-usage.sse",
            "litellm-proxy-reply-with-usage.sse",
            "llama-cpp-server.sse",
            "llmock-tool-call.sse",
        ] {
            let bytes = fixture(name);
            let body = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from(bytes))]);
            let mut stream = ReplyStream::new(body);
            while let Some(item) = stream.next().await {
                item.unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            assert!(stream.finish_reason().is_some(), "{name}");
        }
    }

    #[tokio::test]
    async fn every_split_point_of_every_fixture_decodes_the_same() {
        for name in [
            "llmock-reply-with-usage.sse",
            "litellm-proxy-reply-with-usage.sse",
            "llama-cpp-server.sse",
            "llmock-tool-call.sse",
            "llama-cpp-server-cut-by-another-request.sse",
            "litellm-proxy-inband-error.sse",
        ] {
            let bytes = fixture(name);
            let expected = whole(&bytes).await;
            for cut in 1..bytes.len() {
                let parts = vec![bytes[..cut].to_vec(), bytes[cut..].to_vec()];
                assert_eq!(collect(parts).await, expected, "{name} cut at {cut}");
            }
        }
    }

    #[tokio::test]
    async fn crlf_comments_and_utf8_split_inside_a_character() {
        let body = ": OPENROUTER PROCESSING\r\n\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Caf\u{e9} \u{2014} ok\"}}]}\r\n\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\r\n\r\ndata: [DONE]\r\n\r\n";
        let bytes = body.as_bytes();
        for cut in 1..bytes.len() {
            let parts = vec![bytes[..cut].to_vec(), bytes[cut..].to_vec()];
            let (text, _, outcome) = collect(parts).await;
            assert_eq!(text, "Caf\u{e9} \u{2014} ok", "cut at {cut}");
            assert_eq!(outcome, Ok(()));
        }
        // One byte per read, too.
        let (text, _, _) = collect(bytes.iter().map(|b| vec![*b]).collect()).await;
        assert_eq!(text, "Caf\u{e9} \u{2014} ok");
    }

    #[tokio::test]
    async fn end_without_done_is_fine_after_finish_reason_and_truncated_before() {
        let finished = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi.\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
        let (text, _, outcome) = whole(finished.as_bytes()).await;
        assert_eq!((text.as_str(), outcome), ("Hi.", Ok(())));
        let cut = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi.\"}}]}\n\n";
        let (_, _, outcome) = whole(cut.as_bytes()).await;
        assert_eq!(outcome, Err(LlmError::Truncated));
    }

    #[tokio::test]
    async fn a_transport_error_is_a_broken_stream() {
        let body = futures_util::stream::iter(vec![
            Ok(Bytes::from_static(
                b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n",
            )),
            Err("connection reset"),
        ]);
        let mut stream = ReplyStream::new(body);
        assert!(matches!(stream.next().await, Some(Ok(_))));
        assert_eq!(
            stream.next().await,
            Some(Err(LlmError::Broken("connection reset".into())))
        );
        assert_eq!(stream.next().await, None);
    }
}
