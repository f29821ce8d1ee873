//! Streaming one reply: attempts against the upstreams in order, deadlines, the thinking
//! filler, speech pacing, and what was spoken. Retries happen only while the model has
//! produced no text: once the user may have heard part of an answer, a failure ends the
//! turn with an apology instead of a second, different answer.

use std::future::Future;
use std::pin::Pin;

use serde_json::json;
use tokio::time::{sleep_until, Instant};

use super::spoken::{Report, Spoken};
use super::{AgentSettings, Caller, Model, TurnEvent};
use crate::llm::{next_attempt, LlmError, NextAttempt};
use crate::metrics::Metrics;
use crate::session::ChatMessage;
use crate::speech::SpeechStream;

/// One reply in progress.
pub(super) struct ReplyRun<'a> {
    settings: &'a AgentSettings,
    metrics: &'a Metrics,
    llm: &'a dyn Model,
    caller: &'a Caller,
    pub(super) spoken: Spoken,
    pub(super) report: Report,
    speech: SpeechStream,
    started: Instant,
    budget_ends: Instant,
    /// The model has produced text (which may already be heard): no more retries.
    content_started: bool,
    filler_pending: bool,
    last_text_at: Instant,
    flushed_since_text: bool,
}

impl<'a> ReplyRun<'a> {
    /// A reply to `caller`, whose budget counts from when its webhook arrived.
    pub(super) fn new(
        settings: &'a AgentSettings,
        llm: &'a dyn Model,
        caller: &'a Caller,
        metrics: &'a Metrics,
    ) -> Self {
        let started = caller.received_at();
        Self {
            settings,
            metrics,
            llm,
            caller,
            spoken: Spoken::default(),
            report: Report::default(),
            speech: SpeechStream::new(settings.speech),
            started,
            budget_ends: started + settings.turn_timeout,
            content_started: false,
            filler_pending: settings.filler.is_some(),
            last_text_at: started,
            flushed_since_text: true,
        }
    }

    /// Streams the reply, trying upstreams in order while nothing was said.
    pub(super) async fn run(&mut self, history: &[ChatMessage]) -> Result<(), LlmError> {
        let mut upstream = 0;
        let mut retries = 0;
        loop {
            self.report.attempts += 1;
            self.report.upstream = upstream;
            let error = match self.attempt(upstream, history).await {
                Ok(()) => return Ok(()),
                Err(error) if self.content_started => {
                    self.metrics.upstream_failed(&error);
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
            self.metrics.upstream_failed(&error);
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

    async fn attempt(&mut self, upstream: usize, history: &[ChatMessage]) -> Result<(), LlmError> {
        let sent_at = Instant::now();
        let first_token_by = self.cap(sent_at + self.settings.first_token_timeout);
        let first_token_late = self.late(first_token_by, || {
            LlmError::FirstTokenTimeout(self.settings.first_token_timeout.as_millis())
        });
        let (llm, settings) = (self.llm, self.settings);
        let request = llm.stream_chat(upstream, &settings.system_prompt, history);
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
            if !working && (chunk.text.is_some() || chunk.tool_call || chunk.reasoning) {
                working = true;
                let now = Instant::now();
                self.report.first_token_at.get_or_insert(now);
                self.metrics
                    .upstream_first_token(now.duration_since(sent_at));
            }
            if chunk.tool_call {
                // The model turned to a tool: what it said so far should not wait for it.
                self.speak_paused();
            }
            if let Some(text) = chunk.text {
                self.content_started = true;
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
        if let Some(filler) = &self.settings.filler {
            self.spoken.speak(self.caller, filler.text.clone());
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
        if !self.settings.apology.is_empty() {
            self.spoken
                .speak(self.caller, self.settings.apology.clone());
        }
        self.caller.send(TurnEvent::Data(json!({
            "error": {
                "code": error.code(),
                "message": "The language model failed to answer this turn.",
            }
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
        let mut spoken = Spoken::default();
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
