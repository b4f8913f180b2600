//! [`OutboundHooks`]: the `wasi:http` hooks of one instance. Every request goes through its
//! driver's [`Outbound`], after the destination and address checks.

use std::future::Future;
use std::sync::Arc;

use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiHttpHooks};

use super::client::WasiBody;
use super::sender::Outbound;

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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::bindings::s3drv::storage::types::TransportPolicy;
    use crate::tenant::Tenant;
    use http_body_util::BodyExt;
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
