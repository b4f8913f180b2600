//! What one run of a workload costs the benchmark process: wall time, CPU time (getrusage,
//! user + system; the S3 server runs in its own process) and peak resident memory (VmHWM,
//! reset through /proc/self/clear_refs before each run).

use std::time::{Duration, Instant};

/// CPU seconds this process has used so far.
pub fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// A field of /proc/self/status in KiB (`VmRSS`, `VmHWM`).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Resident memory now, in MiB.
pub fn rss_mib() -> f64 {
    status_kib("VmRSS:") as f64 / 1024.0
}

/// Peak resident memory since the last [`reset_peak_rss`], in MiB.
pub fn peak_rss_mib() -> f64 {
    status_kib("VmHWM:") as f64 / 1024.0
}

/// Starts a new peak-RSS measurement (Linux: "5" to clear_refs resets VmHWM).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// What a measured run used.
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    /// Wall time.
    pub wall: Duration,
    /// CPU seconds of this process.
    pub cpu: f64,
    /// Peak RSS minus RSS at the start, MiB.
    pub rss_growth: f64,
}

/// Measures `run`.
pub async fn measure<T>(run: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<(T, Cost)> {
    reset_peak_rss();
    let rss = rss_mib();
    let cpu = cpu_seconds();
    let started = Instant::now();
    let value = run.await?;
    let cost = Cost {
        wall: started.elapsed(),
        cpu: cpu_seconds() - cpu,
        rss_growth: (peak_rss_mib() - rss).max(0.0),
    };
    Ok((value, cost))
}
