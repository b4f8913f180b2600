//! [`Outbound`]: how one driver's requests leave the host. Each request is admitted by the
//! driver's pacing, sent on its pooled client within the tenant's timeouts, and sent again
//! as [`retry::decide`] says; bodies up to the replay limit are kept for that.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::{Semaphore, SemaphorePermit};
use wasmtime_wasi_http::Error as HttpError;

use super::addresses::{AddressPolicy, CheckedResolver};
use super::attempt::Attempt;
use super::body::{self, WatchedBody};
use super::client::{PooledClient, WasiBody, classify, error_name, pooled_client};
use super::destinations::Destinations;
use super::pacing::Pacing;
use super::replay::KeptBody;
use super::retry::{self, Action, RetryBudget};
use super::tls;
use crate::bindings::s3drv::storage::types::TransportPolicy;
use crate::error::Result;
use crate::limits::Limits;
use crate::metrics::TenantMetrics;
use crate::tenant::Tenant;

/// How one driver's requests leave the host.
pub struct Outbound {
    client: PooledClient,
    policy: TransportPolicy,
    /// When the next request may start.
    pacing: Pacing,
    /// The share of requests that may be retried.
    retry_budget: RetryBudget,
    /// Room for request bodies kept for replay, in bytes (`Limits::replay_memory`).
    replay_memory: Arc<Semaphore>,
    /// Requests that may await their answer at once (`Policy::max_requests_in_flight`).
    in_flight: Option<Semaphore>,
    /// The tenant's limits (backoff base, timeouts).
    limits: Limits,
    pub(super) tenant: Arc<str>,
    metrics: TenantMetrics,
    pub(super) destinations: Destinations,
    pub(super) addresses: Arc<AddressPolicy>,
}

impl Outbound {
    /// The outbound side of a driver of `tenant` with `policy`.
    pub fn new(tenant: &Tenant, policy: TransportPolicy) -> Result<Outbound> {
        let tls = tls::client_config(policy.skip_verify, tenant.ca_bundle.as_deref())?;
        let destinations = Destinations::new(&policy.destinations);
        let addresses = Arc::new(AddressPolicy::new(
            destinations.storage_host().unwrap_or_default(),
            tenant.instance_metadata,
            &tenant.policy.address_ranges,
        ));
        Ok(Outbound {
            client: pooled_client(
                tls,
                CheckedResolver::new(addresses.clone()),
                tenant.limits.connect_timeout,
            ),
            pacing: Pacing::new(policy.max_requests_per_second),
            policy,
            retry_budget: RetryBudget::new(std::time::Instant::now()),
            replay_memory: Arc::new(Semaphore::new(
                usize::try_from(tenant.limits.replay_memory)
                    .unwrap_or(usize::MAX)
                    .min(Semaphore::MAX_PERMITS),
            )),
            in_flight: tenant
                .policy
                .max_requests_in_flight
                .map(|ceiling| Semaphore::new(ceiling.clamp(1, Semaphore::MAX_PERMITS))),
            limits: tenant.limits,
            destinations,
            addresses,
            tenant: tenant.name.as_str().into(),
            metrics: TenantMetrics::new(&tenant.name),
        })
    }

    /// The policy a driver has before it reports its own: verify TLS, default retries, no
    /// rate limit, no destination (the driver's `open` sends nothing).
    pub fn provisional(tenant: &Tenant) -> Result<Outbound> {
        Outbound::new(
            tenant,
            TransportPolicy {
                max_retries: 5,
                max_requests_per_second: 0,
                skip_verify: false,
                log_retries: false,
                destinations: Vec::new(),
            },
        )
    }

    /// The tenant's metrics.
    pub fn metrics(&self) -> &TenantMetrics {
        &self.metrics
    }

    /// Counts and logs retry number `retry` of `of` after `reason`, in `delay`: as the
    /// driver's own event with `logdebugwithrequestretries`, else as the host's.
    fn log_retry(
        &self,
        operation: &'static str,
        reason: &str,
        retry: u32,
        of: u32,
        delay: Duration,
    ) {
        self.metrics.retry(operation, reason);
        let (tenant, wait) = (&*self.tenant, delay.as_millis());
        if self.policy.log_retries {
            tracing::debug!(target: "s3drv::driver", tenant, operation,
                "retry {retry} of {of} after {reason}, in {wait} ms");
        } else {
            tracing::debug!(target: "s3drv::outbound", tenant, operation,
                "retry {retry} of {of} after {reason}, in {wait} ms");
        }
    }

    /// A place among the requests in flight, counted as a throttle wait when it had to wait.
    async fn wait_for_room<'a>(&self, ceiling: &'a Semaphore) -> SemaphorePermit<'a> {
        if let Ok(permit) = ceiling.try_acquire() {
            return permit;
        }
        let started = std::time::Instant::now();
        let permit = ceiling
            .acquire()
            .await
            .expect("the in-flight semaphore is never closed");
        self.metrics.throttle_wait(started.elapsed());
        permit
    }

    /// One attempt: admission, the request, and a small answer's body.
    async fn attempt(
        &self,
        request: http::Request<WasiBody>,
        deadline: Duration,
        operation: &'static str,
    ) -> Attempt {
        self.pacing
            .admit(&self.metrics, &self.tenant, operation)
            .await;
        let sent = self.client.request(request);
        let response = match tokio::time::timeout(deadline, sent).await {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => {
                let error = classify(e);
                self.metrics.request(operation, &error_name(&error));
                return Attempt::failed(error);
            }
            Err(_) => {
                self.metrics.request(operation, "ConnectionReadTimeout");
                return Attempt::Failed {
                    error: HttpError::ConnectionReadTimeout,
                    retryable: true,
                };
            }
        };
        self.metrics.request(operation, response.status().as_str());
        let small = body::is_small(&response, retry::WHOLE_ANSWER_LIMIT);
        let response = response.map(|body: Incoming| {
            WatchedBody::new(
                body,
                self.limits.between_bytes_timeout,
                self.metrics.clone(),
            )
        });
        if !small {
            return Attempt::Streamed(response);
        }
        let (parts, body) = response.into_parts();
        match body::read_small(body).await {
            Ok(bytes) => Attempt::Whole(http::Response::from_parts(parts, bytes)),
            Err(error) => Attempt::Failed {
                error,
                retryable: true,
            },
        }
    }

    /// Sends `request`, retrying transient failures when its body could be kept for replay.
    /// A request with its own `deadline` (credential endpoints, which answer at once or not
    /// at all) is tried at most twice, so that a missing metadata service costs seconds, not
    /// a minute.
    pub(super) async fn send(
        &self,
        request: http::Request<WasiBody>,
        deadline: Option<Duration>,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        let operation = match self.destinations.is_storage(request.uri()) {
            true => s3drv_common::operations::s3_operation(
                request.method().as_str(),
                request.uri().query().unwrap_or_default(),
                request.headers().contains_key("x-amz-copy-source"),
            ),
            false => "Credentials",
        };
        // Held until the answer arrives, retries included; the semaphore is never closed.
        let _in_flight = match &self.in_flight {
            Some(ceiling) => Some(self.wait_for_room(ceiling).await),
            None => None,
        };
        let probe = deadline.is_some();
        let limit = self.limits.first_byte_timeout;
        let deadline = deadline.map_or(limit, |d| d.min(limit));
        let length = request
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        let kept = u32::try_from(length)
            .ok()
            .filter(|_| length <= retry::REPLAY_LIMIT.min(self.limits.replay_memory));
        let Some(kept) = kept else {
            self.metrics.sent(length);
            return self
                .attempt(request, deadline, operation)
                .await
                .into_answer();
        };
        // Held until the answer arrives; the semaphore is never closed.
        let _room = self.replay_memory.acquire_many(kept).await;
        let (parts, body) = request.into_parts();
        let body = KeptBody::take(body).await?;
        let attempts = match self.policy.max_retries.saturating_add(1) {
            attempts if probe => attempts.min(2),
            attempts => attempts,
        };
        let mut attempt = 1;
        loop {
            let replay = body.replay().boxed_unsync();
            self.metrics.sent(body.len());
            let request = http::Request::from_parts(parts.clone(), replay);
            let outcome = self.attempt(request, deadline, operation).await;
            let random = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos() as u64);
            let mut name = String::new();
            let decision = retry::decide(
                attempt,
                attempts,
                outcome.outcome(&mut name),
                &self.retry_budget,
                self.limits.backoff_base,
                random,
                std::time::Instant::now(),
            );
            if let Some(pause) = decision.throttled {
                self.pacing.throttled(pause);
            }
            let (delay, reason) = match decision.action {
                Action::Deliver => return outcome.into_answer(),
                Action::BudgetSpent { reason } => {
                    self.metrics.retry_denied(operation);
                    tracing::warn!(
                        target: "s3drv::outbound",
                        tenant = &*self.tenant,
                        operation,
                        "not retrying after {reason}: the driver's retry budget is spent"
                    );
                    return outcome.into_answer();
                }
                Action::Retry { after, reason } => (after, reason),
            };
            drop(outcome);
            self.log_retry(operation, &reason, attempt, attempts - 1, delay);
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}
