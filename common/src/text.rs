//! How driver errors read. The guest's `Error` and the host's `Error` display their cases
//! with these, so a message reads the same whichever side produced it; the host puts
//! [`DRIVER_NAME`](crate::DRIVER_NAME) in front, as the reference drivers do.
//!
//! ```
//! use s3drv_common::text::{self, WriterState};
//! assert_eq!(text::path_not_found("/a"), "Path not found: /a");
//! assert_eq!(WriterState::Committed.to_string(), "already committed");
//! assert_eq!(
//!     text::backend("NoSuchBucket", "gone", Some(404), Some("r1")),
//!     "NoSuchBucket: gone (status 404, request id r1)"
//! );
//! ```

use std::fmt;

/// Why a writer refused an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriterState {
    /// `close` was called already.
    Closed,
    /// `commit` was called already.
    Committed,
    /// `cancel` was called already.
    Canceled,
    /// A part upload failed: bytes accepted since the last stored part are lost.
    Failed,
}

impl fmt::Display for WriterState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WriterState::Closed => "already closed",
            WriterState::Committed => "already committed",
            WriterState::Canceled => "already canceled",
            WriterState::Failed => {
                "failed: a part was not stored; open the writer again with append to resume"
            }
        })
    }
}

/// `path-not-found`.
pub fn path_not_found(path: &str) -> String {
    format!("Path not found: {path}")
}

/// `invalid-path`.
pub fn invalid_path(path: &str) -> String {
    format!("invalid path: {path}")
}

/// `invalid-offset`.
pub fn invalid_offset(path: &str, offset: i64) -> String {
    format!("invalid offset: {offset} for path: {path}")
}

/// `unsupported-method`.
pub const UNSUPPORTED_METHOD: &str = "unsupported method";

/// `invalid-append`.
pub fn invalid_append(path: &str) -> String {
    format!("append to committed non-empty object unsupported: {path}")
}

/// `config`: every problem, as `key: message`, joined by `; `.
pub fn config<'a>(problems: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let listed: Vec<String> = problems
        .into_iter()
        .map(|(key, message)| format!("{key}: {message}"))
        .collect();
    format!("invalid configuration: {}", listed.join("; "))
}

/// `backend`: the S3 code and message, then the status and request id when known.
pub fn backend(code: &str, message: &str, status: Option<u16>, request_id: Option<&str>) -> String {
    match (status, request_id) {
        (Some(status), Some(id)) => format!("{code}: {message} (status {status}, request id {id})"),
        (Some(status), None) => format!("{code}: {message} (status {status})"),
        _ => format!("{code}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_of_the_references() {
        assert_eq!(invalid_offset("/a", -1), "invalid offset: -1 for path: /a");
        assert_eq!(
            config([("chunksize", "too small"), ("region", "unknown")]),
            "invalid configuration: chunksize: too small; region: unknown"
        );
        assert_eq!(backend("C", "m", None, Some("ignored")), "C: m");
        assert_eq!(WriterState::Canceled.to_string(), "already canceled");
    }
}
