//! Conversation history: the message types (pure), the store trait, and the in-memory store.

pub mod history;
pub mod memory;
pub mod store;

pub use history::{ChatMessage, Role};
pub use memory::MemoryStore;
pub use store::{SessionStore, StoreError};
