//! End-to-end benchmark of the release binary (`cargo bench --bench gateway`).
//!
//! A fake model server paced like a real one (one chunk every PACE) stamps the moment it
//! flushes each chunk; a load client sends signed webhooks to the voicebridge binary and
//! stamps each `response.tts` as it reads it. Both live in this process, on one clock.
//! For every sentence: added latency = client read of its `response.tts` minus the fake's
//! flush of the chunk that made the sentence's end certain. That includes one more
//! loopback hop than a direct connection would, so the same fake is also read directly
//! (no gateway) at the same concurrency: that baseline is what the benchmark itself
//! costs, and shows the fake and the client are not the bottleneck.
//!
//! "to model" is the time from sending a webhook to the fake receiving the model request
//! it causes: what the gateway spends before the model can start (HTTP, signature, JSON,
//! the session store, connecting upstream). `BENCH_SESSION_STORE_URL=redis://…` runs the
//! server with the Redis store to measure that store's cost.
//! "last tts → end" is the time from the client reading a turn's last `response.tts` to
//! reading its `response.end`: what the gateway does between the last sentence and the
//! end of the turn (such as storing the reply before it ends the turn), shown as
//! p50/p95/max.
//! `BENCH_CALL_STORE_URL=sqlite://…` (or `postgres://…`) keeps every call on record, to
//! measure that the writer stays off the turn's path; `BENCH_MAX_CONCURRENCY=100` stops
//! after the 100-turn level; `BENCH_LEVELS=50,200` measures only those concurrencies (three
//! rounds each). `BENCH_PREFILL_CONVERSATIONS=N` first sends N short turns, each in a conversation of
//! its own, so that with N above `SESSION_MAX_CONVERSATIONS` (10 000 by default) the
//! in-memory store is at its cap and every measured turn evicts one conversation.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "../tests/api/helpers/fake_upstream.rs"]
#[allow(dead_code)]
mod fake_upstream;
#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use fake_upstream::FakeUpstream;
use support::{cpu_seconds, percentiles, read_frames, signed_message, start_server};

const SENTENCES: usize = 5;
const PACE: Duration = Duration::from_millis(50);

fn main() {
    support::block_on(run());
}

/// What one turn saw: (label, arrival) per sentence, the largest gap between events,
/// when its webhook was sent, and the time from its last `response.tts` to its
/// `response.end`.
struct TurnResult {
    arrivals: Vec<(usize, Instant)>,
    max_gap: Duration,
    ok: bool,
    sent: Option<(String, Instant)>,
    last_tts_to_end: Option<Duration>,
}

impl TurnResult {
    fn failed() -> Self {
        Self {
            arrivals: Vec::new(),
            max_gap: Duration::ZERO,
            ok: false,
            sent: None,
            last_tts_to_end: None,
        }
    }
}

/// One turn through the gateway.
async fn gateway_turn(http: &reqwest::Client, url: &str, turn: usize) -> TurnResult {
    let text = format!("Tell me five things ({turn}).");
    let request = signed_message(
        http,
        url,
        &format!("bench-{turn}"),
        &format!("t{turn}"),
        &text,
    );
    let sent = Some((text, Instant::now()));
    let Ok(response) = request.send().await else {
        return TurnResult::failed();
    };
    let mut arrivals = Vec::new();
    let mut ended = false;
    let mut last: Option<Instant> = None;
    let mut max_gap = Duration::ZERO;
    let mut last_tts: Option<Instant> = None;
    let mut last_tts_to_end = None;
    let complete = read_frames(response, |json, at| {
        if let Some(previous) = last {
            max_gap = max_gap.max(at.duration_since(previous));
        }
        last = Some(at);
        let Ok(event) = serde_json::from_slice::<serde_json::Value>(json) else {
            return;
        };
        match event["type"].as_str() {
            Some("response.tts") => {
                let text = event["content"].as_str().unwrap_or_default();
                if let Some((t, k)) = turn_and_sentence(text) {
                    arrivals.push((t * 100 + k, at));
                }
                last_tts = Some(at);
            }
            Some("response.end") => {
                ended = true;
                last_tts_to_end = last_tts.map(|tts| at.saturating_duration_since(tts));
            }
            _ => {}
        }
    })
    .await;
    let ok = complete && ended && arrivals.len() == SENTENCES;
    TurnResult {
        arrivals,
        max_gap,
        ok,
        sent,
        last_tts_to_end,
    }
}

/// "Turn T sentence K ..." → (T, K).
fn turn_and_sentence(text: &str) -> Option<(usize, usize)> {
    let words: Vec<&str> = text.split(' ').collect();
    Some((words.get(1)?.parse().ok()?, words.get(3)?.parse().ok()?))
}

/// The same paced reply read straight from the fake model: the benchmark's own cost.
/// The fake hands scripts out in arrival order, so labels come from the text itself.
async fn direct_turn(http: &reqwest::Client, url: &str) -> TurnResult {
    let body = serde_json::json!({"model": "direct", "stream": true, "messages": []});
    let Ok(response) = http.post(url).json(&body).send().await else {
        return TurnResult::failed();
    };
    let mut arrivals = Vec::new();
    let mut script_turn = None;
    let complete = read_frames(response, |json, at| {
        if json == b"[DONE]" {
            if let Some(t) = script_turn {
                arrivals.push((t * 100 + SENTENCES - 1, at));
            }
            return;
        }
        let Ok(chunk) = serde_json::from_slice::<serde_json::Value>(json) else {
            return;
        };
        let text = chunk["choices"][0]["delta"]["content"]
            .as_str()
            .unwrap_or_default();
        if let Some((t, k)) = turn_and_sentence(text) {
            script_turn = Some(t);
            // The chunk of sentence k completes sentence k - 1.
            if k > 0 {
                arrivals.push((t * 100 + k - 1, at));
            }
        }
    })
    .await;
    let ok = complete && arrivals.len() == SENTENCES;
    TurnResult {
        arrivals,
        max_gap: Duration::ZERO,
        ok,
        sent: None,
        last_tts_to_end: None,
    }
}

struct Stats {
    p50: f64,
    p99: f64,
    max: f64,
}

fn stats(mut micros: Vec<f64>) -> Stats {
    micros.sort_by(f64::total_cmp);
    let at = |p: f64| micros[((micros.len() - 1) as f64 * p).round() as usize];
    Stats {
        p50: at(0.5),
        p99: at(0.99),
        max: micros[micros.len() - 1],
    }
}

fn latencies(
    results: &[TurnResult],
    marks: &HashMap<usize, Instant>,
    first_only: bool,
) -> Vec<f64> {
    results
        .iter()
        .flat_map(|r| r.arrivals.iter())
        .filter(|(label, _)| !first_only || label % 100 == 0)
        .filter_map(|(label, at)| {
            marks
                .get(label)
                .map(|m| at.saturating_duration_since(*m).as_secs_f64() * 1e6)
        })
        .collect()
}

/// Runs `concurrency` turns, started evenly over one pace interval.
async fn level(
    upstream: &FakeUpstream,
    http: &reqwest::Client,
    target: &str,
    direct: bool,
    first_turn: usize,
    concurrency: usize,
) -> (Vec<TurnResult>, Duration) {
    for turn in first_turn..first_turn + concurrency {
        upstream.enqueue(support::paced_sentences(turn, SENTENCES, PACE));
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|i| {
            let http = http.clone();
            let target = target.to_string();
            let turn = first_turn + i;
            let delay = PACE.mul_f64(i as f64 / concurrency as f64);
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                if direct {
                    direct_turn(&http, &target).await
                } else {
                    gateway_turn(&http, &target, turn).await
                }
            })
        })
        .collect();
    let mut results = Vec::with_capacity(concurrency);
    for task in tasks {
        results.push(task.await.expect("turn task"));
    }
    (results, started.elapsed())
}

/// Fills the store with `BENCH_PREFILL_CONVERSATIONS` conversations (the fake's short
/// default reply, 200 turns at a time).
async fn prefill(http: &reqwest::Client, url: &str) {
    let count: usize = std::env::var("BENCH_PREFILL_CONVERSATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if count == 0 {
        return;
    }
    let started = Instant::now();
    for batch in (0..count).step_by(200) {
        let tasks: Vec<_> = (batch..count.min(batch + 200))
            .map(|i| {
                let (http, url) = (http.clone(), url.to_string());
                tokio::spawn(async move { gateway_turn(&http, &url, 1_000_000 + i).await })
            })
            .collect();
        for task in tasks {
            let _ = task.await;
        }
    }
    println!(
        "prefilled {count} conversations in {:.1} s\n",
        started.elapsed().as_secs_f64()
    );
}

async fn run() {
    let upstream = FakeUpstream::start().await;
    let server = start_server(&upstream, &[]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle_rss = server.memory_kib("VmRSS:");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(10_000)
        .build()
        .expect("client");
    let direct_url = format!("{}/chat/completions", upstream.base_url);

    let mut store = std::env::var("BENCH_SESSION_STORE_URL")
        .map_or("in-memory store".to_string(), |url| {
            format!("Redis store at {url}")
        });
    store.push_str(
        &std::env::var("BENCH_CALL_STORE_URL").map_or(", calls not recorded".to_string(), |url| {
            format!(", calls recorded in {url}")
        }),
    );
    println!("voicebridge release binary, {store}; fake model paced at one chunk per {} ms; {SENTENCES} sentences per turn", PACE.as_millis());
    println!("server RSS at idle: {:.1} MiB\n", idle_rss as f64 / 1024.0);
    println!(
        "{:<24} {:>6} {:>26} {:>26} {:>16} {:>9} {:>9} {:>7} {:>9} {:>17} {:>28}",
        "",
        "turns",
        "first tts p50/p99/max µs",
        "per sentence p50/p99/max µs",
        "to model p50/p99",
        "max gap",
        "turns/s",
        "errors",
        "RSS MiB",
        "CPU s server/bench",
        "last tts → end p50/p95/max µs"
    );
    let server_pid = server.child.id().to_string();
    prefill(&http, &server.url).await;
    let mut turn = 0;
    // BENCH_MAX_CONCURRENCY=100 stops after that level (quick comparisons).
    let max: usize = std::env::var("BENCH_MAX_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    // BENCH_LEVELS=50,200 measures those concurrencies instead, three rounds each.
    let levels: Vec<(usize, usize)> = match std::env::var("BENCH_LEVELS") {
        Ok(list) => list
            .split(',')
            .filter_map(|v| v.trim().parse().ok())
            .map(|c| (c, 3))
            .collect(),
        Err(_) => vec![(1, 100), (100, 3), (1000, 1), (2000, 1), (4000, 1)],
    };
    for (concurrency, rounds) in levels.into_iter().filter(|(c, _)| *c <= max) {
        for (label, direct) in [
            ("direct (no gateway)", true),
            ("through voicebridge", false),
        ] {
            let target = if direct {
                direct_url.as_str()
            } else {
                server.url.as_str()
            };
            let mut results = Vec::new();
            let mut elapsed = Duration::ZERO;
            let (server_cpu, bench_cpu) = (cpu_seconds(&server_pid), cpu_seconds("self"));
            for _ in 0..rounds {
                let (mut batch, took) =
                    level(&upstream, &http, target, direct, turn, concurrency).await;
                turn += concurrency;
                elapsed += took;
                results.append(&mut batch);
            }
            let marks: HashMap<usize, Instant> = upstream.marks().into_iter().collect();
            let errors = results.iter().filter(|r| !r.ok).count();
            let first = stats(latencies(&results, &marks, true));
            let all = stats(latencies(&results, &marks, false));
            let max_gap = results.iter().map(|r| r.max_gap).max().unwrap_or_default();
            let to_model = if direct {
                "-".to_string()
            } else {
                let asked: HashMap<String, Instant> = upstream
                    .requests()
                    .into_iter()
                    .filter_map(|r| {
                        let text = r.body["messages"].as_array()?.last()?["content"]
                            .as_str()?
                            .to_string();
                        Some((text, r.at))
                    })
                    .collect();
                let micros: Vec<f64> = results
                    .iter()
                    .filter_map(|r| r.sent.as_ref())
                    .filter_map(|(text, sent)| {
                        asked
                            .get(text)
                            .map(|at| at.saturating_duration_since(*sent).as_secs_f64() * 1e6)
                    })
                    .collect();
                let s = stats(micros);
                format!("{:.0}/{:.0}", s.p50, s.p99)
            };
            let rss = if direct {
                String::from("-")
            } else {
                format!("{:.1}", server.memory_kib("VmRSS:") as f64 / 1024.0)
            };
            let tail = if direct {
                "-".to_string()
            } else {
                let micros: Vec<f64> = results
                    .iter()
                    .filter_map(|r| r.last_tts_to_end)
                    .map(|d| d.as_secs_f64() * 1e6)
                    .collect();
                percentiles(micros, &[0.5, 0.95])
            };
            let cpu = format!(
                "{:.2}/{:.2}",
                cpu_seconds(&server_pid) - server_cpu,
                cpu_seconds("self") - bench_cpu
            );
            println!(
                "{:<24} {:>6} {:>26} {:>26} {:>16} {:>7} ms {:>9.0} {:>7} {:>9} {:>17} {:>28}",
                format!("{concurrency:>4} × {label}"),
                results.len(),
                format!("{:.0}/{:.0}/{:.0}", first.p50, first.p99, first.max),
                format!("{:.0}/{:.0}/{:.0}", all.p50, all.p99, all.max),
                to_model,
                if direct {
                    "-".to_string()
                } else {
                    max_gap.as_millis().to_string()
                },
                results.len() as f64 / elapsed.as_secs_f64(),
                errors,
                rss,
                cpu,
                tail,
            );
        }
    }
    println!(
        "\nserver peak RSS (VmHWM): {:.1} MiB; an event is late beyond twice the pace when its added latency exceeds {} ms",
        server.memory_kib("VmHWM:") as f64 / 1024.0,
        (PACE * 2).as_millis()
    );
}
