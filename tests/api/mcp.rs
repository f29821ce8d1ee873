//! MCP servers: the official Python SDK's server (installed by `scripts/test` into .venv)
//! reached through the registry the agents share.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Map};
use voicebridge::mcp::{McpRegistry, McpServerConfig};

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

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

async fn start_server(port: u16) -> PyServer {
    let child = Command::new(python())
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/server.py"))
        .arg(port.to_string())
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
    let dir = std::env::temp_dir().join(format!("vb-mcp-{port}"));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    std::fs::write(
        dir.join("weather.toml"),
        format!("url = \"http://127.0.0.1:{port}/mcp\"\ntimeout_ms = 5000\n"),
    )
    .expect("written");
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
        .call("weather__get_weather", arguments, 4000)
        .await
        .expect("answered");
    assert!(text.contains("Sunny and 21 degrees in Paris"), "{text}");
    let failed = registry.call("weather__book_table", Map::new(), 4000).await;
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
    use crate::fake_upstream::Reply;
    use crate::helpers::*;

    let port = free_port();
    let _server = start_server(port).await;
    let dir = std::env::temp_dir().join(format!("vb-mcp-app-{port}"));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    std::fs::write(
        dir.join("weather.toml"),
        format!(
            "url = \"http://127.0.0.1:{port}/mcp\"\ntimeout_ms = 5000\n\
             say_while_waiting = \"Checking that now.\"\n"
        ),
    )
    .expect("written");
    let app = spawn_app_with(&[
        ("MCP_DIR", dir.to_str().expect("utf-8")),
        ("TOOL_FILLER_AFTER_MS", "300"),
    ])
    .await;
    // The server's tools appear once it has been listed (in the background).
    let mut offered = Vec::new();
    for attempt in 0..50 {
        app.upstream.enqueue(Reply::deltas(&["Hello."]));
        app.turn(&message("conv_mcp_wait", &format!("w{attempt}"), "Hi"))
            .await;
        let request = app.upstream.requests().pop().expect("a request");
        offered = request.body["tools"]
            .as_array()
            .map(|tools| {
                tools
                    .iter()
                    .filter_map(|t| t["function"]["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if !offered.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
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
