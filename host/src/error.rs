//! The host's error type: the component's `driver-error` cases, displayed as the reference
//! drivers display them (`s3aws: Path not found: /x`), plus failures of the runtime itself.

use std::path::PathBuf;

use s3drv_common::text;

use crate::bindings::s3drv::storage::types as wit;
pub use s3drv_common::DRIVER_NAME;
pub use wit::{BackendError, ConfigProblem, WriterState};

/// Everything a driver operation can fail with. The driver's cases read as the guest's
/// (the texts are [`s3drv_common::text`]'s), after [`DRIVER_NAME`].
///
/// ```
/// let e = s3drv_host::Error::PathNotFound("/x".into());
/// assert_eq!(e.to_string(), "s3aws: Path not found: /x");
/// ```
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
/// use s3drv_host::Error;
/// match driver.stat("/uploads/u1/startedat").await {
///     Ok(info) => println!("started, {} bytes", info.size),
///     Err(Error::PathNotFound(path)) => println!("no upload at {path}"),
///     Err(Error::Backend(e)) if e.status == Some(403) => println!("access denied: {}", e.message),
///     Err(other) => return Err(other),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nothing exists at the path.
    #[error("{DRIVER_NAME}: {}", text::path_not_found(.0))]
    PathNotFound(String),
    /// The path is not a valid registry path.
    #[error("{DRIVER_NAME}: {}", text::invalid_path(.0))]
    InvalidPath(String),
    /// A negative offset.
    #[error("{DRIVER_NAME}: {}", text::invalid_offset(path, *offset))]
    InvalidOffset {
        /// The path.
        path: String,
        /// The refused offset.
        offset: i64,
    },
    /// The method is not supported.
    #[error("{DRIVER_NAME}: {}", text::UNSUPPORTED_METHOD)]
    UnsupportedMethod,
    /// The writer was closed, committed or canceled already.
    #[error("{DRIVER_NAME}: {}", common_state(*.0))]
    WriterState(WriterState),
    /// Invalid parameters: every problem found.
    #[error("{DRIVER_NAME}: {}", text::config(.0.iter().map(|p| (p.key.as_str(), p.message.as_str()))))]
    Config(Vec<ConfigProblem>),
    /// S3 refused the request or could not be reached.
    #[error("{DRIVER_NAME}: {}", text::backend(&.0.code, &.0.message, .0.status, .0.request_id.as_deref()))]
    Backend(BackendError),
    /// An S3 limit would be exceeded.
    #[error("{DRIVER_NAME}: {0}")]
    LimitExceeded(String),
    /// Append to a committed, non-empty object.
    #[error("{DRIVER_NAME}: {}", text::invalid_append(.0))]
    InvalidAppend(String),
    /// The component could not be read or compiled.
    #[error("s3drv: cannot load the driver component {}: {source:#}", path.display())]
    Load {
        /// Where the component was looked for.
        path: PathBuf,
        /// Why it failed.
        source: wasmtime::Error,
    },
    /// A grant of the tenant cannot be given (a token file's directory, the CA bundle).
    #[error("s3drv: {0}")]
    Grant(String),
    /// The component's transport policy asks for more than the tenant's [`Policy`](crate::Policy)
    /// allows; the driver is not opened.
    #[error("s3drv: refused by the tenant's policy: {0}")]
    Refused(String),
    /// The component trapped, or could not be instantiated; the instance is discarded.
    #[error("s3drv: the driver component failed: {0:#}")]
    Component(wasmtime::Error),
}

impl Error {
    /// The error's kind as the WIT `driver-error` case names it (`path-not-found`,
    /// `invalid-path`, ..., `backend`), `policy` for a driver the tenant's policy refuses, or
    /// `component` for a failure of the runtime itself:
    /// what the CLI's JSON output and `s3drv serve` report.
    ///
    /// ```
    /// assert_eq!(s3drv_host::Error::PathNotFound("/x".into()).kind(), "path-not-found");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Error::PathNotFound(_) => "path-not-found",
            Error::InvalidPath(_) => "invalid-path",
            Error::InvalidOffset { .. } => "invalid-offset",
            Error::UnsupportedMethod => "unsupported-method",
            Error::WriterState(_) => "writer-state",
            Error::Config(_) => "config",
            Error::Backend(_) => "backend",
            Error::LimitExceeded(_) => "limit-exceeded",
            Error::InvalidAppend(_) => "invalid-append",
            Error::Refused(_) => "policy",
            Error::Load { .. } | Error::Grant(_) | Error::Component(_) => "component",
        }
    }
}

/// The shared text's name for a WIT writer state.
fn common_state(state: WriterState) -> text::WriterState {
    match state {
        WriterState::Closed => text::WriterState::Closed,
        WriterState::Committed => text::WriterState::Committed,
        WriterState::Canceled => text::WriterState::Canceled,
        WriterState::Failed => text::WriterState::Failed,
    }
}

impl From<wit::DriverError> for Error {
    fn from(e: wit::DriverError) -> Self {
        use wit::DriverError as W;
        match e {
            W::PathNotFound(p) => Error::PathNotFound(p),
            W::InvalidPath(p) => Error::InvalidPath(p),
            W::InvalidOffset(o) => Error::InvalidOffset {
                path: o.path,
                offset: o.offset,
            },
            W::UnsupportedMethod => Error::UnsupportedMethod,
            W::WriterState(s) => Error::WriterState(s),
            W::Config(problems) => Error::Config(problems),
            W::Backend(b) => Error::Backend(b),
            W::LimitExceeded(m) => Error::LimitExceeded(m),
            W::InvalidAppend(p) => Error::InvalidAppend(p),
        }
    }
}

/// The host's result type.
///
/// ```no_run
/// # fn demo() -> Result<(), ()> {
/// async fn size_of(driver: &s3drv_host::Driver, path: &str) -> s3drv_host::Result<u64> {
///     Ok(driver.stat(path).await?.size)
/// }
/// # Ok(()) }
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
