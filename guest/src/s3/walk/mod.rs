//! walk and walk-parallel: flat listings (no delimiter) with directories inferred from keys.
//!
//! A `Cursor` walks a range of keys of one tree in S3 key order, emitting every directory
//! between the last one it emitted and the next file before that file. `walk` is one cursor
//! over the whole tree; `walk-parallel` lists directories with a delimiter only to find where
//! to cut the tree (`Cuts`: the first level with enough directories, at most `CUT_LEVELS`
//! down), then advances one cursor per range of that level's directories (up to
//! `PARALLEL_LISTINGS`), their listing requests in flight together. A cut falls between two
//! directories of that level, so each of them, its keys and its entry, belongs to one cursor;
//! the directories above that level may be entered by several cursors and are delivered
//! once. A cursor lists at most one page past its range. Each cursor's entries are
//! contiguous in its own order, so each keeps its own "skipped directory". A walk with one
//! cursor requests its next page as soon as the current page's answer is in, before parsing
//! it: the server works on page n + 1 while the driver parses page n.

mod cursor;
mod cuts;
mod walker;

pub use walker::Walker;
