//! The `SessionStore` trait: where conversation histories live. The in-memory store is the
//! default; a networked store implements the same trait with the same semantics, checked
//! by the shared test suite in `session::conformance`.

use std::time::Duration;

use async_trait::async_trait;

use super::client::ClientVars;
use super::history::{ChatMessage, Heard};

/// A store operation failed (a networked store lost its connection, say).
#[derive(Debug, thiserror::Error)]
#[error("session store unavailable: {0}")]
pub struct StoreError(pub String);

/// Conversation histories keyed by conversation id. Every operation is atomic per
/// conversation, so two webhooks for one conversation never interleave their writes, and
/// every history obeys the rules that `session::History` keeps: one user and one assistant
/// entry per turn, no two user messages in a row, no empty assistant message, bounded size.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Starts a turn (append): applies what the user heard of the previous reply, records
    /// the user's message once per `turn_id` however often it is delivered, truncates to
    /// the limits, and returns the history the model should see, oldest first, ending with
    /// that user message.
    async fn begin_turn(
        &self,
        conversation: &str,
        user: ChatMessage,
        heard: Option<Heard>,
    ) -> Result<Vec<ChatMessage>, StoreError>;

    /// Settles a turn: records the assistant's reply, which is what was actually spoken
    /// (marked interrupted when cut short). One reply per `turn_id`; empty replies are
    /// dropped. `question` is the turn's user message, stored with the reply when the
    /// history lacks it (its `begin_turn` failed); see `History::record_reply`.
    async fn record_reply(
        &self,
        conversation: &str,
        question: Option<&ChatMessage>,
        reply: &ChatMessage,
    ) -> Result<(), StoreError>;

    /// Merges what the page sent in a `data` event into the conversation's client
    /// variables (see `session::client`), creating the conversation if new. `Ok(false)`
    /// when the result would be too large; nothing changes then.
    async fn merge_client(
        &self,
        conversation: &str,
        update: ClientVars,
    ) -> Result<bool, StoreError>;

    /// The conversation's client variables (empty when none or unknown).
    async fn client(&self, conversation: &str) -> Result<ClientVars, StoreError>;

    /// The whole stored history of a conversation, oldest first (empty when unknown).
    async fn history(&self, conversation: &str) -> Result<Vec<ChatMessage>, StoreError>;

    /// Removes the conversation whole (its history and client variables), for a deleted
    /// call or a data-subject request; `true` when there was one.
    async fn forget(&self, conversation: &str) -> Result<bool, StoreError>;

    /// Evicts conversations idle for longer than `max_idle`; returns how many. A store
    /// whose backend expires keys by itself returns 0.
    async fn evict_idle(&self, max_idle: Duration) -> Result<usize, StoreError>;

    /// Number of conversations held, when the store can tell cheaply.
    fn conversation_count(&self) -> Option<usize>;
}
