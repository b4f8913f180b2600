//! Request bodies kept for replay: [`KeptBody`] holds a body taken in whole as the frames the
//! guest wrote, and hands out [`ReplayBody`] copies that share those frames, so that a part of
//! `chunksize` bytes is neither concatenated nor copied again for each attempt.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use wasmtime_wasi_http::Error as HttpError;

/// A request body taken in whole.
pub struct KeptBody {
    frames: Vec<Bytes>,
    length: u64,
}

impl KeptBody {
    /// Reads `body` to its end (trailers are not kept: S3 requests have none).
    pub async fn take<B>(mut body: B) -> Result<KeptBody, B::Error>
    where
        B: Body<Data = Bytes> + Unpin,
    {
        let mut frames = Vec::new();
        let mut length = 0;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data()
                && !data.is_empty()
            {
                length += data.len() as u64;
                frames.push(data);
            }
        }
        Ok(KeptBody { frames, length })
    }

    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        self.length
    }

    /// A body sending the kept bytes once more.
    pub fn replay(&self) -> ReplayBody {
        ReplayBody {
            frames: self.frames.clone().into_iter(),
            remaining: self.length,
        }
    }
}

/// One sending of a [`KeptBody`].
pub struct ReplayBody {
    frames: std::vec::IntoIter<Bytes>,
    remaining: u64,
}

impl Body for ReplayBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let next = self.frames.next();
        if let Some(data) = &next {
            self.remaining -= data.len() as u64;
        }
        Poll::Ready(next.map(|data| Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{Full, StreamBody};

    #[tokio::test]
    async fn every_replay_sends_the_same_bytes_as_frames() {
        let chunks =
            ["abc", "", "defg", "h"].map(|s| Ok::<_, HttpError>(Frame::data(Bytes::from(s))));
        let kept = KeptBody::take(StreamBody::new(futures_util::stream::iter(chunks)))
            .await
            .unwrap();
        assert_eq!(kept.len(), 8);
        for _ in 0..2 {
            let replay = kept.replay();
            assert_eq!(replay.size_hint().exact(), Some(8));
            let bytes = replay.collect().await.unwrap().to_bytes();
            assert_eq!(&bytes[..], b"abcdefgh");
        }
        let empty = KeptBody::take(Full::new(Bytes::new())).await.unwrap();
        assert!(empty.replay().is_end_stream());
    }
}
