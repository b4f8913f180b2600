//! Multipart uploads: create, upload (and copy) parts, list, complete, abort.

use md5::Digest as _;

use super::client::{S3Client, Sent};
use super::request::{BodyChecksum, S3Request};
use super::xml::{
    self, CopyResult, InitiateMultipartUploadResult, ListMultipartUploadsResult, ListPartsResult,
    Part,
};
use crate::checksum::ChecksumAlgorithm;
use crate::config::MAX_CHUNK_SIZE;
use crate::error::{BackendError, Error, Result};
use crate::http::{Method, Transport, encode_query_value};

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
    body: Vec<u8>,
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
    Ok(parts
        .into_iter()
        .map(|p| Part::listed(p, s3.config.checksum))
        .collect())
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
