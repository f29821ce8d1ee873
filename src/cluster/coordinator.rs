//! Newest turn wins across machines: a newer turn on one machine supersedes an older turn
//! still streaming on another (whose model request is then cancelled), and waits until
//! exactly that turn has settled its history. Signals go through Redis pub/sub, not
//! polling; the keys and channels are described in the module above.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use dashmap::DashMap;
use redis::aio::ConnectionManager;
use redis::Script;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::reconnect::Link;
use super::{connect, listen, random_u64, Keys};
use crate::metrics::{Metrics, StoreOperation};
use crate::session::StoreError;
use crate::turn::{Claim, Coordinator, LocalCoordinator};

/// Gives the conversation up if this turn still holds it; otherwise a newer turn waits for
/// this one, so leave a short-lived mark and say it has settled.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
redis.call('PUBLISH', KEYS[2], ARGV[2] .. '\n' .. ARGV[1])
return 1
";

/// How long a settled mark outlives its turn: longer than any successor waits.
const SETTLED_MARK_MS: u64 = 30_000;

/// A turn waiting for another, keyed by conversation and the turn it waits for.
type Waiters = DashMap<(String, String), Arc<Notify>>;

/// This machine's part in coordinating turns with the others.
pub struct RedisCoordinator {
    local: Arc<LocalCoordinator>,
    connection: ConnectionManager,
    keys: Keys,
    machine: String,
    claim_ttl: Duration,
    waiters: Arc<Waiters>,
    release: Script,
    metrics: Metrics,
    link: Link,
}

impl std::fmt::Debug for RedisCoordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCoordinator")
            .field("machine", &self.machine)
            .finish()
    }
}

impl RedisCoordinator {
    /// Connects and listens for signals until `shutdown`. `claim_ttl` bounds how long a
    /// claim outlives a machine that died mid-turn.
    pub async fn connect(
        url: &str,
        prefix: &str,
        claim_ttl: Duration,
        metrics: Metrics,
        shutdown: CancellationToken,
    ) -> Result<Self, StoreError> {
        let (client, connection) = connect(url).await?;
        let machine = format!("{:016x}", random_u64());
        let local = Arc::new(LocalCoordinator::new());
        let waiters = Arc::new(Waiters::new());
        let keys = Keys::new(prefix);
        let listener = Listener {
            keys: keys.clone(),
            mine: format!("{machine}:"),
            local: local.clone(),
            waiters: waiters.clone(),
        };
        tokio::spawn(listener.run(client, shutdown));
        Ok(Self {
            local,
            connection,
            keys,
            machine,
            claim_ttl,
            waiters,
            release: Script::new(RELEASE),
            metrics,
            link: Link::default(),
        })
    }

    fn global(&self, id: u64) -> String {
        format!("{}:{id}", self.machine)
    }

    fn failed(&self, operation: StoreOperation, claim: &Claim, error: &redis::RedisError) {
        tracing::warn!(
            %error,
            operation = operation.as_str(),
            conversation_id = %claim.conversation,
            turn_id = %claim.turn_id,
            "session store failed"
        );
        self.metrics.store_failed(operation);
    }

    /// Claims the conversation in Redis; when a turn on another machine held it, tells
    /// that machine to stop and waits up to `wait` for exactly that turn to settle.
    async fn claim_across(&self, claim: &Claim, wait: Duration) -> redis::RedisResult<()> {
        let conversation = claim.conversation.as_str();
        // Tried again after a dropped connection: a SET that landed before its answer was
        // lost comes back as this turn's own claim, which needs no waiting.
        let previous: Option<String> = self
            .link
            .tries()?
            .run(|| async move {
                redis::cmd("SET")
                    .arg(self.keys.running(conversation))
                    .arg(self.global(claim.id))
                    .arg("PX")
                    .arg(self.claim_ttl.as_millis() as u64)
                    .arg("GET")
                    .query_async(&mut self.connection.clone())
                    .await
            })
            .await?;
        let Some(previous) = previous else {
            return Ok(());
        };
        if previous.starts_with(&format!("{}:", self.machine)) {
            return Ok(()); // Superseded, and waited for, locally.
        }
        let key = (conversation.to_string(), previous);
        let settled = Arc::new(Notify::new());
        self.waiters.insert(key.clone(), settled.clone());
        let result = self.supersede_and_wait(&key, &settled, wait).await;
        self.waiters.remove(&key);
        result
    }

    async fn supersede_and_wait(
        &self,
        (conversation, previous): &(String, String),
        settled: &Notify,
        wait: Duration,
    ) -> redis::RedisResult<()> {
        let mut connection = self.connection.clone();
        // The mark catches a settle that happened before this turn started listening.
        let (_, already): (i64, bool) = redis::pipe()
            .cmd("PUBLISH")
            .arg(self.keys.supersede_channel())
            .arg(format!("{conversation}\n{previous}"))
            .cmd("EXISTS")
            .arg(self.keys.settled(conversation, previous))
            .query_async(&mut connection)
            .await?;
        if !already
            && tokio::time::timeout(wait, settled.notified())
                .await
                .is_err()
        {
            tracing::warn!(conversation_id = %conversation, "turn on another machine did not settle in time");
        }
        Ok(())
    }

    /// Tried again after a dropped connection: a release that landed already deleted the
    /// claim, so the second marks and announces a settle nobody waits for, which is harmless.
    async fn release_across(&self, claim: &Claim) -> redis::RedisResult<()> {
        let me = &self.global(claim.id);
        let _: i64 = self
            .link
            .tries()?
            .run(|| async move {
                self.release
                    .key(self.keys.running(&claim.conversation))
                    .key(self.keys.settled_channel())
                    .key(self.keys.settled(&claim.conversation, me))
                    .arg(me)
                    .arg(&claim.conversation)
                    .arg(SETTLED_MARK_MS)
                    .invoke_async(&mut self.connection.clone())
                    .await
            })
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Coordinator for RedisCoordinator {
    async fn claim(&self, conversation: &str, turn_id: &str, wait: Duration) -> Claim {
        let claim = self.local.claim(conversation, turn_id, wait).await;
        if let Err(error) = self.claim_across(&claim, wait).await {
            self.failed(StoreOperation::Claim, &claim, &error);
        }
        claim
    }

    async fn release(&self, claim: &Claim) {
        if let Err(error) = self.release_across(claim).await {
            self.failed(StoreOperation::Release, claim, &error);
        }
        self.local.release(claim).await;
    }

    fn abandon(&self, claim: &Claim) {
        // The claim in Redis expires after `claim_ttl`; locally the next turn goes on now.
        self.local.abandon(claim);
    }
}

/// Receives supersede and settled signals; reconnects after losing Redis.
struct Listener {
    keys: Keys,
    mine: String,
    local: Arc<LocalCoordinator>,
    waiters: Arc<Waiters>,
}

impl Listener {
    async fn run(self, client: redis::Client, shutdown: CancellationToken) {
        let channels = vec![self.keys.supersede_channel(), self.keys.settled_channel()];
        let settled_channel = channels[1].clone();
        listen(
            client,
            channels,
            "turn signals",
            shutdown,
            None,
            |channel, payload| {
                self.handle(channel == settled_channel, payload);
            },
        )
        .await;
    }

    fn handle(&self, settled: bool, payload: &str) {
        let Some((conversation, turn)) = payload.split_once('\n') else {
            return;
        };
        if settled {
            let key = (conversation.to_string(), turn.to_string());
            if let Some(waiter) = self.waiters.get(&key) {
                waiter.notify_one();
            }
        } else if let Some(id) = turn.strip_prefix(&self.mine).and_then(|id| id.parse().ok()) {
            self.local.supersede_if(conversation, id);
        }
    }
}

#[cfg(test)]
mod tests;
