//! How long to wait before trying again: exponential, with "equal jitter" (half fixed, half
//! random), so that the retries of many requests failed at once spread out.
//!
//! ```
//! use std::time::Duration;
//! use s3drv_common::backoff::backoff;
//! let base = Duration::from_millis(100);
//! assert_eq!(backoff(1, base, 0), Duration::from_millis(50));
//! assert!(backoff(3, base, u64::MAX) < Duration::from_millis(400));
//! ```

use std::time::Duration;

/// Doublings after which the wait stops growing (1,024 times the base).
const MOST_DOUBLINGS: u32 = 10;

/// The wait before retry number `retry` (1-based) with first backoff `base`: between half
/// and all of `base x 2^(retry - 1)`. `random` is any value; only its remainder is used.
pub fn backoff(retry: u32, base: Duration, random: u64) -> Duration {
    let ceiling = base * 2u32.pow(retry.saturating_sub(1).min(MOST_DOUBLINGS));
    let half = ceiling / 2;
    let jitter_nanos = random % (half.as_nanos() as u64).max(1);
    half + Duration::from_nanos(jitter_nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_millis(100);

    #[test]
    fn doubles_with_bounded_jitter() {
        assert_eq!(backoff(1, BASE, 0), Duration::from_millis(50));
        assert!(backoff(1, BASE, u64::MAX) < Duration::from_millis(100));
        assert_eq!(backoff(2, BASE, 0), Duration::from_millis(100));
        assert_eq!(backoff(3, BASE, 0), Duration::from_millis(200));
        assert!(backoff(40, BASE, u64::MAX) <= BASE * 1024);
        assert_eq!(backoff(0, BASE, 0), Duration::from_millis(50));
    }
}
