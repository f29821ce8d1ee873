//! Rows as the database gives them back: a call, a turn, and the few columns of a turn
//! a summary needs.

use sqlx::{ColumnIndex, Decode, Row, Type};

use super::sql::to_u64;
use super::CallStoreError;
use crate::records::record::{CallKey, CallerRecord, ToolRecord, TurnRecord};

/// A call's row as stored.
#[derive(Debug)]
pub(super) struct StoredCall {
    pub(super) agent: String,
    pub(super) conversation_id: String,
    pub(super) started_ms: i64,
    pub(super) last_ms: i64,
    pub(super) from_phone_number: Option<String>,
    pub(super) to_phone_number: Option<String>,
    pub(super) metadata: String,
    pub(super) session_report: Option<String>,
    pub(super) ended_ms: Option<i64>,
    pub(super) recording_status: Option<String>,
    pub(super) recording_url: Option<String>,
    pub(super) summary: Option<String>,
    pub(super) door: String,
    pub(super) voice_cost_usd: Option<f64>,
    pub(super) analysis: Option<String>,
    pub(super) success: Option<bool>,
    pub(super) record_content: Option<String>,
    pub(super) redactions: Option<String>,
}

impl StoredCall {
    pub(super) fn read<'r, R>(row: &'r R) -> Result<Self, sqlx::Error>
    where
        R: Row,
        &'static str: ColumnIndex<R>,
        String: Decode<'r, R::Database> + Type<R::Database>,
        i64: Decode<'r, R::Database> + Type<R::Database>,
        f64: Decode<'r, R::Database> + Type<R::Database>,
        bool: Decode<'r, R::Database> + Type<R::Database>,
    {
        Ok(Self {
            analysis: row.try_get("analysis")?,
            success: row.try_get("success")?,
            record_content: row.try_get("record_content")?,
            redactions: row.try_get("redactions")?,
            voice_cost_usd: row.try_get("voice_cost_usd")?,
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
            door: row.try_get("door")?,
        })
    }
}

/// A turn's row as stored.
#[derive(Debug)]
pub(super) struct StoredTurn {
    pub(super) agent: String,
    pub(super) conversation_id: String,
    pub(super) turn_id: String,
    pub(super) at_ms: i64,
    pub(super) event: String,
    pub(super) user_text: String,
    pub(super) agent_text: String,
    pub(super) interrupted: bool,
    pub(super) outcome: String,
    pub(super) model: Option<String>,
    pub(super) attempts: i64,
    pub(super) first_token_ms: Option<i64>,
    pub(super) first_tts_ms: Option<i64>,
    pub(super) total_ms: Option<i64>,
    pub(super) prompt_tokens: Option<i64>,
    pub(super) completion_tokens: Option<i64>,
    pub(super) tools: String,
    pub(super) without_history: bool,
    pub(super) trace_id: Option<String>,
    pub(super) knowledge: String,
    pub(super) cached_tokens: Option<i64>,
    pub(super) cost_usd: Option<f64>,
}

impl StoredTurn {
    pub(super) fn read<'r, R>(row: &'r R) -> Result<Self, sqlx::Error>
    where
        R: Row,
        &'static str: ColumnIndex<R>,
        String: Decode<'r, R::Database> + Type<R::Database>,
        i64: Decode<'r, R::Database> + Type<R::Database>,
        bool: Decode<'r, R::Database> + Type<R::Database>,
        f64: Decode<'r, R::Database> + Type<R::Database>,
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
            without_history: row.try_get("without_history")?,
            trace_id: row.try_get("trace_id")?,
            knowledge: row.try_get("knowledge")?,
            cached_tokens: row.try_get("cached_tokens")?,
            cost_usd: row.try_get("cost_usd")?,
        })
    }

    /// The turn as a record of a call that came through `door`.
    pub(super) fn into_record(self, door: &str) -> Result<TurnRecord, CallStoreError> {
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
            without_history: self.without_history,
            door: door.to_string(),
            trace_id: self.trace_id,
            knowledge: serde_json::from_str(&self.knowledge)
                .map_err(|e| CallStoreError::new(format!("stored knowledge is not valid: {e}")))?,
            cached_tokens: self.cached_tokens.and_then(to_u64),
            cost_usd: self.cost_usd,
            record_content: None,
            redactions: None,
        })
    }
}

/// What a summary needs of a turn.
#[derive(Debug, Clone)]
pub(super) struct TurnStat {
    pub(super) at_ms: i64,
    pub(super) event: String,
    pub(super) interrupted: bool,
    pub(super) outcome: String,
    pub(super) first_tts_ms: Option<u64>,
    pub(super) total_ms: Option<u64>,
    pub(super) prompt_tokens: Option<u64>,
    pub(super) completion_tokens: Option<u64>,
    pub(super) tool_calls: u32,
    /// The beginning of what the caller said (up to [`OPENING_CHARS`] characters).
    pub(super) opening: String,
    /// The model that answered, when one did.
    pub(super) model: Option<String>,
    pub(super) cached_tokens: Option<u64>,
    pub(super) cost_usd: Option<f64>,
}

/// How much of what the caller said a turn's summary keeps (the SQL's `SUBSTR` length).
pub(super) const OPENING_CHARS: usize = 200;

impl TurnStat {
    pub(super) fn of(turn: &TurnRecord) -> Self {
        Self {
            at_ms: turn.at_ms,
            event: turn.event.clone(),
            interrupted: turn.interrupted,
            outcome: turn.outcome.clone(),
            first_tts_ms: turn.first_tts_ms,
            total_ms: turn.total_ms,
            prompt_tokens: turn.prompt_tokens,
            completion_tokens: turn.completion_tokens,
            tool_calls: u32::try_from(turn.tools.len()).unwrap_or(u32::MAX),
            opening: turn.user_text.chars().take(OPENING_CHARS).collect(),
            model: turn.model.clone(),
            cached_tokens: turn.cached_tokens,
            cost_usd: turn.cost_usd,
        }
    }

    pub(super) fn read<'r, R>(row: &'r R) -> Result<((String, String), Self), sqlx::Error>
    where
        R: Row,
        &'static str: ColumnIndex<R>,
        String: Decode<'r, R::Database> + Type<R::Database>,
        i64: Decode<'r, R::Database> + Type<R::Database>,
        bool: Decode<'r, R::Database> + Type<R::Database>,
        f64: Decode<'r, R::Database> + Type<R::Database>,
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
            prompt_tokens: row
                .try_get::<Option<i64>, _>("prompt_tokens")?
                .and_then(to_u64),
            completion_tokens: row
                .try_get::<Option<i64>, _>("completion_tokens")?
                .and_then(to_u64),
            tool_calls: u32::try_from(row.try_get::<i64, _>("tool_calls")?).unwrap_or(0),
            opening: row.try_get("opening")?,
            model: row.try_get("model")?,
            cached_tokens: row
                .try_get::<Option<i64>, _>("cached_tokens")?
                .and_then(to_u64),
            cost_usd: row.try_get("cost_usd")?,
        };
        Ok((key, stat))
    }
}
