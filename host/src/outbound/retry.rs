//! Whether, and how soon, the host sends a request again: [`decide`], from the attempt's
//! number, what it came to ([`Outcome`]) and the driver's [`RetryBudget`].
//!
//! A request is replayed only when its body was buffered (at most [`REPLAY_LIMIT`] bytes; S3
//! parts are `chunksize` bytes, 10 MiB by default) and either the server answered that it did
//! not process it (the statuses and codes of [`s3drv_common::s3_errors`]) or the connection
//! failed before a complete answer. The SigV4 signature stays valid for 15 minutes, far longer
//! than the backoff.
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
//! pauses every request of the driver for the backoff (the caller does that). The
//! [`RetryBudget`] keeps retries to a share of the driver's requests, so that a server that
//! fails everything does not get every request `maxretries` more times.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use s3drv_common::backoff::backoff;
use s3drv_common::s3_errors::{is_retryable, is_throttling};

/// Largest body buffered for replay; larger bodies are sent once.
pub const REPLAY_LIMIT: u64 = 64 << 20;

/// Largest answer body taken in whole (S3's XML answers are far smaller).
pub const WHOLE_ANSWER_LIMIT: u64 = 1 << 20;

/// Retries allowed per first attempt, over time.
pub const RETRY_SHARE: f64 = 0.5;
/// Retries allowed per second whatever the traffic, so that a quiet driver still retries.
pub const RETRIES_PER_SECOND: f64 = 10.0;
/// Most retries saved up.
const SAVED_RETRIES: f64 = 100.0;

/// What one attempt of a request came to.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// An answer with `status`; `code` is the S3 error code of an answer taken in whole.
    Answered {
        /// The HTTP status.
        status: u16,
        /// The `<Code>` of an `<Error>` body, when the body was read.
        code: Option<&'a str>,
    },
    /// No complete answer.
    Failed {
        /// The transport error's name (`ConnectionTerminated`, ...), for metrics and logs.
        name: &'a str,
        /// False when sending again cannot help (a refused certificate or address).
        replayable: bool,
    },
}

impl Outcome<'_> {
    /// Why sending again may succeed, if it may.
    fn retry_reason(&self) -> Option<String> {
        match *self {
            Outcome::Failed { name, replayable } => replayable.then(|| name.to_string()),
            Outcome::Answered { status, code } => {
                if is_retryable(Some(status), "") {
                    Some(status.to_string())
                } else {
                    code.filter(|c| is_retryable(None, c)).map(String::from)
                }
            }
        }
    }

    /// Whether the server asked to slow down.
    fn is_throttling(&self) -> bool {
        match *self {
            Outcome::Answered { status, code } => is_throttling(Some(status), code.unwrap_or("")),
            Outcome::Failed { .. } => false,
        }
    }
}

/// What to do after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Hand the outcome to the guest: a success, an answer retrying cannot change, or the
    /// last attempt allowed.
    Deliver,
    /// Send the request again after `after`, for `reason`.
    Retry {
        /// The wait before the next attempt.
        after: Duration,
        /// The status, S3 code or transport error that calls for it.
        reason: String,
    },
    /// A retry was called for (`reason`) but the budget has none left: deliver the outcome.
    BudgetSpent {
        /// The status, S3 code or transport error that called for a retry.
        reason: String,
    },
}

/// The decision after one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// What to do with the request.
    pub action: Action,
    /// The server asked to slow down: every request of the driver should wait
    /// `pause` (this attempt's backoff), and the driver's rate be capped for a while.
    pub throttled: Option<Duration>,
}

/// The decision after attempt number `attempt` (1-based) of at most `attempts` came to
/// `outcome`, with first backoff `base`; `random` spreads the waits. A first attempt earns
/// the `budget` a share of a retry; a retry spends one.
pub fn decide(
    attempt: u32,
    attempts: u32,
    outcome: Outcome<'_>,
    budget: &RetryBudget,
    base: Duration,
    random: u64,
    now: Instant,
) -> Decision {
    let wait = backoff(attempt, base, random);
    let throttled = outcome.is_throttling().then_some(wait);
    if attempt == 1 {
        budget.earn();
    }
    let action = match outcome.retry_reason() {
        Some(reason) if attempt < attempts => {
            if budget.spend(now) {
                Action::Retry {
                    after: wait,
                    reason,
                }
            } else {
                Action::BudgetSpent { reason }
            }
        }
        _ => Action::Deliver,
    };
    Decision { action, throttled }
}

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
    fn earn(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 = (state.0 + RETRY_SHARE).min(SAVED_RETRIES);
    }

    /// Takes one retry at `now`, if the budget has one.
    fn spend(&self, now: Instant) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_millis(100);

    fn answered(status: u16, code: Option<&str>) -> Outcome<'_> {
        Outcome::Answered { status, code }
    }

    fn action(attempt: u32, outcome: Outcome<'_>) -> Action {
        let budget = RetryBudget::new(Instant::now());
        decide(attempt, 6, outcome, &budget, BASE, 0, Instant::now()).action
    }

    fn retry(after_ms: u64, reason: &str) -> Action {
        Action::Retry {
            after: Duration::from_millis(after_ms),
            reason: reason.into(),
        }
    }

    #[test]
    fn transient_answers_are_retried_with_a_growing_backoff() {
        assert_eq!(action(1, answered(503, None)), retry(50, "503"));
        assert_eq!(action(2, answered(500, None)), retry(100, "500"));
        assert_eq!(
            action(3, answered(400, Some("RequestTimeout"))),
            retry(200, "RequestTimeout")
        );
        assert_eq!(
            action(1, answered(200, Some("InternalError"))),
            retry(50, "InternalError")
        );
        let lost = Outcome::Failed {
            name: "ConnectionTerminated",
            replayable: true,
        };
        assert_eq!(action(1, lost), retry(50, "ConnectionTerminated"));
    }

    #[test]
    fn final_answers_and_the_last_attempt_are_delivered() {
        for outcome in [
            answered(200, None),
            answered(404, Some("NoSuchKey")),
            answered(403, Some("AccessDenied")),
            answered(501, None),
            Outcome::Failed {
                name: "TlsCertificateError",
                replayable: false,
            },
        ] {
            assert_eq!(action(1, outcome), Action::Deliver, "{outcome:?}");
        }
        assert_eq!(action(6, answered(503, None)), Action::Deliver);
    }

    #[test]
    fn throttling_pauses_the_driver_even_on_the_last_attempt() {
        let budget = RetryBudget::new(Instant::now());
        let now = Instant::now();
        let slow = decide(6, 6, answered(503, Some("SlowDown")), &budget, BASE, 0, now);
        assert_eq!(slow.throttled, Some(Duration::from_millis(1600)));
        assert_eq!(slow.action, Action::Deliver);
        let ok = decide(1, 6, answered(200, Some("SlowDown")), &budget, BASE, 0, now);
        assert!(
            ok.throttled.is_some(),
            "a 200 carrying SlowDown is throttling too"
        );
        let fault = decide(1, 6, answered(500, None), &budget, BASE, 0, now);
        assert_eq!(fault.throttled, None);
    }

    #[test]
    fn the_budget_keeps_retries_to_a_share_of_requests() {
        let t0 = Instant::now();
        let budget = RetryBudget::new(t0);
        let retried = || {
            matches!(
                decide(2, 6, answered(503, None), &budget, BASE, 0, t0).action,
                Action::Retry { .. }
            )
        };
        // The saved retries go first, then none until requests or time earn more.
        assert_eq!((0..150).filter(|_| retried()).count(), 100);
        assert_eq!(
            decide(2, 6, answered(503, None), &budget, BASE, 0, t0).action,
            Action::BudgetSpent {
                reason: "503".into()
            }
        );
        // Ten first attempts earn five retries (each first attempt here also asks for one).
        let first = (0..10)
            .filter(|_| {
                matches!(
                    decide(1, 6, answered(200, None), &budget, BASE, 0, t0).action,
                    Action::Deliver
                )
            })
            .count();
        assert_eq!(first, 10);
        assert_eq!((0..10).filter(|_| budget.spend(t0)).count(), 5);
        let later = t0 + Duration::from_millis(300);
        assert_eq!((0..10).filter(|_| budget.spend(later)).count(), 3);
    }
}
