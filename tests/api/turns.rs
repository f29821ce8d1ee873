//! Whole turns: the reply's events, framing and headers, what the model is sent, and that
//! speech streams while the model is still writing.

use std::sync::Arc;

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::Notify;
use voicebridge::webhook::signature;

use crate::helpers::fake_upstream::{content_chunk, finish_steps, role_chunk, Reply, Step};
use crate::helpers::*;

#[tokio::test]
async fn a_full_turn_streams_deltas_then_sentences_and_ends_once() {
    let app = spawn_app().await;
    app.upstream
        .enqueue(Reply::fixture("llmock-reply-with-usage.sse"));
    let events = app
        .turn(&message("conv_full", "turn_1", "Can I see a doctor?"))
        .await;

    assert_well_formed(&events, "turn_1");
    assert_eq!(
        spoken(&events),
        [
            "Sure.",
            "Dr. Smith can see you at 3 p m tomorrow.",
            "Does that work?"
        ]
    );
    let deltas: Vec<Value> = contents(&events, "response.data");
    let joined: String = deltas
        .iter()
        .map(|d| d["delta"].as_str().expect("delta"))
        .collect();
    assert_eq!(
        joined,
        "Sure. Dr. Smith can see you at 3 p.m. tomorrow. Does that work?"
    );
    assert_eq!(deltas.len(), 13, "one response.data per content delta");
    // Each sentence is spoken right after the delta that proves it ended, not at the end.
    let first_tts = events
        .iter()
        .position(|e| e["type"] == "response.tts")
        .expect("tts");
    assert!(first_tts < 4, "first sentence spoken early: {events:?}");
}

#[tokio::test]
async fn the_reply_has_the_sse_headers_and_exact_framing() {
    let app = spawn_app().await;
    let response = app.post_webhook(&message("conv_frame", "t1", "Hi")).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["cache-control"], "no-cache, no-transform");
    assert_eq!(headers["x-accel-buffering"], "no");
    assert_eq!(headers["content-encoding"], "identity");
    let raw = response.text().await.expect("body");
    assert!(
        raw.ends_with("data: {\"type\":\"response.end\",\"turn_id\":\"t1\"}\n\n"),
        "{raw}"
    );
    for frame in raw.split_terminator("\n\n") {
        assert!(frame.starts_with("data: {"), "only data lines: {frame:?}");
        assert!(!frame.contains('\n'), "one line per event: {frame:?}");
    }
}

#[tokio::test]
async fn the_model_gets_a_streaming_request_with_prompt_key_and_options() {
    let app = spawn_app_with(&[("LLM_TEMPERATURE", "0.4"), ("LLM_MAX_TOKENS", "120")]).await;
    app.turn(&message("conv_req", "t1", "What's on the menu?"))
        .await;
    let requests = app.upstream.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-key"));
    assert_eq!(request.body["model"], "test-model");
    assert_eq!(request.body["stream"], true);
    assert_eq!(
        request.body["stream_options"],
        json!({"include_usage": true})
    );
    assert_eq!(request.body["max_tokens"], 120);
    assert!((request.body["temperature"].as_f64().expect("temperature") - 0.4).abs() < 1e-6);
    let messages = request.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].0, "system");
    assert!(messages[0].1.contains("voice assistant"));
    assert_eq!(messages[1], ("user".into(), "What's on the menu?".into()));
}

#[tokio::test]
async fn without_a_key_no_authorization_header_is_sent() {
    let app = spawn_app_with(&[("LLM_API_KEY", "")]).await;
    let events = app.turn(&message("conv_nokey", "t1", "Hi")).await;
    assert_well_formed(&events, "t1");
    let request = &app.upstream.requests()[0];
    assert_eq!(request.header("authorization"), None);
    assert!(request.body.get("temperature").is_none());
    assert!(request.body.get("max_tokens").is_none());
}

#[tokio::test]
async fn the_first_sentence_arrives_while_the_model_is_still_writing() {
    let app = spawn_app().await;
    let gate = Arc::new(Notify::new());
    let mut steps = vec![
        Step::Send(role_chunk()),
        Step::Send(content_chunk("Let me check that. ")),
        Step::Send(content_chunk("Your")),
        // The model stalls here until the test has heard the first sentence.
        Step::Wait(gate.clone()),
        Step::Send(content_chunk(" table is ready.")),
    ];
    steps.extend(finish_steps());
    app.upstream.enqueue(Reply::Stream {
        steps,
        abort: false,
    });

    let response = app
        .post_webhook(&message("conv_slow", "t1", "Is my table ready?"))
        .await;
    let mut reader = SseReader::new(response);
    let before_gate = reader.until_spoken().await;
    assert_eq!(spoken(&before_gate), ["Let me check that."]);
    gate.notify_one();
    let rest = reader.collect().await;
    assert_eq!(spoken(&rest), ["Your table is ready."]);
    let all: Vec<Value> = before_gate.into_iter().chain(rest).collect();
    assert_well_formed(&all, "t1");
}

#[tokio::test]
async fn api_agent_path_and_legacy_message_type_work() {
    let app = spawn_app().await;
    let body = serde_json::to_vec(&json!({
        "type": "MESSAGE", "session_id": "legacy_sess", "connection_id": "c1",
        "turn_id": "t1", "text": "Hello"
    }))
    .expect("json");
    let header = signature::sign(SECRET.as_bytes(), now(), &body);
    let response = app.post_raw("/api/agent", body, Some(header)).await;
    assert_eq!(response.status(), 200);
    let events = SseReader::new(response).collect().await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["Hello there.", "How can I help?"]);
}

#[tokio::test]
async fn session_start_speaks_the_welcome_without_calling_the_model() {
    let app = spawn_app().await;
    let events = app
        .turn(&session_start("conv_welcome", "sess_1", "t0"))
        .await;
    assert_well_formed(&events, "t0");
    assert_eq!(spoken(&events), [WELCOME]);
    assert_eq!(
        contents(&events, "response.data"),
        [json!({"delta": WELCOME})],
        "the page gets the welcome as written"
    );
    assert_eq!(
        events.len(),
        3,
        "its text, its speech, then end: {events:?}"
    );
    assert!(app.upstream.requests().is_empty());
}

#[tokio::test]
async fn session_start_with_an_empty_welcome_is_silent() {
    let app = spawn_app_with(&[("WELCOME_MESSAGE", "")]).await;
    let events = app
        .turn(&json!({"type": "SESSION_START", "session_id": "s", "turn_id": "t0"}))
        .await;
    assert_eq!(events, [json!({"type": "response.end", "turn_id": "t0"})]);
}

#[tokio::test]
async fn tool_call_deltas_are_never_spoken() {
    let app = spawn_app().await;
    app.upstream.enqueue(Reply::fixture("llmock-tool-call.sse"));
    let events = app.turn(&message("conv_tool", "t1", "Weather?")).await;
    assert_well_formed(&events, "t1");
    assert!(spoken(&events).is_empty());
    assert!(contents(&events, "response.data").is_empty(), "{events:?}");
}

#[tokio::test]
async fn replies_from_llama_cpp_and_litellm_shapes_are_spoken_whole() {
    let app = spawn_app().await;
    app.upstream
        .enqueue(Reply::fixture("litellm-proxy-reply-with-usage.sse"));
    app.upstream.enqueue(Reply::fixture("llama-cpp-server.sse"));
    let events = app.turn(&message("conv_shapes", "t1", "Hi")).await;
    assert_eq!(
        spoken(&events),
        ["Hello there.", "How can I help you today?"]
    );
    let events = app
        .turn(&message("conv_shapes", "t2", "En français ?"))
        .await;
    assert_well_formed(&events, "t2");
    let text = spoken(&events).join(" ");
    assert!(
        text.starts_with("Bonjour, cela est le cité de la France"),
        "{text}"
    );
}

#[tokio::test]
async fn reasoning_is_never_spoken_or_forwarded() {
    let app = spawn_app().await;
    let reasoning = "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"The user wants a greeting.\"}}]}\n\n";
    let mut steps = vec![
        Step::Send(role_chunk()),
        Step::Send(reasoning.as_bytes().to_vec()),
    ];
    steps.push(Step::Send(content_chunk("Hello!")));
    steps.extend(finish_steps());
    app.upstream.enqueue(Reply::Stream {
        steps,
        abort: false,
    });
    let events = app.turn(&message("conv_reason", "t1", "Hi")).await;
    assert_eq!(spoken(&events), ["Hello!"]);
    let body = serde_json::to_string(&events).expect("json");
    assert!(!body.contains("greeting"), "{body}");
}

#[tokio::test]
async fn a_blank_message_ends_the_turn_without_calling_the_model() {
    let app = spawn_app().await;
    let events = app.turn(&message("conv_blank", "t1", "   ")).await;
    assert_eq!(events, [json!({"type": "response.end", "turn_id": "t1"})]);
    assert!(app.upstream.requests().is_empty());
}

#[tokio::test]
async fn concurrent_turns_of_different_conversations_all_complete() {
    let app = spawn_app().await;
    let turns = futures_util::stream::iter(0..20)
        .map(|i| {
            let app = &app;
            async move {
                (
                    i,
                    app.turn(&message(&format!("conv_many_{i}"), &format!("t{i}"), "Hi"))
                        .await,
                )
            }
        })
        .buffer_unordered(20)
        .collect::<Vec<_>>()
        .await;
    for (i, events) in turns {
        assert_well_formed(&events, &format!("t{i}"));
        assert_eq!(spoken(&events), ["Hello there.", "How can I help?"]);
    }
}
