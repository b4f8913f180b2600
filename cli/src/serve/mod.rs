//! `s3drv serve`: one process hosting the runtime and any number of tenants' drivers for
//! registries that cannot load a component (distribution, GitLab's, Harbor, Zot: Go), over
//! HTTP/1.1 on a Unix socket or a loopback TCP port (`docs/sidecar-protocol.md`).
//!
//! [`read_tenants`] reads who is served ([`config`]); [`serve`] runs the server
//! ([`server`]); each request is answered by [`routes`] in the wire format of [`protocol`];
//! writers and walkers that span requests are [`sessions`].

pub mod config;
pub mod protocol;
pub mod routes;
pub mod server;
pub mod sessions;

pub use config::{TenantConfig, read_tenants};
pub use server::{Listen, Options, serve};
