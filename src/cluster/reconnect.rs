//! Redis operations that survive a reconnect. A connection that dropped (Redis restarted, a
//! failover, a network blip) fails the command in flight; the connection manager then
//! reconnects in the background. An operation that failed that way is tried again on the
//! new connection, pausing 25 ms and doubling up to 200 ms, for at most [`BUDGET`] in
//! all, the same second a single command may already take. Timeouts are not retried
//! (they already spent the budget), nor errors Redis itself returned.
//!
//! While Redis stays down, waiting out the budget on every operation would add a second
//! to each step of every turn. So the first operation that spends its whole budget marks
//! the link down, and until an operation succeeds again, each tries once: an outage then
//! costs a turn one failed attempt per step, not a second each.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::RedisError;
use tokio::time::Instant;

/// Longest time an operation keeps trying across a lost connection.
pub(super) const BUDGET: Duration = Duration::from_millis(1_000);

const FIRST_PAUSE: Duration = Duration::from_millis(25);
const LONGEST_PAUSE: Duration = Duration::from_millis(200);

/// Whether one Redis connection answered lately; shared by the operations on it.
#[derive(Debug, Clone, Default)]
pub(super) struct Link {
    down: Arc<AtomicBool>,
}

/// The tries of one operation.
pub(super) struct Tries<'a> {
    link: &'a Link,
    started: Instant,
    pause: Duration,
}

/// A failure that a new connection may not have.
pub(super) fn lost_connection(error: &RedisError) -> bool {
    (error.is_io_error() && !error.is_timeout()) || error.is_unrecoverable_error()
}

impl Link {
    /// The first try of an operation.
    pub(super) fn tries(&self) -> Tries<'_> {
        Tries {
            link: self,
            started: Instant::now(),
            pause: FIRST_PAUSE,
        }
    }
}

impl Tries<'_> {
    /// The operation succeeded: the link is up.
    pub(super) fn succeeded(&self) {
        self.link.down.store(false, Ordering::Relaxed);
    }

    /// After `error`: waits and returns `true` when the operation should be tried again.
    pub(super) async fn again(&mut self, error: &RedisError) -> bool {
        if !lost_connection(error) {
            return false;
        }
        let fits = self.started.elapsed() + self.pause <= BUDGET;
        if !fits || self.link.down.load(Ordering::Relaxed) {
            self.link.down.store(true, Ordering::Relaxed);
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
        let mut tries = link.tries();
        let mut count = 1;
        while tries.again(&dropped()).await {
            count += 1;
        }
        // 25 + 50 + 100 + 200 × 4 ms, then the next pause would pass the second.
        assert_eq!(count, 8);
        assert_eq!(started.elapsed(), Duration::from_millis(975));
        // Down: the next operation tries once.
        let started = Instant::now();
        assert!(!link.tries().again(&dropped()).await);
        assert_eq!(started.elapsed(), Duration::ZERO);
        // One success and it is up again.
        link.tries().succeeded();
        assert!(link.tries().again(&dropped()).await);
    }

    #[tokio::test(start_paused = true)]
    async fn timeouts_and_errors_from_redis_are_not_retried() {
        let link = Link::default();
        let timeout: RedisError = std::io::Error::from(std::io::ErrorKind::TimedOut).into();
        assert!(!link.tries().again(&timeout).await);
        let refused: RedisError = (redis::ErrorKind::ResponseError, "WRONGTYPE").into();
        assert!(!link.tries().again(&refused).await);
        assert!(
            !link.down.load(Ordering::Relaxed),
            "neither says Redis is gone"
        );
    }
}
