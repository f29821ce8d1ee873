//! The same pipeline against a real OpenAI-compatible server written by others: llmock
//! (PyPI), which streams OpenAI's exact shapes and can be scripted to fail. `scripts/test`
//! installs and starts it and sets `LLMOCK_URL`. Its scenarios are shared by all its
//! clients, so these tests take turns.

use serde_json::{json, Value};
use tokio::sync::{Mutex, MutexGuard};

use crate::helpers::*;

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

struct Llmock {
    url: String,
    http: reqwest::Client,
    _turn: MutexGuard<'static, ()>,
}

impl Llmock {
    /// Waits for exclusive use of llmock and clears its scenarios and journal.
    async fn take() -> Self {
        let url = std::env::var("LLMOCK_URL").expect(
            "LLMOCK_URL is not set: run the tests with scripts/test, which installs and starts llmock",
        );
        let turn = ONE_AT_A_TIME.lock().await;
        let llmock = Self {
            url,
            http: reqwest::Client::new(),
            _turn: turn,
        };
        llmock.admin("/_llmock/reset", json!({})).await;
        llmock
    }

    async fn admin(&self, path: &str, body: Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .expect("llmock reachable");
        assert!(
            response.status().is_success(),
            "llmock {path}: {}",
            response.status()
        );
    }

    async fn script(&self, behaviors: Value) {
        self.admin("/_llmock/scenario", json!({ "behaviors": behaviors }))
            .await;
    }

    /// What llmock received, oldest first.
    async fn requests(&self) -> Vec<Value> {
        let journal: Value = self
            .http
            .get(format!("{}/_llmock/requests", self.url))
            .send()
            .await
            .expect("llmock reachable")
            .json()
            .await
            .expect("journal JSON");
        journal["requests"].as_array().expect("requests").clone()
    }

    async fn app(&self, extra: &[(&str, &str)]) -> TestApp {
        let base = format!("{}/v1", self.url);
        let mut vars = vec![
            ("LLM_BASE_URL", base.as_str()),
            ("LLM_MODEL", "gpt-4o-mini"),
        ];
        vars.extend_from_slice(extra);
        spawn_app_with(&vars).await
    }
}

#[tokio::test]
async fn a_scripted_reply_is_spoken_sentence_by_sentence() {
    let llmock = Llmock::take().await;
    let app = llmock.app(&[]).await;
    let text = "Sure. Dr. Smith can see you at 3 p.m. tomorrow. Does that work?";
    llmock
        .script(json!([{"type": "reply", "text": text}]))
        .await;
    let events = app
        .turn(&message("llm_reply", "t1", "Can I see a doctor?"))
        .await;
    assert_well_formed(&events, "t1");
    assert_eq!(
        spoken(&events),
        [
            "Sure.",
            "Dr. Smith can see you at 3 p m tomorrow.",
            "Does that work?"
        ]
    );
    let deltas: String = contents(&events, "response.data")
        .iter()
        .filter_map(|c| c["delta"].as_str().map(str::to_string))
        .collect();
    assert_eq!(deltas, text);

    let requests = llmock.requests().await;
    assert_eq!(requests.len(), 1);
    let body = &requests[0]["body"];
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["content"], "Can I see a doctor?");
    assert_eq!(requests[0]["completed"], true);
}

#[tokio::test]
async fn a_503_is_retried_against_llmock() {
    let llmock = Llmock::take().await;
    let app = llmock.app(&[]).await;
    llmock
        .script(json!([{"type": "fail", "status": 503}, {"type": "reply", "text": "Back online."}]))
        .await;
    let events = app.turn(&message("llm_503", "t1", "Hi")).await;
    assert_eq!(spoken(&events), ["Back online."]);
    let statuses: Vec<Value> = llmock
        .requests()
        .await
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(503), json!(200)]);
}

#[tokio::test]
async fn a_429_with_retry_after_is_honoured_against_llmock() {
    let llmock = Llmock::take().await;
    let app = llmock.app(&[]).await;
    llmock
        .script(json!([
            {"type": "fail", "status": 429, "retry_after": 1},
            {"type": "reply", "text": "Thanks for waiting."}
        ]))
        .await;
    let started = std::time::Instant::now();
    let events = app.turn(&message("llm_429", "t1", "Hi")).await;
    assert_eq!(spoken(&events), ["Thanks for waiting."]);
    assert!(started.elapsed() >= std::time::Duration::from_millis(950));
    assert_eq!(llmock.requests().await.len(), 2);
}

#[tokio::test]
async fn a_slow_first_token_falls_back_to_the_second_model() {
    let llmock = Llmock::take().await;
    let fallback = format!("{}/v1|gpt-4o|", llmock.url);
    let app = llmock
        .app(&[
            ("LLM_FIRST_TOKEN_TIMEOUT_MS", "500"),
            ("LLM_FALLBACKS", &fallback),
        ])
        .await;
    llmock
        .script(json!([
            {"type": "slow_first_token", "seconds": 3, "match": {"model": "gpt-4o-mini"}},
            {"type": "reply", "text": "The fallback answers.", "match": {"model": "gpt-4o"}}
        ]))
        .await;
    let events = app.turn(&message("llm_fallback", "t1", "Hi")).await;
    assert_eq!(spoken(&events), ["The fallback answers."]);
    let models: Vec<Value> = llmock
        .requests()
        .await
        .iter()
        .map(|r| r["model"].clone())
        .collect();
    assert!(models.contains(&json!("gpt-4o")), "{models:?}");
}

#[tokio::test]
async fn a_disconnect_after_speech_started_apologises_without_retrying() {
    let llmock = Llmock::take().await;
    let app = llmock.app(&[]).await;
    llmock
        .script(json!([
            {"type": "reply", "text": "First sentence here. Second sentence that never ends"},
            {"type": "stream_fault", "kind": "disconnect", "after_chunks": 6}
        ]))
        .await;
    let events = app.turn(&message("llm_disconnect", "t1", "Hi")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["First sentence here.", APOLOGY]);
    assert_eq!(error_codes(&events), ["upstream_stream_broken"]);
    assert_eq!(llmock.requests().await.len(), 1);
}

#[tokio::test]
async fn a_stall_and_a_truncation_each_end_the_turn_properly() {
    let llmock = Llmock::take().await;
    let app = llmock.app(&[("LLM_IDLE_TIMEOUT_MS", "400")]).await;
    llmock
        .script(json!([
            {"type": "reply", "text": "Hello there. How are you doing today?"},
            {"type": "stream_fault", "kind": "stall", "after_chunks": 4, "stall_seconds": 5}
        ]))
        .await;
    let events = app.turn(&message("llm_stall", "t1", "Hi")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(error_codes(&events), ["upstream_stalled"]);

    llmock
        .script(json!([
            {"type": "reply", "text": "Hello there. How are you doing today?"},
            {"type": "stream_fault", "kind": "truncate", "after_chunks": 4}
        ]))
        .await;
    let events = app.turn(&message("llm_stall", "t2", "Hi")).await;
    assert_well_formed(&events, "t2");
    assert_eq!(spoken(&events).last().map(String::as_str), Some(APOLOGY));
}

#[tokio::test]
async fn tool_call_deltas_from_llmock_are_never_spoken() {
    let llmock = Llmock::take().await;
    let app = llmock.app(&[]).await;
    llmock
        .script(json!([{"type": "reply", "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}]))
        .await;
    let events = app.turn(&message("llm_tool", "t1", "Weather?")).await;
    assert_well_formed(&events, "t1");
    assert!(spoken(&events).is_empty(), "{events:?}");
    assert!(error_codes(&events).is_empty());
}

/// The same tool loop with llmock as the model: it calls the offered tool that best
/// matches the question, with arguments valid for its schema, streamed as OpenAI streams
/// them; then, reading the tool's result, it answers in words.
#[tokio::test]
async fn llmock_calls_a_tool_file_tool_and_answers_from_its_result() {
    use crate::helpers::fake_upstream::{FakeUpstream, Reply};
    use crate::helpers::tools::{order_tools, tool_dir, ORDER_BODY};

    let llmock = Llmock::take().await;
    let server = FakeUpstream::start().await;
    server.enqueue(Reply::plain(200, ORDER_BODY, std::time::Duration::ZERO));
    let dir = tool_dir(&order_tools(&server, 3000));
    let app = llmock
        .app(&[
            ("TOOLS_DIR", dir.to_str().expect("utf-8")),
            ("ORDERS_API_KEY", "k"),
        ])
        .await;
    let events = app
        .turn(&message(
            "llm_tools",
            "t1",
            "Look up the status of my order",
        ))
        .await;
    assert_well_formed(&events, "t1");
    assert!(!spoken(&events).is_empty(), "{events:?}");
    assert!(error_codes(&events).is_empty(), "{events:?}");

    let calls = server.requests();
    assert_eq!(calls.len(), 1, "the tool was called once");
    assert_eq!(calls[0].method, "GET");
    assert!(calls[0].path.starts_with("/orders/"), "{}", calls[0].path);

    let requests = llmock.requests().await;
    assert_eq!(requests.len(), 2, "{requests:?}");
    let messages = requests[1]["body"]["messages"]
        .as_array()
        .expect("messages");
    let call = &messages[messages.len() - 2];
    let result = &messages[messages.len() - 1];
    assert_eq!(call["tool_calls"][0]["function"]["name"], "get_order");
    assert_eq!(result["role"], "tool");
    assert_eq!(result["tool_call_id"], call["tool_calls"][0]["id"]);
    assert_eq!(result["content"], ORDER_BODY);
}

/// llmock's broken tool call (arguments that are not JSON): the tool is not called, the
/// model reads why, and the user hears its answer.
#[tokio::test]
async fn llmock_malformed_tool_arguments_are_refused_and_the_turn_goes_on() {
    use crate::helpers::fake_upstream::FakeUpstream;
    use crate::helpers::tools::{order_tools, tool_dir};

    let llmock = Llmock::take().await;
    let server = FakeUpstream::start().await;
    let dir = tool_dir(&order_tools(&server, 3000));
    let app = llmock
        .app(&[
            ("TOOLS_DIR", dir.to_str().expect("utf-8")),
            ("ORDERS_API_KEY", "k"),
        ])
        .await;
    llmock
        .script(json!([{"type": "tool_fault", "kind": "malformed_arguments"}]))
        .await;
    let events = app
        .turn(&message(
            "llm_tools_bad",
            "t1",
            "Look up the status of my order",
        ))
        .await;
    assert_well_formed(&events, "t1");
    assert!(!spoken(&events).is_empty(), "{events:?}");
    assert!(
        server.requests().is_empty(),
        "not called with broken arguments"
    );
    let requests = llmock.requests().await;
    assert_eq!(requests.len(), 2);
    let messages = requests[1]["body"]["messages"]
        .as_array()
        .expect("messages");
    let result = messages.last().expect("tool result");
    assert_eq!(result["role"], "tool");
    assert!(
        result["content"]
            .as_str()
            .expect("text")
            .contains("not valid JSON"),
        "{result}"
    );
}

/// `voicebridge test` end to end with llmock as the model: the server runs in-process from
/// the environment, plays a scenario and reports it passed.
#[tokio::test]
async fn voicebridge_test_plays_a_scenario_against_llmock() {
    let llmock = Llmock::take().await;
    llmock
        .script(json!([{"type": "reply", "text": "Hello! We open at nine tomorrow."}]))
        .await;
    let dir = folder_with(
        "llmock-scenarios",
        &[(
            "opening.toml",
            "description = \"Opening hours\"\n[[turn]]\nuser = \"When do you open?\"\n\
             expect_said = [\"nine\"]\nexpect_not_said = [\"sorry\"]\nmax_first_audio_ms = 5000\n",
        )],
    );
    let base = format!("{}/v1", llmock.url);
    let env = crate::helpers::binary::vars(&[
        ("ALLOW_UNSIGNED_WEBHOOKS", "true"),
        ("LLM_BASE_URL", base.as_str()),
        ("LLM_MODEL", "gpt-4o-mini"),
        ("CALL_STORE_URL", "off"),
    ]);
    let output =
        crate::helpers::binary::run(&["test", dir.to_str().expect("utf-8")], env, "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("✓ Opening hours"), "{stdout}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    assert_eq!(llmock.requests().await.len(), 1);
}
