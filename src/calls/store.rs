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
#[error("call store: {0}")]
pub struct CallStoreError(pub String);

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
    /// Only calls whose last activity is before this (unix milliseconds): the next page.
    pub before_ms: Option<i64>,
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

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone)]
enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Bool(bool),
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
                Arg::Text(v) => query.bind(v),
                Arg::OptText(v) => query.bind(v),
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
const DELETE_OLD_TURNS: &str = "\
    DELETE FROM turns WHERE EXISTS (SELECT 1 FROM calls \
        WHERE calls.agent = turns.agent AND calls.conversation_id = turns.conversation_id \
        AND calls.last_ms < $1)";
const DELETE_OLD_CALLS: &str = "DELETE FROM calls WHERE last_ms < $1";

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
                .map_err(|e| CallStoreError(hide(e)))?;
            migrator(SQLITE_MIGRATIONS)
                .await?
                .run(&pool)
                .await
                .map_err(|e| CallStoreError(hide(format!("migrating the SQLite schema: {e}"))))?;
            Ok(Self {
                backend: Backend::Sqlite(pool),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| CallStoreError(hide(format!("reading the Postgres URL: {e}"))))?;
            let pool = PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(|e| CallStoreError(hide(format!("connecting to Postgres: {e}"))))?;
            migrator(POSTGRES_MIGRATIONS)
                .await?
                .run(&pool)
                .await
                .map_err(|e| CallStoreError(hide(format!("migrating the Postgres schema: {e}"))))?;
            Ok(Self {
                backend: Backend::Postgres(pool),
            })
        } else {
            Err(CallStoreError(
                "the URL must start with sqlite:, postgres:// or postgresql://".into(),
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
        let steps = steps_for(record)?;
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

        let next_before_ms = match calls.last() {
            Some(last) if calls.len() == limit as usize => Some(last.last_ms),
            _ => None,
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
                .map_err(|e| CallStoreError(format!("encoding tools: {e}")))?;
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
            .map_err(|e| CallStoreError(format!("stored tools are not valid: {e}")))?;
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
    serde_json::to_string(map).map_err(|e| CallStoreError(format!("encoding JSON: {e}")))
}

fn json_map(text: &str, what: &str) -> Result<Map<String, Value>, CallStoreError> {
    serde_json::from_str(text)
        .map_err(|e| CallStoreError(format!("stored {what} is not valid: {e}")))
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn to_u64(value: i64) -> Option<u64> {
    u64::try_from(value).ok()
}

/// Maps a database error to a store error saying what was being done.
fn failed(doing: &'static str) -> impl Fn(sqlx::Error) -> CallStoreError {
    move |e| CallStoreError(format!("{doing}: {e}"))
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

const SQLITE_MIGRATIONS: Embedded = Embedded(&[(
    1,
    "calls",
    include_str!("../../migrations/sqlite/0001_calls.sql"),
)]);

const POSTGRES_MIGRATIONS: Embedded = Embedded(&[(
    1,
    "calls",
    include_str!("../../migrations/postgres/0001_calls.sql"),
)]);

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
        .map_err(|e| CallStoreError(format!("loading migrations: {e}")))
}
