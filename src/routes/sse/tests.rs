//! The SSE body: framing, one `response.end`, batches.

use super::*;
use crate::turn::Caller;
use futures_util::StreamExt;
use serde_json::json;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[test]
fn frames_are_single_line_json_with_the_turn_id() {
    let tts = encode(
        &TurnEvent::Speak("Hi \"there\"\nnew line, café.".into(), None),
        "t1",
    );
    assert_eq!(
        &tts[..],
        "data: {\"type\":\"response.tts\",\"content\":\"Hi \\\"there\\\"\\nnew line, café.\",\"turn_id\":\"t1\"}\n\n".as_bytes()
    );
    let data = encode(&TurnEvent::Data(json!({"delta": "x"})), "t1");
    assert_eq!(
        encode(&TurnEvent::Delta("x".into()), "t1"),
        data,
        "a delta frames as the data event it stands for"
    );
    assert_eq!(
        &data[..],
        b"data: {\"type\":\"response.data\",\"content\":{\"delta\":\"x\"},\"turn_id\":\"t1\"}\n\n"
    );
    assert_eq!(
        &end("t1")[..],
        b"data: {\"type\":\"response.end\",\"turn_id\":\"t1\"}\n\n"
    );
}

fn caller() -> (Caller, Delivery) {
    Caller::new(CancellationToken::new(), tokio::time::Instant::now())
}

async fn frames(body: SseBody) -> Vec<Bytes> {
    body.map(|f| f.unwrap_or_else(|e| match e {}))
        .collect()
        .await
}

/// The whole body as text, and how many `response.end` frames it holds.
fn text_and_ends(frames: &[Bytes]) -> (String, usize) {
    let text: String = frames
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let ends = text.matches("response.end").count();
    (text, ends)
}

#[tokio::test]
async fn the_body_ends_exactly_once_when_the_turn_ends_it() {
    let (caller, delivery) = caller();
    caller.send(TurnEvent::Speak("One.".into(), None));
    caller.end();
    let frames = frames(SseBody::new(delivery, "t".into())).await;
    let (text, ends) = text_and_ends(&frames);
    assert_eq!(ends, 1);
    assert!(text.ends_with(std::str::from_utf8(&end("t")).unwrap_or_default()));
}

#[tokio::test]
async fn the_body_still_ends_once_when_the_turn_died_without_ending_it() {
    let (caller, delivery) = caller();
    caller.send(TurnEvent::Speak("One.".into(), None));
    drop(caller);
    let frames = frames(SseBody::new(delivery, "t".into())).await;
    let (text, ends) = text_and_ends(&frames);
    assert_eq!(ends, 1);
    assert!(
        text.starts_with("data: {\"type\":\"response.tts\""),
        "{text}"
    );
}

#[tokio::test]
async fn events_waiting_together_go_out_in_one_chunk_and_a_later_one_in_its_own() {
    let (caller, delivery) = caller();
    let mut body = SseBody::new(delivery, "t".into());
    caller.send(TurnEvent::Speak("One.".into(), None));
    caller.send(TurnEvent::Data(json!({"step": 1})));
    caller.send(TurnEvent::Speak("Two.".into(), None));
    let first = body
        .next()
        .await
        .expect("a chunk")
        .unwrap_or_else(|e| match e {});
    let first = String::from_utf8_lossy(&first).into_owned();
    assert_eq!(first.matches("data: ").count(), 3, "{first}");
    assert!(first.find("One.") < first.find("step") && first.find("step") < first.find("Two."));
    caller.send(TurnEvent::Speak("Three.".into(), None));
    caller.end();
    let rest = frames(body).await;
    let (text, ends) = text_and_ends(&rest);
    assert_eq!(rest.len(), 1, "what was waiting together: {text}");
    assert!(text.contains("Three.") && ends == 1);
}

#[tokio::test(start_paused = true)]
async fn the_head_waits_for_the_first_batch_and_a_sentence_counts_once_handed_out() {
    let (caller, delivery) = caller();
    let mut body = SseBody::new(delivery, "t".into());
    let waited = tokio::time::timeout(Duration::from_secs(1), body.first_batch()).await;
    assert!(waited.is_err(), "nothing to send yet");
    caller.send(TurnEvent::Speak("One.".into(), None));
    body.first_batch().await;
    assert_eq!(
        caller.delivered(),
        0,
        "held, not yet handed to the connection"
    );
    let chunk = futures_util::FutureExt::now_or_never(body.next())
        .expect("what the head waited for goes out at the first poll")
        .expect("a chunk")
        .unwrap_or_else(|e| match e {});
    assert!(String::from_utf8_lossy(&chunk).contains("One."));
    assert_eq!(caller.delivered(), 1);
    caller.end();
    let (text, ends) = text_and_ends(&frames(body).await);
    assert_eq!(ends, 1, "{text}");
}

#[test]
fn dropping_the_body_cancels_the_turn() {
    let (caller, delivery) = caller();
    drop(SseBody::new(delivery, "t".into()));
    assert!(caller.cancellation().is_cancelled());
    caller.end();
}
