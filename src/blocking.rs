//! A blocking WebSocket over any `std::io::Read + Write` (feature `blocking`).
//!
//! ```no_run
//! # fn run() -> Result<(), wsmachine::blocking::Error> {
//! use wsmachine::blocking::{Message, WebSocket};
//!
//! let listener = std::net::TcpListener::bind("127.0.0.1:9002")?;
//! let (stream, _) = listener.accept()?;
//! let mut ws = WebSocket::accept(stream)?;
//! while let Some(message) = ws.recv() {
//!     if let m @ (Message::Text(_) | Message::Binary(_)) = message? {
//!         ws.send(m)?;
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The same engine loop as [`tokio`](crate::tokio) (whole messages, automatic pongs and
//! Close echo, keepalive, precise errors), with `std::time::Instant` as the clock.
//!
//! Keepalive needs the read to return while the peer is quiet. Over a `TcpStream` built
//! with [`WebSocket::accept`] or [`connect`], the driver sets the socket's read timeout to
//! the engine's next deadline before each read. Over another stream, set a read timeout
//! yourself: a read that fails with `WouldBlock` or `TimedOut` is taken as "check the
//! deadlines", never as EOF.

use core::time::Duration;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};

pub use crate::driver::{Chunk, Error, Message, Options, Random, fill_os};

use crate::driver::{Core, Decide, Engine, Item, Mode, NoDecide};
use crate::{Accept, ClientRequest, CloseCode, Connection, Instant, NoMask, Reject, Request, Role};

/// A blocking WebSocket over the stream `S`.
#[derive(Debug)]
pub struct WebSocket<S> {
    stream: S,
    core: Core,
    epoch: std::time::Instant,
    /// Socket-specific hooks, set for `TcpStream`.
    hooks: Option<Hooks<S>>,
    eof: bool,
    shut: bool,
    finished: bool,
}

/// What the driver can do with a `TcpStream` beyond `Read + Write`.
struct Hooks<S> {
    set_read_timeout: fn(&S, Option<Duration>) -> io::Result<()>,
    shutdown: fn(&S) -> io::Result<()>,
}

impl<S> core::fmt::Debug for Hooks<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Hooks")
    }
}

impl WebSocket<TcpStream> {
    /// Server: reads the upgrade request on `stream`, answers 101 (or the engine's HTTP
    /// error), with [`Options::default`].
    ///
    /// # Errors
    /// [`Error::Engine`] for a bad request (the error response was sent), [`Error::Io`],
    /// [`Error::Abnormal`] if the stream ends or the handshake times out.
    pub fn accept(stream: TcpStream) -> Result<Self, Error> {
        Self::accept_with(stream, Options::new(), |_| Ok(Accept::new()))
    }

    /// Server: like [`accept`](Self::accept), with `decide` choosing the answer.
    ///
    /// # Errors
    /// As for [`accept`](Self::accept); [`Error::Rejected`] after `decide` rejected.
    pub fn accept_with<F>(stream: TcpStream, options: Options, decide: F) -> Result<Self, Error>
    where
        F: for<'r> FnOnce(&Request<'r>) -> Result<Accept<'r>, Reject<'r>>,
    {
        stream.set_nodelay(true)?;
        let mut ws = Self::server(stream, options);
        ws.hooks = Some(tcp_hooks());
        ws.handshake(&mut Some(decide))?;
        Ok(ws)
    }
}

/// Connects to `url` (`ws://host[:port][/path]`) over TCP and performs the client
/// handshake, with [`Options::default`].
///
/// # Errors
/// [`Error::InvalidUrl`], [`Error::Io`], and as for [`WebSocket::connect`].
pub fn connect(url: &str) -> Result<WebSocket<TcpStream>, Error> {
    let (authority, path) = crate::driver::parse_ws_url(url)?;
    let stream = TcpStream::connect(crate::driver::with_port(authority).as_ref())?;
    stream.set_nodelay(true)?;
    let options = Options::new();
    let request = ClientRequest::new(authority, path, options.new_key());
    let mut ws = WebSocket::client(stream, options);
    ws.hooks = Some(tcp_hooks());
    ws.start_connect(&request)?;
    Ok(ws)
}

fn tcp_hooks() -> Hooks<TcpStream> {
    Hooks {
        set_read_timeout: TcpStream::set_read_timeout,
        shutdown: |stream| stream.shutdown(Shutdown::Write),
    }
}

impl<S: Read + Write> WebSocket<S> {
    /// Server over any stream: reads the request and answers with `decide`'s choice.
    ///
    /// # Errors
    /// As for [`WebSocket::accept_with`].
    pub fn accept_stream<F>(stream: S, options: Options, decide: F) -> Result<Self, Error>
    where
        F: for<'r> FnOnce(&Request<'r>) -> Result<Accept<'r>, Reject<'r>>,
    {
        let mut ws = Self::server(stream, options);
        ws.handshake(&mut Some(decide))?;
        Ok(ws)
    }

    /// Client over any stream: sends `request` (its key from [`Options::new_key`]) and
    /// waits for the 101.
    ///
    /// # Errors
    /// [`Error::Engine`] for a refused or invalid response, [`Error::Io`],
    /// [`Error::Abnormal`] if the stream ends or the handshake times out.
    pub fn connect(
        stream: S,
        request: &ClientRequest<'_>,
        options: Options,
    ) -> Result<Self, Error> {
        let mut ws = Self::client(stream, options);
        ws.start_connect(request)?;
        Ok(ws)
    }

    /// A WebSocket on a stream whose HTTP upgrade was done elsewhere; framing starts now.
    pub fn from_upgraded(stream: S, role: Role, options: Options) -> Self {
        let config = *options.config();
        let engine = match role {
            Role::Server => {
                Engine::Server(Connection::upgraded(config, role, NoMask, Instant::ZERO))
            }
            Role::Client => Engine::Client(Connection::upgraded(
                config,
                role,
                options.random,
                Instant::ZERO,
            )),
        };
        Self::new(stream, engine, &options)
    }

    fn server(stream: S, options: Options) -> Self {
        let engine = Engine::Server(Connection::server(*options.config(), Instant::ZERO));
        Self::new(stream, engine, &options)
    }

    fn client(stream: S, options: Options) -> Self {
        let engine = Engine::Client(Connection::client(
            *options.config(),
            options.random,
            Instant::ZERO,
        ));
        Self::new(stream, engine, &options)
    }

    fn new(stream: S, engine: Engine, options: &Options) -> Self {
        Self {
            stream,
            core: Core::new(engine, options),
            epoch: std::time::Instant::now(),
            hooks: None,
            eof: false,
            shut: false,
            finished: false,
        }
    }

    fn start_connect(&mut self, request: &ClientRequest<'_>) -> Result<(), Error> {
        let now = self.now();
        self.core.connect(now, request)?;
        self.handshake(&mut NoDecide)
    }

    fn handshake(&mut self, decide: &mut dyn Decide) -> Result<(), Error> {
        loop {
            match self.next_item(Mode::Whole, decide) {
                Some(Ok(Item::Open)) => return Ok(self.flush()?),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => return Err(Error::Io(io::ErrorKind::UnexpectedEof.into())),
            }
        }
    }

    fn now(&self) -> Instant {
        let elapsed = self.epoch.elapsed().as_millis();
        Instant::from_millis(u64::try_from(elapsed).unwrap_or(u64::MAX))
    }

    /// The next whole message; `None` once the connection has ended cleanly.
    ///
    /// Blocks until a message arrives, answering pings and firing deadlines meanwhile.
    ///
    /// # Errors
    /// [`Error::Engine`] for a peer violation (with its close code; the Close was sent),
    /// [`Error::Abnormal`] for EOF without a closing handshake (1006) or a passed deadline,
    /// [`Error::Io`]. After an error `recv` returns `None`.
    pub fn recv(&mut self) -> Option<Result<Message, Error>> {
        loop {
            return match self.next_item(Mode::Whole, &mut NoDecide)? {
                Ok(Item::Message(message)) => Some(Ok(message)),
                Ok(_) => continue,
                Err(e) => Some(Err(e)),
            };
        }
    }

    /// The next piece of a message, for messages too large to hold whole.
    ///
    /// # Errors
    /// As for [`recv`](Self::recv).
    pub fn recv_chunk(&mut self) -> Option<Result<Chunk, Error>> {
        loop {
            return match self.next_item(Mode::Chunks, &mut NoDecide)? {
                Ok(Item::Chunk(chunk)) => Some(Ok(chunk)),
                Ok(_) => continue,
                Err(e) => Some(Err(e)),
            };
        }
    }

    /// Sends a message and writes it out.
    ///
    /// # Errors
    /// [`Error::Engine`] when sending is not allowed now (after Close), [`Error::Io`].
    pub fn send(&mut self, message: Message) -> Result<(), Error> {
        let now = self.now();
        self.core.send(now, &message)?;
        Ok(self.flush()?)
    }

    /// Sends a message compressed once for many connections and writes it out: the
    /// prepared compressed payload where this connection negotiated `*_no_context_takeover`
    /// for its sending direction and a window at least the prepared one's, otherwise the
    /// payload as [`send`](Self::send) would send it.
    ///
    /// # Errors
    /// As for [`send`](Self::send).
    #[cfg(feature = "deflate-compress")]
    pub fn send_prepared(
        &mut self,
        prepared: &crate::deflate::PreparedMessage,
    ) -> Result<(), Error> {
        self.core.send_prepared(prepared)?;
        Ok(self.flush()?)
    }

    /// Starts the closing handshake and reads until it finishes (dropping messages that
    /// arrive meanwhile).
    ///
    /// # Errors
    /// As for [`send`](Self::send), and [`Error::Abnormal`] if the peer never answers.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let now = self.now();
        self.core.close(now, code, reason)?;
        self.flush()?;
        while let Some(message) = self.recv() {
            message?;
        }
        Ok(())
    }

    /// The subprotocol the server selected (clients).
    pub fn protocol(&self) -> Option<&str> {
        self.core.protocol.as_deref()
    }

    /// How the connection ended, once that is known.
    pub fn closed(&self) -> Option<crate::Closed> {
        self.core.conn.closed()
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The receive loop: engine over buffered bytes, write, deadlines, read.
    fn next_item(&mut self, mode: Mode, decide: &mut dyn Decide) -> Option<Result<Item, Error>> {
        loop {
            if self.finished {
                return None;
            }
            let item = self.core.next(self.now(), mode, decide);
            // Whatever the input queued (a pong, the Close echo) goes out first.
            let flushed = self.flush();
            match item {
                Ok(Some(item)) => return Some(flushed.map(|()| item).map_err(Error::from)),
                Ok(None) => {}
                Err(Error::MessageInProgress) => return Some(Err(Error::MessageInProgress)),
                Err(e) => return self.finish(Err(e)),
            }
            if let Err(e) = flushed {
                return self.finish(Err(e.into()));
            }
            if self.shut || (self.eof && self.core.conn.is_closed()) {
                let outcome = self.core.outcome();
                return self.finish(outcome);
            }
            if let Err(e) = self.read() {
                let _ = self.flush();
                return self.finish(Err(e));
            }
        }
    }

    /// One read, bounded by the engine's next deadline; a deadline that passes is handled.
    fn read(&mut self) -> Result<(), Error> {
        let now = self.now();
        let deadline = self.core.conn.poll_timeout();
        if deadline.is_some_and(|at| at <= now) {
            return self.core.timeout(now);
        }
        if let Some(hooks) = &self.hooks {
            // Zero is "no timeout" to std; a deadline this close waits 1 ms.
            let wait = deadline.map(|at| {
                at.saturating_duration_since(now)
                    .max(Duration::from_millis(1))
            });
            (hooks.set_read_timeout)(&self.stream, wait)?;
        }
        let space = self.core.space();
        if space.is_empty() {
            return Err(Error::Io(io::Error::other(
                "receive buffer full of unconsumed bytes",
            )));
        }
        match self.stream.read(space) {
            Ok(0) => {
                self.eof = true;
                let now = self.now();
                self.core.eof(now)
            }
            Ok(n) => {
                let now = self.now();
                self.core.filled(n, now);
                Ok(())
            }
            // A read timeout: time to look at the deadlines, not the end of the stream.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let now = self.now();
                self.core.idle(|| now);
                self.core.timeout(now)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            // After the closing handshake a reset is just how this peer closes TCP.
            Err(_) if self.core.conn.is_closed() => {
                self.eof = true;
                let now = self.now();
                self.core.eof(now)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes everything buffered; shuts the transport down when the engine says so.
    fn flush(&mut self) -> io::Result<()> {
        while !self.core.unwritten().is_empty() {
            let result = if self.core.is_vectored() {
                let mut slices = [io::IoSlice::new(&[]); 4];
                let count = self.core.unwritten_vectored(&mut slices);
                self.stream
                    .write_vectored(slices.get(..count).unwrap_or_default())
            } else {
                self.stream.write(self.core.unwritten())
            };
            match result {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.core.written(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.stream.flush()?;
        if self.core.shutdown && !self.shut {
            if let Some(hooks) = &self.hooks {
                // The peer may have closed first; the write side is done either way.
                let _ = (hooks.shutdown)(&self.stream);
            }
            self.shut = true;
        }
        Ok(())
    }

    fn finish<T>(&mut self, outcome: Result<(), Error>) -> Option<Result<T, Error>> {
        self.finished = true;
        crate::fmt::debug!("blocking driver: connection finished");
        outcome.err().map(Err)
    }
}
