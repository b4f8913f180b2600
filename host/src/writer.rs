//! [`Writer`] ([`AsyncWrite`] plus size / close / cancel / commit) over the component's
//! `writer` resource. Writes run on a task that owns the leased instance, so a chunk is
//! uploaded while the caller produces the next one.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tokio::io::AsyncWrite;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::pool::{Leased, Pool, flatten};

/// Bytes handed to the guest per write call.
const CHUNK: usize = 1 << 20;

/// The task of a write call failed (it panicked or was cancelled).
fn write_task_failed(e: tokio::task::JoinError) -> Error {
    Error::Component(wasmtime::Error::msg(format!(
        "driver call task failed: {e}"
    )))
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
    pool: Arc<Pool>,
    /// The instance, while no call runs on it.
    leased: Option<Leased>,
    /// The write in flight; its task owns the instance.
    busy: Option<JoinHandle<(Option<Leased>, Result<()>)>>,
    /// Bytes not yet handed to the guest.
    pending: Vec<u8>,
}

impl Writer {
    pub(crate) fn new(pool: Arc<Pool>, leased: Leased) -> Writer {
        Writer {
            pool,
            leased: Some(leased),
            busy: None,
            pending: Vec::with_capacity(CHUNK),
        }
    }

    /// Waits for the write in flight.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let Some(busy) = self.busy.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let (leased, result) = ready!(Pin::new(busy).poll(cx)).map_err(write_task_failed)?;
        self.busy = None;
        self.leased = leased;
        Poll::Ready(result)
    }

    /// Hands the pending bytes to the guest on a task (the writer must be idle).
    fn start_write(&mut self) -> Result<()> {
        let Leased {
            mut instance,
            resource,
        } = self.leased.take().ok_or_else(broken)?;
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
                    Some(Leased { instance, resource })
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

    /// Hands `data` to the guest at once (after anything buffered), lowered straight from
    /// the caller's slice: its error, if any, comes back here rather than from a later flush.
    /// Like [`Writer::commit`], a write cut short (its future dropped) leaves the writer
    /// broken; the upload stays open in S3 and `writer(path, true)` resumes it.
    ///
    /// ```no_run
    /// # async fn demo(driver: s3drv_host::Driver) -> s3drv_host::Result<()> {
    /// let mut writer = driver.writer("/uploads/u1/data", false).await?;
    /// writer.write(b"bytes").await?;
    /// writer.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn write(&mut self, data: &[u8]) -> Result<()> {
        self.drain().await?;
        if data.is_empty() {
            return Ok(());
        }
        self.call(Call::Write(data)).await
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
        let Leased { instance, resource } = self.leased.as_mut().ok_or_else(broken)?;
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
    async fn call(&mut self, call: Call<'_>) -> Result<()> {
        let Leased {
            mut instance,
            resource,
        } = self.leased.take().ok_or_else(broken)?;
        let api = instance.bindings.s3drv_storage_driver().writer();
        instance.store.data_mut().start_call();
        let outcome = match call {
            Call::Write(data) => api.call_write(&mut instance.store, resource, data).await,
            Call::Close => api.call_close(&mut instance.store, resource).await,
            Call::Commit => api.call_commit(&mut instance.store, resource).await,
            Call::Cancel => api.call_cancel(&mut instance.store, resource).await,
        };
        if outcome.is_ok() {
            self.leased = Some(Leased { instance, resource });
        }
        flatten(outcome)
    }
}

impl Drop for Writer {
    /// Returns the instance to the pool in the background (a write in flight finishes first
    /// and takes its instance with it).
    fn drop(&mut self) {
        if let (Some(leased), Ok(runtime)) =
            (self.leased.take(), tokio::runtime::Handle::try_current())
        {
            let pool = self.pool.clone();
            runtime.spawn(async move { pool.release(leased).await });
        }
    }
}

/// A call on the held instance: a write of the caller's bytes, or one that ends the session.
enum Call<'a> {
    Write(&'a [u8]),
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
            ready!(this.poll_idle(cx)).map_err(io::Error::other)?;
            this.start_write().map_err(io::Error::other)?;
        }
        let n = buf.len().min(CHUNK - this.pending.len());
        this.pending.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_idle(cx)).map_err(io::Error::other)?;
        if !this.pending.is_empty() {
            this.start_write().map_err(io::Error::other)?;
            ready!(this.poll_idle(cx)).map_err(io::Error::other)?;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
