//! [`CallStore`]: the calls database, SQLite (a file beside the server, or memory in
//! tests) or Postgres (shared by every machine). Both backends run the same statements:
//! `$n` placeholders, `INSERT … ON CONFLICT … DO UPDATE`, JSON kept as text. Only the
//! schema differs (`migrations/sqlite`, `migrations/postgres`), and it is brought up to
//! date at connect.

mod connect;
mod inspect;
pub use inspect::Inspection;
mod post_call;
mod read;
mod rows;
mod sql;
mod stats;
pub use stats::{DayStats, Stats, StatsQuery, ToolStats};
#[cfg(test)]
pub(crate) mod tests;
mod write;
pub use write::phone_digits;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

use super::record::TurnRecord;

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

impl CallStore {
    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
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
    /// Only calls whose last activity is at or after this (unix milliseconds).
    pub since_ms: Option<i64>,
    /// Only calls whose analysis says they met (`true`) or missed (`false`) their rubric.
    pub success: Option<bool>,
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
    /// `failed` when the call's last message turn failed (the call ended on a failure),
    /// else `interrupted` when a turn was cut short, else `completed`. A turn that failed
    /// in a call that went on is counted in `failed_turns`, not here.
    pub outcome: String,
    /// Message turns that failed (the caller heard the apology).
    pub failed_turns: u32,
    /// The median time to first speech over the turns that spoke.
    pub median_first_tts_ms: Option<u64>,
    /// What the call was about at a glance: its written summary when one was made, else
    /// the beginning of the caller's first message (up to 200 characters).
    pub preview: Option<String>,
    /// The door the call came through: `layercode` or `openai`.
    pub door: String,
    /// Tool calls over all turns.
    pub tool_calls: u32,
    /// Prompt tokens over the turns whose provider reported usage; `None` when none did.
    pub prompt_tokens: Option<u64>,
    /// Completion tokens over the turns whose provider reported usage; `None` when none did.
    pub completion_tokens: Option<u64>,
    /// Prompt tokens the providers served from their caches; `None` when none said.
    pub cached_tokens: Option<u64>,
    /// What the call cost in USD: its turns' tokens and, with per-minute prices, the
    /// session's minutes. `None` when a turn's model has no price (a part is never
    /// guessed) or nothing was priced.
    pub cost_usd: Option<f64>,
    /// Of `cost_usd`, the session's minutes (voice platform, speech-to-text,
    /// text-to-speech), when priced.
    pub voice_cost_usd: Option<f64>,
    /// Whether the call met its agent's success rubric, once analysed.
    pub success: Option<bool>,
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
    /// The call's structured analysis (`data`, `success`, `success_reason`, `summary`),
    /// once made.
    pub analysis: Option<Map<String, Value>>,
    /// What the record keeps of the words: `full`, `redacted` or `none` (`None` for calls
    /// kept before this was recorded).
    pub record_content: Option<String>,
    /// With `redacted`: how many distinct values of each type were replaced (`{"phone":
    /// 2}`), never the values.
    pub redactions: Option<Map<String, Value>>,
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
