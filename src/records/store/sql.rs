//! The SQL both backends run, and how values reach it: the statement texts, the
//! [`Arg`] bound to each `$n` placeholder, and the `with_pool!`/`bind_all!` macros that
//! write a query once for both pools.

use crate::records::record::CallKey;

/// A value bound to a `$n` placeholder.
#[derive(Debug, Clone)]
pub(super) enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    OptFloat(Option<f64>),
    OptBool(Option<bool>),
    Bool(bool),
}

/// Text as both databases store it: PostgreSQL refuses the NUL character (and a record it
/// refuses would be retried for ever), so it is dropped; nothing a caller can say needs it.
pub(super) fn storable(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "")
    } else {
        text
    }
}

/// One statement and its values.
pub(super) type Step = (&'static str, Vec<Arg>);

/// Runs `$body` with `$pool` bound to whichever pool the store has: the body is written
/// once and type-checked for each backend.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            $crate::records::store::Backend::Sqlite($pool) => $body,
            $crate::records::store::Backend::Postgres($pool) => $body,
        }
    };
}
pub(super) use with_pool;

/// Runs `$sql` with `$args` on either backend and reads every row with `$read` (a row
/// reader generic over the backend's row type); `$doing` names the step in errors.
macro_rules! fetch_rows {
    ($store:expr, $sql:expr, $args:expr, $read:path, $doing:literal) => {
        $crate::records::store::sql::with_pool!($store, |pool| {
            let rows = $crate::records::store::sql::bind_all!(sqlx::query($sql), $args)
                .fetch_all(pool)
                .await
                .map_err($crate::records::store::connect::failed($doing))?;
            rows.iter()
                .map($read)
                .collect::<Result<Vec<_>, _>>()
                .map_err($crate::records::store::connect::failed($doing))
        })
    };
}
pub(super) use fetch_rows;

/// Binds `$args` to `$query` in order.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        use $crate::records::store::sql::{storable, Arg};
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Text(v) => query.bind(storable(v)),
                Arg::OptText(v) => query.bind(v.map(storable)),
                Arg::Int(v) => query.bind(v),
                Arg::OptInt(v) => query.bind(v),
                Arg::OptFloat(v) => query.bind(v),
                Arg::OptBool(v) => query.bind(v),
                Arg::Bool(v) => query.bind(v),
            };
        }
        query
    }};
}
pub(super) use bind_all;

pub(super) const CALL_COLUMNS: &str =
    "agent, conversation_id, started_ms, last_ms, from_phone_number, \
    to_phone_number, metadata, session_report, ended_ms, recording_status, recording_url, summary, \
    door, voice_cost_usd, analysis, success, record_content, redactions";

pub(super) const TURN_COLUMNS: &str =
    "agent, conversation_id, turn_id, seq, at_ms, event, user_text, \
    agent_text, interrupted, outcome, model, attempts, first_token_ms, first_tts_ms, total_ms, \
    prompt_tokens, completion_tokens, tools, without_history, trace_id, knowledge, cached_tokens, \
    cost_usd";

/// What a summary needs of a turn.
pub(super) const STAT_COLUMNS: &str =
    "agent, conversation_id, at_ms, event, interrupted, outcome, first_tts_ms, total_ms, \
    prompt_tokens, completion_tokens, tool_calls, SUBSTR(user_text, 1, 200) AS opening, model, \
    cached_tokens, cost_usd";

pub(super) const UPSERT_CALL_FOR_TURN: &str = "\
    INSERT INTO calls (agent, conversation_id, started_ms, last_ms, from_phone_number, \
        to_phone_number, metadata, door, record_content, redactions) \
    VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9) \
    ON CONFLICT (agent, conversation_id) DO UPDATE SET \
        started_ms = CASE WHEN excluded.started_ms < calls.started_ms \
            THEN excluded.started_ms ELSE calls.started_ms END, \
        last_ms = CASE WHEN excluded.last_ms > calls.last_ms \
            THEN excluded.last_ms ELSE calls.last_ms END, \
        from_phone_number = COALESCE(excluded.from_phone_number, calls.from_phone_number), \
        to_phone_number = COALESCE(excluded.to_phone_number, calls.to_phone_number), \
        metadata = CASE WHEN excluded.metadata = '{}' THEN calls.metadata \
            ELSE excluded.metadata END, \
        record_content = COALESCE(excluded.record_content, calls.record_content), \
        redactions = COALESCE(excluded.redactions, calls.redactions)";

/// A new turn goes after the call's others; a redelivered one keeps its place.
pub(super) const UPSERT_TURN: &str = "\
    INSERT INTO turns (agent, conversation_id, turn_id, seq, at_ms, event, user_text, \
        agent_text, interrupted, outcome, model, attempts, first_token_ms, first_tts_ms, \
        total_ms, prompt_tokens, completion_tokens, tools, without_history, tool_calls, \
        trace_id, knowledge, cached_tokens, cost_usd) \
    VALUES ($1, $2, $3, \
        (SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE agent = $1 AND conversation_id = $2), \
        $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) \
    ON CONFLICT (agent, conversation_id, turn_id) DO UPDATE SET \
        at_ms = excluded.at_ms, event = excluded.event, user_text = excluded.user_text, \
        agent_text = excluded.agent_text, interrupted = excluded.interrupted, \
        outcome = excluded.outcome, model = excluded.model, attempts = excluded.attempts, \
        first_token_ms = excluded.first_token_ms, first_tts_ms = excluded.first_tts_ms, \
        total_ms = excluded.total_ms, prompt_tokens = excluded.prompt_tokens, \
        completion_tokens = excluded.completion_tokens, tools = excluded.tools, \
        without_history = excluded.without_history, tool_calls = excluded.tool_calls, \
        trace_id = excluded.trace_id, knowledge = excluded.knowledge, \
        cached_tokens = excluded.cached_tokens, cost_usd = excluded.cost_usd";

pub(super) const HEARD_BY_ID: &str = "\
    UPDATE turns SET agent_text = $4, interrupted = $5 \
    WHERE agent = $1 AND conversation_id = $2 AND turn_id = $3";

pub(super) const HEARD_LATEST: &str = "\
    UPDATE turns SET agent_text = $3, interrupted = $4 \
    WHERE agent = $1 AND conversation_id = $2 AND seq = ( \
        SELECT MAX(seq) FROM turns \
        WHERE agent = $1 AND conversation_id = $2 AND agent_text <> '')";

pub(super) const SESSION_END: &str = "\
    INSERT INTO calls (agent, conversation_id, started_ms, last_ms, session_report, ended_ms, \
        voice_cost_usd, redactions) \
    VALUES ($1, $2, $3, $3, $4, $3, $5, $6) \
    ON CONFLICT (agent, conversation_id) DO UPDATE SET \
        last_ms = CASE WHEN excluded.last_ms > calls.last_ms \
            THEN excluded.last_ms ELSE calls.last_ms END, \
        session_report = excluded.session_report, \
        ended_ms = excluded.ended_ms, voice_cost_usd = excluded.voice_cost_usd, \
        redactions = COALESCE(excluded.redactions, calls.redactions)";

/// A recording update does not move the call in the list: it may come long after.
pub(super) const SESSION_UPDATE: &str = "\
    INSERT INTO calls (agent, conversation_id, started_ms, last_ms, recording_status, \
        recording_url, recording_details) \
    VALUES ($1, $2, $3, $3, $4, $5, $6) \
    ON CONFLICT (agent, conversation_id) DO UPDATE SET \
        recording_status = COALESCE(excluded.recording_status, calls.recording_status), \
        recording_url = COALESCE(excluded.recording_url, calls.recording_url), \
        recording_details = CASE WHEN excluded.recording_details = '{}' \
            THEN calls.recording_details ELSE excluded.recording_details END";

pub(super) const REDACTIONS: &str =
    "SELECT redactions FROM calls WHERE agent = $1 AND conversation_id = $2";
pub(super) const DELETE_TURNS: &str = "DELETE FROM turns WHERE agent = $1 AND conversation_id = $2";
pub(super) const DELETE_CALL: &str = "DELETE FROM calls WHERE agent = $1 AND conversation_id = $2";
pub(super) const SET_ANALYSIS: &str =
    "UPDATE calls SET analysis = $1, success = $2 WHERE agent = $3 AND conversation_id = $4";
pub(super) const SET_SUMMARY: &str =
    "UPDATE calls SET summary = $1 WHERE agent = $2 AND conversation_id = $3";
pub(super) const DELETE_OLD_TURNS: &str = "\
    DELETE FROM turns WHERE EXISTS (SELECT 1 FROM calls \
        WHERE calls.agent = turns.agent AND calls.conversation_id = turns.conversation_id \
        AND calls.last_ms < $1)";
pub(super) const DELETE_OLD_CALLS: &str =
    "DELETE FROM calls WHERE last_ms < $1 RETURNING agent, conversation_id";
/// Calls whose numbers hold the digits `$1` (`%5%5%5…%`) in order; the caller compares
/// the digits exactly.
pub(super) const CALLS_OF_PHONE: &str = "\
    SELECT agent, conversation_id, from_phone_number, to_phone_number FROM calls \
    WHERE from_phone_number LIKE $1 OR to_phone_number LIKE $1";

/// Takes the call for one machine's delivery: over (ended, or nothing since `$5`), not
/// delivered, and not claimed, or claimed before `$4` (a lease that ran out). "Over" is
/// read here, not from one machine's view: another machine may have had the call's
/// later turns.
pub(super) const CLAIM_POST_CALL: &str = "\
    UPDATE calls SET post_call_claim_ms = $3 \
    WHERE agent = $1 AND conversation_id = $2 AND post_call_delivered_ms IS NULL \
        AND (post_call_claim_ms IS NULL OR post_call_claim_ms < $4) \
        AND (ended_ms IS NOT NULL OR last_ms < $5)";
pub(super) const POST_CALL_DELIVERED: &str = "\
    UPDATE calls SET post_call_delivered_ms = $3 WHERE agent = $1 AND conversation_id = $2";
/// Gives a claim back, unless another machine took the call over meanwhile.
pub(super) const RELEASE_POST_CALL: &str = "\
    UPDATE calls SET post_call_claim_ms = NULL \
    WHERE agent = $1 AND conversation_id = $2 AND post_call_claim_ms = $3 \
        AND post_call_delivered_ms IS NULL";
pub(super) const POST_CALLS_OWED: &str = "\
    SELECT agent, conversation_id FROM calls \
    WHERE post_call_delivered_ms IS NULL AND last_ms >= $1 \
        AND ((ended_ms IS NOT NULL AND ended_ms < $2) OR last_ms < $3) \
        AND (post_call_claim_ms IS NULL OR post_call_claim_ms < $4) \
    ORDER BY last_ms, agent, conversation_id LIMIT $5";

/// Appends a value and returns its placeholder.
pub(super) fn push(args: &mut Vec<Arg>, arg: Arg) -> String {
    args.push(arg);
    format!("${}", args.len())
}

/// A `LIKE` pattern matching `needle` anywhere, its wildcards taken literally.
pub(super) fn contains_pattern(needle: &str) -> String {
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

pub(super) fn key_args(call: &CallKey) -> Vec<Arg> {
    vec![
        Arg::Text(call.agent.clone()),
        Arg::Text(call.conversation_id.clone()),
    ]
}

pub(super) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(super) fn to_u64(value: i64) -> Option<u64> {
    u64::try_from(value).ok()
}
