//! Compression of outgoing messages (`deflate-compress` feature: needs `alloc`).
//!
//! `miniz_oxide`'s compressor is used: pure Rust, no `unsafe` in its encoder, and already
//! the crate the inflater comes from. Its LZ77 dictionary is always 32 KiB, and its own
//! `window_bits` option does not bound match distances below 15 bits (its fast mode matches
//! up to ~28 KiB back), so a negotiated window of `bits < 15` is honoured here instead: the
//! dictionary is emptied (a full flush) every `1 << bits` input bytes, so no match can
//! reach further back than the window. Chat-sized messages lose nothing by it; a message
//! much larger than the window compresses in window-sized pieces.
//!
//! The compressor's state is about 320 KB on the heap per [`Deflater`]. With
//! no-context-takeover it holds nothing between messages, so one `Deflater` can serve any
//! number of connections in turn (one per thread), and [`PreparedMessage`] compresses a
//! broadcast once for all of them.

use alloc::boxed::Box;
use alloc::vec::Vec;

use miniz_oxide::deflate::core::{
    CompressionStrategy, CompressorOxide, TDEFLFlush, TDEFLStatus, compress_to_output,
};

use super::Params;
use crate::error::Error;
use crate::frame::MaskSource;
use crate::message::MessageKind;
use crate::{Connection, Role};

/// RFC 7692 §7.2.1: a sync flush ends with these four bytes, which the sender removes.
const TRAILER: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The default compression level (zlib's and flate2's default, 6 of 0..=10).
pub const DEFAULT_LEVEL: u8 = 6;

/// A permessage-deflate compressor for one sending direction (RFC 7692 §7.2.1).
///
/// Build it from the negotiated parameters with [`for_connection`](Self::for_connection)
/// (or [`for_params`](Self::for_params)), then send with
/// [`Connection::send_text_deflated`] / [`Connection::send_binary_deflated`], or compress
/// with [`compress`](Self::compress) and send the result with
/// [`Connection::send_compressed`].
///
/// ```
/// use wsmachine::deflate::{Deflater, Params};
/// use wsmachine::Role;
///
/// let mut deflater = Deflater::for_params(&Params::DEFAULT, Role::Server);
/// let text = "{\"user\":\"ada\",\"text\":\"hello hello hello hello\"}";
/// let compressed = deflater.compress(text.as_bytes()).unwrap();
/// assert!(compressed.len() < text.len());
/// ```
pub struct Deflater {
    compressor: Box<CompressorOxide>,
    out: Vec<u8>,
    window_bits: u8,
    no_context_takeover: bool,
    /// Input bytes since the dictionary was last empty (0: the next message refers to
    /// nothing before it).
    since_reset: usize,
}

impl core::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Deflater")
            .field("window_bits", &self.window_bits)
            .field("no_context_takeover", &self.no_context_takeover)
            .finish_non_exhaustive()
    }
}

impl Deflater {
    /// A compressor whose matches stay within `window_bits` (clamped to 8..=15) and that
    /// forgets everything after each message if `no_context_takeover`; level
    /// [`DEFAULT_LEVEL`].
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Self::with_level(window_bits, no_context_takeover, DEFAULT_LEVEL)
    }

    /// As [`new`](Self::new), with a compression level: 0 (stored) to 10 (slowest); 1 is
    /// the fast single-probe mode.
    pub fn with_level(window_bits: u8, no_context_takeover: bool, level: u8) -> Self {
        // Raw deflate (RFC 7692 carries no zlib header); the window is enforced here.
        let compressor = CompressorOxide::with_params(
            miniz_oxide::DataFormat::Raw,
            level.min(10),
            CompressionStrategy::Default,
            15,
        );
        Self {
            compressor: Box::new(compressor),
            out: Vec::new(),
            window_bits: window_bits.clamp(8, 15),
            no_context_takeover,
            since_reset: 0,
        }
    }

    /// The compressor for what `role` sends under `params`: a server compresses within
    /// `server_max_window_bits` and resets per message if `server_no_context_takeover`, a
    /// client likewise with the `client_*` parameters.
    pub fn for_params(params: &Params, role: Role) -> Self {
        match role {
            Role::Server => Self::new(
                params.server_max_window_bits,
                params.server_no_context_takeover,
            ),
            Role::Client => Self::new(
                params.client_max_window_bits,
                params.client_no_context_takeover,
            ),
        }
    }

    /// The compressor for `conn`'s sending direction, if it negotiated permessage-deflate.
    pub fn for_connection<M: MaskSource>(conn: &Connection<M>) -> Option<Self> {
        Some(Self::for_params(&conn.deflate_params()?, conn.role()))
    }

    /// The window this compressor's matches stay within.
    pub const fn window_bits(&self) -> u8 {
        self.window_bits
    }

    /// Whether it forgets everything after each message.
    pub const fn no_context_takeover(&self) -> bool {
        self.no_context_takeover
    }

    /// Compresses one whole message: the payload to send with RSV1 set (the sync-flush
    /// trailer already removed, RFC 7692 §7.2.1), borrowed until the next call.
    ///
    /// `None` if the compressor failed (it never should); it has then forgotten its
    /// context, so send this message uncompressed and carry on.
    pub fn compress(&mut self, payload: &[u8]) -> Option<&[u8]> {
        self.out.clear();
        let ok = self.compress_into_out(payload);
        let len = self.out.len();
        if !ok || len < TRAILER.len() || self.out.get(len - TRAILER.len()..) != Some(&TRAILER) {
            self.forget();
            return None;
        }
        self.out.truncate(len - TRAILER.len());
        Some(&self.out)
    }

    fn compress_into_out(&mut self, payload: &[u8]) -> bool {
        let window = 1usize << self.window_bits;
        let limited = self.window_bits < 15;
        let mut rest = payload;
        loop {
            // Below 15 bits, at most `window` bytes go in between two empty dictionaries.
            let room = if limited {
                window.saturating_sub(self.since_reset)
            } else {
                usize::MAX
            };
            let (piece, tail) = rest.split_at(room.min(rest.len()));
            rest = tail;
            self.since_reset = self.since_reset.saturating_add(piece.len());
            let window_full = limited && self.since_reset >= window;
            let flush = if window_full || (rest.is_empty() && self.no_context_takeover) {
                TDEFLFlush::Full
            } else if rest.is_empty() {
                TDEFLFlush::Sync
            } else {
                TDEFLFlush::None // unreachable: a piece short of the room ends the message
            };
            let out = &mut self.out;
            let (status, consumed) = compress_to_output(&mut self.compressor, piece, flush, |c| {
                out.extend_from_slice(c);
                true
            });
            if status != TDEFLStatus::Okay || consumed != piece.len() {
                return false;
            }
            if flush == TDEFLFlush::Full {
                self.since_reset = 0;
            }
            if rest.is_empty() {
                return true;
            }
        }
    }

    /// Forgets the context: the next message refers to nothing before it. Always safe
    /// (the peer's inflater merely keeps a window it does not need); needed when a message
    /// this compressor saw did not reach the peer compressed.
    pub fn forget(&mut self) {
        if self.since_reset == 0 {
            return; // empty already (a full flush ended the last message, or none came)
        }
        // A full flush of nothing empties the dictionary; its bytes (an empty stored block
        // at a block boundary) are not sent, so the peer's stream is unaffected.
        let _ = compress_to_output(&mut self.compressor, &[], TDEFLFlush::Full, |_| true);
        self.since_reset = 0;
    }

    /// Frees the output buffer if a large message grew it past `keep` bytes.
    pub fn shrink_to(&mut self, keep: usize) {
        if self.out.capacity() > keep {
            self.out = Vec::new();
        }
    }
}

impl<M: MaskSource> Connection<M> {
    /// Sends a whole text message, compressed with `deflater` if permessage-deflate was
    /// negotiated and compression makes it smaller; otherwise (and always when not
    /// negotiated) uncompressed, which RFC 7692 always allows.
    ///
    /// # Errors
    /// As for [`send_text`](Self::send_text). On error the deflater forgets its context
    /// (the message did not go out), so retrying with a larger `out` is safe.
    pub fn send_text_deflated(
        &mut self,
        text: &str,
        deflater: &mut Deflater,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.send_deflated(MessageKind::Text, text.as_bytes(), deflater, out)
    }

    /// Sends a whole binary message, compressed as for
    /// [`send_text_deflated`](Self::send_text_deflated).
    ///
    /// # Errors
    /// As for [`send_text_deflated`](Self::send_text_deflated).
    pub fn send_binary_deflated(
        &mut self,
        data: &[u8],
        deflater: &mut Deflater,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.send_deflated(MessageKind::Binary, data, deflater, out)
    }

    fn send_deflated(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
        deflater: &mut Deflater,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if self.deflate_params().is_none() || !self.is_open() {
            return self.send_message(kind, payload, out);
        }
        let result = match deflater.compress(payload) {
            Some(compressed) if compressed.len() < payload.len() => {
                self.send_compressed(kind, compressed, out)
            }
            // Incompressible (or empty): the peer will not see these bytes in its window.
            Some(_) => {
                deflater.forget();
                self.send_message(kind, payload, out)
            }
            None => self.send_message(kind, payload, out),
        };
        if result.is_err() {
            deflater.forget();
        }
        result
    }
}

/// A message compressed once, to be written to many connections (a chat room's broadcast).
///
/// Compress with a [`Deflater`] that resets per message (`no_context_takeover`), then
/// [`write_to`](Self::write_to) each connection: one that negotiated permessage-deflate
/// with no-context-takeover for its sending direction and a window of at least the
/// deflater's gets the compressed bytes (for servers, which do not mask, the same frame
/// bytes every time), any other gets the message uncompressed. Nothing is compressed twice.
///
/// A connection with its own context-keeping [`Deflater`] would not qualify (it negotiated
/// context takeover), so a prepared message never breaks another compressor's context.
#[derive(Clone, Debug)]
pub struct PreparedMessage {
    kind: MessageKind,
    payload: Vec<u8>,
    /// The compressed payload, when it is smaller than `payload`.
    compressed: Option<Vec<u8>>,
    window_bits: u8,
}

impl PreparedMessage {
    /// Prepares a text message.
    ///
    /// `deflater` should be a no-context-takeover one (for example
    /// `Deflater::new(15, true)`); a context-keeping one is reset after this message, so
    /// the prepared bytes refer to nothing earlier.
    pub fn text(text: &str, deflater: &mut Deflater) -> Self {
        Self::new(MessageKind::Text, text.as_bytes(), deflater)
    }

    /// Prepares a binary message, as [`text`](Self::text).
    pub fn binary(data: &[u8], deflater: &mut Deflater) -> Self {
        Self::new(MessageKind::Binary, data, deflater)
    }

    fn new(kind: MessageKind, payload: &[u8], deflater: &mut Deflater) -> Self {
        // Self-contained: nothing before this message may be referred to.
        deflater.forget();
        let compressed = deflater
            .compress(payload)
            .filter(|c| c.len() < payload.len())
            .map(<[u8]>::to_vec);
        deflater.forget();
        Self {
            kind,
            payload: payload.to_vec(),
            compressed,
            window_bits: deflater.window_bits(),
        }
    }

    /// The message kind.
    pub const fn kind(&self) -> MessageKind {
        self.kind
    }

    /// The uncompressed payload.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The compressed payload (RFC 7692 §7.2.1), if compression made the message smaller.
    pub fn compressed(&self) -> Option<&[u8]> {
        self.compressed.as_deref()
    }

    /// Whether `conn` would receive the compressed form.
    pub fn compresses_for<M: MaskSource>(&self, conn: &Connection<M>) -> bool {
        let Some(params) = conn.deflate_params() else {
            return false;
        };
        let (bits, nct) = match conn.role() {
            Role::Server => (
                params.server_max_window_bits,
                params.server_no_context_takeover,
            ),
            Role::Client => (
                params.client_max_window_bits,
                params.client_no_context_takeover,
            ),
        };
        self.compressed.is_some() && nct && self.window_bits <= bits
    }

    /// Writes the message to `conn` into `out`: compressed where
    /// [`compresses_for`](Self::compresses_for) says so, uncompressed otherwise.
    ///
    /// # Errors
    /// As for [`Connection::send_text`]; nothing changes on error.
    pub fn write_to<M: MaskSource>(
        &self,
        conn: &mut Connection<M>,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        match &self.compressed {
            Some(compressed) if self.compresses_for(conn) => {
                conn.send_compressed(self.kind, compressed, out)
            }
            _ => conn.send_message(self.kind, &self.payload, out),
        }
    }
}
