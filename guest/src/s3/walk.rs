//! walk and walk-parallel: flat listings (no delimiter) with directories inferred from keys.
//!
//! A [`Cursor`] walks one sub-tree in S3 key order, emitting every directory between the last
//! one it emitted and the next file before that file. `walk` is one cursor over the whole
//! tree; `walk-parallel` lists the first level with a delimiter and then advances one cursor
//! per sub-directory, several listing requests in flight at a time. Each cursor's entries are
//! contiguous in its own order, so each keeps its own "skipped directory".

use std::collections::VecDeque;

use super::list::{ListRequest, list_page, next_token};
use super::object::FileInfo;
use super::xml::ListBucketResult;
use super::{S3Client, Transport, parse_time};
use crate::error::{Error, Result};
use crate::path::{self, KeyMapper};

/// Listing requests in flight at most during walk-parallel.
const PARALLEL_LISTINGS: usize = 8;

/// A flat listing of the sub-tree below `root`.
#[derive(Debug)]
struct Cursor {
    root: String,
    request: ListRequest,
    /// The directory of the last entry.
    previous_dir: String,
    /// Entries under this directory are not delivered.
    skipped: Option<String>,
    done: bool,
}

impl Cursor {
    fn new(keys: &KeyMapper, root: &str, start_after: Option<String>) -> Cursor {
        Cursor {
            root: root.to_string(),
            request: ListRequest {
                prefix: keys.dir_prefix(root),
                start_after,
                ..Default::default()
            },
            previous_dir: root.to_string(),
            skipped: None,
            done: false,
        }
    }

    /// Turns one page into entries and moves the cursor on.
    fn consume(
        &mut self,
        keys: &KeyMapper,
        page: ListBucketResult,
        out: &mut Vec<FileInfo>,
    ) -> Result<()> {
        for object in &page.contents {
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
    fn enter(&mut self, dir: &str, out: &mut Vec<FileInfo>) {
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

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Which cursor an entry came from; `None` for the first level of walk-parallel.
type Origin = Option<usize>;

/// The entries of a walk, fetched page by page as the caller asks for them.
#[derive(Debug)]
pub struct Walker {
    cursors: Vec<Cursor>,
    ready: VecDeque<(Origin, FileInfo)>,
    /// The origin and path of the last directory delivered.
    last_dir: Option<(Origin, String)>,
    in_flight: usize,
}

impl Walker {
    /// walk: one flat listing of everything below `from`.
    pub fn walk<T: Transport>(
        s3: &S3Client<T>,
        from: &str,
        start_after: Option<&str>,
    ) -> Result<Walker> {
        path::check_or_root(from)?;
        if let Some(hint) = start_after {
            path::check(hint)?;
        }
        let cursor = Cursor::new(&s3.config.keys, from, start_after.map(|h| s3.key(h)));
        let mut walker = Walker {
            cursors: vec![cursor],
            ready: VecDeque::new(),
            last_dir: None,
            in_flight: 1,
        };
        walker.fill(s3)?;
        if start_after.is_none() && walker.ready.is_empty() {
            return Err(Error::PathNotFound(from.to_string()));
        }
        Ok(walker)
    }

    /// walk-parallel: the first level of `from`, then one cursor per sub-directory.
    pub fn walk_parallel<T: Transport>(s3: &S3Client<T>, from: &str) -> Result<Walker> {
        if !s3.config.parallel_walk {
            return Walker::walk(s3, from, None);
        }
        path::check_or_root(from)?;
        let keys = &s3.config.keys;
        let prefix = keys.dir_prefix(from);
        let mut request = ListRequest {
            prefix: prefix.clone(),
            delimited: true,
            ..Default::default()
        };
        let mut walker = Walker {
            cursors: Vec::new(),
            ready: VecDeque::new(),
            last_dir: None,
            in_flight: PARALLEL_LISTINGS,
        };
        loop {
            let page = list_page(s3, &request)?;
            for object in page.contents.iter().filter(|o| o.key != prefix) {
                if let Some(path) = keys.path(&object.key) {
                    let info = FileInfo {
                        path,
                        size: object.size,
                        modified: parse_time(&object.last_modified),
                        is_dir: false,
                    };
                    walker.ready.push_back((None, info));
                }
            }
            for common in &page.common_prefixes {
                if let Some(dir) = keys.path(common.prefix.trim_end_matches('/')) {
                    walker.cursors.push(Cursor::new(keys, &dir, None));
                    walker.ready.push_back((None, FileInfo::dir(dir)));
                }
            }
            match next_token(&page)? {
                Some(token) => request.continuation = Some(token),
                None => break,
            }
        }
        if walker.ready.is_empty() {
            return Err(Error::PathNotFound(from.to_string()));
        }
        Ok(walker)
    }

    /// Fetches pages until entries are ready or every cursor is done.
    fn fill<T: Transport>(&mut self, s3: &S3Client<T>) -> Result<()> {
        while self.ready.is_empty() {
            let active: Vec<usize> = (0..self.cursors.len())
                .filter(|&i| !self.cursors[i].done)
                .take(self.in_flight)
                .collect();
            if active.is_empty() {
                return Ok(());
            }
            let requests = active
                .iter()
                .map(|&i| self.cursors[i].request.to_s3())
                .collect();
            let pages =
                s3.send_all_xml::<ListBucketResult>("ListObjectsV2", requests, self.in_flight)?;
            for (&i, page) in active.iter().zip(pages) {
                let mut entries = Vec::new();
                self.cursors[i].consume(&s3.config.keys, page?, &mut entries)?;
                self.ready.extend(entries.into_iter().map(|e| (Some(i), e)));
            }
        }
        Ok(())
    }

    /// The next entry, or `None` at the end.
    pub fn next<T: Transport>(&mut self, s3: &S3Client<T>) -> Result<Option<FileInfo>> {
        loop {
            if let Some(entry) = self.next_listed() {
                return Ok(Some(entry));
            }
            self.fill(s3)?;
            if self.ready.is_empty() {
                return Ok(None);
            }
        }
    }

    /// The next entry among those listed already, without a request.
    pub fn next_listed(&mut self) -> Option<FileInfo> {
        while let Some((origin, entry)) = self.ready.pop_front() {
            let skipped = origin.and_then(|i| self.cursors[i].skipped.as_deref());
            if skipped.is_some_and(|dir| path::is_under(&entry.path, dir)) {
                continue;
            }
            self.last_dir = entry.is_dir.then(|| (origin, entry.path.clone()));
            return Some(entry);
        }
        None
    }

    /// Do not enter the directory delivered last.
    pub fn skip_directory(&mut self) {
        match self.last_dir.take() {
            Some((Some(i), dir)) => self.cursors[i].skipped = Some(dir),
            // A first-level directory of walk-parallel: its cursor need not list at all.
            Some((None, dir)) => self
                .cursors
                .iter_mut()
                .filter(|c| c.root == dir)
                .for_each(|c| c.done = true),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(root: &str, dirs: &[&str]) -> Vec<(String, bool)> {
        let keys = KeyMapper::new("");
        let mut cursor = Cursor::new(&keys, root, None);
        let mut out = Vec::new();
        for d in dirs {
            cursor.enter(d, &mut out);
            let file = if *d == "/" {
                "/f".to_string()
            } else {
                format!("{d}/f")
            };
            out.push(FileInfo {
                path: file,
                size: 1,
                modified: None,
                is_dir: false,
            });
        }
        out.into_iter().map(|e| (e.path, e.is_dir)).collect()
    }

    #[test]
    fn directories_are_inferred_before_their_files() {
        let got = entries(
            "/",
            &[
                "/",
                "/folder1-suffix",
                "/folder1",
                "/folder3/subfolder1/subfolder1",
                "/folder3/subfolder2/subfolder1",
            ],
        );
        let want = [
            ("/f", false),
            ("/folder1-suffix", true),
            ("/folder1-suffix/f", false),
            ("/folder1", true),
            ("/folder1/f", false),
            ("/folder3", true),
            ("/folder3/subfolder1", true),
            ("/folder3/subfolder1/subfolder1", true),
            ("/folder3/subfolder1/subfolder1/f", false),
            ("/folder3/subfolder2", true),
            ("/folder3/subfolder2/subfolder1", true),
            ("/folder3/subfolder2/subfolder1/f", false),
        ];
        let want: Vec<(String, bool)> = want.iter().map(|(p, d)| (p.to_string(), *d)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn returning_to_an_ancestor_emits_nothing() {
        // Keys a/b/c/f, a/f, f: back up to /a, then to the root.
        let got = entries("/", &["/a/b/c", "/a", "/"]);
        let want: Vec<(String, bool)> = [
            ("/a", true),
            ("/a/b", true),
            ("/a/b/c", true),
            ("/a/b/c/f", false),
            ("/a/f", false),
            ("/f", false),
        ]
        .iter()
        .map(|(p, d)| (p.to_string(), *d))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_cursor_never_emits_its_root() {
        let got = entries("/a", &["/a", "/a/b"]);
        let want: Vec<(String, bool)> = [("/a/f", false), ("/a/b", true), ("/a/b/f", false)]
            .iter()
            .map(|(p, d)| (p.to_string(), *d))
            .collect();
        assert_eq!(got, want);
    }
}
