//! What the end-to-end benchmarks share: the release binary as a child process against a
//! fake model, and reading its CPU time and memory from /proc.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::fake_upstream::{
    content_chunk, finish_steps, role_chunk, FakeUpstream, Recorded, Reply, Step,
};

/// The webhook secret the benchmarked server is started with.
pub const SECRET: &str = "whsec_bench";

/// Runs a bench's `run` to its end on a multi-threaded runtime.
pub fn block_on(run: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run);
}

/// How a fake model answers a tool bench's turn.
#[allow(dead_code)] // not every bench calls tools
pub struct ToolRound {
    /// The words before the turn's number n in the caller's message ("Order ").
    pub asks: &'static str,
    /// The tool the model calls, as "call_<n>".
    pub tool: &'static str,
    /// The call's arguments for turn n.
    pub arguments: fn(usize) -> String,
    /// How long the model streams before its call is complete.
    pub think: Duration,
    /// What the model says once it has read the result.
    pub answer: &'static str,
}

#[allow(dead_code)] // not every bench calls tools
impl ToolRound {
    /// First requests get one tool call (stamped after `[DONE]` with the turn's number);
    /// follow-ups carrying the result get the short answer.
    pub fn reply(&self, request: &Recorded) -> Reply {
        let messages = request.body["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let last = messages.last().cloned().unwrap_or_default();
        if last["role"] == "tool" {
            return Reply::deltas(&[self.answer]);
        }
        let turn = last["content"]
            .as_str()
            .and_then(|text| number_after(text, self.asks))
            .unwrap_or(0);
        let id = format!("call_{turn}");
        let arguments = (self.arguments)(turn);
        let Reply::Stream { mut steps, abort } =
            Reply::tool_calls(&[], &[(id.as_str(), self.tool, arguments.as_str())])
        else {
            unreachable!("tool_calls is a stream")
        };
        // A zero pause would still wait for the timer's next tick.
        if !self.think.is_zero() {
            steps.insert(1, Step::Sleep(self.think));
        }
        steps.push(Step::Mark(turn));
        Reply::Stream { steps, abort }
    }
}

/// A `message` webhook for conversation `conversation`, turn `turn`, saying `text`, as a
/// request signed like Layercode's.
#[allow(dead_code)] // not every bench sends turns
pub fn signed_message(
    http: &reqwest::Client,
    url: &str,
    conversation: &str,
    turn: &str,
    text: &str,
) -> reqwest::RequestBuilder {
    signed_webhook(
        http,
        url,
        &serde_json::json!({
            "type": "message", "conversation_id": conversation, "turn_id": turn, "text": text,
        }),
    )
}

/// Any webhook `payload`, as a request signed like Layercode's.
#[allow(dead_code)] // not every bench sends signed webhooks
pub fn signed_webhook(
    http: &reqwest::Client,
    url: &str,
    payload: &serde_json::Value,
) -> reqwest::RequestBuilder {
    let body = serde_json::to_vec(payload).expect("json");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let signed = voicebridge::webhook::signature::sign(SECRET.as_bytes(), now, &body);
    http.post(url)
        .header("layercode-signature", signed)
        .body(body)
}

/// Reads SSE frames, calling `on_frame` with each frame's JSON and its arrival time; false
/// when the body broke.
#[allow(dead_code)] // not every bench reads a stream
pub async fn read_frames(
    response: reqwest::Response,
    mut on_frame: impl FnMut(&[u8], Instant),
) -> bool {
    let mut stream = response.bytes_stream();
    let mut buffer = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { return false };
        let arrived = Instant::now();
        buffer.extend_from_slice(&chunk);
        while let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let frame: Vec<u8> = buffer.drain(..end + 2).collect();
            on_frame(&frame[6..end], arrived);
        }
    }
    true
}

/// The number right after `prefix` in `text` ("Order <n>, please.", "call_<n>").
#[allow(dead_code)] // not every bench numbers its turns in text
pub fn number_after(text: &str, prefix: &str) -> Option<usize> {
    let rest = &text[text.find(prefix)? + prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// "q1/q2/…/max" of `micros` at each quantile (0.5 for the median), rounded to whole µs.
#[allow(dead_code)] // not every bench prints quantiles this way
pub fn percentiles(mut micros: Vec<f64>, quantiles: &[f64]) -> String {
    if micros.is_empty() {
        return "-".into();
    }
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize];
    let mut parts: Vec<String> = quantiles.iter().map(|q| format!("{:.0}", at(*q))).collect();
    parts.push(format!("{:.0}", micros[micros.len() - 1]));
    parts.join("/")
}

/// Per turn in `numbers`, µs from its instant in `from` to its instant in `to` (turns
/// missing from either are left out).
#[allow(dead_code)] // not every bench pairs stamps
pub fn intervals(
    numbers: &[usize],
    from: &HashMap<usize, Instant>,
    to: &HashMap<usize, Instant>,
) -> Vec<f64> {
    numbers
        .iter()
        .filter_map(|n| Some(to.get(n)?.saturating_duration_since(*from.get(n)?)))
        .map(|d| d.as_secs_f64() * 1e6)
        .collect()
}

/// When `model` received each follow-up request carrying the result of tool call
/// "call_<n>", by n.
#[allow(dead_code)] // not every bench calls tools
pub fn tool_results_received(model: &FakeUpstream) -> HashMap<usize, Instant> {
    model
        .requests()
        .into_iter()
        .filter_map(|r| {
            let last = r.body["messages"].as_array()?.last()?.clone();
            let id = last["tool_call_id"].as_str()?.to_string();
            Some((number_after(&id, "call_")?, r.at))
        })
        .collect()
}

/// The loopback floor: `count` HTTP GETs of `url` from this process to `fake` (which must
/// answer them at once), each in µs from sending to the fake having read the request.
#[allow(dead_code)] // not every bench prints the floor
pub async fn http_floor(
    http: &reqwest::Client,
    fake: &FakeUpstream,
    url: &str,
    count: usize,
) -> Vec<f64> {
    let mut micros = Vec::new();
    for _ in 0..count {
        let before = fake.requests().len();
        let sent = Instant::now();
        let _ = http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status());
        if let Some(at) = fake.requests().get(before).map(|r| r.at) {
            micros.push(at.saturating_duration_since(sent).as_secs_f64() * 1e6);
        }
    }
    micros
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
#[allow(dead_code)] // not every bench reports CPU time
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
    #[allow(dead_code)] // not every bench reports memory
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
    // BENCH_BINARY=<path> measures another build (an older one, to compare).
    let binary =
        std::env::var("BENCH_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_voicebridge").into());
    let mut command = Command::new(binary);
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

/// Turn `turn`'s reply, one chunk every `pace`: chunk k says "Turn T sentence K ends
/// here.", and sentence k's end is certain when chunk k + 1 (or the end of the stream) is
/// flushed, a moment stamped `turn * 100 + k`.
#[allow(dead_code)] // not every bench paces sentences
pub fn paced_sentences(turn: usize, sentences: usize, pace: Duration) -> Reply {
    let mut steps = vec![Step::Send(role_chunk())];
    for k in 0..sentences {
        steps.push(Step::Sleep(pace));
        steps.push(Step::Send(content_chunk(&format!(
            "Turn {turn} sentence {k} ends here. "
        ))));
        if k > 0 {
            steps.push(Step::Mark(turn * 100 + k - 1));
        }
    }
    steps.push(Step::Sleep(pace));
    steps.extend(finish_steps());
    steps.push(Step::Mark(turn * 100 + sentences - 1));
    Reply::Stream {
        steps,
        abort: false,
    }
}
