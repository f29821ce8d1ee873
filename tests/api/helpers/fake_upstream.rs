//! A local stand-in for an OpenAI-compatible server: records every request and answers
//! with scripted replies, written chunk by chunk over HTTP/1.1 chunked encoding so a test
//! controls exactly when each byte leaves, and can break the connection mid-stream.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub at: Instant,
    #[allow(dead_code)] // not every test binary uses it
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
    /// The body's exact bytes.
    #[allow(dead_code)] // not every test binary uses it
    pub raw: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `(role, content)` of every message sent.
    pub fn messages(&self) -> Vec<(String, String)> {
        self.body["messages"]
            .as_array()
            .expect("messages array")
            .iter()
            .map(|m| {
                (
                    m["role"].as_str().expect("role").to_string(),
                    // `null` on an assistant message that only calls tools.
                    m["content"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }
}

/// One step of a streamed reply.
#[derive(Clone)]
pub enum Step {
    /// Write these bytes as one chunk and flush.
    Send(Vec<u8>),
    /// Wait until the test calls `notify_one` on this.
    Wait(Arc<Notify>),
    /// Pause before the next step, like a model generating tokens.
    #[allow(dead_code)] // used by benches/pipeline.rs
    Sleep(Duration),
    /// Record the moment the previous step's bytes were flushed, under this label.
    #[allow(dead_code)] // used by benches/pipeline.rs
    Mark(usize),
}

/// What the fake answers to one request.
#[derive(Clone)]
pub enum Reply {
    /// `200 text/event-stream`, the steps in order, then a clean end or a broken connection.
    Stream { steps: Vec<Step>, abort: bool },
    /// A plain HTTP error.
    Status { status: u16, body: String },
    /// These exact bytes, then close (a recorded HTTP response).
    #[allow(dead_code)] // not every test binary uses it
    Raw(Vec<u8>),
    /// A plain response with this status and body, after a pause (a tool endpoint).
    #[allow(dead_code)] // not every test binary uses it
    Plain {
        status: u16,
        body: String,
        after: Duration,
    },
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/upstream/");

impl Reply {
    /// A recorded stream, one SSE event per write.
    pub fn fixture(name: &str) -> Self {
        let bytes = std::fs::read(format!("{FIXTURES}{name}")).expect("fixture exists");
        let text = String::from_utf8(bytes).expect("utf-8 fixture");
        let steps = text
            .split_inclusive("\n\n")
            .map(|event| Step::Send(event.as_bytes().to_vec()))
            .collect();
        Reply::Stream {
            steps,
            abort: false,
        }
    }

    /// An OpenAI-shaped stream of these content deltas, with role, finish and usage chunks.
    pub fn deltas(deltas: &[&str]) -> Self {
        let mut steps = vec![Step::Send(role_chunk())];
        steps.extend(deltas.iter().map(|d| Step::Send(content_chunk(d))));
        steps.extend(finish_steps());
        Reply::Stream {
            steps,
            abort: false,
        }
    }

    /// A recorded whole HTTP response (`*.http` fixture).
    #[allow(dead_code)] // not every test binary uses it
    pub fn raw_fixture(name: &str) -> Self {
        Reply::Raw(std::fs::read(format!("{FIXTURES}{name}")).expect("fixture exists"))
    }

    /// A stream in which the model calls tools (`(id, name, arguments)`), after saying
    /// `said` (may be empty). Each call arrives as OpenAI sends it: id and name first,
    /// then the arguments in two pieces.
    #[allow(dead_code)] // not every test binary uses it
    pub fn tool_calls(said: &[&str], calls: &[(&str, &str, &str)]) -> Self {
        let mut steps = vec![Step::Send(role_chunk())];
        steps.extend(said.iter().map(|d| Step::Send(content_chunk(d))));
        for (index, (id, name, arguments)) in calls.iter().enumerate() {
            let first = serde_json::json!({"choices":[{"index":0,"delta":{"tool_calls":[
                {"index":index,"id":id,"type":"function","function":{"name":name,"arguments":""}}
            ]},"finish_reason":null}]});
            steps.push(Step::Send(event(&first.to_string())));
            let cut = arguments
                .char_indices()
                .nth(arguments.chars().count() / 2)
                .map_or(0, |(i, _)| i);
            for piece in [&arguments[..cut], &arguments[cut..]] {
                let more = serde_json::json!({"choices":[{"index":0,"delta":{"tool_calls":[
                    {"index":index,"function":{"arguments":piece}}
                ]},"finish_reason":null}]});
                steps.push(Step::Send(event(&more.to_string())));
            }
        }
        steps.push(Step::Send(event(
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
        )));
        steps.push(Step::Send(event("[DONE]")));
        Reply::Stream {
            steps,
            abort: false,
        }
    }

    /// A tool endpoint's answer: `status` with a JSON `body`, after `after`.
    #[allow(dead_code)] // not every test binary uses it
    pub fn plain(status: u16, body: &str, after: Duration) -> Self {
        Reply::Plain {
            status,
            body: body.to_string(),
            after,
        }
    }

    pub fn status(status: u16, body: &str) -> Self {
        Reply::Status {
            status,
            body: body.to_string(),
        }
    }
}

pub fn role_chunk() -> Vec<u8> {
    event(
        r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
    )
}

pub fn content_chunk(text: &str) -> Vec<u8> {
    let chunk =
        serde_json::json!({"choices":[{"index":0,"delta":{"content":text},"finish_reason":null}]});
    event(&chunk.to_string())
}

pub fn finish_steps() -> Vec<Step> {
    vec![
        Step::Send(event(
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        )),
        Step::Send(event(
            r#"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}"#,
        )),
        Step::Send(event("[DONE]")),
    ]
}

fn event(data: &str) -> Vec<u8> {
    format!("data: {data}\n\n").into_bytes()
}

/// Chooses the reply to a request when nothing is queued.
pub type Responder = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

struct Shared {
    requests: Mutex<Vec<Recorded>>,
    replies: Mutex<VecDeque<Reply>>,
    responder: Mutex<Option<Responder>>,
    default_reply: Mutex<Option<Reply>>,
    closed: Mutex<Vec<Instant>>,
    marks: Mutex<Vec<(usize, Instant)>>,
    connections: AtomicUsize,
}

/// A running fake; dropped with the test's runtime.
#[derive(Clone)]
pub struct FakeUpstream {
    pub base_url: String,
    shared: Arc<Shared>,
}

impl FakeUpstream {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake upstream");
        let port = listener.local_addr().expect("addr").port();
        let shared = Arc::new(Shared {
            requests: Mutex::new(Vec::new()),
            replies: Mutex::new(VecDeque::new()),
            responder: Mutex::new(None),
            default_reply: Mutex::new(None),
            closed: Mutex::new(Vec::new()),
            marks: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
        });
        let accept_shared = shared.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, accept_shared.clone()));
            }
        });
        Self {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            shared,
        }
    }

    /// Queues the answer to the next request (FIFO). With nothing queued, a short default
    /// reply is sent.
    pub fn enqueue(&self, reply: Reply) {
        self.shared.replies.lock().expect("lock").push_back(reply);
    }

    /// Answers requests with this when nothing is queued.
    #[allow(dead_code)] // not every test binary uses it
    pub fn set_default(&self, reply: Reply) {
        *self.shared.default_reply.lock().expect("lock") = Some(reply);
    }

    /// Answers each request with what `responder` makes of it when nothing is queued
    /// (concurrent requests whose answers depend on what they ask).
    #[allow(dead_code)] // used by benches/tools.rs
    pub fn set_responder(&self, responder: Responder) {
        *self.shared.responder.lock().expect("lock") = Some(responder);
    }

    /// How many connections clients have opened.
    #[allow(dead_code)] // not every test binary uses it
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// When the client closed a connection while a reply was still streaming.
    #[allow(dead_code)] // not every test binary uses it
    pub fn closed_mid_stream(&self) -> Vec<Instant> {
        self.shared.closed.lock().expect("lock").clone()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().expect("lock").clone()
    }

    /// Every `Step::Mark` passed so far, with when it was passed.
    #[allow(dead_code)] // used by benches/pipeline.rs
    pub fn marks(&self) -> Vec<(usize, Instant)> {
        self.shared.marks.lock().expect("lock").clone()
    }
}

/// Serves requests on one connection, keeping it alive between replies like a real
/// provider, until the client closes it or a reply breaks it.
async fn serve(mut socket: TcpStream, shared: Arc<Shared>) {
    // Streaming servers disable Nagle so each chunk leaves at once.
    let _ = socket.set_nodelay(true);
    shared.connections.fetch_add(1, Ordering::Relaxed);
    while let Some(recorded) = read_request(&mut socket).await {
        let responder = shared.responder.lock().expect("lock").clone();
        let chosen = responder.map(|respond| respond(&recorded));
        shared.requests.lock().expect("lock").push(recorded);
        let queued = shared.replies.lock().expect("lock").pop_front();
        let reply = queued
            .or(chosen)
            .or_else(|| shared.default_reply.lock().expect("lock").clone())
            .unwrap_or_else(|| Reply::deltas(&["Hello ", "there. ", "How can I help?"]));
        if !matches!(write_reply(&mut socket, reply, &shared).await, Ok(true)) {
            return;
        }
    }
}

async fn read_request(socket: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let path = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let raw = buf[head_end..head_end + length].to_vec();
    let body = serde_json::from_slice(&raw).unwrap_or(serde_json::Value::Null);
    Some(Recorded {
        at: Instant::now(),
        method,
        path,
        headers,
        body,
        raw,
    })
}

/// Runs `wait` while watching the connection; true when the client closed it first.
async fn until_closed<F: std::future::Future>(socket: &mut TcpStream, wait: F) -> bool {
    let mut buf = [0u8; 64];
    tokio::select! {
        _ = wait => false,
        read = socket.read(&mut buf) => matches!(read, Ok(0) | Err(_)),
    }
}

/// Writes one reply; `Ok(true)` when the connection can serve another request.
async fn write_reply(
    socket: &mut TcpStream,
    reply: Reply,
    shared: &Shared,
) -> std::io::Result<bool> {
    match reply {
        Reply::Plain {
            status,
            body,
            after,
        } => {
            // A zero pause must not wait for the timer's next tick (about a millisecond).
            if !after.is_zero() && until_closed(socket, tokio::time::sleep(after)).await {
                shared.closed.lock().expect("lock").push(Instant::now());
                return Ok(false);
            }
            let head = format!(
                "HTTP/1.1 {status} Answer\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            socket.write_all(head.as_bytes()).await?;
            socket.write_all(body.as_bytes()).await?;
            socket.flush().await?;
            Ok(true)
        }
        Reply::Raw(bytes) => {
            socket.write_all(&bytes).await?;
            socket.flush().await?;
            Ok(true)
        }
        Reply::Status { status, body } => {
            let head = format!(
                "HTTP/1.1 {status} Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            socket.write_all(head.as_bytes()).await?;
            socket.write_all(body.as_bytes()).await?;
            socket.flush().await?;
            Ok(true)
        }
        Reply::Stream { steps, abort } => {
            socket
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                .await?;
            socket.flush().await?;
            for step in steps {
                match step {
                    Step::Send(bytes) => {
                        // One write per chunk, as a real server's framing layer does.
                        let mut frame = format!("{:x}\r\n", bytes.len()).into_bytes();
                        frame.extend_from_slice(&bytes);
                        frame.extend_from_slice(b"\r\n");
                        socket.write_all(&frame).await?;
                        socket.flush().await?;
                    }
                    Step::Sleep(pause) => {
                        if until_closed(socket, tokio::time::sleep(pause)).await {
                            shared.closed.lock().expect("lock").push(Instant::now());
                            return Ok(false);
                        }
                    }
                    Step::Mark(label) => {
                        shared
                            .marks
                            .lock()
                            .expect("lock")
                            .push((label, Instant::now()));
                    }
                    Step::Wait(gate) => {
                        // Give up eventually so a broken test cannot hang the suite.
                        let wait = tokio::time::timeout(Duration::from_secs(20), gate.notified());
                        if until_closed(socket, wait).await {
                            shared.closed.lock().expect("lock").push(Instant::now());
                            return Ok(false);
                        }
                    }
                }
            }
            if abort {
                // No terminating chunk: the client sees the body break mid-stream.
                socket.shutdown().await?;
                return Ok(false);
            }
            socket.write_all(b"0\r\n\r\n").await?;
            socket.flush().await?;
            Ok(true)
        }
    }
}
