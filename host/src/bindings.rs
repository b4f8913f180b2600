//! Host bindings of the `s3-driver` world (`wit/storage.wit`), and nothing else.

wasmtime::component::bindgen!({
    world: "s3-driver",
    path: "../wit",
    exports: { default: async },
});
