//! [`LogBudget`]: what one instance may send through the `log` import. At most
//! `Limits::log_events_per_second` events a second (bursts of as many), each message at most
//! `Limits::log_event_bytes` long (cut there and marked). Events over the budget are dropped
//! and counted (`s3drv_log_events_dropped_total{tenant}`); the next event let through says
//! how many went. A flooding component costs the host a counter increment per event, and
//! the log's readers a bounded number of lines.

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use metrics::{Counter, counter};

use crate::limits::Limits;

/// One instance's log budget.
pub(crate) struct LogBudget {
    limiter: Option<DefaultDirectRateLimiter>,
    max_bytes: usize,
    /// Dropped since the last event let through.
    dropped: u64,
    dropped_total: Counter,
}

impl LogBudget {
    /// The budget of an instance of `tenant` with `limits` (0 events a second: no log).
    pub(crate) fn new(tenant: &str, limits: &Limits) -> LogBudget {
        let limiter = NonZeroU32::new(limits.log_events_per_second)
            .map(|rate| RateLimiter::direct(Quota::per_second(rate)));
        LogBudget {
            limiter,
            max_bytes: limits.log_event_bytes,
            dropped: 0,
            dropped_total: counter!("s3drv_log_events_dropped_total", "tenant" => tenant.to_string()),
        }
    }

    /// The message to log for `message`, or `None` when the event is over the budget.
    pub(crate) fn admit(&mut self, mut message: String) -> Option<String> {
        if self.limiter.as_ref().is_none_or(|l| l.check().is_err()) {
            self.dropped += 1;
            self.dropped_total.increment(1);
            return None;
        }
        if message.len() > self.max_bytes {
            let mut end = self.max_bytes;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            let cut = message.len() - end;
            message.truncate(end);
            message.push_str(&format!(" [{cut} more bytes cut]"));
        }
        if self.dropped > 0 {
            message.push_str(&format!(
                " [{} earlier events dropped: over the log budget]",
                self.dropped
            ));
            self.dropped = 0;
        }
        Some(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floods_are_dropped_and_long_messages_cut() {
        let limits = Limits {
            log_events_per_second: 3,
            log_event_bytes: 5,
            ..Limits::default()
        };
        let mut budget = LogBudget::new("t", &limits);
        let admitted: Vec<Option<String>> =
            (0..10).map(|_| budget.admit("ok".to_string())).collect();
        assert_eq!(admitted.iter().flatten().count(), 3, "{admitted:?}");
        assert_eq!(budget.dropped, 7);
        let mut cutting = LogBudget::new("t", &limits);
        assert_eq!(
            cutting.admit("aébcdefg".to_string()).as_deref(),
            Some("aébc [4 more bytes cut]")
        );
        let mut silent = LogBudget::new(
            "t",
            &Limits {
                log_events_per_second: 0,
                ..limits
            },
        );
        assert_eq!(silent.admit("x".into()), None);
    }
}
