//! What is sent: the URL, query, body and headers; timeouts, connection failures and the
//! one retry of a read-only tool.

use super::*;

#[tokio::test]
async fn get_fills_the_path_and_the_query_and_sends_the_headers() {
    let server =
        Server::start(|_| answer(200, "application/json", r#"{"status":"shipped"}"#)).await;
    let t = get_order(&server.url("/orders/{order_id}?v=2"));
    let args = t
        .arguments(
            r#"{"order_id": "A 17/x", "verbose": true, "note": "a&b c"}"#,
            &ctx(),
            &Now::utc(),
        )
        .expect("valid");
    let result = t
        .call(
            &client(),
            &args,
            crate::tools::CallMeta {
                idempotency_key: Some("key-123"),
                traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            },
            1000,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect("ok");
    assert_eq!(result, r#"{"status":"shipped"}"#);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    let first_line = request.lines().next().expect("request line");
    assert_eq!(
        first_line,
        "GET /orders/A%2017%2Fx?v=2&note=a%26b+c&verbose=true HTTP/1.1"
    );
    let lower = request.to_ascii_lowercase();
    assert!(lower.contains(&format!(
        "authorization: bearer {}",
        KEY.to_ascii_lowercase()
    )));
    assert!(lower.contains("idempotency-key: key-123"), "{request}");
    assert!(
        lower.contains("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        "{request}"
    );
    assert!(
        lower.contains("accept: application/json, text/plain;q=0.9, */*;q=0.5"),
        "{request}"
    );
    assert!(!lower.contains("content-type"), "{request}");
}

#[tokio::test]
async fn an_argument_never_overrides_a_query_key_the_url_fixes() {
    let server = Server::start(|_| answer(200, "application/json", "{}")).await;
    let t = get_order(&server.url("/orders/{order_id}?note=fixed&note=twice"));
    let args = t
        .arguments(
            r#"{"order_id": "A17", "note": "mine", "verbose": false}"#,
            &ctx(),
            &Now::utc(),
        )
        .expect("valid");
    t.call(
        &client(),
        &args,
        Default::default(),
        1000,
        &ctx(),
        &Now::utc(),
    )
    .await
    .expect("ok");
    let first_line = server.requests()[0].lines().next().map(str::to_string);
    assert_eq!(
        first_line.as_deref(),
        Some("GET /orders/A17?note=fixed&note=twice&verbose=false HTTP/1.1")
    );
}

#[tokio::test]
async fn post_sends_all_arguments_as_json() {
    let server = Server::start(|_| answer(201, "text/plain", "created")).await;
    let t = tool(&format!(
        r#"
description = "d"
method = "POST"
url = "{}"
[static]
source = "voice"
[parameters]
type = "object"
properties = {{ id = {{ type = "string" }}, qty = {{ type = "integer" }} }}
"#,
        server.url("/items/{id}")
    ));
    let args = t
        .arguments(r#"{"id": "x1", "qty": 2}"#, &ctx(), &Now::utc())
        .expect("valid");
    let result = t
        .call(
            &client(),
            &args,
            Default::default(),
            1000,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect("ok");
    assert_eq!(result, "created");
    let request = &server.requests()[0];
    assert!(
        request.starts_with("POST /items/x1 HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(request
        .to_ascii_lowercase()
        .contains("content-type: application/json"));
    assert!(!request.to_ascii_lowercase().contains("idempotency-key"));
    let body = request.split("\r\n\r\n").nth(1).expect("body");
    let body: Value = serde_json::from_str(body).expect("json body");
    assert_eq!(
        body,
        serde_json::json!({"id": "x1", "qty": 2, "source": "voice"})
    );
}

#[tokio::test]
async fn a_slow_endpoint_times_out() {
    let server = Server::start(|_| Reply::Answer {
        delay: Duration::from_secs(3),
        status: 200,
        content_type: "text/plain",
        body: b"late".to_vec(),
    })
    .await;
    let t = tool(&format!(
        "description = \"d\"\nurl = \"{}\"\ntimeout_ms = 200\n",
        server.url("/slow")
    ));
    let started = std::time::Instant::now();
    let e = t
        .call(
            &client(),
            &Map::new(),
            Default::default(),
            1000,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect_err("timeout");
    assert_eq!(
        e,
        ToolFailure {
            kind: ToolFailureKind::Timeout,
            message: "timed out after 200 ms".into()
        }
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_closed_port_is_a_connection_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let t = tool(&format!("description = \"d\"\nurl = \"http://{addr}/x\"\n"));
    let e = t
        .call(
            &client(),
            &Map::new(),
            Default::default(),
            1000,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect_err("refused");
    assert_eq!(
        e,
        ToolFailure {
            kind: ToolFailureKind::Connection,
            message: "connection failed".into()
        }
    );
}

#[tokio::test]
async fn a_read_only_tool_is_retried_once_after_a_dropped_connection() {
    let server = Server::start(|i| {
        if i == 0 {
            Reply::Close
        } else {
            answer(200, "application/json", "{\"ok\":true}")
        }
    })
    .await;
    let t = get_order(&server.url("/orders/{order_id}"));
    let args = t
        .arguments(r#"{"order_id": "A17"}"#, &ctx(), &Now::utc())
        .expect("valid");
    let result = t
        .call(
            &client(),
            &args,
            Default::default(),
            1000,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect("retried");
    assert_eq!(result, "{\"ok\":true}");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_mutating_tool_is_never_retried() {
    let server = Server::start(|i| {
        if i == 0 {
            Reply::Close
        } else {
            answer(200, "application/json", "{\"ok\":true}")
        }
    })
    .await;
    let t = tool(&format!(
        "description = \"d\"\nmethod = \"POST\"\nurl = \"{}\"\n",
        server.url("/pay")
    ));
    let e = t
        .call(
            &client(),
            &Map::new(),
            crate::tools::CallMeta {
                idempotency_key: Some("k1"),
                traceparent: None,
            },
            1000,
            &ctx(),
            &Now::utc(),
        )
        .await
        .expect_err("not retried");
    assert_eq!(e.kind, ToolFailureKind::Connection);
    assert_eq!(e.message, "connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.requests().len(), 1);
}
