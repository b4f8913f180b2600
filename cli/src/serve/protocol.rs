//! The wire format of `s3drv serve` (`docs/sidecar-protocol.md`): how answers, errors and
//! file infos are encoded, and how a request's query is read.

use std::collections::HashMap;
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use http::{Response, StatusCode, Uri, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use s3drv_host::{Error, FileInfo, WriterState};
use serde_json::{Value, json};

/// The body of every answer: bytes, or a stream of an object's bytes that may fail.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// An answer with `bytes` as its body.
pub fn bytes(status: StatusCode, bytes: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(bytes.into()).map_err(|e| match e {}).boxed());
    *response.status_mut() = status;
    response
}

/// A JSON answer.
pub fn json_answer(status: StatusCode, value: &Value) -> Response<Body> {
    let mut response = bytes(status, value.to_string());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// An answer without a body.
pub fn no_content() -> Response<Body> {
    bytes(StatusCode::NO_CONTENT, Bytes::new())
}

/// A failure of the protocol itself (a bad request, an unknown session, a refused token),
/// with its own `kind`.
pub fn refusal(status: StatusCode, kind: &str, message: impl Into<String>) -> Response<Body> {
    let message = message.into();
    json_answer(
        status,
        &json!({ "error": { "kind": kind, "message": message } }),
    )
}

/// The answer for a driver error: its WIT kind, its text, and what a client needs to build
/// its own typed error (the path, the offset, the writer state, the S3 details).
pub fn driver_error(e: &Error) -> Response<Body> {
    let mut error = json!({ "kind": e.kind(), "message": e.to_string() });
    let status = match e {
        Error::PathNotFound(path) => {
            error["path"] = json!(path);
            StatusCode::NOT_FOUND
        }
        Error::InvalidPath(path) | Error::InvalidAppend(path) => {
            error["path"] = json!(path);
            match e {
                Error::InvalidPath(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::CONFLICT,
            }
        }
        Error::InvalidOffset { path, offset } => {
            error["path"] = json!(path);
            error["offset"] = json!(offset);
            StatusCode::BAD_REQUEST
        }
        Error::UnsupportedMethod => StatusCode::BAD_REQUEST,
        Error::WriterState(state) => {
            error["state"] = json!(writer_state(*state));
            StatusCode::CONFLICT
        }
        Error::Config(_) => StatusCode::BAD_REQUEST,
        Error::Backend(b) => {
            error["backend"] = json!({
                "code": b.code, "message": b.message, "status": b.status,
                "request_id": b.request_id, "retryable": b.retryable,
            });
            StatusCode::BAD_GATEWAY
        }
        Error::LimitExceeded(_) => StatusCode::PAYLOAD_TOO_LARGE,
        Error::Refused(_) => StatusCode::FORBIDDEN,
        Error::Load { .. } | Error::Grant(_) | Error::Component(_) => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    json_answer(status, &json!({ "error": error }))
}

fn writer_state(state: WriterState) -> &'static str {
    match state {
        WriterState::Closed => "closed",
        WriterState::Committed => "committed",
        WriterState::Canceled => "canceled",
        WriterState::Failed => "failed",
    }
}

/// A file info as JSON: `path`, `size`, `modified` (nanoseconds since the Unix epoch, or
/// null for a directory) and `is_dir`.
pub fn file_info(info: &FileInfo) -> Value {
    let modified = info.modified.and_then(|t| {
        let nanos = t.duration_since(UNIX_EPOCH).ok()?.as_nanos();
        i64::try_from(nanos).ok()
    });
    json!({ "path": info.path, "size": info.size, "modified": modified, "is_dir": info.is_dir })
}

/// The query parameters of `uri`, decoded.
pub fn query(uri: &Uri) -> HashMap<String, String> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn errors_carry_their_kind_and_details() {
        let answer = driver_error(&Error::InvalidOffset {
            path: "/a".into(),
            offset: -1,
        });
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        let answer = driver_error(&Error::PathNotFound("/a".into()));
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
        let info = FileInfo {
            path: "/a".into(),
            size: 3,
            modified: Some(SystemTime::UNIX_EPOCH + Duration::from_nanos(1_500)),
            is_dir: false,
        };
        assert_eq!(file_info(&info)["modified"], json!(1500));
        let uri: Uri = "/v1/t/stat?path=%2Fa%20b&x=1".parse().unwrap();
        assert_eq!(query(&uri)["path"], "/a b");
    }
}
