//! Credentials for signing (`docs/decisions.md` §25): static keys from the parameters, else the chain
//! environment → web identity → container credentials → EC2 instance role (IMDSv2), resolved
//! at the first request and refreshed before they expire.
//!
//! The guest sees an environment variable or a file only when the host grants it to the
//! tenant, and reaches a metadata or STS endpoint only when the host allows it; a source the
//! guest cannot see is skipped. Each source is one module: [`environment`], [`web_identity`],
//! [`container`], [`instance`].

pub mod container;
pub mod environment;
mod fetch;
pub mod instance;
mod keys;
pub mod provider;
pub mod web_identity;

pub use environment::{Environment, ProcessEnvironment};
pub use keys::Credentials;
pub use provider::{Provider, Source};
