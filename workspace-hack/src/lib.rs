//! No code: see this crate's `Cargo.toml`. `s3drv-tests` depends on it so that `make build`
//! and `make bench` compile wasmtime's dependencies with the same features.
