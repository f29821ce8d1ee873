//! The HTTP client for `POST {base_url}/chat/completions` with `stream: true`. Pooled
//! connections serve every turn, so a turn reuses a warm connection (HTTP/2 where the
//! provider offers it through ALPN) instead of paying a TLS handshake.
//!
//! One pool per thread: a connection's I/O runs on the thread that opened it, and each of
//! the server's workers runs its turns on its own thread, so a turn that took a connection
//! another worker opened would wake that thread for every chunk it reads (a system call
//! and a thread switch each way). With a pool per thread a turn's model stream stays on
//! its own thread. The cost is a warm connection per worker rather than one in all.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::stream::ReplyStream;
use super::wire::{ChatRequest, Prompt, StreamOptions};
use super::LlmError;
use crate::config::{LlmSettings, UpstreamSettings};

/// Longest error body read from a failed request.
const MAX_ERROR_BODY: usize = 2048;

/// The configured model endpoints, primary first. Cheap to clone: one connection pool
/// serves them all.
#[derive(Clone, Debug)]
pub struct LlmClient {
    pools: Arc<Pools>,
    /// The size of the last request body, to size the next one's buffer.
    body_hint: Arc<AtomicUsize>,
    upstreams: Vec<Endpoint>,
    temperature: Option<f32>,
    max_tokens: Option<u32>,
    prompt_cache_key: Option<String>,
}

#[derive(Clone, Debug)]
struct Endpoint {
    url: String,
    /// `url` parsed once, not per request (`None` when it does not parse: the request
    /// then fails with the parser's error, as it would have).
    parsed: Option<reqwest::Url>,
    settings: UpstreamSettings,
}

/// Tells one client's pools apart in a thread's list.
static NEXT_POOLS: AtomicU64 = AtomicU64::new(0);

/// A thread's pool of one client, kept while the client lives.
type ThreadPool = (u64, Weak<Pools>, reqwest::Client);

thread_local! {
    /// This thread's pool of each client, by the client's id.
    static THREAD_POOLS: RefCell<Vec<ThreadPool>> = const { RefCell::new(Vec::new()) };
}

/// How to build a pool, and the one built with the client (checked to build, and used
/// should a thread's own fail to).
#[derive(Debug)]
struct Pools {
    id: u64,
    connect_timeout: Duration,
    first: reqwest::Client,
}

impl Pools {
    fn build(connect_timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
        crate::http::builder(connect_timeout)
            .tcp_keepalive(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(90))
            .http2_keep_alive_interval(Duration::from_secs(20))
            .http2_keep_alive_while_idle(true)
            .build()
    }

    /// This thread's pool (a cheap handle).
    fn here(self: &Arc<Self>) -> reqwest::Client {
        THREAD_POOLS.with(|pools| {
            let mut pools = pools.borrow_mut();
            if let Some((_, _, client)) = pools.iter().find(|(id, _, _)| *id == self.id) {
                return client.clone();
            }
            // The pools of clients gone since (a test's app) go with them.
            pools.retain(|(_, owner, _)| owner.strong_count() > 0);
            let client = Self::build(self.connect_timeout).unwrap_or_else(|_| self.first.clone());
            pools.push((self.id, Arc::downgrade(self), client.clone()));
            client
        })
    }
}

impl LlmClient {
    /// Builds the client (its pools are made per thread as turns use them).
    pub fn new(settings: &LlmSettings) -> Result<Self, LlmError> {
        let first = Pools::build(settings.connect_timeout)
            .map_err(|e| LlmError::Unreachable(format!("cannot build HTTP client: {e}")))?;
        let pools = Arc::new(Pools {
            id: NEXT_POOLS.fetch_add(1, Ordering::Relaxed),
            connect_timeout: settings.connect_timeout,
            first,
        });
        let upstreams = settings
            .upstreams
            .iter()
            .map(|upstream| {
                let url = format!("{}/chat/completions", upstream.base_url);
                Endpoint {
                    parsed: reqwest::Url::parse(&url).ok(),
                    url,
                    settings: upstream.clone(),
                }
            })
            .collect();
        Ok(Self {
            pools,
            body_hint: Arc::new(AtomicUsize::new(0)),
            upstreams,
            temperature: settings.temperature,
            max_tokens: settings.max_tokens,
            prompt_cache_key: settings.prompt_cache_key.clone(),
        })
    }

    /// Number of upstreams (the primary and its fallbacks).
    pub fn upstream_count(&self) -> usize {
        self.upstreams.len()
    }

    /// The model name of upstream `index` (clamped to the last one).
    pub fn model(&self, index: usize) -> &str {
        let last = self.upstreams.len().saturating_sub(1);
        self.upstreams
            .get(index.min(last))
            .map_or("", |u| u.settings.model.as_str())
    }

    /// The base URL of upstream `index` (clamped to the last one), without credentials.
    pub fn base_url(&self, index: usize) -> &str {
        let last = self.upstreams.len().saturating_sub(1);
        self.upstreams
            .get(index.min(last))
            .map_or("", |u| u.settings.base_url.as_str())
    }

    /// The sampling temperature and token cap every request asks for, when set.
    pub fn sampling(&self) -> (Option<f32>, Option<u32>) {
        (self.temperature, self.max_tokens)
    }

    /// Starts a streamed completion on upstream `index` for `prompt`. Returns once the
    /// response headers arrived; HTTP errors come back as [`LlmError::Status`]. The demo
    /// model (`LLM_MODEL=demo`) answers from [`super::demo`] without a request.
    pub async fn stream_chat(
        &self,
        index: usize,
        prompt: &Prompt<'_>,
    ) -> Result<ReplyStream, LlmError> {
        let upstream = self
            .upstreams
            .get(index)
            .ok_or_else(|| LlmError::Unreachable(format!("no upstream number {index}")))?;
        if upstream.settings.is_demo() {
            return Ok(super::demo::stream(prompt));
        }
        let messages = prompt.messages();
        let tools = Some(prompt.tools).filter(|t| !t.is_empty());
        let body = ChatRequest {
            model: &upstream.settings.model,
            messages,
            stream: true,
            stream_options: StreamOptions {
                include_usage: true,
            },
            temperature: self.temperature,
            max_tokens: self.max_tokens,
            tools,
            tool_choice: (tools.is_some() && prompt.tools_disabled).then_some("none"),
            prompt_cache_key: self.prompt_cache_key.as_deref(),
            response_format: prompt.response_format,
        };
        // Serialized into a buffer sized from the last request, which the next one is
        // usually a little larger than (the history grows), rather than grown by doubling.
        let mut json =
            Vec::with_capacity(self.body_hint.load(Ordering::Relaxed).min(1 << 20) + 512);
        serde_json::to_writer(&mut json, &body)
            .map_err(|e| LlmError::Unreachable(format!("cannot encode the request: {e}")))?;
        self.body_hint.store(json.len(), Ordering::Relaxed);
        let pool = self.pools.here();
        let request = match &upstream.parsed {
            Some(url) => pool.post(url.clone()),
            None => pool.post(&upstream.url),
        };
        let mut request = request
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(json);
        if let Some(key) = &upstream.settings.api_key {
            request = request.bearer_auth(key.expose());
        }
        if let Some(parent) = prompt.traceparent {
            request = request.header("traceparent", parent);
        }
        // reqwest's error text names the URL, never the Authorization header.
        let response = request
            .send()
            .await
            .map_err(|e| LlmError::Unreachable(crate::http::error_chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(status_error(status.as_u16(), response).await);
        }
        Ok(ReplyStream::new(response.bytes_stream()))
    }
}

/// `retry-after-ms` (OpenAI's precise form) or `retry-after` in seconds; an HTTP date is
/// not worth parsing for a voice turn and counts as absent.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    // An absurd value (1e30) is no reason to panic: it counts as absent.
    number("retry-after-ms")
        .and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
        .or_else(|| number("retry-after").and_then(|s| Duration::try_from_secs_f64(s).ok()))
}

async fn status_error(status: u16, response: reqwest::Response) -> LlmError {
    let retry_after = retry_after(response.headers());
    let body = response.bytes().await.unwrap_or_default();
    let body = &body[..body.len().min(MAX_ERROR_BODY)];
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let field = |key: &str| {
        error
            .and_then(|e| e.get(key))
            .and_then(|v| v.as_str().map(str::to_string))
    };
    let message = field("message")
        .or_else(|| error.and_then(|e| e.as_str().map(str::to_string)))
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(300).collect());
    LlmError::Status {
        status,
        code: field("code").or_else(|| field("type")),
        message,
        retry_after,
    }
}
