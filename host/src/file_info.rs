//! [`FileInfo`]: what `stat` and `walk` report about a path.

use std::time::{Duration, SystemTime};

use crate::bindings::s3drv::storage::types as wit;

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
