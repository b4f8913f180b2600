//! s3drv's host: loads the s3drv WebAssembly component in wasmtime and exposes the
//! container-registry storage-driver operations as async Rust.
//!
//! 1. [`Runtime::load`] compiles the component once (and caches the compiled form on disk).
//! 2. [`Runtime::open`] opens a [`Driver`] from the registry's parameter map; bad parameters
//!    fail with [`Error::Config`] naming every problem.
//! 3. The driver's methods are the operations; [`Driver::reader`] gives a
//!    [`tokio::io::AsyncRead`], [`Driver::writer`] a [`tokio::io::AsyncWrite`] with `size`,
//!    `close`, `cancel` and `commit`, [`Driver::walk`] a [`Walker`].
//!
//! All S3 traffic leaves the component through `wasi:http` and is sent by the driver's pooled
//! keep-alive HTTP client (`outbound`) under its policy (rate, adaptive throttling, retries,
//! destinations and address ranges, timeouts, TLS), counted in [`metrics`]. The guest gets
//! no sockets, and only the environment and token files its [`Tenant`] grants, within its
//! [`Limits`].
//!
//! ```no_run
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let runtime = s3drv_host::Runtime::load("target/release/s3drv.wasm".as_ref())?;
//! let driver = runtime
//!     .open([("bucket", "registry"), ("regionendpoint", "http://127.0.0.1:3900"),
//!            ("accesskey", "GK..."), ("secretkey", "...")])
//!     .await?;
//! let mut writer = driver.writer("/blobs/data", false).await?;
//! writer.write_all(b"layer bytes").await?;
//! writer.commit().await?;
//! let mut content = Vec::new();
//! driver.reader("/blobs/data", 0).await?.read_to_end(&mut content).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod bindings;
mod checksum;
mod driver;
mod engine;
mod error;
mod file_info;
pub mod limits;
mod log_budget;
pub mod metrics;
mod outbound;
pub mod policy;
mod pool;
mod reader;
mod runtime;
mod store;
pub mod tenant;
mod walker;
mod writer;

pub use driver::Driver;
pub use error::{BackendError, ConfigProblem, DRIVER_NAME, Error, Result, WriterState};
pub use file_info::FileInfo;
pub use limits::Limits;
pub use outbound::addresses::AddressRange;
pub use policy::Policy;
pub use reader::Reader;
pub use runtime::Runtime;
pub use tenant::Tenant;
pub use walker::Walker;
pub use writer::Writer;
