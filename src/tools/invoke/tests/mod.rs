//! The tests of one invocation, and what they share: a tool from a file's text and a tiny
//! HTTP server that records each request.

mod arguments;
mod request;
mod response;
mod templates;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::secret::Secret;
use crate::template::{CallContext, Now};
use crate::tools::file::parse_tool;
use crate::tools::{Tool, ToolFailure, ToolFailureKind};

const KEY: &str = "sk-test-secret-987";

fn env(name: &str) -> Option<String> {
    match name {
        "API_KEY" => Some(KEY.to_string()),
        "STORE_ID" => Some("12345678".to_string()),
        "WEIRD_TOKEN" => Some("abc-def_ghi==/x y".to_string()),
        "API_BASE" => Some("http://127.0.0.1:9".to_string()),
        _ => None,
    }
}

fn tool(text: &str) -> Tool {
    parse_tool(Path::new("tools/t.toml"), "t", text, &env).expect("tool loads")
}

/// The context of a call with nothing known about the caller.
fn ctx() -> CallContext {
    CallContext::default()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// What the test server does with one connection.
enum Reply {
    /// Read the request, then close without answering.
    Close,
    /// Wait, then answer.
    Answer {
        delay: Duration,
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
}

fn answer(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Reply {
    Reply::Answer {
        delay: Duration::ZERO,
        status,
        content_type,
        body: body.into(),
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1: one request per connection; records each
/// request (head and body) as text.
struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    async fn start(reply: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let reply = Arc::new(reply);
        tokio::spawn(async move {
            let mut index = 0;
            while let Ok((stream, _)) = listener.accept().await {
                let reply = reply.clone();
                let seen = seen.clone();
                let this = index;
                index += 1;
                tokio::spawn(async move {
                    handle(stream, reply(this), seen).await;
                });
            }
        });
        Server { addr, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }
}

async fn handle(mut stream: TcpStream, reply: Reply, seen: Arc<Mutex<Vec<String>>>) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    seen.lock()
        .expect("lock")
        .push(String::from_utf8_lossy(&data).into_owned());
    match reply {
        Reply::Close => {}
        Reply::Answer {
            delay,
            status,
            content_type,
            body,
        } => {
            tokio::time::sleep(delay).await;
            let mut response = format!(
                "HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            if !content_type.is_empty() {
                response.push_str(&format!("Content-Type: {content_type}\r\n"));
            }
            response.push_str("\r\n");
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.write_all(&body).await;
            let _ = stream.shutdown().await;
        }
    }
}

fn get_order(url: &str) -> Tool {
    tool(&format!(
        r#"
description = "Look up an order."
url = "{url}"
timeout_ms = 3000
[headers]
Authorization = "Bearer ${{API_KEY}}"
[parameters]
type = "object"
required = ["order_id"]
[parameters.properties.order_id]
type = "string"
[parameters.properties.verbose]
type = "boolean"
[parameters.properties.note]
type = "string"
"#
    ))
}
