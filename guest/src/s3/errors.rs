//! Error answers: the S3 error document's code, message and request id (or a code named
//! after the status when there is none), marked retryable by the table the host retries by
//! ([`s3drv_common::s3_errors`]).

use s3drv_common::s3_errors::{code_for_status, is_retryable};

use super::xml::ErrorResponse;
use crate::error::{BackendError, Error};

/// The error of an answer with status `status`, headers and (possibly empty) body.
pub fn from_response(status: u16, headers: &[(String, String)], body: &[u8]) -> BackendError {
    let header_request_id = headers
        .iter()
        .find(|(k, _)| k == "x-amz-request-id")
        .map(|(_, v)| v.clone());
    let parsed: Option<ErrorResponse> = if body.is_empty() {
        None
    } else {
        crate::http::decode_xml("error", body, status).ok()
    };
    let (code, message, request_id) = match parsed {
        Some(e) if !e.code.is_empty() => (e.code, e.message, e.request_id.or(header_request_id)),
        _ => {
            // HEAD answers have no body; other bodies were not S3 errors.
            let code = code_for_status(status);
            let snippet: String = String::from_utf8_lossy(&body[..body.len().min(200)]).into();
            let message = if snippet.trim().is_empty() {
                format!("HTTP status {status} without an S3 error document")
            } else {
                format!("HTTP status {status}: {}", snippet.trim())
            };
            (code.to_string(), message, header_request_id)
        }
    };
    BackendError {
        retryable: is_retryable(Some(status), &code),
        code,
        message,
        status: Some(status),
        request_id,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_error_documents() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message><Resource>/b/k</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>"#;
        let e = from_response(404, &[], body);
        assert_eq!(
            (e.code.as_str(), e.status, e.retryable),
            ("NoSuchKey", Some(404), false)
        );
        assert_eq!(e.request_id.as_deref(), Some("4442587FB7D0A2F9"));
    }

    #[test]
    fn throttling_is_retryable() {
        let e = from_response(503, &[], b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
        assert!(e.retryable);
        assert_eq!(e.code, "SlowDown");
    }

    #[test]
    fn bodiless_and_garbage_answers() {
        let e = from_response(403, &[("x-amz-request-id".into(), "r1".into())], b"");
        assert_eq!(
            (e.code.as_str(), e.request_id.as_deref()),
            ("Forbidden", Some("r1"))
        );
        let e = from_response(502, &[], b"<html>bad gateway</html>");
        assert_eq!(e.code, "UnexpectedStatus");
        assert!(e.retryable && e.message.contains("bad gateway"));
    }
}
