//! Error answers: status first, then the S3 code, with a retryable flag.

use super::xml::{self, ErrorResponse};
use crate::error::BackendError;

/// Whether `body` is an S3 `<Error>` document.
pub fn is_error_document(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&body[..body.len().min(512)]);
    let mut rest = text.trim_start();
    if rest.starts_with("<?xml") {
        rest = rest
            .find("?>")
            .map_or("", |end| rest[end + 2..].trim_start());
    }
    rest.starts_with("<Error>") || rest.starts_with("<Error ")
}

/// Whether S3 documents the code (or status) as transient.
///
/// 429 and 503 `SlowDown` are throttling, 500 `InternalError` and the 502/504 gateway answers
/// are transient server faults, 400 `RequestTimeout` means the connection was too slow.
pub fn is_retryable(status: Option<u16>, code: &str) -> bool {
    matches!(status, Some(429 | 500 | 502 | 503 | 504))
        || matches!(
            code,
            "SlowDown" | "InternalError" | "RequestTimeout" | "ServiceUnavailable" | "Throttling"
        )
}

/// The error of an answer with status `status`, headers and (possibly empty) body.
pub fn from_response(status: u16, headers: &[(String, String)], body: &[u8]) -> BackendError {
    let header_request_id = headers
        .iter()
        .find(|(k, _)| k == "x-amz-request-id")
        .map(|(_, v)| v.clone());
    let parsed: Option<ErrorResponse> = if body.is_empty() {
        None
    } else {
        xml::parse("error", body, status).ok()
    };
    let (code, message, request_id) = match parsed {
        Some(e) if !e.code.is_empty() => (e.code, e.message, e.request_id.or(header_request_id)),
        _ => {
            // HEAD answers have no body; other bodies were not S3 errors.
            let code = match status {
                301 => "PermanentRedirect",
                400 => "BadRequest",
                403 => "Forbidden",
                404 => "NotFound",
                412 => "PreconditionFailed",
                416 => "InvalidRange",
                429 => "TooManyRequests",
                500 => "InternalError",
                503 => "ServiceUnavailable",
                _ => "UnexpectedStatus",
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_error_documents() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message><Resource>/b/k</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>"#;
        assert!(is_error_document(body));
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
        assert!(!is_error_document(b"<CompleteMultipartUploadResult/>"));
    }
}
