//! [`Runtime`]: the component loaded once; every driver is opened from it.

use std::path::Path;
use std::sync::Arc;

use crate::driver::Driver;
use crate::engine::Compiled;
use crate::error::{Error, Result};
use crate::tenant::Tenant;

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
    compiled: Arc<Compiled>,
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
        Ok(Runtime {
            compiled: Arc::new(Compiled::new(wasm)?),
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
        Driver::open(self.compiled.clone(), tenant.clone(), params).await
    }
}
