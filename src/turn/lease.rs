//! A turn's hold on its conversation. Claiming returns a [`Lease`]; the one way to finish
//! the turn is [`Lease::settle`] with what was said: the history write, then the release
//! that lets the next turn of the conversation go on, in that order, on every path.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::coordinator::{Claim, Coordinator};
use crate::metrics::{Metrics, StoreOperation};
use crate::session::{ChatMessage, SessionStore};

/// Longest wait for a superseded turn to settle its history before the new turn goes on.
pub const SETTLE_WAIT: Duration = Duration::from_secs(2);

/// What a lease needs to settle: where history goes, who coordinates, what is counted.
#[derive(Clone)]
pub struct Ledger {
    /// The histories.
    pub store: Arc<dyn SessionStore>,
    /// Newest turn wins.
    pub coordinator: Arc<dyn Coordinator>,
    /// Failed store operations are counted here.
    pub metrics: Metrics,
    /// Every turn's record goes here (to the call store's writer, or nowhere).
    pub calls: crate::records::CallRecorder,
}

/// A claimed conversation. Dropping a lease that was not settled releases the claim at
/// once without writing history; that is a safety net for a turn that died, and logged.
pub struct Lease {
    claim: Claim,
    ledger: Ledger,
    settled: bool,
}

impl Ledger {
    /// Claims `conversation` for a new turn, superseding the running one (see
    /// [`Coordinator::claim`]).
    pub async fn claim(&self, conversation: &str) -> Lease {
        Lease {
            claim: self.coordinator.claim(conversation, SETTLE_WAIT).await,
            ledger: self.clone(),
            settled: false,
        }
    }

    /// Counts and logs a failed store operation; the turn goes on.
    pub fn store_failed(&self, operation: StoreOperation, error: &dyn std::fmt::Display) {
        tracing::warn!(%error, operation = operation.as_str(), "session store failed");
        self.metrics.store_failed(operation);
    }
}

impl Lease {
    /// Fires when a newer turn of the conversation takes over.
    pub fn superseded(&self) -> &CancellationToken {
        &self.claim.superseded
    }

    /// Finishes the turn: stores `reply` (what was said, if anything), then releases the
    /// conversation so the next turn reads settled history.
    pub async fn settle(mut self, reply: Option<ChatMessage>) {
        if let Some(reply) = reply {
            let store = &self.ledger.store;
            if let Err(error) = store.record_reply(&self.claim.conversation, reply).await {
                self.ledger
                    .store_failed(StoreOperation::RecordReply, &error);
            }
        }
        self.ledger.coordinator.release(&self.claim).await;
        self.settled = true;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.settled {
            tracing::error!(
                conversation_id = %self.claim.conversation,
                "a turn ended without settling its lease; releasing it without a history write"
            );
            self.ledger.coordinator.abandon(&self.claim);
        }
    }
}
