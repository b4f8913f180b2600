//! The only module that talks to `wasi:http`: [`WasiTransport`] sends [`HttpRequest`]s with
//! `outgoing-handler.handle` and streams bodies in both directions. It also has the host
//! compute body CRCs (the `checksum` import) and waits on `wasi:clocks` between the driver's
//! own attempts.
//!
//! Order matters (wasmtime 48): take the outgoing body before `handle`, call `handle` before
//! writing the body (the host pipe holds only about 2 MiB), write with `check-write`/`write`
//! (blocking writes trap above 4 KiB), and drop child streams before finishing their bodies.

use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingBody, IncomingResponse,
    Method as WasiMethod, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::poll;
use wasip2::io::streams::{InputStream, StreamError};

use crate::bindings::s3drv::storage::checksum as host_checksum;
use crate::checksum::Crc;
use crate::error::BackendError;
use crate::http::{Body, HttpRequest, HttpResponse, Method, Payload, Transport};

/// Sends requests through the host's `wasi:http/outgoing-handler`.
pub struct WasiTransport;

/// A response body being read from the host.
pub struct WasiBody {
    // Field order is drop order: the stream is a child of the body.
    stream: Option<InputStream>,
    _body: Option<IncomingBody>,
    /// A failure met after some bytes were read, reported by the next read.
    failed: Option<String>,
}

/// A read returns once it holds this much (or `max`, or the end): large frames are handed on
/// as they come, without copying them together; small ones are gathered so that one boundary
/// crossing carries a useful amount.
const ENOUGH: usize = 64 << 10;

impl Body for WasiBody {
    /// Reads until `max` bytes, `ENOUGH` bytes or the end. A failure after some bytes were
    /// read is kept for the next call, so those bytes count.
    fn read(&mut self, max: usize) -> Result<Vec<u8>, BackendError> {
        let mut data = Vec::new();
        while data.len() < max.min(ENOUGH) {
            let Some(stream) = &self.stream else { break };
            match stream.blocking_read((max - data.len()) as u64) {
                Ok(chunk) if data.is_empty() => data = chunk,
                Ok(chunk) => data.extend_from_slice(&chunk),
                Err(StreamError::Closed) => self.stream = None,
                Err(StreamError::LastOperationFailed(e)) => {
                    self.stream = None;
                    self.failed = Some(e.to_debug_string());
                    break;
                }
            }
        }
        if data.is_empty()
            && let Some(message) = self.failed.take()
        {
            return Err(BackendError::body_broke(message));
        }
        Ok(data)
    }
}

impl WasiBody {
    /// The body's stream, for the host to read itself (the body it belongs to stays here,
    /// as the stream's parent must); `None` once taken or ended.
    pub fn take_stream(&mut self) -> Option<InputStream> {
        self.stream.take()
    }
}

/// The error of a request that got no answer.
fn from_error_code(error: ErrorCode) -> BackendError {
    use ErrorCode::*;
    let retryable = matches!(
        error,
        DnsTimeout
            | DestinationUnavailable
            | ConnectionRefused
            | ConnectionTerminated
            | ConnectionTimeout
            | ConnectionReadTimeout
            | ConnectionWriteTimeout
            | ConnectionLimitReached
            | HttpResponseIncomplete
            | HttpResponseTimeout
    );
    // `ErrorCode::DnsError(DnsErrorPayload { .. })` -> code `DnsError`, detail kept.
    let debug = format!("{error:?}");
    let name = debug.rsplit("::").next().unwrap_or(&debug);
    let code = name
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or("Unknown")
        .to_string();
    let detail = name.strip_prefix(code.as_str()).unwrap_or_default().trim();
    let mut message = if detail.is_empty() {
        "no answer from the endpoint".to_string()
    } else {
        format!("no answer from the endpoint: {detail}")
    };
    match code.as_str() {
        "TlsCertificateError" => message.push_str(
            " (its TLS certificate is not trusted: add its CA to the tenant's CA bundle, \
             AWS_CA_BUNDLE for the CLI, or set skipverify: true for testing only)",
        ),
        "DestinationIpProhibited" => {
            message.push_str(" (the host does not let this driver reach that address)")
        }
        _ => {}
    }
    BackendError::transport(&code, message, retryable)
}

/// A request handed to the host, body written, answer not yet received.
pub struct Pending {
    future: FutureIncomingResponse,
}

fn start(request: HttpRequest) -> Result<Pending, BackendError> {
    let mut fields: Vec<(String, Vec<u8>)> = request
        .headers
        .into_iter()
        .map(|(k, v)| (k, v.into_bytes()))
        .collect();
    let has_body = !request.body.is_empty() || matches!(request.method, Method::Put | Method::Post);
    if has_body {
        fields.push((
            "content-length".into(),
            request.body.len().to_string().into_bytes(),
        ));
    }
    let headers = Fields::from_list(&fields).map_err(|e| {
        BackendError::transport("InvalidHeader", format!("header refused: {e:?}"), false)
    })?;
    let outgoing = OutgoingRequest::new(headers);
    let method = match request.method {
        Method::Get => WasiMethod::Get,
        Method::Head => WasiMethod::Head,
        Method::Put => WasiMethod::Put,
        Method::Post => WasiMethod::Post,
        Method::Delete => WasiMethod::Delete,
    };
    let refused = |what: &str| {
        BackendError::transport(
            "InvalidRequest",
            format!("the host refused the request {what}"),
            false,
        )
    };
    outgoing
        .set_method(&method)
        .map_err(|_| refused("method"))?;
    outgoing
        .set_scheme(Some(if request.secure {
            &Scheme::Https
        } else {
            &Scheme::Http
        }))
        .map_err(|_| refused("scheme"))?;
    outgoing
        .set_authority(Some(&request.authority))
        .map_err(|_| refused("authority"))?;
    outgoing
        .set_path_with_query(Some(&request.path_and_query))
        .map_err(|_| refused("path"))?;
    let body = outgoing.body().map_err(|_| refused("body"))?;
    let options = request.timeout.map(|timeout| {
        let options = RequestOptions::new();
        let nanos = timeout.as_nanos().min(u64::MAX as u128) as u64;
        // A host that does not support a timeout keeps its own; that is not an error.
        let _ = options.set_connect_timeout(Some(nanos));
        let _ = options.set_first_byte_timeout(Some(nanos));
        options
    });
    let future = outgoing_handler::handle(outgoing, options).map_err(from_error_code)?;
    // A write failure means the request failed; the response future says why.
    let _ = write_body(&body, &request.body);
    let _ = OutgoingBody::finish(body, None);
    Ok(Pending { future })
}

fn write_body(body: &OutgoingBody, payload: &Payload) -> Result<(), StreamError> {
    let stream = body.write().map_err(|_| StreamError::Closed)?;
    for mut data in payload.pieces() {
        while !data.is_empty() {
            let budget = stream.check_write()? as usize;
            if budget == 0 {
                stream.subscribe().block();
                continue;
            }
            let n = budget.min(data.len());
            stream.write(&data[..n])?;
            data = &data[n..];
        }
    }
    stream.flush()?;
    stream.subscribe().block();
    Ok(())
}

fn finish(pending: Pending) -> Result<HttpResponse<WasiBody>, BackendError> {
    pending.future.subscribe().block();
    let response: IncomingResponse = match pending.future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(from_error_code(code)),
        Some(Err(())) | None => {
            return Err(BackendError::transport(
                "InternalError",
                "the answer was taken twice".into(),
                false,
            ));
        }
    };
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect();
    let body = response.consume().ok();
    let stream = body.as_ref().and_then(|b| b.stream().ok());
    Ok(HttpResponse {
        status,
        headers,
        body: WasiBody {
            stream,
            _body: body,
            failed: None,
        },
    })
}

impl Transport for WasiTransport {
    type Body = WasiBody;
    type InFlight = Pending;

    fn start(&self, request: HttpRequest) -> Result<Pending, BackendError> {
        start(request)
    }

    fn finish(&self, pending: Pending) -> Result<HttpResponse<WasiBody>, BackendError> {
        finish(pending)
    }

    fn crc(&self, crc: Crc, so_far: u64, data: &[u8]) -> u64 {
        match crc {
            Crc::Crc32 => host_checksum::crc32(so_far as u32, data).into(),
            Crc::Crc32c => host_checksum::crc32c(so_far as u32, data).into(),
            Crc::Crc64Nvme => host_checksum::crc64nvme(so_far, data),
        }
    }

    fn sleep(&self, duration: std::time::Duration) {
        let nanos = duration.as_nanos().min(u64::MAX.into()) as u64;
        wasip2::clocks::monotonic_clock::subscribe_duration(nanos).block();
    }

    fn send_all(
        &self,
        requests: Vec<HttpRequest>,
        in_flight: usize,
        body_limit: usize,
    ) -> Vec<Result<HttpResponse<Vec<u8>>, BackendError>> {
        let total = requests.len();
        let mut results: Vec<Option<Result<HttpResponse<Vec<u8>>, BackendError>>> =
            (0..total).map(|_| None).collect();
        let mut queue = requests.into_iter().enumerate();
        let mut pending: Vec<(usize, Pending)> = Vec::new();
        loop {
            while pending.len() < in_flight.max(1) {
                let Some((index, request)) = queue.next() else {
                    break;
                };
                match start(request) {
                    Ok(p) => pending.push((index, p)),
                    Err(e) => results[index] = Some(Err(e)),
                }
            }
            if pending.is_empty() {
                break;
            }
            let pollables: Vec<_> = pending.iter().map(|(_, p)| p.future.subscribe()).collect();
            let ready = poll::poll(&pollables.iter().collect::<Vec<_>>());
            drop(pollables);
            let mut ready: Vec<usize> = ready.into_iter().map(|i| i as usize).collect();
            ready.sort_unstable_by(|a, b| b.cmp(a));
            for position in ready {
                let (index, p) = pending.swap_remove(position);
                results[index] = Some(finish(p).and_then(|mut response| {
                    let body = response.body.read_to_end(body_limit)?;
                    Ok(HttpResponse {
                        status: response.status,
                        headers: response.headers,
                        body,
                    })
                }));
            }
        }
        results
            .into_iter()
            .map(|r| r.expect("every request has a result"))
            .collect()
    }
}
