//! A turn's own span (`invoke_agent {agent}`, `SERVER`): started when the turn begins
//! (continuing the caller's trace when the request carried a `traceparent`), with the
//! session store's claim and settle as children, and finished with what the turn left:
//! outcome, timings, sentences, usage, and the events of a barge-in or a newer turn.

use std::time::SystemTime;

use super::lease::Lease;
use super::record::UserMessage;
use super::reply::ReplyRun;
use super::trace::usage_attributes;
use super::{Said, TurnOutcome};
use crate::template::CallContext;
use crate::trace::{KeyValue, Span, SpanKind, Tracing};

impl super::Agent {
    /// The root span of a user's message (`event`), its trace id kept on `turn`.
    pub(super) fn message_span(
        &self,
        turn: &mut UserMessage,
        context: &CallContext,
        event: &'static str,
    ) -> Span {
        let labels = TurnLabels {
            agent: self.name(),
            conversation_id: &context.conversation_id,
            turn_id: &turn.turn_id,
            event,
            door: turn.door,
        };
        let span = turn_span(&self.ledger.tracing, &labels, turn.traceparent.as_deref())
            .with_privacy(self.settings.privacy.clone());
        turn.trace_id = span.trace_id();
        span
    }

    /// The root span of a welcome (`session.start`).
    pub(super) fn welcome_span(
        &self,
        turn_id: &str,
        context: &CallContext,
        incoming: Option<String>,
    ) -> Span {
        let labels = TurnLabels {
            agent: self.name(),
            conversation_id: &context.conversation_id,
            turn_id,
            event: "session.start",
            door: "layercode",
        };
        turn_span(&self.ledger.tracing, &labels, incoming.as_deref())
            .with_privacy(self.settings.privacy.clone())
    }

    /// Claims the conversation inside a `session.claim` span.
    pub(super) async fn claim_traced(
        &self,
        span: &Span,
        conversation: &str,
        turn_id: &str,
    ) -> Lease {
        let claim = span.child("session.claim", SpanKind::Internal, Vec::new());
        let lease = self.ledger.claim(conversation, turn_id).await;
        claim.end();
        lease
    }
}

/// Settles `lease` inside a `session.settle` span: what was said saved, the caller's
/// stream ended, the conversation released.
pub(super) async fn settle_traced(
    span: &Span,
    lease: Lease,
    said: Option<Said>,
    caller: super::Caller,
) {
    let settle = span.child("session.settle", SpanKind::Internal, Vec::new());
    lease.settle(said, caller).await;
    settle.end();
}

/// Who and what a turn's span is about.
pub(super) struct TurnLabels<'a> {
    pub(super) agent: &'a str,
    /// The conversation id as the platform sent it.
    pub(super) conversation_id: &'a str,
    pub(super) turn_id: &'a str,
    /// `message`, `session.start`, `chat.completion`, `retell.response`.
    pub(super) event: &'static str,
    pub(super) door: &'static str,
}

/// Starts a turn's root span, continuing the caller's trace when `incoming` is a valid
/// `traceparent`.
pub(super) fn turn_span(tracing: &Tracing, labels: &TurnLabels, incoming: Option<&str>) -> Span {
    if !tracing.is_on() {
        return Span::none();
    }
    tracing.turn(
        format!("invoke_agent {}", labels.agent),
        incoming,
        vec![
            KeyValue::new("gen_ai.operation.name", "invoke_agent"),
            KeyValue::new("gen_ai.agent.name", labels.agent.to_string()),
            KeyValue::new("gen_ai.conversation.id", labels.conversation_id.to_string()),
            KeyValue::new("session.id", labels.conversation_id.to_string()),
            KeyValue::new("voicebridge.turn.id", labels.turn_id.to_string()),
            KeyValue::new("voicebridge.event", labels.event),
            KeyValue::new("voicebridge.door", labels.door),
        ],
    )
}

/// What a finished reply leaves on its turn's span: outcome, timings, what was said,
/// usage, and the events of a barge-in, a newer turn, the first sentence.
pub(super) fn finish_turn(
    span: &Span,
    outcome: TurnOutcome,
    run: &ReplyRun<'_>,
    question: &str,
    reply: &str,
) {
    if !span.recording() {
        return;
    }
    let report = &run.report;
    let mut attributes = vec![
        KeyValue::new("voicebridge.outcome", outcome.as_str()),
        KeyValue::new("voicebridge.interrupted", outcome != TurnOutcome::Completed),
        KeyValue::new("voicebridge.sentences", run.spoken.sentences as i64),
        KeyValue::new("voicebridge.attempts", i64::from(report.attempts)),
        KeyValue::new("voicebridge.tool_calls", report.tool_calls as i64),
    ];
    if let Some(ms) = run.ms_since_start(report.first_token_at) {
        attributes.push(KeyValue::new("voicebridge.first_token_ms", ms as i64));
    }
    if let Some(ms) = run.ms_since_start(run.spoken.first_at) {
        attributes.push(KeyValue::new("voicebridge.first_audio_ms", ms as i64));
    }
    attributes.extend(usage_attributes(report.usage()));
    if span.captures_content() {
        let content = super::trace::content;
        attributes.push(KeyValue::new(
            "input.value",
            content(span, question.to_string()),
        ));
        attributes.push(KeyValue::new(
            "output.value",
            content(span, reply.to_string()),
        ));
    }
    span.set(attributes);
    if let Some(at) = run.spoken.first_at {
        span.event_at("first_sentence_sent", wall_clock(at), Vec::new());
    }
    match outcome {
        TurnOutcome::Interrupted => span.event("barge_in", Vec::new()),
        TurnOutcome::Superseded => span.event("superseded", Vec::new()),
        TurnOutcome::Failed => span.fail("model_failed", "the reply failed"),
        _ => {}
    }
}

/// What a welcome leaves on its span: completed, and one sentence when it said one.
pub(super) fn finish_welcome(span: &Span, said: bool) {
    span.set([
        KeyValue::new("voicebridge.outcome", TurnOutcome::Completed.as_str()),
        KeyValue::new("voicebridge.interrupted", false),
        KeyValue::new("voicebridge.sentences", i64::from(said)),
    ]);
}

/// The time on the wall clock of a monotonic `at` in the past.
fn wall_clock(at: tokio::time::Instant) -> SystemTime {
    SystemTime::now()
        .checked_sub(at.elapsed())
        .unwrap_or_else(SystemTime::now)
}
