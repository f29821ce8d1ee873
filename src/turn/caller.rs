//! The caller's side of one turn: where its events go, whether the caller is still there,
//! how much of the reply it has received, and when its webhook arrived. One value for the
//! turn's output, so the turn never juggles parallel channels; the edge keeps the other
//! half ([`Delivery`]) and frames what arrives as SSE.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, DropGuard};

/// What a turn sends to the caller, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum TurnEvent {
    /// Text to speak (`response.tts`), with the moment the upstream bytes that completed
    /// it were received, when upstream bytes did (for the added-latency metric).
    Speak(String, Option<std::time::Instant>),
    /// JSON for the browser (`response.data`).
    Data(serde_json::Value),
    /// A piece of the reply's text for the browser: `response.data` with
    /// `{"delta": …}`, framed without building a JSON value per piece.
    Delta(String),
    /// The turn is over (`response.end`); nothing follows.
    End,
    /// The OpenAI door only: tools of the platform's that the model called, for the
    /// platform to run; sent once, before [`TurnEvent::Finished`].
    Handoff(Vec<crate::session::ToolCall>),
    /// The OpenAI door only: why the reply ended (`stop`, `length`, `tool_calls`) and its
    /// tokens, just before [`TurnEvent::End`].
    Finished {
        /// The chat-completions `finish_reason`.
        reason: &'static str,
        /// The turn's tokens, when the provider reported them.
        usage: Option<crate::llm::Usage>,
    },
}

/// The turn's handle on its caller. [`Caller::end`] closes the stream, once; dropping a
/// caller that was not ended closes it too (the edge still frames `response.end`), but
/// that is a safety net for a turn that died, and it is logged.
#[derive(Debug)]
pub struct Caller {
    events: Option<UnboundedSender<TurnEvent>>,
    cancel: CancellationToken,
    delivered: Arc<AtomicUsize>,
    received_at: Instant,
}

/// The edge's half: the events to frame, the count of `response.tts` frames handed to
/// the client, and a guard that tells the turn its caller went away when dropped.
#[derive(Debug)]
pub struct Delivery {
    /// The turn's events, ending with [`TurnEvent::End`] (or the channel closing).
    pub events: UnboundedReceiver<TurnEvent>,
    /// Incremented by the edge for every sentence it framed.
    pub delivered: Arc<AtomicUsize>,
    /// Cancels the turn when dropped (the client hung up, or the body is gone).
    pub cancel_on_drop: DropGuard,
}

impl Caller {
    /// A caller whose webhook arrived at `received_at`; `cancel` also fires on shutdown.
    pub fn new(cancel: CancellationToken, received_at: Instant) -> (Self, Delivery) {
        let (sender, events) = unbounded_channel();
        let delivered = Arc::new(AtomicUsize::new(0));
        let delivery = Delivery {
            events,
            delivered: delivered.clone(),
            cancel_on_drop: cancel.clone().drop_guard(),
        };
        let caller = Self {
            events: Some(sender),
            cancel,
            delivered,
            received_at,
        };
        (caller, delivery)
    }

    /// Sends an event; a caller that went away is not an error here (the cancellation
    /// token carries that).
    pub fn send(&self, event: TurnEvent) {
        if let Some(events) = &self.events {
            let _ = events.send(event);
        }
    }

    /// Ends the caller's stream (`response.end`). Consumes the caller: it happens once.
    pub fn end(mut self) {
        if let Some(events) = self.events.take() {
            let _ = events.send(TurnEvent::End);
        }
    }

    /// Fires when the caller went away or the server is stopping.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// How many `response.tts` events the edge has handed to the client so far.
    pub fn delivered(&self) -> usize {
        self.delivered.load(Ordering::Acquire)
    }

    /// When the webhook arrived; the turn's time budget counts from here.
    pub fn received_at(&self) -> Instant {
        self.received_at
    }
}

impl Drop for Caller {
    fn drop(&mut self) {
        if self.events.is_some() {
            tracing::error!("a turn dropped its caller without ending it; closing the stream");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn end_sends_one_end_then_closes() {
        let (caller, mut delivery) = Caller::new(CancellationToken::new(), Instant::now());
        caller.send(TurnEvent::Data(serde_json::json!({"delta": "x"})));
        caller.end();
        assert!(matches!(
            delivery.events.recv().await,
            Some(TurnEvent::Data(_))
        ));
        assert_eq!(delivery.events.recv().await, Some(TurnEvent::End));
        assert_eq!(delivery.events.recv().await, None);
    }

    #[test]
    fn dropping_the_delivery_cancels_the_turn() {
        let (caller, delivery) = Caller::new(CancellationToken::new(), Instant::now());
        drop(delivery);
        assert!(caller.cancellation().is_cancelled());
        caller.end();
    }
}
