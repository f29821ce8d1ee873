//! Faults that must never lose a turn the caller heard end (issue 24): Redis SIGKILLed in
//! the middle of a load on two machines, and a machine SIGKILLed right after a batch of
//! turns ended. Both run the real binary on a private Redis that fsyncs every write, and
//! read what was stored straight from it (`helpers::history_check` says what must be there).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use voicebridge::session::ChatMessage;

use crate::helpers::binary::start_binary;
use crate::helpers::fake_upstream::{
    content_chunk, finish_steps, role_chunk, FakeUpstream, Recorded, Reply, Step,
};
use crate::helpers::history_check::HeardReport;
use crate::helpers::redis_server::{stored_history, unique_prefix, PrivateRedis};
use crate::helpers::*;

/// What the model says to `question`, so a stored reply shows which turn it answers.
fn answer_to(question: &str) -> String {
    format!("Answer to {question}.")
}

/// A fake model answering every request, in two sentences a few milliseconds apart, with
/// [`answer_to`] its last user message.
async fn answering_upstream() -> FakeUpstream {
    let upstream = FakeUpstream::start().await;
    upstream.set_responder(Arc::new(|request: &Recorded| {
        let question = request
            .messages()
            .last()
            .map(|(_, text)| text.clone())
            .unwrap_or_default();
        let mut steps = vec![Step::Send(role_chunk())];
        for sentence in ["Sure. ".to_string(), answer_to(&question)] {
            steps.push(Step::Sleep(Duration::from_millis(10)));
            steps.push(Step::Send(content_chunk(&sentence)));
        }
        steps.extend(finish_steps());
        Reply::Stream {
            steps,
            abort: false,
        }
    }));
    upstream
}

/// Sends the signed webhook `body` to the machine at `url` and reads its reply to the end;
/// whether the caller received its `response.end` (a refused request, a broken stream or
/// a dead machine before it is no end). `on_end` runs the moment it is read.
async fn heard_end(http: &reqwest::Client, url: &str, body: &Value, on_end: impl FnOnce()) -> bool {
    let bytes = serde_json::to_vec(body).expect("json");
    let signature = voicebridge::webhook::signature::sign(SECRET.as_bytes(), now(), &bytes);
    let sent = http
        .post(format!("{url}/agent"))
        .header("layercode-signature", signature)
        .body(bytes)
        .send()
        .await;
    let Ok(response) = sent.and_then(reqwest::Response::error_for_status) else {
        return false;
    };
    let mut stream = response.bytes_stream();
    let (mut buffer, mut on_end, mut ended) = (Vec::new(), Some(on_end), false);
    while let Ok(Some(Ok(chunk))) =
        tokio::time::timeout(Duration::from_secs(10), stream.next()).await
    {
        buffer.extend_from_slice(&chunk);
        while let Some(pos) = buffer.windows(2).position(|w| w == b"\n\n") {
            let frame: Vec<u8> = buffer.drain(..pos + 2).collect();
            let event: Value = frame[..pos]
                .strip_prefix(b"data: ")
                .and_then(|json| serde_json::from_slice(json).ok())
                .unwrap_or_default();
            if event["type"] == "response.end" {
                ended = true;
                if let Some(on_end) = on_end.take() {
                    on_end();
                }
            }
        }
    }
    ended
}

/// The report on every conversation's stored history once it is complete and has not
/// changed for 2 s; replies kept back while Redis was away may still be arriving, so an
/// incomplete one is read again for 10 s before it is reported.
async fn settled_report(
    url: &str,
    prefix: &str,
    heard: &HashMap<String, Vec<String>>,
    sent: &[String],
) -> HeardReport {
    let read = || async {
        let mut histories = HashMap::new();
        for conversation in heard.keys() {
            let history = stored_history(url, prefix, conversation).await;
            histories.insert(conversation.clone(), history);
        }
        histories
    };
    let report = |histories: &HashMap<String, Vec<ChatMessage>>| {
        let mut report = HeardReport::default();
        for (conversation, ended) in heard {
            report.check(conversation, &histories[conversation], sent, ended);
        }
        report
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = read().await;
    let mut unchanged_since = Instant::now();
    loop {
        let complete = report(&last).is_clean();
        if Instant::now() > deadline || complete && unchanged_since.elapsed().as_secs() >= 2 {
            return report(&last);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = read().await;
        if now != last {
            (last, unchanged_since) = (now, Instant::now());
        }
    }
}

fn turn_ids(count: usize) -> Vec<String> {
    (1..=count).map(|t| format!("t{t}")).collect()
}

fn question(conversation: &str, turn: &str) -> String {
    format!("Question {turn} of {conversation}?")
}

const CONVERSATIONS: usize = 40;
const TURNS: usize = 8;
const IN_FLIGHT: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_killed_mid_load_loses_no_turn_the_caller_heard_end() {
    let mut redis = PrivateRedis::start().await;
    let upstream = answering_upstream().await;
    let prefix = unique_prefix("faults-redis");
    let vars = [
        ("SESSION_STORE_URL", redis.url.as_str()),
        ("SESSION_STORE_PREFIX", prefix.as_str()),
    ];
    let (a, b) = (
        start_binary(&upstream, &vars).await,
        start_binary(&upstream, &vars).await,
    );
    let urls = Arc::new([a.url.clone(), b.url.clone()]);
    let http = reqwest::Client::new();
    let done = Arc::new(AtomicUsize::new(0));
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut tasks = JoinSet::new();
    for c in 0..CONVERSATIONS {
        let (urls, http, done, slots) = (urls.clone(), http.clone(), done.clone(), slots.clone());
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("semaphore");
            let conversation = format!("conv-{c}");
            let mut ended = Vec::new();
            // One turn after another, alternating machines, each after the last one ended.
            for (t, turn) in turn_ids(TURNS).into_iter().enumerate() {
                let body = message(&conversation, &turn, &question(&conversation, &turn));
                if heard_end(&http, &urls[(c + t) % 2], &body, || {}).await {
                    ended.push(turn);
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            (conversation, ended)
        });
    }
    // The fault: Redis SIGKILLed once a third of the turns are done, back 1.5 s later.
    while done.load(Ordering::Relaxed) < CONVERSATIONS * TURNS / 3 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    redis.kill();
    let killed_at = done.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let restarted_at = done.load(Ordering::Relaxed);
    redis.restart().await;
    let mut heard = HashMap::new();
    while let Some(result) = tasks.join_next().await {
        let (conversation, ended) = result.expect("conversation task");
        heard.insert(conversation, ended);
    }
    eprintln!("Redis killed after {killed_at} turns, restarted after {restarted_at}");

    let report = settled_report(&redis.url, &prefix, &heard, &turn_ids(TURNS)).await;
    report.assert_nothing_lost("Redis killed mid-load");
}

const BURST: usize = 60;
const KILL_AFTER: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_machine_killed_right_after_turns_end_loses_none_of_them() {
    let redis = PrivateRedis::start().await;
    let upstream = answering_upstream().await;
    let prefix = unique_prefix("faults-machine");
    let vars = [
        ("SESSION_STORE_URL", redis.url.as_str()),
        ("SESSION_STORE_PREFIX", prefix.as_str()),
    ];
    let a = Arc::new(Mutex::new(start_binary(&upstream, &vars).await));
    let a_url = a.lock().expect("lock").url.clone();
    let b = start_binary(&upstream, &vars).await;
    let http = reqwest::Client::new();
    let conversations: Vec<String> = (0..BURST).map(|c| format!("conv-{c}")).collect();

    // Every conversation's first turn on B, then a burst of second turns on A, which is
    // SIGKILLed the moment the caller has read the KILL_AFTER-th response.end.
    for conversation in &conversations {
        let body = message(conversation, "t1", &question(conversation, "t1"));
        assert!(heard_end(&http, &b.url, &body, || {}).await, "t1 on B");
    }
    let ends = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    for conversation in conversations.clone() {
        let (a, a_url, http, ends) = (a.clone(), a_url.clone(), http.clone(), ends.clone());
        tasks.spawn(async move {
            let body = message(&conversation, "t2", &question(&conversation, "t2"));
            let kill = || {
                if ends.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                    // SIGKILL straight from the process, no `kill` command to wait for.
                    let _ = a.lock().expect("lock").child.kill();
                }
            };
            let ended = heard_end(&http, &a_url, &body, kill).await;
            (conversation, ended)
        });
    }
    let mut heard = HashMap::new();
    while let Some(result) = tasks.join_next().await {
        let (conversation, ended) = result.expect("turn task");
        heard.insert(conversation, ended);
    }

    let mut report = HeardReport::default();
    let mut answered = Vec::new();
    for conversation in &conversations {
        let history = stored_history(&redis.url, &prefix, conversation).await;
        let mut ended = vec!["t1".to_string()];
        if heard[conversation] {
            ended.push("t2".to_string());
            answered.push(conversation.clone());
        }
        report.check(conversation, &history, &turn_ids(2), &ended);
    }

    // B answers each conversation whose second turn ended (all at once: each may first
    // wait out the claim A left behind), knowing that turn's reply.
    let mut tasks = JoinSet::new();
    for conversation in answered {
        let (http, url) = (http.clone(), b.url.clone());
        tasks.spawn(async move {
            let body = message(&conversation, "t3", &question(&conversation, "t3"));
            let ended = heard_end(&http, &url, &body, || {}).await;
            (conversation, ended)
        });
    }
    let mut third_turns = Vec::new();
    while let Some(result) = tasks.join_next().await {
        third_turns.push(result.expect("turn task"));
    }
    let requests = upstream.requests();
    for (conversation, ended) in third_turns {
        if !ended {
            report
                .broken
                .push(format!("{conversation}/t3: no response.end from B"));
            continue;
        }
        // Its question may come merged with an unanswered one before it.
        let asked = question(&conversation, "t3");
        let request = requests
            .iter()
            .find(|r| {
                r.messages()
                    .last()
                    .is_some_and(|(_, text)| text.contains(&asked))
            })
            .expect("B asked the model");
        let reply = answer_to(&question(&conversation, "t2"));
        if !request
            .messages()
            .iter()
            .any(|(role, text)| role == "assistant" && text.contains(&reply))
        {
            report
                .broken
                .push(format!("{conversation}/t3: B answered without t2's reply"));
        }
    }
    report.assert_nothing_lost("machine killed after response.end");
}
