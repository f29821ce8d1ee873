//! What a turn leaves on record and in the logs: the call it belongs to, the caller, the
//! finished reply's words, timings, usage and tools.

use super::reply::ReplyRun;
use super::{Caller, Model, TurnOutcome};
use crate::records::{CallKey, CallerRecord, Record, TurnRecord};
use crate::session::{ChatMessage, Heard};
use crate::template::CallContext;

/// A user's message to answer.
pub(super) struct UserMessage {
    pub(super) conversation: String,
    pub(super) turn_id: String,
    pub(super) text: String,
    pub(super) heard: Option<Heard>,
    /// The store could not be read for this turn (set once the history is read).
    pub(super) without_history: bool,
    /// The door it came through: `layercode` or `openai`.
    pub(super) door: &'static str,
    /// The W3C `traceparent` the request came with.
    pub(super) traceparent: Option<String>,
    /// The turn's trace id, once its span is started and sampled.
    pub(super) trace_id: Option<String>,
    /// The knowledge passages put before the model.
    pub(super) knowledge: Vec<crate::records::KnowledgeRecord>,
}

/// The call a turn belongs to.
pub(super) fn call_key(context: &CallContext) -> CallKey {
    CallKey {
        agent: context.agent.clone(),
        conversation_id: context.conversation_id.clone(),
    }
}

pub(super) fn caller_record(context: &CallContext) -> CallerRecord {
    CallerRecord {
        metadata: context.metadata.clone(),
        from_phone_number: context.from_phone_number.clone(),
        to_phone_number: context.to_phone_number.clone(),
    }
}

/// When the caller's webhook arrived, as unix milliseconds.
pub(super) fn received_ms(caller: &Caller) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    now - caller.received_at().elapsed().as_millis() as i64
}

/// What the call's record keeps of a finished reply: the words as sent (what the user
/// heard, for an interrupted one), timings, usage and tools. No prompt, no secret.
pub(super) fn turn_record(
    context: &CallContext,
    turn: &UserMessage,
    reply: &ChatMessage,
    outcome: TurnOutcome,
    model: &dyn Model,
    run: &ReplyRun<'_>,
    caller: &Caller,
) -> Record {
    let report = &run.report;
    Record::Turn(TurnRecord {
        call: call_key(context),
        turn_id: turn.turn_id.clone(),
        at_ms: received_ms(caller),
        event: "message".into(),
        user_text: turn.text.clone(),
        agent_text: reply.content.clone(),
        interrupted: reply.interrupted,
        outcome: outcome.as_str().into(),
        model: (report.attempts > 0).then(|| model.name(report.upstream).to_string()),
        attempts: report.attempts,
        first_token_ms: run.ms_since_start(report.first_token_at),
        first_tts_ms: run.ms_since_start(run.spoken.first_at),
        total_ms: run.ms_since_start(Some(tokio::time::Instant::now())),
        prompt_tokens: report.usage().map(|u| u.prompt_tokens),
        completion_tokens: report.usage().map(|u| u.completion_tokens),
        tools: report.tools.clone(),
        caller: caller_record(context),
        without_history: turn.without_history,
        door: turn.door.to_string(),
        trace_id: turn.trace_id.clone(),
        knowledge: turn.knowledge.clone(),
        cached_tokens: report.usage().and_then(|u| u.cached_tokens),
        cost_usd: None,
        record_content: None,
        redactions: None,
    })
}

impl super::Agent {
    /// `record` with its cost at the agent's prices (a turn that a priced model answered
    /// and whose usage the provider reported), counted in `voicebridge_cost_usd_total`.
    pub(super) fn costed(&self, mut record: Record) -> Record {
        let Record::Turn(turn) = &mut record else {
            return record;
        };
        if let (Some(model), Some(prompt), Some(completion)) =
            (&turn.model, turn.prompt_tokens, turn.completion_tokens)
        {
            let tokens = crate::pricing::Tokens {
                prompt,
                cached: turn.cached_tokens.unwrap_or(0),
                completion,
            };
            self.metrics()
                .costs()
                .prompt_tokens(&self.settings.name, prompt, tokens.cached);
            turn.cost_usd = self.settings.prices.cost(model, tokens);
            if let Some(usd) = turn.cost_usd {
                self.metrics().costs().cost(&self.settings.name, model, usd);
            }
        }
        record
    }
}

pub(super) fn log_turn(
    settings: &super::AgentSettings,
    context: &CallContext,
    turn: &UserMessage,
    model: &dyn Model,
    outcome: TurnOutcome,
    run: &ReplyRun<'_>,
) {
    let report = &run.report;
    let agent = settings.name.as_str();
    tracing::info!(
        agent,
        door = turn.door,
        conversation_id = %context.conversation_id,
        turn_id = %turn.turn_id,
        model = model.name(report.upstream),
        outcome = outcome.as_str(),
        attempts = report.attempts,
        first_token_ms = run.ms_since_start(report.first_token_at),
        first_tts_ms = run.ms_since_start(run.spoken.first_at),
        total_ms = run.ms_since_start(Some(tokio::time::Instant::now())),
        sentences = run.spoken.sentences,
        prompt_tokens = report.usage().map(|u| u.prompt_tokens),
        completion_tokens = report.usage().map(|u| u.completion_tokens),
        finish_reason = report.finish_reason.as_deref(),
        cut_by_token_cap = report.cut_by_token_cap(),
        tool_calls = report.tool_calls,
        tool_ms = report.tool_time.as_millis() as u64,
        // The store could not be read: the model saw only this machine's view of the call.
        without_history = turn.without_history,
        trace_id = turn.trace_id.as_deref(),
        knowledge = ?turn.knowledge.iter().map(|k| k.label()).collect::<Vec<_>>(),
        "turn finished"
    );
    let (privacy, turn_id) = (&settings.privacy, &turn.turn_id);
    super::redact::log_text(privacy, turn_id, &turn.text, &run.spoken.text);
}
