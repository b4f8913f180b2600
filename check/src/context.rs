//! [`Ctx`]: what one case gets: a driver rooted at a fresh prefix, and the means to open
//! others.

use anyhow::Result;
use s3drv_host::{Driver, Runtime};

use crate::store::Store;

/// What one case gets: a driver rooted at a fresh prefix, and the means to open others.
///
/// ```no_run
/// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_check::Store) -> anyhow::Result<()> {
/// use s3drv_check::Ctx;
/// let ctx = Ctx::new(&runtime, &store, "s3drv-check/run1/mine", false).await?;
/// ctx.driver.put_content("/a", b"x".to_vec()).await?;
/// ctx.driver.delete("/a").await?;
/// # Ok(()) }
/// ```
pub struct Ctx {
    /// The driver of this case (`rootdirectory` = [`Ctx::root`], `chunksize` 5 MiB).
    pub driver: Driver,
    /// The case's root directory in the bucket.
    pub root: String,
    /// The bucket.
    pub store: Store,
    /// The runtime, to open more drivers.
    pub runtime: Runtime,
    /// Full-size cases instead of reduced ones.
    pub large: bool,
}

impl Ctx {
    /// Opens the driver of a case rooted at `root`.
    ///
    /// ```no_run
    /// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_check::Store) -> anyhow::Result<()> {
    /// let ctx = s3drv_check::Ctx::new(&runtime, &store, "s3drv-check/run1/mine", false).await?;
    /// # Ok(()) }
    /// ```
    pub async fn new(runtime: &Runtime, store: &Store, root: &str, large: bool) -> Result<Ctx> {
        let driver = runtime
            .open_for(&store.tenant, store.params(root))
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the driver: {e}"))?;
        Ok(Ctx {
            driver,
            root: root.to_string(),
            store: store.clone(),
            runtime: runtime.clone(),
            large,
        })
    }

    /// A driver on the same bucket with `root` and extra parameters.
    ///
    /// ```no_run
    /// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_check::Store) -> anyhow::Result<()> {
    /// let ctx = s3drv_check::Ctx::new(&runtime, &store, "s3drv-check/run1/walks", false).await?;
    /// let parallel = ctx.open(&ctx.root, &[("parallelwalk", "true")]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn open(&self, root: &str, extra: &[(&str, &str)]) -> Result<Driver> {
        let mut params = self.store.params(root);
        params.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Ok(self.runtime.open_for(&self.store.tenant, params).await?)
    }

    /// The drivers a walk case compares, with whether each walks in parallel: the case's
    /// driver and `parallel`, or the case's alone on a store that does not list keys in S3
    /// order ([`Store::lists_in_key_order`]), where walk-parallel's ranges do not hold.
    pub fn walkers<'a>(&'a self, parallel: &'a Driver) -> Vec<(&'a Driver, bool)> {
        let mut walkers = vec![(&self.driver, false)];
        if self.store.lists_in_key_order {
            walkers.push((parallel, true));
        }
        walkers
    }

    /// The outcome of a case that ended with `result`: as in the reference suites, a case must
    /// leave its root empty; whatever it left is deleted, and the case fails. On a store that
    /// [lists deleted directories](Store::lists_deleted_directories), empty means no key left
    /// below the root (a walk), since its listing still shows the directories of deleted keys.
    ///
    /// ```no_run
    /// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_check::Store) -> anyhow::Result<()> {
    /// use s3drv_check::{Ctx, Outcome};
    /// let ctx = Ctx::new(&runtime, &store, "s3drv-check/run1/mine", false).await?;
    /// let result = ctx.driver.put_content("/left-behind", b"x".to_vec()).await.map_err(Into::into);
    /// // The case left an object: it fails, and the object is deleted.
    /// assert!(matches!(ctx.conclude(result).await, Outcome::Failed(_)));
    /// # Ok(()) }
    /// ```
    pub async fn conclude(&self, result: Result<()>) -> Outcome {
        let cleanup = match self.left_below("/").await {
            Ok(children) if children.is_empty() => None,
            Ok(children) => {
                for child in &children {
                    let _ = self.driver.delete(child).await;
                }
                Some(format!("left {children:?} behind"))
            }
            Err(e) => Some(format!("{e:#}")),
        };
        match (result, cleanup) {
            (Ok(()), None) => Outcome::Passed,
            (Ok(()), Some(problem)) => Outcome::Failed(problem),
            (Err(e), _) => Outcome::Failed(format!("{e:#}")),
        }
    }

    /// What is left below `path`: its children, or on a store that lists deleted
    /// directories, the files a walk finds ([`files_below`](crate::files_below)); none when
    /// `path` is not found.
    pub async fn left_below(&self, path: &str) -> Result<Vec<String>> {
        if self.store.lists_deleted_directories {
            return crate::files_below(&self.driver, path)
                .await
                .map_err(|e| anyhow::anyhow!("walk({path}) after the case failed: {e}"));
        }
        match self.driver.list(path).await {
            Err(s3drv_host::Error::PathNotFound(_)) => Ok(Vec::new()),
            listed => {
                listed.map_err(|e| anyhow::anyhow!("list({path}) after the case failed: {e}"))
            }
        }
    }
}

/// How a case ended.
///
/// ```no_run
/// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_check::Store) -> anyhow::Result<()> {
/// use s3drv_check::{self as check, Outcome};
/// for case in check::cases() {
///     match check::run_case(&case, &runtime, &store, &format!("run1/{}", case.name), false).await {
///         Outcome::Passed => println!("{} ok", case.name),
///         Outcome::Failed(why) => println!("{} FAILED: {why}", case.name),
///         Outcome::NotApplicable(why) => println!("{} n/a ({why})", case.name),
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It passed and left nothing behind.
    Passed,
    /// It failed; why.
    Failed(String),
    /// It does not apply to this store; why.
    NotApplicable(&'static str),
}
