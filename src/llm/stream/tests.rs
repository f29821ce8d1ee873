//! Tests of the model stream reader.

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
    let (text, _, outcome) = whole(&fixture("llama-cpp-server-cut-by-another-request.sse")).await;
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
