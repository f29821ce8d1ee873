//! Client tool answers across machines: the machine whose turn waits for a page's answer
//! announces the call (`client:{call}` holds its channel and a token, expiring after the
//! call's timeout); a machine that receives the answer forwards it with one script that
//! publishes on the waiting machine's channel and, once that machine heard it, takes the
//! announcement, so an answer is passed on at most once. If the waiting machine is not
//! subscribed at that moment (it is re-subscribing after losing Redis) the announcement
//! stays and the page is told the answer could not be passed on, so it may send it again.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::Script;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// How long start-up waits for this machine's subscription.
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(5);

use super::{connect, listen, random_u64, store_error, Keys};
use crate::metrics::{Metrics, StoreOperation};
use crate::session::StoreError;
use crate::turn::{ClientRelay, ClientToolCalls};

/// Publishes the answer to the machine that announced the call and, if that machine
/// heard it, takes the announcement: -1 when nobody announced it, else how many listened
/// (0: that machine is not subscribed right now). The announcement is `<channel> <token>`.
const FORWARD: &str = r"
local announced = redis.call('GET', KEYS[1])
if not announced then return -1 end
local channel = string.match(announced, '^(.*) %d+$')
if not channel then return -1 end
local listeners = redis.call('PUBLISH', channel, ARGV[1])
if listeners > 0 then redis.call('DEL', KEYS[1]) end
return listeners
";

/// Deletes an announcement only if it is still the one this registration made.
const WITHDRAW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// This machine's end of the relay.
pub struct RedisClientRelay {
    connection: ConnectionManager,
    keys: Keys,
    channel: String,
    forward: Script,
    withdraw: Script,
    metrics: Metrics,
}

impl std::fmt::Debug for RedisClientRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisClientRelay")
            .field("channel", &self.channel)
            .finish()
    }
}

impl RedisClientRelay {
    /// Connects and subscribes to this machine's channel (returning once subscribed), then
    /// until `shutdown` hands answers forwarded to this machine to `calls`.
    pub async fn connect(
        url: &str,
        prefix: &str,
        calls: ClientToolCalls,
        metrics: Metrics,
        shutdown: CancellationToken,
    ) -> Result<Arc<Self>, StoreError> {
        let (client, connection) = connect(url).await?;
        let keys = Keys::new(prefix);
        let channel = keys.client_channel(&format!("{:016x}", random_u64()));
        let channels = vec![channel.clone()];
        let (subscribed, first) = oneshot::channel();
        let listening = shutdown.child_token();
        let stop = listening.clone();
        tokio::spawn(async move {
            let handle = |_: &str, payload: &str| deliver(&calls, payload);
            listen(
                client,
                channels,
                "client tool answers",
                listening,
                Some(subscribed),
                handle,
            )
            .await;
        });
        if !matches!(
            tokio::time::timeout(SUBSCRIBE_WAIT, first).await,
            Ok(Ok(()))
        ) {
            stop.cancel();
            return Err(StoreError("cannot subscribe to client tool answers".into()));
        }
        Ok(Arc::new(Self {
            connection,
            keys,
            channel,
            forward: Script::new(FORWARD),
            withdraw: Script::new(WITHDRAW),
            metrics,
        }))
    }

    fn failed(&self, error: redis::RedisError) -> StoreError {
        tracing::warn!(%error, operation = StoreOperation::ClientToolResult.as_str(),
            "session store failed");
        self.metrics.store_failed(StoreOperation::ClientToolResult);
        store_error(error)
    }

    /// Deletes the announcement of `key` if it is still `announcement`.
    async fn withdraw_now(&self, key: &str, announcement: String) -> redis::RedisResult<i64> {
        let mut connection = self.connection.clone();
        self.withdraw
            .key(self.keys.client_call(key))
            .arg(announcement)
            .invoke_async(&mut connection)
            .await
    }

    fn announcement(&self, token: u64) -> String {
        format!("{} {token}", self.channel)
    }
}

/// Hands a forwarded answer to the call waiting on this machine.
fn deliver(calls: &ClientToolCalls, payload: &str) {
    let Ok(message) = serde_json::from_str::<Value>(payload) else {
        return;
    };
    if let Some(key) = message["key"].as_str() {
        if !calls.deliver_here(key, message["result"].clone()) {
            tracing::debug!("a forwarded tool result found its call gone");
        }
    }
}

#[async_trait]
impl ClientRelay for RedisClientRelay {
    async fn announce(&self, key: &str, token: u64, ttl: Duration) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        let () = redis::cmd("SET")
            .arg(self.keys.client_call(key))
            .arg(self.announcement(token))
            .arg("PX")
            .arg(ttl.as_millis().max(1) as u64)
            .query_async(&mut connection)
            .await
            .map_err(|e| self.failed(e))?;
        Ok(())
    }

    fn withdraw(self: Arc<Self>, key: &str, token: u64) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // Shutting down: the announcement expires by itself.
        };
        let (key, announcement) = (key.to_string(), self.announcement(token));
        runtime.spawn(async move {
            // A failure leaves the announcement to expire; an answer forwarded meanwhile
            // finds no call and is dropped on the waiting machine.
            let _ = self.withdraw_now(&key, announcement).await;
        });
    }

    async fn forward(&self, key: &str, result: &Value) -> Result<bool, StoreError> {
        let mut connection = self.connection.clone();
        let payload = json!({ "key": key, "result": result }).to_string();
        let listeners: i64 = self
            .forward
            .key(self.keys.client_call(key))
            .arg(payload)
            .invoke_async(&mut connection)
            .await
            .map_err(|e| self.failed(e))?;
        match listeners {
            -1 => Ok(false),
            0 => {
                self.metrics.store_failed(StoreOperation::ClientToolResult);
                Err(StoreError(
                    "the machine running the turn is not listening right now".into(),
                ))
            }
            _ => Ok(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::testing::{no_redis, unique_prefix, REDIS_URL};

    async fn relay(calls: &ClientToolCalls, prefix: &str) -> Arc<RedisClientRelay> {
        let shutdown = CancellationToken::new();
        let relay =
            RedisClientRelay::connect(REDIS_URL, prefix, calls.clone(), Metrics::new(), shutdown)
                .await
                .unwrap_or_else(|e| no_redis(&e));
        calls.set_relay(relay.clone());
        relay
    }

    #[tokio::test]
    async fn an_answer_reaches_the_machine_that_announced_the_call_once() {
        let prefix = unique_prefix();
        let (a, b) = (ClientToolCalls::default(), ClientToolCalls::default());
        let (relay_a, relay_b) = (relay(&a, &prefix).await, relay(&b, &prefix).await);

        assert!(!relay_b
            .forward("x\nconv\nc0", &json!(1))
            .await
            .expect("redis"));

        // A call waiting on A, announced; B forwards the answer, A's call takes it.
        let (waiting, answer) = a.register("x", "conv", "c1");
        waiting.announce(Duration::from_secs(5)).await;
        assert_eq!(
            b.deliver("x", "conv", "c1", json!({"shown": true}))
                .await
                .ok(),
            Some(crate::turn::Delivered::Forwarded)
        );
        let taken = tokio::time::timeout(Duration::from_secs(2), answer).await;
        assert_eq!(
            taken.expect("in time").expect("answered"),
            json!({"shown": true})
        );
        assert!(
            !relay_b
                .forward("x\nconv\nc1", &json!(2))
                .await
                .expect("redis"),
            "taken once"
        );
        drop(waiting);

        // Only the registration's own announcement is withdrawn.
        relay_a
            .announce("x\nconv\nc2", 1, Duration::from_secs(5))
            .await
            .expect("announced");
        let other = relay_a.announcement(2);
        assert_eq!(relay_a.withdraw_now("x\nconv\nc2", other).await, Ok(0));
        let own = relay_a.announcement(1);
        assert_eq!(relay_a.withdraw_now("x\nconv\nc2", own).await, Ok(1));
        assert!(!relay_b
            .forward("x\nconv\nc2", &json!(3))
            .await
            .expect("redis"));
    }

    #[tokio::test]
    async fn an_answer_for_a_machine_not_listening_is_refused_and_kept() {
        let prefix = unique_prefix();
        let calls = ClientToolCalls::default();
        let relay = relay(&calls, &prefix).await;
        // An announcement naming a channel nobody listens on (a machine re-subscribing).
        let mut connection = relay.connection.clone();
        let key = relay.keys.client_call("x\nconv\nc1");
        let gone = format!("{}client-results:gone with space 7", relay.keys.prefix);
        let () = redis::cmd("SET")
            .arg(&key)
            .arg(&gone)
            .arg("PX")
            .arg(5000)
            .query_async(&mut connection)
            .await
            .expect("set");
        assert!(relay.forward("x\nconv\nc1", &json!(1)).await.is_err());
        let kept: Option<String> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .expect("get");
        assert_eq!(kept.as_deref(), Some(gone.as_str()), "kept for a retry");
    }
}
