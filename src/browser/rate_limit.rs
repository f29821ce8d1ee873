//! A token bucket per client (pure: the caller passes the time). `/authorize` spends the
//! owner's Layercode balance, so a public page must not mint sessions freely. An IPv6
//! client is its /64 (one host usually holds a whole /64), and a full table forgets its
//! least recently used buckets, never the ones in use.

use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

use dashmap::DashMap;

/// Most buckets kept; past it the least recently used tenth is forgotten.
const MAX_TRACKED: usize = 10_000;

/// A bucket idle this long is full again, so forgetting it changes nothing.
const REFILLED_AFTER: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Allows `per_minute` requests per client, in bursts of up to `per_minute`.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    max_tracked: usize,
    buckets: DashMap<IpAddr, Bucket>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests per client.
    pub fn new(per_minute: u32) -> Self {
        Self::with_max_tracked(per_minute, MAX_TRACKED)
    }

    fn with_max_tracked(per_minute: u32, max_tracked: usize) -> Self {
        Self {
            per_minute: per_minute.max(1),
            max_tracked: max_tracked.max(10),
            buckets: DashMap::new(),
        }
    }

    /// Takes one request for `ip` at `now`; `Err` holds how long until the next is allowed.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let key = bucket_key(ip);
        if self.buckets.len() >= self.max_tracked && !self.buckets.contains_key(&key) {
            self.evict_least_recently_used(now);
        }
        let mut bucket = self.buckets.entry(key).or_insert(Bucket {
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

    /// Forgets the refilled buckets, and when that is not enough the least recently used
    /// tenth: a flood of new addresses costs one scan per tenth of the table, and the
    /// buckets of clients still sending survive it.
    fn evict_least_recently_used(&self, now: Instant) {
        self.buckets
            .retain(|_, b| now.saturating_duration_since(b.updated) < REFILLED_AFTER);
        if self.buckets.len() < self.max_tracked {
            return;
        }
        let mut ages: Vec<(Instant, IpAddr)> =
            self.buckets.iter().map(|e| (e.updated, *e.key())).collect();
        let evict = (self.max_tracked / 10).max(1).min(ages.len());
        ages.select_nth_unstable_by_key(evict - 1, |(updated, _)| *updated);
        for (_, key) in &ages[..evict] {
            self.buckets.remove(key);
        }
    }
}

/// The bucket of `ip`: an IPv4 address (also written IPv4-mapped) is its own; an IPv6
/// address shares its /64 with the rest of it.
fn bucket_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !(u128::from(u64::MAX));
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
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

    #[test]
    fn addresses_in_one_ipv6_64_share_a_bucket() {
        let limiter = RateLimiter::new(2);
        let now = Instant::now();
        let ip = |s: &str| s.parse::<IpAddr>().expect("address");
        assert!(limiter.check(ip("2001:db8:1:2::1"), now).is_ok());
        assert!(limiter
            .check(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), now)
            .is_ok());
        assert!(limiter.check(ip("2001:db8:1:2:abcd::9"), now).is_err());
        assert!(
            limiter.check(ip("2001:db8:1:3::1"), now).is_ok(),
            "next /64"
        );
        assert!(limiter.check(ip("::ffff:198.51.100.1"), now).is_ok());
        assert!(limiter.check(ip("198.51.100.1"), now).is_ok());
        assert!(
            limiter.check(ip("198.51.100.1"), now).is_err(),
            "mapped is v4"
        );
    }

    #[test]
    fn filling_the_table_keeps_the_newest_buckets_limited() {
        let limiter = RateLimiter::with_max_tracked(1, 100);
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let spent: IpAddr = [203, 0, 113, 1].into();
        assert!(limiter.check(spent, at(0)).is_ok());
        for n in 0..1_000u32 {
            let flood = IpAddr::V4((0x0a00_0000 + n).into());
            let ms = 10 + 2 * u64::from(n);
            assert!(limiter.check(flood, at(ms)).is_ok());
            // The client still sending keeps its place among the newest buckets.
            assert!(
                limiter.check(spent, at(ms + 1)).is_err(),
                "forgotten after {n}"
            );
        }
        assert!(limiter.buckets.len() <= 100);
        assert!(limiter.buckets.len() >= 90, "only the oldest were evicted");
        let recent = IpAddr::V4((0x0a00_0000 + 999).into());
        assert!(
            limiter.check(recent, at(3_000)).is_err(),
            "a new bucket is kept"
        );
    }
}
