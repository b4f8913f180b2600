//! Outgoing HTTP of the component: `wasi:http` requests are sent through a pooled,
//! keep-alive hyper-util client (rustls for TLS, [`tls`]) instead of wasmtime's
//! `default_send_request`, which opens a connection per request. Each driver has its own
//! client and [`Outbound`] policy: where it may send ([`destinations`], [`addresses`]), its
//! request rate (`maxrequestspersecond`, governor, lowered for a while after throttling
//! answers by `adaptive`), retries of transient failures
//! (`maxretries`, the `retry` module), timeouts (connect, first byte, between bytes: the
//! tenant's [`Limits`]), TLS verification (`skipverify`), and its metrics.

mod adaptive;
pub mod addresses;
mod body;
pub mod destinations;
mod operation;
mod replay;
pub mod tls;

use std::error::Error as _;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::Semaphore;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiHttpHooks};

use crate::bindings::s3drv::storage::types::TransportPolicy;
use crate::error::Result;
use crate::limits::Limits;
use crate::metrics::TenantMetrics;
use crate::retry::{self, RetryBudget};
use crate::tenant::Tenant;
use adaptive::AdaptiveRate;
use addresses::{AddressPolicy, AddressRefused, CheckedResolver};
use body::WatchedBody;
use destinations::Destinations;
use replay::KeptBody;

/// The body type wasmtime-wasi-http hands to and expects from the hooks.
pub type WasiBody = wasmtime_wasi_http::WasiBody;

/// The pooled client of one driver.
pub type PooledClient = Client<HttpsConnector<HttpConnector<CheckedResolver>>, WasiBody>;

/// A keep-alive client with `tls`, resolving names through `resolver`.
fn pooled_client(
    tls: rustls::ClientConfig,
    resolver: CheckedResolver,
    connect_timeout: Duration,
) -> PooledClient {
    let mut http = HttpConnector::new_with_resolver(resolver);
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    http.set_nodelay(true);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(64)
        .build(connector)
}

/// How one attempt of a request ended.
enum Attempt {
    /// An answer whose body streams to the guest.
    Streamed(http::Response<WatchedBody>),
    /// A small answer, taken in whole.
    Whole(http::Response<Bytes>),
    /// No (complete) answer; `retryable` unless replaying cannot help (refused certificate
    /// or address).
    Failed { error: HttpError, retryable: bool },
}

impl Attempt {
    /// Why the request should be sent again, if it should.
    fn retry_reason(&self) -> Option<String> {
        let status = match self {
            Attempt::Streamed(response) => response.status(),
            Attempt::Whole(response) => response.status(),
            Attempt::Failed { error, retryable } => return retryable.then(|| error_name(error)),
        };
        if retry::is_retryable_status(status.as_u16()) {
            return Some(status.as_u16().to_string());
        }
        match self {
            Attempt::Whole(response) => retry::error_code(response.body())
                .filter(|code| retry::is_retryable_code(code))
                .map(String::from),
            _ => None,
        }
    }

    /// Whether the server asked to slow down.
    fn is_throttling(&self) -> bool {
        match self {
            Attempt::Streamed(response) => retry::is_throttling_status(response.status().as_u16()),
            Attempt::Whole(response) => {
                retry::is_throttling_status(response.status().as_u16())
                    || retry::error_code(response.body()) == Some("SlowDown")
            }
            Attempt::Failed { .. } => false,
        }
    }

    /// The answer as the guest receives it.
    fn into_answer(self) -> Result<http::Response<WasiBody>, HttpError> {
        match self {
            Attempt::Streamed(response) => Ok(response.map(|body| body.boxed_unsync())),
            Attempt::Whole(response) => Ok(response.map(|bytes| {
                Full::new(bytes)
                    .map_err(|never| match never {})
                    .boxed_unsync()
            })),
            Attempt::Failed { error, .. } => Err(error),
        }
    }
}

/// How one driver's requests leave the host.
pub struct Outbound {
    client: PooledClient,
    policy: TransportPolicy,
    limiter: Option<DefaultDirectRateLimiter>,
    /// The cap a throttling answer puts on the driver's rate.
    adaptive: AdaptiveRate,
    /// The share of requests that may be retried.
    retry_budget: RetryBudget,
    /// Room for request bodies kept for replay, in bytes (`Limits::replay_memory`).
    replay_memory: Arc<Semaphore>,
    /// After a throttling answer, no request of the driver starts before this instant.
    paused_until: std::sync::Mutex<Option<tokio::time::Instant>>,
    /// The tenant's limits (backoff base, timeouts).
    limits: Limits,
    tenant: Arc<str>,
    metrics: TenantMetrics,
    destinations: Destinations,
    addresses: Arc<AddressPolicy>,
}

impl Outbound {
    /// The outbound side of a driver of `tenant` with `policy`.
    pub fn new(tenant: &Tenant, policy: TransportPolicy) -> Result<Outbound> {
        let tls = tls::client_config(policy.skip_verify, tenant.ca_bundle.as_deref())?;
        let destinations = Destinations::new(&policy.destinations);
        let addresses = Arc::new(AddressPolicy::new(
            destinations.storage_host().unwrap_or_default(),
            tenant.instance_metadata,
        ));
        // Bursts of at most a tenth of a second's requests: the rate holds over any window of
        // 100 ms or more, and a request that started late (a busy host) does not push every
        // later one back.
        let limiter = NonZeroU32::new(policy.max_requests_per_second).map(|rate| {
            let burst = NonZeroU32::new(rate.get() / 10).unwrap_or(NonZeroU32::MIN);
            RateLimiter::direct(Quota::per_second(rate).allow_burst(burst))
        });
        Ok(Outbound {
            client: pooled_client(
                tls,
                CheckedResolver::new(addresses.clone()),
                tenant.limits.connect_timeout,
            ),
            policy,
            limiter,
            adaptive: AdaptiveRate::new(std::time::Instant::now()),
            retry_budget: RetryBudget::new(std::time::Instant::now()),
            replay_memory: Arc::new(Semaphore::new(
                usize::try_from(tenant.limits.replay_memory)
                    .unwrap_or(usize::MAX)
                    .min(Semaphore::MAX_PERMITS),
            )),
            paused_until: std::sync::Mutex::new(None),
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

    /// Waits out a throttling pause, then for the rate limiter and the adaptive cap; counts
    /// and logs the wait.
    async fn admit(&self, operation: &'static str) {
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
        let slot = self.adaptive.reserve(std::time::Instant::now());
        if !slot.is_zero() {
            tokio::time::sleep(slot).await;
            waited = true;
        }
        if waited {
            let waited = started.elapsed();
            self.metrics.throttle_wait(waited);
            tracing::trace!(
                target: "s3drv::outbound",
                tenant = &*self.tenant,
                operation,
                "waited {} ms for the request rate",
                waited.as_millis()
            );
        }
    }

    /// Pauses every request of the driver for `delay` (S3 asked it to slow down).
    fn pause(&self, delay: Duration) {
        let until = tokio::time::Instant::now() + delay;
        let mut paused = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if paused.is_none_or(|p| p < until) {
            *paused = Some(until);
        }
    }

    /// One attempt: admission, the request, and a small answer's body.
    async fn attempt(
        &self,
        request: http::Request<WasiBody>,
        deadline: Duration,
        operation: &'static str,
    ) -> Attempt {
        self.admit(operation).await;
        let sent = self.client.request(request);
        let response = match tokio::time::timeout(deadline, sent).await {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => {
                let error = classify(e);
                // A refused certificate or address stays refused.
                let retryable = !matches!(
                    error,
                    HttpError::TlsCertificateError
                        | HttpError::TlsProtocolError
                        | HttpError::DestinationIpProhibited
                );
                self.metrics.request(operation, &error_name(&error));
                return Attempt::Failed { error, retryable };
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
    async fn send(
        &self,
        request: http::Request<WasiBody>,
        deadline: Option<Duration>,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        let operation = match self.destinations.is_storage(request.uri()) {
            true => operation::s3_operation(&request),
            false => "Credentials",
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
            let delay = retry::backoff(attempt, self.limits.backoff_base, random);
            if outcome.is_throttling() {
                // S3 asked to slow down: every request of the driver waits, not only this
                // one, and the driver's rate is capped for a while.
                self.pause(delay);
                self.adaptive.throttled(std::time::Instant::now());
            }
            if attempt == 1 {
                self.retry_budget.earn();
            }
            let Some(reason) = outcome.retry_reason().filter(|_| attempt < attempts) else {
                return outcome.into_answer();
            };
            if !self.retry_budget.spend(std::time::Instant::now()) {
                self.metrics.retry_denied(operation);
                tracing::warn!(
                    target: "s3drv::outbound",
                    tenant = &*self.tenant,
                    operation,
                    "not retrying after {reason}: the driver's retry budget is spent"
                );
                return outcome.into_answer();
            }
            drop(outcome);
            self.metrics.retry(operation, &reason);
            let (retry, of, wait) = (attempt, attempts - 1, delay.as_millis());
            if self.policy.log_retries {
                tracing::debug!(
                    target: "s3drv::driver",
                    tenant = &*self.tenant,
                    operation,
                    "retry {retry} of {of} after {reason}, in {wait} ms"
                );
            } else {
                tracing::debug!(
                    target: "s3drv::outbound",
                    tenant = &*self.tenant,
                    operation,
                    "retry {retry} of {of} after {reason}, in {wait} ms"
                );
            }
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

/// The wasi-http hooks of one instance: every request goes through its driver's [`Outbound`].
pub struct OutboundHooks {
    outbound: Arc<Outbound>,
}

impl OutboundHooks {
    /// Hooks sending through `outbound`.
    pub fn new(outbound: Arc<Outbound>) -> Self {
        OutboundHooks { outbound }
    }
}

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>
    {
        let outbound = self.outbound.clone();
        Box::new(async move {
            let uri = request.uri();
            if !outbound.destinations.allows(uri) {
                tracing::warn!(
                    target: "s3drv::driver",
                    tenant = &*outbound.tenant,
                    "refused a request to {}://{}: not a destination of the driver's configuration",
                    uri.scheme_str().unwrap_or_default(),
                    uri.authority().map_or("", |a| a.as_str())
                );
                return Err(HttpError::HttpRequestDenied);
            }
            let host = uri.host().unwrap_or_default();
            if let Err(refused) = outbound.addresses.check_literal(host).await {
                tracing::warn!(target: "s3drv::driver", tenant = &*outbound.tenant, "{refused}");
                return Err(HttpError::DestinationIpProhibited);
            }
            // The guest's own timeouts (credential endpoints) become the answer deadline.
            let deadline = options
                .iter()
                .flat_map(|o| [o.connect_timeout, o.first_byte_timeout])
                .flatten()
                .min();
            let response = outbound.send(request, deadline).await?;
            Ok((response, Box::new(async { Ok(()) }) as IoFuture))
        })
    }
}

fn classify(error: hyper_util::client::legacy::Error) -> HttpError {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return classify_tls(tls);
        }
        if cause.downcast_ref::<AddressRefused>().is_some() {
            return HttpError::DestinationIpProhibited;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return HttpError::ConnectionRefused,
                std::io::ErrorKind::TimedOut => return HttpError::ConnectionTimeout,
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => {
                    return HttpError::ConnectionTerminated;
                }
                _ => {}
            }
            // An io::Error's `source` skips the error it wraps (rustls wraps its errors so).
            if let Some(inner) = io.get_ref() {
                source = Some(inner);
                continue;
            }
        }
        source = cause.source();
    }
    if error.is_connect() {
        HttpError::DestinationUnavailable
    } else {
        HttpError::ConnectionTerminated
    }
}

fn classify_tls(error: &rustls::Error) -> HttpError {
    match error {
        rustls::Error::InvalidCertificate(_) => HttpError::TlsCertificateError,
        _ => HttpError::TlsProtocolError,
    }
}

/// The name of a transport error for metrics and logs (`ConnectionTerminated`, ...).
fn error_name(error: &HttpError) -> String {
    let debug = format!("{error:?}");
    debug
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Empty;

    /// What the hooks of a driver with `destinations` answer to a request for `url`, within 1 s.
    async fn answer(destinations: &[&str], url: &str) -> Result<u16, HttpError> {
        let policy = TransportPolicy {
            max_retries: 0,
            max_requests_per_second: 0,
            skip_verify: false,
            log_retries: false,
            destinations: destinations.iter().map(|d| d.to_string()).collect(),
        };
        let outbound = Arc::new(Outbound::new(&Tenant::new("policy"), policy).unwrap());
        let request = http::Request::get(url)
            .body(Empty::new().map_err(|never| match never {}).boxed_unsync())
            .unwrap();
        let sent =
            OutboundHooks::new(outbound).send_request(request, None, Box::new(async { Ok(()) }));
        let outcome = tokio::time::timeout(Duration::from_secs(1), Box::into_pin(sent)).await;
        outcome
            .expect("the hooks did not answer within 1 s")
            .map(|(r, _)| r.status().as_u16())
    }

    #[tokio::test]
    async fn requests_outside_the_policy_are_refused_at_once() {
        let endpoint = "http://127.0.0.1:9";
        let denied = |outcome: Result<u16, HttpError>| {
            matches!(
                outcome,
                Err(HttpError::HttpRequestDenied | HttpError::DestinationIpProhibited)
            )
        };
        // Another endpoint, the metadata address, a private address: never configured.
        for url in [
            "http://127.0.0.1:10/b/k",
            "http://169.254.169.254/latest/api/token",
            "http://10.0.0.1/",
        ] {
            assert!(
                matches!(
                    answer(&[endpoint], url).await,
                    Err(HttpError::HttpRequestDenied)
                ),
                "{url}"
            );
        }
        // Configured, but metadata is not granted and 10/8 is not where the endpoint is.
        let configured = [endpoint, "http://169.254.169.254", "http://10.0.0.1"];
        for url in [
            "http://169.254.169.254/latest/api/token",
            "http://10.0.0.1/creds",
        ] {
            let outcome = answer(&configured, url).await;
            assert!(
                matches!(outcome, Err(HttpError::DestinationIpProhibited)),
                "{url}: {outcome:?}"
            );
        }
        assert!(denied(answer(&[], "http://127.0.0.1:9/").await));
    }
}
