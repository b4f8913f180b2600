//! [`Cursor`]: a flat listing of one range of a tree's keys, in S3 key order, emitting every
//! directory between the last one it emitted and the next file before that file.

use crate::error::Result;
use crate::http::parse_time;
use crate::path::{self, KeyMapper};
use crate::s3::file_info::FileInfo;
use crate::s3::list::{ListRequest, next_token};
use crate::s3::xml::ListBucketResult;

/// A flat listing of the keys below `root` after `request.start_after`, up to `end`.
#[derive(Debug)]
pub(super) struct Cursor {
    pub(super) root: String,
    pub(super) request: ListRequest,
    /// The last key of this cursor's range (`None`: to the end of the tree).
    pub(super) end: Option<String>,
    /// The directory of the last entry.
    pub(super) previous_dir: String,
    /// Entries under this directory are not delivered.
    pub(super) skipped: Option<String>,
    pub(super) done: bool,
}

impl Cursor {
    pub(super) fn new(
        keys: &KeyMapper,
        root: &str,
        start_after: Option<String>,
        end: Option<String>,
    ) -> Cursor {
        Cursor {
            root: root.to_string(),
            request: ListRequest {
                prefix: keys.dir_prefix(root),
                start_after,
                ..Default::default()
            },
            end,
            previous_dir: root.to_string(),
            skipped: None,
            done: false,
        }
    }

    /// Turns one page into entries and moves the cursor on.
    pub(super) fn consume(
        &mut self,
        keys: &KeyMapper,
        page: ListBucketResult,
        out: &mut Vec<FileInfo>,
    ) -> Result<()> {
        for object in &page.contents {
            if self.end.as_ref().is_some_and(|end| object.key > *end) {
                self.done = true;
                return Ok(());
            }
            let Some(path) = keys.path(&object.key) else {
                continue;
            };
            // A directory marker (`dir/`) names a directory, never a file with an empty name.
            let (dir, file) = match path.strip_suffix('/') {
                Some(dir) => (dir.to_string(), None),
                None => (parent(&path).to_string(), Some(path)),
            };
            self.enter(&dir, out);
            if let Some(path) = file {
                out.push(FileInfo {
                    path,
                    size: object.size,
                    modified: parse_time(&object.last_modified),
                    is_dir: false,
                });
            }
        }
        match next_token(&page)? {
            Some(token) => self.request.continuation = Some(token),
            None => self.done = true,
        }
        Ok(())
    }

    /// Emits the directories from the common ancestor of the previous directory down to `dir`.
    pub(super) fn enter(&mut self, dir: &str, out: &mut Vec<FileInfo>) {
        if dir == self.previous_dir || !path::is_under(dir, &self.root) {
            return;
        }
        let previous = std::mem::replace(&mut self.previous_dir, dir.to_string());
        let mut ancestor = previous.as_str();
        while !path::is_under(dir, ancestor) {
            ancestor = parent(ancestor);
        }
        if dir == ancestor {
            // Back up in an ancestor that was emitted already (or is the root).
            return;
        }
        let start = if ancestor == "/" { 0 } else { ancestor.len() };
        let below = &dir[start..];
        for (i, _) in below.match_indices('/').skip(1).chain([(below.len(), "")]) {
            out.push(FileInfo::dir(dir[..start + i].to_string()));
        }
    }
}

pub(super) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}
