//! Benchmarks that print numbers (`cargo bench --bench pipeline`).
//!
//! 1. Pure hot-path costs: chunking a delta, decoding an upstream event, framing an SSE event.
//! 2. The gateway's own added latency, end to end over loopback: from the moment the fake
//!    model flushes the bytes that complete a sentence to the moment the client has read
//!    that sentence's `response.tts` frame. This includes two loopback TCP hops, both HTTP
//!    stacks and the kernel, so it is an upper bound on what voicebridge itself adds.
//!    Measured for sequential turns and for many concurrent streaming turns.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "../tests/api/fake_upstream.rs"]
#[allow(dead_code)]
mod fake_upstream;

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use fake_upstream::{content_chunk, finish_steps, role_chunk, FakeUpstream, Reply, Step};
use futures_util::StreamExt;
use voicebridge::config::Settings;
use voicebridge::llm::decode::decode_event;
use voicebridge::llm::ReplyStream;
use voicebridge::speech::{SpeechSettings, SpeechStream};
use voicebridge::sse;
use voicebridge::startup::Application;
use voicebridge::turn::TurnEvent;
use voicebridge::webhook::signature;

const SECRET: &str = "whsec_bench";
const SENTENCES: usize = 5;

fn main() {
    micro_benchmarks();
    memory_per_conversation();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(end_to_end());
}

fn time_per_op(label: &str, ops: usize, run: impl FnOnce()) {
    let start = Instant::now();
    run();
    let ns = start.elapsed().as_nanos() as f64 / ops as f64;
    println!("{label:<52} {ns:>10.0} ns/op");
}

fn micro_benchmarks() {
    println!("== hot path (single thread)");
    let reply = "Sure. Dr. Smith can see you at 3 p.m. tomorrow. Does that work? \
                 The office is on Main St. near the park, e.g. next to the bakery. See you!";
    // Token-sized deltas, as models stream them.
    let deltas: Vec<String> = reply.split_inclusive(' ').map(str::to_string).collect();
    let rounds = 20_000;
    time_per_op(
        "speech: clean + chunk one ~5-char delta",
        rounds * deltas.len(),
        || {
            for _ in 0..rounds {
                let mut chunker = SpeechStream::new(SpeechSettings::default());
                for delta in &deltas {
                    black_box(chunker.push(delta));
                }
                black_box(chunker.finish());
            }
        },
    );

    let event = r#"{"id":"chatcmpl-6c274dbad03c49fe8028f4f2","object":"chat.completion.chunk","created":1795827987,"model":"gpt-4o-mini","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":"tomorrow. "},"logprobs":null,"finish_reason":null}],"usage":null}"#;
    let n = 200_000;
    time_per_op("decode: one OpenAI content chunk (JSON)", n, || {
        for _ in 0..n {
            black_box(decode_event("message", black_box(event)).ok());
        }
    });

    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/upstream/llmock-reply-with-usage.sse"
    ))
    .expect("fixture");
    let events_in_fixture = body.windows(2).filter(|w| w == b"\n\n").count();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("rt");
    let rounds = 5_000;
    time_per_op(
        "upstream stream: SSE framing + decode per event",
        rounds * events_in_fixture,
        || {
            rt.block_on(async {
                for _ in 0..rounds {
                    let bytes = Bytes::from(body.clone());
                    let mut stream =
                        ReplyStream::new(futures_util::stream::iter([Ok::<_, std::io::Error>(
                            bytes,
                        )]));
                    while let Some(item) = stream.next().await {
                        black_box(item.ok());
                    }
                }
            });
        },
    );

    let tts = TurnEvent::Speak("Dr. Smith can see you at 3 p.m. tomorrow.".into(), None);
    let n = 500_000;
    time_per_op("sse: frame one response.tts", n, || {
        for _ in 0..n {
            black_box(sse::encode(black_box(&tts), "turn_42"));
        }
    });
}

/// Resident memory added by conversations in the in-memory store: 10 000 conversations of
/// 10 turns each (a 60-character question, a 200-character answer), default limits.
fn memory_per_conversation() {
    use voicebridge::session::{ChatMessage, HistoryLimits, MemoryStore, SessionStore};
    println!("\n== memory per conversation (in-memory store)");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("rt");
    let conversations = 10_000;
    let question = "q".repeat(60);
    let answer = "a".repeat(200);
    let before = rss_mib();
    let store = MemoryStore::new(HistoryLimits::default(), conversations);
    rt.block_on(async {
        for c in 0..conversations {
            let id = format!("conversation-{c:08}");
            for t in 0..10 {
                let turn = format!("turn-{t:04}");
                store
                    .begin_turn(&id, ChatMessage::user(question.clone(), &turn), None)
                    .await
                    .expect("store");
                store
                    .record_reply(&id, ChatMessage::assistant(answer.clone(), &turn))
                    .await
                    .expect("store");
            }
        }
    });
    let added = (rss_mib() - before) * 1024.0 * 1024.0;
    println!(
        "{:<52} {:>10.0} bytes/conversation ({} conversations, {:.1} MiB; text alone is 2 600 bytes)",
        "10 turns of 60 + 200 characters",
        added / conversations as f64,
        conversations,
        added / 1024.0 / 1024.0
    );
    black_box(&store);
}

/// A reply of SENTENCES sentences for turn `turn`; each sentence's end becomes certain
/// with the chunk after it, which is followed by a mark `turn * 100 + k`.
fn scripted_reply(turn: usize, gap: Duration) -> Reply {
    let mut steps = vec![Step::Send(role_chunk())];
    for k in 0..SENTENCES {
        if !gap.is_zero() {
            steps.push(Step::Sleep(gap));
        }
        steps.push(Step::Send(content_chunk(&format!(
            "Turn {turn} sentence {k} "
        ))));
        steps.push(Step::Send(content_chunk("ends here. ")));
        if k > 0 {
            // This chunk's first letter completed sentence k - 1.
            steps.push(Step::Mark(turn * 100 + k - 1));
        }
    }
    steps.extend(finish_steps());
    steps.push(Step::Mark(turn * 100 + SENTENCES - 1));
    Reply::Stream {
        steps,
        abort: false,
    }
}

struct Bench {
    address: String,
    http: reqwest::Client,
    upstream: FakeUpstream,
}

async fn start() -> Bench {
    let upstream = FakeUpstream::start().await;
    let prompt = concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.md");
    let vars = [
        ("HOST", "127.0.0.1"),
        ("PORT", "0"),
        ("LAYERCODE_WEBHOOK_SECRET", SECRET),
        ("LLM_BASE_URL", upstream.base_url.as_str()),
        ("LLM_API_KEY", "sk-bench"),
        ("SYSTEM_PROMPT_FILE", prompt),
        ("RUST_LOG", "error"),
    ];
    let settings = Settings::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .expect("settings");
    voicebridge::telemetry::init("error", settings.log_format);
    let app = Application::build(settings).await.expect("app");
    let address = format!("http://127.0.0.1:{}/agent", app.port());
    tokio::spawn(app.run_until_stopped());
    Bench {
        address,
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(2048)
            .build()
            .expect("client"),
        upstream,
    }
}

/// Runs one turn and returns (label, arrival time) of every spoken sentence.
async fn run_turn(bench: &Bench, turn: usize) -> Vec<(usize, Instant)> {
    let body = serde_json::json!({
        "type": "message", "conversation_id": format!("bench_{turn}"),
        "turn_id": format!("t{turn}"), "text": "Hello",
    });
    let bytes = serde_json::to_vec(&body).expect("json");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let response = bench
        .http
        .post(&bench.address)
        .header(
            "layercode-signature",
            signature::sign(SECRET.as_bytes(), now, &bytes),
        )
        .body(bytes)
        .send()
        .await
        .expect("sent");
    let mut stream = response.bytes_stream();
    let mut buffer = Vec::new();
    let mut arrivals = Vec::new();
    while let Some(chunk) = stream.next().await {
        buffer.extend_from_slice(&chunk.expect("body"));
        while let Some(pos) = buffer.windows(2).position(|w| w == b"\n\n") {
            let frame: Vec<u8> = buffer.drain(..pos + 2).collect();
            let arrived = Instant::now();
            let json: serde_json::Value =
                serde_json::from_slice(&frame[6..pos]).expect("frame json");
            if json["type"] == "response.tts" {
                let text = json["content"].as_str().expect("text");
                // "Turn T sentence K ends here."
                let words: Vec<&str> = text.split(' ').collect();
                let t: usize = words[1].parse().expect("turn");
                let k: usize = words[3].parse().expect("k");
                arrivals.push((t * 100 + k, arrived));
            }
        }
    }
    arrivals
}

fn report(label: &str, bench: &Bench, arrivals: &[(usize, Instant)]) {
    let marks: std::collections::HashMap<usize, Instant> =
        bench.upstream.marks().into_iter().collect();
    let mut micros: Vec<f64> = arrivals
        .iter()
        .filter_map(|(label, at)| {
            marks
                .get(label)
                .map(|m| at.duration_since(*m).as_secs_f64() * 1e6)
        })
        .collect();
    micros.sort_by(f64::total_cmp);
    let pct = |p: f64| micros[((micros.len() - 1) as f64 * p).round() as usize];
    println!(
        "{label:<48} n={:<6} p50={:>7.0} µs  p90={:>7.0} µs  p99={:>7.0} µs  max={:>7.0} µs",
        micros.len(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        micros[micros.len() - 1]
    );
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn end_to_end() {
    println!("\n== end to end over loopback (server, fake model and client share 2 cores)");
    let bench = start().await;
    let mut turn = 0;
    // Warm-up.
    for _ in 0..20 {
        bench.upstream.enqueue(scripted_reply(turn, Duration::ZERO));
        run_turn(&bench, turn).await;
        turn += 1;
    }

    let mut arrivals = Vec::new();
    for _ in 0..300 {
        bench.upstream.enqueue(scripted_reply(turn, Duration::ZERO));
        arrivals.extend(run_turn(&bench, turn).await);
        turn += 1;
    }
    report("sentence complete -> tts read, 1 turn", &bench, &arrivals);

    // Lockstep: every turn starts at once, so every model chunk lands in the same instant
    // (a worst case). Staggered: starts spread over one 100 ms token gap, as independent
    // calls are.
    for (concurrency, stagger) in [(100usize, false), (1000, false), (1000, true)] {
        let first = turn;
        for t in first..first + concurrency {
            // About 20 tokens per second per turn: turns overlap like real calls.
            let reply = scripted_reply(t, Duration::from_millis(100));
            bench.upstream.enqueue(reply);
        }
        let started = Instant::now();
        let turns = futures_util::stream::iter(first..first + concurrency).map(|t| {
            let bench = &bench;
            async move {
                if stagger {
                    tokio::time::sleep(Duration::from_millis((t * 37 % 100) as u64)).await;
                }
                run_turn(bench, t).await
            }
        });
        let results: Vec<Vec<(usize, Instant)>> =
            turns.buffer_unordered(concurrency).collect().await;
        let elapsed = started.elapsed();
        turn += concurrency;
        let arrivals: Vec<(usize, Instant)> = results.into_iter().flatten().collect();
        assert_eq!(
            arrivals.len(),
            concurrency * SENTENCES,
            "every sentence arrived"
        );
        let mode = if stagger { "staggered" } else { "lockstep" };
        let label = format!("same, {concurrency} concurrent turns, {mode}");
        report(&label, &bench, &arrivals);
        println!(
            "{:<48} {concurrency} turns in {:.0} ms = {:.0} turns/s; process RSS {:.1} MiB",
            "",
            elapsed.as_secs_f64() * 1e3,
            concurrency as f64 / elapsed.as_secs_f64(),
            rss_mib()
        );
    }
}
