//! What the s3drv guest (the component) and host (the library a registry embeds) must agree
//! on, compiled into both so that the two sides cannot drift:
//! - [`s3_errors`]: which S3 answers mean "not processed, try again" or "slow down";
//! - [`backoff`]: how long to wait before retry number N;
//! - [`text`]: how driver errors read (`s3aws: Path not found: /x`);
//! - [`params`], [`regions`], [`endpoint`], [`credential_urls`], [`destinations`]: how the
//!   parameters resolve to the endpoints a driver sends requests to (the guest sends there;
//!   the host allows only there); [`transport`]: the retries, rate and TLS verification
//!   they ask the host to enforce; [`operations`]: the S3 operation a request performs;
//! - [`crc`]: the body CRCs, continued piece by piece (the `checksum` import's contract).
//!
//! Plain Rust with no I/O; its one dependency, crc-fast, computes the CRCs.
#![deny(missing_docs)]

pub mod backoff;
pub mod crc;
pub mod credential_urls;
pub mod destinations;
pub mod endpoint;
pub mod operations;
pub mod params;
pub mod regions;
pub mod s3_errors;
pub mod text;
pub mod transport;

/// The driver name that starts every driver error's text and names the driver in metrics,
/// as the reference drivers spell it (registry logs and alerts keep matching).
pub const DRIVER_NAME: &str = "s3aws";
