//! [`Reader`] ([`AsyncRead`]) and [`Writer`] ([`AsyncWrite`] plus size / close / cancel /
//! commit) over the component's `reader` and `writer` resources.
//!
//! Each holds its instance for its whole life. Guest calls run on spawned tokio tasks that
//! own the instance, so the next chunk is read ahead while the caller consumes the current
//! one, and a chunk is uploaded while the caller produces the next one.

use std::collections::VecDeque;
use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::JoinHandle;
use wasmtime::component::{Resource, ResourceAny};
use wasmtime_wasi::WasiView;

use crate::driver::{Driver, Instance, flatten};
use crate::error::{Error, Result};
use crate::read_sink::ReadSinkHandle;

/// Bytes handed to the guest per write call.
const CHUNK: usize = 1 << 20;

fn io_error(e: Error) -> io::Error {
    io::Error::other(e)
}

fn lost(e: tokio::task::JoinError) -> Error {
    Error::Component(wasmtime::Error::msg(format!(
        "driver call task failed: {e}"
    )))
}

/// Drops `resource` and returns the instance to the driver's pool.
async fn release(driver: &Driver, mut instance: Instance, resource: ResourceAny) {
    instance.store.data_mut().start_call();
    if resource
        .resource_drop_async(&mut instance.store)
        .await
        .is_ok()
    {
        driver.checkin(instance);
    }
}

/// An instance and its resource, while no call runs on them.
type Held = (Instance, ResourceAny);

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
    pub(crate) fn new(
        driver: Driver,
        mut instance: Instance,
        resource: ResourceAny,
        path: &str,
    ) -> Reader {
        let path = path.to_string();
        let (sender, passed) = tokio::sync::mpsc::channel(READ_AHEAD);
        tokio::spawn(async move {
            let sink = ReadSinkHandle::default();
            let to = match instance.store.data_mut().ctx().table.push(sink.stream()) {
                Ok(to) => to,
                Err(e) => {
                    let e = wasmtime::format_err!("reading {path}: no room for a read sink: {e}");
                    let _ = sender.send(Err(Error::Component(e))).await;
                    return release(&driver, instance, resource).await;
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
                release(&driver, instance, resource).await;
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

impl AsyncRead for Reader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if let Some(chunk) = this.chunks.front_mut() {
                let n = buf.remaining().min(chunk.len());
                buf.put_slice(&chunk.split_to(n));
                if chunk.is_empty() {
                    this.chunks.pop_front();
                }
                return Poll::Ready(Ok(()));
            }
            match ready!(this.passed.poll_recv(cx)) {
                Some(chunks) => this.chunks = chunks.map_err(io_error)?.into(),
                // The end of the object.
                None => return Poll::Ready(Ok(())),
            }
        }
    }
}

/// A writer of an S3 multipart upload.
///
/// ```no_run
/// # async fn demo(driver: s3drv_host::Driver) -> Result<(), Box<dyn std::error::Error>> {
/// use tokio::io::AsyncWriteExt;
/// let mut writer = driver.writer("/uploads/u1/data", false).await?;
/// let mut layer = tokio::fs::File::open("layer.tar.gz").await?;
/// tokio::io::copy(&mut layer, &mut writer).await?;
/// writer.commit().await?;
/// # Ok(()) }
/// ```
pub struct Writer {
    driver: Driver,
    held: Option<Held>,
    /// The write in flight; its task owns the instance.
    busy: Option<JoinHandle<(Option<Held>, Result<()>)>>,
    /// Bytes not yet handed to the guest.
    pending: Vec<u8>,
}

impl Writer {
    pub(crate) fn new(driver: Driver, instance: Instance, resource: ResourceAny) -> Writer {
        Writer {
            driver,
            held: Some((instance, resource)),
            busy: None,
            pending: Vec::with_capacity(CHUNK),
        }
    }

    /// Waits for the write in flight.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let Some(busy) = self.busy.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let (held, result) = ready!(Pin::new(busy).poll(cx)).map_err(lost)?;
        self.busy = None;
        self.held = held;
        Poll::Ready(result)
    }

    /// Hands the pending bytes to the guest on a task (the writer must be idle).
    fn start_write(&mut self) -> Result<()> {
        let (mut instance, resource) = self.held.take().ok_or_else(broken)?;
        let data = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK));
        self.busy = Some(tokio::spawn(async move {
            let api = instance.bindings.s3drv_storage_driver().writer();
            instance.store.data_mut().start_call();
            let outcome = api.call_write(&mut instance.store, resource, &data).await;
            let trapped = outcome.is_err();
            let result = flatten(outcome);
            (
                if trapped {
                    None
                } else {
                    Some((instance, resource))
                },
                result,
            )
        }));
        Ok(())
    }

    /// Hands every pending byte to the guest and waits until it took them.
    async fn drain(&mut self) -> Result<()> {
        std::future::poll_fn(|cx| self.poll_idle(cx)).await?;
        if !self.pending.is_empty() {
            self.start_write()?;
            std::future::poll_fn(|cx| self.poll_idle(cx)).await?;
        }
        Ok(())
    }

    /// Hands `data` to the guest at once (after anything buffered): its error, if any,
    /// comes back here rather than from a later flush.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let mut writer = driver.writer("/uploads/u1/data", false).await?;
    /// writer.write(b"bytes").await?;
    /// writer.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn write(&mut self, data: &[u8]) -> Result<()> {
        self.pending.extend_from_slice(data);
        self.drain().await
    }

    /// Every byte accepted so far, including earlier sessions of a resumed upload.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let mut writer = driver.writer("/uploads/u1/data", true).await?;
    /// println!("the upload holds {} bytes", writer.size().await?);
    /// writer.close().await?;
    /// # Ok(()) }
    /// ```
    pub async fn size(&mut self) -> Result<u64> {
        self.drain().await?;
        let (instance, resource) = self.held.as_mut().ok_or_else(broken)?;
        let api = instance.bindings.s3drv_storage_driver().writer();
        instance.store.data_mut().start_call();
        api.call_size(&mut instance.store, *resource)
            .await
            .map_err(Error::Component)
    }

    /// Uploads what is buffered and leaves the upload open for a later resume. After
    /// [`Writer::cancel`] or [`Writer::commit`] it does nothing and succeeds.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let mut writer = driver.writer("/uploads/u1/data", false).await?;
    /// writer.write(b"part of a blob").await?;
    /// // The upload stays open: `driver.writer(path, true)` resumes it.
    /// writer.close().await?;
    /// # Ok(()) }
    /// ```
    pub async fn close(&mut self) -> Result<()> {
        self.drain().await?;
        self.call(Call::Close).await
    }

    /// Uploads what is buffered and completes the upload: the object becomes visible.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let mut writer = driver.writer("/uploads/u1/data", false).await?;
    /// writer.write(b"the whole blob").await?;
    /// writer.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn commit(&mut self) -> Result<()> {
        self.drain().await?;
        self.call(Call::Commit).await
    }

    /// Aborts the upload; bytes not yet handed to the guest are dropped.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let mut writer = driver.writer("/uploads/u1/data", true).await?;
    /// // The client gave up: the upload and its parts are deleted.
    /// writer.cancel().await?;
    /// # Ok(()) }
    /// ```
    pub async fn cancel(&mut self) -> Result<()> {
        self.pending.clear();
        self.drain().await?;
        self.call(Call::Cancel).await
    }

    /// Runs `call` on the held instance (the writer must be idle). The instance is out of the
    /// writer while the call runs: a call cut short (its future dropped) or trapped leaves
    /// the writer broken rather than holding an instance in the middle of a call.
    async fn call(&mut self, call: Call) -> Result<()> {
        let (mut instance, resource) = self.held.take().ok_or_else(broken)?;
        let api = instance.bindings.s3drv_storage_driver().writer();
        instance.store.data_mut().start_call();
        let outcome = match call {
            Call::Close => api.call_close(&mut instance.store, resource).await,
            Call::Commit => api.call_commit(&mut instance.store, resource).await,
            Call::Cancel => api.call_cancel(&mut instance.store, resource).await,
        };
        if outcome.is_ok() {
            self.held = Some((instance, resource));
        }
        flatten(outcome)
    }
}

impl Drop for Writer {
    /// Returns the instance to the pool in the background (a write in flight finishes first
    /// and takes its instance with it).
    fn drop(&mut self) {
        if let (Some((instance, resource)), Ok(runtime)) =
            (self.held.take(), tokio::runtime::Handle::try_current())
        {
            let driver = self.driver.clone();
            runtime.spawn(async move { release(&driver, instance, resource).await });
        }
    }
}

/// A call that ends a writer session.
enum Call {
    Close,
    Commit,
    Cancel,
}

/// The writer lost its instance to an earlier trap.
fn broken() -> Error {
    Error::Component(wasmtime::Error::msg(
        "the writer's instance failed earlier; open a new writer",
    ))
}

impl AsyncWrite for Writer {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pending.len() >= CHUNK {
            ready!(this.poll_idle(cx)).map_err(io_error)?;
            this.start_write().map_err(io_error)?;
        }
        let n = buf.len().min(CHUNK - this.pending.len());
        this.pending.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_idle(cx)).map_err(io_error)?;
        if !this.pending.is_empty() {
            this.start_write().map_err(io_error)?;
            ready!(this.poll_idle(cx)).map_err(io_error)?;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
