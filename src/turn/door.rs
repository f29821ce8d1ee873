//! A turn through the OpenAI door (Vapi, ElevenLabs, any OpenAI client): the platform
//! keeps the conversation and sends it whole with every request, so there is no lease, no
//! history read and no history write; the agent's prompt, model, fallbacks, retries,
//! deadlines and tools apply as on Layercode's door. The reply goes out as the model
//! writes it (cleaned, and in spoken form only when the agent asks), a call to one of the
//! platform's tools ends it, and the turn is kept on record as a turn of the platform's
//! call.

use serde_json::Value;

use super::record::{log_turn, turn_record, UserMessage};
use super::reply::{ReplyRun, ReplyShape, TurnKeys};
use super::{Agent, Caller, TurnEvent, TurnOutcome};
use crate::metrics::TurnKind;
use crate::session::{ChatMessage, Role, ToolCall, ToolResult};
use crate::template::CallContext;

/// What one request through the door asks.
#[derive(Debug)]
pub struct DoorTurn {
    /// The call it belongs to: the platform's call id, or one of the request's own.
    pub conversation: String,
    /// The reply's id (`chatcmpl-…`).
    pub turn_id: String,
    /// What templates may use: the caller's context and the platform's variables.
    pub context: CallContext,
    /// The platform's system text (the agent's `platform_prompt` says what becomes of it).
    pub platform_system: String,
    /// The conversation as the platform sent it.
    pub history: Vec<ChatMessage>,
    /// The caller's last words, for the record.
    pub question: String,
    /// The platform's tool definitions and their names.
    pub platform_tools: Vec<Value>,
    /// Their names.
    pub platform_names: Vec<String>,
    /// The platform identified the call: our tools' calls are kept between its requests.
    pub identified: bool,
    /// The door: `openai` or `retell`.
    pub door: &'static str,
    /// Where the answer goes.
    pub caller: Caller,
    /// The W3C `traceparent` the request came with: the turn's trace continues it.
    pub traceparent: Option<String>,
}

/// Where the door keeps a call's tool calls between requests: the platform's history has
/// the words of each reply, not the calls our tools made during it.
fn tools_key(conversation: &str) -> String {
    format!("openai/{conversation}")
}

/// Whether the platform's copy of a reply is ours: the same words (spacing aside), or the
/// beginning of ours, 20 characters at least (what the caller heard of a reply they cut
/// short).
#[cfg(test)]
fn same_reply(theirs: &str, ours: &str) -> bool {
    same_words(&words(theirs), &words(ours))
}

/// `text`'s words, one space apart.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether the platform's copy of a reply is ours, for texts already reduced to their
/// [`words`]: the same, or the beginning of ours (20 characters at least).
fn same_words(theirs: &str, ours: &str) -> bool {
    if theirs.is_empty() || ours.is_empty() {
        return false;
    }
    theirs == ours || (theirs.chars().count() >= 20 && ours.starts_with(theirs))
}

impl Agent {
    /// Answers one request of the OpenAI door; returns once the reply has ended (with
    /// [`TurnEvent::Finished`], then [`TurnEvent::End`]).
    pub async fn complete(&self, turn: DoorTurn) -> TurnOutcome {
        let DoorTurn {
            conversation,
            turn_id,
            context,
            platform_system,
            history,
            question,
            platform_tools,
            platform_names,
            identified,
            door: door_name,
            caller,
            traceparent,
        } = turn;
        let mut message = UserMessage {
            conversation: conversation.clone(),
            turn_id: turn_id.clone(),
            text: question.clone(),
            heard: None,
            without_history: false,
            door: door_name,
            traceparent,
            trace_id: None,
            knowledge: Vec::new(),
        };
        let (kind, event) = if door_name == "retell" {
            (TurnKind::Retell, "retell.response")
        } else {
            (TurnKind::Completion, "chat.completion")
        };
        let span = self.message_span(&mut message, &context, event);
        let history = if identified {
            self.with_earlier_tools(&conversation, history).await
        } else {
            history
        };
        let mut texts = self.render(&context);
        let door = self.settings.door;
        texts.system = door
            .platform_prompt
            .combine(&texts.system, &platform_system);
        let previous = history.iter().rev().filter(|m| m.role == Role::User).nth(1);
        let previous = previous.map(|m| m.content.as_str());
        self.prefetch(&mut texts, &mut message, previous, &caller, &span)
            .await;
        let last_reply = history
            .iter()
            .rev()
            .find(|m| m.role == Role::Assistant)
            .map_or("", |m| m.content.as_str());
        let keys = TurnKeys {
            conversation: &conversation,
            turn_id: &turn_id,
            context: &context,
            last_words: [question.as_str(), last_reply],
        };
        let model = self.model.as_ref();
        let shadowed: Vec<&String> = platform_names
            .iter()
            .filter(|name| self.tools.tool(name).is_some() || self.tools.mcp_tool(name).is_some())
            .collect();
        if !shadowed.is_empty() {
            tracing::warn!(
                tools = ?shadowed,
                "the platform sent tools with the names of ours: the platform's are offered"
            );
        }
        let shape = ReplyShape {
            pieces: !door.spoken_form,
            door: true,
            platform_tools,
            platform_names,
        };
        let mut run = ReplyRun::new(
            &self.settings,
            &texts,
            model,
            &caller,
            self.metrics(),
            &self.tools,
            keys,
        )
        .with_shape(shape)
        .traced(&span);
        let outcome = tokio::select! {
            biased;
            () = caller.cancellation().cancelled() => TurnOutcome::Interrupted,
            outcome = run.run_to_end(&history) => outcome,
        };
        let handoff = std::mem::take(&mut run.handoff);
        let reason = if !handoff.is_empty() {
            "tool_calls"
        } else if run.report.cut_by_token_cap() {
            "length"
        } else {
            "stop"
        };
        if !handoff.is_empty() {
            caller.send(TurnEvent::Handoff(handoff));
        }
        caller.send(TurnEvent::Finished {
            reason,
            usage: run.report.usage(),
        });
        // A platform that hung up received only the pieces framed before it left.
        let said = match outcome {
            TurnOutcome::Interrupted => run.spoken.first_sentences(caller.delivered()),
            _ => run.spoken.text.as_str(),
        }
        .to_string();
        let reply =
            ChatMessage::assistant(said, &turn_id).interrupted(outcome != TurnOutcome::Completed);
        // Kept as the platform received it (in spoken form, its words differ from ours).
        let mut as_sent = reply.clone();
        if door.spoken_form {
            as_sent.content.clone_from(&run.spoken.sent);
        }
        // A mutating call still running after the platform moved on is kept at once, as
        // still running, so the call's next request sees it was made.
        if identified {
            if let Some(made) = run.provisional_tool_record() {
                self.keep_tools(&conversation, &turn_id, &question, &as_sent, made)
                    .await;
            }
        }
        run.settle_tools().await;
        if identified {
            let made = run.tool_record();
            self.keep_tools(&conversation, &turn_id, &question, &as_sent, made)
                .await;
        }
        super::turn_span::finish_turn(&span, outcome, &run, &question, &reply.content);
        self.metrics()
            .turn_finished(&self.settings.name, kind, outcome);
        log_turn(&self.settings, &context, &message, model, outcome, &run);
        self.ledger.calls.record(self.costed(turn_record(
            &context, &message, &reply, outcome, model, &run, &caller,
        )));
        drop(run);
        caller.end();
        span.end();
        outcome
    }
}

impl Agent {
    /// The agent's welcome rendered for `context` (trimmed; empty when it has none): the
    /// greeting of a door whose platform asks for one (Retell).
    pub fn greeting(&self, context: &CallContext) -> String {
        let welcome = self.settings.welcome.render(context, &self.settings.now);
        welcome.trim().to_string()
    }

    /// `history` with the calls our tools made in earlier requests of the call put back
    /// on the replies they belong to.
    async fn with_earlier_tools(
        &self,
        conversation: &str,
        mut history: Vec<ChatMessage>,
    ) -> Vec<ChatMessage> {
        let kept = match self.ledger.store.history(&tools_key(conversation)).await {
            Ok(kept) => kept,
            Err(error) => {
                tracing::warn!(conversation_id = %conversation, %error, "earlier tool calls of the call not read");
                return history;
            }
        };
        // Both are in the order they were said: each kept reply is looked for after the
        // last one found, so a later reply never lends its calls to an earlier one.
        // Each text reduced to its words once (a long call's history is read once).
        let theirs: Vec<String> = history
            .iter()
            .map(|m| {
                if m.role == Role::Assistant && m.tool_calls.is_empty() {
                    words(&m.content)
                } else {
                    String::new()
                }
            })
            .collect();
        let mut from = 0;
        for earlier in kept
            .iter()
            .filter(|m| m.role == Role::Assistant && !m.tool_calls.is_empty())
        {
            let ours = words(&earlier.content);
            let found = theirs[from..]
                .iter()
                .position(|reply| same_words(reply, &ours));
            if let Some(offset) = found {
                let reply = &mut history[from + offset];
                reply.tool_calls.clone_from(&earlier.tool_calls);
                reply.tool_results.clone_from(&earlier.tool_results);
                from += offset + 1;
            }
        }
        history
    }

    /// Keeps the calls our tools made in this request (not the platform's), with the
    /// reply they belong to, for the call's next requests.
    async fn keep_tools(
        &self,
        conversation: &str,
        turn_id: &str,
        question: &str,
        reply: &ChatMessage,
        (calls, results): (Vec<ToolCall>, Vec<ToolResult>),
    ) {
        let ours =
            |name: &str| self.tools.tool(name).is_some() || self.tools.mcp_tool(name).is_some();
        let (calls, results): (Vec<_>, Vec<_>) = calls
            .into_iter()
            .zip(results)
            .filter(|(call, _)| ours(&call.function.name))
            .unzip();
        if calls.is_empty() || reply.content.trim().is_empty() {
            return;
        }
        let kept = reply.clone().with_tools(calls, results);
        let asked = ChatMessage::user(question, turn_id);
        if let Err(error) = self
            .ledger
            .store
            .record_reply(&tools_key(conversation), Some(&asked), &kept)
            .await
        {
            tracing::warn!(conversation_id = %conversation, %error, "tool calls of the turn not kept");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_reply;

    #[test]
    fn a_reply_is_known_by_its_words_or_by_what_was_heard_of_it() {
        let ours = "Order A17 has shipped and arrives Friday.";
        assert!(same_reply(ours, ours));
        assert!(same_reply(
            "Order  A17 has shipped\nand arrives Friday.",
            ours
        ));
        assert!(same_reply("Order A17 has shipped", ours), "interrupted");
        assert!(
            !same_reply(ours, "Order A17 has shipped"),
            "a longer reply of theirs is another one"
        );
        assert!(!same_reply("Order A17", ours), "too short to tell");
        assert!(!same_reply(
            "Order B2 has shipped and arrives Friday.",
            ours
        ));
        assert!(!same_reply("", ""));
    }
}
