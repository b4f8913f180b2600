//! Benchmark data: a 64 MiB pool of random bytes from which every block is cut at a different
//! offset, so that a 1 GiB stream costs no generation time and no two of its blocks are
//! equal (Garage deduplicates equal blocks).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const POOL: usize = 64 << 20;

/// The random bytes blocks are cut from.
pub struct DataPool(Vec<u8>);

impl DataPool {
    /// 64 MiB from a fixed seed.
    pub fn new() -> DataPool {
        let mut bytes = vec![0; POOL];
        StdRng::seed_from_u64(5).fill(&mut bytes[..]);
        DataPool(bytes)
    }

    /// Block `index` of `len` bytes (at most the pool's size minus 4 KiB).
    pub fn block(&self, index: usize, len: usize) -> &[u8] {
        let room = POOL - len.min(POOL - 4096);
        let start = index.wrapping_mul(4099 * 257) % room;
        &self.0[start..start + len]
    }

    /// `size` bytes as blocks of `block` bytes (the last one shorter).
    pub fn blocks(&self, size: usize, block: usize) -> impl Iterator<Item = &[u8]> {
        (0..size.div_ceil(block)).map(move |i| self.block(i, block.min(size - i * block)))
    }
}
