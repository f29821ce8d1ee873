//! Streaming one reply: model↔tool rounds, attempts against the upstreams in order,
//! deadlines, the thinking filler, speech pacing, and what was spoken. Retries happen only
//! while the model has produced no text in the current round: once the user may have heard
//! part of an answer, a failure ends the turn with an apology instead of a second,
//! different answer. Tools run between rounds (see `tools.rs`); the time they take does
//! not count against the turn's budget, since each tool has its own timeout.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::json;
use tokio::time::{sleep_until, Instant};

use super::dispatch::{self, Plan, Round};
use super::spoken::{Report, Spoken};
use super::toolset::ToolSet;
use super::{AgentSettings, Caller, Model, Texts, TurnEvent};
use crate::llm::{next_attempt, LlmError, NextAttempt, Prompt, ToolCallAssembler, ToolRound};
use crate::metrics::Metrics;
use crate::session::{ChatMessage, Role, ToolCall, ToolResult};
use crate::speech::SpeechStream;
use crate::template::CallContext;

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
    /// The model has produced text in this turn.
    content_started: bool,
    /// The model has produced text in this round (which may already be heard): no more
    /// retries of it.
    round_started: bool,
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
    filler_pending: bool,
    last_text_at: Instant,
    flushed_since_text: bool,
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
            round_started: false,
            round_text: String::new(),
            calls: ToolCallAssembler::default(),
            rounds: Vec::new(),
            earlier: Vec::new(),
            nonce: dispatch::nonce(),
            running: None,
            rounds_run: 0,
            mutating_calls: 0,
            end_call: false,
            filler_pending: settings.filler.is_some(),
            last_text_at: started,
            flushed_since_text: true,
        }
    }

    /// Answers `history` (ending with the user's message, or with the calls an earlier
    /// delivery of this turn made): model rounds, with the tools they call in between,
    /// until the model answers in words, calls `end_call`, or the rounds run out.
    pub(super) async fn run(&mut self, history: &[ChatMessage]) -> Result<(), LlmError> {
        let history = self.take_earlier_calls(history);
        let max_rounds = self.tools.settings().max_rounds;
        loop {
            let tools_disabled = self.rounds_run >= max_rounds || self.end_call;
            let calls = self.stream_round(history, tools_disabled).await?;
            if calls.is_empty() {
                return Ok(());
            }
            if tools_disabled || self.tools.definitions().is_empty() {
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
            let said_goodbye = !self.round_text.trim().is_empty();
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

    /// Streams one round of the reply, trying upstreams in order while nothing was said
    /// in it; returns the tools it called.
    async fn stream_round(
        &mut self,
        history: &[ChatMessage],
        tools_disabled: bool,
    ) -> Result<Vec<ToolCall>, LlmError> {
        let mut upstream = 0;
        let mut retries = 0;
        self.round_started = false;
        loop {
            self.report.attempts += 1;
            self.report.upstream = upstream;
            self.round_text.clear();
            self.calls = ToolCallAssembler::default();
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
                Err(error) if self.round_started => {
                    self.metrics.upstream_failed(error.code());
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
            self.metrics.upstream_failed(error.code());
            match next {
                NextAttempt::GiveUp => return Err(error),
                NextAttempt::Next => {
                    upstream += 1;
                    retries = 0;
                }
                NextAttempt::Same(wait) => {
                    retries += 1;
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
    }

    async fn attempt(
        &mut self,
        upstream: usize,
        history: &[ChatMessage],
        tools_disabled: bool,
    ) -> Result<(), LlmError> {
        let sent_at = Instant::now();
        let first_token_by = self.cap(sent_at + self.settings.first_token_timeout);
        let first_token_late = self.late(first_token_by, || {
            LlmError::FirstTokenTimeout(self.settings.first_token_timeout.as_millis())
        });
        let (llm, texts, tools) = (self.llm, self.texts, self.tools);
        // A copy: a barge-in may drop this future, and the rounds must outlive it.
        let rounds = self.rounds.clone();
        let definitions = tools.definitions();
        let prompt = Prompt {
            system: &texts.system,
            history,
            rounds: &rounds,
            tools: &definitions,
            tools_disabled,
        };
        let request = llm.stream_chat(upstream, &prompt);
        let mut stream = self
            .wait(std::pin::pin!(request), first_token_by, first_token_late)
            .await??;
        let mut working = false;
        loop {
            let (deadline, error) = if working {
                let by = self.cap(Instant::now() + self.settings.idle_timeout);
                (
                    by,
                    self.late(by, || {
                        LlmError::Stalled(self.settings.idle_timeout.as_millis())
                    }),
                )
            } else {
                let late = self.late(first_token_by, || {
                    LlmError::FirstTokenTimeout(self.settings.first_token_timeout.as_millis())
                });
                (first_token_by, late)
            };
            let Some(chunk) = self
                .wait(std::pin::pin!(stream.next()), deadline, error)
                .await?
            else {
                break;
            };
            let received_at = std::time::Instant::now();
            let chunk = chunk?;
            self.report.usage = chunk.usage.or(self.report.usage);
            let calling = !chunk.tool_calls.is_empty();
            if !working && (chunk.text.is_some() || calling || chunk.reasoning) {
                working = true;
                let now = Instant::now();
                self.report.first_token_at.get_or_insert(now);
                self.metrics
                    .upstream_first_token(now.duration_since(sent_at));
            }
            if calling {
                // The model turned to a tool: what it said so far should not wait for it.
                self.speak_paused();
                chunk
                    .tool_calls
                    .into_iter()
                    .for_each(|c| self.calls.push(c));
            }
            if let Some(text) = chunk.text {
                self.content_started = true;
                self.round_started = true;
                self.round_text.push_str(&text);
                self.last_text_at = Instant::now();
                self.flushed_since_text = false;
                for sentence in self.speech.push(&text) {
                    self.spoken
                        .speak_completed(self.caller, sentence, Some(received_at));
                }
                self.caller.send(TurnEvent::Data(json!({ "delta": text })));
            }
        }
        let ended_at = std::time::Instant::now();
        self.report.finish_reason = stream.finish_reason().map(str::to_owned);
        // A reply stopped by the token cap or a content filter ends mid-sentence: its
        // unfinished sentence is not spoken (nor stored, since history keeps what was said).
        let cut_short = matches!(
            self.report.finish_reason.as_deref(),
            Some("length" | "content_filter")
        );
        let rest = if cut_short {
            self.speech.finish_cut()
        } else {
            self.speech.finish()
        };
        for sentence in rest {
            self.spoken
                .speak_completed(self.caller, sentence, Some(ended_at));
        }
        Ok(())
    }

    /// Sends the page the round's client tool calls, each once it is announced to the
    /// other machines (at once without Redis). The round is already kept in `self`, so a
    /// barge-in while this waits leaves the calls to [`ReplyRun::settle_tools`].
    async fn send_client_tool_calls(&mut self) {
        let Some(round) = self.running.as_mut() else {
            return;
        };
        let events: Vec<dispatch::ClientEvent> = round
            .plans
            .iter_mut()
            .filter_map(|plan| match plan {
                Some(Plan::Call { client_event, .. }) => client_event.take(),
                _ => None,
            })
            .collect();
        for dispatch::ClientEvent { event, announced } in events {
            let _ = announced.await;
            self.caller.send(TurnEvent::Data(event));
        }
    }

    /// Runs one round of tool calls: each is answered (called, or refused with a reason),
    /// slow ones get their `say_while_waiting` spoken once, and the browser hears when
    /// each starts and ends. The round is kept in `self` while it runs, so a barge-in
    /// leaves it to [`ReplyRun::settle_tools`].
    async fn run_round(&mut self, calls: Vec<ToolCall>) {
        self.rounds_run += 1;
        self.filler_pending = false; // The thinking filler is for a silent start only.
        let mut plans = Vec::with_capacity(calls.len());
        for (index, call) in calls.iter().enumerate() {
            if index >= dispatch::MAX_CALLS_PER_ROUND {
                // A runaway model does not get to fire off any number of requests.
                plans.push(Some(Plan::Answer {
                    content: dispatch::error(format!(
                        "not called: at most {} tool calls are made in one round",
                        dispatch::MAX_CALLS_PER_ROUND
                    )),
                    outcome: "too_many_calls",
                    failed: true,
                }));
                continue;
            }
            let keys = &self.keys;
            let mutating = self.tools.mutating(&call.function.name);
            let n = self.mutating_calls + 1;
            let now = &self.settings.now;
            let plan = dispatch::plan(self.tools, call, &self.earlier, keys.context, now, || {
                format!("{}:{}:{n}", keys.conversation, keys.turn_id)
            });
            if let Plan::Call { .. } = plan {
                self.mutating_calls += usize::from(mutating);
            }
            let mocked = matches!(
                plan,
                Plan::Answer {
                    outcome: "mocked",
                    ..
                }
            );
            if mocked || matches!(plan, Plan::Call { .. }) {
                self.caller.send(TurnEvent::Data(json!({"tool": {
                    "id": call.id, "name": call.function.name, "status": "started",
                    "arguments": call.function.arguments,
                }})));
            }
            if call.function.name == crate::tools::END_CALL && self.tools.settings().end_call {
                self.end_call = true;
            }
            plans.push(Some(plan));
        }
        let results = vec![None; calls.len()];
        self.running = Some(Round {
            text: std::mem::take(&mut self.round_text),
            calls,
            plans,
            results,
            started: Instant::now(),
            filler_spoken: false,
        });
        self.send_client_tool_calls().await;
        let filler_at = Instant::now() + self.tools.settings().filler_after;
        let count = self.running.as_ref().map_or(0, |r| r.calls.len());
        for slot in 0..count {
            loop {
                let Some(round) = self.running.as_mut() else {
                    return;
                };
                let plan = round.plans[slot].as_mut();
                let Some(Plan::Call { task, .. }) = plan else {
                    self.answer(slot, None);
                    break;
                };
                let filler_due = !round.filler_spoken;
                let joined = tokio::select! {
                    biased;
                    joined = task => Some(joined),
                    () = sleep_until(filler_at), if filler_due => None,
                };
                match joined {
                    Some(joined) => {
                        self.answer(slot, Some(joined));
                        break;
                    }
                    None => self.speak_tool_filler(),
                }
            }
        }
        self.finish_round();
    }

    /// Records the answer of call `slot` of the running round: `joined` is the called
    /// tool's outcome, `None` for a call answered without calling.
    fn answer(
        &mut self,
        slot: usize,
        joined: Option<Result<dispatch::Called, tokio::task::JoinError>>,
    ) {
        let Some(round) = self.running.as_mut() else {
            return;
        };
        let call = &round.calls[slot];
        let name = call.function.name.as_str();
        let (content, outcome, failed, took) = match (round.plans[slot].take(), joined) {
            (
                Some(Plan::Answer {
                    content,
                    outcome,
                    failed,
                }),
                _,
            ) => (content, outcome, failed, None),
            (_, Some(Ok(called))) => {
                let (content, outcome) = dispatch::finished(&called);
                (content, outcome, called.result.is_err(), Some(called.took))
            }
            (_, Some(Err(_))) | (_, None) => (
                dispatch::error("the tool call was lost".into()),
                "lost",
                true,
                None,
            ),
        };
        dispatch::count(
            self.metrics,
            self.tools,
            &self.settings.name,
            name,
            outcome,
            took,
        );
        self.report.tool_calls += 1;
        let ms = took.map(|t| t.as_millis() as u64);
        self.report.tools.push(crate::calls::ToolRecord {
            name: name.chars().take(64).collect(),
            arguments: call.function.arguments.clone(),
            outcome: outcome.to_string(),
            ms,
        });
        let status = if failed { "failed" } else { "finished" };
        let mut event = json!({"id": call.id, "name": dispatch::short(name).trim_matches('"'), "status": status});
        if let Some(ms) = ms {
            event["ms"] = json!(ms);
        }
        if failed {
            event["outcome"] = json!(outcome);
        }
        self.caller.send(TurnEvent::Data(json!({ "tool": event })));
        tracing::info!(tool = %dispatch::short(name), outcome, ms, "tool call finished");
        round.results[slot] = Some(ToolResult::new(call.id.clone(), content));
    }

    /// Moves the running round, every call answered, to the finished rounds.
    fn finish_round(&mut self) {
        let Some(round) = self.running.take() else {
            return;
        };
        let took = round.started.elapsed();
        self.report.tool_time += took;
        // Tools have their own timeouts: their time does not eat the model's budget.
        self.budget_ends += took;
        let results = round
            .calls
            .iter()
            .zip(round.results)
            .map(|(call, result)| {
                result
                    .unwrap_or_else(|| ToolResult::new(call.id.clone(), crate::session::NO_RESULT))
            })
            .collect();
        self.rounds.push(ToolRound {
            text: round.text,
            calls: round.calls,
            results,
        });
    }

    /// After a barge-in (or a newer turn) stopped the reply: read-only calls still running
    /// are cancelled; mutating calls already sent are awaited (each within its timeout),
    /// so what they did is stored with the turn.
    pub(super) async fn settle_tools(&mut self) {
        // Every read-only call stops now, not after the mutating calls before it finish
        // (a client call would take an answer meanwhile only to drop it).
        if let Some(round) = self.running.as_ref() {
            for plan in &round.plans {
                if let Some(Plan::Call {
                    mutating: false,
                    task,
                    ..
                }) = plan
                {
                    task.abort();
                }
            }
        }
        let count = self.running.as_ref().map_or(0, |r| r.calls.len());
        for slot in 0..count {
            let Some(round) = self.running.as_mut() else {
                return;
            };
            match round.plans[slot].take() {
                Some(Plan::Call {
                    mutating: true,
                    task,
                    ..
                }) => {
                    let joined = task.await;
                    self.answer(slot, Some(joined));
                }
                Some(Plan::Call {
                    mutating: false,
                    task,
                    ..
                }) => {
                    // Aborted above; joined so that the call is gone (a client call no
                    // longer takes an answer) by the time the turn has settled.
                    let _ = task.await;
                    let Some(round) = self.running.as_mut() else {
                        return;
                    };
                    round.plans[slot] = Some(Plan::Answer {
                        content: dispatch::error(
                            "cancelled: the user interrupted before the tool finished".into(),
                        ),
                        outcome: "cancelled",
                        failed: true,
                    });
                    self.answer(slot, None);
                }
                plan @ Some(Plan::Answer { .. }) => {
                    round.plans[slot] = plan;
                    self.answer(slot, None);
                }
                None => {}
            }
        }
        self.finish_round();
    }

    /// When a mutating call is still running (the reply was stopped while it ran): every
    /// call so far, with the running ones' results saying so. Stored at once, so a turn
    /// that follows before the call ends sees that it was made.
    pub(super) fn provisional_tool_record(&self) -> Option<(Vec<ToolCall>, Vec<ToolResult>)> {
        let round = self.running.as_ref()?;
        let pending = round
            .plans
            .iter()
            .any(|p| matches!(p, Some(Plan::Call { mutating: true, .. })));
        if !pending {
            return None;
        }
        let (mut calls, mut results) = self.tool_record();
        for (slot, call) in round.calls.iter().enumerate() {
            calls.push(call.clone());
            results.push(round.results[slot].clone().unwrap_or_else(|| {
                ToolResult::new(
                    call.id.clone(),
                    dispatch::error(
                        "still running when the user interrupted; its result was not known yet"
                            .into(),
                    ),
                )
            }));
        }
        Some((calls, results))
    }

    /// Every call of this turn with its result, for the stored reply.
    pub(super) fn tool_record(&self) -> (Vec<ToolCall>, Vec<ToolResult>) {
        let calls = self
            .rounds
            .iter()
            .flat_map(|r| r.calls.iter().cloned())
            .collect();
        let results = self
            .rounds
            .iter()
            .flat_map(|r| r.results.iter().cloned())
            .collect();
        (calls, results)
    }

    /// Speaks the `say_while_waiting` of the first running call that has one, once per
    /// round.
    fn speak_tool_filler(&mut self) {
        let Some(round) = self.running.as_mut() else {
            return;
        };
        round.filler_spoken = true;
        let text = round.calls.iter().enumerate().find_map(|(slot, call)| {
            let running = matches!(round.plans[slot], Some(Plan::Call { .. }));
            running
                .then(|| self.tools.filler(&call.function.name))
                .flatten()
        });
        if let Some(text) = text {
            self.spoken.speak(self.caller, text.to_string());
        }
    }

    /// Awaits `future` until `deadline` (then `on_deadline`), meanwhile speaking the
    /// thinking filler when the first token is late and a finished sentence when the
    /// model pauses.
    async fn wait<F: Future>(
        &mut self,
        mut future: Pin<&mut F>,
        deadline: Instant,
        on_deadline: LlmError,
    ) -> Result<F::Output, LlmError> {
        loop {
            let filler_at = self.filler_due();
            let flush_at = self.flush_due();
            tokio::select! {
                biased;
                output = &mut future => return Ok(output),
                () = sleep_until(deadline) => return Err(on_deadline),
                () = sleep_until(filler_at.unwrap_or(deadline)), if filler_at.is_some() => {
                    self.speak_filler();
                }
                () = sleep_until(flush_at.unwrap_or(deadline)), if flush_at.is_some() => {
                    self.flushed_since_text = true;
                    self.speak_paused();
                }
            }
        }
    }

    fn filler_due(&self) -> Option<Instant> {
        let filler = self.settings.filler.as_ref()?;
        (self.filler_pending && !self.content_started).then(|| self.started + filler.after)
    }

    fn flush_due(&self) -> Option<Instant> {
        let pending = !self.flushed_since_text && self.speech.has_pending();
        pending.then(|| self.last_text_at + self.settings.speech_idle_flush)
    }

    fn speak_filler(&mut self) {
        self.filler_pending = false;
        if let Some(filler) = self.texts.filler.as_ref().filter(|f| !f.trim().is_empty()) {
            self.spoken.speak(self.caller, filler.trim().to_string());
        }
    }

    fn speak_paused(&mut self) {
        for sentence in self.speech.pause() {
            self.spoken.speak(self.caller, sentence);
        }
    }

    /// The earlier of `at` and the end of the turn's budget.
    fn cap(&self, at: Instant) -> Instant {
        at.min(self.budget_ends)
    }

    /// The error for a deadline at `by`: the budget's when the budget is what ran out.
    fn late(&self, by: Instant, otherwise: impl FnOnce() -> LlmError) -> LlmError {
        if by >= self.budget_ends {
            LlmError::OutOfTime(self.budget_ms())
        } else {
            otherwise()
        }
    }

    fn budget_ms(&self) -> u128 {
        self.settings.turn_timeout.as_millis()
    }

    /// Tells the user briefly that the model failed, and the browser why.
    pub(super) fn apologise(&mut self, error: &LlmError) {
        self.apology(
            error.code(),
            "The language model failed to answer this turn.",
        );
    }

    fn apology(&mut self, code: &str, message: &str) {
        let apology = self.texts.apology.trim();
        if !apology.is_empty() {
            self.spoken.speak(self.caller, apology.to_string());
        }
        self.caller.send(TurnEvent::Data(json!({
            "error": { "code": code, "message": message }
        })));
    }

    /// Milliseconds from the start of the reply to `at`.
    pub(super) fn ms_since_start(&self, at: Option<Instant>) -> Option<u64> {
        at.map(|t| t.duration_since(self.started).as_millis() as u64)
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
