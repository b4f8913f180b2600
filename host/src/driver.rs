//! [`Driver`]: the storage-driver operations as async Rust, each a call on an instance of
//! the driver's [`Pool`].

use std::sync::Arc;
use std::time::Duration;

use crate::engine::Compiled;
use crate::error::Result;
use crate::file_info::FileInfo;
use crate::pool::{Instance, Pool};
use crate::reader::Reader;
use crate::tenant::Tenant;
use crate::walker::Walker;
use crate::writer::Writer;

/// Calls `$method` of the driver resource on a checked-out instance of the driver's pool,
/// through [`Pool::with_instance`] (plain results) or [`Pool::with_resource`] (new resources).
macro_rules! driver_call {
    ($driver:expr, $method:ident $(, $arg:expr)*) => {
        driver_call!(@with_instance $driver, $method $(, $arg)*)
    };
    (@$via:ident $driver:expr, $method:ident $(, $arg:expr)*) => {
        $driver
            .pool
            .$via(async |i: &mut Instance| {
                let api = i.bindings.s3drv_storage_driver().driver();
                api.$method(&mut i.store, i.driver $(, $arg)*).await
            })
            .await
    };
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
    pool: Arc<Pool>,
    warnings: Arc<[String]>,
}

impl Driver {
    /// Opens the driver in a first instance of its pool.
    pub(crate) async fn open(
        compiled: Arc<Compiled>,
        tenant: Tenant,
        params: Vec<(String, String)>,
    ) -> Result<Driver> {
        let (pool, warnings) = Pool::open(compiled, tenant, params).await?;
        Ok(Driver {
            pool: Arc::new(pool),
            warnings: warnings.into(),
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
        &self.warnings
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
        let leased = driver_call!(@with_resource self, call_reader, path, offset)?;
        Reader::open(self.pool.clone(), leased, path).await
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
        let leased = driver_call!(@with_resource self, call_writer, path, append)?;
        Ok(Writer::new(self.pool.clone(), leased))
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
    /// driver.move_path("/uploads/u1/data", "/blobs/sha256/ab/abcd/data").await?;
    /// # Ok(()) }
    /// ```
    pub async fn move_path(&self, source: &str, dest: &str) -> Result<()> {
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
        let leased = driver_call!(@with_resource self, call_walk, path, start_after)?;
        Ok(Walker::new(self.pool.clone(), leased))
    }

    /// Like [`Driver::walk`], sub-trees listed concurrently (with `parallelwalk: true`).
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let everything = driver.walk_parallel("/docker/registry/v2").await?.collect().await?;
    /// # Ok(()) }
    /// ```
    pub async fn walk_parallel(&self, path: &str) -> Result<Walker> {
        let leased = driver_call!(@with_resource self, call_walk_parallel, path)?;
        Ok(Walker::new(self.pool.clone(), leased))
    }
}
