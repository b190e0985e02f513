//! Send path: application commands → frames in caller buffers, and the engine's own
//! obligations (HTTP error, pong, keepalive ping, Close echo) drained by `poll_transmit`.

use super::{Connection, Phase, Transmit};
use crate::Role;
use crate::close::{CloseCode, MAX_REASON_LEN};
use crate::error::{Error, Misuse};
use crate::event::ControlPayload;
use crate::frame::encoder::{encode_frame, encode_masked_frame};
use crate::frame::{FrameHeader, MAX_CONTROL_PAYLOAD_LEN, MaskSource, Masker, Opcode};
use crate::message::MessageKind;
use crate::time::Instant;

/// What the send path remembers: one fixed slot per obligation, nothing that grows.
#[derive(Clone, Debug)]
pub(crate) struct Sender {
    /// The kind of the fragmented message being sent, if one is unfinished.
    message: Option<MessageKind>,
    /// Payload bytes a zero-copy frame still owes.
    owed: u64,
    owed_masker: Option<Masker>,
    /// The pong for the latest ping (§5.5.3 allows answering only the latest).
    pending_pong: Option<ControlPayload>,
    /// A keepalive ping.
    pending_ping: bool,
    /// The Close echo or failure Close; `NoStatus` means an empty payload.
    pending_close: Option<CloseCode>,
    /// The server's HTTP error response to a bad request.
    pending_http: Option<u16>,
    /// Close the transport once the queued bytes are out.
    close_transport: bool,
}

impl Sender {
    pub(crate) const fn new() -> Self {
        Self {
            message: None,
            owed: 0,
            owed_masker: None,
            pending_pong: None,
            pending_ping: false,
            pending_close: None,
            pending_http: None,
            close_transport: false,
        }
    }

    /// Queues the pong answering a ping; it replaces an unsent one (§5.5.3: only the
    /// latest ping needs its pong).
    pub(crate) fn queue_pong(&mut self, payload: ControlPayload) {
        self.pending_pong = Some(payload);
    }

    /// Queues a keepalive ping.
    pub(crate) fn queue_ping(&mut self) {
        self.pending_ping = true;
    }

    /// Queues a Close with `code` (`NoStatus`: an empty payload).
    pub(crate) fn queue_close(&mut self, code: CloseCode) {
        self.pending_close = Some(code);
    }

    /// Queues the HTTP error response with `status`.
    pub(crate) fn queue_http_error(&mut self, status: u16) {
        self.pending_http = Some(status);
    }

    /// Drops the pong and ping: nothing the engine originates may follow a Close (§5.5.1)
    /// or a failure.
    pub(crate) fn abort(&mut self) {
        self.pending_pong = None;
        self.pending_ping = false;
    }

    /// Asks for the transport to be closed once the queued bytes are written.
    pub(crate) fn close_transport(&mut self) {
        self.close_transport = true;
    }

    /// Drops every queued obligation (the peer is gone or the connection is over).
    pub(crate) fn clear(&mut self) {
        *self = Self {
            message: self.message,
            ..Self::new()
        };
    }

    /// Takes the queued Close, if any (the application answers the peer's Close itself).
    fn take_close(&mut self) -> Option<CloseCode> {
        self.pending_close.take()
    }

    fn has_pending(&self) -> bool {
        self.pending_http.is_some()
            || self.pending_pong.is_some()
            || self.pending_ping
            || self.pending_close.is_some()
    }
}

impl<M: MaskSource> Connection<M> {
    /// Sends a whole text message as one frame into `out`; returns the bytes written.
    ///
    /// # Errors
    /// [`Misuse::HandshakeIncomplete`], [`Misuse::CloseAlreadySent`],
    /// [`Misuse::CloseReceived`] or [`Misuse::ConnectionClosed`] unless open (each names
    /// why not), [`Misuse::MessageInProgress`] during a
    /// fragmented message, [`Misuse::FrameInProgress`] while a zero-copy frame is owed,
    /// [`Error::BufferTooSmall`]. Nothing changes on error.
    #[inline]
    pub fn send_text(&mut self, text: &str, out: &mut [u8]) -> Result<usize, Error> {
        self.send_message(MessageKind::Text, text.as_bytes(), out)
    }

    /// Sends a whole binary message as one frame into `out`; returns the bytes written.
    ///
    /// # Errors
    /// As for [`send_text`](Self::send_text).
    #[inline]
    pub fn send_binary(&mut self, data: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        self.send_message(MessageKind::Binary, data, out)
    }

    #[inline] // the per-message hot path (W6a): keeps the checks below in the caller
    pub(crate) fn send_message(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        // Fast path, the same checks as `data_opcode` in one branch: open, no zero-copy
        // frame owed, no fragmented message unfinished, and a server (nothing to mask).
        // Not on firmware: there the one checked path is smaller than both.
        if cfg!(not(target_os = "none"))
            && self.core.phase.sends_frames()
            && self.core.sender.owed == 0
            && self.core.sender.message.is_none()
            && !self.core.role.is_client()
        {
            return encode_frame(kind.opcode(), true, payload, false, out);
        }
        self.send_message_checked(kind, payload, out)
    }

    /// [`send_message`](Self::send_message) for every other case: names the failed
    /// precondition, or masks for a client.
    #[inline(never)]
    fn send_message_checked(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        match self.data_opcode(kind)? {
            // A whole message cannot go inside an unfinished fragmented one.
            Opcode::Continuation => Err(Error::Usage(Misuse::MessageInProgress)),
            opcode => self.write_frame(opcode, true, payload, out),
        }
    }

    /// Sends a whole message whose payload `compressed` is already compressed per RFC 7692
    /// §7.2.1 (deflate data, sync-flush trailer removed): one frame with RSV1 set.
    ///
    /// Any compressor will do (see [`deflate::Deflater`](crate::deflate) with the
    /// `deflate-compress` feature); uncompressed sends stay available and always allowed.
    ///
    /// # Errors
    /// As for [`send_text`](Self::send_text), and [`Misuse::DeflateNotNegotiated`] if the
    /// handshake did not agree on permessage-deflate. Nothing changes on error.
    #[cfg(feature = "deflate")]
    pub fn send_compressed(
        &mut self,
        kind: MessageKind,
        compressed: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        match self.compressed_opcode(kind)? {
            Opcode::Continuation => Err(Error::Usage(Misuse::MessageInProgress)),
            opcode => self.write_compressed_frame(opcode, true, compressed, out),
        }
    }

    /// Sends one fragment of a compressed message (RFC 7692 §6.1: the compressed payload
    /// may be split anywhere): RSV1 is set on the first frame only.
    ///
    /// # Errors
    /// As for [`send_fragment`](Self::send_fragment) and
    /// [`send_compressed`](Self::send_compressed).
    #[cfg(feature = "deflate")]
    pub fn send_compressed_fragment(
        &mut self,
        kind: MessageKind,
        compressed: &[u8],
        is_last: bool,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let opcode = self.compressed_opcode(kind)?;
        let len = self.write_compressed_frame(opcode, is_last, compressed, out)?;
        self.core.sender.message = (!is_last).then_some(kind);
        Ok(len)
    }

    /// The data opcode for a compressed send, once deflate is known to be negotiated.
    #[cfg(feature = "deflate")]
    fn compressed_opcode(&self, kind: MessageKind) -> Result<Opcode, Error> {
        let opcode = self.data_opcode(kind)?;
        if self.deflate_params().is_none() {
            return Err(Error::Usage(Misuse::DeflateNotNegotiated));
        }
        Ok(opcode)
    }

    /// A data frame with RSV1 ("Per-Message Compressed") on a message's first frame: the
    /// ordinary encoding, then the bit set in the first header byte, so the uncompressed
    /// path is untouched.
    #[cfg(feature = "deflate")]
    fn write_compressed_frame(
        &mut self,
        opcode: Opcode,
        fin: bool,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let len = self.write_frame(opcode, fin, payload, out)?;
        if opcode != Opcode::Continuation
            && let Some(first) = out.first_mut()
        {
            *first |= 0x40; // RSV1, the bit after FIN
        }
        Ok(len)
    }

    /// Sends one fragment of a message: the first call picks `kind`, later ones continue
    /// it, and `is_last` ends it. Control frames may be sent between fragments.
    ///
    /// For text, the fragments together must be UTF-8; a fragment may split a code point.
    ///
    /// # Errors
    /// [`Misuse::MessageInProgress`] if a message of the other kind is unfinished, and
    /// as for [`send_text`](Self::send_text).
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
        is_last: bool,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let opcode = self.data_opcode(kind)?;
        let len = self.write_frame(opcode, is_last, payload, out)?;
        self.core.sender.message = (!is_last).then_some(kind);
        Ok(len)
    }

    /// Zero-copy sending: writes only the header of a data frame of `payload_len` bytes.
    ///
    /// Then pass the payload, in place and in any number of pieces, through
    /// [`frame_payload`](Self::frame_payload) (which masks it for clients) and write it
    /// after the header, vectored if you like. Until all of it has passed, `poll_transmit`
    /// returns `None` and other sends fail with [`Misuse::FrameInProgress`], so nothing
    /// lands inside the frame.
    ///
    /// # Errors
    /// As for [`send_fragment`](Self::send_fragment).
    pub fn begin_frame(
        &mut self,
        kind: MessageKind,
        payload_len: u64,
        is_last: bool,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let opcode = self.data_opcode(kind)?;
        let mut header = FrameHeader {
            fin: is_last,
            rsv: 0,
            opcode,
            mask: None,
            payload_len,
        };
        if self.core.role.is_client() {
            header.mask = Some(crate::frame::MaskKey([0; 4])); // sized first, key drawn below
        }
        if out.len() < header.encoded_len() {
            return Err(Error::BufferTooSmall {
                required: header.encoded_len(),
            });
        }
        if self.core.role.is_client() {
            header.mask = Some(self.mask.next_mask_key());
        }
        let len = header.encode(out)?;
        self.core.sender.message = (!is_last).then_some(kind);
        self.core.sender.owed = payload_len;
        // The zero key leaves the payload as it is: nothing to apply (see `ZERO_KEYS`).
        self.core.sender.owed_masker = header.mask.filter(|_| !M::ZERO_KEYS).map(Masker::new);
        Ok(len)
    }

    /// Passes the next piece of a [`begin_frame`](Self::begin_frame) payload: masks it in
    /// place for clients, and counts it.
    ///
    /// # Errors
    /// [`Misuse::PayloadExceedsFrame`] if `payload` is longer than what is still owed;
    /// nothing is masked then.
    pub fn frame_payload(&mut self, payload: &mut [u8]) -> Result<(), Error> {
        let len = payload.len() as u64;
        if len > self.core.sender.owed {
            return Err(Error::Usage(Misuse::PayloadExceedsFrame));
        }
        if let Some(masker) = &mut self.core.sender.owed_masker {
            masker.apply(payload);
        }
        self.core.sender.owed -= len;
        Ok(())
    }

    /// Sends a ping with `payload` (at most 125 bytes).
    ///
    /// # Errors
    /// [`Misuse::ControlPayloadTooLong`], and as for [`send_text`](Self::send_text) except
    /// that pings may interleave with a fragmented message.
    pub fn send_ping(&mut self, payload: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        self.send_control(Opcode::Ping, payload, out)
    }

    /// Sends an unsolicited pong (a heartbeat; pings are answered automatically).
    ///
    /// # Errors
    /// As for [`send_ping`](Self::send_ping).
    pub fn send_pong(&mut self, payload: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        self.send_control(Opcode::Pong, payload, out)
    }

    /// Starts the closing handshake (or answers the peer's Close with this code instead of
    /// the automatic echo, if that is still queued).
    ///
    /// The wait for the peer's Close ([`Config::close_timeout`](crate::Config::close_timeout))
    /// runs from `now`, the time of this call.
    ///
    /// # Errors
    /// [`Misuse::InvalidCloseCode`] for a code not valid on the wire (1005, 1006, 1015, ...),
    /// [`Misuse::ReasonTooLong`] past 123 bytes, [`Misuse::CloseAlreadySent`] once a Close
    /// was sent, [`Misuse::HandshakeIncomplete`] before the handshake,
    /// [`Misuse::ConnectionClosed`] once over, [`Misuse::FrameInProgress`], [`Error::BufferTooSmall`]. Nothing changes on error.
    pub fn close(
        &mut self,
        now: Instant,
        code: CloseCode,
        reason: &str,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if !code.is_valid_on_wire() {
            return Err(Error::Usage(Misuse::InvalidCloseCode(code)));
        }
        if reason.len() > MAX_REASON_LEN {
            return Err(Error::Usage(Misuse::ReasonTooLong));
        }
        let answering = matches!(self.core.phase, Phase::CloseReceived)
            && self.core.sender.pending_close.is_some();
        if !self.core.phase.sends_frames() && !answering {
            return Err(self.not_open());
        }
        if self.core.sender.owed > 0 {
            return Err(Error::Usage(Misuse::FrameInProgress));
        }
        let len = self.write_close(code, reason.as_bytes(), out)?;
        self.core.now = self.core.now.max(now);
        if answering {
            // Our Close replaces the automatic echo.
            let _echo = self.core.sender.take_close();
            self.core.on_close_echoed();
        } else {
            self.core.on_close_sent(now);
        }
        Ok(len)
    }

    /// Writes the next bytes the engine itself owes the peer into `out`.
    ///
    /// Call after every input and command until it returns `Ok(None)`. Order: an HTTP error
    /// response, the pending pong, a keepalive ping, the Close echo or failure Close, then a
    /// bare "close the transport" signal (`len` 0) if the connection is over.
    /// `out` of [`max_transmit_len`](Self::max_transmit_len) bytes always suffices.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`]; nothing is lost, retry with a larger buffer.
    pub fn poll_transmit(&mut self, out: &mut [u8]) -> Result<Option<Transmit>, Error> {
        if self.core.sender.owed > 0 {
            return Ok(None);
        }
        let len = if let Some(status) = self.core.sender.pending_http {
            let len = self.write_http_error(status, out)?;
            self.core.sender.pending_http = None;
            len
        } else {
            // The frame the engine owes first: one encode for all of them, its payload read
            // from the sender's slot where it lies (no copy of a pong's 125 bytes).
            let sender = &self.core.sender;
            let close_code;
            let frame = if let Some(pong) = &sender.pending_pong {
                Some((Opcode::Pong, pong.as_bytes()))
            } else if sender.pending_ping {
                Some((Opcode::Ping, &[][..]))
            } else if let Some(code) = sender.pending_close {
                // No reason: the code alone, no 125-byte staging; §7.1.5: an empty Close
                // is answered with an empty Close (1005 never goes out).
                close_code = code.0.to_be_bytes();
                let payload = if code == CloseCode::NoStatus {
                    &[][..]
                } else {
                    &close_code[..]
                };
                Some((Opcode::Close, payload))
            } else if sender.close_transport {
                None // nothing left to write but the transport to close
            } else {
                return Ok(None);
            };
            if let Some((opcode, payload)) = frame {
                let (role, mask) = (self.core.role, &mut self.mask);
                let len = encode_fragment(role, mask, opcode, true, payload, out)?;
                match opcode {
                    Opcode::Pong => self.core.sender.pending_pong = None,
                    Opcode::Ping => self.core.sender.pending_ping = false,
                    _ => {
                        self.core.sender.pending_close = None;
                        if matches!(self.core.phase, Phase::CloseReceived) {
                            self.core.on_close_echoed();
                        }
                    }
                }
                len
            } else {
                0
            }
        };
        let close_transport_after =
            self.core.sender.close_transport && !self.core.sender.has_pending();
        if close_transport_after {
            self.core.sender.close_transport = false;
        }
        Ok(Some(Transmit {
            len,
            close_transport_after,
        }))
    }

    /// Bytes the engine itself has queued for the peer: the total that draining
    /// [`poll_transmit`](Self::poll_transmit) will write (0 when nothing is queued; a bare
    /// "close the transport" signal is 0 bytes too, see
    /// [`wants_transport_closed`](Self::wants_transport_closed)). While a zero-copy frame is
    /// owed these bytes wait behind it.
    pub fn pending_transmit_len(&self) -> usize {
        let mask = if self.core.role.is_client() { 4 } else { 0 };
        let frame = |payload: usize| 2 + mask + payload;
        let sender = &self.core.sender;
        let http =
            sender
                .pending_http
                .map_or(0, |status| match self.write_http_error(status, &mut []) {
                    Ok(len) | Err(Error::BufferTooSmall { required: len }) => len,
                    Err(_) => 0,
                });
        let pong = sender.pending_pong.map_or(0, |p| frame(p.as_bytes().len()));
        let ping = if sender.pending_ping { frame(0) } else { 0 };
        let close = sender.pending_close.map_or(0, |code| match code {
            CloseCode::NoStatus => frame(0),
            _ => frame(2),
        });
        http + pong + ping + close
    }

    /// Whether the engine asks for the transport to be closed once the queued bytes are
    /// written (`poll_transmit` will say so with `close_transport_after`).
    pub const fn wants_transport_closed(&self) -> bool {
        self.core.sender.close_transport
    }

    /// When the engine next needs [`handle_timeout`](Self::handle_timeout), if ever.
    ///
    /// The answer changes after every input and command.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.core.timers.next_deadline()
    }

    /// Writes the server's HTTP error response with `status`, through the handshake table
    /// only `server` sets: a program without servers links no HTTP error writer. Only a
    /// server's head reader ever queues one, so the `None` arm writes nothing.
    fn write_http_error(&self, status: u16, out: &mut [u8]) -> Result<usize, Error> {
        match self
            .core
            .handshake
            .and_then(|handshake| handshake.write_error)
        {
            Some(write_error) => write_error(status, out),
            None => Ok(0),
        }
    }

    fn data_opcode(&self, kind: MessageKind) -> Result<Opcode, Error> {
        if !self.core.phase.sends_frames() {
            return Err(self.not_open());
        }
        if self.core.sender.owed > 0 {
            return Err(Error::Usage(Misuse::FrameInProgress));
        }
        match self.core.sender.message {
            None => Ok(kind.opcode()),
            Some(current) if current == kind => Ok(Opcode::Continuation),
            Some(_) => Err(Error::Usage(Misuse::MessageInProgress)),
        }
    }

    fn send_control(
        &mut self,
        opcode: Opcode,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if payload.len() > MAX_CONTROL_PAYLOAD_LEN {
            return Err(Error::Usage(Misuse::ControlPayloadTooLong));
        }
        if !self.core.phase.sends_frames() {
            return Err(self.not_open());
        }
        if self.core.sender.owed > 0 {
            return Err(Error::Usage(Misuse::FrameInProgress));
        }
        self.write_frame(opcode, true, payload, out)
    }

    fn write_close(
        &mut self,
        code: CloseCode,
        reason: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let mut payload = [0u8; MAX_CONTROL_PAYLOAD_LEN];
        let len = if code == CloseCode::NoStatus {
            0 // §7.1.5: an empty Close is answered with an empty Close; 1005 never goes out
        } else {
            let (head, tail) = payload.split_at_mut(2);
            crate::copy_bytes(head, &code.0.to_be_bytes());
            let Some(dst) = tail.get_mut(..reason.len()) else {
                return Err(Error::Usage(Misuse::ReasonTooLong));
            };
            crate::copy_bytes(dst, reason);
            2 + reason.len()
        };
        self.write_frame(
            Opcode::Close,
            true,
            payload.get(..len).unwrap_or_default(),
            out,
        )
    }

    fn write_frame(
        &mut self,
        opcode: Opcode,
        fin: bool,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        encode_fragment(self.core.role, &mut self.mask, opcode, fin, payload, out)
    }
}

/// One frame, masked as `role` requires. Free of the connection, so a payload can be
/// written from the connection's own slots without a copy.
fn encode_fragment<M: MaskSource>(
    role: Role,
    mask: &mut M,
    opcode: Opcode,
    fin: bool,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, Error> {
    if !role.is_client() {
        encode_frame(opcode, fin, payload, false, out)
    } else if M::ZERO_KEYS {
        // A client with `NoMask`: the zero key, known at compile time (no masking code).
        encode_frame(opcode, fin, payload, true, out)
    } else {
        let mut next = || mask.next_mask_key();
        encode_masked_frame(opcode, fin, payload, &mut next, out)
    }
}

impl MessageKind {
    const fn opcode(self) -> Opcode {
        match self {
            Self::Text => Opcode::Text,
            Self::Binary => Opcode::Binary,
        }
    }
}
