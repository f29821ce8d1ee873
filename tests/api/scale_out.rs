//! Two voicebridge machines sharing one Redis (a key prefix of their own per test):
//! shared history, duplicates, supersession and concurrent webhooks across machines,
//! Redis lost mid-run, and refusing to start without it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::helpers::fake_upstream::{content_chunk, finish_steps, role_chunk, Reply, Step};
use crate::helpers::redis_server::{require_redis, unique_prefix, REDIS};
use crate::helpers::*;

/// Machines A and B on one Redis.
async fn two_machines(name: &str) -> (TestApp, TestApp) {
    require_redis().await;
    let prefix = unique_prefix(name);
    let vars = [
        ("SESSION_STORE_URL", REDIS),
        ("SESSION_STORE_PREFIX", prefix.as_str()),
    ];
    (spawn_app_with(&vars).await, spawn_app_with(&vars).await)
}

#[tokio::test]
async fn a_turn_on_b_sees_the_history_made_on_a() {
    let (a, b) = two_machines("history").await;
    a.upstream
        .enqueue(Reply::deltas(&["Nice to meet you, Ada."]));
    a.turn(&message("conv", "t1", "I'm Ada.")).await;
    b.turn(&message("conv", "t2", "What's my name?")).await;
    let sent = b.upstream.requests()[0].messages();
    assert_eq!(
        sent[1..],
        [
            ("user".to_string(), "I'm Ada.".to_string()),
            (
                "assistant".to_string(),
                "Nice to meet you, Ada.".to_string()
            ),
            ("user".to_string(), "What's my name?".to_string()),
        ]
    );
}

#[tokio::test]
async fn a_duplicate_delivered_to_the_other_machine_is_stored_once() {
    let (a, b) = two_machines("duplicate").await;
    a.upstream.enqueue(Reply::deltas(&["First answer."]));
    b.upstream.enqueue(Reply::deltas(&["Second answer."]));
    a.turn(&message("conv", "t1", "Hello?")).await;
    let again = b.turn(&message("conv", "t1", "Hello?")).await;
    assert_eq!(spoken(&again), ["Second answer."]);
    let sent = b.upstream.requests()[0].messages();
    assert_eq!(
        sent[1..],
        [("user".to_string(), "Hello?".to_string())],
        "asked again, not shown twice"
    );
    a.settle().await;
    b.settle().await;
    let history = a.store.history("conv").await.expect("store");
    let texts: Vec<&str> = history.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(texts, ["Hello?", "Second answer."]);
}

#[tokio::test]
async fn a_newer_turn_on_b_stops_a_turn_still_streaming_on_a() {
    let (a, b) = two_machines("supersede").await;
    let gate = Arc::new(Notify::new());
    let steps = vec![
        Step::Send(role_chunk()),
        Step::Send(content_chunk("Let me tell you a long story. ")),
        Step::Send(content_chunk("Once")),
        Step::Wait(gate.clone()),
    ];
    a.upstream.enqueue(Reply::Stream {
        steps,
        abort: false,
    });
    let response = a
        .post_webhook(&message("conv", "t1", "Tell me a story"))
        .await;
    let mut on_a = SseReader::new(response);
    let mut a_events = on_a.until_spoken().await;

    let on_b = b.turn(&message("conv", "t2", "Actually, stop.")).await;
    assert_well_formed(&on_b, "t2");
    a_events.extend(on_a.collect().await);
    assert_well_formed(&a_events, "t1");
    assert_eq!(
        a.upstream.closed_mid_stream().len(),
        1,
        "A's model request was cancelled"
    );
    let sent = b.upstream.requests()[0].messages();
    assert_eq!(
        sent[1..],
        [
            ("user".to_string(), "Tell me a story".to_string()),
            (
                "assistant".to_string(),
                "Let me tell you a long story.".to_string()
            ),
            ("user".to_string(), "Actually, stop.".to_string()),
        ],
        "B read A's history only after A settled it"
    );
    gate.notify_one();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_webhooks_on_two_machines_leave_every_history_well_formed() {
    let (a, b) = two_machines("concurrent").await;
    let mut steps = vec![Step::Send(role_chunk())];
    for word in ["One. ", "Two. "] {
        steps.push(Step::Sleep(Duration::from_millis(10)));
        steps.push(Step::Send(content_chunk(word)));
    }
    steps.extend(finish_steps());
    a.upstream.set_default(Reply::Stream {
        steps: steps.clone(),
        abort: false,
    });
    b.upstream.set_default(Reply::Stream {
        steps,
        abort: false,
    });
    let machines = Arc::new([a, b]);
    let mut tasks = JoinSet::new();
    for conversation in 0..6 {
        for turn in 0..6u64 {
            let machines = machines.clone();
            tasks.spawn(async move {
                tokio::time::sleep(Duration::from_millis(turn * 8 + conversation % 3)).await;
                let machine = &machines[(turn as usize + conversation as usize) % 2];
                let body = message(
                    &format!("race-{conversation}"),
                    &format!("t{turn}"),
                    &format!("q{turn}"),
                );
                let events = machine.turn(&body).await;
                assert_well_formed(&events, &format!("t{turn}"));
            });
        }
    }
    while let Some(result) = tasks.join_next().await {
        result.expect("turn task");
    }
    for machine in machines.iter() {
        machine.settle().await;
    }
    for conversation in 0..6 {
        let history = machines[0]
            .store
            .history(&format!("race-{conversation}"))
            .await
            .expect("store");
        assert!(!history.is_empty());
        assert_history_well_formed(&history, &format!("race-{conversation}"));
    }
}

/// A TCP proxy to the local Redis that the test can cut and restore.
struct Proxy {
    port: u16,
    tasks: JoinSet<()>,
}

impl Proxy {
    async fn start(port: u16) -> Self {
        let socket = TcpSocket::new_v4().expect("socket");
        socket.set_reuseaddr(true).expect("reuseaddr");
        socket
            .bind(([127, 0, 0, 1], port).into())
            .expect("bind proxy");
        let listener: TcpListener = socket.listen(64).expect("listen");
        let port = listener.local_addr().expect("addr").port();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut redis) = TcpStream::connect("127.0.0.1:6379").await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut redis).await;
                    }
                });
            }
        });
        Self { port, tasks }
    }

    /// Drops the listener and every proxied connection.
    fn cut(mut self) -> u16 {
        self.tasks.abort_all();
        self.port
    }
}

#[tokio::test]
async fn losing_redis_mid_run_still_ends_every_turn_and_it_comes_back() {
    require_redis().await;
    let proxy = Proxy::start(0).await;
    let url = format!("redis://127.0.0.1:{}", proxy.port);
    let prefix = unique_prefix("outage");
    let calls = crate::helpers::db::sqlite_url("outage");
    let app = spawn_app_with(&[
        ("SESSION_STORE_URL", &url),
        ("SESSION_STORE_PREFIX", &prefix),
        ("CALL_STORE_URL", &calls),
    ])
    .await;
    app.turn(&message("conv", "t1", "Before the outage")).await;

    let port = proxy.cut();
    let during = app.turn(&message("conv", "t2", "During the outage")).await;
    assert_well_formed(&during, "t2");
    assert_eq!(
        spoken(&during),
        ["Hello there.", "How can I help?"],
        "answered without history"
    );
    let metrics = app
        .http
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("sent");
    let text = metrics.text().await.expect("text");
    assert!(
        text.contains("voicebridge_store_errors_total{operation=\"begin_turn\"}"),
        "{text}"
    );

    let _restored = Proxy::start(port).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut turn = 3;
    loop {
        let events = app
            .turn(&message("conv", &format!("t{turn}"), "After the outage"))
            .await;
        assert_well_formed(&events, &format!("t{turn}"));
        let sent = app.upstream.requests().last().expect("request").messages();
        if sent.iter().any(|(_, text)| text == "Before the outage") {
            break; // The store reconnected by itself: history is back.
        }
        assert!(Instant::now() < deadline, "the store did not reconnect");
        turn += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The reply heard during the outage waited on this machine and was saved, with its
    // question, before the history was read again: the model saw the whole call.
    let sent = app.upstream.requests().last().expect("request").messages();
    let texts: Vec<&str> = sent[1..].iter().map(|(_, text)| text.as_str()).collect();
    assert_eq!(
        texts[..4],
        [
            "Before the outage",
            "Hello there. How can I help?",
            "During the outage",
            "Hello there. How can I help?"
        ],
        "{texts:?}"
    );
    // The turn answered without its history says so on record.
    app.settle().await;
    let store = voicebridge::records::CallStore::connect(&calls)
        .await
        .expect("opens");
    let call = voicebridge::records::CallKey {
        agent: "default".into(),
        conversation_id: "conv".into(),
    };
    let mut detail = store.get(&call).await.expect("reads");
    for _ in 0..200 {
        if detail.as_ref().is_some_and(|d| d.turns.len() >= 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        detail = store.get(&call).await.expect("reads");
    }
    let detail = detail.expect("the call");
    let without: Vec<(&str, bool)> = detail
        .turns
        .iter()
        .map(|t| (t.turn_id.as_str(), t.without_history))
        .collect();
    assert_eq!(without[..2], [("t1", false), ("t2", true)], "{without:?}");
}

#[tokio::test]
async fn the_server_refuses_to_start_without_its_redis() {
    let vars = [
        ("LAYERCODE_WEBHOOK_SECRET", "x"),
        ("LLM_API_KEY", "k"),
        ("PORT", "0"),
        ("HOST", "127.0.0.1"),
        (
            "SYSTEM_PROMPT_FILE",
            concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.md"),
        ),
        ("SESSION_STORE_URL", "redis://user:hunter2@127.0.0.1:1"),
    ];
    let settings = settings_from(&vars).expect("valid settings");
    let error = start_up_error(settings).await;
    assert!(
        error.contains("SESSION_STORE_URL") && error.contains("cannot reach Redis"),
        "{error}"
    );
    assert!(
        error.to_lowercase().contains("connection refused"),
        "the cause underneath is shown: {error}"
    );
    assert!(
        !error.contains("hunter2"),
        "no password in the message: {error}"
    );
}

#[tokio::test]
async fn store_failures_name_their_turn_and_the_turn_log_says_it_had_no_history() {
    require_redis().await;
    let proxy = Proxy::start(0).await;
    let url = format!("redis://127.0.0.1:{}", proxy.port);
    let prefix = unique_prefix("attributed");
    let upstream = crate::helpers::fake_upstream::FakeUpstream::start().await;
    let server = crate::helpers::binary::start_binary(
        &upstream,
        &[
            ("SESSION_STORE_URL", &url),
            ("SESSION_STORE_PREFIX", &prefix),
            ("LOG_FORMAT", "json"),
            ("RUST_LOG", "info"),
        ],
    )
    .await;
    let _port = proxy.cut();
    let started = Instant::now();
    let response = server
        .post_webhook(&message("conv_cut", "t_cut", "Anyone there?"))
        .await;
    let events = crate::helpers::sse::SseReader::new(response)
        .collect()
        .await;
    assert_well_formed(&events, "t_cut");
    // Each connection (claims, histories) spends about a second finding Redis gone;
    // after that, operations fail at once.
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let log = server.stop_and_read_log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let failures: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("session store failed"))
        })
        .collect();
    let operations: Vec<&str> = failures
        .iter()
        .filter_map(|l| l["operation"].as_str())
        .collect();
    for operation in ["claim", "begin_turn", "record_reply", "release"] {
        assert!(operations.contains(&operation), "{operation}: {log}");
    }
    for failure in &failures {
        assert_eq!(failure["conversation_id"], "conv_cut", "{failure}");
        assert_eq!(failure["turn_id"], "t_cut", "{failure}");
    }
    let turn = lines
        .iter()
        .find(|l| l["message"] == "turn finished")
        .expect("the turn log line");
    assert_eq!(turn["without_history"], true, "{turn}");
}
