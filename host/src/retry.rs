//! When and how soon the host sends a request again.
//!
//! A request is replayed only when its body was buffered (at most [`REPLAY_LIMIT`] bytes; S3
//! parts are `chunksize` bytes, 10 MiB by default) and either the server answered that it did
//! not process it (429, 500, 502, 503, 504: throttling and transient faults, as S3 documents
//! them) or the connection failed before any answer. The SigV4 signature stays valid for 15
//! minutes, far longer than the backoff.
//!
//! Small answers (at most [`WHOLE_ANSWER_LIMIT`] bytes) are taken in whole before the guest
//! sees them, so an answer cut short is retried too, and so is one whose S3 error code says
//! "try again" whatever its status (a 400 RequestTimeout, a 200 CompleteMultipartUpload
//! carrying InternalError). Replaying any request the driver sends is safe: every one is
//! idempotent, or the driver recognises the replay (a repeated CompleteMultipartUpload, an
//! extra CreateMultipartUpload).
//!
//! How many retries (`maxretries`) is the driver's policy; the first backoff is the tenant's
//! [`Limits::backoff_base`](crate::Limits). A throttling answer (429, 503, SlowDown) also
//! pauses every request of the driver for the backoff (see `outbound`). A [`RetryBudget`]
//! keeps retries to a share of the driver's requests, so that a server that fails everything
//! does not get every request `maxretries` more times.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Largest body buffered for replay; larger bodies are sent once.
pub const REPLAY_LIMIT: u64 = 64 << 20;

/// Largest answer body taken in whole (S3's XML answers are far smaller).
pub const WHOLE_ANSWER_LIMIT: u64 = 1 << 20;

/// Whether an answer with `status` means "not processed, try again later".
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// Whether an answer with `status` asks the client to slow down.
pub fn is_throttling_status(status: u16) -> bool {
    matches!(status, 429 | 503)
}

/// Retries allowed per first attempt, over time.
pub const RETRY_SHARE: f64 = 0.5;
/// Retries allowed per second whatever the traffic, so that a quiet driver still retries.
pub const RETRIES_PER_SECOND: f64 = 10.0;
/// Most retries saved up.
const SAVED_RETRIES: f64 = 100.0;

/// A driver's retries: each first attempt earns [`RETRY_SHARE`] of a retry, time earns
/// [`RETRIES_PER_SECOND`], each retry spends one.
#[derive(Debug)]
pub struct RetryBudget {
    /// Retries available and when time was last credited.
    state: Mutex<(f64, Instant)>,
}

impl RetryBudget {
    /// A full budget at `now`.
    pub fn new(now: Instant) -> RetryBudget {
        RetryBudget {
            state: Mutex::new((SAVED_RETRIES, now)),
        }
    }

    /// A first attempt was sent.
    pub fn earn(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 = (state.0 + RETRY_SHARE).min(SAVED_RETRIES);
    }

    /// Takes one retry at `now`, if the budget has one.
    pub fn spend(&self, now: Instant) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let credit = now.saturating_duration_since(state.1).as_secs_f64() * RETRIES_PER_SECOND;
        state.0 = (state.0 + credit).min(SAVED_RETRIES);
        state.1 = now;
        if state.0 >= 1.0 {
            state.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The S3 error code of an XML error document (`<Error><Code>SlowDown</Code>...`).
pub fn error_code(body: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(body.get(..body.len().min(4096))?).ok()?;
    if !text.contains("<Error>") {
        return None;
    }
    let start = text.find("<Code>")? + "<Code>".len();
    let end = start + text[start..].find("</Code>")?;
    Some(text[start..end].trim())
}

/// Whether an S3 error `code` means "not processed, try again later" whatever the status.
pub fn is_retryable_code(code: &str) -> bool {
    matches!(
        code,
        "RequestTimeout" | "InternalError" | "SlowDown" | "ServiceUnavailable" | "Throttling"
    )
}

/// The wait before retry number `retry` (1-based) with first backoff `base`: exponential,
/// with "equal jitter" (half fixed, half random) so that retries of many requests spread out.
/// `random` is any value; only its remainder is used.
pub fn backoff(retry: u32, base: Duration, random: u64) -> Duration {
    let ceiling = base * 2u32.pow(retry.saturating_sub(1).min(10));
    let half = ceiling / 2;
    let jitter_nanos = random % (half.as_nanos() as u64).max(1);
    half + Duration::from_nanos(jitter_nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_millis(100);

    #[test]
    fn statuses() {
        for status in [429, 500, 502, 503, 504] {
            assert!(is_retryable_status(status));
        }
        for status in [200, 301, 400, 403, 404, 409, 412, 416, 501] {
            assert!(!is_retryable_status(status));
        }
    }

    #[test]
    fn the_budget_keeps_retries_to_a_share_of_requests() {
        let t0 = Instant::now();
        let budget = RetryBudget::new(t0);
        // The saved retries go first, then none until requests or time earn more.
        assert_eq!((0..150).filter(|_| budget.spend(t0)).count(), 100);
        for _ in 0..10 {
            budget.earn();
        }
        assert_eq!((0..10).filter(|_| budget.spend(t0)).count(), 5);
        let later = t0 + Duration::from_millis(300);
        assert_eq!((0..10).filter(|_| budget.spend(later)).count(), 3);
    }

    #[test]
    fn retryable_error_documents() {
        let body = b"<?xml version=\"1.0\"?><Error><Code>RequestTimeout</Code><Message>Your socket connection to the server was not read from or written to within the timeout period.</Message></Error>";
        assert_eq!(error_code(body), Some("RequestTimeout"));
        assert!(is_retryable_code("RequestTimeout"));
        assert!(!is_retryable_code("NoSuchKey"));
        let complete =
            b"<CompleteMultipartUploadResult><ETag>\"e-2\"</ETag></CompleteMultipartUploadResult>";
        assert_eq!(error_code(complete), None);
        assert_eq!(error_code(b"\xff<Error><Code>"), None);
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        assert_eq!(backoff(1, BASE, 0), Duration::from_millis(50));
        assert!(backoff(1, BASE, u64::MAX) < Duration::from_millis(100));
        assert_eq!(backoff(2, BASE, 0), Duration::from_millis(100));
        assert_eq!(backoff(3, BASE, 0), Duration::from_millis(200));
        assert!(backoff(40, BASE, u64::MAX) <= BASE * 1024);
    }
}
