//! A token bucket per client address (pure: the caller passes the time). `/authorize`
//! spends the owner's Layercode balance, so a public page must not mint sessions freely.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use dashmap::DashMap;

/// Past this many tracked addresses, buckets idle for a while are dropped.
const MAX_TRACKED: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Allows `per_minute` requests per address, in bursts of up to `per_minute`.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: DashMap<IpAddr, Bucket>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests per address.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: per_minute.max(1),
            buckets: DashMap::new(),
        }
    }

    /// Takes one request for `ip` at `now`; `Err` holds how long until the next is allowed.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        if self.buckets.len() > MAX_TRACKED {
            let full_after = Duration::from_secs_f64(60.0);
            self.buckets
                .retain(|_, b| now.duration_since(b.updated) < full_after);
            if self.buckets.len() > MAX_TRACKED {
                // A flood of distinct addresses: forget them all rather than pay a scan on
                // every request (the limit is per address; the flood gains little).
                self.buckets.clear();
            }
        }
        let mut bucket = self.buckets.entry(ip).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_until_tokens_refill() {
        let limiter = RateLimiter::new(3);
        let ip: IpAddr = [203, 0, 113, 7].into();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(ip, start).is_ok());
        }
        let wait = limiter.check(ip, start).expect_err("fourth refused");
        assert!(
            wait <= Duration::from_secs(20) && wait > Duration::from_secs(19),
            "{wait:?}"
        );
        assert!(limiter.check(ip, start + Duration::from_secs(21)).is_ok());
    }

    #[test]
    fn addresses_have_their_own_buckets() {
        let limiter = RateLimiter::new(1);
        let now = Instant::now();
        assert!(limiter.check([198, 51, 100, 1].into(), now).is_ok());
        assert!(limiter.check([198, 51, 100, 2].into(), now).is_ok());
        assert!(limiter.check([198, 51, 100, 1].into(), now).is_err());
    }
}
