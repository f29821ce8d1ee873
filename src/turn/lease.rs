//! A turn's hold on its conversation. Claiming returns a [`Lease`]; the one way to finish
//! the turn is [`Lease::settle`] with what was said: the history write (or, when the store
//! fails, the reply queued in the [`Outbox`]), then the caller's `response.end`, then the
//! release that lets the next turn of the conversation go on, in that order, on every
//! path. So a caller who got `response.end` heard a reply that is saved or waiting to be.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::coordinator::{Claim, Coordinator};
use super::outbox::Outbox;
use super::Caller;
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
    /// Replies waiting for the store while it fails.
    pub outbox: Outbox,
    /// Where the turns' spans go (nowhere when tracing is off).
    pub tracing: crate::trace::Tracing,
}

/// What a turn said, to be saved: the reply, and for a message the question it answers
/// (stored with it if the store lost it).
#[derive(Debug)]
pub struct Said {
    /// The user's message of the turn; `None` for the welcome.
    pub question: Option<ChatMessage>,
    /// What the caller heard.
    pub reply: ChatMessage,
}

/// A claimed conversation. Dropping a lease that was not settled releases the claim at
/// once without writing history; that is a safety net for a turn that died, and logged.
pub struct Lease {
    claim: Claim,
    ledger: Ledger,
    settled: bool,
}

impl Ledger {
    /// Claims `conversation` for turn `turn_id`, superseding the running one (see
    /// [`Coordinator::claim`]).
    pub async fn claim(&self, conversation: &str, turn_id: &str) -> Lease {
        Lease {
            claim: self
                .coordinator
                .claim(conversation, turn_id, SETTLE_WAIT)
                .await,
            ledger: self.clone(),
            settled: false,
        }
    }

    /// Counts and logs a failed store operation of a turn; the turn goes on.
    pub fn store_failed(
        &self,
        operation: StoreOperation,
        conversation: &str,
        turn_id: &str,
        error: &dyn std::fmt::Display,
    ) {
        tracing::warn!(
            %error,
            operation = operation.as_str(),
            conversation_id = %conversation,
            turn_id,
            "session store failed"
        );
        self.metrics.store_failed(operation);
    }
}

impl Lease {
    /// Fires when a newer turn of the conversation takes over.
    pub fn superseded(&self) -> &CancellationToken {
        &self.claim.superseded
    }

    /// Finishes the turn: saves what was said (or queues it, when the store fails), ends
    /// the caller's stream, then releases the conversation so the next turn reads settled
    /// history. Saving first costs the caller's `response.end` one store write (measured
    /// in `BENCHMARKS.md`), after every sentence was sent.
    pub async fn settle(mut self, said: Option<Said>, caller: Caller) {
        if let Some(Said { question, reply }) = said {
            let conversation = &self.claim.conversation;
            self.ledger.outbox.save(conversation, question, reply).await;
        }
        caller.end();
        self.ledger.coordinator.release(&self.claim).await;
        self.settled = true;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.settled {
            tracing::error!(
                conversation_id = %self.claim.conversation,
                turn_id = %self.claim.turn_id,
                "a turn ended without settling its lease; releasing it without a history write"
            );
            self.ledger.coordinator.abandon(&self.claim);
        }
    }
}
