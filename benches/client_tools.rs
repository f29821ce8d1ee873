//! The gateway's own cost around one client tool round (`cargo bench --bench
//! client_tools`), on the release binary.
//!
//! Each turn: the fake model streams one call of the client tool `show_text` and stamps the
//! moment its `[DONE]` left; this process, as the page, reads the turn's SSE stream and
//! stamps the moment the `tool_call` event arrived, then POSTs the signed `tool_result`
//! data webhook (stamped as it is sent); the fake model stamps the moment the follow-up
//! request carrying the result arrived. So:
//!
//! - "model → page" = `tool_call` event read − `[DONE]` flushed: reading the end of the
//!   stream, assembling and validating the call, announcing it in Redis (when set), and
//!   the SSE event's way to the page;
//! - "page → model" = follow-up request received − `tool_result` webhook sent: the
//!   webhook (signature, JSON), handing the answer to the waiting call (over Redis pub/sub
//!   when it reached the other machine), and sending the next model request.
//!
//! Each side crosses two loopback HTTP hops (fake → server → page, page → server →
//! fake); the "one HTTP request" row is the floor of one, the "one Redis PING" row that
//! of one Redis round trip. Setups: one machine without Redis; one machine on Redis,
//! answered on that machine; two machines on Redis (one prefix per run), the turn on A
//! and the answer POSTed to B, which forwards it to A. Turns run one after another, then
//! CONCURRENT at once; WARM_UP unmeasured turns first open each setup's connections.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "../tests/api/helpers/fake_upstream.rs"]
#[allow(dead_code)]
mod fake_upstream;
#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fake_upstream::{FakeUpstream, Reply};
use serde_json::{json, Value};
use support::{
    cpu_seconds, http_floor, intervals, percentiles, signed_message, signed_webhook, start_server,
    tool_results_received, ToolRound,
};

const REDIS_URL: &str = "redis://127.0.0.1:6379";
/// Turns measured one after another, per setup.
const SEQUENTIAL: usize = 200;
/// Turns started at once, and how many such batches, per setup.
const CONCURRENT: usize = 50;
const BATCHES: usize = 4;
const WARM_UP: usize = 10;
/// The longest this process waits for any one step of a turn.
const PATIENCE: Duration = Duration::from_secs(10);
const QUANTILES: [f64; 3] = [0.5, 0.9, 0.99];

const SHOW_TEXT: &str = r#"client = true
description = "Show a short text on the caller's screen."
timeout_ms = 10000

[parameters]
type = "object"
required = ["text"]
[parameters.properties.text]
type = "string"
"#;

fn main() {
    support::block_on(run());
}

const ROUND: ToolRound = ToolRound {
    asks: "Show code ",
    tool: "show_text",
    arguments: |turn| format!(r#"{{"text":"A{turn}"}}"#),
    think: Duration::ZERO,
    answer: "It is on your screen.",
};

/// Where a setup's turns go, and where the page's answers go.
struct Setup {
    name: &'static str,
    turn_url: String,
    answer_url: String,
    pids: Vec<String>,
}

/// What the page saw of one turn.
#[derive(Default)]
struct Seen {
    /// When the `tool_call` event was read.
    shown: Option<Instant>,
    /// When the `tool_result` webhook was sent.
    answered: Option<Instant>,
    /// The answer was received and the turn ended with the model's words.
    ok: bool,
}

async fn turn(http: &reqwest::Client, setup: &Setup, n: usize) -> Seen {
    let mut seen = Seen::default();
    let conversation = format!("client-tools-{n}");
    let turn_id = format!("t{n}");
    let request = signed_message(
        http,
        &setup.turn_url,
        &conversation,
        &turn_id,
        &format!("Show code {n}, please."),
    );
    let Ok(response) = request.send().await else {
        return seen;
    };
    let (called, on_call) = tokio::sync::oneshot::channel::<(String, Instant)>();
    let reading = tokio::spawn(async move {
        let mut called = Some(called);
        let (mut spoke, mut ended) = (false, false);
        let complete = support::read_frames(response, |json, at| {
            let Ok(event) = serde_json::from_slice::<Value>(json) else {
                return;
            };
            if let Some(id) = event["content"]["tool_call"]["id"].as_str() {
                if let Some(called) = called.take() {
                    let _ = called.send((id.to_string(), at));
                }
            }
            spoke |= event["type"] == "response.tts"
                && event["content"]
                    .as_str()
                    .is_some_and(|text| text.contains("on your screen"));
            ended |= event["type"] == "response.end";
        })
        .await;
        complete && spoke && ended
    });
    let Ok(Ok((id, shown))) = tokio::time::timeout(PATIENCE, on_call).await else {
        reading.abort();
        return seen;
    };
    seen.shown = Some(shown);
    let answer = json!({
        "type": "data", "conversation_id": conversation, "turn_id": turn_id,
        "data": {"tool_result": {"id": id, "result": {"shown": true}}},
    });
    let request = signed_webhook(http, &setup.answer_url, &answer);
    seen.answered = Some(Instant::now());
    let received = match request.send().await {
        Ok(response) => response
            .json::<Value>()
            .await
            .is_ok_and(|body| body["content"]["received"] == true),
        Err(_) => false,
    };
    let ended = tokio::time::timeout(PATIENCE, reading).await;
    seen.ok = received && id == format!("call_{n}") && matches!(ended, Ok(Ok(true)));
    seen
}

/// Runs turns `numbers`, `at_once` at a time; returns what the page saw, by turn.
async fn turns(
    http: &reqwest::Client,
    setup: &Arc<Setup>,
    numbers: &[usize],
    at_once: usize,
) -> HashMap<usize, Seen> {
    let mut all = HashMap::new();
    for batch in numbers.chunks(at_once) {
        let tasks: Vec<_> = batch
            .iter()
            .map(|&n| {
                let (http, setup) = (http.clone(), setup.clone());
                tokio::spawn(async move { (n, turn(&http, &setup, n).await) })
            })
            .collect();
        all.extend(
            futures_util::future::join_all(tasks)
                .await
                .into_iter()
                .flatten(),
        );
    }
    all
}

/// Numbers the turns of every level of every setup, so that stamps never collide.
struct Counter(Mutex<usize>);

impl Counter {
    fn take(&self, count: usize) -> Vec<usize> {
        let mut next = self.0.lock().expect("lock");
        let numbers = (*next..*next + count).collect();
        *next += count;
        numbers
    }
}

const HEADER_WIDTHS: (usize, usize, usize) = (43, 6, 31);

async fn measure(http: &reqwest::Client, model: &FakeUpstream, setup: Setup, counter: &Counter) {
    let setup = Arc::new(setup);
    turns(http, &setup, &counter.take(WARM_UP), 1).await;
    let (label, turn, side) = HEADER_WIDTHS;
    for (level, count, at_once) in [
        ("one at a time", SEQUENTIAL, 1),
        ("50 at once", CONCURRENT * BATCHES, CONCURRENT),
    ] {
        let cpu: f64 = setup.pids.iter().map(|pid| cpu_seconds(pid)).sum();
        let numbers = counter.take(count);
        let seen = turns(http, &setup, &numbers, at_once).await;
        let cpu = setup.pids.iter().map(|pid| cpu_seconds(pid)).sum::<f64>() - cpu;
        let done: HashMap<usize, Instant> = model.marks().into_iter().collect();
        let stamps = |pick: fn(&Seen) -> Option<Instant>| -> HashMap<usize, Instant> {
            seen.iter()
                .filter_map(|(n, s)| Some((*n, pick(s)?)))
                .collect()
        };
        let shown = stamps(|s| s.shown);
        let answered = stamps(|s| s.answered);
        let followed = tool_results_received(model);
        let errors = numbers
            .iter()
            .filter(|n| !seen.get(n).is_some_and(|s| s.ok))
            .count();
        println!(
            "{:<label$} {:>turn$} {:>side$} {:>side$} {:>7} {:>7.2}",
            format!("{}, {level}", setup.name),
            numbers.len(),
            percentiles(intervals(&numbers, &done, &shown), &QUANTILES),
            percentiles(intervals(&numbers, &answered, &followed), &QUANTILES),
            errors,
            cpu,
        );
    }
}

/// µs per Redis round trip (PING), `count` times; empty when Redis does not answer.
async fn redis_floor(count: usize) -> Vec<f64> {
    let Ok(client) = redis::Client::open(REDIS_URL) else {
        return Vec::new();
    };
    let connect = tokio::time::timeout(
        Duration::from_secs(2),
        client.get_multiplexed_async_connection(),
    );
    let Ok(Ok(mut connection)) = connect.await else {
        return Vec::new();
    };
    let mut micros = Vec::new();
    for _ in 0..count {
        let sent = Instant::now();
        let pong: redis::RedisResult<String> =
            redis::cmd("PING").query_async(&mut connection).await;
        if pong.is_ok() {
            micros.push(sent.elapsed().as_secs_f64() * 1e6);
        }
    }
    micros
}

/// Deletes what the run left under `prefix` (sessions would expire on their own).
async fn forget(prefix: &str) {
    let Ok(client) = redis::Client::open(REDIS_URL) else {
        return;
    };
    let Ok(mut connection) = client.get_multiplexed_async_connection().await else {
        return;
    };
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut connection)
        .await
        .unwrap_or_default();
    for chunk in keys.chunks(500) {
        let _: redis::RedisResult<usize> = redis::cmd("DEL")
            .arg(chunk)
            .query_async(&mut connection)
            .await;
    }
}

async fn run() {
    let model = FakeUpstream::start().await;
    model.set_responder(Arc::new(|request| ROUND.reply(request)));
    let dir = std::env::temp_dir().join(format!(
        "voicebridge-bench-client-tools-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("show_text.toml"), SHOW_TEXT).expect("tool file");
    let tools_dir = dir.to_str().expect("utf-8").to_string();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(10_000)
        .build()
        .expect("client");
    let counter = Counter(Mutex::new(1));

    println!("voicebridge release binary; one client tool round per turn (model → page → model), the page answers at once\n");
    let (label, turn, side) = HEADER_WIDTHS;
    println!(
        "{:<label$} {:>turn$} {:>side$} {:>side$} {:>7} {:>7}",
        "",
        "turns",
        "model → page p50/p90/p99/max µs",
        "page → model p50/p90/p99/max µs",
        "errors",
        "CPU s",
    );

    let alone = start_server(&model, &[("TOOLS_DIR", tools_dir.as_str())]).await;
    let setup = Setup {
        name: "1 machine, no Redis",
        turn_url: alone.url.clone(),
        answer_url: alone.url.clone(),
        pids: vec![alone.child.id().to_string()],
    };
    measure(&http, &model, setup, &counter).await;
    drop(alone);

    let redis_micros = redis_floor(200).await;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let prefix = format!("vb-bench:client-tools:{stamp}:");
    if redis_micros.is_empty() {
        println!("(Redis at {REDIS_URL} does not answer: the Redis setups are skipped)");
    } else {
        let vars = [
            ("TOOLS_DIR", tools_dir.as_str()),
            ("SESSION_STORE_URL", REDIS_URL),
            ("SESSION_STORE_PREFIX", prefix.as_str()),
        ];
        let a = start_server(&model, &vars).await;
        let b = start_server(&model, &vars).await;
        let (a_pid, b_pid) = (a.child.id().to_string(), b.child.id().to_string());
        let setup = Setup {
            name: "1 machine, Redis",
            turn_url: a.url.clone(),
            answer_url: a.url.clone(),
            pids: vec![a_pid.clone()],
        };
        measure(&http, &model, setup, &counter).await;
        let setup = Setup {
            name: "2 machines, Redis, forwarded",
            turn_url: a.url.clone(),
            answer_url: b.url.clone(),
            pids: vec![a_pid, b_pid],
        };
        measure(&http, &model, setup, &counter).await;
        drop((a, b));
        forget(&prefix).await;
    }

    // The floors: one HTTP request from this process to a fake that answers at once, and
    // one Redis round trip.
    let floor = FakeUpstream::start().await;
    floor.set_default(Reply::plain(200, r#"{"received":true}"#, Duration::ZERO));
    let url = format!("{}/floor", floor.base_url.trim_end_matches("/v1"));
    let http_micros = http_floor(&http, &floor, &url, 200).await;
    for (name, micros) in [
        ("one HTTP request (client → fake)", http_micros),
        ("one Redis PING round trip", redis_micros),
    ] {
        println!(
            "{:<label$} {:>turn$} {:>side$}",
            name,
            micros.len(),
            percentiles(micros, &QUANTILES)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
