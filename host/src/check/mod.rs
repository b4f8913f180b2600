//! The storage-driver conformance cases, as a library: distribution's and GitLab's driver test
//! cases, ported to run through the component against any S3 bucket.
//!
//! `s3drv check` runs them against an operator's bucket; the `s3drv-tests` crate runs them
//! (plus cases that need its own servers) against Garage and moto. Every case gets a driver
//! rooted at its own fresh prefix and must leave that prefix empty.
//!
//! ```no_run
//! # async fn demo(runtime: s3drv_host::Runtime) {
//! use s3drv_host::check::{self, Store};
//! let store = Store::new(vec![("bucket".into(), "registry".into())]);
//! for case in check::cases() {
//!     let outcome = check::run_case(&case, &runtime, &store, "s3drv-check/run1", false).await;
//!     println!("{} {outcome:?}", case.name);
//! }
//! # }
//! ```

mod content;
mod tree;
mod writer;

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use anyhow::{Result, bail, ensure};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{Driver, Error, Runtime, Tenant};

/// A case that runs longer than this failed.
///
/// ```
/// assert_eq!(s3drv_host::check::CASE_TIMEOUT.as_secs(), 15 * 60);
/// ```
pub const CASE_TIMEOUT: Duration = Duration::from_secs(900);

/// The bucket the cases run against, and what is known about its server.
///
/// ```no_run
/// # fn demo() -> Result<(), ()> {
/// use s3drv_host::check::Store;
/// let params = s3drv_host::config_file::read("registry.yml".as_ref()).expect("a configuration");
/// let store = Store { verifies_signatures: true, ..Store::new(params) };
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Store {
    /// The driver parameters of the bucket (a `rootdirectory` or `chunksize` in them is replaced
    /// per case, see [`Store::params`]).
    pub params: Vec<(String, String)>,
    /// Whose grants (environment, CA bundle, instance metadata) the drivers get.
    pub tenant: Tenant,
    /// The server refuses a wrong signature (see [`probe_signature_checks`]).
    pub verifies_signatures: bool,
    /// The server stores 10 GiB objects (needed by the `--large` upload-limit case).
    pub stores_huge_objects: bool,
    /// Cases may write at the bucket's root, outside any prefix (a throwaway test bucket).
    pub whole_bucket: bool,
}

impl Store {
    /// A store with `params`, the default tenant, and nothing assumed about the server.
    ///
    /// ```
    /// let store = s3drv_host::check::Store::new(vec![("bucket".into(), "registry".into())]);
    /// assert!(!store.verifies_signatures && !store.whole_bucket);
    /// ```
    pub fn new(params: Vec<(String, String)>) -> Self {
        Store {
            params,
            tenant: Tenant::default(),
            verifies_signatures: false,
            stores_huge_objects: false,
            whole_bucket: false,
        }
    }

    /// Driver parameters rooted at `root`, with `chunksize` 5 MiB (the cases' sizes assume it).
    ///
    /// ```
    /// let store = s3drv_host::check::Store::new(vec![("bucket".into(), "registry".into())]);
    /// let params = store.params("s3drv-check/run1/write_read");
    /// assert!(params.contains(&("rootdirectory".into(), "s3drv-check/run1/write_read".into())));
    /// assert!(params.contains(&("chunksize".into(), "5242880".into())));
    /// ```
    pub fn params(&self, root: &str) -> Vec<(String, String)> {
        let mut params: Vec<(String, String)> = self
            .params
            .iter()
            .filter(|(k, _)| {
                !k.eq_ignore_ascii_case("rootdirectory") && !k.eq_ignore_ascii_case("chunksize")
            })
            .cloned()
            .collect();
        params.push(("rootdirectory".into(), root.into()));
        params.push(("chunksize".into(), "5242880".into()));
        params
    }
}

/// What one case gets: a driver rooted at a fresh prefix, and the means to open others.
///
/// ```no_run
/// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_host::check::Store) -> anyhow::Result<()> {
/// use s3drv_host::check::Ctx;
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
    /// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_host::check::Store) -> anyhow::Result<()> {
    /// let ctx = s3drv_host::check::Ctx::new(&runtime, &store, "s3drv-check/run1/mine", false).await?;
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
    /// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_host::check::Store) -> anyhow::Result<()> {
    /// let ctx = s3drv_host::check::Ctx::new(&runtime, &store, "s3drv-check/run1/walks", false).await?;
    /// let parallel = ctx.open(&ctx.root, &[("parallelwalk", "true")]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn open(&self, root: &str, extra: &[(&str, &str)]) -> Result<Driver> {
        let mut params = self.store.params(root);
        params.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Ok(self.runtime.open_for(&self.store.tenant, params).await?)
    }

    /// The outcome of a case that ended with `result`: as in the reference suites, a case must
    /// leave its root empty; whatever it left is deleted, and the case fails.
    ///
    /// ```no_run
    /// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_host::check::Store) -> anyhow::Result<()> {
    /// use s3drv_host::check::{Ctx, Outcome};
    /// let ctx = Ctx::new(&runtime, &store, "s3drv-check/run1/mine", false).await?;
    /// let result = ctx.driver.put_content("/left-behind", b"x".to_vec()).await.map_err(Into::into);
    /// // The case left an object: it fails, and the object is deleted.
    /// assert!(matches!(ctx.conclude(result).await, Outcome::Failed(_)));
    /// # Ok(()) }
    /// ```
    pub async fn conclude(&self, result: Result<()>) -> Outcome {
        let cleanup = match self.driver.list("/").await {
            Ok(children) if children.is_empty() => None,
            Ok(children) => {
                for child in &children {
                    let _ = self.driver.delete(child).await;
                }
                Some(format!("left {children:?} behind"))
            }
            Err(e) => Some(format!("list(/) after the case failed: {e}")),
        };
        match (result, cleanup) {
            (Ok(()), None) => Outcome::Passed,
            (Ok(()), Some(problem)) => Outcome::Failed(problem),
            (Err(e), _) => Outcome::Failed(format!("{e:#}")),
        }
    }
}

/// How a case ended.
///
/// ```no_run
/// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_host::check::Store) -> anyhow::Result<()> {
/// use s3drv_host::check::{self, Outcome};
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

/// A boxed case future.
///
/// ```no_run
/// # fn demo() -> Result<(), ()> {
/// use s3drv_host::check::{CaseFuture, Ctx};
/// async fn my_case(c: &Ctx) -> anyhow::Result<()> {
///     c.driver.put_content("/mine", b"x".to_vec()).await?;
///     Ok(c.driver.delete("/mine").await?)
/// }
/// fn boxed(c: &Ctx) -> CaseFuture<'_> {
///     Box::pin(my_case(c))
/// }
/// # Ok(()) }
/// ```
pub type CaseFuture<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// When a case applies.
///
/// ```
/// use s3drv_host::check::{Needs, Store};
/// let store = Store::new(Vec::new());
/// assert!(Needs::Nothing.applies(&store, false).is_ok());
/// assert!(Needs::WholeBucket.applies(&store, false).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Any bucket.
    Nothing,
    /// A server that verifies signatures.
    SignatureChecks,
    /// Full-size runs only, on a server that stores 10 GiB objects.
    LargeHugeObjects,
    /// A throwaway bucket: the case writes at the bucket's root.
    WholeBucket,
}

impl Needs {
    /// `Err(why)` when a case with these needs does not apply to `store`.
    ///
    /// ```
    /// use s3drv_host::check::{Needs, Store};
    /// let store = Store { stores_huge_objects: true, ..Store::new(Vec::new()) };
    /// assert_eq!(Needs::LargeHugeObjects.applies(&store, false), Err("full size only (--large)"));
    /// assert!(Needs::LargeHugeObjects.applies(&store, true).is_ok());
    /// ```
    pub fn applies(self, store: &Store, large: bool) -> Result<(), &'static str> {
        match self {
            Needs::SignatureChecks if !store.verifies_signatures => {
                Err("the server does not verify signatures")
            }
            Needs::LargeHugeObjects if !large => Err("full size only (--large)"),
            Needs::LargeHugeObjects if !store.stores_huge_objects => {
                Err("the server keeps objects in memory")
            }
            Needs::WholeBucket if !store.whole_bucket => {
                Err("writes at the bucket's root, outside the check's prefix")
            }
            _ => Ok(()),
        }
    }
}

/// One test case.
///
/// ```no_run
/// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_host::check::Store) -> anyhow::Result<()> {
/// let case = s3drv_host::check::cases().into_iter().find(|c| c.name == "write_read").expect("the case");
/// let outcome = s3drv_host::check::run_case(&case, &runtime, &store, "run1/write_read", false).await;
/// # Ok(()) }
/// ```
pub struct Case {
    /// `reference_name`: the name of the distribution / GitLab test it ports.
    pub name: &'static str,
    /// What the store must offer for the case to mean anything.
    pub needs: Needs,
    /// The case.
    pub run: for<'a> fn(&'a Ctx) -> CaseFuture<'a>,
}

macro_rules! case {
    ($module:ident :: $name:ident) => {
        case!($module::$name, Needs::Nothing)
    };
    ($module:ident :: $name:ident, $needs:expr) => {
        Case {
            name: stringify!($name),
            needs: $needs,
            run: |c| Box::pin($module::$name(c)),
        }
    };
}

/// Every case, in the order they run.
///
/// ```
/// let cases = s3drv_host::check::cases();
/// assert!(cases.iter().any(|c| c.name == "continue_stream_append_large"));
/// ```
pub fn cases() -> Vec<Case> {
    vec![
        case!(content::root_exists),
        case!(content::valid_paths),
        case!(content::invalid_paths),
        case!(content::write_read),
        case!(content::truncate),
        case!(content::read_nonexistent),
        case!(content::write_read_streams),
        case!(content::write_read_large_stream),
        case!(content::reader_with_offset),
        case!(content::read_nonexistent_stream),
        case!(content::put_content_multiple_times),
        case!(content::put_content_zero_size_file),
        case!(content::concurrent_stream_reads),
        case!(content::url_for),
        case!(content::redirect_url),
        case!(writer::continue_stream_append_large),
        case!(writer::continue_stream_append_uneven),
        case!(writer::continue_stream_append_small),
        case!(writer::flush_object_twice_chunk_size),
        case!(writer::write_zero_byte_stream_then_append),
        case!(writer::write_zero_byte_content_then_append),
        case!(writer::continue_append_zero_size_blob),
        case!(writer::zero_byte_blob_upload_session),
        case!(writer::append_inexistent_blob),
        case!(writer::append_to_committed_content),
        case!(writer::writer_state_transitions),
        case!(writer::writer_cancel),
        case!(writer::concurrent_write_causes_error),
        case!(writer::concurrent_file_streams),
        case!(writer::write_read_small_stream),
        case!(writer::max_upload_size, Needs::LargeHugeObjects),
        case!(tree::list),
        case!(tree::list_1200_files),
        case!(tree::list_overlapping_paths),
        case!(tree::list_unprefixed, Needs::WholeBucket),
        case!(tree::list_objects_v2),
        case!(tree::stat_call),
        case!(tree::move_content),
        case!(tree::move_overwrite),
        case!(tree::move_nonexistent),
        case!(tree::move_invalid),
        case!(tree::move_onto_itself),
        case!(tree::move_with_multipart_copy),
        case!(tree::delete),
        case!(tree::delete_nonexistent),
        case!(tree::delete_folder),
        case!(tree::delete_only_deletes_subpaths),
        case!(tree::delete_table),
        case!(tree::delete_file_equal_folder_file_name),
        case!(tree::over_thousand_blobs),
        case!(tree::delete_files),
        case!(tree::delete_files_not_found),
        case!(tree::create_list_delete_tight_loop),
        case!(tree::walk_table),
        case!(tree::walk_skip_dir),
        case!(tree::walk_error_path_not_found),
        case!(tree::walk_overlapping_paths),
        case!(tree::walk_parallel_matches_walk),
    ]
}

/// Runs `case` in a driver rooted at `root` (which should be fresh), within [`CASE_TIMEOUT`],
/// and cleans up after it.
///
/// ```no_run
/// # async fn demo(runtime: s3drv_host::Runtime) -> Result<(), ()> {
/// use s3drv_host::check::{self, Outcome, Store};
/// let store = Store::new(vec![("bucket".into(), "registry".into())]);
/// for case in check::cases() {
///     let root = format!("s3drv-check/{}", case.name);
///     if let Outcome::Failed(why) = check::run_case(&case, &runtime, &store, &root, false).await {
///         eprintln!("{}: {why}", case.name);
///     }
/// }
/// # Ok(()) }
/// ```
pub async fn run_case(
    case: &Case,
    runtime: &Runtime,
    store: &Store,
    root: &str,
    large: bool,
) -> Outcome {
    if let Err(why) = case.needs.applies(store, large) {
        return Outcome::NotApplicable(why);
    }
    let ctx = match Ctx::new(runtime, store, root, large).await {
        Ok(ctx) => ctx,
        Err(e) => return Outcome::Failed(format!("{e:#}")),
    };
    let result = within_case_timeout((case.run)(&ctx)).await;
    ctx.conclude(result).await
}

/// `case`, failed when it runs longer than [`CASE_TIMEOUT`].
///
/// ```no_run
/// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_host::check::Store) -> anyhow::Result<()> {
/// use s3drv_host::check::{Ctx, within_case_timeout};
/// let ctx = Ctx::new(&runtime, &store, "run1/mine", false).await?;
/// let result = within_case_timeout(Box::pin(async { Ok(()) })).await;
/// let outcome = ctx.conclude(result).await;
/// # Ok(()) }
/// ```
pub async fn within_case_timeout(case: CaseFuture<'_>) -> Result<()> {
    match tokio::time::timeout(CASE_TIMEOUT, case).await {
        Ok(result) => result,
        Err(_) => Err(anyhow::anyhow!("timed out after {CASE_TIMEOUT:?}")),
    }
}

/// Whether the server of `store` refuses a request signed with a wrong secret key: stats the
/// root of `root` with the last character of `secretkey` changed. `false` when the store has
/// no static `secretkey` (nothing to alter).
///
/// ```no_run
/// # async fn demo(runtime: s3drv_host::Runtime, params: Vec<(String, String)>) -> Result<(), ()> {
/// use s3drv_host::check::{self, Store};
/// let mut store = Store::new(params);
/// store.verifies_signatures = check::probe_signature_checks(&runtime, &store, "s3drv-check").await;
/// # Ok(()) }
/// ```
pub async fn probe_signature_checks(runtime: &Runtime, store: &Store, root: &str) -> bool {
    let mut params = store.params(root);
    let Some((_, secret)) = params
        .iter_mut()
        .rfind(|(k, _)| k.eq_ignore_ascii_case("secretkey"))
    else {
        return false;
    };
    let last = if secret.ends_with('A') { 'B' } else { 'A' };
    secret.pop();
    secret.push(last);
    params.push(("maxretries".into(), "0".into()));
    let Ok(driver) = runtime.open_for(&store.tenant, params).await else {
        return false;
    };
    matches!(
        driver.stat("/").await,
        Err(Error::Backend(ref e)) if e.status == Some(403)
    )
}

/// Deterministic pseudo-random bytes.
///
/// ```
/// use s3drv_host::check::random_bytes;
/// assert_eq!(random_bytes(64, 7), random_bytes(64, 7));
/// assert_ne!(random_bytes(64, 7), random_bytes(64, 8));
/// ```
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut data = vec![0u8; len];
    rng.fill(&mut data[..]);
    data
}

/// A random path component of `[a-z0-9]`.
///
/// ```
/// let name = s3drv_host::check::random_name(12);
/// assert!(name.len() == 12 && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
/// ```
pub fn random_name(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// SHA-256 of `data`, hex.
///
/// ```
/// assert_eq!(
///     s3drv_host::check::sha256(b""),
///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// );
/// ```
pub fn sha256(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

/// Writes `data` through a new writer in `piece`-sized writes and commits.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// let blob = s3drv_host::check::random_bytes(12 << 20, 1);
/// s3drv_host::check::write_stream(&driver, "/blob", &blob, 1 << 20).await?;
/// # Ok(()) }
/// ```
pub async fn write_stream(driver: &Driver, path: &str, data: &[u8], piece: usize) -> Result<()> {
    let mut writer = driver.writer(path, false).await?;
    for chunk in data.chunks(piece.max(1)) {
        writer.write_all(chunk).await?;
    }
    let size = writer.size().await?;
    if size != data.len() as u64 {
        bail!("writer size {size} before commit, expected {}", data.len());
    }
    writer.commit().await?;
    Ok(())
}

/// Reads `path` from `offset` to the end through a reader.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// let tail = s3drv_host::check::read_stream(&driver, "/blob", 1 << 20).await?;
/// # Ok(()) }
/// ```
pub async fn read_stream(driver: &Driver, path: &str, offset: i64) -> Result<Vec<u8>> {
    let mut content = Vec::new();
    driver
        .reader(path, offset)
        .await?
        .read_to_end(&mut content)
        .await?;
    Ok(content)
}

/// Fails unless `data` equals `expected`, comparing SHA-256 digests for large data.
///
/// ```
/// use s3drv_host::check::same_bytes;
/// assert!(same_bytes("read back", b"abc", b"abc").is_ok());
/// assert!(same_bytes("read back", b"abc", b"abd").is_err());
/// ```
pub fn same_bytes(what: &str, data: &[u8], expected: &[u8]) -> Result<()> {
    if data.len() != expected.len() || sha256(data) != sha256(expected) {
        bail!(
            "{what}: got {} bytes (sha256 {}), expected {} bytes (sha256 {})",
            data.len(),
            sha256(data),
            expected.len(),
            sha256(expected)
        );
    }
    Ok(())
}

/// Fails unless `result` is `path-not-found` for exactly `path`, displayed with the driver name.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// s3drv_host::check::expect_not_found(driver.stat("/missing").await, "/missing")?;
/// # Ok(()) }
/// ```
pub fn expect_not_found<T: std::fmt::Debug>(result: Result<T, Error>, path: &str) -> Result<()> {
    match result {
        Err(Error::PathNotFound(p)) if p == path => {
            let text = Error::PathNotFound(p).to_string();
            if !text.starts_with("s3aws: ") {
                bail!("error text {text:?} does not start with the driver name");
            }
            Ok(())
        }
        other => bail!("expected path-not-found for {path}, got {other:?}"),
    }
}

/// Fails unless `result` is `invalid-path` for `path`.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// s3drv_host::check::expect_invalid_path(driver.stat("/bad path").await, "/bad path")?;
/// # Ok(()) }
/// ```
pub fn expect_invalid_path<T: std::fmt::Debug>(result: Result<T, Error>, path: &str) -> Result<()> {
    match result {
        Err(Error::InvalidPath(p)) if p == path => Ok(()),
        other => bail!("expected invalid-path for {path:?}, got {other:?}"),
    }
}

/// Every entry of a walk (or walk-parallel) from `from`, as `(path, is_dir)`; an entry
/// reported twice is an error.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// let entries = s3drv_host::check::walk_set(&driver, "/", false).await?;
/// assert!(entries.contains(&("/blob".to_string(), false)));
/// # Ok(()) }
/// ```
pub async fn walk_set(
    driver: &Driver,
    from: &str,
    parallel: bool,
) -> Result<BTreeSet<(String, bool)>> {
    let walker = if parallel {
        driver.walk_parallel(from).await?
    } else {
        driver.walk(from, None).await?
    };
    let mut entries = BTreeSet::new();
    for entry in walker.collect().await? {
        let what = if entry.is_dir { "directory" } else { "file" };
        ensure!(
            entries.insert((entry.path.clone(), entry.is_dir)),
            "the walk of {from} reported the {what} {} twice",
            entry.path
        );
    }
    Ok(entries)
}

/// `paths`, sorted.
///
/// ```
/// let paths = vec!["/b".to_string(), "/a".to_string()];
/// assert_eq!(s3drv_host::check::sorted(paths), ["/a", "/b"]);
/// ```
pub fn sorted(mut paths: Vec<String>) -> Vec<String> {
    paths.sort();
    paths
}

/// An answer to a plain (unsigned) HTTP request: status, body, `content-length`.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// let url = driver.url_for("/blob", "HEAD", None).await?;
/// let fetched: s3drv_host::check::Fetched = s3drv_host::check::fetch("HEAD", &url).await?;
/// println!("{} {:?}", fetched.status, fetched.length);
/// # Ok(()) }
/// ```
pub struct Fetched {
    /// HTTP status.
    pub status: u16,
    /// The body (empty for HEAD).
    pub body: Vec<u8>,
    /// The `content-length` header.
    pub length: Option<String>,
}

/// Sends `method` (GET or HEAD) to `url`, as a browser or `curl` given a presigned URL would.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> anyhow::Result<()> {
/// let url = driver.url_for("/blob", "GET", None).await?;
/// let answer = s3drv_host::check::fetch("GET", &url).await?;
/// assert_eq!(answer.status, 200);
/// # Ok(()) }
/// ```
pub async fn fetch(method: &str, url: &str) -> Result<Fetched> {
    let tls = crate::outbound::tls::client_config(false, None)?;
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Empty<Bytes>>(connector);
    let request = http::Request::builder()
        .method(method)
        .uri(url)
        .body(Empty::new())?;
    let response = client.request(request).await?;
    let status = response.status().as_u16();
    let length = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let body = response.into_body().collect().await?.to_bytes().to_vec();
    Ok(Fetched {
        status,
        body,
        length,
    })
}
