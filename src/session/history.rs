//! Conversation history types (pure): who said what, in which turn.

use serde::Serialize;

/// Who a message is from, as the chat-completions API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// The speaker.
    pub role: Role,
    /// What was said (for the assistant: what was actually spoken).
    pub content: String,
    /// The Layercode turn this belongs to, when known.
    pub turn_id: Option<String>,
    /// True when the reply was cut short (the user interrupted or the model failed).
    pub interrupted: bool,
}

impl ChatMessage {
    /// A user message for a turn.
    pub fn user(content: impl Into<String>, turn_id: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
            turn_id: Some(turn_id.into()),
            interrupted: false,
        }
    }

    /// An assistant message for a turn.
    pub fn assistant(content: impl Into<String>, turn_id: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
            turn_id: Some(turn_id.into()),
            interrupted: false,
        }
    }

    /// The system prompt.
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: content.into(),
            turn_id: None,
            interrupted: false,
        }
    }

    /// Marks the message as cut short.
    pub fn interrupted(mut self, interrupted: bool) -> Self {
        self.interrupted = interrupted;
        self
    }

    fn is_turn(&self, role: Role, turn_id: &str) -> bool {
        self.role == role && self.turn_id.as_deref() == Some(turn_id)
    }
}

/// Appends `user` unless its turn is already stored, and returns the prefix of the history
/// that ends with that turn's user message: what the model should see for this turn.
/// A repeated delivery of a turn therefore never adds a second user message, and the model
/// is asked the same question again rather than shown its own earlier answer.
pub fn begin_turn(history: &mut Vec<ChatMessage>, user: ChatMessage) -> Vec<ChatMessage> {
    let turn_id = user.turn_id.clone().unwrap_or_default();
    let position = history.iter().position(|m| m.is_turn(Role::User, &turn_id));
    let end = match position {
        Some(index) => index + 1,
        None => {
            history.push(user);
            history.len()
        }
    };
    history[..end].to_vec()
}

/// Stores the assistant's reply for its turn: replaces an earlier reply to the same turn
/// (a repeated delivery), else appends. Empty replies are not stored.
pub fn record_reply(history: &mut Vec<ChatMessage>, reply: ChatMessage) {
    if reply.content.trim().is_empty() {
        return;
    }
    let turn_id = reply.turn_id.clone().unwrap_or_default();
    match history
        .iter_mut()
        .find(|m| m.is_turn(Role::Assistant, &turn_id))
    {
        Some(existing) => *existing = reply,
        None => history.push(reply),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_turn_is_appended_and_returned_with_what_came_before() {
        let mut history = vec![ChatMessage::assistant("Hi!", "t0")];
        let seen = begin_turn(&mut history, ChatMessage::user("Hello", "t1"));
        assert_eq!(seen, history);
        assert_eq!(history.len(), 2);
    }

    #[test]
    fn a_repeated_turn_adds_nothing_and_hides_its_old_reply() {
        let mut history = Vec::new();
        begin_turn(&mut history, ChatMessage::user("Hello", "t1"));
        record_reply(&mut history, ChatMessage::assistant("Hi there.", "t1"));
        let seen = begin_turn(&mut history, ChatMessage::user("Hello", "t1"));
        assert_eq!(seen, vec![ChatMessage::user("Hello", "t1")]);
        record_reply(&mut history, ChatMessage::assistant("Hello again.", "t1"));
        assert_eq!(
            history,
            vec![
                ChatMessage::user("Hello", "t1"),
                ChatMessage::assistant("Hello again.", "t1")
            ]
        );
    }

    #[test]
    fn empty_replies_are_not_stored() {
        let mut history = vec![ChatMessage::user("Hello", "t1")];
        record_reply(&mut history, ChatMessage::assistant("  ", "t1"));
        assert_eq!(history.len(), 1);
    }
}
