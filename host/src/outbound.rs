//! Outgoing HTTP of the component: `wasi:http` requests are sent through one pooled,
//! keep-alive hyper-util client (rustls for TLS) instead of wasmtime's
//! `default_send_request`, which opens a connection per request. Transient failures are
//! retried as the `retry` module decides.

use std::error::Error as _;
use std::future::Future;

use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiHttpHooks};

use crate::retry;

/// The body type wasmtime-wasi-http hands to and expects from the hooks.
pub type WasiBody = wasmtime_wasi_http::WasiBody;

/// A pooled HTTP/1.1 client over TCP or TLS, shared by every instance of a runtime.
pub type PooledClient = Client<HttpsConnector<HttpConnector>, WasiBody>;

/// Builds the pooled client: keep-alive connections, TLS verified against the webpki roots.
pub fn pooled_client() -> PooledClient {
    let tls = rustls::ClientConfig::builder_with_provider(
        rustls::crypto::ring::default_provider().into(),
    )
    .with_safe_default_protocol_versions()
    .expect("the ring provider supports the default TLS versions")
    .with_root_certificates(rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    })
    .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
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

/// The `wasi:http` hooks of one store: send through the shared pooled client.
pub struct OutboundHooks {
    client: PooledClient,
}

impl OutboundHooks {
    /// Hooks sending through `client`.
    pub fn new(client: PooledClient) -> Self {
        OutboundHooks { client }
    }
}

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>
    {
        let client = self.client.clone();
        Box::new(async move {
            let response = send_with_retries(&client, request).await?;
            let response = response.map(|body| body.map_err(HttpError::from).boxed_unsync());
            Ok((response, Box::new(async { Ok(()) }) as IoFuture))
        })
    }
}

/// Sends `request`, again after a retryable answer or a connection failure when its body
/// could be buffered (see the `retry` module).
async fn send_with_retries(
    client: &PooledClient,
    request: http::Request<WasiBody>,
) -> Result<http::Response<hyper::body::Incoming>, HttpError> {
    let length = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .unwrap_or(0);
    if length > retry::REPLAY_LIMIT {
        // Too large to buffer: one attempt, but never an endless wait.
        return match tokio::time::timeout(retry::ANSWER_DEADLINE, client.request(request)).await {
            Ok(outcome) => outcome.map_err(classify),
            Err(_) => Err(HttpError::ConnectionReadTimeout),
        };
    }
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let mut attempt = 1;
    loop {
        let replay = Full::new(body.clone())
            .map_err(|never| match never {})
            .boxed_unsync();
        let sent = client.request(http::Request::from_parts(parts.clone(), replay));
        let outcome = match tokio::time::timeout(retry::ANSWER_DEADLINE, sent).await {
            Ok(outcome) => outcome.map_err(|e| (e.is_connect(), classify(e))),
            Err(_) => Err((true, HttpError::ConnectionReadTimeout)),
        };
        let retry_it = match &outcome {
            Ok(response) => retry::is_retryable_status(response.status().as_u16()),
            Err((retryable, _)) => *retryable,
        };
        if !retry_it || attempt == retry::MAX_ATTEMPTS {
            return outcome.map_err(|(_, error)| error);
        }
        drop(outcome);
        let random = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u64);
        tokio::time::sleep(retry::backoff(attempt, random)).await;
        attempt += 1;
    }
}

/// Maps a client failure to the `wasi:http` error code the guest will see.
fn classify(error: hyper_util::client::legacy::Error) -> HttpError {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return HttpError::ConnectionRefused,
                std::io::ErrorKind::TimedOut => return HttpError::ConnectionTimeout,
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => {
                    return HttpError::ConnectionTerminated;
                }
                _ => {}
            }
        }
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return match tls {
                rustls::Error::InvalidCertificate(_) => HttpError::TlsCertificateError,
                _ => HttpError::TlsProtocolError,
            };
        }
        source = cause.source();
    }
    if error.is_connect() {
        HttpError::DestinationUnavailable
    } else {
        HttpError::ConnectionTerminated
    }
}
