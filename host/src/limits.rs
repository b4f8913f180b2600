//! [`Limits`]: what one tenant's driver instances may use (`docs/decisions.md` §26), enforced by the
//! host: guest memory (`StoreLimits`), the duration of one call (epoch interruption checked
//! wherever the guest runs), resource-table entries, the number of instances in use at once
//! (callers beyond it wait: backpressure, not failure), how many calls an instance serves
//! before it is replaced, and how much it may log.

use std::time::Duration;

/// How often the engine's epoch advances: the granularity of call deadlines and of yielding
/// a busy guest to other tasks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Per-instance and per-driver limits of a tenant.
///
/// ```no_run
/// # fn demo() -> Result<(), ()> {
/// use std::time::Duration;
/// let limits = s3drv_host::Limits {
///     max_instances: 8,
///     first_byte_timeout: Duration::from_secs(30),
///     ..s3drv_host::Limits::default()
/// };
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory of one instance, in bytes. A guest that needs more fails that call
    /// (the instance traps and is discarded).
    pub memory: usize,
    /// Longest one call may run. Checked while the guest executes, so a call that waits on a
    /// silent server ends at the host's answer deadline instead.
    pub call_deadline: Duration,
    /// Resource-table entries (open readers, writers, walkers, HTTP handles) per instance.
    pub table_entries: usize,
    /// Instances of one driver in use at once; further calls wait for one to come back.
    pub max_instances: usize,
    /// Calls an instance serves before it is replaced by a fresh one.
    pub uses_per_instance: u32,
    /// The first retry's backoff; each further retry doubles it (tests shorten it).
    pub backoff_base: Duration,
    /// Longest wait for a connection to the server.
    pub connect_timeout: Duration,
    /// Longest wait for the answer's head after the request was sent (body included); an
    /// attempt without one counts as lost and is retried. Servers do stall: Garage's SQLite
    /// backend was seen holding an UploadPart forever under load.
    pub first_byte_timeout: Duration,
    /// Longest silence while an answer's body is being received; the body then fails
    /// (a reader resumes from the last byte it received).
    pub between_bytes_timeout: Duration,
    /// Bytes of request bodies one driver keeps for replay at once (a body is kept until
    /// its answer arrives, so that it can be retried). Requests wait for room; a body larger
    /// than this, or than 64 MiB, is sent once without a copy.
    pub replay_memory: u64,
    /// Events one instance may log through the `log` import per second (as many at once);
    /// more are dropped and counted (`s3drv_log_events_dropped_total`).
    pub log_events_per_second: u32,
    /// Bytes of one logged message; a longer one is cut there and marked.
    pub log_event_bytes: usize,
}

impl Default for Limits {
    /// 1 GiB of memory (a writer needs `chunksize` plus headroom, `get-content` the whole
    /// object), 15 minutes per call, 10,000 table entries, 64 instances, 10,000
    /// calls per instance, 100 ms first backoff, 10 s to connect, 120 s to the first byte
    /// of an answer, 60 s of silence within a body, 256 MiB of bodies kept for replay,
    /// 100 log events a second of at most 8 KiB each.
    fn default() -> Self {
        Limits {
            memory: 1 << 30,
            call_deadline: Duration::from_secs(15 * 60),
            table_entries: 10_000,
            max_instances: 64,
            uses_per_instance: 10_000,
            backoff_base: Duration::from_millis(100),
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(120),
            between_bytes_timeout: Duration::from_secs(60),
            replay_memory: 256 << 20,
            log_events_per_second: 100,
            log_event_bytes: 8 << 10,
        }
    }
}
