//! The rules every reply and every stored history obey, as seen from outside.

use serde_json::Value;
use voicebridge::session::{ChatMessage, Role};

/// Asserts the invariants of every reply: every event carries `turn_id`, exactly one
/// `response.end`, and it is last.
pub fn assert_well_formed(events: &[Value], turn_id: &str) {
    assert!(!events.is_empty(), "a reply has events");
    for event in events {
        assert_eq!(event["turn_id"], turn_id, "turn_id on {event}");
    }
    let ends = events
        .iter()
        .filter(|e| e["type"] == "response.end")
        .count();
    assert_eq!(ends, 1, "exactly one response.end in {events:?}");
    assert_eq!(events.last().expect("non-empty")["type"], "response.end");
}

/// Asserts the rules every stored history obeys, as seen from outside: never two user
/// messages in a row, no empty assistant message, at most one user and one assistant
/// entry per turn. `context` names the conversation in the failure message.
pub fn assert_history_well_formed(history: &[ChatMessage], context: &str) {
    for pair in history.windows(2) {
        assert!(
            !(pair[0].role == Role::User && pair[1].role == Role::User),
            "{context}: two user messages in a row in {history:?}"
        );
    }
    for message in history {
        assert!(
            message.role != Role::Assistant
                || !message.content.trim().is_empty()
                || !message.tool_calls.is_empty(),
            "{context}: an empty assistant message in {history:?}"
        );
        let answered: Vec<&str> = message
            .tool_results
            .iter()
            .map(|r| r.tool_call_id.as_str())
            .collect();
        let called: Vec<&str> = message.tool_calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(called, answered, "{context}: every call has its result");
    }
    let mut seen = std::collections::HashSet::new();
    for message in history {
        if let Some(turn) = &message.turn_id {
            assert!(
                seen.insert((message.role, turn)),
                "{context}: two {:?} entries for turn {turn} in {history:?}",
                message.role
            );
        }
    }
}
