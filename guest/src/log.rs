//! Diagnostics to the host's logs (the WIT `log` import), as `loglevel` asks. Natively (unit
//! tests) messages go nowhere.
//!
//! Callers pass only what may be shown: request lines without query secrets, header names,
//! credential scopes. [`redact_authorization`] cuts the signature out of an `Authorization`
//! value.

/// How much a message matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A failure.
    Error,
    /// Something odd that did not fail.
    Warn,
    /// A notable event (credentials obtained).
    Info,
    /// Details of requests, signing and bodies.
    Debug,
}

/// Sends one message about `operation` to the host's `log` import.
#[cfg(target_arch = "wasm32")]
pub fn emit(level: Level, operation: &str, message: &str) {
    use crate::bindings::s3drv::storage::log::{self as host_log, Level as HostLevel};
    let level = match level {
        Level::Error => HostLevel::Error,
        Level::Warn => HostLevel::Warn,
        Level::Info => HostLevel::Info,
        Level::Debug => HostLevel::Debug,
    };
    host_log::emit(level, operation, message);
}

/// Sends one message about `operation` to the host (natively: nowhere).
#[cfg(not(target_arch = "wasm32"))]
pub fn emit(_level: Level, _operation: &str, _message: &str) {}

/// An `Authorization` value with the signature replaced by `<redacted>` (SigV4 and SigV2).
pub fn redact_authorization(value: &str) -> String {
    if let Some(i) = value.find("Signature=") {
        return format!("{}Signature=<redacted>", &value[..i]);
    }
    match value.rfind(':') {
        Some(i) if value.starts_with("AWS ") => format!("{}:<redacted>", &value[..i]),
        _ => "<redacted>".to_string(),
    }
}

/// At most `limit` bytes of a body of `len` bytes as one line of text (line breaks shown as
/// `\n`), marked when cut. `head` is the body or its first bytes (at least `limit` of them,
/// when it has that many).
pub fn body_excerpt(head: &[u8], len: usize, limit: usize) -> String {
    let shown = String::from_utf8_lossy(&head[..head.len().min(limit)])
        .replace('\r', "")
        .replace('\n', "\\n");
    if len > limit {
        format!("{shown}… ({len} bytes)")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_cut() {
        assert_eq!(
            redact_authorization(
                "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abcdef"
            ),
            "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=<redacted>"
        );
        assert_eq!(
            redact_authorization("AWS AK:c2lnbmF0dXJl"),
            "AWS AK:<redacted>"
        );
        assert_eq!(redact_authorization("Bearer xyz"), "<redacted>");
        assert_eq!(body_excerpt(b"abcdef", 6, 3), "abc… (6 bytes)");
        assert_eq!(
            body_excerpt(b"abc", 6, 3),
            "abc… (6 bytes)",
            "only the head given"
        );
        assert_eq!(body_excerpt(b"<a>\r\n</a>", 9, 100), "<a>\\n</a>");
    }
}
