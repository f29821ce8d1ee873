//! The agent's `RECORD_CONTENT` and `REDACT_FOR_MODEL` inside a turn: what the debug log
//! may show of the words, and the history as the model is sent it.

use crate::privacy::{Ledger, Policy};
use crate::session::ChatMessage;

/// `history` with personal data in its messages replaced, when the agent redacts for the
/// model; `None` otherwise. The placeholders are numbered over the history in order
/// (`[phone 1]` is the same number in every message and every turn), so the model can
/// still tell two numbers apart. Tool results are sent as they came: the model needs them.
pub(super) fn for_model(policy: &Policy, history: &[ChatMessage]) -> Option<Vec<ChatMessage>> {
    if !policy.for_model {
        return None;
    }
    let mut ledger = Ledger::default();
    let redacted = history
        .iter()
        .map(|message| {
            let content = policy.redactor.redact(&message.content, Some(&mut ledger));
            match content {
                std::borrow::Cow::Borrowed(_) => message.clone(),
                std::borrow::Cow::Owned(content) => ChatMessage {
                    content,
                    ..message.clone()
                },
            }
        })
        .collect();
    Some(redacted)
}

/// The turn's words at debug level, as the agent's records keep them: in full, with
/// type-only placeholders (`[card]`), or not at all.
pub(super) fn log_text(policy: &Policy, turn_id: &str, user: &str, assistant: &str) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    if let (Some(user), Some(assistant)) = (policy.shown(user), policy.shown(assistant)) {
        tracing::debug!(turn_id, user = %user, assistant = %assistant, "turn text");
    }
}

#[cfg(test)]
mod tests {
    use super::for_model;
    use crate::privacy::Policy;
    use crate::session::ChatMessage;

    #[test]
    fn the_model_is_sent_numbered_placeholders_only_when_asked() {
        let history = [
            ChatMessage::user("call me on 555-123-4567", "t1"),
            ChatMessage::user("or on 555-987-6543, not 555-123-4567", "t2"),
        ];
        assert!(for_model(&Policy::default(), &history).is_none());
        let policy = Policy {
            for_model: true,
            ..Policy::default()
        };
        let sent = for_model(&policy, &history).expect("redacted");
        assert_eq!(sent[0].content, "call me on [phone 1]");
        assert_eq!(sent[1].content, "or on [phone 2], not [phone 1]");
        assert_eq!(sent[1].turn_id.as_deref(), Some("t2"));
    }
}
