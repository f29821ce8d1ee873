//! Upstream resilience: retries while nothing was spoken (also after unspoken text), Retry-After within the budget,
//! fallback models, deadlines, the turn budget, and the thinking filler.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::helpers::fake_upstream::{
    content_chunk, finish_steps, role_chunk, FakeUpstream, Reply, Step,
};
use crate::helpers::*;

const SERVER_ERROR: &str = r#"{"error":{"message":"overloaded","type":"server_error"}}"#;

#[tokio::test]
async fn a_5xx_is_retried_and_the_user_hears_only_the_answer() {
    let app = spawn_app().await;
    app.upstream.enqueue(Reply::status(503, SERVER_ERROR));
    app.upstream.enqueue(Reply::deltas(&["All good now."]));
    let events = app.turn(&message("conv_retry", "t1", "Hi")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["All good now."]);
    assert!(
        error_codes(&events).is_empty(),
        "no error reached the browser"
    );
    assert_eq!(app.upstream.requests().len(), 2);
}

#[tokio::test]
async fn a_stream_cut_off_before_a_sentence_was_spoken_is_retried() {
    let app = spawn_app().await;
    // Some text, no sentence end, then the connection breaks: the caller heard nothing.
    let steps = vec![
        Step::Send(role_chunk()),
        Step::Send(content_chunk("Let me check th")),
    ];
    app.upstream.enqueue(Reply::Stream { steps, abort: true });
    app.upstream.enqueue(Reply::deltas(&["All good now."]));
    let events = app.turn(&message("conv_cut_retry", "t1", "Hi")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["All good now."], "no apology");
    assert!(error_codes(&events).is_empty(), "{events:?}");
    // The page is told to drop the deltas it showed before the retry's arrive.
    let data = contents(&events, "response.data");
    assert_eq!(
        data,
        [
            serde_json::json!({"delta": "Let me check th"}),
            serde_json::json!({"retry": 1}),
            serde_json::json!({"delta": "All good now."}),
        ]
    );
    assert_eq!(app.upstream.requests().len(), 2);
    let ends = events
        .iter()
        .filter(|e| e["type"] == "response.end")
        .count();
    assert_eq!(ends, 1);
    app.settle().await;
    let history = app.store.history("conv_cut_retry").await.expect("store");
    assert_eq!(history[1].content, "All good now.");
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_succeeds() {
    let app = spawn_app().await;
    // Recorded from llmock: `retry-after: 2`, `retry-after-ms: 2000`.
    app.upstream.enqueue(Reply::raw_fixture("llmock-429.http"));
    app.upstream
        .enqueue(Reply::deltas(&["Thanks for waiting."]));
    let events = app.turn(&message("conv_429", "t1", "Hi")).await;
    assert_eq!(spoken(&events), ["Thanks for waiting."]);
    let requests = app.upstream.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at.duration_since(requests[0].at);
    assert!(
        waited >= Duration::from_millis(1950),
        "waited only {waited:?}"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_is_not_waited_for() {
    let app = spawn_app_with(&[("LLM_TURN_TIMEOUT_MS", "1500")]).await;
    app.upstream.enqueue(Reply::raw_fixture("llmock-429.http"));
    let events = app.turn(&message("conv_429_late", "t1", "Hi")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), [APOLOGY]);
    assert_eq!(error_codes(&events), ["upstream_rate_limited"]);
    assert_eq!(app.upstream.requests().len(), 1);
}

#[tokio::test]
async fn an_exhausted_quota_and_a_bad_request_are_not_retried() {
    let app = spawn_app().await;
    let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#;
    app.upstream.enqueue(Reply::status(429, quota));
    let events = app.turn(&message("conv_quota", "t1", "Hi")).await;
    assert_eq!(spoken(&events), [APOLOGY]);
    app.upstream.enqueue(Reply::status(
        404,
        r#"{"error":{"message":"model not found"}}"#,
    ));
    let events = app.turn(&message("conv_quota", "t2", "Hi")).await;
    assert_eq!(error_codes(&events), ["upstream_http_error"]);
    assert_eq!(app.upstream.requests().len(), 2, "one request per turn");
}

/// Starts the app with `fallback` as the second upstream.
async fn spawn_with_fallback(fallback: &FakeUpstream, extra: &[(&str, &str)]) -> TestApp {
    let list = format!("{}|fallback-model|FALLBACK_KEY", fallback.base_url);
    let mut vars = vec![
        ("LLM_FALLBACKS", list.as_str()),
        ("FALLBACK_KEY", "sk-fallback"),
    ];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

#[tokio::test]
async fn a_slow_first_token_moves_to_the_fallback_model() {
    let fallback = FakeUpstream::start().await;
    fallback.enqueue(Reply::deltas(&["Backup here."]));
    let app = spawn_with_fallback(&fallback, &[("LLM_FIRST_TOKEN_TIMEOUT_MS", "300")]).await;
    let gate = Arc::new(Notify::new());
    let steps = vec![Step::Send(role_chunk()), Step::Wait(gate.clone())];
    app.upstream.enqueue(Reply::Stream {
        steps,
        abort: false,
    });

    let events = app.turn(&message("conv_fallback", "t1", "Hi")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["Backup here."]);
    let sent = &fallback.requests()[0];
    assert_eq!(sent.body["model"], "fallback-model");
    assert_eq!(sent.header("authorization"), Some("Bearer sk-fallback"));
    assert_eq!(
        app.upstream.closed_mid_stream().len(),
        1,
        "the slow request was cancelled"
    );
    gate.notify_one();
}

#[tokio::test]
async fn a_retry_after_that_does_not_fit_goes_straight_to_the_fallback() {
    let fallback = FakeUpstream::start().await;
    fallback.enqueue(Reply::deltas(&["Backup here."]));
    let app = spawn_with_fallback(&fallback, &[("LLM_TURN_TIMEOUT_MS", "1500")]).await;
    app.upstream.enqueue(Reply::raw_fixture("llmock-429.http"));
    let events = app.turn(&message("conv_fallback_429", "t1", "Hi")).await;
    assert_eq!(spoken(&events), ["Backup here."]);
    // The 2 s Retry-After does not fit the 1.5 s budget: no retry of the primary.
    assert_eq!(app.upstream.requests().len(), 1);
}

#[tokio::test]
async fn an_in_band_error_before_any_text_is_retried() {
    let app = spawn_app().await;
    let error = "data: {\"error\": {\"message\": \"upstream hiccup\", \"code\": \"500\"}}\n\n";
    let steps = vec![
        Step::Send(role_chunk()),
        Step::Send(error.as_bytes().to_vec()),
    ];
    app.upstream.enqueue(Reply::Stream {
        steps,
        abort: false,
    });
    app.upstream.enqueue(Reply::deltas(&["Recovered."]));
    let events = app.turn(&message("conv_inband_retry", "t1", "Hi")).await;
    assert_eq!(spoken(&events), ["Recovered."]);
}

#[tokio::test]
async fn the_turn_budget_caps_a_reply_that_never_ends() {
    let app = spawn_app_with(&[("LLM_TURN_TIMEOUT_MS", "400")]).await;
    let mut steps = vec![Step::Send(role_chunk())];
    for _ in 0..50 {
        steps.push(Step::Send(content_chunk("Word. ")));
        steps.push(Step::Sleep(Duration::from_millis(100)));
    }
    app.upstream.enqueue(Reply::Stream {
        steps,
        abort: false,
    });
    let events = app
        .turn(&message("conv_budget", "t1", "Talk forever"))
        .await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events).last().map(String::as_str), Some(APOLOGY));
    assert_eq!(error_codes(&events), ["turn_time_budget_exceeded"]);
    assert_eq!(app.upstream.requests().len(), 1);
}

#[tokio::test]
async fn retries_never_pile_up_beyond_the_budget() {
    let app = spawn_app_with(&[("LLM_TURN_TIMEOUT_MS", "600"), ("LLM_MAX_RETRIES", "10")]).await;
    app.upstream.set_default(Reply::status(500, SERVER_ERROR));
    let events = app.turn(&message("conv_pileup", "t1", "Hi")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), [APOLOGY]);
    // Backoff 250 ms, then 500 ms, which no longer fits in the 600 ms budget.
    assert_eq!(app.upstream.requests().len(), 2);
}

#[tokio::test]
async fn a_late_first_token_gets_a_filler_that_history_remembers() {
    let app = spawn_app_with(&[
        ("THINKING_FILLER_AFTER_MS", "100"),
        ("THINKING_FILLER_TEXT", "Hmm, one moment."),
    ])
    .await;
    let gate = Arc::new(Notify::new());
    let mut steps = vec![Step::Send(role_chunk()), Step::Wait(gate.clone())];
    steps.push(Step::Send(content_chunk("Your table is booked.")));
    steps.extend(finish_steps());
    app.upstream.enqueue(Reply::Stream {
        steps,
        abort: false,
    });

    let response = app
        .post_webhook(&message("conv_filler", "t1", "Book a table"))
        .await;
    let mut reader = SseReader::new(response);
    let first = reader.next_event().await.expect("the filler");
    assert_eq!(first["type"], "response.tts");
    assert_eq!(first["content"], "Hmm, one moment.");
    gate.notify_one();
    let rest = reader.collect().await;
    assert_eq!(spoken(&rest), ["Your table is booked."]);

    app.turn(&message("conv_filler", "t2", "Thanks")).await;
    let sent = app.upstream.requests()[1].messages();
    assert_eq!(
        sent[2],
        (
            "assistant".into(),
            "Hmm, one moment. Your table is booked.".into()
        )
    );
}

#[tokio::test]
async fn turns_reuse_one_warm_connection_to_the_model() {
    let app = spawn_app().await;
    for turn in 0..3 {
        app.turn(&message("conv_pool", &format!("t{turn}"), "Hi"))
            .await;
    }
    assert_eq!(app.upstream.requests().len(), 3);
    assert_eq!(
        app.upstream.connections(),
        1,
        "no new connection (or TLS handshake) per turn"
    );
}

#[tokio::test]
async fn a_fast_model_gets_no_filler() {
    let app = spawn_app_with(&[("THINKING_FILLER_AFTER_MS", "5000")]).await;
    let events = app.turn(&message("conv_no_filler", "t1", "Hi")).await;
    assert_eq!(spoken(&events), ["Hello there.", "How can I help?"]);
}
