//! The post-call webhook (`POST_CALL_WEBHOOK_URL`): once a call is over — Layercode's
//! `session.end` was stored, or nothing happened in it for `SESSION_IDLE_TTL_SECS` — its
//! whole record is POSTed as JSON, signed like Layercode's webhooks
//! (`voicebridge-signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with
//! `POST_CALL_WEBHOOK_SECRET`), and retried with backoff on failure. Nothing waits for it:
//! the writer tells this task what it stored, and each delivery runs on its own. With
//! `POST_CALL_SUMMARY=true` one more model call first writes a two-sentence summary, kept
//! with the call and sent with it.
//!
//! Each call is delivered once by this machine: a call that ended (or went idle) and was
//! delivered is not sent again, for an hour, even if a late record arrives for it. The
//! call is read 2 s after its `session.end`, so the last turn's record and a recording
//! that arrive just after it are included. Not handled yet: deliveries still waiting when
//! the process exits are lost, and with several machines each machine that saw activity of
//! an idle call delivers it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::record::{CallKey, Record};
use super::store::{CallDetail, CallStore};
use crate::config::Secret;
use crate::llm::{LlmClient, Prompt};
use crate::metrics::Metrics;
use crate::session::ChatMessage;

/// Attempts at one delivery: the first and five retries.
const ATTEMPTS: u32 = 6;
/// The first pause before a retry; it doubles.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// How long one delivery attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a summary may take.
const SUMMARY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long after `session.end` the call is read: the last turn's record and the
/// recording often arrive just after it.
const AFTER_END: Duration = Duration::from_secs(2);
/// How long a delivered call is remembered, so it is not delivered again.
const REMEMBER_DELIVERED: Duration = Duration::from_secs(60 * 60);

/// Where the record goes and how.
#[derive(Debug, Clone)]
pub struct PostCallSettings {
    /// The receiver's URL.
    pub url: String,
    /// The signing secret.
    pub secret: Secret,
    /// Write a summary with the model first.
    pub summary: bool,
    /// A call with no activity for this long is over.
    pub idle_after: Duration,
}

/// What the writer reports.
enum Event {
    /// Something of the call was stored.
    Activity(CallKey),
    /// Its `session.end` was stored.
    Ended(CallKey),
}

/// Starts the post-call task; returns what the writer calls with each stored record.
pub fn spawn(
    settings: PostCallSettings,
    store: CallStore,
    model: Option<LlmClient>,
    metrics: Metrics,
    shutdown: CancellationToken,
) -> impl Fn(&Record) + Send + Sync + 'static {
    let (events, mut receiver) = mpsc::unbounded_channel();
    let delivery = Arc::new(Delivery {
        http: reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("voicebridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default(),
        settings,
        store,
        model,
        metrics,
    });
    tokio::spawn(async move {
        let mut open: HashMap<CallKey, Instant> = HashMap::new();
        let delivered: Arc<Mutex<HashMap<CallKey, Instant>>> = Arc::default();
        let idle_after = delivery.settings.idle_after;
        let sweep_every =
            (idle_after / 4).clamp(Duration::from_millis(100), Duration::from_secs(30));
        let mut sweep = tokio::time::interval(sweep_every);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                event = receiver.recv() => match event {
                    None => break,
                    Some(Event::Activity(call)) => {
                        open.insert(call, Instant::now());
                    }
                    Some(Event::Ended(call)) => {
                        open.remove(&call);
                        deliver_once(&delivery, &delivered, call, AFTER_END);
                    }
                },
                _ = sweep.tick() => {
                    let now = Instant::now();
                    let idle: Vec<CallKey> = open
                        .iter()
                        .filter(|(_, last)| now.duration_since(**last) >= idle_after)
                        .map(|(call, _)| call.clone())
                        .collect();
                    for call in idle {
                        open.remove(&call);
                        deliver_once(&delivery, &delivered, call, Duration::ZERO);
                    }
                    lock(&delivered).retain(|_, at| now.duration_since(*at) < REMEMBER_DELIVERED);
                }
            }
        }
    });
    move |record: &Record| {
        let event = match record {
            Record::SessionEnd { call, .. } => Event::Ended(call.clone()),
            Record::Turn(turn) => Event::Activity(turn.call.clone()),
            Record::Heard { call, .. } | Record::SessionUpdate { call, .. } => {
                Event::Activity(call.clone())
            }
        };
        let _ = events.send(event);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Delivers `call` unless it was delivered lately.
fn deliver_once(
    delivery: &Arc<Delivery>,
    delivered: &Arc<Mutex<HashMap<CallKey, Instant>>>,
    call: CallKey,
    after: Duration,
) {
    if lock(delivered)
        .insert(call.clone(), Instant::now())
        .is_some()
    {
        return;
    }
    let delivery = delivery.clone();
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        delivery.deliver(&call).await;
    });
}

struct Delivery {
    http: reqwest::Client,
    settings: PostCallSettings,
    store: CallStore,
    model: Option<LlmClient>,
    metrics: Metrics,
}

impl Delivery {
    async fn deliver(&self, call: &CallKey) {
        let mut detail = match self.store.get(call).await {
            Ok(Some(detail)) => detail,
            Ok(None) => return, // Deleted meanwhile: nothing to hand on.
            Err(error) => {
                tracing::warn!(%error, "post-call webhook: reading the call failed");
                self.metrics.post_call_delivered("failed");
                return;
            }
        };
        if self.settings.summary && detail.summary_text.is_none() {
            if let Some(summary) = self.summarize(&detail).await {
                if let Err(error) = self.store.set_summary(call, &summary).await {
                    tracing::warn!(%error, "post-call summary could not be stored");
                }
                detail.summary_text = Some(summary);
            }
        }
        let body = match serde_json::to_vec(&json!({"type": "call.ended", "call": detail})) {
            Ok(body) => body,
            Err(_) => return,
        };
        let mut wait = FIRST_RETRY;
        for attempt in 1..=ATTEMPTS {
            match self.attempt(&body).await {
                Ok(()) => {
                    self.metrics.post_call_delivered("delivered");
                    return;
                }
                Err(Failure::Final(why)) => {
                    tracing::warn!(conversation_id = %call.conversation_id, %why, "post-call webhook refused; not retried");
                    self.metrics.post_call_delivered("refused");
                    return;
                }
                Err(Failure::Retry(why)) => {
                    tracing::info!(conversation_id = %call.conversation_id, attempt, %why, "post-call webhook failed");
                    if attempt < ATTEMPTS {
                        tokio::time::sleep(wait).await;
                        wait *= 2;
                    }
                }
            }
        }
        tracing::warn!(conversation_id = %call.conversation_id, "post-call webhook gave up after {ATTEMPTS} attempts");
        self.metrics.post_call_delivered("failed");
    }

    async fn attempt(&self, body: &[u8]) -> Result<(), Failure> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let signature =
            crate::webhook::signature::sign(self.settings.secret.expose().as_bytes(), now, body);
        let sent = self
            .http
            .post(&self.settings.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("voicebridge-signature", signature)
            .body(body.to_vec())
            .timeout(ATTEMPT_TIMEOUT)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => {
                let status = response.status().as_u16();
                // The receiver said the request itself is wrong: sending it again won't help.
                if (400..500).contains(&status) && ![408, 409, 425, 429].contains(&status) {
                    Err(Failure::Final(format!("HTTP {status}")))
                } else {
                    Err(Failure::Retry(format!("HTTP {status}")))
                }
            }
            Err(error) => Err(Failure::Retry(if error.is_timeout() {
                "timed out".to_string()
            } else {
                "connection failed".to_string()
            })),
        }
    }

    /// Two sentences about the call, from the first configured model.
    async fn summarize(&self, detail: &CallDetail) -> Option<String> {
        let model = self.model.as_ref()?;
        let mut transcript = String::new();
        for turn in &detail.turns {
            if !turn.user_text.is_empty() {
                transcript.push_str(&format!("Caller: {}\n", turn.user_text));
            }
            if !turn.agent_text.is_empty() {
                transcript.push_str(&format!("Agent: {}\n", turn.agent_text));
            }
        }
        if transcript.is_empty() {
            return None;
        }
        let question = [ChatMessage::user(transcript, "summary")];
        let prompt = Prompt::new(
            "Summarise this phone call between a caller and a voice agent in exactly two \
             short sentences: what the caller wanted, and how it ended. Plain text only.",
            &question,
        );
        let collect = async {
            let mut stream = model.stream_chat(0, &prompt).await.ok()?;
            let mut text = String::new();
            while let Some(chunk) = stream.next().await {
                text.push_str(chunk.ok()?.text.as_deref().unwrap_or(""));
            }
            Some(text.trim().to_string()).filter(|t| !t.is_empty())
        };
        match tokio::time::timeout(SUMMARY_TIMEOUT, collect).await {
            Ok(summary) => summary,
            Err(_) => {
                tracing::warn!("post-call summary timed out");
                None
            }
        }
    }
}

enum Failure {
    /// Worth another attempt.
    Retry(String),
    /// The receiver refused the request itself.
    Final(String),
}
