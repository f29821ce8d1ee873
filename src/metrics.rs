//! Prometheus metrics (`GET /metrics`): turns by event and outcome, upstream errors by
//! kind, upstream first-token time, webhook-to-first-speech time, and the gateway's own
//! added latency: from receiving the upstream bytes that complete a sentence to handing
//! that sentence's frame to the HTTP layer.

use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// Every metric the server exports.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Webhooks accepted, by event type.
    pub webhooks: IntCounterVec,
    /// Turns finished, by event (`message`, `session.start`) and outcome.
    pub turns: IntCounterVec,
    /// Failed model attempts, by kind (the error code).
    pub upstream_errors: IntCounterVec,
    /// Failed session store or cross-machine operations, by operation.
    pub store_errors: IntCounterVec,
    /// Seconds from sending a request upstream to the first token.
    pub upstream_first_token: Histogram,
    /// Seconds from receiving a webhook to sending its first `response.tts`.
    pub first_tts: Histogram,
    /// Seconds from the upstream bytes that complete a sentence to its frame leaving us.
    pub added_latency: Histogram,
    turns_in_flight: IntGauge,
    conversations: IntGauge,
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
        Self {
            webhooks: counter("voicebridge_webhooks_total", "Webhooks accepted, by event type.", &["event"]),
            turns: counter(
                "voicebridge_turns_total",
                "Turns finished, by event and outcome.",
                &["event", "outcome"],
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
            registry,
        }
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
