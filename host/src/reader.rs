//! [`Reader`] ([`AsyncRead`]) over the component's `reader` resource. The component hands
//! the HTTP answer's body stream over (`reader.body`) and the host reads hyper's frames from
//! it on the caller's task, without calling into the component for each of them; only a
//! body that breaks off calls it again (`reader.resume`, which asks S3 for the rest).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::io::{AsyncRead, ReadBuf};
use wasmtime::component::Resource;
use wasmtime_wasi::WasiView;
use wasmtime_wasi::p2::{DynInputStream, StreamError};

use crate::error::{Error, Result};
use crate::pool::{Leased, Pool, flatten};

/// Times in a row the host asks the component to resume a broken body without a byte in
/// between before it gives up (the component's own limit is lower; this one bounds a
/// component that never gives up).
const RESUMES_WITHOUT_PROGRESS: u32 = 8;

/// A stream of an object's bytes, read by the host from the HTTP answer's body that the
/// component hands over: they reach the reader as hyper received them, without passing
/// through the component's memory. After an error every later read fails too: a cut object
/// never ends as if it were whole.
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
    /// The rest of the last frame.
    frame: Bytes,
}

/// Where a reader is between the caller's polls.
enum State {
    /// Nothing waits: the session is ready for the caller's next read.
    Idle(Box<Session>),
    /// Waiting for the next frame, or for the component to resume a broken body; the future
    /// owns the session.
    Waiting(Pin<Box<dyn Future<Output = Step> + Send>>),
    /// The object ended; the instance went back to the pool.
    Done,
    /// The stream failed with this error's text; every later read fails too, so that a cut
    /// object never reads as a whole one. The instance went back to the pool, or was dropped
    /// if it trapped.
    Failed(String),
}

/// The instance holding the guest's reader (and the HTTP body the stream belongs to), the
/// stream the host reads, and the pool the instance goes back to.
struct Session {
    pool: Arc<Pool>,
    leased: Leased,
    stream: DynInputStream,
    /// Bytes read from `stream`, told to the component if it breaks.
    received: u64,
    /// Times the component resumed since the last byte.
    resumes: u32,
    path: String,
}

/// What waiting on a session gave.
enum Step {
    /// A frame, and the session for the next one.
    Read(Box<Session>, Bytes),
    /// The end of the object; the instance is back in the pool.
    End,
    /// Reading `path` failed; the instance is back in the pool unless it trapped.
    Failed { error: Error, path: String },
}

impl Reader {
    /// A reader of `path` over an instance holding the guest's reader resource: takes the
    /// answer's body stream from the component. The instance goes back to the pool at the
    /// end of the object, after an error, or when the reader is dropped.
    pub(crate) async fn open(pool: Arc<Pool>, mut leased: Leased, path: &str) -> Result<Reader> {
        let state = match hand_over(&mut leased, None).await {
            Ok(Some(stream)) => State::Idle(Box::new(Session {
                pool,
                leased,
                stream,
                received: 0,
                resumes: 0,
                path: path.to_string(),
            })),
            Ok(None) => {
                pool.release(leased).await;
                State::Done
            }
            Err((error, trapped)) => {
                if !trapped {
                    pool.release(leased).await;
                }
                return Err(error);
            }
        };
        Ok(Reader {
            state: Mutex::new(state),
            frame: Bytes::new(),
        })
    }

    /// Waits until `frame` holds bytes; `false` at the end of the object.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<bool>> {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        while self.frame.is_empty() {
            let mut waiting = match std::mem::replace(state, State::Done) {
                State::Idle(session) => Box::pin(next_frame(session)),
                State::Waiting(waiting) => waiting,
                State::Done => return Poll::Ready(Ok(false)),
                State::Failed(first) => {
                    let again = failed_earlier(&first);
                    *state = State::Failed(first);
                    return Poll::Ready(Err(again));
                }
            };
            match waiting.as_mut().poll(cx) {
                Poll::Pending => {
                    *state = State::Waiting(waiting);
                    return Poll::Pending;
                }
                Poll::Ready(Step::Read(session, frame)) => {
                    *state = State::Idle(session);
                    self.frame = frame;
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
        Ok(more.then(|| std::mem::take(&mut self.frame)))
    }
}

/// The session's next frame. A stream that ends ends the object; one that breaks off is
/// resumed by the component, which asks S3 for the rest. At the end of the object or after
/// an error the instance goes back to the pool (before the caller hears of the error, so that
/// its next call finds it there), unless it trapped.
async fn next_frame(mut session: Box<Session>) -> Step {
    loop {
        let failure = match session.stream.read(usize::MAX) {
            Ok(frame) if frame.is_empty() => {
                session.stream.ready().await;
                continue;
            }
            Ok(frame) => {
                session.received += frame.len() as u64;
                session.resumes = 0;
                return Step::Read(session, frame);
            }
            Err(StreamError::Closed) => {
                release(session).await;
                return Step::End;
            }
            Err(StreamError::LastOperationFailed(e) | StreamError::Trap(e)) => e,
        };
        if session.resumes == RESUMES_WITHOUT_PROGRESS {
            let error = Error::Component(wasmtime::format_err!(
                "reading {}: the component resumed a broken body {RESUMES_WITHOUT_PROGRESS} \
                 times without a byte (last: {failure:#})",
                session.path
            ));
            let path = session.path.clone();
            release(session).await;
            return Step::Failed { error, path };
        }
        let broke = Some((session.received, format!("{failure:#}")));
        match hand_over(&mut session.leased, broke).await {
            Ok(Some(stream)) => {
                session.stream = stream;
                session.received = 0;
                session.resumes += 1;
            }
            Ok(None) => {
                release(session).await;
                return Step::End;
            }
            Err((error, trapped)) => {
                let path = std::mem::take(&mut session.path);
                if !trapped {
                    release(session).await;
                }
                return Step::Failed { error, path };
            }
        }
    }
}

/// Calls the guest reader's `body` (no `broke`), or `resume` after a stream broke off
/// (`broke`: the bytes it gave and why it broke), and takes the stream it hands over out of
/// the instance's table; `None` when there is nothing (more) to read. An error says whether
/// the instance trapped.
async fn hand_over(
    leased: &mut Leased,
    broke: Option<(u64, String)>,
) -> std::result::Result<Option<DynInputStream>, (Error, bool)> {
    let Leased { instance, resource } = leased;
    instance.store.data_mut().start_call();
    let api = instance.bindings.s3drv_storage_driver().reader();
    let outcome = match broke {
        None => api.call_body(&mut instance.store, *resource).await,
        Some((received, failure)) => {
            api.call_resume(&mut instance.store, *resource, received, &failure)
                .await
        }
    };
    let trapped = outcome.is_err();
    match flatten(outcome) {
        Ok(Some(stream)) => take_stream(instance.store.data_mut(), stream)
            .map(Some)
            .map_err(|e| (e, false)),
        Ok(None) => Ok(None),
        Err(error) => Err((error, trapped)),
    }
}

/// The stream behind `handle`, out of the instance's table: the host owns it from now on.
fn take_stream(
    state: &mut crate::store::StoreState,
    handle: Resource<DynInputStream>,
) -> Result<DynInputStream> {
    state.ctx().table.delete(handle).map_err(|e| {
        Error::Component(wasmtime::format_err!(
            "the component handed over a stream the host cannot take: {e}"
        ))
    })
}

/// Puts a session's instance back in the pool (the guest's reader dropped with it).
async fn release(session: Box<Session>) {
    let Session { pool, leased, .. } = *session;
    pool.release(leased).await;
}

impl Drop for Reader {
    /// A reader dropped before the end of its object gives its instance back to the pool on a
    /// task: at once between frames, or once a resume in flight has ended.
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
            State::Waiting(waiting) => {
                runtime.spawn(async move {
                    if let Step::Read(session, _) = waiting.await {
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

impl AsyncRead for Reader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        // At the end of the object nothing is put into `buf`.
        if ready!(this.poll_fill(cx)).map_err(io::Error::other)? {
            let n = buf.remaining().min(this.frame.len());
            buf.put_slice(&this.frame.split_to(n));
        }
        Poll::Ready(Ok(()))
    }
}
