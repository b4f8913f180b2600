//! The harness: every [`Case`], when it applies ([`Needs`]), and how one is run
//! ([`run_case`]) within [`CASE_TIMEOUT`], leaving its prefix empty.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use anyhow::Result;
use s3drv_host::{Error, Runtime};

use crate::context::{Ctx, Outcome};
use crate::store::Store;
use crate::{content, delete, list, moves, walk, writer};

/// A case that runs longer than this failed.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(900);

/// A boxed case future.
///
/// ```no_run
/// # fn demo() -> Result<(), ()> {
/// use s3drv_check::{CaseFuture, Ctx};
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
/// use s3drv_check::{Needs, Store};
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
    /// A server listing keys in S3 order, `StartAfter` included (walk-parallel's ranges
    /// and the walk's start-after hint rely on it).
    KeyOrderListings,
}

impl Needs {
    /// `Err(why)` when a case with these needs does not apply to `store`.
    ///
    /// ```
    /// use s3drv_check::{Needs, Store};
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
            Needs::KeyOrderListings if !store.lists_in_key_order => Err(
                "the server does not list keys in S3 order (StartAfter skips a directory of that name)",
            ),
            _ => Ok(()),
        }
    }
}

/// One test case.
///
/// ```no_run
/// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_check::Store) -> anyhow::Result<()> {
/// let case = s3drv_check::cases().into_iter().find(|c| c.name == "write_read").expect("the case");
/// let outcome = s3drv_check::run_case(&case, &runtime, &store, "run1/write_read", false).await;
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
/// let cases = s3drv_check::cases();
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
        case!(list::list),
        case!(list::list_1200_files),
        case!(list::list_overlapping_paths),
        case!(list::list_unprefixed, Needs::WholeBucket),
        case!(walk::list_objects_v2),
        case!(list::stat_call),
        case!(moves::move_content),
        case!(moves::move_overwrite),
        case!(moves::move_nonexistent),
        case!(moves::move_invalid),
        case!(moves::move_onto_itself),
        case!(moves::move_keeps_keys_below_the_source),
        case!(moves::move_with_multipart_copy),
        case!(delete::delete),
        case!(delete::delete_nonexistent),
        case!(delete::delete_folder),
        case!(delete::delete_only_deletes_subpaths),
        case!(delete::delete_table),
        case!(delete::delete_file_equal_folder_file_name),
        case!(delete::over_thousand_blobs),
        case!(delete::delete_files),
        case!(delete::delete_files_not_found),
        case!(delete::create_list_delete_tight_loop),
        case!(walk::walk_table, Needs::KeyOrderListings),
        case!(walk::walk_skip_dir),
        case!(walk::walk_error_path_not_found),
        case!(walk::walk_overlapping_paths),
        case!(walk::walk_parallel_matches_walk, Needs::KeyOrderListings),
    ]
}

/// Runs `case` in a driver rooted at `root` (which should be fresh), within [`CASE_TIMEOUT`],
/// and cleans up after it.
///
/// ```no_run
/// # async fn demo(runtime: s3drv_host::Runtime) -> Result<(), ()> {
/// use s3drv_check::{self as check, Outcome, Store};
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
/// # async fn demo(runtime: s3drv_host::Runtime, store: s3drv_check::Store) -> anyhow::Result<()> {
/// use s3drv_check::{Ctx, within_case_timeout};
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
/// use s3drv_check::{self as check, Store};
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

/// Whether delimited listings of the server of `store` show the directories of deleted keys
/// ([`Store::lists_deleted_directories`]): writes `dir/file` under `root`, deletes it, and
/// lists `root`. `false` when the probe cannot write (the cases will say why).
///
/// ```no_run
/// # async fn demo(runtime: s3drv_host::Runtime, params: Vec<(String, String)>) -> Result<(), ()> {
/// use s3drv_check::{self as check, Store};
/// let mut store = Store::new(params);
/// store.lists_deleted_directories =
///     check::probe_deleted_directories(&runtime, &store, "s3drv-check/probe").await;
/// # Ok(()) }
/// ```
pub async fn probe_deleted_directories(runtime: &Runtime, store: &Store, root: &str) -> bool {
    let Ok(driver) = runtime.open_for(&store.tenant, store.params(root)).await else {
        return false;
    };
    if driver
        .put_content("/dir/file", b"x".to_vec())
        .await
        .is_err()
    {
        return false;
    }
    driver.delete("/dir/file").await.is_ok()
        && driver.list("/").await.is_ok_and(|left| !left.is_empty())
}

/// Whether the server of `store` lists keys in S3 order ([`Store::lists_in_key_order`]):
/// writes `d/f` and `d-x/f` under `root`, walks `root` (`d-x/f` sorts first: `-` is before
/// `/`), and deletes both. `true` when the probe cannot tell (the cases will say why).
///
/// ```no_run
/// # async fn demo(runtime: s3drv_host::Runtime, params: Vec<(String, String)>) -> Result<(), ()> {
/// use s3drv_check::{self as check, Store};
/// let mut store = Store::new(params);
/// store.lists_in_key_order = check::probe_key_order(&runtime, &store, "s3drv-check/order").await;
/// # Ok(()) }
/// ```
pub async fn probe_key_order(runtime: &Runtime, store: &Store, root: &str) -> bool {
    let Ok(driver) = runtime.open_for(&store.tenant, store.params(root)).await else {
        return true;
    };
    let files = ["/d/f".to_string(), "/d-x/f".to_string()];
    for file in &files {
        if driver.put_content(file, b"x".to_vec()).await.is_err() {
            return true;
        }
    }
    let first = match driver.walk("/", None).await {
        Ok(walker) => walker
            .collect()
            .await
            .ok()
            .and_then(|e| e.into_iter().next()),
        Err(_) => None,
    };
    let _ = driver.delete_files(&files).await;
    first.is_none_or(|entry| entry.path == "/d-x")
}
