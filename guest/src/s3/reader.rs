//! The streaming reader: a ranged GET that resumes where a lost body broke off.

use super::client::S3Client;
use super::errors::not_found_as_path;
use super::request::S3Request;
use crate::error::{BackendError, Error, Result};
use crate::http::{Body, Method, Transport};
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
    /// Times the body was asked for again since the last byte arrived.
    resumes: u32,
}

/// Times in a row a lost body is asked for again, without a byte in between, before the
/// error is returned.
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
            resumes: 0,
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

    /// Up to `max` next bytes; empty at the end. A body lost mid-way is asked for again
    /// from the current position ([`Reader::resume`]).
    pub fn read<T: Transport<Body = B>>(
        &mut self,
        s3: &S3Client<T>,
        max: usize,
    ) -> Result<Vec<u8>> {
        loop {
            let Some(body) = self.body.as_mut() else {
                return Ok(Vec::new());
            };
            match body.read(max) {
                Ok(bytes) if bytes.is_empty() => {
                    self.body = None;
                    return Ok(bytes);
                }
                Ok(bytes) => {
                    self.position += bytes.len() as u64;
                    self.resumes = 0;
                    return Ok(bytes);
                }
                Err(failure) => self.resume(s3, 0, failure)?,
            }
        }
    }

    /// The current answer's body, `None` at the end: for a caller that reads it elsewhere
    /// (the component hands its stream to the host) and reports a break through
    /// [`Reader::resume`].
    pub fn body_mut(&mut self) -> Option<&mut B> {
        self.body.as_mut()
    }

    /// The body broke off after `received` more bytes, with `failure`. A failure worth
    /// retrying is resumed: the rest is asked for again from there (a ranged GET with
    /// `If-Match` on the ETag), `READ_RESUMES` times in a row at most without a byte in
    /// between. Otherwise the failure is returned, naming the path and the byte it broke at.
    pub fn resume<T: Transport<Body = B>>(
        &mut self,
        s3: &S3Client<T>,
        received: u64,
        failure: BackendError,
    ) -> Result<()> {
        self.position += received;
        if received > 0 {
            self.resumes = 0;
        }
        self.body = None;
        if !failure.retryable || self.resumes >= READ_RESUMES || self.etag.is_none() {
            let message = format!(
                "reading {} at byte {}: {}",
                self.path, self.position, failure.message
            );
            return Err(Error::Backend(BackendError { message, ..failure }));
        }
        self.resumes += 1;
        self.request(s3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Script, static_key_client as client};

    const OBJECT: &[(&str, &str)] = &[("etag", "\"e1\""), ("content-length", "10")];

    /// The `range` and `if-match` headers of every request sent.
    fn ranges(s3: &S3Client<Script>) -> Vec<(String, Option<String>)> {
        let header = |request: &crate::http::HttpRequest, name: &str| {
            request
                .headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        s3.transport()
            .seen
            .borrow()
            .iter()
            .map(|r| {
                (
                    header(r, "range").unwrap_or_default(),
                    header(r, "if-match"),
                )
            })
            .collect()
    }

    #[test]
    fn a_broken_body_is_asked_for_again_from_where_it_broke_with_if_match() {
        let s3 = client(&[(206, OBJECT, "0123456789"), (206, OBJECT, "6789")]);
        let mut reader = Reader::open(&s3, "/a", 2).unwrap();
        reader
            .resume(&s3, 4, BackendError::body_broke("reset"))
            .unwrap();
        assert_eq!(reader.read(&s3, 100).unwrap(), b"6789");
        assert_eq!(
            ranges(&s3),
            [
                ("bytes=2-".to_string(), None),
                ("bytes=6-".to_string(), Some("\"e1\"".to_string()))
            ]
        );
    }

    #[test]
    fn resuming_stops_after_three_tries_without_a_byte() {
        let answers = vec![(206, OBJECT, ""); 4];
        let s3 = client(&answers);
        let mut reader = Reader::open(&s3, "/a", 0).unwrap();
        for _ in 0..READ_RESUMES {
            reader
                .resume(&s3, 0, BackendError::body_broke("reset"))
                .unwrap();
        }
        let error = reader
            .resume(&s3, 0, BackendError::body_broke("reset again"))
            .unwrap_err();
        assert!(error.to_string().contains("reset again"), "{error}");
        assert!(
            error.to_string().contains("reading /a at byte 0"),
            "{error}"
        );
        assert_eq!(ranges(&s3).len(), 1 + READ_RESUMES as usize);
    }

    #[test]
    fn a_byte_between_breaks_starts_the_count_again() {
        let answers = vec![(206, OBJECT, ""); 6];
        let s3 = client(&answers);
        let mut reader = Reader::open(&s3, "/a", 0).unwrap();
        for received in [0, 0, 1, 0, 0] {
            reader
                .resume(&s3, received, BackendError::body_broke("reset"))
                .unwrap();
        }
        assert_eq!(ranges(&s3).last().unwrap().0, "bytes=1-");
    }

    #[test]
    fn a_failure_not_worth_a_retry_ends_the_read() {
        let s3 = client(&[(206, OBJECT, "0123456789")]);
        let mut reader = Reader::open(&s3, "/a", 0).unwrap();
        let refused = BackendError::malformed("not a body", None);
        let error = reader.resume(&s3, 3, refused).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("reading /a at byte 3: not a body"),
            "{error}"
        );
        assert_eq!(reader.read(&s3, 100).unwrap(), b"");
        assert_eq!(ranges(&s3).len(), 1);
    }
}
