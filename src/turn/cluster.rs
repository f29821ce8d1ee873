//! Turns across machines, through Redis: a newer turn on one machine supersedes an older
//! turn still streaming on another (whose model request is then cancelled), and waits
//! until that turn has settled its history. The signal is Redis pub/sub, not polling:
//! - `{prefix}running:{conversation}` names the machine-and-turn streaming it (set with
//!   `SET … GET`, which also returns the one it replaces; it expires after the turn budget
//!   in case a machine dies);
//! - `{prefix}supersede` carries `conversation\nturn` to the machine that must stop;
//! - `{prefix}settled` carries `conversation\nturn` once that turn has stored its history.

use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use redis::Script;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::registry::ActiveTurns;

const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('PUBLISH', KEYS[2], ARGV[2] .. '\n' .. ARGV[1])
return 1
";

/// This machine's part in coordinating turns with the others.
pub struct Cluster {
    connection: ConnectionManager,
    prefix: String,
    machine: String,
    claim_ttl: Duration,
    waiters: Arc<DashMap<String, Arc<Notify>>>,
    release: Script,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("machine", &self.machine)
            .finish()
    }
}

impl Cluster {
    /// Connects and starts listening for signals until `shutdown`. `claim_ttl` bounds how
    /// long a claim outlives a machine that died mid-turn.
    pub async fn connect(
        url: &str,
        prefix: &str,
        active: Arc<ActiveTurns>,
        claim_ttl: Duration,
        shutdown: CancellationToken,
    ) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let connection = client
            .get_connection_manager_with_config(crate::session::redis::connection_config())
            .await?;
        let machine = machine_id();
        let waiters: Arc<DashMap<String, Arc<Notify>>> = Arc::new(DashMap::new());
        tokio::spawn(listen(
            client,
            prefix.to_string(),
            machine.clone(),
            active,
            waiters.clone(),
            shutdown,
        ));
        Ok(Self {
            connection,
            prefix: prefix.to_string(),
            machine,
            claim_ttl,
            waiters,
            release: Script::new(RELEASE),
        })
    }

    fn global(&self, id: u64) -> String {
        format!("{}:{id}", self.machine)
    }

    /// Claims `conversation` for local turn `id`. When a turn on another machine held it,
    /// tells that machine to stop and waits up to `wait` for it to settle.
    pub async fn claim(
        &self,
        conversation: &str,
        id: u64,
        wait: Duration,
    ) -> Result<(), redis::RedisError> {
        let me = self.global(id);
        // Waiting starts before the claim, so a settle that comes right after it counts.
        let settled = Arc::new(Notify::new());
        self.waiters
            .insert(conversation.to_string(), settled.clone());
        let result = self.claim_and_wait(conversation, &me, &settled, wait).await;
        self.waiters.remove(conversation);
        result
    }

    async fn claim_and_wait(
        &self,
        conversation: &str,
        me: &str,
        settled: &Notify,
        wait: Duration,
    ) -> Result<(), redis::RedisError> {
        let mut connection = self.connection.clone();
        let previous: Option<String> = redis::cmd("SET")
            .arg(format!("{}running:{conversation}", self.prefix))
            .arg(me)
            .arg("PX")
            .arg(self.claim_ttl.as_millis() as u64)
            .arg("GET")
            .query_async(&mut connection)
            .await?;
        let Some(previous) = previous else {
            return Ok(());
        };
        if previous.starts_with(&format!("{}:", self.machine)) {
            return Ok(()); // Superseded locally already.
        }
        let _: i64 = redis::cmd("PUBLISH")
            .arg(format!("{}supersede", self.prefix))
            .arg(format!("{conversation}\n{previous}"))
            .query_async(&mut connection)
            .await?;
        if tokio::time::timeout(wait, settled.notified())
            .await
            .is_err()
        {
            tracing::warn!(conversation_id = %conversation, "turn on another machine did not settle in time");
        }
        Ok(())
    }

    /// Gives `conversation` up once local turn `id` has settled, and says so.
    pub async fn release(&self, conversation: &str, id: u64) -> Result<(), redis::RedisError> {
        let mut connection = self.connection.clone();
        let _: i64 = self
            .release
            .key(format!("{}running:{conversation}", self.prefix))
            .key(format!("{}settled", self.prefix))
            .arg(self.global(id))
            .arg(conversation)
            .invoke_async(&mut connection)
            .await?;
        Ok(())
    }
}

/// A random id for this process.
fn machine_id() -> String {
    format!("{:016x}", crate::session::redis::random_u64())
}

/// Receives supersede and settled signals; reconnects after losing Redis.
async fn listen(
    client: redis::Client,
    prefix: String,
    machine: String,
    active: Arc<ActiveTurns>,
    waiters: Arc<DashMap<String, Arc<Notify>>>,
    shutdown: CancellationToken,
) {
    let supersede = format!("{prefix}supersede");
    let settled = format!("{prefix}settled");
    let mine = format!("{machine}:");
    while !shutdown.is_cancelled() {
        let mut pubsub = match client.get_async_pubsub().await {
            Ok(pubsub) => pubsub,
            Err(error) => {
                tracing::warn!(%error, "cannot subscribe to turn signals; retrying");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        if let Err(error) = pubsub.subscribe(&[&supersede, &settled]).await {
            tracing::warn!(%error, "cannot subscribe to turn signals; retrying");
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => continue,
            }
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
            let Ok(payload) = message.get_payload::<String>() else {
                continue;
            };
            let Some((conversation, turn)) = payload.split_once('\n') else {
                continue;
            };
            if message.get_channel_name() == settled {
                if let Some(waiter) = waiters.get(conversation) {
                    waiter.notify_one();
                }
            } else {
                if let Some(id) = turn.strip_prefix(&mine).and_then(|id| id.parse().ok()) {
                    active.supersede_if(conversation, id);
                }
            }
        }
    }
}
