//! Conversation history: the message types and rules (pure), the store trait, and the
//! in-memory store with its idle sweeper.

pub mod client;
pub mod history;
pub mod memory;
pub mod store;

#[cfg(test)]
pub mod conformance;

pub use client::{merge_client, ClientVars, CLIENT_MAX_BYTES};
pub use history::{
    ChatMessage, FunctionCall, Heard, History, HistoryLimits, Role, ToolCall, ToolResult, NO_RESULT,
};
pub use memory::{spawn_idle_sweeper, MemoryStore};
pub use store::{SessionStore, StoreError};

/// Where `agent`'s conversation `conversation` is stored: agents from files keep their
/// conversations apart (`<agent>/<conversation_id>`); the single agent from the
/// environment keeps the bare id, so its stored conversations read as before.
pub fn conversation_key(namespaced: bool, agent: &str, conversation: &str) -> String {
    if namespaced {
        format!("{agent}/{conversation}")
    } else {
        conversation.to_string()
    }
}
