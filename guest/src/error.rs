//! The driver's error type: one case per WIT `driver-error` case, converted to WIT in
//! `component.rs` and nowhere else.

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

/// One problem in the driver's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The parameter key.
    pub key: String,
    /// What is wrong and what is accepted.
    pub message: String,
}

/// A failure reported by S3 or met on the way to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError {
    /// S3 error code, or the transport's error name.
    pub code: String,
    /// Detail.
    pub message: String,
    /// HTTP status of the answer, if one arrived.
    pub status: Option<u16>,
    /// `x-amz-request-id` of the answer.
    pub request_id: Option<String>,
    /// Whether trying again later may succeed.
    pub retryable: bool,
}

impl BackendError {
    /// An answer the driver could not use (bad XML, missing header, wrong status).
    pub fn malformed(message: impl Into<String>, status: Option<u16>) -> Self {
        BackendError {
            code: "MalformedResponse".into(),
            message: message.into(),
            status,
            request_id: None,
            retryable: false,
        }
    }
}

/// Every error a driver operation returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Nothing exists at the path.
    #[error("Path not found: {0}")]
    PathNotFound(String),
    /// The path is not a valid registry path.
    #[error("invalid path: {0}")]
    InvalidPath(String),
    /// A negative offset.
    #[error("invalid offset: {offset} for path: {path}")]
    InvalidOffset {
        /// The path.
        path: String,
        /// The refused offset.
        offset: i64,
    },
    /// A method the driver does not support.
    #[error("unsupported method")]
    UnsupportedMethod,
    /// The writer was closed, committed or canceled already.
    #[error("{0}")]
    WriterState(WriterState),
    /// Invalid parameters, all of them.
    #[error("invalid configuration: {}", .0.iter().map(|p| format!("{}: {}", p.key, p.message)).collect::<Vec<_>>().join("; "))]
    Config(Vec<ConfigProblem>),
    /// S3 refused or could not be reached.
    #[error("{}", describe_backend(.0))]
    Backend(BackendError),
    /// An S3 limit would be exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// Append to a committed, non-empty object.
    #[error("append to committed non-empty object unsupported: {0}")]
    InvalidAppend(String),
}

fn describe_backend(e: &BackendError) -> String {
    let mut s = format!("{}: {}", e.code, e.message);
    if let Some(status) = e.status {
        s.push_str(&format!(" (status {status}"));
        if let Some(id) = &e.request_id {
            s.push_str(&format!(", request id {id}"));
        }
        s.push(')');
    }
    s
}

/// The driver's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
