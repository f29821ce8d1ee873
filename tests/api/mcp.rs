//! MCP servers: the official Python SDK's server (installed by `scripts/test` into .venv)
//! reached through the registry the agents share.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Map};
use voicebridge::mcp::{McpRegistry, McpServerConfig};

use crate::helpers::binary::{run, vars};
use crate::helpers::fake_upstream::{FakeUpstream, Reply};
use crate::helpers::tools::hang_up_during_a_call;
use crate::helpers::*;

/// The Python MCP server on `port`, killed on drop.
struct PyServer(Child);

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python() -> &'static Path {
    let python = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python"));
    assert!(
        python.exists(),
        ".venv/bin/python is missing: run scripts/test, which installs the MCP SDK"
    );
    python
}

async fn start_server(port: u16) -> PyServer {
    start_server_with(port, &[]).await
}

/// The Python MCP server on `port`, started with `flags` (`--extra`: the extra tools).
async fn start_server_with(port: u16, flags: &[&str]) -> PyServer {
    let child = Command::new(python())
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/server.py"))
        .arg(port.to_string())
        .args(flags)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the MCP server starts");
    let server = PyServer(child);
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the MCP server did not open port {port}");
}

fn config(port: u16) -> McpServerConfig {
    let file = format!("url = \"http://127.0.0.1:{port}/mcp\"\ntimeout_ms = 5000\n");
    let dir = folder_with("mcp", &[("weather.toml", &file)]);
    let mut servers = voicebridge::mcp::load_dir(&dir, &|_| None).expect("loads");
    servers.remove(0)
}

async fn wait_for_tools(registry: &McpRegistry, within: Duration) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let names: Vec<String> = registry.tools().into_iter().map(|t| t.name).collect();
        if !names.is_empty() || tokio::time::Instant::now() > deadline {
            return names;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn tools_of_a_real_mcp_server_are_listed_and_called() {
    let port = free_port();
    let _server = start_server(port).await;
    let registry = McpRegistry::new(&[config(port)]);
    let shutdown = tokio_util::sync::CancellationToken::new();
    registry.start(&shutdown);
    let names = wait_for_tools(&registry, Duration::from_secs(10)).await;
    assert_eq!(
        names,
        [
            "weather__book_table",
            "weather__get_weather",
            "weather__slow_lookup"
        ]
    );
    let tools = registry.tools();
    assert!(tools[0].mutating, "book_table is not read-only");
    assert!(!tools[1].mutating, "get_weather is read-only");
    assert_eq!(
        tools[1].definition["function"]["parameters"]["required"],
        json!(["city"])
    );

    let mut arguments = Map::new();
    arguments.insert("city".into(), json!("Paris"));
    let text = registry
        .call("weather__get_weather", arguments, Default::default(), 4000)
        .await
        .expect("answered");
    assert!(text.contains("Sunny and 21 degrees in Paris"), "{text}");
    let failed = registry
        .call("weather__book_table", Map::new(), Default::default(), 4000)
        .await;
    assert!(failed.is_err(), "missing arguments are the server's error");
    shutdown.cancel();
}

#[tokio::test]
async fn a_server_down_at_start_up_appears_when_it_answers() {
    let port = free_port();
    let registry = McpRegistry::new(&[config(port)]);
    let shutdown = tokio_util::sync::CancellationToken::new();
    registry.start(&shutdown);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(registry.tools().is_empty());
    let _server = start_server(port).await;
    let names = wait_for_tools(&registry, Duration::from_secs(15)).await;
    assert_eq!(names.len(), 3, "tools appear once the server answers");
    shutdown.cancel();
}

/// The whole app with an MCP server configured: the model is offered the server's tools,
/// calls one, and reads the server's answer in its next request.
#[tokio::test]
async fn the_model_is_offered_and_calls_an_mcp_tool_through_the_app() {
    let port = free_port();
    let _server = start_server(port).await;
    let file = format!(
        "url = \"http://127.0.0.1:{port}/mcp\"\ntimeout_ms = 5000\n\
         say_while_waiting = \"Checking that now.\"\n"
    );
    let dir = folder_with("mcp-app", &[("weather.toml", &file)]);
    let app = spawn_app_with(&[
        ("MCP_DIR", dir.to_str().expect("utf-8")),
        ("TOOL_FILLER_AFTER_MS", "300"),
    ])
    .await;
    // The server's tools appear once it has been listed (in the background).
    let offered = offered_tools(&app, "conv_mcp").await;
    assert_eq!(
        offered,
        [
            "weather__book_table",
            "weather__get_weather",
            "weather__slow_lookup"
        ]
    );

    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("w1", "weather__get_weather", r#"{"city":"Paris"}"#)],
    ));
    app.upstream
        .enqueue(Reply::deltas(&["It is sunny in Paris."]));
    let events = app.turn(&message("conv_mcp", "t1", "Weather?")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["It is sunny in Paris."]);
    let follow_up = app.upstream.requests().pop().expect("the follow-up");
    let result = follow_up.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["role"] == "tool")
        .cloned()
        .expect("a tool result");
    assert_eq!(result["tool_call_id"], "w1");
    assert_eq!(result["content"], "Sunny and 21 degrees in Paris.");

    // Arguments that do not match the server's schema are refused before any call.
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("b1", "weather__book_table", r#"{"name":"Ana"}"#)],
    ));
    app.upstream.enqueue(Reply::deltas(&["How many people?"]));
    app.turn(&message("conv_mcp", "t2", "Book a table")).await;
    let follow_up = app.upstream.requests().pop().expect("the follow-up");
    let refused = follow_up.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .rev()
        .find(|m| m["role"] == "tool")
        .cloned()
        .expect("a tool result");
    let text = refused["content"].as_str().expect("text");
    assert!(text.contains("do not match the schema"), "{text}");
    assert!(text.contains("people"), "{text}");

    // A slow tool gets the server's say_while_waiting spoken once.
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("s1", "weather__slow_lookup", r#"{"item":"the order"}"#)],
    ));
    app.upstream.enqueue(Reply::deltas(&["Found it."]));
    let events = app.turn(&message("conv_mcp", "t3", "Look it up")).await;
    assert_well_formed(&events, "t3");
    assert_eq!(spoken(&events), ["Checking that now.", "Found it."]);
}

/// The whole app with the server on `port` configured as `weather` (`more` is added to its
/// file).
async fn app_with_server(port: u16, more: &str) -> TestApp {
    let file = format!("{more}url = \"http://127.0.0.1:{port}/mcp\"\ntimeout_ms = 5000\n");
    let dir = folder_with("mcp-app", &[("weather.toml", &file)]);
    spawn_app_with(&[("MCP_DIR", dir.to_str().expect("utf-8"))]).await
}

/// The tools the model is offered once the server has been listed (turns of
/// `<conversation>_wait` until there are some, within 10 s).
async fn offered_tools(app: &TestApp, conversation: &str) -> Vec<String> {
    let wait = format!("{conversation}_wait");
    for attempt in 0..50 {
        app.upstream.enqueue(Reply::deltas(&["Hello."]));
        app.turn(&message(&wait, &format!("w{attempt}"), "Hi"))
            .await;
        let offered = tool_names(&app.upstream.requests().pop().expect("a request"));
        if !offered.is_empty() {
            return offered;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the MCP server's tools were never offered");
}

/// The last tool message of the model's most recent request.
fn last_tool_result(app: &TestApp) -> serde_json::Value {
    let request = app.upstream.requests().pop().expect("a request");
    request.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .rev()
        .find(|m| m["role"] == "tool")
        .cloned()
        .expect("a tool result")
}

/// A tool that raises on the server (the result has isError=true): the model is told the
/// server's message as a tool failure, the user hears only the model's next words.
#[tokio::test]
async fn a_failing_mcp_tool_is_told_to_the_model_never_to_the_user() {
    let port = free_port();
    let _server = start_server_with(port, &["--extra"]).await;
    let app = app_with_server(port, "").await;
    let offered = offered_tools(&app, "conv_mcp_fail").await;
    assert!(
        offered.iter().any(|n| n == "weather__broken_lookup"),
        "{offered:?}"
    );

    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("f1", "weather__broken_lookup", r#"{"item":"socks"}"#)],
    ));
    app.upstream
        .enqueue(Reply::deltas(&["The stock system is down right now."]));
    let events = app.turn(&message("conv_mcp_fail", "t1", "Socks?")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["The stock system is down right now."]);
    assert!(error_codes(&events).is_empty(), "the turn did not fail");

    let result = last_tool_result(&app);
    assert_eq!(result["tool_call_id"], "f1");
    let content: serde_json::Value =
        serde_json::from_str(result["content"].as_str().expect("text")).expect("JSON");
    let error = content["error"].as_str().expect("an error");
    assert!(error.starts_with("the tool failed: "), "{error}");
    assert!(
        error.contains("the stock service is down, cannot look up socks"),
        "the server's message: {error}"
    );

    let finished: Vec<serde_json::Value> = contents(&events, "response.data")
        .into_iter()
        .filter_map(|c| c.get("tool").cloned())
        .filter(|t| t["status"] != "started")
        .collect();
    assert_eq!(finished.len(), 1, "{finished:?}");
    assert_eq!(finished[0]["id"], "f1");
    assert_eq!(finished[0]["status"], "failed");
    assert_eq!(finished[0]["outcome"], "http_error");

    let metrics = app.metrics_text().await;
    let line = r#"voicebridge_tool_calls_total{agent="default",outcome="http_error",tool="weather__broken_lookup"} 1"#;
    assert!(metrics.contains(line), "{line} in\n{metrics}");
}

/// A server file's `tools` allow-list: only those tools are offered, and a call of another
/// tool of the server is answered as an unknown tool without reaching the server.
#[tokio::test]
async fn only_the_tools_a_server_file_allows_are_offered_and_called() {
    let port = free_port();
    let _server = start_server_with(port, &["--extra"]).await;
    let app = app_with_server(port, "tools = [\"get_weather\"]\n").await;
    let offered = offered_tools(&app, "conv_mcp_allow").await;
    assert_eq!(offered, ["weather__get_weather"]);

    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("a1", "weather__book_table", r#"{"name":"Ana","people":2}"#)],
    ));
    app.upstream
        .enqueue(Reply::deltas(&["I cannot book tables, sorry."]));
    let events = app
        .turn(&message("conv_mcp_allow", "t1", "Book a table"))
        .await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["I cannot book tables, sorry."]);
    let result = last_tool_result(&app);
    assert_eq!(result["tool_call_id"], "a1");
    let text = result["content"].as_str().expect("text");
    assert!(
        text.contains("there is no tool named \\\"weather__book_table\\\""),
        "{text}"
    );
    let metrics = app.metrics_text().await;
    let line =
        r#"voicebridge_tool_calls_total{agent="default",outcome="unknown_tool",tool="unknown"} 1"#;
    assert!(metrics.contains(line), "{line} in\n{metrics}");

    // The server itself says which tools were called: none.
    let registry = McpRegistry::new(&[config(port)]);
    let shutdown = tokio_util::sync::CancellationToken::new();
    registry.start(&shutdown);
    wait_for_tools(&registry, Duration::from_secs(10)).await;
    let called = registry
        .call("weather__calls", Map::new(), Default::default(), 4000)
        .await
        .expect("answered");
    assert_eq!(called, "", "no tool reached the server");
    shutdown.cancel();
}

/// A call of an MCP tool is a span of the turn's trace, and the call carries the span's
/// `traceparent` in `_meta`, where OpenTelemetry's MCP conventions put it.
#[tokio::test]
async fn an_mcp_call_is_a_span_and_carries_its_traceparent_in_meta() {
    let port = free_port();
    let _server = start_server_with(port, &["--extra"]).await;
    let receiver = crate::helpers::otlp::Receiver::start().await;
    let file = format!("url = \"http://127.0.0.1:{port}/mcp\"\ntimeout_ms = 5000\n");
    let dir = folder_with("mcp-app", &[("weather.toml", &file)]);
    let app = spawn_app_with(&[
        ("MCP_DIR", dir.to_str().expect("utf-8")),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url.as_str()),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
    ])
    .await;
    offered_tools(&app, "conv_mcp_trace").await;
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("m1", "weather__trace_context", "{}")],
    ));
    app.upstream.enqueue(Reply::deltas(&["Done."]));
    app.turn(&message("conv_mcp_trace", "t1", "Trace it")).await;

    let trace = receiver.trace_of("t1", 6).await;
    let tool = trace.one("execute_tool weather__trace_context");
    assert_eq!(tool["attributes"]["gen_ai.tool.type"], "mcp");
    assert_eq!(tool["attributes"]["voicebridge.tool.outcome"], "ok");
    assert_eq!(tool["parent_span_id"], trace.root["span_id"]);
    let result = last_tool_result(&app);
    let expected = format!(
        "traceparent=00-{}-{}-01",
        tool["trace_id"].as_str().expect("trace id"),
        tool["span_id"].as_str().expect("span id")
    );
    assert_eq!(result["content"], expected);
}

/// Hangs up during a call of `name` (after "One moment."), letting the call reach the
/// server first.
async fn hang_up_during_the_call(
    app: &TestApp,
    conversation: &str,
    name: &str,
    args: &str,
) -> std::time::Instant {
    let reached = tokio::time::sleep(Duration::from_millis(200));
    hang_up_during_a_call(app, conversation, "One moment. ", (name, args), reached).await
}

/// A barge-in during a slow mutating MCP call: the call is not dropped, its real result is
/// stored with the interrupted reply and the model reads it in the next turn.
#[tokio::test]
async fn a_barge_in_lets_a_mutating_mcp_call_finish_and_records_it() {
    let port = free_port();
    let _server = start_server_with(port, &["--extra"]).await;
    let app = app_with_server(port, "").await;
    offered_tools(&app, "conv_mcp_bargein_mut").await;
    let conversation = "conv_mcp_bargein_mut";
    hang_up_during_the_call(
        &app,
        conversation,
        "weather__place_order",
        r#"{"item":"a pizza"}"#,
    )
    .await;
    app.settle().await;

    let history = app.store.history(conversation).await.expect("store");
    assert_history_well_formed(&history, conversation);
    let reply = &history[1];
    assert!(reply.interrupted, "{reply:?}");
    assert_eq!(reply.content, "One moment.");
    assert_eq!(reply.tool_calls[0].function.name, "weather__place_order");
    assert_eq!(
        reply.tool_results[0].content, "Ordered a pizza, order number 42.",
        "the server's real result"
    );

    app.upstream
        .enqueue(Reply::deltas(&["Your pizza is ordered."]));
    app.turn(&message(conversation, "t2", "Did it work?")).await;
    let result = last_tool_result(&app);
    assert_eq!(result["tool_call_id"], "b1");
    assert_eq!(result["content"], "Ordered a pizza, order number 42.");
}

/// A barge-in during a slow read-only MCP call: the call is cancelled at once, not waited
/// for, and the model is not asked again.
#[tokio::test]
async fn a_barge_in_cancels_a_read_only_mcp_call_at_once() {
    let port = free_port();
    let _server = start_server(port).await;
    let app = app_with_server(port, "").await;
    offered_tools(&app, "conv_mcp_bargein_ro").await;
    let conversation = "conv_mcp_bargein_ro";
    let before = app.upstream.requests().len();
    let hung_up = hang_up_during_the_call(
        &app,
        conversation,
        "weather__slow_lookup",
        r#"{"item":"the order"}"#,
    )
    .await;
    app.settle().await;
    // The server takes 1.5 s from when the call reached it, at least 200 ms before.
    assert!(
        hung_up.elapsed() < Duration::from_millis(1000),
        "not waited for: {:?}",
        hung_up.elapsed()
    );

    let history = app.store.history(conversation).await.expect("store");
    assert_history_well_formed(&history, conversation);
    let reply = &history[1];
    assert!(reply.interrupted, "{reply:?}");
    assert_eq!(reply.content, "One moment.");
    assert_eq!(reply.tool_calls[0].function.name, "weather__slow_lookup");
    assert!(
        reply.tool_results[0].content.contains("cancelled"),
        "{reply:?}"
    );
    assert_eq!(app.upstream.requests().len(), before + 1, "no second round");
}

/// A server that adds a tool at run time and sends `notifications/tools/list_changed`
/// (on its standalone stream): the tool is listed on the same connection.
#[tokio::test]
async fn a_tool_the_server_adds_at_run_time_is_listed_without_reconnecting() {
    let port = free_port();
    let _server = start_server_with(port, &["--extra"]).await;
    let registry = McpRegistry::new(&[config(port)]);
    let shutdown = tokio_util::sync::CancellationToken::new();
    registry.start(&shutdown);
    let names = wait_for_tools(&registry, Duration::from_secs(10)).await;
    assert!(
        names.iter().any(|n| n == "weather__unlock_extra"),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n == "weather__extra_tool"),
        "{names:?}"
    );
    let session = registry
        .call("weather__session", Map::new(), Default::default(), 4000)
        .await
        .expect("answered");

    let unlocked = registry
        .call(
            "weather__unlock_extra",
            Map::new(),
            Default::default(),
            4000,
        )
        .await
        .expect("answered");
    assert_eq!(unlocked, "Unlocked.");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while registry.get("weather__extra_tool").is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the new tool was not listed within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let extra = registry.get("weather__extra_tool").expect("listed");
    assert!(!extra.mutating, "read-only");
    let mut arguments = Map::new();
    arguments.insert("word".into(), json!("thing"));
    let text = registry
        .call("weather__extra_tool", arguments, Default::default(), 4000)
        .await
        .expect("answered");
    assert_eq!(text, "Extra thing.");
    let same = registry
        .call("weather__session", Map::new(), Default::default(), 4000)
        .await
        .expect("answered");
    assert_eq!(same, session, "the same MCP session: no reconnect");
    shutdown.cancel();
}

/// Layercode delivers a turn again after a mutating MCP call was made: the server is not
/// called a second time, and the one call carried its idempotency key in `_meta`.
#[tokio::test]
async fn a_redelivered_turn_never_repeats_a_mutating_mcp_call() {
    let port = free_port();
    let _server = start_server_with(port, &["--extra"]).await;
    let app = app_with_server(port, "").await;
    let conversation = "conv_mcp_redeliver";
    offered_tools(&app, conversation).await;
    let order = ("m1", "weather__place_order", r#"{"item":"a pizza"}"#);
    app.upstream.enqueue(Reply::tool_calls(&[], &[order]));
    app.upstream.enqueue(Reply::deltas(&["Ordered."]));
    let first = app
        .turn(&message(conversation, "t1", "Order a pizza"))
        .await;
    assert_eq!(spoken(&first), ["Ordered."]);
    app.settle().await;

    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("m2", "weather__place_order", r#"{"item": "a pizza"}"#)],
    ));
    app.upstream.enqueue(Reply::deltas(&["It is ordered."]));
    let again = app
        .turn(&message(conversation, "t1", "Order a pizza"))
        .await;
    assert_well_formed(&again, "t1");
    assert_eq!(spoken(&again), ["It is ordered."]);
    assert_eq!(
        last_tool_result(&app)["content"],
        "Ordered a pizza, order number 42.",
        "answered from the earlier call"
    );

    let registry = McpRegistry::new(&[config(port)]);
    let shutdown = tokio_util::sync::CancellationToken::new();
    registry.start(&shutdown);
    wait_for_tools(&registry, Duration::from_secs(10)).await;
    let keys = registry
        .call(
            "weather__idempotency_keys",
            Map::new(),
            Default::default(),
            4000,
        )
        .await
        .expect("answered");
    assert_eq!(
        keys,
        format!("{conversation}:t1:1"),
        "called once, with its key"
    );
    shutdown.cancel();
}

/// `voicebridge check` (the real binary) tries each MCP server once: a live one with its
/// tools and whether each is read-only, a dead one as unreachable (which fails the check:
/// exit 1), and never a header secret.
#[tokio::test]
async fn check_lists_each_mcp_server_with_its_state_and_tools() {
    let port = free_port();
    let _server = start_server(port).await;
    let dead = free_port();
    let dir = temp_folder("mcp-check");
    std::fs::write(
        dir.join("weather.toml"),
        format!(
            "url = \"http://127.0.0.1:{port}/mcp\"\n\
             [headers]\nAuthorization = \"Bearer ${{WEATHER_MCP_TOKEN}}\"\n"
        ),
    )
    .expect("written");
    std::fs::write(
        dir.join("calendar.toml"),
        format!("url = \"http://127.0.0.1:{dead}/mcp\"\ntimeout_ms = 2000\n"),
    )
    .expect("written");
    // A server that refuses (HTTP 403) at a URL with a key in its query.
    let refusing = FakeUpstream::start().await;
    refusing.set_default(Reply::plain(403, "{}", Duration::ZERO));
    let refusing_port = refusing
        .base_url
        .split(':')
        .nth(2)
        .and_then(|p| p.split('/').next());
    let refusing_port = refusing_port.expect("a port");
    std::fs::write(
        dir.join("crm.toml"),
        format!("url = \"http://127.0.0.1:{refusing_port}/mcp?api_key=crm-query-secret-77\"\n"),
    )
    .expect("written");
    let upstream = FakeUpstream::start().await;
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", &upstream.base_url),
        ("MCP_DIR", dir.to_str().expect("utf-8")),
        ("WEATHER_MCP_TOKEN", "weather-token-secret-42"),
    ]);
    let output = run(&["check"], env, "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("some checks FAILED"), "{stdout}");
    assert!(stdout.contains("mcp servers        3 from"), "{stdout}");
    let crm =
        format!("    crm              http://127.0.0.1:{refusing_port}/mcp: FAILED: unreachable: ");
    assert!(stdout.contains(&crm), "{stdout}");
    assert!(stdout.contains("403"), "the refusal is named: {stdout}");
    assert!(!stdout.contains("crm-query-secret-77"), "{stdout}");
    let weather =
        format!("    weather          http://127.0.0.1:{port}/mcp: connected with 3 tools");
    assert!(stdout.contains(&weather), "{stdout}");
    assert!(
        stdout.contains("      weather__book_table (mutating)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("      weather__get_weather (read-only)"),
        "{stdout}"
    );
    let calendar = format!(
        "    calendar         http://127.0.0.1:{dead}/mcp: FAILED: unreachable: Connection refused"
    );
    assert!(stdout.contains(&calendar), "{stdout}");
    assert!(!stdout.contains("rmcp::"), "no type names: {stdout}");
    assert!(!stdout.contains("weather-token-secret-42"), "{stdout}");
}

/// A server slower than its file's `timeout_ms`: the model reads that the tool timed out
/// and the user hears the model's next words, not a failure.
#[tokio::test]
async fn a_call_slower_than_the_servers_timeout_is_told_to_the_model() {
    let port = free_port();
    let _server = start_server(port).await;
    let file = format!("url = \"http://127.0.0.1:{port}/mcp\"\ntimeout_ms = 400\n");
    let dir = folder_with("mcp-timeout", &[("weather.toml", &file)]);
    let app = spawn_app_with(&[("MCP_DIR", dir.to_str().expect("utf-8"))]).await;
    let conversation = "conv_mcp_timeout";
    offered_tools(&app, conversation).await;
    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("s1", "weather__slow_lookup", r#"{"item":"the parcel"}"#)],
    ));
    app.upstream
        .enqueue(Reply::deltas(&["That is taking too long, sorry."]));
    let started = std::time::Instant::now();
    let events = app.turn(&message(conversation, "t1", "Where is it?")).await;
    assert!(
        started.elapsed() < Duration::from_millis(1_400),
        "not waited for the 1.5 s lookup"
    );
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["That is taking too long, sorry."]);
    let result = last_tool_result(&app);
    let text = result["content"].as_str().expect("text");
    assert!(
        text.contains("the tool failed: no answer within 400 ms"),
        "{text}"
    );
    let metrics = app.metrics_text().await;
    let line = r#"voicebridge_tool_calls_total{agent="default",outcome="timeout",tool="weather__slow_lookup"} 1"#;
    assert!(metrics.contains(line), "{line} in\n{metrics}");
}

/// The names of the tools offered in the model's most recent request.
fn tool_names(request: &crate::helpers::fake_upstream::Recorded) -> Vec<String> {
    request.body["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| t["function"]["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Agent files may list an MCP server's tools, one by one or as `weather__*`: each agent
/// is offered exactly what its list names, and calls it through the app.
#[tokio::test]
async fn an_agent_file_listing_mcp_tools_reaches_them() {
    let port = free_port();
    let _server = start_server(port).await;
    let root = std::env::temp_dir().join(format!("vb-mcp-agents-{port}"));
    let (mcp, agents) = (root.join("mcp"), root.join("agents"));
    for dir in [&mcp, &agents] {
        std::fs::create_dir_all(dir).expect("a temp dir");
    }
    std::fs::write(
        mcp.join("weather.toml"),
        format!("url = \"http://127.0.0.1:{port}/mcp\"\ntimeout_ms = 5000\n"),
    )
    .expect("written");
    // Both agents sign with LAYERCODE_WEBHOOK_SECRET; POST /agent is support.
    std::fs::write(
        agents.join("sales.toml"),
        "tools = [\"weather__get_weather\"]\n",
    )
    .expect("written");
    std::fs::write(agents.join("support.toml"), "tools = [\"weather__*\"]\n").expect("written");
    let app = spawn_app_with(&[
        ("MCP_DIR", mcp.to_str().expect("utf-8")),
        ("AGENTS_DIR", agents.to_str().expect("utf-8")),
        ("DEFAULT_AGENT", "support"),
    ])
    .await;
    assert_eq!(
        offered_tools(&app, "conv_support").await,
        [
            "weather__book_table",
            "weather__get_weather",
            "weather__slow_lookup"
        ],
        "weather__* offers every tool of the server"
    );

    app.upstream.enqueue(Reply::tool_calls(
        &[],
        &[("w1", "weather__get_weather", r#"{"city":"Paris"}"#)],
    ));
    app.upstream
        .enqueue(Reply::deltas(&["It is sunny in Paris."]));
    let body = message("conv_sales", "t1", "Weather?");
    let response = app.post_signed("/agent/sales", SECRET, &body).await;
    assert_eq!(response.status(), 200);
    let events = SseReader::new(response).collect().await;
    assert_eq!(spoken(&events), ["It is sunny in Paris."]);
    let requests = app.upstream.requests();
    let first = &requests[requests.len() - 2];
    assert_eq!(
        tool_names(first),
        ["weather__get_weather"],
        "only what sales lists"
    );
    assert_eq!(
        last_tool_result(&app)["content"],
        "Sunny and 21 degrees in Paris."
    );
}

/// The bearer token, header key and URL query key the leaky server's file sends.
const MCP_TOKEN: &str = "mcp-bearer-token-4242";
const MCP_HEADER_KEY: &str = "hdr-key-98765432";
const MCP_QUERY_KEY: &str = "qk-secret-13579";

/// No beginning of `secret` of 4 characters or more is in `text`.
fn assert_no_part_of(secret: &str, text: &str) {
    for n in 4..=secret.len() {
        assert!(
            !text.contains(&secret[..n]),
            "{:?} is in {text}",
            &secret[..n]
        );
    }
}

/// A server that echoes the credentials its file sends (header values, a `${VAR}` in the
/// URL's query) in structured content, or quotes them in an error, padded or not so that
/// the token straddles where the text is cut: the model reads none of them, whole or in
/// part.
#[tokio::test]
async fn credentials_an_mcp_server_echoes_never_reach_the_model() {
    let port = free_port();
    let _server = start_server_with(port, &["--extra"]).await;
    let file = format!(
        "url = \"http://127.0.0.1:{port}/mcp?api_key=${{MCP_QUERY_KEY}}\"\ntimeout_ms = 5000\n\
         [headers]\nAuthorization = \"Bearer ${{MCP_TOKEN}}\"\nX-Api-Key = \"${{MCP_HEADER_KEY}}\"\n"
    );
    let dir = folder_with("mcp-leaky", &[("weather.toml", &file)]);
    let app = spawn_app_with(&[
        ("MCP_DIR", dir.to_str().expect("utf-8")),
        ("MCP_TOKEN", MCP_TOKEN),
        ("MCP_HEADER_KEY", MCP_HEADER_KEY),
        ("MCP_QUERY_KEY", MCP_QUERY_KEY),
        ("TOOL_RESULT_MAX_CHARS", "300"),
    ])
    .await;
    let offered = offered_tools(&app, "conv_mcp_leak").await;
    assert!(offered.iter().any(|n| n == "weather__echo_request"));

    // `{"echo":"` is 9 characters and `Bearer ` 7: 10 characters of the token before the
    // cut at 300. The error's 200 characters: `Error executing tool leaky_failure: ` is 36,
    // `refused Bearer ` 15: 10 characters of the token before the cut.
    let calls = [
        ("weather__echo_request", "{}"),
        ("weather__echo_request", r#"{"pad":274}"#),
        ("weather__leaky_failure", "{}"),
        ("weather__leaky_failure", r#"{"pad":139}"#),
    ];
    let mut results = Vec::new();
    for (n, (name, args)) in calls.into_iter().enumerate() {
        let turn = format!("t{n}");
        app.upstream
            .enqueue(Reply::tool_calls(&[], &[("e1", name, args)]));
        app.upstream.enqueue(Reply::deltas(&["Done."]));
        let events = app.turn(&message("conv_mcp_leak", &turn, "Go")).await;
        assert_well_formed(&events, &turn);
        let result = last_tool_result(&app);
        results.push(result["content"].as_str().expect("text").to_string());
    }
    for result in &results {
        for secret in [MCP_TOKEN, MCP_HEADER_KEY, MCP_QUERY_KEY] {
            assert_no_part_of(secret, result);
        }
    }
    assert!(results[0].contains("[redacted]"), "{}", results[0]);
    assert!(
        results[0].contains("api_key="),
        "the echo came back: {}",
        results[0]
    );
    assert!(results[2].contains("the tool failed: "), "{}", results[2]);
    assert!(results[2].contains("refused [redacted]"), "{}", results[2]);
    assert!(results[1].contains("xxx[redacted]"), "{}", results[1]);
    assert!(results[3].contains("yrefused [redacted]"), "{}", results[3]);
}

/// Through the OpenAI door an MCP tool runs inside the reply too: the platform gets the
/// words around it, never the call.
#[tokio::test]
async fn an_mcp_tool_runs_inside_a_reply_of_the_openai_door() {
    let port = free_port();
    let _server = start_server(port).await;
    let file = format!("url = \"http://127.0.0.1:{port}/mcp\"\ntimeout_ms = 5000\n");
    let dir = folder_with("mcp-door", &[("weather.toml", &file)]);
    let key = "door-key-for-mcp-0123456789";
    let app = spawn_app_with(&[
        ("MCP_DIR", dir.to_str().expect("utf-8")),
        ("OPENAI_DOOR_KEYS", key),
    ])
    .await;
    offered_tools(&app, "conv_mcp_door").await;
    app.upstream.enqueue(Reply::tool_calls(
        &["Let me check. "],
        &[("w1", "weather__get_weather", r#"{"city":"Paris"}"#)],
    ));
    app.upstream
        .enqueue(Reply::deltas(&["It is sunny in Paris."]));
    let response = app
        .http
        .post(format!("{}/openai/v1/chat/completions", app.address))
        .bearer_auth(key)
        .json(&json!({"stream": true, "messages": [{"role": "user", "content": "Weather?"}]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("body");
    let chunks = crate::helpers::completion_stream::check_completion_stream(&bytes);
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Let me check. It is sunny in Paris.");
    assert!(chunks
        .iter()
        .all(|c| c["choices"][0]["delta"]["tool_calls"].is_null()));
    let follow_up = app.upstream.requests().pop().expect("the follow-up");
    let result = follow_up.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["role"] == "tool")
        .cloned()
        .expect("a tool result");
    assert_eq!(result["content"], "Sunny and 21 degrees in Paris.");
}
