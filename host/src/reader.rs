//! [`Reader`] ([`AsyncRead`]) over the component's `reader` resource. A task owns the
//! leased instance and reads ahead while the caller consumes: the guest splices the bytes from
//! the HTTP answer into a host output stream, so they never pass through its memory.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::io::{AsyncRead, ReadBuf};
use wasmtime::component::Resource;
use wasmtime_wasi::WasiView;

use crate::error::{Error, Result};
use crate::pool::{Leased, Pool, flatten};
use crate::read_sink::ReadSinkHandle;

/// Bytes the guest passes per `read-into` call.
const READ_CHUNK: usize = 256 << 10;

/// Calls' worth of bytes a reader's task has read ahead of its consumer. A reader so holds
/// at most `READ_AHEAD + 2` calls' worth (queued, being sent, being consumed) of
/// [`READ_CHUNK`] bytes, outside the component's memory: 1 MiB.
const READ_AHEAD: usize = 2;

/// A stream of an object's bytes. The guest splices them from the HTTP answer into an output
/// stream of the host (`reader.read-into`), so they reach the reader as hyper received them,
/// without passing through the component's memory.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> Result<(), Box<dyn std::error::Error>> {
/// use tokio::io::AsyncReadExt;
/// let mut reader = driver.reader("/blobs/sha256/ab/abcd/data", 0).await?;
/// let mut buffer = vec![0; 1 << 20];
/// loop {
///     let n = reader.read(&mut buffer).await?;
///     if n == 0 { break; }
///     // send buffer[..n] to the client
/// }
/// # Ok(()) }
/// ```
pub struct Reader {
    /// What each call passed, from the task that reads the object; closed after the last
    /// call or an error.
    passed: tokio::sync::mpsc::Receiver<Result<Vec<Bytes>>>,
    /// The rest of the call being consumed.
    chunks: VecDeque<Bytes>,
}

impl Reader {
    /// Starts the task that owns the instance and reads the object into the channel, up to
    /// [`READ_AHEAD`] calls ahead of the consumer. Dropping the reader stops it: the task's
    /// next send fails, and the instance goes back to the pool.
    pub(crate) fn new(pool: Arc<Pool>, leased: Leased, path: &str) -> Reader {
        let path = path.to_string();
        let (sender, passed) = tokio::sync::mpsc::channel(READ_AHEAD);
        tokio::spawn(async move {
            let Leased {
                mut instance,
                resource,
            } = leased;
            let sink = ReadSinkHandle::default();
            let to = match instance.store.data_mut().ctx().table.push(sink.stream()) {
                Ok(to) => to,
                Err(e) => {
                    let e = wasmtime::format_err!("reading {path}: no room for a read sink: {e}");
                    let _ = sender.send(Err(Error::Component(e))).await;
                    return pool.release(Leased { instance, resource }).await;
                }
            };
            let api = instance.bindings.s3drv_storage_driver().reader();
            let (failure, reusable) = loop {
                instance.store.data_mut().start_call();
                sink.open(READ_CHUNK);
                let borrowed = Resource::new_borrow(to.rep());
                let outcome = api
                    .call_read_into(&mut instance.store, resource, borrowed, READ_CHUNK as u64)
                    .await;
                let trapped = outcome.is_err();
                let (chunks, len) = sink.take();
                // After an error the stream is over. An instance that trapped, or miscounted
                // what it passed, is not used again.
                match flatten(outcome) {
                    Ok(n) if n != len as u64 => break (Some(miscount(&path, n, len)), false),
                    Ok(0) => break (None, true),
                    Ok(_) => {
                        if sender.send(Ok(chunks)).await.is_err() {
                            break (None, true);
                        }
                    }
                    Err(e) => break (Some(e), !trapped),
                }
            };
            // The instance goes back to the pool before the caller hears of an error, so that
            // its next call finds it there.
            if reusable {
                let _ = instance.store.data_mut().ctx().table.delete(to);
                pool.release(Leased { instance, resource }).await;
            }
            if let Some(e) = failure {
                let _ = sender.send(Err(e)).await;
            }
        });
        Reader {
            passed,
            chunks: VecDeque::new(),
        }
    }
}

/// The error of a `read-into` of `path` that returned `n` but passed `passed` bytes.
fn miscount(path: &str, n: u64, passed: usize) -> Error {
    Error::Component(wasmtime::format_err!(
        "reading {path}: read-into said {n} bytes but passed {passed}"
    ))
}

impl Reader {
    /// Waits until a chunk is at the front of `chunks`; `false` at the end of the object.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<bool>> {
        while self.chunks.is_empty() {
            match ready!(self.passed.poll_recv(cx)) {
                Some(chunks) => self.chunks = chunks?.into(),
                None => return Poll::Ready(Ok(false)),
            }
        }
        Poll::Ready(Ok(true))
    }

    /// The next piece of the object as hyper received it (no copy), or `None` at its end: for
    /// a caller that passes the bytes on, as `s3drv serve` does, instead of reading them into
    /// a buffer of its own.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let mut reader = driver.reader("/blobs/sha256/ab/abcd/data", 0).await?;
    /// while let Some(bytes) = reader.chunk().await? {
    ///     // send bytes to the client
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        let more = std::future::poll_fn(|cx| self.poll_fill(cx)).await?;
        Ok(more.then(|| self.chunks.pop_front()).flatten())
    }
}

impl AsyncRead for Reader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        // At the end of the object nothing is put into `buf`.
        if ready!(this.poll_fill(cx)).map_err(io::Error::other)?
            && let Some(chunk) = this.chunks.front_mut()
        {
            let n = buf.remaining().min(chunk.len());
            buf.put_slice(&chunk.split_to(n));
            if chunk.is_empty() {
                this.chunks.pop_front();
            }
        }
        Poll::Ready(Ok(()))
    }
}
