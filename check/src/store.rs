//! [`Store`]: the bucket the cases run against, and what is known about its server.

use s3drv_host::Tenant;

/// The bucket the cases run against, and what is known about its server.
///
/// ```no_run
/// # fn demo() -> Result<(), ()> {
/// use s3drv_check::Store;
/// let params = vec![
///     ("bucket".to_string(), "registry".to_string()),
///     ("regionendpoint".to_string(), "http://127.0.0.1:3900".to_string()),
/// ];
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
    /// The server refuses a wrong signature (see [`probe_signature_checks`](crate::probe_signature_checks)).
    pub verifies_signatures: bool,
    /// The server stores 10 GiB objects (needed by the `--large` upload-limit case).
    pub stores_huge_objects: bool,
    /// Cases may write at the bucket's root, outside any prefix (a throwaway test bucket).
    pub whole_bucket: bool,
    /// Delimited listings keep showing the directories of deleted keys for a while
    /// (SeaweedFS removes an empty directory minutes after its last key): a case's root then
    /// counts as empty when no key is left below it (see [`probe_deleted_directories`](crate::probe_deleted_directories)).
    pub lists_deleted_directories: bool,
    /// The server lists keys in S3 order: byte order, and `StartAfter` compares keys as
    /// strings. SeaweedFS lists its directory tree (`a/` before `a-b/`) and skips a whole
    /// directory named by `StartAfter`, so walk-parallel is not run against it (see
    /// [`probe_key_order`](crate::probe_key_order)).
    pub lists_in_key_order: bool,
}

impl Store {
    /// A store with `params`, the default tenant, and nothing assumed about the server.
    ///
    /// ```
    /// let store = s3drv_check::Store::new(vec![("bucket".into(), "registry".into())]);
    /// assert!(!store.verifies_signatures && !store.whole_bucket);
    /// ```
    pub fn new(params: Vec<(String, String)>) -> Self {
        Store {
            params,
            tenant: Tenant::default(),
            verifies_signatures: false,
            stores_huge_objects: false,
            whole_bucket: false,
            lists_deleted_directories: false,
            lists_in_key_order: true,
        }
    }

    /// Driver parameters rooted at `root`, with `chunksize` 5 MiB (the cases' sizes assume it).
    ///
    /// ```
    /// let store = s3drv_check::Store::new(vec![("bucket".into(), "registry".into())]);
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
