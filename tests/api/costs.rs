//! What calls cost: a turn priced from the provider's usage (cached input tokens
//! included) and the price file, a session's minutes from `session.end`, a model without
//! a price costing `null`, and the metric; on record in SQLite and PostgreSQL.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::db::{sqlite_url, Postgres};
use crate::helpers::fake_upstream::{content_chunk, role_chunk, Reply, Step};
use crate::helpers::*;

const ADMIN: &str = "admin-token-for-costs-0123";

const PRICES: &str = r#"
dated = "2026-12-07"
[models."test-model"]
input = 2.0
cached_input = 0.5
output = 8.0
[minutes]
platform = 0.06
text_to_speech = 0.04
"#;

/// A reply whose usage says 1,000 prompt tokens (400 from the provider's cache) and 50
/// completion tokens, as OpenAI reports them.
fn reply_with_cached_usage(text: &str) -> Reply {
    let event = |json: Value| Step::Send(format!("data: {json}\n\n").into_bytes());
    Reply::Stream {
        steps: vec![
            Step::Send(role_chunk()),
            Step::Send(content_chunk(text)),
            event(json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})),
            event(json!({"choices": [], "usage": {
                "prompt_tokens": 1000, "completion_tokens": 50, "total_tokens": 1050,
                "prompt_tokens_details": {"cached_tokens": 400}}})),
            Step::Send(b"data: [DONE]\n\n".to_vec()),
        ],
        abort: false,
    }
}

async fn call_when_ended(app: &TestApp, conversation: &str) -> Value {
    for _ in 0..200 {
        let response = app
            .http
            .get(format!("{}/api/calls/{conversation}", app.address))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("sent");
        if response.status() == 200 {
            let call: Value = response.json().await.expect("json");
            if !call["session_report"].is_null() {
                return call;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the call was not written within 5 s");
}

/// A priced turn and a session of 90 s, then a call whose model has no price.
async fn costs_on_record(store_url: &str) {
    let prices = temp_folder("prices").join("prices.toml");
    std::fs::write(&prices, PRICES).expect("write");
    let app = spawn_app_with(&[
        ("CALL_STORE_URL", store_url),
        ("ADMIN_TOKEN", ADMIN),
        ("PRICES_FILE", prices.to_str().expect("utf-8")),
    ])
    .await;
    app.upstream
        .enqueue(reply_with_cached_usage("It ships tomorrow."));
    app.turn(&message("conv_cost", "t1", "Where is my order?"))
        .await;
    let end = json!({"type": "session.end", "conversation_id": "conv_cost", "duration": 90_000});
    assert_eq!(app.post_webhook(&end).await.status(), 200);
    let call = call_when_ended(&app, "conv_cost").await;

    // 600 fresh × $2 + 400 cached × $0.50 + 50 out × $8, per million tokens.
    let turn_cost = (600.0 * 2.0 + 400.0 * 0.5 + 50.0 * 8.0) / 1_000_000.0;
    let turn = &call["turns"][0];
    assert_eq!(turn["cached_tokens"], 400, "{turn}");
    let stored = turn["cost_usd"].as_f64().expect("priced");
    assert!((stored - turn_cost).abs() < 1e-12, "{turn}");
    // 1.5 minutes at $0.10 a minute.
    let minutes = call["voice_cost_usd"].as_f64().expect("minutes priced");
    assert!((minutes - 0.15).abs() < 1e-12, "{call}");
    let total = call["cost_usd"].as_f64().expect("the call is priced");
    assert!((total - (turn_cost + 0.15)).abs() < 1e-12, "{call}");
    assert_eq!(call["cached_tokens"], 400);
    // The list says the same.
    let list: Value = app
        .http
        .get(format!("{}/api/calls", app.address))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let listed = list["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .find(|c| c["conversation_id"] == "conv_cost")
        .expect("listed");
    assert_eq!(listed["cost_usd"], call["cost_usd"]);
    let metrics = app.metrics_text().await;
    for line in [
        "voicebridge_cost_usd_total{agent=\"default\",model=\"test-model\"} 0.0018",
        "voicebridge_prompt_tokens_total{agent=\"default\"} 1000",
        "voicebridge_prompt_tokens_cached_total{agent=\"default\"} 400",
    ] {
        assert!(metrics.contains(line), "{line}\n{metrics}");
    }
}

#[tokio::test]
async fn a_call_costs_its_tokens_and_minutes_on_sqlite() {
    costs_on_record(&sqlite_url("costs")).await;
}

#[tokio::test]
async fn a_call_costs_its_tokens_and_minutes_on_postgres() {
    let db = Postgres::create("costs").await;
    costs_on_record(&db.url).await;
}

#[tokio::test]
async fn a_model_without_a_price_costs_null_never_a_guess() {
    let prices = temp_folder("prices-other").join("prices.toml");
    std::fs::write(
        &prices,
        "[models.\"another-model\"]\ninput = 1\noutput = 1\n",
    )
    .expect("write");
    let app = spawn_app_with(&[
        ("CALL_STORE_URL", sqlite_url("costs-unpriced").as_str()),
        ("ADMIN_TOKEN", ADMIN),
        ("PRICES_FILE", prices.to_str().expect("utf-8")),
    ])
    .await;
    app.upstream
        .enqueue(reply_with_cached_usage("It ships tomorrow."));
    app.turn(&message("conv_unpriced", "t1", "Where is my order?"))
        .await;
    let end =
        json!({"type": "session.end", "conversation_id": "conv_unpriced", "duration": 60_000});
    assert_eq!(app.post_webhook(&end).await.status(), 200);
    let call = call_when_ended(&app, "conv_unpriced").await;
    assert_eq!(call["turns"][0]["cost_usd"], Value::Null, "{call}");
    assert_eq!(call["cost_usd"], Value::Null, "{call}");
    assert_eq!(call["voice_cost_usd"], Value::Null, "no per-minute prices");
    assert!(!app
        .metrics_text()
        .await
        .contains("voicebridge_cost_usd_total{"));
}

#[tokio::test]
async fn a_price_file_that_does_not_parse_stops_start_up_naming_it() {
    let prices = temp_folder("prices-bad").join("prices.toml");
    std::fs::write(&prices, "[models.\"m\"]\ninput = -1\noutput = 1\n").expect("write");
    let settings = settings_from(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_API_KEY", "k"),
        ("PRICES_FILE", prices.to_str().expect("utf-8")),
    ])
    .expect("valid");
    let error = start_up_error(settings).await;
    assert!(error.starts_with("PRICES_FILE: "), "{error}");
    assert!(
        error.ends_with("models.\"m\": a price must be a number of 0 or more"),
        "{error}"
    );
}

#[tokio::test]
async fn check_shows_each_models_price_and_names_those_without() {
    use crate::helpers::binary::{run, vars};
    let prices = temp_folder("prices-check").join("prices.toml");
    std::fs::write(&prices, PRICES).expect("write");
    let upstream = crate::helpers::fake_upstream::FakeUpstream::start().await;
    let fallback = format!("{}|other-model|", upstream.base_url);
    let file = prices.to_str().expect("utf-8");
    let env = vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", &upstream.base_url),
        ("LLM_MODEL", "test-model"),
        ("LLM_FALLBACKS", &fallback),
        ("PRICES_FILE", file),
    ]);
    let output = run(&["check"], env, "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    for line in [
        format!(
            "  prices             test-model: $2 in · $0.5 cached · $8 out per million tokens ({file}, dated 2026-12-07)"
        ),
        format!(
            "  prices             other-model has no price in {file}: its turns cost null (add [models.\"other-model\"])"
        ),
        "  prices             $0.1 per minute of a session (platform, speech-to-text, text-to-speech)"
            .to_string(),
    ] {
        assert!(stdout.contains(&line), "{line}\n{stdout}");
    }
}

#[tokio::test]
async fn a_prompt_cache_key_is_sent_only_when_configured() {
    let keyed = spawn_app_with(&[("LLM_PROMPT_CACHE_KEY", "vb-support")]).await;
    keyed.upstream.enqueue(Reply::deltas(&["Hello."]));
    keyed.turn(&message("conv_key", "t1", "Hi")).await;
    let request = keyed.upstream.requests().pop().expect("a model request");
    assert_eq!(request.body["prompt_cache_key"], "vb-support");
    let plain = spawn_app().await;
    plain.upstream.enqueue(Reply::deltas(&["Hello."]));
    plain.turn(&message("conv_nokey", "t1", "Hi")).await;
    let request = plain.upstream.requests().pop().expect("a model request");
    assert!(
        request.body.get("prompt_cache_key").is_none(),
        "{}",
        request.body
    );
}

#[tokio::test]
async fn check_warns_of_a_per_turn_value_early_in_the_prompt_and_not_of_the_shipped_one() {
    use crate::helpers::binary::{run, vars};
    let upstream = crate::helpers::fake_upstream::FakeUpstream::start().await;
    let prompt = temp_folder("prompt-now").join("system.md");
    std::fs::write(
        &prompt,
        format!(
            "Today is {{{{ now }}}}.\n{}",
            "Answer briefly, kindly and in plain spoken sentences. ".repeat(10)
        ),
    )
    .expect("write");
    let check = |prompt: Option<&str>| {
        let mut env = vars(&[
            ("LAYERCODE_WEBHOOK_SECRET", SECRET),
            ("LLM_BASE_URL", &upstream.base_url),
        ]);
        if let Some(prompt) = prompt {
            env.push(("SYSTEM_PROMPT_FILE".into(), prompt.into()));
        }
        run(&["check"], env, "")
    };
    let output = check(Some(prompt.to_str().expect("utf-8"))).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "a warning, not a failure: {stdout}"
    );
    assert!(
        stdout.contains("    warning: `now` on line 1 comes early in the prompt"),
        "{stdout}"
    );
    let output = check(None).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("system prompt      ok"), "{stdout}");
    assert!(!stdout.contains("comes early in the prompt"), "{stdout}");
}

#[tokio::test]
async fn check_shows_an_agents_analysis_and_says_when_it_cannot_run() {
    use crate::helpers::binary::{run, vars};
    let upstream = crate::helpers::fake_upstream::FakeUpstream::start().await;
    let agents = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/analysis/agents");
    let check = |hook: bool| {
        let mut env = vars(&[
            ("LAYERCODE_WEBHOOK_SECRET", SECRET),
            ("LLM_BASE_URL", &upstream.base_url),
            ("AGENTS_DIR", agents),
        ]);
        if hook {
            env.extend(vars(&[
                ("POST_CALL_WEBHOOK_URL", "http://127.0.0.1:9/hook"),
                ("POST_CALL_WEBHOOK_SECRET", "hook-secret-xyz"),
            ]));
        }
        run(&["check"], env, "")
    };
    let output = check(false).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "    analysis: data, success, summary (NOT RUN: set POST_CALL_WEBHOOK_URL, which triggers it)"
        ),
        "{stdout}"
    );
    let output = check(true).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(
            "    analysis: data, success, summary (after each call, before the post-call webhook)"
        ),
        "{stdout}"
    );
}

#[tokio::test]
async fn an_analysis_schema_that_does_not_compile_stops_start_up_naming_the_file() {
    let agents = folder_with(
        "analysis-broken",
        &[("support.toml", "[analysis]\nschema = { type = 12 }\n")],
    );
    let error = agents_start_up_error(&agents).await;
    assert!(error.starts_with("AGENTS_DIR: "), "{error}");
    assert!(
        error.contains("support.toml: analysis: the schema is not a valid JSON Schema"),
        "{error}"
    );
    // check says so too, and fails.
    let upstream = crate::helpers::fake_upstream::FakeUpstream::start().await;
    let env = crate::helpers::binary::vars(&[
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", &upstream.base_url),
        ("AGENTS_DIR", agents.to_str().expect("utf-8")),
    ]);
    let output = crate::helpers::binary::run(&["check"], env, "").await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(
        stdout.contains("  analysis           FAILED: AGENTS_DIR: "),
        "{stdout}"
    );
}
