//! Conversation history types and the rules that keep a history well-formed (pure): one
//! user and one assistant entry per turn, never two user messages in a row, never an empty
//! assistant message, what the user heard replacing what we meant to say, and bounds.

use serde::{Deserialize, Serialize};

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
        }
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

/// Replaces the stored text of an interrupted assistant turn with what the user heard. A
/// turn we never stored is ignored; hearing nothing removes the message.
pub fn apply_heard(history: &mut Vec<ChatMessage>, heard: &Heard) {
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
    if heard.text.trim().is_empty() {
        history.remove(index);
        merge_unanswered(history);
        return;
    }
    let message = &mut history[index];
    message.content = heard.text.trim().to_string();
    message.interrupted = true;
}

/// Records the user's message of a turn and returns the history the model should see for
/// it, ending with that message. A repeated delivery adds nothing (and hides the earlier
/// reply, so the model answers the same question again). A user message following an
/// unanswered one is merged with it, so two user messages never stand in a row.
pub fn begin_turn(
    history: &mut Vec<ChatMessage>,
    user: ChatMessage,
    heard: Option<&Heard>,
    limits: HistoryLimits,
) -> Vec<ChatMessage> {
    if let Some(heard) = heard {
        apply_heard(history, heard);
    }
    let turn_id = user.turn_id.clone().unwrap_or_default();
    if let Some(index) = history.iter().position(|m| m.is_turn(Role::User, &turn_id)) {
        let mut view = history[..=index].to_vec();
        truncate(&mut view, limits);
        return view;
    }
    history.push(user);
    merge_unanswered(history);
    truncate(history, limits);
    history.clone()
}

/// Stores the assistant's reply for its turn: replaces an earlier reply to the same turn,
/// else goes right after that turn's user message, else at the end (a welcome). Empty
/// replies are not stored, nor the late reply of a turn whose question a newer turn has
/// already taken over (merged into its own): the newer turn answers both.
pub fn record_reply(history: &mut Vec<ChatMessage>, reply: ChatMessage, limits: HistoryLimits) {
    if reply.content.trim().is_empty() {
        return;
    }
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
pub fn truncate(history: &mut Vec<ChatMessage>, limits: HistoryLimits) {
    let mut chars: usize = history.iter().map(|m| m.content.chars().count()).sum();
    let mut drop = 0;
    while history.len() - drop > 1
        && (history.len() - drop > limits.max_messages.max(1) || chars > limits.max_chars)
    {
        chars -= history[drop].content.chars().count();
        drop += 1;
    }
    if drop > 0 && history.len() - drop > 1 && history[drop].role == Role::Assistant {
        drop += 1;
    }
    history.drain(..drop);
}

/// True when the history obeys every rule above (used by tests and debug checks).
pub fn is_well_formed(history: &[ChatMessage]) -> bool {
    let no_user_pairs = history
        .windows(2)
        .all(|w| !(w[0].role == Role::User && w[1].role == Role::User));
    let no_empty = history
        .iter()
        .all(|m| m.role != Role::Assistant || !m.content.trim().is_empty());
    let mut seen = std::collections::HashSet::new();
    let unique_turns = history
        .iter()
        .filter_map(|m| m.turn_id.as_ref().map(|t| (m.role, t)))
        .all(|key| seen.insert(key));
    no_user_pairs && no_empty && unique_turns
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: HistoryLimits = HistoryLimits {
        max_messages: 100,
        max_chars: 100_000,
    };

    fn texts(history: &[ChatMessage]) -> Vec<(Role, &str)> {
        history
            .iter()
            .map(|m| (m.role, m.content.as_str()))
            .collect()
    }

    #[test]
    fn a_repeated_turn_adds_nothing_and_hides_its_old_reply() {
        let mut history = Vec::new();
        begin_turn(&mut history, ChatMessage::user("Hello", "t1"), None, LIMITS);
        record_reply(
            &mut history,
            ChatMessage::assistant("Hi there.", "t1"),
            LIMITS,
        );
        let seen = begin_turn(&mut history, ChatMessage::user("Hello", "t1"), None, LIMITS);
        assert_eq!(seen, vec![ChatMessage::user("Hello", "t1")]);
        record_reply(
            &mut history,
            ChatMessage::assistant("Hello again.", "t1"),
            LIMITS,
        );
        assert_eq!(
            texts(&history),
            [(Role::User, "Hello"), (Role::Assistant, "Hello again.")]
        );
    }

    #[test]
    fn an_unanswered_user_message_merges_with_the_next() {
        let mut history = Vec::new();
        begin_turn(
            &mut history,
            ChatMessage::user("Book a table", "t1"),
            None,
            LIMITS,
        );
        let seen = begin_turn(
            &mut history,
            ChatMessage::user("for two", "t2"),
            None,
            LIMITS,
        );
        assert_eq!(texts(&seen), [(Role::User, "Book a table\nfor two")]);
        assert_eq!(history[0].turn_id.as_deref(), Some("t2"));
        assert!(is_well_formed(&history));
    }

    #[test]
    fn a_late_reply_to_a_merged_question_is_dropped_and_its_redelivery_adds_nothing() {
        let mut history = Vec::new();
        begin_turn(
            &mut history,
            ChatMessage::user("Book a table", "t1"),
            None,
            LIMITS,
        );
        // t1 is still settling (slowly) when t2 arrives and takes its question over.
        begin_turn(
            &mut history,
            ChatMessage::user("for two", "t2"),
            None,
            LIMITS,
        );
        record_reply(
            &mut history,
            ChatMessage::assistant("For two, at eight.", "t2"),
            LIMITS,
        );
        record_reply(
            &mut history,
            ChatMessage::assistant("Sure, for how", "t1"),
            LIMITS,
        );
        assert_eq!(
            texts(&history),
            [
                (Role::User, "Book a table\nfor two"),
                (Role::Assistant, "For two, at eight.")
            ]
        );
        let seen = begin_turn(
            &mut history,
            ChatMessage::user("Book a table", "t1"),
            None,
            LIMITS,
        );
        assert_eq!(history.len(), 2, "a redelivered t1 is already here");
        assert_eq!(seen.len(), 1);
        assert!(is_well_formed(&history));
    }

    #[test]
    fn what_was_heard_replaces_what_was_meant() {
        let mut history = vec![
            ChatMessage::user("Menu?", "t1"),
            ChatMessage::assistant("We have soup. And a lovely salad.", "t1").interrupted(true),
        ];
        let heard = Heard {
            assistant_turn_id: Some("t1".into()),
            text: "We have soup.".into(),
        };
        begin_turn(
            &mut history,
            ChatMessage::user("Soup please", "t2"),
            Some(&heard),
            LIMITS,
        );
        assert_eq!(history[1].content, "We have soup.");
        assert!(history[1].interrupted);
    }

    #[test]
    fn hearing_nothing_removes_the_reply_and_keeps_the_history_well_formed() {
        let mut history = vec![
            ChatMessage::user("Menu?", "t1"),
            ChatMessage::assistant("We have soup.", "t1"),
        ];
        let heard = Heard {
            assistant_turn_id: None,
            text: String::new(),
        };
        let seen = begin_turn(
            &mut history,
            ChatMessage::user("Wait", "t2"),
            Some(&heard),
            LIMITS,
        );
        assert_eq!(texts(&seen), [(Role::User, "Menu?\nWait")]);
    }

    #[test]
    fn heard_without_an_id_never_touches_an_older_complete_reply() {
        let mut history = vec![
            ChatMessage::user("Menu?", "t1"),
            ChatMessage::assistant("We have soup.", "t1"),
            ChatMessage::user("And dessert?", "t2"), // cut off before any speech
        ];
        let heard = Heard {
            assistant_turn_id: None,
            text: String::new(),
        };
        apply_heard(&mut history, &heard);
        assert_eq!(history[1].content, "We have soup.");
        assert_eq!(history.len(), 3);
    }

    #[test]
    fn heard_for_an_unknown_turn_changes_nothing() {
        let mut history = vec![
            ChatMessage::user("Hi", "t1"),
            ChatMessage::assistant("Hello.", "t1"),
        ];
        let heard = Heard {
            assistant_turn_id: Some("t9".into()),
            text: "x".into(),
        };
        apply_heard(&mut history, &heard);
        assert_eq!(history[1].content, "Hello.");
        let mut empty = Vec::new();
        apply_heard(&mut empty, &heard);
        assert!(empty.is_empty());
    }

    #[test]
    fn a_late_reply_goes_after_its_own_question() {
        let mut history = vec![ChatMessage::user("One", "t1")];
        record_reply(
            &mut history,
            ChatMessage::assistant("Welcome!", "t0"),
            LIMITS,
        );
        record_reply(&mut history, ChatMessage::assistant("First.", "t1"), LIMITS);
        assert_eq!(
            texts(&history),
            [
                (Role::User, "One"),
                (Role::Assistant, "First."),
                (Role::Assistant, "Welcome!")
            ]
        );
        record_reply(&mut history, ChatMessage::assistant("  ", "t2"), LIMITS);
        assert_eq!(history.len(), 3);
    }

    #[test]
    fn truncation_drops_the_oldest_and_keeps_the_newest() {
        let limits = HistoryLimits {
            max_messages: 3,
            max_chars: 1000,
        };
        let mut history = Vec::new();
        for i in 0..5 {
            begin_turn(
                &mut history,
                ChatMessage::user(format!("q{i}"), format!("t{i}")),
                None,
                limits,
            );
            record_reply(
                &mut history,
                ChatMessage::assistant(format!("a{i}"), format!("t{i}")),
                limits,
            );
        }
        // Three messages fit, but a reply without its question does not start the history.
        assert_eq!(
            texts(&history),
            [(Role::User, "q4"), (Role::Assistant, "a4")]
        );

        let limits = HistoryLimits {
            max_messages: 100,
            max_chars: 10,
        };
        let mut history = Vec::new();
        begin_turn(&mut history, ChatMessage::user("12345", "t1"), None, limits);
        record_reply(&mut history, ChatMessage::assistant("12345", "t1"), limits);
        let seen = begin_turn(
            &mut history,
            ChatMessage::user("a very long question", "t2"),
            None,
            limits,
        );
        assert_eq!(
            texts(&seen),
            [(Role::User, "a very long question")],
            "the newest always stays"
        );
    }
}
