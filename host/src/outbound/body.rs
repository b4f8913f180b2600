//! Answer bodies on their way to the guest: [`WatchedBody`] fails a body that falls silent for
//! longer than the tenant's between-bytes timeout and counts the bytes received, and
//! [`read_small`] takes in a small answer whole so that a cut-short answer can be retried.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::time::{Instant, Sleep};
use wasmtime_wasi_http::Error as HttpError;

use crate::metrics::TenantMetrics;

/// An answer body with a between-bytes timeout, counted in the tenant's metrics.
pub struct WatchedBody {
    inner: Incoming,
    silence: Duration,
    /// Fires at the latest when the silence may be over. It is moved only when it fires
    /// early (moving a timer on every frame takes the runtime's timer-wheel lock).
    timer: Pin<Box<Sleep>>,
    /// Since when the consumer has been waiting for the next frame, if it is.
    waiting_since: Option<Instant>,
    metrics: TenantMetrics,
}

impl WatchedBody {
    /// `inner`, failing after `silence` without a frame.
    pub fn new(inner: Incoming, silence: Duration, metrics: TenantMetrics) -> WatchedBody {
        WatchedBody {
            inner,
            silence,
            timer: Box::pin(tokio::time::sleep(silence)),
            waiting_since: None,
            metrics,
        }
    }
}

impl Body for WatchedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.waiting_since = None;
                if let Some(Ok(data)) = frame.as_ref().map(|f| f.as_ref().map(Frame::data_ref))
                    && let Some(data) = data
                {
                    this.metrics.received(data.len());
                }
                Poll::Ready(frame.map(|f| f.map_err(HttpError::from)))
            }
            Poll::Pending => {
                // Only silence while someone waits counts: a slow consumer is not a slow server.
                let since = *this.waiting_since.get_or_insert_with(Instant::now);
                let silent_until = since + this.silence;
                while this.timer.as_mut().poll(cx).is_ready() {
                    if Instant::now() >= silent_until {
                        return Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)));
                    }
                    this.timer.as_mut().reset(silent_until);
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether an answer is small enough to take in whole before the guest sees it: a body of
/// at most `limit` announced bytes, or none at all.
pub fn is_small(response: &http::Response<Incoming>, limit: u64) -> bool {
    response
        .body()
        .size_hint()
        .upper()
        .is_some_and(|upper| upper <= limit)
}

/// The whole body, or the error that cut it short (lost connection, silence).
pub async fn read_small(body: WatchedBody) -> Result<Bytes, HttpError> {
    Ok(body.collect().await?.to_bytes())
}
