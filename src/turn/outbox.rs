//! Replies waiting for the session store. What a caller heard is saved before their stream
//! ends; when the store cannot take it (Redis down, say), the reply, with its question,
//! waits here and is saved once the store is back, so it is never lost to an outage.
//!
//! - **Order.** A conversation's waiting replies are saved oldest first, and a reply of a
//!   conversation that already has some waiting queues behind them rather than jumping
//!   ahead. Saves from the queue run one at a time (the queue's own lock), whether a turn
//!   or the background task makes them.
//! - **Who saves.** The next turn of the conversation on this machine saves them before it
//!   reads the history ([`Outbox::flush`]); a background task retries every conversation
//!   after a pause that doubles from 100 ms to 5 s while the store keeps failing, and
//!   starts again at once when a new reply arrives.
//! - **Meanwhile.** A later turn of the conversation on this machine that cannot read the
//!   history is answered with the waiting exchanges and its own message
//!   ([`Outbox::pending`]), so the model still sees what the caller heard.
//! - **Bounds.** At most `capacity` replies wait; when full, the oldest is given up (its
//!   conversation has most likely ended) and logged with its ids as an error. A reply that
//!   has waited longer than `max_age` (the conversations' idle lifetime: by then the
//!   conversation would have expired) is given up the same way. Each is counted in
//!   `voicebridge_replies_lost_total{reason}`.
//! - **Stopping.** On SIGTERM the queue is saved within what is left of the grace period
//!   ([`Outbox::drain`]); what could not be saved is logged and counted as `shutdown`.
//! - **What it does not cover.** The queue is in this process's memory: a machine that dies
//!   while the store is down loses what waits here.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::metrics::{Metrics, StoreOperation};
use crate::session::{ChatMessage, SessionStore};

/// First pause before the background task tries the store again.
const FIRST_PAUSE: Duration = Duration::from_millis(100);
/// Longest pause between tries while the store keeps failing.
const LONGEST_PAUSE: Duration = Duration::from_secs(5);

/// One turn's words, waiting to be saved.
#[derive(Debug, Clone)]
struct Waiting {
    /// Tells this entry from another of the same turn.
    seq: u64,
    conversation: String,
    /// The turn's question, stored with the reply when the store lacks it.
    question: Option<ChatMessage>,
    reply: ChatMessage,
    since: Instant,
}

impl Waiting {
    fn turn_id(&self) -> &str {
        self.reply.turn_id.as_deref().unwrap_or("")
    }
}

#[derive(Debug, Default)]
struct Queue {
    /// Oldest first.
    entries: VecDeque<Waiting>,
    /// How many entries each conversation has.
    per_conversation: HashMap<String, usize>,
    next_seq: u64,
}

impl Queue {
    fn remove(&mut self, seq: u64) -> Option<Waiting> {
        let index = self.entries.iter().position(|w| w.seq == seq)?;
        let removed = self.entries.remove(index)?;
        if let Some(count) = self.per_conversation.get_mut(&removed.conversation) {
            *count -= 1;
            if *count == 0 {
                self.per_conversation.remove(&removed.conversation);
            }
        }
        Some(removed)
    }

    fn first_of(&self, conversation: &str) -> Option<Waiting> {
        self.entries
            .iter()
            .find(|w| w.conversation == conversation)
            .cloned()
    }
}

struct Inner {
    store: Arc<dyn SessionStore>,
    metrics: Metrics,
    capacity: usize,
    max_age: Duration,
    queue: Mutex<Queue>,
    /// `queue.entries.len()`, read without the lock on every turn's path.
    held: AtomicUsize,
    /// Held while a waiting reply is being saved: one at a time, in order.
    saving: tokio::sync::Mutex<()>,
    arrived: Notify,
}

/// The replies waiting for the store, shared by every turn of this machine.
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("waiting", &self.waiting())
            .finish()
    }
}

fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    queue.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Outbox {
    /// An empty queue in front of `store`, holding at most `capacity` replies for at most
    /// `max_age` each.
    pub fn new(
        store: Arc<dyn SessionStore>,
        metrics: Metrics,
        capacity: usize,
        max_age: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                metrics,
                capacity: capacity.max(1),
                max_age,
                queue: Mutex::default(),
                held: AtomicUsize::new(0),
                saving: tokio::sync::Mutex::new(()),
                arrived: Notify::new(),
            }),
        }
    }

    /// How many replies wait.
    pub fn waiting(&self) -> usize {
        self.inner.held.load(Ordering::Acquire)
    }

    fn holds(&self, conversation: &str) -> bool {
        self.waiting() > 0
            && lock(&self.inner.queue)
                .per_conversation
                .contains_key(conversation)
    }

    /// Saves a turn's reply (with its question, see `SessionStore::record_reply`), or
    /// queues it when the store fails or the conversation already has replies waiting.
    /// Returns once it is saved or queued; `true` when saved.
    pub async fn save(
        &self,
        conversation: &str,
        question: Option<ChatMessage>,
        reply: ChatMessage,
    ) -> bool {
        if !self.holds(conversation) {
            let store = &self.inner.store;
            match store
                .record_reply(conversation, question.as_ref(), &reply)
                .await
            {
                Ok(()) => return true,
                Err(error) => {
                    let turn_id = reply.turn_id.as_deref().unwrap_or("");
                    tracing::warn!(
                        %error,
                        operation = StoreOperation::RecordReply.as_str(),
                        conversation_id = %conversation,
                        turn_id,
                        "session store failed; the reply waits to be saved"
                    );
                    self.inner.metrics.store_failed(StoreOperation::RecordReply);
                }
            }
        }
        self.push(conversation, question, reply);
        // Behind others of its conversation: saved with them if the store is back.
        self.flush(conversation).await
    }

    fn push(&self, conversation: &str, question: Option<ChatMessage>, reply: ChatMessage) {
        let lost = {
            let mut queue = lock(&self.inner.queue);
            let lost = if queue.entries.len() >= self.inner.capacity {
                let oldest = queue.entries.front().map(|w| w.seq);
                oldest.and_then(|seq| queue.remove(seq))
            } else {
                None
            };
            let seq = queue.next_seq;
            queue.next_seq += 1;
            queue.entries.push_back(Waiting {
                seq,
                conversation: conversation.to_string(),
                question,
                reply,
                since: Instant::now(),
            });
            *queue
                .per_conversation
                .entry(conversation.to_string())
                .or_default() += 1;
            self.publish(&queue);
            lost
        };
        if let Some(lost) = lost {
            self.give_up(&lost, "full");
        }
        self.inner.arrived.notify_one();
    }

    fn publish(&self, queue: &Queue) {
        self.inner
            .held
            .store(queue.entries.len(), Ordering::Release);
        self.inner.metrics.replies_waiting(queue.entries.len());
    }

    fn give_up(&self, lost: &Waiting, reason: &'static str) {
        tracing::error!(
            conversation_id = %lost.conversation,
            turn_id = lost.turn_id(),
            waited_ms = lost.since.elapsed().as_millis() as u64,
            reason,
            "a reply the caller heard was never saved"
        );
        self.inner.metrics.reply_lost(reason);
    }

    /// The exchanges of `conversation` still waiting, oldest first, question before reply:
    /// what a turn that cannot read the history should still show the model.
    pub fn pending(&self, conversation: &str) -> Vec<ChatMessage> {
        if !self.holds(conversation) {
            return Vec::new();
        }
        let queue = lock(&self.inner.queue);
        queue
            .entries
            .iter()
            .filter(|w| w.conversation == conversation)
            .flat_map(|w| w.question.iter().chain(std::iter::once(&w.reply)))
            .cloned()
            .collect()
    }

    /// Saves `conversation`'s waiting replies, oldest first; `true` when none is left
    /// (the store took them all, or there were none).
    pub async fn flush(&self, conversation: &str) -> bool {
        if !self.holds(conversation) {
            return true;
        }
        let _saving = self.inner.saving.lock().await;
        loop {
            let first = lock(&self.inner.queue).first_of(conversation);
            let Some(waiting) = first else {
                return true;
            };
            if waiting.since.elapsed() > self.inner.max_age {
                self.forget(waiting.seq, "expired");
                continue;
            }
            let store = &self.inner.store;
            let saved = store
                .record_reply(conversation, waiting.question.as_ref(), &waiting.reply)
                .await;
            match saved {
                Ok(()) => {
                    self.forget(waiting.seq, "");
                    self.inner.metrics.reply_saved_late();
                    tracing::info!(
                        conversation_id = %conversation,
                        turn_id = waiting.turn_id(),
                        waited_ms = waiting.since.elapsed().as_millis() as u64,
                        "a reply that waited for the session store is saved"
                    );
                }
                Err(error) => {
                    tracing::debug!(%error, conversation_id = %conversation, "session store still failing");
                    return false;
                }
            }
        }
    }

    /// Removes an entry; `reason` non-empty means it is given up.
    fn forget(&self, seq: u64, reason: &'static str) {
        let removed = {
            let mut queue = lock(&self.inner.queue);
            let removed = queue.remove(seq);
            self.publish(&queue);
            removed
        };
        if let (Some(removed), false) = (removed, reason.is_empty()) {
            self.give_up(&removed, reason);
        }
    }

    /// One pass over every conversation with replies waiting, starting after `after` (the
    /// conversation that failed last), so one conversation the store keeps refusing does
    /// not hold the others back. Stops at the first failure; returns it.
    async fn pass(&self, after: Option<&str>) -> Option<String> {
        let mut conversations: Vec<String> = {
            let queue = lock(&self.inner.queue);
            let mut seen = std::collections::HashSet::new();
            queue
                .entries
                .iter()
                .filter(|w| seen.insert(w.conversation.as_str()))
                .map(|w| w.conversation.clone())
                .collect()
        };
        if let Some(after) = after {
            if let Some(index) = conversations.iter().position(|c| c == after) {
                conversations.rotate_left(index + 1);
            }
        }
        for conversation in conversations {
            if !self.flush(&conversation).await {
                return Some(conversation);
            }
        }
        None
    }

    /// Retries waiting replies until `shutdown`: at once when one arrives, then after a
    /// pause that doubles while the store keeps failing.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut pause = FIRST_PAUSE;
        let mut failed: Option<String> = None;
        loop {
            if self.waiting() == 0 {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = self.inner.arrived.notified() => {}
                }
            }
            failed = self.pass(failed.as_deref()).await;
            if failed.is_none() {
                pause = FIRST_PAUSE;
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
    }

    /// Saves what waits within `within` (on SIGTERM); what is left is given up, logged and
    /// counted. Returns how many were given up.
    pub async fn drain(&self, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        let mut failed = None;
        while self.waiting() > 0 && Instant::now() < deadline {
            let pass = tokio::time::timeout_at(deadline, self.pass(failed.as_deref()));
            match pass.await {
                Ok(None) => {}
                Ok(Some(conversation)) => {
                    failed = Some(conversation);
                    let pause = tokio::time::sleep(FIRST_PAUSE);
                    tokio::time::timeout_at(deadline, pause).await.ok();
                }
                Err(_) => break,
            }
        }
        let left: Vec<Waiting> = {
            let mut queue = lock(&self.inner.queue);
            let left = queue.entries.drain(..).collect();
            queue.per_conversation.clear();
            self.publish(&queue);
            left
        };
        for lost in &left {
            self.give_up(lost, "shutdown");
        }
        left.len()
    }
}

#[cfg(test)]
mod tests;
