//! Client tool answers across machines: the machine whose turn waits for a page's answer
//! announces the call (`client:{call}` holds its channel and a token, expiring after the
//! call's timeout); a machine that receives the answer forwards it with one script that
//! takes the announcement and publishes on the waiting machine's channel, so an answer is
//! passed on at most once.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::Script;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::{connection_config, listen, random_u64, Keys};
use crate::session::StoreError;
use crate::turn::{ClientCalls, ClientRelay};

/// Takes the announcement of a call and publishes the answer to the machine that made it:
/// -1 when nobody announced it, else how many listened (0: that machine is gone).
const FORWARD: &str = r"
local announced = redis.call('GET', KEYS[1])
if not announced then return -1 end
redis.call('DEL', KEYS[1])
local channel = string.match(announced, '^(%S+)')
return redis.call('PUBLISH', channel, ARGV[1])
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
}

impl std::fmt::Debug for RedisClientRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisClientRelay")
            .field("channel", &self.channel)
            .finish()
    }
}

fn failed(error: redis::RedisError) -> StoreError {
    StoreError(error.to_string())
}

impl RedisClientRelay {
    /// Connects, and until `shutdown` hands answers forwarded to this machine to `calls`.
    pub async fn connect(
        url: &str,
        prefix: &str,
        calls: ClientCalls,
        shutdown: CancellationToken,
    ) -> Result<Arc<Self>, StoreError> {
        let client = redis::Client::open(url).map_err(failed)?;
        let connection = client
            .get_connection_manager_with_config(connection_config())
            .await
            .map_err(failed)?;
        let keys = Keys::new(prefix);
        let channel = keys.client_channel(&format!("{:016x}", random_u64()));
        let channels = vec![channel.clone()];
        tokio::spawn(async move {
            listen(
                client,
                channels,
                "client tool answers",
                shutdown,
                |_, payload| {
                    deliver(&calls, payload);
                },
            )
            .await;
        });
        Ok(Arc::new(Self {
            connection,
            keys,
            channel,
            forward: Script::new(FORWARD),
            withdraw: Script::new(WITHDRAW),
        }))
    }

    fn announcement(&self, token: u64) -> String {
        format!("{} {token}", self.channel)
    }
}

/// Hands a forwarded answer to the call waiting on this machine.
fn deliver(calls: &ClientCalls, payload: &str) {
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
            .map_err(failed)?;
        Ok(())
    }

    fn withdraw(&self, key: &str, token: u64) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // Shutting down: the announcement expires by itself.
        };
        let mut connection = self.connection.clone();
        let script = self.withdraw.clone();
        let (key, announcement) = (self.keys.client_call(key), self.announcement(token));
        runtime.spawn(async move {
            let _: Result<i64, _> = script
                .key(key)
                .arg(announcement)
                .invoke_async(&mut connection)
                .await;
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
            .map_err(failed)?;
        Ok(listeners > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::testing::{no_redis, unique_prefix, REDIS_URL};

    async fn relay(calls: &ClientCalls, prefix: &str) -> Arc<RedisClientRelay> {
        let shutdown = CancellationToken::new();
        let relay = RedisClientRelay::connect(REDIS_URL, prefix, calls.clone(), shutdown)
            .await
            .unwrap_or_else(|e| no_redis(&e));
        calls.set_relay(relay.clone());
        relay
    }

    #[tokio::test]
    async fn an_answer_reaches_the_machine_that_announced_the_call_once() {
        let prefix = unique_prefix();
        let (a, b) = (ClientCalls::default(), ClientCalls::default());
        let (relay_a, relay_b) = (relay(&a, &prefix).await, relay(&b, &prefix).await);
        // Let both listeners subscribe.
        tokio::time::sleep(Duration::from_millis(200)).await;

        assert!(!relay_b
            .forward("x\nconv\nc0", &json!(1))
            .await
            .expect("redis"));

        let token = 7;
        relay_a
            .announce("x\nconv\nc1", token, Duration::from_secs(5))
            .await
            .expect("announced");
        assert!(relay_b
            .forward("x\nconv\nc1", &json!({"shown": true}))
            .await
            .expect("redis"));
        assert!(
            !relay_b
                .forward("x\nconv\nc1", &json!(2))
                .await
                .expect("redis"),
            "taken once"
        );

        // A withdrawn announcement is not forwarded to; another token's is left alone.
        relay_a
            .announce("x\nconv\nc2", 1, Duration::from_secs(5))
            .await
            .expect("announced");
        relay_a.withdraw("x\nconv\nc2", 2);
        relay_a.withdraw("x\nconv\nc3", 1);
        tokio::time::sleep(Duration::from_millis(100)).await;
        relay_a
            .announce("x\nconv\nc3", 1, Duration::from_secs(5))
            .await
            .expect("announced");
        relay_a.withdraw("x\nconv\nc3", 1);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(relay_b
            .forward("x\nconv\nc2", &json!(3))
            .await
            .expect("redis"));
        assert!(!relay_b
            .forward("x\nconv\nc3", &json!(3))
            .await
            .expect("redis"));
    }
}
