//! Outgoing HTTP of the component: `wasi:http` requests are sent through a pooled,
//! keep-alive hyper-util client ([`client`], rustls for TLS: [`tls`]) instead of wasmtime's
//! `default_send_request`, which opens a connection per request. Each driver has its own
//! client and [`Outbound`] policy: where it may send ([`destinations`], [`addresses`]), its
//! request rate ([`pacing`]: `maxrequestspersecond`, lowered for a while after throttling
//! answers), retries of transient failures ([`retry`]: `maxretries`), timeouts (connect,
//! first byte, between bytes: the tenant's [`Limits`](crate::Limits)), TLS verification
//! (`skipverify`), and its metrics. [`hooks`] hands every request of an instance to its
//! driver's [`Outbound`].

mod adaptive;
pub mod addresses;
mod attempt;
mod body;
pub mod client;
pub mod destinations;
pub mod hooks;
pub mod pacing;
mod replay;
pub mod retry;
pub mod sender;
pub mod tls;

pub use hooks::OutboundHooks;
pub use sender::Outbound;
