//! When to try the model again (pure): only while nothing was spoken, only for errors
//! another attempt could fix, never beyond the turn's time budget. Retries of one upstream
//! back off or honour `Retry-After`; a slow first token or a wait that does not fit moves
//! on to the next upstream.

use std::time::Duration;

use super::LlmError;

/// How hard to retry one upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries of the same upstream after its first attempt.
    pub max_retries: u32,
    /// First backoff; doubles with each retry of the same upstream.
    pub backoff: Duration,
}

/// What to do after a failed attempt that spoke nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextAttempt {
    /// Try the same upstream again after this wait.
    Same(Duration),
    /// Try the next upstream now.
    Next,
    /// Stop: the user hears the apology.
    GiveUp,
}

/// Decides the next attempt after `error` from upstream `upstream` (of `upstreams`),
/// which has been retried `retries` times, with `remaining` of the turn's budget left.
pub fn next_attempt(
    error: &LlmError,
    upstream: usize,
    upstreams: usize,
    retries: u32,
    remaining: Duration,
    policy: RetryPolicy,
) -> NextAttempt {
    let has_next = upstream + 1 < upstreams;
    if !error.retryable() || remaining.is_zero() {
        return NextAttempt::GiveUp;
    }
    let can_retry = retries < policy.max_retries;
    if let LlmError::FirstTokenTimeout(_) = error {
        // This upstream is slow right now: another one is the better bet.
        return match (has_next, can_retry) {
            (true, _) => NextAttempt::Next,
            (false, true) => NextAttempt::Same(Duration::ZERO),
            (false, false) => NextAttempt::GiveUp,
        };
    }
    let asked = match error {
        LlmError::Status { retry_after, .. } => *retry_after,
        _ => None,
    };
    let wait = asked.unwrap_or_else(|| policy.backoff * 2u32.saturating_pow(retries));
    if can_retry && wait < remaining {
        NextAttempt::Same(wait)
    } else if has_next {
        NextAttempt::Next
    } else {
        NextAttempt::GiveUp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        max_retries: 1,
        backoff: Duration::from_millis(200),
    };
    const PLENTY: Duration = Duration::from_secs(30);

    fn status(status: u16, code: Option<&str>, retry_after: Option<u64>) -> LlmError {
        LlmError::Status {
            status,
            code: code.map(str::to_string),
            message: "x".into(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn server_errors_retry_the_same_upstream_then_move_on() {
        let error = status(503, None, None);
        assert_eq!(
            next_attempt(&error, 0, 2, 0, PLENTY, POLICY),
            NextAttempt::Same(Duration::from_millis(200))
        );
        assert_eq!(
            next_attempt(&error, 0, 2, 1, PLENTY, POLICY),
            NextAttempt::Next
        );
        assert_eq!(
            next_attempt(&error, 1, 2, 1, PLENTY, POLICY),
            NextAttempt::GiveUp
        );
        let unreachable = LlmError::Unreachable("refused".into());
        assert_eq!(
            next_attempt(&unreachable, 0, 1, 0, PLENTY, POLICY),
            NextAttempt::Same(Duration::from_millis(200))
        );
    }

    #[test]
    fn retry_after_is_honoured_only_when_it_fits_the_budget() {
        let error = status(429, Some("rate_limit_exceeded"), Some(2));
        assert_eq!(
            next_attempt(&error, 0, 1, 0, PLENTY, POLICY),
            NextAttempt::Same(Duration::from_secs(2))
        );
        assert_eq!(
            next_attempt(&error, 0, 2, 0, Duration::from_secs(1), POLICY),
            NextAttempt::Next
        );
        assert_eq!(
            next_attempt(&error, 0, 1, 0, Duration::from_secs(1), POLICY),
            NextAttempt::GiveUp
        );
    }

    #[test]
    fn requests_that_would_fail_again_are_not_retried() {
        for error in [
            status(429, Some("insufficient_quota"), Some(1)),
            status(400, None, None),
            status(401, None, None),
            status(404, None, None),
            LlmError::OutOfTime(1000),
        ] {
            assert_eq!(
                next_attempt(&error, 0, 3, 0, PLENTY, POLICY),
                NextAttempt::GiveUp,
                "{error:?}"
            );
        }
        for retried in [
            status(408, None, None),
            status(409, None, None),
            status(529, None, None),
        ] {
            assert!(retried.retryable(), "{retried:?}");
        }
    }

    #[test]
    fn a_slow_first_token_moves_to_the_next_upstream() {
        let error = LlmError::FirstTokenTimeout(3000);
        assert_eq!(
            next_attempt(&error, 0, 2, 0, PLENTY, POLICY),
            NextAttempt::Next
        );
        assert_eq!(
            next_attempt(&error, 0, 1, 0, PLENTY, POLICY),
            NextAttempt::Same(Duration::ZERO)
        );
        assert_eq!(
            next_attempt(&error, 0, 1, 1, PLENTY, POLICY),
            NextAttempt::GiveUp
        );
    }

    #[test]
    fn nothing_is_tried_once_the_budget_is_spent() {
        let error = status(500, None, None);
        assert_eq!(
            next_attempt(&error, 0, 3, 0, Duration::ZERO, POLICY),
            NextAttempt::GiveUp
        );
    }
}
