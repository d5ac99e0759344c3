//! Rate limits per caller: a token bucket per API key or user, and one per client address for requests that carry
//! no valid credentials. A caller over its rate is answered 429 `rate_limited` with `Retry-After` (whole seconds,
//! rounded up) before any work is done for it. The audit trail records a caller's first refusal and then at most one
//! a minute ([`Buckets::first_refusal_in_a_while`]): auditing every refusal would let a flood write the trail as fast
//! as it is refused.
//!
//! The buckets live in one map behind a mutex (a lookup is a hash and two float operations, far below the cost of
//! a request); the map is bounded: past [`MAX_BUCKETS`] the full buckets — callers at rest, which a new bucket would
//! equal — are dropped, and if none is full the new caller is refused rather than the map grown.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most callers tracked at once.
pub const MAX_BUCKETS: usize = 100_000;

/// A rate: `per_second` requests a second on average, bursts of up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Sustained requests per second.
    pub per_second: f64,
    /// Most requests at once after a rest.
    pub burst: f64,
}

impl Rate {
    /// `per_second` with a burst of twice that (at least 1).
    pub fn per_second(per_second: u32) -> Rate {
        Rate { per_second: f64::from(per_second), burst: f64::from(per_second.saturating_mul(2).max(1)) }
    }
}

/// The limits a server applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Per API key or signed-in user; `None` is no limit (a load test on loopback).
    pub per_caller: Option<Rate>,
    /// Per client address, for requests without valid credentials (sign-in attempts, refused keys).
    pub per_address: Option<Rate>,
}

impl Default for Limits {
    /// 200 requests a second per caller (a core banking system's batch posts stay well under it) and 20 a second
    /// per address without credentials.
    fn default() -> Limits {
        Limits { per_caller: Some(Rate::per_second(200)), per_address: Some(Rate::per_second(20)) }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// How often one caller's rate-limit refusals are written to the audit trail, at most.
pub const REFUSAL_AUDIT_EVERY: Duration = Duration::from_secs(60);

/// Token buckets by caller.
#[derive(Debug, Default)]
pub struct Buckets {
    buckets: Mutex<HashMap<String, Bucket>>,
    audited: Mutex<HashMap<String, Instant>>,
}

impl Buckets {
    /// Takes one token from `caller`'s bucket at `now`: `Ok` if there was one, else how long until there is.
    pub fn take(&self, caller: &str, rate: Rate, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !buckets.contains_key(caller) && buckets.len() >= MAX_BUCKETS {
            buckets.retain(|_, b| refilled(*b, rate, now) < rate.burst);
            if buckets.len() >= MAX_BUCKETS {
                return Err(Duration::from_secs(1));
            }
        }
        let bucket = buckets.entry(caller.to_owned()).or_insert(Bucket { tokens: rate.burst, at: now });
        let tokens = refilled(*bucket, rate, now);
        if tokens >= 1.0 {
            *bucket = Bucket { tokens: tokens - 1.0, at: now };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            Err(Duration::from_secs_f64((1.0 - tokens) / rate.per_second.max(f64::MIN_POSITIVE)))
        }
    }
}

impl Buckets {
    /// Whether a refusal of `caller` at `now` is the first in [`REFUSAL_AUDIT_EVERY`] (and so to be audited); the
    /// map is bounded like the buckets, forgetting callers refused long ago.
    pub fn first_refusal_in_a_while(&self, caller: &str, now: Instant) -> bool {
        let mut audited = self.audited.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if audited.len() >= MAX_BUCKETS {
            audited.retain(|_, at| now.saturating_duration_since(*at) < REFUSAL_AUDIT_EVERY);
        }
        match audited.get(caller) {
            Some(at) if now.saturating_duration_since(*at) < REFUSAL_AUDIT_EVERY => false,
            _ => {
                if audited.len() < MAX_BUCKETS {
                    audited.insert(caller.to_owned(), now);
                }
                true
            }
        }
    }
}

fn refilled(bucket: Bucket, rate: Rate, now: Instant) -> f64 {
    let rested = now.saturating_duration_since(bucket.at).as_secs_f64();
    (bucket.tokens + rested * rate.per_second).min(rate.burst)
}

/// `Retry-After` for a wait: whole seconds, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.is_zero()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_sustained_rate() {
        let buckets = Buckets::default();
        let rate = Rate { per_second: 10.0, burst: 3.0 };
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(buckets.take("k", rate, t0), Ok(()));
        }
        let wait = buckets.take("k", rate, t0).expect_err("burst spent");
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(100), "{wait:?}");
        // Another caller has its own bucket.
        assert_eq!(buckets.take("other", rate, t0), Ok(()));
        // A tenth of a second later one token is back, and only one.
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(buckets.take("k", rate, t1), Ok(()));
        assert!(buckets.take("k", rate, t1).is_err());
    }

    #[test]
    fn a_callers_refusals_are_audited_once_a_minute() {
        let buckets = Buckets::default();
        let t0 = Instant::now();
        assert!(buckets.first_refusal_in_a_while("k", t0));
        assert!(!buckets.first_refusal_in_a_while("k", t0 + Duration::from_secs(59)));
        assert!(buckets.first_refusal_in_a_while("other", t0));
        assert!(buckets.first_refusal_in_a_while("k", t0 + Duration::from_secs(61)));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2_001)), 3);
    }

    #[test]
    fn the_map_is_bounded() {
        let buckets = Buckets::default();
        let rate = Rate { per_second: 1.0, burst: 1.0 };
        let t0 = Instant::now();
        for i in 0..MAX_BUCKETS {
            assert!(buckets.take(&format!("c{i}"), rate, t0).is_ok());
        }
        // Every bucket is empty (each took its one token): a new caller is refused, not tracked.
        assert!(buckets.take("new", rate, t0).is_err());
        // Once they have rested they are full again and make room.
        assert!(buckets.take("new", rate, t0 + Duration::from_secs(2)).is_ok());
    }
}
