//! Conversations that stay right: barge-in, what the user heard, newest turn wins,
//! duplicate deliveries, bounds, and many overlapping turns.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::helpers::fake_upstream::{content_chunk, finish_steps, role_chunk, Reply, Step};
use crate::helpers::*;

/// Speaks `head`, then stalls until `gate` opens (or the client goes away).
fn stalling(head: &[&str], gate: &Arc<Notify>) -> Reply {
    let mut steps = vec![Step::Send(role_chunk())];
    steps.extend(head.iter().map(|d| Step::Send(content_chunk(d))));
    steps.push(Step::Wait(gate.clone()));
    steps.push(Step::Send(content_chunk(" never heard.")));
    steps.extend(finish_steps());
    Reply::Stream {
        steps,
        abort: false,
    }
}

async fn wait_for<T>(mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "condition not met within 5 s");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn with_context(mut body: Value, heard: &str, assistant_turn_id: &str) -> Value {
    body["interruption_context"] = json!({
        "previous_turn_interrupted": true,
        "words_heard": heard.split_whitespace().count(),
        "text_heard": heard,
        "assistant_turn_id": assistant_turn_id,
    });
    body
}

#[tokio::test]
async fn barge_in_cancels_the_model_at_once_and_keeps_only_what_was_spoken() {
    let app = spawn_app().await;
    let gate = Arc::new(Notify::new());
    app.upstream
        .enqueue(stalling(&["We have soup today. ", "And a lovely"], &gate));
    let response = app
        .post_webhook(&message("conv_barge", "t1", "What's on the menu?"))
        .await;
    let mut reader = SseReader::new(response);
    reader.until_spoken().await;

    drop(reader); // Layercode aborts our response when the user barges in.
                  // The model request is closed while the model is still stalling (how soon is measured
                  // by the benchmark, not asserted here).
    wait_for(|| app.upstream.closed_mid_stream().first().copied()).await;

    // The cancelled turn settles its history right after.
    app.settle().await;
    let history = app.store.history("conv_barge").await.expect("store");
    assert_eq!(history[1].content, "We have soup today.");
    assert!(history[1].interrupted);
    gate.notify_one();

    app.turn(&message("conv_barge", "t2", "Soup please")).await;
    let sent = app.upstream.requests()[1].messages();
    assert_eq!(sent[2], ("assistant".into(), "We have soup today.".into()));
    assert_eq!(sent[3], ("user".into(), "Soup please".into()));
}

#[tokio::test]
async fn what_the_user_heard_replaces_the_stored_reply() {
    let app = spawn_app().await;
    app.upstream.enqueue(Reply::deltas(&[
        "Today we have soup, ",
        "salad and a lovely pie.",
    ]));
    app.turn(&message("conv_heard", "t1", "Menu?")).await;
    let next = with_context(
        message("conv_heard", "t2", "The pie!"),
        "Today we have soup, salad",
        "t1",
    );
    app.turn(&next).await;
    let sent = app.upstream.requests()[1].messages();
    assert_eq!(
        sent[1..],
        [
            ("user".to_string(), "Menu?".to_string()),
            (
                "assistant".to_string(),
                "Today we have soup, salad".to_string()
            ),
            ("user".to_string(), "The pie!".to_string()),
        ]
    );
}

#[tokio::test]
async fn interruption_context_for_an_unknown_turn_breaks_nothing() {
    let app = spawn_app().await;
    let body = with_context(
        message("conv_unknown", "t5", "Hello?"),
        "something",
        "t-never-seen",
    );
    let events = app.turn(&body).await;
    assert_well_formed(&events, "t5");
    assert_eq!(spoken(&events), ["Hello there.", "How can I help?"]);
    let sent = app.upstream.requests()[0].messages();
    assert_eq!(sent[1..], [("user".to_string(), "Hello?".to_string())]);
}

#[tokio::test]
async fn a_newer_turn_supersedes_the_running_one_which_still_ends_properly() {
    let app = spawn_app().await;
    let gate = Arc::new(Notify::new());
    app.upstream
        .enqueue(stalling(&["Let me think about that. ", "Well"], &gate));
    let response = app
        .post_webhook(&message("conv_newest", "t1", "Tell me a story"))
        .await;
    let mut first = SseReader::new(response);
    let mut first_events = first.until_spoken().await;

    let second = app
        .turn(&message("conv_newest", "t2", "Actually, never mind"))
        .await;
    assert_well_formed(&second, "t2");

    first_events.extend(first.collect().await);
    assert_well_formed(&first_events, "t1");
    assert_eq!(spoken(&first_events), ["Let me think about that."]);
    assert_eq!(
        app.upstream.closed_mid_stream().len(),
        1,
        "the older model request was cancelled"
    );

    // The second turn saw the first one settled, not half-written.
    let sent = app.upstream.requests()[1].messages();
    assert_eq!(
        sent[1..],
        [
            ("user".to_string(), "Tell me a story".to_string()),
            (
                "assistant".to_string(),
                "Let me think about that.".to_string()
            ),
            ("user".to_string(), "Actually, never mind".to_string()),
        ]
    );
    gate.notify_one();
}

#[tokio::test]
async fn a_turn_superseded_before_speaking_leaves_no_empty_reply_and_no_user_pair() {
    let app = spawn_app().await;
    let gate = Arc::new(Notify::new());
    app.upstream.enqueue(stalling(&[], &gate));
    let response = app
        .post_webhook(&message("conv_pair", "t1", "Book a table"))
        .await;
    // Wait until the model was asked, then supersede before anything is spoken.
    wait_for(|| (app.upstream.requests().len() == 1).then_some(())).await;
    let second = app
        .turn(&message("conv_pair", "t2", "for two people"))
        .await;
    assert_well_formed(&second, "t2");
    let first = SseReader::new(response).collect().await;
    assert_eq!(first, [json!({"type": "response.end", "turn_id": "t1"})]);

    let sent = app.upstream.requests()[1].messages();
    assert_eq!(
        sent[1..],
        [(
            "user".to_string(),
            "Book a table\nfor two people".to_string()
        )]
    );
    app.settle().await;
    let history = app.store.history("conv_pair").await.expect("store");
    assert_history_well_formed(&history, "conv_pair");
    gate.notify_one();
}

#[tokio::test]
async fn a_duplicate_delivery_during_the_first_is_answered_and_stored_once() {
    let app = spawn_app().await;
    let gate = Arc::new(Notify::new());
    app.upstream
        .enqueue(stalling(&["Checking now. ", "One"], &gate));
    app.upstream
        .enqueue(Reply::deltas(&["Your order shipped."]));
    let response = app
        .post_webhook(&message("conv_dup2", "t1", "Where is my order?"))
        .await;
    let mut first = SseReader::new(response);
    first.until_spoken().await;
    let again = app
        .turn(&message("conv_dup2", "t1", "Where is my order?"))
        .await;
    assert_well_formed(&again, "t1");
    assert_eq!(spoken(&again), ["Your order shipped."]);
    first.collect().await;

    app.settle().await;

    let history = app.store.history("conv_dup2").await.expect("store");
    let texts: Vec<&str> = history.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, ["Where is my order?", "Your order shipped."]);
    gate.notify_one();
}

#[tokio::test]
async fn history_sent_upstream_is_bounded_and_keeps_the_system_prompt() {
    let app = spawn_app_with(&[("HISTORY_MAX_MESSAGES", "3")]).await;
    for i in 0..4 {
        app.turn(&message(
            "conv_bound",
            &format!("t{i}"),
            &format!("Question {i}"),
        ))
        .await;
    }
    let sent = app.upstream.requests()[3].messages();
    assert_eq!(sent[0].0, "system");
    assert_eq!(
        sent[1..],
        [
            ("user".to_string(), "Question 2".to_string()),
            (
                "assistant".to_string(),
                "Hello there. How can I help?".to_string()
            ),
            ("user".to_string(), "Question 3".to_string()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_overlapping_turns_leave_every_history_well_formed() {
    let app = spawn_app().await;
    // A slow model: every reply takes a while, so later turns supersede earlier ones.
    let mut steps = vec![Step::Send(role_chunk())];
    for word in ["One. ", "Two. ", "Three. "] {
        steps.push(Step::Sleep(Duration::from_millis(15)));
        steps.push(Step::Send(content_chunk(word)));
    }
    steps.extend(finish_steps());
    app.upstream.set_default(Reply::Stream {
        steps,
        abort: false,
    });

    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for conversation in 0..12 {
        for turn in 0..6 {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                // Overlapping starts; every third turn is delivered twice.
                tokio::time::sleep(Duration::from_millis(turn * 12 + conversation % 5)).await;
                let body = message(
                    &format!("conv_race_{conversation}"),
                    &format!("t{turn}"),
                    &format!("q{turn}"),
                );
                let copies = if turn % 3 == 0 { 2 } else { 1 };
                for _ in 0..copies {
                    let events = app.turn(&body).await;
                    assert_well_formed(&events, &format!("t{turn}"));
                }
            }));
        }
    }
    for task in tasks {
        task.await.expect("turn task");
    }
    for conversation in 0..12 {
        let history = app
            .store
            .history(&format!("conv_race_{conversation}"))
            .await
            .expect("store");
        assert!(!history.is_empty());
        assert_history_well_formed(&history, &format!("conversation {conversation}"));
    }
}
