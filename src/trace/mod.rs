//! Traces of turns: OpenTelemetry spans named and described by the GenAI semantic
//! conventions, and W3C trace context (`traceparent`) in and out.
//!
//! A [`Tracing`] belongs to one application (several run in one test process, each
//! exporting to its own collector), so spans are made with its own tracer rather than
//! through a process-wide subscriber. With tracing off every span is [`Span::none`]: no
//! allocation, no clock read, no id.
//!
//! Spans end when [`Span::end`] is called, or when they are dropped: a model request or
//! tool call whose future a barge-in dropped ends then, marked `error.type = cancelled`.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::SystemTime;

pub use opentelemetry::trace::SpanKind;
use opentelemetry::trace::{
    SpanContext, SpanId, Status, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer as _,
};
use opentelemetry::Context;
pub use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::SdkTracer;

mod traceparent;

pub use traceparent::{format_traceparent, parse_traceparent};

/// Where this application's spans go, or nowhere. Cheap to clone.
#[derive(Clone, Default)]
pub struct Tracing {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    tracer: SdkTracer,
    capture_content: bool,
}

impl std::fmt::Debug for Tracing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.inner.is_some() {
            "Tracing(on)"
        } else {
            "Tracing(off)"
        })
    }
}

impl Tracing {
    /// No spans at all.
    pub fn off() -> Self {
        Self::default()
    }

    /// Spans made with `tracer`; prompts, messages and tool arguments and results are
    /// recorded only when `capture_content` (they are personal data).
    pub fn new(tracer: SdkTracer, capture_content: bool) -> Self {
        Self {
            inner: Some(Arc::new(Inner {
                tracer,
                capture_content,
            })),
        }
    }

    /// Spans are made.
    pub fn is_on(&self) -> bool {
        self.inner.is_some()
    }

    /// The root span of a turn (`SERVER`): a child of `incoming` (a W3C `traceparent`
    /// the request carried) when it is valid, else the root of a new trace.
    pub fn turn(&self, name: String, incoming: Option<&str>, attributes: Vec<KeyValue>) -> Span {
        let Some(inner) = &self.inner else {
            return Span::none();
        };
        let parent = match incoming.and_then(parse_traceparent) {
            Some(remote) => Context::new().with_remote_span_context(remote),
            None => Context::new(),
        };
        Span::start(inner, &parent, name.into(), SpanKind::Server, attributes)
    }

    /// A span of its own trace, for work no turn asked for (`voicebridge check`'s test
    /// span, a post-call delivery).
    pub fn root(&self, name: &'static str, kind: SpanKind, attributes: Vec<KeyValue>) -> Span {
        match &self.inner {
            Some(inner) => Span::start(inner, &Context::new(), name.into(), kind, attributes),
            None => Span::none(),
        }
    }
}

/// One span, or none (tracing off). Ends when [`Span::end`] is called or it is dropped.
#[derive(Default)]
pub struct Span {
    cx: Option<Context>,
    inner: Option<Arc<Inner>>,
    /// The agent's `RECORD_CONTENT`: content recorded on this span and its children is
    /// redacted (`redacted`) or not recorded (`none`).
    privacy: Option<crate::privacy::Policy>,
}

impl Span {
    /// No span: every method does nothing.
    pub const fn none() -> Self {
        Self {
            cx: None,
            inner: None,
            privacy: None,
        }
    }

    /// This span, its content (and its children's) kept as `policy` says.
    pub fn with_privacy(mut self, policy: crate::privacy::Policy) -> Self {
        if self.cx.is_some() {
            self.privacy = Some(policy);
        }
        self
    }

    /// `text` as content may be recorded on this span: redacted with type-only
    /// placeholders when the agent's records are.
    pub fn redact(&self, text: String) -> String {
        match self.privacy.as_ref().and_then(|p| p.shown(&text)) {
            Some(Cow::Owned(redacted)) => redacted,
            _ => text,
        }
    }

    fn start(
        inner: &Arc<Inner>,
        parent: &Context,
        name: Cow<'static, str>,
        kind: SpanKind,
        attributes: Vec<KeyValue>,
    ) -> Self {
        let span = inner
            .tracer
            .span_builder(name)
            .with_kind(kind)
            .with_attributes(attributes)
            .start_with_context(&inner.tracer, parent);
        Self {
            cx: Some(parent.with_span(span)),
            inner: Some(inner.clone()),
            privacy: None,
        }
    }

    /// A child of this span (none when this is none).
    pub fn child(
        &self,
        name: impl Into<Cow<'static, str>>,
        kind: SpanKind,
        attributes: Vec<KeyValue>,
    ) -> Span {
        match (&self.cx, &self.inner) {
            (Some(cx), Some(inner)) => {
                let mut child = Span::start(inner, cx, name.into(), kind, attributes);
                child.privacy = self.privacy.clone();
                child
            }
            _ => Span::none(),
        }
    }

    /// No span (tracing off, or none started): nothing it is given is kept or sent.
    pub fn is_none(&self) -> bool {
        self.cx.is_none()
    }

    /// The span records what it is given: it exists and was sampled. Attributes that
    /// cost something to build are built only then.
    pub fn recording(&self) -> bool {
        self.cx.as_ref().is_some_and(|cx| cx.span().is_recording())
    }

    /// Content (prompts, messages, tool arguments and results) may be recorded on it.
    pub fn captures_content(&self) -> bool {
        self.recording()
            && self.inner.as_ref().is_some_and(|i| i.capture_content)
            && self
                .privacy
                .as_ref()
                .is_none_or(|p| p.content != crate::privacy::RecordContent::None)
    }

    /// Sets attributes.
    pub fn set(&self, attributes: impl IntoIterator<Item = KeyValue>) {
        if let Some(cx) = self.cx.as_ref().filter(|cx| cx.span().is_recording()) {
            cx.span().set_attributes(attributes);
        }
    }

    /// Adds an event, now.
    pub fn event(&self, name: &'static str, attributes: Vec<KeyValue>) {
        if let Some(cx) = &self.cx {
            cx.span().add_event(name, attributes);
        }
    }

    /// Adds an event that happened at `at`.
    pub fn event_at(&self, name: &'static str, at: SystemTime, attributes: Vec<KeyValue>) {
        if let Some(cx) = &self.cx {
            cx.span().add_event_with_timestamp(name, at, attributes);
        }
    }

    /// Marks the span failed with `error_type` (`error.type`, and an error status).
    pub fn fail(&self, error_type: &str, message: impl Into<Cow<'static, str>>) {
        if let Some(cx) = self.cx.as_ref().filter(|cx| cx.span().is_recording()) {
            let span = cx.span();
            span.set_attribute(KeyValue::new("error.type", error_type.to_string()));
            span.set_status(Status::error(message));
        }
    }

    /// Ends the span now.
    pub fn end(mut self) {
        if let Some(cx) = self.cx.take() {
            cx.span().end();
        }
    }

    /// This span as a W3C `traceparent`, for a request made inside it.
    pub fn traceparent(&self) -> Option<String> {
        let cx = self.cx.as_ref()?;
        let span = cx.span();
        let context = span.span_context();
        context.is_valid().then(|| format_traceparent(context))
    }

    /// The trace's id (32 hex digits), when this span is sampled: what the log line and
    /// the call record keep.
    pub fn trace_id(&self) -> Option<String> {
        let cx = self.cx.as_ref()?;
        let span = cx.span();
        let context = span.span_context();
        (context.is_valid() && context.is_sampled()).then(|| context.trace_id().to_string())
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        // Dropped without `end`: the work it measured was abandoned (a barge-in dropped
        // the future running it).
        if let Some(cx) = self.cx.take() {
            let span = cx.span();
            if span.is_recording() {
                span.set_attribute(KeyValue::new("error.type", "cancelled"));
            }
            span.end();
        }
    }
}

/// A span context from its parts, for tests and parsing.
fn span_context(trace: TraceId, span: SpanId, sampled: bool) -> SpanContext {
    let flags = if sampled {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    SpanContext::new(trace, span, flags, true, TraceState::default())
}
