//! What tracing costs a turn (`cargo bench --bench traces`): the release binary three
//! times, side by side on the same paced fake model: traces off; exported to a local
//! OTLP sink that answers every export at once; and exported to a collector that is down
//! (a closed port), so every span is dropped and counted.
//!
//! For each: the server's CPU time per turn (user + system, from /proc, over a level of
//! turns run at once), the added latency of each sentence (the client's read of its
//! `response.tts` minus the fake's flush of the chunk that made its end certain, as in
//! `benches/gateway.rs`), and the spans the server says it exported and dropped.
//! `BENCH_TRACE_TURNS=200` sets the turns per case (default 1000, run 100 at once), and
//! `BENCH_TRACE_ROUNDS=2` how many times the three cases run, in turn (default 3), so the
//! spread between runs of one case shows beside the difference between cases.

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "../tests/api/helpers/fake_upstream.rs"]
#[allow(dead_code)]
mod fake_upstream;
#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use fake_upstream::{FakeUpstream, Reply};
use support::{cpu_seconds, percentiles, read_frames, signed_message, start_server};

const SENTENCES: usize = 5;
const PACE: Duration = Duration::from_millis(20);
const AT_ONCE: usize = 100;

fn main() {
    support::block_on(run());
}

/// One turn: (stamp, arrival) of each sentence read.
async fn turn(http: &reqwest::Client, url: &str, turn: usize) -> Vec<(usize, Instant)> {
    let request = signed_message(
        http,
        url,
        &format!("bench-{turn}"),
        &format!("t{turn}"),
        "Tell me five things.",
    );
    let Ok(response) = request.send().await else {
        return Vec::new();
    };
    let mut arrivals = Vec::new();
    read_frames(response, |json, at| {
        let Ok(event) = serde_json::from_slice::<serde_json::Value>(json) else {
            return;
        };
        if event["type"] != "response.tts" {
            return;
        }
        let said = event["content"].as_str().unwrap_or_default();
        let parse = |prefix: &str| support::number_after(said, prefix);
        if let (Some(t), Some(k)) = (parse("Turn "), parse("sentence ")) {
            arrivals.push((t * 100 + k, at));
        }
    })
    .await;
    arrivals
}

/// The value of metric `name` in `/metrics`.
async fn metric(http: &reqwest::Client, base: &str, name: &str) -> u64 {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

/// Runs `turns` turns, AT_ONCE at a time, through the server at `url`; returns the
/// server's CPU seconds, every sentence's added latency (µs) and the whole turns.
async fn measure(
    http: &reqwest::Client,
    model: &FakeUpstream,
    url: &str,
    pid: &str,
    turns: usize,
    first: usize,
) -> (f64, Vec<f64>, usize) {
    let cpu = cpu_seconds(pid);
    let (mut latencies, mut whole) = (Vec::new(), 0);
    let mut next = first;
    while next < first + turns {
        let n = AT_ONCE.min(first + turns - next);
        for t in next..next + n {
            model.enqueue(support::paced_sentences(t, SENTENCES, PACE));
        }
        let tasks: Vec<_> = (next..next + n)
            .map(|t| {
                let (http, url) = (http.clone(), url.to_string());
                tokio::spawn(async move { turn(&http, &url, t).await })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap_or_default());
        }
        let marks: HashMap<usize, Instant> = model.marks().into_iter().collect();
        for arrivals in results {
            whole += usize::from(arrivals.len() == SENTENCES);
            for (stamp, at) in arrivals {
                if let Some(flushed) = marks.get(&stamp) {
                    latencies.push(at.saturating_duration_since(*flushed).as_secs_f64() * 1e6);
                }
            }
        }
        next += n;
    }
    (cpu_seconds(pid) - cpu, latencies, whole)
}

async fn run() {
    let turns: usize = std::env::var("BENCH_TRACE_TURNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let rounds: usize = std::env::var("BENCH_TRACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let sink = FakeUpstream::start().await;
    sink.set_default(Reply::plain(200, "", Duration::ZERO));
    let sink_url = sink.base_url.trim_end_matches("/v1").to_string();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        format!("http://127.0.0.1:{port}")
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    println!(
        "voicebridge release binary; {turns} turns per case, {AT_ONCE} at once; fake model at one chunk per {} ms, {SENTENCES} sentences a turn",
        PACE.as_millis()
    );
    println!(
        "{:<22} {:>14} {:>30} {:>7} {:>10} {:>9}",
        "traces", "CPU/turn (µs)", "added latency µs (p50/p95/max)", "whole", "exported", "dropped"
    );
    let cases: [(&str, Option<&str>); 3] = [
        ("off", None),
        ("exported", Some(sink_url.as_str())),
        ("collector down", Some(closed.as_str())),
    ];
    let mut first = 1_000;
    for (name, endpoint) in (0..rounds).flat_map(|_| cases) {
        let model = FakeUpstream::start().await;
        let mut vars = vec![("WELCOME_MESSAGE", ""), ("OTEL_BSP_SCHEDULE_DELAY", "200")];
        if let Some(endpoint) = endpoint {
            vars.push(("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint));
            vars.push(("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"));
        }
        let server = start_server(&model, &vars).await;
        let pid = server.child.id().to_string();
        let base = server.url.trim_end_matches("/agent").to_string();
        // Warm-up: connections, allocator, the first export.
        measure(&http, &model, &server.url, &pid, 20, first).await;
        first += 20;
        let (cpu, latencies, whole) = measure(&http, &model, &server.url, &pid, turns, first).await;
        first += turns;
        // Every span accounted for (4 a turn), or 20 s: the down collector's exports take
        // their retries before they count as dropped.
        let expected = if endpoint.is_some() {
            4 * (turns as u64 + 20)
        } else {
            0
        };
        let waited = Instant::now();
        let (exported, dropped) = loop {
            let exported = metric(&http, &base, "voicebridge_trace_spans_exported_total").await;
            let dropped = metric(&http, &base, "voicebridge_trace_spans_dropped_total").await;
            if exported + dropped >= expected || waited.elapsed() > Duration::from_secs(20) {
                break (exported, dropped);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        println!(
            "{name:<22} {:>14.0} {:>30} {:>3}/{turns} {exported:>10} {dropped:>9}",
            cpu / turns as f64 * 1e6,
            percentiles(latencies, &[0.5, 0.95]),
            whole
        );
    }
}
