//! What an operator sees: one log line per turn with its timings, and `/metrics`.

use crate::helpers::binary::turn_log;
use crate::helpers::fake_upstream::{FakeUpstream, Reply};
use crate::helpers::*;

async fn scrape(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut request = app.http.get(format!("{}/metrics", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("sent")
}

/// The value of the exported sample `name` (with its labels), if present.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn a_turn_moves_the_counters_and_histograms() {
    let app = spawn_app().await;
    app.upstream
        .enqueue(Reply::fixture("llmock-reply-with-usage.sse"));
    app.turn(&message("conv_metrics", "t1", "Hi")).await;
    app.turn(&session_start("conv_metrics", "s2", "t0")).await;
    app.upstream.enqueue(Reply::status(
        404,
        r#"{"error":{"message":"no such model"}}"#,
    ));
    app.turn(&message("conv_metrics", "t2", "Hi")).await;

    let response = scrape(&app, None).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/plain"));
    let text = response.text().await.expect("text");
    let expect = [
        (r#"voicebridge_webhooks_total{event="message"}"#, 2.0),
        (r#"voicebridge_webhooks_total{event="session.start"}"#, 1.0),
        (
            r#"voicebridge_turns_total{agent="default",event="message",outcome="completed"}"#,
            1.0,
        ),
        (
            r#"voicebridge_turns_total{agent="default",event="message",outcome="failed"}"#,
            1.0,
        ),
        (
            r#"voicebridge_turns_total{agent="default",event="session.start",outcome="completed"}"#,
            1.0,
        ),
        (
            r#"voicebridge_upstream_errors_total{kind="upstream_http_error"}"#,
            1.0,
        ),
        ("voicebridge_upstream_first_token_seconds_count", 1.0),
        ("voicebridge_turns_in_flight", 0.0),
        ("voicebridge_conversations", 1.0),
    ];
    for (name, value) in expect {
        assert_eq!(sample(&text, name), Some(value), "{name} in\n{text}");
    }
    // Three sentences came from the model; the apology and welcome did not.
    assert_eq!(
        sample(&text, "voicebridge_added_latency_seconds_count"),
        Some(3.0)
    );
    assert_eq!(
        sample(&text, "voicebridge_first_tts_seconds_count"),
        Some(3.0)
    );
    let added = sample(&text, "voicebridge_added_latency_seconds_sum").expect("sum");
    assert!(added > 0.0 && added < 1.0, "{added}");
}

#[tokio::test]
async fn metrics_can_require_a_bearer_token() {
    let app = spawn_app_with(&[("METRICS_TOKEN", "scrape-me")]).await;
    assert_eq!(scrape(&app, None).await.status(), 401);
    assert_eq!(scrape(&app, Some("wrong")).await.status(), 401);
    assert_eq!(scrape(&app, Some("scrape-me")).await.status(), 200);
}

#[tokio::test]
async fn each_turn_logs_one_json_line_with_its_timings_and_no_text_or_secrets() {
    let upstream = FakeUpstream::start().await;
    upstream.enqueue(Reply::fixture("llmock-reply-with-usage.sse"));
    let (log, turns) = turn_log(&upstream, &message("conv_log", "t_log", "My secret plan")).await;
    assert_eq!(turns.len(), 1, "{log}");
    let turn = &turns[0];
    assert_eq!(turn["agent"], "default");
    assert_eq!(turn["conversation_id"], "conv_log");
    assert_eq!(turn["turn_id"], "t_log");
    assert_eq!(turn["model"], "gpt-4o-mini");
    assert_eq!(turn["outcome"], "completed");
    assert_eq!(turn["sentences"], 3);
    assert_eq!(turn["prompt_tokens"], 5);
    assert_eq!(turn["completion_tokens"], 15);
    assert_eq!(turn["finish_reason"], "stop");
    assert_eq!(turn["cut_by_token_cap"], false);
    assert_eq!(turn["without_history"], false);
    for field in ["first_token_ms", "first_tts_ms", "total_ms"] {
        assert!(turn[field].is_u64(), "{field}: {turn}");
    }
    assert!(
        !log.contains("My secret plan"),
        "message text only at debug level"
    );
    assert!(
        !log.contains("sk-binary-secret-key") && !log.contains(SECRET),
        "no secrets"
    );
}

/// The start-up line says where to open the page, what answers (its URL with the path) and
/// what was loaded; logs written to a pipe carry no colour codes.
#[tokio::test]
async fn the_start_up_line_says_what_runs_and_piped_logs_have_no_colour_codes() {
    let upstream = FakeUpstream::start().await;
    let server = crate::helpers::binary::start_binary(&upstream, &[("RUST_LOG", "info")]).await;
    let log = server.stop_and_read_log();
    assert!(!log.contains('\u{1b}'), "no ANSI escapes in a pipe: {log}");
    let line = log
        .lines()
        .find(|l| l.contains("voicebridge listening"))
        .expect("the start-up line");
    for field in [
        "open=http://127.0.0.1:",
        "agents=1",
        "tools=0",
        "mcp_servers=0",
        "calls_pages=\"off (no call store)\"",
    ] {
        assert!(line.contains(field), "{field}: {line}");
    }
    let base = upstream.base_url.split('?').next().expect("url");
    assert!(
        line.contains(&format!("base_url={base}")),
        "with its path: {line}"
    );
}
