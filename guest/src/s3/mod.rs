//! S3 over an abstract HTTP transport.
//!
//! Operations build an [`S3Request`] (pure), [`S3Client::send`] turns it into a signed
//! [`HttpRequest`] and hands it to the [`Transport`]; an answer that is not a success becomes a
//! [`BackendError`] in exactly one place ([`errors::from_response`]). Only `transport.rs` (wasm)
//! implements [`Transport`] over `wasi:http`, so everything here runs natively in unit tests.

pub mod checksum;
pub mod delete;
pub mod errors;
pub mod list;
pub mod multipart;
pub mod object;
pub mod sigv2;
pub mod sigv4;
pub mod walk;
pub mod writer;
pub mod xml;

use std::time::{Duration, SystemTime};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::config::{Config, SignatureVersion};
use crate::credentials::{Credentials, Environment, ProcessEnvironment, Provider};
use crate::error::{BackendError, Error, Result};
use crate::log;
use checksum::{ChecksumAlgorithm, Crc};

/// HTTP methods the driver uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// HEAD
    Head,
    /// PUT
    Put,
    /// POST
    Post,
    /// DELETE
    Delete,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// A signed request, ready for the transport.
#[derive(Debug)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// `https` when true.
    pub secure: bool,
    /// `host[:port]`.
    pub authority: String,
    /// Path and query, percent-encoded.
    pub path_and_query: String,
    /// Headers (without `host`, which the transport derives from the authority).
    pub headers: Vec<(String, String)>,
    /// Body; sent with a `content-length`.
    pub body: Vec<u8>,
    /// Longest wait for the connection and for the answer's head; `None` leaves it to the
    /// host.
    pub timeout: Option<Duration>,
}

/// An answer: status, headers (names lower-case) and a body still to be read.
#[derive(Debug)]
pub struct HttpResponse<B> {
    /// HTTP status.
    pub status: u16,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: B,
}

impl<B> HttpResponse<B> {
    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A response body read in pieces.
pub trait Body {
    /// Up to `max` next bytes; empty at the end.
    fn read(&mut self, max: usize) -> Result<Vec<u8>, BackendError>;

    /// The rest of the body; more than `limit` bytes is an error (a hostile server cannot make
    /// the driver buffer without bound).
    fn read_to_end(&mut self, limit: usize) -> Result<Vec<u8>, BackendError> {
        let mut all = Vec::new();
        loop {
            let chunk = self.read(1 << 20)?;
            if chunk.is_empty() {
                return Ok(all);
            }
            if all.len() + chunk.len() > limit {
                return Err(BackendError::malformed(
                    format!("answer body larger than {limit} bytes"),
                    None,
                ));
            }
            all.extend_from_slice(&chunk);
        }
    }
}

impl Body for std::io::Cursor<Vec<u8>> {
    fn read(&mut self, max: usize) -> Result<Vec<u8>, BackendError> {
        let mut buf = vec![0; max];
        let n = std::io::Read::read(self, &mut buf).expect("reading memory cannot fail");
        buf.truncate(n);
        Ok(buf)
    }
}

/// Sends HTTP requests. Implemented over `wasi:http` in `transport.rs`.
pub trait Transport {
    /// The body type of answers.
    type Body: Body;

    /// A request handed over (head and body) whose answer is not awaited yet.
    type InFlight;

    /// Hands `request` over, body included, and returns without waiting for the answer, so
    /// that the caller can prepare the next request meanwhile.
    fn start(&self, request: HttpRequest) -> Result<Self::InFlight, BackendError>;

    /// Waits for the answer's head of a started request.
    fn finish(&self, in_flight: Self::InFlight) -> Result<HttpResponse<Self::Body>, BackendError>;

    /// Sends one request and returns when the answer's head has arrived.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse<Self::Body>, BackendError> {
        self.finish(self.start(request)?)
    }

    /// The CRC `crc` of `data`. The component asks the host, which has the CPU instructions
    /// wasm lacks; by default it is computed here.
    fn crc(&self, crc: Crc, data: &[u8]) -> u64 {
        crc.portable(data)
    }

    /// Sends `requests` with at most `in_flight` outstanding at a time and returns their
    /// answers, bodies read (up to `body_limit` bytes each), in the order of `requests`.
    fn send_all(
        &self,
        requests: Vec<HttpRequest>,
        in_flight: usize,
        body_limit: usize,
    ) -> Vec<Result<HttpResponse<Vec<u8>>, BackendError>>;
}

/// Which checksum a request body carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyChecksum {
    /// No body, or the request sets its checksum header itself.
    None,
    /// `Content-MD5` whatever the configuration: XML request bodies (DeleteObjects requires
    /// it).
    Md5,
    /// Object data: the configured `checksum_algorithm`, nothing with `checksum_disabled`.
    Data,
}

/// One S3 API request before addressing and signing.
#[derive(Debug)]
pub struct S3Request {
    /// Method.
    pub method: Method,
    /// Object key; empty for bucket-level requests.
    pub key: String,
    /// Query parameters (unencoded); an empty value is sent as a bare name (`?uploads`).
    pub query: Vec<(&'static str, String)>,
    /// Extra headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// Checksum of the body.
    pub checksum: BodyChecksum,
}

impl S3Request {
    /// A request without body.
    pub fn new(method: Method, key: impl Into<String>) -> Self {
        S3Request {
            method,
            key: key.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            checksum: BodyChecksum::None,
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Sets the body and its checksum.
    pub fn body(mut self, body: Vec<u8>, checksum: BodyChecksum) -> Self {
        self.body = body;
        self.checksum = checksum;
        self
    }
}

/// RFC 3986 unreserved characters stay as they are; everything else is encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Like [`QUERY_VALUE`] but keeps `/` (key paths).
const KEY_PATH: &AsciiSet = &QUERY_VALUE.remove(b'/');

/// A query string of `pairs` (values not yet encoded); an empty value gives a bare name.
pub fn encode_query(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                k.to_string()
            } else {
                format!("{k}={}", encode_query_value(v))
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes a query value as SigV4 expects.
pub fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// Longest excerpt of an XML body that `logdebugwithhttpbody` logs.
const BODY_LOG_LIMIT: usize = 4096;

/// Largest error or XML answer the driver reads.
pub const XML_BODY_LIMIT: usize = 16 << 20;

/// S3 with one configuration over one transport.
pub struct S3Client<T> {
    /// The driver's configuration.
    pub config: Config,
    transport: T,
    credentials: Provider,
    environment: Box<dyn Environment>,
}

/// A request handed to the transport whose answer [`S3Client::finish`] awaits.
pub struct Sent<F> {
    in_flight: F,
    /// `METHOD /path?query`, for messages and logs.
    what: String,
    started: std::time::Instant,
}

impl<T: Transport> S3Client<T> {
    /// A client for `config` over `transport`; credentials not in the configuration come from
    /// the process environment (what the host granted).
    pub fn new(config: Config, transport: T) -> Self {
        S3Client::with_environment(config, transport, Box::new(ProcessEnvironment))
    }

    /// The transport, for tests that inspect what was sent.
    #[cfg(test)]
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// A client whose credential chain reads `environment`.
    pub fn with_environment(
        config: Config,
        transport: T,
        environment: Box<dyn Environment>,
    ) -> Self {
        let credentials = Provider::new(config.credentials.clone(), &config.region);
        S3Client {
            config,
            transport,
            credentials,
            environment,
        }
    }

    /// The origins (`scheme://host[:port]`) this client sends requests to: the bucket's
    /// endpoint, and the credential chain's endpoints when it has no static keys.
    pub fn destinations(&self) -> Vec<String> {
        let scheme = if self.config.endpoint.secure {
            "https"
        } else {
            "http"
        };
        let bucket = address(&self.config, "", "").authority;
        let mut origins = vec![format!("{scheme}://{bucket}")];
        for url in self.credentials.endpoints(self.environment.as_ref()) {
            let end = url
                .find("://")
                .and_then(|i| url[i + 3..].find('/').map(|j| i + 3 + j))
                .unwrap_or(url.len());
            origins.push(url[..end].to_string());
        }
        origins
    }

    /// The credentials to sign with now.
    fn credentials(&self) -> Result<Credentials, BackendError> {
        let (_, credentials) = self.credentials.current(
            &self.transport,
            self.environment.as_ref(),
            SystemTime::now(),
        )?;
        Ok(credentials)
    }

    /// The path SigV2 signs: `/bucket/key` whatever the addressing style.
    fn sigv2_path(&self, address: &Address) -> String {
        let path = address.path_and_query.split('?').next().unwrap_or_default();
        if self.config.endpoint.path_style {
            path.to_string()
        } else {
            format!("/{}{path}", self.config.bucket)
        }
    }

    /// The `algorithm` checksum of `body`, as its header carries it.
    pub fn checksum(&self, algorithm: ChecksumAlgorithm, body: &[u8]) -> String {
        algorithm.compute(body, |crc, data| self.transport.crc(crc, data))
    }

    /// Addresses and signs `request`.
    pub fn prepare(&self, request: S3Request) -> Result<HttpRequest, BackendError> {
        let query = encode_query(&request.query);
        let address = address(&self.config, &request.key, &query);
        let mut headers = request.headers;
        let checksum = match request.checksum {
            BodyChecksum::None => None,
            BodyChecksum::Md5 => Some(ChecksumAlgorithm::Md5),
            BodyChecksum::Data => self.config.checksum,
        };
        if let Some(algorithm) = checksum {
            headers.push((
                algorithm.header().into(),
                self.checksum(algorithm, &request.body),
            ));
        }
        let credentials = self.credentials()?;
        let now = SystemTime::now();
        let signed = match self.config.signature {
            SignatureVersion::V4 => sigv4::sign_headers(
                request.method.as_str(),
                &address.url,
                &headers,
                &credentials,
                &self.config.region,
                now,
            )?,
            SignatureVersion::V2 => {
                let path = self.sigv2_path(&address);
                let resource = sigv2::Resource {
                    path: &path,
                    query: &request.query,
                };
                sigv2::sign_headers(
                    request.method.as_str(),
                    &headers,
                    &resource,
                    &credentials,
                    now,
                )
            }
        };
        if self.config.log.signing {
            self.log_signing(&request.method, &address, &headers, &signed);
        }
        if self.config.log.http_bodies && request.checksum == BodyChecksum::Md5 {
            log::emit(
                log::Level::Debug,
                &format!("{} {}", request.method.as_str(), address.path_and_query),
                &format!(
                    "request body: {}",
                    log::body_excerpt(&request.body, BODY_LOG_LIMIT)
                ),
            );
        }
        headers.extend(signed);
        headers.push(("user-agent".into(), self.config.user_agent.clone()));
        Ok(HttpRequest {
            method: request.method,
            secure: self.config.endpoint.secure,
            authority: address.authority,
            path_and_query: address.path_and_query,
            headers,
            body: request.body,
            timeout: None,
        })
    }

    /// Logs what was signed: header names, the credential scope and the signed headers, never
    /// a header value that could hold a secret or the signature itself.
    fn log_signing(
        &self,
        method: &Method,
        address: &Address,
        headers: &[(String, String)],
        signed: &[(String, String)],
    ) {
        let names: Vec<&str> = headers
            .iter()
            .chain(signed)
            .map(|(k, _)| k.as_str())
            .collect();
        let authorization = signed
            .iter()
            .find(|(k, _)| k == "authorization")
            .map_or(String::new(), |(_, v)| log::redact_authorization(v));
        log::emit(
            log::Level::Debug,
            &format!("{} {}", method.as_str(), address.path_and_query),
            &format!(
                "signed ({:?}) headers [{}], authorization: {authorization}",
                self.config.signature,
                names.join(", ")
            ),
        );
    }

    /// Sends `request`; any status other than 2xx is an error.
    pub fn send(&self, request: S3Request) -> Result<HttpResponse<T::Body>, BackendError> {
        self.finish(self.start(request)?)
    }

    /// Signs and hands over `request` without waiting for its answer; [`S3Client::finish`]
    /// takes the answer.
    pub fn start(&self, request: S3Request) -> Result<Sent<T::InFlight>, BackendError> {
        let prepared = self.prepare(request)?;
        let what = format!("{} {}", prepared.method.as_str(), prepared.path_and_query);
        let started = std::time::Instant::now();
        match self.transport.start(prepared) {
            Ok(in_flight) => Ok(Sent {
                in_flight,
                what,
                started,
            }),
            Err(e) => Err(self.failed_without_answer(&what, e)),
        }
    }

    /// The answer of a started request; any status other than 2xx is an error.
    pub fn finish(&self, sent: Sent<T::InFlight>) -> Result<HttpResponse<T::Body>, BackendError> {
        let Sent {
            in_flight,
            what,
            started,
        } = sent;
        let mut response = self
            .transport
            .finish(in_flight)
            .map_err(|e| self.failed_without_answer(&what, e))?;
        if self.config.log.requests {
            log::emit(
                log::Level::Debug,
                &what,
                &format!(
                    "{} in {} ms",
                    response.status,
                    started.elapsed().as_millis()
                ),
            );
        }
        if (200..300).contains(&response.status) {
            Ok(response)
        } else {
            let body = response
                .body
                .read_to_end(XML_BODY_LIMIT)
                .unwrap_or_default();
            let error = errors::from_response(response.status, &response.headers, &body);
            self.log_failure(&what, &error);
            Err(error)
        }
    }

    /// A failure without an answer: named after the request it happened to, and logged.
    fn failed_without_answer(&self, what: &str, mut error: BackendError) -> BackendError {
        error.message = format!("{what}: {}", error.message);
        self.log_failure(what, &error);
        error
    }

    /// Logs a failed request when `loglevel` asks for errors.
    fn log_failure(&self, what: &str, error: &BackendError) {
        if self.config.log.errors {
            log::emit(
                log::Level::Debug,
                what,
                &format!("failed: {}", Error::Backend(error.clone())),
            );
        }
    }

    /// Sends `request` and reads its XML answer. A 200 answer whose body is an `<Error>` (as
    /// CompleteMultipartUpload and copies may send) is an error too.
    pub fn send_xml<R: for<'de> serde::Deserialize<'de>>(
        &self,
        what: &str,
        request: S3Request,
    ) -> Result<R, BackendError> {
        let answer = self.finish_read(what, self.start(request)?)?;
        parse_xml(what, &answer)
    }

    /// The answer of a started request with its body read (up to [`XML_BODY_LIMIT`]); parse
    /// it with [`parse_xml`].
    pub fn finish_read(
        &self,
        what: &str,
        sent: Sent<T::InFlight>,
    ) -> Result<HttpResponse<Vec<u8>>, BackendError> {
        let mut response = self.finish(sent)?;
        let body = response.body.read_to_end(XML_BODY_LIMIT)?;
        if self.config.log.http_bodies {
            log::emit(
                log::Level::Debug,
                what,
                &format!("answer body: {}", log::body_excerpt(&body, BODY_LOG_LIMIT)),
            );
        }
        Ok(HttpResponse {
            status: response.status,
            headers: response.headers,
            body,
        })
    }

    /// Sends `request`, reads and discards the answer body.
    pub fn send_discard(&self, request: S3Request) -> Result<HttpResponse<()>, BackendError> {
        self.finish_discard(self.start(request)?)
    }

    /// The answer of a started request, its body read and discarded.
    pub fn finish_discard(
        &self,
        sent: Sent<T::InFlight>,
    ) -> Result<HttpResponse<()>, BackendError> {
        let mut response = self.finish(sent)?;
        response.body.read_to_end(XML_BODY_LIMIT)?;
        Ok(HttpResponse {
            status: response.status,
            headers: response.headers,
            body: (),
        })
    }

    /// Sends `requests` with at most `in_flight` outstanding and reads their XML answers, in
    /// order (one result per request).
    pub fn send_all_xml<R: for<'de> serde::Deserialize<'de>>(
        &self,
        what: &str,
        requests: Vec<S3Request>,
        in_flight: usize,
    ) -> Result<Vec<Result<R, BackendError>>, BackendError> {
        let prepared = requests
            .into_iter()
            .map(|r| self.prepare(r))
            .collect::<Result<Vec<_>, _>>()?;
        let names: Vec<String> = prepared
            .iter()
            .map(|r| format!("{} {}", r.method.as_str(), r.path_and_query))
            .collect();
        Ok(self
            .transport
            .send_all(prepared, in_flight, XML_BODY_LIMIT)
            .into_iter()
            .zip(names)
            .map(|(answer, name)| {
                let answer = answer.inspect_err(|e| self.log_failure(&name, e))?;
                if self.config.log.requests {
                    log::emit(
                        log::Level::Debug,
                        &name,
                        &format!("{} ({what})", answer.status),
                    );
                }
                if (200..300).contains(&answer.status) {
                    parse_success(what, answer.status, &answer.headers, &answer.body)
                } else {
                    let error = errors::from_response(answer.status, &answer.headers, &answer.body);
                    self.log_failure(&name, &error);
                    Err(error)
                }
            })
            .collect())
    }

    /// A presigned URL of `key` for `method`, valid `expires_in`. With `redirectendpoint`, its
    /// scheme and host replace the endpoint's before signing.
    pub fn presign(
        &self,
        method: Method,
        key: &str,
        expires_in: Duration,
    ) -> Result<String, BackendError> {
        let mut address = address(&self.config, key, "");
        if let Some((secure, authority)) = &self.config.redirect {
            let scheme = if *secure { "https" } else { "http" };
            address.url = format!("{scheme}://{authority}{}", address.path_and_query);
            address.authority = authority.clone();
        }
        let credentials = self.credentials()?;
        let now = SystemTime::now();
        match self.config.signature {
            SignatureVersion::V4 => sigv4::presign(
                method.as_str(),
                &address.url,
                &credentials,
                &self.config.region,
                now,
                expires_in,
            ),
            SignatureVersion::V2 => {
                let path = self.sigv2_path(&address);
                let resource = sigv2::Resource {
                    path: &path,
                    query: &[],
                };
                Ok(sigv2::presign(
                    method.as_str(),
                    &address.url,
                    &resource,
                    &credentials,
                    now,
                    expires_in,
                ))
            }
        }
    }

    /// The key of `path`.
    pub fn key(&self, path: &str) -> String {
        self.config.keys.key(path)
    }
}

/// Where a request for a key goes.
#[derive(Debug, PartialEq, Eq)]
pub struct Address {
    /// `host[:port]`, with the bucket in front for virtual-hosted style.
    pub authority: String,
    /// Path (with the bucket in front for path style) and query.
    pub path_and_query: String,
    /// The whole URL.
    pub url: String,
}

/// The address of `key` with `query` (already encoded, may be empty) in the configured
/// addressing style.
pub fn address(config: &Config, key: &str, query: &str) -> Address {
    let endpoint = &config.endpoint;
    let key = utf8_percent_encode(key, KEY_PATH);
    let (authority, path) = if endpoint.path_style {
        (
            endpoint.authority.clone(),
            format!("/{}/{key}", config.bucket),
        )
    } else {
        (
            format!("{}.{}", config.bucket, endpoint.authority),
            format!("/{key}"),
        )
    };
    let path_and_query = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    let scheme = if endpoint.secure { "https" } else { "http" };
    let url = format!("{scheme}://{authority}{path_and_query}");
    Address {
        authority,
        path_and_query,
        url,
    }
}

/// The XML document of a successful answer read by [`S3Client::finish_read`].
pub fn parse_xml<R: for<'de> serde::Deserialize<'de>>(
    what: &str,
    answer: &HttpResponse<Vec<u8>>,
) -> Result<R, BackendError> {
    parse_success(what, answer.status, &answer.headers, &answer.body)
}

fn parse_success<R: for<'de> serde::Deserialize<'de>>(
    what: &str,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<R, BackendError> {
    if errors::is_error_document(body) {
        return Err(errors::from_response(status, headers, body));
    }
    xml::parse(what, body, status)
}

/// Maps "the object does not exist" to `path-not-found` and keeps every other error.
pub fn not_found_as_path(error: BackendError, path: &str) -> Error {
    if matches!(error.code.as_str(), "NoSuchKey" | "NotFound")
        || (error.status == Some(404) && error.code != "NoSuchBucket")
    {
        Error::PathNotFound(path.to_string())
    } else {
        Error::Backend(error)
    }
}

impl From<BackendError> for Error {
    fn from(e: BackendError) -> Self {
        Error::Backend(e)
    }
}

/// Parses an RFC 3339 time (listings) or an HTTP date (HEAD `Last-Modified`).
pub fn parse_time(text: &str) -> Option<SystemTime> {
    if let Ok(t) = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
    {
        return Some(t.into());
    }
    httpdate::parse_http_date(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_listings_and_heads() {
        let a = parse_time("2009-10-12T17:50:30.000Z").unwrap();
        let b = parse_time("Mon, 12 Oct 2009 17:50:30 GMT").unwrap();
        assert_eq!(a, b);
        assert!(parse_time("yesterday").is_none());
    }

    /// GitLab's TestS3DriverPathStyle: the URL host and path for path style and endpoint.
    #[test]
    fn addressing_styles() {
        let cases = [
            (
                None,
                None,
                "https://test-bucket.s3.us-west-2.amazonaws.com/k",
            ),
            (
                None,
                Some("true"),
                "https://s3.us-west-2.amazonaws.com/test-bucket/k",
            ),
            (
                Some("http://custom-endpoint:9000"),
                None,
                "http://custom-endpoint:9000/test-bucket/k",
            ),
            (
                Some("http://custom-endpoint:9000"),
                Some("false"),
                "http://test-bucket.custom-endpoint:9000/k",
            ),
            (
                Some("custom-endpoint:9000"),
                Some("true"),
                "https://custom-endpoint:9000/test-bucket/k",
            ),
        ];
        for (endpoint, path_style, want) in cases {
            let mut params: Vec<(String, String)> = [
                ("bucket", "test-bucket"),
                ("region", "us-west-2"),
                ("accesskey", "a"),
                ("secretkey", "s"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            if let Some(e) = endpoint {
                params.push(("regionendpoint".into(), e.into()));
            }
            if let Some(p) = path_style {
                params.push(("pathstyle".into(), p.into()));
            }
            let config = Config::from_params(&params).unwrap();
            assert_eq!(
                address(&config, "k", "").url,
                want,
                "{endpoint:?} {path_style:?}"
            );
        }
    }

    #[test]
    fn query_values_are_strictly_encoded() {
        assert_eq!(encode_query_value("a/b c+d=e~"), "a%2Fb%20c%2Bd%3De~");
    }

    fn client(extra: &[(&str, &str)]) -> S3Client<crate::credentials::tests::Script> {
        let mut params = vec![
            ("bucket", "b"),
            ("region", "us-east-1"),
            ("accesskey", "AK"),
            ("secretkey", "SK"),
        ];
        params.extend_from_slice(extra);
        params.dedup();
        crate::credentials::tests::scripted_client(&params, &[])
    }

    fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
        request
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn data_bodies_carry_the_configured_checksum_and_xml_bodies_md5() {
        let data =
            || S3Request::new(Method::Put, "k").body(b"hello world".to_vec(), BodyChecksum::Data);
        // CRC32 by default (decisions §18, BENCHMARKS.md); MD5 as Content-MD5.
        let r = client(&[]).prepare(data()).unwrap();
        assert_eq!(header(&r, "x-amz-checksum-crc32"), Some("DUoRhQ=="));
        assert_eq!(header(&r, "content-md5"), None);
        let r = client(&[("checksum_algorithm", "md5")])
            .prepare(data())
            .unwrap();
        assert_eq!(header(&r, "content-md5"), Some("XrY7u+Ae7tCTyyK7j1rNww=="));
        let r = client(&[("checksum_algorithm", "crc32c")])
            .prepare(data())
            .unwrap();
        assert_eq!(header(&r, "x-amz-checksum-crc32c"), Some("yZRlqg=="));
        assert_eq!(header(&r, "content-md5"), None);
        let r = client(&[("checksum_disabled", "true")])
            .prepare(data())
            .unwrap();
        assert!(
            !r.headers
                .iter()
                .any(|(k, _)| k == "content-md5" || k.starts_with("x-amz-checksum-"))
        );
        // DeleteObjects keeps Content-MD5 even with checksum_disabled.
        let xml = S3Request::new(Method::Post, "").body(b"<Delete/>".to_vec(), BodyChecksum::Md5);
        let r = client(&[("checksum_disabled", "true")])
            .prepare(xml)
            .unwrap();
        assert!(header(&r, "content-md5").is_some());
    }

    #[test]
    fn user_agent_and_signature_version() {
        let r = client(&[("useragent", "registry/2.8")])
            .prepare(S3Request::new(Method::Get, "k"))
            .unwrap();
        assert_eq!(
            header(&r, "user-agent"),
            Some(format!("s3drv/{} registry/2.8", env!("CARGO_PKG_VERSION")).as_str())
        );
        assert!(
            header(&r, "authorization")
                .unwrap()
                .starts_with("AWS4-HMAC-SHA256 ")
        );
        // SigV2 signs /bucket/key even in virtual-hosted style.
        let v2 = client(&[
            ("v4auth", "false"),
            ("regionendpoint", "http://ceph:7480"),
            ("pathstyle", "false"),
        ]);
        let r = v2
            .prepare(S3Request::new(Method::Get, "k").query("uploadId", "u"))
            .unwrap();
        assert_eq!(r.authority, "b.ceph:7480");
        let date = header(&r, "date").unwrap().to_string();
        let text = sigv2::string_to_sign(
            "GET",
            &r.headers,
            &date,
            &sigv2::Resource {
                path: "/b/k",
                query: &[("uploadId", "u".into())],
            },
        );
        assert!(text.ends_with("\n/b/k?uploadId=u"), "{text}");
        assert!(header(&r, "authorization").unwrap().starts_with("AWS AK:"));
    }

    #[test]
    fn presigned_urls_use_the_redirect_endpoint() {
        let c = client(&[
            ("regionendpoint", "http://minio:9000"),
            ("redirectendpoint", "https://cdn.example.com"),
        ]);
        let url = c
            .presign(Method::Get, "blobs/x", Duration::from_secs(60))
            .unwrap();
        assert!(
            url.starts_with("https://cdn.example.com/b/blobs/x?X-Amz-"),
            "{url}"
        );
        let url = client(&[])
            .presign(Method::Get, "blobs/x", Duration::from_secs(60))
            .unwrap();
        assert!(
            url.starts_with("https://b.s3.us-east-1.amazonaws.com/blobs/x?"),
            "{url}"
        );
    }
}
