//! The gateway's CPU per turn (`cargo bench --bench cpu`): the release binary against a
//! fake model that answers at once (three sentences, usage, `[DONE]`), driven by a load
//! client at `BENCH_CPU_CONCURRENCY` concurrent turns (default "50,200"), `BENCH_CPU_TURNS`
//! turns per level (default 20,000). A new conversation every 20 turns of a client.
//!
//! Per level it prints turns per second; the server's CPU per turn, user and system
//! apart (from /proc/<pid>/stat); its context switches per turn (voluntary and not,
//! summed over its threads from /proc/<pid>/task/*/status); and the time from sending a
//! webhook to reading its first SSE event, p50/p99.
//!
//! Before the levels, a cold burst: `BENCH_CPU_BURST` turns (default 150) of new
//! conversations at once against the fresh server, first event p50/p99/max and the
//! model connections it opened.
//!
//! `BENCH_CPU_STRACE=1` then runs `BENCH_CPU_STRACE_TURNS` more turns (default 2,000) at
//! the first level with `strace -c -f` attached to the server, and prints its system calls
//! per turn by kind (strace slows the server; the counts are what matter).
//! `BENCH_CPU_PERF=<file>` records the first level with `perf record --call-graph dwarf` into that file,
//! for a flame graph (`scripts/profile-cpu` does both and folds the profile).

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "../tests/api/helpers/fake_upstream.rs"]
#[allow(dead_code)]
mod fake_upstream;
#[path = "support/mod.rs"]
mod support;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_upstream::{FakeUpstream, Reply};
use support::{percentiles, read_frames, signed_message, start_server};

fn main() {
    support::block_on(run());
}

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// utime and stime of `pid` in seconds.
fn cpu(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<f64> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    let tick = |i: usize| fields.get(i).copied().unwrap_or(0.0) / 100.0;
    (tick(11), tick(12))
}

/// Voluntary and involuntary context switches of all of `pid`'s threads.
fn switches(pid: u32) -> (u64, u64) {
    let mut total = (0, 0);
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return total;
    };
    for task in tasks.flatten() {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        for line in status.lines() {
            let value = |line: &str| {
                line.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            if line.starts_with("voluntary_ctxt_switches") {
                total.0 += value(line);
            } else if line.starts_with("nonvoluntary_ctxt_switches") {
                total.1 += value(line);
            }
        }
    }
    total
}

/// Runs `turns` turns, `concurrency` at a time; returns each turn's µs to its first event
/// and whether every turn ended with `response.end`.
async fn load(url: &str, concurrency: usize, turns: usize, tag: &str) -> (Vec<f64>, usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for client in 0..concurrency {
        let (next, url, tag) = (next.clone(), url.to_string(), tag.to_string());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let (mut firsts, mut failed) = (Vec::new(), 0);
            let mut mine = 0;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= turns {
                    break;
                }
                let conversation = format!("{tag}-{client}-{}", mine / 20);
                mine += 1;
                let sent = Instant::now();
                let request = signed_message(&http, &url, &conversation, &format!("t{n}"), "Hi");
                let Ok(response) = request.send().await else {
                    failed += 1;
                    continue;
                };
                let (mut first, mut ended) = (None, false);
                let whole = read_frames(response, |frame, at| {
                    first.get_or_insert(at);
                    ended |= frame.windows(12).any(|w| w == b"response.end");
                })
                .await;
                match first {
                    Some(at) if whole && ended => firsts.push((at - sent).as_secs_f64() * 1e6),
                    _ => failed += 1,
                }
            }
            (firsts, failed)
        }));
    }
    let (mut firsts, mut failed) = (Vec::new(), 0);
    for task in tasks {
        let (mine, bad) = task.await.expect("client task");
        firsts.extend(mine);
        failed += bad;
    }
    (firsts, failed)
}

/// Starts `program` attached to `pid`; stopped with SIGINT by [`stop`].
fn attach(program: &str, args: &[&str]) -> Option<Child> {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| println!("cannot start {program}: {e}"))
        .ok()
}

fn stop(child: Child) -> String {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let output = child.wait_with_output().expect("the tool ends");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn run() {
    let upstream = FakeUpstream::start().await;
    upstream.set_default(Reply::deltas(&[
        "Sure, we open at nine. ",
        "We close at six on weekdays. ",
        "Is there anything else?",
    ]));
    let server = start_server(&upstream, &[]).await;
    let pid = server.child.id();
    let levels: Vec<usize> = setting("BENCH_CPU_CONCURRENCY", "50,200")
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let turns: usize = setting("BENCH_CPU_TURNS", "20000")
        .parse()
        .unwrap_or(20_000);
    let perf = std::env::var("BENCH_CPU_PERF").ok();
    // A cold burst first: the server has not talked to the model yet.
    let burst: usize = setting("BENCH_CPU_BURST", "150").parse().unwrap_or(150);
    let (firsts, failed) = load(&server.url, burst, burst, "burst").await;
    println!(
        "cold burst: {burst} new conversations at once: first event p50/p99/max {} µs, \
         {} model connections opened, {failed} errors",
        percentiles(firsts, &[0.5, 0.99]),
        upstream.connections()
    );
    // Warm up: connections to the model, the allocator, the page cache.
    load(&server.url, 50, 2_000, "warm").await;
    println!(
        "voicebridge release binary (pid {pid}); fake model answering at once, 3 sentences a turn"
    );
    println!(
        "{:>11}{:>8}{:>9}{:>22}{:>22}{:>20}{:>8}",
        "concurrent",
        "turns",
        "turns/s",
        "CPU µs/turn usr/sys",
        "ctx sw/turn vol/inv",
        "first event p50/p99",
        "errors"
    );
    for (index, &concurrency) in levels.iter().enumerate() {
        let recorder = match (&perf, index) {
            (Some(file), 0) => attach(
                "perf",
                // DWARF unwinding: a release build keeps no frame pointers.
                &[
                    "record",
                    "-F",
                    "499",
                    "--call-graph",
                    "dwarf,16384",
                    "-o",
                    file,
                    "-p",
                    &pid.to_string(),
                ],
            ),
            _ => None,
        };
        if recorder.is_some() {
            // perf needs a moment to attach to every thread.
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let (cpu0, sw0, started) = (cpu(pid), switches(pid), Instant::now());
        let (firsts, failed) = load(&server.url, concurrency, turns, &format!("l{index}")).await;
        let (elapsed, cpu1, sw1) = (started.elapsed(), cpu(pid), switches(pid));
        if let Some(recorder) = recorder {
            stop(recorder);
        }
        let per = |a: f64, b: f64| (b - a) / turns as f64 * 1e6;
        println!(
            "{concurrency:>11}{turns:>8}{:>9.0}{:>22}{:>22}{:>20}{failed:>8}",
            turns as f64 / elapsed.as_secs_f64(),
            format!("{:.1}/{:.1}", per(cpu0.0, cpu1.0), per(cpu0.1, cpu1.1)),
            format!(
                "{:.2}/{:.2}",
                (sw1.0 - sw0.0) as f64 / turns as f64,
                (sw1.1 - sw0.1) as f64 / turns as f64
            ),
            format!(
                "{} µs",
                percentiles(firsts, &[0.5, 0.99])
                    .rsplitn(2, '/')
                    .last()
                    .unwrap_or("-")
            ),
        );
    }
    if std::env::var("BENCH_CPU_STRACE").is_ok_and(|v| v == "1") {
        strace(&server.url, pid, levels.first().copied().unwrap_or(50)).await;
    }
    // Let the tools write their files before the server is stopped.
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// System calls per turn by kind, `strace -c -f` attached for a fixed number of turns.
async fn strace(url: &str, pid: u32, concurrency: usize) {
    let turns: usize = setting("BENCH_CPU_STRACE_TURNS", "2000")
        .parse()
        .unwrap_or(2_000);
    let Some(tracer) = attach("strace", &["-c", "-f", "-p", &pid.to_string()]) else {
        return;
    };
    // strace needs a moment to attach to every thread.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, failed) = load(url, concurrency, turns, "strace").await;
    let summary = stop(tracer);
    println!("\nsystem calls per turn ({turns} turns at {concurrency} concurrent under strace -c -f, {failed} errors):");
    let mut total = 0.0;
    let mut rows = Vec::new();
    for line in summary.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // % time, seconds, usecs/call, calls, [errors], syscall
        if fields.len() >= 5 && fields[0].parse::<f64>().is_ok() {
            let calls: f64 = fields[3].parse().unwrap_or(0.0);
            let name = fields[fields.len() - 1];
            if name != "total" {
                total += calls;
                rows.push((calls / turns as f64, name.to_string()));
            }
        }
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (per_turn, name) in rows.iter().filter(|(p, _)| *p >= 0.05) {
        println!("{per_turn:>10.2}  {name}");
    }
    println!("{:>10.2}  all", total / turns as f64);
}
