//! s3drv's guest: the S3 storage driver of a container registry, compiled to a WebAssembly
//! component (`cargo build --target wasm32-wasip2`).
//!
//! Layered bottom to top; a module uses only the ones above it in this list:
//! - [`checksum`], [`error`], [`path`], [`log`]: body checksums, the error type (one case
//!   per WIT `driver-error` case), registry paths and their keys, diagnostics to the host's
//!   logs with secrets redacted (the AWS region list and the endpoint resolution are in
//!   `s3drv-common`, shared with the host);
//! - [`http`]: requests, answers, bodies and the `Transport` trait;
//! - [`credentials`]: static keys or the credential chain, refreshed before expiry;
//! - [`config`]: the registry's parameters, validated together;
//! - [`s3`]: request building, signing, XML, error mapping and the operations;
//! - wasm32 only: `bindings` (generated), `transport` (the only `wasi:http` user) and
//!   `component` (the WIT exports).
//!
//! Everything but the wasm32-only modules is plain Rust that builds and unit-tests natively.
#![warn(missing_docs)]

pub mod checksum;
pub mod config;
pub mod credentials;
pub mod error;
pub mod http;
pub mod log;
pub mod path;
pub mod s3;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(test)]
mod testing;
#[cfg(target_arch = "wasm32")]
pub mod transport;
