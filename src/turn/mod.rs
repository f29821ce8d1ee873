//! One conversational turn: history -> model stream -> sentences and deltas -> history.
//! Knows nothing of HTTP: a [`Turn`] carries what the caller asked and its [`Caller`]
//! (events out, cancellation, timings); the edge frames the events as SSE.
//!
//! A turn's life: claim the conversation (a [`Lease`]; newest turn wins), read history,
//! stream the reply, end the caller's stream (`response.end`), then settle the lease with
//! what was said (history write, then release). Every path goes through those steps.

use std::sync::Arc;
use std::time::Duration;

use crate::calls::{CallKey, CallerRecord, Record, TurnRecord};
use crate::llm::RetryPolicy;
use crate::metrics::{Metrics, StoreOperation, TurnKind};
use crate::session::{ChatMessage, Heard, SessionStore};
use crate::speech::SpeechSettings;
use crate::template::{CallContext, Now, Template};

mod caller;
mod client_tools;
mod coordinator;
mod dispatch;
mod lease;
mod model;
mod reply;
mod spoken;
#[cfg(test)]
mod tests;
mod toolset;

pub use crate::metrics::TurnOutcome;
pub use crate::tools::END_CALL;
pub use caller::{Caller, Delivery, TurnEvent};
pub use client_tools::{ClientRelay, ClientToolCalls, Delivered};
pub use coordinator::{Claim, Coordinator, LocalCoordinator};
pub use lease::{Lease, Ledger, SETTLE_WAIT};
pub use model::Model;
use reply::{ReplyRun, TurnKeys};
pub use toolset::{ToolMocks, ToolSet};

/// What the caller asked for.
#[derive(Debug, Clone)]
pub enum Request {
    /// A new connection: speak the welcome.
    Welcome,
    /// The user said `text`, having heard `heard` of the previous reply.
    Message {
        /// What the user said.
        text: String,
        /// What the user heard of the previous reply, when Layercode says.
        heard: Option<Heard>,
    },
}

/// One turn: its keys, what was asked, who is calling, and the caller to answer.
#[derive(Debug)]
pub struct Turn {
    /// History key (the conversation id, under the agent's name when there are several).
    pub conversation: String,
    /// What templates may use: metadata, phone numbers, the conversation id as Layercode
    /// sent it, the agent. Its `client` is read from the store when a template uses it.
    pub context: CallContext,
    /// Layercode's turn id.
    pub turn_id: String,
    /// What the caller asked for.
    pub request: Request,
    /// Where the answer goes.
    pub caller: Caller,
}

/// Spoken when the model's first token is late.
#[derive(Debug, Clone)]
pub struct ThinkingFiller {
    /// How late the first token must be.
    pub after: Duration,
    /// What is said (a template).
    pub text: Template,
}

/// What the agent says and how it paces speech.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// The agent's name (`default` for the one configured from the environment).
    pub name: String,
    /// The system prompt sent first on every turn (a template, rendered per turn).
    pub system_prompt: Template,
    /// Spoken on `session.start`; empty means a silent start.
    pub welcome: Template,
    /// Spoken when the model fails mid-turn.
    pub apology: Template,
    /// The clock and time zone templates read `now` from.
    pub now: Now,
    /// Deadline from sending a request to the model's first token.
    pub first_token_timeout: Duration,
    /// Longest silence between chunks once the reply has started.
    pub idle_timeout: Duration,
    /// Cap on the whole reply, every attempt included.
    pub turn_timeout: Duration,
    /// Retries of one upstream before the next.
    pub retry: RetryPolicy,
    /// Spoken when the first token is late.
    pub filler: Option<ThinkingFiller>,
    /// After this long without a delta, a finished-looking sentence is spoken.
    pub speech_idle_flush: Duration,
    /// Cleanup and chunking of speech.
    pub speech: SpeechSettings,
    /// Pronunciations and normalization of what is spoken.
    pub voice: Arc<crate::speech::Voice>,
}

/// The agent: answers turns with the configured model, prompt and store.
pub struct Agent {
    ledger: Ledger,
    model: Arc<dyn Model>,
    tools: Arc<ToolSet>,
    settings: AgentSettings,
    /// Some template reads `client`: each turn reads the page's context first.
    reads_client: bool,
}

/// The agent's texts rendered for one turn.
pub(crate) struct Texts {
    pub(crate) system: String,
    pub(crate) apology: String,
    pub(crate) filler: Option<String>,
}

impl Agent {
    /// Builds the agent; `ledger` holds the store, the coordinator and the metrics.
    pub fn new(
        ledger: Ledger,
        model: Arc<dyn Model>,
        tools: Arc<ToolSet>,
        settings: AgentSettings,
    ) -> Self {
        let mut texts = vec![
            &settings.system_prompt,
            &settings.welcome,
            &settings.apology,
        ];
        texts.extend(settings.filler.as_ref().map(|f| &f.text));
        let reads_client = texts
            .iter()
            .any(|t| t.is_dynamic() && t.source().contains("client"));
        Self {
            ledger,
            model,
            tools,
            settings,
            reads_client,
        }
    }

    /// The agent's name.
    pub fn name(&self) -> &str {
        &self.settings.name
    }

    /// `context` with the page's variables, when a template reads them.
    async fn with_client(&self, conversation: &str, mut context: CallContext) -> CallContext {
        if self.reads_client {
            match self.ledger.store.client(conversation).await {
                Ok(client) => context.client = client,
                Err(error) => self
                    .ledger
                    .store_failed(StoreOperation::ClientContext, &error),
            }
        }
        context
    }

    fn render(&self, context: &CallContext) -> Texts {
        let now = &self.settings.now;
        Texts {
            system: self.settings.system_prompt.render(context, now),
            apology: self.settings.apology.render(context, now),
            filler: self
                .settings
                .filler
                .as_ref()
                .map(|f| f.text.render(context, now)),
        }
    }

    /// The store holding the histories.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.ledger.store
    }

    fn metrics(&self) -> &Metrics {
        &self.ledger.metrics
    }

    /// Answers one turn; returns once its history is settled (the caller's stream has
    /// ended before that).
    pub async fn run(&self, turn: Turn) -> Option<TurnOutcome> {
        let Turn {
            conversation,
            context,
            turn_id,
            request,
            caller,
        } = turn;
        match request {
            Request::Welcome => {
                let context = self.with_client(&conversation, context).await;
                self.welcome(&conversation, &turn_id, &context, caller)
                    .await;
                Some(TurnOutcome::Completed)
            }
            Request::Message { text, .. } if text.trim().is_empty() => {
                caller.end(); // Nothing was said: end the turn without asking the model.
                None
            }
            Request::Message { text, heard } => {
                let context = self.with_client(&conversation, context).await;
                let message = UserMessage {
                    conversation,
                    turn_id,
                    text,
                    heard,
                };
                Some(self.reply(message, &context, caller).await)
            }
        }
    }

    /// Speaks the welcome of a new connection and stores it as the assistant's message.
    /// A new connection supersedes a turn still running in the conversation.
    async fn welcome(
        &self,
        conversation: &str,
        turn_id: &str,
        context: &CallContext,
        caller: Caller,
    ) {
        let lease = self.ledger.claim(conversation).await;
        self.metrics().turn_finished(
            &self.settings.name,
            TurnKind::Welcome,
            TurnOutcome::Completed,
        );
        let welcome = self.settings.welcome.render(context, &self.settings.now);
        let welcome = welcome.trim();
        if !welcome.is_empty() {
            let mut voice = crate::speech::VoiceReply::new(self.settings.voice.clone());
            let said = voice.say(welcome).into_owned();
            caller.send(TurnEvent::Speak(said, None));
        }
        let at_ms = received_ms(&caller);
        caller.end();
        self.ledger.calls.record(Record::Turn(TurnRecord {
            call: call_key(context),
            turn_id: turn_id.to_string(),
            at_ms,
            event: "session.start".into(),
            user_text: String::new(),
            agent_text: welcome.to_string(),
            interrupted: false,
            outcome: TurnOutcome::Completed.as_str().into(),
            model: None,
            attempts: 0,
            first_token_ms: None,
            // The welcome is fixed text, not a reply: no time to first audio to report.
            first_tts_ms: None,
            total_ms: None,
            prompt_tokens: None,
            completion_tokens: None,
            tools: Vec::new(),
            caller: caller_record(context),
        }));
        let reply = (!welcome.is_empty()).then(|| ChatMessage::assistant(welcome, turn_id));
        lease.settle(reply).await;
    }

    /// Answers what the user said.
    async fn reply(&self, turn: UserMessage, context: &CallContext, caller: Caller) -> TurnOutcome {
        let lease = self.ledger.claim(&turn.conversation).await;
        let user = ChatMessage::user(turn.text.clone(), turn.turn_id.clone());
        // The user's words are stored even when the turn is already cancelled: they were said.
        let history = match self
            .ledger
            .store
            .begin_turn(&turn.conversation, user.clone(), turn.heard.clone())
            .await
        {
            Ok(history) => history,
            Err(error) => {
                // Answering without history beats not answering: the user hears a reply
                // to what they just said rather than an apology for the store.
                self.ledger.store_failed(StoreOperation::BeginTurn, &error);
                vec![user]
            }
        };

        let last_reply = history
            .iter()
            .rev()
            .find(|m| m.role == crate::session::Role::Assistant);
        let keys = TurnKeys {
            conversation: &turn.conversation,
            turn_id: &turn.turn_id,
            context,
            last_words: [
                turn.text.as_str(),
                last_reply.map_or("", |m| m.content.as_str()),
            ],
        };
        let model = self.model.as_ref();
        let texts = self.render(context);
        if let Some(heard) = &turn.heard {
            // The reply it is about: the one Layercode names, else the last reply stored.
            let about = heard
                .assistant_turn_id
                .clone()
                .or_else(|| last_reply.and_then(|m| m.turn_id.clone()));
            if about.is_some() {
                self.ledger.calls.record(Record::Heard {
                    call: call_key(context),
                    assistant_turn_id: about,
                    text: heard.text.clone(),
                    at_ms: received_ms(&caller),
                });
            }
        }
        let mut run = ReplyRun::new(
            &self.settings,
            &texts,
            model,
            &caller,
            self.metrics(),
            &self.tools,
            keys,
        );
        let result = tokio::select! {
            biased;
            () = caller.cancellation().cancelled() => Err(TurnOutcome::Interrupted),
            () = lease.superseded().cancelled() => Err(TurnOutcome::Superseded),
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
        if outcome == TurnOutcome::Completed && run.end_call {
            // The goodbye has been framed; the page hangs up once it has been heard.
            caller.send(TurnEvent::Data(serde_json::json!({"action": "end_call"})));
        }
        // A client that went away heard only the sentences framed before it left; any
        // still queued were never sent.
        let spoken = match outcome {
            TurnOutcome::Interrupted => run.spoken.first_sentences(caller.delivered()),
            _ => run.spoken.text.as_str(),
        }
        .to_string();
        // Calls still running after a barge-in or a newer turn: read-only ones are
        // cancelled, mutating ones finish (within their timeout) and are stored. While a
        // mutating one runs, the turn is stored with it as still running, so a newer turn
        // that does not wait for it still sees the call was made.
        if let Some((calls, results)) = run.provisional_tool_record() {
            let provisional = ChatMessage::assistant(spoken.clone(), &turn.turn_id)
                .interrupted(true)
                .with_tools(calls, results);
            if let Err(error) = self
                .ledger
                .store
                .record_reply(&turn.conversation, provisional)
                .await
            {
                self.ledger
                    .store_failed(StoreOperation::RecordReply, &error);
            }
        }
        run.settle_tools().await;
        let (calls, results) = run.tool_record();
        let reply = ChatMessage::assistant(spoken, &turn.turn_id)
            .interrupted(outcome != TurnOutcome::Completed)
            .with_tools(calls, results);
        self.metrics()
            .turn_finished(&self.settings.name, TurnKind::Message, outcome);
        log_turn(&self.settings.name, context, &turn, model, outcome, &run);
        self.ledger.calls.record(turn_record(
            context, &turn, &reply, outcome, model, &run, &caller,
        ));
        drop(run);
        // `response.end` need not wait for the store: the next turn of this conversation
        // still reads settled history, because it waits for this lease to settle.
        caller.end();
        lease.settle(Some(reply)).await;
        outcome
    }
}

/// A user's message to answer.
struct UserMessage {
    conversation: String,
    turn_id: String,
    text: String,
    heard: Option<Heard>,
}

/// The call a turn belongs to.
fn call_key(context: &CallContext) -> CallKey {
    CallKey {
        agent: context.agent.clone(),
        conversation_id: context.conversation_id.clone(),
    }
}

fn caller_record(context: &CallContext) -> CallerRecord {
    CallerRecord {
        metadata: context.metadata.clone(),
        from_phone_number: context.from_phone_number.clone(),
        to_phone_number: context.to_phone_number.clone(),
    }
}

/// When the caller's webhook arrived, as unix milliseconds.
fn received_ms(caller: &Caller) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    now - caller.received_at().elapsed().as_millis() as i64
}

/// What the call's record keeps of a finished reply: the words as sent (what the user
/// heard, for an interrupted one), timings, usage and tools. No prompt, no secret.
fn turn_record(
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
        prompt_tokens: report.usage.map(|u| u.prompt_tokens),
        completion_tokens: report.usage.map(|u| u.completion_tokens),
        tools: report.tools.clone(),
        caller: caller_record(context),
    })
}

fn log_turn(
    agent: &str,
    context: &CallContext,
    turn: &UserMessage,
    model: &dyn Model,
    outcome: TurnOutcome,
    run: &ReplyRun<'_>,
) {
    let report = &run.report;
    tracing::info!(
        agent,
        conversation_id = %context.conversation_id,
        turn_id = %turn.turn_id,
        model = model.name(report.upstream),
        outcome = outcome.as_str(),
        attempts = report.attempts,
        first_token_ms = run.ms_since_start(report.first_token_at),
        first_tts_ms = run.ms_since_start(run.spoken.first_at),
        total_ms = run.ms_since_start(Some(tokio::time::Instant::now())),
        sentences = run.spoken.sentences,
        prompt_tokens = report.usage.map(|u| u.prompt_tokens),
        completion_tokens = report.usage.map(|u| u.completion_tokens),
        finish_reason = report.finish_reason.as_deref(),
        cut_by_token_cap = report.cut_by_token_cap(),
        tool_calls = report.tool_calls,
        tool_ms = report.tool_time.as_millis() as u64,
        "turn finished"
    );
    tracing::debug!(turn_id = %turn.turn_id, user = %turn.text, assistant = %run.spoken.text, "turn text");
}
