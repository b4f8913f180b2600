//! The runtime: one wasmtime [`Engine`], the component compiled once (and cached on disk),
//! a linker with WASI, `wasi:http` and the driver's `log` and `checksum` imports, and the
//! pooled HTTP client every driver shares.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::S3DriverPre;
use crate::bindings::s3drv::storage::log;
use crate::driver::Driver;
use crate::error::{Error, Result};
use crate::outbound::{Outbound, OutboundHooks};
use crate::tenant::Tenant;

/// The data of one store: WASI (with nothing granted: no files, no environment, no sockets),
/// `wasi:http`, and the hooks that send its requests.
pub(crate) struct StoreState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: OutboundHooks,
    tenant: Arc<str>,
    limits: StoreLimits,
    /// When the running call must end; `None` between calls.
    call_ends: Option<std::time::Instant>,
    call_deadline: std::time::Duration,
}

impl StoreState {
    /// Starts the deadline of a call.
    pub(crate) fn start_call(&mut self) {
        self.call_ends = Some(std::time::Instant::now() + self.call_deadline);
    }

    /// Sends this instance's requests through `outbound` from now on.
    pub(crate) fn set_outbound(&mut self, outbound: Arc<Outbound>) {
        self.hooks = OutboundHooks::new(outbound);
    }
}

/// The driver's `log` import: events of target `s3drv::driver` with the tenant and operation.
impl log::Host for StoreState {
    fn emit(&mut self, level: log::Level, operation: String, message: String) {
        let tenant = &*self.tenant;
        match level {
            log::Level::Error => {
                tracing::error!(target: "s3drv::driver", tenant, operation, "{message}")
            }
            log::Level::Warn => {
                tracing::warn!(target: "s3drv::driver", tenant, operation, "{message}")
            }
            log::Level::Info => {
                tracing::info!(target: "s3drv::driver", tenant, operation, "{message}")
            }
            log::Level::Debug => {
                tracing::debug!(target: "s3drv::driver", tenant, operation, "{message}")
            }
        }
    }
}

impl WasiView for StoreState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for StoreState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Shared by a runtime and every driver it opened.
pub(crate) struct RuntimeInner {
    pub(crate) engine: Engine,
    pub(crate) pre: S3DriverPre<StoreState>,
}

impl RuntimeInner {
    /// A store for one instance of a driver of `tenant`, sending through `outbound`, with the
    /// tenant's memory, table and call-time limits.
    pub(crate) fn store(
        &self,
        tenant: &Tenant,
        outbound: Arc<Outbound>,
    ) -> Result<Store<StoreState>> {
        let mut table = ResourceTable::new();
        table.set_max_capacity(tenant.limits.table_entries);
        let state = StoreState {
            wasi: tenant.wasi_ctx()?,
            http: WasiHttpCtx::new(),
            table,
            hooks: OutboundHooks::new(outbound),
            tenant: tenant.name.as_str().into(),
            limits: StoreLimitsBuilder::new()
                .memory_size(tenant.limits.memory)
                .build(),
            call_ends: None,
            call_deadline: tenant.limits.call_deadline,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        // Every epoch tick the running guest yields to other tasks, and traps once its call
        // is past its deadline.
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|store| match store.data().call_ends {
            Some(ends) if std::time::Instant::now() > ends => Err(wasmtime::format_err!(
                "the call ran longer than its deadline of {:?}",
                store.data().call_deadline
            )),
            _ => Ok(UpdateDeadline::Yield(1)),
        });
        store.data_mut().start_call();
        Ok(store)
    }
}

/// Loads the driver component and opens drivers from it.
///
/// ```no_run
/// # async fn demo() -> Result<(), s3drv_host::Error> {
/// let runtime = s3drv_host::Runtime::load("s3drv.wasm".as_ref())?;
/// let driver = runtime
///     .open([("bucket", "registry"), ("regionendpoint", "http://127.0.0.1:3900"),
///            ("accesskey", "GK..."), ("secretkey", "...")])
///     .await?;
/// driver.put_content("/hello", b"world".to_vec()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

impl Runtime {
    /// Loads the component at `path`. Its compiled form is cached in the user's cache
    /// directory (`$S3DRV_CACHE_DIR`, else `$XDG_CACHE_HOME/s3drv`, else `~/.cache/s3drv`), so
    /// later loads skip compilation. With `S3DRV_PERFMAP` set, the guest's compiled functions
    /// are written to `/tmp/perf-PID.map`, so that `perf report` names them.
    ///
    /// ```no_run
    /// # fn demo() -> s3drv_host::Result<()> {
    /// let runtime = s3drv_host::Runtime::load("target/release/s3drv.wasm".as_ref())?;
    /// # Ok(()) }
    /// ```
    pub fn load(path: &Path) -> Result<Runtime> {
        let wasm = std::fs::read(path).map_err(|e| Error::Load {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        Runtime::from_bytes(&wasm).map_err(|e| match e {
            Error::Component(source) => Error::Load {
                path: path.to_path_buf(),
                source,
            },
            other => other,
        })
    }

    /// Loads the component from its bytes (see [`Runtime::load`] for the cache).
    ///
    /// ```no_run
    /// # fn demo() -> s3drv_host::Result<()> {
    /// let wasm = std::fs::read("target/release/s3drv.wasm").expect("the component");
    /// let runtime = s3drv_host::Runtime::from_bytes(&wasm)?;
    /// # Ok(()) }
    /// ```
    pub fn from_bytes(wasm: &[u8]) -> Result<Runtime> {
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
        Ok(Runtime {
            inner: Arc::new(RuntimeInner { engine, pre }),
        })
    }

    /// Opens a driver from the registry's parameters (`bucket`, `region`, `regionendpoint`,
    /// ...) with no grants ([`Tenant::default`]): static keys only. Invalid parameters fail
    /// here with [`Error::Config`] listing every problem.
    ///
    /// ```no_run
    /// # async fn demo() -> s3drv_host::Result<()> {
    /// let runtime = s3drv_host::Runtime::load("target/release/s3drv.wasm".as_ref())?;
    /// let driver = runtime
    ///     .open([("bucket", "registry"), ("region", "eu-west-1"),
    ///            ("accesskey", "AKIA..."), ("secretkey", "...")])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn open<K, V>(&self, params: impl IntoIterator<Item = (K, V)>) -> Result<Driver>
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.open_for(&Tenant::default(), params).await
    }

    /// Opens a driver of `tenant`, with what the tenant is granted (environment, token files,
    /// CA bundle, instance metadata) and its name in every log event.
    ///
    /// ```no_run
    /// # async fn demo() -> s3drv_host::Result<()> {
    /// use s3drv_host::{Runtime, Tenant};
    /// let runtime = Runtime::load("target/release/s3drv.wasm".as_ref())?;
    /// // No static keys: the driver uses the credential chain this tenant is granted.
    /// let tenant = Tenant::new("team-a").with_var("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/registry")
    ///     .with_var("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/team-a/token");
    /// let driver = runtime.open_for(&tenant, [("bucket", "team-a-registry"), ("region", "eu-west-1")]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn open_for<K, V>(
        &self,
        tenant: &Tenant,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Driver>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let params = params
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        Driver::open(self.inner.clone(), tenant.clone(), params).await
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
