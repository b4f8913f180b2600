//! [`Walker`]: the entries of a walk, taken from the guest in batches.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::file_info::FileInfo;
use crate::pool::{Leased, Pool, flatten};

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
    pool: Arc<Pool>,
    /// `None` once the walk ended (the instance went back to the pool) or failed.
    leased: Option<Leased>,
    /// Entries received and not yet delivered; a batch ends with its first directory.
    batch: VecDeque<FileInfo>,
    /// The entry delivered last is a directory (and so was the last of its batch).
    after_directory: bool,
}

impl Walker {
    pub(crate) fn new(pool: Arc<Pool>, leased: Leased) -> Walker {
        Walker {
            pool,
            leased: Some(leased),
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
        let Some(Leased { instance, resource }) = self.leased.as_mut() else {
            return Ok(());
        };
        let api = instance.bindings.s3drv_storage_driver().walker();
        instance.store.data_mut().start_call();
        let outcome = api
            .call_next_batch(&mut instance.store, *resource, WALK_BATCH)
            .await;
        let trapped = outcome.is_err();
        match flatten(outcome) {
            // More than it was asked for: a component not to be trusted with the instance.
            Ok(batch) if batch.len() > WALK_BATCH as usize => {
                self.leased = None;
                Err(Error::Component(wasmtime::format_err!(
                    "walk: next-batch returned {} entries, asked for at most {WALK_BATCH}",
                    batch.len()
                )))
            }
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
                    self.leased = None;
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
        let Some(Leased { instance, resource }) = self.leased.as_mut() else {
            return Ok(());
        };
        let api = instance.bindings.s3drv_storage_driver().walker();
        instance.store.data_mut().start_call();
        let outcome = api
            .call_skip_directory(&mut instance.store, *resource)
            .await;
        if outcome.is_err() {
            self.leased = None;
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
        if let Some(leased) = self.leased.take() {
            self.pool.release(leased).await;
        }
    }
}
