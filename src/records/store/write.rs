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

    /// How many distinct values of each type the call's redacted records replaced (empty
    /// for an unknown call, or one kept in full).
    pub async fn redaction_counts(
        &self,
        call: &CallKey,
    ) -> Result<std::collections::BTreeMap<String, u32>, CallStoreError> {
        let rows = super::sql::fetch_rows!(
            self,
            super::sql::REDACTIONS,
            key_args(call),
            counts_of,
            "reading redaction counts"
        )?;
        Ok(rows.into_iter().flatten().next().unwrap_or_default())
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
    /// with their turns; returns which calls (so their conversations can go too).
    pub async fn delete_older_than(&self, cutoff_ms: i64) -> Result<Vec<CallKey>, CallStoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool
                .begin()
                .await
                .map_err(failed("starting a transaction"))?;
            bind_all!(sqlx::query(DELETE_OLD_TURNS), [Arg::Int(cutoff_ms)])
                .execute(&mut *tx)
                .await
                .map_err(failed("deleting old turns"))?;
            let rows = bind_all!(sqlx::query(DELETE_OLD_CALLS), [Arg::Int(cutoff_ms)])
                .fetch_all(&mut *tx)
                .await
                .map_err(failed("deleting old calls"))?;
            tx.commit().await.map_err(failed("committing"))?;
            rows.iter()
                .map(|row| {
                    Ok(CallKey {
                        agent: sqlx::Row::try_get(row, "agent")?,
                        conversation_id: sqlx::Row::try_get(row, "conversation_id")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(failed("reading deleted calls"))
        })
    }

    /// The calls from or to the number whose digits are `digits` (every call of one
    /// caller, for a data-subject request): numbers compare by their digits alone, so
    /// `+1 (555) 010-0100` is `+15550100100`.
    pub async fn calls_of_phone(&self, digits: &str) -> Result<Vec<CallKey>, CallStoreError> {
        let pattern: String = std::iter::once('%')
            .chain(digits.chars().flat_map(|d| [d, '%']))
            .collect();
        let rows = super::sql::fetch_rows!(
            self,
            super::sql::CALLS_OF_PHONE,
            [Arg::Text(pattern)],
            phone_row,
            "finding a caller's calls"
        )?;
        let same =
            |number: &Option<String>| number.as_deref().is_some_and(|n| phone_digits(n) == digits);
        Ok(rows
            .into_iter()
            .filter(|(_, from, to)| same(from) || same(to))
            .map(|(call, _, _)| call)
            .collect())
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
                        Arg::OptText(turn.record_content.clone()),
                        Arg::OptText(counts_text(&turn.redactions)?),
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
            redactions,
        } => vec![(
            SESSION_END,
            vec![
                Arg::Text(call.agent.clone()),
                Arg::Text(call.conversation_id.clone()),
                Arg::Int(*at_ms),
                Arg::Text(json_text(report)?),
                Arg::OptFloat(*voice_cost_usd),
                Arg::OptText(counts_text(redactions)?),
            ],
        )],
        Record::Forget { call } => vec![
            (DELETE_TURNS, key_args(call)),
            (DELETE_CALL, key_args(call)),
        ],
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

fn counts_text(
    counts: &Option<std::collections::BTreeMap<String, u32>>,
) -> Result<Option<String>, CallStoreError> {
    counts
        .as_ref()
        .map(|counts| {
            serde_json::to_string(counts)
                .map_err(|e| CallStoreError::new(format!("encoding JSON: {e}")))
        })
        .transpose()
}

/// The digits of a phone number, in order.
pub fn phone_digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

type PhoneRow = (CallKey, Option<String>, Option<String>);

fn phone_row<'r, R>(row: &'r R) -> Result<PhoneRow, sqlx::Error>
where
    R: sqlx::Row,
    &'static str: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let call = CallKey {
        agent: row.try_get("agent")?,
        conversation_id: row.try_get("conversation_id")?,
    };
    Ok((
        call,
        row.try_get("from_phone_number")?,
        row.try_get("to_phone_number")?,
    ))
}

fn counts_of<'r, R>(
    row: &'r R,
) -> Result<Option<std::collections::BTreeMap<String, u32>>, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let text: Option<String> = row.try_get(0)?;
    Ok(text.and_then(|text| serde_json::from_str(&text).ok()))
}

fn json_text(map: &Map<String, Value>) -> Result<String, CallStoreError> {
    serde_json::to_string(map).map_err(|e| CallStoreError::new(format!("encoding JSON: {e}")))
}
