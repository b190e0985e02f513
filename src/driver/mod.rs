//! What the std drivers ([`tokio`](crate::tokio), [`blocking`](crate::blocking)) share: the
//! engine loop over growable buffers, whole-message assembly, [`Message`], [`Error`] and
//! [`Options`].
//!
//! The loop here is the one "Writing your own driver" in the README describes; the drivers
//! add only I/O and a clock. Everything is behind the `tokio` or `blocking` feature, both of
//! which enable `std`: the engine itself stays `no_std` without `alloc`.

mod entropy;

use std::boxed::Box;
use std::collections::VecDeque;
use std::io::IoSlice;
use std::string::String;
use std::vec::Vec;
use std::{fmt, io};

use bytes::{Bytes, BytesMut};

pub use entropy::{Random, fill_os};

use crate::{
    Accept, CloseCode, Closed, Config, Connection, Event, Instant, Key, MaskKey, MaskSource,
    MessageKind, NoMask, Reject, Request, TextChunk,
};

/// A whole message received or to be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_enums)] // RFC 6455 §5.6 data frames and §5.5 control frames
pub enum Message {
    /// A text message (validated once, by the engine, as it arrived).
    Text(String),
    /// A binary message.
    Binary(Bytes),
    /// A ping (received ones are answered automatically).
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// A Close frame: its code and reason, or `None` for an empty Close (1005).
    Close(Option<(CloseCode, String)>),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::Binary(data.into())
    }
}

/// A piece of a message from the chunk-streaming read (`recv_chunk`), for messages too
/// large to hold whole.
///
/// Each text piece is valid UTF-8 on its own (a code point split across reads is completed
/// before it is handed out). Control frames come whole, between pieces.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_enums)] // data pieces of the two kinds, or a whole control frame
pub enum Chunk {
    /// Part of a text message.
    Text {
        /// The text of this piece.
        text: String,
        /// Whether this piece starts a message.
        is_first: bool,
        /// Whether this piece ends it.
        is_last: bool,
    },
    /// Part of a binary message.
    Binary {
        /// The bytes of this piece.
        data: Bytes,
        /// Whether this piece starts a message.
        is_first: bool,
        /// Whether this piece ends it.
        is_last: bool,
    },
    /// A ping, pong or Close, whole.
    Control(Message),
}

/// What went wrong on a driver's connection.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The engine's verdict: a peer violation (its Close or HTTP error was sent first; see
    /// [`close_code`](Self::close_code)) or a local misuse (nothing changed).
    Engine(crate::Error),
    /// The connection ended without a clean closing handshake: the transport ended early
    /// (1006), or a keepalive or closing deadline passed.
    Abnormal(Closed),
    /// The server application turned the upgrade request down with this HTTP status.
    Rejected(u16),
    /// `recv` was called while a message was being read with `recv_chunk`; finish it with
    /// `recv_chunk` first. Nothing was consumed.
    MessageInProgress,
    /// The URL is not `ws://host[:port][/path]` (`wss://` needs a TLS stream and
    /// [`WebSocket::connect`](crate::tokio::WebSocket::connect)).
    InvalidUrl,
    /// The transport failed.
    Io(io::Error),
}

impl Error {
    /// The close code this error ended (or would end) the WebSocket with, if any.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::Engine(e) => e.close_code(),
            Self::Abnormal(closed) => Some(closed.code),
            Self::Io(_) => Some(CloseCode::Abnormal),
            Self::Rejected(_) | Self::MessageInProgress | Self::InvalidUrl => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Engine(e) => e.fmt(f),
            Self::Abnormal(closed) => write!(
                f,
                "websocket closed abnormally (code {}, clean {})",
                closed.code.0, closed.clean
            ),
            Self::Rejected(status) => write!(f, "upgrade request rejected with status {status}"),
            Self::MessageInProgress => f.write_str("a chunk-streamed message is unfinished"),
            Self::InvalidUrl => f.write_str("url is not ws://host[:port][/path]"),
            Self::Io(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Engine(e) => Some(e),
            Self::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Self {
        Self::Engine(e)
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        let kind = match &e {
            Error::Io(_) => {
                let Error::Io(inner) = e else {
                    return Self::other(e);
                };
                return inner;
            }
            Error::Engine(inner) if inner.is_fatal() => io::ErrorKind::InvalidData,
            Error::Engine(_) | Error::MessageInProgress | Error::InvalidUrl => {
                io::ErrorKind::InvalidInput
            }
            Error::Abnormal(_) => io::ErrorKind::ConnectionAborted,
            Error::Rejected(_) => io::ErrorKind::ConnectionRefused,
        };
        Self::new(kind, e)
    }
}

/// How a driver's connection is set up: the engine [`Config`], buffer sizes, the random
/// source.
///
/// | option | default |
/// |---|---|
/// | engine config | [`Config::new`] with keepalive every 30 s (pong timeout 20 s) |
/// | max message size | 64 MiB (the engine's `max_message_len`; larger ones close with 1009) |
/// | read buffer | 512 bytes, growing to 64 KiB plus a frame header while data flows (a 64 KiB message arrives in one read), back to 512 bytes when idle |
/// | write buffer limit | 128 KiB: sends wait while more than this is unwritten |
/// | random source | [`fill_os`]: OS entropy (`getrandom`) |
#[derive(Clone, Copy, Debug)]
pub struct Options {
    config: Config,
    read_buffer_len: usize,
    max_read_buffer_len: usize,
    write_buffer_limit: usize,
    pub(crate) random: Random,
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}

impl Options {
    /// The defaults in the table above.
    pub const fn new() -> Self {
        Self {
            config: Config::new().with_keepalive(Some(core::time::Duration::from_secs(30))),
            read_buffer_len: 512,
            // Perf: room for a 64 KiB payload and its header, so such a message is one
            // read and one copy (not a 64 KiB read, a copy, a 14-byte read and a regrowth).
            max_read_buffer_len: 64 * 1024 + crate::MAX_HEADER_LEN,
            write_buffer_limit: 128 * 1024,
            random: Random::OS,
        }
    }

    /// Replaces the engine configuration (limits, timers; keepalive is the config's own).
    pub const fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The largest message `recv` assembles (the engine closes with 1009 beyond it).
    pub const fn with_max_message_len(mut self, len: u64) -> Self {
        self.config = self.config.with_max_message_len(len);
        self
    }

    /// The read buffer's idle size and the size it may grow to while data flows.
    pub const fn with_read_buffer(mut self, initial: usize, max: usize) -> Self {
        self.read_buffer_len = if initial == 0 { 1 } else { initial };
        self.max_read_buffer_len = if max < self.read_buffer_len {
            self.read_buffer_len
        } else {
            max
        };
        self
    }

    /// How many unwritten bytes make `send` wait for the transport (backpressure).
    pub const fn with_write_buffer_limit(mut self, limit: usize) -> Self {
        self.write_buffer_limit = limit;
        self
    }

    /// Replaces the source of masking keys and handshake keys (RFC 6455 §10.3: it must be
    /// unpredictable; tests may pass a deterministic one).
    pub const fn with_random(mut self, fill: fn(&mut [u8])) -> Self {
        self.random = Random::new(fill);
        self
    }

    /// The engine configuration.
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// A fresh `Sec-WebSocket-Key` from this random source, for a
    /// [`ClientRequest`](crate::ClientRequest) built by hand.
    pub fn new_key(&self) -> Key {
        let mut key = [0u8; 16];
        self.random.fill(&mut key);
        Key(key)
    }
}

/// The engine in either role: servers' connections never mask, so their type differs.
#[derive(Debug)]
pub(crate) enum Engine {
    Server(Connection<NoMask>),
    Client(Connection<Random>),
}

/// Calls the same method on either role's connection.
macro_rules! delegate {
    ($(fn $name:ident(&self) -> $ret:ty;)* $(mut fn $mname:ident($($arg:ident: $ty:ty),*) -> $mret:ty;)*) => {
        $(
            pub(crate) fn $name(&self) -> $ret {
                match self {
                    Self::Server(conn) => conn.$name(),
                    Self::Client(conn) => conn.$name(),
                }
            }
        )*
        $(
            pub(crate) fn $mname(&mut self $(, $arg: $ty)*) -> $mret {
                match self {
                    Self::Server(conn) => conn.$mname($($arg),*),
                    Self::Client(conn) => conn.$mname($($arg),*),
                }
            }
        )*
    };
}

// Some delegates serve only one driver.
#[cfg_attr(not(all(feature = "tokio", feature = "blocking")), allow(dead_code))]
impl Engine {
    delegate! {
        fn is_open(&self) -> bool;
        fn is_closed(&self) -> bool;
        fn closed(&self) -> Option<Closed>;
        fn poll_timeout(&self) -> Option<Instant>;
        mut fn receive_eof(now: Instant) -> Closed;
        mut fn handle_timeout(now: Instant) -> Option<Closed>;
        mut fn poll_transmit(out: &mut [u8]) -> Result<Option<crate::Transmit>, crate::Error>;
        mut fn send_ping(payload: &[u8], out: &mut [u8]) -> Result<usize, crate::Error>;
        mut fn send_pong(payload: &[u8], out: &mut [u8]) -> Result<usize, crate::Error>;
        mut fn frame_payload(payload: &mut [u8]) -> Result<(), crate::Error>;
        mut fn connect(now: Instant, request: &crate::ClientRequest<'_>, out: &mut [u8]
        ) -> Result<usize, crate::Error>;
        mut fn accept(now: Instant, accept: &Accept<'_>, out: &mut [u8]
        ) -> Result<usize, crate::Error>;
        mut fn reject(reject: &Reject<'_>, out: &mut [u8]) -> Result<usize, crate::Error>;
        mut fn close(now: Instant, code: CloseCode, reason: &str, out: &mut [u8]
        ) -> Result<usize, crate::Error>;
        mut fn begin_frame(kind: MessageKind, payload_len: u64, is_last: bool, out: &mut [u8]
        ) -> Result<usize, crate::Error>;
    }

    pub(crate) fn receive<'a>(
        &mut self,
        now: Instant,
        buf: &'a mut [u8],
    ) -> Result<crate::Received<'a>, crate::Error> {
        match self {
            Self::Server(conn) => conn.receive(now, buf),
            Self::Client(conn) => conn.receive(now, buf),
        }
    }

    #[cfg(feature = "deflate")]
    fn receive_inflate<'a>(
        &mut self,
        now: Instant,
        buf: &'a mut [u8],
        inflater: crate::deflate::Inflater<'a>,
    ) -> Result<crate::Received<'a>, crate::Error> {
        match self {
            Self::Server(conn) => conn.receive_inflate(now, buf, inflater),
            Self::Client(conn) => conn.receive_inflate(now, buf, inflater),
        }
    }

    /// The window bits of the peer's compressor, if permessage-deflate was negotiated.
    #[cfg(feature = "deflate")]
    fn peer_window_bits(&self) -> Option<u8> {
        match self {
            Self::Server(conn) => conn.deflate_params().map(|p| p.client_max_window_bits),
            Self::Client(conn) => conn.deflate_params().map(|p| p.server_max_window_bits),
        }
    }

    /// The compressor for this connection's sending direction, if deflate was negotiated.
    #[cfg(feature = "deflate-compress")]
    fn deflater(&self) -> Option<crate::deflate::Deflater> {
        match self {
            Self::Server(conn) => crate::deflate::Deflater::for_connection(conn),
            Self::Client(conn) => crate::deflate::Deflater::for_connection(conn),
        }
    }

    /// Whether `prepared` goes to this connection in its compressed form.
    #[cfg(feature = "deflate-compress")]
    fn takes_compressed(&self, prepared: &crate::deflate::PreparedMessage) -> bool {
        match self {
            Self::Server(conn) => prepared.compresses_for(conn),
            Self::Client(conn) => prepared.compresses_for(conn),
        }
    }

    #[cfg(feature = "deflate-compress")]
    fn send_compressed(
        &mut self,
        kind: MessageKind,
        compressed: &[u8],
        out: &mut [u8],
    ) -> Result<usize, crate::Error> {
        match self {
            Self::Server(conn) => conn.send_compressed(kind, compressed, out),
            Self::Client(conn) => conn.send_compressed(kind, compressed, out),
        }
    }
}

/// How `Core::next` hands out data: whole messages or pieces.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Whole,
    Chunks,
}

/// What one step of the receive loop produced.
pub(crate) enum Item {
    Message(Message),
    Chunk(Chunk),
    /// The opening handshake finished (either role).
    Open,
}

/// A server's decision on an upgrade request (a `FnOnce` the engine calls at most once).
pub(crate) trait Decide {
    fn decide<'r>(&mut self, request: &Request<'r>) -> Result<Accept<'r>, Reject<'r>>;
}

impl<F> Decide for Option<F>
where
    F: for<'r> FnOnce(&Request<'r>) -> Result<Accept<'r>, Reject<'r>>,
{
    fn decide<'r>(&mut self, request: &Request<'r>) -> Result<Accept<'r>, Reject<'r>> {
        match self.take() {
            Some(decide) => decide(request),
            None => Err(Reject::new(500)),
        }
    }
}

/// After the handshake no request can arrive; refuse one if the engine ever offered it.
pub(crate) struct NoDecide;

impl Decide for NoDecide {
    fn decide<'r>(&mut self, _request: &Request<'r>) -> Result<Accept<'r>, Reject<'r>> {
        Err(Reject::new(400))
    }
}

/// A message being assembled (or streamed) across reads.
#[derive(Debug)]
enum Partial {
    None,
    Text(String),
    Binary(Vec<u8>),
    /// `recv_chunk` has handed out the first pieces of a message.
    Streamed,
}

/// The receiving half of permessage-deflate: the inflater's state and the peer's window.
#[cfg(feature = "deflate")]
struct Inflate {
    state: crate::deflate::InflateState,
    window: Box<[u8]>,
}

#[cfg(feature = "deflate")]
impl fmt::Debug for Inflate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inflate")
            .field("window_len", &self.window.len())
            .finish_non_exhaustive()
    }
}

/// How long a grown read buffer outlives the last read into it: a connection that carries
/// large messages keeps its large reads, an idle one is back to the small buffer after a
/// second (the tokio driver gives it back at its next wake-up: read, keepalive or command).
const KEEP_GROWN: core::time::Duration = core::time::Duration::from_secs(1);

/// The engine plus its buffers: the sans-IO loop every driver runs, without the I/O.
///
/// Reading: fill [`space`](Self::space), report with [`filled`](Self::filled), then call
/// [`next`](Self::next) until it returns `None`. Writing: commands append to the write
/// buffer; [`unwritten`](Self::unwritten) is what to write, [`written`](Self::written)
/// records progress. Every input and command drains the engine's own output at once.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) conn: Engine,
    // INVARIANT: `start <= end <= rbuf.len()`; `rbuf[start..end]` is received, unconsumed.
    // A `BytesMut` so a large message read whole is handed out without a copy.
    rbuf: BytesMut,
    /// The read buffer's size: `rbuf.len()` for readers of initialised memory
    /// ([`space`](Self::space)); its reserved capacity for [`read_buf`](Self::read_buf).
    rlen: usize,
    /// A large message took the front of the read buffer with it: the next
    /// [`space`](Self::space) brings the buffer back to this length.
    regrow_to: usize,
    start: usize,
    end: usize,
    // INVARIANT: `wpos <= wbuf.len()`; `wbuf[wpos..]` is still to be written, after every
    // byte of `sealed` (earlier output: large payloads queued without a copy, and the
    // buffered bytes before them); `sealed_len` is their total and no entry is empty.
    wbuf: Vec<u8>,
    wpos: usize,
    sealed: VecDeque<Bytes>,
    sealed_len: usize,
    partial: Partial,
    /// The engine asked for the transport to be closed once `wbuf` is written.
    pub(crate) shutdown: bool,
    /// The last read filled `rbuf` to its end: the next [`space`](Self::space) grows it.
    read_filled: bool,
    read_buffer_len: usize,
    max_read_buffer_len: usize,
    /// A grown read buffer is kept until then (engine time): traffic that pauses for a
    /// round trip between large messages does not shrink and regrow it every message.
    keep_grown_until: Instant,
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))] // backpressure is tokio's
    pub(crate) write_buffer_limit: usize,
    /// The subprotocol the handshake agreed on.
    pub(crate) protocol: Option<Box<str>>,
    /// permessage-deflate inflater: its state and the peer's window, made when the handshake
    /// negotiates deflate (11 KB of state plus `2^bits` of window, on the heap).
    #[cfg(feature = "deflate")]
    inflate: Option<Box<Inflate>>,
    /// permessage-deflate compressor, made at the first data send once negotiated (about
    /// 320 KB of heap; connections that negotiated nothing or never send pay nothing).
    #[cfg(feature = "deflate-compress")]
    deflater: Option<crate::deflate::Deflater>,
}

impl Core {
    pub(crate) fn new(conn: Engine, options: &Options) -> Self {
        // The HTTP head must fit while it is incomplete (`Config::max_head_len`).
        let max_read = options
            .max_read_buffer_len
            .max(options.config.max_head_len() + 1);
        Self {
            conn,
            rbuf: BytesMut::new(),
            rlen: 0,
            regrow_to: 0,
            start: 0,
            end: 0,
            wbuf: Vec::new(),
            wpos: 0,
            sealed: VecDeque::new(),
            sealed_len: 0,
            partial: Partial::None,
            shutdown: false,
            read_filled: false,
            read_buffer_len: options.read_buffer_len,
            max_read_buffer_len: max_read,
            keep_grown_until: Instant::ZERO,
            write_buffer_limit: options.write_buffer_limit,
            protocol: None,
            #[cfg(feature = "deflate-compress")]
            deflater: None,
            #[cfg(feature = "deflate")]
            inflate: None,
        }
    }

    /// Free space to read into, growing the buffer when received bytes fill it.
    ///
    /// Empty only when the buffer is at its maximum and full of unconsumed bytes, which the
    /// engine never allows (it consumes every frame byte and caps the HTTP head).
    #[cfg(feature = "blocking")]
    pub(crate) fn space(&mut self) -> &mut [u8] {
        let len = self.prepare_read();
        if self.rbuf.len() != len {
            // Only the received bytes are kept (and moved, if the buffer is reallocated).
            self.rbuf.truncate(self.end);
            self.rbuf.resize(len, 0);
        }
        self.rbuf.get_mut(self.end..).unwrap_or_default()
    }

    /// Records `n` bytes read into [`space`](Self::space) at `now`.
    #[cfg(feature = "blocking")]
    pub(crate) fn filled(&mut self, n: usize, now: Instant) {
        self.end = (self.end + n).min(self.rbuf.len());
        self.after_read(n, now);
    }

    /// The read buffer for readers that fill spare capacity (tokio's `poll_read_buf`), with
    /// room reserved after the received bytes: no zeroing of memory about to be read into.
    ///
    /// `None` when the buffer is at its maximum and full of unconsumed bytes (as for an
    /// empty [`space`](Self::space)).
    #[cfg(feature = "tokio")]
    pub(crate) fn read_buf(&mut self) -> Option<&mut BytesMut> {
        let len = self.prepare_read();
        if self.end >= len {
            return None;
        }
        self.rbuf.truncate(self.end);
        self.rbuf.reserve(len - self.end);
        Some(&mut self.rbuf)
    }

    /// Records what a reader appended to [`read_buf`](Self::read_buf) at `now`.
    #[cfg(feature = "tokio")]
    pub(crate) fn appended(&mut self, now: Instant) {
        let n = self.rbuf.len().saturating_sub(self.end);
        self.end = self.rbuf.len();
        self.after_read(n, now);
    }

    fn after_read(&mut self, n: usize, now: Instant) {
        self.read_filled = n > 0 && self.end >= self.rlen;
        if self.rlen.max(self.regrow_to) > self.read_buffer_len {
            self.keep_grown_until = now.saturating_add(KEEP_GROWN);
        }
    }

    /// Moves the unconsumed bytes to the front.
    fn compact(&mut self) {
        self.rbuf.copy_within(self.start..self.end, 0);
        (self.start, self.end) = (0, self.end - self.start);
    }

    /// Decides the read buffer's size for the next read: `end < rlen` afterwards.
    fn prepare_read(&mut self) -> usize {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
        }
        if self.regrow_to > self.rlen {
            // A large message took the buffer's front: back to the grown size.
            self.compact();
            self.rlen = self.regrow_to;
            self.regrow_to = 0;
        } else if self.rlen == 0 {
            self.rlen = self.read_buffer_len;
        } else if self.read_filled && self.rlen < self.max_read_buffer_len {
            // The last read filled the buffer: more is flowing, read much bigger pieces (x8:
            // a 64 KiB message in 3 reads from 512 bytes, not 8). (Not
            // "the buffer is full": the engine consumes frame bytes as they come, so a
            // large message would otherwise be read 512 bytes at a time.)
            self.rlen = (self.rlen * 8).min(self.max_read_buffer_len);
        } else if self.end >= self.rlen && self.start > 0 {
            self.compact();
        }
        self.read_filled = false;
        self.rlen
    }

    /// The transport has nothing to read now: give a grown read buffer back while nothing
    /// is buffered and no message is being assembled, once no large read came for
    /// [`KEEP_GROWN`], so idle connections stay small (and a large message in flight, or a
    /// stream of them, keeps its large reads).
    /// `now` is asked for only when there is a grown buffer to give back.
    pub(crate) fn idle(&mut self, now: impl FnOnce() -> Instant) {
        let assembling = matches!(self.partial, Partial::Text(_) | Partial::Binary(_));
        if self.start == self.end
            && !assembling
            && self.rlen.max(self.regrow_to) > self.read_buffer_len
            && now() >= self.keep_grown_until
        {
            self.rbuf = BytesMut::new();
            (self.rlen, self.regrow_to) = (0, 0);
            (self.start, self.end) = (0, 0);
        }
    }

    /// Runs the engine over the buffered bytes until it yields something to hand out.
    ///
    /// `Ok(None)`: every buffered byte is consumed; read more. On a peer error the engine's
    /// Close or HTTP error response is already in the write buffer.
    pub(crate) fn next(
        &mut self,
        now: Instant,
        mode: Mode,
        decide: &mut dyn Decide,
    ) -> Result<Option<Item>, Error> {
        if mode == Mode::Whole && matches!(self.partial, Partial::Streamed) {
            return Err(Error::MessageInProgress);
        }
        let result = self.step(now, mode, decide);
        self.drain();
        result
    }

    fn step(
        &mut self,
        now: Instant,
        mode: Mode,
        decide: &mut dyn Decide,
    ) -> Result<Option<Item>, Error> {
        loop {
            // Where chunks borrowing the read buffer start, to find them in it.
            let (base, rbuf_len) = (self.rbuf.as_ptr() as usize, self.rlen);
            // Inflated chunks borrow the window, not the read buffer.
            let inflating = self.inflating();
            let buf = self.rbuf.get_mut(self.start..self.end).unwrap_or_default();
            #[cfg(feature = "deflate")]
            let received = match self.inflate.as_deref_mut() {
                Some(Inflate { state, window }) => {
                    match crate::deflate::Inflater::resume(state, window) {
                        Some(inflater) => self.conn.receive_inflate(now, buf, inflater)?,
                        None => {
                            return Err(Error::Engine(crate::Error::Usage(
                                crate::Misuse::InflaterTooSmall,
                            )));
                        }
                    }
                }
                None => self.conn.receive(now, buf)?,
            };
            #[cfg(not(feature = "deflate"))]
            let received = self.conn.receive(now, buf)?;
            self.start += received.consumed;
            let Some(event) = received.event else {
                return Ok(None);
            };
            let item = match event {
                Event::UpgradeRequest(request) => {
                    let accepted = decide.decide(&request);
                    let wbuf = &mut self.wbuf;
                    match accepted {
                        Ok(accept) => {
                            push_command(wbuf, |out| self.conn.accept(now, &accept, out))?;
                            crate::fmt::debug!("driver: upgrade accepted");
                            self.start_inflating();
                            Some(Item::Open)
                        }
                        Err(reject) => {
                            push_command(wbuf, |out| self.conn.reject(&reject, out))?;
                            return Err(Error::Rejected(reject.status()));
                        }
                    }
                }
                Event::Rejected(rejection) => {
                    // The client's view of a refusal: the engine's handshake failure.
                    let status = rejection.status();
                    return Err(Error::Engine(crate::Error::Handshake(
                        crate::HandshakeFailure::Rejected { status },
                    )));
                }
                Event::Established(response) => {
                    self.protocol = response.subprotocol().map(Box::from);
                    self.start_inflating();
                    Some(Item::Open)
                }
                Event::Text(chunk) => match mode {
                    Mode::Whole => {
                        let mut text = match core::mem::replace(&mut self.partial, Partial::None) {
                            Partial::Text(text) if !chunk.is_first() => text,
                            _ => String::with_capacity(chunk.len()),
                        };
                        push_text(&mut text, &chunk);
                        if chunk.is_last() {
                            Some(Item::Message(Message::Text(text)))
                        } else {
                            self.partial = Partial::Text(text);
                            None
                        }
                    }
                    Mode::Chunks => {
                        let (mut text, is_first) =
                            take_partial_text(&mut self.partial, chunk.is_first());
                        push_text(&mut text, &chunk);
                        self.partial = match chunk.is_last() {
                            true => Partial::None,
                            false => Partial::Streamed,
                        };
                        Some(Item::Chunk(Chunk::Text {
                            text,
                            is_first,
                            is_last: chunk.is_last(),
                        }))
                    }
                },
                Event::Binary(chunk) => match mode {
                    // A whole message in one chunk: one allocation of its exact size, or for a
                    // large one the read buffer's own bytes (unmasked in place), no copy.
                    Mode::Whole if chunk.is_first && chunk.is_last => {
                        self.partial = Partial::None;
                        let len = chunk.data.len();
                        let at = (chunk.data.as_ptr() as usize).wrapping_sub(base);
                        let in_rbuf = !inflating && at.checked_add(len) == Some(self.start);
                        if in_rbuf && len >= ZERO_COPY_LEN && len * 2 >= rbuf_len {
                            Some(Item::Message(Message::Binary(self.take_read(at))))
                        } else {
                            Some(Item::Message(Message::Binary(Bytes::copy_from_slice(
                                chunk.data,
                            ))))
                        }
                    }
                    Mode::Whole => {
                        let mut data = match core::mem::replace(&mut self.partial, Partial::None) {
                            Partial::Binary(data) if !chunk.is_first => data,
                            _ => Vec::new(),
                        };
                        data.extend_from_slice(chunk.data);
                        if chunk.is_last {
                            Some(Item::Message(Message::Binary(Bytes::from(data))))
                        } else {
                            self.partial = Partial::Binary(data);
                            None
                        }
                    }
                    Mode::Chunks => {
                        let (mut data, is_first) =
                            take_partial_binary(&mut self.partial, chunk.is_first);
                        data.extend_from_slice(chunk.data);
                        self.partial = match chunk.is_last {
                            true => Partial::None,
                            false => Partial::Streamed,
                        };
                        Some(Item::Chunk(Chunk::Binary {
                            data: Bytes::from(data),
                            is_first,
                            is_last: chunk.is_last,
                        }))
                    }
                },
                Event::Ping(payload) => Some(control(
                    mode,
                    Message::Ping(Bytes::copy_from_slice(payload.as_bytes())),
                )),
                Event::Pong(payload) => Some(control(
                    mode,
                    Message::Pong(Bytes::copy_from_slice(payload.as_bytes())),
                )),
                Event::Close(frame) => {
                    let body = (frame.code != CloseCode::NoStatus)
                        .then(|| (frame.code, String::from(frame.reason.as_str())));
                    Some(control(mode, Message::Close(body)))
                }
            };
            if let Some(item) = item {
                return Ok(Some(item));
            }
        }
    }

    /// Whether received messages may arrive compressed (an inflater is set up).
    fn inflating(&self) -> bool {
        #[cfg(feature = "deflate")]
        return self.inflate.is_some();
        #[cfg(not(feature = "deflate"))]
        false
    }

    /// Sets up the inflater once the handshake negotiated permessage-deflate.
    fn start_inflating(&mut self) {
        #[cfg(feature = "deflate")]
        if let Some(bits) = self.conn.peer_window_bits() {
            let window = std::vec![0u8; crate::deflate::window_len(bits)].into_boxed_slice();
            self.inflate = Some(Box::new(Inflate {
                state: crate::deflate::InflateState::new(),
                window,
            }));
        }
    }

    /// Hands out `rbuf[at..start]` (consumed bytes) without copying; the unconsumed bytes
    /// stay, and the next [`space`](Self::space) regrows the buffer around them.
    fn take_read(&mut self, at: usize) -> Bytes {
        let rest = self.rbuf.split_off(self.start);
        let mut taken = core::mem::replace(&mut self.rbuf, rest);
        self.regrow_to = self.regrow_to.max(self.rlen);
        self.rlen = self.rbuf.len();
        (self.start, self.end) = (0, self.end - self.start);
        taken.split_off(at.min(taken.len())).freeze()
    }

    /// Reports transport EOF: `Ok(())` after a clean closing handshake, else the outcome.
    pub(crate) fn eof(&mut self, now: Instant) -> Result<(), Error> {
        let closed = self.conn.receive_eof(now);
        self.drain();
        match closed.clean {
            true => Ok(()),
            false => Err(Error::Abnormal(closed)),
        }
    }

    /// Fires the engine's due deadlines at `now` (read the clock after the sleep).
    pub(crate) fn timeout(&mut self, now: Instant) -> Result<(), Error> {
        let ended = self.conn.handle_timeout(now);
        self.drain();
        match ended {
            Some(closed) if !closed.clean => Err(Error::Abnormal(closed)),
            _ => Ok(()),
        }
    }

    /// How the connection ended, as `recv` reports it once the transport is done.
    pub(crate) fn outcome(&self) -> Result<(), Error> {
        match self.conn.closed() {
            Some(closed) if !closed.clean => Err(Error::Abnormal(closed)),
            _ => Ok(()),
        }
    }

    /// Encodes a message into the write buffer (the caller then writes it out).
    pub(crate) fn send(&mut self, now: Instant, message: &Message) -> Result<(), Error> {
        let result = match message {
            Message::Text(text) => self.send_data(MessageKind::Text, text.as_bytes()),
            Message::Binary(data)
                if data.len() >= ZERO_COPY_LEN
                    && matches!(self.conn, Engine::Server(_))
                    && !self.compresses() =>
            {
                self.send_shared(data)
            }
            Message::Binary(data) => self.send_data(MessageKind::Binary, data),
            Message::Ping(data) => {
                push_command(&mut self.wbuf, |out| self.conn.send_ping(data, out))
            }
            Message::Pong(data) => {
                push_command(&mut self.wbuf, |out| self.conn.send_pong(data, out))
            }
            Message::Close(body) => {
                let (code, reason) = match body {
                    Some((code, reason)) => (*code, reason.as_str()),
                    None => (CloseCode::Normal, ""),
                };
                return self.close(now, code, reason);
            }
        };
        self.drain();
        result
    }

    /// Encodes a message prepared once for many connections: its compressed payload where
    /// this connection negotiated what it needs (see
    /// [`PreparedMessage::compresses_for`](crate::deflate::PreparedMessage::compresses_for)),
    /// otherwise the payload as [`send`](Self::send) would send it.
    #[cfg(feature = "deflate-compress")]
    pub(crate) fn send_prepared(
        &mut self,
        prepared: &crate::deflate::PreparedMessage,
    ) -> Result<(), Error> {
        let kind = prepared.kind();
        let result = match prepared.compressed() {
            Some(compressed) if self.conn.takes_compressed(prepared) => {
                let conn = &mut self.conn;
                push_command(&mut self.wbuf, |out| {
                    conn.send_compressed(kind, compressed, out)
                })
            }
            _ => self.send_data(kind, prepared.payload()),
        };
        self.drain();
        result
    }

    /// Starts the closing handshake (or answers the peer's Close with this code).
    pub(crate) fn close(
        &mut self,
        now: Instant,
        code: CloseCode,
        reason: &str,
    ) -> Result<(), Error> {
        let result = push_command(&mut self.wbuf, |out| {
            self.conn.close(now, code, reason, out)
        });
        self.drain();
        result
    }

    /// Opens the client handshake.
    pub(crate) fn connect(
        &mut self,
        now: Instant,
        request: &crate::ClientRequest<'_>,
    ) -> Result<(), Error> {
        let result = push_command(&mut self.wbuf, |out| self.conn.connect(now, request, out));
        self.drain();
        result
    }

    /// A data message as one frame: the header from the engine, the payload copied once
    /// (and masked in place by the engine for clients).
    fn send_data(&mut self, kind: MessageKind, payload: &[u8]) -> Result<(), Error> {
        #[cfg(feature = "deflate-compress")]
        if let Some(sent) = self.send_deflated(kind, payload) {
            return sent;
        }
        let mut header = [0u8; crate::MAX_HEADER_LEN];
        let len = self
            .conn
            .begin_frame(kind, payload.len() as u64, true, &mut header)?;
        self.wbuf
            .extend_from_slice(header.get(..len).unwrap_or_default());
        let at = self.wbuf.len();
        self.wbuf.extend_from_slice(payload);
        let body = self.wbuf.get_mut(at..).unwrap_or_default();
        self.conn.frame_payload(body)?;
        Ok(())
    }

    /// Whether data messages may go out compressed (deflate negotiated, compressor built in).
    fn compresses(&self) -> bool {
        #[cfg(feature = "deflate-compress")]
        if let Engine::Server(conn) = &self.conn {
            return conn.deflate_params().is_some();
        }
        false
    }

    /// A large unmasked (server) payload: the header is buffered, the payload queued as it
    /// is and written from the caller's `Bytes` (a vectored write), not copied.
    fn send_shared(&mut self, payload: &Bytes) -> Result<(), Error> {
        let mut header = [0u8; crate::MAX_HEADER_LEN];
        let len =
            self.conn
                .begin_frame(MessageKind::Binary, payload.len() as u64, true, &mut header)?;
        // Servers never mask, so `frame_payload` only counts the bytes it is shown: show it
        // scratch bytes of the same length (the payload itself is shared, not mutable).
        let mut scratch = [0u8; 4096];
        let mut owed = payload.len();
        while owed > 0 {
            let piece = owed.min(scratch.len());
            self.conn
                .frame_payload(scratch.get_mut(..piece).unwrap_or_default())?;
            owed -= piece;
        }
        self.wbuf
            .extend_from_slice(header.get(..len).unwrap_or_default());
        self.seal();
        self.sealed_len += payload.len();
        self.sealed.push_back(payload.clone());
        Ok(())
    }

    /// Moves the buffered unwritten bytes to the end of `sealed`.
    fn seal(&mut self) {
        if self.wpos < self.wbuf.len() {
            let buffered = Bytes::from(core::mem::take(&mut self.wbuf)).slice(self.wpos..);
            self.sealed_len += buffered.len();
            self.sealed.push_back(buffered);
        } else {
            self.wbuf.clear();
        }
        self.wpos = 0;
    }

    /// Sends a data message compressed (RSV1) when deflate was negotiated and compression
    /// shrinks it; `None`: send it uncompressed (always allowed), the compressor is in step.
    #[cfg(feature = "deflate-compress")]
    fn send_deflated(&mut self, kind: MessageKind, payload: &[u8]) -> Option<Result<(), Error>> {
        if !self.conn.is_open() {
            return None; // the plain path reports why not
        }
        if self.deflater.is_none() {
            self.deflater = Some(self.conn.deflater()?);
        }
        let deflater = self.deflater.as_mut()?;
        let compressed = deflater.compress(payload)?;
        if compressed.len() >= payload.len() {
            deflater.forget(); // the peer will not have this message in its window
            return None;
        }
        let conn = &mut self.conn;
        let result = push_command(&mut self.wbuf, |out| {
            conn.send_compressed(kind, compressed, out)
        });
        if result.is_err() {
            deflater.forget();
        }
        deflater.shrink_to(IDLE_WRITE_CAPACITY.max(payload.len()));
        Some(result)
    }

    /// The drain rule: the engine's own output (pongs, pings, Close echo, HTTP errors) goes
    /// to the write buffer after every input and command.
    fn drain(&mut self) {
        let mut out = [0u8; DRAIN_LEN];
        // `DRAIN_LEN >= max_transmit_len()`, so `poll_transmit` cannot fail.
        while let Ok(Some(transmit)) = self.conn.poll_transmit(&mut out) {
            self.wbuf
                .extend_from_slice(out.get(..transmit.len).unwrap_or_default());
            if transmit.close_transport_after {
                crate::fmt::debug!("driver: closing the transport after the last write");
                self.shutdown = true;
            }
        }
    }

    /// The next bytes to be written (empty when everything is written).
    pub(crate) fn unwritten(&self) -> &[u8] {
        match self.sealed.front() {
            Some(first) => first,
            None => self.wbuf.get(self.wpos..).unwrap_or_default(),
        }
    }

    /// Whether more than [`unwritten`](Self::unwritten) is waiting: write with
    /// [`unwritten_vectored`](Self::unwritten_vectored) then.
    pub(crate) fn is_vectored(&self) -> bool {
        !self.sealed.is_empty()
    }

    /// Every waiting piece, in order, for a vectored write (up to `slices.len()` pieces);
    /// returns how many were filled in.
    pub(crate) fn unwritten_vectored<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        let tail = self.wbuf.get(self.wpos..).unwrap_or_default();
        let pieces = self.sealed.iter().map(|b| &b[..]).chain([tail]);
        let mut count = 0;
        for (slot, piece) in slices.iter_mut().zip(pieces.filter(|p| !p.is_empty())) {
            *slot = IoSlice::new(piece);
            count += 1;
        }
        count
    }

    /// Unwritten bytes in total (for backpressure).
    #[cfg(feature = "tokio")]
    fn unwritten_len(&self) -> usize {
        self.sealed_len + (self.wbuf.len() - self.wpos)
    }

    /// Records that `n` bytes went out, from the front of what is waiting.
    pub(crate) fn written(&mut self, n: usize) {
        let mut n = n;
        while let Some(first) = self.sealed.front_mut() {
            if n < first.len() {
                bytes::Buf::advance(first, n);
                self.sealed_len -= n;
                return;
            }
            n -= first.len();
            self.sealed_len -= first.len();
            self.sealed.pop_front();
        }
        self.wpos = (self.wpos + n).min(self.wbuf.len());
        if self.wpos == self.wbuf.len() {
            self.wpos = 0;
            // Idle connections keep no large write buffer.
            if self.wbuf.capacity() > IDLE_WRITE_CAPACITY {
                self.wbuf = Vec::new();
            } else {
                self.wbuf.clear();
            }
        }
    }

    /// Whether a send must wait for the transport first (backpressure).
    #[cfg(feature = "tokio")]
    pub(crate) fn write_full(&self) -> bool {
        self.unwritten_len() >= self.write_buffer_limit
    }
}

/// Splits `ws://authority[/path]` into the authority (the `Host` header) and the path.
pub(crate) fn parse_ws_url(url: &str) -> Result<(&str, &str), Error> {
    let rest = url
        .get(..5)
        .filter(|scheme| scheme.eq_ignore_ascii_case("ws://"))
        .and_then(|_| url.get(5..))
        .ok_or(Error::InvalidUrl)?;
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(Error::InvalidUrl);
    }
    Ok((authority, if path.is_empty() { "/" } else { path }))
}

/// The authority with port 80 added when it names none, for `TcpStream::connect`.
pub(crate) fn with_port(authority: &str) -> std::borrow::Cow<'_, str> {
    let has_port = match authority.rfind(']') {
        Some(bracket) => authority
            .get(bracket..)
            .is_some_and(|tail| tail.contains(':')),
        None => authority.contains(':'),
    };
    match has_port {
        true => authority.into(),
        false => std::format!("{authority}:80").into(),
    }
}

/// Runs an engine command that writes into a buffer, appending its output to `wbuf`.
fn push_command(
    wbuf: &mut Vec<u8>,
    command: impl FnMut(&mut [u8]) -> Result<usize, crate::Error>,
) -> Result<(), Error> {
    let mut command = command;
    // Most commands fit on the stack: the write buffer then grows by what they wrote, not
    // by a guess (an idle connection keeps no 512-byte buffer from its handshake).
    let mut small = [0u8; COMMAND_LEN];
    let mut room = match command(&mut small) {
        Ok(len) => {
            wbuf.extend_from_slice(small.get(..len).unwrap_or_default());
            return Ok(());
        }
        Err(crate::Error::BufferTooSmall { required }) => required,
        Err(e) => return Err(Error::Engine(e)),
    };
    loop {
        let at = wbuf.len();
        wbuf.resize(at + room, 0);
        let result = command(wbuf.get_mut(at..).unwrap_or_default());
        match result {
            Ok(len) => {
                wbuf.truncate(at + len);
                return Ok(());
            }
            Err(crate::Error::BufferTooSmall { required }) if required > room => {
                wbuf.truncate(at);
                room = required;
            }
            Err(e) => {
                wbuf.truncate(at);
                return Err(Error::Engine(e));
            }
        }
    }
}

/// Appends a text chunk's text: it is valid UTF-8 already, so no check runs again.
fn push_text(text: &mut String, chunk: &TextChunk<'_>) {
    let (carried, rest) = chunk.parts();
    text.extend(carried);
    text.push_str(rest);
}

/// The partial text `recv` had assembled, handed out as the first piece of a stream.
fn take_partial_text(partial: &mut Partial, is_first: bool) -> (String, bool) {
    match core::mem::replace(partial, Partial::None) {
        Partial::Text(text) if !is_first => (text, true),
        _ => (String::new(), is_first),
    }
}

fn take_partial_binary(partial: &mut Partial, is_first: bool) -> (Vec<u8>, bool) {
    match core::mem::replace(partial, Partial::None) {
        Partial::Binary(data) if !is_first => (data, true),
        _ => (Vec::new(), is_first),
    }
}

fn control(mode: Mode, message: Message) -> Item {
    match mode {
        Mode::Whole => Item::Message(message),
        Mode::Chunks => Item::Chunk(Chunk::Control(message)),
    }
}

impl MaskSource for Random {
    fn next_mask_key(&mut self) -> MaskKey {
        let mut key = [0u8; 4];
        self.fill(&mut key);
        MaskKey(key)
    }
}

/// Binary messages from this size, read whole, are handed out as the read buffer's bytes:
/// regrowing the buffer (a fresh allocation) then costs less than the copy.
const ZERO_COPY_LEN: usize = 16 * 1024;
/// Room for any engine-originated transmit (`Connection::max_transmit_len`).
const DRAIN_LEN: usize = 256;
/// First guess for a command's output (handshake request or response, control frame).
const COMMAND_LEN: usize = 512;
/// A write buffer larger than this is freed once written.
const IDLE_WRITE_CAPACITY: usize = 4 * 1024;
