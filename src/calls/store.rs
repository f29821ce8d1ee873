//! [`CallStore`]: the calls database, SQLite (a file beside the server, or memory in
//! tests) or Postgres (shared by every machine). Both backends run the same statements:
//! `$n` placeholders, `INSERT … ON CONFLICT … DO UPDATE`, JSON kept as text. Only the
//! schema differs (`migrations/sqlite`, `migrations/postgres`), and it is brought up to
//! date at connect.

use std::borrow::Cow;
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::record::{CallKey, CallerRecord, Record, ToolRecord, TurnRecord};

/// A call store operation failed. The message never holds the database password.
#[derive(Debug, thiserror::Error)]
#[error("call store: {message}")]
pub struct CallStoreError {
    message: String,
    permanent: bool,
}

impl CallStoreError {
    /// A failure that may pass (the database is down, a connection broke).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
        }
    }

    /// A failure that trying again cannot mend: the database refused this data.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }

    /// Whether the same operation would fail again, whatever the database's state.
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }
}

/// The calls database. Cheap to clone (a connection pool).
#[derive(Clone)]
pub struct CallStore {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl std::fmt::Debug for CallStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallStore")
            .field("backend", &self.backend())
            .finish()
    }
}

/// What to list: every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CallQuery {
    /// Case-insensitive substring of any turn's user or agent text.
    pub text: Option<String>,
    /// Substring of the caller's or the called number.
    pub phone: Option<String>,
    /// Exactly this agent.
    pub agent: Option<String>,
    /// Only calls whose last activity is before this (unix milliseconds). Calls that
    /// share the boundary's millisecond are skipped: pages go on with `cursor`.
    pub before_ms: Option<i64>,
    /// Only calls after this one in the list's order (a page's `next_cursor`): the next
    /// page, with no call skipped or repeated.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (50 when absent).
    pub limit: Option<u32>,
}

/// One call in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallSummary {
    /// The agent's name.
    pub agent: String,
    /// Layercode's conversation id.
    pub conversation_id: String,
    /// The first record's time (unix milliseconds).
    pub started_ms: i64,
    /// The latest turn's or session end's time (unix milliseconds).
    pub last_ms: i64,
    /// To the session end, or else to the end of the last turn; never negative.
    pub duration_ms: i64,
    /// Message turns (the welcome is not counted).
    pub turns: u32,
    /// `failed` when a turn failed, else `interrupted` when one was cut short, else
    /// `completed`.
    pub outcome: String,
    /// The median time to first speech over the turns that spoke.
    pub median_first_tts_ms: Option<u64>,
    /// The caller's number on phone calls.
    pub from_phone_number: Option<String>,
    /// The number called.
    pub to_phone_number: Option<String>,
}

/// A page of calls, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallPage {
    /// The calls.
    pub calls: Vec<CallSummary>,
    /// `before_ms` for the next page, when this one is full.
    pub next_before_ms: Option<i64>,
    /// `cursor` for the next page, when this one is full: `<last_ms>~<agent>~<conversation
    /// id>` of this page's last call.
    pub next_cursor: Option<String>,
}

/// Where a page of calls ends (a `next_cursor`): the list is ordered by last activity
/// (newest first), then agent, then conversation id, and the next page starts after this
/// call.
pub fn parse_cursor(cursor: &str) -> Result<(i64, &str, &str), CallStoreError> {
    let mut parts = cursor.splitn(3, '~');
    let (Some(ms), Some(agent), Some(conversation)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(CallStoreError::permanent(
            "the cursor is not one a page gave",
        ));
    };
    let ms = ms
        .parse()
        .map_err(|_| CallStoreError::permanent("the cursor is not one a page gave"))?;
    Ok((ms, agent, conversation))
}

/// Everything kept of one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallDetail {
    /// The same summary a list shows.
    #[serde(flatten)]
    pub summary: CallSummary,
    /// The caller's metadata (the latest non-empty one sent).
    pub metadata: Map<String, Value>,
    /// The turns in the order they were first stored. Their `caller` is empty: the call's
    /// caller is `metadata` and the summary's phone numbers.
    pub turns: Vec<TurnRecord>,
    /// Layercode's `session.end` report, once it came.
    pub session_report: Option<Map<String, Value>>,
    /// When `session.end` came (unix milliseconds).
    pub ended_ms: Option<i64>,
    /// The recording's status, once reported.
    pub recording_status: Option<String>,
    /// The recording's URL, once reported.
    pub recording_url: Option<String>,
    /// A written summary of the call, when one was made.
    pub summary_text: Option<String>,
}

/// Which calls [`CallStore::post_calls_owed`] finds (times in unix milliseconds): over,
/// not delivered, not claimed by a machine still delivering them.
#[derive(Debug, Clone, PartialEq)]
pub struct OwedQuery {
    /// Only calls active since this.
    pub active_since_ms: i64,
    /// A call that ended before this is over.
    pub ended_before_ms: i64,
    /// A call with no activity since this is over.
    pub quiet_before_ms: i64,
    /// A claim made before this has run out.
    pub claimed_before_ms: i64,
    /// At most this many, the oldest first.
    pub limit: u32,
}

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone)]
enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Bool(bool),
}

/// Text as both databases store it: PostgreSQL refuses the NUL character (and a record it
/// refuses would be retried for ever), so it is dropped; nothing a caller can say needs it.
fn storable(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "")
    } else {
        text
    }
}

/// One statement and its values.
type Step = (&'static str, Vec<Arg>);

/// Runs `$body` with `$pool` bound to whichever pool the store has: the body is written
/// once and type-checked for each backend.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            Backend::Sqlite($pool) => $body,
            Backend::Postgres($pool) => $body,
        }
    };
}

/// Binds `$args` to `$query` in order.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Text(v) => query.bind(storable(v)),
                Arg::OptText(v) => query.bind(v.map(storable)),
                Arg::Int(v) => query.bind(v),
                Arg::OptInt(v) => query.bind(v),
                Arg::Bool(v) => query.bind(v),
            };
        }
        query
    }};
}

const CALL_COLUMNS: &str = "agent, conversation_id, started_ms, last_ms, from_phone_number, \
    to_phone_number, metadata, session_report, ended_ms, recording_status, recording_url, summary";

const TURN_COLUMNS: &str = "agent, conversation_id, turn_id, seq, at_ms, event, user_text, \
    agent_text, interrupted, outcome, model, attempts, first_token_ms, first_tts_ms, total_ms, \
    prompt_tokens, completion_tokens, tools";

/// What a summary needs of a turn.
const STAT_COLUMNS: &str =
    "agent, conversation_id, at_ms, event, interrupted, outcome, first_tts_ms, total_ms";

const UPSERT_CALL_FOR_TURN: &str = "\
    INSERT INTO calls (agent, conversation_id, started_ms, last_ms, from_phone_number, \
        to_phone_number, metadata) \
    VALUES ($1, $2, $3, $3, $4, $5, $6) \
    ON CONFLICT (agent, conversation_id) DO UPDATE SET \
        started_ms = CASE WHEN excluded.started_ms < calls.started_ms \
            THEN excluded.started_ms ELSE calls.started_ms END, \
        last_ms = CASE WHEN excluded.last_ms > calls.last_ms \
            THEN excluded.last_ms ELSE calls.last_ms END, \
        from_phone_number = COALESCE(excluded.from_phone_number, calls.from_phone_number), \
        to_phone_number = COALESCE(excluded.to_phone_number, calls.to_phone_number), \
        metadata = CASE WHEN excluded.metadata = '{}' THEN calls.metadata \
            ELSE excluded.metadata END";

/// A new turn goes after the call's others; a redelivered one keeps its place.
const UPSERT_TURN: &str = "\
    INSERT INTO turns (agent, conversation_id, turn_id, seq, at_ms, event, user_text, \
        agent_text, interrupted, outcome, model, attempts, first_token_ms, first_tts_ms, \
        total_ms, prompt_tokens, completion_tokens, tools) \
    VALUES ($1, $2, $3, \
        (SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE agent = $1 AND conversation_id = $2), \
        $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
    ON CONFLICT (agent, conversation_id, turn_id) DO UPDATE SET \
        at_ms = excluded.at_ms, event = excluded.event, user_text = excluded.user_text, \
        agent_text = excluded.agent_text, interrupted = excluded.interrupted, \
        outcome = excluded.outcome, model = excluded.model, attempts = excluded.attempts, \
        first_token_ms = excluded.first_token_ms, first_tts_ms = excluded.first_tts_ms, \
        total_ms = excluded.total_ms, prompt_tokens = excluded.prompt_tokens, \
        completion_tokens = excluded.completion_tokens, tools = excluded.tools";

const HEARD_BY_ID: &str = "\
    UPDATE turns SET agent_text = $4, interrupted = $5 \
    WHERE agent = $1 AND conversation_id = $2 AND turn_id = $3";

const HEARD_LATEST: &str = "\
    UPDATE turns SET agent_text = $3, interrupted = $4 \
    WHERE agent = $1 AND conversation_id = $2 AND seq = ( \
        SELECT MAX(seq) FROM turns \
        WHERE agent = $1 AND conversation_id = $2 AND agent_text <> '')";

const SESSION_END: &str = "\
    INSERT INTO calls (agent, conversation_id, started_ms, last_ms, session_report, ended_ms) \
    VALUES ($1, $2, $3, $3, $4, $3) \
    ON CONFLICT (agent, conversation_id) DO UPDATE SET \
        last_ms = CASE WHEN excluded.last_ms > calls.last_ms \
            THEN excluded.last_ms ELSE calls.last_ms END, \
        session_report = excluded.session_report, \
        ended_ms = excluded.ended_ms";

/// A recording update does not move the call in the list: it may come long after.
const SESSION_UPDATE: &str = "\
    INSERT INTO calls (agent, conversation_id, started_ms, last_ms, recording_status, \
        recording_url, recording_details) \
    VALUES ($1, $2, $3, $3, $4, $5, $6) \
    ON CONFLICT (agent, conversation_id) DO UPDATE SET \
        recording_status = COALESCE(excluded.recording_status, calls.recording_status), \
        recording_url = COALESCE(excluded.recording_url, calls.recording_url), \
        recording_details = CASE WHEN excluded.recording_details = '{}' \
            THEN calls.recording_details ELSE excluded.recording_details END";

const DELETE_TURNS: &str = "DELETE FROM turns WHERE agent = $1 AND conversation_id = $2";
const DELETE_CALL: &str = "DELETE FROM calls WHERE agent = $1 AND conversation_id = $2";
const SET_SUMMARY: &str = "UPDATE calls SET summary = $1 WHERE agent = $2 AND conversation_id = $3";
const DELETE_OLD_TURNS: &str = "\
    DELETE FROM turns WHERE EXISTS (SELECT 1 FROM calls \
        WHERE calls.agent = turns.agent AND calls.conversation_id = turns.conversation_id \
        AND calls.last_ms < $1)";
const DELETE_OLD_CALLS: &str = "DELETE FROM calls WHERE last_ms < $1";

/// Takes the call for one machine's delivery: over (ended, or nothing since `$5`), not
/// delivered, and not claimed, or claimed before `$4` (a lease that ran out). "Over" is
/// read here, not from one machine's view: another machine may have had the call's
/// later turns.
const CLAIM_POST_CALL: &str = "\
    UPDATE calls SET post_call_claim_ms = $3 \
    WHERE agent = $1 AND conversation_id = $2 AND post_call_delivered_ms IS NULL \
        AND (post_call_claim_ms IS NULL OR post_call_claim_ms < $4) \
        AND (ended_ms IS NOT NULL OR last_ms < $5)";
const POST_CALL_DELIVERED: &str = "\
    UPDATE calls SET post_call_delivered_ms = $3 WHERE agent = $1 AND conversation_id = $2";
/// Gives a claim back, unless another machine took the call over meanwhile.
const RELEASE_POST_CALL: &str = "\
    UPDATE calls SET post_call_claim_ms = NULL \
    WHERE agent = $1 AND conversation_id = $2 AND post_call_claim_ms = $3 \
        AND post_call_delivered_ms IS NULL";
const POST_CALLS_OWED: &str = "\
    SELECT agent, conversation_id FROM calls \
    WHERE post_call_delivered_ms IS NULL AND last_ms >= $1 \
        AND ((ended_ms IS NOT NULL AND ended_ms < $2) OR last_ms < $3) \
        AND (post_call_claim_ms IS NULL OR post_call_claim_ms < $4) \
    ORDER BY last_ms, agent, conversation_id LIMIT $5";

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

impl CallStore {
    /// Connects and brings the schema up to date. `sqlite://path/to/file.db` (the file
    /// and its folder are created; WAL mode), `sqlite::memory:` for tests,
    /// `postgres://…` or `postgresql://…`.
    pub async fn connect(url: &str) -> Result<Self, CallStoreError> {
        let url = url.trim();
        let password = password_of(url);
        let hide = |message: String| match password {
            Some(password) if !password.is_empty() => message.replace(password, "[redacted]"),
            _ => message,
        };
        if url.starts_with("sqlite:") {
            let pool = connect_sqlite(url)
                .await
                .map_err(|e| CallStoreError::new(hide(e)))?;
            migrator(SQLITE_MIGRATIONS)
                .await?
                .run(&pool)
                .await
                .map_err(|e| {
                    CallStoreError::new(hide(format!("migrating the SQLite schema: {e}")))
                })?;
            Ok(Self {
                backend: Backend::Sqlite(pool),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| CallStoreError::new(hide(format!("reading the Postgres URL: {e}"))))?;
            let pool = PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(|e| CallStoreError::new(hide(format!("connecting to Postgres: {e}"))))?;
            migrator(POSTGRES_MIGRATIONS)
                .await?
                .run(&pool)
                .await
                .map_err(|e| {
                    CallStoreError::new(hide(format!("migrating the Postgres schema: {e}")))
                })?;
            Ok(Self {
                backend: Backend::Postgres(pool),
            })
        } else {
            Err(CallStoreError::new(
                "the URL must start with sqlite:, postgres:// or postgresql://",
            ))
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Applies one record.
    ///
    /// A turn creates or updates its call (earliest start, latest activity, phone numbers
    /// and metadata when present, the later winning) and stores the turn; a redelivered
    /// turn replaces its row but keeps its place. `Heard` rewrites the reply the user
    /// heard only part of (by `assistant_turn_id`, else the latest turn with a reply) and
    /// marks it interrupted; for an unknown call or turn it does nothing. `SessionEnd`
    /// stores the report and the end time; `SessionUpdate` the recording's status, URL
    /// and details, each only when sent. Both create the call when it is new.
    pub async fn write(&self, record: &Record) -> Result<(), CallStoreError> {
        // A record that cannot be encoded never will be.
        let steps = steps_for(record).map_err(|e| CallStoreError::permanent(e.message))?;
        self.run(steps).await.map(|_| ())
    }

    /// Calls newest first (by last activity), filtered by `query` and paged by
    /// `before_ms` and `limit`.
    pub async fn list(&self, query: &CallQuery) -> Result<CallPage, CallStoreError> {
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let mut args = Vec::new();
        let mut sql = format!("SELECT {CALL_COLUMNS} FROM calls WHERE 1 = 1");
        if let Some(agent) = &query.agent {
            let n = push(&mut args, Arg::Text(agent.clone()));
            sql.push_str(&format!(" AND agent = {n}"));
        }
        if let Some(before) = query.before_ms {
            let n = push(&mut args, Arg::Int(before));
            sql.push_str(&format!(" AND last_ms < {n}"));
        }
        if let Some(cursor) = &query.cursor {
            let (ms, agent, conversation) = parse_cursor(cursor)?;
            let m = push(&mut args, Arg::Int(ms));
            let a = push(&mut args, Arg::Text(agent.to_string()));
            let c = push(&mut args, Arg::Text(conversation.to_string()));
            sql.push_str(&format!(
                " AND (last_ms < {m} OR (last_ms = {m} AND (agent > {a} \
                 OR (agent = {a} AND conversation_id > {c}))))"
            ));
        }
        if let Some(phone) = query.phone.as_deref().filter(|p| !p.is_empty()) {
            let n = push(&mut args, Arg::Text(contains_pattern(phone)));
            sql.push_str(&format!(
                " AND (from_phone_number LIKE {n} ESCAPE '\\' \
                 OR to_phone_number LIKE {n} ESCAPE '\\')"
            ));
        }
        if let Some(text) = query.text.as_deref().filter(|t| !t.is_empty()) {
            let n = push(&mut args, Arg::Text(contains_pattern(&text.to_lowercase())));
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM turns WHERE turns.agent = calls.agent \
                 AND turns.conversation_id = calls.conversation_id \
                 AND (LOWER(turns.user_text) LIKE {n} ESCAPE '\\' \
                 OR LOWER(turns.agent_text) LIKE {n} ESCAPE '\\'))"
            ));
        }
        let n = push(&mut args, Arg::Int(i64::from(limit)));
        sql.push_str(&format!(
            " ORDER BY last_ms DESC, agent, conversation_id LIMIT {n}"
        ));
        let calls = self.fetch_calls(&sql, args).await?;

        let mut stats: HashMap<(String, String), Vec<TurnStat>> = HashMap::new();
        if !calls.is_empty() {
            let mut args = Vec::new();
            let mut keys = Vec::new();
            for call in &calls {
                let a = push(&mut args, Arg::Text(call.agent.clone()));
                let c = push(&mut args, Arg::Text(call.conversation_id.clone()));
                keys.push(format!("(agent = {a} AND conversation_id = {c})"));
            }
            let sql = format!(
                "SELECT {STAT_COLUMNS} FROM turns WHERE {} ORDER BY seq",
                keys.join(" OR ")
            );
            for (key, stat) in self.fetch_stats(&sql, args).await? {
                stats.entry(key).or_default().push(stat);
            }
        }

        let (next_before_ms, next_cursor) = match calls.last() {
            Some(last) if calls.len() == limit as usize => (
                Some(last.last_ms),
                Some(format!(
                    "{}~{}~{}",
                    last.last_ms, last.agent, last.conversation_id
                )),
            ),
            _ => (None, None),
        };
        let calls = calls
            .into_iter()
            .map(|call| {
                let key = (call.agent.clone(), call.conversation_id.clone());
                let turns = stats.remove(&key).unwrap_or_default();
                summarize(&call, &turns)
            })
            .collect();
        Ok(CallPage {
            calls,
            next_before_ms,
            next_cursor,
        })
    }

    /// Everything kept of one call, or `None` when there is no such call.
    pub async fn get(&self, call: &CallKey) -> Result<Option<CallDetail>, CallStoreError> {
        let sql =
            format!("SELECT {CALL_COLUMNS} FROM calls WHERE agent = $1 AND conversation_id = $2");
        let Some(stored) = self
            .fetch_calls(&sql, key_args(call))
            .await?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {TURN_COLUMNS} FROM turns WHERE agent = $1 AND conversation_id = $2 \
             ORDER BY seq"
        );
        let turns = self
            .fetch_turns(&sql, key_args(call))
            .await?
            .into_iter()
            .map(StoredTurn::into_record)
            .collect::<Result<Vec<_>, _>>()?;
        let stats: Vec<TurnStat> = turns.iter().map(TurnStat::of).collect();
        let summary = summarize(&stored, &stats);
        Ok(Some(CallDetail {
            summary,
            metadata: json_map(&stored.metadata, "metadata")?,
            turns,
            session_report: stored
                .session_report
                .as_deref()
                .map(|report| json_map(report, "session report"))
                .transpose()?,
            ended_ms: stored.ended_ms,
            recording_status: stored.recording_status,
            recording_url: stored.recording_url,
            summary_text: stored.summary,
        }))
    }

    /// Keeps a written summary of the call (`POST_CALL_SUMMARY`); `true` when the call
    /// exists.
    pub async fn set_summary(&self, call: &CallKey, summary: &str) -> Result<bool, CallStoreError> {
        let mut args = vec![Arg::Text(summary.to_string())];
        args.extend(key_args(call));
        let affected = self.run(vec![(SET_SUMMARY, args)]).await?;
        Ok(affected.first().is_some_and(|&n| n > 0))
    }

    /// Removes the call and its turns; `true` when it existed.
    pub async fn delete(&self, call: &CallKey) -> Result<bool, CallStoreError> {
        let affected = self
            .run(vec![
                (DELETE_TURNS, key_args(call)),
                (DELETE_CALL, key_args(call)),
            ])
            .await?;
        Ok(affected.get(1).is_some_and(|&n| n > 0))
    }

    /// Removes the calls whose last activity is before `cutoff_ms` (unix milliseconds),
    /// with their turns; returns how many calls.
    pub async fn delete_older_than(&self, cutoff_ms: i64) -> Result<u64, CallStoreError> {
        let affected = self
            .run(vec![
                (DELETE_OLD_TURNS, vec![Arg::Int(cutoff_ms)]),
                (DELETE_OLD_CALLS, vec![Arg::Int(cutoff_ms)]),
            ])
            .await?;
        Ok(affected.get(1).copied().unwrap_or(0))
    }

    /// Claims the call's post-call delivery for this machine at `now_ms`: `true` when this
    /// machine is to deliver it, `false` when it is delivered, another machine claimed it
    /// after `claimed_before_ms` (its lease still runs), it is still going (not ended, and
    /// active at or after `quiet_before_ms`), or there is no such call.
    pub async fn claim_post_call(
        &self,
        call: &CallKey,
        now_ms: i64,
        claimed_before_ms: i64,
        quiet_before_ms: i64,
    ) -> Result<bool, CallStoreError> {
        let mut args = key_args(call);
        args.extend([
            Arg::Int(now_ms),
            Arg::Int(claimed_before_ms),
            Arg::Int(quiet_before_ms),
        ]);
        let affected = self.run(vec![(CLAIM_POST_CALL, args)]).await?;
        Ok(affected.first().is_some_and(|&n| n > 0))
    }

    /// Marks the call's post-call webhook as done at `at_ms`: it is never claimed again.
    pub async fn post_call_delivered(
        &self,
        call: &CallKey,
        at_ms: i64,
    ) -> Result<(), CallStoreError> {
        let mut args = key_args(call);
        args.push(Arg::Int(at_ms));
        self.run(vec![(POST_CALL_DELIVERED, args)])
            .await
            .map(|_| ())
    }

    /// Gives back the claim made at `claim_ms`, so the call can be claimed again at once;
    /// `false` when it is no longer this claim (taken over, or delivered).
    pub async fn release_post_call(
        &self,
        call: &CallKey,
        claim_ms: i64,
    ) -> Result<bool, CallStoreError> {
        let mut args = key_args(call);
        args.push(Arg::Int(claim_ms));
        let affected = self.run(vec![(RELEASE_POST_CALL, args)]).await?;
        Ok(affected.first().is_some_and(|&n| n > 0))
    }

    /// Calls whose post-call webhook is still owed (see [`OwedQuery`]), oldest activity
    /// first.
    pub async fn post_calls_owed(&self, query: &OwedQuery) -> Result<Vec<CallKey>, CallStoreError> {
        let args = vec![
            Arg::Int(query.active_since_ms),
            Arg::Int(query.ended_before_ms),
            Arg::Int(query.quiet_before_ms),
            Arg::Int(query.claimed_before_ms),
            Arg::Int(i64::from(query.limit)),
        ];
        with_pool!(self, |pool| {
            let rows = bind_all!(sqlx::query(POST_CALLS_OWED), args)
                .fetch_all(pool)
                .await
                .map_err(failed("reading calls"))?;
            rows.iter()
                .map(|row| {
                    Ok(CallKey {
                        agent: row.try_get("agent")?,
                        conversation_id: row.try_get("conversation_id")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(failed("reading calls"))
        })
    }

    /// Runs the statements in one transaction; returns the rows each affected.
    async fn run(&self, steps: Vec<Step>) -> Result<Vec<u64>, CallStoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool
                .begin()
                .await
                .map_err(failed("starting a transaction"))?;
            let mut affected = Vec::with_capacity(steps.len());
            for (sql, args) in steps {
                let done = bind_all!(sqlx::query(sql), args)
                    .execute(&mut *tx)
                    .await
                    .map_err(failed("writing"))?;
                affected.push(done.rows_affected());
            }
            tx.commit().await.map_err(failed("committing"))?;
            Ok(affected)
        })
    }

    async fn fetch_calls(
        &self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<StoredCall>, CallStoreError> {
        with_pool!(self, |pool| {
            let rows = bind_all!(sqlx::query(sql), args)
                .fetch_all(pool)
                .await
                .map_err(failed("reading calls"))?;
            rows.iter()
                .map(StoredCall::read)
                .collect::<Result<Vec<_>, _>>()
                .map_err(failed("reading calls"))
        })
    }

    async fn fetch_turns(
        &self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<StoredTurn>, CallStoreError> {
        with_pool!(self, |pool| {
            let rows = bind_all!(sqlx::query(sql), args)
                .fetch_all(pool)
                .await
                .map_err(failed("reading turns"))?;
            rows.iter()
                .map(StoredTurn::read)
                .collect::<Result<Vec<_>, _>>()
                .map_err(failed("reading turns"))
        })
    }

    async fn fetch_stats(
        &self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<((String, String), TurnStat)>, CallStoreError> {
        with_pool!(self, |pool| {
            let rows = bind_all!(sqlx::query(sql), args)
                .fetch_all(pool)
                .await
                .map_err(failed("reading turns"))?;
            rows.iter()
                .map(TurnStat::read)
                .collect::<Result<Vec<_>, _>>()
                .map_err(failed("reading turns"))
        })
    }
}

/// The statements that apply a record.
fn steps_for(record: &Record) -> Result<Vec<Step>, CallStoreError> {
    Ok(match record {
        Record::Turn(turn) => {
            let caller = &turn.caller;
            let tools = serde_json::to_string(&turn.tools)
                .map_err(|e| CallStoreError::new(format!("encoding tools: {e}")))?;
            vec![
                (
                    UPSERT_CALL_FOR_TURN,
                    vec![
                        Arg::Text(turn.call.agent.clone()),
                        Arg::Text(turn.call.conversation_id.clone()),
                        Arg::Int(turn.at_ms),
                        Arg::OptText(non_empty(&caller.from_phone_number)),
                        Arg::OptText(non_empty(&caller.to_phone_number)),
                        Arg::Text(json_text(&caller.metadata)?),
                    ],
                ),
                (
                    UPSERT_TURN,
                    vec![
                        Arg::Text(turn.call.agent.clone()),
                        Arg::Text(turn.call.conversation_id.clone()),
                        Arg::Text(turn.turn_id.clone()),
                        Arg::Int(turn.at_ms),
                        Arg::Text(turn.event.clone()),
                        Arg::Text(turn.user_text.clone()),
                        Arg::Text(turn.agent_text.clone()),
                        Arg::Bool(turn.interrupted),
                        Arg::Text(turn.outcome.clone()),
                        Arg::OptText(turn.model.clone()),
                        Arg::Int(i64::from(turn.attempts)),
                        Arg::OptInt(turn.first_token_ms.map(to_i64)),
                        Arg::OptInt(turn.first_tts_ms.map(to_i64)),
                        Arg::OptInt(turn.total_ms.map(to_i64)),
                        Arg::OptInt(turn.prompt_tokens.map(to_i64)),
                        Arg::OptInt(turn.completion_tokens.map(to_i64)),
                        Arg::Text(tools),
                    ],
                ),
            ]
        }
        Record::Heard {
            call,
            assistant_turn_id: Some(turn_id),
            text,
            ..
        } => vec![(
            HEARD_BY_ID,
            vec![
                Arg::Text(call.agent.clone()),
                Arg::Text(call.conversation_id.clone()),
                Arg::Text(turn_id.clone()),
                Arg::Text(text.clone()),
                Arg::Bool(true),
            ],
        )],
        Record::Heard {
            call,
            assistant_turn_id: None,
            text,
            ..
        } => vec![(
            HEARD_LATEST,
            vec![
                Arg::Text(call.agent.clone()),
                Arg::Text(call.conversation_id.clone()),
                Arg::Text(text.clone()),
                Arg::Bool(true),
            ],
        )],
        Record::SessionEnd {
            call,
            at_ms,
            report,
        } => vec![(
            SESSION_END,
            vec![
                Arg::Text(call.agent.clone()),
                Arg::Text(call.conversation_id.clone()),
                Arg::Int(*at_ms),
                Arg::Text(json_text(report)?),
            ],
        )],
        Record::SessionUpdate {
            call,
            at_ms,
            recording_status,
            recording_url,
            details,
        } => vec![(
            SESSION_UPDATE,
            vec![
                Arg::Text(call.agent.clone()),
                Arg::Text(call.conversation_id.clone()),
                Arg::Int(*at_ms),
                Arg::OptText(non_empty(recording_status)),
                Arg::OptText(non_empty(recording_url)),
                Arg::Text(json_text(details)?),
            ],
        )],
    })
}

/// A call's row as stored.
#[derive(Debug)]
struct StoredCall {
    agent: String,
    conversation_id: String,
    started_ms: i64,
    last_ms: i64,
    from_phone_number: Option<String>,
    to_phone_number: Option<String>,
    metadata: String,
    session_report: Option<String>,
    ended_ms: Option<i64>,
    recording_status: Option<String>,
    recording_url: Option<String>,
    summary: Option<String>,
}

impl StoredCall {
    fn read<'r, R>(row: &'r R) -> Result<Self, sqlx::Error>
    where
        R: Row,
        &'static str: ColumnIndex<R>,
        String: Decode<'r, R::Database> + Type<R::Database>,
        i64: Decode<'r, R::Database> + Type<R::Database>,
    {
        Ok(Self {
            agent: row.try_get("agent")?,
            conversation_id: row.try_get("conversation_id")?,
            started_ms: row.try_get("started_ms")?,
            last_ms: row.try_get("last_ms")?,
            from_phone_number: row.try_get("from_phone_number")?,
            to_phone_number: row.try_get("to_phone_number")?,
            metadata: row.try_get("metadata")?,
            session_report: row.try_get("session_report")?,
            ended_ms: row.try_get("ended_ms")?,
            recording_status: row.try_get("recording_status")?,
            recording_url: row.try_get("recording_url")?,
            summary: row.try_get("summary")?,
        })
    }
}

/// A turn's row as stored.
#[derive(Debug)]
struct StoredTurn {
    agent: String,
    conversation_id: String,
    turn_id: String,
    at_ms: i64,
    event: String,
    user_text: String,
    agent_text: String,
    interrupted: bool,
    outcome: String,
    model: Option<String>,
    attempts: i64,
    first_token_ms: Option<i64>,
    first_tts_ms: Option<i64>,
    total_ms: Option<i64>,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    tools: String,
}

impl StoredTurn {
    fn read<'r, R>(row: &'r R) -> Result<Self, sqlx::Error>
    where
        R: Row,
        &'static str: ColumnIndex<R>,
        String: Decode<'r, R::Database> + Type<R::Database>,
        i64: Decode<'r, R::Database> + Type<R::Database>,
        bool: Decode<'r, R::Database> + Type<R::Database>,
    {
        Ok(Self {
            agent: row.try_get("agent")?,
            conversation_id: row.try_get("conversation_id")?,
            turn_id: row.try_get("turn_id")?,
            at_ms: row.try_get("at_ms")?,
            event: row.try_get("event")?,
            user_text: row.try_get("user_text")?,
            agent_text: row.try_get("agent_text")?,
            interrupted: row.try_get("interrupted")?,
            outcome: row.try_get("outcome")?,
            model: row.try_get("model")?,
            attempts: row.try_get("attempts")?,
            first_token_ms: row.try_get("first_token_ms")?,
            first_tts_ms: row.try_get("first_tts_ms")?,
            total_ms: row.try_get("total_ms")?,
            prompt_tokens: row.try_get("prompt_tokens")?,
            completion_tokens: row.try_get("completion_tokens")?,
            tools: row.try_get("tools")?,
        })
    }

    fn into_record(self) -> Result<TurnRecord, CallStoreError> {
        let tools: Vec<ToolRecord> = serde_json::from_str(&self.tools)
            .map_err(|e| CallStoreError::new(format!("stored tools are not valid: {e}")))?;
        Ok(TurnRecord {
            call: CallKey {
                agent: self.agent,
                conversation_id: self.conversation_id,
            },
            turn_id: self.turn_id,
            at_ms: self.at_ms,
            event: self.event,
            user_text: self.user_text,
            agent_text: self.agent_text,
            interrupted: self.interrupted,
            outcome: self.outcome,
            model: self.model,
            attempts: u32::try_from(self.attempts).unwrap_or(0),
            first_token_ms: self.first_token_ms.and_then(to_u64),
            first_tts_ms: self.first_tts_ms.and_then(to_u64),
            total_ms: self.total_ms.and_then(to_u64),
            prompt_tokens: self.prompt_tokens.and_then(to_u64),
            completion_tokens: self.completion_tokens.and_then(to_u64),
            tools,
            caller: CallerRecord::default(),
        })
    }
}

/// What a summary needs of a turn.
#[derive(Debug, Clone)]
struct TurnStat {
    at_ms: i64,
    event: String,
    interrupted: bool,
    outcome: String,
    first_tts_ms: Option<u64>,
    total_ms: Option<u64>,
}

impl TurnStat {
    fn of(turn: &TurnRecord) -> Self {
        Self {
            at_ms: turn.at_ms,
            event: turn.event.clone(),
            interrupted: turn.interrupted,
            outcome: turn.outcome.clone(),
            first_tts_ms: turn.first_tts_ms,
            total_ms: turn.total_ms,
        }
    }

    fn read<'r, R>(row: &'r R) -> Result<((String, String), Self), sqlx::Error>
    where
        R: Row,
        &'static str: ColumnIndex<R>,
        String: Decode<'r, R::Database> + Type<R::Database>,
        i64: Decode<'r, R::Database> + Type<R::Database>,
        bool: Decode<'r, R::Database> + Type<R::Database>,
    {
        let key = (row.try_get("agent")?, row.try_get("conversation_id")?);
        let stat = Self {
            at_ms: row.try_get("at_ms")?,
            event: row.try_get("event")?,
            interrupted: row.try_get("interrupted")?,
            outcome: row.try_get("outcome")?,
            first_tts_ms: row
                .try_get::<Option<i64>, _>("first_tts_ms")?
                .and_then(to_u64),
            total_ms: row.try_get::<Option<i64>, _>("total_ms")?.and_then(to_u64),
        };
        Ok((key, stat))
    }
}

/// A call's summary from its row and its turns (in order).
fn summarize(call: &StoredCall, turns: &[TurnStat]) -> CallSummary {
    let end = match (call.ended_ms, turns.last()) {
        (Some(ended), _) => ended,
        (None, Some(last)) => last.at_ms.saturating_add(last.total_ms.map_or(0, to_i64)),
        (None, None) => call.last_ms,
    };
    let outcome = if turns.iter().any(|t| t.outcome == "failed") {
        "failed"
    } else if turns
        .iter()
        .any(|t| t.interrupted || t.outcome == "interrupted")
    {
        "interrupted"
    } else {
        "completed"
    };
    let mut first_tts: Vec<u64> = turns.iter().filter_map(|t| t.first_tts_ms).collect();
    first_tts.sort_unstable();
    CallSummary {
        agent: call.agent.clone(),
        conversation_id: call.conversation_id.clone(),
        started_ms: call.started_ms,
        last_ms: call.last_ms,
        duration_ms: end.saturating_sub(call.started_ms).max(0),
        turns: u32::try_from(turns.iter().filter(|t| t.event == "message").count())
            .unwrap_or(u32::MAX),
        outcome: outcome.to_string(),
        median_first_tts_ms: median(&first_tts),
        from_phone_number: call.from_phone_number.clone(),
        to_phone_number: call.to_phone_number.clone(),
    }
}

/// The median of sorted values; between two middle values, their mean rounded down.
fn median(sorted: &[u64]) -> Option<u64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let upper = sorted[n / 2];
    if n % 2 == 1 {
        return Some(upper);
    }
    let lower = sorted[n / 2 - 1];
    Some(lower + (upper - lower) / 2)
}

/// Appends a value and returns its placeholder.
fn push(args: &mut Vec<Arg>, arg: Arg) -> String {
    args.push(arg);
    format!("${}", args.len())
}

/// A `LIKE` pattern matching `needle` anywhere, its wildcards taken literally.
fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

fn key_args(call: &CallKey) -> Vec<Arg> {
    vec![
        Arg::Text(call.agent.clone()),
        Arg::Text(call.conversation_id.clone()),
    ]
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

fn json_text(map: &Map<String, Value>) -> Result<String, CallStoreError> {
    serde_json::to_string(map).map_err(|e| CallStoreError::new(format!("encoding JSON: {e}")))
}

fn json_map(text: &str, what: &str) -> Result<Map<String, Value>, CallStoreError> {
    serde_json::from_str(text)
        .map_err(|e| CallStoreError::new(format!("stored {what} is not valid: {e}")))
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn to_u64(value: i64) -> Option<u64> {
    u64::try_from(value).ok()
}

/// Maps a database error to a store error saying what was being done, permanent when
/// the database refused the data itself ([`refuses_the_data`]).
fn failed(doing: &'static str) -> impl Fn(sqlx::Error) -> CallStoreError {
    move |e| {
        let message = format!("{doing}: {e}");
        if refuses_the_data(&e) {
            CallStoreError::permanent(message)
        } else {
            CallStoreError::new(message)
        }
    }
}

/// Whether `error` says the database will never take these values, however often asked:
/// a value it cannot encode, a constraint, or a PostgreSQL data exception (SQLSTATE class
/// 22, e.g. a string too long), integrity violation (23) or program limit (54, e.g. an
/// index row too large); SQLite's too big (18), constraint (19) or type mismatch (20).
/// Everything else (connections, time-outs, a full disk, a locked database) may pass.
fn refuses_the_data(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Encode(_) => true,
        sqlx::Error::Database(db) => {
            if !matches!(db.kind(), sqlx::error::ErrorKind::Other) {
                return true;
            }
            let Some(code) = db.code() else {
                return false;
            };
            refusing_code(&code)
        }
        _ => false,
    }
}

/// The refusing codes of [`refuses_the_data`]: a five-character SQLSTATE, or SQLite's
/// (extended) result code as a number (at most four digits).
fn refusing_code(code: &str) -> bool {
    if code.len() == 5 {
        return ["22", "23", "54"]
            .iter()
            .any(|class| code.starts_with(class));
    }
    code.parse::<u32>()
        .is_ok_and(|sqlite| matches!(sqlite & 0xff, 18..=20))
}

/// The password in a URL's `user:password@`, if any.
fn password_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    userinfo.split_once(':').map(|(_, password)| password)
}

async fn connect_sqlite(url: &str) -> Result<SqlitePool, String> {
    let options =
        SqliteConnectOptions::from_str(url).map_err(|e| format!("reading the SQLite URL: {e}"))?;
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if in_memory {
        // One connection kept for the pool's life: the database lives as long as it does.
        return SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|e| format!("opening the SQLite database: {e}"));
    }
    let path = options.get_filename().to_path_buf();
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("creating the folder {}: {e}", folder.display()))?;
    }
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|e| format!("opening the SQLite database {}: {e}", path.display()))
}

/// One backend's migrations, compiled into the binary.
#[derive(Debug)]
struct Embedded(&'static [(i64, &'static str, &'static str)]);

const SQLITE_MIGRATIONS: Embedded = Embedded(&[
    (
        1,
        "calls",
        include_str!("../../migrations/sqlite/0001_calls.sql"),
    ),
    (
        2,
        "post call",
        include_str!("../../migrations/sqlite/0002_post_call.sql"),
    ),
]);

const POSTGRES_MIGRATIONS: Embedded = Embedded(&[
    (
        1,
        "calls",
        include_str!("../../migrations/postgres/0001_calls.sql"),
    ),
    (
        2,
        "post call",
        include_str!("../../migrations/postgres/0002_post_call.sql"),
    ),
]);

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        let migrations = self
            .0
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

async fn migrator(source: Embedded) -> Result<Migrator, CallStoreError> {
    Migrator::new(source)
        .await
        .map_err(|e| CallStoreError::new(format!("loading migrations: {e}")))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use serde_json::json;

    use super::*;

    /// The Postgres server the tests create their databases on.
    fn postgres_base() -> String {
        std::env::var("VB_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
    }

    /// A name no other test (or test run) uses.
    pub(crate) fn unique(prefix: &str) -> String {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!(
            "{prefix}_{}_{nanos}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        )
    }

    async fn admin_execute(sql: &str) -> Result<(), sqlx::Error> {
        use sqlx::Connection;
        let url = format!("{}/postgres", postgres_base());
        let mut admin = sqlx::PgConnection::connect(&url).await?;
        sqlx::query(sql).execute(&mut admin).await?;
        admin.close().await
    }

    /// A fresh Postgres database for one test, dropped (best effort) when it goes away,
    /// even when the test panics.
    pub(crate) struct TestDb {
        pub(crate) store: CallStore,
        pub(crate) url: String,
        name: String,
    }

    impl TestDb {
        pub(crate) async fn create() -> Self {
            let name = unique("vb_test");
            admin_execute(&format!("CREATE DATABASE {name}"))
                .await
                .expect("Postgres on 127.0.0.1:5432 (or VB_TEST_POSTGRES_URL) is reachable");
            let url = format!("{}/{name}", postgres_base());
            let store = CallStore::connect(&url).await.expect("connects");
            assert_eq!(store.backend(), "postgres");
            Self { store, url, name }
        }
    }

    impl Drop for TestDb {
        fn drop(&mut self) {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
            let _ = std::thread::spawn(move || {
                if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    let _ = runtime.block_on(admin_execute(&sql));
                }
            })
            .join();
        }
    }

    pub(crate) async fn memory() -> CallStore {
        let store = CallStore::connect("sqlite::memory:").await.expect("opens");
        assert_eq!(store.backend(), "sqlite");
        store
    }

    fn key(agent: &str, conversation: &str) -> CallKey {
        CallKey {
            agent: agent.to_string(),
            conversation_id: conversation.to_string(),
        }
    }

    /// A completed message turn.
    pub(crate) fn turn(call: &CallKey, turn_id: &str, at_ms: i64) -> TurnRecord {
        TurnRecord {
            call: call.clone(),
            turn_id: turn_id.to_string(),
            at_ms,
            event: "message".to_string(),
            user_text: format!("user says {turn_id}"),
            agent_text: format!("agent answers {turn_id}"),
            interrupted: false,
            outcome: "completed".to_string(),
            model: Some("gpt-test".to_string()),
            attempts: 1,
            first_token_ms: Some(150),
            first_tts_ms: Some(400),
            total_ms: Some(1_000),
            prompt_tokens: Some(120),
            completion_tokens: Some(30),
            tools: Vec::new(),
            caller: CallerRecord::default(),
        }
    }

    async fn put(store: &CallStore, turn: &TurnRecord) {
        store
            .write(&Record::Turn(turn.clone()))
            .await
            .expect("writes");
    }

    async fn get(store: &CallStore, call: &CallKey) -> CallDetail {
        store
            .get(call)
            .await
            .expect("reads")
            .expect("the call exists")
    }

    fn without_caller(mut turn: TurnRecord) -> TurnRecord {
        turn.caller = CallerRecord::default();
        turn
    }

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    async fn a_whole_call_comes_back_as_it_happened(store: &CallStore) {
        let call = key("reception", "conv-1");
        let caller = CallerRecord {
            metadata: map(json!({"name": "Ada", "plan": "gold"})),
            from_phone_number: Some("+15550001".to_string()),
            to_phone_number: Some("+15559999".to_string()),
        };
        let mut welcome = turn(&call, "w0", 1_000);
        welcome.event = "session.start".to_string();
        welcome.user_text = String::new();
        welcome.agent_text = "Hello, how can I help?".to_string();
        welcome.first_tts_ms = Some(300);
        welcome.total_ms = Some(800);
        welcome.caller = caller.clone();
        let mut booking = turn(&call, "m1", 2_000);
        booking.user_text = "A table for two, please".to_string();
        booking.agent_text = "Sure, for what time would you like it?".to_string();
        booking.interrupted = true;
        booking.outcome = "interrupted".to_string();
        booking.first_tts_ms = Some(500);
        booking.tools = vec![
            ToolRecord {
                name: "check_availability".to_string(),
                arguments: r#"{"party":2,"note":"window \"seat\""}"#.to_string(),
                outcome: "ok".to_string(),
                ms: Some(120),
            },
            ToolRecord {
                name: "lookup".to_string(),
                arguments: "{}".to_string(),
                outcome: "timeout".to_string(),
                ms: None,
            },
        ];
        booking.caller = caller.clone();
        let mut failure = turn(&call, "m2", 4_000);
        failure.user_text = "Tonight".to_string();
        failure.agent_text = String::new();
        failure.outcome = "failed".to_string();
        failure.model = None;
        failure.attempts = 3;
        failure.first_token_ms = None;
        failure.first_tts_ms = None;
        failure.total_ms = Some(2_000);
        failure.prompt_tokens = None;
        failure.completion_tokens = None;
        // A later webhook without caller context changes nothing of it.

        let report = map(json!({
            "transcript": [
                {"role": "assistant", "text": "Hello, how can I help?"},
                {"role": "user", "text": "A table for two, please"}
            ],
            "duration": 6_000
        }));
        let records = [
            Record::Turn(welcome.clone()),
            Record::Turn(booking.clone()),
            Record::Heard {
                call: call.clone(),
                assistant_turn_id: Some("m1".to_string()),
                text: "Sure, for what".to_string(),
                at_ms: 3_900,
            },
            Record::Turn(failure.clone()),
            Record::SessionEnd {
                call: call.clone(),
                at_ms: 7_000,
                report: report.clone(),
            },
            Record::SessionUpdate {
                call: call.clone(),
                at_ms: 9_000,
                recording_status: Some("completed".to_string()),
                recording_url: Some("https://recordings.example/conv-1.mp3".to_string()),
                details: map(json!({"recording_duration": 6.2})),
            },
            // A later update without the fields keeps them.
            Record::SessionUpdate {
                call: call.clone(),
                at_ms: 9_500,
                recording_status: None,
                recording_url: None,
                details: Map::new(),
            },
        ];
        for record in &records {
            store.write(record).await.expect("writes");
        }

        let detail = get(store, &call).await;
        let mut heard = without_caller(booking);
        heard.agent_text = "Sure, for what".to_string();
        assert_eq!(
            detail.turns,
            vec![without_caller(welcome), heard, without_caller(failure)]
        );
        assert_eq!(detail.metadata, caller.metadata);
        assert_eq!(detail.session_report, Some(report));
        assert_eq!(detail.ended_ms, Some(7_000));
        assert_eq!(detail.recording_status.as_deref(), Some("completed"));
        assert_eq!(
            detail.recording_url.as_deref(),
            Some("https://recordings.example/conv-1.mp3")
        );
        assert_eq!(detail.summary_text, None);
        assert_eq!(
            detail.summary,
            CallSummary {
                agent: "reception".to_string(),
                conversation_id: "conv-1".to_string(),
                started_ms: 1_000,
                last_ms: 7_000,
                duration_ms: 6_000,
                turns: 2,
                outcome: "failed".to_string(),
                median_first_tts_ms: Some(400),
                from_phone_number: Some("+15550001".to_string()),
                to_phone_number: Some("+15559999".to_string()),
            }
        );
        let json = serde_json::to_value(&detail).expect("serialises");
        assert_eq!(json["conversation_id"], "conv-1");
        assert_eq!(json["turns"][1]["tools"][0]["ms"], 120);

        assert_eq!(
            store.get(&key("reception", "nope")).await.expect("reads"),
            None
        );
    }

    async fn a_redelivered_turn_replaces_its_row_and_keeps_its_place(store: &CallStore) {
        let call = key("reception", "conv-2");
        put(store, &turn(&call, "m1", 1_000)).await;
        put(store, &turn(&call, "m2", 2_000)).await;
        let mut again = turn(&call, "m1", 1_000);
        again.agent_text = "a better answer".to_string();
        again.caller.from_phone_number = Some("+1777".to_string());
        put(store, &again).await;

        let detail = get(store, &call).await;
        let ids: Vec<&str> = detail.turns.iter().map(|t| t.turn_id.as_str()).collect();
        assert_eq!(ids, ["m1", "m2"]);
        assert_eq!(detail.turns[0].agent_text, "a better answer");
        assert_eq!(detail.summary.turns, 2);
        assert_eq!(detail.summary.from_phone_number.as_deref(), Some("+1777"));

        // Heard without a turn id: the latest turn that has a reply.
        let mut silent = turn(&call, "m3", 3_000);
        silent.agent_text = String::new();
        put(store, &silent).await;
        store
            .write(&Record::Heard {
                call: call.clone(),
                assistant_turn_id: None,
                text: "agent ans".to_string(),
                at_ms: 3_100,
            })
            .await
            .expect("writes");
        let detail = get(store, &call).await;
        let replies: Vec<(&str, bool)> = detail
            .turns
            .iter()
            .map(|t| (t.agent_text.as_str(), t.interrupted))
            .collect();
        assert_eq!(
            replies,
            [("a better answer", false), ("agent ans", true), ("", false)]
        );
        assert_eq!(detail.summary.outcome, "interrupted");

        // Heard for an unknown call or turn does nothing.
        for (call, id) in [
            (key("reception", "unknown"), None),
            (call.clone(), Some("m9")),
        ] {
            store
                .write(&Record::Heard {
                    call: call.clone(),
                    assistant_turn_id: id.map(str::to_string),
                    text: "x".to_string(),
                    at_ms: 5_000,
                })
                .await
                .expect("writes");
        }
        assert_eq!(
            store
                .get(&key("reception", "unknown"))
                .await
                .expect("reads"),
            None
        );
        assert_eq!(get(store, &call).await.turns, detail.turns);
    }

    async fn lists_filter_by_text_phone_and_agent_and_page_by_time(store: &CallStore) {
        let calls = [
            (
                "reception",
                "c1",
                1_000,
                "I want a TABLE by the window",
                "+15550101",
            ),
            (
                "reception",
                "c2",
                2_000,
                "what are your opening hours",
                "+15550202",
            ),
            ("sales", "c3", 3_000, "a table for 50% off?", "+4420300"),
            ("sales", "c4", 4_000, "nothing to see", "+15550404"),
            ("reception", "c5", 5_000, "a tablet, maybe", "+33100"),
        ];
        for (agent, id, at, said, phone) in calls {
            let mut record = turn(&key(agent, id), "m1", at);
            record.user_text = said.to_string();
            record.caller.from_phone_number = Some(phone.to_string());
            record.caller.to_phone_number = Some("+18009990000".to_string());
            put(store, &record).await;
        }
        let ids = |page: &CallPage| -> Vec<String> {
            page.calls
                .iter()
                .map(|c| c.conversation_id.clone())
                .collect()
        };
        let list = |query: CallQuery| async move { store.list(&query).await.expect("lists") };

        let all = list(CallQuery::default()).await;
        assert_eq!(ids(&all), ["c5", "c4", "c3", "c2", "c1"]);
        assert_eq!(all.next_before_ms, None);

        let text = |t: &str| CallQuery {
            text: Some(t.to_string()),
            ..CallQuery::default()
        };
        assert_eq!(ids(&list(text("table")).await), ["c5", "c3", "c1"]);
        assert_eq!(ids(&list(text("TaBlE BY")).await), ["c1"]);
        assert_eq!(ids(&list(text("50%")).await), ["c3"]);
        assert_eq!(ids(&list(text("0%")).await), ["c3"]);
        assert_eq!(ids(&list(text("_")).await), Vec::<String>::new());
        // The agent's words are searched too.
        assert_eq!(ids(&list(text("ANSWERS")).await).len(), 5);

        let phone = |p: &str| CallQuery {
            phone: Some(p.to_string()),
            ..CallQuery::default()
        };
        assert_eq!(ids(&list(phone("555")).await), ["c4", "c2", "c1"]);
        assert_eq!(ids(&list(phone("+44")).await), ["c3"]);
        assert_eq!(ids(&list(phone("18009990000")).await).len(), 5);

        let agent = |a: &str| CallQuery {
            agent: Some(a.to_string()),
            ..CallQuery::default()
        };
        assert_eq!(ids(&list(agent("sales")).await), ["c4", "c3"]);
        assert_eq!(ids(&list(agent("sale")).await), Vec::<String>::new());

        let combined = CallQuery {
            text: Some("table".to_string()),
            agent: Some("reception".to_string()),
            ..CallQuery::default()
        };
        assert_eq!(ids(&list(combined).await), ["c5", "c1"]);

        let first = list(CallQuery {
            limit: Some(2),
            ..CallQuery::default()
        })
        .await;
        assert_eq!(ids(&first), ["c5", "c4"]);
        assert_eq!(first.next_before_ms, Some(4_000));
        let second = list(CallQuery {
            limit: Some(2),
            before_ms: first.next_before_ms,
            ..CallQuery::default()
        })
        .await;
        assert_eq!(ids(&second), ["c3", "c2"]);
        let third = list(CallQuery {
            limit: Some(2),
            before_ms: second.next_before_ms,
            ..CallQuery::default()
        })
        .await;
        assert_eq!(ids(&third), ["c1"]);
        assert_eq!(third.next_before_ms, None);
        assert_eq!(third.next_cursor, None);

        // Limits are kept within 1..=200.
        let one = list(CallQuery {
            limit: Some(0),
            ..CallQuery::default()
        })
        .await;
        assert_eq!(ids(&one), ["c5"]);
        let most = list(CallQuery {
            limit: Some(10_000),
            ..CallQuery::default()
        })
        .await;
        assert_eq!(most.calls.len(), 5);
    }

    async fn summaries_give_outcome_median_and_duration(store: &CallStore) {
        // Completed: three turns, median of 400, 100, 900 is 400; duration to the end of
        // the last turn (3_000 + 1_000 - 1_000).
        let done = key("a", "done");
        let mut welcome = turn(&done, "w", 1_000);
        welcome.event = "session.start".to_string();
        welcome.first_tts_ms = Some(100);
        put(store, &welcome).await;
        put(store, &turn(&done, "m1", 2_000)).await;
        let mut last = turn(&done, "m2", 3_000);
        last.first_tts_ms = Some(900);
        put(store, &last).await;

        // Interrupted, no speech at all, no session end.
        let cut = key("a", "cut");
        let mut only = turn(&cut, "m1", 10_000);
        only.first_tts_ms = None;
        only.total_ms = None;
        only.interrupted = true;
        put(store, &only).await;

        // Only a session end: the call exists, with no turns.
        let bare = key("a", "bare");
        store
            .write(&Record::SessionEnd {
                call: bare.clone(),
                at_ms: 20_000,
                report: Map::new(),
            })
            .await
            .expect("writes");

        let page = store.list(&CallQuery::default()).await.expect("lists");
        let by_id = |id: &str| {
            page.calls
                .iter()
                .find(|c| c.conversation_id == id)
                .cloned()
                .expect("listed")
        };
        let summary = by_id("done");
        assert_eq!(
            (
                summary.turns,
                summary.outcome.as_str(),
                summary.median_first_tts_ms
            ),
            (2, "completed", Some(400))
        );
        assert_eq!(summary.duration_ms, 3_000);
        assert_eq!((summary.started_ms, summary.last_ms), (1_000, 3_000));
        assert_eq!(summary, get(store, &done).await.summary);

        let summary = by_id("cut");
        assert_eq!(
            (
                summary.turns,
                summary.outcome.as_str(),
                summary.median_first_tts_ms
            ),
            (1, "interrupted", None)
        );
        assert_eq!(summary.duration_ms, 0);

        let detail = get(store, &bare).await;
        assert_eq!(detail.summary, by_id("bare"));
        assert_eq!(
            (detail.summary.turns, detail.summary.outcome.as_str()),
            (0, "completed")
        );
        assert_eq!(detail.summary.duration_ms, 0);
        assert_eq!(detail.session_report, Some(Map::new()));
        assert!(detail.turns.is_empty());
        assert!(detail.metadata.is_empty());
    }

    async fn delete_removes_a_call_and_its_turns(store: &CallStore) {
        let call = key("a", "gone");
        let kept = key("a", "kept");
        put(store, &turn(&call, "m1", 1_000)).await;
        put(store, &turn(&call, "m2", 2_000)).await;
        put(store, &turn(&kept, "m1", 1_500)).await;
        assert!(store.delete(&call).await.expect("deletes"));
        assert_eq!(store.get(&call).await.expect("reads"), None);
        assert!(!store.delete(&call).await.expect("deletes"));
        // Its turns went too: the same id starts afresh.
        put(store, &turn(&call, "m9", 5_000)).await;
        let ids: Vec<String> = get(store, &call)
            .await
            .turns
            .into_iter()
            .map(|t| t.turn_id)
            .collect();
        assert_eq!(ids, ["m9"]);
        assert_eq!(get(store, &kept).await.turns.len(), 1);
    }

    async fn delete_older_than_keeps_recent_calls(store: &CallStore) {
        for (id, at) in [("old", 1_000), ("older", 500), ("new", 3_000)] {
            put(store, &turn(&key("a", id), "m1", at)).await;
        }
        assert_eq!(store.delete_older_than(2_000).await.expect("deletes"), 2);
        let page = store.list(&CallQuery::default()).await.expect("lists");
        let ids: Vec<&str> = page
            .calls
            .iter()
            .map(|c| c.conversation_id.as_str())
            .collect();
        assert_eq!(ids, ["new"]);
        assert_eq!(store.get(&key("a", "old")).await.expect("reads"), None);
        assert_eq!(store.delete_older_than(2_000).await.expect("deletes"), 0);
        // Re-creating an old call shows no stale turns.
        put(store, &turn(&key("a", "old"), "m2", 4_000)).await;
        assert_eq!(get(store, &key("a", "old")).await.turns.len(), 1);
    }

    /// Five minutes, in milliseconds.
    const LEASE_MS: i64 = 5 * 60 * 1000;

    async fn a_post_call_is_claimed_by_one_machine_and_delivered_once(store: &CallStore) {
        let call = key("a", "hook");
        let claim = |at: i64| async move {
            store
                .claim_post_call(&key("a", "hook"), at, at - LEASE_MS, i64::MAX)
                .await
                .expect("claims")
        };
        assert!(!claim(10_000).await, "no such call");
        put(store, &turn(&call, "m1", 1_000)).await;
        // Still going by the database (active at or after the quiet bound, not ended),
        // whatever one machine saw of it.
        assert!(!store
            .claim_post_call(&call, 10_000, 10_000 - LEASE_MS, 1_000)
            .await
            .expect("claims"));
        assert!(claim(10_000).await);
        assert!(!claim(10_001).await, "claimed: another machine does not");
        assert!(!claim(10_000 + LEASE_MS).await, "the lease still runs");
        // Past the lease the first machine is taken to have stopped: the call is taken over.
        let later = 10_001 + LEASE_MS;
        assert!(claim(later).await);
        // The first machine's claim is no longer the call's: it gives back nothing.
        assert!(!store
            .release_post_call(&call, 10_000)
            .await
            .expect("releases"));
        assert!(!claim(later + 1).await);
        // The current claim given back, the call can be claimed at once.
        assert!(store
            .release_post_call(&call, later)
            .await
            .expect("releases"));
        assert!(claim(later + 2).await);
        store
            .post_call_delivered(&call, later + 3)
            .await
            .expect("marks");
        // Delivered: never claimed again, not even long after.
        assert!(!claim(later + 100 * LEASE_MS).await);
        assert!(!store
            .release_post_call(&call, later + 2)
            .await
            .expect("releases"));
        // Later records of the call change nothing of it.
        put(store, &turn(&call, "m2", later + 200 * LEASE_MS)).await;
        assert!(!claim(later + 300 * LEASE_MS).await);
        // Another call is claimed on its own.
        put(store, &turn(&key("a", "other"), "m1", 1_000)).await;
        assert!(store
            .claim_post_call(&key("a", "other"), 20_000, 20_000 - LEASE_MS, i64::MAX)
            .await
            .expect("claims"));
    }

    async fn calls_owed_a_post_call_are_the_ones_over_undelivered_and_unclaimed(store: &CallStore) {
        let now = 1_000_000_000;
        let day = 24 * 60 * 60 * 1000;
        let end = |id: &str, at_ms: i64| Record::SessionEnd {
            call: key("a", id),
            at_ms,
            report: Map::new(),
        };
        // Quiet for two minutes (over after one): owed.
        put(store, &turn(&key("a", "quiet"), "m1", now - 120_000)).await;
        // Claimed by a machine that stopped long ago: owed.
        put(store, &turn(&key("a", "stale"), "m1", now - 110_000)).await;
        assert!(store
            .claim_post_call(
                &key("a", "stale"),
                now - 2 * LEASE_MS,
                now - 3 * LEASE_MS,
                i64::MAX
            )
            .await
            .expect("claims"));
        // Ended 50 s ago, after a turn: owed.
        put(store, &turn(&key("a", "ended"), "m1", now - 60_000)).await;
        store
            .write(&end("ended", now - 50_000))
            .await
            .expect("writes");
        // Ended a moment ago: its last records may still come; not yet.
        put(store, &turn(&key("a", "ending"), "m1", now - 5_000)).await;
        store
            .write(&end("ending", now - 1_000))
            .await
            .expect("writes");
        // Still talking.
        put(store, &turn(&key("a", "talking"), "m1", now - 10_000)).await;
        // Quiet, but being delivered by another machine.
        put(store, &turn(&key("a", "claimed"), "m1", now - 100_000)).await;
        assert!(store
            .claim_post_call(
                &key("a", "claimed"),
                now - 1_000,
                now - 1_000 - LEASE_MS,
                i64::MAX
            )
            .await
            .expect("claims"));
        // Delivered already.
        put(store, &turn(&key("a", "done"), "m1", now - 100_000)).await;
        store
            .post_call_delivered(&key("a", "done"), now - 90_000)
            .await
            .expect("marks");
        // Older than the window.
        put(store, &turn(&key("a", "ancient"), "m1", now - 2 * day)).await;
        store
            .write(&end("ancient", now - 2 * day))
            .await
            .expect("writes");

        let owed = |limit: u32| async move {
            let query = OwedQuery {
                active_since_ms: now - day,
                ended_before_ms: now - 2_000,
                quiet_before_ms: now - 60_000,
                claimed_before_ms: now - LEASE_MS,
                limit,
            };
            let calls = store.post_calls_owed(&query).await.expect("reads");
            calls
                .into_iter()
                .map(|c| c.conversation_id)
                .collect::<Vec<_>>()
        };
        assert_eq!(owed(10).await, ["quiet", "stale", "ended"]);
        assert_eq!(owed(2).await, ["quiet", "stale"], "bounded, oldest first");
    }

    async fn execute(store: &CallStore, sql: &str) {
        with_pool!(store, |pool| {
            sqlx::query(sql).execute(pool).await.expect("executes");
        });
    }

    async fn an_older_database_is_upgraded_and_only_calls_going_on_stay_owed(store: &CallStore) {
        // The schema as the first migration left it.
        execute(store, "ALTER TABLE calls DROP COLUMN post_call_claim_ms").await;
        execute(
            store,
            "ALTER TABLE calls DROP COLUMN post_call_delivered_ms",
        )
        .await;
        execute(store, "DELETE FROM _sqlx_migrations WHERE version = 2").await;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        put(store, &turn(&key("a", "ended"), "m1", now - 60_000)).await;
        store
            .write(&Record::SessionEnd {
                call: key("a", "ended"),
                at_ms: now - 50_000,
                report: Map::new(),
            })
            .await
            .expect("writes");
        put(store, &turn(&key("a", "quiet"), "m1", now - 40 * 60_000)).await;
        // Quiet for less than the default idle time: the old version had not sent it.
        put(store, &turn(&key("a", "going"), "m1", now - 10 * 60_000)).await;

        let source = match store.backend {
            Backend::Sqlite(_) => SQLITE_MIGRATIONS,
            Backend::Postgres(_) => POSTGRES_MIGRATIONS,
        };
        let migrator = migrator(source).await.expect("loads");
        with_pool!(store, |pool| migrator.run(pool).await.expect("migrates"));

        let claim = |id: &'static str| async move {
            store
                .claim_post_call(&key("a", id), now, now - LEASE_MS, i64::MAX)
                .await
                .expect("claims")
        };
        assert!(!claim("ended").await, "handed on by the previous version");
        assert!(!claim("quiet").await, "handed on by the previous version");
        assert!(
            claim("going").await,
            "still going: delivered when it is over"
        );
        assert_eq!(get(store, &key("a", "going")).await.turns.len(), 1);
    }

    /// Calls that share their last millisecond across a page boundary: paging by cursor
    /// shows each once (by `before_ms` the rest of the tie would be skipped).
    async fn pages_by_cursor_keep_calls_that_share_a_millisecond(store: &CallStore) {
        for (agent, id, at) in [
            ("b", "t1", 5_000),
            ("a", "t2", 5_000),
            ("a", "t3~x", 5_000),
            ("a", "t4", 4_000),
            ("a", "t5", 6_000),
        ] {
            put(store, &turn(&key(agent, id), "m1", at)).await;
        }
        let mut seen = Vec::new();
        let mut cursor = None;
        for _ in 0..5 {
            let page = store
                .list(&CallQuery {
                    limit: Some(2),
                    cursor: cursor.clone(),
                    ..CallQuery::default()
                })
                .await
                .expect("lists");
            seen.extend(page.calls.iter().map(|c| c.conversation_id.clone()));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, ["t5", "t2", "t3~x", "t1", "t4"]);
        let refused = store
            .list(&CallQuery {
                cursor: Some("soon~a".to_string()),
                ..CallQuery::default()
            })
            .await
            .expect_err("not a cursor");
        assert!(refused.is_permanent(), "{refused}");
    }

    /// Each scenario once on SQLite (in memory) and once on a fresh Postgres database.
    macro_rules! on_both_backends {
        ($($scenario:ident),* $(,)?) => {
            mod sqlite {
                $(
                    #[tokio::test]
                    async fn $scenario() {
                        let store = super::memory().await;
                        super::$scenario(&store).await;
                    }
                )*
            }
            mod postgres {
                $(
                    #[tokio::test]
                    async fn $scenario() {
                        let db = super::TestDb::create().await;
                        super::$scenario(&db.store).await;
                    }
                )*
            }
        };
    }

    on_both_backends!(
        a_whole_call_comes_back_as_it_happened,
        a_redelivered_turn_replaces_its_row_and_keeps_its_place,
        lists_filter_by_text_phone_and_agent_and_page_by_time,
        pages_by_cursor_keep_calls_that_share_a_millisecond,
        summaries_give_outcome_median_and_duration,
        delete_removes_a_call_and_its_turns,
        delete_older_than_keeps_recent_calls,
        a_post_call_is_claimed_by_one_machine_and_delivered_once,
        calls_owed_a_post_call_are_the_ones_over_undelivered_and_unclaimed,
        an_older_database_is_upgraded_and_only_calls_going_on_stay_owed,
    );

    #[tokio::test]
    async fn a_sqlite_file_survives_a_restart_and_migrations_run_again() {
        let folder = std::env::temp_dir().join(unique("vb-calls"));
        let path = folder.join("nested").join("calls.db");
        let url = format!("sqlite://{}", path.display());
        let call = key("a", "kept");
        {
            let store = CallStore::connect(&url).await.expect("opens");
            put(&store, &turn(&call, "m1", 1_000)).await;
        }
        assert!(path.exists(), "the file and its folders are created");
        let store = CallStore::connect(&url).await.expect("opens again");
        let detail = get(&store, &call).await;
        assert_eq!(detail.turns, vec![turn(&call, "m1", 1_000)]);
        let mode: String = match &store.backend {
            Backend::Sqlite(pool) => sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(pool)
                .await
                .expect("reads"),
            Backend::Postgres(_) => unreachable!("a SQLite URL"),
        };
        assert_eq!(mode, "wal");
        drop(store);
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[tokio::test]
    async fn postgres_migrations_run_again_on_reconnect() {
        let db = TestDb::create().await;
        let call = key("a", "kept");
        put(&db.store, &turn(&call, "m1", 1_000)).await;
        let again = CallStore::connect(&db.url).await.expect("connects again");
        assert_eq!(get(&again, &call).await.turns.len(), 1);
    }

    /// What retrying can and cannot mend: a conversation id far too long for PostgreSQL's
    /// primary-key index (SQLSTATE 54000) is refused for good; a database that is gone is
    /// a failure that may pass.
    #[tokio::test]
    async fn a_record_the_database_refuses_is_a_permanent_failure() {
        let db = TestDb::create().await;
        // Not compressible, so the index really gets 20 000 bytes.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let noise: String = (0..20_000)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                char::from(b'!' + (seed % 90) as u8)
            })
            .collect();
        let huge = key("a", &noise);
        let err = db
            .store
            .write(&Record::Turn(turn(&huge, "m1", 1_000)))
            .await
            .expect_err("the index row is too large");
        assert!(err.is_permanent(), "{err}");
        put(&db.store, &turn(&key("a", "fine"), "m1", 1_000)).await;

        let gone = CallStore::connect(&db.url).await.expect("connects");
        drop(db);
        let err = gone
            .write(&Record::Turn(turn(&key("a", "later"), "m1", 2_000)))
            .await
            .expect_err("the database was dropped");
        assert!(!err.is_permanent(), "{err}");
    }

    #[test]
    fn refusing_codes_are_data_errors_only() {
        for code in ["22001", "22021", "23505", "54000", "19", "2067", "18", "20"] {
            assert!(refusing_code(code), "{code}");
        }
        for code in ["08006", "57P01", "53100", "40001", "5", "517", "13", "10"] {
            assert!(!refusing_code(code), "{code}");
        }
    }

    #[tokio::test]
    async fn errors_and_debug_never_show_the_password() {
        let err = CallStore::connect("postgres://user:hunter2@127.0.0.1:1/calls")
            .await
            .expect_err("nothing listens on port 1");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert!(err.to_string().starts_with("call store: "), "{err}");

        let err = CallStore::connect("mysql://user:hunter2@host/db")
            .await
            .expect_err("not a supported scheme");
        assert!(!err.to_string().contains("hunter2"), "{err}");

        let store = memory().await;
        assert_eq!(format!("{store:?}"), r#"CallStore { backend: "sqlite" }"#);
    }

    #[test]
    fn passwords_are_found_in_urls() {
        assert_eq!(password_of("postgres://u:p%40ss@h:5432/db"), Some("p%40ss"));
        assert_eq!(password_of("postgres://u@h/db"), None);
        assert_eq!(password_of("postgres://h/db?user=u"), None);
        assert_eq!(password_of("sqlite::memory:"), None);
    }

    #[test]
    fn medians_take_the_middle_or_the_mean_of_the_two_middles() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[7]), Some(7));
        assert_eq!(median(&[1, 4]), Some(2));
        assert_eq!(median(&[1, 5, 9]), Some(5));
        assert_eq!(median(&[1, 2, 10, 20]), Some(6));
    }

    #[test]
    fn like_wildcards_are_taken_literally() {
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
