//! Client tool calls waiting for the page's answer.
//!
//! A call is registered on the machine whose turn waits for it. The page's answer comes
//! back as a `data` webhook, which Layercode may deliver to any machine: on the machine
//! that waits, it is handed over at once; elsewhere it goes through a [`ClientRelay`]
//! (Redis when `SESSION_STORE_URL` is set: the waiting machine announces each call, and
//! the answer is forwarded to it). Without a relay only this machine's calls are answered.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::session::StoreError;

/// Carries page answers between machines.
#[async_trait]
pub trait ClientRelay: Send + Sync + std::fmt::Debug {
    /// Says that the call `key` waits on this machine, for at most `ttl`; `token` tells
    /// this registration from a later one of the same key.
    async fn announce(&self, key: &str, token: u64, ttl: Duration) -> Result<(), StoreError>;

    /// Forgets the announcement of `key` made with `token` (answered, timed out or
    /// dropped). Must not block: it runs when a wait is dropped.
    fn withdraw(self: Arc<Self>, key: &str, token: u64);

    /// Passes `result` to the machine where `key` waits; false when no machine announced
    /// it. An error when it could not be passed on (the store failed, or the waiting
    /// machine is not listening right now); the announcement then stays.
    async fn forward(&self, key: &str, result: &Value) -> Result<bool, StoreError>;
}

/// Client tool calls waiting for the page's answer, by agent, conversation and call id:
/// one registry shared by every agent, which the `data` webhook delivers `tool_result`s to.
/// A call is registered only while its turn waits for it.
#[derive(Debug, Clone, Default)]
pub struct ClientToolCalls(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    waiting: dashmap::DashMap<String, (u64, oneshot::Sender<Value>)>,
    next: std::sync::atomic::AtomicU64,
    relay: OnceLock<Arc<dyn ClientRelay>>,
}

/// What became of a page's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// A call on this machine took it.
    Here,
    /// It went to the machine whose call waits for it.
    Forwarded,
    /// No call waits for it.
    Nobody,
}

impl ClientToolCalls {
    fn key(agent: &str, conversation_id: &str, call_id: &str) -> String {
        format!("{agent}\n{conversation_id}\n{call_id}")
    }

    /// Answers that arrive on another machine are forwarded through `relay` from now on.
    /// Set once, at start-up; a second relay is ignored.
    pub fn set_relay(&self, relay: Arc<dyn ClientRelay>) {
        let _ = self.0.relay.set(relay);
    }

    /// Registers call `call_id` of `agent`'s conversation `conversation_id` (Layercode's
    /// id) on this machine; the call waits until the guard is dropped. Other machines
    /// learn of it with [`Waiting::announce`].
    pub(crate) fn register(
        &self,
        agent: &str,
        conversation_id: &str,
        call_id: &str,
    ) -> (Waiting, oneshot::Receiver<Value>) {
        let key = Self::key(agent, conversation_id, call_id);
        let token = self
            .0
            .next
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (sender, receiver) = oneshot::channel();
        self.0.waiting.insert(key.clone(), (token, sender));
        let waiting = Waiting {
            calls: self.clone(),
            key,
            token,
        };
        (waiting, receiver)
    }

    /// Delivers the page's `result` to the waiting call `call_id` of `agent`'s
    /// conversation `conversation_id`: here, or on the machine that waits for it.
    pub async fn deliver(
        &self,
        agent: &str,
        conversation_id: &str,
        call_id: &str,
        result: Value,
    ) -> Result<Delivered, StoreError> {
        let key = Self::key(agent, conversation_id, call_id);
        if self.deliver_here(&key, result.clone()) {
            return Ok(Delivered::Here);
        }
        let Some(relay) = self.0.relay.get() else {
            return Ok(Delivered::Nobody);
        };
        Ok(match relay.forward(&key, &result).await? {
            true => Delivered::Forwarded,
            false => Delivered::Nobody,
        })
    }

    /// Hands `result` to the call `key` if it waits on this machine (the relay's listener
    /// calls this with answers forwarded from other machines).
    pub fn deliver_here(&self, key: &str, result: Value) -> bool {
        match self.0.waiting.remove(key) {
            Some((_, (_, sender))) => sender.send(result).is_ok(),
            None => false,
        }
    }

    /// How many calls are waiting on this machine.
    pub fn len(&self) -> usize {
        self.0.waiting.len()
    }

    /// True when no call is waiting on this machine.
    pub fn is_empty(&self) -> bool {
        self.0.waiting.is_empty()
    }
}

/// A registered client call: dropping it (the answer came, the wait timed out, or a
/// barge-in aborted the task) removes the registration, unless a newer one took its id,
/// and withdraws its announcement.
pub(crate) struct Waiting {
    calls: ClientToolCalls,
    key: String,
    token: u64,
}

impl Waiting {
    /// Tells the other machines that this call waits here, for at most `ttl`, so that an
    /// answer delivered to one of them is forwarded. Without a relay there is nobody to
    /// tell; a relay failure (logged and counted by the relay) leaves the call taking only
    /// answers that reach this machine.
    pub(crate) async fn announce(&self, ttl: Duration) {
        let Some(relay) = self.calls.0.relay.get() else {
            return;
        };
        if relay.announce(&self.key, self.token, ttl).await.is_err() {
            tracing::warn!("a client tool call was not announced: only an answer that reaches this machine is taken");
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.calls
            .0
            .waiting
            .remove_if(&self.key, |_, (token, _)| *token == self.token);
        if let Some(relay) = self.calls.0.relay.get() {
            relay.clone().withdraw(&self.key, self.token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Mutex;

    #[tokio::test]
    async fn a_client_call_is_registered_until_answered_or_dropped() {
        let calls = ClientToolCalls::default();
        let (waiting, answer) = calls.register("a", "conv", "c1");
        assert_eq!(calls.len(), 1);
        let deliver = |agent, conv, id, value| calls.deliver(agent, conv, id, value);
        assert_eq!(
            deliver("a", "other", "c1", json!(1)).await.ok(),
            Some(Delivered::Nobody)
        );
        assert_eq!(
            deliver("b", "conv", "c1", json!(1)).await.ok(),
            Some(Delivered::Nobody)
        );
        assert_eq!(
            deliver("a", "conv", "c1", json!({"shown": true}))
                .await
                .ok(),
            Some(Delivered::Here)
        );
        assert_eq!(answer.await.expect("answered"), json!({"shown": true}));
        assert!(calls.is_empty());
        assert_eq!(
            deliver("a", "conv", "c1", json!(1)).await.ok(),
            Some(Delivered::Nobody),
            "only once"
        );
        drop(waiting);

        let (waiting, _answer) = calls.register("a", "conv", "c2");
        drop(waiting);
        assert!(calls.is_empty(), "a dropped wait is forgotten");

        let (older, _first) = calls.register("a", "conv", "c3");
        let (_newer, second) = calls.register("a", "conv", "c3");
        drop(older);
        assert_eq!(calls.len(), 1, "the newer registration stays");
        assert_eq!(
            deliver("a", "conv", "c3", json!(2)).await.ok(),
            Some(Delivered::Here)
        );
        assert_eq!(second.await.expect("answered"), json!(2));
    }

    /// A relay that records what it is asked and forwards to a second registry.
    #[derive(Debug, Default)]
    struct Recording {
        announced: Mutex<Vec<(String, u64, Duration)>>,
        withdrawn: Mutex<Vec<(String, u64)>>,
        other: ClientToolCalls,
    }

    #[async_trait]
    impl ClientRelay for Recording {
        async fn announce(&self, key: &str, token: u64, ttl: Duration) -> Result<(), StoreError> {
            self.announced
                .lock()
                .expect("lock")
                .push((key.into(), token, ttl));
            Ok(())
        }
        fn withdraw(self: Arc<Self>, key: &str, token: u64) {
            self.withdrawn
                .lock()
                .expect("lock")
                .push((key.into(), token));
        }
        async fn forward(&self, key: &str, result: &Value) -> Result<bool, StoreError> {
            Ok(self.other.deliver_here(key, result.clone()))
        }
    }

    #[tokio::test]
    async fn an_answer_for_a_call_elsewhere_goes_through_the_relay() {
        let (here, there) = (ClientToolCalls::default(), ClientToolCalls::default());
        let relay = Arc::new(Recording {
            other: there.clone(),
            ..Recording::default()
        });
        here.set_relay(relay.clone());
        let (waiting, answer) = there.register("a", "conv", "c1");
        assert_eq!(
            here.deliver("a", "conv", "c1", json!("ok")).await.ok(),
            Some(Delivered::Forwarded)
        );
        assert_eq!(answer.await.expect("answered"), json!("ok"));
        assert_eq!(
            here.deliver("a", "conv", "c1", json!("ok")).await.ok(),
            Some(Delivered::Nobody)
        );
        drop(waiting);

        let (waiting, _answer) = here.register("a", "conv", "c2");
        waiting.announce(Duration::from_secs(3)).await;
        let token = relay.announced.lock().expect("lock")[0].1;
        drop(waiting);
        assert_eq!(
            relay.announced.lock().expect("lock").as_slice(),
            [("a\nconv\nc2".to_string(), token, Duration::from_secs(3))]
        );
        assert_eq!(
            relay.withdrawn.lock().expect("lock").as_slice(),
            [("a\nconv\nc2".to_string(), token)],
            "a dropped wait withdraws its own announcement"
        );
    }
}
