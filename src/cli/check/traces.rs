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
    let traces = match crate::telemetry::traces::start(config, &metrics) {
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
    let trace_id = span.trace_id();
    span.end();
    let within = config.timeout + std::time::Duration::from_secs(1);
    let answer = traces.send_queued(within).await;
    let sampler = config.sampler;
    match (&answer, trace_id) {
        (Ok(()), Some(id)) => writeln!(
            out,
            "  traces             ok ({shown}, service {}, sampler {sampler}, {content}; test span sent, trace {id})",
            config.service_name
        )?,
        (Ok(()), None) => writeln!(
            out,
            "  traces             {shown}, service {}, sampler {sampler}, {content}; the sampler kept no test span",
            config.service_name
        )?,
        (Err(error), _) => writeln!(
            out,
            "  traces             FAILED ({shown}): the test span was not taken: {error}"
        )?,
    }
    if let Some(template) = &config.url_template {
        writeln!(out, "  trace links        {template}")?;
    }
    Ok(answer.is_ok())
}
