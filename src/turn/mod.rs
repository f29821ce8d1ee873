//! One conversational turn: history -> model stream -> sentences and deltas -> history.
//! Knows nothing of HTTP: it writes [`TurnEvent`]s into a channel that the edge frames as
//! SSE, and learns that the client went away through a cancellation token.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::config::Filler;
use crate::llm::{LlmClient, RetryPolicy};
use crate::metrics::Metrics;
use crate::session::{ChatMessage, Heard, SessionStore};
use crate::speech::SpeechSettings;

mod cluster;
mod registry;
mod reply;

pub use cluster::Cluster;
pub use registry::{ActiveTurn, ActiveTurns};
pub use reply::TurnEvent;
use reply::{EventSink, ReplyRun};

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

impl TurnOutcome {
    /// The outcome's name in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Interrupted => "interrupted",
            Self::Failed => "failed",
            Self::Superseded => "superseded",
        }
    }
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
    /// When the webhook arrived; the turn's time budget counts from here.
    pub received_at: tokio::time::Instant,
    /// How many `response.tts` events the caller has handed to the client so far.
    pub delivered: Arc<AtomicUsize>,
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
    /// Deadline from sending a request to the model's first token.
    pub first_token_timeout: Duration,
    /// Longest silence between chunks once the reply has started.
    pub idle_timeout: Duration,
    /// Cap on the whole reply, every attempt included.
    pub turn_timeout: Duration,
    /// Retries of one upstream before the next.
    pub retry: RetryPolicy,
    /// Spoken when the first token is late.
    pub filler: Option<Filler>,
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
    metrics: Metrics,
    cluster: Option<Cluster>,
}

/// Longest wait for a superseded turn to settle its history before the new turn goes on.
const SETTLE_WAIT: Duration = Duration::from_secs(2);

impl Agent {
    /// Builds the agent.
    pub fn new(
        store: Arc<dyn SessionStore>,
        llm: LlmClient,
        settings: AgentSettings,
        metrics: Metrics,
    ) -> Self {
        Self {
            store,
            llm,
            settings,
            active: ActiveTurns::new(),
            metrics,
            cluster: None,
        }
    }

    /// The turns running in this process (for a [`Cluster`] to supersede).
    pub fn active_turns(&self) -> Arc<ActiveTurns> {
        self.active.clone()
    }

    /// Coordinates turns with other machines through `cluster`.
    pub fn with_cluster(mut self, cluster: Cluster) -> Self {
        self.cluster = Some(cluster);
        self
    }

    fn store_failed(&self, operation: &str, error: &dyn std::fmt::Display) {
        tracing::warn!(%error, operation, "session store failed");
        self.metrics
            .store_errors
            .with_label_values(&[operation])
            .inc();
    }

    /// Tells other machines this turn has settled.
    async fn release(&self, conversation: &str, active: &ActiveTurn) {
        if let Some(cluster) = &self.cluster {
            if let Err(error) = cluster.release(conversation, active.id()).await {
                self.store_failed("release", &error);
            }
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
        let active = self.take_turn(conversation).await;
        self.metrics
            .turns
            .with_label_values(&["session.start", TurnOutcome::Completed.as_str()])
            .inc();
        let sink = EventSink(events);
        if !self.settings.welcome.is_empty() {
            sink.send(TurnEvent::Speak(self.settings.welcome.clone(), None));
        }
        drop(sink); // `response.end` goes out before the store write.
        if !self.settings.welcome.is_empty() {
            let reply = ChatMessage::assistant(self.settings.welcome.clone(), turn_id);
            if let Err(error) = self.store.record_reply(conversation, reply).await {
                self.store_failed("record_reply", &error);
            }
        }
        self.release(conversation, &active).await;
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
        if let Some(cluster) = &self.cluster {
            if let Err(error) = cluster.claim(conversation, active.id(), SETTLE_WAIT).await {
                self.store_failed("claim", &error);
            }
        }
        active
    }

    /// Answers one user turn. The caller's stream ends (`events` is dropped) as soon as
    /// everything was said; this returns once the history is settled too.
    pub async fn reply(
        &self,
        turn: UserTurn,
        events: UnboundedSender<TurnEvent>,
        cancel: CancellationToken,
    ) -> TurnOutcome {
        let started = turn.received_at;
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
                // Answering without history beats not answering: the user hears a reply
                // to what they just said rather than an apology for the store.
                self.store_failed("begin_turn", &error);
                vec![user]
            }
        };

        let mut run = ReplyRun::new(&self.settings, &self.llm, &sink, started, &self.metrics);
        let result = tokio::select! {
            biased;
            () = cancel.cancelled() => Err(TurnOutcome::Interrupted),
            () = active.superseded.cancelled() => Err(TurnOutcome::Superseded),
            result = run.run(&history) => Ok(result),
        };
        let outcome = match result {
            Ok(Ok(())) => TurnOutcome::Completed,
            Err(stopped) => stopped,
            Ok(Err(error)) => {
                tracing::warn!(error = %error, code = error.code(), "model failed during the turn");
                run.apologise(&error);
                TurnOutcome::Failed
            }
        };
        // A client that went away heard only the sentences framed before it left; any
        // still queued were never sent.
        let spoken = match outcome {
            TurnOutcome::Interrupted => run
                .spoken
                .first_sentences(turn.delivered.load(Ordering::Acquire)),
            _ => run.spoken.text.as_str(),
        };
        let reply = ChatMessage::assistant(spoken, &turn.turn_id)
            .interrupted(outcome != TurnOutcome::Completed);
        self.metrics
            .turns
            .with_label_values(&["message", outcome.as_str()])
            .inc();
        log_turn(&turn, &self.llm, outcome, &run);
        // End the caller's stream now: `response.end` need not wait for the store. The
        // next turn of this conversation still reads settled history, because it waits
        // for this turn to finish (here or, through Redis, on another machine).
        drop(run);
        drop(sink);
        if let Err(error) = self.store.record_reply(&turn.conversation, reply).await {
            self.store_failed("record_reply", &error);
        }
        self.release(&turn.conversation, &active).await;
        outcome
    }
}

fn log_turn(turn: &UserTurn, llm: &LlmClient, outcome: TurnOutcome, run: &ReplyRun<'_>) {
    let report = &run.report;
    tracing::info!(
        conversation_id = %turn.conversation,
        turn_id = %turn.turn_id,
        model = llm.model(report.upstream),
        outcome = outcome.as_str(),
        attempts = report.attempts,
        first_token_ms = run.ms_since_start(report.first_token_at),
        first_tts_ms = run.ms_since_start(run.spoken.first_at),
        total_ms = run.ms_since_start(Some(tokio::time::Instant::now())),
        sentences = run.spoken.sentences,
        finish_reason = report.finish_reason.as_deref(),
        cut_by_token_cap = report.cut_by_token_cap(),
        prompt_tokens = report.usage.map(|u| u.prompt_tokens),
        completion_tokens = report.usage.map(|u| u.completion_tokens),
        "turn finished"
    );
    tracing::debug!(turn_id = %turn.turn_id, user = %turn.text, assistant = %run.spoken.text, "turn text");
}
