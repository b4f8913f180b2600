//! [`FileInfo`]: what `stat` and `walk` report about a path.

use std::time::SystemTime;

/// What `stat` and `walk` report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Registry path.
    pub path: String,
    /// Size in bytes (0 for directories).
    pub size: u64,
    /// Modification time of a file.
    pub modified: Option<SystemTime>,
    /// Directory or file.
    pub is_dir: bool,
}

impl FileInfo {
    /// A directory entry.
    pub fn dir(path: String) -> Self {
        FileInfo {
            path,
            size: 0,
            modified: None,
            is_dir: true,
        }
    }
}
