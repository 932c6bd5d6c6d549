//! Failure counting for credentials: after too many failures in a window, further attempts
//! are refused until the window ends. Kept per process; a later version can move the buckets
//! into the database for multi-node sites (DESIGN section 5).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::error::{CoreError, CoreResult, ErrorCode};

/// How long failures are remembered.
pub const WINDOW: Duration = Duration::minutes(15);
/// Failed logins allowed per account name in a window.
pub const MAX_PER_ACCOUNT: u32 = 5;
/// Failed logins allowed per client address in a window.
pub const MAX_PER_ADDRESS: u32 = 20;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    failures: u32,
    started: DateTime<Utc>,
}

/// Counts failures per key (`account:<name>`, `ip:<address>`).
#[derive(Debug, Default)]
pub struct Throttle {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Throttle {
    /// `rate_limited` with `retry_after_secs` if any key has used up its failures.
    pub fn check(&self, keys: &[(String, u32)], now: DateTime<Utc>) -> CoreResult<()> {
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        for (key, limit) in keys {
            if let Some(bucket) = buckets.get(key)
                && now - bucket.started < WINDOW
                && bucket.failures >= *limit
            {
                let retry = (bucket.started + WINDOW - now).num_seconds().max(1) as u64;
                let mut error = CoreError::new(ErrorCode::RateLimited).with_detail(
                    format!("too many failed attempts; try again in {retry} seconds"),
                    format!("失败次数过多，请在 {retry} 秒后重试"),
                );
                error.retry_after_secs = Some(retry);
                return Err(error);
            }
        }
        Ok(())
    }

    /// Counts one failure against every key.
    pub fn fail(&self, keys: &[(String, u32)], now: DateTime<Utc>) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 100_000 {
            buckets.retain(|_, b| now - b.started < WINDOW);
        }
        for (key, _) in keys {
            let bucket = buckets.entry(key.clone()).or_insert(Bucket { failures: 0, started: now });
            if now - bucket.started >= WINDOW {
                *bucket = Bucket { failures: 0, started: now };
            }
            bucket.failures += 1;
        }
    }

    /// Forgets the failures of `key` (after a success).
    pub fn clear(&self, key: &str) {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}
