//! The pooled keep-alive HTTP client of one driver (hyper-util, rustls for TLS, names
//! resolved through the address policy), and the names of its failures.

use std::error::Error as _;
use std::time::Duration;

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use wasmtime_wasi_http::Error as HttpError;

use super::addresses::{AddressRefused, CheckedResolver};

/// The body type wasmtime-wasi-http hands to and expects from the hooks.
pub type WasiBody = wasmtime_wasi_http::WasiBody;

/// The pooled client of one driver.
pub type PooledClient = Client<HttpsConnector<HttpConnector<CheckedResolver>>, WasiBody>;

/// A keep-alive client with `tls`, resolving names through `resolver`.
pub fn pooled_client(
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

/// The `wasi:http` error of a request that got no answer.
pub fn classify(error: hyper_util::client::legacy::Error) -> HttpError {
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
pub fn error_name(error: &HttpError) -> String {
    let debug = format!("{error:?}");
    debug
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_string()
}
