//! [`Attempt`]: how one attempt of a request ended, as the retry decision sees it and as
//! the guest receives it.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::Error as HttpError;

use super::body::WatchedBody;
use super::client::{WasiBody, error_name};
use super::retry::Outcome;
use s3drv_common::s3_errors::error_code;

/// How one attempt of a request ended.
pub enum Attempt {
    /// An answer whose body streams to the guest.
    Streamed(http::Response<WatchedBody>),
    /// A small answer, taken in whole.
    Whole(http::Response<Bytes>),
    /// No (complete) answer; `retryable` unless replaying cannot help (refused certificate
    /// or address).
    Failed {
        /// Why.
        error: HttpError,
        /// Whether sending again may help.
        retryable: bool,
    },
}

impl Attempt {
    /// A failure to get an answer: not retryable when replaying cannot help (a refused
    /// certificate or address stays refused).
    pub fn failed(error: HttpError) -> Attempt {
        let retryable = !matches!(
            error,
            HttpError::TlsCertificateError
                | HttpError::TlsProtocolError
                | HttpError::DestinationIpProhibited
        );
        Attempt::Failed { error, retryable }
    }

    /// What the attempt came to, for the retry decision; `name` holds a failure's name.
    pub fn outcome<'a>(&'a self, name: &'a mut String) -> Outcome<'a> {
        match self {
            Attempt::Streamed(response) => Outcome::Answered {
                status: response.status().as_u16(),
                code: None,
            },
            Attempt::Whole(response) => Outcome::Answered {
                status: response.status().as_u16(),
                code: error_code(response.body()),
            },
            Attempt::Failed { error, retryable } => {
                *name = error_name(error);
                Outcome::Failed {
                    name,
                    replayable: *retryable,
                }
            }
        }
    }

    /// The answer as the guest receives it.
    pub fn into_answer(self) -> Result<http::Response<WasiBody>, HttpError> {
        match self {
            Attempt::Streamed(response) => Ok(response.map(|body| body.boxed_unsync())),
            Attempt::Whole(response) => Ok(response.map(|bytes| {
                Full::new(bytes)
                    .map_err(|never| match never {})
                    .boxed_unsync()
            })),
            Attempt::Failed { error, .. } => Err(error),
        }
    }
}
