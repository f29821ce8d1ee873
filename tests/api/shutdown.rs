//! Stopping the real binary: SIGTERM and SIGINT let a live turn finish with `response.end`
//! and the process exit 0; past the grace period, turns are ended properly.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use voicebridge::webhook::signature;

use crate::fake_upstream::{content_chunk, finish_steps, role_chunk, FakeUpstream, Reply, Step};
use crate::helpers::*;

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Starts the built binary against `upstream`, from an empty directory so no `.env` is read.
async fn start_binary(upstream: &FakeUpstream, grace_secs: &str) -> Server {
    let port = free_port();
    let workdir = std::env::temp_dir().join(format!("voicebridge-shutdown-{port}"));
    std::fs::create_dir_all(&workdir).expect("temp dir");
    let child = Command::new(env!("CARGO_BIN_EXE_voicebridge"))
        .current_dir(&workdir)
        .env_clear()
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("LAYERCODE_WEBHOOK_SECRET", SECRET)
        .env("LLM_BASE_URL", &upstream.base_url)
        .env(
            "SYSTEM_PROMPT_FILE",
            concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.md"),
        )
        .env("SHUTDOWN_GRACE_SECS", grace_secs)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    // Owned at once, so a failure below still kills and reaps the process.
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http
            .get(format!("{}/health", server.url))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the binary did not start listening");
}

fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

async fn exit_code(child: &mut Child) -> Option<i32> {
    for _ in 0..400 {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the process did not exit");
}

async fn begin_turn(server: &Server) -> SseReader {
    let body = serde_json::to_vec(&message("conv_stop", "t1", "Tell me slowly")).expect("json");
    let response = reqwest::Client::new()
        .post(format!("{}/agent", server.url))
        .header(
            "layercode-signature",
            signature::sign(SECRET.as_bytes(), now(), &body),
        )
        .body(body)
        .send()
        .await
        .expect("sent");
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
    let mut server = start_binary(&upstream, "20").await;

    let mut reader = begin_turn(&server).await;
    let first = reader.next_event().await.expect("first event");
    assert_eq!(first["type"], "response.data");
    send_signal(&server.child, signal);
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
    assert_eq!(exit_code(&mut server.child).await, Some(0));
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
    let mut server = start_binary(&upstream, "1").await;
    let mut reader = begin_turn(&server).await;
    loop {
        let event = reader.next_event().await.expect("events");
        if event["type"] == "response.tts" {
            break;
        }
    }
    send_signal(&server.child, "TERM");
    let rest = reader.collect().await;
    assert_eq!(rest.last().expect("an end")["type"], "response.end");
    assert_eq!(exit_code(&mut server.child).await, Some(0));
    gate.notify_one();
}
