//! Receive path: HTTP heads, then frames → message rules → payload chunks and events.

use super::Core;
use core::mem;

use super::Phase;
use super::offer::{self, Offer};
use crate::close::CloseFrame;
#[cfg(feature = "deflate")]
use crate::deflate::{InflateError, Inflater, RawStep};
use crate::error::{Error, HandshakeFailure, ProtocolViolation};
use crate::event::{BinaryChunk, ControlPayload, Event, Received, TextChunk};
use crate::fixed::FixedBuf;
use crate::frame::{Decoded, FrameHeader, MAX_CONTROL_PAYLOAD_LEN, MAX_HEADER_LEN, Masker, Opcode};
use crate::handshake::{Rejection, client, rejected_body_len, server};
use crate::time::Instant;
#[cfg(not(target_os = "none"))]
use crate::utf8::Utf8Chunk;
use crate::utf8::Utf8Validator;

/// The most text one event delivers: unmasking, UTF-8 validation and the application's
/// read of a block all hit L1/L2 instead of memory (larger frames arrive in several events).
pub(super) const TEXT_BLOCK_LEN: usize = 32 * 1024;

/// The wire length allowed for `limit` bytes compressed: deflate's worst expansion (stored
/// blocks) is far below 1/256 plus a few bytes.
#[cfg(feature = "deflate")]
const fn compressed_bound(limit: u64) -> u64 {
    limit.saturating_add(limit >> 8).saturating_add(256)
}

/// The most compressed payload one inflater step takes in (see its use).
#[cfg(feature = "deflate")]
const COMPRESSED_BLOCK_LEN: usize = 8 * 1024;

/// What the receive path remembers between calls.
#[derive(Clone, Debug)]
pub(crate) struct Receiver {
    /// A frame header split across reads.
    // INVARIANT: `header_len < MAX_HEADER_LEN`; `header[..header_len]` is an incomplete
    // header that passed every check its bytes allow.
    header: [u8; MAX_HEADER_LEN],
    header_len: u8,
    /// The frame whose payload is arriving.
    frame: Option<InFrame>,
    /// The kind (Text or Binary) of the message being received, if one is open.
    message: Option<Opcode>,
    /// Whether the open message has delivered no chunk yet.
    first_pending: bool,
    message_len: u64,
    fragments: u32,
    utf8: Utf8Validator,
    /// A control payload gathered across reads (the only copy on the receive path). During
    /// the opening handshake, while no frame can arrive, it keeps the subprotocol offer.
    control: FixedBuf<MAX_CONTROL_PAYLOAD_LEN>,
    /// permessage-deflate state (zero bytes without the feature).
    #[cfg_attr(not(feature = "deflate"), allow(dead_code))] // an empty placeholder then
    pub(super) deflate: DeflateLink,
}

/// The receive path's permessage-deflate state: zero bytes without the `deflate` feature, so
/// a connection does not grow when the feature is off (asserted in the tests below).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DeflateLink {
    /// Server: what the pending request's offer gets if the application accepts; then, in
    /// both roles, what was negotiated (once `negotiated`).
    #[cfg(feature = "deflate")]
    params: Option<crate::deflate::Params>,
    #[cfg(feature = "deflate")]
    negotiated: bool,
    /// The header being gathered had RSV1 set (cleared from the bytes before decoding).
    #[cfg(feature = "deflate")]
    rsv1: bool,
    /// The open message is compressed (its first frame had RSV1).
    #[cfg(feature = "deflate")]
    compressed: bool,
    /// The compressed message's last payload byte has gone into the inflater.
    #[cfg(feature = "deflate")]
    input_done: bool,
    /// The inflater's last step produced output, so more may come without new input.
    #[cfg(feature = "deflate")]
    may_have_output: bool,
}

#[cfg(feature = "deflate")]
impl DeflateLink {
    /// The negotiated parameters, once the handshake has completed with them.
    pub(super) const fn params(&self) -> Option<crate::deflate::Params> {
        if self.negotiated { self.params } else { None }
    }

    /// Server: the parameters proposed for the pending request.
    pub(super) const fn proposed(&self) -> Option<crate::deflate::Params> {
        self.params
    }

    /// Server: remember what `accept` will answer.
    pub(super) const fn propose(&mut self, params: Option<crate::deflate::Params>) {
        self.params = params;
        self.negotiated = false;
    }

    /// The handshake completed with `params` (server: the proposed ones).
    pub(super) const fn negotiate(&mut self, params: Option<crate::deflate::Params>) {
        self.params = params;
        self.negotiated = params.is_some();
    }
}

/// A whole small data frame at the front of the buffer (see `small_frame`).
#[cfg(not(target_os = "none"))] // the fast path (see `Core::receive_with`)
#[derive(Clone, Copy, Debug)]
pub(super) struct SmallFrame {
    text: bool,
    /// Where the payload starts: after 2 header bytes (4 with a 16-bit length), and 4 of
    /// masking key if masked.
    pub(super) start: usize,
    pub(super) len: usize,
    masker: Option<Masker>,
}

#[cfg(not(target_os = "none"))]
impl SmallFrame {
    /// Whether a fast path's first header byte (FIN, no RSV bit) is a Text (`Some(true)`)
    /// or Binary (`Some(false)`) frame's.
    #[inline(always)]
    fn is_text(b0: u8) -> Option<bool> {
        match b0 {
            0x81 => Some(true),
            0x82 => Some(false),
            _ => None,
        }
    }
}

/// Unmasks `frame[from..]` with `masker`, writes it at `to` (`to <= from`) and returns
/// the unmasked bytes there (empty if `to > from`, where nothing is written): 8 to 16
/// bytes (W1's messages) as two overlapping words, each read, unmasked and written in
/// registers, others a word at a time. Written with checked accesses, not `copy_within`,
/// so no panic path is kept (tests/nostd-check).
// Perf (W1): one pass, not a move and then `Masker::apply` over the moved bytes (the
// profile loop's unmask and move took 47 instructions per 16-byte message that way).
#[cfg(not(target_os = "none"))] // the fast path's (see `receive_small`)
#[inline(always)]
fn unmask_back(frame: &mut [u8], from: usize, to: usize, masker: Masker) -> &mut [u8] {
    let (Some(back), Some(region)) = (from.checked_sub(to), frame.get_mut(to..)) else {
        return &mut [];
    };
    // Checked, not subtracted: knowing `len <= region.len()`, the compiler drops the
    // bounds checks of the word moves and of the split below (W1's profile loop 216 -> 205
    // instructions; caller_shape 14.3 -> 12.4 ns natural, 11.8 -> 10.9 by reference).
    let Some(len) = region.len().checked_sub(back) else {
        return &mut [];
    };
    let word = |buf: &[u8], at: usize| buf.get(at..).and_then(<[u8]>::first_chunk::<8>).copied();
    let key = masker.word_at(0);
    if (8..=16).contains(&len)
        && let (Some(head), Some(tail)) = (word(region, back), word(region, back + len - 8))
    {
        // Both words are read before either is written, so the overlap is harmless.
        if let Some(d) = region.first_chunk_mut::<8>() {
            *d = (u64::from_ne_bytes(head) ^ key).to_ne_bytes();
        }
        if let Some(d) = region
            .get_mut(len - 8..)
            .and_then(<[u8]>::first_chunk_mut::<8>)
        {
            *d = (u64::from_ne_bytes(tail) ^ masker.word_at(len - 8)).to_ne_bytes();
        }
    } else {
        // Word `i` is read before it is written `back` bytes lower, and that write ends
        // before word `i + 1`'s source begins: every byte is read before it is
        // overwritten. Words start at multiples of 8, where the key's phase is the first
        // byte's.
        let mut at = 0;
        while at + 8 <= len {
            if let Some(w) = word(region, at + back)
                && let Some(d) = region.get_mut(at..).and_then(<[u8]>::first_chunk_mut::<8>)
            {
                *d = (u64::from_ne_bytes(w) ^ key).to_ne_bytes();
            }
            at += 8;
        }
        for (i, k) in (at..len).zip(key.to_ne_bytes()) {
            if let Some(&b) = region.get(i + back)
                && let Some(d) = region.get_mut(i)
            {
                *d = b ^ k;
            }
        }
    }
    region
        .split_at_mut_checked(len)
        .map_or(&mut [], |(payload, _)| payload)
}

#[derive(Clone, Copy, Debug)]
struct InFrame {
    /// Text or Binary for data frames (continuations take their message's kind), else the
    /// control opcode.
    opcode: Opcode,
    fin: bool,
    remaining: u64,
    masker: Option<Masker>,
}

impl Receiver {
    pub(crate) const fn new() -> Self {
        Self {
            header: [0; MAX_HEADER_LEN],
            header_len: 0,
            frame: None,
            message: None,
            first_pending: false,
            message_len: 0,
            fragments: 0,
            utf8: Utf8Validator::new(),
            control: FixedBuf::EMPTY,
            deflate: DeflateLink {
                #[cfg(feature = "deflate")]
                params: None,
                #[cfg(feature = "deflate")]
                negotiated: false,
                #[cfg(feature = "deflate")]
                rsv1: false,
                #[cfg(feature = "deflate")]
                compressed: false,
                #[cfg(feature = "deflate")]
                input_done: false,
                #[cfg(feature = "deflate")]
                may_have_output: false,
            },
        }
    }
}

impl Receiver {
    /// Whether no frame, split header or fragmented message is in progress and no deflate
    /// was negotiated: what the receive fast path needs (see `Core::refresh_gate`).
    #[cfg(not(target_os = "none"))]
    pub(super) const fn idle(&self) -> bool {
        let idle = self.frame.is_none() && self.header_len == 0 && self.message.is_none();
        #[cfg(feature = "deflate")]
        let idle = idle && !self.deflate.negotiated;
        idle
    }

    /// Keeps the subprotocol offer until the answer to it is checked.
    pub(super) fn stash_offered(&mut self, offered: Offer) {
        self.control = offered;
    }

    /// The offer kept by [`stash_offered`](Self::stash_offered).
    pub(super) const fn offered(&self) -> &Offer {
        &self.control
    }

    /// Whether a frame or a fragmented message has begun and not ended.
    pub(super) const fn in_progress(&self) -> bool {
        self.header_len > 0 || self.frame.is_some() || self.message.is_some()
    }
}

/// Every `Sec-WebSocket-Extensions` value of a head, in order (`Err` for one not UTF-8).
#[cfg(feature = "deflate")]
fn extension_values(
    headers: crate::handshake::HeaderIter<'_>,
) -> impl Iterator<Item = Result<&str, core::str::Utf8Error>> + Clone {
    headers
        .filter(|(name, _)| name.eq_ignore_ascii_case("sec-websocket-extensions"))
        .map(|(_, value)| core::str::from_utf8(value))
}

/// Client: the server's answer to our permessage-deflate offer (RFC 7692 §7.1).
#[cfg(feature = "deflate")]
fn check_deflate_answer(
    offer: &crate::deflate::ClientOffer,
    headers: crate::handshake::HeaderIter<'_>,
) -> Result<Option<crate::deflate::Params>, HandshakeFailure> {
    use crate::deflate::NegotiationError as N;
    let values = extension_values(headers);
    if values.clone().any(|v| v.is_err()) {
        return Err(HandshakeFailure::InvalidExtensionParameter);
    }
    offer
        .check_answer(values.filter_map(Result::ok))
        .map_err(|error| match error {
            N::NotDeflate => HandshakeFailure::UnofferedExtension,
            N::UnknownParameter => HandshakeFailure::UnknownExtensionParameter,
            N::DuplicateParameter => HandshakeFailure::DuplicateExtensionParameter,
            N::Unoffered | N::OverBudget => HandshakeFailure::UnofferedExtensionParameter,
            N::BadWindowBits | N::MissingValue | N::UnexpectedValue | N::Malformed => {
                HandshakeFailure::InvalidExtensionParameter
            }
        })
}

impl Core {
    /// Server: scan for the end of the request head, then validate it once.
    pub(super) fn receive_request<'a>(
        &mut self,
        _now: Instant,
        buf: &'a mut [u8],
    ) -> Result<Received<'a>, Error> {
        let buf: &'a [u8] = buf;
        // Perf (W7): a head that certainly ends inside the window is cut by the tokenizer
        // alone (the same end, the same failures); the scanner finds the others.
        #[cfg(not(target_os = "none"))]
        let whole = Some(buf.get(..self.config.max_head_len()).unwrap_or(buf))
            .filter(|window| crate::handshake::head::ends_a_head(window));
        #[cfg(target_os = "none")]
        let whole = None;
        let (head, scanned) = match whole {
            Some(window) => (window, None),
            None => {
                let Some(end) = self.find_head_end(buf) else {
                    return self.head_incomplete(buf.len());
                };
                (buf.get(..end).unwrap_or_default(), Some(end))
            }
        };
        match server::parse_request(head, self.config.max_headers()) {
            Ok((request, accept, subprotocols)) => {
                #[cfg(feature = "deflate")]
                {
                    let params = self.config.deflate().and_then(|d| {
                        d.accept(extension_values(request.headers()).filter_map(Result::ok))
                    });
                    self.receiver.deflate.propose(params);
                }
                // Perf (W7): a third walk of the headers only when an offer is there.
                let offered = if subprotocols {
                    offer::remember(|| request.subprotocols())
                } else {
                    Offer::EMPTY
                };
                self.on_request(accept, offered);
                Ok(Received {
                    consumed: scanned.unwrap_or_else(|| request.head_len()),
                    event: Some(Event::UpgradeRequest(request)),
                })
            }
            Err(failure) => Err(self.fail(Error::Handshake(failure))),
        }
    }

    /// Client: scan for the end of the response head, then validate it once.
    pub(super) fn receive_response<'a>(
        &mut self,
        now: Instant,
        buf: &'a mut [u8],
    ) -> Result<Received<'a>, Error> {
        if let Phase::ClientRejected {
            head_end,
            body_end,
            status,
            body_complete,
        } = self.phase
        {
            return self.receive_rejection(buf, head_end, body_end, status, body_complete);
        }
        let Some(end) = self.find_head_end(buf) else {
            return self.head_incomplete(buf.len());
        };
        let Phase::ClientAwaitResponse { accept, .. } = &self.phase else {
            return Err(Error::Usage(crate::error::Misuse::NotConnecting));
        };
        let buf: &'a [u8] = buf;
        let head = buf.get(..end).unwrap_or_default();
        let offered = self.receiver.offered().as_bytes();
        #[cfg(feature = "deflate")]
        let deflate_offer = self.config.deflate().map(|d| d.offer());
        #[cfg(feature = "deflate")]
        let extensions_offered = deflate_offer.is_some();
        #[cfg(not(feature = "deflate"))]
        let extensions_offered = false;
        let max_headers = self.config.max_headers();
        match client::parse_response(head, max_headers, accept, offered, extensions_offered) {
            Ok(response) => {
                #[cfg(feature = "deflate")]
                if let Some(offer) = deflate_offer {
                    let params = check_deflate_answer(&offer, response.headers())
                        .map_err(|failure| self.fail(Error::Handshake(failure)))?;
                    self.receiver.deflate.negotiate(params);
                }
                self.open(now);
                Ok(Received {
                    consumed: end,
                    event: Some(Event::Established(response)),
                })
            }
            Err(HandshakeFailure::Rejected { status }) => {
                // Wait for the announced body, as far as `max_head_len` reaches (the
                // buffer the caller keeps for the head), so any split yields one event.
                let room = self.config.max_head_len().saturating_sub(end);
                let (len, body_complete) = match rejected_body_len(head) {
                    Some(len) => {
                        let len = usize::try_from(len).unwrap_or(usize::MAX);
                        (len.min(room), len <= room)
                    }
                    None => (0, false),
                };
                self.on_rejection_head(end, end + len, status, body_complete);
                self.receive_rejection(buf, end, end + len, status, body_complete)
            }
            Err(failure) => Err(self.fail(Error::Handshake(failure))),
        }
    }

    /// Client: delivers a refusal once its body is buffered, and fails the connection.
    fn receive_rejection<'a>(
        &mut self,
        buf: &'a [u8],
        head_end: usize,
        body_end: usize,
        status: u16,
        body_complete: bool,
    ) -> Result<Received<'a>, Error> {
        let (Some(head), Some(body)) = (buf.get(..head_end), buf.get(head_end..body_end)) else {
            return Ok(Received {
                consumed: 0,
                event: None,
            });
        };
        self.fail(Error::Handshake(HandshakeFailure::Rejected { status }));
        Ok(Received {
            consumed: body_end,
            event: Some(Event::Rejected(Rejection {
                head,
                status,
                body,
                body_complete,
            })),
        })
    }

    fn find_head_end(&mut self, buf: &[u8]) -> Option<usize> {
        // DoS: never look past `max_head_len`, however much the caller buffered.
        let window = buf.get(..self.config.max_head_len()).unwrap_or(buf);
        match &mut self.phase {
            Phase::ServerAwaitRequest(scanner) => scanner.find_end(window),
            Phase::ClientAwaitResponse { scanner, .. } => scanner.find_end(window),
            _ => None,
        }
    }

    fn head_incomplete<'a>(&mut self, buffered: usize) -> Result<Received<'a>, Error> {
        if buffered >= self.config.max_head_len() {
            return Err(self.fail(Error::Handshake(HandshakeFailure::HeadTooLarge)));
        }
        Ok(Received {
            consumed: 0,
            event: None,
        })
    }

    /// Frames: headers, control payloads and data chunks, until one event or no bytes (the
    /// small-frame fast path runs before this, in `receive_with`; the 16-bit one first
    /// thing here).
    // Out of line on bare metal too (no fast path there): inlined, the loop's frame
    // (650-770 B) also sat under the handshake's head reader (scripts/firmware: flash -44
    // to -288 B; stack client -116 B, both -96 B, framing +160 B).
    #[inline(never)]
    pub(super) fn receive_frames<'a>(
        &mut self,
        now: Instant,
        buf: &'a mut [u8],
        #[cfg(feature = "deflate")] mut inflater: Option<Inflater<'a>>,
    ) -> Result<Received<'a>, Error> {
        // A whole message with a 16-bit length: here, out of W1's loop (beside the first
        // fast path, W1's profile loop took 3 more instructions), and inlined (out of line,
        // W2's saving was 112 instructions per message instead of 169).
        #[cfg(not(target_os = "none"))]
        if let Some(frame) = self.extended_frame(buf) {
            return self.receive_extended(buf, frame);
        }
        let mut buf = buf;
        let mut consumed = 0;
        // Perf: the frame lives in a local; `self.receiver.frame` is written, never re-read,
        // inside the loop (a re-read of fields just stored stalls store forwarding).
        let mut current = self.receiver.frame;
        // DoS: steps that feed the trailer without output; a sound stream needs at most 2.
        #[cfg(feature = "deflate")]
        let mut idle_steps = 0u8;
        loop {
            // A compressed message may have output waiting in the inflater with no new input
            // (a step stopped at its limit, or the final frame is in and the trailer is due).
            #[cfg(feature = "deflate")]
            if self.receiver.deflate.compressed
                && (current.is_none() || buf.is_empty())
                && (self.receiver.deflate.input_done || self.receiver.deflate.may_have_output)
            {
                let last = self.receiver.deflate.input_done;
                if !matches!(self.phase, Phase::Open) {
                    self.discard_compressed(inflater.as_mut(), last);
                    continue;
                }
                let kind = self.receiver.message.unwrap_or(Opcode::Binary);
                let raw = self.inflate_step(inflater.as_mut(), &[], last)?;
                if raw.len > 0 || raw.done {
                    if !self.swallows(kind, inflater.as_ref(), &raw)?
                        && let Some(inflater) = inflater.take()
                    {
                        let event = self.on_data(kind, inflater.into_output(&raw), raw.done)?;
                        return Ok(Received { consumed, event });
                    }
                } else if last {
                    idle_steps += 1;
                    if idle_steps > 8 {
                        let violation = ProtocolViolation::InvalidCompressedData;
                        return Err(self.fail(Error::Protocol(violation)));
                    }
                }
                continue;
            }
            let Some(mut frame) = current else {
                if buf.is_empty() {
                    return Ok(Received {
                        consumed,
                        event: None,
                    });
                }
                let (used, frame) = self
                    .read_header(buf)
                    .map_err(|v| self.fail(Error::Protocol(v)))?;
                consumed += used;
                buf = mem::take(&mut buf).get_mut(used..).unwrap_or_default();
                current = frame;
                continue;
            };
            // DoS: `take` is bounded by both the bytes present and the frame's remaining length.
            let mut take = usize::try_from(frame.remaining).map_or(buf.len(), |r| r.min(buf.len()));
            if frame.opcode == Opcode::Text {
                // Perf: unmask, validate and deliver text a cache-sized block at a time, so
                // the validator and the application read bytes the unmasking left in L1.
                take = take.min(TEXT_BLOCK_LEN);
            }
            #[cfg(feature = "deflate")]
            if self.receiver.deflate.compressed && !frame.opcode.is_control() {
                // Perf: unmask a bounded block, so a step that stops at its output limit
                // re-masks little of what it gives back.
                let take = take.min(COMPRESSED_BLOCK_LEN);
                if take == 0 && frame.remaining > 0 {
                    self.receiver.frame = current;
                    return Ok(Received {
                        consumed,
                        event: None,
                    });
                }
                let last = frame.fin && frame.remaining == take as u64;
                if !matches!(self.phase, Phase::Open) {
                    // DoS: after our Close nothing is delivered, so nothing is inflated either
                    // (a bomb then costs no work); the frames are only skipped.
                    consumed += take;
                    frame.remaining -= take as u64;
                    buf = mem::take(&mut buf).get_mut(take..).unwrap_or_default();
                    current = (frame.remaining > 0).then_some(frame);
                    self.receiver.frame = current;
                    self.discard_compressed(inflater.as_mut(), last);
                    continue;
                }
                let input = buf.get_mut(..take).unwrap_or_default();
                let before = frame.masker;
                if let Some(masker) = &mut frame.masker {
                    masker.apply(input);
                }
                let raw = self.inflate_step(inflater.as_mut(), input, last)?;
                let used = raw.consumed.min(take);
                if used < take {
                    // The step stopped at its output limit: give the rest back, masked again,
                    // so the next step unmasks it from the right phase.
                    if raw.len == 0 && !raw.done {
                        let violation = ProtocolViolation::InvalidCompressedData;
                        return Err(self.fail(Error::Protocol(violation)));
                    }
                    if let Some(mut masker) = before {
                        let mut phase = [0u8; 4];
                        masker.apply(phase.get_mut(..used % 4).unwrap_or_default());
                        let mut again = masker;
                        again.apply(input.get_mut(used..).unwrap_or_default());
                        frame.masker = Some(masker);
                    }
                }
                consumed += used;
                frame.remaining -= used as u64;
                buf = mem::take(&mut buf).get_mut(used..).unwrap_or_default();
                current = (frame.remaining > 0).then_some(frame);
                self.receiver.frame = current;
                if (raw.len > 0 || raw.done)
                    && !self.swallows(frame.opcode, inflater.as_ref(), &raw)?
                    && let Some(inflater) = inflater.take()
                {
                    let event = self.on_data(frame.opcode, inflater.into_output(&raw), raw.done)?;
                    return Ok(Received { consumed, event });
                }
                continue;
            }
            // `take <= buf.len()` always; the checked split keeps the panic path out of the binary.
            let split = mem::take(&mut buf).split_at_mut_checked(take);
            let (Some((chunk, rest)), false) = (split, take == 0 && frame.remaining > 0) else {
                // Out of bytes mid-frame: the frame waits in the receiver for the next call.
                self.receiver.frame = current;
                return Ok(Received {
                    consumed,
                    event: None,
                });
            };
            buf = rest;
            consumed += take;
            if let Some(masker) = &mut frame.masker {
                masker.apply(chunk);
            }
            frame.remaining -= take as u64;
            current = (frame.remaining > 0).then_some(frame);
            self.receiver.frame = current;
            if frame.opcode.is_control() {
                if !self.receiver.control.extend(chunk) {
                    return Err(self.fail(Error::Protocol(ProtocolViolation::ControlFrameTooLong)));
                }
                if frame.remaining == 0 {
                    // Built whole by `on_control` and returned as is (no event copied from
                    // one wrapper type into another: firmware stack).
                    let received = self.on_control(frame.opcode, now, consumed)?;
                    if received.event.is_some() {
                        return Ok(received);
                    }
                }
                continue;
            }
            let is_last = frame.fin && frame.remaining == 0;
            match self.on_data(frame.opcode, chunk, is_last) {
                Ok(None) => {}
                Ok(event) => return Ok(Received { consumed, event }),
                Err(error) => return Err(error),
            }
        }
    }

    /// Sets the fast path's gate for the connection as it is now (hosted): shut unless it
    /// is open with nothing in flight (no frame, split header or fragmented message) and
    /// no deflate negotiated (RSV1 means "compressed" then). Called after every change
    /// of phase and after every call of the frame loop, the only code that changes the
    /// receiver's state; the fast path leaves it unchanged.
    #[cfg(not(target_os = "none"))]
    pub(super) fn refresh_gate(&mut self) {
        self.small_gate = if self.receiver.idle() {
            Self::small_gate(&self.phase, &self.config)
        } else {
            0
        };
    }

    /// The fast path's gate on a frame's 7-bit length in `phase`: 0 (shut) unless the
    /// connection is open; open, one more than the longest payload every limit the full
    /// path checks at a header lets through in one whole frame (at most 125, the longest
    /// without an extended length; 0 when `max_fragments` is 0, so nothing takes the fast
    /// path then). DoS: the same limits, checked with one compare.
    #[cfg(not(target_os = "none"))] // the fast path (see `Core::receive_with`)
    pub(super) fn small_gate(phase: &Phase, config: &crate::Config) -> u8 {
        if !matches!(phase, Phase::Open) || config.max_fragments == 0 {
            return 0;
        }
        let longest = config.max_frame_len.min(config.max_message_len).min(125);
        // `longest` is at most 125, so the conversion cannot fail.
        u8::try_from(longest + 1).unwrap_or(0)
    }

    /// The fast path's test: `buf` starts with a whole unfragmented Text or Binary frame of
    /// at most 125 bytes, masked as the role requires and within every limit, while no
    /// frame, header or fragmented message is in progress and the connection is open.
    ///
    /// Anything else (a control frame, a reserved bit or opcode, a wrong mask bit, an
    /// extended length, a limit exceeded, a split frame) gets `None` and takes the full
    /// path, which checks it and reports the same error it always did.
    #[cfg(not(target_os = "none"))] // the fast path (see `Core::receive_with`)
    #[inline(always)]
    pub(super) fn small_frame(&self, buf: &[u8]) -> Option<SmallFrame> {
        // Whether the connection is open with nothing in flight is in the gate
        // (`small_gate`, see `refresh_gate`).
        let [b0, b1, rest @ ..] = buf else {
            return None;
        };
        let text = SmallFrame::is_text(*b0)?;
        let len = *b1 & 0x7f;
        // RFC 6455 §5.1: clients MUST mask, servers MUST NOT (else the full path fails).
        // The gate keeps out extended lengths, whatever the limits refuse, and every
        // state but an idle open connection.
        let masked = *b1 & 0x80 != 0;
        if len >= self.small_gate || masked != self.role.is_server() {
            return None;
        }
        let len = usize::from(len);
        // The whole frame's length first: it covers the key too (one compare, not two).
        let start = if masked { 6 } else { 2 };
        if buf.len() < start + len {
            return None;
        }
        let masker = if masked {
            let (key, _) = rest.split_first_chunk::<4>()?;
            Some(Masker::new(crate::frame::MaskKey(*key)))
        } else {
            None
        };
        Some(SmallFrame {
            text,
            start,
            len,
            masker,
        })
    }

    /// Delivers the frame [`small_frame`](Self::small_frame) found: unmask, check the text
    /// as one whole message, and hand it out in one event.
    #[cfg(not(target_os = "none"))] // the fast path (see `Core::receive_with`)
    #[inline(always)]
    pub(super) fn receive_small<'a>(
        &mut self,
        buf: &'a mut [u8],
        small: SmallFrame,
    ) -> Result<Received<'a>, Error> {
        let end = small.start + small.len;
        let Some((frame, _)) = buf.split_at_mut_checked(end) else {
            // Unreachable: `small_frame` checked that `buf` holds `end` bytes.
            return Ok(Received {
                consumed: 0,
                event: None,
            });
        };
        // Perf (W1): `core::str::from_utf8` goes byte by byte until its pointer is 8-aligned
        // (about 160 instructions for 16 bytes at an odd address, 50 aligned). A masked
        // text payload is rewritten by the unmask anyway, so it is written up to 6 bytes
        // lower, into its own consumed header and key: at the 8-byte boundary below it, or
        // at the frame's start (one byte past a boundary) when that boundary is 7 bytes
        // below. Moved there rather than unmasked in place, the target never lies before
        // the frame, which the compiler sees (W1's profile loop 234 -> 220 instructions).
        // The address is the frame's plus the offset (looked up with `frame.get(start)`,
        // which an empty payload fails, W1's loop took 2 more instructions and 0.3 ns).
        let back = frame.as_ptr().addr().wrapping_add(small.start) % 8;
        // Two unmask arms, not one after an optional move: merged, W1's profile loop took
        // 286 instructions instead of 268.
        let payload: &'a [u8] = match small.masker {
            Some(masker) if small.text => {
                let to = small.start - back.min(small.start);
                unmask_back(frame, small.start, to, masker)
            }
            Some(mut masker) => {
                let payload = frame.get_mut(small.start..).unwrap_or_default();
                masker.apply(payload);
                payload
            }
            None => frame.get(small.start..).unwrap_or_default(),
        };
        self.whole_message(small.text, payload, end)
    }

    /// The fast paths' event: `payload`, unmasked, as one whole message (a text checked
    /// whole), `consumed` bytes taken.
    #[cfg(not(target_os = "none"))] // the fast paths (see `Core::receive_with`)
    #[inline(always)]
    fn whole_message<'a>(
        &mut self,
        text: bool,
        payload: &'a [u8],
        consumed: usize,
    ) -> Result<Received<'a>, Error> {
        let event = if text {
            let Ok(utf8) = Utf8Chunk::whole(payload) else {
                return Err(self.fail(Error::Protocol(ProtocolViolation::InvalidUtf8)));
            };
            Event::Text(TextChunk::new(utf8, true, true))
        } else {
            Event::Binary(BinaryChunk {
                data: payload,
                is_first: true,
                is_last: true,
            })
        };
        Ok(Received {
            consumed,
            event: Some(event),
        })
    }

    /// The second fast path's test: `buf` starts with a whole unfragmented Text or Binary
    /// frame with a 16-bit length, minimally encoded (126 or more, else the full path
    /// fails), masked as the role requires and within every limit, a text at most one
    /// text block (the full path delivers it in one event too), while the connection is
    /// open with nothing in flight. `None` for anything else, which takes the full path.
    // Perf: mid-sized messages (W2's 4 KiB, JSON of a few hundred bytes) skip the frame
    // loop's per-frame work: W2's profile 5,665 -> 5,496 instructions per message,
    // 256-byte messages 718 -> 535. Tested in `receive_frames` (see there), not in
    // `small_frame` (13 more instructions per W1 message).
    #[cfg(not(target_os = "none"))] // the fast path (see `Core::receive_with`)
    #[inline(always)]
    pub(super) fn extended_frame(&self, buf: &[u8]) -> Option<SmallFrame> {
        let [b0, b1, l0, l1, rest @ ..] = buf else {
            return None;
        };
        let text = SmallFrame::is_text(*b0)?;
        let masked = *b1 & 0x80 != 0;
        if *b1 & 0x7f != 126 || self.small_gate == 0 || masked != self.role.is_server() {
            return None;
        }
        let len = u16::from_be_bytes([*l0, *l1]);
        let limit = self.config.max_frame_len.min(self.config.max_message_len);
        let fits = u64::from(len) <= limit && (!text || usize::from(len) <= TEXT_BLOCK_LEN);
        if len < 126 || !fits {
            return None;
        }
        // `small_frame`'s last steps, written again: in one function shared with it, W1's
        // profile loop took 2 more instructions.
        let len = usize::from(len);
        let (masker, start) = if masked {
            let (key, _) = rest.split_first_chunk::<4>()?;
            (Some(Masker::new(crate::frame::MaskKey(*key))), 8)
        } else {
            (None, 4)
        };
        (buf.len() >= start + len).then_some(SmallFrame {
            text,
            start,
            len,
            masker,
        })
    }

    /// Delivers the frame [`extended_frame`](Self::extended_frame) found: unmasked in
    /// place (simdutf8 needs no alignment), checked and handed out in one event.
    #[cfg(not(target_os = "none"))] // the fast path (see `Core::receive_with`)
    #[inline(always)]
    pub(super) fn receive_extended<'a>(
        &mut self,
        buf: &'a mut [u8],
        frame: SmallFrame,
    ) -> Result<Received<'a>, Error> {
        let end = frame.start + frame.len;
        let payload = buf.get_mut(frame.start..end).unwrap_or_default();
        if let Some(mut masker) = frame.masker {
            masker.apply(payload);
        }
        self.whole_message(frame.text, payload, end)
    }

    /// One bounded inflater step for the open compressed message (RFC 7692 §7.2.2), with
    /// its errors turned into the connection's failure (1007 corrupt, 1009 too large).
    #[cfg(feature = "deflate")]
    fn inflate_step(
        &mut self,
        inflater: Option<&mut Inflater<'_>>,
        input: &[u8],
        last: bool,
    ) -> Result<RawStep, Error> {
        let Some(inflater) = inflater else {
            // Unreachable: a compressed message needs negotiation, and then `receive`
            // refuses to run without an inflater.
            return Err(Error::Usage(crate::error::Misuse::InflaterRequired));
        };
        let limit = self
            .config
            .deflate()
            .map_or(1, |d| d.max_inflate_per_call());
        let raw = match inflater.step(input, last, limit) {
            Ok(raw) => raw,
            Err(error) => {
                let violation = match error {
                    InflateError::Corrupt => ProtocolViolation::InvalidCompressedData,
                    InflateError::TooLarge => ProtocolViolation::MessageTooLarge,
                };
                return Err(self.fail(Error::Protocol(violation)));
            }
        };
        let deflate = &mut self.receiver.deflate;
        deflate.may_have_output = raw.len > 0;
        deflate.input_done |= last && raw.consumed == input.len();
        if raw.done {
            deflate.compressed = false;
            deflate.input_done = false;
            deflate.may_have_output = false;
        }
        Ok(raw)
    }

    /// Whether inflated text `raw` completes no code point (only a split one's first bytes,
    /// not first or last in its message): then it makes no event, and the validator keeps
    /// the bytes; the caller goes on instead of returning "needs more bytes" with output
    /// still to come.
    #[cfg(feature = "deflate")]
    fn swallows(
        &mut self,
        kind: Opcode,
        inflater: Option<&Inflater<'_>>,
        raw: &RawStep,
    ) -> Result<bool, Error> {
        // Stashed bytes plus 4 new ones always complete (or break) a code point.
        if kind != Opcode::Text || raw.len >= 4 || raw.done || self.receiver.first_pending {
            return Ok(false);
        }
        let output = inflater.map_or(&[][..], |inflater| inflater.output(raw));
        let mut trial = self.receiver.utf8;
        match trial.feed(output) {
            Ok(text) if text.is_empty() => {
                self.receiver.utf8 = trial;
                Ok(true)
            }
            Ok(_) => Ok(false),
            Err(_) => Err(self.fail(Error::Protocol(ProtocolViolation::InvalidUtf8))),
        }
    }

    /// After our Close: drops the open compressed message's input instead of inflating it;
    /// `last` ends the message.
    #[cfg(feature = "deflate")]
    fn discard_compressed(&mut self, inflater: Option<&mut Inflater<'_>>, last: bool) {
        if let Some(inflater) = inflater {
            inflater.reset();
        }
        let deflate = &mut self.receiver.deflate;
        deflate.may_have_output = false;
        if last {
            deflate.compressed = false;
            deflate.input_done = false;
            self.receiver.message = None;
        }
    }

    /// Gathers and checks one frame header; returns the bytes used from `buf` and the frame
    /// once its header is complete.
    fn read_header(
        &mut self,
        buf: &mut [u8],
    ) -> Result<(usize, Option<InFrame>), ProtocolViolation> {
        let receiver = &mut self.receiver;
        if receiver.header_len == 0 {
            #[cfg(feature = "deflate")]
            if receiver.deflate.negotiated
                && let Some(b0) = buf.first_mut()
            {
                // RFC 7692 §6: RSV1 means "compressed" now. It is taken out of the header
                // before the §5.2 decode (which refuses any RSV bit) and checked against
                // the frame kind in `on_header`.
                receiver.deflate.rsv1 = *b0 & 0x40 != 0;
                *b0 &= !0x40;
            }
            // Fast path: the whole header is in this read.
            match FrameHeader::decode(buf)? {
                Decoded::Complete { header, len } => {
                    return Ok((len, Some(self.on_header(header)?)));
                }
                Decoded::Incomplete { .. } => {}
            }
        }
        self.read_split_header(buf)
    }

    /// `read_header` for a header that does not start whole in `buf`: gathered in the
    /// receiver's stash across reads.
    // Perf (hosted): out of line, so the frame loop does not keep the stash's addresses in
    // registers or on its stack for every frame (W5 profile: 1,689 -> 1,674 instructions
    // per frame, the others unchanged).
    #[cfg_attr(not(target_os = "none"), inline(never))]
    fn read_split_header(
        &mut self,
        buf: &mut [u8],
    ) -> Result<(usize, Option<InFrame>), ProtocolViolation> {
        let receiver = &mut self.receiver;
        let mut used = 0;
        loop {
            let have = usize::from(receiver.header_len);
            let stash = receiver.header.get(..have).unwrap_or_default();
            let need = match FrameHeader::decode(stash)? {
                Decoded::Complete { header, .. } => {
                    receiver.header_len = 0;
                    return Ok((used, Some(self.on_header(header)?)));
                }
                Decoded::Incomplete { len } => len,
            };
            let input = buf.get(used..).unwrap_or_default();
            let take = need.saturating_sub(have).min(input.len());
            let (Some(dst), Some(src)) = (
                receiver.header.get_mut(have..have + take),
                input.get(..take),
            ) else {
                return Ok((used, None));
            };
            if take == 0 {
                return Ok((used, None));
            }
            crate::copy_bytes(dst, src);
            // At most 14: the stash never holds more than one header.
            receiver.header_len = u8::try_from(have + take).unwrap_or(u8::MAX);
            used += take;
        }
    }

    /// The message rules that need connection state ([§5.4](https://www.rfc-editor.org/rfc/rfc6455#section-5.4), §5.1, §10.4).
    fn on_header(&mut self, header: FrameHeader) -> Result<InFrame, ProtocolViolation> {
        // RFC 6455 §5.1: clients MUST mask, servers MUST NOT.
        match (self.role.is_server(), header.mask.is_some()) {
            (true, false) => return Err(ProtocolViolation::UnmaskedClientFrame),
            (false, true) => return Err(ProtocolViolation::MaskedServerFrame),
            _ => {}
        }
        let receiver = &mut self.receiver;
        #[cfg(feature = "deflate")]
        let rsv1 = mem::take(&mut receiver.deflate.rsv1);
        let opcode = if header.opcode.is_control() {
            // RFC 7692 §6: control frames are never compressed.
            #[cfg(feature = "deflate")]
            if rsv1 {
                return Err(ProtocolViolation::CompressedControlFrame);
            }
            receiver.control.clear();
            header.opcode
        } else {
            // RFC 7692 §6: only a message's first frame carries RSV1.
            #[cfg(feature = "deflate")]
            if rsv1 && header.opcode == Opcode::Continuation && receiver.message.is_some() {
                return Err(ProtocolViolation::CompressedContinuation);
            }
            let kind = match (header.opcode, receiver.message) {
                (Opcode::Continuation, Some(kind)) => kind,
                (Opcode::Continuation, None) => {
                    return Err(ProtocolViolation::UnexpectedContinuation);
                }
                (_, Some(_)) => return Err(ProtocolViolation::ExpectedContinuation),
                (kind, None) => {
                    #[cfg(feature = "deflate")]
                    {
                        receiver.deflate.compressed = rsv1;
                        receiver.deflate.input_done = false;
                        receiver.deflate.may_have_output = false;
                    }
                    receiver.message = Some(kind);
                    receiver.first_pending = true;
                    receiver.message_len = 0;
                    receiver.fragments = 0;
                    receiver.utf8 = Utf8Validator::new();
                    kind
                }
            };
            // DoS: every limit is checked at the header, before any payload byte is read.
            let (max_frame, max_message) = (self.config.max_frame_len, self.config.max_message_len);
            // Compressed, a message at the limit may be a little longer on the wire (stored
            // blocks add 5 bytes per 64 KiB); its decompressed size is held to the exact
            // limit as it comes out of the inflater.
            #[cfg(feature = "deflate")]
            let (max_frame, max_message) = if receiver.deflate.compressed {
                (compressed_bound(max_frame), compressed_bound(max_message))
            } else {
                (max_frame, max_message)
            };
            if header.payload_len > max_frame {
                return Err(ProtocolViolation::FrameTooLarge);
            }
            receiver.message_len = receiver.message_len.saturating_add(header.payload_len);
            if receiver.message_len > max_message {
                return Err(ProtocolViolation::MessageTooLarge);
            }
            receiver.fragments = receiver.fragments.saturating_add(1);
            if receiver.fragments > self.config.max_fragments {
                return Err(ProtocolViolation::TooManyFragments);
            }
            kind
        };
        let frame = InFrame {
            opcode,
            fin: header.fin,
            remaining: header.payload_len,
            masker: header.mask.map(Masker::new),
        };
        Ok(frame)
    }

    /// Turns an unmasked data chunk into an event, or `None` if there is nothing to say.
    // Perf: inlined so the event's fields stay in registers instead of being stored byte by
    // byte and copied out whole (a store-forwarding stall per message).
    #[inline(always)]
    fn on_data<'a>(
        &mut self,
        kind: Opcode,
        chunk: &'a [u8],
        is_last: bool,
    ) -> Result<Option<Event<'a>>, Error> {
        let receiver = &mut self.receiver;
        let is_first = receiver.first_pending;
        if is_last {
            receiver.message = None;
        }
        let event = if kind == Opcode::Text {
            let mut utf8 = receiver.utf8.feed(chunk);
            if is_last && utf8.is_ok() {
                utf8 = receiver.utf8.finish().and(utf8);
            }
            let Ok(utf8) = utf8 else {
                return Err(self.fail(Error::Protocol(ProtocolViolation::InvalidUtf8)));
            };
            if utf8.is_empty() && !is_first && !is_last {
                return Ok(None);
            }
            Event::Text(TextChunk::new(utf8, is_first, is_last))
        } else {
            if chunk.is_empty() && !is_first && !is_last {
                return Ok(None);
            }
            Event::Binary(BinaryChunk {
                data: chunk,
                is_first,
                is_last,
            })
        };
        self.receiver.first_pending = false;
        // §5.5.1: after sending Close, data still gets checked but is not delivered.
        Ok(matches!(self.phase, Phase::Open).then_some(event))
    }

    /// Acts on a complete control frame ([§5.5](https://www.rfc-editor.org/rfc/rfc6455#section-5.5)),
    /// returning what `receive` returns (no event for a control frame after our Close).
    fn on_control(
        &mut self,
        opcode: Opcode,
        now: Instant,
        consumed: usize,
    ) -> Result<Received<'static>, Error> {
        let open = matches!(self.phase, Phase::Open);
        // The stash is read where each event is built, not copied out first (stack).
        let stash = &self.receiver.control;
        let event = match opcode {
            Opcode::Ping if open => {
                if self.config.auto_pong {
                    self.sender.queue_pong(ControlPayload::from_buf(*stash));
                }
                Some(Event::Ping(ControlPayload::from_buf(*stash)))
            }
            Opcode::Pong if open => Some(Event::Pong(ControlPayload::from_buf(*stash))),
            Opcode::Close => {
                let frame = CloseFrame::parse(stash.as_bytes())
                    .map_err(|v| self.fail(Error::Protocol(v)))?;
                self.on_close_received(frame.code, now);
                Some(Event::Close(frame))
            }
            _ => None,
        };
        Ok(Received { consumed, event })
    }
}

#[cfg(all(test, not(target_os = "none")))]
mod unmask_tests {
    #[test]
    fn unmask_back_matches_copy_within_and_apply_at_every_length_and_distance() {
        use crate::frame::{MaskKey, Masker};
        let key = MaskKey([0x5a, 0x01, 0xc3, 0x7e]);
        for len in 0..=40 {
            for back in 0..8 {
                let from = 8;
                let original: std::vec::Vec<u8> = (0..60).collect();
                let mut want = original.clone();
                want.copy_within(from..from + len, from - back);
                Masker::new(key).apply(&mut want[from - back..from - back + len]);
                let mut got = original.clone();
                let payload =
                    super::unmask_back(&mut got[..from + len], from, from - back, Masker::new(key))
                        .to_vec();
                assert_eq!(
                    payload,
                    want[from - back..from - back + len],
                    "len {len} back {back}"
                );
                assert_eq!(got, want, "len {len} back {back}");
            }
        }
    }
}

#[cfg(all(test, not(feature = "deflate")))]
mod tests {
    /// Without the feature, deflate adds nothing to a connection or its config copy.
    #[test]
    fn deflate_state_takes_no_room_without_the_feature() {
        assert_eq!(size_of::<super::DeflateLink>(), 0);
        assert_eq!(size_of::<crate::config::DeflateSetting>(), 0);
    }
}
