//! The Redis `SessionStore`, for more than one machine. A conversation is one hash
//! (`conv:{id}`) with a version `v`, the JSON messages `m` and their format `f`, expiring
//! after the idle TTL (Redis expires it; no sweeper).
//!
//! The page's client variables (`session::client`) are the JSON object `c`, written with
//! the history under the same version.
//!
//! Formats: 1 (no `f`) is role, content and turn bookkeeping; 2 adds `tool_calls` and
//! `tool_results` on assistant messages, in OpenAI's shapes. A machine reads every format
//! up to its own and refuses a newer one (an error, not a silent loss of tool calls); an
//! older machine reading format 2 ignores the tool fields.
//!
//! Writes are optimistic: read `v` and `m` (one round trip), apply the history rules in
//! Rust (`History`), then a Lua compare-and-set writes the new state only if `v` is
//! unchanged (one round trip), retrying on a conflict, and from the read again when the
//! connection dropped (`super::reconnect`; every operation is idempotent per turn, so a
//! write that landed before its answer was lost is applied once). Two webhooks for one conversation on
//! two machines therefore never interleave their writes, the rules live in one place
//! (`session::history`) rather than twice (Rust and Lua), and there is no lock to be left behind
//! by a machine that dies.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};

use super::reconnect::{Link, Tries};
use super::{connect, random_u64, store_error, Keys};
use crate::session::history::{ChatMessage, Heard, History, HistoryLimits};
use crate::session::{merge_client, ClientVars, SessionStore, StoreError};

/// Conflicts retried before a write gives up. Conflicts need webhooks for one
/// conversation arriving together; the stress test runs forty at once.
const MAX_ATTEMPTS: u32 = 64;

/// The format this version writes (see the module's doc).
const FORMAT: u32 = 2;

const COMPARE_AND_SET: &str = r"
local current = redis.call('HGET', KEYS[1], 'v')
if (current or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'm', ARGV[3], 'f', ARGV[5], 'c', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
";

/// Histories in Redis, shared by every machine that uses the same URL and prefix.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    keys: Keys,
    limits: HistoryLimits,
    ttl: Duration,
    compare_and_set: Script,
    link: Link,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.keys.prefix)
            .finish()
    }
}

impl RedisStore {
    /// Connects and checks the server answers; the connection then reconnects by itself.
    pub async fn connect(
        url: &str,
        prefix: &str,
        limits: HistoryLimits,
        ttl: Duration,
    ) -> Result<Self, StoreError> {
        let (_, mut connection) = connect(url).await?;
        let _: String = redis::cmd("PING")
            .query_async(&mut connection)
            .await
            .map_err(store_error)?;
        Ok(Self {
            connection,
            keys: Keys::new(prefix),
            limits,
            ttl,
            compare_and_set: Script::new(COMPARE_AND_SET),
            link: Link::default(),
        })
    }

    /// Reads a conversation's version, history and client variables; a history that an
    /// older version stored breaking the rules comes back repaired (see `History`).
    async fn load(&self, key: &str) -> Result<(String, History, ClientVars), StoreError> {
        let mut tries = self.link.tries().map_err(store_error)?;
        self.load_trying(key, &mut tries).await
    }

    /// [`Self::load`] within an operation's `tries`.
    async fn load_trying(
        &self,
        key: &str,
        tries: &mut Tries<'_>,
    ) -> Result<(String, History, ClientVars), StoreError> {
        tries
            .run(|| self.try_load(key))
            .await
            .map_err(store_error)?
    }

    /// One read; the outer error is Redis's, the inner one the stored data's.
    async fn try_load(
        &self,
        key: &str,
    ) -> redis::RedisResult<Result<(String, History, ClientVars), StoreError>> {
        let mut connection = self.connection.clone();
        type Fields = (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let (version, messages, format, client): Fields =
            connection.hget(key, &["v", "m", "f", "c"]).await?;
        Ok(Self::decode(version, messages, format, client))
    }

    fn decode(
        version: Option<String>,
        messages: Option<String>,
        format: Option<String>,
        client: Option<String>,
    ) -> Result<(String, History, ClientVars), StoreError> {
        let format = format.map_or(Some(1), |f| f.parse::<u32>().ok());
        if format.is_none_or(|f| f > FORMAT) {
            return Err(StoreError(format!(
                "this conversation was stored in a newer format than this version reads ({FORMAT})"
            )));
        }
        let history = match messages {
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| StoreError(format!("stored history is not readable: {e}")))?,
            None => History::new(),
        };
        // Client variables are context, not record: unreadable ones start afresh.
        let client = client
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
        Ok((version.unwrap_or_default(), history, client))
    }

    /// Applies `update` to the conversation's history and client variables atomically.
    async fn update<T>(
        &self,
        conversation: &str,
        mut update: impl FnMut(&mut History, &mut ClientVars) -> T,
    ) -> Result<T, StoreError> {
        let key = self.keys.conversation(conversation);
        let mut tries = self.link.tries().map_err(store_error)?;
        let mut conflicts = 0;
        loop {
            let (version, mut history, mut client) = self.load_trying(&key, &mut tries).await?;
            let output = update(&mut history, &mut client);
            match self.write(&key, &version, &history, &client).await? {
                Ok(true) => {
                    tries.succeeded();
                    return Ok(output);
                }
                Ok(false) => {
                    conflicts += 1;
                    if conflicts >= MAX_ATTEMPTS {
                        return Err(StoreError(format!(
                            "conversation {conversation} kept changing; gave up after \
                             {MAX_ATTEMPTS} attempts"
                        )));
                    }
                    tokio::time::sleep(backoff(conflicts)).await;
                }
                // The write may or may not have landed: read again and apply again.
                Err(error) if tries.again(&error).await => {}
                Err(error) => return Err(store_error(error)),
            }
        }
    }

    /// The compare-and-set of one attempt: `Ok(Ok(false))` when `version` is no longer
    /// current; the inner error is Redis's.
    async fn write(
        &self,
        key: &str,
        version: &str,
        history: &History,
        client: &ClientVars,
    ) -> Result<redis::RedisResult<bool>, StoreError> {
        let ttl_ms = self.ttl.as_millis().max(1) as u64;
        let next = version.parse::<u64>().unwrap_or(0) + 1;
        let encode = |e: serde_json::Error| StoreError(format!("cannot encode history: {e}"));
        let json = serde_json::to_string(history).map_err(encode)?;
        let client = serde_json::to_string(client).map_err(encode)?;
        let mut connection = self.connection.clone();
        let written: redis::RedisResult<i64> = self
            .compare_and_set
            .key(key)
            .arg(version)
            .arg(next)
            .arg(json)
            .arg(ttl_ms)
            .arg(FORMAT)
            .arg(client)
            .invoke_async(&mut connection)
            .await;
        Ok(written.map(|w| w == 1))
    }
}

/// A random wait before retrying a conflicted write, growing with the attempts (up to
/// 20 ms), so writers that collided do not collide again in lockstep.
fn backoff(attempt: u32) -> Duration {
    let random = random_u64();
    let ceiling_us = (200u64 << attempt.min(7)).min(20_000);
    Duration::from_micros(random % ceiling_us)
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn begin_turn(
        &self,
        conversation: &str,
        user: ChatMessage,
        heard: Option<Heard>,
    ) -> Result<Vec<ChatMessage>, StoreError> {
        let limits = self.limits;
        self.update(conversation, |history, _| {
            history.begin_turn(user.clone(), heard.as_ref(), limits)
        })
        .await
    }

    async fn record_reply(
        &self,
        conversation: &str,
        question: Option<&ChatMessage>,
        reply: &ChatMessage,
    ) -> Result<(), StoreError> {
        let limits = self.limits;
        self.update(conversation, |history, _| {
            history.record_reply(question, reply.clone(), limits);
        })
        .await
    }

    async fn merge_client(
        &self,
        conversation: &str,
        update: ClientVars,
    ) -> Result<bool, StoreError> {
        self.update(conversation, |_, client| {
            merge_client(client, update.clone())
        })
        .await
    }

    async fn client(&self, conversation: &str) -> Result<ClientVars, StoreError> {
        let (_, _, client) = self.load(&self.keys.conversation(conversation)).await?;
        Ok(client)
    }

    async fn history(&self, conversation: &str) -> Result<Vec<ChatMessage>, StoreError> {
        let (_, history, _) = self.load(&self.keys.conversation(conversation)).await?;
        Ok(history.into_messages())
    }

    async fn forget(&self, conversation: &str) -> Result<bool, StoreError> {
        let key = self.keys.conversation(conversation);
        let mut tries = self.link.tries().map_err(store_error)?;
        let removed: u64 = tries
            .run(|| {
                let mut connection = self.connection.clone();
                let key = key.clone();
                async move { connection.del(&key).await }
            })
            .await
            .map_err(store_error)?;
        Ok(removed > 0)
    }

    async fn evict_idle(&self, _max_idle: Duration) -> Result<usize, StoreError> {
        Ok(0) // Every write renews the key's expiry; Redis evicts.
    }

    fn conversation_count(&self) -> Option<usize> {
        None // Counting would mean scanning the keyspace.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::conformance;
    use std::sync::Arc;

    /// A store on the local Redis with a prefix of its own.
    pub(crate) async fn local_store(ttl: Duration) -> RedisStore {
        let prefix = super::super::testing::unique_prefix();
        RedisStore::connect(
            super::super::testing::REDIS_URL,
            &prefix,
            conformance::LIMITS,
            ttl,
        )
        .await
        .unwrap_or_else(|e| super::super::testing::no_redis(&e))
    }

    #[tokio::test]
    async fn passes_the_store_conformance_suite() {
        let store = local_store(Duration::from_secs(60)).await;
        conformance::run_all(move || Arc::new(store.clone()) as Arc<dyn SessionStore>).await;
    }

    #[tokio::test]
    async fn redis_expires_an_idle_conversation() {
        let store = local_store(Duration::from_millis(300)).await;
        store
            .begin_turn("c-ttl", ChatMessage::user("hi", "t1"), None)
            .await
            .expect("store");
        assert_eq!(store.history("c-ttl").await.expect("store").len(), 1);
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(store.history("c-ttl").await.expect("store").is_empty());
    }

    #[tokio::test]
    async fn a_history_stored_by_an_earlier_version_loads_and_is_repaired() {
        let store = local_store(Duration::from_secs(60)).await;
        let key = store.keys.conversation("c-old");
        // Written as `m` was before `History`, with two user messages in a row.
        let stored = r#"[{"role":"user","content":"Book","turn_id":"t1"},{"role":"user","content":"a table","turn_id":"t2"},{"role":"assistant","content":"For how many?","turn_id":"t2","interrupted":true}]"#;
        let mut connection = store.connection.clone();
        let _: () = connection
            .hset_multiple(&key, &[("v", "7"), ("m", stored)])
            .await
            .expect("redis");
        let history = store.history("c-old").await.expect("store");
        assert_eq!(history.len(), 2, "{history:?}");
        assert_eq!(history[0].content, "Book\na table");
        assert!(history[1].interrupted);
        let seen = store
            .begin_turn("c-old", ChatMessage::user("Two", "t3"), None)
            .await
            .expect("store");
        assert_eq!(seen.len(), 3);
        let written: String = connection.hget(&key, "m").await.expect("redis");
        assert!(
            written.starts_with(
                r#"[{"role":"user","content":"Book\na table","turn_id":"t2","merged_turns":["t1"]}"#
            ),
            "{written}"
        );
    }

    #[tokio::test]
    async fn histories_are_written_in_format_2_and_a_newer_format_is_refused() {
        let store = local_store(Duration::from_secs(60)).await;
        store
            .begin_turn("c-format", ChatMessage::user("Hi", "t1"), None)
            .await
            .expect("store");
        let key = store.keys.conversation("c-format");
        let mut connection = store.connection.clone();
        let format: String = connection.hget(&key, "f").await.expect("redis");
        assert_eq!(format, "2");
        let _: () = connection.hset(&key, "f", "3").await.expect("redis");
        let error = store.history("c-format").await.expect_err("newer format");
        assert!(error.0.contains("newer format"), "{error}");
    }

    #[tokio::test]
    async fn a_write_whose_connection_dropped_is_made_on_the_new_one() {
        let store = local_store(Duration::from_secs(60)).await;
        for turn in 1..=3 {
            super::super::testing::drop_connection(&store.connection).await;
            let user = ChatMessage::user(format!("q{turn}"), format!("t{turn}"));
            store
                .begin_turn("c-drop", user, None)
                .await
                .expect("tried again on a new connection");
        }
        assert_eq!(store.history("c-drop").await.expect("store").len(), 1);
    }

    #[tokio::test]
    async fn an_unreachable_server_is_refused_at_connect() {
        let error = RedisStore::connect(
            "redis://127.0.0.1:1",
            "x:",
            conformance::LIMITS,
            Duration::from_secs(1),
        )
        .await
        .expect_err("nothing listens on port 1");
        assert!(!error.0.is_empty());
    }
}
