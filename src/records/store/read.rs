//! The read path: lists of calls (filtered and paged), one call in full, and the
//! summary both show.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::rows::{StoredCall, StoredTurn, TurnStat, OPENING_CHARS};
use super::sql::{
    contains_pattern, fetch_rows, key_args, push, to_i64, Arg, CALL_COLUMNS, STAT_COLUMNS,
    TURN_COLUMNS,
};
use super::{
    parse_cursor, CallDetail, CallPage, CallQuery, CallStore, CallStoreError, CallSummary,
};
use crate::records::record::CallKey;

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;

impl CallStore {
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
        if let Some(success) = query.success {
            let n = push(&mut args, Arg::OptBool(Some(success)));
            sql.push_str(&format!(" AND success = {n}"));
        }
        if let Some(since) = query.since_ms {
            let n = push(&mut args, Arg::Int(since));
            sql.push_str(&format!(" AND last_ms >= {n}"));
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
            .map(|turn| turn.into_record(&stored.door))
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
            analysis: stored
                .analysis
                .as_deref()
                .map(|analysis| json_map(analysis, "analysis"))
                .transpose()?,
            record_content: stored.record_content,
            redactions: stored
                .redactions
                .as_deref()
                .map(|counts| json_map(counts, "redactions"))
                .transpose()?,
        }))
    }

    async fn fetch_calls(
        &self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<StoredCall>, CallStoreError> {
        fetch_rows!(self, sql, args, StoredCall::read, "reading calls")
    }

    async fn fetch_turns(
        &self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<StoredTurn>, CallStoreError> {
        fetch_rows!(self, sql, args, StoredTurn::read, "reading turns")
    }

    async fn fetch_stats(
        &self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<((String, String), TurnStat)>, CallStoreError> {
        fetch_rows!(self, sql, args, TurnStat::read, "reading turns")
    }
}

/// A call's summary from its row and its turns (in order).
fn summarize(call: &StoredCall, turns: &[TurnStat]) -> CallSummary {
    let end = match (call.ended_ms, turns.last()) {
        (Some(ended), _) => ended,
        (None, Some(last)) => last.at_ms.saturating_add(last.total_ms.map_or(0, to_i64)),
        (None, None) => call.last_ms,
    };
    let messages = || turns.iter().filter(|t| t.event == "message");
    let failed_turns = messages().filter(|t| t.outcome == "failed").count();
    let outcome = if messages()
        .next_back()
        .is_some_and(|t| t.outcome == "failed")
    {
        "failed"
    } else if turns
        .iter()
        .any(|t| t.interrupted || t.outcome == "interrupted")
    {
        "interrupted"
    } else {
        "completed"
    };
    let preview = call
        .summary
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .or_else(|| {
            messages()
                .map(|t| t.opening.trim())
                .find(|text| !text.is_empty())
        })
        .map(|text| text.chars().take(OPENING_CHARS).collect());
    let total = |of: fn(&TurnStat) -> Option<u64>| {
        turns
            .iter()
            .filter_map(of)
            .fold(None, |sum: Option<u64>, n| {
                Some(sum.unwrap_or(0).saturating_add(n))
            })
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
        failed_turns: u32::try_from(failed_turns).unwrap_or(u32::MAX),
        median_first_tts_ms: median(&first_tts),
        preview,
        door: call.door.clone(),
        tool_calls: turns
            .iter()
            .map(|t| t.tool_calls)
            .fold(0, u32::saturating_add),
        prompt_tokens: total(|t| t.prompt_tokens),
        completion_tokens: total(|t| t.completion_tokens),
        cached_tokens: total(|t| t.cached_tokens),
        cost_usd: call_cost(turns, call.voice_cost_usd),
        voice_cost_usd: call.voice_cost_usd,
        success: call.success,
        from_phone_number: call.from_phone_number.clone(),
        to_phone_number: call.to_phone_number.clone(),
    }
}

/// A call's cost: its turns' and its minutes'. `None` when a turn whose usage the provider
/// reported has no cost (its model has no price), or when nothing was priced at all. A
/// turn without usage (a reply cut short before the usage came) adds nothing: its tokens
/// are not known.
fn call_cost(turns: &[TurnStat], voice: Option<f64>) -> Option<f64> {
    let answered = || {
        turns
            .iter()
            .filter(|t| t.model.is_some() && t.prompt_tokens.is_some())
    };
    if answered().any(|t| t.cost_usd.is_none()) {
        return None;
    }
    let tokens: f64 = answered().filter_map(|t| t.cost_usd).sum();
    let priced = answered().next().is_some() || voice.is_some();
    priced.then(|| tokens + voice.unwrap_or(0.0))
}

/// The median of sorted values; between two middle values, their mean rounded down.
pub(super) fn median(sorted: &[u64]) -> Option<u64> {
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

fn json_map(text: &str, what: &str) -> Result<Map<String, Value>, CallStoreError> {
    serde_json::from_str(text)
        .map_err(|e| CallStoreError::new(format!("stored {what} is not valid: {e}")))
}
