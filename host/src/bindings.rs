//! Host bindings of the `s3-driver` world (`wit/storage.wit`), and nothing else.

wasmtime::component::bindgen!({
    world: "s3-driver",
    path: "../wit",
    exports: { default: async },
    // `reader.body` and `reader.resume` hand over the host's own `wasi:io` input streams.
    with: { "wasi:io": wasmtime_wasi::p2::bindings::io },
});
