//! The bindings `wit-bindgen` generates for the world `s3-driver` (`wit/storage.wit`), and
//! nothing else. Used by `component.rs` (exports), `transport.rs` (the `checksum` import) and
//! `log.rs` (the `log` import).

wit_bindgen::generate!({
    world: "s3-driver",
    path: "../wit",
    // The host's streams are the ones the `wasip2` crate's HTTP bindings hand out.
    with: {
        "wasi:io/error@0.2.12": wasip2::io::error,
        "wasi:io/poll@0.2.12": wasip2::io::poll,
        "wasi:io/streams@0.2.12": wasip2::io::streams,
    },
    // `component.rs` exports the implementation from outside this module.
    pub_export_macro: true,
});
