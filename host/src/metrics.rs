//! Per-tenant metrics through the [`metrics`] facade: whatever recorder the embedding process
//! installs receives them (the CLI's `--metrics-addr` installs a Prometheus exporter).
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `s3drv_requests_total` | counter | tenant, operation (S3 API name), status (HTTP status or error) |
//! | `s3drv_retries_total` | counter | tenant, operation, reason |
//! | `s3drv_retries_denied_total` | counter | tenant, operation (retry budget spent) |
//! | `s3drv_throttle_waits_total` | counter | tenant |
//! | `s3drv_throttle_wait_seconds` | histogram | tenant |
//! | `s3drv_bytes_sent_total` | counter | tenant |
//! | `s3drv_bytes_received_total` | counter | tenant |
//! | `s3drv_instances_live` | gauge | tenant |
//!
//! Without a recorder every call is a no-op.

use std::sync::Arc;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};

/// The metrics of one tenant; clones share the tenant's handles.
#[derive(Clone)]
pub(crate) struct TenantMetrics {
    tenant: Arc<str>,
    bytes_sent: Counter,
    bytes_received: Counter,
    throttle_waits: Counter,
    throttle_wait_seconds: Histogram,
    instances_live: Gauge,
}

impl TenantMetrics {
    /// The handles of `tenant`.
    pub fn new(tenant: &str) -> TenantMetrics {
        let labels = [("tenant", tenant.to_string())];
        TenantMetrics {
            tenant: tenant.into(),
            bytes_sent: counter!("s3drv_bytes_sent_total", &labels),
            bytes_received: counter!("s3drv_bytes_received_total", &labels),
            throttle_waits: counter!("s3drv_throttle_waits_total", &labels),
            throttle_wait_seconds: histogram!("s3drv_throttle_wait_seconds", &labels),
            instances_live: gauge!("s3drv_instances_live", &labels),
        }
    }

    /// One answered (or failed) attempt of `operation`; `status` is the HTTP status or the
    /// transport error's name.
    pub fn request(&self, operation: &'static str, status: &str) {
        counter!(
            "s3drv_requests_total",
            "tenant" => self.tenant.to_string(),
            "operation" => operation,
            "status" => status.to_string()
        )
        .increment(1);
    }

    /// One retry of `operation` because of `reason` (a status or an error name).
    pub fn retry(&self, operation: &'static str, reason: &str) {
        counter!(
            "s3drv_retries_total",
            "tenant" => self.tenant.to_string(),
            "operation" => operation,
            "reason" => reason.to_string()
        )
        .increment(1);
    }

    /// A retry of `operation` that the retry budget did not allow.
    pub fn retry_denied(&self, operation: &'static str) {
        counter!(
            "s3drv_retries_denied_total",
            "tenant" => self.tenant.to_string(),
            "operation" => operation
        )
        .increment(1);
    }

    /// A request waited `waited` for the rate limit, a throttling pause or room among the
    /// requests in flight.
    pub fn throttle_wait(&self, waited: Duration) {
        self.throttle_waits.increment(1);
        self.throttle_wait_seconds.record(waited.as_secs_f64());
    }

    /// `bytes` of request bodies sent.
    pub fn sent(&self, bytes: u64) {
        self.bytes_sent.increment(bytes);
    }

    /// `bytes` of answer bodies received.
    pub fn received(&self, bytes: usize) {
        self.bytes_received.increment(bytes as u64);
    }

    /// Counts one live instance until the guard is dropped.
    pub fn instance_live(&self) -> LiveInstance {
        self.instances_live.increment(1.0);
        LiveInstance(self.instances_live.clone())
    }
}

/// Holds one count of `s3drv_instances_live`.
pub(crate) struct LiveInstance(Gauge);

impl Drop for LiveInstance {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}
