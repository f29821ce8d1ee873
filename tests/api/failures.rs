//! The model failing: every failure ends the turn with a short apology, an error for the
//! browser and exactly one `response.end`, and history keeps what the user heard.

use serde_json::Value;

use crate::helpers::fake_upstream::{content_chunk, role_chunk, Reply, Step};
use crate::helpers::*;

fn error_code(events: &[Value]) -> String {
    let errors: Vec<Value> = contents(events, "response.data")
        .into_iter()
        .filter(|c| c.get("error").is_some())
        .collect();
    assert_eq!(errors.len(), 1, "one error for the browser: {events:?}");
    let message = errors[0]["error"]["message"].as_str().expect("message");
    assert!(!message.is_empty());
    errors[0]["error"]["code"]
        .as_str()
        .expect("code")
        .to_string()
}

#[tokio::test]
async fn a_persistent_upstream_500_ends_with_apology_error_data_and_end() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let body = r#"{"error":{"message":"boom","type":"server_error"}}"#;
        app.upstream.enqueue(Reply::status(500, body));
    }
    let events = app.turn(&message("conv_500", "t1", "Hello")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), [APOLOGY]);
    assert_eq!(error_code(&events), "upstream_http_error");
    let body = serde_json::to_string(&events).expect("json");
    assert!(!body.contains("sk-test-key"));
}

#[tokio::test]
async fn a_mid_stream_disconnect_keeps_what_was_said_then_apologises() {
    let app = spawn_app().await;
    let steps = vec![
        Step::Send(role_chunk()),
        Step::Send(content_chunk("Here is the first part. ")),
        Step::Send(content_chunk("And then the")),
    ];
    app.upstream.enqueue(Reply::Stream { steps, abort: true });
    let events = app
        .turn(&message("conv_cut", "t1", "Tell me a story"))
        .await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["Here is the first part.", APOLOGY]);
    assert_eq!(error_code(&events), "upstream_stream_broken");
    assert_eq!(
        app.upstream.requests().len(),
        1,
        "never retried once speech started"
    );

    // History holds what the user heard, and the next turn is well-formed.
    app.turn(&message("conv_cut", "t2", "Go on")).await;
    let messages = app.upstream.requests()[1].messages();
    assert_eq!(
        messages[2],
        (
            "assistant".to_string(),
            format!("Here is the first part. {APOLOGY}")
        )
    );
    assert_eq!(messages[3], ("user".to_string(), "Go on".to_string()));
}

#[tokio::test]
async fn an_in_band_error_after_200_is_a_failure() {
    let app = spawn_app().await;
    app.upstream
        .enqueue(Reply::fixture("litellm-proxy-inband-error.sse"));
    let events = app.turn(&message("conv_inband", "t1", "Count")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["One.", APOLOGY], "{events:?}");
    assert_eq!(error_code(&events), "upstream_error");
}

#[tokio::test]
async fn a_stream_that_closes_before_finishing_is_a_failure() {
    let app = spawn_app().await;
    // Nothing of it was spoken, so it is retried (once, by default); the retry closes
    // early too.
    for _ in 0..2 {
        let steps = vec![
            Step::Send(role_chunk()),
            Step::Send(content_chunk("Half a")),
        ];
        app.upstream.enqueue(Reply::Stream {
            steps,
            abort: false,
        });
    }
    let events = app.turn(&message("conv_trunc", "t1", "Hi")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), [APOLOGY]);
    assert_eq!(error_code(&events), "upstream_stream_broken");
    assert_eq!(app.upstream.requests().len(), 2);
    let retries: Vec<Value> = contents(&events, "response.data")
        .into_iter()
        .filter(|c| c.get("retry").is_some())
        .collect();
    assert_eq!(retries, [serde_json::json!({"retry": 1})]);
}

#[tokio::test]
async fn an_unreachable_model_server_is_a_failure() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let app = spawn_app_with(&[("LLM_BASE_URL", &url)]).await;
    let events = app.turn(&message("conv_down", "t1", "Hi")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), [APOLOGY]);
    assert_eq!(error_code(&events), "upstream_unreachable");
}

#[tokio::test]
async fn a_silent_model_times_out_into_an_apology() {
    let app = spawn_app_with(&[("LLM_IDLE_TIMEOUT_MS", "200")]).await;
    let gate = std::sync::Arc::new(tokio::sync::Notify::new());
    let steps = vec![
        Step::Send(role_chunk()),
        Step::Send(content_chunk("Sure. ")),
        Step::Send(content_chunk("One")),
        Step::Wait(gate.clone()), // never released: the model goes silent
    ];
    app.upstream.enqueue(Reply::Stream {
        steps,
        abort: false,
    });
    let events = app.turn(&message("conv_silent", "t1", "Hi")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["Sure.", APOLOGY]);
    assert_eq!(error_code(&events), "upstream_stalled");
    gate.notify_one();
}
