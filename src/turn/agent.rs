//! The life of a turn: claim the conversation, read its history, stream the reply, then
//! settle the lease with what was said (saved, then the caller's stream ended, then the
//! conversation released). Every path goes through those steps, for the welcome and for a
//! message.

use std::sync::Arc;

use super::record::{call_key, caller_record, log_turn, received_ms, turn_record, UserMessage};
use super::reply::{ReplyRun, TurnKeys};
use super::settings::Texts;
use super::turn_span::settle_traced;
use super::{
    AgentSettings, Caller, Ledger, Model, Request, Said, ToolSet, Turn, TurnEvent, TurnOutcome,
};
use crate::metrics::{Metrics, StoreOperation, TurnKind};
use crate::records::{Record, TurnRecord};
use crate::session::{ChatMessage, History, Role, SessionStore};
use crate::template::CallContext;

/// The agent: answers turns with the configured model, prompt and store.
pub struct Agent {
    pub(super) ledger: Ledger,
    pub(super) model: Arc<dyn Model>,
    pub(super) tools: Arc<ToolSet>,
    pub(super) settings: AgentSettings,
    /// Some template reads `client`: each turn reads the page's context first.
    reads_client: bool,
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
    async fn with_client(
        &self,
        conversation: &str,
        turn_id: &str,
        mut context: CallContext,
    ) -> CallContext {
        if self.reads_client {
            match self.ledger.store.client(conversation).await {
                Ok(client) => context.client = client,
                Err(error) => self.ledger.store_failed(
                    StoreOperation::ClientContext,
                    conversation,
                    turn_id,
                    &error,
                ),
            }
        }
        context
    }

    pub(super) fn render(&self, context: &CallContext) -> Texts {
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

    pub(super) fn metrics(&self) -> &Metrics {
        &self.ledger.metrics
    }

    /// Answers one turn; returns once it is settled: what was said saved (or waiting to
    /// be), then the caller's stream ended, then the conversation released.
    pub async fn run(&self, turn: Turn) -> Option<TurnOutcome> {
        let Turn {
            conversation,
            context,
            turn_id,
            request,
            caller,
            traceparent,
        } = turn;
        match request {
            Request::Welcome => {
                let context = self.with_client(&conversation, &turn_id, context).await;
                let span = self.welcome_span(&turn_id, &context, traceparent);
                self.welcome(&conversation, &turn_id, &context, caller, span)
                    .await;
                Some(TurnOutcome::Completed)
            }
            Request::Message { text, .. } if text.trim().is_empty() => {
                caller.end(); // Nothing was said: end the turn without asking the model.
                None
            }
            Request::Message { text, heard } => {
                let context = self.with_client(&conversation, &turn_id, context).await;
                let message = UserMessage {
                    conversation,
                    turn_id,
                    text,
                    heard,
                    without_history: false,
                    door: "layercode",
                    traceparent,
                    trace_id: None,
                    knowledge: Vec::new(),
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
        span: crate::trace::Span,
    ) {
        let lease = self.claim_traced(&span, conversation, turn_id).await;
        self.metrics().turn_finished(
            &self.settings.name,
            TurnKind::Welcome,
            TurnOutcome::Completed,
        );
        let welcome = self.settings.welcome.render(context, &self.settings.now);
        let welcome = welcome.trim();
        if !welcome.is_empty() {
            // The page shows the welcome as it shows a reply: as written, in a delta.
            caller.send(TurnEvent::Delta(welcome.to_string()));
            let mut voice = crate::speech::VoiceReply::new(self.settings.voice.clone());
            let said = voice.say(welcome).into_owned();
            caller.send(TurnEvent::Speak(said, None));
        }
        let at_ms = received_ms(&caller);
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
            without_history: false,
            door: "layercode".to_string(),
            trace_id: span.trace_id(),
            knowledge: Vec::new(),
            cached_tokens: None,
            cost_usd: None,
            record_content: None,
            redactions: None,
        }));
        let said = (!welcome.is_empty()).then(|| Said {
            question: None,
            reply: ChatMessage::assistant(welcome, turn_id),
        });
        super::turn_span::finish_welcome(&span, !welcome.is_empty());
        settle_traced(&span, lease, said, caller).await;
        span.end();
    }

    /// Answers what the user said: claim, history, reply, end, settle.
    async fn reply(
        &self,
        mut turn: UserMessage,
        context: &CallContext,
        caller: Caller,
    ) -> TurnOutcome {
        let span = self.message_span(&mut turn, context, "message");
        let lease = self
            .claim_traced(&span, &turn.conversation, &turn.turn_id)
            .await;
        let question = ChatMessage::user(turn.text.clone(), turn.turn_id.clone())
            .received_at(received_ms(&caller));
        let (history, with_history) = self.begin(&turn, &question).await;
        turn.without_history = !with_history;
        let last_reply = history.iter().rev().find(|m| m.role == Role::Assistant);
        self.record_heard(&turn, last_reply, context, &caller);
        let mut texts = self.render(context);
        let previous = history.iter().rev().filter(|m| m.role == Role::User).nth(1);
        let previous = previous.map(|m| m.content.as_str());
        self.prefetch(&mut texts, &mut turn, previous, &caller, &span)
            .await;
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
        let mut run = ReplyRun::new(
            &self.settings,
            &texts,
            model,
            &caller,
            self.metrics(),
            &self.tools,
            keys,
        )
        .traced(&span);
        let outcome = tokio::select! {
            biased;
            () = caller.cancellation().cancelled() => TurnOutcome::Interrupted,
            () = lease.superseded().cancelled() => TurnOutcome::Superseded,
            outcome = run.run_to_end(&history) => outcome,
        };
        if outcome == TurnOutcome::Completed && run.end_call {
            // The goodbye has been framed; the page hangs up once it has been heard.
            caller.send(TurnEvent::Data(serde_json::json!({"action": "end_call"})));
        }
        let reply = self
            .finish(&turn, &question, &mut run, outcome, &caller)
            .await;
        super::turn_span::finish_turn(&span, outcome, &run, &turn.text, &reply.content);
        self.metrics()
            .turn_finished(&self.settings.name, TurnKind::Message, outcome);
        log_turn(&self.settings, context, &turn, model, outcome, &run);
        self.ledger.calls.record(self.costed(turn_record(
            context, &turn, &reply, outcome, model, &run, &caller,
        )));
        drop(run);
        let said = Said {
            question: Some(question),
            reply,
        };
        settle_traced(&span, lease, Some(said), caller).await;
        span.end();
        outcome
    }

    /// Stores the user's words and reads the history they end; `false` with it when the
    /// store could not be read. The words are stored even when the turn is already
    /// cancelled: they were said. Replies of the conversation still waiting for the store
    /// are saved first, so the history is read whole and in order.
    async fn begin(&self, turn: &UserMessage, user: &ChatMessage) -> (Vec<ChatMessage>, bool) {
        let (conversation, turn_id) = (&turn.conversation, &turn.turn_id);
        let outbox = &self.ledger.outbox;
        if outbox.flush(conversation).await {
            let store = &self.ledger.store;
            match store
                .begin_turn(conversation, user.clone(), turn.heard.clone())
                .await
            {
                Ok(history) => return (history, true),
                Err(error) => {
                    self.ledger.store_failed(
                        StoreOperation::BeginTurn,
                        conversation,
                        turn_id,
                        &error,
                    );
                }
            }
        } else {
            tracing::warn!(
                conversation_id = %conversation,
                turn_id = %turn_id,
                "history not read: replies of this conversation still wait for the session store"
            );
        }
        // Answering without the stored history beats not answering: the user hears a reply
        // to what they just said, with what this machine still holds of the conversation,
        // rather than an apology for the store. The question is saved with the reply.
        let mut history = outbox.pending(conversation);
        history.push(user.clone());
        (History::from(history).into_messages(), false)
    }

    /// Keeps on record what the user heard of the previous reply, when Layercode says.
    fn record_heard(
        &self,
        turn: &UserMessage,
        last_reply: Option<&ChatMessage>,
        context: &CallContext,
        caller: &Caller,
    ) {
        let Some(heard) = &turn.heard else {
            return;
        };
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
                at_ms: received_ms(caller),
            });
        }
    }

    /// The reply as it is stored: what the caller heard, with the rounds' tool calls once
    /// every call still running has settled.
    async fn finish(
        &self,
        turn: &UserMessage,
        question: &ChatMessage,
        run: &mut ReplyRun<'_>,
        outcome: TurnOutcome,
        caller: &Caller,
    ) -> ChatMessage {
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
            let store = &self.ledger.store;
            let conversation = &turn.conversation;
            if let Err(error) = store
                .record_reply(conversation, Some(question), &provisional)
                .await
            {
                self.ledger.store_failed(
                    StoreOperation::RecordReply,
                    conversation,
                    &turn.turn_id,
                    &error,
                );
            }
        }
        run.settle_tools().await;
        let (calls, results) = run.tool_record();
        ChatMessage::assistant(spoken, &turn.turn_id)
            .interrupted(outcome != TurnOutcome::Completed)
            .with_tools(calls, results)
    }
}
