//! The writer: an S3 multipart upload whose state lives only in S3.
//!
//! Parts are exactly `chunksize` bytes except the last. A resumed upload whose last part is
//! not exactly `chunksize` cannot take more parts; the first write after such a resume
//! completes it, starts a new upload and rebuilds it from the completed object: whole chunks
//! by ranged UploadPartCopy, the tail by a ranged GET into the buffer.

use super::multipart::{self, MAX_PARTS, Part};
use super::object::{self, FileInfo, put_object};
use super::{Body, Method, S3Client, S3Request, Transport};
use crate::error::{Error, Result, WriterState};
use crate::path;

/// Where the writer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Closed,
    Committed,
    Canceled,
}

/// One writer session of an upload.
#[derive(Debug)]
pub struct Writer {
    key: String,
    upload_id: String,
    /// The stored parts, in order.
    parts: Vec<Part>,
    buffer: Vec<u8>,
    /// Bytes accepted: stored parts plus the buffer.
    size: u64,
    state: State,
    /// The stored last part is not a whole chunk: rebuild before the next write.
    restart_pending: bool,
    /// A restart completed the old upload, leaving a partial object at the key.
    restarted: bool,
}

impl Writer {
    /// Opens a writer for `path`; see the WIT `writer` for the rules of `append`.
    pub fn open<T: Transport>(s3: &S3Client<T>, path: &str, append: bool) -> Result<Writer> {
        path::check(path)?;
        let key = s3.key(path);
        if !append {
            // A new upload supersedes unfinished ones of the same path (`create` aborts them).
            let upload_id = multipart::create(s3, &key)?;
            return Ok(Writer::new(key, upload_id, Vec::new()));
        }
        let uploads = multipart::list_uploads(s3, &key)?;
        let Some(upload_id) = uploads.into_iter().next() else {
            // No unfinished upload: only a committed empty object may be appended to.
            return match object::stat(s3, path) {
                Ok(FileInfo {
                    is_dir: false,
                    size: 0,
                    ..
                }) => {
                    let upload_id = multipart::create(s3, &key)?;
                    Ok(Writer::new(key, upload_id, Vec::new()))
                }
                Ok(FileInfo { is_dir: false, .. }) => Err(Error::InvalidAppend(path.to_string())),
                Ok(_) => Err(Error::PathNotFound(path.to_string())),
                Err(e) => Err(e),
            };
        };
        let parts = multipart::list_parts(s3, &key, &upload_id)?;
        let mut writer = Writer::new(key, upload_id, parts);
        writer.restart_pending = writer
            .parts
            .last()
            .is_some_and(|part| part.size != s3.config.chunk_size);
        Ok(writer)
    }

    fn new(key: String, upload_id: String, parts: Vec<Part>) -> Writer {
        let size = parts.iter().map(|p| p.size).sum();
        Writer {
            key,
            upload_id,
            parts,
            buffer: Vec::new(),
            size,
            state: State::Open,
            restart_pending: false,
            restarted: false,
        }
    }

    fn refuse_unless_open(&self) -> Result<()> {
        match self.state {
            State::Open => Ok(()),
            State::Closed => Err(Error::WriterState(WriterState::Closed)),
            State::Committed => Err(Error::WriterState(WriterState::Committed)),
            State::Canceled => Err(Error::WriterState(WriterState::Canceled)),
        }
    }

    /// Every byte accepted, stored or buffered.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Accepts `data`, uploading every full chunk.
    pub fn write<T: Transport>(&mut self, s3: &S3Client<T>, data: &[u8]) -> Result<()> {
        self.refuse_unless_open()?;
        if data.is_empty() {
            return Ok(());
        }
        if self.restart_pending {
            self.restart(s3)?;
        }
        let chunk = s3.config.chunk_size as usize;
        let needed_parts = (self.size + data.len() as u64).div_ceil(chunk as u64);
        if needed_parts > MAX_PARTS as u64 {
            return Err(Error::LimitExceeded(format!(
                "{} bytes need {needed_parts} parts of {chunk} bytes; S3 allows {MAX_PARTS} (raise chunksize)",
                self.size + data.len() as u64
            )));
        }
        let mut rest = data;
        while !rest.is_empty() {
            if self.buffer.capacity() == 0 {
                self.buffer.reserve_exact(chunk);
            }
            let take = (chunk - self.buffer.len()).min(rest.len());
            self.buffer.extend_from_slice(&rest[..take]);
            self.size += take as u64;
            rest = &rest[take..];
            if self.buffer.len() == chunk {
                self.flush(s3)?;
            }
        }
        Ok(())
    }

    /// Uploads the buffer as the next part.
    fn flush<T: Transport>(&mut self, s3: &S3Client<T>) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let number = self.parts.last().map_or(1, |p| p.number + 1);
        let body = std::mem::take(&mut self.buffer);
        let part = multipart::upload_part(s3, &self.key, &self.upload_id, number, body)?;
        self.parts.push(part);
        Ok(())
    }

    /// The restart rule: complete, re-create, copy whole chunks back, read the tail.
    fn restart<T: Transport>(&mut self, s3: &S3Client<T>) -> Result<()> {
        let chunk = s3.config.chunk_size;
        multipart::complete(s3, &self.key, &self.upload_id, &self.parts)?;
        self.restarted = true;
        self.upload_id = multipart::create(s3, &self.key)?;
        let total = self.size;
        let whole = total / chunk * chunk;
        self.parts = if whole > 0 {
            multipart::copy_parts(s3, &self.key, &self.key, &self.upload_id, whole, chunk)?
        } else {
            Vec::new()
        };
        self.buffer = Vec::with_capacity(chunk as usize);
        if total > whole {
            let request = S3Request::new(Method::Get, self.key.as_str())
                .header("range", format!("bytes={whole}-{}", total - 1));
            let mut response = s3.send(request)?;
            self.buffer = response.body.read_to_end(chunk as usize)?;
            if self.buffer.len() as u64 != total - whole {
                return Err(Error::Backend(crate::error::BackendError::malformed(
                    format!(
                        "ranged GET of the tail returned {} bytes instead of {}",
                        self.buffer.len(),
                        total - whole
                    ),
                    Some(response.status),
                )));
            }
        }
        self.restart_pending = false;
        Ok(())
    }

    /// Uploads the buffer and leaves the upload open for a later resume.
    pub fn close<T: Transport>(&mut self, s3: &S3Client<T>) -> Result<()> {
        match self.state {
            State::Closed => return Err(Error::WriterState(WriterState::Closed)),
            State::Canceled | State::Committed => return Ok(()),
            State::Open => {}
        }
        self.state = State::Closed;
        self.flush(s3)
    }

    /// Aborts the upload.
    pub fn cancel<T: Transport>(&mut self, s3: &S3Client<T>) -> Result<()> {
        self.refuse_unless_open()?;
        self.state = State::Canceled;
        self.buffer = Vec::new();
        multipart::abort(s3, &self.key, &self.upload_id)?;
        if self.restarted {
            // The partial object a restart completed is not the caller's content.
            s3.send_discard(S3Request::new(Method::Delete, self.key.as_str()))?;
        }
        Ok(())
    }

    /// Uploads the buffer and completes the upload. With no part at all, the upload is
    /// aborted and an empty object written.
    pub fn commit<T: Transport>(&mut self, s3: &S3Client<T>) -> Result<()> {
        self.refuse_unless_open()?;
        self.flush(s3)?;
        self.state = State::Committed;
        if self.parts.is_empty() {
            multipart::abort(s3, &self.key, &self.upload_id)?;
            return Ok(put_object(s3, &self.key, Vec::new())?);
        }
        if let Err(e) = multipart::complete(s3, &self.key, &self.upload_id, &self.parts) {
            let _ = multipart::abort(s3, &self.key, &self.upload_id);
            return Err(Error::Backend(e));
        }
        Ok(())
    }
}
