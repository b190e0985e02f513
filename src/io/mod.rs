//! Adapters that drive a [`Connection`] over a byte transport: blocking
//! [`embedded_io`] and async [`embedded_io_async`].
//!
//! Each adapter is a thin `Socket` around one [`Connection`] and the loop the crate docs
//! describe. You bring everything it needs:
//! - the `Connection` (built with [`Connection::server`], [`Connection::client`] or
//!   [`Connection::upgraded`]), so every [`Config`](crate::Config) limit and timer applies;
//! - the transport (`embedded_io::Read + Write`, or the async pair, e.g. an embassy-net
//!   `TcpSocket`);
//! - a clock, any `FnMut() -> Instant` (monotonic milliseconds);
//! - a receive buffer `rx` and a transmit buffer `tx`. `rx` must hold the largest HTTP head
//!   you accept (`max_head_len`, 8 KiB by default; a few hundred bytes are plenty once
//!   open). `tx` must hold the handshake request or response and at least
//!   [`Connection::max_transmit_len`] bytes; messages larger than `tx` still go out as one
//!   frame, copied through `tx` piece by piece.
//!
//! # Reading
//! - `read_message(buf)` assembles the next whole text or binary message into `buf`
//!   (with a [`crate::MessageAssembler`]); pings are answered and
//!   pongs and Close frames absorbed on the way. A message larger than `buf` makes the
//!   socket send Close 1009 and return
//!   [`ProtocolViolation::MessageTooLarge`](crate::ProtocolViolation::MessageTooLarge).
//! - `read_event()` streams: it returns the next [`Event`] (message chunks borrowing
//!   `rx`, pings, pongs, the peer's Close), so a message of any size passes through `rx`.
//!   Its text chunks are checked for UTF-8 twice (see below); `read_event_with(f)` hands
//!   the same events to `f` where the engine returned them, checked once.
//!
//! Why twice: `read_event` returns an event borrowing `rx` from inside the loop that
//! reads the transport into `rx` when no event came, the conditional return of a borrow
//! that stable Rust's borrow checker refuses. So the socket records where the event lies
//! and borrows `rx` again after the loop, and safe code can only make a `&str` of those
//! bytes by checking them. `read_message` checks a text message again as a whole after
//! assembling it in `buf`, for the same reason.
//!
//! Both return `Ok(None)` once the connection is over (the closing handshake finished, the
//! engine asked to close the transport, or the transport reached EOF);
//! [`closed`](self::embedded_io::Socket::closed) then says how it ended. Everything the
//! engine owes the peer (pongs, Close echoes, HTTP errors, keepalive pings) is written as
//! soon as it is due: the sockets drain [`Connection::poll_transmit`] after every step.
//!
//! # Time
//! Before each read from the transport the socket fires due timers. A blocking transport
//! that blocks forever never gets there, so give it a read timeout: an error whose
//! `kind()` is `ErrorKind::TimedOut` makes the socket fire timers and read
//! again. In async code you can instead race `read_*` against a timer at
//! [`poll_timeout`](self::embedded_io_async::Socket::poll_timeout) and then call
//! `handle_timeout`.
//!
//! # Cancel safety (async)
//! - `read_event` is cancel-safe while it waits for the transport's `read` (then it has
//!   changed nothing), provided that `read` future is itself cancel-safe (drops no bytes),
//!   as embassy-net's `TcpSocket::read` is. It is not while it writes (a pong, a Close
//!   echo): a dropped write may leave a partial frame on the wire. Racing it against a
//!   timer therefore loses nothing as long as nothing was owed to the peer.
//! - `read_message` is not cancel-safe: the message assembled so far lives in the future
//!   and its consumed chunks are gone; the next `read_message` skips the rest of it.
//! - `connect`, `accept`, `send_*`, `close` and `handle_timeout` write: never drop them
//!   midway.
//!
//! # From `std` and tokio types
//! The sockets take `embedded-io` 0.7 transports. The
//! [`embedded-io-adapters`](https://docs.rs/embedded-io-adapters) crate (0.7) bridges to them:
//! `embedded_io_adapters::std::FromStd::new(tcp_stream)` wraps a `std::io::Read + Write`
//! (a `std::net::TcpStream`) for the blocking socket, and
//! `embedded_io_adapters::tokio_1::FromTokio::new(stream)` wraps a tokio
//! `AsyncRead + AsyncWrite` for the async one (features `std` and `tokio-1` of that crate).
//!
//! # One source
//! The blocking and async sockets are generated from one macro body (`io/socket.rs`),
//! which differs between them only in `async` and `.await`; the IO-free logic they share
//! is in `Core` here.
//!
//! # Closing the transport
//! `embedded-io` has no "close": when the engine says `close_transport_after`, the socket
//! stops using the transport and `read_*` returns `Ok(None)`; close or drop it yourself
//! ([`into_inner`](self::embedded_io::Socket::into_inner)).

mod socket;

#[cfg(feature = "embedded-io")]
pub mod embedded_io;
#[cfg(feature = "embedded-io-async")]
pub mod embedded_io_async;

use core::ops::Range;

use crate::close::CloseFrame;
use crate::connection::Connection;
use crate::event::{BinaryChunk, Event, TextChunk};
use crate::frame::MaskSource;
use crate::message::{Message, MessageAssembler, MessageKind};
use crate::time::Instant;
use crate::utf8::Utf8Chunk;
use crate::{Accept, Reject, Request};

/// Why an adapter call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error<E> {
    /// The transport failed; the connection is unusable.
    Io(E),
    /// The transport accepted no bytes of a write (`write` returned 0).
    WriteZero,
    /// The engine refused: a peer violation (the Close frame or HTTP error has been sent),
    /// a failed handshake, misuse, or a buffer too small for the handshake.
    Connection(crate::Error),
    /// The application rejected the upgrade request; the response has been sent.
    Rejected,
}

impl<E: core::fmt::Debug> core::fmt::Display for Error<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "transport error: {e:?}"),
            Self::WriteZero => f.write_str("transport wrote zero bytes"),
            Self::Connection(e) => write!(f, "websocket error: {e}"),
            Self::Rejected => f.write_str("upgrade request rejected"),
        }
    }
}

impl<E: core::fmt::Debug> core::error::Error for Error<E> {}

impl<E> From<crate::Error> for Error<E> {
    fn from(error: crate::Error) -> Self {
        Self::Connection(error)
    }
}

/// The IO-free half of both sockets: engine, clock, buffers and their bookkeeping.
#[derive(Debug)]
pub(crate) struct Core<'b, M, C> {
    pub(crate) conn: Connection<M>,
    clock: C,
    rx: &'b mut [u8],
    // INVARIANT: `start <= end <= rx.len()`; `rx[start..end]` is received, unconsumed.
    start: usize,
    end: usize,
    pub(crate) tx: &'b mut [u8],
    /// The transport must not be used any more (EOF, or the engine asked to close it).
    pub(crate) finished: bool,
    /// A data message was started and not finished (its next chunks are continuations).
    in_message: bool,
}

/// A frame event with its borrowed bytes replaced by their place in `rx`.
#[derive(Clone, Debug)]
pub(crate) enum Located {
    Text {
        prefix: Utf8Chunk<'static>,
        at: Range<usize>,
        is_first: bool,
        is_last: bool,
    },
    Binary {
        at: Range<usize>,
        is_first: bool,
        is_last: bool,
    },
    Ping(crate::ControlPayload),
    Pong(crate::ControlPayload),
    Close(CloseFrame),
}

/// What a `read_message` step produced.
pub(crate) enum Assembled {
    /// A whole message of this kind and length sits at the front of the caller's buffer.
    Message(MessageKind, usize),
    /// The message was larger than the buffer; Close 1009 is in `tx[..close_len]`
    /// (`close_len` is 0 when a Close had already been sent).
    TooLarge { close_len: usize },
    /// A chunk, a control frame or nothing: keep going.
    Nothing,
}

impl<'b, M: MaskSource, C: FnMut() -> Instant> Core<'b, M, C> {
    pub(crate) fn new(conn: Connection<M>, clock: C, rx: &'b mut [u8], tx: &'b mut [u8]) -> Self {
        Self {
            conn,
            clock,
            rx,
            start: 0,
            end: 0,
            tx,
            finished: false,
            in_message: false,
        }
    }

    /// Offers the buffered bytes to the engine; on an event, hands it to `f` with the
    /// connection, `tx` and the time of the read (the event borrows `rx`, so the three
    /// are disjoint).
    pub(crate) fn receive_with<R>(
        &mut self,
        f: impl FnOnce(&mut Connection<M>, &mut [u8], Instant, Event<'_>) -> R,
    ) -> Result<Option<R>, crate::Error> {
        let now = (self.clock)();
        let pending = self.rx.get_mut(self.start..self.end).unwrap_or_default();
        let received = self.conn.receive(now, pending)?;
        self.start = (self.start + received.consumed).min(self.end);
        Ok(received
            .event
            .map(|event| f(&mut self.conn, self.tx, now, event)))
    }

    /// The free tail of `rx` for the next transport read, after moving pending bytes to
    /// the front. Fails when pending bytes fill `rx` (an HTTP head larger than `rx`).
    pub(crate) fn space(&mut self) -> Result<&mut [u8], crate::Error> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.start > 0 {
            self.rx.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end >= self.rx.len() {
            return Err(crate::Error::BufferTooSmall {
                required: self.conn.config().max_head_len(),
            });
        }
        Ok(self.rx.get_mut(self.end..).unwrap_or_default())
    }

    /// Records a transport read of `n` bytes into [`space`](Self::space); 0 is EOF.
    pub(crate) fn filled(&mut self, n: usize) {
        if n == 0 {
            let now = (self.clock)();
            let _ = self.conn.receive_eof(now);
            self.finished = true;
        } else {
            self.end = (self.end + n).min(self.rx.len());
        }
    }

    /// The time now, from the socket's clock.
    pub(crate) fn now(&mut self) -> Instant {
        (self.clock)()
    }

    /// Fires the engine's timers if one is due.
    pub(crate) fn tick(&mut self) {
        let now = (self.clock)();
        if self.conn.poll_timeout().is_some_and(|at| at <= now) {
            let _ = self.conn.handle_timeout(now);
        }
    }

    /// The next frame event, located in `rx`: `None` when more bytes are needed,
    /// `Some(None)` for an event the adapter does not surface.
    pub(crate) fn next_located(&mut self) -> Result<Option<Option<Located>>, crate::Error> {
        let base = self.rx.as_ptr().addr();
        let mut locator = Some(|event: Event<'_>| locate(base, &event));
        Ok(self.next_with(&mut locator)?.map(Option::flatten))
    }

    /// The next frame event, handed to `f` where the engine returned it (no second UTF-8
    /// check): `None` when more bytes are needed, `Some(None)` for an event the adapter
    /// does not surface. `f` is taken only by an event that surfaces.
    pub(crate) fn next_with<R>(
        &mut self,
        f: &mut Option<impl FnOnce(Event<'_>) -> R>,
    ) -> Result<Option<Option<R>>, crate::Error> {
        let mut in_message = self.in_message;
        let step = self.receive_with(|_, _, _, event| {
            match &event {
                Event::Text(chunk) => in_message = !chunk.is_last(),
                Event::Binary(chunk) => in_message = !chunk.is_last(),
                Event::Ping(_) | Event::Pong(_) | Event::Close(_) => {}
                // The handshake's events: `connect` and `accept` take those.
                _ => return None,
            }
            f.take().map(|f| f(event))
        });
        self.in_message = in_message;
        step
    }

    /// The event `located` describes, borrowing `rx` again.
    pub(crate) fn event(&self, located: Located) -> Event<'_> {
        let bytes = |at: Range<usize>| self.rx.get(at).unwrap_or_default();
        match located {
            Located::Text {
                prefix,
                at,
                is_first,
                is_last,
            } => {
                // The engine validated these bytes; re-borrowing them as `str` checks again
                // (returning the event itself from the read loop is the borrow checker's
                // conditional-return case, which stable Rust refuses).
                let text = crate::utf8::revalidate(bytes(at));
                Event::Text(TextChunk::new(prefix.with_text(text), is_first, is_last))
            }
            Located::Binary {
                at,
                is_first,
                is_last,
            } => Event::Binary(BinaryChunk {
                data: bytes(at),
                is_first,
                is_last,
            }),
            Located::Ping(p) => Event::Ping(p),
            Located::Pong(p) => Event::Pong(p),
            Located::Close(frame) => Event::Close(frame),
        }
    }

    /// Whether `read_message` must skip the rest of a message begun elsewhere.
    pub(crate) const fn in_message(&self) -> bool {
        self.in_message
    }

    /// One `read_message` step: feeds the next event to `assembler`.
    pub(crate) fn assemble(
        &mut self,
        assembler: &mut MessageAssembler<'_>,
        skipping: &mut bool,
    ) -> Result<Option<Assembled>, crate::Error> {
        let step = self.receive_with(|conn, tx, now, event| {
            let is_last = match &event {
                Event::Text(chunk) => chunk.is_last(),
                Event::Binary(chunk) => chunk.is_last(),
                _ => return (Assembled::Nothing, None),
            };
            if *skipping {
                *skipping = !is_last;
                return (Assembled::Nothing, Some(is_last));
            }
            // Copied: `read_message` hands the message out from the buffer's front.
            let outcome = match assembler.push_copied(&event) {
                Ok(Some(Message::Text(text))) => Assembled::Message(MessageKind::Text, text.len()),
                Ok(Some(Message::Binary(data))) => {
                    Assembled::Message(MessageKind::Binary, data.len())
                }
                Ok(None) => Assembled::Nothing,
                Err(_) => {
                    *skipping = !is_last;
                    match conn.close(now, crate::CloseCode::MessageTooBig, "", tx) {
                        Ok(close_len) => Assembled::TooLarge { close_len },
                        // Already closing: nothing more to say.
                        Err(_) => Assembled::TooLarge { close_len: 0 },
                    }
                }
            };
            (outcome, Some(is_last))
        })?;
        let Some((outcome, is_last)) = step else {
            return Ok(None);
        };
        if let Some(is_last) = is_last {
            self.in_message = !is_last;
        }
        Ok(Some(outcome))
    }
}

/// An accept/reject decision made on the request and written into `tx`: its length, and
/// whether it accepted.
pub(crate) fn answer<'x, M: MaskSource>(
    conn: &mut Connection<M>,
    tx: &mut [u8],
    now: Instant,
    request: &Request<'_>,
    decide: impl FnOnce(&Request<'_>) -> Result<Accept<'x>, Reject<'x>>,
) -> Result<(usize, bool), crate::Error> {
    match decide(request) {
        Ok(accept) => conn.accept(now, &accept, tx).map(|len| (len, true)),
        Err(reject) => conn.reject(&reject, tx).map(|len| (len, false)),
    }
}

/// The handshake's outcome for a client: the subprotocol the server chose, as one of
/// `offered` (so it outlives the response), or the refusal; `None` for no answer yet.
pub(crate) fn chosen<'r>(
    offered: &[&'r str],
    event: &Event<'_>,
) -> Option<Result<Option<&'r str>, crate::Error>> {
    match event {
        Event::Established(response) => Some(Ok(response
            .subprotocol()
            .and_then(|chosen| offered.iter().copied().find(|p| *p == chosen)))),
        Event::Rejected(rejection) => Some(Err(crate::Error::Handshake(
            crate::HandshakeFailure::Rejected {
                status: rejection.status(),
            },
        ))),
        _ => None,
    }
}

/// The whole message `read_message` assembled at the front of `buf`.
pub(crate) fn message(buf: &[u8], kind: MessageKind, len: usize) -> Message<'_> {
    let data = buf.get(..len).unwrap_or_default();
    match kind {
        // Assembled from validated chunks: this check cannot fail.
        MessageKind::Text => Message::Text(crate::utf8::revalidate(data)),
        MessageKind::Binary => Message::Binary(data),
    }
}

fn locate(base: usize, event: &Event<'_>) -> Option<Located> {
    let at = |bytes: &[u8]| {
        let start = bytes.as_ptr().addr().saturating_sub(base);
        start..start + bytes.len()
    };
    Some(match event {
        Event::Text(chunk) => Located::Text {
            prefix: chunk.utf8().with_text(""),
            at: at(chunk.utf8().borrowed().as_bytes()),
            is_first: chunk.is_first(),
            is_last: chunk.is_last(),
        },
        Event::Binary(chunk) => Located::Binary {
            at: at(chunk.as_bytes()),
            is_first: chunk.is_first(),
            is_last: chunk.is_last(),
        },
        Event::Ping(p) => Located::Ping(*p),
        Event::Pong(p) => Located::Pong(*p),
        Event::Close(frame) => Located::Close(*frame),
        _ => return None,
    })
}
