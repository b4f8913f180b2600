//! The S3 error table: which answers mean "not processed, try again later", which of those
//! ask the client to slow down, and the code of an answer that carries no S3 error document.
//!
//! The host retries by this table (it sees every answer first); the guest marks the
//! [`BackendError`s](https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html) it
//! returns as retryable by the same table, so a registry deciding to retry a whole operation
//! and the host retrying one request agree.
//!
//! ```
//! use s3drv_common::s3_errors::{error_code, is_retryable, is_throttling};
//! let body = b"<?xml version=\"1.0\"?><Error><Code>SlowDown</Code></Error>";
//! assert_eq!(error_code(body), Some("SlowDown"));
//! assert!(is_retryable(Some(200), "SlowDown") && is_throttling(Some(200), "SlowDown"));
//! assert!(!is_retryable(Some(404), "NoSuchKey"));
//! ```

/// How a transient answer should be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    /// A fault on the server's side or on the way: try again after a backoff.
    Fault,
    /// The server asks for fewer requests: try again, and slow every request down.
    Throttling,
}

/// HTTP statuses that mean the request was not processed: 429 and 503 are throttling (S3's
/// 503 SlowDown), 500 and the 502/504 gateway answers transient faults.
pub const TRANSIENT_STATUSES: [(u16, Transient); 5] = [
    (429, Transient::Throttling),
    (500, Transient::Fault),
    (502, Transient::Fault),
    (503, Transient::Throttling),
    (504, Transient::Fault),
];

/// S3 error codes that mean "try again" whatever the status they come with (a 400
/// RequestTimeout: the connection was too slow; a 200 CompleteMultipartUpload carrying
/// InternalError; a DeleteObjects key that failed with SlowDown).
pub const TRANSIENT_CODES: [(&str, Transient); 5] = [
    ("SlowDown", Transient::Throttling),
    ("InternalError", Transient::Fault),
    ("RequestTimeout", Transient::Fault),
    ("ServiceUnavailable", Transient::Fault),
    ("Throttling", Transient::Fault),
];

/// What `status` says about trying again, if it is transient.
pub fn transient_status(status: u16) -> Option<Transient> {
    TRANSIENT_STATUSES
        .iter()
        .find(|(s, _)| *s == status)
        .map(|(_, t)| *t)
}

/// What the S3 error `code` says about trying again, if it is transient.
pub fn transient_code(code: &str) -> Option<Transient> {
    TRANSIENT_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, t)| *t)
}

/// Whether an answer with `status` (if one arrived) and S3 error `code` may succeed when
/// sent again.
pub fn is_retryable(status: Option<u16>, code: &str) -> bool {
    status.and_then(transient_status).is_some() || transient_code(code).is_some()
}

/// Whether an answer with `status` and S3 error `code` asks the client to slow down.
pub fn is_throttling(status: Option<u16>, code: &str) -> bool {
    status.and_then(transient_status) == Some(Transient::Throttling)
        || transient_code(code) == Some(Transient::Throttling)
}

/// The error code of an answer with `status` that has no S3 error document (HEAD answers,
/// proxies' HTML pages).
pub fn code_for_status(status: u16) -> &'static str {
    match status {
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
    }
}

/// How far into a body an `<Error>` document is looked for: S3 puts it first.
const SNIFF: usize = 4096;

/// Whether `body` is an S3 `<Error>` document (after an optional XML declaration).
pub fn is_error_document(body: &[u8]) -> bool {
    error_element(body).is_some()
}

/// The text from the `<Error>` element on, when `body` is an S3 error document.
fn error_element(body: &[u8]) -> Option<&str> {
    let head = &body[..body.len().min(SNIFF)];
    // A multi-byte character cut at the limit still leaves the start readable.
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
    };
    let mut rest = text.trim_start();
    if rest.starts_with("<?xml") {
        rest = rest[rest.find("?>")? + 2..].trim_start();
    }
    (rest.starts_with("<Error>") || rest.starts_with("<Error ")).then_some(rest)
}

/// The `<Code>` of an S3 error document, found without parsing the XML (the host reads it
/// from answers it is about to hand to the guest).
pub fn error_code(body: &[u8]) -> Option<&str> {
    let element = error_element(body)?;
    let start = element.find("<Code>")? + "<Code>".len();
    let end = start + element[start..].find("</Code>")?;
    Some(element[start..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        for status in [429, 500, 502, 503, 504] {
            assert!(is_retryable(Some(status), ""), "{status}");
        }
        for status in [200, 301, 400, 403, 404, 409, 412, 416, 501] {
            assert!(!is_retryable(Some(status), "NoSuchKey"), "{status}");
        }
        assert!(is_throttling(Some(429), "") && is_throttling(Some(503), ""));
        assert!(!is_throttling(Some(500), "InternalError"));
    }

    #[test]
    fn codes_count_whatever_the_status() {
        for code in [
            "SlowDown",
            "InternalError",
            "RequestTimeout",
            "ServiceUnavailable",
            "Throttling",
        ] {
            assert!(
                is_retryable(Some(400), code) && is_retryable(None, code),
                "{code}"
            );
        }
        assert!(is_throttling(Some(200), "SlowDown"));
        assert!(!is_retryable(None, "AccessDenied") && !is_retryable(Some(400), "BadDigest"));
    }

    #[test]
    fn error_documents_are_found_at_the_start_only() {
        let timeout = b"<?xml version=\"1.0\"?>\n<Error><Code>RequestTimeout</Code><Message>slow</Message></Error>";
        assert_eq!(error_code(timeout), Some("RequestTimeout"));
        assert_eq!(
            error_code(b"  <Error xmlns=\"x\"><Code> SlowDown </Code></Error>"),
            Some("SlowDown")
        );
        let complete =
            b"<CompleteMultipartUploadResult><ETag>\"e-2\"</ETag></CompleteMultipartUploadResult>";
        assert!(!is_error_document(complete) && error_code(complete).is_none());
        // An object key or a message that mentions <Error> is not an error document.
        assert!(!is_error_document(
            b"<ListBucketResult><Key>&lt;Error&gt;</Key></ListBucketResult>"
        ));
        assert_eq!(error_code(b"\xff<Error><Code>"), None);
        assert_eq!(error_code(b"<Error><Code>unterminated"), None);
    }

    #[test]
    fn bodiless_answers_are_named_by_status() {
        assert_eq!(code_for_status(404), "NotFound");
        assert_eq!(code_for_status(418), "UnexpectedStatus");
    }
}
