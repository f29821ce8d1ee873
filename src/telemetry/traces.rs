//! Sending spans: OpenTelemetry's SDK tracer with the configured sampler and resource, a
//! batch queue of our own on the async runtime, and the OTLP/HTTP protobuf exporter over
//! our reqwest client.
//!
//! Why a queue of our own rather than the SDK's batch processor: ending a span must never
//! wait (it is pushed, or dropped when the queue is full) nor wake another thread for
//! each span, and every span that does not reach the collector — queue full, collector
//! down or refusing — is counted in `voicebridge_trace_spans_dropped_total`, which the
//! SDK's processors only log.

use std::collections::HashMap;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    Sampler, SdkTracerProvider, SpanData, SpanExporter as _, SpanProcessor,
};
use opentelemetry_sdk::Resource;
use tokio::sync::{mpsc, oneshot};

use crate::config::{ParentlessRule, TraceSampler, TraceSettings};
use crate::metrics::Metrics;
use crate::trace::Tracing;

/// Longest response body read from the collector.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// This application's traces: the tracing handle the turns use, and a way to send what is
/// queued (at shutdown, and for `voicebridge check`'s test span).
#[derive(Clone, Default)]
pub struct Traces {
    pub tracing: Tracing,
    flush: Option<mpsc::Sender<oneshot::Sender<Option<String>>>>,
    /// Keeps the tracer's provider (and so its processor) alive as long as the app.
    _provider: Option<SdkTracerProvider>,
}

impl Traces {
    /// Tracing off.
    pub fn off() -> Self {
        Self::default()
    }

    /// Sends every span queued so far, waiting at most `within`: `Err` says why spans
    /// did not reach the collector since the last time this was asked (or since the
    /// start), or that the wait ran out.
    pub async fn send_queued(&self, within: Duration) -> Result<(), String> {
        let Some(flush) = &self.flush else {
            return Ok(());
        };
        let (done, sent) = oneshot::channel();
        let exchange = async {
            flush.send(done).await.map_err(|_| ())?;
            sent.await.map_err(|_| ())
        };
        match tokio::time::timeout(within, exchange).await {
            Ok(Ok(None)) => Ok(()),
            Ok(Ok(Some(error))) => Err(error),
            Ok(Err(())) => Err("the exporter has stopped".into()),
            Err(_) => Err(format!("no answer within {} ms", within.as_millis())),
        }
    }
}

/// Starts exporting as `settings` say (nothing when no endpoint is set). Must run inside
/// the tokio runtime: the queue is a task of it.
pub fn start(settings: &TraceSettings, metrics: &Metrics) -> Result<Traces, String> {
    let Some(endpoint) = &settings.endpoint else {
        return Ok(Traces::off());
    };
    // No redirects: the export's credential headers go to the configured URL only.
    let http = crate::http::builder(crate::http::CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .build()
        .map_err(|e| format!("cannot build the trace exporter's HTTP client: {e}"))?;
    let headers: HashMap<String, String> = settings
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.expose().to_string()))
        .collect();
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(Client(http))
        .with_endpoint(endpoint.clone())
        .with_timeout(settings.timeout)
        .with_headers(headers)
        .build()
        .map_err(|e| format!("cannot build the trace exporter: {e}"))?;
    let resource = resource(settings);
    exporter.set_resource(&resource);
    let waiting = std::sync::Arc::new(Waiting::default());
    let (flush, flushes) = mpsc::channel(4);
    let queue = Queue {
        waiting: waiting.clone(),
        max_queue: settings.max_queue,
        max_batch: settings.max_batch,
        metrics: metrics.clone(),
    };
    tokio::spawn(send_batches(
        exporter,
        waiting,
        flushes,
        settings.clone(),
        metrics.clone(),
    ));
    let provider = SdkTracerProvider::builder()
        .with_span_processor(queue)
        .with_sampler(sampler(settings.sampler))
        .with_resource(resource)
        .build();
    let tracer = opentelemetry::trace::TracerProvider::tracer_with_scope(
        &provider,
        opentelemetry::InstrumentationScope::builder("voicebridge")
            .with_version(env!("CARGO_PKG_VERSION"))
            .build(),
    );
    Ok(Traces {
        tracing: Tracing::new(tracer, settings.capture_content),
        flush: Some(flush),
        _provider: Some(provider),
    })
}

fn resource(settings: &TraceSettings) -> Resource {
    Resource::builder_empty()
        .with_service_name(settings.service_name.clone())
        .with_attributes([
            KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            KeyValue::new("telemetry.sdk.name", "opentelemetry"),
            KeyValue::new("telemetry.sdk.language", "rust"),
        ])
        .with_attributes(
            settings
                .resource_attributes
                .iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
        )
        .build()
}

fn sampler(sampler: TraceSampler) -> Sampler {
    let parentless = |rule: ParentlessRule| match rule {
        ParentlessRule::AlwaysOn => Sampler::AlwaysOn,
        ParentlessRule::AlwaysOff => Sampler::AlwaysOff,
        ParentlessRule::Ratio(r) => Sampler::TraceIdRatioBased(r),
    };
    match sampler {
        TraceSampler::AlwaysOn => Sampler::AlwaysOn,
        TraceSampler::AlwaysOff => Sampler::AlwaysOff,
        TraceSampler::Ratio(r) => Sampler::TraceIdRatioBased(r),
        TraceSampler::ParentBased(rule) => Sampler::ParentBased(Box::new(parentless(rule))),
    }
}

/// Finished spans waiting to be sent. Ending a span only takes the lock to push; the
/// sending task is woken when a batch is full, not for every span (a wake-up per span,
/// across threads, cost more CPU than making the span).
#[derive(Debug, Default)]
struct Waiting {
    spans: std::sync::Mutex<Vec<SpanData>>,
    /// A batch is full, or the application is gone.
    ready: tokio::sync::Notify,
    closed: std::sync::atomic::AtomicBool,
}

impl Waiting {
    fn take(&self) -> Vec<SpanData> {
        self.spans
            .lock()
            .map(|mut spans| std::mem::take(&mut *spans))
            .unwrap_or_default()
    }
}

/// The span processor: a finished span joins the queue at once, or is dropped and
/// counted when the queue is full.
#[derive(Debug)]
struct Queue {
    waiting: std::sync::Arc<Waiting>,
    max_queue: usize,
    max_batch: usize,
    metrics: Metrics,
}

impl SpanProcessor for Queue {
    fn on_start(&self, _span: &mut opentelemetry_sdk::trace::Span, _cx: &opentelemetry::Context) {}

    fn on_end(&self, span: SpanData) {
        let Ok(mut spans) = self.waiting.spans.lock() else {
            self.metrics.trace_spans_dropped(1);
            return;
        };
        if spans.len() >= self.max_queue {
            drop(spans);
            self.metrics.trace_spans_dropped(1);
            return;
        }
        spans.push(span);
        let full = spans.len() == self.max_batch;
        drop(spans);
        if full {
            self.waiting.ready.notify_one();
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        // Sending is asynchronous; `Traces::send_queued` waits for it where waiting is allowed.
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        self.waiting
            .closed
            .store(true, std::sync::atomic::Ordering::Release);
        self.waiting.ready.notify_one();
    }
}

/// Sends the queue in batches: every schedule delay, when a batch is full, and when
/// asked to flush. One export at a time; stops (after sending what is left) once the
/// application is gone.
async fn send_batches(
    exporter: opentelemetry_otlp::SpanExporter,
    waiting: std::sync::Arc<Waiting>,
    mut flushes: mpsc::Receiver<oneshot::Sender<Option<String>>>,
    settings: TraceSettings,
    metrics: Metrics,
) {
    let mut warned: Option<tokio::time::Instant> = None;
    // Why spans were dropped since the last flush asked: a flush reports every export
    // since then, including a batch the schedule sent just before it was asked.
    let mut failed: Option<String> = None;
    let mut tick = tokio::time::interval(settings.schedule_delay);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let mut flushed = None;
        tokio::select! {
            _ = tick.tick() => {}
            () = waiting.ready.notified() => {}
            // `Some` only: once every `Traces` is gone the channel answers `None` at once,
            // and the branch must not spin.
            Some(done) = flushes.recv() => flushed = Some(done),
        }
        let closed = waiting.closed.load(std::sync::atomic::Ordering::Acquire);
        let mut batch = waiting.take();
        while !batch.is_empty() {
            let rest = batch.split_off(batch.len().min(settings.max_batch));
            let full = std::mem::replace(&mut batch, rest);
            if let Err(error) = export(&exporter, full, &metrics, &mut warned).await {
                failed = Some(error);
            }
        }
        if let Some(done) = flushed {
            let _ = done.send(failed.take());
        }
        if closed {
            return;
        }
    }
}

/// Exports one batch; a failure drops it, counted, with a warning at most once a minute.
async fn export(
    exporter: &opentelemetry_otlp::SpanExporter,
    batch: Vec<SpanData>,
    metrics: &Metrics,
    warned: &mut Option<tokio::time::Instant>,
) -> Result<(), String> {
    if batch.is_empty() {
        return Ok(());
    }
    let count = batch.len();
    match exporter.export(batch).await {
        Ok(()) => {
            metrics.trace_spans_exported(count);
            Ok(())
        }
        Err(error) => {
            metrics.trace_spans_dropped(count);
            let now = tokio::time::Instant::now();
            if warned.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(60)) {
                *warned = Some(now);
                tracing::warn!(
                    spans = count,
                    %error,
                    "trace spans were not exported and are dropped (voicebridge_trace_spans_dropped_total counts them)"
                );
            }
            Err(error.to_string())
        }
    }
}

/// OTLP export over our reqwest client.
#[derive(Debug)]
struct Client(reqwest::Client);

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for Client {
    async fn send_bytes(
        &self,
        request: http::Request<opentelemetry_http::Bytes>,
    ) -> Result<http::Response<opentelemetry_http::Bytes>, opentelemetry_http::HttpError> {
        let (parts, body) = request.into_parts();
        // The cause, down to "connection refused", for the warning and `check`.
        let failed = |e: reqwest::Error| crate::http::error_chain(&e);
        let mut response = self
            .0
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(failed)?;
        let status = response.status();
        let headers = response.headers().clone();
        let (body, _) = crate::http::read_capped(&mut response, MAX_RESPONSE_BYTES)
            .await
            .map_err(failed)?;
        let mut out = http::Response::builder().status(status);
        if let Some(map) = out.headers_mut() {
            *map = headers;
        }
        Ok(out.body(opentelemetry_http::Bytes::from(body))?)
    }
}
