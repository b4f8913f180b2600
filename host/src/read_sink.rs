//! The `wasi:io` output stream a reader's `read-into` fills.
//!
//! The guest splices an object's bytes from the HTTP answer's body into this stream, so they
//! go from hyper's frames to the host's [`Reader`](crate::Reader) as the same [`Bytes`],
//! never copied into or out of the component's memory.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError};

/// The bytes passed during one call, and the room left in it.
#[derive(Default)]
struct Passed {
    chunks: Vec<Bytes>,
    room: usize,
}

/// The host's side of a [`ReadSink`]: opens it for a call and takes what the call passed.
#[derive(Clone, Default)]
pub(crate) struct ReadSinkHandle(Arc<Mutex<Passed>>);

impl ReadSinkHandle {
    /// The stream to put in the instance's resource table.
    pub(crate) fn stream(&self) -> Box<dyn OutputStream> {
        Box::new(ReadSink(self.clone()))
    }

    /// Accepts up to `room` bytes until the next [`ReadSinkHandle::take`].
    pub(crate) fn open(&self, room: usize) {
        self.lock().room = room;
    }

    /// The chunks passed since [`ReadSinkHandle::open`], and their total length; closes the
    /// sink until it is opened again.
    pub(crate) fn take(&self) -> (Vec<Bytes>, usize) {
        let passed = std::mem::take(&mut *self.lock());
        let len = passed.chunks.iter().map(Bytes::len).sum();
        (passed.chunks, len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Passed> {
        // The lock guards plain data; a panic elsewhere leaves it consistent.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An output stream that keeps what is written to it for its [`ReadSinkHandle`].
struct ReadSink(ReadSinkHandle);

impl OutputStream for ReadSink {
    fn write(&mut self, bytes: Bytes) -> Result<(), StreamError> {
        let mut passed = self.0.lock();
        if bytes.len() > passed.room {
            return Err(StreamError::LastOperationFailed(wasmtime::format_err!(
                "{} bytes written to a read sink with room for {}",
                bytes.len(),
                passed.room
            )));
        }
        passed.room -= bytes.len();
        if !bytes.is_empty() {
            passed.chunks.push(bytes);
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StreamError> {
        Ok(())
    }

    /// The room left, but never 0: wasmtime's blocking helpers wait for a non-zero permit
    /// (and trap after a while); a write past the room fails instead.
    fn check_write(&mut self) -> Result<usize, StreamError> {
        Ok(self.0.lock().room.max(1))
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for ReadSink {
    /// Always writable: the room is set before each call.
    async fn ready(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_fits_and_refuses_the_rest() {
        let handle = ReadSinkHandle::default();
        let mut sink = handle.stream();
        handle.open(10);
        sink.write(Bytes::from_static(b"012345")).unwrap();
        assert_eq!(sink.check_write().unwrap(), 4);
        assert!(sink.write(Bytes::from_static(b"6789x")).is_err());
        sink.write(Bytes::from_static(b"6789")).unwrap();
        assert_eq!(sink.check_write().unwrap(), 1);
        let (chunks, len) = handle.take();
        assert_eq!((chunks.concat(), len), (b"0123456789".to_vec(), 10));
        // Closed until opened again.
        assert!(sink.write(Bytes::from_static(b"a")).is_err());
        assert_eq!(handle.take().1, 0);
    }
}
