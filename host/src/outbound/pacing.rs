//! [`Pacing`]: when a driver's next request may start. Its rate (`maxrequestspersecond`, a
//! token bucket), a pause of every request after a throttling answer, and the adaptive cap
//! that follows throttling ([`AdaptiveRate`]).

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::adaptive::AdaptiveRate;
use crate::metrics::TenantMetrics;

/// The pacing of one driver's requests.
pub struct Pacing {
    limiter: Option<DefaultDirectRateLimiter>,
    /// The cap a throttling answer puts on the driver's rate.
    adaptive: AdaptiveRate,
    /// After a throttling answer, no request of the driver starts before this instant.
    paused_until: Mutex<Option<tokio::time::Instant>>,
}

impl Pacing {
    /// At most `per_second` requests a second (0: no limit), in bursts of at most a tenth of
    /// a second's requests: the rate holds over any window of 100 ms or more, and a request
    /// that started late (a busy host) does not push every later one back.
    pub fn new(per_second: u32) -> Pacing {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(rate.get() / 10).unwrap_or(NonZeroU32::MIN);
            RateLimiter::direct(Quota::per_second(rate).allow_burst(burst))
        });
        Pacing {
            limiter,
            adaptive: AdaptiveRate::new(Instant::now()),
            paused_until: Mutex::new(None),
        }
    }

    /// Waits out a throttling pause, then for the rate limiter and the adaptive cap; counts
    /// and logs the wait.
    pub async fn admit(&self, metrics: &TenantMetrics, tenant: &str, operation: &'static str) {
        let started = tokio::time::Instant::now();
        let mut waited = false;
        let paused = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = paused.filter(|until| *until > started) {
            tokio::time::sleep_until(until).await;
            waited = true;
        }
        if let Some(limiter) = &self.limiter
            && limiter.check().is_err()
        {
            limiter.until_ready().await;
            waited = true;
        }
        let slot = self.adaptive.reserve(Instant::now());
        if !slot.is_zero() {
            tokio::time::sleep(slot).await;
            waited = true;
        }
        if waited {
            let waited = started.elapsed();
            metrics.throttle_wait(waited);
            tracing::trace!(
                target: "s3drv::outbound",
                tenant,
                operation,
                "waited {} ms for the request rate",
                waited.as_millis()
            );
        }
    }

    /// S3 asked to slow down: every request of the driver waits `delay`, not only the one
    /// answered so, and the driver's rate is capped for a while.
    pub fn throttled(&self, delay: Duration) {
        let until = tokio::time::Instant::now() + delay;
        {
            let mut paused = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            if paused.is_none_or(|p| p < until) {
                *paused = Some(until);
            }
        }
        self.adaptive.throttled(Instant::now());
    }
}
