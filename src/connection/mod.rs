//! [`Connection`]: one sans-IO state machine for a WebSocket's whole life, both roles.
//!
//! # The loop
//! 1. Bytes from the transport go to [`receive`](Connection::receive), again and again
//!    until it returns no event; drop `consumed` bytes from the front after each call and
//!    keep the rest (only an unfinished HTTP head is ever left unconsumed).
//! 2. React to each event: accept or reject a request, consume message chunks, send.
//! 3. Drain: call [`poll_transmit`](Connection::poll_transmit) until it returns `None`,
//!    writing each [`Transmit`]; close the transport when one says so.
//! 4. Sleep until [`poll_timeout`](Connection::poll_timeout), then call
//!    [`handle_timeout`](Connection::handle_timeout); on transport EOF call
//!    [`receive_eof`](Connection::receive_eof).
//!
//! After any input or command, drain (step 3) before waiting again.

mod offer;
mod receive;
mod send;
mod state;
#[cfg(test)]
mod tests;
mod timer;

pub use state::{Role, State};

use crate::close::CloseCode;
use crate::config::Config;
use crate::error::{Error, Misuse};
use crate::event::Received;
use crate::frame::{MaskSource, NoMask};
use crate::handshake::head::HeadScanner;
use crate::handshake::{Accept, ClientRequest, Reject};
use crate::time::Instant;
use receive::Receiver;
use send::Sender;
use state::Phase;
use timer::Timers;

/// A WebSocket connection: handshake, framing and closing, for either role.
///
/// It owns no socket, clock, random source or heap: it turns received bytes into
/// [`Event`](crate::Event)s and application calls into bytes written to caller buffers.
/// `M` supplies client masking keys; servers use [`NoMask`].
///
/// Size: see `size_of` figures in the README (under 512 bytes per connection).
#[derive(Debug)]
pub struct Connection<M = NoMask> {
    core: Core,
    mask: M,
}

/// Everything of a connection but its mask source: the receive path, the state machine
/// and the timers live here, so their code is compiled once however many mask-source
/// types a program uses (a firmware with both roles links one frame loop, not two).
#[derive(Debug)]
// Perf (W8): hosted, the fields are laid out as declared, so everything the receive fast
// path reads of the connection (the time, the role, its gate, the keepalive flag) sits in
// its first 11 bytes, one cache line; the compiler's layout spread it over five. Bare
// metal keeps the compiler's layout (the smallest).
#[cfg_attr(not(target_os = "none"), repr(C))]
pub(crate) struct Core {
    /// The latest time an input reported; commands without a `now` use it.
    now: Instant,
    role: Role,
    /// The receive fast path's gate (see `Core::refresh_gate`): shut unless the connection
    /// is open with nothing in flight.
    // INVARIANT: set by every change of phase (`Core::enter`) and after every call of the
    // frame loop, the only code that changes the receiver's state.
    #[cfg(not(target_os = "none"))]
    small_gate: u8,
    /// Whether the config sets a keepalive, cached beside the fast path's other facts.
    #[cfg(not(target_os = "none"))]
    keepalive: bool,
    outcome: Option<Closed>,
    receiver: Receiver,
    // INVARIANT: its variant changes only through `Core::enter`, which keeps `small_gate`
    // in step (the handshake phases' own data changes in place).
    phase: Phase,
    config: Config,
    timers: Timers,
    /// The role's opening-handshake code: set only by [`Connection::server`] and
    /// [`Connection::client`], so a program that builds only upgraded connections links
    /// no HTTP parsing and no HTTP error writer at all (nor their panic paths; see
    /// tests/nostd-check and tests/firmware).
    handshake: Option<Handshake>,
    sender: Sender,
}

/// The opening handshake's code for one role, reached only through a connection's
/// `handshake` field, so nothing links it unless `server` or `client` is called.
#[derive(Clone, Copy, Debug)]
struct Handshake {
    /// Reads the peer's HTTP head.
    read_head: HeadReader,
    /// Server: writes the HTTP error response to a bad request (a client has none).
    write_error: Option<HttpErrorWriter>,
}

/// Writes the HTTP error response with a status into a buffer (see `poll_transmit`).
type HttpErrorWriter = fn(u16, &mut [u8]) -> Result<usize, Error>;

/// Reads the peer's HTTP head during the opening handshake.
type HeadReader = for<'a> fn(&mut Core, Instant, &'a mut [u8]) -> Result<Received<'a>, Error>;

/// Bytes the engine wants written, from [`Connection::poll_transmit`].
#[must_use = "write `len` bytes of the buffer to the transport"]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // the transmit contract is exactly this pair
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Transmit {
    /// Bytes written at the start of the output buffer (may be 0).
    pub len: usize,
    /// Close the transport once these bytes are written.
    pub close_transport_after: bool,
}

/// How a connection ended ([RFC 6455 §7.1.5](https://www.rfc-editor.org/rfc/rfc6455#section-7.1.5)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(clippy::exhaustive_structs)] // RFC 6455 §7.1.5–7.1.6 define exactly these facts
pub struct Closed {
    /// The code of the first Close received; 1005 if it had none, 1006 if none came.
    pub code: CloseCode,
    /// Whether both Close frames were exchanged (§7.1.4 "cleanly").
    pub clean: bool,
    /// Who started the end: the side that sent the first Close, failed, or timed out.
    pub initiator: Initiator,
}

/// Which side ended the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(clippy::exhaustive_enums)] // two ends, as for Role
pub enum Initiator {
    /// This endpoint (its close, its protocol error report, its timeout).
    Local,
    /// The peer (its close, its violation, its EOF).
    Remote,
}

#[cfg(feature = "defmt")]
impl<M> defmt::Format for Connection<M> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Connection {{ role: {}, state: {}, closed: {} }}",
            self.core.role,
            self.core.phase.state(),
            self.core.outcome
        )
    }
}

impl Connection<NoMask> {
    /// A server waiting for an upgrade request. The handshake timer starts at `now`.
    pub fn server(config: Config, now: Instant) -> Self {
        Self::new(
            config,
            Role::Server,
            NoMask,
            Phase::ServerAwaitRequest(HeadScanner::new()),
            now,
            Some(Handshake {
                read_head: Core::receive_request,
                write_error: Some(crate::handshake::server::write_error),
            }),
        )
    }
}

impl<M: MaskSource> Connection<M> {
    /// A client; start the handshake with [`connect`](Self::connect).
    ///
    /// `mask` must yield unpredictable keys (RFC 6455 §10.3).
    pub fn client(config: Config, mask: M, now: Instant) -> Self {
        Self::new(
            config,
            Role::Client,
            mask,
            Phase::ClientIdle,
            now,
            Some(Handshake {
                read_head: Core::receive_response,
                write_error: None,
            }),
        )
    }

    /// An already upgraded connection: an HTTP stack did the handshake; framing starts now.
    pub fn upgraded(config: Config, role: Role, mask: M, now: Instant) -> Self {
        Self::new(config, role, mask, Phase::Open, now, None)
    }

    fn new(
        config: Config,
        role: Role,
        mask: M,
        phase: Phase,
        now: Instant,
        handshake: Option<Handshake>,
    ) -> Self {
        Self {
            core: Core::new(config, role, phase, now, handshake),
            mask,
        }
    }

    // ---- getters ----

    /// Which end this is.
    pub const fn role(&self) -> Role {
        self.core.role
    }

    /// The coarse state; it changes only inside the methods below.
    pub const fn state(&self) -> State {
        self.core.phase.state()
    }

    /// Whether messages may be sent.
    pub const fn is_open(&self) -> bool {
        matches!(self.core.phase.state(), State::Open)
    }

    /// Whether the connection is over (cleanly or not).
    pub const fn is_closed(&self) -> bool {
        matches!(self.core.phase.state(), State::Closed)
    }

    /// How the connection ended, once that is known (set as the closing handshake starts
    /// from the peer, completes, fails, times out or meets EOF).
    pub const fn closed(&self) -> Option<Closed> {
        self.core.outcome
    }

    /// The configuration this connection runs with.
    pub const fn config(&self) -> &Config {
        &self.core.config
    }

    /// The largest single [`Transmit`] the engine itself produces (HTTP error, pong, ping,
    /// close): an output buffer this large never fails `poll_transmit`.
    pub const fn max_transmit_len(&self) -> usize {
        MAX_ENGINE_TRANSMIT_LEN
    }

    /// The permessage-deflate parameters negotiated in the opening handshake, if any.
    ///
    /// `None` until the handshake completes (a server: until [`accept`](Self::accept) wrote
    /// the answer), and when deflate was not configured, not offered or declined.
    #[cfg(feature = "deflate")]
    pub const fn deflate_params(&self) -> Option<crate::deflate::Params> {
        self.core.receiver.deflate.params()
    }

    /// Whether a received frame or fragmented message has begun and not ended: at transport
    /// EOF this means the stream was cut inside a message (report it as truncated).
    pub const fn receive_in_progress(&self) -> bool {
        self.core.receiver.in_progress()
    }

    /// Bytes the head scanner has examined, to show the handshake scan is linear.
    #[doc(hidden)]
    pub fn head_bytes_examined(&self) -> usize {
        match &self.core.phase {
            Phase::ServerAwaitRequest(scanner) => scanner.examined(),
            Phase::ClientAwaitResponse { scanner, .. } => scanner.examined(),
            _ => 0,
        }
    }

    // ---- inputs ----

    /// Feeds bytes from the transport; returns how many were used and at most one event.
    ///
    /// Call this with everything received and not yet consumed, repeatedly, until the
    /// event is `None`: then the engine needs more bytes. Payload is unmasked in place, so
    /// `buf` is mutable; the consumed bytes are the engine's to rewrite (a short masked text
    /// may be moved up to 7 bytes forward into its own header, so its UTF-8 check runs on
    /// aligned words). During the opening handshake an incomplete HTTP head stays
    /// unconsumed: keep it at the front of the buffer and append (the buffer must hold
    /// `max_head_len` bytes). After the handshake everything offered is consumed.
    ///
    /// In a hot loop of small messages, keep catch-all arms from taking the whole event by
    /// reference (`other => panic!("{other:?}")`, `ref other`, logging it): such an arm
    /// needs the event in memory, so the compiler copies the 128-byte event (x86_64) out of
    /// the slot the engine wrote it to on every call, not only when the arm runs. Match the
    /// result where it lies (`let result = conn.receive(now, buf); match &result { .. }`)
    /// or end with `_`. W1 (16-byte messages, `compare/benches/caller_shape.rs`, 8 Dec):
    /// 10.9 ns by reference, 11.5 ns ending with `_`, 12.4 ns with `other` formatted, about
    /// 20.5 ns with `ref other`.
    ///
    /// # Errors
    /// [`Error::Protocol`] or [`Error::Handshake`] when the peer broke the rules; the
    /// response is queued for `poll_transmit`, and every later call returns the same
    /// error. [`Error::Usage`] when no input is expected (a client before `connect`, a
    /// server before it answers a request).
    ///
    /// # Panics
    /// Never.
    pub fn receive<'a>(&mut self, now: Instant, buf: &'a mut [u8]) -> Result<Received<'a>, Error> {
        self.core.receive_with(
            now,
            buf,
            #[cfg(feature = "deflate")]
            None,
        )
    }

    /// [`receive`](Self::receive) for a connection that may have negotiated
    /// permessage-deflate: compressed messages are inflated into `inflater`'s window (a
    /// view of the caller's state and window, made per call, see below).
    ///
    /// Call it wherever `receive` would be called (the handshake too) once
    /// [`Config::with_deflate`] is on, with the same contract: call again with the rest of
    /// the buffer until the event is `None`, which means every byte was consumed and more
    /// are needed. It behaves exactly like `receive` for uncompressed messages and
    /// connections without deflate. A compressed message arrives in the same
    /// [`Event::Text`](crate::Event::Text) and [`Event::Binary`](crate::Event::Binary)
    /// chunks, borrowing the inflater's window instead of `buf` (text is UTF-8 checked
    /// across chunks, a code point split between inflater outputs included). Each call
    /// decompresses at most
    /// [`DeflateConfig::max_inflate_per_call`](crate::deflate::DeflateConfig::max_inflate_per_call)
    /// bytes, and a chunk also ends where the window wraps. After this side's Close,
    /// compressed payloads are skipped without being inflated (nothing is delivered then).
    ///
    /// `max_message_len` applies to the decompressed size, checked as bytes come out (and
    /// also to the compressed size on the wire).
    ///
    /// # Memory, for a driver
    /// Own one [`InflateState`](crate::deflate::InflateState) (about 11 KB) and one window
    /// of [`window_len`](crate::deflate::window_len)`(bits)` bytes per connection, `bits`
    /// being the peer's negotiated window ([`deflate_params`](Self::deflate_params):
    /// `client_max_window_bits` on a server, `server_max_window_bits` on a client; or
    /// simply the largest your [`DeflateConfig`](crate::deflate::DeflateConfig) accepts,
    /// 15 by default). Keep both for the connection's life (the window holds the LZ77
    /// context across messages) and make the view per call:
    ///
    /// ```
    /// use wsmachine::deflate::{InflateState, Inflater, window_len};
    /// use wsmachine::{Connection, Error, Event, Instant, NoMask};
    ///
    /// struct Driver {
    ///     conn: Connection<NoMask>,
    ///     state: InflateState,
    ///     window: Box<[u8]>,
    /// }
    ///
    /// impl Driver {
    ///     fn new(conn: Connection<NoMask>) -> Self {
    ///         let window = vec![0; window_len(15)].into_boxed_slice();
    ///         Self { conn, state: InflateState::new(), window }
    ///     }
    ///
    ///     /// One step of the read loop: the next event, and the bytes it used.
    ///     fn next<'a>(&'a mut self, now: Instant, buf: &'a mut [u8])
    ///         -> Result<(usize, Option<Event<'a>>), Error> {
    ///         let Some(inflater) = Inflater::resume(&mut self.state, &mut self.window) else {
    ///             unreachable!("a power-of-two window of at least 256 bytes")
    ///         };
    ///         let received = self.conn.receive_inflate(now, buf, inflater)?;
    ///         Ok((received.consumed, received.event))
    ///     }
    /// }
    /// ```
    ///
    /// The connection sets the context-takeover rule and the message limit on the state.
    ///
    /// # Errors
    /// As `receive`, and [`ProtocolViolation::InvalidCompressedData`](crate::ProtocolViolation)
    /// (close code 1007) for invalid deflate data or a back-reference beyond the negotiated
    /// window; [`ProtocolViolation::MessageTooLarge`](crate::ProtocolViolation) (1009) past
    /// `max_message_len` decompressed; [`Misuse::InflaterTooSmall`] (nothing changes) when the
    /// inflater's window is smaller than the peer's negotiated window bits need.
    ///
    /// # Panics
    /// Never.
    #[cfg(feature = "deflate")]
    pub fn receive_inflate<'a>(
        &mut self,
        now: Instant,
        buf: &'a mut [u8],
        mut inflater: crate::deflate::Inflater<'a>,
    ) -> Result<Received<'a>, Error> {
        if let Some(params) = self.core.receiver.deflate.params()
            && matches!(self.core.phase, Phase::Open | Phase::CloseSent)
        {
            // The peer's compressor settings are what this inflater must follow.
            let (bits, no_context_takeover) = if self.core.role.is_server() {
                (
                    params.client_max_window_bits,
                    params.client_no_context_takeover,
                )
            } else {
                (
                    params.server_max_window_bits,
                    params.server_no_context_takeover,
                )
            };
            if !inflater.configure(bits, no_context_takeover, self.core.config.max_message_len) {
                return Err(Error::Usage(Misuse::InflaterTooSmall));
            }
        }
        self.core.receive_with(now, buf, Some(inflater))
    }

    /// Reports that the transport reached end of stream; returns how the connection ended.
    ///
    /// EOF before the closing handshake is an abnormal closure (1006, RFC 6455 §7.1.5).
    pub fn receive_eof(&mut self, now: Instant) -> Closed {
        self.core.now = self.core.now.max(now);
        self.core.on_eof()
    }

    /// Fires every deadline due at `now`; returns the outcome if one ended the connection.
    ///
    /// Call this when [`poll_timeout`](Self::poll_timeout)'s instant has passed (calling
    /// early is harmless), then drain with `poll_transmit`.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<Closed> {
        self.core.now = self.core.now.max(now);
        self.core.on_deadlines(now)
    }

    // ---- commands ----

    /// Client: writes the upgrade request into `out` and starts waiting for the response.
    ///
    /// The handshake deadline ([`Config::handshake_timeout`]) runs from `now`, the time of
    /// this call, not from construction or the last input.
    ///
    /// # Errors
    /// [`Misuse::NotIdle`] unless the client is idle, [`Misuse::InvalidHeader`] or
    /// [`Misuse::TooManySubprotocols`] for a bad request, [`Error::BufferTooSmall`].
    pub fn connect(
        &mut self,
        now: Instant,
        request: &ClientRequest<'_>,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if !matches!(self.core.phase, Phase::ClientIdle) {
            return Err(Error::Usage(Misuse::NotIdle));
        }
        let (accept, offered) = request.prepare()?;
        #[cfg(feature = "deflate")]
        let mut offer_buf = [0u8; crate::deflate::MAX_EXTENSION_LEN];
        #[cfg(feature = "deflate")]
        let extensions: &[u8] = match self.core.config.deflate() {
            Some(deflate) => deflate
                .offer()
                .write(&mut offer_buf)
                .and_then(|n| offer_buf.get(..n))
                .unwrap_or_default(),
            None => &[],
        };
        #[cfg(not(feature = "deflate"))]
        let extensions: &[u8] = &[];
        let len = request.write(out, extensions)?;
        self.core.now = self.core.now.max(now);
        self.core.on_connect(now, accept, offered);
        Ok(len)
    }

    /// Server: writes the `101 Switching Protocols` response; the connection is open.
    ///
    /// The keepalive interval runs from `now`, the time of this call.
    ///
    /// # Errors
    /// [`Misuse::NoRequestPending`] unless a request awaits an answer,
    /// [`Misuse::SubprotocolNotOffered`] for a subprotocol the client did not offer,
    /// [`Misuse::InvalidHeader`] for a bad subprotocol or header, [`Error::BufferTooSmall`].
    pub fn accept(
        &mut self,
        now: Instant,
        accept: &Accept<'_>,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let Phase::ServerAwaitDecision(key) = &self.core.phase else {
            return Err(Error::Usage(Misuse::NoRequestPending));
        };
        // RFC 6455 §4.2.2: the selected subprotocol must be one the client offered.
        if let Some(chosen) = accept.subprotocol()
            && !offer::contains(self.core.receiver.offered(), chosen)
        {
            return Err(Error::Usage(Misuse::SubprotocolNotOffered));
        }
        #[cfg(feature = "deflate")]
        let mut answer_buf = [0u8; crate::deflate::MAX_EXTENSION_LEN];
        #[cfg(feature = "deflate")]
        let proposed = self.core.receiver.deflate.proposed();
        #[cfg(feature = "deflate")]
        let extensions: &[u8] = match &proposed {
            Some(params) => crate::deflate::write_answer(params, &mut answer_buf)
                .and_then(|n| answer_buf.get(..n))
                .unwrap_or_default(),
            None => &[],
        };
        #[cfg(not(feature = "deflate"))]
        let extensions: &[u8] = &[];
        let len = crate::handshake::server::write_accept(accept, key, extensions, out)?;
        #[cfg(feature = "deflate")]
        self.core.receiver.deflate.negotiate(proposed);
        self.core.now = self.core.now.max(now);
        self.core.open(now);
        Ok(len)
    }

    /// Server: writes a rejection response; the connection is closed (close the transport
    /// after writing it).
    ///
    /// # Errors
    /// [`Misuse::NoRequestPending`] unless a request awaits an answer, [`Misuse::InvalidStatus`]
    /// outside 400–599, [`Misuse::InvalidHeader`], [`Error::BufferTooSmall`].
    pub fn reject(&mut self, reject: &Reject<'_>, out: &mut [u8]) -> Result<usize, Error> {
        if !matches!(self.core.phase, Phase::ServerAwaitDecision(_)) {
            return Err(Error::Usage(Misuse::NoRequestPending));
        }
        let len = crate::handshake::server::write_reject(reject, out)?;
        #[cfg(feature = "deflate")]
        self.core.receiver.deflate.propose(None);
        self.core.on_reject_sent();
        Ok(len)
    }

    /// The error for a send or `close` that the phase does not allow.
    fn not_open(&self) -> Error {
        Error::Usage(self.core.phase.send_misuse())
    }
}

/// The longest engine-originated output: a 431 response is the largest HTTP error, a
/// masked 125-byte control frame the largest frame.
const MAX_ENGINE_TRANSMIT_LEN: usize = 160;

impl Core {
    /// Every constructor's state. Out of line on bare metal: one copy for every mask
    /// source, zeroing its arrays with the word routine (inlined into a client's
    /// constructor, the control stash sat at an odd offset and linked a byte-wise `memclr`).
    #[cfg_attr(target_os = "none", inline(never))]
    fn new(
        config: Config,
        role: Role,
        phase: Phase,
        now: Instant,
        handshake: Option<Handshake>,
    ) -> Self {
        // One struct expression, nothing set afterwards: built in place, never copied.
        Self {
            timers: phase.starting_timers(&config, now),
            #[cfg(not(target_os = "none"))]
            small_gate: Self::small_gate(&phase, &config),
            #[cfg(not(target_os = "none"))]
            keepalive: config.keepalive().is_some(),
            config,
            role,
            phase,
            receiver: Receiver::new(),
            sender: Sender::new(),
            outcome: None,
            now,
            handshake,
        }
    }

    /// The one receive path behind `receive` and `receive_inflate`.
    // Perf (W1): the receive fast path runs in the caller, without a call and its register
    // saves (32 instructions of W1's 339 per message); bare metal leaves it to the compiler.
    #[cfg_attr(not(target_os = "none"), inline(always))]
    #[cfg_attr(target_os = "none", inline)]
    fn receive_with<'a>(
        &mut self,
        now: Instant,
        buf: &'a mut [u8],
        #[cfg(feature = "deflate")] inflater: Option<crate::deflate::Inflater<'a>>,
    ) -> Result<Received<'a>, Error> {
        self.now = self.now.max(now);
        if !buf.is_empty() {
            self.on_liveness(now);
        }
        // A whole small message in one frame, with nothing else in flight, is decided from
        // its two header bytes and delivered in one step, before the phase dispatch (W1).
        // Flash: bare-metal targets, where it would add 170–580 bytes (scripts/firmware),
        // take the frame loop for every frame.
        #[cfg(not(target_os = "none"))]
        if let Some(small) = self.small_frame(buf) {
            return self.receive_small(buf, small);
        }
        match &mut self.phase {
            Phase::Failed(error) => Err(*error),
            // RFC 6455 §7.1.7 / §5.5.1: nothing after a Close or a failure is processed.
            Phase::Closed | Phase::CloseReceived => Ok(Received {
                consumed: buf.len(),
                event: None,
            }),
            Phase::ClientIdle => Err(Error::Usage(Misuse::NotConnecting)),
            Phase::ServerAwaitDecision(_) => Err(Error::Usage(Misuse::DecisionPending)),
            Phase::ServerAwaitRequest(_)
            | Phase::ClientAwaitResponse { .. }
            | Phase::ClientRejected { .. } => match self.handshake {
                Some(handshake) => (handshake.read_head)(self, now, buf),
                // Unreachable: only `server` and `client` start in these phases, with a reader.
                None => Err(Error::Usage(Misuse::HandshakeIncomplete)),
            },
            Phase::Open | Phase::CloseSent => {
                #[cfg(feature = "deflate")]
                if self.receiver.deflate.params().is_some() && inflater.is_none() && !buf.is_empty()
                {
                    return Err(Error::Usage(Misuse::InflaterRequired));
                }
                let received = self.receive_frames(
                    now,
                    buf,
                    #[cfg(feature = "deflate")]
                    inflater,
                );
                #[cfg(not(target_os = "none"))]
                self.refresh_gate();
                received
            }
        }
    }
}
