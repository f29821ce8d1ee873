//! The webhook edge under attack: bodies that never arrive or arrive a byte at a time,
//! more bodies at once than allowed, and ids too long to key anything by. Raw TCP, so a
//! test holds a body open the way a slow or hostile client does.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use voicebridge::webhook::signature;

use crate::helpers::*;

/// Longest a test waits for an answer that should come while its body is still open.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// A connection that has sent a webhook's headers (declaring `length` bytes of body) and
/// the first byte of its body, and holds the rest.
async fn held_body(app: &TestApp, signature: Option<&str>, length: usize) -> TcpStream {
    let host = app.address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await.expect("connects");
    let mut head = format!(
        "POST /agent HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n"
    );
    if let Some(signature) = signature {
        head.push_str(&format!("layercode-signature: {signature}\r\n"));
    }
    head.push_str("\r\n{");
    stream.write_all(head.as_bytes()).await.expect("head sent");
    stream
}

/// The status code and headers of the response on `stream`, if one arrives in time.
async fn response_head(stream: &mut (impl AsyncReadExt + Unpin)) -> Option<(u16, String)> {
    let read = async {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte).await.ok()? == 0 {
                return None;
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).to_string();
        let status = head.split_whitespace().nth(1)?.parse().ok()?;
        Some((status, head.to_ascii_lowercase()))
    };
    tokio::time::timeout(ANSWER_WITHIN, read).await.ok()?
}

/// A well-formed, fresh signature: one the server can only judge once it has the body.
fn plausible_signature() -> String {
    signature::sign(SECRET.as_bytes(), now(), b"not the body")
}

#[tokio::test]
async fn a_missing_malformed_or_stale_signature_is_refused_before_the_body_is_read() {
    // A deadline far away: a refusal can only come from the header alone.
    let app = spawn_app_with(&[("WEBHOOK_BODY_TIMEOUT_MS", "600000")]).await;
    let stale = signature::sign(SECRET.as_bytes(), now() - 600, b"{}");
    for header in [None, Some("sha256=abc"), Some(stale.as_str())] {
        let mut held = held_body(&app, header, 100_000).await;
        let answer = response_head(&mut held).await;
        assert_eq!(
            answer.map(|(status, _)| status),
            Some(401),
            "{header:?}: refused while the client still holds the body open"
        );
    }
    assert!(app.upstream.requests().is_empty());
}

#[tokio::test]
async fn a_body_trickled_slower_than_the_deadline_gets_408() {
    let app = spawn_app_with(&[("WEBHOOK_BODY_TIMEOUT_MS", "400")]).await;
    let held = held_body(&app, Some(&plausible_signature()), 1000).await;
    let (mut reader, mut writer) = held.into_split();
    // One byte every 100 ms: bytes keep coming, but the whole body would take 100 s.
    let trickle = tokio::spawn(async move {
        for _ in 0..1000 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writer.write_all(b" ").await.is_err() {
                break;
            }
        }
    });
    let answer = response_head(&mut reader).await;
    trickle.abort();
    assert_eq!(answer.map(|(status, _)| status), Some(408));
    assert!(app.upstream.requests().is_empty());
}

#[tokio::test]
async fn past_the_inflight_limit_a_webhook_gets_503_with_retry_after() {
    let app = spawn_app_with(&[
        ("WEBHOOK_MAX_INFLIGHT_BODIES", "2"),
        ("WEBHOOK_BODY_TIMEOUT_MS", "600000"),
    ])
    .await;
    let signature = plausible_signature();
    let held = [
        held_body(&app, Some(&signature), 1000).await,
        held_body(&app, Some(&signature), 1000).await,
    ];
    let update = json!({"type": "session.update", "session_id": "s_busy"});
    // The held bodies take their room as soon as the server has read their headers.
    let refused = until_status(&app, &update, 503).await;
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: Value = refused.json().await.expect("JSON error");
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.contains("too many webhooks")));

    // Closing the held connections gives their room back.
    drop(held);
    until_status(&app, &update, 200).await;
}

/// Sends `event` until it is answered `status` (at most 500 times, 20 ms apart: the held
/// bodies take their room once the server has read their headers, which under a whole
/// test run's load took more than the 2 s this waited before).
async fn until_status(app: &TestApp, event: &Value, status: u16) -> reqwest::Response {
    for _ in 0..500 {
        let response = app.post_webhook(event).await;
        if response.status() == status {
            return response;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never answered {status}");
}

#[tokio::test]
async fn ids_longer_than_256_bytes_are_refused_with_400() {
    let app = spawn_app().await;
    let long = "x".repeat(257);
    for field in ["conversation_id", "session_id", "turn_id"] {
        let mut event = json!({"type": "session.update", "session_id": "s", "turn_id": "t"});
        event[field] = json!(long);
        let response = app.post_webhook(&event).await;
        assert_eq!(response.status(), 400, "{field}");
        let body: Value = response.json().await.expect("JSON error");
        let error = body["error"].as_str().expect("error");
        assert!(error.contains(field) && error.contains("256"), "{error}");
    }
    let at_limit = json!({"type": "session.update", "conversation_id": "c".repeat(256)});
    assert_eq!(app.post_webhook(&at_limit).await.status(), 200);

    let bytes = serde_json::to_vec(&at_limit).expect("json");
    let signed = signature::sign(SECRET.as_bytes(), now(), &bytes);
    let path = format!("/agent/{}", "a".repeat(257));
    let response = app.post_raw(&path, bytes, Some(signed)).await;
    assert_eq!(response.status(), 400, "an agent name past the limit");
}
