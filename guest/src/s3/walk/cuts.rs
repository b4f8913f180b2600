//! [`Cuts`]: where walk-parallel cuts a tree into key ranges, found by delimited listings of
//! the first levels below the walked directory.

use crate::error::Result;
use crate::http::Transport;
use crate::s3::client::S3Client;
use crate::s3::list::{ListRequest, next_token};
use crate::s3::xml::ListBucketResult;

/// Cursors of walk-parallel, and so listing requests in flight at most.
pub(super) const PARALLEL_LISTINGS: usize = 8;

/// Levels of directories walk-parallel lists at most to find where to cut.
const CUT_LEVELS: usize = 4;

/// Directories of one listing walk-parallel keeps to cut between: every one while there are
/// at most `2 * SAMPLE`, else an evenly spaced sample of `SAMPLE` to `2 * SAMPLE` of them.
const SAMPLE: usize = 64;

/// Where walk-parallel cuts a tree: between the directories of the first level below the
/// walked directory that has at least `PARALLEL_LISTINGS` of them. While a level has fewer,
/// the level below it is listed too (down to `CUT_LEVELS` levels), so that a tree under one
/// directory (`blobs/sha256/...` of a registry) is still walked by several cursors.
pub(super) struct Cuts {
    /// The directories to cut between.
    pub(super) level: Level,
    /// Key prefixes of the directories above `level`: the keys below one of them may fall
    /// into several ranges, so several cursors enter it.
    pub(super) above: Vec<String>,
}

impl Cuts {
    /// The cuts below `prefix`, or `None` when nothing is stored below it.
    pub(super) fn find<T: Transport>(s3: &S3Client<T>, prefix: String) -> Result<Option<Cuts>> {
        let (found, mut level) = subdirectories(s3, &[prefix])?;
        if !found && level.count == 0 {
            return Ok(None);
        }
        let mut above = Vec::new();
        for _ in 1..CUT_LEVELS {
            if level.count == 0 || level.count >= PARALLEL_LISTINGS {
                break;
            }
            // Fewer than `SAMPLE` directories: `level` holds every one.
            let prefixes: Vec<String> = level.dirs.iter().map(|(_, d)| d.clone()).collect();
            let (_, below) = subdirectories(s3, &prefixes)?;
            if below.count < level.count {
                break;
            }
            above.extend(prefixes);
            level = below;
        }
        Ok(Some(Cuts { level, above }))
    }
}

/// The directories of one level, in key order, each with its position among all of the
/// level's directories: every one, or an evenly spaced sample of a large level.
pub(super) struct Level {
    /// How many directories the level has.
    pub(super) count: usize,
    /// Position and key prefix (ending in `/`) of the directories kept.
    pub(super) dirs: Vec<(usize, String)>,
}

impl Level {
    /// Up to `ranges - 1` cuts, evenly spaced over the level: the keys of directories
    /// without their `/`. A cut `a/d7` sorts after every key of the directories before
    /// `a/d7/` and before every key below it.
    pub(super) fn cuts(&self, ranges: usize) -> Vec<String> {
        let mut cuts: Vec<String> = (1..ranges)
            .filter_map(|i| {
                let target = i * self.count / ranges;
                let at = self
                    .dirs
                    .partition_point(|(position, _)| *position < target);
                let (_, dir) = self.dirs.get(at)?;
                Some(dir.trim_end_matches('/').to_string())
            })
            .collect();
        cuts.dedup();
        cuts
    }
}

/// Every `stride`-th directory of one listing, however long: the stride doubles whenever
/// `2 * SAMPLE` are kept.
pub(super) struct Sample {
    pub(super) count: usize,
    pub(super) stride: usize,
    pub(super) kept: Vec<String>,
}

impl Sample {
    pub(super) fn new() -> Sample {
        Sample {
            count: 0,
            stride: 1,
            kept: Vec::new(),
        }
    }

    pub(super) fn push(&mut self, dir: String) {
        if self.count.is_multiple_of(self.stride) {
            self.kept.push(dir);
            if self.kept.len() == 2 * SAMPLE {
                self.kept = std::mem::take(&mut self.kept)
                    .into_iter()
                    .step_by(2)
                    .collect();
                self.stride *= 2;
            }
        }
        self.count += 1;
    }
}

/// Lists each of `prefixes` with a delimiter, every page, the requests of all of them in
/// flight together. Whether any holds a key other than its own directory marker, and the
/// level their subdirectories make.
pub(super) fn subdirectories<T: Transport>(
    s3: &S3Client<T>,
    prefixes: &[String],
) -> Result<(bool, Level)> {
    let mut requests: Vec<ListRequest> = prefixes
        .iter()
        .map(|prefix| ListRequest {
            prefix: prefix.clone(),
            delimited: true,
            ..Default::default()
        })
        .collect();
    let mut found = false;
    let mut samples: Vec<Sample> = prefixes.iter().map(|_| Sample::new()).collect();
    let mut unfinished: Vec<usize> = (0..prefixes.len()).collect();
    while !unfinished.is_empty() {
        let pages = s3.send_all_xml::<ListBucketResult>(
            "ListObjectsV2",
            unfinished.iter().map(|&i| requests[i].to_s3()).collect(),
            PARALLEL_LISTINGS,
        )?;
        let mut next = Vec::new();
        for (i, page) in unfinished.into_iter().zip(pages) {
            let page = page?;
            let token = next_token(&page)?;
            found |= page.contents.iter().any(|o| o.key != requests[i].prefix);
            for dir in page.common_prefixes {
                samples[i].push(dir.prefix);
            }
            if token.is_some() {
                requests[i].continuation = token;
                next.push(i);
            }
        }
        unfinished = next;
    }
    let mut level = Level {
        count: 0,
        dirs: Vec::new(),
    };
    for sample in samples {
        let (offset, stride) = (level.count, sample.stride);
        let kept = sample.kept.into_iter().enumerate();
        level
            .dirs
            .extend(kept.map(|(j, dir)| (offset + j * stride, dir)));
        level.count += sample.count;
    }
    Ok((found, level))
}
