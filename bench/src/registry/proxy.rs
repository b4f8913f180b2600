//! A logging proxy in front of the S3 server: forwards every request unchanged (headers,
//! `Host` included, so signatures stay valid; bodies streamed both ways) and counts the
//! requests by S3 operation, so both registries' S3 traffic is counted the same way.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// Requests counted by operation name.
pub type Counts = BTreeMap<&'static str, u64>;

/// The proxy, serving until dropped.
pub struct CountingProxy {
    /// `http://127.0.0.1:port`, the endpoint to give the registries.
    pub url: String,
    counts: Arc<Mutex<Counts>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CountingProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Result<Self> {
        let upstream: Uri = upstream.parse().context("the S3 server's URL")?;
        let authority = upstream
            .authority()
            .context("the S3 server's URL has no host")?
            .clone();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let counts = Arc::new(Mutex::new(Counts::new()));
        let client: Client<HttpConnector, Incoming> =
            Client::builder(TokioExecutor::new()).build_http();
        let shared = counts.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (client, counts, authority) =
                    (client.clone(), shared.clone(), authority.clone());
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let (client, counts, authority) =
                        (client.clone(), counts.clone(), authority.clone());
                    async move {
                        Ok::<_, Infallible>(forward(request, &client, &counts, authority).await)
                    }
                });
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self { url, counts, task })
    }

    /// The requests counted since the last call, and a fresh count.
    pub fn take(&self) -> Counts {
        std::mem::take(&mut *self.counts.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

async fn forward(
    mut request: Request<Incoming>,
    client: &Client<HttpConnector, Incoming>,
    counts: &Mutex<Counts>,
    authority: hyper::http::uri::Authority,
) -> Response<http_body_util::Either<Incoming, String>> {
    let operation = operation(&request);
    *counts
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(operation)
        .or_default() += 1;
    let mut parts = request.uri().clone().into_parts();
    parts.scheme = Some(hyper::http::uri::Scheme::HTTP);
    parts.authority = Some(authority);
    match Uri::from_parts(parts) {
        Ok(uri) => *request.uri_mut() = uri,
        Err(e) => return failure(format!("proxy: bad request URI: {e}")),
    }
    match client.request(request).await {
        Ok(response) => response.map(http_body_util::Either::Left),
        Err(e) => failure(format!("proxy: the S3 server did not answer: {e}")),
    }
}

fn failure(message: String) -> Response<http_body_util::Either<Incoming, String>> {
    let mut response = Response::new(http_body_util::Either::Right(message));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("text/plain"));
    response
}

/// The S3 operation a request is (`s3drv_common`'s names), told apart further as only a
/// proxy in front of both registries needs: ListObjects (v1, which 2.8.2's driver uses) and
/// GETs of presigned URLs (a client following a redirect).
fn operation<B>(request: &Request<B>) -> &'static str {
    let query = request.uri().query().unwrap_or("");
    let named = s3drv_common::operations::s3_operation(
        request.method().as_str(),
        query,
        request.headers().contains_key("x-amz-copy-source"),
    );
    let bucket_only = request.uri().path().trim_matches('/').split('/').count() == 1;
    match named {
        "GetObject" if bucket_only => "ListObjects",
        "GetObject" if query.split('&').any(|p| p.starts_with("X-Amz-Signature=")) => {
            "GetObject (presigned)"
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(method: &str, uri: &str, copy: bool) -> &'static str {
        let mut request = Request::builder().method(method).uri(uri);
        if copy {
            request = request.header("x-amz-copy-source", "/b/k");
        }
        operation(&request.body(()).unwrap())
    }

    #[test]
    fn requests_are_named_by_operation() {
        for (method, uri, copy, expected) in [
            ("HEAD", "/b/k", false, "HeadObject"),
            ("GET", "/b?list-type=2&prefix=a", false, "ListObjectsV2"),
            ("GET", "/b?prefix=a", false, "ListObjects"),
            ("GET", "/b?uploads&prefix=a", false, "ListMultipartUploads"),
            ("GET", "/b/k?uploadId=1", false, "ListParts"),
            (
                "GET",
                "/b/k?X-Amz-Signature=ab&X-Amz-Date=1",
                false,
                "GetObject (presigned)",
            ),
            ("GET", "/b/k", false, "GetObject"),
            ("PUT", "/b/k?partNumber=1&uploadId=1", false, "UploadPart"),
            (
                "PUT",
                "/b/k?partNumber=1&uploadId=1",
                true,
                "UploadPartCopy",
            ),
            ("PUT", "/b/k", true, "CopyObject"),
            ("PUT", "/b/k", false, "PutObject"),
            ("POST", "/b/k?uploads", false, "CreateMultipartUpload"),
            ("POST", "/b/k?uploadId=1", false, "CompleteMultipartUpload"),
            ("POST", "/b?delete", false, "DeleteObjects"),
            ("DELETE", "/b/k?uploadId=1", false, "AbortMultipartUpload"),
            ("DELETE", "/b/k", false, "DeleteObject"),
        ] {
            assert_eq!(named(method, uri, copy), expected, "{method} {uri}");
        }
    }
}
