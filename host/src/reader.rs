//! [`Reader`] ([`AsyncRead`]) over the component's `reader` resource. Each `read-into` call
//! runs on the caller's task when the caller wants bytes: the guest splices them from the
//! HTTP answer into a host output stream, so they never pass through its memory, and no
//! other task stands between hyper and the caller.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::io::{AsyncRead, ReadBuf};
use wasmtime::component::Resource;
use wasmtime_wasi::WasiView;
use wasmtime_wasi::p2::bindings::io::streams::OutputStream;

use crate::error::{Error, Result};
use crate::pool::{Leased, Pool, flatten};
use crate::read_sink::ReadSinkHandle;

/// Bytes the guest passes per `read-into` call: what a reader holds outside the component's
/// memory at most.
const READ_CHUNK: usize = 256 << 10;

/// A stream of an object's bytes. The guest splices them from the HTTP answer into an output
/// stream of the host (`reader.read-into`), so they reach the reader as hyper received them,
/// without passing through the component's memory. After an error every later read fails
/// too: a cut object never ends as if it were whole.
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
    /// The lock only makes the reader `Sync` (an instance is not): it is taken through
    /// `&mut self`, never contended.
    state: Mutex<State>,
    /// The rest of the last call's bytes.
    chunks: VecDeque<Bytes>,
}

/// Where a reader is between the caller's polls.
enum State {
    /// No call runs: the instance waits for the caller's next read.
    Idle(Box<Session>),
    /// A `read-into` call runs; its future owns the session.
    Reading(Pin<Box<dyn Future<Output = Step> + Send>>),
    /// The object ended; the instance went back to the pool.
    Done,
    /// The stream failed with this error's text; every later read fails too, so that a cut
    /// object never reads as a whole one. The instance went back to the pool, or was dropped
    /// if it trapped.
    Failed(String),
}

/// The instance reading an object, the host stream its calls fill, and the pool the instance
/// goes back to.
struct Session {
    pool: Arc<Pool>,
    leased: Leased,
    sink: ReadSinkHandle,
    to: Resource<OutputStream>,
    path: String,
}

/// What one `read-into` call gave.
enum Step {
    /// Bytes, and the session for the next call.
    Read(Box<Session>, Vec<Bytes>),
    /// The end of the object; the instance is back in the pool.
    End,
    /// Reading `path` failed; the instance is back in the pool unless it trapped or
    /// miscounted.
    Failed { error: Error, path: String },
}

impl Reader {
    /// A reader of `path` over an instance holding the guest's reader resource. The instance
    /// goes back to the pool at the end of the object, after an error, or when the reader is
    /// dropped.
    pub(crate) async fn open(pool: Arc<Pool>, mut leased: Leased, path: &str) -> Result<Reader> {
        let sink = ReadSinkHandle::default();
        let to = match leased
            .instance
            .store
            .data_mut()
            .ctx()
            .table
            .push(sink.stream())
        {
            Ok(to) => to,
            Err(e) => {
                pool.release(leased).await;
                let e = wasmtime::format_err!("reading {path}: no room for a read sink: {e}");
                return Err(Error::Component(e));
            }
        };
        let session = Session {
            pool,
            leased,
            sink,
            to,
            path: path.to_string(),
        };
        Ok(Reader {
            state: Mutex::new(State::Idle(Box::new(session))),
            chunks: VecDeque::new(),
        })
    }

    /// Waits until a chunk is at the front of `chunks`; `false` at the end of the object.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<bool>> {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        while self.chunks.is_empty() {
            let mut call = match std::mem::replace(state, State::Done) {
                State::Idle(session) => Box::pin(read_into(session)),
                State::Reading(call) => call,
                State::Done => return Poll::Ready(Ok(false)),
                State::Failed(first) => {
                    let again = failed_earlier(&first);
                    *state = State::Failed(first);
                    return Poll::Ready(Err(again));
                }
            };
            match call.as_mut().poll(cx) {
                Poll::Pending => {
                    *state = State::Reading(call);
                    return Poll::Pending;
                }
                Poll::Ready(Step::Read(session, chunks)) => {
                    *state = State::Idle(session);
                    self.chunks = chunks.into();
                }
                Poll::Ready(Step::End) => return Poll::Ready(Ok(false)),
                Poll::Ready(Step::Failed { error, path }) => {
                    *state = State::Failed(format!("reading {path}: {error}"));
                    return Poll::Ready(Err(error));
                }
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

/// One `read-into` call of up to [`READ_CHUNK`] bytes. At the end of the object or after an
/// error the instance goes back to the pool (before the caller hears of the error, so that
/// its next call finds it there), unless it trapped or miscounted what it passed.
async fn read_into(mut session: Box<Session>) -> Step {
    let Session {
        leased: Leased { instance, resource },
        sink,
        to,
        path,
        ..
    } = &mut *session;
    instance.store.data_mut().start_call();
    sink.open(READ_CHUNK);
    let api = instance.bindings.s3drv_storage_driver().reader();
    let borrowed = Resource::new_borrow(to.rep());
    let outcome = api
        .call_read_into(&mut instance.store, *resource, borrowed, READ_CHUNK as u64)
        .await;
    let trapped = outcome.is_err();
    let (chunks, len) = sink.take();
    let (error, reusable) = match flatten(outcome) {
        Ok(n) if n != len as u64 => (Some(miscount(path, n, len)), false),
        Ok(0) => (None, true),
        Ok(_) => return Step::Read(session, chunks),
        Err(e) => (Some(e), !trapped),
    };
    let path = std::mem::take(path);
    if reusable {
        release(session).await;
    }
    match error {
        Some(error) => Step::Failed { error, path },
        None => Step::End,
    }
}

/// Puts a session's instance back in the pool, its read sink deleted.
async fn release(session: Box<Session>) {
    let Session {
        pool,
        mut leased,
        to,
        ..
    } = *session;
    let _ = leased.instance.store.data_mut().ctx().table.delete(to);
    pool.release(leased).await;
}

impl Drop for Reader {
    /// A reader dropped before the end of its object gives its instance back to the pool on a
    /// task: at once between calls, or once the call in flight has passed its bytes.
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        let state = std::mem::replace(state, State::Done);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        match state {
            State::Idle(session) => {
                runtime.spawn(release(session));
            }
            State::Reading(call) => {
                runtime.spawn(async move {
                    if let Step::Read(session, _) = call.await {
                        release(session).await;
                    }
                });
            }
            State::Done | State::Failed(_) => {}
        }
    }
}

/// The error of a read after the stream failed with `first` (which names the path).
fn failed_earlier(first: &str) -> Error {
    Error::Component(wasmtime::format_err!(
        "the reader failed earlier ({first}); open a new reader"
    ))
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
