//! Redis operations that survive a reconnect. A connection that dropped (Redis restarted, a
//! failover, a network blip) fails the command in flight; the connection manager then
//! reconnects in the background. An operation that failed that way is tried again on the
//! new connection, pausing 25 ms and doubling up to 200 ms, for at most [`BUDGET`] in
//! all, the same second a single command may already take. Timeouts are not retried
//! (they already spent the budget), nor errors Redis itself returned.
//!
//! While Redis stays down, waiting on every operation would add a second or more to each
//! step of every turn (a command waits for the connection manager's reconnect attempt).
//! So the first operation that fails for good marks the link down, and while it is down
//! one operation every [`TRIAL_EVERY`] is let through to try once; the others fail at
//! once without touching Redis. The first that succeeds marks the link up. An outage then
//! costs a turn almost nothing per step, and a Redis that is back is found within half a
//! second (the reply queue's retries are operations too).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::RedisError;
use tokio::time::Instant;

/// Longest time an operation keeps trying across a lost connection.
pub(super) const BUDGET: Duration = Duration::from_millis(1_000);

/// While Redis is down, one operation this often tries it.
pub(super) const TRIAL_EVERY: Duration = Duration::from_millis(500);

const FIRST_PAUSE: Duration = Duration::from_millis(25);
const LONGEST_PAUSE: Duration = Duration::from_millis(200);

/// Whether one Redis connection answered lately; shared by the operations on it.
#[derive(Debug, Clone, Default)]
pub(super) struct Link {
    /// While down: when an operation last tried Redis.
    down: Arc<Mutex<Option<Instant>>>,
}

/// The tries of one operation.
pub(super) struct Tries<'a> {
    link: &'a Link,
    started: Instant,
    pause: Duration,
    /// The link was down when the operation started: it tries once.
    trial: bool,
}

/// A failure that a new connection may not have.
pub(super) fn lost_connection(error: &RedisError) -> bool {
    (error.is_io_error() && !error.is_timeout()) || error.is_unrecoverable_error()
}

impl Link {
    /// The first try of an operation, or an error at once while Redis is down and another
    /// operation tried it less than [`TRIAL_EVERY`] ago.
    pub(super) fn tries(&self) -> Result<Tries<'_>, RedisError> {
        let now = Instant::now();
        let mut down = self.down.lock().unwrap_or_else(PoisonError::into_inner);
        let trial = match *down {
            Some(tried) if now.duration_since(tried) < TRIAL_EVERY => {
                return Err(RedisError::from((
                    redis::ErrorKind::IoError,
                    "Redis is down",
                    "not tried: another operation found it down less than 500 ms ago".into(),
                )));
            }
            Some(_) => {
                *down = Some(now);
                true
            }
            None => false,
        };
        Ok(Tries {
            link: self,
            started: now,
            pause: FIRST_PAUSE,
            trial,
        })
    }

    fn set_down(&self, down: bool) {
        let mut state = self.down.lock().unwrap_or_else(PoisonError::into_inner);
        match (down, *state) {
            (true, None) => *state = Some(Instant::now()),
            (false, Some(_)) => *state = None,
            _ => {}
        }
    }
}

impl Tries<'_> {
    /// Runs `op` until it succeeds or [`Self::again`] says to stop.
    pub(super) async fn run<T, F>(&mut self, mut op: impl FnMut() -> F) -> redis::RedisResult<T>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        loop {
            match op().await {
                Ok(done) => {
                    self.succeeded();
                    return Ok(done);
                }
                Err(error) if self.again(&error).await => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// The operation succeeded: the link is up.
    pub(super) fn succeeded(&self) {
        self.link.set_down(false);
    }

    /// After `error`: waits and returns `true` when the operation should be tried again.
    pub(super) async fn again(&mut self, error: &RedisError) -> bool {
        if !lost_connection(error) {
            return false;
        }
        let fits = self.started.elapsed() + self.pause <= BUDGET;
        if self.trial || !fits {
            self.link.set_down(true);
            return false;
        }
        tokio::time::sleep(self.pause).await;
        self.pause = (self.pause * 2).min(LONGEST_PAUSE);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dropped() -> RedisError {
        std::io::Error::from(std::io::ErrorKind::BrokenPipe).into()
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_connection_is_retried_within_the_budget_then_marks_the_link_down() {
        let link = Link::default();
        let started = Instant::now();
        let mut tries = link.tries().expect("up");
        let mut count = 1;
        while tries.again(&dropped()).await {
            count += 1;
        }
        // 25 + 50 + 100 + 200 × 4 ms, then the next pause would pass the second.
        assert_eq!(count, 8);
        assert_eq!(started.elapsed(), Duration::from_millis(975));
        // Down: operations fail at once, but one every 500 ms tries once.
        assert!(link.tries().is_err());
        tokio::time::sleep(TRIAL_EVERY).await;
        let mut trial = link.tries().expect("a trial");
        assert!(link.tries().is_err(), "one trial at a time");
        let started = Instant::now();
        assert!(!trial.again(&dropped()).await);
        assert_eq!(started.elapsed(), Duration::ZERO, "a trial is not retried");
        tokio::time::sleep(TRIAL_EVERY).await;
        // The next trial succeeds: the link is up and operations retry again.
        link.tries().expect("a trial").succeeded();
        assert!(link.tries().expect("up").again(&dropped()).await);
    }

    #[tokio::test(start_paused = true)]
    async fn timeouts_and_errors_from_redis_are_not_retried() {
        let link = Link::default();
        let timeout: RedisError = std::io::Error::from(std::io::ErrorKind::TimedOut).into();
        assert!(!link.tries().expect("up").again(&timeout).await);
        let refused: RedisError = (redis::ErrorKind::ResponseError, "WRONGTYPE").into();
        assert!(!link.tries().expect("up").again(&refused).await);
        assert!(link.tries().is_ok(), "neither says Redis is gone");
    }
}
