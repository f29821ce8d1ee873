//! The write path: the statements each [`Record`] becomes, run in one transaction, and
//! the changes made by hand (a summary, deletions).

use serde_json::{Map, Value};

use super::connect::failed;
use super::sql::{
    bind_all, key_args, to_i64, with_pool, Arg, Step, DELETE_CALL, DELETE_OLD_CALLS,
    DELETE_OLD_TURNS, DELETE_TURNS, HEARD_BY_ID, HEARD_LATEST, SESSION_END, SESSION_UPDATE,
    SET_ANALYSIS, SET_SUMMARY, UPSERT_CALL_FOR_TURN, UPSERT_TURN,
};
use super::{CallStore, CallStoreError};
use crate::records::record::{CallKey, Record};

impl CallStore {
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

    /// Keeps a written summary of the call (`POST_CALL_SUMMARY`); `true` when the call
    /// exists.
    pub async fn set_summary(&self, call: &CallKey, summary: &str) -> Result<bool, CallStoreError> {
        let mut args = vec![Arg::Text(summary.to_string())];
        args.extend(key_args(call));
        let affected = self.run(vec![(SET_SUMMARY, args)]).await?;
        Ok(affected.first().is_some_and(|&n| n > 0))
    }

    /// Keeps the call's analysis and whether it met its rubric; `true` when the call exists.
    pub async fn set_analysis(
        &self,
        call: &CallKey,
        analysis: &serde_json::Value,
        success: Option<bool>,
    ) -> Result<bool, CallStoreError> {
        let mut args = vec![Arg::Text(analysis.to_string()), Arg::OptBool(success)];
        args.extend(key_args(call));
        let affected = self.run(vec![(SET_ANALYSIS, args)]).await?;
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

    /// Runs the statements in one transaction; returns the rows each affected.
    pub(super) async fn run(&self, steps: Vec<Step>) -> Result<Vec<u64>, CallStoreError> {
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
}

/// The statements that apply a record.
fn steps_for(record: &Record) -> Result<Vec<Step>, CallStoreError> {
    Ok(match record {
        Record::Turn(turn) => {
            let caller = &turn.caller;
            let tools = serde_json::to_string(&turn.tools)
                .map_err(|e| CallStoreError::new(format!("encoding tools: {e}")))?;
            let knowledge = serde_json::to_string(&turn.knowledge)
                .map_err(|e| CallStoreError::new(format!("encoding knowledge: {e}")))?;
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
                        Arg::Text(turn.door.clone()),
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
                        Arg::Bool(turn.without_history),
                        Arg::Int(i64::try_from(turn.tools.len()).unwrap_or(i64::MAX)),
                        Arg::OptText(turn.trace_id.clone()),
                        Arg::Text(knowledge),
                        Arg::OptInt(turn.cached_tokens.map(to_i64)),
                        Arg::OptFloat(turn.cost_usd),
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
            voice_cost_usd,
        } => vec![(
            SESSION_END,
            vec![
                Arg::Text(call.agent.clone()),
                Arg::Text(call.conversation_id.clone()),
                Arg::Int(*at_ms),
                Arg::Text(json_text(report)?),
                Arg::OptFloat(*voice_cost_usd),
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

fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

fn json_text(map: &Map<String, Value>) -> Result<String, CallStoreError> {
    serde_json::to_string(map).map_err(|e| CallStoreError::new(format!("encoding JSON: {e}")))
}
