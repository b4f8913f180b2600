//! The streaming reader: a ranged GET that resumes where a lost body broke off.

use super::client::S3Client;
use super::errors::not_found_as_path;
use super::request::S3Request;
use crate::error::{BackendError, Error, Result};
use crate::http::{Body, Method, Transferred, Transport};
use crate::path;

/// A ranged GET that resumes transparently, with `If-Match` on the ETag, when the connection
/// is lost mid-body.
pub struct Reader<B> {
    path: String,
    key: String,
    position: u64,
    etag: Option<String>,
    body: Option<B>,
    /// Bytes the first answer announced (`content-length`).
    pub(super) announced: Option<u64>,
}

/// Times a lost body is re-requested before the error is returned.
const READ_RESUMES: u32 = 3;

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
    pub fn read_with<T: Transport<Body = B>, M: Transferred>(
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
