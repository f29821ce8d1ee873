//! Post-call delivery's bookkeeping: one machine claims a call that is over, marks it
//! delivered or gives the claim back, and finds the calls still owed.

use sqlx::Row;

use super::connect::failed;
use super::sql::{
    bind_all, key_args, with_pool, Arg, CLAIM_POST_CALL, POST_CALLS_OWED, POST_CALL_DELIVERED,
    RELEASE_POST_CALL,
};
use super::{CallStore, CallStoreError, OwedQuery};
use crate::records::record::CallKey;

impl CallStore {
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
}
