//! S3 over an abstract HTTP transport: requests are built ([`request`]), addressed
//! ([`address`]), signed ([`sigv4`], [`sigv2`]) and sent by the [`client`]; answers are read
//! as XML ([`xml`]) or mapped to errors ([`errors`]). One module per operation family:
//! [`object`], [`reader`], [`writer`] (over [`multipart`]), [`moves`], [`list`], [`delete`],
//! [`walk`]. Nothing here knows `wasi:http`, so all of it runs natively in unit tests.

pub mod address;
pub mod client;
pub mod delete;
pub mod errors;
pub mod file_info;
pub mod list;
pub mod moves;
pub mod multipart;
pub mod object;
pub mod presign;
pub mod reader;
pub mod request;
pub mod sigv2;
pub mod sigv4;
pub mod walk;
pub mod writer;
pub mod xml;

pub use client::S3Client;
pub use file_info::FileInfo;
pub use request::{BodyChecksum, S3Request};
