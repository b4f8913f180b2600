//! [`Driver`]: the storage-driver operations as async Rust over component instances.
//!
//! A store runs one call at a time, so a driver keeps idle instances and checks one out per
//! call; readers, writers and walkers keep theirs for their whole life. An instance whose call
//! trapped is dropped, never reused. Every instance opens the driver from the same parameters
//! and keeps no state between calls, so any instance can serve any call.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use std::time::{Duration, SystemTime};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use wasmtime::Store;
use wasmtime::component::ResourceAny;

use crate::bindings::S3Driver;
use crate::bindings::s3drv::storage::types as wit;
use crate::error::{Error, Result};
use crate::metrics::LiveInstance;
use crate::outbound::Outbound;
use crate::runtime::{RuntimeInner, StoreState};
use crate::streams::{Reader, Writer};
use crate::tenant::Tenant;

/// What `stat` and `walk` report about a path.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
/// let info: s3drv_host::FileInfo = driver.stat("/blobs/sha256/ab/abcd/data").await?;
/// if let Some(modified) = info.modified {
///     println!("{} bytes, modified {modified:?}", info.size);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// The registry path.
    pub path: String,
    /// Size in bytes (0 for a directory).
    pub size: u64,
    /// Modification time of a file; `None` for a directory.
    pub modified: Option<SystemTime>,
    /// Whether the path is a directory.
    pub is_dir: bool,
}

impl From<wit::FileInfo> for FileInfo {
    fn from(info: wit::FileInfo) -> Self {
        let modified = info.modified.map(|t| {
            SystemTime::UNIX_EPOCH + Duration::new(t.seconds.max(0) as u64, t.nanoseconds)
        });
        FileInfo {
            path: info.path,
            size: info.size,
            modified,
            is_dir: info.is_dir,
        }
    }
}

/// One component instance with an opened `driver` resource.
pub(crate) struct Instance {
    pub(crate) store: Store<StoreState>,
    pub(crate) bindings: S3Driver,
    driver: ResourceAny,
    /// Held while the instance is checked out: the driver's share of `max_instances`.
    permit: Option<OwnedSemaphorePermit>,
    /// Calls served so far.
    uses: u32,
    /// Counts the instance in `s3drv_instances_live` while it exists.
    _live: LiveInstance,
}

/// Calls `$method` of the driver resource on a checked-out instance, through
/// [`Driver::with_instance`] (plain results) or [`Driver::with_resource`] (new resources).
macro_rules! driver_call {
    ($driver:expr, $method:ident $(, $arg:expr)*) => {
        driver_call!(@with_instance $driver, $method $(, $arg)*)
    };
    (@$via:ident $driver:expr, $method:ident $(, $arg:expr)*) => {
        $driver
            .$via(async |i: &mut Instance| {
                let api = i.bindings.s3drv_storage_driver().driver();
                api.$method(&mut i.store, i.driver $(, $arg)*).await
            })
            .await
    };
}

struct Shared {
    runtime: Arc<RuntimeInner>,
    tenant: Tenant,
    outbound: Arc<Outbound>,
    params: Vec<(String, String)>,
    warnings: Vec<String>,
    idle: Mutex<Vec<Instance>>,
    /// One permit per instance that may be checked out at once (`Limits::max_instances`).
    slots: Arc<Semaphore>,
}

/// An opened storage driver. Cloning is cheap; clones share their idle instances.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
/// // One driver serves many tasks at once: clones share its instances and connections.
/// let uploads = driver.clone();
/// let task = tokio::spawn(async move { uploads.list("/uploads").await });
/// let blobs = driver.list("/blobs").await?;
/// let uploads = task.await.expect("the task ran")?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Driver {
    shared: Arc<Shared>,
}

/// Maps a call's outcome: a trap is [`Error::Component`], a driver error is itself.
pub(crate) fn flatten<T>(outcome: wasmtime::Result<Result<T, wit::DriverError>>) -> Result<T> {
    outcome.map_err(Error::Component)?.map_err(Error::from)
}

/// A new instance of `tenant` sending through `outbound`, with the driver opened from
/// `params`.
async fn instantiate(
    runtime: &RuntimeInner,
    tenant: &Tenant,
    outbound: Arc<Outbound>,
    params: &[(String, String)],
) -> Result<Instance> {
    let live = outbound.metrics().instance_live();
    let mut store = runtime.store(tenant, outbound)?;
    let bindings = runtime
        .pre
        .instantiate_async(&mut store)
        .await
        .map_err(Error::Component)?;
    let opened = bindings
        .s3drv_storage_driver()
        .driver()
        .call_open(&mut store, params)
        .await;
    let driver = flatten(opened)?;
    Ok(Instance {
        store,
        bindings,
        driver,
        permit: None,
        uses: 0,
        _live: live,
    })
}

impl Driver {
    /// Opens the driver in a first instance, then gives it the outbound policy it reports.
    pub(crate) async fn open(
        runtime: Arc<RuntimeInner>,
        tenant: Tenant,
        params: Vec<(String, String)>,
    ) -> Result<Driver> {
        let provisional = Arc::new(Outbound::provisional(&tenant)?);
        let mut first = instantiate(&runtime, &tenant, provisional, &params).await?;
        let api = first.bindings.s3drv_storage_driver().driver();
        let warnings = api
            .call_warnings(&mut first.store, first.driver)
            .await
            .map_err(Error::Component)?;
        let policy = api
            .call_transport_policy(&mut first.store, first.driver)
            .await
            .map_err(Error::Component)?;
        let outbound = Arc::new(Outbound::new(&tenant, policy)?);
        let tenant_limits = tenant.limits;
        first.store.data_mut().set_outbound(outbound.clone());
        let shared = Shared {
            runtime,
            tenant,
            outbound,
            params,
            warnings,
            idle: Mutex::new(vec![first]),
            slots: Arc::new(Semaphore::new(tenant_limits.max_instances.max(1))),
        };
        Ok(Driver {
            shared: Arc::new(shared),
        })
    }

    /// Warnings about the parameters (unknown or ignored keys). Never contains a secret.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// for warning in driver.warnings() {
    ///     eprintln!("storage: {warning}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn warnings(&self) -> &[String] {
        &self.shared.warnings
    }

    /// The driver name used in errors: `s3aws`.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// assert_eq!(driver.name(), "s3aws");
    /// # Ok(()) }
    /// ```
    pub fn name(&self) -> &'static str {
        crate::error::DRIVER_NAME
    }

    /// An idle instance, or a new one, once fewer than `max_instances` are checked out
    /// (callers wait for one to come back: backpressure, not failure). Its call deadline
    /// starts now.
    pub(crate) async fn checkout(&self) -> Result<Instance> {
        let shared = &self.shared;
        let permit = shared
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("the instance semaphore is never closed");
        let idle = shared.idle.lock().expect("idle list lock").pop();
        let mut instance = match idle {
            Some(instance) => instance,
            None => {
                instantiate(
                    &shared.runtime,
                    &shared.tenant,
                    shared.outbound.clone(),
                    &shared.params,
                )
                .await?
            }
        };
        instance.permit = Some(permit);
        instance.uses += 1;
        instance.store.data_mut().start_call();
        Ok(instance)
    }

    /// Returns a healthy instance for reuse, or retires it after `uses_per_instance` calls.
    pub(crate) fn checkin(&self, mut instance: Instance) {
        instance.permit = None;
        if instance.uses >= self.shared.tenant.limits.uses_per_instance {
            return;
        }
        self.shared
            .idle
            .lock()
            .expect("idle list lock")
            .push(instance);
    }

    /// Runs `call` on a checked-out instance; the instance is reused unless it trapped.
    async fn with_instance<T>(
        &self,
        call: impl AsyncFnOnce(&mut Instance) -> wasmtime::Result<Result<T, wit::DriverError>>,
    ) -> Result<T> {
        let mut instance = self.checkout().await?;
        let outcome = call(&mut instance).await;
        if outcome.is_ok() {
            self.checkin(instance);
        }
        flatten(outcome)
    }

    /// The whole object at `path` (for small objects).
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let link = driver
    ///     .get_content("/docker/registry/v2/repositories/alpine/_manifests/tags/latest/current/link")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_content(&self, path: &str) -> Result<Vec<u8>> {
        driver_call!(self, call_get_content, path)
    }

    /// Stores `content` at `path` (for small objects).
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// driver.put_content("/docker/registry/v2/repositories/alpine/_uploads/u1/startedat",
    ///     b"2026-11-27T12:00:00Z".to_vec()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn put_content(&self, path: &str, content: Vec<u8>) -> Result<()> {
        driver_call!(self, call_put_content, path, &content)
    }

    /// A stream of the object at `path` from byte `offset` ([`tokio::io::AsyncRead`]).
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> Result<(), Box<dyn std::error::Error>> {
    /// use tokio::io::AsyncReadExt;
    /// let mut rest = Vec::new();
    /// // A blob download resumed at byte 1 MiB.
    /// driver.reader("/blobs/sha256/ab/abcd/data", 1 << 20).await?.read_to_end(&mut rest).await?;
    /// # Ok(()) }
    /// ```
    pub async fn reader(&self, path: &str, offset: i64) -> Result<Reader> {
        let (instance, resource) = driver_call!(@with_resource self, call_reader, path, offset)?;
        Ok(Reader::new(self.clone(), instance, resource, path))
    }

    /// A writer for `path`, new (`append` false) or resuming the unfinished upload.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> Result<(), Box<dyn std::error::Error>> {
    /// use tokio::io::AsyncWriteExt;
    /// // A chunked upload: one request appends, a later one resumes and commits.
    /// let mut writer = driver.writer("/uploads/u1/data", false).await?;
    /// writer.write_all(b"first chunk").await?;
    /// writer.close().await?;
    /// let mut writer = driver.writer("/uploads/u1/data", true).await?;
    /// assert_eq!(writer.size().await?, 11);
    /// writer.write_all(b", second chunk").await?;
    /// writer.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn writer(&self, path: &str, append: bool) -> Result<Writer> {
        let (instance, resource) = driver_call!(@with_resource self, call_writer, path, append)?;
        Ok(Writer::new(self.clone(), instance, resource))
    }

    /// Runs `call`, which creates a resource, on a checked-out instance. On success the
    /// instance stays with the resource; after a driver error it goes back to the pool; after
    /// a trap it is dropped.
    async fn with_resource(
        &self,
        call: impl AsyncFnOnce(&mut Instance) -> wasmtime::Result<Result<ResourceAny, wit::DriverError>>,
    ) -> Result<(Instance, ResourceAny)> {
        let mut instance = self.checkout().await?;
        let outcome = call(&mut instance).await;
        let healthy = outcome.is_ok();
        match flatten(outcome) {
            Ok(resource) => Ok((instance, resource)),
            Err(e) => {
                if healthy {
                    self.checkin(instance);
                }
                Err(e)
            }
        }
    }

    /// Size, modification time and kind of `path`.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let info = driver.stat("/blobs/sha256/ab/abcd/data").await?;
    /// println!("{} bytes, directory: {}", info.size, info.is_dir);
    /// # Ok(()) }
    /// ```
    pub async fn stat(&self, path: &str) -> Result<FileInfo> {
        driver_call!(self, call_stat, path).map(FileInfo::from)
    }

    /// The direct children of `path`: files first, then directories.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// for repository in driver.list("/docker/registry/v2/repositories").await? {
    ///     println!("{repository}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, path: &str) -> Result<Vec<String>> {
        driver_call!(self, call_list, path)
    }

    /// Moves `source` to `dest`, replacing `dest`.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// driver.move_("/uploads/u1/data", "/blobs/sha256/ab/abcd/data").await?;
    /// # Ok(()) }
    /// ```
    pub async fn move_(&self, source: &str, dest: &str) -> Result<()> {
        driver_call!(self, call_move, source, dest)
    }

    /// Deletes `path` and everything below it.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// driver.delete("/uploads/u1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, path: &str) -> Result<()> {
        driver_call!(self, call_delete, path)
    }

    /// Deletes the given files without listing; returns how many were deleted.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let paths = vec!["/blobs/a/data".to_string(), "/blobs/b/data".to_string()];
    /// let deleted = driver.delete_files(&paths).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_files(&self, paths: &[String]) -> Result<u64> {
        driver_call!(self, call_delete_files, paths)
    }

    /// A presigned URL of `path` for `GET` or `HEAD`, valid `expiry` (default 20 minutes).
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// use std::time::Duration;
    /// let url = driver.url_for("/blobs/sha256/ab/abcd/data", "GET", Some(Duration::from_secs(300))).await?;
    /// # Ok(()) }
    /// ```
    pub async fn url_for(
        &self,
        path: &str,
        method: &str,
        expiry: Option<Duration>,
    ) -> Result<String> {
        let seconds = expiry.map(|d| d.as_secs());
        driver_call!(self, call_url_for, path, method, seconds)
    }

    /// distribution's redirect: a presigned URL for GET or HEAD, `None` for other methods.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// if let Some(url) = driver.redirect_url("GET", "/blobs/sha256/ab/abcd/data").await? {
    ///     println!("307 Temporary Redirect to {url}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn redirect_url(&self, method: &str, path: &str) -> Result<Option<String>> {
        driver_call!(self, call_redirect_url, method, path)
    }

    /// Walks everything below `path` in key order, each directory before its contents.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// // Garbage collection's mark phase: every file below the repositories.
    /// let mut walker = driver.walk("/docker/registry/v2/repositories", None).await?;
    /// while let Some(entry) = walker.next().await? {
    ///     if !entry.is_dir {
    ///         println!("{} {}", entry.path, entry.size);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn walk(&self, path: &str, start_after: Option<&str>) -> Result<Walker> {
        let (instance, resource) = driver_call!(@with_resource self, call_walk, path, start_after)?;
        Ok(Walker::new(self.clone(), instance, resource))
    }

    /// Like [`Driver::walk`], sub-trees listed concurrently (with `parallelwalk: true`).
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let everything = driver.walk_parallel("/docker/registry/v2").await?.collect().await?;
    /// # Ok(()) }
    /// ```
    pub async fn walk_parallel(&self, path: &str) -> Result<Walker> {
        let (instance, resource) = driver_call!(@with_resource self, call_walk_parallel, path)?;
        Ok(Walker::new(self.clone(), instance, resource))
    }
}

/// Entries asked of the guest per call.
const WALK_BATCH: u32 = 1000;

/// The entries of a walk. Dropping it stops the walk.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
/// let mut walker = driver.walk("/docker/registry/v2/blobs", None).await?;
/// let mut total = 0;
/// while let Some(entry) = walker.next().await? {
///     total += entry.size;
/// }
/// # Ok(()) }
/// ```
pub struct Walker {
    driver: Driver,
    /// `None` once the walk ended (the instance went back to the pool) or failed.
    instance: Option<(Instance, ResourceAny)>,
    /// Entries received and not yet delivered; a batch ends with its first directory.
    batch: VecDeque<FileInfo>,
    /// The entry delivered last is a directory (and so was the last of its batch).
    after_directory: bool,
}

impl Walker {
    fn new(driver: Driver, instance: Instance, resource: ResourceAny) -> Walker {
        Walker {
            driver,
            instance: Some((instance, resource)),
            batch: VecDeque::new(),
            after_directory: false,
        }
    }

    /// The next entry, or `None` at the end of the walk.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let mut walker = driver.walk("/", None).await?;
    /// while let Some(entry) = walker.next().await? {
    ///     println!("{}", entry.path);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn next(&mut self) -> Result<Option<FileInfo>> {
        if self.batch.is_empty() {
            self.fetch().await?;
        }
        let entry = self.batch.pop_front();
        self.after_directory = entry.as_ref().is_some_and(|e| e.is_dir);
        Ok(entry)
    }

    /// Takes the next batch of entries from the guest.
    async fn fetch(&mut self) -> Result<()> {
        let Some((instance, walker)) = self.instance.as_mut() else {
            return Ok(());
        };
        let api = instance.bindings.s3drv_storage_driver().walker();
        instance.store.data_mut().start_call();
        let outcome = api
            .call_next_batch(&mut instance.store, *walker, WALK_BATCH)
            .await;
        let trapped = outcome.is_err();
        match flatten(outcome) {
            Ok(batch) if !batch.is_empty() => {
                self.batch.extend(batch.into_iter().map(FileInfo::from));
                Ok(())
            }
            Ok(_) => {
                self.finish().await;
                Ok(())
            }
            Err(e) => {
                if trapped {
                    self.instance = None;
                } else {
                    self.finish().await;
                }
                Err(e)
            }
        }
    }

    /// Do not enter the directory returned by the last [`Walker::next`] (no effect after a
    /// file).
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let mut walker = driver.walk("/", None).await?;
    /// while let Some(entry) = walker.next().await? {
    ///     if entry.is_dir && entry.path.ends_with("/_uploads") {
    ///         walker.skip_directory().await?;
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn skip_directory(&mut self) -> Result<()> {
        if !self.after_directory {
            return Ok(());
        }
        let Some((instance, walker)) = self.instance.as_mut() else {
            return Ok(());
        };
        let api = instance.bindings.s3drv_storage_driver().walker();
        instance.store.data_mut().start_call();
        let outcome = api.call_skip_directory(&mut instance.store, *walker).await;
        if outcome.is_err() {
            self.instance = None;
        }
        outcome.map_err(Error::Component)
    }

    /// Every remaining entry.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let entries = driver.walk("/", None).await?.collect().await?;
    /// # Ok(()) }
    /// ```
    pub async fn collect(mut self) -> Result<Vec<FileInfo>> {
        let mut all = Vec::new();
        while let Some(entry) = self.next().await? {
            all.push(entry);
        }
        Ok(all)
    }

    /// Drops the walker resource and returns the instance to the pool.
    async fn finish(&mut self) {
        let Some((mut instance, walker)) = self.instance.take() else {
            return;
        };
        instance.store.data_mut().start_call();
        if walker
            .resource_drop_async(&mut instance.store)
            .await
            .is_ok()
        {
            self.driver.checkin(instance);
        }
    }
}
