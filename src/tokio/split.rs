//! [`WebSocket::split`](super::WebSocket::split): a read half and a write half for two
//! tasks.
//!
//! Both halves share the stream and the engine behind one mutex, held only for the length
//! of a poll (never across an `.await`), as `tokio::io::split` does for a stream. The read
//! half runs the receive loop and the timers, and writes what the engine answers on its own
//! (pongs, the Close echo); the write half encodes and writes messages. Each waits for the
//! write side under its own waker, and whichever makes progress wakes the other.

use core::future::poll_fn;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::{Arc, Mutex, MutexGuard};

use ::tokio::io::{AsyncRead, AsyncWrite};

use super::{Chunk, Error, Inner, Message, Side};
use crate::CloseCode;

/// The receiving half of a split [`WebSocket`](super::WebSocket): `recv`, `recv_chunk`,
/// `Stream`.
#[derive(Debug)]
pub struct ReadHalf<S> {
    shared: Arc<Mutex<Inner<S>>>,
}

/// The sending half of a split [`WebSocket`](super::WebSocket): `send`, `close`, `Sink`.
#[derive(Debug)]
pub struct WriteHalf<S> {
    shared: Arc<Mutex<Inner<S>>>,
}

pub(super) fn split<S>(inner: Inner<S>) -> (ReadHalf<S>, WriteHalf<S>) {
    let shared = Arc::new(Mutex::new(inner));
    (
        ReadHalf {
            shared: Arc::clone(&shared),
        },
        WriteHalf { shared },
    )
}

/// Locks the shared state; a poisoned lock (a panic in another task mid-poll) still holds
/// consistent state, since every poll leaves it consistent between its steps.
fn lock<S>(shared: &Mutex<Inner<S>>) -> MutexGuard<'_, Inner<S>> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<S: AsyncRead + AsyncWrite + Unpin> ReadHalf<S> {
    /// The next whole message, as [`WebSocket::recv`](super::WebSocket::recv). Cancel-safe.
    ///
    /// # Errors
    /// As for [`WebSocket::recv`](super::WebSocket::recv).
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| lock(&self.shared).poll_message(cx)).await
    }

    /// The next piece of a message, as
    /// [`WebSocket::recv_chunk`](super::WebSocket::recv_chunk). Cancel-safe.
    ///
    /// # Errors
    /// As for [`WebSocket::recv`](super::WebSocket::recv).
    pub async fn recv_chunk(&mut self) -> Option<Result<Chunk, Error>> {
        poll_fn(|cx| lock(&self.shared).poll_chunk(cx)).await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WriteHalf<S> {
    /// Sends a message, as [`WebSocket::send`](super::WebSocket::send). Cancel-safe.
    ///
    /// # Errors
    /// As for [`WebSocket::send`](super::WebSocket::send).
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        self.encode_and_flush(|inner| inner.start_send(&message))
            .await
    }

    /// Sends a prepared message, as
    /// [`WebSocket::send_prepared`](super::WebSocket::send_prepared). Cancel-safe.
    ///
    /// # Errors
    /// As for [`WebSocket::send`](super::WebSocket::send).
    #[cfg(feature = "deflate-compress")]
    pub async fn send_prepared(
        &mut self,
        prepared: &crate::deflate::PreparedMessage,
    ) -> Result<(), Error> {
        self.encode_and_flush(|inner| inner.core.send_prepared(prepared))
            .await
    }

    /// Waits for room, encodes with `encode` under the lock, and flushes (as the whole
    /// socket's sends do).
    async fn encode_and_flush(
        &mut self,
        encode: impl FnOnce(&mut Inner<S>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        poll_fn(|cx| lock(&self.shared).poll_ready(cx, Side::Write)).await?;
        encode(&mut lock(&self.shared))?;
        poll_fn(|cx| lock(&self.shared).poll_flush(cx, Side::Write)).await?;
        Ok(())
    }

    /// Sends a Close and flushes; the read half sees the peer's answer and then ends.
    ///
    /// # Errors
    /// As for [`WebSocket::send`](super::WebSocket::send).
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        {
            let mut inner = lock(&self.shared);
            let now = inner.now();
            inner.core.close(now, code, reason)?;
            if let Some(waker) = inner.read_waker.take() {
                waker.wake(); // the closing deadline is new
            }
        }
        poll_fn(|cx| lock(&self.shared).poll_flush(cx, Side::Write)).await?;
        Ok(())
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> futures_core::Stream for ReadHalf<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        lock(&self.shared).poll_message(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> futures_sink::Sink<Message> for WriteHalf<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        lock(&self.shared).poll_ready(cx, Side::Write)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        lock(&self.shared).start_send(&item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        lock(&self.shared)
            .poll_flush(cx, Side::Write)
            .map_err(Error::from)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        lock(&self.shared).poll_close(cx, Side::Write)
    }
}
