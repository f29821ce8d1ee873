//! The in-memory `SessionStore`: one `DashMap` entry per conversation. Each operation runs
//! under that entry's shard lock without awaiting, so writes to one conversation never
//! interleave and no guard is held across an `.await`.

use async_trait::async_trait;
use dashmap::DashMap;

use super::history::{self, ChatMessage};
use super::store::{SessionStore, StoreError};

/// Histories held in this process's memory; lost on restart.
#[derive(Debug, Default)]
pub struct MemoryStore {
    conversations: DashMap<String, Vec<ChatMessage>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of conversations held.
    pub fn len(&self) -> usize {
        self.conversations.len()
    }

    /// True when no conversation is held.
    pub fn is_empty(&self) -> bool {
        self.conversations.is_empty()
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn begin_turn(
        &self,
        conversation: &str,
        user: ChatMessage,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        let mut entry = self
            .conversations
            .entry(conversation.to_string())
            .or_default();
        Ok(history::begin_turn(entry.value_mut(), user))
    }

    async fn record_reply(&self, conversation: &str, reply: ChatMessage) -> Result<(), StoreError> {
        let mut entry = self
            .conversations
            .entry(conversation.to_string())
            .or_default();
        history::record_reply(entry.value_mut(), reply);
        Ok(())
    }

    async fn history(&self, conversation: &str) -> Result<Vec<ChatMessage>, StoreError> {
        Ok(self
            .conversations
            .get(conversation)
            .map(|entry| entry.value().clone())
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conversations_are_kept_apart() {
        let store = MemoryStore::new();
        store
            .begin_turn("a", ChatMessage::user("one", "t1"))
            .await
            .expect("ok");
        store
            .begin_turn("b", ChatMessage::user("two", "t1"))
            .await
            .expect("ok");
        store
            .record_reply("a", ChatMessage::assistant("reply", "t1"))
            .await
            .expect("ok");
        assert_eq!(store.history("a").await.expect("ok").len(), 2);
        assert_eq!(store.history("b").await.expect("ok").len(), 1);
        assert!(store.history("c").await.expect("ok").is_empty());
        assert_eq!(store.len(), 2);
    }
}
