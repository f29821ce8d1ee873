//! The `SessionStore` trait: where conversation histories live. The in-memory store is the
//! default; a networked store implements the same trait with the same semantics.

use async_trait::async_trait;

use super::history::ChatMessage;

/// A store operation failed (a networked store lost its connection, say).
#[derive(Debug, thiserror::Error)]
#[error("session store unavailable: {0}")]
pub struct StoreError(pub String);

/// Conversation histories keyed by conversation id. Implementations keep each operation
/// atomic per conversation, so two webhooks for one conversation never interleave writes.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Records the user's message of a turn (once per `turn_id`, however often it is
    /// delivered) and returns the history the model should see for that turn, oldest first,
    /// ending with that user message.
    async fn begin_turn(
        &self,
        conversation: &str,
        user: ChatMessage,
    ) -> Result<Vec<ChatMessage>, StoreError>;

    /// Records the assistant's reply of a turn: what was actually spoken. At most one reply
    /// is kept per `turn_id`; empty replies are dropped.
    async fn record_reply(&self, conversation: &str, reply: ChatMessage) -> Result<(), StoreError>;

    /// The whole stored history of a conversation, oldest first (empty when unknown).
    async fn history(&self, conversation: &str) -> Result<Vec<ChatMessage>, StoreError>;
}
