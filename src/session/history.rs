//! Conversation history (pure): the message types and [`History`], the one type that
//! changes a conversation's messages and so keeps its rules: one user and one assistant
//! entry per turn, never two user messages in a row, never an empty assistant message,
//! what the user heard replacing what we meant to say, and bounds.

use serde::{Deserialize, Deserializer, Serialize};

/// Who a message is from, as the chat-completions API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the model.
    System,
    /// What the person said.
    User,
    /// What the agent said.
    Assistant,
}

/// One entry of a conversation's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// The speaker.
    pub role: Role,
    /// What was said (for the assistant: what was actually spoken).
    pub content: String,
    /// The Layercode turn this belongs to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    /// True when the reply was cut short (the user interrupted or the model failed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// Turns of earlier unanswered user messages merged into this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_turns: Vec<String>,
    /// Tools the assistant called during its turn (OpenAI's `tool_calls`), every round's
    /// calls in order. Only on assistant messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// One result per call in `tool_calls`, in the same order (OpenAI's `tool` messages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_results: Vec<ToolResult>,
}

/// A tool call as the chat-completions API writes it in an assistant message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call's id; its result names it.
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    /// Which tool, with what arguments.
    pub function: FunctionCall,
}

fn function_kind() -> String {
    "function".to_string()
}

impl ToolCall {
    /// A function call.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            kind: function_kind(),
            function: FunctionCall {
                name: name.into(),
                arguments: arguments.into(),
            },
        }
    }

    fn chars(&self) -> usize {
        self.function.name.chars().count() + self.function.arguments.chars().count()
    }
}

/// The tool and arguments of a [`ToolCall`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The tool's name.
    pub name: String,
    /// The arguments as the model wrote them (a JSON object, as text).
    pub arguments: String,
}

/// A tool's answer to one call, as a chat-completions `tool` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolResult {
    /// Always `tool`.
    #[serde(default)]
    pub role: ToolRole,
    /// The call answered.
    pub tool_call_id: String,
    /// What the model reads: the tool's response, or a short error.
    pub content: String,
}

impl ToolResult {
    /// The result of call `id`.
    pub fn new(id: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: ToolRole::Tool,
            tool_call_id: id.into(),
            content: content.into(),
        }
    }
}

/// The role of a tool result; it has one value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolRole {
    /// A tool's answer.
    #[default]
    Tool,
}

/// The result stored for a call whose answer was never recorded, so every call sent
/// upstream is followed by a result for its id.
pub const NO_RESULT: &str = r#"{"error":"no result was recorded for this call"}"#;

impl ChatMessage {
    /// A user message for a turn.
    pub fn user(content: impl Into<String>, turn_id: impl Into<String>) -> Self {
        Self::new(Role::User, content, Some(turn_id.into()))
    }

    /// An assistant message for a turn.
    pub fn assistant(content: impl Into<String>, turn_id: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content, Some(turn_id.into()))
    }

    /// The system prompt.
    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content, None)
    }

    fn new(role: Role, content: impl Into<String>, turn_id: Option<String>) -> Self {
        Self {
            role,
            content: content.into(),
            turn_id,
            interrupted: false,
            merged_turns: Vec::new(),
            tool_calls: Vec::new(),
            tool_results: Vec::new(),
        }
    }

    /// The same message carrying the tool calls of its turn and their results.
    pub fn with_tools(mut self, calls: Vec<ToolCall>, results: Vec<ToolResult>) -> Self {
        self.tool_calls = calls;
        self.tool_results = results;
        pair_results(&mut self);
        self
    }

    /// True for an assistant message with nothing in it: no words and no tool calls.
    fn is_empty_reply(&self) -> bool {
        self.role == Role::Assistant && self.content.trim().is_empty() && self.tool_calls.is_empty()
    }

    /// Characters counted against the history's size limit.
    fn chars(&self) -> usize {
        self.content.chars().count()
            + self.tool_calls.iter().map(ToolCall::chars).sum::<usize>()
            + self
                .tool_results
                .iter()
                .map(|r| r.content.chars().count())
                .sum::<usize>()
    }

    /// Marks the message as cut short.
    pub fn interrupted(mut self, interrupted: bool) -> Self {
        self.interrupted = interrupted;
        self
    }

    fn is_turn(&self, role: Role, turn_id: &str) -> bool {
        self.role == role
            && (self.turn_id.as_deref() == Some(turn_id)
                || self.merged_turns.iter().any(|t| t == turn_id))
    }
}

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

/// Makes `message`'s tool results answer its calls exactly: one result per call, in the
/// calls' order, [`NO_RESULT`] where none was recorded; results for unknown calls go. Only
/// assistant messages keep tool calls.
fn pair_results(message: &mut ChatMessage) {
    if message.role != Role::Assistant {
        message.tool_calls.clear();
        message.tool_results.clear();
        return;
    }
    if message.tool_calls.is_empty() && message.tool_results.is_empty() {
        return;
    }
    let mut results = std::mem::take(&mut message.tool_results);
    message.tool_results = message
        .tool_calls
        .iter()
        .map(
            |call| match results.iter().position(|r| r.tool_call_id == call.id) {
                Some(found) => results.swap_remove(found),
                None => ToolResult::new(call.id.clone(), NO_RESULT),
            },
        )
        .collect();
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
