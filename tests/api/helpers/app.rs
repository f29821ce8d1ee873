//! The real application in-process on port 0 against a fake upstream, and webhooks signed
//! exactly as Layercode signs them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use voicebridge::config::{ConfigError, Settings};
use voicebridge::startup::Application;
use voicebridge::webhook::signature;

use super::fake_upstream::FakeUpstream;
use super::sse::SseReader;

pub const SECRET: &str = "whsec_integration_test";
pub const WELCOME: &str = "Hi! I'm your test agent.";
pub const APOLOGY: &str = "Sorry, something went wrong on my side.";
/// The `ADMIN_TOKEN` of tests that read the calls API or pages.
pub const ADMIN: &str = "admin-token-for-tests-0123";

pub struct TestApp {
    pub address: String,
    pub store: std::sync::Arc<dyn voicebridge::session::SessionStore>,
    pub turns: voicebridge::routes::state::TurnTasks,
    /// The post-call webhook's progress, when the test turned it on.
    pub post_call: Option<voicebridge::records::PostCallProgress>,
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
    let mut vars = vec![
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
    ];
    vars.extend_from_slice(overrides);
    let settings = settings_from(&vars).expect("test settings are valid");
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let store = app.store();
    let turns = app.turns();
    let post_call = app.post_call();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        store,
        turns,
        post_call,
        upstream,
        http: reqwest::Client::new(),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Settings read from `pairs` alone (no process environment): the last value of a name
/// wins, and an empty value leaves it unset.
pub fn settings_from(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(move |name| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    })
}

/// The start-up error of the server with the agent files in `agents` (and a secret and a
/// key in the environment).
pub async fn agents_start_up_error(agents: &std::path::Path) -> String {
    let settings = settings_from(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_API_KEY", "k"),
        ("AGENTS_DIR", agents.to_str().expect("utf-8")),
    ])
    .expect("valid");
    start_up_error(settings).await
}

/// Why the application refuses to start with `settings`.
pub async fn start_up_error(settings: Settings) -> String {
    match Application::build(settings).await {
        Ok(_) => panic!("the application started"),
        Err(error) => error.to_string(),
    }
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
    /// POSTs `body` to `path`, signed with `secret`.
    pub async fn post_signed(&self, path: &str, secret: &str, body: &Value) -> reqwest::Response {
        let bytes = serde_json::to_vec(body).expect("json");
        let signed = signature::sign(secret.as_bytes(), now(), &bytes);
        self.post_raw(path, bytes, Some(signed)).await
    }

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

    /// Sends a webhook and reads its whole SSE reply.
    pub async fn turn(&self, body: &Value) -> Vec<Value> {
        let response = self.post_webhook(body).await;
        assert_eq!(response.status(), 200, "webhook accepted");
        SseReader::new(response).collect().await
    }
}
