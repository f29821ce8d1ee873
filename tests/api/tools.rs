//! Tools from files, end to end: the model (the fake upstream) calls tools, voicebridge
//! calls a local fake tool server, and the test checks the request the tool received, what
//! the model read next, what the user heard, and the history the next turn sends.

use std::time::Duration;

use serde_json::{json, Value};
use voicebridge::session::Role;

use crate::helpers::fake_upstream::{FakeUpstream, Recorded, Reply};
use crate::helpers::tools::{hang_up_during_a_call, order_tools, tool_dir, ORDER_BODY};
use crate::helpers::*;

struct ToolTest {
    app: TestApp,
    server: FakeUpstream,
}

async fn spawn_with_tools(extra: &[(&str, &str)], timeout_ms: u64) -> ToolTest {
    let server = FakeUpstream::start().await;
    let dir = tool_dir(&order_tools(&server, timeout_ms));
    let dir = dir.to_str().expect("utf-8 path").to_string();
    let mut vars = vec![
        ("TOOLS_DIR", dir.as_str()),
        ("ORDERS_API_KEY", "orders-secret-123"),
    ];
    vars.extend_from_slice(extra);
    let app = spawn_app_with(&vars).await;
    ToolTest { app, server }
}

fn tool_messages(request: &Recorded) -> Vec<Value> {
    request.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["role"] == "tool" || m["tool_calls"].is_array())
        .cloned()
        .collect()
}

fn tool_events(events: &[Value]) -> Vec<Value> {
    contents(events, "response.data")
        .into_iter()
        .filter_map(|c| c.get("tool").cloned())
        .collect()
}

#[tokio::test]
async fn a_read_only_call_reaches_the_tool_and_its_result_reaches_the_model() {
    let t = spawn_with_tools(&[], 3000).await;
    t.app.upstream.enqueue(Reply::tool_calls(
        &["Let me check. "],
        &[(
            "call_1",
            "get_order",
            r#"{"order_id":"A 17/x","detail":"full"}"#,
        )],
    ));
    t.app
        .upstream
        .enqueue(Reply::deltas(&["It ships ", "tomorrow."]));
    t.server
        .enqueue(Reply::plain(200, ORDER_BODY, Duration::ZERO));
    let events = t
        .app
        .turn(&message("conv_tool_get", "t1", "Where is A17?"))
        .await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["Let me check.", "It ships tomorrow."]);

    // The tool got the placeholder URL-encoded, the rest in the query, the secret header.
    let calls = t.server.requests();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "GET");
    assert_eq!(calls[0].path, "/orders/A%2017%2Fx?detail=full");
    assert_eq!(
        calls[0].header("authorization"),
        Some("Bearer orders-secret-123")
    );
    assert_eq!(calls[0].header("idempotency-key"), None, "read-only");

    // Every request offers the tools; the second carries the call and its result.
    let requests = t.app.upstream.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        let names: Vec<&str> = request.body["tools"]
            .as_array()
            .expect("tools offered")
            .iter()
            .map(|t| t["function"]["name"].as_str().expect("name"))
            .collect();
        assert_eq!(names, ["cancel_order", "get_order"]);
        let text = request.body.to_string();
        assert!(!text.contains("orders-secret-123"), "no secret upstream");
        assert!(
            !text.contains("\"channel\""),
            "static arguments are not in the schema"
        );
    }
    let follow_up = tool_messages(&requests[1]);
    assert_eq!(
        follow_up,
        [
            json!({"role": "assistant", "content": "Let me check. ", "tool_calls": [{
                "id": "call_1", "type": "function",
                "function": {"name": "get_order", "arguments": r#"{"order_id":"A 17/x","detail":"full"}"#}
            }]}),
            json!({"role": "tool", "content": ORDER_BODY, "tool_call_id": "call_1"}),
        ]
    );

    // The browser saw the tool start and finish.
    let tool = tool_events(&events);
    assert_eq!(tool.len(), 2, "{tool:?}");
    assert_eq!(
        (tool[0]["name"].as_str(), tool[0]["status"].as_str()),
        (Some("get_order"), Some("started"))
    );
    assert_eq!(tool[1]["status"], "finished");
    assert!(tool[1]["ms"].is_u64());

    // The next turn sends the call and result before the words, from the store.
    t.app.settle().await;
    let history = t.app.store.history("conv_tool_get").await.expect("store");
    assert_history_well_formed(&history, "conv_tool_get");
    assert_eq!(history[1].role, Role::Assistant);
    assert_eq!(history[1].content, "Let me check. It ships tomorrow.");
    assert_eq!(history[1].tool_calls.len(), 1);
    assert_eq!(history[1].tool_results[0].content, ORDER_BODY);
    t.app.upstream.enqueue(Reply::deltas(&["You're welcome."]));
    t.app.turn(&message("conv_tool_get", "t2", "Thanks")).await;
    let next = t.app.upstream.requests().pop().expect("third request");
    let roles: Vec<(String, String)> = next.messages();
    let roles: Vec<&str> = roles.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "assistant", "user"]
    );
}

#[tokio::test]
async fn a_mutating_call_carries_an_idempotency_key_and_static_arguments_win() {
    let t = spawn_with_tools(&[], 3000).await;
    t.app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[(
            "call_c",
            "cancel_order",
            r#"{"order_id":"A17","reason":"late","channel":"web"}"#,
        )],
    ));
    t.app
        .upstream
        .enqueue(Reply::deltas(&["Done, it is cancelled."]));
    t.server
        .enqueue(Reply::plain(200, r#"{"cancelled":true}"#, Duration::ZERO));
    let events = t
        .app
        .turn(&message("conv_tool_post", "t1", "Cancel A17"))
        .await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["Done, it is cancelled."]);
    let calls = t.server.requests();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "POST");
    assert_eq!(calls[0].path, "/orders/A17/cancel");
    assert_eq!(
        calls[0].header("idempotency-key"),
        Some("conv_tool_post:t1:1")
    );
    assert_eq!(
        calls[0].body,
        json!({"order_id": "A17", "reason": "late", "channel": "voice"})
    );
}

#[tokio::test]
async fn failures_are_told_to_the_model_never_to_the_user() {
    let t = spawn_with_tools(&[("TOOL_FILLER_AFTER_MS", "100")], 400).await;
    // One round with four calls: a 503, a timeout, bad arguments, an unknown tool.
    t.app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[
            ("c1", "get_order", r#"{"order_id":"A1"}"#),
            ("c2", "get_order", r#"{"order_id":"A2"}"#),
            ("c3", "get_order", r#"{"order_id": 17"#),
            ("c4", "delete_everything", "{}"),
        ],
    ));
    t.app.upstream.enqueue(Reply::deltas(&[
        "The order system is having trouble right now.",
    ]));
    t.server
        .enqueue(Reply::plain(503, r#"{"error":"down"}"#, Duration::ZERO));
    t.server
        .enqueue(Reply::plain(200, ORDER_BODY, Duration::from_secs(3)));
    let events = t
        .app
        .turn(&message("conv_tool_fail", "t1", "Orders?"))
        .await;
    assert_well_formed(&events, "t1");
    assert_eq!(
        spoken(&events),
        [
            "One moment while I look that up.",
            "The order system is having trouble right now."
        ]
    );
    assert!(
        error_codes(&events).is_empty(),
        "the turn itself did not fail"
    );
    assert_eq!(
        t.server.requests().len(),
        2,
        "bad arguments and unknown tools are not called"
    );

    let follow_up = tool_messages(&t.app.upstream.requests()[1]);
    let results: Vec<(String, String)> = follow_up[1..]
        .iter()
        .map(|m| {
            (
                m["tool_call_id"].as_str().expect("id").to_string(),
                serde_json::from_str::<Value>(m["content"].as_str().expect("content"))
                    .expect("JSON error")["error"]
                    .as_str()
                    .expect("error text")
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(results.len(), 4);
    // Parallel calls finish in any order, but results follow the calls' order.
    let ids: Vec<&str> = results.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["c1", "c2", "c3", "c4"]);
    let failed_http = results.iter().find(|(_, e)| e.contains("HTTP 503"));
    let timed_out = results
        .iter()
        .find(|(_, e)| e.contains("timed out after 400 ms"));
    assert!(failed_http.is_some() && timed_out.is_some(), "{results:?}");
    assert!(results[2].1.contains("not valid JSON"), "{results:?}");
    assert!(results[3].1.contains("no tool named"), "{results:?}");

    let tool = tool_events(&events);
    let failed = tool.iter().filter(|e| e["status"] == "failed").count();
    assert_eq!(failed, 4, "{tool:?}");

    let metrics = t.app.metrics_text().await;
    for line in [
        r#"voicebridge_tool_calls_total{agent="default",outcome="http_error",tool="get_order"} 1"#,
        r#"voicebridge_tool_calls_total{agent="default",outcome="timeout",tool="get_order"} 1"#,
        r#"voicebridge_tool_calls_total{agent="default",outcome="invalid_arguments",tool="get_order"} 1"#,
        r#"voicebridge_tool_calls_total{agent="default",outcome="unknown_tool",tool="unknown"} 1"#,
        r#"voicebridge_tool_seconds_count{tool="get_order"} 2"#,
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}

#[tokio::test]
async fn parallel_calls_run_at_the_same_time_and_the_filler_is_said_once() {
    let t = spawn_with_tools(&[("TOOL_FILLER_AFTER_MS", "100")], 3000).await;
    t.app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[
            ("p1", "get_order", r#"{"order_id":"A1"}"#),
            ("p2", "get_order", r#"{"order_id":"A2"}"#),
        ],
    ));
    t.app.upstream.enqueue(Reply::deltas(&["Both shipped."]));
    for _ in 0..2 {
        t.server
            .enqueue(Reply::plain(200, ORDER_BODY, Duration::from_millis(600)));
    }
    let started = std::time::Instant::now();
    let events = t
        .app
        .turn(&message("conv_tool_par", "t1", "A1 and A2?"))
        .await;
    assert_well_formed(&events, "t1");
    assert_eq!(
        spoken(&events),
        ["One moment while I look that up.", "Both shipped."]
    );
    let calls = t.server.requests();
    assert_eq!(calls.len(), 2);
    let apart = if calls[1].at > calls[0].at {
        calls[1].at - calls[0].at
    } else {
        calls[0].at - calls[1].at
    };
    assert!(
        apart < Duration::from_millis(400),
        "the second did not wait for the first: {apart:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1150),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn past_the_round_limit_the_model_must_answer_in_words() {
    let t = spawn_with_tools(&[("TOOL_MAX_ROUNDS", "1")], 3000).await;
    t.app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("r1", "get_order", r#"{"order_id":"A1"}"#)],
    ));
    // The model tries again although it may not; the call is not made.
    t.app.upstream.enqueue(Reply::tool_calls(
        &["I could not check more. "],
        &[("r2", "get_order", r#"{"order_id":"A2"}"#)],
    ));
    t.server
        .enqueue(Reply::plain(200, ORDER_BODY, Duration::ZERO));
    let events = t
        .app
        .turn(&message("conv_tool_rounds", "t1", "Check"))
        .await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["I could not check more."]);
    assert_eq!(t.server.requests().len(), 1);
    let requests = t.app.upstream.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].body.get("tool_choice").is_none());
    assert_eq!(requests[1].body["tool_choice"], "none");
    t.app.settle().await;
    let history = t
        .app
        .store
        .history("conv_tool_rounds")
        .await
        .expect("store");
    assert_history_well_formed(&history, "conv_tool_rounds");
    assert_eq!(
        history[1].tool_calls.len(),
        1,
        "the unmade call is not stored"
    );

    // A model that says nothing at all past the limit: the user hears the apology.
    t.app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("r3", "get_order", r#"{"order_id":"A3"}"#)],
    ));
    t.app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("r4", "get_order", r#"{"order_id":"A4"}"#)],
    ));
    t.server
        .enqueue(Reply::plain(200, ORDER_BODY, Duration::ZERO));
    let events = t
        .app
        .turn(&message("conv_tool_rounds", "t2", "Again"))
        .await;
    assert_well_formed(&events, "t2");
    assert_eq!(spoken(&events), [APOLOGY]);
    assert_eq!(error_codes(&events), ["tool_rounds_exhausted"]);
}

/// Hangs up during a call of `name` (after "Let me see."), once it reached the tool server.
async fn hang_up_during_the_call(t: &ToolTest, conversation: &str, name: &str, args: &str) {
    let reached = async {
        for _ in 0..100 {
            if !t.server.requests().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(t.server.requests().len(), 1, "the tool was called");
    };
    hang_up_during_a_call(&t.app, conversation, "Let me see. ", (name, args), reached).await;
}

#[tokio::test]
async fn a_barge_in_cancels_a_read_only_call_at_once() {
    let t = spawn_with_tools(&[], 5000).await;
    t.server
        .enqueue(Reply::plain(200, ORDER_BODY, Duration::from_secs(4)));
    let started = std::time::Instant::now();
    hang_up_during_the_call(
        &t,
        "conv_tool_bargein_ro",
        "get_order",
        r#"{"order_id":"A1"}"#,
    )
    .await;
    t.app.settle().await;
    assert!(started.elapsed() < Duration::from_secs(3), "not waited for");
    for _ in 0..100 {
        if !t.server.closed_mid_stream().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        t.server.closed_mid_stream().len(),
        1,
        "the request was dropped"
    );
    let history = t
        .app
        .store
        .history("conv_tool_bargein_ro")
        .await
        .expect("store");
    assert_history_well_formed(&history, "conv_tool_bargein_ro");
    let reply = &history[1];
    assert!(reply.interrupted);
    assert_eq!(reply.content, "Let me see.");
    assert!(
        reply.tool_results[0].content.contains("cancelled"),
        "{reply:?}"
    );
    assert_eq!(t.app.upstream.requests().len(), 1, "no second round");
}

#[tokio::test]
async fn a_barge_in_lets_a_mutating_call_finish_and_records_it() {
    let t = spawn_with_tools(&[], 5000).await;
    t.server.enqueue(Reply::plain(
        200,
        r#"{"cancelled":true}"#,
        Duration::from_millis(500),
    ));
    hang_up_during_the_call(
        &t,
        "conv_tool_bargein_mut",
        "cancel_order",
        r#"{"order_id":"A1"}"#,
    )
    .await;
    t.app.settle().await;
    assert!(
        t.server.closed_mid_stream().is_empty(),
        "the call was not dropped"
    );
    let history = t
        .app
        .store
        .history("conv_tool_bargein_mut")
        .await
        .expect("store");
    assert_history_well_formed(&history, "conv_tool_bargein_mut");
    let reply = &history[1];
    assert!(reply.interrupted);
    assert_eq!(reply.tool_calls[0].function.name, "cancel_order");
    assert_eq!(reply.tool_results[0].content, r#"{"cancelled":true}"#);

    // The next turn tells the model what happened.
    t.app
        .upstream
        .enqueue(Reply::deltas(&["It was cancelled."]));
    t.app
        .turn(&message("conv_tool_bargein_mut", "t2", "Did it work?"))
        .await;
    let next = t.app.upstream.requests().pop().expect("request");
    let tools = tool_messages(&next);
    assert_eq!(tools[1]["content"], r#"{"cancelled":true}"#);
}

#[tokio::test]
async fn a_redelivered_turn_never_repeats_a_mutating_call() {
    let t = spawn_with_tools(&[], 3000).await;
    let cancel = ("m1", "cancel_order", r#"{"order_id":"A17"}"#);
    t.app.upstream.enqueue(Reply::tool_calls(&[], &[cancel]));
    t.app.upstream.enqueue(Reply::deltas(&["Cancelled."]));
    t.server
        .enqueue(Reply::plain(200, r#"{"cancelled":true}"#, Duration::ZERO));
    let first = t
        .app
        .turn(&message("conv_tool_redeliver", "t1", "Cancel A17"))
        .await;
    assert_eq!(spoken(&first), ["Cancelled."]);
    t.app.settle().await;

    // Layercode delivers the same turn again; the model, seeing the earlier call, may
    // still call it again: the earlier result answers.
    t.app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("m2", "cancel_order", r#"{"order_id": "A17"}"#)],
    ));
    t.app.upstream.enqueue(Reply::deltas(&["It is cancelled."]));
    let again = t
        .app
        .turn(&message("conv_tool_redeliver", "t1", "Cancel A17"))
        .await;
    assert_well_formed(&again, "t1");
    assert_eq!(spoken(&again), ["It is cancelled."]);
    assert_eq!(t.server.requests().len(), 1, "called once");

    let requests = t.app.upstream.requests();
    let redelivered = tool_messages(&requests[2]);
    assert_eq!(
        redelivered[0]["tool_calls"][0]["id"], "m1",
        "the earlier call is in view"
    );
    assert_eq!(redelivered[1]["content"], r#"{"cancelled":true}"#);
    t.app.settle().await;
    let history = t
        .app
        .store
        .history("conv_tool_redeliver")
        .await
        .expect("store");
    assert_history_well_formed(&history, "conv_tool_redeliver");
    assert_eq!(history.len(), 2);
    let ids: Vec<&str> = history[1]
        .tool_calls
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids, ["m1", "m2"]);
    assert_eq!(history[1].tool_results[1].content, r#"{"cancelled":true}"#);
}

#[tokio::test]
async fn end_call_speaks_the_goodbye_then_tells_the_page_to_hang_up() {
    let t = spawn_with_tools(&[("END_CALL_TOOL", "true")], 3000).await;
    t.app.upstream.enqueue(Reply::tool_calls(
        &["Goodbye, ", "have a nice day!"],
        &[("e1", "end_call", "{}")],
    ));
    let events = t.app.turn(&message("conv_tool_end", "t1", "Bye")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["Goodbye, have a nice day!"]);
    let data = contents(&events, "response.data");
    assert_eq!(data.last(), Some(&json!({"action": "end_call"})));
    assert_eq!(
        t.app.upstream.requests().len(),
        1,
        "no round after the goodbye"
    );
    let offered = t.app.upstream.requests()[0].body["tools"].to_string();
    assert!(offered.contains("end_call"));

    // Without a goodbye, the model is asked for one, with no tools allowed.
    t.app
        .upstream
        .enqueue(Reply::tool_calls(&[], &[("e2", "end_call", "{}")]));
    t.app.upstream.enqueue(Reply::deltas(&["Goodbye!"]));
    let events = t.app.turn(&message("conv_tool_end", "t2", "Bye now")).await;
    assert_eq!(spoken(&events), ["Goodbye!"]);
    assert_eq!(
        contents(&events, "response.data").last(),
        Some(&json!({"action": "end_call"}))
    );
    assert_eq!(t.app.upstream.requests()[2].body["tool_choice"], "none");
}

#[tokio::test]
async fn a_stream_cut_off_while_a_call_was_assembled_is_retried_without_the_half_call() {
    let t = spawn_with_tools(&[], 3000).await;
    // Unfinished words, the call's name and half its arguments, then the connection breaks.
    let Reply::Stream { mut steps, .. } = Reply::tool_calls(
        &["Let me check th"],
        &[("c1", "cancel_order", r#"{"order_id":"A1"}"#)],
    ) else {
        unreachable!("a stream")
    };
    steps.truncate(4);
    t.app.upstream.enqueue(Reply::Stream { steps, abort: true });
    t.app.upstream.enqueue(Reply::deltas(&["All good now."]));
    let events = t
        .app
        .turn(&message("conv_tool_cut", "t1", "Cancel A1"))
        .await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["All good now."]);
    assert!(error_codes(&events).is_empty(), "{events:?}");
    assert!(tool_events(&events).is_empty(), "{events:?}");
    assert!(t.server.requests().is_empty(), "no half call is made");
    let requests = t.app.upstream.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        tool_messages(&requests[1]).is_empty(),
        "the retry asks afresh"
    );
}

#[tokio::test]
async fn a_model_failure_after_a_tool_round_ends_once_and_keeps_the_call() {
    let t = spawn_with_tools(&[], 3000).await;
    t.app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("g1", "get_order", r#"{"order_id":"A1"}"#)],
    ));
    t.app.upstream.set_default(Reply::status(500, "{}"));
    t.server
        .enqueue(Reply::plain(200, ORDER_BODY, Duration::ZERO));
    let events = t.app.turn(&message("conv_tool_fail2", "t1", "A1?")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), [APOLOGY]);
    t.app.settle().await;
    let history = t.app.store.history("conv_tool_fail2").await.expect("store");
    assert_history_well_formed(&history, "conv_tool_fail2");
    assert_eq!(
        history[1].tool_calls.len(),
        1,
        "the call that was made is kept"
    );
}

#[tokio::test]
async fn the_turn_log_counts_tool_calls_and_never_shows_a_tool_secret() {
    let upstream = FakeUpstream::start().await;
    let server = FakeUpstream::start().await;
    let dir = tool_dir(&order_tools(&server, 3000));
    upstream.enqueue(Reply::tool_calls(
        &[],
        &[("l1", "get_order", r#"{"order_id":"A1"}"#)],
    ));
    upstream.enqueue(Reply::deltas(&["It failed."]));
    // The tool fails and echoes the request's header back in its error body.
    server.enqueue(Reply::plain(
        401,
        r#"{"error":"bad token Bearer orders-secret-123"}"#,
        Duration::ZERO,
    ));
    let (log, turns) = crate::helpers::binary::turn_log_with(
        &upstream,
        &message("conv_tool_log", "t1", "A1?"),
        &[
            ("TOOLS_DIR", dir.to_str().expect("utf-8")),
            ("ORDERS_API_KEY", "orders-secret-123"),
        ],
    )
    .await;
    assert_eq!(turns.len(), 1, "{log}");
    let fields = &turns[0];
    assert_eq!(fields["tool_calls"], 1, "{log}");
    assert!(fields["tool_ms"].is_u64(), "{log}");
    assert!(log.contains("tool call finished"), "{log}");
    assert!(!log.contains("orders-secret-123"), "{log}");
    let sent = upstream.requests()[1].body.to_string();
    assert!(sent.contains("HTTP 401"), "{sent}");
    assert!(
        !sent.contains("orders-secret-123"),
        "the model never reads it: {sent}"
    );
}

#[test]
fn the_example_tool_files_load() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/tools");
    let env = |name: &str| match name {
        "ORDERS_API_BASE" => Some("https://api.example.com".to_string()),
        "ORDERS_API_KEY" => Some("k".to_string()),
        _ => None,
    };
    let toolbox = voicebridge::tools::Toolbox::load(std::path::Path::new(dir), &env)
        .unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = toolbox.tools().iter().map(|t| t.name()).collect();
    assert_eq!(
        names,
        ["cancel_order", "get_order", "get_weather", "show_text"]
    );
    assert!(toolbox.get("cancel_order").expect("loaded").mutating());
    let show_text = toolbox.get("show_text").expect("loaded");
    assert!(show_text.client() && !show_text.mutating());
    assert!(!toolbox.get("get_weather").expect("loaded").mutating());
    // The repository's own tools/ folder holds no tool: nothing is offered by default.
    let own = concat!(env!("CARGO_MANIFEST_DIR"), "/tools");
    let empty = voicebridge::tools::Toolbox::load(std::path::Path::new(own), &env)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(empty.is_empty());
}

#[tokio::test]
async fn words_before_a_call_are_heard_while_the_tool_runs_and_long_results_are_cut() {
    let t = spawn_with_tools(&[("TOOL_RESULT_MAX_CHARS", "20")], 3000).await;
    t.app.upstream.enqueue(Reply::tool_calls(
        &["Let me check that. "],
        &[("w1", "get_order", r#"{"order_id":"A1"}"#)],
    ));
    t.app.upstream.enqueue(Reply::deltas(&["It shipped."]));
    let long = format!(r#"{{"status":"shipped","log":"{}"}}"#, "x".repeat(500));
    t.server
        .enqueue(Reply::plain(200, &long, Duration::from_millis(800)));
    let started = std::time::Instant::now();
    let response = t
        .app
        .post_webhook(&message("conv_tool_early", "t1", "A1?"))
        .await;
    let mut reader = SseReader::new(response);
    let first = reader.until_spoken().await;
    assert_eq!(first.last().expect("tts")["content"], "Let me check that.");
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "spoken before the tool answered: {:?}",
        started.elapsed()
    );
    let rest = reader.collect().await;
    assert_eq!(
        spoken(&rest),
        ["One moment while I look that up.", "It shipped."],
        "the filler after 500 ms, then the answer"
    );
    let result = tool_messages(&t.app.upstream.requests()[1])[1]["content"]
        .as_str()
        .expect("text")
        .to_string();
    assert!(result.starts_with(r#"{"status":"shipped","#), "{result}");
    assert!(
        result.contains("[cut: the result was longer than 20 characters]"),
        "{result}"
    );
    assert!(result.chars().count() < 80, "{result}");
}

#[tokio::test]
async fn a_templated_url_and_header_are_rendered_with_the_callers_context() {
    let server = FakeUpstream::start().await;
    let base = server.base_url.trim_end_matches("/v1");
    let file = r#"
description = "Look up an order on the caller's account."
url = "BASE/accounts/{{ metadata.account_id }}/orders/{order_id}"
[headers]
Authorization = "Bearer ${ORDERS_API_KEY}"
X-Caller = "{{ from_phone_number | default('web') }}"
[static]
agent = "{{ agent }}"
[parameters]
type = "object"
required = ["order_id"]
[parameters.properties.order_id]
type = "string"
"#
    .replace("BASE", base);
    let dir = tool_dir(&[("account_order", file)]);
    let dir = dir.to_str().expect("utf-8 path").to_string();
    let app = spawn_app_with(&[
        ("TOOLS_DIR", dir.as_str()),
        ("ORDERS_API_KEY", "orders-secret-123"),
    ])
    .await;
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("call_1", "account_order", r#"{"order_id":"A17"}"#)],
    ));
    app.upstream.enqueue(Reply::deltas(&["It ships tomorrow."]));
    server.enqueue(Reply::plain(200, ORDER_BODY, Duration::ZERO));

    let mut turn = message("conv_tool_tpl", "t1", "Where is my order A17?");
    turn["metadata"] = json!({"account_id": "acc_9"});
    turn["from_phone_number"] = json!("+15550100");
    let events = app.turn(&turn).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["It ships tomorrow."]);

    let calls = server.requests();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].path, "/accounts/acc_9/orders/A17?agent=default");
    assert_eq!(calls[0].header("x-caller"), Some("+15550100"));
    assert_eq!(
        calls[0].header("authorization"),
        Some("Bearer orders-secret-123")
    );
    // The model sees neither the template nor the static argument.
    let offered = app.upstream.requests()[0].body["tools"].to_string();
    assert!(!offered.contains("agent"), "{offered}");
}

#[tokio::test]
async fn a_turn_that_follows_a_barge_in_sees_a_mutating_call_still_running() {
    let t = spawn_with_tools(&[], 8000).await;
    // The cancellation takes longer than a newer turn waits for the older one (2 s).
    t.server.enqueue(Reply::plain(
        200,
        r#"{"cancelled":true}"#,
        Duration::from_millis(3500),
    ));
    hang_up_during_the_call(
        &t,
        "conv_tool_overtaken",
        "cancel_order",
        r#"{"order_id":"A1"}"#,
    )
    .await;
    // (The reply queued for the first turn's second round, never asked for, answers.)
    let events = t
        .app
        .turn(&message("conv_tool_overtaken", "t2", "Did you cancel it?"))
        .await;
    assert_eq!(spoken(&events), ["Never heard."]);
    let seen = t.app.upstream.requests().pop().expect("request");
    let tools = tool_messages(&seen);
    assert_eq!(
        tools[0]["tool_calls"][0]["function"]["name"],
        "cancel_order"
    );
    assert!(
        tools[1]["content"]
            .as_str()
            .expect("text")
            .contains("still running"),
        "{tools:?}"
    );
    let users: Vec<String> = seen
        .messages()
        .into_iter()
        .filter(|(role, _)| role == "user")
        .map(|(_, text)| text)
        .collect();
    assert_eq!(
        users,
        ["Do it", "Did you cancel it?"],
        "not merged: t1 was answered"
    );

    // Once the call ends, its real result replaces the provisional one.
    t.app.settle().await;
    let history = t
        .app
        .store
        .history("conv_tool_overtaken")
        .await
        .expect("store");
    assert_history_well_formed(&history, "conv_tool_overtaken");
    assert_eq!(history[1].tool_results[0].content, r#"{"cancelled":true}"#);
    assert_eq!(t.server.requests().len(), 1, "called once");
}

/// The key the order tools send (`ORDERS_API_KEY`).
const ORDERS_KEY: &str = "orders-secret-123";

/// Turn `turn` of `conversation`: the model calls `name` with `args` (call id `g1`), then
/// says "Done."; the text the model read as the call's result.
async fn call_once(t: &ToolTest, conversation: &str, turn: &str, call: (&str, &str)) -> String {
    let (name, args) = call;
    t.app
        .upstream
        .enqueue(Reply::tool_calls(&[], &[("g1", name, args)]));
    t.app.upstream.enqueue(Reply::deltas(&["Done."]));
    let events = t.app.turn(&message(conversation, turn, "Go")).await;
    assert_well_formed(&events, turn);
    let request = t.app.upstream.requests().pop().expect("the follow-up");
    let messages = tool_messages(&request);
    let result = messages.last().expect("the call's result");
    assert_eq!(result["tool_call_id"], "g1");
    result["content"].as_str().expect("text").to_string()
}

/// No beginning of `key` of 4 characters or more is in `text`.
fn assert_no_part_of(key: &str, text: &str) {
    for n in 4..=key.len() {
        assert!(!text.contains(&key[..n]), "{:?} is in {text}", &key[..n]);
    }
}

/// A tool endpoint that echoes the key, padded so that the key straddles where its answer
/// is cut: the model reads no beginning of the key, from a success (cut at
/// `TOOL_RESULT_MAX_CHARS`) or an error (cut at 200 characters, or read up to 1024 bytes).
#[tokio::test]
async fn a_key_straddling_the_cut_reaches_the_model_as_no_part_of_it() {
    let t = spawn_with_tools(&[("TOOL_RESULT_MAX_CHARS", "100")], 3000).await;
    // 10 characters of the key before the cut at 100 characters.
    let success = format!(r#"{{"echo":"{}{ORDERS_KEY}"}}"#, "x".repeat(80));
    t.server
        .enqueue(Reply::plain(200, &success, Duration::ZERO));
    // 10 characters of the key before the cut at 200 characters.
    let error = format!(r#"{{"error":"{}{ORDERS_KEY}"}}"#, "y".repeat(180));
    t.server.enqueue(Reply::plain(401, &error, Duration::ZERO));
    // 9 bytes of the key before the 1024-byte read cap; the spaces collapse to one.
    let spaced = format!(r#"{{"error":"{}{ORDERS_KEY}"}}"#, " ".repeat(1005));
    t.server.enqueue(Reply::plain(401, &spaced, Duration::ZERO));
    let call = ("get_order", r#"{"order_id":"A1"}"#);
    let results = [
        call_once(&t, "conv_tool_cut", "t1", call).await,
        call_once(&t, "conv_tool_cut", "t2", call).await,
        call_once(&t, "conv_tool_cut", "t3", call).await,
    ];
    for result in &results {
        assert_no_part_of(ORDERS_KEY, result);
    }
    assert!(results[0].starts_with(r#"{"echo":"xxx"#), "{}", results[0]);
    assert!(results[0].contains("[cut: the result was longer than 100"));
    assert!(
        results[1].contains("the tool failed: HTTP 401"),
        "{}",
        results[1]
    );
    assert!(
        results[2].contains("the tool failed: HTTP 401"),
        "{}",
        results[2]
    );
    assert_eq!(t.server.requests().len(), 3);
}

/// A tool endpoint that answers with a redirect to another server: the redirect is not
/// followed (the other server hears nothing) and the model reads why the tool failed.
#[tokio::test]
async fn a_redirect_is_not_followed_and_its_target_hears_nothing() {
    let t = spawn_with_tools(&[], 3000).await;
    let catcher = FakeUpstream::start().await;
    let elsewhere = catcher.base_url.trim_end_matches("/v1");
    t.server
        .enqueue(redirect("302 Found", &format!("{elsewhere}/steal")));
    let result = call_once(
        &t,
        "conv_tool_redirect",
        "t1",
        ("get_order", r#"{"order_id":"A1"}"#),
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&result).expect("JSON"),
        json!({"error": "the tool failed: HTTP 302 (redirects are not followed)"})
    );
    assert_eq!(t.server.requests().len(), 1);
    assert!(catcher.requests().is_empty(), "the redirect was followed");
}

/// A tool file may let redirects to its own origin be followed; one to another origin is
/// still a failure, and its target hears nothing.
#[tokio::test]
async fn a_tool_may_follow_a_same_origin_redirect_but_never_one_elsewhere() {
    let file = r#"
description = "Look up an order."
url = "BASE/orders/{order_id}"
follow_redirects = "same-origin"
[parameters]
type = "object"
required = ["order_id"]
[parameters.properties.order_id]
type = "string"
"#;
    let t = spawn_with_files(&[("find_order", file)]).await;
    let base = t.server.base_url.trim_end_matches("/v1").to_string();
    t.server
        .enqueue(redirect("301 Moved", &format!("{base}/v2/orders/A1")));
    t.server
        .enqueue(Reply::plain(200, ORDER_BODY, Duration::ZERO));
    let args = r#"{"order_id":"A1"}"#;
    let result = call_once(&t, "conv_tool_same_origin", "t1", ("find_order", args)).await;
    assert_eq!(result, ORDER_BODY, "the same-origin redirect was followed");
    let paths: Vec<String> = t.server.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/orders/A1", "/v2/orders/A1"]);

    let catcher = FakeUpstream::start().await;
    let elsewhere = catcher.base_url.trim_end_matches("/v1");
    t.server
        .enqueue(redirect("302 Found", &format!("{elsewhere}/steal")));
    let result = call_once(&t, "conv_tool_same_origin", "t2", ("find_order", args)).await;
    assert_eq!(
        serde_json::from_str::<Value>(&result).expect("JSON"),
        json!({"error": "the tool failed: HTTP 302 (redirects are not followed)"})
    );
    assert!(
        catcher.requests().is_empty(),
        "a redirect elsewhere was followed"
    );
}

/// A redirect answer (`status` as "302 Found") to `location`.
fn redirect(status: &str, location: &str) -> Reply {
    Reply::Raw(
        format!("HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n")
            .into_bytes(),
    )
}

/// A tool's files, each made from the fake tool server's base URL (replacing `BASE`).
async fn spawn_with_files(files: &[(&'static str, &str)]) -> ToolTest {
    let server = FakeUpstream::start().await;
    let base = server.base_url.trim_end_matches("/v1");
    let files: Vec<(&str, String)> = files
        .iter()
        .map(|(name, text)| (*name, text.replace("BASE", base)))
        .collect();
    let dir = tool_dir(&files);
    let app = spawn_app_with(&[
        ("TOOLS_DIR", dir.to_str().expect("utf-8")),
        ("ORDERS_API_KEY", ORDERS_KEY),
    ])
    .await;
    ToolTest { app, server }
}

/// Parameter pollution: an argument named like a query key the URL fixes is not sent, so
/// the endpoint sees the operator's value only.
#[tokio::test]
async fn an_argument_cannot_override_a_query_key_the_url_fixes() {
    let file = r#"
description = "Search the catalogue."
url = "BASE/search?fixed=operator_value"
[parameters]
type = "object"
[parameters.properties.q]
type = "string"
[parameters.properties.fixed]
type = "string"
"#;
    let t = spawn_with_files(&[("search", file)]).await;
    t.server
        .enqueue(Reply::plain(200, r#"{"found":1}"#, Duration::ZERO));
    let args = r#"{"q":"socks","fixed":"attacker_value"}"#;
    let result = call_once(&t, "conv_tool_fixed", "t1", ("search", args)).await;
    assert_eq!(result, r#"{"found":1}"#);
    let calls = t.server.requests();
    assert_eq!(calls[0].path, "/search?fixed=operator_value&q=socks");
}

/// Mass assignment: arguments the tool's `parameters` do not declare are not sent, in a
/// POST body or a GET query.
#[tokio::test]
async fn arguments_the_parameters_do_not_declare_never_reach_the_api() {
    let file = r#"
description = "Update the caller's profile."
method = "POST"
url = "BASE/profile"
[static]
channel = "voice"
[parameters]
type = "object"
[parameters.properties.name]
type = "string"
"#;
    let t = spawn_with_files(&[("update_profile", file)]).await;
    t.server
        .enqueue(Reply::plain(200, r#"{"ok":true}"#, Duration::ZERO));
    let args = r#"{"name":"Ann","admin":true,"role":"owner"}"#;
    call_once(&t, "conv_tool_mass", "t1", ("update_profile", args)).await;
    let calls = t.server.requests();
    assert_eq!(calls[0].body, json!({"name": "Ann", "channel": "voice"}));
    let metrics = t.app.metrics_text().await;
    let line =
        r#"voicebridge_tool_arguments_dropped_total{agent="default",tool="update_profile"} 2"#;
    assert!(metrics.contains(line), "{line} in\n{metrics}");

    let t = spawn_with_tools(&[], 3000).await;
    t.server
        .enqueue(Reply::plain(200, ORDER_BODY, Duration::ZERO));
    let args = r#"{"order_id":"A1","detail":"full","internal":"yes"}"#;
    call_once(&t, "conv_tool_mass_get", "t1", ("get_order", args)).await;
    assert_eq!(t.server.requests()[0].path, "/orders/A1?detail=full");
}

/// An empty or slash-only `{order_id}` would call another endpoint (`/orders/`): it is
/// refused before any request, and the model reads an argument error.
#[tokio::test]
async fn an_empty_or_slash_only_placeholder_is_refused_before_any_request() {
    let t = spawn_with_tools(&[], 3000).await;
    t.server
        .set_default(Reply::plain(200, ORDER_BODY, Duration::ZERO));
    for (turn, id) in [("t1", ""), ("t2", "/"), ("t3", "//")] {
        let args = json!({ "order_id": id }).to_string();
        let result = call_once(&t, "conv_tool_empty", turn, ("get_order", &args)).await;
        let error = serde_json::from_str::<Value>(&result).expect("JSON")["error"]
            .as_str()
            .expect("an error")
            .to_string();
        assert!(
            error.starts_with("the tool was not called: ") && error.contains("order_id"),
            "{error}"
        );
    }
    assert!(t.server.requests().is_empty(), "no request was made");
}
