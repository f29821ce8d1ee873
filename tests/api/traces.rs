//! Traces: every turn's spans reach a real OTLP/HTTP receiver (decoding with the official
//! OpenTelemetry protobuf definitions) as one tree named by the GenAI conventions, the
//! trace context travels to the model and the tools, content stays out unless asked for,
//! and a collector that is down costs the turn nothing.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::helpers::fake_upstream::{content_chunk, role_chunk, FakeUpstream, Reply, Step};
use crate::helpers::otlp::{Receiver, SilentCollector, CLIENT, INTERNAL, SERVER};
use crate::helpers::tools::{order_tools, tool_dir, ORDER_BODY};
use crate::helpers::*;

/// The app exporting to `receiver`, batches sent every 50 ms.
async fn traced_app(receiver: &str, extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
    ];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

fn attr<'v>(span: &'v Value, key: &str) -> &'v Value {
    &span["attributes"][key]
}

/// The span's parent is `parent`.
fn child_of(span: &Value, parent: &Value) -> bool {
    span["parent_span_id"] == parent["span_id"] && span["trace_id"] == parent["trace_id"]
}

/// The `traceparent` a span's request must carry.
fn traceparent_of(span: &Value) -> String {
    format!(
        "00-{}-{}-01",
        span["trace_id"].as_str().expect("trace id"),
        span["span_id"].as_str().expect("span id")
    )
}

#[tokio::test]
async fn a_turn_is_one_tree_of_turn_model_and_store_spans_named_by_the_conventions() {
    let receiver = Receiver::start().await;
    let app = traced_app(&receiver.url, &[("CALL_STORE_URL", "off")]).await;
    app.upstream
        .enqueue(Reply::fixture("litellm-proxy-reply-with-usage.sse"));
    let events = app.turn(&message("conv_trace", "t1", "Hello")).await;
    assert_well_formed(&events, "t1");

    let trace = receiver.trace_of("t1", 4).await;
    let root = &trace.root;
    assert_eq!(root["name"], "invoke_agent default");
    assert_eq!(root["kind"], SERVER);
    assert_eq!(root["parent_span_id"], "", "a trace of its own");
    assert_eq!(root["scope"], "voicebridge");
    assert_eq!(root["resource"]["service.name"], "voicebridge");
    for (key, value) in [
        ("gen_ai.operation.name", json!("invoke_agent")),
        ("gen_ai.agent.name", json!("default")),
        ("gen_ai.conversation.id", json!("conv_trace")),
        ("session.id", json!("conv_trace")),
        ("voicebridge.turn.id", json!("t1")),
        ("voicebridge.event", json!("message")),
        ("voicebridge.door", json!("layercode")),
        ("voicebridge.outcome", json!("completed")),
        ("voicebridge.interrupted", json!(false)),
    ] {
        assert_eq!(attr(root, key), &value, "{key} in {root:#}");
    }
    assert!(attr(root, "voicebridge.sentences").as_i64() >= Some(1));
    assert!(
        attr(root, "voicebridge.first_token_ms").is_i64(),
        "{root:#}"
    );
    assert!(
        attr(root, "voicebridge.first_audio_ms").is_i64(),
        "{root:#}"
    );
    assert!(trace
        .root_events()
        .contains(&"first_sentence_sent".to_string()));

    let chat = trace.one("chat test-model");
    assert!(child_of(chat, root));
    assert_eq!(chat["kind"], CLIENT);
    for (key, value) in [
        ("gen_ai.operation.name", json!("chat")),
        ("gen_ai.provider.name", json!("openai")),
        ("gen_ai.request.model", json!("test-model")),
        ("gen_ai.response.model", json!("via-fake")),
        ("gen_ai.response.id", json!("chatcmpl-x")),
        ("gen_ai.response.finish_reasons", json!(["stop"])),
        ("server.address", json!("127.0.0.1")),
        ("voicebridge.upstream", json!(0)),
        ("voicebridge.attempt", json!(1)),
        ("voicebridge.fallback", json!(false)),
    ] {
        assert_eq!(attr(chat, key), &value, "{key} in {chat:#}");
    }
    assert!(attr(chat, "gen_ai.usage.input_tokens").as_i64() > Some(0));
    assert!(attr(chat, "gen_ai.usage.output_tokens").as_i64() > Some(0));
    assert!(attr(chat, "voicebridge.first_chunk_ms").is_i64());
    assert_eq!(chat["status"]["code"], 0, "unset: not failed");
    for store in ["session.claim", "session.settle"] {
        let span = trace.one(store);
        assert!(child_of(span, root), "{store}");
        assert_eq!(span["kind"], INTERNAL);
    }

    // The model request carried the attempt's span as its parent.
    let request = &app.upstream.requests()[0];
    assert_eq!(
        request.header("traceparent"),
        Some(traceparent_of(chat).as_str())
    );

    // No content by default, and never a key.
    let text = trace.text();
    for absent in [
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "input.value",
        "Hello there",
        "sk-test-key",
    ] {
        assert!(!text.contains(absent), "{absent} in the spans");
    }
}

#[tokio::test]
async fn retries_and_the_fallback_are_spans_of_their_own() {
    let receiver = Receiver::start().await;
    let fallback = FakeUpstream::start().await;
    fallback.enqueue(Reply::deltas(&["Backup here."]));
    let list = format!("{}|fallback-model|FALLBACK_KEY", fallback.base_url);
    let app = traced_app(
        &receiver.url,
        &[
            ("LLM_FALLBACKS", list.as_str()),
            ("FALLBACK_KEY", "sk-fallback-secret"),
        ],
    )
    .await;
    let refused = r#"{"error":{"message":"overloaded"}}"#;
    app.upstream.set_default(Reply::status(503, refused));
    let events = app.turn(&message("conv_trace_retry", "t1", "Hi")).await;
    assert_eq!(spoken(&events), ["Backup here."]);

    let primary_attempts = app.upstream.requests().len();
    let trace = receiver.trace_of("t1", 3 + primary_attempts).await;
    let failed = trace.named("chat test-model");
    assert_eq!(failed.len(), primary_attempts, "one span per attempt");
    assert!(primary_attempts >= 2, "the primary was retried");
    for (n, span) in failed.iter().enumerate() {
        assert!(child_of(span, &trace.root));
        assert_eq!(attr(span, "error.type"), "upstream_http_error", "{span:#}");
        assert_eq!(span["status"]["code"], 2, "error status");
        assert_eq!(attr(span, "voicebridge.attempt"), n as i64 + 1);
        assert_eq!(attr(span, "voicebridge.fallback"), false);
    }
    let backup = trace.one("chat fallback-model");
    assert_eq!(attr(backup, "voicebridge.fallback"), true);
    assert_eq!(attr(backup, "voicebridge.upstream"), 1);
    assert_eq!(attr(backup, "gen_ai.request.model"), "fallback-model");
    assert!(attr(backup, "error.type").is_null(), "{backup:#}");
    let sent = &fallback.requests()[0];
    assert_eq!(
        sent.header("traceparent"),
        Some(traceparent_of(backup).as_str())
    );
    assert_eq!(attr(&trace.root, "voicebridge.outcome"), "completed");
    let failures = trace
        .root_events()
        .iter()
        .filter(|e| *e == "model_attempt_failed")
        .count();
    assert_eq!(failures, primary_attempts);
    assert!(!trace.text().contains("sk-fallback-secret"));
}

/// Turn `t1` of `conversation`, traced: "Where is A17?", the model says "Let me check." and
/// looks the order up with the `get_order` tool file (its key `orders-secret-123`), then
/// says "It ships tomorrow.". Returns the receiver, the app and the tool's server.
async fn order_lookup(
    conversation: &str,
    extra: &[(&str, &str)],
) -> (Receiver, TestApp, FakeUpstream) {
    let receiver = Receiver::start().await;
    let server = FakeUpstream::start().await;
    let dir = tool_dir(&order_tools(&server, 3000));
    let mut vars = vec![
        ("TOOLS_DIR", dir.to_str().expect("utf-8")),
        ("ORDERS_API_KEY", "orders-secret-123"),
    ];
    vars.extend_from_slice(extra);
    let app = traced_app(&receiver.url, &vars).await;
    app.upstream.enqueue(Reply::tool_calls(
        &["Let me check. "],
        &[("call_1", "get_order", r#"{"order_id":"A17"}"#)],
    ));
    app.upstream.enqueue(Reply::deltas(&["It ships tomorrow."]));
    server.enqueue(Reply::plain(200, ORDER_BODY, Duration::ZERO));
    let events = app
        .turn(&message(conversation, "t1", "Where is A17?"))
        .await;
    assert_well_formed(&events, "t1");
    (receiver, app, server)
}

#[tokio::test]
async fn a_tool_call_is_a_span_whose_request_carries_it() {
    let (receiver, _app, server) = order_lookup("conv_trace_tool", &[]).await;

    let trace = receiver.trace_of("t1", 6).await;
    let tool = trace.one("execute_tool get_order");
    assert!(child_of(tool, &trace.root));
    assert_eq!(tool["kind"], INTERNAL);
    for (key, value) in [
        ("gen_ai.operation.name", json!("execute_tool")),
        ("gen_ai.tool.name", json!("get_order")),
        ("gen_ai.tool.call.id", json!("call_1")),
        ("gen_ai.tool.type", json!("file")),
        ("voicebridge.tool.mutating", json!(false)),
        ("voicebridge.tool.outcome", json!("ok")),
    ] {
        assert_eq!(attr(tool, key), &value, "{key} in {tool:#}");
    }
    assert_eq!(trace.named("chat test-model").len(), 2, "a round each side");
    let called = &server.requests()[0];
    assert_eq!(
        called.header("traceparent"),
        Some(traceparent_of(tool).as_str())
    );
    let text = trace.text();
    for absent in [
        "gen_ai.tool.call.arguments",
        "A17",
        "shipped",
        "orders-secret-123",
    ] {
        assert!(!text.contains(absent), "{absent} in the spans");
    }
}

#[tokio::test]
async fn content_is_recorded_only_when_asked_and_secrets_never() {
    let (receiver, _app, _server) =
        order_lookup("conv_trace_content", &[("OTEL_CAPTURE_CONTENT", "true")]).await;

    let trace = receiver.trace_of("t1", 6).await;
    let chats = trace.named("chat test-model");
    let first = chats[0];
    let system = attr(first, "gen_ai.system_instructions")
        .as_str()
        .expect("system");
    assert!(system.contains("\"type\":\"text\""), "{system}");
    let input: Value = serde_json::from_str(
        attr(first, "gen_ai.input.messages")
            .as_str()
            .expect("input"),
    )
    .expect("json");
    assert_eq!(
        input[input.as_array().expect("array").len() - 1],
        json!({"role": "user", "parts": [{"type": "text", "content": "Where is A17?"}]})
    );
    let output = attr(chats[1], "gen_ai.output.messages")
        .as_str()
        .expect("output");
    assert!(output.contains("It ships tomorrow."), "{output}");
    let second_input = attr(chats[1], "gen_ai.input.messages")
        .as_str()
        .expect("input");
    assert!(
        second_input.contains("tool_call_response"),
        "{second_input}"
    );
    let tool = trace.one("execute_tool get_order");
    assert_eq!(
        attr(tool, "gen_ai.tool.call.arguments"),
        r#"{"order_id":"A17"}"#
    );
    assert_eq!(attr(tool, "gen_ai.tool.call.result"), ORDER_BODY);
    assert_eq!(attr(&trace.root, "input.value"), "Where is A17?");
    assert_eq!(
        attr(&trace.root, "output.value"),
        "Let me check. It ships tomorrow."
    );
    let text = trace.text();
    for secret in ["orders-secret-123", "sk-test-key"] {
        assert!(!text.contains(secret), "{secret} in the spans");
    }
}

#[tokio::test]
async fn a_barge_in_ends_the_turn_span_interrupted_and_the_attempt_cancelled() {
    let receiver = Receiver::start().await;
    let app = traced_app(&receiver.url, &[]).await;
    let gate = Arc::new(Notify::new());
    app.upstream.enqueue(Reply::Stream {
        steps: vec![
            Step::Send(role_chunk()),
            Step::Send(content_chunk("We open at nine. ")),
            Step::Send(content_chunk("And then")),
            Step::Wait(gate.clone()),
        ],
        abort: false,
    });
    let response = app
        .post_webhook(&message("conv_trace_barge", "t1", "When?"))
        .await;
    let mut reader = SseReader::new(response);
    reader.until_spoken().await;
    drop(reader);

    let trace = receiver.trace_of("t1", 4).await;
    assert_eq!(attr(&trace.root, "voicebridge.outcome"), "interrupted");
    assert_eq!(attr(&trace.root, "voicebridge.interrupted"), true);
    assert!(trace.root_events().contains(&"barge_in".to_string()));
    let chat = trace.one("chat test-model");
    assert_eq!(attr(chat, "error.type"), "cancelled", "{chat:#}");
    gate.notify_one();
}

#[tokio::test]
async fn a_turn_sent_with_a_traceparent_continues_that_trace() {
    let receiver = Receiver::start().await;
    let app = traced_app(&receiver.url, &[]).await;
    app.upstream.enqueue(Reply::deltas(&["Hello."]));
    let body = serde_json::to_vec(&message("conv_trace_parent", "t1", "Hi")).expect("json");
    let signature = voicebridge::webhook::signature::sign(SECRET.as_bytes(), now(), &body);
    let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let response = app
        .http
        .post(format!("{}/agent", app.address))
        .header("content-type", "application/json")
        .header("layercode-signature", signature)
        .header("traceparent", incoming)
        .body(body)
        .send()
        .await
        .expect("sent");
    SseReader::new(response).collect().await;

    let trace = receiver.trace_of("t1", 4).await;
    assert_eq!(trace.root["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(trace.root["parent_span_id"], "00f067aa0ba902b7");
    let chat = trace.one("chat test-model");
    let sent = app.upstream.requests()[0]
        .header("traceparent")
        .expect("traceparent")
        .to_string();
    assert!(
        sent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{sent}"
    );
    assert_eq!(sent, traceparent_of(chat));
}

/// Waits (10 s at most) until the model has received `count` requests.
async fn model_requests(app: &TestApp, count: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.upstream.requests().len() < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the model never got request {count}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// pipecat#2202: concurrent conversations on one machine must not share or cross trees.
#[tokio::test]
async fn two_interleaved_conversations_make_two_separate_trees() {
    let receiver = Receiver::start().await;
    let app = traced_app(&receiver.url, &[]).await;
    let (gate_a, gate_b) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    for (gate, said) in [(&gate_a, "Alpha here."), (&gate_b, "Bravo here.")] {
        app.upstream.enqueue(Reply::Stream {
            steps: vec![
                Step::Send(role_chunk()),
                Step::Wait(gate.clone()),
                Step::Send(content_chunk(said)),
                Step::Send(
                    format!(
                        "data: {}\n\n",
                        r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#
                    )
                    .into_bytes(),
                ),
                Step::Send(b"data: [DONE]\n\n".to_vec()),
            ],
            abort: false,
        });
    }
    let first = app.post_webhook(&message("conv_a", "ta", "One")).await;
    model_requests(&app, 1).await;
    let second = app.post_webhook(&message("conv_b", "tb", "Two")).await;
    model_requests(&app, 2).await;
    // The second conversation finishes first, inside the first one's turn.
    gate_b.notify_one();
    let events_b = SseReader::new(second).collect().await;
    gate_a.notify_one();
    let events_a = SseReader::new(first).collect().await;
    assert_eq!(spoken(&events_a), ["Alpha here."]);
    assert_eq!(spoken(&events_b), ["Bravo here."]);

    let a = receiver.trace_of("ta", 4).await;
    let b = receiver.trace_of("tb", 4).await;
    assert_ne!(a.root["trace_id"], b.root["trace_id"]);
    for (trace, conversation) in [(&a, "conv_a"), (&b, "conv_b")] {
        assert_eq!(attr(&trace.root, "gen_ai.conversation.id"), conversation);
        assert_eq!(trace.all.len(), 4, "{:#?}", trace.all);
        for span in trace
            .all
            .iter()
            .filter(|s| s["span_id"] != trace.root["span_id"])
        {
            assert!(child_of(span, &trace.root), "{span:#}");
        }
    }
    // Each request carried its own turn's trace.
    let sent: Vec<String> = app
        .upstream
        .requests()
        .iter()
        .map(|r| r.header("traceparent").expect("traceparent").to_string())
        .collect();
    assert_eq!(sent[0], traceparent_of(a.one("chat test-model")));
    assert_eq!(sent[1], traceparent_of(b.one("chat test-model")));
}

#[tokio::test]
async fn a_collector_that_hangs_or_refuses_costs_the_turn_nothing_and_is_counted() {
    let refusing = Receiver::start_with(&["--status", "503"]).await;
    let silent = SilentCollector::start();
    for endpoint in [silent.url.clone(), refusing.url.clone()] {
        let app = traced_app(&endpoint, &[("OTEL_EXPORTER_OTLP_TIMEOUT", "2000")]).await;
        app.upstream.enqueue(Reply::deltas(&["Still here."]));
        let events = app.turn(&message("conv_trace_down", "t1", "Hi")).await;
        assert_eq!(spoken(&events), ["Still here."]);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let metrics = app.metrics_text().await;
            let dropped = metrics
                .lines()
                .find_map(|l| l.strip_prefix("voicebridge_trace_spans_dropped_total "))
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(0);
            if dropped >= 4 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the turn's spans were never counted as dropped: {metrics}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert!(!refusing.requests().await.is_empty(), "exports were tried");
}

#[tokio::test]
async fn exports_carry_the_configured_headers_service_and_resource() {
    let receiver = Receiver::start().await;
    let app = traced_app(
        &receiver.url,
        &[
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "Authorization=Basic%20cGstbGY6c2stbGY=",
            ),
            ("OTEL_SERVICE_NAME", "front-desk"),
            ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test"),
        ],
    )
    .await;
    app.upstream.enqueue(Reply::deltas(&["Hello."]));
    app.turn(&message("conv_trace_headers", "t1", "Hi")).await;
    let trace = receiver.trace_of("t1", 4).await;
    assert_eq!(trace.root["resource"]["service.name"], "front-desk");
    assert_eq!(trace.root["resource"]["deployment.environment"], "test");
    let requests = receiver.requests().await;
    assert_eq!(requests[0]["authorization"], "Basic cGstbGY6c2stbGY=");
    assert_eq!(requests[0]["content-type"], "application/x-protobuf");
}

#[tokio::test]
async fn the_trace_id_is_kept_on_record_and_the_sampler_is_honoured() {
    let receiver = Receiver::start().await;
    let db = crate::helpers::db::sqlite_url("traces");
    let app = traced_app(
        &receiver.url,
        &[
            ("CALL_STORE_URL", db.as_str()),
            ("ADMIN_TOKEN", ADMIN),
            (
                "TRACE_URL_TEMPLATE",
                "https://grafana.example/explore?traceId={trace_id}",
            ),
        ],
    )
    .await;
    app.upstream.enqueue(Reply::deltas(&["Hello."]));
    app.turn(&message("conv_trace_record", "t1", "Hi")).await;
    let trace = receiver.trace_of("t1", 4).await;
    let call = crate::helpers::doors::call_on_record(&app, "conv_trace_record", |call| {
        call["turns"][0]["trace_id"].is_string()
    })
    .await;
    let turn = &call["turns"][0];
    assert_eq!(turn["trace_id"], trace.root["trace_id"]);
    assert_eq!(
        turn["trace_url"],
        format!(
            "https://grafana.example/explore?traceId={}",
            trace.root["trace_id"].as_str().expect("id")
        )
    );

    // Sampled out: the model still gets the trace context (not sampled), nothing is sent.
    let quiet = Receiver::start().await;
    let app = traced_app(&quiet.url, &[("OTEL_TRACES_SAMPLER", "always_off")]).await;
    app.upstream.enqueue(Reply::deltas(&["Hello."]));
    app.turn(&message("conv_trace_off", "t1", "Hi")).await;
    let sent = app.upstream.requests()[0]
        .header("traceparent")
        .expect("traceparent")
        .to_string();
    assert!(sent.ends_with("-00"), "{sent}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(quiet.spans().await.is_empty());
}

#[tokio::test]
async fn check_sends_a_test_span_and_fails_when_the_collector_does_not_take_it() {
    use crate::helpers::binary::{run, vars};
    let upstream = FakeUpstream::start().await;
    let receiver = Receiver::start().await;
    let check = |endpoint: String| {
        let env = vars(&[
            ("LAYERCODE_WEBHOOK_SECRET", SECRET),
            ("LLM_BASE_URL", &upstream.base_url),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
            (
                "TRACE_URL_TEMPLATE",
                "http://localhost:16686/trace/{trace_id}",
            ),
        ]);
        async move { run(&["check"], env, "").await }
    };
    let output = check(receiver.url.clone()).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let expected = format!(
        "traces             ok ({}/v1/traces, service voicebridge, sampler parentbased_always_on, without content; test span sent, trace ",
        receiver.url
    );
    assert!(stdout.contains(&expected), "{stdout}");
    assert!(
        stdout.contains("trace links        http://localhost:16686/trace/{trace_id}"),
        "{stdout}"
    );
    let spans = receiver.wait_for(|spans| !spans.is_empty()).await;
    assert_eq!(spans[0]["name"], "voicebridge.check");
    assert!(
        stdout.contains(spans[0]["trace_id"].as_str().expect("id")),
        "{stdout}"
    );

    let silent = SilentCollector::start();
    let output = check(silent.url.clone()).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(stdout.contains("traces             FAILED ("), "{stdout}");
    assert!(stdout.contains("some checks FAILED"), "{stdout}");
}

#[tokio::test]
async fn a_request_through_the_openai_door_is_a_turn_of_its_own_trace() {
    let receiver = Receiver::start().await;
    let key = "door-key-for-traces-0123456789";
    let app = traced_app(&receiver.url, &[("OPENAI_DOOR_KEYS", key)]).await;
    app.upstream.enqueue(Reply::deltas(&["We open at nine."]));
    let incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let response = app
        .http
        .post(format!("{}/openai/v1/chat/completions", app.address))
        .bearer_auth(key)
        .header("traceparent", incoming)
        .header("x-call-id", "door-call-1")
        .json(&json!({
            "model": "any",
            "stream": true,
            "messages": [{"role": "user", "content": "When do you open?"}],
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let _ = response.bytes().await.expect("body");

    let spans = receiver
        .wait_for(|spans| {
            spans
                .iter()
                .any(|s| s["attributes"]["voicebridge.door"] == "openai")
        })
        .await;
    let root = spans
        .iter()
        .find(|s| s["attributes"]["voicebridge.door"] == "openai")
        .expect("root");
    assert_eq!(root["name"], "invoke_agent default");
    assert_eq!(root["trace_id"], "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(root["parent_span_id"], "b7ad6b7169203331");
    assert_eq!(attr(root, "voicebridge.event"), "chat.completion");
    assert_eq!(attr(root, "gen_ai.conversation.id"), "door-call-1");
    assert_eq!(attr(root, "voicebridge.outcome"), "completed");
    let sent = app.upstream.requests()[0]
        .header("traceparent")
        .expect("traceparent")
        .to_string();
    assert!(
        sent.starts_with("00-0af7651916cd43dd8448eb211c80319c-"),
        "{sent}"
    );
}

#[tokio::test]
async fn the_post_call_webhook_is_a_span_whose_request_carries_it() {
    let receiver = Receiver::start().await;
    let hooks = FakeUpstream::start().await;
    hooks.set_default(Reply::plain(200, "{}", Duration::ZERO));
    let hook = format!("{}/hooks/call", hooks.base_url.trim_end_matches("/v1"));
    let db = crate::helpers::db::sqlite_url("traces-hook");
    let app = traced_app(
        &receiver.url,
        &[
            ("CALL_STORE_URL", db.as_str()),
            ("POST_CALL_WEBHOOK_URL", hook.as_str()),
            ("POST_CALL_WEBHOOK_SECRET", "hook-secret-xyz"),
        ],
    )
    .await;
    app.upstream.enqueue(Reply::deltas(&["We open at nine."]));
    app.turn(&message("conv_trace_hook", "t1", "When?")).await;
    let end = json!({"type": "session.end", "conversation_id": "conv_trace_hook"});
    assert_eq!(app.post_webhook(&end).await.status(), 200);

    let spans = receiver
        .wait_for(|spans| spans.iter().any(|s| s["name"] == "post_call"))
        .await;
    let span = spans
        .iter()
        .find(|s| s["name"] == "post_call")
        .expect("post_call span");
    assert_eq!(span["kind"], CLIENT);
    assert_eq!(attr(span, "session.id"), "conv_trace_hook");
    let delivered = &hooks.requests()[0];
    assert_eq!(
        delivered.header("traceparent"),
        Some(traceparent_of(span).as_str())
    );
    assert!(!serde_json::to_string(&spans)
        .expect("json")
        .contains("hook-secret-xyz"));
}

#[tokio::test]
async fn the_knowledge_a_turn_used_is_on_its_span() {
    let receiver = Receiver::start().await;
    let faq = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/knowledge/knowledge");
    let app = traced_app(
        &receiver.url,
        &[("CALL_STORE_URL", "off"), ("KNOWLEDGE_DIR", faq)],
    )
    .await;
    app.upstream.enqueue(Reply::deltas(&["From eleven."]));
    app.turn(&message("conv_trace_kb", "t1", "Are you open on Sunday?"))
        .await;
    let trace = receiver.trace_of("t1", 2).await;
    let search = trace.root["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["name"] == "knowledge_search")
        .expect("a knowledge_search event");
    assert!(attr(search, "voicebridge.knowledge.hits").as_i64() >= Some(1));
    assert!(attr(search, "voicebridge.knowledge.us").is_i64());
    let passages = attr(search, "voicebridge.knowledge.passages")
        .as_str()
        .expect("passages");
    assert!(
        passages.starts_with("faq.md › Harbor Books › Opening hours ("),
        "{passages}"
    );
}
