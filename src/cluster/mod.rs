//! Conversations shared across machines through Redis: the history store
//! ([`RedisStore`]) and the turn coordinator ([`RedisCoordinator`]). The only module that
//! knows Redis: key names, channels, scripts and connection settings live here, and the
//! rest of the crate sees the `SessionStore` and `Coordinator` traits.
//!
//! Keys, all under the configured prefix:
//! - `conv:{conversation}`: a hash with the history's version `v` and messages `m`;
//! - `running:{conversation}`: the machine-and-turn streaming it (set with `SET … GET`,
//!   which also returns the one it replaces; it expires after the turn budget in case a
//!   machine dies);
//! - `settled:{conversation}:{turn}`: set briefly by a superseded turn as it settles, so
//!   a successor that starts waiting just after the signal still sees it;
//! - channel `supersede` carries `conversation\nturn` to the machine that must stop;
//! - channel `settled` carries `conversation\nturn` once that turn has stored its history;
//! - `client:{agent}\n{conversation}\n{call}`: the channel (and registration) of the
//!   machine whose turn waits for that client tool call, expiring after the call's timeout;
//! - channel `client-results:{machine}` carries a page's answer to that machine, as JSON
//!   `{"key": …, "result": …}`.

use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio_util::sync::CancellationToken;

use crate::session::StoreError;

mod client_tools;
mod coordinator;
mod reconnect;
mod store;

pub use client_tools::RedisClientRelay;
pub use coordinator::RedisCoordinator;
pub use store::RedisStore;

/// The key and channel names of one deployment (one prefix).
#[derive(Debug, Clone)]
struct Keys {
    prefix: String,
}

impl Keys {
    fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_string(),
        }
    }

    fn conversation(&self, conversation: &str) -> String {
        format!("{}conv:{conversation}", self.prefix)
    }

    fn running(&self, conversation: &str) -> String {
        format!("{}running:{conversation}", self.prefix)
    }

    fn settled(&self, conversation: &str, turn: &str) -> String {
        format!("{}settled:{conversation}:{turn}", self.prefix)
    }

    fn supersede_channel(&self) -> String {
        format!("{}supersede", self.prefix)
    }

    fn settled_channel(&self) -> String {
        format!("{}settled", self.prefix)
    }

    fn client_call(&self, call: &str) -> String {
        format!("{}client:{call}", self.prefix)
    }

    fn client_channel(&self, machine: &str) -> String {
        format!("{}client-results:{machine}", self.prefix)
    }
}

/// How every Redis connection behaves: a voice turn cannot wait long for its store, so a
/// command fails after about a second. A lost connection is re-established in the
/// background by one attempt at a time, with no pause of its own: the operation that
/// found it lost tries again on the new one (`reconnect`, within the same second), and
/// while Redis stays down, operations fail at once and turns go on without history. (The
/// manager's own retries would make every command wait out their pauses during an outage.)
fn connection_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Duration::from_millis(1_000))
        .set_response_timeout(Duration::from_millis(1_000))
        .set_number_of_retries(0)
}

/// A Redis failure as the session store's error.
fn store_error(error: redis::RedisError) -> StoreError {
    StoreError(error.to_string())
}

/// A client for `url` (kept for pub/sub) and a connection that reconnects by itself
/// ([`connection_config`]).
async fn connect(url: &str) -> Result<(redis::Client, ConnectionManager), StoreError> {
    let client = redis::Client::open(url).map_err(store_error)?;
    let connection = client
        .get_connection_manager_with_config(connection_config())
        .await
        .map_err(store_error)?;
    Ok((client, connection))
}

/// Subscribes to `channels` and hands each message (channel, payload) to `handle` until
/// `shutdown`, subscribing again after losing Redis (messages published meanwhile are
/// not received). `first_subscribed` hears when the first subscription is in place. `what`
/// names the signals in logs.
async fn listen(
    client: redis::Client,
    channels: Vec<String>,
    what: &str,
    shutdown: CancellationToken,
    mut first_subscribed: Option<tokio::sync::oneshot::Sender<()>>,
    mut handle: impl FnMut(&str, &str),
) {
    while !shutdown.is_cancelled() {
        let subscribed = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&channels).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        let mut pubsub = match subscribed.await {
            Ok(pubsub) => pubsub,
            Err(error) => {
                tracing::warn!(%error, "cannot subscribe to {what}; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        if let Some(first) = first_subscribed.take() {
            let _ = first.send(());
        }
        let mut messages = pubsub.on_message();
        loop {
            let message = tokio::select! {
                () = shutdown.cancelled() => return,
                message = messages.next() => message,
            };
            let Some(message) = message else {
                break; // Connection lost: subscribe again.
            };
            if let Ok(payload) = message.get_payload::<String>() {
                handle(message.get_channel_name(), &payload);
            }
        }
    }
}

/// A random number from the standard library's hasher seeds: good enough for jitter and
/// ids, without a dependency.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// What the Redis tests share: where Redis is, a prefix per test, and a clear failure.
#[cfg(test)]
pub(crate) mod testing {
    /// The local Redis that `scripts/test` starts.
    pub const REDIS_URL: &str = "redis://127.0.0.1:6379";

    /// A key prefix no other test uses.
    pub fn unique_prefix() -> String {
        format!("voicebridge-test:{:016x}:", super::random_u64())
    }

    /// Drops the server side of `connection` (as a Redis restart or a failover would),
    /// from a connection of its own.
    pub async fn drop_connection(connection: &redis::aio::ConnectionManager) {
        let mut connection = connection.clone();
        let id: i64 = redis::cmd("CLIENT")
            .arg("ID")
            .query_async(&mut connection)
            .await
            .expect("redis");
        let client = redis::Client::open(REDIS_URL).expect("url");
        let mut killer = client
            .get_multiplexed_async_connection()
            .await
            .expect("redis");
        let killed: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(id)
            .query_async(&mut killer)
            .await
            .expect("redis");
        assert_eq!(killed, 1);
    }

    /// Fails a test that cannot reach Redis, saying how to start it.
    pub fn no_redis(error: &dyn std::fmt::Display) -> ! {
        panic!(
            "these tests need Redis on {REDIS_URL} ({error}); `scripts/test` starts one, or run \
             `redis-server --daemonize yes --port 6379 --save '' --appendonly no`"
        )
    }
}
