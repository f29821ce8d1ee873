//! Streaming one reply: model↔tool rounds, attempts against the upstreams in order,
//! deadlines, the thinking filler, speech pacing, and what was spoken. Retries happen only
//! while no sentence the model wrote in the current round has been sent to the caller (the
//! thinking filler is not the model's): once the user may have heard part of an answer, a
//! failure ends the turn with an apology instead of a second, different answer. Text the
//! model wrote that was not yet spoken is dropped with the failed attempt (its unfinished
//! sentence, its half-assembled tool calls), and when the page already got some of it as
//! `{"delta": …}` it gets `{"retry": n}` before the retry's deltas (`n` counts the reply's
//! retries, 1 for the first). Tools run between rounds (`rounds.rs`, `dispatch.rs`); the
//! time they take does not count against the turn's budget, since each tool has its own
//! timeout.

use std::sync::Arc;

use serde_json::json;
use tokio::time::Instant;

use super::dispatch::{self, Round};
use super::settings::Texts;
use super::spoken::{Report, Spoken};
use super::toolset::ToolSet;
use super::{AgentSettings, Caller, Model, TurnEvent};
use crate::llm::{next_attempt, LlmError, NextAttempt, ToolCallAssembler, ToolRound};
use crate::metrics::Metrics;
use crate::session::{ChatMessage, Role, ToolCall, ToolResult};
use crate::speech::SpeechStream;
use crate::template::CallContext;

mod attempt;
mod rounds;
mod settle;

/// The keys of the turn, for idempotency keys and call ids, and the caller's context the
/// tools' templates are rendered with.
pub(super) struct TurnKeys<'a> {
    pub(super) conversation: &'a str,
    pub(super) turn_id: &'a str,
    pub(super) context: &'a CallContext,
    /// The conversation's last words (the caller's message, the previous reply): the
    /// language of a reply too short to tell (`SPEECH_LANGUAGE=auto`).
    pub(super) last_words: [&'a str; 2],
}

/// How a reply goes out, for the door it answers: Layercode's (the default) speaks in
/// sentences and offers the agent's tools; the OpenAI door sends the cleaned text as it
/// arrives and also offers the platform's tools, a call to which ends the reply.
#[derive(Debug, Default)]
pub(super) struct ReplyShape {
    /// Send the model's cleaned text in the pieces it arrives in, not in sentences.
    pub(super) pieces: bool,
    /// The OpenAI door: the agent's tools minus `end_call` and client tools (the platform
    /// owns the call and has no page to run them), plus `platform_tools`.
    pub(super) door: bool,
    /// The platform's tool definitions, offered as sent.
    pub(super) platform_tools: Vec<serde_json::Value>,
    /// Their names: a call to one is handed back, and ours of the same name is not
    /// offered (the platform's wins).
    pub(super) platform_names: Vec<String>,
}

/// The tool definitions a reply offers the model.
fn offered<'t>(
    tools: &'t ToolSet,
    shape: &ReplyShape,
) -> std::borrow::Cow<'t, [serde_json::Value]> {
    let ours = tools.definitions();
    if !shape.door {
        return ours;
    }
    let name = |d: &serde_json::Value| {
        d.pointer("/function/name")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut all: Vec<serde_json::Value> = ours
        .iter()
        .filter(|d| {
            let name = name(d);
            name != crate::tools::END_CALL
                && !tools.tool(&name).is_some_and(|t| t.client())
                && !shape.platform_names.contains(&name)
        })
        .cloned()
        .collect();
    all.extend(shape.platform_tools.iter().cloned());
    std::borrow::Cow::Owned(all)
}

/// One reply in progress.
pub(super) struct ReplyRun<'a> {
    settings: &'a AgentSettings,
    texts: &'a Texts,
    metrics: &'a Metrics,
    llm: &'a dyn Model,
    caller: &'a Caller,
    tools: &'a Arc<ToolSet>,
    keys: TurnKeys<'a>,
    pub(super) spoken: Spoken,
    pub(super) report: Report,
    speech: SpeechStream,
    started: Instant,
    budget_ends: Instant,
    /// The model has produced text in this turn (a failed attempt's text, dropped, does not
    /// count).
    content_started: bool,
    /// A sentence the model wrote in this round has been sent to the caller (it may have
    /// been heard): no more retries of it.
    round_spoken: bool,
    /// Retries this reply has made (after any failure), numbering its `{"retry": n}` events.
    retried: u32,
    /// What the model wrote in this round, as it wrote it.
    round_text: String,
    /// This round's tool-call fragments.
    calls: ToolCallAssembler,
    /// Finished rounds of this turn (an earlier delivery's first).
    pub(super) rounds: Vec<ToolRound>,
    /// Calls an earlier delivery of this turn made, with their results.
    earlier: Vec<(ToolCall, ToolResult)>,
    /// Makes the ids given to calls that came without one unique to this delivery.
    nonce: u32,
    /// The round whose calls are running.
    running: Option<Round>,
    /// Rounds this delivery ran.
    rounds_run: u32,
    /// Mutating calls so far, for their idempotency keys.
    mutating_calls: usize,
    /// The model called `end_call`.
    pub(super) end_call: bool,
    /// How the reply goes out and what it offers.
    shape: ReplyShape,
    /// The one timer of the reply's waits (`wait`), first set for the end of the turn's
    /// budget, which every wait's deadline is capped by.
    timer: std::pin::Pin<Box<tokio::time::Sleep>>,
    /// Calls to the platform's tools the reply ended with, for the platform to run.
    pub(super) handoff: Vec<ToolCall>,
    filler_pending: bool,
    last_text_at: Instant,
    flushed_since_text: bool,
    /// The turn's span: model attempts and tool calls are its children.
    pub(super) span: &'a crate::trace::Span,
}

impl<'a> ReplyRun<'a> {
    /// A reply to `caller`, whose budget counts from when its webhook arrived.
    pub(super) fn new(
        settings: &'a AgentSettings,
        texts: &'a Texts,
        llm: &'a dyn Model,
        caller: &'a Caller,
        metrics: &'a Metrics,
        tools: &'a Arc<ToolSet>,
        keys: TurnKeys<'a>,
    ) -> Self {
        let started = caller.received_at();
        let voice =
            crate::speech::VoiceReply::new(settings.voice.clone()).in_context(keys.last_words);
        Self {
            settings,
            texts,
            metrics,
            llm,
            caller,
            tools,
            keys,
            spoken: Spoken::new(voice),
            report: Report::default(),
            speech: SpeechStream::new(settings.speech),
            started,
            budget_ends: started + settings.turn_timeout,
            content_started: false,
            round_spoken: false,
            retried: 0,
            round_text: String::new(),
            calls: ToolCallAssembler::default(),
            rounds: Vec::new(),
            earlier: Vec::new(),
            nonce: dispatch::nonce(),
            running: None,
            rounds_run: 0,
            mutating_calls: 0,
            end_call: false,
            shape: ReplyShape::default(),
            handoff: Vec::new(),
            filler_pending: settings.filler.is_some(),
            last_text_at: started,
            flushed_since_text: true,
            span: &super::trace::NO_SPAN,
            timer: Box::pin(tokio::time::sleep_until(started + settings.turn_timeout)),
        }
    }

    /// The same reply, its model attempts and tool calls traced under `span`.
    pub(super) fn traced(mut self, span: &'a crate::trace::Span) -> Self {
        self.span = span;
        self
    }

    /// The same reply, shaped for another door.
    pub(super) fn with_shape(mut self, shape: ReplyShape) -> Self {
        if shape.pieces {
            self.speech = SpeechStream::pieces(self.settings.speech);
            self.spoken = Spoken::pieces();
        } else if shape.door {
            let voice = crate::speech::VoiceReply::new(self.settings.voice.clone())
                .in_context(self.keys.last_words);
            self.spoken = Spoken::new(voice).separated();
        }
        self.shape = shape;
        self
    }

    /// The tool definitions this reply offers.
    pub(super) fn offered(&self) -> std::borrow::Cow<'a, [serde_json::Value]> {
        offered(self.tools, &self.shape)
    }

    /// Answers `history` (ending with the user's message, or with the calls an earlier
    /// delivery of this turn made): model rounds, with the tools they call in between,
    /// until the model answers in words, calls `end_call`, or the rounds run out.
    pub(super) async fn run(&mut self, history: &[ChatMessage]) -> Result<(), LlmError> {
        let redacted = super::redact::for_model(&self.settings.privacy, history);
        let history = self.take_earlier_calls(redacted.as_deref().unwrap_or(history));
        let max_rounds = self.tools.settings().max_rounds;
        loop {
            let tools_disabled = self.rounds_run >= max_rounds || self.end_call;
            let mut calls = self.stream_round(history, tools_disabled).await?;
            if calls.is_empty() {
                return Ok(());
            }
            if tools_disabled || self.offered().is_empty() {
                // Offered none, or told to call none: calls are not made, nor stored.
                tracing::info!(
                    calls = calls.len(),
                    "model called tools it may not call now"
                );
                if tools_disabled && !self.content_started {
                    // The rounds ran out and the model still would not answer in words.
                    self.apology(
                        "tool_rounds_exhausted",
                        "The model kept calling tools past TOOL_MAX_ROUNDS.",
                    );
                }
                return Ok(());
            }
            if !self.shape.platform_names.is_empty() {
                let (platform, ours): (Vec<_>, Vec<_>) = calls
                    .into_iter()
                    .partition(|c| self.shape.platform_names.contains(&c.function.name));
                if !platform.is_empty() {
                    // The platform runs its tools and asks again with their results; ours
                    // of the same round are not made, so none runs unseen by the model.
                    if !ours.is_empty() {
                        tracing::info!(
                            calls = ours.len(),
                            "the agent's tools called beside the platform's were not made"
                        );
                    }
                    self.handoff = platform;
                    return Ok(());
                }
                calls = ours;
            }
            let said_goodbye = !self.round_text.trim().is_empty();
            self.spoken.round_ended();
            self.run_round(calls).await;
            if self.end_call && said_goodbye {
                return Ok(());
            }
        }
    }

    /// Splits off the calls an earlier delivery of this turn made (the history then ends
    /// with them): they become this turn's first round, and a mutating call with the same
    /// arguments is answered from them instead of being made again.
    fn take_earlier_calls<'h>(&mut self, history: &'h [ChatMessage]) -> &'h [ChatMessage] {
        match history.split_last() {
            Some((last, rest)) if last.role == Role::Assistant && !last.tool_calls.is_empty() => {
                self.earlier = last
                    .tool_calls
                    .iter()
                    .cloned()
                    .zip(last.tool_results.iter().cloned())
                    .collect();
                self.mutating_calls = last
                    .tool_calls
                    .iter()
                    .filter(|c| self.tools.mutating(&c.function.name))
                    .count();
                self.rounds.push(ToolRound {
                    text: String::new(),
                    calls: last.tool_calls.clone(),
                    results: last.tool_results.clone(),
                });
                rest
            }
            _ => history,
        }
    }

    /// Streams one round of the reply, trying upstreams in order while nothing of it was
    /// spoken; returns the tools it called.
    async fn stream_round(
        &mut self,
        history: &[ChatMessage],
        tools_disabled: bool,
    ) -> Result<Vec<ToolCall>, LlmError> {
        let mut upstream = 0;
        let mut retries = 0;
        self.round_spoken = false;
        // Where a retry starts again from: the speech as the round found it.
        let (speech, content_started) = (self.speech.clone(), self.content_started);
        loop {
            self.report.attempts += 1;
            self.report.upstream = upstream;
            let error = match self.attempt(upstream, history, tools_disabled).await {
                Ok(()) => {
                    let prefix = format!(
                        "{:08x}_{}_{}",
                        self.nonce,
                        self.rounds.len(),
                        self.report.attempts
                    );
                    return Ok(std::mem::take(&mut self.calls).finish(&prefix));
                }
                Err(error) if self.round_spoken => {
                    self.metrics.upstream_failed(error.code());
                    self.span.event(
                        "model_attempt_failed",
                        vec![crate::trace::KeyValue::new("error.type", error.code())],
                    );
                    return Err(error);
                }
                Err(error) => error,
            };
            let remaining = self.budget_ends.saturating_duration_since(Instant::now());
            let count = self.llm.upstream_count();
            let next = next_attempt(
                &error,
                upstream,
                count,
                retries,
                remaining,
                self.settings.retry,
            );
            tracing::info!(%error, code = error.code(), upstream, ?next, "model attempt failed");
            self.span.event(
                "model_attempt_failed",
                vec![crate::trace::KeyValue::new("error.type", error.code())],
            );
            self.metrics.upstream_failed(error.code());
            match next {
                NextAttempt::GiveUp => return Err(error),
                NextAttempt::Next => {
                    upstream += 1;
                    retries = 0;
                }
                NextAttempt::Same(_) => retries += 1,
            }
            self.drop_attempt(&speech, content_started);
            if let NextAttempt::Same(wait) = next {
                let pause = std::pin::pin!(tokio::time::sleep(wait));
                self.wait(
                    pause,
                    self.budget_ends,
                    LlmError::OutOfTime(self.budget_ms()),
                )
                .await?;
            }
        }
    }

    /// Forgets a failed attempt that spoke nothing before the next one: the text it wrote
    /// (the speech goes back to where the round started, so its unfinished sentence is
    /// never spoken), and its tool-call fragments (so no half call is ever made). A page
    /// shown its deltas is told to drop them.
    fn drop_attempt(&mut self, speech: &SpeechStream, content_started: bool) {
        self.retried += 1;
        if !self.round_text.is_empty() {
            self.caller
                .send(TurnEvent::Data(json!({ "retry": self.retried })));
        }
        self.speech = speech.clone();
        self.content_started = content_started;
        self.flushed_since_text = true;
        self.round_text.clear();
        self.calls = ToolCallAssembler::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_sentences_delivered_count_as_heard() {
        let (caller, _delivery) =
            Caller::new(tokio_util::sync::CancellationToken::new(), Instant::now());
        let mut spoken = Spoken::new(crate::speech::VoiceReply::new(std::sync::Arc::new(
            crate::speech::Voice::plain(),
        )));
        for sentence in ["We have soup.", "And salad.", "And pie."] {
            spoken.speak(&caller, sentence.to_string());
        }
        assert_eq!(spoken.first_sentences(0), "");
        assert_eq!(spoken.first_sentences(1), "We have soup.");
        assert_eq!(spoken.first_sentences(2), "We have soup. And salad.");
        assert_eq!(
            spoken.first_sentences(9),
            "We have soup. And salad. And pie."
        );
        caller.end();
    }
}
