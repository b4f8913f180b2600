//! The adaptive part of a driver's request rate. When throttling answers (429, 503,
//! SlowDown) are at least [`THROTTLED_SHARE`] of the driver's recent requests, the driver is
//! capped at [`DECREASE`] times the rate it was sending (or its current cap), at least [`FLOOR`]
//! requests per second; answers that arrive together (the other requests in flight when S3
//! started refusing) count once. A stray throttling answer under a rate S3 accepts is only
//! retried (after the backoff pause every throttling answer brings). The cap holds while S3 keeps throttling and for
//! [`HOLD`] after, then grows by half each second and disappears once it is twice what the
//! driver sends. `maxrequestspersecond` (governor) still applies on top.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long the cap holds after the last throttling answer.
pub const HOLD: Duration = Duration::from_secs(1);
/// The factor a cap is lowered by (TCP CUBIC's).
pub const DECREASE: f64 = 0.7;
/// The lowest cap, in requests per second.
pub const FLOOR: f64 = 1.0;
/// The share of recent requests answered with throttling that lowers the rate (1 in 20).
pub const THROTTLED_SHARE: f64 = 0.05;
/// Throttling answers within this time of a reduction count as the same one.
const SAME_EPISODE: Duration = Duration::from_millis(200);

/// One driver's adaptive rate.
#[derive(Debug)]
pub struct AdaptiveRate {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Request starts in the current one-second window and the one before.
    window_start: Instant,
    this_window: u32,
    last_window: u32,
    /// Throttling answers in the same two windows.
    throttled_this_window: u32,
    throttled_last_window: u32,
    /// Requests per second allowed, while throttled.
    cap: Option<f64>,
    last_throttle: Instant,
    last_reduction: Option<Instant>,
    last_growth: Instant,
    /// The earliest start of the next request under the cap.
    next_slot: Instant,
}

impl AdaptiveRate {
    /// No cap, measuring from `now`.
    pub fn new(now: Instant) -> AdaptiveRate {
        AdaptiveRate {
            state: Mutex::new(State {
                window_start: now,
                this_window: 0,
                last_window: 0,
                throttled_this_window: 0,
                throttled_last_window: 0,
                cap: None,
                last_throttle: now,
                last_reduction: None,
                last_growth: now,
                next_slot: now,
            }),
        }
    }

    /// The cap in requests per second, if throttled.
    #[cfg(test)]
    pub fn cap(&self) -> Option<f64> {
        self.lock().cap
    }

    /// Takes the start of one request at `now`; returns how long it must wait first.
    pub fn reserve(&self, now: Instant) -> Duration {
        let mut state = self.lock();
        state.roll(now);
        state.recover(now);
        state.this_window += 1;
        let Some(cap) = state.cap else {
            return Duration::ZERO;
        };
        let start = state.next_slot.max(now);
        state.next_slot = start + Duration::from_secs_f64(1.0 / cap);
        start - now
    }

    /// S3 answered with throttling at `now`.
    pub fn throttled(&self, now: Instant) {
        let mut state = self.lock();
        state.roll(now);
        state.last_throttle = now;
        state.throttled_this_window += 1;
        let throttled = f64::from(state.throttled_this_window + state.throttled_last_window);
        let sent = f64::from((state.this_window + state.last_window).max(1));
        let same_episode = state
            .last_reduction
            .is_some_and(|at| now.saturating_duration_since(at) < SAME_EPISODE);
        if throttled < THROTTLED_SHARE * sent || same_episode {
            return;
        }
        let sending = f64::from(state.this_window.max(state.last_window).max(1));
        let current = state.cap.map_or(sending, |cap| cap.min(sending));
        state.cap = Some((current * DECREASE).max(FLOOR));
        state.last_reduction = Some(now);
        state.last_growth = now;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    /// Moves the measuring window forward to `now`.
    fn roll(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.window_start);
        if elapsed >= Duration::from_secs(1) {
            let adjacent = elapsed < Duration::from_secs(2);
            self.last_window = if adjacent { self.this_window } else { 0 };
            self.throttled_last_window = if adjacent {
                self.throttled_this_window
            } else {
                0
            };
            self.this_window = 0;
            self.throttled_this_window = 0;
            self.window_start = now;
        }
    }

    /// Grows the cap by half for each quiet second after [`HOLD`]; drops it once it no
    /// longer binds.
    fn recover(&mut self, now: Instant) {
        let Some(cap) = self.cap else { return };
        let held_until = self.last_throttle + HOLD;
        if now < held_until {
            return;
        }
        let seconds = now
            .saturating_duration_since(self.last_growth.max(held_until))
            .as_secs();
        if seconds == 0 {
            return;
        }
        let grown = cap * 1.5f64.powi(seconds.min(64) as i32);
        self.last_growth = now;
        let sending = f64::from(self.this_window.max(self.last_window));
        self.cap = (grown < 2.0 * sending.max(FLOOR)).then_some(grown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn close(actual: Option<f64>, expected: f64) -> bool {
        actual.is_some_and(|a| (a - expected).abs() < 1e-9)
    }

    #[test]
    fn throttling_lowers_the_rate_then_it_recovers() {
        let t0 = Instant::now();
        let rate = AdaptiveRate::new(t0);
        // 100 requests in the first second: no cap, no wait.
        for i in 0..100 {
            assert_eq!(rate.reserve(t0 + ms(i * 10)), Duration::ZERO);
        }
        // A few throttling answers at 1.0 s: under 5 % of the requests, only retried.
        let t1 = t0 + ms(1000);
        for _ in 0..4 {
            rate.throttled(t1);
        }
        assert_eq!(rate.cap(), None);
        // The fifth: capped at 70/s, so requests are spaced 1/70 s.
        rate.throttled(t1);
        assert!(close(rate.cap(), 70.0), "{:?}", rate.cap());
        assert_eq!(rate.reserve(t1), Duration::ZERO);
        let spacing = Duration::from_secs_f64(1.0 / 70.0);
        assert_eq!(rate.reserve(t1), spacing);
        // Answers of the same episode count once; a later one lowers it again.
        rate.throttled(t1 + ms(100));
        assert!(close(rate.cap(), 70.0));
        rate.throttled(t1 + ms(500));
        assert!(close(rate.cap(), 49.0), "{:?}", rate.cap());
        // Held for HOLD after the last throttling answer.
        let t2 = t1 + ms(500);
        let _ = rate.reserve(t2 + HOLD - ms(1));
        assert!(close(rate.cap(), 49.0));
        // Then grows by half per quiet second while the driver sends at the cap, and goes
        // once it no longer binds.
        let t3 = t2 + HOLD;
        for i in 0..45 {
            let _ = rate.reserve(t3 + ms(i * 22));
        }
        assert!(close(rate.cap(), 49.0));
        let _ = rate.reserve(t3 + ms(1000));
        assert!(close(rate.cap(), 73.5), "{:?}", rate.cap());
        let _ = rate.reserve(t3 + ms(20_000));
        assert_eq!(rate.cap(), None);
    }

    #[test]
    fn never_below_the_floor() {
        let t0 = Instant::now();
        let rate = AdaptiveRate::new(t0);
        for i in 0..20 {
            let _ = rate.reserve(t0 + ms(i * 300));
            rate.throttled(t0 + ms(i * 300));
        }
        assert_eq!(rate.cap(), Some(FLOOR));
        let first = rate.reserve(t0 + ms(6000));
        assert_eq!(rate.reserve(t0 + ms(6000)) - first, ms(1000));
    }
}
