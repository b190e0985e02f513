//! The engine's loop over a `tokio::net::TcpStream`, shared by the tokio examples.
//!
//! [`Ws`] owns the stream, a receive buffer and the bytes waiting to be written. The
//! application feeds received bytes with [`Ws::process`] (one callback per event), queues
//! frames with [`queue`], and writes everything with [`Ws::flush`], which also drains the
//! engine's own output (pongs, Close echoes) and honours `close_transport_after`.
#![allow(dead_code, unreachable_pub)] // each example uses a different subset

use std::future::Future;
use std::io;
use std::task::Poll;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use wsmachine::{Connection, Error, Event, Instant, MaskSource};

/// The most bytes one read takes in.
const READ_LEN: usize = 16 * 1024;
/// The first read's size: a read that fills its buffer doubles the next one (up to
/// `READ_LEN`), so that chatty peers get big reads and idle ones leave small holes.
const FIRST_READ_LEN: usize = 1024;

/// One WebSocket over one TCP stream.
///
/// The receive buffer exists only while bytes are in it: an idle connection holds no
/// buffer at all (the chat keeps ~1 KB per idle member this way).
pub struct Ws<M> {
    pub conn: Connection<M>,
    pub stream: TcpStream,
    buf: Vec<u8>,
    /// Received bytes not yet consumed by the engine: `buf[..pending]`.
    pending: usize,
    /// Bytes queued for the peer.
    pub out: Vec<u8>,
    epoch: std::time::Instant,
    /// The transport is done (EOF seen, or the engine asked to close it).
    pub finished: bool,
    /// The next read's size.
    read_len: usize,
    /// permessage-deflate (`--features deflate`): the inflater's state and the peer's
    /// window, made once the handshake negotiated it (about 11 KB plus the window).
    #[cfg(feature = "deflate")]
    inflate: Option<Box<(wsmachine::deflate::InflateState, Box<[u8]>)>>,
}

/// What one read produced.
pub enum Read {
    Bytes,
    Eof,
    /// The engine's deadline passed (it has been handled).
    Timeout,
}

impl<M: MaskSource> Ws<M> {
    pub fn new(conn: Connection<M>, stream: TcpStream, epoch: std::time::Instant) -> Self {
        Self::with_bytes(conn, stream, epoch, Vec::new())
    }

    /// Like `new`, with bytes already read from the stream (e.g. a peeked HTTP head).
    pub fn with_bytes(
        conn: Connection<M>,
        stream: TcpStream,
        epoch: std::time::Instant,
        bytes: Vec<u8>,
    ) -> Self {
        Self {
            conn,
            stream,
            pending: bytes.len(),
            buf: bytes,
            out: Vec::new(),
            epoch,
            finished: false,
            read_len: FIRST_READ_LEN,
            #[cfg(feature = "deflate")]
            inflate: None,
        }
    }

    /// The clock's origin.
    pub fn epoch(&self) -> std::time::Instant {
        self.epoch
    }

    pub fn now(&self) -> Instant {
        now(self.epoch)
    }

    /// Feeds every buffered byte to the engine, calling `on_event` for each event.
    pub fn process(
        &mut self,
        mut on_event: impl FnMut(&mut Connection<M>, &mut Vec<u8>, Event<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let now = now(self.epoch);
        let mut start = 0;
        let result = loop {
            #[cfg(feature = "deflate")]
            self.start_inflating();
            let buf = &mut self.buf[start..self.pending];
            #[cfg(feature = "deflate")]
            let received = match self.inflate.as_deref_mut() {
                Some((state, window)) => {
                    match wsmachine::deflate::Inflater::resume(state, window) {
                        Some(inflater) => self.conn.receive_inflate(now, buf, inflater),
                        None => Err(Error::Usage(wsmachine::Misuse::InflaterTooSmall)),
                    }
                }
                None => self.conn.receive(now, buf),
            };
            #[cfg(not(feature = "deflate"))]
            let received = self.conn.receive(now, buf);
            let received = match received {
                Ok(received) => received,
                Err(e) => break Err(e),
            };
            start += received.consumed;
            let Some(event) = received.event else {
                break Ok(());
            };
            if let Err(e) = on_event(&mut self.conn, &mut self.out, event) {
                break Err(e);
            }
        };
        // Keep an unfinished HTTP head at the front (the only bytes ever left unconsumed).
        self.buf.copy_within(start..self.pending, 0);
        self.pending -= start;
        if self.pending == 0 {
            self.buf = Vec::new();
        }
        result
    }

    /// Sets up the inflater once the handshake has negotiated permessage-deflate.
    #[cfg(feature = "deflate")]
    fn start_inflating(&mut self) {
        if self.inflate.is_some() {
            return;
        }
        let peer_bits = self
            .conn
            .deflate_params()
            .map(|params| match self.conn.role() {
                wsmachine::Role::Server => params.client_max_window_bits,
                wsmachine::Role::Client => params.server_max_window_bits,
            });
        if let Some(bits) = peer_bits.filter(|_| self.conn.is_open()) {
            let window = vec![0u8; wsmachine::deflate::window_len(bits)].into_boxed_slice();
            self.inflate = Some(Box::new((wsmachine::deflate::InflateState::new(), window)));
        }
    }

    /// Moves the engine's own output (pongs, Close echoes) into `out`. Not async, so that
    /// its scratch buffer is not part of every connection's future.
    fn drain_engine(&mut self) -> io::Result<()> {
        let mut scratch = [0u8; 256];
        while let Some(t) = self
            .conn
            .poll_transmit(&mut scratch)
            .map_err(io::Error::other)?
        {
            self.out.extend_from_slice(&scratch[..t.len]);
            if t.close_transport_after {
                self.finished = true;
            }
        }
        Ok(())
    }

    /// Waits for bytes or for the engine's next deadline, whichever comes first.
    pub async fn read(&mut self) -> io::Result<Read> {
        self.read_until(None).await
    }

    /// Like `read`, also returning (as `Timeout`) at the application's own `until`: one
    /// timer serves both, so a connection's future holds a single `Sleep`.
    pub async fn read_until(&mut self, until: Option<tokio::time::Instant>) -> io::Result<Read> {
        if self.pending >= READ_LEN {
            return Err(io::Error::other("HTTP head larger than the receive buffer"));
        }
        let engine = self.conn.poll_timeout().map(|at| {
            let wait = at.as_millis().saturating_sub(self.now().as_millis());
            tokio::time::Instant::now() + Duration::from_millis(wait)
        });
        let deadline = match (engine, until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // Readiness first, so that no buffer is held while waiting; polled by hand (no
        // `Readable` future, no `select!`) to keep an idle connection's future small.
        let mut sleep = std::pin::pin!(deadline.map(tokio::time::sleep_until));
        let readable = std::future::poll_fn(|cx| {
            if let Some(sleep) = sleep.as_mut().as_pin_mut()
                && sleep.poll(cx).is_ready()
            {
                return Poll::Ready(Ok(false));
            }
            self.stream.poll_read_ready(cx).map_ok(|()| true)
        });
        if !readable.await? {
            let _ = self.conn.handle_timeout(now(self.epoch));
            return Ok(Read::Timeout);
        }
        let want = (self.pending + self.read_len).min(READ_LEN);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        let n = match self.stream.try_read(&mut self.buf[self.pending..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Read::Bytes),
            Err(e) => return Err(e),
        };
        if n == 0 {
            let _ = self.conn.receive_eof(now(self.epoch));
            self.finished = true;
            return Ok(Read::Eof);
        }
        self.pending += n;
        if self.pending == self.buf.len() {
            self.read_len = (self.read_len * 2).min(READ_LEN);
        }
        Ok(Read::Bytes)
    }

    /// Writes the queued bytes and everything the engine owes; closes the stream when the
    /// engine says so (then `finished` is set). Cancel-safe: dropping it loses no byte.
    pub async fn flush(&mut self) -> io::Result<()> {
        self.drain_engine()?;
        // Written bytes leave `out` as each write completes, so a cancelled flush (the chat
        // gives up on a peer that stopped reading) loses nothing and can be resumed.
        while !self.out.is_empty() {
            let n = self.stream.write(&self.out).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.out.drain(..n);
        }
        // Idle connections keep no output buffer either.
        self.out = Vec::new();
        if self.finished {
            let _ = self.stream.shutdown().await;
        }
        Ok(())
    }
}

/// Runs an engine command that writes into a buffer, appending its bytes to `out`.
pub fn queue(
    out: &mut Vec<u8>,
    mut command: impl FnMut(&mut [u8]) -> Result<usize, Error>,
) -> Result<(), Error> {
    let mut scratch = vec![0u8; 1024];
    loop {
        match command(&mut scratch) {
            Ok(n) => {
                out.extend_from_slice(&scratch[..n]);
                return Ok(());
            }
            Err(Error::BufferTooSmall { required }) if required > scratch.len() => {
                scratch.resize(required, 0);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Milliseconds since `epoch`, as the engine's clock.
pub fn now(epoch: std::time::Instant) -> Instant {
    Instant::from_millis(u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX))
}
