//! What the end-to-end benchmarks share: the release binary as a child process against a
//! fake model, and reading its CPU time and memory from /proc.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::fake_upstream::FakeUpstream;

/// The webhook secret the benchmarked server is started with.
pub const SECRET: &str = "whsec_bench";

/// A `message` webhook for conversation `conversation`, turn `turn`, saying `text`, as a
/// request signed like Layercode's.
pub fn signed_message(
    http: &reqwest::Client,
    url: &str,
    conversation: &str,
    turn: &str,
    text: &str,
) -> reqwest::RequestBuilder {
    let body = serde_json::to_vec(&serde_json::json!({
        "type": "message", "conversation_id": conversation, "turn_id": turn, "text": text,
    }))
    .expect("json");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let signed = voicebridge::webhook::signature::sign(SECRET.as_bytes(), now, &body);
    http.post(url)
        .header("layercode-signature", signed)
        .body(body)
}

pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU seconds (user + system) used so far by process `pid` ("self" for this one).
pub fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may contain spaces.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after ')'.
    (ticks(11) + ticks(12)) / 100.0
}

impl Server {
    pub fn memory_kib(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|line| line.starts_with(field))
                    .and_then(|line| line.split_whitespace().nth(1))
                    .and_then(|kib| kib.parse().ok())
            })
            .unwrap_or(0)
    }
}

pub async fn start_server(upstream: &FakeUpstream, extra: &[(&str, &str)]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_voicebridge"));
    command.env_clear();
    // BENCH_CALL_STORE_URL=sqlite://…|postgres://… measures with calls on record.
    let calls = std::env::var("BENCH_CALL_STORE_URL").unwrap_or_else(|_| "off".into());
    command.env("CALL_STORE_URL", calls);
    // BENCH_SESSION_STORE_URL=redis://… measures with the shared store.
    if let Ok(url) = std::env::var("BENCH_SESSION_STORE_URL") {
        command
            .env("SESSION_STORE_URL", url)
            .env("SESSION_STORE_PREFIX", format!("vb-bench:{port}:"));
    }
    let child = command
        .current_dir(std::env::temp_dir())
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("LAYERCODE_WEBHOOK_SECRET", SECRET)
        .env("LLM_BASE_URL", &upstream.base_url)
        .env(
            "SYSTEM_PROMPT_FILE",
            concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/system.md"),
        )
        .env("RUST_LOG", "error")
        .envs(extra.iter().copied())
        .stdout(Stdio::null())
        .spawn()
        .expect("release binary starts");
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}/agent"),
    };
    let http = reqwest::Client::new();
    for _ in 0..400 {
        if http
            .get(server.url.replace("/agent", "/health"))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("voicebridge did not start");
}
