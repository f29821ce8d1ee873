//! One entry of a conversation's history (`ChatMessage`, `Role`), and the rule that its
//! tool results answer its tool calls.

use serde::{Deserialize, Serialize};

use super::tool_call::{ToolCall, ToolResult, NO_RESULT};

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
    /// When a user message was received, as unix milliseconds: where a turn whose
    /// question the store lost goes once its reply is saved (see `History::record_reply`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<i64>,
}

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
            at_ms: None,
        }
    }

    /// The same message, received at `at_ms` (unix milliseconds).
    pub fn received_at(mut self, at_ms: i64) -> Self {
        self.at_ms = Some(at_ms);
        self
    }

    /// The same message carrying the tool calls of its turn and their results.
    pub fn with_tools(mut self, calls: Vec<ToolCall>, results: Vec<ToolResult>) -> Self {
        self.tool_calls = calls;
        self.tool_results = results;
        pair_results(&mut self);
        self
    }

    /// True for an assistant message with nothing in it: no words and no tool calls.
    pub(super) fn is_empty_reply(&self) -> bool {
        self.role == Role::Assistant && self.content.trim().is_empty() && self.tool_calls.is_empty()
    }

    /// Characters counted against the history's size limit.
    pub(super) fn chars(&self) -> usize {
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

    /// Whether this is `role`'s entry for `turn_id`, as its own turn or merged into it.
    pub(super) fn is_turn(&self, role: Role, turn_id: &str) -> bool {
        self.role == role
            && (self.turn_id.as_deref() == Some(turn_id)
                || self.merged_turns.iter().any(|t| t == turn_id))
    }
}

/// Makes `message`'s tool results answer its calls exactly: one result per call, in the
/// calls' order, [`NO_RESULT`] where none was recorded; results for unknown calls go. Only
/// assistant messages keep tool calls.
pub(super) fn pair_results(message: &mut ChatMessage) {
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
