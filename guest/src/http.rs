//! The driver's HTTP, below S3: requests, answers, bodies read in pieces, and the
//! [`Transport`] that sends them (`wasi:http` in the component, a script in unit tests).
//! Also the percent-encoding and time formats of requests and answers.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use s3drv_common::crc::Crc;

use crate::error::BackendError;

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
    pub body: Payload,
    /// Longest wait for the connection and for the answer's head; `None` leaves it to the
    /// host.
    pub timeout: Option<Duration>,
}

/// Appends at least this large stay pieces of their own; smaller ones are copied together.
const GATHER: usize = 64 << 10;

/// A request body in pieces, sent one after another. A part filled by many writes keeps the
/// large ones as they came, without copying them together, and gathers the small ones, so
/// that a piece is never tiny.
#[derive(Default)]
pub struct Payload {
    /// Whole pieces, in order, before `gathering`.
    pieces: Vec<Bytes>,
    /// Small appends copied together: the last piece, while it is below [`GATHER`].
    gathering: Vec<u8>,
    /// Bytes in `pieces` and `gathering`, kept because the writer asks after every append.
    len: usize,
}

impl Payload {
    /// Bytes in all pieces.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `data` at the end: kept as it is when large, copied into the gathered piece when
    /// small.
    pub fn append(&mut self, data: Bytes) {
        self.len += data.len();
        if data.len() >= GATHER {
            self.seal_gathered();
            self.pieces.push(data);
            return;
        }
        if self.gathering.capacity() == 0 {
            self.gathering.reserve_exact(GATHER);
        }
        self.gathering.extend_from_slice(&data);
        if self.gathering.len() >= GATHER {
            self.seal_gathered();
        }
    }

    /// Makes the gathered bytes a piece of their own.
    fn seal_gathered(&mut self) {
        if !self.gathering.is_empty() {
            self.pieces.push(std::mem::take(&mut self.gathering).into());
        }
    }

    /// The pieces, in order.
    pub fn pieces(&self) -> impl Iterator<Item = &[u8]> + Clone {
        let gathered = (!self.gathering.is_empty()).then_some(self.gathering.as_slice());
        self.pieces.iter().map(|piece| &piece[..]).chain(gathered)
    }

    /// The pieces, owned (for a transport that sends them from another thread).
    pub fn into_pieces(mut self) -> Vec<Bytes> {
        self.seal_gathered();
        self.pieces
    }

    /// The first `n` bytes (all of them if fewer), copied: what a log excerpt shows of a
    /// body, without copying the rest.
    pub fn head(&self, n: usize) -> Vec<u8> {
        self.pieces().flatten().take(n).copied().collect()
    }

    /// All the bytes in one vector (for small bodies: tests).
    pub fn to_vec(&self) -> Vec<u8> {
        self.head(self.len)
    }
}

impl From<Vec<u8>> for Payload {
    /// One piece, not copied.
    fn from(data: Vec<u8>) -> Payload {
        let mut payload = Payload::default();
        if !data.is_empty() {
            payload.len = data.len();
            payload.pieces.push(data.into());
        }
        payload
    }
}

impl std::fmt::Debug for Payload {
    /// The size, never the bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Payload({} bytes in {} pieces)",
            self.len,
            self.pieces().count()
        )
    }
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

    /// The CRC `crc` of the bytes whose CRC is `so_far` followed by `data` ([`Crc::extend`]).
    /// The component asks the host, which has the CPU instructions wasm lacks; by default
    /// it is computed here.
    fn crc(&self, crc: Crc, so_far: u64, data: &[u8]) -> u64 {
        crc.extend(so_far, data)
    }

    /// Waits `duration` before a request is sent again. The component waits on
    /// `wasi:clocks`; by default (unit tests) it returns at once.
    fn sleep(&self, _duration: Duration) {}

    /// Sends `requests` with at most `in_flight` outstanding at a time and returns their
    /// answers, bodies read (up to `body_limit` bytes each), in the order of `requests`.
    fn send_all(
        &self,
        requests: Vec<HttpRequest>,
        in_flight: usize,
        body_limit: usize,
    ) -> Vec<Result<HttpResponse<Vec<u8>>, BackendError>>;
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

/// Percent-encodes an object key for a request path (keeps `/`).
pub fn encode_key_path(key: &str) -> String {
    utf8_percent_encode(key, KEY_PATH).to_string()
}

/// Decodes an XML answer (S3, STS), naming the document `what` on failure.
pub fn decode_xml<T: for<'de> serde::Deserialize<'de>>(
    what: &str,
    body: &[u8],
    status: u16,
) -> Result<T, BackendError> {
    let text = std::str::from_utf8(body).map_err(|_| {
        BackendError::malformed(format!("{what} answer is not UTF-8"), Some(status))
    })?;
    quick_xml::de::from_str(text).map_err(|e| {
        BackendError::malformed(format!("cannot read the {what} answer: {e}"), Some(status))
    })
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

    /// Large appends stay pieces of their own, small ones are gathered, and the pieces hold
    /// the bytes in the order they were appended.
    #[test]
    fn payload_keeps_large_appends_and_gathers_small_ones() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let cuts = [0, 3, 70_003, 70_100, 200_000, 200_010, 200_020, 300_000];
        let mut payload = Payload::default();
        for w in cuts.windows(2) {
            payload.append(Bytes::copy_from_slice(&data[w[0]..w[1]]));
        }
        let sizes: Vec<usize> = payload.pieces().map(<[u8]>::len).collect();
        assert_eq!(sizes, [3, 70_000, 97, 129_900, 20, 99_980]);
        assert_eq!(payload.len(), data.len());
        assert_eq!(payload.to_vec(), data);
        assert_eq!(payload.head(70_010), data[..70_010], "a head across pieces");
        let owned: Vec<u8> = payload.into_pieces().concat();
        assert_eq!(owned, data);
    }

    #[test]
    fn times_of_listings_and_heads() {
        let a = parse_time("2009-10-12T17:50:30.000Z").unwrap();
        let b = parse_time("Mon, 12 Oct 2009 17:50:30 GMT").unwrap();
        assert_eq!(a, b);
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn query_values_are_strictly_encoded() {
        assert_eq!(encode_query_value("a/b c+d=e~"), "a%2Fb%20c%2Bd%3De~");
        assert_eq!(encode_key_path("a/b c"), "a/b%20c");
        assert_eq!(
            encode_query(&[("uploads", String::new()), ("k", "a b".into())]),
            "uploads&k=a%20b"
        );
    }
}
