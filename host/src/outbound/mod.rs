//! Outgoing HTTP of the component: `wasi:http` requests are sent through a pooled,
//! keep-alive hyper-util client (rustls for TLS, [`tls`]) instead of wasmtime's
//! `default_send_request`, which opens a connection per request. Each driver has its own
//! client and [`Outbound`] policy: request rate (`maxrequestspersecond`, governor), retries of
//! transient failures (`maxretries`, the `retry` module), TLS verification (`skipverify`) and
//! whether instance metadata may be reached.

pub mod destinations;
pub mod tls;

use std::error::Error as _;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiHttpHooks};

use crate::bindings::s3drv::storage::types::TransportPolicy;
use crate::error::Result;
use crate::limits::Limits;
use crate::retry;
use crate::tenant::Tenant;
use destinations::Destinations;

/// The body type wasmtime-wasi-http hands to and expects from the hooks.
pub type WasiBody = wasmtime_wasi_http::WasiBody;

/// The pooled client of one driver.
pub type PooledClient = Client<HttpsConnector<HttpConnector>, WasiBody>;

/// Hosts of the EC2 instance metadata and ECS container credential endpoints.
const METADATA_HOSTS: &[&str] = &["169.254.169.254", "169.254.170.2", "[fd00:ec2::254]"];

/// A keep-alive client with `tls`.
fn pooled_client(tls: rustls::ClientConfig, connect_timeout: Duration) -> PooledClient {
    let mut http = HttpConnector::new();
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

/// How one driver's requests leave the host.
pub struct Outbound {
    client: PooledClient,
    policy: TransportPolicy,
    limiter: Option<DefaultDirectRateLimiter>,
    /// After a throttling answer, no request of the driver starts before this instant.
    paused_until: std::sync::Mutex<Option<tokio::time::Instant>>,
    /// The tenant's limits (backoff base, first-byte timeout).
    limits: Limits,
    tenant: Arc<str>,
    instance_metadata: bool,
    destinations: Destinations,
}

impl Outbound {
    /// The outbound side of a driver of `tenant` with `policy`.
    pub fn new(tenant: &Tenant, policy: TransportPolicy) -> Result<Outbound> {
        let tls = tls::client_config(policy.skip_verify, tenant.ca_bundle.as_deref())?;
        let destinations = Destinations::new(&policy.destinations);
        // No burst: `maxrequestspersecond` holds over any window, as S3's limits do.
        let limiter = NonZeroU32::new(policy.max_requests_per_second)
            .map(|rate| RateLimiter::direct(Quota::per_second(rate).allow_burst(NonZeroU32::MIN)));
        Ok(Outbound {
            client: pooled_client(tls, tenant.limits.connect_timeout),
            policy,
            limiter,
            paused_until: std::sync::Mutex::new(None),
            limits: tenant.limits,
            destinations,
            tenant: tenant.name.as_str().into(),
            instance_metadata: tenant.instance_metadata,
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

    /// Waits out a throttling pause, then for the rate limiter.
    async fn admit(&self) {
        let paused = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = paused {
            tokio::time::sleep_until(until).await;
        }
        if let Some(limiter) = &self.limiter {
            limiter.until_ready().await;
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

    /// Sends `request`, retrying transient failures when replaying it is safe. A request with
    /// its own `deadline` (credential endpoints, which answer at once or not at all) is tried
    /// at most twice, so that a missing metadata service costs seconds, not a minute.
    async fn send(
        &self,
        request: http::Request<WasiBody>,
        deadline: Option<Duration>,
    ) -> Result<http::Response<hyper::body::Incoming>, HttpError> {
        let probe = deadline.is_some();
        let limit = self.limits.first_byte_timeout;
        let deadline = deadline.map_or(limit, |d| d.min(limit));
        let length = request
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        if length > retry::REPLAY_LIMIT {
            self.admit().await;
            return match tokio::time::timeout(deadline, self.client.request(request)).await {
                Ok(outcome) => outcome.map_err(classify),
                Err(_) => Err(HttpError::ConnectionReadTimeout),
            };
        }
        let (parts, body) = request.into_parts();
        let body = body.collect().await?.to_bytes();
        let attempts = match self.policy.max_retries.saturating_add(1) {
            attempts if probe => attempts.min(2),
            attempts => attempts,
        };
        let mut attempt = 1;
        loop {
            let replay = Full::new(body.clone())
                .map_err(|never| match never {})
                .boxed_unsync();
            self.admit().await;
            let sent = self
                .client
                .request(http::Request::from_parts(parts.clone(), replay));
            let outcome = match tokio::time::timeout(deadline, sent).await {
                Ok(outcome) => outcome.map_err(|e| {
                    // A refused certificate stays refused: only other connect errors retry.
                    let connect = e.is_connect();
                    let error = classify(e);
                    let tls = matches!(
                        error,
                        HttpError::TlsCertificateError | HttpError::TlsProtocolError
                    );
                    (connect && !tls, error)
                }),
                Err(_) => Err((true, HttpError::ConnectionReadTimeout)),
            };
            let random = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos() as u64);
            let delay = retry::backoff(attempt, self.limits.backoff_base, random);
            if let Ok(response) = &outcome
                && retry::is_throttling_status(response.status().as_u16())
            {
                // S3 asked to slow down: every request of the driver waits, not only this one.
                self.pause(delay);
            }
            let reason = match &outcome {
                Ok(response) if retry::is_retryable_status(response.status().as_u16()) => {
                    Some(format!("status {}", response.status().as_u16()))
                }
                Ok(_) => None,
                Err((true, error)) => Some(error.to_string()),
                Err((false, _)) => None,
            };
            let Some(reason) = reason.filter(|_| attempt < attempts) else {
                return outcome.map_err(|(_, error)| error);
            };
            drop(outcome);
            if self.policy.log_retries {
                let operation = format!("{} {}", parts.method, parts.uri.path());
                tracing::debug!(
                    target: "s3drv::driver",
                    tenant = &*self.tenant,
                    operation = operation.as_str(),
                    "retry {attempt} of {} after {reason}, in {} ms",
                    attempts - 1,
                    delay.as_millis()
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
            if !outbound.instance_metadata && METADATA_HOSTS.contains(&host) {
                return Err(HttpError::DestinationIpProhibited);
            }
            // The guest's own timeouts (credential endpoints) become the answer deadline.
            let deadline = options
                .iter()
                .flat_map(|o| [o.connect_timeout, o.first_byte_timeout])
                .flatten()
                .min();
            let response = outbound.send(request, deadline).await?;
            let response = response.map(|body| body.map_err(HttpError::from).boxed_unsync());
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
