//! s3drv's conformance suite: the test cases of distribution's and GitLab's storage-driver
//! suites, ported to run through the component against real S3 servers.
//!
//! [`suite::cases`] lists the cases as functions; `tests/conformance.rs` runs them against
//! Garage and moto (or an external store); [`servers`] starts those servers; [`logs`] keeps
//! what the drivers logged.

pub mod faults;
pub mod logs;
pub mod registry;
pub mod servers;
pub mod sidecar;
pub mod suite;
