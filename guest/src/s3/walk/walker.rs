//! [`Walker`]: the entries of walk and walk-parallel, fetched page by page as the caller asks
//! for them, from one [`Cursor`] or from one per range of the [`Cuts`].

use std::collections::{HashMap, VecDeque};

use super::cursor::Cursor;
use super::cuts::{Cuts, PARALLEL_LISTINGS};
use crate::error::{Error, Result};
use crate::http::Transport;
use crate::path;
use crate::s3::client::{S3Client, Sent, parse_xml};
use crate::s3::file_info::FileInfo;
use crate::s3::list::peek_continuation;
use crate::s3::xml::ListBucketResult;

/// Which cursor an entry came from.
type Origin = usize;

/// A listing page requested ahead: its continuation token and the request in flight.
type NextPage<F> = (String, Sent<F>);

/// The entries of a walk, fetched page by page as the caller asks for them.
pub struct Walker<T: Transport> {
    cursors: Vec<Cursor>,
    ready: VecDeque<(Origin, FileInfo)>,
    /// The origin and path of the last directory delivered.
    last_dir: Option<(Origin, String)>,
    in_flight: usize,
    /// With one cursor: its next page, requested before the current one was parsed.
    next_page: Option<NextPage<T::InFlight>>,
    /// walk-parallel: the directories that contain cuts, which several cursors enter, and
    /// whether one was delivered already (it is delivered once).
    shared: HashMap<String, bool>,
    /// Skipped directories among `shared`: skipped by every cursor.
    skipped_everywhere: Vec<String>,
}

impl<T: Transport> Walker<T> {
    /// walk: one flat listing of everything below `from`.
    pub fn walk(s3: &S3Client<T>, from: &str, start_after: Option<&str>) -> Result<Walker<T>> {
        path::check_or_root(from)?;
        if let Some(hint) = start_after {
            path::check(hint)?;
        }
        let cursor = Cursor::new(&s3.config.keys, from, start_after.map(|h| s3.key(h)), None);
        let mut walker = Walker {
            cursors: vec![cursor],
            ready: VecDeque::new(),
            last_dir: None,
            in_flight: 1,
            next_page: None,
            shared: HashMap::new(),
            skipped_everywhere: Vec::new(),
        };
        walker.fill(s3)?;
        if start_after.is_none() && walker.ready.is_empty() {
            return Err(Error::PathNotFound(from.to_string()));
        }
        Ok(walker)
    }

    /// walk-parallel: the directories below `from` say where to cut the tree (see `Cuts`), then
    /// one cursor per range.
    pub fn walk_parallel(s3: &S3Client<T>, from: &str) -> Result<Walker<T>> {
        if !s3.config.parallel_walk {
            return Walker::walk(s3, from, None);
        }
        path::check_or_root(from)?;
        let keys = &s3.config.keys;
        let Some(Cuts { level, above }) = Cuts::find(s3, keys.dir_prefix(from))? else {
            return Err(Error::PathNotFound(from.to_string()));
        };
        let ranges = level.count.clamp(1, PARALLEL_LISTINGS);
        let cuts: Vec<Option<String>> = std::iter::once(None)
            .chain(level.cuts(ranges).into_iter().map(Some))
            .chain([None])
            .collect();
        let cursors = cuts
            .windows(2)
            .map(|cut| Cursor::new(keys, from, cut[0].clone(), cut[1].clone()))
            .collect();
        let shared = above
            .iter()
            .filter_map(|prefix| keys.path(prefix.trim_end_matches('/')))
            .map(|dir| (dir, false))
            .collect();
        let mut walker = Walker {
            cursors,
            ready: VecDeque::new(),
            last_dir: None,
            in_flight: PARALLEL_LISTINGS,
            next_page: None,
            shared,
            skipped_everywhere: Vec::new(),
        };
        walker.fill(s3)?;
        Ok(walker)
    }

    /// Fetches pages until entries are ready or every cursor is done.
    fn fill(&mut self, s3: &S3Client<T>) -> Result<()> {
        while self.ready.is_empty() {
            if let [cursor] = self.cursors.as_slice() {
                if cursor.done {
                    return Ok(());
                }
                self.next_page_of_one(s3)?;
                continue;
            }
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
                self.ready.extend(entries.into_iter().map(|e| (i, e)));
            }
        }
        Ok(())
    }

    /// The one cursor's next page: the one requested ahead, or requested now. The page after
    /// it is requested before this one is parsed.
    fn next_page_of_one(&mut self, s3: &S3Client<T>) -> Result<()> {
        const WHAT: &str = "ListObjectsV2";
        let sent = match self.next_page.take() {
            Some((_, sent)) => sent,
            None => s3.start(self.cursors[0].request.to_s3())?,
        };
        let answer = s3.finish_read(WHAT, sent)?;
        if let Some(token) = peek_continuation(&answer.body) {
            let mut request = self.cursors[0].request.clone();
            request.continuation = Some(token.clone());
            // A request that cannot be sent now is sent again when its page is needed.
            self.next_page = s3.start(request.to_s3()).ok().map(|sent| (token, sent));
        }
        let mut entries = Vec::new();
        let cursor = &mut self.cursors[0];
        let consumed = parse_xml::<ListBucketResult>(WHAT, &answer)
            .map_err(Error::from)
            .and_then(|page| cursor.consume(&s3.config.keys, page, &mut entries));
        // The page after this one is used only if this one was taken in whole and named it.
        if consumed.is_err()
            || cursor.done
            || self.next_page.as_ref().map(|(token, _)| token)
                != cursor.request.continuation.as_ref()
        {
            self.next_page = None;
        }
        consumed?;
        self.ready.extend(entries.into_iter().map(|e| (0, e)));
        Ok(())
    }

    /// The next entry, or `None` at the end.
    pub fn next(&mut self, s3: &S3Client<T>) -> Result<Option<FileInfo>> {
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
            let own = self.cursors[origin].skipped.iter();
            let mut skipped = own.chain(&self.skipped_everywhere);
            if skipped.any(|dir| path::is_under(&entry.path, dir)) {
                continue;
            }
            if entry.is_dir
                && let Some(delivered) = self.shared.get_mut(&entry.path)
                && std::mem::replace(delivered, true)
            {
                continue;
            }
            self.last_dir = entry.is_dir.then(|| (origin, entry.path.clone()));
            return Some(entry);
        }
        None
    }

    /// Do not enter the directory delivered last.
    pub fn skip_directory(&mut self) {
        if let Some((i, dir)) = self.last_dir.take() {
            if self.shared.contains_key(&dir) {
                self.skipped_everywhere.push(dir);
            } else {
                self.cursors[i].skipped = Some(dir);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::KeyMapper;
    use crate::testing::{Answer, Script, scripted_client};

    /// A ListObjectsV2 answer with `keys`, `prefixes` and, if `next`, that continuation token.
    fn listing(keys: &[&str], prefixes: &[&str], next: Option<&str>) -> String {
        let contents: String = keys
            .iter()
            .map(|k| format!("<Contents><Key>{k}</Key><Size>1</Size><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>"))
            .collect();
        let prefixes: String = prefixes
            .iter()
            .map(|p| format!("<CommonPrefixes><Prefix>{p}</Prefix></CommonPrefixes>"))
            .collect();
        let tail = next.map_or(String::new(), |t| {
            format!("<NextContinuationToken>{t}</NextContinuationToken>")
        });
        format!(
            "<ListBucketResult><IsTruncated>{}</IsTruncated>{contents}{prefixes}{tail}</ListBucketResult>",
            next.is_some()
        )
    }

    /// The path and query of every request `s3` sent so far.
    fn requested(s3: &S3Client<Script>) -> Vec<String> {
        let seen = s3.transport().seen.borrow();
        seen.iter().map(|r| r.path_and_query.clone()).collect()
    }

    /// A client with `parallelwalk: true` whose server gives `answers` (status 200), in order.
    fn walk_parallel_client(answers: &[String]) -> S3Client<Script> {
        let params = [
            ("bucket", "b"),
            ("region", "us-east-1"),
            ("accesskey", "AK"),
            ("secretkey", "SK"),
            ("parallelwalk", "true"),
        ];
        let answers: Vec<Answer<'_>> = answers.iter().map(|a| (200, &[][..], a.as_str())).collect();
        scripted_client(&params, &answers)
    }

    fn entries(root: &str, dirs: &[&str]) -> Vec<(String, bool)> {
        let keys = KeyMapper::new("");
        let mut cursor = Cursor::new(&keys, root, None, None);
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

    #[test]
    fn the_next_page_is_requested_before_this_one_is_delivered() {
        let page = |keys: &[&str], next: Option<&str>| listing(keys, &[], next);
        let (first, second) = (page(&["a/1", "a/2"], Some("t&amp;2")), page(&["b/3"], None));
        let params = [
            ("bucket", "b"),
            ("region", "us-east-1"),
            ("accesskey", "AK"),
            ("secretkey", "SK"),
        ];
        let s3 = scripted_client(&params, &[(200, &[], &first), (200, &[], &second)]);
        let mut walker = Walker::walk(&s3, "/", None).unwrap();
        let seen = requested(&s3);
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(seen[1].contains("continuation-token=t%262"), "{seen:?}");
        let mut paths = Vec::new();
        while let Some(entry) = walker.next(&s3).unwrap() {
            paths.push(entry.path);
        }
        assert_eq!(paths, ["/a", "/a/1", "/a/2", "/b", "/b/3"]);
        assert_eq!(s3.transport().seen.borrow().len(), 2);

        // A page that names its successor but cannot be parsed: the successor requested
        // ahead is dropped, and the failed page is asked for again, so nothing is skipped.
        let broken = "<ListBucketResult><IsTruncated>maybe</IsTruncated><NextContinuationToken>t3</NextContinuationToken></ListBucketResult>";
        let (second, third) = (page(&["b/3"], Some("t3")), page(&["c/4"], None));
        let s3 = scripted_client(
            &params,
            &[
                (200, &[], &first),
                (200, &[], broken),
                (200, &[], &third),
                (200, &[], &second),
                (200, &[], &third),
            ],
        );
        let mut walker = Walker::walk(&s3, "/", None).unwrap();
        let mut paths = Vec::new();
        loop {
            match walker.next(&s3) {
                Ok(Some(entry)) => paths.push(entry.path),
                Ok(None) => break,
                Err(_) => paths.push("error".to_string()),
            }
        }
        assert_eq!(
            paths,
            ["/a", "/a/1", "/a/2", "error", "/b", "/b/3", "/c", "/c/4"]
        );
    }

    #[test]
    fn walk_parallel_cuts_between_first_level_directories() {
        // The first level (a file and three directories); the level below it, which has no
        // directories to cut between; then one page per range, each reaching past its
        // range's end as a server would: the cursors stop there.
        let answers = [
            listing(&["f"], &["a/", "b/", "c/"], None),
            listing(&["a/1", "a/2"], &[], None),
            listing(&["b/3"], &[], None),
            listing(&["c/4"], &[], None),
            listing(&["a/1", "a/2", "b/3"], &[], Some("more")),
            listing(&["b/3", "c/4", "f"], &[], None),
            listing(&["c/4", "f"], &[], None),
        ];
        let s3 = walk_parallel_client(&answers);
        let mut walker = Walker::walk_parallel(&s3, "/").unwrap();
        let mut paths = Vec::new();
        while let Some(entry) = walker.next(&s3).unwrap() {
            paths.push(entry.path);
        }
        paths.sort();
        assert_eq!(
            paths,
            ["/a", "/a/1", "/a/2", "/b", "/b/3", "/c", "/c/4", "/f"]
        );
        let seen = requested(&s3);
        assert_eq!(seen.len(), 7, "{seen:?}");
        assert!(seen[0].contains("delimiter=%2F"), "{seen:?}");
        assert!(seen[3].contains("prefix=c%2F"), "{seen:?}");
        assert!(!seen[4].contains("start-after"), "{seen:?}");
        assert!(seen[5].contains("start-after=b"), "{seen:?}");
        assert!(seen[6].contains("start-after=c"), "{seen:?}");
    }

    #[test]
    fn walk_parallel_cuts_below_a_single_directory() {
        // A registry's `blobs`: one directory, `sha256`, with 16 directories below it. The
        // first level has too few directories to cut between, so the second is listed; each
        // of the 8 ranges holds two of its directories (and its answer reaches one key past).
        let dirs: Vec<String> = (0..16).map(|i| format!("sha256/d{i:02}/")).collect();
        let file = |i: usize| format!("sha256/d{i:02}/f");
        let mut answers = vec![
            listing(&[], &["sha256/"], None),
            listing(
                &[],
                &dirs.iter().map(String::as_str).collect::<Vec<_>>(),
                None,
            ),
        ];
        for range in 0..8 {
            let keys: Vec<String> = (2 * range..(2 * range + 3).min(16)).map(file).collect();
            answers.push(listing(
                &keys.iter().map(String::as_str).collect::<Vec<_>>(),
                &[],
                None,
            ));
        }
        let walk = |s3: &S3Client<Script>, skip_shared: bool| {
            let mut walker = Walker::walk_parallel(s3, "/").unwrap();
            let mut paths = Vec::new();
            while let Some(entry) = walker.next(s3).unwrap() {
                if skip_shared && entry.path == "/sha256" {
                    walker.skip_directory();
                }
                paths.push(entry.path);
            }
            paths
        };

        let s3 = walk_parallel_client(&answers);
        let mut paths = walk(&s3, false);
        paths.sort();
        let mut want = vec!["/sha256".to_string()];
        for i in 0..16 {
            want.push(format!("/sha256/d{i:02}"));
            want.push(format!("/sha256/d{i:02}/f"));
        }
        assert_eq!(paths, want, "every entry once, `/sha256` too");
        let seen = requested(&s3);
        assert_eq!(seen.len(), 10, "{seen:?}");
        assert!(seen[1].contains("prefix=sha256%2F"), "{seen:?}");
        assert!(seen[1].contains("delimiter=%2F"), "{seen:?}");
        assert!(!seen[2].contains("start-after"), "{seen:?}");
        assert!(seen[3].contains("start-after=sha256%2Fd02"), "{seen:?}");
        assert!(seen[9].contains("start-after=sha256%2Fd14"), "{seen:?}");

        // Skipping the directory that every cursor enters skips it for all of them.
        let s3 = walk_parallel_client(&answers);
        assert_eq!(walk(&s3, true), ["/sha256"]);
    }

    #[test]
    fn walk_parallel_cuts_a_large_level_evenly_from_a_sample() {
        // A first level of 11,000 directories, 1,000 a page: every page is read, but only a
        // sample of them is kept; the cuts still fall near every eighth of the level.
        let pages = 11;
        let mut answers: Vec<String> = (0..pages)
            .map(|page| {
                let dirs: Vec<String> = (0..1000).map(|i| format!("r{page:02}{i:04}/")).collect();
                let dirs: Vec<&str> = dirs.iter().map(String::as_str).collect();
                let next = (page + 1 < pages).then(|| format!("p{}", page + 1));
                listing(&[], &dirs, next.as_deref())
            })
            .collect();
        answers.extend((0..8).map(|_| listing(&[], &[], None)));
        let s3 = walk_parallel_client(&answers);
        let mut walker = Walker::walk_parallel(&s3, "/").unwrap();
        assert_eq!(walker.next(&s3).unwrap(), None);
        let seen = requested(&s3);
        assert_eq!(seen.len(), pages + 8, "{:?}", &seen[pages..]);
        // Cut i falls at or just past directory i * 11,000 / 8 (the sample keeps every 128th).
        for (i, request) in seen[pages + 1..].iter().enumerate() {
            let target = (i + 1) * 11_000 / 8;
            let at = target.div_ceil(128) * 128;
            let cut = format!("start-after=r{:02}{:04}", at / 1000, at % 1000);
            assert!(request.contains(&cut), "{cut} in {request}");
        }
    }
}
