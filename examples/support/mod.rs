//! Blocking `std::net` plumbing shared by the examples: a socket driving a `Connection`.
//!
//! The engine does the protocol; this file only moves bytes, keeps time and supplies
//! entropy. It reads into one buffer, hands every event to a callback, and writes what the
//! engine produced in one `write_all` per read.
#![allow(dead_code, unreachable_pub)] // each example uses a different subset

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use wsmachine::{Closed, Connection, Event, Instant, Key, MaskKey, MaskSource};

/// Entropy from the standard library: `RandomState` is keyed from the OS random source,
/// and SipHash of a counter under that key is unpredictable to anyone without the key.
pub struct StdRandom {
    state: RandomState,
    counter: u64,
}

impl StdRandom {
    pub fn new() -> Self {
        Self {
            state: RandomState::new(),
            counter: 0,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.counter += 1;
        let mut hasher = self.state.build_hasher();
        hasher.write_u64(self.counter);
        hasher.finish()
    }

    pub fn key(&mut self) -> Key {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        Key(bytes)
    }
}

impl MaskSource for StdRandom {
    fn next_mask_key(&mut self) -> MaskKey {
        let [a, b, c, d, ..] = self.next_u64().to_le_bytes();
        MaskKey([a, b, c, d])
    }
}

/// What a callback tells the read loop.
pub enum Flow {
    Continue,
    Stop,
}

/// A TCP stream, its connection, and the buffers between them.
pub struct Socket<M> {
    pub conn: Connection<M>,
    pub stream: TcpStream,
    epoch: std::time::Instant,
    rbuf: Vec<u8>,
    /// Unconsumed bytes are `rbuf[start..end]`.
    start: usize,
    end: usize,
    /// Bytes to write, gathered while handling one read.
    pub out: Vec<u8>,
    /// Scratch for one frame at a time.
    pub frame: Vec<u8>,
    pub transport_closed: bool,
    close_requested: bool,
    /// While set, `pump` only reads: engine output waits inside the engine (used while
    /// the application itself is writing a large frame to the socket).
    pub hold_output: bool,
    /// permessage-deflate: the inflater's state and window, for the connection's life
    /// (allocated only when the connection's config enables deflate).
    #[cfg(feature = "deflate")]
    inflate: Option<(Box<wsmachine::deflate::InflateState>, Box<[u8]>)>,
}

impl<M: MaskSource> Socket<M> {
    pub fn new(conn: Connection<M>, stream: TcpStream, epoch: std::time::Instant) -> Self {
        let _ = stream.set_nodelay(true);
        // The largest window this side accepts from the peer (the negotiation never asks for
        // more), so the buffers are sized before the handshake.
        #[cfg(feature = "deflate")]
        let inflate = conn.config().deflate().map(|d| {
            let len = wsmachine::deflate::window_len(d.inflate_window_bits());
            (
                Box::new(wsmachine::deflate::InflateState::new()),
                vec![0; len].into_boxed_slice(),
            )
        });
        Self {
            #[cfg(feature = "deflate")]
            inflate,
            conn,
            stream,
            epoch,
            rbuf: vec![0; 256 * 1024],
            start: 0,
            end: 0,
            out: Vec::with_capacity(256 * 1024),
            frame: vec![0; 64 * 1024],
            transport_closed: false,
            close_requested: false,
            hold_output: false,
        }
    }

    pub fn now(&self) -> Instant {
        now(self.epoch)
    }

    /// Appends what `poll_transmit` has to `out`, in order with the application's frames
    /// (so a pong answers its ping before later echoes), remembering a close request.
    fn drain(&mut self) -> io::Result<()> {
        if self.hold_output {
            return Ok(());
        }
        let mut scratch = [0u8; 256];
        while let Some(t) = self
            .conn
            .poll_transmit(&mut scratch)
            .map_err(io::Error::other)?
        {
            self.out.extend_from_slice(&scratch[..t.len]);
            self.close_requested |= t.close_transport_after;
        }
        Ok(())
    }

    /// Drains the engine, writes `out`, and closes the transport if asked.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.hold_output {
            return Ok(());
        }
        self.drain()?;
        let close = std::mem::take(&mut self.close_requested);
        if !self.out.is_empty() && !self.transport_closed {
            self.stream.write_all(&self.out)?;
            self.out.clear();
        }
        if close && !self.transport_closed {
            let _ = self.stream.shutdown(std::net::Shutdown::Both);
            self.transport_closed = true;
        }
        Ok(())
    }

    /// Reads once (waiting at most until the engine's next deadline) and hands every event
    /// to `on_event`, which may send through the connection into `out`. Returns the
    /// connection's end once the transport is closed.
    pub fn pump(
        &mut self,
        mut on_event: impl FnMut(
            &mut Connection<M>,
            &mut Vec<u8>,
            &mut Vec<u8>,
            Event<'_>,
        ) -> io::Result<Flow>,
    ) -> io::Result<Option<Closed>> {
        if self.transport_closed {
            return Ok(Some(self.conn.receive_eof(self.now())));
        }
        if self.start > 0 {
            self.rbuf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let timeout = self.conn.poll_timeout().map(|deadline| {
            let wait = deadline.as_millis().saturating_sub(self.now().as_millis());
            Duration::from_millis(wait.max(1))
        });
        self.stream.set_read_timeout(timeout)?;
        let n = match self.stream.read(&mut self.rbuf[self.end..]) {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                let now = self.now();
                let ended = self.conn.handle_timeout(now);
                self.flush()?;
                return Ok(ended);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                ) =>
            {
                0
            }
            Err(e) => return Err(e),
        };
        let now = self.now();
        if n == 0 {
            self.transport_closed = true;
            return Ok(Some(self.conn.receive_eof(now)));
        }
        self.end += n;
        let mut stop = false;
        while !stop {
            let buf = &mut self.rbuf[self.start..self.end];
            #[cfg(feature = "deflate")]
            let received = match &mut self.inflate {
                // A view of the connection's inflater memory, made per call.
                Some((state, window)) => {
                    match wsmachine::deflate::Inflater::resume(state, window) {
                        Some(inflater) => self.conn.receive_inflate(now, buf, inflater),
                        None => return Err(io::Error::other("inflate window not a power of two")),
                    }
                }
                None => self.conn.receive(now, buf),
            };
            #[cfg(not(feature = "deflate"))]
            let received = self.conn.receive(now, buf);
            let received = match received {
                Ok(received) => received,
                Err(error) => {
                    self.flush()?;
                    return Err(io::Error::new(ErrorKind::InvalidData, error));
                }
            };
            let consumed = received.consumed;
            let Some(event) = received.event else {
                self.start += consumed;
                break;
            };
            if let Flow::Stop = on_event(&mut self.conn, &mut self.out, &mut self.frame, event)? {
                stop = true;
            }
            self.start += consumed;
            self.drain()?;
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        self.flush()?;
        if self.transport_closed {
            return Ok(Some(self.conn.receive_eof(now)));
        }
        Ok(None)
    }
}

pub fn now(epoch: std::time::Instant) -> Instant {
    Instant::from_millis(u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX))
}

/// Appends one frame written by `write` into `out`, growing the scratch buffer on demand.
pub fn send_into(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    mut write: impl FnMut(&mut [u8]) -> Result<usize, wsmachine::Error>,
) -> io::Result<()> {
    loop {
        match write(scratch) {
            Ok(n) => {
                out.extend_from_slice(&scratch[..n]);
                return Ok(());
            }
            Err(wsmachine::Error::BufferTooSmall { required }) => scratch.resize(required, 0),
            Err(e) => return Err(io::Error::new(ErrorKind::InvalidInput, e)),
        }
    }
}

/// Echoes a text or binary chunk as the next fragment of the same message, so messages
/// of any size stream through; other events are ignored (pongs and the Close echo are the
/// engine's). A code point that straddled two reads comes first, by value.
pub fn echo_chunk<M: MaskSource>(
    conn: &mut Connection<M>,
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    event: &Event<'_>,
) -> io::Result<()> {
    use wsmachine::MessageKind;
    match event {
        Event::Text(chunk) => {
            let (carried, text) = chunk.parts();
            if let Some(c) = carried {
                let mut code_point = [0; 4];
                let carried = c.encode_utf8(&mut code_point).as_bytes();
                send_into(out, scratch, |buf| {
                    conn.send_fragment(MessageKind::Text, carried, false, buf)
                })?;
            }
            let (text, last) = (text.as_bytes(), chunk.is_last());
            send_into(out, scratch, |buf| {
                conn.send_fragment(MessageKind::Text, text, last, buf)
            })
        }
        Event::Binary(chunk) => send_into(out, scratch, |buf| {
            conn.send_fragment(MessageKind::Binary, chunk.as_bytes(), chunk.is_last(), buf)
        }),
        _ => Ok(()),
    }
}

/// Splits `ws://host:port/path` into (`host:port`, `/path`).
pub fn parse_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("ws://")?;
    Some(match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    })
}
