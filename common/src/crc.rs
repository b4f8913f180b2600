//! The CRCs of S3's additional checksums, computed piece by piece: the host's `checksum`
//! import and the guest's own computation (natively, in tests and the benchmark's floor) give
//! the same answer for a body however it is cut into pieces.

use crc_fast::{CrcAlgorithm, Digest};

/// A CRC of S3's additional checksums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crc {
    /// CRC-32 (ISO-HDLC), `x-amz-checksum-crc32`.
    Crc32,
    /// CRC-32C (Castagnoli), `x-amz-checksum-crc32c`.
    Crc32c,
    /// CRC-64/NVME, `x-amz-checksum-crc64nvme`.
    Crc64Nvme,
}

impl Crc {
    /// The CRC of the bytes whose CRC is `crc` (0 for no bytes) followed by `data`, as zlib's
    /// `crc32(crc, data)` continues one: a body's CRC is its pieces' fold from 0.
    ///
    /// ```
    /// use s3drv_common::crc::Crc;
    /// let whole = Crc::Crc32.extend(0, b"hello world");
    /// assert_eq!(Crc::Crc32.extend(Crc::Crc32.extend(0, b"hello "), b"world"), whole);
    /// ```
    pub fn extend(self, crc: u64, data: &[u8]) -> u64 {
        // All three start from all ones and flip all bits at the end, so the running state
        // after some bytes is their CRC with its bits flipped.
        let (algorithm, all_ones) = match self {
            Crc::Crc32 => (CrcAlgorithm::Crc32IsoHdlc, u64::from(u32::MAX)),
            Crc::Crc32c => (CrcAlgorithm::Crc32Iscsi, u64::from(u32::MAX)),
            Crc::Crc64Nvme => (CrcAlgorithm::Crc64Nvme, u64::MAX),
        };
        let mut digest = Digest::new_with_init_state(algorithm, (crc ^ all_ones) & all_ones);
        digest.update(data);
        digest.finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalogue's check values (CRC of `123456789`), whole and cut at every byte.
    #[test]
    fn pieces_fold_to_the_whole() {
        let data = b"123456789";
        let checks = [
            (Crc::Crc32, 0xcbf4_3926),
            (Crc::Crc32c, 0xe306_9283),
            (Crc::Crc64Nvme, 0xae8b_1486_0a79_9888),
        ];
        for (crc, check) in checks {
            assert_eq!(crc.extend(0, data), check, "{crc:?}");
            assert_eq!(crc.extend(0, b""), 0, "{crc:?} of nothing");
            for cut in 0..=data.len() {
                let (a, b) = data.split_at(cut);
                assert_eq!(
                    crc.extend(crc.extend(0, a), b),
                    check,
                    "{crc:?} cut at {cut}"
                );
            }
        }
    }
}
