//! Requests that must be refused or merely acknowledged: signatures, malformed and
//! oversized bodies, non-conversational events, health.

use serde_json::{json, Value};
use voicebridge::webhook::signature;

use crate::helpers::*;

async fn assert_refused(response: reqwest::Response, status: u16, needle: &str) {
    assert_eq!(response.status(), status);
    assert!(response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json")));
    let body: Value = response.json().await.expect("JSON error body");
    let error = body["error"].as_str().expect("error is a string");
    assert!(
        error.contains(needle),
        "{error:?} should mention {needle:?}"
    );
}

fn body() -> Vec<u8> {
    serde_json::to_vec(&message("conv_sig", "turn_1", "Hello")).expect("json")
}

#[tokio::test]
async fn every_signature_failure_is_rejected_with_401_before_the_model_is_called() {
    let app = spawn_app().await;
    let body = body();
    let good = signature::sign(SECRET.as_bytes(), now(), &body);
    let tampered = {
        let mut b = body.clone();
        let last = b.len() - 2;
        b[last] = b'X';
        b
    };
    let cases: Vec<(&str, Vec<u8>, Option<String>, &str)> = vec![
        ("missing", body.clone(), None, "missing"),
        ("empty", body.clone(), Some(String::new()), "malformed"),
        (
            "garbage",
            body.clone(),
            Some("sha256=abc".into()),
            "malformed",
        ),
        (
            "no v1",
            body.clone(),
            Some(format!("t={}", now())),
            "malformed",
        ),
        (
            "short hex",
            body.clone(),
            Some(good[..good.len() - 2].to_string()),
            "malformed",
        ),
        (
            "stale past",
            body.clone(),
            Some(signature::sign(SECRET.as_bytes(), now() - 310, &body)),
            "outside",
        ),
        (
            "stale future",
            body.clone(),
            Some(signature::sign(SECRET.as_bytes(), now() + 310, &body)),
            "outside",
        ),
        (
            "tampered body",
            tampered,
            Some(good.clone()),
            "does not match",
        ),
        (
            "wrong secret",
            body.clone(),
            Some(signature::sign(b"whsec_wrong", now(), &body)),
            "does not match",
        ),
    ];
    for (name, bytes, header, needle) in cases {
        let response = app.post_raw("/agent", bytes, header).await;
        assert_eq!(response.status(), 401, "{name}");
        assert_refused(response, 401, needle).await;
    }
    assert!(
        app.upstream.requests().is_empty(),
        "no rejected webhook reached the model"
    );
}

#[tokio::test]
async fn uppercase_hex_signature_is_accepted() {
    let app = spawn_app().await;
    let body = body();
    let header = signature::sign(SECRET.as_bytes(), now(), &body);
    let (t, v1) = header.split_once(",v1=").expect("t and v1");
    let upper = format!("{t},v1={}", v1.to_uppercase());
    let response = app.post_raw("/agent", body, Some(upper)).await;
    assert_eq!(response.status(), 200);
    let events = SseReader::new(response).collect().await;
    assert_well_formed(&events, "turn_1");
}

#[tokio::test]
async fn signature_is_checked_over_the_exact_bytes_received() {
    // Whitespace and escapes that a re-serialization would change.
    let app = spawn_app().await;
    let raw = "{ \"type\" : \"message\", \"conversation_id\":\"c\", \"turn_id\":\"t\",\n \"text\":\"caf\\u00e9 \u{1F600}\" }";
    let header = signature::sign(SECRET.as_bytes(), now(), raw.as_bytes());
    let response = app
        .post_raw("/agent", raw.as_bytes().to_vec(), Some(header))
        .await;
    assert_eq!(response.status(), 200);
    let events = SseReader::new(response).collect().await;
    assert_well_formed(&events, "t");
    let sent = app.upstream.requests()[0].messages();
    assert_eq!(sent.last().expect("user message").1, "café \u{1F600}");
}

#[tokio::test]
async fn malformed_bodies_get_400_saying_what_is_wrong() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not json", b"hello".to_vec(), "not valid JSON"),
        (
            "truncated json",
            b"{\"type\":\"mess".to_vec(),
            "not valid JSON",
        ),
        ("array", b"[]".to_vec(), "JSON object"),
        ("no type", br#"{"turn_id":"t"}"#.to_vec(), "`type`"),
        (
            "type not a string",
            br#"{"type":["message"]}"#.to_vec(),
            "`type` must be a string",
        ),
        (
            "message without text",
            br#"{"type":"message","conversation_id":"c","turn_id":"t"}"#.to_vec(),
            "`text`",
        ),
        (
            "message without turn",
            br#"{"type":"message","conversation_id":"c","text":"hi"}"#.to_vec(),
            "`turn_id`",
        ),
        (
            "message without any id",
            br#"{"type":"message","turn_id":"t","text":"hi"}"#.to_vec(),
            "`conversation_id` or `session_id`",
        ),
    ];
    for (name, bytes, needle) in cases {
        let header = signature::sign(SECRET.as_bytes(), now(), &bytes);
        let response = app.post_raw("/agent", bytes, Some(header)).await;
        assert_eq!(response.status(), 400, "{name}");
        assert_refused(response, 400, needle).await;
    }
    assert!(app.upstream.requests().is_empty());
}

#[tokio::test]
async fn oversized_bodies_get_413_with_or_without_a_content_length() {
    let app = spawn_app().await;
    let big = json!({"type": "message", "conversation_id": "c", "turn_id": "t", "text": "a".repeat(1_100_000)});
    let bytes = serde_json::to_vec(&big).expect("json");
    let header = signature::sign(SECRET.as_bytes(), now(), &bytes);
    let response = app
        .post_raw("/agent", bytes.clone(), Some(header.clone()))
        .await;
    assert_refused(response, 413, "larger than 1048576 bytes").await;

    // Chunked upload: no Content-Length, the limit applies while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        bytes.chunks(8192).map(|c| Ok(c.to_vec())).collect();
    let response = app
        .http
        .post(format!("{}/agent", app.address))
        .header("layercode-signature", header)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("sent");
    assert_refused(response, 413, "larger than").await;

    // Just under the limit is fine.
    let filler = 1024 * 1024 - 100;
    let fits = json!({"type": "session.update", "session_id": "s", "pad": "b".repeat(filler)});
    let bytes = serde_json::to_vec(&fits).expect("json");
    assert!(bytes.len() <= 1024 * 1024);
    let header = signature::sign(SECRET.as_bytes(), now(), &bytes);
    assert_eq!(
        app.post_raw("/agent", bytes, Some(header)).await.status(),
        200
    );
}

#[tokio::test]
async fn non_conversational_events_get_a_plain_json_200() {
    let app = spawn_app().await;
    let events = [
        json!({"type": "session.end", "session_id": "s", "conversation_id": "c", "transcript": [], "duration": 12}),
        json!({"type": "session.update", "session_id": "s", "recording_status": "completed", "recording_url": "https://x"}),
        json!({"type": "data", "session_id": "s", "turn_id": "t", "data": {"clicked": true}}),
        json!({"type": "agent.something_new", "session_id": "s"}),
    ];
    for event in events {
        let response = app.post_webhook(&event).await;
        assert_eq!(response.status(), 200, "{event}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        let body: Value = response.json().await.expect("json");
        if event["type"] == "data" {
            // Layercode's shape for an answer to the page's data.
            assert_eq!(
                body,
                json!({"type": "response.data", "content": {"received": true}})
            );
        } else {
            assert_eq!(body["ok"], true);
        }
    }
    assert!(app.upstream.requests().is_empty());
}

#[tokio::test]
async fn unsigned_webhooks_pass_only_when_explicitly_allowed() {
    let app = spawn_app_with(&[
        ("LAYERCODE_WEBHOOK_SECRET", ""),
        ("ALLOW_UNSIGNED_WEBHOOKS", "true"),
    ])
    .await;
    let response = app.post_raw("/agent", body(), None).await;
    assert_eq!(response.status(), 200);
    assert_well_formed(&SseReader::new(response).collect().await, "turn_1");
}

#[tokio::test]
async fn health_answers_without_calling_the_model() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(format!("{}/health", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert!(app.upstream.requests().is_empty());
}

#[tokio::test]
async fn unknown_paths_get_a_json_404() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(format!("{}/nope", app.address))
        .send()
        .await
        .expect("sent");
    assert_refused(response, 404, "not found").await;
}

#[tokio::test]
async fn the_pages_icon_is_served() {
    let app = spawn_app().await;
    for path in ["/favicon.svg", "/favicon.ico"] {
        let response = app
            .http
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "image/svg+xml",
            "{path}"
        );
        assert!(response.text().await.expect("text").starts_with("<svg"));
    }
}
