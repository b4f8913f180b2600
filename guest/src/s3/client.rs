//! [`S3Client`]: one configuration over one transport. It turns an [`S3Request`] into a
//! signed [`HttpRequest`], hands it to the [`Transport`], and makes every answer that is not
//! a success a [`BackendError`] in one place ([`errors::from_response`]).

use std::time::SystemTime;

use super::address::{Address, address};
use super::errors;
use super::request::{BodyChecksum, S3Request};
use super::{sigv2, sigv4};
use crate::checksum::ChecksumAlgorithm;
use crate::config::{Config, SignatureVersion};
use crate::credentials::{Credentials, Environment, ProcessEnvironment, Provider};
use crate::error::{BackendError, Error};
use crate::http::{Body, HttpRequest, HttpResponse, Method, Payload, Transport, encode_query};
use crate::log;

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
        let environment = self.environment.as_ref();
        s3drv_common::destinations::origins(
            &self.config.endpoint,
            &self.config.bucket,
            &self.config.region,
            self.config.credentials.is_some(),
            &|name| environment.var(name),
        )
    }

    /// The credentials to sign with now.
    pub(super) fn credentials(&self) -> Result<Credentials, BackendError> {
        let (_, credentials) = self.credentials.current(
            &self.transport,
            self.environment.as_ref(),
            SystemTime::now(),
        )?;
        Ok(credentials)
    }

    /// The path SigV2 signs: `/bucket/key` whatever the addressing style.
    pub(super) fn sigv2_path(&self, address: &Address) -> String {
        let path = address.path_and_query.split('?').next().unwrap_or_default();
        if self.config.endpoint.path_style {
            path.to_string()
        } else {
            format!("/{}{path}", self.config.bucket)
        }
    }

    /// The `algorithm` checksum of `body`, as its header carries it.
    pub fn checksum(&self, algorithm: ChecksumAlgorithm, body: &Payload) -> String {
        algorithm.compute(body.pieces(), |crc, so_far, data| {
            self.transport.crc(crc, so_far, data)
        })
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
                    log::body_excerpt(
                        &request.body.head(BODY_LOG_LIMIT),
                        request.body.len(),
                        BODY_LOG_LIMIT
                    )
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
                &format!(
                    "answer body: {}",
                    log::body_excerpt(&body, body.len(), BODY_LOG_LIMIT)
                ),
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

    /// Waits `duration` (between attempts the driver makes itself).
    pub fn sleep(&self, duration: std::time::Duration) {
        self.transport.sleep(duration);
    }

    /// The key of `path`.
    pub fn key(&self, path: &str) -> String {
        self.config.keys.key(path)
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
    if s3drv_common::s3_errors::is_error_document(body) {
        return Err(errors::from_response(status, headers, body));
    }
    crate::http::decode_xml(what, body, status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::client_with as client;

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
        // CRC32 by default (`docs/decisions.md` §18, BENCHMARKS.md); MD5 as Content-MD5.
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
}
