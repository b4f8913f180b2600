//! Single objects: put, get, stat and presigned URLs.

use std::time::Duration;

use super::client::S3Client;
use super::file_info::FileInfo;
use super::list::{ListRequest, list_page};
use super::reader::Reader;
use super::request::{BodyChecksum, S3Request};
use crate::error::{BackendError, Error, Result};
use crate::http::{HttpResponse, Method, Transport, parse_time};
use crate::path;

/// PutObject of `content` at `key`, with the configured body checksum the server verifies.
pub fn put_object<T: Transport>(
    s3: &S3Client<T>,
    key: &str,
    content: Vec<u8>,
) -> Result<(), BackendError> {
    let request = S3Request::new(Method::Put, key).body(content, BodyChecksum::Data);
    s3.send_discard(request.with_attributes(&s3.config.attributes))?;
    Ok(())
}

/// put-content.
pub fn put_content<T: Transport>(s3: &S3Client<T>, path: &str, content: Vec<u8>) -> Result<()> {
    path::check(path)?;
    let limit = crate::config::MAX_CHUNK_SIZE;
    if content.len() as u64 > limit {
        return Err(Error::LimitExceeded(format!(
            "put-content of {} bytes exceeds S3's single PUT limit of {limit} bytes; use a writer",
            content.len()
        )));
    }
    Ok(put_object(s3, &s3.key(path), content)?)
}

/// Largest buffer `get_content` reserves up front.
const GET_CONTENT_RESERVE_LIMIT: u64 = 1 << 30;

/// get-content.
pub fn get_content<T: Transport>(s3: &S3Client<T>, path: &str) -> Result<Vec<u8>> {
    let mut reader = Reader::open(s3, path, 0)?;
    // One allocation of the announced size (bounded: the announcement is the server's word)
    // instead of doubling, which needs three times the content in guest memory at its peak.
    // A body longer than announced (or endless) ends the same way, never in a trap.
    let announced = reader.announced.unwrap_or(0).min(GET_CONTENT_RESERVE_LIMIT);
    let too_large = |size: u64| {
        Error::LimitExceeded(format!(
            "{path} holds {size} bytes or more, more than the driver's memory allows: read it with a reader"
        ))
    };
    let mut content = Vec::new();
    content
        .try_reserve_exact(announced as usize)
        .map_err(|_| too_large(announced))?;
    loop {
        let chunk = reader.read(s3, 1 << 20)?;
        if chunk.is_empty() {
            return Ok(content);
        }
        content
            .try_reserve(chunk.len())
            .map_err(|_| too_large((content.len() + chunk.len()) as u64))?;
        content.extend_from_slice(&chunk);
    }
}

/// The DeleteObject request of `key`: one object, nothing below it; a missing key counts as
/// deleted.
pub fn delete_object_request(key: &str) -> S3Request {
    S3Request::new(Method::Delete, key)
}

/// DeleteObject of `key` ([`delete_object_request`]).
pub fn delete_object<T: Transport>(s3: &S3Client<T>, key: &str) -> Result<(), BackendError> {
    s3.send_discard(delete_object_request(key))?;
    Ok(())
}

/// HEAD of `path`'s key: a file when the answer carries size and time; `None` when HEAD
/// cannot tell (no such key, a 403 without ListBucket, or an answer without size or time).
pub fn head<T: Transport>(s3: &S3Client<T>, path: &str) -> Result<Option<FileInfo>> {
    let key = s3.key(path);
    match s3.send(S3Request::new(Method::Head, &key)) {
        Ok(response) => Ok(file_info_of_head(path, &response)),
        Err(e) if matches!(e.status, Some(403 | 404)) => Ok(None),
        Err(e) => Err(Error::Backend(e)),
    }
}

fn file_info_of_head<B>(path: &str, response: &HttpResponse<B>) -> Option<FileInfo> {
    let size = response.header("content-length")?.parse().ok()?;
    let modified = parse_time(response.header("last-modified")?)?;
    Some(FileInfo {
        path: path.to_string(),
        size,
        modified: Some(modified),
        is_dir: false,
    })
}

/// stat: HEAD, then a component-aware listing (`/a` is a directory only if `a/` has keys).
pub fn stat<T: Transport>(s3: &S3Client<T>, path: &str) -> Result<FileInfo> {
    path::check_or_root(path)?;
    if path != "/"
        && let Some(info) = head(s3, path)?
    {
        return Ok(info);
    }
    let page = list_page(
        s3,
        &ListRequest {
            prefix: s3.config.keys.dir_prefix(path),
            max_keys: Some(1),
            ..Default::default()
        },
    )?;
    if page.contents.is_empty() && page.common_prefixes.is_empty() {
        Err(Error::PathNotFound(path.to_string()))
    } else {
        Ok(FileInfo::dir(path.to_string()))
    }
}

/// A presigned URL of `path` for GET or HEAD.
pub fn url_for<T: Transport>(
    s3: &S3Client<T>,
    path: &str,
    method: &str,
    expiry: Option<u64>,
) -> Result<String> {
    path::check(path)?;
    let method = match method {
        "GET" | "" => Method::Get,
        "HEAD" => Method::Head,
        _ => return Err(Error::UnsupportedMethod),
    };
    const MAX_EXPIRY: u64 = 7 * 24 * 3600;
    let seconds = expiry.unwrap_or(1200);
    if seconds == 0 || seconds > MAX_EXPIRY {
        return Err(Error::LimitExceeded(format!(
            "presigned URL expiry of {seconds} s is outside 1..={MAX_EXPIRY} s (7 days)"
        )));
    }
    Ok(s3.presign(method, &s3.key(path), Duration::from_secs(seconds))?)
}
