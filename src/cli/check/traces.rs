//! Where `check` says traces go: off, or the collector's URL, the sampler and whether
//! content is recorded, with one test span sent and the collector's answer.

use std::io::Write;

use crate::config::Settings;
use crate::secret::shown_url;
use crate::trace::{KeyValue, SpanKind};

/// Traces off, or a test span sent to the collector and taken by it.
pub(super) async fn traces<W: Write>(settings: &Settings, out: &mut W) -> std::io::Result<bool> {
    let config = &settings.traces;
    let Some(endpoint) = &config.endpoint else {
        writeln!(
            out,
            "  traces             off (set OTEL_EXPORTER_OTLP_ENDPOINT to send every turn's trace)"
        )?;
        return Ok(true);
    };
    let shown = shown_url(endpoint);
    let content = if config.capture_content {
        "with content (OTEL_CAPTURE_CONTENT=true: personal data)"
    } else {
        "without content"
    };
    let metrics = crate::metrics::Metrics::new();
    // The test span is sent whatever the sampler keeps of turns.
    let mut always = config.clone();
    always.sampler = crate::config::TraceSampler::AlwaysOn;
    let traces = match crate::telemetry::traces::start(&always, &metrics) {
        Ok(traces) => traces,
        Err(error) => {
            writeln!(out, "  traces             FAILED ({shown}): {error}")?;
            return Ok(false);
        }
    };
    let span = traces.tracing.root(
        "voicebridge.check",
        SpanKind::Internal,
        vec![KeyValue::new("voicebridge.check", true)],
    );
    // Always sampled (above), so always an id.
    let trace_id = span.trace_id().unwrap_or_default();
    span.end();
    let within = config.timeout + std::time::Duration::from_secs(1);
    let answer = traces.send_queued(within).await;
    let sampler = config.sampler;
    match &answer {
        Ok(()) => writeln!(
            out,
            "  traces             ok ({shown}, service {}, sampler {sampler}, {content}; test span sent, trace {trace_id})",
            config.service_name
        )?,
        Err(error) => writeln!(
            out,
            "  traces             FAILED ({shown}): the test span was not taken: {error}"
        )?,
    }
    if let Some(template) = &config.url_template {
        writeln!(out, "  trace links        {template}")?;
    }
    Ok(answer.is_ok())
}
