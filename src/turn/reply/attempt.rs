//! One attempt at the model within a round: the request, its stream read into speech
//! and tool calls, and the deadlines, thinking filler and pauses around it.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use tokio::time::Instant;

use super::ReplyRun;
use crate::llm::{LlmError, Prompt};
use crate::session::ChatMessage;
use crate::trace::Span;
use crate::turn::trace;
use crate::turn::TurnEvent;

/// The most text given to speech at once; a larger delta yields between slices.
const SPEECH_SLICE_BYTES: usize = 16 * 1024;

impl ReplyRun<'_> {
    /// One attempt, traced: its span ends with it, failed with the error's code, or
    /// cancelled when a barge-in drops this future.
    pub(super) async fn attempt(
        &mut self,
        upstream: usize,
        history: &[ChatMessage],
        tools_disabled: bool,
    ) -> Result<(), LlmError> {
        let mut span = Span::none();
        let result = self
            .stream_attempt(upstream, history, tools_disabled, &mut span)
            .await;
        if let Err(error) = &result {
            // The code only: a provider's message or a parser's can quote the conversation.
            span.fail(error.code(), error.code());
        }
        span.end();
        result
    }

    async fn stream_attempt(
        &mut self,
        upstream: usize,
        history: &[ChatMessage],
        tools_disabled: bool,
        span: &mut Span,
    ) -> Result<(), LlmError> {
        let sent_at = Instant::now();
        self.report.request_started();
        let first_token_by = self.cap(sent_at + self.settings.first_token_timeout);
        let first_token_late = self.late(first_token_by, || {
            LlmError::FirstTokenTimeout(self.settings.first_token_timeout.as_millis())
        });
        let (llm, texts) = (self.llm, self.texts);
        // A copy: a barge-in may drop this future, and the rounds must outlive it.
        let rounds = self.rounds.clone();
        let definitions = self.offered();
        let prompt = Prompt {
            system: &texts.system,
            history,
            rounds: &rounds,
            tools: &definitions,
            tools_disabled,
            traceparent: None,
            response_format: None,
        };
        *span = trace::model_span(
            self.span,
            llm.name(upstream),
            || llm.span_attributes(upstream),
            self.report.attempts,
            upstream,
            &prompt,
        );
        let traceparent = span.traceparent();
        let prompt = Prompt {
            traceparent: traceparent.as_deref(),
            ..prompt
        };
        let mut first_chunk_ms = None;
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
            self.report.request_usage(chunk.usage);
            let calling = !chunk.tool_calls.is_empty();
            if !working && (chunk.text.is_some() || calling || chunk.reasoning) {
                working = true;
                let now = Instant::now();
                self.report.first_token_at.get_or_insert(now);
                first_chunk_ms = Some(now.duration_since(sent_at).as_millis() as u64);
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
                self.round_text.push_str(&text);
                self.last_text_at = Instant::now();
                self.flushed_since_text = false;
                self.speak_delta(&text, received_at).await?;
                self.caller.send(TurnEvent::Delta(text));
            }
        }
        let ended_at = std::time::Instant::now();
        self.report.finish_reason = stream.finish_reason().map(str::to_owned);
        trace::finish_model_span(
            span,
            &stream,
            self.report.running_usage(),
            first_chunk_ms,
            Some(&self.round_text),
        );
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
            self.say(sentence, Some(ended_at));
        }
        Ok(())
    }

    /// Awaits `future` until `deadline` (then `on_deadline`), meanwhile speaking the
    /// thinking filler when the first token is late and a finished sentence when the
    /// model pauses.
    ///
    /// One timer serves every wait of the reply. It is moved only when something falls
    /// due sooner than it is set for. A deadline that moved later since (the idle timeout
    /// after each chunk) leaves it where it is: it then wakes early, finds nothing due and
    /// is set again. So a reply streaming many chunks arms it about once per idle period,
    /// not three timers per chunk.
    pub(super) async fn wait<F: Future>(
        &mut self,
        mut future: Pin<&mut F>,
        deadline: Instant,
        on_deadline: LlmError,
    ) -> Result<F::Output, LlmError> {
        loop {
            let filler_at = self.filler_due();
            let flush_at = self.flush_due();
            let due = [filler_at, flush_at]
                .into_iter()
                .flatten()
                .fold(deadline, Instant::min);
            if self.timer.is_elapsed() || due < self.timer.deadline() {
                self.timer.as_mut().reset(due);
            }
            let timer = &mut self.timer;
            let woke = std::future::poll_fn(|cx| {
                if let Poll::Ready(output) = future.as_mut().poll(cx) {
                    return Poll::Ready(Some(output));
                }
                timer.as_mut().poll(cx).map(|()| None)
            })
            .await;
            if let Some(output) = woke {
                return Ok(output);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(on_deadline);
            }
            if filler_at.is_some_and(|at| now >= at) {
                self.speak_filler();
            } else if flush_at.is_some_and(|at| now >= at) {
                self.flushed_since_text = true;
                self.speak_paused();
            }
        }
    }

    pub(super) fn filler_due(&self) -> Option<Instant> {
        let filler = self.settings.filler.as_ref()?;
        (self.filler_pending && !self.content_started).then(|| self.started + filler.after)
    }

    pub(super) fn flush_due(&self) -> Option<Instant> {
        let pending = !self.flushed_since_text && self.speech.has_pending();
        pending.then(|| self.last_text_at + self.settings.speech_idle_flush)
    }

    pub(super) fn speak_filler(&mut self) {
        self.filler_pending = false;
        if let Some(filler) = self.texts.filler.as_ref().filter(|f| !f.trim().is_empty()) {
            self.span.event("filler_spoken", Vec::new());
            self.spoken.speak(self.caller, filler.trim().to_string());
        }
    }

    pub(super) fn speak_paused(&mut self) {
        for sentence in self.speech.pause() {
            self.say(sentence, None);
        }
    }

    /// Sends the caller a sentence the model wrote (whose end arrived at `completed_at`):
    /// from now on this round is not retried.
    fn say(&mut self, sentence: String, completed_at: Option<std::time::Instant>) {
        self.round_spoken = true;
        self.spoken
            .speak_completed(self.caller, sentence, completed_at);
    }

    /// The earlier of `at` and the end of the turn's budget.
    pub(super) fn cap(&self, at: Instant) -> Instant {
        at.min(self.budget_ends)
    }

    /// The error for a deadline at `by`: the budget's when the budget is what ran out.
    pub(super) fn late(&self, by: Instant, otherwise: impl FnOnce() -> LlmError) -> LlmError {
        if by >= self.budget_ends {
            LlmError::OutOfTime(self.budget_ms())
        } else {
            otherwise()
        }
    }

    pub(super) fn budget_ms(&self) -> u128 {
        self.settings.turn_timeout.as_millis()
    }

    /// Speaks what `text` completes. A delta larger than [`SPEECH_SLICE_BYTES`] (a whole
    /// reply at once, or a hostile megabyte) is fed in slices with a yield between them, so
    /// other turns, `/health` and a barge-in or shutdown are served meanwhile, and the
    /// turn's budget is checked between slices as it is between chunks.
    async fn speak_delta(
        &mut self,
        text: &str,
        received_at: std::time::Instant,
    ) -> Result<(), LlmError> {
        let mut rest = text;
        while !rest.is_empty() {
            let mut end = rest.len().min(SPEECH_SLICE_BYTES);
            while !rest.is_char_boundary(end) {
                end -= 1;
            }
            let (slice, after) = rest.split_at(end);
            for sentence in self.speech.push(slice) {
                self.say(sentence, Some(received_at));
            }
            rest = after;
            if !rest.is_empty() {
                if Instant::now() >= self.budget_ends {
                    return Err(LlmError::OutOfTime(self.budget_ms()));
                }
                tokio::task::yield_now().await;
            }
        }
        Ok(())
    }
}
