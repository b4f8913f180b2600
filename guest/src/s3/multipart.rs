//! Multipart uploads: create, upload (and copy) parts, list, complete, abort.

use md5::Digest as _;

use super::client::{S3Client, Sent};
use super::request::{BodyChecksum, S3Request};
use super::xml::{
    self, CopyResult, InitiateMultipartUploadResult, ListMultipartUploadsResult, ListPartsResult,
    ListedPart, Part,
};
use crate::checksum::ChecksumAlgorithm;
use crate::config::MAX_CHUNK_SIZE;
use crate::error::{BackendError, Error, Result};
use crate::http::{Method, Payload, Transport, encode_query_value, parse_time};

/// S3 accepts at most this many parts per upload.
pub const MAX_PARTS: u32 = 10_000;

/// The `x-amz-copy-source` value of `key` in the driver's bucket.
pub fn copy_source<T: Transport>(s3: &S3Client<T>, key: &str) -> String {
    let encoded: String = key
        .split('/')
        .map(encode_query_value)
        .collect::<Vec<_>>()
        .join("/");
    format!("/{}/{encoded}", s3.config.bucket)
}

/// CreateMultipartUpload with every configured object attribute (including the KMS key id)
/// and the checksum algorithm of the parts; then aborts every other in-progress upload of
/// `key`. A new upload supersedes older ones (`docs/decisions.md` §7), and a CreateMultipartUpload the
/// host replayed after a lost answer must not leave a second, empty upload that a later
/// resume would pick up instead of this one.
pub fn create<T: Transport>(s3: &S3Client<T>, key: &str) -> Result<String, BackendError> {
    let upload_id = initiate(s3, key, s3.config.checksum)?;
    abort_others(s3, key, Some(&upload_id))?;
    Ok(upload_id)
}

/// Aborts every in-progress upload of `key` but `keep`.
pub fn abort_others<T: Transport>(
    s3: &S3Client<T>,
    key: &str,
    keep: Option<&str>,
) -> Result<(), BackendError> {
    for other in list_uploads(s3, key)? {
        if Some(other.as_str()) != keep {
            abort(s3, key, &other)?;
        }
    }
    Ok(())
}

/// CreateMultipartUpload alone, declaring `checksum` as the algorithm of its parts.
fn initiate<T: Transport>(
    s3: &S3Client<T>,
    key: &str,
    checksum: Option<ChecksumAlgorithm>,
) -> Result<String, BackendError> {
    let mut request = S3Request::new(Method::Post, key)
        .query("uploads", "")
        .with_attributes(&s3.config.attributes);
    if let Some(algorithm) = checksum {
        request.headers.extend(algorithm.multipart_headers());
    }
    let result: InitiateMultipartUploadResult = s3.send_xml("CreateMultipartUpload", request)?;
    Ok(result.upload_id)
}

/// An UploadPart handed over whose answer is not awaited yet ([`PartUpload::finish`]).
pub struct PartUpload<F> {
    number: u32,
    size: u64,
    checksum: Option<(ChecksumAlgorithm, String)>,
    sent: Sent<F>,
}

/// Starts UploadPart of `body` as part `number`, with the configured checksum, which the
/// server verifies.
pub fn start_upload_part<T: Transport>(
    s3: &S3Client<T>,
    key: &str,
    upload_id: &str,
    number: u32,
    body: Payload,
) -> Result<PartUpload<T::InFlight>, BackendError> {
    let size = body.len() as u64;
    let mut request = S3Request::new(Method::Put, key)
        .query("partNumber", number.to_string())
        .query("uploadId", upload_id);
    let checksum = s3.config.checksum.map(|a| (a, s3.checksum(a, &body)));
    if let Some((algorithm, value)) = &checksum {
        request = request.header(algorithm.header(), value.clone());
    }
    let sent = s3.start(request.body(body, BodyChecksum::None))?;
    Ok(PartUpload {
        number,
        size,
        checksum,
        sent,
    })
}

impl<F> PartUpload<F> {
    /// The part's number.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// Waits for the answer: the stored part.
    pub fn finish<T: Transport<InFlight = F>>(
        self,
        s3: &S3Client<T>,
    ) -> Result<Part, BackendError> {
        let response = s3.finish_discard(self.sent)?;
        let etag = response.header("etag").map(String::from).ok_or_else(|| {
            BackendError::malformed("UploadPart answer without ETag", Some(response.status))
        })?;
        Ok(Part {
            number: self.number,
            etag,
            size: self.size,
            checksum: self.checksum,
        })
    }
}

/// Copies `[start, end]` of `source_key` into part `number` of an upload.
fn upload_part_copy_request<T: Transport>(
    s3: &S3Client<T>,
    source_key: &str,
    key: &str,
    upload_id: &str,
    number: u32,
    start: u64,
    end: u64,
) -> S3Request {
    S3Request::new(Method::Put, key)
        .query("partNumber", number.to_string())
        .query("uploadId", upload_id)
        .header("x-amz-copy-source", copy_source(s3, source_key))
        .header("x-amz-copy-source-range", format!("bytes={start}-{end}"))
}

/// Copies the first `length` bytes of `source_key` into parts `1..` of `upload_id`, `chunk`
/// bytes each (the last may be shorter), with up to `multipartcopymaxconcurrency` requests in
/// flight. Returns the parts in order.
pub fn copy_parts<T: Transport>(
    s3: &S3Client<T>,
    source_key: &str,
    key: &str,
    upload_id: &str,
    length: u64,
    chunk: u64,
) -> Result<Vec<Part>, BackendError> {
    let count = length.div_ceil(chunk);
    let requests = (0..count)
        .map(|i| {
            let start = i * chunk;
            let end = (start + chunk).min(length) - 1;
            upload_part_copy_request(s3, source_key, key, upload_id, i as u32 + 1, start, end)
        })
        .collect();
    s3.send_all_xml::<CopyResult>("UploadPartCopy", requests, s3.config.copy_max_concurrency)?
        .into_iter()
        .enumerate()
        .map(|(i, result)| {
            let copied = result?;
            let start = i as u64 * chunk;
            let checksum = s3
                .config
                .checksum
                .and_then(|a| Some((a, copied.checksum(a)?)));
            Ok(Part {
                number: i as u32 + 1,
                etag: copied.etag,
                size: chunk.min(length - start),
                checksum,
            })
        })
        .collect()
}

/// CompleteMultipartUpload with `parts` in order.
///
/// When the answer to a completion was lost and the request was sent again, S3 answers
/// NoSuchUpload: the upload is gone because it completed. The object at `key` is then checked:
/// if its ETag is the multipart ETag of exactly these parts, the completion succeeded.
pub fn complete<T: Transport>(
    s3: &S3Client<T>,
    key: &str,
    upload_id: &str,
    parts: &[Part],
) -> Result<(), BackendError> {
    let request = S3Request::new(Method::Post, key)
        .query("uploadId", upload_id)
        .header("content-type", "application/xml")
        .body(xml::complete_multipart_upload(parts), BodyChecksum::Md5);
    match s3.send_xml::<xml::CopyResult>("CompleteMultipartUpload", request) {
        Ok(_) => Ok(()),
        Err(e) if e.code == "NoSuchUpload" => match multipart_etag(parts) {
            Some(expected) => {
                let head = s3.send_discard(S3Request::new(Method::Head, key));
                match head {
                    Ok(answer) if answer.header("etag") == Some(expected.as_str()) => Ok(()),
                    _ => Err(e),
                }
            }
            None => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// `error`, a CompleteMultipartUpload of `key` the server refused, with the likely cause named
/// when some of `parts` carry no checksum of `algorithm`, the one the writer's uploads declare.
/// ListParts gave them so: SeaweedFS 4.48 lists parts without their checksums yet refuses a
/// completion that lacks them, and no checksum can be recomputed without the part's bytes
/// (`docs/decisions.md` §31).
pub fn explain_refused_completion(
    mut error: BackendError,
    key: &str,
    parts: &[Part],
    algorithm: Option<ChecksumAlgorithm>,
) -> BackendError {
    let Some(name) = algorithm.and_then(ChecksumAlgorithm::s3_name) else {
        return error;
    };
    let missing = parts.iter().filter(|p| p.checksum.is_none()).count();
    if error.status == Some(400) && missing > 0 {
        error.message = format!(
            "{}; ListParts gave {missing} of {} parts of {key} without their {name} checksum, \
             and the server refused the completion without it: set checksum_algorithm: MD5 \
             (Content-MD5 on each part) for a server that does not list part checksums",
            error.message,
            parts.len()
        );
    }
    error
}

/// The ETag S3 gives an object completed from `parts` (`"<md5 of the part MD5s>-<count>"`),
/// when every part ETag is a plain MD5.
fn multipart_etag(parts: &[Part]) -> Option<String> {
    let mut digests = Vec::with_capacity(parts.len() * 16);
    for part in parts {
        let hex = part.etag.trim_matches('"');
        if hex.len() != 32 {
            return None;
        }
        for i in (0..32).step_by(2) {
            digests.push(u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()?);
        }
    }
    let digest = md5::Md5::digest(&digests);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("\"{hex}-{}\"", parts.len()))
}

/// AbortMultipartUpload. An upload that is already gone counts as aborted: the answer to an
/// earlier attempt may have been lost and the request replayed.
pub fn abort<T: Transport>(
    s3: &S3Client<T>,
    key: &str,
    upload_id: &str,
) -> Result<(), BackendError> {
    match s3.send_discard(S3Request::new(Method::Delete, key).query("uploadId", upload_id)) {
        Err(e) if e.code == "NoSuchUpload" => Ok(()),
        outcome => outcome.map(drop),
    }
}

/// Ids of the in-progress uploads of exactly `key`, oldest first (every page, following both
/// the key marker and the upload-id marker).
pub fn list_uploads<T: Transport>(
    s3: &S3Client<T>,
    key: &str,
) -> Result<Vec<String>, BackendError> {
    let mut ids = Vec::new();
    let mut markers: Option<(String, String)> = None;
    loop {
        let mut request = S3Request::new(Method::Get, "")
            .query("uploads", "")
            .query("prefix", key);
        if let Some((key_marker, id_marker)) = &markers {
            request = request
                .query("key-marker", key_marker.clone())
                .query("upload-id-marker", id_marker.clone());
        }
        let page: ListMultipartUploadsResult = s3.send_xml("ListMultipartUploads", request)?;
        let past_key = page.uploads.iter().any(|u| u.key.as_str() > key);
        ids.extend(
            page.uploads
                .into_iter()
                .filter(|u| u.key == key)
                .map(|u| u.upload_id),
        );
        if !page.is_truncated || past_key {
            return Ok(ids);
        }
        let next = (
            page.next_key_marker.unwrap_or_default(),
            page.next_upload_id_marker.unwrap_or_default(),
        );
        if next.0.is_empty() || markers.as_ref() == Some(&next) {
            return Err(BackendError::malformed(
                "truncated ListMultipartUploads page without new markers",
                None,
            ));
        }
        markers = Some(next);
    }
}

/// Every part of an upload, in part-number order.
pub fn list_parts<T: Transport>(
    s3: &S3Client<T>,
    key: &str,
    upload_id: &str,
) -> Result<Vec<Part>, BackendError> {
    let mut parts = Vec::new();
    let mut marker: Option<u32> = None;
    loop {
        let mut request = S3Request::new(Method::Get, key).query("uploadId", upload_id);
        if let Some(m) = marker {
            request = request.query("part-number-marker", m.to_string());
        }
        let page: ListPartsResult = s3.send_xml("ListParts", request)?;
        parts.extend(page.parts);
        if !page.is_truncated {
            break;
        }
        match page.next_part_number_marker {
            Some(next) if Some(next) != marker => marker = Some(next),
            _ => {
                return Err(BackendError::malformed(
                    "truncated ListParts page without a new NextPartNumberMarker",
                    None,
                ));
            }
        }
    }
    parts.sort_by_key(|p| p.part_number);
    Ok(newest_of_each_number(parts)
        .into_iter()
        .map(|p| Part::listed(p, s3.config.checksum))
        .collect())
}

/// One part per number of `parts` (sorted by number, listing order kept within a number).
/// SeaweedFS lists a part once per time it was sent (a retried UploadPart shows twice) and
/// completes the one whose ETag the completion names; the newest by `LastModified` is kept,
/// and of equally new ones (it gives whole seconds) the one listed last.
fn newest_of_each_number(parts: Vec<ListedPart>) -> Vec<ListedPart> {
    let mut kept: Vec<ListedPart> = Vec::with_capacity(parts.len());
    for part in parts {
        match kept.last_mut() {
            Some(last) if last.part_number == part.part_number => {
                if parse_time(&part.last_modified) >= parse_time(&last.last_modified) {
                    *last = part;
                }
            }
            _ => kept.push(part),
        }
    }
    kept
}

/// Copies an object larger than the copy threshold with ranged UploadPartCopy; the upload is
/// aborted when any part fails. Older uploads of `dest_key` are left for the caller to abort
/// once the copy is complete ([`abort_others`]), off the copy's own path.
pub fn copy_large<T: Transport>(
    s3: &S3Client<T>,
    source_key: &str,
    dest_key: &str,
    size: u64,
) -> Result<()> {
    let chunk = s3
        .config
        .copy_chunk_size
        .max(size.div_ceil(MAX_PARTS as u64))
        .min(MAX_CHUNK_SIZE);
    if size.div_ceil(chunk) > MAX_PARTS as u64 {
        return Err(Error::LimitExceeded(format!(
            "copying {size} bytes needs more than {MAX_PARTS} parts of {chunk} bytes"
        )));
    }
    // The copy sends no body for the server to verify (`docs/decisions.md` §18), so its
    // upload declares no part checksum: the server would compute one for every copied byte.
    let upload_id = initiate(s3, dest_key, None)?;
    let result = copy_parts(s3, source_key, dest_key, &upload_id, size, chunk)
        .and_then(|parts| complete(s3, dest_key, &upload_id, &parts));
    if let Err(e) = result {
        // The copy's own error matters more than a failed clean-up.
        let _ = abort(s3, dest_key, &upload_id);
        return Err(Error::Backend(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::static_key_client as client;

    fn parts() -> Vec<Part> {
        // The MD5s of "a" and "b".
        [
            "0cc175b9c0f1b6a831c399e269772661",
            "92eb5ffee6ae2fec3ad71c777531578f",
        ]
        .iter()
        .enumerate()
        .map(|(i, md5)| Part {
            number: i as u32 + 1,
            etag: format!("\"{md5}\""),
            size: 1,
            checksum: None,
        })
        .collect()
    }

    const NO_SUCH_UPLOAD: &str = "<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>";

    #[test]
    fn a_completion_repeated_after_a_lost_answer_is_recognised() {
        let expected = multipart_etag(&parts()).unwrap();
        assert!(expected.ends_with("-2\""), "{expected}");
        // The repeated completion: NoSuchUpload, and the object is exactly these parts.
        let s3 = client(&[
            (404, &[], NO_SUCH_UPLOAD),
            (200, &[("etag", expected.as_str())], ""),
        ]);
        assert_eq!(complete(&s3, "k", "u", &parts()), Ok(()));
        // Another object at the key: the error stands.
        let s3 = client(&[
            (404, &[], NO_SUCH_UPLOAD),
            (200, &[("etag", "\"other-2\"")], ""),
        ]);
        assert_eq!(
            complete(&s3, "k", "u", &parts()).unwrap_err().code,
            "NoSuchUpload"
        );
    }

    #[test]
    fn a_part_listed_twice_counts_once() {
        // SeaweedFS 4.48 after part 1 was sent twice (recorded), then part 2 twice with
        // different bodies, a second apart.
        let listed = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>s3drv-test</Bucket><IsTruncated>false</IsTruncated><Key>m/z</Key><MaxParts>10000</MaxParts><PartNumberMarker>0</PartNumberMarker><Part><ETag>&#34;f97c5d29941bfb1b2fdab0874906ab82&#34;</ETag><LastModified>2026-12-05T06:40:56Z</LastModified><PartNumber>1</PartNumber><Size>3</Size></Part><Part><ETag>&#34;9f5b6d9a034d175868bf593885b7dc4e&#34;</ETag><LastModified>2026-12-05T06:40:56Z</LastModified><PartNumber>1</PartNumber><Size>4</Size></Part><Part><ETag>"new"</ETag><LastModified>2026-12-05T06:40:58Z</LastModified><PartNumber>2</PartNumber><Size>9</Size></Part><Part><ETag>"old"</ETag><LastModified>2026-12-05T06:40:57Z</LastModified><PartNumber>2</PartNumber><Size>8</Size></Part><StorageClass>STANDARD</StorageClass><UploadId>u</UploadId></ListPartsResult>"#;
        let s3 = client(&[(200, &[], listed)]);
        let parts = list_parts(&s3, "k", "u").unwrap();
        let kept: Vec<(u32, &str, u64)> = parts
            .iter()
            .map(|p| (p.number, p.etag.as_str(), p.size))
            .collect();
        assert_eq!(
            kept,
            [
                (1, "\"9f5b6d9a034d175868bf593885b7dc4e\"", 4),
                (2, "\"new\"", 9)
            ]
        );
    }

    #[test]
    fn a_refused_completion_names_parts_listed_without_checksums() {
        // SeaweedFS 4.48: ListParts gave no checksum, CompleteMultipartUpload wants them.
        let refused = || {
            crate::s3::errors::from_response(
                400,
                &[],
                b"<Error><Code>InvalidRequest</Code><Message>Invalid Request</Message></Error>",
            )
        };
        let crc32 = Some(ChecksumAlgorithm::Crc32);
        let explained = explain_refused_completion(refused(), "blobs/k", &parts(), crc32);
        assert_eq!(explained.code, "InvalidRequest");
        assert!(
            explained
                .message
                .starts_with("Invalid Request; ListParts gave 2 of 2 parts of blobs/k without")
                && explained.message.contains("without their CRC32 checksum")
                && explained.message.contains("checksum_algorithm: MD5"),
            "{}",
            explained.message
        );
        // Parts with their checksums, no declared algorithm, or another refusal: unchanged.
        let mut with_checksums = parts();
        for part in &mut with_checksums {
            part.checksum = Some((ChecksumAlgorithm::Crc32, "AAAAAA==".into()));
        }
        for (parts, algorithm) in [
            (with_checksums, crc32),
            (parts(), None),
            (parts(), Some(ChecksumAlgorithm::Md5)),
        ] {
            assert_eq!(
                explain_refused_completion(refused(), "blobs/k", &parts, algorithm),
                refused()
            );
        }
        let forbidden = crate::s3::errors::from_response(403, &[], b"");
        assert_eq!(
            explain_refused_completion(forbidden.clone(), "blobs/k", &parts(), crc32),
            forbidden
        );
    }

    #[test]
    fn a_new_upload_aborts_the_one_a_replayed_request_started() {
        let initiated = "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>\
            <UploadId>new</UploadId></InitiateMultipartUploadResult>";
        let listed = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>\
            <Upload><Key>k</Key><UploadId>orphan</UploadId></Upload>\
            <Upload><Key>k</Key><UploadId>new</UploadId></Upload>\
            <Upload><Key>k2</Key><UploadId>other-key</UploadId></Upload>\
            </ListMultipartUploadsResult>";
        // The orphan's abort was replayed too: NoSuchUpload counts as aborted.
        let s3 = client(&[
            (200, &[], initiated),
            (200, &[], listed),
            (404, &[], NO_SUCH_UPLOAD),
        ]);
        assert_eq!(create(&s3, "k"), Ok("new".to_string()));
        let seen = s3.transport().seen.borrow();
        let last = seen.last().unwrap();
        assert_eq!(last.method, Method::Delete);
        assert!(
            last.path_and_query.ends_with("/k?uploadId=orphan"),
            "{}",
            last.path_and_query
        );
        assert_eq!(seen.len(), 3);
    }
}
