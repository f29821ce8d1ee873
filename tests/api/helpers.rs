//! Test harness: the real application on port 0 against a fake upstream, a webhook signer
//! that works exactly like Layercode's, and an incremental SSE reader.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde_json::{json, Value};
use voicebridge::config::Settings;
use voicebridge::session::{ChatMessage, Role};
use voicebridge::startup::Application;
use voicebridge::webhook::signature;

use crate::fake_upstream::FakeUpstream;

pub const SECRET: &str = "whsec_integration_test";
pub const WELCOME: &str = "Hi! I'm your test agent.";
pub const APOLOGY: &str = "Sorry, something went wrong on my side.";

pub struct TestApp {
    pub address: String,
    pub store: std::sync::Arc<dyn voicebridge::session::SessionStore>,
    pub turns: voicebridge::routes::state::TurnTasks,
    pub upstream: FakeUpstream,
    pub http: reqwest::Client,
}

/// Starts the application with the test defaults, overridden by `overrides`
/// (an empty value unsets a variable).
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    // Quiet by default; `TEST_LOG=debug cargo test` shows the server's logs.
    let filter = std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into());
    voicebridge::telemetry::init(&filter, voicebridge::config::LogFormat::Pretty);
    let upstream = FakeUpstream::start().await;
    let prompt = concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.md");
    let mut vars: Vec<(String, String)> = [
        ("HOST", "127.0.0.1"),
        ("PORT", "0"),
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", upstream.base_url.as_str()),
        ("LLM_API_KEY", "sk-test-key"),
        ("LLM_MODEL", "test-model"),
        ("SYSTEM_PROMPT_FILE", prompt),
        ("WELCOME_MESSAGE", WELCOME),
        ("APOLOGY_MESSAGE", APOLOGY),
        // Tests that keep calls on record say so; the others write no database.
        ("CALL_STORE_URL", "off"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (key, value) in overrides {
        vars.retain(|(k, _)| k != key);
        vars.push((key.to_string(), value.to_string()));
    }
    let settings = Settings::from_lookup(move |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
    .expect("test settings are valid");
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let store = app.store();
    let turns = app.turns();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        store,
        turns,
        upstream,
        http: reqwest::Client::new(),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

pub fn message(conversation: &str, turn_id: &str, text: &str) -> Value {
    json!({
        "type": "message",
        "session_id": format!("sess_{conversation}"),
        "conversation_id": conversation,
        "turn_id": turn_id,
        "text": text,
    })
}

pub fn session_start(conversation: &str, session: &str, turn_id: &str) -> Value {
    json!({
        "type": "session.start",
        "session_id": session,
        "conversation_id": conversation,
        "turn_id": turn_id,
    })
}

impl TestApp {
    /// POSTs raw bytes to `path` with an optional `layercode-signature` header.
    pub async fn post_raw(
        &self,
        path: &str,
        body: Vec<u8>,
        signature: Option<String>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}{}", self.address, path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            request = request.header("layercode-signature", signature);
        }
        request.send().await.expect("request sent")
    }

    /// POSTs `body` to `/agent`, signed now with the test secret, as Layercode does.
    pub async fn post_webhook(&self, body: &Value) -> reqwest::Response {
        let bytes = serde_json::to_vec(body).expect("serializable");
        let signature = signature::sign(SECRET.as_bytes(), now(), &bytes);
        self.post_raw("/agent", bytes, Some(signature)).await
    }

    /// The `/metrics` text.
    pub async fn metrics_text(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    /// Waits until no turn task is running: a turn's stream ends before its history is
    /// stored, so a test that reads the store directly waits for this first.
    pub async fn settle(&self) {
        tokio::time::timeout(Duration::from_secs(10), self.turns.idle())
            .await
            .expect("turns still running after 10 s");
    }

    /// POSTs `body` to `path`, signed with `secret`.
    pub async fn post_signed(&self, path: &str, secret: &str, body: &Value) -> reqwest::Response {
        let bytes = serde_json::to_vec(body).expect("json");
        let signed = signature::sign(secret.as_bytes(), now(), &bytes);
        self.post_raw(path, bytes, Some(signed)).await
    }

    /// Sends a webhook and reads its whole SSE reply.
    pub async fn turn(&self, body: &Value) -> Vec<Value> {
        let response = self.post_webhook(body).await;
        assert_eq!(response.status(), 200, "webhook accepted");
        SseReader::new(response).collect().await
    }
}

/// Reads `data: <json>\n\n` frames as they arrive, checking the framing on the way.
pub struct SseReader {
    stream: futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: Vec<u8>,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> Self {
        Self {
            stream: response.bytes_stream().boxed(),
            buffer: Vec::new(),
        }
    }

    /// The next event, `None` at the end of the body. Fails the test after 10 s of silence.
    pub async fn next_event(&mut self) -> Option<Value> {
        loop {
            if let Some(pos) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let frame: Vec<u8> = self.buffer.drain(..pos + 2).collect();
                let line = std::str::from_utf8(&frame[..pos]).expect("utf-8 frame");
                assert!(!line.contains('\n'), "one line per event: {line:?}");
                let json = line
                    .strip_prefix("data: ")
                    .expect("frame starts with `data: `");
                return Some(serde_json::from_str(json).expect("frame is JSON"));
            }
            let next = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("an SSE event within 10 s");
            match next {
                Some(chunk) => self
                    .buffer
                    .extend_from_slice(&chunk.expect("body readable")),
                None => {
                    assert!(
                        self.buffer.is_empty(),
                        "stream ended mid-frame: {:?}",
                        self.buffer
                    );
                    return None;
                }
            }
        }
    }

    /// Reads up to and including the first `response.tts`; returns the events read.
    pub async fn until_spoken(&mut self) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let event = self
                .next_event()
                .await
                .expect("an event before the first speech");
            let spoken = event["type"] == "response.tts";
            events.push(event);
            if spoken {
                return events;
            }
        }
    }

    pub async fn collect(mut self) -> Vec<Value> {
        let mut events = Vec::new();
        while let Some(event) = self.next_event().await {
            events.push(event);
        }
        events
    }
}

/// The `content` of every event of `kind`.
pub fn contents(events: &[Value], kind: &str) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["type"] == kind)
        .map(|e| e["content"].clone())
        .collect()
}

/// The spoken sentences of a reply.
pub fn spoken(events: &[Value]) -> Vec<String> {
    contents(events, "response.tts")
        .iter()
        .map(|c| c.as_str().expect("tts content is a string").to_string())
        .collect()
}

/// Asserts the invariants of every reply: every event carries `turn_id`, exactly one
/// `response.end`, and it is last.
pub fn assert_well_formed(events: &[Value], turn_id: &str) {
    assert!(!events.is_empty(), "a reply has events");
    for event in events {
        assert_eq!(event["turn_id"], turn_id, "turn_id on {event}");
    }
    let ends = events
        .iter()
        .filter(|e| e["type"] == "response.end")
        .count();
    assert_eq!(ends, 1, "exactly one response.end in {events:?}");
    assert_eq!(events.last().expect("non-empty")["type"], "response.end");
}

/// Asserts the rules every stored history obeys, as seen from outside: never two user
/// messages in a row, no empty assistant message, at most one user and one assistant
/// entry per turn. `context` names the conversation in the failure message.
pub fn assert_history_well_formed(history: &[ChatMessage], context: &str) {
    for pair in history.windows(2) {
        assert!(
            !(pair[0].role == Role::User && pair[1].role == Role::User),
            "{context}: two user messages in a row in {history:?}"
        );
    }
    for message in history {
        assert!(
            message.role != Role::Assistant
                || !message.content.trim().is_empty()
                || !message.tool_calls.is_empty(),
            "{context}: an empty assistant message in {history:?}"
        );
        let answered: Vec<&str> = message
            .tool_results
            .iter()
            .map(|r| r.tool_call_id.as_str())
            .collect();
        let called: Vec<&str> = message.tool_calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(called, answered, "{context}: every call has its result");
    }
    let mut seen = std::collections::HashSet::new();
    for message in history {
        if let Some(turn) = &message.turn_id {
            assert!(
                seen.insert((message.role, turn)),
                "{context}: two {:?} entries for turn {turn} in {history:?}",
                message.role
            );
        }
    }
}

/// A loopback port nothing listens on (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The codes of the errors sent to the browser as `response.data`.
pub fn error_codes(events: &[Value]) -> Vec<String> {
    contents(events, "response.data")
        .iter()
        .filter_map(|c| c["error"]["code"].as_str().map(str::to_string))
        .collect()
}
