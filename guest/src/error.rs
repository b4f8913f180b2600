//! The driver's error type: one case per WIT `driver-error` case, converted to WIT in
//! `component.rs` and nowhere else.

use s3drv_common::text;

pub use s3drv_common::text::WriterState;

pub use s3drv_common::params::ConfigProblem;

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

    /// A failure of the transport (no answer, or an answer cut short): `code` names it.
    pub fn transport(code: &str, message: String, retryable: bool) -> Self {
        BackendError {
            code: code.into(),
            message,
            status: None,
            request_id: None,
            retryable,
        }
    }

    /// An answer body that broke off mid-way (`detail` says how): worth asking again.
    pub fn body_broke(detail: impl std::fmt::Display) -> Self {
        BackendError::transport(
            "connection-lost",
            format!("the answer body broke off: {detail}"),
            true,
        )
    }
}

/// Every error a driver operation returns. Displayed as the host displays it (without the
/// driver name in front): the texts are [`s3drv_common::text`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Nothing exists at the path.
    #[error("{}", text::path_not_found(.0))]
    PathNotFound(String),
    /// The path is not a valid registry path.
    #[error("{}", text::invalid_path(.0))]
    InvalidPath(String),
    /// A negative offset.
    #[error("{}", text::invalid_offset(path, *offset))]
    InvalidOffset {
        /// The path.
        path: String,
        /// The refused offset.
        offset: i64,
    },
    /// A method the driver does not support.
    #[error("{}", text::UNSUPPORTED_METHOD)]
    UnsupportedMethod,
    /// The writer was closed, committed or canceled already.
    #[error("{0}")]
    WriterState(WriterState),
    /// Invalid parameters, all of them.
    #[error("{}", text::config(.0.iter().map(|p| (p.key.as_str(), p.message.as_str()))))]
    Config(Vec<ConfigProblem>),
    /// S3 refused or could not be reached.
    #[error("{}", text::backend(&.0.code, &.0.message, .0.status, .0.request_id.as_deref()))]
    Backend(BackendError),
    /// An S3 limit would be exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// Append to a committed, non-empty object.
    #[error("{}", text::invalid_append(.0))]
    InvalidAppend(String),
}

impl From<BackendError> for Error {
    fn from(e: BackendError) -> Self {
        Error::Backend(e)
    }
}

/// The driver's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
