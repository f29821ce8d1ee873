//! The turns running right now, one per conversation: a new turn supersedes the running
//! one, and waits until that one has settled its history before it reads it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use dashmap::DashMap;
use tokio_util::sync::CancellationToken;

#[derive(Debug)]
struct Running {
    id: u64,
    supersede: CancellationToken,
    finished: CancellationToken,
}

/// The running turn of every conversation.
#[derive(Debug, Default)]
pub struct ActiveTurns {
    running: DashMap<String, Running>,
    next_id: AtomicU64,
}

/// A registered turn. Dropping it (however the turn ends) marks it finished and
/// unregisters it unless a newer turn has taken its place.
#[derive(Debug)]
pub struct ActiveTurn {
    registry: Arc<ActiveTurns>,
    conversation: String,
    id: u64,
    /// Fires when a newer turn of the same conversation starts.
    pub superseded: CancellationToken,
    finished: CancellationToken,
}

/// Fires once the superseded turn has finished, history settled.
#[derive(Debug)]
pub struct Predecessor(CancellationToken);

impl Predecessor {
    /// Waits until the superseded turn has finished.
    pub async fn finished(&self) {
        self.0.cancelled().await;
    }
}

impl ActiveTurns {
    /// An empty registry.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Registers a new turn of `conversation`, tells the running one (if any) to stop,
    /// and returns the new turn with a handle on the one it replaced.
    pub fn start(self: &Arc<Self>, conversation: &str) -> (ActiveTurn, Option<Predecessor>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let superseded = CancellationToken::new();
        let finished = CancellationToken::new();
        let running = Running {
            id,
            supersede: superseded.clone(),
            finished: finished.clone(),
        };
        let previous = self.running.insert(conversation.to_string(), running);
        let predecessor = previous.map(|old| {
            old.supersede.cancel();
            Predecessor(old.finished)
        });
        let turn = ActiveTurn {
            registry: self.clone(),
            conversation: conversation.to_string(),
            id,
            superseded,
            finished,
        };
        (turn, predecessor)
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

    /// Number of turns running.
    pub fn len(&self) -> usize {
        self.running.len()
    }

    /// True when no turn is running.
    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }
}

impl ActiveTurn {
    /// This turn's id within this process.
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for ActiveTurn {
    fn drop(&mut self) {
        self.finished.cancel();
        self.registry
            .running
            .remove_if(&self.conversation, |_, running| running.id == self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_turn_supersedes_the_running_one_and_sees_it_finish() {
        let turns = ActiveTurns::new();
        let (first, none) = turns.start("c");
        assert!(none.is_none());
        let (second, predecessor) = turns.start("c");
        assert!(first.superseded.is_cancelled());
        assert!(!second.superseded.is_cancelled());
        let predecessor = predecessor.expect("the first turn");
        drop(first);
        predecessor.finished().await;
        assert_eq!(
            turns.len(),
            1,
            "the finished first turn did not unregister the second"
        );
        drop(second);
        assert!(turns.is_empty());
    }

    #[test]
    fn conversations_do_not_supersede_each_other() {
        let turns = ActiveTurns::new();
        let (a, _) = turns.start("a");
        let (_b, predecessor) = turns.start("b");
        assert!(predecessor.is_none());
        assert!(!a.superseded.is_cancelled());
    }
}
