//! s3drv's guest: the S3 storage driver of a container registry, compiled to a WebAssembly
//! component (`cargo build --target wasm32-wasip2`).
//!
//! Everything but `transport` (the `wasi:http` client, wasm32 only) and `component` (the WIT exports)
//! is plain Rust that builds and unit-tests natively:
//! - [`config`]: the registry's parameters, validated together;
//! - [`credentials`]: static keys or the credential chain, refreshed before expiry;
//! - [`path`]: registry paths and their S3 keys;
//! - [`s3`]: request building, signing, XML, error mapping and the operations;
//! - [`log`]: diagnostics to the host's logs, secrets redacted;
//! - [`error`]: the error type, one case per WIT `driver-error` case.
#![warn(missing_docs)]

pub mod config;
pub mod credentials;
pub mod error;
pub mod log;
pub mod path;
pub mod s3;

#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(target_arch = "wasm32")]
pub mod transport;

/// The driver name in error messages and metrics, as the reference drivers spell it.
pub const DRIVER_NAME: &str = "s3aws";
