//! What the s3drv guest (the component) and host (the library a registry embeds) must agree
//! on, compiled into both so that the two sides cannot drift:
//! - [`s3_errors`]: which S3 answers mean "not processed, try again" or "slow down";
//! - [`backoff`]: how long to wait before retry number N;
//! - [`text`]: how driver errors read (`s3aws: Path not found: /x`).
//!
//! Plain Rust with no dependencies and no I/O.
#![deny(missing_docs)]

pub mod backoff;
pub mod s3_errors;
pub mod text;

/// The driver name that starts every driver error's text and names the driver in metrics,
/// as the reference drivers spell it (registry logs and alerts keep matching).
pub const DRIVER_NAME: &str = "s3aws";
