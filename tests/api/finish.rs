//! How a reply ends: a stream closed with `[DONE]` but no `finish_reason` was cut off
//! (llama-cpp-python's server does this when another request arrives) and is a failure;
//! a reply stopped by the token cap speaks its complete sentences only.

use crate::helpers::binary::turn_log;
use crate::helpers::fake_upstream::{content_chunk, role_chunk, FakeUpstream, Reply, Step};
use crate::helpers::*;

const CUT_OFF: &str = "llama-cpp-server-cut-by-another-request.sse";

/// The recorded cut-off stream's events, in order.
fn cut_off_events() -> Vec<Vec<u8>> {
    let Reply::Stream { steps, .. } = Reply::fixture(CUT_OFF) else {
        unreachable!("a fixture is a stream")
    };
    steps
        .into_iter()
        .map(|step| match step {
            Step::Send(bytes) => bytes,
            _ => unreachable!("a fixture only sends"),
        })
        .collect()
}

async fn metric(app: &TestApp, name: &str) -> Option<f64> {
    let text = app.metrics_text().await;
    text.lines()
        .find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

const UNFINISHED: &str = r#"voicebridge_upstream_errors_total{kind="upstream_stream_unfinished"}"#;

#[tokio::test]
async fn a_stream_cut_off_before_any_text_is_retried_and_the_retry_is_heard() {
    let app = spawn_app().await;
    // The recorded stream cut right after its role chunk: `[DONE]` and nothing else.
    let events = cut_off_events();
    let steps = vec![
        Step::Send(events[0].clone()),
        Step::Send(events.last().expect("[DONE]").clone()),
    ];
    app.upstream.enqueue(Reply::Stream {
        steps,
        abort: false,
    });
    app.upstream
        .enqueue(Reply::deltas(&["The whole story. ", "It ends well."]));
    let events = app.turn(&message("conv_cut_early", "t1", "A story")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["The whole story.", "It ends well."]);
    assert!(error_codes(&events).is_empty(), "{events:?}");
    assert_eq!(app.upstream.requests().len(), 2, "retried once");
    assert_eq!(metric(&app, UNFINISHED).await, Some(1.0));
}

#[tokio::test]
async fn a_stream_cut_off_after_speech_apologises_and_keeps_what_was_heard() {
    let app = spawn_app().await;
    app.upstream.enqueue(Reply::fixture(CUT_OFF));
    let events = app.turn(&message("conv_cut_late", "t1", "A story")).await;
    assert_well_formed(&events, "t1");
    let said = spoken(&events);
    assert!(
        said[0].starts_with("Here's a possible origin story"),
        "{said:?}"
    );
    assert_eq!(said.last().map(String::as_str), Some(APOLOGY));
    assert!(
        said.iter().all(|s| !s.contains("Its head")),
        "the half sentence is never spoken: {said:?}"
    );
    assert_eq!(error_codes(&events), ["upstream_stream_unfinished"]);
    assert_eq!(
        app.upstream.requests().len(),
        1,
        "never retried after speech"
    );
    assert_eq!(metric(&app, UNFINISHED).await, Some(1.0));
    let failed = r#"voicebridge_turns_total{agent="default",event="message",outcome="failed"}"#;
    assert_eq!(metric(&app, failed).await, Some(1.0));

    app.turn(&message("conv_cut_late", "t2", "Go on")).await;
    let history = app.upstream.requests()[1].messages();
    assert_eq!(history[2], ("assistant".to_string(), said.join(" ")));
}

/// A reply that the token cap stopped mid-sentence.
fn capped(deltas: &[&str]) -> Reply {
    let mut steps = vec![Step::Send(role_chunk())];
    steps.extend(deltas.iter().map(|d| Step::Send(content_chunk(d))));
    let length = r#"{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#;
    steps.push(Step::Send(format!("data: {length}\n\n").into_bytes()));
    steps.push(Step::Send(b"data: [DONE]\n\n".to_vec()));
    Reply::Stream {
        steps,
        abort: false,
    }
}

const CAPPED: [&str; 4] = [
    "Sure, here it is. ",
    "The first part is done. ",
    "And then one that ",
    "would",
];

#[tokio::test]
async fn a_reply_stopped_by_the_token_cap_ends_on_its_last_complete_sentence() {
    let app = spawn_app_with(&[("LLM_MAX_TOKENS", "20")]).await;
    app.upstream.enqueue(capped(&CAPPED));
    let events = app.turn(&message("conv_cap", "t1", "Explain")).await;
    assert_well_formed(&events, "t1");
    assert_eq!(
        spoken(&events),
        ["Sure, here it is.", "The first part is done."]
    );
    assert!(error_codes(&events).is_empty(), "not a failure: {events:?}");
    assert_eq!(app.upstream.requests()[0].body["max_tokens"], 20);

    app.turn(&message("conv_cap", "t2", "And?")).await;
    let history = app.upstream.requests()[1].messages();
    assert_eq!(
        history[2],
        (
            "assistant".to_string(),
            "Sure, here it is. The first part is done.".to_string()
        )
    );
}

#[tokio::test]
async fn the_turn_log_says_when_the_token_cap_cut_the_reply() {
    let upstream = FakeUpstream::start().await;
    upstream.enqueue(capped(&CAPPED));
    let (log, turns) = turn_log(&upstream, &message("conv_cap_log", "t1", "Explain")).await;
    let turn = turns
        .first()
        .unwrap_or_else(|| panic!("a turn line in {log}"));
    assert_eq!(turn["outcome"], "completed");
    assert_eq!(turn["finish_reason"], "length");
    assert_eq!(turn["cut_by_token_cap"], true);
    assert_eq!(turn["sentences"], 2);
}
