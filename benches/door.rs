//! The three doors side by side on the same fake model (`cargo bench --bench door`).
//!
//! A fake model server paced like a real one (one chunk every PACE) stamps the moment it
//! flushes each chunk. The same reply goes through both doors of the release binary:
//! - Layercode's door speaks in sentences: a sentence's end is certain when the next
//!   chunk (or the end of the stream) arrives, so its added latency is the client's read
//!   of its `response.tts` minus the flush of that next chunk;
//! - the OpenAI door sends the cleaned text as it arrives: a piece's added latency is the
//!   client's read of its content chunk minus the flush of the chunk that carried it;
//! - Retell's WebSocket does the same with `response` messages (each turn a call of its
//!   own: the socket is opened, then the reply asked for; the config is skipped).
//!
//! "first" is the first sentence or piece of each turn, "each" all of them. Both include
//! the same loopback hop from the gateway to this client, so the side-by-side difference
//! is the doors' own. `BENCH_MAX_CONCURRENCY=10` stops after the 10-turn level.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "../tests/api/helpers/fake_upstream.rs"]
#[allow(dead_code)]
mod fake_upstream;
#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use fake_upstream::{content_chunk, finish_steps, role_chunk, FakeUpstream, Reply, Step};
use support::{number_after, percentiles, read_frames, signed_message, start_server};

const PIECES: usize = 5;
const PACE: Duration = Duration::from_millis(50);
const KEY: &str = "bench-door-key-0123456789";

fn main() {
    support::block_on(run());
}

/// Turn T's reply: chunk k is "Turn T sentence k ends here. ", its flush stamped
/// T * 1000 + k; the end of the stream is stamped T * 1000 + PIECES.
fn paced_reply(turn: usize) -> Reply {
    let mut steps = vec![Step::Send(role_chunk())];
    for k in 0..PIECES {
        steps.push(Step::Sleep(PACE));
        steps.push(Step::Send(content_chunk(&format!(
            "Turn {turn} sentence {k} ends here. "
        ))));
        steps.push(Step::Mark(turn * 1000 + k));
    }
    steps.push(Step::Sleep(PACE));
    steps.extend(finish_steps());
    steps.push(Step::Mark(turn * 1000 + PIECES));
    Reply::Stream {
        steps,
        abort: false,
    }
}

/// (turn, k) of a text that says "Turn T sentence K".
fn label(text: &str) -> Option<(usize, usize)> {
    Some((
        number_after(text, "Turn ")?,
        number_after(text, "sentence ")?,
    ))
}

/// Which door a turn goes through.
#[derive(Clone, Copy, PartialEq)]
enum Door {
    Layercode,
    OpenAi,
    Retell,
}

/// Turn `turn` through Retell's socket: (stamp, arrival) per piece, as for the others.
async fn retell_turn(base: &str, turn: usize) -> Vec<(usize, Instant)> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let url = format!(
        "{}/retell/default/{KEY}/bench-{turn}",
        base.replace("http://", "ws://")
    );
    let Ok((mut socket, _)) = tokio_tungstenite::connect_async(url).await else {
        return Vec::new();
    };
    let asked = serde_json::json!({"interaction_type": "response_required", "response_id": 1,
        "transcript": [{"role": "user", "content": format!("Tell me five things ({turn}).")}]});
    if socket.send(Message::text(asked.to_string())).await.is_err() {
        return Vec::new();
    }
    let mut arrivals = Vec::new();
    while let Some(Ok(message)) = socket.next().await {
        let at = Instant::now();
        let Message::Text(text) = message else {
            continue;
        };
        let Ok(event) = serde_json::from_str::<serde_json::Value>(text.as_str()) else {
            continue;
        };
        if event["response_id"] != 1 {
            continue; // the config and the greeting
        }
        if let Some((t, k)) = event["content"].as_str().and_then(label) {
            arrivals.push((t * 1000 + k, at));
        }
        if event["content_complete"] == true {
            break;
        }
    }
    let _ = socket.close(None).await;
    arrivals
}

/// Sends turn `turn` through `door`; returns (stamp the arrival is measured against,
/// arrival) for each sentence or piece read.
async fn turn(
    http: &reqwest::Client,
    base: &str,
    door: Door,
    turn: usize,
) -> Vec<(usize, Instant)> {
    if door == Door::Retell {
        return retell_turn(base, turn).await;
    }
    let text = format!("Tell me five things ({turn}).");
    let request = match door {
        Door::Retell => unreachable!("answered above"),
        Door::Layercode => signed_message(http, &format!("{base}/agent"), &format!("bench-{turn}"), &format!("t{turn}"), &text),
        Door::OpenAi => http
            .post(format!("{base}/openai/v1/chat/completions"))
            .bearer_auth(KEY)
            .json(&serde_json::json!({"stream": true, "messages": [{"role": "user", "content": text}]})),
    };
    let Ok(response) = request.send().await else {
        return Vec::new();
    };
    let mut arrivals = Vec::new();
    read_frames(response, |json, at| {
        let Ok(event) = serde_json::from_slice::<serde_json::Value>(json) else {
            return;
        };
        let said = match door {
            Door::Layercode if event["type"] == "response.tts" => event["content"].as_str(),
            Door::OpenAi => event["choices"][0]["delta"]["content"].as_str(),
            Door::Layercode | Door::Retell => None,
        };
        let Some((t, k)) = said.and_then(label) else {
            return;
        };
        // A sentence is certain at the next chunk; a piece is out at its own.
        let stamp = match door {
            Door::Layercode => t * 1000 + k + 1,
            Door::OpenAi | Door::Retell => t * 1000 + k,
        };
        arrivals.push((stamp, at));
    })
    .await;
    arrivals
}

/// Runs `n` turns at once through `door`; returns the added latencies (µs) of the first
/// sentence or piece of each turn and of all of them, and how many turns were whole.
async fn level(
    http: &reqwest::Client,
    model: &FakeUpstream,
    base: &str,
    door: Door,
    n: usize,
    first_turn: usize,
) -> (Vec<f64>, Vec<f64>, usize) {
    for t in first_turn..first_turn + n {
        model.enqueue(paced_reply(t));
    }
    let tasks: Vec<_> = (first_turn..first_turn + n)
        .map(|t| {
            let (http, base) = (http.clone(), base.to_string());
            tokio::spawn(async move { turn(&http, &base, door, t).await })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap_or_default());
    }
    let marks: HashMap<usize, Instant> = model.marks().into_iter().collect();
    let (mut first, mut each, mut whole) = (Vec::new(), Vec::new(), 0);
    for arrivals in results {
        if arrivals.len() == PIECES {
            whole += 1;
        }
        for (i, (stamp, at)) in arrivals.into_iter().enumerate() {
            let Some(flushed) = marks.get(&stamp) else {
                continue;
            };
            let micros = at.saturating_duration_since(*flushed).as_secs_f64() * 1e6;
            if i == 0 {
                first.push(micros);
            }
            each.push(micros);
        }
    }
    (first, each, whole)
}

async fn run() {
    let model = FakeUpstream::start().await;
    let server = start_server(
        &model,
        &[
            ("OPENAI_DOOR_KEYS", KEY),
            ("RETELL_KEYS", KEY),
            ("WELCOME_MESSAGE", ""),
        ],
    )
    .await;
    let base = server.url.trim_end_matches("/agent").to_string();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let max = std::env::var("BENCH_MAX_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    // One warm-up turn through each door.
    level(&http, &model, &base, Door::Layercode, 1, 1).await;
    level(&http, &model, &base, Door::OpenAi, 1, 2).await;
    level(&http, &model, &base, Door::Retell, 1, 3).await;
    println!(
        "== added latency, µs (p50/p95/max), {PIECES} sentences a turn, one chunk every {} ms",
        PACE.as_millis()
    );
    println!(
        "{:>6}  {:<10} {:>28} {:>28} {:>7}",
        "turns", "door", "first", "each", "whole"
    );
    let mut next = 10;
    for n in [1usize, 10, 100, 500].into_iter().filter(|n| *n <= max) {
        for (name, door) in [
            ("layercode", Door::Layercode),
            ("openai", Door::OpenAi),
            ("retell", Door::Retell),
        ] {
            let (first, each, whole) = level(&http, &model, &base, door, n, next).await;
            next += n;
            println!(
                "{n:>6}  {name:<10} {:>28} {:>28} {:>3}/{n}",
                percentiles(first, &[0.5, 0.95]),
                percentiles(each, &[0.5, 0.95]),
                whole
            );
        }
    }
}
