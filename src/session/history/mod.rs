//! Conversation history (pure): the message types and [`History`], the one type that
//! changes a conversation's messages and so keeps its rules: one user and one assistant
//! entry per turn, never two user messages in a row, never an empty assistant message,
//! what the user heard replacing what we meant to say, and bounds.

use serde::{Deserialize, Deserializer, Serialize};

mod message;
mod tool_call;

pub use message::{ChatMessage, Role};
pub use tool_call::{FunctionCall, ToolCall, ToolResult, ToolRole, NO_RESULT};

use message::pair_results;

/// What the user actually heard of the previous assistant turn (Layercode's
/// `interruption_context`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    /// The assistant turn it describes; `None` means the latest assistant message.
    pub assistant_turn_id: Option<String>,
    /// The words heard.
    pub text: String,
}

/// How much history is kept and sent upstream per conversation. The oldest messages go
/// first; the newest message always stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryLimits {
    /// Most messages kept.
    pub max_messages: usize,
    /// Most characters of content kept, summed over messages.
    pub max_chars: usize,
}

impl Default for HistoryLimits {
    fn default() -> Self {
        Self {
            max_messages: 40,
            max_chars: 16_000,
        }
    }
}

/// A conversation's messages, oldest first, changed only through methods that keep the rules
/// above. It serializes as the bare list of messages, so stored histories keep their format.
///
/// Loading (from `Vec<ChatMessage>` or by deserializing) normalises: a list written by an
/// older version, or by hand, may break the rules, and every method relies on them. Empty
/// assistant messages are dropped, a second user or assistant entry for a turn is dropped
/// (the first is the one the operations would find), and consecutive user messages are
/// merged as an unanswered question would be. A well-formed list loads unchanged. The size
/// bounds depend on the store's limits, so they are applied on the next turn or reply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct History {
    messages: Vec<ChatMessage>,
}

impl From<Vec<ChatMessage>> for History {
    fn from(mut messages: Vec<ChatMessage>) -> Self {
        messages.iter_mut().for_each(pair_results);
        messages.retain(|m| !m.is_empty_reply());
        let mut seen = std::collections::HashSet::new();
        messages.retain(|m| match &m.turn_id {
            Some(turn) => seen.insert((m.role, turn.clone())),
            None => true,
        });
        merge_unanswered(&mut messages);
        Self { messages }
    }
}

impl<'de> Deserialize<'de> for History {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<ChatMessage>::deserialize(deserializer).map(Self::from)
    }
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// The messages, oldest first.
    pub fn messages(&self) -> &[ChatMessage] {
        &self.messages
    }

    /// The messages, oldest first, for a caller that owns the history.
    pub fn into_messages(self) -> Vec<ChatMessage> {
        self.messages
    }

    /// Records the user's message of a turn and returns the history the model should see
    /// for it, ending with that message. `heard` (what the user heard of an earlier reply)
    /// is applied first. A repeated delivery adds nothing (and hides the earlier reply, so
    /// the model answers the same question again). A user message following an unanswered
    /// one is merged with it, so two user messages never stand in a row. `user` is stored
    /// as a user message whatever its role, and only the history records merges.
    pub fn begin_turn(
        &mut self,
        user: ChatMessage,
        heard: Option<&Heard>,
        limits: HistoryLimits,
    ) -> Vec<ChatMessage> {
        if let Some(heard) = heard {
            self.apply_heard(heard);
        }
        let history = &mut self.messages;
        let turn_id = user.turn_id.clone().unwrap_or_default();
        if let Some(index) = history.iter().position(|m| m.is_turn(Role::User, &turn_id)) {
            let mut view = history[..=index].to_vec();
            truncate(&mut view, limits);
            // Tools an earlier delivery of this turn already called stay in view (without
            // its words), so the model sees they happened and nothing is done twice.
            let earlier = history[index + 1..]
                .iter()
                .find(|m| m.is_turn(Role::Assistant, &turn_id) && !m.tool_calls.is_empty());
            if let Some(earlier) = earlier {
                view.push(ChatMessage {
                    content: String::new(),
                    interrupted: false,
                    ..earlier.clone()
                });
            }
            return view;
        }
        history.push(ChatMessage {
            role: Role::User,
            merged_turns: Vec::new(),
            tool_calls: Vec::new(),
            tool_results: Vec::new(),
            ..user
        });
        merge_unanswered(history);
        truncate(history, limits);
        history.clone()
    }

    /// Stores the assistant's reply for its turn: replaces an earlier reply to the same
    /// turn, else goes right after that turn's user message, else at the end (a welcome).
    /// Empty replies are not stored, nor the late reply of a turn whose question a newer
    /// turn has already taken over (merged into its own): the newer turn answers both.
    /// `reply` is stored as an assistant message whatever its role.
    pub fn record_reply(&mut self, reply: ChatMessage, limits: HistoryLimits) {
        let mut reply = ChatMessage {
            role: Role::Assistant,
            merged_turns: Vec::new(),
            ..reply
        };
        pair_results(&mut reply);
        if reply.is_empty_reply() {
            return;
        }
        let history = &mut self.messages;
        let turn_id = reply.turn_id.clone().unwrap_or_default();
        if let Some(existing) = history
            .iter_mut()
            .find(|m| m.is_turn(Role::Assistant, &turn_id))
        {
            *existing = reply;
            return;
        }
        match history.iter().position(|m| m.is_turn(Role::User, &turn_id)) {
            Some(index) if history[index].turn_id.as_deref() != Some(turn_id.as_str()) => return,
            Some(index) => history.insert(index + 1, reply),
            None => history.push(reply),
        }
        truncate(history, limits);
    }

    /// Replaces the stored text of an interrupted assistant turn with what the user heard.
    /// A turn we never stored is ignored; hearing nothing removes the message.
    fn apply_heard(&mut self, heard: &Heard) {
        let history = &mut self.messages;
        let index = match &heard.assistant_turn_id {
            Some(id) => history.iter().rposition(|m| m.is_turn(Role::Assistant, id)),
            // Without an id it is about the previous reply only if that reply was stored
            // (a turn cut off before speaking stores none; an older reply is not it).
            None => history
                .len()
                .checked_sub(1)
                .filter(|last| history[*last].role == Role::Assistant),
        };
        let Some(index) = index else { return };
        if heard.text.trim().is_empty() && history[index].tool_calls.is_empty() {
            history.remove(index);
            merge_unanswered(history);
            return;
        }
        let message = &mut history[index];
        message.content = heard.text.trim().to_string();
        message.interrupted = true;
    }
}

/// Joins consecutive user messages into the last one: the earlier turn got no reply, and
/// the model should read both utterances as one.
fn merge_unanswered(history: &mut Vec<ChatMessage>) {
    let mut index = 1;
    while index < history.len() {
        if history[index - 1].role == Role::User && history[index].role == Role::User {
            let earlier = history.remove(index - 1);
            let later = &mut history[index - 1];
            later.content = format!("{}\n{}", earlier.content, later.content);
            later.merged_turns.extend(earlier.turn_id);
            later.merged_turns.extend(earlier.merged_turns);
        } else {
            index += 1;
        }
    }
}

/// Drops the oldest messages until the history fits `limits`, keeping the newest message
/// and never starting with a dangling assistant reply to a dropped question when a user
/// message can start it instead.
fn truncate(history: &mut Vec<ChatMessage>, limits: HistoryLimits) {
    let mut chars: usize = history.iter().map(ChatMessage::chars).sum();
    let mut drop = 0;
    while history.len() - drop > 1
        && (history.len() - drop > limits.max_messages.max(1) || chars > limits.max_chars)
    {
        chars -= history[drop].chars();
        drop += 1;
    }
    if drop > 0 && history.len() - drop > 1 && history[drop].role == Role::Assistant {
        drop += 1;
    }
    history.drain(..drop);
}

/// True when the history obeys every rule above; for tests only, as `History` cannot break
/// them (the integration tests keep their own checker).
#[cfg(test)]
pub(crate) fn is_well_formed(history: &[ChatMessage]) -> bool {
    let no_user_pairs = history
        .windows(2)
        .all(|w| !(w[0].role == Role::User && w[1].role == Role::User));
    let no_empty = history.iter().all(|m| !m.is_empty_reply());
    let paired = history.iter().all(|m| {
        m.tool_calls.len() == m.tool_results.len()
            && m.tool_calls
                .iter()
                .zip(&m.tool_results)
                .all(|(c, r)| c.id == r.tool_call_id)
    });
    let mut seen = std::collections::HashSet::new();
    let unique_turns = history
        .iter()
        .filter_map(|m| m.turn_id.as_ref().map(|t| (m.role, t)))
        .all(|key| seen.insert(key));
    no_user_pairs && no_empty && unique_turns && paired
}

#[cfg(test)]
mod tests;
