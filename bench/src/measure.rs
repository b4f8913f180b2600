//! What one run of a workload costs the benchmark process: wall time, CPU time (getrusage,
//! user + system; the S3 server runs in its own process) and peak resident memory (VmHWM,
//! reset through /proc/self/clear_refs before each run); and the same figures of another
//! process (a registry, a sidecar) from its /proc files.

use std::time::{Duration, Instant};

/// CPU seconds this process has used so far.
pub fn cpu_seconds() -> f64 {
    rusage_cpu_seconds(libc::RUSAGE_SELF)
}

/// CPU seconds this process's ended and reaped children have used so far.
pub fn children_cpu_seconds() -> f64 {
    rusage_cpu_seconds(libc::RUSAGE_CHILDREN)
}

/// User + system seconds of getrusage(`who`).
fn rusage_cpu_seconds(who: libc::c_int) -> f64 {
    // SAFETY: getrusage writes into the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// A field of /proc/`process`/status (`self` or a process id) in KiB (`VmRSS`, `VmHWM`).
fn status_kib(process: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Resident memory now, in MiB.
pub fn rss_mib() -> f64 {
    status_kib("self", "VmRSS:") as f64 / 1024.0
}

/// Peak resident memory of `process` (`self` or a process id) since the last
/// [`reset_peak_rss`] of it, in MiB.
pub fn peak_rss_mib(process: &str) -> f64 {
    status_kib(process, "VmHWM:") as f64 / 1024.0
}

/// Starts a new peak-RSS measurement of `process` (Linux: "5" to clear_refs resets VmHWM).
pub fn reset_peak_rss(process: &str) {
    let _ = std::fs::write(format!("/proc/{process}/clear_refs"), "5");
}

/// CPU seconds (user + system) process `pid` has used so far, from /proc/`pid`/stat.
pub fn cpu_seconds_of(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces:
    // state is the first, utime the 12th, stime the 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // SAFETY: sysconf reads a constant.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    (ticks(11) + ticks(12)) as f64 / per_second
}

/// What a measured run used.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cost {
    /// Wall time.
    pub wall: Duration,
    /// CPU seconds of this process.
    pub cpu: f64,
    /// Peak RSS minus RSS at the start, MiB.
    pub rss_growth: f64,
}

/// Costs of runs one after the other: their wall and CPU times add up, the memory growth is
/// the largest of theirs.
impl std::ops::Add for Cost {
    type Output = Cost;

    fn add(self, other: Cost) -> Cost {
        Cost {
            wall: self.wall + other.wall,
            cpu: self.cpu + other.cpu,
            rss_growth: self.rss_growth.max(other.rss_growth),
        }
    }
}

/// How long one measured run may take before the bench gives up on it: far above the
/// slowest run (a 1 GiB write by the Go driver, about 15 s on a slow day), so only a server
/// or client that stopped making progress reaches it (Garage 2.5 once stopped reading an
/// upload, after `Sqlite: database is locked` in its log, and the bench waited for good).
pub const STALLED_AFTER: Duration = Duration::from_secs(300);

/// The error of `what` (a run, a command line) that reached [`STALLED_AFTER`].
pub fn stalled(what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{what}: no end after {} s: the S3 server or the client stalled",
        STALLED_AFTER.as_secs()
    )
}

/// Measures `run`, which fails as [`stalled`] after [`STALLED_AFTER`].
pub async fn measure<T>(run: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<(T, Cost)> {
    reset_peak_rss("self");
    let rss = rss_mib();
    let cpu = cpu_seconds();
    let started = Instant::now();
    let value = tokio::time::timeout(STALLED_AFTER, run)
        .await
        .map_err(|_| stalled("a measured run"))??;
    let cost = Cost {
        wall: started.elapsed(),
        cpu: cpu_seconds() - cpu,
        rss_growth: (peak_rss_mib("self") - rss).max(0.0),
    };
    Ok((value, cost))
}
