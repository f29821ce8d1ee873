//! Client tools end to end: the model calls a tool the page runs, the turn sends the page
//! a `tool_call` data event, the page answers with a `tool_result` data webhook, and the
//! model reads that answer.

use serde_json::{json, Value};

use crate::helpers::fake_upstream::Reply;
use crate::helpers::redis_server::{require_redis, unique_prefix, REDIS};
use crate::helpers::tools::tool_dir;
use crate::helpers::*;

fn show_text(timeout_ms: u64) -> String {
    format!(
        r#"
client = true
description = "Show a short text on the caller's screen."
timeout_ms = {timeout_ms}

[parameters]
type = "object"
required = ["text"]
[parameters.properties.title]
type = "string"
[parameters.properties.text]
type = "string"
"#
    )
}

async fn spawn_with_client_tool(timeout_ms: u64) -> TestApp {
    let dir = tool_dir(&[("show_text", show_text(timeout_ms))]);
    let dir = dir.to_str().expect("utf-8 path").to_string();
    spawn_app_with(&[("TOOLS_DIR", dir.as_str())]).await
}

fn tool_result(conversation: &str, id: &str, result: Value) -> Value {
    json!({
        "type": "data", "conversation_id": conversation, "turn_id": "t1",
        "data": {"tool_result": {"id": id, "result": result}},
    })
}

/// The page answers call `id` of `conversation` with `result` through `app`: the webhook's
/// JSON answer (always HTTP 200).
async fn answer(app: &TestApp, conversation: &str, id: &str, result: Value) -> Value {
    let response = app
        .post_webhook(&tool_result(conversation, id, result))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

/// Reads events until the `tool_call` data event; returns them all.
async fn until_tool_call(reader: &mut SseReader) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let event = reader.next_event().await.expect("a tool_call event");
        let found = event["type"] == "response.data" && event["content"]["tool_call"].is_object();
        events.push(event);
        if found {
            return events;
        }
    }
}

/// Starts turn `turn` of `conversation` in which the model calls `show_text` with
/// `arguments` as call `id` (then would say `after`), and reads until the page has the
/// call: the open stream and the events so far.
async fn start_call(
    app: &TestApp,
    conversation: &str,
    turn: &str,
    (id, arguments): (&str, &str),
    after: &str,
) -> (SseReader, Vec<Value>) {
    app.upstream
        .enqueue(Reply::tool_calls(&[], &[(id, "show_text", arguments)]));
    app.upstream.enqueue(Reply::deltas(&[after]));
    let response = app
        .post_webhook(&message(conversation, turn, "Show me my code"))
        .await;
    assert_eq!(response.status(), 200);
    let mut reader = SseReader::new(response);
    let events = until_tool_call(&mut reader).await;
    (reader, events)
}

#[tokio::test]
async fn the_page_runs_a_client_tool_and_the_model_reads_its_answer() {
    let app = spawn_with_client_tool(5000).await;
    let call = ("call_s", r#"{"title":"Your code","text":"A17"}"#);
    let (reader, mut events) =
        start_call(&app, "conv_client", "t1", call, "It's on your screen now.").await;
    let call = events.last().expect("tool_call")["content"]["tool_call"].clone();
    assert_eq!(
        call,
        json!({"id": "call_s", "name": "show_text",
               "arguments": {"title": "Your code", "text": "A17"}})
    );

    let body = answer(&app, "conv_client", "call_s", json!({"shown": true})).await;
    assert_eq!(
        body,
        json!({"type": "response.data", "content": {"received": true}})
    );

    events.extend(reader.collect().await);
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["It's on your screen now."]);
    let requests = app.upstream.requests();
    assert_eq!(requests.len(), 2);
    let names: Vec<&str> = requests[0].body["tools"]
        .as_array()
        .expect("tools offered")
        .iter()
        .map(|t| t["function"]["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["show_text"]);
    let tool_message = requests[1].body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["role"] == "tool")
        .cloned()
        .expect("a tool message");
    assert_eq!(tool_message["content"], r#"{"shown":true}"#);
    assert_eq!(tool_message["tool_call_id"], "call_s");

    // The answer is not a client variable.
    let client = app.store.client("conv_client").await.expect("store");
    assert!(client.get("tool_result").is_none(), "{client:?}");

    // The answer was taken once: a second one finds nobody waiting.
    let body = answer(&app, "conv_client", "call_s", json!({"shown": true})).await;
    assert_eq!(body["content"]["received"], false);
}

#[tokio::test]
async fn a_page_that_does_not_answer_times_out() {
    let app = spawn_with_client_tool(300).await;
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("call_t", "show_text", r#"{"text":"A17"}"#)],
    ));
    app.upstream
        .enqueue(Reply::deltas(&["I could not show it, sorry."]));
    let events = app
        .turn(&message("conv_client_late", "t1", "Show me my code"))
        .await;
    assert_well_formed(&events, "t1");
    let ends = events
        .iter()
        .filter(|e| e["type"] == "response.end")
        .count();
    assert_eq!(ends, 1);
    assert_eq!(spoken(&events), ["I could not show it, sorry."]);
    let requests = app.upstream.requests();
    assert_eq!(requests.len(), 2);
    let tool_message = requests[1].body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["role"] == "tool")
        .cloned()
        .expect("a tool message");
    let content = tool_message["content"].as_str().expect("text");
    assert!(
        content.contains("did not answer within 300 ms"),
        "{content}"
    );

    // Too late: the call is no longer waiting.
    let body = answer(&app, "conv_client_late", "call_t", json!({"shown": true})).await;
    assert_eq!(
        body,
        json!({"type": "response.data", "content": {
            "received": false, "error": "no tool call is waiting for this id"}})
    );
}

#[tokio::test]
async fn an_answer_for_an_unknown_call_is_refused() {
    let app = spawn_with_client_tool(5000).await;
    let body = answer(&app, "conv_nobody", "call_x", json!(1)).await;
    assert_eq!(
        body,
        json!({"type": "response.data", "content": {
            "received": false, "error": "no tool call is waiting for this id"}})
    );
}

#[tokio::test]
async fn arguments_that_do_not_match_the_schema_never_reach_the_page() {
    let app = spawn_with_client_tool(5000).await;
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("call_bad", "show_text", r#"{"title":"no text"}"#)],
    ));
    app.upstream.enqueue(Reply::deltas(&["Sorry."]));
    let events = app.turn(&message("conv_client_bad", "t1", "Show me")).await;
    assert_well_formed(&events, "t1");
    assert!(
        contents(&events, "response.data")
            .iter()
            .all(|c| c.get("tool_call").is_none()),
        "{events:?}"
    );
    let requests = app.upstream.requests();
    let text = requests[1].body.to_string();
    assert!(text.contains("the tool was not called"), "{text}");
}

#[tokio::test]
async fn a_barge_in_stops_the_wait_and_forgets_the_call() {
    let app = spawn_with_client_tool(5000).await;
    let started = std::time::Instant::now();
    let call = ("call_b", r#"{"text":"A17"}"#);
    let (reader, _) = start_call(&app, "conv_client_bargein", "t1", call, "Never heard.").await;
    drop(reader);
    app.settle().await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "not waited for"
    );
    let history = app
        .store
        .history("conv_client_bargein")
        .await
        .expect("store");
    assert_history_well_formed(&history, "conv_client_bargein");
    assert!(
        history[1].tool_results[0].content.contains("cancelled"),
        "{history:?}"
    );
    assert_eq!(app.upstream.requests().len(), 1, "no second round");
    let body = answer(
        &app,
        "conv_client_bargein",
        "call_b",
        json!({"shown": true}),
    )
    .await;
    assert_eq!(body["content"]["received"], false, "the call was forgotten");
}

#[tokio::test]
async fn a_tool_result_is_not_kept_in_the_client_variables() {
    let app = spawn_with_client_tool(5000).await;
    let response = app
        .post_webhook(&json!({
            "type": "data", "conversation_id": "conv_client_vars", "turn_id": "t1",
            "data": {"page": "/checkout", "tool_result": {"id": "nobody", "result": 1}},
        }))
        .await;
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["content"]["received"], false);
    let response = app
        .post_webhook(&json!({
            "type": "data", "conversation_id": "conv_client_vars", "turn_id": "t1",
            "data": {"tool_result": "not an object"},
        }))
        .await;
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["content"]["received"], false);
    assert_eq!(body["content"]["error"], "`tool_result` must be an object");
}

/// Machines A and B share Redis: the turn runs on A, the page's answer is delivered to B
/// (Layercode may send any webhook to any machine) and reaches A's waiting call.
#[tokio::test]
async fn an_answer_delivered_to_the_other_machine_resumes_the_turn() {
    require_redis().await;
    let dir = tool_dir(&[("show_text", show_text(5000))]);
    let dir = dir.to_str().expect("utf-8 path").to_string();
    let prefix = unique_prefix("client-tools");
    let vars = [
        ("TOOLS_DIR", dir.as_str()),
        ("SESSION_STORE_URL", REDIS),
        ("SESSION_STORE_PREFIX", prefix.as_str()),
    ];
    let (a, b) = (spawn_app_with(&vars).await, spawn_app_with(&vars).await);
    let conversation = "conv_client_two_machines";

    let call = ("call_ab", r#"{"text":"A17"}"#);
    let (reader, mut events) =
        start_call(&a, conversation, "t1", call, "It's on your screen.").await;

    // B knows of no call with another id.
    let unknown = answer(&b, conversation, "call_other", json!(1)).await;
    assert_eq!(unknown["content"]["received"], false);

    let answered = answer(&b, conversation, "call_ab", json!({"shown": true})).await;
    assert_eq!(
        answered,
        json!({"type": "response.data", "content": {"received": true}})
    );
    events.extend(reader.collect().await);
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["It's on your screen."]);
    let requests = a.upstream.requests();
    assert_eq!(requests.len(), 2, "A asked the model again with the answer");
    let tool_message = requests[1].body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["role"] == "tool")
        .cloned()
        .expect("a tool message");
    assert_eq!(tool_message["content"], r#"{"shown":true}"#);
    assert!(b.upstream.requests().is_empty(), "B ran no turn");

    // Taken once: the same answer again, on either machine, finds nobody.
    for machine in [&a, &b] {
        let again = answer(machine, conversation, "call_ab", json!(2)).await;
        assert_eq!(again["content"]["received"], false);
    }

    // A call given up by a barge-in on A is withdrawn: B no longer takes its answer.
    let call = ("call_gone", r#"{"text":"B22"}"#);
    let (reader, _) = start_call(&a, conversation, "t2", call, "Never heard.").await;
    let key = format!("{prefix}client:default\n{conversation}\ncall_gone");
    let redis = redis::Client::open(REDIS).expect("a Redis URL");
    let mut connection = redis
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers");
    let announced: bool = redis::cmd("EXISTS")
        .arg(&key)
        .query_async(&mut connection)
        .await
        .expect("EXISTS");
    assert!(announced, "announced before the page had the call");
    drop(reader);
    a.settle().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let exists: bool = redis::cmd("EXISTS")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .expect("EXISTS");
        if !exists {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the announcement {key:?} was not withdrawn"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let late = answer(&b, conversation, "call_gone", json!(3)).await;
    assert_eq!(late["content"]["received"], false, "the call was withdrawn");
}

/// `voicebridge chat` plays the page: `show_text` is printed as a card and answered, any
/// other client tool is answered at once that the terminal cannot run it (the model reads
/// that, not a timeout).
#[tokio::test]
async fn chat_answers_client_tools_itself() {
    let open_page = show_text(5000).replace("Show a short text", "Open a page");
    let dir = tool_dir(&[("show_text", show_text(5000)), ("open_page", open_page)]);
    let app = spawn_app_with(&[("TOOLS_DIR", dir.to_str().expect("utf-8"))]).await;
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[
            ("c1", "show_text", r#"{"title":"Your code","text":"A17"}"#),
            ("c2", "open_page", r#"{"text":"/help"}"#),
        ],
    ));
    app.upstream.enqueue(Reply::deltas(&["Done."]));
    let env = crate::helpers::binary::vars(&[("LAYERCODE_WEBHOOK_SECRET", SECRET)]);
    let output =
        crate::helpers::binary::run(&["chat", "--url", &app.address], env, "Code?\n").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("  [card] Your code: A17"), "{stdout}");
    assert!(
        stdout.contains("  [client tool open_page: not available in the terminal"),
        "{stdout}"
    );
    assert!(stdout.contains("agent> Done."), "{stdout}");
    let second = &app.upstream.requests()[1];
    let sent = second.body.to_string();
    assert!(sent.contains(r#"{\"shown\":true}"#), "{sent}");
    assert!(sent.contains("open_page is not available"), "{sent}");
    assert!(!sent.contains("did not answer"), "{sent}");
}
