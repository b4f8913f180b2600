//! Body checksums the server verifies: `Content-MD5`, or one of the `x-amz-checksum-*`
//! algorithms (`checksum_algorithm`, `docs/decisions.md` §18).

use base64::Engine as _;
pub use s3drv_common::crc::Crc;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A checksum algorithm for request bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    /// `Content-MD5` (verified by AWS, MinIO, Ceph, Garage).
    Md5,
    /// `x-amz-checksum-crc32`.
    Crc32,
    /// `x-amz-checksum-crc32c`.
    Crc32c,
    /// `x-amz-checksum-sha1`.
    Sha1,
    /// `x-amz-checksum-sha256`.
    Sha256,
    /// `x-amz-checksum-crc64nvme` (full-object checksums only).
    Crc64Nvme,
}

impl ChecksumAlgorithm {
    /// The values `checksum_algorithm` accepts.
    pub const NAMES: &'static [&'static str] =
        &["MD5", "CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"];

    /// The algorithm named `name` (one of [`Self::NAMES`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "MD5" => ChecksumAlgorithm::Md5,
            "CRC32" => ChecksumAlgorithm::Crc32,
            "CRC32C" => ChecksumAlgorithm::Crc32c,
            "SHA1" => ChecksumAlgorithm::Sha1,
            "SHA256" => ChecksumAlgorithm::Sha256,
            "CRC64NVME" => ChecksumAlgorithm::Crc64Nvme,
            _ => return None,
        })
    }

    /// The name S3 uses in `x-amz-checksum-algorithm`; `None` for MD5, which is no
    /// "additional checksum".
    pub fn s3_name(self) -> Option<&'static str> {
        match self {
            ChecksumAlgorithm::Md5 => None,
            ChecksumAlgorithm::Crc32 => Some("CRC32"),
            ChecksumAlgorithm::Crc32c => Some("CRC32C"),
            ChecksumAlgorithm::Sha1 => Some("SHA1"),
            ChecksumAlgorithm::Sha256 => Some("SHA256"),
            ChecksumAlgorithm::Crc64Nvme => Some("CRC64NVME"),
        }
    }

    /// The header carrying the checksum.
    pub fn header(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Md5 => "content-md5",
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
        }
    }

    /// Headers of CreateMultipartUpload declaring the algorithm of the parts.
    pub fn multipart_headers(self) -> Vec<(String, String)> {
        let mut headers = Vec::new();
        if let Some(name) = self.s3_name() {
            headers.push(("x-amz-checksum-algorithm".into(), name.into()));
        }
        if self == ChecksumAlgorithm::Crc64Nvme {
            headers.push(("x-amz-checksum-type".into(), "FULL_OBJECT".into()));
        }
        headers
    }

    /// The base64 checksum of the body made of `pieces`, in order; CRCs are continued piece
    /// by piece with `crc` (the host's, through [`crate::http::Transport::crc`], or
    /// [`Crc::extend`]).
    pub fn compute<'a>(
        self,
        pieces: impl Iterator<Item = &'a [u8]> + Clone,
        crc: impl Fn(Crc, u64, &[u8]) -> u64,
    ) -> String {
        fn hash<'a, D: Digest>(pieces: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
            let mut digest = D::new();
            pieces.for_each(|piece| digest.update(piece));
            digest.finalize().to_vec()
        }
        let crc_of = |algorithm| {
            pieces
                .clone()
                .fold(0, |so_far, piece| crc(algorithm, so_far, piece))
        };
        let digest: Vec<u8> = match self {
            ChecksumAlgorithm::Md5 => hash::<md5::Md5>(pieces),
            ChecksumAlgorithm::Crc32 => (crc_of(Crc::Crc32) as u32).to_be_bytes().to_vec(),
            ChecksumAlgorithm::Crc32c => (crc_of(Crc::Crc32c) as u32).to_be_bytes().to_vec(),
            ChecksumAlgorithm::Sha1 => hash::<Sha1>(pieces),
            ChecksumAlgorithm::Sha256 => hash::<Sha256>(pieces),
            ChecksumAlgorithm::Crc64Nvme => crc_of(Crc::Crc64Nvme).to_be_bytes().to_vec(),
        };
        base64::engine::general_purpose::STANDARD.encode(digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `hello world`, checked against Python's zlib and hashlib and a bitwise CRC-32C /
    /// CRC-64/NVME written from the polynomials.
    #[test]
    fn known_values() {
        let body = [b"hello world".as_slice()];
        let cases = [
            (ChecksumAlgorithm::Md5, "XrY7u+Ae7tCTyyK7j1rNww=="),
            (ChecksumAlgorithm::Crc32, "DUoRhQ=="),
            (ChecksumAlgorithm::Crc32c, "yZRlqg=="),
            (ChecksumAlgorithm::Sha1, "Kq5sNclPz7QV2+lfQIuc6R7oRu0="),
            (
                ChecksumAlgorithm::Sha256,
                "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
            ),
            (ChecksumAlgorithm::Crc64Nvme, "jSnVw/bqjr4="),
        ];
        for (algorithm, want) in cases {
            assert_eq!(
                algorithm.compute(body.into_iter(), Crc::extend),
                want,
                "{algorithm:?}"
            );
        }
    }

    /// A body cut into pieces anywhere sums, with every algorithm, as the whole does.
    #[test]
    fn pieces_sum_as_one_body() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let cuts = [0, 3, 70_003, 70_100, 200_000, 300_000];
        let pieces: Vec<&[u8]> = cuts.windows(2).map(|w| &data[w[0]..w[1]]).collect();
        for name in ChecksumAlgorithm::NAMES {
            let algorithm = ChecksumAlgorithm::from_name(name).unwrap();
            assert_eq!(
                algorithm.compute(pieces.iter().copied(), Crc::extend),
                algorithm.compute([data.as_slice()].into_iter(), Crc::extend),
                "{name}"
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for name in ChecksumAlgorithm::NAMES {
            let a = ChecksumAlgorithm::from_name(name).unwrap();
            assert_eq!(a.s3_name().unwrap_or("MD5"), *name);
        }
        assert_eq!(ChecksumAlgorithm::Crc64Nvme.multipart_headers().len(), 2);
        assert!(ChecksumAlgorithm::Md5.multipart_headers().is_empty());
    }
}
