//! Traces: where spans go and what they keep, read from OpenTelemetry's standard
//! variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`, …), so a
//! collector or Langfuse's OTLP endpoint works without settings of ours. Exporting is on
//! when an endpoint is set and `OTEL_SDK_DISABLED` is not `true`.

use std::time::Duration;

use super::parse::{millis, parse_bool, positive, Get};
use super::ConfigError;
use crate::secret::Secret;

/// Which traces are kept (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TraceSampler {
    AlwaysOn,
    AlwaysOff,
    /// This fraction of traces, by trace id.
    Ratio(f64),
    /// As the caller's `traceparent` says; a turn without one by the inner rule.
    ParentBased(ParentlessRule),
}

/// How a [`TraceSampler::ParentBased`] sampler decides for a turn with no `traceparent`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParentlessRule {
    AlwaysOn,
    AlwaysOff,
    Ratio(f64),
}

impl std::fmt::Display for TraceSampler {
    /// As `OTEL_TRACES_SAMPLER` names it, with its fraction.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::AlwaysOn => f.write_str("always_on"),
            Self::AlwaysOff => f.write_str("always_off"),
            Self::Ratio(r) => write!(f, "traceidratio {r}"),
            Self::ParentBased(ParentlessRule::AlwaysOn) => f.write_str("parentbased_always_on"),
            Self::ParentBased(ParentlessRule::AlwaysOff) => f.write_str("parentbased_always_off"),
            Self::ParentBased(ParentlessRule::Ratio(r)) => {
                write!(f, "parentbased_traceidratio {r}")
            }
        }
    }
}

/// Where spans go and what they keep.
#[derive(Debug, Clone)]
pub struct TraceSettings {
    /// The OTLP/HTTP traces URL (`…/v1/traces`); `None`: no spans are made.
    pub endpoint: Option<String>,
    /// Headers every export carries (a collector's or Langfuse's credentials).
    pub headers: Vec<(String, Secret)>,
    /// How long one export may take.
    pub timeout: Duration,
    /// `service.name` of every span.
    pub service_name: String,
    /// Further resource attributes (`deployment.environment=prod,…`).
    pub resource_attributes: Vec<(String, String)>,
    pub sampler: TraceSampler,
    /// Prompts, messages, tool arguments and results are recorded (personal data).
    pub capture_content: bool,
    /// Longest wait before a batch of spans is sent.
    pub schedule_delay: Duration,
    /// Most spans waiting to be sent; more are dropped and counted.
    pub max_queue: usize,
    /// Most spans in one export.
    pub max_batch: usize,
    /// A link from the calls page to a turn's trace: `{trace_id}` is replaced.
    pub url_template: Option<String>,
}

impl TraceSettings {
    /// Tracing off.
    pub fn off() -> Self {
        Self {
            endpoint: None,
            headers: Vec::new(),
            timeout: Duration::from_secs(10),
            service_name: "voicebridge".into(),
            resource_attributes: Vec::new(),
            sampler: TraceSampler::ParentBased(ParentlessRule::AlwaysOn),
            capture_content: false,
            schedule_delay: Duration::from_secs(5),
            max_queue: 2048,
            max_batch: 512,
            url_template: None,
        }
    }
}

pub(super) fn trace_settings(get: &Get) -> Result<TraceSettings, ConfigError> {
    let disabled = parse_bool("OTEL_SDK_DISABLED", get("OTEL_SDK_DISABLED"))?;
    let endpoint = match (
        get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        get("OTEL_EXPORTER_OTLP_ENDPOINT"),
    ) {
        // The signal's own URL is used as it is; the general one gets the signal's path.
        (Some(url), _) => Some(check_url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url)?),
        (None, Some(base)) => {
            let base = check_url("OTEL_EXPORTER_OTLP_ENDPOINT", base)?;
            Some(format!("{}/v1/traces", base.trim_end_matches('/')))
        }
        (None, None) => None,
    };
    if let Some(protocol) = get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        .or_else(|| get("OTEL_EXPORTER_OTLP_PROTOCOL"))
        .filter(|p| p.trim() != "http/protobuf")
    {
        return Err(ConfigError::new(
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            format!("`{protocol}` is not supported: spans are sent as http/protobuf (the collector's port 4318)"),
        ));
    }
    let headers = match get("OTEL_EXPORTER_OTLP_TRACES_HEADERS")
        .or_else(|| get("OTEL_EXPORTER_OTLP_HEADERS"))
    {
        Some(text) => key_values("OTEL_EXPORTER_OTLP_HEADERS", &text)?
            .into_iter()
            .map(|(k, v)| (k, Secret::new(v)))
            .collect(),
        None => Vec::new(),
    };
    let timeout = millis(
        "OTEL_EXPORTER_OTLP_TIMEOUT",
        get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT").or_else(|| get("OTEL_EXPORTER_OTLP_TIMEOUT")),
        10_000,
    )?;
    let mut resource_attributes = match get("OTEL_RESOURCE_ATTRIBUTES") {
        Some(text) => key_values("OTEL_RESOURCE_ATTRIBUTES", &text)?,
        None => Vec::new(),
    };
    // `OTEL_SERVICE_NAME` wins over a `service.name` among the resource attributes.
    let named = resource_attributes
        .iter()
        .position(|(k, _)| k == "service.name")
        .map(|i| resource_attributes.remove(i).1);
    let service_name = get("OTEL_SERVICE_NAME")
        .map(|s| s.trim().to_string())
        .or(named)
        .unwrap_or_else(|| "voicebridge".into());
    let url_template = get("TRACE_URL_TEMPLATE").map(|t| t.trim().to_string());
    if let Some(template) = &url_template {
        if !template.contains("{trace_id}") {
            return Err(ConfigError::new(
                "TRACE_URL_TEMPLATE",
                "must contain {trace_id} (e.g. https://grafana.example/explore?traceId={trace_id})",
            ));
        }
    }
    let max_queue = positive(
        "OTEL_BSP_MAX_QUEUE_SIZE",
        get("OTEL_BSP_MAX_QUEUE_SIZE"),
        2048,
    )?;
    let max_batch: usize = positive(
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
        get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
        512,
    )?;
    Ok(TraceSettings {
        endpoint: endpoint.filter(|_| !disabled),
        headers,
        timeout,
        service_name,
        resource_attributes,
        sampler: sampler(get)?,
        capture_content: parse_bool("OTEL_CAPTURE_CONTENT", get("OTEL_CAPTURE_CONTENT"))?,
        schedule_delay: millis(
            "OTEL_BSP_SCHEDULE_DELAY",
            get("OTEL_BSP_SCHEDULE_DELAY"),
            5000,
        )?,
        max_queue,
        // A batch never waits for more spans than the queue holds.
        max_batch: max_batch.min(max_queue),
        url_template,
    })
}

fn check_url(variable: &'static str, url: String) -> Result<String, ConfigError> {
    let url = url.trim().to_string();
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url)
    } else {
        Err(ConfigError::new(
            variable,
            format!("`{url}` is not an http:// or https:// URL"),
        ))
    }
}

/// `key=value,key=value` as the OpenTelemetry variables write it: values percent-decoded,
/// blanks around keys and values ignored.
fn key_values(variable: &'static str, text: &str) -> Result<Vec<(String, String)>, ConfigError> {
    text.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            // The entry may be a credential: it is not shown.
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                ConfigError::new(
                    variable,
                    "an entry is not key=value (entries are comma-separated)",
                )
            })?;
            let value = percent_encoding::percent_decode_str(value.trim())
                .decode_utf8_lossy()
                .into_owned();
            Ok((key.trim().to_string(), value))
        })
        .collect()
}

fn sampler(get: &Get) -> Result<TraceSampler, ConfigError> {
    let ratio = || -> Result<f64, ConfigError> {
        let Some(raw) = get("OTEL_TRACES_SAMPLER_ARG") else {
            return Ok(1.0);
        };
        match raw.trim().parse::<f64>() {
            Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
            _ => Err(ConfigError::new(
                "OTEL_TRACES_SAMPLER_ARG",
                format!("`{raw}` is not a fraction from 0 to 1"),
            )),
        }
    };
    let name = get("OTEL_TRACES_SAMPLER").map(|s| s.trim().to_ascii_lowercase());
    Ok(match name.as_deref() {
        None | Some("parentbased_always_on") => TraceSampler::ParentBased(ParentlessRule::AlwaysOn),
        Some("always_on") => TraceSampler::AlwaysOn,
        Some("always_off") => TraceSampler::AlwaysOff,
        Some("traceidratio") => TraceSampler::Ratio(ratio()?),
        Some("parentbased_always_off") => TraceSampler::ParentBased(ParentlessRule::AlwaysOff),
        Some("parentbased_traceidratio") => {
            TraceSampler::ParentBased(ParentlessRule::Ratio(ratio()?))
        }
        Some(other) => {
            return Err(ConfigError::new(
                "OTEL_TRACES_SAMPLER",
                format!("`{other}` is not one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio"),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<TraceSettings, ConfigError> {
        trace_settings(&super::super::parse::lookup(pairs))
    }

    #[test]
    fn off_without_an_endpoint_and_the_standard_names_when_set() {
        let off = read(&[]).expect("valid");
        assert_eq!(off.endpoint, None);
        assert_eq!(off.service_name, "voicebridge");
        let on = read(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "Authorization=Basic%20cGs6c2s=, x-team = voice",
            ),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.name=from-attrs,deployment.environment=prod",
            ),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        ])
        .expect("valid");
        assert_eq!(
            on.endpoint.as_deref(),
            Some("http://collector:4318/v1/traces")
        );
        assert_eq!(on.headers[0].0, "Authorization");
        assert_eq!(on.headers[0].1.expose(), "Basic cGs6c2s=");
        assert_eq!(on.headers[1].0, "x-team");
        assert_eq!(on.service_name, "from-attrs");
        assert_eq!(
            on.resource_attributes,
            vec![("deployment.environment".to_string(), "prod".to_string())]
        );
        assert_eq!(
            on.sampler,
            TraceSampler::ParentBased(ParentlessRule::Ratio(0.25))
        );
        let signal = read(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://ignored:4318"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "https://cloud.langfuse.com/api/public/otel/v1/traces",
            ),
            ("OTEL_SERVICE_NAME", "front-desk"),
        ])
        .expect("valid");
        assert_eq!(
            signal.endpoint.as_deref(),
            Some("https://cloud.langfuse.com/api/public/otel/v1/traces")
        );
        assert_eq!(signal.service_name, "front-desk");
        let disabled = read(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_SDK_DISABLED", "true"),
        ])
        .expect("valid");
        assert_eq!(disabled.endpoint, None);
    }

    #[test]
    fn bad_values_name_their_variable_and_hide_credentials() {
        let problem = |pairs: &[(&str, &str)]| read(pairs).expect_err("refused");
        assert_eq!(
            problem(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]).variable,
            "OTEL_EXPORTER_OTLP_PROTOCOL"
        );
        assert_eq!(
            problem(&[("OTEL_TRACES_SAMPLER", "sometimes")]).variable,
            "OTEL_TRACES_SAMPLER"
        );
        assert_eq!(
            problem(&[
                ("OTEL_TRACES_SAMPLER", "traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "2")
            ])
            .variable,
            "OTEL_TRACES_SAMPLER_ARG"
        );
        assert_eq!(
            problem(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")]).variable,
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        );
        assert_eq!(
            problem(&[("TRACE_URL_TEMPLATE", "https://grafana/explore")]).variable,
            "TRACE_URL_TEMPLATE"
        );
        let hidden = problem(&[("OTEL_EXPORTER_OTLP_HEADERS", "sk-lf-secret-value")]);
        assert!(
            !hidden.problem.contains("secret-value"),
            "{}",
            hidden.problem
        );
    }
}
