//! Single objects: put, get, the streaming reader, stat and move.

use std::time::{Duration, SystemTime};

use super::list::{ListRequest, list_page};
use super::multipart;
use super::{
    Body, BodyChecksum, HttpResponse, Method, S3Client, S3Request, Transport, not_found_as_path,
    parse_time,
};
use crate::config::{Encryption, ObjectAttributes};
use crate::error::{BackendError, Error, Result};
use crate::path;

/// What `stat` and `walk` report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Registry path.
    pub path: String,
    /// Size in bytes (0 for directories).
    pub size: u64,
    /// Modification time of a file.
    pub modified: Option<SystemTime>,
    /// Directory or file.
    pub is_dir: bool,
}

impl FileInfo {
    /// A directory entry.
    pub fn dir(path: String) -> Self {
        FileInfo {
            path,
            size: 0,
            modified: None,
            is_dir: true,
        }
    }
}

/// Adds the attributes of a new object (content type, ACL, encryption, storage class).
pub fn with_attributes(mut request: S3Request, attributes: &ObjectAttributes) -> S3Request {
    request = request.header("content-type", "application/octet-stream");
    if let Some(acl) = &attributes.acl {
        request = request.header("x-amz-acl", acl.clone());
    }
    match &attributes.encryption {
        None => {}
        Some(Encryption::Aes256) => {
            request = request.header("x-amz-server-side-encryption", "AES256")
        }
        Some(Encryption::Kms(key_id)) => {
            request = request.header("x-amz-server-side-encryption", "aws:kms");
            if let Some(id) = key_id {
                request = request.header("x-amz-server-side-encryption-aws-kms-key-id", id.clone());
            }
        }
    }
    if let Some(class) = &attributes.storage_class {
        request = request.header("x-amz-storage-class", class.clone());
    }
    request
}

/// PutObject of `content` at `key`, with a Content-MD5 the server verifies.
pub fn put_object<T: Transport>(
    s3: &S3Client<T>,
    key: &str,
    content: Vec<u8>,
) -> Result<(), BackendError> {
    let request = S3Request::new(Method::Put, key).body(content, BodyChecksum::Data);
    s3.send_discard(with_attributes(request, &s3.config.attributes))?;
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

/// A ranged GET that resumes transparently, with `If-Match` on the ETag, when the connection
/// is lost mid-body.
pub struct Reader<B> {
    path: String,
    key: String,
    position: u64,
    etag: Option<String>,
    body: Option<B>,
    /// Bytes the first answer announced (`content-length`).
    announced: Option<u64>,
}

/// Times a lost body is re-requested before the error is returned.
const READ_RESUMES: u32 = 3;

/// What one read step moved: the bytes themselves, or how many went on elsewhere.
pub trait Moved: Default {
    /// Bytes moved; 0 is the end of the body.
    fn count(&self) -> u64;
}

impl Moved for Vec<u8> {
    fn count(&self) -> u64 {
        self.len() as u64
    }
}

impl Moved for u64 {
    fn count(&self) -> u64 {
        *self
    }
}

impl<B: Body> Reader<B> {
    /// Opens `path` at `offset`. A missing object is `path-not-found`; an offset at or past
    /// the end gives an empty stream.
    pub fn open<T: Transport<Body = B>>(s3: &S3Client<T>, path: &str, offset: i64) -> Result<Self> {
        if offset < 0 {
            return Err(Error::InvalidOffset {
                path: path.to_string(),
                offset,
            });
        }
        path::check(path)?;
        let mut reader = Reader {
            path: path.to_string(),
            key: s3.key(path),
            position: offset as u64,
            etag: None,
            body: None,
            announced: None,
        };
        reader.request(s3)?;
        Ok(reader)
    }

    fn request<T: Transport<Body = B>>(&mut self, s3: &S3Client<T>) -> Result<()> {
        let mut request = S3Request::new(Method::Get, self.key.as_str())
            .header("range", format!("bytes={}-", self.position));
        if let Some(etag) = &self.etag {
            request = request.header("if-match", etag.clone());
        }
        match s3.send(request) {
            Ok(response) => {
                self.etag = response.header("etag").map(String::from);
                if self.announced.is_none() {
                    self.announced = response
                        .header("content-length")
                        .and_then(|v| v.parse().ok());
                }
                self.body = Some(response.body);
                Ok(())
            }
            Err(e) if e.status == Some(416) || e.code == "InvalidRange" => {
                self.body = None;
                Ok(())
            }
            Err(e) => Err(not_found_as_path(e, &self.path)),
        }
    }

    /// Up to `max` next bytes; empty at the end.
    pub fn read<T: Transport<Body = B>>(
        &mut self,
        s3: &S3Client<T>,
        max: usize,
    ) -> Result<Vec<u8>> {
        self.read_with(s3, |body| body.read(max))
    }

    /// One step of reading: `step` takes the next bytes from the body (into memory, or on to
    /// somewhere else); a step that moves nothing is the end. A body lost mid-way is
    /// requested again from the current position, `READ_RESUMES` times at most.
    pub fn read_with<T: Transport<Body = B>, M: Moved>(
        &mut self,
        s3: &S3Client<T>,
        mut step: impl FnMut(&mut B) -> Result<M, BackendError>,
    ) -> Result<M> {
        let mut resumes = 0;
        loop {
            let Some(body) = self.body.as_mut() else {
                return Ok(M::default());
            };
            match step(body) {
                Ok(moved) => {
                    if moved.count() == 0 {
                        self.body = None;
                    }
                    self.position += moved.count();
                    return Ok(moved);
                }
                Err(e) if e.retryable && resumes < READ_RESUMES && self.etag.is_some() => {
                    resumes += 1;
                    self.body = None;
                    self.request(s3)?;
                }
                Err(e) => return Err(Error::Backend(e)),
            }
        }
    }
}

/// HEAD of `key`: a file when the answer carries size and time; `None` when HEAD cannot tell.
fn head<T: Transport>(s3: &S3Client<T>, path: &str, key: &str) -> Result<Option<FileInfo>> {
    match s3.send(S3Request::new(Method::Head, key)) {
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
        && let Some(info) = head(s3, path, &s3.key(path))?
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

/// CopyObject of `source_key` (at most 5 GiB) to `dest_key` with the configured attributes.
fn copy_object<T: Transport>(
    s3: &S3Client<T>,
    source_key: &str,
    dest_key: &str,
) -> Result<(), BackendError> {
    let request = S3Request::new(Method::Put, dest_key)
        .header("x-amz-copy-source", multipart::copy_source(s3, source_key));
    let request = with_attributes(request, &s3.config.attributes);
    s3.send_xml::<super::xml::CopyResult>("CopyObject", request)?;
    Ok(())
}

/// move: copy (CopyObject up to the threshold, multipart copy above), then delete the source.
pub fn move_object<T: Transport>(s3: &S3Client<T>, source: &str, dest: &str) -> Result<()> {
    path::check(source)?;
    path::check(dest)?;
    let info = stat(s3, source)?;
    if info.is_dir {
        return Err(Error::PathNotFound(source.to_string()));
    }
    if source == dest {
        return Ok(());
    }
    let (source_key, dest_key) = (s3.key(source), s3.key(dest));
    if info.size <= s3.config.copy_threshold {
        copy_object(s3, &source_key, &dest_key)?;
    } else {
        multipart::copy_large(s3, &source_key, &dest_key, info.size)?;
    }
    super::delete::delete(s3, source)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(attributes: &ObjectAttributes) -> Vec<(String, String)> {
        with_attributes(S3Request::new(Method::Put, "k"), attributes).headers
    }

    #[test]
    fn attributes_become_headers() {
        let all = ObjectAttributes {
            storage_class: Some("STANDARD_IA".into()),
            acl: Some("private".into()),
            encryption: Some(Encryption::Kms(Some("key-1".into()))),
        };
        let h = headers(&all);
        for expected in [
            ("content-type", "application/octet-stream"),
            ("x-amz-acl", "private"),
            ("x-amz-server-side-encryption", "aws:kms"),
            ("x-amz-server-side-encryption-aws-kms-key-id", "key-1"),
            ("x-amz-storage-class", "STANDARD_IA"),
        ] {
            assert!(
                h.contains(&(expected.0.to_string(), expected.1.to_string())),
                "{expected:?} missing from {h:?}"
            );
        }
    }

    #[test]
    fn omitted_attributes_send_no_header() {
        let h = headers(&ObjectAttributes::default());
        assert_eq!(
            h,
            [(
                "content-type".to_string(),
                "application/octet-stream".to_string()
            )]
        );
        let h = headers(&ObjectAttributes {
            encryption: Some(Encryption::Aes256),
            ..Default::default()
        });
        assert!(h.contains(&("x-amz-server-side-encryption".into(), "AES256".into())));
    }
}
