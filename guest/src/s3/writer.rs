//! The writer: an S3 multipart upload whose state lives only in S3.
//!
//! Parts are exactly `chunksize` bytes except the last. A resumed upload whose last part is
//! not exactly `chunksize` cannot take more parts; the first write after such a resume
//! completes it, starts a new upload and rebuilds it from the completed object: whole chunks
//! by ranged UploadPartCopy, the tail by a ranged GET into the buffer.
//!
//! A full part is handed to the host and not awaited: up to `multipartuploadconcurrency`
//! parts are on the wire while the next chunk fills, the oldest awaited first when one more
//! is ready (and all of them at close, commit and cancel): one chunk in the guest, at most
//! that many parts in the host. A part that fails leaves the writer `failed`: the bytes
//! accepted since the last stored part are gone, and only a new writer (`append`) can go on,
//! from what S3 holds. A resume takes the parts numbered 1, 2, ... up to the first gap: a part
//! stored after one that failed (they were in flight together) holds bytes that follow
//! missing ones, so it is left out of the completion, or overwritten when its number is sent
//! again (`docs/decisions.md` §5, §7).

use std::collections::VecDeque;

use bytes::Bytes;

use super::client::S3Client;
use super::file_info::FileInfo;
use super::multipart::{self, MAX_PARTS, PartUpload};
use super::object::{self, put_object};
use super::request::S3Request;
use super::xml::Part;
use crate::error::{BackendError, Error, Result, WriterState};
use crate::http::{Body, Method, Payload, Transport};
use crate::path;

/// Where the writer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Closed,
    Committed,
    Canceled,
    Failed,
}

/// One writer session of an upload.
pub struct Writer<T: Transport> {
    key: String,
    upload_id: String,
    /// The stored parts, in order.
    parts: Vec<Part>,
    /// The parts after the stored ones, sent and not answered yet, oldest first.
    in_flight: VecDeque<PartUpload<T::InFlight>>,
    /// The next part: the writes' bytes as they came (small ones gathered).
    buffer: Payload,
    /// Bytes accepted: stored parts plus the buffer.
    size: u64,
    state: State,
    /// The stored last part is not a whole chunk: rebuild before the next write.
    restart_pending: bool,
    /// A restart completed the old upload, leaving a partial object at the key.
    restarted: bool,
}

impl<T: Transport> Writer<T> {
    /// Opens a writer for `path`; see the WIT `writer` for the rules of `append`.
    pub fn open(s3: &S3Client<T>, path: &str, append: bool) -> Result<Writer<T>> {
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
        let mut parts = multipart::list_parts(s3, &key, &upload_id)?;
        let contiguous = parts
            .iter()
            .zip(1..)
            .take_while(|(part, number)| part.number == *number)
            .count();
        parts.truncate(contiguous);
        let mut writer = Writer::new(key, upload_id, parts);
        writer.restart_pending = writer
            .parts
            .last()
            .is_some_and(|part| part.size != s3.config.chunk_size);
        Ok(writer)
    }

    fn new(key: String, upload_id: String, parts: Vec<Part>) -> Writer<T> {
        let size = parts.iter().map(|p| p.size).sum();
        Writer {
            key,
            upload_id,
            parts,
            in_flight: VecDeque::new(),
            buffer: Payload::default(),
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
            State::Failed => Err(Error::WriterState(WriterState::Failed)),
        }
    }

    /// Every byte accepted, stored or buffered.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Accepts `data`, uploading every full chunk. A part takes the writes' bytes without
    /// copying them (`Bytes` splits a write that crosses a part's end).
    pub fn write(&mut self, s3: &S3Client<T>, data: Bytes) -> Result<()> {
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
            let take = (chunk - self.buffer.len()).min(rest.len());
            self.buffer.append(rest.split_to(take));
            self.size += take as u64;
            if self.buffer.len() == chunk {
                self.send_buffer(s3)?;
            }
        }
        Ok(())
    }

    /// Sends the buffer as the next part without waiting for its answer, once fewer than
    /// `multipartuploadconcurrency` parts are in flight (the oldest answers are awaited
    /// first). A failure of any part leaves the writer failed.
    fn send_buffer(&mut self, s3: &S3Client<T>) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        while self.in_flight.len() >= s3.config.upload_concurrency {
            self.wait_oldest(s3)?;
        }
        let number = match self.in_flight.back() {
            Some(upload) => upload.number() + 1,
            None => self.parts.last().map_or(1, |p| p.number + 1),
        };
        let body = std::mem::take(&mut self.buffer);
        match multipart::start_upload_part(s3, &self.key, &self.upload_id, number, body) {
            Ok(upload) => {
                self.in_flight.push_back(upload);
                Ok(())
            }
            Err(e) => {
                self.state = State::Failed;
                Err(Error::Backend(e))
            }
        }
    }

    /// Waits for the answer of the oldest part in flight, if any.
    fn wait_oldest(&mut self, s3: &S3Client<T>) -> Result<()> {
        let Some(upload) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let number = upload.number();
        match upload.finish(s3) {
            Ok(part) => {
                self.parts.push(part);
                Ok(())
            }
            Err(mut e) => {
                self.state = State::Failed;
                e.message = format!(
                    "part {number} of the upload of {} was not stored ({}); the writer can take no more bytes: open it again with append to resume from the stored parts",
                    self.key, e.message
                );
                Err(Error::Backend(e))
            }
        }
    }

    /// Uploads the buffer as the last part of this session and waits for every part.
    fn flush(&mut self, s3: &S3Client<T>) -> Result<()> {
        self.send_buffer(s3)?;
        while !self.in_flight.is_empty() {
            self.wait_oldest(s3)?;
        }
        Ok(())
    }

    /// The restart rule: complete, re-create, copy whole chunks back, read the tail.
    fn restart(&mut self, s3: &S3Client<T>) -> Result<()> {
        let chunk = s3.config.chunk_size;
        self.complete(s3)?;
        self.restarted = true;
        self.upload_id = multipart::create(s3, &self.key)?;
        let total = self.size;
        let whole = total / chunk * chunk;
        self.parts = if whole > 0 {
            multipart::copy_parts(s3, &self.key, &self.key, &self.upload_id, whole, chunk)?
        } else {
            Vec::new()
        };
        self.buffer = Payload::default();
        if total > whole {
            let request = S3Request::new(Method::Get, self.key.as_str())
                .header("range", format!("bytes={whole}-{}", total - 1));
            let mut response = s3.send(request)?;
            self.buffer = response.body.read_to_end(chunk as usize)?.into();
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
    pub fn close(&mut self, s3: &S3Client<T>) -> Result<()> {
        match self.state {
            State::Closed => return Err(Error::WriterState(WriterState::Closed)),
            State::Failed => return Err(Error::WriterState(WriterState::Failed)),
            State::Canceled | State::Committed => return Ok(()),
            State::Open => {}
        }
        self.state = State::Closed;
        self.flush(s3)
    }

    /// Aborts the upload (also after a failed part).
    pub fn cancel(&mut self, s3: &S3Client<T>) -> Result<()> {
        if self.state != State::Failed {
            self.refuse_unless_open()?;
        }
        // Abort after the parts in flight have landed or failed: a part stored after the
        // abort could keep the upload's storage alive on some servers.
        for upload in std::mem::take(&mut self.in_flight) {
            let _ = upload.finish(s3);
        }
        self.state = State::Canceled;
        self.buffer = Payload::default();
        multipart::abort(s3, &self.key, &self.upload_id)?;
        if self.restarted {
            // The partial object a restart completed is not the caller's content.
            object::delete_object(s3, &self.key)?;
        }
        Ok(())
    }

    /// Uploads the buffer and completes the upload. With no part at all, the upload is
    /// aborted and an empty object written.
    pub fn commit(&mut self, s3: &S3Client<T>) -> Result<()> {
        self.refuse_unless_open()?;
        self.flush(s3)?;
        self.state = State::Committed;
        if self.parts.is_empty() {
            multipart::abort(s3, &self.key, &self.upload_id)?;
            return Ok(put_object(s3, &self.key, Vec::new())?);
        }
        if let Err(e) = self.complete(s3) {
            let _ = multipart::abort(s3, &self.key, &self.upload_id);
            return Err(Error::Backend(e));
        }
        Ok(())
    }

    /// CompleteMultipartUpload of the stored parts; a refusal names a server that listed
    /// them without their checksums.
    fn complete(&self, s3: &S3Client<T>) -> std::result::Result<(), BackendError> {
        multipart::complete(s3, &self.key, &self.upload_id, &self.parts).map_err(|e| {
            multipart::explain_refused_completion(e, &self.key, &self.parts, s3.config.checksum)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Answer, Script, scripted_client};

    const CHUNK: usize = 5 << 20;
    const INITIATED: &str = "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>";
    const NO_UPLOADS: &str = "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>";
    const INTERNAL_ERROR: &str =
        "<Error><Code>InternalError</Code><Message>try again</Message></Error>";

    fn client(answers: &[Answer<'_>]) -> S3Client<Script> {
        client_in_flight("4", answers)
    }

    /// A client whose writers have up to `in_flight` parts in flight.
    fn client_in_flight(in_flight: &str, answers: &[Answer<'_>]) -> S3Client<Script> {
        let params = [
            ("bucket", "b"),
            ("region", "us-east-1"),
            ("accesskey", "AK"),
            ("secretkey", "SK"),
            ("chunksize", "5242880"),
            ("multipartuploadconcurrency", in_flight),
        ];
        scripted_client(&params, answers)
    }

    fn requests(s3: &S3Client<Script>) -> Vec<String> {
        s3.transport()
            .seen
            .borrow()
            .iter()
            .map(|r| format!("{} {}", r.method.as_str(), r.path_and_query))
            .collect()
    }

    #[test]
    fn parts_are_numbered_in_order_and_all_awaited_before_completion() {
        let s3 = client(&[
            (200, &[], INITIATED),
            (200, &[], NO_UPLOADS),
            (200, &[("etag", "\"e1\"")], ""),
            (200, &[("etag", "\"e2\"")], ""),
            (200, &[("etag", "\"e3\"")], ""),
            (200, &[], "<CompleteMultipartUploadResult/>"),
        ]);
        let mut writer = Writer::open(&s3, "/a", false).unwrap();
        writer.write(&s3, vec![1; CHUNK * 2 + 7].into()).unwrap();
        assert_eq!(writer.size(), (CHUNK * 2 + 7) as u64);
        writer.commit(&s3).unwrap();
        let seen = requests(&s3);
        assert_eq!(seen[2], "PUT /a?partNumber=1&uploadId=u1");
        assert_eq!(seen[3], "PUT /a?partNumber=2&uploadId=u1");
        assert_eq!(seen[4], "PUT /a?partNumber=3&uploadId=u1");
        assert_eq!(seen[5], "POST /a?uploadId=u1");
        let completion = String::from_utf8(s3.transport().seen.borrow()[5].body.to_vec()).unwrap();
        for etag in ["e1", "e2", "e3"] {
            assert!(completion.contains(etag), "{completion}");
        }
    }

    #[test]
    fn a_failed_part_fails_the_writer_and_nothing_is_completed() {
        let s3 = client_in_flight(
            "2",
            &[
                (200, &[], INITIATED),
                (200, &[], NO_UPLOADS),
                (500, &[], INTERNAL_ERROR),
                (200, &[("etag", "\"e2\"")], ""),
                (204, &[], ""),
            ],
        );
        let mut writer = Writer::open(&s3, "/a", false).unwrap();
        // Parts 1 and 2 are sent and not awaited; part 1's failure surfaces when part 3 is
        // ready, before it is sent.
        writer.write(&s3, vec![1; CHUNK * 2].into()).unwrap();
        let error = writer.write(&s3, vec![3; CHUNK].into()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("part 1 of the upload of a was not stored"),
            "{error}"
        );
        for refused in [
            writer.write(&s3, Bytes::from_static(b"more")),
            writer.close(&s3),
            writer.commit(&s3),
        ] {
            assert_eq!(
                refused.unwrap_err(),
                Error::WriterState(WriterState::Failed)
            );
        }
        // Cancel awaits part 2, still in flight, before the abort.
        writer.cancel(&s3).unwrap();
        let seen = requests(&s3);
        assert_eq!(seen.len(), 5, "{seen:?}");
        assert_eq!(seen[3], "PUT /a?partNumber=2&uploadId=u1");
        assert_eq!(seen[4], "DELETE /a?uploadId=u1");
    }

    #[test]
    fn parts_beyond_the_limit_in_flight_wait_for_the_oldest() {
        let s3 = client_in_flight(
            "1",
            &[
                (200, &[], INITIATED),
                (200, &[], NO_UPLOADS),
                (500, &[], INTERNAL_ERROR),
            ],
        );
        let mut writer = Writer::open(&s3, "/a", false).unwrap();
        // One in flight: part 1's failure surfaces as soon as part 2 is ready.
        writer.write(&s3, vec![1; CHUNK].into()).unwrap();
        let error = writer.write(&s3, vec![2; CHUNK].into()).unwrap_err();
        assert!(error.to_string().contains("part 1"), "{error}");
        assert_eq!(requests(&s3).len(), 3);
    }

    #[test]
    fn a_resume_takes_the_parts_before_the_first_gap() {
        let listed = "<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>false</IsTruncated>\
            <Upload><Key>a</Key><UploadId>u1</UploadId></Upload></ListMultipartUploadsResult>";
        let part = |n: u32| {
            format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>\"e{n}\"</ETag><Size>{CHUNK}</Size></Part>"
            )
        };
        // Part 3 failed while part 4, in flight with it, was stored.
        let parts = format!(
            "<ListPartsResult><IsTruncated>false</IsTruncated>{}{}{}</ListPartsResult>",
            part(1),
            part(2),
            part(4)
        );
        let s3 = client(&[
            (200, &[], listed),
            (200, &[], &parts),
            (200, &[("etag", "\"n3\"")], ""),
            (200, &[], "<CompleteMultipartUploadResult/>"),
        ]);
        let mut writer = Writer::open(&s3, "/a", true).unwrap();
        assert_eq!(writer.size(), (CHUNK * 2) as u64);
        writer.write(&s3, vec![3; CHUNK].into()).unwrap();
        writer.commit(&s3).unwrap();
        let seen = requests(&s3);
        assert_eq!(seen[2], "PUT /a?partNumber=3&uploadId=u1");
        let completion = String::from_utf8(s3.transport().seen.borrow()[3].body.to_vec()).unwrap();
        assert!(
            completion.contains("n3") && !completion.contains("e4"),
            "{completion}"
        );
    }
}
