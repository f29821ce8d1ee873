//! The in-memory `SessionStore`: one `DashMap` entry per conversation. Each operation runs
//! under that entry's shard lock without awaiting, so writes to one conversation never
//! interleave and no guard is held across an `.await`. Idle conversations are evicted by
//! a sweeper; past a cap, the least recently used conversation makes room.
//!
//! Memory per conversation: the message texts (at most `max_chars` characters in all)
//! plus about 100 bytes per message (role, flags, turn id) and about 150 bytes for the
//! entry itself; `BENCHMARKS.md` has a measured figure for a typical conversation.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use dashmap::DashMap;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::history::{self, ChatMessage, Heard, HistoryLimits};
use super::store::{SessionStore, StoreError};

#[derive(Debug)]
struct Conversation {
    messages: Vec<ChatMessage>,
    last_used: Instant,
}

/// Histories held in this process's memory; lost on restart.
#[derive(Debug)]
pub struct MemoryStore {
    conversations: DashMap<String, Conversation>,
    limits: HistoryLimits,
    max_conversations: usize,
}

impl MemoryStore {
    /// An empty store keeping at most `max_conversations` conversations.
    pub fn new(limits: HistoryLimits, max_conversations: usize) -> Self {
        Self {
            conversations: DashMap::new(),
            limits,
            max_conversations: max_conversations.max(1),
        }
    }

    /// Runs `update` on a conversation's messages, creating it (and making room) if new.
    fn with_conversation<T>(
        &self,
        key: &str,
        update: impl FnOnce(&mut Vec<ChatMessage>) -> T,
    ) -> T {
        if !self.conversations.contains_key(key) {
            while self.conversations.len() >= self.max_conversations {
                if !self.evict_least_recently_used() {
                    break;
                }
            }
        }
        let mut entry = self
            .conversations
            .entry(key.to_string())
            .or_insert_with(|| Conversation {
                messages: Vec::new(),
                last_used: Instant::now(),
            });
        entry.last_used = Instant::now();
        update(&mut entry.messages)
    }

    /// Scans for the conversation used longest ago and removes it. O(n), but only when a
    /// new conversation arrives at the cap.
    fn evict_least_recently_used(&self) -> bool {
        let oldest = self
            .conversations
            .iter()
            .min_by_key(|entry| entry.last_used)
            .map(|entry| entry.key().clone());
        match oldest {
            Some(key) => {
                self.conversations.remove(&key);
                tracing::debug!(conversation_id = %key, "evicted least recently used conversation");
                true
            }
            None => false,
        }
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn begin_turn(
        &self,
        conversation: &str,
        user: ChatMessage,
        heard: Option<Heard>,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        let limits = self.limits;
        Ok(self.with_conversation(conversation, |messages| {
            history::begin_turn(messages, user, heard.as_ref(), limits)
        }))
    }

    async fn record_reply(&self, conversation: &str, reply: ChatMessage) -> Result<(), StoreError> {
        let limits = self.limits;
        self.with_conversation(conversation, |messages| {
            history::record_reply(messages, reply, limits);
        });
        Ok(())
    }

    async fn history(&self, conversation: &str) -> Result<Vec<ChatMessage>, StoreError> {
        Ok(self
            .conversations
            .get(conversation)
            .map(|entry| entry.messages.clone())
            .unwrap_or_default())
    }

    async fn evict_idle(&self, max_idle: Duration) -> Result<usize, StoreError> {
        let before = self.conversations.len();
        let now = Instant::now();
        self.conversations
            .retain(|_, c| now.duration_since(c.last_used) < max_idle);
        Ok(before.saturating_sub(self.conversations.len()))
    }

    fn conversation_count(&self) -> Option<usize> {
        Some(self.conversations.len())
    }
}

/// Evicts idle conversations every `max_idle / 4` (at most every minute) until `shutdown`.
pub fn spawn_idle_sweeper(
    store: Arc<dyn SessionStore>,
    max_idle: Duration,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let period = (max_idle / 4).clamp(Duration::from_millis(10), Duration::from_secs(60));
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(period) => {}
            }
            match store.evict_idle(max_idle).await {
                Ok(0) => {}
                Ok(evicted) => tracing::info!(evicted, "evicted idle conversations"),
                Err(error) => tracing::warn!(%error, "idle sweep failed"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::conformance;

    fn store() -> Arc<dyn SessionStore> {
        Arc::new(MemoryStore::new(conformance::LIMITS, 1000))
    }

    #[tokio::test]
    async fn passes_the_store_conformance_suite() {
        conformance::run_all(store).await;
    }

    async fn touch(store: &dyn SessionStore, conversation: &str) {
        store
            .begin_turn(conversation, ChatMessage::user("hi", "t1"), None)
            .await
            .expect("store");
    }

    #[tokio::test(start_paused = true)]
    async fn idle_conversations_expire_after_the_ttl() {
        let store = MemoryStore::new(HistoryLimits::default(), 100);
        touch(&store, "old").await;
        tokio::time::advance(Duration::from_secs(20 * 60)).await;
        touch(&store, "recent").await;
        tokio::time::advance(Duration::from_secs(11 * 60)).await;
        let ttl = Duration::from_secs(30 * 60);
        assert_eq!(store.evict_idle(ttl).await.expect("store"), 1);
        assert!(store.history("old").await.expect("store").is_empty());
        assert_eq!(store.history("recent").await.expect("store").len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_sweeper_evicts_in_the_background_and_stops_on_shutdown() {
        let store: Arc<dyn SessionStore> =
            Arc::new(MemoryStore::new(HistoryLimits::default(), 100));
        touch(store.as_ref(), "c").await;
        let shutdown = CancellationToken::new();
        let sweeper = spawn_idle_sweeper(store.clone(), Duration::from_secs(60), shutdown.clone());
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(
            store.conversation_count(),
            Some(1),
            "not idle long enough yet"
        );
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(store.conversation_count(), Some(0));
        shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(1), sweeper)
            .await
            .expect("sweeper stops on shutdown")
            .expect("sweeper did not panic");
    }

    #[tokio::test(start_paused = true)]
    async fn past_the_cap_the_least_recently_used_conversation_goes() {
        let store = MemoryStore::new(HistoryLimits::default(), 3);
        for name in ["a", "b", "c"] {
            touch(&store, name).await;
            tokio::time::advance(Duration::from_secs(1)).await;
        }
        touch(&store, "a").await; // a is now the most recent; b the least
        tokio::time::advance(Duration::from_secs(1)).await;
        touch(&store, "d").await;
        assert_eq!(store.conversation_count(), Some(3));
        assert!(store.history("b").await.expect("store").is_empty());
        for kept in ["a", "c", "d"] {
            assert!(
                !store.history(kept).await.expect("store").is_empty(),
                "{kept}"
            );
        }
    }

    /// Prints what a new conversation costs once the store is at its cap, for several caps:
    /// the figure should not grow with the cap. A measurement, not a timed test; run it with
    /// `cargo test --release --lib session::memory -- --ignored --nocapture`.
    #[tokio::test]
    #[ignore = "measurement: run by hand in release mode"]
    async fn measure_a_new_conversation_at_the_cap() {
        let inserts: u32 = 10_000;
        for cap in [1_000, 10_000, 100_000] {
            let store = MemoryStore::new(HistoryLimits::default(), cap);
            for c in 0..cap {
                touch(&store, &format!("conversation-{c:08}")).await;
            }
            let ids: Vec<String> = (0..inserts).map(|i| format!("newcomer-{i:08}")).collect();
            let start = std::time::Instant::now();
            for id in &ids {
                touch(&store, id).await;
            }
            let per_insert = start.elapsed() / inserts;
            assert_eq!(store.conversation_count(), Some(cap));
            eprintln!("cap {cap:>7}: {per_insert:>10.2?} per new conversation (evicting one)");
        }
    }
}
