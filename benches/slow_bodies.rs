//! Slow webhook bodies against the binary (`cargo bench --bench slow_bodies`).
//!
//! Four waves, each against a fresh server: 500 connections to 127.0.0.1 each send a
//! webhook's headers declaring a 1 MiB body and never finish it, and are held for 12 s.
//! "Trickled" bodies send one byte at once and one every 5 s; "stalled" ones send all but
//! the last 8 bytes at once, then one every 5 s. "Unsigned" requests have no signature
//! header (what anyone can send); "signed-looking" ones a fresh, well-formed signature the
//! server can only judge once it has the body. Meanwhile `/health` is asked every 250 ms and the server's
//! resident memory is read every 100 ms. Prints, per wave: how the connections were
//! answered and how fast, the server's memory before and at its peak, and `/health`'s
//! latency. `BENCH_BINARY=<path>` measures another build of the binary (an older one, to
//! compare); `BENCH_CONNECTIONS` changes the count (at most 2000).

#![allow(clippy::print_stdout)] // a benchmark reports on stdout

#[path = "../tests/api/helpers/fake_upstream.rs"]
#[allow(dead_code)]
mod fake_upstream;
#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_upstream::FakeUpstream;
use support::{percentiles, start_server, Server, SECRET};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long each wave holds its connections open.
const HOLD: Duration = Duration::from_secs(12);
/// The pause between two bytes of a trickled body.
const TRICKLE: Duration = Duration::from_secs(5);
/// The body length each request declares.
const DECLARED: usize = 1024 * 1024;
/// Bytes of the body not sent at once: more than the trickle sends within the hold.
const UNSENT: usize = 8;

fn main() {
    support::block_on(run());
}

async fn run() {
    let connections: usize = std::env::var("BENCH_CONNECTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500)
        .min(2000);
    let upstream = FakeUpstream::start().await;
    println!(
        "{connections} connections, each declaring {DECLARED} bytes of body; held {HOLD:?}; \
         a fresh server per wave"
    );
    println!(
        "{:<26} {:<20} {:>16} {:>19} {:>26}",
        "wave", "answers", "answered ms p50/max", "RSS MiB before/peak", "/health ms p50/max"
    );
    let signed = voicebridge::webhook::signature::sign(SECRET.as_bytes(), now(), b"?");
    for (shape, up_front) in [("trickled", 0), ("stalled", DECLARED - UNSENT)] {
        for (kind, signature) in [("unsigned", None), ("signed-looking", Some(&signed))] {
            let server = start_server(&upstream, &[]).await;
            let wave = Wave {
                address: server
                    .url
                    .trim_start_matches("http://")
                    .replace("/agent", ""),
                signature: signature.cloned(),
                up_front,
            };
            let row = wave.run(&server, connections).await;
            println!("{:<26} {row}", format!("{shape}, {kind}"));
        }
    }
    println!(
        "trickled: 1 byte at once, then 1 byte every {TRICKLE:?}; stalled: all but {UNSENT} \
         bytes at once, then 1 byte every {TRICKLE:?}"
    );
}

/// One wave of slow requests against one server.
struct Wave {
    address: String,
    signature: Option<String>,
    up_front: usize,
}

impl Wave {
    /// Sends the wave's requests and holds them; the row of numbers it printed.
    async fn run(&self, server: &Server, connections: usize) -> String {
        let before = server.memory_kib("VmRSS");
        let watch = Watch::start(server);
        let health = tokio::spawn(health_latencies(server.url.replace("/agent", "/health")));
        let tasks: Vec<_> = (0..connections)
            .map(|_| {
                let (address, signature) = (self.address.clone(), self.signature.clone());
                tokio::spawn(slow_request(address, signature, self.up_front))
            })
            .collect();
        let mut answers = BTreeMap::new();
        let mut answered_in = Vec::new();
        for task in tasks {
            let (status, after) = task.await.unwrap_or((None, HOLD));
            let label = status.map_or("none".to_string(), |s| s.to_string());
            *answers.entry(label).or_insert(0usize) += 1;
            if status.is_some() {
                answered_in.push(after.as_secs_f64() * 1e3);
            }
        }
        let peak = watch.stop();
        let (latencies, failures) = health.await.unwrap_or_default();
        let answers: Vec<String> = answers.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        format!(
            "{:<20} {:>16} {:>19} {:>26}",
            answers.join(", "),
            percentiles(answered_in, &[0.5]),
            format!("{:.1}/{:.1}", mib(before), mib(peak)),
            format!(
                "{} ({} ok, {failures} failed)",
                percentiles(latencies.clone(), &[0.5]),
                latencies.len()
            ),
        )
    }
}

/// One request whose body trickles for [`HOLD`] after `up_front` bytes: the status it got, if any, and when.
async fn slow_request(
    address: String,
    signature: Option<String>,
    up_front: usize,
) -> (Option<u16>, Duration) {
    let started = Instant::now();
    let Ok(stream) = TcpStream::connect(&address).await else {
        return (None, HOLD);
    };
    let (mut reader, mut writer) = stream.into_split();
    let mut head = format!(
        "POST /agent HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {DECLARED}\r\n"
    );
    if let Some(signature) = signature {
        head.push_str(&format!("layercode-signature: {signature}\r\n"));
    }
    head.push_str("\r\n");
    // `up_front` bytes of the body at once, then one byte every TRICKLE.
    let trickle = tokio::spawn(async move {
        if writer.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for chunk in vec![b' '; up_front].chunks(64 * 1024) {
            if writer.write_all(chunk).await.is_err() {
                return;
            }
        }
        loop {
            tokio::time::sleep(TRICKLE).await;
            if writer.write_all(b" ").await.is_err() {
                return;
            }
        }
    });
    let status = tokio::time::timeout(HOLD, status_line(&mut reader)).await;
    let after = started.elapsed();
    // Hold the connection for the whole wave either way, as a slow client would.
    tokio::time::sleep(HOLD.saturating_sub(after)).await;
    trickle.abort();
    (status.ok().flatten(), after)
}

/// The status code of the response on `reader`.
async fn status_line(reader: &mut (impl AsyncReadExt + Unpin)) -> Option<u16> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        if reader.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line)
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// `/health` latencies in ms, asked every 250 ms for [`HOLD`], and how many failed.
async fn health_latencies(url: String) -> (Vec<f64>, usize) {
    let http = reqwest::Client::new();
    let (mut latencies, mut failures) = (Vec::new(), 0);
    let until = Instant::now() + HOLD;
    while Instant::now() < until {
        let asked = Instant::now();
        match http.get(&url).timeout(Duration::from_secs(5)).send().await {
            Ok(response) if response.status().is_success() => {
                latencies.push(asked.elapsed().as_secs_f64() * 1e3);
            }
            _ => failures += 1,
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    (latencies, failures)
}

/// Reads the server's resident memory every 100 ms until stopped; keeps the peak.
struct Watch {
    peak: Arc<AtomicU64>,
    running: Arc<AtomicBool>,
}

impl Watch {
    fn start(server: &Server) -> Self {
        let pid = server.child.id();
        let peak = Arc::new(AtomicU64::new(0));
        let running = Arc::new(AtomicBool::new(true));
        let (seen, on) = (peak.clone(), running.clone());
        tokio::spawn(async move {
            while on.load(Ordering::Relaxed) {
                seen.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Self { peak, running }
    }

    fn stop(self) -> u64 {
        self.running.store(false, Ordering::Relaxed);
        self.peak.load(Ordering::Relaxed)
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS"))?.to_string();
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
