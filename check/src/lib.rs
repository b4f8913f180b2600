//! The storage-driver conformance cases, as a library: distribution's and GitLab's driver test
//! cases, ported to run through the component against any S3 bucket.
//!
//! `s3drv check` runs them against an operator's bucket; the `s3drv-tests` crate runs them
//! (plus cases that need its own servers) against Garage and moto. Every case gets a driver
//! rooted at its own fresh prefix and must leave that prefix empty.
//!
//! ```no_run
//! # async fn demo(runtime: s3drv_host::Runtime) {
//! use s3drv_check::{self as check, Store};
//! let store = Store::new(vec![("bucket".into(), "registry".into())]);
//! for case in check::cases() {
//!     let outcome = check::run_case(&case, &runtime, &store, "s3drv-check/run1", false).await;
//!     println!("{} {outcome:?}", case.name);
//! }
//! # }
//! ```
#![deny(missing_docs)]

mod content;
mod context;
mod delete;
mod harness;
mod helpers;
mod list;
mod moves;
mod store;
mod walk;
mod writer;

pub use context::{Ctx, Outcome};
pub use harness::{
    CASE_TIMEOUT, Case, CaseFuture, Needs, cases, probe_deleted_directories, probe_key_order,
    probe_signature_checks, run_case, within_case_timeout,
};
pub use helpers::{
    Fetched, expect_invalid_path, expect_not_found, fetch, files_below, random_bytes, random_name,
    read_stream, same_bytes, sha256, sorted, walk_set, write_stream,
};
pub use store::Store;
