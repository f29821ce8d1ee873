//! Stopping the real binary: SIGTERM and SIGINT let a live turn finish with `response.end`
//! and the process exit 0; past the grace period, turns are ended properly.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::helpers::binary::{start_binary, Server};
use crate::helpers::fake_upstream::{
    content_chunk, finish_steps, role_chunk, FakeUpstream, Reply, Step,
};
use crate::helpers::*;

async fn begin_turn(server: &Server) -> SseReader {
    let response = server
        .post_webhook(&message("conv_stop", "t1", "Tell me slowly"))
        .await;
    assert_eq!(response.status(), 200);
    SseReader::new(response)
}

async fn a_signal_lets_the_live_turn_finish(signal: &str) {
    let upstream = FakeUpstream::start().await;
    let gate = Arc::new(Notify::new());
    let mut steps = vec![
        Step::Send(role_chunk()),
        Step::Send(content_chunk("First part. ")),
    ];
    steps.push(Step::Send(content_chunk("Second")));
    steps.push(Step::Wait(gate.clone()));
    steps.push(Step::Send(content_chunk(" part.")));
    steps.extend(finish_steps());
    upstream.enqueue(Reply::Stream {
        steps,
        abort: false,
    });
    let mut server = start_binary(&upstream, &[("SHUTDOWN_GRACE_SECS", "20")]).await;

    let mut reader = begin_turn(&server).await;
    let first = reader.next_event().await.expect("first event");
    assert_eq!(first["type"], "response.data");
    server.signal(signal);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        server.child.try_wait().expect("wait").is_none(),
        "still draining the turn"
    );
    gate.notify_one();

    let mut events = vec![first];
    events.extend(reader.collect().await);
    assert_well_formed(&events, "t1");
    assert_eq!(spoken(&events), ["First part.", "Second part."]);
    assert_eq!(server.exit_code().await, Some(0));
}

#[tokio::test]
async fn sigterm_lets_the_live_turn_finish_and_exits_0() {
    a_signal_lets_the_live_turn_finish("TERM").await;
}

#[tokio::test]
async fn sigint_lets_the_live_turn_finish_and_exits_0() {
    a_signal_lets_the_live_turn_finish("INT").await;
}

#[tokio::test]
async fn after_the_grace_period_a_running_turn_is_ended_properly() {
    let upstream = FakeUpstream::start().await;
    let gate = Arc::new(Notify::new());
    let steps = vec![
        Step::Send(role_chunk()),
        Step::Send(content_chunk("This will take a while. ")),
        Step::Send(content_chunk("Really")),
        Step::Wait(gate.clone()),
    ];
    upstream.enqueue(Reply::Stream {
        steps,
        abort: false,
    });
    let mut server = start_binary(&upstream, &[("SHUTDOWN_GRACE_SECS", "1")]).await;
    let mut reader = begin_turn(&server).await;
    reader.until_spoken().await;
    server.signal("TERM");
    let rest = reader.collect().await;
    assert_eq!(rest.last().expect("an end")["type"], "response.end");
    assert_eq!(server.exit_code().await, Some(0));
    gate.notify_one();
}

#[tokio::test]
async fn sigterm_writes_the_queued_call_records_before_exiting() {
    let upstream = FakeUpstream::start().await;
    let dir = temp_path("stop-calls");
    let url = format!("sqlite://{}/calls.db", dir.display());
    let mut server = start_binary(&upstream, &[("CALL_STORE_URL", url.as_str())]).await;
    let reader = begin_turn(&server).await;
    let events = reader.collect().await;
    assert_well_formed(&events, "t1");
    // Stop at once: the record may still be queued; it must be written before the exit.
    server.signal("TERM");
    assert_eq!(server.exit_code().await, Some(0));
    let store = voicebridge::records::CallStore::connect(&url)
        .await
        .expect("the file exists");
    let call = store
        .get(&voicebridge::records::CallKey {
            agent: "default".into(),
            conversation_id: "conv_stop".into(),
        })
        .await
        .expect("reads")
        .expect("the call was written");
    assert_eq!(call.turns.len(), 1);
    assert_eq!(call.turns[0].user_text, "Tell me slowly");
}
