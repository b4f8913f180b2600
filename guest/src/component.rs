//! The component's exports: thin glue from the WIT world to the S3 operations, and the one
//! conversion of errors and file infos into WIT types.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::UNIX_EPOCH;

use wasip2::io::streams::InputStream;

use crate::config::Config;
use crate::error::{self as err, BackendError, Error};
use crate::s3::reader::Reader;
use crate::s3::walk::Walker;
use crate::s3::writer::Writer;
use crate::s3::{FileInfo, S3Client, delete, list, moves, object};
use crate::transport::{WasiBody, WasiTransport};

use crate::bindings::exports::s3drv::storage::driver::{
    self as wit, Guest, GuestDriver, GuestReader, GuestWalker, GuestWriter,
};
use crate::bindings::s3drv::storage::types as wit_types;

type Client = Rc<S3Client<WasiTransport>>;

/// The exported component.
struct Component;

impl Guest for Component {
    type Driver = DriverResource;
    type Reader = ReaderResource;
    type Writer = WriterResource;
    type Walker = WalkerResource;
}

/// The `driver` resource.
struct DriverResource {
    s3: Client,
}

/// The `reader` resource.
struct ReaderResource {
    s3: Client,
    reader: RefCell<Reader<WasiBody>>,
}

/// The `writer` resource.
struct WriterResource {
    s3: Client,
    writer: RefCell<Writer<WasiTransport>>,
}

/// The `walker` resource.
struct WalkerResource {
    s3: Client,
    walker: RefCell<Walker<WasiTransport>>,
}

type WitResult<T> = Result<T, wit_types::DriverError>;

impl GuestDriver for DriverResource {
    fn open(params: Vec<(String, String)>) -> WitResult<wit::Driver> {
        let config = Config::from_params(&params)?;
        Ok(wit::Driver::new(DriverResource {
            s3: Rc::new(S3Client::new(config, WasiTransport)),
        }))
    }

    fn warnings(&self) -> Vec<String> {
        self.s3.config.warnings.clone()
    }

    fn transport_policy(&self) -> wit_types::TransportPolicy {
        let policy = self.s3.config.policy;
        wit_types::TransportPolicy {
            max_retries: policy.max_retries,
            max_requests_per_second: policy.max_requests_per_second,
            skip_verify: policy.skip_verify,
            log_retries: self.s3.config.log.retries,
            destinations: self.s3.destinations(),
        }
    }

    fn name(&self) -> String {
        s3drv_common::DRIVER_NAME.to_string()
    }

    fn get_content(&self, path: String) -> WitResult<Vec<u8>> {
        Ok(object::get_content(&self.s3, &path)?)
    }

    fn put_content(&self, path: String, content: Vec<u8>) -> WitResult<()> {
        Ok(object::put_content(&self.s3, &path, content)?)
    }

    fn reader(&self, path: String, offset: i64) -> WitResult<wit::Reader> {
        let reader = Reader::open(&self.s3, &path, offset)?;
        Ok(wit::Reader::new(ReaderResource {
            s3: self.s3.clone(),
            reader: RefCell::new(reader),
        }))
    }

    fn writer(&self, path: String, append: bool) -> WitResult<wit::Writer> {
        let writer = Writer::open(&self.s3, &path, append)?;
        Ok(wit::Writer::new(WriterResource {
            s3: self.s3.clone(),
            writer: RefCell::new(writer),
        }))
    }

    fn stat(&self, path: String) -> WitResult<wit_types::FileInfo> {
        Ok(object::stat(&self.s3, &path)?.into())
    }

    fn list(&self, path: String) -> WitResult<Vec<String>> {
        Ok(list::list(&self.s3, &path)?)
    }

    fn move_(&self, source: String, dest: String) -> WitResult<()> {
        Ok(moves::move_object(&self.s3, &source, &dest)?)
    }

    fn delete(&self, path: String) -> WitResult<()> {
        Ok(delete::delete(&self.s3, &path)?)
    }

    fn delete_files(&self, paths: Vec<String>) -> WitResult<u64> {
        Ok(delete::delete_files(&self.s3, &paths)?)
    }

    fn url_for(
        &self,
        path: String,
        method: String,
        expiry_seconds: Option<u64>,
    ) -> WitResult<String> {
        Ok(object::url_for(&self.s3, &path, &method, expiry_seconds)?)
    }

    fn redirect_url(&self, method: String, path: String) -> WitResult<Option<String>> {
        match method.as_str() {
            "GET" | "HEAD" => Ok(Some(object::url_for(&self.s3, &path, &method, None)?)),
            _ => Ok(None),
        }
    }

    fn walk(&self, path: String, start_after: Option<String>) -> WitResult<wit::Walker> {
        let walker = Walker::walk(&self.s3, &path, start_after.as_deref())?;
        Ok(wit::Walker::new(WalkerResource {
            s3: self.s3.clone(),
            walker: RefCell::new(walker),
        }))
    }

    fn walk_parallel(&self, path: String) -> WitResult<wit::Walker> {
        let walker = Walker::walk_parallel(&self.s3, &path)?;
        Ok(wit::Walker::new(WalkerResource {
            s3: self.s3.clone(),
            walker: RefCell::new(walker),
        }))
    }
}

impl GuestReader for ReaderResource {
    fn body(&self) -> WitResult<Option<InputStream>> {
        Ok(self
            .reader
            .borrow_mut()
            .body_mut()
            .and_then(WasiBody::take_stream))
    }

    fn resume(&self, received: u64, failure: String) -> WitResult<Option<InputStream>> {
        let mut reader = self.reader.borrow_mut();
        reader.resume(&self.s3, received, BackendError::body_broke(failure))?;
        Ok(reader.body_mut().and_then(WasiBody::take_stream))
    }
}

impl GuestWriter for WriterResource {
    fn write(&self, data: Vec<u8>) -> WitResult<()> {
        Ok(self.writer.borrow_mut().write(&self.s3, data.into())?)
    }

    fn size(&self) -> u64 {
        self.writer.borrow().size()
    }

    fn close(&self) -> WitResult<()> {
        Ok(self.writer.borrow_mut().close(&self.s3)?)
    }

    fn cancel(&self) -> WitResult<()> {
        Ok(self.writer.borrow_mut().cancel(&self.s3)?)
    }

    fn commit(&self) -> WitResult<()> {
        Ok(self.writer.borrow_mut().commit(&self.s3)?)
    }
}

impl GuestWalker for WalkerResource {
    fn next(&self) -> WitResult<Option<wit_types::FileInfo>> {
        Ok(self.walker.borrow_mut().next(&self.s3)?.map(Into::into))
    }

    fn next_batch(&self, max: u32) -> WitResult<Vec<wit_types::FileInfo>> {
        let mut walker = self.walker.borrow_mut();
        let Some(first) = walker.next(&self.s3)? else {
            return Ok(Vec::new());
        };
        let mut last_is_dir = first.is_dir;
        let mut batch = vec![wit_types::FileInfo::from(first)];
        while !last_is_dir && batch.len() < max as usize {
            let Some(entry) = walker.next_listed() else {
                break;
            };
            last_is_dir = entry.is_dir;
            batch.push(entry.into());
        }
        Ok(batch)
    }

    fn skip_directory(&self) {
        self.walker.borrow_mut().skip_directory();
    }
}

impl From<FileInfo> for wit_types::FileInfo {
    fn from(info: FileInfo) -> Self {
        let modified = info
            .modified
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| wit_types::Timestamp {
                seconds: d.as_secs() as i64,
                nanoseconds: d.subsec_nanos(),
            });
        wit_types::FileInfo {
            path: info.path,
            size: info.size,
            modified,
            is_dir: info.is_dir,
        }
    }
}

impl From<Error> for wit_types::DriverError {
    fn from(error: Error) -> Self {
        use wit_types::DriverError as W;
        match error {
            Error::PathNotFound(path) => W::PathNotFound(path),
            Error::InvalidPath(path) => W::InvalidPath(path),
            Error::InvalidOffset { path, offset } => {
                W::InvalidOffset(wit_types::InvalidOffsetError { path, offset })
            }
            Error::UnsupportedMethod => W::UnsupportedMethod,
            Error::WriterState(state) => W::WriterState(match state {
                err::WriterState::Closed => wit_types::WriterState::Closed,
                err::WriterState::Committed => wit_types::WriterState::Committed,
                err::WriterState::Canceled => wit_types::WriterState::Canceled,
                err::WriterState::Failed => wit_types::WriterState::Failed,
            }),
            Error::Config(problems) => W::Config(
                problems
                    .into_iter()
                    .map(|p| wit_types::ConfigProblem {
                        key: p.key,
                        message: p.message,
                    })
                    .collect(),
            ),
            Error::Backend(e) => W::Backend(wit_types::BackendError {
                code: e.code,
                message: e.message,
                status: e.status,
                request_id: e.request_id,
                retryable: e.retryable,
            }),
            Error::LimitExceeded(message) => W::LimitExceeded(message),
            Error::InvalidAppend(path) => W::InvalidAppend(path),
        }
    }
}

crate::bindings::export!(Component with_types_in crate::bindings);
