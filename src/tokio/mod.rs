//! An async WebSocket over any tokio `AsyncRead + AsyncWrite` (feature `tokio`).
//!
//! ```no_run
//! # async fn run() -> Result<(), wsmachine::tokio::Error> {
//! use wsmachine::tokio::{Message, WebSocket};
//!
//! let listener = ::tokio::net::TcpListener::bind("127.0.0.1:9002").await?;
//! let (stream, _) = listener.accept().await?;
//! let mut ws = WebSocket::accept(stream).await?;
//! while let Some(message) = ws.recv().await {
//!     match message? {
//!         message @ (Message::Text(_) | Message::Binary(_)) => ws.send(message).await?,
//!         _ => {} // pongs and the Close echo are automatic
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! [`WebSocket`] runs the engine's whole loop: it reads into a small buffer that grows only
//! while data flows, assembles whole messages (text is validated once, by the engine, as it
//! arrives), writes the engine's pongs and Close echo as soon as they are queued, fires the
//! keepalive and closing deadlines on tokio's clock, and reports how the connection ended
//! ([`Error::Abnormal`] with 1006 for a stream cut short, [`Error::Engine`] with the close
//! code for a peer's violation).
//!
//! One crate with features rather than a `wsmachine-tokio` crate: a user adds one
//! dependency, the driver can use crate-private engine details without widening the public
//! API, and the engine keeps `no_std` since every driver is behind its own feature.
//!
//! Cancel safety: every future here keeps its progress in the `WebSocket`, so dropping one
//! (in `select!`, on a timeout) loses nothing: bytes read stay buffered, a half-assembled
//! message stays half-assembled, a message handed to `send` is written by the next flush.
//!
//! Timers run while the connection is read: keep a task in [`WebSocket::recv`] (or the read
//! half's), as every driver over a sans-IO engine must.

mod split;

use core::future::poll_fn;
use core::pin::Pin;
use core::task::{Context, Poll, Waker, ready};
use std::boxed::Box;
use std::io;

use ::tokio::io::{AsyncRead, AsyncWrite};
use ::tokio::net::TcpStream;
use ::tokio::time::Sleep;

pub use crate::driver::{Chunk, Error, Message, Options, Random, fill_os};
pub use split::{ReadHalf, WriteHalf};

use crate::driver::{Core, Decide, Engine, Item, Mode, NoDecide};
use crate::{Accept, ClientRequest, CloseCode, Connection, Instant, NoMask, Reject, Request, Role};

/// A WebSocket over the stream `S` (a `TcpStream`, a TLS stream, hyper's upgraded IO).
///
/// Build one with [`accept`](Self::accept), [`connect`](Self::connect) or
/// [`from_upgraded`](Self::from_upgraded); read with [`recv`](Self::recv) (or as a
/// `Stream`), write with [`send`](Self::send) (or as a `Sink`), end with
/// [`close`](Self::close). [`split`](Self::split) gives halves for two tasks.
#[derive(Debug)]
pub struct WebSocket<S> {
    inner: Inner<S>,
}

/// The state both halves share: the stream, the engine loop and its timer.
#[derive(Debug)]
struct Inner<S> {
    stream: S,
    core: Core,
    epoch: ::tokio::time::Instant,
    /// The deadline the sleep is armed for, and the sleep (allocated when a deadline first
    /// exists). It may be earlier than the engine's next deadline (see `poll_deadline`).
    sleep: Option<(Instant, Pin<Box<Sleep>>)>,
    /// The task the armed sleep last registered, so an unchanged sleep is not polled again
    /// by the same task (each poll re-registers with tokio's timer).
    sleep_waker: Option<Waker>,
    /// When the buffered bytes were read (engine time): the `now` of their `receive`.
    read_at: Instant,
    /// EOF was read.
    eof: bool,
    /// The transport's write side was shut down.
    shut: bool,
    /// `recv` reported the end (or a terminal error); it now returns `None`.
    finished: bool,
    /// A terminal error waiting for the engine's last bytes (Close, HTTP error) to go out.
    failed: Option<Error>,
    /// Wakers of tasks waiting for the write side: index `Side as usize`.
    write_wakers: [Option<Waker>; 2],
    /// The task waiting in `recv`, woken when a command moves the next deadline.
    read_waker: Option<Waker>,
}

/// Which half polls: each waits for the write side under its own waker slot.
#[derive(Clone, Copy)]
enum Side {
    Read = 0,
    Write = 1,
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Server: reads the upgrade request, answers `101 Switching Protocols` (or the
    /// engine's HTTP error), with [`Options::default`].
    ///
    /// # Errors
    /// [`Error::Engine`] with the HTTP status for a bad request (the error response has been
    /// sent), [`Error::Io`], [`Error::Abnormal`] if the stream ends or the handshake times out.
    pub async fn accept(stream: S) -> Result<Self, Error> {
        Self::accept_with(stream, Options::new(), |_| Ok(Accept::new())).await
    }

    /// Server: like [`accept`](Self::accept), with `decide` choosing the answer to the
    /// request (a subprotocol, headers, or a rejection).
    ///
    /// # Errors
    /// As for [`accept`](Self::accept); [`Error::Rejected`] after `decide` rejected.
    pub async fn accept_with<F>(stream: S, options: Options, decide: F) -> Result<Self, Error>
    where
        F: for<'r> FnOnce(&Request<'r>) -> Result<Accept<'r>, Reject<'r>>,
    {
        let mut ws = Self::new(stream, &options, |now| {
            Engine::Server(Connection::server(*options.config(), now))
        });
        let (mut decide, mut opened) = (Some(decide), false);
        poll_fn(|cx| ws.inner.poll_handshake(cx, &mut decide, &mut opened)).await?;
        Ok(ws)
    }

    /// Client: sends the upgrade request for `path` on `host` (the `Host` header, with the
    /// port if not the default) and waits for the 101, with [`Options::default`].
    ///
    /// # Errors
    /// [`Error::Engine`] for a refused or invalid response, [`Error::Io`],
    /// [`Error::Abnormal`] if the stream ends or the handshake times out.
    pub async fn connect(stream: S, host: &str, path: &str) -> Result<Self, Error> {
        let options = Options::new();
        let request = ClientRequest::new(host, path, options.new_key());
        Self::connect_with(stream, &request, options).await
    }

    /// Client: sends `request` (subprotocols, origin, headers; its key from
    /// [`Options::new_key`]) and waits for the 101.
    ///
    /// # Errors
    /// As for [`connect`](Self::connect).
    pub async fn connect_with(
        stream: S,
        request: &ClientRequest<'_>,
        options: Options,
    ) -> Result<Self, Error> {
        let mut ws = Self::new(stream, &options, |now| {
            Engine::Client(Connection::client(*options.config(), options.random, now))
        });
        let now = ws.inner.now();
        ws.inner.core.connect(now, request)?;
        let mut opened = false;
        poll_fn(|cx| ws.inner.poll_handshake(cx, &mut NoDecide, &mut opened)).await?;
        Ok(ws)
    }

    /// A WebSocket on a stream whose HTTP upgrade another stack did (hyper, axum): framing
    /// starts at once, in `role`.
    pub fn from_upgraded(stream: S, role: Role, options: Options) -> Self {
        Self::new(stream, &options, |now| match role {
            Role::Server => {
                Engine::Server(Connection::upgraded(*options.config(), role, NoMask, now))
            }
            Role::Client => Engine::Client(Connection::upgraded(
                *options.config(),
                role,
                options.random,
                now,
            )),
        })
    }

    fn new(stream: S, options: &Options, conn: impl FnOnce(Instant) -> Engine) -> Self {
        let epoch = ::tokio::time::Instant::now();
        Self {
            inner: Inner {
                stream,
                core: Core::new(conn(Instant::ZERO), options),
                epoch,
                sleep: None,
                sleep_waker: None,
                read_at: Instant::ZERO,
                eof: false,
                shut: false,
                finished: false,
                failed: None,
                write_wakers: [None, None],
                read_waker: None,
            },
        }
    }

    /// The next whole message; `None` once the connection has ended cleanly.
    ///
    /// Cancel-safe. Pings are answered automatically (and still returned); a peer's Close
    /// is echoed and returned as [`Message::Close`], then `recv` returns `None` once the
    /// transport is done.
    ///
    /// # Errors
    /// [`Error::Engine`] for a peer violation (with its [`close_code`](Error::close_code);
    /// the Close was sent), [`Error::Abnormal`] for EOF without a closing handshake (1006)
    /// or a passed deadline, [`Error::Io`]. After an error `recv` returns `None`.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| self.inner.poll_message(cx)).await
    }

    /// The next piece of a message, for messages too large to hold whole; control frames
    /// come as [`Chunk::Control`]. `None` once the connection has ended cleanly.
    ///
    /// Cancel-safe. Pieces are as large as what one read delivered (up to the read buffer's
    /// maximum). If `recv` had begun assembling a message, its part comes as the first piece.
    ///
    /// # Errors
    /// As for [`recv`](Self::recv).
    pub async fn recv_chunk(&mut self) -> Option<Result<Chunk, Error>> {
        poll_fn(|cx| self.inner.poll_chunk(cx)).await
    }

    /// Sends a message, waiting while the write buffer is over its limit, and flushes.
    ///
    /// Cancel-safe: once encoded, a message is written by the next flush even if this
    /// future is dropped.
    ///
    /// # Errors
    /// [`Error::Engine`] with a [`Misuse`](crate::Misuse) when sending is not allowed now
    /// (after Close), [`Error::Io`].
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        send(&mut self.inner, message).await
    }

    /// Sends a message compressed once for many connections (a chat room's broadcast),
    /// waiting and flushing as [`send`](Self::send) does: the prepared compressed payload
    /// goes out where this connection negotiated `*_no_context_takeover` for its sending
    /// direction and a window at least the prepared one's, otherwise the payload goes out
    /// as `send` would send it (compressed by this connection's own compressor if deflate
    /// was negotiated). Cancel-safe as `send`.
    ///
    /// # Errors
    /// As for [`send`](Self::send).
    #[cfg(feature = "deflate-compress")]
    pub async fn send_prepared(
        &mut self,
        prepared: &crate::deflate::PreparedMessage,
    ) -> Result<(), Error> {
        encode_and_flush(&mut self.inner, |inner| inner.core.send_prepared(prepared)).await
    }

    /// Starts the closing handshake and waits for it to finish (messages that arrive
    /// meanwhile are dropped; use [`send`](Self::send) with [`Message::Close`] and keep
    /// reading to see them).
    ///
    /// # Errors
    /// As for [`send`](Self::send), and [`Error::Abnormal`] if the peer never answers.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let now = self.inner.now();
        self.inner.core.close(now, code, reason)?;
        while let Some(message) = self.recv().await {
            message?;
        }
        Ok(())
    }

    /// Splits into a read half and a write half, usable from two tasks.
    pub fn split(self) -> (ReadHalf<S>, WriteHalf<S>) {
        split::split(self.inner)
    }

    /// The subprotocol agreed in the handshake (clients; servers chose it themselves).
    pub fn protocol(&self) -> Option<&str> {
        self.inner.core.protocol.as_deref()
    }

    /// How the connection ended, once that is known.
    pub fn closed(&self) -> Option<crate::Closed> {
        self.inner.core.conn.closed()
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.inner.stream
    }
}

/// Connects to `url` (`ws://host[:port][/path]`) over TCP (no Nagle delay) and performs
/// the client handshake with [`Options::default`].
///
/// # Errors
/// [`Error::InvalidUrl`], [`Error::Io`] if the TCP connection fails, and as for
/// [`WebSocket::connect`].
pub async fn connect(url: &str) -> Result<WebSocket<TcpStream>, Error> {
    connect_with_options(url, Options::default()).await
}

/// [`connect`] with these options (limits, keepalive, permessage-deflate through
/// [`Options::with_config`], the random source).
///
/// # Errors
/// As for [`connect`].
pub async fn connect_with_options(
    url: &str,
    options: Options,
) -> Result<WebSocket<TcpStream>, Error> {
    let (authority, path) = crate::driver::parse_ws_url(url)?;
    let stream = TcpStream::connect(crate::driver::with_port(authority).as_ref()).await?;
    stream.set_nodelay(true)?;
    let request = ClientRequest::new(authority, path, options.new_key());
    WebSocket::connect_with(stream, &request, options).await
}

async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    inner: &mut Inner<S>,
    message: Message,
) -> Result<(), Error> {
    encode_and_flush(inner, |inner| inner.start_send(&message)).await
}

/// Waits for room in the write buffer, encodes with `encode`, and flushes: every send's
/// shape (cancel-safe: once encoded, the bytes go out with the next flush).
async fn encode_and_flush<S: AsyncRead + AsyncWrite + Unpin>(
    inner: &mut Inner<S>,
    encode: impl FnOnce(&mut Inner<S>) -> Result<(), Error>,
) -> Result<(), Error> {
    poll_fn(|cx| inner.poll_ready(cx, Side::Write)).await?;
    encode(inner)?;
    poll_fn(|cx| inner.poll_flush(cx, Side::Write)).await?;
    Ok(())
}

/// Milliseconds on tokio's clock since `epoch`, as the engine counts time.
fn engine_time(epoch: ::tokio::time::Instant) -> Instant {
    let elapsed = epoch.elapsed().as_millis();
    Instant::from_millis(u64::try_from(elapsed).unwrap_or(u64::MAX))
}

impl<S: AsyncRead + AsyncWrite + Unpin> Inner<S> {
    /// Milliseconds on tokio's clock (paused in tests) since this connection began.
    fn now(&self) -> Instant {
        engine_time(self.epoch)
    }

    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        loop {
            return match ready!(self.poll_item(cx, Mode::Whole, &mut NoDecide)) {
                Some(Ok(Item::Message(message))) => Poll::Ready(Some(Ok(message))),
                Some(Ok(_)) => continue,
                Some(Err(e)) => Poll::Ready(Some(Err(e))),
                None => Poll::Ready(None),
            };
        }
    }

    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Chunk, Error>>> {
        loop {
            return match ready!(self.poll_item(cx, Mode::Chunks, &mut NoDecide)) {
                Some(Ok(Item::Chunk(chunk))) => Poll::Ready(Some(Ok(chunk))),
                Some(Ok(_)) => continue,
                Some(Err(e)) => Poll::Ready(Some(Err(e))),
                None => Poll::Ready(None),
            };
        }
    }

    fn poll_handshake(
        &mut self,
        cx: &mut Context<'_>,
        decide: &mut dyn Decide,
        opened: &mut bool,
    ) -> Poll<Result<(), Error>> {
        loop {
            if *opened {
                // The 101 (server) must reach the peer before the caller waits to read.
                ready!(self.poll_flush(cx, Side::Read))?;
                return Poll::Ready(Ok(()));
            }
            return match ready!(self.poll_item(cx, Mode::Whole, decide)) {
                Some(Ok(Item::Open)) => {
                    *opened = true;
                    continue;
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => Poll::Ready(Err(e)),
                None => Poll::Ready(Err(Error::Io(io::ErrorKind::UnexpectedEof.into()))),
            };
        }
    }

    /// The receive loop: engine over buffered bytes, drain, deadlines, read.
    fn poll_item(
        &mut self,
        cx: &mut Context<'_>,
        mode: Mode,
        decide: &mut dyn Decide,
    ) -> Poll<Option<Result<Item, Error>>> {
        loop {
            if self.finished {
                return Poll::Ready(None);
            }
            if self.failed.is_some() {
                // Best effort: a transport that fails now cannot take the Close anyway.
                let _ = ready!(self.poll_flush(cx, Side::Read));
                let failed = self.failed.take().map_or(Ok(()), Err);
                return self.finish(failed);
            }
            // The bytes' arrival time, not a clock read per message: same keepalive
            // semantics (silence is measured from the read), one clock read per read.
            match self.core.next(self.read_at, mode, decide) {
                Ok(Some(item)) => {
                    // Send what the input queued (a pong) now; a full socket waits for later.
                    match self.poll_write_out(cx, Side::Read) {
                        Poll::Ready(Err(e)) => return self.finish(Err(e.into())),
                        // The stream now holds this task's waker, but this task goes off with
                        // the item: a write half waiting for the stream must re-register.
                        Poll::Pending => self.wake_other(Side::Read),
                        Poll::Ready(Ok(())) => {}
                    }
                    return Poll::Ready(Some(Ok(item)));
                }
                Ok(None) => {}
                Err(Error::MessageInProgress) => {
                    return Poll::Ready(Some(Err(Error::MessageInProgress)));
                }
                Err(e) => {
                    // The engine's Close or HTTP error goes out before the error is reported.
                    self.failed = Some(e);
                    continue;
                }
            }
            match self.poll_flush(cx, Side::Read) {
                Poll::Ready(Err(e)) => return self.finish(Err(e.into())),
                Poll::Ready(Ok(())) if self.shut || (self.eof && self.core.conn.is_closed()) => {
                    let outcome = self.core.outcome();
                    return self.finish(outcome);
                }
                // The peer does not read: stop reading too rather than queue more pongs.
                Poll::Pending if self.core.write_full() => return Poll::Pending,
                Poll::Ready(Ok(())) | Poll::Pending => {}
            }
            if self.poll_deadline(cx).is_ready() {
                let now = self.now();
                if let Err(e) = self.core.timeout(now) {
                    self.failed = Some(e);
                }
                continue;
            }
            if self.eof {
                // EOF already reported to the engine; only the close timer can end this now.
                return Poll::Pending;
            }
            let Some(buf) = self.core.read_buf() else {
                return self.finish(Err(Error::Io(io::Error::other(
                    "receive buffer full of unconsumed bytes",
                ))));
            };
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.stream), cx, buf) {
                Poll::Ready(Ok(n)) => {
                    if n == 0 {
                        self.eof = true;
                        let now = self.now();
                        if let Err(e) = self.core.eof(now) {
                            self.failed = Some(e);
                        }
                        continue;
                    }
                    self.read_at = self.now();
                    self.core.appended(self.read_at);
                }
                // After the closing handshake a reset is just how this peer closes TCP.
                Poll::Ready(Err(_)) if self.core.conn.is_closed() => {
                    self.eof = true;
                    let now = self.now();
                    let _ = self.core.eof(now);
                }
                Poll::Ready(Err(e)) => return self.finish(Err(e.into())),
                Poll::Pending => {
                    let (epoch, core) = (self.epoch, &mut self.core);
                    core.idle(|| engine_time(epoch));
                    self.read_waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
            }
        }
    }

    /// Reports the end once: the error, or `None` for a clean end.
    fn finish<T>(&mut self, outcome: Result<(), Error>) -> Poll<Option<Result<T, Error>>> {
        self.finished = true;
        crate::fmt::debug!("driver: connection finished");
        Poll::Ready(outcome.err().map(Err))
    }

    /// Ready when the engine's next deadline has passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = self.core.conn.poll_timeout() else {
            return Poll::Pending;
        };
        let at = |deadline: Instant| {
            self.epoch + core::time::Duration::from_millis(deadline.as_millis())
        };
        match &mut self.sleep {
            // Every received message moves the keepalive deadline later. A later deadline
            // keeps the armed sleep: it wakes early once, the engine finds nothing due, and
            // the sleep is re-armed then. A busy connection touches tokio's timer about once
            // per keepalive period instead of once per message.
            Some((armed, sleep)) => {
                if deadline < *armed || (deadline > *armed && sleep.is_elapsed()) {
                    sleep.as_mut().reset(at(deadline));
                    *armed = deadline;
                    self.sleep_waker = None;
                }
            }
            None => {
                let sleep = Box::pin(::tokio::time::sleep_until(at(deadline)));
                self.sleep = Some((deadline, sleep));
            }
        }
        let Some((_, sleep)) = &mut self.sleep else {
            return Poll::Pending;
        };
        if sleep.is_elapsed() {
            return Poll::Ready(());
        }
        // Registered by this task and not reset since: tokio will wake it; skip the re-poll.
        if self
            .sleep_waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            return Poll::Pending;
        }
        let polled = sleep.as_mut().poll(cx);
        self.sleep_waker = Some(cx.waker().clone());
        polled
    }

    /// Writes the write buffer out; `Ready(Ok)` when it is empty.
    fn poll_write_out(&mut self, cx: &mut Context<'_>, side: Side) -> Poll<io::Result<()>> {
        let mut progressed = false;
        while !self.core.unwritten().is_empty() {
            let polled = if self.core.is_vectored() {
                let mut slices = [io::IoSlice::new(&[]); 4];
                let count = self.core.unwritten_vectored(&mut slices);
                let slices = slices.get(..count).unwrap_or_default();
                Pin::new(&mut self.stream).poll_write_vectored(cx, slices)
            } else {
                Pin::new(&mut self.stream).poll_write(cx, self.core.unwritten())
            };
            match polled {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.core.written(n);
                    progressed = true;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    if progressed {
                        self.wake_other(side);
                    }
                    // The stream keeps only the last waker: remember ours, and whoever is
                    // woken wakes the other half (`wake_other`).
                    if let Some(slot) = self.write_wakers.get_mut(side as usize) {
                        *slot = Some(cx.waker().clone());
                    }
                    return Poll::Pending;
                }
            }
        }
        if progressed {
            self.wake_other(side);
        }
        Poll::Ready(Ok(()))
    }

    fn wake_other(&mut self, side: Side) {
        let other = match side {
            Side::Read => Side::Write,
            Side::Write => Side::Read,
        };
        if let Some(waker) = self
            .write_wakers
            .get_mut(other as usize)
            .and_then(Option::take)
        {
            waker.wake();
        }
    }

    /// Writes everything, flushes the stream, and shuts it down if the engine said so.
    fn poll_flush(&mut self, cx: &mut Context<'_>, side: Side) -> Poll<io::Result<()>> {
        ready!(self.poll_write_out(cx, side))?;
        ready!(Pin::new(&mut self.stream).poll_flush(cx))?;
        if self.core.shutdown && !self.shut {
            ready!(Pin::new(&mut self.stream).poll_shutdown(cx))?;
            self.shut = true;
        }
        Poll::Ready(Ok(()))
    }

    /// Ready when a message may be queued: the unwritten bytes are under the limit.
    fn poll_ready(&mut self, cx: &mut Context<'_>, side: Side) -> Poll<Result<(), Error>> {
        while self.core.write_full() {
            ready!(self.poll_write_out(cx, side))?;
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(&mut self, message: &Message) -> Result<(), Error> {
        if !matches!(message, Message::Close(_)) {
            // Data, Ping and Pong frames arm no timer: no clock read, no deadline to move.
            return self.core.send(self.read_at, message);
        }
        let now = self.now();
        let before = self.core.conn.poll_timeout();
        self.core.send(now, message)?;
        // A Close arms the closing deadline: the task in `recv` must sleep to the new one.
        if self.core.conn.poll_timeout() != before
            && let Some(waker) = self.read_waker.take()
        {
            waker.wake();
        }
        Ok(())
    }

    fn poll_close(&mut self, cx: &mut Context<'_>, side: Side) -> Poll<Result<(), Error>> {
        if self.core.conn.is_open() {
            self.start_send(&Message::Close(None))?;
        }
        ready!(self.poll_flush(cx, side))?;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> futures_core::Stream for WebSocket<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().inner.poll_message(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> futures_sink::Sink<Message> for WebSocket<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().inner.poll_ready(cx, Side::Write)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.get_mut().inner.start_send(&item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut()
            .inner
            .poll_flush(cx, Side::Write)
            .map_err(Error::from)
    }

    /// Sends a Close (1000) if none was sent, and flushes; keep reading to see the reply.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().inner.poll_close(cx, Side::Write)
    }
}
