//! Prometheus metrics (`GET /metrics`): turns by event and outcome, upstream errors by
//! kind, upstream first-token time, webhook-to-first-speech time, and the gateway's own
//! added latency: from receiving the upstream bytes that complete a sentence to handing
//! that sentence's frame to the HTTP layer. The rest of the crate calls methods that speak
//! its own terms (`turn_finished`, `upstream_failed`, `store_failed`); the label strings
//! live here.

use std::time::Duration;

mod costs;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

/// How a turn ended, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnOutcome {
    /// The model finished and everything was sent.
    Completed,
    /// The client went away mid-turn (barge-in), or the server stopped.
    Interrupted,
    /// The model failed; the user heard an apology.
    Failed,
    /// A newer turn of the same conversation took over.
    Superseded,
}

impl TurnOutcome {
    /// The outcome's name in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Interrupted => "interrupted",
            Self::Failed => "failed",
            Self::Superseded => "superseded",
        }
    }
}

/// Which webhook a turn answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnKind {
    /// A `message`: the user said something.
    Message,
    /// A `session.start`: the welcome.
    Welcome,
    /// A request through the OpenAI door (`chat/completions`).
    Completion,
    /// A reply asked for on Retell's WebSocket.
    Retell,
}

/// A session store or cross-machine operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOperation {
    /// Storing the user's message and reading the history.
    BeginTurn,
    /// Storing what was said.
    RecordReply,
    /// Claiming a conversation for a turn across machines.
    Claim,
    /// Giving a conversation up across machines.
    Release,
    /// Storing what the page sent (`data`), or reading it for a turn.
    ClientContext,
    /// Announcing a client tool call, or forwarding the page's answer to it, across
    /// machines.
    ClientToolResult,
}

impl StoreOperation {
    /// The operation's name in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BeginTurn => "begin_turn",
            Self::RecordReply => "record_reply",
            Self::Claim => "claim",
            Self::Release => "release",
            Self::ClientContext => "client_context",
            Self::ClientToolResult => "client_tool_result",
        }
    }
}

/// Every metric the server exports.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    webhooks: IntCounterVec,
    turns: IntCounterVec,
    upstream_errors: IntCounterVec,
    store_errors: IntCounterVec,
    replies_waiting: IntGauge,
    replies_saved_late: IntCounter,
    replies_lost: IntCounterVec,
    tool_calls: IntCounterVec,
    tool_arguments_dropped: IntCounterVec,
    post_call: IntCounterVec,
    tool_seconds: HistogramVec,
    upstream_first_token: Histogram,
    /// Seconds from receiving a webhook to sending its first `response.tts`.
    pub first_tts: Histogram,
    /// Seconds from the upstream bytes that complete a sentence to its frame leaving us.
    pub added_latency: Histogram,
    turns_in_flight: IntGauge,
    conversations: IntGauge,
    call_records_dropped: IntCounter,
    call_store_errors: IntCounter,
    call_records_written: IntCounter,
    costs: costs::CostMetrics,
    trace_spans_dropped: IntCounter,
    trace_spans_exported: IntCounter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Self {
        let registry = Registry::new();
        let seconds = |name: &str, help: &str, buckets: Vec<f64>| {
            let histogram = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))
                .unwrap_or_else(|e| unreachable!("static histogram options are valid: {e}"));
            let _ = registry.register(Box::new(histogram.clone()));
            histogram
        };
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let counter = IntCounterVec::new(Opts::new(name, help), labels)
                .unwrap_or_else(|e| unreachable!("static counter options are valid: {e}"));
            let _ = registry.register(Box::new(counter.clone()));
            counter
        };
        let total = |name: &str, help: &str| {
            let counter = IntCounter::new(name, help)
                .unwrap_or_else(|e| unreachable!("static counter options are valid: {e}"));
            let _ = registry.register(Box::new(counter.clone()));
            counter
        };
        let gauge = |name: &str, help: &str| {
            let gauge = IntGauge::new(name, help)
                .unwrap_or_else(|e| unreachable!("static gauge options are valid: {e}"));
            let _ = registry.register(Box::new(gauge.clone()));
            gauge
        };
        let slow = vec![
            0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0,
        ];
        let fast = vec![
            0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025,
            0.05, 0.1,
        ];
        let tool_seconds = HistogramVec::new(
            HistogramOpts::new(
                "voicebridge_tool_seconds",
                "Time from starting a tool call to its result, by tool.",
            )
            .buckets(slow.clone()),
            &["tool"],
        )
        .unwrap_or_else(|e| unreachable!("static histogram options are valid: {e}"));
        let _ = registry.register(Box::new(tool_seconds.clone()));
        Self {
            costs: costs::CostMetrics::new(&registry),
            post_call: counter(
                "voicebridge_post_call_webhooks_total",
                "Post-call webhooks, by outcome (delivered, refused, failed).",
                &["outcome"],
            ),
            tool_calls: counter(
                "voicebridge_tool_calls_total",
                "Tool calls the model made, by agent, tool and outcome.",
                &["agent", "tool", "outcome"],
            ),
            tool_arguments_dropped: counter(
                "voicebridge_tool_arguments_dropped_total",
                "Arguments the model sent that a tool's parameters do not declare, not sent, by agent and tool.",
                &["agent", "tool"],
            ),
            tool_seconds,
            webhooks: counter("voicebridge_webhooks_total", "Webhooks accepted, by event type.", &["event"]),
            turns: counter(
                "voicebridge_turns_total",
                "Turns finished, by agent, event and outcome.",
                &["agent", "event", "outcome"],
            ),
            upstream_errors: counter(
                "voicebridge_upstream_errors_total",
                "Failed model attempts, by kind.",
                &["kind"],
            ),
            store_errors: counter(
                "voicebridge_store_errors_total",
                "Failed session store or cross-machine operations, by operation.",
                &["operation"],
            ),
            replies_waiting: gauge(
                "voicebridge_replies_waiting",
                "Replies a caller heard that wait on this machine for the session store to take them.",
            ),
            replies_saved_late: total(
                "voicebridge_replies_saved_late_total",
                "Replies saved from the waiting queue once the session store was back.",
            ),
            replies_lost: counter(
                "voicebridge_replies_lost_total",
                "Replies a caller heard that were never saved, by reason (full, expired, shutdown).",
                &["reason"],
            ),
            upstream_first_token: seconds(
                "voicebridge_upstream_first_token_seconds",
                "Time from sending a request to the model to its first token.",
                slow.clone(),
            ),
            first_tts: seconds(
                "voicebridge_first_tts_seconds",
                "Time from receiving a webhook to sending its first response.tts.",
                slow,
            ),
            added_latency: seconds(
                "voicebridge_added_latency_seconds",
                "Gateway's own latency: from the upstream bytes that complete a sentence to its response.tts frame leaving voicebridge.",
                fast,
            ),
            turns_in_flight: gauge("voicebridge_turns_in_flight", "Turns streaming right now."),
            conversations: gauge("voicebridge_conversations", "Conversations held by the session store."),
            call_records_dropped: total(
                "voicebridge_call_records_dropped_total",
                "Call records dropped because the call store's queue was full or closed.",
            ),
            call_store_errors: total(
                "voicebridge_call_store_errors_total",
                "Failed attempts to write a call record (each retry counts).",
            ),
            call_records_written: total(
                "voicebridge_call_records_written_total",
                "Call records written to the call store.",
            ),
            trace_spans_dropped: total(
                "voicebridge_trace_spans_dropped_total",
                "Trace spans dropped: the export queue was full, or the collector refused or did not answer.",
            ),
            trace_spans_exported: total(
                "voicebridge_trace_spans_exported_total",
                "Trace spans the collector accepted.",
            ),
            registry,
        }
    }

    /// A webhook of this event type (Layercode's name for it) was accepted.
    pub fn webhook_received(&self, event: &str) {
        self.webhooks.with_label_values(&[event]).inc();
    }

    /// A turn ended this way.
    pub fn turn_finished(&self, agent: &str, kind: TurnKind, outcome: TurnOutcome) {
        let kind = match kind {
            TurnKind::Message => "message",
            TurnKind::Welcome => "session.start",
            TurnKind::Completion => "chat.completion",
            TurnKind::Retell => "retell.response",
        };
        self.turns
            .with_label_values(&[agent, kind, outcome.as_str()])
            .inc();
    }

    /// An attempt at the model failed with this error code (`LlmError::code`).
    pub fn upstream_failed(&self, code: &str) {
        self.upstream_errors.with_label_values(&[code]).inc();
    }

    /// The model's first token came this long after the request was sent.
    pub fn upstream_first_token(&self, after: Duration) {
        self.upstream_first_token.observe(after.as_secs_f64());
    }

    /// A tool call ended with `outcome` (`ok`, `http_error`, `timeout`, …); `took` is
    /// the call's time when the tool was actually called.
    pub fn tool_finished(&self, agent: &str, tool: &str, outcome: &str, took: Option<Duration>) {
        self.tool_calls
            .with_label_values(&[agent, tool, outcome])
            .inc();
        if let Some(took) = took {
            self.tool_seconds
                .with_label_values(&[tool])
                .observe(took.as_secs_f64());
        }
    }

    /// The model sent `count` arguments that the tool's parameters do not declare; they
    /// were not sent to the tool.
    pub fn tool_arguments_dropped(&self, agent: &str, tool: &str, count: usize) {
        self.tool_arguments_dropped
            .with_label_values(&[agent, tool])
            .inc_by(count as u64);
    }

    /// A post-call webhook ended this way.
    pub fn post_call_delivered(&self, outcome: &str) {
        self.post_call.with_label_values(&[outcome]).inc();
    }

    /// `count` replies wait for the session store.
    pub fn replies_waiting(&self, count: usize) {
        self.replies_waiting.set(count as i64);
    }

    /// A reply that waited for the session store was saved.
    pub fn reply_saved_late(&self) {
        self.replies_saved_late.inc();
    }

    /// A reply that waited for the session store was given up (`full`, `expired`,
    /// `shutdown`).
    pub fn reply_lost(&self, reason: &str) {
        self.replies_lost.with_label_values(&[reason]).inc();
    }

    /// A session store or cross-machine operation failed.
    pub fn store_failed(&self, operation: StoreOperation) {
        self.store_errors
            .with_label_values(&[operation.as_str()])
            .inc();
    }

    /// A call record was dropped: the call store's queue was full or closed.
    pub fn call_record_dropped(&self) {
        self.call_records_dropped.inc();
    }

    /// An attempt to write a call record failed (it is retried).
    pub fn call_store_failed(&self) {
        self.call_store_errors.inc();
    }

    /// A call record was written to the call store.
    pub fn call_record_written(&self) {
        self.call_records_written.inc();
    }

    /// What turns cost and how much of their prompts providers had cached.
    pub fn costs(&self) -> &costs::CostMetrics {
        &self.costs
    }

    /// `count` trace spans were dropped (queue full, or the export failed).
    pub fn trace_spans_dropped(&self, count: usize) {
        self.trace_spans_dropped.inc_by(count as u64);
    }

    /// `count` trace spans were exported.
    pub fn trace_spans_exported(&self, count: usize) {
        self.trace_spans_exported.inc_by(count as u64);
    }

    /// The Prometheus text exposition, with the gauges read now.
    pub fn render(&self, turns_in_flight: usize, conversations: Option<usize>) -> String {
        self.turns_in_flight.set(turns_in_flight as i64);
        if let Some(count) = conversations {
            self.conversations.set(count as i64);
        }
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
