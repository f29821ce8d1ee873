//! The in-memory `SessionStore`: conversations in an LRU list under one mutex, each history
//! behind its own mutex. Idle conversations are evicted by a sweeper; at the cap, the least
//! recently used conversation makes room, in constant time.
//!
//! Why this shape. Finding the least recently used conversation must not scan the store (a
//! busy deployment sits at its cap all day), so recency is kept as a list ordered by last
//! use: `lru::LruCache`, a hash map over a doubly linked list. That list is one structure,
//! so it sits behind one `Mutex`; every critical section under it is O(1) and short (hash
//! the id, relink a node, read the clock, clone an `Arc`): a whole new conversation at the
//! cap, history work included, measures under 1.5 µs, against the hundreds of microseconds
//! a turn costs, so thousands of concurrent turns on two cores rarely meet on it. Sampled
//! eviction or a sharded LRU would avoid the one mutex but lose the exact order; a
//! `DashMap` beside a separate order index would keep every id twice and still need one
//! lock for the order. The history work (cloning it for the model, truncating) runs under
//! the conversation's own mutex, after the list's mutex is released, so turns of different
//! conversations never wait for each other's history. Neither mutex is held across an
//! `.await`: each operation runs to completion, so writes to one conversation never
//! interleave. The cap is enforced under the list's mutex, so it is never exceeded, even
//! for a moment. Histories leave the store under the list's mutex but are freed after it.
//!
//! An operation that took a conversation just before another operation evicted it finishes
//! on the detached history, as if it had run just before the eviction; the next turn of
//! that conversation starts a fresh one, as after any eviction.
//!
//! Memory per conversation: the message texts (at most `max_chars` characters in all) plus
//! about 100 bytes per message (role, flags, turn id) and about 250 bytes for the list node,
//! its map slot and the shared history; `BENCHMARKS.md` has a measured figure.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use lru::LruCache;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::client::{merge_client, ClientVars};
use super::history::{ChatMessage, Heard, History, HistoryLimits};
use super::store::{SessionStore, StoreError};

/// One conversation's history and client variables.
#[derive(Debug, Default)]
struct Record {
    history: History,
    client: ClientVars,
}

/// One conversation's record, shared between the list and the operations using it.
type SharedHistory = Arc<Mutex<Record>>;

/// How many idle conversations the sweeper removes per hold of the list's mutex, so a
/// large sweep never keeps turns waiting for long.
const SWEEP_BATCH: usize = 64;

#[derive(Debug)]
struct Conversation {
    /// Set under the list's mutex whenever the conversation moves to the front, so the
    /// list is ordered by it too and the idle sweep can stop at the first recent one.
    last_used: Instant,
    history: SharedHistory,
}

/// Histories held in this process's memory; lost on restart.
#[derive(Debug)]
pub struct MemoryStore {
    /// Most recently used first; never holds more than the cap.
    conversations: Mutex<LruCache<String, Conversation>>,
    limits: HistoryLimits,
}

/// Locks without caring about poisoning: the list is consistent whenever it is unlocked
/// (it is only changed inside `lru`), and a `History` keeps its rules step by step, so a
/// panicking operation leaves nothing to repair.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MemoryStore {
    /// An empty store keeping at most `max_conversations` conversations.
    pub fn new(limits: HistoryLimits, max_conversations: usize) -> Self {
        let cap = NonZeroUsize::new(max_conversations).unwrap_or(NonZeroUsize::MIN);
        Self {
            // `sparse`: the map grows with use instead of being allocated for the cap.
            conversations: Mutex::new(LruCache::sparse(cap)),
            limits,
        }
    }

    /// Runs `update` on a conversation's record, creating it (and making room) if new.
    fn with_conversation<T>(&self, key: &str, update: impl FnOnce(&mut Record) -> T) -> T {
        let history = self.use_conversation(key);
        let mut history = lock(&history);
        update(&mut history)
    }

    /// Marks a conversation most recently used and returns its history, creating it if new;
    /// at the cap, the least recently used conversation goes to make room.
    fn use_conversation(&self, key: &str) -> SharedHistory {
        let mut conversations = lock(&self.conversations);
        // Read under the mutex so that the list order and `last_used` agree.
        let now = Instant::now();
        if let Some(conversation) = conversations.get_mut(key) {
            conversation.last_used = now;
            return conversation.history.clone();
        }
        let history = SharedHistory::default();
        let evicted = conversations.push(
            key.to_string(),
            Conversation {
                last_used: now,
                history: history.clone(),
            },
        );
        drop(conversations);
        // `key` was absent, so what `push` hands back is the evicted conversation; its
        // history is freed here, outside the list's mutex.
        if let Some((evicted, _)) = evicted {
            tracing::debug!(conversation_id = %evicted, "evicted least recently used conversation");
        }
        history
    }

    /// Removes up to `SWEEP_BATCH` conversations idle for at least `max_idle` at `now`,
    /// oldest first; returns them so they are freed after the mutex is released.
    fn take_idle(&self, now: Instant, max_idle: Duration) -> Vec<Conversation> {
        let mut conversations = lock(&self.conversations);
        let mut idle = Vec::new();
        while idle.len() < SWEEP_BATCH {
            match conversations.peek_lru() {
                Some((_, oldest)) if now.duration_since(oldest.last_used) >= max_idle => {}
                _ => break,
            }
            idle.extend(
                conversations
                    .pop_lru()
                    .map(|(_, conversation)| conversation),
            );
        }
        idle
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
        Ok(self.with_conversation(conversation, |record| {
            record.history.begin_turn(user, heard.as_ref(), limits)
        }))
    }

    async fn record_reply(
        &self,
        conversation: &str,
        question: Option<&ChatMessage>,
        reply: &ChatMessage,
    ) -> Result<(), StoreError> {
        let limits = self.limits;
        self.with_conversation(conversation, |record| {
            record.history.record_reply(question, reply.clone(), limits);
        });
        Ok(())
    }

    async fn merge_client(
        &self,
        conversation: &str,
        update: ClientVars,
    ) -> Result<bool, StoreError> {
        Ok(self.with_conversation(conversation, |record| {
            merge_client(&mut record.client, update)
        }))
    }

    async fn client(&self, conversation: &str) -> Result<ClientVars, StoreError> {
        let record = lock(&self.conversations)
            .peek(conversation)
            .map(|c| c.history.clone());
        Ok(record.map(|r| lock(&r).client.clone()).unwrap_or_default())
    }

    /// A look that does not count as use: reading a history leaves its place in the list
    /// (and its idle time) as they were.
    async fn history(&self, conversation: &str) -> Result<Vec<ChatMessage>, StoreError> {
        let history = lock(&self.conversations)
            .peek(conversation)
            .map(|c| c.history.clone());
        Ok(history
            .map(|h| lock(&h).history.messages().to_vec())
            .unwrap_or_default())
    }

    async fn forget(&self, conversation: &str) -> Result<bool, StoreError> {
        let removed = lock(&self.conversations).pop(conversation);
        Ok(removed.is_some())
    }

    /// Pops from the least recently used end while the oldest is idle: the cost follows
    /// the number evicted, not the number held.
    async fn evict_idle(&self, max_idle: Duration) -> Result<usize, StoreError> {
        let now = Instant::now();
        let mut evicted = 0;
        loop {
            let batch = self.take_idle(now, max_idle).len();
            evicted += batch;
            if batch < SWEEP_BATCH {
                return Ok(evicted);
            }
        }
    }

    fn conversation_count(&self) -> Option<usize> {
        Some(lock(&self.conversations).len())
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
mod tests;
