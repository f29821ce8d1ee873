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
/// (the first is the one the operations would find), consecutive user messages are
/// merged as an unanswered question would be, and consecutive assistant messages are
/// merged into one (see [`merge_replies`]), so roles alternate and a model server whose
/// chat template insists on it accepts the history. A well-formed list loads unchanged.
/// The size bounds depend on the store's limits, so they are applied on the next turn or
/// reply.
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
        merge_replies(&mut messages);
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
    ///
    /// A reply heard in full whose question a newer turn took over as unanswered (its reply
    /// was still waiting to be saved on another machine) takes its question back: the
    /// caller heard it before asking the newer one. (A cut-short reply of a turn a newer
    /// one superseded is dropped as above: the newer turn answered both.)
    ///
    /// `question` is the turn's user message. When the history holds neither it nor a
    /// reply to its turn (saving it failed while the store was down), it is stored here,
    /// with the reply, where it was asked: before the first user message received after it
    /// (`at_ms`), else at the end but before a trailing unanswered question. So a reply
    /// never stands without its question, and a turn saved late still reads in order.
    /// A reply following another reply (a second welcome) is merged into it.
    pub fn record_reply(
        &mut self,
        question: Option<&ChatMessage>,
        reply: ChatMessage,
        limits: HistoryLimits,
    ) {
        let mut reply = ChatMessage {
            role: Role::Assistant,
            merged_turns: Vec::new(),
            at_ms: None,
            ..reply
        };
        pair_results(&mut reply);
        let turn_id = reply.turn_id.clone().unwrap_or_default();
        let history = &mut self.messages;
        if let Some(question) = question.filter(|_| !reply.interrupted) {
            unmerge(history, question, &turn_id);
        }
        if let Some(question) = question {
            let known = history
                .iter()
                .any(|m| m.is_turn(Role::User, &turn_id) || m.is_turn(Role::Assistant, &turn_id));
            if !known {
                restore_question(history, question, &turn_id);
            }
        }
        if reply.is_empty_reply() {
            merge_unanswered(history);
            truncate(history, limits);
            return;
        }
        if let Some(existing) = history
            .iter_mut()
            .find(|m| m.is_turn(Role::Assistant, &turn_id))
        {
            // Found through a merge: that reply already answers this turn with another.
            if existing.turn_id == reply.turn_id {
                *existing = reply;
            }
            return;
        }
        match history.iter().position(|m| m.is_turn(Role::User, &turn_id)) {
            Some(index) if history[index].turn_id.as_deref() != Some(turn_id.as_str()) => {
                merge_unanswered(history);
                return;
            }
            Some(index) => history.insert(index + 1, reply),
            None => history.push(reply),
        }
        merge_unanswered(history);
        merge_replies(history);
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

/// Takes `question` (of `turn_id`) back out of the newer user message it was merged into,
/// when it is that message's first part, as [`merge_unanswered`] wrote it.
fn unmerge(history: &mut Vec<ChatMessage>, question: &ChatMessage, turn_id: &str) {
    let Some(index) = history.iter().position(|m| {
        m.role == Role::User
            && m.turn_id.as_deref() != Some(turn_id)
            && m.merged_turns.iter().any(|t| t == turn_id)
    }) else {
        return;
    };
    let newer = &mut history[index];
    let prefix = format!("{}\n", question.content);
    let Some(rest) = newer.content.strip_prefix(&prefix) else {
        return;
    };
    newer.content = rest.to_string();
    newer.merged_turns.retain(|t| t != turn_id);
    history.insert(index, as_question(question, turn_id));
}

/// `question` as `turn_id`'s own user message, merging nothing.
fn as_question(question: &ChatMessage, turn_id: &str) -> ChatMessage {
    ChatMessage {
        role: Role::User,
        turn_id: Some(turn_id.to_string()),
        merged_turns: Vec::new(),
        tool_calls: Vec::new(),
        tool_results: Vec::new(),
        ..question.clone()
    }
}

/// Puts a turn's lost `question` back where it was asked: before the first user message
/// received after it, else at the end. (A trailing unanswered question received before it
/// is then merged into it, as any unanswered question is, until its own reply takes it
/// back.) When either time is unknown, a trailing unanswered question counts as later.
fn restore_question(history: &mut Vec<ChatMessage>, question: &ChatMessage, turn_id: &str) {
    let asked = question.at_ms;
    let later = history.iter().position(|m| {
        m.role == Role::User
            && match (m.at_ms, asked) {
                (Some(at), Some(asked)) => at > asked,
                _ => false,
            }
    });
    let index = later.unwrap_or_else(|| match history.last() {
        Some(last) if last.role == Role::User && (last.at_ms.is_none() || asked.is_none()) => {
            history.len() - 1
        }
        _ => history.len(),
    });
    history.insert(index, as_question(question, turn_id));
}

/// Joins consecutive assistant messages into the last one, as [`merge_unanswered`] does
/// for user messages: both were said, one after the other. Written by no operation of
/// this version except for a second welcome; a history stored by an earlier version (a
/// reply saved after its question was lost) is repaired this way on load.
fn merge_replies(history: &mut Vec<ChatMessage>) {
    let mut index = 1;
    while index < history.len() {
        if history[index - 1].role == Role::Assistant && history[index].role == Role::Assistant {
            let earlier = history.remove(index - 1);
            let later = &mut history[index - 1];
            later.content = match (earlier.content.trim(), later.content.trim()) {
                ("", _) => later.content.clone(),
                (_, "") => earlier.content,
                _ => format!("{}\n{}", earlier.content, later.content),
            };
            later.interrupted |= earlier.interrupted;
            let mut calls = earlier.tool_calls;
            calls.append(&mut later.tool_calls);
            later.tool_calls = calls;
            let mut results = earlier.tool_results;
            results.append(&mut later.tool_results);
            later.tool_results = results;
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
    let alternating = history.windows(2).all(|w| w[0].role != w[1].role);
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
    alternating && no_empty && unique_turns && paired
}

#[cfg(test)]
mod tests;
