//! A real OTLP/HTTP receiver (tests/otlp/receiver.py, decoding with the official
//! OpenTelemetry protobuf definitions) and reading the spans it received.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The receiver process; killed when dropped.
pub struct Receiver {
    child: Option<tokio::process::Child>,
    pub url: String,
    http: reqwest::Client,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}

fn python() -> &'static Path {
    let python = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python"));
    assert!(
        python.exists(),
        ".venv/bin/python is missing: run scripts/test, which installs opentelemetry-proto"
    );
    python
}

impl Receiver {
    /// Starts a receiver that keeps every span.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Starts one with `flags` (`--status 503`: refuse every export).
    pub async fn start_with(flags: &[&str]) -> Self {
        let mut child = tokio::process::Command::new(python())
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/otlp/receiver.py"
            ))
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the OTLP receiver starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(30),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("the receiver prints its port in time")
        .expect("reads the port");
        let port: u16 = line.trim().parse().expect("a port");
        Self {
            child: Some(child),
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        }
    }

    /// Every span received so far.
    pub async fn spans(&self) -> Vec<Value> {
        self.get("/spans").await
    }

    /// The headers of every export request.
    pub async fn requests(&self) -> Vec<Value> {
        self.get("/requests").await
    }

    async fn get(&self, path: &str) -> Vec<Value> {
        let body: Value = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("receiver answers")
            .json()
            .await
            .expect("json");
        body.as_array().cloned().unwrap_or_default()
    }

    /// The spans once `ready` holds for them, waiting up to 20 s.
    pub async fn wait_for(&self, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let spans = self.spans().await;
            if ready(&spans) {
                return spans;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the spans never got there; received: {spans:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The whole trace of the turn `turn_id` (every span sharing its root's trace id),
    /// once its root and `count` spans in all have arrived.
    pub async fn trace_of(&self, turn_id: &str, count: usize) -> Trace {
        let spans = self
            .wait_for(|spans| {
                root_of(spans, turn_id).is_some_and(|root| {
                    spans
                        .iter()
                        .filter(|s| s["trace_id"] == root["trace_id"])
                        .count()
                        >= count
                })
            })
            .await;
        let root = root_of(&spans, turn_id).expect("root").clone();
        let all = spans
            .into_iter()
            .filter(|s| s["trace_id"] == root["trace_id"])
            .collect();
        Trace { root, all }
    }
}

/// A collector that never answers: a port that takes connections (the kernel's backlog)
/// and nothing more, for as long as the listener is kept. Unlike a closed port, no other
/// test can take it meanwhile.
pub struct SilentCollector {
    _listener: std::net::TcpListener,
    pub url: String,
}

impl SilentCollector {
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        Self {
            _listener: listener,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

fn root_of<'s>(spans: &'s [Value], turn_id: &str) -> Option<&'s Value> {
    spans.iter().find(|s| {
        s["attributes"]["voicebridge.turn.id"] == turn_id
            && s["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("invoke_agent "))
    })
}

/// One turn's spans.
pub struct Trace {
    pub root: Value,
    pub all: Vec<Value>,
}

impl Trace {
    /// The spans named `name`, oldest first.
    pub fn named(&self, name: &str) -> Vec<&Value> {
        let mut spans: Vec<&Value> = self.all.iter().filter(|s| s["name"] == name).collect();
        spans.sort_by_key(|s| s["start"].as_u64());
        spans
    }

    /// The one span named `name`.
    pub fn one(&self, name: &str) -> &Value {
        let spans = self.named(name);
        assert_eq!(spans.len(), 1, "one {name} span in {:#?}", self.all);
        spans[0]
    }

    /// The names of the root's events.
    pub fn root_events(&self) -> Vec<String> {
        self.root["events"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| e["name"].as_str().map(str::to_string))
            .collect()
    }

    /// Every span as JSON text, to look for what must never be there.
    pub fn text(&self) -> String {
        serde_json::to_string(&self.all).expect("json")
    }
}

/// Kinds as OTLP numbers them.
pub const INTERNAL: u64 = 1;
pub const SERVER: u64 = 2;
pub const CLIENT: u64 = 3;
