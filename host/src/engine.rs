//! [`Compiled`]: one wasmtime engine and the component compiled for it once (and cached on
//! disk), pre-linked with WASI, `wasi:http` and the driver's `log` and `checksum` imports, so
//! that an instance starts in well under a millisecond.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use crate::bindings::S3DriverPre;
use crate::bindings::s3drv::storage::log;
use crate::error::{Error, Result};
use crate::store::StoreState;

/// The engine and the pre-linked component every driver of a runtime instantiates.
pub(crate) struct Compiled {
    pub(crate) engine: Engine,
    pub(crate) pre: S3DriverPre<StoreState>,
}

impl Compiled {
    /// Compiles `wasm` (or loads its cached compiled form) and links it. With
    /// `S3DRV_PERFMAP` set, the guest's compiled functions are written to
    /// `/tmp/perf-PID.map`, so that `perf report` names them.
    pub(crate) fn new(wasm: &[u8]) -> Result<Compiled> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        if std::env::var_os("S3DRV_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config).map_err(Error::Component)?;
        start_epoch_ticker(&engine);
        let component = compile_cached(&engine, wasm).map_err(Error::Component)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(Error::Component)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(Error::Component)?;
        log::add_to_linker::<_, wasmtime::component::HasSelf<_>>(&mut linker, |state| state)
            .map_err(Error::Component)?;
        crate::checksum::add_to_linker(&mut linker).map_err(Error::Component)?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .map_err(Error::Component)?;
        let pre = S3DriverPre::new(instance_pre).map_err(Error::Component)?;
        Ok(Compiled { engine, pre })
    }
}

/// Advances the engine's epoch every [`limits::EPOCH_TICK`](crate::limits) until the engine
/// is gone.
fn start_epoch_ticker(engine: &Engine) {
    let engine = engine.weak();
    std::thread::Builder::new()
        .name("s3drv-epoch".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(crate::limits::EPOCH_TICK);
            }
        })
        .expect("a thread can be started");
}

fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("S3DRV_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("s3drv"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache").join("s3drv"))
}

/// Compiles `wasm`, or loads the compiled form cached for these bytes and this engine.
fn compile_cached(engine: &Engine, wasm: &[u8]) -> wasmtime::Result<Component> {
    let Some(dir) = cache_dir() else {
        return Component::from_binary(engine, wasm);
    };
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    let name = format!(
        "{:x}-{:016x}.cwasm",
        Sha256::digest(wasm),
        engine_hash.finish()
    );
    let cached = dir.join(name);
    if cached.exists() {
        // SAFETY: the file was written by `Component::serialize` below, for this engine
        // (its compatibility hash is part of the name), in the user's own cache directory.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &cached) } {
            return Ok(component);
        }
    }
    let component = Component::from_binary(engine, wasm)?;
    if let Ok(bytes) = component.serialize() {
        // A cache that cannot be written only costs the next start a compilation.
        let temporary = dir.join(format!(".{}.tmp", std::process::id()));
        let _ = std::fs::create_dir_all(&dir)
            .and_then(|_| std::fs::write(&temporary, bytes))
            .and_then(|_| std::fs::rename(&temporary, &cached));
    }
    Ok(component)
}
