//! One conversational turn: history -> model stream -> sentences and deltas -> history.
//! Knows nothing of HTTP: it writes [`TurnEvent`]s into a channel that the edge frames as
//! SSE, and learns that the client went away through a cancellation token.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::llm::{LlmClient, LlmError, ReplyChunk, ReplyStream, Usage};
use crate::session::{ChatMessage, Heard, SessionStore};
use crate::speech::{SpeechSettings, SpeechStream};

mod registry;

pub use registry::{ActiveTurn, ActiveTurns};

/// What a turn sends to the caller, in order. The end of the turn is the end of the
/// channel, so `response.end` is written exactly once by whoever frames these.
#[derive(Debug, Clone, PartialEq)]
pub enum TurnEvent {
    /// Text to speak (`response.tts`).
    Speak(String),
    /// JSON for the browser (`response.data`).
    Data(serde_json::Value),
}

/// How a turn ended, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnOutcome {
    /// The model finished and everything was sent.
    Completed,
    /// The client went away mid-turn (barge-in).
    Interrupted,
    /// The model failed; the user heard an apology.
    Failed,
    /// A newer turn of the same conversation took over.
    Superseded,
}

/// A user's turn to answer.
#[derive(Debug, Clone)]
pub struct UserTurn {
    /// History key.
    pub conversation: String,
    /// Layercode's turn id.
    pub turn_id: String,
    /// What the user said.
    pub text: String,
    /// What the user heard of the previous reply, when Layercode says.
    pub heard: Option<Heard>,
}

/// What the agent says and how it paces speech.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// The system prompt sent first on every turn.
    pub system_prompt: String,
    /// Spoken on `session.start`; empty means a silent start.
    pub welcome: String,
    /// Spoken when the model fails mid-turn.
    pub apology: String,
    /// Longest silence tolerated from the model.
    pub idle_timeout: Duration,
    /// After this long without a delta, a finished-looking sentence is spoken.
    pub speech_idle_flush: Duration,
    /// Cleanup and chunking of speech.
    pub speech: SpeechSettings,
}

/// The agent: answers turns with the configured model, prompt and store.
pub struct Agent {
    store: Arc<dyn SessionStore>,
    llm: LlmClient,
    settings: AgentSettings,
    active: Arc<ActiveTurns>,
}

/// Longest wait for a superseded turn to settle its history before the new turn goes on.
const SETTLE_WAIT: Duration = Duration::from_secs(2);

/// Tells the caller what to say; a caller that went away is not an error here (the
/// cancellation token carries that).
struct EventSink(UnboundedSender<TurnEvent>);

impl EventSink {
    fn send(&self, event: TurnEvent) {
        let _ = self.0.send(event);
    }
}

/// What the user has heard so far in this turn.
#[derive(Default)]
struct Spoken {
    text: String,
    sentences: usize,
    first_at: Option<Instant>,
}

impl Spoken {
    fn speak(&mut self, sink: &EventSink, sentence: String) {
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.text.push_str(&sentence);
        self.sentences += 1;
        self.first_at.get_or_insert_with(Instant::now);
        sink.send(TurnEvent::Speak(sentence));
    }
}

/// Timings and counts of one streamed reply.
#[derive(Default)]
struct StreamReport {
    first_token_at: Option<Instant>,
    usage: Option<Usage>,
}

impl Agent {
    /// Builds the agent.
    pub fn new(store: Arc<dyn SessionStore>, llm: LlmClient, settings: AgentSettings) -> Self {
        Self {
            store,
            llm,
            settings,
            active: ActiveTurns::new(),
        }
    }

    /// The store holding the histories.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.store
    }

    /// Number of turns streaming right now.
    pub fn turns_in_flight(&self) -> usize {
        self.active.len()
    }

    /// Speaks the welcome of a new connection and stores it as the assistant's message.
    /// A new connection supersedes a turn still running in the conversation.
    pub async fn welcome(
        &self,
        conversation: &str,
        turn_id: &str,
        events: UnboundedSender<TurnEvent>,
    ) {
        let _active = self.take_turn(conversation).await;
        if self.settings.welcome.is_empty() {
            return;
        }
        let sink = EventSink(events);
        sink.send(TurnEvent::Speak(self.settings.welcome.clone()));
        let reply = ChatMessage::assistant(self.settings.welcome.clone(), turn_id);
        if let Err(error) = self.store.record_reply(conversation, reply).await {
            tracing::warn!(%error, "welcome not stored");
        }
    }

    /// Registers a turn of `conversation`, superseding a running one, and waits (boundedly)
    /// until that one has settled its history.
    async fn take_turn(&self, conversation: &str) -> ActiveTurn {
        let (active, predecessor) = self.active.start(conversation);
        if let Some(predecessor) = predecessor {
            if tokio::time::timeout(SETTLE_WAIT, predecessor.finished())
                .await
                .is_err()
            {
                tracing::warn!(conversation_id = %conversation, "superseded turn did not settle in time");
            }
        }
        active
    }

    /// Answers one user turn. Returns when everything was sent and the history settled;
    /// dropping `events` afterwards ends the caller's stream.
    pub async fn reply(
        &self,
        turn: UserTurn,
        events: UnboundedSender<TurnEvent>,
        cancel: CancellationToken,
    ) -> TurnOutcome {
        let started = Instant::now();
        let active = self.take_turn(&turn.conversation).await;
        let sink = EventSink(events);
        let user = ChatMessage::user(turn.text.clone(), turn.turn_id.clone());
        // The user's words are stored even when the turn is already cancelled: they were said.
        let history = match self
            .store
            .begin_turn(&turn.conversation, user.clone(), turn.heard.clone())
            .await
        {
            Ok(history) => history,
            Err(error) => {
                // Answering without history beats not answering.
                tracing::warn!(%error, "history unavailable; answering this turn alone");
                vec![user]
            }
        };

        let mut spoken = Spoken::default();
        let mut report = StreamReport::default();
        let result = tokio::select! {
            biased;
            () = cancel.cancelled() => Err(TurnOutcome::Interrupted),
            () = active.superseded.cancelled() => Err(TurnOutcome::Superseded),
            result = self.stream_reply(&history, &sink, &mut spoken, &mut report) => Ok(result),
        };
        let outcome = match result {
            Ok(Ok(())) => TurnOutcome::Completed,
            Err(stopped) => stopped,
            Ok(Err(error)) => {
                tracing::warn!(error = %error, code = error.code(), "model failed during the turn");
                self.apologise(&sink, &mut spoken, &error);
                TurnOutcome::Failed
            }
        };
        let reply = ChatMessage::assistant(spoken.text.clone(), &turn.turn_id)
            .interrupted(outcome != TurnOutcome::Completed);
        if let Err(error) = self.store.record_reply(&turn.conversation, reply).await {
            tracing::warn!(%error, "reply not stored");
        }
        log_turn(&turn, self.llm.model(), outcome, started, &spoken, &report);
        outcome
    }

    async fn stream_reply(
        &self,
        history: &[ChatMessage],
        sink: &EventSink,
        spoken: &mut Spoken,
        report: &mut StreamReport,
    ) -> Result<(), LlmError> {
        let idle = self.settings.idle_timeout;
        let request = self.llm.stream_chat(&self.settings.system_prompt, history);
        let mut stream = tokio::time::timeout(idle, request)
            .await
            .map_err(|_| LlmError::Timeout(idle.as_millis()))??;
        let mut speech = SpeechStream::new(self.settings.speech);
        while let Some(item) = self
            .next_chunk(&mut stream, &mut speech, sink, spoken)
            .await?
        {
            let chunk = item?;
            report.usage = chunk.usage.or(report.usage);
            if chunk.tool_call {
                // The model turned to a tool: what it said so far should not wait for it.
                for sentence in speech.pause() {
                    spoken.speak(sink, sentence);
                }
            }
            let Some(text) = chunk.text else { continue };
            report.first_token_at.get_or_insert_with(Instant::now);
            for sentence in speech.push(&text) {
                spoken.speak(sink, sentence);
            }
            sink.send(TurnEvent::Data(json!({ "delta": text })));
        }
        for sentence in speech.finish() {
            spoken.speak(sink, sentence);
        }
        Ok(())
    }

    /// The next chunk of the reply. While text waits for its sentence to end, a pause of
    /// `speech_idle_flush` speaks it if it already looks finished; a silence longer than
    /// `idle_timeout` is a failure.
    async fn next_chunk(
        &self,
        stream: &mut ReplyStream,
        speech: &mut SpeechStream,
        sink: &EventSink,
        spoken: &mut Spoken,
    ) -> Result<Option<Result<ReplyChunk, LlmError>>, LlmError> {
        let idle = self.settings.idle_timeout;
        let flush_after = self.settings.speech_idle_flush.min(idle);
        let timed_out = |_| LlmError::Timeout(idle.as_millis());
        let next = stream.next();
        tokio::pin!(next);
        if !speech.has_pending() {
            return tokio::time::timeout(idle, next).await.map_err(timed_out);
        }
        if let Ok(item) = tokio::time::timeout(flush_after, &mut next).await {
            return Ok(item);
        }
        for sentence in speech.pause() {
            spoken.speak(sink, sentence);
        }
        tokio::time::timeout(idle - flush_after, next)
            .await
            .map_err(timed_out)
    }

    fn apologise(&self, sink: &EventSink, spoken: &mut Spoken, error: &LlmError) {
        if !self.settings.apology.is_empty() {
            spoken.speak(sink, self.settings.apology.clone());
        }
        sink.send(TurnEvent::Data(json!({
            "error": {
                "code": error.code(),
                "message": "The language model failed to answer this turn.",
            }
        })));
    }
}

fn log_turn(
    turn: &UserTurn,
    model: &str,
    outcome: TurnOutcome,
    started: Instant,
    spoken: &Spoken,
    report: &StreamReport,
) {
    let ms = |at: Option<Instant>| at.map(|t| t.duration_since(started).as_millis() as u64);
    tracing::info!(
        conversation_id = %turn.conversation,
        turn_id = %turn.turn_id,
        model,
        outcome = ?outcome,
        first_token_ms = ms(report.first_token_at),
        first_tts_ms = ms(spoken.first_at),
        total_ms = started.elapsed().as_millis() as u64,
        sentences = spoken.sentences,
        prompt_tokens = report.usage.map(|u| u.prompt_tokens),
        completion_tokens = report.usage.map(|u| u.completion_tokens),
        "turn finished"
    );
    tracing::debug!(turn_id = %turn.turn_id, user = %turn.text, assistant = %spoken.text, "turn text");
}
