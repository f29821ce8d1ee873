//! Who may answer a conversation now. Newest turn wins: claiming a conversation tells the
//! turn running it (on this machine or another) to stop, and waits, boundedly, until that
//! turn has settled its history, so the new turn reads it whole. [`LocalCoordinator`]
//! serves one machine; `crate::cluster` implements the same trait across machines.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use dashmap::DashMap;
use tokio_util::sync::CancellationToken;

/// A conversation claimed by one turn.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The conversation.
    pub conversation: String,
    /// The turn's id, unique within this process.
    pub id: u64,
    /// The caller's id for the turn (Layercode's `turn_id`), for logs.
    pub turn_id: String,
    /// Fires when a newer turn of the conversation takes over.
    pub superseded: CancellationToken,
    /// Fired once this turn has settled; its successor waits on it.
    settled: CancellationToken,
}

/// Newest turn wins, here or across machines. Failures of a shared backend are counted
/// and logged by the implementation; a turn goes on regardless.
#[async_trait]
pub trait Coordinator: Send + Sync + 'static {
    /// Claims `conversation` for turn `turn_id`: tells the turn running it to stop, and
    /// waits up to `wait` until that turn has settled.
    async fn claim(&self, conversation: &str, turn_id: &str, wait: Duration) -> Claim;

    /// The claim's turn has settled its history: gives the conversation up and wakes the
    /// turn waiting for exactly this one.
    async fn release(&self, claim: &Claim);

    /// Safety net for a turn that never settled: releases what can be released at once.
    fn abandon(&self, claim: &Claim);
}

#[derive(Debug)]
struct Running {
    id: u64,
    supersede: CancellationToken,
    /// The same signal as the claim's, handed to the turn that supersedes this one.
    settled: CancellationToken,
}

/// The turns running on this machine, one per conversation.
#[derive(Debug, Default)]
pub struct LocalCoordinator {
    running: DashMap<String, Running>,
    next_id: AtomicU64,
}

impl LocalCoordinator {
    /// No turn running.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a turn of `conversation` and tells the one it replaces to stop; returns
    /// the claim and the replaced turn's "settled" signal, which belongs to that turn only.
    pub fn register(
        &self,
        conversation: &str,
        turn_id: &str,
    ) -> (Claim, Option<CancellationToken>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let superseded = CancellationToken::new();
        let settled = CancellationToken::new();
        let running = Running {
            id,
            supersede: superseded.clone(),
            settled: settled.clone(),
        };
        let previous = self.running.insert(conversation.to_string(), running);
        let predecessor = previous.map(|old| {
            old.supersede.cancel();
            old.settled
        });
        let claim = Claim {
            conversation: conversation.to_string(),
            id,
            turn_id: turn_id.to_string(),
            superseded,
            settled,
        };
        (claim, predecessor)
    }

    /// Tells the running turn of `conversation` to stop if it is turn `id` (a newer turn
    /// started on another machine).
    pub fn supersede_if(&self, conversation: &str, id: u64) {
        if let Some(running) = self.running.get(conversation) {
            if running.id == id {
                running.supersede.cancel();
            }
        }
    }

    /// Marks the claim's turn settled (waking its successor) and unregisters it unless
    /// a newer turn has taken its place.
    pub fn settle(&self, claim: &Claim) {
        self.running
            .remove_if(&claim.conversation, |_, running| running.id == claim.id);
        claim.settled.cancel();
    }
}

#[async_trait]
impl Coordinator for LocalCoordinator {
    async fn claim(&self, conversation: &str, turn_id: &str, wait: Duration) -> Claim {
        let (claim, predecessor) = self.register(conversation, turn_id);
        let Some(settled) = predecessor else {
            return claim;
        };
        if tokio::time::timeout(wait, settled.cancelled())
            .await
            .is_err()
        {
            tracing::warn!(conversation_id = %conversation, turn_id, "superseded turn did not settle in time");
        }
        claim
    }

    async fn release(&self, claim: &Claim) {
        self.settle(claim);
    }

    fn abandon(&self, claim: &Claim) {
        self.settle(claim);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_secs(2);

    #[tokio::test(start_paused = true)]
    async fn each_waiting_turn_is_woken_only_by_its_own_settle() {
        let coordinator = std::sync::Arc::new(LocalCoordinator::new());
        let one = coordinator.claim("one", "t", WAIT).await;
        let two = coordinator.claim("two", "t", WAIT).await;
        let later = |conversation: &'static str| {
            let coordinator = coordinator.clone();
            tokio::spawn(async move { coordinator.claim(conversation, "t", WAIT).await })
        };
        let (next_one, next_two) = (later("one"), later("two"));
        tokio::task::yield_now().await;
        assert!(one.superseded.is_cancelled() && two.superseded.is_cancelled());
        coordinator.release(&one).await;
        let started = tokio::time::Instant::now();
        next_one.await.expect("task");
        assert_eq!(started.elapsed(), Duration::ZERO, "woken by its own settle");
        assert!(
            !next_two.is_finished(),
            "`two` still waits for its own turn"
        );
        coordinator.release(&two).await;
        next_two.await.expect("task");
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_that_never_settles_is_waited_for_boundedly() {
        let coordinator = LocalCoordinator::new();
        let _stuck = coordinator.claim("c", "t", WAIT).await;
        let started = tokio::time::Instant::now();
        let next = coordinator.claim("c", "t", WAIT).await;
        assert_eq!(started.elapsed(), WAIT);
        coordinator.release(&next).await;
    }

    #[test]
    fn conversations_do_not_supersede_each_other() {
        let coordinator = LocalCoordinator::new();
        let (a, _) = coordinator.register("a", "t");
        let (_b, predecessor) = coordinator.register("b", "t");
        assert!(predecessor.is_none());
        assert!(!a.superseded.is_cancelled());
    }
}
